"""Native counterparts of the margin-based classification losses (torch, optax, keras, sklearn).

Mappings (what API.md promises, and where each stops):

- optax's ``hinge_loss``, ``perceptron_loss``, ``multiclass_hinge_loss`` (Crammer-Singer,
  margin 1, p 1), ``multiclass_perceptron_loss`` and ``multiclass_sparsemax_loss`` are
  per-element; ``"mean"``/``"sum"`` reduce them with NumPy (no weights). The sparsemax loss
  vmaps over the first axis only: 2-D inputs.
- torch's ``multi_margin_loss`` is the Weston-Watkins variant; its ``weight`` is lossapi's
  ``class_weight`` for ``"none"`` and ``"sum"``. With a weight torch's ``"mean"`` divides by
  the number of elements, lossapi's by the sum of the weights (API.md's weighted mean), so
  that combination is not mapped. ``multi_margin_loss`` and ``multilabel_margin_loss`` take
  ``(N, C)`` inputs: 1-D "none" shapes. ``multilabel_soft_margin_loss``'s ``weight`` weighs the
  class terms, as lossapi's ``class_weight``: every reduction.
- keras' hinge losses take the target first and average the last axis, then the batch:
  lossapi's ``"mean"`` on rows of equal length. ``categorical_hinge`` (the function) is
  per-element.
- sklearn's ``hinge_loss`` is the binary hinge for 1-D scores and the Crammer-Singer hinge
  for 2-D scores (``labels=range(C)``); its ``sample_weight`` gives lossapi's weighted mean.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _jnp, _keras, _np, _reduce, _torch

__all__ = ["FAMILY_COUNTERPARTS", "MARGIN_COUNTERPARTS"]

Inputs = Mapping[str, np.ndarray]
Options = Mapping[str, Any]

_KERAS_RTOL = 1e-6  # keras' JAX backend averages in float32 even for float64 inputs


def _labels_torch(a: np.ndarray) -> Any:
    import torch

    return torch.as_tensor(np.asarray(a, dtype=np.int64))


# Predicates (``options`` arrive with the loss's defaults filled in, case-only keys included) ---------
#
# The libraries put the class axis last: ``axis=1`` is only the same with 2-D scores (the
# ``ndim=1`` mappings). Binary targets other than floating signs (case-only ``"_target"``) are
# 0/1: optax and torch read a 0 target literally, keras and sklearn convert it to -1 as lossapi.


def _margin_one(o: Options) -> bool:
    return float(o.get("margin", 1.0)) == 1.0


def _signs(o: Options) -> bool:
    return o.get("_target", "signs") == "signs"


def _last_axis(o: Options) -> bool:
    return o.get("axis", -1) == -1


def _2d_axis(o: Options) -> bool:
    return o.get("axis", -1) in (-1, 1)


def _signs_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return _signs(o) and not weighted


def _optax_hinge_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return _margin_one(o) and _signs(o) and not weighted


def _unit_margin_mean_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return _margin_one(o) and reduction == "mean" and not weighted


def _unit_margin_mean(o: Options, reduction: str, weighted: bool) -> bool:
    return _margin_one(o) and reduction == "mean"


def _last_axis_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return _last_axis(o) and not weighted


def _2d_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return _2d_axis(o) and not weighted


def _crammer_singer_unit(o: Options) -> bool:
    return (o.get("variant", "crammer_singer") == "crammer_singer" and int(o.get("p", 1)) == 1
            and o.get("class_weight") is None and _margin_one(o))


def _optax_multiclass_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return _crammer_singer_unit(o) and _last_axis(o) and not weighted


def _sklearn_multiclass_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return _crammer_singer_unit(o) and _2d_axis(o) and reduction == "mean"


def _torch_multi_margin_ok(o: Options, reduction: str, weighted: bool) -> bool:
    # torch's weighted "mean" divides by N, lossapi's by the sum of the label weights.
    return (o.get("variant", "crammer_singer") == "weston_watkins" and _2d_axis(o) and not weighted
            and (o.get("class_weight") is None or reduction != "mean"))


def _keras_categorical_ok(o: Options, reduction: str, weighted: bool) -> bool:
    # keras takes one-hot targets (the case-only "_target": "labels" draws integer labels).
    return o.get("_target") != "labels" and _last_axis(o) and not weighted


# Callables --------------------------------------------------------------------------------------------


def _optax_binary(name: str) -> Callable[..., Any]:
    def fn(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        jnp = _jnp()
        import optax

        f = getattr(optax.losses, name)
        return _reduce(f(jnp.asarray(x["scores"]), jnp.asarray(x["target"])), reduction)

    return fn


def _optax_labels(name: str, first: str = "scores") -> Callable[..., Any]:
    def fn(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        jnp = _jnp()
        import optax

        f = getattr(optax.losses, name)
        return _reduce(f(jnp.asarray(x[first]), jnp.asarray(np.asarray(x["labels"], np.int64))), reduction)

    return fn


def _keras_binary(cls: str) -> Callable[..., Any]:
    def fn(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
        keras = _keras()
        return _np(getattr(keras.losses, cls)(dtype="float64")(x["target"], x["scores"]))

    return fn


def _keras_categorical_hinge(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    keras = _keras()
    return _reduce(keras.losses.categorical_hinge(_jnp().asarray(x["target"]), _jnp().asarray(x["scores"])),
                   reduction)


def _sk_hinge_binary(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import sklearn.metrics as m

    return _np(m.hinge_loss(np.asarray(x["target"]), np.asarray(x["scores"]), sample_weight=sw))


def _sk_hinge_multiclass(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import sklearn.metrics as m

    s = np.asarray(x["scores"], dtype=np.float64)
    return _np(m.hinge_loss(np.asarray(x["labels"]), s, labels=np.arange(s.shape[-1]), sample_weight=sw))


def _torch_soft_margin(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    s, t = _torch(x["scores"], x["target"])
    return _np(F.soft_margin_loss(s, t, reduction=reduction))


def _torch_multi_margin(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    (s,) = _torch(x["scores"])
    w = o.get("class_weight")
    weight = None if w is None else _torch(w)[0]
    return _np(F.multi_margin_loss(s, _labels_torch(x["labels"]), p=int(o.get("p", 1)),
                                   margin=float(o.get("margin", 1.0)), weight=weight, reduction=reduction))


def _torch_multilabel_soft_margin(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    s, t = _torch(x["logits"], x["target"])
    w = o.get("class_weight")
    weight = None if w is None else _torch(w)[0]
    return _np(F.multilabel_soft_margin_loss(s, t, weight=weight, reduction=reduction))


def _torch_multilabel_margin(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    (s,) = _torch(x["scores"])
    # torch refuses out-of-range entries even after the padding (lossapi ignores them there):
    # the case only puts labels in [-1, C) after it.
    return _np(F.multilabel_margin_loss(s, _labels_torch(x["labels"]), reduction=reduction))


MARGIN_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "hinge": [
        Counterpart("optax", _optax_binary("hinge_loss"), _optax_hinge_ok),
        Counterpart("keras", _keras_binary("Hinge"), _unit_margin_mean_unweighted, rtol=_KERAS_RTOL),
        Counterpart("sklearn", _sk_hinge_binary, _unit_margin_mean, ndim=1),
    ],
    "squared_hinge": [
        Counterpart("keras", _keras_binary("SquaredHinge"), _unit_margin_mean_unweighted, rtol=_KERAS_RTOL),
    ],
    "soft_margin": [Counterpart("torch", _torch_soft_margin, _signs_unweighted)],
    "perceptron": [Counterpart("optax", _optax_binary("perceptron_loss"), _signs_unweighted)],
    "multiclass_hinge": [
        Counterpart("optax", _optax_labels("multiclass_hinge_loss"), _optax_multiclass_ok),
        Counterpart("torch", _torch_multi_margin, _torch_multi_margin_ok, ndim=1),
        Counterpart("sklearn", _sk_hinge_multiclass, _sklearn_multiclass_ok, ndim=1),
    ],
    "categorical_hinge": [
        Counterpart("keras", _keras_categorical_hinge, _keras_categorical_ok, rtol=_KERAS_RTOL),
    ],
    "multiclass_perceptron": [
        Counterpart("optax", _optax_labels("multiclass_perceptron_loss"), _last_axis_unweighted),
    ],
    "sparsemax": [
        Counterpart("optax", _optax_labels("multiclass_sparsemax_loss", first="logits"), _2d_unweighted, ndim=1),
    ],
    "multilabel_soft_margin": [Counterpart("torch", _torch_multilabel_soft_margin, _last_axis_unweighted)],
    "multilabel_margin": [Counterpart("torch", _torch_multilabel_margin, _2d_unweighted, ndim=1)],
}

FAMILY_COUNTERPARTS = MARGIN_COUNTERPARTS
