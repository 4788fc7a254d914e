"""Known answers for the embedding losses, computed by hand (never by lossapi).

Also: the counterpart semantics (torch's eps on the difference vector vs optax's eps inside
the root, optax's epsilon on the squared norm, torch's handling of targets other than +-1,
optax's NT-Xent mean over positive pairs), finite gradients equal on torch and JAX where two
embeddings coincide or a vector is zero, ``where`` on NT-Xent batches, option errors, and
jit.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import lossapi as la
from lossapi.losses import embedding as embedding_module


def _run(backend, fn, *arrays, **kw):
    out = fn(*[backend.asarray(np.asarray(a)) for a in arrays], **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


def _grads_torch(torch, fn, arrays, n_diff, **kw):
    ts = [
        torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) if i < n_diff else torch.tensor(np.asarray(a))
        for i, a in enumerate(arrays)
    ]
    fn(*ts, **kw).backward()
    return [t.grad.numpy() for t in ts[:n_diff]]


def _grads_jax(jax, fn, arrays, n_diff, **kw):
    import jax.numpy as jnp

    xs = [jnp.asarray(np.asarray(a, dtype=np.float64) if i < n_diff else np.asarray(a)) for i, a in enumerate(arrays)]
    gs = jax.grad(lambda *d: fn(*d, *xs[n_diff:], **kw), argnums=tuple(range(n_diff)))(*xs[:n_diff])
    return [np.asarray(g) for g in gs]


def _both(torch, jax, fn, arrays, n_diff, **kw):
    """Gradients on torch and JAX: finite, and equal to each other."""
    gt = _grads_torch(torch, fn, arrays, n_diff, **kw)
    gj = _grads_jax(jax, fn, arrays, n_diff, **kw)
    for a, b in zip(gt, gj):
        assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
    return gt


# -- known answers ---------------------------------------------------------------------------------


def test_cosine_distance_known_answers(backend):
    a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [3.0, 4.0]])
    b = np.array([[0.0, 2.0], [2.0, 2.0], [1.0, 0.0], [-3.0, -4.0]])
    # cos = 0, 1, 0 (zero vector), -1
    np.testing.assert_allclose(_run(backend, la.cosine_distance, a, b, reduction="none"), [1, 0, 1, 2], atol=1e-15)
    # eps floors each norm: |(0.1, 0)| = 0.1 -> 0.5: cos = 0.1 / (0.5 * 1) = 0.2
    got = _run(backend, la.cosine_distance, np.array([[0.1, 0.0]]), np.array([[1.0, 0.0]]), eps=0.5, reduction="none")
    np.testing.assert_allclose(got, [0.8], rtol=1e-14)
    # eps = 0 with a zero vector: cosine 0, not NaN
    got = _run(backend, la.cosine_distance, a, b, eps=0.0, reduction="none")
    np.testing.assert_allclose(got, [1, 0, 1, 2], atol=1e-15)
    # feature axis 0 is the transposed call
    np.testing.assert_allclose(
        _run(backend, la.cosine_distance, a.T, b.T, axis=0, reduction="none"), [1, 0, 1, 2], atol=1e-15
    )


def test_cosine_embedding_known_answers(backend):
    a = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    b = np.array([[0.0, 2.0], [2.0, 2.0], [1.0, 1.0]])
    # cos = 0, 1, 1/sqrt(2) (up to eps = 1e-12 on the squared norms); t = [1, -1, -1], margin 0.5:
    # [1 - 0, max(0, 1 - 0.5), 1/sqrt(2) - 0.5]
    want = [1.0, 0.5, 1 / math.sqrt(2) - 0.5]
    np.testing.assert_allclose(
        _run(backend, la.cosine_embedding, a, b, np.array([1, -1, -1]), margin=0.5, reduction="none"), want, rtol=1e-10
    )
    # torch: targets other than +-1 give 0 (and count in the mean); booleans are +-1
    got = _run(backend, la.cosine_embedding, a, b, np.array([0.0, 2.0, 1.0]), reduction="none")
    np.testing.assert_allclose(got, [0.0, 0.0, 1 - 1 / math.sqrt(2)], rtol=1e-10)
    got = _run(backend, la.cosine_embedding, a, b, np.array([True, False, False]), margin=0.5, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-10)
    # mean over all three pairs: (1 + 0.5 + 0.2071...) / 3
    got = _run(backend, la.cosine_embedding, a, b, np.array([1, -1, -1]), margin=0.5)
    assert float(got) == pytest.approx(sum(want) / 3, rel=1e-10)


def test_contrastive_known_answers(backend):
    z = np.zeros((4, 2))
    b = np.array([[3.0, 4.0], [0.3, 0.4], [3.0, 4.0], [0.3, 0.4]])
    # d = [5, 0.5, 5, 0.5]; similar: d^2 = 25 ; dissimilar: max(0, 1 - d)^2 = [0.25, 0] ;
    # soft 0.5 at d = 0.5: 0.5 * 0.25 + 0.5 * 0.25 = 0.25
    got = _run(backend, la.contrastive, z, b, np.array([1.0, 0.0, 0.0, 0.5]), reduction="none")
    np.testing.assert_allclose(got, [25.0, 0.25, 0.0, 0.25], rtol=1e-12)
    # margin 2, d = 1 (dissimilar): 1 ; boolean / integer targets
    np.testing.assert_allclose(
        _run(backend, la.contrastive, z[:1], np.array([[0.6, 0.8]]), np.array([False]), margin=2.0, reduction="none"),
        [1.0],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        _run(backend, la.contrastive, z[:2], b[:2], np.array([1, 0]), reduction="none"), [25.0, 0.25], rtol=1e-12
    )


def test_triplet_margin_known_answers(backend):
    a = np.zeros((1, 2))
    p = np.array([[3.0, 4.0]])
    n = np.array([[0.0, 1.0]])
    # eps = 0: d(a, p) = 5, d(a, n) = 1: 1 + 5 - 1 = 5 ; p = 1: 1 + 7 - 1 = 7 ; p = inf: 1 + 4 - 1 = 4
    assert _run(backend, la.triplet_margin, a, p, n, eps=0.0, reduction="none").tolist() == [5.0]
    assert _run(backend, la.triplet_margin, a, p, n, eps=0.0, p=1, reduction="none").tolist() == [7.0]
    assert _run(backend, la.triplet_margin, a, p, n, eps=0.0, p=math.inf, reduction="none").tolist() == [4.0]
    # torch's eps on the difference vector: d(a, p) = ||(-3 + e, -4 + e)||, d(a, n) = ||(e, -1 + e)||
    e = 0.25
    want = 1 + math.hypot(-3 + e, -4 + e) - math.hypot(e, -1 + e)
    np.testing.assert_allclose(_run(backend, la.triplet_margin, a, p, n, eps=e, reduction="none"), [want], rtol=1e-14)
    # optax's eps inside the root: sqrt(25 + 11) - sqrt(1 + 11)
    got = _run(backend, la.triplet_margin, a, p, n, eps=11.0, eps_placement="root", reduction="none")
    np.testing.assert_allclose(got, [1 + 6 - math.sqrt(12)], rtol=1e-14)
    # swap: d(a, n) = 1.5, d(p, n) = 0.5 -> min 0.5: 1 + 1 - 0.5 ; without swap 1 + 1 - 1.5
    p2, n2 = np.array([[0.0, 1.0]]), np.array([[0.0, 1.5]])
    assert _run(backend, la.triplet_margin, a, p2, n2, eps=0.0, swap=True, reduction="none").tolist() == [1.5]
    assert _run(backend, la.triplet_margin, a, p2, n2, eps=0.0, reduction="none").tolist() == [0.5]


def test_margin_ranking_known_answers(backend):
    x1, x2 = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    # max(0, -t (x1 - x2) + 0.5): t = 1: [1.5, 0.5, 0] ; t = [1, 1, -1]: [1.5, 0.5, 2.5]
    got = _run(backend, la.margin_ranking, x1, x2, np.array([1.0, 1.0, -1.0]), margin=0.5, reduction="none")
    np.testing.assert_allclose(got, [1.5, 0.5, 2.5], rtol=1e-15)
    # torch reads a 0 target literally: max(0, margin) ; booleans are +-1
    got = _run(backend, la.margin_ranking, x1, x2, np.zeros(3), margin=0.5, reduction="none")
    np.testing.assert_allclose(got, [0.5, 0.5, 0.5], rtol=1e-15)
    got = _run(backend, la.margin_ranking, x1, x2, np.array([True, True, False]), margin=0.5, reduction="sum")
    assert float(got) == pytest.approx(4.5, rel=1e-15)


def test_hinge_embedding_known_answers(backend):
    # t = 1: x ; t = -1: max(0, 1 - x) ; t = 0 or 2 (torch): x + max(0, 1 - x)
    x = np.array([0.3, 0.3, 2.0, 0.3, 1.5])
    t = np.array([1.0, -1.0, -1.0, 0.0, 2.0])
    np.testing.assert_allclose(
        _run(backend, la.hinge_embedding, x, t, reduction="none"), [0.3, 0.7, 0.0, 1.0, 1.5], rtol=1e-15
    )
    got = _run(backend, la.hinge_embedding, x[:3], np.array([True, False, False]), margin=2.0, reduction="none")
    np.testing.assert_allclose(got, [0.3, 1.7, 0.0], rtol=1e-15)


def test_ntxent_known_answers(backend):
    z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    # T = 1: each anchor's positive has c = 1, its two negatives c = 0: -log(e / (e + 2)) = log(1 + 2/e)
    l1 = math.log1p(2 / math.e)
    got = _run(backend, la.ntxent, z, np.array([0, 0, 1, 1]), temperature=1.0, reduction="none")
    np.testing.assert_allclose(got, [l1] * 4, rtol=1e-12)
    # anchors 2, 3 have no positive (loss 0, weight 0); anchors 0, 1: same term as above.
    # "sum" 2 l1 ; "mean" over the 2 positive pairs: l1
    y = np.array([0, 0, 1, 2])
    np.testing.assert_allclose(
        _run(backend, la.ntxent, z, y, temperature=1.0, reduction="none"), [l1, l1, 0, 0], rtol=1e-12
    )
    assert float(_run(backend, la.ntxent, z, y, temperature=1.0, reduction="sum")) == pytest.approx(2 * l1, rel=1e-12)
    assert float(_run(backend, la.ntxent, z, y, temperature=1.0)) == pytest.approx(l1, rel=1e-12)
    # three in one group: anchor 0 has 2 positives (c = 1, c = 0 with row 2), one negative (row 3, c = 0):
    # log(1 + e^0 / e^1) + log(1 + e^0 / e^0) ; no positive pair anywhere -> 0 (optax: NaN)
    y3 = np.array([0, 0, 0, 1])
    want0 = math.log1p(1 / math.e) + math.log(2)
    assert _run(backend, la.ntxent, z, y3, temperature=1.0, reduction="none")[0] == pytest.approx(want0, rel=1e-12)
    assert float(_run(backend, la.ntxent, z, np.array([0, 1, 2, 3]))) == 0.0


def test_docstring_examples():
    result = doctest.testmod(embedding_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 7 and result.failed == 0


# -- counterparts: torch -------------------------------------------------------------------------------


def _rand(shape, seed, scale=1.0):
    return np.random.default_rng(seed).normal(0.0, scale, shape)


@pytest.mark.parametrize(
    ("p", "eps", "swap", "margin"),
    [
        (2, 1e-6, False, 1.0),
        (1, 1e-6, True, 0.5),
        (3, 0.0, False, 2.0),
        (1.5, 1e-3, True, 1.0),
        (math.inf, 1e-6, False, 1.0),
    ],
)
def test_triplet_margin_is_torch(torch, p, eps, swap, margin):
    F = torch.nn.functional
    a, pos, neg = (_rand((6, 5), s, 0.7) for s in (1, 2, 3))
    for reduction in ("none", "mean", "sum"):
        ta, tp, tn = (torch.tensor(v, requires_grad=True) for v in (a, pos, neg))
        la_a, la_p, la_n = (torch.tensor(v, requires_grad=True) for v in (a, pos, neg))
        theirs = F.triplet_margin_loss(ta, tp, tn, margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)
        ours = la.triplet_margin(la_a, la_p, la_n, margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)
        theirs.sum().backward()
        ours.sum().backward()
        for x, y in ((la_a, ta), (la_p, tp), (la_n, tn)):
            torch.testing.assert_close(x.grad, y.grad, rtol=1e-10, atol=1e-12)


def test_cosine_embedding_is_torch(torch):
    F = torch.nn.functional
    a, b = _rand((8, 4), 4), _rand((8, 4), 5)
    a[0] = 0.0  # a zero vector: torch's EPSILON keeps it finite, as lossapi's default eps
    b[1] = a[1]
    t = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0, 0.0, 2.0])
    for margin in (0.0, 0.3, -0.4):
        for reduction in ("none", "mean", "sum"):
            ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
            oa, ob = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
            theirs = F.cosine_embedding_loss(ta, tb, torch.tensor(t), margin=margin, reduction=reduction)
            ours = la.cosine_embedding(oa, ob, torch.tensor(t), margin=margin, reduction=reduction)
            torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)
            theirs.sum().backward()
            ours.sum().backward()
            # (the zero vector's gradient is ~1e6: rounding of a different operation order)
            torch.testing.assert_close(oa.grad, ta.grad, rtol=1e-8, atol=1e-12)
            torch.testing.assert_close(ob.grad, tb.grad, rtol=1e-8, atol=1e-12)


def test_margin_ranking_and_hinge_embedding_are_torch(torch):
    F = torch.nn.functional
    x1, x2 = _rand((4, 5), 6), _rand((4, 5), 7)
    t = np.random.default_rng(8).choice([-1.0, 1.0, 0.0, 2.0], (4, 5))
    d = np.abs(_rand((4, 5), 9))
    for margin in (0.0, 0.5, -0.3):
        for reduction in ("none", "mean", "sum"):
            a, b = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
            oa, ob = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
            theirs = F.margin_ranking_loss(a, b, torch.tensor(t), margin=margin, reduction=reduction)
            ours = la.margin_ranking(oa, ob, torch.tensor(t), margin=margin, reduction=reduction)
            torch.testing.assert_close(ours, theirs, rtol=1e-14, atol=1e-15)
            theirs.sum().backward()
            ours.sum().backward()
            torch.testing.assert_close(oa.grad, a.grad)
            torch.testing.assert_close(ob.grad, b.grad)
            x, ox = torch.tensor(d, requires_grad=True), torch.tensor(d, requires_grad=True)
            theirs = F.hinge_embedding_loss(x, torch.tensor(t), margin=margin + 1, reduction=reduction)
            ours = la.hinge_embedding(ox, torch.tensor(t), margin=margin + 1, reduction=reduction)
            torch.testing.assert_close(ours, theirs, rtol=1e-14, atol=1e-15)
            theirs.sum().backward()
            ours.sum().backward()
            torch.testing.assert_close(ox.grad, x.grad)


def test_cosine_distance_is_torch_cosine_similarity(torch):
    F = torch.nn.functional
    a, b = _rand((3, 4, 5), 10), _rand((3, 4, 5), 11)
    a[0, 0] = 0.0
    for eps, dim in ((1e-8, -1), (0.5, 1), (1e-3, 0)):
        ours = la.cosine_distance(torch.tensor(a), torch.tensor(b), eps=eps, axis=dim, reduction="none")
        theirs = 1 - F.cosine_similarity(torch.tensor(a), torch.tensor(b), dim=dim, eps=eps)
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)


# -- counterparts: optax ---------------------------------------------------------------------------------


def test_cosine_distance_is_optax_with_squared_eps(jax):
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    a, b = _rand((6, 4), 12), _rand((6, 4), 13)
    a[0] = 0.0
    a[1] = 1e-3 * a[1]  # below the floor of eps = 0.1
    for eps in (1e-8, 0.1, 0.5):
        ours = la.cosine_distance(jnp.asarray(a), jnp.asarray(b), eps=eps, reduction="none")
        theirs = optax.losses.cosine_distance(jnp.asarray(a), jnp.asarray(b), epsilon=eps**2)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-12, atol=1e-15)
        # the same gradients (optax's clip is lossapi's floor, gradient 0 below it)
        g_ours = jax.grad(lambda x, y, e=eps: la.cosine_distance(x, y, eps=e, reduction="sum"), argnums=(0, 1))(
            jnp.asarray(a), jnp.asarray(b)
        )
        g_theirs = jax.grad(lambda x, y, e=eps: optax.losses.cosine_distance(x, y, epsilon=e**2).sum(), argnums=(0, 1))(
            jnp.asarray(a), jnp.asarray(b)
        )
        for x, y in zip(g_ours, g_theirs):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-9, atol=1e-9)
    # optax's default epsilon=0 gives NaN for a zero vector; lossapi's eps=0 gives cosine 0
    assert np.isnan(np.asarray(optax.losses.cosine_distance(jnp.asarray(a), jnp.asarray(b)))[0])
    assert float(la.cosine_distance(jnp.asarray(a), jnp.asarray(b), eps=0.0, reduction="none")[0]) == 1.0


@pytest.mark.parametrize(("p", "eps", "margin"), [(2, 1e-6, 1.0), (2, 0.3, 0.5), (4, 1e-2, 2.0)])
def test_triplet_margin_root_placement_is_optax(jax, p, eps, margin):
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    a, pos, neg = (jnp.asarray(_rand((7, 5), s, 0.7)) for s in (14, 15, 16))
    ours = la.triplet_margin(a, pos, neg, p=p, eps=eps, margin=margin, eps_placement="root", reduction="none")
    theirs = optax.losses.triplet_margin_loss(a, pos, neg, norm_degree=p, eps=eps, margin=margin)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-12)
    g1 = jax.grad(
        lambda *x: la.triplet_margin(*x, p=p, eps=eps, margin=margin, eps_placement="root"), argnums=(0, 1, 2)
    )(a, pos, neg)
    g2 = jax.grad(
        lambda *x: optax.losses.triplet_margin_loss(*x, norm_degree=p, eps=eps, margin=margin).mean(), argnums=(0, 1, 2)
    )(a, pos, neg)
    for x, y in zip(g1, g2):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-10, atol=1e-14)
    # The default (torch's eps on the difference vector) is a different number.
    torch_style = la.triplet_margin(a, pos, neg, p=p, eps=eps, margin=margin, reduction="none")
    assert not np.allclose(np.asarray(torch_style), np.asarray(theirs), rtol=1e-9)


@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_ntxent_is_optax(jax, temperature):
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    z = jnp.asarray(_rand((10, 6), 17))
    y = jnp.asarray([0, 1, 0, 2, 1, 3, 2, 0, 4, 1])  # 4 has no positive; 3 neither
    ours = la.ntxent(z, y, temperature=temperature)
    theirs = optax.losses.ntxent(z, y, temperature=temperature)
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-12)
    g1 = jax.grad(lambda x: la.ntxent(x, y, temperature=temperature))(z)
    g2 = jax.grad(lambda x: optax.losses.ntxent(x, y, temperature=temperature))(z)
    np.testing.assert_allclose(np.asarray(g1), np.asarray(g2), rtol=1e-9, atol=1e-13)
    # the mean is over positive pairs: sum("none") / #pairs
    none = np.asarray(la.ntxent(z, y, temperature=temperature, reduction="none"))
    pairs = sum(
        int((np.asarray(y) == v).sum()) * (int((np.asarray(y) == v).sum()) - 1) for v in set(np.asarray(y).tolist())
    )
    assert float(ours) == pytest.approx(none.sum() / pairs, rel=1e-12)


@pytest.mark.parametrize("temperature", [0.07, 0.5])
def test_ntxent_is_pml_value_and_gradient(torch, temperature):
    """pytorch-metric-learning's NTXentLoss (default MeanReducer: mean over positive pairs)."""
    pml = pytest.importorskip("pytorch_metric_learning.losses")
    y = torch.tensor([0, 1, 0, 2, 1, 3, 2, 0, 4, 1])  # 4 and 3 have no positive
    z1 = torch.tensor(_rand((10, 6), 18), requires_grad=True)
    z2 = z1.detach().clone().requires_grad_(True)
    ours = la.ntxent(z1, y, temperature=temperature)
    theirs = pml.NTXentLoss(temperature=temperature)(z2, y)
    np.testing.assert_allclose(float(ours.detach()), float(theirs.detach()), rtol=1e-12)
    (g1,) = torch.autograd.grad(ours, z1)
    (g2,) = torch.autograd.grad(theirs, z2)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-9, atol=1e-13)


# -- finite gradients where embeddings coincide or a vector is zero -------------------------------------------


def test_contrastive_gradient_at_zero_distance(torch, jax):
    x = np.array([[1.0, 2.0, -0.5], [0.0, 0.0, 0.0]])
    # d = 0 on both rows: similar -> gradient of d^2 = 2 (x1 - x2) = 0 ; dissimilar -> the cone
    # max(0, m - d)^2 at its apex: 0 (minimum-norm subgradient)
    for s in ([1.0, 1.0], [0.0, 0.0], [1.0, 0.0]):
        g1, g2 = _both(torch, jax, la.contrastive, (x, x.copy(), np.array(s)), 2)
        assert not np.any(g1) and not np.any(g2)


@pytest.mark.parametrize(
    ("p", "placement"),
    [
        (2, "difference"),
        (1, "difference"),
        (3, "difference"),
        (0.5, "difference"),
        (math.inf, "difference"),
        (2, "root"),
        (3, "root"),
    ],
)
def test_triplet_gradient_at_coincident_embeddings(torch, jax, p, placement):
    a = np.array([[1.0, 2.0, -0.5, 0.25]])
    n = np.array([[1.5, 2.0, -0.5, 0.25]])
    # eps = 0, anchor = positive: d(a, p) = 0 has gradient 0; d(a, n) = 0.5 along e_0:
    # d/da (1 + 0 - |a_0 - n_0|) = -sign(a_0 - n_0) = +1 on a_0, -1 on n_0
    ga, gp, gn = _both(torch, jax, la.triplet_margin, (a, a.copy(), n), 3, p=p, eps=0.0, eps_placement=placement)
    np.testing.assert_allclose(ga, [[1, 0, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(gp, [[0, 0, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(gn, [[-1, 0, 0, 0]], atol=1e-12)
    if placement == "difference" and p in (1, 2, 3):  # torch's own kernel gives the same
        F = torch.nn.functional
        ts = [torch.tensor(v, requires_grad=True) for v in (a, a.copy(), n)]
        F.triplet_margin_loss(*ts, p=p, eps=0.0).backward()
        np.testing.assert_allclose(ts[0].grad.numpy(), ga, atol=1e-12)


def test_triplet_gradient_at_zero_difference_vector(torch, jax):
    # torch's placement: a - p = -eps makes the difference vector 0 (even with eps > 0)
    a = np.array([[1.0, 2.0]])
    p = a + 0.25
    n = np.array([[3.0, 2.0]])
    _, gp, _ = _both(torch, jax, la.triplet_margin, (a, p, n), 3, eps=0.25)
    assert not np.any(gp)


def test_cosine_gradients_at_zero_vectors(torch, jax):
    a = np.array([[0.0, 0.0], [0.0, 0.0]])
    b = np.array([[3.0, 4.0], [0.0, 0.0]])
    # eps = 0: cosine 0 by convention, gradient 0 everywhere
    ga, gb = _both(torch, jax, la.cosine_distance, (a, b), 2, eps=0.0)
    assert not np.any(ga) and not np.any(gb)
    # eps = 1e-8: below the floor |a| is replaced by eps: d/da (1 - a.b / (eps |b|)) = -b / (eps |b|)
    ga, gb = _both(torch, jax, la.cosine_distance, (a, b), 2, reduction="sum")
    np.testing.assert_allclose(ga[0], [-0.6e8, -0.8e8], rtol=1e-12)
    assert not np.any(gb)
    # cosine_embedding, t = 1: d/da (1 - a.b / sqrt((|a|^2 + e)(|b|^2 + e))) = -b / sqrt(e (25 + e))
    t = np.array([1.0, -1.0])
    ga, gb = _both(torch, jax, la.cosine_embedding, (a, b, t), 2, reduction="sum")
    np.testing.assert_allclose(ga[0], -np.array([3.0, 4.0]) / math.sqrt(1e-12 * (25 + 1e-12)), rtol=1e-12)
    ga, gb = _both(torch, jax, la.cosine_embedding, (a, b, t), 2, eps=0.0)
    assert not np.any(ga) and not np.any(gb)


def test_ntxent_gradient_at_zero_and_coincident_embeddings(torch, jax):
    z = np.array([[0.0, 0.0, 0.0], [1.0, 0.5, -0.25], [1.0, 0.5, -0.25], [0.2, -1.0, 0.4]])
    y = np.array([0, 0, 1, 1])
    (g,) = _both(torch, jax, la.ntxent, (z, y), 1)
    assert np.all(np.isfinite(g))
    # no positive pair at all: value 0, gradient exactly 0 (optax: NaN)
    (g,) = _both(torch, jax, la.ntxent, (z, np.array([0, 1, 2, 3])), 1)
    assert not np.any(g)


# -- NT-Xent: where (padding), batch dimensions ------------------------------------------------------------


def test_ntxent_where_excludes_padded_rows(backend):
    z = _rand((7, 3), 18)
    y = np.array([0, 1, 0, 1, 2, 2, 0])
    keep = np.array([True, True, False, True, True, False, True])
    poisoned = z.copy()
    poisoned[~keep] = np.nan
    y_pad = np.where(keep, y, 0)  # the padded rows' labels would join group 0 if counted
    for reduction in ("mean", "sum"):
        want = _run(backend, la.ntxent, z[keep], y[keep], reduction=reduction)
        got = _run(backend, la.ntxent, poisoned, y_pad, where=backend.asarray(keep), reduction=reduction)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    got = _run(backend, la.ntxent, poisoned, y_pad, where=backend.asarray(keep), reduction="none")
    np.testing.assert_allclose(got[keep], _run(backend, la.ntxent, z[keep], y[keep], reduction="none"), rtol=1e-12)
    assert not np.any(got[~keep])


def test_ntxent_where_nan_gives_finite_gradient(torch, jax):
    z = _rand((6, 3), 19)
    z[2] = np.nan
    z[4] = np.inf
    y = np.array([0, 1, 0, 1, 0, 1])
    keep = np.array([True, True, False, True, False, True])
    import jax.numpy as jnp

    g = jax.grad(lambda x: la.ntxent(x, jnp.asarray(y), where=jnp.asarray(keep)))(jnp.asarray(z))
    assert np.all(np.isfinite(np.asarray(g))) and not np.any(np.asarray(g)[~keep])
    zt = torch.tensor(z, requires_grad=True)
    la.ntxent(zt, torch.tensor(y), where=torch.tensor(keep)).backward()
    np.testing.assert_allclose(zt.grad.numpy(), np.asarray(g), rtol=1e-12, atol=1e-300)


def test_ntxent_batch_dimensions_are_independent(backend):
    z = _rand((2, 5, 3), 20)
    y = np.array([[0, 1, 0, 1, 1], [2, 2, 3, 3, 2]])
    got = _run(backend, la.ntxent, z, y, reduction="none")
    for i in range(2):
        np.testing.assert_allclose(got[i], _run(backend, la.ntxent, z[i], y[i], reduction="none"), rtol=1e-12)


def test_vector_losses_broadcast_and_where(backend):
    a = _rand((3, 4, 5), 31)
    b = _rand((1, 4, 5), 32)
    c = _rand((4, 5), 33)
    t = np.array([1.0, -1.0, 1.0, -1.0])  # broadcast over the 3 rows
    keep = np.random.default_rng(34).random((3, 4)) < 0.6
    bad = np.where(keep[..., None], a, np.nan)
    bb, cc, tt = np.broadcast_to(b, a.shape), np.broadcast_to(c, a.shape), np.broadcast_to(t, (3, 4))
    for fn, args, full in (
        (la.cosine_distance, (a, b), (a, bb)),
        (la.cosine_embedding, (a, b, t), (a, bb, tt)),
        (la.contrastive, (a, b, t > 0), (a, bb, tt > 0)),
        (la.triplet_margin, (a, b, c), (a, bb, cc)),
    ):
        want = _run(backend, fn, *full, reduction="none")
        np.testing.assert_allclose(_run(backend, fn, *args, reduction="none"), want, rtol=1e-12, err_msg=fn.__name__)
        got = _run(backend, fn, bad, *args[1:], where=backend.asarray(keep), reduction="sum")
        np.testing.assert_allclose(got, want[keep].sum(), rtol=1e-12, err_msg=fn.__name__)
    # a Python number as the target of every pair
    np.testing.assert_allclose(
        _run(backend, la.cosine_embedding, a, b, 1, reduction="none"),
        _run(backend, la.cosine_distance, a, b, eps=0.0, reduction="none"),
        rtol=1e-10,
    )


# -- hyper-parameters as 0-d arrays, dtypes, jit ---------------------------------------------------------------


def test_array_hyper_parameters(backend):
    a, b, c = _rand((4, 3), 21), _rand((4, 3), 22), _rand((4, 3), 23)
    t = np.array([1.0, -1.0, 1.0, -1.0])
    y = np.array([0, 0, 1, 1])
    cases = [
        (la.cosine_distance, (a, b), {"eps": 0.5}),
        (la.cosine_embedding, (a, b, t), {"margin": 0.2, "eps": 1e-3}),
        (la.contrastive, (a, b, (t > 0).astype(float)), {"margin": 2.0}),
        (la.triplet_margin, (a, b, c), {"margin": 0.5, "eps": 1e-3}),
        (la.triplet_margin, (a, b, c), {"margin": 0.5, "eps": 1e-3, "eps_placement": "root", "p": 3}),
        (la.margin_ranking, (a[:, 0], b[:, 0], t), {"margin": 0.3}),
        (la.hinge_embedding, (np.abs(a[:, 0]), t), {"margin": 1.5}),
        (la.ntxent, (a, y), {"temperature": 0.3}),
    ]
    for fn, args, kw in cases:
        want = _run(backend, fn, *args, reduction="none", **kw)
        arr = {k: (backend.asarray(np.asarray(v)) if isinstance(v, float) else v) for k, v in kw.items()}
        got = _run(backend, fn, *args, reduction="none", **arr)
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=fn.__name__)


def test_float32_in_float32_out_with_integer_targets(backend):
    a, b = _rand((4, 3), 24).astype(np.float32), _rand((4, 3), 25).astype(np.float32)
    for fn, args in (
        (la.cosine_embedding, (a, b, np.array([1, -1, 1, -1], dtype=np.int32))),
        (la.contrastive, (a, b, np.array([1, 0, 1, 0], dtype=np.int32))),
        (la.ntxent, (a, np.array([0, 0, 1, 1], dtype=np.int32))),
        (la.margin_ranking, (a[:, 0], b[:, 0], np.array([1, -1, 1, -1], dtype=np.int32))),
    ):
        out = fn(*[backend.asarray(x) for x in args], reduction="none")
        assert str(out.dtype).endswith("float32"), (fn.__name__, out.dtype)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_in_half_out(torch, dtype):
    a = torch.tensor(_rand((4, 3), 26), dtype=getattr(torch, dtype))
    b = torch.tensor(_rand((4, 3), 27), dtype=getattr(torch, dtype))
    for out in (
        la.cosine_distance(a, b),
        la.triplet_margin(a, b, a.flip(0)),
        la.ntxent(a, torch.tensor([0, 0, 1, 1])),
        la.contrastive(a, b, torch.tensor([1, 0, 1, 0])),
    ):
        assert out.dtype == a.dtype and torch.isfinite(out)


def test_under_jit(jax):
    import jax.numpy as jnp

    a, b, c = (jnp.asarray(_rand((5, 4), s)) for s in (28, 29, 30))
    y = jnp.asarray([0, 1, 0, 1, 2])
    t = jnp.asarray([1.0, -1.0, 1.0, -1.0, 1.0])
    for f in (
        lambda: la.triplet_margin(a, b, c, swap=True, p=1),
        lambda: la.ntxent(a, y, temperature=0.2),
        lambda: la.cosine_embedding(a, b, t, margin=0.1),
        lambda: la.contrastive(a, b, t > 0),
        lambda: la.cosine_distance(a, b, eps=0.0),
    ):
        np.testing.assert_allclose(float(jax.jit(f)()), float(f()), rtol=1e-12)
    g = jax.jit(jax.grad(lambda x, T: la.ntxent(x, y, temperature=T), argnums=(0, 1)))(a, jnp.asarray(0.2))
    assert all(np.all(np.isfinite(np.asarray(v))) for v in g)


# -- errors --------------------------------------------------------------------------------------------------


def test_bad_options():
    a = np.zeros((2, 3))
    with pytest.raises(la.InvalidOptionError, match=r"triplet_margin.*p=0"):
        la.triplet_margin(a, a, a, p=0)
    with pytest.raises(la.InvalidOptionError, match=r"triplet_margin.*p must be a Python number"):
        la.triplet_margin(a, a, a, p=np.asarray(2.0))
    with pytest.raises(la.InvalidOptionError, match=r"triplet_margin.*eps_placement='inside'"):
        la.triplet_margin(a, a, a, eps_placement="inside")
    with pytest.raises(la.InvalidOptionError, match=r"triplet_margin.*p=inf"):
        la.triplet_margin(a, a, a, p=math.inf, eps_placement="root")
    with pytest.raises(la.InvalidOptionError, match=r"triplet_margin.*margin=-1"):
        la.triplet_margin(a, a, a, margin=-1.0)
    with pytest.raises(la.InvalidOptionError, match=r"triplet_margin.*swap"):
        la.triplet_margin(a, a, a, swap=1)
    with pytest.raises(la.InvalidOptionError, match=r"contrastive.*margin=-0.5"):
        la.contrastive(a, a, np.ones(2), margin=-0.5)
    with pytest.raises(la.InvalidOptionError, match=r"cosine_distance.*eps=-1"):
        la.cosine_distance(a, a, eps=-1.0)
    with pytest.raises(la.InvalidOptionError, match=r"ntxent.*temperature=0"):
        la.ntxent(a, np.array([0, 1]), temperature=0.0)
    with pytest.raises(la.InvalidOptionError, match=r"cosine_embedding.*axis=2"):
        la.cosine_embedding(a, a, np.ones(2), axis=2)
    with pytest.raises(la.InvalidOptionError, match="reduction"):
        la.margin_ranking(a, a, a, reduction="avg")


def test_bad_inputs():
    a = np.zeros((2, 3))
    with pytest.raises(la.InvalidDTypeError, match=r"ntxent.*`labels`.*integer"):
        la.ntxent(a, np.array([0.0, 1.0]))
    with pytest.raises(la.ShapeMismatchError, match=r"ntxent.*`labels`"):
        la.ntxent(a, np.array([0, 1, 2]))
    with pytest.raises(la.ShapeMismatchError, match=r"ntxent.*`embeddings`"):
        la.ntxent(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(la.ShapeMismatchError, match=r"cosine_embedding.*`target`"):
        la.cosine_embedding(a, a, np.ones(3))
    with pytest.raises(la.ShapeMismatchError, match=r"contrastive.*`where`"):
        la.contrastive(a, a, np.ones(2), where=np.ones(3, dtype=bool))
    with pytest.raises(la.ShapeMismatchError, match=r"cosine_distance.*0-d"):
        la.cosine_distance(np.float64(1.0) * np.ones(()), np.ones(()))
    with pytest.raises(la.InvalidDTypeError, match=r"triplet_margin.*`anchor`"):
        la.triplet_margin(np.zeros((2, 3), dtype=np.int64), a, a)
    with pytest.raises(la.InvalidDTypeError, match=r"ntxent.*`where`"):
        la.ntxent(a, np.array([0, 1]), where=np.ones(2))
