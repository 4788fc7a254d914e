"""Embedding and metric-learning losses: distances, pair and triplet margins, NT-Xent.

Two kinds of input layout:

- **Vector losses** (``cosine_distance``, ``cosine_embedding``, ``contrastive``,
  ``triplet_margin``) take embeddings with a feature axis (``axis=-1`` by default) that
  ``reduction="none"`` drops. The embeddings broadcast against each other; the targets
  (``target``, ``similar``) have the per-element shape (the embeddings' shape without
  ``axis``, or broadcastable to it). ``where`` and ``sample_weight`` have the per-element
  shape too; ``where``-excluded vectors may hold NaN/inf.
- **Elementwise losses** (``margin_ranking``, ``hinge_embedding``) take scores or distances
  of any shape; ``"none"`` returns the broadcast shape.

Signed targets (``cosine_embedding``, ``margin_ranking``, ``hinge_embedding``) follow torch:
floating and integer targets are read literally (1 and -1 select the two branches; other
values do what torch does with them, stated per loss), and boolean targets are read as
True = 1 (similar / first ranked higher) and False = -1.

Distances at zero: every Euclidean norm is computed with a gradient of 0 at the zero vector
(``_ops.safe_sqrt`` / double ``where``), and cosines divide by floored norms, so coincident
embeddings and zero vectors give finite values and gradients, identical on torch and JAX.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Array, Namespace, is_number
from .._errors import InvalidOptionError
from .._loss import Elementwise, PerElement, loss
from .._ops import abs_, amax, astype, finfo_eps, masked_logsumexp, relu, safe_sqrt, softplus
from .._options import Choice, Flag, Interval
from ._vectors import Batch, BatchContext, VectorContext, Vectors, floor, pair_masks

__all__ = [
    "contrastive",
    "cosine_distance",
    "cosine_embedding",
    "hinge_embedding",
    "margin_ranking",
    "ntxent",
    "triplet_margin",
]

_NONNEGATIVE = Interval(0, None)
_PAIRS = Elementwise(numbers=("target",), signs=("target",))


def _pnorm(xp: Any, v: Any, p: float, axis: int, eps: Any = None) -> Any:
    """``(sum |v|^p + eps)^(1/p)`` over ``axis`` (``eps`` None: no term), with finite gradients
    where the sum is 0 (gradient 0 there) and, for ``p < 1``, at zero components."""
    if p == math.inf:
        return amax(xp, abs_(xp, v), axis=axis)
    if p == 2:
        s = xp.sum(v * v, axis=axis)
    elif p == 1:
        s = xp.sum(abs_(xp, v), axis=axis)
    else:
        a = abs_(xp, v)
        pos = ~(a <= 0)  # NaN propagates
        s = xp.sum(xp.where(pos, xp.where(pos, a, xp.ones_like(a)) ** p, xp.zeros_like(a)), axis=axis)
    if eps is not None:
        s = s + eps
    if p == 1:
        return s
    if p == 2:
        return safe_sqrt(xp, s)
    pos = ~(s <= 0)  # NaN propagates
    return xp.where(pos, xp.where(pos, s, xp.ones_like(s)) ** (1.0 / p), xp.zeros_like(s))


def _cosine(xp: Any, dot: Any, den2: Any, positive: bool) -> Any:
    """``dot / sqrt(den2)``, and 0 where ``den2`` is 0 unless it is known ``positive``."""
    if positive:
        return dot / xp.sqrt(den2)
    pos = ~(den2 <= 0)  # NaN propagates
    return xp.where(pos, dot / xp.sqrt(xp.where(pos, den2, xp.ones_like(den2))), xp.zeros_like(den2))


# -- cosine ------------------------------------------------------------------------------------


@loss(
    Vectors(),
    family="embedding",
    task="similarity",
    inputs={"pred": "real", "target": "real"},
    options={"eps": (1e-8, _NONNEGATIVE)},
    formula="1 - <a, b> / (max(|a|, eps) max(|b|, eps)) over axis",
    bounded=True,
    counterparts={
        "torch": "1 - torch.nn.functional.cosine_similarity(pred, target, dim=axis, eps=eps)",
        "optax": "optax.losses.cosine_distance(pred, target, epsilon=eps**2, axis=axis)",
    },
)
def cosine_distance(c: VectorContext, pred: Array, target: Array, *, eps: Any) -> Any:
    r"""Cosine distance: one minus the cosine similarity of two vectors.

    .. math::

        \ell(a, b) = 1 - \frac{\langle a, b\rangle}{\max(\lVert a\rVert, \epsilon)\,
                                                   \max(\lVert b\rVert, \epsilon)}

    over the feature ``axis``, in :math:`[0, 2]`. Each norm is floored at :math:`\epsilon`, so
    a zero vector has cosine 0 (distance 1) with finite gradients; with ``eps=0`` a zero
    vector still gives cosine 0 (a double ``where``), with gradient 0.

    Parameters
    ----------
    pred, target : array
        Vectors with the feature axis at ``axis``; floating, broadcastable together.
    eps : float or 0-d array, default 1e-8
        Floor :math:`\epsilon \ge 0` of each norm.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the per-element distances; the inputs' namespace,
        device and floating dtype.

    Notes
    -----
    Equals ``1 - torch.nn.functional.cosine_similarity(pred, target, dim=axis, eps=eps)``
    (torch floors each norm at ``eps`` too; its gradient below the floor differs, as it
    clamps under ``no_grad``) and ``optax.losses.cosine_distance(pred, target,
    epsilon=eps**2, axis=axis)``: optax's ``epsilon`` floors the *squared* norm, so
    lossapi's ``eps`` is ``sqrt(epsilon)`` (optax's default ``epsilon=0`` is lossapi's
    ``eps=0``, except that optax gives NaN for zero vectors).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> b = np.array([[0.0, 2.0], [2.0, 2.0], [1.0, 0.0]])
    >>> la.cosine_distance(a, b, reduction="none").round(12).tolist()
    [1.0, 0.0, 1.0]
    """
    xp, ax = c.xp, c.axis
    dot = xp.sum(pred * target, axis=ax)
    n2a, n2b = xp.sum(pred * pred, axis=ax), xp.sum(target * target, axis=ax)
    if is_number(eps) and eps > 0:  # max(|a|, eps) = sqrt(max(|a|^2, eps^2))
        return 1 - dot / (xp.sqrt(floor(xp, n2a, eps * eps)) * xp.sqrt(floor(xp, n2b, eps * eps)))
    den = floor(xp, safe_sqrt(xp, n2a), eps) * floor(xp, safe_sqrt(xp, n2b), eps)
    return 1 - _cosine(xp, dot, den * den, False)


@loss(
    Vectors(targets=("target",)),
    family="embedding",
    task="similarity",
    inputs={"x1": "real", "x2": "real", "target": "sign"},
    options={"margin": (0.0, Interval(-1, 1)), "eps": (1e-12, _NONNEGATIVE)},
    formula="t = 1: 1 - cos; t = -1: max(0, cos - margin); cos = <a, b> / sqrt((|a|^2 + eps)(|b|^2 + eps))",
    bounded=True,
    counterparts={"torch": "torch.nn.functional.cosine_embedding_loss(x1, x2, target, margin=margin)"},
    value_rules={"target": "unchecked"},
)
def cosine_embedding(c: VectorContext, x1: Array, x2: Array, target: Any, *, margin: Any, eps: Any) -> Any:
    r"""Cosine embedding loss for similar (+1) and dissimilar (-1) pairs (torch's).

    .. math::

        \cos = \frac{\langle a, b\rangle}{\sqrt{(\lVert a\rVert^2 + \epsilon)
                                                (\lVert b\rVert^2 + \epsilon)}}, \qquad
        \ell = \begin{cases} 1 - \cos & t = 1 \\ \max(0, \cos - m) & t = -1 \\ 0 & \text{otherwise}
               \end{cases}

    over the feature ``axis``. As in torch, a target other than 1 and -1 gives 0 (and still
    counts in ``"mean"``); boolean targets are read as True = 1, False = -1. Zero vectors
    give cosine 0 and finite gradients (with ``eps=0`` too).

    Parameters
    ----------
    x1, x2 : array
        Vectors with the feature axis at ``axis``; floating, broadcastable together.
    target : array or number
        Per-pair targets in {1, -1} (floating, integer or boolean), broadcastable to the
        per-element shape (the inputs' shape without ``axis``).
    margin : float or 0-d array, default 0.0
        :math:`m \in [-1, 1]` (the range of the cosine, as torch documents).
    eps : float or 0-d array, default 1e-12
        :math:`\epsilon \ge 0` added to each squared norm (torch's fixed ``EPSILON``).

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the per-pair loss.

    Notes
    -----
    With ``eps=1e-12`` (the default) equals ``torch.nn.functional.cosine_embedding_loss(x1,
    x2, target, margin=margin)`` for torch's ``(N, D)`` / ``(D,)`` inputs (other shapes:
    feature axis ``axis``), every reduction.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    >>> b = np.array([[0.0, 2.0], [2.0, 2.0], [1.0, 1.0]])
    >>> la.cosine_embedding(a, b, np.array([1, -1, -1]), margin=0.5, reduction="none").round(6).tolist()
    [1.0, 0.5, 0.207107]
    """
    xp, ax = c.xp, c.axis
    den2 = (xp.sum(x1 * x1, axis=ax) + eps) * (xp.sum(x2 * x2, axis=ax) + eps)
    cos = _cosine(xp, xp.sum(x1 * x2, axis=ax), den2, is_number(eps) and eps > 0)
    t = xp.full_like(cos, target) if is_number(target) else target
    zero = xp.zeros_like(cos)
    return xp.where(t == 1, 1 - cos, zero) + xp.where(t == -1, relu(xp, cos - margin), zero)


# -- distances ---------------------------------------------------------------------------------


@loss(
    Vectors(targets=("similar",), bool_signs=False),
    family="embedding",
    task="metric learning",
    inputs={"x1": "real", "x2": "real", "similar": "probability"},
    options={"margin": (1.0, _NONNEGATIVE)},
    formula="s d^2 + (1 - s) max(0, m - d)^2, d = ||x1 - x2||_2 over axis",
    smooth=False,
)
def contrastive(c: VectorContext, x1: Array, x2: Array, similar: Any, *, margin: Any) -> Any:
    r"""Contrastive (pair margin) loss of Hadsell, Chopra & LeCun (2006).

    .. math::

        \ell = s\, d^2 + (1 - s) \max(0,\; m - d)^2, \qquad d = \lVert x_1 - x_2\rVert_2

    with the Euclidean distance over ``axis`` and :math:`s = 1` for similar pairs, 0 for
    dissimilar ones (soft values in [0, 1] interpolate). No factor 1/2. :math:`d^2` is a sum of
    squares (no square root), and :math:`d` has gradient 0 at :math:`d = 0`, so coincident
    embeddings give finite gradients (0 for a dissimilar pair at :math:`d = 0`, the
    minimum-norm subgradient) on every backend.

    Parameters
    ----------
    x1, x2 : array
        Embeddings with the feature axis at ``axis``; floating, broadcastable together.
    similar : array or number
        1 for similar pairs, 0 for dissimilar ones: floating, integer or boolean,
        broadcastable to the per-element shape (the inputs' shape without ``axis``).
    margin : float or 0-d array, default 1.0
        :math:`m \ge 0`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the per-pair loss.

    Notes
    -----
    torch and optax have no pair-margin contrastive loss (MONAI's ``ContrastiveLoss`` is
    NT-Xent, see :func:`ntxent`); pytorch-metric-learning's ``ContrastiveLoss`` uses unsquared
    distances and averages non-zero terms.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> a = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    >>> b = np.array([[3.0, 4.0], [0.3, 0.4], [3.0, 4.0]])
    >>> la.contrastive(a, b, np.array([1, 0, 0]), reduction="none").round(12).tolist()
    [25.0, 0.25, 0.0]
    """
    diff = x1 - x2
    d2 = c.xp.sum(diff * diff, axis=c.axis)
    h = relu(c.xp, margin - safe_sqrt(c.xp, d2))
    return similar * d2 + (1 - similar) * (h * h)


def _check_root(fn: str, root: bool, p: float, eps: Any) -> None:
    """With ``eps`` inside the root (optax), ``eps >= 0`` and ``p`` finite."""
    if root and is_number(eps) and not eps >= 0:
        raise InvalidOptionError(
            f"lossapi.{fn}: eps={eps!r} is out of range; with eps_placement='root' it must be >= 0."
        )
    if root and p == math.inf:
        raise InvalidOptionError(f"lossapi.{fn}: p=inf has no root to put eps in; use eps_placement='difference'.")


@loss(
    Vectors(),
    family="embedding",
    task="metric learning",
    inputs={"anchor": "real", "positive": "real", "negative": "real"},
    options={
        "margin": (1.0, _NONNEGATIVE),
        "p": (2, Interval(0, math.inf, closed="right", arrays=False)),
        "eps": (1e-6, Interval()),
        "swap": (False, Flag()),
        "eps_placement": ("difference", Choice("difference", "root")),
    },
    formula="max(0, m + d(a, p) - d(a, n)), d(x, y) = ||x - y + eps||_p over axis (swap: min(d(a, n), d(p, n)))",
    counterparts={
        "torch": "torch.nn.functional.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, eps=eps, "
        "swap=swap)",
        "optax": "optax.losses.triplet_margin_loss(anchor, positive, negative, axis=axis, norm_degree=p, "
        "margin=margin, eps=eps).mean()  # eps_placement='root'",
    },
)
def triplet_margin(
    c: VectorContext,
    anchor: Array,
    positive: Array,
    negative: Array,
    *,
    margin: Any,
    p: float,
    eps: Any,
    swap: bool,
    eps_placement: str,
) -> Any:
    r"""Triplet margin loss (Balntas et al., 2016), torch's ``triplet_margin_loss``.

    .. math::

        \ell = \max\bigl(0,\; m + d(a, p) - d(a, n)\bigr), \qquad
        d(x, y) = \lVert x - y + \epsilon\rVert_p

    over the feature ``axis``. With ``swap=True`` the negative distance is
    :math:`\min(d(a, n), d(p, n))` (the distance swap). With ``eps_placement="root"`` the
    distance is optax's :math:`d(x, y) = \bigl(\sum_k |x_k - y_k|^p + \epsilon\bigr)^{1/p}`.

    Distances have finite gradients everywhere: at a zero difference vector (coincident
    embeddings with ``eps=0``, or :math:`x - y = -\epsilon`) the gradient of the norm is 0, as
    in torch's own norm; JAX gives the same. At a tie of the swap the gradient goes to
    :math:`d(a, n)`; at the hinge's kink it is 0.

    Parameters
    ----------
    anchor, positive, negative : array
        Embeddings with the feature axis at ``axis``; floating, broadcastable together.
    margin : float or 0-d array, default 1.0
        :math:`m \ge 0` (torch requires :math:`m > 0`).
    p : float, default 2
        Norm degree :math:`p > 0` (``math.inf``: the maximum norm; not with
        ``eps_placement="root"``). A Python number.
    eps : float or 0-d array, default 1e-6
        :math:`\epsilon`: added to every component of the difference (torch), or inside the
        root (``eps_placement="root"``, optax; then :math:`\epsilon \ge 0`).
    swap : bool, default False
        Use the distance swap.
    eps_placement : {"difference", "root"}, default "difference"
        Where ``eps`` enters the distance: torch's ``pairwise_distance``
        (:math:`\lVert x - y + \epsilon\rVert_p`) or optax's
        (:math:`(\sum |x - y|^p + \epsilon)^{1/p}`).

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the per-triplet loss.

    Raises
    ------
    InvalidOptionError
        ``p <= 0`` or not a Python number, unknown ``eps_placement``, negative ``margin``.

    Notes
    -----
    The default equals ``torch.nn.functional.triplet_margin_loss(anchor, positive, negative,
    margin=margin, p=p, eps=eps, swap=swap)`` (feature axis last), every reduction.
    ``eps_placement="root"`` equals ``optax.losses.triplet_margin_loss(anchor, positive,
    negative, axis=axis, norm_degree=p, margin=margin, eps=eps)`` per triplet for even
    ``p`` (optax raises the signed difference to the power ``p``, so for odd ``p`` its value
    is not a norm; lossapi takes :math:`|x - y|`). optax has no ``swap``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> a = np.array([[0.0, 0.0], [0.0, 0.0]])
    >>> pos = np.array([[3.0, 4.0], [0.0, 1.0]])
    >>> neg = np.array([[0.0, 1.0], [6.0, 8.0]])
    >>> la.triplet_margin(a, pos, neg, eps=0.0, reduction="none").tolist()
    [5.0, 0.0]
    >>> la.triplet_margin(a, pos, neg, eps=0.0, p=1, reduction="none").tolist()
    [7.0, 0.0]
    """
    xp, ax = c.xp, c.axis
    root = eps_placement == "root"  # optax: (sum |x - y|^p + eps)^(1/p); torch: ||x - y + eps||_p
    _check_root(c.fn, root, p, eps)
    d_pos = _pnorm(xp, anchor - positive, p, ax, eps) if root else _pnorm(xp, anchor - positive + eps, p, ax)
    d_neg = _pnorm(xp, anchor - negative, p, ax, eps) if root else _pnorm(xp, anchor - negative + eps, p, ax)
    if swap:
        d_swap = _pnorm(xp, positive - negative, p, ax, eps) if root else _pnorm(xp, positive - negative + eps, p, ax)
        d_neg = xp.where(d_swap < d_neg, d_swap, d_neg)
    return relu(xp, margin + d_pos - d_neg)


# -- elementwise pair losses -------------------------------------------------------------------


@loss(
    _PAIRS,
    family="embedding",
    task="ranking",
    inputs={"x1": "real", "x2": "real", "target": "sign"},
    options={"margin": (0.0, Interval())},
    formula="max(0, -t (x1 - x2) + m)",
    convex=True,
    robust=True,
    counterparts={"torch": "torch.nn.functional.margin_ranking_loss(x1, x2, target, margin=margin)"},
    value_rules={"target": "unchecked"},
)
def margin_ranking(xp: Namespace, x1: Array, x2: Array, target: Array, *, margin: Any) -> Any:
    r"""Margin ranking loss (pairwise hinge), torch's ``margin_ranking_loss``.

    .. math:: \ell = \max\bigl(0,\; -t\,(x_1 - x_2) + m\bigr)

    :math:`t = 1` asks for :math:`x_1 > x_2 + m`, :math:`t = -1` for :math:`x_2 > x_1 + m`.
    Elementwise: ``"none"`` returns the broadcast shape. As in torch the target is used as a
    number (a target of 0 gives :math:`\max(0, m)`); boolean targets are read as True = 1,
    False = -1. The gradient at the kink is 0.

    Parameters
    ----------
    x1, x2 : array
        Scores (floating), broadcastable together.
    target : array or number
        Signs in {1, -1}: floating, integer or boolean, broadcastable with the scores.
    margin : float or 0-d array, default 0.0
        :math:`m`.

    Notes
    -----
    Equals ``torch.nn.functional.margin_ranking_loss(x1, x2, target, margin=margin)``, every
    reduction.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.margin_ranking(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0]), np.array([1, 1, -1]),
    ...                   margin=0.5, reduction="none").tolist()
    [1.5, 0.5, 2.5]
    """
    return relu(xp, margin - target * (x1 - x2))


@loss(
    _PAIRS,
    family="embedding",
    task="metric learning",
    inputs={"distances": "real", "target": "sign"},
    options={"margin": (1.0, Interval())},
    formula="t = 1: x; t = -1: max(0, m - x)",
    convex=True,
    robust=True,
    counterparts={"torch": "torch.nn.functional.hinge_embedding_loss(distances, target, margin=margin)"},
    value_rules={"target": "unchecked"},
)
def hinge_embedding(xp: Namespace, distances: Array, target: Array, *, margin: Any) -> Any:
    r"""Hinge embedding loss on (precomputed) distances, torch's ``hinge_embedding_loss``.

    .. math::

        \ell(x, t) = \begin{cases} x & t = 1 \\ \max(0,\; m - x) & t = -1 \end{cases}

    Similar pairs (:math:`t = 1`) pay their distance, dissimilar ones (:math:`t = -1`) pay for
    being closer than the margin. As in torch, any other target value pays both terms,
    :math:`x + \max(0, m - x)`; boolean targets are read as True = 1, False = -1. Elementwise;
    the gradient at the kink :math:`x = m` is 0.

    Parameters
    ----------
    distances : array
        Distances (or any real scores), floating.
    target : array or number
        Signs in {1, -1}: floating, integer or boolean, broadcastable with ``distances``.
    margin : float or 0-d array, default 1.0
        :math:`m`.

    Notes
    -----
    Equals ``torch.nn.functional.hinge_embedding_loss(distances, target, margin=margin)``,
    every reduction.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.hinge_embedding(np.array([0.3, 0.3, 2.0]), np.array([1, -1, -1]), reduction="none").tolist()
    [0.3, 0.7, 0.0]
    """
    zero = xp.zeros_like(distances) if target.shape == distances.shape else xp.zeros_like(distances + target)
    return xp.where(target != 1, relu(xp, margin - distances), zero) + xp.where(target != -1, distances, zero)


# -- NT-Xent -----------------------------------------------------------------------------------


@loss(
    Batch(),
    family="embedding",
    task="self-supervised",
    inputs={"embeddings": "real", "labels": "label"},
    options={"temperature": (0.07, Interval(0, None, closed="neither"))},
    formula="sum_{j in P(i)} -log(exp(c_ij / T) / (exp(c_ij / T) + sum_{k in N(i)} exp(c_ik / T))), "
    "c = cosine similarity; mean over positive pairs",
    smooth=True,
    probabilistic=True,
    counterparts={
        "optax": "optax.losses.ntxent(embeddings, labels, temperature=temperature)",
        "PML": "pytorch_metric_learning.losses.NTXentLoss(temperature=temperature)(embeddings, labels)",
    },
    value_rules={"labels": "unchecked"},
)
def ntxent(c: BatchContext, embeddings: Array, labels: Array, *, temperature: Any) -> Any:
    r"""Normalized temperature-scaled cross-entropy (NT-Xent, SimCLR), optax's ``ntxent``.

    For a batch of embeddings :math:`z_1, \dots, z_B` (rows of ``embeddings``) with group
    labels :math:`y`, cosine similarities :math:`c_{ik}`, positives
    :math:`P(i) = \{j \ne i : y_j = y_i\}` and negatives :math:`N(i) = \{k : y_k \ne y_i\}`,
    every positive pair :math:`(i, j)` contributes

    .. math::

        \ell_{ij} = -\log \frac{e^{c_{ij}/T}}{e^{c_{ij}/T} + \sum_{k \in N(i)} e^{c_{ik}/T}}
                  = \operatorname{softplus}\Bigl(\log \sum_{k \in N(i)} e^{c_{ik}/T} - c_{ij}/T\Bigr)

    (0 when the anchor has no negatives). ``reduction="none"`` gives, per anchor, the sum over
    its positive pairs :math:`L_i = \sum_{j \in P(i)} \ell_{ij}`; ``"sum"`` is
    :math:`\sum_i L_i`; ``"mean"`` divides by the number of positive pairs (an internal weight
    :math:`|P(i)|` per anchor, combined with ``sample_weight``:
    :math:`\sum_i w_i L_i / \sum_i w_i |P(i)|`). Anchors without positives weigh 0; a batch
    without any positive pair gives 0 (optax: NaN).

    Leading dimensions of ``embeddings`` (``(..., B, D)``) are independent batches: pairs are
    formed within each batch only.

    Parameters
    ----------
    embeddings : array
        Shape ``(..., B, D)``, floating; features on the last axis (need not be normalized:
        each row is divided by :math:`\sqrt{\max(\lVert z\rVert^2, \varepsilon)}` with
        :math:`\varepsilon` the machine epsilon of the input dtype, as optax).
    labels : array
        Integer group labels (any integer dtype), shape ``(..., B)``: rows with equal labels
        are positive pairs.
    temperature : float or 0-d array, default 0.07
        :math:`T > 0`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` shape ``(..., B)``.

    Notes
    -----
    ``"mean"`` equals ``optax.losses.ntxent(embeddings, labels, temperature=temperature)``
    for 2-D embeddings with at least one positive pair, and pytorch-metric-learning's
    ``NTXentLoss(temperature=temperature)(embeddings, labels)`` (its default reducer averages
    over the positive pairs; it gives 0 without positive or negative pairs, as lossapi). The
    softmax of each pair is computed as a softplus of a log-sum-exp over the negatives, so no
    pair overflows or underflows at small temperatures.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> # each anchor: its positive has c = 1, both negatives c = 0: log(1 + 2 e^(-1/T)), T = 1
    >>> la.ntxent(z, y, temperature=1.0, reduction="none").round(6).tolist()
    [0.551445, 0.551445, 0.551445, 0.551445]
    """
    xp, z = c.xp, embeddings
    # Rows divided by sqrt(max(|z|^2, eps)): optax's cosine_similarity(epsilon=finfo(dtype).eps).
    u = z / xp.sqrt(floor(xp, xp.sum(z * z, axis=-1, keepdims=True), finfo_eps(xp, c.out_dtype)))
    sim = xp.matmul(u, xp.matrix_transpose(u)) / temperature
    pos, neg = pair_masks(c, labels, z.shape[-2])  # (..., B, B): anchor i, partner k
    # log sum_{k in N(i)} exp(sim_ik); an anchor without negatives has no loss.
    lse, has_neg = masked_logsumexp(xp, sim, neg)
    pair = pos & xp.expand_dims(has_neg, axis=-1)
    zero = xp.zeros_like(sim)
    loss = xp.sum(xp.where(pair, softplus(xp, xp.where(pair, xp.expand_dims(lse, axis=-1) - sim, zero)), zero), axis=-1)
    return PerElement(loss, weight=xp.sum(astype(xp, pos, c.dtype), axis=-1), included=True)
