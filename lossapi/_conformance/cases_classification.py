"""Conformance cases of the cross-entropy family (``lossapi.losses.classification``).

Class-axis losses draw ``C = 5`` classes inserted at ``options["axis"]``. The case-only option
``"_target"`` chooses what ``make_inputs`` draws for a loss that accepts both kinds of targets:
``"labels"`` (integer class indices), ``"probs"`` (class probabilities) or, for the binary
losses, ``"hard"`` ({0, 1} targets, which sklearn's metrics need).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_classification as oc
from .cases import Case, Edge, class_axis_of, with_class_axis

__all__ = ["FAMILY_CASES"]

C = 5
_CW = np.array([0.5, 2.0, 1.0, 3.0, 0.25])


def _probs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any], floor: float = 0.0) -> np.ndarray:
    """Random class probabilities (Dirichlet), class axis at ``options["axis"]``, each >= floor."""
    p = rng.dirichlet(np.ones(C), size=shape) if shape else rng.dirichlet(np.ones(C))
    p = (p + floor) / (1 + C * floor)
    return np.moveaxis(p, -1, class_axis_of(options, len(shape) + 1))


def _labels(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray:
    y = rng.integers(0, C, size=shape).astype(np.int64)
    ign = options.get("ignore_index")
    if ign is not None and y.size:
        y = np.where(rng.random(shape) < 0.3, ign, y)
        y.flat[0] = 0 if ign != 0 else 1  # at least one counted target
    return y


def _target(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any], default: str) -> np.ndarray:
    kind = options.get("_target", default)
    return _probs(rng, shape, options) if kind == "probs" else _labels(rng, shape, options)


def _logits(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray:
    return rng.normal(0.0, 1.5, with_class_axis(shape, C, options))


# -- binary ---------------------------------------------------------------------------------------

def _binary_target(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray:
    if options.get("_target") == "hard":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    return rng.random(shape)


def _bce_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"probs": rng.uniform(0.02, 0.98, shape), "target": _binary_target(rng, shape, options)}


def _bcel_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    # |x| <= 6: torch's (1 - t) x - log_sigmoid(x) cancels for very negative x (its own error).
    x = np.clip(rng.normal(0.0, 2.0, shape), -6, 6)
    x = np.where(np.abs(x) < 1e-2, 0.5, x)
    return {"logits": x, "target": _binary_target(rng, shape, options)}


def _arr(v: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.asarray(v, dtype=dtype)


_BCE = Case(
    name="binary_cross_entropy",
    make_inputs=_bce_inputs,
    oracle=oc.binary_cross_entropy,
    options=({}, {"alpha": 0.25}, {"label_smoothing": 0.1}, {"alpha": 0.7, "label_smoothing": 0.2},
             {"_target": "hard"}),
    differentiable=("probs", "target"),
    edges=(
        # torch's convention where p (1 - p) < 1e-12: value clamped at -100, gradient (p - t) / 1e-12.
        Edge("p in {0, 1} (clamped logs)", {"probs": _arr([0.0, 1.0, 0.0, 1.0, 0.5]),
                                            "target": _arr([1.0, 0.0, 0.0, 1.0, 0.5])}),
        Edge("p = 1e-13, 1 - 1e-13", {"probs": _arr([1e-13, 1 - 1e-13]), "target": _arr([0.3, 0.6])}),
        Edge("p in {0, 1}, alpha", {"probs": _arr([0.0, 1.0]), "target": _arr([0.2, 0.9])}, {"alpha": 0.3}),
    ),
)

_BCEL = Case(
    name="binary_cross_entropy_with_logits",
    make_inputs=_bcel_inputs,
    oracle=oc.binary_cross_entropy_with_logits,
    options=({}, {"pos_weight": 2.5}, {"alpha": 0.25}, {"label_smoothing": 0.1},
             {"pos_weight": np.array(0.5), "alpha": 0.6, "label_smoothing": 0.05}, {"_target": "hard"}),
    differentiable=("logits", "target"),
    edges=(
        Edge("x = 0", {"logits": _arr([0.0, 0.0, 0.0]), "target": _arr([0.0, 1.0, 0.3])}),
        Edge("saturated logits +-1e4", {"logits": _arr([1e4, -1e4, 1e4, -1e4]), "target": _arr([1.0, 0.0, 0.0, 1.0])}),
        Edge("pos_weight per class", {"logits": _arr([[1.0, -2.0, 0.0], [3.0, 0.5, -1.0]]),
                                      "target": _arr([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])},
             {"pos_weight": _arr([1.0, 3.0, 0.5])}),
        Edge("saturated, alpha", {"logits": _arr([1e4, -1e4]), "target": _arr([0.0, 1.0])}, {"alpha": 0.75}),
    ),
)

# -- multiclass ------------------------------------------------------------------------------------


def _ce_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"logits": _logits(rng, shape, options), "target": _target(rng, shape, options, "labels")}


_L2 = _arr([[2.0, 0.0, -1.0, 0.5, 1.0], [0.0, 1.0, 0.0, -3.0, 2.0]])

_CE = Case(
    name="cross_entropy",
    make_inputs=_ce_inputs,
    oracle=oc.cross_entropy,
    reduce_oracle=oc.reduce_weighted(oc.ce_terms),
    options=(
        {},
        {"axis": 1},
        {"class_weight": _CW},
        {"ignore_index": -100},
        {"ignore_index": 2},
        {"label_smoothing": 0.1},
        {"temperature": 2.0},
        {"class_weight": _CW, "ignore_index": -100, "label_smoothing": 0.2},
        {"class_weight": _CW, "ignore_index": 1, "label_smoothing": 0.15, "temperature": 1.5, "axis": 1},
        {"_target": "probs"},
        {"_target": "probs", "label_smoothing": 0.1, "class_weight": _CW},
        {"_target": "probs", "temperature": 0.5, "axis": 1},
    ),
    differentiable=("logits",),
    edges=(
        Edge("saturated logits +-1e4", {"logits": _arr([[1e4, -1e4, 0.0, 0.0, 0.0], [-1e4, 1e4, 1e4, 0.0, 0.0]]),
                                        "target": _arr([1, 0], np.int64)}),
        Edge("saturated, smoothing + weights", {"logits": _arr([[1e4, -1e4, 0.0, 0.0, 0.0], [-1e4, 1e4, 1e4, 0, 0]]),
                                                "target": _arr([1, 2], np.int64)},
             {"label_smoothing": 0.1, "class_weight": _CW}),
        Edge("every target ignored", {"logits": _L2, "target": _arr([-100, -100], np.int64)}, {"ignore_index": -100}),
        Edge("zero class weights", {"logits": _L2, "target": _arr([0, 2], np.int64)},
             {"class_weight": _arr([0.0, 1.0, 0.0, 1.0, 1.0])}),
        Edge("one-hot probabilities", {"logits": _L2, "target": _arr([[0, 0, 1.0, 0, 0], [1.0, 0, 0, 0, 0]])}),
    ),
)


def _nll_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    z = _logits(rng, shape, options)
    ax = class_axis_of(options, z.ndim)
    lp = z - np.log(np.sum(np.exp(z), axis=ax, keepdims=True))
    return {"log_probs": lp, "labels": _labels(rng, shape, options)}


_NLL = Case(
    name="nll",
    make_inputs=_nll_inputs,
    oracle=oc.nll,
    reduce_oracle=oc.reduce_weighted(oc.nll_terms),
    options=({}, {"class_weight": _CW}, {"ignore_index": -1},
             {"axis": 1, "class_weight": _CW, "ignore_index": 0}),
    differentiable=("log_probs",),
    edges=(
        Edge("every target ignored", {"log_probs": np.log(_arr([[0.5, 0.5, 0, 0, 0]]) + 1e-300),
                                      "labels": _arr([-1], np.int64)}, {"ignore_index": -1}),
        Edge("log-probability -1e4", {"log_probs": _arr([[-1e4, 0.0, -1e4, -1e4, -1e4]]),
                                      "labels": _arr([0], np.int64)}),
    ),
)


def _cce_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"probs": _probs(rng, shape, options, floor=0.01), "target": _target(rng, shape, options, "probs")}


_CCE = Case(
    name="categorical_cross_entropy",
    make_inputs=_cce_inputs,
    oracle=oc.categorical_cross_entropy,
    options=({}, {"label_smoothing": 0.1}, {"axis": 1}, {"_target": "labels"},
             {"_target": "labels", "label_smoothing": 0.2}),
    differentiable=("probs",),
    edges=(
        Edge("zero probabilities", {"probs": _arr([[0.0, 0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]),
                                    "target": _arr([[0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0]])}),
        Edge("zero probability, labels", {"probs": _arr([[0.0, 0.5, 0.5, 0.0, 0.0]]),
                                          "target": _arr([0], np.int64)}, {"label_smoothing": 0.1}),
    ),
)


def _poly_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"logits": _logits(rng, shape, options), "target": _target(rng, shape, options, "labels")}


_POLY = Case(
    name="poly1_cross_entropy",
    make_inputs=_poly_inputs,
    oracle=oc.poly1_cross_entropy,
    options=({}, {"epsilon": -0.5}, {"epsilon": 1.0, "_target": "probs"}, {"axis": 1}),
    differentiable=("logits",),
    edges=(
        Edge("saturated logits", {"logits": _arr([[1e4, -1e4, 0.0, 0.0, 0.0], [-1e4, 1e4, 0.0, 0.0, 0.0]]),
                                  "target": _arr([0, 0], np.int64)}),
    ),
)


def _gce_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"probs": _probs(rng, shape, options, floor=0.01), "labels": _labels(rng, shape, options)}


_GCE = Case(
    name="generalized_cross_entropy",
    make_inputs=_gce_inputs,
    oracle=oc.generalized_cross_entropy,
    options=({}, {"q": 0.2}, {"q": 1.0}, {"axis": 1, "q": 0.7}),
    differentiable=("probs",),
    edges=(
        Edge("p_y = 0 and p_y = 1", {"probs": _arr([[0.0, 0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]),
                                     "labels": _arr([0, 0], np.int64)}),
    ),
)


def _brier_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if "axis" in options and options["axis"] is None:
        return {"probs": rng.uniform(0.0, 1.0, shape), "target": rng.integers(0, 2, shape).astype(np.float64)}
    return {"probs": _probs(rng, shape, options), "target": _target(rng, shape, options, "probs")}


_BRIER = Case(
    name="brier_score",
    make_inputs=_brier_inputs,
    oracle=oc.brier_score,
    options=({}, {"axis": None}, {"_target": "labels"}, {"axis": 1, "_target": "labels"}),
    differentiable=("probs",),
    edges=(
        Edge("perfect and worst", {"probs": _arr([[1.0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0]]),
                                   "target": _arr([0, 0], np.int64)}),
    ),
)

FAMILY_CASES: dict[str, Case] = {c.name: c for c in (_BCE, _BCEL, _CE, _NLL, _CCE, _POLY, _GCE, _BRIER)}
