"""Native counterparts of the reinforcement-learning losses.

``value_function`` is torch's ``mse_loss`` (``delta=None``) or ``huber_loss(delta=)``, without
weights (torch has no weighted mean). ``policy_gradient`` and ``ppo_clip`` exist as functions in
no library: none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _np, _torch, _unweighted

__all__ = ["FAMILY_COUNTERPARTS", "REINFORCEMENT_COUNTERPARTS"]


def _torch_value(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    v, ret = _torch(x["values"], x["returns"])
    if o.get("delta") is None:
        return _np(F.mse_loss(v, ret, reduction=reduction))
    return _np(F.huber_loss(v, ret, reduction=reduction, delta=float(o["delta"])))


REINFORCEMENT_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "value_function": [Counterpart("torch", _torch_value, _unweighted)],
}

FAMILY_COUNTERPARTS = REINFORCEMENT_COUNTERPARTS
