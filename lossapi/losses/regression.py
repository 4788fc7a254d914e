"""Regression losses: errors between real-valued predictions and targets.

Every loss here is elementwise: ``reduction="none"`` returns the broadcast shape of ``pred``
and ``target``. Shared conventions: ``sample_weight`` and ``where`` broadcast to that shape,
``"mean"`` is ``sum(w * l) / sum(w)`` (0 when every weight is 0), float16/bfloat16 are
computed in float32, and entries excluded by ``where`` may hold inf/NaN.

Gradients at kinks are the minimum-norm subgradient on every backend (0 for ``|e|`` at 0, for
the pinball loss at 0, and for the epsilon-insensitive loss at ``|e| = epsilon``).
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Array, Namespace, is_number
from .._dispatch import backend_name
from .._loss import ELEMENTWISE, Elementwise, PerElement, loss
from .._ops import LOG_2, LOG_2PI, abs_, clip_max, exprel, finfo_eps, relu, safe_sqrt, stop_gradient, xlogy
from .._options import Flag, Interval, Union

__all__ = [
    "epsilon_insensitive",
    "gaussian_nll",
    "general_robust",
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
_POSITIVE = Interval(0, None, closed="neither")
_NONNEGATIVE = Interval(0, None)


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
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
def mean_squared_error(xp: Namespace, pred: Array, target: Array) -> Any:
    r"""Mean squared error.

    .. math:: \ell(p, t) = (p - t)^2

    Parameters
    ----------
    pred, target : array
        Predictions and targets, real floating arrays of broadcastable shapes.

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
    d = pred - target
    return d * d


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
    options={"eps": (0.0, _NONNEGATIVE)},
    formula="sqrt(reduce((p - t)^2) + eps)",
    convex=True,
    counterparts={"sklearn": "sklearn.metrics.root_mean_squared_error(target, pred)"},
    aliases=("rmse",),
)
def root_mean_squared_error(xp: Namespace, pred: Array, target: Array, *, eps: Any) -> Any:
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
    d = pred - target
    # With eps = 0 the root's gradient at a perfect fit is 0 (minimum-norm), not inf.
    root = xp.sqrt if is_number(eps) and eps > 0 else (lambda x: safe_sqrt(xp, x))
    return PerElement(d * d, after=lambda ms: root(ms + eps))


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
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
def mean_absolute_error(xp: Namespace, pred: Array, target: Array) -> Any:
    r"""Mean absolute error (L1 loss).

    .. math:: \ell(p, t) = |p - t|

    The gradient at ``p == t`` is 0 on every backend (JAX's own ``abs`` would give 1).

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.

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
    return abs_(xp, pred - target)


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
    options={"delta": (1.0, _POSITIVE)},
    formula="0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta), e = p - t",
    convex=True,
    robust=True,
    counterparts={
        "torch": "torch.nn.functional.huber_loss(pred, target, delta=delta)",
        "optax": "optax.losses.huber_loss(pred, target, delta=delta).mean()",
        "keras": "keras.losses.Huber(delta=delta)(target, pred)",
    },
)
def huber(xp: Namespace, pred: Array, target: Array, *, delta: Any) -> Any:
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
    a = abs_(xp, pred - target)
    q = clip_max(xp, a, delta)
    return q * (a - 0.5 * q)


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
    options={"beta": (1.0, _NONNEGATIVE)},
    formula="0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta, e = p - t",
    convex=True,
    robust=True,
    counterparts={"torch": "torch.nn.functional.smooth_l1_loss(pred, target, beta=beta)"},
)
def smooth_l1(xp: Namespace, pred: Array, target: Array, *, beta: Any) -> Any:
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
    a = abs_(xp, pred - target)
    if is_number(beta):
        if beta == 0:
            return a
        q = clip_max(xp, a, beta)
        return PerElement(q * (a - 0.5 * q), divide_by=beta)  # Huber / beta, divided once after reducing
    q = clip_max(xp, a, beta)
    pos = beta > 0
    return xp.where(pos, q * (a - 0.5 * q) / xp.where(pos, beta, xp.ones_like(beta)), a)


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
    options={"delta": (1.0, _POSITIVE)},
    formula="delta^2 (sqrt(1 + (e/delta)^2) - 1)",
    convex=True,
    smooth=True,
    robust=True,
)
def pseudo_huber(xp: Namespace, pred: Array, target: Array, *, delta: Any) -> Any:
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

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.pseudo_huber(np.array([1.0]), np.array([0.0]))), 6)
    0.414214
    """
    r = abs_(xp, pred - target) / delta
    return (delta * delta) * r * (r / (xp.hypot(xp.ones_like(r), r) + 1.0))


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
    formula="log(cosh(p - t))",
    convex=True,
    smooth=True,
    robust=True,
    counterparts={
        "optax": "optax.losses.log_cosh(pred, target).mean()",
        "keras": "keras.losses.LogCosh()(target, pred)",
    },
)
def log_cosh(xp: Namespace, pred: Array, target: Array) -> Any:
    r"""Log-cosh loss.

    .. math:: \ell(e) = \log\cosh(e) = |e| + \log(1 + e^{-2|e|}) - \log 2, \qquad e = p - t

    The right-hand form never overflows (``cosh`` would for ``|e| > 710`` in float64).

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.

    Notes
    -----
    Equals ``optax.losses.log_cosh(...).mean()`` and ``keras.losses.LogCosh``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.log_cosh(np.array([3.0]), np.array([0.0]))), 4)
    2.3093
    """
    a = abs_(xp, pred - target)
    # |e| + log1p(exp(-2|e|)) - log 2 cancels for small |e| (float32 gives 0 at 1e-4); there
    # log cosh a = log1p(2 sinh(a/2)^2), with a capped at 1 so sinh never overflows.
    sh = xp.sinh(0.5 * clip_max(xp, a, 1.0))
    return xp.where(a < 1.0, xp.log1p(2.0 * sh * sh), a + xp.log1p(xp.exp(-2.0 * a)) - LOG_2)


@loss(
    ELEMENTWISE,
    family="regression",
    task="quantile regression",
    inputs=_SPACES,
    options={"q": (0.5, Interval(0, 1, closed="neither"))},
    formula="max(q e, (q - 1) e), e = t - p",
    convex=True,
    robust=True,
    counterparts={"sklearn": "sklearn.metrics.mean_pinball_loss(target, pred, alpha=q)"},
)
def quantile(xp: Namespace, pred: Array, target: Array, *, q: Any) -> Any:
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
    e = target - pred
    if backend_name(xp) == "numpy":
        # 3 temporaries instead of 6: (q - 1) e is exactly (1 - q) (-e), and the larger of the two
        # is the non-negative one. No autodiff on NumPy, so the subgradient at 0 is moot there.
        return xp.maximum(q * e, (q - 1.0) * e)
    return q * relu(xp, e) + (1.0 - q) * relu(xp, -e)


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
    options={"eps": (None, Interval(0, None, closed="neither", optional=True))},
    formula="|p - t| / max(|t|, eps)",
    robust=True,
    counterparts={
        "sklearn": "sklearn.metrics.mean_absolute_percentage_error(target, pred)",
        "keras": "keras.losses.MeanAbsolutePercentageError()(target, pred) / 100",
    },
)
def mean_absolute_percentage_error(xp: Namespace, pred: Array, target: Array, *, eps: Any) -> Any:
    r"""Mean absolute percentage error, as a fraction (not percent).

    .. math:: \ell(p, t) = \frac{|p - t|}{\max(|t|, \varepsilon)}

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    eps : float or 0-d array, optional
        Floor of the denominator; default ``finfo(dtype).eps`` of the compute dtype
        (sklearn floors at float64's eps, keras at 1e-7).

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
    floor = finfo_eps(xp, pred.dtype) if eps is None else eps
    denom = clip_max(xp, -abs_(xp, target), -floor) * -1.0  # max(|t|, eps) through the fast min spelling
    return abs_(xp, pred - target) / denom


@loss(
    ELEMENTWISE,
    family="regression",
    inputs={"pred": "nonnegative", "target": "nonnegative"},
    formula="(log1p(p) - log1p(t))^2",
    smooth=True,
    counterparts={
        "sklearn": "sklearn.metrics.mean_squared_log_error(target, pred)",
        "keras": "keras.losses.MeanSquaredLogarithmicError()(target, pred)",
    },
)
def mean_squared_log_error(xp: Namespace, pred: Array, target: Array) -> Any:
    r"""Mean squared logarithmic error.

    .. math:: \ell(p, t) = (\log(1 + p) - \log(1 + t))^2

    Defined for ``p, t > -1`` (sklearn requires ``>= 0``); values outside give NaN, as the
    logarithm does.

    Parameters
    ----------
    pred, target : array
        Floating arrays of broadcastable shapes, usually non-negative.

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
    d = xp.log1p(pred) - xp.log1p(target)
    return d * d


@loss(
    ELEMENTWISE,
    family="regression",
    task="robust regression",
    inputs=_SPACES,
    options={"c": (4.685, _POSITIVE)},
    formula="c^2/6 (1 - (1 - (e/c)^2)^3) if |e| <= c else c^2/6",
    robust=True,
    bounded=True,
)
def tukey_biweight(xp: Namespace, pred: Array, target: Array, *, c: Any) -> Any:
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

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.tukey_biweight(np.array([1.0, 10.0]), np.zeros(2), c=2.0, reduction="none").tolist()
    [0.38541666666666663, 0.6666666666666666]
    """
    r = clip_max(xp, abs_(xp, pred - target), c) / c
    r2 = r * r
    # 1 - (1 - r2)^3 expanded as r2 (3 - 3 r2 + r2^2): the direct form cancels for small errors
    # (in float32 it is exactly 0 for |e| < ~1e-4 c, and loses digits well beyond that).
    return (c * c / 6.0) * (r2 * (3.0 - 3.0 * r2 + r2 * r2))


@loss(
    ELEMENTWISE,
    family="regression",
    inputs=_SPACES,
    options={"epsilon": (0.1, _NONNEGATIVE), "squared": (False, Flag())},
    formula="max(0, |p - t| - epsilon)  (squared: its square)",
    convex=True,
    robust=True,
    counterparts={"sklearn": "sklearn.linear_model.SGDRegressor(loss='epsilon_insensitive') (per-sample loss)"},
)
def epsilon_insensitive(xp: Namespace, pred: Array, target: Array, *, epsilon: Any, squared: bool) -> Any:
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

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.epsilon_insensitive(np.array([0.05, 1.0]), np.zeros(2), epsilon=0.1, reduction="none").tolist()
    [0.0, 0.9]
    """
    h = relu(xp, abs_(xp, pred - target) - epsilon)
    return h * h if squared else h


@loss(
    ELEMENTWISE,
    family="regression",
    task="count regression",
    inputs={"pred": "log_rate", "target": "count"},
    options={"log_input": (True, Flag()), "full": (False, Flag()), "eps": (1e-8, _NONNEGATIVE)},
    formula="exp(p) - t p  (log_input) or p - t log(p + eps); + Stirling term if full",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.poisson_nll_loss(pred, target, log_input=log_input, full=full, eps=eps)",
        "keras": "keras.losses.Poisson()(target, pred)  (= log_input=False, eps=1e-7)",
    },
)
def poisson_nll(xp: Namespace, pred: Array, target: Array, *, log_input: bool, full: bool, eps: Any) -> Any:
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
    loss = xp.exp(pred) - target * pred if log_input else pred - target * xp.log(pred + eps)
    if not full:
        return loss
    big = target > 1  # Stirling's log t! only where t > 1 (torch)
    t = xp.where(big, target, xp.ones_like(target))
    return loss + xp.where(big, t * xp.log(t) - t + 0.5 * (xp.log(t) + LOG_2PI), xp.zeros_like(t))


def _homoscedastic(xp: Namespace, arrays: tuple[Any, ...]) -> tuple[Any, ...]:
    """A ``var`` with one dimension fewer than ``pred`` (its shape without the last axis) gets a
    trailing axis: torch's homoscedastic convention (one variance per row)."""
    pred, target, var = arrays
    if (
        hasattr(var, "ndim")
        and getattr(pred, "ndim", 0) >= 1
        and var.ndim == pred.ndim - 1
        and tuple(var.shape) == tuple(pred.shape[:-1])
    ):
        var = xp.expand_dims(var, axis=-1)
    return pred, target, var


@loss(
    Elementwise(align=_homoscedastic),
    family="regression",
    task="heteroscedastic regression",
    inputs={"pred": "real", "target": "real", "var": "variance"},
    options={"full": (False, Flag()), "eps": (1e-6, _NONNEGATIVE)},
    formula="0.5 (log(max(var, eps)) + (p - t)^2 / max(var, eps)) [+ 0.5 log(2 pi)]",
    smooth=True,
    probabilistic=True,
    counterparts={"torch": "torch.nn.functional.gaussian_nll_loss(pred, target, var, full=full, eps=eps)"},
)
def gaussian_nll(xp: Namespace, pred: Array, target: Array, var: Array, *, full: bool, eps: Any) -> Any:
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

    Notes
    -----
    Equals ``torch.nn.functional.gaussian_nll_loss(full=, eps=)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.gaussian_nll(np.array([0.0]), np.array([1.0]), np.array([4.0]))), 5)
    0.81815
    """
    # Straight-through clamp: forward max(var, eps), backward identity (torch's convention).
    v = var + stop_gradient(xp, clip_max(xp, -var, -eps) * -1.0 - var)
    if not is_number(eps):  # a learnable 0-d eps still gets its gradient where it is the floor
        v = v + (eps - stop_gradient(xp, eps)) * xp.astype(var < eps, var.dtype)
    d = pred - target
    loss = 0.5 * (xp.log(v) + d * d / v)
    return loss + 0.5 * LOG_2PI if full else loss


_TWEEDIE_POWER = Union(
    Interval(None, 0, arrays=False),
    Interval(1, None, arrays=False),
    what="a Python number <= 0 or >= 1 (Tweedie distributions do not exist for 0 < power < 1)",
)


@loss(
    ELEMENTWISE,
    family="regression",
    inputs={"pred": "positive", "target": "nonnegative"},
    options={"power": (0.0, _TWEEDIE_POWER)},
    formula="Tweedie unit deviance d_power(t, p)",
    smooth=True,
    probabilistic=True,
    counterparts={"sklearn": "sklearn.metrics.mean_tweedie_deviance(target, pred, power=power)"},
    value_rules={"pred": "tweedie", "target": "tweedie"},
)
def tweedie_deviance(xp: Namespace, pred: Array, target: Array, *, power: float) -> Any:
    r"""Tweedie unit deviance of mean prediction ``p`` (``mu``) for target ``t`` (``y``).

    .. math::
        d(y, \mu) = \begin{cases}
        (y - \mu)^2 & \text{power} = 0 \\
        2\,(y \log(y/\mu) - y + \mu) & \text{power} = 1 \text{ (Poisson)} \\
        2\,(\log(\mu/y) + y/\mu - 1) & \text{power} = 2 \text{ (Gamma)} \\
        2\left(\frac{\max(y,0)^{2-p}}{(1-p)(2-p)} - \frac{y\,\mu^{1-p}}{1-p}
        + \frac{\mu^{2-p}}{2-p}\right) & \text{otherwise}
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
    mu, y, pw = pred, target, float(power)
    if pw == 0:
        return (y - mu) * (y - mu)
    if pw == 1:
        return 2.0 * (xlogy(xp, y, y / mu) - y + mu)
    if pw == 2:
        return 2.0 * (xp.log(mu / y) + y / mu - 1.0)
    y_term = (relu(xp, y) if pw < 1 else y) ** (2.0 - pw)
    return 2.0 * (
        y_term / ((1.0 - pw) * (2.0 - pw)) - y * mu ** (1.0 - pw) / (1.0 - pw) + mu ** (2.0 - pw) / (2.0 - pw)
    )


def _robust_at(xp: Namespace, z: Array, alpha: float) -> Array:
    """Barron's rho as a function of ``z = (e/c)^2`` for a Python-number ``alpha``: the exact
    limit at 2, 0 and -inf, else ``|a-2|/a ((z/|a-2| + 1)^(a/2) - 1)`` written without
    cancellation as ``|a-2|/a expm1(a/2 log1p(z/|a-2|))``."""
    if alpha == 2:
        return 0.5 * z
    if alpha == 0:
        return xp.log1p(0.5 * z)
    if alpha == -math.inf:
        return -xp.expm1(-0.5 * z)
    b = abs(alpha - 2.0)
    return (b / alpha) * xp.expm1((0.5 * alpha) * xp.log1p(z / b))


def _robust_traced(xp: Namespace, z: Array, alpha: Array) -> Array:
    """The same for a 0-d array ``alpha`` (learned): ``b L/2 exprel(a L/2)``, ``L = log1p(z/b)``,
    ``b = |a - 2|``, is exact and smooth through ``a = 0`` (value and gradient); ``a = 2`` and
    ``-inf`` take their limits, the general branch seeing a harmless ``a = 1`` there."""
    two, ninf = alpha == 2, alpha == -math.inf
    a = xp.where(two | ninf, xp.ones_like(alpha), alpha)
    b = abs_(xp, a - 2.0)
    half_l = 0.5 * xp.log1p(z / b)
    general = b * half_l * exprel(xp, a * half_l)
    return xp.where(two, 0.5 * z, xp.where(ninf, -xp.expm1(-0.5 * z), general))


@loss(
    ELEMENTWISE,
    family="regression",
    task="robust regression",
    inputs=_SPACES,
    options={"alpha": (1.0, Interval(-math.inf, None)), "scale": (1.0, _POSITIVE)},
    formula="|a-2|/a (((e/c)^2/|a-2| + 1)^(a/2) - 1); a = 2: (e/c)^2/2, a = 0: log(1 + (e/c)^2/2), "
    "a = -inf: 1 - exp(-(e/c)^2/2)",
    smooth=True,
    robust=True,
)
def general_robust(xp: Namespace, pred: Array, target: Array, *, alpha: Any, scale: Any) -> Any:
    r"""Barron's general and adaptive robust loss (CVPR 2019): one shape parameter for a family.

    .. math::

        \rho(e, \alpha, c) = \frac{|\alpha - 2|}{\alpha}
            \left(\left(\frac{(e/c)^2}{|\alpha - 2|} + 1\right)^{\alpha/2} - 1\right),
        \qquad e = p - t

    with its limits taken exactly: :math:`\alpha = 2` is :math:`\tfrac12 (e/c)^2` (L2),
    :math:`\alpha = 0` is :math:`\log(\tfrac12 (e/c)^2 + 1)` (Cauchy / Lorentzian) and
    :math:`\alpha = -\infty` is :math:`1 - \exp(-\tfrac12 (e/c)^2)` (Welsch). Other members:
    :math:`\alpha = 1` is pseudo-Huber with :math:`\delta = c` divided by :math:`c^2`
    (:math:`\sqrt{(e/c)^2 + 1} - 1`, smoothed L1) and :math:`\alpha = -2` Geman-McClure
    (:math:`2 (e/c)^2 / ((e/c)^2 + 4)`). Smaller :math:`\alpha` is more robust: the loss is
    bounded for :math:`\alpha < 0`. Every member is 0 at :math:`e = 0`, :math:`\approx \tfrac12 (e/c)^2`
    near it, and its gradient w.r.t. ``pred`` is 0 there.

    It is evaluated as :math:`\frac{|\alpha-2|}{\alpha}\operatorname{expm1}\bigl(\tfrac{\alpha}{2}
    \operatorname{log1p}((e/c)^2/|\alpha-2|)\bigr)`, which does not cancel for small errors or
    :math:`\alpha` near 0. ``alpha`` and ``scale`` may be 0-d arrays that receive gradients (the
    adaptive loss learns them): values and gradients w.r.t. ``pred``, ``target`` and ``scale`` are
    exact and finite for every :math:`\alpha`, the gradient w.r.t. ``alpha`` too, including at
    :math:`\alpha = 0` (the derivative of the limit). At :math:`\alpha = 2` the loss is not
    differentiable in :math:`\alpha` (the derivative is unbounded on both sides): there the
    gradient w.r.t. ``alpha`` is 0, that of the exact L2 branch.

    Parameters
    ----------
    pred, target : array
        Real floating arrays of broadcastable shapes.
    alpha : float or 0-d array, default 1.0
        Shape :math:`\alpha \in [-\infty, \infty)`: 2 is L2, 1 smoothed L1, 0 Cauchy, -2
        Geman-McClure, ``-math.inf`` Welsch.
    scale : float or 0-d array, default 1.0
        Scale :math:`c > 0` of the quadratic bowl near 0.

    Notes
    -----
    Barron, "A General and Adaptive Robust Loss Function", CVPR 2019, eq. (8) without its
    :math:`\alpha = +\infty` member. The adaptive form of the paper also adds the negative
    log-normaliser :math:`\log(c Z(\alpha))` to make :math:`\alpha` learnable by maximum
    likelihood; this function is :math:`\rho` itself.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> e = np.array([0.0, 1.0, 3.0])
    >>> la.general_robust(e, np.zeros(3), alpha=2.0, reduction="none").tolist()
    [0.0, 0.5, 4.5]
    >>> la.general_robust(e, np.zeros(3), alpha=0.0, reduction="none").round(6).tolist()
    [0.0, 0.405465, 1.704748]
    >>> la.general_robust(e, np.zeros(3), alpha=-2.0, reduction="none").round(6).tolist()
    [0.0, 0.4, 1.384615]
    """
    z = (pred - target) / scale
    z = z * z
    return _robust_at(xp, z, alpha) if is_number(alpha) else _robust_traced(xp, z, alpha)
