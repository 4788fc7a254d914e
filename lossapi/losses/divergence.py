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

from .._catalog import register
from .._native import try_fast as _fast
from .._ops import safe_sqrt
from .._validation import check_bool
from ._classes import finish_classes, resolve_classes, setup_classes

__all__ = ["generalized_kl_divergence", "hellinger", "js_divergence", "kl_divergence"]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)


def _prepare(fn: str, names: str, x: Any, target: Any, *, axis: int, sample_weight: Any, where: Any,
             reduction: str, xp: Any) -> Any:
    return setup_classes(fn, names, x, target, axis=axis, sample_weight=sample_weight, where=where,
                         reduction=reduction, xp=xp, labels="float")


@register(
    family="divergence",
    task="distribution matching",
    input_spaces={"log_probs": "log_probability", "target": "probability"},
    formula="sum_axis t (log t - log q)",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.kl_div(log_probs, target, reduction='batchmean', log_target=log_target)",
        "optax": "optax.losses.kl_divergence(log_probs, target).mean()",
        "keras": "keras.losses.KLDivergence()(target, exp(log_probs))",
    },
)
def kl_divergence(
    log_probs: Any,
    target: Any,
    /,
    *,
    log_target: bool = False,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where : array, optional
        Weights / boolean mask broadcastable to the per-element loss (the shape without
        ``axis``); excluded rows may hold inf/NaN.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the divergence of every distribution (shape without ``axis``).
    axis : int, default -1
        The distribution axis.
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the shape without ``axis``.

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
    fn = "kl_divergence"
    check_bool(fn, "log_target", log_target)
    names = "log_probs target sample_weight where"
    r = _fast(fn, resolve_classes(fn, names, reduction, log_probs, target, sample_weight, where, xp=xp),
              log_probs, target, log_target=log_target, sample_weight=sample_weight, where=where, reduction=reduction,
              axis=axis)
    if r is not NotImplemented:
        return r
    p = _prepare(fn, names, log_probs, target, axis=axis,
                 sample_weight=sample_weight, where=where, reduction=reduction, xp=xp)
    xp, lq = p.xp, p.x
    if log_target:
        lt = p.target
        t = xp.exp(lt)
        zero = t == 0  # also where exp underflows: the term is 0 to working precision
        lt = xp.where(zero, xp.zeros_like(lt), lt)
        lq_safe = xp.where(zero, xp.zeros_like(lq), lq)
        terms = xp.where(zero, xp.zeros_like(lq), t * (lt - lq_safe))
    else:
        t = p.target
        zero = t == 0
        log_t = xp.log(xp.where(zero, xp.ones_like(t), t))
        lq_safe = xp.where(zero, xp.zeros_like(lq), lq)
        terms = xp.where(zero, xp.zeros_like(lq), t * (log_t - lq_safe))
    loss = xp.sum(terms, axis=p.axis)
    return finish_classes(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="divergence",
    task="distribution matching",
    input_spaces={"log_probs": "log_probability", "target": "nonnegative"},
    formula="sum_axis t (log t - log q) + q - t",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={"optax": "optax.losses.generalized_kl_divergence(log_probs, target).mean()"},
)
def generalized_kl_divergence(
    log_probs: Any,
    target: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`kl_divergence`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the shape without ``axis``.

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
    fn = "generalized_kl_divergence"
    p = _prepare(fn, "log_probs target sample_weight where", log_probs, target, axis=axis,
                 sample_weight=sample_weight, where=where, reduction=reduction, xp=xp)
    xp, lq, t = p.xp, p.x, p.target
    zero = t == 0
    log_t = xp.log(xp.where(zero, xp.ones_like(t), t))
    lq_safe = xp.where(zero, xp.zeros_like(lq), lq)
    kl = xp.where(zero, xp.zeros_like(lq), t * (log_t - lq_safe))
    loss = xp.sum(kl + (xp.exp(lq) - t), axis=p.axis)
    return finish_classes(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="divergence",
    task="distribution matching",
    input_spaces={"probs": "probability", "target": "probability"},
    formula="0.5 KL(p || m) + 0.5 KL(t || m), m = (p + t) / 2",
    convex=True,
    smooth=True,
    bounded=True,
    probabilistic=True,
)
def js_divergence(
    probs: Any,
    target: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`kl_divergence`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the shape without ``axis``.

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
    fn = "js_divergence"
    p = _prepare(fn, "probs target sample_weight where", probs, target, axis=axis,
                 sample_weight=sample_weight, where=where, reduction=reduction, xp=xp)
    xp, q, t = p.xp, p.x, p.target
    s = q + t
    d = (q - t) / xp.where(s == 0, xp.ones_like(s), s)
    zero = xp.zeros_like(d)
    # f(d) = (1 + d) log(1 + d) + (1 - d) log(1 - d); 4 JS_c = s f(d).
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
    loss = 0.25 * xp.sum(s * xp.where(small, f_small, f_q + f_t), axis=p.axis)
    return finish_classes(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="divergence",
    task="distribution matching",
    input_spaces={"probs": "probability", "target": "probability"},
    formula="||sqrt(p) - sqrt(t)||_2 / sqrt(2)",
    bounded=True,
    probabilistic=True,
)
def hellinger(
    probs: Any,
    target: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`kl_divergence`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the shape without ``axis``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> round(float(la.hellinger(np.array([1.0, 0.0]), np.array([0.0, 1.0]))), 6)
    1.0
    >>> round(float(la.hellinger(np.array([0.25, 0.75]), np.array([0.25, 0.75]))), 6)
    0.0
    """
    fn = "hellinger"
    p = _prepare(fn, "probs target sample_weight where", probs, target, axis=axis,
                 sample_weight=sample_weight, where=where, reduction=reduction, xp=xp)
    xp, q, t = p.xp, p.x, p.target
    both = (q > 0) & (t > 0)
    one = xp.ones_like(q)
    diff = xp.sqrt(xp.where(both, q, one)) - xp.sqrt(xp.where(both, t, one))
    sq = xp.where(both, diff * diff, q + t)
    loss = _INV_SQRT2 * safe_sqrt(xp, xp.sum(sq, axis=p.axis))
    return finish_classes(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)
