"""Plumbing for losses with a class (or distribution) axis: classification and divergences.

:class:`ClassAxis` (the kind of these losses, built on :func:`prepare_classes`) validates the
prediction and the target against each other *statically* (dtypes and shapes only, never
values, so it is free under ``jax.jit``/``torch.compile`` and keeps Dask lazy), decides between
integer class indices and floating class probabilities by dtype, normalizes ``axis``, upcasts
16-bit floats to float32, and applies the first half of the ``where`` double-where: excluded
rows of the prediction are replaced by a harmless value and excluded labels by 0, so that
inf/NaN or out-of-range labels there never reach the value or the gradient. The reduction is
the second half (it drops those rows).

Shapes: the prediction has the class axis at ``axis``; integer labels have the prediction's
shape without that axis (the per-element "none" shape); floating targets have the
prediction's shape (or broadcast to it without enlarging it).

Also here: the option constraints of the classification losses (:class:`Number`,
:class:`PerClass`, :class:`EntryWeight`), the elementwise kind of the binary losses on logits
with a ``pos_weight`` (:class:`BinaryLogits`), and the helpers of class-axis formulas
(``ignore_mask``, ``mask_ignored``, ``along_axis``, ``label_weight``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .._array import compute_dtype, device_of, dtype_kind, is_number
from .._errors import InputTypeError, InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._loss import ELEMENTWISE, Elementwise, Kind, PerElement, Prepared, finish_elements
from .._ops import as_result, astype, clip_range, take_1d
from .._options import ClassWeight, Constraint, Interval
from .._validation import (
    broadcast_shapes,
    check_where,
    same_size,
)

__all__ = [
    "BinaryLogits",
    "ClassAxis",
    "ClassContext",
    "EntryWeight",
    "Number",
    "PerClass",
    "along_axis",
    "finish_invalid",
    "fits",
    "ignore_mask",
    "label_weight",
    "mask_ignored",
    "prepare_classes",
    "probability_target",
    "smoothed_nll",
]


def _norm_axis(fn: str, axis: Any, ndim: int, first: str) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise InvalidOptionError(f"lossapi.{fn}: axis must be an int, got {axis!r}.")
    if ndim == 0:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{first}` is 0-d, but this loss needs a class axis; pass an array of "
            "shape (..., C) (or (N, C, ...) with axis=1)."
        )
    if not -ndim <= axis < ndim:
        raise InvalidOptionError(
            f"lossapi.{fn}: axis={axis} is out of range for `{first}` with {ndim} dimension(s); "
            f"use an axis in [{-ndim}, {ndim - 1}]."
        )
    return axis % ndim


class ClassContext(Prepared):
    """Prepared inputs of a class-axis loss, the first argument of its body.

    ``arrays``: the prediction in the compute dtype (``where``-excluded rows filled) and the
    target (integer labels, excluded ones set to 0, or the floating target in the compute
    dtype); ``axis``: the non-negative class axis (None for the elementwise form of a loss that
    allows ``axis=None``); ``num_classes``: the prediction's size along it; ``int_labels``:
    whether the target holds class indices; ``owned``: the prediction is a private copy (cast
    or masked) that the body may overwrite once it no longer needs it.
    """

    __slots__ = ("axis", "bad", "int_labels", "num_classes", "owned")

    def __init__(
        self,
        xp: Any,
        out_dtype: Any,
        dtype: Any,
        arrays: tuple[Any, ...],
        fn: str,
        axis: Any,
        num_classes: Any,
        int_labels: bool,
        owned: bool,
    ) -> None:
        super().__init__(xp, out_dtype, dtype, arrays, fn)
        self.axis, self.num_classes, self.int_labels, self.owned = axis, num_classes, int_labels, owned
        #: Integer labels outside ``[0, C)`` that are neither ignored nor ``where``-excluded (a bool
        #: array of the labels' shape; None for floating targets): their entries are NaN.
        self.bad: Any = None


class ClassAxis(Kind):
    """Losses over a class (or distribution) axis: classification and divergences.

    The target is read by dtype, never by value: integer class indices (the prediction's shape
    without the class axis) or a floating target of the prediction's shape (``labels="auto"``);
    ``labels="int"`` requires indices, ``labels="float"`` a floating target (integer and bool
    arrays are cast), ``labels="padded"`` integer class lists of the prediction's shape padded
    with -1 (read as floats). The per-element loss drops the class axis. ``where``-excluded rows
    of the prediction become ``fill`` and their targets 0 (or ``target_fill``), so inf/NaN or
    out-of-range labels there reach neither the value nor the gradient. ``none_axis=True`` lets
    ``axis=None`` select the loss's elementwise form (probabilities of the positive class).
    ``axis_doc`` replaces the generic doc of ``axis`` (e.g. a distribution axis).
    """

    name = "class axis"
    context = True
    axis = -1
    reads = ("ignore_index",)
    option_docs: Mapping[str, tuple[str, str]] = {
        "axis": (
            "axis : int, default -1",
            "Class axis of the first input (``1`` for torch-style ``(N, C, ...)`` inputs).",
        ),
    }
    returns_doc = (
        'array\n    0-d for ``"mean"``/``"sum"``; for ``"none"`` the first input\'s shape without the class\n'
        "    axis. The inputs' namespace, device and floating dtype."
    )

    def __init__(
        self,
        labels: str = "auto",
        fill: float = 0.0,
        target_fill: float = 0.0,
        none_axis: bool = False,
        axis_doc: str | None = None,
    ) -> None:
        if labels not in ("auto", "int", "float", "padded"):
            raise ValueError(f"labels={labels!r}")
        self.labels, self.fill, self.target_fill, self.none_axis = labels, fill, target_fill, none_axis
        self.axis_none = none_axis  # the wrapper annotates `axis` as `int | None`
        if axis_doc is not None:
            self.option_docs = {"axis": ("axis : int, default -1", axis_doc)}

    def prepare(
        self,
        rec: Any,
        xp: Any,
        arrays: tuple[Any, ...],
        sample_weight: Any,
        where: Any,
        *,
        axis: Any,
        ignore_index: Any = None,
    ) -> ClassContext:
        if axis is None and self.none_axis:
            p = ELEMENTWISE.prepare(rec, xp, arrays, sample_weight, where)
            return ClassContext(xp, p.out_dtype, p.dtype, p.arrays, rec.name, None, None, False, False)
        return prepare_classes(
            rec.name,
            rec.inputs,
            xp,
            arrays[0],
            arrays[1],
            axis=axis,
            where=where,
            labels=self.labels,
            fill=self.fill,
            target_fill=self.target_fill,
            ignore_index=ignore_index,
        )

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        bad = getattr(p, "bad", None)
        if bad is None:
            return finish_elements(p, out, reduction, rec.name, sample_weight, where)
        xp = p.xp
        if type(out) is PerElement and out.weight is None and not out.included and out.after is None:
            out = out.loss if out.divide_by is None else out.loss / out.divide_by
        if (
            type(out) is not PerElement
            and sample_weight is None
            and where is None
            and p.out_dtype == p.dtype
            and 0 not in out.shape  # an empty batch: the reduction's 0, not 0 / 0
        ):
            # The common case in a few operations: NaN entries, and a mean over the valid ones
            # (a NaN numerator: the value is NaN, the valid entries' gradients 1 / count).
            out = nan_where(xp, bad, out)
            if reduction == "none":
                return out
            total = xp.sum(out)
            if reduction == "mean":
                total = total / (math.prod(out.shape) - xp.sum(astype(xp, bad, p.dtype)))
            return as_result(xp, total)
        return finish_invalid(p, out, reduction, rec.name, sample_weight, where)


def finish_invalid(p: Any, out: Any, reduction: str, fn: str, sample_weight: Any, where: Any) -> Any:
    """The reduction of a body's result when some labels are invalid (``p.bad``): those entries
    weigh 0 in the reduction, then become NaN (``"none"``) or make the reduced value NaN."""
    r = finish_elements(p, without_invalid(p, out), reduction, fn, sample_weight, where)
    return nan_where(p.xp, p.bad, r) if reduction == "none" else nan_if_any(p.xp, p.bad, r)


def prepare_classes(
    fn: str,
    names: Any,
    xp: Any,
    x: Any,
    target: Any,
    *,
    axis: Any,
    where: Any,
    labels: str = "auto",
    fill: float = 0.0,
    target_fill: float = 0.0,
    ignore_index: Any = None,
) -> ClassContext:
    """Static checks and preparation of a class-axis prediction ``x`` and its ``target``
    (see :class:`ClassAxis`); ``names`` name the two inputs in error messages.

    Integer labels outside ``[0, C)`` that are not ``ignore_index`` (and not ``where``-excluded)
    are replaced by 0 and flagged in the context's ``bad`` mask, from which the kind's finish
    makes their entries NaN: a wrong label gives NaN on every backend, never a wrapped,
    clamped or silently ignored value (``lossapi.check_values()`` raises instead).
    """
    nm = list(names)
    if not hasattr(x, "dtype"):
        raise InputTypeError(
            f"lossapi.{fn}: `{nm[0]}` must be an array, got {type(x).__name__} {x!r}; convert it first "
            f"with xp.asarray({nm[0]}) using the array library of the other inputs."
        )
    if not hasattr(target, "dtype"):
        raise InputTypeError(
            f"lossapi.{fn}: `{nm[1]}` must be an array, got {type(target).__name__} {target!r}; convert it first "
            f"with xp.asarray({nm[1]}) using the array library of the other inputs."
        )
    if dtype_kind(x.dtype) != "float":
        raise InvalidDTypeError(
            f"lossapi.{fn}: `{nm[0]}` must have a real floating dtype, got {x.dtype}; "
            f"cast it first, e.g. xp.astype({nm[0]}, xp.float32)."
        )
    ax = _norm_axis(fn, axis, x.ndim, nm[0])
    if x.shape[ax] == 0:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{nm[0]}` of shape {tuple(x.shape)} has no classes (the class axis {axis} has "
            "size 0); a loss over classes needs at least one. (An empty batch is fine.)"
        )
    none_shape = tuple(s for i, s in enumerate(x.shape) if i != ax)
    kind = dtype_kind(target.dtype)
    if labels == "padded":
        if kind != "int":
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{nm[1]}` must hold integer class indices padded with -1, got dtype {target.dtype}."
            )
        labels = "float"  # compared with the class indices as floats (exact below 2**24 classes)
    int_labels = kind == "int" and labels != "float"
    if labels == "int" and kind != "int":
        raise InvalidDTypeError(
            f"lossapi.{fn}: `{nm[1]}` must hold integer class indices, got dtype {target.dtype}; "
            f"convert probabilities/one-hot targets with argmax(..., axis={axis})."
        )
    if kind == "other":
        raise InvalidDTypeError(f"lossapi.{fn}: `{nm[1]}` has unsupported dtype {target.dtype}.")
    if int_labels:
        t_shape = tuple(target.shape)
        if len(t_shape) != len(none_shape) or not all(same_size(a, b) for a, b in zip(t_shape, none_shape)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: integer `{nm[1]}` has shape {t_shape}, but `{nm[0]}` of shape "
                f"{tuple(x.shape)} with the class axis at {axis} needs labels of shape {none_shape}"
                + (" (squeeze the trailing 1)" if t_shape == (*none_shape, 1) else "")
                + "; floating targets are read as class probabilities of the same shape as the prediction."
            )
    else:
        full = broadcast_shapes(tuple(target.shape), tuple(x.shape))
        if full is None or len(full) != x.ndim or not all(same_size(a, b) for a, b in zip(full, x.shape)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{nm[1]}` of shape {tuple(target.shape)} does not match `{nm[0]}` of shape "
                f"{tuple(x.shape)}; a floating target holds class probabilities of the prediction's shape "
                "(integer class indices have the shape without the class axis)."
            )
    out_dtype = x.dtype
    dtype = compute_dtype(xp, out_dtype)
    owned = dtype != out_dtype
    x = astype(xp, x, dtype)
    if not int_labels:
        target = astype(xp, target, dtype)
    if where is not None:
        check_where(fn, where)
        wshape = broadcast_shapes(tuple(where.shape), none_shape)
        if (
            wshape is None
            or len(wshape) != len(none_shape)
            or not all(same_size(a, b) for a, b in zip(wshape, none_shape))
        ):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `where` has shape {tuple(where.shape)}, which does not broadcast to the "
                f"per-element loss shape {none_shape} (the prediction's shape without the class axis)."
            )
        if where.ndim < len(none_shape):
            where = xp.reshape(where, (1,) * (len(none_shape) - where.ndim) + tuple(where.shape))
        wx = xp.expand_dims(where, axis=ax)
        x = xp.where(wx, x, xp.asarray(fill, dtype=dtype, device=device_of(x)))
        owned = True
        if int_labels:
            target = xp.where(where, target, xp.zeros_like(target))
        elif target.ndim == x.ndim:
            target = xp.where(wx, target, xp.asarray(target_fill, dtype=dtype, device=device_of(target)))
    bad = None
    if int_labels:
        bad, target = invalid_labels(xp, target, x.shape[ax], ignore_index)
    c = ClassContext(xp, out_dtype, dtype, (x, target), fn, ax, x.shape[ax], int_labels, owned)
    c.bad = bad
    return c


def invalid_labels(xp: Any, labels: Any, num_classes: int, ignore_index: Any = None) -> tuple[Any, Any]:
    """``(bad, safe_labels)``: ``bad`` flags labels outside ``[0, num_classes)`` other than
    ``ignore_index``; ``safe_labels`` has them clipped into range so that every gather stays in
    range (ignored labels are kept for the body's ignore mask). Device-side only (no host
    synchronisation)."""
    try:
        safe = clip_range(xp, labels, 0, num_classes - 1)
    except OverflowError:  # more classes than the label dtype can name: only negatives can be bad
        safe = clip_range(xp, labels, 0, xp.iinfo(labels.dtype).max)
    bad = safe != labels
    if isinstance(ignore_index, int) and not isinstance(ignore_index, bool) and not 0 <= ignore_index < num_classes:
        info = xp.iinfo(labels.dtype)
        if info.min <= ignore_index <= info.max:
            ignored = labels == ignore_index
            bad = bad & ~ignored
            safe = xp.where(ignored, labels, safe)
    return bad, safe


def without_invalid(p: ClassContext, out: Any) -> Any:
    """The body's result with weight 0 at the entries of invalid labels (``p.bad``): their
    gradient is 0 and the others' are those of the batch without them. The caller then makes
    those entries NaN (:func:`nan_where`) or the reduced value NaN (:func:`nan_if_any`) -- after
    the weighting, as ``NaN * 0`` may be simplified away under ``jax.jit``."""
    xp, bad = p.xp, p.bad
    if type(out) is not PerElement:
        return PerElement(out, weight=astype(xp, ~bad, p.dtype))
    loss, weight, included, divide_by, after = out
    weight = astype(xp, ~bad, p.dtype) if weight is None else xp.where(bad, xp.zeros_like(weight), weight)
    if included:  # the loss carries its weights: zero it too
        loss = xp.where(bad, xp.zeros_like(loss), loss)
    return PerElement(loss, weight, included, divide_by, after)


def smoothed_nll(
    xp: Any, nll: Any, spread: Any, weight: Any, valid: Any, class_weight: Any, label_smoothing: Any, num_classes: int
) -> Any:
    """torch's label-smoothed cross-entropy of integer labels from its two per-element terms:
    ``nll = lse - z_y`` and ``spread = sum_c w_c (lse - z_c)``; ``weight`` is the class weight at the
    label times the ignore mask (:func:`label_weight`), ``valid`` the ignore mask (or None).

    Without class weights ``(1 - s) nll + (s / C) spread`` weighted by ``weight``; with them the
    smoothing term weighs every class while ``"mean"`` divides by ``sum(w_y)`` (torch), so the
    loss carries its weights itself and ``weight`` only enters the denominator.
    """
    if is_number(label_smoothing) and label_smoothing == 0:
        return PerElement(nll, weight=weight)
    if class_weight is None:
        return PerElement((1 - label_smoothing) * nll + (label_smoothing / num_classes) * spread, weight=weight)
    out = (1 - label_smoothing) * weight * nll + (label_smoothing / num_classes) * spread
    if valid is not None:
        out = out * astype(xp, valid, nll.dtype)
    return PerElement(out, weight=weight, included=True)


def nan_where(xp: Any, bad: Any, r: Any) -> Any:
    """``r`` with NaN where ``bad``."""
    return xp.where(bad, xp.asarray(math.nan, dtype=r.dtype, device=device_of(r)), r)


def nan_if_any(xp: Any, bad: Any, r: Any) -> Any:
    """The reduced loss ``r``, NaN when any entry of ``bad`` is True; adding a constant leaves
    the gradient as it is (no host synchronisation)."""
    zero = xp.zeros((), dtype=r.dtype, device=device_of(r))
    return as_result(xp, r + xp.where(xp.any(bad), xp.asarray(math.nan, dtype=r.dtype, device=device_of(r)), zero))


def along_axis(xp: Any, v: Any, ndim: int, axis: int) -> Any:
    """A 1-D per-class vector ``v`` reshaped to broadcast along ``axis`` of an ``ndim``-D array."""
    shape = [1] * ndim
    shape[axis] = v.shape[0]
    return xp.reshape(v, tuple(shape))


def ignore_mask(fn: str, xp: Any, labels: Any, ignore_index: Any) -> tuple[Any, Any]:
    """``(valid, safe_labels)``: ``valid`` is ``labels != ignore_index`` (None when nothing can be
    ignored) and ``safe_labels`` replaces ignored labels by 0, so they may be out of range."""
    if ignore_index is None:
        return None, labels
    if not isinstance(ignore_index, int) or isinstance(ignore_index, bool):
        raise InvalidOptionError(f"lossapi.{fn}: ignore_index must be an int or None, got {ignore_index!r}.")
    info = xp.iinfo(labels.dtype)
    if not info.min <= ignore_index <= info.max:
        return None, labels  # e.g. -100 with uint8 labels: no label can equal it
    valid = labels != ignore_index
    return valid, xp.where(valid, labels, xp.zeros_like(labels))


def probability_target(c: Any, target: Any, ignore_index: Any, label_smoothing: Any) -> Any:
    """A floating (class-probability) ``target`` mixed with the uniform distribution:
    ``(1 - s) t + s / C``; ``ignore_index`` has nothing to ignore there and is refused."""
    if ignore_index is not None:
        raise InvalidOptionError(
            f"lossapi.{c.fn}: ignore_index applies to integer class indices; the target has floating dtype "
            f"{target.dtype} (class probabilities). Mask with `where` instead."
        )
    if is_number(label_smoothing) and label_smoothing == 0:
        return target
    return (1 - label_smoothing) * target + label_smoothing / c.num_classes


def mask_ignored(xp: Any, x: Any, valid: Any, axis: int, fill: float = 0.0) -> Any:
    """``x`` with the rows (along the class ``axis``) of ignored samples set to ``fill``.

    ``valid`` is :func:`ignore_mask`'s mask (None: nothing ignored). The first half of the
    double ``where``: NaN/inf in an ignored sample's row reach neither the value nor the gradient
    (its weight of 0 is the second half).
    """
    if valid is None:
        return x
    return xp.where(xp.expand_dims(valid, axis=axis), x, xp.asarray(fill, dtype=x.dtype, device=device_of(x)))


def label_weight(xp: Any, class_weight: Any, labels: Any, valid: Any, dtype: Any) -> Any:
    """Per-element weight of integer ``labels``: the class weight at the label, 0 where ``valid``
    (:func:`ignore_mask`) is False; None when there is neither."""
    w = None if class_weight is None else take_1d(xp, class_weight, labels)
    if valid is None:
        return w
    return astype(xp, valid, dtype) if w is None else xp.where(valid, w, xp.zeros_like(w))


# -- option constraints and kinds of the classification losses ------------------------------------


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, (list, tuple))


class Number(Interval):
    """A real number in ``[low, high]`` (closed; None for an unbounded side): a Python number or a
    0-d array, ``None`` too when ``optional``.

    The focal losses' messages: ``gamma must be a real number or a 0-d array, got None`` and
    ``gamma=-1.0 is out of range; it must be a finite number in [0.0, inf]`` (the bounds as given).
    ``what`` names the arrays accepted besides numbers.
    """

    def __init__(
        self, low: float | None = None, high: float | None = None, *, optional: bool = False, what: str = "a 0-d array"
    ) -> None:
        super().__init__(low, high, closed="both", optional=optional)
        self.what = what

    def describe(self) -> str:
        return f"a real number or {self.what} in {self._written()}" + (" or None" if self.optional else "")

    def _written(self) -> str:
        return f"[{'-inf' if self.low is None else self.low}, {'inf' if self.high is None else self.high}]"

    def check(self, fn: str, name: str, value: Any) -> Any:
        if value is None and self.optional:
            return value
        if isinstance(value, bool) or not (isinstance(value, (int, float)) or _is_array(value)):
            raise InvalidOptionError(
                f"lossapi.{fn}: {name} must be a real number or {self.what}"
                + (" (or None)" if self.optional else "")
                + f", got {value!r}."
            )
        if isinstance(value, (int, float)) and (
            value != value or value in (math.inf, -math.inf) or self._outside(value)
        ):
            raise InvalidOptionError(
                f"lossapi.{fn}: {name}={value!r} is out of range; it must be a finite number in {self._written()}."
            )
        return super().check(fn, name, value)


class PerClass(ClassWeight):
    """``None``, a number in ``[low, high]``, a 0-d array or a ``(C,)`` array of one value per class
    (its length checked against the class count when the inputs are prepared); e.g. the focal
    ``alpha``. Array values are range-checked inside ``lossapi.check_values()``."""

    def __init__(self, low: float | None = None, high: float | None = None) -> None:
        super().__init__(scalar=True)
        self.number: Number = Number(low, high, optional=True, what="a 0-d or (C,) array")

    def __repr__(self) -> str:
        return "PerClass()"

    def describe(self) -> str:
        return self.number.describe()

    def fast(self, var: str, consts: dict[str, Any]) -> str:
        return self.number.fast(var, consts)

    def check(self, fn: str, name: str, value: Any) -> Any:
        if _is_array(value) and value.ndim != 0:
            return super().check(fn, name, value)  # one value per class: the dtype here, the length in prepare
        return self.number.check(fn, name, value)

    def array_values(self) -> tuple[float | None, float | None, bool, bool, bool]:
        return self.number.array_values()


class EntryWeight(Interval):
    """``None``, a number ``>= low`` or an array of them that broadcasts to the first input without
    enlarging it (e.g. ``pos_weight``); the shape is checked by :class:`BinaryLogits`, arrays are
    cast to the compute dtype. Integer and bool arrays are accepted."""

    skip_prepare = "{var} is None or {var}.__class__ is float or {var}.__class__ is int"

    def __init__(self, low: float | None = 0.0) -> None:
        super().__init__(low, None, arrays="any", optional=True)

    def check(self, fn: str, name: str, value: Any) -> Any:
        if _is_array(value):
            if dtype_kind(value.dtype) not in ("float", "int", "bool"):
                raise InvalidDTypeError(
                    f"lossapi.{fn}: `{name}` must have a real floating dtype, got {value.dtype}; "
                    f"cast it first, e.g. xp.astype({name}, xp.float32)."
                )
            return value
        return super().check(fn, name, value)

    def prepare(self, ctx: Any, name: str, value: Any) -> Any:
        if value is None or isinstance(value, (int, float)):
            return value
        return value if value.dtype == ctx.dtype else ctx.xp.astype(value, ctx.dtype)


class BinaryLogits(Elementwise):
    """Elementwise, with the kind option ``pos_weight`` (an :class:`EntryWeight`): a weight of the
    positive term that must broadcast to the logits' own shape (before ``where`` broadcasts them)
    without enlarging it, as in torch. The body receives it too."""

    options: Mapping[str, tuple[Any, Constraint]] = {"pos_weight": (None, EntryWeight())}

    def prepare(
        self,
        rec: Any,
        xp: Any,
        arrays: tuple[Any, ...],
        sample_weight: Any,
        where: Any,
        *,
        pos_weight: Any = None,
        **options: Any,
    ) -> Prepared:
        if _is_array(pos_weight):
            check_entry_weight(rec.name, rec.inputs[0], "pos_weight", tuple(pos_weight.shape), tuple(arrays[0].shape))
        return super().prepare(rec, xp, arrays, sample_weight, where)


def fits(shape: tuple[Any, ...], x: tuple[Any, ...]) -> bool:
    """Whether an array of ``shape`` broadcasts to shape ``x`` without enlarging it."""
    full = broadcast_shapes(shape, x)
    return full is not None and len(full) == len(x) and all(same_size(a, b) for a, b in zip(full, x))


def check_entry_weight(fn: str, first: str, name: str, shape: tuple[Any, ...], x: tuple[Any, ...]) -> None:
    """A weight of shape ``shape`` must broadcast to ``x`` (the input ``first``) without enlarging it."""
    if not fits(shape, x):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{name}` of shape {shape} does not broadcast to `{first}` of shape {x}; pass "
            "one weight per class on the last axis (shape (C,)) or one for all (a number)."
        )
