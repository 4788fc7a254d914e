"""Conformance cases for the detection losses (``lossapi.losses.detection``).

Box losses: ``make_inputs(rng, shape, options)`` draws one valid box pair per element of
``shape`` (boxes and targets of shape ``(*shape, 4)``): targets with centres in [1, 9]² and
sides in [0.5, 4]; 70 % of the predictions overlap their target (centre shifted by
N(0, 0.3 side), sides scaled by exp(N(0, 0.3))), the others lie anywhere (mostly disjoint).
Each pair is redrawn until it is ``_GAP`` away from every kink: no tie between the
corresponding edges (the max/min of the intersection and of the enclosing box), an
intersection extent that is not near 0 (the overlap mask), sides of at least 0.3, and an IoU
of at most 0.9 (no cancellation in ``1 - IoU`` for low precisions). Case-only option
``"_aspect": "same"`` draws predictions with exactly the target's aspect ratio (dyadic
coordinates, scale in {0.5, 0.75, 1.25, 1.5, 2}): CIoU's ``v`` is then exactly 0, so its
gradient is the derivative of its value and finite differences check every term but ``v``
(elsewhere CIoU's gradient holds ``alpha`` constant, as torchvision, and is only required to
be finite and equal on torch and JAX: ``oracles_detection.ciou_aspect_entries``; the ``v``
term's gradient is checked against the frozen-alpha oracle in ``tests/test_detection.py``).

Edges: identical boxes (ties: kink), disjoint boxes, one box inside the other, degenerate
boxes (zero width, zero height, a point, two identical points), one target broadcast against
several boxes, and ``eps=0``.

YOLO: grid cells of ``5 + C`` numbers (C = 3) along ``options["axis"]``: predictions
(box numbers and confidence in [0, 1], logits N(0, 1.5)); targets with confidence 1 (40 %,
one-hot class) or 0 (zero class vector); ``"_ignore"`` also draws ignored cells (confidence
-1), ``"_soft"`` class probabilities instead of one-hot vectors. The loss is smooth in
``pred``; the targets are data (masks by equality), not differentiated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_detection as od
from .cases import Case, Edge, class_axis_of

__all__ = ["DETECTION_CASES", "FAMILY_CASES"]

_GAP = 0.05
_TRIES = 1000
_SCALES = (0.5, 0.75, 1.25, 1.5, 2.0)

Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _box(cx: float, cy: float, w: float, h: float) -> np.ndarray:
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def _grid(v: float, step: float) -> float:
    return float(np.round(v / step) * step)


def _draw_pair(rng: np.random.Generator, same_aspect: bool) -> tuple[np.ndarray, np.ndarray]:
    if same_aspect:  # dyadic values: widths, heights and their ratios are exact
        wg, hg = _grid(rng.uniform(0.5, 4.0), 1 / 16), _grid(rng.uniform(0.5, 4.0), 1 / 16)
        gx, gy = _grid(rng.uniform(1.0, 9.0), 1 / 16), _grid(rng.uniform(1.0, 9.0), 1 / 16)
        s = float(rng.choice(_SCALES))
        if rng.random() < 0.7:
            cx, cy = _grid(gx + rng.normal(0, 0.3 * wg), 1 / 64), _grid(gy + rng.normal(0, 0.3 * hg), 1 / 64)
        else:
            cx, cy = _grid(rng.uniform(1.0, 9.0), 1 / 64), _grid(rng.uniform(1.0, 9.0), 1 / 64)
        return _box(cx, cy, s * wg, s * hg), _box(gx, gy, wg, hg)
    wg, hg = rng.uniform(0.5, 4.0, 2)
    gx, gy = rng.uniform(1.0, 9.0, 2)
    if rng.random() < 0.7:
        cx, cy = gx + rng.normal(0, 0.3 * wg), gy + rng.normal(0, 0.3 * hg)
        w, h = wg * np.exp(rng.normal(0, 0.3)), hg * np.exp(rng.normal(0, 0.3))
    else:
        cx, cy = rng.uniform(1.0, 9.0, 2)
        w, h = rng.uniform(0.5, 4.0, 2)
    return _box(cx, cy, w, h), _box(gx, gy, wg, hg)


def _away_from_kinks(b: np.ndarray, g: np.ndarray) -> bool:
    if min(b[2] - b[0], b[3] - b[1]) < 0.3:
        return False
    if np.min(np.abs(b - g)) < _GAP:  # ties of max(x1, x1'), min(x2, x2'), ... (and of the enclosing box)
        return False
    ix = min(b[2], g[2]) - max(b[0], g[0])
    iy = min(b[3], g[3]) - max(b[1], g[1])
    if abs(ix) < _GAP or abs(iy) < _GAP:  # the overlap mask switches at 0
        return False
    return float(od.box_iou(b, g)) >= 0.1


def _box_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    same = options.get("_aspect") == "same"
    boxes = np.empty((*shape, 4))
    target = np.empty((*shape, 4))
    for i in np.ndindex(shape):
        for _ in range(_TRIES):
            b, g = _draw_pair(rng, same)
            if _away_from_kinks(b, g):
                break
        else:  # pragma: no cover - the conditions hold with high probability
            raise RuntimeError("could not draw a box pair away from the kinks")
        boxes[i], target[i] = b, g
    return {"boxes": boxes, "target": target}


def _bt(boxes: Any, target: Any) -> Inputs:
    return {"boxes": _f(boxes), "target": _f(target)}


# Hand-picked points, shared by the four box losses. Each edge with near-zero losses also
# holds an ordinary pair, so that the typical loss of the edge sets the absolute tolerance
# (``cancels``: 1 - IoU of nearly identical boxes cancels). In the kink edges every pair has
# equal aspect ratios (CIoU's v = 0): there alpha's missing derivative is 0, so CIoU's gradient
# must lie between the one-sided differences of its value too.
_IDENTICAL = Edge("identical boxes (ties: kink)",
                  _bt([[1.0, 1.0, 3.0, 4.0], [0.0, 0.0, 1.0, 1.0]], [[1.0, 1.0, 3.0, 4.0], [2.0, 2.0, 3.0, 3.0]]),
                  kink=True)
_DISJOINT = Edge("disjoint boxes",
                 _bt([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 1.0]], [[2.0, 2.0, 3.0, 3.0], [1.0, 2.0, 3.0, 4.0]]))
_INSIDE = Edge("one box inside the other",
               _bt([[0.0, 0.0, 4.0, 4.0], [1.5, 0.5, 2.5, 2.0]], [[1.0, 1.0, 2.0, 3.0], [0.0, 0.0, 5.0, 3.0]]))
_ZERO_WIDTH = Edge("zero-width box (x1 == x2)",
                   _bt([[0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 2.0, 2.0]], [[1.0, 1.0, 3.0, 4.0], [3.0, 0.5, 3.0, 1.5]]))
_ZERO_HEIGHT = Edge("zero-height box (y1 == y2)",
                    _bt([[0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 2.0, 2.0]], [[1.0, 1.0, 3.0, 4.0], [4.0, 3.0, 5.0, 3.0]]))
# A segment inside a box: its zero extent sits on the overlap mask's switch (a kink). Not a
# CIoU edge: there the one-sided differences of the value include alpha's derivative.
_SEGMENTS_INSIDE = Edge("zero-width / zero-height box inside a box (overlap switch: kink)",
                        _bt([[1.0, 0.5, 1.0, 1.5], [0.0, 0.0, 2.0, 2.0]], [[0.0, 0.0, 2.0, 2.0], [0.5, 1.0, 1.5, 1.0]]),
                        kink=True)
_POINT = Edge("point box inside a box",
              _bt([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 3.0]], [[0.0, 0.0, 2.0, 2.0], [2.0, 1.0, 3.0, 2.0]]))
_TWO_POINTS = Edge("two identical point boxes (ties: kink)",
                   _bt([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 3.0]], [[1.0, 1.0, 1.0, 1.0], [2.0, 1.0, 4.0, 7.0]]),
                   kink=True)
_BROADCAST = Edge("one target, several boxes",
                  _bt([[0.0, 0.0, 2.0, 2.0], [1.5, 0.5, 3.0, 4.0], [5.0, 5.0, 6.0, 7.0]], [1.0, 1.0, 3.0, 3.0]))
_EPS0 = Edge("eps=0: identical, nested and degenerate boxes (ties: kink)",
             _bt([[1.0, 1.0, 3.0, 4.0], [0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 1.0, 1.0]],
                 [[1.0, 1.0, 3.0, 4.0], [1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]]),
             {"eps": 0.0}, kink=True)
_BOX_EDGES = (_IDENTICAL, _DISJOINT, _INSIDE, _ZERO_WIDTH, _ZERO_HEIGHT, _POINT, _TWO_POINTS, _BROADCAST, _EPS0)


def _box_case(name: str, oracle: Any, options: tuple[Options, ...], edges: tuple[Edge, ...] = ()) -> Case:
    return Case(name=name, make_inputs=_box_inputs, oracle=oracle, options=options,
                differentiable=("boxes", "target"), edges=_BOX_EDGES + edges, cancels=True)


_BOX_IOU = _box_case("box_iou", od.box_iou, ({}, {"eps": 1e-3}), (_SEGMENTS_INSIDE,))
_GIOU = _box_case("giou", od.giou, ({}, {"eps": 1e-3}), (_SEGMENTS_INSIDE,))
_DIOU = _box_case("diou", od.diou, ({}, {"eps": 1e-3}), (_SEGMENTS_INSIDE,))
_CIOU = _box_case("ciou", od.ciou, ({}, {"eps": 1e-3}, {"_aspect": "same"}, {"_aspect": "same", "eps": 0.5}))


# -- YOLO -----------------------------------------------------------------------------------------

_C = 3


def _yolo_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    pred = np.concatenate([rng.uniform(0.0, 1.0, (*shape, 5)), rng.normal(0.0, 1.5, (*shape, _C))], axis=-1)
    kinds = rng.choice([1.0, 0.0, -1.0], size=shape, p=[0.4, 0.4, 0.2] if options.get("_ignore") else [0.4, 0.6, 0.0])
    obj = kinds == 1.0
    if options.get("_soft"):
        cls = rng.dirichlet(np.ones(_C), size=shape)
    else:
        cls = np.eye(_C)[rng.integers(0, _C, shape)]
    cls = np.where(obj[..., None], cls, 0.0)
    target = np.concatenate([rng.uniform(0.0, 1.0, (*shape, 4)), kinds[..., None], cls], axis=-1)
    ax = class_axis_of(options, len(shape) + 1)
    return {"pred": np.moveaxis(pred, -1, ax), "target": np.moveaxis(target, -1, ax)}


def _cells(pred: Any, target: Any) -> Inputs:
    return {"pred": _f(pred), "target": _f(target)}


_P2 = [[0.5, 0.5, 1.0, 1.0, 0.8, 0.0, 0.0, 1.0], [0.1, 0.2, 0.3, 0.4, 0.4, 1.0, 2.0, -1.0]]
_YOLO = Case(
    name="yolo",
    make_inputs=_yolo_inputs,
    oracle=od.yolo,
    reduce_oracle=od.reduce_yolo,
    options=({}, {"lambda_coord": 2.0, "lambda_noobj": 1.0}, {"_ignore": True, "_soft": True},
             {"axis": 1, "lambda_noobj": 0.25}),
    differentiable=("pred",),
    edges=(
        Edge("object and no-object cell", _cells(_P2, [[0.5, 0.5, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0],
                                                       [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])),
        Edge("no object cell", _cells(_P2, np.zeros((2, 8)))),
        Edge("only object cells, lambda_coord = 0",
             _cells(_P2, [[0.0, 1.0, 0.5, 0.5, 1.0, 1.0, 0.0, 0.0], [0.2, 0.2, 0.2, 0.2, 1.0, 0.0, 0.0, 1.0]]),
             {"lambda_coord": 0.0}),
        Edge("ignored cell (confidence -1)",
             _cells(_P2, [[0.5, 0.5, 1.0, 1.0, -1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])),
        Edge("large logits", _cells([[0.5, 0.5, 1.0, 1.0, 0.8, 1e3, -1e3, 0.0]],
                                    [[0.5, 0.5, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0]])),
    ),
    cancels=True,
)

DETECTION_CASES: dict[str, Case] = {c.name: c for c in (_BOX_IOU, _GIOU, _DIOU, _CIOU, _YOLO)}
FAMILY_CASES = DETECTION_CASES
