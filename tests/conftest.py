"""Shared fixtures: one ``backend`` fixture over every installed array library.

A :class:`Backend` turns NumPy reference inputs into arrays of its library (``bk.asarray``)
and back (``bk.to_numpy``), so a test writes its expectation once in float64 NumPy and runs on
every backend. Libraries that are not installed are skipped with a reason.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from _backends import BACKENDS, Backend, _import, load_backend
from hypothesis import HealthCheck, settings

# Hypothesis profiles (tests/test_fuzz.py): "ci" is reproducible and small (the default);
# "long" is the `nox -s fuzz` run. Select with HYPOTHESIS_PROFILE=long or
# --hypothesis-profile=long (the command-line option wins: it is loaded before this file).
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=2, derandomize=True, deadline=None, print_blob=True, suppress_health_check=_SLOW_OK
)
settings.register_profile("long", max_examples=200, deadline=None, print_blob=True, suppress_health_check=_SLOW_OK)
if getattr(settings, "get_current_profile_name", lambda: settings._current_profile)() == "default":
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
