"""Conformance cases for the margin-based classification losses (``lossapi.losses.margin``).

Random inputs stay at least ``_GAP`` away from every kink: hinge arguments away from 0, the
best wrong class away from the label's score and from the runner-up, sparsemax logits away
from the threshold. The kinks, ties, saturated scores, {0, 1} / integer / boolean targets,
integer label dtypes other than int64 (int32, uint8) and a class axis other than the last are
visited by the :class:`Edge` points.

Scores are drawn with the class axis last and moved to ``options.get("axis", -1)``; integer
labels have the per-element shape. Case-only options (never passed to the loss): ``"_labels"``
names the integer dtype of drawn labels (default int64); ``"_target"`` picks the binary target
encoding: ``"signs"`` (floating -1/1, default), ``"int01"`` (int64 0/1), ``"uint8"`` (0/1),
``"bool"``, and for ``categorical_hinge`` ``"labels"`` (integer labels instead of one-hot).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import oracles_margin as om
from .cases import Case, Edge, class_axis_of

__all__ = ["FAMILY_CASES", "MARGIN_CASES"]

#: Minimum distance of a random input from a kink or a tie.
_GAP = 1e-2
_SCALE = 1.5
_TRIES = 1000

Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]


def _to_axis(x: np.ndarray, options: Options) -> np.ndarray:
    """``x`` (class axis last) with the class axis moved to ``options["axis"]``."""
    return np.moveaxis(x, -1, class_axis_of(options, x.ndim))


def _far(values: Any, points: Any = (0.0,)) -> bool:
    v = np.asarray(values, dtype=np.float64).ravel()
    return all(np.all(np.abs(v - p) >= _GAP) for p in points)


def _distinct_top(values: np.ndarray) -> bool:
    """The largest value is at least ``_GAP`` above the next one (no tie in a max)."""
    if values.size < 2:
        return True
    top = np.sort(values)[::-1]
    return top[0] - top[1] >= _GAP


def _rows(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    C: int,
    ok: Callable[[np.ndarray, int], bool],
    scale: float = _SCALE,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores ``(*shape, C)`` ~ N(0, scale) and int64 labels ``shape``, each row redrawn until
    ``ok(row, y)``."""
    scores = np.empty((*shape, C))
    labels = np.empty(shape, dtype=np.int64)
    for i in np.ndindex(shape):
        y = int(rng.integers(C))
        for _ in range(_TRIES):
            row = rng.normal(0.0, scale, C)
            if ok(row, y):
                break
        else:  # pragma: no cover - the conditions hold with high probability
            raise RuntimeError("could not draw a row away from the kinks")
        scores[i], labels[i] = row, y
    return scores, labels


def _labels(y: np.ndarray, options: Options) -> np.ndarray:
    """Labels in the integer dtype named by the case-only option ``"_labels"`` (default int64)."""
    return y.astype(options.get("_labels", "int64"))


def _others(row: np.ndarray, y: int) -> np.ndarray:
    return np.delete(row, y)


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _i(a: Any, dtype: Any = np.int64) -> np.ndarray:
    return np.asarray(a, dtype=dtype)


# -- binary (elementwise) ----------------------------------------------------------------------------


def _signed_inputs(kinks: Callable[[Options], list[float]]) -> Callable[..., Inputs]:
    """Scores ~ N(0, 1.5) and targets in {-1, 1}, with ``t * s`` at least ``_GAP`` away from
    each of ``kinks(options)``."""

    def make(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
        t = rng.choice([-1.0, 1.0], size=shape)
        s = rng.normal(0.0, _SCALE, shape)
        pts = kinks(options)
        for _ in range(_TRIES):
            near = np.zeros(shape, dtype=bool)
            for k in pts:
                near |= np.abs(t * s - k) < _GAP
            if not near.any():
                break
            s = np.where(near, rng.normal(0.0, _SCALE, shape), s)
        kind = options.get("_target", "signs")
        if kind == "signs":
            return {"scores": s, "target": t}
        t01 = t > 0
        return {"scores": s, "target": t01 if kind == "bool" else t01.astype(np.uint8 if kind == "uint8" else np.int64)}

    return make


def _st(scores: Any, target: Any) -> Inputs:
    t = np.asarray(target)
    return {"scores": _f(scores), "target": t if t.dtype.kind in "iub" else _f(t)}


_HINGE = Case(
    name="hinge",
    make_inputs=_signed_inputs(lambda o: [float(o.get("margin", 1.0))]),
    oracle=om.hinge,
    options=({}, {"margin": 0.5}, {"margin": 2.0}, {"margin": 0.0}, {"_target": "int01"},
             {"_target": "bool", "margin": 0.5}),
    differentiable=("scores",),
    edges=(
        Edge("t s = margin (kink)", _st([1.0, -1.0, 1.0], [1.0, -1.0, 1.0]), kink=True),
        Edge("t s = margin = 0.5 (kink)", _st([0.5, -0.5], [1.0, -1.0]), {"margin": 0.5}, kink=True),
        Edge("{0, 1} int64 targets", _st([2.0, 0.5, -1.5, 0.25], _i([1, 0, 0, 1]))),
        Edge("boolean targets", _st([2.0, 0.5, -1.0], np.array([True, False, True]))),
        Edge("large scores", _st([1e3, -1e3, 1e3], [1.0, 1.0, -1.0])),
    ),
    cancels=True,
)

_SQUARED_HINGE = Case(
    name="squared_hinge",
    make_inputs=_signed_inputs(lambda o: [float(o.get("margin", 1.0))]),
    oracle=om.squared_hinge,
    options=({}, {"margin": 0.5}, {"margin": 2.0}, {"_target": "uint8", "margin": 2.0}),
    differentiable=("scores",),
    edges=(
        # Continuously differentiable: the gradient at t s = m is 0 from both sides.
        Edge("t s = margin (C1)", _st([1.0, -1.0], [1.0, -1.0])),
        Edge("t s = margin = 2 (C1)", _st([2.0, -2.0], [1.0, -1.0]), {"margin": 2.0}),
        Edge("{0, 1} int8 targets", _st([2.0, 0.5, -1.5, 0.25], _i([1, 0, 0, 1], np.int8))),
        Edge("large scores", _st([1e2, -1e2, 1e2], [1.0, 1.0, -1.0])),
    ),
    cancels=True,
)

_SOFT_MARGIN = Case(
    name="soft_margin",
    make_inputs=_signed_inputs(lambda o: []),
    oracle=om.soft_margin,
    options=({}, {"_target": "int01"}),
    differentiable=("scores",),
    edges=(
        Edge("zero scores", _st([0.0, 0.0], [1.0, -1.0])),
        # exp(1e3) overflows every dtype: the value must stay finite (1e3 or ~0).
        Edge("large scores", _st([1e3, -1e3, 30.0, -30.0], [1.0, 1.0, 1.0, 1.0])),
        Edge("{0, 1} uint8 targets", _st([2.0, 0.5, -1.0, 0.25], _i([1, 0, 0, 1], np.uint8))),
    ),
)

_PERCEPTRON = Case(
    name="perceptron",
    make_inputs=_signed_inputs(lambda o: [0.0]),
    oracle=om.perceptron,
    options=({}, {"_target": "bool"}),
    differentiable=("scores",),
    edges=(
        Edge("s = 0 (kink)", _st([0.0, 0.0], [1.0, -1.0]), kink=True),
        Edge("{0, 1} int32 targets", _st([2.0, -0.5, 1.5, -3.0], _i([1, 1, 0, 0], np.int32))),
        Edge("large scores", _st([1e3, -1e3], [1.0, 1.0])),
    ),
    cancels=True,
)


# -- multiclass ------------------------------------------------------------------------------------

_C = 4
#: Class weights of the 4-class cases (exact in every float dtype).
_CW = np.array([0.5, 2.0, 1.0, 1.5])


def _sy(scores: Any, labels: Any, dtype: Any = np.int64) -> Inputs:
    return {"scores": _f(scores), "labels": _i(labels, dtype)}


def _multiclass_hinge_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 1.0))

    def ok(row: np.ndarray, y: int) -> bool:
        wrong = _others(row, y)
        # Crammer-Singer hinge argument, Weston-Watkins terms, and no tie in the max.
        return (_far([m + wrong.max() - row[y]]) and _far(m - row[y] + wrong) and _distinct_top(wrong))

    s, y = _rows(rng, shape, _C, ok)
    return {"scores": _to_axis(s, options), "labels": _labels(y, options)}


_WW = {"variant": "weston_watkins"}

_MULTICLASS_HINGE = Case(
    name="multiclass_hinge",
    make_inputs=_multiclass_hinge_inputs,
    oracle=om.multiclass_hinge,
    reduce_oracle=om.reduce_multiclass_hinge,
    options=(
        {},
        {"variant": "crammer_singer", "p": 2},
        {"margin": 2.0},
        {"class_weight": _CW},
        {**_WW},
        {**_WW, "p": 2, "margin": 0.5},
        {**_WW, "class_weight": _CW},
        {"margin": 0.5, "p": 2, "class_weight": _CW},
        {"axis": 1, "_labels": "int32"},
        {**_WW, "axis": 1, "class_weight": _CW, "_labels": "uint8"},
    ),
    differentiable=("scores",),
    edges=(
        # s_y = m + max_{c != y} s_c: the hinge's kink (gradient 0 there).
        Edge("Crammer-Singer kink", _sy([[2.0, 1.0, 0.0, -1.0]], [0]), kink=True),
        Edge("Crammer-Singer kink, p=2 (C1)", _sy([[2.0, 1.0, 0.0, -1.0]], [0]), {"p": 2}),
        # Tied wrong classes share the gradient of the max evenly (torch and JAX alike).
        Edge("tied wrong classes", _sy([[0.5, 1.0, 1.0, -1.0], [0.0, 0.0, 0.0, 0.0]], [0, 2]), kink=True),
        Edge("Weston-Watkins kink", _sy([[1.0, 0.0, 0.5, -2.0]], [0]), _WW, kink=True),
        Edge("saturated scores", _sy([[1e3, -1e3, 0.0, 5.0], [-1e3, 1e3, 2.0, 3.0]], [0, 0])),
        Edge("saturated scores, Weston-Watkins", _sy([[1e3, -1e3, 0.0, 5.0], [-1e3, 1e3, 2.0, 3.0]], [0, 0]), _WW),
        Edge("int32 labels, class weights", _sy([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.0, 0.5]], [3, 1], np.int32),
             {"class_weight": _CW, "margin": 0.5}),
        Edge("uint8 labels, class axis 0, Weston-Watkins p=2",
             _sy(np.array([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.0, 0.5], [0.1, 0.7, -2.0, 1.1]]).T,
                 [3, 1, 0], np.uint8), {**_WW, "p": 2, "axis": 0}),
    ),
    cancels=True,
)


def _categorical_hinge_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    def ok(row: np.ndarray, y: int) -> bool:
        wrong = _others(row, y)
        neg = max(0.0, wrong.max())
        # keras' max includes the label's zeroed entry: keep the best wrong score away from 0.
        return _far([wrong.max()]) and _distinct_top(wrong) and _far([1.0 + neg - row[y]])

    s, y = _rows(rng, shape, _C, ok)
    if options.get("_target") == "labels":
        return {"scores": _to_axis(s, options), "target": _labels(y, options)}
    return {"scores": _to_axis(s, options), "target": _to_axis(np.eye(_C)[y], options)}


_CATEGORICAL_HINGE = Case(
    name="categorical_hinge",
    make_inputs=_categorical_hinge_inputs,
    oracle=om.categorical_hinge,
    options=({}, {"_target": "labels"}, {"axis": 1}, {"_target": "labels", "_labels": "uint8", "axis": 1}),
    differentiable=("scores",),
    edges=(
        Edge("int64 labels", {"scores": _f([[2.0, 1.5, -1.0, 0.3], [-2.0, -1.0, 0.5, 0.25]]), "target": _i([0, 0])}),
        Edge("hinge kink, int32 labels", {"scores": _f([[2.0, 1.0, -1.0, 0.0]]), "target": _i([0], np.int32)},
             kink=True),
        Edge("hinge kink, one-hot", {"scores": _f([[2.0, 1.0, -1.0, 0.0]]), "target": _f([[1, 0, 0, 0]])},
             kink=True),
        # The best wrong score ties with the label's zeroed entry (0): the max splits.
        Edge("tie with the zeroed label entry", {"scores": _f([[0.5, -1.0, 0.0, -2.0]]), "target": _i([0])},
             kink=True),
        Edge("soft targets", {"scores": _f([[1.0, 0.3, -0.5, 2.0]]), "target": _f([[0.7, 0.2, 0.1, 0.0]])}),
        Edge("uint8 labels, class axis 0",
             {"scores": _f([[2.0, -2.0], [1.5, -1.0], [-1.0, 0.5], [0.3, 0.25]]), "target": _i([1, 3], np.uint8)},
             {"axis": 0}),
        Edge("saturated scores", {"scores": _f([[1e3, -1e3, 0.0, 5.0], [-1e3, 1e3, 2.0, 3.0]]), "target": _i([0, 0])}),
    ),
    cancels=True,
)


def _perceptron_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    def ok(row: np.ndarray, y: int) -> bool:
        wrong = _others(row, y)
        return _far([wrong.max() - row[y]]) and _distinct_top(wrong)

    s, y = _rows(rng, shape, _C, ok)
    return {"scores": _to_axis(s, options), "labels": _labels(y, options)}


_MULTICLASS_PERCEPTRON = Case(
    name="multiclass_perceptron",
    make_inputs=_perceptron_inputs,
    oracle=om.multiclass_perceptron,
    options=({}, {"axis": 1}, {"_labels": "int32"}, {"_labels": "uint8"}),
    differentiable=("scores",),
    edges=(
        Edge("label ties the best wrong class (kink)", _sy([[1.0, 1.0, 0.0, -1.0]], [0]), kink=True),
        Edge("tied wrong classes", _sy([[-1.0, 2.0, 2.0, 0.0]], [0]), kink=True),
        Edge("all scores equal", _sy([[0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0]], [1, 3]), kink=True),
        Edge("int32 labels", _sy([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.0, 0.5]], [1, 0], np.int32)),
        Edge("uint8 labels, class axis 0", _sy(np.array([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.0, 0.5]]).T,
                                               [2, 0], np.uint8), {"axis": 0}),
        Edge("saturated scores", _sy([[1e3, -1e3, 0.0, 5.0], [-1e3, 1e3, 2.0, 3.0]], [0, 0])),
    ),
    cancels=True,
)

_SPARSE_C = 5


def _threshold(row: np.ndarray) -> float:
    srt = np.sort(row)[::-1]
    k = np.arange(1, row.size + 1)
    cond = 1 + k * srt > np.cumsum(srt)
    kk = int(np.max(np.nonzero(cond)[0])) + 1
    return float((np.sum(srt[:kk]) - 1) / kk)


def _sparsemax_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    def ok(row: np.ndarray, y: int) -> bool:
        # Away from the support's boundary (where the loss is only C1).
        return _far(row, [_threshold(row)])

    s, y = _rows(rng, shape, _SPARSE_C, ok, scale=0.8)
    return {"logits": _to_axis(s, options), "labels": _labels(y, options)}


def _zy(logits: Any, labels: Any, dtype: Any = np.int64) -> Inputs:
    return {"logits": _f(logits), "labels": _i(labels, dtype)}


_SPARSEMAX = Case(
    name="sparsemax",
    make_inputs=_sparsemax_inputs,
    oracle=om.sparsemax,
    options=({}, {"axis": 1, "_labels": "int32"}, {"_labels": "uint8"}),
    differentiable=("logits",),
    edges=(
        Edge("uniform logits", _zy([[0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0]], [1, 3])),
        # z_y on the support's boundary: the loss is C1 there, its gradient p - e_y.
        Edge("label on the support boundary", _zy([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [1, 2])),
        Edge("tied top logits", _zy([[2.0, 2.0, 0.0, -1.0]], [0])),
        Edge("saturated label (zero loss)", _zy([[10.0, 0.0, -3.0, 1.0]], [0])),
        Edge("saturated, wrong label", _zy([[1e3, 0.0, -1e3, 5.0]], [2])),
        # Shift invariance: logits near 1e3 carry no precision loss into the loss.
        Edge("logits shifted by 1e3", _zy([[1000.5, 1000.0, 999.0, 1000.25]], [1])),
        Edge("int32 labels", _zy([[0.3, 1.2, -0.4, 0.9], [1.0, -1.0, 0.0, 0.5]], [1, 0], np.int32)),
        Edge("uint8 labels, class axis 0", _zy(np.array([[0.3, 1.2, -0.4, 0.9], [1.0, -1.0, 0.0, 0.5]]).T,
                                               [3, 0], np.uint8), {"axis": 0}),
    ),
    cancels=True,
)


# -- multilabel ------------------------------------------------------------------------------------

_ML_C = 4
_ML_CW = np.array([1.5, 0.5, 2.0, 1.0])


def _multilabel_soft_margin_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    x = rng.normal(0.0, 2.0, (*shape, _ML_C))
    t = (rng.random((*shape, _ML_C)) < 0.4).astype(np.float64)
    return {"logits": _to_axis(x, options), "target": _to_axis(t, options)}


def _xt(logits: Any, target: Any) -> Inputs:
    t = np.asarray(target)
    return {"logits": _f(logits), "target": t if t.dtype.kind in "iub" else _f(t)}


_MULTILABEL_SOFT_MARGIN = Case(
    name="multilabel_soft_margin",
    make_inputs=_multilabel_soft_margin_inputs,
    oracle=om.multilabel_soft_margin,
    options=({}, {"class_weight": _ML_CW}, {"axis": 1, "class_weight": _ML_CW}),
    differentiable=("logits", "target"),
    edges=(
        Edge("zero logits", _xt([[0.0, 0.0, 0.0, 0.0]], [[1.0, 0.0, 1.0, 0.0]])),
        # Correct and saturated: every term is ~exp(-|x|), not 0 - 0 after cancellation.
        Edge("saturated, correct", _xt([[30.0, -30.0, 60.0, -60.0]], [[1.0, 0.0, 1.0, 0.0]])),
        Edge("saturated, wrong", _xt([[1e3, -1e3, 30.0, -30.0]], [[0.0, 1.0, 0.0, 1.0]]), {"class_weight": _ML_CW}),
        # (Integer and boolean targets: tests/test_margin.py; the target is differentiated here.)
        Edge("soft targets, class axis 0", _xt(np.array([[0.5, -1.0, 2.0, 0.1], [1.0, 0.0, -0.5, 3.0]]).T,
                                               np.array([[0.2, 0.9, 0.5, 0.0], [1.0, 0.3, 0.7, 0.1]]).T),
             {"axis": 0, "class_weight": _ML_CW}),
    ),
)

_MLM_C = 5


def _multilabel_margin_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    scores = np.empty((*shape, _MLM_C))
    labels = np.empty((*shape, _MLM_C), dtype=np.int64)
    for i in np.ndindex(shape):
        k = int(rng.integers(0, _MLM_C + 1))
        targets = rng.permutation(_MLM_C)[:k]
        row_labels = np.full(_MLM_C, -1, dtype=np.int64)
        row_labels[:k] = targets
        if k + 1 < _MLM_C:  # entries after the first -1 are ignored, whatever they hold
            row_labels[k + 1:] = rng.integers(-1, _MLM_C, _MLM_C - k - 1)
        others = [c for c in range(_MLM_C) if c not in set(targets.tolist())]
        for _ in range(_TRIES):
            row = rng.normal(0.0, _SCALE, _MLM_C)
            if all(_far([1.0 - row[j] + row[c]]) for j in targets for c in others):
                break
        scores[i], labels[i] = row, row_labels
    return {"scores": _to_axis(scores, options), "labels": _to_axis(_labels(labels, options), options)}


_MULTILABEL_MARGIN = Case(
    name="multilabel_margin",
    make_inputs=_multilabel_margin_inputs,
    oracle=om.multilabel_margin,
    options=({}, {"axis": 1}, {"_labels": "int32"}),
    differentiable=("scores",),
    edges=(
        Edge("hinge kink", _sy([[1.5, 0.5, 0.0, -1.0, 2.0]], [[0, -1, -1, -1, -1]]), kink=True),
        Edge("entries after the padding are ignored", _sy([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]])),
        Edge("a target listed twice counts twice", _sy([[0.1, 0.2, 0.4, 0.8]], [[3, 3, -1, 0]])),
        Edge("every class a target", _sy([[0.1, 0.2, 0.4, 0.8]], [[2, 0, 3, 1]])),
        Edge("no targets", _sy([[0.1, 0.2, 0.4, 0.8]], [[-1, 2, 0, 1]])),
        Edge("int32 labels", _sy([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.25, 0.5]], [[1, 3, -1, -1], [0, -1, 2, 2]],
                                 np.int32)),
        Edge("class axis 0", _sy(np.array([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.25, 0.5]]).T,
                                 np.array([[1, 3, -1, -1], [2, -1, 0, 0]]).T), {"axis": 0}),
        Edge("saturated scores", _sy([[1e3, -1e3, 0.0, 5.0]], [[1, -1, 0, 0]])),
    ),
    cancels=True,
)

#: name -> Case for every margin-based classification loss.
MARGIN_CASES: dict[str, Case] = {
    c.name: c
    for c in (
        _HINGE,
        _SQUARED_HINGE,
        _SOFT_MARGIN,
        _PERCEPTRON,
        _MULTICLASS_HINGE,
        _CATEGORICAL_HINGE,
        _MULTICLASS_PERCEPTRON,
        _SPARSEMAX,
        _MULTILABEL_SOFT_MARGIN,
        _MULTILABEL_MARGIN,
    )
}

FAMILY_CASES = MARGIN_CASES
