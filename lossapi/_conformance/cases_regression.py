"""Conformance cases for the regression family (one :class:`Case` per catalog loss).

Inputs are drawn in each loss's valid domain with errors kept at least ``_GAP`` away from
every kink / branch point (0, ``delta``, ``beta``, ``c``, ``epsilon``), so that finite
differences are meaningful; the kinks themselves are visited by the :class:`Edge` points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import oracles
from .cases import Case, Edge

__all__ = ["FAMILY_CASES", "REGRESSION_CASES"]

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


# -- cases ------------------------------------------------------------------------------------

_MSE = Case(
    name="mean_squared_error",
    make_inputs=_error_inputs(1.5),
    oracle=oracles.mean_squared_error,
    edges=(
        Edge("zero error", _pt([0.0, 1.0, -2.0], [0.0, 1.0, -2.0])),
        Edge("large error", _pt([1e3, -1e3], [-1e3, 1e3])),
    ),
)

_MAE = Case(
    name="mean_absolute_error",
    make_inputs=_error_inputs(1.5),
    oracle=oracles.mean_absolute_error,
    edges=(
        Edge("e = 0 (kink)", _pt([0.0, 1.5, -2.0], [0.0, 1.5, -2.0]), kink=True),
        Edge("large error", _pt([1e3, -1e3], [-1e3, 1e3])),
    ),
)

_HUBER = Case(
    name="huber",
    make_inputs=_error_inputs(1.5, {"delta": 1.0}),
    oracle=oracles.huber,
    options=({}, {"delta": 0.5}, {"delta": 1.0}, {"delta": 2.0}),
    edges=(
        # |e| = delta is C1 (not a kink): the gradient must be delta * sign(e) from both sides.
        Edge("|e| = delta = 1", _pt([1.0, -1.0, 0.5], [0.0, 0.0, 1.5]), {"delta": 1.0}),
        Edge("|e| = delta = 2", _pt([2.0, -2.0], [0.0, 0.0]), {"delta": 2.0}),
        Edge("e = 0", _pt([0.0, 3.0], [0.0, 3.0]), {"delta": 0.5}),
        Edge("large error", _pt([1e3, -1e3], [0.0, 0.0]), {"delta": 0.5}),
    ),
)

_RMSE = Case(
    name="root_mean_squared_error",
    make_inputs=_error_inputs(1.5),
    oracle=oracles.root_mean_squared_error,
    options=({}, {"eps": 0.0}, {"eps": 1e-3}),
    reduce_oracle=oracles.reduce_rmse,
    edges=(
        # A perfect prediction: sqrt at 0 (the loss has a kink, the gradient must not be NaN).
        Edge("perfect prediction (kink)", _pt([0.5, -1.0, 2.0], [0.5, -1.0, 2.0]), {"eps": 0.0}, kink=True),
        Edge("perfect prediction, eps", _pt([0.5, -1.0, 2.0], [0.5, -1.0, 2.0]), {"eps": 1e-3}),
    ),
)

_SMOOTH_L1 = Case(
    name="smooth_l1",
    make_inputs=_error_inputs(1.5, {"beta": 1.0}),
    oracle=oracles.smooth_l1,
    options=({}, {"beta": 0.0}, {"beta": 0.5}, {"beta": 1.0}),
    edges=(
        Edge("beta = 0, e = 0 (kink)", _pt([0.0, 1.0, -1.0], [0.0, 1.0, -1.0]), {"beta": 0.0}, kink=True),
        Edge("beta = 0, e != 0", _pt([0.5, -2.0], [0.0, 0.0]), {"beta": 0.0}),
        # |e| = beta is C1 (the gradient is sign(e) on both sides).
        Edge("|e| = beta = 0.5", _pt([0.5, -0.5], [0.0, 0.0]), {"beta": 0.5}),
        Edge("|e| = beta = 1", _pt([1.0, -1.0], [0.0, 0.0]), {"beta": 1.0}),
    ),
)

_PSEUDO_HUBER = Case(
    name="pseudo_huber",
    make_inputs=_error_inputs(1.5),
    oracle=oracles.pseudo_huber,
    options=({}, {"delta": 0.5}, {"delta": 2.0}),
    edges=(
        Edge("e = 0", _pt([0.0, 1.0], [0.0, 1.0])),
        Edge("tiny error", _pt([1e-5, -1e-6], [0.0, 0.0])),
        # (e/delta)^2 overflows float32 for |e| = 1e20: the value must stay finite (~ delta |e|).
        Edge("huge error", _pt([1e3, -1e3, 1e20], [0.0, 0.0, 0.0])),
    ),
)

_LOG_COSH = Case(
    name="log_cosh",
    make_inputs=_error_inputs(2.0),
    oracle=oracles.log_cosh,
    edges=(
        Edge("e = 0", _pt([0.0, 2.0], [0.0, 2.0])),
        # cosh(1e3) overflows even float64; log cosh must still be |e| - log 2.
        Edge("huge error", _pt([1e3, -1e3, 50.0], [0.0, 0.0, -50.0])),
    ),
)

_QUANTILE = Case(
    name="quantile",
    make_inputs=_error_inputs(1.5),
    oracle=oracles.quantile,
    options=({}, {"q": 0.1}, {"q": 0.5}, {"q": 0.9}),
    edges=(
        Edge("e = 0 (kink), q = 0.1", _pt([0.0, 1.0], [0.0, 1.0]), {"q": 0.1}, kink=True),
        Edge("e = 0 (kink), q = 0.9", _pt([0.0, -2.0], [0.0, -2.0]), {"q": 0.9}, kink=True),
    ),
)


def _mape_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    # |t| in [0.5, 3] (either sign) keeps the eps floor out of play; the floor is an edge.
    t = rng.uniform(0.5, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    e = _away(rng.normal(0.0, 1.0, shape), [0.0])
    return {"pred": t + e, "target": t}


_MAPE = Case(
    name="mean_absolute_percentage_error",
    make_inputs=_mape_inputs,
    oracle=oracles.mean_absolute_percentage_error,
    options=({}, {"eps": 1e-3}, {"eps": 1.0}),
    edges=(
        Edge("zero target, eps floor", _pt([0.5, -0.25, 0.0], [0.0, 0.0, 0.0]), {"eps": 1e-3}),
        Edge("|t| below eps", _pt([1.0, 1.0], [0.5, -0.5]), {"eps": 1.0}),
    ),
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
    oracle=oracles.mean_squared_log_error,
    cancels=True,
    edges=(
        Edge("zero targets", _pt([0.0, 1.0, 3.0], [0.0, 0.0, 0.0])),
        Edge("zero predictions", _pt([0.0, 0.0], [0.0, 2.0])),
    ),
)

_TUKEY = Case(
    name="tukey_biweight",
    make_inputs=_error_inputs(3.0, {"c": 4.685}),
    oracle=oracles.tukey_biweight,
    options=({}, {"c": 1.0}, {"c": 4.685}),
    edges=(
        # |e| = c: value c^2/6 from both sides and the gradient 0 from both sides (C1).
        Edge("|e| = c = 1", _pt([1.0, -1.0], [0.0, 0.0]), {"c": 1.0}),
        Edge("|e| = c default", _pt([4.685, -4.685], [0.0, 0.0])),
        Edge("far outlier", _pt([1e3, -1e6], [0.0, 0.0]), {"c": 1.0}),
    ),
)

_EPS_INS = Case(
    name="epsilon_insensitive",
    make_inputs=_error_inputs(1.0, {"epsilon": 0.1}),
    oracle=oracles.epsilon_insensitive,
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
)


def _poisson_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    t = rng.poisson(2.0, shape).astype(np.float64)
    if options.get("log_input", True):
        x = rng.normal(0.5, 1.0, shape)
    else:
        x = rng.uniform(0.1, 4.0, shape)
    return {"pred": x, "target": t}


_POISSON = Case(
    name="poisson_nll",
    make_inputs=_poisson_inputs,
    oracle=oracles.poisson_nll,
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
)


def _gaussian_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    t = rng.normal(0.0, 1.0, shape)
    return {"pred": t + rng.normal(0.0, 1.0, shape), "target": t, "var": rng.uniform(0.2, 2.0, shape)}


_GAUSSIAN = Case(
    name="gaussian_nll",
    make_inputs=_gaussian_inputs,
    oracle=oracles.gaussian_nll,
    cancels=True,
    options=({}, {"full": True}, {"full": False, "eps": 0.5}),
    differentiable=("pred", "target", "var"),
    edges=(
        Edge("var below eps (clamped)",
             {"pred": np.array([0.5, -1.0]), "target": np.array([0.0, 0.0]), "var": np.array([1e-8, 0.0])}),
        Edge("zero error", {"pred": np.array([1.0, 2.0]), "target": np.array([1.0, 2.0]), "var": np.array([0.5, 3.0])},
             {"full": True}),
    ),
)


def _tweedie_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    mu = rng.uniform(0.2, 3.0, shape)
    y = rng.uniform(0.2, 3.0, shape)
    if float(options.get("power", 0.0)) == 0:
        y = rng.normal(0.0, 2.0, shape)  # power 0 is the squared error: any real target
    return {"pred": mu, "target": y}


_TWEEDIE = Case(
    name="tweedie_deviance",
    make_inputs=_tweedie_inputs,
    oracle=oracles.tweedie_deviance,
    cancels=True,
    options=({}, {"power": 0.0}, {"power": 1.0}, {"power": 1.5}, {"power": 2.0}, {"power": 3.0}, {"power": -0.5}),
    edges=(
        Edge("zero targets, power 1", _pt([0.5, 2.0], [0.0, 0.0]), {"power": 1.0}),
        Edge("zero targets, power 1.5", _pt([0.5, 2.0], [0.0, 0.0]), {"power": 1.5}),
        Edge("zero targets, power 0", _pt([0.5, -2.0], [0.0, 0.0]), {"power": 0.0}),
        Edge("perfect fit, power 2", _pt([1.5, 0.3], [1.5, 0.3]), {"power": 2.0}),
    ),
)

#: name -> Case for every regression loss in the catalog.
_GENERAL_ROBUST = Case(
    name="general_robust",
    make_inputs=_error_inputs(1.5),
    oracle=oracles.general_robust,
    # Every special member (L2, Cauchy, Geman-McClure, Welsch, smoothed L1) and general shapes.
    options=({}, {"alpha": 2.0}, {"alpha": 0.0}, {"alpha": -2.0}, {"alpha": -math.inf},
             {"alpha": 0.5, "scale": 2.0}, {"alpha": 3.0, "scale": 0.5}, {"alpha": -0.7, "scale": 0.3}),
    edges=(
        Edge("e = 0", _pt([0.0, 1.0], [0.0, 1.0])),
        Edge("e = 0, Cauchy", _pt([0.0, 2.0], [0.0, 2.0]), {"alpha": 0.0}),
        Edge("tiny error", _pt([1e-5, -1e-6], [0.0, 0.0]), {"alpha": 0.5}),
        Edge("alpha near 0", _pt([0.5, -2.0], [0.0, 0.0]), {"alpha": 1e-7}),
        Edge("alpha near 2", _pt([0.5, -2.0], [0.0, 0.0]), {"alpha": 2.0 - 1e-7}),
        Edge("huge error, bounded member", _pt([1e3, -1e6], [0.0, 0.0]), {"alpha": -math.inf}),
        Edge("huge error", _pt([1e3, -1e3], [0.0, 0.0]), {"alpha": 1.0}),
    ),
)

REGRESSION_CASES: dict[str, Case] = {
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

FAMILY_CASES = REGRESSION_CASES
