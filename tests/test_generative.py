"""Known answers for the GAN losses, computed by hand (never by lossapi).

Also: unequal real / fake batch sizes (mean(real term) + mean(fake term)), torch's
binary_cross_entropy_with_logits mapping of the non-saturating kind, extreme logits (finite
values and gradients, torch == JAX), hinge kinks, option errors and jit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lossapi as la
from lossapi import InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from lossapi._conformance.families.generative import reduce_discriminator

L2 = math.log(2.0)
KINDS = ("non_saturating", "least_squares", "hinge", "wasserstein")


def _run(backend, fn, *arrays, **kw):
    out = fn(*[backend.asarray(np.asarray(a, dtype=np.float64)) for a in arrays], **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


R = np.array([0.0, 2.0, -1.0])
F = np.array([0.0, -3.0, 0.5])
# Per-element discriminator losses by hand:
#   non_saturating: log(1+e^-r) + log(1+e^f)      r=0,f=0 -> 2 log 2 (other entries below in softplus)
#   least_squares:  (r-1)^2/2 + f^2/2             [0.5, 0.5 + 4.5, 2 + 0.125] = [0.5, 5.0, 2.125]
#   hinge:          max(0,1-r) + max(0,1+f)       [1 + 1, 0 + 0, 2 + 1.5] = [2, 0, 3.5]
#   wasserstein:    f - r                         [0, -5, 1.5]
_SP = lambda x: math.log1p(math.exp(x))  # noqa: E731  (moderate x only)
_DISC = {
    "non_saturating": [2 * L2, _SP(-2.0) + _SP(-3.0), _SP(1.0) + _SP(0.5)],
    "least_squares": [0.5, 5.0, 2.125],
    "hinge": [2.0, 0.0, 3.5],
    "wasserstein": [0.0, -5.0, 1.5],
}
# Generator on F: non_saturating log(1+e^-f); least_squares (f-1)^2/2 = [0.5, 8, 0.125]; hinge/wgan -f.
_GEN = {
    "non_saturating": [L2, _SP(3.0), _SP(-0.5)],
    "least_squares": [0.5, 8.0, 0.125],
    "hinge": [0.0, 3.0, -0.5],
    "wasserstein": [0.0, 3.0, -0.5],
}


@pytest.mark.parametrize("kind", KINDS)
def test_discriminator_known_answers(backend, kind):
    got = _run(backend, la.gan_discriminator, R, F, kind=kind, reduction="none")
    np.testing.assert_allclose(got, _DISC[kind], rtol=1e-12, atol=1e-15)
    assert float(_run(backend, la.gan_discriminator, R, F, kind=kind)) == pytest.approx(np.mean(_DISC[kind]), rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_generator_known_answers(backend, kind):
    got = _run(backend, la.gan_generator, F, kind=kind, reduction="none")
    np.testing.assert_allclose(got, _GEN[kind], rtol=1e-12, atol=1e-15)


# -- unequal batch sizes ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_discriminator_different_batch_sizes(backend, kind):
    real, fake = np.array([0.0, 2.0, -1.0, 4.0]), np.array([0.5, -3.0])
    for reduction in ("mean", "sum"):
        got = _run(backend, la.gan_discriminator, real, fake, kind=kind, reduction=reduction)
        want = reduce_discriminator({"real_logits": real, "fake_logits": fake}, {"kind": kind}, reduction)
        assert float(got) == pytest.approx(float(want), rel=1e-12, abs=1e-15)
    # hinge by hand: mean(max(0, 1-r)) = (1 + 0 + 2 + 0)/4 = 0.75; mean(max(0, 1+f)) = (1.5 + 0)/2 = 0.75
    if kind == "hinge":
        assert float(_run(backend, la.gan_discriminator, real, fake, kind=kind)) == pytest.approx(1.5, rel=1e-12)


def test_discriminator_different_batch_sizes_errors():
    real, fake = np.zeros(4), np.zeros(2)
    with pytest.raises(ShapeMismatchError, match=r"lossapi\.gan_discriminator: .*reduction='none'"):
        la.gan_discriminator(real, fake, reduction="none")
    with pytest.raises(ShapeMismatchError, match="sample_weight"):
        la.gan_discriminator(real, fake, sample_weight=np.ones(4))
    with pytest.raises(ShapeMismatchError, match="where"):
        la.gan_discriminator(real, fake, where=np.ones(4, dtype=bool))
    with pytest.raises(InvalidDTypeError, match="same floating dtype"):
        la.gan_discriminator(real, fake.astype(np.float32))


def test_discriminator_different_batch_sizes_gradients(torch, jax):
    import jax.numpy as jnp

    real, fake = np.array([0.0, 2.0, -1.0, 4.0]), np.array([0.5, -3.0])
    # d/dr_i mean(softplus(-r)) = -sigmoid(-r_i) / 4; d/df_j mean(softplus(f)) = sigmoid(f_j) / 2
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    want_r, want_f = -sig(-real) / 4, sig(fake) / 2
    rt = torch.tensor(real, requires_grad=True)
    ft = torch.tensor(fake, requires_grad=True)
    la.gan_discriminator(rt, ft).backward()
    gr, gf = jax.grad(lambda a, b: la.gan_discriminator(a, b), argnums=(0, 1))(jnp.asarray(real), jnp.asarray(fake))
    for a, b in ((rt.grad.numpy(), gr), (ft.grad.numpy(), gf)):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-14)
    np.testing.assert_allclose(rt.grad.numpy(), want_r, rtol=1e-12)
    np.testing.assert_allclose(ft.grad.numpy(), want_f, rtol=1e-12)


def test_discriminator_broadcast_fake():
    # fake (1,) broadcasts against real (3,): elementwise, "none" has the real shape
    out = la.gan_discriminator(np.array([2.0, 0.0, -1.0]), np.array([0.5]), kind="wasserstein", reduction="none")
    np.testing.assert_allclose(out, [-1.5, 0.5, 1.5], rtol=1e-15)


# -- counterparts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_non_saturating_is_bce_with_logits(torch, reduction):
    Fn = torch.nn.functional
    rng = np.random.default_rng(1)
    r, f = torch.tensor(rng.normal(size=(4, 3))), torch.tensor(rng.normal(size=(4, 3)))
    ours = la.gan_discriminator(r, f, reduction=reduction)
    theirs = Fn.binary_cross_entropy_with_logits(
        r, torch.ones_like(r), reduction=reduction
    ) + Fn.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction=reduction)
    torch.testing.assert_close(ours, theirs, rtol=1e-13, atol=1e-14)
    torch.testing.assert_close(
        la.gan_generator(f, reduction=reduction),
        Fn.binary_cross_entropy_with_logits(f, torch.ones_like(f), reduction=reduction),
        rtol=1e-13,
        atol=1e-14,
    )


# -- extremes and kinks --------------------------------------------------------------------------------


def _grads(torch, jax, fn, *arrays, **kw):
    import jax.numpy as jnp

    ts = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    fn(*ts, reduction="sum", **kw).backward()
    gt = [t.grad.numpy() for t in ts]
    gj = jax.grad(lambda *xs: fn(*xs, reduction="sum", **kw), argnums=tuple(range(len(arrays))))(
        *[jnp.asarray(np.asarray(a, dtype=np.float64)) for a in arrays]
    )
    return gt, [np.asarray(g) for g in gj]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_logits(torch, jax, dtype):
    big = np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype)
    big2 = np.array([1e4, 1e4, -1e4, -1e4], dtype=dtype)
    # non_saturating: softplus(-r) + softplus(f) = [0 + 1e4, 1e4 + 1e4, 0 + 0, 1e4 + 0]
    v = la.gan_discriminator(big, big2, reduction="none")
    np.testing.assert_allclose(v, [1e4, 2e4, 0.0, 1e4], rtol=1e-7)
    np.testing.assert_allclose(la.gan_generator(big, reduction="none"), [0.0, 1e4, 0.0, 1e4], rtol=1e-7)
    gt, gj = _grads(torch, jax, la.gan_discriminator, big, big2)
    for a, b in zip(gt, gj):
        assert np.all(np.isfinite(a))
        np.testing.assert_array_equal(a, b)
    # d/dr softplus(-r) = -sigmoid(-r): [0, -1, 0, -1]; d/df softplus(f) = sigmoid(f): [1, 1, 0, 0]
    np.testing.assert_allclose(gt[0], [0.0, -1.0, 0.0, -1.0], atol=1e-30)
    np.testing.assert_allclose(gt[1], [1.0, 1.0, 0.0, 0.0], atol=1e-30)
    (g,), (h,) = _grads(torch, jax, la.gan_generator, big)
    np.testing.assert_array_equal(g, h)
    np.testing.assert_allclose(g, [0.0, -1.0, 0.0, -1.0], atol=1e-30)


def test_hinge_kink_gradients(torch, jax):
    # At r = 1 and f = -1 relu sits at 0: gradient 0 on both backends.
    gt, gj = _grads(torch, jax, la.gan_discriminator, np.array([1.0, 0.0]), np.array([-1.0, 0.0]), kind="hinge")
    for g in (gt, gj):
        np.testing.assert_array_equal(g[0], [0.0, -1.0])
        np.testing.assert_array_equal(g[1], [0.0, 1.0])


# -- errors and jit -------------------------------------------------------------------------------------


def test_unknown_kind():
    with pytest.raises(InvalidOptionError, match=r"lossapi\.gan_discriminator: kind='vanilla'"):
        la.gan_discriminator(np.zeros(2), np.zeros(2), kind="vanilla")
    with pytest.raises(InvalidOptionError, match=r"lossapi\.gan_generator: kind='wgan'"):
        la.gan_generator(np.zeros(2), kind="wgan")


def test_jit(jax):
    import jax.numpy as jnp

    r, f = jnp.asarray(R), jnp.asarray(F)
    out = jax.jit(lambda a, b: la.gan_discriminator(a, b, kind="hinge", reduction="none"))(r, f)
    np.testing.assert_allclose(np.asarray(out), _DISC["hinge"], rtol=1e-12)
    out = jax.jit(lambda a, b: la.gan_discriminator(a, b))(r, f[:2])  # unequal batch sizes under jit
    want = reduce_discriminator({"real_logits": R, "fake_logits": F[:2]}, {}, "mean")
    assert float(out) == pytest.approx(float(want), rel=1e-12)
