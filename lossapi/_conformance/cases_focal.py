"""Conformance cases of the focal losses (``lossapi.losses.focal``).

``sigmoid_focal`` draws logits ``N(0, 2)`` and targets that are half hard ({0, 1}) and half
soft (uniform in [0, 1]); the case-only option ``{"_target": "hard"}`` draws hard targets only.
``softmax_focal`` draws ``C = 4`` classes inserted at ``options["axis"]`` and int64 labels,
some replaced by ``ignore_index`` when that option is set.

The edge points are the ones where other libraries' focal losses give NaN gradients: saturated
logits (``+-1e4``, ``+-100``) with ``gamma`` in {0, 0.5, 2}; there the value and the gradient
must be finite and match the oracle (these are smooth points, not kinks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_focal as of
from .cases import Case, Edge, with_class_axis

__all__ = ["FAMILY_CASES"]

C = 4
_ALPHA = np.array([0.25, 0.5, 1.0, 2.0])
_CW = np.array([2.0, 0.5, 1.0, 3.0])


def _arr(v: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.asarray(v, dtype=dtype)


# -- sigmoid focal --------------------------------------------------------------------------------

def _sigmoid_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    # |x| <= 8 keeps 1 - p_t >= 3e-4, so finite differences of t (which step outside [0, 1])
    # stay inside the domain where 1 - p_t > 0; saturated logits are edge points.
    x = np.clip(rng.normal(0.0, 2.0, shape), -8.0, 8.0)
    hard = rng.integers(0, 2, size=shape).astype(np.float64)
    if options.get("_target") == "hard":
        t = hard
    else:
        t = np.where(rng.random(shape) < 0.5, hard, rng.random(shape))
    return {"logits": x, "target": t}


_SAT = _arr([1e4, -1e4, 1e4, -1e4, 100.0, -100.0, 100.0, -100.0])
_SAT_T = _arr([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0])

_SIGMOID = Case(
    name="sigmoid_focal",
    make_inputs=_sigmoid_inputs,
    oracle=of.sigmoid_focal,
    options=(
        {},
        {"gamma": 0.0},
        {"gamma": 0.5},
        {"alpha": 0.25},
        {"alpha": 0.75, "gamma": 1.5},
        {"alpha": 0.25, "gamma": 2.0, "_target": "hard"},
        {"gamma": 3.0, "_target": "hard"},
    ),
    differentiable=("logits", "target"),
    edges=(
        Edge("saturated logits +-1e4, +-100", {"logits": _SAT, "target": _SAT_T}),
        Edge("saturated logits, gamma = 0", {"logits": _SAT, "target": _SAT_T}, {"gamma": 0.0}),
        Edge("saturated logits, gamma = 0.5", {"logits": _SAT, "target": _SAT_T}, {"gamma": 0.5, "alpha": 0.25}),
        Edge("saturated logits, soft targets", {"logits": _arr([1e4, -1e4, 100.0, -100.0]),
                                                "target": _arr([0.3, 0.7, 0.999, 1e-3])}, {"gamma": 0.5}),
        Edge("x = 0", {"logits": _arr([0.0, 0.0, 0.0]), "target": _arr([0.0, 1.0, 0.4])}, {"gamma": 0.5}),
        Edge("confident and right, gamma = 0.25", {"logits": _arr([30.0, -30.0, 15.0]),
                                                   "target": _arr([1.0, 0.0, 1.0])}, {"gamma": 0.25}),
    ),
)


# -- softmax focal --------------------------------------------------------------------------------

def _softmax_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    z = rng.normal(0.0, 2.0, with_class_axis(shape, C, options))
    y = rng.integers(0, C, size=shape).astype(np.int64)
    ign = options.get("ignore_index")
    if ign is not None and y.size:
        y = np.where(rng.random(shape) < 0.3, ign, y)
        y.flat[0] = 0 if ign != 0 else 1  # at least one counted target
    return {"logits": z, "labels": y}


_Z2 = _arr([[2.0, 0.0, -1.0, 0.5], [0.0, 1.0, 0.0, -3.0]])
# Rows with p_y -> 1 or p_y -> 0 in float32 and float64 (a tie of saturated logits, p_y = 1/2,
# is left out: log p_y = x_y - logsumexp(x) then carries an absolute error of |x| eps, 1e-3 in
# float32, for every softmax-based loss).
_ZSAT = _arr([[1e4, -1e4, 0.0, 0.0], [-1e4, 1e4, 0.0, 0.0], [100.0, -100.0, 0.0, 0.0], [0.0, 30.0, -30.0, 0.0]])
_Y_RIGHT = _arr([0, 1, 0, 1], np.int64)  # p_y -> 1
_Y_WRONG = _arr([1, 0, 1, 2], np.int64)  # p_y -> 0


_SOFTMAX = Case(
    name="softmax_focal",
    make_inputs=_softmax_inputs,
    oracle=of.softmax_focal,
    reduce_oracle=of.reduce_softmax_focal,
    options=(
        {},
        {"gamma": 0.0},
        {"gamma": 0.5},
        {"alpha": 0.25},
        {"alpha": _ALPHA, "gamma": 1.0},
        {"class_weight": _CW},
        {"ignore_index": -100},
        {"ignore_index": 1, "class_weight": _CW, "alpha": 0.5, "gamma": 0.5},
        {"axis": 1},
        {"axis": 1, "class_weight": _CW, "ignore_index": -1, "alpha": _ALPHA},
    ),
    differentiable=("logits",),
    edges=(
        Edge("saturated logits, p_y -> 1", {"logits": _ZSAT, "labels": _Y_RIGHT}),
        Edge("saturated logits, p_y -> 0", {"logits": _ZSAT, "labels": _Y_WRONG}),
        Edge("saturated logits, p_y -> 1, gamma = 0", {"logits": _ZSAT, "labels": _Y_RIGHT}, {"gamma": 0.0}),
        Edge("saturated logits, p_y -> 1, gamma = 0.5", {"logits": _ZSAT, "labels": _Y_RIGHT},
             {"gamma": 0.5, "alpha": _ALPHA}),
        Edge("saturated logits, p_y -> 0, gamma = 0.5", {"logits": _ZSAT, "labels": _Y_WRONG},
             {"gamma": 0.5, "class_weight": _CW}),
        Edge("every label ignored", {"logits": _Z2, "labels": _arr([-100, -100], np.int64)}, {"ignore_index": -100}),
        Edge("zero class weights", {"logits": _Z2, "labels": _arr([0, 2], np.int64)},
             {"class_weight": _arr([0.0, 1.0, 0.0, 1.0])}),
        Edge("class axis 0", {"logits": _Z2.T, "labels": _arr([3, 1], np.int64)}, {"axis": 0, "gamma": 0.5}),
    ),
)

FAMILY_CASES: dict[str, Case] = {c.name: c for c in (_SIGMOID, _SOFTMAX)}
