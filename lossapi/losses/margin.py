"""Margin-based classification losses: hinge family, soft margins, perceptrons and sparsemax.

Binary losses (``hinge``, ``squared_hinge``, ``soft_margin``, ``perceptron``) are elementwise:
``reduction="none"`` returns the broadcast shape of ``scores`` and ``target``. Their targets are
signs: ``target`` in {-1, 1}, where 0 is read as -1 (so {0, 1} labels work too); integer and
boolean targets are accepted and never change the result dtype.

The others have a class axis (``axis=-1`` by default; torch-style ``(N, C, ...)`` inputs pass
``axis=1``) which ``reduction="none"`` drops. Integer labels (any integer dtype: int32 on JAX,
int64 on torch, uint8, ...) are never expanded into a floating one-hot of the scores' size: the
score at the label is gathered, and "all classes but the label" is a boolean comparison.

Gradients at kinks are the minimum-norm subgradient, identical on torch and JAX: 0 where a
hinge ``max(0, .)`` sits exactly at 0; a maximum over tied wrong classes splits its gradient
evenly among them (``xp.max``). ``multiclass_hinge`` and ``multiclass_perceptron`` are written
as ``max(0, m + max_{c != y} s_c - s_y)``, equal in value to optax's ``max_c(...) - s_y``, so
that a tie between the label and a wrong class also gets the zero subgradient.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Array, Namespace, device_of
from .._errors import InvalidOptionError, ShapeMismatchError
from .._loss import ELEMENTWISE, PerElement, loss
from .._ops import (
    amax,
    astype,
    cumulative_sum,
    gather_labels,
    label_hits,
    relu,
    softplus,
    sort_descending,
    stop_gradient,
    take_1d,
)
from .._options import Choice, ClassWeight, Interval
from ._classes import ClassAxis, ClassContext, along_axis, fits

__all__ = [
    "categorical_hinge",
    "hinge",
    "multiclass_hinge",
    "multiclass_perceptron",
    "multilabel_margin",
    "multilabel_soft_margin",
    "perceptron",
    "soft_margin",
    "sparsemax",
    "squared_hinge",
]

_BINARY_SPACES = {"scores": "real", "target": "sign"}
_LABEL_SPACES = {"scores": "real", "labels": "label"}
_SIGNS = {"target": "signs_or_zero"}  # 0 is read as -1
_MARGIN = (1.0, Interval(0, None))
_LABELS = ClassAxis(labels="int")


# -- helpers --------------------------------------------------------------------------------------


def _signs(xp: Any, t: Any) -> Any:
    """Targets as signs: 0 is read as -1, every other value is kept (so {0, 1} -> {-1, 1})."""
    return xp.where(t == 0, -xp.ones_like(t), t)


def _max_other(xp: Any, x: Any, hit: Any, axis: int) -> Any:
    """``max_{c != y} x_c`` over ``axis`` (``-inf`` with a single class); ties split evenly."""
    return amax(xp, xp.where(hit, xp.full_like(x, -math.inf), x), axis=axis)


def _sparsemax(xp: Any, z: Any, axis: int) -> tuple[Any, Any, Any]:
    """``(p, tau, support)`` of ``p = sparsemax(z) = max(z - tau, 0)`` along ``axis`` (``tau`` keeps
    the axis); the support includes the boundary (``p = 0`` there; ``tau`` is unchanged)."""
    C, dt = z.shape[axis], z.dtype
    # Threshold from the sorted logits (no gradient needed: it only decides the support).
    zs = sort_descending(xp, stop_gradient(xp, z), axis=axis)
    k = along_axis(xp, xp.arange(1, C + 1, dtype=dt, device=device_of(z)), z.ndim, axis)
    cond = 1 + k * zs > cumulative_sum(xp, zs, axis=axis)
    zero = xp.zeros_like(z)
    tau_s = (xp.sum(xp.where(cond, zs, zero), axis=axis, keepdims=True) - 1) / xp.sum(
        astype(xp, cond, dt), axis=axis, keepdims=True
    )
    # The support and a differentiable tau.
    support = z >= tau_s
    tau = (xp.sum(xp.where(support, z, zero), axis=axis, keepdims=True) - 1) / xp.sum(
        astype(xp, support, dt), axis=axis, keepdims=True
    )
    return xp.where(support, z - tau, zero), tau, support


def _target_pairs(xp: Any, y: Any, axis: int) -> tuple[Any, Any, Any]:
    """``(hit, valid_j, is_target)`` of padded target lists ``y`` (floats, -1 pads) with the class
    axis at ``axis``: ``hit[.., j, i, ..]`` slot ``j`` names class ``i`` (slot at ``axis``, class at
    ``axis + 1``); ``valid_j`` the slots before the first negative entry (with the class axis
    kept); ``is_target`` the classes some valid slot names."""
    C = y.shape[axis]
    valid = cumulative_sum(xp, astype(xp, y < 0, y.dtype), axis=axis) == 0
    classes = along_axis(xp, xp.arange(C, dtype=y.dtype, device=device_of(y)), y.ndim + 1, axis + 1)
    hit = xp.expand_dims(y, axis=axis + 1) == classes
    valid_j = xp.expand_dims(valid, axis=axis + 1)
    return hit, valid_j, xp.any(hit & valid_j, axis=axis)


# -- binary ---------------------------------------------------------------------------------------


@loss(
    ELEMENTWISE,
    family="classification",
    task="binary",
    inputs=_BINARY_SPACES,
    options={"margin": _MARGIN},
    formula="max(0, m - t s), t in {-1, 1} (0 read as -1)",
    convex=True,
    robust=True,
    counterparts={
        "optax": "optax.losses.hinge_loss(scores, target).mean()",
        "keras": "keras.losses.Hinge()(target, scores)",
        "sklearn": "sklearn.metrics.hinge_loss(target, scores)",
    },
    value_rules=_SIGNS,
)
def hinge(xp: Namespace, scores: Array, target: Array, *, margin: Any) -> Any:
    r"""Hinge loss for binary classification with signed targets.

    .. math:: \ell(s, t) = \max(0,\; m - t\,s), \qquad t \in \{-1, 1\}

    A target of 0 is read as -1, so {0, 1} labels give the same loss as {-1, 1}. The gradient
    at the kink :math:`t s = m` is 0 on every backend.

    Parameters
    ----------
    scores : array
        Real-valued decision scores (floating).
    target : array
        Signs in {-1, 1} (or {0, 1}); floating, integer or boolean, broadcastable with
        ``scores``.
    margin : float or 0-d array, default 1.0
        :math:`m \ge 0`.

    Notes
    -----
    With ``margin=1`` equals ``optax.losses.hinge_loss(scores, target)`` per element,
    ``keras.losses.Hinge()(target, scores)`` (``"mean"``) and
    ``sklearn.metrics.hinge_loss(target, scores, sample_weight=w)`` (``"mean"``, 1-D).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.hinge(np.array([2.0, 0.5, -1.0]), np.array([1, 1, 1]), reduction="none").tolist()
    [0.0, 0.5, 2.0]
    >>> la.hinge(np.array([2.0, 0.5]), np.array([0, 0]), reduction="none").tolist()
    [3.0, 1.5]
    """
    return relu(xp, margin - _signs(xp, target) * scores)


@loss(
    ELEMENTWISE,
    family="classification",
    task="binary",
    inputs=_BINARY_SPACES,
    options={"margin": _MARGIN},
    formula="max(0, m - t s)^2, t in {-1, 1} (0 read as -1)",
    convex=True,
    counterparts={"keras": "keras.losses.SquaredHinge()(target, scores)"},
    value_rules=_SIGNS,
)
def squared_hinge(xp: Namespace, scores: Array, target: Array, *, margin: Any) -> Any:
    r"""Squared hinge loss (L2-SVM loss) for binary classification.

    .. math:: \ell(s, t) = \max(0,\; m - t\,s)^2, \qquad t \in \{-1, 1\}

    Continuously differentiable (gradient 0 at :math:`t s = m`). A target of 0 is read as -1.

    Parameters
    ----------
    scores : array
        Real-valued decision scores (floating).
    target : array
        Signs in {-1, 1} (or {0, 1}), broadcastable with ``scores``.
    margin : float or 0-d array, default 1.0
        :math:`m \ge 0`.

    Notes
    -----
    ``"mean"`` with ``margin=1`` equals ``keras.losses.SquaredHinge()(target, scores)`` (keras
    also converts {0, 1} targets to {-1, 1}, but only when *every* target is 0 or 1).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.squared_hinge(np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0]), reduction="none").tolist()
    [0.0, 0.25, 4.0]
    """
    h = relu(xp, margin - _signs(xp, target) * scores)
    return h * h


@loss(
    ELEMENTWISE,
    family="classification",
    task="binary",
    inputs=_BINARY_SPACES,
    formula="log(1 + exp(-t s)), t in {-1, 1} (0 read as -1)",
    convex=True,
    smooth=True,
    robust=True,
    probabilistic=True,
    counterparts={"torch": "torch.nn.functional.soft_margin_loss(scores, target)"},
    value_rules=_SIGNS,
)
def soft_margin(xp: Namespace, scores: Array, target: Array) -> Any:
    r"""Soft-margin (logistic) loss with signed targets.

    .. math:: \ell(s, t) = \log\bigl(1 + e^{-t\,s}\bigr), \qquad t \in \{-1, 1\}

    Computed as ``softplus(-t s)``: finite for every finite score (no overflow of ``exp``),
    and accurate for large margins. A target of 0 is read as -1.

    Parameters
    ----------
    scores : array
        Real-valued scores (logits), floating.
    target : array
        Signs in {-1, 1} (or {0, 1}), broadcastable with ``scores``.

    Notes
    -----
    Equals ``torch.nn.functional.soft_margin_loss(scores, target)`` for targets in {-1, 1}
    (torch reads a 0 target literally, giving ``log 2``).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.soft_margin(np.array([0.0, 2.0]), np.array([1.0, -1.0]), reduction="none").round(6).tolist()
    [0.693147, 2.126928]
    """
    return softplus(xp, -(_signs(xp, target) * scores))


@loss(
    ELEMENTWISE,
    family="classification",
    task="binary",
    inputs=_BINARY_SPACES,
    formula="max(0, -t s), t in {-1, 1} (0 read as -1)",
    convex=True,
    robust=True,
    counterparts={"optax": "optax.losses.perceptron_loss(scores, target).mean()"},
    value_rules=_SIGNS,
)
def perceptron(xp: Namespace, scores: Array, target: Array) -> Any:
    r"""Binary perceptron loss.

    .. math:: \ell(s, t) = \max(0,\; -t\,s), \qquad t \in \{-1, 1\}

    Zero for correctly signed scores; the gradient at :math:`s = 0` is 0. A target of 0 is read
    as -1.

    Parameters
    ----------
    scores : array
        Real-valued scores, floating.
    target : array
        Signs in {-1, 1} (or {0, 1}), broadcastable with ``scores``.

    Notes
    -----
    Equals ``optax.losses.perceptron_loss(scores, target)`` per element.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.perceptron(np.array([2.0, -0.5, 1.5]), np.array([1, 1, 0]), reduction="none").tolist()
    [0.0, 0.5, 1.5]
    """
    return relu(xp, -(_signs(xp, target) * scores))


# -- multiclass -----------------------------------------------------------------------------------


@loss(
    _LABELS,
    family="classification",
    task="multiclass",
    inputs=_LABEL_SPACES,
    options={
        "margin": _MARGIN,
        "variant": (
            "crammer_singer",
            Choice(
                "crammer_singer",
                "weston_watkins",
                what=(
                    "'crammer_singer' (optax's multiclass_hinge_loss) or 'weston_watkins' (torch's multi_margin_loss)"
                ),
            ),
        ),
        "p": (1, Choice(1, 2, 1.0, 2.0, what="1 (hinge) or 2 (squared hinge)")),
        "class_weight": (None, ClassWeight()),
    },
    formula="crammer_singer: max(0, m + max_{c!=y} s_c - s_y)^p; "
    "weston_watkins: sum_{c!=y} max(0, m - s_y + s_c)^p / C; times w_y",
    convex=True,
    robust=True,
    counterparts={
        "optax": "optax.losses.multiclass_hinge_loss(scores, labels).mean()",
        "torch": "torch.nn.functional.multi_margin_loss(scores, labels, p=p, margin=margin, weight=class_weight)",
        "sklearn": "sklearn.metrics.hinge_loss(labels, scores, labels=range(C))",
    },
)
def multiclass_hinge(
    c: ClassContext, scores: Array, labels: Array, *, margin: Any, variant: str, p: int, class_weight: Any
) -> Any:
    r"""Multiclass hinge loss (multiclass SVM), Crammer-Singer or Weston-Watkins.

    With scores :math:`s` over ``axis``, label :math:`y` and :math:`C` classes:

    - ``variant="crammer_singer"`` (the largest violation):

      .. math:: \ell = \max\bigl(0,\; m + \max_{c \ne y} s_c - s_y\bigr)^p
                     = \Bigl(\max_c \bigl(s_c + m\,[c \ne y]\bigr) - s_y\Bigr)^p

    - ``variant="weston_watkins"`` (every violation, averaged over the classes):

      .. math:: \ell = \frac{1}{C} \sum_{c \ne y} \max\bigl(0,\; m - s_y + s_c\bigr)^p

    ``class_weight`` is a weight source (see the weighted-mean rule): the element's loss is multiplied by
    :math:`w_y`, and ``"mean"`` is :math:`\sum_i w_{y_i} \ell_i / \sum_i w_{y_i}`.

    Parameters
    ----------
    scores : array
        Real floating scores with the class axis at ``axis``.
    labels : array
        Integer class indices (any integer dtype), the scores' shape without the class axis.
    margin : float or 0-d array, default 1.0
        :math:`m \ge 0`.
    variant : {"crammer_singer", "weston_watkins"}
        Which multiclass extension of the hinge.
    p : {1, 2}
        Power of each hinge term (2: squared hinge).
    class_weight : array, optional
        Shape (C,): per-class weights looked up at the label (``reduction="none"`` returns the
        weighted per-element loss).

    Raises
    ------
    InvalidOptionError
        Unknown ``variant``, ``p`` not 1 or 2, negative ``margin``.

    Notes
    -----
    ``"crammer_singer"`` with ``margin=1, p=1`` equals
    ``optax.losses.multiclass_hinge_loss(scores, labels)`` per element and
    ``sklearn.metrics.hinge_loss(labels, scores, labels=range(C), sample_weight=w)``
    (``"mean"``). ``"weston_watkins"`` equals ``torch.nn.functional.multi_margin_loss(scores,
    labels, p=p, margin=margin, weight=class_weight)`` with ``axis=1`` -- except that with a
    ``weight`` torch's ``"mean"`` divides by the number of elements, lossapi's by the sum of
    the weights (``"none"`` and ``"sum"`` agree).

    The gradient at the hinge's kink is 0 (a tie between :math:`s_y` and :math:`m + s_c`);
    tied wrong classes share the gradient of the maximum evenly.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> s = np.array([[2.0, 1.5, -1.0], [0.0, 1.0, 0.5]])
    >>> y = np.array([0, 0])
    >>> la.multiclass_hinge(s, y, reduction="none").tolist()
    [0.5, 2.0]
    >>> la.multiclass_hinge(s, y, variant="weston_watkins", reduction="none").tolist()
    [0.16666666666666666, 1.1666666666666667]
    """
    xp, ax = c.xp, c.axis
    hit = label_hits(xp, labels, c.num_classes, ax)
    s_y = gather_labels(xp, scores, labels, axis=ax)
    if variant == "crammer_singer":
        h = relu(xp, margin + _max_other(xp, scores, hit, ax) - s_y)
        out = h if p == 1 else h * h
    else:
        h = relu(xp, margin - xp.expand_dims(s_y, axis=ax) + scores)
        out = xp.sum(xp.where(hit, xp.zeros_like(h), h if p == 1 else h * h), axis=ax) / c.num_classes
    return PerElement(out, weight=None if class_weight is None else take_1d(xp, class_weight, labels))


@loss(
    ClassAxis(),
    family="classification",
    task="multiclass",
    inputs={"scores": "real", "target": "label_or_probability"},
    formula="max(0, 1 + max_c (1 - t_c) s_c - sum_c t_c s_c)",
    convex=True,
    robust=True,
    counterparts={"keras": "keras.losses.CategoricalHinge()(target, scores)"},
)
def categorical_hinge(c: ClassContext, scores: Array, target: Array) -> Any:
    r"""Categorical hinge loss (keras' definition) with one-hot targets or integer labels.

    .. math::

        \ell = \max\Bigl(0,\; 1 + \max_c\, (1 - t_c)\, s_c - \sum_c t_c\, s_c\Bigr)

    For a one-hot target of class :math:`y` this is
    :math:`\max(0, 1 + \max(0, \max_{c \ne y} s_c) - s_y)`: as in keras, the zeroed entry of the
    label takes part in the maximum. Integer labels give exactly that, without building a
    floating one-hot of the scores' size.

    Parameters
    ----------
    scores : array
        Real floating scores with the class axis at ``axis``.
    target : array
        Floating (or boolean) one-hot / soft targets of the scores' shape, or integer class
        indices of the scores' shape without the class axis. Chosen by dtype.

    Notes
    -----
    Equals ``keras.losses.categorical_hinge(target, scores)`` per element and
    ``keras.losses.CategoricalHinge()(target, scores)`` for ``"mean"``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> s = np.array([[2.0, 1.5, -1.0], [-2.0, -1.0, 0.5]])
    >>> la.categorical_hinge(s, np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), reduction="none").tolist()
    [0.5, 3.5]
    >>> la.categorical_hinge(s, np.array([0, 0]), reduction="none").tolist()
    [0.5, 3.5]
    """
    xp, ax = c.xp, c.axis
    if c.int_labels:  # the label's entry takes part in the maximum as 0 (keras)
        neg = amax(xp, xp.where(label_hits(xp, target, c.num_classes, ax), xp.zeros_like(scores), scores), axis=ax)
        return relu(xp, 1 + neg - gather_labels(xp, scores, target, axis=ax))
    return relu(xp, 1 + amax(xp, (1 - target) * scores, axis=ax) - xp.sum(target * scores, axis=ax))


@loss(
    _LABELS,
    family="classification",
    task="multiclass",
    inputs=_LABEL_SPACES,
    formula="max_c s_c - s_y",
    convex=True,
    robust=True,
    counterparts={"optax": "optax.losses.multiclass_perceptron_loss(scores, labels).mean()"},
)
def multiclass_perceptron(c: ClassContext, scores: Array, labels: Array) -> Any:
    r"""Multiclass perceptron loss.

    .. math:: \ell = \max_c s_c - s_y = \max\bigl(0,\; \max_{c \ne y} s_c - s_y\bigr)

    Zero when the label has the (weakly) largest score. Computed in the second form: the
    gradient is 0 at a tie between the label and the best wrong class, and tied wrong classes
    share it evenly.

    Parameters
    ----------
    scores : array
        Real floating scores with the class axis at ``axis``.
    labels : array
        Integer class indices (any integer dtype), the scores' shape without the class axis.

    Notes
    -----
    Equals ``optax.losses.multiclass_perceptron_loss(scores, labels)`` per element.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> s = np.array([[2.0, 1.5, -1.0], [0.0, 1.0, 0.5]])
    >>> la.multiclass_perceptron(s, np.array([0, 0]), reduction="none").tolist()
    [0.0, 1.0]
    """
    xp, ax = c.xp, c.axis
    best_other = _max_other(xp, scores, label_hits(xp, labels, c.num_classes, ax), ax)
    return relu(xp, best_other - gather_labels(xp, scores, labels, axis=ax))


@loss(
    _LABELS,
    family="classification",
    task="multiclass",
    inputs={"logits": "logit", "labels": "label"},
    formula="0.5 ||p - e_y||^2 + max(0, tau - z_y), p = sparsemax(z) = max(z - tau, 0)",
    convex=True,
    robust=True,
    probabilistic=True,
    counterparts={"optax": "optax.losses.multiclass_sparsemax_loss(logits, labels).mean()"},
)
def sparsemax(c: ClassContext, logits: Array, labels: Array) -> Any:
    r"""Sparsemax loss (Martins & Astudillo, 2016): the Fenchel-Young loss of sparsemax.

    With :math:`p = \mathrm{sparsemax}(z) = \max(z - \tau, 0)`, the Euclidean projection of
    the logits onto the simplex (:math:`\tau` chosen so that :math:`\sum_c p_c = 1`), and
    support :math:`S = \{c : p_c > 0\}`:

    .. math::

        \ell(z, y) = \tfrac12 \sum_{c \in S} \bigl(z_c^2 - \tau^2\bigr) + \tfrac12 - z_y
                   = \tfrac12 \lVert p - e_y \rVert^2 + \max(0,\; \tau - z_y)

    The second form (used here) is a sum of non-negative terms, so small losses keep their
    relative precision; the logits are shifted by their maximum first (the loss is
    shift-invariant). :math:`\tau` comes from a descending sort and a cumulative sum along the
    class axis: :math:`k^* = \max\{k : 1 + k\, z_{(k)} > \sum_{j \le k} z_{(j)}\}`,
    :math:`\tau = (\sum_{j \le k^*} z_{(j)} - 1) / k^*`. The gradient is
    :math:`p - e_y` (no gradient flows through the sort).

    Parameters
    ----------
    logits : array
        Real floating logits with the class axis at ``axis``.
    labels : array
        Integer class indices (any integer dtype), the logits' shape without the class axis.

    Notes
    -----
    Equals ``optax.losses.multiclass_sparsemax_loss(logits, labels)`` per element.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> z = np.array([[1.0, 0.5, -1.0], [0.0, 0.0, 0.0]])
    >>> la.sparsemax(z, np.array([1, 2]), reduction="none").round(6).tolist()
    [0.5625, 0.333333]
    """
    xp, ax = c.xp, c.axis
    z = logits - stop_gradient(xp, amax(xp, logits, axis=ax, keepdims=True))
    prob, tau, support = _sparsemax(xp, z, ax)
    others = xp.where(label_hits(xp, labels, c.num_classes, ax), xp.zeros_like(z), prob)
    rest = xp.sum(others, axis=ax)  # 1 - p_y == sum of the other probabilities
    sq = 0.5 * (xp.sum(others * others, axis=ax) + rest * rest)
    in_support = gather_labels(xp, astype(xp, support, c.dtype), labels, axis=ax) > 0
    gap = xp.squeeze(tau, axis=ax) - gather_labels(xp, z, labels, axis=ax)
    return sq + xp.where(in_support, xp.zeros_like(gap), gap)


# -- multilabel -----------------------------------------------------------------------------------


class TermWeight(ClassWeight):
    """``None``, one weight per class (shape ``(C,)``, along the class axis; ``(1,)`` for all), or
    per-entry weights of any shape that broadcasts to the first input's without enlarging it
    (torch's ``weight`` of ``multilabel_soft_margin_loss``: ``(1, C)``, ``(N, C)``, 0-d)."""

    def __repr__(self) -> str:
        return "TermWeight()"

    def describe(self) -> str:
        return "None, a (C,) array of per-class weights, or an array that broadcasts to the logits' shape"

    def check(self, fn: str, name: str, value: Any) -> Any:
        if value is not None and (
            isinstance(value, (bool, int, float, str, list, tuple)) or not hasattr(value, "shape")
        ):
            raise InvalidOptionError(
                f"lossapi.{fn}: `{name}` must be None or an array of the inputs' namespace (shape (C,), or one "
                f"that broadcasts to the logits' shape), got {type(value).__name__} {value!r}."
            )
        return super().check(fn, name, value)

    def prepare(self, ctx: Any, name: str, value: Any) -> Any:
        if value is None:
            return value
        if value.ndim == 1 and value.shape[0] != 1:
            return super().prepare(ctx, name, value)  # one weight per class, checked against C
        shape = tuple(ctx.arrays[0].shape)
        if value.ndim == 1:
            value = ctx.xp.reshape(value, ())  # (1,): one weight for every term
        elif not fits(tuple(value.shape), shape):
            raise ShapeMismatchError(
                f"lossapi.{ctx.fn}: `{name}` has shape {tuple(value.shape)}, which does not broadcast to the "
                f"logits' shape {shape} without enlarging it; pass one weight per class (shape ({ctx.num_classes},)) "
                "or weights that broadcast to the logits (e.g. (1, C) or (N, C))."
            )
        return value if value.dtype == ctx.dtype else ctx.xp.astype(value, ctx.dtype)


@loss(
    ClassAxis(labels="float"),
    family="classification",
    task="multilabel",
    inputs={"logits": "logit", "target": "probability"},
    options={"class_weight": (None, TermWeight())},
    formula="-mean_c w_c (t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c))",
    convex=True,
    smooth=True,
    robust=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.multilabel_soft_margin_loss(logits, target, weight=class_weight)",
    },
)
def multilabel_soft_margin(c: ClassContext, logits: Array, target: Array, *, class_weight: Any) -> Any:
    r"""Multilabel soft-margin loss: per-class logistic losses averaged over the classes.

    .. math::

        \ell = -\frac{1}{C} \sum_c w_c \bigl(t_c \log\sigma(x_c) + (1 - t_c)\log\sigma(-x_c)\bigr)

    Each term is computed in the stable form
    :math:`\max(x, 0) - x\,t + \log(1 + e^{-|x|})`. ``class_weight`` weighs the terms inside
    the class mean (as torch's ``weight``); it is not a weight source of the reduction. A
    weight of another shape than ``(C,)`` weighs each entry: :math:`w_c` becomes the broadcast
    :math:`w_{n,c}`.

    Parameters
    ----------
    logits : array, shape (..., C)
        Real floating logits with the class axis at ``axis``; ``(C,)`` is one sample (a 0-d
        ``reduction="none"`` result).
    target : array
        Multi-hot (or soft) targets in [0, 1] of the logits' shape; floating, integer or
        boolean.
    class_weight : array, optional
        Shape ``(C,)``: the weight of each class's term, along ``axis`` (``(1,)``: one weight for
        all). Any other shape must broadcast to the logits' shape without enlarging it, as
        torch's ``weight`` does (e.g. ``(1, C)``, ``(N, C)`` per entry, or 0-d); it is read
        against the logits as they are (class axis at ``axis``). Floating, integer or boolean
        (cast to the logits' dtype).

    Notes
    -----
    Equals ``torch.nn.functional.multilabel_soft_margin_loss(logits, target,
    weight=class_weight)`` (class axis last, or ``axis=1`` for ``(N, C)``), value and gradient,
    for every ``weight`` shape torch broadcasts without enlarging the input.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> x = np.array([[0.0, 2.0], [-1.0, 1.0]])
    >>> t = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> la.multilabel_soft_margin(x, t, reduction="none").round(6).tolist()
    [1.410038, 0.313262]
    >>> w = np.array([[2.0, 0.0], [1.0, 1.0]])  # per entry (N, C): row 0 counts its class 0 twice
    >>> la.multilabel_soft_margin(x, t, class_weight=w, reduction="none").round(6).tolist()  # [log 2, ...]
    [0.693147, 0.313262]
    """
    xp, x = c.xp, logits
    # -(t log s(x) + (1 - t) log s(-x)) = max(x, 0) - x t + log1p(exp(-|x|)): exact for 0/1 targets
    # at large |x| (softplus(x) - x t would cancel). -|x| as where(x > 0, -x, x): gradient
    # sigmoid(0) - t at x = 0 on every backend.
    terms = relu(xp, x) - x * target + xp.log1p(xp.exp(xp.where(x > 0, -x, x)))
    if class_weight is not None:
        w = class_weight
        terms = terms * (along_axis(xp, w, x.ndim, c.axis) if w.ndim == 1 else w)
    return xp.mean(terms, axis=c.axis)


@loss(
    ClassAxis(labels="padded", target_fill=-1.0),  # where-excluded rows become all padding
    family="classification",
    task="multilabel",
    inputs={"scores": "real", "labels": "padded_labels"},
    formula="sum_{j valid} sum_{i not a target} max(0, 1 - (s_{y_j} - s_i)) / C",
    convex=True,
    robust=True,
    counterparts={"torch": "torch.nn.functional.multilabel_margin_loss(scores, labels)"},
)
def multilabel_margin(c: ClassContext, scores: Array, labels: Array) -> Any:
    r"""Multilabel margin loss (torch's ``multilabel_margin_loss``).

    ``labels`` has the scores' shape: along ``axis`` it lists the target classes
    :math:`y_1, y_2, \dots` of the element, padded with -1 (everything from the first negative
    entry on is ignored). With :math:`J` the valid entries and :math:`T = \{y_j : j \in J\}`:

    .. math::

        \ell = \frac{1}{C} \sum_{j \in J} \sum_{i \notin T} \max\bigl(0,\; 1 - (s_{y_j} - s_i)\bigr)

    (a class listed twice counts twice, as in torch). Shapes stay static: validity is a
    cumulative sum of ``labels < 0`` along the axis, and the pairs are a :math:`C \times C`
    comparison per element (memory :math:`O(C^2)` per element), so the loss runs under
    ``jax.jit`` and on Dask.

    Parameters
    ----------
    scores : array
        Real floating scores with the class axis at ``axis``.
    labels : array
        Integer (any integer dtype) target lists of the scores' shape, padded with -1.

    Notes
    -----
    Equals ``torch.nn.functional.multilabel_margin_loss(scores, labels)`` for ``(N, C)``
    inputs (torch raises for out-of-range entries after the padding; lossapi ignores them).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> s = np.array([[0.1, 0.2, 0.4, 0.8]])
    >>> round(float(la.multilabel_margin(s, np.array([[3, 0, -1, 1]]))), 6)
    0.85
    """
    xp, ax = c.xp, c.axis
    y = labels if tuple(labels.shape) == tuple(scores.shape) else xp.broadcast_to(labels, tuple(scores.shape))
    hit, valid_j, is_target = _target_pairs(xp, y, ax)
    x_i = xp.expand_dims(scores, axis=ax)
    s_y = xp.sum(xp.where(hit, x_i, xp.zeros_like(x_i)), axis=ax + 1)  # s at y_j (0 for padding)
    pair = relu(xp, 1 - xp.expand_dims(s_y, axis=ax + 1) + x_i)
    keep = valid_j & xp.expand_dims(~is_target, axis=ax)
    return xp.sum(xp.where(keep, pair, xp.zeros_like(pair)), axis=(ax, ax + 1)) / c.num_classes
