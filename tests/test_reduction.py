"""Reductions, weights and ``where`` masks (``lossapi._reduction`` and the losses using it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lossapi as la
from lossapi._dispatch import get_namespace
from lossapi._reduction import reduce

P = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
T = np.array([[0.0, 1.0, 0.5], [1.0, 2.0, 1.0]])
SQ = (P - T) ** 2  # [[1, 9, 0], [4, 4, 4]]
W = np.array([[1.0, 0.5, 2.0], [0.0, 3.0, 1.5]])


def test_weighted_mean_by_hand(backend):
    out = la.mse(backend.asarray(P), backend.asarray(T), sample_weight=backend.asarray(W))
    # sum(w*l) = 1 + 4.5 + 0 + 0 + 12 + 6 = 23.5 ; sum(w) = 8
    assert backend.to_numpy(out) == pytest.approx(23.5 / 8.0, rel=1e-12)
    s = la.mse(backend.asarray(P), backend.asarray(T), sample_weight=backend.asarray(W), reduction="sum")
    assert backend.to_numpy(s) == pytest.approx(23.5, rel=1e-12)
    n = la.mse(backend.asarray(P), backend.asarray(T), sample_weight=backend.asarray(W), reduction="none")
    np.testing.assert_allclose(backend.to_numpy(n), [[1.0, 4.5, 0.0], [0.0, 12.0, 6.0]], rtol=1e-12)


def test_plain_mean_and_sum_by_hand(backend):
    p, t = backend.asarray(P), backend.asarray(T)
    assert backend.to_numpy(la.mse(p, t)) == pytest.approx(22.0 / 6.0, rel=1e-12)
    assert backend.to_numpy(la.mse(p, t, reduction="sum")) == pytest.approx(22.0, rel=1e-12)


def test_broadcast_sample_weight_per_row(backend):
    w_row = np.array([[2.0], [1.0]])  # (2, 1) against the (2, 3) loss
    out = la.mse(backend.asarray(P), backend.asarray(T), sample_weight=backend.asarray(w_row))
    # row sums of SQ: 10 and 12 ; sum(w*l) = 20 + 12 = 32 ; sum(w) over the broadcast shape = 6 + 3
    assert backend.to_numpy(out) == pytest.approx(32.0 / 9.0, rel=1e-12)


def test_where_and_weight_combine(backend):
    mask = np.array([[True, True, False], [False, True, True]])
    out = la.mse(backend.asarray(P), backend.asarray(T), sample_weight=backend.asarray(W), where=backend.asarray(mask))
    # kept: w*l = 1, 4.5, 12, 6 ; w = 1, 0.5, 3, 1.5
    assert backend.to_numpy(out) == pytest.approx(23.5 / 6.0, rel=1e-12)


def test_all_zero_weights_give_zero(backend):
    z = np.zeros_like(W)
    out = la.mse(backend.asarray(P), backend.asarray(T), sample_weight=backend.asarray(z))
    v = backend.to_numpy(out)
    assert v.shape == () and v == 0.0 and not np.isnan(v)
    m = la.mae(backend.asarray(P), backend.asarray(T), where=backend.asarray(np.zeros(P.shape, dtype=bool)))
    assert backend.to_numpy(m) == 0.0


def test_all_zero_weights_zero_gradient_torch(torch):
    p = torch.tensor(P, requires_grad=True)
    w = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    out = la.huber(p, torch.tensor(T), sample_weight=w)
    out.backward()
    assert out.item() == 0.0
    assert torch.equal(p.grad, torch.zeros_like(p))
    assert torch.isfinite(w.grad).all()
    p.grad = None
    out = la.mse(p, torch.tensor(T), where=torch.zeros(2, 3, dtype=torch.bool))
    out.backward()
    assert out.item() == 0.0 and torch.equal(p.grad, torch.zeros_like(p))


def test_all_zero_weights_zero_gradient_jax(jax):
    jnp = jax.numpy
    t = jnp.asarray(T)
    w = jnp.zeros((2, 3))
    val, g = jax.value_and_grad(lambda p: la.huber(p, t, sample_weight=w))(jnp.asarray(P))
    assert float(val) == 0.0
    np.testing.assert_array_equal(np.asarray(g), np.zeros((2, 3)))
    gw = jax.grad(lambda w_: la.mse(jnp.asarray(P), t, sample_weight=w_))(w)
    assert np.isfinite(np.asarray(gw)).all()
    val, g = jax.jit(jax.value_and_grad(lambda p: la.mae(p, t, where=jnp.zeros((2, 3), dtype=bool))))(jnp.asarray(P))
    assert float(val) == 0.0
    np.testing.assert_array_equal(np.asarray(g), np.zeros((2, 3)))


# Masked entries hold inf / NaN in pred and target; kept entries: e = [1, -2] (plus 0.5 at the third)
BAD_P = np.array([1.0, np.inf, -2.0, np.nan, 0.5, -np.inf])
BAD_T = np.array([0.0, 1.0, 0.0, np.nan, 1.0, np.inf])
KEEP = np.array([True, False, True, False, True, False])
REGRESSION_MASKED = [
    # name, kwargs, expected mean over kept entries of e = p - t = [1, -2, -0.5], d/dp per kept entry
    ("mean_squared_error", {}, (1 + 4 + 0.25) / 3, np.array([2.0, -4.0, -1.0]) / 3),
    ("mean_absolute_error", {}, (1 + 2 + 0.5) / 3, np.array([1.0, -1.0, -1.0]) / 3),
    ("huber", {"delta": 1.0}, (0.5 + 1.5 + 0.125) / 3, np.array([1.0, -1.0, -0.5]) / 3),
    (
        "log_cosh",
        {},
        (math.log(math.cosh(1)) + math.log(math.cosh(2)) + math.log(math.cosh(0.5))) / 3,
        np.tanh(np.array([1.0, -2.0, -0.5])) / 3,
    ),
]


@pytest.mark.parametrize(("name", "kw", "value", "grad"), REGRESSION_MASKED)
def test_where_hides_inf_nan_torch(torch, name, kw, value, grad):
    p = torch.tensor(BAD_P, requires_grad=True)
    t = torch.tensor(BAD_T, requires_grad=True)
    out = getattr(la, name)(p, t, where=torch.tensor(KEEP), **kw)
    out.backward()
    assert out.item() == pytest.approx(value, rel=1e-12)
    gp = p.grad.numpy()
    assert np.isfinite(gp).all() and np.isfinite(t.grad.numpy()).all()
    np.testing.assert_allclose(gp[KEEP], grad, rtol=1e-12)
    np.testing.assert_array_equal(gp[~KEEP], 0.0)
    np.testing.assert_array_equal(t.grad.numpy()[~KEEP], 0.0)


@pytest.mark.parametrize(("name", "kw", "value", "grad"), REGRESSION_MASKED)
def test_where_hides_inf_nan_jax(jax, name, kw, value, grad):
    jnp = jax.numpy
    fn = getattr(la, name)
    keep = jnp.asarray(KEEP)

    def f(p, t):
        return fn(p, t, where=keep, **kw)

    for wrap in (lambda g: g, jax.jit):
        val, (gp, gt) = wrap(jax.value_and_grad(f, argnums=(0, 1)))(jnp.asarray(BAD_P), jnp.asarray(BAD_T))
        assert float(val) == pytest.approx(value, rel=1e-12)
        gp, gt = np.asarray(gp), np.asarray(gt)
        assert np.isfinite(gp).all() and np.isfinite(gt).all()
        np.testing.assert_allclose(gp[KEEP], grad, rtol=1e-12)
        np.testing.assert_array_equal(gp[~KEEP], 0.0)
        np.testing.assert_array_equal(gt[~KEEP], 0.0)


def test_where_hides_nan_in_sample_weight(backend):
    w = np.array([1.0, np.nan, 1.0, np.inf, 2.0, 1.0])
    out = la.mse(
        backend.asarray(BAD_P), backend.asarray(BAD_T), sample_weight=backend.asarray(w), where=backend.asarray(KEEP)
    )
    # kept: l = 1, 4, 0.25 with w = 1, 1, 2
    assert backend.to_numpy(out) == pytest.approx((1 + 4 + 0.5) / 4, rel=1e-12)


def test_nan_in_counted_entry_propagates(backend):
    out = la.mse(backend.asarray([1.0, np.nan]), backend.asarray([0.0, 0.0]))
    assert np.isnan(backend.to_numpy(out))


def test_unknown_reduction_names_the_value(backend):
    p = backend.asarray([1.0, 2.0])
    with pytest.raises(la.InvalidOptionError) as info:
        la.huber(p, p, reduction="avg")
    assert isinstance(info.value, ValueError)
    msg = str(info.value)
    assert "'avg'" in msg and "huber" in msg and "reduction" in msg and "'mean'" in msg
    with pytest.raises(la.InvalidOptionError, match="'batchmean'"):
        la.mse(p, p, reduction="batchmean")


@pytest.mark.parametrize("wshape", [(2,), (3, 1), (2, 3), (4,)])
def test_non_broadcastable_sample_weight(backend, wshape):
    p = backend.asarray(np.ones(3))
    w = backend.asarray(np.ones(wshape))
    with pytest.raises(la.ShapeMismatchError) as info:
        la.mse(p, p, sample_weight=w)
    msg = str(info.value)
    assert "`sample_weight`" in msg and str(tuple(wshape)) in msg and "(3,)" in msg


def test_where_with_non_bool_dtype(backend):
    p = backend.asarray(np.ones(3))
    for dt in ("float64", "int64"):
        with pytest.raises(la.InvalidDTypeError) as info:
            la.mae(p, p, where=backend.asarray(np.ones(3), dtype=dt))
        msg = str(info.value)
        assert "`where`" in msg and "mean_absolute_error" in msg and "bool" in msg


def test_where_non_broadcastable(backend):
    p = backend.asarray(np.ones(3))
    with pytest.raises(la.ShapeMismatchError, match="`where`"):
        la.mae(p, p, where=backend.asarray(np.ones((2, 3), dtype=bool)))


def test_none_keeps_shape(backend):
    p = backend.asarray(np.zeros((2, 3, 4)))
    t = backend.asarray(np.ones((2, 3, 4)))
    for fn in (la.mse, la.mae, la.huber, la.quantile):
        out = fn(p, t, reduction="none")
        assert tuple(out.shape) == (2, 3, 4)
        assert backend.is_native(out)
    # broadcasting (3, 4) against (2, 3, 4) gives the broadcast shape
    out = la.mse(backend.asarray(np.zeros((3, 4))), t, reduction="none")
    assert tuple(out.shape) == (2, 3, 4)
    np.testing.assert_array_equal(backend.to_numpy(out), np.ones((2, 3, 4)))


def test_empty_mean_is_zero(backend):
    e = backend.asarray(np.zeros((0,)))
    for fn in (la.mse, la.mae, la.huber):
        for kw in (
            {},
            {"sample_weight": backend.asarray(np.zeros((0,)))},
            {"where": backend.asarray(np.zeros((0,), dtype=bool))},
        ):
            v = backend.to_numpy(fn(e, e, **kw))
            assert v.shape == () and v == 0.0, (fn.__name__, kw)
        assert backend.to_numpy(fn(e, e, reduction="sum")) == 0.0
        assert tuple(fn(e, e, reduction="none").shape) == (0,)


def test_reduce_directly(backend):
    """The reduction helper on its own: weighted mean, `weight` and `where` combined."""
    loss = backend.asarray(np.array([1.0, 2.0, 3.0, 4.0]))
    xp = get_namespace("t", "loss", loss)
    w_int = backend.asarray(np.array([1.0, 0.0, 1.0, 1.0]))  # e.g. an ignore_index mask
    sw = backend.asarray(np.array([2.0, 5.0, 1.0, 1.0]))
    keep = backend.asarray(np.array([True, True, True, False]))
    out = reduce(xp, loss, "mean", fn="t", sample_weight=sw, where=keep, weight=w_int)
    # w = [2, 0, 1, 0] -> (2 + 3) / 3
    assert backend.to_numpy(out) == pytest.approx(5.0 / 3.0, rel=1e-12)
    out = reduce(xp, loss, "sum", fn="t", weight=w_int)
    assert backend.to_numpy(out) == pytest.approx(8.0, rel=1e-12)
    out = reduce(xp, loss, "none", fn="t", where=keep)
    np.testing.assert_array_equal(backend.to_numpy(out), [1.0, 2.0, 3.0, 0.0])


def test_integer_sample_weight_is_cast(backend):
    out = la.mse(
        backend.asarray(P), backend.asarray(T), sample_weight=backend.asarray(np.array([[1, 1, 1], [0, 0, 2]]))
    )
    # sum(w*l) = 1 + 9 + 0 + 8 = 18 ; sum(w) = 5
    v = backend.to_numpy(out)
    assert v.dtype == np.float64 and v == pytest.approx(18.0 / 5.0, rel=1e-12)
