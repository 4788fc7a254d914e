"""Native counterparts of the embedding losses (torch, optax).

Mappings (what API.md promises, and where each stops):

- torch's ``cosine_embedding_loss``, ``margin_ranking_loss``, ``hinge_embedding_loss`` and
  ``triplet_margin_loss`` take the same inputs and reductions (no weights). torch's
  ``cosine_embedding_loss`` accepts ``(N, D)`` inputs with ``(N,)`` targets only (``ndim=1``)
  and adds a fixed ``EPSILON = 1e-12`` to the squared norms (lossapi's default ``eps``); its
  ``triplet_margin_loss`` and ``pairwise_distance`` use the last axis and require
  ``margin > 0``. Targets go to torch as floating +-1 (or the literal mixed values): torch
  cannot negate boolean targets, and reads a boolean False as 0, not -1.
- ``cosine_distance``: ``1 - torch.nn.functional.cosine_similarity(pred, target, dim=axis,
  eps=eps)`` and ``optax.losses.cosine_distance(pred, target, epsilon=eps**2, axis=axis)``
  (optax floors the squared norm).
- optax's ``triplet_margin_loss`` is ``eps_placement="root"`` for even ``p`` (it raises the
  signed difference to the power ``p``), without ``swap``; optax's ``ntxent`` is the
  ``"mean"`` of lossapi's ``ntxent`` on ``(B, D)`` embeddings (``ndim=1``). optax losses
  are per element; ``"mean"``/``"sum"`` reduce them with NumPy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _jnp, _np, _reduce, _torch

__all__ = ["EMBEDDING_COUNTERPARTS", "FAMILY_COUNTERPARTS"]

Inputs = Mapping[str, np.ndarray]
Options = Mapping[str, Any]


def _signs(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t)
    return np.where(t, 1.0, -1.0) if t.dtype == bool else t.astype(np.float64)


def _last_axis(o: Options) -> bool:
    return o.get("axis", -1) == -1


# -- cosine ---------------------------------------------------------------------------------------------


def _torch_cosine_distance(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    a, b = _torch(x["pred"], x["target"])
    return _reduce(1 - F.cosine_similarity(a, b, dim=int(o.get("axis", -1)), eps=float(o.get("eps", 1e-8))),
                   reduction)


def _optax_cosine_distance(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    eps = float(o.get("eps", 1e-8))
    out = optax.losses.cosine_distance(jnp.asarray(x["pred"]), jnp.asarray(x["target"]), epsilon=eps**2,
                                       axis=int(o.get("axis", -1)))
    return _reduce(out, reduction)


def _unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return not weighted


def _torch_cosine_embedding(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    a, b, t = _torch(x["x1"], x["x2"], _signs(x["target"]))
    return _np(F.cosine_embedding_loss(a, b, t, margin=float(o.get("margin", 0.0)), reduction=reduction))


def _torch_cosine_embedding_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return not weighted and o.get("axis", -1) in (-1, 1) and float(o.get("eps", 1e-12)) == 1e-12


# -- triplet --------------------------------------------------------------------------------------------


def _torch_triplet(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    a, p, n = _torch(x["anchor"], x["positive"], x["negative"])
    return _np(F.triplet_margin_loss(a, p, n, margin=float(o.get("margin", 1.0)), p=float(o.get("p", 2)),
                                     eps=float(o.get("eps", 1e-6)), swap=bool(o.get("swap", False)),
                                     reduction=reduction))


def _torch_triplet_ok(o: Options, reduction: str, weighted: bool) -> bool:
    return (not weighted and _last_axis(o) and o.get("eps_placement", "difference") == "difference"
            and float(o.get("margin", 1.0)) > 0)


def _optax_triplet(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    out = optax.losses.triplet_margin_loss(jnp.asarray(x["anchor"]), jnp.asarray(x["positive"]),
                                           jnp.asarray(x["negative"]), axis=int(o.get("axis", -1)),
                                           norm_degree=o.get("p", 2), margin=float(o.get("margin", 1.0)),
                                           eps=float(o.get("eps", 1e-6)))
    return _reduce(out, reduction)


def _optax_triplet_ok(o: Options, reduction: str, weighted: bool) -> bool:
    p = o.get("p", 2)
    return (not weighted and o.get("eps_placement", "difference") == "root" and not o.get("swap", False)
            and float(p) == int(p) and int(p) % 2 == 0)


# -- elementwise ----------------------------------------------------------------------------------------


def _torch_margin_ranking(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    a, b, t = _torch(x["x1"], x["x2"], _signs(x["target"]))
    return _np(F.margin_ranking_loss(a, b, t, margin=float(o.get("margin", 0.0)), reduction=reduction))


def _torch_hinge_embedding(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch.nn.functional as F

    d, t = _torch(x["distances"], _signs(x["target"]))
    return _np(F.hinge_embedding_loss(d, t, margin=float(o.get("margin", 1.0)), reduction=reduction))


# -- NT-Xent --------------------------------------------------------------------------------------------


def _optax_ntxent(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    return _np(optax.losses.ntxent(jnp.asarray(x["embeddings"]), jnp.asarray(np.asarray(x["labels"], np.int64)),
                                   temperature=float(o.get("temperature", 0.07))))


def _mean_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return reduction == "mean" and not weighted


EMBEDDING_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "cosine_distance": [
        Counterpart("torch", _torch_cosine_distance, _unweighted),
        Counterpart("optax", _optax_cosine_distance, _unweighted),
    ],
    "cosine_embedding": [Counterpart("torch", _torch_cosine_embedding, _torch_cosine_embedding_ok, ndim=1)],
    "triplet_margin": [
        Counterpart("torch", _torch_triplet, _torch_triplet_ok),
        Counterpart("optax", _optax_triplet, _optax_triplet_ok),
    ],
    "margin_ranking": [Counterpart("torch", _torch_margin_ranking, _unweighted)],
    "hinge_embedding": [Counterpart("torch", _torch_hinge_embedding, _unweighted)],
    "ntxent": [Counterpart("optax", _optax_ntxent, _mean_unweighted, ndim=1)],
}

FAMILY_COUNTERPARTS = EMBEDDING_COUNTERPARTS
