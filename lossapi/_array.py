"""Dtypes and devices of any array library, and the type aliases of the public signatures.

A leaf module: it imports nothing from lossapi, so every layer (dispatch, validation, value
checks, ops, the loss kinds) can use it without an import cycle.

Dtype classification is cached per ``(type(dtype), dtype)``: array-api-strict dtypes hash like
NumPy's, and comparing the two in a dict lookup would emit a warning on every call.
"""

from __future__ import annotations

import sys
from typing import Any, TypeAlias

from array_api_compat import device as _compat_device

__all__ = [
    "Array",
    "Namespace",
    "compute_dtype",
    "device_of",
    "dtype_kind",
    "is_full_float",
    "is_half",
    "is_number",
    "keep_float_dtype",
    "legacy_promotion",
]

#: An array of any supported library (NumPy, PyTorch, JAX, CuPy, Dask, array-api-strict).
Array: TypeAlias = Any
#: An Array API namespace (``array_api_compat.array_namespace(x)``).
Namespace: TypeAlias = Any

_FLOAT_NAMES = frozenset({"float16", "bfloat16", "float32", "float64"})
_HALF_NAMES = frozenset({"float16", "bfloat16"})
_KIND: dict[Any, str] = {}
_HALF: dict[Any, bool] = {}
# (type(dtype), dtype) of the floating dtypes computed in themselves (not 16-bit), seen so far.
# Set adds are atomic and idempotent, so threads need no lock.
_FULL_FLOATS: set[tuple[type, Any]] = set()


def _name(dtype: Any) -> str:
    return str(dtype).rsplit(".", 1)[-1].strip("'>")


def dtype_kind(dtype: Any) -> str:
    """``"float"``, ``"int"``, ``"bool"`` or ``"other"`` for a dtype of any library (cached)."""
    key = (type(dtype), dtype)
    try:
        return _KIND[key]
    except (KeyError, TypeError):
        pass
    name = _name(dtype)
    if name in _FLOAT_NAMES:
        kind = "float"
    elif name in ("bool", "bool_"):
        kind = "bool"
    elif name.startswith(("int", "uint")):
        kind = "int"
    else:
        kind = "other"
    try:
        _KIND[key] = kind
        if kind == "float" and name not in _HALF_NAMES:
            _FULL_FLOATS.add(key)
    except TypeError:  # an unhashable dtype: classified again next time
        pass
    return kind


def is_half(dtype: Any) -> bool:
    """True for 16-bit floating dtypes (float16, bfloat16) of any library."""
    key = (type(dtype), dtype)
    try:
        return _HALF[key]
    except (KeyError, TypeError):
        pass
    out = _name(dtype) in _HALF_NAMES
    try:
        _HALF[key] = out
    except TypeError:
        pass
    return out


def is_full_float(dtype: Any) -> bool:
    """True for a 32/64-bit floating dtype already seen by :func:`dtype_kind` (one set lookup)."""
    try:
        return (type(dtype), dtype) in _FULL_FLOATS
    except TypeError:
        return False


def compute_dtype(xp: Namespace, dtype: Any) -> Any:
    """The dtype a loss computes in: float32 for 16-bit floats, else ``dtype`` itself."""
    return xp.float32 if is_half(dtype) else dtype


def device_of(x: Array) -> Any:
    """The device of ``x``, for creation functions (``device=``); Dask arrays have no ``.device``.

    A JAX array sharded over several devices reports its sharding, which a creation function
    would apply to a scalar of rank 0 (an error); ``None`` there makes an uncommitted constant
    that JAX places next to the sharded operand.
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):  # no lru_cache'd helper under torch.compile
        return x.device
    dev = _compat_device(x)
    if getattr(dev, "num_devices", 1) > 1:
        return None
    return dev


def is_number(value: Any) -> bool:
    """A Python ``int`` or ``float`` (not a bool, not an array): a hyper-parameter that stays a number."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def legacy_promotion() -> bool:
    """Whether the installed NumPy is 1.x, whose value-based casting (before NEP 50) promotes a
    float32 0-d array combined with a Python number (``mean / n``, ``1 - p``) to float64."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return int(version("numpy").split(".")[0]) < 2
    except (PackageNotFoundError, ValueError):
        return False


def keep_float_dtype(result: Any, like: Any) -> Any:
    """``result`` in ``like``'s floating dtype where NumPy 1.x's promotion widened it (NumPy,
    Dask and CuPy arrays; other libraries never widen, and their dtypes have no ``kind``)."""
    rd, ld = getattr(result, "dtype", None), getattr(like, "dtype", None)
    if rd is None or ld is None or rd == ld:
        return result
    if getattr(rd, "kind", None) == "f" and getattr(ld, "kind", None) == "f" and rd.itemsize > ld.itemsize:
        return result.astype(ld)
    return result
