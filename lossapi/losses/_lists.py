"""The kind of the ranking losses: lists of scores and relevances along a list axis.

``scores`` and ``relevance`` have the list at ``axis`` (default -1); the per-element loss is one
value per list (the list axis dropped). ``where`` is either per list (the shape without the
list axis: excluded lists count with weight 0, their entries may hold NaN/inf) or per entry
(the scores' rank: excluded entries are padding, left out of every pair and softmax; a list
with no kept entry counts with weight 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import ShapeMismatchError
from .._loss import Kind, finish_elements
from .._validation import broadcast_shapes, check_where
from ._classes import ClassContext, prepare_classes

__all__ = ["ListContext", "Lists"]


class ListContext(ClassContext):
    """Prepared scores and relevances (broadcast to the scores' shape); ``axis`` is the list
    axis; ``valid`` the per-entry mask of kept entries (None without a per-entry ``where``);
    ``list_where`` the per-list mask the reduction uses."""

    __slots__ = ("list_where", "valid")
    list_where: Any
    valid: Any


class Lists(Kind):
    """Losses over lists of scored items (ListNet, RankNet)."""

    name = "lists"
    context = True
    axis = -1
    option_docs: Mapping[str, tuple[str, str]] = {
        "axis": ("axis : int, default -1", "The list axis of ``scores`` and ``relevance``."),
        "where": (
            "where : bool array, optional",
            "Per list (the scores' shape without ``axis``): excluded lists count with weight 0 and may\n"
            "hold NaN/inf. Per entry (the scores' rank): excluded entries are padding, left out of every\n"
            "pair and softmax; a list without kept entries counts with weight 0.",
        ),
    }
    returns_doc = 'array\n    0-d for ``"mean"``/``"sum"``; for ``"none"`` one value per list (``axis`` dropped).'

    def prepare(
        self, rec: Any, xp: Any, arrays: tuple[Any, ...], sample_weight: Any, where: Any, *, axis: Any
    ) -> ListContext:
        fn = rec.name
        scores = arrays[0]
        per_entry = where is not None and hasattr(scores, "ndim") and where.ndim == scores.ndim and scores.ndim > 0
        pc = prepare_classes(
            fn, rec.inputs, xp, scores, arrays[1], axis=axis, where=None if per_entry else where, labels="float"
        )
        x, r = pc.arrays
        if tuple(r.shape) != tuple(x.shape):
            r = xp.broadcast_to(r, tuple(x.shape))
        valid, list_where = None, where
        if per_entry:
            check_where(fn, where)
            full = broadcast_shapes(tuple(where.shape), tuple(x.shape))
            if full is None or tuple(full) != tuple(x.shape):
                raise ShapeMismatchError(
                    f"lossapi.{fn}: `where` has shape {tuple(where.shape)}: a per-entry mask (as many dimensions "
                    f"as `scores`) must broadcast to the scores' shape {tuple(x.shape)}; a per-list mask has the "
                    "shape without the list axis."
                )
            valid = where if tuple(where.shape) == tuple(x.shape) else xp.broadcast_to(where, tuple(x.shape))
            zero = xp.zeros_like(x)
            x, r = xp.where(valid, x, zero), xp.where(valid, r, zero)
            list_where = xp.any(valid, axis=pc.axis)
        c = ListContext(xp, pc.out_dtype, pc.dtype, (x, r), fn, pc.axis, pc.num_classes, False, True)
        c.valid, c.list_where = valid, list_where
        return c

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        return finish_elements(p, out, reduction, rec.name, sample_weight, p.list_where)
