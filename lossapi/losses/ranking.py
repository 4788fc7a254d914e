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

from .._catalog import register
from .._errors import ShapeMismatchError
from .._ops import amax, astype, log_softmax, softplus, stop_gradient
from .._validation import broadcast_shapes, check_where
from ._classes import finish_classes, resolve_classes, setup_classes

__all__ = ["listnet", "ranknet"]

_SPACES = {"scores": "real", "relevance": "relevance"}


def _setup(fn: str, scores: Any, relevance: Any, *, axis: int, sample_weight: Any, where: Any, reduction: str,
           xp: Any) -> tuple[Any, Any, Any, Any, Any]:
    """``(prepared, scores, relevance, valid entries or None, per-list where)``.

    Per-entry masks are applied here (excluded entries set to 0 in the scores and the
    relevance); per-list masks go through ``setup_classes``.
    """
    names = "scores relevance sample_weight where"
    if xp is None:
        xp = resolve_classes(fn, names, reduction, scores, relevance, sample_weight, where)
    per_entry = where is not None and hasattr(scores, "ndim") and where.ndim == scores.ndim and scores.ndim > 0
    pc = setup_classes(fn, names, scores, relevance, axis=axis, sample_weight=sample_weight,
                       where=None if per_entry else where, reduction=reduction, xp=xp, labels="float")
    x, r = pc.x, pc.target
    if tuple(r.shape) != tuple(x.shape):
        r = xp.broadcast_to(r, tuple(x.shape))
    if not per_entry:
        return pc, x, r, None, where
    check_where(fn, where)
    full = broadcast_shapes(tuple(where.shape), tuple(x.shape))
    if full is None or tuple(full) != tuple(x.shape):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `where` has shape {tuple(where.shape)}: a per-entry mask (as many dimensions as "
            f"`scores`) must broadcast to the scores' shape {tuple(x.shape)}; a per-list mask has the shape "
            "without the list axis."
        )
    valid = where if tuple(where.shape) == tuple(x.shape) else xp.broadcast_to(where, tuple(x.shape))
    zero = xp.zeros_like(x)
    x = xp.where(valid, x, zero)
    r = xp.where(valid, r, zero)
    return pc, x, r, valid, xp.any(valid, axis=pc.axis)


@register(
    family="ranking",
    task="ranking",
    input_spaces=_SPACES,
    formula="mean over pairs rel_i > rel_j of log(1 + exp(-(s_i - s_j))), per list",
    convex=True,
    smooth=True,
    probabilistic=True,
)
def ranknet(
    scores: Any,
    relevance: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight : array, optional
        Per-list weights, broadcastable to the per-list shape (the scores' shape without
        ``axis``).
    where : bool array, optional
        Entry mask (as many dimensions as ``scores``) or list mask (fewer); see the module
        notes. Excluded items/lists may hold NaN/inf.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the per-list loss.
    axis : int, default -1
        List axis.
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

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
    fn = "ranknet"
    pc, x, r, valid, list_where = _setup(fn, scores, relevance, axis=axis, sample_weight=sample_weight, where=where,
                                         reduction=reduction, xp=xp)
    xp = pc.xp
    ax = pc.axis
    # Item i at `ax`, item j at `ax + 1`.
    x_i, x_j = xp.expand_dims(x, axis=ax + 1), xp.expand_dims(x, axis=ax)
    pair = xp.expand_dims(r, axis=ax + 1) > xp.expand_dims(r, axis=ax)
    if valid is not None:
        pair = pair & (xp.expand_dims(valid, axis=ax + 1) & xp.expand_dims(valid, axis=ax))
    terms = softplus(xp, x_j - x_i)
    total = xp.sum(xp.where(pair, terms, xp.zeros_like(terms)), axis=(ax, ax + 1))
    count = xp.sum(astype(xp, pair, pc.dtype), axis=(ax, ax + 1))
    has = count > 0
    loss = xp.where(has, total / xp.where(has, count, xp.ones_like(count)), xp.zeros_like(total))
    return finish_classes(pc, loss, reduction, fn=fn, sample_weight=sample_weight, where=list_where,
                          weight=astype(xp, has, pc.dtype), weighted_loss=True)


@register(
    family="ranking",
    task="ranking",
    input_spaces=_SPACES,
    formula="-sum_i r_i log softmax(s)_i over the list",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={"optax": "optax.losses.ranking_softmax_loss(scores, relevance)"},
)
def listnet(
    scores: Any,
    relevance: Any,
    /,
    *,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    axis: int = -1,
    xp: Any = None,
) -> Any:
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
    sample_weight, where, reduction, axis, xp
        As for :func:`ranknet`. With an entry mask, excluded items leave the softmax, and
        lists without a valid item leave the reduction (optax's ``where``).

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
    fn = "listnet"
    pc, x, r, valid, list_where = _setup(fn, scores, relevance, axis=axis, sample_weight=sample_weight, where=where,
                                         reduction=reduction, xp=xp)
    xp = pc.xp
    ax = pc.axis
    if valid is None:
        loss = -xp.sum(r * log_softmax(xp, x, axis=ax), axis=ax)
    else:
        zero = xp.zeros_like(x)
        m = stop_gradient(xp, amax(xp, xp.where(valid, x, xp.full_like(x, -math.inf)), axis=ax, keepdims=True))
        m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
        shifted = x - m
        e = xp.where(valid, xp.exp(xp.where(valid, shifted, zero)), zero)
        total = xp.sum(e, axis=ax, keepdims=True)
        log_z = xp.log(xp.where(total > 0, total, xp.ones_like(total)))
        loss = -xp.sum(xp.where(valid, r * (shifted - log_z), zero), axis=ax)
    return finish_classes(pc, loss, reduction, fn=fn, sample_weight=sample_weight, where=list_where)
