"""Composition and training utilities: known answers by hand (never by lossapi), errors, gradients.

Every utility runs on every backend with losses given as a sequence of 0-d arrays and as a 1-d
array; gradients are checked on torch and JAX against hand-derived formulas (uncertainty
weighting w.r.t. log-variances and losses, GradNorm's detached target, trimmed's 1/k, the L1
penalty's 0 at 0), ``trimmed`` runs under ``jax.jit``, and ``smooth_labels`` equals optax.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import lossapi as la
from lossapi._errors import (
    InputTypeError,
    InvalidDTypeError,
    InvalidOptionError,
    NamespaceMismatchError,
    ShapeMismatchError,
)


def _seq(backend, values):
    """A Python list of 0-d arrays of ``backend``."""
    return [backend.asarray(np.float64(v)) for v in values]


def _val(backend, out):
    assert backend.is_native(out)
    assert tuple(out.shape) == ()
    return float(backend.to_numpy(out))


# -- known answers on every backend ----------------------------------------------------------------


def test_weighted_sum_known_answers(backend):
    # 0.5 * 2 + 2 * 3 = 7
    assert _val(backend, la.weighted_sum(_seq(backend, [2.0, 3.0]), [0.5, 2.0])) == pytest.approx(7.0, rel=1e-12)
    # 1*1 + 0*2 - 1*3 = -2 (1-d arrays)
    out = la.weighted_sum(backend.asarray([1.0, 2.0, 3.0]), backend.asarray([1.0, 0.0, -1.0]))
    assert _val(backend, out) == pytest.approx(-2.0, rel=1e-12)
    # sequences of arrays for both: 4 * 0.25 + 1 * 3 = 4
    assert _val(backend, la.weighted_sum(_seq(backend, [4.0, 1.0]), _seq(backend, [0.25, 3.0]))) == pytest.approx(4.0)
    # a single 0-d loss: 2 * 5 = 10
    assert _val(backend, la.weighted_sum(backend.asarray(5.0), 2.0)) == pytest.approx(10.0)


def test_uncertainty_weighting_known_answers(backend):
    # s = 0: 2 + 3 = 5
    assert _val(backend, la.uncertainty_weighting(_seq(backend, [2.0, 3.0]), [0.0, 0.0])) == pytest.approx(5.0)
    # s = [log 2, -1]: 2/2 + log 2 + 3 e - 1 = log 2 + 3e
    out = la.uncertainty_weighting(backend.asarray([2.0, 3.0]), backend.asarray([math.log(2.0), -1.0]))
    assert _val(backend, out) == pytest.approx(math.log(2.0) + 3 * math.e, rel=1e-12)


def test_gradnorm_known_answers(backend):
    # L~ = [0.5, 0.5] -> r = [1, 1], mean G = 2: |1 - 2| + |3 - 2| = 2
    out = la.gradnorm(backend.asarray([1.0, 3.0]), backend.asarray([0.5, 1.0]), backend.asarray([1.0, 2.0]))
    assert _val(backend, out) == pytest.approx(2.0, rel=1e-12)
    # L~ = [1, 3] / 1 -> mean 2, r = [0.5, 1.5]; alpha = 1, mean G = 2 -> targets [1, 3];
    # G = [2, 2]: |2 - 1| + |2 - 3| = 2
    out = la.gradnorm(_seq(backend, [2.0, 2.0]), _seq(backend, [1.0, 3.0]), [1.0, 1.0], alpha=1.0)
    assert _val(backend, out) == pytest.approx(2.0, rel=1e-12)
    # alpha = 2: targets 2 * [0.25, 2.25] = [0.5, 4.5]; G = [1, 3]: 0.5 + 1.5 = 2
    out = la.gradnorm(backend.asarray([1.0, 3.0]), backend.asarray([1.0, 3.0]), backend.asarray([1.0, 1.0]), alpha=2.0)
    assert _val(backend, out) == pytest.approx(2.0, rel=1e-12)


def test_mixup_known_answers(backend):
    p = backend.asarray([1.0, 2.0])
    a = backend.asarray([1.0, 2.0])  # mse 0
    b = backend.asarray([3.0, 4.0])  # mse 4
    # 0.25 * 0 + 0.75 * 4 = 3
    assert _val(backend, la.mixup(la.mse, p, a, b, 0.25)) == pytest.approx(3.0, rel=1e-12)
    # lam as a 0-d array: 0.5 * 0 + 0.5 * 4 = 2
    assert _val(backend, la.mixup(la.mse, p, a, b, backend.asarray(0.5))) == pytest.approx(2.0, rel=1e-12)
    # per-element loss via partial: 0.25 * [0, 0] + 0.75 * [4, 4]
    out = la.mixup(functools.partial(la.mse, reduction="none"), p, a, b, 0.25)
    np.testing.assert_allclose(backend.to_numpy(out), [3.0, 3.0], rtol=1e-12)


def test_mixup_equals_mixed_soft_target_cross_entropy(backend):
    # cross-entropy is linear in the target: mixing losses = loss of the mixed target
    logits = backend.asarray([[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]])
    ya = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    yb = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    mixed = la.mixup(la.cross_entropy, logits, backend.asarray(ya), backend.asarray(yb), 0.3)
    direct = la.cross_entropy(logits, backend.asarray(0.3 * ya + 0.7 * yb))
    assert _val(backend, mixed) == pytest.approx(_val(backend, direct), rel=1e-12)


def test_trimmed_known_answers(backend):
    # n = 4, r = 0.25 -> k = 3: mean(1, 2, 3) = 2
    assert _val(backend, la.trimmed(backend.asarray([1.0, 100.0, 2.0, 3.0]), trim_ratio=0.25)) == pytest.approx(2.0)
    # default r = 0.1, n = 10 -> k = 9: drop the 1000; mean(0..8) = 4
    x = np.array([3.0, 1000.0, 0.0, 8.0, 1.0, 2.0, 7.0, 4.0, 6.0, 5.0])
    assert _val(backend, la.trimmed(backend.asarray(x))) == pytest.approx(4.0, rel=1e-12)
    # r = 0.9, n = 10 -> k = 1 (n(1 - r) rounded to 9 decimals before the floor): the minimum 0
    assert _val(backend, la.trimmed(backend.asarray(x), trim_ratio=0.9)) == pytest.approx(0.0, abs=1e-15)
    # r = 0 keeps everything: (36 + 1000) / 10
    assert _val(backend, la.trimmed(backend.asarray(x), trim_ratio=0.0)) == pytest.approx(103.6, rel=1e-12)
    # a sequence of 0-d losses; n = 3, r = 0.34 -> k = floor(1.98) = 1: min = -1
    assert _val(backend, la.trimmed(_seq(backend, [5.0, -1.0, 2.0]), trim_ratio=0.34)) == pytest.approx(-1.0)
    # a 2-d array is flattened: n = 4, r = 0.5 -> k = 2: mean(1, 2)
    assert _val(backend, la.trimmed(backend.asarray([[4.0, 1.0], [2.0, 3.0]]), trim_ratio=0.5)) == pytest.approx(1.5)


def test_penalties_known_answers(backend):
    params = [backend.asarray([1.0, -2.0]), backend.asarray([[0.5], [-0.5]])]
    # L1 = 1 + 2 + 0.5 + 0.5 = 4; L2 = 1 + 4 + 0.25 + 0.25 = 5.5
    assert _val(backend, la.l1_penalty(params)) == pytest.approx(4.0, rel=1e-12)
    assert _val(backend, la.l2_penalty(params)) == pytest.approx(5.5, rel=1e-12)
    assert _val(backend, la.l1_penalty(params[0])) == pytest.approx(3.0, rel=1e-12)
    assert _val(backend, la.l2_penalty(tuple(params[:1]))) == pytest.approx(5.0, rel=1e-12)
    # defaults alpha = 1, rho = 0.5: 0.5 * 4 + 0.5 * 5.5 = 4.75
    assert _val(backend, la.elastic_net_penalty(params)) == pytest.approx(4.75, rel=1e-12)
    # 2 * (0.25 * 3 + 0.75 * 5) = 9
    out = la.elastic_net_penalty(params[0], alpha=2.0, l1_ratio=0.25)
    assert _val(backend, out) == pytest.approx(9.0, rel=1e-12)
    # rho = 1 / 0 are alpha * L1 / alpha * L2; 0-d array options
    assert _val(backend, la.elastic_net_penalty(params, alpha=3.0, l1_ratio=1.0)) == pytest.approx(12.0)
    out = la.elastic_net_penalty(params, alpha=backend.asarray(3.0), l1_ratio=backend.asarray(0.0))
    assert _val(backend, out) == pytest.approx(16.5)


def test_smooth_labels_known_answers(backend):
    t = np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    # (1 - 0.2) t + 0.2 / 4 = 0.8 t + 0.05
    out = la.smooth_labels(backend.asarray(t), alpha=0.2)
    assert backend.is_native(out)
    np.testing.assert_allclose(backend.to_numpy(out), 0.8 * t + 0.05, rtol=1e-12)
    # axis 0 (K = 2): 0.5 t + 0.25
    out = la.smooth_labels(backend.asarray(t), alpha=backend.asarray(0.5), axis=0)
    np.testing.assert_allclose(backend.to_numpy(out), 0.5 * t + 0.25, rtol=1e-12)


def test_float32_keeps_dtype(backend):
    l32 = [backend.asarray(np.float32(2.0)), backend.asarray(np.float32(3.0))]
    out = la.weighted_sum(l32, [1.0, 1.0])
    assert out.dtype == backend.dtype("float32")
    assert la.l2_penalty(backend.asarray(np.ones(3, np.float32))).dtype == backend.dtype("float32")


# -- errors ------------------------------------------------------------------------------------------


def test_errors():
    one = np.array(1.0)
    with pytest.raises(InvalidOptionError, match=r"lossapi\.weighted_sum: `losses` is an empty list"):
        la.weighted_sum([], [])
    with pytest.raises(ShapeMismatchError, match=r"lossapi\.weighted_sum: `losses` has 2 entries but `weights` has 3"):
        la.weighted_sum([one, one], [1.0, 2.0, 3.0])
    with pytest.raises(ShapeMismatchError, match=r"uncertainty_weighting: `losses` has 2 entries but `log_vars` has 1"):
        la.uncertainty_weighting(np.array([1.0, 2.0]), np.array([0.0]))
    with pytest.raises(ShapeMismatchError, match=r"`losses\[1\]` has shape \(2,\)"):
        la.weighted_sum([one, np.ones(2)], [1.0, 1.0])
    with pytest.raises(InputTypeError, match=r"`losses` holds no array"):
        la.weighted_sum([1.0, 2.0], [1.0, 1.0])
    with pytest.raises(InvalidDTypeError, match=r"`losses\[0\]` has dtype int64"):
        la.weighted_sum([np.array(1)], [1.0])
    with pytest.raises(InvalidOptionError, match=r"lossapi\.gradnorm: `alpha` must be >= 0.0, got -0.5"):
        la.gradnorm(np.ones(2), np.ones(2), np.ones(2), alpha=-0.5)
    with pytest.raises(InvalidOptionError, match=r"`trim_ratio` must be in \[0.0, 1.0\), got 1.0"):
        la.trimmed(np.ones(4), trim_ratio=1.0)
    with pytest.raises(InvalidOptionError, match=r"`trim_ratio` must be in \[0.0, 1.0\), got -0.1"):
        la.trimmed(np.ones(4), trim_ratio=-0.1)
    with pytest.raises(InvalidOptionError, match=r"`trim_ratio` must be a Python number"):
        la.trimmed(np.ones(4), trim_ratio=np.array(0.1))
    with pytest.raises(InvalidOptionError, match=r"keeps floor\(2 \* \(1 - 0.6\)\) = 0 of 2 losses"):
        la.trimmed(np.ones(2), trim_ratio=0.6)
    with pytest.raises(InvalidOptionError, match=r"`alpha` must be >= 0.0, got -1.0"):
        la.elastic_net_penalty(np.ones(2), alpha=-1.0)
    with pytest.raises(InvalidOptionError, match=r"`l1_ratio` must be in \[0.0, 1.0\], got 1.5"):
        la.elastic_net_penalty(np.ones(2), l1_ratio=1.5)
    with pytest.raises(InvalidOptionError, match=r"lossapi\.l1_penalty: `params` is an empty tuple"):
        la.l1_penalty(())
    with pytest.raises(InputTypeError, match=r"lossapi\.l2_penalty: `params\[1\]` is a Python float"):
        la.l2_penalty([np.ones(2), 3.0])
    with pytest.raises(InvalidOptionError, match=r"lossapi\.mixup: `lam` must be in \[0.0, 1.0\], got 1.5"):
        la.mixup(la.mse, np.ones(2), np.ones(2), np.zeros(2), 1.5)
    with pytest.raises(InputTypeError, match=r"lossapi\.mixup: `loss_fn` must be a callable"):
        la.mixup("mse", np.ones(2), np.ones(2), np.zeros(2), 0.5)
    with pytest.raises(InvalidOptionError, match=r"lossapi\.smooth_labels: `alpha` must be in \[0.0, 1.0\]"):
        la.smooth_labels(np.eye(3), alpha=-0.1)
    with pytest.raises(InvalidOptionError, match=r"`axis` must be an int in \[-2, 2\)"):
        la.smooth_labels(np.eye(3), alpha=0.1, axis=2)
    with pytest.raises(InvalidDTypeError, match=r"lossapi\.smooth_labels: `target` has dtype int64"):
        la.smooth_labels(np.eye(3, dtype=np.int64), alpha=0.1)


def test_mixed_namespaces(torch):
    with pytest.raises(
        NamespaceMismatchError,
        match=r"lossapi\.weighted_sum: `losses\[0\]` is a numpy array but "
        r"`losses\[1\]` is a torch array",
    ):
        la.weighted_sum([np.array(1.0), torch.tensor(2.0)], [1.0, 1.0])
    with pytest.raises(NamespaceMismatchError, match=r"`weights\[0\]` is a torch array"):
        la.weighted_sum([np.array(1.0)], [torch.tensor(2.0)])
    with pytest.raises(NamespaceMismatchError, match=r"lossapi\.l1_penalty"):
        la.l1_penalty([np.ones(2), torch.ones(2)])


# -- gradients (torch and JAX, hand-derived) ---------------------------------------------------------


def _grads(torch, jax, fn, *arrays):
    """Gradients of ``fn`` w.r.t. each array, from torch and from JAX (float64 NumPy)."""
    ts = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    fn(*ts).backward()
    gt = [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in ts]  # None: no path
    jnp = jax.numpy
    gj = jax.grad(lambda *xs: fn(*xs), argnums=tuple(range(len(arrays))))(*[jnp.asarray(a) for a in arrays])
    return gt, [np.asarray(g) for g in gj]


def test_uncertainty_weighting_gradients(torch, jax):
    L = np.array([2.0, 0.5, 3.0])
    s = np.array([0.0, math.log(0.5), -1.0])
    gt, gj = _grads(torch, jax, la.uncertainty_weighting, L, s)
    # dL/ds = 1 - exp(-s) L = [1 - 2, 1 - 1, 1 - 3e]; dL/dL_i = exp(-s) = [1, 2, e]
    want_s = np.array([-1.0, 0.0, 1.0 - 3.0 * math.e])
    want_l = np.array([1.0, 2.0, math.e])
    for g in (gt, gj):
        np.testing.assert_allclose(g[0], want_l, rtol=1e-12)
        np.testing.assert_allclose(g[1], want_s, rtol=1e-12, atol=1e-15)
    # as sequences of 0-d tensors (the usual multi-task setup)
    t_l = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in L]
    t_s = torch.tensor(s, requires_grad=True)
    la.uncertainty_weighting(t_l, t_s).backward()
    np.testing.assert_allclose([t.grad.item() for t in t_l], want_l, rtol=1e-12)
    np.testing.assert_allclose(t_s.grad.numpy(), want_s, rtol=1e-12, atol=1e-15)


def test_gradnorm_gradient_flows_only_through_grad_norms(torch, jax):
    G = np.array([1.0, 3.0, 2.5])
    L = np.array([0.5, 1.0, 2.0])
    L0 = np.array([1.0, 2.0, 1.0])
    # L~ = [0.5, 0.5, 2] mean 1 -> r = [0.5, 0.5, 2]; alpha = 1, mean G = 13/6:
    # targets = 13/6 * r = [13/12, 13/12, 13/3]; G - target = [-1/12, 23/12, -11/6] -> signs [-1, 1, -1]
    f = functools.partial(la.gradnorm, alpha=1.0)
    gt, gj = _grads(torch, jax, f, G, L, L0)
    for g in (gt, gj):
        np.testing.assert_allclose(g[0], [-1.0, 1.0, -1.0], rtol=1e-12)
        np.testing.assert_allclose(g[1], 0.0, atol=0)  # target detached: nothing through losses
        np.testing.assert_allclose(g[2], 0.0, atol=0)
    assert float(f(G, L, L0)) == pytest.approx(1 / 12 + 23 / 12 + 11 / 6, rel=1e-12)


def test_trimmed_gradient_and_jit(torch, jax):
    x = np.array([1.0, 100.0, 2.0, 3.0])
    gt, gj = _grads(torch, jax, functools.partial(la.trimmed, trim_ratio=0.25), x)
    for g in (gt, gj):  # 1/k = 1/3 for the kept losses, 0 for the dropped one
        np.testing.assert_allclose(g[0], [1 / 3, 0.0, 1 / 3, 1 / 3], rtol=1e-12)
    jitted = jax.jit(la.trimmed, static_argnames="trim_ratio")
    assert float(jitted(jax.numpy.asarray(x), trim_ratio=0.25)) == pytest.approx(2.0, rel=1e-12)
    assert float(jitted(jax.numpy.asarray(x), trim_ratio=0.5)) == pytest.approx(1.5, rel=1e-12)
    g = jax.jit(jax.grad(functools.partial(la.trimmed, trim_ratio=0.5)))(jax.numpy.asarray(x))
    np.testing.assert_allclose(np.asarray(g), [0.5, 0.0, 0.5, 0.0], rtol=1e-12)


def test_penalty_gradients(torch, jax):
    w = np.array([0.0, -2.0, 0.5])
    for fn, want in [
        (la.l1_penalty, [0.0, -1.0, 1.0]),  # sign, 0 at 0
        (la.l2_penalty, [0.0, -4.0, 1.0]),  # 2 w
        # 2 * (0.25 sign + 0.75 * 2 w) = [0, -0.5 - 6, 0.5 + 1.5]
        (functools.partial(la.elastic_net_penalty, alpha=2.0, l1_ratio=0.25), [0.0, -6.5, 2.0]),
    ]:
        gt, gj = _grads(torch, jax, fn, w)
        np.testing.assert_allclose(gt[0], want, rtol=1e-12, atol=0)
        np.testing.assert_allclose(gj[0], want, rtol=1e-12, atol=0)


def test_weighted_sum_and_mixup_gradients(torch, jax):
    gt, gj = _grads(torch, jax, la.weighted_sum, np.array([2.0, 3.0]), np.array([0.5, 4.0]))
    for g in (gt, gj):  # d/dL = w, d/dw = L
        np.testing.assert_allclose(g[0], [0.5, 4.0])
        np.testing.assert_allclose(g[1], [2.0, 3.0])
    # mixup with mse: d/dp = lam * 2(p - a)/n + (1 - lam) * 2(p - b)/n; p=[1,2], a=[1,2], b=[3,4], n=2
    # = 0 + 0.75 * [-2, -2] = [-1.5, -1.5]; d/dlam = mse(p, a) - mse(p, b) = -4
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])

    def mix(p, lam):
        conv = torch.tensor if isinstance(p, torch.Tensor) else jax.numpy.asarray
        return la.mixup(la.mse, p, conv(a), conv(b), lam)

    gt, gj = _grads(torch, jax, mix, np.array([1.0, 2.0]), np.array(0.25))
    for g in (gt, gj):
        np.testing.assert_allclose(g[0], [-1.5, -1.5], rtol=1e-12)
        np.testing.assert_allclose(g[1], -4.0, rtol=1e-12)


def test_jit_all(jax):
    jnp = jax.numpy
    L = jnp.asarray([2.0, 3.0])
    assert float(jax.jit(la.uncertainty_weighting)(L, jnp.zeros(2))) == pytest.approx(5.0)
    assert float(jax.jit(la.weighted_sum)([L[0], L[1]], jnp.asarray([1.0, 2.0]))) == pytest.approx(8.0)
    assert float(jax.jit(la.gradnorm)(L, L, L)) == pytest.approx(1.0)  # r = 1, mean 2.5: 0.5 + 0.5
    assert float(jax.jit(la.elastic_net_penalty)([L, -L])) == pytest.approx(0.5 * 10 + 0.5 * 26)
    out = jax.jit(functools.partial(la.smooth_labels, alpha=0.1))(jnp.eye(2))
    np.testing.assert_allclose(np.asarray(out), 0.9 * np.eye(2) + 0.05)


def test_smooth_labels_equals_optax(jax):
    optax = pytest.importorskip("optax")
    t = np.eye(5)[[0, 3, 4, 1]]
    for alpha in (0.0, 0.1, 0.5, 1.0):
        want = np.asarray(optax.smooth_labels(jax.numpy.asarray(t), alpha))
        got = np.asarray(la.smooth_labels(jax.numpy.asarray(t), alpha=alpha))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(la.smooth_labels(t, alpha=alpha), want, rtol=1e-12, atol=1e-15)


def test_dask_stays_lazy(da):
    x = da.from_array(np.array([1.0, 100.0, 2.0, 3.0]), chunks=2)
    out = la.trimmed(x, trim_ratio=0.25)
    assert isinstance(out, da.Array)
    assert float(out.compute()) == pytest.approx(2.0)
    out = la.l2_penalty([x, x])
    assert isinstance(out, da.Array)
    assert float(out.compute()) == pytest.approx(2 * (1 + 10000 + 4 + 9))


def test_torch_compile_fullgraph(torch):
    # list inputs, a static trim size and the detached GradNorm target trace without graph breaks
    def f(l1, l2, s, x):
        return la.uncertainty_weighting([l1, l2], s) + la.trimmed(x, trim_ratio=0.25) + la.gradnorm(x[:2], x[2:], x[:2])

    f64 = functools.partial(torch.tensor, dtype=torch.float64)
    args = (f64(2.0), f64(3.0), f64([0.0, 0.0]), f64([1.0, 100.0, 2.0, 3.0]))
    # 5 + 2 + gradnorm; gradnorm: G = [1, 100] (mean 50.5), L / L0 = [2, 3] / [1, 100] = [2, 0.03],
    # r = that / 1.015, targets 50.5 r^0.12
    r = np.array([2.0, 0.03]) / 1.015
    g_target = 50.5 * r**0.12
    want = 5 + 2 + abs(1 - g_target[0]) + abs(100 - g_target[1])
    assert float(f(*args)) == pytest.approx(want, rel=1e-12)
    out = torch.compile(f, fullgraph=True, backend="eager")(*args)  # dynamo trace only: fast
    assert float(out) == pytest.approx(want, rel=1e-12)
