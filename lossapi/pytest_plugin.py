"""Opt-in pytest plugin: run your own tests on every array library and dtype.

Enable it in your ``conftest.py``::

    pytest_plugins = ["lossapi.pytest_plugin"]

or for one run with ``pytest -p lossapi.pytest_plugin``. (It is not registered as an entry
point, so installing lossapi changes no other test suite.)

Fixtures
--------
``xp``
    The array namespace of each selected backend (``array_api_compat``'s ``numpy`` / ``torch``
    wrappers, ``jax.numpy``, ``cupy``, ``dask.array``, ``array_api_strict``): a test that uses it
    runs once per backend. Backends that are not installed (or CuPy without a GPU) are
    reported as skipped with the reason.
``dtype``
    The namespace's floating dtype object (``xp.float32``, ``xp.float64``): a test that uses it
    runs once per selected dtype. float64 on JAX is skipped unless 64-bit mode is on.
``device``
    The device to create arrays on: CUDA for torch when a GPU is present, JAX's default
    device, CuPy's current device, the CPU otherwise.
``loss_inputs``
    A factory: ``loss_inputs("cross_entropy", shape=(8,), options=...)`` gives
    :class:`lossapi.testing.LossInputs` on the current ``xp`` / ``dtype`` / ``device``.
``backend_name``, ``dtype_name``
    The names behind ``xp`` and ``dtype`` (``"torch"``, ``"float32"``).

Selection
---------
``--lossapi-backends=numpy,torch`` (or the environment variable ``LOSSAPI_TEST_BACKENDS``)
picks the backends, by the names ``numpy``, ``array_api_strict``, ``torch``, ``jax``, ``dask``,
``cupy``; default: all of them. ``--lossapi-dtypes=float32`` (or ``LOSSAPI_TEST_DTYPES``) picks
the dtypes; default ``float32,float64``.

JAX: when ``JAX_ENABLE_X64`` is set, the ``xp`` fixture turns JAX's 64-bit mode on; otherwise
the setting is left alone and float64 cases on JAX are skipped with the reason.

Importing the plugin imports no array framework.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from ._conformance.backends import BACKENDS
from .testing import TOLERANCES, LossInputs, make_inputs

__all__ = [
    "backend_name",
    "device",
    "dtype",
    "dtype_name",
    "loss_inputs",
    "pytest_addoption",
    "pytest_configure",
    "pytest_generate_tests",
    "xp",
]

_DEFAULT_DTYPES = ("float32", "float64")
_FALSE = ("", "0", "false", "no", "off")


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--lossapi-backends`` and ``--lossapi-dtypes``."""
    group = parser.getgroup("lossapi", "lossapi: backends and dtypes of the xp / dtype fixtures")
    group.addoption(
        "--lossapi-backends",
        default=None,
        metavar="NAMES",
        help=f"comma-separated backends for the xp fixture (default: $LOSSAPI_TEST_BACKENDS, "
        f"else all of {','.join(BACKENDS)})",
    )
    group.addoption(
        "--lossapi-dtypes",
        default=None,
        metavar="NAMES",
        help="comma-separated dtypes for the dtype fixture (default: $LOSSAPI_TEST_DTYPES, else float32,float64)",
    )


def _selection(config: pytest.Config, option: str, env: str, known: Sequence[str], default: Sequence[str]) -> list[str]:
    raw = config.getoption(option) or os.environ.get(env, "")
    names = [n.strip() for n in raw.split(",") if n.strip()] or list(default)
    unknown = [n for n in names if n not in known]
    if unknown:
        source = f"--{option.replace('_', '-')}" if config.getoption(option) else env
        raise pytest.UsageError(f"{source} names unknown {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return names


def selected_backends(config: pytest.Config) -> list[str]:
    """Backend names selected by ``--lossapi-backends`` / ``LOSSAPI_TEST_BACKENDS`` (default: all)."""
    return _selection(config, "lossapi_backends", "LOSSAPI_TEST_BACKENDS", list(BACKENDS), list(BACKENDS))


def selected_dtypes(config: pytest.Config) -> list[str]:
    """Dtype names selected by ``--lossapi-dtypes`` / ``LOSSAPI_TEST_DTYPES`` (default: float32, float64)."""
    return _selection(config, "lossapi_dtypes", "LOSSAPI_TEST_DTYPES", list(TOLERANCES), _DEFAULT_DTYPES)


def pytest_configure(config: pytest.Config) -> None:
    """Reject unknown backend / dtype names before collection, as a usage error."""
    selected_backends(config)
    selected_dtypes(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize tests that use ``xp`` (via ``backend_name``) and ``dtype`` (via ``dtype_name``)."""
    if "backend_name" in metafunc.fixturenames:
        params = []
        for name in selected_backends(metafunc.config):
            b = BACKENDS[name]
            # Collected and skipped with the reason, so the report shows what did not run.
            marks = () if b.available() else pytest.mark.skip(reason=b.unavailable_reason())
            params.append(pytest.param(name, id=name, marks=marks))
        metafunc.parametrize("backend_name", params, indirect=True)
    if "dtype_name" in metafunc.fixturenames:
        names = selected_dtypes(metafunc.config)
        metafunc.parametrize("dtype_name", names, ids=names, indirect=True)


@pytest.fixture
def backend_name(request: pytest.FixtureRequest) -> str:
    """Name of the backend under test (``"numpy"``, ``"torch"``, ``"jax"``, ...)."""
    return str(request.param)


@pytest.fixture
def dtype_name(request: pytest.FixtureRequest) -> str:
    """Name of the floating dtype under test (``"float32"``, ``"float64"``, ...)."""
    return str(request.param)


def _jax_namespace() -> Any:
    jax = importlib.import_module("jax")
    if os.environ.get("JAX_ENABLE_X64", "").strip().lower() not in _FALSE:
        jax.config.update("jax_enable_x64", True)
    return importlib.import_module("jax.numpy")


@pytest.fixture
def xp(backend_name: str) -> Any:
    """The array namespace of the backend under test (the one lossapi dispatches to)."""
    if backend_name == "jax":
        # Not the conformance backend's own namespace lookup: that turns 64-bit mode on
        # unconditionally, and the user's session keeps its own setting here.
        return _jax_namespace()
    return BACKENDS[backend_name].xp()


@pytest.fixture
def dtype(xp: Any, backend_name: str, dtype_name: str) -> Any:
    """The namespace's dtype object for the dtype under test (e.g. ``torch.float32``)."""
    if dtype_name not in BACKENDS[backend_name].dtypes:
        pytest.skip(f"{backend_name} has no {dtype_name}")
    if backend_name == "jax" and dtype_name == "float64" and not importlib.import_module("jax").config.jax_enable_x64:
        pytest.skip("float64 on JAX needs 64-bit mode: set JAX_ENABLE_X64=1")
    return getattr(xp, dtype_name)


@pytest.fixture
def device(xp: Any, backend_name: str) -> Any:
    """Device to create arrays on: CUDA for torch when present, else the namespace's default."""
    if backend_name == "torch":
        torch = importlib.import_module("torch")
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if backend_name == "jax":
        return importlib.import_module("jax").devices()[0]
    import array_api_compat

    return array_api_compat.device(xp.zeros(()))


@pytest.fixture
def loss_inputs(backend_name: str, dtype: Any, dtype_name: str, device: Any) -> Callable[..., LossInputs]:
    """Factory of :func:`lossapi.testing.make_inputs` on the current backend, dtype and device.

    ``loss_inputs(loss_name, *, shape=(8,), seed=0, options=None)``.
    """

    def factory(
        loss_name: str, *, shape: Sequence[int] = (8,), seed: int = 0, options: Mapping[str, Any] | None = None
    ) -> LossInputs:
        # Dask and CuPy arrays are created on their own default device; the others take it.
        dev = device if backend_name in ("torch", "jax", "array_api_strict") else None
        return make_inputs(
            loss_name, xp=backend_name, dtype=dtype_name, shape=shape, seed=seed, device=dev, options=options
        )

    return factory
