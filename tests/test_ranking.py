"""Known answers for the ranking losses, computed by hand (never by lossapi).

Also: ListNet against optax's ``ranking_softmax_loss`` (values and gradients, entry masks,
all-zero relevance), ``where`` as an entry mask or a list mask (told apart by ``ndim``), padded
entries holding NaN/inf with finite gradients, RankNet's lists without pairs, jit, errors.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import lossapi as la
from lossapi._conformance.families import ranking as orank
from lossapi.losses import ranking as ranking_module


def _run(backend, fn, *arrays, **kw):
    out = fn(*[backend.asarray(np.asarray(a)) for a in arrays], **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


def _sp(x: float) -> float:
    return math.log1p(math.exp(x))


def _lists(seed, shape=(4, 6)):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, shape), rng.integers(0, 3, shape)


# -- known answers ---------------------------------------------------------------------------------


def test_ranknet_known_answers(backend):
    s = np.array([[2.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 3.0, 0.0]])
    r = np.array([[2, 0, 1], [1, 1, 1], [1, 0, 0]])
    # list 0: pairs (0,1), (0,2), (2,1), gaps s_i - s_j = 2, 1, 1: (sp(-2) + 2 sp(-1)) / 3
    # list 1: no pair -> 0 (weight 0) ; list 2: pairs (0,1) gap -2, (0,2) gap 1: (sp(2) + sp(-1)) / 2
    l0 = (_sp(-2) + 2 * _sp(-1)) / 3
    l2 = (_sp(2) + _sp(-1)) / 2
    np.testing.assert_allclose(_run(backend, la.ranknet, s, r, reduction="none"), [l0, 0.0, l2], rtol=1e-12)
    assert float(_run(backend, la.ranknet, s, r)) == pytest.approx((l0 + l2) / 2, rel=1e-12)
    assert float(_run(backend, la.ranknet, s, r, reduction="sum")) == pytest.approx(l0 + l2, rel=1e-12)
    # sample weights [1, 5, 3]: the list without pairs still weighs 0: (l0 + 3 l2) / 4
    got = _run(backend, la.ranknet, s, r, sample_weight=backend.asarray(np.array([1.0, 5.0, 3.0])))
    assert float(got) == pytest.approx((l0 + 3 * l2) / 4, rel=1e-12)
    # list axis 0 is the transposed call
    np.testing.assert_allclose(_run(backend, la.ranknet, s.T, r.T, axis=0, reduction="none"), [l0, 0.0, l2], rtol=1e-12)


def test_ranknet_float_relevance_and_large_gaps(backend):
    # only the order of the relevance matters; gaps of 1e3 neither overflow nor lose the small term
    s = np.array([[1e3, -1e3, 0.0]])
    r = np.array([[0.5, 0.7, 0.1]])
    # pairs (1,0): sp(-(-2e3)) = 2e3 ; (1,2): sp(1e3) = 1e3 ; (0,2): sp(-1e3) = e^-1000 ~ 0
    np.testing.assert_allclose(_run(backend, la.ranknet, s, r, reduction="none"), [1000.0], rtol=1e-12)


def test_ranknet_no_pairs_anywhere_is_zero(backend):
    s = np.array([[1.0, 2.0], [3.0, 0.0]])
    r = np.array([[1, 1], [0, 0]])
    assert float(_run(backend, la.ranknet, s, r)) == 0.0
    assert float(_run(backend, la.ranknet, s[:, :1], r[:, :1])) == 0.0  # single-item lists


def test_listnet_known_answers(backend):
    s = np.array([[2.0, 1.0, 3.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    r = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 2.0]])
    lse0 = math.log(math.e + math.e**2 + math.e**3)
    # list 0: -(2 - lse) ; list 1: all-zero relevance -> 0, still counted in the mean ;
    # list 2: -(1 (1 - lse) + 2 (3 - lse)) = 3 lse - 7 (not normalized, as optax)
    want = [lse0 - 2, 0.0, 3 * lse0 - 7]
    np.testing.assert_allclose(_run(backend, la.listnet, s, r, reduction="none"), want, rtol=1e-12)
    assert float(_run(backend, la.listnet, s, r)) == pytest.approx(sum(want) / 3, rel=1e-12)


def test_docstring_examples():
    result = doctest.testmod(ranking_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 2 and result.failed == 0


# -- where: entry masks and list masks ---------------------------------------------------------------------


def test_entry_mask_equals_dropping_the_items(backend):
    s = np.array([[2.0, 0.0, 1.0, np.nan], [0.5, np.inf, -1.0, 0.25]])
    r = np.array([[2.0, 0.0, 1.0, np.nan], [1.0, 3.0, 0.0, 2.0]])
    valid = np.array([[True, True, True, False], [True, False, True, True]])
    for fn in (la.ranknet, la.listnet):
        got = _run(backend, fn, s, r, where=backend.asarray(valid), reduction="none")
        want = [
            float(_run(backend, fn, s[i][valid[i]][None], r[i][valid[i]][None], reduction="none")[0]) for i in range(2)
        ]
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=fn.__name__)


def test_entry_mask_against_the_oracles(backend):
    s, r = _lists(1)
    valid = np.random.default_rng(2).random(s.shape) < 0.7
    valid[3] = False  # a list without any valid item leaves the reduction
    poisoned = np.where(valid, s, np.nan)
    inputs = {"scores": s, "relevance": r}
    for fn, oracle in ((la.ranknet, orank.reduce_ranknet), (la.listnet, orank.reduce_listnet)):
        for reduction in ("none", "mean", "sum"):
            got = _run(backend, fn, poisoned, r, where=backend.asarray(valid), reduction=reduction)
            want = oracle(inputs, {}, reduction, None, valid)
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"{fn.__name__} {reduction}")
    # a broadcast entry mask (one per list position)
    cols = np.array([True, True, False, True, False, True])
    got = _run(backend, la.ranknet, s, r, where=backend.asarray(cols[None]), reduction="none")
    np.testing.assert_allclose(got, orank.ranknet_terms(s, r, valid=np.broadcast_to(cols, s.shape))[0], rtol=1e-12)


def test_list_mask_is_told_apart_by_ndim(backend):
    s, r = _lists(3)
    keep = np.array([True, False, True, True])
    s_bad = s.copy()
    s_bad[1] = np.nan
    for fn in (la.ranknet, la.listnet):
        # (4,) on (4, 6) scores: one flag per list
        got = _run(backend, fn, s_bad, r, where=backend.asarray(keep), reduction="sum")
        want = _run(backend, fn, s[keep], r[keep], reduction="sum")
        np.testing.assert_allclose(got, want, rtol=1e-12)
        # (4, 1): as many dimensions as the scores, so an entry mask broadcast along each list
        got = _run(backend, fn, s_bad, r, where=backend.asarray(keep[:, None]), reduction="sum")
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_listnet_is_optax_with_entry_masks(jax):
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    s, r = _lists(4, (5, 7))
    r = r.astype(np.float64)
    r[2] = 0.0  # all-zero relevance: loss 0, counted in the mean
    where = np.random.default_rng(5).random(s.shape) < 0.75
    where[4] = False  # no valid item: out of the mean (optax: where=any(where, -1))
    S, R, W = jnp.asarray(s), jnp.asarray(r), jnp.asarray(where)
    for reduction, fn in (("mean", jnp.mean), ("sum", jnp.sum), ("none", None)):
        for w in (None, W):
            ours = la.listnet(S, R, where=w, reduction=reduction)
            theirs = optax.losses.ranking_softmax_loss(S, R, where=w, reduce_fn=fn)
            np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-12, atol=1e-15)
    # gradients w.r.t. the scores and the relevance (lists with a valid item: optax's own
    # gradient is NaN on a fully masked list, whose logits are all -inf)
    W2 = jnp.asarray(where[:4])

    def ours(a, b):
        return la.listnet(a, b, where=W2)

    def theirs(a, b):
        return optax.losses.ranking_softmax_loss(a, b, where=W2)

    g1 = jax.grad(ours, argnums=(0, 1))(S[:4], R[:4])
    g2 = jax.grad(theirs, argnums=(0, 1))(S[:4], R[:4])
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-14)
    g1 = jax.grad(lambda a, b: la.listnet(a, b), argnums=(0, 1))(S, R)
    g2 = jax.grad(lambda a, b: optax.losses.ranking_softmax_loss(a, b), argnums=(0, 1))(S, R)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", ["ranknet", "listnet"])
def test_padded_nan_entries_give_finite_gradients(torch, jax, name):
    import jax.numpy as jnp

    fn = getattr(la, name)
    s, r = _lists(6)
    valid = np.random.default_rng(7).random(s.shape) < 0.6
    valid[3] = False
    s = np.where(valid, s, np.nan)
    s[0, ~valid[0]] = np.inf
    r = np.where(valid, r, -5)
    for reduction in ("mean", "sum"):
        gj = np.asarray(
            jax.grad(lambda x, red=reduction: fn(x, jnp.asarray(r), where=jnp.asarray(valid), reduction=red))(
                jnp.asarray(s)
            )
        )
        st = torch.tensor(s, requires_grad=True)
        fn(st, torch.tensor(r), where=torch.tensor(valid), reduction=reduction).backward()
        gt = st.grad.numpy()
        assert np.all(np.isfinite(gj)) and not np.any(gj[~valid])
        np.testing.assert_allclose(gt, gj, rtol=1e-12, atol=1e-300)
        # per-list masks too
        keep = valid.any(axis=-1)
        gj = np.asarray(
            jax.grad(lambda x, k=keep, red=reduction: fn(x, jnp.asarray(r), where=jnp.asarray(k), reduction=red))(
                jnp.asarray(np.where(keep[:, None], np.where(valid, s, 0.0), np.nan))
            )
        )
        assert np.all(np.isfinite(gj)) and not np.any(gj[~keep])


def test_ranknet_without_pairs_has_zero_gradient(torch, jax):
    import jax.numpy as jnp

    s = np.array([[1.0, 2.0, 0.5], [0.0, 1.0, 2.0]])
    r = np.array([[1, 1, 1], [2, 2, 2]])
    g = np.asarray(jax.grad(lambda x: la.ranknet(x, jnp.asarray(r)))(jnp.asarray(s)))
    assert not np.any(g)
    st = torch.tensor(s, requires_grad=True)
    la.ranknet(st, torch.tensor(r)).backward()
    assert not torch.any(st.grad)


# -- dtypes, jit, errors -------------------------------------------------------------------------------------


def test_integer_relevance_never_promotes(backend):
    s = np.array([[0.5, 1.0, -1.0]], dtype=np.float32)
    for dtype in ("int32", "uint8", "bool"):
        for fn in (la.ranknet, la.listnet):
            out = fn(backend.asarray(s), backend.asarray(np.array([[1, 0, 1]]).astype(dtype)), reduction="none")
            assert str(out.dtype).endswith("float32"), (fn.__name__, dtype, out.dtype)


def test_under_jit(jax):
    import jax.numpy as jnp

    s, r = _lists(8)
    valid = np.random.default_rng(9).random(s.shape) < 0.7
    S, R, V = jnp.asarray(s), jnp.asarray(r), jnp.asarray(valid)
    for fn in (la.ranknet, la.listnet):
        for w in (None, V, V[:, 0]):
            eager = fn(S, R, where=w)
            jitted = jax.jit(lambda a, b, c, fn=fn: fn(a, b, where=c))(S, R, w)
            np.testing.assert_allclose(float(jitted), float(eager), rtol=1e-12)


def test_bad_inputs():
    s = np.zeros((2, 3))
    with pytest.raises(la.ShapeMismatchError, match=r"ranknet.*`where`.*per-entry"):
        la.ranknet(s, s, where=np.ones((2, 4), dtype=bool))
    with pytest.raises(la.ShapeMismatchError, match=r"listnet.*`where`"):
        la.listnet(s, s, where=np.ones(3, dtype=bool))
    with pytest.raises(la.ShapeMismatchError, match=r"listnet.*`relevance`"):
        la.listnet(s, np.zeros((2, 4)))
    with pytest.raises(la.InvalidDTypeError, match=r"ranknet.*`scores`"):
        la.ranknet(np.zeros((2, 3), dtype=np.int64), s)
    with pytest.raises(la.InvalidOptionError, match=r"ranknet.*axis=2"):
        la.ranknet(s, s, axis=2)
    with pytest.raises(la.InvalidDTypeError, match=r"listnet.*`where`"):
        la.listnet(s, s, where=np.ones((2, 3)))
