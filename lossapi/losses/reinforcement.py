"""Reinforcement-learning losses: policy gradient (REINFORCE), value function, PPO clip.

All three are elementwise: ``reduction="none"`` returns the broadcast shape of the inputs (one
loss per time step / sample). Advantages and old log-probabilities are *data*, not parameters:
they pass through the backend's stop-gradient (torch ``detach``, ``jax.lax.stop_gradient``), so
their gradients are exactly 0 on every backend, even when the caller forgot to detach them.

PPO kink convention: at the boundary of the trust region (``r = 1 ± clip``, where the two
branches of the ``min`` tie) the *unclipped* branch is taken, so the gradient there is the
one-sided gradient from inside the trust region, ``-A r`` w.r.t. ``log_probs`` (the clip range is
closed). Strictly outside, where the clipped branch is the minimum, the gradient is exactly 0.
Torch and JAX agree at the tie (no ``minimum``/``clip`` subgradient is involved).
"""

from __future__ import annotations

import math
from typing import Any

from .._catalog import register
from .._ops import abs_, clip_max, clip_range, stop_gradient
from .._validation import check_in_range
from ._common import finish, setup

__all__ = ["policy_gradient", "ppo_clip", "value_function"]


@register(
    family="reinforcement",
    task="policy",
    input_spaces={"log_probs": "log_probability", "advantages": "real"},
    formula="-log_pi(a|s) * sg(A)",
    convex=True,
    smooth=True,
)
def policy_gradient(
    log_probs: Any,
    advantages: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Policy-gradient (REINFORCE) surrogate loss: minus log-probability times advantage.

    .. math:: \ell = -\log \pi(a \mid s)\, \operatorname{sg}(A)

    where :math:`\operatorname{sg}` is the stop-gradient: the gradient w.r.t. ``log_probs`` is
    :math:`-A` and w.r.t. ``advantages`` exactly 0 (Williams 1992).

    Parameters
    ----------
    log_probs : array
        Log-probabilities :math:`\log \pi(a \mid s)` of the taken actions (floating).
    advantages : array
        Advantage estimates (or returns) :math:`A`, broadcastable with ``log_probs``; they
        carry no gradient.
    sample_weight : array, optional
        Weights broadcastable to the per-element loss; ``"mean"`` is ``sum(w*l)/sum(w)``.
    where : bool array, optional
        Entries where False (e.g. padding after episode ends) are excluded; they may hold
        inf/NaN.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the per-element loss of the broadcast shape.
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape; the namespace, device and
        floating dtype of ``log_probs``.

    Notes
    -----
    No library has this loss as a function; it is ``-(log_probs * advantages.detach())``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.policy_gradient(np.log(np.array([0.5, 0.25])), np.array([2.0, -1.0]), reduction="none").round(4).tolist()
    [1.3863, -1.3863]
    """
    fn = "policy_gradient"
    p = setup(fn, "log_probs advantages sample_weight where", (log_probs, advantages), sample_weight=sample_weight,
              where=where, reduction=reduction, xp=xp)
    xp = p.xp
    lp, adv = p.arrays
    return finish(p, -lp * stop_gradient(xp, adv), reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="reinforcement",
    task="value",
    input_spaces={"values": "real", "returns": "real"},
    formula="(v - R)^2, or huber_delta(v - R) when delta is set",
    convex=True,
    counterparts={"torch": "F.mse_loss(values, returns), or F.huber_loss(values, returns, delta=delta)"},
)
def value_function(
    values: Any,
    returns: Any,
    /,
    *,
    delta: Any = None,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Value-function (critic) regression loss: squared error, or Huber when ``delta`` is set.

    .. math::
        \ell(v, R) = (v - R)^2 \quad (\delta = \text{None}), \qquad
        \ell(v, R) = \begin{cases} \tfrac12 e^2 & |e| \le \delta \\
                                  \delta\,(|e| - \tfrac12\delta) & |e| > \delta \end{cases},
        \quad e = v - R

    The Huber form is exactly :func:`lossapi.huber` (and the squared error
    :func:`lossapi.mean_squared_error`, without a factor 1/2).

    Parameters
    ----------
    values : array
        Predicted state values :math:`v` (floating).
    returns : array
        Return / bootstrap targets :math:`R`, broadcastable with ``values``. Like any
        regression target they are differentiated if they require it: detach them yourself
        when they come from the same network.
    delta : float or 0-d array, optional
        Huber threshold, > 0; None (default) gives the squared error.
    sample_weight, where, reduction, xp
        As for :func:`policy_gradient`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Equals ``torch.nn.functional.mse_loss(values, returns)`` and, with ``delta``,
    ``torch.nn.functional.huber_loss(values, returns, delta=delta)`` (the usual DQN / A2C value
    losses).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.value_function(np.array([1.0, 4.0]), np.zeros(2), reduction="none").tolist()
    [1.0, 16.0]
    >>> la.value_function(np.array([0.5, 3.0]), np.zeros(2), delta=1.0, reduction="none").tolist()
    [0.125, 2.5]
    """
    fn = "value_function"
    if delta is not None:
        check_in_range(fn, "delta", delta, low=0.0, low_open=True)
    params = () if delta is None else (delta,)
    p = setup(fn, "values returns sample_weight where" + (" delta" if params else ""), (values, returns),
              sample_weight=sample_weight, where=where, reduction=reduction, xp=xp, params=params)
    xp = p.xp
    e = p.arrays[0] - p.arrays[1]
    if delta is None:
        loss = e * e
    else:  # la.huber's branch-free form
        a = abs_(xp, e)
        q = clip_max(xp, a, p.params[0])
        loss = q * (a - 0.5 * q)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)


@register(
    family="reinforcement",
    task="policy",
    input_spaces={"log_probs": "log_probability", "old_log_probs": "log_probability", "advantages": "real"},
    formula="-min(r A, clip(r, 1-eps, 1+eps) A), r = exp(log_pi - sg(log_pi_old)), A = sg(A)",
)
def ppo_clip(
    log_probs: Any,
    old_log_probs: Any,
    advantages: Any,
    /,
    *,
    clip: Any = 0.2,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""PPO clipped surrogate objective, as a loss (Schulman et al. 2017).

    .. math::
        \ell = -\min\bigl(r A,\; \operatorname{clip}(r, 1-\epsilon, 1+\epsilon)\, A\bigr),
        \qquad r = \exp\bigl(\log\pi - \operatorname{sg}(\log\pi_{\text{old}})\bigr)

    ``old_log_probs`` and ``advantages`` carry no gradient (stop-gradient). Where the clipped
    branch is the minimum (``r > 1+ε`` with ``A > 0``, ``r < 1-ε`` with ``A < 0``) the loss is
    the constant :math:`-(1\pm\epsilon)A` and its gradient is exactly 0; the ratio is then not
    even evaluated, so a huge log-ratio there gives a finite value and a zero gradient.

    Parameters
    ----------
    log_probs : array
        Log-probabilities of the taken actions under the current policy (floating).
    old_log_probs : array
        Log-probabilities under the behaviour (old) policy; broadcastable; no gradient.
    advantages : array
        Advantage estimates; broadcastable; no gradient.
    clip : float or 0-d array, default 0.2
        :math:`\epsilon > 0`.
    sample_weight, where, reduction, xp
        As for :func:`policy_gradient`.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape.

    Notes
    -----
    Kink convention: at the tie ``r = 1 ± ε`` the unclipped branch is taken (closed trust
    region), so the gradient w.r.t. ``log_probs`` is ``-A r`` there, identical on torch and JAX.
    Common implementations write ``-torch.min(r * A, torch.clamp(r, 1 - eps, 1 + eps) * A)``,
    which has the same value everywhere. With ``A = 0`` the loss and gradient are 0.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> lp = np.log(np.array([1.5, 1.5, 0.5, 1.0]))  # ratios r (old log-probs 0)
    >>> la.ppo_clip(lp, np.zeros(4), np.array([1.0, -1.0, -1.0, 2.0]), reduction="none").round(6).tolist()
    [-1.2, 1.5, 0.8, -2.0]
    """
    fn = "ppo_clip"
    check_in_range(fn, "clip", clip, low=0.0, low_open=True)
    p = setup(fn, "log_probs old_log_probs advantages sample_weight where clip", (log_probs, old_log_probs, advantages),
              sample_weight=sample_weight, where=where, reduction=reduction, xp=xp, params=(clip,))
    xp = p.xp
    lp, old, adv = p.arrays
    (eps,) = p.params
    adv = stop_gradient(xp, adv)
    d = lp - stop_gradient(xp, old)  # log r
    # The bounds in log space (no exp overflow for huge log-ratios): log(1 + eps), log(1 - eps).
    if isinstance(clip, (int, float)):
        hi_log = math.log(1.0 + clip)
        lo_log = math.log(1.0 - clip) if clip < 1 else -math.inf
    else:
        hi_log = xp.log(1.0 + eps)
        below = eps < 1
        lo_log = xp.where(below, xp.log(xp.where(below, 1.0 - eps, xp.ones_like(eps))), -math.inf * xp.ones_like(eps))
    pos = adv >= 0
    # Unclipped branch is the minimum (ties included): A >= 0 and r <= 1+eps, or A < 0 and r >= 1-eps.
    unclipped = xp.where(pos, d <= hi_log, d >= lo_log)
    if isinstance(clip, (int, float)):
        # Clipped entries lie strictly outside [lo_log, hi_log], so the clipped log-ratio is
        # the bound (exp gives 1 +- eps to an ulp) with zero gradient whatever the backend's
        # tie convention; exp never sees a huge value there. 2 `where`s instead of 4: masks
        # are the costly eager ops (torch CPU: ~10x an arithmetic op at 4096 elements).
        ratio = xp.exp(xp.where(unclipped, d, clip_range(xp, d, lo_log, hi_log)))
        loss = -adv * ratio
    else:
        # Double where: the ratio is only evaluated where it is used (exp(huge) * 0 would give NaN).
        ratio = xp.exp(xp.where(unclipped, d, xp.zeros_like(d)))
        bound = 1.0 + xp.where(pos, eps * xp.ones_like(adv), -eps * xp.ones_like(adv))
        loss = -adv * xp.where(unclipped, ratio, bound)
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)
