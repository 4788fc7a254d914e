"""Classification losses: the user-facing requirements, against torch / optax or by hand.

Expectations come from torch (``torch.nn.functional``), optax, or a NumPy reference written
here from the documented formulas -- never from lossapi itself.
"""

from __future__ import annotations

import itertools
import math
import os
import tracemalloc

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi as la  # noqa: E402

RNG = np.random.default_rng(20240531)
REDUCTIONS = ("mean", "sum", "none")


@pytest.fixture(autouse=True)
def _fresh_rng():
    """Each test draws the same numbers whatever the order or worker it runs in."""
    global RNG
    RNG = np.random.default_rng(20240531)


# -- NumPy references -----------------------------------------------------------------------------


def _log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    s = x - m
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _ref_ce(x, y, *, cw=None, ignore_index=None, eps=0.0, temperature=1.0, sw=None, where=None, reduction="mean"):
    """Documented cross-entropy with integer labels, class axis last.

    l_i = (1 - eps) w_{y_i} (-log p_{y_i}) + eps/C sum_c w_c (-log p_c); the weight of element i
    is w_{y_i} * [y_i != ignore] * sample_weight_i * where_i; "mean" = sum(m l) / sum(m w_y).
    """
    x = np.asarray(x, dtype=np.float64)
    C = x.shape[-1]
    counted = np.ones(y.shape, bool)
    if ignore_index is not None:
        counted &= y != ignore_index
    if where is not None:
        counted &= np.broadcast_to(where, y.shape)
    ys = np.where(counted, y, 0).astype(np.int64)
    xs = np.where(counted[..., None], x, 0.0)
    lp = _log_softmax(xs / temperature)
    wc = np.ones(C) if cw is None else np.asarray(cw, dtype=np.float64)
    nll = -np.take_along_axis(lp, ys[..., None], axis=-1)[..., 0]
    smooth = -np.sum(lp * wc, axis=-1)
    loss = (1 - eps) * wc[ys] * nll + eps / C * smooth
    m = counted.astype(np.float64)
    if sw is not None:
        m = m * np.broadcast_to(sw, y.shape)
    loss = np.where(counted, loss * m, 0.0)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.sum(loss)
    den = np.sum(wc[ys] * m)
    return np.sum(loss) / den if den != 0 else 0.0


def _torch():
    return pytest.importorskip("torch")


#: Backends where every eager call costs a compilation or a graph: they run a strided subset of
#: the option combinations (NumPy, torch and array-api-strict run all of them).
_SLOW = ("jax", "dask")


def _reductions(backend):
    return ("none", "mean") if backend.name in _SLOW else REDUCTIONS


def _combos(backend, *axes, stride=7):
    combos = list(itertools.product(*axes))
    return combos[::stride] if backend.name in _SLOW else combos


def _torch_ce(x, y, **kw):
    torch = _torch()
    return torch.nn.functional.cross_entropy(torch.as_tensor(x), torch.as_tensor(y), **kw).numpy()


def _np(backend, out, *, dtype=None):
    assert backend.is_native(out), type(out)
    if dtype is not None:
        assert out.dtype == backend.dtype(dtype), (out.dtype, dtype)
    return backend.to_numpy(out)


# -- 1. integer labels vs probability targets ----------------------------------------------------


def test_int_labels_equal_one_hot_probabilities(backend):
    x = RNG.normal(size=(6, 4)) * 2
    y = np.array([0, 3, 1, 1, 2, 0])
    onehot = np.eye(4)[y]
    expected = -_log_softmax(x)[np.arange(6), y]
    for reduction, exp in (("none", expected), ("mean", expected.mean()), ("sum", expected.sum())):
        a = _np(backend, la.cross_entropy(backend.asarray(x), backend.asarray(y), reduction=reduction), dtype="float64")
        b = _np(
            backend, la.cross_entropy(backend.asarray(x), backend.asarray(onehot), reduction=reduction), dtype="float64"
        )
        np.testing.assert_allclose(a, exp, rtol=1e-12)
        np.testing.assert_allclose(b, exp, rtol=1e-12)
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_cross_entropy_small_hand_values(backend):
    # logits [2, 0, -1] -> lse = log(e^2 + 1 + e^-1); label 0 -> lse - 2
    lse0 = math.log(math.exp(2) + 1 + math.exp(-1))
    lse1 = math.log(2 + math.e)
    x = backend.asarray(np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]]))
    got = _np(backend, la.cross_entropy(x, backend.asarray(np.array([0, 1])), reduction="none"))
    np.testing.assert_allclose(got, [lse0 - 2, lse1 - 1], rtol=1e-12)
    # soft targets: -(0.5 log p0 + 0.5 log p2)
    t = backend.asarray(np.array([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]]))
    got = _np(backend, la.cross_entropy(x, t, reduction="none"))
    np.testing.assert_allclose(got, [lse0 - 0.5 * (2 - 1), lse1 - 1], rtol=1e-12)


# -- 2. class axis anywhere ----------------------------------------------------------------------


def test_nchw_axis1_equals_torch_and_channels_last(backend):
    x = RNG.normal(size=(2, 5, 3, 4)) * 3
    y = RNG.integers(0, 5, size=(2, 3, 4))
    for reduction in _reductions(backend):
        expected = _torch_ce(x, y, reduction=reduction)
        got = _np(backend, la.cross_entropy(backend.asarray(x), backend.asarray(y), axis=1, reduction=reduction))
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        xl = np.ascontiguousarray(np.moveaxis(x, 1, -1))  # (N, H, W, C)
        got = _np(backend, la.cross_entropy(backend.asarray(xl), backend.asarray(y), reduction=reduction))
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        got = _np(backend, la.cross_entropy(backend.asarray(xl), backend.asarray(y), axis=3, reduction=reduction))
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    # class axis in the middle of a channels-last layout: (N, C, L) with axis=-2
    x3 = RNG.normal(size=(3, 4, 5))
    y3 = RNG.integers(0, 4, size=(3, 5))
    got = _np(backend, la.cross_entropy(backend.asarray(x3), backend.asarray(y3), axis=-2, reduction="none"))
    np.testing.assert_allclose(got, _torch_ce(x3, y3, reduction="none"), rtol=1e-12)
    # class axis first, (C, N, L), and third of four, (N, H, C, W)
    x0 = np.ascontiguousarray(np.moveaxis(x3, 1, 0))
    got = _np(backend, la.cross_entropy(backend.asarray(x0), backend.asarray(y3), axis=0, reduction="none"))
    np.testing.assert_allclose(got, _torch_ce(x3, y3, reduction="none"), rtol=1e-12)
    x2 = np.ascontiguousarray(np.moveaxis(x, 1, 2))
    got = _np(backend, la.cross_entropy(backend.asarray(x2), backend.asarray(y), axis=2))
    np.testing.assert_allclose(got, _torch_ce(x, y), rtol=1e-12)


# -- 3. every torch combination, exactly ----------------------------------------------------------


def _combo_inputs():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 4, 3)) * 2  # (N, C, L), class axis 1 as torch
    y = rng.integers(0, 4, size=(5, 3))
    y[1, 1] = 2
    y[2, 0] = 2
    w = np.array([0.5, 2.0, 1.0, 3.0])
    probs = np.exp(_log_softmax(rng.normal(size=(5, 4, 3)), axis=1))
    return x, y, w, probs


def test_every_torch_combination_equals_torch(backend):
    x, y, w, probs = _combo_inputs()
    xb = backend.asarray(x)
    n = 0
    combos = _combos(backend, (None, w), (None, -100, 2), (0.0, 0.1), REDUCTIONS)
    for cw, ii, eps, reduction in combos:
        yy = y.copy()
        if ii == -100:
            yy[0, 0] = yy[3, 2] = -100
        kw = {"label_smoothing": eps, "reduction": reduction}
        tkw = dict(kw)
        if cw is not None:
            tkw["weight"] = _torch().as_tensor(cw)
            kw["class_weight"] = backend.asarray(cw)
        if ii is not None:
            tkw["ignore_index"] = ii
        expected = _torch_ce(x, yy, **tkw)
        got = _np(backend, la.cross_entropy(xb, backend.asarray(yy), ignore_index=ii, axis=1, **kw), dtype="float64")
        assert got.shape == expected.shape
        np.testing.assert_allclose(
            got,
            expected,
            rtol=1e-12,
            atol=1e-15,
            err_msg=f"class_weight={cw is not None} ignore_index={ii} eps={eps} {reduction}",
        )
        n += 1
        if ii is None:  # probability targets (torch rejects ignore_index with them)
            kw.pop("class_weight", None)
            if cw is not None:
                kw["class_weight"] = backend.asarray(cw)
            expected = _torch_ce(x, probs, **tkw)
            got = _np(backend, la.cross_entropy(xb, backend.asarray(probs), axis=1, **kw), dtype="float64")
            np.testing.assert_allclose(
                got,
                expected,
                rtol=1e-12,
                atol=1e-15,
                err_msg=f"probs class_weight={cw is not None} eps={eps} {reduction}",
            )
            n += 1
    assert n == len(combos) + sum(c[1] is None for c in combos)


def test_weighted_mean_rule_with_sample_weight_where_temperature(backend):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(6, 4)) * 2
    y = rng.integers(0, 4, size=6)
    y[2] = -100
    sw = np.array([0.5, 1.0, 2.0, 0.0, 3.0, 1.5])
    where = np.array([True, False, True, True, False, True])
    xw = x.copy()
    xw[1] = np.nan  # excluded rows may hold NaN/inf and out-of-range labels
    xw[4, 0] = np.inf
    yw = y.copy()
    yw[1], yw[4] = 999, -5
    w = np.array([0.5, 2.0, 1.0, 3.0])
    xb, xwb = backend.asarray(x), backend.asarray(xw)
    for use_sw, use_where, T, (cw, eps), ii, reduction in _combos(
        backend,
        (False, True),
        (False, True),
        (1.0, 2.5),
        ((None, 0.0), (w, 0.0), (w, 0.1), (None, 0.1)),
        (None, -100),
        REDUCTIONS,
        stride=11,
    ):
        if ii is None and not use_where:
            labels = np.where(y == -100, 1, y)
        else:
            labels = yw if use_where else y
            if ii is None:
                labels = np.where(labels == -100, 1, labels)
        kw = {"temperature": T, "label_smoothing": eps, "reduction": reduction, "ignore_index": ii}
        if use_sw:
            kw["sample_weight"] = backend.asarray(sw)
        if use_where:
            kw["where"] = backend.asarray(where)
        if cw is not None:
            kw["class_weight"] = backend.asarray(cw)
        got = _np(backend, la.cross_entropy(xwb if use_where else xb, backend.asarray(labels), **kw))
        expected = _ref_ce(
            xw if use_where else x,
            labels,
            cw=cw,
            ignore_index=ii,
            eps=eps,
            temperature=T,
            sw=sw if use_sw else None,
            where=where if use_where else None,
            reduction=reduction,
        )
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(
            got,
            expected,
            rtol=1e-12,
            atol=1e-15,
            err_msg=f"sw={use_sw} where={use_where} T={T} cw={cw is not None} eps={eps} ii={ii} {reduction}",
        )


def test_weighted_mean_denominator_by_hand(backend):
    # two rows, label 0 and 1, class weights [2, 1]: mean = (2 l0 + 1 l1) / 3
    x = np.array([[1.0, 0.0], [0.0, 0.0]])
    l0, l1 = math.log1p(math.exp(-1.0)), math.log(2.0)
    got = la.cross_entropy(
        backend.asarray(x), backend.asarray(np.array([0, 1])), class_weight=backend.asarray(np.array([2.0, 1.0]))
    )
    assert float(_np(backend, got)) == pytest.approx((2 * l0 + l1) / 3, rel=1e-12)
    # sample_weight [1, 3] on top: (2 l0 + 3 l1) / (2 + 3)
    got = la.cross_entropy(
        backend.asarray(x),
        backend.asarray(np.array([0, 1])),
        class_weight=backend.asarray(np.array([2.0, 1.0])),
        sample_weight=backend.asarray(np.array([1.0, 3.0])),
    )
    assert float(_np(backend, got)) == pytest.approx((2 * l0 + 3 * l1) / 5, rel=1e-12)


# -- 4. ignored positions --------------------------------------------------------------------------


def test_ignored_and_excluded_positions_hold_anything(backend):
    x = np.array([[1.0, 2.0, 0.5], [np.nan, np.inf, -np.inf], [0.0, -1.0, 3.0], [5.0, 5.0, 5.0]])
    y = np.array([1, 999, 2, -5])
    where = np.array([True, False, True, False])
    lp = _log_softmax(x[[0, 2]])
    expected = -(lp[0, 1] + lp[1, 2]) / 2
    got = la.cross_entropy(backend.asarray(x), backend.asarray(y), where=backend.asarray(where))
    assert float(_np(backend, got)) == pytest.approx(expected, rel=1e-12)
    none = _np(
        backend,
        la.cross_entropy(backend.asarray(x), backend.asarray(y), where=backend.asarray(where), reduction="none"),
    )
    np.testing.assert_allclose(none, [-lp[0, 1], 0.0, -lp[1, 2], 0.0], rtol=1e-12)
    # labels equal to ignore_index (out of range) are ignored
    y2 = np.array([1, -100, 2, -100])
    x2 = np.where(np.isfinite(x), x, 0.0)
    got = la.cross_entropy(backend.asarray(x2), backend.asarray(y2), ignore_index=-100)
    assert float(_np(backend, got)) == pytest.approx(expected, rel=1e-12)
    got = la.nll(backend.asarray(_log_softmax(x2)), backend.asarray(y2), ignore_index=-100)
    assert float(_np(backend, got)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_all_ignored_is_exactly_zero(backend, reduction):
    x = backend.asarray(RNG.normal(size=(3, 4)))
    y = backend.asarray(np.array([-100, -100, -100]))
    cw = backend.asarray(np.array([1.0, 2.0, 3.0, 4.0]))
    for kw in ({}, {"class_weight": cw}, {"label_smoothing": 0.2}, {"class_weight": cw, "label_smoothing": 0.2}):
        out = _np(backend, la.cross_entropy(x, y, ignore_index=-100, reduction=reduction, **kw))
        assert out.shape == () and out == 0.0, (kw, out)
    out = _np(
        backend,
        la.cross_entropy(
            x, backend.asarray(np.array([999, -5, 7])), reduction=reduction, where=backend.asarray(np.zeros(3, bool))
        ),
    )
    assert out == 0.0
    out = _np(backend, la.nll(x, y, ignore_index=-100, reduction=reduction))
    assert out == 0.0


def test_all_ignored_zero_gradient_torch():
    torch = _torch()
    F = torch.nn.functional
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    y = torch.full((3,), -100)
    cw = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    for kw in ({}, {"class_weight": cw}, {"label_smoothing": 0.2}, {"class_weight": cw, "label_smoothing": 0.2}):
        out = la.cross_entropy(x, y, ignore_index=-100, **kw)
        assert out.item() == 0.0 and not torch.isnan(out)
        (g,) = torch.autograd.grad(out, x)
        assert torch.equal(g, torch.zeros_like(g)), kw
    out = la.nll(F.log_softmax(x, -1), y, ignore_index=-100)
    (g,) = torch.autograd.grad(out, x)
    assert out.item() == 0.0 and torch.equal(g, torch.zeros_like(g))
    # where all False with NaN logits and out-of-range labels
    xn = torch.full((2, 3), float("nan"), dtype=torch.float64, requires_grad=True)
    out = la.cross_entropy(xn, torch.tensor([999, -5]), where=torch.tensor([False, False]))
    (g,) = torch.autograd.grad(out, xn)
    assert out.item() == 0.0 and torch.equal(g, torch.zeros_like(g))


def test_all_ignored_zero_gradient_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = jnp.asarray(RNG.normal(size=(3, 4)))
    y = jnp.asarray([-100, -100, -100])
    cw = jnp.asarray([1.0, 2.0, 3.0, 4.0])
    for kw in ({}, {"class_weight": cw}, {"label_smoothing": 0.2}, {"class_weight": cw, "label_smoothing": 0.2}):
        val, g = jax.value_and_grad(lambda v, kw=kw: la.cross_entropy(v, y, ignore_index=-100, **kw))(x)
        assert float(val) == 0.0
        np.testing.assert_array_equal(np.asarray(g), 0.0)
    val, g = jax.jit(jax.value_and_grad(lambda v: la.cross_entropy(v, y, ignore_index=-100)))(x)
    assert float(val) == 0.0 and np.all(np.asarray(g) == 0)
    # partially excluded NaN row: finite gradient, zero on the excluded row
    xn = x.at[1].set(jnp.nan)
    g = jax.grad(lambda v: la.cross_entropy(v, jnp.asarray([0, 999, 2]), where=jnp.asarray([True, False, True])))(xn)
    g = np.asarray(g)
    assert np.all(np.isfinite(g)) and np.all(g[1] == 0) and np.any(g[0] != 0)


def test_excluded_nan_rows_give_finite_torch_gradient():
    torch = _torch()
    x = torch.tensor(
        [[1.0, 2.0, 0.5], [float("nan"), float("inf"), 0.0], [0.0, -1.0, 3.0]], dtype=torch.float64, requires_grad=True
    )
    y = torch.tensor([1, 999, 2])
    out = la.cross_entropy(x, y, where=torch.tensor([True, False, True]))
    (g,) = torch.autograd.grad(out, x)
    xs = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xs, torch.tensor([1, 2]))
    (gr,) = torch.autograd.grad(ref, xs)
    assert out.item() == pytest.approx(ref.item(), rel=1e-12)
    torch.testing.assert_close(g[[0, 2]], gr, rtol=1e-12, atol=1e-15)
    assert torch.equal(g[1], torch.zeros(3, dtype=torch.float64))


# -- 5. saturated inputs, 16-bit floats ----------------------------------------------------------


def test_bce_saturated_probabilities(backend):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    got = _np(backend, la.binary_cross_entropy(backend.asarray(p), backend.asarray(t), reduction="none"))
    np.testing.assert_array_equal(got, [100.0, 100.0, 0.0, 0.0, 50.0])
    assert float(_np(backend, la.bce(backend.asarray(p), backend.asarray(t)))) == pytest.approx(50.0, rel=1e-12)


@pytest.mark.parametrize("native", [True, False], ids=["native", "generic"])
def test_bce_saturated_equals_torch_with_finite_gradient(native):
    """Values and the gradient w.r.t. probs equal torch's, whose backward divides by
    max(p (1 - p), 1e-12) -- a C++ float constant, 1e-12 rounded to float32."""
    torch = _torch()
    F = torch.nn.functional
    p0 = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.3, 1e-20, 0.5], dtype=torch.float64)
    t = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.2], dtype=torch.float64)
    for reduction in REDUCTIONS:
        p1, p2 = p0.clone().requires_grad_(), p0.clone().requires_grad_()
        with la.native(native):
            out = la.binary_cross_entropy(p1, t, reduction=reduction)
        ref = F.binary_cross_entropy(p2, t, reduction=reduction)
        torch.testing.assert_close(out.detach(), ref.detach(), rtol=1e-12, atol=0)
        cot = torch.linspace(0.5, 1.5, ref.numel(), dtype=torch.float64).reshape(ref.shape)
        (g,) = torch.autograd.grad((out * cot).sum(), p1)
        (gr,) = torch.autograd.grad((ref * cot).sum(), p2)
        assert torch.all(torch.isfinite(g))
        torch.testing.assert_close(g, gr, rtol=1e-12, atol=0, msg=lambda m, r=reduction: f"{r}: {m}")


def test_logits_1e4_finite_values_and_gradients_torch():
    torch = _torch()
    x = torch.tensor([1e4, -1e4, 1e4, -1e4], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    out = la.binary_cross_entropy_with_logits(x, t, reduction="none")
    torch.testing.assert_close(out.detach(), torch.tensor([1e4, 1e4, 0.0, 0.0], dtype=torch.float64))
    (g,) = torch.autograd.grad(out.mean(), x)
    torch.testing.assert_close(g, torch.tensor([0.25, -0.25, 0.0, 0.0], dtype=torch.float64))
    z = torch.tensor([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]], dtype=torch.float64, requires_grad=True)
    out = la.cross_entropy(z, torch.tensor([1, 0]), reduction="none")
    torch.testing.assert_close(out.detach(), torch.tensor([2e4, 0.0], dtype=torch.float64))
    (g,) = torch.autograd.grad(out.sum(), z)
    torch.testing.assert_close(g, torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64))


def test_logits_1e4_finite_values_and_gradients_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = jnp.asarray([1e4, -1e4, 1e4, -1e4])
    t = jnp.asarray([0.0, 1.0, 1.0, 0.0])
    val, g = jax.value_and_grad(lambda v: la.binary_cross_entropy_with_logits(v, t))(x)
    assert float(val) == pytest.approx(5000.0, rel=1e-12)
    np.testing.assert_allclose(np.asarray(g), [0.25, -0.25, 0.0, 0.0], atol=1e-15)
    z = jnp.asarray([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    val, g = jax.value_and_grad(lambda v: la.cross_entropy(v, jnp.asarray([1, 0]), reduction="sum"))(z)
    assert float(val) == pytest.approx(2e4, rel=1e-12)
    np.testing.assert_allclose(np.asarray(g), [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-15)


def _half_backends():
    """(name, make(array, dtype_name), dtype getter, to_numpy) for 16-bit tests."""
    out = [("numpy", lambda a, d: np.asarray(a, dtype=d), lambda d: np.dtype(d), np.asarray)]
    try:
        import torch

        out.append(
            (
                "torch",
                lambda a, d: (
                    torch.tensor(np.asarray(a), dtype=getattr(torch, d))
                    if np.asarray(a).dtype.kind == "f"
                    else torch.tensor(np.asarray(a))
                ),
                lambda d: getattr(torch, d),
                lambda o: o.float().numpy(),
            )
        )
    except ImportError:
        pass
    try:
        import jax.numpy as jnp

        out.append(
            (
                "jax",
                lambda a, d: (
                    jnp.asarray(np.asarray(a), dtype=getattr(jnp, d))
                    if np.asarray(a).dtype.kind == "f"
                    else jnp.asarray(np.asarray(a))
                ),
                lambda d: getattr(jnp, d),
                lambda o: np.asarray(o.astype(jnp.float32)),
            )
        )
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("lib", _half_backends(), ids=lambda b: b[0])
def test_16bit_logits_compute_in_float32(lib):
    name, make, dt, to_np = lib
    # logits near 1000: float16 spacing there is 0.5, so a float16 log-sum-exp would round
    # lse = 1000.974 to 1001 and give [0.5, 1.0] instead of log(1 + e^{-0.5}), log(1 + e^{0.5}).
    x = make([[1000.0, 1000.5], [1000.0, 1000.5]], "float16")
    y = make(np.array([1, 0]), None)
    out = la.cross_entropy(x, y, reduction="none")
    assert out.dtype == dt("float16")
    np.testing.assert_allclose(to_np(out), [math.log1p(math.exp(-0.5)), math.log1p(math.exp(0.5))], rtol=1.5e-3)
    big = la.cross_entropy(make([[1e4, 0.0, -1e4]], "float16"), make(np.array([2]), None), reduction="sum")
    assert big.dtype == dt("float16") and float(to_np(big)) == 2e4
    b = la.binary_cross_entropy_with_logits(
        make([1e4, -1e4, 0.0], "float16"), make([0.0, 1.0, 1.0], "float16"), reduction="none"
    )
    assert b.dtype == dt("float16")
    np.testing.assert_allclose(to_np(b), [1e4, 1e4, math.log(2)], rtol=1e-3)
    # soft targets, many elements: close to the float32 result of the same (rounded) inputs
    xs = RNG.normal(size=(64, 10)).astype(np.float16) * 4
    ts = np.exp(_log_softmax(RNG.normal(size=(64, 10)))).astype(np.float16)
    ref = -np.sum(ts.astype(np.float64) * _log_softmax(xs.astype(np.float64)), axis=-1).mean()
    got = la.cross_entropy(make(xs, "float16"), make(ts, "float16"))
    assert got.dtype == dt("float16")
    assert float(to_np(got)) == pytest.approx(ref, rel=1e-3)
    if name == "numpy":
        return
    # bfloat16 near 1000 has spacing 4: a bfloat16 lse would give [0, 4] instead.
    xb = make([[1000.0, 1004.0], [1000.0, 1004.0]], "bfloat16")
    out = la.cross_entropy(xb, y, reduction="none")
    assert out.dtype == dt("bfloat16")
    np.testing.assert_allclose(to_np(out), [math.log1p(math.exp(-4.0)), math.log1p(math.exp(4.0))], rtol=8e-3)
    b = la.binary_cross_entropy_with_logits(
        make([30.0, -1e4], "bfloat16"), make([0.0, 1.0], "bfloat16"), reduction="none"
    )
    assert b.dtype == dt("bfloat16")
    np.testing.assert_allclose(to_np(b), [30.0, 1e4], rtol=8e-3)


# -- 6. label dtypes ------------------------------------------------------------------------------


def _label_dtype_case():
    x = RNG.normal(size=(7, 4)) * 2
    y = np.array([0, 3, 2, 1, 2, 3, 0])
    w = np.array([0.5, 2.0, 1.0, 3.0])
    cases = [
        ({}, {}),
        ({"ignore_index": 2}, {"ignore_index": 2}),
        ({"class_weight": w, "ignore_index": 3}, {"cw": w, "ignore_index": 3}),
        ({"class_weight": w, "label_smoothing": 0.1}, {"cw": w, "eps": 0.1}),
    ]
    return x, y, cases


@pytest.mark.parametrize(
    "lib_dtypes",
    [
        ("numpy", ("int64", "int32", "int16", "uint8")),
        ("torch", ("int64", "int32", "uint8")),
        ("jax", ("int32", "int64", "uint8")),
    ],
    ids=lambda v: v[0],
)
def test_any_integer_label_dtype(lib_dtypes):
    from _backends import load_backend

    name, dtypes = lib_dtypes
    backend = load_backend(name)
    x, y, cases = _label_dtype_case()
    modes = (True, False) if name == "torch" else (True,)  # torch: fast path and generic path
    for (kw, rkw), dt, reduction, native in itertools.product(cases, dtypes, REDUCTIONS, modes):
        if "class_weight" in kw:
            kw = dict(kw, class_weight=backend.asarray(kw["class_weight"]))
        expected = _ref_ce(x, y, reduction=reduction, **rkw)
        with la.native(native):
            out = la.cross_entropy(backend.asarray(x), backend.asarray(y, dt), reduction=reduction, **kw)
            got = _np(backend, out, dtype="float64")
            np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=f"{dt} {kw.keys()} {reduction} {native}")
            lp = _log_softmax(x)
            got = _np(
                backend,
                la.nll(
                    backend.asarray(lp),
                    backend.asarray(y, dt),
                    reduction=reduction,
                    **{k: v for k, v in kw.items() if k != "label_smoothing"},
                ),
            )
        if "label_smoothing" not in kw:
            np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=f"nll {dt} {kw.keys()} {reduction}")


def test_int64_labels_do_not_promote_float32(backend):
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 0])
    for reduction in _reductions(backend):
        out = la.cross_entropy(backend.asarray(x), backend.asarray(y, "int64"), reduction=reduction)
        got = _np(backend, out, dtype="float32")
        np.testing.assert_allclose(got, _ref_ce(x.astype(np.float64), y, reduction=reduction), rtol=1e-5, atol=5e-6)
        out = la.nll(
            backend.asarray(x),
            backend.asarray(y, "int64"),
            reduction=reduction,
            class_weight=backend.asarray(np.array([1.0, 2.0, 3.0])),
        )  # float64 weights: no promotion
        _np(backend, out, dtype="float32")
    out = la.binary_cross_entropy_with_logits(backend.asarray(x), backend.asarray((x > 0).astype(np.int64)))
    _np(backend, out, dtype="float32")
    out = la.binary_cross_entropy(
        backend.asarray(np.array([0.2, 0.7], np.float32)), backend.asarray(np.array([0, 1], np.int64))
    )
    assert float(_np(backend, out, dtype="float32")) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2, rel=1e-6)


# -- 7. Dask --------------------------------------------------------------------------------------


def _no_compute(dsk, keys, **kwargs):
    raise AssertionError("dask graph computed before .compute()")


def test_dask_chunked_batch_and_class_axes_lazy():
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(9, 7)) * 2
    y = rng.integers(0, 7, size=9)
    y[4] = -100
    w = np.linspace(0.5, 2.0, 7)
    xd = da.from_array(x, chunks=(4, 3))  # chunks along batch and classes
    yd = da.from_array(y, chunks=4)
    wd = da.from_array(w, chunks=3)
    x4 = rng.normal(size=(2, 5, 3, 4))
    y4 = rng.integers(0, 5, size=(2, 3, 4))
    x4d, y4d = da.from_array(x4, chunks=(1, 2, 2, 3)), da.from_array(y4, chunks=(1, 2, 3))
    for reduction in REDUCTIONS:
        with dask.config.set(scheduler=_no_compute):
            outs = [
                la.cross_entropy(xd, yd, ignore_index=-100, reduction=reduction),
                la.cross_entropy(xd, yd, ignore_index=-100, class_weight=wd, label_smoothing=0.1, reduction=reduction),
                la.nll(xd, yd, ignore_index=-100, reduction=reduction),
                la.cross_entropy(x4d, y4d, axis=1, reduction=reduction),
            ]
        for o in outs:
            assert isinstance(o, da.Array)
        keep = y != -100
        nll_none = np.where(keep, -x[np.arange(9), np.where(keep, y, 0)], 0.0)
        expected = [
            _ref_ce(x, y, ignore_index=-100, reduction=reduction),
            _ref_ce(x, y, ignore_index=-100, cw=w, eps=0.1, reduction=reduction),
            {"none": nll_none, "sum": nll_none.sum(), "mean": nll_none.sum() / keep.sum()}[reduction],
            _ref_ce(np.moveaxis(x4, 1, -1), y4, reduction=reduction),
        ]
        for o, e in zip(outs, expected):
            np.testing.assert_allclose(np.asarray(o.compute()), e, rtol=1e-12, atol=1e-15)


# -- 8. memory: no one-hot of the logits' size ------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"ignore_index": -100},
        {"class_weight": True, "ignore_index": 3},
        {"label_smoothing": 0.1},
        {"temperature": 2.0},
        {"where": True},
    ],
    ids=["plain", "ignore_index", "class_weight", "label_smoothing", "temperature", "where"],
)
def test_numpy_cross_entropy_peak_memory(kw):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2000, 1000))
    labels = rng.integers(0, 1000, size=2000)
    labels[::7] = -100
    kw = dict(kw)
    if kw.get("class_weight"):
        kw["class_weight"] = rng.uniform(0.5, 2.0, size=1000)
    if kw.get("ignore_index") != -100:  # -100 is a valid label only when it is the ignore_index
        labels = np.abs(labels) % 1000
    if kw.get("where"):
        kw["where"] = np.arange(2000) % 3 > 0
    small = {k: v[:4] if k == "where" else v for k, v in kw.items()}
    la.cross_entropy(logits[:4], labels[:4], **small)  # warm caches / imports outside the measurement
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = la.cross_entropy(logits, labels, **kw)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert np.isfinite(out)
    assert peak <= 2 * logits.nbytes, (
        f"peak extra memory {peak / 1e6:.2f} MB = {peak / logits.nbytes:.4f} x logits.nbytes > 2 x"
    )


# -- 9. BCE with logits: pos_weight, alpha, smoothing, optax ------------------------------------------


def test_bce_with_logits_pos_weight_equals_torch(backend):
    torch = _torch()
    F = torch.nn.functional
    x = RNG.normal(size=(6, 3)) * 3
    t = RNG.uniform(size=(6, 3))
    t[0] = [0.0, 1.0, 1.0]
    pw = np.array([0.5, 2.0, 4.0])
    for reduction in REDUCTIONS:
        for ours, theirs in ((3.0, torch.tensor(3.0, dtype=torch.float64)), (backend.asarray(pw), torch.as_tensor(pw))):
            expected = F.binary_cross_entropy_with_logits(
                torch.as_tensor(x), torch.as_tensor(t), pos_weight=theirs, reduction=reduction
            ).numpy()
            got = _np(
                backend,
                la.binary_cross_entropy_with_logits(
                    backend.asarray(x), backend.asarray(t), pos_weight=ours, reduction=reduction
                ),
            )
            np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_bce_with_logits_alpha_and_smoothing_by_hand(backend):
    x = np.array([2.0, -1.0, 0.5, 0.0])
    t = np.array([1.0, 0.0, 1.0, 0.3])
    sp_neg, sp_pos = _softplus(-x), _softplus(x)
    # balanced: alpha t softplus(-x) + (1 - alpha)(1 - t) softplus(x)
    expected = 0.25 * t * sp_neg + 0.75 * (1 - t) * sp_pos
    got = _np(
        backend,
        la.binary_cross_entropy_with_logits(backend.asarray(x), backend.asarray(t), alpha=0.25, reduction="none"),
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # smoothing s: t -> t (1 - s) + s / 2
    ts = t * 0.8 + 0.1
    got = _np(
        backend,
        la.binary_cross_entropy_with_logits(
            backend.asarray(x), backend.asarray(t), label_smoothing=0.2, reduction="none"
        ),
    )
    np.testing.assert_allclose(got, ts * sp_neg + (1 - ts) * sp_pos, rtol=1e-12)
    # pos_weight, alpha and smoothing together
    got = _np(
        backend,
        la.binary_cross_entropy_with_logits(
            backend.asarray(x), backend.asarray(t), pos_weight=3.0, alpha=0.25, label_smoothing=0.2, reduction="none"
        ),
    )
    np.testing.assert_allclose(got, 0.25 * 3.0 * ts * sp_neg + 0.75 * (1 - ts) * sp_pos, rtol=1e-12)
    # first element by hand: softplus(-2) = log(1 + e^-2)
    assert got[0] == pytest.approx(
        0.25 * 3 * 0.9 * math.log1p(math.exp(-2)) + 0.75 * 0.1 * math.log1p(math.exp(2)), rel=1e-12
    )


def test_bce_probs_alpha_and_smoothing_by_hand(backend):
    p = np.array([0.9, 0.2, 0.6])
    t = np.array([1.0, 0.0, 0.5])
    got = _np(backend, la.binary_cross_entropy(backend.asarray(p), backend.asarray(t), alpha=0.25, reduction="none"))
    np.testing.assert_allclose(got, -(0.25 * t * np.log(p) + 0.75 * (1 - t) * np.log1p(-p)), rtol=1e-12)
    ts = t * 0.9 + 0.05
    got = _np(
        backend, la.binary_cross_entropy(backend.asarray(p), backend.asarray(t), label_smoothing=0.1, reduction="none")
    )
    np.testing.assert_allclose(got, -(ts * np.log(p) + (1 - ts) * np.log1p(-p)), rtol=1e-12)


def test_bce_with_logits_equals_optax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    optax = pytest.importorskip("optax")
    jnp = jax.numpy
    x = jnp.asarray(np.concatenate([RNG.normal(size=12) * 4, [40.0, -40.0, 0.0]]))
    t = jnp.asarray(np.concatenate([RNG.uniform(size=12), [0.0, 1.0, 0.5]]))
    expected = np.asarray(optax.losses.sigmoid_binary_cross_entropy(x, t))
    got = np.asarray(la.binary_cross_entropy_with_logits(x, t, reduction="none"))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert float(la.binary_cross_entropy_with_logits(x, t)) == pytest.approx(expected.mean(), rel=1e-12)
    # gradients too
    ge = jax.grad(lambda v: optax.losses.sigmoid_binary_cross_entropy(v, t).mean())(x)
    gg = jax.grad(lambda v: la.binary_cross_entropy_with_logits(v, t))(x)
    np.testing.assert_allclose(np.asarray(gg), np.asarray(ge), rtol=1e-12, atol=1e-16)


def test_cross_entropy_equals_optax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    optax = pytest.importorskip("optax")
    jnp = jax.numpy
    x = jnp.asarray(RNG.normal(size=(5, 4)) * 2)
    y = jnp.asarray([0, 3, 1, 2, 2], dtype=jnp.int32)
    np.testing.assert_allclose(
        np.asarray(la.cross_entropy(x, y, reduction="none")),
        np.asarray(optax.losses.softmax_cross_entropy_with_integer_labels(x, y)),
        rtol=1e-12,
    )
    t = jax.nn.softmax(jnp.asarray(RNG.normal(size=(5, 4))))
    np.testing.assert_allclose(
        np.asarray(la.cross_entropy(x, t, reduction="none")),
        np.asarray(optax.losses.softmax_cross_entropy(x, t)),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        np.asarray(la.poly1_cross_entropy(x, t, epsilon=1.5, reduction="none")),
        np.asarray(optax.losses.poly_loss_cross_entropy(x, t, epsilon=1.5)),
        rtol=1e-12,
    )


def _smp_losses():
    """smp's losses without its package ``__init__`` (which needs timm); skip when absent."""
    from lossapi._conformance.counterparts import library_available, smp_losses

    ok, why = library_available("smp")
    if not ok:
        pytest.skip(why)
    return smp_losses()


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_bce_with_logits_is_smp_soft_bce_value_and_gradient(smoothing):
    """smp's SoftBCEWithLogitsLoss(smooth_factor=f) is lossapi's label_smoothing=2 f."""
    losses = _smp_losses()
    torch = _torch()
    rng = np.random.default_rng(41)
    x1 = torch.tensor(rng.normal(size=(5, 3)) * 2, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_(True)
    t = torch.tensor(rng.integers(0, 2, (5, 3)), dtype=torch.float64)
    pw = torch.tensor([0.5, 2.0, 1.5], dtype=torch.float64)
    smp = losses.SoftBCEWithLogitsLoss(smooth_factor=smoothing / 2, pos_weight=pw, ignore_index=None)
    ours = la.binary_cross_entropy_with_logits(x1, t, pos_weight=pw, label_smoothing=smoothing)
    theirs = smp(x2, t)
    np.testing.assert_allclose(float(ours.detach()), float(theirs.detach()), rtol=1e-13)
    (g1,) = torch.autograd.grad(ours, x1)
    (g2,) = torch.autograd.grad(theirs, x2)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize(("smoothing", "axis"), [(0.0, -1), (0.1, 1)])
def test_cross_entropy_is_smp_soft_ce_value_and_gradient(smoothing, axis):
    """smp's SoftCrossEntropyLoss(smooth_factor=e, dim=axis) on integer labels, no ignore_index."""
    losses = _smp_losses()
    torch = _torch()
    rng = np.random.default_rng(42)
    z1 = torch.tensor(rng.normal(size=(4, 3, 5)) * 2, requires_grad=True)
    z2 = z1.detach().clone().requires_grad_(True)
    shape = (4, 5) if axis == 1 else (4, 3)
    y = torch.as_tensor(rng.integers(0, 3 if axis == 1 else 5, shape))
    ours = la.cross_entropy(z1, y, axis=axis, label_smoothing=smoothing)
    theirs = losses.SoftCrossEntropyLoss(smooth_factor=smoothing, ignore_index=None, dim=axis)(z2, y)
    np.testing.assert_allclose(float(ours.detach()), float(theirs.detach()), rtol=1e-13)
    (g1,) = torch.autograd.grad(ours, z1)
    (g2,) = torch.autograd.grad(theirs, z2)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-11, atol=1e-16)


# -- the other losses of the module, by hand --------------------------------------------------------


def test_nll_equals_torch(backend):
    torch = _torch()
    lp = _log_softmax(RNG.normal(size=(4, 3, 5)), axis=1)
    y = RNG.integers(0, 3, size=(4, 5))
    y[0, 0] = -100
    w = np.array([0.5, 1.0, 2.0])
    for cw, reduction in itertools.product((None, w), REDUCTIONS):
        expected = torch.nn.functional.nll_loss(
            torch.as_tensor(lp),
            torch.as_tensor(y),
            reduction=reduction,
            weight=None if cw is None else torch.as_tensor(cw),
        ).numpy()
        got = _np(
            backend,
            la.nll(
                backend.asarray(lp),
                backend.asarray(y),
                ignore_index=-100,
                axis=1,
                reduction=reduction,
                class_weight=None if cw is None else backend.asarray(cw),
            ),
        )
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_categorical_ce_gce_brier_poly1_by_hand(backend):
    p = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    y = np.array([0, 0])
    got = _np(backend, la.categorical_cross_entropy(backend.asarray(p), backend.asarray(y), reduction="none"))
    np.testing.assert_allclose(got, [-math.log(0.7), 100.0], rtol=1e-12)  # log 0 clamped at -100
    got = _np(
        backend,
        la.categorical_cross_entropy(
            backend.asarray(p), backend.asarray(np.eye(3)[y]), label_smoothing=0.3, reduction="none"
        ),
    )
    t = 0.7 * np.eye(3)[y] + 0.1
    np.testing.assert_allclose(
        got, [-(t[0] * np.log(p[0])).sum(), -(t[1, 0] * -100 + (t[1, 1:] * np.log(p[1, 1:])).sum())], rtol=1e-12
    )
    got = _np(
        backend,
        la.generalized_cross_entropy(
            backend.asarray(np.array([[0.25, 0.75], [1.0, 0.0]])),
            backend.asarray(np.array([1, 1])),
            q=0.5,
            reduction="none",
        ),
    )
    np.testing.assert_allclose(got, [(1 - math.sqrt(0.75)) / 0.5, 2.0], rtol=1e-12)
    got = _np(backend, la.brier_score(backend.asarray(p), backend.asarray(y), reduction="none"))
    np.testing.assert_allclose(got, [0.09 + 0.04 + 0.01, 1 + 0.25 + 0.25], rtol=1e-12)
    got = float(
        _np(
            backend,
            la.brier_score(backend.asarray(np.array([0.9, 0.2])), backend.asarray(np.array([1.0, 0.0])), axis=None),
        )
    )
    assert got == pytest.approx(0.025, rel=1e-12)
    # poly-1 with labels: -log p_y + eps (1 - p_y)
    x = np.array([[2.0, 0.0, -1.0]])
    py = math.exp(2) / (math.exp(2) + 1 + math.exp(-1))
    got = float(_np(backend, la.poly1_cross_entropy(backend.asarray(x), backend.asarray(np.array([0])), epsilon=2.0)))
    assert got == pytest.approx(-math.log(py) + 2 * (1 - py), rel=1e-12)


# -- 10. native fast paths agree with the generic path -------------------------------------------


def _native_vs_generic(fn, inputs, *, equal_nan=False, **kw):
    """Values and gradients (w.r.t. the floating inputs that require grad) with fast paths on/off
    (``equal_nan``: NaN where NaN counts as equal)."""
    torch = _torch()
    res = []
    for on in (True, False):
        args = [a.detach().clone().requires_grad_(a.requires_grad) for a in inputs]
        with la.native(on):
            out = fn(*args, **kw)
        cot = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
        grads = torch.autograd.grad((out * cot).sum(), [a for a in args if a.requires_grad], allow_unused=True)
        res.append((out.detach(), grads))
    (v1, g1), (v0, g0) = res
    assert v1.shape == v0.shape and v1.dtype == v0.dtype, (v1.shape, v0.shape, v1.dtype, v0.dtype)
    rtol = 1e-12 if v0.dtype == torch.float64 else 2e-6
    torch.testing.assert_close(
        v1, v0, rtol=rtol, atol=rtol * 1e-3, equal_nan=equal_nan, msg=lambda m: f"value {kw}: {m}"
    )
    for a, b in zip(g1, g0):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(
                a, b, rtol=rtol * 100, atol=rtol * 1e-2, equal_nan=equal_nan, msg=lambda m: f"grad {kw}: {m}"
            )
    return v0, g0


def _leaf(a, dtype=None, grad=True):
    torch = _torch()
    t = torch.as_tensor(np.asarray(a)).clone()
    if dtype is not None:
        t = t.to(dtype)
    return t.requires_grad_(grad) if t.is_floating_point() else t


def test_native_cross_entropy_matches_generic():
    torch = _torch()
    x, y, w, probs = _combo_inputs()
    x2 = x[:, :, 0]
    y2 = y[:, 0]
    xl = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    for i, (cw, ii, eps, reduction) in enumerate(itertools.product((None, w), (None, -100, 2), (0.0, 0.1), REDUCTIONS)):
        yy, yy2 = y.copy(), y2.copy()
        if ii == -100:
            yy[0, 0] = yy2[0] = -100
        kw = {
            "class_weight": None if cw is None else torch.as_tensor(cw),
            "ignore_index": ii,
            "label_smoothing": eps,
            "reduction": reduction,
        }
        _native_vs_generic(la.cross_entropy, (_leaf(x), _leaf(yy)), axis=1, **kw)  # (N, C, L)
        if i % 2 == 0:
            _native_vs_generic(la.cross_entropy, (_leaf(x2), _leaf(yy2)), **kw)
        else:
            _native_vs_generic(la.cross_entropy, (_leaf(xl), _leaf(yy)), **kw)  # channels-last 3-D
        if ii is None:
            _native_vs_generic(la.cross_entropy, (_leaf(x), _leaf(probs)), axis=1, **kw)
    # 4-D NCHW, float32, int32 labels, temperature
    x4 = RNG.normal(size=(2, 5, 3, 4))
    y4 = RNG.integers(0, 5, size=(2, 3, 4))
    y4[0, 0, 0] = -100
    x4m = np.ascontiguousarray(np.moveaxis(x4, 1, 2))  # (N, H, C, W)
    x30 = np.ascontiguousarray(np.moveaxis(x, 1, 0))  # (C, N, L)
    for reduction in REDUCTIONS:
        _native_vs_generic(
            la.cross_entropy,
            (_leaf(x4m), _leaf(y4)),
            axis=2,
            ignore_index=-100,
            class_weight=torch.linspace(0.5, 2, 5, dtype=torch.float64),
            reduction=reduction,
        )
        _native_vs_generic(la.cross_entropy, (_leaf(x30), _leaf(y)), axis=0, label_smoothing=0.1, reduction=reduction)
        _native_vs_generic(la.nll, (_leaf(x30), _leaf(y)), axis=0, reduction=reduction)
        _native_vs_generic(la.cross_entropy, (_leaf(x[0, :, 0]), _leaf(y[0, 0])), reduction=reduction)  # 1-D
        _native_vs_generic(la.cross_entropy, (_leaf(x4), _leaf(y4)), axis=1, ignore_index=-100, reduction=reduction)
        _native_vs_generic(
            la.cross_entropy,
            (_leaf(x4, torch.float32), _leaf(y4, torch.int32)),
            axis=1,
            ignore_index=-100,
            label_smoothing=0.05,
            reduction=reduction,
        )
        _native_vs_generic(la.cross_entropy, (_leaf(x2), _leaf(y2, torch.uint8)), temperature=2.0, reduction=reduction)
        _native_vs_generic(
            la.cross_entropy,
            (_leaf(x2), _leaf(y2)),
            label_smoothing=torch.tensor(0.1, dtype=torch.float64),
            reduction=reduction,
        )
        _native_vs_generic(
            la.cross_entropy,
            (_leaf(x2), _leaf(y2)),
            sample_weight=torch.linspace(0, 1, 5, dtype=torch.float64),
            reduction=reduction,
        )


def test_native_cpu_kernel_is_used_only_where_it_gives_the_generic_answer(monkeypatch):
    """On the CPU the class fast paths call torch's own kernel after a label-range check and
    recompute a non-finite result on the exact path: every case where torch's kernel alone
    would differ from the generic path must still match it, and a valid call must use it."""
    torch = _torch()
    calls = []
    real = torch.nn.functional.cross_entropy
    monkeypatch.setattr(torch.nn.functional, "cross_entropy", lambda *a, **k: calls.append(1) or real(*a, **k))
    x = RNG.normal(size=(5, 4))
    y = np.array([0, 1, 2, 3, 1])
    _native_vs_generic(la.cross_entropy, (_leaf(x), _leaf(y)))
    assert calls, "a valid call did not use torch's kernel"
    inf_other = x.copy()
    inf_other[1, 0] = np.inf  # torch's log_softmax: NaN; the generic path: inf
    nan_ignored = x.copy()
    nan_ignored[4] = np.nan  # an ignored row: torch's backward spreads the NaN, the generic path gives 0
    for reduction in REDUCTIONS:
        v, _ = _native_vs_generic(la.cross_entropy, (_leaf(inf_other), _leaf(y)), equal_nan=True, reduction=reduction)
        assert torch.isinf(v).any(), v
        v, (g,) = _native_vs_generic(
            la.cross_entropy,
            (_leaf(nan_ignored), _leaf(np.array([0, 1, 2, 3, 7]))),
            ignore_index=7,
            reduction=reduction,
        )
        assert torch.isfinite(v).all() and torch.equal(g[4], torch.zeros(4, dtype=g.dtype)), (v, g)
        # -100 is a label (NaN) unless it is the ignore_index; -1 next to an ignored -100 is invalid
        v, _ = _native_vs_generic(
            la.cross_entropy, (_leaf(x), _leaf(np.array([0, 1, -100, 3, 1]))), equal_nan=True, reduction=reduction
        )
        assert torch.isnan(v).any(), v
        v, _ = _native_vs_generic(
            la.cross_entropy,
            (_leaf(x), _leaf(np.array([0, -1, -100, 3, 1]))),
            ignore_index=-100,
            equal_nan=True,
            reduction=reduction,
        )
        assert torch.isnan(v).any(), v
        v, _ = _native_vs_generic(
            la.nll, (_leaf(x), _leaf(np.array([0, 1, 4, 3, 1]))), equal_nan=True, reduction=reduction
        )
        assert torch.isnan(v).any(), v
    # multiclass_hinge (Weston-Watkins): torch's multi_margin_loss under the same rules
    hinge_calls = []
    real_hinge = torch.nn.functional.multi_margin_loss
    monkeypatch.setattr(
        torch.nn.functional,
        "multi_margin_loss",
        lambda *a, **k: hinge_calls.append(k["reduction"]) or real_hinge(*a, **k),
    )
    ww = {"variant": "weston_watkins"}
    for reduction in REDUCTIONS:
        hinge_calls.clear()
        _native_vs_generic(la.multiclass_hinge, (_leaf(x), _leaf(y)), reduction=reduction, **ww)
        assert hinge_calls == [reduction], hinge_calls  # torch's own reduction, one call
        v, _ = _native_vs_generic(
            la.multiclass_hinge, (_leaf(inf_other), _leaf(y)), equal_nan=True, reduction=reduction, **ww
        )
        assert not torch.isfinite(v).all(), v
        v, _ = _native_vs_generic(
            la.multiclass_hinge, (_leaf(x), _leaf(np.array([0, 1, 4, 3, 1]))), equal_nan=True, reduction=reduction, **ww
        )
        assert torch.isnan(v).any(), v
    w4 = torch.tensor([0.5, 1.0, 2.0, 3.0], dtype=torch.float64)
    hinge_calls.clear()
    _native_vs_generic(la.multiclass_hinge, (_leaf(x), _leaf(y)), class_weight=w4, **ww)  # "mean" / sum(w_y)
    assert hinge_calls == ["none"], hinge_calls
    # class weights of the counted labels summing to 0: torch divides by 0, the generic mean is 0
    w = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    v, _ = _native_vs_generic(
        la.cross_entropy, (_leaf(x), _leaf(np.array([1, 1, 2, 3, 7]))), class_weight=w, ignore_index=7
    )
    assert v.item() == 0.0, v


def test_native_all_ignored_is_zero_with_zero_gradient():
    torch = _torch()
    x = RNG.normal(size=(4, 3))
    y = np.full(4, -100)
    cw = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    for on in (True, False):
        with la.native(on):
            for kw in (
                {},
                {"class_weight": cw},
                {"label_smoothing": 0.1},
                {"class_weight": cw, "label_smoothing": 0.1},
            ):
                for reduction in ("mean", "sum"):
                    xl = _leaf(x)
                    out = la.cross_entropy(xl, _leaf(y), ignore_index=-100, reduction=reduction, **kw)
                    (g,) = torch.autograd.grad(out, xl)
                    assert out.item() == 0.0, (on, kw, reduction, out)
                    assert torch.equal(g, torch.zeros_like(g)), (on, kw, reduction)
                xl = _leaf(x)
                out = la.nll(xl, _leaf(y), ignore_index=-100, **{k: v for k, v in kw.items() if k == "class_weight"})
                (g,) = torch.autograd.grad(out, xl)
                assert out.item() == 0.0 and torch.equal(g, torch.zeros_like(g)), (on, kw)
            # 4-D, axis=1, everything ignored
            x4 = _leaf(RNG.normal(size=(2, 3, 2, 2)))
            out = la.cross_entropy(x4, _leaf(np.full((2, 2, 2), 7)), ignore_index=7, axis=1)
            (g,) = torch.autograd.grad(out, x4)
            assert out.item() == 0.0 and torch.equal(g, torch.zeros_like(g))


def test_native_nll_and_bce_match_generic():
    torch = _torch()
    lp = _log_softmax(RNG.normal(size=(6, 4, 3)), axis=1)
    y = RNG.integers(0, 4, size=(6, 3))
    y[1, 2] = -100
    w = torch.tensor([0.5, 1.0, 2.0, 3.0], dtype=torch.float64)
    for cw, ii, reduction in itertools.product((None, w), (None, -100), REDUCTIONS):
        yy = y if ii is not None else np.where(y == -100, 0, y)
        _native_vs_generic(
            la.nll, (_leaf(lp), _leaf(yy)), axis=1, class_weight=cw, ignore_index=ii, reduction=reduction
        )
        _native_vs_generic(
            la.nll, (_leaf(lp[:, :, 0]), _leaf(yy[:, 0])), class_weight=cw, ignore_index=ii, reduction=reduction
        )
    # exact 0 / 1 probabilities: see test_bce_saturated_equals_torch_with_finite_gradient
    p = np.concatenate([RNG.uniform(0.01, 0.99, size=10), [1e-3, 0.999, 1e-9, 1.0 - 1e-9]])
    t = np.concatenate([RNG.uniform(size=10), [1.0, 0.0, 0.0, 1.0]])
    x = np.concatenate([RNG.normal(size=10) * 3, [1e4, -1e4, 0.0, 30.0]])
    pw = np.linspace(0.5, 3.0, 14)
    for reduction in REDUCTIONS:
        for kw in ({}, {"alpha": 0.25}, {"label_smoothing": 0.1}, {"alpha": 0.7, "label_smoothing": 0.2}):
            _native_vs_generic(la.binary_cross_entropy, (_leaf(p), _leaf(t, grad=False)), reduction=reduction, **kw)
            _native_vs_generic(la.binary_cross_entropy, (_leaf(p), _leaf(t)), reduction=reduction, **kw)
            _native_vs_generic(la.binary_cross_entropy_with_logits, (_leaf(x), _leaf(t)), reduction=reduction, **kw)
            _native_vs_generic(
                la.binary_cross_entropy_with_logits, (_leaf(x), _leaf(t)), pos_weight=2.5, reduction=reduction, **kw
            )
            _native_vs_generic(
                la.binary_cross_entropy_with_logits,
                (_leaf(x), _leaf(t)),
                pos_weight=_leaf(pw, grad=False),
                reduction=reduction,
                **kw,
            )
        _native_vs_generic(
            la.binary_cross_entropy_with_logits,
            (_leaf(x.reshape(7, 2), torch.float32), _leaf(t.reshape(7, 2), torch.float32)),
            pos_weight=torch.tensor([1.0, 4.0]),
            reduction=reduction,
        )
        # integer targets
        _native_vs_generic(
            la.binary_cross_entropy_with_logits, (_leaf(x), _leaf((t > 0.5).astype(np.int64))), reduction=reduction
        )


def test_native_matches_torch_values():
    """With fast paths on (the default), values equal torch's own kernels."""
    torch = _torch()
    F = torch.nn.functional
    x = torch.as_tensor(RNG.normal(size=(5, 4)))
    y = torch.tensor([0, 3, -100, 1, 2])
    w = torch.tensor([0.5, 1.0, 2.0, 3.0], dtype=torch.float64)
    with la.native(True):
        for reduction in REDUCTIONS:
            torch.testing.assert_close(
                la.cross_entropy(x, y, class_weight=w, ignore_index=-100, label_smoothing=0.1, reduction=reduction),
                F.cross_entropy(x, y, weight=w, label_smoothing=0.1, reduction=reduction),
                rtol=1e-12,
                atol=1e-15,
            )
            torch.testing.assert_close(
                la.nll(x, y, class_weight=w, ignore_index=-100, reduction=reduction),
                F.nll_loss(x, y, weight=w, reduction=reduction),
                rtol=1e-12,
                atol=1e-15,
            )


# -- 11. clear errors -------------------------------------------------------------------------------


def _error_backends():
    out = ["numpy"]
    try:
        import torch  # noqa: F401

        out.append("torch")
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("name", _error_backends())
@pytest.mark.parametrize("native", [True, False], ids=["native", "generic"])
def test_clear_errors(name, native):
    from _backends import load_backend

    bk = load_backend(name)
    x = bk.asarray(RNG.normal(size=(4, 3)))
    y = bk.asarray(np.array([0, 1, 2, 1]))
    probs = bk.asarray(np.full((4, 3), 1 / 3))
    with la.native(native):
        with pytest.raises(la.InvalidDTypeError, match=r"lossapi\.nll.*`labels`"):
            la.nll(x, probs)
        with pytest.raises(la.InvalidDTypeError, match=r"lossapi\.nll.*`labels`"):
            la.nll(x, bk.asarray(np.array([0.0, 1.0, 2.0, 1.0])))
        with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.cross_entropy.*`target`.*squeeze"):
            la.cross_entropy(x, bk.asarray(np.array([[0], [1], [2], [1]])))
        with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.nll.*`labels`.*squeeze"):
            la.nll(x, bk.asarray(np.array([[0], [1], [2], [1]])))
        with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.cross_entropy.*class_weight"):
            la.cross_entropy(x, y, class_weight=bk.asarray(np.ones(4)))
        with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.nll.*class_weight"):
            la.nll(x, y, class_weight=bk.asarray(np.ones(2)))
        for s in (-0.1, 1.5):
            with pytest.raises(la.InvalidOptionError, match=r"lossapi\.cross_entropy.*label_smoothing"):
                la.cross_entropy(x, y, label_smoothing=s)
            with pytest.raises(
                la.InvalidOptionError, match=r"lossapi\.binary_cross_entropy_with_logits.*label_smoothing"
            ):
                la.binary_cross_entropy_with_logits(x, probs, label_smoothing=s)
            with pytest.raises(la.InvalidOptionError, match=r"lossapi\.binary_cross_entropy.*label_smoothing"):
                la.binary_cross_entropy(probs, probs, label_smoothing=s)
        for T in (0.0, -1.0):
            with pytest.raises(la.InvalidOptionError, match=r"lossapi\.cross_entropy.*temperature"):
                la.cross_entropy(x, y, temperature=T)
        with pytest.raises(la.InvalidOptionError, match=r"lossapi\.cross_entropy.*ignore_index"):
            la.cross_entropy(x, probs, ignore_index=-100)
        for ax in (2, -3):
            with pytest.raises(la.InvalidOptionError, match=r"lossapi\.cross_entropy.*axis"):
                la.cross_entropy(x, y, axis=ax)
            with pytest.raises(la.InvalidOptionError, match=r"lossapi\.nll.*axis"):
                la.nll(x, y, axis=ax)
        with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.cross_entropy.*`logits`.*0-d"):
            la.cross_entropy(bk.asarray(np.float64(1.0)), bk.asarray(np.int64(0)))
        with pytest.raises(la.InvalidOptionError, match=r"lossapi\.cross_entropy.*reduction"):
            la.cross_entropy(x, y, reduction="avg")
        with pytest.raises(la.InvalidDTypeError, match=r"lossapi\.cross_entropy.*`logits`"):
            la.cross_entropy(bk.asarray(np.array([[1, 2], [3, 4]])), bk.asarray(np.array([0, 1])))
        with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.cross_entropy.*`target`"):
            la.cross_entropy(x, bk.asarray(np.full((4, 4), 0.25)))
    # lossapi errors are also the builtin exceptions users catch
    assert issubclass(la.InvalidOptionError, ValueError) and issubclass(la.ShapeMismatchError, ValueError)
    assert issubclass(la.InvalidDTypeError, TypeError)


def test_bce_with_logits_target_gradient_at_infinite_logits_matches_generic(torch):
    """torch's own target gradient is -logit (-+inf at +-inf logits); the generic path gives NaN
    there. With a target gradient the fast path steps aside, so both paths agree."""
    logits = [math.inf, -math.inf, 0.7, -1.2]
    target = [0.6, 0.0, 0.3, 1.0]
    grads = []
    for fast in (True, False):
        x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
        t = torch.tensor(target, dtype=torch.float64, requires_grad=True)
        with la.native(fast):
            la.binary_cross_entropy_with_logits(x, t).backward()
        grads.append((x.grad.numpy(), t.grad.numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])
    assert np.isnan(grads[0][1][:2]).all()
