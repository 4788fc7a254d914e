"""Regression losses: errors between real-valued predictions and targets.

Every loss here is elementwise: ``reduction="none"`` returns the broadcast shape of ``pred``
and ``target``. Shared conventions (API.md): ``sample_weight`` and ``where`` broadcast to that
shape, ``"mean"`` is ``sum(w * l) / sum(w)`` (0 when every weight is 0), float16/bfloat16 are
computed in float32, and entries excluded by ``where`` may hold inf/NaN.

Gradients at kinks are the minimum-norm subgradient on every backend (0 for ``|e|`` at 0, for
the pinball loss at 0, and for the epsilon-insensitive loss at ``|e| = epsilon``).
"""

from __future__ import annotations

import math
from typing import Any

from .._catalog import register
from .._dispatch import backend_name
from .._native import lookup as _lookup
from .._ops import LOG_2, LOG_2PI, abs_, as_result, clip_max, finfo_eps, relu, safe_sqrt, stop_gradient, xlogy
from .._validation import check_bool, check_in_range
from ._common import finish, resolve, setup

__all__ = [
    "epsilon_insensitive",
    "gaussian_nll",
    "huber",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "poisson_nll",
    "pseudo_huber",
    "quantile",
    "root_mean_squared_error",
    "smooth_l1",
    "tukey_biweight",
    "tweedie_deviance",
]

_SPACES = {"pred": "real", "target": "real"}


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="(p - t)^2",
    convex=True,
    smooth=True,
    counterparts={
        "torch": "torch.nn.functional.mse_loss(pred, target)",
        "optax": "optax.losses.squared_error(pred, target).mean()",
        "keras": "keras.losses.MeanSquaredError()(target, pred)",
        "sklearn": "sklearn.metrics.mean_squared_error(target, pred)",
    },
    aliases=("mse",),
)
def mean_squared_error(
    pred: Any,
    target: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Mean squared error.

    .. math:: \ell(p, t) = (p - t)^2

    Parameters
    ----------
    pred, target : array
        Predictions and targets, real floating arrays of broadcastable shapes.
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
        0-d for ``"mean"``/``"sum"``, else the broadcast shape; the inputs' namespace, device
        and floating dtype.

    Notes
    -----
    Equals ``torch.nn.functional.mse_loss`` (also with its ``weight=``),
    ``optax.losses.squared_error(...).mean()``, ``keras.losses.MeanSquaredError`` and
    ``sklearn.metrics.mean_squared_error(target, pred, sample_weight=w)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.mean_squared_error(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
    2.0
    """
    fn = "mean_squared_error"
    xp = resolve(fn, "pred target sample_weight where", reduction, pred, target, sample_weight, where, xp=xp)
    fast = _lookup(fn, xp)  # no keyword packing when the backend has no fast path
    if fast is not None:
        r = fast(pred, target, sample_weight=sample_weight, where=where, reduction=reduction)
        if r is not NotImplemented:
            return r
    p = setup(fn, "pred target sample_weight where", (pred, target), sample_weight=sample_weight, where=where,
              reduction=reduction, xp=xp)
    d = p.arrays[0] - p.arrays[1]
    return finish(p, d * d, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="sqrt(reduce((p - t)^2) + eps)",
    convex=True,
    counterparts={"sklearn": "sklearn.metrics.root_mean_squared_error(target, pred)"},
    aliases=("rmse",),
)
def root_mean_squared_error(
    pred: Any,
    target: Any,
    /,
    *,
    eps: Any = 0.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Root mean squared error.

    .. math:: \mathrm{RMSE} = \sqrt{\frac{\sum_i w_i (p_i - t_i)^2}{\sum_i w_i} + \varepsilon}

    The square root is taken *after* the reduction: ``"mean"`` gives the RMSE, ``"sum"``
    ``sqrt(sum(w (p-t)^2) + eps)``, and ``"none"`` the per-element ``sqrt(w (p-t)^2 + eps)``
    (``|p - t|`` without weights and ``eps``).

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    eps : float or 0-d array, default 0.0
        Added under the root; ``eps > 0`` keeps the gradient bounded near a perfect fit. With
        ``eps = 0`` the gradient at a perfect fit is 0 (the minimum-norm subgradient), not NaN.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    ``"mean"`` equals ``sklearn.metrics.root_mean_squared_error(target, pred, sample_weight=w)``
    when ``eps = 0``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.root_mean_squared_error(np.array([0.0, 0.0]), np.array([3.0, 4.0])))
    3.5355339059327378
    """
    fn = "root_mean_squared_error"
    check_in_range(fn, "eps", eps, low=0.0)
    p = setup(fn, "pred target sample_weight where eps", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(eps,))
    xp = p.xp
    d = p.arrays[0] - p.arrays[1]
    ms = finish(p, d * d, reduction, fn=fn, sample_weight=sample_weight, where=where)
    (eps,) = p.params
    if ms.dtype != p.dtype:
        ms = xp.astype(ms, p.dtype)
    out = safe_sqrt(xp, ms + eps) if not (isinstance(eps, float | int) and eps > 0) else xp.sqrt(ms + eps)
    out = out if out.dtype == p.out_dtype else xp.astype(out, p.out_dtype)
    return out if reduction == "none" else as_result(xp, out)


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="|p - t|",
    convex=True,
    robust=True,
    counterparts={
        "torch": "torch.nn.functional.l1_loss(pred, target)",
        "keras": "keras.losses.MeanAbsoluteError()(target, pred)",
        "sklearn": "sklearn.metrics.mean_absolute_error(target, pred)",
    },
    aliases=("mae",),
)
def mean_absolute_error(
    pred: Any,
    target: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Mean absolute error (L1 loss).

    .. math:: \ell(p, t) = |p - t|

    The gradient at ``p == t`` is 0 on every backend (JAX's own ``abs`` would give 1).

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``torch.nn.functional.l1_loss``, ``keras.losses.MeanAbsoluteError`` and
    ``sklearn.metrics.mean_absolute_error``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.mean_absolute_error(np.array([1.0, 2.0]), np.array([0.0, 4.0])))
    1.5
    """
    fn = "mean_absolute_error"
    xp = resolve(fn, "pred target sample_weight where", reduction, pred, target, sample_weight, where, xp=xp)
    fast = _lookup(fn, xp)  # no keyword packing when the backend has no fast path
    if fast is not None:
        r = fast(pred, target, sample_weight=sample_weight, where=where, reduction=reduction)
        if r is not NotImplemented:
            return r
    p = setup(fn, "pred target sample_weight where", (pred, target), sample_weight=sample_weight, where=where,
              reduction=reduction, xp=xp)
    return finish(p, abs_(p.xp, p.arrays[0] - p.arrays[1]), reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta), e = p - t",
    convex=True,
    robust=True,
    counterparts={
        "torch": "torch.nn.functional.huber_loss(pred, target, delta=delta)",
        "optax": "optax.losses.huber_loss(pred, target, delta=delta).mean()",
        "keras": "keras.losses.Huber(delta=delta)(target, pred)",
    },
)
def huber(
    pred: Any,
    target: Any,
    /,
    *,
    delta: Any = 1.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Huber loss: quadratic for small errors, linear for large ones.

    .. math::
        \ell(e) = \begin{cases} \tfrac12 e^2 & |e| \le \delta \\
                                \delta\,(|e| - \tfrac12\delta) & |e| > \delta \end{cases},
        \qquad e = p - t

    Computed branch-free as ``q * (|e| - q/2)`` with ``q = min(|e|, delta)``; the loss is
    continuously differentiable, so the gradient at ``|e| = delta`` is ``delta * sign(e)``.

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    delta : float or 0-d array, default 1.0
        Threshold between the quadratic and linear parts; must be > 0.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``torch.nn.functional.huber_loss(delta=)`` (without torch's ``weight=``, whose mean
    divides by the count rather than the weights), ``optax.losses.huber_loss(delta=).mean()``
    and ``keras.losses.Huber(delta=)``. ``smooth_l1`` is ``huber / beta``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.huber(np.array([0.5, 3.0]), np.zeros(2), reduction="none").tolist()
    [0.125, 2.5]
    """
    fn = "huber"
    check_in_range(fn, "delta", delta, low=0.0, low_open=True)
    xp = resolve(fn, "pred target sample_weight where delta", reduction, pred, target, sample_weight, where, delta, xp=xp)
    fast = _lookup(fn, xp)  # no keyword packing when the backend has no fast path
    if fast is not None:
        r = fast(pred, target, delta=delta, sample_weight=sample_weight, where=where, reduction=reduction)
        if r is not NotImplemented:
            return r
    p = setup(fn, "pred target sample_weight where delta", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(delta,))
    xp = p.xp
    a = abs_(xp, p.arrays[0] - p.arrays[1])
    q = clip_max(xp, a, p.params[0])
    return finish(p, q * (a - 0.5 * q), reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta, e = p - t",
    convex=True,
    robust=True,
    counterparts={"torch": "torch.nn.functional.smooth_l1_loss(pred, target, beta=beta)"},
)
def smooth_l1(
    pred: Any,
    target: Any,
    /,
    *,
    beta: Any = 1.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Smooth L1 loss (torch's convention): Huber divided by ``beta``.

    .. math::
        \ell(e) = \begin{cases} \tfrac12 e^2/\beta & |e| < \beta \\
                                |e| - \tfrac12\beta & |e| \ge \beta \end{cases}

    ``beta = 0`` is exactly the L1 loss, with finite gradients (0 at ``e = 0``).

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    beta : float or 0-d array, default 1.0
        Width of the quadratic zone; must be >= 0.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``torch.nn.functional.smooth_l1_loss(beta=)``. It agrees with :func:`huber` only at
    ``beta = delta = 1``; torchvision's detection models use ``beta = 1/9``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.smooth_l1(np.array([0.5, 3.0]), np.zeros(2), beta=2.0, reduction="none").tolist()
    [0.0625, 2.0]
    """
    fn = "smooth_l1"
    check_in_range(fn, "beta", beta, low=0.0)
    xp = resolve(fn, "pred target sample_weight where beta", reduction, pred, target, sample_weight, where, beta, xp=xp)
    fast = _lookup(fn, xp)  # no keyword packing when the backend has no fast path
    if fast is not None:
        r = fast(pred, target, beta=beta, sample_weight=sample_weight, where=where, reduction=reduction)
        if r is not NotImplemented:
            return r
    p = setup(fn, "pred target sample_weight where beta", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(beta,))
    xp = p.xp
    (b,) = p.params
    a = abs_(xp, p.arrays[0] - p.arrays[1])
    if isinstance(b, (int, float)):
        if b == 0:
            loss = a
        else:
            q = clip_max(xp, a, b)
            # Huber / beta: the reduction divides once instead of every element.
            return finish(p, q * (a - 0.5 * q), reduction, fn=fn, sample_weight=sample_weight, where=where,
                          divide_by=b)
    else:
        pos = b > 0
        safe_b = xp.where(pos, b, xp.ones_like(b))
        q = clip_max(xp, a, b)
        loss = xp.where(pos, q * (a - 0.5 * q) / safe_b, a)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="delta^2 (sqrt(1 + (e/delta)^2) - 1)",
    convex=True,
    smooth=True,
    robust=True,
)
def pseudo_huber(
    pred: Any,
    target: Any,
    /,
    *,
    delta: Any = 1.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Pseudo-Huber loss: a smooth approximation of :func:`huber`.

    .. math:: \ell(e) = \delta^2\left(\sqrt{1 + (e/\delta)^2} - 1\right), \qquad e = p - t

    Computed as ``delta^2 * r * r / (hypot(1, r) + 1)`` with ``r = |e| / delta``, which neither
    cancels for small errors nor overflows for huge ones.

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    delta : float or 0-d array, default 1.0
        Scale of the transition; must be > 0.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.pseudo_huber(np.array([1.0]), np.array([0.0]))), 6)
    0.414214
    """
    fn = "pseudo_huber"
    check_in_range(fn, "delta", delta, low=0.0, low_open=True)
    p = setup(fn, "pred target sample_weight where delta", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(delta,))
    xp = p.xp
    (d,) = p.params
    r = abs_(xp, p.arrays[0] - p.arrays[1]) / d
    one = xp.ones_like(r)
    loss = (d * d) * r * (r / (xp.hypot(one, r) + 1.0))
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="log(cosh(p - t))",
    convex=True,
    smooth=True,
    robust=True,
    counterparts={
        "optax": "optax.losses.log_cosh(pred, target).mean()",
        "keras": "keras.losses.LogCosh()(target, pred)",
    },
)
def log_cosh(
    pred: Any,
    target: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Log-cosh loss.

    .. math:: \ell(e) = \log\cosh(e) = |e| + \log(1 + e^{-2|e|}) - \log 2, \qquad e = p - t

    The right-hand form never overflows (``cosh`` would for ``|e| > 710`` in float64).

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``optax.losses.log_cosh(...).mean()`` and ``keras.losses.LogCosh``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.log_cosh(np.array([3.0]), np.array([0.0]))), 4)
    2.3093
    """
    fn = "log_cosh"
    p = setup(fn, "pred target sample_weight where", (pred, target), sample_weight=sample_weight, where=where,
              reduction=reduction, xp=xp)
    xp = p.xp
    a = abs_(xp, p.arrays[0] - p.arrays[1])
    big = a + xp.log1p(xp.exp(-2.0 * a)) - LOG_2
    # That form cancels for small |e| (float32 gives 0 at |e| = 1e-4, 5% off at 1e-3); there
    # use log cosh a = log1p(2 sinh(a/2)^2), with a capped at 1 so sinh never overflows.
    h = 0.5 * clip_max(xp, a, 1.0)
    sh = xp.sinh(h)
    loss = xp.where(a < 1.0, xp.log1p(2.0 * sh * sh), big)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="quantile regression",
    input_spaces=_SPACES,
    formula="max(q e, (q - 1) e), e = t - p",
    convex=True,
    robust=True,
    counterparts={"sklearn": "sklearn.metrics.mean_pinball_loss(target, pred, alpha=q)"},
)
def quantile(
    pred: Any,
    target: Any,
    /,
    *,
    q: Any = 0.5,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Quantile (pinball) loss.

    .. math:: \ell(e) = \max(q\,e,\ (q - 1)\,e), \qquad e = t - p

    Under-prediction costs ``q`` per unit, over-prediction ``1 - q``; ``q = 0.5`` is half the
    absolute error. The gradient at ``e = 0`` is 0.

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    q : float or 0-d array, default 0.5
        The quantile, in (0, 1).
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    ``"mean"`` equals ``sklearn.metrics.mean_pinball_loss(target, pred, alpha=q,
    sample_weight=w)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.quantile(np.array([0.0, 0.0]), np.array([1.0, -1.0]), q=0.9, reduction="none").tolist()
    [0.9, 0.09999999999999998]
    """
    fn = "quantile"
    check_in_range(fn, "q", q, low=0.0, high=1.0, low_open=True, high_open=True)
    p = setup(fn, "pred target sample_weight where q", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(q,))
    xp = p.xp
    (qq,) = p.params
    e = p.arrays[1] - p.arrays[0]
    if backend_name(xp) == "numpy":
        # Same values with 3 temporaries instead of 6: (q - 1) e is exactly (1 - q) (-e), and
        # the larger of the two is the non-negative one. NumPy has no autodiff, so the relu
        # form's min-norm subgradient at e = 0 (kept on every other backend) is moot here.
        loss = xp.maximum(qq * e, (qq - 1.0) * e)
    else:
        loss = qq * relu(xp, e) + (1.0 - qq) * relu(xp, -e)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="|p - t| / max(|t|, eps)",
    robust=True,
    counterparts={
        "sklearn": "sklearn.metrics.mean_absolute_percentage_error(target, pred)",
        "keras": "keras.losses.MeanAbsolutePercentageError()(target, pred) / 100",
    },
)
def mean_absolute_percentage_error(
    pred: Any,
    target: Any,
    /,
    *,
    eps: Any = None,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Mean absolute percentage error, as a fraction (not percent).

    .. math:: \ell(p, t) = \frac{|p - t|}{\max(|t|, \varepsilon)}

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    eps : float or 0-d array, optional
        Floor of the denominator; default ``finfo(dtype).eps`` of the compute dtype
        (sklearn floors at float64's eps, keras at 1e-7).
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``sklearn.metrics.mean_absolute_percentage_error(target, pred)`` (a fraction);
    keras' ``MeanAbsolutePercentageError`` is 100 times this with ``eps=1e-7``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.mean_absolute_percentage_error(np.array([1.0, 5.0]), np.array([2.0, 4.0])))
    0.375
    """
    fn = "mean_absolute_percentage_error"
    check_in_range(fn, "eps", eps, low=0.0, low_open=True, optional=True)
    p = setup(fn, "pred target sample_weight where eps", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(eps,) if eps is not None else ())
    xp = p.xp
    e = p.params[0] if eps is not None else finfo_eps(xp, p.dtype)
    t = p.arrays[1]
    denom = clip_max(xp, -abs_(xp, t), -e) * -1.0  # max(|t|, eps) through the fast min spelling
    loss = abs_(xp, p.arrays[0] - t) / denom
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces={"pred": "nonnegative", "target": "nonnegative"},
    formula="(log1p(p) - log1p(t))^2",
    smooth=True,
    counterparts={
        "sklearn": "sklearn.metrics.mean_squared_log_error(target, pred)",
        "keras": "keras.losses.MeanSquaredLogarithmicError()(target, pred)",
    },
)
def mean_squared_log_error(
    pred: Any,
    target: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Mean squared logarithmic error.

    .. math:: \ell(p, t) = (\log(1 + p) - \log(1 + t))^2

    Defined for ``p, t > -1`` (sklearn requires ``>= 0``); values outside give NaN, as the
    logarithm does.

    Parameters
    ----------
    pred, target : array
        Floating arrays of broadcastable shapes, usually non-negative.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``sklearn.metrics.mean_squared_log_error`` and, for non-negative inputs,
    ``keras.losses.MeanSquaredLogarithmicError``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.mean_squared_log_error(np.array([np.e - 1]), np.array([0.0]))), 6)
    1.0
    """
    fn = "mean_squared_log_error"
    p = setup(fn, "pred target sample_weight where", (pred, target), sample_weight=sample_weight, where=where,
              reduction=reduction, xp=xp)
    xp = p.xp
    d = xp.log1p(p.arrays[0]) - xp.log1p(p.arrays[1])
    return finish(p, d * d, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="robust regression",
    input_spaces=_SPACES,
    formula="c^2/6 (1 - (1 - (e/c)^2)^3) if |e| <= c else c^2/6",
    smooth=False,
    robust=True,
    bounded=True,
)
def tukey_biweight(
    pred: Any,
    target: Any,
    /,
    *,
    c: Any = 4.685,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Tukey's biweight (bisquare) loss: bounded, so gross outliers stop pulling.

    .. math::
        \ell(e) = \begin{cases} \frac{c^2}{6}\left(1 - \left(1 - (e/c)^2\right)^3\right) & |e| \le c \\
                                \frac{c^2}{6} & |e| > c \end{cases}

    Computed as ``c^2/6 (1 - (1 - r^2)^3)`` with ``r = min(|e|, c) / c``; the loss is
    continuously differentiable and its gradient is exactly 0 beyond ``c``.

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    c : float or 0-d array, default 4.685
        Tuning constant (4.685 gives 95% efficiency under Gaussian noise); must be > 0.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.tukey_biweight(np.array([1.0, 10.0]), np.zeros(2), c=2.0, reduction="none").tolist()
    [0.38541666666666663, 0.6666666666666666]
    """
    fn = "tukey_biweight"
    check_in_range(fn, "c", c, low=0.0, low_open=True)
    p = setup(fn, "pred target sample_weight where c", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(c,))
    xp = p.xp
    (cc,) = p.params
    r = clip_max(xp, abs_(xp, p.arrays[0] - p.arrays[1]), cc) / cc
    r2 = r * r
    # 1 - (1 - r2)^3 expanded as r2 (3 - 3 r2 + r2^2): the direct form cancels for small errors
    # (in float32 it is exactly 0 for |e| < ~1e-4 c, and loses digits well beyond that).
    loss = (cc * cc / 6.0) * (r2 * (3.0 - 3.0 * r2 + r2 * r2))
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces=_SPACES,
    formula="max(0, |p - t| - epsilon)  (squared: its square)",
    convex=True,
    robust=True,
    counterparts={"sklearn": "sklearn.linear_model.SGDRegressor(loss='epsilon_insensitive') (per-sample loss)"},
)
def epsilon_insensitive(
    pred: Any,
    target: Any,
    /,
    *,
    epsilon: Any = 0.1,
    squared: bool = False,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Epsilon-insensitive loss of support vector regression.

    .. math:: \ell(e) = \max(0, |e| - \varepsilon) \quad\text{or}\quad \max(0, |e| - \varepsilon)^2

    Errors within the tube ``|e| <= epsilon`` cost nothing; the gradient at ``|e| = epsilon``
    is 0.

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    epsilon : float or 0-d array, default 0.1
        Half-width of the insensitive tube; must be >= 0.
    squared : bool, default False
        Square the hinge (sklearn's ``squared_epsilon_insensitive``).
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.epsilon_insensitive(np.array([0.05, 1.0]), np.zeros(2), epsilon=0.1, reduction="none").tolist()
    [0.0, 0.9]
    """
    fn = "epsilon_insensitive"
    check_in_range(fn, "epsilon", epsilon, low=0.0)
    check_bool(fn, "squared", squared)
    p = setup(fn, "pred target sample_weight where epsilon", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(epsilon,))
    xp = p.xp
    h = relu(xp, abs_(xp, p.arrays[0] - p.arrays[1]) - p.params[0])
    return finish(p, h * h if squared else h, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="count regression",
    input_spaces={"pred": "log_rate", "target": "count"},
    formula="exp(p) - t p  (log_input) or p - t log(p + eps); + Stirling term if full",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.poisson_nll_loss(pred, target, log_input=log_input, full=full, eps=eps)",
        "keras": "keras.losses.Poisson()(target, pred)  (= log_input=False, eps=1e-7)",
    },
)
def poisson_nll(
    pred: Any,
    target: Any,
    /,
    *,
    log_input: bool = True,
    full: bool = False,
    eps: Any = 1e-8,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Poisson negative log-likelihood (up to the constant ``log t!``).

    .. math::
        \ell = \begin{cases} e^{p} - t\,p & \text{log\_input} \\
                             p - t \log(p + \varepsilon) & \text{otherwise} \end{cases}
        \;+\; \mathbb{1}[t > 1]\left(t \log t - t + \tfrac12 \log(2\pi t)\right)\ \text{if full}

    Parameters
    ----------
    pred : array
        Log-rate (``log_input=True``) or rate (``log_input=False``, must be >= 0).
    target : array
        Counts (non-negative).
    log_input : bool, default True
        Whether ``pred`` is the log of the rate.
    full : bool, default False
        Add the Stirling approximation of ``log t!`` (only where ``t > 1``, as torch).
    eps : float or 0-d array, default 1e-8
        Added to the rate inside the log when ``log_input=False``.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``torch.nn.functional.poisson_nll_loss(log_input=, full=, eps=)``.
    ``log_input=False, eps=1e-7`` equals ``keras.losses.Poisson``. sklearn's
    ``mean_poisson_deviance`` is ``tweedie_deviance(power=1)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.poisson_nll(np.log(np.array([0.5, 2.0])), np.array([1.0, 2.0]), reduction="none").round(4).tolist()
    [1.1931, 0.6137]
    """
    fn = "poisson_nll"
    check_in_range(fn, "eps", eps, low=0.0)
    check_bool(fn, "log_input", log_input)
    check_bool(fn, "full", full)
    xp = resolve(fn, "pred target sample_weight where eps", reduction, pred, target, sample_weight, where, eps, xp=xp)
    fast = _lookup(fn, xp)  # no keyword packing when the backend has no fast path
    if fast is not None:
        r = fast(pred, target, log_input=log_input, full=full, eps=eps,
                 sample_weight=sample_weight, where=where, reduction=reduction)
        if r is not NotImplemented:
            return r
    p = setup(fn, "pred target sample_weight where eps", (pred, target), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(eps,))
    xp = p.xp
    x, t = p.arrays
    loss = xp.exp(x) - t * x if log_input else x - t * xp.log(x + p.params[0])
    if full:
        big = t > 1
        ts = xp.where(big, t, xp.ones_like(t))
        stirling = ts * xp.log(ts) - ts + 0.5 * (xp.log(ts) + LOG_2PI)
        loss = loss + xp.where(big, stirling, xp.zeros_like(stirling))
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="heteroscedastic regression",
    input_spaces={"pred": "real", "target": "real", "var": "variance"},
    formula="0.5 (log(max(var, eps)) + (p - t)^2 / max(var, eps)) [+ 0.5 log(2 pi)]",
    smooth=True,
    probabilistic=True,
    counterparts={"torch": "torch.nn.functional.gaussian_nll_loss(pred, target, var, full=full, eps=eps)"},
)
def gaussian_nll(
    pred: Any,
    target: Any,
    var: Any,
    /,
    *,
    full: bool = False,
    eps: Any = 1e-6,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Gaussian negative log-likelihood with a predicted variance.

    .. math:: \ell = \tfrac12\left(\log v + \frac{(p - t)^2}{v}\right) \;[+\ \tfrac12\log 2\pi],
              \qquad v = \max(\mathrm{var}, \varepsilon)

    As in torch, the clamp at ``eps`` does not block the gradient with respect to ``var``
    (it is a straight-through clamp).

    Parameters
    ----------
    pred, target : array
        Mean prediction and target, real floating arrays.
    var : array or float
        Predicted variance (>= 0), broadcastable to ``pred``; an array with one fewer
        dimension than ``pred`` gets a trailing axis (torch's homoscedastic convention).
    full : bool, default False
        Add the constant ``0.5 log(2 pi)``.
    eps : float or 0-d array, default 1e-6
        Floor of the variance.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``torch.nn.functional.gaussian_nll_loss(full=, eps=)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.gaussian_nll(np.array([0.0]), np.array([1.0]), np.array([4.0]))), 5)
    0.81815
    """
    fn = "gaussian_nll"
    check_in_range(fn, "eps", eps, low=0.0)
    check_bool(fn, "full", full)
    if (
        hasattr(var, "ndim")
        and getattr(pred, "ndim", 0) >= 1
        and var.ndim == pred.ndim - 1
        and tuple(var.shape) == tuple(pred.shape[:-1])
    ):
        xv = setup(fn, "pred target var", (pred, target, var), sample_weight=None, where=None,
                   reduction=reduction, xp=xp).xp
        var = xv.expand_dims(var, axis=-1)
    xp = resolve(fn, "pred target var sample_weight where eps", reduction, pred, target, var, sample_weight, where, eps, xp=xp)
    fast = _lookup(fn, xp)  # no keyword packing when the backend has no fast path
    if fast is not None:
        r = fast(pred, target, var, full=full, eps=eps, sample_weight=sample_weight, where=where, reduction=reduction)
        if r is not NotImplemented:
            return r
    p = setup(fn, "pred target var sample_weight where eps", (pred, target, var), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=(eps,))
    xp = p.xp
    x, t, v = p.arrays
    e = p.params[0]
    if isinstance(v, (int, float)):
        v = max(float(v), float(e))
        loss = 0.5 * (math.log(v) + (x - t) ** 2 / v)
    else:
        # Straight-through clamp: forward max(v, eps), backward identity (torch's convention).
        v_clamped = v + stop_gradient(xp, clip_max(xp, -v, -e) * -1.0 - v)
        if not isinstance(e, (int, float)):
            # A learnable 0-d eps still gets its gradient where it is the active floor.
            v_clamped = v_clamped + (e - stop_gradient(xp, e)) * xp.astype(v < e, v.dtype)
        v = v_clamped
        d = x - t
        loss = 0.5 * (xp.log(v) + d * d / v)
    if full:
        loss = loss + 0.5 * LOG_2PI
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="regression",
    task="regression",
    input_spaces={"pred": "positive", "target": "nonnegative"},
    formula="Tweedie unit deviance d_power(t, p)",
    smooth=True,
    probabilistic=True,
    counterparts={"sklearn": "sklearn.metrics.mean_tweedie_deviance(target, pred, power=power)"},
)
def tweedie_deviance(
    pred: Any,
    target: Any,
    /,
    *,
    power: float = 0.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Tweedie unit deviance of mean prediction ``p`` (``mu``) for target ``t`` (``y``).

    .. math::
        d(y, \mu) = \begin{cases}
        (y - \mu)^2 & \text{power} = 0 \\
        2\,(y \log(y/\mu) - y + \mu) & \text{power} = 1 \text{ (Poisson)} \\
        2\,(\log(\mu/y) + y/\mu - 1) & \text{power} = 2 \text{ (Gamma)} \\
        2\left(\frac{\max(y,0)^{2-p}}{(1-p)(2-p)} - \frac{y\,\mu^{1-p}}{1-p} + \frac{\mu^{2-p}}{2-p}\right) & \text{otherwise}
        \end{cases}

    Parameters
    ----------
    pred : array
        Predicted mean (``> 0`` for ``power >= 1``, or for ``power < 0``).
    target : array
        Targets (``>= 0`` for ``1 <= power < 2``, ``> 0`` for ``power >= 2``).
    power : float, default 0.0
        Tweedie power, a Python number outside (0, 1): 0 normal, 1 Poisson, (1, 2) compound
        Poisson-gamma, 2 gamma, 3 inverse Gaussian.
    sample_weight, where, reduction, xp
        As for :func:`mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    ``"mean"`` equals ``sklearn.metrics.mean_tweedie_deviance(target, pred, power=power,
    sample_weight=w)``; power 1 and 2 are sklearn's ``mean_poisson_deviance`` and
    ``mean_gamma_deviance``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.tweedie_deviance(np.array([2.0]), np.array([1.0]), power=1)), 6)
    0.613706
    """
    fn = "tweedie_deviance"
    if not isinstance(power, (int, float)) or isinstance(power, bool) or 0 < power < 1 or not math.isfinite(power):
        from .._errors import InvalidOptionError

        raise InvalidOptionError(
            f"lossapi.{fn}: power={power!r} is invalid; it must be a Python number <= 0 or >= 1 "
            "(Tweedie distributions do not exist for 0 < power < 1)."
        )
    p = setup(fn, "pred target sample_weight where", (pred, target), sample_weight=sample_weight, where=where,
              reduction=reduction, xp=xp)
    xp = p.xp
    mu, y = p.arrays
    pw = float(power)
    if pw == 0:
        d = y - mu
        dev = d * d
    elif pw == 1:
        dev = 2.0 * (xlogy(xp, y, y / mu) - y + mu)
    elif pw == 2:
        dev = 2.0 * (xp.log(mu / y) + y / mu - 1.0)
    else:
        y_term = (relu(xp, y) if pw < 1 else y) ** (2.0 - pw)
        dev = 2.0 * (y_term / ((1.0 - pw) * (2.0 - pw)) - y * mu ** (1.0 - pw) / (1.0 - pw) + mu ** (2.0 - pw) / (2.0 - pw))
    return finish(p, dev, reduction, fn=fn, sample_weight=sample_weight, where=where)
