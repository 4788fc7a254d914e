"""Detection losses: known answers by hand, torchvision's formulas, the classic YOLO loss.

Expectations come from hand computation (worked out in the comments), from torch
transcriptions of torchvision's ``generalized_box_iou_loss`` / ``distance_box_iou_loss`` /
``complete_box_iou_loss`` (torchvision is not installable here) and of the classic
``YOLOLoss`` module (boolean indexing), and from the independent oracles -- never from lossapi itself.
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi as la  # noqa: E402
from lossapi._conformance.cases import CASES  # noqa: E402
from lossapi._conformance.families import detection as od  # noqa: E402

BOX_LOSSES = ("box_iou", "giou", "diou", "ciou")
TV_LOSSES = ("giou", "diou", "ciou")
EPS = 1e-7
C4 = 4.0 / math.pi**2  # CIoU's 4 / pi^2


def _np(backend, out) -> np.ndarray:
    assert backend.is_native(out)
    return np.asarray(backend.to_numpy(out), dtype=np.float64)


def _run(backend, name, b, t, **kw):
    return _np(
        backend,
        getattr(la, name)(backend.asarray(np.asarray(b, np.float64)), backend.asarray(np.asarray(t, np.float64)), **kw),
    )


def _random_pairs(n: int, seed: int = 3, **opts) -> tuple[np.ndarray, np.ndarray]:
    x = CASES["giou"].make_inputs(np.random.default_rng(seed), (n,), opts)
    return x["boxes"], x["target"]


# -- torch transcription of torchvision's box losses (same formulas, same eps placement) ---------


def _tv(torch, name, b, t, eps=EPS, reduction="none"):
    x1, y1, x2, y2 = b.unbind(-1)
    u1, v1, u2, v2 = t.unbind(-1)
    ix = torch.min(x2, u2) - torch.max(x1, u1)
    iy = torch.min(y2, v2) - torch.max(y1, v1)
    inter = torch.where((ix > 0) & (iy > 0), ix * iy, torch.zeros_like(ix))  # torchvision: masked assignment
    union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter
    cw = torch.max(x2, u2) - torch.min(x1, u1)
    ch = torch.max(y2, v2) - torch.min(y1, v1)
    if name == "giou":
        iou = inter / (union + eps)
        area_c = cw * ch
        loss = 1 - (iou - (area_c - union) / (area_c + eps))
    else:
        e = eps if name == "diou" else 1e-7  # complete_box_iou_loss calls _diou_iou_loss without eps
        iou = inter / (union + e)
        rho2 = ((x1 + x2) / 2 - (u1 + u2) / 2) ** 2 + ((y1 + y2) / 2 - (v1 + v2) / 2) ** 2
        loss = 1 - iou + rho2 / (cw**2 + ch**2 + e)
        if name == "ciou":
            v = (4 / torch.pi**2) * torch.pow(torch.atan((u2 - u1) / (v2 - v1)) - torch.atan((x2 - x1) / (y2 - y1)), 2)
            with torch.no_grad():
                alpha = v / (1 - iou + v + eps)
            loss = loss + alpha * v
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# -- known answers ------------------------------------------------------------------------------


def test_identical_boxes_give_zero(backend):
    # B = G = (1, 1, 3, 4): area 6, inter = union = 6, C = B, same centres, v = 0:
    # every loss is 1 - 6 / (6 + eps) = eps / (6 + eps) (~1.7e-8), and exactly 0 with eps = 0
    # (CIoU: eps / (6 + eps) with eps = 1e-7 whatever its option). Second pair: area 5.
    b = np.array([[1.0, 1.0, 3.0, 4.0], [0.0, 0.0, 10.0, 0.5]])
    for name in BOX_LOSSES:
        got = _run(backend, name, b, b, reduction="none")
        want = [EPS / (6 + EPS), EPS / (5 + EPS)]
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)
        got0 = _run(backend, name, b, b, eps=0.0, reduction="none")
        if name == "ciou":  # its IoU always adds 1e-7 (see test_ciou_eps_enters_alpha_only)
            np.testing.assert_allclose(got0, want, rtol=1e-6)
        else:
            np.testing.assert_array_equal(got0, [0.0, 0.0])


def test_disjoint_boxes(backend):
    # pair 0: (0,0,1,1) vs (2,2,3,3): inter 0, union 2, C = 3 x 3 = 9, centres (0.5,0.5), (2.5,2.5):
    #   rho^2 = 8, diagonal^2 = 18, equal aspect ratios (v = 0).
    # pair 1: (0,0,2,1) vs (1,2,3,4): x-overlap 1 but y-gap 1 -> inter 0, union 2 + 4 = 6,
    #   C = 3 x 4 = 12, centres (1, 0.5), (2, 3): rho^2 = 1 + 6.25, diagonal^2 = 9 + 16 = 25,
    #   v = 4/pi^2 (atan(2/2) - atan(2/1))^2, alpha = v / (1 - 0 + v + eps).
    b = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 1.0]])
    t = np.array([[2.0, 2.0, 3.0, 3.0], [1.0, 2.0, 3.0, 4.0]])
    v1 = C4 * (math.atan(1.0) - math.atan(2.0)) ** 2
    want = {
        "box_iou": [1.0, 1.0],
        "giou": [1 + 7 / (9 + EPS), 1 + 6 / (12 + EPS)],  # > 1: the empty part of C
        "diou": [1 + 8 / (18 + EPS), 1 + 7.25 / (25 + EPS)],
        "ciou": [1 + 8 / (18 + EPS), 1 + 7.25 / (25 + EPS) + v1 * v1 / (1 + v1 + EPS)],
    }
    for name, w in want.items():
        np.testing.assert_allclose(_run(backend, name, b, t, reduction="none"), w, rtol=1e-13, err_msg=name)
        # symmetric in value
        np.testing.assert_allclose(_run(backend, name, t, b, reduction="none"), w, rtol=1e-13, err_msg=name)
        # mean and sum of the two pairs
        assert float(_run(backend, name, b, t)) == pytest.approx(sum(w) / 2, rel=1e-13)
        assert float(_run(backend, name, b, t, reduction="sum")) == pytest.approx(sum(w), rel=1e-13)


def test_one_box_inside_the_other(backend):
    # (0,0,4,4) contains (1,1,2,3): inter 2, union 16, IoU = 2 / (16 + eps); C = the outer box (no penalty);
    # centres (2, 2), (1.5, 2): rho^2 = 0.25, diagonal^2 = 32; v = 4/pi^2 (atan(1/2) - atan(1))^2.
    b = np.array([[0.0, 0.0, 4.0, 4.0]])
    t = np.array([[1.0, 1.0, 2.0, 3.0]])
    iou = 2 / (16 + EPS)
    v = C4 * (math.atan(0.5) - math.atan(1.0)) ** 2
    want = {
        "box_iou": 1 - iou,  # 0.875
        "giou": 1 - iou + (16 - 16) / (16 + EPS),  # 0.875
        "diou": 1 - iou + 0.25 / (32 + EPS),  # 0.8828125
        "ciou": 1 - iou + 0.25 / (32 + EPS) + v * v / (1 - iou + v + EPS),
    }
    for name, w in want.items():
        np.testing.assert_allclose(_run(backend, name, b, t, reduction="none"), [w], rtol=1e-13, err_msg=name)
    assert want["diou"] == pytest.approx(0.8828125, abs=1e-7)


# Degenerate boxes against G = (0, 0, 2, 2) (area 4, centre (1, 1), aspect angle pi/4):
#   zero width (1,0,1,2), zero height (0,1,2,1), point (1,1,1,1) all lie inside G with centre
#   (1, 1): inter 0 (an extent is 0), union 4, IoU 0, C = G (giou penalty 0), rho = 0 -> 1 for
#   box_iou / giou / diou. CIoU: angle atan(0/2) = 0, atan(2/0) -> pi/2 (its limit), point -> 0;
#   each differs from pi/4 by pi/4: v = 4/pi^2 (pi/4)^2 = 1/4, alpha = (1/4) / (1 + 1/4 + eps),
#   loss 1 + (1/16) / (1.25 + eps) ~ 1.05.
#   Two identical points (1,1,1,1): union 0 -> IoU 0 / eps = 0, C = 0, v = 0 -> 1 for all four.
DEGENERATE_B = np.array([[1.0, 0.0, 1.0, 2.0], [0.0, 1.0, 2.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
DEGENERATE_T = np.array([[0.0, 0.0, 2.0, 2.0]] * 3 + [[1.0, 1.0, 1.0, 1.0]])


def test_degenerate_boxes_values(backend):
    c = 1 + 0.0625 / (1.25 + EPS)
    want = {"box_iou": [1, 1, 1, 1], "giou": [1, 1, 1, 1], "diou": [1, 1, 1, 1], "ciou": [c, c, c, 1]}
    for name, w in want.items():
        got = _run(backend, name, DEGENERATE_B, DEGENERATE_T, reduction="none")
        np.testing.assert_allclose(got, w, rtol=1e-13, err_msg=name)
        # degenerate targets too (the losses are symmetric in value)
        np.testing.assert_allclose(
            _run(backend, name, DEGENERATE_T, DEGENERATE_B, reduction="none"), w, rtol=1e-13, err_msg=name
        )
        # eps = 0: the 0 / 0 of two identical points is 0, not NaN
        assert np.all(np.isfinite(_run(backend, name, DEGENERATE_B, DEGENERATE_T, eps=0.0, reduction="none")))


def _grads_torch(torch, name, b, t, **kw):
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    getattr(la, name)(bt, tt, reduction="sum", **kw).backward()
    return bt.grad.numpy(), tt.grad.numpy()


def _grads_jax(jax, name, b, t, **kw):
    import jax.numpy as jnp

    f = jax.grad(lambda x, y: getattr(la, name)(x, y, reduction="sum", **kw), (0, 1))
    gb, gt = f(jnp.asarray(b, dtype=jnp.float64), jnp.asarray(t, dtype=jnp.float64))
    return np.asarray(gb), np.asarray(gt)


@pytest.mark.parametrize("name", BOX_LOSSES)
@pytest.mark.parametrize("eps", [EPS, 0.0])
def test_degenerate_boxes_gradients_finite_and_equal(torch, jax, name, eps):
    for b, t in ((DEGENERATE_B, DEGENERATE_T), (DEGENERATE_T, DEGENERATE_B)):
        gt = _grads_torch(torch, name, b, t, eps=eps)
        gj = _grads_jax(jax, name, b, t, eps=eps)
        for a, c in zip(gt, gj):
            assert np.all(np.isfinite(a)), (name, a)
            np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-15)


def test_ciou_zero_height_angle_has_no_nan_gradient(torch, jax):
    # atan(w / h) at h = 0 is never evaluated: its value is pi/2 (torchvision's atan(inf)) and the
    # angle's gradient there is 0, on both backends, under jit too.
    import jax.numpy as jnp

    b = np.array([[0.0, 1.0, 2.0, 1.0]])
    t = np.array([[0.0, 0.0, 2.0, 2.0]])
    g = jax.jit(jax.grad(lambda x: la.ciou(x, jnp.asarray(t))))(jnp.asarray(b))
    assert np.all(np.isfinite(np.asarray(g)))
    gt, _ = _grads_torch(torch, "ciou", b, t)
    np.testing.assert_allclose(gt, np.asarray(g), rtol=1e-12, atol=1e-15)


def test_ciou_eps_enters_alpha_only(backend):
    # torchvision's complete_box_iou_loss passes no eps to its DIoU helper: with eps = 0.5 the IoU
    # still divides by union + 1e-7. Identical unit squares: IoU = 1 / (1 + 1e-7), v = 0 -> ciou =
    # 1e-7 / (1 + 1e-7), while box_iou / diou with eps = 0.5 give 1 - 1 / 1.5 = 1/3.
    b = np.array([[0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(_run(backend, "ciou", b, b, eps=0.5, reduction="none"), [EPS / (1 + EPS)], rtol=1e-6)
    np.testing.assert_allclose(_run(backend, "diou", b, b, eps=0.5, reduction="none"), [1 / 3], rtol=1e-13)
    # Unit square vs a 1 x 2 box sharing its lower-left corner: inter 1, union 2, IoU = 1 / (2 + 1e-7);
    # centres (0.5, 0.5), (0.5, 1): rho^2 = 0.25, C = 1 x 2: diagonal^2 = 5; v = 4/pi^2 (atan(1/2) - pi/4)^2;
    # alpha = v / (1 - IoU + v + 0.5).
    t = np.array([[0.0, 0.0, 1.0, 2.0]])
    iou = 1 / (2 + EPS)
    v = C4 * (math.atan(0.5) - math.pi / 4) ** 2
    want = 1 - iou + 0.25 / (5 + EPS) + v * v / (1 - iou + v + 0.5)
    np.testing.assert_allclose(_run(backend, "ciou", b, t, eps=0.5, reduction="none"), [want], rtol=1e-13)


# -- torchvision's formulas: values and gradients ---------------------------------------------------


@pytest.mark.parametrize("name", TV_LOSSES)
@pytest.mark.parametrize("eps", [EPS, 1e-3])
def test_equals_torchvision_formula(torch, name, eps):
    b, t = _random_pairs(40)
    for reduction in ("none", "mean", "sum"):
        bt = torch.tensor(b, requires_grad=True)
        tt = torch.tensor(t, requires_grad=True)
        ours = getattr(la, name)(bt, tt, eps=eps, reduction=reduction)
        b2 = torch.tensor(b, requires_grad=True)
        t2 = torch.tensor(t, requires_grad=True)
        ref = _tv(torch, name, b2, t2, eps=eps, reduction=reduction)
        torch.testing.assert_close(ours, ref, rtol=1e-13, atol=1e-15)
        ours.sum().backward()
        ref.sum().backward()
        # the gradients too: CIoU's alpha carries none (torchvision's torch.no_grad)
        torch.testing.assert_close(bt.grad, b2.grad, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(tt.grad, t2.grad, rtol=1e-12, atol=1e-14)


def test_torchvision_formula_batched_and_broadcast(torch):
    # (2, 3, 4) boxes against (3, 4) targets: each image's boxes against the same targets
    b, t = _random_pairs(6, seed=11)
    b = b.reshape(2, 3, 4)
    t = t[:3]
    for name in TV_LOSSES:
        ours = getattr(la, name)(torch.tensor(b), torch.tensor(t), reduction="none")
        ref = _tv(torch, name, torch.tensor(b), torch.tensor(np.broadcast_to(t, b.shape).copy()))
        assert tuple(ours.shape) == (2, 3)
        torch.testing.assert_close(ours, ref, rtol=1e-13, atol=1e-15)


def test_ciou_gradient_holds_alpha_constant(torch, jax):
    # The gradient is the derivative of DIoU + alpha v with alpha frozen at the point
    # (families/detection.py: ciou_frozen_alpha), which differs from the derivative of the value.
    b, t = _random_pairs(5, seed=5)
    alpha = od.ciou_alpha(b, t)
    assert np.all(alpha > 0)
    h = 1e-6

    def fd(f, x, other, first):
        g = np.empty_like(x)
        for i in np.ndindex(x.shape):
            xp_, xm = x.copy(), x.copy()
            xp_[i] += h
            xm[i] -= h
            a, c = (xp_, other) if first else (other, xp_)
            d, e = (xm, other) if first else (other, xm)
            g[i] = (f(a, c).sum() - f(d, e).sum()) / (2 * h)
        return g

    def frozen(x, y):
        return od.ciou_frozen_alpha(x, y, alpha)

    want_b, want_t = fd(frozen, b, t, True), fd(frozen, t, b, False)
    value_b = fd(od.ciou, b, t, True)
    for gb, gt in (_grads_torch(torch, "ciou", b, t), _grads_jax(jax, "ciou", b, t)):
        np.testing.assert_allclose(gb, want_b, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(gt, want_t, rtol=1e-6, atol=1e-8)
        assert not np.allclose(gb, value_b, rtol=1e-4, atol=1e-6)


# -- broadcasting, weights, where --------------------------------------------------------------------


def test_one_target_against_many_boxes(backend):
    b, t = _random_pairs(5, seed=9)
    for name in BOX_LOSSES:
        got = _run(backend, name, b, t[0], reduction="none")
        want = getattr(od, name)(b, np.broadcast_to(t[0], b.shape))
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)


def test_where_excludes_nan_boxes(backend):
    b, t = _random_pairs(4, seed=2)
    bad_b, bad_t = b.copy(), t.copy()
    bad_b[1] = np.nan
    bad_t[2] = [np.inf, -np.inf, np.nan, 1.0]
    keep = np.array([True, False, False, True])
    for name in BOX_LOSSES:
        want = getattr(od, name)(b[keep], t[keep])
        got = _run(backend, name, bad_b, bad_t, where=backend.asarray(keep), reduction="sum")
        np.testing.assert_allclose(got, want.sum(), rtol=1e-12, err_msg=name)
        none = _run(backend, name, bad_b, bad_t, where=backend.asarray(keep), reduction="none")
        np.testing.assert_allclose(none, np.where(keep, getattr(od, name)(b, t), 0.0), rtol=1e-12)


def test_sample_weight_mean(backend):
    b, t = _random_pairs(3, seed=4)
    w = np.array([1.0, 0.0, 3.0])
    for name in BOX_LOSSES:
        per = getattr(od, name)(b, t)
        got = _run(backend, name, b, t, sample_weight=backend.asarray(w))
        assert float(got) == pytest.approx((per[0] + 3 * per[2]) / 4, rel=1e-12)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_low_precision_in_low_precision_out(torch, dtype):
    dt = getattr(torch, dtype)
    b = torch.tensor([[0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 1.0, 1.0]], dtype=dt)
    t = torch.tensor([[1.0, 1.0, 2.0, 3.0], [2.0, 2.0, 3.0, 3.0]], dtype=dt)
    for name in BOX_LOSSES:
        out = getattr(la, name)(b, t, reduction="none")
        assert out.dtype == dt
        np.testing.assert_allclose(
            out.double().numpy(),
            getattr(od, name)(b.double().numpy(), t.double().numpy()),
            rtol=1e-2 if dtype != "float32" else 1e-6,
        )


# -- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BOX_LOSSES)
def test_box_errors(name):
    fn = getattr(la, name)
    good = np.zeros((2, 4))
    with pytest.raises(la.ShapeMismatchError, match=rf"lossapi\.{name}: `boxes`.*\(\.\.\., 4\).*\(2, 5\)"):
        fn(np.zeros((2, 5)), good)
    with pytest.raises(la.ShapeMismatchError, match=rf"lossapi\.{name}: `target`.*\(3,\)"):
        fn(good, np.zeros(3))
    with pytest.raises(la.ShapeMismatchError, match=rf"lossapi\.{name}: `boxes`.*\(\)"):
        fn(np.zeros(()), good)
    with pytest.raises(la.ShapeMismatchError, match=name):
        fn(np.zeros((2, 4)), np.zeros((3, 4)))
    with pytest.raises(la.InvalidOptionError, match=rf"{name}: eps=-1"):
        fn(good, good, eps=-1.0)
    with pytest.raises(la.InvalidDTypeError, match=rf"{name}: `boxes`"):
        fn(np.zeros((2, 4), dtype=np.int64), good)
    with pytest.raises(la.ShapeMismatchError, match=rf"{name}: `where`"):
        fn(good, good, where=np.ones(3, dtype=bool))
    with pytest.raises(la.InvalidOptionError, match="reduction"):
        fn(good, good, reduction="avg")


def test_single_pair_gives_a_0d_array(backend):
    b = backend.asarray(np.array([0.0, 0.0, 1.0, 1.0]))
    t = backend.asarray(np.array([0.0, 0.0, 2.0, 2.0]))
    for name in BOX_LOSSES:
        for reduction in ("none", "mean", "sum"):
            out = getattr(la, name)(b, t, reduction=reduction)
            assert backend.is_native(out) and out.shape == (), (name, reduction, type(out))
    cell = backend.asarray(np.zeros(7))
    for reduction in ("none", "mean", "sum"):
        out = la.yolo(cell, cell, reduction=reduction)
        assert backend.is_native(out) and out.shape == ()


def test_integer_target_boxes(backend):
    b = np.array([[0.0, 0.0, 4.0, 4.0]], dtype=np.float32)
    out = la.giou(backend.asarray(b), backend.asarray(np.array([[1, 1, 2, 3]])), reduction="none")
    assert str(out.dtype).endswith("float32")
    np.testing.assert_allclose(_np(backend, out), [0.875], rtol=1e-6)


# -- YOLO ------------------------------------------------------------------------------------------

# A 2 x 2 grid, C = 2 classes, cells (x, y, w, h, conf, z0, z1):
#   A (object, class 0): box diffs (0, 0.1, 0, 0.2) -> mean square 0.05 / 4 = 0.0125, x 5 = 0.0625;
#     conf (0.9 - 1)^2 = 0.01; CE of logits (2, 0) at class 0 = log(1 + e^-2).
#   B (object, class 1): box diffs all 0.1 -> 0.01, x 5 = 0.05; conf (0.5 - 1)^2 = 0.25; CE of (0, 0) = log 2.
#   C (no object): 0.5 * 0.2^2 = 0.02 (its box and logits do not count).
#   D (no object): 0.5 * (-0.4)^2 = 0.08.
# "mean" = mean over object cells + mean over no-object cells = (A + B) / 2 + (0.02 + 0.08) / 2.
YP = np.array(
    [
        [[0.5, 0.5, 0.2, 0.4, 0.9, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0]],
        [[9.0, 9.0, 9.0, 9.0, 0.2, 5.0, -5.0], [1.0, 2.0, 3.0, 4.0, -0.4, 1.0, 1.0]],
    ]
)
YT = np.array([[[0.5, 0.4, 0.2, 0.2, 1.0, 1.0, 0.0], [0.1, 0.1, 0.1, 0.1, 1.0, 0.0, 1.0]], [[0.0] * 7, [0.0] * 7]])
YA = 0.0625 + 0.01 + math.log1p(math.exp(-2.0))
YB = 0.05 + 0.25 + math.log(2.0)


def test_yolo_known_answer(backend):
    xp = backend
    none = _np(backend, la.yolo(xp.asarray(YP), xp.asarray(YT), reduction="none"))
    np.testing.assert_allclose(none, [[YA, YB], [0.02, 0.08]], rtol=1e-13)
    mean = float(_np(backend, la.yolo(xp.asarray(YP), xp.asarray(YT))))
    assert mean == pytest.approx((YA + YB) / 2 + 0.05, rel=1e-13)
    assert float(_np(backend, la.yolo(xp.asarray(YP), xp.asarray(YT), reduction="sum"))) == pytest.approx(
        YA + YB + 0.1, rel=1e-13
    )
    # weights [[1, 3], [2, 2]]: object cells (A + 3 B) / 4, no-object cells (2 * 0.02 + 2 * 0.08) / 4
    w = xp.asarray(np.array([[1.0, 3.0], [2.0, 2.0]]))
    got = float(_np(backend, la.yolo(xp.asarray(YP), xp.asarray(YT), sample_weight=w)))
    assert got == pytest.approx((YA + 3 * YB) / 4 + 0.05, rel=1e-13)
    # lambdas: lambda_coord 1 -> box terms / 5; lambda_noobj 2 -> no-object terms x 4
    got = _np(backend, la.yolo(xp.asarray(YP), xp.asarray(YT), lambda_coord=1.0, lambda_noobj=2.0, reduction="none"))
    np.testing.assert_allclose(got, [[YA - 0.05, YB - 0.04], [0.08, 0.32]], rtol=1e-13)


def test_yolo_ignored_cells_and_empty_groups(backend):
    xp = backend
    t = YT.copy()
    t[1, 1, 4] = -1.0  # D ignored: no-object mean is C's alone
    assert float(_np(backend, la.yolo(xp.asarray(YP), xp.asarray(t)))) == pytest.approx((YA + YB) / 2 + 0.02)
    # no object cell at all: the object term is 0 (the boolean-indexing module gives NaN), no-object cells (4 of them):
    # 0.5 * (0.81 + 0.25 + 0.04 + 0.16) / 4
    got = float(_np(backend, la.yolo(xp.asarray(YP), xp.asarray(np.zeros_like(YT)))))
    assert got == pytest.approx(0.5 * 1.26 / 4, rel=1e-13)


def test_yolo_axis_1_is_channels_first(backend):
    xp = backend
    a = _np(backend, la.yolo(xp.asarray(YP), xp.asarray(YT), reduction="none"))
    p1 = np.moveaxis(YP[None], -1, 1)  # (1, 7, 2, 2), torch-style (N, 5 + C, S, S)
    t1 = np.moveaxis(YT[None], -1, 1)
    b = _np(backend, la.yolo(xp.asarray(p1), xp.asarray(t1), axis=1, reduction="none"))
    np.testing.assert_allclose(b[0], a, rtol=1e-13)


def _seed_yolo(torch, predictions, targets, lambda_coord=5.0, lambda_noobj=0.5):
    """The classic YOLOLoss.forward (boolean indexing), transcribed."""
    F = torch.nn.functional
    obj_mask = targets[..., 4] == 1
    noobj_mask = targets[..., 4] == 0
    coord_loss = F.mse_loss(predictions[..., :4][obj_mask], targets[..., :4][obj_mask])
    conf_obj = F.mse_loss(predictions[..., 4][obj_mask], targets[..., 4][obj_mask])
    conf_noobj = F.mse_loss(predictions[..., 4][noobj_mask], targets[..., 4][noobj_mask])
    class_loss = F.cross_entropy(predictions[..., 5:][obj_mask], targets[..., 5:][obj_mask].argmax(dim=1))
    return lambda_coord * coord_loss + conf_obj + lambda_noobj * conf_noobj + class_loss


@pytest.mark.parametrize("lambdas", [(5.0, 0.5), (2.0, 1.0)])
def test_yolo_equals_the_yolo_module(torch, lambdas):
    x = CASES["yolo"].make_inputs(np.random.default_rng(8), (4, 7, 7), {})
    p = torch.tensor(x["pred"], requires_grad=True)
    t = torch.tensor(x["target"])
    ours = la.yolo(p, t, lambda_coord=lambdas[0], lambda_noobj=lambdas[1])
    p2 = torch.tensor(x["pred"], requires_grad=True)
    ref = _seed_yolo(torch, p2, t, *lambdas)
    torch.testing.assert_close(ours, ref, rtol=1e-13, atol=1e-15)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(p.grad, p2.grad, rtol=1e-12, atol=1e-15)


def test_yolo_where_excludes_nan_cells(backend):
    xp = backend
    p, t = YP.copy(), YT.copy()
    p[0, 1] = np.nan  # cell B excluded
    t[0, 1, :5] = np.inf
    keep = np.array([[True, False], [True, True]])
    got = float(_np(backend, la.yolo(xp.asarray(p), xp.asarray(t), where=xp.asarray(keep))))
    assert got == pytest.approx(YA + 0.05, rel=1e-13)


def test_yolo_errors():
    with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.yolo: `pred` has 5 numbers per cell"):
        la.yolo(np.zeros((2, 5)), np.zeros((2, 5)))
    with pytest.raises(la.ShapeMismatchError, match=r"yolo: `target`"):
        la.yolo(np.zeros((2, 7)), np.zeros((2, 8)))
    with pytest.raises(la.InvalidOptionError, match=r"yolo: lambda_noobj=-1"):
        la.yolo(np.zeros((2, 7)), np.zeros((2, 7)), lambda_noobj=-1.0)
    with pytest.raises(la.InvalidOptionError, match=r"yolo: axis=3"):
        la.yolo(np.zeros((2, 7)), np.zeros((2, 7)), axis=3)
    with pytest.raises(la.InvalidDTypeError, match=r"yolo: `pred`"):
        la.yolo(np.zeros((2, 7), dtype=np.int64), np.zeros((2, 7)))


# -- transforms ---------------------------------------------------------------------------------------


def test_jit_and_compile(torch, jax):
    import jax.numpy as jnp

    b, t = _random_pairs(6, seed=1)
    for name in (*BOX_LOSSES, "yolo"):
        fn = getattr(la, name)
        args = [YP, YT] if name == "yolo" else [b, t]
        eager = np.asarray(fn(*args))
        # hyper-parameters traced as 0-d arrays
        hp = {"lambda_coord": 5.0} if name == "yolo" else {"eps": 1e-7}
        jitted = jax.jit(lambda x, y, hp, fn=fn: fn(x, y, **hp))
        got = jitted(*[jnp.asarray(a) for a in args], {k: jnp.asarray(v) for k, v in hp.items()})
        np.testing.assert_allclose(np.asarray(got), eager, rtol=1e-13)
        torch._dynamo.reset()
        compiled = torch.compile(lambda x, y, fn=fn: fn(x, y), fullgraph=True, backend="eager")
        np.testing.assert_allclose(compiled(*[torch.tensor(a) for a in args]).numpy(), eager, rtol=1e-13)


def test_docstring_examples():
    import doctest

    from lossapi.losses import detection

    result = doctest.testmod(detection, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0
