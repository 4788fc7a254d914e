"""Shared builders of the property-based fuzz tests (``tests/test_fuzz.py``).

What the fuzz tests may assume of a loss is its conformance
:class:`~lossapi._conformance.cases.Case`'s ``fuzz`` (a :class:`~lossapi._conformance.cases.Fuzz`,
in the loss's family module under ``lossapi/_conformance/families/``): how to turn valid inputs
into a perfect prediction (the loss is 0 there, or a stated value) or why there is none, why the
per-element loss may be negative, how ``reduction="mean"`` follows from ``"none"`` when it is
not the plain weighted rule, why the batch axis is not exchangeable or the second input cannot
be broadcast. This module holds the builders several families share (one-hot labels, hardened
targets, class inputs, region predictions, per-label weights) and the option rule every loss
shares (:func:`perfect_options_ok`).

Everything here is NumPy float64 written from the loss definitions (the documented API), never lossapi.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .cases import class_axis_of

if TYPE_CHECKING:
    from .cases import Case

__all__ = [
    "BIG",
    "as_dtype_of",
    "bce_logits",
    "class_input",
    "harden",
    "label_weight",
    "onehot",
    "perfect_options_ok",
    "pred_is_target",
    "region",
    "sign",
]

Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]

#: A logit far enough out that softplus(-BIG) = 3.7e-44: zero within every dtype's tolerance.
BIG = 100.0


def perfect_options_ok(case: Case, options: Options) -> str | None:
    """Why the option set ``options`` of ``case`` has no perfect prediction (None when it has one)."""
    if options.get("label_smoothing"):
        return "label smoothing: the smoothed target is never one-hot"
    if case.fuzz is not None and case.fuzz.no_perfect_options is not None:
        return case.fuzz.no_perfect_options(options)
    return None


# -- labels and targets ---------------------------------------------------------------------------


def onehot(labels: np.ndarray, num_classes: int, axis: int) -> np.ndarray:
    """One-hot float64 of integer ``labels`` with the class axis inserted at ``axis`` (labels out
    of range, e.g. an ignore_index of -100 or 255, give an all-zero row)."""
    y = np.asarray(labels).astype(np.int64)
    oh = (y[..., None] == np.arange(num_classes)).astype(np.float64)
    return np.moveaxis(oh, -1, axis)


def harden(target: np.ndarray, axis: int) -> np.ndarray:
    """A class-probability target made one-hot at its argmax along ``axis``."""
    t = np.asarray(target, dtype=np.float64)
    idx = np.argmax(t, axis=axis)
    return onehot(idx, t.shape[axis], axis % t.ndim)


def sign(target: np.ndarray) -> np.ndarray:
    """A {-1, 1} sign target as +-1.0 (0 and False read as -1)."""
    return np.where(np.asarray(target).astype(np.float64) > 0, 1.0, -1.0)


def as_dtype_of(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``values`` cast to the dtype of ``like``."""
    like = np.asarray(like)
    return np.asarray(values).astype(like.dtype)


# -- perfect predictions --------------------------------------------------------------------------


def pred_is_target(first: str, second: str = "target") -> Callable[[Inputs, Options], Inputs]:
    """Input ``first`` set to input ``second`` (broadcast to ``first``'s shape)."""

    def build(x: Inputs, o: Options) -> Inputs:
        return {**x, first: np.broadcast_to(x[second], np.shape(x[first])).astype(np.float64)}

    return build


def bce_logits(x: Inputs, o: Options) -> Inputs:
    """Binary targets rounded to {0, 1}, logits ``+-BIG`` toward them."""
    t = np.round(np.asarray(x["target"], dtype=np.float64))
    return {**x, "logits": np.where(t > 0, BIG, -BIG), "target": t}


def class_input(first: str, scale: float, off: float = 0.0) -> Callable[[Inputs, Options], Inputs]:
    """``first`` = ``scale`` at the true class and ``off`` elsewhere; float class-probability
    targets are made one-hot first (with soft targets there is no zero-loss prediction)."""

    def build(x: Inputs, o: Options) -> Inputs:
        x = dict(x)
        z = np.asarray(x[first])
        ax = class_axis_of(o, z.ndim)
        second = next(k for k in x if k != first)
        t = np.asarray(x[second])
        if t.dtype.kind in "iub" and t.ndim == z.ndim - 1:
            oh = onehot(t, z.shape[ax], ax)
        else:
            oh = harden(t, ax)
            x[second] = oh
        x[first] = np.where(oh > 0, scale, off)
        return x

    return build


def region(first: str) -> Callable[[Inputs, Options], Inputs]:
    """Region / segmentation losses: ``first`` = the target made hard (labels one-hot along the
    class axis, 0/1 maps kept, soft class probabilities one-hot at their argmax, soft binary
    maps rounded): then every overlap count equals both marginals."""

    def build(x: Inputs, o: Options) -> Inputs:
        x = dict(x)
        p = np.asarray(x[first])
        second = next(k for k in x if k != first)
        t = np.asarray(x[second])
        if t.ndim == p.ndim - 1:
            x[first] = onehot(t, p.shape[class_axis_of(o, p.ndim)], class_axis_of(o, p.ndim))
            return _as_logits(x, first, o)
        tf = t.astype(np.float64)
        if t.dtype.kind in "iub" or np.all((tf == 0) | (tf == 1)):
            hard = tf
        elif o.get("axis", -1) is None:
            hard = np.round(tf)
        else:
            hard = harden(tf, class_axis_of(o, p.ndim))
        x[second] = as_dtype_of(hard, t)
        x[first] = hard
        return _as_logits(x, first, o)

    return build


def _as_logits(x: Inputs, first: str, o: Options) -> Inputs:
    """With an ``activation`` option the first input holds logits: a hard prediction becomes
    logits of +-60, whose sigmoid / softmax is 0 or 1 to float64 precision."""
    if o.get("activation") is not None:
        x[first] = (2.0 * np.asarray(x[first], dtype=np.float64) - 1.0) * 60.0
    return x


# -- reduction rules ------------------------------------------------------------------------------


def label_weight(y: np.ndarray, options: Options, ignore: bool = True) -> np.ndarray:
    """class_weight[y] * (y != ignore_index): the per-element weight of a label-indexed mean."""
    y = np.asarray(y).astype(np.int64)
    ii = options.get("ignore_index") if ignore else None
    keep = np.ones(y.shape, dtype=bool) if ii is None else (y != ii)
    cw = options.get("class_weight")
    safe = np.where(keep, y, 0)
    w = np.ones(y.shape) if cw is None else np.asarray(cw, dtype=np.float64)[safe]
    return np.where(keep, w, 0.0)
