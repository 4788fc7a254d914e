"""Conformance of the ranking losses (``lossapi.losses.ranking``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracles of the ranking losses (``lossapi.losses.ranking``).

Written from the definitions, one list at a time, never calling lossapi: RankNet (Burges et
al., 2005) as the mean over a list's ordered pairs of the logistic loss, ListNet-style softmax
cross-entropy as optax's ``ranking_softmax_loss`` (relevance not normalized). The list axis is
``axis`` (default -1); the oracles return one value per list.

``where`` (for the reduce oracles) is either an entry mask (as many dimensions as the scores)
or a list mask (the per-list shape), as in lossapi.

Cases
-----
Conformance cases of the ranking losses (``lossapi.losses.ranking``).

The requested (per-list) shape gets a list axis of ``L = 5`` items inserted at
``options.get("axis", -1)``. Scores are standard normal; relevance is drawn per the case-only
option ``"_rel"``: ``"int"`` (grades 0-2, int64), ``"float"`` (uniform in [0, 3) for RankNet,
[0, 1) for ListNet), ``"binary"`` (0/1 int64), ``"bool"``, ``"uint8"`` (grades 0-2).

RankNet's ``"mean"`` weighs lists without a pair 0 (``reduce_oracle``); ListNet's is the plain
mean over lists (with a per-list ``where``). Entry masks (``where`` of the scores' shape) are
tested in ``tests/test_ranking.py``, against optax and the oracles' ``valid`` argument.

Counterparts
------------
Native counterparts of the ranking losses (optax).

- ``listnet`` is ``optax.losses.ranking_softmax_loss(scores, relevance)`` with the list axis
  last: ``"mean"`` is optax's default ``reduce_fn=jnp.mean``, ``"sum"`` ``reduce_fn=jnp.sum``,
  ``"none"`` ``reduce_fn=None``. optax's ``weights`` are per item (they scale the relevance),
  not lossapi's per-list ``sample_weight``: weighted checks are not mapped. Entry masks
  (optax's ``where``) are compared in ``tests/test_ranking.py``.
- ``ranknet`` has no counterpart in torch, optax, keras or sklearn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz, class_axis_of
from ..counterparts import Counterpart, _jnp, _np
from ..fuzz import BIG

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "listnet",
    "listnet_terms",
    "ranknet",
    "ranknet_terms",
    "reduce_listnet",
    "reduce_ranknet",
]

#: A case's drawn inputs (input name -> NumPy array).
Inputs = dict[str, np.ndarray]
#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]
#: What a counterpart receives: the drawn inputs (read-only).
Arrays = Mapping[str, np.ndarray]


# ==================================================================================================
# Oracles
# ==================================================================================================


def _lists(scores: Any, relevance: Any, axis: int, valid: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    ax = axis % s.ndim
    r = np.broadcast_to(np.asarray(relevance).astype(np.float64), s.shape)
    v = np.ones(s.shape, dtype=bool) if valid is None else np.broadcast_to(np.asarray(valid, dtype=bool), s.shape)
    return np.moveaxis(s, ax, -1), np.moveaxis(r, ax, -1), np.moveaxis(v, ax, -1)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def ranknet_terms(scores: Any, relevance: Any, axis: int = -1, valid: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Per list: the mean over valid pairs ``r_i > r_j`` of ``log(1 + exp(-(s_i - s_j)))`` (0
    without pairs), and whether the list has a pair."""
    s, r, v = _lists(scores, relevance, axis, valid)
    shape = s.shape[:-1]
    loss, has = np.zeros(shape), np.zeros(shape, dtype=bool)
    for idx in np.ndindex(shape):
        si, ri, vi = s[idx], r[idx], v[idx]
        terms = [
            _softplus(-(si[i] - si[j]))
            for i in range(si.size)
            for j in range(si.size)
            if vi[i] and vi[j] and ri[i] > ri[j]
        ]
        if terms:
            loss[idx] = sum(terms) / len(terms)
            has[idx] = True
    return loss, has


def ranknet(scores: Any, relevance: Any, axis: int = -1) -> np.ndarray:
    """Per-list RankNet loss (``reduction="none"``)."""
    return ranknet_terms(scores, relevance, axis)[0]


def listnet_terms(scores: Any, relevance: Any, axis: int = -1, valid: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Per list: ``-sum_i r_i log softmax(s)_i`` over the valid items, and whether any item is valid."""
    s, r, v = _lists(scores, relevance, axis, valid)
    shape = s.shape[:-1]
    loss, has = np.zeros(shape), np.zeros(shape, dtype=bool)
    for idx in np.ndindex(shape):
        items = [(float(a), float(b)) for a, b, ok in zip(s[idx], r[idx], v[idx]) if ok]
        if not items:
            continue
        m = max(a for a, _ in items)
        lse = m + math.log(sum(math.exp(a - m) for a, _ in items))
        loss[idx] = -sum(b * (a - lse) for a, b in items)
        has[idx] = True
    return loss, has


def listnet(scores: Any, relevance: Any, axis: int = -1) -> np.ndarray:
    """Per-list softmax ranking loss (``reduction="none"``)."""
    return listnet_terms(scores, relevance, axis)[0]


def _reduce(
    terms: Any,
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
    weigh_by_has: bool,
) -> np.ndarray:
    s = np.asarray(inputs["scores"])
    axis = options.get("axis", -1)
    entry = where is not None and np.ndim(where) == s.ndim
    loss, has = terms(s, inputs["relevance"], axis, where if entry else None)
    w = np.ones(loss.shape)
    if sample_weight is not None:
        w = w * np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), loss.shape)
    if where is not None:
        keep = has if entry else np.broadcast_to(np.asarray(where, dtype=bool), loss.shape)
        w = np.where(keep, w, 0.0)
        loss = np.where(keep, loss, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(w * has) if weigh_by_has else np.sum(w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den


def reduce_ranknet(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray:
    """Reduced RankNet: lists without a pair weigh 0 in ``"mean"``."""
    return _reduce(ranknet_terms, inputs, options, reduction, sample_weight, where, True)


def reduce_listnet(
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> np.ndarray:
    """Reduced softmax ranking loss; an entry mask drops the lists without a valid item (optax)."""
    return _reduce(listnet_terms, inputs, options, reduction, sample_weight, where, False)


# ==================================================================================================
# Cases
# ==================================================================================================

_L = 5


def _to_axis(x: np.ndarray, options: Options) -> np.ndarray:
    return np.moveaxis(x, -1, class_axis_of(options, x.ndim))


def _relevance(rng: np.random.Generator, shape: tuple[int, ...], kind: str, top: float) -> np.ndarray:
    if kind == "float":
        return rng.uniform(0.0, top, shape)
    if kind == "binary":
        return rng.integers(0, 2, shape)
    if kind == "bool":
        return rng.random(shape) < 0.5
    grades = rng.integers(0, 3, shape)
    return grades.astype(np.uint8) if kind == "uint8" else grades


def _inputs(default: str, top: float) -> Any:
    def make(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
        full = (*shape, _L)
        s = rng.normal(0.0, 1.0, full)
        r = _relevance(rng, full, options.get("_rel", default), top)
        return {"scores": _to_axis(s, options), "relevance": _to_axis(r, options)}

    return make


def _sr(s: Any, r: Any) -> Inputs:
    r = np.asarray(r)
    return {
        "scores": np.asarray(s, dtype=np.float64),
        "relevance": r if r.dtype.kind in "iub" else np.asarray(r, dtype=np.float64),
    }


_S = [[0.3, -1.2, 0.8, 0.5, 2.0], [1.0, 0.0, -0.5, 0.25, 0.7]]


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _perfect_ranknet(x: Inputs, o: Options) -> Inputs:
    r = np.asarray(x["relevance"]).astype(np.float64)
    ax = class_axis_of(o, r.ndim)
    rl = np.moveaxis(r, ax, -1)
    # Items scored BIG * (number of items strictly less relevant): every ordered pair is
    # separated by at least BIG.
    below = np.sum(rl[..., :, None] > rl[..., None, :], axis=-1).astype(np.float64)
    return {**x, "scores": np.moveaxis(BIG * below, -1, ax)}


def _ranknet_has_pair(x: Inputs, o: Options) -> np.ndarray:
    r = np.asarray(x["relevance"]).astype(np.float64)
    ax = class_axis_of(o, r.ndim)
    return (np.max(r, axis=ax) > np.min(r, axis=ax)).astype(np.float64)


# -- plot sweeps shared by several losses -----------------------------------------------------------

#: The plot sweep of both ranking losses.
_SCORE_GAP_SWEEP = sweeps.Sweep(
    lo=-4.0,
    hi=4.0,
    xlabel="score gap s_relevant - s_other",
    axis="score gap",
    description="one list of 2 items: scores (x, 0), relevance (1, 0)",
    build=lambda xp, x: (sweeps.cols(xp, x, x, 0.0), sweeps.cols(xp, x, 1.0, 0.0)),
)


_RANKNET = Case(
    name="ranknet",
    make_inputs=_inputs("int", 3.0),
    oracle=ranknet,
    reduce_oracle=reduce_ranknet,
    options=({}, {"axis": 0}, {"_rel": "float"}, {"_rel": "bool", "axis": 1}, {"_rel": "uint8"}, {"_rel": "binary"}),
    differentiable=("scores",),
    edges=(
        Edge("equal relevance (no pairs)", _sr(_S, [[1, 1, 1, 1, 1], [2, 0, 1, 0, 2]])),
        Edge("no list has a pair", _sr(_S, [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])),
        Edge("single-item lists", _sr([[0.3], [2.0]], [[1], [0]])),
        Edge("tied scores", _sr([[1.0, 1.0, 1.0, 1.0, 1.0]], [[2, 0, 1, 0, 2]])),
        Edge("large score gaps", _sr([[1e3, -1e3, 0.0, 30.0, -30.0]], [[0, 2, 1, 2, 0]])),
        Edge("float relevance", _sr(_S, [[0.5, 0.25, 0.75, 0.0, 1.0], [0.1, 0.1, 0.9, 0.3, 0.2]])),
        Edge(
            "int32 relevance, list axis 0",
            _sr(np.array(_S).T, np.array([[2, 0, 1, 0, 2], [1, 1, 0, 2, 0]], np.int32).T),
            {"axis": 0},
        ),
    ),
    cancels=True,
    sweep=_SCORE_GAP_SWEEP,
    fuzz=Fuzz(
        perfect=_perfect_ranknet,
        mean_rule="lists without a pair (all relevances equal) weigh 0",
        mean_weight=_ranknet_has_pair,
    ),
)

_LISTNET = Case(
    name="listnet",
    make_inputs=_inputs("float", 1.0),
    oracle=listnet,
    options=({}, {"axis": 0}, {"_rel": "int"}, {"_rel": "binary", "axis": 1}, {"_rel": "bool"}, {"_rel": "uint8"}),
    # The relevance enters linearly; its gradient (and integer relevances, which finite
    # differences cannot step) is checked against optax in tests/test_ranking.py.
    differentiable=("scores",),
    edges=(
        Edge("all-zero relevance (loss 0)", _sr(_S, [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0]])),
        Edge("one-hot relevance", _sr(_S, [[0.0, 0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])),
        Edge("equal scores", _sr([[0.5, 0.5, 0.5, 0.5, 0.5]], [[1.0, 0.0, 2.0, 0.0, 0.5]])),
        Edge("saturated scores", _sr([[1e3, -1e3, 0.0, 30.0, -30.0]], [[0.0, 1.0, 0.5, 0.0, 1.0]])),
        Edge("single-item lists", _sr([[0.3], [2.0]], [[1.0], [0.0]])),
        Edge(
            "int32 grades, list axis 0",
            _sr(np.array(_S).T, np.array([[2, 0, 1, 0, 2], [1, 1, 0, 2, 0]], np.int32).T),
            {"axis": 0},
        ),
    ),
    cancels=True,
    sweep=_SCORE_GAP_SWEEP,
    fuzz=Fuzz(
        no_perfect="cross-entropy -sum r_i log softmax(s)_i against unnormalised relevance: its minimum is not 0",
    ),
)

#: name -> Case for every ranking loss.
CASES: dict[str, Case] = {c.name: c for c in (_RANKNET, _LISTNET)}


# ==================================================================================================
# Counterparts
# ==================================================================================================


def _optax_listnet(x: Arrays, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    fn = {"mean": jnp.mean, "sum": jnp.sum, "none": None}[reduction]
    return _np(
        optax.losses.ranking_softmax_loss(
            jnp.asarray(x["scores"]), jnp.asarray(np.asarray(x["relevance"], dtype=np.float64)), reduce_fn=fn
        )
    )


def _last_axis_unweighted(o: Options, reduction: str, weighted: bool) -> bool:
    return o.get("axis", -1) == -1 and not weighted


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "listnet": [Counterpart("optax", _optax_listnet, _last_axis_unweighted)],
}
