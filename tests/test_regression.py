"""Known answers for the regression family, computed by hand (never by lossapi)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lossapi as la

E = np.array([0.0, 0.5, 3.0, -2.0, 1.0, 0.2])
ZERO = np.zeros(6)


def _none(backend, fn, pred, target, *more, **kw):
    args = [backend.asarray(a) for a in (pred, target, *more)]
    out = fn(*args, reduction="none", **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


def _mean(backend, fn, pred, target, *more, **kw):
    args = [backend.asarray(a) for a in (pred, target, *more)]
    out = fn(*args, **kw)
    assert backend.is_native(out) and tuple(out.shape) == ()
    return float(backend.to_numpy(out))


def test_huber_delta2(backend):
    np.testing.assert_allclose(_none(backend, la.huber, E, ZERO, delta=2.0), [0, 0.125, 4, 2, 0.5, 0.02], rtol=1e-12)
    # error as target - pred: same values (symmetric)
    np.testing.assert_allclose(_none(backend, la.huber, ZERO, E, delta=2.0), [0, 0.125, 4, 2, 0.5, 0.02], rtol=1e-12)
    assert _mean(backend, la.huber, E, ZERO, delta=2.0) == pytest.approx(6.645 / 6, rel=1e-12)


def test_huber_default_delta(backend):
    # delta = 1: 0.5 e^2 for |e| <= 1 else |e| - 0.5
    np.testing.assert_allclose(_none(backend, la.huber, E, ZERO), [0, 0.125, 2.5, 1.5, 0.5, 0.02], rtol=1e-12)


def test_smooth_l1_beta2(backend):
    np.testing.assert_allclose(
        _none(backend, la.smooth_l1, E, ZERO, beta=2.0), [0, 0.0625, 2, 1, 0.25, 0.01], rtol=1e-12
    )


def test_smooth_l1_beta0_is_l1(backend):
    np.testing.assert_allclose(_none(backend, la.smooth_l1, E, ZERO, beta=0.0), np.abs(E), rtol=1e-12)


def test_pseudo_huber(backend):
    # delta^2 (sqrt(1 + (e/delta)^2) - 1), delta = 1: e = 1 -> sqrt(2) - 1 ; e = 3 -> sqrt(10) - 1
    np.testing.assert_allclose(
        _none(backend, la.pseudo_huber, np.array([0.0, 1.0, 3.0]), np.zeros(3)),
        [0.0, math.sqrt(2) - 1, math.sqrt(10) - 1],
        rtol=1e-12,
    )
    # delta = 2, e = 2: 4 (sqrt(2) - 1)
    np.testing.assert_allclose(
        _none(backend, la.pseudo_huber, np.array([2.0]), np.zeros(1), delta=2.0), [4 * (math.sqrt(2) - 1)], rtol=1e-12
    )


def test_poisson_nll(backend):
    x = np.log(np.array([0.5, 2.0, 4.0]))
    t = np.array([1.0, 2.0, 0.0])
    np.testing.assert_allclose(_none(backend, la.poisson_nll, x, t), [1.193147, 0.613706, 4.0], rtol=1e-6)
    np.testing.assert_allclose(_none(backend, la.poisson_nll, x, t, full=True), [1.193147, 1.265512, 4.0], rtol=1e-6)
    # log_input=False: rate - t log(rate + eps)
    np.testing.assert_allclose(
        _none(backend, la.poisson_nll, np.array([0.5, 2.0]), np.array([1.0, 2.0]), log_input=False, eps=0.0),
        [1.193147, 0.613706],
        rtol=1e-6,
    )


def test_gaussian_nll(backend):
    assert _mean(backend, la.gaussian_nll, np.array([0.0]), np.array([1.0]), np.array([4.0])) == pytest.approx(
        0.81815, abs=5e-6
    )
    # full=True adds 0.5 log(2 pi) = 0.918939
    assert _mean(
        backend, la.gaussian_nll, np.array([0.0]), np.array([1.0]), np.array([4.0]), full=True
    ) == pytest.approx(0.81815 + 0.918939, abs=5e-6)
    # var below eps is clamped: var = 0 -> eps = 1e-6 ; e = 0 -> 0.5 log(1e-6)
    assert _mean(backend, la.gaussian_nll, np.array([1.0]), np.array([1.0]), np.array([0.0])) == pytest.approx(
        0.5 * math.log(1e-6), rel=1e-9
    )


def test_gaussian_nll_homoscedastic_var(backend):
    # var of shape (N,) next to pred (N, D) gets a trailing axis
    pred = np.zeros((2, 2))
    target = np.array([[1.0, 1.0], [2.0, 0.0]])
    var = np.array([1.0, 4.0])
    expected = 0.5 * np.array([[0 + 1, 0 + 1], [math.log(4) + 1, math.log(4) + 0]])
    np.testing.assert_allclose(_none(backend, la.gaussian_nll, pred, target, var), expected, rtol=1e-12)


def test_mape(backend):
    assert _mean(
        backend, la.mean_absolute_percentage_error, np.array([1.0, 5.0]), np.array([2.0, 4.0])
    ) == pytest.approx(0.375, rel=1e-12)


def test_pinball(backend):
    assert _mean(backend, la.quantile, np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 5.0]), q=0.5) == pytest.approx(
        0.5, rel=1e-12
    )
    # q = 0.9, e = t - p = [1, -1] -> [0.9, 0.1]
    np.testing.assert_allclose(
        _none(backend, la.quantile, np.zeros(2), np.array([1.0, -1.0]), q=0.9), [0.9, 0.1], rtol=1e-12
    )


def test_log_cosh(backend):
    got = _none(backend, la.log_cosh, np.array([0.5, 3.0, -3.0, 0.0]), np.zeros(4))
    np.testing.assert_allclose(got, [0.1201, 2.3093, 2.3093, 0.0], atol=5e-5)
    np.testing.assert_allclose(
        got, [math.log(math.cosh(0.5)), math.log(math.cosh(3.0)), math.log(math.cosh(3.0)), 0.0], rtol=1e-12
    )
    # overflow-safe: log cosh(1000) = 1000 - log 2
    np.testing.assert_allclose(
        _none(backend, la.log_cosh, np.array([1000.0, -1000.0]), np.zeros(2)), [1000 - math.log(2)] * 2, rtol=1e-12
    )


def test_mse_mae_rmse_small(backend):
    p, t = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 0.0])  # e = [-1, 0, 2, 4]
    assert _mean(backend, la.mean_squared_error, p, t) == pytest.approx(21 / 4, rel=1e-12)
    assert _mean(backend, la.mean_absolute_error, p, t) == pytest.approx(7 / 4, rel=1e-12)
    assert _mean(backend, la.root_mean_squared_error, p, t) == pytest.approx(math.sqrt(21 / 4), rel=1e-12)
    assert _mean(backend, la.mean_squared_error, p, t, reduction="sum") == pytest.approx(21.0, rel=1e-12)
    assert _mean(backend, la.root_mean_squared_error, np.zeros(2), np.array([3.0, 4.0])) == pytest.approx(
        math.sqrt(12.5), rel=1e-12
    )
    np.testing.assert_allclose(_none(backend, la.root_mean_squared_error, p, t), [1, 0, 2, 4], rtol=1e-12)
    out = la.root_mean_squared_error(backend.asarray(p), backend.asarray(t), eps=3.0 / 4)
    assert float(backend.to_numpy(out)) == pytest.approx(math.sqrt(6.0), rel=1e-12)


def test_rmse_with_eps_returns_0d_ndarray_numpy():
    out = la.root_mean_squared_error(np.array([1.0, 2.0]), np.array([0.0, 0.0]), eps=0.5)
    assert type(out) is np.ndarray and out.shape == ()


def test_msle(backend):
    # (log1p(e - 1) - log1p(0))^2 = 1 ; (log1p(3) - log1p(1))^2 = log(2)^2
    np.testing.assert_allclose(
        _none(backend, la.mean_squared_log_error, np.array([math.e - 1, 3.0]), np.array([0.0, 1.0])),
        [1.0, math.log(2) ** 2],
        rtol=1e-12,
    )


def test_tukey_biweight(backend):
    # c = 2: e = 1 -> 4/6 (1 - (3/4)^3) ; |e| > c -> 4/6
    np.testing.assert_allclose(
        _none(backend, la.tukey_biweight, np.array([1.0, 10.0, 0.0]), np.zeros(3), c=2.0),
        [(4 / 6) * (1 - 0.75**3), 4 / 6, 0.0],
        rtol=1e-12,
    )


def test_epsilon_insensitive(backend):
    p = np.array([0.05, 1.0, -0.5])
    np.testing.assert_allclose(
        _none(backend, la.epsilon_insensitive, p, np.zeros(3), epsilon=0.1), [0.0, 0.9, 0.4], rtol=1e-12
    )
    np.testing.assert_allclose(
        _none(backend, la.epsilon_insensitive, p, np.zeros(3), epsilon=0.1, squared=True), [0.0, 0.81, 0.16], rtol=1e-12
    )


@pytest.mark.parametrize(
    ("power", "expected"),
    [
        (0, 1.0),  # (y - mu)^2
        (1, 2 * (math.log(0.5) + 1)),  # 2 (y log(y/mu) - y + mu)
        (2, 2 * (math.log(2) + 0.5 - 1)),  # 2 (log(mu/y) + y/mu - 1)
        (3, 0.25),  # (y - mu)^2 / (y mu^2)
        (
            1.5,
            2 * (1 / -0.25 - 2**-0.5 / -0.5 + 2**0.5 / 0.5),
        ),  # y^(2-p)/((1-p)(2-p)) - y mu^(1-p)/(1-p) + mu^(2-p)/(2-p)
    ],
)
def test_tweedie_deviance(backend, power, expected):
    # mu = pred = 2, y = target = 1
    assert _mean(backend, la.tweedie_deviance, np.array([2.0]), np.array([1.0]), power=power) == pytest.approx(
        expected, rel=1e-12
    )


def test_tweedie_poisson_zero_target(backend):
    # y = 0: 2 (0 - 0 + mu)
    np.testing.assert_allclose(
        _none(backend, la.tweedie_deviance, np.array([3.0]), np.array([0.0]), power=1), [6.0], rtol=1e-12
    )


# --------------------------------------------------------------------------- dtypes and types


def _half_dtypes(backend):
    if backend.name in ("torch", "jax"):
        return ("float16", "bfloat16")
    if backend.name in ("numpy", "dask"):
        return ("float16",)
    return ()


HALF_CASES = [
    ("mean_squared_error", {}),
    ("mean_absolute_error", {}),
    ("huber", {}),
    ("smooth_l1", {}),
    ("log_cosh", {}),
    ("quantile", {}),
    ("root_mean_squared_error", {}),
    ("poisson_nll", {}),
]


@pytest.mark.parametrize(("name", "kw"), HALF_CASES)
def test_16_bit_inputs_give_16_bit_results(backend, name, kw):
    halves = _half_dtypes(backend)
    if not halves:
        pytest.skip(f"{backend.name} has no 16-bit floats")
    for dt in halves:
        mod = backend.mod
        p = backend.asarray(np.array([0.5, 1.0, 2.0]))
        t = backend.asarray(np.array([0.0, 1.5, 1.0]))
        half = getattr(mod, dt, None) if backend.name != "dask" else np.float16
        if backend.name in ("numpy", "dask"):
            p, t = p.astype(half), t.astype(half)
        elif backend.name == "torch":
            p, t = p.to(half), t.to(half)
        else:
            p, t = p.astype(half), t.astype(half)
        fn = getattr(la, name)
        for red in ("mean", "sum", "none"):
            out = fn(p, t, reduction=red, **kw)
            assert out.dtype == p.dtype, (dt, red, out.dtype)
        ref = float(
            backend.to_numpy(
                fn(backend.asarray(np.array([0.5, 1.0, 2.0])), backend.asarray(np.array([0.0, 1.5, 1.0])), **kw)
            )
        )
        out = fn(p, t, **kw)
        got = out.float().item() if backend.name == "torch" else float(backend.to_numpy(out).astype(np.float64))
        assert got == pytest.approx(ref, rel=2e-2)


def test_float16_known_answer_numpy():
    out = la.huber(np.array([0.5, 3.0], dtype=np.float16), np.zeros(2, dtype=np.float16), reduction="none")
    assert out.dtype == np.float16
    assert out.tolist() == [0.125, 2.5]


@pytest.mark.parametrize("tdtype", ["int32", "int64", "bool"])
def test_integer_targets_never_promote(backend, tdtype):
    pred = backend.asarray(np.array([0.5, 2.0, 3.0]), dtype="float32")
    target = backend.asarray(np.array([1, 2, 0]), dtype=tdtype)
    tnum = np.array([1, 2, 0]).astype(tdtype).astype(np.float64)
    for name, expected in (
        ("mean_squared_error", np.mean((np.array([0.5, 2.0, 3.0]) - tnum) ** 2)),
        ("mean_absolute_error", np.mean(np.abs(np.array([0.5, 2.0, 3.0]) - tnum))),
        ("poisson_nll", np.mean(np.exp([0.5, 2.0, 3.0]) - tnum * np.array([0.5, 2.0, 3.0]))),
    ):
        out = getattr(la, name)(pred, target)
        assert backend.is_native(out)
        v = backend.to_numpy(out)
        assert v.dtype == np.float32, (name, v.dtype)
        assert float(v) == pytest.approx(expected, rel=1e-6)
        none = getattr(la, name)(pred, target, reduction="none")
        assert backend.to_numpy(none).dtype == np.float32


def test_float64_target_does_not_promote_float32_pred(backend):
    out = la.mse(backend.asarray(np.array([1.0, 2.0]), dtype="float32"), backend.asarray(np.array([0.0, 0.0])))
    assert backend.to_numpy(out).dtype == np.float32


def test_aliases_are_the_same_functions():
    assert la.mse is la.mean_squared_error
    assert la.rmse is la.root_mean_squared_error
    assert la.mae is la.mean_absolute_error
    assert la.losses.mse is la.mean_squared_error


@pytest.mark.parametrize(
    "name",
    [
        "mean_squared_error",
        "mean_absolute_error",
        "huber",
        "log_cosh",
        "quantile",
        "root_mean_squared_error",
        "tweedie_deviance",
        "mean_squared_log_error",
    ],
)
def test_results_are_arrays_of_the_input_namespace(backend, name):
    p = backend.asarray(np.array([1.0, 2.0]))
    t = backend.asarray(np.array([1.5, 0.5]))
    for red in ("mean", "sum"):
        out = getattr(la, name)(p, t, reduction=red)
        assert not isinstance(out, (float, int, np.generic)), type(out)
        assert backend.is_native(out), type(out)
        assert tuple(out.shape) == ()


def test_numpy_mean_is_a_0d_ndarray():
    out = la.mse(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    assert type(out) is np.ndarray and out.shape == () and out.dtype == np.float64
    assert float(out) == 2.5


def test_inputs_are_not_modified(backend):
    p_np = np.array([1.0, np.nan, 3.0])
    t_np = np.array([0.0, 1.0, np.inf])
    p, t = backend.asarray(p_np), backend.asarray(t_np)
    la.huber(p, t, where=backend.asarray(np.array([True, False, False])))
    np.testing.assert_array_equal(backend.to_numpy(p), p_np)
    np.testing.assert_array_equal(backend.to_numpy(t), t_np)


def test_hyper_parameter_as_0d_array_torch(torch):
    delta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    out = la.huber(torch.tensor(E), torch.zeros(6, dtype=torch.float64), delta=delta, reduction="sum")
    assert out.item() == pytest.approx(6.645, rel=1e-12)
    out.backward()
    # d/d delta: only |e| > delta contributes |e| - delta: e = 3 -> 1
    assert delta.grad.item() == pytest.approx(1.0, rel=1e-12)


# -- general_robust (Barron 2019) ------------------------------------------------------------------

#: Closed forms of the members of Barron's family, z = (e/c)^2, written from the paper.
BARRON_MEMBERS = {
    2.0: lambda z: z / 2,  # L2
    1.0: lambda z: np.sqrt(z + 1) - 1,  # smoothed L1 (pseudo-Huber / c^2)
    0.0: lambda z: np.log(z / 2 + 1),  # Cauchy / Lorentzian
    -2.0: lambda z: 2 * z / (z + 4),  # Geman-McClure
    -math.inf: lambda z: 1 - np.exp(-z / 2),  # Welsch / Leclerc
}


@pytest.mark.parametrize("alpha", list(BARRON_MEMBERS), ids=lambda a: f"alpha={a:g}")
def test_general_robust_members(backend, alpha):
    z = (E / 0.7) ** 2
    got = _none(backend, la.general_robust, E, ZERO, alpha=alpha, scale=0.7)
    np.testing.assert_allclose(got, BARRON_MEMBERS[alpha](z), rtol=1e-12, atol=1e-15)


def test_general_robust_is_pseudo_huber_over_c2_at_alpha_1(backend):
    c = 1.7
    got = _none(backend, la.general_robust, E, ZERO, alpha=1.0, scale=c)
    want = _none(backend, la.pseudo_huber, E, ZERO, delta=c) / c**2
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_general_robust_limits_are_continuous():
    """Shapes near 0, 2 and -inf approach the exact members (no cancellation, no overflow)."""
    e = np.array([0.3, 1.0, 4.0])
    for limit, near in ((0.0, (1e-9, -1e-9, 1e-5)), (2.0, (2 - 1e-9, 2 + 1e-9)), (-math.inf, (-1e9,))):
        want = la.general_robust(e, np.zeros(3), alpha=limit, reduction="none")
        for a in near:
            got = la.general_robust(e, np.zeros(3), alpha=a, reduction="none")
            np.testing.assert_allclose(got, want, rtol=1e-4 if abs(a - limit) >= 1e-5 else 1e-7, err_msg=str(a))


def test_general_robust_float32_small_errors_do_not_cancel():
    """A tiny error gives ~ z/2 in float32 for every shape (the direct formula gives 0 or noise)."""
    e = np.array([1e-4, 3e-3], dtype=np.float32)
    for a in (0.5, 1e-6, -3.0, 3.0):
        got = la.general_robust(e, np.zeros(2, np.float32), alpha=a, reduction="none")
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, (e.astype(np.float64) ** 2) / 2, rtol=2e-3)


def _barron_alpha_derivative_at_0(z):
    """d rho / d alpha at alpha = 0, by series expansion of the definition (by hand):
    rho = L + alpha (L' + L^2/4 - L/2) + O(alpha^2), L = log1p(z/2), L' = z / (2 (2 + z))."""
    L = np.log1p(z / 2)
    return z / (2 * (2 + z)) + L * L / 4 - L / 2


def _fd(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("lib", ["torch", "jax"])
@pytest.mark.parametrize("alpha", [0.0, 0.7, -2.5, 3.0, 2.0, -math.inf], ids=lambda a: f"alpha={a:g}")
def test_general_robust_gradients_wrt_alpha_and_scale(lib, alpha, torch, jax):
    """Learned alpha and scale (0-d arrays): gradients w.r.t. pred, alpha and scale are finite and
    equal finite differences of the definition (at alpha = 0 the derivative of the limit; at
    alpha = 2, where d/dalpha is unbounded, the exact L2 branch's 0; at -inf, 0)."""
    from lossapi._conformance.families import regression as oracles

    e = np.array([0.0, 0.4, -1.3, 2.5])
    c = 0.8

    def ref(a, s):
        return oracles.general_robust(e, np.zeros(4), alpha=a, scale=s).sum()

    if lib == "torch":
        p = torch.tensor(e, requires_grad=True)
        a = torch.tensor(alpha, dtype=torch.float64, requires_grad=True)
        s = torch.tensor(c, dtype=torch.float64, requires_grad=True)
        la.general_robust(p, torch.zeros(4, dtype=torch.float64), alpha=a, scale=s, reduction="sum").backward()
        gp, ga, gs = p.grad.numpy(), float(a.grad), float(s.grad)
    else:
        jnp = jax.numpy

        def f(p, a, s):
            return la.general_robust(p, jnp.zeros(4), alpha=a, scale=s, reduction="sum")

        gp, ga, gs = jax.grad(f, argnums=(0, 1, 2))(jnp.asarray(e), jnp.asarray(alpha), jnp.asarray(c))
        gp, ga, gs = np.asarray(gp), float(ga), float(gs)
    assert np.all(np.isfinite(gp)) and math.isfinite(ga) and math.isfinite(gs)
    assert gp[0] == 0.0  # the minimum: every member is flat at e = 0
    np.testing.assert_allclose(gs, _fd(lambda v: ref(alpha, v), c), rtol=1e-6)
    for i in range(1, 4):
        want = _fd(lambda v, i=i: oracles.general_robust(np.array([v]), np.zeros(1), alpha=alpha, scale=c)[0], e[i])
        np.testing.assert_allclose(gp[i], want, rtol=1e-6)
    if alpha == 0.0:
        np.testing.assert_allclose(ga, _barron_alpha_derivative_at_0((e / c) ** 2).sum(), rtol=1e-9)
    elif alpha in (2.0, -math.inf):
        assert ga == 0.0
    else:
        np.testing.assert_allclose(ga, _fd(lambda v: ref(v, c), alpha), rtol=1e-6)


def test_general_robust_alpha_derivative_at_0_matches_its_neighbours():
    """The closed form used above is itself the slope of the definition around 0."""
    from lossapi._conformance.families import regression as oracles

    e = np.array([0.4, -1.3, 2.5])
    slope = (oracles.general_robust(e, 0 * e, alpha=1e-4) - oracles.general_robust(e, 0 * e, alpha=-1e-4)) / 2e-4
    np.testing.assert_allclose(slope, _barron_alpha_derivative_at_0(e**2), rtol=1e-6)


def test_general_robust_options_are_checked():
    x = np.ones(3)
    for bad in (math.inf, math.nan, "1", None):
        with pytest.raises(la.InvalidOptionError, match="alpha"):
            la.general_robust(x, x, alpha=bad)
    for bad in (0.0, -1.0, math.inf):
        with pytest.raises(la.InvalidOptionError, match="scale"):
            la.general_robust(x, x, scale=bad)
    assert float(la.general_robust(x, 0 * x, alpha=-math.inf)) == pytest.approx(1 - math.exp(-0.5))


def test_general_robust_traced_alpha_under_jit(jax):
    """The learned alpha is traced inside jax.jit, the special members included."""
    jnp = jax.numpy
    e = jnp.asarray([0.0, 0.5, 3.0])
    f = jax.jit(lambda a: la.general_robust(e, jnp.zeros(3), alpha=a, reduction="none"))
    for a in (2.0, 0.0, -2.0, 1.0, -math.inf):
        np.testing.assert_allclose(np.asarray(f(jnp.asarray(a))), BARRON_MEMBERS[a](np.asarray(e) ** 2), rtol=1e-12)
