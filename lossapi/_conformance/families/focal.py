"""Conformance of the focal losses (``lossapi.losses.focal``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 oracles of the focal losses (``lossapi.losses.focal``).

Written from the published formulas, never calling lossapi:

- ``sigmoid_focal`` is torchvision's ``sigmoid_focal_loss`` (and optax's): the binary
  cross-entropy with logits times ``(1 - p_t)^gamma`` times ``alpha_t``. ``1 - p_t`` is
  evaluated as ``t * sigmoid(-x) + (1 - t) * sigmoid(x)`` (the same quantity as torchvision's
  ``1 - (p t + (1 - p)(1 - t))``, without its cancellation), so saturated logits keep their
  tiny true values instead of rounding to 0.
- ``softmax_focal`` is ``-alpha_y (1 - p_y)^gamma log p_y``, one element at a time, with
  ``p_y`` written through the odds ``S = sum_{k != y} exp(z_k - z_y)``: ``p_y = 1 / (1 + S)``;
  class weights and ``ignore_index`` weigh the elements as in ``cross_entropy``.

Cases
-----
Conformance cases of the focal losses (``lossapi.losses.focal``).

``sigmoid_focal`` draws logits ``N(0, 2)`` and targets that are half hard ({0, 1}) and half
soft (uniform in [0, 1]); the case-only option ``{"_target": "hard"}`` draws hard targets only.
``softmax_focal`` draws ``C = 4`` classes inserted at ``options["axis"]`` and int64 labels,
some replaced by ``ignore_index`` when that option is set; the case-only option ``"_target"``
draws a floating target instead: ``"onehot"`` rows or ``"soft"`` class probabilities
(Dirichlet(1)).

The edge points are the ones where other libraries' focal losses give NaN gradients: saturated
logits (``+-1e4``, ``+-100``) with ``gamma`` in {0, 0.5, 2}; there the value and the gradient
must be finite and match the oracle (these are smooth points, not kinks).

Counterparts
------------
Native counterparts of the focal losses (optax, keras, smp, MONAI).

Mappings (what the docstrings promise):

- optax ``sigmoid_focal_loss(logits, labels, alpha=, gamma=)`` is elementwise; lossapi's
  ``"mean"``/``"sum"`` and per-row sample weights are applied to it with lossapi's rule
  (``sum(w l) / sum(w)``), which checks that lossapi broadcasts the weights as documented.
  optax has no label smoothing.
- keras ``binary_focal_crossentropy(target, logits, apply_class_balancing=alpha is not None,
  alpha=, gamma=, from_logits=True, label_smoothing=)`` averages its last axis: called on
  inputs with a trailing axis of one, it is elementwise.
- keras ``categorical_focal_crossentropy(one_hot(labels) or target, logits, alpha=, gamma=,
  from_logits=True, label_smoothing=)`` returns one value per distribution; keras always
  applies its ``alpha`` (lossapi's ``alpha=None`` is keras' ``alpha=1``, a (C,) alpha is
  keras' per-class list).
  keras clips the probabilities to ``[1e-7, 1 - 1e-7]``, inactive for the case's logits. No
  class weights or ignored labels (keras has neither).
- smp's ``FocalLoss("binary", alpha=, gamma=)`` flattens its inputs and is elementwise (its
  ``reduction`` is lossapi's; ``"none"`` is reshaped to the input shape); MONAI's
  ``FocalLoss(gamma=, alpha=)`` (sigmoid, the default) keeps the ``(N, C, ...)`` shape and
  averages for ``"mean"`` (its ``"sum"`` averages the spatial dimensions first: not mapped).
  Both compute the modulating factor from the target as if it were 0/1 (smp ``exp(-BCE)``, MONAI
  ``sigmoid(-x (2t - 1))``): hard targets only, no label smoothing. MONAI computes in
  float32 (rtol 1e-5 on ``"mean"``; its per-element values lose digits where
  ``x - log sigmoid(x)`` cancels). With sample weights, both libraries' ``"none"`` values
  are reduced with lossapi's rule, as optax's.
- torchvision's ``sigmoid_focal_loss`` is not installed here; its formula is the oracle
  (``sigmoid_focal`` above).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz, class_axis_of, with_class_axis
from ..counterparts import Counterpart, _jnp, _keras, weighted_reduce
from ..fuzz import BIG, bce_logits, class_input, label_weight
from ..special import expit, logsumexp

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "reduce_softmax_focal",
    "sigmoid_focal",
    "softmax_focal",
    "softmax_focal_terms",
]


# ==================================================================================================
# Oracles
# ==================================================================================================


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def sigmoid_focal(
    logits: Any, target: Any, alpha: Any = None, gamma: float = 2.0, label_smoothing: float = 0.0
) -> np.ndarray:
    """torchvision's formula: ``alpha_t * BCE(x, t) * (1 - p_t) ** gamma``, per element, with the
    target smoothed to ``t (1 - s) + s / 2`` first (keras)."""
    x, t = np.broadcast_arrays(_f(logits), _f(target))
    s = float(label_smoothing)
    t = t * (1.0 - s) + s / 2.0
    ce = np.maximum(x, 0.0) - x * t + np.log1p(np.exp(-np.abs(x)))
    one_minus_pt = t * expit(-x) + (1.0 - t) * expit(x)
    loss = ce * one_minus_pt ** float(gamma)
    if alpha is not None:
        a = float(alpha)
        loss = (a * t + (1.0 - a) * (1.0 - t)) * loss
    return loss


def _class_log_probs(z: np.ndarray, c: int) -> tuple[float, float]:
    """``(-log p_c, 1 - p_c)`` of the logits ``z`` (a 1-D row), from ``S = sum_{k != c} exp(z_k - z_c)``
    (the odds against c): ``-log p_c = log(1 + S)``, ``1 - p_c = S / (1 + S)``; log S from SciPy's
    logsumexp. (``z_c - logsumexp(z)`` would lose every digit of a tiny loss to cancellation.)"""
    log_s = logsumexp(np.delete(z, c) - z[c]) if z.shape[0] > 1 else -np.inf
    nlp = np.logaddexp(0.0, log_s)
    return float(nlp), float(np.exp(log_s - nlp))


def softmax_focal_terms(
    logits: Any,
    target: Any,
    alpha: Any = None,
    gamma: float = 2.0,
    class_weight: Any = None,
    ignore_index: int | None = None,
    axis: int = -1,
    label_smoothing: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(per-element loss times its class weight(s), per-element weight of the mean's denominator).

    Labels: ``-alpha_y (1 - p_y)^g log p_y`` weighted ``w_y``; probabilities (or labels with
    ``label_smoothing``, as one-hot rows smoothed to ``(1 - s) t + s / C``): ``-sum_c alpha_c
    w_c t_c (1 - p_c)^g log p_c``, with denominator weight ``w_y`` for labels and 1 for
    probabilities. Ignored elements have loss 0 and weight 0.
    """
    z = np.moveaxis(_f(logits), axis, -1)
    C = z.shape[-1]
    y = np.asarray(target)
    labels = y.dtype.kind in "iu"
    cw = np.ones(C) if class_weight is None else _f(class_weight)
    a = np.ones(C) if alpha is None else np.broadcast_to(_f(alpha), (C,))
    s = float(label_smoothing)
    t_all = np.zeros(z.shape) if labels else np.moveaxis(_f(y), axis, -1)
    shape = y.shape if labels else z.shape[:-1]
    loss, weight = np.zeros(shape), np.zeros(shape)
    for i in np.ndindex(shape):
        if labels:
            c = int(y[i])
            if ignore_index is not None and c == ignore_index:
                continue
            weight[i] = cw[c]
            if s == 0:
                nlp, q = _class_log_probs(z[i], c)
                loss[i] = cw[c] * a[c] * q ** float(gamma) * nlp
                continue
            t = np.eye(C)[c] * (1.0 - s) + s / C
        else:
            weight[i] = 1.0
            t = t_all[i] * (1.0 - s) + s / C
        for k in range(C):
            if t[k] != 0:
                nlp, q = _class_log_probs(z[i], k)
                loss[i] += cw[k] * a[k] * t[k] * q ** float(gamma) * nlp
    return loss, weight


def softmax_focal(
    logits: Any,
    target: Any,
    alpha: Any = None,
    gamma: float = 2.0,
    class_weight: Any = None,
    ignore_index: int | None = None,
    axis: int = -1,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """The per-element ("none") softmax focal loss, class weights included."""
    return softmax_focal_terms(logits, target, alpha, gamma, class_weight, ignore_index, axis, label_smoothing)[0]


def reduce_softmax_focal(
    inputs: dict, options: dict, reduction: str, sample_weight: Any = None, where: Any = None
) -> np.ndarray:
    """Reduction with the class weights in the denominator of ``"mean"`` (torch's rule)."""
    wl, w = softmax_focal_terms(inputs["logits"], inputs["target"], **options)
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


# ==================================================================================================
# Cases
# ==================================================================================================

C = 4
_ALPHA = np.array([0.25, 0.5, 1.0, 2.0])
_CW = np.array([2.0, 0.5, 1.0, 3.0])


def _arr(v: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.asarray(v, dtype=dtype)


# -- sigmoid focal --------------------------------------------------------------------------------


def _sigmoid_inputs(
    rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    # |x| <= 8 keeps 1 - p_t >= 3e-4, so finite differences of t (which step outside [0, 1])
    # stay inside the domain where 1 - p_t > 0; saturated logits are edge points.
    x = np.clip(rng.normal(0.0, 2.0, shape), -8.0, 8.0)
    hard = rng.integers(0, 2, size=shape).astype(np.float64)
    if options.get("_target") == "hard":
        t = hard
    else:
        t = np.where(rng.random(shape) < 0.5, hard, rng.random(shape))
    return {"logits": x, "target": t}


_SAT = _arr([1e4, -1e4, 1e4, -1e4, 100.0, -100.0, 100.0, -100.0])
_SAT_T = _arr([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0])

_SIGMOID = Case(
    name="sigmoid_focal",
    make_inputs=_sigmoid_inputs,
    oracle=sigmoid_focal,
    options=(
        {},
        {"gamma": 0.0},
        {"gamma": 0.5},
        {"alpha": 0.25},
        {"alpha": 0.75, "gamma": 1.5},
        {"alpha": 0.25, "gamma": 2.0, "_target": "hard"},
        {"gamma": 3.0, "_target": "hard"},
        {"label_smoothing": 0.1},
        {"label_smoothing": 0.2, "alpha": 0.25, "gamma": 0.5, "_target": "hard"},
    ),
    differentiable=("logits", "target"),
    edges=(
        Edge("saturated logits +-1e4, +-100", {"logits": _SAT, "target": _SAT_T}),
        Edge("saturated logits, gamma = 0", {"logits": _SAT, "target": _SAT_T}, {"gamma": 0.0}),
        Edge("saturated logits, gamma = 0.5", {"logits": _SAT, "target": _SAT_T}, {"gamma": 0.5, "alpha": 0.25}),
        Edge(
            "saturated logits, soft targets",
            {"logits": _arr([1e4, -1e4, 100.0, -100.0]), "target": _arr([0.3, 0.7, 0.999, 1e-3])},
            {"gamma": 0.5},
        ),
        Edge("x = 0", {"logits": _arr([0.0, 0.0, 0.0]), "target": _arr([0.0, 1.0, 0.4])}, {"gamma": 0.5}),
        Edge(
            "saturated logits, label smoothing",
            {"logits": _SAT, "target": _SAT_T},
            {"label_smoothing": 0.1, "gamma": 0.5, "alpha": 0.25},
        ),
        Edge(
            "confident and right, gamma = 0.25",
            {"logits": _arr([30.0, -30.0, 15.0]), "target": _arr([1.0, 0.0, 1.0])},
            {"gamma": 0.25},
        ),
    ),
    sweep=sweeps.Sweep(
        **{
            **sweeps.LOGIT,
            "description": "logit x, target 1",
            "lines": (sweeps.Line(options={"gamma": 2.0}), sweeps.Line(options={"gamma": 0.0})),
        }
    ),
    fuzz=Fuzz(perfect=bce_logits),
    invalid_options={"alpha": [-0.1, 1.5]},
)


# -- softmax focal --------------------------------------------------------------------------------


def _softmax_inputs(
    rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    z = rng.normal(0.0, 2.0, with_class_axis(shape, C, options))
    y = rng.integers(0, C, size=shape).astype(np.int64)
    kind = options.get("_target")
    if kind is not None:  # "onehot" rows or "soft" class probabilities, the logits' shape
        t = np.eye(C)[y] if kind == "onehot" else rng.dirichlet(np.ones(C), size=shape)
        return {"logits": z, "target": np.moveaxis(t, -1, class_axis_of(options, z.ndim))}
    ign = options.get("ignore_index")
    if ign is not None and y.size:
        y = np.where(rng.random(shape) < 0.3, ign, y)
        y.flat[0] = 0 if ign != 0 else 1  # at least one counted target
    return {"logits": z, "target": y}


_Z2 = _arr([[2.0, 0.0, -1.0, 0.5], [0.0, 1.0, 0.0, -3.0]])
# Rows with p_y -> 1 or p_y -> 0 in float32 and float64 (a tie of saturated logits, p_y = 1/2,
# is left out: log p_y = x_y - logsumexp(x) then carries an absolute error of |x| eps, 1e-3 in
# float32, for every softmax-based loss).
_ZSAT = _arr([[1e4, -1e4, 0.0, 0.0], [-1e4, 1e4, 0.0, 0.0], [100.0, -100.0, 0.0, 0.0], [0.0, 30.0, -30.0, 0.0]])
_Y_RIGHT = _arr([0, 1, 0, 1], np.int64)  # p_y -> 1
_Y_WRONG = _arr([1, 0, 1, 2], np.int64)  # p_y -> 0


def _focal_weight(x: Mapping[str, np.ndarray], o: Mapping[str, Any]) -> np.ndarray:
    t = np.asarray(x["target"])
    if t.dtype.kind in "iu":
        return label_weight(t, o)
    return np.ones(np.delete(np.array(t.shape), class_axis_of(o, t.ndim)))


_SOFTMAX = Case(
    name="softmax_focal",
    make_inputs=_softmax_inputs,
    oracle=softmax_focal,
    reduce_oracle=reduce_softmax_focal,
    options=(
        {},
        {"gamma": 0.0},
        {"gamma": 0.5},
        {"alpha": 0.25},
        {"alpha": _ALPHA, "gamma": 1.0},
        {"class_weight": _CW},
        {"ignore_index": -100},
        {"ignore_index": 1, "class_weight": _CW, "alpha": 0.5, "gamma": 0.5},
        {"axis": 1},
        {"axis": 1, "class_weight": _CW, "ignore_index": -1, "alpha": _ALPHA},
        {"_target": "soft"},
        {"_target": "soft", "alpha": _ALPHA, "gamma": 0.5, "class_weight": _CW},
        {"_target": "onehot", "axis": 1, "alpha": 0.25},
        {"label_smoothing": 0.1},
        {"label_smoothing": 0.2, "class_weight": _CW, "ignore_index": -100, "gamma": 1.0},
        {"_target": "soft", "label_smoothing": 0.1, "gamma": 3.0},
    ),
    differentiable=("logits",),
    edges=(
        Edge("saturated logits, p_y -> 1", {"logits": _ZSAT, "target": _Y_RIGHT}),
        Edge("saturated logits, p_y -> 0", {"logits": _ZSAT, "target": _Y_WRONG}),
        Edge("saturated logits, p_y -> 1, gamma = 0", {"logits": _ZSAT, "target": _Y_RIGHT}, {"gamma": 0.0}),
        Edge(
            "saturated logits, p_y -> 1, gamma = 0.5",
            {"logits": _ZSAT, "target": _Y_RIGHT},
            {"gamma": 0.5, "alpha": _ALPHA},
        ),
        Edge(
            "saturated logits, p_y -> 0, gamma = 0.5",
            {"logits": _ZSAT, "target": _Y_WRONG},
            {"gamma": 0.5, "class_weight": _CW},
        ),
        Edge("every label ignored", {"logits": _Z2, "target": _arr([-100, -100], np.int64)}, {"ignore_index": -100}),
        Edge(
            "zero class weights",
            {"logits": _Z2, "target": _arr([0, 2], np.int64)},
            {"class_weight": _arr([0.0, 1.0, 0.0, 1.0])},
        ),
        Edge("class axis 0", {"logits": _Z2.T, "target": _arr([3, 1], np.int64)}, {"axis": 0, "gamma": 0.5}),
        # The most probable class's 1 - p rounds to 0: log(1 - p) from the other logits.
        Edge(
            "saturated logits, one-hot rows, gamma = 0.5",
            {"logits": _ZSAT, "target": np.eye(C)[_Y_RIGHT]},
            {"gamma": 0.5},
        ),
        Edge(
            "saturated logits, soft targets",
            {
                "logits": _ZSAT,
                "target": _arr(
                    [[0.5, 0.2, 0.2, 0.1], [0.0, 0.9, 0.1, 0.0], [0.3, 0.0, 0.7, 0.0], [0.1, 0.6, 0.0, 0.3]]
                ),
            },
            {"gamma": 0.5, "alpha": _ALPHA},
        ),
        Edge("saturated logits, label smoothing", {"logits": _ZSAT, "target": _Y_RIGHT}, {"label_smoothing": 0.1}),
    ),
    sweep=sweeps.Sweep(**sweeps.MULTICLASS),
    fuzz=Fuzz(
        perfect=class_input("logits", BIG),
        no_perfect_options=lambda o: "class probabilities: no one-hot target" if o.get("_target") == "soft" else None,
        mean_rule="sum(w*cw[y]*l) / sum(w*cw[y]) over non-ignored labels (alpha is not in the denominator); "
        "probability targets: plain",
        mean_weight=_focal_weight,
    ),
)

CASES: dict[str, Case] = {c.name: c for c in (_SIGMOID, _SOFTMAX)}


# ==================================================================================================
# Counterparts
# ==================================================================================================

_KERAS_RTOL = 1e-6


def _optax_sigmoid_focal(
    x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any
) -> np.ndarray | np.float64:
    jnp = _jnp()
    import optax

    alpha = o.get("alpha")
    v = optax.losses.sigmoid_focal_loss(
        jnp.asarray(x["logits"]),
        jnp.asarray(x["target"]),
        alpha=None if alpha is None else float(alpha),
        gamma=float(o.get("gamma", 2.0)),
    )
    return weighted_reduce(v, reduction, sw)


def _keras_softmax_focal(
    x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any
) -> np.ndarray | np.float64:
    keras = _keras()
    z = np.asarray(x["logits"], dtype=np.float64)
    t = np.asarray(x["target"])
    target = np.eye(z.shape[-1])[t] if t.dtype.kind in "iu" else t.astype(np.float64)
    alpha = o.get("alpha")
    alpha = 1.0 if alpha is None else (np.asarray(alpha, dtype=np.float64).tolist() if np.ndim(alpha) else float(alpha))
    v = keras.losses.categorical_focal_crossentropy(
        target,
        z,
        alpha=alpha,
        gamma=float(o.get("gamma", 2.0)),
        from_logits=True,
        label_smoothing=float(o.get("label_smoothing", 0.0)),
    )
    return weighted_reduce(v, reduction, sw)


def _keras_ok(o: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return o.get("class_weight") is None and o.get("ignore_index") is None and o.get("axis", -1) == -1


def _keras_sigmoid_focal(
    x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any
) -> np.ndarray | np.float64:
    keras = _keras()
    z = np.asarray(x["logits"], dtype=np.float64)
    t = np.broadcast_to(np.asarray(x["target"], dtype=np.float64), z.shape)
    alpha = o.get("alpha")
    # keras averages the last axis: a trailing axis of one keeps every element.
    v = keras.losses.binary_focal_crossentropy(
        t[..., None],
        z[..., None],
        apply_class_balancing=alpha is not None,
        alpha=0.25 if alpha is None else float(alpha),
        gamma=float(o.get("gamma", 2.0)),
        from_logits=True,
        label_smoothing=float(o.get("label_smoothing", 0.0)),
    )
    return weighted_reduce(v, reduction, sw)


def _smp_sigmoid_focal(
    x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any
) -> np.ndarray | np.float64:
    import torch

    from ..counterparts import smp_losses

    z = np.asarray(x["logits"], dtype=np.float64)
    t = np.broadcast_to(np.asarray(x["target"], dtype=np.float64), z.shape)
    alpha = o.get("alpha")
    loss = smp_losses().FocalLoss(
        "binary",
        alpha=None if alpha is None else float(alpha),
        gamma=float(o.get("gamma", 2.0)),
        reduction="none" if sw is not None else reduction,
    )
    v = loss(torch.as_tensor(z), torch.as_tensor(np.array(t))).detach().numpy()
    return weighted_reduce(v.reshape(z.shape), reduction, sw) if sw is not None or reduction == "none" else v


def _monai_sigmoid_focal(
    x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any
) -> np.ndarray | np.float64:
    import monai.losses as ml
    import torch

    z = np.asarray(x["logits"], dtype=np.float64)
    t = np.broadcast_to(np.asarray(x["target"], dtype=np.float64), z.shape)
    alpha = o.get("alpha")
    loss = ml.FocalLoss(
        gamma=float(o.get("gamma", 2.0)),
        alpha=None if alpha is None else float(alpha),
        reduction="none" if sw is not None else reduction,
    )
    v = loss(torch.as_tensor(z), torch.as_tensor(np.array(t))).detach().numpy()
    return weighted_reduce(v, reduction, sw) if sw is not None else v


def _hard_unsmoothed(o: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    """0/1 targets, no label smoothing (smp's and MONAI's factor reads the target as 0/1)."""
    return o.get("_target") == "hard" and not o.get("label_smoothing")


def _monai_focal_ok(o: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return _hard_unsmoothed(o, reduction, weighted) and reduction == "mean"


_HARD_FOCAL_OPTIONS: tuple[Mapping[str, Any], ...] = (
    {"_target": "hard"},
    {"_target": "hard", "gamma": 0.5, "alpha": 0.6},
)

COUNTERPARTS: dict[str, list[Counterpart]] = {
    "sigmoid_focal": [
        Counterpart("optax", _optax_sigmoid_focal, lambda o, r, w: not o.get("label_smoothing")),
        Counterpart("keras", _keras_sigmoid_focal, lambda o, r, w: True, rtol=_KERAS_RTOL),
        Counterpart("smp", _smp_sigmoid_focal, _hard_unsmoothed, options=_HARD_FOCAL_OPTIONS),
        Counterpart(
            "MONAI",
            _monai_sigmoid_focal,
            _monai_focal_ok,
            options=_HARD_FOCAL_OPTIONS,
            rtol=1e-5,  # MONAI's FocalLoss casts logits and target to float32
        ),
    ],
    "softmax_focal": [Counterpart("keras", _keras_softmax_focal, _keras_ok, rtol=_KERAS_RTOL)],
}
