"""lossapi.pytest_plugin: a user's test file using the fixtures runs and parametrizes as documented."""

from __future__ import annotations

import importlib
import importlib.util
import os

# In-process pytester runs drop the modules a run imported; NumPy's extension modules cannot be
# loaded twice, so the namespaces the user suite needs are imported here, once.
import array_api_compat.numpy  # noqa: F401
import pytest

pytest_plugins = ["pytester"]

# This repository's own backend selection, read before the fixtures clear it for the user suite.
_SELECTED = [n.strip() for n in os.environ.get("LOSSAPI_TEST_BACKENDS", "").split(",") if n.strip()]

USER_TESTS = """
import numpy as np
import lossapi as la
from lossapi.testing import assert_close

def test_mse(xp, dtype, device):
    pred = xp.asarray([1.0, 2.0, 4.0], dtype=dtype, device=device)
    target = xp.asarray([1.0, 2.0, 2.0], dtype=dtype, device=device)
    out = la.mse(pred, target)
    assert out.dtype == dtype
    assert_close(out, 4.0 / 3.0)

def test_inputs(loss_inputs, backend_name, dtype_name):
    inp = loss_inputs("cross_entropy", shape=(4,), options={"ignore_index": -100})
    assert str(inp["logits"].dtype).endswith(dtype_name)
    out = la.cross_entropy(*inp.args, **inp.kwargs)
    assert_close(out, out)

def test_names_only(dtype_name):
    assert dtype_name in ("float32", "float64", "float16")
"""


def _installed(*names: str) -> None:
    for n in names:
        if _SELECTED and n not in _SELECTED:
            pytest.skip(f"{n} not selected by LOSSAPI_TEST_BACKENDS")
        if importlib.util.find_spec(n) is None:
            pytest.skip(f"{n} is not installed")
        if n in ("torch", "array_api_strict"):
            importlib.import_module("array_api_compat.torch" if n == "torch" else n)


@pytest.fixture
def user_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("LOSSAPI_TEST_BACKENDS", raising=False)
    monkeypatch.delenv("LOSSAPI_TEST_DTYPES", raising=False)
    pytester.makeconftest('pytest_plugins = ["lossapi.pytest_plugin"]\n')
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


def test_fixtures_parametrize_over_selected_backends_and_dtypes(user_suite: pytest.Pytester) -> None:
    _installed("torch")
    result = user_suite.runpytest_inprocess("--lossapi-backends=numpy,torch", "-v")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(
        [
            "*test_mse[[]numpy-float32[]] PASSED*",
            "*test_mse[[]torch-float64[]] PASSED*",
            "*test_inputs[[]torch-float32[]] PASSED*",
            "*test_names_only[[]float64[]] PASSED*",
        ]
    )


def test_environment_selects_backends_and_dtypes(user_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOSSAPI_TEST_BACKENDS", "numpy")
    monkeypatch.setenv("LOSSAPI_TEST_DTYPES", "float32")
    result = user_suite.runpytest_inprocess("-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_mse[[]numpy-float32[]] PASSED*"])


def test_option_wins_over_environment_and_missing_dtypes_skip(
    user_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _installed("array_api_strict")
    monkeypatch.setenv("LOSSAPI_TEST_BACKENDS", "torch")
    result = user_suite.runpytest_inprocess("--lossapi-backends=array_api_strict", "--lossapi-dtypes=float16", "-rs")
    # array-api-strict has no float16: the two tests that need a dtype object skip with the reason.
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*array_api_strict has no float16*"])


def test_unavailable_backend_is_collected_and_skipped(user_suite: pytest.Pytester) -> None:
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("cupy is installed")
    result = user_suite.runpytest_inprocess("--lossapi-backends=cupy", "--lossapi-dtypes=float64", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*cupy is not installed*"])


def test_unknown_names_are_usage_errors(user_suite: pytest.Pytester) -> None:
    result = user_suite.runpytest_inprocess("--lossapi-backends=numpy,tensorflow")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--lossapi-backends names unknown 'tensorflow'*"])
    result = user_suite.runpytest_inprocess("--lossapi-dtypes=float8")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--lossapi-dtypes names unknown 'float8'*"])


def test_jax_float64_follows_the_x64_setting(user_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _installed("jax")
    # A fresh process: whether jax may compute in float64 is fixed when jax is first imported.
    monkeypatch.setenv("JAX_ENABLE_X64", "1")
    result = user_suite.runpytest_subprocess("--lossapi-backends=jax", "-k", "test_mse")
    result.assert_outcomes(passed=2)
    monkeypatch.delenv("JAX_ENABLE_X64")
    result = user_suite.runpytest_subprocess("--lossapi-backends=jax", "-k", "test_mse", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*float64 on JAX needs 64-bit mode*"])
