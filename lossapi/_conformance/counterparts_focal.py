"""Native counterparts of the focal losses (optax, keras).

Mappings (what the docstrings promise):

- optax ``sigmoid_focal_loss(logits, labels, alpha=, gamma=)`` is elementwise; lossapi's
  ``"mean"``/``"sum"`` and per-row sample weights are applied to it with lossapi's rule
  (``sum(w l) / sum(w)``), which checks that lossapi broadcasts the weights as documented.
- keras ``categorical_focal_crossentropy(one_hot(labels), logits, alpha=, gamma=,
  from_logits=True)`` returns one value per distribution; keras always applies its ``alpha``
  (lossapi's ``alpha=None`` is keras' ``alpha=1``, a (C,) alpha is keras' per-class list).
  keras clips the probabilities to ``[1e-7, 1 - 1e-7]``, inactive for the case's logits. No
  class weights or ignored labels (keras has neither).
- torchvision's ``sigmoid_focal_loss`` is not installed here; its formula is the oracle
  (``oracles_focal.sigmoid_focal``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _jnp, _keras, _np, _reduce

__all__ = ["FAMILY_COUNTERPARTS", "weighted_reduce"]

_KERAS_RTOL = 1e-6


def weighted_reduce(values: Any, reduction: str, sw: np.ndarray | None) -> np.ndarray | np.float64:
    """lossapi's reduction of per-element ``values`` with per-row (first axis) weights ``sw``."""
    v = _np(values)
    if sw is None:
        return _reduce(v, reduction)
    w = np.broadcast_to(np.reshape(np.asarray(sw, dtype=np.float64), (-1,) + (1,) * (v.ndim - 1)), v.shape)
    if reduction == "none":
        return v * w
    if reduction == "sum":
        return np.sum(v * w)
    return np.sum(v * w) / np.sum(w)


def _optax_sigmoid_focal(
    x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any
) -> np.ndarray | np.float64:
    jnp = _jnp()
    import optax

    alpha = o.get("alpha")
    v = optax.losses.sigmoid_focal_loss(jnp.asarray(x["logits"]), jnp.asarray(x["target"]),
                                        alpha=None if alpha is None else float(alpha),
                                        gamma=float(o.get("gamma", 2.0)))
    return weighted_reduce(v, reduction, sw)


def _keras_softmax_focal(
    x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any
) -> np.ndarray | np.float64:
    keras = _keras()
    z = np.asarray(x["logits"], dtype=np.float64)
    onehot = np.eye(z.shape[-1])[np.asarray(x["labels"])]
    alpha = o.get("alpha")
    alpha = 1.0 if alpha is None else (np.asarray(alpha, dtype=np.float64).tolist()
                                       if np.ndim(alpha) else float(alpha))
    v = keras.losses.categorical_focal_crossentropy(onehot, z, alpha=alpha, gamma=float(o.get("gamma", 2.0)),
                                                    from_logits=True)
    return weighted_reduce(v, reduction, sw)


def _keras_ok(o: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return o.get("class_weight") is None and o.get("ignore_index") is None and o.get("axis", -1) == -1


FAMILY_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "sigmoid_focal": [Counterpart("optax", _optax_sigmoid_focal, lambda o, r, w: True)],
    "softmax_focal": [Counterpart("keras", _keras_softmax_focal, _keras_ok, rtol=_KERAS_RTOL)],
}
