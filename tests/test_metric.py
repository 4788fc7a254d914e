"""Known answers for the metric-learning losses, computed by hand (never by lossapi).

Also: value and gradient equal to pytorch-metric-learning (PML) under torch autograd, w.r.t.
the embeddings and ArcFace's/CosFace's class centres; keras' ``Circle``; finite gradients where
rows coincide and at ArcFace's ``theta = 0`` and ``pi`` (where PML's ``acos`` has none);
``where`` excluding padded rows as anchors and partners; ``jax.jit``/``jax.grad`` and
``torch.compile``.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import lossapi as la
from lossapi._conformance.families import metric as oracles

PAIRWISE = ("batch_triplet", "batch_contrastive", "supcon", "circle", "multi_similarity")


def _run(backend, fn, *arrays, **kw):
    out = fn(*[backend.asarray(np.asarray(a)) for a in arrays], **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


def _rand(shape, seed, scale=1.0):
    return np.random.default_rng(seed).normal(0.0, scale, shape)


# -- known answers ---------------------------------------------------------------------------------

# Rows on a line and an axis (normalize=False): d01 = 1, d02 = 2, d03 = 3, d12 = sqrt(5), d13 = 2,
# d23 = sqrt(13); labels 0, 0, 1, 1.
Z = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
Y = np.array([0, 0, 1, 1])
S5, S13 = math.sqrt(5.0), math.sqrt(13.0)


def test_batch_triplet_known_answers(backend):
    kw = {"margin": 2.0, "normalize": False}
    # anchor 0: (p 1, n 2) 2 + 1 - 2, (1, 3) 2 + 1 - 3 = 0 ; anchor 1: 3 - sqrt5, 3 - 2 ;
    # anchor 2: (3, 0) 2 + sqrt13 - 2, (3, 1) 2 + sqrt13 - sqrt5 ; anchor 3: 2 + sqrt13 - 3, 2 + sqrt13 - 2
    want = [1.0, 3 - S5 + 1, S13 + 2 + S13 - S5, S13 - 1 + S13]
    np.testing.assert_allclose(_run(backend, la.batch_triplet, Z, Y, reduction="none", **kw), want, rtol=1e-12)
    # "mean": 7 of the 8 triplets have a positive loss ; nonzero_mean=False: all 8
    assert float(_run(backend, la.batch_triplet, Z, Y, **kw)) == pytest.approx(sum(want) / 7, rel=1e-12)
    got = _run(backend, la.batch_triplet, Z, Y, nonzero_mean=False, **kw)
    assert float(got) == pytest.approx(sum(want) / 8, rel=1e-12)
    assert float(_run(backend, la.batch_triplet, Z, Y, reduction="sum", **kw)) == pytest.approx(sum(want), rel=1e-12)
    # hard: farthest positive (the only one), closest negative: anchors 0 and 1 meet d = 2, 2 and 3 too
    hard = [1.0, 1.0, S13, S13]
    got = _run(backend, la.batch_triplet, Z, Y, mining="hard", reduction="none", **kw)
    np.testing.assert_allclose(got, hard, rtol=1e-12)
    # semi-hard, d_ap < d_an < d_ap + 2: anchor 0 keeps n = 2 (not 3: 3 < 3 fails), anchor 1 both,
    # anchors 2 and 3 none (every negative is closer than the positive)
    got = _run(backend, la.batch_triplet, Z, Y, mining="semihard", reduction="none", **kw)
    np.testing.assert_allclose(got, [1.0, 3 - S5 + 1, 0.0, 0.0], rtol=1e-12)
    # squared distances: anchor 0: 2 + 1 - 4 < 0, 2 + 1 - 9 < 0 ; anchor 1: 3 - 5 < 0, 3 - 4 < 0 ; 0 everywhere
    got = _run(backend, la.batch_triplet, Z, Y, distance="squared", reduction="none", **kw)
    np.testing.assert_allclose(got, [0.0, 0.0, 13 + 2 - 4 + 13 + 2 - 5, 13 + 2 - 9 + 13 + 2 - 4], rtol=1e-12)
    # normalised (the default): unit rows (0, 0) stays 0 (norm floor), (1, 0), (0, 1), (1, 0)
    # d01 = 1, d02 = 1, d03 = 1, d12 = sqrt2, d13 = 0, d23 = sqrt2; margin 0.5
    got = _run(backend, la.batch_triplet, Z, Y, margin=0.5, reduction="none")
    r2 = math.sqrt(2.0)
    want = [0.5 + 0.5, 1.5 - r2 + 1.5, (0.5 + r2 - 1) + 0.5, 0.5 + r2 - 1 + 0.5 + r2 - 0]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_batch_contrastive_known_answers(backend):
    kw = {"pos_margin": 0.5, "neg_margin": 2.5, "normalize": False}
    # anchor 0: pos 1 - 0.5 ; neg 2.5 - 2, 2.5 - 3 -> 0 ; anchor 1: pos 0.5 ; neg 2.5 - sqrt5, 2.5 - 2
    # anchor 2: pos sqrt13 - 0.5 ; neg 0.5, 2.5 - sqrt5 ; anchor 3: pos sqrt13 - 0.5 ; neg 0, 0.5
    pos = [0.5, 0.5, S13 - 0.5, S13 - 0.5]
    neg = [0.5, 2.5 - S5 + 0.5, 0.5 + 2.5 - S5, 0.5]
    got = _run(backend, la.batch_contrastive, Z, Y, reduction="none", **kw)
    np.testing.assert_allclose(got, np.add(pos, neg), rtol=1e-12)
    # "mean": positive terms 4 (all non-zero), negative terms 6 of 8 non-zero
    got = _run(backend, la.batch_contrastive, Z, Y, **kw)
    assert float(got) == pytest.approx(sum(pos) / 4 + sum(neg) / 6, rel=1e-12)
    got = _run(backend, la.batch_contrastive, Z, Y, nonzero_mean=False, **kw)
    assert float(got) == pytest.approx(sum(pos) / 4 + sum(neg) / 8, rel=1e-12)
    # cosine distance 1 - s on (0, 0) [s = 0 with every row], (1, 0), (0, 2), (3, 0):
    # anchor 1: pos 1 - 0 = 1 ; neg d12 = 1, d13 = 0 -> relu(0.8 - 1) + relu(0.8 - 0)
    got = _run(backend, la.batch_contrastive, Z, Y, distance="cosine", neg_margin=0.8, reduction="none")
    np.testing.assert_allclose(got[1], 1.0 + 0.8, rtol=1e-12)


def test_supcon_known_answers(backend):
    z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    # T = 1: each anchor's positive has s = 1, its two negatives s = 0: -log(e / (e + 2))
    got = _run(backend, la.supcon, z, np.array([0, 0, 1, 1]), temperature=1.0, reduction="none")
    np.testing.assert_allclose(got, [math.log1p(2 / math.e)] * 4, rtol=1e-12)
    # group of three: anchor 0 has positives s = 1 (row 1), s = 0 (row 2), one negative s = 0:
    # -(1/2) [(1 - log(e + 2)) + (0 - log(e + 2))] ; anchor 3 has no positive: 0, not counted
    y = np.array([0, 0, 0, 1])
    got = _run(backend, la.supcon, z, y, temperature=1.0, reduction="none")
    assert got[0] == pytest.approx(math.log(math.e + 2) - 0.5, rel=1e-12)
    assert got[3] == 0.0
    assert float(_run(backend, la.supcon, z, y, temperature=1.0)) == pytest.approx(np.sum(got) / 3, rel=1e-12)
    # T = 0.5 doubles the similarities: -log(e^2 / (e^2 + 2))
    got = _run(backend, la.supcon, z, np.array([0, 0, 1, 1]), temperature=0.5, reduction="none")
    np.testing.assert_allclose(got, [math.log1p(2 / math.e**2)] * 4, rtol=1e-12)
    # no positive pair anywhere: 0
    assert float(_run(backend, la.supcon, z, np.array([0, 1, 2, 3]))) == 0.0


def test_circle_known_answers(backend):
    z = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    y = np.array([0, 0, 1])
    # m = 0.25, gamma = 2. anchor 0: positive s = 0: a_p = 1.25, logit -2 * 1.25 * (0 - 0.75) = 1.875 ;
    # negative s = -1: a_n = relu(-0.75) = 0, logit 0 -> softplus(1.875)
    # anchor 1: positive 1.875 ; negative s = 0: a_n = 0.25, logit 2 * 0.25 * (0 - 0.25) = -0.125
    # anchor 2: no positive -> 0, not counted
    want = [math.log1p(math.exp(1.875)), math.log1p(math.exp(1.75)), 0.0]
    got = _run(backend, la.circle, z, y, margin=0.25, gamma=2.0, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = _run(backend, la.circle, z, y, margin=0.25, gamma=2.0)
    assert float(got) == pytest.approx(sum(want) / 2, rel=1e-12)


def test_multi_similarity_known_answers(backend):
    z = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    y = np.array([0, 0, 1])
    # alpha 2, beta 4, base 0.5: (1/2) log(1 + sum_P e^{-2 (s - 0.5)}) + (1/4) log(1 + sum_N e^{4 (s - 0.5)})
    want = [
        0.5 * math.log1p(math.e) + 0.25 * math.log1p(math.exp(-6.0)),
        0.5 * math.log1p(math.e) + 0.25 * math.log1p(math.exp(-2.0)),
        0.25 * math.log1p(math.exp(-6.0) + math.exp(-2.0)),  # no positive: only the negative term
    ]
    got = _run(backend, la.multi_similarity, z, y, alpha=2.0, beta=4.0, base=0.5, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = _run(backend, la.multi_similarity, z, y, alpha=2.0, beta=4.0, base=0.5)
    assert float(got) == pytest.approx(sum(want) / 3, rel=1e-12)


def test_arcface_and_cosface_known_answers(backend):
    z = np.array([[1.0, 0.0], [0.0, 3.0], [-2.0, 0.0], [1.0, 0.0]])
    w = np.array([[2.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 0, 0, 5])  # label 5 is outside [0, 2): NaN
    m, s = 0.5, 2.0

    def ce(target, other):
        return math.log(math.exp(s * target) + math.exp(s * other)) - s * target

    # theta = 0: cos(m) ; theta = pi/2 <= pi - m: cos(pi/2 + m) = -sin m ; theta = pi > pi - m: -1 - m sin m
    want = [ce(math.cos(m), 0.0), ce(-math.sin(m), 1.0), ce(-1.0 - m * math.sin(m), 0.0)]
    got = _run(backend, la.arcface, z, w, y, margin=m, scale=s, reduction="none")
    np.testing.assert_allclose(got[:3], want, rtol=1e-12)
    assert np.isnan(got[3])
    # cosface: cos - m on the true class
    want = [ce(1.0 - m, 0.0), ce(0.0 - m, 1.0), ce(-1.0 - m, 0.0)]
    got = _run(backend, la.cosface, z, w, y, margin=m, scale=s, reduction="none")
    np.testing.assert_allclose(got[:3], want, rtol=1e-12)
    assert np.isnan(got[3])
    got = _run(backend, la.cosface, z[:3], w, y[:3], margin=m, scale=s)
    assert float(got) == pytest.approx(sum(want) / 3, rel=1e-12)


# -- PML: values and gradients (torch autograd, float64) -----------------------------------------------


def _inputs(name, options, seed):
    return oracles.CASES[name].make_inputs(np.random.default_rng(seed), (9,), options)


def _pml_distance(distance, normalize):
    from pytorch_metric_learning import distances

    if distance == "cosine":
        return distances.CosineSimilarity()
    return distances.LpDistance(normalize_embeddings=normalize, p=2, power=2 if distance == "squared" else 1)


def _compare(torch, theirs_fn, ours_fn, z, *extra):
    """Value and gradient w.r.t. every floating tensor, PML vs lossapi."""
    a = [torch.tensor(v, requires_grad=True) for v in (z, *extra)]
    b = [torch.tensor(v, requires_grad=True) for v in (z, *extra)]
    theirs, ga = theirs_fn(*a)
    ours = ours_fn(*b)
    torch.testing.assert_close(ours, theirs, rtol=1e-9, atol=1e-12)
    theirs.backward()
    ours.backward()
    for x, t in zip(b, ga):
        assert torch.all(torch.isfinite(x.grad))
        torch.testing.assert_close(x.grad, t(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"margin": 0.3, "mining": "hard"},
        {"margin": 0.3, "mining": "semihard"},
        {"margin": 0.5, "distance": "squared"},
        {"margin": 0.2, "distance": "cosine", "mining": "hard"},
        {"margin": 1.0, "normalize": False, "mining": "semihard"},
    ],
)
def test_batch_triplet_is_pml(torch, options):
    pml = pytest.importorskip("pytorch_metric_learning.losses")
    from pytorch_metric_learning import miners

    x = _inputs("batch_triplet", options, 1)
    y = torch.tensor(x["labels"])
    m = options.get("margin", 0.05)
    dist = _pml_distance(options.get("distance", "euclidean"), options.get("normalize", True))

    def theirs(z):
        mining = options.get("mining", "all")
        loss = pml.TripletMarginLoss(margin=m, distance=dist)
        if mining == "hard":
            return loss(z, y, miners.BatchHardMiner(distance=dist)(z, y)), [lambda: z.grad]
        if mining == "semihard":
            miner = miners.TripletMarginMiner(margin=m, type_of_triplets="semihard", distance=dist)
            return loss(z, y, miner(z, y)), [lambda: z.grad]
        return loss(z, y), [lambda: z.grad]

    _compare(torch, theirs, lambda z: la.batch_triplet(z, y, **options), x["embeddings"])


@pytest.mark.parametrize(
    "options",
    [{}, {"pos_margin": 0.2, "neg_margin": 1.2}, {"distance": "squared", "neg_margin": 1.8}, {"distance": "cosine"}],
)
def test_batch_contrastive_is_pml(torch, options):
    pml = pytest.importorskip("pytorch_metric_learning.losses")
    x = _inputs("batch_contrastive", options, 2)
    y = torch.tensor(x["labels"])
    pm, nm = options.get("pos_margin", 0.0), options.get("neg_margin", 1.0)
    if options.get("distance") == "cosine":  # PML's margins are similarities
        pm, nm = 1 - pm, 1 - nm
    dist = _pml_distance(options.get("distance", "euclidean"), True)
    loss = pml.ContrastiveLoss(pos_margin=pm, neg_margin=nm, distance=dist)
    _compare(
        torch,
        lambda z: (loss(z, y), [lambda: z.grad]),
        lambda z: la.batch_contrastive(z, y, **options),
        x["embeddings"],
    )


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("supcon", lambda L: L.SupConLoss(temperature=0.3)),
        ("circle", lambda L: L.CircleLoss(m=0.25, gamma=64.0)),
        ("multi_similarity", lambda L: L.MultiSimilarityLoss(alpha=2.0, beta=20.0, base=0.4)),
    ],
)
def test_pair_similarity_losses_are_pml(torch, name, make):
    pml = pytest.importorskip("pytorch_metric_learning.losses")
    options = {
        "supcon": {"temperature": 0.3},
        "circle": {"margin": 0.25, "gamma": 64.0},
        "multi_similarity": {"alpha": 2.0, "beta": 20.0, "base": 0.4},
    }[name]
    x = _inputs(name, options, 3)
    y = torch.tensor(x["labels"])
    loss = make(pml)
    # Circle: PML holds the weights a_p, a_n constant too (detach), so the gradients agree.
    _compare(
        torch,
        lambda z: (loss(z, y), [lambda: z.grad]),
        lambda z: getattr(la, name)(z, y, **options),
        x["embeddings"],
    )


@pytest.mark.parametrize(("arc", "margin", "scale"), [(True, 0.5, 64.0), (True, 0.2, 10.0), (False, 0.35, 30.0)])
def test_arcface_and_cosface_are_pml(torch, arc, margin, scale):
    pml = pytest.importorskip("pytorch_metric_learning.losses")
    name = "arcface" if arc else "cosface"
    x = _inputs(name, {"margin": margin, "scale": scale}, 4)
    y = torch.tensor(x["labels"])
    C, D = x["class_centers"].shape

    def theirs(z, w):
        if arc:
            loss = pml.ArcFaceLoss(C, D, margin=math.degrees(margin), scale=scale)
        else:
            loss = pml.CosFaceLoss(C, D, margin=margin, scale=scale)
        loss.W = torch.nn.Parameter(torch.tensor(x["class_centers"].T.copy()))
        # the class-centre gradient: W.grad is (D, C), lossapi's (C, D)
        return loss(z, y), [lambda: z.grad, lambda: loss.W.grad.T]

    fn = la.arcface if arc else la.cosface
    _compare(
        torch,
        theirs,
        lambda z, w: fn(z, w, y, margin=margin, scale=scale),
        x["embeddings"],
        x["class_centers"],
    )


def test_supcon_without_negatives_differs_from_pml(torch):
    pml = pytest.importorskip("pytorch_metric_learning.losses")
    z = torch.tensor(_rand((4, 3), 5))
    y = torch.tensor([1, 1, 1, 1])
    # PML returns 0 without any negative pair; lossapi's L_out is each positive's log share
    assert float(pml.SupConLoss()(z, y)) == 0.0
    assert float(la.supcon(z, y)) > 0.0


# -- keras Circle ----------------------------------------------------------------------------------------


def test_circle_is_keras(jax):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip(f"keras runs on {keras.backend.backend()}, not JAX")
    import jax.numpy as jnp

    x = _inputs("circle", {}, 6)
    z, y = x["embeddings"], x["labels"]
    y = np.concatenate([y, [max(y) + 1]])  # a row without positives: 0, out of keras' mean too
    z = np.concatenate([z, _rand((1, z.shape[1]), 7)])
    u = z / np.linalg.norm(z, axis=-1, keepdims=True)  # keras expects unit rows
    for reduction, red in (("none", None), ("sum", "sum"), ("mean", "sum_over_batch_size")):
        k = keras.losses.Circle(gamma=80.0, margin=0.4, reduction=red, dtype="float64")
        theirs = np.asarray(k(y, u))
        ours = np.asarray(la.circle(jnp.asarray(z), jnp.asarray(y), reduction=reduction))
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# -- finite gradients at coincident rows, theta = 0 and pi ----------------------------------------------


def _grads(torch, jax, fn, arrays, n_diff, **kw):
    """Gradients on torch and JAX: finite, and equal to each other."""
    import jax.numpy as jnp

    ts = [torch.tensor(np.asarray(a), requires_grad=i < n_diff) for i, a in enumerate(arrays)]
    fn(*ts, **kw).backward()
    gt = [t.grad.numpy() for t in ts[:n_diff]]
    xs = [jnp.asarray(np.asarray(a)) for a in arrays]
    gj = jax.grad(lambda *d: fn(*d, *xs[n_diff:], **kw), argnums=tuple(range(n_diff)))(*xs[:n_diff])
    for a, b in zip(gt, gj):
        assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-10, atol=1e-12)
    return gt


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("batch_triplet", {"margin": 0.5}),
        ("batch_triplet", {"margin": 0.5, "mining": "hard"}),
        ("batch_triplet", {"margin": 0.5, "distance": "squared", "normalize": False}),
        # (a zero row is at distance 1 from every unit row: neg_margin 1 would sit on the hinge)
        ("batch_contrastive", {"neg_margin": 1.5}),
        ("batch_contrastive", {"distance": "cosine", "neg_margin": 1.5}),
        ("supcon", {}),
        ("circle", {}),
        ("multi_similarity", {}),
    ],
)
def test_gradient_at_coincident_and_zero_rows(torch, jax, name, kw):
    z = np.array([[1.0, 0.5, -0.25], [1.0, 0.5, -0.25], [0.2, -1.0, 0.4], [0.2, -1.0, 0.4], [0.0, 0.0, 0.0]])
    fn = getattr(la, name)
    for y in ([0, 0, 1, 1, 0], [3, 3, 3, 3, 3]):
        _grads(torch, jax, fn, (z, np.array(y)), 1, **kw)


def test_coincident_positive_gradient_is_zero(torch, jax):
    # Two coincident positives, far negatives (no hinge active): the Euclidean distance's cone at
    # d = 0 contributes its minimum-norm subgradient 0, so the contrastive gradient is 0.
    z = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
    (g,) = _grads(torch, jax, la.batch_contrastive, (z, np.array([0, 0, 1])), 1, neg_margin=1.0)
    assert not np.any(g)


@pytest.mark.parametrize("fn", [la.arcface, la.cosface])
def test_margin_softmax_gradient_at_theta_0_and_pi(torch, jax, fn):
    w = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.3, 0.3, 1.0]])
    z = np.array([[2.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.5, -1.0, 0.2]])  # theta = 0, theta = pi, generic
    gz, _ = _grads(torch, jax, fn, (z, w, np.array([0, 0, 1])), 2, margin=0.5, scale=16.0)
    # Every logit depends on the row's direction only: no gradient along the row itself.
    np.testing.assert_allclose(np.sum(gz * z, axis=-1), 0.0, atol=1e-12)


# -- where: padded rows ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAIRWISE)
def test_where_excludes_padded_rows(name):
    z = _rand((7, 3), 8)
    y = np.array([0, 1, 0, 1, 2, 2, 0])
    keep = np.array([True, True, False, True, True, False, True])
    bad = np.where(keep[:, None], z, np.nan)
    y_pad = np.where(keep, y, 0)  # the padded rows would join group 0 if counted
    fn = getattr(la, name)
    for reduction in ("mean", "sum"):
        want = fn(z[keep], y[keep], reduction=reduction)
        np.testing.assert_allclose(fn(bad, y_pad, where=keep, reduction=reduction), want, rtol=1e-12)
    got = fn(bad, y_pad, where=keep, reduction="none")
    np.testing.assert_allclose(got[keep], fn(z[keep], y[keep], reduction="none"), rtol=1e-12)
    assert not np.any(got[~keep])


def test_batch_dimensions_are_independent():
    z = _rand((2, 5, 3), 9)
    y = np.array([[0, 1, 0, 1, 1], [2, 2, 3, 3, 2]])
    w = _rand((4, 3), 10)
    for name in PAIRWISE:
        fn = getattr(la, name)
        got = fn(z, y, reduction="none")
        for i in range(2):
            np.testing.assert_allclose(got[i], fn(z[i], y[i], reduction="none"), rtol=1e-12, err_msg=name)
    got = la.arcface(z, w, y, reduction="none")
    np.testing.assert_allclose(got[1], la.arcface(z[1], w, y[1], reduction="none"), rtol=1e-12)


# -- transforms --------------------------------------------------------------------------------------------


def test_under_jit_and_grad(torch, jax):
    # jit-compiled value and gradient against torch's eager autograd (eager JAX compiles op by op).
    import jax.numpy as jnp

    z, w = _rand((8, 3), 11), _rand((4, 3), 12)
    y = np.array([0, 1, 0, 1, 2, 2, 3, 0])
    for fn, kw in (
        (la.batch_triplet, {"mining": "semihard", "margin": 0.3, "distance": "cosine"}),
        (la.arcface, {"margin": 0.3, "scale": 8.0}),
    ):
        extra = (w,) if fn is la.arcface else ()
        zt = torch.tensor(z, requires_grad=True)
        want = fn(zt, *[torch.tensor(e) for e in extra], torch.tensor(y), **kw)
        want.backward()

        def f(x, fn=fn, kw=kw, extra=extra):
            return fn(x, *[jnp.asarray(e) for e in extra], jnp.asarray(y), **kw)

        value, grad = jax.jit(jax.value_and_grad(f))(jnp.asarray(z))
        np.testing.assert_allclose(float(value), float(want), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(grad), zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_under_torch_compile(torch):
    z = torch.tensor(_rand((8, 3), 13), requires_grad=True)
    y = torch.tensor([0, 1, 0, 1, 2, 2, 3, 0])

    def f(z, y):
        return la.batch_triplet(z, y, mining="hard", margin=0.3)

    compiled = torch.compile(f, fullgraph=True)
    got = compiled(z, y)
    want = f(z, y)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-15)
    (g1,) = torch.autograd.grad(got, z)
    (g2,) = torch.autograd.grad(want, z)
    torch.testing.assert_close(g1, g2, rtol=1e-12, atol=1e-15)
