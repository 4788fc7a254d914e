"""NumPy fast paths (blocked evaluation) match the generic path and decline what they do not handle."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import lossapi as la
from lossapi import _native, _native_numpy
from lossapi._conformance import transform_checks as tc

B = _native_numpy.BLOCK
LOSSES = (
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "smooth_l1",
    "log_cosh",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "sigmoid_focal",
    "hinge",
    "squared_hinge",
)
#: fast paths that reorder the formula (more accurate, not bit-equal): "none" within rounding
ROUNDED = ("sigmoid_focal", "log_cosh")
#: fast paths that decline non-finite inputs (the generic path's branches decide them)
FINITE_ONLY = ("sigmoid_focal",)
OPTIONS = {
    "mean_squared_error": [{}],
    "mean_absolute_error": [{}],
    "huber": [{}, {"delta": 0.3}, {"delta": 2}],
    "smooth_l1": [{}, {"beta": 1 / 9}, {"beta": 0}, {"beta": 0.0}, {"beta": 3}],
    "log_cosh": [{}],
    "binary_cross_entropy_with_logits": [{}, {"pos_weight": 2.5}, {"label_smoothing": 0.1, "pos_weight": 3}],
    "binary_cross_entropy": [{}, {"alpha": 0.25}, {"label_smoothing": 0.1, "alpha": 0.6}],
    "hinge": [{}, {"margin": 0.5}, {"margin": 2}],
    "squared_hinge": [{}, {"margin": 0.5}],
    "sigmoid_focal": [
        {},
        {"alpha": 0.25},
        {"gamma": 0},
        {"gamma": 1, "alpha": 1},
        {"gamma": 0.5, "alpha": 0.7, "label_smoothing": 0.1},
        {"gamma": 3.5, "alpha": 0.0},
    ],
}
CASES = [(name, opts) for name in LOSSES for opts in OPTIONS[name]]
SIZES = (1, 7, B - 1, B, B + 1, 3 * B + 5)


def _inputs(name: str, n: int, dtype: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=n) * 3).astype(dtype)
    probability = name in ("binary_cross_entropy_with_logits", "binary_cross_entropy", "sigmoid_focal")
    t = rng.uniform(size=n) if probability else rng.normal(size=n)
    if name in ("hinge", "squared_hinge"):  # signs, 0 read as -1
        t = rng.choice([-1.0, 0.0, 1.0], size=n)
    if name == "binary_cross_entropy":  # probabilities, a few saturated (0, 1 and p (1 - p) < 1e-12)
        x = rng.uniform(size=n)
        x[n // 3 :: 4099] = 1.0
        x[n // 2 :: 4001] = 1e-13
    return x.astype(dtype), t.astype(dtype)


@pytest.fixture
def taken(monkeypatch):
    """Names of the losses whose NumPy fast path returned a result (not ``NotImplemented``)."""
    hits: list[str] = []
    for name in (*LOSSES, "kl_divergence", "cross_entropy", "nll", "softmax_focal"):
        fn = _native._FAST[(name, "numpy")]

        def counting(*a, _fn=fn, _name=name, **k):
            r = _fn(*a, **k)
            if r is not NotImplemented:
                hits.append(_name)
            return r

        monkeypatch.setitem(_native._FAST, (name, "numpy"), counting)
    return hits


def _same(fast: np.ndarray, generic: np.ndarray, reduction: str, name: str = "") -> None:
    assert type(fast) is type(generic) is np.ndarray
    assert fast.dtype == generic.dtype and fast.shape == generic.shape
    if name in ROUNDED and fast.dtype == np.float32:  # float32 rounding of the generic form
        np.testing.assert_allclose(fast, generic, rtol=1e-3, atol=1e-30)
    elif name in ROUNDED:
        np.testing.assert_allclose(fast, generic, rtol=1e-12, atol=1e-300)
    elif reduction == "none":  # the same operations in the same order: equal to the last bit
        np.testing.assert_array_equal(fast, generic)
    else:  # float64 sums of the blocks' sums: within the generic sum's rounding
        rtol = 1e-5 if fast.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(fast, generic, rtol=rtol)


def _both(name: str, *args, **kw) -> tuple[np.ndarray, np.ndarray]:
    fn = getattr(la, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf - inf and friends, on both paths
        fast = fn(*args, **kw)
        with la.native(False):
            generic = fn(*args, **kw)
    return fast, generic


def test_registered():
    for name in LOSSES:
        assert "numpy" in _native.native_backends(name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(("name", "opts"), CASES)
def test_matches_generic(name, opts, n, dtype, taken):
    x, t = _inputs(name, n, dtype)
    for reduction in ("mean", "sum", "none"):
        taken.clear()
        fast, generic = _both(name, x, t, reduction=reduction, **opts)
        assert taken == [name]
        _same(fast, generic, reduction, name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "opts"), [c for c in CASES if c[0] not in FINITE_ONLY])
def test_nan_inf_and_hostile_values(name, opts, dtype, taken):
    special = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 1e4, -1e4, 0.0, -0.0, 1e-30])
    x = np.repeat(special, special.size).astype(dtype)
    t = np.tile(special, special.size).astype(dtype)
    if name.startswith("binary_cross_entropy"):  # huge values against targets in and out of [0, 1]
        t = np.tile(np.array([0.0, 1.0, 0.5, 0.25, np.nan, 2.0, -1.0, 1e-8, 1.0, 0.0]), special.size).astype(dtype)
    # a hostile value in every block of a multi-block input, too
    big = np.concatenate([x, *_inputs(name, 2 * B, dtype)[:1], x])
    bigt = np.concatenate([t, *_inputs(name, 2 * B, dtype)[1:], t])
    for xs, ts in ((x, t), (big, bigt)):
        for reduction in ("mean", "sum", "none"):
            taken.clear()
            fast, generic = _both(name, xs, ts, reduction=reduction, **opts)
            assert taken == [name]
            assert fast.dtype == generic.dtype and fast.shape == generic.shape
            np.testing.assert_array_equal(np.isnan(fast), np.isnan(generic))
            np.testing.assert_array_equal(np.isposinf(fast), np.isposinf(generic))
            np.testing.assert_array_equal(np.isneginf(fast), np.isneginf(generic))
            if reduction == "none" and name in ROUNDED:
                np.testing.assert_allclose(fast, generic, rtol=4e-7 if dtype == "float32" else 1e-15)
            elif reduction == "none":
                np.testing.assert_array_equal(fast, generic)


@pytest.mark.parametrize("name", [n for n in LOSSES if n not in FINITE_ONLY])
def test_finite_reductions_of_inf_free_nan_inputs(name, taken):
    # one NaN makes every reduction NaN; one inf error makes mean and sum inf
    x, t = _inputs(name, 3 * B, "float64")
    x[B + 3] = np.nan
    for reduction in ("mean", "sum"):
        fast, generic = _both(name, x, t, reduction=reduction)
        assert np.isnan(fast) and np.isnan(generic)
    x[B + 3] = np.inf
    if not name.startswith("binary_cross_entropy") and "hinge" not in name:  # BCE: NaN at inf; hinge: 0 or inf
        fast, generic = _both(name, x, t, reduction="sum")
        assert np.isposinf(fast) and np.isposinf(generic)


@pytest.mark.parametrize("name", LOSSES)
def test_multidimensional_input(name, taken):
    x, t = _inputs(name, 6 * 7 * 11, "float32")
    x, t = x.reshape(6, 7, 11), t.reshape(6, 7, 11)
    for reduction in ("mean", "sum", "none"):
        fast, generic = _both(name, x, t, reduction=reduction)
        assert taken[-1:] == [name]
        _same(fast, generic, reduction, name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opts", OPTIONS["sigmoid_focal"])
def test_sigmoid_focal_extremes_and_declines(opts, dtype, taken):
    # finite extremes with targets in [0, 1]: taken, within rounding of the float64 formula
    logits = np.array([1e30, -1e30, 1e4, -1e4, 745.0, -745.0, 88.0, -88.0, 30.0, -30.0, 0.0, -0.0, 1e-30])
    targets = np.array([0.0, 1.0, 0.5, 0.25, 1e-8, 1.0 - 1e-8, 0.999, 1.0, 0.0])
    x = np.repeat(logits, targets.size).astype(dtype)
    t = np.tile(targets, logits.size).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = la.sigmoid_focal(x.astype(np.float64), t.astype(np.float64), reduction="none", **opts)
        with la.native(False):
            generic = la.sigmoid_focal(x, t, reduction="none", **opts)
    if np.isfinite(generic).all() and np.isfinite(want).all():
        for reduction in ("none", "mean"):
            taken.clear()
            fast, _ = _both("sigmoid_focal", x, t, reduction=reduction, **opts)
            assert taken == ["sigmoid_focal"]
            ref = want if reduction == "none" else np.mean(want)
            np.testing.assert_allclose(fast, ref, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-36)
    # a non-finite logit or a target outside [0, 1] in any block: the generic path decides
    big_x, big_t = _inputs("sigmoid_focal", 2 * B + 3, dtype)
    for i, (xv, tv) in enumerate(
        [(np.nan, 0.5), (np.inf, 1.0), (-np.inf, 0.0), (0.3, 2.0), (0.3, -1.0), (0.3, np.nan)]
    ):
        xs, ts = big_x.copy(), big_t.copy()
        xs[B + i], ts[B + i] = xv, tv
        for reduction in ("none", "sum"):
            _declined("sigmoid_focal", taken, xs, ts, reduction=reduction, **opts)


def _declined(name: str, taken: list[str], *args, **kw) -> None:
    taken.clear()
    fast, generic = _both(name, *args, **kw)
    assert taken == []
    fast, generic = np.asarray(fast), np.asarray(generic)
    assert fast.dtype == generic.dtype and fast.shape == generic.shape
    np.testing.assert_array_equal(fast, generic)


@pytest.mark.parametrize("name", LOSSES)
def test_declines(name, taken):
    x, t = _inputs(name, 24, "float64")
    x32, t32 = x.astype(np.float32), t.astype(np.float32)
    _declined(name, taken, x, t, sample_weight=np.linspace(0.5, 2.0, 24))
    _declined(name, taken, x, t, where=np.arange(24) % 3 > 0)
    _declined(name, taken, x.reshape(4, 6), t[:6])  # broadcasting
    _declined(name, taken, x, t32)  # mixed dtypes
    _declined(name, taken, x32, t)
    _declined(name, taken, x.astype(np.float16), t.astype(np.float16))
    _declined(name, taken, x.reshape(4, 6)[:, ::2], t.reshape(4, 6)[:, ::2])  # not C-contiguous
    _declined(name, taken, x.reshape(4, 6).T, t.reshape(4, 6).T)
    _declined(name, taken, x[:0], t[:0], reduction="sum")  # empty
    _declined(name, taken, x, 0.5)  # a Python number for the target


def test_declines_array_and_bool_hyper_parameters(taken):
    x, t = _inputs("huber", 24, "float64")
    _declined("huber", taken, x, t, delta=np.asarray(0.5))
    _declined("smooth_l1", taken, x, t, beta=np.asarray(0.5))
    _declined("smooth_l1", taken, x, t, beta=np.asarray(0.0))
    x, t = _inputs("binary_cross_entropy_with_logits", 24, "float64")
    _declined("binary_cross_entropy_with_logits", taken, x, t, pos_weight=np.full(24, 2.0))
    _declined("binary_cross_entropy_with_logits", taken, x, t, pos_weight=np.asarray(2.0))
    _declined("binary_cross_entropy_with_logits", taken, x, t, alpha=0.25)
    _declined("binary_cross_entropy_with_logits", taken, x, t, label_smoothing=np.asarray(0.1))


def test_switched_off(taken):
    x, t = _inputs("mean_squared_error", 100, "float64")
    with la.native(False):
        la.mean_squared_error(x, t)
    assert taken == []
    la.mean_squared_error(x, t)
    assert taken == ["mean_squared_error"]


def test_inputs_are_not_modified():
    x, t = _inputs("binary_cross_entropy_with_logits", 2 * B + 3, "float32")
    x0, t0 = x.copy(), t.copy()
    for reduction in ("mean", "none"):
        la.binary_cross_entropy_with_logits(x, t, pos_weight=2.0, label_smoothing=0.2, reduction=reduction)
        la.huber(x, t, reduction=reduction)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(t, t0)


@pytest.mark.parametrize("name", LOSSES)
def test_conformance_check_native(name):
    (r,) = tc.check_native(name, "numpy")
    assert r.ok and not r.skipped, r.detail


def test_log_cosh_one_branch_form(taken):
    # below 1 the generic form's own operations (equal to the last bit), above within an ulp or two
    rng = np.random.default_rng(3)
    a = np.concatenate([10 ** rng.uniform(-12, 3, size=3 * B), [0.0, 1.0 - 1e-16, 1.0, 19.999, 20.0, 20.001, 745.0]])
    for sign in (1.0, -1.0):
        fast, generic = _both("log_cosh", sign * a, np.zeros_like(a), reduction="none")
        assert taken[-1:] == ["log_cosh"]
        small = a < 1
        np.testing.assert_array_equal(fast[small], generic[small])
        np.testing.assert_allclose(fast[~small], generic[~small], rtol=5e-16)


def _log_softmax_rows(x: np.ndarray) -> np.ndarray:
    m = x.max(-1, keepdims=True)
    return x - (np.log(np.exp(x - m).sum(-1, keepdims=True)) + m)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 300), (B // 1000 * 3 + 1, 1000), (3, B + 5)])
def test_kl_divergence_matches_generic(shape, dtype, taken):
    # row blocks of the class axis; zero targets, -inf log-probabilities (masked classes), both together
    rng = np.random.default_rng(1)
    lq = _log_softmax_rows(rng.normal(size=shape)).astype(dtype)
    t = np.exp(_log_softmax_rows(rng.normal(size=shape))).astype(dtype)
    tz = t.copy()
    tz[..., ::3] = 0.0
    masked = lq.copy()
    masked[..., ::6] = -np.inf  # only where the target is 0 (::3): the generic limit 0
    with np.errstate(divide="ignore"):
        cases = [
            (lq, t, False),
            (lq, tz, False),
            (masked, tz, False),
            (lq, np.log(tz), True),
            (masked, np.log(tz), True),
        ]
    for a, b, log_target in cases:
        for reduction in ("none", "mean", "sum"):
            taken.clear()
            fast, generic = _both("kl_divergence", a, b, log_target=log_target, reduction=reduction)
            assert taken == ["kl_divergence"]
            assert fast.dtype == generic.dtype and fast.shape == generic.shape
            if reduction == "none":  # each row summed as the generic path sums it
                np.testing.assert_array_equal(fast, generic)
            else:
                np.testing.assert_allclose(fast, generic, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_kl_divergence_non_finite_rows_are_the_generic_paths(taken):
    rng = np.random.default_rng(2)
    shape = (3 * (B // 100) + 7, 100)  # several row blocks
    lq = _log_softmax_rows(rng.normal(size=shape))
    t = np.exp(_log_softmax_rows(rng.normal(size=shape)))
    lq[5, 3] = -np.inf  # against a positive target: inf
    lq[B // 100 + 2, 7] = np.nan
    t[2 * (B // 100) + 1, 0] = np.inf
    for reduction in ("none", "mean", "sum"):
        taken.clear()
        fast, generic = _both("kl_divergence", lq, t, reduction=reduction)
        assert taken == ["kl_divergence"]
        np.testing.assert_array_equal(fast, generic)


def test_kl_divergence_declines(taken):
    rng = np.random.default_rng(3)
    lq = _log_softmax_rows(rng.normal(size=(4, 6)))
    t = np.exp(_log_softmax_rows(rng.normal(size=(4, 6))))
    _declined("kl_divergence", taken, lq, t, axis=0)  # the class axis not last
    _declined("kl_divergence", taken, lq, t, sample_weight=np.linspace(0.5, 2.0, 4))
    _declined("kl_divergence", taken, lq, t.astype(np.float32))
    _declined("kl_divergence", taken, np.asfortranarray(lq), np.asfortranarray(t))
    _declined("kl_divergence", taken, lq, t[:1])  # broadcasting


def test_kl_divergence_conformance_check_native():
    (r,) = tc.check_native("kl_divergence", "numpy")
    assert r.ok and not r.skipped, r.detail


#: the class-index fast paths with the generic path's operations, and option sets to try
CLASS_OPTIONS = {
    "cross_entropy": [{"temperature": 1}, {"temperature": 2.5}],
    "softmax_focal": [{}, {"alpha": 0.25}, {"gamma": 0}, {"gamma": 0.5, "alpha": 0.7}],
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(10,), (3, 5), (32, 10), (2, 3, 300), (3 * (B // 1000) + 2, 1000), (2, B + 3)])
@pytest.mark.parametrize("name", list(CLASS_OPTIONS))
def test_class_index_losses_match_generic(name, shape, dtype, taken):
    # integer labels of several dtypes, -inf / NaN / +inf / huge logits: the generic path's
    # operations, so "none" is equal to the last bit
    rng = np.random.default_rng(4)
    x = (rng.normal(size=shape) * 3).astype(dtype)
    y = rng.integers(0, shape[-1], shape[:-1])
    masked, nan, inf = x.copy(), x.copy(), x.copy()
    masked[..., ::7] = -np.inf
    nan.flat[5] = np.nan
    inf.flat[3] = np.inf
    for logits in (x, masked, nan, inf, x * 1e4):
        for labels in (y, y.astype(np.int32), y.astype(np.uint32)):
            for opts in CLASS_OPTIONS[name]:
                for reduction in ("none", "mean", "sum"):
                    taken.clear()
                    fast, generic = _both(name, logits, labels, reduction=reduction, **opts)
                    assert taken == [name]
                    assert fast.dtype == generic.dtype and fast.shape == generic.shape
                    if reduction == "none":
                        np.testing.assert_array_equal(fast, generic)
                    else:
                        rtol = 1e-5 if dtype == "float32" else 1e-12
                        np.testing.assert_allclose(fast, generic, rtol=rtol, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(10,), (32, 10), (2, 3, 300), (2, B + 3)])
def test_nll_matches_generic(shape, dtype, taken):
    rng = np.random.default_rng(6)
    lp = _log_softmax_rows(rng.normal(size=shape) * 3).astype(dtype)
    lp.flat[1] = -np.inf
    lp.flat[4] = np.nan
    y = rng.integers(0, shape[-1], shape[:-1])
    for labels in (y, y.astype(np.int32)):
        for reduction in ("none", "mean", "sum"):
            taken.clear()
            fast, generic = _both("nll", lp, labels, reduction=reduction)
            assert taken == ["nll"]
            assert fast.dtype == generic.dtype and fast.shape == generic.shape
            if reduction == "none":
                np.testing.assert_array_equal(fast, generic)
            else:
                np.testing.assert_allclose(fast, generic, rtol=1e-5 if dtype == "float32" else 1e-12, equal_nan=True)
    yb = y.copy()
    yb.flat[0] = shape[-1]  # an invalid label: the generic path's NaN entry
    _declined("nll", taken, lp, yb, reduction="none")
    _declined("nll", taken, lp, y, ignore_index=0)
    _declined("nll", taken, lp, y, class_weight=np.linspace(0.5, 2, shape[-1]).astype(dtype))


def test_nll_conformance_check_native():
    (r,) = tc.check_native("nll", "numpy")
    assert r.ok and not r.skipped, r.detail


@pytest.mark.parametrize("name", list(CLASS_OPTIONS))
def test_class_index_losses_decline(name, taken):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, 6)
    _declined(name, taken, x, y, class_weight=np.array([1.0, 2.0, 0.5, 1.0]))
    if name == "softmax_focal":  # per-class alpha and array hyper-parameters
        _declined(name, taken, x, y, alpha=np.array([0.1, 0.2, 0.3, 0.4]))
        _declined(name, taken, x, y, gamma=np.asarray(2.0))
    _declined(name, taken, x, y, ignore_index=2)
    _declined(name, taken, x, y, label_smoothing=0.1)
    _declined(name, taken, x, y, sample_weight=np.linspace(0.5, 2.0, 6))
    _declined(name, taken, x, np.exp(x) / np.exp(x).sum(-1, keepdims=True))  # probabilities
    _declined(name, taken, x.T.copy(), y, axis=0)  # the class axis first
    _declined(name, taken, x.astype(np.float16), y)
    for bad in (-1, 4):  # invalid labels: NaN entries, made by the generic path
        yb = y.copy()
        yb[2] = bad
        _declined(name, taken, x, yb, reduction="none")
        yl = rng.integers(0, 4, B + 1)
        yl[B] = bad
        _declined(name, taken, rng.normal(size=(B + 1, 4)), yl)


@pytest.mark.parametrize("name", [*CLASS_OPTIONS, "nll", "kl_divergence"])
def test_class_losses_conformance_check_native(name):
    (r,) = tc.check_native(name, "numpy")
    assert r.ok and not r.skipped, r.detail


def test_kl_divergence_negative_targets_are_the_generic_paths(taken):
    # a target outside the domain: the generic path's log gives NaN, the fast path must too
    rng = np.random.default_rng(9)
    lq = _log_softmax_rows(rng.normal(size=(3, 2 * (B // 4), 4)).reshape(-1, 4))
    t = np.exp(_log_softmax_rows(rng.normal(size=lq.shape)))
    t[5, 3] = -1e30
    t[B // 2, 0] = -0.5
    for reduction in ("none", "sum"):
        taken.clear()
        fast, generic = _both("kl_divergence", lq, t, reduction=reduction)
        assert taken == ["kl_divergence"]
        np.testing.assert_array_equal(fast, generic)
        assert np.isnan(fast).any()
