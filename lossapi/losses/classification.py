"""Probabilistic classification losses: cross-entropies and the Brier score.

Binary losses (``binary_cross_entropy``, ``binary_cross_entropy_with_logits``) are elementwise:
``reduction="none"`` returns the broadcast shape of the inputs. The others have a class axis
(``axis=-1`` by default, channels-last as in optax/keras; torch-style ``(N, C, H, W)`` inputs pass
``axis=1``) which ``reduction="none"`` drops.

Targets are read by dtype, never by value: integer arrays are class indices (shape of the
prediction without the class axis), floating arrays are class probabilities (the prediction's
shape). Integer labels are never expanded into a floating one-hot of the logits' size: the
loss gathers the logit at the label and subtracts the log-sum-exp.

Weights: ``sample_weight``, ``where``, ``class_weight`` (looked up at the label) and
``ignore_index`` all multiply the per-element loss, and ``"mean"`` is ``sum(w * l) / sum(w)``:
torch's weighted mean over the counted targets. All targets ignored gives 0, not NaN; ignored
or ``where``-excluded positions may hold out-of-range labels and NaN/inf predictions.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Array, Namespace, is_number
from .._dispatch import backend_name
from .._loss import Elementwise, PerElement, loss
from .._ops import BCE_GRAD_EPS, astype, gather_labels, logsumexp, relu, stop_gradient, take_1d
from .._options import ClassWeight, Integer, Interval
from ._classes import (
    BinaryLogits,
    ClassAxis,
    ClassContext,
    along_axis,
    ignore_mask,
    mask_ignored,
    probability_target,
    smoothed_nll,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "brier_score",
    "categorical_cross_entropy",
    "cross_entropy",
    "generalized_cross_entropy",
    "nll",
    "poly1_cross_entropy",
]

#: torch clamps log-probabilities at -100 in its BCE; so do the probability-space losses here.
LOG_CLAMP = -100.0
_CLAMP_AT = math.exp(LOG_CLAMP)

_BINARY = {"target": "probability"}
_UNIT = Interval(0, 1)
_BALANCE = (None, Interval(0, 1, optional=True))
_SMOOTHING = (0.0, _UNIT)


def _clamped_log(xp: Any, p: Any) -> Any:
    """``max(log p, -100)`` with a finite (zero) gradient where the clamp binds, p = 0 included."""
    ok = ~(p <= _CLAMP_AT)  # NaN takes the log branch and propagates
    return xp.where(ok, xp.log(xp.where(ok, p, xp.ones_like(p))), xp.full_like(p, LOG_CLAMP))


def _smooth_binary(t: Any, s: Any) -> Any:
    return t if isinstance(s, (int, float)) and s == 0 else t * (1 - s) + s / 2


def _coefficients(t: Any, alpha: Any, pos_weight: Any = None) -> tuple[Any, Any]:
    """Weights of the positive and the negative term: ``(alpha pos_weight t, (1 - alpha)(1 - t))``."""
    pos = t if pos_weight is None else pos_weight * t
    return (pos, 1 - t) if alpha is None else (alpha * pos, (1 - alpha) * (1 - t))


def _saturated_bce(xp: Any, p: Any, t: Any, pos: Any, neg: Any, alpha: Any) -> Any:
    """BCE where ``p (1 - p) < 1e-12``: the clamped value, with torch's gradient ``(p - t) / 1e-12``
    w.r.t. ``p`` (balanced by the same weights) and the derivative of the clamped value w.r.t. ``t``."""
    lp, l1p = _clamped_log(xp, p), _clamped_log(xp, 1 - p)
    val = -(pos * lp + neg * l1p)
    gp = ((pos + neg) * p - pos) / BCE_GRAD_EPS
    gt = (l1p - lp) if alpha is None else ((1 - alpha) * l1p - alpha * lp)
    return (
        stop_gradient(xp, val)
        + (p - stop_gradient(xp, p)) * stop_gradient(xp, gp)
        + (t - stop_gradient(xp, t)) * stop_gradient(xp, gt)
    )


def _logit_bce(xp: Any, x: Any, cpos: Any, cneg: Any) -> Any:
    """``cpos softplus(-x) + cneg softplus(x)``, stable for every finite ``x``."""
    if backend_name(xp) in ("numpy", "dask"):
        # No autodiff here, so the gradient convention at 0 is moot, and `where` on a mask of
        # random signs costs ~10x an arithmetic ufunc: the same value from relu / minimum / abs.
        return cneg * relu(xp, x) - cpos * xp.minimum(x, 0.0) + (cpos + cneg) * xp.log1p(xp.exp(-xp.abs(x)))
    # softplus(+-x) share log1p(exp(-|x|)); -|x| is spelled where(x > 0, -x, x) and the linear
    # parts where(x > 0, ...) so that at x = 0 every piece takes the same branch and the
    # gradient is the true one, sigmoid(0) * (cpos + cneg) - cpos.
    pos = x > 0
    shared = xp.log1p(xp.exp(xp.where(pos, -x, x)))
    return xp.where(pos, cneg * x, -cpos * x) + (cpos + cneg) * shared


# -- binary ---------------------------------------------------------------------------------------


@loss(
    Elementwise(fill=0.5),
    family="classification",
    task="binary",
    inputs={"probs": "probability", **_BINARY},
    options={"alpha": _BALANCE, "label_smoothing": _SMOOTHING},
    formula="-(a t log p + (1 - a)(1 - t) log(1 - p)), logs clamped at -100",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.binary_cross_entropy(probs, target)",
        "keras": "keras.losses.BinaryCrossentropy()(target, probs)",
        "sklearn": "sklearn.metrics.log_loss(target, probs)",
    },
    aliases=("bce",),
)
def binary_cross_entropy(xp: Namespace, probs: Array, target: Array, *, alpha: Any, label_smoothing: Any) -> Any:
    r"""Binary cross-entropy on probabilities.

    .. math::

        \ell(p, t) = -\bigl(\alpha\, t \log p + (1 - \alpha)(1 - t) \log(1 - p)\bigr)

    with both logarithms clamped at :math:`-100` (as torch), so probabilities of exactly 0 or 1
    give finite values. Without ``alpha`` both terms have weight 1 (not 1/2). With
    ``label_smoothing = s`` the target becomes :math:`t(1 - s) + s/2`.

    Parameters
    ----------
    probs : array
        Predicted probabilities in [0, 1], real floating.
    target : array
        Targets in [0, 1] (hard or soft), broadcastable to ``probs``; integer/bool allowed.
    alpha : float or 0-d array, optional
        Class balance: weight of the positive term; ``1 - alpha`` weighs the negative term
        ("balanced BCE"). None: no balancing.
    label_smoothing : float, default 0.0
        In [0, 1].

    Notes
    -----
    Equals ``torch.nn.functional.binary_cross_entropy`` (values, and gradients w.r.t.
    ``probs`` including torch's convention where :math:`p(1-p) < 10^{-12}`: there the
    gradient is :math:`(p - t) / 10^{-12}`, finite, instead of the unbounded derivative), keras
    ``BinaryCrossentropy`` (which clips probabilities to :math:`[10^{-7}, 1 - 10^{-7}]`: equal
    inside that range) and ``sklearn.metrics.log_loss`` for hard targets. The gradient w.r.t.
    ``target`` is the derivative of the clamped value (finite; torch gives ±inf at 0 and 1).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.binary_cross_entropy(np.array([0.9, 0.2]), np.array([1.0, 0.0]))), 6)
    0.164252
    >>> float(la.binary_cross_entropy(np.array([0.0]), np.array([1.0])))  # clamped, finite
    100.0
    """
    t = _smooth_binary(target, label_smoothing)
    pos, neg = _coefficients(t, alpha)
    # Away from saturation the plain formula, whose derivative is torch's gradient.
    ok = probs * (1 - probs) >= BCE_GRAD_EPS
    ps = xp.where(ok, probs, xp.full_like(probs, 0.5))
    exact = -(pos * xp.log(ps) + neg * xp.log1p(-ps))
    return xp.where(ok, exact, _saturated_bce(xp, probs, t, pos, neg, alpha))


@loss(
    BinaryLogits(fill=0.0),
    family="classification",
    task="binary",
    inputs={"logits": "logit", **_BINARY},
    options={
        "pos_weight": (None, BinaryLogits.options["pos_weight"][1]),
        "alpha": _BALANCE,
        "label_smoothing": _SMOOTHING,
    },
    formula="a pw t softplus(-x) + (1 - a)(1 - t) softplus(x)",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)",
        "optax": "optax.losses.sigmoid_binary_cross_entropy(logits, target).mean()",
        "keras": "keras.losses.BinaryCrossentropy(from_logits=True)(target, logits)",
        "smp": "segmentation_models_pytorch.losses.SoftBCEWithLogitsLoss(smooth_factor=label_smoothing / 2, "
        "pos_weight=pos_weight, ignore_index=None)(logits, target)",
    },
)
def binary_cross_entropy_with_logits(
    xp: Namespace, logits: Array, target: Array, *, pos_weight: Any, alpha: Any, label_smoothing: Any
) -> Any:
    r"""Binary cross-entropy on logits, numerically stable for every finite logit.

    .. math::

        \ell(x, t) = \alpha\, w_+ t\, \mathrm{softplus}(-x) + (1 - \alpha)(1 - t)\,
        \mathrm{softplus}(x)

    (:math:`-\log\sigma(x) = \mathrm{softplus}(-x)`), without ``alpha`` both coefficients are
    1; :math:`w_+` is ``pos_weight`` (1 by default). ``label_smoothing = s`` replaces the
    target by :math:`t(1 - s) + s/2`. Logits of :math:`\pm 10^4` give finite values and
    gradients.

    Parameters
    ----------
    logits : array
        Real floating logits.
    target : array
        Targets in [0, 1], broadcastable to ``logits``; integer/bool allowed.
    pos_weight : array or float, optional
        Weight of the positive term, >= 0, broadcastable to ``logits`` (torch: one per class on
        the last axis).
    alpha : float or 0-d array, optional
        Class balance (see :func:`binary_cross_entropy`). None: no balancing.
    label_smoothing : float, default 0.0
        In [0, 1].

    Notes
    -----
    Equals ``torch.nn.functional.binary_cross_entropy_with_logits`` (``pos_weight`` included;
    torch's ``weight=`` is ``sample_weight`` for ``"none"``/``"sum"``, and for ``"mean"`` torch
    divides by the element count instead of the summed weights),
    ``optax.losses.sigmoid_binary_cross_entropy`` and keras ``BinaryCrossentropy(from_logits=True)``
    (its ``label_smoothing`` is the same :math:`t(1-s) + s/2`). smp's
    ``SoftBCEWithLogitsLoss(smooth_factor=f)`` smooths to :math:`t(1 - 2f) + f`: it is
    ``label_smoothing=2 f`` here (pass ``ignore_index=None`` to smp: its default -100 zeroes
    such targets but keeps them in the mean).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.binary_cross_entropy_with_logits(np.array([2.0, -1.0]), np.array([1.0, 0.0]))), 6)
    0.220095
    >>> float(la.binary_cross_entropy_with_logits(np.array([1e4]), np.array([0.0])))
    10000.0
    """
    cpos, cneg = _coefficients(_smooth_binary(target, label_smoothing), alpha, pos_weight)
    return _logit_bce(xp, logits, cpos, cneg)


# -- multiclass ----------------------------------------------------------------------------------


def _label_weights(c: ClassContext, labels: Any, class_weight: Any, ignore_index: Any) -> tuple[Any, Any, Any]:
    """``(safe_labels, weight, valid)`` for integer labels: the per-element weight combines the
    class weight at the label and the ignore mask (None when neither is given)."""
    xp = c.xp
    valid, y = ignore_mask(c.fn, xp, labels, ignore_index)
    w = None if class_weight is None else take_1d(xp, class_weight, y)
    if valid is not None:
        vf = astype(xp, valid, c.dtype)
        w = vf if w is None else w * vf
    return y, w, valid


@loss(
    ClassAxis(),
    family="classification",
    task="multiclass",
    inputs={"logits": "logit", "target": "label_or_probability"},
    options={
        "class_weight": (None, ClassWeight()),
        "ignore_index": (None, Integer(optional=True)),
        "label_smoothing": (0.0, Interval(0, 1)),
        "temperature": (1.0, Interval(0, None, closed="neither")),
    },
    formula="-sum_c t_c log softmax(x / T)_c; t = (1 - e) onehot(y) + e / C",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.cross_entropy(logits, target, weight=class_weight, "
        "ignore_index=ignore_index, label_smoothing=label_smoothing)",
        "optax": "optax.losses.softmax_cross_entropy_with_integer_labels(logits, target).mean()",
        "keras": "keras.losses.SparseCategoricalCrossentropy(from_logits=True)(target, logits)",
        "sklearn": "sklearn.metrics.log_loss(target, softmax(logits))",
        "smp": "segmentation_models_pytorch.losses.SoftCrossEntropyLoss(smooth_factor=label_smoothing, "
        "ignore_index=None, dim=axis)(logits, target) (integer labels)",
    },
)
def cross_entropy(
    c: ClassContext,
    logits: Array,
    target: Array,
    *,
    class_weight: Any,
    ignore_index: int | None,
    label_smoothing: Any,
    temperature: Any,
) -> Any:
    r"""Softmax cross-entropy with integer class indices or class probabilities.

    With :math:`z = x / T` and :math:`\log p_c = z_c - \log\sum_k e^{z_k}` over ``axis``:

    - integer ``target`` (class indices :math:`y`):

      .. math::

          \ell = (1 - \varepsilon)\, w_y (-\log p_y) + \frac{\varepsilon}{C}\sum_c w_c (-\log p_c)

      with class weights :math:`w` (1 without ``class_weight``); the element's weight in the
      mean is :math:`w_y` (0 where ``target == ignore_index``), so ``"mean"`` is
      :math:`\sum_i \ell_i / \sum_i w_{y_i}` over the counted targets -- torch's definition.
    - floating ``target`` (probabilities :math:`t`, smoothed to
      :math:`(1 - \varepsilon) t + \varepsilon / C`):

      .. math:: \ell = -\sum_c w_c\, t_c \log p_c

      where class weights weigh the terms and ``"mean"`` divides by the element count (torch).

    The logit at the label is gathered directly (no one-hot of the logits' size is built).
    ``where`` and ``ignore_index`` positions may hold any label (out of range too); ``-inf``
    logits with zero target probability contribute 0.

    Parameters
    ----------
    logits : array
        Real floating logits with the class axis at ``axis``.
    target : array
        Integer class indices of the logits' shape without the class axis, or floating class
        probabilities of the logits' shape. Chosen by dtype, never by value.
    class_weight : array, optional
        Shape (C,): per-class weights.
    ignore_index : int, optional
        Integer targets equal to it are not counted (weight 0). Integer targets only.
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]`: mixes the target with the uniform distribution.
    temperature : float or 0-d array, default 1.0
        :math:`T > 0`; the logits are divided by it first.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the logits' shape without ``axis``.

    Notes
    -----
    Equals ``torch.nn.functional.cross_entropy(logits, target, weight=class_weight,
    ignore_index=ignore_index, label_smoothing=label_smoothing)`` for every combination of
    those options, with ``axis=1`` (torch's class dimension) -- or any axis after moving it;
    ``optax.losses.softmax_cross_entropy(_with_integer_labels)(logits, target)`` per element;
    keras ``(Sparse)CategoricalCrossentropy(from_logits=True)``; smp's
    ``SoftCrossEntropyLoss(smooth_factor=label_smoothing, ignore_index=None, dim=axis)`` on
    integer labels (with an ``ignore_index`` its ``"mean"`` still divides by every label).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    >>> round(float(la.cross_entropy(logits, np.array([0, 1]))), 6)
    0.360645
    >>> round(float(la.cross_entropy(logits, np.array([0, -100]), ignore_index=-100)), 6)
    0.169846
    >>> la.cross_entropy(logits.T, np.array([0, 1]), axis=0, reduction="none").round(6)
    array([0.169846, 0.551445])
    """
    xp, ax, C = c.xp, c.axis, c.num_classes
    unscaled = is_number(temperature) and temperature == 1
    z = logits if unscaled else logits / temperature
    private = c.owned or not unscaled  # z is our own array: logsumexp may use it as workspace
    if c.int_labels and ignore_index is not None:  # NaN/inf logits of ignored samples stay out
        masked = mask_ignored(xp, z, ignore_mask(c.fn, xp, target, ignore_index)[0], ax)
        private, z = private or masked is not z, masked
    smoothing = not (is_number(label_smoothing) and label_smoothing == 0)
    if c.int_labels and not smoothing:
        # Gather first: logsumexp may then reuse a private `z` as its workspace (NumPy), so the
        # only full-size memory is the logits (and their masked/scaled copy).
        y, w, _ = _label_weights(c, target, class_weight, ignore_index)
        g = gather_labels(xp, z, y, axis=ax)
        return PerElement(logsumexp(xp, z, axis=ax, overwrite_input=private) - g, weight=w)
    lse = logsumexp(xp, z, axis=ax, keepdims=True)
    if not c.int_labels:
        t = probability_target(c, target, ignore_index, label_smoothing)
        # A -inf logit with zero target probability contributes 0 (not 0 * inf = NaN).
        nlp = xp.where(t == 0, xp.zeros_like(z), lse - z)
        terms = t * nlp if class_weight is None else t * nlp * along_axis(xp, class_weight, z.ndim, ax)
        return xp.sum(terms, axis=ax)
    y, w, valid = _label_weights(c, target, class_weight, ignore_index)
    nll = xp.squeeze(lse, axis=ax) - gather_labels(xp, z, y, axis=ax)
    # Smoothing term sum_c w_c (lse - z_c), each term computed before summing (no cancellation).
    d = lse - z
    smooth = xp.sum(d if class_weight is None else d * along_axis(xp, class_weight, z.ndim, ax), axis=ax)
    return smoothed_nll(xp, nll, smooth, w, valid, class_weight, label_smoothing, C)


@loss(
    ClassAxis(labels="int"),
    family="classification",
    task="multiclass",
    inputs={"log_probs": "log_probability", "labels": "label"},
    options={"class_weight": (None, ClassWeight()), "ignore_index": (None, Integer(optional=True))},
    formula="-w_y log_probs_y",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.nll_loss(log_probs, labels, weight=class_weight, ignore_index=ignore_index)"
    },
)
def nll(c: ClassContext, log_probs: Array, labels: Array, *, class_weight: Any, ignore_index: int | None) -> Any:
    r"""Negative log-likelihood of integer labels under given log-probabilities.

    .. math:: \ell = -w_y \log p_y, \qquad \text{"mean"} = \sum_i \ell_i / \sum_i w_{y_i}

    over the counted (non-ignored) targets, as torch.

    Parameters
    ----------
    log_probs : array
        Log-probabilities (e.g. a log-softmax) with the class axis at ``axis``.
    labels : array
        Integer class indices, the shape of ``log_probs`` without the class axis.
    class_weight : array, optional
        Shape (C,): per-class weights.
    ignore_index : int, optional
        Labels equal to it are not counted; they may be out of range.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the shape of ``labels``.

    Notes
    -----
    Equals ``torch.nn.functional.nll_loss(log_probs, labels, weight=class_weight,
    ignore_index=ignore_index)`` with ``axis=1``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> lp = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    >>> round(float(la.nll(lp, np.array([0, 2]))), 6)
    0.289909
    """
    y, w, valid = _label_weights(c, labels, class_weight, ignore_index)
    loss = -gather_labels(c.xp, log_probs, y, axis=c.axis)
    if valid is not None:  # NaN/inf of ignored samples stay out (a gather's gradient is a scatter)
        loss = c.xp.where(valid, loss, c.xp.zeros_like(loss))
    return PerElement(loss, weight=w)


@loss(
    ClassAxis(fill=1.0),
    family="classification",
    task="multiclass",
    inputs={"probs": "probability", "target": "label_or_probability"},
    options={"label_smoothing": _SMOOTHING},
    formula="-sum_c t_c max(log p_c, -100); t = (1 - e) t + e / C",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={"keras": "keras.losses.CategoricalCrossentropy()(target, probs)"},
)
def categorical_cross_entropy(c: ClassContext, probs: Array, target: Array, *, label_smoothing: Any) -> Any:
    r"""Cross-entropy of class probabilities (not logits).

    .. math:: \ell = -\sum_c t_c \max(\log p_c, -100), \qquad t \leftarrow (1 - \varepsilon) t + \varepsilon / C

    The probabilities are **not** renormalised (keras renormalises them and clips to
    :math:`[10^{-7}, 1 - 10^{-7}]`); a probability of exactly 0 gives the clamped, finite
    value, with gradient 0 there.

    Parameters
    ----------
    probs : array
        Class probabilities with the class axis at ``axis``.
    target : array
        Class probabilities of the same shape, or integer class indices (the shape without the
        class axis).
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]`.

    Notes
    -----
    Equals keras ``CategoricalCrossentropy()(target, probs)`` for normalised probabilities
    inside keras' clipping range.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    >>> round(float(la.categorical_cross_entropy(p, np.array([[1.0, 0, 0], [0, 0, 1.0]]))), 6)
    0.289909
    """
    xp, eps, C = c.xp, label_smoothing, c.num_classes
    smoothing = not (is_number(eps) and eps == 0)
    logp = _clamped_log(xp, probs)
    if not c.int_labels:
        return -xp.sum((target if not smoothing else (1 - eps) * target + eps / C) * logp, axis=c.axis)
    loss = -gather_labels(xp, logp, target, axis=c.axis)
    return (1 - eps) * loss - (eps / C) * xp.sum(logp, axis=c.axis) if smoothing else loss


@loss(
    ClassAxis(),
    family="classification",
    task="multiclass",
    inputs={"logits": "logit", "target": "label_or_probability"},
    options={"epsilon": (2.0, Interval())},  # any finite number (optax)
    formula="CE(x, t) + epsilon (1 - sum_c t_c softmax(x)_c)",
    smooth=True,
    probabilistic=True,
    counterparts={"optax": "optax.losses.poly_loss_cross_entropy(logits, target, epsilon=epsilon).mean()"},
)
def poly1_cross_entropy(c: ClassContext, logits: Array, target: Array, *, epsilon: Any) -> Any:
    r"""Poly-1 cross-entropy (Leng et al., 2022): cross-entropy plus a linear term in :math:`1 - p_t`.

    .. math:: \ell = -\sum_c t_c \log p_c + \epsilon \sum_c t_c (1 - p_c)

    with :math:`p = \mathrm{softmax}(x)`; for integer labels :math:`\ell = -\log p_y + \epsilon(1 - p_y)`.

    Parameters
    ----------
    logits : array
        Logits with the class axis at ``axis``.
    target : array
        Class probabilities (logits' shape) or integer class indices.
    epsilon : float or 0-d array, default 2.0
        Weight of the poly-1 term (any finite value, as in optax; the paper uses ε ≥ −1, below
        which the loss can turn negative).

    Notes
    -----
    Equals ``optax.losses.poly_loss_cross_entropy(logits, target, epsilon=epsilon)`` per element.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.poly1_cross_entropy(np.array([[2.0, 0.0, -1.0]]), np.array([0]))), 6)
    0.482257
    """
    xp, ax = c.xp, c.axis
    lse = logsumexp(xp, logits, axis=ax, keepdims=True)
    if c.int_labels:
        logp_y = gather_labels(xp, logits, target, axis=ax) - xp.squeeze(lse, axis=ax)
        return -logp_y - epsilon * xp.expm1(logp_y)
    logp = logits - lse
    ce = -xp.sum(xp.where(target == 0, xp.zeros_like(logp), target * logp), axis=ax)
    return ce + epsilon * xp.sum(target * (1 - xp.exp(logp)), axis=ax)


@loss(
    ClassAxis(labels="int", fill=1.0),
    family="classification",
    task="multiclass",
    inputs={"probs": "probability", "labels": "label"},
    options={"q": (0.5, Interval(0, 1, closed="right"))},
    formula="(1 - p_y^q) / q",
    robust=True,
    bounded=True,
    probabilistic=True,
    counterparts={"keras": "keras.losses.CategoricalGeneralizedCrossEntropy(q=q)(labels, probs)"},
)
def generalized_cross_entropy(c: ClassContext, probs: Array, labels: Array, *, q: Any) -> Any:
    r"""Generalized cross-entropy (Zhang & Sabuncu, 2018), robust to label noise.

    .. math:: \ell = \frac{1 - p_y^{\,q}}{q}, \qquad 0 < q \le 1

    :math:`q \to 0` recovers cross-entropy, :math:`q = 1` the mean absolute error of the
    probabilities. At :math:`p_y = 0` the value is :math:`1/q` and the gradient is taken as 0
    (the derivative is unbounded there for :math:`q < 1`).

    Parameters
    ----------
    probs : array
        Class probabilities with the class axis at ``axis``.
    labels : array
        Integer class indices.
    q : float or 0-d array, default 0.5
        In (0, 1].

    Notes
    -----
    Equals keras ``CategoricalGeneralizedCrossEntropy(q=q)(labels, probs)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.generalized_cross_entropy(np.array([[0.25, 0.75]]), np.array([1]))), 6)
    0.267949
    """
    xp = c.xp
    py = gather_labels(xp, probs, labels, axis=c.axis)
    ok = ~(py <= 0)  # NaN takes the power branch and propagates
    powq = xp.where(ok, xp.exp(q * xp.log(xp.where(ok, py, xp.ones_like(py)))), xp.zeros_like(py))
    return (1 - powq) / q


@loss(
    ClassAxis(none_axis=True),
    family="classification",
    task="multiclass",
    inputs={"probs": "probability", "target": "label_or_probability"},
    formula="sum_c (p_c - t_c)^2  (axis=None: (p - t)^2)",
    convex=True,
    smooth=True,
    bounded=True,
    probabilistic=True,
    counterparts={"sklearn": "sklearn.metrics.brier_score_loss(target, probs)"},
)
def brier_score(c: ClassContext, probs: Array, target: Array) -> Any:
    r"""Brier score: squared error of predicted probabilities.

    .. math:: \ell = \sum_c (p_c - t_c)^2 \quad\text{(over axis)}, \qquad \ell = (p - t)^2 \quad (\texttt{axis=None})

    With integer labels :math:`y` (class axis given) :math:`\ell = \sum_c p_c^2 - 2 p_y + 1`,
    computed without a one-hot array.

    Parameters
    ----------
    probs : array
        Class probabilities (class axis at ``axis``), or with ``axis=None`` probabilities of
        the positive class.
    target : array
        Class probabilities / one-hot (probs' shape), integer class indices, or with
        ``axis=None`` binary outcomes.
    axis : int or None, default -1
        Class axis; None for the binary (elementwise) form.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the per-element shape (without the class
        axis, or the inputs' broadcast shape with ``axis=None``).

    Notes
    -----
    With ``axis=None``, ``"mean"`` equals ``sklearn.metrics.brier_score_loss(target, probs,
    sample_weight=w)``; with a class axis and one-hot targets it equals sklearn's multiclass
    ``brier_score_loss(labels, probs, scale_by_half=False)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.brier_score(np.array([0.9, 0.2]), np.array([1.0, 0.0]), axis=None))
    0.025
    >>> round(float(la.brier_score(np.array([[0.7, 0.2, 0.1]]), np.array([0]))), 6)
    0.14
    """
    xp = c.xp
    if c.int_labels:
        return xp.sum(probs * probs, axis=c.axis) - 2 * gather_labels(xp, probs, target, axis=c.axis) + 1
    d = probs - target
    return d * d if c.axis is None else xp.sum(d * d, axis=c.axis)
