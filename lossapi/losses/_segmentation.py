"""Plumbing of the segmentation losses: input preparation, overlap statistics, the Lovász core.

Shapes. ``probs`` has the batch on its first axis and, unless ``axis=None`` (binary masks), a
class axis at ``axis`` (any axis but the batch's). The target is integer class indices without
the class axis, or a floating (or bool) target of the prediction's shape (broadcastable to it).
Binary masks get a trailing class axis of size 1 here, so that every overlap loss reduces the
same ``(..., C)`` statistics.

Statistics are sums over the *statistic axes*: every axis but the batch and the class axis when
``per_sample`` is True (the "none" shape is then ``(N,)``), every axis but the class axis when
it is False (the "none" shape is ``()``).

``where`` (broadcastable to that "none" shape) is applied to the inputs before any arithmetic:
the excluded samples' probabilities become ``fill`` and their targets 0, so inf/NaN or
out-of-range labels there never reach the value or the gradient; the reduction drops them.

Nothing here branches on array values: absent classes, empty masks and ignored pixels become
``where`` selections and weights, and the Lovász losses sort with a stable permutation
(``_ops.sort_descending_with``) instead of boolean indexing, so every loss traces under
``jax.jit``, ``torch.compile(fullgraph=True)`` and vmap, and stays lazy on Dask.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import _value_checks
from .._errors import InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._ops import astype, cumulative_sum, label_hits, param, sort_descending_with
from .._reduction import reduce
from .._validation import (
    _compute_dtype,
    _kind,
    broadcast_shapes,
    check_bool,
    check_params_0d,
    check_where,
    same_size,
)
from ._classes import device_of, resolve_classes, setup_classes

__all__ = [
    "SegPrepared",
    "check_per_sample",
    "class_mean",
    "finish_seg",
    "flat_groups",
    "lovasz_grad",
    "lovasz_sorted",
    "overlap",
    "prepare",
    "safe_div",
    "stat_axes",
    "sum_over",
    "two_class",
]


class SegPrepared(NamedTuple):
    """Validated segmentation inputs.

    ``p``: probabilities in the compute dtype with the class axis at ``axis`` (binary masks: a
    trailing axis of size 1, unless the caller asked to keep them flat); ``t``: integer labels
    (``int_labels``) or the floating target broadcast to ``p``'s shape; ``num_classes``:
    ``p.shape[axis]``; ``binary``: the inputs had no class axis (``axis=None``).
    """

    xp: Any
    out_dtype: Any
    dtype: Any
    p: Any
    t: Any
    axis: int
    num_classes: Any
    int_labels: bool
    binary: bool
    per_sample: bool
    params: tuple[Any, ...]


def check_per_sample(fn: str, per_sample: Any) -> None:
    check_bool(fn, "per_sample", per_sample)


def _lead(xp: Any, where: Any, ndim: int) -> Any:
    """A per-sample (or 0-d) ``where`` reshaped to broadcast against an ``ndim``-D input."""
    n = where.shape[0] if where.ndim == 1 else 1
    return xp.reshape(where, (n,) + (1,) * (ndim - 1))


def prepare(
    fn: str,
    names: str,
    probs: Any,
    target: Any,
    *,
    axis: Any,
    per_sample: bool,
    sample_weight: Any,
    where: Any,
    reduction: str,
    xp: Any,
    params: tuple[Any, ...] = (),
    extra: tuple[Any, ...] = (),
    labels: str = "auto",
    fill: float = 0.5,
    binary_class_axis: bool = True,
) -> SegPrepared:
    """Validate and prepare the inputs of a segmentation loss (see the module docstring).

    ``names`` names ``probs``, ``target``, ``sample_weight``, ``where``, the ``extra`` arrays
    and the ``params`` (error messages only). ``labels``: ``"auto"`` (integer dtype = class
    indices, else a floating target), ``"int"`` (class indices required). ``axis=None`` means
    binary masks: the target may then be floating, integer or bool and is cast to the compute
    dtype; ``binary_class_axis`` adds a trailing class axis of size 1 to both.
    """
    check_per_sample(fn, per_sample)
    nm = names.split()
    if xp is None:
        xp = resolve_classes(fn, names, reduction, probs, target, sample_weight, where, *extra, *params)
    else:
        from .._validation import check_reduction

        check_reduction(fn, reduction)
        if _value_checks.active:  # value checks (lossapi.check_values) when resolve was skipped
            _value_checks.check_call(fn, xp)
    if axis is None:
        if _kind(probs.dtype) != "float":
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{nm[0]}` must have a real floating dtype, got {probs.dtype}; "
                f"cast it first, e.g. xp.astype({nm[0]}, xp.float32)."
            )
        if labels == "int":
            raise InvalidOptionError(
                f"lossapi.{fn}: axis=None (binary masks) is not supported; pass probabilities with a "
                "class axis and integer labels (binary Lovász: lossapi.lovasz_hinge)."
            )
        if probs.ndim == 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{nm[0]}` is 0-d, but segmentation inputs have a leading batch axis "
                "(shape (N, ...))."
            )
        if _kind(target.dtype) == "other":
            raise InvalidDTypeError(f"lossapi.{fn}: `{nm[1]}` has unsupported dtype {target.dtype}.")
        full = broadcast_shapes(tuple(target.shape), tuple(probs.shape))
        if full is None or len(full) != probs.ndim or not all(same_size(a, b) for a, b in zip(full, probs.shape)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{nm[1]}` of shape {tuple(target.shape)} does not match `{nm[0]}` of shape "
                f"{tuple(probs.shape)}; with axis=None (binary masks) the target has the prediction's shape."
            )
        out_dtype = probs.dtype
        dtype = _compute_dtype(xp, out_dtype)
        p = astype(xp, probs, dtype)
        t = astype(xp, target, dtype)
        if tuple(t.shape) != tuple(p.shape):
            t = xp.broadcast_to(t, tuple(p.shape))
        if binary_class_axis:
            p, t = xp.expand_dims(p, axis=-1), xp.expand_dims(t, axis=-1)
        ax, num_classes, int_labels, binary = p.ndim - 1, 1, False, True
    else:
        if (isinstance(axis, int) and not isinstance(axis, bool) and probs.ndim > 0
                and -probs.ndim <= axis < probs.ndim and axis % probs.ndim == 0):
            raise ShapeMismatchError(
                f"lossapi.{fn}: axis={axis} is the batch axis of `{nm[0]}` (shape {tuple(probs.shape)}); "
                "segmentation inputs are (N, ..., C) with axis=-1 or (N, C, ...) with axis=1 (for binary "
                "masks without a class axis pass axis=None)."
            )
        cp = setup_classes(fn, names, probs, target, axis=axis, sample_weight=None, where=None,
                           reduction=reduction, xp=xp, labels=labels, extra=extra)
        out_dtype, dtype, p, t, ax = cp.out_dtype, cp.dtype, cp.x, cp.target, cp.axis
        num_classes, int_labels, binary = cp.num_classes, cp.int_labels, False
        if not int_labels and tuple(t.shape) != tuple(p.shape):
            t = xp.broadcast_to(t, tuple(p.shape))
    if where is not None:
        check_where(fn, where)
        none = (p.shape[0],) if per_sample else ()
        ws = broadcast_shapes(tuple(where.shape), none)
        if ws is None or len(ws) != len(none) or not all(same_size(a, b) for a, b in zip(ws, none)):
            what = f"the per-sample loss shape {none}" if per_sample else "the pooled loss shape () (per_sample=False)"
            raise ShapeMismatchError(
                f"lossapi.{fn}: `where` has shape {tuple(where.shape)}, which does not broadcast to {what}: "
                "segmentation losses mask whole samples."
            )
        wp = _lead(xp, where, p.ndim)
        p = xp.where(wp, p, xp.asarray(fill, dtype=dtype, device=device_of(p)))
        if int_labels:
            t = xp.where(_lead(xp, where, t.ndim), t, xp.zeros_like(t))
        else:
            t = xp.where(_lead(xp, where, t.ndim), t, xp.asarray(0.0, dtype=dtype, device=device_of(t)))
    if params and not all(isinstance(v, (int, float)) for v in params):
        check_params_0d(fn, names.split()[-len(params):], params)
    ps = tuple(param(xp, v, dtype) for v in params)
    return SegPrepared(xp, out_dtype, dtype, p, t, ax, num_classes, int_labels, binary, per_sample, ps)


# -- statistics -----------------------------------------------------------------------------------


def stat_axes(sp: SegPrepared) -> tuple[int, ...]:
    """The axes the statistics are summed over (all but the class axis, and the batch's when per sample)."""
    skip = (sp.axis, 0) if sp.per_sample else (sp.axis,)
    return tuple(i for i in range(sp.p.ndim) if i not in skip)


def sum_over(xp: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """``sum(x, axis=axes)``; an empty tuple sums nothing (torch would read it as every axis)."""
    return xp.sum(x, axis=axes) if axes else x


def overlap(sp: SegPrepared) -> tuple[Any, Any, Any]:
    """``(I, P, T) = (sum p t, sum p, sum t)`` over the statistic axes, each ``(N, C)`` or ``(C,)``.

    Integer labels are compared with the class range (a boolean array), never expanded into a
    floating one-hot.
    """
    xp, axes = sp.xp, stat_axes(sp)
    P = sum_over(xp, sp.p, axes)
    if sp.int_labels:
        hits = label_hits(xp, sp.t, sp.num_classes, sp.axis)
        I = sum_over(xp, xp.where(hits, sp.p, 0.0), axes)  # noqa: E741
        T = sum_over(xp, xp.astype(hits, sp.dtype), axes)
    else:
        I = sum_over(xp, sp.p * sp.t, axes)  # noqa: E741
        T = sum_over(xp, sp.t, axes)
    return I, P, T


def safe_div(xp: Any, num: Any, den: Any, empty: Any = 0.0) -> Any:
    """``num / den`` where ``den != 0``, else ``empty``; finite gradients everywhere (double where)."""
    ok = den != 0
    return xp.where(ok, num / xp.where(ok, den, xp.ones_like(den)), empty)


def class_mean(xp: Any, loss: Any, weight: Any = None) -> Any:
    """Mean of the per-class ``loss`` over its last axis; with ``weight`` (C,) the weighted
    mean ``sum(w l) / sum(w)`` (0 when the weights sum to 0)."""
    if weight is None:
        return xp.mean(loss, axis=-1)
    return safe_div(xp, xp.sum(loss * weight, axis=-1), xp.sum(weight))


def finish_seg(sp: SegPrepared, loss: Any, reduction: str, *, fn: str, sample_weight: Any, where: Any) -> Any:
    """Reduce the per-sample (or pooled 0-d) ``loss`` and cast back to the input dtype."""
    return reduce(sp.xp, loss, reduction, fn=fn, sample_weight=sample_weight, where=where,
                  out_dtype=None if sp.out_dtype == sp.dtype else sp.out_dtype)


def two_class(sp: SegPrepared) -> SegPrepared:
    """Binary masks as two classes ``[1 - p, p]`` / ``[1 - t, t]`` (for confusion-matrix losses)."""
    xp = sp.xp
    p = xp.concat([1.0 - sp.p, sp.p], axis=-1)
    t = xp.concat([1.0 - sp.t, sp.t], axis=-1)
    return sp._replace(p=p, t=t, num_classes=2)


def flat_groups(sp: SegPrepared, x: Any, class_axis: bool = True) -> Any:
    """``x`` as ``(G, N, C)`` (class axis last) or, without a class axis, ``(G, N)``; ``G`` is the
    batch size per sample, else 1."""
    xp = sp.xp
    g = x.shape[0] if sp.per_sample else 1
    if class_axis:
        if sp.axis != x.ndim - 1:  # class axis last (permute_dims: torch.func.vmap has no moveaxis rule)
            x = xp.permute_dims(x, (*(i for i in range(x.ndim) if i != sp.axis), sp.axis))
        return xp.reshape(x, (g, _rest(x.shape[:-1], g), x.shape[-1]))
    return xp.reshape(x, (g, _rest(x.shape, g)))


def _rest(shape: tuple[Any, ...], g: Any) -> Any:
    """``-1`` for reshape, or the explicit size when it is ambiguous (a batch of 0 samples)."""
    if g != 0 and not (len(shape) > 1 and 0 in shape):
        return -1
    n = 1
    for d in shape[1:] if g != 1 else shape:
        n = n * d
    return n


# -- Lovász --------------------------------------------------------------------------------------


def lovasz_grad(xp: Any, gt: Any, bg: Any) -> Any:
    """Gradient of the Lovász extension of the Jaccard loss at the sorted errors.

    ``gt`` / ``bg``: foreground / background indicators of the pixels in the order of their
    errors (descending), along the last axis; a pixel with ``gt = bg = 0`` (ignored) leaves the
    running intersection and union unchanged, so its gradient entry is exactly 0 and the
    other entries are those without it (Berman et al. 2018, Alg. 1).
    """
    if 0 in gt.shape:  # no pixels (an empty batch): nothing to weigh, and no slice to take
        return xp.zeros_like(gt)
    gts = xp.sum(gt, axis=-1, keepdims=True)
    inter = gts - cumulative_sum(xp, gt, axis=-1)
    union = gts + cumulative_sum(xp, bg, axis=-1)
    jac = 1.0 - safe_div(xp, inter, union, 1.0)
    return xp.concat([jac[..., :1], jac[..., 1:] - jac[..., :-1]], axis=-1)


def lovasz_sorted(xp: Any, errors: Any, gt: Any, bg: Any | None) -> tuple[Any, Any]:
    """``(e, g)``: the errors sorted in descending order along the last axis and the Lovász
    gradient of the ground truth permuted the same way (``bg = 1 - gt`` when None); the loss
    is ``sum_k f(e_k) g_k``."""
    if bg is None:
        e, g = sort_descending_with(xp, errors, gt, axis=-1)
        return e, lovasz_grad(xp, g, 1.0 - g)
    # One permutation carries both indicators: code = gt - bg in {-1, 0, 1}.
    e, code = sort_descending_with(xp, errors, gt - bg, axis=-1)
    return e, lovasz_grad(xp, xp.astype(code > 0, code.dtype), xp.astype(code < 0, code.dtype))
