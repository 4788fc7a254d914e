"""Kinds of the embedding losses: vectors over a feature axis, and batches of labelled embeddings.

- :class:`Vectors`: embeddings that broadcast against each other with a feature axis (``axis``,
  default -1) that the per-element loss drops, plus per-pair targets of the per-element shape
  (or broadcastable to it, or Python numbers). ``where``-excluded vectors become ones and their
  targets ones, so NaN/inf there reaches neither the value nor the gradient.
- :class:`Batch`: a batch of embeddings ``(..., B, D)`` (features last) with one integer label
  per row ``(..., B)``; the loss forms its pairs within each batch. ``where`` excludes rows both
  as anchors and as partners (padding): their embeddings become ones and the body gets the
  kept-row mask to drop their pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._array import device_of, dtype_kind
from .._errors import InputTypeError, InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._loss import Kind, Prepared
from .._validation import broadcast_shapes, check_where, floating_inputs, same_size

__all__ = ["Batch", "BatchContext", "VectorContext", "Vectors", "fits", "floor"]


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


class Batch(Kind):
    """Losses over a batch of labelled embeddings: ``(embeddings, labels)`` with embeddings
    ``(..., B, D)`` (features last) and integer labels ``(..., B)``; the per-element loss is per
    anchor row ``(..., B)``."""

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
