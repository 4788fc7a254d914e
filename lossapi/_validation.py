"""Static checks on loss inputs: shapes, dtypes and options.

Nothing here looks at array *values*: every check runs on shapes, dtypes and Python options,
so it is free under ``jax.jit``/``torch.compile`` and never forces a Dask computation.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

from ._array import compute_dtype, device_of, dtype_kind, is_full_float
from ._errors import InputTypeError, InvalidDTypeError, ShapeMismatchError

__all__ = [
    "REDUCTIONS",
    "broadcast_shapes",
    "check_where",
    "floating_inputs",
    "known_size",
    "same_size",
]

REDUCTIONS = ("mean", "sum", "none")
_INF = float("inf")


def known_size(d: Any) -> bool:
    """Whether a dimension is a known size (Dask reports unknown sizes as NaN, others as None)."""
    return d is not None and not (isinstance(d, float) and d != d)


def same_size(a: Any, b: Any) -> bool:
    """Dimensions ``a`` and ``b`` agree; an unknown size (Dask's NaN, None) matches anything."""
    return a == b or not known_size(a) or not known_size(b)


def broadcast_shapes(*shapes: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Broadcast shape of ``shapes``, or ``None`` if they do not broadcast.

    Unknown dimensions (``None`` or NaN, as Dask and lazy libraries report) are treated as
    matching anything.
    """
    ndim = max(len(s) for s in shapes)
    out: list[Any] = []
    for i in range(-ndim, 0):
        dim: Any = 1
        for s in shapes:
            if len(s) < -i:
                continue
            d = s[i]
            if d is None or (isinstance(d, float) and math.isnan(d)):
                if dim == 1:
                    dim = d
                continue
            if d == 1:
                continue
            if dim == 1 or dim is None or (isinstance(dim, float) and math.isnan(dim)):
                dim = d
            elif dim != d:
                return None
        out.append(dim)
    return tuple(out)


def floating_inputs(xp: Any, fn: str, names: str | tuple[str, ...], *arrays: Any) -> tuple[Any, ...]:
    """Check that ``arrays`` are numeric, broadcast sensibly, and cast them to one dtype.

    The first array (the prediction) must be floating; the others may also be integer or
    bool. The compute dtype is the first array's dtype, or float32 for float16/bfloat16. Returns
    ``(out_dtype, compute_dtype, *arrays)``; Python numbers among the later inputs become 0-d
    arrays of the compute dtype on the prediction's device.
    """
    first = arrays[0]
    try:
        out_dtype = first.dtype
        shape0 = first.shape
    except AttributeError:
        _raise_not_array(fn, names, 0, first)
    if len(arrays) == 2:
        # The usual (pred, target) pair of one 32/64-bit float dtype and one shape: two
        # comparisons and one set lookup instead of the loop below (~3x cheaper on tiny inputs).
        second = arrays[1]
        if (
            not isinstance(second, (int, float))
            and second.dtype == out_dtype
            and second.shape == shape0
            and is_full_float(out_dtype)
        ):
            return (out_dtype, out_dtype, first, second)
    same = True
    for i, a in enumerate(arrays):
        if isinstance(a, (int, float)):
            same = False  # converted to a 0-d array below
            continue
        if not hasattr(a, "dtype"):
            _raise_not_array(fn, names, i, a)
        dt = a.dtype
        if dt != out_dtype or dtype_kind(dt) != "float":
            kind = dtype_kind(dt)
            # The prediction must be floating; the other inputs (targets, counts) may be integer
            # or bool: they are cast to the compute dtype below and never promote the result.
            if kind != "float" and (i == 0 or kind not in ("int", "bool")):
                nm = _split(names)
                raise InvalidDTypeError(
                    f"lossapi.{fn}: `{nm[i]}` must have a real floating dtype, got {dt}; "
                    f"cast it first, e.g. xp.astype({nm[i]}, xp.float32)."
                )
            same = False
        if a.shape != shape0:
            _check_shapes(fn, names, arrays)
    compute = compute_dtype(xp, out_dtype)
    if same and compute == out_dtype:
        return (out_dtype, compute, *arrays)
    out = [out_dtype, compute]
    for a in arrays:
        if isinstance(a, (int, float)):
            # A Python number for a target: a 0-d array, so the loss body is pure array code.
            out.append(xp.asarray(a, dtype=compute, device=device_of(first)))
        elif a.dtype == compute:
            out.append(a)
        else:
            out.append(xp.astype(a, compute))
    return tuple(out)


def _split(names: str | tuple[str, ...]) -> list[str]:
    return names.split() if isinstance(names, str) else list(names)


def _raise_not_array(fn: str, names: str | tuple[str, ...], i: int, a: Any) -> NoReturn:
    nm = _split(names)
    name = nm[i] if i < len(nm) else f"argument {i}"
    raise InputTypeError(
        f"lossapi.{fn}: `{name}` must be an array, got {type(a).__name__} {a!r}; convert it first "
        f"with xp.asarray({name}) using the array library of the other inputs."
    )


def _check_shapes(fn: str, names: str | tuple[str, ...], arrays: tuple[Any, ...]) -> None:
    nm = _split(names)
    named = [(nm[i], tuple(a.shape)) for i, a in enumerate(arrays) if not isinstance(a, (int, float))]
    shapes = [s for _, s in named]
    full = broadcast_shapes(*shapes)
    desc = ", ".join(f"`{n}` {s}" for n, s in named)
    if full is None:
        raise ShapeMismatchError(f"lossapi.{fn}: the shapes {desc} do not broadcast together.")
    if len(shapes) > 1 and all(s != full for s in shapes):
        raise ShapeMismatchError(
            f"lossapi.{fn}: the shapes {desc} broadcast to {full}, a shape none of them has; "
            "this is almost always a bug (e.g. (N, 1) against (N,) gives (N, N)). Reshape "
            "them to the same shape first."
        )


def check_where(fn: str, where: Any) -> None:
    if dtype_kind(where.dtype) != "bool":
        raise InvalidDTypeError(
            f"lossapi.{fn}: `where` must be a boolean array, got dtype {where.dtype}; "
            "use e.g. `mask > 0` or pass the weights as `sample_weight`."
        )
