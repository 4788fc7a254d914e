"""Numerical building blocks (``lossapi._ops``) against float64 NumPy/SciPy references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from lossapi import _array, _ops
from lossapi._dispatch import get_namespace

X = np.array([-1e4, -50.0, -3.0, -1e-8, 0.0, 1e-8, 0.7, 3.0, 50.0, 1e4])
M = np.array([[1.0, 2.0, 3.0, -1.0], [-1e4, 0.0, 1e4, 5.0], [0.0, 0.0, 0.0, 0.0]])


def _ns(backend, a):
    return get_namespace("test", "x", a)


def _check(backend, got, expected, rtol=1e-12, atol=0.0):
    assert backend.is_native(got), type(got)
    g = backend.to_numpy(got)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol)


def test_softplus(backend):
    x = backend.asarray(X)
    _check(backend, _ops.softplus(_ns(backend, x), x), np.logaddexp(0.0, X))


def test_log_sigmoid(backend):
    x = backend.asarray(X)
    _check(backend, _ops.log_sigmoid(_ns(backend, x), x), special.log_expit(X))
    got = backend.to_numpy(_ops.log_sigmoid(_ns(backend, x), x))
    assert np.isfinite(got).all()
    assert got[0] == -1e4 and got[-1] == 0.0


def test_sigmoid_via_log_sigmoid(backend):
    x = backend.asarray(X)
    xp = _ns(backend, x)
    _check(backend, xp.exp(_ops.log_sigmoid(xp, x)), special.expit(X), atol=1e-300)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_logsumexp(backend, axis):
    x = backend.asarray(M)
    xp = _ns(backend, x)
    _check(backend, _ops.logsumexp(xp, x, axis=axis), special.logsumexp(M, axis=axis))
    kd = _ops.logsumexp(xp, x, axis=axis, keepdims=True)
    _check(backend, kd, special.logsumexp(M, axis=axis, keepdims=True))


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_logsumexp_all_neg_inf_row(backend):
    a = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 1.0]])
    x = backend.asarray(a)
    got = backend.to_numpy(_ops.logsumexp(_ns(backend, x), x))
    assert got[0] == -np.inf
    assert got[1] == pytest.approx(np.log(1.0 + np.e), rel=1e-12)


@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax(backend, axis):
    x = backend.asarray(M)
    expected = M - special.logsumexp(M, axis=axis, keepdims=True)
    got = _ops.log_softmax(_ns(backend, x), x, axis=axis)
    _check(backend, got, expected, rtol=1e-12, atol=1e-12)
    assert np.isfinite(backend.to_numpy(got)).all()


def test_xlogy(backend):
    xa = np.array([0.0, 0.0, 1.0, 2.5, 0.0, 3.0])
    ya = np.array([0.0, 2.0, 1.0, 0.5, np.inf, 7.0])
    x, y = backend.asarray(xa), backend.asarray(ya)
    got = _ops.xlogy(_ns(backend, x), x, y)
    _check(backend, got, special.xlogy(xa, ya))
    assert backend.to_numpy(got)[0] == 0.0


def test_safe_sqrt_and_norm_values(backend):
    a = np.array([0.0, 1e-300, 2.0, 9.0])
    x = backend.asarray(a)
    xp = _ns(backend, x)
    _check(backend, _ops.safe_sqrt(xp, x), np.sqrt(a))
    v = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0], [1.0, -2.0, 2.0]])
    xv = backend.asarray(v)
    _check(backend, _ops.safe_norm(xp, xv), np.linalg.norm(v, axis=-1))
    _check(backend, _ops.safe_norm(xp, xv, axis=0, keepdims=True), np.linalg.norm(v, axis=0, keepdims=True))


def test_abs_relu_clip(backend):
    x = backend.asarray(X)
    xp = _ns(backend, x)
    _check(backend, _ops.abs_(xp, x), np.abs(X))
    _check(backend, _ops.relu(xp, x), np.maximum(X, 0.0))
    _check(backend, _ops.clip_max(xp, x, 2.0), np.minimum(X, 2.0))
    hi = backend.asarray(np.float64(0.5))
    _check(backend, _ops.clip_max(xp, x, hi), np.minimum(X, 0.5))


def test_gather_labels(backend):
    labels = np.array([2, 0, 3])
    x = backend.asarray(M)
    xp = _ns(backend, x)
    for dt in ("int64", "int32"):
        got = _ops.gather_labels(xp, x, backend.asarray(labels, dtype=dt))
        _check(backend, got, M[np.arange(3), labels])
    # class axis first: (C, N) with axis=0
    got = _ops.gather_labels(xp, backend.asarray(M.T), backend.asarray(labels), axis=0)
    _check(backend, got, M[np.arange(3), labels])


def test_gather_labels_nd_axis1(backend):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 4, 3, 5))  # (N, C, H, W), class axis 1
    lab = rng.integers(0, 4, size=(2, 3, 5))
    expected = np.take_along_axis(a, lab[:, None], axis=1)[:, 0]
    x = backend.asarray(a)
    got = _ops.gather_labels(_ns(backend, x), x, backend.asarray(lab), axis=1)
    _check(backend, got, expected)


def test_gather_labels_dask_chunked(da):
    rng = np.random.default_rng(2)
    a = rng.normal(size=(10, 7))
    lab = rng.integers(0, 7, size=10)
    x = da.from_array(a, chunks=(3, 2))  # chunked along both the batch and the class axis
    labels = da.from_array(lab, chunks=3)
    xp = get_namespace("t", "x labels", x, labels)
    got = _ops.gather_labels(xp, x, labels)
    assert isinstance(got, da.Array)  # stays lazy
    np.testing.assert_allclose(got.compute(), a[np.arange(10), lab], rtol=0, atol=0)


def test_gather_labels_torch_int32(torch):
    x = torch.tensor(M, requires_grad=True)
    lab = torch.tensor([2, 0, 3], dtype=torch.int32)
    got = _ops.gather_labels(get_namespace("t", "x", x), x, lab)
    assert got.tolist() == M[np.arange(3), [2, 0, 3]].tolist()
    got.sum().backward()
    expected = np.zeros_like(M)
    expected[np.arange(3), [2, 0, 3]] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert lab.dtype == torch.int32  # the caller's labels are not modified


def test_one_hot(backend):
    lab = np.array([0, 2, -1, 3, 1])  # -1 and 3 are out of range for 3 classes
    labels = backend.asarray(lab)
    xp = _ns(backend, labels)
    got = _ops.one_hot(xp, labels, 3, xp.float64)
    expected = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 1, 0]], dtype=np.float64)
    _check(backend, got, expected, rtol=0)
    got0 = _ops.one_hot(xp, labels, 3, xp.float64, axis=0)
    _check(backend, got0, expected.T, rtol=0)


def test_one_hot_int32_labels_and_dtype(backend):
    labels = backend.asarray(np.array([[1, 0], [5, 2]]), dtype="int32")
    xp = _ns(backend, labels)
    got = _ops.one_hot(xp, labels, 3, xp.float32)
    g = backend.to_numpy(got)
    assert g.dtype == np.float32 and g.shape == (2, 2, 3)
    np.testing.assert_array_equal(g, np.eye(3, dtype=np.float32)[[[1, 0], [0, 2]]] * np.array([[[1], [1]], [[0], [1]]]))


def test_stop_gradient_identity_value(backend):
    x = backend.asarray(X)
    _check(backend, _ops.stop_gradient(_ns(backend, x), x), X, rtol=0)


def test_stop_gradient_torch(torch):
    x = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    xp = get_namespace("t", "x", x)
    y = (_ops.stop_gradient(xp, x) * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.5, -2.0])  # not 2x
    assert not _ops.stop_gradient(xp, x).requires_grad


def test_stop_gradient_jax(jax):
    jnp = jax.numpy
    x = jnp.asarray([1.5, -2.0])
    xp = get_namespace("t", "x", x)
    g = jax.grad(lambda v: jnp.sum(_ops.stop_gradient(xp, v) * v))(x)
    np.testing.assert_array_equal(np.asarray(g), [1.5, -2.0])
    g = jax.jit(jax.grad(lambda v: jnp.sum(_ops.stop_gradient(xp, v) * v)))(x)
    np.testing.assert_array_equal(np.asarray(g), [1.5, -2.0])


def _dtype(backend, xp, name):
    return getattr(backend.mod, name, None) or getattr(xp, name, None) or np.dtype(name)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_upcast(backend, dtype):
    if backend.name == "array_api_strict" and dtype in ("float16", "bfloat16"):
        pytest.skip("array_api_strict has no 16-bit floats")
    if dtype == "bfloat16" and backend.name not in ("torch", "jax"):
        pytest.skip(f"{backend.name} has no bfloat16")
    x = backend.asarray(np.array([1.0, 2.0]))
    xp = _ns(backend, x)
    x = xp.astype(x, _dtype(backend, xp, dtype))
    assert _array.is_half(x.dtype) == (dtype in ("float16", "bfloat16"))
    up = _ops.astype(xp, x, _array.compute_dtype(xp, x.dtype))  # what every kind computes in
    expected = "float32" if dtype in ("float16", "bfloat16") else dtype
    assert up.dtype == _dtype(backend, xp, expected)
    assert backend.to_numpy(up).tolist() == [1.0, 2.0]
    if expected == dtype:
        assert up is x


def test_astype_param_as_result(backend):
    x = backend.asarray(np.array([1.0, 2.0]), dtype="float32")
    xp = _ns(backend, x)
    assert _ops.astype(xp, x, xp.float32) is x
    assert _ops.astype(xp, x, xp.float64).dtype == xp.float64
    assert _ops.param(xp, 2.0, xp.float32) == 2.0 and isinstance(_ops.param(xp, 2.0, xp.float32), float)
    p64 = backend.asarray(np.float64(2.0))
    assert _ops.param(xp, p64, xp.float32).dtype == xp.float32
    assert _ops.finfo_eps(xp, xp.float32) == float(np.finfo(np.float32).eps)
    r = _ops.as_result(xp, xp.sum(x))
    assert backend.is_native(r)


def test_as_result_numpy_scalar():
    import array_api_compat.numpy as npx

    s = np.float64(3.0)
    assert type(s) is not np.ndarray
    out = _ops.as_result(npx, s)
    assert type(out) is np.ndarray and out.shape == () and float(out) == 3.0


# --------------------------------------------------------------------------- gradient conventions

_KINK_FUNCS = {
    "abs_": lambda xp, x: _ops.abs_(xp, x),
    "relu": lambda xp, x: _ops.relu(xp, x),
    "safe_sqrt": lambda xp, x: _ops.safe_sqrt(xp, x),
    "safe_norm": lambda xp, x: _ops.safe_norm(xp, xp.reshape(x, (1, -1)), axis=-1),
}
_KINK_X = np.array([0.0, 0.0, 0.0])
# expected gradients at a smooth point (for the same functions), sum of outputs
_SMOOTH_X = np.array([4.0, -3.0, 0.0])


@pytest.mark.parametrize("name", list(_KINK_FUNCS))
def test_gradient_zero_at_zero_torch(torch, name):
    x = torch.tensor(_KINK_X, requires_grad=True)
    f = _KINK_FUNCS[name]
    f(get_namespace("t", "x", x), x).sum().backward()
    assert torch.equal(x.grad, torch.zeros(3, dtype=torch.float64)), x.grad


@pytest.mark.parametrize("name", list(_KINK_FUNCS))
def test_gradient_zero_at_zero_jax(jax, name):
    jnp = jax.numpy
    f = _KINK_FUNCS[name]
    x = jnp.asarray(_KINK_X)
    xp = get_namespace("t", "x", x)
    for wrap in (lambda g: g, jax.jit):
        g = wrap(jax.grad(lambda v: jnp.sum(f(xp, v))))(x)
        np.testing.assert_array_equal(np.asarray(g), np.zeros(3))


def test_gradients_away_from_zero_torch_jax(torch, jax):
    """The conventions only change the kink: elsewhere the gradients are the usual ones."""
    jnp = jax.numpy
    x = np.array([4.0, -3.0, 0.5])
    expected = {
        "abs_": np.sign(x),
        "relu": (x > 0).astype(float),
        "safe_sqrt": np.where(x > 0, 0.5 / np.sqrt(np.abs(x)), 0.0),
        "safe_norm": x / np.linalg.norm(x),
    }
    for name, f in _KINK_FUNCS.items():
        xt = torch.tensor(x, requires_grad=True)
        f(get_namespace("t", "x", xt), xt).sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), expected[name], rtol=1e-12, err_msg=name)
        xj = jnp.asarray(x)
        xpj = get_namespace("t", "x", xj)
        g = jax.grad(lambda v, f=f, xpj=xpj: jnp.sum(f(xpj, v)))(xj)
        np.testing.assert_allclose(np.asarray(g), expected[name], rtol=1e-12, err_msg=name)


def test_xlogy_gradient_at_zero_torch(torch):
    x = torch.tensor([0.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 3.0, 4.0], dtype=torch.float64, requires_grad=True)
    out = _ops.xlogy(get_namespace("t", "x y", x, y), x, y)
    assert out.tolist()[:2] == [0.0, 0.0]
    out.sum().backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(y.grad).all()
    np.testing.assert_allclose(x.grad.numpy()[2], np.log(4.0), rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 0.0, 0.5], rtol=1e-12)


def test_xlogy_gradient_at_zero_jax(jax):
    jnp = jax.numpy
    x = jnp.asarray([0.0, 0.0, 2.0])
    y = jnp.asarray([0.0, 3.0, 4.0])
    xp = get_namespace("t", "x y", x, y)
    gx, gy = jax.grad(lambda a, b: jnp.sum(_ops.xlogy(xp, a, b)), argnums=(0, 1))(x, y)
    gx, gy = np.asarray(gx), np.asarray(gy)
    assert np.isfinite(gx).all() and np.isfinite(gy).all()
    assert gx[2] == pytest.approx(np.log(4.0), rel=1e-12)
    np.testing.assert_allclose(gy, [0.0, 0.0, 0.5], rtol=1e-12)


def test_extreme_logit_gradients_finite(torch, jax):
    """softplus / log_sigmoid / logsumexp gradients stay finite at logits of ±1e4."""
    jnp = jax.numpy
    a = np.array([[-1e4, 1e4, 0.0], [1e4, 1e4, -1e4]])
    sig = special.expit(a)
    xt = torch.tensor(a, requires_grad=True)
    xp = get_namespace("t", "x", xt)
    (_ops.softplus(xp, xt).sum() + _ops.logsumexp(xp, xt).sum()).backward()
    softmax = np.exp(a - special.logsumexp(a, axis=-1, keepdims=True))
    np.testing.assert_allclose(xt.grad.numpy(), sig + softmax, rtol=1e-12, atol=1e-300)
    xj = jnp.asarray(a)
    xpj = get_namespace("t", "x", xj)
    g = jax.grad(lambda v: jnp.sum(_ops.log_sigmoid(xpj, v)) + jnp.sum(_ops.logsumexp(xpj, v)))(xj)
    np.testing.assert_allclose(np.asarray(g), (1.0 - sig) + softmax, rtol=1e-12, atol=1e-300)


def test_softplus_log_sigmoid_gradient_at_zero(torch, jax):
    """softplus is smooth: its gradient at 0 is sigmoid(0) = 0.5 (the relu/abs kinks must cancel)."""
    jnp = jax.numpy
    x = np.array([0.0, -2.0, 2.0])
    expected_sp = special.expit(x)
    expected_ls = special.expit(-x)  # d/dx log sigmoid(x) = 1 - sigmoid(x)
    for op, expected in ((_ops.softplus, expected_sp), (_ops.log_sigmoid, expected_ls)):
        xt = torch.tensor(x, requires_grad=True)
        op(get_namespace("t", "x", xt), xt).sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), expected, rtol=1e-12, err_msg=op.__name__)
        xj = jnp.asarray(x)
        xpj = get_namespace("t", "x", xj)
        for wrap in (lambda g: g, jax.jit):
            g = wrap(jax.grad(lambda v, op=op, xpj=xpj: jnp.sum(op(xpj, v))))(xj)
            np.testing.assert_allclose(np.asarray(g), expected, rtol=1e-12, err_msg=op.__name__)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "bool"])
def test_numpy_mean_and_sum_equal_the_ndarray_methods_bit_for_bit(dtype: str) -> None:
    # _ops.mean / sum_ skip ndarray.mean's Python checks on NumPy: the numbers must not change.
    import numpy as np

    from lossapi import _ops

    x = np.random.default_rng(0).normal(size=(37, 11)) * 100
    x = x.astype(dtype)
    assert _ops.mean(np, x).tobytes() == np.asarray(x.mean()).tobytes()
    assert _ops.sum_(np, x).tobytes() == np.asarray(x.sum()).tobytes()


@pytest.mark.parametrize("kind", ["sigmoid", "softmax"])
def test_activation(backend, kind):
    x = backend.asarray(M)
    if kind == "sigmoid":
        want = special.expit(M)
    else:
        want = special.softmax(M, axis=1)
    _check(backend, _ops.activation(_ns(backend, x), x, kind, axis=1), want, rtol=1e-14, atol=1e-300)


#: (probabilities' shape, class axis, summed axes): per sample and pooled, channels first and last
_LABEL_SUMS = [
    ((3, 4, 5, 2), 1, (2, 3)),
    ((3, 4, 5, 2), 1, (0, 2, 3)),
    ((3, 5, 2, 4), 3, (1, 2)),
    ((3, 5, 2, 4), 3, (0, 1, 2)),
    ((6, 4), 1, ()),
    ((6, 4), 1, (0,)),
    ((0, 4, 5), 1, (2,)),
    ((0, 4, 5), 1, (0, 2)),
]


@pytest.mark.parametrize(("shape", "axis", "axes"), _LABEL_SUMS)
def test_label_sums(backend, shape, axis, axes):
    # against the one-hot formula in float64 NumPy
    rng = np.random.default_rng(7)
    p = rng.uniform(size=shape)
    c = shape[axis]
    y = rng.integers(0, c, size=tuple(n for i, n in enumerate(shape) if i != axis))
    hot = np.moveaxis(np.eye(c)[y], -1, axis)
    pb, yb = backend.asarray(p), backend.asarray(y)
    inter, size = _ops.label_sums(_ns(backend, pb), pb, yb, c, axis, axes)
    _check(backend, inter, np.sum(p * hot, axis=axes) if axes else p * hot, rtol=1e-13)
    _check(backend, size, np.sum(hot, axis=axes) if axes else hot)


def test_label_sums_gradient_torch(torch):
    # the gather/scatter form has the one-hot formula's gradient
    rng = np.random.default_rng(8)
    p = torch.tensor(rng.uniform(size=(3, 4, 5)), requires_grad=True)
    y = torch.tensor(rng.integers(0, 4, size=(3, 5)), dtype=torch.int32)
    w = torch.tensor(rng.normal(size=(3, 4)))
    inter, _ = _ops.label_sums(_ns(None, p), p, y, 4, 1, (2,))
    (g,) = torch.autograd.grad((inter * w).sum(), p)
    hot = torch.nn.functional.one_hot(y.long(), 4).movedim(-1, 1).to(p.dtype)
    torch.testing.assert_close(g, hot * w[:, :, None], rtol=0, atol=0)
