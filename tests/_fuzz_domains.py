"""Per-loss tables for the property-based fuzz tests (``tests/test_fuzz.py``).

Each table states, for every catalog loss, which property holds and why an exception does not
(the tests check that every catalog loss is in exactly one of "holds" / "exception" per table):

- :data:`NOT_NONNEGATIVE`: losses whose per-element value can be negative on valid inputs.
- :data:`PERFECT` / :data:`NO_PERFECT`: how to turn valid inputs into a perfect prediction
  (the loss is 0 there, or the stated ``expected`` value), or why there is none.
- :data:`MEAN_RULE`: how ``reduction="mean"`` follows from ``"none"`` (and ``"sum"``) when it
  is not the plain weighted rule ``sum(w * l) / sum(w)``.
- :data:`NOT_PERMUTABLE`: losses whose leading batch axis is not exchangeable.
- :data:`NO_BROADCAST`: losses whose second input cannot take a size-1 batch dimension.

Everything here is NumPy float64 written from the loss definitions (API.md), never lossapi.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lossapi._conformance.cases import class_axis_of

Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]

#: A logit far enough out that softplus(-BIG) = 3.7e-44: zero within every dtype's tolerance.
BIG = 100.0

# -- non-negativity -----------------------------------------------------------------------------

#: name -> why the per-element loss can be negative on valid inputs.
NOT_NONNEGATIVE: dict[str, str] = {
    "gaussian_nll": "0.5*log(var) is negative for var < 1 (a log-likelihood, not a distance)",
    "poisson_nll": "exp(x) - t*x (log_input) is negative for t > e near x = log t: a log-likelihood up to constants",
    "policy_gradient": "-log_prob * advantage: an objective whose sign follows the advantage",
    "ppo_clip": "-min(r*A, clip(r)*A): an objective whose sign follows the advantage",
}


# -- perfect predictions ------------------------------------------------------------------------


def _axis(options: Options, ndim: int) -> int:
    return class_axis_of(options, ndim)


def _onehot(labels: np.ndarray, num_classes: int, axis: int) -> np.ndarray:
    """One-hot float64 of integer ``labels`` with the class axis inserted at ``axis`` (labels out
    of range, e.g. an ignore_index of -100 or 255, give an all-zero row)."""
    y = np.asarray(labels).astype(np.int64)
    oh = (y[..., None] == np.arange(num_classes)).astype(np.float64)
    return np.moveaxis(oh, -1, axis)


def _harden(target: np.ndarray, axis: int) -> np.ndarray:
    """A class-probability target made one-hot at its argmax along ``axis``."""
    t = np.asarray(target, dtype=np.float64)
    idx = np.argmax(t, axis=axis)
    return _onehot(idx, t.shape[axis], axis % t.ndim)


def _sign(target: np.ndarray) -> np.ndarray:
    """A {-1, 1} sign target as +-1.0 (0 and False read as -1)."""
    return np.where(np.asarray(target).astype(np.float64) > 0, 1.0, -1.0)


def _as_dtype_of(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    like = np.asarray(like)
    return np.asarray(values).astype(like.dtype)


def _pred_is_target(first: str, second: str = "target") -> Callable[[Inputs, Options], Inputs]:
    def build(x: Inputs, o: Options) -> Inputs:
        return {**x, first: np.broadcast_to(x[second], np.shape(x[first])).astype(np.float64)}

    return build


def _target_is_pred(x: Inputs, o: Options) -> Inputs:
    return {**x, "target": np.array(x["pred"], dtype=np.float64)}


def _rmse(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    return {**x, "pred": np.array(x["target"], dtype=np.float64)}, np.sqrt(float(o.get("eps", 0.0)))


def _bce(x: Inputs, o: Options) -> Inputs:
    t = np.round(np.asarray(x["target"], dtype=np.float64))
    return {**x, "probs": t, "target": t}


def _bce_logits(x: Inputs, o: Options) -> Inputs:
    t = np.round(np.asarray(x["target"], dtype=np.float64))
    return {**x, "logits": np.where(t > 0, BIG, -BIG), "target": t}


def _class_input(first: str, scale: float, off: float = 0.0) -> Callable[[Inputs, Options], Inputs]:
    """``first`` = ``scale`` at the true class and ``off`` elsewhere; float class-probability
    targets are made one-hot first (with soft targets there is no zero-loss prediction)."""

    def build(x: Inputs, o: Options) -> Inputs:
        x = dict(x)
        z = np.asarray(x[first])
        ax = _axis(o, z.ndim)
        second = next(k for k in x if k != first)
        t = np.asarray(x[second])
        if t.dtype.kind in "iub" and t.ndim == z.ndim - 1:
            oh = _onehot(t, z.shape[ax], ax)
        else:
            oh = _harden(t, ax)
            x[second] = oh
        x[first] = np.where(oh > 0, scale, off)
        return x

    return build


def _nll(x: Inputs, o: Options) -> Inputs:
    return _class_input("log_probs", 0.0, -BIG)(x, o)


def _boxes(iou_eps: float | None) -> Callable[[Inputs, Options], tuple[Inputs, Any]]:
    """Identical boxes: iou = A / (A + eps), so the loss is eps / (A + eps); the giou / diou /
    ciou penalties are 0 (enclosing box = the box, centre distance 0, same aspect ratio).
    ``iou_eps``: the IoU's eps when the option does not set it (ciou: always 1e-7, its ``eps``
    only enters alpha, as torchvision)."""

    def build(x: Inputs, o: Options) -> tuple[Inputs, Any]:
        t = np.asarray(x["target"], dtype=np.float64)
        area = (t[..., 2] - t[..., 0]) * (t[..., 3] - t[..., 1])
        eps = float(o.get("eps", 1e-7)) if iou_eps is None else iou_eps
        return {**x, "boxes": t}, eps / (area + eps)

    return build


def _yolo(x: Inputs, o: Options) -> Inputs:
    t = np.asarray(x["target"], dtype=np.float64)
    ax = _axis(o, t.ndim)
    tl = np.moveaxis(t, ax, -1)
    # Class logits: BIG at the (one-hot) target class; box and confidence copied.
    pred = np.concatenate([tl[..., :5], np.where(tl[..., 5:] > 0.5, BIG, -BIG)], axis=-1)
    return {**x, "pred": np.moveaxis(pred, -1, ax)}


def _kl(x: Inputs, o: Options) -> Inputs:
    lp = np.asarray(x["log_probs"], dtype=np.float64)
    return {**x, "target": lp if o.get("log_target") else np.exp(lp)}


def _gkl(x: Inputs, o: Options) -> Inputs:
    return {**x, "target": np.exp(np.asarray(x["log_probs"], dtype=np.float64))}


def _feature_axis_sign(x: Inputs, o: Options, vec: str, sign_key: str) -> np.ndarray:
    """The per-element sign target expanded along the feature axis of ``vec``."""
    v = np.asarray(x[vec])
    return np.expand_dims(_sign(x[sign_key]), _axis(o, v.ndim))


def _cosine_distance(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    # pred == target: cos = |a|^2 / max(|a|, eps)^2, 1 for |a| >= eps (eps=0.3 is a case option).
    t = np.asarray(x["target"], dtype=np.float64)
    n2 = np.sum(t * t, axis=_axis(o, t.ndim))
    eps = float(o.get("eps", 1e-8))
    den = np.maximum(np.sqrt(n2), eps) ** 2
    return {**x, "pred": t}, 1.0 - np.where(den > 0, n2 / np.where(den > 0, den, 1.0), 0.0)


def _cosine_embedding(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    # x2 = sign(t) x1: cos = sign(t) |a|^2 / (|a|^2 + eps) (torch's eps placement), i.e. +-1 up
    # to eps: 1 - cos for t == 1, max(0, cos - margin) for t == -1, 0 for any other target.
    s = _feature_axis_sign(x, o, "x1", "target")
    x1 = np.asarray(x["x1"], dtype=np.float64)
    n2 = np.sum(x1 * x1, axis=_axis(o, x1.ndim))
    eps = float(o.get("eps", 1e-12))
    cos = np.squeeze(s, _axis(o, x1.ndim)) * n2 / (n2 + eps)
    t = np.asarray(x["target"])
    t = _sign(t) if t.dtype == bool else t.astype(np.float64)
    m = float(o.get("margin", 0.0))
    want = np.where(t == 1, 1.0 - cos, np.where(t == -1, np.maximum(0.0, cos - m), 0.0))
    return {**x, "x2": x1 * s}, want


def _contrastive(x: Inputs, o: Options) -> Inputs:
    sim = np.asarray(x["similar"])
    hard = (sim.astype(np.float64) > 0.5)
    x1 = np.asarray(x["x1"], dtype=np.float64)
    m = float(o.get("margin", 1.0))
    # Similar pairs coincide (d = 0); dissimilar ones are (m + 1) apart in every feature.
    keep = np.expand_dims(hard, _axis(o, x1.ndim))
    return {**x, "similar": _as_dtype_of(hard, sim), "x2": np.where(keep, x1, x1 + (m + 1.0))}


def _triplet(x: Inputs, o: Options) -> Inputs:
    a = np.asarray(x["anchor"], dtype=np.float64)
    m = float(o.get("margin", 1.0))
    # d(a, p) = 0 (+eps) and d(a, n) = d(p, n) >= m + 1: max(0, m + d_ap - d_an) = 0.
    return {**x, "positive": a, "negative": a + (m + 1.0)}


def _margin_ranking(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    # max(0, -t (x1 - x2) + m): targets are used as given (torch), so t = 0 leaves max(0, m).
    m = float(o.get("margin", 0.0))
    t = np.asarray(x["target"]).astype(np.float64) if np.asarray(x["target"]).dtype != bool else _sign(x["target"])
    x1 = np.asarray(x["x1"], dtype=np.float64)
    return {**x, "x2": x1 - np.sign(t) * (abs(m) + 1.0)}, np.where(t == 0, max(m, 0.0), 0.0)


def _hinge_embedding(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    # torch: d where t == 1, max(0, m - d) where t == -1, both for any other target (0, 2),
    # whose minimum is m (at 0 <= d <= m).
    m = float(o.get("margin", 1.0))
    t = np.asarray(x["target"])
    t = _sign(t) if t.dtype == bool else t.astype(np.float64)
    return {**x, "distances": np.where(t == -1, m + 1.0, 0.0)}, np.where((t == 1) | (t == -1), 0.0, m)


def _gan_discriminator(x: Inputs, o: Options) -> Inputs:
    real, fake = {"non_saturating": (BIG, -BIG), "least_squares": (1.0, 0.0), "hinge": (2.0, -2.0)}[
        o.get("kind", "non_saturating")]
    return {"real_logits": np.full(np.shape(x["real_logits"]), real),
            "fake_logits": np.full(np.shape(x["fake_logits"]), fake)}


def _gan_generator(x: Inputs, o: Options) -> Inputs:
    fake = {"non_saturating": BIG, "least_squares": 1.0}[o.get("kind", "non_saturating")]
    return {"fake_logits": np.full(np.shape(x["fake_logits"]), fake)}


def _signed_scores(scale: float) -> Callable[[Inputs, Options], Inputs]:
    def build(x: Inputs, o: Options) -> Inputs:
        s = scale if scale else float(o.get("margin", 1.0)) + 1.0
        return {**x, "scores": _sign(x["target"]) * s}

    return build


def _multiclass_hinge(x: Inputs, o: Options) -> Inputs:
    return _class_input("scores", float(o.get("margin", 1.0)) + 1.0)(x, o)


def _multilabel_soft_margin(x: Inputs, o: Options) -> Inputs:
    t = np.round(np.asarray(x["target"], dtype=np.float64))
    return {**x, "target": t, "logits": np.where(t > 0, BIG, -BIG)}


def _multilabel_margin(x: Inputs, o: Options) -> Inputs:
    y = np.asarray(x["labels"])
    ax = _axis(o, y.ndim)
    yl = np.moveaxis(y, ax, -1)
    member = np.zeros(yl.shape, dtype=bool)
    for idx in np.ndindex(yl.shape[:-1]):
        for c in yl[idx]:
            if c < 0:
                break  # the label list ends at the first -1
            member[(*idx, int(c))] = True
    # Every target class scores 2, every other class 0: each hinge 1 - (2 - 0) < 0.
    return {**x, "scores": np.moveaxis(np.where(member, 2.0, 0.0), -1, ax)}


def _ranknet(x: Inputs, o: Options) -> Inputs:
    r = np.asarray(x["relevance"]).astype(np.float64)
    ax = _axis(o, r.ndim)
    rl = np.moveaxis(r, ax, -1)
    # Items scored BIG * (number of items strictly less relevant): every ordered pair is
    # separated by at least BIG.
    below = np.sum(rl[..., :, None] > rl[..., None, :], axis=-1).astype(np.float64)
    return {**x, "scores": np.moveaxis(BIG * below, -1, ax)}


def _region(first: str) -> Callable[[Inputs, Options], Inputs]:
    """Region / segmentation losses: ``first`` = the target made hard (labels one-hot along the
    class axis, 0/1 maps kept, soft class probabilities one-hot at their argmax, soft binary
    maps rounded): then every overlap count equals both marginals."""

    def build(x: Inputs, o: Options) -> Inputs:
        x = dict(x)
        p = np.asarray(x[first])
        second = next(k for k in x if k != first)
        t = np.asarray(x[second])
        if t.ndim == p.ndim - 1:
            x[first] = _onehot(t, p.shape[_axis(o, p.ndim)], _axis(o, p.ndim))
            return x
        tf = t.astype(np.float64)
        if t.dtype.kind in "iub" or np.all((tf == 0) | (tf == 1)):
            hard = tf
        elif o.get("axis", -1) is None:
            hard = np.round(tf)
        else:
            hard = _harden(tf, _axis(o, p.ndim))
        x[second] = _as_dtype_of(hard, t)
        x[first] = hard
        return x

    return build


def _matthews(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    """Perfect region prediction; MCC is 0 by convention (sklearn) where its denominator is 0,
    i.e. where a group (the batch, or each sample with per_sample=True) holds a single class:
    the loss is 1 there."""
    x = _region("probs")(x, o)
    p = np.asarray(x["probs"])
    if o.get("axis", -1) is None:
        p = np.stack([1.0 - p, p], axis=-1)  # binary map: classes 0 and 1
        cax = p.ndim - 1
    else:
        cax = _axis(o, p.ndim)
    p = np.moveaxis(p, cax, -1)
    if o.get("per_sample", False):
        present = np.any(p.reshape(p.shape[0], -1, p.shape[-1]) > 0, axis=1)
    else:
        present = np.any(p.reshape(-1, p.shape[-1]) > 0, axis=0)
    return x, np.where(np.sum(present, axis=-1) <= 1, 1.0, 0.0)


def _lovasz_hinge(x: Inputs, o: Options) -> Inputs:
    y = np.asarray(x["labels"]).astype(np.float64)
    return {**x, "logits": np.where(y > 0.5, 2.0, -2.0)}


Builder = Callable[[Inputs, Options], "Inputs | tuple[Inputs, Any]"]

#: name -> builder(inputs, options) -> perfect inputs, or (perfect inputs, expected "none"
#: value). The expected value is 0 unless given.
PERFECT: dict[str, Builder] = {
    **{n: _pred_is_target("pred") for n in (
        "mean_squared_error", "mean_absolute_error", "huber", "smooth_l1", "pseudo_huber", "log_cosh",
        "quantile", "mean_absolute_percentage_error", "mean_squared_log_error", "tukey_biweight",
        "epsilon_insensitive", "general_robust")},
    "root_mean_squared_error": _rmse,
    "tweedie_deviance": _target_is_pred,
    "value_function": _pred_is_target("values", "returns"),
    "binary_cross_entropy": _bce,
    "binary_cross_entropy_with_logits": _bce_logits,
    "sigmoid_focal": _bce_logits,
    "cross_entropy": _class_input("logits", BIG),
    "poly1_cross_entropy": _class_input("logits", BIG),
    "softmax_focal": _class_input("logits", BIG),
    "nll": _nll,
    "categorical_cross_entropy": _class_input("probs", 1.0),
    "generalized_cross_entropy": _class_input("probs", 1.0),
    "brier_score": _region("probs"),
    "box_iou": _boxes(None),
    "giou": _boxes(None),
    "diou": _boxes(None),
    "ciou": _boxes(1e-7),
    "yolo": _yolo,
    "kl_divergence": _kl,
    "generalized_kl_divergence": _gkl,
    "js_divergence": _pred_is_target("probs"),
    "hellinger": _pred_is_target("probs"),
    "cosine_distance": _cosine_distance,
    "cosine_embedding": _cosine_embedding,
    "contrastive": _contrastive,
    "triplet_margin": _triplet,
    "margin_ranking": _margin_ranking,
    "hinge_embedding": _hinge_embedding,
    "gan_discriminator": _gan_discriminator,
    "gan_generator": _gan_generator,
    "hinge": _signed_scores(0.0),
    "squared_hinge": _signed_scores(0.0),
    "soft_margin": _signed_scores(BIG),
    "perceptron": _signed_scores(1.0),
    "multiclass_hinge": _multiclass_hinge,
    "categorical_hinge": _class_input("scores", 2.0),
    "multiclass_perceptron": _class_input("scores", 1.0),
    "sparsemax": _class_input("logits", 2.0),
    "multilabel_soft_margin": _multilabel_soft_margin,
    "multilabel_margin": _multilabel_margin,
    "ranknet": _ranknet,
    **{n: _region("probs") for n in (
        "dice", "jaccard", "tversky", "focal_tversky", "generalized_dice", "soft_f1")},
    "matthews": _matthews,
    "cohen_kappa": _region("probs"),
    "lovasz_softmax": _region("probs"),
    "lovasz_hinge": _lovasz_hinge,
}

#: name -> why no input gives the loss's zero (or a known value) at a "perfect prediction".
NO_PERFECT: dict[str, str] = {
    "gaussian_nll": "the 0.5*log(var) term: not 0 at pred == target",
    "poisson_nll": "a negative log-likelihood: exp(x) - t*x is t - t*log(t) at its optimum, not 0",
    "policy_gradient": "an objective, not a distance: no perfect prediction",
    "ppo_clip": "an objective, not a distance: no perfect prediction",
    "listnet": "cross-entropy -sum r_i log softmax(s)_i against unnormalised relevance: its minimum is not 0",
    "ntxent": "the negatives' exp(sim/T) > 0 in the denominator: the infimum 0 is not attained",
    "ctc": "-log of a sum over alignments: 0 needs a single-path distribution, not a perfect 'prediction'",
}


def perfect_options_ok(name: str, options: Options) -> str | None:
    """Why the option set ``options`` has no perfect prediction (None when it has one)."""
    if options.get("label_smoothing"):
        return "label smoothing: the smoothed target is never one-hot"
    if name == "yolo" and options.get("_soft"):
        return "soft class targets: the class cross-entropy is their entropy, not 0"
    if name in ("cohen_kappa", "matthews"):
        return None
    return None


# -- reduction rules ------------------------------------------------------------------------------


def _label_weight(y: np.ndarray, options: Options, ignore: bool = True) -> np.ndarray:
    """class_weight[y] * (y != ignore_index): the per-element weight of a label-indexed mean."""
    y = np.asarray(y).astype(np.int64)
    ii = options.get("ignore_index") if ignore else None
    keep = np.ones(y.shape, dtype=bool) if ii is None else (y != ii)
    cw = options.get("class_weight")
    safe = np.where(keep, y, 0)
    w = np.ones(y.shape) if cw is None else np.asarray(cw, dtype=np.float64)[safe]
    return np.where(keep, w, 0.0)


def _ce_weight(x: Inputs, o: Options) -> np.ndarray:
    t = np.asarray(x["target"])
    if t.dtype.kind == "f":
        return np.ones(1)  # class-probability targets: the plain mean (torch)
    return _label_weight(t, o)


def _ntxent_count(x: Inputs, o: Options) -> np.ndarray:
    y = np.asarray(x["labels"]).astype(np.int64)
    same = y[..., :, None] == y[..., None, :]
    return np.sum(same, axis=-1) - 1.0  # positives of each anchor: same label, not itself


def _ranknet_has_pair(x: Inputs, o: Options) -> np.ndarray:
    r = np.asarray(x["relevance"]).astype(np.float64)
    ax = _axis(o, r.ndim)
    return (np.max(r, axis=ax) > np.min(r, axis=ax)).astype(np.float64)


#: name -> per-element weight multiplying sample_weight in the denominator of "mean":
#: ``mean = sum(none) / sum(sample_weight * weight)`` ("none" already holds the weights).
MEAN_WEIGHT: dict[str, Callable[[Inputs, Options], np.ndarray]] = {
    "cross_entropy": _ce_weight,
    "nll": lambda x, o: _label_weight(x["labels"], o),
    "softmax_focal": lambda x, o: _label_weight(x["labels"], o),
    "multiclass_hinge": lambda x, o: _label_weight(x["labels"], o, ignore=False),
    "ntxent": _ntxent_count,
    "ranknet": _ranknet_has_pair,
}

#: The rule per loss whose "mean" is not ``sum(w * l) / sum(w)`` in the plain sense (documented
#: in API.md / the loss docstrings); each is checked by ``test_fuzz.py::expected_reductions``.
#: Every other loss follows the plain rule over its "none" entries, including the region losses
#: (dice, jaccard, tversky, lovasz, soft_f1, cohen_kappa, matthews, ...), whose "none" holds
#: one value per sample (``per_sample=True``) or one pooled 0-d value, and the composites of
#: ``lossapi.composition``, which are not catalog losses. In every case ``sum == sum(none)``.
MEAN_RULE: dict[str, str] = {
    "cross_entropy": "torch: sum(w*cw[y]*l) / sum(w*cw[y]) over non-ignored labels; probability targets: plain",
    "nll": "torch: sum(w*cw[y]*l) / sum(w*cw[y]) over non-ignored labels",
    "softmax_focal": "sum(w*cw[y]*l) / sum(w*cw[y]) over non-ignored labels (alpha is not in the denominator)",
    "multiclass_hinge": "sum(w*cw[y]*l) / sum(w*cw[y])",
    "ntxent": "optax: sum(w*L_i) / sum(w*|P(i)|), the mean over positive pairs",
    "ranknet": "lists without a pair (all relevances equal) weigh 0",
    "ctc": "torch: sum(w * l / max(label_length, 1)) / sum(w)",
    "yolo": "weighted mean over object cells + weighted mean over no-object cells (0 for an empty group)",
    "root_mean_squared_error": "sqrt(weighted mean of w*(p-t)^2 + eps); sum = sqrt(sum + eps); none = sqrt(w e^2 + eps)",
}

# -- permutation and broadcasting ---------------------------------------------------------------

#: name -> why permuting the leading batch axis (consistently in every per-sample input) may
#: change "mean"/"sum". Empty: every catalog loss treats its batch entries as exchangeable
#: (ntxent pairs rows by *labels*, not by position; the segmentation and ranking losses reduce
#: over the other axes first).
NOT_PERMUTABLE: dict[str, str] = {}

#: name -> why the second input cannot be given with a size-1 (broadcast) batch dimension.
NO_BROADCAST: dict[str, str] = {}
