"""Independent float64 NumPy oracles of the ranking losses (``lossapi.losses.ranking``).

Written from the definitions, one list at a time, never calling lossapi: RankNet (Burges et
al., 2005) as the mean over a list's ordered pairs of the logistic loss, ListNet-style softmax
cross-entropy as optax's ``ranking_softmax_loss`` (relevance not normalized). The list axis is
``axis`` (default -1); the oracles return one value per list.

``where`` (for the reduce oracles) is either an entry mask (as many dimensions as the scores)
or a list mask (the per-list shape), as in lossapi.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["listnet", "listnet_terms", "ranknet", "ranknet_terms", "reduce_listnet", "reduce_ranknet"]


def _lists(scores: Any, relevance: Any, axis: int, valid: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    ax = axis % s.ndim
    r = np.broadcast_to(np.asarray(relevance).astype(np.float64), s.shape)
    v = np.ones(s.shape, dtype=bool) if valid is None else np.broadcast_to(np.asarray(valid, dtype=bool), s.shape)
    return np.moveaxis(s, ax, -1), np.moveaxis(r, ax, -1), np.moveaxis(v, ax, -1)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def ranknet_terms(scores: Any, relevance: Any, axis: int = -1, valid: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Per list: the mean over valid pairs ``r_i > r_j`` of ``log(1 + exp(-(s_i - s_j)))`` (0
    without pairs), and whether the list has a pair."""
    s, r, v = _lists(scores, relevance, axis, valid)
    shape = s.shape[:-1]
    loss, has = np.zeros(shape), np.zeros(shape, dtype=bool)
    for idx in np.ndindex(shape):
        si, ri, vi = s[idx], r[idx], v[idx]
        terms = [_softplus(-(si[i] - si[j]))
                 for i in range(si.size) for j in range(si.size) if vi[i] and vi[j] and ri[i] > ri[j]]
        if terms:
            loss[idx] = sum(terms) / len(terms)
            has[idx] = True
    return loss, has


def ranknet(scores: Any, relevance: Any, axis: int = -1) -> np.ndarray:
    """Per-list RankNet loss (``reduction="none"``)."""
    return ranknet_terms(scores, relevance, axis)[0]


def listnet_terms(scores: Any, relevance: Any, axis: int = -1, valid: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Per list: ``-sum_i r_i log softmax(s)_i`` over the valid items, and whether any item is valid."""
    s, r, v = _lists(scores, relevance, axis, valid)
    shape = s.shape[:-1]
    loss, has = np.zeros(shape), np.zeros(shape, dtype=bool)
    for idx in np.ndindex(shape):
        items = [(float(a), float(b)) for a, b, ok in zip(s[idx], r[idx], v[idx]) if ok]
        if not items:
            continue
        m = max(a for a, _ in items)
        lse = m + math.log(sum(math.exp(a - m) for a, _ in items))
        loss[idx] = -sum(b * (a - lse) for a, b in items)
        has[idx] = True
    return loss, has


def listnet(scores: Any, relevance: Any, axis: int = -1) -> np.ndarray:
    """Per-list softmax ranking loss (``reduction="none"``)."""
    return listnet_terms(scores, relevance, axis)[0]


def _reduce(terms: Any, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], reduction: str,
            sample_weight: np.ndarray | None, where: np.ndarray | None, weigh_by_has: bool) -> np.ndarray:
    s = np.asarray(inputs["scores"])
    axis = options.get("axis", -1)
    entry = where is not None and np.ndim(where) == s.ndim
    loss, has = terms(s, inputs["relevance"], axis, where if entry else None)
    w = np.ones(loss.shape)
    if sample_weight is not None:
        w = w * np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), loss.shape)
    if where is not None:
        keep = has if entry else np.broadcast_to(np.asarray(where, dtype=bool), loss.shape)
        w = np.where(keep, w, 0.0)
        loss = np.where(keep, loss, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(w * has) if weigh_by_has else np.sum(w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den


def reduce_ranknet(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], reduction: str,
                   sample_weight: np.ndarray | None, where: np.ndarray | None) -> np.ndarray:
    """Reduced RankNet: lists without a pair weigh 0 in ``"mean"``."""
    return _reduce(ranknet_terms, inputs, options, reduction, sample_weight, where, True)


def reduce_listnet(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], reduction: str,
                   sample_weight: np.ndarray | None, where: np.ndarray | None) -> np.ndarray:
    """Reduced softmax ranking loss; an entry mask drops the lists without a valid item (optax)."""
    return _reduce(listnet_terms, inputs, options, reduction, sample_weight, where, False)
