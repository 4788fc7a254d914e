"""Shared fixtures: one ``backend`` fixture over every installed array library.

A :class:`Backend` turns NumPy reference inputs into arrays of its library (``bk.asarray``)
and back (``bk.to_numpy``), so a test writes its expectation once in float64 NumPy and runs on
every backend. Libraries that are not installed are skipped with a reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from _backends import BACKENDS, Backend, _import, load_backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Every installed array library (skips the missing ones with a reason)."""
    return load_backend(request.param)


@pytest.fixture
def xp(backend: Backend) -> Any:
    """The namespace module of the current backend (as ``backend.mod``)."""
    return backend.mod


@pytest.fixture
def torch() -> Any:
    mod = _import("torch")
    if mod is None:
        pytest.skip("torch is not installed")
    return mod


@pytest.fixture
def jax() -> Any:
    mod = _import("jax")
    if mod is None:
        pytest.skip("jax is not installed")
    mod.config.update("jax_enable_x64", True)
    return mod


@pytest.fixture
def strict() -> Any:
    mod = _import("array_api_strict")
    if mod is None:
        pytest.skip("array_api_strict is not installed")
    return mod


@pytest.fixture
def da() -> Any:
    mod = _import("dask.array")
    if mod is None:
        pytest.skip("dask is not installed")
    return mod
