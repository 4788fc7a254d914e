"""Independent float64 NumPy oracles for the margin-based classification losses.

Each oracle is written from the textbook / reference-library definition in its most direct
form (explicit loops over the elements and classes), and returns the per-element
(``reduction="none"``) loss in float64. The class axis is ``axis`` (default -1); integer labels
have the per-element shape. Nothing here imports or calls lossapi.

The sparsemax oracle works in exact rational arithmetic (``fractions.Fraction``): the
threshold and the loss are rational functions of the logits, so the oracle is exactly
rounded, even where the textbook formula cancels.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "categorical_hinge",
    "hinge",
    "multiclass_hinge",
    "multiclass_perceptron",
    "multilabel_margin",
    "multilabel_soft_margin",
    "perceptron",
    "reduce_multiclass_hinge",
    "soft_margin",
    "sparsemax",
    "squared_hinge",
]


def _f64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _sign_targets(scores: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """Scores and targets broadcast together; a target of 0 means the negative class (-1)."""
    s, t = np.broadcast_arrays(_f64(scores), _f64(target))
    t = np.where(t == 0, -1.0, t)
    return s, t


def _last(a: Any, axis: int) -> np.ndarray:
    """``a`` with its class axis moved last."""
    a = np.asarray(a)
    return np.moveaxis(a, axis % a.ndim, -1)


# -- binary ----------------------------------------------------------------------------------------


def hinge(scores: Any, target: Any, margin: float = 1.0) -> np.ndarray:
    """``max(0, margin - t s)`` with ``t`` in {-1, 1} (0 read as -1)."""
    s, t = _sign_targets(scores, target)
    out = np.empty(s.shape)
    for i in np.ndindex(s.shape):
        out[i] = max(0.0, float(margin) - t[i] * s[i])
    return out


def squared_hinge(scores: Any, target: Any, margin: float = 1.0) -> np.ndarray:
    """``max(0, margin - t s) ** 2``."""
    return hinge(scores, target, margin) ** 2


def soft_margin(scores: Any, target: Any) -> np.ndarray:
    """``log(1 + exp(-t s))`` (``logaddexp(0, -t s)`` so that it never overflows)."""
    s, t = _sign_targets(scores, target)
    return np.logaddexp(0.0, -t * s)


def perceptron(scores: Any, target: Any) -> np.ndarray:
    """``max(0, -t s)``."""
    s, t = _sign_targets(scores, target)
    out = np.empty(s.shape)
    for i in np.ndindex(s.shape):
        out[i] = max(0.0, -t[i] * s[i])
    return out


# -- multiclass ------------------------------------------------------------------------------------


def multiclass_hinge(
    scores: Any,
    labels: Any,
    margin: float = 1.0,
    variant: str = "crammer_singer",
    p: int = 1,
    class_weight: Any = None,
    axis: int = -1,
) -> np.ndarray:
    """Crammer-Singer ``(max_c (s_c + m [c != y]) - s_y) ** p`` (optax's form) or Weston-Watkins
    ``sum_{c != y} max(0, m - s_y + s_c) ** p / C`` (torch's multi_margin_loss), times the class
    weight of the label (the ``"none"`` output)."""
    s = _last(_f64(scores), axis)
    y = np.asarray(labels)
    C = s.shape[-1]
    m = float(margin)
    out = np.empty(y.shape)
    for i in np.ndindex(y.shape):
        row, lab = s[i], int(y[i])
        if variant == "crammer_singer":
            best = max(row[c] + (m if c != lab else 0.0) for c in range(C))
            loss = (best - row[lab]) ** p
        else:
            loss = sum(max(0.0, m - row[lab] + row[c]) ** p for c in range(C) if c != lab) / C
        w = 1.0 if class_weight is None else float(np.asarray(class_weight)[lab])
        out[i] = w * loss
    return out


def reduce_multiclass_hinge(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray | np.float64:
    """Reduced ``multiclass_hinge``: the class weight at the label is a weight source, so
    ``"mean"`` is ``sum(w_y sw l) / sum(w_y sw)`` over the kept elements (0 if that is 0)."""
    opts = dict(options)
    cw = opts.pop("class_weight", None)
    loss = multiclass_hinge(inputs["scores"], inputs["labels"], **opts)
    y = np.asarray(inputs["labels"])
    w = np.ones(loss.shape) if cw is None else np.asarray(cw, dtype=np.float64)[y]
    if sample_weight is not None:
        w = w * np.broadcast_to(_f64(sample_weight), loss.shape)
    if where is not None:
        keep = np.broadcast_to(np.asarray(where, dtype=bool), loss.shape)
        w = np.where(keep, w, 0.0)
        loss = np.where(keep, loss, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den


def categorical_hinge(scores: Any, target: Any, axis: int = -1) -> np.ndarray:
    """keras: ``max(0, 1 + max_c (1 - t_c) s_c - sum_c t_c s_c)``; integer targets are one-hot."""
    s = _last(_f64(scores), axis)
    tgt = np.asarray(target)
    C = s.shape[-1]
    if tgt.dtype.kind in "iu":
        t = np.zeros(s.shape)
        for i in np.ndindex(tgt.shape):
            hot = (*i, int(tgt[i]))  # named: mypy (3.11+ AST) takes t[(*a, b)] for the 3.11-only t[*a, b]
            t[hot] = 1.0
    else:
        t = np.broadcast_to(_last(_f64(tgt), axis), s.shape)
    out = np.empty(s.shape[:-1])
    for i in np.ndindex(out.shape):
        pos = sum(t[i][c] * s[i][c] for c in range(C))
        neg = max((1.0 - t[i][c]) * s[i][c] for c in range(C))
        out[i] = max(0.0, 1.0 + neg - pos)
    return out


def multiclass_perceptron(scores: Any, labels: Any, axis: int = -1) -> np.ndarray:
    """optax: ``max_c s_c - s_y``."""
    s = _last(_f64(scores), axis)
    y = np.asarray(labels)
    out = np.empty(y.shape)
    for i in np.ndindex(y.shape):
        out[i] = max(s[i]) - s[i][int(y[i])]
    return out


def sparsemax(logits: Any, labels: Any, axis: int = -1) -> np.ndarray:
    """Martins & Astudillo (2016), in exact arithmetic: ``p = sparsemax(z)`` from the sorted
    logits, then optax's ``sum_c p_c (z_c - z_y) + (1 - sum_c p_c^2) / 2``."""
    z = _last(_f64(logits), axis)
    y = np.asarray(labels)
    out = np.empty(y.shape)
    for i in np.ndindex(y.shape):
        row = [Fraction(float(v)) for v in z[i]]
        srt = sorted(row, reverse=True)
        k_star, csum, total = 0, Fraction(0), Fraction(0)
        for k, v in enumerate(srt, start=1):
            csum += v
            if 1 + k * v > csum:
                k_star, total = k, csum
        tau = (total - 1) / k_star
        p = [max(v - tau, Fraction(0)) for v in row]
        zy = row[int(y[i])]
        loss = sum(pc * (v - zy) for pc, v in zip(p, row)) + (1 - sum(pc * pc for pc in p)) / 2
        out[i] = float(loss)
    return out


# -- multilabel ------------------------------------------------------------------------------------


def multilabel_soft_margin(logits: Any, target: Any, class_weight: Any = None, axis: int = -1) -> np.ndarray:
    """torch: ``-mean_c w_c (t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c))``."""
    x = _last(_f64(logits), axis)
    t = np.broadcast_to(_last(_f64(target), axis), x.shape)
    C = x.shape[-1]
    w = np.ones(C) if class_weight is None else _f64(class_weight)
    out = np.empty(x.shape[:-1])
    for i in np.ndindex(out.shape):
        total = 0.0
        for c in range(C):
            log_sig = -np.logaddexp(0.0, -x[i][c])  # log sigmoid(x)
            log_sig_neg = -np.logaddexp(0.0, x[i][c])  # log sigmoid(-x)
            total += w[c] * (t[i][c] * log_sig + (1.0 - t[i][c]) * log_sig_neg)
        out[i] = -total / C
    return out


def multilabel_margin(scores: Any, labels: Any, axis: int = -1) -> np.ndarray:
    """torch: ``sum_{j valid} sum_{i not a target} max(0, 1 - (s_{y_j} - s_i)) / C``, the valid
    labels being those before the first negative entry."""
    s = _last(_f64(scores), axis)
    lab = _last(np.asarray(labels), axis)
    C = s.shape[-1]
    out = np.empty(s.shape[:-1])
    for i in np.ndindex(out.shape):
        targets = []
        for v in lab[i]:
            if int(v) < 0:
                break
            targets.append(int(v))
        is_target = set(targets)
        total = 0.0
        for yj in targets:
            for c in range(C):
                if c not in is_target:
                    total += max(0.0, 1.0 - (s[i][yj] - s[i][c]))
        out[i] = total / C
    return out
