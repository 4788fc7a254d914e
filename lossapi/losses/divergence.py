"""Divergences between probability distributions along a distribution axis.

Every loss here sums (or, for the Hellinger distance, takes a norm) over ``axis`` (-1 by
default; ``axis=1`` for torch-style ``(N, C, ...)``), so ``reduction="none"`` returns the
inputs' shape without that axis, and ``"mean"`` averages over the remaining entries: with 2-D
``(N, C)`` inputs that is the mean over rows, torch's ``reduction="batchmean"``.

Zero probabilities never produce NaN: every ``0 * log 0`` is taken as 0 with a double
``where``, so neither the value nor the gradient sees ``log(0)`` or ``0 * inf``.
``where``-excluded rows may hold inf/NaN. float16/bfloat16 inputs are computed in float32.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Array
from .._loss import loss
from .._ops import safe_sqrt
from .._options import Flag
from ._classes import ClassAxis, ClassContext

__all__ = ["generalized_kl_divergence", "hellinger", "js_divergence", "kl_divergence"]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)

#: Two distributions (or measures) of one shape along the distribution axis.
_DISTRIBUTIONS = ClassAxis(
    labels="float",
    axis_doc="The distribution axis (``1`` for torch-style ``(N, C, ...)`` inputs); ``where`` and\n"
    "``sample_weight`` broadcast to the shape without it.",
)


def _kl_terms(xp: Any, lq: Any, t: Any, log_t: Any = None) -> Any:
    """``t (log t - lq)`` per entry, exactly 0 (value and gradient) where ``t == 0`` whatever ``lq``
    is (``-inf`` included); ``log_t`` when known (a log target), else ``log t``."""
    zero = t == 0  # for a log target also where exp underflows: the term is 0 to working precision
    if log_t is None:
        log_t = xp.log(xp.where(zero, xp.ones_like(t), t))
    else:
        log_t = xp.where(zero, xp.zeros_like(log_t), log_t)
    lq_safe = xp.where(zero, xp.zeros_like(lq), lq)
    return xp.where(zero, xp.zeros_like(lq), t * (log_t - lq_safe))


def _js_f(xp: Any, d: Any) -> Any:
    """``f(d) = (1 + d) log(1 + d) + (1 - d) log(1 - d)`` for ``d`` in [-1, 1], ``0 log 0 = 0``."""
    zero = xp.zeros_like(d)
    # |d| < 1/2: f = 2 d atanh(d) + log(1 - d^2), two O(d^2) terms (the direct form cancels
    # to relative error eps / |d| when p is close to t).
    small = (d < 0.5) & (d > -0.5)
    ds = xp.where(small, d, zero)
    f_small = 2.0 * ds * xp.atanh(ds) + xp.log1p(-(ds * ds))
    # |d| >= 1/2: the direct form; d = -1 (q = 0) and d = 1 (t = 0) give 0 * log 0 = 0.
    # d = -1 also when q > 0 is below t's rounding (a subnormal q): 0 log 0 there too, not 0 * -inf.
    zq, zt = d == -1, d == 1
    f_q = xp.where(zq, zero, (1.0 + d) * xp.log1p(xp.where(zq | small, zero, d)))
    f_t = xp.where(zt, zero, (1.0 - d) * xp.log1p(-xp.where(zt | small, zero, d)))
    return xp.where(small, f_small, f_q + f_t)


@loss(
    _DISTRIBUTIONS,
    family="divergence",
    task="distribution matching",
    inputs={"log_probs": "log_probability", "target": "probability"},
    options={"log_target": (False, Flag())},
    formula="sum_axis t (log t - log q)",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.kl_div(log_probs, target, reduction='batchmean', log_target=log_target)",
        "optax": "optax.losses.kl_divergence(log_probs, target).mean()",
        "keras": "keras.losses.KLDivergence()(target, exp(log_probs))",
    },
    value_rules={"target": "kl_target"},
)
def kl_divergence(c: ClassContext, log_probs: Array, target: Array, *, log_target: bool) -> Any:
    r"""Kullback-Leibler divergence KL(target || prediction), prediction given as log-probabilities.

    .. math:: \mathrm{KL}(t \,\|\, q) = \sum_c t_c\,(\log t_c - \log q_c)

    summed over ``axis``. Entries with :math:`t_c = 0` contribute exactly 0, with finite
    gradients, whatever :math:`\log q_c` is (``-inf`` included).

    Argument order follows torch's ``kl_div`` and optax: the *prediction* first, as
    log-probabilities, the *target* second (probabilities, or log-probabilities with
    ``log_target=True``). Targets need not be normalized (the formula is applied as is).

    Parameters
    ----------
    log_probs : array
        Log-probabilities :math:`\log q` of the predicted distribution, distribution axis at
        ``axis`` (e.g. ``log_softmax`` of logits).
    target : array
        Target probabilities :math:`t` (or :math:`\log t` with ``log_target=True``) of the same
        shape (or broadcastable to it without enlarging it).
    log_target : bool, default False
        Whether ``target`` holds log-probabilities (``-inf`` or very negative = probability 0).

    Notes
    -----
    Mapping to the other libraries (with ``q`` the predicted, ``t`` the target distribution):

    - torch ``F.kl_div(input=log q, target=t, log_target=...)`` computes the *elementwise*
      terms. With 2-D ``(N, C)`` inputs, lossapi's ``"mean"`` equals torch's
      ``reduction="batchmean"``, and ``"sum"`` torch's ``"sum"``; lossapi's ``"none"`` is torch's
      ``"none"`` summed over the class axis. torch's *default* ``reduction="mean"`` divides by
      the number of elements ``N * C``, not by ``N``: it is ``1/C`` times the KL divergence
      (torch warns about it).
    - optax ``kl_divergence(log q, t)`` / ``kl_divergence_with_log_targets(log q, log t)``
      return the per-distribution values of ``reduction="none"``.
    - keras ``kl_divergence(y_true=t, y_pred=q)`` takes *probabilities*, target first, and
      clips both to ``[1e-7, 1]``: it equals
      ``kl_divergence(log(clip(q, 1e-7, 1)), clip(t, 1e-7, 1), reduction="none")``
      (``KLDivergence()`` is ``"mean"``).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> t = np.array([[0.5, 0.5, 0.0]])
    >>> q = np.array([[0.25, 0.25, 0.5]])
    >>> round(float(la.kl_divergence(np.log(q), t)), 6)  # log 2
    0.693147
    >>> log_t = np.array([[np.log(0.5), np.log(0.5), -np.inf]])  # -inf: probability 0
    >>> round(float(la.kl_divergence(np.log(q), log_t, log_target=True)), 6)
    0.693147
    """
    xp = c.xp
    t = xp.exp(target) if log_target else target
    return xp.sum(_kl_terms(xp, log_probs, t, target if log_target else None), axis=c.axis)


@loss(
    _DISTRIBUTIONS,
    family="divergence",
    task="distribution matching",
    inputs={"log_probs": "log_probability", "target": "nonnegative"},
    formula="sum_axis t (log t - log q) + q - t",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={"optax": "optax.losses.generalized_kl_divergence(log_probs, target).mean()"},
    value_rules={"log_probs": "unchecked"},  # the log of an unnormalized measure
)
def generalized_kl_divergence(c: ClassContext, log_probs: Array, target: Array) -> Any:
    r"""Generalized KL divergence between unnormalized non-negative measures.

    .. math:: D(t \,\|\, q) = \sum_c \bigl(t_c\,(\log t_c - \log q_c) + q_c - t_c\bigr)

    summed over ``axis`` (the Bregman divergence of :math:`x \log x - x`; equal to
    :func:`kl_divergence` when both measures sum to 1). Zero targets contribute
    :math:`q_c` with finite gradients.

    Parameters
    ----------
    log_probs : array
        :math:`\log q`, the log of the predicted (possibly unnormalized) measure.
    target : array
        Non-negative target measure :math:`t`, same shape (or broadcastable without enlarging).

    Notes
    -----
    ``reduction="none"`` equals ``optax.losses.generalized_kl_divergence(log_probs, target,
    axis=axis)``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> q, t = np.array([2.0, 1.0]), np.array([1.0, 1.0])
    >>> round(float(la.generalized_kl_divergence(np.log(q), t)), 6)  # log(1/2) + 2 - 1
    0.306853
    """
    xp = c.xp
    return xp.sum(_kl_terms(xp, log_probs, target) + (xp.exp(log_probs) - target), axis=c.axis)


@loss(
    _DISTRIBUTIONS,
    family="divergence",
    task="distribution matching",
    inputs={"probs": "probability", "target": "probability"},
    formula="0.5 KL(p || m) + 0.5 KL(t || m), m = (p + t) / 2",
    convex=True,
    smooth=True,
    bounded=True,
    probabilistic=True,
)
def js_divergence(c: ClassContext, probs: Array, target: Array) -> Any:
    r"""Jensen-Shannon divergence (natural log) between two distributions given as probabilities.

    .. math::
        \mathrm{JS}(p, t) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(t \,\|\, m),
        \qquad m = \tfrac12 (p + t)

    summed over ``axis``; symmetric, in :math:`[0, \log 2]` for normalized inputs. With
    :math:`d_c = (p_c - t_c)/(p_c + t_c)` each term is
    :math:`\tfrac14 (p_c + t_c)\,[(1 + d_c)\log(1 + d_c) + (1 - d_c)\log(1 - d_c)]`, evaluated
    as :math:`2 d_c \operatorname{atanh} d_c + \log(1 - d_c^2)` for :math:`|d_c| < 1/2`, so that
    nearly equal distributions keep full relative precision (the textbook form loses it to
    cancellation). Zero entries contribute :math:`0 \log 0 = 0`; value and gradient stay finite
    (at :math:`p_c = 0 < t_c` the true derivative is :math:`-\infty`; the gradient returned
    there is the finite one of the remaining terms).

    Parameters
    ----------
    probs, target : array
        Probabilities of the two distributions, distribution axis at ``axis``; ``target`` may
        broadcast to ``probs`` without enlarging it.

    Notes
    -----
    ``scipy.spatial.distance.jensenshannon(p, t)`` is the square root of this value (with
    base ``e``).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.js_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0]))), 6)  # log 2
    0.693147
    """
    xp = c.xp
    s = probs + target
    d = (probs - target) / xp.where(s == 0, xp.ones_like(s), s)
    return 0.25 * xp.sum(s * _js_f(xp, d), axis=c.axis)  # 4 JS_c = s f(d)


@loss(
    _DISTRIBUTIONS,
    family="divergence",
    task="distribution matching",
    inputs={"probs": "probability", "target": "probability"},
    formula="||sqrt(p) - sqrt(t)||_2 / sqrt(2)",
    bounded=True,
    probabilistic=True,
)
def hellinger(c: ClassContext, probs: Array, target: Array) -> Any:
    r"""Hellinger distance between two distributions given as probabilities.

    .. math:: H(p, t) = \frac{1}{\sqrt2}\,\bigl\|\sqrt{p} - \sqrt{t}\bigr\|_2

    over ``axis``; symmetric, in :math:`[0, 1]` for normalized inputs (a metric, not its
    square). Gradients are finite everywhere: at :math:`p = t` (the norm's kink) the gradient
    is 0, the minimum-norm subgradient; where :math:`p_c = 0` the square root's infinite
    slope is never formed: a coordinate with a zero entry contributes
    :math:`(\sqrt{p_c} - \sqrt{t_c})^2 = p_c + t_c` exactly, whose derivative is 1 (the exact
    one-sided derivative where both are 0).

    Parameters
    ----------
    probs, target : array
        Probabilities of the two distributions, distribution axis at ``axis``; ``target`` may
        broadcast to ``probs`` without enlarging it.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.hellinger(np.array([1.0, 0.0]), np.array([0.0, 1.0]))), 6)
    1.0
    >>> round(float(la.hellinger(np.array([0.25, 0.75]), np.array([0.25, 0.75]))), 6)
    0.0
    """
    xp = c.xp
    both = (probs > 0) & (target > 0)
    one = xp.ones_like(probs)
    diff = xp.sqrt(xp.where(both, probs, one)) - xp.sqrt(xp.where(both, target, one))
    return _INV_SQRT2 * safe_sqrt(xp, xp.sum(xp.where(both, diff * diff, probs + target), axis=c.axis))
