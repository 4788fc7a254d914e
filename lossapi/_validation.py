"""Static checks on loss inputs: shapes, dtypes and options.

Nothing here looks at array *values*: every check runs on shapes, dtypes and Python options,
so it is free under ``jax.jit``/``torch.compile`` and never forces a Dask computation.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

from array_api_compat import device as _device

from . import _value_checks
from ._errors import InputTypeError, InvalidDTypeError, InvalidOptionError, ShapeMismatchError

__all__ = [
    "REDUCTIONS",
    "broadcast_shapes",
    "check_in_range",
    "check_reduction",
    "check_where",
    "floating_inputs",
]

REDUCTIONS = ("mean", "sum", "none")
_INF = float("inf")

_FLOAT_NAMES = frozenset({"float16", "bfloat16", "float32", "float64"})
_KIND_CACHE: dict[Any, str] = {}


def _kind(dtype: Any) -> str:
    """"float", "bool", "int" or "other" for a dtype of any library (cached)."""
    # Keyed by (type, dtype): array-api-strict dtypes hash like NumPy's, and comparing the two
    # in a dict lookup emits a UserWarning on every call once both have been seen.
    key = (type(dtype), dtype)
    try:
        return _KIND_CACHE[key]
    except (KeyError, TypeError):
        pass
    name = str(dtype).rsplit(".", 1)[-1].strip("'>")
    if name in _FLOAT_NAMES:
        kind = "float"
    elif name in ("bool", "bool_"):
        kind = "bool"
    elif name.startswith(("int", "uint")):
        kind = "int"
    else:
        kind = "other"
    try:
        _KIND_CACHE[key] = kind
    except TypeError:
        pass
    return kind


def dtype_kind(dtype: Any) -> str:
    """Public alias of the cached dtype classifier ("float", "int", "bool", "other")."""
    return _kind(dtype)


def known_size(d: Any) -> bool:
    """Whether a dimension is a known size (Dask reports unknown sizes as NaN, others as None)."""
    return d is not None and not (isinstance(d, float) and d != d)


def same_size(a: Any, b: Any) -> bool:
    """Dimensions ``a`` and ``b`` agree; an unknown size (Dask's NaN, None) matches anything."""
    return a == b or not known_size(a) or not known_size(b)


def check_bool(fn: str, name: str, value: Any) -> None:
    """A flag option must be exactly True or False (not 0/1, not an array)."""
    if not isinstance(value, bool):
        from ._errors import InvalidOptionError

        raise InvalidOptionError(f"lossapi.{fn}: {name} must be True or False, got {value!r}.")


def check_reduction(fn: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise InvalidOptionError(
            f"lossapi.{fn}: reduction={reduction!r} is not one of 'mean', 'sum', 'none'."
        )


def check_in_range(
    fn: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    optional: bool = False,
    allow_inf: bool = False,
) -> None:
    """Range check for a hyper-parameter given as a Python number (arrays are not inspected).

    NaN and, unless ``allow_inf``, infinities are out of range. ``None`` is accepted only when
    ``optional``; strings and bools are never numbers. Arrays (0-d hyper-parameters) pass: their
    values are not inspected.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        if value is None and optional:
            return
        if value is None or isinstance(value, (bool, str)):
            raise InvalidOptionError(
                f"lossapi.{fn}: `{name}`={value!r} is not valid: expected a Python number or a 0-d "
                f"array, got {type(value).__name__}."
            )
        if _value_checks.active:  # an array's values are checked only inside lossapi.check_values()
            _value_checks.check_range(fn, name, value, low, high, low_open, high_open, allow_inf)
        return
    bad = (
        (low is not None and (value <= low if low_open else value < low))
        or (high is not None and (value >= high if high_open else value > high))
        or value != value  # NaN (math.isnan would break torch.compile tracing)
        or (not allow_inf and (value == _INF or value == -_INF))
    )
    if bad:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise InvalidOptionError(
            f"lossapi.{fn}: {name}={value!r} is out of range; it must be a finite number in {interval}."
            if not allow_inf else f"lossapi.{fn}: {name}={value!r} is out of range; it must lie in {interval}."
        )


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


def floating_inputs(xp: Any, fn: str, names: str, *arrays: Any) -> tuple[Any, ...]:
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
            and (type(out_dtype), out_dtype) in _FULL_FLOATS
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
        if dt != out_dtype or _kind(dt) != "float":
            kind = _kind(dt)
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
    compute = _compute_dtype(xp, out_dtype)
    if same and compute == out_dtype:
        try:
            _FULL_FLOATS.add((type(out_dtype), out_dtype))
        except TypeError:  # an unhashable dtype: no fast path for it
            pass
        return (out_dtype, compute, *arrays)
    out = [out_dtype, compute]
    for a in arrays:
        if isinstance(a, (int, float)):
            # A Python number for a target: a 0-d array, so the loss body is pure array code.
            out.append(xp.asarray(a, dtype=compute, device=_device(first)))
        elif a.dtype == compute:
            out.append(a)
        else:
            out.append(xp.astype(a, compute))
    return tuple(out)


def _split(names: str | tuple[str, ...]) -> list[str]:
    return names.split() if isinstance(names, str) else list(names)


def _raise_not_array(fn: str, names: str, i: int, a: Any) -> NoReturn:
    nm = _split(names)
    name = nm[i] if i < len(nm) else f"argument {i}"
    raise InputTypeError(
        f"lossapi.{fn}: `{name}` must be an array, got {type(a).__name__} {a!r}; convert it first "
        f"with xp.asarray({name}) using the array library of the other inputs."
    )


def _compute_dtype(xp: Any, dtype: Any) -> Any:
    """float32 for 16-bit floats, else ``dtype`` itself."""
    key = (type(dtype), dtype)  # see _kind: strict and NumPy dtypes hash alike
    try:
        half = _HALF_CACHE[key]
    except (KeyError, TypeError):
        half = str(dtype).rsplit(".", 1)[-1].strip("'>") in ("float16", "bfloat16")
        try:
            _HALF_CACHE[key] = half
        except TypeError:
            pass
    return xp.float32 if half else dtype


_HALF_CACHE: dict[Any, bool] = {}
# (type(dtype), dtype) of floating dtypes computed in themselves (not 16-bit), seen so far.
# Set adds are atomic and idempotent, so threads need no lock.
_FULL_FLOATS: set[tuple[type, Any]] = set()


def _check_shapes(fn: str, names: str, arrays: tuple[Any, ...]) -> None:
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


def check_params_0d(fn: str, names: list[str], params: tuple[Any, ...]) -> None:
    """Array hyper-parameters must be 0-d (a larger array would silently broadcast the loss).

    ``names`` names ``params`` in order (callers pass the last ``len(params)`` names of a loss's
    names string). Called only when some parameter is an array.
    """
    for i, v in enumerate(params):
        name = names[i] if i < len(names) else "a hyper-parameter"
        nd = getattr(v, "ndim", 0)
        if nd != 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{name}` must be a Python number or a 0-d array, got an array of shape "
                f"{tuple(v.shape)}; pass one value (per-class weights go in class_weight, per-sample "
                "weights in sample_weight)."
            )


def check_where(fn: str, where: Any) -> None:
    if _kind(where.dtype) != "bool":
        raise InvalidDTypeError(
            f"lossapi.{fn}: `where` must be a boolean array, got dtype {where.dtype}; "
            "use e.g. `mask > 0` or pass the weights as `sample_weight`."
        )
