"""Transforms run and match eager: jax.jit / vmap / grad-under-jit, torch.compile(fullgraph=True),
torch.func.grad / vmap -- the torch ones with native fast paths on and off.

``torch.compile`` uses the ``eager`` backend (graph capture only, still fails on any graph
break) unless ``LOSSAPI_COMPILE_BACKEND=inductor``; one option set per loss, since each
compilation costs about a second.
"""

from __future__ import annotations

import dataclasses

import pytest

import lossapi
from lossapi._conformance import transform_checks as tc

# Dynamo notes that it traces through array-api-compat's lru_cache'd type checks: harmless here.
pytestmark = pytest.mark.filterwarnings("ignore:Dynamo detected a call to a `functools.lru_cache`:UserWarning")


def test_jax_jit_vmap_and_grad_under_jit(loss_name, case, assert_checks, require):
    require("jax")
    assert_checks(tc.check_jax_transforms(loss_name))


def test_torch_func_grad_and_vmap(loss_name, native_mode, case, assert_checks, require):
    require("torch")
    assert_checks(tc.check_torch_func(loss_name, native=native_mode))


def test_torch_compile_fullgraph(loss_name, native_mode, case, assert_checks, require):
    require("torch")
    assert_checks(tc.check_torch_compile(loss_name, native=native_mode))


# -- the checks can fail ------------------------------------------------------------------------


def _patch_record(monkeypatch, name, fn):
    rec = dataclasses.replace(lossapi.lookup_loss(name), fn=fn)
    monkeypatch.setattr(tc, "get_record", lambda n: rec if n == name else lossapi.lookup_loss(n))


def test_compile_check_catches_a_graph_break(monkeypatch, require):
    require("torch")

    def breaks(pred, target, **kw):
        # float() of a tensor forces a graph break; fullgraph=True must turn it into a failure.
        scale = 1.0 if float(pred.sum()) == float(pred.sum()) else 2.0
        return lossapi.mse(pred, target, **kw) * scale

    _patch_record(monkeypatch, "mean_squared_error", breaks)
    (r,) = tc.check_torch_compile("mean_squared_error")
    assert not r.ok


def test_transform_checks_catch_trace_dependent_results(monkeypatch, require):
    require("jax", "torch")
    import jax
    import torch

    def traced_differs(pred, target, **kw):
        # Differs only under a transform: what a loss with a Python-side branch on the
        # array's concrete value/type would do. jit, vmap and both torch.func transforms see it.
        under = isinstance(pred, jax.core.Tracer) or (
            isinstance(pred, torch.Tensor) and torch._C._functorch.is_batchedtensor(pred)
        )
        return lossapi.mse(pred, target, **kw) * (2.0 if under else 1.0)

    _patch_record(monkeypatch, "mean_squared_error", traced_differs)
    results = tc.check_jax_transforms("mean_squared_error", quick=True)
    results += tc.check_torch_func("mean_squared_error", quick=True)
    failed = {r.check for r in results if not r.ok}
    assert {"jax.jit", "jax.vmap", "torch.func.vmap"} <= failed, failed
