"""Backends the conformance checks run on: creation, read-back and differentiation.

Each :class:`Backend` knows how to turn a float64 NumPy array into an array of its library in
a given dtype (and device), how to read a result back as float64 NumPy, and, for torch and
JAX, how to differentiate a function of its inputs.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["BACKENDS", "Backend", "available_backends", "get_backend"]


@dataclass(frozen=True)
class Backend:
    """One array library as seen by the conformance checks."""

    name: str
    module: str
    dtypes: tuple[str, ...]
    differentiable: bool = False
    #: ``to_numpy`` returns floating results as float64 (the checks' view); False keeps their
    #: dtype (unit tests that check the result dtype).
    float64: bool = field(default=True, compare=False)

    def available(self) -> bool:
        if importlib.util.find_spec(self.module.split(".")[0]) is None:
            return False
        if self.name == "cupy":
            try:
                import cupy

                return cupy.cuda.runtime.getDeviceCount() > 0
            except Exception:
                return False
        return True

    def unavailable_reason(self) -> str:
        if importlib.util.find_spec(self.module.split(".")[0]) is None:
            return f"{self.module} is not installed"
        if self.name == "cupy":
            return "CuPy needs a CUDA GPU, and none is present"
        return ""

    # -- creation / read-back ----------------------------------------------------------------
    @property
    def mod(self) -> Any:
        """The library's own array module (numpy, torch, jax.numpy, dask.array, array_api_strict, cupy)."""
        mod = self._mod()
        return importlib.import_module("jax.numpy") if self.name == "jax" else mod

    def is_native(self, x: Any) -> bool:
        """Whether ``x`` is an array of this library (not a Python number, not another library)."""
        if self.name == "numpy":
            return type(x) is np.ndarray
        if self.name == "torch":
            return isinstance(x, self._mod().Tensor)
        if self.name == "jax":
            return isinstance(x, importlib.import_module("jax").Array)
        if self.name == "dask":
            return isinstance(x, self._mod().Array)
        if self.name == "cupy":
            return isinstance(x, self._mod().ndarray)
        return isinstance(x, importlib.import_module("array_api_strict._array_object").Array)

    def xp(self) -> Any:
        """The array namespace of this backend (as lossapi resolves it)."""
        import array_api_compat

        return array_api_compat.array_namespace(self.asarray(np.zeros(1), self.dtypes[0]))

    def dtype(self, name: str) -> Any:
        mod = self._mod()
        if self.name == "dask":
            return np.dtype(name) if name != "bfloat16" else None
        if self.name == "torch":
            return getattr(mod, name)
        if self.name == "jax":
            return getattr(importlib.import_module("jax.numpy"), name)
        if self.name == "array_api_strict":
            return getattr(mod, name)
        return getattr(np, name) if name != "bfloat16" else None

    def _mod(self) -> Any:
        if self.name == "jax":
            _enable_jax_x64()
        return importlib.import_module(self.module)

    def asarray(self, a: Any, dtype: str | None = None, device: Any = None, chunks: Any = None) -> Any:
        """``a`` (NumPy) as an array of this backend, cast to ``dtype`` (a name)."""
        a = np.asarray(a)
        if dtype is None:
            dtype = str(a.dtype)
        mod = self._mod()
        if self.name == "numpy":
            return np.asarray(a, dtype=dtype)
        if self.name == "torch":
            t = mod.asarray(np.ascontiguousarray(a).reshape(a.shape)).to(getattr(mod, dtype))  # 0-d stays 0-d
            return t if device is None else t.to(device)
        if self.name == "jax":
            jnp = importlib.import_module("jax.numpy")
            x = jnp.asarray(a).astype(getattr(jnp, dtype))
            if device is not None:
                x = importlib.import_module("jax").device_put(x, device)
            return x
        if self.name == "dask":
            da = importlib.import_module("dask.array")
            c = chunks if chunks is not None else tuple(max(1, (s + 1) // 2) for s in a.shape) or ()
            return da.from_array(a.astype(dtype), chunks=c if a.ndim else ())
        if self.name == "array_api_strict":
            kw = {} if device is None else {"device": device}
            return mod.asarray(a.astype(dtype) if a.dtype != dtype else a, **kw)
        if self.name == "cupy":
            return mod.asarray(a, dtype=dtype)
        raise ValueError(self.name)

    def to_numpy(self, x: Any) -> np.ndarray:
        """A result of this backend as a NumPy array (floats as float64 unless ``float64`` is False)."""
        if self.name == "torch":
            x = x.detach().cpu()
            if str(x.dtype) == "torch.bfloat16":
                x = x.float()
            out = x.numpy()
        elif self.name == "dask":
            # The synchronous scheduler: a thread pool costs more than these small graphs compute.
            # No graph optimisation: it only regroups the same chunk functions, and costs more
            # than it saves on graphs this small.
            out = np.asarray(x.compute(scheduler="synchronous", optimize_graph=False))
        elif self.name == "array_api_strict":
            mod = self._mod()
            if x.device != mod.Device("CPU_DEVICE"):
                x = mod.asarray(x, device=mod.Device("CPU_DEVICE"), copy=True)
            out = np.asarray(x._array)
        elif self.name == "cupy":
            out = x.get()
        else:
            out = np.asarray(x)
        return self._read_back(out)

    def _read_back(self, out: Any) -> np.ndarray:
        out = np.asarray(out)
        if self.float64 and (out.dtype.kind == "f" or str(out.dtype) == "bfloat16"):
            out = out.astype(np.float64)
        return out

    def rounded(self, a: Any, dtype: str) -> np.ndarray:
        """``a`` (NumPy) stored in ``dtype`` by this backend and read back: ``to_numpy(asarray(a, dtype))``."""
        if self.name == "dask":
            # asarray wraps NumPy's cast in a graph: the same values without building and computing one.
            return self._read_back(np.asarray(a).astype(dtype))
        return self.to_numpy(self.asarray(a, dtype))

    def alternate_device(self) -> Any:
        """A non-default device to check placement on, or None."""
        if self.name == "array_api_strict":
            return self._mod().Device("device1")
        if self.name == "torch":
            torch = self._mod()
            return torch.device("cuda") if torch.cuda.is_available() else None
        return None

    # -- batched evaluation --------------------------------------------------------------------
    def call_many(self, calls: Sequence[Call], argnums: Sequence[Sequence[int]] | None = None) -> list[Any]:
        """``fn(*args, **kwargs)`` for every ``(fn, args, kwargs)`` of ``calls`` -- or, with
        ``argnums`` (one entry per call), the gradients of each scalar result w.r.t. those
        positional inputs (float64 NumPy arrays). An entry is the result, or the exception the
        call raised.

        On JAX the whole batch is one ``jax.jit`` program. Eager JAX compiles every operation
        it meets once per shape and dtype (tens of milliseconds each on a CPU): the edge points
        of one loss, each with its own shapes, cost hundreds of compilations, the batch one
        (about six times less time for the edge checks). Arrays are traced, every other
        argument is static; ``jax.jit`` of a loss equals its eager call (the transform checks
        compare the two). When the batch cannot be traced (a call raises, an option cannot be
        hashed, value checks are on and need concrete values), every call runs eagerly, so an
        exception belongs to the call that raised it.
        """
        if self.name == "jax":
            done = _jax_batch(calls, argnums)
            if done is not None:
                return done
        out: list[Any] = []
        for i, (fn, args, kwargs) in enumerate(calls):
            try:
                if argnums is None:
                    out.append(fn(*args, **kwargs))
                else:
                    out.append(self.grad(functools.partial(fn, **kwargs), args, argnums[i]))
            except Exception as e:  # noqa: BLE001 - reported by the caller, per call
                out.append(e)
        return out

    # -- differentiation ---------------------------------------------------------------------
    def grad(self, f: Callable[..., Any], args: Sequence[Any], argnums: Sequence[int]) -> list[np.ndarray]:
        """Gradients of scalar ``f(*args)`` w.r.t. ``args[i]`` for i in ``argnums`` (float64 NumPy)."""
        if self.name == "torch":
            torch = self._mod()
            args = [
                a.detach().clone().requires_grad_(i in argnums)
                if isinstance(a, torch.Tensor) and a.dtype.is_floating_point
                else a
                for i, a in enumerate(args)
            ]
            out = f(*args)
            gs = torch.autograd.grad(out, [args[i] for i in argnums], allow_unused=True)
            return [
                np.zeros(args[i].shape) if g is None else g.detach().cpu().double().numpy() for g, i in zip(gs, argnums)
            ]
        if self.name == "jax":
            jax = importlib.import_module("jax")
            gs = jax.grad(f, argnums=tuple(argnums))(*args)
            return [np.asarray(g, dtype=np.float64) for g in gs]
        raise NotImplementedError(f"{self.name} has no automatic differentiation")


#: One call of :meth:`Backend.call_many`: ``(fn, args, kwargs)``.
Call = tuple[Callable[..., Any], Sequence[Any], dict[str, Any]]


def _jax_batch(calls: Sequence[Call], argnums: Sequence[Sequence[int]] | None) -> list[Any] | None:
    """:meth:`Backend.call_many` on JAX as one jitted program, or None when it cannot be."""
    jax = importlib.import_module("jax")
    from .. import _value_checks

    if not calls or _value_checks._STATE.get():
        return None
    static, dynamic = [], []
    for fn, args, kwargs in calls:
        if not all(isinstance(a, jax.Array) for a in args):
            return None  # a Python number keeps its weak-typed meaning only in an eager call
        arrays = {k: v for k, v in kwargs.items() if isinstance(v, jax.Array)}
        rest = {k: v for k, v in kwargs.items() if k not in arrays}
        try:
            hash(tuple((k, type(v), v) for k, v in rest.items()))
        except TypeError:
            return None
        static.append((fn, rest))
        dynamic.append((tuple(args), arrays))

    def one(i: int, args: tuple[Any, ...], arrays: dict[str, Any]) -> Any:
        fn, rest = static[i]
        if argnums is None:
            return fn(*args, **arrays, **rest)
        nums = tuple(argnums[i])

        def of(*diff: Any) -> Any:
            full = list(args)
            for k, d in zip(nums, diff):
                full[k] = d
            return fn(*full, **arrays, **rest)

        return jax.grad(of, argnums=tuple(range(len(nums))))(*[args[k] for k in nums])

    def program(dyn: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> list[Any]:
        return [one(i, args, arrays) for i, (args, arrays) in enumerate(dyn)]

    try:
        out = jax.jit(program)(dynamic)
    except Exception:  # noqa: BLE001 - the eager calls tell which call raised what
        return None
    if argnums is None:
        return list(out)
    return [[np.asarray(g, dtype=np.float64) for g in gs] for gs in out]


def _enable_jax_x64() -> None:
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
    except ImportError:
        pass


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("numpy", "numpy", ("float32", "float64", "float16")),
        Backend("array_api_strict", "array_api_strict", ("float32", "float64")),
        Backend("torch", "torch", ("float32", "float64", "float16", "bfloat16"), differentiable=True),
        Backend("jax", "jax", ("float32", "float64", "float16", "bfloat16"), differentiable=True),
        Backend("dask", "dask.array", ("float32", "float64")),
        Backend("cupy", "cupy", ("float32", "float64", "float16")),
    )
}


def get_backend(name: str) -> Backend:
    return BACKENDS[name]


def available_backends(names: Sequence[str] | None = None) -> list[Backend]:
    """Installed backends among ``names`` (default: all, in a fixed order)."""
    return [BACKENDS[n] for n in (names or BACKENDS) if BACKENDS[n].available()]
