"""Conformance of the metric-learning losses (``lossapi.losses.metric``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracles of the metric-learning losses, written from the papers
(Schroff et al. 2015 and Hermans et al. 2017 for the batch triplet loss and its mining, Hadsell
et al. 2006 for the pair contrastive loss, Khosla et al. 2020 for SupCon's L_out, Deng et al.
2019 for ArcFace, Wang et al. 2018 for CosFace, Sun et al. 2020 for Circle, Wang et al. 2019 for
Multi-Similarity) and the documented API, one anchor and one pair or triplet at a time, never
calling lossapi.

Every loss takes ``embeddings`` ``(..., B, D)`` and integer ``labels`` ``(..., B)``; leading
dimensions are independent batches. ``P(i)`` are the other rows with the label of row ``i``,
``N(i)`` the rows with another label; rows excluded by ``where`` are neither anchors nor
partners. Normalising a row divides it by ``max(||z||_2, 1e-12)``; the cosine similarity
``s_ij`` is the dot product of two normalised rows. The public functions return the
``reduction="none"`` value, one per anchor row; ``reduce_<name>`` gives the reduced value with
``where`` (padded rows out as anchors and as partners) and ``sample_weight``, for every pairwise
loss (even Multi-Similarity, whose "mean" is the plain weighted mean: a padded row must also
leave the other rows' sums). ArcFace and CosFace are per row (``class_centers`` ``(C, D)``
shared by all rows): the plain rule reduces them; a label outside ``[0, C)`` gives NaN.

The counted "mean" rules: ``batch_triplet`` divides ``sum_i w_i L_i`` by ``sum_i w_i K_i``, the
number of the anchor's selected triplets with a positive loss (``nonzero_mean=True``) or all of
them; ``batch_contrastive`` adds the positive-pair and the negative-pair means, each counted
that way; ``supcon`` and ``circle`` average over the anchors that have positives (and, for
circle, negatives).

Cases
-----
Conformance cases of the metric-learning losses.

The requested shape ``(..., B)`` maps to ``(..., B)`` batches of ``B`` rows of ``D = 3``
features (``_D``), labels in ``[0, max(2, B // 2))`` (most anchors have positives and
negatives; some have none: that is a case too). ArcFace and CosFace draw ``C`` class centres,
``C`` one more than every dimension of the shape: the conformance machinery broadcasts a
``where`` mask onto inputs whose shape matches it, which a centre matrix must never do.

Random inputs stay ``_GAP`` away from every kink: the hinge of each triplet and pair term
(which is also the boundary of the semi-hard band), the other boundary ``d(a, p) = d(a, n)``
of that band, ties of the hard-mining maximum and minimum (every pair of an anchor's positive or
negative distances, so that excluding rows never creates one), Circle's ``s = -m`` where its
negative weight switches off, and ArcFace's ``theta = pi - margin`` where the target logit
switches branch (a jump); ArcFace and CosFace rows also keep a loss of at least ``_MIN_CE``
(a cross-entropy of logits up to ``scale`` has an absolute rounding error ~ eps * scale, which
the relative tolerance of a tiny loss cannot hold). Edges visit coincident rows, a zero row,
anchors without positives or negatives, batches without any positive pair, a single row, batch
dimensions with int32 labels, and for ArcFace a row equal to its class centre (``theta = 0``, the cone of
``cos(theta + m)``) and equal to minus it (``theta = pi``).

Case-only options: ``"_labels"`` the integer dtype of the labels (default int64).

Counterparts
------------
Native counterparts of the metric-learning losses: pytorch-metric-learning ("PML", tested on
``(9, D)`` batches: ``ndim=1``) and keras.

- PML's default distance is ``LpDistance(normalize_embeddings=True, p=2, power=1)``, lossapi's
  ``distance="euclidean", normalize=True``; ``"squared"`` is ``LpDistance(power=2)`` and
  ``normalize`` its ``normalize_embeddings``; ``"cosine"`` is ``CosineSimilarity()``, a
  similarity: PML's triplet hinge ``relu(s_an - s_ap + m)`` equals lossapi's with the cosine
  distance ``1 - s`` and the same margin, and its contrastive margins are similarities:
  ``pos_margin = 1 - lossapi pos_margin``, ``neg_margin = 1 - lossapi neg_margin``.
- ``batch_triplet``: ``mining="all"`` is ``TripletMarginLoss(margin=m, distance=...)``;
  ``"hard"`` passes ``BatchHardMiner(distance=...)``'s triplets (farthest positive, closest
  negative per anchor, anchors without either dropped), ``"semihard"``
  ``TripletMarginMiner(margin=m, type_of_triplets="semihard", distance=...)``'s
  (``0 < d_an - d_ap <= m``; lossapi's band is open at ``m`` too, where the hinge is 0, so
  only ``nonzero_mean=False`` could tell them apart, on a measure-zero set). Both miners must
  get the loss's distance object (their default is the Euclidean one).
- ``batch_contrastive`` is ``ContrastiveLoss(pos_margin=, neg_margin=)``; PML reduces the
  positive and the negative pairs separately and adds the two means, as lossapi.
- PML's reducers map the reductions: its default ``AvgNonZeroReducer`` is ``"mean"`` with
  ``nonzero_mean=True``, ``MeanReducer`` with ``nonzero_mean=False``, ``SumReducer``
  ``"sum"``; ``DoNothingReducer`` returns one loss per triplet or pair, which the mapping sums
  per anchor for ``"none"``. PML takes no sample weights: weighted ``"none"``/``"sum"`` multiply
  the per-anchor values by the weights; weighted ``"mean"`` is not mapped (the counted rules
  are lossapi's).
- ``supcon`` is ``SupConLoss(temperature=)``, except that PML returns 0 for a batch without a
  single negative pair (all labels equal), where lossapi gives each anchor's L_out (the log of
  its positives' share, here over positives only): the mapping needs a negative pair, which the
  ``(9,)`` case batches always have. ``circle`` is ``CircleLoss(m=, gamma=)``,
  ``multi_similarity`` ``MultiSimilarityLoss(alpha=, beta=, base=)``; their per-anchor element
  losses map ``"none"``/``"sum"`` (and weights) directly; PML's ``AvgNonZeroReducer`` (SupCon,
  Circle) averages the anchors with a positive loss, which are lossapi's counted anchors;
  Multi-Similarity's ``MeanReducer`` averages every anchor.
- ``arcface`` is ``ArcFaceLoss(num_classes=C, embedding_size=D, margin=degrees(margin),
  scale=)`` (PML's margin is in degrees) with ``W = class_centers.T``; ``cosface``
  ``CosFaceLoss(num_classes=C, embedding_size=D, margin=, scale=)`` likewise. Both reduce rows
  with a mean, weights by the plain rule. PML's ``acos`` gives NaN/inf gradients at
  ``theta = 0`` and ``pi``, where lossapi's are finite (values agree).
- keras' ``Circle(gamma=, margin=, remove_diagonal=True)`` (called as ``(labels,
  embeddings)``, computed in float64 with ``dtype="float64"``) expects L2-normalised rows: the
  mapping normalises them first (``max(||z||, 1e-12)``, as lossapi); it clips the cosine
  distance at 0 (no effect on normalised rows), and its rows without positives or negatives are
  0 and masked out of its ``"sum_over_batch_size"`` (a mask on ``loss > 0``), so its mean is
  lossapi's counted "mean" when unweighted. With weights its mean divides by the number of
  counted rows, not their weight: weighted ``"none"``/``"sum"`` only. keras does not stop the
  gradient through the weights ``alpha`` (values agree, gradients differ).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz
from ..counterparts import Counterpart, _keras, _np, _torch, weighted_reduce

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "arcface",
    "batch_contrastive",
    "batch_contrastive_terms",
    "batch_triplet",
    "batch_triplet_terms",
    "circle",
    "circle_terms",
    "cosface",
    "multi_similarity",
    "multi_similarity_terms",
    "reduce_arcface",
    "reduce_batch_contrastive",
    "reduce_batch_triplet",
    "reduce_circle",
    "reduce_cosface",
    "reduce_multi_similarity",
    "reduce_supcon",
    "supcon",
    "supcon_terms",
]

#: A case's drawn inputs (input name -> NumPy array).
Inputs = dict[str, np.ndarray]
#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]
#: What a counterpart receives: the drawn inputs (read-only).
Arrays = Mapping[str, np.ndarray]


# ==================================================================================================
# Oracles
# ==================================================================================================

#: The floor of a row's norm when it is normalised (torch's ``F.normalize`` default, PML's).
NORM_EPS = 1e-12


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(math.sqrt(float(np.dot(v, v))), NORM_EPS)


def _batches(
    embeddings: Any, labels: Any, kept: Any
) -> Iterator[tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]]:
    """``(leading index, rows (B, D), labels (B,), kept (B,))`` of every independent batch."""
    z = _f(embeddings)
    shape = z.shape[:-1]
    y = np.broadcast_to(np.asarray(labels), shape)
    keep = np.ones(shape, dtype=bool) if kept is None else np.broadcast_to(np.asarray(kept, dtype=bool), shape)
    for lead in np.ndindex(shape[:-1]):
        yield lead, z[lead], y[lead], keep[lead]


def _partners(yb: np.ndarray, kb: np.ndarray, i: int) -> tuple[list[int], list[int]]:
    """``P(i)`` and ``N(i)`` among the kept rows."""
    B = len(yb)
    pos = [j for j in range(B) if j != i and kb[j] and yb[j] == yb[i]]
    neg = [k for k in range(B) if kb[k] and yb[k] != yb[i]]
    return pos, neg


def _similarities(zb: np.ndarray) -> list[list[float]]:
    u = [_unit(r) for r in zb]
    return [[float(np.dot(a, b)) for b in u] for a in u]


def _distances(zb: np.ndarray, distance: str, normalize: bool) -> list[list[float]]:
    """Pairwise ``d(i, j)``: Euclidean, squared Euclidean (rows normalised when ``normalize``)
    or the cosine distance ``1 - s_ij`` (always normalised)."""
    if distance == "cosine":
        return [[1.0 - s for s in row] for row in _similarities(zb)]
    u = [_unit(r) for r in zb] if normalize else list(zb)
    sq = [[float(np.sum((a - b) ** 2)) for b in u] for a in u]
    if distance == "squared":
        return sq
    if distance == "euclidean":
        return [[math.sqrt(v) for v in row] for row in sq]
    raise ValueError(f"unknown distance {distance!r}")


def _at(lead: tuple[int, ...], i: int) -> tuple[int, ...]:
    return (*lead, i)


def _logsumexp(v: list[float]) -> float:
    m = max(v)
    return m + math.log(sum(math.exp(x - m) for x in v))


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


# -- batch triplet ---------------------------------------------------------------------------------


def batch_triplet_terms(
    embeddings: Any,
    labels: Any,
    margin: float = 0.05,
    mining: str = "all",
    distance: str = "euclidean",
    normalize: bool = True,
    kept: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per anchor: the sum of its selected triplets' ``max(0, margin + d(a, p) - d(a, n))``, the
    number of those with a positive loss, and the number of its selected triplets.

    ``mining``: ``"all"`` every ``(p, n)`` with ``p`` in ``P(a)``, ``n`` in ``N(a)``; ``"hard"``
    the farthest positive with the closest negative (one triplet, none without a positive or a
    negative); ``"semihard"`` the triplets with ``d(a, p) < d(a, n) < d(a, p) + margin``."""
    shape = _f(embeddings).shape[:-1]
    loss, nonzero, count = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    m = float(margin)
    for lead, zb, yb, kb in _batches(embeddings, labels, kept):
        d = _distances(zb, distance, bool(normalize))
        for a in range(len(yb)):
            if not kb[a]:
                continue
            pos, neg = _partners(yb, kb, a)
            if mining == "all":
                triplets = [(p, n) for p in pos for n in neg]
            elif mining == "hard":
                triplets = []
                if pos and neg:
                    p = max(pos, key=lambda j: d[a][j])
                    n = min(neg, key=lambda k: d[a][k])
                    triplets = [(p, n)]
            elif mining == "semihard":
                triplets = [(p, n) for p in pos for n in neg if d[a][p] < d[a][n] < d[a][p] + m]
            else:
                raise ValueError(f"unknown mining {mining!r}")
            for p, n in triplets:
                v = max(0.0, m + d[a][p] - d[a][n])
                loss[_at(lead, a)] += v
                nonzero[_at(lead, a)] += v > 0
                count[_at(lead, a)] += 1
    return loss, nonzero, count


def batch_triplet(
    embeddings: Any,
    labels: Any,
    margin: float = 0.05,
    mining: str = "all",
    distance: str = "euclidean",
    normalize: bool = True,
    nonzero_mean: bool = True,
) -> np.ndarray:
    """Per-anchor sum of its selected triplets' losses (``reduction="none"``)."""
    return batch_triplet_terms(embeddings, labels, margin, mining, distance, normalize)[0]


def _weights(shape: tuple[int, ...], sample_weight: Any, where: Any) -> np.ndarray:
    """``sample_weight * where`` per anchor."""
    w = np.ones(shape)
    if sample_weight is not None:
        w = w * np.broadcast_to(_f(sample_weight), shape)
    if where is not None:
        w = np.where(np.broadcast_to(np.asarray(where, dtype=bool), shape), w, 0.0)
    return w


def _counted(loss: np.ndarray, count: np.ndarray, reduction: str, w: np.ndarray) -> np.ndarray | np.float64:
    """``"none"``: ``w L``; ``"sum"``: ``sum(w L)``; ``"mean"``: ``sum(w L) / sum(w count)``
    (0 when the denominator is 0)."""
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(count * w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den


def reduce_batch_triplet(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray | np.float64:
    """Reduced batch triplet loss: ``"mean"`` = ``sum_i w_i L_i / sum_i w_i K_i`` (``K_i``: the
    anchor's triplets with a positive loss, or all of them with ``nonzero_mean=False``)."""
    loss, nonzero, count = batch_triplet_terms(
        inputs["embeddings"],
        inputs["labels"],
        options.get("margin", 0.05),
        options.get("mining", "all"),
        options.get("distance", "euclidean"),
        options.get("normalize", True),
        where,
    )
    w = _weights(loss.shape, sample_weight, where)
    return _counted(loss, nonzero if options.get("nonzero_mean", True) else count, reduction, w)


# -- batch contrastive ------------------------------------------------------------------------------


def batch_contrastive_terms(
    embeddings: Any,
    labels: Any,
    pos_margin: float = 0.0,
    neg_margin: float = 1.0,
    distance: str = "euclidean",
    normalize: bool = True,
    kept: Any = None,
) -> dict[str, np.ndarray]:
    """Per anchor: ``pos`` = sum over ``P(i)`` of ``max(0, d - pos_margin)``, ``neg`` = sum over
    ``N(i)`` of ``max(0, neg_margin - d)``, and the counts of those terms (``pos_nonzero``,
    ``pos_count``, ``neg_nonzero``, ``neg_count``)."""
    shape = _f(embeddings).shape[:-1]
    out = {k: np.zeros(shape) for k in ("pos", "neg", "pos_nonzero", "pos_count", "neg_nonzero", "neg_count")}
    for lead, zb, yb, kb in _batches(embeddings, labels, kept):
        d = _distances(zb, distance, bool(normalize))
        for i in range(len(yb)):
            if not kb[i]:
                continue
            at = _at(lead, i)
            pos, neg = _partners(yb, kb, i)
            for j in pos:
                v = max(0.0, d[i][j] - float(pos_margin))
                out["pos"][at] += v
                out["pos_nonzero"][at] += v > 0
                out["pos_count"][at] += 1
            for k in neg:
                v = max(0.0, float(neg_margin) - d[i][k])
                out["neg"][at] += v
                out["neg_nonzero"][at] += v > 0
                out["neg_count"][at] += 1
    return out


def batch_contrastive(
    embeddings: Any,
    labels: Any,
    pos_margin: float = 0.0,
    neg_margin: float = 1.0,
    distance: str = "euclidean",
    normalize: bool = True,
    nonzero_mean: bool = True,
) -> np.ndarray:
    """Per-anchor sum of its positive and negative pair terms (``reduction="none"``)."""
    t = batch_contrastive_terms(embeddings, labels, pos_margin, neg_margin, distance, normalize)
    return t["pos"] + t["neg"]


def reduce_batch_contrastive(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray | np.float64:
    """Reduced batch contrastive loss: ``"mean"`` = the weighted mean of the positive pair terms
    plus that of the negative ones, each over its counted terms (0 when there are none)."""
    t = batch_contrastive_terms(
        inputs["embeddings"],
        inputs["labels"],
        options.get("pos_margin", 0.0),
        options.get("neg_margin", 1.0),
        options.get("distance", "euclidean"),
        options.get("normalize", True),
        where,
    )
    w = _weights(t["pos"].shape, sample_weight, where)
    if reduction != "mean":
        return _counted(t["pos"] + t["neg"], t["pos_count"], reduction, w)
    kind = "nonzero" if options.get("nonzero_mean", True) else "count"
    return np.float64(_counted(t["pos"], t[f"pos_{kind}"], "mean", w) + _counted(t["neg"], t[f"neg_{kind}"], "mean", w))


# -- SupCon -----------------------------------------------------------------------------------------


def supcon_terms(
    embeddings: Any, labels: Any, temperature: float = 0.1, kept: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per anchor: Khosla et al.'s L_out, ``-(1/|P|) sum_{j in P} log(e^{s_ij/T} / sum_{k in P u N}
    e^{s_ik/T})`` (0 without positives), and whether it counts (``|P(i)| > 0``)."""
    shape = _f(embeddings).shape[:-1]
    loss, count = np.zeros(shape), np.zeros(shape)
    T = float(temperature)
    for lead, zb, yb, kb in _batches(embeddings, labels, kept):
        s = _similarities(zb)
        for i in range(len(yb)):
            if not kb[i]:
                continue
            pos, neg = _partners(yb, kb, i)
            if not pos:
                continue
            lse = _logsumexp([s[i][k] / T for k in pos + neg])
            loss[_at(lead, i)] = -sum(s[i][j] / T - lse for j in pos) / len(pos)
            count[_at(lead, i)] = 1.0
    return loss, count


def supcon(embeddings: Any, labels: Any, temperature: float = 0.1) -> np.ndarray:
    """Per-anchor SupCon L_out (``reduction="none"``)."""
    return supcon_terms(embeddings, labels, temperature)[0]


def reduce_supcon(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray | np.float64:
    """Reduced SupCon: ``"mean"`` over the anchors with positives."""
    loss, count = supcon_terms(inputs["embeddings"], inputs["labels"], options.get("temperature", 0.1), where)
    return _counted(loss, count, reduction, _weights(loss.shape, sample_weight, where))


# -- Circle -----------------------------------------------------------------------------------------


def circle_terms(
    embeddings: Any, labels: Any, margin: float = 0.4, gamma: float = 80.0, kept: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per anchor: ``softplus(lse_P(-g a_p (s - 1 + m)) + lse_N(g a_n (s - m)))`` with
    ``a_p = max(0, 1 + m - s)``, ``a_n = max(0, s + m)`` (0 when ``P`` or ``N`` is empty), and
    whether it counts (both non-empty)."""
    shape = _f(embeddings).shape[:-1]
    loss, count = np.zeros(shape), np.zeros(shape)
    m, g = float(margin), float(gamma)
    for lead, zb, yb, kb in _batches(embeddings, labels, kept):
        s = _similarities(zb)
        for i in range(len(yb)):
            if not kb[i]:
                continue
            pos, neg = _partners(yb, kb, i)
            if not pos or not neg:
                continue
            lp = [-g * max(0.0, 1.0 + m - s[i][j]) * (s[i][j] - (1.0 - m)) for j in pos]
            ln = [g * max(0.0, s[i][k] + m) * (s[i][k] - m) for k in neg]
            loss[_at(lead, i)] = _softplus(_logsumexp(lp) + _logsumexp(ln))
            count[_at(lead, i)] = 1.0
    return loss, count


def circle(embeddings: Any, labels: Any, margin: float = 0.4, gamma: float = 80.0) -> np.ndarray:
    """Per-anchor Circle loss (``reduction="none"``)."""
    return circle_terms(embeddings, labels, margin, gamma)[0]


def reduce_circle(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray | np.float64:
    """Reduced Circle loss: ``"mean"`` over the anchors with positives and negatives."""
    loss, count = circle_terms(
        inputs["embeddings"], inputs["labels"], options.get("margin", 0.4), options.get("gamma", 80.0), where
    )
    return _counted(loss, count, reduction, _weights(loss.shape, sample_weight, where))


# -- Multi-Similarity -------------------------------------------------------------------------------


def multi_similarity_terms(
    embeddings: Any, labels: Any, alpha: float = 2.0, beta: float = 50.0, base: float = 0.5, kept: Any = None
) -> np.ndarray:
    """Per anchor: ``(1/a) log(1 + sum_P e^{-a (s - base)}) + (1/b) log(1 + sum_N e^{b (s - base)})``."""
    shape = _f(embeddings).shape[:-1]
    loss = np.zeros(shape)
    a, b, c = float(alpha), float(beta), float(base)
    for lead, zb, yb, kb in _batches(embeddings, labels, kept):
        s = _similarities(zb)
        for i in range(len(yb)):
            if not kb[i]:
                continue
            pos, neg = _partners(yb, kb, i)
            lp = math.log1p(sum(math.exp(-a * (s[i][j] - c)) for j in pos)) / a
            ln = math.log1p(sum(math.exp(b * (s[i][k] - c)) for k in neg)) / b
            loss[_at(lead, i)] = lp + ln
    return loss


def multi_similarity(
    embeddings: Any, labels: Any, alpha: float = 2.0, beta: float = 50.0, base: float = 0.5
) -> np.ndarray:
    """Per-anchor Multi-Similarity loss (``reduction="none"``)."""
    return multi_similarity_terms(embeddings, labels, alpha, beta, base)


def reduce_multi_similarity(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray | np.float64:
    """Reduced Multi-Similarity loss: the plain weighted mean over the kept anchors, padded rows
    also left out of the other anchors' sums."""
    loss = multi_similarity_terms(
        inputs["embeddings"],
        inputs["labels"],
        options.get("alpha", 2.0),
        options.get("beta", 50.0),
        options.get("base", 0.5),
        where,
    )
    w = _weights(loss.shape, sample_weight, where)
    return _counted(loss, np.ones(loss.shape), reduction, w)


# -- ArcFace and CosFace ----------------------------------------------------------------------------


def _margin_softmax(
    embeddings: Any, class_centers: Any, labels: Any, target: Callable[[float], float], scale: float
) -> np.ndarray:
    """Cross-entropy of ``scale * cos(row, centre)`` with the true class's cosine replaced by
    ``target(cos)``; NaN for a label outside ``[0, C)``."""
    z = _f(embeddings)
    W = [_unit(c) for c in _f(class_centers)]
    y = np.broadcast_to(np.asarray(labels), z.shape[:-1])
    out = np.empty(z.shape[:-1])
    for idx in np.ndindex(out.shape):
        lab = int(y[idx])
        if not 0 <= lab < len(W):
            out[idx] = math.nan
            continue
        u = _unit(z[idx])
        logits = [float(scale) * float(np.dot(u, c)) for c in W]
        logits[lab] = float(scale) * target(float(np.dot(u, W[lab])))
        out[idx] = _logsumexp(logits) - logits[lab]
    return out


def arcface(embeddings: Any, class_centers: Any, labels: Any, margin: float = 0.5, scale: float = 64.0) -> np.ndarray:
    """Per-row ArcFace loss: true-class logit ``cos(theta + m)`` for ``theta <= pi - m``, else
    ``cos(theta) - m sin(m)`` (``theta = arccos`` of the clipped cosine), all logits times
    ``scale``, cross-entropy."""
    m = float(margin)

    def target(c: float) -> float:
        theta = math.acos(min(1.0, max(-1.0, c)))
        return math.cos(theta + m) if theta <= math.pi - m else math.cos(theta) - m * math.sin(m)

    return _margin_softmax(embeddings, class_centers, labels, target, scale)


def cosface(embeddings: Any, class_centers: Any, labels: Any, margin: float = 0.35, scale: float = 64.0) -> np.ndarray:
    """Per-row CosFace loss: logits ``scale (cos - margin [c = y])``, cross-entropy."""
    return _margin_softmax(embeddings, class_centers, labels, lambda c: c - float(margin), scale)


def _reduce_rows(
    oracle: Callable[..., np.ndarray],
) -> Callable[[Mapping[str, np.ndarray], Mapping[str, Any], str, np.ndarray | None, np.ndarray | None], Any]:
    """The plain weighted rule over the rows of a margin softmax (a row is a whole feature vector,
    with the shared class centres: not an elementwise loss, whose Hessian would be diagonal)."""

    def reduce(
        inputs: Mapping[str, np.ndarray],
        options: Mapping[str, Any],
        reduction: str,
        sample_weight: np.ndarray | None,
        where: np.ndarray | None,
    ) -> np.ndarray | np.float64:
        loss = oracle(inputs["embeddings"], inputs["class_centers"], inputs["labels"], **options)
        w = _weights(loss.shape, sample_weight, where)
        return _counted(np.where(w != 0, loss, 0.0), np.ones(loss.shape), reduction, w)

    return reduce


#: Reduced ArcFace / CosFace: the weighted mean over the kept rows.
reduce_arcface = _reduce_rows(arcface)
reduce_cosface = _reduce_rows(cosface)


# ==================================================================================================
# Cases
# ==================================================================================================

_GAP = 1e-2
_TIE_GAP = 1e-3  # between two distances of one anchor (hard mining): enough for every dtype's rounding
_TRIES = 1000
_D = 3

#: A row pattern where no two distances tie and no hinge of the default options is near.
_Z6 = [
    [1.0, 0.5, -0.25],
    [0.2, -1.0, 0.4],
    [-0.7, 0.3, 1.1],
    [0.9, 0.8, -0.6],
    [-0.4, -0.9, -0.3],
    [0.3, 1.2, 0.7],
]


def _zy(z: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    return {"embeddings": _f(z), "labels": np.asarray(y, dtype=dtype)}


def _labels(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> np.ndarray:
    B = shape[-1] if shape else 1
    return rng.integers(0, max(2, B // 2), shape).astype(options.get("_labels", "int64"))


def _np_distances(z: np.ndarray, distance: str, normalize: bool) -> np.ndarray:
    """Vectorised ``(B, B)`` distances of one batch (the rejection tests only)."""
    u = z / np.maximum(np.linalg.norm(z, axis=-1, keepdims=True), NORM_EPS)
    if distance == "cosine":
        return 1.0 - u @ u.T
    v = u if normalize else z
    sq = np.sum((v[:, None, :] - v[None, :, :]) ** 2, axis=-1)
    return sq if distance == "squared" else np.sqrt(sq)


def _masks(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    same = y[:, None] == y[None, :]
    return same & ~np.eye(len(y), dtype=bool), ~same


def _spread(values: np.ndarray, mask: np.ndarray) -> bool:
    """Whether two masked entries of one row of ``values`` are closer than ``_TIE_GAP``."""
    gaps = np.abs(values[:, :, None] - values[:, None, :])
    both = mask[:, :, None] & mask[:, None, :] & ~np.eye(values.shape[1], dtype=bool)
    return bool(np.any(both & (gaps < _TIE_GAP)))


def _triplet_bad(z: np.ndarray, y: np.ndarray, o: Options) -> bool:
    d = _np_distances(z, o.get("distance", "euclidean"), o.get("normalize", True))
    pos, neg = _masks(y)
    m = float(o.get("margin", 0.05))
    diff = d[:, None, :] - d[:, :, None]  # [a, p, n] = d(a, n) - d(a, p)
    trip = pos[:, :, None] & neg[:, None, :]
    bad = np.any(trip & (np.abs(diff - m) < _GAP))  # the hinge (and the semi-hard band's end)
    mining = o.get("mining", "all")
    if mining == "semihard":
        bad |= np.any(trip & (np.abs(diff) < _GAP))
    if mining == "hard":
        bad |= _spread(d, pos) or _spread(d, neg)
    return bool(bad)


def _contrastive_bad(z: np.ndarray, y: np.ndarray, o: Options) -> bool:
    d = _np_distances(z, o.get("distance", "euclidean"), o.get("normalize", True))
    pos, neg = _masks(y)
    pm, nm = float(o.get("pos_margin", 0.0)), float(o.get("neg_margin", 1.0))
    return bool(np.any(pos & (np.abs(d - pm) < _GAP)) or np.any(neg & (np.abs(d - nm) < _GAP)))


def _circle_bad(z: np.ndarray, y: np.ndarray, o: Options) -> bool:
    s = 1.0 - _np_distances(z, "cosine", True)
    pos, neg = _masks(y)
    m = float(o.get("margin", 0.4))
    # the weights' hinges: a_n = max(0, s + m) at s = -m, a_p = max(0, 1 + m - s) at s = 1 + m
    return bool(np.any(neg & (np.abs(s + m) < _GAP)) or np.any(pos & (np.abs(1.0 + m - s) < _GAP)))


def _never_bad(z: np.ndarray, y: np.ndarray, o: Options) -> bool:
    return False


def _pairwise_inputs(
    bad: Callable[[np.ndarray, np.ndarray, Options], bool],
) -> Callable[[np.random.Generator, tuple[int, ...], Options], Inputs]:
    """``make_inputs`` of a pairwise loss: labels first, then each batch's rows redrawn until
    ``bad(rows, labels, options)`` is False."""

    def make(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
        y = _labels(rng, shape, options)
        z = np.empty((*shape, _D))
        for lead in np.ndindex(shape[:-1]):
            for _ in range(_TRIES):
                zb = rng.normal(0.0, 1.0, (shape[-1], _D))
                if not bad(zb, y[lead].astype(np.int64), options):
                    break
            else:  # pragma: no cover
                raise RuntimeError("could not draw inputs away from the kinks")
            z[lead] = zb
        return {"embeddings": z, "labels": y}

    return make


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _centres(x: Inputs, scale: float) -> np.ndarray:
    """Each row moved to its label's centre ``scale * (+-e_k)`` (label ranks 0, 1 -> +-e_0, ...):
    positives coincide, two centres are orthogonal or opposite."""
    y = np.asarray(x["labels"]).astype(np.int64)
    z = np.zeros((*y.shape, _D))
    for lead in np.ndindex(y.shape[:-1]):
        ranks = {v: r for r, v in enumerate(sorted(set(y[lead].tolist())))}
        if len(ranks) > 2 * _D:
            raise ValueError(f"{len(ranks)} labels in one batch: more than the {2 * _D} centres +-e_k")
        for i, v in enumerate(y[lead].tolist()):
            r = ranks[v]
            at = (*lead, i, r // 2)  # named: mypy (3.11+ AST) takes t[(*a, b)] for the 3.11-only t[*a, b]
            z[at] = scale * (-1.0 if r % 2 else 1.0)
    return z


def _centre_scale(o: Options) -> float:
    return 1.0 if o.get("normalize", True) or o.get("distance", "euclidean") == "cosine" else 3.0


def _closest_centres(o: Options) -> float:
    """The distance between two orthogonal centres of :func:`_centres`."""
    r = _centre_scale(o)
    return {"euclidean": math.sqrt(2.0) * r, "squared": 2.0 * r * r, "cosine": 1.0}[o.get("distance", "euclidean")]


def _perfect_clusters(x: Inputs, o: Options) -> Inputs:
    return {**x, "embeddings": _centres(x, _centre_scale(o))}


def _triplet_no_perfect(o: Options) -> str | None:
    if float(o.get("margin", 0.05)) >= _closest_centres(o):
        return "the margin exceeds the distance between two class centres"
    return None


def _contrastive_no_perfect(o: Options) -> str | None:
    if float(o.get("neg_margin", 1.0)) > _closest_centres(o) or float(o.get("pos_margin", 0.0)) < 0:
        return "the negative margin exceeds the distance between two class centres"
    return None


def _triplet_count(x: Inputs, o: Options) -> np.ndarray:
    _, nonzero, count = batch_triplet_terms(
        x["embeddings"],
        x["labels"],
        o.get("margin", 0.05),
        o.get("mining", "all"),
        o.get("distance", "euclidean"),
        o.get("normalize", True),
    )
    return nonzero if o.get("nonzero_mean", True) else count


def _has_positive(x: Inputs, o: Options) -> np.ndarray:
    y = np.asarray(x["labels"]).astype(np.int64)
    return (np.sum(y[..., :, None] == y[..., None, :], axis=-1) > 1).astype(np.float64)


def _has_positive_and_negative(x: Inputs, o: Options) -> np.ndarray:
    y = np.asarray(x["labels"]).astype(np.int64)
    same = np.sum(y[..., :, None] == y[..., None, :], axis=-1)
    return ((same > 1) & (same < y.shape[-1])).astype(np.float64)


_SWEEP = sweeps.Sweep(
    lo=0.0,
    hi=math.pi,
    build=sweeps.ntxent_batch,
    xlabel="angle θ between the positive pair (rad)",
    axis="angle",
    description="one batch per point: anchor (1, 0), positive (cos θ, sin θ), negative (-1, 0); the sum over anchors",
)

_CLASSLESS = "the class centres' first axis is the class axis, not the batch: permuting the rows would permute classes"

# -- batch triplet ----------------------------------------------------------------------------------

_BATCH_TRIPLET = Case(
    name="batch_triplet",
    make_inputs=_pairwise_inputs(_triplet_bad),
    oracle=batch_triplet,
    reduce_oracle=reduce_batch_triplet,
    options=(
        {},
        {"margin": 0.3},
        {"mining": "hard", "margin": 0.2},
        {"mining": "semihard", "margin": 0.3},
        {"distance": "squared", "margin": 0.5, "_labels": "int32"},
        {"distance": "cosine", "mining": "hard", "margin": 0.1},
        {"normalize": False, "margin": 1.0, "mining": "semihard"},
        {"nonzero_mean": False, "distance": "cosine", "mining": "semihard", "margin": 0.2},
        {"nonzero_mean": False, "normalize": False, "distance": "squared", "mining": "hard", "margin": 0.5},
        {"nonzero_mean": False, "margin": 0.4, "_labels": "uint8"},
    ),
    differentiable=("embeddings",),
    edges=(
        # d(a, p) = 0: the Euclidean distance is a cone there (0 is its minimum-norm subgradient).
        Edge("coincident embeddings", _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 0, 1, 1, 0]), {"margin": 0.5}, kink=True),
        Edge(
            "coincident embeddings, squared distance",
            _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 0, 1, 1, 0]),
            {"margin": 0.5, "distance": "squared"},
        ),
        Edge("coincident negative, cosine", _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 1, 1, 0, 0]), {"distance": "cosine"}),
        # A zero row is normalised to 0 (distance 1 to every unit row); its own gradient is that
        # of z / 1e-12, which finite differences cannot resolve.
        Edge("zero embedding", _zy([[0.0, 0.0, 0.0], *_Z6[1:5]], [0, 0, 1, 1, 0]), {"margin": 0.5}),
        Edge("anchors without positives", _zy(_Z6[:4], [0, 1, 1, 2]), {"margin": 0.5}),
        Edge("no negatives", _zy(_Z6[:4], [3, 3, 3, 3])),
        Edge("no positive pair at all", _zy(_Z6[:4], [0, 1, 2, 3])),
        Edge("single row", _zy([_Z6[0]], [0])),
        Edge("hard mining", _zy(_Z6, [0, 1, 0, 1, 0, 1]), {"mining": "hard", "margin": 0.5}),
        Edge("semi-hard mining", _zy(_Z6, [0, 1, 1, 0, 2, 0]), {"mining": "semihard", "margin": 0.8}),
        Edge(
            "hinge kink",
            _zy([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.25, 0.0]], [0, 0, 1]),
            {"margin": 0.25, "normalize": False},
            kink=True,
        ),
        Edge(
            "batch dimensions, int32 labels",
            _zy([_Z6[:4], _Z6[2:]], [[0, 0, 1, 1], [2, 1, 2, 1]], np.int32),
            {"margin": 0.5, "nonzero_mean": False},
        ),
    ),
    cancels=True,
    sweep=_SWEEP,
    fuzz=Fuzz(
        perfect=_perfect_clusters,
        no_perfect_options=_triplet_no_perfect,
        mean_rule="sum(w*L_i) / sum(w*K_i): K_i the anchor's selected triplets with a positive loss "
        "(nonzero_mean=True) or all of them",
        mean_weight=_triplet_count,
    ),
    invalid_options={"margin": [-1.0]},
)

# -- batch contrastive ------------------------------------------------------------------------------

_BATCH_CONTRASTIVE = Case(
    name="batch_contrastive",
    make_inputs=_pairwise_inputs(_contrastive_bad),
    oracle=batch_contrastive,
    reduce_oracle=reduce_batch_contrastive,
    options=(
        {},
        {"pos_margin": 0.2, "neg_margin": 1.2},
        {"distance": "squared", "neg_margin": 1.8, "_labels": "int32"},
        {"distance": "cosine", "pos_margin": 0.1, "neg_margin": 0.8},
        {"normalize": False, "pos_margin": 0.5, "neg_margin": 2.5},
        {"nonzero_mean": False},
        {"nonzero_mean": False, "distance": "cosine", "pos_margin": 0.3, "_labels": "uint8"},
        {"nonzero_mean": False, "normalize": False, "distance": "squared", "neg_margin": 4.0},
    ),
    differentiable=("embeddings",),
    edges=(
        # Coincident positives: d = 0 is the apex of the cone max(0, d - 0).
        Edge("coincident positives", _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 0, 1, 1, 0]), kink=True),
        Edge("coincident negatives", _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 1, 1, 0, 2]), kink=True),
        Edge(
            "coincident, squared distance",
            _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 0, 1, 1, 0]),
            {"distance": "squared", "pos_margin": 0.1},
        ),
        # (a zero row is at distance 1 from every normalised row: neg_margin 1 would be the hinge)
        Edge("zero embedding", _zy([[0.0, 0.0, 0.0], *_Z6[1:5]], [0, 0, 1, 1, 0]), {"neg_margin": 1.5}),
        Edge("anchors without positives", _zy(_Z6[:4], [0, 1, 1, 2])),
        Edge("no negatives", _zy(_Z6[:4], [3, 3, 3, 3]), {"pos_margin": 0.1}),
        Edge("no positive pair at all", _zy(_Z6[:4], [0, 1, 2, 3]), {"neg_margin": 1.5}),
        Edge("single row", _zy([_Z6[0]], [0])),
        Edge(
            "hinge d = neg_margin",
            _zy([[0.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 2.0]], [0, 1, 0]),
            {"normalize": False, "neg_margin": 1.0},
            kink=True,
        ),
        Edge(
            "batch dimensions, int32 labels",
            _zy([_Z6[:4], _Z6[2:]], [[0, 0, 1, 1], [2, 1, 2, 1]], np.int32),
            {"nonzero_mean": False, "pos_margin": 0.1},
        ),
    ),
    cancels=True,
    sweep=_SWEEP,
    fuzz=Fuzz(
        perfect=_perfect_clusters,
        no_perfect_options=_contrastive_no_perfect,
        mean_rule="mean of the counted positive pair terms + mean of the counted negative pair terms "
        "(the case's reduction oracle; not a function of the per-anchor values)",
    ),
    invalid_options={"pos_margin": [], "neg_margin": []},  # any finite margins
)

# -- SupCon -----------------------------------------------------------------------------------------

_SUPCON = Case(
    name="supcon",
    make_inputs=_pairwise_inputs(_never_bad),
    oracle=supcon,
    reduce_oracle=reduce_supcon,
    options=(
        {},
        {"temperature": 0.5},
        {"temperature": 0.05, "_labels": "int32"},
        {"temperature": 1.0, "_labels": "uint8"},
    ),
    differentiable=("embeddings",),
    edges=(
        Edge("coincident embeddings", _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 0, 1, 1, 0])),
        Edge("zero embedding", _zy([[0.0, 0.0, 0.0], *_Z6[1:5]], [0, 0, 1, 1, 0])),
        Edge("anchors without positives", _zy(_Z6[:4], [0, 1, 1, 2])),
        # No negative anywhere: L_out is the log of each positive's share among the positives.
        Edge("no negatives", _zy(_Z6[:4], [3, 3, 3, 3])),
        Edge("no positive pair at all", _zy(_Z6[:4], [0, 1, 2, 3])),
        Edge("single row", _zy([_Z6[0]], [0])),
        Edge("small temperature", _zy(_Z6, [0, 0, 1, 1, 2, 0]), {"temperature": 0.01}),
        Edge("large temperature", _zy(_Z6, [0, 1, 0, 1, 0, 1]), {"temperature": 100.0}),
        Edge("batch dimensions, int32 labels", _zy([_Z6[:4], _Z6[2:]], [[0, 0, 1, 1], [2, 1, 2, 1]], np.int32)),
    ),
    cancels=True,
    sweep=_SWEEP,
    fuzz=Fuzz(
        no_perfect="the denominator holds every partner's exp(s/T) > 0: each positive's share is below 1",
        mean_rule="sum(w*L_i) / sum(w*[|P(i)| > 0]), the mean over the anchors with positives",
        mean_weight=_has_positive,
    ),
)

# -- Circle -----------------------------------------------------------------------------------------

_CIRCLE = Case(
    name="circle",
    make_inputs=_pairwise_inputs(_circle_bad),
    oracle=circle,
    reduce_oracle=reduce_circle,
    options=(
        {},
        {"margin": 0.25, "gamma": 256.0},
        {"margin": 0.1, "gamma": 10.0, "_labels": "int32"},
        {"margin": 0.6, "gamma": 1.0, "_labels": "uint8"},
    ),
    differentiable=("embeddings",),
    edges=(
        Edge("coincident embeddings", _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 0, 1, 1, 0])),
        Edge("zero embedding", _zy([[0.0, 0.0, 0.0], *_Z6[1:5]], [0, 0, 1, 1, 0])),
        Edge("anchors without positives", _zy(_Z6[:4], [0, 1, 1, 2])),
        Edge("no negatives", _zy(_Z6[:4], [3, 3, 3, 3])),
        Edge("no positive pair at all", _zy(_Z6[:4], [0, 1, 2, 3])),
        Edge("single row", _zy([_Z6[0]], [0])),
        # s = -m: the negative weight max(0, s + m) switches off.
        Edge(
            "negative weight hinge s = -m",
            _zy([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-0.4, math.sqrt(0.84), 0.0]], [0, 0, 1]),
            kink=True,
        ),
        Edge("batch dimensions, int32 labels", _zy([_Z6[:4], _Z6[2:]], [[0, 0, 1, 1], [2, 1, 2, 1]], np.int32)),
    ),
    cancels=True,
    sweep=_SWEEP,
    fuzz=Fuzz(
        no_perfect="softplus(x) > 0 for every finite x",
        mean_rule="sum(w*L_i) / sum(w*[P(i) and N(i) non-empty]), the mean over the counted anchors",
        mean_weight=_has_positive_and_negative,
    ),
    invalid_options={"gamma": [0.0, -1.0]},
)

# -- Multi-Similarity -------------------------------------------------------------------------------

_MULTI_SIMILARITY = Case(
    name="multi_similarity",
    make_inputs=_pairwise_inputs(_never_bad),
    oracle=multi_similarity,
    reduce_oracle=reduce_multi_similarity,
    options=(
        {},
        {"alpha": 1.0, "beta": 10.0, "base": 0.2},
        {"alpha": 5.0, "beta": 100.0, "base": 0.8, "_labels": "int32"},
        {"base": -0.3, "_labels": "uint8"},
    ),
    differentiable=("embeddings",),
    edges=(
        Edge("coincident embeddings", _zy([_Z6[0], _Z6[0], *_Z6[1:4]], [0, 0, 1, 1, 0])),
        Edge("zero embedding", _zy([[0.0, 0.0, 0.0], *_Z6[1:5]], [0, 0, 1, 1, 0])),
        Edge("anchors without positives", _zy(_Z6[:4], [0, 1, 1, 2])),
        Edge("no negatives", _zy(_Z6[:4], [3, 3, 3, 3])),
        Edge("no positive pair at all", _zy(_Z6[:4], [0, 1, 2, 3])),
        Edge("single row", _zy([_Z6[0]], [0])),
        Edge("large beta", _zy(_Z6, [0, 1, 0, 1, 0, 1]), {"beta": 500.0, "base": 0.0}),
        Edge("batch dimensions, int32 labels", _zy([_Z6[:4], _Z6[2:]], [[0, 0, 1, 1], [2, 1, 2, 1]], np.int32)),
    ),
    cancels=True,
    sweep=_SWEEP,
    fuzz=Fuzz(no_perfect="log(1 + sum of exponentials) > 0 for an anchor with any partner"),
    invalid_options={"alpha": [0.0, -0.1], "beta": [0.0, -0.5]},
)

# -- ArcFace and CosFace ----------------------------------------------------------------------------


def _num_classes(shape: tuple[int, ...]) -> int:
    # Not any dimension of the shape: a per-row ``where`` mask must never broadcast onto the centres.
    return max(shape, default=1) + 1


#: Smallest per-row loss drawn: a cross-entropy of logits up to ``scale`` carries an absolute
#: rounding error ~ eps * scale (log-sum-exp minus the true logit), which swamps a tiny loss.
_MIN_CE = 0.5


def _margin_softmax_inputs(arc: bool) -> Callable[[np.random.Generator, tuple[int, ...], Options], Inputs]:
    def make(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
        C = _num_classes(shape)
        W = rng.normal(0.0, 1.0, (C, _D))
        y = rng.integers(0, C, shape)
        m = float(options.get("margin", 0.5 if arc else 0.35))
        scale = float(options.get("scale", 64.0))
        oracle = arcface if arc else cosface
        z = rng.normal(0.0, 1.0, (*shape, _D))
        Wn = W / np.linalg.norm(W, axis=-1, keepdims=True)
        for idx in np.ndindex(shape):
            for _ in range(_TRIES):
                u = z[idx] / np.linalg.norm(z[idx])
                theta = math.acos(min(1.0, max(-1.0, float(np.dot(u, Wn[y[idx]])))))
                far = not arc or abs(theta - (math.pi - m)) >= _GAP  # the jump of the target logit
                if far and float(oracle(z[idx][None], W, y[idx][None], m, scale)[0]) >= _MIN_CE:
                    break
                z[idx] = rng.normal(0.0, 1.0, _D)
        return {"embeddings": z, "class_centers": W, "labels": y.astype(options.get("_labels", "int64"))}

    return make


def _zwy(z: Any, w: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    return {"embeddings": _f(z), "class_centers": _f(w), "labels": np.asarray(y, dtype=dtype)}


_W4 = [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.5], [-1.0, 1.0, 1.0]]


def _margin_softmax_edges(arc: bool) -> tuple[Edge, ...]:
    edges = [
        Edge("zero embedding", _zwy([[0.0, 0.0, 0.0], _Z6[1]], _W4, [0, 1])),
        Edge("zero class centre", _zwy(_Z6[:3], [[0.0, 0.0, 0.0], *_W4[1:]], [0, 1, 0])),
        Edge("coincident rows", _zwy([_Z6[0], _Z6[0], _Z6[1]], _W4, [0, 0, 2]), {"scale": 10.0}),
        Edge("single row, small scale", _zwy([_Z6[0]], _W4, [3]), {"scale": 1.0}),
        Edge("batch dimensions, int32 labels", _zwy([_Z6[:3], _Z6[3:]], _W4, [[0, 1, 2], [3, 2, 1]], np.int32)),
    ]
    if arc:
        edges += [
            # theta = 0: cos(theta + m) is a cone in the row and in the centre (finite gradients).
            Edge("theta = 0 (row equal to its centre)", _zwy([[0.0, 2.0, 0.0], _Z6[1]], _W4, [1, 0]), kink=True),
            # theta = pi: the branch cos(theta) - m sin(m) is smooth in the cosine.
            Edge("theta = pi (row equal to minus its centre)", _zwy([[0.0, -2.0, 0.0], _Z6[1]], _W4, [1, 0])),
            Edge("large margin", _zwy(_Z6[:4], _W4, [0, 1, 2, 3]), {"margin": 1.5, "scale": 8.0}),
        ]
    else:
        edges += [
            Edge("row equal to its centre", _zwy([[0.0, 2.0, 0.0], _Z6[1]], _W4, [1, 0])),
            Edge("row equal to minus its centre", _zwy([[0.0, -2.0, 0.0], _Z6[1]], _W4, [1, 0])),
        ]
    return tuple(edges)


def _centre_sweep(name: str) -> sweeps.Sweep:
    return sweeps.Sweep(
        lo=0.0,
        hi=math.pi,
        build=sweeps.centre_angle,
        xlabel="angle θ between the row and its class centre (rad)",
        axis="angle",
        description=f"{name}: row (cos θ, sin θ), label 0; class centres (1, 0), (0, 1), (-1, 0)",
    )


_ARCFACE = Case(
    name="arcface",
    make_inputs=_margin_softmax_inputs(arc=True),
    oracle=arcface,
    reduce_oracle=reduce_arcface,
    options=(
        {},
        {"margin": 0.2, "scale": 10.0},
        {"margin": 1.0, "scale": 30.0, "_labels": "int32"},
        {"scale": 1.0, "_labels": "uint8"},
    ),
    differentiable=("embeddings", "class_centers"),
    edges=_margin_softmax_edges(arc=True),
    cancels=True,
    sweep=_centre_sweep("ArcFace"),
    fuzz=Fuzz(
        no_perfect="a cross-entropy over finite logits is > 0",
        not_permutable=_CLASSLESS,
        no_broadcast="class_centers (C, D) holds the classes, not per-row values",
    ),
    invalid_options={"margin": [-1.0, math.pi, 4.0], "scale": [0.0, -1.0]},
    shared=("class_centers",),
)

_COSFACE = Case(
    name="cosface",
    make_inputs=_margin_softmax_inputs(arc=False),
    oracle=cosface,
    reduce_oracle=reduce_cosface,
    options=(
        {},
        {"margin": 0.1, "scale": 10.0},
        {"margin": 0.6, "scale": 30.0, "_labels": "int32"},
        {"scale": 1.0, "_labels": "uint8"},
    ),
    differentiable=("embeddings", "class_centers"),
    edges=_margin_softmax_edges(arc=False),
    cancels=True,
    sweep=_centre_sweep("CosFace"),
    fuzz=Fuzz(
        no_perfect="a cross-entropy over finite logits is > 0",
        not_permutable=_CLASSLESS,
        no_broadcast="class_centers (C, D) holds the classes, not per-row values",
    ),
    invalid_options={"margin": [-1.0], "scale": [0.0, -1.0]},
    shared=("class_centers",),
)

#: name -> Case for every metric-learning loss.
CASES: dict[str, Case] = {
    c.name: c for c in (_BATCH_TRIPLET, _BATCH_CONTRASTIVE, _SUPCON, _ARCFACE, _COSFACE, _CIRCLE, _MULTI_SIMILARITY)
}


# ==================================================================================================
# Counterparts
# ==================================================================================================


def _pml_distance(o: Options) -> Any:
    from pytorch_metric_learning import distances

    d = o.get("distance", "euclidean")
    if d == "cosine":
        return distances.CosineSimilarity()
    return distances.LpDistance(
        normalize_embeddings=bool(o.get("normalize", True)), p=2, power=2 if d == "squared" else 1
    )


def _pml_reducer(o: Options, reduction: str) -> Any:
    from pytorch_metric_learning import reducers

    if reduction == "none":
        return reducers.DoNothingReducer()
    if reduction == "sum":
        return reducers.SumReducer()
    return reducers.AvgNonZeroReducer() if o.get("nonzero_mean", True) else reducers.MeanReducer()


def _torch_zy(x: Arrays) -> tuple[Any, Any]:
    import torch

    (z,) = _torch(x["embeddings"])
    return z, torch.as_tensor(np.asarray(x["labels"]).astype(np.int64))


def _per_anchor(parts: list[Mapping[str, Any]], B: int) -> np.ndarray:
    """PML's per-triplet / per-pair losses (``DoNothingReducer``) summed per anchor."""
    out = np.zeros(B)
    for part in parts:
        losses, idx = part["losses"], part["indices"]
        if idx is None or not hasattr(losses, "detach"):
            continue  # PML's zero loss: no triplet or pair
        np.add.at(out, _np(idx[0]).astype(np.int64), _np(losses))
    return out


def _finish(value: Any, reduction: str, sw: np.ndarray | None) -> Any:
    """Per-anchor values (``"none"``) or PML's reduced value; weights by lossapi's rule."""
    if reduction == "none" or sw is not None:
        return weighted_reduce(value, reduction, sw)
    return _np(value)


def _pml_batch_triplet(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> Any:
    from pytorch_metric_learning import losses, miners

    z, y = _torch_zy(x)
    m = float(o.get("margin", 0.05))
    red = _pml_reducer(o, "none" if sw is not None else reduction)
    loss = losses.TripletMarginLoss(margin=m, distance=_pml_distance(o), reducer=red)
    mining = o.get("mining", "all")
    if mining == "hard":
        out = loss(z, y, miners.BatchHardMiner(distance=_pml_distance(o))(z, y))
    elif mining == "semihard":
        miner = miners.TripletMarginMiner(margin=m, type_of_triplets="semihard", distance=_pml_distance(o))
        out = loss(z, y, miner(z, y))
    else:
        out = loss(z, y)
    if isinstance(out, dict):
        out = _per_anchor([out["loss"]], len(y))
    return _finish(out, reduction, sw)


def _pml_batch_contrastive(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> Any:
    from pytorch_metric_learning import losses

    z, y = _torch_zy(x)
    pm, nm = float(o.get("pos_margin", 0.0)), float(o.get("neg_margin", 1.0))
    if o.get("distance", "euclidean") == "cosine":  # PML's margins are similarities then
        pm, nm = 1.0 - pm, 1.0 - nm
    red = _pml_reducer(o, "none" if sw is not None else reduction)
    out = losses.ContrastiveLoss(pos_margin=pm, neg_margin=nm, distance=_pml_distance(o), reducer=red)(z, y)
    if isinstance(out, dict):
        out = _per_anchor([out["pos_loss"], out["neg_loss"]], len(y))
    return _finish(out, reduction, sw)


def _pml_elementwise(make: Callable[[Options, Any], Any]) -> Callable[[Arrays, Options, str, np.ndarray | None], Any]:
    """A PML loss with one loss per row: ``"none"`` (and any weighted reduction) from its
    ``DoNothingReducer`` values, unweighted ``"mean"``/``"sum"`` from its own reducers (its
    default one for ``"mean"``)."""

    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> Any:
        from pytorch_metric_learning import reducers

        z, y = _torch_zy(x)
        if reduction == "none" or sw is not None:
            out = make(o, reducers.DoNothingReducer())(z, y)["loss"]["losses"]
            per = _np(out).reshape(-1) if hasattr(out, "detach") else np.zeros(len(y))  # (B,) or (B, 1)
            return weighted_reduce(per, reduction, sw)
        return _np(make(o, reducers.SumReducer() if reduction == "sum" else None)(z, y))

    return fn


def _supcon_pml(o: Options, reducer: Any) -> Any:
    from pytorch_metric_learning import losses

    return losses.SupConLoss(temperature=float(o.get("temperature", 0.1)), reducer=reducer)


def _circle_pml(o: Options, reducer: Any) -> Any:
    from pytorch_metric_learning import losses

    return losses.CircleLoss(m=float(o.get("margin", 0.4)), gamma=float(o.get("gamma", 80.0)), reducer=reducer)


def _multi_similarity_pml(o: Options, reducer: Any) -> Any:
    from pytorch_metric_learning import losses

    return losses.MultiSimilarityLoss(
        alpha=float(o.get("alpha", 2.0)),
        beta=float(o.get("beta", 50.0)),
        base=float(o.get("base", 0.5)),
        reducer=reducer,
    )


def _pml_margin_softmax(arc: bool) -> Callable[[Arrays, Options, str, np.ndarray | None], Any]:
    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> Any:
        import torch
        from pytorch_metric_learning import losses, reducers

        z, y = _torch_zy(x)
        W = _f(x["class_centers"])
        C, D = W.shape
        if arc:
            loss = losses.ArcFaceLoss(
                num_classes=C,
                embedding_size=D,
                margin=math.degrees(float(o.get("margin", 0.5))),
                scale=float(o.get("scale", 64.0)),
                reducer=reducers.DoNothingReducer(),
            )
        else:
            loss = losses.CosFaceLoss(
                num_classes=C,
                embedding_size=D,
                margin=float(o.get("margin", 0.35)),
                scale=float(o.get("scale", 64.0)),
                reducer=reducers.DoNothingReducer(),
            )
        loss.W.data = torch.as_tensor(np.ascontiguousarray(W.T))
        return weighted_reduce(loss(z, y)["loss"]["losses"], reduction, sw)

    return fn


def _keras_circle(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> Any:
    keras = _keras()
    z = _f(x["embeddings"])
    u = z / np.maximum(np.linalg.norm(z, axis=-1, keepdims=True), NORM_EPS)  # keras expects unit rows
    red = {"none": None, "sum": "sum", "mean": "sum_over_batch_size"}[reduction]
    loss = keras.losses.Circle(
        gamma=float(o.get("gamma", 80.0)), margin=float(o.get("margin", 0.4)), reduction=red, dtype="float64"
    )
    return _np(loss(np.asarray(x["labels"]).astype(np.int64), u, sample_weight=sw))


def _not_weighted_mean(o: Options, reduction: str, weighted: bool) -> bool:
    # PML and keras take no per-anchor weights in the counted means (lossapi's own rule).
    return not (weighted and reduction == "mean")


def _any(o: Options, reduction: str, weighted: bool) -> bool:
    return True


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "batch_triplet": [Counterpart("PML", _pml_batch_triplet, _not_weighted_mean, ndim=1)],
    "batch_contrastive": [Counterpart("PML", _pml_batch_contrastive, _not_weighted_mean, ndim=1)],
    "supcon": [Counterpart("PML", _pml_elementwise(_supcon_pml), _not_weighted_mean, ndim=1)],
    "circle": [
        Counterpart("PML", _pml_elementwise(_circle_pml), _not_weighted_mean, ndim=1),
        Counterpart("keras", _keras_circle, _not_weighted_mean, ndim=1),
    ],
    # PML's log(1 + sum e^x) is a logsumexp with a 0 appended: relative error ~1e-16 / loss where the
    # loss is tiny (2e-9 with base 0.8, alpha 5, beta 100).
    "multi_similarity": [Counterpart("PML", _pml_elementwise(_multi_similarity_pml), _any, rtol=1e-8, ndim=1)],
    "arcface": [Counterpart("PML", _pml_margin_softmax(arc=True), _any, ndim=1)],
    "cosface": [Counterpart("PML", _pml_margin_softmax(arc=False), _any, ndim=1)],
}
