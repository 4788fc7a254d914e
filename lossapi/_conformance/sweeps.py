"""The plot sweeps of the catalog losses: the 1-D axis along which ``lossapi.plotting`` draws a loss.

A :class:`Sweep` says how to build the loss's positional inputs from the sweep points ``x`` (the
error ``pred - target`` for regression, the logit or margin ``y·f`` for binary classification,
the probability of the true class, the angle between two embeddings, the shift of a box, ...),
over which range, and which lines to draw (e.g. target 1 and target 0). Each loss's sweep is
its conformance :class:`~lossapi._conformance.cases.Case`'s ``sweep`` (in its family module under
``lossapi/_conformance/families/``); this module holds the machinery they share: the
:class:`Sweep` and :class:`Line` records, the input builders and the templates of the common
axes (``REGRESSION``, ``LOGIT``, ``MARGIN``, ...).

A builder ``build(xp, x, **params)`` receives the ``(num,)`` float64 sweep array ``x`` of the
Array API namespace ``xp`` (NumPy, torch or JAX: ``lossapi.plotting`` differentiates through
it) and returns the loss's positional inputs, one sample per sweep point. Nothing here imports
lossapi or an array framework.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "BACKGROUND",
    "DETECTION",
    "DIVERGENCE",
    "LOGIT",
    "MARGIN",
    "MASK",
    "MULTICLASS",
    "PROBS",
    "REGRESSION",
    "SEGMENTATION",
    "SEGMENTATION_LOGITS",
    "Build",
    "Line",
    "Sweep",
    "angle_pair",
    "binary",
    "box_shift",
    "centre_angle",
    "cols",
    "ctc_frames",
    "error",
    "full",
    "gan_logits",
    "ints",
    "mask_probs",
    "multiclass",
    "ntxent_batch",
    "segmentation",
    "segmentation_classes",
    "true_class_prob",
    "two_class",
    "value_vs",
    "yolo_cell",
]

Build = Callable[..., tuple[Any, ...]]


@dataclass(frozen=True)
class Line:
    """One line of a sweep: its legend label, the build parameters and its own loss options."""

    label: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)  # passed to the build function
    options: Mapping[str, Any] = field(default_factory=dict)  # loss options of this line only


@dataclass(frozen=True)
class Sweep:
    """The 1-D sweep of one loss: range, input builder, axis labels and lines."""

    lo: float
    hi: float
    build: Build  # build(xp, x, **params) -> positional inputs of the loss
    xlabel: str
    description: str
    axis: str = ""
    lines: tuple[Line, ...] = (Line(),)
    fixed: Mapping[str, Any] = field(default_factory=dict)  # keyword arguments the sweep needs


# -- building inputs ------------------------------------------------------------------------------


def full(xp: Any, x: Any, value: float) -> Any:
    """An array like ``x`` filled with ``value``."""
    return xp.full(x.shape, value, dtype=x.dtype)


def cols(xp: Any, x: Any, *columns: Any) -> Any:
    """Stack columns along a new last axis; a column is an array like ``x`` or a number."""
    return xp.stack([c if not isinstance(c, (int, float)) else full(xp, x, c) for c in columns], axis=-1)


def ints(xp: Any, x: Any, *values: int) -> Any:
    """Integer array ``(num,)`` (one value) or ``(num, len(values))``."""
    a = np.tile(np.asarray(values, dtype=np.int64), (x.shape[0], 1))
    return xp.asarray(a[:, 0] if len(values) == 1 else a)


# Builders shared by several losses. ``x`` is the (num,) float64 sweep array of namespace ``xp``.


def error(xp: Any, x: Any, *, t: float = 0.0) -> tuple[Any, ...]:
    return x + t, full(xp, x, t)


def value_vs(xp: Any, x: Any, *, t: float) -> tuple[Any, ...]:
    return x, full(xp, x, t)


def binary(xp: Any, x: Any, *, t: float = 1.0) -> tuple[Any, ...]:
    return x, full(xp, x, t)


def multiclass(xp: Any, x: Any, *, onehot: bool = False) -> tuple[Any, ...]:
    target = cols(xp, x, 1.0, 0.0, 0.0) if onehot else ints(xp, x, 0)
    return cols(xp, x, x, 0.0, 0.0), target


def true_class_prob(xp: Any, x: Any) -> tuple[Any, ...]:
    rest = (1.0 - x) / 2.0
    return cols(xp, x, x, rest, rest), ints(xp, x, 0)


def two_class(xp: Any, x: Any, *, log: bool = False) -> tuple[Any, ...]:
    q = cols(xp, x, x, 1.0 - x)
    return (xp.log(q) if log else q), cols(xp, x, 0.3, 0.7)


def angle_pair(xp: Any, x: Any) -> tuple[Any, ...]:
    return cols(xp, x, xp.cos(x), xp.sin(x)), cols(xp, x, 1.0, 0.0)


MASK = (1.0, 1.0, 0.0, 0.0)  # the small mask of the segmentation sweeps: 2 of 4 pixels foreground
BACKGROUND = 0.2  # foreground probability predicted on the background pixels (a fixed false positive)


def mask_probs(xp: Any, x: Any) -> Any:
    # Sweeping the foreground pixels only: with 1 - p on the background, sum(p) would be constant and the
    # overlap losses linear in p, which hides their shape.
    return cols(xp, x, *[x if m else BACKGROUND for m in MASK])


def segmentation(xp: Any, x: Any) -> tuple[Any, ...]:
    return mask_probs(xp, x), cols(xp, x, *MASK)


def segmentation_classes(xp: Any, x: Any) -> tuple[Any, ...]:
    # two classes, (num, 4 pixels, 2): foreground probability p on the foreground, 0.2 on the background
    fg = mask_probs(xp, x)
    probs = xp.stack([1.0 - fg, fg], axis=-1)
    return xp.reshape(probs, (x.shape[0], 4, 2)), ints(xp, x, *[int(m) for m in MASK])


def segmentation_logits(xp: Any, x: Any) -> tuple[Any, ...]:
    # two classes, (num, 4 pixels, 2): logits (0, x) on the foreground, (0, logit 0.2) on the background
    bg = float(np.log(BACKGROUND / (1.0 - BACKGROUND)))
    fg = cols(xp, x, *[x if m else bg for m in MASK])
    logits = xp.stack([xp.zeros_like(fg), fg], axis=-1)
    return xp.reshape(logits, (x.shape[0], 4, 2)), ints(xp, x, *[int(m) for m in MASK])


def box_shift(xp: Any, x: Any) -> tuple[Any, ...]:
    return cols(xp, x, x, 0.0, x + 2.0, 2.0), cols(xp, x, 0.0, 0.0, 2.0, 2.0)


# Builders of one loss each, too long for a lambda in its case.


def ntxent_batch(xp: Any, x: Any) -> tuple[Any, ...]:
    # one batch of three embeddings per point: anchor (1, 0), positive at angle x, negative (-1, 0)
    emb = cols(xp, x, 1.0, 0.0, xp.cos(x), xp.sin(x), -1.0, 0.0)
    return xp.reshape(emb, (x.shape[0], 3, 2)), ints(xp, x, 0, 0, 1)


def centre_angle(xp: Any, x: Any) -> tuple[Any, ...]:
    # one row per point at angle x from its class centre (1, 0); the other centres (0, 1), (-1, 0)
    centres = xp.asarray(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))
    return cols(xp, x, xp.cos(x), xp.sin(x)), centres, ints(xp, x, 0)


def ctc_frames(xp: Any, x: Any) -> tuple[Any, ...]:
    # logits (blank 0, label x, other 0) at each of 2 frames; labels (1,)
    logp = cols(xp, x, 0.0, x, 0.0) - xp.reshape(xp.log(xp.exp(x) + 2.0), (-1, 1))
    log_probs = xp.stack([logp, logp], axis=1)
    return log_probs, ints(xp, x, 1, 1)[:, :1], ints(xp, x, 2), ints(xp, x, 1)


def yolo_cell(xp: Any, x: Any) -> tuple[Any, ...]:
    # one object cell: box (cx, cy, w, h), confidence, 2 class logits / one-hot classes
    pred = cols(xp, x, 0.5 + x, 0.5, 0.2, 0.2, 1.0, 2.0, 0.0)
    target = cols(xp, x, 0.5, 0.5, 0.2, 0.2, 1.0, 1.0, 0.0)
    return pred, target


def gan_logits(xp: Any, x: Any, *, real: bool) -> tuple[Any, ...]:
    return (x, full(xp, x, 0.0)) if real else (full(xp, x, 0.0), x)


# -- templates of the common axes (keyword arguments of Sweep) -------------------------------------

REGRESSION: dict[str, Any] = dict(
    lo=-3.0, hi=3.0, build=error, xlabel="error e = pred - target", description="pred = t + e, t = 0", axis="error"
)
LOGIT: dict[str, Any] = dict(
    lo=-6.0,
    hi=6.0,
    build=binary,
    xlabel="logit x",
    description="logit x, target 1 (and target 0)",
    axis="margin",
    lines=(Line("target 1", {"t": 1.0}), Line("target 0", {"t": 0.0})),
)
MARGIN: dict[str, Any] = dict(
    lo=-3.0,
    hi=3.0,
    build=binary,
    xlabel="margin y·f (target y = 1, score f)",
    description="score f, target 1",
    axis="margin",
)
MULTICLASS: dict[str, Any] = dict(
    lo=-6.0,
    hi=6.0,
    build=multiclass,
    xlabel="true-class logit (other 2 classes 0)",
    description="3 classes, logits (x, 0, 0), label 0",
    axis="true class logit",
)
PROBS: dict[str, Any] = dict(
    lo=0.01,
    hi=0.99,
    build=true_class_prob,
    xlabel="probability of the true class",
    description="3 classes, probabilities (p, (1 - p)/2, (1 - p)/2), label 0",
    axis="true class probability",
)
DIVERGENCE: dict[str, Any] = dict(
    lo=0.01,
    hi=0.99,
    build=two_class,
    xlabel="q = predicted probability of class 0",
    description="2-class distributions: prediction (q, 1 - q), target (0.3, 0.7)",
    axis="two-class q",
)
SEGMENTATION: dict[str, Any] = dict(
    lo=0.0,
    hi=1.0,
    build=segmentation,
    xlabel="predicted foreground probability p on the object",
    description=f"one 4-pixel mask (1, 1, 0, 0); prediction p on the 2 foreground pixels, {BACKGROUND} on the "
    "background",
    axis="mask probability",
    fixed={"axis": None},
)
SEGMENTATION_LOGITS: dict[str, Any] = dict(
    lo=-4.0,
    hi=4.0,
    build=segmentation_logits,
    xlabel="foreground logit x on the object (background logit 0)",
    description="one 4-pixel image, labels (1, 1, 0, 0), 2 classes; logits (0, x) on the foreground pixels, "
    f"softmax probability {BACKGROUND} of the foreground on the background",
    axis="mask logit",
)
DETECTION: dict[str, Any] = dict(
    lo=-3.0,
    hi=3.0,
    build=box_shift,
    xlabel="horizontal shift s of the predicted box",
    description="target box (0, 0, 2, 2), prediction (s, 0, s + 2, 2)",
    axis="box shift",
)
