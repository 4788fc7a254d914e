"""Conformance of the cross-entropy family (``lossapi.losses.classification``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 oracles of the cross-entropy family (``lossapi.losses.classification``).

Written from the formulas with plain NumPy/SciPy loops over the elements, never calling
lossapi. Each oracle returns the per-element ("none") loss; the losses whose ``"mean"``
divides by the summed class weights of the counted targets (cross-entropy and NLL with
``class_weight``/``ignore_index``) also have a ``reduce_*`` oracle.

Cases
-----
Conformance cases of the cross-entropy family (``lossapi.losses.classification``).

Class-axis losses draw ``C = 5`` classes inserted at ``options["axis"]``. The case-only option
``"_target"`` chooses what ``make_inputs`` draws for a loss that accepts both kinds of targets:
``"labels"`` (integer class indices), ``"probs"`` (class probabilities) or, for the binary
losses, ``"hard"`` ({0, 1} targets, which sklearn's metrics need).

Counterparts
------------
Native counterparts of the cross-entropy family (torch, optax, keras, sklearn).

Mappings (what the documented API promises, and what the porting guide lists):

- torch's class dimension is 1: lossapi's class axis is moved there (``axis=-1`` inputs of
  rank >= 3 become torch's K-dimensional ``(N, C, d1, ...)`` form). lossapi's
  ``ignore_index=None`` is torch's default -100 (no valid label equals it); ``temperature=T``
  is torch on ``logits / T``; BCE label smoothing ``s`` is torch on the target
  ``t (1 - s) + s / 2``.
- optax losses are per element; ``optax.smooth_labels(t, e)`` is lossapi's probability-target
  smoothing; integer labels with poly-1 are one-hot encoded for optax.
- keras takes the target first and averages over the batch (``"mean"`` only, unweighted);
  ``ignore_class`` is lossapi's ``ignore_index`` for the mean over counted targets.
- sklearn's ``log_loss`` takes hard labels and probabilities; its ``sample_weight`` weighs
  samples as lossapi's does.
- smp's ``SoftBCEWithLogitsLoss(smooth_factor=f)`` smooths the target to ``t (1 - 2f) + f``:
  lossapi's ``label_smoothing=s`` is ``smooth_factor=s / 2``; its ``pos_weight`` and reductions
  are torch's. Its default ``ignore_index=-100`` zeroes entries whose target is -100 but keeps
  them in the mean: the mapping passes ``ignore_index=None``.
- smp's ``SoftCrossEntropyLoss(smooth_factor=e, dim=axis)`` is torch's label smoothing
  ``(1 - e) NLL + e mean_c(-log p_c)`` on integer labels, its class dimension anywhere
  (``dim``); with an ``ignore_index`` its ``"mean"`` divides by every label, ignored ones
  included, so the mapping has none (``ignore_index=None``; smp's default -100). No class
  weights, no probability targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz, class_axis_of, with_class_axis
from ..counterparts import Counterpart, _jnp, _keras, _np, _reduce, _torch
from ..fuzz import BIG, bce_logits, class_input, label_weight, region
from ..special import expit, log_softmax

__all__ = [
    "CASES",
    "COUNTERPARTS",
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

#: A case's drawn inputs (input name -> NumPy array).
Inputs = dict[str, np.ndarray]
#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]


# ==================================================================================================
# Oracles
# ==================================================================================================


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _last(x: np.ndarray, axis: int) -> np.ndarray:
    """The class axis moved last."""
    return np.moveaxis(_f(x), axis, -1)


def _clog(p: float) -> float:
    """log p clamped at -100 (torch's BCE convention); p = 0 gives -100."""
    return max(float(np.log(p)), -100.0) if p > 0 else -100.0


# -- binary ---------------------------------------------------------------------------------------


def binary_cross_entropy(
    probs: Any, target: Any, alpha: float | None = None, label_smoothing: float = 0.0
) -> np.ndarray:
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
    logits: Any,
    target: Any,
    class_weight: Any,
    ignore_index: int | None,
    label_smoothing: float,
    temperature: float,
    axis: int,
    log_probs_given: bool = False,
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
    logits: Any,
    target: Any,
    class_weight: Any = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    temperature: float = 1.0,
    axis: int = -1,
) -> np.ndarray:
    return _ce_terms(logits, target, class_weight, ignore_index, label_smoothing, temperature, axis)[0]


def nll(
    log_probs: Any, labels: Any, class_weight: Any = None, ignore_index: int | None = None, axis: int = -1
) -> np.ndarray:
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
    return _ce_terms(
        inputs["logits"],
        inputs["target"],
        o.get("class_weight"),
        o.get("ignore_index"),
        o.get("label_smoothing", 0.0),
        o.get("temperature", 1.0),
        o.get("axis", -1),
    )


def nll_terms(inputs: dict, options: dict) -> tuple[np.ndarray, np.ndarray]:
    o = dict(options)
    return _ce_terms(
        inputs["log_probs"],
        inputs["labels"],
        o.get("class_weight"),
        o.get("ignore_index"),
        0.0,
        1.0,
        o.get("axis", -1),
        log_probs_given=True,
    )


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


# ==================================================================================================
# Cases
# ==================================================================================================

C = 5
_CW = np.array([0.5, 2.0, 1.0, 3.0, 0.25])


def _probs(
    rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any], floor: float = 0.0
) -> np.ndarray:
    """Random class probabilities (Dirichlet), class axis at ``options["axis"]``, each >= floor."""
    p = rng.dirichlet(np.ones(C), size=shape) if shape else rng.dirichlet(np.ones(C))
    p = (p + floor) / (1 + C * floor)
    return np.moveaxis(p, -1, class_axis_of(options, len(shape) + 1))


def _labels(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray:
    y = rng.integers(0, C, size=shape).astype(np.int64)
    ign = options.get("ignore_index")
    if ign is not None and y.size:
        y = np.where(rng.random(shape) < 0.3, ign, y)
        y.flat[0] = 0 if ign != 0 else 1  # at least one counted target
    return y


def _target(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any], default: str) -> np.ndarray:
    kind = options.get("_target", default)
    return _probs(rng, shape, options) if kind == "probs" else _labels(rng, shape, options)


def _logits(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray:
    return rng.normal(0.0, 1.5, with_class_axis(shape, C, options))


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _perfect_bce(x: Inputs, o: Options) -> Inputs:
    t = np.round(np.asarray(x["target"], dtype=np.float64))
    return {**x, "probs": t, "target": t}


def _perfect_nll(x: Inputs, o: Options) -> Inputs:
    return class_input("log_probs", 0.0, -BIG)(x, o)


def _ce_weight(x: Inputs, o: Options) -> np.ndarray:
    t = np.asarray(x["target"])
    if t.dtype.kind == "f":
        return np.ones(1)  # class-probability targets: the plain mean (torch)
    return label_weight(t, o)


# -- binary ---------------------------------------------------------------------------------------


def _binary_target(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray:
    if options.get("_target") == "hard":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    return rng.random(shape)


def _bce_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"probs": rng.uniform(0.02, 0.98, shape), "target": _binary_target(rng, shape, options)}


def _bcel_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    # |x| <= 6: torch's (1 - t) x - log_sigmoid(x) cancels for very negative x (its own error).
    x = np.clip(rng.normal(0.0, 2.0, shape), -6, 6)
    x = np.where(np.abs(x) < 1e-2, 0.5, x)
    return {"logits": x, "target": _binary_target(rng, shape, options)}


def _arr(v: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.asarray(v, dtype=dtype)


_BCE = Case(
    name="binary_cross_entropy",
    make_inputs=_bce_inputs,
    oracle=binary_cross_entropy,
    options=(
        {},
        {"alpha": 0.25},
        {"label_smoothing": 0.1},
        {"alpha": 0.7, "label_smoothing": 0.2},
        {"_target": "hard"},
    ),
    differentiable=("probs", "target"),
    edges=(
        # torch's convention where p (1 - p) < 1e-12: value clamped at -100, gradient (p - t) / 1e-12.
        Edge(
            "p in {0, 1} (clamped logs)",
            {"probs": _arr([0.0, 1.0, 0.0, 1.0, 0.5]), "target": _arr([1.0, 0.0, 0.0, 1.0, 0.5])},
        ),
        Edge("p = 1e-13, 1 - 1e-13", {"probs": _arr([1e-13, 1 - 1e-13]), "target": _arr([0.3, 0.6])}),
        Edge("p in {0, 1}, alpha", {"probs": _arr([0.0, 1.0]), "target": _arr([0.2, 0.9])}, {"alpha": 0.3}),
    ),
    sweep=sweeps.Sweep(
        lo=0.01,
        hi=0.99,
        build=sweeps.binary,
        xlabel="predicted probability p",
        description="probability p, target 1 (and target 0)",
        axis="true class probability",
        lines=sweeps.LOGIT["lines"],
    ),
    fuzz=Fuzz(perfect=_perfect_bce),
    invalid_options={"alpha": [-0.1, 1.5]},
)

_BCEL = Case(
    name="binary_cross_entropy_with_logits",
    make_inputs=_bcel_inputs,
    oracle=binary_cross_entropy_with_logits,
    options=(
        {},
        {"pos_weight": 2.5},
        {"alpha": 0.25},
        {"label_smoothing": 0.1},
        {"pos_weight": np.array(0.5), "alpha": 0.6, "label_smoothing": 0.05},
        {"_target": "hard"},
    ),
    differentiable=("logits", "target"),
    edges=(
        Edge("x = 0", {"logits": _arr([0.0, 0.0, 0.0]), "target": _arr([0.0, 1.0, 0.3])}),
        Edge("saturated logits +-1e4", {"logits": _arr([1e4, -1e4, 1e4, -1e4]), "target": _arr([1.0, 0.0, 0.0, 1.0])}),
        Edge(
            "pos_weight per class",
            {"logits": _arr([[1.0, -2.0, 0.0], [3.0, 0.5, -1.0]]), "target": _arr([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])},
            {"pos_weight": _arr([1.0, 3.0, 0.5])},
        ),
        Edge("saturated, alpha", {"logits": _arr([1e4, -1e4]), "target": _arr([0.0, 1.0])}, {"alpha": 0.75}),
    ),
    sweep=sweeps.Sweep(**sweeps.LOGIT),
    fuzz=Fuzz(perfect=bce_logits),
    invalid_options={"alpha": [-0.1, 1.5]},
)

# -- multiclass ------------------------------------------------------------------------------------


def _ce_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"logits": _logits(rng, shape, options), "target": _target(rng, shape, options, "labels")}


_L2 = _arr([[2.0, 0.0, -1.0, 0.5, 1.0], [0.0, 1.0, 0.0, -3.0, 2.0]])

_CE = Case(
    name="cross_entropy",
    make_inputs=_ce_inputs,
    oracle=cross_entropy,
    reduce_oracle=reduce_weighted(ce_terms),
    options=(
        {},
        {"axis": 1},
        {"class_weight": _CW},
        {"ignore_index": -100},
        {"ignore_index": 2},
        {"label_smoothing": 0.1},
        {"temperature": 2.0},
        {"class_weight": _CW, "ignore_index": -100, "label_smoothing": 0.2},
        {"class_weight": _CW, "ignore_index": 1, "label_smoothing": 0.15, "temperature": 1.5, "axis": 1},
        {"_target": "probs"},
        {"_target": "probs", "label_smoothing": 0.1, "class_weight": _CW},
        {"_target": "probs", "temperature": 0.5, "axis": 1},
    ),
    differentiable=("logits",),
    edges=(
        Edge(
            "saturated logits +-1e4",
            {
                "logits": _arr([[1e4, -1e4, 0.0, 0.0, 0.0], [-1e4, 1e4, 1e4, 0.0, 0.0]]),
                "target": _arr([1, 0], np.int64),
            },
        ),
        Edge(
            "saturated, smoothing + weights",
            {"logits": _arr([[1e4, -1e4, 0.0, 0.0, 0.0], [-1e4, 1e4, 1e4, 0, 0]]), "target": _arr([1, 2], np.int64)},
            {"label_smoothing": 0.1, "class_weight": _CW},
        ),
        Edge("every target ignored", {"logits": _L2, "target": _arr([-100, -100], np.int64)}, {"ignore_index": -100}),
        Edge(
            "zero class weights",
            {"logits": _L2, "target": _arr([0, 2], np.int64)},
            {"class_weight": _arr([0.0, 1.0, 0.0, 1.0, 1.0])},
        ),
        Edge("one-hot probabilities", {"logits": _L2, "target": _arr([[0, 0, 1.0, 0, 0], [1.0, 0, 0, 0, 0]])}),
    ),
    sweep=sweeps.Sweep(**sweeps.MULTICLASS),
    fuzz=Fuzz(
        perfect=class_input("logits", BIG),
        mean_rule="torch: sum(w*cw[y]*l) / sum(w*cw[y]) over non-ignored labels; probability targets: plain",
        mean_weight=_ce_weight,
    ),
)


def _nll_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    z = _logits(rng, shape, options)
    ax = class_axis_of(options, z.ndim)
    lp = z - np.log(np.sum(np.exp(z), axis=ax, keepdims=True))
    return {"log_probs": lp, "labels": _labels(rng, shape, options)}


_NLL = Case(
    name="nll",
    make_inputs=_nll_inputs,
    oracle=nll,
    reduce_oracle=reduce_weighted(nll_terms),
    options=({}, {"class_weight": _CW}, {"ignore_index": -1}, {"axis": 1, "class_weight": _CW, "ignore_index": 0}),
    differentiable=("log_probs",),
    edges=(
        Edge(
            "every target ignored",
            {"log_probs": np.log(_arr([[0.5, 0.5, 0, 0, 0]]) + 1e-300), "labels": _arr([-1], np.int64)},
            {"ignore_index": -1},
        ),
        Edge(
            "log-probability -1e4", {"log_probs": _arr([[-1e4, 0.0, -1e4, -1e4, -1e4]]), "labels": _arr([0], np.int64)}
        ),
    ),
    sweep=sweeps.Sweep(
        lo=-6.0,
        hi=-0.01,
        xlabel="log-probability of the true class",
        axis="true class log-probability",
        description="3 classes, log-probabilities (x, log((1 - e^x)/2) twice), label 0",
        build=lambda xp, x: (xp.log(sweeps.true_class_prob(xp, xp.exp(x))[0]), sweeps.ints(xp, x, 0)),
    ),
    fuzz=Fuzz(
        perfect=_perfect_nll,
        mean_rule="torch: sum(w*cw[y]*l) / sum(w*cw[y]) over non-ignored labels",
        mean_weight=lambda x, o: label_weight(x["labels"], o),
    ),
)


def _cce_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"probs": _probs(rng, shape, options, floor=0.01), "target": _target(rng, shape, options, "probs")}


_CCE = Case(
    name="categorical_cross_entropy",
    make_inputs=_cce_inputs,
    oracle=categorical_cross_entropy,
    options=(
        {},
        {"label_smoothing": 0.1},
        {"axis": 1},
        {"_target": "labels"},
        {"_target": "labels", "label_smoothing": 0.2},
    ),
    differentiable=("probs",),
    edges=(
        Edge(
            "zero probabilities",
            {
                "probs": _arr([[0.0, 0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]),
                "target": _arr([[0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0]]),
            },
        ),
        Edge(
            "zero probability, labels",
            {"probs": _arr([[0.0, 0.5, 0.5, 0.0, 0.0]]), "target": _arr([0], np.int64)},
            {"label_smoothing": 0.1},
        ),
    ),
    sweep=sweeps.Sweep(**sweeps.PROBS),
    fuzz=Fuzz(perfect=class_input("probs", 1.0)),
)


def _poly_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"logits": _logits(rng, shape, options), "target": _target(rng, shape, options, "labels")}


_POLY = Case(
    name="poly1_cross_entropy",
    make_inputs=_poly_inputs,
    oracle=poly1_cross_entropy,
    options=({}, {"epsilon": -0.5}, {"epsilon": 1.0, "_target": "probs"}, {"axis": 1}),
    differentiable=("logits",),
    edges=(
        Edge(
            "saturated logits",
            {
                "logits": _arr([[1e4, -1e4, 0.0, 0.0, 0.0], [-1e4, 1e4, 0.0, 0.0, 0.0]]),
                "target": _arr([0, 0], np.int64),
            },
        ),
    ),
    sweep=sweeps.Sweep(**sweeps.MULTICLASS),
    fuzz=Fuzz(perfect=class_input("logits", BIG)),
    invalid_options={"epsilon": []},  # any finite value, as optax
)


def _gce_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"probs": _probs(rng, shape, options, floor=0.01), "labels": _labels(rng, shape, options)}


_GCE = Case(
    name="generalized_cross_entropy",
    make_inputs=_gce_inputs,
    oracle=generalized_cross_entropy,
    options=({}, {"q": 0.2}, {"q": 1.0}, {"axis": 1, "q": 0.7}),
    differentiable=("probs",),
    edges=(
        Edge(
            "p_y = 0 and p_y = 1",
            {"probs": _arr([[0.0, 0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]), "labels": _arr([0, 0], np.int64)},
        ),
    ),
    sweep=sweeps.Sweep(**sweeps.PROBS),
    fuzz=Fuzz(perfect=class_input("probs", 1.0)),
    invalid_options={"q": [0.0, -0.2, 1.5]},
)


def _brier_inputs(
    rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    if "axis" in options and options["axis"] is None:
        return {"probs": rng.uniform(0.0, 1.0, shape), "target": rng.integers(0, 2, shape).astype(np.float64)}
    return {"probs": _probs(rng, shape, options), "target": _target(rng, shape, options, "probs")}


_BRIER = Case(
    name="brier_score",
    make_inputs=_brier_inputs,
    oracle=brier_score,
    options=({}, {"axis": None}, {"_target": "labels"}, {"axis": 1, "_target": "labels"}),
    differentiable=("probs",),
    edges=(
        Edge(
            "perfect and worst",
            {"probs": _arr([[1.0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0]]), "target": _arr([0, 0], np.int64)},
        ),
    ),
    sweep=sweeps.Sweep(**sweeps.PROBS),
    fuzz=Fuzz(perfect=region("probs")),
)

CASES: dict[str, Case] = {c.name: c for c in (_BCE, _BCEL, _CE, _NLL, _CCE, _POLY, _GCE, _BRIER)}


# ==================================================================================================
# Counterparts
# ==================================================================================================

_KERAS_RTOL = 1e-6


def _is_int(a: Any) -> bool:
    return np.asarray(a).dtype.kind in "iu"


def _moved(a: np.ndarray, axis: int, to: int) -> np.ndarray:
    return np.moveaxis(np.asarray(a), axis, to)


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _smooth_binary(t: np.ndarray, o: Mapping[str, Any]) -> np.ndarray:
    s = float(o.get("label_smoothing", 0.0))
    return np.asarray(t, dtype=np.float64) * (1 - s) + s / 2


def _pred(
    options: Mapping[str, Any],
    reduction: str,
    weighted: bool,
    *,
    none: tuple[str, ...] = (),
    mean_only: bool = False,
    allow_weights: bool = False,
    targets: tuple[str, ...] | None = None,
    default: str = "labels",
) -> bool:
    """Shared predicate: options in ``none`` must be unset (None or 0 / 1 defaults)."""
    defaults = {
        "alpha": None,
        "pos_weight": None,
        "class_weight": None,
        "ignore_index": None,
        "label_smoothing": 0.0,
        "temperature": 1.0,
    }
    if any(_set(options.get(k), defaults.get(k)) for k in none):
        return False
    if weighted and not allow_weights:
        return False
    if mean_only and reduction != "mean":
        return False
    return targets is None or options.get("_target", default) in targets


def _set(v: Any, default: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, np.ndarray):
        return True
    return v != default


def _p(**kw: Any):
    return lambda o, r, w: _pred(o, r, w, **kw)


# -- binary ---------------------------------------------------------------------------------------


def _torch_bce(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    import torch.nn.functional as F

    p, t = _torch(x["probs"], _smooth_binary(x["target"], o))
    return _np(F.binary_cross_entropy(p, t, reduction=reduction))


def _torch_bcel(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    import torch.nn.functional as F

    z, t = _torch(x["logits"], _smooth_binary(x["target"], o))
    pw = o.get("pos_weight")
    pw = None if pw is None else _torch(np.asarray(pw, dtype=np.float64))[0]
    return _np(F.binary_cross_entropy_with_logits(z, t, reduction=reduction, pos_weight=pw))


def _smp_bcel(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    from ..counterparts import smp_losses

    z, t = _torch(x["logits"], x["target"])
    pw = o.get("pos_weight")
    pw = None if pw is None else _torch(np.asarray(pw, dtype=np.float64))[0]
    s = float(o.get("label_smoothing", 0.0))
    loss = smp_losses().SoftBCEWithLogitsLoss(
        ignore_index=None, reduction=reduction, smooth_factor=s / 2, pos_weight=pw
    )
    return _np(loss(z, t))


def _optax_bcel(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    jnp = _jnp()
    import optax

    return _reduce(
        optax.losses.sigmoid_binary_cross_entropy(
            jnp.asarray(x["logits"]), jnp.asarray(_smooth_binary(x["target"], o))
        ),
        reduction,
    )


def _keras_bce(from_logits: bool):
    def fn(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
        keras = _keras()
        loss = keras.losses.BinaryCrossentropy(
            from_logits=from_logits, label_smoothing=float(o.get("label_smoothing", 0.0)), dtype="float64"
        )
        pred = x["logits"] if from_logits else x["probs"]
        return _np(loss(np.asarray(x["target"], dtype=np.float64), pred))

    return fn


def _sk_log_loss_binary(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    from sklearn.metrics import log_loss

    return _np(log_loss(x["target"].astype(int), x["probs"], sample_weight=sw, labels=[0, 1]))


# -- multiclass -------------------------------------------------------------------------------------


def _torch_layout(a: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """The class axis of an input of rank ``ndim`` moved to torch's dimension 1 (0 when 1-D)."""
    return _moved(a, axis % ndim, 1 if ndim > 1 else 0)


def _torch_ce(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    z = np.asarray(x["logits"], dtype=np.float64) / float(o.get("temperature", 1.0))
    axis = o.get("axis", -1)
    zt = torch.as_tensor(np.ascontiguousarray(_torch_layout(z, axis, z.ndim)))
    t = x["target"]
    if _is_int(t):
        tt = torch.as_tensor(np.asarray(t, dtype=np.int64))
    else:
        tt = torch.as_tensor(np.ascontiguousarray(_torch_layout(np.asarray(t, dtype=np.float64), axis, z.ndim)))
    cw = o.get("class_weight")
    ign = o.get("ignore_index")
    return _np(
        F.cross_entropy(
            zt,
            tt,
            weight=None if cw is None else torch.as_tensor(cw),
            ignore_index=-100 if ign is None else ign,
            reduction=reduction,
            label_smoothing=float(o.get("label_smoothing", 0.0)),
        )
    )


def _smp_ce(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    import torch

    from ..counterparts import smp_losses

    z = np.asarray(x["logits"], dtype=np.float64) / float(o.get("temperature", 1.0))
    loss = smp_losses().SoftCrossEntropyLoss(
        reduction=reduction,
        smooth_factor=float(o.get("label_smoothing", 0.0)),
        ignore_index=None,
        dim=o.get("axis", -1),
    )
    return _np(loss(torch.as_tensor(z), torch.as_tensor(np.asarray(x["target"], dtype=np.int64))))


def _torch_nll(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    lp = np.asarray(x["log_probs"], dtype=np.float64)
    lpt = torch.as_tensor(np.ascontiguousarray(_torch_layout(lp, o.get("axis", -1), lp.ndim)))
    cw = o.get("class_weight")
    ign = o.get("ignore_index")
    return _np(
        F.nll_loss(
            lpt,
            torch.as_tensor(np.asarray(x["labels"], dtype=np.int64)),
            weight=None if cw is None else torch.as_tensor(cw),
            ignore_index=-100 if ign is None else ign,
            reduction=reduction,
        )
    )


def _optax_ce(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    jnp = _jnp()
    import optax

    axis = o.get("axis", -1)
    z = jnp.asarray(np.asarray(x["logits"], dtype=np.float64) / float(o.get("temperature", 1.0)))
    t = x["target"]
    if _is_int(t):
        v = optax.losses.softmax_cross_entropy_with_integer_labels(z, jnp.asarray(t), axis=axis)
    else:
        tt = np.moveaxis(np.asarray(t, dtype=np.float64), axis, -1)
        tt = optax.smooth_labels(jnp.asarray(tt), float(o.get("label_smoothing", 0.0)))
        v = optax.losses.softmax_cross_entropy(z, jnp.moveaxis(tt, -1, axis), axis=axis)
    return _reduce(v, reduction)


def _keras_ce(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    keras = _keras()
    z = np.asarray(x["logits"], dtype=np.float64)
    t = x["target"]
    if _is_int(t):
        ign = o.get("ignore_index")
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ign, dtype="float64")
        return _np(loss(np.asarray(t), z))
    loss = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=float(o.get("label_smoothing", 0.0)), dtype="float64"
    )
    return _np(loss(np.asarray(t, dtype=np.float64), z))


def _sk_log_loss(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    from sklearn.metrics import log_loss

    z = np.asarray(x["logits"], dtype=np.float64)
    return _np(log_loss(x["target"], _softmax(z, -1), sample_weight=sw, labels=list(range(z.shape[-1]))))


def _keras_cce(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    keras = _keras()
    p = np.asarray(x["probs"], dtype=np.float64)
    t = x["target"]
    t = np.eye(p.shape[-1])[t] if _is_int(t) else np.asarray(t, dtype=np.float64)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=float(o.get("label_smoothing", 0.0)), dtype="float64")
    return _np(loss(t, p))


def _optax_poly(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    jnp = _jnp()
    import optax

    z = np.asarray(x["logits"], dtype=np.float64)
    t = x["target"]
    t = np.eye(z.shape[-1])[t] if _is_int(t) else np.asarray(t, dtype=np.float64)
    return _reduce(
        optax.losses.poly_loss_cross_entropy(jnp.asarray(z), jnp.asarray(t), epsilon=float(o.get("epsilon", 2.0))),
        reduction,
    )


def _keras_gce(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    keras = _keras()
    loss = keras.losses.CategoricalGeneralizedCrossEntropy(q=float(o.get("q", 0.5)), dtype="float64")
    return _np(loss(np.asarray(x["labels"]), np.asarray(x["probs"], dtype=np.float64)))


def _sk_brier(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    from sklearn.metrics import brier_score_loss

    p, t = np.asarray(x["probs"], dtype=np.float64), np.asarray(x["target"])
    if o.get("axis", -1) is None:
        return _np(brier_score_loss(t.astype(int), p, sample_weight=sw, labels=[0, 1]))
    return _np(brier_score_loss(t, p, sample_weight=sw, labels=list(range(p.shape[-1])), scale_by_half=False))


def _brier_ok(o: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    if reduction != "mean":
        return False
    return ("axis" in o and o["axis"] is None) or (o.get("_target") == "labels" and o.get("axis", -1) == -1)


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "binary_cross_entropy": [
        Counterpart("torch", _torch_bce, _p(none=("alpha",))),
        Counterpart("keras", _keras_bce(False), _p(none=("alpha",), mean_only=True), rtol=_KERAS_RTOL),
        Counterpart(
            "sklearn",
            _sk_log_loss_binary,
            _p(
                none=("alpha", "label_smoothing"), mean_only=True, allow_weights=True, targets=("hard",), default="soft"
            ),
            options=({"_target": "hard"},),
            ndim=1,
        ),
    ],
    "binary_cross_entropy_with_logits": [
        Counterpart("torch", _torch_bcel, _p(none=("alpha",))),
        Counterpart("optax", _optax_bcel, _p(none=("alpha", "pos_weight"))),
        Counterpart("keras", _keras_bce(True), _p(none=("alpha", "pos_weight"), mean_only=True), rtol=_KERAS_RTOL),
        Counterpart("smp", _smp_bcel, _p(none=("alpha",)), options=({"pos_weight": 0.5, "label_smoothing": 0.3},)),
    ],
    "cross_entropy": [
        Counterpart("torch", _torch_ce, _p()),
        Counterpart(
            "smp",
            _smp_ce,
            _p(none=("class_weight", "ignore_index"), targets=("labels",)),
            options=({"label_smoothing": 0.2, "axis": 1, "temperature": 0.5},),
        ),
        Counterpart(
            "optax",
            _optax_ce,
            lambda o, r, w: (
                _pred(o, r, w, none=("class_weight", "ignore_index"))
                and (o.get("_target") == "probs" or not _set(o.get("label_smoothing"), 0.0))
            ),
        ),
        Counterpart(
            "keras",
            _keras_ce,
            lambda o, r, w: (
                _pred(o, r, w, none=("class_weight", "temperature"), mean_only=True)
                and o.get("axis", -1) == -1
                and (o.get("_target") == "probs" or not _set(o.get("label_smoothing"), 0.0))
            ),
            rtol=_KERAS_RTOL,
            ndim=1,
        ),
        Counterpart(
            "sklearn",
            _sk_log_loss,
            lambda o, r, w: (
                _pred(
                    o,
                    r,
                    w,
                    none=("class_weight", "ignore_index", "label_smoothing", "temperature"),
                    mean_only=True,
                    allow_weights=True,
                    targets=("labels",),
                )
                and o.get("axis", -1) == -1
            ),
            ndim=1,
        ),
    ],
    "nll": [Counterpart("torch", _torch_nll, _p())],
    "categorical_cross_entropy": [
        Counterpart(
            "keras",
            _keras_cce,
            lambda o, r, w: _pred(o, r, w, mean_only=True) and o.get("axis", -1) == -1,
            rtol=_KERAS_RTOL,
            ndim=1,
        ),
    ],
    "poly1_cross_entropy": [
        Counterpart("optax", _optax_poly, lambda o, r, w: _pred(o, r, w) and o.get("axis", -1) == -1),
    ],
    "generalized_cross_entropy": [
        # keras requires q < 1.
        Counterpart(
            "keras",
            _keras_gce,
            lambda o, r, w: _pred(o, r, w, mean_only=True) and o.get("axis", -1) == -1 and float(o.get("q", 0.5)) < 1,
            rtol=_KERAS_RTOL,
            ndim=1,
        ),
    ],
    "brier_score": [Counterpart("sklearn", _sk_brier, _brier_ok, ndim=1)],
}
