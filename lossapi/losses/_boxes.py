"""Plumbing of the detection losses: the boxes kind (paired boxes) and the grid-cell kind (YOLO).

:class:`Boxes` prepares two sets of boxes given as ``(x1, y1, x2, y2)`` on the last axis, pair
by pair (``boxes[..., i, :]`` against ``target[..., i, :]``, the leading axes broadcasting):
it checks the coordinate axis (size 4) and the floating dtype, upcasts 16-bit inputs, splits
each set into its four coordinate arrays and replaces ``where``-excluded pairs by two unit
boxes ``(0, 0, 1, 1)``, finite with finite gradients whatever the excluded inputs held (the
first half of the double ``where``). The body receives each input as the tuple
``(x1, y1, x2, y2)`` and returns one loss per pair (the broadcast shape without the
coordinate axis).

:class:`GridCells` prepares a prediction and a target of per-cell numbers along ``axis``
(a :class:`~lossapi.losses._classes.ClassAxis` with a floating target of the prediction's
shape and a minimum number per cell). Its body returns a tuple of terms, each a
:class:`~lossapi._loss.PerElement` whose ``weight`` selects its cells: ``"mean"`` adds the
weighted mean of each term over its own cells, ``"sum"`` and ``"none"`` the weighted terms.
"""

from __future__ import annotations

from typing import Any

from .._errors import ShapeMismatchError
from .._loss import Kind, Prepared
from .._ops import as_result
from .._reduction import reduce
from .._validation import broadcast_shapes, check_where, floating_inputs, known_size
from ._classes import ClassAxis, ClassContext

__all__ = ["Boxes", "GridCells"]


def _check_boxes(fn: str, name: str, a: Any) -> None:
    shape = tuple(getattr(a, "shape", ()))
    if not hasattr(a, "shape") or len(shape) == 0 or (known_size(shape[-1]) and shape[-1] != 4):
        got = f"shape {shape}" if hasattr(a, "shape") else f"a {type(a).__name__}"
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{name}` must hold boxes as (x1, y1, x2, y2) on the last axis, i.e. have "
            f"shape (..., 4); got {got}."
        )


def _mask_unit(xp: Any, where: Any, c: tuple[Any, ...]) -> tuple[Any, ...]:
    x1, y1, x2, y2 = c
    return (
        xp.where(where, x1, xp.zeros_like(x1)),
        xp.where(where, y1, xp.zeros_like(y1)),
        xp.where(where, x2, xp.ones_like(x2)),
        xp.where(where, y2, xp.ones_like(y2)),
    )


_BOX_DOCS: dict[str, tuple[str, str]] = {
    "sample_weight": (
        "sample_weight : array, optional",
        'Weights broadcastable to the per-pair loss; ``"mean"`` is ``sum(w*l)/sum(w)``.',
    ),
    "where": ("where : bool array, optional", "Pairs where False are excluded (their coordinates may hold inf/NaN)."),
    "reduction": (
        'reduction : {"mean", "sum", "none"}',
        '``"none"`` returns one loss per pair: the broadcast shape without the last axis.',
    ),
}

_CELL_DOCS: dict[str, tuple[str, str]] = {
    "sample_weight": (
        "sample_weight : array, optional",
        "Per-cell weights, broadcastable to the per-cell loss (the prediction's shape without\n"
        '``axis``); they weigh both the sums and the cell counts of ``"mean"``.',
    ),
    "where": ("where : bool array, optional", "Cells where False are excluded (they may hold NaN/inf)."),
    "axis": (
        "axis : int, default -1",
        "Axis of the numbers of each cell (``axis=1`` for torch-style ``(N, 5 + C, S, S)`` grids).",
    ),
    "reduction": (
        'reduction : {"mean", "sum", "none"}',
        '``"mean"``: the sum of each term\'s weighted mean over its cells; ``"sum"``: the weighted\n'
        'sum of the per-cell loss; ``"none"``: the per-cell loss.',
    ),
}


class Boxes(Kind):
    """Losses of paired boxes ``(x1, y1, x2, y2)``: one loss per pair (see the module docstring)."""

    name = "boxes"
    option_docs = _BOX_DOCS
    returns_doc = (
        'array\n    0-d for ``"mean"``/``"sum"``, else the per-pair shape; the boxes\' namespace, device\n'
        "    and floating dtype."
    )

    def prepare(
        self, rec: Any, xp: Any, arrays: tuple[Any, ...], sample_weight: Any, where: Any, **options: Any
    ) -> Prepared:
        fn = rec.name
        for name, a in zip(rec.inputs, arrays):
            _check_boxes(fn, name, a)
        out_dtype, dtype, b, t = floating_inputs(xp, fn, rec.inputs, *arrays)
        p = tuple(b[..., k] for k in range(4))
        g = tuple(t[..., k] for k in range(4))
        if where is not None:
            check_where(fn, where)
            none_shape = broadcast_shapes(tuple(b.shape[:-1]), tuple(t.shape[:-1]))
            full = None if none_shape is None else broadcast_shapes(tuple(where.shape), none_shape)
            if (
                none_shape is None
                or full is None
                or len(full) != len(none_shape)
                or any(known_size(a) and known_size(s) and a != s for a, s in zip(full, none_shape))
            ):
                raise ShapeMismatchError(
                    f"lossapi.{fn}: `where` has shape {tuple(where.shape)}, which does not broadcast to the "
                    f"per-pair loss shape {none_shape} (the boxes' broadcast shape without the coordinate axis)."
                )
            p = _mask_unit(xp, where, p)
            g = _mask_unit(xp, where, g)
        return Prepared(xp, out_dtype, dtype, (p, g), fn)


class GridCells(ClassAxis):
    """Per-cell numbers along ``axis`` (at least ``min_size``), a floating target of the
    prediction's shape, and terms each averaged over its own cells (see the module docstring)."""

    name = "grid cells"
    option_docs = _CELL_DOCS
    returns_doc = (
        'array\n    0-d for ``"mean"``/``"sum"``, else the per-cell loss (the prediction\'s shape without\n'
        "    ``axis``)."
    )

    def __init__(self, min_size: int, what: str) -> None:
        super().__init__(labels="float")
        # what: the numbers a cell holds, for the error message of too few.
        self.min_size, self.what = min_size, what

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
        c = super().prepare(rec, xp, arrays, sample_weight, where, axis=axis)
        n = c.num_classes
        if known_size(n) and n < self.min_size:
            raise ShapeMismatchError(
                f"lossapi.{rec.name}: `{rec.inputs[0]}` has {n} numbers per cell along axis={axis}; expected "
                f"{self.what}."
            )
        x, t = c.arrays
        if tuple(t.shape) != tuple(x.shape):
            c.arrays = (x, xp.broadcast_to(t, tuple(x.shape)))
        return c

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        xp = p.xp
        if reduction != "mean":
            loss = None
            for term in out:
                loss = term.weight * term.loss if loss is None else loss + term.weight * term.loss
            return as_result(
                xp,
                reduce(
                    xp,
                    loss,
                    reduction,
                    fn=rec.name,
                    sample_weight=sample_weight,
                    where=where,
                    out_dtype=None if p.out_dtype == p.dtype else p.out_dtype,
                ),
            )
        total = None
        for term in out:
            r = reduce(xp, term.loss, "mean", fn=rec.name, sample_weight=sample_weight, where=where, weight=term.weight)
            total = r if total is None else total + r
        return as_result(xp, total if p.out_dtype == p.dtype else xp.astype(total, p.out_dtype))
