"""Independent float64 NumPy oracles of the embedding losses (``lossapi.losses.embedding``).

Written from the definitions (torch's and optax's documented formulas, Hadsell et al. for the
contrastive loss, Chen et al. for NT-Xent), one vector or one pair at a time, never calling
lossapi. The vector losses take the feature axis ``axis`` and return the per-element
(``reduction="none"``) loss in float64; ``ntxent`` returns the per-anchor sum over its
positive pairs, and :func:`reduce_ntxent` the reduced value with padded rows excluded.

Signed targets: floating and integer values are used literally (torch), booleans are read
as True = 1, False = -1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "contrastive",
    "cosine_distance",
    "cosine_embedding",
    "hinge_embedding",
    "margin_ranking",
    "ntxent",
    "ntxent_terms",
    "reduce_ntxent",
    "triplet_margin",
]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _signs(t: Any) -> np.ndarray:
    t = np.asarray(t)
    return np.where(t, 1.0, -1.0) if t.dtype == bool else _f(t)


def _vectors(axis: int, *arrays: Any) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """The arrays broadcast together with the feature axis moved last, and the per-element shape."""
    full = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    ax = axis % len(full)
    out = [np.moveaxis(np.broadcast_to(_f(a), full), ax, -1) for a in arrays]
    return out, out[0].shape[:-1]


def _per_element(t: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(t), shape)


# -- cosine ---------------------------------------------------------------------------------------------


def cosine_distance(pred: Any, target: Any, eps: float = 1e-8, axis: int = -1) -> np.ndarray:
    """``1 - a.b / (max(|a|, eps) max(|b|, eps))``; 0/0 (``eps = 0``, a zero vector) gives cosine 0."""
    (a, b), shape = _vectors(axis, pred, target)
    out = np.empty(shape)
    for i in np.ndindex(shape):
        u, v = a[i], b[i]
        den = max(math.sqrt(float(np.dot(u, u))), float(eps)) * max(math.sqrt(float(np.dot(v, v))), float(eps))
        out[i] = 1.0 - (float(np.dot(u, v)) / den if den > 0 else 0.0)
    return out


def cosine_embedding(x1: Any, x2: Any, target: Any, margin: float = 0.0, eps: float = 1e-12,
                     axis: int = -1) -> np.ndarray:
    """torch's ATen formula: ``cos = a.b / sqrt((|a|^2 + eps)(|b|^2 + eps))``; ``1 - cos`` for
    ``t = 1``, ``max(0, cos - margin)`` for ``t = -1``, 0 for any other target."""
    (a, b), shape = _vectors(axis, x1, x2)
    t = _per_element(_signs(target), shape)
    out = np.empty(shape)
    for i in np.ndindex(shape):
        u, v = a[i], b[i]
        den2 = (float(np.dot(u, u)) + float(eps)) * (float(np.dot(v, v)) + float(eps))
        cos = float(np.dot(u, v)) / math.sqrt(den2) if den2 > 0 else 0.0
        if t[i] == 1:
            out[i] = 1.0 - cos
        elif t[i] == -1:
            out[i] = max(0.0, cos - float(margin))
        else:
            out[i] = 0.0
    return out


# -- distances ------------------------------------------------------------------------------------------


def contrastive(x1: Any, x2: Any, similar: Any, margin: float = 1.0, axis: int = -1) -> np.ndarray:
    """``s d^2 + (1 - s) max(0, margin - d)^2`` with the Euclidean distance ``d``."""
    (a, b), shape = _vectors(axis, x1, x2)
    s = _per_element(_f(similar), shape)
    out = np.empty(shape)
    for i in np.ndindex(shape):
        d2 = float(np.sum((a[i] - b[i]) ** 2))
        h = max(0.0, float(margin) - math.sqrt(d2))
        out[i] = s[i] * d2 + (1.0 - s[i]) * h * h
    return out


def _norm(v: np.ndarray, p: float, eps: float | None) -> float:
    """``(sum |v|^p + eps)^(1/p)`` (eps None: ``||v||_p``; ``p = inf``: ``max |v|``)."""
    a = np.abs(v)
    if p == math.inf:
        return float(np.max(a))
    s = float(np.sum(a ** float(p)))
    if eps is not None:
        s += float(eps)
    return s ** (1.0 / float(p))


def triplet_margin(anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2,
                   eps: float = 1e-6, swap: bool = False, eps_placement: str = "difference",
                   axis: int = -1) -> np.ndarray:
    """``max(0, margin + d(a, p) - d(a, n))``: ``d(x, y) = ||x - y + eps||_p`` (torch's
    ``pairwise_distance``) or ``(sum |x - y|^p + eps)^(1/p)`` (optax, ``eps_placement="root"``);
    ``swap``: ``d(a, n)`` replaced by ``min(d(a, n), d(p, n))``."""
    (a, ps, n), shape = _vectors(axis, anchor, positive, negative)

    def dist(x: np.ndarray, y: np.ndarray) -> float:
        if eps_placement == "root":
            return _norm(x - y, p, eps)
        return _norm(x - y + float(eps), p, None)

    out = np.empty(shape)
    for i in np.ndindex(shape):
        d_pos = dist(a[i], ps[i])
        d_neg = dist(a[i], n[i])
        if swap:
            d_neg = min(d_neg, dist(ps[i], n[i]))
        out[i] = max(0.0, float(margin) + d_pos - d_neg)
    return out


# -- elementwise pair losses ----------------------------------------------------------------------------


def margin_ranking(x1: Any, x2: Any, target: Any, margin: float = 0.0) -> np.ndarray:
    """``max(0, -t (x1 - x2) + margin)``."""
    a, b, t = np.broadcast_arrays(_f(x1), _f(x2), _signs(target))
    out = np.empty(a.shape)
    for i in np.ndindex(a.shape):
        out[i] = max(0.0, -t[i] * (a[i] - b[i]) + float(margin))
    return out


def hinge_embedding(distances: Any, target: Any, margin: float = 1.0) -> np.ndarray:
    """torch: ``x`` where ``t == 1``, ``max(0, margin - x)`` where ``t == -1``, both otherwise."""
    x, t = np.broadcast_arrays(_f(distances), _signs(target))
    out = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        v = 0.0
        if t[i] != 1:
            v += max(0.0, float(margin) - x[i])
        if t[i] != -1:
            v += x[i]
        out[i] = v
    return out


# -- NT-Xent -----------------------------------------------------------------------------------------


def ntxent_terms(embeddings: Any, labels: Any, temperature: float = 0.07,
                 kept: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Per anchor (shape ``embeddings.shape[:-1]``): the sum over its positive pairs of
    ``-log(e^{c_ij/T} / (e^{c_ij/T} + sum_{k in N(i)} e^{c_ik/T}))`` and the number of positive
    pairs. Rows with ``kept`` False are neither anchors nor candidates."""
    z = _f(embeddings)
    y = np.asarray(labels)
    shape = z.shape[:-1]
    keep = np.ones(shape, dtype=bool) if kept is None else np.broadcast_to(np.asarray(kept, dtype=bool), shape)
    loss, count = np.zeros(shape), np.zeros(shape)
    T = float(temperature)
    eps = float(np.finfo(np.float64).eps)
    for lead in np.ndindex(shape[:-1]):
        zb, yb, kb = z[lead], y[lead], keep[lead]
        B = zb.shape[0]
        # optax: each row divided by sqrt(max(|z|^2, eps)).
        u = [zb[i] / math.sqrt(max(float(np.dot(zb[i], zb[i])), eps)) for i in range(B)]
        c = [[float(np.dot(u[i], u[k])) / T for k in range(B)] for i in range(B)]
        for i in range(B):
            if not kb[i]:
                continue
            negs = [c[i][k] for k in range(B) if kb[k] and yb[k] != yb[i]]
            for j in range(B):
                if j == i or not kb[j] or yb[j] != yb[i]:
                    continue
                at = (*lead, i)  # named: mypy (3.11+ AST) takes t[(*a, b)] for the 3.11-only t[*a, b]
                count[at] += 1
                # log(e^{c_ij} + sum e^{c_ik}) - c_ij = log1p(sum e^{c_ik - c_ij}): no cancellation.
                loss[at] += math.log1p(sum(math.exp(n - c[i][j]) for n in negs))
    return loss, count


def ntxent(embeddings: Any, labels: Any, temperature: float = 0.07) -> np.ndarray:
    """Per-anchor sum of its positive pairs' NT-Xent terms (``reduction="none"``)."""
    return ntxent_terms(embeddings, labels, temperature)[0]


def reduce_ntxent(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], reduction: str,
                  sample_weight: np.ndarray | None, where: np.ndarray | None) -> np.ndarray | np.float64:
    """Reduced NT-Xent: padded rows (``where`` False) excluded as anchors and as candidates;
    ``"mean"`` = ``sum_i w_i L_i / sum_i w_i |P(i)|`` (optax's mean over positive pairs)."""
    loss, count = ntxent_terms(inputs["embeddings"], inputs["labels"], options.get("temperature", 0.07), where)
    w = np.ones(loss.shape)
    if sample_weight is not None:
        w = w * np.broadcast_to(_f(sample_weight), loss.shape)
    if where is not None:
        w = np.where(np.broadcast_to(np.asarray(where, dtype=bool), loss.shape), w, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(count * w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den
