"""Focal losses: known answers, the NaN-gradient regressions of other libraries, counterparts.

Expectations come from hand computation, NumPy references written here from the published
formulas (torchvision's ``sigmoid_focal_loss``, Lin et al.), torch, optax and keras -- never
from lossapi itself.
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi as la  # noqa: E402

REDUCTIONS = ("mean", "sum", "none")
SAT_X = np.array([1e4, -1e4, 1e4, -1e4, 100.0, -100.0, 100.0, -100.0])
SAT_T = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0])


def _rng() -> np.random.Generator:
    return np.random.default_rng(1708)


def _np(backend, out) -> np.ndarray:
    assert backend.is_native(out)
    return np.asarray(backend.to_numpy(out), dtype=np.float64)


# -- NumPy references ----------------------------------------------------------------------------


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def _torchvision_focal(x, t, alpha=0.25, gamma=2.0):
    """torchvision.ops.sigmoid_focal_loss(reduction="none"), transcribed from its documented
    formula (torchvision is not installed here); ``alpha < 0`` disables the balancing."""
    x, t = np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)
    p = _sigmoid(x)
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return loss


def _log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


def _softmax_focal_ref(z, y, alpha=None, gamma=2.0):
    lp = np.take_along_axis(_log_softmax(z), np.asarray(y)[..., None], axis=-1)[..., 0]
    a = 1.0 if alpha is None else (np.asarray(alpha)[y] if np.ndim(alpha) else alpha)
    return -a * (1 - np.exp(lp)) ** gamma * lp


# -- sigmoid_focal: known answers -----------------------------------------------------------------


def test_sigmoid_focal_by_hand(backend):
    x, t = np.array([0.0, 2.0, -1.0]), np.array([1.0, 0.0, 1.0])
    # x = 0: p = 1/2, BCE = log 2, (1 - p_t)^2 = 1/4
    # x = 2, t = 0: BCE = 2 + log(1 + e^-2), 1 - p_t = sigmoid(2)
    # x = -1, t = 1: BCE = log(1 + e), 1 - p_t = sigmoid(1)
    s2, s1 = 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(-1))
    bce = [math.log(2), 2 + math.log1p(math.exp(-2)), math.log1p(math.e)]
    want = np.array([bce[0] / 4, bce[1] * s2**2, bce[2] * s1**2])
    got = _np(backend, la.sigmoid_focal(backend.asarray(x), backend.asarray(t), reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # alpha = 0.25 weighs positives by 0.25, negatives by 0.75
    got = _np(backend, la.sigmoid_focal(backend.asarray(x), backend.asarray(t), alpha=0.25, reduction="none"))
    np.testing.assert_allclose(got, want * [0.25, 0.75, 0.25], rtol=1e-12)
    # gamma = 0: plain (balanced) BCE; mean and sum
    got = _np(backend, la.sigmoid_focal(backend.asarray(x), backend.asarray(t), gamma=0.0))
    assert float(got) == pytest.approx(sum(bce) / 3, rel=1e-12)
    got = _np(backend, la.sigmoid_focal(backend.asarray(x), backend.asarray(t), gamma=1, reduction="sum"))
    assert float(got) == pytest.approx(bce[0] / 2 + bce[1] * s2 + bce[2] * s1, rel=1e-12)


def test_sigmoid_focal_equals_torchvision_formula(backend):
    rng = _rng()
    x = rng.normal(0, 3, (4, 5))
    t = np.where(rng.random((4, 5)) < 0.5, rng.integers(0, 2, (4, 5)), rng.random((4, 5)))  # hard and soft
    for gamma in (0.0, 0.5, 2.0, 3.0):
        for alpha in (None, 0.25, 0.9):
            got = _np(
                backend,
                la.sigmoid_focal(backend.asarray(x), backend.asarray(t), alpha=alpha, gamma=gamma, reduction="none"),
            )
            want = _torchvision_focal(x, t, alpha=-1 if alpha is None else alpha, gamma=gamma)
            np.testing.assert_allclose(got, want, rtol=1e-11, err_msg=f"gamma={gamma} alpha={alpha}")


def test_sigmoid_focal_equals_optax():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    rng = _rng()
    x = rng.normal(0, 3, (6, 3))
    t = rng.integers(0, 2, (6, 3)).astype(np.float64)
    for gamma in (0.0, 0.5, 2.0):
        for alpha in (None, 0.25):
            want = np.asarray(optax.losses.sigmoid_focal_loss(jnp.asarray(x), jnp.asarray(t), alpha=alpha, gamma=gamma))
            got = np.asarray(
                la.sigmoid_focal(jnp.asarray(x), jnp.asarray(t), alpha=alpha, gamma=gamma, reduction="none")
            )
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
            assert float(la.sigmoid_focal(jnp.asarray(x), jnp.asarray(t), alpha=alpha, gamma=gamma)) == pytest.approx(
                want.mean(), rel=1e-12
            )


def test_sigmoid_focal_saturated_values(backend):
    # t = 1 at x = +1e4 and t = 0 at x = -1e4: loss 0; wrong side: |x| * alpha_t
    for gamma in (0.0, 0.5, 2.0):
        got = _np(
            backend,
            la.sigmoid_focal(backend.asarray(SAT_X), backend.asarray(SAT_T), alpha=0.25, gamma=gamma, reduction="none"),
        )
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got[:4], [0.0, 0.0, 0.75e4, 0.25e4], rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(got[6:], [75.0, 25.0], rtol=1e-12)


# -- sigmoid_focal: the NaN-gradient regressions ------------------------------------------------------

# d/dx at the saturated points, alpha = 0.25: 0 where right, +-alpha_t where wrong (+-1 slope of BCE).
SAT_GRAD = np.array([0.0, 0.0, 0.75, -0.25, 0.0, 0.0, 0.75, -0.25])


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 0.25])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_focal_finite_gradients_torch(gamma, dtype):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    x = torch.tensor(SAT_X, dtype=dt, requires_grad=True)
    t = torch.tensor(SAT_T, dtype=dt, requires_grad=True)
    out = la.sigmoid_focal(x, t, alpha=0.25, gamma=gamma, reduction="sum")
    gx, gt = torch.autograd.grad(out, (x, t))
    assert torch.isfinite(out) and torch.all(torch.isfinite(gx)) and torch.all(torch.isfinite(gt))
    np.testing.assert_allclose(gx.double().numpy(), SAT_GRAD, rtol=1e-6, atol=1e-30)
    # gamma = 0 as a Python int, and as a 0-d tensor (the optax#1267 case: 0.0 vs 0)
    for g in (0, torch.tensor(0.0, dtype=dt)):
        (gx,) = torch.autograd.grad(la.sigmoid_focal(x, t, alpha=0.25, gamma=g, reduction="sum"), x)
        np.testing.assert_allclose(gx.double().numpy(), SAT_GRAD, rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_focal_finite_gradients_jax(gamma, dtype):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x, t = jnp.asarray(SAT_X, dtype=dtype), jnp.asarray(SAT_T, dtype=dtype)
    f = jax.jit(jax.grad(lambda a, b: la.sigmoid_focal(a, b, alpha=0.25, gamma=gamma, reduction="sum"), (0, 1)))
    gx, gt = f(x, t)
    assert np.all(np.isfinite(np.asarray(gx))) and np.all(np.isfinite(np.asarray(gt)))
    np.testing.assert_allclose(np.asarray(gx, dtype=np.float64), SAT_GRAD, rtol=1e-6, atol=1e-30)
    # a traced gamma = 0 (learned or scheduled): still finite
    g = jax.grad(lambda a, gm: la.sigmoid_focal(a, t, gamma=gm, reduction="sum"), (0, 1))(x, jnp.asarray(0.0, dtype))
    assert all(np.all(np.isfinite(np.asarray(v))) for v in g)


def test_sigmoid_focal_gradient_equals_finite_differences_torch():
    """Exact gradients w.r.t. logits and (hard and soft) targets, gamma < 1 included."""
    torch = pytest.importorskip("torch")
    rng = _rng()
    x0 = rng.normal(0, 2, 8)
    t0 = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.8, 1.0, 0.0])
    for gamma in (0.0, 0.3, 2.0):
        x = torch.tensor(x0, requires_grad=True)
        t = torch.tensor(t0, requires_grad=True)
        gx, gt = torch.autograd.grad(la.sigmoid_focal(x, t, alpha=0.4, gamma=gamma, reduction="sum"), (x, t))
        h = 1e-6
        for i in range(8):
            e = np.zeros(8)
            e[i] = h
            fdx = (
                _torchvision_focal(x0 + e, t0, 0.4, gamma).sum() - _torchvision_focal(x0 - e, t0, 0.4, gamma).sum()
            ) / (2 * h)
            fdt = (
                _torchvision_focal(x0, t0 + e, 0.4, gamma).sum() - _torchvision_focal(x0, t0 - e, 0.4, gamma).sum()
            ) / (2 * h)
            assert gx[i].item() == pytest.approx(fdx, rel=1e-6, abs=1e-8), (gamma, i)
            assert gt[i].item() == pytest.approx(fdt, rel=1e-6, abs=1e-8), (gamma, i)


def test_naive_power_form_is_what_breaks():
    """The reference formula's own gradient is NaN at the saturated points for gamma < 1: the
    regression tests above guard a real hazard."""
    torch = pytest.importorskip("torch")
    x = torch.tensor([100.0], dtype=torch.float32, requires_grad=True)
    p = torch.sigmoid(x)
    naive = torch.nn.functional.binary_cross_entropy_with_logits(x, torch.ones(1)) * (1 - p) ** 0.5
    (g,) = torch.autograd.grad(naive, x)
    assert not torch.all(torch.isfinite(g))
    (g,) = torch.autograd.grad(la.sigmoid_focal(x, torch.ones(1), gamma=0.5), x)
    assert torch.all(torch.isfinite(g))


def test_sigmoid_focal_where_and_weights(backend):
    x = np.array([0.5, np.nan, -1.0, np.inf])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    keep = np.array([True, False, True, False])
    sw = np.array([2.0, 5.0, 1.0, 1.0])
    ref = _torchvision_focal(np.array([0.5, -1.0]), np.array([1.0, 0.0]), alpha=-1)
    got = _np(
        backend,
        la.sigmoid_focal(
            backend.asarray(x), backend.asarray(t), where=backend.asarray(keep), sample_weight=backend.asarray(sw)
        ),
    )
    assert float(got) == pytest.approx((2 * ref[0] + ref[1]) / 3, rel=1e-12)


@pytest.mark.parametrize(("alpha", "gamma"), [(None, 2.0), (0.25, 0.5)])
def test_sigmoid_focal_is_smp_and_monai_value_and_gradient(alpha, gamma):
    """smp FocalLoss("binary") (float64) and MONAI FocalLoss (float32) on 0/1 targets."""
    torch = pytest.importorskip("torch")
    from lossapi._conformance.counterparts import library_available, smp_losses

    rng = np.random.default_rng(51)
    x = rng.normal(0.0, 2.0, (4, 3, 5))
    t = rng.integers(0, 2, (4, 3, 5)).astype(np.float64)
    libs = []
    if library_available("smp")[0]:
        libs.append((smp_losses().FocalLoss("binary", alpha=alpha, gamma=gamma), torch.float64, 1e-12))
    if library_available("MONAI")[0]:
        import monai.losses

        libs.append((monai.losses.FocalLoss(gamma=gamma, alpha=alpha), torch.float32, 1e-5))
    if not libs:
        pytest.skip("neither segmentation_models_pytorch nor monai is installed")
    for theirs_fn, dt, rtol in libs:
        x1 = torch.tensor(x, dtype=dt, requires_grad=True)
        x2 = x1.detach().clone().requires_grad_(True)
        tt = torch.tensor(t, dtype=dt)
        ours = la.sigmoid_focal(x1, tt, alpha=alpha, gamma=gamma)
        theirs = theirs_fn(x2, tt)
        np.testing.assert_allclose(float(ours.detach()), float(theirs.detach()), rtol=rtol)
        (g1,) = torch.autograd.grad(ours, x1)
        (g2,) = torch.autograd.grad(theirs, x2)
        np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=10 * rtol, atol=rtol * 1e-3)


# -- softmax_focal ------------------------------------------------------------------------------------


def test_softmax_focal_by_hand(backend):
    z = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    y = np.array([0, 2])
    p0 = math.exp(2) / (math.exp(2) + 2)
    want = np.array([-((1 - p0) ** 2) * math.log(p0), -((2 / 3) ** 2) * math.log(1 / 3)])
    got = _np(backend, la.softmax_focal(backend.asarray(z), backend.asarray(y), reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = _np(backend, la.softmax_focal(backend.asarray(z), backend.asarray(y), alpha=0.25, gamma=1.0))
    assert float(got) == pytest.approx(0.25 * (-(1 - p0) * math.log(p0) - (2 / 3) * math.log(1 / 3)) / 2, rel=1e-12)
    # per-class alpha looked up at the label
    a = backend.asarray(np.array([0.1, 0.2, 0.3]))
    got = _np(backend, la.softmax_focal(backend.asarray(z), backend.asarray(y), alpha=a, reduction="none"))
    np.testing.assert_allclose(got, want * [0.1, 0.3], rtol=1e-12)


def test_two_class_softmax_focal_is_sigmoid_focal(backend):
    # softmax([x, 0])_0 = sigmoid(x): the softmax focal loss of label 0 is the sigmoid one of target 1
    x = _rng().normal(0, 4, 7)
    z = np.stack([x, np.zeros(7)], axis=-1)
    for gamma in (0.0, 0.5, 2.0):
        a = _np(
            backend,
            la.softmax_focal(backend.asarray(z), backend.asarray(np.zeros(7, np.int64)), gamma=gamma, reduction="none"),
        )
        b = _np(
            backend, la.sigmoid_focal(backend.asarray(x), backend.asarray(np.ones(7)), gamma=gamma, reduction="none")
        )
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_softmax_focal_gamma0_equals_cross_entropy_and_torch(backend):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = _rng()
    z = rng.normal(0, 2, (6, 5))
    y = rng.integers(0, 5, 6)
    y_ign = np.where(rng.random(6) < 0.4, -100, y)
    y_ign[0] = 1
    cw = np.array([0.5, 2.0, 1.0, 3.0, 0.25])
    for labels, kw, tkw in (
        (y, {}, {}),
        (y, {"class_weight": cw}, {"weight": cw}),
        (y_ign, {"ignore_index": -100}, {"ignore_index": -100}),
        (y_ign, {"ignore_index": -100, "class_weight": cw}, {"ignore_index": -100, "weight": cw}),
    ):
        bkw = {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        tt = {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in tkw.items()}
        for reduction in REDUCTIONS:
            got = _np(
                backend,
                la.softmax_focal(backend.asarray(z), backend.asarray(labels), gamma=0.0, reduction=reduction, **bkw),
            )
            ce = _np(backend, la.cross_entropy(backend.asarray(z), backend.asarray(labels), reduction=reduction, **bkw))
            # torch's "none" is w_y * l (0 where ignored), lossapi's too
            want = F.cross_entropy(torch.as_tensor(z), torch.as_tensor(labels), reduction=reduction, **tt).numpy()
            np.testing.assert_allclose(got, ce, rtol=1e-12, atol=1e-300, err_msg=f"{kw.keys()} {reduction}")
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300, err_msg=f"{kw.keys()} {reduction}")


def test_softmax_focal_equals_keras():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    rng = _rng()
    z = rng.normal(0, 2, (7, 4))
    y = rng.integers(0, 4, 7)
    onehot = np.eye(4)[y]
    for alpha, k_alpha in ((None, 1.0), (0.25, 0.25), (np.array([0.1, 0.2, 0.3, 0.4]), [0.1, 0.2, 0.3, 0.4])):
        for gamma in (0.0, 0.5, 2.0):
            want = np.asarray(
                keras.losses.categorical_focal_crossentropy(onehot, z, alpha=k_alpha, gamma=gamma, from_logits=True),
                dtype=np.float64,
            )
            got = la.softmax_focal(z, y, alpha=alpha, gamma=gamma, reduction="none")
            np.testing.assert_allclose(got, want, rtol=1e-10)
            assert float(la.softmax_focal(z, y, alpha=alpha, gamma=gamma)) == pytest.approx(want.mean(), rel=1e-10)


def test_softmax_focal_axis1_equals_channels_last(backend):
    rng = _rng()
    z = rng.normal(0, 2, (2, 3, 4, 5))  # (N, H, W, C)
    y = rng.integers(0, 5, (2, 3, 4))
    a = _np(backend, la.softmax_focal(backend.asarray(z), backend.asarray(y), gamma=1.5, reduction="none"))
    b = _np(
        backend,
        la.softmax_focal(
            backend.asarray(np.ascontiguousarray(np.moveaxis(z, -1, 1))),
            backend.asarray(y),
            gamma=1.5,
            axis=1,
            reduction="none",
        ),
    )
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, _softmax_focal_ref(z, y, gamma=1.5), rtol=1e-11)


def test_softmax_focal_tiny_loss_keeps_precision():
    # p_y = 1 / (1 + 2 e^-30): -log p_y = 2 e^-30 (+ O(e^-60)); logsumexp(x) - x_y would give
    # only two correct digits in float64 and 0 in float32.
    z = np.array([[0.0, 30.0, -30.0, 0.0]])
    want = 2 * math.exp(-30) - 2 * math.exp(-60) + math.exp(-60)
    assert float(la.softmax_focal(z, np.array([1]), gamma=0.0)) == pytest.approx(want, rel=1e-14)
    assert float(la.softmax_focal(z.astype(np.float32), np.array([1]), gamma=0.0)) == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_softmax_focal_finite_gradients_saturated_torch(gamma):
    torch = pytest.importorskip("torch")
    z0 = np.array([[1e4, -1e4, 0.0, 0.0], [-1e4, 1e4, 0.0, 0.0], [100.0, -100.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    for dtype in (torch.float32, torch.float64):
        z = torch.tensor(z0, dtype=dtype, requires_grad=True)
        right = la.softmax_focal(z, torch.tensor([0, 1, 0, 2]), gamma=gamma, reduction="sum")
        (g,) = torch.autograd.grad(right, z)
        assert torch.isfinite(right) and torch.all(torch.isfinite(g))
        # p_y -> 1: zero gradient on the saturated rows
        np.testing.assert_allclose(g[:3].double().numpy(), 0.0, atol=1e-30)
        wrong = la.softmax_focal(z, torch.tensor([1, 0, 1, 2], dtype=torch.uint8), gamma=gamma, reduction="sum")
        (g,) = torch.autograd.grad(wrong, z)
        assert torch.isfinite(wrong) and torch.all(torch.isfinite(g))
        # p_y -> 0 on the first rows: the cross-entropy slope, softmax - onehot
        np.testing.assert_allclose(g[0].double().numpy(), [1.0, -1.0, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_softmax_focal_finite_gradients_saturated_jax(gamma):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    z = jnp.asarray([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [100.0, -100.0, 0.0]], dtype=jnp.float32)
    y = jnp.asarray([0, 1, 0], dtype=jnp.int32)
    val, g = jax.jit(jax.value_and_grad(lambda v: la.softmax_focal(v, y, gamma=gamma, alpha=0.25)))(z)
    assert np.isfinite(float(val)) and np.all(np.isfinite(np.asarray(g)))
    np.testing.assert_allclose(np.asarray(g), 0.0, atol=1e-30)


def test_softmax_focal_gradient_equals_finite_differences_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    rng = _rng()
    z0 = rng.normal(0, 2, (3, 4))
    y = np.array([0, 3, 1])
    for gamma in (0.0, 0.5, 2.0):
        g = np.asarray(
            jax.grad(lambda v, gm=gamma: la.softmax_focal(v, jnp.asarray(y), gamma=gm, reduction="sum"))(
                jnp.asarray(z0)
            )
        )
        h = 1e-6
        for idx in np.ndindex(z0.shape):
            e = np.zeros_like(z0)
            e[idx] = h
            fd = (
                _softmax_focal_ref(z0 + e, y, gamma=gamma).sum() - _softmax_focal_ref(z0 - e, y, gamma=gamma).sum()
            ) / (2 * h)
            assert g[idx] == pytest.approx(fd, rel=1e-6, abs=1e-9), (gamma, idx)


def test_softmax_focal_all_ignored_zero_value_and_gradient():
    torch = pytest.importorskip("torch")
    z = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([-100, -100, -100])
    for kw in ({}, {"class_weight": torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)}):
        out = la.softmax_focal(z, y, ignore_index=-100, gamma=0.5, **kw)
        (g,) = torch.autograd.grad(out, z)
        assert out.item() == 0.0 and torch.equal(g, torch.zeros_like(g))


def test_softmax_focal_ignored_and_excluded_labels_hold_anything(backend):
    z = np.array([[2.0, 0.0, -1.0], [np.nan, np.inf, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    y = np.array([0, 1000, 1, 77])
    keep = np.array([True, False, True, True])
    got = _np(
        backend,
        la.softmax_focal(
            backend.asarray(z), backend.asarray(y), ignore_index=77, where=backend.asarray(keep), reduction="none"
        ),
    )
    ref = _softmax_focal_ref(z[[0, 2]], y[[0, 2]])
    np.testing.assert_allclose(got, [ref[0], 0.0, ref[1], 0.0], rtol=1e-12)


@pytest.mark.parametrize(
    ("lib", "dtypes"),
    [
        ("numpy", ("int64", "int32", "int16", "uint8")),
        ("torch", ("int64", "int32", "uint8")),
        ("jax", ("int32", "int64", "uint8")),
        ("dask", ("int64", "uint8")),
        ("array_api_strict", ("int64", "int32", "uint8")),
    ],
)
def test_softmax_focal_any_integer_label_dtype(lib, dtypes):
    from _backends import load_backend

    bk = load_backend(lib)
    rng = _rng()
    z = rng.normal(0, 1, (5, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 0])
    cw = np.array([1.0, 2.0, 0.5])  # float64 weights must not promote float32 either
    want = _softmax_focal_ref(z, y, alpha=0.3)
    for dt in dtypes:
        out = la.softmax_focal(bk.asarray(z), bk.asarray(y, dt), alpha=0.3, reduction="none")
        assert str(out.dtype).endswith("float32"), (dt, out.dtype)
        np.testing.assert_allclose(np.asarray(bk.to_numpy(out), dtype=np.float64), want, rtol=2e-6)
        out = la.softmax_focal(bk.asarray(z), bk.asarray(y, dt), class_weight=bk.asarray(cw), ignore_index=2)
        assert str(out.dtype).endswith("float32"), (dt, out.dtype)
        ref = _softmax_focal_ref(z, y)
        w = np.where(y == 2, 0.0, cw[y])
        assert float(bk.to_numpy(out)) == pytest.approx(np.sum(w * ref) / np.sum(w), rel=2e-6)


def test_sigmoid_focal_integer_and_bool_targets_do_not_promote(backend):
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    for t in (np.array([1, 0, 1]), np.array([True, False, True])):
        out = la.sigmoid_focal(backend.asarray(x), backend.asarray(t), reduction="none")
        assert str(out.dtype).endswith("float32")
        np.testing.assert_allclose(_np(backend, out), _torchvision_focal(x, t.astype(float), alpha=-1), rtol=2e-6)


def test_focal_16bit_computed_in_float32():
    torch = pytest.importorskip("torch")
    x = torch.tensor([30.0, -30.0, 0.5], dtype=torch.float16)
    t = torch.tensor([1.0, 1.0, 0.0], dtype=torch.float16)
    out = la.sigmoid_focal(x, t, gamma=0.5, reduction="none")
    assert out.dtype == torch.float16
    np.testing.assert_allclose(
        out.double().numpy(),
        _torchvision_focal(x.double().numpy(), t.double().numpy(), alpha=-1, gamma=0.5),
        rtol=1e-3,
        atol=1e-7,
    )
    z = torch.tensor([[8.0, 0.0, -8.0]], dtype=torch.bfloat16)
    out = la.softmax_focal(z, torch.tensor([0]), gamma=0.5)
    assert out.dtype == torch.bfloat16
    assert out.float().item() == pytest.approx(
        float(_softmax_focal_ref(z.double().numpy(), np.array([0]), gamma=0.5)[0]), rel=1e-2
    )


# -- errors ------------------------------------------------------------------------------------------


def test_focal_clear_errors(backend):
    x = backend.asarray(np.zeros((4, 3)))
    t = backend.asarray(np.ones((4, 3)))
    y = backend.asarray(np.array([0, 1, 2, 1]))
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.sigmoid_focal: gamma=-1\.0 .*\[0\.0, inf\]"):
        la.sigmoid_focal(x, t, gamma=-1.0)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.sigmoid_focal: alpha=1\.5"):
        la.sigmoid_focal(x, t, alpha=1.5)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.sigmoid_focal: gamma must be a real number"):
        la.sigmoid_focal(x, t, gamma=None)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.sigmoid_focal: alpha must be"):
        la.sigmoid_focal(x, t, alpha="balanced")
    with pytest.raises(la.InvalidDTypeError, match=r"lossapi\.sigmoid_focal.*`logits`"):
        la.sigmoid_focal(backend.asarray(np.zeros((4, 3), np.int64)), t)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.softmax_focal: gamma=-0\.5"):
        la.softmax_focal(x, y, gamma=-0.5)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.softmax_focal: alpha=-1"):
        la.softmax_focal(x, y, alpha=-1)
    with pytest.raises(
        la.ShapeMismatchError, match=r"lossapi\.softmax_focal: `alpha` has shape \(2,\), expected \(3,\)"
    ):
        la.softmax_focal(x, y, alpha=backend.asarray(np.ones(2)))
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.softmax_focal: alpha must be"):
        la.softmax_focal(x, y, alpha=[0.1, 0.2, 0.3])
    with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.softmax_focal.*class_weight"):
        la.softmax_focal(x, y, class_weight=backend.asarray(np.ones(4)))
    # A floating target holds class probabilities: ignore_index has nothing to ignore there.
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.softmax_focal: ignore_index applies to integer"):
        la.softmax_focal(x, t, ignore_index=0)
    with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.softmax_focal.*`target`"):
        la.softmax_focal(x, backend.asarray(np.array([0, 1])))
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.softmax_focal: label_smoothing=1\.5"):
        la.softmax_focal(x, y, label_smoothing=1.5)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.softmax_focal: ignore_index"):
        la.softmax_focal(x, y, ignore_index=1.5)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.softmax_focal.*axis"):
        la.softmax_focal(x, y, axis=2)
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.softmax_focal.*reduction"):
        la.softmax_focal(x, y, reduction="batchmean")
