"""Special functions for the oracles, in plain NumPy.

``lossapi check`` runs the oracles on a user's machine, where only lossapi's runtime
dependencies (NumPy, array-api-compat) are guaranteed: no SciPy. These follow
``scipy.special``'s definitions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["expit", "log_softmax", "logsumexp", "rel_entr"]


def expit(x: Any) -> np.ndarray:
    """The logistic sigmoid ``1 / (1 + exp(-x))``, without overflow for any float64."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(a)))`` with the maximum shifted out; all ``-inf`` gives ``-inf``."""
    a = np.asarray(a, dtype=np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else (np.squeeze(out, axis=axis) if axis is not None else out.reshape(()))


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """``z - logsumexp(z)`` along ``axis``."""
    z = np.asarray(z, dtype=np.float64)
    return z - logsumexp(z, axis=axis, keepdims=True)


def rel_entr(x: Any, y: Any) -> np.ndarray:
    """``x log(x / y)`` for ``x, y > 0``; 0 for ``x = 0, y >= 0``; ``inf`` otherwise."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    pos = (x > 0) & (y > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = x * np.log(np.where(pos, x, 1.0) / np.where(pos, y, 1.0))
    return np.where(pos, val, np.where((x == 0) & (y >= 0), 0.0, np.inf))
