"""Conformance cases of the ranking losses (``lossapi.losses.ranking``).

The requested (per-list) shape gets a list axis of ``L = 5`` items inserted at
``options.get("axis", -1)``. Scores are standard normal; relevance is drawn per the case-only
option ``"_rel"``: ``"int"`` (grades 0-2, int64), ``"float"`` (uniform in [0, 3) for RankNet,
[0, 1) for ListNet), ``"binary"`` (0/1 int64), ``"bool"``, ``"uint8"`` (grades 0-2).

RankNet's ``"mean"`` weighs lists without a pair 0 (``reduce_oracle``); ListNet's is the plain
mean over lists (with a per-list ``where``). Entry masks (``where`` of the scores' shape) are
tested in ``tests/test_ranking.py``, against optax and the oracles' ``valid`` argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_ranking as orank
from .cases import Case, Edge, class_axis_of

__all__ = ["FAMILY_CASES", "RANKING_CASES"]

_L = 5

Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]


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
    return {"scores": np.asarray(s, dtype=np.float64), "relevance": r if r.dtype.kind in "iub" else
            np.asarray(r, dtype=np.float64)}


_S = [[0.3, -1.2, 0.8, 0.5, 2.0], [1.0, 0.0, -0.5, 0.25, 0.7]]

_RANKNET = Case(
    name="ranknet",
    make_inputs=_inputs("int", 3.0),
    oracle=orank.ranknet,
    reduce_oracle=orank.reduce_ranknet,
    options=({}, {"axis": 0}, {"_rel": "float"}, {"_rel": "bool", "axis": 1}, {"_rel": "uint8"}, {"_rel": "binary"}),
    differentiable=("scores",),
    edges=(
        Edge("equal relevance (no pairs)", _sr(_S, [[1, 1, 1, 1, 1], [2, 0, 1, 0, 2]])),
        Edge("no list has a pair", _sr(_S, [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])),
        Edge("single-item lists", _sr([[0.3], [2.0]], [[1], [0]])),
        Edge("tied scores", _sr([[1.0, 1.0, 1.0, 1.0, 1.0]], [[2, 0, 1, 0, 2]])),
        Edge("large score gaps", _sr([[1e3, -1e3, 0.0, 30.0, -30.0]], [[0, 2, 1, 2, 0]])),
        Edge("float relevance", _sr(_S, [[0.5, 0.25, 0.75, 0.0, 1.0], [0.1, 0.1, 0.9, 0.3, 0.2]])),
        Edge("int32 relevance, list axis 0", _sr(np.array(_S).T, np.array([[2, 0, 1, 0, 2], [1, 1, 0, 2, 0]], np.int32).T),
             {"axis": 0}),
    ),
    cancels=True,
)

_LISTNET = Case(
    name="listnet",
    make_inputs=_inputs("float", 1.0),
    oracle=orank.listnet,
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
        Edge("int32 grades, list axis 0", _sr(np.array(_S).T, np.array([[2, 0, 1, 0, 2], [1, 1, 0, 2, 0]], np.int32).T),
             {"axis": 0}),
    ),
    cancels=True,
)

#: name -> Case for every ranking loss.
RANKING_CASES: dict[str, Case] = {c.name: c for c in (_RANKNET, _LISTNET)}

FAMILY_CASES = RANKING_CASES
