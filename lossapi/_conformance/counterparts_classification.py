"""Native counterparts of the cross-entropy family (torch, optax, keras, sklearn).

Mappings (what API.md promises, and what the porting guide lists):

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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _jnp, _keras, _np, _reduce, _torch

__all__ = ["FAMILY_COUNTERPARTS"]

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


def _pred(options: Mapping[str, Any], reduction: str, weighted: bool, *, none: tuple[str, ...] = (),
          mean_only: bool = False, allow_weights: bool = False, targets: tuple[str, ...] | None = None,
          default: str = "labels") -> bool:
    """Shared predicate: options in ``none`` must be unset (None or 0 / 1 defaults)."""
    defaults = {"alpha": None, "pos_weight": None, "class_weight": None, "ignore_index": None,
                "label_smoothing": 0.0, "temperature": 1.0}
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


def _optax_bcel(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    jnp = _jnp()
    import optax

    return _reduce(optax.losses.sigmoid_binary_cross_entropy(jnp.asarray(x["logits"]),
                                                            jnp.asarray(_smooth_binary(x["target"], o))), reduction)


def _keras_bce(from_logits: bool):
    def fn(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
        keras = _keras()
        loss = keras.losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=float(o.get("label_smoothing", 0.0)),
                                               dtype="float64")
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
    return _np(F.cross_entropy(zt, tt, weight=None if cw is None else torch.as_tensor(cw),
                               ignore_index=-100 if ign is None else ign, reduction=reduction,
                               label_smoothing=float(o.get("label_smoothing", 0.0))))


def _torch_nll(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    lp = np.asarray(x["log_probs"], dtype=np.float64)
    lpt = torch.as_tensor(np.ascontiguousarray(_torch_layout(lp, o.get("axis", -1), lp.ndim)))
    cw = o.get("class_weight")
    ign = o.get("ignore_index")
    return _np(F.nll_loss(lpt, torch.as_tensor(np.asarray(x["labels"], dtype=np.int64)),
                          weight=None if cw is None else torch.as_tensor(cw),
                          ignore_index=-100 if ign is None else ign, reduction=reduction))


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
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=float(o.get("label_smoothing", 0.0)),
                                                dtype="float64")
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
    return _reduce(optax.losses.poly_loss_cross_entropy(jnp.asarray(z), jnp.asarray(t),
                                                        epsilon=float(o.get("epsilon", 2.0))), reduction)


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


FAMILY_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "binary_cross_entropy": [
        Counterpart("torch", _torch_bce, _p(none=("alpha",))),
        Counterpart("keras", _keras_bce(False), _p(none=("alpha",), mean_only=True), rtol=_KERAS_RTOL),
        Counterpart("sklearn", _sk_log_loss_binary,
                    _p(none=("alpha", "label_smoothing"), mean_only=True, allow_weights=True, targets=("hard",), default="soft"),
                    options=({"_target": "hard"},), ndim=1),
    ],
    "binary_cross_entropy_with_logits": [
        Counterpart("torch", _torch_bcel, _p(none=("alpha",))),
        Counterpart("optax", _optax_bcel, _p(none=("alpha", "pos_weight"))),
        Counterpart("keras", _keras_bce(True), _p(none=("alpha", "pos_weight"), mean_only=True), rtol=_KERAS_RTOL),
    ],
    "cross_entropy": [
        Counterpart("torch", _torch_ce, _p()),
        Counterpart("optax", _optax_ce, lambda o, r, w: _pred(o, r, w, none=("class_weight", "ignore_index")) and (
            o.get("_target") == "probs" or not _set(o.get("label_smoothing"), 0.0))),
        Counterpart("keras", _keras_ce, lambda o, r, w: _pred(o, r, w, none=("class_weight", "temperature"),
                                                              mean_only=True)
                    and o.get("axis", -1) == -1 and (o.get("_target") == "probs" or not _set(o.get("label_smoothing"), 0.0)),
                    rtol=_KERAS_RTOL, ndim=1),
        Counterpart("sklearn", _sk_log_loss,
                    lambda o, r, w: _pred(o, r, w, none=("class_weight", "ignore_index", "label_smoothing", "temperature"),
                                          mean_only=True, allow_weights=True, targets=("labels",))
                    and o.get("axis", -1) == -1, ndim=1),
    ],
    "nll": [Counterpart("torch", _torch_nll, _p())],
    "categorical_cross_entropy": [
        Counterpart("keras", _keras_cce, lambda o, r, w: _pred(o, r, w, mean_only=True) and o.get("axis", -1) == -1,
                    rtol=_KERAS_RTOL, ndim=1),
    ],
    "poly1_cross_entropy": [
        Counterpart("optax", _optax_poly, lambda o, r, w: _pred(o, r, w) and o.get("axis", -1) == -1),
    ],
    "generalized_cross_entropy": [
        # keras requires q < 1.
        Counterpart("keras", _keras_gce, lambda o, r, w: _pred(o, r, w, mean_only=True) and o.get("axis", -1) == -1
                    and float(o.get("q", 0.5)) < 1,
                    rtol=_KERAS_RTOL, ndim=1),
    ],
    "brier_score": [Counterpart("sklearn", _sk_brier, _brier_ok, ndim=1)],
}
