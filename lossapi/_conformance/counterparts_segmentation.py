"""Native counterparts of the segmentation losses (optax, keras, sklearn).

Mappings (what API.md promises, and where each stops):

- optax ``dice_loss`` is the Tversky index per sample and class (``alpha`` on false
  positives), mean over classes: ``dice`` (alpha = beta = 0.5), ``jaccard`` (alpha = beta = 1)
  and ``tversky``. It takes a channels-last one-hot target (integer labels are expanded here)
  and probabilities with ``apply_softmax=False`` (which requires them to sum to 1: softmax
  probabilities, not the case-only ``"_probs": "sigmoid"``); binary masks go through its
  single-channel sigmoid path as ``logit(p)[..., None]``. Pooled statistics are its ``axis``
  over the batch and spatial axes. Its ``class_weights`` multiply the class losses before a
  plain mean: lossapi's ``class_weight`` ``w`` is optax's ``w * C / sum(w)``. Its Dice is
  ``(I + s) / ((P + T) / 2 + s)``: lossapi's ``dice(smooth=s)`` is optax's ``smooth=s / 2``
  (Jaccard and Tversky take ``smooth`` unchanged). optax's
  ``multiclass_generalized_dice_loss`` is a different quantity (no counterpart).
- keras ``dice``/``tversky`` have no smoothing and add 1e-7 to the denominator (so ``smooth=0``
  only, rtol 1e-6, soft predictions only and no exactly-zero loss: keras scores an empty class
  1, lossapi 0, and a perfect class eps / TP, lossapi 0); their
  ``axis`` sums the spatial axes (per sample) or everything but the classes (pooled) and the
  per-class values are averaged here. keras 3.15's ``tversky`` puts ``alpha`` on the false
  negatives: the callable detects the convention of the installed keras on API.md's hand
  case and passes ``alpha``/``beta`` accordingly.
- sklearn's ``f1_score(average="macro")`` (``average="binary", zero_division=1.0`` for binary
  masks), ``cohen_kappa_score(labels=range(C), replace_undefined_by=1.0)`` and
  ``matthews_corrcoef`` at hard one-hot predictions (case-only ``"_hard": True``), per sample
  with ``per_sample=True``. The metrics' own ``sample_weight`` weighs pixels, not lossapi's
  samples: unweighted only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _jnp, _keras, _np, _reduce

__all__ = ["FAMILY_COUNTERPARTS", "SEGMENTATION_COUNTERPARTS"]

Inputs = Mapping[str, np.ndarray]
Options = Mapping[str, Any]

_KERAS_RTOL = 1e-6  # keras adds eps = 1e-7 to the denominator (no smoothing)


def _class_last(x: Inputs, o: Options, second: str = "target") -> tuple[np.ndarray, np.ndarray, bool]:
    """Probabilities and a floating target, class axis last (one-hot from labels); binary flag."""
    p = np.asarray(x["probs"], dtype=np.float64)
    t = np.asarray(x[second])
    axis = o.get("axis", -1)
    if axis is None:
        return p, t.astype(np.float64), True
    ax = axis % p.ndim
    p = np.moveaxis(p, ax, -1)
    C = p.shape[-1]
    if t.dtype.kind in "iu":
        t = np.eye(C)[t]
    else:
        t = np.moveaxis(t.astype(np.float64), ax, -1)
    return p, t, False


# -- predicates ----------------------------------------------------------------------------------


def _optax_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return not weighted and o.get("axis", -1) in (-1, None) and o.get("_probs") != "sigmoid"


def _keras_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return (not weighted and o.get("axis", -1) in (-1, None) and float(o.get("smooth", 1.0)) == 0.0
            and o.get("class_weight") is None and not o.get("_hard", False))


def _sklearn_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return not weighted and bool(o.get("_hard", False))


# -- optax ------------------------------------------------------------------------------------------


def _optax_overlap(alpha: float | None = None, beta: float | None = None, dice_smooth: bool = False) -> Callable[..., Any]:
    """``optax.losses.dice_loss`` with fixed ``alpha``/``beta`` (dice, jaccard) or the options' (tversky);
    ``dice_smooth``: lossapi's Dice ``smooth`` is twice optax's."""

    def fn(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        jnp = _jnp()
        import optax

        p, t, binary = _class_last(x, o)
        if binary:
            with np.errstate(divide="ignore"):
                pred = (np.log(p) - np.log1p(-p))[..., None]  # sigmoid(logit(p)) = p
            t = t[..., None]
        else:
            pred = p
        C = pred.shape[-1]
        cw = o.get("class_weight")
        if cw is not None:
            cw = jnp.asarray(np.asarray(cw, dtype=np.float64) * C / np.sum(cw))
        axes = None if o.get("per_sample", True) else tuple(range(pred.ndim - 1))
        a = o.get("alpha", 0.5) if alpha is None else alpha
        b = o.get("beta", 0.5) if beta is None else beta
        # optax's numerator is I + s over I + a FP + b FN + s: with a = b = 1/2 that is lossapi's
        # Dice with smooth 2 s (lossapi follows the usual (2I + s) / (P + T + s)).
        s = float(o.get("smooth", 1.0)) * (0.5 if dice_smooth else 1.0)
        out = optax.losses.dice_loss(jnp.asarray(pred), jnp.asarray(t), class_weights=cw,
                                     smooth=s, alpha=float(a), beta=float(b),
                                     apply_softmax=binary, axis=axes)
        return _reduce(out, reduction)

    return fn


# -- keras ------------------------------------------------------------------------------------------


def _keras_alpha_on_fn(keras: Any) -> bool:
    """Whether the installed keras' ``tversky`` applies ``alpha`` to the false negatives (keras
    3.15): API.md's hand case y = [1, 1, 0, 0], y_hat = [1, 0, 1, 1], alpha = 1, beta = 0 gives
    0.5 there and 2/3 with the paper's convention."""
    v = float(_np(keras.losses.tversky(np.array([1.0, 1.0, 0.0, 0.0]), np.array([1.0, 0.0, 1.0, 1.0]),
                                       alpha=1.0, beta=0.0)))
    return abs(v - 0.5) < 1e-3


def _keras_overlap(name: str) -> Callable[..., Any]:
    def fn(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        keras = _keras()
        p, t, binary = _class_last(x, o)
        per_sample = o.get("per_sample", True)
        last = p.ndim if binary else p.ndim - 1  # the class axis (if any) is not summed
        axes = tuple(range(1 if per_sample else 0, last))
        kw: dict[str, Any] = {}
        if name == "tversky":
            a, b = float(o.get("alpha", 0.5)), float(o.get("beta", 0.5))
            kw = {"alpha": b, "beta": a} if _keras_alpha_on_fn(keras) else {"alpha": a, "beta": b}
        if not axes:  # one pixel per sample: keras' axis=() would mean "all axes"
            q = np.expand_dims(p, 1)
            s = np.expand_dims(t, 1)
            axes = (1,)
        else:
            q, s = p, t
        per = _np(getattr(keras.losses, name)(s, q, axis=axes, **kw))
        vals = per if binary else np.mean(per, axis=-1)
        return _reduce(vals, reduction)

    return fn


# -- sklearn ----------------------------------------------------------------------------------------


def _hard_groups(x: Inputs, o: Options, second: str) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """``[(y_true, y_pred)]`` per group (sample, or the pooled batch) from hard one-hot inputs."""
    p = np.asarray(x["probs"], dtype=np.float64)
    t = np.asarray(x[second])
    axis = o.get("axis", -1)
    if axis is None:
        y_pred = (p > 0.5).astype(np.int64)
        y_true = (t.astype(np.float64) > 0.5).astype(np.int64)
        C = 2
    else:
        ax = axis % p.ndim
        C = p.shape[ax]
        y_pred = np.argmax(p, axis=ax)
        y_true = t.astype(np.int64) if t.dtype.kind in "iu" else np.argmax(t.astype(np.float64), axis=ax)
    B = y_pred.shape[0]
    yt, yp = y_true.reshape(B, -1), y_pred.reshape(B, -1)
    if o.get("per_sample", False):
        return [(yt[b], yp[b]) for b in range(B)], C
    return [(yt.ravel(), yp.ravel())], C


def _sk_f1(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    from sklearn.metrics import f1_score

    groups, _ = _hard_groups(x, o, "target")
    kw = {"average": "binary", "zero_division": 1.0} if o.get("axis", -1) is None else {"average": "macro"}
    return _reduce(np.array([1.0 - f1_score(yt, yp, **kw) for yt, yp in groups]).reshape(
        -1 if o.get("per_sample", False) else ()), reduction)


def _sk_kappa(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    from sklearn.metrics import cohen_kappa_score

    groups, C = _hard_groups(x, o, "labels")
    vals = [1.0 - cohen_kappa_score(yt, yp, labels=list(range(C)), weights=o.get("weights", "quadratic"),
                                    replace_undefined_by=1.0) for yt, yp in groups]
    return _reduce(np.array(vals).reshape(-1 if o.get("per_sample", False) else ()), reduction)


def _sk_mcc(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    from sklearn.metrics import matthews_corrcoef

    groups, _ = _hard_groups(x, o, "target")
    vals = [1.0 - matthews_corrcoef(yt, yp) for yt, yp in groups]
    return _reduce(np.array(vals).reshape(-1 if o.get("per_sample", False) else ()), reduction)


_KERAS_OPTIONS: tuple[Options, ...] = (
    {"smooth": 0.0},
    {"smooth": 0.0, "per_sample": False, "_target": "soft"},
    {"smooth": 0.0, "axis": None},
    {"smooth": 0.0, "axis": None, "per_sample": False, "_target": "int"},
)
_HARD_OPTIONS: tuple[Options, ...] = (
    {"_hard": True},
    {"_hard": True, "per_sample": True},
    {"_hard": True, "axis": None},
    {"_hard": True, "axis": None, "per_sample": True, "_target": "bool"},
)

SEGMENTATION_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "dice": [
        Counterpart("optax", _optax_overlap(0.5, 0.5, dice_smooth=True), _optax_ok, options=({"_hard": True, "smooth": 0.5},)),
        Counterpart("keras", _keras_overlap("dice"), _keras_ok, options=_KERAS_OPTIONS, rtol=_KERAS_RTOL),
    ],
    "jaccard": [Counterpart("optax", _optax_overlap(1.0, 1.0), _optax_ok)],
    "tversky": [
        Counterpart("optax", _optax_overlap(), _optax_ok),
        Counterpart("keras", _keras_overlap("tversky"), _keras_ok,
                    options=(*_KERAS_OPTIONS, {"smooth": 0.0, "alpha": 0.2, "beta": 0.8},
                             {"smooth": 0.0, "alpha": 1.0, "beta": 0.25, "axis": None}),
                    rtol=_KERAS_RTOL),
    ],
    "soft_f1": [Counterpart("sklearn", _sk_f1, _sklearn_ok, options=_HARD_OPTIONS)],
    "cohen_kappa": [
        Counterpart("sklearn", _sk_kappa, _sklearn_ok,
                    options=(*_HARD_OPTIONS, {"_hard": True, "weights": "linear"},
                             {"_hard": True, "weights": None, "per_sample": True})),
    ],
    "matthews": [Counterpart("sklearn", _sk_mcc, _sklearn_ok, options=_HARD_OPTIONS)],
}

FAMILY_COUNTERPARTS = SEGMENTATION_COUNTERPARTS
