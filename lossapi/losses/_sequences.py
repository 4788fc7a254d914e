"""Plumbing of the sequence losses: the kind of ``(log_probs, labels, input_lengths, label_lengths)``.

:class:`Sequences` prepares per-frame log-probabilities over ``C`` classes (blank included),
batch-major ``(..., T, C)`` or time-major ``(T, ..., C)`` (``time_major=True``, torch's layout;
moved to batch-major here), or one unbatched sequence ``(T, C)``; integer labels, padded
``(..., S)`` or concatenated ``(sum(label_lengths),)`` (torch's 1-D form); and the integer
lengths ``(...)``:

- static checks: dtypes (floating log-probabilities, integer labels and lengths), shapes (the
  batch shape of every input; an unbatched ``(T, C)`` sequence takes 0-d or ``(1,)`` lengths and
  ``(S,)`` or ``(1, S)`` labels), ``blank`` a class of ``log_probs``;
- 16-bit log-probabilities upcast to float32;
- concatenated labels split by the lengths into a padded ``(..., S)`` array (device-side; ``S``
  is the longest length, read from the lengths when they are concrete, else ``labels.shape[0]``
  under tracing and for Dask);
- ``where`` (per sequence): excluded sequences get zero log-probabilities, blank labels, full
  input and zero label lengths, so NaN/inf or out-of-range labels and lengths there reach
  neither the value nor the gradient (the reduction drops them);
- lengths clipped to ``[0, T]`` / ``[0, S]``, and labels beyond each label length replaced by
  ``blank`` (padding is never read);
- invalid sequences: a label inside the label length that is not a class of ``log_probs`` or
  equals ``blank`` (or concatenated labels that end before the sequence does) makes that
  sequence's loss NaN (:meth:`Sequences.finish`, a ``where`` on the device: no value is read on
  the host); the formula sees the label replaced by ``blank``, so the gradient from that
  sequence is 0. ``lossapi.check_values()`` reports such inputs instead. Likewise a
  log-probability that is NaN or overflows ``exp`` (``+inf`` included, above
  ``log(finfo.max)``) in a used frame (before the input length) makes its sequence NaN; such
  entries are replaced by 0 wherever they are, so the gradient from them is 0.

The body receives the sanitized inputs and returns one loss per sequence (the batch shape).
``"mean"`` follows torch's CTC (``mean_per_label``): each sequence's loss is divided by its
label length (at least 1) before the weighted mean.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import compute_dtype, device_of, dtype_kind
from .._dispatch import backend_name
from .._errors import InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._loss import Kind, Prepared, finish_elements
from .._ops import cumulative_sum, take_1d
from .._options import Flag, Integer
from .._validation import broadcast_shapes, check_where, known_size, same_size
from .._value_checks import _concrete

__all__ = ["SequenceContext", "Sequences", "unconcatenate"]


class SequenceContext(Prepared):
    """Prepared sequence inputs: ``arrays`` are the batch-major log-probabilities ``(..., T, C)``
    in the compute dtype, the sanitized labels ``(..., S)`` and the clipped input and label
    lengths ``(...)``; ``blank`` is the blank's class index; ``invalid`` (bool, the batch shape)
    marks the sequences whose labels are not valid (their loss is NaN)."""

    __slots__ = ("blank", "invalid")

    def __init__(
        self, xp: Any, out_dtype: Any, dtype: Any, arrays: tuple[Any, ...], fn: str, blank: int, invalid: Any = None
    ) -> None:
        super().__init__(xp, out_dtype, dtype, arrays, fn)
        self.blank = blank
        self.invalid = invalid


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
    '``"none"``: the per-sequence loss, shape ``(B,)`` (``()`` for one ``(T, C)`` sequence).\n'
    '``"mean"`` follows torch: each sequence\'s loss is divided by its label length (clamped at\n'
    '1), then the weighted mean ``sum(w * loss / L) / sum(w)`` is taken. ``"sum"``:\n'
    "``sum(w * loss)`` (no division). A NaN loss (invalid labels) makes both NaN.",
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
        xp = p.xp
        if p.invalid is not None:
            # Invalid labels: NaN for that sequence (its formula ran on blank labels: gradient 0).
            out = xp.where(p.invalid, xp.full_like(out, math.nan), out)
        if reduction == "mean" and self.mean_per_label:
            out = out / xp.astype(xp.clip(p.arrays[3], 1, None), p.dtype)
        return finish_elements(p, out, reduction, rec.name, sample_weight, where)


def _index_ints(xp: Any, a: Any) -> Any:
    """Lengths as int32/int64, so that sums, offsets and comparisons with ``T``/``S`` cannot wrap."""
    return a if a.dtype == xp.int64 or a.dtype == xp.int32 else xp.astype(a, xp.int32)


def _wrong_labels(xp: Any, lab: Any, C: int, blank: int) -> Any:
    """``lab`` outside ``[0, C)`` or equal to ``blank`` (constants compared only where they fit the dtype)."""
    info = xp.iinfo(lab.dtype)
    bad = lab == blank
    if info.min < 0:
        bad = bad | (lab < 0)
    if C - 1 < info.max:
        bad = bad | (lab > C - 1)
    return bad


def unconcatenate(xp: Any, labels: Any, lengths: Any, blank: int) -> tuple[Any, Any]:
    """torch's concatenated labels ``(N,)`` split by ``lengths`` (any shape) into padded labels.

    Returns ``(padded, overflow)``: ``padded`` has the lengths' shape plus a label axis of the
    longest length (padding ``blank``), ``overflow`` (the lengths' shape) marks the sequences whose
    labels run past the end of ``labels``. Negative lengths count as 0; labels after the last
    sequence are not read. The label axis is as wide as the longest length when the lengths can
    be read (one device-to-host copy, as torch's own kernel makes), else (traced or lazy arrays)
    ``N``: the same values at a higher cost.
    """
    batch = tuple(lengths.shape)
    n = labels.shape[0]
    if not known_size(n):
        raise ShapeMismatchError(
            "lossapi: concatenated `labels` of unknown size; compute the Dask chunk sizes first "
            "(labels.compute_chunk_sizes())."
        )
    ll = xp.reshape(_index_ints(xp, lengths), (-1,))
    ll = xp.where(ll > 0, ll, xp.zeros_like(ll))
    ends = cumulative_sum(xp, ll, axis=0)
    overflow = xp.reshape((ends > n) & (ll > 0), batch)  # an empty sequence needs no labels
    width = n
    if n > 0 and ll.shape[0] > 0 and backend_name(xp) != "dask" and _concrete(lengths):
        width = min(int(xp.max(ll)), n)
    dev = device_of(labels)
    if width == 0:
        return xp.zeros((*batch, 0), dtype=labels.dtype, device=dev), overflow
    pos = xp.arange(width, dtype=ends.dtype, device=dev)
    idx = xp.expand_dims(ends - ll, axis=-1) + pos
    inside = (pos < xp.expand_dims(ll, axis=-1)) & (idx < n)
    padded = take_1d(xp, labels, xp.where(inside, idx, xp.zeros_like(idx)))
    padded = xp.where(inside, padded, xp.full_like(padded, blank))
    return xp.reshape(padded, (*batch, width)), overflow


def _unbatched(fn: str, nm: list[str], xp: Any, labels: Any, lengths: tuple[Any, Any]) -> tuple[Any, Any, Any]:
    """One ``(T, C)`` sequence: 0-d (or ``(1,)``, as torch) lengths and ``(S,)`` (or ``(1, S)``) labels."""
    out = []
    for name, a in zip(nm[2:], lengths):
        if a.ndim == 1 and same_size(a.shape[0], 1):
            a = xp.reshape(a, ())
        elif a.ndim != 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{name}` has shape {tuple(a.shape)}, but `{nm[0]}` of shape (T, C) is one "
                "sequence: pass a 0-d array (or shape (1,)), or log_probs of shape (B, T, C) for a batch."
            )
        out.append(a)
    if labels.ndim == 2 and same_size(labels.shape[0], 1):
        labels = xp.reshape(labels, (labels.shape[1],))
    elif labels.ndim != 1:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{nm[1]}` has shape {tuple(labels.shape)}, but `{nm[0]}` of shape (T, C) is one "
            "sequence: pass its labels as shape (S,) (or (1, S)), or log_probs of shape (B, T, C) for a batch."
        )
    return labels, out[0], out[1]


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
    if log_probs.ndim < 2:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{nm[0]}` has shape {tuple(log_probs.shape)}, expected (B, T, C)"
            + (" with time_major=False" if not time_major else ", here (T, B, C) with time_major=True")
            + ", or (T, C) for one sequence."
        )
    lp = log_probs
    if time_major and lp.ndim > 2:
        nd = lp.ndim
        lp = xp.permute_dims(lp, (*range(1, nd - 1), 0, nd - 1))
    batch = tuple(lp.shape[:-2])
    T, C = lp.shape[-2], lp.shape[-1]
    if not batch:
        labels, input_lengths, label_lengths = _unbatched(fn, nm, xp, labels, (input_lengths, label_lengths))
    # torch's 1-D form: every sequence's labels, concatenated (a batch has 2-D padded labels).
    concatenated = labels.ndim == 1 and len(batch) > 0

    def _shape_ok(a: Any, expected: tuple[Any, ...]) -> bool:
        return a.ndim == len(expected) and all(same_size(x, y) for x, y in zip(a.shape, expected))

    if not concatenated and (labels.ndim != len(batch) + 1 or not _shape_ok(labels, (*batch, labels.shape[-1]))):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{nm[1]}` has shape {tuple(labels.shape)}, expected the batch shape {batch} "
            "plus a (padded) label axis: (B, S); or the labels of all sequences concatenated into one "
            "axis: (sum(label_lengths),)."
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
    il, ll, lab = _index_ints(xp, input_lengths), _index_ints(xp, label_lengths), labels
    if isinstance(C, int) and xp.iinfo(lab.dtype).max < C - 1:
        lab = xp.astype(lab, xp.int32)  # every class index (and blank) fits
    overflow = None
    if concatenated:  # split before `where`: excluded sequences keep their place in the concatenation
        lab, overflow = unconcatenate(xp, lab, ll, blank)
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
        if overflow is not None:
            overflow = overflow & w
    S = lab.shape[-1]
    il = xp.clip(il, 0, T)
    ll = xp.clip(ll, 0, S)
    inside = xp.arange(S, dtype=ll.dtype, device=device_of(ll)) < ll[..., None]
    wrong = _wrong_labels(xp, lab, C, blank) & inside
    invalid = xp.any(wrong, axis=-1)
    # Log-probabilities that are NaN or overflow exp (+inf included): the sequence is NaN when
    # one is in a used frame; replaced by 0, they reach neither the value nor the gradient.
    hostile = ~(lp <= math.log(float(xp.finfo(dtype).max)))
    used = xp.arange(T, dtype=il.dtype, device=device_of(il)) < il[..., None]
    invalid = invalid | xp.any(xp.any(hostile, axis=-1) & used, axis=-1)
    lp = xp.where(hostile, xp.zeros_like(lp), lp)
    if overflow is not None:
        invalid = invalid | overflow
    # Padding and invalid labels become blank: valid class indices for the formula.
    lab = xp.where(inside & ~wrong, lab, xp.full_like(lab, blank))
    return SequenceContext(xp, out_dtype, dtype, (lp, lab, il, ll), fn, blank, invalid)
