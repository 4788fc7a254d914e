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

from .._loss import Kind, Prepared
from .._validation import check_where
from ._classes import finish_invalid, ignore_mask, invalid_labels
from ._vectors import fits, rows_table_labels

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
        out_dtype, dtype, h, w, labels = rows_table_labels(
            xp, fn, rec.inputs, arrays, min_rows_ndim=1, table="torch's nn.Linear(D, C).weight layout"
        )
        shape = tuple(h.shape[:-1])
        num_classes = int(w.shape[0])
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
