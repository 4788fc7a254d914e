"""CTC: known answers by hand, the oracle against brute-force enumeration, torch's and optax's
semantics (reductions, blank, zero_infinity, gradients), impossible alignments, float32 clamping,
option errors, time-major layout and jit."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import lossapi as la
from lossapi._conformance.families import sequence as O


def _run(backend, *arrays, **kw):
    out = la.ctc(*[backend.asarray(np.asarray(a)) for a in arrays], **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _batch(seed=0, B=5, T=7, C=5, S=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, T, C)) * 2
    lab = rng.integers(1, C, size=(B, S))
    lab[0, :3] = [2, 2, 3]  # a repeat: needs a blank in between
    il = np.array([7, 6, 4, 2, 7])[:B]
    ll = np.array([3, 4, 2, 2, 0])[:B]
    lab[3, :2] = [1, 1]  # "aa" in 2 frames: impossible
    return x, _log_softmax(x), lab, il, ll


def _brute(lp, labels, blank=0):
    """-log of the summed probability of every frame path that collapses to ``labels``."""
    T, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        out, prev = [], None
        for c in path:
            if c != prev and c != blank:
                out.append(c)
            prev = c
        if out == list(labels):
            total += math.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


def test_oracle_equals_brute_force_enumeration():
    rng = np.random.default_rng(3)
    for labels, T, blank in [
        ([1], 3, 0),
        ([1, 1], 4, 0),
        ([2, 1, 2], 5, 0),
        ([], 3, 0),
        ([0, 0], 4, 2),
        ([1, 1], 2, 0),
    ]:
        lp = _log_softmax(rng.normal(size=(T, 3)))
        assert O.ctc_one(lp, labels, blank) == pytest.approx(_brute(lp, labels, blank), rel=1e-12)


def test_known_answers(backend):
    # Two frames, classes {blank, a}, uniform p = 1/2. "a": paths aa, a-, -a: 3/4 -> -log(3/4).
    lp = np.log(np.full((2, 2, 2), 0.5))
    got = _run(backend, lp, np.array([[1], [1]]), np.array([2, 1]), np.array([1, 1]), reduction="none")
    # second sequence has one frame: path "a" only, 1/2 -> log 2
    np.testing.assert_allclose(got, [-math.log(0.75), math.log(2)], rtol=1e-12)
    # "aa" needs 3 frames; with 2 it is impossible: inf, or 0 with zero_infinity
    aa = _run(backend, lp[:1], np.array([[1, 1]]), np.array([2]), np.array([2]), reduction="none")
    assert np.isinf(aa).all() and (aa > 0).all()
    aa0 = _run(backend, lp[:1], np.array([[1, 1]]), np.array([2]), np.array([2]), reduction="none", zero_infinity=True)
    np.testing.assert_array_equal(aa0, [0.0])
    # Empty label over 2 frames: only blank, blank: 1/4 -> log 4; zero frames and no labels: 0.
    e = _run(backend, lp, np.array([[1], [1]]), np.array([2, 0]), np.array([0, 0]), reduction="none")
    np.testing.assert_allclose(e, [math.log(4), 0.0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("blank", [0, 3])
def test_matches_torch_values_and_reductions(torch, blank, zero_infinity):
    _x, lp, lab, il, ll = _batch()
    lab = np.where(lab == blank, (blank + 1) % 5, lab)
    F = torch.nn.functional
    for red in ("none", "mean", "sum"):
        want = F.ctc_loss(
            torch.tensor(lp).permute(1, 0, 2),
            torch.tensor(lab),
            torch.tensor(il),
            torch.tensor(ll),
            blank=blank,
            reduction=red,
            zero_infinity=zero_infinity,
        ).numpy()
        got = la.ctc(lp, lab, il, ll, blank=blank, zero_infinity=zero_infinity, reduction=red)
        if zero_infinity or red == "none":
            np.testing.assert_allclose(got, want, rtol=1e-12)
        else:  # one impossible sequence: inf in both
            assert np.isinf(got) and np.isinf(want)
        # time-major input = torch's layout
        tm = la.ctc(
            np.moveaxis(lp, 0, 1), lab, il, ll, blank=blank, zero_infinity=zero_infinity, reduction=red, time_major=True
        )
        np.testing.assert_array_equal(tm, got)


def test_matches_optax_per_sequence(jax):
    import optax

    x, lp, lab, il, ll = _batch()
    T, S = lp.shape[1], lab.shape[1]
    lpad = (np.arange(T)[None] >= il[:, None]).astype(np.float64)
    spad = (np.arange(S)[None] >= ll[:, None]).astype(np.float64)
    jnp = jax.numpy
    want = np.asarray(optax.losses.ctc_loss(jnp.asarray(x), jnp.asarray(lpad), jnp.asarray(lab), jnp.asarray(spad)))
    got = np.asarray(la.ctc(jnp.asarray(lp), jnp.asarray(lab), jnp.asarray(il), jnp.asarray(ll), reduction="none"))
    ok = np.isfinite(got)
    assert not ok[3]  # impossible: optax gives its large finite log_epsilon score
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-10)
    assert want[3] > 1e4


def test_gradients_match_torch(torch):
    """torch's ctc_loss gradient w.r.t. log_probs is the gradient w.r.t. the logits through
    log_softmax (it adds exp(log_probs) on the valid frames); through log_softmax they agree."""
    x, lp, lab, il, ll = _batch()
    F = torch.nn.functional
    args = (torch.tensor(lab), torch.tensor(il), torch.tensor(ll))
    for red in ("mean", "sum"):
        a = torch.tensor(x, requires_grad=True)
        la.ctc(torch.log_softmax(a, -1), *args, zero_infinity=True, reduction=red).backward()
        b = torch.tensor(x, requires_grad=True)
        F.ctc_loss(torch.log_softmax(b, -1).permute(1, 0, 2), *args, zero_infinity=True, reduction=red).backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
        # w.r.t. log_probs: torch's = lossapi's + exp(log_probs) * d(loss)/d(loss_b) on valid frames
        c = torch.tensor(lp, requires_grad=True)
        la.ctc(c, *args, zero_infinity=True, reduction="sum").backward()
        d = torch.tensor(lp).permute(1, 0, 2).requires_grad_()
        F.ctc_loss(d, *args, zero_infinity=True, reduction="sum").backward()
        valid = (np.arange(lp.shape[1])[None] < il[:, None]) & (np.array([True, True, True, False, True])[:, None])
        np.testing.assert_allclose(
            c.grad.numpy() + np.exp(lp) * valid[..., None], d.grad.permute(1, 0, 2).numpy(), atol=1e-12
        )
    # the impossible sequence gets gradient exactly 0 (also without zero_infinity)
    for zi in (False, True):
        c = torch.tensor(lp, requires_grad=True)
        la.ctc(c, *args, zero_infinity=zi, reduction="none")[3].backward()
        assert torch.all(c.grad == 0)


def test_gradients_torch_equal_jax(torch, jax):
    _x, lp, lab, il, ll = _batch(1)
    c = torch.tensor(lp, requires_grad=True)
    la.ctc(c, torch.tensor(lab), torch.tensor(il), torch.tensor(ll), zero_infinity=True).backward()
    jnp = jax.numpy
    g = jax.grad(lambda v: la.ctc(v, jnp.asarray(lab), jnp.asarray(il), jnp.asarray(ll), zero_infinity=True))(
        jnp.asarray(lp)
    )
    np.testing.assert_allclose(np.asarray(g), c.grad.numpy(), atol=1e-12)
    assert np.all(np.isfinite(np.asarray(g)))


def test_float32_never_negative(backend):
    # A near-certain alignment: the exact loss is ~1e-9, rounding in float32 may go below 0.
    T, C = 6, 3
    lp = np.full((4, T, C), np.log(1e-10))
    lp[:, :, 1] = np.log1p(-2e-10)
    lp = lp.astype(np.float32)
    lab = np.ones((4, 1), dtype=np.int64)
    got = la.ctc(
        backend.asarray(lp),
        backend.asarray(lab),
        backend.asarray(np.full(4, T)),
        backend.asarray(np.ones(4, dtype=np.int64)),
        reduction="none",
    )
    got = backend.to_numpy(got)
    assert got.dtype == np.float32 and np.all(got >= 0)


def test_where_and_sample_weight(backend):
    _x, lp, lab, il, ll = _batch()
    w = np.array([True, True, True, False, True])  # exclude the impossible sequence
    bad = lp.copy()
    bad[3] = np.nan
    lab2 = lab.copy()
    lab2[3] = 99
    per = O.ctc(lp, lab, il, ll)
    sw = np.array([0.5, 1.0, 2.0, 3.0, 1.5])
    got = _run(backend, bad, lab2, il, ll, where=backend.asarray(w), sample_weight=backend.asarray(sw))
    L = np.maximum(ll, 1)
    want = np.sum((sw * per / L)[w]) / np.sum(sw[w])
    assert float(got) == pytest.approx(want, rel=1e-12)
    got_sum = _run(
        backend, bad, lab2, il, ll, where=backend.asarray(w), sample_weight=backend.asarray(sw), reduction="sum"
    )
    assert float(got_sum) == pytest.approx(np.sum((sw * per)[w]), rel=1e-12)


def test_label_dtypes_and_padding(backend):
    _x, lp, lab, il, ll = _batch()
    want = O.ctc(lp, lab, il, ll, zero_infinity=True)
    pad = lab.copy()
    pad[np.arange(lab.shape[1])[None] >= ll[:, None]] = 4  # padding values are never read
    for dt in (np.int32, np.uint8, np.int16):
        got = _run(backend, lp, pad.astype(dt), il.astype(np.int32), ll, reduction="none", zero_infinity=True)
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_jit(jax):
    _x, lp, lab, il, ll = _batch()
    jnp = jax.numpy
    f = jax.jit(lambda a, b, c, d: la.ctc(a, b, c, d, zero_infinity=True, reduction="none"))
    got = np.asarray(f(jnp.asarray(lp), jnp.asarray(lab), jnp.asarray(il), jnp.asarray(ll)))
    np.testing.assert_allclose(got, O.ctc(lp, lab, il, ll, zero_infinity=True), rtol=1e-12)


def test_option_errors():
    _x, lp, lab, il, ll = _batch()
    with pytest.raises(la.InvalidOptionError, match=r"lossapi\.ctc: blank"):
        la.ctc(lp, lab, il, ll, blank=-1)
    with pytest.raises(la.InvalidOptionError, match="blank=5"):
        la.ctc(lp, lab, il, ll, blank=5)
    with pytest.raises(la.InvalidOptionError, match="zero_infinity"):
        la.ctc(lp, lab, il, ll, zero_infinity=1)
    with pytest.raises(la.InvalidDTypeError, match="labels"):
        la.ctc(lp, lab.astype(np.float64), il, ll)
    with pytest.raises(la.InvalidDTypeError, match="log_probs"):
        la.ctc(lab, lab, il, ll)
    with pytest.raises(la.ShapeMismatchError, match="input_lengths"):
        la.ctc(lp, lab, il[:3], ll)
    with pytest.raises(la.ShapeMismatchError, match=r"\(B, T, C\)"):
        la.ctc(lp[0], lab, il, ll)
