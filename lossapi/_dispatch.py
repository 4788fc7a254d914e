"""Namespace and device resolution.

Every loss call starts with :func:`namespace_of` (the utilities with :func:`get_namespace`).
On the hot path it costs building the tuple of input types and one dict lookup: the namespace of
array-api-compat supported types depends only on the types of the inputs, so the result is
cached per tuple of input types (``None`` and Python scalars are part of the key and simply
ignored on a miss). On a miss, array-api-compat resolves the namespace, the loss's
:class:`ArgSpec` (from its catalog record) says which positional inputs may be Python numbers,
and mixed libraries or non-array inputs raise errors that say how to fix them.

Devices are compared only for libraries where arrays can live on different devices (torch,
JAX, CuPy, array-api-strict), and only where the device is knowable: JAX tracers report no
device inside ``jax.jit`` and are skipped.

No array library is imported here: array-api-compat detects libraries through ``sys.modules``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, NamedTuple

import array_api_compat as _compat

from ._errors import DeviceMismatchError, InputTypeError, NamespaceMismatchError

__all__ = ["ArgSpec", "backend_name", "get_namespace", "namespace_of"]


class ArgSpec(NamedTuple):
    """What the namespace resolution knows of a loss's arguments (built once per loss).

    ``names``: the array arguments in the order they are passed (positional inputs first, then
    ``sample_weight``, ``where`` and the options that may be arrays); ``numbers_ok``: per
    positional input, whether a Python number may stand for it (it broadcasts: a secondary input
    of an elementwise loss); ``n_inputs``: how many of ``names`` are positional inputs.
    """

    fn: str
    names: tuple[str, ...]
    numbers_ok: tuple[bool, ...]
    n_inputs: int


_SCALAR_TYPES = (type(None), bool, int, float, complex)

# (tuple of input types) -> (namespace, device checker or None, torch pair or None). The torch
# pair (i, j) marks the usual two-tensor case, which get_namespace checks inline.
_CACHE: dict[tuple[type, ...], tuple[ModuleType, Callable[..., None] | None, tuple[int, int] | None]] = {}
# namespace module name -> short backend name ("numpy", "torch", "jax", "dask", "cupy",
# "array_api_strict"). Keyed by the module's __name__: torch.compile cannot hash modules.
_BACKEND_OF: dict[str, str] = {}

_LIBRARY_CHECKS: tuple[tuple[str, Callable[[Any], bool]], ...] = (
    ("numpy", _compat.is_numpy_array),
    ("torch", _compat.is_torch_array),
    ("jax", _compat.is_jax_array),
    ("cupy", _compat.is_cupy_array),
    ("dask", _compat.is_dask_array),
    ("array_api_strict", lambda a: type(a).__module__.startswith("array_api_strict")),
    ("ndonnx", getattr(_compat, "is_ndonnx_array", lambda a: False)),
    ("pydata_sparse", getattr(_compat, "is_pydata_sparse_array", lambda a: False)),
)

_FIX_HINT = {
    "numpy": "numpy.asarray(x)",
    "torch": "torch.asarray(x, device=<the other inputs' device>)",
    "jax": "jax.numpy.asarray(x)",
    "cupy": "cupy.asarray(x)",
    "dask": "dask.array.asarray(x)",
    "array_api_strict": "array_api_strict.asarray(x)",
}


def _library(a: Any) -> str:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(a, torch.Tensor):  # no lru_cache'd helper under torch.compile
        return "torch"
    for name, check in _LIBRARY_CHECKS:
        try:
            if check(a):
                return name
        except Exception:
            continue
    mod = type(a).__module__.split(".")[0]
    return {"jaxlib": "jax"}.get(mod, mod)


def _names(names: str, n: int) -> list[str]:
    out = names.split()
    return out + [f"argument {i}" for i in range(len(out), n)]


def backend_name(xp: Any) -> str:
    """Short name of the backend behind namespace ``xp`` ("numpy", "torch", "jax", ...)."""
    try:
        return _BACKEND_OF[xp.__name__]
    except (KeyError, AttributeError):
        pass
    name = getattr(xp, "__name__", "unknown")
    for candidate, check in (
        ("numpy", _compat.is_numpy_namespace),
        ("torch", _compat.is_torch_namespace),
        ("jax", _compat.is_jax_namespace),
        ("cupy", _compat.is_cupy_namespace),
        ("dask", _compat.is_dask_namespace),
        ("array_api_strict", _compat.is_array_api_strict_namespace),
    ):
        if check(xp):
            name = candidate
            break
    key = getattr(xp, "__name__", None)
    if key is not None:
        _BACKEND_OF[key] = name
    return name


def _device_of(a: Any) -> Any:
    try:
        return _compat.device(a)
    except Exception:
        return None


def _jax_device_set(a: Any) -> frozenset[Any] | None:
    """The devices a concrete JAX array lives on; None for tracers (no devices under jit)."""
    try:
        return frozenset(a.devices())
    except Exception:  # noqa: BLE001 - tracers raise; NumPy inputs have no devices()
        return None


def _make_device_checker(idx: Sequence[int], lib: str) -> Callable[..., None]:
    """A checker comparing the devices of the array arguments at positions ``idx``."""
    idx = tuple(idx)
    if lib in ("torch", "array_api_strict", "cupy"):
        # These arrays always know their device: reading `.device` directly is ~20x cheaper
        # than array_api_compat.device.
        i0, rest = idx[0], idx[1:]
        if len(rest) == 1:  # the common case (pred, target): one comparison, no loop
            i1 = rest[0]

            def check_pair(fn: str, names: str, arrays: tuple[Any, ...]) -> None:
                d0 = arrays[i0].device
                if arrays[i1].device != d0:
                    _raise_device(fn, names, arrays, i0, d0, i1, arrays[i1].device)

            return check_pair

        def check_attr(fn: str, names: str, arrays: tuple[Any, ...]) -> None:
            d0 = arrays[i0].device
            for i in rest:
                if arrays[i].device != d0:
                    _raise_device(fn, names, arrays, i0, d0, i, arrays[i].device)

        return check_attr

    if lib == "jax":
        # A sharded array reports its Sharding as its device, and two arrays sharded
        # differently (logits P("batch", None), labels P("batch")) over the same devices are
        # compatible: compare the sets of devices they live on.
        def check_jax(fn: str, names: str, arrays: tuple[Any, ...]) -> None:
            first: frozenset[Any] | None = None
            first_i = -1
            for i in idx:
                d = _jax_device_set(arrays[i])
                if d is None:  # unknowable (tracer inside jit): nothing to compare
                    continue
                if first is None:
                    first, first_i = d, i
                elif d != first:
                    _raise_device(fn, names, arrays, first_i, _device_of(arrays[first_i]), i, _device_of(arrays[i]))

        return check_jax

    def check(fn: str, names: str, arrays: tuple[Any, ...]) -> None:
        first = None
        first_i = -1
        for i in idx:
            d = _device_of(arrays[i])
            if d is None:  # unknowable (JAX tracer inside jit): nothing to compare
                continue
            if first is None:
                first, first_i = d, i
            elif d != first:
                _raise_device(fn, names, arrays, first_i, first, i, d)

    return check


def _raise_device(fn: str, names: str, arrays: tuple[Any, ...], i: int, di: Any, j: int, dj: Any) -> None:
    nm = _names(names, len(arrays))
    raise DeviceMismatchError(
        f"lossapi.{fn}: `{nm[i]}` is on device {di!s} but `{nm[j]}` is on device {dj!s}; all "
        f"array inputs must be on one device. Move them first, e.g. `{nm[j]}.to({nm[i]}.device)` "
        f"in torch or `jax.device_put({nm[j]}, {nm[i]}.device)` in JAX."
    )


def _single_device(lib: str) -> bool:
    """True when the library can see only one device, so no mismatch is possible."""
    if lib == "jax":
        try:
            return sys.modules["jax"].device_count() == 1
        except Exception:  # noqa: BLE001
            return False
    return False


def _check_inputs(spec: ArgSpec, arrays: tuple[Any, ...]) -> bool:
    """The positional inputs must be arrays: not ``None``, not Python numbers unless ``spec``
    allows one there (run on cache misses only). A failing call is never cached, so it fails
    again every time. Returns whether the call may be cached: not when a Python number stands
    for an input, since the same types are an error for another loss (the cache is keyed by
    types only). While ``torch.compile`` traces nothing is cached."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.compiler.is_compiling():
        return False
    cacheable = True
    for i in range(spec.n_inputs):
        a, name = arrays[i], spec.names[i]
        if a is None or (
            isinstance(a, (bool, int, float, complex)) and not hasattr(a, "shape") and not spec.numbers_ok[i]
        ):
            raise InputTypeError(
                f"lossapi.{spec.fn}: `{name}` must be an array, got {type(a).__name__} {a!r}; convert it "
                f"first with xp.asarray({name}) using the array library of the other inputs."
            )
        if not hasattr(a, "shape"):
            cacheable = False
    return cacheable


def _array_namespace(a: Any) -> Any:
    """``array_api_compat.array_namespace(a)``; torch tensors directly, so that a loss traced by
    ``torch.compile`` meets none of array-api-compat's ``lru_cache``-wrapped helpers (Dynamo warns
    on each)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(a, torch.Tensor):
        import array_api_compat.torch as compat_torch  # noqa: PLC0415 - only where torch is in use

        return compat_torch
    return _compat.array_namespace(a)


def _resolve(
    fn: str | ArgSpec, names: str, arrays: tuple[Any, ...], key: tuple[type, ...]
) -> tuple[Any, Callable[..., None] | None, tuple[int, int] | None]:
    if isinstance(fn, ArgSpec):
        spec, nm = fn, list(fn.names)
        fn = spec.fn
        cacheable = _check_inputs(spec, arrays)
    else:  # a utility (composition, stop_gradient): every argument may be an array or a number
        nm = _names(names, len(arrays))
        torch = sys.modules.get("torch")
        cacheable = torch is None or not torch.compiler.is_compiling()
    found: list[tuple[int, Any, str]] = []  # (position, namespace, library)
    for i, a in enumerate(arrays):
        if isinstance(a, _SCALAR_TYPES):
            continue
        if isinstance(a, (list, tuple)):
            raise InputTypeError(
                f"lossapi.{fn}: `{nm[i]}` is a Python {type(a).__name__}, not an array; "
                f"convert it first with xp.asarray({nm[i]}) using the array library of the "
                "other inputs."
            )
        try:
            ns = _array_namespace(a)
        except TypeError:
            raise InputTypeError(
                f"lossapi.{fn}: `{nm[i]}` has type {type(a).__module__}.{type(a).__qualname__}, "
                "which is not an array of a supported library (NumPy, PyTorch, JAX, CuPy, Dask, "
                "array-api-strict); convert it with xp.asarray first."
            ) from None
        found.append((i, ns, _library(a)))
    if not found:
        raise InputTypeError(
            f"lossapi.{fn}: no array among the inputs ({', '.join(nm)}); pass arrays of one "
            "array library (Python numbers are accepted only for hyper-parameters)."
        )
    libs = {lib for _, _, lib in found}
    if len(libs) > 1:
        # NumPy scalars (np.float64(1.0)) behave like Python numbers next to other libraries.
        found = [
            f
            for f in found
            if not (
                f[2] == "numpy" and getattr(arrays[f[0]], "ndim", 1) == 0 and type(arrays[f[0]]).__name__ != "ndarray"
            )
        ] or found
        libs = {lib for _, _, lib in found}
    if len(libs) > 1:
        first_i, _, first_lib = found[0]
        other = next(f for f in found if f[2] != first_lib)
        raise NamespaceMismatchError(
            f"lossapi.{fn}: `{nm[first_i]}` is a {first_lib} array but `{nm[other[0]]}` is a "
            f"{other[2]} array; all array inputs of a loss must come from one array library. "
            f"Convert `{nm[other[0]]}` with {_FIX_HINT.get(first_lib, 'xp.asarray(x)')} "
            f"(or the other inputs to {other[2]})."
        )
    ns = found[0][1]
    lib = found[0][2]
    if getattr(ns, "__name__", None) is not None:
        _BACKEND_OF.setdefault(ns.__name__, lib)
    checker = None
    pair = None
    if lib not in ("numpy", "dask") and len(found) > 1 and not _single_device(lib):
        if lib == "torch" and len(found) == 2:
            pair = (found[0][0], found[1][0])
        else:
            checker = _make_device_checker([i for i, _, _ in found], lib)
    entry = (ns, checker, pair)
    # JAX float0 arrays are NumPy arrays routed to JAX per instance: never cache them.
    if cacheable and not any(getattr(getattr(arrays[i], "dtype", None), "kind", None) == "V" for i, _, _ in found):
        # A plain store: dict writes are atomic and idempotent here (same key -> same value), and
        # a lock would stop torch.compile from tracing through a cache miss.
        _CACHE[key] = entry
    return entry


def get_namespace(fn: str, names: str, *arrays: Any, xp: Any = None) -> Any:
    """Return the array namespace shared by ``arrays`` (``None`` and Python numbers ignored).

    Parameters
    ----------
    fn : str
        Name of the calling loss, used in error messages.
    names : str
        Space-separated names of ``arrays`` in order, used in error messages only.
    *arrays
        The loss inputs: arrays, ``None`` or Python numbers.
    xp : namespace, optional
        Escape hatch: when given it is returned unchanged and nothing is inspected.

    Raises
    ------
    NamespaceMismatchError
        Inputs come from different array libraries.
    DeviceMismatchError
        Inputs live on different devices.
    InputTypeError
        An input is a list, or of a type no supported array library knows.
    """
    if xp is not None:
        return xp
    # The key spelled out for the usual arities: ~2x cheaper than tuple(map(type, arrays)),
    # which costs more than the rest of a cache hit.
    n = len(arrays)
    key: tuple[type, ...]
    if n == 4:
        a0, a1, a2, a3 = arrays
        key = (type(a0), type(a1), type(a2), type(a3))
    elif n == 5:
        a0, a1, a2, a3, a4 = arrays
        key = (type(a0), type(a1), type(a2), type(a3), type(a4))
    elif n == 2:
        a0, a1 = arrays
        key = (type(a0), type(a1))
    elif n == 3:
        a0, a1, a2 = arrays
        key = (type(a0), type(a1), type(a2))
    elif n == 6:
        a0, a1, a2, a3, a4, a5 = arrays
        key = (type(a0), type(a1), type(a2), type(a3), type(a4), type(a5))
    elif n == 7:
        a0, a1, a2, a3, a4, a5, a6 = arrays
        key = (type(a0), type(a1), type(a2), type(a3), type(a4), type(a5), type(a6))
    else:
        key = tuple(map(type, arrays))
    try:
        ns, check, pair = _CACHE[key]
    except KeyError:
        ns, check, pair = _resolve(fn, names, arrays, key)
    if pair is not None:
        a, b = arrays[pair[0]], arrays[pair[1]]
        # Two CPU tensors cannot mismatch; `is_cpu` is cheaper than building and comparing two
        # torch.device objects (torch.compile traces both).
        if not (a.is_cpu and b.is_cpu) and a.device != b.device:
            _raise_device(fn, names, arrays, pair[0], a.device, pair[1], b.device)
    elif check is not None:
        check(fn, names, arrays)
    return ns


def namespace_of(spec: ArgSpec, arrays: tuple[Any, ...]) -> Any:
    """The namespace shared by ``arrays`` (the arguments named by ``spec.names``).

    Same rules and errors as :func:`get_namespace`; the loss wrapper calls this one.
    """
    n = len(arrays)
    key: tuple[type, ...]
    if n == 4:
        a0, a1, a2, a3 = arrays
        key = (type(a0), type(a1), type(a2), type(a3))
    elif n == 5:
        a0, a1, a2, a3, a4 = arrays
        key = (type(a0), type(a1), type(a2), type(a3), type(a4))
    elif n == 3:
        a0, a1, a2 = arrays
        key = (type(a0), type(a1), type(a2))
    elif n == 6:
        a0, a1, a2, a3, a4, a5 = arrays
        key = (type(a0), type(a1), type(a2), type(a3), type(a4), type(a5))
    else:
        key = tuple(map(type, arrays))
    try:
        ns, check, pair = _CACHE[key]
    except KeyError:
        ns, check, pair = _resolve(spec, "", arrays, key)
    if pair is not None:
        a, b = arrays[pair[0]], arrays[pair[1]]
        if not (a.is_cpu and b.is_cpu) and a.device != b.device:
            _raise_device(spec.fn, " ".join(spec.names), arrays, pair[0], a.device, pair[1], b.device)
    elif check is not None:
        check(spec.fn, " ".join(spec.names), arrays)
    return ns


def clear_cache() -> None:
    """Forget cached namespaces (used by tests)."""
    _CACHE.clear()
