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

from .._array import Array, is_number
from .._catalog import register
from .._dispatch import backend_name
from .._errors import InvalidOptionError, ShapeMismatchError
from .._loss import PerElement, loss
from .._native import try_fast as _fast
from .._ops import astype, gather_labels, logsumexp, relu, stop_gradient, take_1d
from .._options import ClassWeight, Integer, Interval
from .._validation import broadcast_shapes, check_in_range, same_size
from ._classes import (
    ClassAxis,
    ClassContext,
    along_axis,
    finish_classes,
    ignore_mask,
    mask_ignored,
    setup_classes,
)
from ._common import finish, resolve, setup

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
#: torch's BCE backward divides by max(p (1 - p), EPSILON) with a C++ float EPSILON = 1e-12f,
#: i.e. float32(1e-12) also in float64.
_BCE_GRAD_EPS = 9.999999960041972e-13


def _clamped_log(xp: Any, p: Any) -> Any:
    """``max(log p, -100)`` with a finite (zero) gradient where the clamp binds, p = 0 included."""
    ok = ~(p <= _CLAMP_AT)  # NaN takes the log branch and propagates
    return xp.where(ok, xp.log(xp.where(ok, p, xp.ones_like(p))), xp.full_like(p, LOG_CLAMP))


def _smooth_binary(t: Any, s: Any) -> Any:
    return t if isinstance(s, (int, float)) and s == 0 else t * (1 - s) + s / 2


def _check_smoothing(fn: str, s: Any) -> None:
    check_in_range(fn, "label_smoothing", s, low=0.0, high=1.0)


def _check_pos_weight_shape(fn: str, pw: tuple[Any, ...], x: tuple[Any, ...]) -> None:
    """``pos_weight`` must broadcast to the logits' shape without enlarging it (as in torch)."""
    full = broadcast_shapes(pw, x)
    if full is None or len(full) != len(x) or not all(same_size(a, b) for a, b in zip(full, x)):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `pos_weight` of shape {pw} does not broadcast to `logits` of shape {x}; pass "
            "one weight per class on the last axis (shape (C,)) or one for all (a number)."
        )


def _check_alpha(fn: str, alpha: Any) -> None:
    if alpha is not None:
        check_in_range(fn, "alpha", alpha, low=0.0, high=1.0)


# -- binary ---------------------------------------------------------------------------------------


@register(
    family="classification",
    task="binary",
    input_spaces={"probs": "probability", "target": "probability"},
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
def binary_cross_entropy(
    probs: Any,
    target: Any,
    /,
    *,
    alpha: Any = None,
    label_smoothing: Any = 0.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
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
        (the seed documents' "balanced BCE"). None: no balancing.
    label_smoothing : float, default 0.0
        In [0, 1].
    sample_weight, where, reduction, xp
        As for :func:`lossapi.mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

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
    fn = "binary_cross_entropy"
    names = "probs target sample_weight where alpha label_smoothing"
    _check_alpha(fn, alpha)
    _check_smoothing(fn, label_smoothing)
    xp = resolve(fn, names, reduction, probs, target, sample_weight, where, alpha, label_smoothing, xp=xp)
    r = _fast(fn, xp, probs, target, alpha=alpha, label_smoothing=label_smoothing, sample_weight=sample_weight,
              where=where, reduction=reduction)
    if r is not NotImplemented:
        return r
    p = setup(fn, names, (probs, target), sample_weight=sample_weight, where=where, reduction=reduction, xp=xp,
              params=(alpha, label_smoothing) if alpha is not None else (label_smoothing,), fill=0.5)
    pr, t = p.arrays
    s = p.params[-1]
    t = _smooth_binary(t, s)
    a = None if alpha is None else p.params[0]
    pos = t if a is None else a * t
    neg = (1 - t) if a is None else (1 - a) * (1 - t)
    # Away from saturation: the plain formula (its derivative is torch's gradient).
    q = pr * (1 - pr)
    ok = q >= _BCE_GRAD_EPS
    ps = xp.where(ok, pr, xp.full_like(pr, 0.5))
    exact = -(pos * xp.log(ps) + neg * xp.log1p(-ps))
    # Saturated: the clamped value, with torch's gradient (p - t) / 1e-12 w.r.t. p (balanced by
    # the same weights) and the derivative of the clamped value w.r.t. t.
    lp, l1p = _clamped_log(xp, pr), _clamped_log(xp, 1 - pr)
    val = -(pos * lp + neg * l1p)
    gp = ((pos + neg) * pr - pos) / _BCE_GRAD_EPS
    gt = (l1p - lp) if a is None else ((1 - a) * l1p - a * lp)
    sat = (stop_gradient(xp, val) + (pr - stop_gradient(xp, pr)) * stop_gradient(xp, gp)
           + (t - stop_gradient(xp, t)) * stop_gradient(xp, gt))
    loss = xp.where(ok, exact, sat)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="classification",
    task="binary",
    input_spaces={"logits": "logit", "target": "probability"},
    formula="a pw t softplus(-x) + (1 - a)(1 - t) softplus(x)",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)",
        "optax": "optax.losses.sigmoid_binary_cross_entropy(logits, target).mean()",
        "keras": "keras.losses.BinaryCrossentropy(from_logits=True)(target, logits)",
    },
)
def binary_cross_entropy_with_logits(
    logits: Any,
    target: Any,
    /,
    *,
    pos_weight: Any = None,
    alpha: Any = None,
    label_smoothing: Any = 0.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
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
    sample_weight, where, reduction, xp
        As for :func:`lossapi.mean_squared_error`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``torch.nn.functional.binary_cross_entropy_with_logits`` (``pos_weight`` included;
    torch's ``weight=`` is ``sample_weight`` for ``"none"``/``"sum"``, and for ``"mean"`` torch
    divides by the element count instead of the summed weights),
    ``optax.losses.sigmoid_binary_cross_entropy`` and keras ``BinaryCrossentropy(from_logits=True)``
    (its ``label_smoothing`` is the same :math:`t(1-s) + s/2`).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.binary_cross_entropy_with_logits(np.array([2.0, -1.0]), np.array([1.0, 0.0]))), 6)
    0.220095
    >>> float(la.binary_cross_entropy_with_logits(np.array([1e4]), np.array([0.0])))
    10000.0
    """
    fn = "binary_cross_entropy_with_logits"
    names = "logits target sample_weight where pos_weight alpha label_smoothing"
    check_in_range(fn, "pos_weight", pos_weight, low=0.0, optional=True)
    if hasattr(pos_weight, "shape") and hasattr(logits, "shape"):
        _check_pos_weight_shape(fn, tuple(pos_weight.shape), tuple(logits.shape))
    _check_alpha(fn, alpha)
    _check_smoothing(fn, label_smoothing)
    xp = resolve(fn, names, reduction, logits, target, sample_weight, where, pos_weight, alpha, label_smoothing,
                 xp=xp)
    r = _fast(fn, xp, logits, target, pos_weight=pos_weight, alpha=alpha, label_smoothing=label_smoothing,
              sample_weight=sample_weight, where=where, reduction=reduction)
    if r is not NotImplemented:
        return r
    params = (label_smoothing,) + (() if alpha is None else (alpha,))
    arrays = (logits, target) if pos_weight is None or isinstance(pos_weight, (int, float)) else (
        logits, target, pos_weight)
    snames = ("logits target" + (" pos_weight" if len(arrays) > 2 else "") + " sample_weight where label_smoothing"
              + ("" if alpha is None else " alpha"))
    p = setup(fn, snames, arrays, sample_weight=sample_weight, where=where, reduction=reduction, xp=xp,
              params=params, fill=0.0)
    x, t = p.arrays[0], p.arrays[1]
    pw = p.arrays[2] if len(p.arrays) > 2 else pos_weight
    t = _smooth_binary(t, p.params[0])
    a = p.params[1] if alpha is not None else None
    # Coefficients of softplus(-x) (positive term) and softplus(x) (negative term).
    cpos = t if pw is None else pw * t
    cneg = 1 - t
    if a is not None:
        cpos, cneg = a * cpos, (1 - a) * cneg
    # softplus(+-x) share log1p(exp(-|x|)); -|x| is spelled where(x > 0, -x, x) and the linear
    # parts where(x > 0, ...) so that at x = 0 every piece takes the same branch and the
    # gradient is the true one, sigmoid(0) * (cpos + cneg) - cpos.
    if backend_name(xp) in ("numpy", "dask"):
        # No autodiff here, so the gradient convention at 0 is moot, and `where` on a mask of
        # random signs costs ~10x an arithmetic ufunc: the same value from relu / minimum / abs.
        loss = cneg * relu(xp, x) - cpos * xp.minimum(x, 0.0) + (cpos + cneg) * xp.log1p(xp.exp(-xp.abs(x)))
    else:
        pos = x > 0
        shared = xp.log1p(xp.exp(xp.where(pos, -x, x)))
        loss = xp.where(pos, cneg * x, -cpos * x) + (cpos + cneg) * shared
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


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
    },
)
def cross_entropy(c: ClassContext, logits: Array, target: Array, *, class_weight: Any, ignore_index: int | None,
                  label_smoothing: Any, temperature: Any) -> Any:
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
    keras ``(Sparse)CategoricalCrossentropy(from_logits=True)``.

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
        if ignore_index is not None:
            raise InvalidOptionError(
                f"lossapi.{c.fn}: ignore_index applies to integer class indices; the target has floating dtype "
                f"{target.dtype} (class probabilities). Mask with `where` instead."
            )
        t = (1 - label_smoothing) * target + label_smoothing / C if smoothing else target
        # A -inf logit with zero target probability contributes 0 (not 0 * inf = NaN).
        nlp = xp.where(t == 0, xp.zeros_like(z), lse - z)
        terms = t * nlp if class_weight is None else t * nlp * along_axis(xp, class_weight, z.ndim, ax)
        return xp.sum(terms, axis=ax)
    y, w, valid = _label_weights(c, target, class_weight, ignore_index)
    nll = xp.squeeze(lse, axis=ax) - gather_labels(xp, z, y, axis=ax)
    # Smoothing term sum_c w_c (lse - z_c), each term computed before summing (no cancellation).
    d = lse - z
    smooth = xp.sum(d if class_weight is None else d * along_axis(xp, class_weight, z.ndim, ax), axis=ax)
    if class_weight is None:
        return PerElement((1 - label_smoothing) * nll + (label_smoothing / C) * smooth, weight=w)
    # torch: the smoothing term weighs every class while the mean divides by sum(w_y), so the
    # loss carries its weights itself and `w` only enters the denominator.
    loss = (1 - label_smoothing) * w * nll + (label_smoothing / C) * smooth
    if valid is not None:
        loss = loss * astype(xp, valid, c.dtype)
    return PerElement(loss, weight=w, included=True)


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
    counterparts={"torch": "torch.nn.functional.nll_loss(log_probs, labels, weight=class_weight, "
                           "ignore_index=ignore_index)"},
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

@register(
    family="classification",
    task="multiclass",
    input_spaces={"probs": "probability", "target": "label_or_probability"},
    formula="-sum_c t_c max(log p_c, -100); t = (1 - e) t + e / C",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={"keras": "keras.losses.CategoricalCrossentropy()(target, probs)"},
)
def categorical_cross_entropy(
    probs: Any,
    target: Any,
    /,
    *,
    label_smoothing: Any = 0.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`cross_entropy`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the shape without the class axis.

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
    fn = "categorical_cross_entropy"
    names = "probs target sample_weight where label_smoothing"
    _check_smoothing(fn, label_smoothing)
    p = setup_classes(fn, names, probs, target, axis=axis, sample_weight=sample_weight, where=where,
                      reduction=reduction, xp=xp, params=(label_smoothing,), fill=1.0)
    xp = p.xp
    (eps,) = p.params
    smoothing = not (isinstance(eps, (int, float)) and eps == 0)
    C = p.num_classes
    logp = _clamped_log(xp, p.x)
    if p.int_labels:
        loss = -gather_labels(xp, logp, p.target, axis=p.axis)
        if smoothing:
            loss = (1 - eps) * loss - (eps / C) * xp.sum(logp, axis=p.axis)
    else:
        t = p.target if not smoothing else (1 - eps) * p.target + eps / C
        loss = -xp.sum(t * logp, axis=p.axis)
    return finish_classes(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="classification",
    task="multiclass",
    input_spaces={"logits": "logit", "target": "label_or_probability"},
    formula="CE(x, t) + epsilon (1 - sum_c t_c softmax(x)_c)",
    smooth=True,
    probabilistic=True,
    counterparts={"optax": "optax.losses.poly_loss_cross_entropy(logits, target, epsilon=epsilon).mean()"},
)
def poly1_cross_entropy(
    logits: Any,
    target: Any,
    /,
    *,
    epsilon: Any = 2.0,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`cross_entropy`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the shape without the class axis.

    Notes
    -----
    Equals ``optax.losses.poly_loss_cross_entropy(logits, target, epsilon=epsilon)`` per element.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.poly1_cross_entropy(np.array([[2.0, 0.0, -1.0]]), np.array([0]))), 6)
    0.482257
    """
    fn = "poly1_cross_entropy"
    names = "logits target sample_weight where epsilon"
    check_in_range(fn, "epsilon", epsilon)  # any finite number (optax); NaN, inf and non-numbers fail
    p = setup_classes(fn, names, logits, target, axis=axis, sample_weight=sample_weight, where=where,
                      reduction=reduction, xp=xp, params=(epsilon,))
    xp = p.xp
    (e,) = p.params
    lse = logsumexp(xp, p.x, axis=p.axis, keepdims=True)
    if p.int_labels:
        logp_y = gather_labels(xp, p.x, p.target, axis=p.axis) - xp.squeeze(lse, axis=p.axis)
        loss = -logp_y - e * xp.expm1(logp_y)
    else:
        t = p.target
        logp = p.x - lse
        ce = -xp.sum(xp.where(t == 0, xp.zeros_like(logp), t * logp), axis=p.axis)
        loss = ce + e * xp.sum(t * (1 - xp.exp(logp)), axis=p.axis)
    return finish_classes(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="classification",
    task="multiclass",
    input_spaces={"probs": "probability", "labels": "label"},
    formula="(1 - p_y^q) / q",
    robust=True,
    bounded=True,
    probabilistic=True,
    counterparts={"keras": "keras.losses.CategoricalGeneralizedCrossEntropy(q=q)(labels, probs)"},
)
def generalized_cross_entropy(
    probs: Any,
    labels: Any,
    /,
    *,
    q: Any = 0.5,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`cross_entropy`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the shape of ``labels``.

    Notes
    -----
    Equals keras ``CategoricalGeneralizedCrossEntropy(q=q)(labels, probs)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.generalized_cross_entropy(np.array([[0.25, 0.75]]), np.array([1]))), 6)
    0.267949
    """
    fn = "generalized_cross_entropy"
    names = "probs labels sample_weight where q"
    check_in_range(fn, "q", q, low=0.0, high=1.0, low_open=True)
    p = setup_classes(fn, names, probs, labels, axis=axis, sample_weight=sample_weight, where=where,
                      reduction=reduction, xp=xp, params=(q,), labels="int", fill=1.0)
    xp = p.xp
    (qq,) = p.params
    py = gather_labels(xp, p.x, p.target, axis=p.axis)
    ok = ~(py <= 0)  # NaN takes the power branch and propagates
    powq = xp.where(ok, xp.exp(qq * xp.log(xp.where(ok, py, xp.ones_like(py)))), xp.zeros_like(py))
    loss = (1 - powq) / qq
    return finish_classes(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="classification",
    task="multiclass",
    input_spaces={"probs": "probability", "target": "label_or_probability"},
    formula="sum_c (p_c - t_c)^2  (axis=None: (p - t)^2)",
    convex=True,
    smooth=True,
    bounded=True,
    probabilistic=True,
    counterparts={"sklearn": "sklearn.metrics.brier_score_loss(target, probs)"},
)
def brier_score(
    probs: Any,
    target: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int | None = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, xp
        As for :func:`cross_entropy`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the per-element shape.

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
    fn = "brier_score"
    if axis is None:
        p = setup(fn, "probs target sample_weight where", (probs, target), sample_weight=sample_weight, where=where,
                  reduction=reduction, xp=xp)
        d = p.arrays[0] - p.arrays[1]
        return finish(p, d * d, reduction, fn=fn, sample_weight=sample_weight, where=where)
    c = setup_classes(fn, "probs target sample_weight where", probs, target, axis=axis, sample_weight=sample_weight,
                      where=where, reduction=reduction, xp=xp)
    xp = c.xp
    if c.int_labels:
        loss = xp.sum(c.x * c.x, axis=c.axis) - 2 * gather_labels(xp, c.x, c.target, axis=c.axis) + 1
    else:
        d = c.x - c.target
        loss = xp.sum(d * d, axis=c.axis)
    return finish_classes(c, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)
