"""Learning-to-rank losses over lists of scored items.

``scores`` and ``relevance`` have the same shape with the list axis at ``axis`` (-1 by
default); ``reduction="none"`` returns one loss per list (the shape without ``axis``), and
``"mean"`` averages over lists.

``where`` masks padding in either of two shapes, told apart by the number of dimensions:

- with as many dimensions as ``scores`` (broadcastable to it): a mask of *entries* (optax's
  ``where``). Excluded items take part in no pair and no softmax; a list without any valid
  entry is excluded from the reduction;
- with fewer dimensions (broadcastable to the per-list shape): a mask of *lists*.

Excluded entries (or lists) may hold NaN/inf scores and relevances: they reach neither the
value nor the gradient.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Array
from .._loss import PerElement, loss
from .._ops import amax, astype, log_softmax, softplus, stop_gradient
from ._lists import ListContext, Lists

__all__ = ["listnet", "ranknet"]

_SPACES = {"scores": "real", "relevance": "relevance"}


@loss(
    Lists(),
    family="ranking",
    inputs=_SPACES,
    formula="mean over pairs rel_i > rel_j of log(1 + exp(-(s_i - s_j))), per list",
    convex=True,
    smooth=True,
    probabilistic=True,
    value_rules={"relevance": "unchecked"},
)
def ranknet(c: ListContext, scores: Array, relevance: Array) -> Any:
    r"""RankNet: the pairwise logistic loss of Burges et al. (2005), averaged per list.

    For a list with scores :math:`s` and relevance :math:`r` along ``axis``, and its ordered
    pairs :math:`\mathcal{P} = \{(i, j) : r_i > r_j\}`:

    .. math::

        \ell = \frac{1}{|\mathcal{P}|} \sum_{(i, j) \in \mathcal{P}}
               \log\bigl(1 + e^{-(s_i - s_j)}\bigr)

    computed as a softplus (no overflow for any finite scores). A list without any such pair
    (all relevances equal, one item, everything padded) has loss 0 and weight 0: ``"mean"``
    averages over the lists that have pairs, like entries excluded by ``ignore_index``
    (:math:`\sum_l w_l [\mathcal{P}_l \ne \emptyset] \ell_l / \sum_l w_l [\mathcal{P}_l \ne
    \emptyset]`), and is 0 when no list has a pair.

    The pairs are an :math:`L \times L` comparison per list (memory :math:`O(L^2)` per list),
    so shapes stay static (``jax.jit``, ``torch.compile``, Dask).

    Parameters
    ----------
    scores : array
        Real floating scores with the list axis at ``axis``.
    relevance : array
        Graded relevance (floating, integer or boolean), the scores' shape (or broadcastable
        to it); only its order matters.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the scores' shape without ``axis``.

    Notes
    -----
    No torch/optax/keras function computes RankNet; TF-Ranking's ``PairwiseLogisticLoss``
    is the same pair term (it weights and normalizes pairs differently).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> s = np.array([[2.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    >>> r = np.array([[2, 0, 1], [1, 1, 1]])
    >>> # list 0: pairs (0,1), (0,2), (2,1) with score gaps 2, 1, 1: (log(1+e^-2) + 2 log(1+e^-1)) / 3
    >>> la.ranknet(s, r, reduction="none").round(6).tolist()
    [0.25115, 0.0]
    >>> round(float(la.ranknet(s, r)), 6)  # list 1 has no pair: weight 0
    0.25115
    """
    xp, ax = c.xp, c.axis
    # Item i at `ax`, item j at `ax + 1`.
    pair = xp.expand_dims(relevance, axis=ax + 1) > xp.expand_dims(relevance, axis=ax)
    if c.valid is not None:
        pair = pair & (xp.expand_dims(c.valid, axis=ax + 1) & xp.expand_dims(c.valid, axis=ax))
    terms = softplus(xp, xp.expand_dims(scores, axis=ax) - xp.expand_dims(scores, axis=ax + 1))
    total = xp.sum(xp.where(pair, terms, xp.zeros_like(terms)), axis=(ax, ax + 1))
    count = xp.sum(astype(xp, pair, c.dtype), axis=(ax, ax + 1))
    has = count > 0  # a list without a pair counts with weight 0
    loss = xp.where(has, total / xp.where(has, count, xp.ones_like(count)), xp.zeros_like(total))
    return PerElement(loss, weight=astype(xp, has, c.dtype), included=True)


@loss(
    Lists(),
    family="ranking",
    inputs=_SPACES,
    formula="-sum_i r_i log softmax(s)_i over the list",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={"optax": "optax.losses.ranking_softmax_loss(scores, relevance)"},
)
def listnet(c: ListContext, scores: Array, relevance: Array) -> Any:
    r"""ListNet-style softmax ranking loss, optax's ``ranking_softmax_loss``.

    .. math:: \ell(s, r) = -\sum_i r_i \log \frac{e^{s_i}}{\sum_j e^{s_j}}

    over the list ``axis``, with the relevance :math:`r` used as given (not normalized, as in
    optax: a list whose relevances are all 0 has loss 0 and still counts in ``"mean"``).

    Parameters
    ----------
    scores : array
        Real floating scores (logits) with the list axis at ``axis``.
    relevance : array
        Non-negative relevance labels (floating, integer or boolean), the scores' shape (or
        broadcastable to it).

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``; for ``"none"`` the scores' shape without ``axis``.

    Notes
    -----
    Equals ``optax.losses.ranking_softmax_loss(scores, relevance, where=where)`` (list axis
    last, entry mask): ``"mean"`` is optax's default ``reduce_fn=jnp.mean``, ``"sum"``
    ``reduce_fn=jnp.sum`` and ``"none"`` ``reduce_fn=None``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> s = np.array([[2.0, 1.0, 3.0]])
    >>> r = np.array([[1.0, 0.0, 0.0]])
    >>> round(float(la.listnet(s, r)), 6)  # -log(e^2 / (e + e^2 + e^3))
    1.407606
    """
    xp, ax, valid = c.xp, c.axis, c.valid
    if valid is None:
        return -xp.sum(relevance * log_softmax(xp, scores, axis=ax), axis=ax)
    # The softmax over the kept entries only, shifted by their (constant) maximum.
    zero = xp.zeros_like(scores)
    m = stop_gradient(xp, amax(xp, xp.where(valid, scores, xp.full_like(scores, -math.inf)), axis=ax, keepdims=True))
    shifted = scores - xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    total = xp.sum(xp.where(valid, xp.exp(xp.where(valid, shifted, zero)), zero), axis=ax, keepdims=True)
    log_z = xp.log(xp.where(total > 0, total, xp.ones_like(total)))
    return -xp.sum(xp.where(valid, relevance * (shifted - log_z), zero), axis=ax)
