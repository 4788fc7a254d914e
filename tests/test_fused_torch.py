"""The fused torch fast paths of the focal losses (``lossapi/_fused_torch.py``).

The conformance suite compares every fast path with the generic path on the loss's case; these
tests add what it does not reach: that the fused ``autograd.Function`` is the path taken,
gradients w.r.t. the logits on hostile inputs (the conformance inputs also differentiate the
target, which the fast path declines), tiling, the declines, a second backward, Hessians,
``gradcheck``, ``torch.compile`` and ``torch.func``.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lossapi as la  # noqa: E402
from lossapi import _fused_torch, _native  # noqa: E402

REDUCTIONS = ("mean", "sum", "none")
# Saturated logits (sigma(-|x|) underflows in float32 from ~104, in float64 from ~745), the
# confident-and-right range where 1 - p_t is tiny, and x = +-0.
_X = (0.0, -0.0, 1e-8, -0.3, 2.0, -2.0, 15.0, -15.0, 30.0, -30.0, 80.0, -80.0, 100.0, -100.0, 1e4, -1e4)
_T = (0.0, 1.0, 0.5, 0.3, 0.999, 1e-3, 1 - 2**-20)
GAMMAS = (0.0, 0.5, 1.0, 2.0, 3.0, 3.7, 0.25)
ALPHAS = (None, 0.25)


def _grid(dtype):
    x, t = zip(*itertools.product(_X, _T))
    return torch.tensor(x, dtype=dtype), torch.tensor(t, dtype=dtype)


def _run(x, t, native, reduction="mean", grad_out=None, **options):
    """(value, d/dlogits, grad_fn name) with the fast paths on or off."""
    xx = x.detach().clone().requires_grad_(True)
    with la.native(native):
        out = la.sigmoid_focal(xx, t, reduction=reduction, **options)
        name = type(out.grad_fn).__name__
        (g,) = torch.autograd.grad(out, xx, torch.ones_like(out) if grad_out is None else grad_out)
    return out.detach(), g, name


def _norm_err(got, want):
    """max|got - want| / max|want| in float64 (NaN must match)."""
    got, want = got.double(), want.double()
    assert torch.equal(torch.isnan(got), torch.isnan(want))
    keep = ~torch.isnan(want)
    got, want = got[keep], want[keep]
    return float((got - want).abs().max() / want.abs().max().clamp_min(1e-300)) if want.numel() else 0.0


def test_the_fused_function_is_the_path_taken():
    x, t = torch.randn(50, dtype=torch.float64), torch.rand(50, dtype=torch.float64)
    assert _native.lookup("sigmoid_focal", torch) is _fused_torch._torch_sigmoid_focal
    for reduction in REDUCTIONS:
        assert _run(x, t, True, reduction)[2] == "SigmoidFocalBackward"
        assert _run(x, t, False, reduction)[2] != "SigmoidFocalBackward"
    with torch.no_grad():  # no graph: the same tiles without the derivative
        out = _fused_torch._torch_sigmoid_focal(
            x, t, alpha=None, gamma=2.0, label_smoothing=0.0, sample_weight=None, where=None, reduction="mean"
        )
    assert out is not NotImplemented


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_equals_the_generic_path_on_hostile_inputs_float64(gamma, alpha, reduction):
    x, t = _grid(torch.float64)
    for smoothing in (0.0, 0.1):
        opts = {"gamma": gamma, "alpha": alpha, "label_smoothing": smoothing}
        v1, g1, name = _run(x, t, True, reduction, **opts)
        v0, g0, _ = _run(x, t, False, reduction, **opts)
        assert name == "SigmoidFocalBackward"
        # Values: every element to a few ulps (no cancellation in either formula).
        tol = 1e-13 * v0.abs() + 1e-300
        assert bool(((v1 - v0).abs() <= tol).all()), (opts, reduction)
        # Gradients: the generic formula's autograd cancels its max(x, 0) and -x t terms, an
        # absolute error of gamma * BCE * eps where t is soft (BCE ~ 1e4 at |x| = 1e4), ...
        assert _norm_err(g1, g0) < 1e-11, (opts, reduction)
        # ... below 1e-13 without the logits of 1e4.
        small = x.abs() < 1e3
        if reduction == "none":
            assert _norm_err(g1[small], g0[small]) < 1e-13, (opts, reduction)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_float32_equals_the_generic_path_in_float64(gamma, alpha):
    """float32 to its rounding: against the float64 generic path (the float32 generic path
    itself loses gamma * BCE * eps in its gradient at soft targets)."""
    x, t = _grid(torch.float32)
    for reduction in REDUCTIONS:
        opts = {"gamma": gamma, "alpha": alpha}
        v1, g1, _ = _run(x, t, True, reduction, **opts)
        v0, g0, _ = _run(x.double(), t.double(), False, reduction, **opts)
        assert v1.dtype == g1.dtype == torch.float32
        assert _norm_err(v1, v0) < 4e-7
        assert _norm_err(g1, g0) < 4e-7


def test_confident_and_right_keeps_full_relative_precision():
    """1 - p_t = sigmoid(-|x|) down to 1e-17: loss and gradient to a few ulps per element, against
    the closed form for hard labels, l = s^gamma log(1 + e^-m), m = x (2t - 1), s = sigmoid(-m)
    (the generic path's gradient keeps only its absolute precision there)."""
    x = np.array([30.0, -30.0, 15.0, 40.0])
    t = np.array([1.0, 0.0, 1.0, 1.0])
    m = x * (2 * t - 1)
    s, sp = 1 / (1 + np.exp(m)), 1 / (1 + np.exp(-m))
    ce = np.log1p(np.exp(-m))
    for gamma in (0.0, 0.25, 2.0):
        v, g, _ = _run(torch.tensor(x), torch.tensor(t), True, "none", gamma=gamma)
        want_g = (2 * t - 1) * s**gamma * (-s - gamma * ce * sp)
        np.testing.assert_allclose(v.numpy(), s**gamma * ce, rtol=1e-14, atol=0)
        np.testing.assert_allclose(g.numpy(), want_g, rtol=1e-14, atol=0)


def test_saturated_logits_are_finite():
    x = torch.tensor([1e4, -1e4, 1e4, -1e4], dtype=torch.float32)
    t = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float32)
    for gamma in GAMMAS:
        v, g, _ = _run(x, t, True, "none", gamma=gamma)
        assert bool(torch.isfinite(v).all()) and bool(torch.isfinite(g).all())
        assert v[:2].tolist() == [0.0, 0.0] and g[:2].tolist() == [0.0, 0.0]
        assert v[2:].tolist() == [1e4, 1e4] and g[2:].tolist() == [1.0, -1.0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_many_tiles_and_a_partial_last_one(monkeypatch, dtype):
    monkeypatch.setattr(_fused_torch, "_TILE_BYTES", 64)  # 16 float32 / 8 float64 elements a tile
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(7, 13, generator=gen, dtype=dtype) * 5
    t = torch.where(torch.rand(7, 13, generator=gen) < 0.5, torch.rand(7, 13, generator=gen), 1.0).to(dtype)
    tol = 1e-12 if dtype == torch.float64 else 2e-6
    for reduction, opts in itertools.product(REDUCTIONS, ({}, {"alpha": 0.25, "gamma": 0.5, "label_smoothing": 0.1})):
        w = torch.rand(7, 13, generator=gen, dtype=dtype) if reduction == "none" else None
        v1, g1, name = _run(x, t, True, reduction, grad_out=w, **opts)
        v0, g0, _ = _run(x, t, False, reduction, grad_out=w, **opts)
        assert name == "SigmoidFocalBackward"
        assert _norm_err(v1, v0) < tol and _norm_err(g1, g0) < tol


def test_non_contiguous_inputs_and_shapes():
    gen = torch.Generator().manual_seed(1)
    x = (torch.randn(6, 5, 4, generator=gen, dtype=torch.float64) * 3).transpose(0, 2)
    t = torch.rand(4, 5, 6, generator=gen, dtype=torch.float64)
    w = torch.randn(6, 5, 4, generator=gen, dtype=torch.float64).transpose(0, 2)
    v1, g1, name = _run(x, t, True, "none", grad_out=w)
    v0, g0, _ = _run(x, t, False, "none", grad_out=w)
    assert name == "SigmoidFocalBackward" and v1.shape == x.shape and g1.shape == x.shape
    assert _norm_err(v1, v0) < 1e-14 and _norm_err(g1, g0) < 1e-13


def _declined(x, t, **kw):
    """The fast path returns NotImplemented, and the loss equals the generic path."""
    full = {"alpha": None, "gamma": 2.0, "label_smoothing": 0.0, "sample_weight": None, "where": None}
    full.update(kw)
    loss_kw = {k: v for k, v in kw.items() if k != "reduction"}
    assert _fused_torch._torch_sigmoid_focal(x, t, **{"reduction": "mean", **full}) is NotImplemented
    with la.native(True):
        on = la.sigmoid_focal(x, t, **loss_kw)
    with la.native(False):
        off = la.sigmoid_focal(x, t, **loss_kw)
    assert torch.equal(on, off) or (bool(on.isnan()) and bool(off.isnan()))


def test_declines_what_it_does_not_implement():
    x, t = torch.randn(8, dtype=torch.float64), torch.rand(8, dtype=torch.float64)
    _declined(x, t, sample_weight=torch.rand(8, dtype=torch.float64))
    _declined(x, t, where=t > 0.5)
    _declined(x, t, gamma=torch.tensor(2.0, dtype=torch.float64))
    _declined(x, t, alpha=torch.tensor(0.25, dtype=torch.float64))
    _declined(x, t.requires_grad_(True))
    _declined(x.half(), t.detach().half())
    _declined(x.float(), t.detach())  # mixed dtypes
    _declined(x, (t > 0.5).detach())  # bool targets
    _declined(x, torch.ones(1, dtype=torch.float64))  # broadcasting
    _declined(x[:0], t.detach()[:0])  # empty


def test_declines_values_outside_its_domain():
    # Targets outside [0, 1] and non-finite logits: the generic path's branches decide.
    x, t = torch.randn(8, dtype=torch.float64), torch.rand(8, dtype=torch.float64)
    for bad_t in (1.5, -0.5, float("nan")):
        t2 = t.clone()
        t2[3] = bad_t
        _declined(x, t2)
    for bad_x in (float("inf"), -float("inf"), float("nan")):
        x2 = x.clone()
        x2[5] = bad_x
        _declined(x2, t)
    # The same inputs with a gradient: the graph is the generic path's.
    x2 = x.clone()
    x2[0] = float("inf")
    xx = x2.requires_grad_(True)
    assert type(la.sigmoid_focal(xx, t).grad_fn).__name__ != "SigmoidFocalBackward"


def test_a_second_backward_recomputes():
    x = torch.randn(20, dtype=torch.float64, requires_grad=True)
    t = torch.rand(20, dtype=torch.float64)
    out = la.sigmoid_focal(x, t, alpha=0.25, reduction="sum")
    (g1,) = torch.autograd.grad(out, x, retain_graph=True)
    (g2,) = torch.autograd.grad(out, x)
    assert torch.equal(g1, g2)


def test_gradcheck_and_second_derivatives():
    gen = torch.Generator().manual_seed(2)
    x = (torch.randn(12, generator=gen, dtype=torch.float64) * 3).requires_grad_(True)
    t = torch.rand(12, generator=gen, dtype=torch.float64)
    for opts in ({}, {"gamma": 0.5, "alpha": 0.25}, {"gamma": 0.0, "label_smoothing": 0.2}):
        for reduction in REDUCTIONS:

            def f(x, opts=opts, reduction=reduction):
                return la.sigmoid_focal(x, t, reduction=reduction, **opts)

            assert type(f(x).grad_fn).__name__ == "SigmoidFocalBackward"
            assert torch.autograd.gradcheck(f, (x,))
            assert torch.autograd.gradgradcheck(f, (x,))
    # The Hessian's diagonal is the generic path's (double backward differentiates its formula).
    (g,) = torch.autograd.grad(la.sigmoid_focal(x, t, reduction="sum"), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    with la.native(False):
        (g0,) = torch.autograd.grad(la.sigmoid_focal(x, t, reduction="sum"), x, create_graph=True)
        (h0,) = torch.autograd.grad(g0.sum(), x)
    assert torch.allclose(g, g0, rtol=1e-13, atol=0) and torch.allclose(h, h0, rtol=1e-13, atol=0)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # torch's forward AD
def test_torch_func_and_forward_mode_take_the_generic_path():
    x, t = torch.randn(10, dtype=torch.float64), torch.rand(10, dtype=torch.float64)
    g = torch.func.grad(lambda x: la.sigmoid_focal(x, t, alpha=0.25))(x)
    assert torch.allclose(g, _run(x, t, True, alpha=0.25)[1], rtol=1e-12, atol=0)
    per = torch.func.vmap(lambda x, t: la.sigmoid_focal(x, t))(x.reshape(2, 5), t.reshape(2, 5))
    assert torch.allclose(per, la.sigmoid_focal(x.reshape(2, 5), t.reshape(2, 5), reduction="none").mean(1))
    import torch.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        out = la.sigmoid_focal(fwAD.make_dual(x, torch.ones_like(x)), t, reduction="sum")
        tangent = fwAD.unpack_dual(out).tangent
    assert torch.allclose(tangent, _run(x, t, True, "sum")[1].sum(), rtol=1e-12)


def test_torch_compile_fullgraph():
    x, t = torch.randn(16), torch.rand(16)

    def f(x, t):
        return la.sigmoid_focal(x, t, alpha=0.25, gamma=2.0)

    compiled = torch.compile(f, fullgraph=True, backend="eager")
    assert torch.allclose(compiled(x, t), f(x, t), rtol=1e-6)
    xx = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(compiled(xx, t), xx)
    assert torch.allclose(g, _run(x, t, True, alpha=0.25)[1], rtol=1e-5)


def test_scratch_buffers_in_inference_mode_and_other_threads():
    _fused_torch._LOCAL.__dict__.pop("pool", None)
    x, t = torch.randn(30), torch.rand(30)
    with torch.inference_mode():
        first = la.sigmoid_focal(x, t)  # creates this thread's scratch block
    v, _, name = _run(x, t, True)  # then used outside inference mode, with a graph
    assert name == "SigmoidFocalBackward" and torch.equal(first, v)
    results = []
    thread = threading.Thread(target=lambda: results.append(la.sigmoid_focal(x, t)))
    thread.start()
    thread.join()
    assert torch.equal(results[0], first)


# -- softmax_focal (integer labels) ----------------------------------------------------------------

# Rows with p_y -> 1 and p_y -> 0 in float32 and float64, and a -inf logit of another class.
_ZSAT = [[1e4, -1e4, 0.0, 0.0], [-1e4, 1e4, 0.0, 0.0], [100.0, -100.0, 0.0, 0.0], [0.0, 30.0, -30.0, 0.0]]
_ZINF = [[0.0, -float("inf"), 1.0, 2.0]]


def _srun(x, y, native, reduction="mean", grad_out=None, **options):
    xx = x.detach().clone().requires_grad_(True)
    with la.native(native):
        out = la.softmax_focal(xx, y, reduction=reduction, **options)
        name = type(out.grad_fn).__name__
        (g,) = torch.autograd.grad(out, xx, torch.ones_like(out) if grad_out is None else grad_out)
    return out.detach(), g, name


def _softmax_cases(dtype):
    gen = torch.Generator().manual_seed(3)
    return [
        (torch.randn(37, 5, generator=gen, dtype=dtype) * 3, torch.randint(0, 5, (37,), generator=gen), -1),
        (torch.tensor(_ZSAT + _ZINF, dtype=dtype), torch.tensor([0, 1, 0, 1, 3]), -1),
        (torch.tensor(_ZSAT + _ZINF, dtype=dtype), torch.tensor([1, 0, 1, 2, 0]), -1),
        (torch.randn(3, 4, 5, 2, generator=gen, dtype=dtype) * 3, torch.randint(0, 4, (3, 5, 2), generator=gen), 1),
        (torch.randn(4, 6, generator=gen, dtype=dtype), torch.randint(0, 4, (6,), generator=gen), 0),
        (torch.randn(7, generator=gen, dtype=dtype), torch.tensor(3), -1),
        (torch.randn(9, 3, generator=gen, dtype=dtype), torch.randint(0, 3, (9,), generator=gen).to(torch.uint8), -1),
    ]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("gamma", (0.0, 0.5, 2.0, 3.7))
def test_softmax_focal_equals_the_generic_path(gamma, alpha, dtype):
    tol = 1e-13 if dtype == torch.float64 else 1e-6
    for x, y, axis in _softmax_cases(dtype):
        for reduction in REDUCTIONS:
            w = torch.rand(y.shape, dtype=dtype) if reduction == "none" else None
            opts = {"gamma": gamma, "alpha": alpha, "axis": axis}
            v1, g1, name = _srun(x, y, True, reduction, w, **opts)
            v0, g0, _ = _srun(x, y, False, reduction, w, **opts)
            assert name == "SoftmaxFocalBackward"
            assert v1.shape == v0.shape and g1.shape == x.shape
            assert _norm_err(v1, v0) < tol and _norm_err(g1, g0) < tol, (x.shape, axis, reduction)
            assert bool(torch.isfinite(g1).all())


def test_softmax_focal_many_tiles(monkeypatch):
    monkeypatch.setattr(_fused_torch, "_TILE_BYTES", 200)  # 5 rows of 5 float64 classes a tile
    gen = torch.Generator().manual_seed(4)
    x, y = torch.randn(23, 5, generator=gen, dtype=torch.float64), torch.randint(0, 5, (23,), generator=gen)
    z, yz = torch.randn(6, 5, 3, generator=gen, dtype=torch.float64), torch.randint(0, 5, (6, 3), generator=gen)
    for (xx, yy, axis), reduction in itertools.product(((x, y, -1), (z, yz, 1)), REDUCTIONS):
        v1, g1, name = _srun(xx, yy, True, reduction, alpha=0.25, gamma=0.5, axis=axis)
        v0, g0, _ = _srun(xx, yy, False, reduction, alpha=0.25, gamma=0.5, axis=axis)
        assert name == "SoftmaxFocalBackward"
        assert _norm_err(v1, v0) < 1e-13 and _norm_err(g1, g0) < 1e-13


def _sdeclined(x, y, **kw):
    full = {
        "alpha": None,
        "gamma": 2.0,
        "class_weight": None,
        "ignore_index": None,
        "label_smoothing": 0.0,
        "sample_weight": None,
        "where": None,
        "axis": -1,
        **kw,
    }
    assert _fused_torch._torch_softmax_focal(x, y, reduction="mean", **full) is NotImplemented
    for reduction in REDUCTIONS:
        with la.native(True):
            on = la.softmax_focal(x, y, reduction=reduction, **kw)
        with la.native(False):
            off = la.softmax_focal(x, y, reduction=reduction, **kw)
        assert torch.equal(torch.isnan(on), torch.isnan(off))
        assert torch.allclose(on, off, rtol=1e-13, atol=0, equal_nan=True)


def test_softmax_focal_declines_what_it_does_not_implement():
    gen = torch.Generator().manual_seed(5)
    x, y = torch.randn(6, 4, generator=gen, dtype=torch.float64), torch.randint(0, 4, (6,), generator=gen)
    _sdeclined(x, y, class_weight=torch.rand(4, dtype=torch.float64))
    _sdeclined(x, y, ignore_index=1)
    _sdeclined(x, y, label_smoothing=0.1)
    _sdeclined(x, y, alpha=torch.rand(4, dtype=torch.float64))  # per-class alpha
    _sdeclined(x, y, gamma=torch.tensor(2.0, dtype=torch.float64))
    _sdeclined(x, torch.softmax(torch.randn(6, 4, generator=gen, dtype=torch.float64), -1))  # probabilities
    _sdeclined(x[:, :1], torch.zeros(6, dtype=torch.int64))  # one class
    _sdeclined(x.half(), y)
    for bad in (-1, 4, -100):  # invalid labels make their entries NaN
        y2 = y.clone()
        y2[2] = bad
        _sdeclined(x, y2)
    for bad in (float("nan"), float("inf")):
        x2 = x.clone()
        x2[1, 2] = bad
        _sdeclined(x2, y)
    x2 = x.clone()
    x2[1, y[1]] = -float("inf")  # the label's logit: an infinite loss
    _sdeclined(x2, y)


def test_softmax_focal_second_backward_gradcheck_and_transforms():
    gen = torch.Generator().manual_seed(6)
    x = torch.randn(5, 4, generator=gen, dtype=torch.float64).requires_grad_(True)
    y = torch.randint(0, 4, (5,), generator=gen)
    out = la.softmax_focal(x, y, alpha=0.25, reduction="sum")
    (g1,) = torch.autograd.grad(out, x, retain_graph=True)
    (g2,) = torch.autograd.grad(out, x)
    assert torch.equal(g1, g2)
    for reduction in REDUCTIONS:

        def f(x, reduction=reduction):
            return la.softmax_focal(x, y, gamma=0.5, reduction=reduction)

        assert type(f(x).grad_fn).__name__ == "SoftmaxFocalBackward"
        assert torch.autograd.gradcheck(f, (x,))
        assert torch.autograd.gradgradcheck(f, (x,))
    xd = x.detach()
    g = torch.func.grad(lambda x: la.softmax_focal(x, y))(xd)
    assert torch.allclose(g, _srun(xd, y, True)[1], rtol=1e-12, atol=0)
    compiled = torch.compile(lambda x: la.softmax_focal(x, y), fullgraph=True, backend="eager")
    assert torch.allclose(compiled(xd), la.softmax_focal(xd, y), rtol=1e-12)
