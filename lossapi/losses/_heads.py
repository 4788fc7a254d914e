"""The kind of the losses of a linear output layer given its input and weight, not its logits.

``(hidden, weight, labels)``: hidden states ``(..., D)``, the layer's weight ``(C, D)`` (torch's
``nn.Linear`` layout) and integer class labels of the hidden states' shape without ``D``. The
per-element loss has the labels' shape. Labels outside ``[0, C)`` that are not ``ignore_index``
make their entries NaN (the other entries' gradients are those of the batch without them);
ignored and ``where``-excluded rows have their hidden states replaced by 0 and their labels by
0, so inf/NaN there reach neither the value nor the gradient.
"""

from __future__ import annotations

from typing import Any

from .._array import dtype_kind
from .._errors import InputTypeError, InvalidDTypeError, ShapeMismatchError
from .._loss import Kind, Prepared, compute_dtype
from .._validation import check_where, same_size
from ._classes import finish_invalid, ignore_mask, invalid_labels
from ._vectors import fits

__all__ = ["HeadContext", "LinearHead"]


class HeadContext(Prepared):
    """Prepared hidden states ``(N, D)`` (leading axes flattened), weight ``(C, D)`` and safe
    labels ``(N,)``; ``shape`` is the per-element shape, ``num_classes`` is ``C``, ``bad`` flags
    invalid labels and ``valid`` the labels that are not ``ignore_index`` (None: none ignored),
    both of the per-element shape."""

    __slots__ = ("bad", "num_classes", "shape", "valid")

    def __init__(self, xp: Any, out_dtype: Any, dtype: Any, arrays: tuple[Any, ...], fn: str) -> None:
        super().__init__(xp, out_dtype, dtype, arrays, fn)
        self.bad: Any = None
        self.valid: Any = None
        self.num_classes = 0
        self.shape: tuple[Any, ...] = ()


class LinearHead(Kind):
    """Cross-entropy-like losses of ``hidden @ weight.T (+ bias)`` computed without the logits."""

    name = "linear head"
    context = True
    reads = ("ignore_index",)
    returns_doc = (
        'array\n    0-d for ``"mean"``/``"sum"``; for ``"none"`` the labels\' shape (the hidden states\' shape\n'
        "    without the feature axis)."
    )

    def prepare(
        self, rec: Any, xp: Any, arrays: tuple[Any, ...], sample_weight: Any, where: Any, *, ignore_index: Any = None
    ) -> HeadContext:
        fn = rec.name
        h_name, w_name, y_name = rec.inputs
        hidden, weight, labels = arrays
        for name, a in zip(rec.inputs, arrays):
            if not hasattr(a, "shape"):
                raise InputTypeError(
                    f"lossapi.{fn}: `{name}` must be an array, got {type(a).__name__}; convert it first with "
                    f"xp.asarray({name}) using the array library of the other inputs."
                )
        for name, a in ((h_name, hidden), (w_name, weight)):
            if dtype_kind(a.dtype) != "float":
                raise InvalidDTypeError(
                    f"lossapi.{fn}: `{name}` must have a real floating dtype, got {a.dtype}; "
                    f"cast it first, e.g. xp.astype({name}, xp.float32)."
                )
        if dtype_kind(labels.dtype) != "int":
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{y_name}` must hold integer class indices, got dtype {labels.dtype}."
            )
        if hidden.ndim < 1:
            raise ShapeMismatchError(f"lossapi.{fn}: `{h_name}` is 0-d; expected (N, D) (or (..., D)).")
        if weight.ndim != 2 or not same_size(weight.shape[1], hidden.shape[-1]) or weight.shape[0] == 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{w_name}` has shape {tuple(weight.shape)}; expected (C, D) with C >= 1 and the "
                f"hidden states' D = {hidden.shape[-1]} (torch's nn.Linear(D, C).weight layout)."
            )
        shape = tuple(hidden.shape[:-1])
        if len(labels.shape) != len(shape) or not all(same_size(a, b) for a, b in zip(labels.shape, shape)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{y_name}` has shape {tuple(labels.shape)}, but `{h_name}` of shape "
                f"{tuple(hidden.shape)} needs one label per row: shape {shape}."
            )
        out_dtype = hidden.dtype
        dtype = compute_dtype(xp, out_dtype)
        h = hidden if hidden.dtype == dtype else xp.astype(hidden, dtype)
        w = weight if weight.dtype == dtype else xp.astype(weight, dtype)
        num_classes = int(weight.shape[0])
        bad, y = invalid_labels(xp, labels, num_classes, ignore_index)
        valid, y = ignore_mask(fn, xp, y, ignore_index)
        keep = valid
        if where is not None:
            check_where(fn, where)
            fits(fn, "where", tuple(where.shape), shape, "one entry per label")
            w_full = where if tuple(where.shape) == shape else xp.broadcast_to(where, shape)
            bad = bad & w_full
            keep = w_full if keep is None else keep & w_full
            y = xp.where(w_full, y, xp.zeros_like(y))
        if keep is not None:  # ignored / excluded rows: finite zeros instead of their values
            h = xp.where(xp.expand_dims(keep, axis=-1), h, xp.zeros_like(h))
        d = h.shape[-1]
        c = HeadContext(xp, out_dtype, dtype, (xp.reshape(h, (-1, d)), w, xp.reshape(y, (-1,))), fn)
        c.bad, c.valid, c.num_classes, c.shape = bad, valid, num_classes, shape
        return c

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        return finish_invalid(p, out, reduction, rec.name, sample_weight, where)
