"""Conformance cases of the divergences (``lossapi.losses.divergence``).

Random distributions are softmaxes of ``N(0, 1)`` draws over ``C = 4`` classes inserted at
``options["axis"]`` (every probability above ~1e-3, far from keras' 1e-7 clip);
``generalized_kl_divergence`` draws unnormalized measures. Exact zeros (zero targets, zero
predictions, both zero, identical distributions) are edge points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_divergence as od
from .cases import Case, Edge, class_axis_of, with_class_axis

__all__ = ["FAMILY_CASES"]

C = 4


def _arr(v: Any) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)


def _log_softmax(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray:
    z = rng.normal(0.0, 1.0, with_class_axis(shape, C, options))
    ax = class_axis_of(options, z.ndim)
    m = z.max(axis=ax, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=ax, keepdims=True))


def _kl_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    lq = _log_softmax(rng, shape, options)
    lt = _log_softmax(rng, shape, options)
    return {"log_probs": lq, "target": lt if options.get("log_target", False) else np.exp(lt)}


def _gkl_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    full = with_class_axis(shape, C, options)
    return {"log_probs": rng.normal(0.0, 1.0, full), "target": rng.uniform(0.05, 2.0, full)}


def _prob_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"probs": np.exp(_log_softmax(rng, shape, options)), "target": np.exp(_log_softmax(rng, shape, options))}


_Q2 = _arr([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
_T_ZERO = _arr([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]])

_KL = Case(
    name="kl_divergence",
    make_inputs=_kl_inputs,
    oracle=od.kl_divergence,
    options=({}, {"log_target": True}, {"axis": 1}, {"axis": 1, "log_target": True}),
    differentiable=("log_probs", "target"),
    edges=(
        Edge("zero targets", {"log_probs": np.log(_Q2), "target": _T_ZERO}),
        # A probability of 0 as a log-target: exp(-1e4) underflows to exactly 0.
        Edge("zero targets, log_target", {"log_probs": np.log(_Q2),
                                          "target": _arr([[-1e4, np.log(0.5), np.log(0.5), -1e4],
                                                          [0.0, -1e4, -1e4, -1e4]])}, {"log_target": True}),
        Edge("zero target, very negative log q", {"log_probs": _arr([[-1e4, -0.1, -3.0, -1e4]]),
                                                  "target": _arr([[0.0, 0.9, 0.1, 0.0]])}),
        # KL = 0 exactly in every dtype (log 1 = 0); nearly equal distributions in general are
        # ill-conditioned (the input rounding of log q alone exceeds the value).
        Edge("perfect prediction", {"log_probs": _arr([[0.0, -50.0, -50.0, -50.0]]), "target": _arr([[1.0, 0, 0, 0]])}),
        Edge("distribution axis 0", {"log_probs": np.log(_Q2).T, "target": _T_ZERO.T}, {"axis": 0}),
    ),
)

_GKL = Case(
    name="generalized_kl_divergence",
    make_inputs=_gkl_inputs,
    oracle=od.generalized_kl_divergence,
    options=({}, {"axis": 1}),
    differentiable=("log_probs", "target"),
    edges=(
        Edge("zero targets", {"log_probs": _arr([[0.5, -1.0, 2.0, -3.0]]), "target": _arr([[0.0, 1.5, 0.0, 0.2]])}),
        Edge("equal measures", {"log_probs": _arr([[0.0, 0.0, 0.0]]), "target": _arr([[1.0, 1.0, 1.0]])}),
    ),
)

_PZ = _arr([[0.0, 0.5, 0.5, 0.0], [0.7, 0.0, 0.3, 0.0]])
_TZ = _arr([[0.5, 0.5, 0.0, 0.0], [0.2, 0.3, 0.5, 0.0]])

_JS = Case(
    name="js_divergence",
    make_inputs=_prob_inputs,
    oracle=od.js_divergence,
    options=({}, {"axis": 1}),
    differentiable=("probs", "target"),
    edges=(
        # Zero entries; where p_c = t_c = 0 the function is only one-sidedly differentiable
        # (a boundary kink), and at p_c = 0 < t_c its slope is -inf (not compared).
        Edge("zero entries", {"probs": _PZ, "target": _TZ}, kink=True),
        Edge("disjoint supports", {"probs": _arr([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]),
                                   "target": _arr([[0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])}, kink=True),
        Edge("identical distributions", {"probs": _Q2, "target": _Q2}),
        Edge("nearly identical", {"probs": _Q2, "target": _Q2 + _arr([[1e-6, -1e-6, 0.0, 0.0], [0.0, 0.0, 1e-5, -1e-5]])}),
    ),
)

_HELLINGER = Case(
    name="hellinger",
    make_inputs=_prob_inputs,
    oracle=od.hellinger,
    options=({}, {"axis": 1}),
    differentiable=("probs", "target"),
    edges=(
        # p = t: the norm is at its kink (gradient 0, the minimum-norm subgradient).
        Edge("p = t (kink)", {"probs": _Q2, "target": _Q2}, kink=True),
        Edge("p = t with zeros (kink)", {"probs": _T_ZERO, "target": _T_ZERO}, kink=True),
        # Zero entries: where both are 0 the one-sided derivative is exact; at p_c = 0 < t_c
        # the slope is infinite (not compared, but the gradient must be finite).
        Edge("zero entries", {"probs": _PZ, "target": _TZ}),
        Edge("disjoint supports", {"probs": _arr([[1.0, 0.0], [0.0, 1.0]]), "target": _arr([[0.0, 1.0], [0.0, 1.0]])},
             kink=True),
    ),
)

FAMILY_CASES: dict[str, Case] = {c.name: c for c in (_KL, _GKL, _JS, _HELLINGER)}
