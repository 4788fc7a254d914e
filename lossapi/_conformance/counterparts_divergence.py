"""Native counterparts of the divergences (torch, optax, keras).

Mappings (what the docstrings promise):

- torch ``F.kl_div(input=log_probs, target, log_target=)`` on 2-D ``(N, C)`` inputs (the check
  draws ``(9, C)``): lossapi's ``"mean"`` is torch's ``reduction="batchmean"``, ``"sum"`` is
  ``"sum"``, ``"none"`` is torch's ``"none"`` summed over the class axis. torch has no weights.
- optax ``kl_divergence`` / ``kl_divergence_with_log_targets`` / ``generalized_kl_divergence``
  return one value per distribution; lossapi's reductions and per-row weights are applied to
  them with lossapi's rule.
- keras ``kl_divergence(y_true=target, y_pred=exp(log_probs))`` clips both to ``[1e-7, 1]``
  (inactive for the case's distributions, every probability > 1e-3), probabilities only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _jnp, _keras, _np, _torch
from .counterparts_focal import weighted_reduce

__all__ = ["FAMILY_COUNTERPARTS"]

_KERAS_RTOL = 1e-6


def _torch_kl(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray | np.float64:
    import torch.nn.functional as F

    lq, t = _torch(x["log_probs"], x["target"])
    log_target = bool(o.get("log_target", False))
    if reduction == "none":
        return _np(F.kl_div(lq, t, reduction="none", log_target=log_target).sum(dim=-1))
    return _np(F.kl_div(lq, t, reduction="batchmean" if reduction == "mean" else "sum", log_target=log_target))


def _optax_kl(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray | np.float64:
    jnp = _jnp()
    import optax

    f = optax.losses.kl_divergence_with_log_targets if o.get("log_target", False) else optax.losses.kl_divergence
    return weighted_reduce(f(jnp.asarray(x["log_probs"]), jnp.asarray(x["target"])), reduction, sw)


def _optax_gkl(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray | np.float64:
    jnp = _jnp()
    import optax

    v = optax.losses.generalized_kl_divergence(jnp.asarray(x["log_probs"]), jnp.asarray(x["target"]))
    return weighted_reduce(v, reduction, sw)


def _keras_kl(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray | np.float64:
    keras = _keras()
    q = np.exp(np.asarray(x["log_probs"], dtype=np.float64))
    v = keras.losses.kl_divergence(np.asarray(x["target"], dtype=np.float64), q)
    return weighted_reduce(v, reduction, sw)


def _last_axis(o: Mapping[str, Any]) -> bool:
    return o.get("axis", -1) == -1


FAMILY_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "kl_divergence": [
        Counterpart("torch", _torch_kl, lambda o, r, w: not w and _last_axis(o), ndim=1),
        Counterpart("optax", _optax_kl, lambda o, r, w: _last_axis(o)),
        Counterpart("keras", _keras_kl, lambda o, r, w: _last_axis(o) and not o.get("log_target", False),
                    rtol=_KERAS_RTOL),
    ],
    "generalized_kl_divergence": [Counterpart("optax", _optax_gkl, lambda o, r, w: _last_axis(o))],
}
