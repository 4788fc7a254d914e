"""CTC: known answers by hand, the oracle against brute-force enumeration, torch's and optax's
semantics (reductions, blank, zero_infinity, gradients), impossible alignments, float32 clamping,
option errors, time-major layout and jit. Invalid labels (blank or outside [0, C) inside a label
length): NaN for that sequence on every backend and path, with equal gradients on torch's fast
and generic paths, and InvalidValueError inside check_values(). torch's other input forms:
concatenated 1-D labels, one unbatched (T, C) sequence, and Python lists of lengths (an error)."""

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


# -- invalid labels: NaN for that sequence on every backend and path ------------------------------


def _invalid_batch():
    """Sequence 1 has a blank inside its length, 2 a label >= C, 3 a negative label, 4 a bad label
    in its padding only (valid); 0 is valid."""
    _x, lp, lab, il, ll = _batch(seed=2, B=5, T=7, C=5, S=4)
    lab = np.array([[1, 2, 3, 4], [2, 0, 3, 1], [1, 5, 2, 2], [-1, 3, 1, 1], [3, 1, 0, 99]])
    il = np.array([7, 7, 6, 7, 5])
    ll = np.array([3, 3, 2, 2, 2])
    return lp, lab, il, ll


def test_invalid_labels_give_nan_for_their_sequence(backend):
    lp, lab, il, ll = _invalid_batch()
    want = O.ctc(lp, lab, il, ll)
    assert np.isnan(want[1:4]).all() and np.isfinite(want[[0, 4]]).all()  # the oracle's own reading
    got = _run(backend, lp, lab, il, ll, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-12)  # NaN where the oracle has NaN, equal elsewhere
    for red in ("mean", "sum"):
        assert np.isnan(_run(backend, lp, lab, il, ll, reduction=red))
    # zero_infinity does not hide them; excluding them with `where` does.
    assert np.isnan(_run(backend, lp, lab, il, ll, reduction="none", zero_infinity=True)[1:4]).all()
    w = np.array([True, False, False, False, True])
    got = _run(backend, lp, lab, il, ll, where=backend.asarray(w), reduction="sum")
    assert float(got) == pytest.approx(want[0] + want[4], rel=1e-12)
    # another blank and unsigned labels: 255 >= C
    lab8 = np.array([[1, 2, 3, 4], [255, 1, 1, 1]], dtype=np.uint8)
    ll8 = np.array([4, 1])
    got = _run(backend, lp[:2], lab8, il[:2], ll8, reduction="none", blank=4)
    np.testing.assert_allclose(got, O.ctc(lp[:2], lab8, il[:2], ll8, blank=4), rtol=1e-12)
    assert np.isnan(got).tolist() == [True, True]  # label 4 is the blank in sequence 0


def test_invalid_labels_reproducer_fast_path_equals_generic(torch):
    """torch's own ctc_loss gives a finite value for a blank label (and so did the fast path)."""
    lp = torch.log_softmax(torch.tensor(np.random.default_rng(0).normal(size=(2, 6, 4))), -1)
    lab, il, ll = torch.tensor([[1, 2, 3], [1, 0, 2]]), torch.tensor([6, 6]), torch.tensor([3, 3])
    fast = la.ctc(lp, lab, il, ll, reduction="none")
    with la.native(False):
        generic = la.ctc(lp, lab, il, ll, reduction="none")
    want = O.ctc(lp.numpy(), lab.numpy(), il.numpy(), ll.numpy())
    assert np.isnan(want[1]) and np.isfinite(want[0])
    for got in (fast, generic):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_invalid_labels_gradients_fast_path_equal_generic(torch, reduction, zero_infinity):
    lp, lab, il, ll = _invalid_batch()
    lab = np.concatenate([lab, [[1, 1, 2, 2]]])  # and an impossible alignment (inf unless zero_infinity)
    lp = np.concatenate([lp, lp[:1]])
    il, ll = np.append(il, 3), np.append(ll, 4)
    args = (torch.tensor(lab), torch.tensor(il), torch.tensor(ll))
    out, grads = [], []
    for native in (True, False):
        c = torch.tensor(lp, requires_grad=True)
        with la.native(native):
            v = la.ctc(c, *args, reduction=reduction, zero_infinity=zero_infinity)
        (v[np.isfinite(v.detach().numpy())].sum() if reduction == "none" else v).backward()
        out.append(v.detach().numpy())
        grads.append(c.grad.numpy())
    np.testing.assert_array_equal(np.isnan(out[0]), np.isnan(out[1]))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)
    assert np.all(np.isfinite(grads[0])) and np.all(np.isfinite(grads[1]))
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)
    assert np.all(grads[0][1:4] == 0) and np.all(grads[1][1:4] == 0)  # nothing from the NaN sequences
    if reduction != "none":
        assert np.isnan(out[0])
    assert np.any(grads[0][0] != 0)


def test_invalid_labels_jax_jit_and_grad(torch, jax):
    lp, lab, il, ll = _invalid_batch()
    jnp = jax.numpy
    a = (jnp.asarray(lab), jnp.asarray(il), jnp.asarray(ll))
    f = jax.jit(lambda v, *r: la.ctc(v, *r, reduction="none"))
    np.testing.assert_allclose(np.asarray(f(jnp.asarray(lp), *a)), O.ctc(lp, lab, il, ll), rtol=1e-12)
    assert np.isnan(float(jax.jit(lambda v, *r: la.ctc(v, *r))(jnp.asarray(lp), *a)))
    # The gradient of the sum over the valid sequences: 0 on the invalid ones, as torch's paths.
    g = jax.grad(lambda v: jnp.sum(jnp.nan_to_num(la.ctc(v, *a, reduction="none"), nan=0.0)))(jnp.asarray(lp))
    c = torch.tensor(lp, requires_grad=True)
    t = la.ctc(c, torch.tensor(lab), torch.tensor(il), torch.tensor(ll), reduction="none")
    t[[0, 4]].sum().backward()
    np.testing.assert_allclose(np.asarray(g), c.grad.numpy(), atol=1e-12)
    assert np.all(np.asarray(g)[1:4] == 0)


@pytest.mark.parametrize("bname", ["numpy", "array_api_strict", "torch", "jax"])
def test_check_values_rejects_invalid_labels_in_every_form(bname):
    from _backends import load_backend

    b = load_backend(bname)
    lp, lab, il, ll = _invalid_batch()

    def run(*arrays, **kw):
        return la.ctc(*[b.asarray(np.asarray(a)) for a in arrays], **kw)

    with la.check_values():
        for seq, value in ((1, 0), (2, 5), (3, -1)):
            keep = [0, seq]
            with pytest.raises(la.InvalidValueError, match=rf"labels\[1, \d\] = {value}\b"):
                run(lp[keep], lab[keep], il[keep], ll[keep])
        run(lp[[0, 4]], lab[[0, 4]], il[[0, 4]], ll[[0, 4]])  # 99 is padding
        # concatenated: the blank is label 4 of the concatenation (sequence 1)
        with pytest.raises(la.InvalidValueError, match=r"labels\[4\] = 0"):
            run(lp[:2], np.array([1, 2, 3, 2, 0, 3]), il[:2], ll[:2])
        run(lp[:2], np.array([1, 2, 3, 2, 1, 3, 0, 0]), il[:2], ll[:2])  # entries after the last are free
        run(lp[:2], np.array([1, 2, 3, 2, 0, 3]), il[:2], ll[:2], where=b.asarray(np.array([True, False])))
        with pytest.raises(la.InvalidValueError, match=r"`label_lengths` has 1 length running past the end of the 5"):
            run(lp[:2], np.array([1, 2, 3, 2, 1]), il[:2], ll[:2])
        # one (T, C) sequence: lengths () or (1,)
        for n in (np.array(3), np.array([3])):
            with pytest.raises(la.InvalidValueError, match="= 0"):
                run(lp[1], lab[1], il[1], n)
        run(lp[1], lab[1], il[1], np.array([1]))  # the blank is padding here


# -- torch's other input forms: concatenated labels, one unbatched sequence, lists -----------------


def _concat(lab, ll):
    return np.concatenate([lab[b, :n] for b, n in enumerate(ll)])


@pytest.mark.parametrize("time_major", [False, True])
def test_concatenated_labels_match_torch_and_padded(backend, torch, time_major):
    _x, lp, lab, il, ll = _batch(seed=4)
    cat = _concat(lab, ll)
    F = torch.nn.functional
    x = np.moveaxis(lp, 0, 1) if time_major else lp
    for red in ("none", "mean", "sum"):
        want = F.ctc_loss(
            torch.tensor(lp).permute(1, 0, 2),
            torch.tensor(cat),
            torch.tensor(il),
            torch.tensor(ll),
            reduction=red,
            zero_infinity=True,
        ).numpy()
        got = _run(backend, x, cat, il, ll, reduction=red, zero_infinity=True, time_major=time_major)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        padded = _run(backend, x, lab, il, ll, reduction=red, zero_infinity=True, time_major=time_major)
        np.testing.assert_allclose(got, padded, rtol=1e-13)
    # uint8 labels, int32 lengths, trailing entries after the last sequence (ignored)
    tail = np.append(cat, [0, 7]).astype(np.uint8)
    got = _run(backend, x, tail, il.astype(np.int32), ll, time_major=time_major, reduction="none")
    np.testing.assert_allclose(got, O.ctc(lp, cat, il, ll), rtol=1e-12)


def test_concatenated_labels_several_batch_axes_and_overflow(backend):
    _x, lp, lab, il, ll = _batch(seed=5, B=4)
    lp4, lab4, il4, ll4 = lp.reshape(2, 2, *lp.shape[1:]), lab.reshape(2, 2, -1), il.reshape(2, 2), ll.reshape(2, 2)
    cat = _concat(lab, ll)
    got = _run(backend, lp4, cat, il4, ll4, reduction="none", zero_infinity=True)
    np.testing.assert_allclose(got, O.ctc(lp4, lab4, il4, ll4, zero_infinity=True), rtol=1e-12)
    # The last sequence runs past the end of the labels: NaN there, the others unchanged.
    short = cat[:-1]
    want = O.ctc(lp, short, il, ll, zero_infinity=True)
    assert np.isnan(want[-1]) and np.isfinite(want[:-1]).all()
    np.testing.assert_allclose(_run(backend, lp, short, il, ll, reduction="none", zero_infinity=True), want, rtol=1e-12)
    # Empty concatenation: only label length 0 is valid.
    got = _run(backend, lp[:2], np.zeros(0, dtype=np.int64), il[:2], np.array([0, 1]), reduction="none")
    np.testing.assert_allclose(got, O.ctc(lp[:2], np.zeros(0, dtype=np.int64), il[:2], np.array([0, 1])))
    assert np.isfinite(got[0]) and np.isnan(got[1])


def test_concatenated_labels_under_jit(jax):
    _x, lp, lab, il, ll = _batch(seed=4)
    cat = _concat(lab, ll)
    jnp = jax.numpy
    f = jax.jit(lambda *a: la.ctc(*a, reduction="none", zero_infinity=True))  # traced lengths: width len(cat)
    got = np.asarray(f(jnp.asarray(lp), jnp.asarray(cat), jnp.asarray(il), jnp.asarray(ll)))
    np.testing.assert_allclose(got, O.ctc(lp, lab, il, ll, zero_infinity=True), rtol=1e-12)
    # Labels one short: the last sequence with labels (3) is NaN; sequence 4 has none, needs none.
    assert ll[3] > 0 and ll[4] == 0
    bad = np.asarray(f(jnp.asarray(lp), jnp.asarray(cat[:-1]), jnp.asarray(il), jnp.asarray(ll)))
    np.testing.assert_allclose(bad, O.ctc(lp, cat[:-1], il, ll, zero_infinity=True), rtol=1e-12)
    assert np.isnan(bad).tolist() == [False, False, False, True, False]


@pytest.mark.parametrize("lengths_shape", [(), (1,)])
def test_unbatched_sequence_matches_torch(backend, torch, lengths_shape):
    _x, lp, lab, il, ll = _batch(seed=6)
    one, labels, n_in, n_lab = lp[0], lab[0], il[0], ll[0]
    F = torch.nn.functional
    for red in ("none", "mean", "sum"):
        want = F.ctc_loss(
            torch.tensor(one),
            torch.tensor(labels[:n_lab]),
            torch.tensor(n_in).reshape(lengths_shape),
            torch.tensor(n_lab).reshape(lengths_shape),
            reduction=red,
        ).numpy()
        assert want.shape == ()
        for lab_form in (labels, labels[None]):  # (S,) padded beyond the length, or (1, S)
            got = _run(
                backend,
                one,
                lab_form,
                np.reshape(n_in, lengths_shape),
                np.reshape(n_lab, lengths_shape),
                reduction=red,
                time_major=red == "sum",  # no batch axis: the same layout either way
            )
            assert got.shape == ()
            np.testing.assert_allclose(got, want, rtol=1e-12)
    # an invalid label inside the length: NaN
    assert np.isnan(_run(backend, one, np.array([1, 0, 2]), np.array(7), np.array(2), reduction="none"))


def test_torch_forms_gradients_match_torch(torch):
    """Through log_softmax (torch's ctc_loss gradient convention), fast path and generic path."""
    x, lp, lab, il, ll = _batch(seed=7)
    F = torch.nn.functional
    cat = torch.tensor(_concat(lab, ll))
    args = (torch.tensor(il), torch.tensor(ll))
    b = torch.tensor(x, requires_grad=True)
    F.ctc_loss(torch.log_softmax(b, -1).transpose(0, 1), cat, *args, zero_infinity=True).backward()
    u = torch.tensor(x[0], requires_grad=True)
    F.ctc_loss(torch.log_softmax(u, -1), cat[: ll[0]], args[0][0], args[1][0]).backward()
    # the fast path takes both forms itself (it does not step aside to the generic path)
    fast = la._native.table("ctc")["torch"]
    kw = {"blank": 0, "zero_infinity": True, "time_major": False, "sample_weight": None, "where": None}
    assert fast(torch.tensor(lp), cat, *args, reduction="none", **kw) is not NotImplemented
    assert fast(torch.tensor(lp[0]), cat[:3], args[0][0], args[1][:1], reduction="none", **kw) is not NotImplemented
    for native in (True, False):
        a = torch.tensor(x, requires_grad=True)
        with la.native(native):
            la.ctc(torch.log_softmax(a, -1), cat, *args, zero_infinity=True).backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
        v = torch.tensor(x[0], requires_grad=True)
        with la.native(native):
            la.ctc(torch.log_softmax(v, -1), torch.tensor(lab[0]), args[0][0], args[1][0]).backward()
        np.testing.assert_allclose(v.grad.numpy(), u.grad.numpy(), atol=1e-12)


def test_python_lengths_raise_a_clear_error(torch):
    _x, lp, lab, il, ll = _batch()
    t = torch.tensor
    for bad in (il.tolist(), tuple(il.tolist())):
        with pytest.raises(la.InputTypeError, match=r"`input_lengths` is a Python (list|tuple).*xp\.asarray"):
            la.ctc(t(lp), t(lab), bad, t(ll))
    with pytest.raises(la.InputTypeError, match=r"`label_lengths` is a Python tuple.*xp\.asarray"):
        la.ctc(t(lp), t(lab), t(il), tuple(ll.tolist()))
    # what the message says to do works
    got = la.ctc(t(lp), t(lab), torch.asarray(il.tolist()), torch.asarray(tuple(ll.tolist())), zero_infinity=True)
    assert float(got) == pytest.approx(float(la.ctc(lp, lab, il, ll, zero_infinity=True)), rel=1e-12)


def test_unbatched_shape_errors():
    _x, lp, lab, il, ll = _batch()
    with pytest.raises(la.ShapeMismatchError, match=r"`input_lengths` has shape \(5,\).*0-d array"):
        la.ctc(lp[0], lab[0], il, ll[0])
    with pytest.raises(la.ShapeMismatchError, match=r"`labels` has shape \(2, 4\).*\(S,\)"):
        la.ctc(lp[0], lab[:2], il[0], ll[0])
    with pytest.raises(la.ShapeMismatchError, match=r"\(B, T, C\).*or \(T, C\)"):
        la.ctc(lp[0, 0], lab[0], il[0], ll[0])
    with pytest.raises(la.ShapeMismatchError, match=r"concatenated"):
        la.ctc(lp, lab[None], il, ll)


@pytest.mark.parametrize("bad", [math.nan, math.inf, 1e30])
def test_ctc_nonfinite_log_probs_same_on_fast_and_generic_paths(torch, bad):
    """A NaN, +inf or exp-overflowing log-probability in a used frame makes its sequence NaN with
    gradient 0 from it on both paths (torch's kernel skipped NaN, and its exp(log_probs) made the
    gradient NaN at 1e30); one beyond the input length changes nothing."""
    rng = np.random.default_rng(3)
    lp = np.log(rng.dirichlet(np.ones(4), (3, 5)))
    lp[0, 0, 0] = bad  # a used frame of sequence 0
    lp[1, 4, 2] = bad  # beyond sequence 1's input length (4)
    lab, il, ll = np.array([[1, 2], [2, 3], [1, 1]]), np.array([5, 4, 5]), np.array([2, 2, 1])
    want = O.ctc(np.where(np.isfinite(lp) & (lp < 1), lp, 0.0), lab, il, ll)
    outs = []
    for fast in (True, False):
        x = torch.tensor(lp, requires_grad=True)
        with la.native(fast):
            v = la.ctc(x, torch.tensor(lab), torch.tensor(il), torch.tensor(ll), reduction="none")
            la.ctc(x, torch.tensor(lab), torch.tensor(il), torch.tensor(ll)).backward()
        outs.append((v.detach().numpy(), x.grad.numpy()))
        assert np.isnan(outs[-1][0][0])
        np.testing.assert_allclose(outs[-1][0][1:], want[1:], rtol=1e-10)
        assert np.isfinite(outs[-1][1]).all() and not outs[-1][1][0].any()  # gradient 0 from sequence 0
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-9, atol=1e-12)
