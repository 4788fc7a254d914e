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

from .. import _value_checks
from .._catalog import register
from .._errors import InputTypeError, InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._native import try_fast
from .._ops import abs_, amax, astype, finfo_eps, param, relu, safe_sqrt, softplus, stop_gradient
from .._reduction import reduce
from .._validation import (
    _kind,
    broadcast_shapes,
    check_bool,
    check_in_range,
    check_params_0d,
    check_where,
    floating_inputs,
    same_size,
)
from ._classes import device_of
from ._common import Prepared, finish, resolve, setup

__all__ = [
    "contrastive",
    "cosine_distance",
    "cosine_embedding",
    "hinge_embedding",
    "margin_ranking",
    "ntxent",
    "triplet_margin",
]

_EPS_PLACEMENTS = ("difference", "root")


# -- helpers ----------------------------------------------------------------------------------------


def _fits(fn: str, name: str, shape: tuple[Any, ...], none_shape: tuple[Any, ...], what: str) -> None:
    """``shape`` must broadcast to ``none_shape`` without enlarging it."""
    full = broadcast_shapes(tuple(shape), tuple(none_shape))
    if full is None or len(full) != len(none_shape) or not all(same_size(a, b) for a, b in zip(full, none_shape)):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{name}` has shape {tuple(shape)}, which does not broadcast to the per-element "
            f"loss shape {tuple(none_shape)} ({what})."
        )


def _feature_axis(fn: str, axis: Any, ndim: int, first: str) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise InvalidOptionError(f"lossapi.{fn}: axis must be an int, got {axis!r}.")
    if ndim == 0:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{first}` is 0-d, but this loss needs a feature axis; pass vectors of shape (..., D)."
        )
    if not -ndim <= axis < ndim:
        raise InvalidOptionError(
            f"lossapi.{fn}: axis={axis} is out of range for `{first}` with {ndim} dimension(s); "
            f"use an axis in [{-ndim}, {ndim - 1}]."
        )
    return axis % ndim


def _python_number(fn: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidOptionError(
            f"lossapi.{fn}: {name} must be a Python number (it selects the formula), got {type(value).__name__} {value!r}."
        )


def _signs(xp: Any, t: Any, is_bool: bool) -> Any:
    """Boolean targets as signs (True -> 1, False -> -1); others unchanged."""
    return 2 * t - 1 if is_bool else t


def _is_bool(t: Any) -> bool:
    return hasattr(t, "dtype") and _kind(t.dtype) == "bool"


def _setup_vectors(
    fn: str,
    names: str,
    vectors: tuple[Any, ...],
    targets: tuple[Any, ...],
    *,
    axis: int,
    sample_weight: Any,
    where: Any,
    reduction: str,
    xp: Any,
    params: tuple[Any, ...] = (),
    bool_signs: bool = True,
) -> tuple[Prepared, tuple[Any, ...], int]:
    """Validate and prepare the inputs of a loss over a feature axis.

    ``names`` names, space separated, the ``vectors``, the ``targets``, ``sample_weight``,
    ``where`` and the ``params``. Returns the prepared vectors (compute dtype, ``where``-excluded
    vectors filled with ones), the targets in the compute dtype (booleans as signs when
    ``bool_signs``, else as 0/1) and the non-negative feature axis.
    """
    nm = names.split()
    nv, nt = len(vectors), len(targets)
    if xp is None:
        xp = resolve(fn, names, reduction, *vectors, *targets, sample_weight, where, *params)
    elif _value_checks.active:  # value checks (lossapi.check_values) when resolve was skipped
        _value_checks.check_call(fn, xp)
    for name, v in zip(nm, vectors):
        if not hasattr(v, "shape"):
            raise InputTypeError(
                f"lossapi.{fn}: `{name}` must be an array, got {type(v).__name__}; convert it first with "
                f"xp.asarray({name}) using the array library of the other inputs."
            )
        if v.ndim == 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{name}` is 0-d, but this loss needs a feature axis; pass vectors of shape (..., D)."
            )
    out_dtype, dtype, *vecs = floating_inputs(xp, fn, " ".join(nm[:nv]), *vectors)
    full = broadcast_shapes(*(tuple(v.shape) for v in vecs))
    assert full is not None  # floating_inputs has raised if the vectors do not broadcast
    ax = _feature_axis(fn, axis, len(full), nm[0])
    if full[ax] == 0:
        raise ShapeMismatchError(
            f"lossapi.{fn}: the vectors have shape {full}, with no features (the feature axis {axis} has "
            "size 0); pass vectors of shape (..., D) with D >= 1. (An empty batch is fine.)"
        )
    none_shape = tuple(s for i, s in enumerate(full) if i != ax)
    what = "the embeddings' broadcast shape without the feature axis"
    ts = []
    for name, t in zip(nm[nv:nv + nt], targets):
        if isinstance(t, (int, float)) and not isinstance(t, bool):
            ts.append(t)
            continue
        if not hasattr(t, "dtype"):
            raise InputTypeError(
                f"lossapi.{fn}: `{name}` must be an array or a Python number, got {type(t).__name__}; "
                f"convert it first with xp.asarray({name}) using the array library of the other inputs."
            )
        kind = _kind(t.dtype)
        if kind not in ("float", "int", "bool"):
            raise InvalidDTypeError(f"lossapi.{fn}: `{name}` has unsupported dtype {t.dtype}.")
        _fits(fn, name, tuple(t.shape), none_shape, what)
        t2 = astype(xp, t, dtype)
        ts.append(_signs(xp, t2, True) if kind == "bool" and bool_signs else t2)
    if where is not None:
        check_where(fn, where)
        _fits(fn, "where", tuple(where.shape), none_shape, what)
        w = where
        if w.ndim < len(none_shape):
            w = xp.reshape(w, (1,) * (len(none_shape) - w.ndim) + tuple(w.shape))
        wx = xp.expand_dims(w, axis=ax)
        vecs = [xp.where(wx, v, xp.ones_like(v)) for v in vecs]
        ts = [t if isinstance(t, (int, float)) else xp.where(w, t, xp.ones_like(t)) for t in ts]
    if params and not all(isinstance(v, (int, float)) for v in params):
        check_params_0d(fn, nm[-len(params):], params)
    ps = tuple(param(xp, p, dtype) for p in params)
    return Prepared(xp, out_dtype, dtype, tuple(vecs), ps), tuple(ts), ax


def _floor(xp: Any, x: Any, lo: Any) -> Any:
    """``max(x, lo)`` (``lo`` a Python number or 0-d array); the gradient goes to ``x`` only where ``x > lo``."""
    if not hasattr(lo, "dtype"):
        lo = xp.asarray(lo, dtype=x.dtype, device=device_of(x))
    return xp.where(x <= lo, lo, x)  # NaN takes the `x` branch and propagates


def _positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


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


def _check_margin(fn: str, margin: Any, low: float | None = None) -> None:
    check_in_range(fn, "margin", margin, low=low)


# -- cosine --------------------------------------------------------------------------------------------


@register(
    family="embedding",
    task="similarity",
    input_spaces={"pred": "real", "target": "real"},
    formula="1 - <a, b> / (max(|a|, eps) max(|b|, eps)) over axis",
    bounded=True,
    counterparts={
        "torch": "1 - torch.nn.functional.cosine_similarity(pred, target, dim=axis, eps=eps)",
        "optax": "optax.losses.cosine_distance(pred, target, epsilon=eps**2, axis=axis)",
    },
)
def cosine_distance(
    pred: Any,
    target: Any,
    /,
    *,
    eps: Any = 1e-8,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight : array, optional
        Weights broadcastable to the per-element loss (the inputs' shape without ``axis``);
        ``"mean"`` is ``sum(w*l)/sum(w)``.
    where : bool array, optional
        Same shape rules; vectors where False are excluded (they may hold NaN/inf).
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the broadcast shape without ``axis``.
    axis : int, default -1
        Feature axis.
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

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
    fn = "cosine_distance"
    check_in_range(fn, "eps", eps, low=0.0)
    p, _, ax = _setup_vectors(fn, "pred target sample_weight where eps", (pred, target), (), axis=axis,
                              sample_weight=sample_weight, where=where, reduction=reduction, xp=xp, params=(eps,))
    xp = p.xp
    a, b = p.arrays
    (e,) = p.params
    dot = xp.sum(a * b, axis=ax)
    n2a = xp.sum(a * a, axis=ax)
    n2b = xp.sum(b * b, axis=ax)
    if _positive_number(e):
        # max(|a|, eps) = sqrt(max(|a|^2, eps^2)): the square root of a positive number.
        e2 = e * e
        cos = dot / (xp.sqrt(_floor(xp, n2a, e2)) * xp.sqrt(_floor(xp, n2b, e2)))
    else:  # eps = 0 or an array: a zero vector may make the denominator 0
        den = _floor(xp, safe_sqrt(xp, n2a), e) * _floor(xp, safe_sqrt(xp, n2b), e)
        pos = ~(den <= 0)  # NaN propagates
        cos = xp.where(pos, dot / xp.where(pos, den, xp.ones_like(den)), xp.zeros_like(den))
    return finish(p, 1 - cos, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="embedding",
    task="similarity",
    input_spaces={"x1": "real", "x2": "real", "target": "sign"},
    formula="t = 1: 1 - cos; t = -1: max(0, cos - margin); cos = <a, b> / sqrt((|a|^2 + eps)(|b|^2 + eps))",
    bounded=True,
    counterparts={"torch": "torch.nn.functional.cosine_embedding_loss(x1, x2, target, margin=margin)"},
)
def cosine_embedding(
    x1: Any,
    x2: Any,
    target: Any,
    /,
    *,
    margin: Any = 0.0,
    eps: Any = 1e-12,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`cosine_distance`.

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
    fn = "cosine_embedding"
    check_in_range(fn, "margin", margin, low=-1.0, high=1.0)
    check_in_range(fn, "eps", eps, low=0.0)
    p, (t,), ax = _setup_vectors(fn, "x1 x2 target sample_weight where margin eps", (x1, x2), (target,), axis=axis,
                                 sample_weight=sample_weight, where=where, reduction=reduction, xp=xp,
                                 params=(margin, eps))
    xp = p.xp
    a, b = p.arrays
    m, e = p.params
    dot = xp.sum(a * b, axis=ax)
    den2 = (xp.sum(a * a, axis=ax) + e) * (xp.sum(b * b, axis=ax) + e)
    if _positive_number(e):
        cos = dot / xp.sqrt(den2)
    else:
        pos = ~(den2 <= 0)  # NaN propagates
        cos = xp.where(pos, dot / xp.sqrt(xp.where(pos, den2, xp.ones_like(den2))), xp.zeros_like(den2))
    if isinstance(t, (int, float)):  # a Python number for every pair
        t = xp.full_like(cos, t)
    zero = xp.zeros_like(cos)
    loss = xp.where(t == 1, 1 - cos, zero) + xp.where(t == -1, relu(xp, cos - m), zero)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


# -- distances ------------------------------------------------------------------------------------------


@register(
    family="embedding",
    task="metric learning",
    input_spaces={"x1": "real", "x2": "real", "similar": "probability"},
    formula="s d^2 + (1 - s) max(0, m - d)^2, d = ||x1 - x2||_2 over axis",
)
def contrastive(
    x1: Any,
    x2: Any,
    similar: Any,
    /,
    *,
    margin: Any = 1.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`cosine_distance`.

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
    fn = "contrastive"
    _check_margin(fn, margin, low=0.0)
    p, (s,), ax = _setup_vectors(fn, "x1 x2 similar sample_weight where margin", (x1, x2), (similar,), axis=axis,
                                 sample_weight=sample_weight, where=where, reduction=reduction, xp=xp,
                                 params=(margin,), bool_signs=False)
    xp = p.xp
    a, b = p.arrays
    (m,) = p.params
    diff = a - b
    d2 = xp.sum(diff * diff, axis=ax)
    h = relu(xp, m - safe_sqrt(xp, d2))
    loss = s * d2 + (1 - s) * (h * h)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="embedding",
    task="metric learning",
    input_spaces={"anchor": "real", "positive": "real", "negative": "real"},
    formula="max(0, m + d(a, p) - d(a, n)), d(x, y) = ||x - y + eps||_p over axis (swap: min(d(a, n), d(p, n)))",
    counterparts={
        "torch": "torch.nn.functional.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, eps=eps, "
                 "swap=swap)",
        "optax": "optax.losses.triplet_margin_loss(anchor, positive, negative, axis=axis, norm_degree=p, "
                 "margin=margin, eps=eps).mean()  # eps_placement='root'",
    },
)
def triplet_margin(
    anchor: Any,
    positive: Any,
    negative: Any,
    /,
    *,
    margin: Any = 1.0,
    p: float = 2,
    eps: Any = 1e-6,
    swap: bool = False,
    eps_placement: str = "difference",
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
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
    sample_weight, where, reduction, axis, xp
        As for :func:`cosine_distance`.

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
    fn = "triplet_margin"
    _check_margin(fn, margin, low=0.0)
    _python_number(fn, "p", p)
    if not p > 0:
        raise InvalidOptionError(f"lossapi.{fn}: p={p!r} is out of range; the norm degree must be > 0.")
    if eps_placement not in _EPS_PLACEMENTS:
        raise InvalidOptionError(
            f"lossapi.{fn}: eps_placement={eps_placement!r} is not one of 'difference' (torch), 'root' (optax)."
        )
    if eps_placement == "root":
        check_in_range(fn, "eps", eps, low=0.0)
        if p == math.inf:
            raise InvalidOptionError(f"lossapi.{fn}: p=inf has no root to put eps in; use eps_placement='difference'.")
    else:
        check_in_range(fn, "eps", eps)
    check_bool(fn, "swap", swap)
    names = "anchor positive negative sample_weight where margin eps"
    xp = resolve(fn, names, reduction, anchor, positive, negative, sample_weight, where, margin, eps, xp=xp)
    out = try_fast(fn, xp, anchor, positive, negative, margin=margin, p=p, eps=eps, swap=swap,
                   eps_placement=eps_placement, sample_weight=sample_weight, where=where, reduction=reduction,
                   axis=axis)
    if out is not NotImplemented:
        return out
    prep, _, ax = _setup_vectors(fn, names,
                                 (anchor, positive, negative), (), axis=axis, sample_weight=sample_weight,
                                 where=where, reduction=reduction, xp=xp, params=(margin, eps))
    xp = prep.xp
    a, pos, neg = prep.arrays
    m, e = prep.params

    if eps_placement == "root":
        def dist(x: Any, y: Any) -> Any:
            return _pnorm(xp, x - y, p, ax, e)
    else:
        def dist(x: Any, y: Any) -> Any:
            return _pnorm(xp, x - y + e, p, ax)

    d_pos = dist(a, pos)
    d_neg = dist(a, neg)
    if swap:
        d_swap = dist(pos, neg)
        d_neg = xp.where(d_swap < d_neg, d_swap, d_neg)
    loss = relu(xp, m + d_pos - d_neg)
    return finish(prep, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


# -- elementwise pair losses ----------------------------------------------------------------------------


@register(
    family="embedding",
    task="ranking",
    input_spaces={"x1": "real", "x2": "real", "target": "sign"},
    formula="max(0, -t (x1 - x2) + m)",
    convex=True,
    robust=True,
    counterparts={"torch": "torch.nn.functional.margin_ranking_loss(x1, x2, target, margin=margin)"},
)
def margin_ranking(
    x1: Any,
    x2: Any,
    target: Any,
    /,
    *,
    margin: Any = 0.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
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
    sample_weight : array, optional
        Weights broadcastable to the per-element loss; ``"mean"`` is ``sum(w*l)/sum(w)``.
    where : bool array, optional
        Entries where False are excluded (they may hold inf/NaN).
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the per-element loss of the broadcast shape.
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

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
    fn = "margin_ranking"
    _check_margin(fn, margin)
    is_bool = _is_bool(target)
    p = setup(fn, "x1 x2 target sample_weight where margin", (x1, x2, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(margin,))
    xp = p.xp
    a, b, t = p.arrays
    (m,) = p.params
    t = _signs(xp, t, is_bool)
    return finish(p, relu(xp, m - t * (a - b)), reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="embedding",
    task="metric learning",
    input_spaces={"distances": "real", "target": "sign"},
    formula="t = 1: x; t = -1: max(0, m - x)",
    convex=True,
    robust=True,
    counterparts={"torch": "torch.nn.functional.hinge_embedding_loss(distances, target, margin=margin)"},
)
def hinge_embedding(
    distances: Any,
    target: Any,
    /,
    *,
    margin: Any = 1.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, xp
        As for :func:`margin_ranking`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

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
    fn = "hinge_embedding"
    _check_margin(fn, margin)
    is_bool = _is_bool(target)
    p = setup(fn, "distances target sample_weight where margin", (distances, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(margin,))
    xp = p.xp
    x, t = p.arrays
    (m,) = p.params
    t = _signs(xp, t, is_bool)
    if isinstance(t, (int, float)):
        t = xp.full_like(x, t)
    zero = xp.zeros_like(x) if t.shape == x.shape else xp.zeros_like(x + t)
    loss = xp.where(t != 1, relu(xp, m - x), zero) + xp.where(t != -1, x, zero)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


# -- NT-Xent ---------------------------------------------------------------------------------------------


@register(
    family="embedding",
    task="self-supervised",
    input_spaces={"embeddings": "real", "labels": "label"},
    formula="sum_{j in P(i)} -log(exp(c_ij / T) / (exp(c_ij / T) + sum_{k in N(i)} exp(c_ik / T))), "
            "c = cosine similarity; mean over positive pairs",
    smooth=True,
    probabilistic=True,
    counterparts={"optax": "optax.losses.ntxent(embeddings, labels, temperature=temperature)"},
)
def ntxent(
    embeddings: Any,
    labels: Any,
    /,
    *,
    temperature: Any = 0.07,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
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
    sample_weight : array, optional
        Per-anchor weights, broadcastable to ``(..., B)``.
    where : bool array, optional
        Broadcastable to ``(..., B)``; rows where False are excluded both as anchors and as
        positives/negatives of the other rows (padding), and may hold NaN/inf and any label.
    reduction : {"mean", "sum", "none"}
        See above.
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` shape ``(..., B)``.

    Notes
    -----
    ``"mean"`` equals ``optax.losses.ntxent(embeddings, labels, temperature=temperature)``
    for 2-D embeddings with at least one positive pair. The softmax of each pair is computed
    as a softplus of a log-sum-exp over the negatives, so no pair overflows or underflows at
    small temperatures.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> # each anchor: its positive has c = 1, both negatives c = 0: log(1 + 2 e^(-1/T)), T = 1
    >>> la.ntxent(z, y, temperature=1.0, reduction="none").round(6).tolist()
    [0.551445, 0.551445, 0.551445, 0.551445]
    """
    fn = "ntxent"
    check_in_range(fn, "temperature", temperature, low=0.0, low_open=True)
    if xp is None:
        xp = resolve(fn, "embeddings labels sample_weight where temperature", reduction, embeddings, labels,
                     sample_weight, where, temperature)
    if not hasattr(embeddings, "shape") or not hasattr(labels, "shape"):
        raise InputTypeError(f"lossapi.{fn}: `embeddings` and `labels` must be arrays.")
    if _kind(embeddings.dtype) != "float":
        raise InvalidDTypeError(
            f"lossapi.{fn}: `embeddings` must have a real floating dtype, got {embeddings.dtype}; "
            "cast it first, e.g. xp.astype(embeddings, xp.float32)."
        )
    if _kind(labels.dtype) != "int":
        raise InvalidDTypeError(
            f"lossapi.{fn}: `labels` must hold integer group labels, got dtype {labels.dtype}."
        )
    if embeddings.ndim < 2:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `embeddings` has shape {tuple(embeddings.shape)}; expected (B, D) (or (..., B, D))."
        )
    none_shape = tuple(embeddings.shape[:-1])
    lshape = tuple(labels.shape)
    if len(lshape) != len(none_shape) or not all(same_size(a, b) for a, b in zip(lshape, none_shape)):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `labels` has shape {lshape}, but `embeddings` of shape {tuple(embeddings.shape)} "
            f"needs one label per row: shape {none_shape}."
        )
    out_dtype = embeddings.dtype
    p = setup(fn, "embeddings sample_weight where temperature", (embeddings,), sample_weight=None, where=None, reduction=reduction, xp=xp,
              params=(temperature,))
    (z,) = p.arrays
    (temp,) = p.params
    dtype = p.dtype
    kept = None
    if where is not None:
        check_where(fn, where)
        _fits(fn, "where", tuple(where.shape), none_shape, "one entry per row of `embeddings`")
        kept = where if where.ndim == len(none_shape) else xp.reshape(
            where, (1,) * (len(none_shape) - where.ndim) + tuple(where.shape))
        z = xp.where(xp.expand_dims(kept, axis=-1), z, xp.ones_like(z))
    # Rows divided by sqrt(max(|z|^2, eps)): optax's cosine_similarity(epsilon=finfo(dtype).eps).
    n2 = xp.sum(z * z, axis=-1, keepdims=True)
    u = z / xp.sqrt(_floor(xp, n2, finfo_eps(xp, out_dtype)))
    sim = xp.matmul(u, xp.matrix_transpose(u)) / temp
    # Pair masks (..., B, B): i on the second-to-last axis, k on the last one.
    B = z.shape[-2]
    ar = xp.arange(B, device=device_of(z))
    eye = xp.expand_dims(ar, axis=1) == xp.expand_dims(ar, axis=0)
    same = xp.expand_dims(labels, axis=-1) == xp.expand_dims(labels, axis=-2)
    pos = same & ~eye
    neg = ~same
    if kept is not None:
        pair_ok = xp.expand_dims(kept, axis=-1) & xp.expand_dims(kept, axis=-2)
        pos = pos & pair_ok
        neg = neg & pair_ok
    # log sum_{k in N(i)} exp(sim_ik), shifted by its (constant) maximum.
    zero = xp.zeros_like(sim)
    m = stop_gradient(xp, amax(xp, xp.where(neg, sim, xp.full_like(sim, -math.inf)), axis=-1, keepdims=True))
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    e = xp.where(neg, xp.exp(xp.where(neg, sim - m, zero)), zero)
    total = xp.sum(e, axis=-1, keepdims=True)
    has_neg = ~(total <= 0)  # NaN propagates
    lse = m + xp.log(xp.where(has_neg, total, xp.ones_like(total)))
    pair = pos & has_neg
    terms = xp.where(pair, softplus(xp, xp.where(pair, lse - sim, zero)), zero)
    loss = xp.sum(terms, axis=-1)
    count = xp.sum(astype(xp, pos, dtype), axis=-1)
    return reduce(xp, loss, reduction, fn=fn, sample_weight=sample_weight, where=where, weight=count,
                  out_dtype=None if out_dtype == dtype else out_dtype, weighted_loss=True)
