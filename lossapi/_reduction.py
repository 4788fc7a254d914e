"""The one place where reductions, weights and ``where`` masks meet.

Rule: every weight source multiplies the per-element loss; ``"mean"`` is
``sum(w * l) / sum(w)``, which is the plain mean without weights; when ``sum(w) == 0`` the
result is 0 with zero gradient (not NaN). Entries excluded by ``where`` may hold inf/NaN in
the inputs: :func:`mask_inputs` replaces them *before* the loss is computed (the first half of
the "double where"), and the reduction drops them (the second half), so neither the value nor
the gradient sees them.
"""

from __future__ import annotations

from typing import Any

from ._array import dtype_kind
from ._errors import ShapeMismatchError
from ._ops import as_result, mean, sum_
from ._validation import broadcast_shapes, check_where

__all__ = ["mask_inputs", "reduce"]


def mask_inputs(xp: Any, fn: str, where: Any, *arrays: Any, fill: float = 1.0) -> tuple[Any, ...]:
    """Replace entries of ``arrays`` where ``where`` is False by ``fill``.

    ``fill`` must be a point where the loss is finite with finite gradients (1.0 suits every
    regression loss: positive, inside every log/sqrt domain). Python numbers pass through.
    """
    if where is None:
        return arrays
    check_where(fn, where)
    # `where` must broadcast to the inputs' shape without enlarging it: otherwise the
    # xp.where below would silently broadcast the inputs up to `where`'s shape.
    shapes = [tuple(a.shape) for a in arrays if not (isinstance(a, (int, float)) or a is None)]
    if shapes:
        full = broadcast_shapes(*shapes)
        if full is not None:
            _check_weight(fn, "where", where, full)
    out = []
    for a in arrays:
        if isinstance(a, (int, float)) or a is None:
            out.append(a)
        else:
            out.append(
                xp.where(where, a, xp.full_like(a, fill))
                if where.shape == a.shape
                else xp.where(where, a, fill if dtype_kind(a.dtype) == "float" else 1)
            )
    return tuple(out)


def _check_weight(fn: str, name: str, w: Any, shape: tuple[Any, ...]) -> None:
    if w.shape == shape:
        return
    b = broadcast_shapes(tuple(w.shape), tuple(shape))
    if (
        b is None
        or (len(b) != len(shape))
        or any(bd != sd and not (isinstance(sd, float) or sd is None) for bd, sd in zip(b, shape))
    ):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{name}` has shape {tuple(w.shape)}, which does not broadcast to the "
            f"per-element loss shape {tuple(shape)} (the shape returned by reduction='none')."
        )


def reduce(
    xp: Any,
    loss: Any,
    reduction: str,
    *,
    fn: str,
    sample_weight: Any = None,
    where: Any = None,
    weight: Any = None,
    out_dtype: Any = None,
    weighted_loss: bool = False,
) -> Any:
    """Apply weights, mask and reduction to the per-element ``loss``.

    Parameters
    ----------
    loss : array
        Per-element loss, already reduced over the loss's own axis ("none" shape).
    reduction : {"mean", "sum", "none"}
        Already validated by the caller.
    sample_weight : array, optional
        Broadcastable to ``loss.shape``.
    where : bool array, optional
        Broadcastable to ``loss.shape``; False entries count with weight 0.
    weight : array, optional
        Internal weights of the loss itself (class weights, ignore_index masks), in ``loss``'s
        dtype and broadcastable to it.
    out_dtype : dtype, optional
        Cast the result to this dtype (16-bit inputs computed in float32).
    weighted_loss : bool, default False
        ``loss`` already includes ``weight`` (e.g. torch's label-smoothed cross-entropy, whose
        smoothing term weights every class while the denominator sums the label's weight):
        ``weight`` then only enters the denominator of ``"mean"``.
    """
    # `extra`: the caller's weight sources (sample_weight, where); `w`: every weight source.
    extra = None
    if sample_weight is not None:
        _check_weight(fn, "sample_weight", sample_weight, loss.shape)
        if dtype_kind(sample_weight.dtype) != "float" or sample_weight.dtype != loss.dtype:
            sample_weight = xp.astype(sample_weight, loss.dtype)
        extra = sample_weight
    if where is not None:
        _check_weight(fn, "where", where, loss.shape)
        # Inputs were masked already; this `where` keeps a masked NaN from a weight out too.
        if extra is not None:
            extra = (
                xp.where(where, extra, xp.zeros_like(extra))
                if extra.shape == where.shape
                else extra * xp.astype(where, loss.dtype)
            )
        else:
            extra = xp.astype(where, loss.dtype)
        loss = xp.where(where, loss, xp.zeros_like(loss))
    if weight is None:
        w = extra
    elif extra is None:
        w = weight
    else:
        w = weight * extra

    if w is None:
        if reduction == "mean":
            # An empty loss has sum(w) == 0: the rule gives 0, where a plain mean gives NaN.
            out = xp.sum(loss) if 0 in loss.shape else mean(xp, loss)
        elif reduction == "sum":
            out = sum_(xp, loss)
        else:
            out = loss
    else:
        if weighted_loss:  # `loss` already carries `weight`
            wl = loss if extra is None else loss * extra
        else:
            wl = loss * w
        if reduction == "none":
            out = wl
        elif reduction == "sum":
            out = sum_(xp, wl)
        else:
            den = xp.sum(w) if w.shape == wl.shape else xp.sum(xp.broadcast_to(w, wl.shape))
            nonzero = den != 0
            out = xp.where(nonzero, xp.sum(wl) / xp.where(nonzero, den, xp.ones_like(den)), xp.zeros_like(den))
    if out_dtype is not None and out.dtype != out_dtype:
        out = xp.astype(out, out_dtype)
    # NumPy arithmetic on 0-d arrays gives scalars: "none" of a 0-d loss must stay an array too.
    return as_result(xp, out)
