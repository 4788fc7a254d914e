"""Independent float64 NumPy oracle for the sequence losses (CTC).

Written from Graves et al. (2006): the forward variables over the extended label sequence
(blanks around and between the labels), computed with explicit loops over the batch, the
frames and the states in log space (``np.logaddexp``). Nothing here imports or calls lossapi.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["ctc", "ctc_one", "reduce_ctc"]


def ctc_one(lp: np.ndarray, labels: Any, blank: int = 0) -> float:
    """-log p(labels | lp) for one sequence: ``lp`` (T, C) log-probabilities, ``labels`` a list."""
    lp = np.asarray(lp, dtype=np.float64)
    T = lp.shape[0]
    ext = [blank]
    for c in labels:
        ext += [int(c), blank]
    K = len(ext)
    alpha = np.full(K, -np.inf)
    if T == 0:
        return 0.0 if len(labels) == 0 else np.inf
    alpha[0] = lp[0, ext[0]]
    if K > 1:
        alpha[1] = lp[0, ext[1]]
    for t in range(1, T):
        new = np.full(K, -np.inf)
        for s in range(K):
            a = alpha[s]
            if s >= 1:
                a = np.logaddexp(a, alpha[s - 1])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                a = np.logaddexp(a, alpha[s - 2])
            new[s] = a + lp[t, ext[s]]
        alpha = new
    ll = alpha[K - 1] if K == 1 else np.logaddexp(alpha[K - 1], alpha[K - 2])
    return float(-ll)


def ctc(log_probs: Any, labels: Any, input_lengths: Any, label_lengths: Any, *, blank: int = 0,
        zero_infinity: bool = False, time_major: bool = False) -> np.ndarray:
    """Per-sequence CTC loss, shape = the batch shape."""
    lp = np.asarray(log_probs, dtype=np.float64)
    if time_major:
        lp = np.moveaxis(lp, 0, -2)
    batch = lp.shape[:-2]
    T = lp.shape[-2]
    lp = lp.reshape(-1, *lp.shape[-2:])
    lab = np.asarray(labels).reshape(-1, np.shape(labels)[-1])
    il = np.asarray(input_lengths).reshape(-1)
    ll = np.asarray(label_lengths).reshape(-1)
    out = np.empty(lp.shape[0])
    for b in range(lp.shape[0]):
        n = min(max(int(il[b]), 0), T)
        v = ctc_one(lp[b, :n], lab[b, : int(ll[b])], blank)
        out[b] = 0.0 if (zero_infinity and np.isinf(v)) else v
    return out.reshape(batch)


def reduce_ctc(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], reduction: str,
               sample_weight: Any, where: Any) -> np.ndarray:
    """torch's reduction: "mean" averages loss / max(label_length, 1) (weighted); "sum"/"none" plain."""
    opts = {k: v for k, v in options.items() if not k.startswith("_")}
    loss = ctc(inputs["log_probs"], inputs["labels"], inputs["input_lengths"], inputs["label_lengths"], **opts)
    w = np.ones_like(loss)
    if sample_weight is not None:
        w = w * np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), loss.shape)
    if where is not None:
        m = np.broadcast_to(np.asarray(where, dtype=bool), loss.shape)
        w = np.where(m, w, 0.0)
        loss = np.where(m, loss, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    L = np.maximum(np.asarray(inputs["label_lengths"]), 1).astype(np.float64)
    den = np.sum(w)
    return np.float64(0.0) if den == 0 else np.sum(w * loss / L) / den
