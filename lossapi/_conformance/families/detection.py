"""Conformance of the detection losses (``lossapi.losses.detection``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 oracles of the detection losses (``lossapi.losses.detection``).

Written from the papers, one box pair (or grid cell) at a time in plain Python arithmetic,
never calling lossapi:

- IoU loss: ``1 - |B ∩ G| / (|B ∪ G| + eps)``;
- GIoU (Rezatofighi et al., CVPR 2019, Algorithm 2): ``1 - IoU + (|C| - |B ∪ G|) / (|C| + eps)``
  with ``C`` the smallest enclosing box;
- DIoU (Zheng et al., AAAI 2020, eq. 6): ``1 - IoU + rho^2(b, b_gt) / (c^2 + eps)``, ``rho`` the
  distance of the centres, ``c`` the enclosing box's diagonal;
- CIoU (same paper, eqs. 8-11): ``DIoU + alpha v``, ``v = 4 / pi^2 (atan(w_gt / h_gt) -
  atan(w / h))^2``, ``alpha = v / ((1 - IoU) + v + eps)``.

The ``eps`` placement is torchvision's (``giou``/``diou``/``ciou`` are its
``generalized_box_iou_loss``/``distance_box_iou_loss``/``complete_box_iou_loss``), including
its CIoU detail: the IoU and the diagonal inside CIoU always add 1e-7, ``eps`` only enters
``alpha``. Conventions at degenerate points (which torchvision leaves as NaN): a quotient with
a zero denominator (only possible with ``eps=0``) is 0; ``atan(w / h)`` at ``h = 0`` is its
limit ``sign(w) pi / 2`` (0 for a point box).

``ciou_frozen_alpha`` evaluates CIoU with ``alpha`` given (fixed): its derivative is the
gradient lossapi and torchvision return (``alpha`` carries no gradient).

YOLO: the classic ``YOLOLoss`` (YOLOv1 sum-squared-error form) cell by cell (see ``lossapi.yolo``): ``yolo`` returns the
per-cell loss, ``reduce_yolo`` the reduced value ("mean" averages the object and the no-object
cells separately, as that loss's four ``mse_loss``/``cross_entropy`` calls do).

Cases
-----
Conformance cases for the detection losses (``lossapi.losses.detection``).

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
be finite and equal on torch and JAX: ``ciou_aspect_entries``; the ``v`` term's gradient is
checked against the frozen-alpha oracle in ``tests/test_detection.py``).

Edges: identical boxes (ties: kink), disjoint boxes, one box inside the other, degenerate
boxes (zero width, zero height, a point, two identical points), one target broadcast against
several boxes, and ``eps=0``.

YOLO: grid cells of ``5 + C`` numbers (C = 3) along ``options["axis"]``: predictions
(box numbers and confidence in [0, 1], logits N(0, 1.5)); targets with confidence 1 (40 %,
one-hot class) or 0 (zero class vector); ``"_ignore"`` also draws ignored cells (confidence
-1), ``"_soft"`` class probabilities instead of one-hot vectors. The loss is smooth in
``pred``; the targets are data (masks by equality), not differentiated.

Counterparts
------------
Native counterparts of the detection losses (torchvision).

Mappings (what the documented API promises):

- ``giou``, ``diou``, ``ciou`` = ``torchvision.ops.generalized_box_iou_loss``,
  ``distance_box_iou_loss``, ``complete_box_iou_loss`` with the same ``eps`` and
  ``reduction``. torchvision takes no weights: its ``reduction="none"`` result is reduced
  here with lossapi's weighted-mean rule and per-row weights, which checks that lossapi
  broadcasts the weights as documented. Its functions unbind the last axis, so the case's
  ``(5, 3, 4)`` box arrays go in as they are.
- ``box_iou`` (1 - IoU with ``eps``) and ``yolo`` (a composite loss) have no
  torchvision counterpart (``torchvision.ops.box_iou`` is the pairwise N x M matrix without
  ``eps``).

torchvision cannot be installed on the project's machines: ``library_available`` reports it
missing and these checks skip with that reason. The same formulas, transcribed from
torchvision's source, are the oracles above and the benchmark's hand-written torch reference
(``benchmarks/bench_detection.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz, class_axis_of
from ..counterparts import Counterpart, _np, _torch, weighted_reduce
from ..fuzz import BIG

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "box_iou",
    "ciou",
    "ciou_alpha",
    "ciou_aspect_entries",
    "ciou_frozen_alpha",
    "diou",
    "giou",
    "reduce_yolo",
    "yolo",
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

_TV_EPS = 1e-7  # torchvision's default eps, used by CIoU's IoU and diagonal whatever ``eps`` is


def _pairs(boxes: Any, target: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    b = np.asarray(boxes, dtype=np.float64)
    g = np.asarray(target, dtype=np.float64)
    shape = np.broadcast_shapes(b.shape[:-1], g.shape[:-1])
    return np.broadcast_to(b, (*shape, 4)), np.broadcast_to(g, (*shape, 4)), shape


def _quot(num: float, den: float) -> float:
    return 0.0 if den == 0 else num / den


class _Pair:
    """Geometry of one box pair, from the papers' definitions."""

    def __init__(self, b: np.ndarray, g: np.ndarray) -> None:
        x1, y1, x2, y2 = (float(v) for v in b)
        u1, v1, u2, v2 = (float(v) for v in g)
        self.w, self.h = x2 - x1, y2 - y1
        self.wg, self.hg = u2 - u1, v2 - v1
        # Intersection: the overlap of the x- and the y-intervals (empty -> 0).
        ox = max(0.0, min(x2, u2) - max(x1, u1))
        oy = max(0.0, min(y2, v2) - max(y1, v1))
        self.inter = ox * oy
        self.union = self.w * self.h + self.wg * self.hg - self.inter
        # Smallest enclosing box C.
        self.cw = max(x2, u2) - min(x1, u1)
        self.ch = max(y2, v2) - min(y1, v1)
        # Squared distance of the centres.
        self.rho2 = ((x1 + x2) / 2 - (u1 + u2) / 2) ** 2 + ((y1 + y2) / 2 - (v1 + v2) / 2) ** 2

    def iou(self, eps: float) -> float:
        return _quot(self.inter, self.union + eps)

    def giou_penalty(self, eps: float) -> float:
        area_c = self.cw * self.ch
        return _quot(area_c - self.union, area_c + eps)

    def diou_penalty(self, eps: float) -> float:
        return _quot(self.rho2, self.cw**2 + self.ch**2 + eps)

    def v(self) -> float:
        return 4.0 / math.pi**2 * (_angle(self.wg, self.hg) - _angle(self.w, self.h)) ** 2


def _angle(w: float, h: float) -> float:
    """``atan(w / h)``; at ``h = 0`` its limit ``sign(w) pi / 2`` (0 for ``w = h = 0``)."""
    if h != 0:
        return math.atan(w / h)
    if w == 0:
        return 0.0
    return math.copysign(math.pi / 2, w)


def _per_pair(boxes: Any, target: Any, f: Any) -> np.ndarray:
    b, g, shape = _pairs(boxes, target)
    out = np.empty(shape)
    for i in np.ndindex(shape):
        out[i] = f(_Pair(b[i], g[i]))
    return out


def box_iou(boxes: Any, target: Any, eps: float = 1e-7) -> np.ndarray:
    """``1 - IoU`` per pair."""
    e = float(eps)
    return _per_pair(boxes, target, lambda p: 1.0 - p.iou(e))


def giou(boxes: Any, target: Any, eps: float = 1e-7) -> np.ndarray:
    """``1 - GIoU`` per pair (torchvision's ``generalized_box_iou_loss``)."""
    e = float(eps)
    return _per_pair(boxes, target, lambda p: 1.0 - p.iou(e) + p.giou_penalty(e))


def diou(boxes: Any, target: Any, eps: float = 1e-7) -> np.ndarray:
    """``1 - DIoU`` per pair (torchvision's ``distance_box_iou_loss``)."""
    e = float(eps)
    return _per_pair(boxes, target, lambda p: 1.0 - p.iou(e) + p.diou_penalty(e))


def _alpha(p: _Pair, eps: float) -> float:
    v = p.v()
    return _quot(v, (1.0 - p.iou(_TV_EPS)) + v + eps)


def ciou_alpha(boxes: Any, target: Any, eps: float = 1e-7) -> np.ndarray:
    """CIoU's trade-off weight ``alpha = v / (1 - IoU + v + eps)`` per pair."""
    e = float(eps)
    return _per_pair(boxes, target, lambda p: _alpha(p, e))


def ciou(boxes: Any, target: Any, eps: float = 1e-7) -> np.ndarray:
    """``1 - CIoU`` per pair (torchvision's ``complete_box_iou_loss``)."""
    e = float(eps)
    return _per_pair(boxes, target, lambda p: 1.0 - p.iou(_TV_EPS) + p.diou_penalty(_TV_EPS) + _alpha(p, e) * p.v())


def ciou_frozen_alpha(boxes: Any, target: Any, alpha: Any) -> np.ndarray:
    """``DIoU loss + alpha v`` per pair with ``alpha`` given: the function whose derivative
    is CIoU's gradient (alpha held constant)."""
    b, g, shape = _pairs(boxes, target)
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), shape)
    out = np.empty(shape)
    for i in np.ndindex(shape):
        p = _Pair(b[i], g[i])
        out[i] = 1.0 - p.iou(_TV_EPS) + p.diou_penalty(_TV_EPS) + float(a[i]) * p.v()
    return out


def ciou_aspect_entries(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Coordinates of the pairs with ``v != 0``: there CIoU's gradient (alpha frozen) is not
    the derivative of its value, so finite differences of the value do not apply."""
    b, g, shape = _pairs(inputs["boxes"], inputs["target"])
    mask = np.zeros(shape, dtype=bool)
    for i in np.ndindex(shape):
        mask[i] = _Pair(b[i], g[i]).v() != 0
    out = {}
    for name in ("boxes", "target"):
        s = np.shape(inputs[name])
        m = np.broadcast_to(mask[..., None], (*shape, 4))
        # An input broadcast along leading axes: a coordinate is exempt if any of its pairs is.
        lead = len(m.shape) - len(s)
        m = np.asarray(m.any(axis=tuple(range(lead)))) if lead else m
        axes = tuple(k for k, d in enumerate(s) if d == 1 and m.shape[k] != 1)
        out[name] = np.array(m.any(axis=axes, keepdims=True) if axes else m)
    return out


# -- YOLO -----------------------------------------------------------------------------------------


def _cells(pred: Any, target: Any, axis: int) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64)
    t = np.broadcast_to(np.asarray(target, dtype=np.float64), p.shape)
    ax = axis % p.ndim
    return np.moveaxis(p, ax, -1), np.moveaxis(t, ax, -1)


def _cell(p: np.ndarray, t: np.ndarray, lambda_coord: float, lambda_noobj: float) -> tuple[float, float, float]:
    """(object-cell loss, no-object-cell loss, target confidence) of one cell."""
    coord = sum((float(p[k]) - float(t[k])) ** 2 for k in range(4)) / 4.0
    conf = (float(p[4]) - float(t[4])) ** 2
    z = [float(v) for v in p[5:]]
    m = max(z)
    lse = m + math.log(sum(math.exp(v - m) for v in z))
    ce = sum(float(q) * (lse - v) for q, v in zip(t[5:], z))
    return lambda_coord * coord + conf + ce, lambda_noobj * conf, float(t[4])


def yolo(pred: Any, target: Any, lambda_coord: float = 5.0, lambda_noobj: float = 0.5, axis: int = -1) -> np.ndarray:
    """Per-cell YOLO loss: the object-cell terms where the target confidence is 1, the
    no-object term where it is 0, nothing elsewhere."""
    p, t = _cells(pred, target, axis)
    shape = p.shape[:-1]
    out = np.zeros(shape)
    for i in np.ndindex(shape):
        a, b, c = _cell(p[i], t[i], float(lambda_coord), float(lambda_noobj))
        out[i] = a if c == 1 else (b if c == 0 else 0.0)
    return out


def reduce_yolo(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray:
    """The reduced YOLO loss: ``"mean"`` = weighted mean over the object cells + weighted mean
    over the no-object cells (0 for an empty group); ``"sum"``/``"none"`` as usual."""
    lc = float(options.get("lambda_coord", 5.0))
    ln = float(options.get("lambda_noobj", 0.5))
    p, t = _cells(inputs["pred"], inputs["target"], int(options.get("axis", -1)))
    shape = p.shape[:-1]
    w = np.ones(shape) if sample_weight is None else np.broadcast_to(np.asarray(sample_weight, np.float64), shape)
    keep = np.ones(shape, dtype=bool) if where is None else np.broadcast_to(np.asarray(where, bool), shape)
    none = np.zeros(shape)
    num_o = den_o = num_n = den_n = 0.0
    for i in np.ndindex(shape):
        if not keep[i]:
            continue
        a, b, c = _cell(p[i], t[i], lc, ln)
        wi = float(w[i])
        if c == 1:
            none[i] = wi * a
            num_o += wi * a
            den_o += wi
        elif c == 0:
            none[i] = wi * b
            num_n += wi * b
            den_n += wi
    if reduction == "none":
        return none
    if reduction == "sum":
        return np.float64(num_o + num_n)
    return np.float64((num_o / den_o if den_o else 0.0) + (num_n / den_n if den_n else 0.0))


# ==================================================================================================
# Cases
# ==================================================================================================

_GAP = 0.05
_TRIES = 1000
_SCALES = (0.5, 0.75, 1.25, 1.5, 2.0)


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
    return float(box_iou(b, g)) >= 0.1


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
_IDENTICAL = Edge(
    "identical boxes (ties: kink)",
    _bt([[1.0, 1.0, 3.0, 4.0], [0.0, 0.0, 1.0, 1.0]], [[1.0, 1.0, 3.0, 4.0], [2.0, 2.0, 3.0, 3.0]]),
    kink=True,
)
_DISJOINT = Edge(
    "disjoint boxes", _bt([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 1.0]], [[2.0, 2.0, 3.0, 3.0], [1.0, 2.0, 3.0, 4.0]])
)
_INSIDE = Edge(
    "one box inside the other",
    _bt([[0.0, 0.0, 4.0, 4.0], [1.5, 0.5, 2.5, 2.0]], [[1.0, 1.0, 2.0, 3.0], [0.0, 0.0, 5.0, 3.0]]),
)
_ZERO_WIDTH = Edge(
    "zero-width box (x1 == x2)",
    _bt([[0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 2.0, 2.0]], [[1.0, 1.0, 3.0, 4.0], [3.0, 0.5, 3.0, 1.5]]),
)
_ZERO_HEIGHT = Edge(
    "zero-height box (y1 == y2)",
    _bt([[0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 2.0, 2.0]], [[1.0, 1.0, 3.0, 4.0], [4.0, 3.0, 5.0, 3.0]]),
)
# A segment inside a box: its zero extent sits on the overlap mask's switch (a kink). Not a
# CIoU edge: there the one-sided differences of the value include alpha's derivative.
_SEGMENTS_INSIDE = Edge(
    "zero-width / zero-height box inside a box (overlap switch: kink)",
    _bt([[1.0, 0.5, 1.0, 1.5], [0.0, 0.0, 2.0, 2.0]], [[0.0, 0.0, 2.0, 2.0], [0.5, 1.0, 1.5, 1.0]]),
    kink=True,
)
_POINT = Edge(
    "point box inside a box",
    _bt([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 3.0]], [[0.0, 0.0, 2.0, 2.0], [2.0, 1.0, 3.0, 2.0]]),
)
_TWO_POINTS = Edge(
    "two identical point boxes (ties: kink)",
    _bt([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 3.0]], [[1.0, 1.0, 1.0, 1.0], [2.0, 1.0, 4.0, 7.0]]),
    kink=True,
)
_BROADCAST = Edge(
    "one target, several boxes",
    _bt([[0.0, 0.0, 2.0, 2.0], [1.5, 0.5, 3.0, 4.0], [5.0, 5.0, 6.0, 7.0]], [1.0, 1.0, 3.0, 3.0]),
)
_EPS0 = Edge(
    "eps=0: identical, nested and degenerate boxes (ties: kink)",
    _bt(
        [[1.0, 1.0, 3.0, 4.0], [0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 1.0, 1.0]],
        [[1.0, 1.0, 3.0, 4.0], [1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]],
    ),
    {"eps": 0.0},
    kink=True,
)
_BOX_EDGES = (_IDENTICAL, _DISJOINT, _INSIDE, _ZERO_WIDTH, _ZERO_HEIGHT, _POINT, _TWO_POINTS, _BROADCAST, _EPS0)


def _perfect_boxes(iou_eps: float | None) -> Callable[[Inputs, Options], tuple[Inputs, Any]]:
    """Identical boxes: iou = A / (A + eps), so the loss is eps / (A + eps); the giou / diou /
    ciou penalties are 0 (enclosing box = the box, centre distance 0, same aspect ratio).
    ``iou_eps``: the IoU's eps when the option does not set it (ciou: always 1e-7, its ``eps``
    only enters alpha, as torchvision)."""

    def build(x: Inputs, o: Options) -> tuple[Inputs, Any]:
        t = np.asarray(x["target"], dtype=np.float64)
        area = (t[..., 2] - t[..., 0]) * (t[..., 3] - t[..., 1])
        eps = float(o.get("eps", 1e-7)) if iou_eps is None else iou_eps
        return {**x, "boxes": t}, eps / (area + eps)

    return build


def _box_case(
    name: str, oracle: Any, options: tuple[Options, ...], edges: tuple[Edge, ...] = (), *, iou_eps: float | None = None
) -> Case:
    return Case(
        name=name,
        make_inputs=_box_inputs,
        oracle=oracle,
        options=options,
        differentiable=("boxes", "target"),
        edges=_BOX_EDGES + edges,
        cancels=True,
        sweep=sweeps.Sweep(**sweeps.DETECTION),
        fuzz=Fuzz(perfect=_perfect_boxes(iou_eps)),
    )


_BOX_IOU = _box_case("box_iou", box_iou, ({}, {"eps": 1e-3}), (_SEGMENTS_INSIDE,))
_GIOU = _box_case("giou", giou, ({}, {"eps": 1e-3}), (_SEGMENTS_INSIDE,))
_DIOU = _box_case("diou", diou, ({}, {"eps": 1e-3}), (_SEGMENTS_INSIDE,))
_CIOU = _box_case("ciou", ciou, ({}, {"eps": 1e-3}, {"_aspect": "same"}, {"_aspect": "same", "eps": 0.5}), iou_eps=1e-7)


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


def _cell_inputs(pred: Any, target: Any) -> Inputs:
    return {"pred": _f(pred), "target": _f(target)}


def _perfect_yolo(x: Inputs, o: Options) -> Inputs:
    t = np.asarray(x["target"], dtype=np.float64)
    ax = class_axis_of(o, t.ndim)
    tl = np.moveaxis(t, ax, -1)
    # Class logits: BIG at the (one-hot) target class; box and confidence copied.
    pred = np.concatenate([tl[..., :5], np.where(tl[..., 5:] > 0.5, BIG, -BIG)], axis=-1)
    return {**x, "pred": np.moveaxis(pred, -1, ax)}


def _no_perfect_yolo(o: Options) -> str | None:
    if o.get("_soft"):
        return "soft class targets: the class cross-entropy is their entropy, not 0"
    return None


_P2 = [[0.5, 0.5, 1.0, 1.0, 0.8, 0.0, 0.0, 1.0], [0.1, 0.2, 0.3, 0.4, 0.4, 1.0, 2.0, -1.0]]
_YOLO = Case(
    name="yolo",
    make_inputs=_yolo_inputs,
    oracle=yolo,
    reduce_oracle=reduce_yolo,
    options=(
        {},
        {"lambda_coord": 2.0, "lambda_noobj": 1.0},
        {"_ignore": True, "_soft": True},
        {"axis": 1, "lambda_noobj": 0.25},
    ),
    differentiable=("pred",),
    edges=(
        Edge(
            "object and no-object cell",
            _cell_inputs(_P2, [[0.5, 0.5, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
        ),
        Edge("no object cell", _cell_inputs(_P2, np.zeros((2, 8)))),
        Edge(
            "only object cells, lambda_coord = 0",
            _cell_inputs(_P2, [[0.0, 1.0, 0.5, 0.5, 1.0, 1.0, 0.0, 0.0], [0.2, 0.2, 0.2, 0.2, 1.0, 0.0, 0.0, 1.0]]),
            {"lambda_coord": 0.0},
        ),
        Edge(
            "ignored cell (confidence -1)",
            _cell_inputs(_P2, [[0.5, 0.5, 1.0, 1.0, -1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
        ),
        Edge(
            "large logits",
            _cell_inputs([[0.5, 0.5, 1.0, 1.0, 0.8, 1e3, -1e3, 0.0]], [[0.5, 0.5, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0]]),
        ),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        lo=-1.0,
        hi=1.0,
        build=sweeps.yolo_cell,
        xlabel="shift s of the predicted box centre",
        axis="box shift",
        description="one object cell: box centre x = target + s, confidence 1, class logits (2, 0)",
    ),
    fuzz=Fuzz(
        perfect=_perfect_yolo,
        no_perfect_options=_no_perfect_yolo,
        mean_rule="weighted mean over object cells + weighted mean over no-object cells (0 for an empty group)",
    ),
)

CASES: dict[str, Case] = {c.name: c for c in (_BOX_IOU, _GIOU, _DIOU, _CIOU, _YOLO)}


# ==================================================================================================
# Counterparts
# ==================================================================================================


def _torchvision(name: str) -> Callable[..., np.ndarray | np.float64]:
    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray | np.float64:
        import torchvision.ops as tvo

        b, t = _torch(x["boxes"], x["target"])
        per = getattr(tvo, name)(b, t, reduction="none", eps=float(o.get("eps", 1e-7)))
        return weighted_reduce(_np(per), reduction, sw)

    return fn


def _always(o: Options, reduction: str, weighted: bool) -> bool:
    return True


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "giou": [Counterpart("torchvision", _torchvision("generalized_box_iou_loss"), _always)],
    "diou": [Counterpart("torchvision", _torchvision("distance_box_iou_loss"), _always)],
    "ciou": [Counterpart("torchvision", _torchvision("complete_box_iou_loss"), _always)],
}
