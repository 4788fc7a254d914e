"""Independent float64 oracles of the focal losses (``lossapi.losses.focal``).

Written from the published formulas, never calling lossapi:

- ``sigmoid_focal`` is torchvision's ``sigmoid_focal_loss`` (and optax's): the binary
  cross-entropy with logits times ``(1 - p_t)^gamma`` times ``alpha_t``. ``1 - p_t`` is
  evaluated as ``t * sigmoid(-x) + (1 - t) * sigmoid(x)`` (the same quantity as torchvision's
  ``1 - (p t + (1 - p)(1 - t))``, without its cancellation), so saturated logits keep their
  tiny true values instead of rounding to 0.
- ``softmax_focal`` is ``-alpha_y (1 - p_y)^gamma log p_y``, one element at a time, with
  ``p_y`` written through the odds ``S = sum_{k != y} exp(z_k - z_y)``: ``p_y = 1 / (1 + S)``;
  class weights and ``ignore_index`` weigh the elements as in ``cross_entropy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .special import expit, logsumexp

__all__ = ["reduce_softmax_focal", "sigmoid_focal", "softmax_focal", "softmax_focal_terms"]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def sigmoid_focal(logits: Any, target: Any, alpha: Any = None, gamma: float = 2.0) -> np.ndarray:
    """torchvision's formula: ``alpha_t * BCE(x, t) * (1 - p_t) ** gamma``, per element."""
    x, t = np.broadcast_arrays(_f(logits), _f(target))
    ce = np.maximum(x, 0.0) - x * t + np.log1p(np.exp(-np.abs(x)))
    one_minus_pt = t * expit(-x) + (1.0 - t) * expit(x)
    loss = ce * one_minus_pt ** float(gamma)
    if alpha is not None:
        a = float(alpha)
        loss = (a * t + (1.0 - a) * (1.0 - t)) * loss
    return loss


def softmax_focal_terms(
    logits: Any, labels: Any, alpha: Any = None, gamma: float = 2.0, class_weight: Any = None,
    ignore_index: int | None = None, axis: int = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """(per-element loss times its class weight, per-element weight of the mean's denominator).

    Ignored elements have loss 0 and weight 0.
    """
    z = np.moveaxis(_f(logits), axis, -1)
    C = z.shape[-1]
    y = np.asarray(labels)
    cw = np.ones(C) if class_weight is None else _f(class_weight)
    a = np.ones(C) if alpha is None else np.broadcast_to(_f(alpha), (C,))
    loss, weight = np.zeros(y.shape), np.zeros(y.shape)
    for i in np.ndindex(y.shape):
        c = int(y[i])
        if ignore_index is not None and c == ignore_index:
            continue
        # p_y = 1 / (1 + S) with S = sum_{k != y} exp(z_k - z_y) (the odds against y), so
        # -log p_y = log(1 + S) and 1 - p_y = S / (1 + S); log S from SciPy's logsumexp.
        # (z_y - logsumexp(z) would lose every digit of a tiny loss to cancellation.)
        log_s = logsumexp(np.delete(z[i], c) - z[i][c]) if C > 1 else -np.inf
        nlp = np.logaddexp(0.0, log_s)
        one_minus_p = np.exp(log_s - nlp)
        loss[i] = cw[c] * a[c] * one_minus_p ** float(gamma) * nlp
        weight[i] = cw[c]
    return loss, weight


def softmax_focal(
    logits: Any, labels: Any, alpha: Any = None, gamma: float = 2.0, class_weight: Any = None,
    ignore_index: int | None = None, axis: int = -1,
) -> np.ndarray:
    """The per-element ("none") softmax focal loss, class weights included."""
    return softmax_focal_terms(logits, labels, alpha, gamma, class_weight, ignore_index, axis)[0]


def reduce_softmax_focal(
    inputs: dict, options: dict, reduction: str, sample_weight: Any = None, where: Any = None
) -> np.ndarray:
    """Reduction with the class weights in the denominator of ``"mean"`` (torch's rule)."""
    wl, w = softmax_focal_terms(inputs["logits"], inputs["labels"], **options)
    sw = np.ones_like(wl) if sample_weight is None else np.broadcast_to(_f(sample_weight), wl.shape)
    if where is not None:
        m = np.broadcast_to(np.asarray(where, dtype=bool), wl.shape)
        sw = np.where(m, sw, 0.0)
        wl = np.where(m, wl, 0.0)
    if reduction == "none":
        return wl * sw
    if reduction == "sum":
        return np.sum(wl * sw)
    den = np.sum(w * sw)
    return np.float64(0.0) if den == 0 else np.sum(wl * sw) / den
