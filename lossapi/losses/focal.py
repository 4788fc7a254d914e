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

from .._array import Array, Namespace
from .._loss import ELEMENTWISE, PerElement, loss
from .._ops import gather_labels, label_hits, logsumexp, relu, softplus, take_1d
from .._options import ClassWeight, Integer
from ._classes import ClassAxis, ClassContext, Number, PerClass, ignore_mask, label_weight, mask_ignored

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
    options={"alpha": (None, Number(0.0, 1.0, optional=True)), "gamma": _GAMMA},
    formula="-alpha_t (1 - p_t)^gamma log(p_t), p_t = sigmoid(x) t + (1 - sigmoid(x)) (1 - t)",
    smooth=True,
    counterparts={
        "optax": "optax.losses.sigmoid_focal_loss(logits, target, alpha=alpha, gamma=gamma).mean()",
    },
)
def sigmoid_focal(xp: Namespace, logits: Array, target: Array, *, alpha: Any, gamma: Any) -> Any:
    r"""Sigmoid (binary) focal loss on logits.

    .. math::
        \ell(x, t) = \alpha_t\,(1 - p_t)^\gamma\,\mathrm{BCE}(x, t), \qquad
        p = \sigma(x),\quad p_t = p\,t + (1 - p)(1 - t),\quad
        \alpha_t = \alpha\,t + (1 - \alpha)(1 - t)

    with :math:`\mathrm{BCE}(x, t) = \max(x, 0) - x\,t + \log(1 + e^{-|x|})` (for ``t`` in
    {0, 1} this is :math:`-\alpha_t (1-p_t)^\gamma \log p_t`). ``alpha=None`` applies no
    balancing (:math:`\alpha_t = 1`).

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
    keras' ``binary_focal_crossentropy(target, logits, from_logits=True, gamma=gamma)``
    averages over the last axis first and applies ``alpha`` only with
    ``apply_class_balancing=True``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> x, t = np.array([0.0, 2.0]), np.array([1.0, 0.0])
    >>> la.sigmoid_focal(x, t, gamma=0.0, reduction="none").round(6).tolist()
    [0.693147, 2.126928]
    >>> la.sigmoid_focal(x, t, reduction="none").round(6).tolist()
    [0.173287, 1.650078]
    """
    x, t = logits, target
    # r = max(x, 0), lg = log(1 + exp(-|x|)) with -|x| spelled so that x = 0 takes one branch on
    # every backend (see _ops.softplus); BCE grouped so that a hard label keeps lg exactly.
    r, lg = relu(xp, x), xp.log1p(xp.exp(xp.where(x > 0, -x, x)))
    ce = (r - x * t) + lg
    out = ce if _is_zero(gamma) else xp.exp(gamma * _log_one_minus_pt(xp, x, t, r, lg)) * ce
    return out if alpha is None else (alpha * t + (1.0 - alpha) * (1.0 - t)) * out


@loss(
    ClassAxis(labels="int"),
    family="classification",
    task="multiclass",
    inputs={"logits": "logit", "labels": "label"},
    options={
        "alpha": (None, PerClass(0.0)),
        "gamma": _GAMMA,
        "class_weight": (None, ClassWeight()),
        "ignore_index": (None, Integer(optional=True)),
    },
    formula="-alpha_y (1 - p_y)^gamma log(p_y), p = softmax(logits)",
    smooth=True,
    counterparts={
        "keras": "keras.losses.CategoricalFocalCrossentropy(alpha=alpha, gamma=gamma, "
        "from_logits=True)(one_hot(labels), logits)",
    },
)
def softmax_focal(
    c: ClassContext,
    logits: Array,
    labels: Array,
    *,
    alpha: Any,
    gamma: Any,
    class_weight: Any,
    ignore_index: int | None,
) -> Any:
    r"""Softmax (multi-class) focal loss on logits with integer labels.

    .. math::
        \ell(x, y) = -\alpha_y\,(1 - p_y)^\gamma \log p_y, \qquad p = \mathrm{softmax}(x)

    computed from the label's logit (gathered from the raw logits) and
    :math:`L = \operatorname{logsumexp}_{c \ne y} x_c` (the label's class masked with
    ``-inf``): with :math:`\delta = x_y - L`, :math:`-\log p_y = \operatorname{softplus}(-\delta)`
    and :math:`\log(1 - p_y) = -\operatorname{softplus}(\delta)`. The factor
    ``exp(gamma * log(1 - p_y))`` then has a finite gradient for every ``gamma >= 0`` even where
    ``p_y`` rounds to 1, and neither log cancels (a confident, correct prediction keeps its tiny
    loss to full relative precision). No floating one-hot of the logits' size is built. With
    ``gamma = 0`` and ``alpha=None`` this is :func:`cross_entropy` with integer labels (also with
    ``class_weight`` and ``ignore_index``).

    Parameters
    ----------
    logits : array
        Unnormalized scores with the class axis at ``axis``, shape ``(..., C)`` by default.
    labels : array
        Integer class indices (any integer dtype) of the logits' shape without the class axis.
    alpha : float, 0-d array, (C,) array or None, default None
        Focal balancing factor multiplying the loss: a scalar for every class, or one value per
        class looked up at the label (as in keras). Unlike ``class_weight`` it does not enter
        the denominator of ``"mean"``.
    gamma : float or 0-d array, default 2.0
        Focusing parameter, >= 0.
    class_weight : (C,) array, optional
        Per-class weight looked up at the label: a weight source like ``sample_weight``, so
        ``"mean"`` is ``sum(w_y * l) / sum(w_y)`` (torch's weighted mean).
    ignore_index : int, optional
        Entries whose label equals it get weight 0 (their label may be out of range); when every
        entry is ignored, ``"mean"`` is 0.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the labels' shape; the logits' namespace, device and
        floating dtype.

    Notes
    -----
    Equals keras ``categorical_focal_crossentropy(one_hot(labels), logits, alpha=a,
    gamma=gamma, from_logits=True)`` with ``alpha=a`` here (keras always applies its alpha,
    default 0.25; ``alpha=None`` here is keras' ``alpha=1``), up to keras' clipping of the
    probabilities to ``[1e-7, 1 - 1e-7]``; keras' ``"sum_over_batch_size"`` is ``"mean"``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> x, y = np.array([[2.0, 0.0, 0.0]]), np.array([0])
    >>> round(float(la.softmax_focal(x, y, gamma=0.0)), 6)  # cross-entropy
    0.239545
    >>> round(float(la.softmax_focal(x, y, gamma=2.0, alpha=0.25)), 6)
    0.002717
    """
    xp, ax = c.xp, c.axis
    valid, y = ignore_mask(c.fn, xp, labels, ignore_index)
    delta = _label_margin(xp, mask_ignored(xp, logits, valid, ax), y, c.num_classes, ax)  # ignored rows masked
    out = softplus(xp, -delta)  # -log p_y
    if not _is_zero(gamma):
        out = xp.exp(-gamma * softplus(xp, delta)) * out
    if alpha is not None:
        out = (take_1d(xp, alpha, y) if getattr(alpha, "ndim", 0) else alpha) * out
    return PerElement(out, weight=label_weight(xp, class_weight, y, valid, c.dtype))
