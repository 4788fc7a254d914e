"""Conformance of the embedding losses (``lossapi.losses.embedding``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracles of the embedding losses (``lossapi.losses.embedding``).

Written from the definitions (torch's and optax's documented formulas, Hadsell et al. for the
contrastive loss, Chen et al. for NT-Xent), one vector or one pair at a time, never calling
lossapi. The vector losses take the feature axis ``axis`` and return the per-element
(``reduction="none"``) loss in float64; ``ntxent`` returns the per-anchor sum over its
positive pairs, and :func:`reduce_ntxent` the reduced value with padded rows excluded.

Signed targets: floating and integer values are used literally (torch), booleans are read
as True = 1, False = -1.

Cases
-----
Conformance cases of the embedding losses (``lossapi.losses.embedding``).

Vector losses (``cosine_distance``, ``cosine_embedding``, ``contrastive``, ``triplet_margin``)
draw ``D = 4`` features with the feature axis inserted at ``options.get("axis", -1)``; their
targets have the per-element shape. ``margin_ranking`` and ``hinge_embedding`` are
elementwise. ``ntxent`` maps the requested shape ``(..., B)`` to ``(..., B)`` batches of
``B`` embeddings (``D = 3``) with group labels in ``[0, max(1, B // 2))``: leading
dimensions are independent batches, and ``reduce_oracle`` excludes padded rows both as
anchors and as candidates.

Random inputs stay at least ``_GAP`` away from every kink (hinges at 0, ties of a swap or of
a maximum norm, zero components of an L1 difference, norms at the cosine floor). Edges visit
the special points the issue names: coincident embeddings, zero vectors, ``eps = 0``,
anchors without positives or negatives, targets other than +-1.

Case-only options: ``"_target"`` picks the encoding of signed targets: ``"signs"`` (floating
+-1, default), ``"int"`` (int64 +-1), ``"bool"``, ``"mixed"`` (floating, with 0 and 2 among
them: torch's "other values"); ``"_similar"`` the contrastive target: ``"float"`` (0/1,
default), ``"int"``, ``"bool"``, ``"soft"`` (uniform in [0, 1]); ``"_labels"`` the integer
dtype of NT-Xent labels (default int64).

Counterparts
------------
Native counterparts of the embedding losses (torch, optax, PML).

Mappings (what the documented API promises, and where each stops):

- torch's ``cosine_embedding_loss``, ``margin_ranking_loss``, ``hinge_embedding_loss`` and
  ``triplet_margin_loss`` take the same inputs and reductions (no weights). torch's
  ``cosine_embedding_loss`` accepts ``(N, D)`` inputs with ``(N,)`` targets only (``ndim=1``)
  and adds a fixed ``EPSILON = 1e-12`` to the squared norms (lossapi's default ``eps``); its
  ``triplet_margin_loss`` and ``pairwise_distance`` use the last axis and require
  ``margin > 0``. Targets go to torch as floating +-1 (or the literal mixed values): torch
  cannot negate boolean targets, and reads a boolean False as 0, not -1.
- ``cosine_distance``: ``1 - torch.nn.functional.cosine_similarity(pred, target, dim=axis,
  eps=eps)`` and ``optax.losses.cosine_distance(pred, target, epsilon=eps**2, axis=axis)``
  (optax floors the squared norm).
- optax's ``triplet_margin_loss`` is ``eps_placement="root"`` for even ``p`` (it raises the
  signed difference to the power ``p``), without ``swap``; optax's ``ntxent`` is the
  ``"mean"`` of lossapi's ``ntxent`` on ``(B, D)`` embeddings (``ndim=1``). optax losses
  are per element; ``"mean"``/``"sum"`` reduce them with NumPy.
- PML's (pytorch-metric-learning) ``NTXentLoss(temperature=T)`` on ``(B, D)`` embeddings and
  labels is lossapi's ``ntxent(temperature=T)`` ``"mean"``: its default ``MeanReducer``
  averages its per-positive-pair losses (``reduction_type="pos_pair"``), the mean over positive
  pairs; a pair whose anchor has no negatives scores 0 and still counts, and a batch without a
  positive or a negative pair gives 0, as in lossapi. Two details stay below the tolerance on
  random inputs: PML normalizes with ``F.normalize`` (norm floored at 1e-12, lossapi's squared
  norm at the machine epsilon) and adds the dtype's ``tiny`` inside the log. No weights, no
  ``"sum"``/``"none"`` (a reducer returns one value).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz, class_axis_of
from ..counterparts import Counterpart, _jnp, _np, _reduce, _torch
from ..fuzz import as_dtype_of, sign

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "contrastive",
    "cosine_distance",
    "cosine_embedding",
    "hinge_embedding",
    "margin_ranking",
    "ntxent",
    "ntxent_terms",
    "reduce_ntxent",
    "triplet_margin",
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


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _signs(t: Any) -> np.ndarray:
    t = np.asarray(t)
    return np.where(t, 1.0, -1.0) if t.dtype == bool else _f(t)


def _vectors(axis: int, *arrays: Any) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """The arrays broadcast together with the feature axis moved last, and the per-element shape."""
    full = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    ax = axis % len(full)
    out = [np.moveaxis(np.broadcast_to(_f(a), full), ax, -1) for a in arrays]
    return out, out[0].shape[:-1]


def _per_element(t: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(t), shape)


# -- cosine ---------------------------------------------------------------------------------------------


def cosine_distance(pred: Any, target: Any, eps: float = 1e-8, axis: int = -1) -> np.ndarray:
    """``1 - a.b / (max(|a|, eps) max(|b|, eps))``; 0/0 (``eps = 0``, a zero vector) gives cosine 0."""
    (a, b), shape = _vectors(axis, pred, target)
    out = np.empty(shape)
    for i in np.ndindex(shape):
        u, v = a[i], b[i]
        den = max(math.sqrt(float(np.dot(u, u))), float(eps)) * max(math.sqrt(float(np.dot(v, v))), float(eps))
        out[i] = 1.0 - (float(np.dot(u, v)) / den if den > 0 else 0.0)
    return out


def cosine_embedding(
    x1: Any, x2: Any, target: Any, margin: float = 0.0, eps: float = 1e-12, axis: int = -1
) -> np.ndarray:
    """torch's ATen formula: ``cos = a.b / sqrt((|a|^2 + eps)(|b|^2 + eps))``; ``1 - cos`` for
    ``t = 1``, ``max(0, cos - margin)`` for ``t = -1``, 0 for any other target."""
    (a, b), shape = _vectors(axis, x1, x2)
    t = _per_element(_signs(target), shape)
    out = np.empty(shape)
    for i in np.ndindex(shape):
        u, v = a[i], b[i]
        den2 = (float(np.dot(u, u)) + float(eps)) * (float(np.dot(v, v)) + float(eps))
        cos = float(np.dot(u, v)) / math.sqrt(den2) if den2 > 0 else 0.0
        if t[i] == 1:
            out[i] = 1.0 - cos
        elif t[i] == -1:
            out[i] = max(0.0, cos - float(margin))
        else:
            out[i] = 0.0
    return out


# -- distances ------------------------------------------------------------------------------------------


def contrastive(x1: Any, x2: Any, similar: Any, margin: float = 1.0, axis: int = -1) -> np.ndarray:
    """``s d^2 + (1 - s) max(0, margin - d)^2`` with the Euclidean distance ``d``."""
    (a, b), shape = _vectors(axis, x1, x2)
    s = _per_element(_f(similar), shape)
    out = np.empty(shape)
    for i in np.ndindex(shape):
        d2 = float(np.sum((a[i] - b[i]) ** 2))
        h = max(0.0, float(margin) - math.sqrt(d2))
        out[i] = s[i] * d2 + (1.0 - s[i]) * h * h
    return out


def _norm(v: np.ndarray, p: float, eps: float | None) -> float:
    """``(sum |v|^p + eps)^(1/p)`` (eps None: ``||v||_p``; ``p = inf``: ``max |v|``)."""
    a = np.abs(v)
    if p == math.inf:
        return float(np.max(a))
    s = float(np.sum(a ** float(p)))
    if eps is not None:
        s += float(eps)
    return s ** (1.0 / float(p))


def triplet_margin(
    anchor: Any,
    positive: Any,
    negative: Any,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    eps_placement: str = "difference",
    axis: int = -1,
) -> np.ndarray:
    """``max(0, margin + d(a, p) - d(a, n))``: ``d(x, y) = ||x - y + eps||_p`` (torch's
    ``pairwise_distance``) or ``(sum |x - y|^p + eps)^(1/p)`` (optax, ``eps_placement="root"``);
    ``swap``: ``d(a, n)`` replaced by ``min(d(a, n), d(p, n))``."""
    (a, ps, n), shape = _vectors(axis, anchor, positive, negative)

    def dist(x: np.ndarray, y: np.ndarray) -> float:
        if eps_placement == "root":
            return _norm(x - y, p, eps)
        return _norm(x - y + float(eps), p, None)

    out = np.empty(shape)
    for i in np.ndindex(shape):
        d_pos = dist(a[i], ps[i])
        d_neg = dist(a[i], n[i])
        if swap:
            d_neg = min(d_neg, dist(ps[i], n[i]))
        out[i] = max(0.0, float(margin) + d_pos - d_neg)
    return out


# -- elementwise pair losses ----------------------------------------------------------------------------


def margin_ranking(x1: Any, x2: Any, target: Any, margin: float = 0.0) -> np.ndarray:
    """``max(0, -t (x1 - x2) + margin)``."""
    a, b, t = np.broadcast_arrays(_f(x1), _f(x2), _signs(target))
    out = np.empty(a.shape)
    for i in np.ndindex(a.shape):
        out[i] = max(0.0, -t[i] * (a[i] - b[i]) + float(margin))
    return out


def hinge_embedding(distances: Any, target: Any, margin: float = 1.0) -> np.ndarray:
    """torch: ``x`` where ``t == 1``, ``max(0, margin - x)`` where ``t == -1``, both otherwise."""
    x, t = np.broadcast_arrays(_f(distances), _signs(target))
    out = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        v = 0.0
        if t[i] != 1:
            v += max(0.0, float(margin) - x[i])
        if t[i] != -1:
            v += x[i]
        out[i] = v
    return out


# -- NT-Xent -----------------------------------------------------------------------------------------


def ntxent_terms(
    embeddings: Any, labels: Any, temperature: float = 0.07, kept: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per anchor (shape ``embeddings.shape[:-1]``): the sum over its positive pairs of
    ``-log(e^{c_ij/T} / (e^{c_ij/T} + sum_{k in N(i)} e^{c_ik/T}))`` and the number of positive
    pairs. Rows with ``kept`` False are neither anchors nor candidates."""
    z = _f(embeddings)
    y = np.asarray(labels)
    shape = z.shape[:-1]
    keep = np.ones(shape, dtype=bool) if kept is None else np.broadcast_to(np.asarray(kept, dtype=bool), shape)
    loss, count = np.zeros(shape), np.zeros(shape)
    T = float(temperature)
    eps = float(np.finfo(np.float64).eps)
    for lead in np.ndindex(shape[:-1]):
        zb, yb, kb = z[lead], y[lead], keep[lead]
        B = zb.shape[0]
        # optax: each row divided by sqrt(max(|z|^2, eps)).
        u = [zb[i] / math.sqrt(max(float(np.dot(zb[i], zb[i])), eps)) for i in range(B)]
        c = [[float(np.dot(u[i], u[k])) / T for k in range(B)] for i in range(B)]
        for i in range(B):
            if not kb[i]:
                continue
            negs = [c[i][k] for k in range(B) if kb[k] and yb[k] != yb[i]]
            for j in range(B):
                if j == i or not kb[j] or yb[j] != yb[i]:
                    continue
                at = (*lead, i)  # named: mypy (3.11+ AST) takes t[(*a, b)] for the 3.11-only t[*a, b]
                count[at] += 1
                # log(e^{c_ij} + sum e^{c_ik}) - c_ij = log1p(sum e^{c_ik - c_ij}): no cancellation.
                loss[at] += math.log1p(sum(math.exp(n - c[i][j]) for n in negs))
    return loss, count


def ntxent(embeddings: Any, labels: Any, temperature: float = 0.07) -> np.ndarray:
    """Per-anchor sum of its positive pairs' NT-Xent terms (``reduction="none"``)."""
    return ntxent_terms(embeddings, labels, temperature)[0]


def reduce_ntxent(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray | np.float64:
    """Reduced NT-Xent: padded rows (``where`` False) excluded as anchors and as candidates;
    ``"mean"`` = ``sum_i w_i L_i / sum_i w_i |P(i)|`` (optax's mean over positive pairs)."""
    loss, count = ntxent_terms(inputs["embeddings"], inputs["labels"], options.get("temperature", 0.07), where)
    w = np.ones(loss.shape)
    if sample_weight is not None:
        w = w * np.broadcast_to(_f(sample_weight), loss.shape)
    if where is not None:
        w = np.where(np.broadcast_to(np.asarray(where, dtype=bool), loss.shape), w, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(count * w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den


# ==================================================================================================
# Cases
# ==================================================================================================

_GAP = 1e-2
_TRIES = 1000
_D = 4


def _to_axis(x: np.ndarray, options: Options) -> np.ndarray:
    """``x`` (features last) with the feature axis moved to ``options["axis"]``."""
    return np.moveaxis(x, -1, class_axis_of(options, x.ndim))


def _redraw(
    rng: np.random.Generator,
    draw: Callable[[tuple[int, ...]], Inputs],
    bad: Callable[[Inputs], np.ndarray],
    shape: tuple[int, ...],
) -> Inputs:
    """``draw(shape)`` with the elements where ``bad(inputs)`` (per-element bool) redrawn."""
    x = draw(shape)
    for _ in range(_TRIES):
        b = bad(x)
        if not b.any():
            return x
        y = draw(shape)
        x = {k: np.where(b.reshape(b.shape + (1,) * (v.ndim - b.ndim)), y[k], v) for k, v in x.items()}
    raise RuntimeError("could not draw inputs away from the kinks")  # pragma: no cover


def _signed(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> np.ndarray:
    kind = options.get("_target", "signs")
    if kind == "mixed":
        return rng.choice([-1.0, 1.0, 0.0, 2.0], size=shape, p=[0.4, 0.4, 0.1, 0.1])
    t = rng.choice([-1.0, 1.0], size=shape)
    if kind == "int":
        return t.astype(np.int64)
    if kind == "bool":
        return t > 0
    return t


def _sign_values(t: np.ndarray) -> np.ndarray:
    return np.where(t, 1.0, -1.0) if t.dtype == bool else t.astype(np.float64)


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _feature_axis_sign(x: Inputs, o: Options, vec: str, sign_key: str) -> np.ndarray:
    """The per-element sign target expanded along the feature axis of ``vec``."""
    v = np.asarray(x[vec])
    return np.expand_dims(sign(x[sign_key]), class_axis_of(o, v.ndim))


def _perfect_cosine_distance(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    # pred == target: cos = |a|^2 / max(|a|, eps)^2, 1 for |a| >= eps (eps=0.3 is a case option).
    t = np.asarray(x["target"], dtype=np.float64)
    n2 = np.sum(t * t, axis=class_axis_of(o, t.ndim))
    eps = float(o.get("eps", 1e-8))
    den = np.maximum(np.sqrt(n2), eps) ** 2
    return {**x, "pred": t}, 1.0 - np.where(den > 0, n2 / np.where(den > 0, den, 1.0), 0.0)


def _perfect_cosine_embedding(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    # x2 = sign(t) x1: cos = sign(t) |a|^2 / (|a|^2 + eps) (torch's eps placement), i.e. +-1 up
    # to eps: 1 - cos for t == 1, max(0, cos - margin) for t == -1, 0 for any other target.
    s = _feature_axis_sign(x, o, "x1", "target")
    x1 = np.asarray(x["x1"], dtype=np.float64)
    n2 = np.sum(x1 * x1, axis=class_axis_of(o, x1.ndim))
    eps = float(o.get("eps", 1e-12))
    cos = np.squeeze(s, class_axis_of(o, x1.ndim)) * n2 / (n2 + eps)
    t = np.asarray(x["target"])
    t = sign(t) if t.dtype == bool else t.astype(np.float64)
    m = float(o.get("margin", 0.0))
    want = np.where(t == 1, 1.0 - cos, np.where(t == -1, np.maximum(0.0, cos - m), 0.0))
    return {**x, "x2": x1 * s}, want


def _perfect_contrastive(x: Inputs, o: Options) -> Inputs:
    sim = np.asarray(x["similar"])
    hard = sim.astype(np.float64) > 0.5
    x1 = np.asarray(x["x1"], dtype=np.float64)
    m = float(o.get("margin", 1.0))
    # Similar pairs coincide (d = 0); dissimilar ones are (m + 1) apart in every feature.
    keep = np.expand_dims(hard, class_axis_of(o, x1.ndim))
    return {**x, "similar": as_dtype_of(hard, sim), "x2": np.where(keep, x1, x1 + (m + 1.0))}


def _perfect_triplet(x: Inputs, o: Options) -> Inputs:
    a = np.asarray(x["anchor"], dtype=np.float64)
    m = float(o.get("margin", 1.0))
    # d(a, p) = 0 (+eps) and d(a, n) = d(p, n) >= m + 1: max(0, m + d_ap - d_an) = 0.
    return {**x, "positive": a, "negative": a + (m + 1.0)}


def _perfect_margin_ranking(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    # max(0, -t (x1 - x2) + m): targets are used as given (torch), so t = 0 leaves max(0, m).
    m = float(o.get("margin", 0.0))
    t = np.asarray(x["target"]).astype(np.float64) if np.asarray(x["target"]).dtype != bool else sign(x["target"])
    x1 = np.asarray(x["x1"], dtype=np.float64)
    return {**x, "x2": x1 - np.sign(t) * (abs(m) + 1.0)}, np.where(t == 0, max(m, 0.0), 0.0)


def _perfect_hinge_embedding(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    # torch: d where t == 1, max(0, m - d) where t == -1, both for any other target (0, 2),
    # whose minimum is m (at 0 <= d <= m).
    m = float(o.get("margin", 1.0))
    t = np.asarray(x["target"])
    t = sign(t) if t.dtype == bool else t.astype(np.float64)
    return {**x, "distances": np.where(t == -1, m + 1.0, 0.0)}, np.where((t == 1) | (t == -1), 0.0, m)


def _ntxent_count(x: Inputs, o: Options) -> np.ndarray:
    y = np.asarray(x["labels"]).astype(np.int64)
    same = y[..., :, None] == y[..., None, :]
    return np.sum(same, axis=-1) - 1.0  # positives of each anchor: same label, not itself


# -- cosine ---------------------------------------------------------------------------------------------


def _cosine_distance_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    eps = float(options.get("eps", 1e-8))

    def draw(s: tuple[int, ...]) -> Inputs:
        return {"pred": rng.normal(0.0, 1.0, (*s, _D)), "target": rng.normal(0.0, 1.0, (*s, _D))}

    def bad(x: Inputs) -> np.ndarray:  # away from the norm floor (a kink of the gradient)
        return (np.abs(np.linalg.norm(x["pred"], axis=-1) - eps) < _GAP) | (
            np.abs(np.linalg.norm(x["target"], axis=-1) - eps) < _GAP
        )

    x = _redraw(rng, draw, bad, shape)
    return {k: _to_axis(v, options) for k, v in x.items()}


def _pt(pred: Any, target: Any) -> Inputs:
    return {"pred": _f(pred), "target": _f(target)}


_ROW = [0.3, -1.2, 0.8, 0.5]  # a generic row: keeps the typical loss O(1) next to zero-loss rows

_COSINE_DISTANCE = Case(
    name="cosine_distance",
    make_inputs=_cosine_distance_inputs,
    oracle=cosine_distance,
    options=({}, {"eps": 0.0}, {"eps": 0.3}, {"axis": 0}, {"axis": 1, "eps": 1e-4}),
    differentiable=("pred", "target"),
    edges=(
        Edge("coincident vectors", _pt([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0.0, 0.0, 1.0]])),
        Edge(
            "opposite and parallel vectors",
            _pt([[1.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]], [[-2.0, -4.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0]]),
        ),
        # Zero vectors: cosine 0 (distance 1) with finite gradients; the derivative below the
        # floor (gradient b / (eps |b|)) is not resolvable by finite differences at eps = 1e-8.
        Edge("zero vector", _pt([[0.0, 0.0, 0.0, 0.0], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0.0, 0.0, 1.0]])),
        Edge(
            "zero vector, eps = 0.5 (inside the floor)",
            _pt([[0.0, 0.0, 0.0, 0.0], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0.0, 0.0, 1.0]]),
            {"eps": 0.5},
        ),
        Edge(
            "zero vector, eps = 0",
            _pt([[0.0, 0.0, 0.0, 0.0], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0.0, 0.0, 1.0]]),
            {"eps": 0.0},
        ),
        Edge(
            "both zero, eps = 0",
            _pt([[0.0, 0.0, 0.0, 0.0], _ROW], [[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]]),
            {"eps": 0.0},
        ),
        Edge(
            "tiny and huge vectors",
            _pt([[1e-3, 2e-3, 0.0, 1e-3], [1e3, -2e3, 5e2, 0.0]], [[1.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]]),
        ),
        Edge(
            "feature axis 0",
            _pt(np.array([[1.0, 2.0, -0.5, 0.25], _ROW]).T, np.array([[0.0, 0.0, 0.0, 0.0], _ROW]).T),
            {"axis": 0},
        ),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        lo=0.0,
        hi=math.pi,
        build=sweeps.angle_pair,
        xlabel="angle θ between pred and target (rad)",
        description="2-D vectors (cos θ, sin θ) and (1, 0)",
        axis="angle",
    ),
    fuzz=Fuzz(perfect=_perfect_cosine_distance),
)


def _cosine_embedding_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 0.0))
    eps = float(options.get("eps", 1e-12))

    def draw(s: tuple[int, ...]) -> Inputs:
        return {
            "x1": rng.normal(0.0, 1.0, (*s, _D)),
            "x2": rng.normal(0.0, 1.0, (*s, _D)),
            "target": _signed(rng, s, options),
        }

    def bad(x: Inputs) -> np.ndarray:
        a, b = x["x1"], x["x2"]
        cos = np.sum(a * b, -1) / np.sqrt((np.sum(a * a, -1) + eps) * (np.sum(b * b, -1) + eps))
        return np.abs(cos - m) < _GAP  # the hinge of a dissimilar pair

    x = _redraw(rng, draw, bad, shape)
    return {"x1": _to_axis(x["x1"], options), "x2": _to_axis(x["x2"], options), "target": x["target"]}


def _xxt(x1: Any, x2: Any, target: Any) -> Inputs:
    t = np.asarray(target)
    return {"x1": _f(x1), "x2": _f(x2), "target": t if t.dtype.kind in "iub" else _f(t)}


_COSINE_EMBEDDING = Case(
    name="cosine_embedding",
    make_inputs=_cosine_embedding_inputs,
    oracle=cosine_embedding,
    options=(
        {},
        {"margin": 0.25},
        {"margin": -0.5, "_target": "int"},
        {"eps": 0.0, "_target": "bool"},
        {"eps": 1e-3, "axis": 0},
        {"_target": "mixed", "margin": 0.1},
        {"axis": 1, "_target": "int"},
    ),
    differentiable=("x1", "x2"),
    edges=(
        Edge(
            "coincident embeddings",
            _xxt([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0, 0, 1.0]], [1.0, 1.0]),
        ),
        Edge("coincident, dissimilar", _xxt([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]], [-1.0])),
        Edge(
            "zero vector",
            _xxt(
                [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], _ROW],
                [[1.0, 2.0, -0.5, 0.25], [1.0, 2.0, -0.5, 0.25], [1.0, 0, 0, 1.0]],
                [1.0, -1.0, 1.0],
            ),
        ),
        Edge(
            "zero vectors, eps = 0",
            _xxt(
                [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], _ROW],
                [[1.0, 2.0, -0.5, 0.25], [0.0, 0.0, 0.0, 0.0], [1.0, 0, 0, 1.0]],
                [1.0, -1.0, 1.0],
            ),
            {"eps": 0.0},
        ),
        Edge(
            "hinge kink cos = margin",
            _xxt([[1.0, 0.0, 0.0, 0.0], _ROW], [[1.0, 1.0, 0.0, 0.0], [1.0, 0, 0, 1.0]], [-1.0, 1.0]),
            {"margin": 0.7071067811865476},
            kink=True,
        ),
        Edge(
            "targets other than +-1 give 0",
            _xxt([_ROW, _ROW, _ROW], [[1.0, 0, 0, 1.0], [0, 1.0, 0, 0], [1.0, 1, 1, 1]], [0.0, 2.0, 1.0]),
        ),
        Edge(
            "boolean targets",
            _xxt([_ROW, _ROW], [[1.0, 0, 0, 1.0], [0, 1.0, 0, 0]], np.array([True, False])),
            {"margin": -0.5},
        ),
        Edge(
            "int32 targets",
            _xxt([_ROW, _ROW], [[1.0, 0, 0, 1.0], [0, 1.0, 0, 0]], np.array([1, -1], np.int32)),
            {"margin": -0.5},
        ),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        lo=0.0,
        hi=math.pi,
        xlabel="angle θ between x1 and x2 (rad)",
        axis="angle",
        description="2-D vectors (cos θ, sin θ) and (1, 0); target 1 (and -1)",
        build=lambda xp, x, t: (*sweeps.angle_pair(xp, x), sweeps.full(xp, x, t)),
        lines=(sweeps.Line("target 1", {"t": 1.0}), sweeps.Line("target -1", {"t": -1.0})),
    ),
    fuzz=Fuzz(perfect=_perfect_cosine_embedding),
    invalid_options={"margin": [-1.5, 1.5]},
)


# -- distances ------------------------------------------------------------------------------------------


def _contrastive_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    kind = options.get("_similar", "float")
    m = float(options.get("margin", 1.0))

    def draw(s: tuple[int, ...]) -> Inputs:
        sim = rng.random(s) if kind == "soft" else (rng.random(s) < 0.5).astype(np.float64)
        return {"x1": rng.normal(0.0, 0.5, (*s, _D)), "x2": rng.normal(0.0, 0.5, (*s, _D)), "similar": sim}

    def bad(x: Inputs) -> np.ndarray:  # C1 at d = margin; kept away for clean finite differences
        return np.abs(np.linalg.norm(x["x1"] - x["x2"], axis=-1) - m) < _GAP

    x = _redraw(rng, draw, bad, shape)
    s = x["similar"]
    if kind == "int":
        s = s.astype(np.int64)
    elif kind == "bool":
        s = s > 0.5
    return {"x1": _to_axis(x["x1"], options), "x2": _to_axis(x["x2"], options), "similar": s}


def _xxs(x1: Any, x2: Any, similar: Any) -> Inputs:
    s = np.asarray(similar)
    return {"x1": _f(x1), "x2": _f(x2), "similar": s if s.dtype.kind in "iub" else _f(s)}


_CONTRASTIVE = Case(
    name="contrastive",
    make_inputs=_contrastive_inputs,
    oracle=contrastive,
    options=(
        {},
        {"margin": 2.0},
        {"margin": 0.5, "_similar": "bool"},
        {"_similar": "soft", "axis": 0},
        {"_similar": "int", "margin": 0.0},
        {"axis": 1, "_similar": "soft"},
    ),
    differentiable=("x1", "x2"),
    edges=(
        # d = 0: d^2 has gradient 0; max(0, m - d)^2 is a cone there (0 is the minimum-norm subgradient).
        Edge(
            "coincident, similar",
            _xxs([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [0.0, 0, 0, 0]], [1.0, 1.0]),
        ),
        Edge(
            "coincident, dissimilar (d = 0)",
            _xxs([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [0.0, 0, 0, 0]], [0.0, 0.0]),
            kink=True,
        ),
        Edge(
            "zero vectors, dissimilar",
            _xxs([[0.0, 0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0, 0.0]], [0.0]),
            {"margin": 2.0},
            kink=True,
        ),
        Edge(
            "d = margin (C1)",
            _xxs(
                [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], [[0.6, 0.8, 0.0, 0.0], [0.6, 0.8, 0.0, 0.0]], [0.0, 1.0]
            ),
        ),
        Edge(
            "boolean and soft targets",
            _xxs([_ROW, _ROW], [[0.0, 0.0, 0.0, 0.0], [1.0, 0, 0, 0]], np.array([True, False])),
            {"margin": 2.0},
        ),
        Edge(
            "int32 targets, feature axis 0",
            _xxs(
                np.array([_ROW, _ROW]).T, np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 0, 0, 0]]).T, np.array([1, 0], np.int32)
            ),
            {"axis": 0, "margin": 2.0},
        ),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        lo=0.0,
        hi=2.5,
        xlabel="distance d = |x1 - x2|",
        axis="distance",
        description="1-D embeddings x1 = d, x2 = 0; similar (and dissimilar) pair",
        build=lambda xp, x, s: (sweeps.cols(xp, x, x), sweeps.cols(xp, x, 0.0), sweeps.full(xp, x, s)),
        lines=(sweeps.Line("similar", {"s": 1.0}), sweeps.Line("dissimilar", {"s": 0.0})),
    ),
    fuzz=Fuzz(perfect=_perfect_contrastive),
)


def _p_of(options: Options) -> float:
    return float(options.get("p", 2))


def _triplet_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 1.0))
    p = _p_of(options)
    eps = float(options.get("eps", 1e-6))
    root = options.get("eps_placement", "difference") == "root"
    swap = bool(options.get("swap", False))

    def draw(s: tuple[int, ...]) -> Inputs:
        return {k: rng.normal(0.0, 0.6, (*s, _D)) for k in ("anchor", "positive", "negative")}

    def vec(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x - y if root else x - y + eps

    def dist(v: np.ndarray) -> np.ndarray:
        a = np.abs(v)
        if p == math.inf:
            return a.max(-1)
        return (np.sum(a**p, -1) + (eps if root else 0.0)) ** (1.0 / p)

    def bad(x: Inputs) -> np.ndarray:
        a, ps, n = x["anchor"], x["positive"], x["negative"]
        vs = [vec(a, ps), vec(a, n), vec(ps, n)]
        dp, dn, ds = (dist(v) for v in vs)
        dneg = np.minimum(dn, ds) if swap else dn
        out = np.abs(m + dp - dneg) < _GAP
        if swap:
            out |= np.abs(dn - ds) < _GAP
        if p < 2:  # |v| is a kink of |v|^p (p = 1) or its derivative is unbounded there (p < 1)
            for v in vs:
                out |= np.any(np.abs(v) < _GAP, axis=-1)
        if p == math.inf:  # ties in the maximum
            for v in vs:
                top = np.sort(np.abs(v), axis=-1)
                out |= top[..., -1] - top[..., -2] < _GAP
        return out

    x = _redraw(rng, draw, bad, shape)
    return {k: _to_axis(v, options) for k, v in x.items()}


def _apn(a: Any, p: Any, n: Any) -> Inputs:
    return {"anchor": _f(a), "positive": _f(p), "negative": _f(n)}


_TRIPLET_MARGIN = Case(
    name="triplet_margin",
    make_inputs=_triplet_inputs,
    oracle=triplet_margin,
    options=(
        {},
        {"p": 1},
        {"p": 3},
        {"p": 1.5, "margin": 0.5},
        {"eps": 0.0},
        {"eps": 1e-3, "swap": True},
        {"swap": True, "margin": 0.5, "p": 1},
        {"eps_placement": "root"},
        {"eps_placement": "root", "eps": 0.1, "p": 4, "margin": 2.0},
        {"margin": 2.0, "axis": 0},
        {"p": math.inf, "axis": 1},
        {"margin": 0.0, "swap": True},
    ),
    differentiable=("anchor", "positive", "negative"),
    edges=(
        # Coincident anchor and positive: ||eps 1||_p > 0, finite; with eps = 0 the norm's
        # gradient at the zero vector is 0 (torch's own convention).
        Edge(
            "anchor = positive",
            _apn(
                [[1.0, 2.0, -0.5, 0.25], _ROW],
                [[1.0, 2.0, -0.5, 0.25], [0.0, 0, 0, 0]],
                [[1.5, 2.0, -0.5, 0.25], [0.0, 1, 0, 0]],
            ),
        ),
        Edge(
            "anchor = positive, eps = 0",
            _apn(
                [[1.0, 2.0, -0.5, 0.25], _ROW],
                [[1.0, 2.0, -0.5, 0.25], [0.0, 0, 0, 0]],
                [[1.5, 2.0, -0.5, 0.25], [0.0, 1, 0, 0]],
            ),
            {"eps": 0.0},
            kink=True,
        ),
        Edge(
            "all three equal, eps = 0",
            _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]]),
            {"eps": 0.0},
            kink=True,
        ),
        Edge(
            "anchor = positive, eps = 0, p = 1",
            _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]], [[1.5, 2.0, -0.5, 0.25]]),
            {"eps": 0.0, "p": 1},
            kink=True,
        ),
        Edge(
            "anchor = positive, eps = 0, p = 3",
            _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]], [[1.5, 2.0, -0.5, 0.25]]),
            {"eps": 0.0, "p": 3},
            kink=True,
        ),
        Edge(
            "anchor - positive = -eps (zero difference vector)",
            _apn([[1.0, 2.0, -0.5, 0.25]], [[1.25, 2.25, -0.25, 0.5]], [[3.0, 2.0, -0.5, 0.25]]),
            {"eps": 0.25},
            kink=True,
        ),
        Edge(
            "anchor = positive, root placement",
            _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]], [[1.5, 2.0, -0.5, 0.25]]),
            {"eps_placement": "root"},
        ),
        Edge(
            "anchor = positive, root placement, eps = 0",
            _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]], [[1.5, 2.0, -0.5, 0.25]]),
            {"eps_placement": "root", "eps": 0.0},
            kink=True,
        ),
        Edge(
            "positive = negative, swap",
            _apn([[1.0, 2.0, -0.5, 0.25]], [[0.0, 1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0, 0.0]]),
            {"swap": True, "eps": 0.0},
            kink=True,
        ),
        Edge(
            "hinge kink",
            _apn([[0.0, 0.0, 0.0, 0.0]], [[3.0, 4.0, 0.0, 0.0]], [[0.0, 6.0, 0.0, 0.0]]),
            {"eps": 0.0},
            kink=True,
        ),
        Edge(
            "far negatives (zero loss)", _apn([[0.0, 0.0, 0.0, 0.0]], [[0.1, 0.0, 0.0, 0.0]], [[30.0, 0.0, 0.0, 0.0]])
        ),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        lo=0.0,
        hi=3.0,
        xlabel="distance anchor-negative d(a, n)",
        axis="distance",
        description="1-D embeddings: anchor 0, positive 1, negative d",
        build=lambda xp, x: (sweeps.cols(xp, x, 0.0), sweeps.cols(xp, x, 1.0), sweeps.cols(xp, x, x)),
    ),
    fuzz=Fuzz(perfect=_perfect_triplet),
    invalid_options={"eps": [], "p": [0, -1.0]},  # eps may be negative, as in torch
)


# -- elementwise pair losses ----------------------------------------------------------------------------


def _margin_ranking_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 0.0))
    t = _signed(rng, shape, options)
    tv = _sign_values(t)

    def draw(s: tuple[int, ...]) -> Inputs:
        return {"x1": rng.normal(0.0, 1.0, s), "x2": rng.normal(0.0, 1.0, s)}

    def bad(x: Inputs) -> np.ndarray:
        return np.abs(m - tv * (x["x1"] - x["x2"])) < _GAP

    x = _redraw(rng, draw, bad, shape)
    return {"x1": x["x1"], "x2": x["x2"], "target": t}


_MARGIN_RANKING = Case(
    name="margin_ranking",
    make_inputs=_margin_ranking_inputs,
    oracle=margin_ranking,
    options=(
        {},
        {"margin": 0.5},
        {"margin": -0.25, "_target": "int"},
        {"_target": "bool", "margin": 1.0},
        {"_target": "mixed", "margin": 0.3},
    ),
    differentiable=("x1", "x2"),
    edges=(
        Edge("kink", _xxt([1.0, 2.0, 0.5], [1.0, 1.5, 1.0], [1.0, 1.0, -1.0]), {"margin": 0.5}, kink=True),
        Edge("zero target (loss = margin)", _xxt([1.0, -2.0], [0.0, 3.0], [0.0, 0.0]), {"margin": 0.5}),
        Edge("boolean targets", _xxt([1.0, 2.0, 0.5], [0.0, 2.5, 1.0], np.array([True, False, False]))),
        Edge("int8 targets", _xxt([1.5, 2.0, 0.5], [0.0, 2.5, 1.0], np.array([1, -1, 1], np.int8)), {"margin": 1.0}),
        Edge("large scores", _xxt([1e3, -1e3], [-1e3, 1e3], [1.0, 1.0])),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        **{
            **sweeps.MARGIN,
            "xlabel": "score gap x1 - x2 (target 1)",
            "description": "x1 = gap, x2 = 0, target 1",
            "build": lambda xp, x: (x, sweeps.full(xp, x, 0.0), sweeps.full(xp, x, 1.0)),
        }
    ),
    fuzz=Fuzz(perfect=_perfect_margin_ranking),
    invalid_options={"margin": []},  # any finite margin, negative too, as in torch
)


def _hinge_embedding_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 1.0))
    t = _signed(rng, shape, options)

    def draw(s: tuple[int, ...]) -> Inputs:
        return {"distances": rng.uniform(0.0, 3.0, s)}

    def bad(x: Inputs) -> np.ndarray:
        return np.abs(m - x["distances"]) < _GAP

    x = _redraw(rng, draw, bad, shape)
    return {"distances": x["distances"], "target": t}


def _dt(d: Any, t: Any) -> Inputs:
    t = np.asarray(t)
    return {"distances": _f(d), "target": t if t.dtype.kind in "iub" else _f(t)}


_HINGE_EMBEDDING = Case(
    name="hinge_embedding",
    make_inputs=_hinge_embedding_inputs,
    oracle=hinge_embedding,
    options=(
        {},
        {"margin": 2.0},
        {"margin": 0.5, "_target": "int"},
        {"_target": "bool"},
        {"_target": "mixed", "margin": 1.5},
    ),
    differentiable=("distances",),
    edges=(
        Edge("kink x = margin", _dt([1.0, 1.0, 0.5], [-1.0, 1.0, -1.0]), kink=True),
        Edge("zero distance", _dt([0.0, 0.0], [1.0, -1.0])),
        Edge("targets other than +-1 pay both terms", _dt([0.25, 1.5, 2.0], [0.0, 2.0, -2.0])),
        Edge("boolean targets", _dt([0.25, 1.5, 0.5], np.array([True, False, False])), {"margin": 2.0}),
        Edge("uint8 targets (0 pays both terms)", _dt([0.25, 1.5], np.array([1, 0], np.uint8))),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        lo=0.0,
        hi=3.0,
        xlabel="distance x",
        axis="distance",
        description="distance x, target 1 (similar) and -1 (dissimilar)",
        build=sweeps.binary,
        lines=(sweeps.Line("target 1", {"t": 1.0}), sweeps.Line("target -1", {"t": -1.0})),
    ),
    fuzz=Fuzz(perfect=_perfect_hinge_embedding),
    invalid_options={"margin": []},  # any finite margin, negative too, as in torch
)


# -- NT-Xent ---------------------------------------------------------------------------------------------

_NT_D = 3


def _ntxent_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    B = shape[-1] if shape else 1
    z = rng.normal(0.0, 1.0, (*shape, _NT_D))
    y = rng.integers(0, max(1, B // 2), shape)
    return {"embeddings": z, "labels": y.astype(options.get("_labels", "int64"))}


def _zy(z: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    return {"embeddings": _f(z), "labels": np.asarray(y, dtype=dtype)}


_Z4 = [[1.0, 0.5, -0.25], [0.2, -1.0, 0.4], [-0.7, 0.3, 1.1], [0.9, 0.8, -0.6]]

_NTXENT = Case(
    name="ntxent",
    make_inputs=_ntxent_inputs,
    oracle=ntxent,
    reduce_oracle=reduce_ntxent,
    options=(
        {},
        {"temperature": 0.5},
        {"temperature": 1.0, "_labels": "int32"},
        {"temperature": 0.02},
        {"_labels": "uint8", "temperature": 0.2},
    ),
    differentiable=("embeddings",),
    edges=(
        Edge(
            "coincident embeddings",
            _zy([[1.0, 0.5, -0.25], [1.0, 0.5, -0.25], [0.2, -1.0, 0.4], [0.2, -1.0, 0.4]], [0, 0, 1, 1]),
        ),
        # A zero row has cosine 0 with every row; its gradient (1 / sqrt(eps) scale) is finite.
        Edge("zero embedding", _zy([[0.0, 0.0, 0.0], *_Z4[1:]], [0, 0, 1, 1])),
        Edge("anchors without positives", _zy(_Z4, [0, 1, 1, 2])),
        Edge("no negatives", _zy(_Z4, [3, 3, 3, 3])),
        Edge("no positive pair at all", _zy(_Z4, [0, 1, 2, 3])),
        Edge("small temperature", _zy(_Z4, [0, 0, 1, 1]), {"temperature": 0.01}),
        Edge("large temperature", _zy(_Z4, [0, 1, 0, 1]), {"temperature": 100.0}),
        Edge("batch dimensions, int32 labels", _zy([_Z4[:3], _Z4[1:]], [[0, 0, 1], [2, 1, 2]], np.int32)),
        Edge("single row", _zy([_Z4[0]], [0])),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        lo=0.0,
        hi=math.pi,
        build=sweeps.ntxent_batch,
        xlabel="angle θ between the positive pair (rad)",
        axis="angle",
        description="one batch per point: anchor (1, 0), positive (cos θ, sin θ), negative (-1, 0)",
    ),
    fuzz=Fuzz(
        no_perfect="the negatives' exp(sim/T) > 0 in the denominator: the infimum 0 is not attained",
        mean_rule="optax: sum(w*L_i) / sum(w*|P(i)|), the mean over positive pairs",
        mean_weight=_ntxent_count,
    ),
)

#: name -> Case for every embedding loss.
CASES: dict[str, Case] = {
    c.name: c
    for c in (
        _COSINE_DISTANCE,
        _COSINE_EMBEDDING,
        _CONTRASTIVE,
        _TRIPLET_MARGIN,
        _MARGIN_RANKING,
        _HINGE_EMBEDDING,
        _NTXENT,
    )
}


# ==================================================================================================
# Counterparts
# ==================================================================================================


def _last_axis(o: Options) -> bool:
    return o.get("axis", -1) == -1


# -- cosine ---------------------------------------------------------------------------------------------


def _torch_cosine_distance(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    a, b = _torch(x["pred"], x["target"])
    return _reduce(1 - F.cosine_similarity(a, b, dim=int(o.get("axis", -1)), eps=float(o.get("eps", 1e-8))), reduction)


def _optax_cosine_distance(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    eps = float(o.get("eps", 1e-8))
    out = optax.losses.cosine_distance(
        jnp.asarray(x["pred"]), jnp.asarray(x["target"]), epsilon=eps**2, axis=int(o.get("axis", -1))
    )
    return _reduce(out, reduction)


def _unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return not weighted


def _torch_cosine_embedding(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    a, b, t = _torch(x["x1"], x["x2"], _signs(x["target"]))
    return _np(F.cosine_embedding_loss(a, b, t, margin=float(o.get("margin", 0.0)), reduction=reduction))


def _torch_cosine_embedding_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return not weighted and o.get("axis", -1) in (-1, 1) and float(o.get("eps", 1e-12)) == 1e-12


# -- triplet --------------------------------------------------------------------------------------------


def _torch_triplet(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    a, p, n = _torch(x["anchor"], x["positive"], x["negative"])
    return _np(
        F.triplet_margin_loss(
            a,
            p,
            n,
            margin=float(o.get("margin", 1.0)),
            p=float(o.get("p", 2)),
            eps=float(o.get("eps", 1e-6)),
            swap=bool(o.get("swap", False)),
            reduction=reduction,
        )
    )


def _torch_triplet_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return (
        not weighted
        and _last_axis(o)
        and o.get("eps_placement", "difference") == "difference"
        and float(o.get("margin", 1.0)) > 0
    )


def _optax_triplet(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    out = optax.losses.triplet_margin_loss(
        jnp.asarray(x["anchor"]),
        jnp.asarray(x["positive"]),
        jnp.asarray(x["negative"]),
        axis=int(o.get("axis", -1)),
        norm_degree=o.get("p", 2),
        margin=float(o.get("margin", 1.0)),
        eps=float(o.get("eps", 1e-6)),
    )
    return _reduce(out, reduction)


def _optax_triplet_ok(o: Options, reduction: str, weighted: bool) -> bool:
    p = o.get("p", 2)
    return (
        not weighted
        and o.get("eps_placement", "difference") == "root"
        and not o.get("swap", False)
        and float(p) == int(p)
        and int(p) % 2 == 0
    )


# -- elementwise ----------------------------------------------------------------------------------------


def _torch_margin_ranking(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    a, b, t = _torch(x["x1"], x["x2"], _signs(x["target"]))
    return _np(F.margin_ranking_loss(a, b, t, margin=float(o.get("margin", 0.0)), reduction=reduction))


def _torch_hinge_embedding(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    d, t = _torch(x["distances"], _signs(x["target"]))
    return _np(F.hinge_embedding_loss(d, t, margin=float(o.get("margin", 1.0)), reduction=reduction))


# -- NT-Xent --------------------------------------------------------------------------------------------


def _optax_ntxent(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    return _np(
        optax.losses.ntxent(
            jnp.asarray(x["embeddings"]),
            jnp.asarray(np.asarray(x["labels"], np.int64)),
            temperature=float(o.get("temperature", 0.07)),
        )
    )


def _pml_ntxent(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    from pytorch_metric_learning.losses import NTXentLoss

    z, y = _torch(x["embeddings"])[0], _torch(x["labels"])[0].long()
    return _np(NTXentLoss(temperature=float(o.get("temperature", 0.07)))(z, y))


def _mean_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return reduction == "mean" and not weighted


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "cosine_distance": [
        Counterpart("torch", _torch_cosine_distance, _unweighted),
        Counterpart("optax", _optax_cosine_distance, _unweighted),
    ],
    "cosine_embedding": [Counterpart("torch", _torch_cosine_embedding, _torch_cosine_embedding_ok, ndim=1)],
    "triplet_margin": [
        Counterpart("torch", _torch_triplet, _torch_triplet_ok),
        Counterpart("optax", _optax_triplet, _optax_triplet_ok),
    ],
    "margin_ranking": [Counterpart("torch", _torch_margin_ranking, _unweighted)],
    "hinge_embedding": [Counterpart("torch", _torch_hinge_embedding, _unweighted)],
    "ntxent": [
        Counterpart("optax", _optax_ntxent, _mean_unweighted, ndim=1),
        Counterpart("PML", _pml_ntxent, _mean_unweighted, ndim=1),
    ],
}
