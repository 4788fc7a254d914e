r"""Segmentation losses: overlap (Dice, Jaccard, Tversky), Lovász, and metric surrogates.

Inputs are probabilities (apply your softmax / sigmoid first); the Lovász hinge takes logits.

- **Class axis.** With a class axis (``axis=-1`` by default, channels-last as in optax/keras;
  torch-style ``(N, C, H, W)`` inputs pass ``axis=1``) the target is either integer class
  indices without the class axis or a floating (one-hot / probability) target of the
  prediction's shape; integer dtype means indices, never the values. Binary masks have no
  class axis: pass ``axis=None``; the target then has the prediction's shape and may be
  floating, integer or boolean (0/1).
- **Batch.** The first axis is the batch. Statistics (the sums :math:`\sum p t`, :math:`\sum p`,
  :math:`\sum t`, the soft confusion matrix) run over the *spatial* axes (every axis but the
  batch and the class axis). ``per_sample=True`` computes them per sample: ``reduction="none"``
  returns the per-sample loss, shape ``(N,)``, already averaged over the classes, and
  ``"mean"`` averages the samples. ``per_sample=False`` pools the whole batch: ``"none"`` is
  0-d. Overlap losses default to per sample (MONAI's ``batch=False``, optax); the Lovász
  softmax and the metric surrogates (soft F1, kappa, MCC) default to pooled statistics, as
  the metrics they relax are defined on a whole data set.
- **Weights and masks** follow the API rule on that "none" shape: ``sample_weight`` weighs
  samples (broadcastable to ``(N,)``, or 0-d when pooled); ``where`` excludes whole samples,
  whose inputs may then hold inf/NaN or out-of-range labels without touching the value or the
  gradient.
- **Empty classes.** A class absent from both prediction and target has no overlap to score.
  Dice, Jaccard and Tversky give it loss 0 (also with ``smooth=0``, where the formula is 0/0):
  it counts as a perfect class in the class mean, which is what a positive ``smooth`` gives
  anyway. The soft F1 leaves it out of its macro mean (as sklearn, which averages over the
  labels present in ``y_true`` or ``y_pred``). Every such case is a ``where`` selection:
  values and gradients stay finite.

Nothing branches on array values and nothing has a data-dependent shape: every loss runs
under ``jax.jit``/``vmap``, ``torch.compile(fullgraph=True)`` and stays lazy on Dask. The
Lovász losses sort the errors with a stable permutation that carries the ground truth along;
ignored pixels become neutral entries of the Lovász gradient, "present" classes weights.

The overlap losses are formulas of the ``Overlap`` kind of ``lossapi.losses._segmentation``
(statistics, class mean and its ``class_weight``, ``per_sample``, ``axis``); the others of its
``Segmentation`` kind (``per_sample``, ``axis``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._array import Array, device_of
from .._catalog import lookup
from .._loss import loss
from .._native import per_element
from .._ops import amax, label_hits, relu
from .._options import Choice, Flag, Integer, Interval
from . import classification, focal  # noqa: F401 - registers the formulas of the pixel terms
from ._classes import ignore_mask
from ._segmentation import (
    OVERLAP,
    Compound,
    Overlap,
    OverlapContext,
    SegContext,
    Segmentation,
    Terms,
    lovasz_sorted,
    safe_div,
    sum_over,
)

__all__ = [
    "cohen_kappa",
    "dice",
    "dice_cross_entropy",
    "dice_focal",
    "focal_tversky",
    "generalized_dice",
    "jaccard",
    "lovasz_hinge",
    "lovasz_softmax",
    "matthews",
    "soft_f1",
    "tversky",
]

_SPACES = {"probs": "probability", "target": "label_or_probability"}
_NONNEGATIVE = Interval(0, None)
_SQUARED = Overlap(squared=True)  # Dice and Jaccard also take squared_pred
#: The first input of an overlap loss holds logits when an activation is given.
_RULES = {"probs": "probs_or_logits"}
_CONFUSION = Segmentation(two_class=True)  # binary masks as the two classes [1 - p, p]
_METRIC = Segmentation(pixels=True)  # soft F1: logits, ignored and masked pixels
_METRIC_CONFUSION = Segmentation(two_class=True, pixels=True)  # MCC: the same


def _formula(name: str) -> Callable[..., Any]:
    """The formula body of catalog loss ``name``."""
    body = lookup(name).body
    if body is None:
        raise LookupError(f"lossapi.{name} has no formula body")
    return body


# The pixel terms of the compound losses are these losses' formulas; the fast paths of
# cross_entropy and sigmoid_focal (torch's kernels) compute them where they apply.
_CROSS_ENTROPY = per_element("cross_entropy", _formula("cross_entropy"), class_axis=True)
_SOFTMAX_FOCAL = _formula("softmax_focal")
_SIGMOID_FOCAL = per_element("sigmoid_focal", _formula("sigmoid_focal"))


# -- Dice, Jaccard, Tversky ---------------------------------------------------------------------------


@loss(
    _SQUARED,
    family="segmentation",
    task="segmentation",
    inputs=_SPACES,
    value_rules=_RULES,
    options={"smooth": (1.0, _NONNEGATIVE)},
    formula="1 - (2 sum(p t) + s) / (sum(p) + sum(t) + s) per class over the spatial axes; mean over classes",
    smooth=True,
    bounded=True,
    counterparts={
        "MONAI": "monai.losses.DiceLoss(smooth_nr=smooth, smooth_dr=smooth_dr, sigmoid=/softmax= (activation), "
        "include_background=, squared_pred=, batch=not per_sample)(probs (N, C, ...), one_hot(target)); its 'sum' "
        "and 'none' with per_class=True",
        "optax": "optax.losses.dice_loss(probs, one_hot(target), smooth=smooth / 2, apply_softmax=False)",
        "smp": "segmentation_models_pytorch.losses.DiceLoss(mode, from_logits=activation is not None, "
        "smooth=smooth / 2, "
        "ignore_index=)(probs (N, C, ...), target) (per_sample=False; smp scores classes absent from the target 0)",
        "keras": "keras.losses.dice(target, probs, axis=spatial_axes) (smooth=0: keras' eps 1e-7)",
    },
)
def dice(o: OverlapContext, probs: Array, target: Array, *, smooth: Any) -> Any:
    r"""Soft Dice loss for segmentation (Milletari et al. 2016), per class, averaged over classes.

    .. math:: \ell_c = 1 - \frac{2\sum p_c t_c + s}{\sum p_c + \sum t_c + s},
              \qquad \ell = \frac{\sum_c w_c \ell_c}{\sum_c w_c}

    Sums run over the spatial axes (per sample) or over the whole batch (``per_sample=False``).
    A class absent from both prediction and target has loss 0 (with ``smooth=0`` too, where
    the ratio is 0/0).

    Parameters
    ----------
    probs : array
        Probabilities, shape ``(N, ..., C)`` with the class axis at ``axis``, or ``(N, ...)``
        with ``axis=None`` (binary masks).
    target : array
        Integer class indices of shape ``(N, ...)`` (without the class axis), or a floating /
        boolean one-hot or probability target of ``probs``' shape.
    smooth : float or 0-d array, default 1.0
        :math:`s \ge 0`, added to numerator and denominator.
    class_weight : (C,) array, optional
        Per-class weights :math:`w_c` of the class mean (``sum(w l) / sum(w)``; equal weights
        by default).
    per_sample : bool, default True
        Statistics per sample (``"none"`` shape ``(N,)``) or pooled over the batch (0-d).

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; ``"none"``: ``(N,)`` per sample or 0-d pooled. The
        probabilities' namespace, device and floating dtype.

    Notes
    -----
    Equals ``optax.losses.dice_loss(probs, one_hot, smooth=s / 2, apply_softmax=False)`` per
    sample: optax writes the Dice as :math:`(I + s') / ((P + T)/2 + s')`, so its ``smooth`` is
    half of this one. optax's ``class_weights`` multiply the per-class losses before a plain
    mean: they equal ``class_weight * C / sum(class_weight)`` here; pooled statistics are
    optax's ``axis`` over the batch and spatial axes. keras' ``dice(target, probs, axis=...)`` has no smoothing and
    adds 1e-7 to the denominator: ``smooth=0`` matches it up to that epsilon (and except for
    empty classes, which keras scores 1). MONAI's ``DiceLoss(smooth_nr=s, smooth_dr=s)`` is the
    same formula per sample; smp's ``DiceLoss`` pools the batch (``per_sample=False``) and drops
    the classes absent from the target.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> probs = np.array([[[0.75, 0.25], [0.25, 0.75]]])   # one sample, two pixels, two classes
    >>> labels = np.array([[0, 1]])
    >>> # each class: 2 * 0.75 / (1 + 1) = 0.75 -> loss 0.25
    >>> float(la.dice(probs, labels, smooth=0.0))
    0.25
    >>> float(la.dice(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]), axis=None, smooth=0.0))
    0.0
    """
    I, P, T = o.stats  # noqa: E741
    return o.one_minus(2.0 * I, P + T, smooth)


@loss(
    _SQUARED,
    family="segmentation",
    task="segmentation",
    inputs=_SPACES,
    value_rules=_RULES,
    options={"smooth": (1.0, _NONNEGATIVE)},
    formula="1 - (sum(p t) + s) / (sum(p) + sum(t) - sum(p t) + s) per class; mean over classes",
    smooth=True,
    bounded=True,
    counterparts={
        "MONAI": "monai.losses.DiceLoss(jaccard=True, smooth_nr=2 * smooth, smooth_dr=2 * smooth_dr, ...) as for dice",
        "optax": "optax.losses.dice_loss(probs, one_hot(target), smooth=smooth, alpha=1, beta=1, apply_softmax=False)",
        "smp": "segmentation_models_pytorch.losses.JaccardLoss(mode, from_logits=activation is not None, "
        "smooth=smooth, ignore_index=)(probs (N, C, ...), target) (per_sample=False; absent classes score 0 there)",
    },
)
def jaccard(o: OverlapContext, probs: Array, target: Array, *, smooth: Any) -> Any:
    r"""Soft Jaccard (IoU) loss, per class, averaged over classes.

    .. math:: \ell_c = 1 - \frac{\sum p_c t_c + s}{\sum p_c + \sum t_c - \sum p_c t_c + s}

    Shapes, ``per_sample``, ``class_weight`` (weighted class mean) and empty classes (loss 0)
    as in :func:`dice`.

    Parameters
    ----------
    probs, target : array
        As for :func:`dice`.
    smooth : float or 0-d array, default 1.0
        :math:`s \ge 0`.
    class_weight : (C,) array, optional
        Weights of the class mean.
    per_sample : bool, default True
        Per-sample statistics (``"none"``: ``(N,)``) or pooled over the batch (0-d).

    Returns
    -------
    array
        As for :func:`dice`.

    Notes
    -----
    The Tversky index with :math:`\alpha = \beta = 1`: equals
    ``optax.losses.dice_loss(probs, one_hot, smooth=s, alpha=1.0, beta=1.0, apply_softmax=False)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> probs = np.array([[0.5, 0.5, 0.0, 0.0]])   # one binary mask of 4 pixels
    >>> target = np.array([[1, 0, 0, 0]])
    >>> # I = 0.5, union = 1 + 1 - 0.5 = 1.5 -> 1 - 1/3
    >>> round(float(la.jaccard(probs, target, smooth=0.0, axis=None)), 6)
    0.666667
    """
    I, P, T = o.stats  # noqa: E741
    return o.one_minus(I, P + T - I, smooth)


def _tversky_loss(o: OverlapContext, alpha: Any, beta: Any, smooth: Any) -> Any:
    """``1 - (TP + s) / (TP + alpha FP + beta FN + s)``, FP = P - I, FN = T - I (0 where the ratio is 0/0)."""
    I, P, T = o.stats  # noqa: E741
    return o.one_minus(I, I + alpha * (P - I) + beta * (T - I), smooth)


_TVERSKY_OPTIONS = {"alpha": (0.5, _NONNEGATIVE), "beta": (0.5, _NONNEGATIVE)}


@loss(
    OVERLAP,
    family="segmentation",
    task="segmentation",
    inputs=_SPACES,
    value_rules=_RULES,
    options={**_TVERSKY_OPTIONS, "smooth": (1.0, _NONNEGATIVE)},
    formula="1 - (TP + s) / (TP + alpha FP + beta FN + s) per class (alpha: false positives); mean over classes",
    smooth=True,
    bounded=True,
    counterparts={
        "MONAI": "monai.losses.TverskyLoss(alpha=alpha, beta=beta, smooth_nr=smooth, smooth_dr=smooth_dr, ...) as "
        "for dice",
        "optax": "optax.losses.dice_loss(probs, one_hot(target), alpha=alpha, beta=beta, smooth=smooth, "
        "apply_softmax=False)",
        "keras": "keras.losses.tversky(target, probs, alpha=beta, beta=alpha, axis=spatial_axes) "
        "(keras 3.15 swaps alpha/beta; smooth=0: keras' eps 1e-7)",
        "smp": "segmentation_models_pytorch.losses.TverskyLoss(mode, alpha=alpha, beta=beta, smooth=smooth, "
        "from_logits=activation is not None)(probs (N, C, ...), target) (per_sample=False; absent classes score 0)",
    },
)
def tversky(o: OverlapContext, probs: Array, target: Array, *, alpha: Any, beta: Any, smooth: Any) -> Any:
    r"""Tversky loss (Salehi et al. 2017): Dice with separate weights on false positives and negatives.

    .. math:: \mathrm{TI}_c = \frac{TP_c + s}{TP_c + \alpha\,FP_c + \beta\,FN_c + s},
              \quad TP = \sum p t,\; FP = \sum p (1 - t),\; FN = \sum (1 - p) t,
              \qquad \ell = \operatorname{mean}_c (1 - \mathrm{TI}_c)

    :math:`\alpha` weighs the **false positives**, :math:`\beta` the **false negatives** (the
    paper's convention, also MONAI's, smp's and optax's). :math:`\alpha = \beta = 1` is
    :func:`jaccard`; :math:`\alpha = \beta = 0.5` is :func:`dice` with twice the ``smooth``
    (:math:`(TP + s) / ((P + T)/2 + s)`). A class whose index is 0/0 (no
    true positive, no weighted error, ``smooth=0``) has loss 0.

    Parameters
    ----------
    probs, target : array
        As for :func:`dice`.
    alpha : float or 0-d array, default 0.5
        Weight :math:`\alpha \ge 0` of the false positives.
    beta : float or 0-d array, default 0.5
        Weight :math:`\beta \ge 0` of the false negatives.
    smooth : float or 0-d array, default 1.0
        :math:`s \ge 0`.
    class_weight : (C,) array, optional
        Weights of the class mean.
    per_sample : bool, default True
        Per-sample statistics (``"none"``: ``(N,)``) or pooled over the batch (0-d).

    Returns
    -------
    array
        As for :func:`dice`.

    Notes
    -----
    Equals ``optax.losses.dice_loss(probs, one_hot, alpha=alpha, beta=beta, smooth=s,
    apply_softmax=False)``. keras 3.15's ``tversky`` applies its ``alpha`` to the false
    *negatives* (contrary to its docstring; fixed upstream in keras PR #23333): there
    ``keras.losses.tversky(target, probs, alpha=beta, beta=alpha)`` matches ``smooth=0`` up to
    keras' 1e-7 epsilon.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> # y = [1, 1, 0, 0], y_hat = [1, 0, 1, 1]: TP = 1, FN = 1, FP = 2
    >>> y, y_hat = np.array([[1.0, 1.0, 0.0, 0.0]]), np.array([[1.0, 0.0, 1.0, 1.0]])
    >>> # alpha = 1 (on FP), beta = 0: 1 - 1 / (1 + 2)
    >>> round(float(la.tversky(y_hat, y, alpha=1.0, beta=0.0, smooth=0.0, axis=None)), 6)
    0.666667
    """
    return _tversky_loss(o, alpha, beta, smooth)


@loss(
    OVERLAP,
    family="segmentation",
    task="segmentation",
    inputs=_SPACES,
    value_rules=_RULES,
    options={**_TVERSKY_OPTIONS, "gamma": (0.75, Interval(0, None, closed="neither")), "smooth": (1.0, _NONNEGATIVE)},
    formula="mean over classes of (1 - TI_c)^gamma, TI the Tversky index (alpha: false positives)",
    bounded=True,
)
def focal_tversky(
    o: OverlapContext, probs: Array, target: Array, *, alpha: Any, beta: Any, gamma: Any, smooth: Any
) -> Any:
    r"""Focal Tversky loss (Abraham & Khan 2019): the per-class Tversky loss raised to ``gamma``.

    .. math:: \ell = \operatorname{mean}_c \,(1 - \mathrm{TI}_c)^{\gamma}

    with :math:`\mathrm{TI}_c` the Tversky index of :func:`tversky` (:math:`\alpha` on false
    positives, :math:`\beta` on false negatives). The power is taken **per class**, as in the
    paper (which sums :math:`\sum_c (1 - \mathrm{TI}_c)^{\gamma}`; here the classes are
    averaged, as in every overlap loss, or weighted by ``class_weight``). ``gamma < 1`` raises
    the loss of well-segmented classes; at a perfect class (loss 0) the gradient is 0 (the
    derivative of :math:`x^\gamma` is infinite there; double where).

    Parameters
    ----------
    probs, target : array
        As for :func:`dice`.
    alpha, beta : float or 0-d array, default 0.5
        Weights of the false positives and false negatives.
    gamma : float or 0-d array, default 0.75
        Exponent :math:`\gamma > 0` (the paper's :math:`1/\gamma`: its recommended 4/3 is 0.75).
    smooth : float or 0-d array, default 1.0
        :math:`s \ge 0`.
    class_weight : (C,) array, optional
        Weights of the class mean.
    per_sample : bool, default True
        Per-sample statistics (``"none"``: ``(N,)``) or pooled over the batch (0-d).

    Returns
    -------
    array
        As for :func:`dice`.

    Notes
    -----
    smp's ``TverskyLoss(gamma=)`` raises the *class-mean* loss to ``gamma`` instead; for a
    single class (binary masks) the two agree.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> y, y_hat = np.array([[1.0, 1.0, 0.0, 0.0]]), np.array([[1.0, 0.0, 1.0, 1.0]])
    >>> # Tversky loss (alpha = beta = 0.5): 1 - 1 / (1 + 1.5) = 0.6; 0.6 ** 0.5
    >>> round(float(la.focal_tversky(y_hat, y, gamma=0.5, smooth=0.0, axis=None)), 6)
    0.774597
    """
    base = _tversky_loss(o, alpha, beta, smooth)
    pos = ~(base <= 0)  # NaN propagates
    return o.xp.where(pos, o.xp.where(pos, base, o.xp.ones_like(base)) ** gamma, 0.0)


@loss(
    Overlap(class_mean=False),
    family="segmentation",
    task="segmentation",
    inputs=_SPACES,
    value_rules=_RULES,
    options={"smooth": (1e-5, _NONNEGATIVE), "weight_type": ("square", Choice("square", "simple", "uniform"))},
    formula="1 - (2 sum_c w_c sum(p t) + s) / (sum_c w_c (sum(p) + sum(t)) + s), w_c = 1 / (sum t_c)^2",
    smooth=True,
    bounded=True,
    counterparts={
        "MONAI": "monai.losses.GeneralizedDiceLoss(w_type=weight_type, smooth_nr=smooth, smooth_dr=smooth_dr)"
        "(probs (N, C, ...), one_hot(target)) (axis=1)",
    },
)
def generalized_dice(o: OverlapContext, probs: Array, target: Array, *, smooth: Any, weight_type: str) -> Any:
    r"""Generalized Dice loss (Sudre et al. 2017): one Dice of class sums weighted by inverse squared volume.

    .. math:: \ell = 1 - \frac{2 \sum_c w_c \sum p_c t_c + s}{\sum_c w_c (\sum p_c + \sum t_c) + s_{dr}},
              \qquad w_c = \frac{1}{(\sum t_c)^2}

    A class absent from the target has :math:`w_c = \infty`: it takes the largest weight of the
    present classes of the same sample (MONAI's rule), so predicting it is still penalized.
    When no class is present (an empty target) every weight is 0 and the loss is
    :math:`1 - s / s_{dr}` (0 with the default smoothing) with zero gradient, as in MONAI: an
    empty image gives no signal rather than a gradient of :math:`1/s` per pixel. A 0/0 ratio
    (``smooth=0``) gives 0.

    Parameters
    ----------
    probs, target : array
        As for :func:`dice`.
    smooth : float or 0-d array, default 1e-5
        :math:`s \ge 0`. The weighted sums scale like :math:`1/\sum t`, so on large masks a
        fixed ``smooth`` weighs more than in :func:`dice`.
    weight_type : {"square", "simple", "uniform"}, default "square"
        Class weights :math:`1/(\sum t_c)^2`, :math:`1/\sum t_c` or 1 (MONAI ``w_type``).
    per_sample : bool, default True
        Weights and statistics per sample (``"none"``: ``(N,)``; MONAI's ``batch=False``) or
        pooled over the batch (0-d).

    Returns
    -------
    array
        As for :func:`dice`.

    Notes
    -----
    The weights depend on the target only; no gradient flows into them from ``probs``.
    Equals MONAI's ``GeneralizedDiceLoss(w_type=weight_type, smooth_nr=s, smooth_dr=s_dr)`` on
    channel-first inputs (``axis=1``) with a one-hot target (``batch=True`` is
    ``per_sample=False``). optax's ``multiclass_generalized_dice_loss`` is a different quantity
    (a mean of per-class Dice losses multiplied by normalized weights, with weights pooled over
    the batch): it is not a counterpart of this loss.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> probs = np.array([[[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]])
    >>> labels = np.array([[0, 0, 1]])
    >>> # T = (2, 1), w = (1/4, 1); I = (1.5, 1), P = (1.5, 1.5)
    >>> # 1 - 2 (0.375 + 1) / (0.25 * 3.5 + 2.5) = 1 - 2.75 / 3.375
    >>> round(float(la.generalized_dice(probs, labels, smooth=0.0)), 6)
    0.185185
    """
    xp = o.xp
    I, P, T = o.stats  # noqa: E741
    present = T > 0
    if weight_type == "uniform":
        w = xp.ones_like(T)
    else:
        safe = xp.where(present, T, xp.ones_like(T))
        w = xp.where(present, 1.0 / (safe * safe if weight_type == "square" else safe), 0.0)
        w = xp.where(present, w, amax(xp, w, axis=-1, keepdims=True))  # absent: the largest (0 if none)
    return o.one_minus(2.0 * xp.sum(w * I, axis=-1), xp.sum(w * (P + T), axis=-1), smooth)


# -- compound: Dice + a pixel term -------------------------------------------------------------------

_COMPOUND_SPACES = {"logits": "logit", "target": "label_or_probability"}
_LAMBDA = (1.0, _NONNEGATIVE)


@loss(
    Compound(squared=True, ignore_index=True),
    family="segmentation",
    task="segmentation",
    inputs=_COMPOUND_SPACES,
    options={
        "lambda_dice": _LAMBDA,
        "lambda_ce": _LAMBDA,
        "smooth": (1e-5, _NONNEGATIVE),
        "smooth_dr": (None, Interval(0, None, optional=True)),
        "include_background": (True, Flag()),
        "squared_pred": (False, Flag()),
        "per_sample": (True, Flag()),
        "label_smoothing": (0.0, Interval(0, 1)),
        "ignore_index": (None, Integer(optional=True)),
    },
    formula="lambda_dice dice(softmax(x), t) + lambda_ce cross_entropy(x, t), the cross-entropy a mean over pixels",
    smooth=True,
    counterparts={
        "MONAI": "monai.losses.DiceCELoss(softmax=True, to_onehot_y=True, lambda_dice=, lambda_ce=, smooth_nr=smooth, "
        "smooth_dr=smooth_dr, include_background=, squared_pred=, batch=not per_sample, label_smoothing=)"
        "(logits (N, C, ...), labels[:, None]) (axis=1)",
    },
)
def dice_cross_entropy(
    o: OverlapContext,
    logits: Array,
    target: Array,
    *,
    lambda_dice: Any,
    lambda_ce: Any,
    smooth: Any,
    label_smoothing: Any,
    ignore_index: int | None,
) -> Any:
    r"""Dice loss of the softmax plus the cross-entropy of the logits (MONAI's ``DiceCELoss``).

    .. math:: \ell = \lambda_{dice}\,\mathrm{dice}(\mathrm{softmax}(x), t)
              + \lambda_{ce}\,\frac{\sum_{i \in \text{pixels}} w_i\,\mathrm{ce}_i}{\sum_i w_i}

    The Dice term is :func:`dice` with ``activation="softmax"`` (per class over the spatial
    axes, mean over classes, ``include_background``, ``squared_pred``, ``smooth_dr``,
    ``per_sample`` as there); the cross-entropy term is :func:`cross_entropy` of the logits per
    pixel (``label_smoothing``, ``ignore_index`` as there, :math:`w_i = 0` at ignored pixels)
    averaged over the counted pixels: of each sample for ``"none"`` (shape ``(N,)``; 0-d with
    ``per_sample=False``) and ``"sum"`` (the sum of the ``"none"`` entries), of the whole batch
    for ``"mean"`` -- torch's ``cross_entropy(ignore_index=)`` mean. Without ignored pixels
    every sample counts the same pixels and ``"mean"`` is the mean of the ``"none"`` entries.
    ``include_background=False`` leaves class 0 out of the Dice term only (as MONAI). Pixels
    labelled ``ignore_index`` are left out of both terms.

    Parameters
    ----------
    logits : array
        Unnormalized scores, shape ``(N, ..., C)`` with the class axis at ``axis``
        (``axis=1`` for ``(N, C, H, W)``).
    target : array
        Integer class indices ``(N, ...)`` (without the class axis), or floating class
        probabilities (one-hot) of the logits' shape.
    lambda_dice, lambda_ce : float or 0-d array, default 1.0
        Non-negative weights of the two terms.
    smooth : float or 0-d array, default 1e-5
        Smoothing of the Dice term (MONAI's ``smooth_nr``).
    smooth_dr : float or 0-d array, optional
        Denominator smoothing of the Dice term; None: ``smooth`` (MONAI's ``smooth_dr``).
    include_background : bool, default True
        False leaves class 0 out of the Dice term (the cross-entropy keeps every class).
    squared_pred : bool, default False
        Sums of squares in the Dice denominator (MONAI's ``squared_pred``).
    per_sample : bool, default True
        Dice statistics and pixel means per sample (``"none"``: ``(N,)``) or pooled over the
        batch (0-d; MONAI's ``batch=True``).
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]` of the cross-entropy term.
    ignore_index : int, optional
        Pixels with this integer label are left out of both terms.

    Notes
    -----
    Equals MONAI ``DiceCELoss(softmax=True, to_onehot_y=True, smooth_nr=smooth,
    smooth_dr=smooth)(logits, labels[:, None])`` with ``axis=1`` for ``"mean"``, with
    ``lambda_dice``, ``lambda_ce``, ``include_background``, ``squared_pred``, ``label_smoothing``
    and ``batch = not per_sample`` mapped one to one. MONAI's ``"sum"`` adds the Dice losses of
    every (sample, class) pair and the cross-entropy of every pixel: ``dice(...,
    per_class=True, reduction="sum")`` plus ``cross_entropy(..., reduction="sum")``. MONAI's
    ``DiceCELoss`` has no ``ignore_index``: with it this loss is MONAI's ``DiceLoss(ignore_index=)``
    plus torch's ``cross_entropy(ignore_index=)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> logits = np.array([[[2.0, 0.0], [0.0, 2.0]]])   # one image, two pixels, two classes
    >>> labels = np.array([[0, 1]])
    >>> dice = la.dice(logits, labels, activation="softmax", smooth=1e-5)
    >>> ce = la.cross_entropy(logits, labels)
    >>> bool(np.isclose(la.dice_cross_entropy(logits, labels), dice + ce))
    True
    """
    I, P, T = o.stats  # noqa: E741
    dice = o.one_minus(2.0 * I, P + T, smooth)
    ce = _CROSS_ENTROPY(
        o.classes(),
        logits,
        target,
        class_weight=None,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        temperature=1.0,
    )
    return Terms(lambda_dice * dice, ce, lambda_ce)


@loss(
    Compound(activation=True),
    family="segmentation",
    task="segmentation",
    inputs=_COMPOUND_SPACES,
    options={
        "lambda_dice": _LAMBDA,
        "lambda_focal": _LAMBDA,
        "gamma": (2.0, _NONNEGATIVE),
        "alpha": (None, Interval(0, 1, optional=True)),
        "activation": ("softmax", Choice("sigmoid", "softmax")),
        "smooth": (1e-5, _NONNEGATIVE),
        "smooth_dr": (None, Interval(0, None, optional=True)),
        "include_background": (True, Flag()),
        "per_sample": (True, Flag()),
    },
    formula="lambda_dice dice(activation(x), t) + lambda_focal focal(x, t): softmax_focal (softmax) or "
    "sigmoid_focal on the one-hot target (sigmoid)",
    smooth=True,
    counterparts={
        "MONAI": "monai.losses.DiceFocalLoss(sigmoid=True, to_onehot_y=True, lambda_dice=, lambda_focal=, gamma=, "
        "alpha=, smooth_nr=smooth, smooth_dr=smooth_dr, batch=not per_sample)(logits (N, C, ...), labels[:, None]) "
        "(activation='sigmoid', axis=1)",
    },
)
def dice_focal(
    o: OverlapContext,
    logits: Array,
    target: Array,
    *,
    lambda_dice: Any,
    lambda_focal: Any,
    gamma: Any,
    alpha: Any,
    activation: str,
    smooth: Any,
) -> Any:
    r"""Dice loss of the activated logits plus a focal loss of the logits (MONAI's ``DiceFocalLoss``).

    .. math:: \ell = \lambda_{dice}\,\mathrm{dice}(a(x), t) + \lambda_{focal}\,\mathrm{focal}(x, t)

    The Dice term is :func:`dice` with the ``activation`` :math:`a` (``include_background``,
    ``smooth_dr``, ``per_sample`` as there). The focal term, with lossapi's mean: for
    ``"softmax"`` :func:`softmax_focal` per pixel, :math:`-\alpha (1 - p_y)^\gamma \log p_y`
    (integer labels; :math:`-\alpha \sum_c t_c (1 - p_c)^\gamma \log p_c` for class
    probabilities), averaged over the pixels; for ``"sigmoid"`` :func:`sigmoid_focal` of
    every class logit against the one-hot target, averaged over pixels and classes. Its mean
    runs over each sample's pixels for ``"none"`` (shape ``(N,)``; 0-d with
    ``per_sample=False``) and over the batch's for ``"mean"`` (the same value: every sample
    counts the same pixels); ``"sum"`` adds the ``"none"`` entries. ``include_background=False``
    leaves class 0 out of the Dice term only.

    Parameters
    ----------
    logits : array
        Unnormalized scores, shape ``(N, ..., C)`` with the class axis at ``axis``; with
        ``activation="sigmoid"`` also binary masks without a class axis (``axis=None``).
    target : array
        Integer class indices ``(N, ...)``, or a floating (one-hot or probability; with
        ``activation="sigmoid"`` and ``axis=None`` a 0/1 mask) target of the logits' shape.
    lambda_dice, lambda_focal : float or 0-d array, default 1.0
        Non-negative weights of the two terms.
    gamma : float or 0-d array, default 2.0
        Focusing parameter of the focal term, >= 0.
    alpha : float or 0-d array, optional
        Balancing factor of the focal term in [0, 1] (as in :func:`softmax_focal` /
        :func:`sigmoid_focal`); None: no balancing.
    activation : {"softmax", "sigmoid"}, default "softmax"
        Activation of the Dice term and kind of the focal term.
    smooth : float or 0-d array, default 1e-5
        Smoothing of the Dice term (MONAI's ``smooth_nr``).
    smooth_dr : float or 0-d array, optional
        Denominator smoothing of the Dice term; None: ``smooth`` (MONAI's ``smooth_dr``).
    include_background : bool, default True
        False leaves class 0 out of the Dice term (the focal term keeps every class).
    per_sample : bool, default True
        Dice statistics and pixel means per sample (``"none"``: ``(N,)``) or pooled over the
        batch (0-d; MONAI's ``batch=True``).

    Notes
    -----
    With ``activation="sigmoid"`` and ``axis=1`` this equals MONAI ``DiceFocalLoss(sigmoid=True,
    to_onehot_y=True, smooth_nr=smooth, smooth_dr=smooth)(logits, labels[:, None])`` for
    ``"mean"`` (``lambda_dice``, ``lambda_focal``, ``gamma``, ``alpha`` and ``batch = not
    per_sample`` map one to one; MONAI's ``include_background=False`` also drops class 0 from
    its focal term). MONAI's ``DiceFocalLoss(softmax=True)`` still uses the sigmoid focal term:
    it is ``dice(logits, labels, axis=1, activation="softmax", smooth=1e-5)`` plus
    ``sigmoid_focal(logits, one_hot(labels))``, not this loss with ``activation="softmax"``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> logits = np.array([[[2.0, 0.0], [0.0, 2.0]]])
    >>> labels = np.array([[0, 1]])
    >>> dice = la.dice(logits, labels, activation="softmax", smooth=1e-5)
    >>> focal = la.softmax_focal(logits, labels, gamma=2.0)
    >>> bool(np.isclose(la.dice_focal(logits, labels), dice + focal))
    True
    """
    I, P, T = o.stats  # noqa: E741
    dice = o.one_minus(2.0 * I, P + T, smooth)
    if activation == "softmax":
        focal = _SOFTMAX_FOCAL(
            o.classes(),
            logits,
            target,
            alpha=alpha,
            gamma=gamma,
            class_weight=None,
            ignore_index=None,
            label_smoothing=0.0,
        )
    else:
        focal = _SIGMOID_FOCAL(o.xp, logits, o.one_hot(), alpha=alpha, gamma=gamma, label_smoothing=0.0)
    return Terms(lambda_dice * dice, focal, lambda_focal)


# -- Lovász ----------------------------------------------------------------------------------------


@loss(
    Segmentation(labels="int"),
    family="segmentation",
    task="segmentation",
    inputs={"probs": "probability", "labels": "label"},
    options={"ignore_index": (None, Integer(optional=True)), "classes": ("present", Choice("present", "all"))},
    formula="mean over classes of the Lovasz extension of the Jaccard loss at the errors |1[y = c] - p_c|",
    convex=True,
    bounded=True,
    counterparts={
        "smp": "segmentation_models_pytorch.losses.LovaszLoss('multiclass', per_image=per_sample, "
        "ignore_index=ignore_index)(log(probs) moved to (N, C, ...), labels) (float32; classes='present')",
    },
)
def lovasz_softmax(c: SegContext, probs: Array, labels: Array, *, ignore_index: int | None, classes: str) -> Any:
    r"""Lovász-Softmax loss (Berman et al. 2018): a convex surrogate of the mean IoU loss.

    For each class :math:`c`, with errors :math:`e_i = |[y_i = c] - p_{i,c}|` over the pixels
    sorted so that :math:`e_{(1)} \ge e_{(2)} \ge \dots`:

    .. math:: \ell_c = \sum_k e_{(k)}\, \bigl(\Delta_J(k) - \Delta_J(k - 1)\bigr),
              \qquad \Delta_J(k) = 1 - \frac{|G_c| - \sum_{j \le k} g_{(j)}}{|G_c| + \sum_{j \le k} (1 - g_{(j)})}

    (:math:`g = [y = c]`, :math:`G_c` the pixels of class :math:`c`): the Lovász extension of the
    Jaccard loss evaluated at the errors. The loss is the mean of :math:`\ell_c` over the
    classes present in ``labels`` (``classes="present"``; 0 if none) or over all classes.

    Parameters
    ----------
    probs : array
        Probabilities with the class axis at ``axis`` (a softmax output), shape ``(N, ..., C)``.
    labels : int array
        Class indices, shape ``(N, ...)`` (``probs`` without the class axis).
    ignore_index : int, optional
        Label of pixels to leave out (they neither count nor move the others' gradients).
    classes : {"present", "all"}, default "present"
        Average over the classes present in the (non-ignored) labels, or over every class.
    per_sample : bool, default False
        False: the whole batch flattened into one set of pixels (the paper's default; ``"none"``
        is 0-d). True: one loss per image (``"none"``: ``(N,)``; smp's ``per_image``).
    axis : int, default -1
        Class axis (binary masks: :func:`lovasz_hinge`).

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; ``"none"``: 0-d (pooled) or ``(N,)`` per sample.

    Notes
    -----
    Written for tracing: one stable sort per class (``argsort`` + ``take_along_axis``) carries
    the ground truth along with the errors; ignored pixels get error 0 and ground truth
    "neither" (their entry of the Lovász gradient is exactly 0), and "present" classes are
    weights. Errors are computed as ``1 - p`` (class pixels) and ``p`` (others), which equals
    :math:`|g - p|` for probabilities in [0, 1]. Ties between errors only affect the (sub)gradient,
    never the value.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> probs = np.array([[[0.9, 0.1], [0.4, 0.6]]])   # one image of two pixels, labels 0 and 1
    >>> labels = np.array([[0, 1]])
    >>> # class 0: errors 0.4 (pixel 1, background), 0.1 (pixel 0): Delta_J = 1/2, 1 -> 0.4/2 + 0.1/2
    >>> # class 1: errors 0.4 (pixel 1, foreground), 0.1: Delta_J = 1, 1 -> 0.4
    >>> round(float(la.lovasz_softmax(probs, labels)), 6)
    0.325
    """
    xp, dtype = c.xp, c.dtype
    valid, lab = ignore_mask(c.fn, xp, labels, ignore_index)
    p = xp.permute_dims(c.flat(probs), (0, 2, 1))  # (G, C, M)
    fg = label_hits(xp, c.flat(lab, class_axis=False), c.num_classes, 1)  # (G, C, M) bool
    errors = xp.where(fg, 1.0 - p, p)
    if valid is None:
        gt, bg = xp.astype(fg, dtype), None
    else:
        v = xp.expand_dims(c.flat(valid, class_axis=False), axis=1)  # (G, 1, M)
        gt, bg = xp.astype(fg & v, dtype), xp.astype(~fg & v, dtype)
        errors = xp.where(v, errors, 0.0)
    e, g = lovasz_sorted(xp, errors, gt, bg)
    per_class = xp.sum(e * g, axis=-1)  # (G, C)
    if classes == "all":
        return xp.mean(per_class, axis=-1)
    present = xp.astype(xp.sum(gt, axis=-1) > 0, dtype)
    return safe_div(xp, xp.sum(per_class * present, axis=-1), xp.sum(present, axis=-1))


@loss(
    Segmentation(binary=True, fill=0.0),
    family="segmentation",
    task="binary_segmentation",
    inputs={"logits": "logit", "labels": "label"},
    options={"per_sample": (True, Flag()), "ignore_index": (None, Integer(optional=True))},
    formula="Lovasz extension of the Jaccard loss at relu(1 - logit * (2 y - 1)), per image",
    convex=True,
    value_rules={"labels": "binary_labels"},
    counterparts={
        "smp": "segmentation_models_pytorch.losses.LovaszLoss('binary', per_image=per_sample, "
        "ignore_index=ignore_index)(logits, labels) (float32; per_image=True is the 'mean' over images)",
    },
)
def lovasz_hinge(c: SegContext, logits: Array, labels: Array, *, ignore_index: int | None) -> Any:
    r"""Binary Lovász hinge loss (Berman et al. 2018) on logits.

    With hinge errors :math:`e_i = 1 - x_i\,(2 y_i - 1)` sorted in descending order,

    .. math:: \ell = \sum_k \max(e_{(k)}, 0)\, \bigl(\Delta_J(k) - \Delta_J(k - 1)\bigr)

    where :math:`\Delta_J` is the Jaccard loss of the foreground (``y = 1``) after the first
    :math:`k` pixels, as in :func:`lovasz_softmax`.

    Parameters
    ----------
    logits : array
        Real-valued scores, shape ``(N, ...)`` (no class axis).
    labels : array
        0/1 labels of ``logits``' shape (integer, boolean or floating).
    per_sample : bool, default True
        One loss per image (``"none"``: ``(N,)``; the paper's ``per_image``) or the batch
        flattened into one set of pixels (0-d).
    ignore_index : int, optional
        Label value of pixels to leave out.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; ``"none"``: ``(N,)`` per image or 0-d pooled.

    Notes
    -----
    An image without foreground scores :math:`\max_i e_i^+` (its Jaccard loss is 1 as soon as
    one pixel is predicted positive); an image whose pixels are all ignored scores 0.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> logits = np.array([[2.0, -1.0, 0.5]])
    >>> labels = np.array([[1, 0, 0]])
    >>> # errors (-1, 0, 1.5); sorted: 1.5 (bg) -> Delta_J = 1/2; then 0 and -1 -> relu 0
    >>> float(la.lovasz_hinge(logits, labels))
    0.75
    """
    xp = c.xp
    x, y = c.flat(logits, class_axis=False), c.flat(labels, class_axis=False)  # (G, M)
    gt, bg = y, None
    if ignore_index is not None:  # ignored pixels: neither foreground nor background, error 0
        valid = y != float(ignore_index)
        gt = xp.where(valid, y, 0.0)
        bg = xp.astype(valid, c.dtype) - gt
    errors = 1.0 - x * (2.0 * gt - 1.0)
    if bg is not None:
        errors = xp.where(valid, errors, 0.0)
    e, g = lovasz_sorted(xp, errors, gt, bg)
    return xp.sum(relu(xp, e) * g, axis=-1)


# -- metric surrogates -------------------------------------------------------------------------------


@loss(
    _METRIC,
    family="segmentation",
    task="segmentation",
    inputs=_SPACES,
    value_rules=_RULES,
    formula="1 - macro mean over classes of 2 TP / (2 TP + FP + FN), soft counts (classes with no TP+FP+FN left out)",
    smooth=True,
    bounded=True,
    counterparts={"sklearn": "1 - sklearn.metrics.f1_score(y_true, y_pred, average='macro') at hard predictions"},
)
def soft_f1(c: SegContext, probs: Array, target: Array) -> Any:
    r"""Soft macro-F1 loss: one minus the F1 score of soft true/false positives and negatives.

    .. math:: F_1^{(c)} = \frac{2\,TP_c}{2\,TP_c + FP_c + FN_c}, \quad TP = \sum p t,\;
              FP = \sum p (1 - t),\; FN = \sum (1 - p) t, \qquad
              \ell = 1 - \operatorname{mean}_{c \in \mathcal{C}} F_1^{(c)}

    :math:`\mathcal{C}` holds the classes with :math:`TP + FP + FN > 0` (present in the target
    or the prediction), as sklearn's macro average; with none of them the loss is 0. Binary
    masks (``axis=None``) score the positive class only. The statistics are pooled over the
    whole batch by default (the F1 of a data set); ``per_sample=True`` gives one per sample.

    Parameters
    ----------
    probs, target : array
        As for :func:`dice`.
    per_sample : bool, default False
        Pooled statistics (``"none"`` is 0-d) or per sample (``(N,)``).

    Returns
    -------
    array
        As for :func:`dice`.

    Notes
    -----
    At hard one-hot predictions equals ``1 - sklearn.metrics.f1_score(y_true, y_pred,
    average="macro")`` (``average="binary", zero_division=1.0`` for binary masks). The per-class
    soft F1 is the Dice coefficient without smoothing.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> probs = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])   # predicted 0, 1, 1
    >>> labels = np.array([0, 1, 0])
    >>> # F1 of class 0: 2/(2+0+1) = 2/3; class 1: 2/(2+1+0) = 2/3
    >>> round(float(la.soft_f1(probs, labels)), 6)
    0.333333
    """
    xp = c.xp
    I, P, T = c.overlap()  # noqa: E741
    den = P + T
    f1 = safe_div(xp, 2.0 * I, den)
    n = xp.sum(xp.astype(den != 0, c.dtype), axis=-1)  # the present classes
    return safe_div(xp, n - xp.sum(f1, axis=-1), n)


@loss(
    _CONFUSION,
    family="segmentation",
    task="segmentation",
    inputs={"probs": "probability", "labels": "label_or_probability"},
    options={"weights": ("quadratic", Choice(None, "linear", "quadratic"))},
    formula="sum(W O) / sum(W E): O the soft confusion matrix sum_n t_n p_n^T, E the outer product of its "
    "marginals / total, W the disagreement weights",
    smooth=True,
    bounded=True,
    counterparts={
        "sklearn": "1 - sklearn.metrics.cohen_kappa_score(y_true, y_pred, labels=range(C), "
        "weights=weights) at hard predictions"
    },
)
def cohen_kappa(c: SegContext, probs: Array, labels: Array, *, weights: str | None) -> Any:
    r"""Soft Cohen's kappa loss: one minus the weighted kappa of a soft confusion matrix.

    .. math:: O = \sum_n t_n p_n^\top, \quad E = \frac{(O\mathbf{1})(\mathbf{1}^\top O)}{\mathbf{1}^\top O \mathbf{1}},
              \qquad \ell = 1 - \kappa = \frac{\sum_{ij} W_{ij} O_{ij}}{\sum_{ij} W_{ij} E_{ij}}

    (rows: true class, columns: predicted class) with disagreement weights
    :math:`W_{ij} = (i - j)^2` (``"quadratic"``, the QWK of ordinal grading), :math:`|i - j|`
    (``"linear"``) or :math:`[i \ne j]` (None). The loss lies in [0, 2]; where the expected
    disagreement is 0 (every true and predicted label in one class) agreement is perfect and
    the loss is 0.

    Parameters
    ----------
    probs : array
        Probabilities with the class axis at ``axis``, or of the positive class (``axis=None``:
        two classes ``[1 - p, p]``).
    labels : array
        Integer class indices (``probs`` without the class axis), or a one-hot / probability
        target of ``probs``' shape; 0/1 labels of ``probs``' shape with ``axis=None``.
    weights : {"quadratic", "linear", None}, default "quadratic"
        Disagreement weights, from the class indices 0..C-1.
    per_sample : bool, default False
        Pooled confusion matrix (``"none"`` is 0-d) or one per sample (``(N,)``).

    Returns
    -------
    array
        As for :func:`dice`.

    Notes
    -----
    At hard one-hot predictions equals ``1 - sklearn.metrics.cohen_kappa_score(y_true, y_pred,
    labels=range(C), weights=weights, replace_undefined_by=1.0)``: the weights use the class
    indices, so sklearn needs ``labels=range(C)`` when a class is absent from both.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> probs = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    >>> labels = np.array([0, 1, 0, 1])
    >>> # O = [[1, 1], [1, 1]], E = [[1, 1], [1, 1]]: kappa 0, loss 1
    >>> float(la.cohen_kappa(probs, labels))
    1.0
    """
    xp, dtype, C = c.xp, c.dtype, c.num_classes
    p = c.flat(probs)  # (G, M, C)
    t = xp.astype(label_hits(xp, c.flat(labels, class_axis=False), C, 2), dtype) if c.int_labels else c.flat(labels)
    O = xp.matmul(xp.matrix_transpose(t), p)  # noqa: E741  (G, C, C)
    rows, cols = xp.sum(O, axis=-1), xp.sum(O, axis=-2)
    k = xp.arange(C, dtype=dtype, device=device_of(p))
    d = xp.reshape(k, (-1, 1)) - xp.reshape(k, (1, -1))
    W = d * d if weights == "quadratic" else (xp.abs(d) if weights == "linear" else xp.astype(d != 0, dtype))
    observed = xp.sum(xp.sum(W * O, axis=-1), axis=-1)
    expected = xp.sum(xp.matmul(rows, W) * cols, axis=-1)  # = total * sum(W E)
    return safe_div(xp, observed * xp.sum(rows, axis=-1), expected)


@loss(
    _METRIC_CONFUSION,
    family="segmentation",
    task="segmentation",
    inputs=_SPACES,
    value_rules=_RULES,
    formula="1 - (c s - sum_k p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2)) of the soft confusion matrix",
    smooth=True,
    bounded=True,
    counterparts={
        "sklearn": "1 - sklearn.metrics.matthews_corrcoef(y_true, y_pred) at hard predictions",
        "smp": "segmentation_models_pytorch.losses.MCCLoss(eps=0.0)(probs, target) (binary masks, axis=None, pooled)",
    },
)
def matthews(c: SegContext, probs: Array, target: Array) -> Any:
    r"""Soft Matthews correlation loss: one minus the (multiclass, Gorodkin) MCC of a soft confusion matrix.

    With the soft confusion matrix :math:`O = \sum_n t_n p_n^\top`, its row sums :math:`t_k`
    (true), column sums :math:`p_k` (predicted), trace :math:`c` and total :math:`s`:

    .. math:: \mathrm{MCC} = \frac{c\,s - \sum_k p_k t_k}
              {\sqrt{(s^2 - \sum_k p_k^2)(s^2 - \sum_k t_k^2)}}, \qquad \ell = 1 - \mathrm{MCC}

    For binary masks (``axis=None``) the classes are ``[1 - p, p]``: the usual binary MCC. The
    loss lies in [0, 2]; where a factor of the denominator is 0 (a single true or predicted
    class) the MCC is 0, as sklearn's, and the loss 1 (finite gradient).

    Parameters
    ----------
    probs, target : array
        As for :func:`dice` (``target``: class indices or a one-hot / probability target).
    per_sample : bool, default False
        Pooled statistics (``"none"`` is 0-d) or per sample (``(N,)``).

    Returns
    -------
    array
        As for :func:`dice`.

    Notes
    -----
    At hard one-hot predictions equals ``1 - sklearn.metrics.matthews_corrcoef(y_true, y_pred)``.
    An empty batch gives 0 (as every lossapi loss; sklearn's undefined MCC would give 1).
    The marginals are those of the confusion matrix, :math:`t_k = \sum_n t_{nk} \sum_j p_{nj}`,
    so probabilities that do not sum to 1 are handled consistently.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> p = np.array([[1.0, 1.0, 0.0, 0.0]])      # binary mask: predicted 1, 1, 0, 0
    >>> t = np.array([[1.0, 0.0, 0.0, 0.0]])      # TP 1, FP 1, TN 2, FN 0
    >>> # MCC = (1*2 - 1*0) / sqrt(2 * 1 * 3 * 2) = 2 / sqrt(12)
    >>> round(float(la.matthews(p, t, axis=None)), 6)
    0.42265
    """
    xp, ax, axes = c.xp, c.axis, c.stat_axes
    p_row = xp.sum(probs, axis=ax, keepdims=True)  # sum_j p_nj
    if c.int_labels:
        hits = label_hits(xp, target, c.num_classes, ax)
        t_row = xp.sum(xp.astype(hits, c.dtype), axis=ax, keepdims=True)  # 1 (0 for out-of-range labels)
        t_k = sum_over(xp, xp.where(hits, p_row, 0.0), axes)
        trace = sum_over(xp, xp.where(hits, probs, 0.0), axes)
    else:
        t_row = xp.sum(target, axis=ax, keepdims=True)
        t_k = sum_over(xp, target * p_row, axes)
        trace = sum_over(xp, target * probs, axes)
    p_k = sum_over(xp, probs * t_row, axes)
    tr, s = xp.sum(trace, axis=-1), xp.sum(t_k, axis=-1)
    # sklearn's form: at a perfect prediction the three covariances round identically (MCC 1).
    cov_tp = tr * s - xp.sum(p_k * t_k, axis=-1)
    cov_pp = s * s - xp.sum(p_k * p_k, axis=-1)
    cov_tt = s * s - xp.sum(t_k * t_k, axis=-1)
    ok = ~((cov_pp <= 0) | (cov_tt <= 0))  # NaN propagates
    den = xp.sqrt(xp.where(ok, cov_pp * cov_tt, xp.ones_like(cov_pp)))
    loss = 1.0 - xp.where(ok, cov_tp / den, 0.0)
    return loss * 0.0 if 0 in probs.shape else loss  # an empty batch (static shape): 0 like every loss
