"""Shared fixtures and parametrization of the conformance suite.

Backends come from ``LOSSAPI_TEST_BACKENDS`` (comma-separated names, e.g. ``numpy,torch``;
default: every backend lossapi knows). A selected backend that is not installed -- or CuPy
without a CUDA GPU -- is still collected and skipped with the reason, so the report shows what
did not run. Losses come from ``lossapi.catalog()``; the ``case`` fixture fails (never skips)
for a loss without a conformance case.

Parametrized argument names (chosen to be unambiguous across test modules):

- ``loss_name``: every catalog loss;
- ``any_backend``: every backend;
- ``ad_backend``: backends with automatic differentiation (torch, jax);
- ``smooth_loss``: catalog losses with ``smooth=True``;
- ``native_loss``: losses with a torch native fast path; with ``native_backend``, every
  (loss, backend) pair with a registered fast path (torch, NumPy);
- ``native_mode``: ``True``/``False`` (fast paths on/off), with ``loss_name``, only ``True``
  for losses without a fast path.
"""

from __future__ import annotations

import os

# JAX reads this at import: float64 must be on before anything imports jax.
os.environ.setdefault("JAX_ENABLE_X64", "1")

import shutil  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi  # noqa: E402
from lossapi._conformance.backends import BACKENDS  # noqa: E402
from lossapi._conformance.cases import Case  # noqa: E402
from lossapi._conformance.grad_checks import load_cases  # noqa: E402
from lossapi._conformance.result import CheckResult  # noqa: E402
from lossapi._native import native_backends  # noqa: E402


def selected_backends() -> list[str]:
    """Backend names selected by ``LOSSAPI_TEST_BACKENDS`` (default: all known)."""
    env = os.environ.get("LOSSAPI_TEST_BACKENDS", "").strip()
    if not env:
        return list(BACKENDS)
    names = [n.strip() for n in env.split(",") if n.strip()]
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        raise pytest.UsageError(f"LOSSAPI_TEST_BACKENDS names unknown backends {unknown}; known: {list(BACKENDS)}")
    return names


def unavailable_reason(name: str) -> str | None:
    """Why backend ``name`` is not usable on this machine (not installed, no GPU), or None."""
    b = BACKENDS[name]
    if b.available():
        return None
    if name == "cupy" and "GPU" not in b.unavailable_reason():
        return f"CuPy needs a CUDA GPU ({b.unavailable_reason()})"
    return b.unavailable_reason()


def backend_skip_reason(name: str) -> str | None:
    """Why backend ``name`` cannot run here (not selected, not installed, no GPU), or None."""
    if name not in selected_backends():
        return f"{name} not selected by LOSSAPI_TEST_BACKENDS"
    return unavailable_reason(name)


def backend_params(names: Iterable[str]) -> list:
    """``pytest.param`` per backend, marked skip (with the reason) when it cannot run."""
    out = []
    for n in names:
        reason = backend_skip_reason(n)
        out.append(pytest.param(n, id=n, marks=pytest.mark.skip(reason=reason) if reason else ()))
    return out


LOSS_NAMES = [r.name for r in lossapi.catalog()]
SMOOTH_LOSSES = [r.name for r in lossapi.catalog() if r.smooth]
NATIVE_LOSSES = [n for n in LOSS_NAMES if "torch" in native_backends(n)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    if "loss_name" in names and "native_mode" in names:
        params = [
            pytest.param(n, m, id=f"{n}-{'native' if m else 'generic'}")
            for n in LOSS_NAMES
            for m in ((True, False) if n in NATIVE_LOSSES else (True,))
        ]
        metafunc.parametrize(("loss_name", "native_mode"), params)
    elif "loss_name" in names:
        metafunc.parametrize("loss_name", LOSS_NAMES)
    if "smooth_loss" in names:
        metafunc.parametrize("smooth_loss", SMOOTH_LOSSES)
    if "native_loss" in names and "native_backend" in names:
        pairs = [pytest.param(n, b, id=f"{n}-{b}") for n in LOSS_NAMES for b in native_backends(n)]
        metafunc.parametrize(("native_loss", "native_backend"), pairs)
    elif "native_loss" in names:
        metafunc.parametrize("native_loss", NATIVE_LOSSES)
    if "any_backend" in names:
        metafunc.parametrize("any_backend", backend_params(BACKENDS))
    if "ad_backend" in names:
        metafunc.parametrize("ad_backend", backend_params(n for n, b in BACKENDS.items() if b.differentiable))


#: Gradient tests that share evaluations per loss (``grad_checks.sharing``).
SHARING_TESTS = ("test_gradients_match_finite_differences", "test_edge_gradients", "test_torch_and_jax_gradients_agree")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One loss's sharing tests back to back, where the first of them was: they reuse each
    # other's results, and xdist hands each worker contiguous runs of tests.
    def sharing(item: pytest.Item) -> bool:
        spec = getattr(item, "callspec", None)
        return getattr(item, "originalname", None) in SHARING_TESTS and spec is not None and "loss_name" in spec.params

    group = [it for it in items if sharing(it)]
    if not group:
        return
    first = next(i for i, it in enumerate(items) if sharing(it))
    order = {n: i for i, n in enumerate(LOSS_NAMES)}
    group.sort(key=lambda it: order[it.callspec.params["loss_name"]])  # type: ignore[attr-defined]
    rest = [it for it in items if not sharing(it)]
    items[:] = rest[:first] + group + rest[first:]


def require_backends(*names: str) -> None:
    """Skip the running test unless every backend in ``names`` can run."""
    for n in names:
        reason = backend_skip_reason(n)
        if reason:
            pytest.skip(reason)


@pytest.fixture
def require() -> Callable[..., None]:
    """``require("torch", "jax")``: skip the test unless all those backends can run."""
    return require_backends


@pytest.fixture
def skip_reason() -> Callable[[str], str | None]:
    """``skip_reason(backend)``: why that backend is unusable on this machine (ignoring
    ``LOSSAPI_TEST_BACKENDS``), or None."""
    return unavailable_reason


def _case_of(name: str) -> Case:
    cases = load_cases()
    if name not in cases:
        pytest.fail(f"catalog loss {name!r} has no conformance case in lossapi._conformance.CASES")
    return cases[name]


@pytest.fixture
def case(request: pytest.FixtureRequest) -> Case:
    """The conformance case of the test's loss (``loss_name``/``smooth_loss``/``native_loss``)."""
    for arg in ("loss_name", "smooth_loss", "native_loss"):
        if arg in request.fixturenames:
            return _case_of(request.getfixturevalue(arg))
    raise RuntimeError("the case fixture needs a loss_name, smooth_loss or native_loss argument")


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test id: reproducible, different per test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


# -- the report of a suite run ----------------------------------------------------------------
# With LOSSAPI_REPORT_DIR set, every check result that reaches assert_checks is saved (one file
# per process: xdist workers run in parallel) and the controller writes report.md / report.html
# there at the end, aggregated per loss, backend and check. `nox -s all` sets it for CI; the
# docs publish that report.

REPORT_DIR = os.environ.get("LOSSAPI_REPORT_DIR", "").strip()


def _parts_dir() -> Path:
    return Path(REPORT_DIR) / "parts"


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config._lossapi_start = time.perf_counter()  # type: ignore[attr-defined]
    if REPORT_DIR and not hasattr(session.config, "workerinput"):
        shutil.rmtree(_parts_dir(), ignore_errors=True)  # a previous run's results


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not REPORT_DIR or hasattr(session.config, "workerinput"):
        return
    from lossapi._conformance.report import aggregate, load_results, write_report

    results = aggregate(load_results(sorted(_parts_dir().glob("*.jsonl"))))
    if not results:
        return
    start = getattr(session.config, "_lossapi_start", None)
    elapsed = None if start is None else time.perf_counter() - start
    mode = f"pytest conformance suite ({session.testscollected} tests, exit status {int(exitstatus)})"
    for name in ("report.md", "report.html"):
        write_report(
            results, Path(REPORT_DIR) / name, backends=selected_backends(), quick=False, elapsed=elapsed, mode=mode
        )
    shutil.rmtree(_parts_dir(), ignore_errors=True)


def _assert_results(results: list[CheckResult]) -> None:
    if REPORT_DIR:
        from lossapi._conformance.report import save_results

        _parts_dir().mkdir(parents=True, exist_ok=True)
        save_results(results, _parts_dir() / f"{os.getpid()}.jsonl")
    ran = [r for r in results if not r.skipped]
    if not ran:
        pytest.skip("; ".join(sorted({r.detail for r in results})) or "nothing ran")
    failed = [r for r in ran if not r.ok]
    assert not failed, "\n".join(f"{r.loss} [{r.backend}] {r.check}: {r.detail}" for r in failed)


@pytest.fixture
def assert_checks() -> Callable[[list[CheckResult]], None]:
    """``assert_checks(results)``: fail with every failing check's detail; skip if none ran."""
    return _assert_results
