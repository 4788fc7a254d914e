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

from .._array import Array, Namespace, is_number
from .._loss import ELEMENTWISE, loss
from .._ops import abs_, clip_max, clip_range, stop_gradient
from .._options import Interval

__all__ = ["policy_gradient", "ppo_clip", "value_function"]


def _log_bounds(xp: Namespace, clip: Any) -> tuple[Any, Any]:
    """``(log(1 - clip), log(1 + clip))``: the clipping bounds in log space, so that a huge
    log-ratio is never exponentiated (``-inf`` below when ``clip >= 1``)."""
    if is_number(clip):
        return (math.log(1.0 - clip) if clip < 1 else -math.inf), math.log(1.0 + clip)
    below = clip < 1
    lo = xp.where(below, xp.log(xp.where(below, 1.0 - clip, xp.ones_like(clip))), -math.inf * xp.ones_like(clip))
    return lo, xp.log(1.0 + clip)


@loss(
    ELEMENTWISE,
    family="reinforcement",
    task="policy",
    inputs={"log_probs": "log_probability", "advantages": "real"},
    formula="-log_pi(a|s) * sg(A)",
    convex=True,
    smooth=True,
    value_rules={"log_probs": "unchecked"},
)
def policy_gradient(xp: Namespace, log_probs: Array, advantages: Array) -> Any:
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
    return -log_probs * stop_gradient(xp, advantages)


@loss(
    ELEMENTWISE,
    family="reinforcement",
    task="value",
    inputs={"values": "real", "returns": "real"},
    options={"delta": (None, Interval(0, None, closed="neither", optional=True))},
    formula="(v - R)^2, or huber_delta(v - R) when delta is set",
    convex=True,
    counterparts={"torch": "F.mse_loss(values, returns), or F.huber_loss(values, returns, delta=delta)"},
)
def value_function(xp: Namespace, values: Array, returns: Array, *, delta: Any) -> Any:
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
    e = values - returns
    if delta is None:
        return e * e
    a = abs_(xp, e)
    q = clip_max(xp, a, delta)  # la.huber's branch-free form
    return q * (a - 0.5 * q)


@loss(
    ELEMENTWISE,
    family="reinforcement",
    task="policy",
    inputs={"log_probs": "log_probability", "old_log_probs": "log_probability", "advantages": "real"},
    options={"clip": (0.2, Interval(0, None, closed="neither"))},
    formula="-min(r A, clip(r, 1-eps, 1+eps) A), r = exp(log_pi - sg(log_pi_old)), A = sg(A)",
    value_rules={"log_probs": "unchecked", "old_log_probs": "unchecked"},
)
def ppo_clip(xp: Namespace, log_probs: Array, old_log_probs: Array, advantages: Array, *, clip: Any) -> Any:
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
    adv = stop_gradient(xp, advantages)
    d = log_probs - stop_gradient(xp, old_log_probs)  # log r
    lo_log, hi_log = _log_bounds(xp, clip)
    pos = adv >= 0
    # Unclipped branch is the minimum (ties included): A >= 0 and r <= 1+eps, or A < 0 and r >= 1-eps.
    unclipped = xp.where(pos, d <= hi_log, d >= lo_log)
    if is_number(clip):
        # Clipped entries lie strictly outside [lo_log, hi_log]: the clipped log-ratio is the bound
        # (exp gives 1 +- eps to an ulp) with zero gradient whatever the backend's tie convention,
        # and exp never sees a huge value. 2 `where`s instead of 4 (masks are the costly eager ops).
        return -adv * xp.exp(xp.where(unclipped, d, clip_range(xp, d, lo_log, hi_log)))
    # Double where: the ratio is only evaluated where it is used (exp(huge) * 0 would give NaN).
    ratio = xp.exp(xp.where(unclipped, d, xp.zeros_like(d)))
    return -adv * xp.where(unclipped, ratio, 1.0 + xp.where(pos, clip * xp.ones_like(adv), -clip * xp.ones_like(adv)))
