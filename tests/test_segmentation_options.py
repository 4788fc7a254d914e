"""The options of the overlap losses (dice, jaccard, tversky, focal_tversky, generalized_dice).

``activation``, ``include_background``, ``ignore_index``, ``mask``, ``smooth_dr``,
``squared_pred`` (dice, jaccard), ``per_class`` and ``weight_type`` (generalized_dice), pinned
three ways:

- an independent float64 NumPy oracle written from the formulas (never lossapi), option by
  option and in combinations, per sample and pooled, channels-last and channels-first, label
  and one-hot targets; edge cases (absent classes, fully masked images, out-of-range ignored
  labels) with torch gradients;
- the MONAI and segmentation_models_pytorch (smp) losses the options mirror, values and
  gradients with respect to the logits in float64 (torch autograd through both);
- ``jax.jit`` with the options closed over equals NumPy.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

import numpy as np
import pytest

import lossapi as la

# -- inputs ----------------------------------------------------------------------------------------

N, H, W, C = 2, 3, 4, 4
_rng = np.random.default_rng(20261207)
LOGITS = 1.5 * _rng.normal(size=(N, H, W, C))  # channels-last; np.moveaxis(..., -1, 1) for axis=1
BIN_LOGITS = 1.5 * _rng.normal(size=(N, H, W))
LABELS = _rng.integers(0, C, size=(N, H, W))
LABELS[:, 0, :] = np.arange(C)  # row 0: every class in every sample (smp drops classes absent from the target)
BIN_LABELS = (LABELS % 2).astype(np.int64)  # binary masks, foreground in every sample
IGNORED = np.zeros((N, H, W), dtype=bool)
IGNORED[:, 2, 1:3] = True  # the pixels that get the ignore label (never row 0)
IGNORED[1, 1, 0] = True
MASK = _rng.random((N, H, W)) > 0.3  # the input's shape without the class axis
CW = np.array([0.5, 2.0, 1.0, 3.0])


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


PROBS = _softmax(LOGITS)
ONEHOT = np.eye(C)[LABELS]


def _labels(ignore_index=None, base=LABELS):
    """``base`` with the IGNORED pixels set to ``ignore_index`` (out of [0, C) or not)."""
    out = base.copy()
    if ignore_index is not None:
        out[IGNORED] = ignore_index
    return out


# -- the oracle ------------------------------------------------------------------------------------


def _ratio_loss(num, den, smooth, smooth_dr):
    """``1 - (num + s) / (den + s_dr)``, and 0 for 0/0 (an empty class without smoothing)."""
    d = den + smooth_dr
    ok = d != 0
    return np.where(ok, 1.0 - (num + smooth) / np.where(ok, d, 1.0), 0.0)


def oracle(
    name,
    x,
    target,
    *,
    axis=-1,
    activation=None,
    include_background=True,
    ignore_index=None,
    mask=None,
    smooth=None,
    smooth_dr=None,
    squared_pred=False,
    per_sample=True,
    per_class=False,
    class_weight=None,
    alpha=0.5,
    beta=0.5,
    gamma=0.75,
    weight_type="square",
):
    """The ``reduction="none"`` loss from the formulas: (N,) per sample, () pooled; per_class (N, C) / (C,)."""
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(target)
    int_labels = t.dtype.kind in "iu"
    if axis is None:  # binary masks: one class, the positive one; integer targets are its 0/1 labels
        keep = t != ignore_index if (int_labels and ignore_index is not None) else np.ones(t.shape, dtype=bool)
        x, t = x[..., None], np.where(keep, t, 0).astype(np.float64)[..., None]
    else:
        x = np.moveaxis(x, axis, -1)
        if int_labels:  # one-hot by comparison: ignored and out-of-range labels hit no class
            keep = np.ones(t.shape, dtype=bool) if ignore_index is None else t != ignore_index
            t = (t[..., None] == np.arange(x.shape[-1])).astype(np.float64)
        else:
            keep = np.ones(x.shape[:-1], dtype=bool)
            t = np.moveaxis(t.astype(np.float64), axis, -1)
    if mask is not None:
        keep = keep & np.asarray(mask, dtype=bool)
    if activation == "sigmoid":
        p = 1.0 / (1.0 + np.exp(-x))
    elif activation == "softmax":
        p = _softmax(x)  # over every class, the background included
    else:
        p = x
    # ignored and masked pixels leave every sum, in prediction and target alike
    p, t = np.where(keep[..., None], p, 0.0), np.where(keep[..., None], t, 0.0)
    if not include_background:
        p, t = p[..., 1:], t[..., 1:]
    axes = tuple(range(1 if per_sample else 0, p.ndim - 1))
    inter = np.sum(p * t, axis=axes)
    P = np.sum(p**2 if squared_pred else p, axis=axes)
    T = np.sum(t**2 if squared_pred else t, axis=axes)
    s = float((1e-5 if name == "generalized_dice" else 1.0) if smooth is None else smooth)  # the defaults
    sd = s if smooth_dr is None else float(smooth_dr)
    if name == "generalized_dice":
        if weight_type == "uniform":
            w = np.ones_like(T)
        else:
            # an absent class (infinite weight) takes the largest weight of the present ones (MONAI's
            # rule); with no class present every weight is 0 and the loss 1 - s / s_dr
            present = T > 0
            Tp = np.where(present, T, 1.0)
            w = np.where(present, 1.0 / Tp**2 if weight_type == "square" else 1.0 / Tp, 0.0)
            w = np.where(present, w, np.max(w, axis=-1, keepdims=True))
        return _ratio_loss(2.0 * np.sum(w * inter, axis=-1), np.sum(w * (P + T), axis=-1), s, sd)
    if name == "dice":
        num, den = 2.0 * inter, P + T
    elif name == "jaccard":
        num, den = inter, P + T - inter
    else:  # tversky, focal_tversky: alpha on the false positives P - I, beta on the false negatives T - I
        num, den = inter, inter + alpha * (P - inter) + beta * (T - inter)
    loss = _ratio_loss(num, den, s, sd)
    if name == "focal_tversky":
        loss = np.maximum(loss, 0.0) ** gamma
    if per_class:
        return loss
    if class_weight is None:
        return loss.mean(axis=-1)
    w = np.asarray(class_weight, dtype=np.float64)
    return np.sum(loss * w, axis=-1) / np.sum(w)


def _mean(values):
    return float(np.mean(values))


# -- NumPy == oracle, option by option -------------------------------------------------------------

LOSSES = ("dice", "jaccard", "tversky", "focal_tversky", "generalized_dice")
CLASS_MEAN = ("dice", "jaccard", "tversky", "focal_tversky")  # the losses with a class mean
SQUARED = ("dice", "jaccard")

OPTION_SETS = {
    "softmax": {"activation": "softmax"},
    "sigmoid": {"activation": "sigmoid"},
    "no-background": {"include_background": False},
    "ignore-255": {"ignore_index": 255},
    "ignore-negative": {"ignore_index": -1},
    "ignore-a-class": {"ignore_index": 2},  # an in-range label: that class is empty
    "mask": {"mask": MASK},
    "smooth_dr": {"smooth": 0.2, "smooth_dr": 0.7},
    "smooth_dr-only": {"smooth": 0.0, "smooth_dr": 1e-3},
    "squared_pred": {"squared_pred": True},
    "monai-like": {"activation": "softmax", "include_background": False, "ignore_index": 255, "smooth": 1e-5},
    "mask+sigmoid": {"activation": "sigmoid", "mask": MASK, "smooth_dr": 0.5, "smooth": 0.1},
    "mask+ignore": {"include_background": False, "mask": MASK, "ignore_index": -1, "smooth": 0.0, "smooth_dr": 0.1},
    "squared+mask": {"squared_pred": True, "activation": "softmax", "mask": MASK, "ignore_index": 255},
    "class_weight": {"class_weight": CW, "activation": "softmax", "mask": MASK, "smooth_dr": 2.0},
    "weight-simple": {"weight_type": "simple"},
    "weight-uniform": {"weight_type": "uniform", "activation": "softmax"},
    "weight-simple+": {"weight_type": "simple", "activation": "softmax", "include_background": False, "mask": MASK},
}
# (axis, target, per_sample): both class-axis positions, both target encodings, per sample and pooled
LAYOUTS = {
    "last-labels-sample": (-1, "labels", True),
    "first-labels-pooled": (1, "labels", False),
    "last-onehot-pooled": (-1, "onehot", False),
    "first-onehot-sample": (1, "onehot", True),
}


def _applies(name, opts, target):
    if "squared_pred" in opts and name not in SQUARED:
        return False
    if "weight_type" in opts and name != "generalized_dice":
        return False
    if "class_weight" in opts and name not in CLASS_MEAN:
        return False
    return not ("ignore_index" in opts and target != "labels")  # ignore_index reads integer labels


ORACLE_CASES = [
    pytest.param(name, opt, lay, id=f"{name}-{opt}-{lay}")
    for name in LOSSES
    for opt, opts in OPTION_SETS.items()
    for lay, (_, target, _) in LAYOUTS.items()
    if _applies(name, opts, target)
]


def _layout(x, target, axis):
    """Channels-last reference inputs moved to ``axis``."""
    if axis == 1:
        x = np.moveaxis(x, -1, 1)
        target = target if target.dtype.kind in "iu" else np.moveaxis(target, -1, 1)
    return x, target


@pytest.mark.parametrize(("name", "opt", "lay"), ORACLE_CASES)
def test_options_equal_the_oracle(name, opt, lay):
    opts = OPTION_SETS[opt]
    axis, encoding, per_sample = LAYOUTS[lay]
    x = LOGITS if "activation" in opts else PROBS
    target = _labels(opts.get("ignore_index")) if encoding == "labels" else ONEHOT
    x, target = _layout(x, target, axis)
    kw = {"axis": axis, "per_sample": per_sample, **opts}
    got = getattr(la, name)(x, target, reduction="none", **kw)
    want = oracle(name, x, target, **kw)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)
    assert float(getattr(la, name)(x, target, **kw)) == pytest.approx(_mean(want), rel=1e-10)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(
    "opts",
    [
        {"activation": "sigmoid", "smooth": 0.5},
        {"activation": "sigmoid", "mask": MASK, "smooth_dr": 0.25, "per_sample": False},
        {"mask": MASK, "ignore_index": 255, "smooth": 0.0},
    ],
    ids=["sigmoid", "sigmoid-mask-pooled", "mask-ignore"],
)
def test_binary_masks_equal_the_oracle(name, opts):
    # axis=None: one channel; the activation is the sigmoid, the target 0/1 labels
    x = BIN_LOGITS if "activation" in opts else 1.0 / (1.0 + np.exp(-BIN_LOGITS))
    target = _labels(opts.get("ignore_index"), base=BIN_LABELS)
    got = getattr(la, name)(x, target, axis=None, reduction="none", **opts)
    np.testing.assert_allclose(got, oracle(name, x, target, axis=None, **opts), rtol=1e-10, atol=0)


# -- per_class ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASS_MEAN)
@pytest.mark.parametrize("per_sample", [True, False])
@pytest.mark.parametrize("include_background", [True, False])
def test_per_class_shapes_and_values(name, per_sample, include_background):
    kw = {"per_sample": per_sample, "include_background": include_background, "activation": "softmax"}
    got = getattr(la, name)(LOGITS, LABELS, reduction="none", per_class=True, **kw)
    k = C if include_background else C - 1
    assert got.shape == ((N, k) if per_sample else (k,))
    np.testing.assert_allclose(got, oracle(name, LOGITS, LABELS, per_class=True, **kw), rtol=1e-10, atol=0)
    # the class axis is last, also channels-first; its mean is the loss
    first = getattr(la, name)(np.moveaxis(LOGITS, -1, 1), LABELS, axis=1, reduction="none", per_class=True, **kw)
    np.testing.assert_allclose(first, got, rtol=1e-12, atol=0)
    np.testing.assert_allclose(
        np.mean(got, axis=-1), getattr(la, name)(LOGITS, LABELS, reduction="none", **kw), rtol=1e-12, atol=0
    )


# -- edge cases: finite values, finite gradients ---------------------------------------------------


def _torch_kw(torch, kw):
    return {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


def _value_and_grad(torch, fn, x):
    """``fn(x)`` and its gradient w.r.t. ``x`` (float64, torch autograd)."""
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    out = fn(xt)
    out.backward()
    return float(out.detach()), xt.grad.numpy()


@pytest.mark.parametrize("name", LOSSES)
def test_class_absent_everywhere_without_background(torch, name):
    # class 3 is neither predicted (probability exactly 0) nor a label, smooth 0: its ratio is 0/0
    p = PROBS.copy()
    p[..., 2] += p[..., 3]
    p[..., 3] = 0.0
    labels = np.where(LABELS == 3, 2, LABELS)
    kw = {"include_background": False, "smooth": 0.0}
    want = oracle(name, p, labels, **kw)
    got = getattr(la, name)(p, labels, reduction="none", **kw)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)
    value, grad = _value_and_grad(torch, lambda z: getattr(la, name)(z, torch.as_tensor(labels), **kw), p)
    assert value == pytest.approx(_mean(want), rel=1e-10)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("smooth", [1.0, 0.0])
@pytest.mark.parametrize(("masked", "per_sample"), [("image-0", True), ("image-0", False), ("all", True)])
def test_fully_masked_image_is_finite(torch, name, smooth, masked, per_sample):
    mask = MASK.copy()
    mask[0] = False
    if masked == "all":
        mask[:] = False
    kw = {"activation": "softmax", "mask": mask, "smooth": smooth, "per_sample": per_sample}
    want = oracle(name, LOGITS, LABELS, **kw)
    fn = getattr(la, name)
    value, grad = _value_and_grad(torch, lambda z: fn(z, torch.as_tensor(LABELS), **_torch_kw(torch, kw)), LOGITS)
    assert np.isfinite(value) and value == pytest.approx(_mean(want), rel=1e-10, abs=1e-15)
    assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad[~mask], 0.0)  # masked pixels move nothing
    if per_sample:  # every sum of a fully masked image is 0: loss 0 with smooth_dr = smooth (or 0/0)
        np.testing.assert_array_equal(fn(LOGITS, LABELS, reduction="none", **kw)[0], 0.0)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("ignore_index", [255, -1, -100, C])
def test_ignored_labels_outside_the_class_range(torch, name, ignore_index):
    # labels out of [0, C) are NaN only when they are not ignore_index; sample 1 is ignored entirely
    labels = _labels(ignore_index)
    labels[1] = ignore_index
    kw = {"activation": "softmax", "ignore_index": ignore_index, "axis": 1}
    x = np.moveaxis(LOGITS, -1, 1)
    got = getattr(la, name)(x, labels, reduction="none", **kw)
    want = oracle(name, x, labels, **kw)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)
    value, grad = _value_and_grad(torch, lambda z: getattr(la, name)(z, torch.as_tensor(labels), **kw), x)
    assert value == pytest.approx(_mean(want), rel=1e-10)
    assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad[1], 0.0)


@pytest.mark.parametrize("name", LOSSES)
def test_mask_is_per_pixel_and_where_per_sample(torch, name):
    # where drops sample 1 (NaN logits, an invalid label) whatever the pixel mask says
    x = LOGITS.copy()
    x[1] = np.nan
    labels = LABELS.copy()
    labels[1, 0, 0] = 10**6
    kw = {"activation": "softmax", "mask": MASK, "smooth": 0.5}
    want = float(oracle(name, LOGITS[:1], LABELS[:1], mask=MASK[:1], activation="softmax", smooth=0.5)[0])
    fn = getattr(la, name)
    value, grad = _value_and_grad(
        torch,
        lambda z: fn(z, torch.as_tensor(labels), where=torch.tensor([True, False]), **_torch_kw(torch, kw)),
        x,
    )
    assert value == pytest.approx(want, rel=1e-10)
    assert np.all(np.isfinite(grad)) and np.all(grad[1] == 0)


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOSSES)
def test_softmax_of_binary_masks_is_an_error(name):
    # axis=None: one channel, whose softmax is constant 1
    with pytest.raises(ValueError) as info:  # lossapi.InvalidOptionError is a ValueError
        getattr(la, name)(BIN_LOGITS, BIN_LABELS, axis=None, activation="softmax")
    assert "lossapi." in str(info.value)


@pytest.mark.parametrize(
    ("name", "option", "value"),
    [
        ("tversky", "squared_pred", True),
        ("focal_tversky", "squared_pred", True),
        ("generalized_dice", "squared_pred", True),
        ("dice", "weight_type", "simple"),
        ("tversky", "weight_type", "uniform"),
    ],
)
def test_options_of_other_losses_are_type_errors(name, option, value):
    with pytest.raises(TypeError):
        getattr(la, name)(PROBS, LABELS, **{option: value})


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("dice", {"activation": "relu"}),
        ("generalized_dice", {"weight_type": "cubic"}),
        ("jaccard", {"smooth_dr": -1.0}),
    ],
)
def test_bad_option_values(name, kw):
    with pytest.raises(la.InvalidOptionError) as info:
        getattr(la, name)(LOGITS, LABELS, **kw)
    assert f"lossapi.{name}" in str(info.value) and next(iter(kw)) in str(info.value)


# -- MONAI -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def monai_losses():
    pytest.importorskip("torch", reason="torch is not installed: the MONAI counterparts need it")
    return pytest.importorskip(
        "monai.losses",
        reason="MONAI is not installed: its DiceLoss / TverskyLoss / GeneralizedDiceLoss counterparts are not checked",
    )


LABELS_ABSENT = np.where((LABELS == 3) & (np.arange(N)[:, None, None] == 0), 1, LABELS)  # sample 0: no class 3

# MONAI loss, its options (softmax=True, to_onehot_y=True added), lossapi loss, its options (axis=1 added),
# the labels. MONAI's smooth_nr / smooth_dr default to 1e-5: spelt out on both sides.
MONAI_CASES = [
    ("DiceLoss", {}, "dice", {"smooth": 1e-5}, LABELS),
    ("DiceLoss", {"include_background": False}, "dice", {"include_background": False, "smooth": 1e-5}, LABELS),
    ("DiceLoss", {"squared_pred": True}, "dice", {"squared_pred": True, "smooth": 1e-5}, LABELS),
    ("DiceLoss", {"smooth_nr": 0.1, "smooth_dr": 0.4}, "dice", {"smooth": 0.1, "smooth_dr": 0.4}, LABELS),
    ("DiceLoss", {"ignore_index": 255}, "dice", {"ignore_index": 255, "smooth": 1e-5}, _labels(255)),
    ("DiceLoss", {"ignore_index": -1}, "dice", {"ignore_index": -1, "smooth": 1e-5}, _labels(-1)),
    ("DiceLoss", {"ignore_index": 1}, "dice", {"ignore_index": 1, "smooth": 1e-5}, _labels(1)),
    ("DiceLoss", {"batch": True}, "dice", {"per_sample": False, "smooth": 1e-5}, LABELS),
    ("DiceLoss", {"sigmoid": True, "softmax": False}, "dice", {"activation": "sigmoid", "smooth": 1e-5}, LABELS),
    (
        "DiceLoss",
        {"include_background": False, "squared_pred": True, "batch": True, "ignore_index": 255, "smooth_dr": 1e-2},
        "dice",
        {
            "include_background": False,
            "squared_pred": True,
            "per_sample": False,
            "ignore_index": 255,
            "smooth": 1e-5,
            "smooth_dr": 1e-2,
        },
        _labels(255),
    ),
    # MONAI's Jaccard: 1 - (2 I + a) / (2 (P + T - I) + b) = jaccard(smooth=a / 2, smooth_dr=b / 2)
    (
        "DiceLoss",
        {"jaccard": True, "smooth_nr": 0.2, "smooth_dr": 0.6},
        "jaccard",
        {"smooth": 0.1, "smooth_dr": 0.3},
        LABELS,
    ),
    ("DiceLoss", {"jaccard": True}, "jaccard", {"smooth": 5e-6}, LABELS),
    (
        "DiceLoss",
        {"jaccard": True, "squared_pred": True, "batch": True, "include_background": False, "ignore_index": 255},
        "jaccard",
        {"squared_pred": True, "per_sample": False, "include_background": False, "ignore_index": 255, "smooth": 5e-6},
        _labels(255),
    ),
    # alpha weighs the false positives on both sides
    ("TverskyLoss", {"alpha": 0.3, "beta": 0.7}, "tversky", {"alpha": 0.3, "beta": 0.7, "smooth": 1e-5}, LABELS),
    (
        "TverskyLoss",
        {
            "alpha": 0.8,
            "beta": 0.2,
            "smooth_nr": 0.1,
            "smooth_dr": 0.3,
            "include_background": False,
            "ignore_index": 255,
            "batch": True,
        },
        "tversky",
        {
            "alpha": 0.8,
            "beta": 0.2,
            "smooth": 0.1,
            "smooth_dr": 0.3,
            "include_background": False,
            "ignore_index": 255,
            "per_sample": False,
        },
        _labels(255),
    ),
    ("GeneralizedDiceLoss", {}, "generalized_dice", {"smooth": 1e-5}, LABELS),
    ("GeneralizedDiceLoss", {}, "generalized_dice", {"smooth": 1e-5}, LABELS_ABSENT),  # inf weight -> max
    (
        "GeneralizedDiceLoss",
        {"w_type": "simple", "include_background": False},
        "generalized_dice",
        {"weight_type": "simple", "include_background": False, "smooth": 1e-5},
        LABELS_ABSENT,
    ),
    (
        "GeneralizedDiceLoss",
        {"w_type": "uniform", "batch": True, "smooth_nr": 0.2, "smooth_dr": 0.3},
        "generalized_dice",
        {"weight_type": "uniform", "per_sample": False, "smooth": 0.2, "smooth_dr": 0.3},
        LABELS,
    ),
    (
        "GeneralizedDiceLoss",
        {"batch": True},
        "generalized_dice",
        {"per_sample": False, "smooth": 1e-5},
        LABELS_ABSENT,
    ),
]


def _case_id(case):
    peer, peer_kw, _, _, labels = case
    parts = [peer.removesuffix("Loss"), *(f"{k}={v}" for k, v in peer_kw.items())]
    return "-".join(parts) + ("-absent" if labels is LABELS_ABSENT else "")


@pytest.mark.parametrize(("peer", "peer_kw", "name", "kw", "labels"), MONAI_CASES, ids=map(_case_id, MONAI_CASES))
def test_monai_values_and_gradients(torch, monai_losses, peer, peer_kw, name, kw, labels):
    x = np.moveaxis(LOGITS, -1, 1)
    peer_kw = {"softmax": True, "to_onehot_y": True, **peer_kw}
    kw = {"axis": 1, "activation": "softmax", **kw}
    fn, lab = getattr(la, name), torch.as_tensor(labels)
    theirs = getattr(monai_losses, peer)(**peer_kw)
    v_theirs, g_theirs = _value_and_grad(torch, lambda z: theirs(z, lab[:, None]), x)
    v_ours, g_ours = _value_and_grad(torch, lambda z: fn(z, lab, **kw), x)
    assert v_ours == pytest.approx(v_theirs, rel=1e-6)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-6, atol=1e-12)
    # reduction="none": MONAI keeps (N, C) (or (C,) with batch=True) for Dice / Tversky, (N,) otherwise
    none = getattr(monai_losses, peer)(**peer_kw, reduction="none")(torch.as_tensor(x), lab[:, None])
    per_class = {} if peer == "GeneralizedDiceLoss" else {"per_class": True}
    ours = fn(x, labels, reduction="none", **per_class, **kw)
    np.testing.assert_allclose(ours, none.numpy().reshape(ours.shape), rtol=1e-6)


@pytest.mark.parametrize("kw", [{}, {"include_background": False}, {"batch": True}], ids=["plain", "no-bg", "batch"])
def test_monai_masked_dice(torch, monai_losses, kw):
    # MaskedDiceLoss multiplies input and target by the mask: with a one-hot target the masked pixels leave
    # every sum (with to_onehot_y its labels * mask would become background labels)
    x = np.moveaxis(LOGITS, -1, 1)
    onehot = np.moveaxis(ONEHOT, -1, 1)
    theirs = monai_losses.MaskedDiceLoss(softmax=True, **kw)
    m = torch.as_tensor(MASK[:, None].astype(np.float64))
    v_theirs, g_theirs = _value_and_grad(torch, lambda z: theirs(z, torch.as_tensor(onehot), mask=m), x)
    ours = {"per_sample": not kw.get("batch", False), **{k: v for k, v in kw.items() if k != "batch"}}
    for target in (LABELS, onehot):
        t = torch.as_tensor(target)
        v, g = _value_and_grad(
            torch,
            lambda z, t=t: la.dice(z, t, axis=1, activation="softmax", mask=torch.as_tensor(MASK), smooth=1e-5, **ours),
            x,
        )
        assert v == pytest.approx(v_theirs, rel=1e-6)
        np.testing.assert_allclose(g, g_theirs, rtol=1e-6, atol=1e-12)


def test_monai_weight_is_a_plain_product(torch, monai_losses):
    # MONAI: mean over samples and classes of w_c l_c; lossapi: sum(w l) / sum(w) -> scaled by sum(w) / C
    x = torch.as_tensor(np.moveaxis(LOGITS, -1, 1))
    theirs = monai_losses.DiceLoss(softmax=True, to_onehot_y=True, weight=torch.as_tensor(CW))
    want = float(theirs(x, torch.as_tensor(LABELS)[:, None]))
    cw = torch.as_tensor(CW)
    ours = float(la.dice(x, torch.as_tensor(LABELS), axis=1, activation="softmax", smooth=1e-5, class_weight=cw))
    assert ours * CW.sum() / C == pytest.approx(want, rel=1e-6)


def test_monai_generalized_dice_with_no_class_present(torch, monai_losses):
    # Sample 0 holds only background, left out: every weight is infinite. MONAI (and lossapi) zero them
    # all: the loss is 1 - smooth_nr / smooth_dr = 0 with zero gradient (an empty image gives no signal).
    labels = LABELS.copy()
    labels[0] = 0
    x = np.moveaxis(LOGITS, -1, 1)
    kw = {"axis": 1, "activation": "softmax", "include_background": False, "smooth": 1e-5}
    ours = la.generalized_dice(x, labels, reduction="none", **kw)
    np.testing.assert_allclose(ours, oracle("generalized_dice", x, labels, **kw), rtol=1e-10)
    assert ours[0] == 0.0
    theirs = monai_losses.GeneralizedDiceLoss(softmax=True, to_onehot_y=True, include_background=False)
    lab = torch.as_tensor(labels)
    v_theirs, g_theirs = _value_and_grad(torch, lambda z: theirs(z, lab[:, None]), x)
    v_ours, g_ours = _value_and_grad(torch, lambda z: la.generalized_dice(z, lab, **kw), x)
    assert v_ours == pytest.approx(v_theirs, rel=1e-6)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(g_ours[0], 0.0)


# -- segmentation_models_pytorch -------------------------------------------------------------------


@pytest.fixture(scope="module")
def smp_losses():
    """``segmentation_models_pytorch.losses`` without the package's ``__init__`` (it imports timm and
    every model): a bare package module with the right ``__path__`` stands in while the subpackage loads."""
    pytest.importorskip("torch", reason="torch is not installed: the smp counterparts need it")
    pkg = "segmentation_models_pytorch"
    if f"{pkg}.losses" in sys.modules:
        return sys.modules[f"{pkg}.losses"]
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(
            "segmentation_models_pytorch is not installed: its DiceLoss / JaccardLoss / TverskyLoss counterparts "
            "are not checked"
        )
    bare = pkg not in sys.modules
    if bare:
        stub = types.ModuleType(pkg)
        stub.__path__ = list(spec.submodule_search_locations)
        sys.modules[pkg] = stub
    try:
        return importlib.import_module(f"{pkg}.losses")
    finally:
        if bare:  # a later `import segmentation_models_pytorch` runs the real __init__ (and finds .losses)
            del sys.modules[pkg]


# smp loss, mode, its options (from_logits=True is its default), lossapi loss, its options. smp writes the
# Dice as (I + s) / ((P + T) / 2 + s): dice(smooth=2 s); Jaccard and Tversky take s unchanged. smp pools the
# batch (per_sample=False) and scores 0 a class absent from the target: every class occurs here.
SMP_CASES = [
    ("DiceLoss", "multiclass", {}, "dice", {"smooth": 0.0}),
    ("DiceLoss", "multiclass", {"smooth": 0.5, "ignore_index": 255}, "dice", {"smooth": 1.0, "ignore_index": 255}),
    ("DiceLoss", "multiclass", {"ignore_index": -1}, "dice", {"smooth": 0.0, "ignore_index": -1}),
    (
        "JaccardLoss",
        "multiclass",
        {"smooth": 0.3, "ignore_index": 255},
        "jaccard",
        {"smooth": 0.3, "ignore_index": 255},
    ),
    (
        "TverskyLoss",
        "multiclass",
        {"alpha": 0.3, "beta": 0.7, "smooth": 0.2},
        "tversky",
        {"alpha": 0.3, "beta": 0.7, "smooth": 0.2},
    ),
    ("DiceLoss", "binary", {"smooth": 0.5}, "dice", {"smooth": 1.0}),
    ("DiceLoss", "binary", {"ignore_index": 255}, "dice", {"smooth": 0.0, "ignore_index": 255}),
    ("JaccardLoss", "binary", {}, "jaccard", {"smooth": 0.0}),
    # one class: smp's power of the class mean is focal_tversky's power per class
    (
        "TverskyLoss",
        "binary",
        {"alpha": 0.7, "beta": 0.3, "gamma": 1.5, "smooth": 0.1},
        "focal_tversky",
        {"alpha": 0.7, "beta": 0.3, "gamma": 1.5, "smooth": 0.1},
    ),
]


def _smp_id(case):
    peer, mode, peer_kw, _, _ = case
    return "-".join([peer.removesuffix("Loss"), mode, *(f"{k}={v}" for k, v in peer_kw.items())])


@pytest.mark.parametrize(("peer", "mode", "peer_kw", "name", "kw"), SMP_CASES, ids=map(_smp_id, SMP_CASES))
def test_smp_values_and_gradients(torch, smp_losses, peer, mode, peer_kw, name, kw):
    if mode == "multiclass":  # (N, C, H, W) logits, (N, H, W) labels
        x, labels = np.moveaxis(LOGITS, -1, 1), _labels(kw.get("ignore_index"))
        lab = torch.as_tensor(labels)
        theirs_target, kw = lab, {"axis": 1, "activation": "softmax", **kw}
    else:  # smp: (N, 1, H, W) logits and target; lossapi: binary masks (N, H, W)
        x, labels = BIN_LOGITS, _labels(kw.get("ignore_index"), base=BIN_LABELS)
        lab = torch.as_tensor(labels)
        theirs_target, kw = lab[:, None], {"axis": None, "activation": "sigmoid", **kw}
    theirs = getattr(smp_losses, peer)(mode, **peer_kw)
    unsqueeze = mode == "binary"
    v_theirs, g_theirs = _value_and_grad(torch, lambda z: theirs(z[:, None] if unsqueeze else z, theirs_target), x)
    v_ours, g_ours = _value_and_grad(torch, lambda z: getattr(la, name)(z, lab, per_sample=False, **kw), x)
    assert v_ours == pytest.approx(v_theirs, rel=1e-6)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-6, atol=1e-12)


# -- JAX: jit with the options closed over == NumPy ------------------------------------------------

JAX_CASES = {
    "dice-softmax-ignore-no-bg": (
        "dice",
        np.moveaxis(LOGITS, -1, 1),
        _labels(255),
        {
            "axis": 1,
            "activation": "softmax",
            "include_background": False,
            "ignore_index": 255,
            "smooth": 1e-5,
            "smooth_dr": 1e-3,
            "reduction": "none",
        },
    ),
    "gdice-sigmoid-mask-pooled": (
        "generalized_dice",
        LOGITS,
        LABELS_ABSENT,
        {"activation": "sigmoid", "mask": MASK, "weight_type": "simple", "per_sample": False},
    ),
    "tversky-onehot-mask-per-class": (
        "tversky",
        PROBS,
        ONEHOT,
        {"mask": MASK, "alpha": 0.3, "beta": 0.7, "smooth_dr": 0.5, "per_class": True, "reduction": "none"},
    ),
}


@pytest.mark.parametrize("case", JAX_CASES)
def test_jax_jit_equals_numpy(jax, case):
    import jax.numpy as jnp

    name, x, target, kw = JAX_CASES[case]
    fn = getattr(la, name)
    want = fn(x, target, **kw)
    jkw = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    got = jax.jit(lambda a, b: fn(a, b, **jkw))(jnp.asarray(x), jnp.asarray(target))
    assert isinstance(got, jax.Array) and got.shape == np.shape(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=0)
