"""Divergences: known answers, zero probabilities, torch/optax/keras mappings, errors.

Expectations come from hand computation, SciPy, torch, optax and keras -- never from lossapi.
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi as la  # noqa: E402

REDUCTIONS = ("mean", "sum", "none")
LOG2 = math.log(2.0)


def _rng() -> np.random.Generator:
    return np.random.default_rng(4242)


def _np(backend, out) -> np.ndarray:
    assert backend.is_native(out)
    return np.asarray(backend.to_numpy(out), dtype=np.float64)


def _dists(rng, shape, c=5):
    z = rng.normal(0, 1, (*shape, c))
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# -- kl_divergence --------------------------------------------------------------------------------


def test_kl_by_hand(backend):
    t = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    q = np.array([[0.25, 0.25, 0.5], [0.5, 0.25, 0.25]])
    # row 0: 2 * 0.5 log(0.5 / 0.25) = log 2 (the zero target adds 0); row 1: log(1 / 0.5) = log 2
    got = _np(backend, la.kl_divergence(backend.asarray(np.log(q)), backend.asarray(t), reduction="none"))
    np.testing.assert_allclose(got, [LOG2, LOG2], rtol=1e-12)
    assert float(
        _np(backend, la.kl_divergence(backend.asarray(np.log(q)), backend.asarray(t), reduction="sum"))
    ) == pytest.approx(2 * LOG2, rel=1e-12)
    # not symmetric: target [1/4, 1/4, 1/2] against q = [1/2, 1/4, 1/4]:
    # 1/4 log(1/2) + 0 + 1/2 log 2 = log(2) / 4
    got = _np(backend, la.kl_divergence(backend.asarray(np.log(q[1:])), backend.asarray(q[:1]), reduction="none"))
    np.testing.assert_allclose(got, [LOG2 / 4], rtol=1e-12)


def test_kl_log_target_equals_probability_target(backend):
    rng = _rng()
    lq = np.log(_dists(rng, (3, 4)))
    t = _dists(rng, (3, 4))
    t[0, 1, :2] = 0.0
    with np.errstate(divide="ignore"):
        lt = np.log(t)  # -inf where t = 0
    for reduction in REDUCTIONS:
        a = _np(backend, la.kl_divergence(backend.asarray(lq), backend.asarray(t), reduction=reduction))
        b = _np(
            backend, la.kl_divergence(backend.asarray(lq), backend.asarray(lt), log_target=True, reduction=reduction)
        )
        np.testing.assert_allclose(a, b, rtol=1e-12)
        assert np.all(np.isfinite(a))


def test_kl_equals_torch_batchmean_sum_none():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = _rng()
    lq = torch.as_tensor(np.log(_dists(rng, (6,))))
    t = torch.as_tensor(_dists(rng, (6,)))
    for log_target in (False, True):
        tt = t.log() if log_target else t
        assert la.kl_divergence(lq, tt, log_target=log_target).item() == pytest.approx(
            F.kl_div(lq, tt, reduction="batchmean", log_target=log_target).item(), rel=1e-12
        )
        assert la.kl_divergence(lq, tt, log_target=log_target, reduction="sum").item() == pytest.approx(
            F.kl_div(lq, tt, reduction="sum", log_target=log_target).item(), rel=1e-12
        )
        torch.testing.assert_close(
            la.kl_divergence(lq, tt, log_target=log_target, reduction="none"),
            F.kl_div(lq, tt, reduction="none", log_target=log_target).sum(-1),
            rtol=1e-12,
            atol=1e-15,
        )
    # torch's *default* "mean" divides by N * C: 1/C of the divergence (the footgun)
    with pytest.warns(UserWarning, match="batchmean"):
        torch_mean = F.kl_div(lq, t, reduction="mean").item()
    assert torch_mean == pytest.approx(la.kl_divergence(lq, t).item() / 5, rel=1e-12)


def test_kl_nchw_axis1_equals_torch_and_channels_last():
    torch = pytest.importorskip("torch")
    rng = _rng()
    q = _dists(rng, (2, 3, 4))  # (N, H, W, C)
    t = _dists(rng, (2, 3, 4))
    lq_nchw = torch.as_tensor(np.ascontiguousarray(np.moveaxis(np.log(q), -1, 1)))
    t_nchw = torch.as_tensor(np.ascontiguousarray(np.moveaxis(t, -1, 1)))
    got = la.kl_divergence(lq_nchw, t_nchw, axis=1, reduction="none")
    torch.testing.assert_close(
        got, torch.nn.functional.kl_div(lq_nchw, t_nchw, reduction="none").sum(1), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(got.numpy(), la.kl_divergence(np.log(q), t, reduction="none"), rtol=1e-12)


def test_kl_equals_optax():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    rng = _rng()
    lq = jnp.asarray(np.log(_dists(rng, (4, 3))))
    t = jnp.asarray(_dists(rng, (4, 3)))
    np.testing.assert_allclose(
        np.asarray(la.kl_divergence(lq, t, reduction="none")), np.asarray(optax.losses.kl_divergence(lq, t)), rtol=1e-12
    )
    np.testing.assert_allclose(
        np.asarray(la.kl_divergence(lq, jnp.log(t), log_target=True, reduction="none")),
        np.asarray(optax.losses.kl_divergence_with_log_targets(lq, jnp.log(t))),
        rtol=1e-12,
    )
    u = jnp.asarray(rng.uniform(0.1, 3.0, (4, 3, 5)))
    lm = jnp.asarray(rng.normal(0, 1, (4, 3, 5)))
    np.testing.assert_allclose(
        np.asarray(la.generalized_kl_divergence(lm, u, reduction="none")),
        np.asarray(optax.losses.generalized_kl_divergence(lm, u)),
        rtol=1e-12,
    )


def test_kl_equals_keras_with_its_clipping():
    pytest.importorskip("jax")
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    rng = _rng()
    q = _dists(rng, (6,))
    t = _dists(rng, (6,))
    t[0, :2] = 0.0
    t[0] /= t[0].sum()
    q[1, 3] = 1e-9  # below keras' clip
    want = np.asarray(keras.losses.kl_divergence(t, q), dtype=np.float64)
    got = la.kl_divergence(np.log(np.clip(q, 1e-7, 1)), np.clip(t, 1e-7, 1), reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert float(la.kl_divergence(np.log(np.clip(q, 1e-7, 1)), np.clip(t, 1e-7, 1))) == pytest.approx(
        float(keras.losses.KLDivergence(dtype="float64")(t, q)), rel=1e-10
    )


def test_kl_zero_targets_finite_gradients_torch():
    torch = pytest.importorskip("torch")
    # masked logits: log_softmax gives -inf exactly where the target is 0 (optax#1786)
    logits = torch.tensor(
        [[2.0, float("-inf"), 0.5, float("-inf")], [0.0, 1.0, 2.0, 3.0]], dtype=torch.float64, requires_grad=True
    )
    t = torch.tensor([[0.7, 0.0, 0.3, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    lq = torch.log_softmax(logits, -1)
    out = la.kl_divergence(lq, t, reduction="sum")
    gl, gt = torch.autograd.grad(out, (logits, t))
    assert torch.isfinite(out)
    assert torch.all(torch.isfinite(gl)) and torch.all(torch.isfinite(gt[t > 0]))
    # the gradient w.r.t. the logits is softmax - target (rowwise), 0 at the masked logits
    want = torch.softmax(logits.detach(), -1) - t.detach()
    torch.testing.assert_close(gl, torch.nan_to_num(want), rtol=1e-12, atol=1e-15)
    ref = sum(
        float(v)
        for v in [0.7 * (math.log(0.7) - lq[0, 0].item()), 0.3 * (math.log(0.3) - lq[0, 2].item()), -lq[1, 3].item()]
    )
    assert out.item() == pytest.approx(ref, rel=1e-12)
    # torch's own kl_div is NaN there
    assert torch.isnan(torch.nn.functional.kl_div(lq, t, reduction="sum"))


def test_kl_zero_targets_finite_gradients_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    lq = jnp.log(jnp.asarray([[0.1, 0.2, 0.3, 0.4]]))
    t = jnp.asarray([[0.0, 0.5, 0.5, 0.0]])
    for log_target in (False, True):
        tt = jnp.log(t) if log_target else t
        gq, gt = jax.jit(jax.grad(lambda a, b, lt=log_target: la.kl_divergence(a, b, log_target=lt), (0, 1)))(lq, tt)
        assert np.all(np.isfinite(np.asarray(gq))) and np.all(np.isfinite(np.asarray(gt)))
        np.testing.assert_allclose(np.asarray(gq), -np.asarray(t), atol=1e-15)  # d/dlog q = -t
        if log_target:  # d/dlog t = t (log t - log q + 1): 0 at t = 0
            want = np.asarray(t) * (np.log(np.where(np.asarray(t) > 0, np.asarray(t), 1)) - np.asarray(lq) + 1)
            np.testing.assert_allclose(np.asarray(gt), want, rtol=1e-12, atol=1e-15)


def test_generalized_kl_by_hand(backend):
    lq = np.log(np.array([[2.0, 1.0, 0.5]]))
    t = np.array([[1.0, 0.0, 0.5]])
    # 1 log(1/2) + (2 - 1) ; 0 + (1 - 0) ; 0.5 log(1) + 0
    got = _np(backend, la.generalized_kl_divergence(backend.asarray(lq), backend.asarray(t), reduction="none"))
    np.testing.assert_allclose(got, [math.log(0.5) + 1 + 1], rtol=1e-12)
    # normalized measures: equal to KL
    rng = _rng()
    lq, t = np.log(_dists(rng, (3,))), _dists(rng, (3,))
    np.testing.assert_allclose(
        _np(backend, la.generalized_kl_divergence(backend.asarray(lq), backend.asarray(t), reduction="none")),
        _np(backend, la.kl_divergence(backend.asarray(lq), backend.asarray(t), reduction="none")),
        rtol=1e-10,
    )


# -- js_divergence ---------------------------------------------------------------------------------


def test_js_by_hand_and_scipy(backend):
    from scipy.spatial.distance import jensenshannon

    p = np.array([[1.0, 0.0], [0.5, 0.5], [1.0, 0.0], [0.2, 0.8]])
    t = np.array([[0.0, 1.0], [0.5, 0.5], [0.5, 0.5], [0.6, 0.4]])
    # disjoint: log 2; equal: 0; [1, 0] vs [1/2, 1/2]: (1/2) log(4/3) + (1/4) log(2/3) + (1/4) log 2
    hand = [LOG2, 0.0, 0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3) + 0.25 * LOG2]
    got = _np(backend, la.js_divergence(backend.asarray(p), backend.asarray(t), reduction="none"))
    np.testing.assert_allclose(got[:3], hand, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(got, [jensenshannon(a, b) ** 2 for a, b in zip(p, t)], rtol=1e-12, atol=1e-300)
    # symmetric
    np.testing.assert_allclose(
        _np(backend, la.js_divergence(backend.asarray(t), backend.asarray(p), reduction="none")),
        got,
        rtol=1e-14,
        atol=1e-300,
    )


def test_js_nearly_equal_distributions_keep_precision():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    d = np.array([1e-7, -1e-7, 3e-8, -3e-8])
    # second order: JS = sum (p - t)^2 / (8 m), relative correction O(d^2 / p^2) ~ 1e-12
    want = np.sum(d**2 / (8 * (p + d / 2)))
    assert float(la.js_divergence(p, p + d)) * 4 == pytest.approx(want, rel=1e-8)
    p32, t32 = p.astype(np.float32), (p + d).astype(np.float32)
    d32 = p32.astype(np.float64) - t32.astype(np.float64)
    want32 = np.sum(d32**2 / (4 * (p32 + t32).astype(np.float64)))
    assert float(la.js_divergence(p32, t32)) * 4 == pytest.approx(want32, rel=1e-5)


def test_js_zero_entries_finite_gradients():
    torch = pytest.importorskip("torch")
    p = torch.tensor([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]], dtype=torch.float64, requires_grad=True)
    out = la.js_divergence(p, t, reduction="sum")
    gp, gt = torch.autograd.grad(out, (p, t))
    assert torch.isfinite(out) and torch.all(torch.isfinite(gp)) and torch.all(torch.isfinite(gt))
    assert out.item() == pytest.approx(0.5 * LOG2 + LOG2, rel=1e-12)
    # where p_c > 0 = t_c, dJS/dp_c = log(2 p / (p + t)) / 2 = log(2) / 2
    assert gp[0, 1].item() == pytest.approx(0.5 * math.log(2 * 0.5 / 1.0), abs=1e-15)
    assert gp[0, 2].item() == pytest.approx(0.5 * LOG2, rel=1e-12)


# -- hellinger ------------------------------------------------------------------------------------


def test_hellinger_by_hand(backend):
    p = np.array([[1.0, 0.0], [0.5, 0.5], [0.25, 0.75], [0.5, 0.5]])
    t = np.array([[0.0, 1.0], [1.0, 0.0], [0.25, 0.75], [0.25, 0.75]])
    h = lambda a, b: math.sqrt(sum((math.sqrt(x) - math.sqrt(y)) ** 2 for x, y in zip(a, b)) / 2)  # noqa: E731
    want = [1.0, h(p[1], t[1]), 0.0, h(p[3], t[3])]
    assert want[1] == pytest.approx(math.sqrt(1 - math.sqrt(0.5)), rel=1e-12)  # 1 - Bhattacharyya coefficient
    got = _np(backend, la.hellinger(backend.asarray(p), backend.asarray(t), reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    assert float(_np(backend, la.hellinger(backend.asarray(p), backend.asarray(t)))) == pytest.approx(
        sum(want) / 4, rel=1e-12
    )


@pytest.mark.parametrize("lib", ["torch", "jax"])
def test_hellinger_finite_gradients_at_equality_and_zero(lib):
    p = np.array([[0.25, 0.75, 0.0], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    t = np.array([[0.25, 0.75, 0.0], [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    if lib == "torch":
        torch = pytest.importorskip("torch")
        pt = torch.tensor(p, requires_grad=True)
        tt = torch.tensor(t, requires_grad=True)
        gp, gt = (g.numpy() for g in torch.autograd.grad(la.hellinger(pt, tt, reduction="sum"), (pt, tt)))
    else:
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        gp, gt = (
            np.asarray(g)
            for g in jax.grad(lambda a, b: la.hellinger(a, b, reduction="sum"), (0, 1))(
                jax.numpy.asarray(p), jax.numpy.asarray(t)
            )
        )
    assert np.all(np.isfinite(gp)) and np.all(np.isfinite(gt))
    # p = t: the kink of the norm, gradient 0
    np.testing.assert_array_equal(gp[0], 0.0)
    np.testing.assert_array_equal(gt[0], 0.0)
    # row 2: both zero at class 0 -> the exact one-sided slope 1 / (2 sqrt(2) ||sqrt p - sqrt t||)
    norm = math.sqrt((0 - math.sqrt(0.5)) ** 2 + (1 - math.sqrt(0.5)) ** 2)
    assert gp[2, 0] == pytest.approx(1 / (2 * math.sqrt(2) * norm), rel=1e-12)
    # where both are positive: (sqrt p - sqrt t) / (2 sqrt 2 ||.|| sqrt p)
    assert gp[2, 2] == pytest.approx((1 - math.sqrt(0.5)) / (2 * math.sqrt(2) * norm), rel=1e-12)


# -- shared behaviour ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["kl_divergence", "generalized_kl_divergence", "js_divergence", "hellinger"])
def test_divergence_where_weights_and_axis(backend, name):
    fn = getattr(la, name)
    rng = _rng()
    p, t = _dists(rng, (4,)), _dists(rng, (4,))
    a = np.log(p) if "kl" in name else p
    per = _np(backend, fn(backend.asarray(a), backend.asarray(t), reduction="none"))
    assert per.shape == (4,) and np.all(per > 0)
    # axis=0 on the transposed inputs
    np.testing.assert_allclose(
        _np(backend, fn(backend.asarray(a.T.copy()), backend.asarray(t.T.copy()), axis=0, reduction="none")),
        per,
        rtol=1e-12,
    )
    # where-excluded rows may hold NaN/inf; sample_weight weighs the kept ones
    a_bad, t_bad = a.copy(), t.copy()
    a_bad[1] = np.nan
    t_bad[3] = np.inf
    keep = np.array([True, False, True, False])
    sw = np.array([2.0, 1.0, 0.5, 1.0])
    got = _np(
        backend,
        fn(
            backend.asarray(a_bad),
            backend.asarray(t_bad),
            where=backend.asarray(keep),
            sample_weight=backend.asarray(sw),
        ),
    )
    assert float(got) == pytest.approx((2 * per[0] + 0.5 * per[2]) / 2.5, rel=1e-12)
    # a target broadcast over the rows
    got = _np(backend, fn(backend.asarray(a), backend.asarray(t[:1]), reduction="none"))
    want = _np(backend, fn(backend.asarray(a), backend.asarray(np.repeat(t[:1], 4, 0)), reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_divergence_16bit_computed_in_float32():
    torch = pytest.importorskip("torch")
    q = torch.tensor([[0.1, 0.2, 0.7]], dtype=torch.float64)
    t = torch.tensor([[0.3, 0.3, 0.4]], dtype=torch.float64)
    for fn, a in ((la.kl_divergence, q.log()), (la.js_divergence, q), (la.hellinger, q)):
        for dt in (torch.float16, torch.bfloat16):
            out = fn(a.to(dt), t.to(dt))
            assert out.dtype == dt
            ref = fn(a.to(dt).double(), t.to(dt).double())  # same rounded inputs, float64 math
            assert out.double().item() == pytest.approx(ref.item(), rel=1e-2)


def test_divergence_clear_errors(backend):
    p = backend.asarray(np.full((2, 3), 1 / 3))
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.kl_divergence: log_target must be True or False"):
        la.kl_divergence(p, p, log_target="yes")
    with pytest.raises(la.InvalidDTypeError, match=r"lossapi\.kl_divergence.*`log_probs`"):
        la.kl_divergence(backend.asarray(np.zeros((2, 3), np.int64)), p)
    with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.js_divergence.*`target`"):
        la.js_divergence(p, backend.asarray(np.full((2, 4), 0.25)))
    with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.hellinger.*`target`"):
        la.hellinger(backend.asarray(np.full((1, 3), 1 / 3)), p)  # a target may not enlarge the prediction
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.generalized_kl_divergence.*axis"):
        la.generalized_kl_divergence(p, p, axis=2)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.hellinger.*reduction"):
        la.hellinger(p, p, reduction="batchmean")
    with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.kl_divergence.*`where`"):
        la.kl_divergence(p, p, where=backend.asarray(np.ones(3, bool)))
