"""Conformance of the regression losses (``lossapi.losses.regression``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracles for the regression losses.

Each oracle is written from the textbook formula (the documented API, the reference libraries' documented
definitions), in the most direct form, and returns the per-element (``reduction="none"``)
loss as float64. Nothing here imports or calls lossapi: an oracle that shared code with the
implementation would share its bugs.

Cases
-----
Conformance cases for the regression family (one :class:`Case` per catalog loss).

Inputs are drawn in each loss's valid domain with errors kept at least ``_GAP`` away from
every kink / branch point (0, ``delta``, ``beta``, ``c``, ``epsilon``), so that finite
differences are meaningful; the kinks themselves are visited by the :class:`Edge` points.

Counterparts
------------
Native counterparts of the regression losses (torch, optax, keras, sklearn).

Mappings worth knowing (each one is what the documented API promises):

- sklearn metrics take the target first; their ``sample_weight`` weights samples (rows),
  and ``"mean"`` is the weighted mean, as in lossapi. ``mean_absolute_percentage_error``
  floors ``|t|`` at float64's eps (lossapi's default in float64).
- keras losses take the target first, reduce the last axis, then average over the batch; on
  inputs of equal row length that is lossapi's ``"mean"`` (only). keras' MAPE is a
  percentage with eps 1e-7; keras' Poisson is ``poisson_nll(log_input=False, eps=1e-7)``.
- optax losses are elementwise; ``"mean"``/``"sum"`` reduce them with NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz
from ..counterparts import (
    Counterpart,
    _jnp,
    _keras,
    _mean_only,
    _mean_opts,
    _mean_unweighted,
    _np,
    _reduce,
    _torch,
    _unweighted,
)
from ..fuzz import pred_is_target

__all__ = [
    "CASES",
    "COUNTERPARTS",
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

#: A case's drawn inputs (input name -> NumPy array).
Inputs = dict[str, np.ndarray]
#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]
#: What a counterpart receives: the drawn inputs (read-only).
Arrays = Mapping[str, np.ndarray]


# ==================================================================================================
# Oracles
# ==================================================================================================


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
        # float16/bfloat16 are computed in float32 (the documented rule), so their default floor is float32's.
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


# ==================================================================================================
# Cases
# ==================================================================================================

#: Minimum distance of a random error from a kink.
_GAP = 1e-2


def _away(e: np.ndarray, points: Iterable[float]) -> np.ndarray:
    """Push ``|e|`` at least ``_GAP`` away from each of ``points`` (keeping the sign)."""
    e = np.array(e, dtype=np.float64)
    for c in points:
        a = np.abs(e)
        near = np.abs(a - c) < _GAP
        # Move outward by 2 gaps: never lands near another point unless points are < 3 gaps apart.
        s = np.where(e >= 0, 1.0, -1.0)
        e = np.where(near, s * (c + 2 * _GAP), e)
    return e


def _error_inputs(scale: float, kinks: Mapping[str, float] | Iterable[float] = ()):
    """A ``make_inputs`` drawing ``target ~ N(0, 1)`` and ``pred = target + e``.

    ``e ~ N(0, scale)`` pushed away from 0 and from each option value in ``kinks`` (option
    names, looked up in the options with the given default) or fixed points.
    """

    def make(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
        pts = [0.0]
        if isinstance(kinks, Mapping):
            pts += [float(options.get(k, d)) for k, d in kinks.items()]
        else:
            pts += list(kinks)
        t = rng.normal(0.0, 1.0, shape)
        e = _away(rng.normal(0.0, scale, shape), pts)
        return {"pred": t + e, "target": t}

    return make


def _pt(pred: Any, target: Any) -> dict[str, np.ndarray]:
    return {"pred": np.asarray(pred, dtype=np.float64), "target": np.asarray(target, dtype=np.float64)}


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _target_is_pred(x: Inputs, o: Options) -> Inputs:
    return {**x, "target": np.array(x["pred"], dtype=np.float64)}


def _perfect_rmse(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    return {**x, "pred": np.array(x["target"], dtype=np.float64)}, np.sqrt(float(o.get("eps", 0.0)))


# -- cases ------------------------------------------------------------------------------------

_MSE = Case(
    name="mean_squared_error",
    make_inputs=_error_inputs(1.5),
    oracle=mean_squared_error,
    edges=(
        Edge("zero error", _pt([0.0, 1.0, -2.0], [0.0, 1.0, -2.0])),
        Edge("large error", _pt([1e3, -1e3], [-1e3, 1e3])),
    ),
    sweep=sweeps.Sweep(**sweeps.REGRESSION),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
)

_MAE = Case(
    name="mean_absolute_error",
    make_inputs=_error_inputs(1.5),
    oracle=mean_absolute_error,
    edges=(
        Edge("e = 0 (kink)", _pt([0.0, 1.5, -2.0], [0.0, 1.5, -2.0]), kink=True),
        Edge("large error", _pt([1e3, -1e3], [-1e3, 1e3])),
    ),
    sweep=sweeps.Sweep(**sweeps.REGRESSION),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
)

_HUBER = Case(
    name="huber",
    make_inputs=_error_inputs(1.5, {"delta": 1.0}),
    oracle=huber,
    options=({}, {"delta": 0.5}, {"delta": 1.0}, {"delta": 2.0}),
    edges=(
        # |e| = delta is C1 (not a kink): the gradient must be delta * sign(e) from both sides.
        Edge("|e| = delta = 1", _pt([1.0, -1.0, 0.5], [0.0, 0.0, 1.5]), {"delta": 1.0}),
        Edge("|e| = delta = 2", _pt([2.0, -2.0], [0.0, 0.0]), {"delta": 2.0}),
        Edge("e = 0", _pt([0.0, 3.0], [0.0, 3.0]), {"delta": 0.5}),
        Edge("large error", _pt([1e3, -1e3], [0.0, 0.0]), {"delta": 0.5}),
    ),
    sweep=sweeps.Sweep(
        **{**sweeps.REGRESSION, "lines": (sweeps.Line(options={"delta": 1.0}), sweeps.Line(options={"delta": 2.0}))}
    ),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
)

_RMSE = Case(
    name="root_mean_squared_error",
    make_inputs=_error_inputs(1.5),
    oracle=root_mean_squared_error,
    options=({}, {"eps": 0.0}, {"eps": 1e-3}),
    reduce_oracle=reduce_rmse,
    edges=(
        # A perfect prediction: sqrt at 0 (the loss has a kink, the gradient must not be NaN).
        Edge("perfect prediction (kink)", _pt([0.5, -1.0, 2.0], [0.5, -1.0, 2.0]), {"eps": 0.0}, kink=True),
        Edge("perfect prediction, eps", _pt([0.5, -1.0, 2.0], [0.5, -1.0, 2.0]), {"eps": 1e-3}),
    ),
    sweep=sweeps.Sweep(**sweeps.REGRESSION),
    fuzz=Fuzz(
        perfect=_perfect_rmse,
        mean_rule="sqrt(weighted mean of w*(p-t)^2 + eps); sum = sqrt(sum + eps); none = sqrt(w e^2 + eps)",
    ),
)

_SMOOTH_L1 = Case(
    name="smooth_l1",
    make_inputs=_error_inputs(1.5, {"beta": 1.0}),
    oracle=smooth_l1,
    options=({}, {"beta": 0.0}, {"beta": 0.5}, {"beta": 1.0}),
    edges=(
        Edge("beta = 0, e = 0 (kink)", _pt([0.0, 1.0, -1.0], [0.0, 1.0, -1.0]), {"beta": 0.0}, kink=True),
        Edge("beta = 0, e != 0", _pt([0.5, -2.0], [0.0, 0.0]), {"beta": 0.0}),
        # |e| = beta is C1 (the gradient is sign(e) on both sides).
        Edge("|e| = beta = 0.5", _pt([0.5, -0.5], [0.0, 0.0]), {"beta": 0.5}),
        Edge("|e| = beta = 1", _pt([1.0, -1.0], [0.0, 0.0]), {"beta": 1.0}),
    ),
    sweep=sweeps.Sweep(**sweeps.REGRESSION),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
)

_PSEUDO_HUBER = Case(
    name="pseudo_huber",
    make_inputs=_error_inputs(1.5),
    oracle=pseudo_huber,
    options=({}, {"delta": 0.5}, {"delta": 2.0}),
    edges=(
        Edge("e = 0", _pt([0.0, 1.0], [0.0, 1.0])),
        Edge("tiny error", _pt([1e-5, -1e-6], [0.0, 0.0])),
        # (e/delta)^2 overflows float32 for |e| = 1e20: the value must stay finite (~ delta |e|).
        Edge("huge error", _pt([1e3, -1e3, 1e20], [0.0, 0.0, 0.0])),
    ),
    sweep=sweeps.Sweep(**sweeps.REGRESSION),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
)

_LOG_COSH = Case(
    name="log_cosh",
    make_inputs=_error_inputs(2.0),
    oracle=log_cosh,
    edges=(
        Edge("e = 0", _pt([0.0, 2.0], [0.0, 2.0])),
        # cosh(1e3) overflows even float64; log cosh must still be |e| - log 2.
        Edge("huge error", _pt([1e3, -1e3, 50.0], [0.0, 0.0, -50.0])),
    ),
    sweep=sweeps.Sweep(**sweeps.REGRESSION),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
)

_QUANTILE = Case(
    name="quantile",
    make_inputs=_error_inputs(1.5),
    oracle=quantile,
    options=({}, {"q": 0.1}, {"q": 0.5}, {"q": 0.9}),
    edges=(
        Edge("e = 0 (kink), q = 0.1", _pt([0.0, 1.0], [0.0, 1.0]), {"q": 0.1}, kink=True),
        Edge("e = 0 (kink), q = 0.9", _pt([0.0, -2.0], [0.0, -2.0]), {"q": 0.9}, kink=True),
    ),
    sweep=sweeps.Sweep(
        **{**sweeps.REGRESSION, "lines": (sweeps.Line(options={"q": 0.5}), sweeps.Line(options={"q": 0.9}))}
    ),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
    invalid_options={"q": [0.0, 1.0, -0.2, 1.5]},
)


def _mape_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    # |t| in [0.5, 3] (either sign) keeps the eps floor out of play; the floor is an edge.
    t = rng.uniform(0.5, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    e = _away(rng.normal(0.0, 1.0, shape), [0.0])
    return {"pred": t + e, "target": t}


_MAPE = Case(
    name="mean_absolute_percentage_error",
    make_inputs=_mape_inputs,
    oracle=mean_absolute_percentage_error,
    options=({}, {"eps": 1e-3}, {"eps": 1.0}),
    edges=(
        Edge("zero target, eps floor", _pt([0.5, -0.25, 0.0], [0.0, 0.0, 0.0]), {"eps": 1e-3}),
        Edge("|t| below eps", _pt([1.0, 1.0], [0.5, -0.5]), {"eps": 1.0}),
    ),
    sweep=sweeps.Sweep(
        **{**sweeps.REGRESSION, "description": "pred = t + e, t = 1", "build": lambda xp, x: sweeps.error(xp, x, t=1.0)}
    ),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
    invalid_options={"eps": [0.0, -1.0]},
)


def _msle_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    t = rng.uniform(0.0, 5.0, shape)
    p = rng.uniform(0.0, 5.0, shape)
    # Keep the log-errors away from 0 (the squared error has no kink, but tidy differences).
    p = np.where(np.abs(p - t) < _GAP, t + 3 * _GAP, p)
    return {"pred": p, "target": t}


_MSLE = Case(
    name="mean_squared_log_error",
    make_inputs=_msle_inputs,
    oracle=mean_squared_log_error,
    cancels=True,
    edges=(
        Edge("zero targets", _pt([0.0, 1.0, 3.0], [0.0, 0.0, 0.0])),
        Edge("zero predictions", _pt([0.0, 0.0], [0.0, 2.0])),
    ),
    sweep=sweeps.Sweep(
        lo=0.0,
        hi=5.0,
        build=lambda xp, x: sweeps.value_vs(xp, x, t=1.0),
        xlabel="pred p",
        description="pred p, target 1",
    ),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
)

_TUKEY = Case(
    name="tukey_biweight",
    make_inputs=_error_inputs(3.0, {"c": 4.685}),
    oracle=tukey_biweight,
    options=({}, {"c": 1.0}, {"c": 4.685}),
    edges=(
        # |e| = c: value c^2/6 from both sides and the gradient 0 from both sides (C1).
        Edge("|e| = c = 1", _pt([1.0, -1.0], [0.0, 0.0]), {"c": 1.0}),
        Edge("|e| = c default", _pt([4.685, -4.685], [0.0, 0.0])),
        Edge("far outlier", _pt([1e3, -1e6], [0.0, 0.0]), {"c": 1.0}),
    ),
    sweep=sweeps.Sweep(**{**sweeps.REGRESSION, "lo": -8.0, "hi": 8.0}),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
)

_EPS_INS = Case(
    name="epsilon_insensitive",
    make_inputs=_error_inputs(1.0, {"epsilon": 0.1}),
    oracle=epsilon_insensitive,
    options=(
        {},
        {"epsilon": 0.1, "squared": False},
        {"epsilon": 0.1, "squared": True},
        {"epsilon": 0.5, "squared": False},
        {"epsilon": 0.5, "squared": True},
        {"epsilon": 0.0},
    ),
    edges=(
        Edge("|e| = epsilon (kink)", _pt([0.5, -0.5], [0.0, 0.0]), {"epsilon": 0.5}, kink=True),
        Edge("|e| = epsilon, squared (C1)", _pt([0.5, -0.5], [0.0, 0.0]), {"epsilon": 0.5, "squared": True}),
        Edge("inside the tube", _pt([0.05, -0.02, 0.0], [0.0, 0.0, 0.0]), {"epsilon": 0.1}),
    ),
    sweep=sweeps.Sweep(**sweeps.REGRESSION),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
    invalid_options={"epsilon": [-0.1]},
)


def _poisson_inputs(
    rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    t = rng.poisson(2.0, shape).astype(np.float64)
    if options.get("log_input", True):
        x = rng.normal(0.5, 1.0, shape)
    else:
        x = rng.uniform(0.1, 4.0, shape)
    return {"pred": x, "target": t}


_POISSON = Case(
    name="poisson_nll",
    make_inputs=_poisson_inputs,
    oracle=poisson_nll,
    cancels=True,
    options=(
        {},
        {"log_input": True, "full": False},
        {"log_input": True, "full": True},
        {"log_input": False, "full": False},
        {"log_input": False, "full": True},
        {"log_input": False, "eps": 1e-3},
    ),
    # Targets are counts; with full=True the Stirling term jumps at t = 1.
    differentiable=("pred",),
    edges=(
        Edge("zero targets", _pt([-1.0, 0.0, 2.0], [0.0, 0.0, 0.0])),
        Edge("zero targets, rate", _pt([0.5, 2.0], [0.0, 0.0]), {"log_input": False}),
        Edge("targets 0, 1, 2, full", _pt([0.3, 0.3, 0.3], [0.0, 1.0, 2.0]), {"full": True}),
        Edge("zero rate", _pt([0.0, 0.0], [0.0, 3.0]), {"log_input": False}),
    ),
    sweep=sweeps.Sweep(
        lo=-3.0,
        hi=3.0,
        build=lambda xp, x: sweeps.value_vs(xp, x, t=2.0),
        xlabel="predicted log-rate x",
        description="log-rate x, count target 2",
    ),
    fuzz=Fuzz(
        no_perfect="a negative log-likelihood: exp(x) - t*x is t - t*log(t) at its optimum, not 0",
        not_nonnegative=(
            "exp(x) - t*x (log_input) is negative for t > e near x = log t: a log-likelihood up to constants"
        ),
    ),
)


def _gaussian_inputs(
    rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    t = rng.normal(0.0, 1.0, shape)
    return {"pred": t + rng.normal(0.0, 1.0, shape), "target": t, "var": rng.uniform(0.2, 2.0, shape)}


_GAUSSIAN = Case(
    name="gaussian_nll",
    make_inputs=_gaussian_inputs,
    oracle=gaussian_nll,
    cancels=True,
    options=({}, {"full": True}, {"full": False, "eps": 0.5}),
    differentiable=("pred", "target", "var"),
    edges=(
        Edge(
            "var below eps (clamped)",
            {"pred": np.array([0.5, -1.0]), "target": np.array([0.0, 0.0]), "var": np.array([1e-8, 0.0])},
        ),
        Edge(
            "zero error",
            {"pred": np.array([1.0, 2.0]), "target": np.array([1.0, 2.0]), "var": np.array([0.5, 3.0])},
            {"full": True},
        ),
    ),
    sweep=sweeps.Sweep(
        **{
            **sweeps.REGRESSION,
            "description": "pred = t + e, t = 0, variance 1 (and 4)",
            "build": lambda xp, x, var: (*sweeps.error(xp, x), sweeps.full(xp, x, var)),
            "lines": (sweeps.Line("var 1", {"var": 1.0}), sweeps.Line("var 4", {"var": 4.0})),
        }
    ),
    fuzz=Fuzz(
        no_perfect="the 0.5*log(var) term: not 0 at pred == target",
        not_nonnegative="0.5*log(var) is negative for var < 1 (a log-likelihood, not a distance)",
    ),
)


def _tweedie_inputs(
    rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    mu = rng.uniform(0.2, 3.0, shape)
    y = rng.uniform(0.2, 3.0, shape)
    if float(options.get("power", 0.0)) == 0:
        y = rng.normal(0.0, 2.0, shape)  # power 0 is the squared error: any real target
    return {"pred": mu, "target": y}


_TWEEDIE = Case(
    name="tweedie_deviance",
    make_inputs=_tweedie_inputs,
    oracle=tweedie_deviance,
    cancels=True,
    options=({}, {"power": 0.0}, {"power": 1.0}, {"power": 1.5}, {"power": 2.0}, {"power": 3.0}, {"power": -0.5}),
    edges=(
        Edge("zero targets, power 1", _pt([0.5, 2.0], [0.0, 0.0]), {"power": 1.0}),
        Edge("zero targets, power 1.5", _pt([0.5, 2.0], [0.0, 0.0]), {"power": 1.5}),
        Edge("zero targets, power 0", _pt([0.5, -2.0], [0.0, 0.0]), {"power": 0.0}),
        Edge("perfect fit, power 2", _pt([1.5, 0.3], [1.5, 0.3]), {"power": 2.0}),
    ),
    sweep=sweeps.Sweep(
        lo=0.05,
        hi=4.0,
        build=lambda xp, x: sweeps.value_vs(xp, x, t=1.0),
        xlabel="predicted mean p",
        description="pred p, target 1",
        lines=tuple(sweeps.Line(options={"power": p}) for p in (0.0, 1.0, 2.0)),
    ),
    fuzz=Fuzz(perfect=_target_is_pred),
)

_GENERAL_ROBUST = Case(
    name="general_robust",
    make_inputs=_error_inputs(1.5),
    oracle=general_robust,
    # Every special member (L2, Cauchy, Geman-McClure, Welsch, smoothed L1) and general shapes.
    options=(
        {},
        {"alpha": 2.0},
        {"alpha": 0.0},
        {"alpha": -2.0},
        {"alpha": -math.inf},
        {"alpha": 0.5, "scale": 2.0},
        {"alpha": 3.0, "scale": 0.5},
        {"alpha": -0.7, "scale": 0.3},
    ),
    edges=(
        Edge("e = 0", _pt([0.0, 1.0], [0.0, 1.0])),
        Edge("e = 0, Cauchy", _pt([0.0, 2.0], [0.0, 2.0]), {"alpha": 0.0}),
        Edge("tiny error", _pt([1e-5, -1e-6], [0.0, 0.0]), {"alpha": 0.5}),
        Edge("alpha near 0", _pt([0.5, -2.0], [0.0, 0.0]), {"alpha": 1e-7}),
        Edge("alpha near 2", _pt([0.5, -2.0], [0.0, 0.0]), {"alpha": 2.0 - 1e-7}),
        Edge("huge error, bounded member", _pt([1e3, -1e6], [0.0, 0.0]), {"alpha": -math.inf}),
        Edge("huge error", _pt([1e3, -1e3], [0.0, 0.0]), {"alpha": 1.0}),
    ),
    sweep=sweeps.Sweep(
        **{
            **sweeps.REGRESSION,
            "lo": -6.0,
            "hi": 6.0,
            "lines": tuple(
                sweeps.Line(f"alpha = {a:g}", options={"alpha": a}) for a in (2.0, 1.0, 0.0, -2.0, -math.inf)
            ),
        }
    ),
    fuzz=Fuzz(perfect=pred_is_target("pred")),
    invalid_options={"alpha": []},  # any real shape, -inf included (the Welsch limit)
)

#: name -> Case for every regression loss in the catalog.
CASES: dict[str, Case] = {
    c.name: c
    for c in (
        _MSE,
        _GENERAL_ROBUST,
        _MAE,
        _HUBER,
        _RMSE,
        _SMOOTH_L1,
        _PSEUDO_HUBER,
        _LOG_COSH,
        _QUANTILE,
        _MAPE,
        _MSLE,
        _TUKEY,
        _EPS_INS,
        _POISSON,
        _GAUSSIAN,
        _TWEEDIE,
    )
}


# ==================================================================================================
# Counterparts
# ==================================================================================================

# -- torch ---------------------------------------------------------------------------------------


def _torch_f(name: str, **fixed: Any) -> Callable[..., Any]:
    def fn(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
        import torch.nn.functional as F

        args = _torch(*x.values())
        kw = {**fixed, **{k: o[k] for k in o if k in ("delta", "beta", "log_input", "full", "eps")}}
        return _np(getattr(F, name)(*args, reduction=reduction, **kw))

    return fn


# -- optax ---------------------------------------------------------------------------------------


def _optax_f(name: str) -> Callable[..., Any]:
    def fn(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
        jnp = _jnp()
        import optax

        f = getattr(optax.losses, name)
        kw = {"delta": o["delta"]} if "delta" in o else {}
        return _reduce(f(jnp.asarray(x["pred"]), jnp.asarray(x["target"]), **kw), reduction)

    return fn


# -- keras ---------------------------------------------------------------------------------------


def _keras_f(cls: str, scale: float = 1.0, **fixed: Any) -> Callable[..., Any]:
    def fn(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
        keras = _keras()
        kw = dict(fixed)
        if "delta" in o:
            kw["delta"] = o["delta"]
        loss = getattr(keras.losses, cls)(dtype="float64", **kw)
        return _np(loss(x["target"], x["pred"])) * scale

    return fn


# -- sklearn -------------------------------------------------------------------------------------


def _sk(name: str, **fixed: Any) -> Callable[..., Any]:
    def fn(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
        import sklearn.metrics as m

        kw = dict(fixed)
        if "q" in o:
            kw["alpha"] = o["q"]
        if "power" in o:
            kw["power"] = o["power"]
        return _np(getattr(m, name)(x["target"], x["pred"], sample_weight=sw, **kw))

    return fn


def _sk_epsilon_insensitive(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    # sklearn's SGD loss objects evaluate the per-sample loss in Cython (float64).
    from sklearn.linear_model import _sgd_fast

    eps = float(o.get("epsilon", 0.1))
    cls = _sgd_fast.SquaredEpsilonInsensitive if o.get("squared", False) else _sgd_fast.EpsilonInsensitive
    loss = cls(eps)
    p, t = np.broadcast_arrays(np.asarray(x["pred"], np.float64), np.asarray(x["target"], np.float64))
    per = np.array([loss.py_loss(float(a), float(b)) for a, b in zip(p.ravel(), t.ravel())]).reshape(p.shape)
    return _reduce(per, reduction)


def _sk_mape_ok(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    # sklearn floors |t| at float64's eps, lossapi's default in float64.
    return reduction == "mean" and options.get("eps") in (None, float(np.finfo(np.float64).eps))


def _sk_rmse_ok(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return reduction == "mean" and float(options.get("eps", 0.0)) == 0.0


_KERAS_RTOL = 1e-6  # keras' JAX backend accumulates means in float32 even for float64 inputs

COUNTERPARTS: dict[str, list[Counterpart]] = {
    "mean_squared_error": [
        Counterpart("torch", _torch_f("mse_loss"), _unweighted),
        Counterpart("optax", _optax_f("squared_error"), _unweighted),
        Counterpart("keras", _keras_f("MeanSquaredError"), _mean_unweighted, rtol=_KERAS_RTOL),
        Counterpart("sklearn", _sk("mean_squared_error"), _mean_only),
    ],
    "root_mean_squared_error": [
        # sklearn averages per-output RMSEs in 2-D; lossapi takes one root over everything.
        Counterpart("sklearn", _sk("root_mean_squared_error"), _sk_rmse_ok, ndim=1),
    ],
    "mean_absolute_error": [
        Counterpart("torch", _torch_f("l1_loss"), _unweighted),
        Counterpart("keras", _keras_f("MeanAbsoluteError"), _mean_unweighted, rtol=_KERAS_RTOL),
        Counterpart("sklearn", _sk("mean_absolute_error"), _mean_only),
    ],
    "huber": [
        Counterpart("torch", _torch_f("huber_loss"), _unweighted),
        Counterpart("optax", _optax_f("huber_loss"), _unweighted),
        Counterpart("keras", _keras_f("Huber"), _mean_unweighted, rtol=_KERAS_RTOL),
    ],
    "smooth_l1": [Counterpart("torch", _torch_f("smooth_l1_loss"), _unweighted)],
    "log_cosh": [
        Counterpart("optax", _optax_f("log_cosh"), _unweighted),
        Counterpart("keras", _keras_f("LogCosh"), _mean_unweighted, rtol=_KERAS_RTOL),
    ],
    "quantile": [Counterpart("sklearn", _sk("mean_pinball_loss"), _mean_only)],
    "mean_absolute_percentage_error": [
        Counterpart("sklearn", _sk("mean_absolute_percentage_error"), _sk_mape_ok),
        Counterpart(
            "keras",
            _keras_f("MeanAbsolutePercentageError", scale=0.01),
            _mean_opts(eps=1e-7),
            options=({"eps": 1e-7},),
            rtol=_KERAS_RTOL,
        ),
    ],
    "mean_squared_log_error": [
        Counterpart("sklearn", _sk("mean_squared_log_error"), _mean_only),
        # keras clips at eps before log1p: equal for the non-negative inputs the case draws.
        Counterpart("keras", _keras_f("MeanSquaredLogarithmicError"), _mean_unweighted, rtol=_KERAS_RTOL),
    ],
    "epsilon_insensitive": [Counterpart("sklearn", _sk_epsilon_insensitive, _unweighted)],
    "poisson_nll": [
        Counterpart("torch", _torch_f("poisson_nll_loss"), _unweighted),
        Counterpart(
            "keras",
            _keras_f("Poisson"),
            _mean_opts(log_input=False, full=False, eps=1e-7),
            options=({"log_input": False, "eps": 1e-7},),
            rtol=_KERAS_RTOL,
        ),
    ],
    "gaussian_nll": [Counterpart("torch", _torch_f("gaussian_nll_loss"), _unweighted)],
    "tweedie_deviance": [
        # sklearn's Tweedie metric accepts 1-D targets only.
        Counterpart("sklearn", _sk("mean_tweedie_deviance"), _mean_only, ndim=1),
    ],
}
