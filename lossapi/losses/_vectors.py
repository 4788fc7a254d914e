"""Kinds of the embedding losses: vectors over a feature axis, and batches of labelled embeddings.

- :class:`Vectors`: embeddings that broadcast against each other with a feature axis (``axis``,
  default -1) that the per-element loss drops, plus per-pair targets of the per-element shape
  (or broadcastable to it, or Python numbers). ``where``-excluded vectors become ones and their
  targets ones, so NaN/inf there reaches neither the value nor the gradient.
- :class:`Batch`: a batch of embeddings ``(..., B, D)`` (features last) with one integer label
  per row ``(..., B)``; the loss forms its pairs within each batch. ``where`` excludes rows both
  as anchors and as partners (padding): their embeddings become ones and the body gets the
  kept-row mask to drop their pairs.
- :class:`Centers`: a batch of embeddings ``(..., B, D)``, one learnable centre per class
  ``(C, D)`` and integer class labels ``(..., B)`` (ArcFace, CosFace); rows are independent.
  Labels outside ``[0, C)`` make their rows NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .._array import device_of, dtype_kind
from .._errors import InputTypeError, InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._loss import Kind, PerElement, Prepared, compute_dtype, finish_elements
from .._ops import as_result
from .._validation import broadcast_shapes, check_where, floating_inputs, same_size

__all__ = [
    "Batch",
    "BatchContext",
    "CenterContext",
    "Centers",
    "PairTerms",
    "VectorContext",
    "Vectors",
    "fits",
    "floor",
    "pair_masks",
    "rows_table_labels",
]


def fits(fn: str, name: str, shape: tuple[Any, ...], none_shape: tuple[Any, ...], what: str) -> None:
    """``shape`` must broadcast to ``none_shape`` without enlarging it."""
    full = broadcast_shapes(tuple(shape), tuple(none_shape))
    if full is None or len(full) != len(none_shape) or not all(same_size(a, b) for a, b in zip(full, none_shape)):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{name}` has shape {tuple(shape)}, which does not broadcast to the per-element "
            f"loss shape {tuple(none_shape)} ({what})."
        )


def floor(xp: Any, x: Any, lo: Any) -> Any:
    """``max(x, lo)`` (``lo`` a Python number or 0-d array); the gradient goes to ``x`` only where ``x > lo``."""
    if not hasattr(lo, "dtype"):
        lo = xp.asarray(lo, dtype=x.dtype, device=device_of(x))
    return xp.where(x <= lo, lo, x)  # NaN takes the `x` branch and propagates


def _feature_axis(fn: str, axis: Any, ndim: int, first: str) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise InvalidOptionError(f"lossapi.{fn}: axis must be an int, got {axis!r}.")
    if ndim == 0:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{first}` is 0-d, but this loss needs a feature axis; pass vectors of shape (..., D)."
        )
    if not -ndim <= axis < ndim:
        raise InvalidOptionError(
            f"lossapi.{fn}: axis={axis} is out of range for `{first}` with {ndim} dimension(s); "
            f"use an axis in [{-ndim}, {ndim - 1}]."
        )
    return axis % ndim


class VectorContext(Prepared):
    """Prepared vectors and targets (``arrays``, in the record's input order) and the
    non-negative feature ``axis``."""

    __slots__ = ("axis",)

    def __init__(self, xp: Any, out_dtype: Any, dtype: Any, arrays: tuple[Any, ...], fn: str, axis: int) -> None:
        super().__init__(xp, out_dtype, dtype, arrays, fn)
        self.axis = axis


class Vectors(Kind):
    """Losses between vectors over a feature axis (cosine, contrastive, triplet).

    ``targets`` names the per-pair target inputs (after the vectors); boolean targets are read
    as signs (True = 1, False = -1) when ``bool_signs``, else as 1/0. Targets may be Python
    numbers (one value for every pair).
    """

    name = "vectors"
    context = True
    axis = -1
    option_docs: Mapping[str, tuple[str, str]] = {
        "axis": ("axis : int, default -1", "Feature axis of the vectors, dropped by the loss.")
    }
    returns_doc = (
        'array\n    0-d for ``"mean"``/``"sum"``; for ``"none"`` the vectors\' broadcast shape without the\n'
        "    feature axis."
    )

    def __init__(self, targets: tuple[str, ...] = (), bool_signs: bool = True) -> None:
        self.targets, self.bool_signs = targets, bool_signs

    def numbers_ok(self, inputs: tuple[str, ...], spaces: Any) -> tuple[bool, ...]:
        return tuple(n in self.targets for n in inputs)

    def prepare(
        self, rec: Any, xp: Any, arrays: tuple[Any, ...], sample_weight: Any, where: Any, *, axis: Any
    ) -> VectorContext:
        fn = rec.name
        nt = len(self.targets)
        nv = len(arrays) - nt
        vectors, targets = arrays[:nv], arrays[nv:]
        for name, v in zip(rec.inputs, vectors):
            if not hasattr(v, "shape"):
                raise InputTypeError(
                    f"lossapi.{fn}: `{name}` must be an array, got {type(v).__name__}; convert it first with "
                    f"xp.asarray({name}) using the array library of the other inputs."
                )
            if v.ndim == 0:
                raise ShapeMismatchError(
                    f"lossapi.{fn}: `{name}` is 0-d, but this loss needs a feature axis; "
                    "pass vectors of shape (..., D)."
                )
        out_dtype, dtype, *vecs = floating_inputs(xp, fn, rec.inputs[:nv], *vectors)
        full = broadcast_shapes(*(tuple(v.shape) for v in vecs))
        assert full is not None  # floating_inputs has raised if the vectors do not broadcast
        ax = _feature_axis(fn, axis, len(full), rec.inputs[0])
        if full[ax] == 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: the vectors have shape {full}, with no features (the feature axis {axis} has "
                "size 0); pass vectors of shape (..., D) with D >= 1. (An empty batch is fine.)"
            )
        none_shape = tuple(s for i, s in enumerate(full) if i != ax)
        what = "the embeddings' broadcast shape without the feature axis"
        ts = []
        for name, t in zip(rec.inputs[nv:], targets):
            if isinstance(t, (int, float)) and not isinstance(t, bool):
                ts.append(t)
                continue
            if not hasattr(t, "dtype"):
                raise InputTypeError(
                    f"lossapi.{fn}: `{name}` must be an array or a Python number, got {type(t).__name__}; "
                    f"convert it first with xp.asarray({name}) using the array library of the other inputs."
                )
            kind = dtype_kind(t.dtype)
            if kind not in ("float", "int", "bool"):
                raise InvalidDTypeError(f"lossapi.{fn}: `{name}` has unsupported dtype {t.dtype}.")
            fits(fn, name, tuple(t.shape), none_shape, what)
            t2 = t if t.dtype == dtype else xp.astype(t, dtype)
            ts.append(2 * t2 - 1 if kind == "bool" and self.bool_signs else t2)
        if where is not None:
            check_where(fn, where)
            fits(fn, "where", tuple(where.shape), none_shape, what)
            w = where
            if w.ndim < len(none_shape):
                w = xp.reshape(w, (1,) * (len(none_shape) - w.ndim) + tuple(w.shape))
            wx = xp.expand_dims(w, axis=ax)
            vecs = [xp.where(wx, v, xp.ones_like(v)) for v in vecs]
            ts = [t if isinstance(t, (int, float)) else xp.where(w, t, xp.ones_like(t)) for t in ts]
        return VectorContext(xp, out_dtype, dtype, (*vecs, *ts), fn, ax)


class BatchContext(Prepared):
    """Prepared embeddings ``(..., B, D)`` and labels ``(..., B)``; ``kept`` is the ``where``
    mask of the rows, broadcast to the labels' rank (None without ``where``)."""

    __slots__ = ("kept",)

    def __init__(self, xp: Any, out_dtype: Any, dtype: Any, arrays: tuple[Any, ...], fn: str, kept: Any) -> None:
        super().__init__(xp, out_dtype, dtype, arrays, fn)
        self.kept = kept


def pair_masks(c: BatchContext, labels: Any, size: int) -> tuple[Any, Any]:
    """Positive pairs (same label, not the anchor itself) and negative pairs (other label) of a
    batch of ``size`` rows, as ``(..., B, B)`` masks (anchor, partner); pairs with a
    ``where``-excluded row are neither."""
    xp = c.xp
    ar = xp.arange(size, device=device_of(labels))
    eye = xp.expand_dims(ar, axis=1) == xp.expand_dims(ar, axis=0)
    same = xp.expand_dims(labels, axis=-1) == xp.expand_dims(labels, axis=-2)
    pos, neg = same & ~eye, ~same
    if c.kept is not None:
        pair_ok = xp.expand_dims(c.kept, axis=-1) & xp.expand_dims(c.kept, axis=-2)
        pos, neg = pos & pair_ok, neg & pair_ok
    return pos, neg


class PairTerms(NamedTuple):
    """What a batch body returns when its positive and negative pairs are averaged apart
    (pytorch-metric-learning's pair losses): ``"none"`` and ``"sum"`` add the two per-anchor
    terms, ``"mean"`` adds their two weighted means (each ``sum(w l) / sum(w weight)``)."""

    positive: PerElement
    negative: PerElement


class Batch(Kind):
    """Losses over a batch of labelled embeddings: ``(embeddings, labels)`` with embeddings
    ``(..., B, D)`` (features last) and integer labels ``(..., B)``; the per-element loss is per
    anchor row ``(..., B)``. A body returns the per-anchor loss, a :class:`PerElement` (pair or
    triplet counts as the weights of ``"mean"``) or :class:`PairTerms`."""

    name = "batch of embeddings"
    context = True
    returns_doc = 'array\n    0-d for ``"mean"``/``"sum"``; for ``"none"`` one value per row, shape ``(..., B)``.'

    def prepare(self, rec: Any, xp: Any, arrays: tuple[Any, ...], sample_weight: Any, where: Any) -> BatchContext:
        fn = rec.name
        emb_name, lab_name = rec.inputs[0], rec.inputs[1]
        embeddings, labels = arrays[0], arrays[1]
        if not hasattr(embeddings, "shape") or not hasattr(labels, "shape"):
            raise InputTypeError(f"lossapi.{fn}: `{emb_name}` and `{lab_name}` must be arrays.")
        if dtype_kind(embeddings.dtype) != "float":
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{emb_name}` must have a real floating dtype, got {embeddings.dtype}; "
                f"cast it first, e.g. xp.astype({emb_name}, xp.float32)."
            )
        if dtype_kind(labels.dtype) != "int":
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{lab_name}` must hold integer group labels, got dtype {labels.dtype}."
            )
        if embeddings.ndim < 2:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{emb_name}` has shape {tuple(embeddings.shape)}; expected (B, D) (or (..., B, D))."
            )
        none_shape = tuple(embeddings.shape[:-1])
        lshape = tuple(labels.shape)
        if len(lshape) != len(none_shape) or not all(same_size(a, b) for a, b in zip(lshape, none_shape)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{lab_name}` has shape {lshape}, but `{emb_name}` of shape "
                f"{tuple(embeddings.shape)} needs one label per row: shape {none_shape}."
            )
        out_dtype, dtype, z = floating_inputs(xp, fn, rec.inputs[:1], embeddings)
        kept = None
        if where is not None:
            check_where(fn, where)
            fits(fn, "where", tuple(where.shape), none_shape, f"one entry per row of `{emb_name}`")
            kept = (
                where
                if where.ndim == len(none_shape)
                else xp.reshape(where, (1,) * (len(none_shape) - where.ndim) + tuple(where.shape))
            )
            z = xp.where(xp.expand_dims(kept, axis=-1), z, xp.ones_like(z))
        return BatchContext(xp, out_dtype, dtype, (z, labels), fn, kept)

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        if type(out) is not PairTerms:
            return finish_elements(p, out, reduction, rec.name, sample_weight, where)
        pos = finish_elements(p, out.positive, reduction, rec.name, sample_weight, where)
        neg = finish_elements(p, out.negative, reduction, rec.name, sample_weight, where)
        return pos + neg if reduction == "none" else as_result(p.xp, pos + neg)


def rows_table_labels(
    xp: Any, fn: str, names: tuple[str, ...], arrays: tuple[Any, ...], *, min_rows_ndim: int, table: str
) -> tuple[Any, Any, Any, Any, Any]:
    """Validate ``(rows (..., D), table (C, D), integer labels (...))`` (embeddings and class
    centres, hidden states and a linear layer's weight) and cast both floating inputs to the
    rows' compute dtype: ``(out_dtype, dtype, rows, table, labels)``. ``table`` says what the
    table's rows are, for the error message."""
    r_name, t_name, y_name = names
    rows, tab, labels = arrays
    for name, a in zip(names, arrays):
        if not hasattr(a, "shape"):
            raise InputTypeError(
                f"lossapi.{fn}: `{name}` must be an array, got {type(a).__name__}; convert it first with "
                f"xp.asarray({name}) using the array library of the other inputs."
            )
    for name, a in ((r_name, rows), (t_name, tab)):
        if dtype_kind(a.dtype) != "float":
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{name}` must have a real floating dtype, got {a.dtype}; "
                f"cast it first, e.g. xp.astype({name}, xp.float32)."
            )
    if dtype_kind(labels.dtype) != "int":
        raise InvalidDTypeError(f"lossapi.{fn}: `{y_name}` must hold integer class labels, got dtype {labels.dtype}.")
    if rows.ndim < min_rows_ndim:
        expected = "(B, D) (or (..., B, D))" if min_rows_ndim > 1 else "(N, D) (or (..., D))"
        raise ShapeMismatchError(f"lossapi.{fn}: `{r_name}` has shape {tuple(rows.shape)}; expected {expected}.")
    if tab.ndim != 2 or not same_size(tab.shape[1], rows.shape[-1]) or tab.shape[0] == 0:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{t_name}` has shape {tuple(tab.shape)}; expected (C, D) with C >= 1 and "
            f"`{r_name}`'s D = {rows.shape[-1]} ({table})."
        )
    shape = tuple(rows.shape[:-1])
    if len(labels.shape) != len(shape) or not all(same_size(a, b) for a, b in zip(labels.shape, shape)):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `{y_name}` has shape {tuple(labels.shape)}, but `{r_name}` of shape "
            f"{tuple(rows.shape)} needs one label per row: shape {shape}."
        )
    out_dtype = rows.dtype
    dtype = compute_dtype(xp, out_dtype)
    rows = rows if rows.dtype == dtype else xp.astype(rows, dtype)
    tab = tab if tab.dtype == dtype else xp.astype(tab, dtype)
    return out_dtype, dtype, rows, tab, labels


class CenterContext(Prepared):
    """Prepared embeddings ``(..., B, D)``, class centres ``(C, D)`` and labels ``(..., B)``
    (invalid ones replaced by 0); ``bad`` flags the rows whose label lies outside ``[0, C)``,
    ``num_classes`` is ``C``."""

    __slots__ = ("bad", "num_classes")

    def __init__(
        self, xp: Any, out_dtype: Any, dtype: Any, arrays: tuple[Any, ...], fn: str, bad: Any, num_classes: int
    ) -> None:
        super().__init__(xp, out_dtype, dtype, arrays, fn)
        self.bad, self.num_classes = bad, num_classes


class Centers(Kind):
    """Classification of embeddings by learnable class centres: ``(embeddings, class_centers,
    labels)`` with embeddings ``(..., B, D)``, centres ``(C, D)`` (shared by every batch) and
    integer labels ``(..., B)`` in ``[0, C)``; the per-element loss is per row ``(..., B)``.

    ``where`` excludes rows (their embeddings may hold NaN/inf and their labels any value);
    labels outside ``[0, C)`` make their rows NaN (``"mean"``/``"sum"`` NaN), with the other
    rows' gradients those of the batch without them.
    """

    name = "embeddings and class centres"
    context = True
    returns_doc = 'array\n    0-d for ``"mean"``/``"sum"``; for ``"none"`` one value per row, shape ``(..., B)``.'

    def prepare(self, rec: Any, xp: Any, arrays: tuple[Any, ...], sample_weight: Any, where: Any) -> CenterContext:
        from ._classes import invalid_labels

        fn = rec.name
        z_name = rec.inputs[0]
        out_dtype, dtype, z, centers, labels = rows_table_labels(
            xp,
            fn,
            rec.inputs,
            arrays,
            min_rows_ndim=2,
            table="one row per class, the layout of a linear layer's weight",
        )
        num_classes = centers.shape[0]
        none_shape = tuple(z.shape[:-1])
        bad, labels = invalid_labels(xp, labels, int(num_classes))
        if where is not None:
            check_where(fn, where)
            fits(fn, "where", tuple(where.shape), none_shape, f"one entry per row of `{z_name}`")
            z = xp.where(xp.expand_dims(where, axis=-1), z, xp.ones_like(z))
            bad = bad & where
        return CenterContext(xp, out_dtype, dtype, (z, centers, labels), fn, bad, int(num_classes))

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        from ._classes import finish_invalid

        return finish_invalid(p, out, reduction, rec.name, sample_weight, where)
