"""Known answers for the segmentation losses, computed by hand (never by lossapi).

Also: the Tversky alpha/beta convention (and keras 3.15's swap), the sklearn metrics the
surrogates equal at hard predictions (absent classes, degenerate denominators), channels-first
and binary inputs, option errors, ``where`` with NaN samples, finite gradients at the special
points (torch == JAX), gradients with respect to soft targets, and the Lovász losses under
``jax.jit``.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import lossapi as la
from lossapi._conformance.families import segmentation as oracles
from lossapi.losses import segmentation as segmentation_module

# One sample, three pixels, two classes; and a second sample for per-sample / pooled checks.
PA = np.array([[[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]]])
YA = np.array([[0, 0, 1]])
PB = np.array([[[0.5, 0.5], [0.1, 0.9], [0.7, 0.3]]])
YB = np.array([[1, 1, 0]])
P2 = np.concatenate([PA, PB])
Y2 = np.concatenate([YA, YB])


def _run(backend, fn, *arrays, **kw):
    args = [backend.asarray(np.asarray(a)) for a in arrays]
    kw = {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    out = fn(*args, **kw)
    assert backend.is_native(out)
    return backend.to_numpy(out)


# -- Dice, Jaccard ---------------------------------------------------------------------------------


def test_dice_known_answers(backend):
    # sample A, smooth 0. class 0: I = 0.9 + 0.6 = 1.5, P = 1.7, T = 2 -> 1 - 3/3.7 = 0.7/3.7
    #                     class 1: I = 0.8, P = 1.3, T = 1 -> 1 - 1.6/2.3 = 0.7/2.3
    a = (0.7 / 3.7 + 0.7 / 2.3) / 2
    assert float(_run(backend, la.dice, PA, YA, smooth=0.0)) == pytest.approx(a, rel=1e-12)
    # smooth 1: class 0: 1 - 4/4.7 = 0.7/4.7 ; class 1: 1 - 2.6/3.3 = 0.7/3.3
    assert float(_run(backend, la.dice, PA, YA)) == pytest.approx((0.7 / 4.7 + 0.7 / 3.3) / 2, rel=1e-12)
    # class_weight [1, 3]: (1 * 0.7/3.7 + 3 * 0.7/2.3) / 4
    cw = np.array([1.0, 3.0])
    got = _run(backend, la.dice, PA, YA, smooth=0.0, class_weight=cw)
    assert float(got) == pytest.approx((0.7 / 3.7 + 3 * 0.7 / 2.3) / 4, rel=1e-12)


def test_dice_per_sample_and_pooled(backend):
    a = (0.7 / 3.7 + 0.7 / 2.3) / 2
    # sample B: class 0: I = 0.7, P = 1.3, T = 1 -> 0.9/2.3 ; class 1: I = 1.4, P = 1.7, T = 2 -> 0.9/3.7
    b = (0.9 / 2.3 + 0.9 / 3.7) / 2
    np.testing.assert_allclose(_run(backend, la.dice, P2, Y2, smooth=0.0, reduction="none"), [a, b], rtol=1e-12)
    assert float(_run(backend, la.dice, P2, Y2, smooth=0.0)) == pytest.approx((a + b) / 2, rel=1e-12)
    # sample weights [1, 3]: (a + 3 b) / 4
    got = _run(backend, la.dice, P2, Y2, smooth=0.0, sample_weight=np.array([1.0, 3.0]))
    assert float(got) == pytest.approx((a + 3 * b) / 4, rel=1e-12)
    # pooled: class 0: I = 2.2, P = 3.0, T = 3 -> 1 - 4.4/6 ; class 1 the same
    pooled = _run(backend, la.dice, P2, Y2, smooth=0.0, per_sample=False, reduction="none")
    assert pooled.shape == ()
    assert float(pooled) == pytest.approx(1.6 / 6, rel=1e-12)


def test_jaccard_known_answers(backend):
    # class 0: I = 1.5, union = 1.7 + 2 - 1.5 = 2.2 -> 1 - 1.5/2.2 ; class 1: I = 0.8, union = 1.5 -> 1 - 0.8/1.5
    want = ((1 - 1.5 / 2.2) + (1 - 0.8 / 1.5)) / 2
    assert float(_run(backend, la.jaccard, PA, YA, smooth=0.0)) == pytest.approx(want, rel=1e-12)
    # smooth 1: 1 - 2.5/3.2, 1 - 1.8/2.5
    want = ((1 - 2.5 / 3.2) + (1 - 1.8 / 2.5)) / 2
    assert float(_run(backend, la.jaccard, PA, YA)) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    "name", ["dice", "jaccard", "tversky", "focal_tversky", "generalized_dice", "soft_f1", "cohen_kappa", "matthews"]
)
def test_target_encodings_and_channels_first_agree(backend, name):
    fn = getattr(la, name)
    want = _run(backend, fn, P2, Y2, reduction="none")
    onehot = np.eye(2)[Y2]
    np.testing.assert_allclose(_run(backend, fn, P2, onehot, reduction="none"), want, rtol=1e-12)
    np.testing.assert_allclose(_run(backend, fn, P2, onehot.astype(bool), reduction="none"), want, rtol=1e-12)
    np.testing.assert_allclose(_run(backend, fn, P2, Y2.astype(np.int32), reduction="none"), want, rtol=1e-12)
    # channels-first (N, C, H): axis=1
    got = _run(backend, fn, np.moveaxis(P2, -1, 1), Y2, axis=1, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize(
    "target",
    [np.array([[1.0, 0.0, 1.0, 0.0]]), np.array([[1, 0, 1, 0]]), np.array([[True, False, True, False]])],
    ids=["float", "int", "bool"],
)
def test_binary_masks(backend, target):
    p = np.array([[0.9, 0.2, 0.6, 0.1]])
    # I = 1.5, P = 1.8, T = 2 -> 1 - 3/3.8
    assert float(_run(backend, la.dice, p, target, axis=None, smooth=0.0)) == pytest.approx(0.8 / 3.8, rel=1e-12)
    # Jaccard: 1 - 1.5 / (1.8 + 2 - 1.5)
    assert float(_run(backend, la.jaccard, p, target, axis=None, smooth=0.0)) == pytest.approx(1 - 1.5 / 2.3, rel=1e-12)


def test_absent_class_gives_zero_not_nan(backend):
    # class 2 is neither predicted nor a label: 0/0 with smooth = 0 -> loss 0 (classes 0, 1 perfect)
    p = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    y = np.array([[0, 1]])
    for fn in (la.dice, la.jaccard, la.tversky, la.focal_tversky):
        assert float(_run(backend, fn, p, y, smooth=0.0)) == 0.0
    # an empty binary mask with nothing predicted
    z = np.zeros((2, 3))
    np.testing.assert_array_equal(_run(backend, la.dice, z, z, axis=None, smooth=0.0, reduction="none"), [0.0, 0.0])
    # ... and with predictions, smooth 1: 1 - 1 / (0.9 + 1)
    got = _run(backend, la.dice, np.array([[0.2, 0.3, 0.4]]), np.zeros((1, 3)), axis=None)
    assert float(got) == pytest.approx(1 - 1 / 1.9, rel=1e-12)


# -- Tversky ------------------------------------------------------------------------------------------

Y_T = np.array([[1.0, 1.0, 0.0, 0.0]])
P_T = np.array([[1.0, 0.0, 1.0, 1.0]])  # TP = 1, FN = 1, FP = 2


@pytest.mark.parametrize(
    ("alpha", "beta", "want"),
    [
        (1.0, 0.0, 1 - 1 / 3),  # alpha weighs the false positives: 1 - 1 / (1 + 2)
        (0.0, 1.0, 1 - 1 / 2),  # beta the false negatives: 1 - 1 / (1 + 1)
        (0.5, 0.5, 1 - 1 / 2.5),  # Dice: 1 - 2 * 1 / (3 + 2)
        (1.0, 1.0, 1 - 1 / 4),  # Jaccard: 1 - 1 / 4
    ],
)
def test_tversky_alpha_weighs_false_positives(backend, alpha, beta, want):
    got = _run(backend, la.tversky, P_T, Y_T, alpha=alpha, beta=beta, smooth=0.0, axis=None)
    assert float(got) == pytest.approx(want, rel=1e-12)


def test_tversky_special_cases_are_dice_and_jaccard(backend):
    # alpha = beta = 1/2: (I + s) / ((P + T)/2 + s) = (2I + 2s) / (P + T + 2s), Dice with smooth 2s
    for s, kw in ((1.0, {}), (0.0, {}), (0.5, {"per_sample": False})):
        np.testing.assert_allclose(
            _run(backend, la.tversky, P2, Y2, smooth=s, reduction="none", **kw),
            _run(backend, la.dice, P2, Y2, smooth=2 * s, reduction="none", **kw),
            rtol=1e-12,
        )
    for kw in ({}, {"smooth": 0.0}, {"per_sample": False}):
        np.testing.assert_allclose(
            _run(backend, la.tversky, P2, Y2, alpha=1.0, beta=1.0, reduction="none", **kw),
            _run(backend, la.jaccard, P2, Y2, reduction="none", **kw),
            rtol=1e-12,
        )


def test_keras_tversky_convention():
    """keras 3.15 applies alpha to the false negatives; lossapi follows the paper (alpha: FP)."""
    keras = pytest.importorskip("keras")
    k = float(np.asarray(keras.losses.tversky(Y_T[0], P_T[0], alpha=1.0, beta=0.0)))
    ours = float(la.tversky(P_T, Y_T, alpha=1.0, beta=0.0, smooth=0.0, axis=None))
    assert ours == pytest.approx(2 / 3, rel=1e-12)
    if abs(k - 0.5) < 1e-6:  # keras 3.15: swapped
        swapped = float(la.tversky(P_T, Y_T, alpha=0.0, beta=1.0, smooth=0.0, axis=None))
        assert swapped == pytest.approx(k, rel=1e-6)
    else:  # fixed upstream (keras PR #23333)
        assert k == pytest.approx(ours, rel=1e-6)


# -- focal Tversky, generalized Dice ----------------------------------------------------------------


def test_focal_tversky_power_per_class(backend):
    # Dice losses of sample A: 0.7/3.7 and 0.7/2.3; gamma 0.5 is applied to each before the mean
    want = (math.sqrt(0.7 / 3.7) + math.sqrt(0.7 / 2.3)) / 2
    assert float(_run(backend, la.focal_tversky, PA, YA, gamma=0.5, smooth=0.0)) == pytest.approx(want, rel=1e-12)
    # gamma = 1 is the Tversky loss
    np.testing.assert_allclose(
        _run(backend, la.focal_tversky, P2, Y2, gamma=1.0, alpha=0.3, beta=0.7, reduction="none"),
        _run(backend, la.tversky, P2, Y2, alpha=0.3, beta=0.7, reduction="none"),
        rtol=1e-12,
    )


def test_generalized_dice_known_answers(backend):
    p = np.array([[[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]])
    y = np.array([[0, 0, 1]])
    # T = (2, 1) -> w = (1/4, 1); I = (1.5, 1), P = (1.5, 1.5)
    # 1 - 2 (0.375 + 1) / (0.25 * 3.5 + 2.5)
    assert float(_run(backend, la.generalized_dice, p, y, smooth=0.0)) == pytest.approx(1 - 2.75 / 3.375, rel=1e-12)


def test_generalized_dice_absent_class_takes_the_largest_weight(backend):
    p = np.array([[[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]]])
    y = np.array([[0, 1]])
    # T = (1, 1, 0): w = (1, 1) and the absent class takes max = 1
    # I = (0.5, 0.6, 0), P = (0.6, 0.9, 0.5): 1 - 2 * 1.1 / (1.6 + 1.9 + 0.5) = 0.45
    # (a weight of 0 would ignore the predicted 0.5: 1 - 2.2 / 3.5)
    assert float(_run(backend, la.generalized_dice, p, y, smooth=0.0)) == pytest.approx(0.45, rel=1e-12)
    # empty binary mask: every weight 0 (MONAI's rule) -> 1 - s / s = 0, whatever is predicted
    # (no longer 1 - s / (P + s), whose gradient was 1 / s = 1e5 per pixel)
    got = _run(backend, la.generalized_dice, np.array([[0.2, 0.3]]), np.zeros((1, 2)), axis=None)
    assert float(got) == 0.0
    got = _run(backend, la.generalized_dice, np.array([[0.2, 0.3]]), np.zeros((1, 2)), axis=None, smooth_dr=2e-5)
    assert float(got) == pytest.approx(0.5, rel=1e-12)


def test_generalized_dice_of_an_empty_target_has_zero_gradient():
    torch = pytest.importorskip("torch")
    p = torch.tensor([[0.2, 0.3, 0.9], [0.6, 0.1, 0.4]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 1.0]], dtype=torch.float64)
    loss = la.generalized_dice(p, y, axis=None, reduction="none")
    assert float(loss[0]) == 0.0
    (g,) = torch.autograd.grad(loss[0], p, retain_graph=True)
    assert torch.all(g == 0)
    (g,) = torch.autograd.grad(loss.sum(), p)  # the other sample still has a gradient
    assert torch.all(torch.isfinite(g)) and torch.any(g[1] != 0)


# -- Lovász ----------------------------------------------------------------------------------------


P_LOV = np.array([[[0.9, 0.05, 0.05], [0.4, 0.5, 0.1]]])
Y_LOV = np.array([[0, 1]])


def test_lovasz_softmax_known_answers(backend):
    # class 0: errors px1 0.4 (background), px0 0.1 (foreground); |G| = 1:
    #   k=1: I = 1, U = 2 -> Delta = 1/2 ; k=2: I = 0, U = 2 -> 1 ; gradient (1/2, 1/2) -> 0.25
    # class 1: px1 0.5 (fg), px0 0.05 (bg): Delta = 1, 1 -> gradient (1, 0) -> 0.5
    # class 2 (absent): px1 0.1, px0 0.05, |G| = 0: Delta = 1, 1 -> 0.1
    assert float(_run(backend, la.lovasz_softmax, P_LOV, Y_LOV)) == pytest.approx(0.375, rel=1e-12)
    assert float(_run(backend, la.lovasz_softmax, P_LOV, Y_LOV, classes="all")) == pytest.approx(0.85 / 3, rel=1e-12)
    # an ignored third pixel changes nothing
    p3 = np.concatenate([P_LOV, np.array([[[0.2, 0.2, 0.6]]])], axis=1)
    y3 = np.array([[0, 1, 255]])
    assert float(_run(backend, la.lovasz_softmax, p3, y3, ignore_index=255)) == pytest.approx(0.375, rel=1e-12)
    # channels-first gives the same
    got = _run(backend, la.lovasz_softmax, np.moveaxis(P_LOV, -1, 1), Y_LOV, axis=1)
    assert float(got) == pytest.approx(0.375, rel=1e-12)


def test_lovasz_softmax_per_image(backend):
    p = np.concatenate([P_LOV, np.array([[[0.9, 0.1, 0.0], [0.4, 0.6, 0.0]]])])
    y = np.concatenate([Y_LOV, np.array([[0, 1]])])
    # image 2 is the docstring example: class 0 -> 0.25, class 1 -> 0.4 -> 0.325
    got = _run(backend, la.lovasz_softmax, p, y, per_sample=True, reduction="none")
    np.testing.assert_allclose(got, [0.375, 0.325], rtol=1e-12)
    # every pixel ignored: 0 (not NaN)
    got = _run(backend, la.lovasz_softmax, p, np.full((2, 2), 255), ignore_index=255, per_sample=True, reduction="none")
    np.testing.assert_array_equal(got, [0.0, 0.0])


def test_lovasz_hinge_known_answers(backend):
    # errors 1 - x (2y - 1) = (-1, 0, 1.5); sorted 1.5 (bg), 0 (bg), -1 (fg), |G| = 1:
    # Delta = 1/2, 2/3, 1 -> gradient (1/2, 1/6, 1/3); relu(errors) . gradient = 0.75
    x = np.array([[2.0, -1.0, 0.5]])
    y = np.array([[1, 0, 0]])
    assert float(_run(backend, la.lovasz_hinge, x, y)) == pytest.approx(0.75, rel=1e-12)
    # no foreground: the Jaccard loss is 1 from the first error on -> max relu error = 1 + 2 = 3
    empty = _run(backend, la.lovasz_hinge, np.array([[2.0, -1.2]]), np.array([[0, 0]]))
    assert float(empty) == pytest.approx(3.0, rel=1e-12)
    # all pixels ignored: 0
    got = _run(backend, la.lovasz_hinge, x, np.array([[255, 255, 255]]), ignore_index=255)
    assert float(got) == 0.0
    # bool and float labels read as 0/1
    assert float(_run(backend, la.lovasz_hinge, x, y.astype(bool))) == pytest.approx(0.75, rel=1e-12)


def test_lovasz_hinge_second_image_by_hand(backend):
    # x = [0.5, 3.0, -0.2], y = [0, 1, 1]: errors 1 + 0.5 = 1.5 (bg), 1 - 3 = -2 (fg), 1 + 0.2 = 1.2 (fg)
    # sorted 1.5 (bg), 1.2 (fg), -2 (fg); |G| = 2: Delta = 1 - 2/3, 1 - 1/3, 1 -> (1/3, 1/3, 1/3)
    # loss = 1.5/3 + 1.2/3 = 0.9
    got = _run(backend, la.lovasz_hinge, np.array([[0.5, 3.0, -0.2]]), np.array([[0, 1, 1]]))
    assert float(got) == pytest.approx(0.9, rel=1e-12)
    # pooled with the first example: errors (-1 fg, 0 bg, 1.5 bg | 1.5 bg, -2 fg, 1.2 fg), |G| = 3, sorted
    # 1.5 (bg), 1.5 (bg), 1.2 (fg), 0 (bg), ...: I/U after k = 3/4, 3/5, 2/5, 2/6 -> Delta = 1/4, 2/5, 3/5, 2/3
    # loss = 1.5 * 1/4 + 1.5 * (2/5 - 1/4) + 1.2 * (3/5 - 2/5) + 0 = 0.84
    x = np.array([[2.0, -1.0, 0.5], [0.5, 3.0, -0.2]])
    y = np.array([[1, 0, 0], [0, 1, 1]])
    want = 1.5 * 0.25 + 1.5 * (0.4 - 0.25) + 1.2 * (0.6 - 0.4)
    assert float(_run(backend, la.lovasz_hinge, x, y, per_sample=False)) == pytest.approx(want, rel=1e-12)


def _smp_losses():
    """smp's losses without its package ``__init__`` (which needs timm); skip when absent."""
    from lossapi._conformance.counterparts import library_available, smp_losses

    ok, why = library_available("smp")
    if not ok:
        pytest.skip(why)
    return smp_losses()


@pytest.mark.parametrize(("per_sample", "ignore_index"), [(False, None), (True, None), (False, 255)])
def test_lovasz_softmax_is_smp_value_and_gradient(per_sample, ignore_index):
    """smp's LovaszLoss("multiclass") applies the softmax itself; it runs in float32 only."""
    losses = _smp_losses()
    import torch

    rng = np.random.default_rng(31)
    z = rng.normal(0.0, 1.5, (2, 3, 4, 5))
    y = rng.integers(0, 3, (2, 4, 5))
    if ignore_index is not None:
        y[0, 0, :2] = ignore_index
    z1 = torch.tensor(z, dtype=torch.float32, requires_grad=True)
    z2 = z1.detach().clone().requires_grad_(True)
    yt = torch.as_tensor(y)
    kw = {"per_sample": per_sample, "ignore_index": ignore_index}
    ours = la.lovasz_softmax(torch.softmax(z1, dim=1), yt, axis=1, **kw)
    theirs = losses.LovaszLoss("multiclass", per_image=per_sample, ignore_index=ignore_index)(z2, yt)
    np.testing.assert_allclose(float(ours.detach()), float(theirs.detach()), rtol=1e-5)
    (g1,) = torch.autograd.grad(ours, z1)
    (g2,) = torch.autograd.grad(theirs, z2)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(("per_sample", "ignore_index"), [(True, None), (False, None), (True, 255)])
def test_lovasz_hinge_is_smp_value_and_gradient(per_sample, ignore_index):
    """smp's LovaszLoss("binary", per_image=) is lossapi's "mean" over images (float32)."""
    losses = _smp_losses()
    import torch

    rng = np.random.default_rng(32)
    x = rng.normal(0.0, 1.5, (3, 4, 5))
    y = rng.integers(0, 2, (3, 4, 5))
    if ignore_index is not None:
        y[1, :2, :] = ignore_index
    x1 = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_(True)
    yt = torch.as_tensor(y)
    ours = la.lovasz_hinge(x1, yt, per_sample=per_sample, ignore_index=ignore_index)
    theirs = losses.LovaszLoss("binary", per_image=per_sample, ignore_index=ignore_index)(x2, yt)
    np.testing.assert_allclose(float(ours.detach()), float(theirs.detach()), rtol=1e-5)
    (g1,) = torch.autograd.grad(ours, x1)
    (g2,) = torch.autograd.grad(theirs, x2)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-4, atol=1e-6)


def test_matthews_is_smp_mcc_value_and_gradient():
    """smp's MCCLoss (binary, pooled) with eps=0 is lossapi's binary matthews."""
    losses = _smp_losses()
    import torch

    rng = np.random.default_rng(33)
    p1 = torch.tensor(rng.uniform(0.05, 0.95, (3, 2, 6)), requires_grad=True)
    p2 = p1.detach().clone().requires_grad_(True)
    t = torch.tensor(rng.integers(0, 2, (3, 2, 6)), dtype=torch.float64)
    ours = la.matthews(p1, t, axis=None)
    theirs = losses.MCCLoss(eps=0.0)(p2, t)
    np.testing.assert_allclose(float(ours.detach()), float(theirs.detach()), rtol=1e-12)
    (g1,) = torch.autograd.grad(ours, p1)
    (g2,) = torch.autograd.grad(theirs, p2)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-9, atol=1e-14)


# -- metric surrogates: sklearn at hard predictions ----------------------------------------------


def _hard(y_pred, C):
    return np.eye(C)[np.asarray(y_pred)]


def test_soft_f1_equals_sklearn_macro_f1_with_absent_classes():
    sk = pytest.importorskip("sklearn.metrics")
    y_true, y_pred = np.array([0, 1, 1, 0, 1]), np.array([0, 1, 0, 0, 0])
    # classes 2 and 3 are absent from both: left out of the macro mean, as in sklearn
    got = float(la.soft_f1(_hard(y_pred, 4), y_true))
    assert got == pytest.approx(1 - sk.f1_score(y_true, y_pred, average="macro"), abs=1e-15)
    # F1(0) = 2*2 / (4 + 2 + 0) = 2/3, F1(1) = 2*1 / (2 + 0 + 2) = 1/2
    assert got == pytest.approx(1 - (2 / 3 + 1 / 2) / 2, abs=1e-15)
    # binary masks: positive class only; nothing anywhere -> 0 (sklearn zero_division=1.0)
    p, t = np.array([[1.0, 0.0, 1.0, 1.0]]), np.array([[1.0, 1.0, 0.0, 0.0]])
    assert float(la.soft_f1(p, t, axis=None)) == pytest.approx(1 - sk.f1_score(t[0], p[0]), abs=1e-15)
    assert float(la.soft_f1(np.zeros((1, 3)), np.zeros((1, 3)), axis=None)) == 0.0


@pytest.mark.parametrize("weights", ["quadratic", "linear", None])
def test_cohen_kappa_equals_sklearn(weights):
    sk = pytest.importorskip("sklearn.metrics")
    y_true, y_pred = np.array([0, 2, 2, 3, 1, 0, 3]), np.array([0, 2, 3, 3, 0, 0, 1])
    want = 1 - sk.cohen_kappa_score(y_true, y_pred, weights=weights, labels=list(range(4)))
    assert float(la.cohen_kappa(_hard(y_pred, 4), y_true, weights=weights)) == pytest.approx(want, abs=1e-14)


def test_cohen_kappa_weights_use_class_indices():
    sk = pytest.importorskip("sklearn.metrics")
    # class 1 is absent from both: sklearn without labels= renumbers {0, 2, 3} as {0, 1, 2}
    y_true, y_pred = np.array([0, 2, 2, 3]), np.array([0, 2, 3, 3])
    ours = float(la.cohen_kappa(_hard(y_pred, 4), y_true))
    assert ours == pytest.approx(
        1 - sk.cohen_kappa_score(y_true, y_pred, weights="quadratic", labels=[0, 1, 2, 3]), abs=1e-14
    )
    assert ours != pytest.approx(1 - sk.cohen_kappa_score(y_true, y_pred, weights="quadratic"), abs=1e-6)


def test_cohen_kappa_known_answers_and_degenerate(backend):
    # O = [[1, 1], [1, 1]] = E: kappa 0, loss 1
    p = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert float(_run(backend, la.cohen_kappa, p, np.array([0, 1, 0, 1]))) == pytest.approx(1.0, rel=1e-12)
    # perfect agreement: 0
    assert float(_run(backend, la.cohen_kappa, p, np.array([0, 1, 1, 0]))) == 0.0
    # a single class everywhere: expected disagreement 0 -> kappa 1 by definition, loss 0 (no NaN)
    one = np.array([[1.0, 0.0, 0.0]] * 3)
    assert float(_run(backend, la.cohen_kappa, one, np.array([0, 0, 0]))) == 0.0


def test_matthews_equals_sklearn_and_degenerate_is_one():
    sk = pytest.importorskip("sklearn.metrics")
    y_true, y_pred = np.array([0, 2, 2, 1, 1, 0, 2]), np.array([0, 2, 1, 1, 0, 0, 2])
    want = 1 - sk.matthews_corrcoef(y_true, y_pred)
    assert float(la.matthews(_hard(y_pred, 4), y_true)) == pytest.approx(want, abs=1e-14)
    # one predicted class: sklearn's MCC is 0 -> loss 1
    y_const = np.zeros(7, dtype=np.int64)
    assert sk.matthews_corrcoef(y_true, y_const) == 0.0
    assert float(la.matthews(_hard(y_const, 3), y_true)) == 1.0
    # binary: the usual MCC (TP 1, FP 1, TN 2, FN 0): 2 / sqrt(12)
    p, t = np.array([[1.0, 1.0, 0.0, 0.0]]), np.array([[1.0, 0.0, 0.0, 0.0]])
    assert float(la.matthews(p, t, axis=None)) == pytest.approx(1 - 2 / math.sqrt(12), rel=1e-12)
    assert float(la.matthews(p, t, axis=None)) == pytest.approx(1 - sk.matthews_corrcoef(t[0], p[0]), rel=1e-12)


# -- gradients at the special points: finite, and equal on torch and JAX ----------------------------


def _grads(torch, jax, fn, x, *rest, **kw):
    import jax.numpy as jnp

    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    fn(xt, *[torch.tensor(np.asarray(a)) for a in rest], **kw).backward()
    gj = jax.grad(lambda v: fn(v, *[jnp.asarray(np.asarray(a)) for a in rest], **kw))(
        jnp.asarray(np.asarray(x, dtype=np.float64))
    )
    return xt.grad.numpy(), np.asarray(gj)


ONE_HOT = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
SPECIAL = [
    # absent class with smooth = 0 (0/0): gradient of that class 0
    ("dice", ONE_HOT, (np.array([[0, 1]]),), {"smooth": 0.0}),
    ("jaccard", ONE_HOT, (np.array([[0, 1]]),), {"smooth": 0.0}),
    ("tversky", ONE_HOT, (np.array([[0, 1]]),), {"smooth": 0.0, "alpha": 1.0, "beta": 0.0}),
    # focal Tversky at a perfect prediction: x ** 0.75 at 0 -> gradient 0 (not inf / NaN)
    ("focal_tversky", ONE_HOT, (np.array([[0, 1]]),), {}),
    ("focal_tversky", np.array([[1.0, 0.0, 1.0]]), (np.array([[1.0, 0.0, 1.0]]),), {"axis": None, "gamma": 0.5}),
    ("generalized_dice", np.zeros((1, 3)), (np.zeros((1, 3)),), {"axis": None, "smooth": 0.0}),
    ("soft_f1", ONE_HOT[0], (np.array([0, 1]),), {}),
    ("cohen_kappa", np.array([[1.0, 0.0, 0.0]] * 3), (np.array([0, 0, 0]),), {}),
    ("matthews", np.array([[1.0, 0.0, 0.0]] * 3), (np.array([0, 1, 2]),), {}),
    ("lovasz_softmax", np.array([[[0.7, 0.3], [0.2, 0.8]]]), (np.array([[255, 255]]),), {"ignore_index": 255}),
    ("lovasz_hinge", np.array([[1.0, -1.7, 0.4]]), (np.array([[1, 0, 1]]),), {}),
]


@pytest.mark.parametrize(("name", "x", "rest", "kw"), SPECIAL, ids=[f"{s[0]}-{i}" for i, s in enumerate(SPECIAL)])
def test_special_point_gradients_are_finite_and_agree(torch, jax, name, x, rest, kw):
    gt, gj = _grads(torch, jax, getattr(la, name), x, *rest, **kw)
    assert np.all(np.isfinite(gt)) and np.all(np.isfinite(gj))
    np.testing.assert_allclose(gt, gj, rtol=0, atol=1e-14)


def test_perfect_prediction_focal_tversky_gradient_is_zero(torch, jax):
    gt, gj = _grads(torch, jax, la.focal_tversky, ONE_HOT, np.array([[0, 1]]))
    np.testing.assert_array_equal(gt, 0.0)
    np.testing.assert_array_equal(gj, 0.0)


def test_lovasz_hinge_gradient_by_hand(torch, jax):
    # the known-answer example: only the error 1.5 (pixel 2, label 0: e = 1 + x) is positive,
    # with Lovász gradient 1/2: d/dx2 = 1/2; pixel 1 sits at the relu kink (0), pixel 0 below
    gt, gj = _grads(torch, jax, la.lovasz_hinge, np.array([[2.0, -1.0, 0.5]]), np.array([[1, 0, 0]]))
    np.testing.assert_allclose(gt, [[0.0, 0.0, 0.5]], atol=1e-15)
    np.testing.assert_allclose(gj, [[0.0, 0.0, 0.5]], atol=1e-15)


@pytest.mark.parametrize("name", ["dice", "jaccard", "tversky", "focal_tversky", "soft_f1", "matthews", "cohen_kappa"])
def test_gradient_wrt_soft_target(torch, jax, name):
    """Soft targets are differentiable (the conformance suite differentiates the predictions)."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2, 4, 3))
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    z = rng.normal(size=(2, 4, 3))
    t = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    fn = getattr(la, name)
    gt, gj = _grads(torch, jax, lambda tt, pp: fn(pp, tt), t, p)
    oracle = getattr(oracles, name)
    fd = np.empty_like(t)
    h = 1e-6
    for idx in np.ndindex(t.shape):
        tp, tm = t.copy(), t.copy()
        tp[idx] += h
        tm[idx] -= h
        fd[idx] = (np.mean(oracle(p, tp)) - np.mean(oracle(p, tm))) / (2 * h)
    np.testing.assert_allclose(gt, gj, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(gt, fd, rtol=1e-5, atol=1e-8)


# -- where, jit, errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dice", "generalized_dice", "lovasz_softmax", "matthews"])
def test_where_excludes_nan_samples(torch, jax, name):
    fn = getattr(la, name)
    bad = P2.copy()
    bad[1] = np.nan
    labels = Y2.copy()
    labels[1] = 10**6
    where = np.array([True, False])
    kw = {"per_sample": True}
    want = float(fn(PA, YA, **kw))
    import jax.numpy as jnp

    pt = torch.tensor(bad, requires_grad=True)
    out = fn(pt, torch.tensor(labels), where=torch.tensor(where), **kw)
    out.backward()
    assert float(out.detach()) == pytest.approx(want, rel=1e-12)
    assert np.all(np.isfinite(pt.grad.numpy())) and np.all(pt.grad.numpy()[1] == 0)
    gj = jax.grad(lambda v: fn(v, jnp.asarray(labels), where=jnp.asarray(where), **kw))(jnp.asarray(bad))
    np.testing.assert_allclose(np.asarray(gj), pt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_lovasz_under_jit(jax):
    import jax.numpy as jnp

    p = jnp.asarray(np.concatenate([P_LOV, np.array([[[0.2, 0.2, 0.6]]])], axis=1))
    y = jnp.asarray(np.array([[0, 1, 255]], dtype=np.int32))
    f = jax.jit(lambda a, b: la.lovasz_softmax(a, b, ignore_index=255))
    assert float(f(p, y)) == pytest.approx(0.375, rel=1e-12)
    g = jax.jit(jax.grad(lambda a, b: la.lovasz_softmax(a, b, ignore_index=255)))(p, y)
    assert np.all(np.isfinite(np.asarray(g))) and np.all(np.asarray(g)[0, 2] == 0)
    h = jax.jit(lambda a, b: la.lovasz_hinge(a, b, reduction="none"))
    np.testing.assert_allclose(np.asarray(h(jnp.asarray([[2.0, -1.0, 0.5]]), jnp.asarray([[1, 0, 0]]))), [0.75])


def test_half_precision_in_half_out(torch):
    p = torch.tensor(P2, dtype=torch.float16)
    for name in ("dice", "lovasz_softmax", "cohen_kappa", "matthews"):
        out = getattr(la, name)(p, torch.tensor(Y2))
        assert out.dtype == torch.float16
        assert float(out) == pytest.approx(float(getattr(la, name)(torch.tensor(P2), torch.tensor(Y2))), abs=2e-3)


def test_bad_options_and_inputs():
    p, y = P2, Y2
    bad = [
        (lambda: la.dice(p, y, smooth=-1.0), la.InvalidOptionError, "smooth"),
        (lambda: la.dice(p, y, per_sample=1), la.InvalidOptionError, "per_sample"),
        (lambda: la.dice(p, y, class_weight=np.ones(3)), la.ShapeMismatchError, "class_weight"),
        (lambda: la.dice(p, y, axis=0), la.ShapeMismatchError, "batch axis"),
        (lambda: la.dice(p, y, where=np.ones(3, dtype=bool)), la.ShapeMismatchError, "where"),
        (lambda: la.dice(p, y, per_sample=False, where=np.ones(2, dtype=bool)), la.ShapeMismatchError, "pooled"),
        (lambda: la.dice(p.astype(np.int64), y), la.InvalidDTypeError, "probs"),
        (lambda: la.dice(p[..., 0], y[:, :2], axis=None), la.ShapeMismatchError, "target"),
        (lambda: la.dice(np.asarray(0.5), np.asarray(1.0), axis=None), la.ShapeMismatchError, "batch"),
        (lambda: la.tversky(p, y, alpha=-0.5), la.InvalidOptionError, "alpha"),
        (lambda: la.tversky(p, y, beta=-0.5), la.InvalidOptionError, "beta"),
        (lambda: la.focal_tversky(p, y, gamma=0.0), la.InvalidOptionError, "gamma"),
        (lambda: la.cohen_kappa(p, y, weights="cubic"), la.InvalidOptionError, "weights"),
        (lambda: la.lovasz_softmax(p, y, classes="some"), la.InvalidOptionError, "classes"),
        (lambda: la.lovasz_softmax(p[..., 0], y, axis=None), la.InvalidOptionError, "lovasz_hinge"),
        (lambda: la.lovasz_softmax(p, np.eye(2)[y]), la.InvalidDTypeError, "labels"),
        (lambda: la.lovasz_hinge(p[..., 0], y, ignore_index=1.5), la.InvalidOptionError, "ignore_index"),
        (lambda: la.dice(p, y, reduction="avg"), la.InvalidOptionError, "reduction"),
    ]
    for call, err, word in bad:
        with pytest.raises(err) as info:
            call()
        assert "lossapi." in str(info.value) and word in str(info.value), str(info.value)


def test_docstring_examples():
    result = doctest.testmod(segmentation_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0


#: (compound loss, its pixel term's loss, options, reduction, whether the term's fast path runs)
_PIXEL_TERMS = [
    *(
        ("dice_focal", "sigmoid_focal", {"activation": "sigmoid", "gamma": 1.5}, r, True)
        for r in ("mean", "sum", "none")
    ),
    ("dice_cross_entropy", "cross_entropy", {"ignore_index": None}, "none", True),
    # ignore_index weighs the term's pixels, which a fast path's "none" values do not carry
    ("dice_cross_entropy", "cross_entropy", {"ignore_index": 2}, "none", False),
]


@pytest.mark.parametrize(("name", "term", "options", "reduction", "fast"), _PIXEL_TERMS)
def test_compound_pixel_terms_take_their_fast_paths_torch(monkeypatch, name, term, options, reduction, fast):
    # the pixel term runs through its loss's fast path where it applies, with the generic answer
    torch = pytest.importorskip("torch")
    from lossapi import _native

    calls = []
    path = _native._FAST[(term, "torch")]
    monkeypatch.setitem(_native._FAST, (term, "torch"), lambda *a, **k: calls.append(1) or path(*a, **k))
    rng = np.random.default_rng(3)
    z = torch.tensor(rng.normal(size=(2, 3, 4, 5)) * 4)
    y = torch.tensor(rng.integers(0, 3, size=(2, 4, 5)))
    got = []
    for native in (True, False):
        zz = z.clone().requires_grad_(True)
        with la.native(native):
            out = getattr(la, name)(zz, y, axis=1, reduction=reduction, **options)
        (g,) = torch.autograd.grad(out.sum(), zz)
        got.append((out.detach(), g))
    assert bool(calls) == fast
    (v1, g1), (v0, g0) = got
    torch.testing.assert_close(v1, v0, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(g1, g0, rtol=1e-10, atol=1e-15)
