"""Detection losses: IoU-based box regression losses and the YOLO composite loss.

Box losses (``box_iou``, ``giou``, ``diou``, ``ciou``) compare boxes given as
``(x1, y1, x2, y2)`` on the last axis, pair by pair: ``boxes[..., i, :]`` against
``target[..., i, :]``, the leading axes broadcasting against each other. ``reduction="none"``
returns one loss per pair (the broadcast shape without the coordinate axis). Both inputs are
differentiable. The formulas are torchvision's ``generalized_box_iou_loss``,
``distance_box_iou_loss`` and ``complete_box_iou_loss`` term by term (same ``eps`` placement),
written once against the Array API:

- intersection: ``(min(x2, x2') - max(x1, x1')) * (min(y2, y2') - max(y1, y1')))`` where both
  extents are positive, else 0 (a ``where``, as torchvision's masked assignment: gradient 0
  when the boxes do not overlap);
- ``iou = inter / (union + eps)``.

Degenerate boxes (zero width and/or height, a point) give finite values and gradients: the
aspect-ratio angle of ``ciou`` is ``atan(w / h)`` for ``h != 0`` and ``sign(w) * pi / 2`` for
``h == 0`` (torchvision's ``atan(w / 0)``, which is NaN only for ``w = h = 0``; here 0), with a
double ``where`` so that no ``w / 0`` is ever evaluated. With ``eps=0`` a zero denominator
(two degenerate boxes) gives a 0 quotient instead of NaN.

Gradients at ties of ``max``/``min`` (coinciding edges, identical boxes) split evenly between
the two arguments on every backend (``xp.maximum`` / ``xp.minimum``, as torch and JAX).

``yolo`` is the YOLO (v1) composite loss as usually written in PyTorch (a ``YOLOLoss`` module
with boolean indexing), here with masks as weights: see its docstring for the layout and the
normalisation.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Namespace
from .._loss import PerElement, loss
from .._ops import logsumexp, stop_gradient
from .._options import Interval
from ._boxes import Boxes, GridCells
from ._classes import ClassContext

__all__ = ["box_iou", "ciou", "diou", "giou", "yolo"]

_BOX_SPACES = {"boxes": "box_xyxy", "target": "box_xyxy"}
_BOXES = Boxes()
_EPS = {"eps": (1e-7, Interval(0, None))}
_FOUR_OVER_PI2 = 4.0 / math.pi**2
_HALF_PI = math.pi / 2.0
#: torchvision's ``complete_box_iou_loss`` calls ``_diou_iou_loss(boxes1, boxes2)`` without its
#: ``eps``: the IoU and the enclosing diagonal always use the default 1e-7 there.
_TV_DEFAULT_EPS = 1e-7

Box = tuple[Any, Any, Any, Any]


# -- formula pieces ---------------------------------------------------------------------------------


def _guard(eps: Any) -> bool:
    """Whether a quotient needs the zero-denominator guard: unless ``eps`` is a positive Python
    number, every denominator ``... + eps`` of valid boxes is then at least ``eps``."""
    return not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and eps > 0)


def _div(xp: Any, num: Any, den: Any, guard: bool) -> Any:
    """``num / den``; with ``guard``, 0 (value and gradient) where ``den == 0`` (double where).

    Unguarded when ``eps`` is a positive Python number: every denominator is then at least
    ``eps`` for valid boxes, and the quotient is torchvision's to the last bit.
    """
    if not guard:
        return num / den
    nz = den != 0
    return xp.where(nz, num / xp.where(nz, den, xp.ones_like(den)), xp.zeros_like(num))


def _iou_terms(xp: Any, b: Box, g: Box, eps: Any, guard: bool) -> tuple[Any, Any, Any, Any]:
    """``(iou, union, enclosing width, enclosing height)`` of the pairs."""
    x1, y1, x2, y2 = b
    gx1, gy1, gx2, gy2 = g
    ix = xp.minimum(x2, gx2) - xp.maximum(x1, gx1)
    iy = xp.minimum(y2, gy2) - xp.maximum(y1, gy1)
    prod = ix * iy
    inter = xp.where((ix > 0) & (iy > 0), prod, xp.zeros_like(prod))
    union = (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter
    iou = _div(xp, inter, union + eps, guard)
    cw = xp.maximum(x2, gx2) - xp.minimum(x1, gx1)
    ch = xp.maximum(y2, gy2) - xp.minimum(y1, gy1)
    return iou, union, cw, ch


def _center_term(xp: Any, b: Box, g: Box, cw: Any, ch: Any, eps: Any, guard: bool) -> Any:
    """Squared distance of the centres over the enclosing box's squared diagonal (+ eps)."""
    x1, y1, x2, y2 = b
    gx1, gy1, gx2, gy2 = g
    dx = (x1 + x2) / 2 - (gx1 + gx2) / 2
    dy = (y1 + y2) / 2 - (gy1 + gy2) / 2
    return _div(xp, dx * dx + dy * dy, cw * cw + ch * ch + eps, guard)


def _angle(xp: Any, w: Any, h: Any) -> Any:
    """``atan(w / h)``; ``sign(w) * pi / 2`` at ``h == 0`` (finite value and gradient)."""
    nz = h != 0
    ratio = w / xp.where(nz, h, xp.ones_like(h))
    # sign(w) from comparisons (the compat xp.sign of torch indexes with a boolean mask, which
    # torch.func.vmap refuses); constant, so no gradient flows through it.
    sign = xp.astype(w > 0, w.dtype) - xp.astype(w < 0, w.dtype)
    return xp.where(nz, xp.atan(ratio), sign * _HALF_PI)


# -- box losses -----------------------------------------------------------------------------------


@loss(
    _BOXES,
    family="detection",
    task="box regression",
    inputs=_BOX_SPACES,
    options=_EPS,
    formula="1 - inter / (union + eps)",
    bounded=True,
    counterparts={},
)
def box_iou(xp: Namespace, boxes: Box, target: Box, *, eps: Any) -> Any:
    r"""IoU loss of paired boxes: one minus their intersection over union.

    For boxes :math:`B` and targets :math:`G` given as :math:`(x_1, y_1, x_2, y_2)`:

    .. math:: \ell = 1 - \frac{|B \cap G|}{|B \cup G| + \varepsilon}

    Parameters
    ----------
    boxes : array
        Predicted boxes, shape ``(..., 4)``, floating, ``x1 <= x2`` and ``y1 <= y2``.
    target : array
        Target boxes, shape ``(..., 4)``; the leading axes broadcast against ``boxes``.
    eps : float or 0-d array, default 1e-7
        Added to the union (torchvision's ``eps``); must be >= 0.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the per-pair shape; the boxes' namespace, device
        and floating dtype.

    Raises
    ------
    ShapeMismatchError
        An input whose last axis is not of size 4, or leading axes that do not broadcast.

    Notes
    -----
    The IoU term of torchvision's box losses (intersection and union as in their
    ``_loss_inter_union``, divided by ``union + eps``); torchvision has no IoU loss of its own
    (``torchvision.ops.box_iou`` is the pairwise N x M matrix, without ``eps``). Identical boxes
    give :math:`\varepsilon / (|B| + \varepsilon) \approx 0`, disjoint boxes 1. Both inputs are
    differentiable; non-overlapping pairs have gradient 0.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> b = np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    >>> t = np.array([[1.0, 1.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0]])
    >>> la.box_iou(b, t, reduction="none").round(6).tolist()   # IoU 1/7 and 0
    [0.857143, 1.0]
    """
    return 1 - _iou_terms(xp, boxes, target, eps, _guard(eps))[0]


@loss(
    _BOXES,
    family="detection",
    task="box regression",
    inputs=_BOX_SPACES,
    options=_EPS,
    formula="1 - iou + (area_C - union) / (area_C + eps), C the smallest enclosing box",
    bounded=True,
    counterparts={
        "torchvision": "torchvision.ops.generalized_box_iou_loss(boxes, target, reduction=reduction, eps=eps)"
    },
)
def giou(xp: Namespace, boxes: Box, target: Box, *, eps: Any) -> Any:
    r"""Generalized IoU loss (Rezatofighi et al., 2019) of paired boxes.

    With :math:`C` the smallest box enclosing :math:`B` and :math:`G`:

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{|C| - |B \cup G|}{|C| + \varepsilon},
        \qquad \mathrm{IoU} = \frac{|B \cap G|}{|B \cup G| + \varepsilon}

    In :math:`[0, 2)`: 0 for identical boxes, above 1 for disjoint boxes (growing with the
    empty part of the enclosing box, so that disjoint boxes still get a gradient).

    Parameters
    ----------
    boxes : array
        Predicted boxes, shape ``(..., 4)`` as ``(x1, y1, x2, y2)``, floating.
    target : array
        Target boxes, shape ``(..., 4)``; the leading axes broadcast against ``boxes``.
    eps : float or 0-d array, default 1e-7
        Added to the union and to the enclosing area; must be >= 0.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else one loss per pair.

    Notes
    -----
    Equals ``torchvision.ops.generalized_box_iou_loss(boxes, target, reduction=reduction,
    eps=eps)`` for boxes of shape ``(N, 4)`` or ``(4,)`` (lossapi also broadcasts leading
    axes, and takes weights). Symmetric in its two inputs. 16-bit inputs are computed in
    float32 (torchvision computes them in their own dtype).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> b = np.array([[0.0, 0.0, 1.0, 1.0]])
    >>> t = np.array([[2.0, 2.0, 3.0, 3.0]])
    >>> la.giou(b, t, reduction="none").round(6).tolist()   # 1 - 0 + (9 - 2) / 9
    [1.777778]
    """
    iou, union, cw, ch = _iou_terms(xp, boxes, target, eps, _guard(eps))
    area_c = cw * ch
    return 1 - iou + _div(xp, area_c - union, area_c + eps, _guard(eps))


@loss(
    _BOXES,
    family="detection",
    task="box regression",
    inputs=_BOX_SPACES,
    options=_EPS,
    formula="1 - iou + |c_B - c_G|^2 / (diag_C^2 + eps)",
    bounded=True,
    counterparts={"torchvision": "torchvision.ops.distance_box_iou_loss(boxes, target, reduction=reduction, eps=eps)"},
)
def diou(xp: Namespace, boxes: Box, target: Box, *, eps: Any) -> Any:
    r"""Distance-IoU loss (Zheng et al., 2020) of paired boxes.

    With :math:`c_B, c_G` the box centres and :math:`d_C` the diagonal of the smallest
    enclosing box:

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{\lVert c_B - c_G \rVert^2}{d_C^2 + \varepsilon},
        \qquad \mathrm{IoU} = \frac{|B \cap G|}{|B \cup G| + \varepsilon}

    In :math:`[0, 2)`; the centre-distance penalty pulls disjoint boxes together.

    Parameters
    ----------
    boxes : array
        Predicted boxes, shape ``(..., 4)`` as ``(x1, y1, x2, y2)``, floating.
    target : array
        Target boxes, shape ``(..., 4)``; the leading axes broadcast against ``boxes``.
    eps : float or 0-d array, default 1e-7
        Added to the union and to the squared diagonal; must be >= 0.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else one loss per pair.

    Notes
    -----
    Equals ``torchvision.ops.distance_box_iou_loss(boxes, target, reduction=reduction,
    eps=eps)``. Symmetric in its two inputs.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> b = np.array([[0.0, 0.0, 1.0, 1.0]])
    >>> t = np.array([[2.0, 2.0, 3.0, 3.0]])
    >>> la.diou(b, t, reduction="none").round(6).tolist()   # 1 - 0 + 8 / 18
    [1.444444]
    """
    iou, _, cw, ch = _iou_terms(xp, boxes, target, eps, _guard(eps))
    return 1 - iou + _center_term(xp, boxes, target, cw, ch, eps, _guard(eps))


@loss(
    _BOXES,
    family="detection",
    task="box regression",
    inputs=_BOX_SPACES,
    options=_EPS,
    formula="diou + alpha v, v = 4/pi^2 (atan(w_G/h_G) - atan(w_B/h_B))^2, "
    "alpha = v / (1 - iou + v + eps) (no gradient)",
    bounded=True,
    counterparts={"torchvision": "torchvision.ops.complete_box_iou_loss(boxes, target, reduction=reduction, eps=eps)"},
)
def ciou(xp: Namespace, boxes: Box, target: Box, *, eps: Any) -> Any:
    r"""Complete-IoU loss (Zheng et al., 2020) of paired boxes.

    The distance-IoU loss plus an aspect-ratio consistency term:

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{\lVert c_B - c_G \rVert^2}{d_C^2 + 10^{-7}} + \alpha v,
        \qquad v = \frac{4}{\pi^2}\Bigl(\arctan\frac{w_G}{h_G} - \arctan\frac{w_B}{h_B}\Bigr)^2,
        \qquad \alpha = \frac{v}{1 - \mathrm{IoU} + v + \varepsilon}

    with :math:`\mathrm{IoU} = |B \cap G| / (|B \cup G| + 10^{-7})`. :math:`\alpha` is a
    constant for differentiation (``stop_gradient``), as in the paper and torchvision (which
    computes it under ``torch.no_grad``): the gradient is that of
    :math:`\ell_{\mathrm{DIoU}} + \alpha v` with :math:`\alpha` frozen, not the derivative of
    the value.

    Parameters
    ----------
    boxes : array
        Predicted boxes, shape ``(..., 4)`` as ``(x1, y1, x2, y2)``, floating.
    target : array
        Target boxes, shape ``(..., 4)``; the leading axes broadcast against ``boxes``.
    eps : float or 0-d array, default 1e-7
        Added to the denominator of :math:`\alpha`; must be >= 0.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else one loss per pair.

    Notes
    -----
    Equals ``torchvision.ops.complete_box_iou_loss(boxes, target, reduction=reduction,
    eps=eps)`` for every ``eps``: like torchvision (which calls its DIoU helper without its
    ``eps``), ``eps`` only enters :math:`\alpha`; the IoU and the squared diagonal always add
    :math:`10^{-7}`. Symmetric in its two inputs. For a box of zero height the angle
    :math:`\arctan(w/h)` is :math:`\operatorname{sign}(w)\,\pi/2` (torchvision's
    ``atan(w / 0)``; 0 for a point box, where torchvision gives NaN) with gradient 0, so
    degenerate boxes give finite values and gradients.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> b = np.array([[0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 1.0, 1.0]])
    >>> t = np.array([[0.0, 0.0, 4.0, 4.0], [2.0, 2.0, 3.0, 3.0]])
    >>> la.ciou(b, t, reduction="none").round(6).tolist()   # identical boxes; same aspect ratio
    [0.0, 1.444444]
    """
    inner = _TV_DEFAULT_EPS
    (x1, y1, x2, y2), (gx1, gy1, gx2, gy2) = boxes, target
    iou, _, cw, ch = _iou_terms(xp, boxes, target, inner, False)
    d = 1 - iou + _center_term(xp, boxes, target, cw, ch, inner, False)
    delta = _angle(xp, gx2 - gx1, gy2 - gy1) - _angle(xp, x2 - x1, y2 - y1)
    v = _FOUR_OVER_PI2 * (delta * delta)
    alpha = stop_gradient(xp, _div(xp, v, 1 - iou + v + eps, _guard(eps)))
    return d + alpha * v


# -- YOLO -----------------------------------------------------------------------------------------


def _take(x: Any, axis: int, start: int, stop: int | None) -> Any:
    idx: list[Any] = [slice(None)] * x.ndim
    idx[axis] = slice(start, stop)
    return x[tuple(idx)]


@loss(
    GridCells(6, "5 + C with C >= 1 (x, y, w, h, confidence, class logits)"),
    family="detection",
    task="object detection",
    inputs={"pred": "yolo_grid", "target": "yolo_grid"},
    options={"lambda_coord": (5.0, Interval(0, None)), "lambda_noobj": (0.5, Interval(0, None))},
    formula="obj (lambda_coord mean_4 (b - b*)^2 + (c - c*)^2 + CE(z, p*)) + noobj lambda_noobj (c - c*)^2; "
    "mean = mean over object cells + mean over no-object cells",
    convex=True,
    smooth=True,
    counterparts={},
    value_rules={"target": "yolo_target"},
)
def yolo(c: ClassContext, pred: Any, target: Any, *, lambda_coord: Any, lambda_noobj: Any) -> Any:
    r"""YOLO-style composite detection loss (the usual PyTorch ``YOLOLoss``), without boolean indexing.

    Every grid cell holds ``5 + C`` numbers along ``axis``: four box numbers ``b`` (e.g.
    ``x, y, w, h``; compared by squared error, as in that module: no square roots), a confidence
    ``c`` and ``C >= 1`` class scores. In ``pred`` the class scores are logits ``z``; in
    ``target`` they are a one-hot vector or class probabilities ``p*``, and the target
    confidence ``c*`` marks the cell: 1 = object cell (``obj``), 0 = no-object cell
    (``noobj``), any other value (e.g. -1) = ignored cell. Per cell:

    .. math::

        \ell = [c^* = 1]\Bigl(\lambda_{coord} \tfrac14 \sum_{k=1}^{4} (b_k - b^*_k)^2
               + (c - c^*)^2 - \sum_{j=1}^{C} p^*_j \log \operatorname{softmax}(z)_j\Bigr)
               + [c^* = 0]\,\lambda_{noobj} (c - c^*)^2

    That module averages each term over its own cells, so ``"mean"`` is the (weighted) mean over
    the object cells plus the (weighted) mean over the no-object cells:

    .. math::

        L = \frac{\sum_i w_i [c^*_i = 1]\,\ell_i}{\sum_i w_i [c^*_i = 1]}
          + \frac{\sum_i w_i [c^*_i = 0]\,\ell_i}{\sum_i w_i [c^*_i = 0]}

    (each quotient 0 when its cells are absent or all weights are 0), which for one-hot
    class targets is exactly that module's ``lambda_coord * mse(box[obj]) + mse(conf[obj]) +
    lambda_noobj * mse(conf[noobj]) + cross_entropy(class[obj], argmax)``. The masks are
    weights, so shapes stay static (``jax.jit``, ``torch.compile(fullgraph=True)``, vmap,
    Dask). ``"sum"`` is :math:`\sum_i w_i \ell_i` and ``"none"`` the per-cell :math:`\ell_i`.

    Parameters
    ----------
    pred : array
        Predictions, shape ``(..., 5 + C, ...)`` with the cell's numbers along ``axis``.
    target : array
        Targets of the same shape (or broadcastable to it without enlarging it).
    lambda_coord : float or 0-d array, default 5.0
        Weight of the box term (>= 0).
    lambda_noobj : float or 0-d array, default 0.5
        Weight of the no-object confidence term (>= 0).

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the per-cell loss (``pred``'s shape without
        ``axis``).

    Raises
    ------
    ShapeMismatchError
        Fewer than 6 numbers per cell, or a target that does not match ``pred``.

    Notes
    -----
    The gradient with respect to ``pred`` is that of the formula above (the masks come from
    the target and carry no gradient). That module returns NaN when a batch has no object (or
    no no-object) cell; here that term is 0.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> pred = np.array([[0.5, 0.5, 1.0, 1.0, 0.8, 0.0, 0.0],
    ...                  [0.0, 0.0, 0.0, 0.0, 0.4, 1.0, 2.0]])
    >>> target = np.array([[0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 0.0],
    ...                    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    >>> # object cell: 5 * 0 + 0.2**2 + log 2 ; no-object cell: 0.5 * 0.4**2
    >>> la.yolo(pred, target, reduction="none").round(6).tolist()
    [0.733147, 0.08]
    >>> round(float(la.yolo(pred, target)), 6)   # one cell of each kind: their sum
    0.813147
    """
    xp, ax = c.xp, c.axis
    db = _take(pred, ax, 0, 4) - _take(target, ax, 0, 4)
    conf_t = xp.squeeze(_take(target, ax, 4, 5), axis=ax)
    dc = xp.squeeze(_take(pred, ax, 4, 5), axis=ax) - conf_t
    z, p = _take(pred, ax, 5, None), _take(target, ax, 5, None)
    ce = xp.sum(p * (logsumexp(xp, z, axis=ax, keepdims=True) - z), axis=ax)
    obj = lambda_coord * xp.mean(db * db, axis=ax) + dc * dc + ce
    return (
        PerElement(obj, weight=xp.astype(conf_t == 1, c.dtype)),  # object cells
        PerElement(lambda_noobj * (dc * dc), weight=xp.astype(conf_t == 0, c.dtype)),
    )  # no-object cells
