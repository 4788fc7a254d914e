"""Plumbing of the sequence losses: the kind of ``(log_probs, labels, input_lengths, label_lengths)``.

:class:`Sequences` prepares per-frame log-probabilities over ``C`` classes (blank included),
batch-major ``(..., T, C)`` or time-major ``(T, ..., C)`` (``time_major=True``, torch's layout;
moved to batch-major here), padded integer labels ``(..., S)`` and the integer lengths ``(...)``:

- static checks: dtypes (floating log-probabilities, integer labels and lengths), shapes (the
  batch shape of every input, at least 3 dimensions), ``blank`` a class of ``log_probs``;
- 16-bit log-probabilities upcast to float32;
- ``where`` (per sequence): excluded sequences get zero log-probabilities, blank labels, full
  input and zero label lengths, so NaN/inf or out-of-range labels and lengths there reach
  neither the value nor the gradient (the reduction drops them);
- lengths clipped to ``[0, T]`` / ``[0, S]``, and labels beyond each label length replaced by
  ``blank`` (padding is never read), then clipped into the class range.

The body receives the sanitized inputs and returns one loss per sequence (the batch shape).
``"mean"`` follows torch's CTC (``mean_per_label``): each sequence's loss is divided by its
label length (at least 1) before the weighted mean.
"""

from __future__ import annotations

from typing import Any

from .._array import compute_dtype, device_of, dtype_kind
from .._errors import InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._loss import Kind, Prepared, finish_elements
from .._options import Flag, Integer
from .._validation import broadcast_shapes, check_where, same_size

__all__ = ["SequenceContext", "Sequences"]


class SequenceContext(Prepared):
    """Prepared sequence inputs: ``arrays`` are the batch-major log-probabilities ``(..., T, C)``
    in the compute dtype, the sanitized labels ``(..., S)`` and the clipped input and label
    lengths ``(...)``; ``blank`` is the blank's class index."""

    __slots__ = ("blank",)

    def __init__(self, xp: Any, out_dtype: Any, dtype: Any, arrays: tuple[Any, ...], fn: str, blank: int) -> None:
        super().__init__(xp, out_dtype, dtype, arrays, fn)
        self.blank = blank


_SEQ_DOCS: dict[str, tuple[str, str]] = {
    "blank": ("blank : int, default 0", "Class index of the blank."),
    "time_major": ("time_major : bool, default False", "``log_probs`` is ``(T, B, C)`` (torch's layout)."),
    "sample_weight": ("sample_weight : array, optional", "Per-sequence weights, broadcastable to ``(B,)``."),
    "where": (
        "where : bool array, optional",
        "Per-sequence mask, broadcastable to ``(B,)``; excluded sequences may hold NaN/inf or\n"
        "out-of-range labels and lengths without affecting the value or the gradient.",
    ),
}
_MEAN_PER_LABEL = (
    'reduction : {"mean", "sum", "none"}, default "mean"',
    '``"none"``: the per-sequence loss, shape ``(B,)``. ``"mean"`` follows torch: each\n'
    "sequence's loss is divided by its label length (clamped at 1), then the weighted mean\n"
    '``sum(w * loss / L) / sum(w)`` is taken. ``"sum"``: ``sum(w * loss)`` (no division).',
)


class Sequences(Kind):
    """Losses of label sequences under per-frame log-probabilities (see the module docstring).

    Parameters
    ----------
    mean_per_label : bool
        ``"mean"`` divides each sequence's loss by its label length (at least 1) first (torch's CTC).
    """

    name = "sequences"
    context = True
    options = {"blank": (0, Integer(0)), "time_major": (False, Flag())}  # noqa: RUF012 - read-only
    returns_doc = (
        'array\n    The reduced loss, or the per-sequence loss for ``reduction="none"``, in\n'
        "    ``log_probs``' dtype (16-bit inputs are computed in float32)."
    )

    def __init__(self, *, mean_per_label: bool = False) -> None:
        self.mean_per_label = mean_per_label
        self.option_docs = {**_SEQ_DOCS, "reduction": _MEAN_PER_LABEL} if mean_per_label else _SEQ_DOCS

    def prepare(
        self,
        rec: Any,
        xp: Any,
        arrays: tuple[Any, ...],
        sample_weight: Any,
        where: Any,
        *,
        blank: int,
        time_major: bool,
    ) -> SequenceContext:
        return prepare_sequences(rec.name, rec.inputs, xp, *arrays, blank=blank, time_major=time_major, where=where)

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        if reduction == "mean" and self.mean_per_label:
            xp = p.xp
            out = out / xp.astype(xp.clip(p.arrays[3], 1, None), p.dtype)
        return finish_elements(p, out, reduction, rec.name, sample_weight, where)


def prepare_sequences(
    fn: str,
    names: Any,
    xp: Any,
    log_probs: Any,
    labels: Any,
    input_lengths: Any,
    label_lengths: Any,
    *,
    blank: int,
    time_major: bool,
    where: Any,
) -> SequenceContext:
    """Static checks and preparation of sequence inputs (see the module docstring); ``names``
    name the four inputs in error messages."""
    nm = list(names)
    if dtype_kind(log_probs.dtype) != "float":
        raise InvalidDTypeError(
            f"lossapi.{fn}: `{nm[0]}` must have a real floating dtype, got {log_probs.dtype}; "
            f"cast it first, e.g. xp.astype({nm[0]}, xp.float32)."
        )
    for name, a in zip(nm[1:], (labels, input_lengths, label_lengths)):
        if dtype_kind(a.dtype) != "int":
            raise InvalidDTypeError(f"lossapi.{fn}: `{name}` must have an integer dtype, got {a.dtype}.")
    if log_probs.ndim < 3:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{nm[0]}` has shape {tuple(log_probs.shape)}, expected (B, T, C)"
            + (" with time_major=False" if not time_major else ", here (T, B, C) with time_major=True")
            + " (at least 3 dimensions)."
        )
    lp = log_probs
    if time_major:
        nd = lp.ndim
        lp = xp.permute_dims(lp, (*range(1, nd - 1), 0, nd - 1))
    batch = tuple(lp.shape[:-2])
    T, C = lp.shape[-2], lp.shape[-1]

    def _shape_ok(a: Any, expected: tuple[Any, ...]) -> bool:
        return a.ndim == len(expected) and all(same_size(x, y) for x, y in zip(a.shape, expected))

    if labels.ndim != len(batch) + 1 or not _shape_ok(labels, (*batch, labels.shape[-1])):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{nm[1]}` has shape {tuple(labels.shape)}, expected the batch shape {batch} "
            "plus a (padded) label axis: (B, S)."
        )
    for name, a in zip(nm[2:], (input_lengths, label_lengths)):
        if not _shape_ok(a, batch):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{name}` has shape {tuple(a.shape)}, expected the batch shape {batch}."
            )
    if isinstance(C, int) and blank >= C:
        raise InvalidOptionError(f"lossapi.{fn}: blank={blank} is not a class index of `{nm[0]}` with C={C} classes.")

    out_dtype = lp.dtype
    dtype = compute_dtype(xp, out_dtype)
    if dtype != out_dtype:
        lp = xp.astype(lp, dtype)
    il, ll, lab = input_lengths, label_lengths, labels
    if where is not None:
        check_where(fn, where)
        wshape = broadcast_shapes(tuple(where.shape), batch)
        if wshape is None or len(wshape) != len(batch) or not all(same_size(a, b) for a, b in zip(wshape, batch)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `where` has shape {tuple(where.shape)}, which does not broadcast to the "
                f"per-sequence loss shape {batch}."
            )
        w = xp.broadcast_to(xp.reshape(where, (1,) * (len(batch) - where.ndim) + tuple(where.shape)), batch)
        lp = xp.where(w[..., None, None], lp, xp.zeros_like(lp))
        lab = xp.where(w[..., None], lab, xp.full_like(lab, blank))
        il = xp.where(w, il, xp.full_like(il, T))
        ll = xp.where(w, ll, xp.zeros_like(ll))
    S = lab.shape[-1]
    il = xp.clip(il, 0, T)
    ll = xp.clip(ll, 0, S)
    s_idx = xp.arange(S, dtype=ll.dtype, device=device_of(ll))
    lab = xp.where(s_idx < ll[..., None], lab, xp.full_like(lab, blank))
    lab = xp.clip(lab, 0, C - 1)
    return SequenceContext(xp, out_dtype, dtype, (lp, lab, il, ll), fn, blank)
