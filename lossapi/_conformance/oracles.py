"""Independent float64 NumPy oracles for the regression losses.

Each oracle is written from the textbook formula (API.md, the reference libraries' documented
definitions), in the most direct form, and returns the per-element (``reduction="none"``)
loss as float64. Nothing here imports or calls lossapi: an oracle that shared code with the
implementation would share its bugs.
"""

from __future__ import annotations

import math

import numpy as np

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


def _err(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    # Broadcast like the losses do, always in float64.
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    return p - t


def mean_squared_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Squared error ``(p - t)**2``.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets (broadcastable).

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    e = _err(pred, target)
    return e**2


def root_mean_squared_error(pred: np.ndarray, target: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """Per-element RMSE ``sqrt((p - t)**2 + eps)`` (the reduced form needs ``reduce_rmse``).

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    eps : float
        Added under the root.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    e = _err(pred, target)
    return np.sqrt(e**2 + eps)


def reduce_rmse(
    inputs: dict[str, np.ndarray],
    options: dict[str, float],
    reduction: str,
    sample_weight: np.ndarray | None = None,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """RMSE with the root taken after the weighted reduction.

    Parameters
    ----------
    inputs : dict
        ``{"pred": ..., "target": ...}``.
    options : dict
        May hold ``eps`` (default 0).
    reduction : {"mean", "sum", "none"}
        Reduction applied to ``w * (p - t)**2`` before the root.
    sample_weight : ndarray, optional
        Weights broadcastable to the error shape.
    where : ndarray of bool, optional
        Mask; False entries contribute nothing (their inputs may be non-finite).

    Returns
    -------
    ndarray
        ``sqrt(reduce(w e^2) + eps)``; per element for ``"none"``.
    """
    eps = float(options.get("eps", 0.0))
    with np.errstate(invalid="ignore", over="ignore"):
        sq = _err(inputs["pred"], inputs["target"]) ** 2
    w = np.ones_like(sq)
    if sample_weight is not None:
        w = w * np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), sq.shape)
    if where is not None:
        m = np.broadcast_to(np.asarray(where, dtype=bool), sq.shape)
        w = np.where(m, w, 0.0)
        sq = np.where(m, sq, 0.0)
    if reduction == "none":
        return np.sqrt(w * sq + eps)
    if reduction == "sum":
        return np.sqrt(np.sum(w * sq) + eps)
    den = np.sum(w)
    ms = 0.0 if den == 0 else np.sum(w * sq) / den
    return np.sqrt(ms + eps)


def mean_absolute_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Absolute error ``|p - t|``.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    return np.abs(_err(pred, target))


def huber(pred: np.ndarray, target: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """Huber loss: ``0.5 e^2`` for ``|e| <= delta``, else ``delta (|e| - delta/2)``.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    delta : float
        Threshold.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    a = np.abs(_err(pred, target))
    return np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta))


def smooth_l1(pred: np.ndarray, target: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """torch's smooth L1: ``0.5 e^2 / beta`` for ``|e| < beta``, else ``|e| - beta/2``.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    beta : float
        Width of the quadratic zone (0 gives L1).

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    a = np.abs(_err(pred, target))
    if beta == 0:
        return a
    return np.where(a < beta, 0.5 * a**2 / beta, a - 0.5 * beta)


def pseudo_huber(pred: np.ndarray, target: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """Pseudo-Huber ``delta^2 (sqrt(1 + (e/delta)^2) - 1)``.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    delta : float
        Scale.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    r = _err(pred, target) / delta
    # Textbook form where it is accurate; for small r it cancels, so use the series there
    # (r^2/2 - r^4/8 + r^6/16, relative error < r^8 ~ 1e-16 for |r| < 1e-2).
    r2 = r * r
    direct = delta**2 * (np.sqrt(1.0 + r2) - 1.0)
    series = delta**2 * (r2 / 2 - r2**2 / 8 + r2**3 / 16)
    return np.where(np.abs(r) < 1e-2, series, direct)


def log_cosh(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``log(cosh(e))``, with ``|e| - log 2`` once ``cosh`` would overflow.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    e = _err(pred, target)
    a = np.abs(e)
    # For |e| > 30, log(cosh e) = |e| - log 2 + log1p(exp(-2|e|)) and the last term < 1e-26.
    with np.errstate(over="ignore"):
        direct = np.log(np.cosh(np.where(a > 30, 0.0, e)))
    return np.where(a > 30, a - math.log(2.0), direct)


def quantile(pred: np.ndarray, target: np.ndarray, q: float = 0.5) -> np.ndarray:
    """Pinball loss ``max(q e, (q - 1) e)`` with ``e = t - p``.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    q : float
        Quantile level in (0, 1).

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    e = -_err(pred, target)
    return np.where(e >= 0, q * e, (q - 1.0) * e)


def mean_absolute_percentage_error(
    pred: np.ndarray, target: np.ndarray, eps: float | None = None, dtype: str = "float64"
) -> np.ndarray:
    """``|p - t| / max(|t|, eps)``; ``eps`` defaults to ``finfo(dtype).eps``.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    eps : float, optional
        Floor of the denominator.
    dtype : str
        Compute dtype whose machine epsilon is the default floor.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    if eps is None:
        # float16/bfloat16 are computed in float32 (API.md), so their default floor is float32's.
        eps = float(np.finfo(np.float64 if dtype == "float64" else np.float32).eps)
    t = np.asarray(target, dtype=np.float64)
    return np.abs(_err(pred, target)) / np.maximum(np.abs(t), eps)


def mean_squared_log_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(log(1 + p) - log(1 + t))**2``.

    Parameters
    ----------
    pred, target : ndarray
        Non-negative predictions and targets.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    return (np.log1p(p) - np.log1p(t)) ** 2


def tukey_biweight(pred: np.ndarray, target: np.ndarray, c: float = 4.685) -> np.ndarray:
    """Tukey's biweight: ``c^2/6 (1 - (1 - (e/c)^2)^3)`` inside ``|e| <= c``, ``c^2/6`` outside.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    c : float
        Rejection threshold.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    e = _err(pred, target)
    inside = c**2 / 6.0 * (1.0 - (1.0 - (e / c) ** 2) ** 3)
    return np.where(np.abs(e) <= c, inside, c**2 / 6.0)


def epsilon_insensitive(
    pred: np.ndarray, target: np.ndarray, epsilon: float = 0.1, squared: bool = False
) -> np.ndarray:
    """``max(0, |e| - epsilon)``, or its square.

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    epsilon : float
        Half-width of the insensitive tube.
    squared : bool
        Square the hinge.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    h = np.maximum(0.0, np.abs(_err(pred, target)) - epsilon)
    return h**2 if squared else h


def poisson_nll(
    pred: np.ndarray, target: np.ndarray, log_input: bool = True, full: bool = False, eps: float = 1e-8
) -> np.ndarray:
    """torch's ``poisson_nll_loss`` per element, as documented.

    ``exp(x) - t x`` (log_input) or ``x - t log(x + eps)``, plus, when ``full``, the Stirling
    term ``t log t - t + 0.5 log(2 pi t)`` only where ``t > 1``.

    Parameters
    ----------
    pred : ndarray
        Log-rate or rate.
    target : ndarray
        Counts.
    log_input, full : bool
        As in torch.
    eps : float
        Added to the rate when ``log_input`` is False.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    x = np.asarray(pred, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        ts = np.where(t > 1, t, 1.0)
        stirling = ts * np.log(ts) - ts + 0.5 * np.log(2 * math.pi * ts)
        loss = loss + np.where(t > 1, stirling, 0.0)
    return loss


def gaussian_nll(
    pred: np.ndarray, target: np.ndarray, var: np.ndarray, full: bool = False, eps: float = 1e-6
) -> np.ndarray:
    """torch's ``gaussian_nll_loss`` per element: ``0.5 (log v + (p - t)^2 / v)``, ``v = max(var, eps)``.

    Parameters
    ----------
    pred, target : ndarray
        Mean and target.
    var : ndarray
        Variance (broadcastable; one fewer dimension than ``pred`` gets a trailing axis).
    full : bool
        Add ``0.5 log(2 pi)``.
    eps : float
        Floor of the variance.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    p = np.asarray(pred, dtype=np.float64)
    v = np.asarray(var, dtype=np.float64)
    if p.ndim >= 1 and v.ndim == p.ndim - 1 and v.shape == p.shape[:-1]:
        v = v[..., None]  # torch's homoscedastic convention
    v = np.maximum(v, eps)
    loss = 0.5 * (np.log(v) + _err(p, target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return loss


def tweedie_deviance(pred: np.ndarray, target: np.ndarray, power: float = 0.0) -> np.ndarray:
    """Tweedie unit deviance, sklearn's ``mean_tweedie_deviance`` definition, per element.

    Parameters
    ----------
    pred : ndarray
        Predicted mean ``mu``.
    target : ndarray
        Observations ``y``.
    power : float
        Tweedie power (outside (0, 1)).

    Returns
    -------
    ndarray
        Per-element deviance, float64.
    """
    mu = np.asarray(pred, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    p = float(power)
    if p == 0:
        return (y - mu) ** 2
    if p == 1:
        # y log(y/mu) with the 0 log 0 = 0 convention.
        with np.errstate(divide="ignore", invalid="ignore"):
            ylog = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
        return 2 * (ylog - y + mu)
    if p == 2:
        return 2 * (np.log(mu / y) + y / mu - 1)
    y_term = (np.maximum(y, 0.0) if p < 0 else y) ** (2 - p)
    return 2 * (y_term / ((1 - p) * (2 - p)) - y * mu ** (1 - p) / (1 - p) + mu ** (2 - p) / (2 - p))


def general_robust(pred: np.ndarray, target: np.ndarray, alpha: float = 1.0, scale: float = 1.0) -> np.ndarray:
    """Barron's rho, straight from the paper's definition (CVPR 2019, eq. 8), in extended precision.

    ``|a-2|/a (((e/c)^2/|a-2| + 1)^(a/2) - 1)`` in ``np.longdouble``, with the power's binomial
    series where ``(e/c)^2/|a-2|`` is small, and the paper's limits at ``a = 2`` (``z/2``),
    ``a = 0`` (``log(z/2 + 1)``) and ``a = -inf`` (``1 - exp(-z/2)``).

    Parameters
    ----------
    pred, target : ndarray
        Predictions and targets.
    alpha : float
        Shape parameter (a Python number, possibly ``-inf``).
    scale : float
        Scale ``c > 0``.

    Returns
    -------
    ndarray
        Per-element loss, float64.
    """
    x = np.asarray(_err(pred, target), dtype=np.longdouble) / np.longdouble(scale)
    z = x * x
    a = np.longdouble(alpha)
    if alpha == 2:
        out = z / 2
    elif alpha == 0:
        out = np.log1p(z / 2)
    elif alpha == -math.inf:
        out = -np.expm1(-z / 2)
    else:
        b = abs(a - 2)
        u, p = z / b, a / 2
        # (1 + u)^p - 1: for small u its binomial series (5 terms, relative error ~ u^5), where
        # the power would cancel against the 1.
        series = u * p * (1 + u * (p - 1) / 2 * (1 + u * (p - 2) / 3 * (1 + u * (p - 3) / 4 * (1 + u * (p - 4) / 5))))
        direct = (u + 1) ** p - 1
        out = b / a * np.where(u < 1e-3, series, direct)
    return np.asarray(out, dtype=np.float64)
