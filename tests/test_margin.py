"""Known answers for the margin-based classification losses, computed by hand (never by lossapi).

Also: option errors, integer label dtypes, the torch / optax mapping of ``multiclass_hinge``'s
variants, and gradients at kinks and ties (equal on torch and JAX, and equal to the hand-derived
minimum-norm subgradient).
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import lossapi as la
from lossapi.losses import margin as margin_module

S2 = np.array([[2.0, 1.5, -1.0], [0.0, 1.0, 0.5]])  # two rows, three classes
Y2 = np.array([0, 0])


def _run(backend, fn, *arrays, label_dtype=None, **kw):
    args = []
    for a in arrays:
        a = np.asarray(a)
        args.append(
            backend.asarray(a, dtype=label_dtype) if a.dtype.kind in "iu" and label_dtype else backend.asarray(a)
        )
    out = fn(*args, **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


# -- known answers ---------------------------------------------------------------------------------


def test_hinge_known_answers(backend):
    s = np.array([2.0, 0.5, -1.0, 0.0])
    # t = +1: max(0, 1 - s) = [0, 0.5, 2, 1]
    np.testing.assert_allclose(_run(backend, la.hinge, s, np.ones(4), reduction="none"), [0, 0.5, 2, 1], rtol=1e-12)
    # t = 0 is read as -1: max(0, 1 + s) = [3, 1.5, 0, 1]
    np.testing.assert_allclose(_run(backend, la.hinge, s, np.zeros(4), reduction="none"), [3, 1.5, 0, 1], rtol=1e-12)
    # margin 0.5, t = [1, -1, 1, -1]: max(0, 0.5 - t s) = [0, 1, 1.5, 0.5]; mean 3/4, sum 3
    t = np.array([1.0, -1.0, 1.0, -1.0])
    np.testing.assert_allclose(
        _run(backend, la.hinge, s, t, margin=0.5, reduction="none"), [0, 1, 1.5, 0.5], rtol=1e-12
    )
    assert float(_run(backend, la.hinge, s, t, margin=0.5)) == pytest.approx(0.75, rel=1e-12)
    assert float(_run(backend, la.hinge, s, t, margin=0.5, reduction="sum")) == pytest.approx(3.0, rel=1e-12)


def test_squared_hinge_known_answers(backend):
    s = np.array([2.0, 0.5, -1.0, 0.0])
    # (max(0, 1 - s))^2 = [0, 0.25, 4, 1]; mean 5.25 / 4
    np.testing.assert_allclose(
        _run(backend, la.squared_hinge, s, np.ones(4), reduction="none"), [0, 0.25, 4, 1], rtol=1e-12
    )
    assert float(_run(backend, la.squared_hinge, s, np.ones(4))) == pytest.approx(1.3125, rel=1e-12)
    # margin 2, t = -1 (given as 0): (max(0, 2 + s))^2 = [16, 6.25, 1, 4]
    np.testing.assert_allclose(
        _run(backend, la.squared_hinge, s, np.zeros(4), margin=2.0, reduction="none"), [16, 6.25, 1, 4], rtol=1e-12
    )


def test_soft_margin_known_answers(backend):
    s = np.array([0.0, 2.0, -1.0, 800.0, -800.0])
    t = np.array([1.0, -1.0, 1.0, 1.0, 1.0])
    # log(1 + exp(-t s)): log 2, log(1 + e^2), log(1 + e), log(1 + e^-800) ~ e^-800 = 0 in float64, 800 (no overflow)
    want = [math.log(2), math.log1p(math.exp(2)), math.log1p(math.e), 0.0, 800.0]
    np.testing.assert_allclose(_run(backend, la.soft_margin, s, t, reduction="none"), want, rtol=1e-12, atol=1e-300)


def test_perceptron_known_answers(backend):
    s = np.array([2.0, -0.5, 1.5, 0.0])
    # max(0, -t s), t = [1, 1, -1 (from 0), -1]: [0, 0.5, 1.5, 0]
    np.testing.assert_allclose(
        _run(backend, la.perceptron, s, np.array([1, 1, 0, -1]), reduction="none"), [0, 0.5, 1.5, 0], rtol=1e-12
    )


def test_multiclass_hinge_crammer_singer(backend):
    # row 0, y = 0: max(2 + 0, 1.5 + 1, -1 + 1) - 2 = 0.5 ; row 1, y = 0: max(0, 2, 1.5) - 0 = 2
    np.testing.assert_allclose(_run(backend, la.multiclass_hinge, S2, Y2, reduction="none"), [0.5, 2.0], rtol=1e-12)
    # p = 2: [0.25, 4] ; margin 0.25: row 0: 1.75 - 2 < 0 -> 0 ; row 1: 1.25
    np.testing.assert_allclose(
        _run(backend, la.multiclass_hinge, S2, Y2, p=2, reduction="none"), [0.25, 4.0], rtol=1e-12
    )
    np.testing.assert_allclose(
        _run(backend, la.multiclass_hinge, S2, Y2, margin=0.25, reduction="none"), [0.0, 1.25], rtol=1e-12
    )


def test_multiclass_hinge_weston_watkins(backend):
    # row 0, y = 0: [max(0, 1 - 2 + 1.5) + max(0, 1 - 2 - 1)] / 3 = 0.5 / 3
    # row 1, y = 0: [max(0, 1 - 0 + 1) + max(0, 1 - 0 + 0.5)] / 3 = 3.5 / 3
    got = _run(backend, la.multiclass_hinge, S2, Y2, variant="weston_watkins", reduction="none")
    np.testing.assert_allclose(got, [0.5 / 3, 3.5 / 3], rtol=1e-12)
    # p = 2: [0.25 / 3, (4 + 2.25) / 3]
    got = _run(backend, la.multiclass_hinge, S2, Y2, variant="weston_watkins", p=2, reduction="none")
    np.testing.assert_allclose(got, [0.25 / 3, 6.25 / 3], rtol=1e-12)


def test_multiclass_hinge_class_weight_is_a_weight_source(backend):
    cw = np.array([3.0, 1.0, 1.0])
    s = np.array([[2.0, 1.5, -1.0], [0.0, 1.0, 0.5]])
    y = np.array([0, 1])
    # unweighted CS: row 0 -> 0.5 ; row 1, y = 1: max(0 + 1, 1, 0.5 + 1) - 1 = 0.5
    # weights w_y = [3, 1]: none [1.5, 0.5], sum 2, mean 2 / 4
    kw = {"class_weight": backend.asarray(cw)}
    np.testing.assert_allclose(_run(backend, la.multiclass_hinge, s, y, reduction="none", **kw), [1.5, 0.5], rtol=1e-12)
    assert float(_run(backend, la.multiclass_hinge, s, y, reduction="sum", **kw)) == pytest.approx(2.0, rel=1e-12)
    assert float(_run(backend, la.multiclass_hinge, s, y, **kw)) == pytest.approx(0.5, rel=1e-12)
    # with sample weights [1, 2]: (1.5 + 2 * 0.5) / (3 + 2) = 0.5
    out = _run(backend, la.multiclass_hinge, s, y, sample_weight=backend.asarray(np.array([1.0, 2.0])), **kw)
    assert float(out) == pytest.approx(0.5, rel=1e-12)


def test_categorical_hinge(backend):
    s = np.array([[2.0, 1.5, -1.0], [-2.0, -1.0, 0.5], [-1.0, -3.0, -2.0]])
    # row 0, y = 0: neg = max(0, 1.5, -1) = 1.5, pos = 2 -> 0.5
    # row 1, y = 0: neg = max(0, -1, 0.5) = 0.5, pos = -2 -> 3.5
    # row 2, y = 2: neg = max(-1, -3, 0) = 0 (the label's zeroed entry), pos = -2 -> 3
    want = [0.5, 3.5, 3.0]
    onehot = np.eye(3)[[0, 0, 2]]
    np.testing.assert_allclose(_run(backend, la.categorical_hinge, s, onehot, reduction="none"), want, rtol=1e-12)
    np.testing.assert_allclose(
        _run(backend, la.categorical_hinge, s, np.array([0, 0, 2]), reduction="none"), want, rtol=1e-12
    )
    # soft target t = [0.5, 0.5, 0] on row 0: pos = 1.75, neg = max(1, 0.75, -1) = 1 -> 0.25
    got = _run(backend, la.categorical_hinge, s[:1], np.array([[0.5, 0.5, 0.0]]), reduction="none")
    np.testing.assert_allclose(got, [0.25], rtol=1e-12)


def test_multiclass_perceptron(backend):
    # max_c s_c - s_y: row 0 -> 0 ; row 1 -> 1 ; y = 2 on row 1: 1 - 0.5 = 0.5
    np.testing.assert_allclose(
        _run(backend, la.multiclass_perceptron, S2, np.array([0, 2]), reduction="none"), [0.0, 0.5], rtol=1e-12
    )


def test_sparsemax_known_answers(backend):
    z = np.array([[1.0, 0.5, -1.0], [0.0, 0.0, 0.0], [3.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
    y = np.array([1, 2, 2, 1])
    # row 0: sorted [1, 0.5, -1]: k = 2 (1 + 2 * 0.5 > 1.5), tau = (1.5 - 1) / 2 = 0.25, p = [0.75, 0.25, 0]
    #        loss = 0.5 (1 + 0.25 - 2 * 0.0625) + 0.5 - 0.5 = 0.5625
    # row 1: p = 1/3 each, tau = -1/3: 0.5 (0 - 3 / 9) + 0.5 - 0 = 1/3
    # row 2: k = 1, tau = 2, p = e_0: 0.5 (9 - 4) + 0.5 - (-1) = 4
    # row 3: k = 1, tau = 0, p = e_0 (z_1 on the boundary): 0.5 (1 - 0) + 0.5 - 0 = 1
    np.testing.assert_allclose(
        _run(backend, la.sparsemax, z, y, reduction="none"), [0.5625, 1 / 3, 4.0, 1.0], rtol=1e-12, atol=1e-15
    )
    # the loss is invariant to a shift of the logits
    np.testing.assert_allclose(
        _run(backend, la.sparsemax, z + 1000.0, y, reduction="none"), [0.5625, 1 / 3, 4.0, 1.0], rtol=1e-12, atol=1e-12
    )


def test_multilabel_soft_margin(backend):
    x = np.array([[0.0, 2.0], [-1.0, 1.0]])
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    # row 0: (log 2 + log(1 + e^2)) / 2 ; row 1: (log(1 + e^-1) + log(1 + e^-1)) / 2
    want = [(math.log(2) + math.log1p(math.exp(2))) / 2, math.log1p(math.exp(-1))]
    np.testing.assert_allclose(_run(backend, la.multilabel_soft_margin, x, t, reduction="none"), want, rtol=1e-12)
    # class weights [2, 0]: row 0 -> 2 log 2 / 2 = log 2 ; row 1 -> 2 log(1 + e^-1) / 2
    got = _run(
        backend, la.multilabel_soft_margin, x, t, class_weight=backend.asarray(np.array([2.0, 0.0])), reduction="none"
    )
    np.testing.assert_allclose(got, [math.log(2), math.log1p(math.exp(-1))], rtol=1e-12)


def test_multilabel_soft_margin_saturated_is_accurate(backend):
    # correct and confident: each term is log(1 + e^-30) = 9.357622968839299e-14, not 0 from cancellation
    x = np.array([[30.0, -30.0]])
    t = np.array([[1.0, 0.0]])
    got = _run(backend, la.multilabel_soft_margin, x, t, reduction="none")
    np.testing.assert_allclose(got, [math.log1p(math.exp(-30.0))], rtol=1e-12)


def test_multilabel_margin(backend):
    s = np.array([[0.1, 0.2, 0.4, 0.8]] * 5)
    labels = np.array([[3, 0, -1, 1], [3, 0, -1, -1], [3, 3, -1, 0], [-1, 2, 1, 0], [0, 1, 2, 3]])
    # row 0 (and 1: the entry after -1 is ignored): targets {3, 0}, others {1, 2}:
    #   j = 3: (1 - 0.8 + 0.2) + (1 - 0.8 + 0.4) = 1.0 ; j = 0: (1 - 0.1 + 0.2) + (1 - 0.1 + 0.4) = 2.4 ; / 4 = 0.85
    # row 2: target 3 twice, others {0, 1, 2}: 2 * (0.3 + 0.4 + 0.6) / 4 = 0.65
    # row 3: no targets -> 0 ; row 4: every class a target -> 0
    np.testing.assert_allclose(
        _run(backend, la.multilabel_margin, s, labels, reduction="none"), [0.85, 0.85, 0.65, 0.0, 0.0], rtol=1e-12
    )


def test_class_axis_first(backend):
    # axis=0 (classes first) equals the transposed channels-last call
    s = np.array([[2.0, 1.5, -1.0], [0.0, 1.0, 0.5]])
    for fn, kw in (
        (la.multiclass_hinge, {}),
        (la.multiclass_hinge, {"variant": "weston_watkins"}),
        (la.multiclass_perceptron, {}),
        (la.sparsemax, {}),
        (la.categorical_hinge, {}),
    ):
        a = _run(backend, fn, s, np.array([1, 2]), reduction="none", **kw)
        b = _run(backend, fn, s.T, np.array([1, 2]), axis=0, reduction="none", **kw)
        np.testing.assert_allclose(a, b, rtol=1e-12)


# -- errors ------------------------------------------------------------------------------------------


def test_bad_options():
    s, y = np.zeros((2, 3)), np.array([0, 1])
    with pytest.raises(la.InvalidOptionError, match=r"multiclass_hinge.*variant='wrong'"):
        la.multiclass_hinge(s, y, variant="wrong")
    for p in (3, 0, 1.5, True):
        with pytest.raises(la.InvalidOptionError, match=r"multiclass_hinge.*p="):
            la.multiclass_hinge(s, y, p=p)
    with pytest.raises(la.InvalidOptionError, match=r"hinge.*margin=-1"):
        la.hinge(np.zeros(2), np.ones(2), margin=-1.0)
    with pytest.raises(la.InvalidOptionError, match="margin"):
        la.multiclass_hinge(s, y, margin=float("nan"))
    with pytest.raises(la.InvalidOptionError, match="reduction"):
        la.sparsemax(s, y, reduction="avg")


def test_bad_labels():
    s = np.zeros((2, 3))
    with pytest.raises(la.InvalidDTypeError, match=r"multiclass_hinge.*`labels`.*integer"):
        la.multiclass_hinge(s, np.array([0.0, 1.0]))
    with pytest.raises(la.InvalidDTypeError, match=r"multilabel_margin.*`labels`.*integer"):
        la.multilabel_margin(s, np.zeros((2, 3)))
    with pytest.raises(la.ShapeMismatchError, match="class_weight"):
        la.multiclass_hinge(s, np.array([0, 1]), class_weight=np.ones(4))
    with pytest.raises(la.ShapeMismatchError, match=r"sparsemax.*`labels`"):
        la.sparsemax(s, np.array([0, 1, 2]))
    with pytest.raises(la.InvalidDTypeError, match=r"hinge.*`scores`"):
        la.hinge(np.array([1, 2]), np.array([1.0, -1.0]))


# -- dtypes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label_dtype", ["int32", "uint8", "int16", "int64"])
@pytest.mark.parametrize("name", ["multiclass_hinge", "multiclass_perceptron", "sparsemax", "categorical_hinge"])
def test_integer_label_dtypes(backend, name, label_dtype):
    s = np.array([[2.0, 1.5, -1.0], [0.0, 1.0, 0.5], [0.3, -0.2, 0.9]], dtype=np.float32)
    y = np.array([0, 2, 1])
    fn = getattr(la, name)
    want = _run(backend, fn, s.astype(np.float64), y, reduction="none")
    out = fn(backend.asarray(s), backend.asarray(y, dtype=label_dtype), reduction="none")
    assert str(out.dtype).endswith("float32"), out.dtype  # labels never promote the scores
    np.testing.assert_allclose(backend.to_numpy(out), want, rtol=1e-6)


@pytest.mark.parametrize("target_dtype", ["int8", "uint8", "int32", "bool"])
@pytest.mark.parametrize("name", ["hinge", "squared_hinge", "soft_margin", "perceptron"])
def test_binary_integer_targets(backend, name, target_dtype):
    s = np.array([2.0, -0.5, 0.25, -3.0], dtype=np.float32)
    t01 = np.array([1, 0, 1, 0])
    fn = getattr(la, name)
    want = _run(backend, fn, s.astype(np.float64), 2.0 * t01 - 1.0, reduction="none")
    out = fn(backend.asarray(s), backend.asarray(t01, dtype=target_dtype), reduction="none")
    assert str(out.dtype).endswith("float32"), out.dtype
    np.testing.assert_allclose(backend.to_numpy(out), want, rtol=1e-6)


def test_multilabel_margin_int32_labels(backend):
    s = np.array([[0.1, 0.2, 0.4, 0.8]], dtype=np.float32)
    out = la.multilabel_margin(
        backend.asarray(s), backend.asarray(np.array([[3, 0, -1, 1]]), dtype="int32"), reduction="none"
    )
    assert str(out.dtype).endswith("float32")
    np.testing.assert_allclose(backend.to_numpy(out), [0.85], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_in_half_out(torch, dtype):
    s = torch.tensor([[2.0, 1.5, -1.0], [0.0, 1.0, 0.5]], dtype=getattr(torch, dtype))
    y = torch.tensor([0, 0])
    for fn in (la.multiclass_hinge, la.sparsemax, la.multiclass_perceptron, la.categorical_hinge):
        out = fn(s, y, reduction="none")
        assert out.dtype == s.dtype
    out = la.hinge(s[0], torch.tensor([1, 0, 1]), reduction="none")
    assert out.dtype == s.dtype
    # computed in float32, rounded once: 2.0 exactly for the second row of the CS hinge
    assert la.multiclass_hinge(s, y, reduction="none")[1].item() == 2.0


# -- where: masked rows may hold NaN and out-of-range labels ---------------------------------------


@pytest.mark.parametrize("name", ["multiclass_hinge", "multiclass_perceptron", "sparsemax", "categorical_hinge"])
def test_where_masks_nan_and_bad_labels(backend, name):
    s = np.array([[2.0, 1.5, -1.0], [np.nan, np.inf, 0.0], [0.0, 1.0, 0.5]])
    y = np.array([0, 99, 2])
    fn = getattr(la, name)
    keep = np.array([True, False, True])
    want = _run(backend, fn, s[keep], y[keep], reduction="sum")
    got = _run(backend, fn, s, y, where=backend.asarray(keep), reduction="sum")
    np.testing.assert_allclose(got, want, rtol=1e-12)


# -- the variant mapping of multiclass_hinge ------------------------------------------------------------


def _mc_inputs():
    rng = np.random.default_rng(7)
    return rng.normal(0.0, 1.5, (6, 4)), rng.integers(0, 4, 6)


def test_crammer_singer_is_optax_and_not_torch():
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    s, y = _mc_inputs()
    ours = la.multiclass_hinge(s, y, reduction="none")
    np.testing.assert_allclose(
        ours, np.asarray(optax.losses.multiclass_hinge_loss(jnp.asarray(s), jnp.asarray(y))), rtol=1e-6
    )
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.multi_margin_loss(torch.tensor(s), torch.tensor(y), reduction="none").numpy()
    assert not np.allclose(ours, theirs)


@pytest.mark.parametrize(("p", "margin"), [(1, 1.0), (2, 1.0), (1, 0.5), (2, 2.0)])
def test_weston_watkins_is_torch_multi_margin(torch, p, margin):
    F = torch.nn.functional
    s, y = _mc_inputs()
    st, yt = torch.tensor(s), torch.tensor(y)
    w = np.array([0.5, 2.0, 1.0, 3.0])
    for reduction in ("none", "sum", "mean"):
        ours = la.multiclass_hinge(st, yt, variant="weston_watkins", p=p, margin=margin, reduction=reduction)
        theirs = F.multi_margin_loss(st, yt, p=p, margin=margin, reduction=reduction)
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)
    for reduction in ("none", "sum"):
        ours = la.multiclass_hinge(
            st, yt, variant="weston_watkins", p=p, margin=margin, class_weight=torch.tensor(w), reduction=reduction
        )
        theirs = F.multi_margin_loss(st, yt, p=p, margin=margin, weight=torch.tensor(w), reduction=reduction)
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)
    # With a weight, torch's "mean" divides by N, lossapi's by the sum of the label weights.
    none = F.multi_margin_loss(st, yt, p=p, margin=margin, weight=torch.tensor(w), reduction="none")
    ours = la.multiclass_hinge(st, yt, variant="weston_watkins", p=p, margin=margin, class_weight=torch.tensor(w))
    assert ours.item() == pytest.approx(none.sum().item() / w[y].sum(), rel=1e-12)
    theirs = F.multi_margin_loss(st, yt, p=p, margin=margin, weight=torch.tensor(w))
    assert theirs.item() == pytest.approx(none.mean().item(), rel=1e-12)


# -- gradients at kinks and ties: the hand-derived subgradient, on torch and on JAX ----------------------


def _grad_torch(torch, fn, x, *rest, **kw):
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    args = [torch.tensor(np.asarray(a)) for a in rest]
    fn(xt, *args, reduction="sum", **kw).backward()
    return xt.grad.numpy()


def _grad_jax(jax, fn, x, *rest, **kw):
    import jax.numpy as jnp

    args = [jnp.asarray(np.asarray(a)) for a in rest]
    return np.asarray(jax.grad(lambda v: fn(v, *args, reduction="sum", **kw))(jnp.asarray(np.asarray(x, np.float64))))


KINKS = [
    # hinge at t s = m: gradient 0 (minimum-norm subgradient)
    ("hinge", [1.0, -1.0, 0.5], ([1.0, -1.0, 1.0],), {}, [0.0, 0.0, -1.0]),
    # perceptron at s = 0
    ("perceptron", [0.0, 0.0, -2.0], ([1.0, -1.0, 1.0],), {}, [0.0, 0.0, -1.0]),
    # Crammer-Singer kink s_y = 1 + max wrong: 0 ; row 2: tie of two wrong classes, d = 1.5 > 0:
    # -1 for the label, 1/2 to each tied class ; row 3: all equal, d = 1: 1/3 to each wrong class
    (
        "multiclass_hinge",
        [[2.0, 1.0, 0.0, -1.0], [0.5, 1.0, 1.0, -1.0], [0.0, 0.0, 0.0, 0.0]],
        ([0, 0, 2],),
        {},
        [[0, 0, 0, 0], [-1, 0.5, 0.5, 0], [1 / 3, 1 / 3, -1, 1 / 3]],
    ),
    # Weston-Watkins kink at 1 - s_y + s_1 = 0 (term gradient 0); 1 - 1 + 0.5 > 0 for class 2
    ("multiclass_hinge", [[1.0, 0.0, 0.5, -2.0]], ([0],), {"variant": "weston_watkins"}, [[-0.25, 0.0, 0.25, 0.0]]),
    # label ties the best wrong class: 0 ; two wrong classes tie above the label: 1/2 each
    (
        "multiclass_perceptron",
        [[1.0, 1.0, 0.0, -1.0], [-1.0, 2.0, 2.0, 0.0]],
        ([0, 0],),
        {},
        [[0, 0, 0, 0], [-1, 0.5, 0.5, 0]],
    ),
    # best wrong score 0 ties with keras' zeroed label entry: 1/2 to class 2
    ("categorical_hinge", [[0.5, -1.0, 0.0, -2.0]], ([0],), {}, [[-1, 0, 0.5, 0]]),
    # pair (j = class 0, i = class 1) exactly at 1 - (1.5 - 0.5) = 0: 0 ; pair (0, 4): 1 - 1.5 + 2 > 0
    ("multilabel_margin", [[1.5, 0.5, 0.0, -1.0, 2.0]], ([[0, -1, -1, -1, -1]],), {}, [[-0.2, 0.0, 0.0, 0.0, 0.2]]),
    # sparsemax: gradient p - e_y, here p = [0.75, 0.25, 0] ; on the support boundary p = e_0
    ("sparsemax", [[1.0, 0.5, -1.0], [1.0, 0.0, 0.0]], ([1, 1],), {}, [[0.75, -0.75, 0], [1, -1, 0]]),
]


@pytest.mark.parametrize(("name", "x", "rest", "kw", "want"), KINKS, ids=[f"{k[0]}-{i}" for i, k in enumerate(KINKS)])
def test_kink_gradients_torch_equals_jax(torch, jax, name, x, rest, kw, want):
    fn = getattr(la, name)
    gt = _grad_torch(torch, fn, x, *rest, **kw)
    gj = _grad_jax(jax, fn, x, *rest, **kw)
    np.testing.assert_allclose(gt, want, rtol=0, atol=1e-15)
    np.testing.assert_allclose(gj, want, rtol=0, atol=1e-15)


def test_multilabel_margin_and_sparsemax_under_jit(jax):
    import jax.numpy as jnp

    s = jnp.asarray([[0.1, 0.2, 0.4, 0.8], [0.1, 0.2, 0.4, 0.8]])
    labels = jnp.asarray([[3, 0, -1, 1], [3, 3, -1, 0]], dtype=jnp.int32)
    out = jax.jit(lambda a, b: la.multilabel_margin(a, b, reduction="none"))(s, labels)
    np.testing.assert_allclose(np.asarray(out), [0.85, 0.65], rtol=1e-12)
    out = jax.jit(lambda a, b: la.sparsemax(a, b, reduction="none"))(s, jnp.asarray([3, 0], dtype=jnp.int32))
    # sorted [0.8, 0.4, 0.2, 0.1]: k = 3 (1 + 3 * 0.2 = 1.6 > 1.4, 1 + 4 * 0.1 = 1.4 < 1.5), tau = 0.4 / 3
    # 0.5 sum_S (z^2 - tau^2) + 0.5 - z_y = 0.5 (0.84 - 3 * 0.16 / 9) + 0.5 - z_y = 0.89333... - z_y
    # y = 3: 0.28 / 3 ; y = 0: 2.38 / 3
    np.testing.assert_allclose(np.asarray(out), [0.28 / 3, 2.38 / 3], rtol=1e-12)


def test_docstring_examples():
    result = doctest.testmod(margin_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0


@pytest.mark.parametrize("target_dtype", ["int64", "uint8", "bool"])
def test_multilabel_soft_margin_integer_targets(backend, target_dtype):
    x = np.array([[0.5, -1.0, 2.0, 0.1]], dtype=np.float32)
    t = np.array([[1, 0, 0, 1]])
    want = _run(backend, la.multilabel_soft_margin, x.astype(np.float64), t.astype(np.float64), reduction="none")
    out = la.multilabel_soft_margin(backend.asarray(x), backend.asarray(t, dtype=target_dtype), reduction="none")
    assert str(out.dtype).endswith("float32")
    np.testing.assert_allclose(backend.to_numpy(out), want, rtol=1e-6)


def test_python_number_target(backend):
    s = backend.asarray(np.array([1.0, -2.0, 0.5]))
    # t = 0 read as -1: max(0, 1 + s) = [2, 0, 1.5] ; t = 1: max(0, 1 - s) = [0, 3, 0.5]
    np.testing.assert_allclose(backend.to_numpy(la.hinge(s, 0, reduction="none")), [2.0, 0.0, 1.5], rtol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(la.hinge(s, 1.0, reduction="none")), [0.0, 3.0, 0.5], rtol=1e-12)


# -- torch's broadcastable `weight` of multilabel_soft_margin_loss; unbatched (C,) inputs -----------


def _mlsm_ref(x, t, w):
    """float64 NumPy: -mean_c w (t log sigmoid(x) + (1 - t) log sigmoid(-x)), w broadcast per entry."""
    terms = t * np.logaddexp(0.0, -x) + (1.0 - t) * np.logaddexp(0.0, x)
    return np.mean(np.broadcast_to(w, x.shape) * terms, axis=-1)


_ML_X = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5], [-2.0, 0.7, 0.3], [0.1, -0.2, 3.0]])
_ML_T = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.5, 0.2, 1.0]])


@pytest.mark.parametrize("wshape", [(3,), (1,), (1, 3), (4, 3), (4, 1), ()])
def test_multilabel_soft_margin_broadcast_weight(backend, torch, wshape):
    w = np.random.default_rng(len(wshape) + sum(wshape)).uniform(0.2, 2.0, wshape)
    F = torch.nn.functional
    for red in ("none", "mean", "sum"):
        want = F.multilabel_soft_margin_loss(
            torch.tensor(_ML_X), torch.tensor(_ML_T), weight=torch.tensor(w), reduction=red
        ).numpy()
        ref = _mlsm_ref(_ML_X, _ML_T, w)
        np.testing.assert_allclose(want, {"none": ref, "mean": ref.mean(), "sum": ref.sum()}[red], rtol=1e-12)
        got = _run(backend, la.multilabel_soft_margin, _ML_X, _ML_T, class_weight=backend.asarray(w), reduction=red)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # the class axis elsewhere: a (C,) weight follows it, other shapes broadcast against the logits as given
    xt = backend.asarray(_ML_X.T)
    got = la.multilabel_soft_margin(xt, backend.asarray(_ML_T.T), class_weight=backend.asarray(w.T), axis=0)
    np.testing.assert_allclose(backend.to_numpy(got), _mlsm_ref(_ML_X, _ML_T, w).mean(), rtol=1e-12)


@pytest.mark.parametrize("wshape", [(3,), (1, 3), (4, 3), (4, 1)])
def test_multilabel_soft_margin_broadcast_weight_gradients(torch, jax, wshape):
    w = np.random.default_rng(7).uniform(0.2, 2.0, wshape)
    F = torch.nn.functional
    a, wa = torch.tensor(_ML_X, requires_grad=True), torch.tensor(w, requires_grad=True)
    la.multilabel_soft_margin(a, torch.tensor(_ML_T), class_weight=wa).backward()
    b, wb = torch.tensor(_ML_X, requires_grad=True), torch.tensor(w, requires_grad=True)
    F.multilabel_soft_margin_loss(b, torch.tensor(_ML_T), weight=wb).backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(wa.grad.numpy(), wb.grad.numpy(), atol=1e-14)
    jnp = jax.numpy
    gx, gw = jax.grad(lambda x, v: la.multilabel_soft_margin(x, jnp.asarray(_ML_T), class_weight=v), argnums=(0, 1))(
        jnp.asarray(_ML_X), jnp.asarray(w)
    )
    np.testing.assert_allclose(np.asarray(gx), b.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(np.asarray(gw), wb.grad.numpy(), atol=1e-14)


def test_multilabel_soft_margin_weight_errors():
    with pytest.raises(la.ShapeMismatchError, match=r"`class_weight` has shape \(2, 3\).*\(1, C\) or \(N, C\)"):
        la.multilabel_soft_margin(_ML_X, _ML_T, class_weight=np.ones((2, 3)))
    with pytest.raises(la.ShapeMismatchError, match=r"shape \(5, 4, 3\).*without enlarging"):
        la.multilabel_soft_margin(_ML_X, _ML_T, class_weight=np.ones((5, 4, 3)))
    with pytest.raises(la.ShapeMismatchError, match=r"expected \(3,\)"):
        la.multilabel_soft_margin(_ML_X, _ML_T, class_weight=np.ones(4))
    for bad in ([1.0, 2.0, 3.0], 2.0):
        with pytest.raises(la.InvalidOptionError, match="`class_weight` must be None or an array"):
            la.multilabel_soft_margin(_ML_X, _ML_T, class_weight=bad)


def test_unbatched_class_inputs_match_torch(backend, torch):
    """(C,) scores with one sample: a 0-d "none" result, as torch's unbatched form."""
    F = torch.nn.functional
    x, t, w = _ML_X[0], _ML_T[0], np.array([0.5, 2.0, 1.0])
    for cw in (None, w):
        want = F.multilabel_soft_margin_loss(
            torch.tensor(x), torch.tensor(t), weight=None if cw is None else torch.tensor(cw), reduction="none"
        ).numpy()
        kw = {} if cw is None else {"class_weight": backend.asarray(cw)}
        got = _run(backend, la.multilabel_soft_margin, x, t, reduction="none", **kw)
        assert got.shape == ()
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # multi_margin_loss with a 0-d label is multiclass_hinge's Weston-Watkins variant
    for p, cw in ((1, None), (2, w)):
        want = F.multi_margin_loss(
            torch.tensor(x), torch.tensor(2), p=p, weight=None if cw is None else torch.tensor(cw), reduction="none"
        ).numpy()
        kw = {} if cw is None else {"class_weight": backend.asarray(cw)}
        got = _run(backend, la.multiclass_hinge, x, np.array(2), variant="weston_watkins", p=p, reduction="none", **kw)
        assert got.shape == ()
        np.testing.assert_allclose(got, want, rtol=1e-12)
