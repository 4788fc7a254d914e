"""Placement and laziness: namespace, dtype (16-bit in, 16-bit out), device, Dask laziness, CuPy."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import lossapi
from lossapi._conformance import transform_checks as tc
from lossapi._conformance.backends import BACKENDS


def test_result_namespace(loss_name, any_backend, case, assert_checks):
    assert_checks(tc.check_namespace(loss_name, any_backend))


def test_result_dtype_follows_pred(loss_name, any_backend, case, assert_checks):
    # Every dtype the backend has: float32/float64, and float16/bfloat16 computed in float32.
    assert_checks(tc.check_dtypes(loss_name, any_backend))


def test_array_api_strict_non_default_device(loss_name, case, assert_checks, require):
    require("array_api_strict")
    import array_api_strict

    assert_checks(tc.check_device(loss_name, "array_api_strict", array_api_strict.Device("device1")))


def test_torch_cuda_device(loss_name, case, assert_checks, require):
    require("torch")
    import torch

    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA device here")
    assert_checks(tc.check_device(loss_name, "torch", torch.device("cuda")))


def test_dask_stays_lazy(loss_name, case, assert_checks, require):
    require("dask")
    assert_checks(tc.check_dask_lazy(loss_name))


def test_cupy(loss_name, case, assert_checks, require):
    # Skips with "CuPy needs a CUDA GPU, and none is present" on machines without one.
    require("cupy")
    assert_checks(tc.check_namespace(loss_name, "cupy") + tc.check_dtypes(loss_name, "cupy"))


def test_cupy_skip_reason_names_the_gpu(skip_reason):
    if BACKENDS["cupy"].available():
        pytest.skip("a GPU is present: the CuPy tests run")
    reason = skip_reason("cupy")
    assert reason is not None and "CuPy" in reason and "GPU" in reason


# -- the checks can fail ------------------------------------------------------------------------


def _patch_record(monkeypatch, name, fn):
    rec = dataclasses.replace(lossapi.lookup_loss(name), fn=fn)
    monkeypatch.setattr(tc, "get_record", lambda n: rec if n == name else lossapi.lookup_loss(n))


def test_dask_check_catches_an_eager_compute(monkeypatch, require):
    require("dask")

    def eager(pred, target, **kw):
        if float(pred.sum()) != float(pred.sum()):  # a hidden compute, e.g. a value check
            raise AssertionError
        return lossapi.mse(pred, target, **kw)

    _patch_record(monkeypatch, "mean_squared_error", eager)
    for quick in (False, True):
        (r,) = tc.check_dask_lazy("mean_squared_error", quick=quick)
        assert not r.ok and "eagerly" in r.detail


def test_placement_checks_catch_wrong_dtype_namespace_and_device(monkeypatch, require):
    require("array_api_strict")
    import array_api_strict as xps

    def wrong(pred, target, **kw):
        # Computes in NumPy float64 on the default device: every placement rule broken.
        out = lossapi.mse(np.asarray(pred._array, dtype=np.float64), np.asarray(target._array), **kw)
        return xps.asarray(out) if kw.get("reduction") == "none" else xps.asarray(float(out))

    _patch_record(monkeypatch, "mean_squared_error", wrong)
    assert not tc.check_dtypes("mean_squared_error", "array_api_strict", ("float32",))[0].ok
    assert not tc.check_device("mean_squared_error", "array_api_strict")[0].ok
    monkeypatch.setattr(
        tc,
        "get_record",
        lambda n: dataclasses.replace(lossapi.lookup_loss(n), fn=lambda p, t, **kw: float(lossapi.mse(p, t, **kw))),
    )
    assert not tc.check_namespace("mean_squared_error", "numpy")[0].ok


@pytest.mark.parametrize("traced", [False, True])
def test_namespace_check_catches_a_python_scalar_on_jax(monkeypatch, require, traced):
    # Traced (the quick mode) the loss sees tracers: float() of one raises, which fails too.
    require("jax")

    def scalar(pred, target, **kw):
        out = lossapi.mse(pred, target, **kw)
        return out if kw.get("reduction") == "none" else float(out)

    _patch_record(monkeypatch, "mean_squared_error", scalar)
    (r,) = tc.check_namespace("mean_squared_error", "jax", traced=traced)
    assert not r.ok and "[mean]" in r.detail and "[sum]" in r.detail and "[none]" not in r.detail
    monkeypatch.undo()
    (r,) = tc.check_namespace("mean_squared_error", "jax", traced=traced)
    assert r.ok, r.detail
