"""Focal losses: cross-entropy scaled by ``(1 - p_t)^gamma`` (Lin et al., 2017).

Both losses compute the modulating factor as ``exp(gamma * log(1 - p_t))`` with
``log(1 - p_t)`` obtained in log space, never as a power of ``1 - p_t``. The usual
``(1 - p_t) ** gamma`` has a NaN or infinite derivative where ``1 - p_t`` rounds to 0
(saturated logits) for ``gamma < 1`` and, through ``0 ** 0``, for ``gamma = 0`` (optax#1267,
kornia#918, sam3#575); here value and gradient are finite for every ``gamma >= 0`` and every
finite logit.
"""

from __future__ import annotations

from typing import Any

from .._array import Array, Namespace, is_number
from .._loss import ELEMENTWISE, PerElement, loss
from .._ops import astype, gather_labels, label_hits, logsumexp, relu, softplus, take_1d
from .._options import ClassWeight, Integer
from ._classes import (
    ClassAxis,
    ClassContext,
    Number,
    PerClass,
    along_axis,
    ignore_mask,
    label_weight,
    mask_ignored,
    probability_target,
)
from .classification import _SMOOTHING, _smooth_binary

__all__ = ["sigmoid_focal", "softmax_focal"]

_GAMMA = (2.0, Number(0.0))


def _is_zero(value: Any) -> bool:
    return isinstance(value, (int, float)) and value == 0


def _log_one_minus_pt(xp: Any, x: Any, t: Any, r: Any, lg: Any) -> Any:
    """``log(1 - p_t)``, ``1 - p_t = t sigmoid(-x) + (1 - t) sigmoid(x)``, with ``r = max(x, 0)`` and
    ``lg = log(1 + exp(-|x|))``: exact gradients where ``1 - p_t`` is representable, and in log
    space from log-sigmoids where it underflows."""
    log_q = -(r + lg)  # log sigmoid(-x) = log(1 - p)
    log_p = -((r - x) + lg)  # log sigmoid(x)  = log p
    s = t * xp.exp(log_q) + (1.0 - t) * xp.exp(log_p)  # 1 - p_t, exact gradients, may underflow
    info = xp.finfo(x.dtype)
    ok = s >= float(info.smallest_normal) / float(info.eps)
    log_s = xp.log(xp.where(ok, s, xp.ones_like(s)))
    # Where 1 - p_t underflows, t is 0 or 1 up to rounding: log-space form with both logs of t
    # guarded (a double where, so no branch sees log(0)).
    pos, neg = t > 0, t < 1
    u = xp.log(xp.where(pos, t, xp.ones_like(t))) + log_q
    v = xp.log1p(-xp.where(neg, t, xp.zeros_like(t))) + log_p
    return xp.where(ok, log_s, xp.where(neg, xp.where(pos, xp.logaddexp(u, v), v), u))


def _label_margin(xp: Any, x: Any, y: Any, num_classes: Any, axis: int) -> Any:
    """``delta = x_y - logsumexp_{c != y} x_c`` (the label's class masked with ``-inf``), so that
    ``p_y = sigmoid(delta)``: ``-log p_y = softplus(-delta)`` and ``log(1 - p_y) = -softplus(delta)``.
    Neither cancels (``x_y - logsumexp(x)`` loses every digit of a loss below ``|x| eps``), and
    both have finite gradients for every finite logit."""
    others = xp.where(label_hits(xp, y, num_classes, axis), xp.full_like(x, -float("inf")), x)
    return gather_labels(xp, x, y, axis=axis) - logsumexp(xp, others, axis=axis)


@loss(
    ELEMENTWISE,
    family="classification",
    task="binary",
    inputs={"logits": "logit", "target": "probability"},
    options={"alpha": (None, Number(0.0, 1.0, optional=True)), "gamma": _GAMMA, "label_smoothing": _SMOOTHING},
    formula="-alpha_t (1 - p_t)^gamma log(p_t), p_t = sigmoid(x) t + (1 - sigmoid(x)) (1 - t)",
    smooth=True,
    counterparts={
        "optax": "optax.losses.sigmoid_focal_loss(logits, target, alpha=alpha, gamma=gamma).mean()",
        "keras": "keras.losses.BinaryFocalCrossentropy(apply_class_balancing=alpha is not None, alpha=alpha, "
        "gamma=gamma, from_logits=True, label_smoothing=label_smoothing)(target, logits) (1-D inputs: keras "
        "averages the last axis first)",
        "smp": "segmentation_models_pytorch.losses.FocalLoss('binary', alpha=alpha, gamma=gamma)(logits, target) "
        "(0/1 targets)",
        "MONAI": "monai.losses.FocalLoss(gamma=gamma, alpha=alpha)(logits, target) (0/1 targets, (N, C, ...), "
        "'mean'; float32)",
    },
)
def sigmoid_focal(xp: Namespace, logits: Array, target: Array, *, alpha: Any, gamma: Any, label_smoothing: Any) -> Any:
    r"""Sigmoid (binary) focal loss on logits.

    .. math::
        \ell(x, t) = \alpha_t\,(1 - p_t)^\gamma\,\mathrm{BCE}(x, t), \qquad
        p = \sigma(x),\quad p_t = p\,t + (1 - p)(1 - t),\quad
        \alpha_t = \alpha\,t + (1 - \alpha)(1 - t)

    with :math:`\mathrm{BCE}(x, t) = \max(x, 0) - x\,t + \log(1 + e^{-|x|})` (for ``t`` in
    {0, 1} this is :math:`-\alpha_t (1-p_t)^\gamma \log p_t`). ``alpha=None`` applies no
    balancing (:math:`\alpha_t = 1`). ``label_smoothing = s`` replaces the target by
    :math:`t (1 - s) + s / 2` first (as the binary cross-entropy and keras).

    The factor is computed as :math:`\exp(\gamma \log(1 - p_t))`, where
    :math:`1 - p_t = t\,\sigma(-x) + (1 - t)\,\sigma(x)` is taken in log space from
    log-sigmoids when it underflows (``log t + log sigma(-x)`` and ``log(1-t) + log sigma(x)``
    combined with ``logaddexp``, ``t = 0``/``1`` guarded by a double ``where``). Value and
    gradient are therefore finite for every ``gamma >= 0`` (including ``gamma = 0`` and
    ``0 < gamma < 1``) and every finite logit, ``+-1e4`` in float32 included. Gradients with
    respect to ``target`` are exact wherever ``1 - p_t`` is representable.

    Parameters
    ----------
    logits : array
        Real-valued scores, any shape.
    target : array
        Binary labels {0, 1} or soft labels in [0, 1], broadcastable to ``logits``; integer or
        bool arrays are accepted and never change the result dtype.
    alpha : float, 0-d array or None, default None
        Weight of the positive class in [0, 1] (the paper and torchvision use 0.25); None
        disables the balancing.
    gamma : float or 0-d array, default 2.0
        Focusing parameter, >= 0; ``gamma = 0`` gives (alpha-balanced) binary cross-entropy.
    label_smoothing : float, default 0.0
        :math:`s \in [0, 1]`: the target becomes :math:`t (1 - s) + s / 2`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape; the logits' namespace, device
        and floating dtype (float16/bfloat16 are computed in float32).

    Notes
    -----
    ``reduction="none"`` equals ``optax.losses.sigmoid_focal_loss(logits, target, alpha=alpha,
    gamma=gamma)`` and ``torchvision.ops.sigmoid_focal_loss(logits, target, alpha=0.25,
    gamma=gamma)`` with ``alpha=0.25`` here (torchvision's ``alpha=-1`` is ``alpha=None``);
    ``"mean"``/``"sum"`` equal their ``.mean()``/``.sum()`` (torchvision's ``reduction=``).
    keras' ``BinaryFocalCrossentropy(from_logits=True, gamma=gamma, label_smoothing=s)``
    averages over the last axis first (the same value for 1-D inputs) and applies ``alpha`` only
    with ``apply_class_balancing=True``. For 0/1 targets without label smoothing it also equals
    smp's ``FocalLoss("binary", alpha=alpha, gamma=gamma)`` (elementwise, flattened) and the
    ``"mean"`` of MONAI's ``FocalLoss(gamma=gamma, alpha=alpha)`` on ``(N, C, ...)`` logits
    (float32); both compute :math:`1 - p_t` as if the target were 0/1.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> x, t = np.array([0.0, 2.0]), np.array([1.0, 0.0])
    >>> la.sigmoid_focal(x, t, gamma=0.0, reduction="none").round(6).tolist()
    [0.693147, 2.126928]
    >>> la.sigmoid_focal(x, t, reduction="none").round(6).tolist()
    [0.173287, 1.650078]
    """
    x, t = logits, _smooth_binary(target, label_smoothing)
    # r = max(x, 0), lg = log(1 + exp(-|x|)) with -|x| spelled so that x = 0 takes one branch on
    # every backend (see _ops.softplus); BCE grouped so that a hard label keeps lg exactly.
    r, lg = relu(xp, x), xp.log1p(xp.exp(xp.where(x > 0, -x, x)))
    ce = (r - x * t) + lg
    out = ce if _is_zero(gamma) else xp.exp(gamma * _log_one_minus_pt(xp, x, t, r, lg)) * ce
    return out if alpha is None else (alpha * t + (1.0 - alpha) * (1.0 - t)) * out


@loss(
    ClassAxis(),
    family="classification",
    task="multiclass",
    inputs={"logits": "logit", "target": "label_or_probability"},
    options={
        "alpha": (None, PerClass(0.0)),
        "gamma": _GAMMA,
        "class_weight": (None, ClassWeight()),
        "ignore_index": (None, Integer(optional=True)),
        "label_smoothing": _SMOOTHING,
    },
    formula="-alpha_y (1 - p_y)^gamma log(p_y), p = softmax(logits); probability targets: "
    "-sum_c alpha_c t_c (1 - p_c)^gamma log(p_c)",
    smooth=True,
    counterparts={
        "keras": "keras.losses.CategoricalFocalCrossentropy(alpha=alpha, gamma=gamma, from_logits=True, "
        "label_smoothing=label_smoothing)(one_hot(target) or target, logits)",
    },
)
def softmax_focal(
    c: ClassContext,
    logits: Array,
    target: Array,
    *,
    alpha: Any,
    gamma: Any,
    class_weight: Any,
    ignore_index: int | None,
    label_smoothing: Any,
) -> Any:
    r"""Softmax (multi-class) focal loss on logits, with class indices or class probabilities.

    .. math::
        \ell(x, y) = -\alpha_y\,(1 - p_y)^\gamma \log p_y, \qquad p = \mathrm{softmax}(x)

    for integer labels :math:`y`, and for a floating target :math:`t` (class probabilities,
    read by dtype as in :func:`cross_entropy`) the sum over the classes (keras)

    .. math:: \ell(x, t) = -\sum_c \alpha_c\, t_c\, (1 - p_c)^\gamma \log p_c .

    ``label_smoothing = s`` makes the target :math:`(1 - s)\,t + s / C` (a one-hot ``t`` for
    labels) and uses the second form.

    Labels are computed from the label's logit (gathered from the raw logits) and
    :math:`L = \operatorname{logsumexp}_{c \ne y} x_c` (the label's class masked with
    ``-inf``): with :math:`\delta = x_y - L`, :math:`-\log p_y = \operatorname{softplus}(-\delta)`
    and :math:`\log(1 - p_y) = -\operatorname{softplus}(\delta)`. The factor
    ``exp(gamma * log(1 - p_y))`` then has a finite gradient for every ``gamma >= 0`` even where
    ``p_y`` rounds to 1, and neither log cancels (a confident, correct prediction keeps its tiny
    loss to full relative precision). No floating one-hot of the logits' size is built. For
    the class sum, :math:`\log(1 - p_c)` is ``log1p(-p_c)`` for every class but the most
    probable one (:math:`p_c \le 1/2` there) and :math:`\operatorname{logsumexp}_{k \ne m}
    x_k - \operatorname{logsumexp}_k x_k` for the most probable class :math:`m`: no
    cancellation either, and finite gradients. With ``gamma = 0`` and ``alpha=None`` this is
    :func:`cross_entropy` (also with ``class_weight``, ``ignore_index`` and
    ``label_smoothing``).

    Parameters
    ----------
    logits : array
        Unnormalized scores with the class axis at ``axis``, shape ``(..., C)`` by default.
    target : array
        Integer class indices (any integer dtype) of the logits' shape without the class axis,
        or floating class probabilities of the logits' shape.
    alpha : float, 0-d array, (C,) array or None, default None
        Focal balancing factor multiplying the loss: a scalar for every class, or one value per
        class (looked up at the label, or weighing each class's term; as in keras). Unlike
        ``class_weight`` it does not enter the denominator of ``"mean"``.
    gamma : float or 0-d array, default 2.0
        Focusing parameter, >= 0.
    class_weight : (C,) array, optional
        Per-class weight: with labels looked up at the label, a weight source like
        ``sample_weight``, so ``"mean"`` is ``sum(w_y * l) / sum(w_y)`` (torch's weighted mean;
        with ``label_smoothing`` each class's term carries its own weight, the denominator
        still ``sum(w_y)``, as :func:`cross_entropy`); with probabilities each class's term is
        weighted and ``"mean"`` divides by the element count.
    ignore_index : int, optional
        Entries whose label equals it get weight 0 (their label may be out of range); when every
        entry is ignored, ``"mean"`` is 0. Integer targets only.
    label_smoothing : float, default 0.0
        :math:`s \in [0, 1]`: mixes the target with the uniform distribution (keras).

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the logits' shape without the class axis; the logits'
        namespace, device and floating dtype.

    Notes
    -----
    Equals keras ``CategoricalFocalCrossentropy(alpha=a, gamma=gamma, from_logits=True,
    label_smoothing=s)(one_hot(labels) or target, logits)`` with ``alpha=a`` here (keras always
    applies its alpha, default 0.25; ``alpha=None`` here is keras' ``alpha=1``), up to keras'
    clipping of the probabilities to ``[1e-7, 1 - 1e-7]``; keras'
    ``"sum_over_batch_size"`` is ``"mean"``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> x, y = np.array([[2.0, 0.0, 0.0]]), np.array([0])
    >>> round(float(la.softmax_focal(x, y, gamma=0.0)), 6)  # cross-entropy
    0.239545
    >>> round(float(la.softmax_focal(x, y, gamma=2.0, alpha=0.25)), 6)
    0.002717
    >>> round(float(la.softmax_focal(x, np.array([[1.0, 0.0, 0.0]]), gamma=2.0, alpha=0.25)), 6)
    0.002717
    """
    xp, ax, C = c.xp, c.axis, c.num_classes
    smoothing = not (is_number(label_smoothing) and label_smoothing == 0)
    if c.int_labels and not smoothing:
        valid, y = ignore_mask(c.fn, xp, target, ignore_index)
        delta = _label_margin(xp, mask_ignored(xp, logits, valid, ax), y, C, ax)  # ignored rows masked
        out = softplus(xp, -delta)  # -log p_y
        if not _is_zero(gamma):
            out = xp.exp(-gamma * softplus(xp, delta)) * out
        if alpha is not None:
            out = (take_1d(xp, alpha, y) if getattr(alpha, "ndim", 0) else alpha) * out
        return PerElement(out, weight=label_weight(xp, class_weight, y, valid, c.dtype))
    if not c.int_labels:
        t = probability_target(c, target, ignore_index, label_smoothing)
        return xp.sum(_class_terms(xp, logits, t, ax, alpha, gamma, class_weight), axis=ax)
    valid, y = ignore_mask(c.fn, xp, target, ignore_index)
    t = astype(xp, label_hits(xp, y, C, ax), c.dtype) * (1 - label_smoothing) + label_smoothing / C
    out = xp.sum(_class_terms(xp, mask_ignored(xp, logits, valid, ax), t, ax, alpha, gamma, class_weight), axis=ax)
    if valid is not None:
        out = xp.where(valid, out, xp.zeros_like(out))
    # As cross_entropy: the smoothed terms carry their class weights, the mean divides by w_y.
    return PerElement(out, weight=label_weight(xp, class_weight, y, valid, c.dtype), included=True)


def _class_terms(xp: Any, z: Any, t: Any, ax: int, alpha: Any, gamma: Any, class_weight: Any) -> Any:
    r"""``-alpha_c w_c t_c (1 - p_c)^gamma log p_c`` per class (0 where ``t_c = 0``).

    Every class but the most probable one :math:`m` has :math:`p_c \le 1/2`: ``lse - z_c`` and
    ``log1p(-p_c)`` lose nothing there. For :math:`m`, :math:`\log(1 - p_m)` is the log-sum-exp
    of the other logits minus ``lse``, and :math:`-\log p_m = -\log(1 - e^{\log(1 - p_m)})`:
    a confident, right prediction keeps its tiny loss to full relative precision.
    """
    lse = logsumexp(xp, z, axis=ax, keepdims=True)
    top = label_hits(xp, xp.argmax(z, axis=ax), z.shape[ax], ax)
    log_q_top = logsumexp(xp, xp.where(top, xp.full_like(z, -float("inf")), z), axis=ax, keepdims=True) - lse
    nlp = xp.where(top, -xp.log1p(-xp.exp(log_q_top)), lse - z)  # -log p_c
    out = xp.where(t == 0, xp.zeros_like(z), t * nlp)  # a -inf logit with t = 0 contributes 0
    if not _is_zero(gamma):
        p = xp.exp(-xp.where(top, xp.zeros_like(nlp), nlp))  # p_c <= 1/2 off the top class
        log_q = xp.where(top, log_q_top, xp.log1p(-xp.where(top, xp.zeros_like(p), p)))
        out = xp.exp(gamma * log_q) * out
    if alpha is not None:
        out = (along_axis(xp, alpha, z.ndim, ax) if getattr(alpha, "ndim", 0) else alpha) * out
    return out if class_weight is None else along_axis(xp, class_weight, z.ndim, ax) * out
