"""Independent float64 oracles of the detection losses (``lossapi.losses.detection``).

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

YOLO: the seed's ``YOLOLoss`` cell by cell (see ``lossapi.yolo``): ``yolo`` returns the
per-cell loss, ``reduce_yolo`` the reduced value ("mean" averages the object and the no-object
cells separately, as the seed's four ``mse_loss``/``cross_entropy`` calls do).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
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
    return _per_pair(boxes, target,
                     lambda p: 1.0 - p.iou(_TV_EPS) + p.diou_penalty(_TV_EPS) + _alpha(p, e) * p.v())


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


def reduce_yolo(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], reduction: str,
                sample_weight: np.ndarray | None, where: np.ndarray | None) -> np.ndarray:
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
