"""Known answers for the reinforcement-learning losses, computed by hand (never by lossapi).

Also: advantages and old log-probabilities carry no gradient (exactly 0 on torch and JAX), the
PPO gradient in each branch and at the ties ``r = 1 ± clip`` (torch == JAX == the unclipped
branch), saturated ratios, option errors and jit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lossapi as la
from lossapi import InvalidOptionError

L = math.log  # log-probabilities whose ratios are exact: exp(log(v)) == v in float64


def _run(backend, fn, *arrays, **kw):
    out = fn(*[backend.asarray(np.asarray(a, dtype=np.float64)) for a in arrays], **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


# -- known answers -----------------------------------------------------------------------------------


def test_policy_gradient_known_answers(backend):
    lp = np.array([L(0.5), L(0.25), 0.0])
    a = np.array([2.0, -1.0, 3.0])
    # -log p * A = [2 log 2, -2 log 2, 0]
    want = [2 * L(2), -2 * L(2), 0.0]
    np.testing.assert_allclose(_run(backend, la.policy_gradient, lp, a, reduction="none"), want, rtol=1e-12, atol=1e-15)
    assert float(_run(backend, la.policy_gradient, lp, a, reduction="sum")) == pytest.approx(0.0, abs=1e-12)
    # weighted mean: w = [1, 0, 1] -> (2 log 2 + 0) / 2 = log 2
    got = _run(backend, la.policy_gradient, lp, a, sample_weight=backend.asarray(np.array([1.0, 0.0, 1.0])))
    assert float(got) == pytest.approx(L(2), rel=1e-12)


def test_value_function_known_answers(backend):
    v, r = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.0, 0.0, 0.0, 1.0])
    # errors e = [1, -2, 0.5, 2]; MSE: e^2 = [1, 4, 0.25, 4]
    np.testing.assert_allclose(_run(backend, la.value_function, v, r, reduction="none"), [1, 4, 0.25, 4], rtol=1e-12)
    # Huber delta 1: |e| <= 1 -> e^2/2, else |e| - 1/2: [0.5, 1.5, 0.125, 1.5]; mean 3.625 / 4
    np.testing.assert_allclose(
        _run(backend, la.value_function, v, r, delta=1.0, reduction="none"), [0.5, 1.5, 0.125, 1.5], rtol=1e-12
    )
    assert float(_run(backend, la.value_function, v, r, delta=1.0)) == pytest.approx(0.90625, rel=1e-12)


def test_value_function_is_mse_and_huber():
    rng = np.random.default_rng(0)
    v, r = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    assert float(la.value_function(v, r)) == pytest.approx(float(la.mean_squared_error(v, r)), rel=1e-14)
    assert float(la.value_function(v, r, delta=0.3)) == pytest.approx(float(la.huber(v, r, delta=0.3)), rel=1e-14)


# r, A, clip 0.2 -> -min(r A, clip(r, 0.8, 1.2) A)
_PPO = [
    (1.5, 1.0, -1.2),  # A > 0, r above range: clipped, -1.2 * 1
    (1.5, -1.0, 1.5),  # A < 0, r above range: unclipped min(-1.5, -1.2) = -1.5
    (0.5, -1.0, 0.8),  # A < 0, r below range: clipped, min(-0.5, -0.8) = -0.8
    (0.5, 2.0, -1.0),  # A > 0, r below range: unclipped, min(1.0, 1.6) = 1.0
    (1.0, 2.0, -2.0),  # inside the range: -r A
    (1.25, -2.0, 2.5),  # A < 0 above range: unclipped min(-2.5, -2.4) = -2.5
    (0.75, 4.0, -3.0),  # A > 0 below range: unclipped min(3, 3.2) = 3
    (1.1, 0.0, 0.0),  # zero advantage
]


def test_ppo_clip_known_answers(backend):
    r = np.array([row[0] for row in _PPO])
    a = np.array([row[1] for row in _PPO])
    want = np.array([row[2] for row in _PPO])
    old = np.full(len(_PPO), -0.7)
    lp = np.log(r) + old
    np.testing.assert_allclose(_run(backend, la.ppo_clip, lp, old, a, reduction="none"), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_run(backend, la.ppo_clip, lp, old, a), want.mean(), rtol=1e-12)


def test_ppo_clip_zero_d_array_clip(backend):
    # clip 0.5 as a 0-d array: r = 1.6, A = 1 -> -1.5; r = 0.4, A = -1 -> 0.5
    lp, old, a = np.log([1.6, 0.4]), np.zeros(2), np.array([1.0, -1.0])
    got = _run(backend, la.ppo_clip, lp, old, a, clip=backend.asarray(np.array(0.5)), reduction="none")
    np.testing.assert_allclose(got, [-1.5, 0.5], rtol=1e-12)
    # clip 1.5 >= 1: the lower bound 1 - clip < 0 never binds; r = 0.4, A = -1 -> 0.4; r = 3, A = 1 -> -2.5
    lp = np.log([0.4, 3.0])
    for clip in (1.5, backend.asarray(np.array(1.5))):
        got = _run(backend, la.ppo_clip, lp, old, -a, clip=clip, reduction="none")
        np.testing.assert_allclose(got, [0.4, -2.5], rtol=1e-12)


# -- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("clip", [0.0, -0.1, float("nan")])
def test_ppo_clip_rejects_bad_clip(clip):
    with pytest.raises(InvalidOptionError, match=r"lossapi\.ppo_clip: clip="):
        la.ppo_clip(np.zeros(2), np.zeros(2), np.ones(2), clip=clip)


@pytest.mark.parametrize("delta", [0.0, -1.0])
def test_value_function_rejects_bad_delta(delta):
    with pytest.raises(InvalidOptionError, match=r"lossapi\.value_function: delta="):
        la.value_function(np.zeros(2), np.ones(2), delta=delta)


# -- gradients -----------------------------------------------------------------------------------------


def _torch_grads(torch, fn, *arrays, **kw):
    ts = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    fn(*ts, reduction="sum", **kw).backward()
    # A detached input gets no gradient at all (grad None): that is an exact zero.
    return [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in ts]


def _jax_grads(jax, fn, *arrays, **kw):
    import jax.numpy as jnp

    args = [jnp.asarray(np.asarray(a, dtype=np.float64)) for a in arrays]
    g = jax.grad(lambda *xs: fn(*xs, reduction="sum", **kw), argnums=tuple(range(len(args))))(*args)
    return [np.asarray(x) for x in g]


def test_policy_gradient_gradients(torch, jax):
    lp, a = np.log([0.5, 0.25, 0.9]), np.array([2.0, -1.0, 0.5])
    for g_lp, g_a in (_torch_grads(torch, la.policy_gradient, lp, a), _jax_grads(jax, la.policy_gradient, lp, a)):
        np.testing.assert_array_equal(g_lp, -a)  # d(-lp A)/d lp = -A
        np.testing.assert_array_equal(g_a, np.zeros(3))  # advantages carry no gradient: exactly 0


def test_ppo_clip_gradients(torch, jax):
    r = np.array([row[0] for row in _PPO])
    a = np.array([row[1] for row in _PPO])
    old = np.full(len(_PPO), -0.7)
    lp = np.log(r) + old
    # d/d lp of -r A is -r A (dr/dlp = r) in the unclipped branch, 0 where the clipped one is active.
    want = np.array([0.0, 1.5, 0.0, -1.0, -2.0, 2.5, -3.0, 0.0])
    gt = _torch_grads(torch, la.ppo_clip, lp, old, a)
    gj = _jax_grads(jax, la.ppo_clip, lp, old, a)
    for g_lp, g_old, g_a in (gt, gj):
        np.testing.assert_allclose(g_lp, want, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(g_old, np.zeros(len(_PPO)))
        np.testing.assert_array_equal(g_a, np.zeros(len(_PPO)))


def test_ppo_clip_tie_convention(torch, jax):
    # r exactly 1 ± clip (clip 0.25): the branches tie, the unclipped gradient -A r is taken.
    r = np.array([1.25, 1.25, 0.75, 0.75])
    a = np.array([2.0, -2.0, 2.0, -2.0])
    lp, old = np.log(r), np.zeros(4)
    want_value = -r * a
    np.testing.assert_allclose(la.ppo_clip(lp, old, a, clip=0.25, reduction="none"), want_value, rtol=1e-15)
    gt = _torch_grads(torch, la.ppo_clip, lp, old, a, clip=0.25)[0]
    gj = _jax_grads(jax, la.ppo_clip, lp, old, a, clip=0.25)[0]
    np.testing.assert_array_equal(gt, gj)
    np.testing.assert_allclose(gt, -a * r, rtol=1e-15)


def test_ppo_clip_saturated_ratio(torch, jax):
    # log-ratio +-1e4 on the clipped side: value -(1 + 0.2) * 1 and -(0.8) * (-1); gradient exactly 0.
    lp, old, a = np.array([0.0, -1e4]), np.array([-1e4, 0.0]), np.array([1.0, -1.0])
    np.testing.assert_allclose(la.ppo_clip(lp, old, a, reduction="none"), [-1.2, 0.8], rtol=1e-15)
    for g in (_torch_grads(torch, la.ppo_clip, lp, old, a), _jax_grads(jax, la.ppo_clip, lp, old, a)):
        for x in g:
            np.testing.assert_array_equal(x, np.zeros(2))


def test_value_function_gradients(torch, jax):
    v, r = np.array([0.5, 3.0, -2.0]), np.zeros(3)
    # Huber delta 1: clip(e, -1, 1) = [0.5, 1, -1]; MSE: 2 e = [1, 6, -4]
    for g in (
        _torch_grads(torch, la.value_function, v, r, delta=1.0)[0],
        _jax_grads(jax, la.value_function, v, r, delta=1.0)[0],
    ):
        np.testing.assert_allclose(g, [0.5, 1.0, -1.0], rtol=1e-15)
    for g in (_torch_grads(torch, la.value_function, v, r)[0], _jax_grads(jax, la.value_function, v, r)[0]):
        np.testing.assert_allclose(g, [1.0, 6.0, -4.0], rtol=1e-15)


def test_jit(jax):
    import jax.numpy as jnp

    lp, old, a = jnp.log(jnp.asarray([1.5, 0.5])), jnp.zeros(2), jnp.asarray([1.0, -1.0])
    out = jax.jit(lambda x, y, z: la.ppo_clip(x, y, z, reduction="none"))(lp, old, a)
    np.testing.assert_allclose(np.asarray(out), [-1.2, 0.8], rtol=1e-12)
    # a traced clip: clip(r, 0.5, 1.5) with r = [1.5, 0.5] ties on both sides -> -r A = [-1.5, 0.5]
    out = jax.jit(lambda x, y, z, c: la.ppo_clip(x, y, z, clip=c, reduction="none"))(lp, old, a, jnp.asarray(0.5))
    np.testing.assert_allclose(np.asarray(out), [-1.5, 0.5], rtol=1e-12)
    out = jax.jit(lambda x, z: la.policy_gradient(x, z))(lp, a)
    assert float(out) == pytest.approx(-(L(1.5) - L(0.5)) / 2, rel=1e-12)
