"""Backend helpers shared by the unit tests (imported by conftest.py and test modules).

Kept out of conftest.py so test modules can import them: ``tests/`` and ``conformance/``
both have a conftest.py, and a plain ``from conftest import ...`` would pick either one.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

# JAX must see this before its first import so that float64 arrays stay float64.
os.environ.setdefault("JAX_ENABLE_X64", "1")

BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask")


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@dataclass(frozen=True)
class Backend:
    """One array library as seen by the tests."""

    name: str
    mod: Any  # the library's own module (numpy, torch, jax.numpy, dask.array, array_api_strict)

    def asarray(self, x: Any, dtype: str | None = None) -> Any:
        """Array of this library from a NumPy array / nested list; ``dtype`` by name."""
        a = np.asarray(x)
        if dtype is not None:
            a = a.astype(dtype)
        if self.name == "numpy":
            return a
        if self.name == "torch":
            return self.mod.asarray(a.copy())
        if self.name == "jax":
            return self.mod.asarray(a)
        if self.name == "dask":
            return self.mod.from_array(a, chunks=tuple(max(1, (s + 1) // 2) for s in a.shape))
        return self.mod.asarray(a)

    def to_numpy(self, x: Any) -> np.ndarray:
        if self.name == "torch":
            return x.detach().cpu().numpy()
        if self.name == "dask":
            return np.asarray(x.compute())
        return np.asarray(x)

    def is_native(self, x: Any) -> bool:
        """Whether ``x`` is an array of this library (not a Python number, not another library)."""
        if self.name == "numpy":
            return type(x) is np.ndarray
        if self.name == "torch":
            return isinstance(x, self.mod.Tensor)
        if self.name == "jax":
            return isinstance(x, importlib.import_module("jax").Array)
        if self.name == "dask":
            return isinstance(x, self.mod.Array)
        return isinstance(x, importlib.import_module("array_api_strict._array_object").Array)

    def dtype(self, name: str) -> Any:
        return getattr(self.mod, name)


def load_backend(name: str) -> Backend:
    mods = {
        "numpy": "numpy",
        "array_api_strict": "array_api_strict",
        "torch": "torch",
        "jax": "jax.numpy",
        "dask": "dask.array",
    }
    mod = _import(mods[name])
    if mod is None:
        pytest.skip(f"{name} is not installed")
    if name == "jax":
        jax = importlib.import_module("jax")
        jax.config.update("jax_enable_x64", True)
    return Backend(name, mod)


