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

from .._catalog import register
from .._errors import InvalidOptionError
from .._ops import astype, gather_labels, label_hits, logsumexp, param, relu, softplus, take_1d
from .._validation import check_in_range
from ._classes import check_class_weight, class_weight_at, finish_classes, ignore_mask, mask_ignored, setup_classes
from ._common import finish, setup

__all__ = ["sigmoid_focal", "softmax_focal"]


def _check_number(fn: str, name: str, value: Any, *, optional: bool = False, arrays: str = "0-d") -> None:
    """A hyper-parameter must be a real Python number or an array (``None`` if ``optional``)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not (isinstance(value, (int, float)) or hasattr(value, "shape")):
        raise InvalidOptionError(
            f"lossapi.{fn}: {name} must be a real number or a {arrays} array"
            + (" (or None)" if optional else "") + f", got {value!r}."
        )


def _is_zero(value: Any) -> bool:
    return isinstance(value, (int, float)) and value == 0


@register(
    family="classification",
    task="binary",
    input_spaces={"logits": "logit", "target": "probability"},
    formula="-alpha_t (1 - p_t)^gamma log(p_t), p_t = sigmoid(x) t + (1 - sigmoid(x)) (1 - t)",
    smooth=True,
    counterparts={
        "optax": "optax.losses.sigmoid_focal_loss(logits, target, alpha=alpha, gamma=gamma).mean()",
    },
)
def sigmoid_focal(
    logits: Any,
    target: Any,
    /,
    *,
    alpha: Any = None,
    gamma: Any = 2.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
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
    sample_weight : array, optional
        Weights broadcastable to the per-element loss; ``"mean"`` is ``sum(w*l)/sum(w)``.
    where : bool array, optional
        Entries where False are excluded (they may hold inf/NaN).
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the per-element loss of the broadcast shape.
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

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
    fn = "sigmoid_focal"
    _check_number(fn, "alpha", alpha, optional=True)
    _check_number(fn, "gamma", gamma)
    check_in_range(fn, "alpha", alpha, low=0.0, high=1.0, optional=True)
    check_in_range(fn, "gamma", gamma, low=0.0)
    params = (gamma,) if alpha is None else (gamma, alpha)
    p = setup(fn, "logits target sample_weight where gamma" + ("" if alpha is None else " alpha"), (logits, target),
              sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp, params=params)
    xp = p.xp
    x, t = p.arrays
    g = p.params[0]

    # Stable pieces: n = -|x| (spelled so that x = 0 takes one branch on every backend, see
    # _ops.softplus), l = log(1 + exp(-|x|)), r = max(x, 0), and r - x = max(-x, 0) exactly.
    n = xp.where(x > 0, -x, x)
    lg = xp.log1p(xp.exp(n))
    r = relu(xp, x)
    # BCE with logits, grouped so that a hard label keeps log1p(exp(-|x|)) exactly.
    ce = (r - x * t) + lg
    if not _is_zero(g):
        log_q = -(r + lg)  # log sigmoid(-x) = log(1 - p)
        log_p = -((r - x) + lg)  # log sigmoid(x)  = log p
        one_m = 1.0 - t
        s = t * xp.exp(log_q) + one_m * xp.exp(log_p)  # 1 - p_t, exact gradients, may underflow
        info = xp.finfo(p.dtype)
        ok = s >= float(info.smallest_normal) / float(info.eps)
        log_s = xp.log(xp.where(ok, s, xp.ones_like(s)))
        # Where 1 - p_t underflows, t is 0 or 1 up to rounding: log-space form with both
        # logs of t guarded (a double where, so no branch sees log(0)).
        pos, neg = t > 0, t < 1
        u = xp.log(xp.where(pos, t, xp.ones_like(t))) + log_q
        v = xp.log1p(-xp.where(neg, t, xp.zeros_like(t))) + log_p
        log_s_tiny = xp.where(neg, xp.where(pos, xp.logaddexp(u, v), v), u)
        modulating = xp.exp(g * xp.where(ok, log_s, log_s_tiny))
        loss = modulating * ce
    else:
        loss = ce
    if alpha is not None:
        a = p.params[1]
        loss = (a * t + (1.0 - a) * (1.0 - t)) * loss
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="classification",
    task="multiclass",
    input_spaces={"logits": "logit", "labels": "label"},
    formula="-alpha_y (1 - p_y)^gamma log(p_y), p = softmax(logits)",
    smooth=True,
    counterparts={
        "keras": "keras.losses.CategoricalFocalCrossentropy(alpha=alpha, gamma=gamma, "
                 "from_logits=True)(one_hot(labels), logits)",
    },
)
def softmax_focal(
    logits: Any,
    labels: Any,
    /,
    *,
    alpha: Any = None,
    gamma: Any = 2.0,
    class_weight: Any = None,
    ignore_index: int | None = None,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
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
    loss to full relative precision). No floating one-hot of the logits' size is built. With ``gamma = 0`` and ``alpha=None`` this is :func:`cross_entropy` with integer
    labels (also with ``class_weight`` and ``ignore_index``).

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
    sample_weight, where
        Weights / mask broadcastable to the per-element loss (the labels' shape); excluded
        entries may hold inf/NaN logits and out-of-range labels.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the weighted per-element loss (labels' shape).
    axis : int, default -1
        Class axis of ``logits`` (``axis=1`` for torch-style ``(N, C, ...)``).
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

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
    fn = "softmax_focal"
    _check_number(fn, "alpha", alpha, optional=True, arrays="0-d or (C,)")
    _check_number(fn, "gamma", gamma)
    check_in_range(fn, "alpha", alpha, low=0.0, optional=True)
    check_in_range(fn, "gamma", gamma, low=0.0)
    alpha_table = alpha is not None and getattr(alpha, "ndim", 0) != 0
    p = setup_classes(fn, "logits labels sample_weight where class_weight alpha gamma", logits, labels, axis=axis,
                      sample_weight=sample_weight, where=where, reduction=reduction, xp=xp, params=(gamma,),
                      labels="int", extra=(class_weight, alpha))
    xp, x, ax = p.xp, p.x, p.axis
    (g,) = p.params
    cw = check_class_weight(fn, "class_weight", xp, class_weight, p.num_classes, p.dtype)
    at = check_class_weight(fn, "alpha", xp, alpha, p.num_classes, p.dtype) if alpha_table else None
    valid, y = ignore_mask(fn, xp, p.target, ignore_index)
    x = mask_ignored(xp, x, valid, ax)  # NaN/inf logits of ignored samples stay out

    # With L = logsumexp over the classes c != y (the label's class masked with -inf) and
    # delta = x_y - L: p_y = sigmoid(delta), so -log p_y = softplus(-delta) and
    # log(1 - p_y) = -softplus(delta). Neither cancels (x_y - logsumexp(x) loses every digit
    # of a loss below |x| eps), and both have finite gradients for every finite logit.
    hits = label_hits(xp, y, p.num_classes, ax)
    others = xp.where(hits, xp.full_like(x, -float("inf")), x)
    delta = gather_labels(xp, x, y, axis=ax) - logsumexp(xp, others, axis=ax)
    loss = softplus(xp, -delta)  # -log p_y
    if not _is_zero(g):
        loss = xp.exp(-g * softplus(xp, delta)) * loss
    if alpha_table:
        loss = take_1d(xp, at, y) * loss
    elif alpha is not None:
        loss = param(xp, alpha, p.dtype) * loss

    weight = None if cw is None else class_weight_at(xp, cw, y)
    if valid is not None:
        v = astype(xp, valid, p.dtype)
        weight = v if weight is None else xp.where(valid, weight, xp.zeros_like(weight))
    return finish_classes(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where, weight=weight)
