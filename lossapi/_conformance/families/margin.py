"""Conformance of the margin-based classification losses (``lossapi.losses.margin``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracles for the margin-based classification losses.

Each oracle is written from the textbook / reference-library definition in its most direct
form (explicit loops over the elements and classes), and returns the per-element
(``reduction="none"``) loss in float64. The class axis is ``axis`` (default -1); integer labels
have the per-element shape. Nothing here imports or calls lossapi.

The sparsemax oracle works in exact rational arithmetic (``fractions.Fraction``): the
threshold and the loss are rational functions of the logits, so the oracle is exactly
rounded, even where the textbook formula cancels.

Cases
-----
Conformance cases for the margin-based classification losses (``lossapi.losses.margin``).

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

Counterparts
------------
Native counterparts of the margin-based classification losses (torch, optax, keras, sklearn).

Mappings (what the documented API promises, and where each stops):

- optax's ``hinge_loss``, ``perceptron_loss``, ``multiclass_hinge_loss`` (Crammer-Singer,
  margin 1, p 1), ``multiclass_perceptron_loss`` and ``multiclass_sparsemax_loss`` are
  per-element; ``"mean"``/``"sum"`` reduce them with NumPy (no weights). The sparsemax loss
  vmaps over the first axis only: 2-D inputs.
- torch's ``multi_margin_loss`` is the Weston-Watkins variant; its ``weight`` is lossapi's
  ``class_weight`` for ``"none"`` and ``"sum"``. With a weight torch's ``"mean"`` divides by
  the number of elements, lossapi's by the sum of the weights (the documented weighted mean), so
  that combination is not mapped. ``multi_margin_loss`` and ``multilabel_margin_loss`` take
  ``(N, C)`` inputs: 1-D "none" shapes. ``multilabel_soft_margin_loss``'s ``weight`` weighs the
  class terms, as lossapi's ``class_weight``: every reduction.
- keras' hinge losses take the target first and average the last axis, then the batch:
  lossapi's ``"mean"`` on rows of equal length. ``categorical_hinge`` (the function) is
  per-element.
- sklearn's ``hinge_loss`` is the binary hinge for 1-D scores and the Crammer-Singer hinge
  for 2-D scores (``labels=range(C)``); its ``sample_weight`` gives lossapi's weighted mean.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz, class_axis_of
from ..counterparts import Counterpart, _jnp, _keras, _np, _reduce, _torch
from ..fuzz import BIG, class_input, label_weight, sign

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "categorical_hinge",
    "hinge",
    "multiclass_hinge",
    "multiclass_perceptron",
    "multilabel_margin",
    "multilabel_soft_margin",
    "perceptron",
    "reduce_multiclass_hinge",
    "soft_margin",
    "sparsemax",
    "squared_hinge",
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


def _f64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _sign_targets(scores: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """Scores and targets broadcast together; a target of 0 means the negative class (-1)."""
    s, t = np.broadcast_arrays(_f64(scores), _f64(target))
    t = np.where(t == 0, -1.0, t)
    return s, t


def _last(a: Any, axis: int) -> np.ndarray:
    """``a`` with its class axis moved last."""
    a = np.asarray(a)
    return np.moveaxis(a, axis % a.ndim, -1)


# -- binary ----------------------------------------------------------------------------------------


def hinge(scores: Any, target: Any, margin: float = 1.0) -> np.ndarray:
    """``max(0, margin - t s)`` with ``t`` in {-1, 1} (0 read as -1)."""
    s, t = _sign_targets(scores, target)
    out = np.empty(s.shape)
    for i in np.ndindex(s.shape):
        out[i] = max(0.0, float(margin) - t[i] * s[i])
    return out


def squared_hinge(scores: Any, target: Any, margin: float = 1.0) -> np.ndarray:
    """``max(0, margin - t s) ** 2``."""
    return hinge(scores, target, margin) ** 2


def soft_margin(scores: Any, target: Any) -> np.ndarray:
    """``log(1 + exp(-t s))`` (``logaddexp(0, -t s)`` so that it never overflows)."""
    s, t = _sign_targets(scores, target)
    return np.logaddexp(0.0, -t * s)


def perceptron(scores: Any, target: Any) -> np.ndarray:
    """``max(0, -t s)``."""
    s, t = _sign_targets(scores, target)
    out = np.empty(s.shape)
    for i in np.ndindex(s.shape):
        out[i] = max(0.0, -t[i] * s[i])
    return out


# -- multiclass ------------------------------------------------------------------------------------


def multiclass_hinge(
    scores: Any,
    labels: Any,
    margin: float = 1.0,
    variant: str = "crammer_singer",
    p: int = 1,
    class_weight: Any = None,
    axis: int = -1,
) -> np.ndarray:
    """Crammer-Singer ``(max_c (s_c + m [c != y]) - s_y) ** p`` (optax's form) or Weston-Watkins
    ``sum_{c != y} max(0, m - s_y + s_c) ** p / C`` (torch's multi_margin_loss), times the class
    weight of the label (the ``"none"`` output)."""
    s = _last(_f64(scores), axis)
    y = np.asarray(labels)
    C = s.shape[-1]
    m = float(margin)
    out = np.empty(y.shape)
    for i in np.ndindex(y.shape):
        row, lab = s[i], int(y[i])
        if variant == "crammer_singer":
            best = max(row[c] + (m if c != lab else 0.0) for c in range(C))
            loss = (best - row[lab]) ** p
        else:
            loss = sum(max(0.0, m - row[lab] + row[c]) ** p for c in range(C) if c != lab) / C
        w = 1.0 if class_weight is None else float(np.asarray(class_weight)[lab])
        out[i] = w * loss
    return out


def reduce_multiclass_hinge(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray | np.float64:
    """Reduced ``multiclass_hinge``: the class weight at the label is a weight source, so
    ``"mean"`` is ``sum(w_y sw l) / sum(w_y sw)`` over the kept elements (0 if that is 0)."""
    opts = dict(options)
    cw = opts.pop("class_weight", None)
    loss = multiclass_hinge(inputs["scores"], inputs["labels"], **opts)
    y = np.asarray(inputs["labels"])
    w = np.ones(loss.shape) if cw is None else np.asarray(cw, dtype=np.float64)[y]
    if sample_weight is not None:
        w = w * np.broadcast_to(_f64(sample_weight), loss.shape)
    if where is not None:
        keep = np.broadcast_to(np.asarray(where, dtype=bool), loss.shape)
        w = np.where(keep, w, 0.0)
        loss = np.where(keep, loss, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den


def categorical_hinge(scores: Any, target: Any, axis: int = -1) -> np.ndarray:
    """keras: ``max(0, 1 + max_c (1 - t_c) s_c - sum_c t_c s_c)``; integer targets are one-hot."""
    s = _last(_f64(scores), axis)
    tgt = np.asarray(target)
    C = s.shape[-1]
    if tgt.dtype.kind in "iu":
        t = np.zeros(s.shape)
        for i in np.ndindex(tgt.shape):
            hot = (*i, int(tgt[i]))  # named: mypy (3.11+ AST) takes t[(*a, b)] for the 3.11-only t[*a, b]
            t[hot] = 1.0
    else:
        t = np.broadcast_to(_last(_f64(tgt), axis), s.shape)
    out = np.empty(s.shape[:-1])
    for i in np.ndindex(out.shape):
        pos = sum(t[i][c] * s[i][c] for c in range(C))
        neg = max((1.0 - t[i][c]) * s[i][c] for c in range(C))
        out[i] = max(0.0, 1.0 + neg - pos)
    return out


def multiclass_perceptron(scores: Any, labels: Any, axis: int = -1) -> np.ndarray:
    """optax: ``max_c s_c - s_y``."""
    s = _last(_f64(scores), axis)
    y = np.asarray(labels)
    out = np.empty(y.shape)
    for i in np.ndindex(y.shape):
        out[i] = max(s[i]) - s[i][int(y[i])]
    return out


def sparsemax(logits: Any, labels: Any, axis: int = -1) -> np.ndarray:
    """Martins & Astudillo (2016), in exact arithmetic: ``p = sparsemax(z)`` from the sorted
    logits, then optax's ``sum_c p_c (z_c - z_y) + (1 - sum_c p_c^2) / 2``."""
    z = _last(_f64(logits), axis)
    y = np.asarray(labels)
    out = np.empty(y.shape)
    for i in np.ndindex(y.shape):
        row = [Fraction(float(v)) for v in z[i]]
        srt = sorted(row, reverse=True)
        k_star, csum, total = 0, Fraction(0), Fraction(0)
        for k, v in enumerate(srt, start=1):
            csum += v
            if 1 + k * v > csum:
                k_star, total = k, csum
        tau = (total - 1) / k_star
        p = [max(v - tau, Fraction(0)) for v in row]
        zy = row[int(y[i])]
        loss = sum(pc * (v - zy) for pc, v in zip(p, row)) + (1 - sum(pc * pc for pc in p)) / 2
        out[i] = float(loss)
    return out


# -- multilabel ------------------------------------------------------------------------------------


def multilabel_soft_margin(logits: Any, target: Any, class_weight: Any = None, axis: int = -1) -> np.ndarray:
    """torch: ``-mean_c w_c (t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c))``."""
    x = _last(_f64(logits), axis)
    t = np.broadcast_to(_last(_f64(target), axis), x.shape)
    C = x.shape[-1]
    w = np.ones(C) if class_weight is None else _f64(class_weight)
    out = np.empty(x.shape[:-1])
    for i in np.ndindex(out.shape):
        total = 0.0
        for c in range(C):
            log_sig = -np.logaddexp(0.0, -x[i][c])  # log sigmoid(x)
            log_sig_neg = -np.logaddexp(0.0, x[i][c])  # log sigmoid(-x)
            total += w[c] * (t[i][c] * log_sig + (1.0 - t[i][c]) * log_sig_neg)
        out[i] = -total / C
    return out


def multilabel_margin(scores: Any, labels: Any, axis: int = -1) -> np.ndarray:
    """torch: ``sum_{j valid} sum_{i not a target} max(0, 1 - (s_{y_j} - s_i)) / C``, the valid
    labels being those before the first negative entry."""
    s = _last(_f64(scores), axis)
    lab = _last(np.asarray(labels), axis)
    C = s.shape[-1]
    out = np.empty(s.shape[:-1])
    for i in np.ndindex(out.shape):
        targets = []
        for v in lab[i]:
            if int(v) < 0:
                break
            targets.append(int(v))
        is_target = set(targets)
        total = 0.0
        for yj in targets:
            for c in range(C):
                if c not in is_target:
                    total += max(0.0, 1.0 - (s[i][yj] - s[i][c]))
        out[i] = total / C
    return out


# ==================================================================================================
# Cases
# ==================================================================================================

#: Minimum distance of a random input from a kink or a tie.
_GAP = 1e-2
_SCALE = 1.5
_TRIES = 1000


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


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _perfect_signed_scores(scale: float) -> Callable[[Inputs, Options], Inputs]:
    def build(x: Inputs, o: Options) -> Inputs:
        s = scale if scale else float(o.get("margin", 1.0)) + 1.0
        return {**x, "scores": sign(x["target"]) * s}

    return build


def _perfect_multiclass_hinge(x: Inputs, o: Options) -> Inputs:
    return class_input("scores", float(o.get("margin", 1.0)) + 1.0)(x, o)


def _perfect_multilabel_soft_margin(x: Inputs, o: Options) -> Inputs:
    t = np.round(np.asarray(x["target"], dtype=np.float64))
    return {**x, "target": t, "logits": np.where(t > 0, BIG, -BIG)}


def _perfect_multilabel_margin(x: Inputs, o: Options) -> Inputs:
    y = np.asarray(x["labels"])
    ax = class_axis_of(o, y.ndim)
    yl = np.moveaxis(y, ax, -1)
    member = np.zeros(yl.shape, dtype=bool)
    for idx in np.ndindex(yl.shape[:-1]):
        for c in yl[idx]:
            if c < 0:
                break  # the label list ends at the first -1
            pos = (*idx, int(c))
            member[pos] = True
    # Every target class scores 2, every other class 0: each hinge 1 - (2 - 0) < 0.
    return {**x, "scores": np.moveaxis(np.where(member, 2.0, 0.0), -1, ax)}


# -- plot sweeps shared by several losses -----------------------------------------------------------

#: The plot sweep of the multiclass hinge losses (multiclass_hinge, multiclass_perceptron, categorical_hinge).
_SCORE_SWEEP = sweeps.Sweep(
    **{
        **sweeps.MULTICLASS,
        "lo": -3.0,
        "hi": 3.0,
        "xlabel": "true-class score (other 2 classes 0)",
        "description": "3 classes, scores (x, 0, 0), label 0",
    }
)


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
    oracle=hinge,
    options=(
        {},
        {"margin": 0.5},
        {"margin": 2.0},
        {"margin": 0.0},
        {"_target": "int01"},
        {"_target": "bool", "margin": 0.5},
    ),
    differentiable=("scores",),
    edges=(
        Edge("t s = margin (kink)", _st([1.0, -1.0, 1.0], [1.0, -1.0, 1.0]), kink=True),
        Edge("t s = margin = 0.5 (kink)", _st([0.5, -0.5], [1.0, -1.0]), {"margin": 0.5}, kink=True),
        Edge("{0, 1} int64 targets", _st([2.0, 0.5, -1.5, 0.25], _i([1, 0, 0, 1]))),
        Edge("boolean targets", _st([2.0, 0.5, -1.0], np.array([True, False, True]))),
        Edge("large scores", _st([1e3, -1e3, 1e3], [1.0, 1.0, -1.0])),
    ),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.MARGIN),
    fuzz=Fuzz(perfect=_perfect_signed_scores(0.0)),
)

_SQUARED_HINGE = Case(
    name="squared_hinge",
    make_inputs=_signed_inputs(lambda o: [float(o.get("margin", 1.0))]),
    oracle=squared_hinge,
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
    sweep=sweeps.Sweep(**sweeps.MARGIN),
    fuzz=Fuzz(perfect=_perfect_signed_scores(0.0)),
)

_SOFT_MARGIN = Case(
    name="soft_margin",
    make_inputs=_signed_inputs(lambda o: []),
    oracle=soft_margin,
    options=({}, {"_target": "int01"}),
    differentiable=("scores",),
    edges=(
        Edge("zero scores", _st([0.0, 0.0], [1.0, -1.0])),
        # exp(1e3) overflows every dtype: the value must stay finite (1e3 or ~0).
        Edge("large scores", _st([1e3, -1e3, 30.0, -30.0], [1.0, 1.0, 1.0, 1.0])),
        Edge("{0, 1} uint8 targets", _st([2.0, 0.5, -1.0, 0.25], _i([1, 0, 0, 1], np.uint8))),
    ),
    sweep=sweeps.Sweep(**sweeps.MARGIN),
    fuzz=Fuzz(perfect=_perfect_signed_scores(BIG)),
)

_PERCEPTRON = Case(
    name="perceptron",
    make_inputs=_signed_inputs(lambda o: [0.0]),
    oracle=perceptron,
    options=({}, {"_target": "bool"}),
    differentiable=("scores",),
    edges=(
        Edge("s = 0 (kink)", _st([0.0, 0.0], [1.0, -1.0]), kink=True),
        Edge("{0, 1} int32 targets", _st([2.0, -0.5, 1.5, -3.0], _i([1, 1, 0, 0], np.int32))),
        Edge("large scores", _st([1e3, -1e3], [1.0, 1.0])),
    ),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.MARGIN),
    fuzz=Fuzz(perfect=_perfect_signed_scores(1.0)),
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
        return _far([m + wrong.max() - row[y]]) and _far(m - row[y] + wrong) and _distinct_top(wrong)

    s, y = _rows(rng, shape, _C, ok)
    return {"scores": _to_axis(s, options), "labels": _labels(y, options)}


_WW = {"variant": "weston_watkins"}

_MULTICLASS_HINGE = Case(
    name="multiclass_hinge",
    make_inputs=_multiclass_hinge_inputs,
    oracle=multiclass_hinge,
    reduce_oracle=reduce_multiclass_hinge,
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
        Edge(
            "int32 labels, class weights",
            _sy([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.0, 0.5]], [3, 1], np.int32),
            {"class_weight": _CW, "margin": 0.5},
        ),
        Edge(
            "uint8 labels, class axis 0, Weston-Watkins p=2",
            _sy(np.array([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.0, 0.5], [0.1, 0.7, -2.0, 1.1]]).T, [3, 1, 0], np.uint8),
            {**_WW, "p": 2, "axis": 0},
        ),
    ),
    cancels=True,
    sweep=_SCORE_SWEEP,
    fuzz=Fuzz(
        perfect=_perfect_multiclass_hinge,
        mean_rule="sum(w*cw[y]*l) / sum(w*cw[y])",
        mean_weight=lambda x, o: label_weight(x["labels"], o, ignore=False),
    ),
    invalid_options={"p": [0, 3]},
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
    oracle=categorical_hinge,
    options=({}, {"_target": "labels"}, {"axis": 1}, {"_target": "labels", "_labels": "uint8", "axis": 1}),
    differentiable=("scores",),
    edges=(
        Edge("int64 labels", {"scores": _f([[2.0, 1.5, -1.0, 0.3], [-2.0, -1.0, 0.5, 0.25]]), "target": _i([0, 0])}),
        Edge(
            "hinge kink, int32 labels", {"scores": _f([[2.0, 1.0, -1.0, 0.0]]), "target": _i([0], np.int32)}, kink=True
        ),
        Edge("hinge kink, one-hot", {"scores": _f([[2.0, 1.0, -1.0, 0.0]]), "target": _f([[1, 0, 0, 0]])}, kink=True),
        # The best wrong score ties with the label's zeroed entry (0): the max splits.
        Edge("tie with the zeroed label entry", {"scores": _f([[0.5, -1.0, 0.0, -2.0]]), "target": _i([0])}, kink=True),
        Edge("soft targets", {"scores": _f([[1.0, 0.3, -0.5, 2.0]]), "target": _f([[0.7, 0.2, 0.1, 0.0]])}),
        Edge(
            "uint8 labels, class axis 0",
            {"scores": _f([[2.0, -2.0], [1.5, -1.0], [-1.0, 0.5], [0.3, 0.25]]), "target": _i([1, 3], np.uint8)},
            {"axis": 0},
        ),
        Edge("saturated scores", {"scores": _f([[1e3, -1e3, 0.0, 5.0], [-1e3, 1e3, 2.0, 3.0]]), "target": _i([0, 0])}),
    ),
    cancels=True,
    sweep=_SCORE_SWEEP,
    fuzz=Fuzz(perfect=class_input("scores", 2.0)),
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
    oracle=multiclass_perceptron,
    options=({}, {"axis": 1}, {"_labels": "int32"}, {"_labels": "uint8"}),
    differentiable=("scores",),
    edges=(
        Edge("label ties the best wrong class (kink)", _sy([[1.0, 1.0, 0.0, -1.0]], [0]), kink=True),
        Edge("tied wrong classes", _sy([[-1.0, 2.0, 2.0, 0.0]], [0]), kink=True),
        Edge("all scores equal", _sy([[0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0]], [1, 3]), kink=True),
        Edge("int32 labels", _sy([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.0, 0.5]], [1, 0], np.int32)),
        Edge(
            "uint8 labels, class axis 0",
            _sy(np.array([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.0, 0.5]]).T, [2, 0], np.uint8),
            {"axis": 0},
        ),
        Edge("saturated scores", _sy([[1e3, -1e3, 0.0, 5.0], [-1e3, 1e3, 2.0, 3.0]], [0, 0])),
    ),
    cancels=True,
    sweep=_SCORE_SWEEP,
    fuzz=Fuzz(perfect=class_input("scores", 1.0)),
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
    oracle=sparsemax,
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
        Edge(
            "uint8 labels, class axis 0",
            _zy(np.array([[0.3, 1.2, -0.4, 0.9], [1.0, -1.0, 0.0, 0.5]]).T, [3, 0], np.uint8),
            {"axis": 0},
        ),
    ),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.MULTICLASS),
    fuzz=Fuzz(perfect=class_input("logits", 2.0)),
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
    oracle=multilabel_soft_margin,
    options=({}, {"class_weight": _ML_CW}, {"axis": 1, "class_weight": _ML_CW}),
    differentiable=("logits", "target"),
    edges=(
        Edge("zero logits", _xt([[0.0, 0.0, 0.0, 0.0]], [[1.0, 0.0, 1.0, 0.0]])),
        # Correct and saturated: every term is ~exp(-|x|), not 0 - 0 after cancellation.
        Edge("saturated, correct", _xt([[30.0, -30.0, 60.0, -60.0]], [[1.0, 0.0, 1.0, 0.0]])),
        Edge("saturated, wrong", _xt([[1e3, -1e3, 30.0, -30.0]], [[0.0, 1.0, 0.0, 1.0]]), {"class_weight": _ML_CW}),
        # (Integer and boolean targets: tests/test_margin.py; the target is differentiated here.)
        Edge(
            "soft targets, class axis 0",
            _xt(
                np.array([[0.5, -1.0, 2.0, 0.1], [1.0, 0.0, -0.5, 3.0]]).T,
                np.array([[0.2, 0.9, 0.5, 0.0], [1.0, 0.3, 0.7, 0.1]]).T,
            ),
            {"axis": 0, "class_weight": _ML_CW},
        ),
    ),
    sweep=sweeps.Sweep(
        **{
            **sweeps.LOGIT,
            "description": "one class, logit x, target 1 (and target 0)",
            "build": lambda xp, x, t: (sweeps.cols(xp, x, x), sweeps.cols(xp, x, t)),
            "lines": (sweeps.Line("target 1", {"t": 1.0}), sweeps.Line("target 0", {"t": 0.0})),
        }
    ),
    fuzz=Fuzz(perfect=_perfect_multilabel_soft_margin),
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
            row_labels[k + 1 :] = rng.integers(-1, _MLM_C, _MLM_C - k - 1)
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
    oracle=multilabel_margin,
    options=({}, {"axis": 1}, {"_labels": "int32"}),
    differentiable=("scores",),
    edges=(
        Edge("hinge kink", _sy([[1.5, 0.5, 0.0, -1.0, 2.0]], [[0, -1, -1, -1, -1]]), kink=True),
        Edge("entries after the padding are ignored", _sy([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]])),
        Edge("a target listed twice counts twice", _sy([[0.1, 0.2, 0.4, 0.8]], [[3, 3, -1, 0]])),
        Edge("every class a target", _sy([[0.1, 0.2, 0.4, 0.8]], [[2, 0, 3, 1]])),
        Edge("no targets", _sy([[0.1, 0.2, 0.4, 0.8]], [[-1, 2, 0, 1]])),
        Edge(
            "int32 labels",
            _sy([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.25, 0.5]], [[1, 3, -1, -1], [0, -1, 2, 2]], np.int32),
        ),
        Edge(
            "class axis 0",
            _sy(
                np.array([[0.3, 1.2, -0.4, 2.0], [1.0, -1.0, 0.25, 0.5]]).T, np.array([[1, 3, -1, -1], [2, -1, 0, 0]]).T
            ),
            {"axis": 0},
        ),
        Edge("saturated scores", _sy([[1e3, -1e3, 0.0, 5.0]], [[1, -1, 0, 0]])),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        **{
            **sweeps.MULTICLASS,
            "lo": -3.0,
            "hi": 3.0,
            "xlabel": "score of the target class (other class 0)",
            "description": "2 classes, scores (x, 0), labels (0, -1)",
            "build": lambda xp, x: (sweeps.cols(xp, x, x, 0.0), sweeps.ints(xp, x, 0, -1)),
        }
    ),
    fuzz=Fuzz(perfect=_perfect_multilabel_margin),
)

#: name -> Case for every margin-based classification loss.
CASES: dict[str, Case] = {
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


# ==================================================================================================
# Counterparts
# ==================================================================================================

_KERAS_RTOL = 1e-6  # keras' JAX backend averages in float32 even for float64 inputs


def _labels_torch(a: np.ndarray) -> Any:
    import torch

    return torch.as_tensor(np.asarray(a, dtype=np.int64))


# Predicates (``options`` arrive with the loss's defaults filled in, case-only keys included) ---------
#
# The libraries put the class axis last: ``axis=1`` is only the same with 2-D scores (the
# ``ndim=1`` mappings). Binary targets other than floating signs (case-only ``"_target"``) are
# 0/1: optax and torch read a 0 target literally, keras and sklearn convert it to -1 as lossapi.


def _margin_one(o: Options) -> bool:
    return float(o.get("margin", 1.0)) == 1.0


def _signs(o: Options) -> bool:
    return o.get("_target", "signs") == "signs"


def _last_axis(o: Options) -> bool:
    return o.get("axis", -1) == -1


def _2d_axis(o: Options) -> bool:
    return o.get("axis", -1) in (-1, 1)


def _signs_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return _signs(o) and not weighted


def _optax_hinge_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return _margin_one(o) and _signs(o) and not weighted


def _unit_margin_mean_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return _margin_one(o) and reduction == "mean" and not weighted


def _unit_margin_mean(o: Options, reduction: str, weighted: bool) -> bool:
    return _margin_one(o) and reduction == "mean"


def _last_axis_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return _last_axis(o) and not weighted


def _2d_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return _2d_axis(o) and not weighted


def _crammer_singer_unit(o: Options) -> bool:
    return (
        o.get("variant", "crammer_singer") == "crammer_singer"
        and int(o.get("p", 1)) == 1
        and o.get("class_weight") is None
        and _margin_one(o)
    )


def _optax_multiclass_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return _crammer_singer_unit(o) and _last_axis(o) and not weighted


def _sklearn_multiclass_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return _crammer_singer_unit(o) and _2d_axis(o) and reduction == "mean"


def _torch_multi_margin_ok(o: Options, reduction: str, weighted: bool) -> bool:
    # torch's weighted "mean" divides by N, lossapi's by the sum of the label weights.
    return (
        o.get("variant", "crammer_singer") == "weston_watkins"
        and _2d_axis(o)
        and not weighted
        and (o.get("class_weight") is None or reduction != "mean")
    )


def _keras_categorical_ok(o: Options, reduction: str, weighted: bool) -> bool:
    # keras takes one-hot targets (the case-only "_target": "labels" draws integer labels).
    return o.get("_target") != "labels" and _last_axis(o) and not weighted


# Callables --------------------------------------------------------------------------------------------


def _optax_binary(name: str) -> Callable[..., Any]:
    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        jnp = _jnp()
        import optax

        f = getattr(optax.losses, name)
        return _reduce(f(jnp.asarray(x["scores"]), jnp.asarray(x["target"])), reduction)

    return fn


def _optax_labels(name: str, first: str = "scores") -> Callable[..., Any]:
    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        jnp = _jnp()
        import optax

        f = getattr(optax.losses, name)
        return _reduce(f(jnp.asarray(x[first]), jnp.asarray(np.asarray(x["labels"], np.int64))), reduction)

    return fn


def _keras_binary(cls: str) -> Callable[..., Any]:
    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        keras = _keras()
        return _np(getattr(keras.losses, cls)(dtype="float64")(x["target"], x["scores"]))

    return fn


def _keras_categorical_hinge(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    keras = _keras()
    return _reduce(keras.losses.categorical_hinge(_jnp().asarray(x["target"]), _jnp().asarray(x["scores"])), reduction)


def _sk_hinge_binary(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import sklearn.metrics as m

    return _np(m.hinge_loss(np.asarray(x["target"]), np.asarray(x["scores"]), sample_weight=sw))


def _sk_hinge_multiclass(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import sklearn.metrics as m

    s = np.asarray(x["scores"], dtype=np.float64)
    return _np(m.hinge_loss(np.asarray(x["labels"]), s, labels=np.arange(s.shape[-1]), sample_weight=sw))


def _torch_soft_margin(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    s, t = _torch(x["scores"], x["target"])
    return _np(F.soft_margin_loss(s, t, reduction=reduction))


def _torch_multi_margin(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    (s,) = _torch(x["scores"])
    w = o.get("class_weight")
    weight = None if w is None else _torch(w)[0]
    return _np(
        F.multi_margin_loss(
            s,
            _labels_torch(x["labels"]),
            p=int(o.get("p", 1)),
            margin=float(o.get("margin", 1.0)),
            weight=weight,
            reduction=reduction,
        )
    )


def _torch_multilabel_soft_margin(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    s, t = _torch(x["logits"], x["target"])
    w = o.get("class_weight")
    weight = None if w is None else _torch(w)[0]
    return _np(F.multilabel_soft_margin_loss(s, t, weight=weight, reduction=reduction))


def _torch_multilabel_margin(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    (s,) = _torch(x["scores"])
    # torch refuses out-of-range entries even after the padding (lossapi ignores them there):
    # the case only puts labels in [-1, C) after it.
    return _np(F.multilabel_margin_loss(s, _labels_torch(x["labels"]), reduction=reduction))


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "hinge": [
        Counterpart("optax", _optax_binary("hinge_loss"), _optax_hinge_ok),
        Counterpart("keras", _keras_binary("Hinge"), _unit_margin_mean_unweighted, rtol=_KERAS_RTOL),
        Counterpart("sklearn", _sk_hinge_binary, _unit_margin_mean, ndim=1),
    ],
    "squared_hinge": [
        Counterpart("keras", _keras_binary("SquaredHinge"), _unit_margin_mean_unweighted, rtol=_KERAS_RTOL),
    ],
    "soft_margin": [Counterpart("torch", _torch_soft_margin, _signs_unweighted)],
    "perceptron": [Counterpart("optax", _optax_binary("perceptron_loss"), _signs_unweighted)],
    "multiclass_hinge": [
        Counterpart("optax", _optax_labels("multiclass_hinge_loss"), _optax_multiclass_ok),
        Counterpart("torch", _torch_multi_margin, _torch_multi_margin_ok, ndim=1),
        Counterpart("sklearn", _sk_hinge_multiclass, _sklearn_multiclass_ok, ndim=1),
    ],
    "categorical_hinge": [
        Counterpart("keras", _keras_categorical_hinge, _keras_categorical_ok, rtol=_KERAS_RTOL),
    ],
    "multiclass_perceptron": [
        Counterpart("optax", _optax_labels("multiclass_perceptron_loss"), _last_axis_unweighted),
    ],
    "sparsemax": [
        Counterpart("optax", _optax_labels("multiclass_sparsemax_loss", first="logits"), _2d_unweighted, ndim=1),
    ],
    "multilabel_soft_margin": [Counterpart("torch", _torch_multilabel_soft_margin, _last_axis_unweighted)],
    "multilabel_margin": [Counterpart("torch", _torch_multilabel_margin, _2d_unweighted, ndim=1)],
}
