"""Independent float64 oracles of the divergences (``lossapi.losses.divergence``).

Written from the textbook definitions with NumPy/SciPy, never calling lossapi. Each returns
the per-distribution ("none") value: the distribution axis (``axis``) is summed out.
Zero probabilities follow the convention ``0 log 0 = 0`` (``scipy.special.rel_entr``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .special import rel_entr

__all__ = ["generalized_kl_divergence", "hellinger", "js_divergence", "kl_divergence"]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _pair(a: Any, b: Any, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs broadcast, the distribution axis moved last."""
    a, b = np.broadcast_arrays(_f(a), _f(b))
    return np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)


def _kl_terms(log_q: np.ndarray, t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, t * (np.log(np.where(t == 0, 1.0, t)) - log_q))


def kl_divergence(log_probs: Any, target: Any, log_target: bool = False, axis: int = -1) -> np.ndarray:
    """``sum_c t_c (log t_c - log q_c)`` with ``0 log 0 = 0``."""
    lq, t = _pair(log_probs, target, axis)
    if log_target:
        t = np.exp(t)
    return np.sum(_kl_terms(lq, t), axis=-1)


def generalized_kl_divergence(log_probs: Any, target: Any, axis: int = -1) -> np.ndarray:
    """optax's definition: ``sum_c t_c (log t_c - log q_c) + q_c - t_c``."""
    lq, t = _pair(log_probs, target, axis)
    return np.sum(_kl_terms(lq, t) + np.exp(lq) - t, axis=-1)


def js_divergence(probs: Any, target: Any, axis: int = -1) -> np.ndarray:
    """``KL(p || m) / 2 + KL(t || m) / 2`` with ``m = (p + t) / 2``, natural log.

    Where ``p`` and ``t`` are close (``|d| < 1/2``, ``d = (p - t) / (p + t)``), the two KL terms
    cancel to relative error ``eps / |d|``; there the oracle sums the power series
    ``(1 + d) log(1 + d) + (1 - d) log(1 - d) = sum_k d^(2k) / (k (2k - 1))`` instead.
    """
    p, t = _pair(probs, target, axis)
    m = (p + t) / 2
    direct = 0.5 * rel_entr(p, m) + 0.5 * rel_entr(t, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(m > 0, (p - t) / (2 * m), 1.0)
    k = np.arange(1, 61, dtype=np.float64)
    near = np.abs(d) < 0.5
    dn = np.where(near, d, 0.0)[..., None]
    series = 0.5 * m * np.sum(dn ** (2 * k) / (k * (2 * k - 1)), axis=-1)
    return np.sum(np.where(near & (p >= 0) & (t >= 0), series, direct), axis=-1)


def hellinger(probs: Any, target: Any, axis: int = -1) -> np.ndarray:
    """``||sqrt(p) - sqrt(t)||_2 / sqrt(2)``."""
    p, t = _pair(probs, target, axis)
    return np.sqrt(np.sum((np.sqrt(p) - np.sqrt(t)) ** 2, axis=-1)) / np.sqrt(2.0)
