"""Conformance of the segmentation losses (``lossapi.losses.segmentation``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracles for the segmentation losses.

Each oracle is written from its paper's definition in the most direct form: the inputs are cut
into groups of pixels (one per sample, or the whole batch when ``per_sample=False``), integer
labels are expanded into an explicit one-hot matrix, and every statistic is a plain sum per
class; the Lovász losses follow Berman et al.'s reference algorithm (drop ignored pixels, sort
the errors with ``np.argsort``, Lovász gradient from cumulative sums); the kappa and MCC
oracles build the confusion matrix pixel by pixel. Each returns the ``reduction="none"`` loss:
``(N,)`` per sample, 0-d pooled. Nothing here imports or calls lossapi.

Cases
-----
Conformance cases of the segmentation losses (``lossapi.losses.segmentation``).

The requested shape is ``(N, *spatial)``: the batch first, then the pixels (``(7,)`` is seven
one-pixel images). Class-axis losses draw ``C = 3`` classes, inserted at ``options["axis"]``
(``-1`` by default, ``1`` for channels-first); ``axis=None`` draws binary masks of the
requested shape. The "none" shape the checks use comes from the oracle: ``(N,)`` per sample,
``()`` pooled.

Case-only options (never passed to the loss):

- ``"_target"``: class-axis losses: ``"labels"`` (int64 class indices, default), ``"onehot"``,
  ``"bool"`` (one-hot booleans), ``"soft"`` (probabilities); binary masks: ``"float"`` (0/1,
  default), ``"int"``, ``"bool"``, ``"soft"``;
- ``"_labels"``: integer dtype of drawn labels (default int64);
- ``"_probs": "sigmoid"``: independent per-class probabilities instead of a softmax;
- ``"_hard": True``: one-hot (0/1) predictions, for the sklearn counterparts of the metric
  surrogates; every class then occurs in each sample's labels (when it has ``>= C`` pixels),
  so no class is absent from both prediction and target at a random point;
- ``"_every_class": True``: every class occurs in each sample's labels (when it has ``>= C``
  pixels), for smp, which scores classes absent from the target 0;
- ``"_ignore_pct"``: percentage of labels replaced by ``ignore_index`` (Lovász; an int, so
  that it is never mistaken for a traceable float option).

Random Lovász inputs keep every pair of errors (and hinge errors from 0) at least ``_GAP``
apart, so finite differences never cross a tie or a kink; ties, perfect predictions, empty
masks, absent classes and all-ignored images are edge points.

Counterparts
------------
Native counterparts of the segmentation losses (optax, keras, sklearn).

Mappings (what the documented API promises, and where each stops):

- optax ``dice_loss`` is the Tversky index per sample and class (``alpha`` on false
  positives), mean over classes: ``dice`` (alpha = beta = 0.5), ``jaccard`` (alpha = beta = 1)
  and ``tversky``. It takes a channels-last one-hot target (integer labels are expanded here)
  and probabilities with ``apply_softmax=False`` (which requires them to sum to 1: softmax
  probabilities, not the case-only ``"_probs": "sigmoid"``); binary masks go through its
  single-channel sigmoid path as ``logit(p)[..., None]``. Pooled statistics are its ``axis``
  over the batch and spatial axes. Its ``class_weights`` multiply the class losses before a
  plain mean: lossapi's ``class_weight`` ``w`` is optax's ``w * C / sum(w)``. Its Dice is
  ``(I + s) / ((P + T) / 2 + s)``: lossapi's ``dice(smooth=s)`` is optax's ``smooth=s / 2``
  (Jaccard and Tversky take ``smooth`` unchanged). optax's
  ``multiclass_generalized_dice_loss`` is a different quantity (no counterpart).
- keras ``dice``/``tversky`` have no smoothing and add 1e-7 to the denominator (so ``smooth=0``
  only, rtol 1e-6, soft predictions only and no exactly-zero loss: keras scores an empty class
  1, lossapi 0, and a perfect class eps / TP, lossapi 0); their
  ``axis`` sums the spatial axes (per sample) or everything but the classes (pooled) and the
  per-class values are averaged here. keras 3.15's ``tversky`` puts ``alpha`` on the false
  negatives: the callable detects the convention of the installed keras on the documented hand
  case and passes ``alpha``/``beta`` accordingly.
- smp's ``DiceLoss`` / ``JaccardLoss`` / ``TverskyLoss`` (``mode`` from the target: integer
  labels "multiclass", a one-hot target "multilabel", binary masks "binary"; ``from_logits``
  with an ``activation`` that matches the mode) pool the batch (``per_sample=False``), score a
  class absent from the target 0 (hence the case-only ``"_every_class"``) and take hard
  targets (their intersection is ``sum(min(p, t))``). smp's Dice is ``(I + s) / ((P + T) / 2 +
  s)``: lossapi's ``dice(smooth=s)`` is smp's ``smooth=s / 2``; Jaccard and Tversky take
  ``smooth`` unchanged; ``class_weights`` is ``class_weight``.
- sklearn's ``f1_score(average="macro")`` (``average="binary", zero_division=1.0`` for binary
  masks), ``cohen_kappa_score(labels=range(C), replace_undefined_by=1.0)`` and
  ``matthews_corrcoef`` at hard one-hot predictions (case-only ``"_hard": True``), per sample
  with ``per_sample=True``. The metrics' own ``sample_weight`` weighs pixels, not lossapi's
  samples: unweighted only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz, class_axis_of, reference_reduce
from ..counterparts import Counterpart, _jnp, _keras, _np, _reduce
from ..fuzz import BIG, class_input, region

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "cohen_kappa",
    "dice",
    "focal_tversky",
    "generalized_dice",
    "jaccard",
    "lovasz_hinge",
    "lovasz_softmax",
    "matthews",
    "soft_f1",
    "tversky",
]

#: A case's drawn inputs (input name -> NumPy array).
Inputs = dict[str, np.ndarray]
#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]
#: What a counterpart receives: the drawn inputs (read-only).
Arrays = Mapping[str, np.ndarray]


# ==================================================================================================
# Oracles
# ==================================================================================================

Groups = list[tuple[np.ndarray, np.ndarray]]


def _groups(
    probs: Any,
    target: Any,
    axis: Any,
    per_sample: bool,
    activation: Any = None,
    include_background: bool = True,
    ignore_index: Any = None,
    mask: Any = None,
    drop: bool = False,
) -> Groups:
    """``[(P, T)]``: per group a ``(pixels, C)`` probability matrix and its one-hot / float target.

    Binary masks (``axis=None``) have one class, the positive one. ``activation`` turns logits
    into probabilities; pixels labelled ``ignore_index`` or False in ``mask`` get zero rows in
    both (``drop``: are removed); ``include_background=False`` drops class 0.
    """
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(target)
    if activation == "sigmoid":
        p = 1.0 / (1.0 + np.exp(-p))
    elif activation == "softmax":
        ax = axis % p.ndim
        e = np.exp(p - p.max(axis=ax, keepdims=True))
        p = e / e.sum(axis=ax, keepdims=True)
    keep = np.ones(p.shape if axis is None else np.delete(np.array(p.shape), axis % p.ndim), dtype=bool)
    if mask is not None:
        keep = keep & np.broadcast_to(np.asarray(mask, dtype=bool), keep.shape)
    if ignore_index is not None and t.dtype.kind in "iu":
        keep = keep & (t.astype(np.int64) != ignore_index)
    B = p.shape[0]
    if axis is None:
        tf = np.broadcast_to(t.astype(np.float64), p.shape)
        P = p.reshape(B, -1, 1)
        T = tf.reshape(B, -1, 1)
    else:
        ax = axis % p.ndim
        pl = np.moveaxis(p, ax, -1)
        C = pl.shape[-1]
        if t.dtype.kind in "iu":
            onehot = np.zeros(pl.shape)
            for idx in np.ndindex(t.shape):
                k = int(t[idx])
                if 0 <= k < C:
                    hot = (*idx, k)  # named: mypy (3.11+ AST) takes t[(*a, b)] for the 3.11-only t[*a, b]
                    onehot[hot] = 1.0
            tl = onehot
        else:
            tl = np.broadcast_to(np.moveaxis(np.broadcast_to(t.astype(np.float64), p.shape), ax, -1), pl.shape)
        P = pl.reshape(B, -1, C)
        T = tl.reshape(B, -1, C)
    kept = keep.reshape(B, -1, 1).astype(np.float64)
    if drop:
        rows = keep.reshape(B, -1)
        groups = [(P[b][rows[b]], T[b][rows[b]]) for b in range(B)]
        if per_sample:
            return groups
        return [(np.concatenate([g[0] for g in groups]), np.concatenate([g[1] for g in groups]))]
    P, T = P * kept, T * kept
    if not include_background:
        P, T = P[..., 1:], T[..., 1:]
    if per_sample:
        return [(P[b], T[b]) for b in range(B)]
    return [(P.reshape(-1, P.shape[-1]), T.reshape(-1, T.shape[-1]))]


def _out(values: list[Any], per_sample: bool) -> np.ndarray:
    """Per-sample values (each a float, or per class a list), or the pooled group's."""
    out = np.array(values, dtype=np.float64)
    return out if per_sample else out[0]


def _class_mean(losses: list[float], class_weight: Any, per_class: bool = False) -> Any:
    """The class mean; with ``per_class`` the losses per class (times ``class_weight``)."""
    if per_class:
        return list(np.asarray(losses) * (1.0 if class_weight is None else np.asarray(class_weight, dtype=np.float64)))
    if class_weight is None:
        return float(np.mean(losses))
    w = np.asarray(class_weight, dtype=np.float64)
    return 0.0 if np.sum(w) == 0 else float(np.sum(w * np.array(losses)) / np.sum(w))


def _tversky_losses(
    P: np.ndarray, T: np.ndarray, alpha: float, beta: float, smooth: float, smooth_dr: Any = None
) -> list[float]:
    out = []
    s, s_dr = _smooths(smooth, smooth_dr)
    for c in range(P.shape[1]):
        p, t = P[:, c], T[:, c]
        tp = float(np.sum(p * t))
        fp = float(np.sum(p)) - tp  # sum p (1 - t) over the kept pixels
        fn = float(np.sum(t)) - tp
        den = tp + alpha * fp + beta * fn + s_dr
        out.append(0.0 if den == 0 else 1.0 - (tp + s) / den)
    return out


# -- overlap ---------------------------------------------------------------------------------------


def _smooths(smooth: Any, smooth_dr: Any) -> tuple[float, float]:
    return float(smooth), float(smooth if smooth_dr is None else smooth_dr)


def _cw(class_weight: Any, include_background: bool) -> Any:
    return class_weight if class_weight is None or include_background else np.asarray(class_weight)[1:]


def dice(
    probs: Any,
    target: Any,
    smooth: float = 1.0,
    class_weight: Any = None,
    per_sample: bool = True,
    axis: Any = -1,
    smooth_dr: Any = None,
    squared_pred: bool = False,
    include_background: bool = True,
    per_class: bool = False,
    **pixels: Any,
) -> np.ndarray:
    """``1 - (2 sum p t + s) / (sum p + sum t + s_dr)`` per class (0 for a 0/0 class), class mean;
    ``squared_pred``: sums of squares in the denominator."""
    vals = []
    s, s_dr = _smooths(smooth, smooth_dr)
    e = 2 if squared_pred else 1
    for P, T in _groups(probs, target, axis, per_sample, include_background=include_background, **pixels):
        losses = []
        for c in range(P.shape[1]):
            inter = float(np.sum(P[:, c] * T[:, c]))
            den = float(np.sum(P[:, c] ** e)) + float(np.sum(T[:, c] ** e)) + s_dr
            losses.append(0.0 if den == 0 else 1.0 - (2.0 * inter + s) / den)
        vals.append(_class_mean(losses, _cw(class_weight, include_background), per_class))
    return _out(vals, per_sample)


def jaccard(
    probs: Any,
    target: Any,
    smooth: float = 1.0,
    class_weight: Any = None,
    per_sample: bool = True,
    axis: Any = -1,
    smooth_dr: Any = None,
    squared_pred: bool = False,
    include_background: bool = True,
    per_class: bool = False,
    **pixels: Any,
) -> np.ndarray:
    """``1 - (|A and B| + s) / (|A or B| + s_dr)`` with soft counts, class mean; ``squared_pred``:
    ``|A or B| = sum p^2 + sum t^2 - sum p t``."""
    vals = []
    s, s_dr = _smooths(smooth, smooth_dr)
    e = 2 if squared_pred else 1
    for P, T in _groups(probs, target, axis, per_sample, include_background=include_background, **pixels):
        losses = []
        for c in range(P.shape[1]):
            inter = float(np.sum(P[:, c] * T[:, c]))
            union = float(np.sum(P[:, c] ** e + T[:, c] ** e - P[:, c] * T[:, c]))
            den = union + s_dr
            losses.append(0.0 if den == 0 else 1.0 - (inter + s) / den)
        vals.append(_class_mean(losses, _cw(class_weight, include_background), per_class))
    return _out(vals, per_sample)


def tversky(
    probs: Any,
    target: Any,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = 1.0,
    class_weight: Any = None,
    per_sample: bool = True,
    axis: Any = -1,
    smooth_dr: Any = None,
    include_background: bool = True,
    per_class: bool = False,
    **pixels: Any,
) -> np.ndarray:
    """``1 - (TP + s) / (TP + alpha FP + beta FN + s_dr)`` (alpha on false positives), class mean."""
    vals = [
        _class_mean(
            _tversky_losses(P, T, float(alpha), float(beta), smooth, smooth_dr),
            _cw(class_weight, include_background),
            per_class,
        )
        for P, T in _groups(probs, target, axis, per_sample, include_background=include_background, **pixels)
    ]
    return _out(vals, per_sample)


def focal_tversky(
    probs: Any,
    target: Any,
    alpha: float = 0.5,
    beta: float = 0.5,
    gamma: float = 0.75,
    smooth: float = 1.0,
    class_weight: Any = None,
    per_sample: bool = True,
    axis: Any = -1,
    smooth_dr: Any = None,
    include_background: bool = True,
    per_class: bool = False,
    **pixels: Any,
) -> np.ndarray:
    """Class mean of ``(1 - TI_c) ** gamma`` (Abraham & Khan 2019, per class)."""
    vals = []
    for P, T in _groups(probs, target, axis, per_sample, include_background=include_background, **pixels):
        base = _tversky_losses(P, T, float(alpha), float(beta), smooth, smooth_dr)
        vals.append(
            _class_mean(
                [b ** float(gamma) if b > 0 else 0.0 for b in base], _cw(class_weight, include_background), per_class
            )
        )
    return _out(vals, per_sample)


def generalized_dice(
    probs: Any,
    target: Any,
    smooth: float = 1e-5,
    per_sample: bool = True,
    axis: Any = -1,
    weight_type: str = "square",
    smooth_dr: Any = None,
    include_background: bool = True,
    **pixels: Any,
) -> np.ndarray:
    """Sudre et al. 2017 with ``w_c = 1 / (sum t_c)^2`` (``"simple"``: ``1 / sum t_c``,
    ``"uniform"``: 1); absent classes take the largest present weight, all absent: weights 0
    (MONAI)."""
    vals = []
    s, s_dr = _smooths(smooth, smooth_dr)
    power = {"square": 2, "simple": 1, "uniform": 0}[weight_type]
    for P, T in _groups(probs, target, axis, per_sample, include_background=include_background, **pixels):
        C = P.shape[1]
        vol = [float(np.sum(T[:, c])) for c in range(C)]
        inv = [1.0 / v**power if v > 0 or power == 0 else None for v in vol]
        finite = [x for x in inv if x is not None]
        fallback = max(finite) if finite else 0.0
        w = [fallback if x is None else x for x in inv]
        num = 2.0 * sum(w[c] * float(np.sum(P[:, c] * T[:, c])) for c in range(C)) + s
        den = sum(w[c] * (float(np.sum(P[:, c])) + vol[c]) for c in range(C)) + s_dr
        vals.append(0.0 if den == 0 else 1.0 - num / den)
    return _out(vals, per_sample)


# -- compound: Dice + a pixel term -------------------------------------------------------------------


def _class_last_pixels(logits: Any, target: Any, axis: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Z, T, K)``: logits ``(N, M, C)``, one-hot / float target ``(N, M, C)`` and the counted
    pixels ``(N, M)`` (False at labels outside ``[0, C)``); binary masks are one class."""
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(target)
    B = z.shape[0]
    if axis is None:
        return (
            z.reshape(B, -1, 1),
            np.broadcast_to(t.astype(np.float64), z.shape).reshape(B, -1, 1),
            np.ones((B, z[0].size), dtype=bool),
        )
    zl = np.moveaxis(z, axis % z.ndim, -1)
    C = zl.shape[-1]
    if t.dtype.kind in "iu":
        y = t.astype(np.int64).reshape(B, -1)
        counted = (y >= 0) & (y < C)
        T = (y[..., None] == np.arange(C)).astype(np.float64)
    else:
        T = np.moveaxis(np.broadcast_to(t.astype(np.float64), z.shape), axis % z.ndim, -1).reshape(B, -1, C)
        counted = np.ones(T.shape[:2], dtype=bool)
    return zl.reshape(B, -1, C), T, counted


def _pixel_ce(Z: np.ndarray, T: np.ndarray, label_smoothing: float) -> np.ndarray:
    """Cross-entropy per pixel, ``-sum_c t'_c log softmax(z)_c`` with ``t' = (1 - e) t + e / C``
    (torch's label smoothing, for class indices and probabilities alike)."""
    m = Z.max(axis=-1, keepdims=True)
    logp = Z - m - np.log(np.sum(np.exp(Z - m), axis=-1, keepdims=True))
    e = float(label_smoothing)
    ts = (1.0 - e) * T + e / Z.shape[-1]
    return -np.sum(np.where(ts == 0, 0.0, ts * logp), axis=-1)


def _pixel_focal(Z: np.ndarray, T: np.ndarray, gamma: float, alpha: Any, activation: str) -> np.ndarray:
    """Focal loss per pixel (softmax: ``-a sum_c t_c (1 - p_c)^g log p_c``, for labels
    ``-a (1 - p_y)^g log p_y``) or per pixel and class (sigmoid, Lin et al.: ``a_t (1 - p_t)^g BCE``)."""
    g = float(gamma)
    if activation == "softmax":
        # log p_c = -log(1 + sum_{k != c} exp(z_k - z_c)): accurate where p_c rounds to 1.
        C = Z.shape[-1]
        logp = np.stack(
            [-np.log1p(np.sum(np.exp(np.delete(Z, c, axis=-1) - Z[..., c : c + 1]), axis=-1)) for c in range(C)],
            axis=-1,
        )
        terms = np.where(T > 0, -T * (-np.expm1(logp)) ** g * logp, 0.0)
        out = np.sum(terms, axis=-1)
        return out if alpha is None else float(alpha) * out
    log_p, log_q = -np.logaddexp(0.0, -Z), -np.logaddexp(0.0, Z)  # log sigmoid(z), log(1 - sigmoid(z))
    bce = -(T * log_p + (1.0 - T) * log_q)
    p = np.exp(log_p)
    one_minus_pt = T * (1.0 - p) + (1.0 - T) * p
    out = one_minus_pt**g * bce
    if alpha is not None:
        a = float(alpha)
        out = (a * T + (1.0 - a) * (1.0 - T)) * out
    return out.reshape(out.shape[0], -1)


def _compound_sums(name: str, logits: Any, target: Any, options: Options) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(overlap, S, K)``: the weighted Dice term ("none" shape) and, per sample, the sum ``S``
    and the count ``K`` of the pixel term over the counted pixels."""
    axis = options.get("axis", -1)
    per_sample = options.get("per_sample", True)
    ignore = options.get("ignore_index")
    act = options.get("activation", "softmax")
    dice_opts = {k: options[k] for k in ("smooth_dr", "include_background", "squared_pred") if k in options}
    overlap = float(options.get("lambda_dice", 1.0)) * dice(
        logits,
        target,
        smooth=options.get("smooth", 1e-5),
        per_sample=per_sample,
        axis=axis,
        activation=act,
        ignore_index=ignore,
        **dice_opts,
    )
    Z, T, counted = _class_last_pixels(logits, target, axis)
    if name == "dice_cross_entropy":
        lam = float(options.get("lambda_ce", 1.0))
        per_pixel = lam * _pixel_ce(Z, T, options.get("label_smoothing", 0.0))
    else:
        lam = float(options.get("lambda_focal", 1.0))
        per_pixel = lam * _pixel_focal(Z, T, options.get("gamma", 2.0), options.get("alpha"), act)
    if ignore is not None and np.asarray(target).dtype.kind in "iu":
        counted = counted & (np.asarray(target).astype(np.int64).reshape(counted.shape) != ignore)
    if per_pixel.shape[1] != counted.shape[1]:  # sigmoid: every class of a pixel is an entry
        counted = np.repeat(counted, per_pixel.shape[1] // max(counted.shape[1], 1), axis=1)
    w = counted.astype(np.float64)
    S, K = np.sum(np.where(counted, per_pixel, 0.0), axis=1), np.sum(w, axis=1)
    if not per_sample:
        S, K = np.sum(S, keepdims=True), np.sum(K, keepdims=True)
    return overlap, S, K


def _compound(name: str) -> Callable[..., np.ndarray]:
    def oracle(logits: Any, target: Any, **options: Any) -> np.ndarray:
        """Dice term + the pixel term's mean over each sample's (or the pooled batch's) counted pixels."""
        overlap, S, K = _compound_sums(name, logits, target, options)
        mean = np.where(K > 0, S / np.where(K > 0, K, 1.0), 0.0)
        return overlap + (mean if options.get("per_sample", True) else mean[0])

    oracle.__name__ = name
    return oracle


def _reduce_compound(name: str) -> Callable[..., Any]:
    def reduce(
        inputs: Inputs, options: Options, reduction: str, sample_weight: np.ndarray | None, where: np.ndarray | None
    ) -> Any:
        """``"none"``/``"sum"`` by the weighted rule; ``"mean"``: the Dice term's weighted mean
        plus the pixel term's mean over every counted pixel of the batch."""
        if reduction != "mean":
            return reference_reduce(_compound(name)(**inputs, **options), reduction, sample_weight, where)
        overlap, S, K = _compound_sums(name, inputs["logits"], inputs["target"], options)
        w = np.ones(S.shape)
        if sample_weight is not None:
            w = w * np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), w.shape)
        if where is not None:
            w = np.where(np.broadcast_to(np.asarray(where, dtype=bool), w.shape), w, 0.0)
        num, den = np.sum(np.where(w > 0, w * S, 0.0)), np.sum(w * K)
        return reference_reduce(overlap, "mean", sample_weight, where) + (0.0 if den == 0 else num / den)

    return reduce


# -- Lovász --------------------------------------------------------------------------------------


def _lovasz_grad(gt_sorted: np.ndarray) -> np.ndarray:
    """Berman et al.'s ``lovasz_grad``: Jaccard loss increments along the sorted pixels."""
    gts = gt_sorted.sum()
    intersection = gts - np.cumsum(gt_sorted)
    union = gts + np.cumsum(1.0 - gt_sorted)
    jaccard = 1.0 - intersection / union
    if len(gt_sorted) > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def _label_groups(labels: Any, per_sample: bool) -> list[np.ndarray]:
    y = np.asarray(labels)
    B = y.shape[0]
    flat = y.reshape(B, -1)
    return [flat[b] for b in range(B)] if per_sample else [flat.reshape(-1)]


def lovasz_softmax(
    probs: Any,
    labels: Any,
    ignore_index: Any = None,
    classes: str = "present",
    per_sample: bool = False,
    axis: int = -1,
) -> np.ndarray:
    """Berman et al.'s ``lovasz_softmax_flat`` on each group (ignored pixels removed first)."""
    p = np.asarray(probs, dtype=np.float64)
    pl = np.moveaxis(p, axis % p.ndim, -1)
    C = pl.shape[-1]
    B = pl.shape[0]
    prob_groups = [pl[b].reshape(-1, C) for b in range(B)] if per_sample else [pl.reshape(-1, C)]
    vals = []
    for P, y in zip(prob_groups, _label_groups(labels, per_sample)):
        if ignore_index is not None:
            keep = y != ignore_index
            P, y = P[keep], y[keep]
        if len(y) == 0:
            vals.append(0.0)
            continue
        losses = []
        for c in range(C):
            fg = (y == c).astype(np.float64)
            if classes == "present" and fg.sum() == 0:
                continue
            errors = np.abs(fg - P[:, c])
            order = np.argsort(-errors, kind="stable")
            losses.append(float(np.dot(errors[order], _lovasz_grad(fg[order]))))
        vals.append(float(np.mean(losses)) if losses else 0.0)
    return _out(vals, per_sample)


def lovasz_hinge(logits: Any, labels: Any, per_sample: bool = True, ignore_index: Any = None) -> np.ndarray:
    """Berman et al.'s ``lovasz_hinge_flat`` per image (or on the flattened batch)."""
    x = np.asarray(logits, dtype=np.float64)
    B = x.shape[0]
    y_all = np.broadcast_to(np.asarray(labels), x.shape)
    xg = [x[b].reshape(-1) for b in range(B)] if per_sample else [x.reshape(-1)]
    vals = []
    for s, y in zip(xg, _label_groups(y_all, per_sample)):
        if ignore_index is not None:
            keep = y != ignore_index
            s, y = s[keep], y[keep]
        if len(y) == 0:
            vals.append(0.0)
            continue
        yf = y.astype(np.float64)
        signs = 2.0 * yf - 1.0
        errors = 1.0 - s * signs
        order = np.argsort(-errors, kind="stable")
        vals.append(float(np.dot(np.maximum(errors[order], 0.0), _lovasz_grad(yf[order]))))
    return _out(vals, per_sample)


# -- metric surrogates -----------------------------------------------------------------------------


def soft_f1(probs: Any, target: Any, per_sample: bool = False, axis: Any = -1, **pixels: Any) -> np.ndarray:
    """``1 - mean_c 2TP / (2TP + FP + FN)`` over the classes with ``2TP + FP + FN > 0`` (0 if none);
    ``pixels``: ``activation``, ``ignore_index``, ``mask`` (left-out pixels removed)."""
    vals = []
    for P, T in _groups(probs, target, axis, per_sample, drop=True, **pixels):
        f1s = []
        for c in range(P.shape[1]):
            p, t = P[:, c], T[:, c]
            tp = float(np.sum(p * t))
            fp = float(np.sum(p * (1.0 - t)))
            fn = float(np.sum((1.0 - p) * t))
            den = 2.0 * tp + fp + fn
            if den != 0:
                f1s.append(2.0 * tp / den)
        vals.append(1.0 - float(np.mean(f1s)) if f1s else 0.0)
    return _out(vals, per_sample)


def _confusion(P: np.ndarray, T: np.ndarray, binary: bool) -> np.ndarray:
    """Soft confusion matrix ``O[i, j] = sum_n T[n, i] P[n, j]`` (binary: classes [1 - p, p])."""
    if binary:
        P = np.concatenate([1.0 - P, P], axis=1)
        T = np.concatenate([1.0 - T, T], axis=1)
    C = P.shape[1]
    O = np.zeros((C, C))  # noqa: E741
    for n in range(P.shape[0]):
        for i in range(C):
            for j in range(C):
                O[i, j] += T[n, i] * P[n, j]
    return O


def cohen_kappa(
    probs: Any, labels: Any, weights: Any = "quadratic", per_sample: bool = False, axis: Any = -1
) -> np.ndarray:
    """``sum(W O) / sum(W E)`` with ``E = outer(rows, cols) / total`` (sklearn's kappa, as 1 - kappa);
    0 where the expected disagreement is 0."""
    vals = []
    for P, T in _groups(probs, labels, axis, per_sample):
        O = _confusion(P, T, axis is None)  # noqa: E741
        C = O.shape[0]
        W = np.empty((C, C))
        for i in range(C):
            for j in range(C):
                W[i, j] = (
                    (i - j) ** 2 if weights == "quadratic" else (abs(i - j) if weights == "linear" else float(i != j))
                )
        total = O.sum()
        if total == 0:
            vals.append(0.0)
            continue
        E = np.outer(O.sum(axis=1), O.sum(axis=0)) / total
        den = float(np.sum(W * E))
        vals.append(0.0 if den == 0 else float(np.sum(W * O)) / den)
    return _out(vals, per_sample)


def matthews(probs: Any, target: Any, per_sample: bool = False, axis: Any = -1, **pixels: Any) -> np.ndarray:
    """``1 - MCC`` with Gorodkin's multiclass formula (sklearn's), MCC = 0 for a zero denominator;
    ``pixels``: ``activation``, ``ignore_index``, ``mask`` (left-out pixels removed)."""
    vals = []
    for P, T in _groups(probs, target, axis, per_sample, drop=True, **pixels):
        O = _confusion(P, T, axis is None)  # noqa: E741
        t_sum, p_sum = O.sum(axis=1), O.sum(axis=0)
        n_correct, n = float(np.trace(O)), float(O.sum())
        cov_ytyp = n_correct * n - float(np.dot(t_sum, p_sum))
        cov_ypyp = n**2 - float(np.dot(p_sum, p_sum))
        cov_ytyt = n**2 - float(np.dot(t_sum, t_sum))
        mcc = 0.0 if cov_ypyp * cov_ytyt <= 0 else cov_ytyp / np.sqrt(cov_ytyt * cov_ypyp)
        vals.append(1.0 - mcc)
    return _out(vals, per_sample)


# ==================================================================================================
# Cases
# ==================================================================================================

C = 3
#: Class weights (exact in every float dtype).
_CW = np.array([0.5, 2.0, 1.0])
_GAP = 1e-4
_TRIES = 200
_IGNORE = 255


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _i(a: Any, dtype: Any = np.int64) -> np.ndarray:
    return np.asarray(a, dtype=dtype)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _to_axis(x: np.ndarray, options: Options) -> np.ndarray:
    """``x`` drawn with the class axis last, moved to ``options["axis"]``."""
    return np.moveaxis(x, -1, class_axis_of(options, x.ndim))


def _labels(rng: np.random.Generator, shape: tuple[int, ...], every_class: bool) -> np.ndarray:
    """int64 labels of ``shape``; with ``every_class``, each sample holds every class when it can."""
    y = rng.integers(0, C, size=shape)
    if every_class:
        flat = y.reshape(shape[0], -1)
        m = flat.shape[1]
        if m >= C:
            for b in range(shape[0]):
                flat[b, rng.choice(m, C, replace=False)] = np.arange(C)
        y = flat.reshape(shape)
    return y.astype(np.int64)


def _draw(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (logits with an ``activation``) and a target per the options; with
    ``ignore_index``, about a quarter of the integer labels hold it."""
    p, t = _draw_probs(rng, shape, options)
    if options.get("activation") is not None:
        p = rng.normal(0.0, 2.0, p.shape)
    ignore = options.get("ignore_index")
    if ignore is not None and t.dtype.kind in "iu":
        t = np.where(rng.random(t.shape) < 0.25, ignore, t).astype(t.dtype)
    return p, t


def _draw_probs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and a target per the case-only options (see the module docstring)."""
    hard = bool(options.get("_hard", False))
    kind = options.get("_target")
    if options.get("axis", -1) is None:
        p = (rng.random(shape) < 0.5).astype(np.float64) if hard else _sigmoid(rng.normal(0.0, 1.5, shape))
        y = rng.random(shape) < 0.4
        if kind == "int":
            return p, y.astype(np.int64)
        if kind == "bool":
            return p, y
        if kind == "soft":
            return p, rng.random(shape)
        return p, y.astype(np.float64)
    labels = _labels(rng, shape, every_class=hard or bool(options.get("_every_class", False)))
    if hard:
        p = np.eye(C)[rng.integers(0, C, size=shape)]
    elif options.get("_probs") == "sigmoid":
        p = _sigmoid(rng.normal(0.0, 1.5, (*shape, C)))
    else:
        p = _softmax(rng.normal(0.0, 1.5, (*shape, C)))
    kind = kind or "labels"
    if kind == "labels":
        return _to_axis(p, options), labels.astype(options.get("_labels", "int64"))
    if kind == "soft":
        t = _softmax(rng.normal(0.0, 1.5, (*shape, C)))
    else:
        t = np.eye(C)[labels]
        if kind == "bool":
            t = t.astype(bool)
    return _to_axis(p, options), _to_axis(t, options)


def _make(first: str = "probs", second: str = "target") -> Any:
    def make(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
        p, t = _draw(rng, shape, options)
        return {first: p, second: t}

    return make


def _pt(p: Any, t: Any, second: str = "target") -> Inputs:
    t = np.asarray(t)
    return {"probs": _f(p), second: t if t.dtype.kind in "iub" else _f(t)}


# -- shared edge points ------------------------------------------------------------------------------

# One sample of four pixels, three classes (class 2 absent from labels and predictions).
_P_ABSENT = _f([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
_Y_ABSENT = _i([[0, 1, 1, 1]])
_P_SOFT = _f(
    [
        [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.05, 0.15, 0.8]],
        [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.25, 0.25, 0.5], [0.4, 0.4, 0.2]],
    ]
)
_Y_SOFT = _i([[0, 1, 2, 2], [1, 0, 2, 0]])
_Y_BACKGROUND = _i([[0, 0, 0, 0], [0, 0, 0, 0]])
_NCHW_P = np.moveaxis(_f([[[[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], [[0.3, 0.3, 0.4], [0.05, 0.15, 0.8]]]]), -1, 1)
_NCHW_Y = _i([[[0, 1], [2, 2]]])
#: Lovász edges: within each class, no two of the values p and 1 - p coincide (no error ties).
_P_LOV = _f(
    [
        [[0.125, 0.713, 0.162], [0.146, 0.327, 0.527], [0.092, 0.869, 0.039], [0.84, 0.066, 0.094]],
        [[0.684, 0.194, 0.122], [0.179, 0.534, 0.287], [0.196, 0.719, 0.085], [0.11, 0.103, 0.787]],
    ]
)
_BIN_P = _f([[0.9, 0.2, 0.6, 0.1], [0.3, 0.8, 0.7, 0.4]])
_BIN_T = _f([[1, 0, 1, 0], [0, 0, 0, 0]])


def _overlap_edges(perfect_kink: bool = False) -> tuple[Edge, ...]:
    """Edges every overlap loss visits (plus their own); ``perfect_kink``: the loss has no
    derivative at a perfect prediction (focal Tversky with gamma < 1)."""
    return (
        Edge("soft, two samples", _pt(_P_SOFT, _Y_SOFT)),
        Edge("perfect one-hot prediction", _pt(_P_ABSENT, _i([[0, 1, 0, 1]])), kink=perfect_kink),
        # smooth = 0: class 2 is 0/0 (loss 0 by definition): a jump, hence a kink.
        Edge("class absent from both, smooth = 0", _pt(_P_ABSENT, _Y_ABSENT), {"smooth": 0.0}, kink=True),
        Edge("class absent from both, smooth = 1", _pt(_P_ABSENT, _Y_ABSENT)),
        Edge("all background labels", _pt(_P_SOFT, _Y_BACKGROUND)),
        Edge("channels-first (N, C, H, W)", _pt(_NCHW_P, _NCHW_Y), {"axis": 1}),
        Edge("uint8 labels, pooled", _pt(_P_SOFT, _i(_Y_SOFT, np.uint8)), {"per_sample": False}),
        Edge("binary masks, one empty", _pt(_BIN_P, _BIN_T), {"axis": None}),
        Edge(
            "empty mask, nothing predicted, smooth = 0",
            _pt(np.zeros((1, 4)), np.zeros((1, 4))),
            {"axis": None, "smooth": 0.0},
            kink=True,
        ),
        Edge("empty mask, nothing predicted", _pt(np.zeros((1, 4)), _i(np.zeros((1, 4)))), {"axis": None}),
        Edge("bool one-hot target, class weights", _pt(_P_SOFT, np.eye(C, dtype=bool)[_Y_SOFT]), {"class_weight": _CW}),
        Edge("pixel mask", _pt(_P_SOFT, _Y_SOFT), {"mask": np.array([[1, 0, 1, 1], [0, 1, 1, 0]], dtype=bool)}),
        # Every pixel of sample 0 left out: its classes are empty (loss 0), gradients finite.
        Edge(
            "one image fully masked, per class",
            _pt(_P_SOFT, _Y_SOFT),
            {"mask": np.array([[0, 0, 0, 0], [1, 1, 0, 1]], dtype=bool), "per_class": True},
        ),
        Edge("binary masks, pixel mask", _pt(_BIN_P, _BIN_T), {"axis": None, "mask": _BIN_T[::-1] > 0}),
    )


_OVERLAP_OPTIONS: tuple[Options, ...] = (
    {},
    {"smooth": 0.0},
    {"smooth": 0.5, "_target": "onehot"},
    {"class_weight": _CW},
    {"per_sample": False},
    {"axis": 1},
    {"axis": 1, "_target": "soft", "class_weight": _CW, "per_sample": False},
    {"axis": None},
    {"axis": None, "_target": "int", "smooth": 0.0, "per_sample": False},
    {"axis": None, "_target": "soft", "smooth": 2.0},
    {"_probs": "sigmoid", "_target": "onehot", "smooth": 0.25},
    {"_target": "bool", "_labels": "int32"},
    {"_labels": "int32", "smooth": 0.0, "class_weight": _CW},
    # The options that reproduce MONAI / smp configurations.
    {"activation": "softmax", "axis": 1, "smooth": 1e-5},
    {"activation": "softmax", "include_background": False, "class_weight": _CW, "per_sample": False},
    {"activation": "sigmoid", "axis": None, "smooth": 0.5, "smooth_dr": 2.0},
    {"activation": "sigmoid", "_target": "onehot", "include_background": False, "smooth": 0.0},
    {"ignore_index": 255, "smooth": 0.5},
    {"ignore_index": 1, "axis": 1, "per_sample": False, "activation": "softmax", "smooth_dr": 0.25},
)
_OVERLAP_OPTIONS += (
    {"per_class": True, "activation": "softmax", "include_background": False},
    {"per_class": True, "per_sample": False, "axis": 1, "_target": "onehot"},
)
#: Dice and Jaccard also take sums of squares in the denominator.
_SQUARED_OPTIONS: tuple[Options, ...] = (
    *_OVERLAP_OPTIONS,
    {"squared_pred": True},
    {"squared_pred": True, "activation": "softmax", "axis": 1, "include_background": False, "smooth": 1e-5},
)


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _perfect_matthews(x: Inputs, o: Options) -> tuple[Inputs, Any]:
    """Perfect region prediction; MCC is 0 by convention (sklearn) where its denominator is 0,
    i.e. where a group (the batch, or each sample with per_sample=True) holds a single class:
    the loss is 1 there."""
    x = region("probs")(x, o)
    p = np.asarray(x["probs"])
    if o.get("activation") == "sigmoid":  # logits of +-60: the probabilities are 0 or 1
        p = _sigmoid(p)
    elif o.get("activation") == "softmax":
        p = np.moveaxis(_softmax(np.moveaxis(p, class_axis_of(o, p.ndim), -1)), -1, class_axis_of(o, p.ndim))
    if o.get("axis", -1) is None:
        p = np.stack([1.0 - p, p], axis=-1)  # binary map: classes 0 and 1
        cax = p.ndim - 1
    else:
        cax = class_axis_of(o, p.ndim)
    p = np.moveaxis(p, cax, -1)
    if o.get("per_sample", False):
        present = np.any(p.reshape(p.shape[0], -1, p.shape[-1]) > 0, axis=1)
    else:
        present = np.any(p.reshape(-1, p.shape[-1]) > 0, axis=0)
    return x, np.where(np.sum(present, axis=-1) <= 1, 1.0, 0.0)


def _perfect_lovasz_hinge(x: Inputs, o: Options) -> Inputs:
    y = np.asarray(x["labels"]).astype(np.float64)
    return {**x, "logits": np.where(y > 0.5, 2.0, -2.0)}


# -- plot sweeps shared by several losses -----------------------------------------------------------

#: The plot sweep of the label-map losses (cohen_kappa, lovasz_softmax): one image per sweep point.
_CLASS_MAP_SWEEP = sweeps.Sweep(
    **{
        **sweeps.SEGMENTATION,
        "build": sweeps.segmentation_classes,
        "fixed": {"per_sample": True},
        "description": f"one image of 4 pixels, labels (1, 1, 0, 0), 2 classes; foreground "
        f"probability p on the foreground pixels, {sweeps.BACKGROUND} on the background",
    }
)


def _unequal_smoothing(default: float) -> Any:
    """Option sets without a zero at a perfect prediction: a denominator smoothing that differs
    from the numerator's leaves ``1 - (I + s) / (I + s_dr)``."""

    def reason(o: Options) -> str | None:
        s_dr = o.get("smooth_dr")
        if s_dr is None or float(s_dr) == float(o.get("smooth", default)):
            return None
        return "smooth_dr differs from smooth: a perfect prediction scores 1 - (I + s) / (I + s_dr)"

    return reason


_DICE = Case(
    name="dice",
    make_inputs=_make(),
    oracle=dice,
    options=_SQUARED_OPTIONS,
    differentiable=("probs",),
    edges=_overlap_edges(),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.SEGMENTATION),
    fuzz=Fuzz(perfect=region("probs"), no_perfect_options=_unequal_smoothing(1.0)),
)

_JACCARD = Case(
    name="jaccard",
    make_inputs=_make(),
    oracle=jaccard,
    options=_SQUARED_OPTIONS,
    differentiable=("probs",),
    edges=_overlap_edges(),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.SEGMENTATION),
    fuzz=Fuzz(perfect=region("probs"), no_perfect_options=_unequal_smoothing(1.0)),
)

_TVERSKY_OPTIONS: tuple[Options, ...] = (
    *_OVERLAP_OPTIONS[:4],
    {"alpha": 1.0, "beta": 0.0, "smooth": 0.0},
    {"alpha": 0.3, "beta": 0.7},
    {"alpha": 0.7, "beta": 0.3, "axis": 1, "per_sample": False, "_target": "onehot"},
    {"alpha": 2.0, "beta": 1.0, "axis": None, "class_weight": np.array([3.0])},
    {"alpha": 0.0, "beta": 1.0, "axis": None, "_target": "soft", "smooth": 0.5},
    {"alpha": 1.0, "beta": 1.0, "_probs": "sigmoid", "_target": "soft", "class_weight": _CW},
    {"alpha": 0.3, "beta": 0.7, "activation": "softmax", "axis": 1, "include_background": False, "smooth": 1e-5},
    {"alpha": 0.6, "beta": 0.4, "ignore_index": 255, "smooth_dr": 2.0},
    {"alpha": 0.7, "beta": 0.3, "per_class": True, "activation": "sigmoid", "_target": "onehot"},
)


def _tversky_edges(extra: tuple[Edge, ...] = (), perfect_kink: bool = False) -> tuple[Edge, ...]:
    return (
        *_overlap_edges(perfect_kink),
        # The documented hand case: y = [1, 1, 0, 0], y_hat = [1, 0, 1, 1], alpha = 1 (FP), beta = 0 -> 2/3
        Edge(
            "y=[1,1,0,0], y_hat=[1,0,1,1], alpha=1, beta=0",
            _pt([[1.0, 0.0, 1.0, 1.0]], [[1.0, 1.0, 0.0, 0.0]]),
            {"axis": None, "alpha": 1.0, "beta": 0.0, "smooth": 0.0},
        ),
        # alpha = 1, beta = 0 and no false positive, no true positive: the index is 0/0 (loss 0).
        Edge(
            "no TP, no FP, beta = 0 (0/0)",
            _pt([[0.0, 0.0, 0.0, 0.0]], [[1.0, 1.0, 0.0, 0.0]]),
            {"axis": None, "alpha": 1.0, "beta": 0.0, "smooth": 0.0},
            kink=True,
        ),
        *extra,
    )


_TVERSKY = Case(
    name="tversky",
    make_inputs=_make(),
    oracle=tversky,
    options=_TVERSKY_OPTIONS,
    differentiable=("probs",),
    edges=_tversky_edges(),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.SEGMENTATION),
    fuzz=Fuzz(perfect=region("probs"), no_perfect_options=_unequal_smoothing(1.0)),
)

_FOCAL_TVERSKY = Case(
    name="focal_tversky",
    make_inputs=_make(),
    oracle=focal_tversky,
    options=(
        *_TVERSKY_OPTIONS,
        {"gamma": 0.5},
        {"gamma": 2.0, "alpha": 0.7, "beta": 0.3, "per_sample": False},
        {"gamma": 1.0, "axis": None, "_target": "soft"},
        {"gamma": 4.0 / 3.0, "axis": 1, "_target": "onehot", "class_weight": _CW},
    ),
    differentiable=("probs",),
    edges=_tversky_edges(
        (
            # gamma < 1 at a perfect class: x ** gamma has an infinite derivative at 0 (kink, grad 0).
            Edge(
                "perfect binary mask, gamma = 0.5",
                _pt([[1.0, 0.0, 1.0]], [[1.0, 0.0, 1.0]]),
                {"axis": None, "gamma": 0.5, "smooth": 0.0},
                kink=True,
            ),
        ),
        perfect_kink=True,
    ),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.SEGMENTATION),
    fuzz=Fuzz(perfect=region("probs"), no_perfect_options=_unequal_smoothing(1.0)),
    invalid_options={"gamma": [0.0, -1.0]},
)

_GENERALIZED_DICE = Case(
    name="generalized_dice",
    make_inputs=_make(),
    oracle=generalized_dice,
    options=(
        {},
        {"smooth": 0.0},
        {"smooth": 1.0, "_target": "onehot"},
        {"per_sample": False},
        {"axis": 1, "_target": "soft"},
        {"axis": 1, "per_sample": False, "_labels": "uint8"},
        {"axis": None},
        {"axis": None, "_target": "bool", "smooth": 0.0, "per_sample": False},
        {"_probs": "sigmoid", "_target": "soft", "smooth": 0.1},
        {"weight_type": "simple"},
        {"weight_type": "uniform", "axis": 1, "activation": "softmax", "per_sample": False},
        {"weight_type": "simple", "include_background": False, "ignore_index": 255, "smooth_dr": 1e-3},
        {"activation": "sigmoid", "axis": None, "smooth": 1e-5, "smooth_dr": 1e-5},
    ),
    # The weights 1/(sum t)^2 jump where a class appears in the target: probabilities only.
    differentiable=("probs",),
    edges=(
        Edge("soft, two samples", _pt(_P_SOFT, _Y_SOFT)),
        Edge(
            "pixel mask, one image fully masked",
            _pt(_P_SOFT, _Y_SOFT),
            {"mask": np.array([[0, 0, 0, 0], [1, 1, 0, 1]], dtype=bool)},
        ),
        Edge("absent class takes the largest present weight", _pt(_P_ABSENT, _Y_ABSENT), {"smooth": 0.0}),
        Edge("all background labels", _pt(_P_SOFT, _Y_BACKGROUND)),
        Edge("channels-first (N, C, H, W)", _pt(_NCHW_P, _NCHW_Y), {"axis": 1}),
        Edge("binary masks, one empty (weights 0: no signal)", _pt(_BIN_P, _BIN_T), {"axis": None}),
        Edge(
            "empty mask, nothing predicted, smooth = 0",
            _pt(np.zeros((1, 4)), np.zeros((1, 4))),
            {"axis": None, "smooth": 0.0},
            kink=True,
        ),
        Edge("perfect one-hot prediction, pooled", _pt(_P_ABSENT, _i([[0, 1, 0, 1]])), {"per_sample": False}),
    ),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.SEGMENTATION),
    fuzz=Fuzz(perfect=region("probs"), no_perfect_options=_unequal_smoothing(1e-5)),
)


# -- compound: Dice + a pixel term -------------------------------------------------------------------


def _compound_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    """Logits and a target per the case-only options (with ``ignore_index``, a quarter of the labels)."""
    _, t = _draw(rng, shape, {**options, "activation": "softmax"})
    z = _to_axis(rng.normal(0.0, 2.0, (*shape, C)), options) if options.get("axis", -1) is not None else None
    return {"logits": rng.normal(0.0, 2.0, shape) if z is None else z, "target": t}


def _perfect_compound(x: Inputs, o: Options) -> Inputs:
    """Logits of +-BIG toward the one-hot target (class probabilities made one-hot first)."""
    if o.get("axis", -1) is None:
        t = np.asarray(x["target"]).astype(np.float64)
        t = (t > 0.5).astype(np.float64)
        return {**x, "logits": np.where(t > 0, BIG, -BIG), "target": t}
    return class_input("logits", BIG, -BIG)(x, o)


def _zx(z: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    y = np.asarray(y)
    return {"logits": _f(z), "target": y.astype(dtype) if y.dtype.kind in "iub" else _f(y)}


_Z_SOFT = np.log(_P_SOFT) * 1.5  # logits whose softmax is sharper than _P_SOFT


def _compound_edges(sigmoid: dict[str, Any]) -> tuple[Edge, ...]:
    """Edges of both compound losses; ``sigmoid``: the options that select the sigmoid form (or {})."""
    all_ignored = _i([[_IGNORE] * 4, [0, 1, _IGNORE, 2]])
    return (
        Edge("soft, two samples", _zx(_Z_SOFT, _Y_SOFT)),
        Edge("channels-first (N, C, H, W)", _zx(np.log(_NCHW_P), _NCHW_Y), {"axis": 1}),
        Edge("all background labels, pooled", _zx(_Z_SOFT, _Y_BACKGROUND), {"per_sample": False}),
        Edge("class absent from the labels, smooth = 0", _zx(_Z_SOFT, _Y_ABSENT[[0, 0]]), {"smooth": 0.0}),
        Edge("saturated logits (+-60)", _zx(np.where(np.eye(C)[_Y_SOFT] > 0, 60.0, -60.0), _Y_SOFT)),
        Edge(
            "one-hot float target, no background",
            _zx(_Z_SOFT, np.eye(C)[_Y_SOFT]),
            {**sigmoid, "include_background": False},
        ),
        Edge("sigmoid form", _zx(_Z_SOFT, _Y_SOFT), sigmoid),
        Edge("binary masks, sigmoid form", _zx(np.log(_BIN_P / (1 - _BIN_P)), _BIN_T), {**sigmoid, "axis": None})
        if sigmoid
        else Edge("uint8 labels", _zx(_Z_SOFT, _i(_Y_SOFT, np.uint8))),
        Edge("one image entirely ignored", _zx(_Z_SOFT, all_ignored), {"ignore_index": _IGNORE})
        if not sigmoid
        else Edge(
            "alpha, gamma 0.5, weighted terms", _zx(_Z_SOFT, _Y_SOFT), {"alpha": 0.3, "gamma": 0.5, "lambda_dice": 2.0}
        ),
    )


def _no_perfect_soft(o: Options) -> str | None:
    return "probability targets: no one-hot target" if o.get("_target") == "soft" else None


_DICE_CROSS_ENTROPY = Case(
    name="dice_cross_entropy",
    make_inputs=_compound_inputs,
    oracle=_compound("dice_cross_entropy"),
    reduce_oracle=_reduce_compound("dice_cross_entropy"),
    options=(
        {},
        {"axis": 1},
        {"axis": 1, "lambda_dice": 0.5, "lambda_ce": 2.0, "per_sample": False},
        {"ignore_index": _IGNORE},
        {"ignore_index": 1, "axis": 1, "label_smoothing": 0.1, "smooth": 0.5},
        {"label_smoothing": 0.2, "include_background": False, "squared_pred": True},
        {"_target": "onehot", "smooth": 0.5, "smooth_dr": 1.0},
        {"_target": "soft", "label_smoothing": 0.1, "per_sample": False},
        {"lambda_dice": 0.0, "_labels": "int32"},
        {"smooth": 0.0, "lambda_ce": 0.25, "ignore_index": _IGNORE, "per_sample": False},
    ),
    differentiable=("logits",),
    edges=(
        *_compound_edges({}),
        Edge("every pixel ignored", _zx(_Z_SOFT, np.full((2, 4), _IGNORE)), {"ignore_index": _IGNORE}),
    ),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.SEGMENTATION_LOGITS),
    fuzz=Fuzz(
        perfect=_perfect_compound,
        no_perfect_options=_no_perfect_soft,
        mean_rule="Dice term: weighted mean of the samples; cross-entropy term: weighted mean of every counted "
        "pixel of the batch (torch's ignore_index mean)",
    ),
    invalid_options={"lambda_dice": [-1.0], "lambda_ce": [-0.5]},
)

_DICE_FOCAL = Case(
    name="dice_focal",
    make_inputs=_compound_inputs,
    oracle=_compound("dice_focal"),
    reduce_oracle=_reduce_compound("dice_focal"),
    options=(
        {},
        {"axis": 1, "gamma": 0.0},
        {"alpha": 0.25, "gamma": 1.5, "per_sample": False},
        {"activation": "sigmoid", "axis": 1},
        {"activation": "sigmoid", "_target": "onehot", "include_background": False, "alpha": 0.75},
        {"activation": "sigmoid", "axis": None},
        {"activation": "sigmoid", "axis": None, "_target": "int", "per_sample": False, "smooth": 0.5, "smooth_dr": 2.0},
        {"activation": "sigmoid", "_target": "soft", "lambda_focal": 3.0, "lambda_dice": 0.5},
        {"gamma": 0.5, "include_background": False, "lambda_dice": 0.0, "_labels": "uint8"},
        {"_target": "soft", "axis": 1, "alpha": 0.5},
        {"_target": "onehot", "gamma": 1.0, "per_sample": False},
    ),
    differentiable=("logits",),
    edges=_compound_edges({"activation": "sigmoid"}),
    cancels=True,
    sweep=sweeps.Sweep(**sweeps.SEGMENTATION_LOGITS),
    fuzz=Fuzz(
        perfect=_perfect_compound,
        no_perfect_options=_no_perfect_soft,
    ),
    invalid_options={"lambda_dice": [-1.0], "lambda_focal": [-0.5], "gamma": [-1.0], "alpha": [1.5, -0.1]},
)


# -- Lovász --------------------------------------------------------------------------------------


def _separated(values: np.ndarray, points: tuple[float, ...] = ()) -> bool:
    v = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if v.size > 1 and np.min(np.diff(v)) < _GAP:
        return False
    return all(np.all(np.abs(v - q) >= _GAP) for q in points)


def _lovasz_softmax_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    ignore = options.get("ignore_index")
    for _ in range(_TRIES):
        p = _softmax(rng.normal(0.0, 1.5, (*shape, C)))
        y = rng.integers(0, C, size=shape).astype(np.int64)
        if ignore is not None:
            y = np.where(rng.random(shape) < options.get("_ignore_pct", 25) / 100, ignore, y)
        keep = y != ignore if ignore is not None else np.ones(shape, dtype=bool)
        errors = [np.abs((y == c) - p[..., c])[keep] for c in range(C)]
        if all(_separated(e) for e in errors):
            break
    return {"probs": _to_axis(p, options), "labels": y.astype(options.get("_labels", "int64"))}


def _py(p: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    return {"probs": _f(p), "labels": _i(y, dtype)}


_LOVASZ_SOFTMAX = Case(
    name="lovasz_softmax",
    make_inputs=_lovasz_softmax_inputs,
    oracle=lovasz_softmax,
    options=(
        {},
        {"classes": "all"},
        {"per_sample": True},
        {"ignore_index": _IGNORE},
        {"ignore_index": _IGNORE, "_ignore_pct": 60, "per_sample": True, "classes": "all"},
        {"ignore_index": 0, "_ignore_pct": 0},
        {"axis": 1, "_labels": "int32"},
        {"axis": 1, "per_sample": True, "ignore_index": _IGNORE, "_labels": "uint8"},
    ),
    differentiable=("probs",),
    edges=(
        Edge("two images", _py(_P_LOV, _Y_SOFT)),
        Edge("class absent from the labels (present)", _py(_P_LOV, _i([[0, 1, 1, 0], [1, 1, 0, 0]]))),
        Edge("class absent from the labels (all)", _py(_P_LOV, _i([[0, 1, 1, 0], [1, 1, 0, 0]])), {"classes": "all"}),
        Edge("all background, per image", _py(_P_LOV, _Y_BACKGROUND), {"per_sample": True}),
        Edge("ignored pixels", _py(_P_LOV, _i([[0, 255, 2, 255], [1, 0, 255, 0]])), {"ignore_index": 255}),
        Edge(
            "an image entirely ignored",
            _py(_P_LOV, _i([[255, 255, 255, 255], [1, 0, 2, 0]])),
            {"ignore_index": 255, "per_sample": True},
        ),
        Edge("every pixel ignored", _py(_P_LOV, _i([[255] * 4, [255] * 4])), {"ignore_index": 255}),
        Edge("single pixel", _py([[0.2, 0.5, 0.3]], [1])),
        Edge(
            "channels-first (N, C, H, W)",
            _py(np.moveaxis(_P_LOV[:1].reshape(1, 2, 2, 3), -1, 1), _i([[[0, 1], [2, 2]]])),
            {"axis": 1},
        ),
    ),
    cancels=True,
    sweep=_CLASS_MAP_SWEEP,
    fuzz=Fuzz(perfect=region("probs")),
)


def _lovasz_hinge_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    ignore = options.get("ignore_index")
    for _ in range(_TRIES):
        x = rng.normal(0.0, 1.5, shape)
        y = (rng.random(shape) < 0.4).astype(np.int64)
        if ignore is not None:
            y = np.where(rng.random(shape) < 0.25, ignore, y)
        keep = y != ignore if ignore is not None else np.ones(shape, dtype=bool)
        errors = (1.0 - x * (2.0 * y - 1.0))[keep]
        if _separated(errors, (0.0,)):
            break
    kind = options.get("_target")
    if kind == "bool":
        return {"logits": x, "labels": y.astype(bool)}
    if kind == "float":
        return {"logits": x, "labels": y.astype(np.float64)}
    return {"logits": x, "labels": y.astype(options.get("_labels", "int64"))}


def _xy(x: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    return {"logits": _f(x), "labels": _i(y, dtype)}


_LOVASZ_HINGE = Case(
    name="lovasz_hinge",
    make_inputs=_lovasz_hinge_inputs,
    oracle=lovasz_hinge,
    options=(
        {},
        {"per_sample": False},
        {"ignore_index": _IGNORE},
        {"ignore_index": _IGNORE, "per_sample": False, "_labels": "int32"},
        {"_target": "bool"},
        {"_target": "float", "per_sample": False},
    ),
    differentiable=("logits",),
    edges=(
        Edge("two images", _xy([[2.0, -1.2, 0.5, -0.3], [0.7, 1.6, -2.2, 0.1]], [[1, 0, 0, 1], [0, 1, 0, 1]])),
        Edge("empty mask (no foreground)", _xy([[2.0, -1.2, 0.5, -0.3]], [[0, 0, 0, 0]])),
        Edge("full mask, pooled", _xy([[2.0, -1.0], [0.5, -0.3]], [[1, 1], [1, 1]]), {"per_sample": False}),
        # logit 1 on a foreground pixel: hinge error exactly 0 (relu kink, gradient 0 there).
        Edge("hinge error exactly 0", _xy([[1.0, -1.7, 0.4, 2.5]], [[1, 0, 1, 1]]), kink=True),
        Edge(
            "ignored pixels",
            _xy([[2.0, -1.0, 0.5, -0.3], [0.7, 1.6, -2.2, 0.1]], [[1, 255, 0, 1], [255, 1, 0, 255]]),
            {"ignore_index": 255},
        ),
        Edge("an image entirely ignored", _xy([[2.0, -1.0], [0.5, -0.3]], [[255, 255], [1, 0]]), {"ignore_index": 255}),
        Edge(
            "bool labels, one pixel per image",
            {"logits": _f([0.3, -1.2, 2.0]), "labels": np.array([True, False, False])},
        ),
        # The two saturated errors tie at -999: relu makes their order irrelevant.
        Edge("large logits", _xy([[1e3, -1e3, 30.0, -20.0]], [[1, 0, 0, 1]])),
    ),
    cancels=True,
    sweep=sweeps.Sweep(
        lo=-3.0,
        hi=3.0,
        xlabel="logit toward the true label at every pixel",
        axis="mask logit",
        description="one 4-pixel mask (1, 1, 0, 0); logits x on the foreground, -x on the background",
        build=lambda xp, x: (
            sweeps.cols(xp, x, *[x if m else -x for m in sweeps.MASK]),
            sweeps.ints(xp, x, *[int(m) for m in sweeps.MASK]),
        ),
    ),
    fuzz=Fuzz(perfect=_perfect_lovasz_hinge),
)


# -- metric surrogates -----------------------------------------------------------------------------

_METRIC_OPTIONS: tuple[Options, ...] = (
    {},
    {"per_sample": True},
    {"_hard": True},
    {"_hard": True, "per_sample": True, "_target": "onehot"},
    {"_target": "onehot"},
    {"_target": "soft", "per_sample": True},
    {"axis": 1},
    {"axis": 1, "_hard": True, "_labels": "uint8"},
    {"axis": None},
    {"axis": None, "_hard": True, "_target": "int"},
    {"axis": None, "_target": "soft", "per_sample": True},
    {"_probs": "sigmoid"},
)

#: soft_f1 and matthews also take the overlap losses' pixel options (activation, ignore_index, mask).
_PIXEL_METRIC_OPTIONS: tuple[Options, ...] = (
    *_METRIC_OPTIONS,
    {"activation": "softmax", "axis": 1},
    {"activation": "sigmoid", "axis": None, "per_sample": True},
    {"activation": "sigmoid", "_target": "onehot"},
    {"ignore_index": _IGNORE, "per_sample": True},
    {"ignore_index": 0, "activation": "softmax", "_labels": "int32"},
)

_HARD_P = _f([[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 1]])
_HARD_Y = _i([0, 1, 0, 2, 1, 2])


def _pixel_edges() -> tuple[Edge, ...]:
    """Edges of the pixel options of soft_f1 and matthews."""
    return (
        Edge("pixel mask", _pt(_P_SOFT, _Y_SOFT), {"mask": np.array([[1, 0, 1, 1], [0, 1, 1, 0]], dtype=bool)}),
        Edge(
            "binary masks, pixel mask, per sample",
            _pt(_BIN_P, _BIN_T),
            {"axis": None, "mask": _BIN_T[::-1] > 0, "per_sample": True},
        ),
        Edge("ignored labels", _pt(_P_SOFT, _i([[0, _IGNORE, 2, 2], [1, 0, _IGNORE, 0]])), {"ignore_index": _IGNORE}),
        Edge("logits, channels-first", _pt(np.log(_NCHW_P), _NCHW_Y), {"axis": 1, "activation": "softmax"}),
    )


def _metric_edges(second: str) -> tuple[Edge, ...]:
    return (
        Edge("hard predictions", _pt(_HARD_P, _HARD_Y, second)),
        Edge("perfect prediction", _pt(_HARD_P, _i([0, 1, 1, 2, 0, 2]), second)),
        Edge("soft, per sample", _pt(_P_SOFT, _Y_SOFT, second), {"per_sample": True}),
        Edge("channels-first (N, C, H, W)", _pt(_NCHW_P, _NCHW_Y, second), {"axis": 1}),
        Edge("binary masks", _pt(_BIN_P, _BIN_T, second), {"axis": None}),
    )


_SOFT_F1 = Case(
    name="soft_f1",
    make_inputs=_make(),
    oracle=soft_f1,
    options=_PIXEL_METRIC_OPTIONS,
    differentiable=("probs",),
    edges=(
        *_metric_edges("target"),
        *_pixel_edges(),
        # Class 2 is neither predicted nor a label: left out of the macro mean (sklearn). Any
        # prediction of it brings it back with F1 0: a jump, hence a kink.
        Edge("class absent from both", _pt(_P_ABSENT[0], _Y_ABSENT[0]), kink=True),
        Edge("empty mask, nothing predicted", _pt(np.zeros((1, 4)), np.zeros((1, 4))), {"axis": None}, kink=True),
        Edge("empty mask, per sample", _pt(_BIN_P, _BIN_T), {"axis": None, "per_sample": True}),
    ),
    cancels=True,
    sweep=sweeps.Sweep(**{**sweeps.SEGMENTATION, "fixed": {"axis": None, "per_sample": True}}),
    fuzz=Fuzz(
        perfect=region("probs"),
        # An activated logit is never exactly 0: a class absent from the target keeps a tiny false
        # positive mass, so it counts in the macro mean with F1 0.
        no_perfect_options=lambda o: (
            "logits: every class has a positive predicted probability" if o.get("activation") is not None else None
        ),
    ),
)

_COHEN_KAPPA = Case(
    name="cohen_kappa",
    make_inputs=_make("probs", "labels"),
    oracle=cohen_kappa,
    options=(
        *_METRIC_OPTIONS,
        {"weights": "linear"},
        {"weights": None, "_hard": True},
        {"weights": "linear", "per_sample": True, "_target": "soft", "axis": 1},
        {"weights": None, "axis": None},
    ),
    differentiable=("probs",),
    edges=(
        *_metric_edges("labels"),
        # Every label and prediction in one class: the expected disagreement is 0 -> loss 0.
        Edge("a single class everywhere", _pt([[1.0, 0.0, 0.0]] * 3, [0, 0, 0], "labels"), kink=True),
        Edge("hard predictions, linear", _pt(_HARD_P, _HARD_Y, "labels"), {"weights": "linear"}),
        Edge("hard predictions, unweighted", _pt(_HARD_P, _HARD_Y, "labels"), {"weights": None}),
        Edge("class absent from both", _pt(_P_ABSENT[0], _Y_ABSENT[0], "labels")),
    ),
    cancels=True,
    sweep=_CLASS_MAP_SWEEP,
    fuzz=Fuzz(perfect=region("probs")),
)

_MATTHEWS = Case(
    name="matthews",
    make_inputs=_make(),
    oracle=matthews,
    options=_PIXEL_METRIC_OPTIONS,
    differentiable=("probs",),
    edges=(
        *_metric_edges("target"),
        *_pixel_edges(),
        # A single predicted class: a zero factor in the denominator, MCC 0 (sklearn), loss 1.
        Edge("one predicted class (MCC 0)", _pt([[1.0, 0.0, 0.0]] * 3, [0, 1, 2]), kink=True),
        Edge("class absent from both", _pt(_P_ABSENT[0], _Y_ABSENT[0])),
        Edge("empty binary mask", _pt([[0.2, 0.7, 0.1]], [[0.0, 0.0, 0.0]]), {"axis": None}, kink=True),
    ),
    cancels=True,
    term_size=1.0,  # 1 - MCC: the MCC's square root and ratio round at 1, not at 0
    sweep=sweeps.Sweep(**{**sweeps.SEGMENTATION, "fixed": {"axis": None, "per_sample": True}}),
    fuzz=Fuzz(perfect=_perfect_matthews),
)

#: name -> Case for every segmentation loss.
CASES: dict[str, Case] = {
    c.name: c
    for c in (
        _DICE,
        _JACCARD,
        _TVERSKY,
        _FOCAL_TVERSKY,
        _GENERALIZED_DICE,
        _DICE_CROSS_ENTROPY,
        _DICE_FOCAL,
        _LOVASZ_SOFTMAX,
        _LOVASZ_HINGE,
        _SOFT_F1,
        _COHEN_KAPPA,
        _MATTHEWS,
    )
}


# ==================================================================================================
# Counterparts
# ==================================================================================================

_KERAS_RTOL = 1e-6  # keras adds eps = 1e-7 to the denominator (no smoothing)


def _class_last(x: Arrays, o: Options, second: str = "target") -> tuple[np.ndarray, np.ndarray, bool]:
    """Probabilities and a floating target, class axis last (one-hot from labels); binary flag."""
    p = np.asarray(x["probs"], dtype=np.float64)
    t = np.asarray(x[second])
    axis = o.get("axis", -1)
    if axis is None:
        return p, t.astype(np.float64), True
    ax = axis % p.ndim
    p = np.moveaxis(p, ax, -1)
    C = p.shape[-1]
    if t.dtype.kind in "iu":
        t = np.eye(C)[t]
    else:
        t = np.moveaxis(t.astype(np.float64), ax, -1)
    return p, t, False


# -- predicates ----------------------------------------------------------------------------------


#: Options of the overlap losses with their defaults: optax and keras have none of them.
_PEER_OPTIONS = {
    "activation": None,
    "include_background": True,
    "ignore_index": None,
    "mask": None,
    "smooth_dr": None,
    "squared_pred": False,
    "per_class": False,
    "weight_type": "square",
}


def _plain(o: Options) -> bool:
    """None of the MONAI / smp options is set."""
    return all(o.get(k, d) is d or (d is not None and o.get(k, d) == d) for k, d in _PEER_OPTIONS.items())


def _optax_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return not weighted and o.get("axis", -1) in (-1, None) and o.get("_probs") != "sigmoid" and _plain(o)


def _keras_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return (
        _plain(o)
        and not weighted
        and o.get("axis", -1) in (-1, None)
        and float(o.get("smooth", 1.0)) == 0.0
        and o.get("class_weight") is None
        and not o.get("_hard", False)
    )


def _sklearn_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return not weighted and bool(o.get("_hard", False)) and _plain(o)


# -- optax ------------------------------------------------------------------------------------------


def _optax_overlap(
    alpha: float | None = None, beta: float | None = None, dice_smooth: bool = False
) -> Callable[..., Any]:
    """``optax.losses.dice_loss`` with fixed ``alpha``/``beta`` (dice, jaccard) or the options' (tversky);
    ``dice_smooth``: lossapi's Dice ``smooth`` is twice optax's."""

    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        jnp = _jnp()
        import optax

        p, t, binary = _class_last(x, o)
        if binary:
            with np.errstate(divide="ignore"):
                pred = (np.log(p) - np.log1p(-p))[..., None]  # sigmoid(logit(p)) = p
            t = t[..., None]
        else:
            pred = p
        C = pred.shape[-1]
        cw = o.get("class_weight")
        if cw is not None:
            cw = jnp.asarray(np.asarray(cw, dtype=np.float64) * C / np.sum(cw))
        axes = None if o.get("per_sample", True) else tuple(range(pred.ndim - 1))
        a = o.get("alpha", 0.5) if alpha is None else alpha
        b = o.get("beta", 0.5) if beta is None else beta
        # optax's numerator is I + s over I + a FP + b FN + s: with a = b = 1/2 that is lossapi's
        # Dice with smooth 2 s (lossapi follows the usual (2I + s) / (P + T + s)).
        s = float(o.get("smooth", 1.0)) * (0.5 if dice_smooth else 1.0)
        out = optax.losses.dice_loss(
            jnp.asarray(pred),
            jnp.asarray(t),
            class_weights=cw,
            smooth=s,
            alpha=float(a),
            beta=float(b),
            apply_softmax=binary,
            axis=axes,
        )
        return _reduce(out, reduction)

    return fn


# -- keras ------------------------------------------------------------------------------------------


def _keras_alpha_on_fn(keras: Any) -> bool:
    """Whether the installed keras' ``tversky`` applies ``alpha`` to the false negatives (keras
    3.15): the documented hand case y = [1, 1, 0, 0], y_hat = [1, 0, 1, 1], alpha = 1, beta = 0 gives
    0.5 there and 2/3 with the paper's convention."""
    v = float(
        _np(keras.losses.tversky(np.array([1.0, 1.0, 0.0, 0.0]), np.array([1.0, 0.0, 1.0, 1.0]), alpha=1.0, beta=0.0))
    )
    return abs(v - 0.5) < 1e-3


def _keras_overlap(name: str) -> Callable[..., Any]:
    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        keras = _keras()
        p, t, binary = _class_last(x, o)
        per_sample = o.get("per_sample", True)
        last = p.ndim if binary else p.ndim - 1  # the class axis (if any) is not summed
        axes = tuple(range(1 if per_sample else 0, last))
        kw: dict[str, Any] = {}
        if name == "tversky":
            a, b = float(o.get("alpha", 0.5)), float(o.get("beta", 0.5))
            kw = {"alpha": b, "beta": a} if _keras_alpha_on_fn(keras) else {"alpha": a, "beta": b}
        if not axes:  # one pixel per sample: keras' axis=() would mean "all axes"
            q = np.expand_dims(p, 1)
            s = np.expand_dims(t, 1)
            axes = (1,)
        else:
            q, s = p, t
        per = _np(getattr(keras.losses, name)(s, q, axis=axes, **kw))
        vals = per if binary else np.mean(per, axis=-1)
        return _reduce(vals, reduction)

    return fn


# -- sklearn ----------------------------------------------------------------------------------------


def _hard_groups(x: Arrays, o: Options, second: str) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """``[(y_true, y_pred)]`` per group (sample, or the pooled batch) from hard one-hot inputs."""
    p = np.asarray(x["probs"], dtype=np.float64)
    t = np.asarray(x[second])
    axis = o.get("axis", -1)
    if axis is None:
        y_pred = (p > 0.5).astype(np.int64)
        y_true = (t.astype(np.float64) > 0.5).astype(np.int64)
        C = 2
    else:
        ax = axis % p.ndim
        C = p.shape[ax]
        y_pred = np.argmax(p, axis=ax)
        y_true = t.astype(np.int64) if t.dtype.kind in "iu" else np.argmax(t.astype(np.float64), axis=ax)
    B = y_pred.shape[0]
    yt, yp = y_true.reshape(B, -1), y_pred.reshape(B, -1)
    if o.get("per_sample", False):
        return [(yt[b], yp[b]) for b in range(B)], C
    return [(yt.ravel(), yp.ravel())], C


def _sk_f1(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    from sklearn.metrics import f1_score

    groups, _ = _hard_groups(x, o, "target")
    kw = {"average": "binary", "zero_division": 1.0} if o.get("axis", -1) is None else {"average": "macro"}
    return _reduce(
        np.array([1.0 - f1_score(yt, yp, **kw) for yt, yp in groups]).reshape(-1 if o.get("per_sample", False) else ()),
        reduction,
    )


def _sk_kappa(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    from sklearn.metrics import cohen_kappa_score

    groups, C = _hard_groups(x, o, "labels")
    vals = [
        1.0
        - cohen_kappa_score(
            yt, yp, labels=list(range(C)), weights=o.get("weights", "quadratic"), replace_undefined_by=1.0
        )
        for yt, yp in groups
    ]
    return _reduce(np.array(vals).reshape(-1 if o.get("per_sample", False) else ()), reduction)


def _sk_mcc(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    from sklearn.metrics import matthews_corrcoef

    groups, _ = _hard_groups(x, o, "target")
    vals = [1.0 - matthews_corrcoef(yt, yp) for yt, yp in groups]
    return _reduce(np.array(vals).reshape(-1 if o.get("per_sample", False) else ()), reduction)


# -- MONAI ------------------------------------------------------------------------------------------


def _monai_ok(o: Options, reduction: str, weighted: bool, per_class_reductions: bool = True) -> bool:
    """MONAI reproduces lossapi's options but ``class_weight`` (a product there), ``ignore_index``
    and ``mask`` (other classes: ``MaskedDiceLoss``), with one-hot targets; its ``"sum"`` and
    ``"none"`` run over (sample, class) pairs, lossapi's with ``per_class=True``."""
    if weighted or o.get("class_weight") is not None or o.get("ignore_index") is not None:
        return False
    if o.get("mask") is not None:
        return False
    if o.get("axis", -1) is None and (o.get("activation") == "softmax" or not o.get("include_background", True)):
        return False
    return reduction == "mean" or bool(o.get("per_class", False)) or not per_class_reductions


def _monai_inputs(x: Arrays, o: Options) -> tuple[Any, Any]:
    """Channel-first prediction and one-hot / float target, as MONAI takes them."""
    p, t = np.asarray(x["probs"], dtype=np.float64), np.asarray(x["target"])
    axis = o.get("axis", -1)
    if axis is None:  # binary masks: one channel
        return p[:, None], np.broadcast_to(t.astype(np.float64), p.shape)[:, None]
    ax = axis % p.ndim
    pc = np.moveaxis(p, ax, 1)
    if t.dtype.kind in "iu":
        tc = np.moveaxis(np.eye(pc.shape[1])[t], -1, 1)
    else:
        tc = np.moveaxis(np.broadcast_to(t.astype(np.float64), p.shape), ax, 1)
    return pc, tc


def _monai_overlap(kind: str) -> Callable[..., Any]:
    """``monai.losses.{DiceLoss, TverskyLoss, GeneralizedDiceLoss}`` with lossapi's options mapped
    (``jaccard``: MONAI's ``jaccard=True`` with twice the smoothing)."""

    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        import monai.losses as ml
        import torch

        p, t = _monai_inputs(x, o)
        act = o.get("activation")
        default = 1e-5 if kind == "generalized_dice" else 1.0
        s = float(o.get("smooth", default))
        s_dr = s if o.get("smooth_dr") is None else float(o["smooth_dr"])
        kw: dict[str, Any] = {
            "include_background": o.get("include_background", True),
            "sigmoid": act == "sigmoid",
            "softmax": act == "softmax",
            "batch": not o.get("per_sample", True),
            "reduction": reduction,
        }
        if kind in ("dice", "jaccard"):
            k = 2.0 if kind == "jaccard" else 1.0
            loss = ml.DiceLoss(
                squared_pred=o.get("squared_pred", False),
                jaccard=kind == "jaccard",
                smooth_nr=k * s,
                smooth_dr=k * s_dr,
                **kw,
            )
        elif kind == "generalized_dice":
            loss = ml.GeneralizedDiceLoss(w_type=o.get("weight_type", "square"), smooth_nr=s, smooth_dr=s_dr, **kw)
        else:
            a = float(o.get("alpha", 0.5))
            b = float(o.get("beta", 0.5))
            loss = ml.TverskyLoss(alpha=a, beta=b, smooth_nr=s, smooth_dr=s_dr, **kw)
        out = _np(loss(torch.tensor(p), torch.tensor(t)))  # copies: the inputs may be read-only views
        if reduction != "none":
            return out
        if kind == "generalized_dice":
            return out.reshape(-1) if o.get("per_sample", True) else out.reshape(())
        c = p.shape[1] - (0 if o.get("include_background", True) else 1)
        return out.reshape(-1, c) if o.get("per_sample", True) else out.reshape(c)

    return fn


def _monai_gdl_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return _monai_ok(o, reduction, weighted, per_class_reductions=False)


# -- smp --------------------------------------------------------------------------------------------


def _smp_overlap(kind: str) -> Callable[..., Any]:
    """``segmentation_models_pytorch.losses.{DiceLoss, JaccardLoss, TverskyLoss}`` in the mode the
    target calls for, with lossapi's options mapped (see the module docstring)."""

    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        import torch

        from ..counterparts import smp_losses

        losses = smp_losses()
        p, t = np.asarray(x["probs"], dtype=np.float64), np.asarray(x["target"])
        axis = o.get("axis", -1)
        if axis is None:
            mode, pred, true = "binary", p[:, None], np.broadcast_to(t.astype(np.float64), p.shape)[:, None]
        else:
            ax = axis % p.ndim
            pred = np.moveaxis(p, ax, 1)
            if t.dtype.kind in "iu":
                mode, true = "multiclass", t.astype(np.int64)
            else:
                mode, true = "multilabel", np.moveaxis(np.broadcast_to(t.astype(np.float64), p.shape), ax, 1)
        s = float(o.get("smooth", 1.0))
        kw: dict[str, Any] = {
            "from_logits": o.get("activation") is not None,
            "ignore_index": o.get("ignore_index"),
            "smooth": s / 2 if kind == "dice" else s,
        }
        cw = o.get("class_weight")
        if cw is not None:
            kw["class_weights"] = list(np.asarray(cw, dtype=np.float64))
        if kind == "tversky":
            kw.update(alpha=float(o.get("alpha", 0.5)), beta=float(o.get("beta", 0.5)))
        cls = {"dice": losses.DiceLoss, "jaccard": losses.JaccardLoss, "tversky": losses.TverskyLoss}[kind]
        return _np(cls(mode, **kw)(torch.as_tensor(np.array(pred)), torch.as_tensor(np.array(true))))

    return fn


def _smp_ok(o: Options, reduction: str, weighted: bool) -> bool:
    """smp's one reduction (a pooled class mean), hard targets holding every class, and the
    activation its mode applies (softmax for labels, sigmoid otherwise)."""
    if weighted or reduction != "mean" or o.get("per_sample", True) or o.get("_target") == "soft":
        return False
    if any(o.get(k) is not None for k in ("mask", "smooth_dr")) or not o.get("include_background", True):
        return False
    if o.get("squared_pred", False) or o.get("per_class", False):
        return False
    act, axis = o.get("activation"), o.get("axis", -1)
    if axis is None:
        return act in (None, "sigmoid") and o.get("ignore_index") is None
    labels = o.get("_target", "labels") == "labels"
    return bool(o.get("_every_class")) and act in (None, "softmax" if labels else "sigmoid")


_SMP_OPTIONS: tuple[Options, ...] = (
    {"_every_class": True, "per_sample": False, "activation": "softmax", "axis": 1, "smooth": 0.5, "ignore_index": 255},
    {
        "_every_class": True,
        "per_sample": False,
        "_target": "onehot",
        "activation": "sigmoid",
        "axis": 1,
        "class_weight": _CW,
    },
    {"_every_class": True, "per_sample": False, "smooth": 0.0},
    {"per_sample": False, "axis": None, "activation": "sigmoid", "smooth": 0.0},
    {"per_sample": False, "axis": None, "_target": "int", "smooth": 0.25},
)


def _smp_lovasz(mode: str) -> Callable[..., Any]:
    """``segmentation_models_pytorch.losses.LovaszLoss(mode, per_image=per_sample,
    ignore_index=ignore_index)`` in float32 (smp's Lovász gradient is a float32 tensor, which
    ``torch.dot`` cannot combine with float64 errors)."""

    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        import torch

        from ..counterparts import smp_losses

        y = np.asarray(x["labels"]).astype(np.int64)
        if mode == "multiclass":
            p = np.asarray(x["probs"], dtype=np.float64)
            pc = np.moveaxis(p, o.get("axis", -1) % p.ndim, 1)
            # smp applies the softmax itself: log-probabilities are logits whose softmax is probs.
            # (N, C, M, 1): smp reads a 3-D input as a single sigmoid channel (B, H, W).
            pred = np.log(pc).reshape(pc.shape[0], pc.shape[1], -1, 1)
            per_image = bool(o.get("per_sample", False))
            all_ignored = np.all(y.reshape(y.shape[0], -1) == o.get("ignore_index"), axis=-1)
            if per_image and o.get("ignore_index") is not None and np.any(all_ignored):
                raise ValueError("smp's per_image Lovász-Softmax cannot score an image whose pixels are all ignored")
        else:
            pred, per_image = np.asarray(x["logits"], dtype=np.float64), bool(o.get("per_sample", True))
        loss = smp_losses().LovaszLoss(mode, per_image=per_image, ignore_index=o.get("ignore_index"))
        return _np(loss(torch.as_tensor(pred, dtype=torch.float32), torch.as_tensor(y)))

    return fn


def _smp_lovasz_ok(o: Options, reduction: str, weighted: bool) -> bool:
    """smp returns the mean over images (``per_image=True``) or the pooled value, unweighted, and
    averages over the classes present only."""
    if weighted or o.get("classes", "present") != "present":
        return False
    return reduction == "mean" or not o.get("per_sample")


def _smp_mcc(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    """``segmentation_models_pytorch.losses.MCCLoss(eps=0.0)`` on binary masks (after the sigmoid
    of ``activation="sigmoid"``)."""
    import torch

    from ..counterparts import smp_losses

    p = torch.as_tensor(np.asarray(x["probs"], dtype=np.float64))
    if o.get("activation") == "sigmoid":
        p = torch.sigmoid(p)
    t = np.broadcast_to(np.asarray(x["target"]).astype(np.float64), p.shape)
    return _np(smp_losses().MCCLoss(eps=0.0)(p, torch.as_tensor(np.array(t))))


def _smp_mcc_ok(o: Options, reduction: str, weighted: bool) -> bool:
    """smp's MCC: binary masks, statistics pooled over the batch (one value, every reduction)."""
    if weighted or o.get("axis", -1) is not None or o.get("per_sample", False):
        return False
    return o.get("ignore_index") is None and o.get("mask") is None and o.get("activation") in (None, "sigmoid")


def _monai_compound(name: str) -> Callable[..., Any]:
    """``monai.losses.DiceCELoss(softmax=True)`` / ``DiceFocalLoss(sigmoid=True)`` on channel-first
    logits; integer labels as ``(N, 1, ...)`` with ``to_onehot_y=True``. With ``ignore_index``
    (which ``DiceCELoss`` lacks): MONAI's ``DiceLoss(softmax=True, ignore_index=)`` plus torch's
    ``cross_entropy(ignore_index=)``."""

    def fn(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        import monai.losses as ml
        import torch

        t = np.asarray(x["target"])
        labels = t.dtype.kind in "iu" and o.get("axis", -1) is not None
        if labels:  # channel-first logits, labels (N, 1, ...) for to_onehot_y (ignored ones too)
            z0 = np.asarray(x["logits"])
            zc, tc = np.moveaxis(z0, o.get("axis", -1) % z0.ndim, 1), t[:, None]
        else:
            zc, tc = _monai_inputs({"probs": x["logits"], "target": t}, o)
        z, y = torch.as_tensor(np.array(zc)), torch.as_tensor(np.array(tc))
        s = float(o.get("smooth", 1e-5))
        kw: dict[str, Any] = {
            "include_background": o.get("include_background", True),
            "batch": not o.get("per_sample", True),
            "smooth_nr": s,
            "smooth_dr": s if o.get("smooth_dr") is None else float(o["smooth_dr"]),
            "to_onehot_y": labels,
        }
        lam_dice = float(o.get("lambda_dice", 1.0))
        if name == "dice_focal":
            focal = {"gamma": float(o.get("gamma", 2.0)), "alpha": o.get("alpha")}
            loss = ml.DiceFocalLoss(
                sigmoid=True, lambda_dice=lam_dice, lambda_focal=float(o.get("lambda_focal", 1.0)), **focal, **kw
            )
            return _np(loss(z, y))
        ls, lam_ce = float(o.get("label_smoothing", 0.0)), float(o.get("lambda_ce", 1.0))
        squared = o.get("squared_pred", False)
        ignore = o.get("ignore_index")
        if ignore is None:
            loss = ml.DiceCELoss(
                softmax=True, squared_pred=squared, lambda_dice=lam_dice, lambda_ce=lam_ce, label_smoothing=ls, **kw
            )
            return _np(loss(z, y))
        dice_loss = ml.DiceLoss(softmax=True, squared_pred=squared, ignore_index=ignore, **kw)
        ce = torch.nn.functional.cross_entropy(z, y[:, 0], ignore_index=ignore, label_smoothing=ls)
        return _np(lam_dice * dice_loss(z, y) + lam_ce * ce)

    return fn


def _monai_dice_ce_ok(o: Options, reduction: str, weighted: bool) -> bool:
    """MONAI's ``"mean"`` (its ``"sum"`` adds every (sample, class) Dice and every pixel)."""
    return not weighted and reduction == "mean"


def _monai_dice_focal_ok(o: Options, reduction: str, weighted: bool) -> bool:
    """The sigmoid form, ``"mean"``, 0/1 targets; MONAI's focal term also leaves class 0 out with
    ``include_background=False`` (lossapi's Dice term only), and its modulating factor
    ``sigmoid(-x (2t - 1))^gamma`` is ``(1 - p_t)^gamma`` only for 0/1 targets."""
    return (
        _monai_dice_ce_ok(o, reduction, weighted)
        and o.get("activation") == "sigmoid"
        and o.get("include_background", True)
        and o.get("_target") != "soft"
    )


_MONAI_OPTIONS: tuple[Options, ...] = (
    {"activation": "softmax", "axis": 1, "smooth": 1e-5, "per_class": True},
    {"activation": "sigmoid", "smooth": 1e-5, "include_background": False, "per_sample": False},
    {"squared_pred": True, "_target": "onehot", "per_class": True, "per_sample": False},
)

_KERAS_OPTIONS: tuple[Options, ...] = (
    {"smooth": 0.0},
    {"smooth": 0.0, "per_sample": False, "_target": "soft"},
    {"smooth": 0.0, "axis": None},
    {"smooth": 0.0, "axis": None, "per_sample": False, "_target": "int"},
)
_HARD_OPTIONS: tuple[Options, ...] = (
    {"_hard": True},
    {"_hard": True, "per_sample": True},
    {"_hard": True, "axis": None},
    {"_hard": True, "axis": None, "per_sample": True, "_target": "bool"},
)

COUNTERPARTS: dict[str, list[Counterpart]] = {
    "dice": [
        Counterpart(
            "optax", _optax_overlap(0.5, 0.5, dice_smooth=True), _optax_ok, options=({"_hard": True, "smooth": 0.5},)
        ),
        Counterpart("keras", _keras_overlap("dice"), _keras_ok, options=_KERAS_OPTIONS, rtol=_KERAS_RTOL),
        Counterpart("MONAI", _monai_overlap("dice"), _monai_ok, options=_MONAI_OPTIONS),
        Counterpart("smp", _smp_overlap("dice"), _smp_ok, options=_SMP_OPTIONS),
    ],
    "dice_cross_entropy": [
        Counterpart(
            "MONAI",
            _monai_compound("dice_cross_entropy"),
            _monai_dice_ce_ok,
            options=({"axis": 1, "ignore_index": 0, "lambda_ce": 0.5, "squared_pred": True},),
            rtol=1e-8,  # to_onehot_y builds a float32 one-hot: its squared sums round to float32
        )
    ],
    "dice_focal": [
        Counterpart(
            "MONAI",
            _monai_compound("dice_focal"),
            _monai_dice_focal_ok,
            options=({"activation": "sigmoid", "axis": 1, "alpha": 0.25, "gamma": 1.0, "per_sample": False},),
            rtol=1e-6,  # MONAI's FocalLoss casts logits and target to float32
        )
    ],
    "jaccard": [
        Counterpart("optax", _optax_overlap(1.0, 1.0), _optax_ok),
        Counterpart("MONAI", _monai_overlap("jaccard"), _monai_ok, options=_MONAI_OPTIONS),
        Counterpart("smp", _smp_overlap("jaccard"), _smp_ok, options=_SMP_OPTIONS),
    ],
    "generalized_dice": [
        Counterpart(
            "MONAI",
            _monai_overlap("generalized_dice"),
            _monai_gdl_ok,
            options=({"weight_type": "uniform", "activation": "softmax", "axis": 1},),
            rtol=1e-6,  # MONAI computes the class weights in float32 (ground_o.float())
        ),
    ],
    "tversky": [
        Counterpart("optax", _optax_overlap(), _optax_ok),
        Counterpart(
            "MONAI",
            _monai_overlap("tversky"),
            _monai_ok,
            options=({"alpha": 0.3, "beta": 0.7, "activation": "softmax", "axis": 1, "per_class": True},),
        ),
        Counterpart(
            "smp",
            _smp_overlap("tversky"),
            _smp_ok,
            options=tuple({**o, "alpha": 0.3, "beta": 0.7} for o in _SMP_OPTIONS),
        ),
        Counterpart(
            "keras",
            _keras_overlap("tversky"),
            _keras_ok,
            options=(
                *_KERAS_OPTIONS,
                {"smooth": 0.0, "alpha": 0.2, "beta": 0.8},
                {"smooth": 0.0, "alpha": 1.0, "beta": 0.25, "axis": None},
            ),
            rtol=_KERAS_RTOL,
        ),
    ],
    "soft_f1": [Counterpart("sklearn", _sk_f1, _sklearn_ok, options=_HARD_OPTIONS)],
    "cohen_kappa": [
        Counterpart(
            "sklearn",
            _sk_kappa,
            _sklearn_ok,
            options=(
                *_HARD_OPTIONS,
                {"_hard": True, "weights": "linear"},
                {"_hard": True, "weights": None, "per_sample": True},
            ),
        ),
    ],
    "matthews": [
        Counterpart("sklearn", _sk_mcc, _sklearn_ok, options=_HARD_OPTIONS),
        Counterpart(
            "smp",
            _smp_mcc,
            _smp_mcc_ok,
            options=(
                {"axis": None, "_target": "soft"},
                {"axis": None, "_target": "int", "activation": "sigmoid"},
            ),
        ),
    ],
    "lovasz_softmax": [
        Counterpart(
            "smp",
            _smp_lovasz("multiclass"),
            _smp_lovasz_ok,
            options=({"per_sample": True, "axis": 1}, {"ignore_index": _IGNORE, "axis": 1, "_labels": "uint8"}),
            rtol=1e-5,  # float32
        )
    ],
    "lovasz_hinge": [
        Counterpart(
            "smp",
            _smp_lovasz("binary"),
            _smp_lovasz_ok,
            rtol=1e-5,  # float32
        )
    ],
}
