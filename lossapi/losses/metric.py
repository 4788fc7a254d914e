"""Metric learning from labels: losses that form their own pairs and triplets, and margin softmaxes.

Two kinds of input:

- **Labelled batches** (``batch_triplet``, ``batch_contrastive``, ``supcon``, ``circle``,
  ``multi_similarity``): embeddings ``(..., B, D)`` (features last) and one integer class label
  per row ``(..., B)``. The loss forms every pair of rows within a batch: positives
  :math:`P(i) = \\{j \\ne i: y_j = y_i\\}`, negatives :math:`N(i) = \\{k: y_k \\ne y_i\\}`. Pair
  and triplet selections are masks of static shape (no boolean indexing), so every loss runs
  under ``jax.jit``/``vmap`` and ``torch.compile``. ``reduction="none"`` gives one value per
  anchor row; ``"mean"`` follows the loss's reducer (stated per loss: pytorch-metric-learning's
  mean over non-zero terms, or over anchors that have pairs). ``where`` excludes rows both as
  anchors and as partners (padding; their embeddings may hold NaN).
- **Class centres** (``arcface``, ``cosface``): embeddings ``(..., B, D)``, learnable class
  centres ``(C, D)`` (a linear layer's weight layout) and class labels ``(..., B)``: a softmax
  cross-entropy over scaled cosines with a margin on the true class.

Memory: pairwise losses hold a few ``(..., B, B)`` arrays. ``batch_triplet`` never forms the
``B^3`` triplets: per anchor it sorts the candidate thresholds and negative distances together
and sums the hinges of every triplet with prefix sums, ``O(B^2)`` memory and
``O(B^2 log B)`` time.

Distances at coincident rows have gradient 0 (the minimum-norm subgradient of the Euclidean
norm), and the angular margin of ``arcface`` is computed from the cosine and
:math:`\\sqrt{(1 - \\cos)(1 + \\cos)}` without ``arccos``, so gradients are finite at
:math:`\\theta = 0` and :math:`\\pi`.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Array, is_number
from .._loss import PerElement, loss
from .._ops import (
    amax,
    astype,
    cumulative_sum,
    finfo_eps,
    label_hits,
    log_softmax,
    masked_logsumexp,
    relu,
    safe_norm,
    safe_sqrt,
    softplus,
    sort_descending_with,
    stop_gradient,
)
from .._options import Choice, Flag, Interval
from ._vectors import Batch, BatchContext, CenterContext, Centers, PairTerms, floor, pair_masks

__all__ = ["arcface", "batch_contrastive", "batch_triplet", "circle", "cosface", "multi_similarity", "supcon"]

_BATCH = Batch()
_CENTERS = Centers()
_NONNEGATIVE = Interval(0, None)
_POSITIVE = Interval(0, None, closed="neither")
_DISTANCE = Choice("euclidean", "squared", "cosine", what="a distance: 'euclidean', 'squared' or 'cosine'")

#: Floor of the norms when rows are L2-normalised (torch's ``F.normalize``).
_NORM_EPS = 1e-12


def _unit(xp: Any, z: Any) -> Any:
    """Rows divided by ``max(||z||, 1e-12)``: zero rows stay 0, with finite gradients."""
    return z / floor(xp, safe_norm(xp, z, axis=-1, keepdims=True), _NORM_EPS)


def _gram(xp: Any, u: Any) -> Any:
    return xp.matmul(u, xp.matrix_transpose(u))


def _distances(xp: Any, z: Any, distance: str, normalize: bool) -> Any:
    """The ``(..., B, B)`` matrix of the chosen distance between rows (gradient 0 at d = 0)."""
    if distance == "cosine":
        u = _unit(xp, z)
        return 1 - _gram(xp, u)
    u = _unit(xp, z) if normalize else z
    n2 = xp.sum(u * u, axis=-1)
    both = xp.expand_dims(n2, axis=-1) + xp.expand_dims(n2, axis=-2)
    # |a - b|^2 = |a|^2 + |b|^2 - 2 <a, b>: O(B^2) memory instead of O(B^2 D) differences. Its
    # rounding error is ~eps (|a|^2 + |b|^2); below that the rows coincide: 0 with gradient 0
    # (else the square root's 1 / (2 d) turns the noise into backend-dependent gradients).
    d2 = both - 2 * _gram(xp, u)
    d2 = xp.where(d2 <= 4 * finfo_eps(xp, d2.dtype) * both, xp.zeros_like(d2), d2)  # NaN propagates
    return d2 if distance == "squared" else safe_sqrt(xp, d2)


def _triplet_sums(xp: Any, d: Any, pos: Any, neg: Any, margin: Any, band: bool) -> tuple[Any, Any]:
    """Per anchor, the sum of ``relu(margin + d_ap - d_an)`` over p in P, n in N and the number of
    positive terms, without forming the triplets.

    With ``x_p = d_ap + margin``: ``sum_n relu(x_p - d_an) = c_p x_p - S_p``, where ``c_p`` counts
    and ``S_p`` sums the negative distances below ``x_p``. One stable ascending sort of the row
    ``[thresholds, negative distances]`` (ties: a threshold before an equal distance, whose hinge
    is 0) gives every ``c_p`` and ``S_p`` as prefix sums. ``band`` (semi-hard triplets) keeps
    only negatives with ``d_ap < d_an``: the same sums at the lower threshold ``d_ap`` (placed
    after equal distances) are subtracted.
    """
    parts = [d + margin, d]
    p, n = astype(xp, pos, d.dtype), astype(xp, neg, d.dtype)
    tags = [p, 2 * n]
    if band:
        parts.append(d)
        tags.append(3 * p)
    keys = xp.concat(parts, axis=-1)
    tag = xp.concat(tags, axis=-1)
    s, t = sort_descending_with(xp, -keys, tag)  # descending in -key: ascending keys, stable
    s = -s
    is_neg = t == 2
    zero = xp.zeros_like(s)
    count = cumulative_sum(xp, astype(xp, is_neg, d.dtype))
    below = cumulative_sum(xp, xp.where(is_neg, s, zero))
    upper = t == 1
    total = xp.sum(xp.where(upper, count * s - below, zero), axis=-1)
    hits = xp.sum(xp.where(upper, count, zero), axis=-1)
    if band:
        lower = t == 3
        total = total - xp.sum(xp.where(lower, count * (s + margin) - below, zero), axis=-1)
        hits = hits - xp.sum(xp.where(lower, count, zero), axis=-1)
    # The sort moves NaN distances to one end, where no prefix sum may reach them: add them
    # back as 0 * d, which is NaN exactly when some selected distance is.
    total = total + 0 * xp.sum(xp.where(pos | neg, d, xp.zeros_like(d)), axis=-1)
    return total, hits


# -- triplets and pairs ----------------------------------------------------------------------------


@loss(
    _BATCH,
    family="embedding",
    task="metric learning",
    inputs={"embeddings": "real", "labels": "label"},
    options={
        "margin": (0.05, _NONNEGATIVE),
        "mining": ("all", Choice("all", "hard", "semihard")),
        "distance": ("euclidean", _DISTANCE),
        "normalize": (True, Flag()),
        "nonzero_mean": (True, Flag()),
    },
    formula="sum over triplets (a, p, n), y_a = y_p != y_n, a != p, of max(0, m + d(a, p) - d(a, n)); "
    "mean over the triplets with positive loss",
    counterparts={
        "PML": "pytorch_metric_learning.losses.TripletMarginLoss(margin=margin)(embeddings, labels)  "
        "# mining='all', distance='euclidean', normalize=True, nonzero_mean=True",
    },
    value_rules={"labels": "unchecked"},
)
def batch_triplet(
    c: BatchContext,
    embeddings: Array,
    labels: Array,
    *,
    margin: Any,
    mining: str,
    distance: str,
    normalize: bool,
    nonzero_mean: bool,
) -> Any:
    r"""Triplet margin loss over the triplets a batch of labelled embeddings forms.

    For every anchor :math:`a`, positive :math:`p \in P(a)` and negative :math:`n \in N(a)`:

    .. math:: \ell_{apn} = \max\bigl(0,\; m + d(a, p) - d(a, n)\bigr)

    ``mining`` selects the triplets: ``"all"`` every one; ``"hard"`` per anchor one, its
    farthest positive and closest negative (batch-hard, Hermans et al. 2017); ``"semihard"``
    those with :math:`d(a, p) < d(a, n) < d(a, p) + m` (FaceNet, Schroff et al. 2015).
    ``reduction="none"`` gives per anchor the sum :math:`L_a` of its selected triplets' losses;
    ``"sum"`` is :math:`\sum_a w_a L_a`; ``"mean"`` is :math:`\sum_a w_a L_a / \sum_a w_a K_a`
    with :math:`K_a` the number of the anchor's selected triplets with positive loss
    (``nonzero_mean=True``, pytorch-metric-learning's ``AvgNonZeroReducer``) or of all its
    selected triplets; 0 when there are none. Anchors without a positive or a negative have no
    triplet.

    Memory is :math:`O(B^2)`: the :math:`B^3` triplets are never formed (per anchor one sort of
    :math:`2B` or :math:`3B` values and prefix sums), time :math:`O(B^2 \log B + B^2 D)`. The
    triplet selection is piecewise constant: gradients flow through the distances only.

    Parameters
    ----------
    embeddings : array
        Shape ``(..., B, D)``, floating; leading dimensions are independent batches.
    labels : array
        Integer class labels, shape ``(..., B)`` (any values: only equality matters).
    margin : float or 0-d array, default 0.05
        :math:`m \ge 0`.
    mining : {"all", "hard", "semihard"}, default "all"
        Which triplets count.
    distance : {"euclidean", "squared", "cosine"}, default "euclidean"
        :math:`\lVert u_a - u_b\rVert_2`, its square, or :math:`1 - \cos(z_a, z_b)`.
    normalize : bool, default True
        Divide each row by :math:`\max(\lVert z\rVert_2, 10^{-12})` first (the cosine
        distance always does).
    nonzero_mean : bool, default True
        ``"mean"`` over the triplets with positive loss (else over all selected triplets).

    Notes
    -----
    With the defaults equals ``pytorch_metric_learning.losses.TripletMarginLoss(margin=margin)``
    (its ``LpDistance(normalize_embeddings=True)`` and ``AvgNonZeroReducer``). ``"hard"``
    equals it with ``BatchHardMiner()``'s triplets, ``"semihard"`` with
    ``TripletMarginMiner(margin, type_of_triplets="semihard")``'s; ``distance="squared"`` is
    ``LpDistance(power=2)``, ``"cosine"`` ``CosineSimilarity()``; ``normalize=False`` is
    ``normalize_embeddings=False``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[0.0], [0.5], [0.25], [3.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> # anchor 0: positive 1 at 0.5, negatives at 0.25 and 3: (1 + 0.5 - 0.25) + 0
    >>> la.batch_triplet(z, y, margin=1.0, normalize=False, reduction="none").tolist()
    [1.25, 1.25, 7.0, 2.0]
    >>> la.batch_triplet(z, y, margin=1.0, mining="hard", normalize=False, reduction="none").tolist()
    [1.25, 1.25, 3.5, 1.25]
    """
    xp = c.xp
    d = _distances(xp, embeddings, distance, normalize)
    pos, neg = pair_masks(c, labels, d.shape[-1])
    if mining == "hard":
        inf = xp.full_like(d, math.inf)
        far = amax(xp, xp.where(pos, d, -inf), axis=-1)
        near = -amax(xp, xp.where(neg, -d, -inf), axis=-1)
        has = xp.any(pos, axis=-1) & xp.any(neg, axis=-1)
        gap = xp.where(has, far - near, xp.zeros_like(far))
        out = xp.where(has, relu(xp, margin + gap), xp.zeros_like(far))
        count = (out > 0) if nonzero_mean else has
        return PerElement(out, weight=astype(xp, count, c.dtype), included=True)
    total, hits = _triplet_sums(xp, d, pos, neg, margin, band=mining == "semihard")
    if not nonzero_mean and mining == "all":
        n_pos = xp.sum(astype(xp, pos, c.dtype), axis=-1)
        hits = n_pos * xp.sum(astype(xp, neg, c.dtype), axis=-1)
    return PerElement(total, weight=hits, included=True)


@loss(
    _BATCH,
    family="embedding",
    task="metric learning",
    inputs={"embeddings": "real", "labels": "label"},
    options={
        "pos_margin": (0.0, Interval()),
        "neg_margin": (1.0, Interval()),
        "distance": ("euclidean", _DISTANCE),
        "normalize": (True, Flag()),
        "nonzero_mean": (True, Flag()),
    },
    formula="positive pairs max(0, d - pos_margin), negative pairs max(0, neg_margin - d); "
    "each averaged over its non-zero terms, then added",
    counterparts={
        "PML": "pytorch_metric_learning.losses.ContrastiveLoss(pos_margin=pos_margin, neg_margin=neg_margin)"
        "(embeddings, labels)  # distance='euclidean', normalize=True, nonzero_mean=True",
    },
    value_rules={"labels": "unchecked"},
)
def batch_contrastive(
    c: BatchContext,
    embeddings: Array,
    labels: Array,
    *,
    pos_margin: Any,
    neg_margin: Any,
    distance: str,
    normalize: bool,
    nonzero_mean: bool,
) -> Any:
    r"""Contrastive loss over every pair of a batch of labelled embeddings (pytorch-metric-learning's).

    Every ordered pair :math:`(i, j)` of distinct rows is a positive pair (same label) or a
    negative pair:

    .. math::

        \ell^+_{ij} = \max(0,\; d_{ij} - m^+), \qquad \ell^-_{ik} = \max(0,\; m^- - d_{ik})

    ``reduction="none"`` gives per anchor the sum of its pairs' terms; ``"sum"`` the weighted
    sum of those; ``"mean"`` the mean of the positive terms plus the mean of the negative
    terms, each over its pairs with a positive term (``nonzero_mean=True``) or over all its
    pairs, with the anchors' weights: :math:`\sum_i w_i L^+_i / \sum_i w_i K^+_i +
    \sum_i w_i L^-_i / \sum_i w_i K^-_i` (a term without pairs counts 0). Unlike
    :func:`contrastive`, distances are not squared.

    Parameters
    ----------
    embeddings : array
        Shape ``(..., B, D)``, floating; leading dimensions are independent batches.
    labels : array
        Integer class labels, shape ``(..., B)``.
    pos_margin : float or 0-d array, default 0.0
        :math:`m^+`: positive pairs closer than this cost nothing.
    neg_margin : float or 0-d array, default 1.0
        :math:`m^-`: negative pairs farther than this cost nothing.
    distance : {"euclidean", "squared", "cosine"}, default "euclidean"
        :math:`d`, as in :func:`batch_triplet`.
    normalize : bool, default True
        L2-normalise the rows first.
    nonzero_mean : bool, default True
        Average each term over its non-zero pairs (else over all its pairs).

    Notes
    -----
    With the defaults equals ``pytorch_metric_learning.losses.ContrastiveLoss(pos_margin=,
    neg_margin=)`` (``LpDistance(normalize_embeddings=True)``, ``AvgNonZeroReducer`` on each
    sub-loss, the two added).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[0.0], [0.5], [0.25], [3.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> # anchor 0: positive at 0.5 costs 0.5, negatives at 0.25 and 3 cost 0.75 and 0
    >>> la.batch_contrastive(z, y, normalize=False, reduction="none").tolist()
    [1.25, 1.25, 4.25, 2.75]
    >>> # positive terms 0.5, 0.5, 2.75, 2.75 (mean 1.625), non-zero negative terms 0.75 (mean 0.75)
    >>> float(la.batch_contrastive(z, y, normalize=False))
    2.375
    """
    xp = c.xp
    d = _distances(xp, embeddings, distance, normalize)
    pos, neg = pair_masks(c, labels, d.shape[-1])
    zero = xp.zeros_like(d)
    lp = xp.where(pos, relu(xp, d - pos_margin), zero)
    ln = xp.where(neg, relu(xp, neg_margin - d), zero)
    kp, kn = ((lp > 0), (ln > 0)) if nonzero_mean else (pos, neg)
    return PairTerms(
        PerElement(xp.sum(lp, axis=-1), weight=xp.sum(astype(xp, kp, c.dtype), axis=-1), included=True),
        PerElement(xp.sum(ln, axis=-1), weight=xp.sum(astype(xp, kn, c.dtype), axis=-1), included=True),
    )


# -- softmax over pairs ----------------------------------------------------------------------------


@loss(
    _BATCH,
    family="embedding",
    task="metric learning",
    inputs={"embeddings": "real", "labels": "label"},
    options={"temperature": (0.1, _POSITIVE)},
    formula="-(1/|P(i)|) sum_{p in P(i)} log(exp(s_ip / T) / sum_{k != i} exp(s_ik / T)), s = cosine; "
    "mean over anchors with positives",
    smooth=True,
    probabilistic=True,
    counterparts={"PML": "pytorch_metric_learning.losses.SupConLoss(temperature=temperature)(embeddings, labels)"},
    value_rules={"labels": "unchecked"},
)
def supcon(c: BatchContext, embeddings: Array, labels: Array, *, temperature: Any) -> Any:
    r"""Supervised contrastive loss (Khosla et al. 2020, :math:`\mathcal{L}^{sup}_{out}`).

    With :math:`s_{ik}` the cosine similarity of rows :math:`i` and :math:`k` and
    :math:`A(i) = P(i) \cup N(i)` every other row,

    .. math::

        L_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)}
              \log \frac{e^{s_{ip}/T}}{\sum_{k \in A(i)} e^{s_{ik}/T}}
            = \operatorname{logsumexp}_{k \in A(i)} \frac{s_{ik}}{T}
              - \frac{1}{|P(i)|} \sum_{p \in P(i)} \frac{s_{ip}}{T}

    Anchors without a positive give 0 and are not counted: ``"mean"`` is
    :math:`\sum_i w_i L_i / \sum_i w_i [P(i) \ne \emptyset]`.

    Parameters
    ----------
    embeddings : array
        Shape ``(..., B, D)``, floating (normalised inside).
    labels : array
        Integer class labels, shape ``(..., B)``.
    temperature : float or 0-d array, default 0.1
        :math:`T > 0`.

    Notes
    -----
    Equals ``pytorch_metric_learning.losses.SupConLoss(temperature=temperature)`` whenever the
    batch has a negative pair (with every label equal, that library returns 0; lossapi the
    formula above).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> y = np.array([0, 0, 1])
    >>> # anchor 0: log(e^1 + e^0) - 1 (T = 1); anchor 2 has no positive
    >>> la.supcon(z, y, temperature=1.0, reduction="none").round(6).tolist()
    [0.313262, 0.313262, 0.0]
    """
    xp = c.xp
    u = _unit(xp, embeddings)
    s = _gram(xp, u) / temperature
    pos, neg = pair_masks(c, labels, s.shape[-1])
    lse, _ = masked_logsumexp(xp, s, pos | neg)
    n_pos = xp.sum(astype(xp, pos, c.dtype), axis=-1)
    has = n_pos > 0
    mean_pos = xp.sum(xp.where(pos, s, xp.zeros_like(s)), axis=-1) / xp.where(has, n_pos, xp.ones_like(n_pos))
    out = xp.where(has, lse - mean_pos, xp.zeros_like(lse))
    return PerElement(out, weight=astype(xp, has, c.dtype), included=True)


@loss(
    _BATCH,
    family="embedding",
    task="metric learning",
    inputs={"embeddings": "real", "labels": "label"},
    options={"margin": (0.4, Interval(0, 1)), "gamma": (80.0, _POSITIVE)},
    formula="softplus(logsumexp_p(-g a_p (s_p - 1 + m)) + logsumexp_n(g a_n (s_n - m))), "
    "a_p = [1 + m - s_p]+, a_n = [s_n + m]+ held constant; mean over anchors with both",
    counterparts={
        "PML": "pytorch_metric_learning.losses.CircleLoss(m=margin, gamma=gamma)(embeddings, labels)",
        "keras": "keras.losses.Circle(gamma=gamma, margin=margin)(labels, embeddings / norm(embeddings))  "
        "# value; keras differentiates through the pair weights",
    },
    value_rules={"labels": "unchecked"},
)
def circle(c: BatchContext, embeddings: Array, labels: Array, *, margin: Any, gamma: Any) -> Any:
    r"""Circle loss (Sun et al. 2020) on cosine similarities, per anchor.

    With :math:`s` the cosine similarities of the L2-normalised rows, relaxation :math:`m` and
    scale :math:`\gamma`:

    .. math::

        L_i = \operatorname{softplus}\Bigl(
            \operatorname{logsumexp}_{p \in P(i)} -\gamma\,\alpha_p (s_{ip} - 1 + m)
            + \operatorname{logsumexp}_{n \in N(i)} \gamma\,\alpha_n (s_{in} - m)\Bigr),
        \qquad \alpha_p = [1 + m - s_{ip}]_+,\; \alpha_n = [s_{in} + m]_+

    The pair weights :math:`\alpha` are held constant in the gradient (as in the paper's code).
    Anchors without a positive or a negative give 0 and are not counted: ``"mean"`` is
    :math:`\sum_i w_i L_i / \sum_i w_i [P(i) \ne \emptyset \ne N(i)]`.

    Parameters
    ----------
    embeddings : array
        Shape ``(..., B, D)``, floating (normalised inside).
    labels : array
        Integer class labels, shape ``(..., B)``.
    margin : float or 0-d array, default 0.4
        Relaxation :math:`m \in [0, 1]`.
    gamma : float or 0-d array, default 80.0
        Scale :math:`\gamma > 0`.

    Notes
    -----
    Equals ``pytorch_metric_learning.losses.CircleLoss(m=margin, gamma=gamma)`` in value and
    gradient. ``keras.losses.Circle(gamma=gamma, margin=margin)(labels, u)`` takes L2-normalised
    embeddings ``u`` (it does not normalise) and gives the same value; its gradient differs, as it
    differentiates through the pair weights :math:`\alpha_p, \alpha_n` too.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> # s_p = 1, s_n = 0 (two negatives): softplus(-g m^2 + log(2 e^(-g m^2))), g m^2 = 12.8
    >>> bool(np.isclose(la.circle(z, y), np.log1p(2 * np.exp(-25.6)), rtol=1e-12))
    True
    """
    xp = c.xp
    s = _gram(xp, _unit(xp, embeddings))
    pos, neg = pair_masks(c, labels, s.shape[-1])
    a_p = stop_gradient(xp, relu(xp, 1 + margin - s))
    a_n = stop_gradient(xp, relu(xp, s + margin))
    lse_p, has_p = masked_logsumexp(xp, -gamma * a_p * (s - (1 - margin)), pos)
    lse_n, has_n = masked_logsumexp(xp, gamma * a_n * (s - margin), neg)
    both = has_p & has_n
    out = xp.where(both, softplus(xp, xp.where(both, lse_p + lse_n, xp.zeros_like(lse_p))), xp.zeros_like(lse_p))
    return PerElement(out, weight=astype(xp, both, c.dtype), included=True)


@loss(
    _BATCH,
    family="embedding",
    task="metric learning",
    inputs={"embeddings": "real", "labels": "label"},
    options={"alpha": (2.0, _POSITIVE), "beta": (50.0, _POSITIVE), "base": (0.5, Interval())},
    formula="(1/alpha) log(1 + sum_p exp(-alpha (s_p - base))) + (1/beta) log(1 + sum_n exp(beta (s_n - base)))",
    smooth=True,
    counterparts={
        "PML": "pytorch_metric_learning.losses.MultiSimilarityLoss(alpha=alpha, beta=beta, base=base)"
        "(embeddings, labels)"
    },
    value_rules={"labels": "unchecked"},
)
def multi_similarity(c: BatchContext, embeddings: Array, labels: Array, *, alpha: Any, beta: Any, base: Any) -> Any:
    r"""Multi-similarity loss (Wang et al. 2019), without its pair mining, per anchor.

    With :math:`s` the cosine similarities of the L2-normalised rows:

    .. math::

        L_i = \frac{1}{\alpha} \log\Bigl(1 + \sum_{p \in P(i)} e^{-\alpha (s_{ip} - \lambda)}\Bigr)
            + \frac{1}{\beta} \log\Bigl(1 + \sum_{n \in N(i)} e^{\beta (s_{in} - \lambda)}\Bigr)

    (an empty sum gives 0). ``"mean"`` is the weighted mean over the anchors.

    Parameters
    ----------
    embeddings : array
        Shape ``(..., B, D)``, floating (normalised inside).
    labels : array
        Integer class labels, shape ``(..., B)``.
    alpha : float or 0-d array, default 2.0
        :math:`\alpha > 0`, the scale of the positive pairs.
    beta : float or 0-d array, default 50.0
        :math:`\beta > 0`, the scale of the negative pairs.
    base : float or 0-d array, default 0.5
        :math:`\lambda`, the similarity both are measured from.

    Notes
    -----
    Equals ``pytorch_metric_learning.losses.MultiSimilarityLoss(alpha=alpha, beta=beta,
    base=base)`` (no miner, its mean over anchors). Each sum is a log-sum-exp: no overflow
    at large ``beta``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> y = np.array([0, 0, 1])
    >>> out = la.multi_similarity(z, y, alpha=1.0, beta=1.0, reduction="none")
    >>> # anchor 0: log(1 + e^(-(1 - 0.5))) + log(1 + e^(0 - 0.5)); anchor 2: no positive
    >>> np.allclose(out, [2 * np.log1p(np.exp(-0.5))] * 2 + [np.log1p(2 * np.exp(-0.5))])
    True
    """
    xp = c.xp
    s = _gram(xp, _unit(xp, embeddings))
    pos, neg = pair_masks(c, labels, s.shape[-1])
    lse_p, has_p = masked_logsumexp(xp, -alpha * (s - base), pos)
    lse_n, has_n = masked_logsumexp(xp, beta * (s - base), neg)
    zero = xp.zeros_like(lse_p)
    return xp.where(has_p, softplus(xp, lse_p), zero) / alpha + xp.where(has_n, softplus(xp, lse_n), zero) / beta


# -- margin softmax over class centres -------------------------------------------------------------


def _center_cosines(c: CenterContext, embeddings: Any, class_centers: Any, labels: Any) -> tuple[Any, Any]:
    """Cosines ``(..., B, C)`` of the rows with every class centre, and the true-class mask."""
    xp = c.xp
    cos = xp.matmul(_unit(xp, embeddings), xp.matrix_transpose(_unit(xp, class_centers)))
    return cos, label_hits(xp, labels, c.num_classes, cos.ndim - 1)


def _softmax_loss(xp: Any, logits: Any, hit: Any) -> Any:
    """Cross-entropy of each row at its true class."""
    return xp.sum(xp.where(hit, -log_softmax(xp, logits), xp.zeros_like(logits)), axis=-1)


@loss(
    _CENTERS,
    family="embedding",
    task="metric learning",
    inputs={"embeddings": "real", "class_centers": "real", "labels": "label"},
    options={"margin": (0.5, Interval(0, math.pi, closed="left")), "scale": (64.0, _POSITIVE)},
    formula="cross-entropy of s cos(theta_c), theta_y + m for the true class "
    "(cos theta_y - m sin m where theta_y > pi - m)",
    counterparts={
        "PML": "pytorch_metric_learning.losses.ArcFaceLoss(C, D, margin=math.degrees(margin), scale=scale)"
        "(embeddings, labels)  # with loss.W = class_centers.T",
    },
    value_rules={"labels": "center_labels"},
)
def arcface(
    c: CenterContext, embeddings: Array, class_centers: Array, labels: Array, *, margin: Any, scale: Any
) -> Any:
    r"""Additive angular margin loss (ArcFace, Deng et al. 2019).

    With :math:`\theta_{ic}` the angle between row :math:`i` and the centre of class :math:`c`
    (both L2-normalised) and :math:`y_i` the row's class:

    .. math::

        L_i = -\log \frac{e^{s\,\psi(\theta_{iy_i})}}
                        {e^{s\,\psi(\theta_{iy_i})} + \sum_{c \ne y_i} e^{s \cos\theta_{ic}}},
        \qquad \psi(\theta) = \begin{cases} \cos(\theta + m) & \theta \le \pi - m \\
                                            \cos\theta - m \sin m & \text{otherwise} \end{cases}

    The second branch keeps the target logit decreasing in :math:`\theta` past
    :math:`\pi - m`. :math:`\cos(\theta + m)` is computed as
    :math:`\cos\theta \cos m - \sqrt{(1 - \cos\theta)(1 + \cos\theta)} \sin m` with the square
    root's gradient 0 at 0, so the gradient is finite at :math:`\theta = 0` and :math:`\pi`
    (where :math:`\arccos` has none). ``"mean"`` is the weighted mean over rows.

    Parameters
    ----------
    embeddings : array
        Shape ``(..., B, D)``, floating (normalised inside).
    class_centers : array
        Shape ``(C, D)``, floating: one (learnable) centre per class, normalised inside.
    labels : array
        Integer class labels in ``[0, C)``, shape ``(..., B)``; others make their rows NaN.
    margin : float or 0-d array, default 0.5
        Angular margin :math:`m \in [0, \pi)` in radians.
    scale : float or 0-d array, default 64.0
        Logit scale :math:`s > 0`.

    Notes
    -----
    Equals ``pytorch_metric_learning.losses.ArcFaceLoss(num_classes=C, embedding_size=D,
    margin=math.degrees(margin), scale=scale)`` with its weight ``W = class_centers.T``
    (``(D, C)``; its margin is in degrees).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> centers = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> # row 0: theta = 0, target logit s cos(m); other class s cos(pi / 2) = 0
    >>> out = la.arcface(z, centers, np.array([0, 1]), margin=0.5, scale=2.0, reduction="none")
    >>> np.allclose(out, np.log1p(np.exp(-2 * np.cos(0.5))))
    True
    """
    xp = c.xp
    cos, hit = _center_cosines(c, embeddings, class_centers, labels)
    ct = xp.sum(xp.where(hit, cos, xp.zeros_like(cos)), axis=-1, keepdims=True)
    sin = safe_sqrt(xp, (1 - ct) * (1 + ct))
    if is_number(margin):
        cm, sm = math.cos(margin), math.sin(margin)
    else:
        cm, sm = xp.cos(margin), xp.sin(margin)
    target = xp.where(ct >= -cm, ct * cm - sin * sm, ct - margin * sm)  # theta <= pi - m
    return _softmax_loss(xp, scale * xp.where(hit, target, cos), hit)


@loss(
    _CENTERS,
    family="embedding",
    task="metric learning",
    inputs={"embeddings": "real", "class_centers": "real", "labels": "label"},
    options={"margin": (0.35, _NONNEGATIVE), "scale": (64.0, _POSITIVE)},
    formula="cross-entropy of s (cos theta_c - m [c = y])",
    smooth=True,
    counterparts={
        "PML": "pytorch_metric_learning.losses.CosFaceLoss(C, D, margin=margin, scale=scale)(embeddings, labels)  "
        "# with loss.W = class_centers.T",
    },
    value_rules={"labels": "center_labels"},
)
def cosface(
    c: CenterContext, embeddings: Array, class_centers: Array, labels: Array, *, margin: Any, scale: Any
) -> Any:
    r"""Large-margin cosine loss (CosFace, Wang et al. 2018).

    With :math:`\cos\theta_{ic}` the cosine of row :math:`i` and the centre of class :math:`c`
    (both L2-normalised) and :math:`y_i` the row's class:

    .. math::

        L_i = -\log \frac{e^{s(\cos\theta_{iy_i} - m)}}
                        {e^{s(\cos\theta_{iy_i} - m)} + \sum_{c \ne y_i} e^{s \cos\theta_{ic}}}

    ``"mean"`` is the weighted mean over rows.

    Parameters
    ----------
    embeddings : array
        Shape ``(..., B, D)``, floating (normalised inside).
    class_centers : array
        Shape ``(C, D)``, floating: one (learnable) centre per class, normalised inside.
    labels : array
        Integer class labels in ``[0, C)``, shape ``(..., B)``; others make their rows NaN.
    margin : float or 0-d array, default 0.35
        Cosine margin :math:`m \ge 0`.
    scale : float or 0-d array, default 64.0
        Logit scale :math:`s > 0`.

    Notes
    -----
    Equals ``pytorch_metric_learning.losses.CosFaceLoss(num_classes=C, embedding_size=D,
    margin=margin, scale=scale)`` with its weight ``W = class_centers.T``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> centers = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> out = la.cosface(z, centers, np.array([0, 1]), margin=0.5, scale=2.0, reduction="none")
    >>> np.allclose(out, np.log1p(np.exp(-2 * (1 - 0.5))))
    True
    """
    xp = c.xp
    cos, hit = _center_cosines(c, embeddings, class_centers, labels)
    return _softmax_loss(xp, scale * (cos - margin * astype(xp, hit, c.dtype)), hit)
