"""The backends of the unit tests: the conformance suite's :class:`Backend`, one per library.

Kept out of conftest.py so test modules can import it: ``tests/`` and ``conformance/`` both have
a conftest.py, and a plain ``from conftest import ...`` would pick either one.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from typing import Any

import pytest

# JAX must see this before its first import so that float64 arrays stay float64.
os.environ.setdefault("JAX_ENABLE_X64", "1")

from lossapi._conformance.backends import BACKENDS as _ALL  # noqa: E402
from lossapi._conformance.backends import Backend  # noqa: E402

__all__ = ["BACKENDS", "Backend", "load_backend"]

BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask")


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def load_backend(name: str) -> Backend:
    """The backend ``name`` (results read back in their own dtype); skips the test with the
    reason when its library is not installed."""
    b = _ALL[name]
    if not b.available():
        pytest.skip(b.unavailable_reason())
    b.mod  # noqa: B018 - imports the library (JAX with float64 enabled)
    return dataclasses.replace(b, float64=False)
