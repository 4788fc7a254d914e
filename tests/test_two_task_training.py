"""End-to-end: a two-task model trained with uncertainty weighting in torch and in JAX.

The runnable example ``examples/two_task_uncertainty.py`` (run it with
``JAX_ENABLE_X64=1 python examples/two_task_uncertainty.py``) defines the model and the loss
once with lossapi (``la.mse`` + ``la.cross_entropy`` combined by ``la.uncertainty_weighting``,
plus ``la.l2_penalty``) and trains it with hand-written float64 SGD from the same initial
weights in both frameworks. Here: the weights and log-variances agree after 20 steps, training
moved them and lowered the loss, and the first log-variance update matches the hand-derived
gradient ``1 - exp(-s) L``.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import lossapi as la

_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "two_task_uncertainty.py"


@pytest.fixture(scope="module")
def example():
    pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    spec = importlib.util.spec_from_file_location("two_task_uncertainty", _EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_torch_and_jax_reach_the_same_weights(example):
    data, init = example.make_data()
    wt = example.train_torch(data, init)
    wj = example.train_jax(data, init)
    for k in example.NAMES:
        np.testing.assert_allclose(wt[k], wj[k], rtol=1e-10, atol=1e-12, err_msg=k)
        assert not np.allclose(wt[k], init[k]), f"{k} did not move"
    # training lowered the objective (evaluated with NumPy arrays: same lossapi code)
    assert float(example.objective(np, wt, data)) < float(example.objective(np, init, data))


def test_first_log_variance_step_by_hand(example):
    data, init = example.make_data()
    one = example.train_torch(data, init, steps=1)
    onej = example.train_jax(data, init, steps=1)
    # s = 0 at the start: ds_i = 1 - exp(0) L_i = 1 - L_i, so s_1 = -lr (1 - L_i)
    h = np.tanh(data["x"] @ init["W"])
    reg = np.mean((h @ init["a"] - data["y"]) ** 2)
    z = h @ init["B"]
    lse = np.log(np.sum(np.exp(z), axis=1))
    cls = np.mean(lse - z[np.arange(len(z)), data["c"]])
    want = -example.LR * (1.0 - np.array([reg, cls]))
    np.testing.assert_allclose(one["log_vars"], want, rtol=1e-12)
    np.testing.assert_allclose(onej["log_vars"], want, rtol=1e-12)
    assert math.isfinite(float(la.uncertainty_weighting([np.asarray(reg), np.asarray(cls)], np.zeros(2))))
