"""Independent float64 oracles of the cross-entropy family (``lossapi.losses.classification``).

Written from the formulas with plain NumPy/SciPy loops over the elements, never calling
lossapi. Each oracle returns the per-element ("none") loss; the losses whose ``"mean"``
divides by the summed class weights of the counted targets (cross-entropy and NLL with
``class_weight``/``ignore_index``) also have a ``reduce_*`` oracle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .special import expit, log_softmax

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "brier_score",
    "categorical_cross_entropy",
    "cross_entropy",
    "generalized_cross_entropy",
    "nll",
    "poly1_cross_entropy",
    "reduce_weighted",
]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _last(x: np.ndarray, axis: int) -> np.ndarray:
    """The class axis moved last."""
    return np.moveaxis(_f(x), axis, -1)


def _clog(p: float) -> float:
    """log p clamped at -100 (torch's BCE convention); p = 0 gives -100."""
    return max(float(np.log(p)), -100.0) if p > 0 else -100.0


# -- binary ---------------------------------------------------------------------------------------

def binary_cross_entropy(probs: Any, target: Any, alpha: float | None = None, label_smoothing: float = 0.0) -> np.ndarray:
    p, t = np.broadcast_arrays(_f(probs), _f(target))
    t = t * (1 - label_smoothing) + label_smoothing / 2
    a_pos, a_neg = (1.0, 1.0) if alpha is None else (float(alpha), 1.0 - float(alpha))
    out = np.empty(p.shape)
    for i in np.ndindex(p.shape):
        out[i] = -(a_pos * t[i] * _clog(p[i]) + a_neg * (1 - t[i]) * _clog(1 - p[i]))
    return out


def binary_cross_entropy_with_logits(
    logits: Any, target: Any, pos_weight: Any = None, alpha: float | None = None, label_smoothing: float = 0.0
) -> np.ndarray:
    x, t = np.broadcast_arrays(_f(logits), _f(target))
    t = t * (1 - label_smoothing) + label_smoothing / 2
    pw = np.ones_like(x) if pos_weight is None else np.broadcast_to(_f(pos_weight), x.shape)
    a_pos, a_neg = (1.0, 1.0) if alpha is None else (float(alpha), 1.0 - float(alpha))
    # -log sigmoid(x) = log(1 + exp(-x)) = logaddexp(0, -x)
    return a_pos * pw * t * np.logaddexp(0.0, -x) + a_neg * (1 - t) * np.logaddexp(0.0, x)


# -- multiclass ------------------------------------------------------------------------------------

def _ce_terms(
    logits: Any, target: Any, class_weight: Any, ignore_index: int | None, label_smoothing: float, temperature: float,
    axis: int, log_probs_given: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(weighted per-element loss, per-element weight in the mean's denominator)."""
    z = _last(logits, axis)
    C = z.shape[-1]
    w = np.ones(C) if class_weight is None else _f(class_weight)
    tgt = np.asarray(target)
    shape = z.shape[:-1]
    loss, weight = np.zeros(shape), np.zeros(shape)
    eps = float(label_smoothing)
    if tgt.dtype.kind in "iu":
        for i in np.ndindex(shape):
            y = int(tgt[i])
            if ignore_index is not None and y == ignore_index:
                continue
            lp = z[i] if log_probs_given else log_softmax(z[i] / temperature)
            nll_y = -lp[y] * w[y]
            smooth = float(np.sum(-lp * w))
            loss[i] = (1 - eps) * nll_y + eps / C * smooth
            weight[i] = w[y]
        return loss, weight
    t = _last(tgt, axis)
    t = np.broadcast_to(t, z.shape)
    for i in np.ndindex(shape):
        lp = log_softmax(z[i] / temperature)
        ti = (1 - eps) * t[i] + eps / C
        loss[i] = -sum(w[c] * ti[c] * lp[c] for c in range(C) if ti[c] != 0)
        weight[i] = 1.0
    return loss, weight


def cross_entropy(
    logits: Any, target: Any, class_weight: Any = None, ignore_index: int | None = None, label_smoothing: float = 0.0,
    temperature: float = 1.0, axis: int = -1,
) -> np.ndarray:
    return _ce_terms(logits, target, class_weight, ignore_index, label_smoothing, temperature, axis)[0]


def nll(log_probs: Any, labels: Any, class_weight: Any = None, ignore_index: int | None = None, axis: int = -1) -> np.ndarray:
    return _ce_terms(log_probs, labels, class_weight, ignore_index, 0.0, 1.0, axis, log_probs_given=True)[0]


def reduce_weighted(terms: Any) -> Any:
    """A ``reduce_oracle`` for losses whose "mean" divides by per-element weights of their own:
    ``terms(inputs, options) -> (weighted loss, weight)``; ``sample_weight`` and ``where``
    multiply both."""

    def reduce(inputs: dict, options: dict, reduction: str, sample_weight: Any = None, where: Any = None) -> Any:
        wl, w = terms(inputs, options)
        sw = np.ones_like(wl) if sample_weight is None else np.broadcast_to(_f(sample_weight), wl.shape)
        if where is not None:
            m = np.broadcast_to(np.asarray(where, dtype=bool), wl.shape)
            sw = np.where(m, sw, 0.0)
            wl = np.where(m, wl, 0.0)
        num = wl * sw
        if reduction == "none":
            return num
        if reduction == "sum":
            return np.sum(num)
        den = np.sum(w * sw)
        return np.float64(0.0) if den == 0 else np.sum(num) / den

    return reduce


def ce_terms(inputs: dict, options: dict) -> tuple[np.ndarray, np.ndarray]:
    o = dict(options)
    return _ce_terms(inputs["logits"], inputs["target"], o.get("class_weight"), o.get("ignore_index"),
                     o.get("label_smoothing", 0.0), o.get("temperature", 1.0), o.get("axis", -1))


def nll_terms(inputs: dict, options: dict) -> tuple[np.ndarray, np.ndarray]:
    o = dict(options)
    return _ce_terms(inputs["log_probs"], inputs["labels"], o.get("class_weight"), o.get("ignore_index"), 0.0, 1.0,
                     o.get("axis", -1), log_probs_given=True)


def _targets(target: Any, shape: tuple[int, ...], axis: int, C: int) -> np.ndarray:
    """Probabilities with the class axis last (integer labels one-hot encoded)."""
    tgt = np.asarray(target)
    if tgt.dtype.kind in "iu":
        return np.eye(C)[tgt]
    return np.broadcast_to(_last(tgt, axis), (*shape, C))


def categorical_cross_entropy(probs: Any, target: Any, label_smoothing: float = 0.0, axis: int = -1) -> np.ndarray:
    p = _last(probs, axis)
    C = p.shape[-1]
    t = _targets(target, p.shape[:-1], axis, C)
    t = (1 - label_smoothing) * t + label_smoothing / C
    out = np.empty(p.shape[:-1])
    for i in np.ndindex(out.shape):
        out[i] = -sum(t[i][c] * _clog(p[i][c]) for c in range(C))
    return out


def poly1_cross_entropy(logits: Any, target: Any, epsilon: float = 2.0, axis: int = -1) -> np.ndarray:
    z = _last(logits, axis)
    C = z.shape[-1]
    t = _targets(target, z.shape[:-1], axis, C)
    out = np.empty(z.shape[:-1])
    for i in np.ndindex(out.shape):
        lp = log_softmax(z[i])
        ce = -sum(t[i][c] * lp[c] for c in range(C) if t[i][c] != 0)
        out[i] = ce + epsilon * float(np.sum(t[i] * (1 - np.exp(lp))))
    return out


def generalized_cross_entropy(probs: Any, labels: Any, q: float = 0.5, axis: int = -1) -> np.ndarray:
    p = _last(probs, axis)
    y = np.asarray(labels)
    out = np.empty(y.shape)
    for i in np.ndindex(y.shape):
        out[i] = (1 - p[i][int(y[i])] ** q) / q
    return out


def brier_score(probs: Any, target: Any, axis: int | None = -1) -> np.ndarray:
    if axis is None:
        p, t = np.broadcast_arrays(_f(probs), _f(target))
        return (p - t) ** 2
    p = _last(probs, axis)
    t = _targets(target, p.shape[:-1], axis, p.shape[-1])
    return np.sum((p - t) ** 2, axis=-1)


def sigmoid(x: Any) -> np.ndarray:
    return expit(_f(x))
