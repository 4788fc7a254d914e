"""Conformance of the losses of a linear output layer (``lossapi.losses.linear_head``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracle, the case (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values) and the native counterpart (``COUNTERPARTS``).

Oracle
------
``linear_cross_entropy`` is written row by row: the row's logits ``z = W h + b`` (one matrix-vector
product in float64), a log-sum-exp shifted by the row's maximum, then torch's cross-entropy rules
(class weights, ``ignore_index``, label smoothing mixing ``eps / C`` over every class with the
class weights). Labels outside ``[0, C)`` that are not ``ignore_index`` give NaN. The chunking
options change nothing in the value: the oracle ignores ``chunk_size``.

Case
----
``C = 6`` classes, ``D = 4`` features: ``hidden`` ``(*shape, D)`` (the feature axis last),
``weight`` ``(C, D)`` and integer ``labels`` of the per-element shape. ``C`` differs from the
suites' per-element sizes on purpose: a ``where`` mask is expanded onto the inputs whose shape
it fits, and the weight is shared by every row. The option sets split the classes into chunks of
1, 2, 3 and 4 (uneven) classes; row blocks are split in ``tests/test_linear_head.py``, which
lowers the block size.

Counterparts
------------
``torch.nn.functional.linear_cross_entropy(hidden, weight, labels, linear_bias=bias,
weight=class_weight, ignore_index=..., label_smoothing=...)`` on the rows flattened to
``(N, D)``: lossapi's ``ignore_index=None`` becomes a value no label has (torch's default
would ignore -100). No per-sample weights.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz
from ..counterparts import Counterpart, _np
from ..fuzz import BIG, label_weight

__all__ = ["CASES", "COUNTERPARTS", "linear_cross_entropy", "linear_cross_entropy_terms"]

#: A case's drawn inputs (input name -> NumPy array).
Inputs = dict[str, np.ndarray]
#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]


# ==================================================================================================
# Oracle
# ==================================================================================================


def _terms(
    hidden: Any,
    weight: Any,
    labels: Any,
    bias: Any,
    class_weight: Any,
    ignore_index: int | None,
    label_smoothing: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(weighted per-element loss, per-element weight in the mean's denominator)."""
    h = np.asarray(hidden, dtype=np.float64)
    W = np.asarray(weight, dtype=np.float64)
    y = np.asarray(labels)
    C = W.shape[0]
    b = np.zeros(C) if bias is None else np.asarray(bias, dtype=np.float64)
    w = np.ones(C) if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    eps = float(label_smoothing)
    loss, den = np.zeros(y.shape), np.zeros(y.shape)
    for i in np.ndindex(y.shape):
        yi = int(y[i])
        if ignore_index is not None and yi == ignore_index:
            continue  # weight 0: whatever the row holds (NaN included) is not read
        if not 0 <= yi < C:
            loss[i] = den[i] = math.nan
            continue
        z = [math.fsum(float(W[c, k]) * float(h[i][k]) for k in range(W.shape[1])) + float(b[c]) for c in range(C)]
        top = max(z)
        lse = top + math.log(math.fsum(math.exp(zc - top) for zc in z))
        nll_y = w[yi] * (lse - z[yi])
        smooth = math.fsum(w[c] * (lse - z[c]) for c in range(C))
        loss[i] = (1 - eps) * nll_y + eps / C * smooth
        den[i] = w[yi]
    return loss, den


def linear_cross_entropy(
    hidden: Any,
    weight: Any,
    labels: Any,
    bias: Any = None,
    class_weight: Any = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    chunk_size: int | None = None,
) -> np.ndarray:
    """Per-element cross-entropy of the logits ``hidden @ weight.T + bias`` (float64)."""
    return _terms(hidden, weight, labels, bias, class_weight, ignore_index, label_smoothing)[0]


def linear_cross_entropy_terms(inputs: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(weighted per-element loss, per-element weight of ``"mean"``'s denominator)."""
    o = dict(options)
    return _terms(
        inputs["hidden"],
        inputs["weight"],
        inputs["labels"],
        o.get("bias"),
        o.get("class_weight"),
        o.get("ignore_index"),
        o.get("label_smoothing", 0.0),
    )


def _reduce(inputs: dict, options: dict, reduction: str, sample_weight: Any = None, where: Any = None) -> Any:
    """torch's mean: ``sum(sw * w[y] * l) / sum(sw * w[y])`` over the counted labels."""
    wl, w = linear_cross_entropy_terms(inputs, options)
    sw = np.ones_like(wl) if sample_weight is None else np.broadcast_to(np.asarray(sample_weight, float), wl.shape)
    if where is not None:
        m = np.broadcast_to(np.asarray(where, dtype=bool), wl.shape)
        sw = np.where(m, sw, 0.0)
        wl = np.where(m, wl, 0.0)
        w = np.where(m, w, 0.0)
    num = wl * sw
    if reduction == "none":
        return num
    if reduction == "sum":
        return np.sum(num)
    den = np.sum(w * sw)
    return np.float64(0.0) if den == 0 else np.sum(num) / den


# ==================================================================================================
# Case
# ==================================================================================================

C = 6
D = 4
_CW = np.array([0.5, 2.0, 1.0, 3.0, 0.25, 1.5])
_BIAS = np.array([0.3, -1.2, 0.0, 2.0, -0.5, 0.8])


def _arr(v: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.asarray(v, dtype=dtype)


def _inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    hidden = rng.normal(0.0, 1.0, (*shape, D))
    weight = rng.normal(0.0, 0.7, (C, D))
    labels = rng.integers(0, C, size=shape).astype(np.int64)
    ign = options.get("ignore_index")
    if ign is not None and labels.size:
        labels = np.where(rng.random(shape) < 0.3, ign, labels)
        labels.flat[0] = 0 if ign != 0 else 1  # at least one counted label
    return {"hidden": hidden, "weight": weight, "labels": labels}


def _perfect(x: Inputs, o: Options) -> Inputs:
    """An identity layer (``D = C``) and hidden states ``BIG`` at the label: logits ``BIG`` at the
    label and 0 elsewhere (plus a bias far smaller than ``BIG``)."""
    y = np.asarray(x["labels"]).astype(np.int64)
    onehot = (y[..., None] == np.arange(C)).astype(np.float64)  # ignored labels: a zero row
    return {**x, "hidden": BIG * onehot, "weight": np.eye(C)}


def _mean_weight(x: Inputs, o: Options) -> np.ndarray:
    return label_weight(x["labels"], o)


def _sweep_inputs(xp: Any, x: Any) -> tuple[Any, ...]:
    """One feature: hidden ``x``, weight ``(1, 0, 0)``: logits ``(x, 0, 0)``, label 0."""
    weight = xp.asarray(np.array([[1.0], [0.0], [0.0]]), dtype=x.dtype)
    return sweeps.cols(xp, x, x), weight, sweeps.ints(xp, x, 0)


# Edge points: rows of 2 hidden states of D = 4 features, C = 6 classes.
_W = _arr(
    [
        [1.0, 0.0, 0.0, 0.5],
        [0.0, 1.0, 0.0, -0.5],
        [0.0, 0.0, 1.0, 0.0],
        [-1.0, 0.5, 0.0, 0.0],
        [0.3, -0.2, 0.7, 1.0],
        [0.0, 0.0, -1.0, 0.25],
    ]
)
_H2 = _arr([[0.5, -1.0, 2.0, 0.0], [1.5, 0.25, -0.5, 1.0]])
_SAT = _arr([[1e4, 0.0, 0.0, 0.0], [0.0, 0.0, -1e4, 0.0]])  # logits of +-1e4 (and 0)

_CASE = Case(
    name="linear_cross_entropy",
    make_inputs=_inputs,
    oracle=linear_cross_entropy,
    reduce_oracle=_reduce,
    options=(
        {},
        {"bias": _BIAS},
        {"class_weight": _CW},
        {"ignore_index": -100},
        {"ignore_index": 2},
        {"label_smoothing": 0.1},
        {"chunk_size": 1},
        {"chunk_size": 2, "bias": _BIAS},
        {"chunk_size": 3, "class_weight": _CW, "label_smoothing": 0.2},
        {"chunk_size": 4, "bias": _BIAS, "class_weight": _CW, "ignore_index": -100, "label_smoothing": 0.2},
        {"chunk_size": 1, "class_weight": _CW, "ignore_index": 1, "label_smoothing": 0.15},
    ),
    differentiable=("hidden", "weight"),
    edges=(
        Edge("saturated logits +-1e4", {"hidden": _SAT, "weight": _W, "labels": _arr([1, 2], np.int64)}),
        Edge(
            "saturated, smoothing + weights + bias, chunks of 2",
            {"hidden": _SAT, "weight": _W, "labels": _arr([0, 5], np.int64)},
            {"label_smoothing": 0.1, "class_weight": _CW, "bias": _BIAS, "chunk_size": 2},
        ),
        Edge(
            "ignored row of NaN hidden states",
            {"hidden": _arr([[np.nan] * D, [1.5, 0.25, -0.5, 1.0]]), "weight": _W, "labels": _arr([-100, 3], np.int64)},
            {"ignore_index": -100, "chunk_size": 3},
        ),
        Edge(
            "every label ignored",
            {"hidden": _H2, "weight": _W, "labels": _arr([4, 4], np.int64)},
            {"ignore_index": 4},
        ),
        Edge("invalid label (NaN)", {"hidden": _H2, "weight": _W, "labels": _arr([1, 6], np.int64)}),
        Edge(
            "leading batch dims (2, 3, D)",
            {
                "hidden": np.linspace(-2.0, 2.0, 2 * 3 * D).reshape(2, 3, D),
                "weight": _W,
                "labels": _arr([[0, 1, 2], [3, 4, 5]], np.int64),
            },
            {"bias": _BIAS, "chunk_size": 4},
        ),
        Edge("one row", {"hidden": _H2[:1], "weight": _W, "labels": _arr([5], np.int64)}, {"chunk_size": 1}),
        Edge("one class", {"hidden": _H2, "weight": _W[:1], "labels": _arr([0, 0], np.int64)}),
    ),
    sweep=sweeps.Sweep(
        lo=-6.0,
        hi=6.0,
        build=_sweep_inputs,
        xlabel="hidden state h (weight rows 1, 0, 0: logits h, 0, 0)",
        description="1 feature, 3 classes, weight (1, 0, 0), logits (h, 0, 0), label 0",
        axis="true class logit",
    ),
    fuzz=Fuzz(
        perfect=_perfect,
        mean_rule="torch: sum(w*cw[y]*l) / sum(w*cw[y]) over non-ignored labels",
        mean_weight=_mean_weight,
        no_broadcast="the weight (C, D) is the layer's, shared by every row, not a per-element input",
    ),
    invalid_options={"chunk_size": [0, -3]},
    shared=("weight",),
)

CASES: dict[str, Case] = {_CASE.name: _CASE}


# ==================================================================================================
# Counterparts
# ==================================================================================================


def _torch_lce(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    h = np.asarray(x["hidden"], dtype=np.float64)
    y = np.asarray(x["labels"], dtype=np.int64)
    ign = o.get("ignore_index")
    if ign is None:  # a value no label has: torch's default would ignore -100
        ign = int(min(int(y.min(initial=0)), 0)) - 1
    t = torch.as_tensor

    def opt(k: str) -> Any:
        v = o.get(k)
        return None if v is None else t(np.asarray(v, dtype=np.float64))

    out = F.linear_cross_entropy(
        t(np.ascontiguousarray(h.reshape(-1, h.shape[-1]))),
        t(np.asarray(x["weight"], dtype=np.float64)),
        t(y.reshape(-1)),
        linear_bias=opt("bias"),
        weight=opt("class_weight"),
        ignore_index=ign,
        label_smoothing=float(o.get("label_smoothing", 0.0)),
        reduction=reduction,
    )
    out = _np(out)
    return out.reshape(y.shape) if reduction == "none" else out


def _torch_ok(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return not weighted


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "linear_cross_entropy": [Counterpart("torch", _torch_lce, _torch_ok)],
}
