"""Native counterparts of the ranking losses (optax).

- ``listnet`` is ``optax.losses.ranking_softmax_loss(scores, relevance)`` with the list axis
  last: ``"mean"`` is optax's default ``reduce_fn=jnp.mean``, ``"sum"`` ``reduce_fn=jnp.sum``,
  ``"none"`` ``reduce_fn=None``. optax's ``weights`` are per item (they scale the relevance),
  not lossapi's per-list ``sample_weight``: weighted checks are not mapped. Entry masks
  (optax's ``where``) are compared in ``tests/test_ranking.py``.
- ``ranknet`` has no counterpart in torch, optax, keras or sklearn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _jnp, _np

__all__ = ["FAMILY_COUNTERPARTS", "RANKING_COUNTERPARTS"]

Inputs = Mapping[str, np.ndarray]
Options = Mapping[str, Any]


def _optax_listnet(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    fn = {"mean": jnp.mean, "sum": jnp.sum, "none": None}[reduction]
    return _np(optax.losses.ranking_softmax_loss(jnp.asarray(x["scores"]),
                                                 jnp.asarray(np.asarray(x["relevance"], dtype=np.float64)),
                                                 reduce_fn=fn))


def _last_axis_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return o.get("axis", -1) == -1 and not weighted


RANKING_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "listnet": [Counterpart("optax", _optax_listnet, _last_axis_unweighted)],
}

FAMILY_COUNTERPARTS = RANKING_COUNTERPARTS
