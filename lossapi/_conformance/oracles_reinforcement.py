"""Independent float64 NumPy oracles for the reinforcement-learning losses.

Written from the papers' formulas, element by element: REINFORCE (Williams 1992), the
squared-error / Huber (Huber 1964) value loss, and PPO's clipped surrogate (Schulman et al.
2017, eq. 7), negated to be minimised. Nothing here imports or calls lossapi.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["policy_gradient", "ppo_clip", "value_function"]


def _f64(*a: Any) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in a]))


def policy_gradient(log_probs: Any, advantages: Any) -> np.ndarray:
    lp, adv = _f64(log_probs, advantages)
    out = np.empty(lp.shape)
    for i in np.ndindex(lp.shape):
        out[i] = -lp[i] * adv[i]
    return out


def value_function(values: Any, returns: Any, delta: Any = None) -> np.ndarray:
    v, ret = _f64(values, returns)
    out = np.empty(v.shape)
    for i in np.ndindex(v.shape):
        e = float(v[i] - ret[i])
        if delta is None:
            out[i] = e * e
        else:
            d = float(delta)
            out[i] = 0.5 * e * e if abs(e) <= d else d * (abs(e) - 0.5 * d)
    return out


def ppo_clip(log_probs: Any, old_log_probs: Any, advantages: Any, clip: Any = 0.2) -> np.ndarray:
    lp, old, adv = _f64(log_probs, old_log_probs, advantages)
    eps = float(clip)
    out = np.empty(lp.shape)
    for i in np.ndindex(lp.shape):
        a = float(adv[i])
        d = float(lp[i] - old[i])
        # exp of a huge log-ratio overflows; min() still picks the finite clipped branch.
        r = math.exp(d) if d < 700 else math.inf
        clipped = min(max(r, 1.0 - eps), 1.0 + eps)
        unclipped = r * a if a != 0 else 0.0
        out[i] = -min(unclipped, clipped * a)
    return out
