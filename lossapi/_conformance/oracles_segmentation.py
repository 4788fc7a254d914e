"""Independent float64 NumPy oracles for the segmentation losses.

Each oracle is written from its paper's definition in the most direct form: the inputs are cut
into groups of pixels (one per sample, or the whole batch when ``per_sample=False``), integer
labels are expanded into an explicit one-hot matrix, and every statistic is a plain sum per
class; the Lovász losses follow Berman et al.'s reference algorithm (drop ignored pixels, sort
the errors with ``np.argsort``, Lovász gradient from cumulative sums); the kappa and MCC
oracles build the confusion matrix pixel by pixel. Each returns the ``reduction="none"`` loss:
``(N,)`` per sample, 0-d pooled. Nothing here imports or calls lossapi.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "cohen_kappa",
    "dice",
    "focal_tversky",
    "generalized_dice",
    "jaccard",
    "lovasz_hinge",
    "lovasz_softmax",
    "matthews",
    "soft_f1",
    "tversky",
]

Groups = list[tuple[np.ndarray, np.ndarray]]


def _groups(probs: Any, target: Any, axis: Any, per_sample: bool) -> Groups:
    """``[(P, T)]``: per group a ``(pixels, C)`` probability matrix and its one-hot / float target.

    Binary masks (``axis=None``) have one class, the positive one.
    """
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(target)
    B = p.shape[0]
    if axis is None:
        tf = np.broadcast_to(t.astype(np.float64), p.shape)
        P = p.reshape(B, -1, 1)
        T = tf.reshape(B, -1, 1)
    else:
        ax = axis % p.ndim
        pl = np.moveaxis(p, ax, -1)
        C = pl.shape[-1]
        if t.dtype.kind in "iu":
            onehot = np.zeros(pl.shape)
            for idx in np.ndindex(t.shape):
                k = int(t[idx])
                if 0 <= k < C:
                    hot = (*idx, k)  # named: mypy (3.11+ AST) takes t[(*a, b)] for the 3.11-only t[*a, b]
                    onehot[hot] = 1.0
            tl = onehot
        else:
            tl = np.broadcast_to(np.moveaxis(np.broadcast_to(t.astype(np.float64), p.shape), ax, -1), pl.shape)
        P = pl.reshape(B, -1, C)
        T = tl.reshape(B, -1, C)
    if per_sample:
        return [(P[b], T[b]) for b in range(B)]
    return [(P.reshape(-1, P.shape[-1]), T.reshape(-1, T.shape[-1]))]


def _out(values: list[float], per_sample: bool) -> np.ndarray:
    return np.array(values, dtype=np.float64) if per_sample else np.float64(values[0]) * np.ones(())


def _class_mean(losses: list[float], class_weight: Any) -> float:
    if class_weight is None:
        return float(np.mean(losses))
    w = np.asarray(class_weight, dtype=np.float64)
    return 0.0 if np.sum(w) == 0 else float(np.sum(w * np.array(losses)) / np.sum(w))


def _tversky_losses(P: np.ndarray, T: np.ndarray, alpha: float, beta: float, smooth: float) -> list[float]:
    out = []
    for c in range(P.shape[1]):
        p, t = P[:, c], T[:, c]
        tp = float(np.sum(p * t))
        fp = float(np.sum(p * (1.0 - t)))
        fn = float(np.sum((1.0 - p) * t))
        den = tp + alpha * fp + beta * fn + smooth
        out.append(0.0 if den == 0 else 1.0 - (tp + smooth) / den)
    return out


# -- overlap ---------------------------------------------------------------------------------------


def dice(probs: Any, target: Any, smooth: float = 1.0, class_weight: Any = None, per_sample: bool = True,
         axis: Any = -1) -> np.ndarray:
    """``1 - (2 sum p t + s) / (sum p + sum t + s)`` per class (0 for a 0/0 class), class mean."""
    vals = []
    for P, T in _groups(probs, target, axis, per_sample):
        losses = []
        for c in range(P.shape[1]):
            inter = float(np.sum(P[:, c] * T[:, c]))
            den = float(np.sum(P[:, c])) + float(np.sum(T[:, c])) + float(smooth)
            losses.append(0.0 if den == 0 else 1.0 - (2.0 * inter + float(smooth)) / den)
        vals.append(_class_mean(losses, class_weight))
    return _out(vals, per_sample)


def jaccard(probs: Any, target: Any, smooth: float = 1.0, class_weight: Any = None, per_sample: bool = True,
            axis: Any = -1) -> np.ndarray:
    """``1 - (|A and B| + s) / (|A or B| + s)`` with soft counts, class mean."""
    vals = []
    for P, T in _groups(probs, target, axis, per_sample):
        losses = []
        for c in range(P.shape[1]):
            inter = float(np.sum(P[:, c] * T[:, c]))
            union = float(np.sum(P[:, c] + T[:, c] - P[:, c] * T[:, c]))
            den = union + float(smooth)
            losses.append(0.0 if den == 0 else 1.0 - (inter + float(smooth)) / den)
        vals.append(_class_mean(losses, class_weight))
    return _out(vals, per_sample)


def tversky(probs: Any, target: Any, alpha: float = 0.5, beta: float = 0.5, smooth: float = 1.0,
            class_weight: Any = None, per_sample: bool = True, axis: Any = -1) -> np.ndarray:
    """``1 - (TP + s) / (TP + alpha FP + beta FN + s)`` (alpha on false positives), class mean."""
    vals = [_class_mean(_tversky_losses(P, T, float(alpha), float(beta), float(smooth)), class_weight)
            for P, T in _groups(probs, target, axis, per_sample)]
    return _out(vals, per_sample)


def focal_tversky(probs: Any, target: Any, alpha: float = 0.5, beta: float = 0.5, gamma: float = 0.75,
                  smooth: float = 1.0, class_weight: Any = None, per_sample: bool = True,
                  axis: Any = -1) -> np.ndarray:
    """Class mean of ``(1 - TI_c) ** gamma`` (Abraham & Khan 2019, per class)."""
    vals = []
    for P, T in _groups(probs, target, axis, per_sample):
        base = _tversky_losses(P, T, float(alpha), float(beta), float(smooth))
        vals.append(_class_mean([b ** float(gamma) if b > 0 else 0.0 for b in base], class_weight))
    return _out(vals, per_sample)


def generalized_dice(probs: Any, target: Any, smooth: float = 1e-5, per_sample: bool = True,
                     axis: Any = -1) -> np.ndarray:
    """Sudre et al. 2017 with ``w_c = 1 / (sum t_c)^2``; absent classes take the largest present
    weight (MONAI), all absent: weights 1."""
    vals = []
    s = float(smooth)
    for P, T in _groups(probs, target, axis, per_sample):
        C = P.shape[1]
        vol = [float(np.sum(T[:, c])) for c in range(C)]
        inv = [1.0 / v**2 if v > 0 else None for v in vol]
        finite = [x for x in inv if x is not None]
        fallback = max(finite) if finite else 1.0
        w = [fallback if x is None else x for x in inv]
        num = 2.0 * sum(w[c] * float(np.sum(P[:, c] * T[:, c])) for c in range(C)) + s
        den = sum(w[c] * (float(np.sum(P[:, c])) + vol[c]) for c in range(C)) + s
        vals.append(0.0 if den == 0 else 1.0 - num / den)
    return _out(vals, per_sample)


# -- Lovász --------------------------------------------------------------------------------------


def _lovasz_grad(gt_sorted: np.ndarray) -> np.ndarray:
    """Berman et al.'s ``lovasz_grad``: Jaccard loss increments along the sorted pixels."""
    gts = gt_sorted.sum()
    intersection = gts - np.cumsum(gt_sorted)
    union = gts + np.cumsum(1.0 - gt_sorted)
    jaccard = 1.0 - intersection / union
    if len(gt_sorted) > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def _label_groups(labels: Any, per_sample: bool) -> list[np.ndarray]:
    y = np.asarray(labels)
    B = y.shape[0]
    flat = y.reshape(B, -1)
    return [flat[b] for b in range(B)] if per_sample else [flat.reshape(-1)]


def lovasz_softmax(probs: Any, labels: Any, ignore_index: Any = None, classes: str = "present",
                   per_sample: bool = False, axis: int = -1) -> np.ndarray:
    """Berman et al.'s ``lovasz_softmax_flat`` on each group (ignored pixels removed first)."""
    p = np.asarray(probs, dtype=np.float64)
    pl = np.moveaxis(p, axis % p.ndim, -1)
    C = pl.shape[-1]
    B = pl.shape[0]
    prob_groups = [pl[b].reshape(-1, C) for b in range(B)] if per_sample else [pl.reshape(-1, C)]
    vals = []
    for P, y in zip(prob_groups, _label_groups(labels, per_sample)):
        if ignore_index is not None:
            keep = y != ignore_index
            P, y = P[keep], y[keep]
        if len(y) == 0:
            vals.append(0.0)
            continue
        losses = []
        for c in range(C):
            fg = (y == c).astype(np.float64)
            if classes == "present" and fg.sum() == 0:
                continue
            errors = np.abs(fg - P[:, c])
            order = np.argsort(-errors, kind="stable")
            losses.append(float(np.dot(errors[order], _lovasz_grad(fg[order]))))
        vals.append(float(np.mean(losses)) if losses else 0.0)
    return _out(vals, per_sample)


def lovasz_hinge(logits: Any, labels: Any, per_sample: bool = True, ignore_index: Any = None) -> np.ndarray:
    """Berman et al.'s ``lovasz_hinge_flat`` per image (or on the flattened batch)."""
    x = np.asarray(logits, dtype=np.float64)
    B = x.shape[0]
    y_all = np.broadcast_to(np.asarray(labels), x.shape)
    xg = [x[b].reshape(-1) for b in range(B)] if per_sample else [x.reshape(-1)]
    vals = []
    for s, y in zip(xg, _label_groups(y_all, per_sample)):
        if ignore_index is not None:
            keep = y != ignore_index
            s, y = s[keep], y[keep]
        if len(y) == 0:
            vals.append(0.0)
            continue
        yf = y.astype(np.float64)
        signs = 2.0 * yf - 1.0
        errors = 1.0 - s * signs
        order = np.argsort(-errors, kind="stable")
        vals.append(float(np.dot(np.maximum(errors[order], 0.0), _lovasz_grad(yf[order]))))
    return _out(vals, per_sample)


# -- metric surrogates -----------------------------------------------------------------------------


def soft_f1(probs: Any, target: Any, per_sample: bool = False, axis: Any = -1) -> np.ndarray:
    """``1 - mean_c 2TP / (2TP + FP + FN)`` over the classes with ``2TP + FP + FN > 0`` (0 if none)."""
    vals = []
    for P, T in _groups(probs, target, axis, per_sample):
        f1s = []
        for c in range(P.shape[1]):
            p, t = P[:, c], T[:, c]
            tp = float(np.sum(p * t))
            fp = float(np.sum(p * (1.0 - t)))
            fn = float(np.sum((1.0 - p) * t))
            den = 2.0 * tp + fp + fn
            if den != 0:
                f1s.append(2.0 * tp / den)
        vals.append(1.0 - float(np.mean(f1s)) if f1s else 0.0)
    return _out(vals, per_sample)


def _confusion(P: np.ndarray, T: np.ndarray, binary: bool) -> np.ndarray:
    """Soft confusion matrix ``O[i, j] = sum_n T[n, i] P[n, j]`` (binary: classes [1 - p, p])."""
    if binary:
        P = np.concatenate([1.0 - P, P], axis=1)
        T = np.concatenate([1.0 - T, T], axis=1)
    C = P.shape[1]
    O = np.zeros((C, C))  # noqa: E741
    for n in range(P.shape[0]):
        for i in range(C):
            for j in range(C):
                O[i, j] += T[n, i] * P[n, j]
    return O


def cohen_kappa(probs: Any, labels: Any, weights: Any = "quadratic", per_sample: bool = False,
                axis: Any = -1) -> np.ndarray:
    """``sum(W O) / sum(W E)`` with ``E = outer(rows, cols) / total`` (sklearn's kappa, as 1 - kappa);
    0 where the expected disagreement is 0."""
    vals = []
    for P, T in _groups(probs, labels, axis, per_sample):
        O = _confusion(P, T, axis is None)  # noqa: E741
        C = O.shape[0]
        W = np.empty((C, C))
        for i in range(C):
            for j in range(C):
                W[i, j] = (i - j) ** 2 if weights == "quadratic" else (abs(i - j) if weights == "linear" else float(i != j))
        total = O.sum()
        if total == 0:
            vals.append(0.0)
            continue
        E = np.outer(O.sum(axis=1), O.sum(axis=0)) / total
        den = float(np.sum(W * E))
        vals.append(0.0 if den == 0 else float(np.sum(W * O)) / den)
    return _out(vals, per_sample)


def matthews(probs: Any, target: Any, per_sample: bool = False, axis: Any = -1) -> np.ndarray:
    """``1 - MCC`` with Gorodkin's multiclass formula (sklearn's), MCC = 0 for a zero denominator."""
    vals = []
    for P, T in _groups(probs, target, axis, per_sample):
        O = _confusion(P, T, axis is None)  # noqa: E741
        t_sum, p_sum = O.sum(axis=1), O.sum(axis=0)
        n_correct, n = float(np.trace(O)), float(O.sum())
        cov_ytyp = n_correct * n - float(np.dot(t_sum, p_sum))
        cov_ypyp = n**2 - float(np.dot(p_sum, p_sum))
        cov_ytyt = n**2 - float(np.dot(t_sum, t_sum))
        mcc = 0.0 if cov_ypyp * cov_ytyt <= 0 else cov_ytyp / np.sqrt(cov_ytyt * cov_ypyp)
        vals.append(1.0 - mcc)
    return _out(vals, per_sample)
