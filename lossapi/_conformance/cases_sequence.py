"""Conformance case of the sequence losses (CTC).

The requested per-element shape is the batch shape (the "none" shape is one loss per
sequence): ``log_probs`` is ``(*shape, T, C)`` (``(T, *shape, C)`` time-major), ``labels``
``(*shape, S)``, the lengths ``shape``. Frames and labels are short (``T = 5``, ``S = 3``,
``C = 4``) because the recursion is a loop over frames. Random inputs always admit an
alignment (``input_length >= label_length + repeats``), with varied lengths and frequent
repeated labels; impossible alignments are edges (with ``zero_infinity=True``: loss 0).
``time_major`` appears only in an edge: a time-major batch cannot be vmapped over its
leading axis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_sequence as O
from .cases import Case, Edge

__all__ = ["FAMILY_CASES"]

Options = Mapping[str, Any]
_T, _S, _C = 5, 3, 4


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def _draw(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> dict[str, np.ndarray]:
    blank = int(options.get("blank", 0))
    shape = tuple(shape)
    lp = _log_softmax(rng.normal(size=(*shape, _T, _C)) * 1.5)
    others = np.array([c for c in range(_C) if c != blank])
    labels = others[rng.integers(0, len(others), size=(*shape, _S))]
    ll = rng.integers(0, _S + 1, size=shape)
    rep = np.zeros(shape, dtype=np.int64)
    for k in range(1, _S):  # repeats within the valid labels need a blank in between
        rep = rep + ((labels[..., k] == labels[..., k - 1]) & (k < ll))
    need = ll + rep
    il = need + (rng.integers(0, _T + 1, size=shape) % (_T - need + 1))
    dt = options.get("_labels", "int64")
    if options.get("time_major", False):
        lp = np.moveaxis(lp, -2, 0)
    return {"log_probs": lp, "labels": labels.astype(dt), "input_lengths": il.astype(np.int64),
            "label_lengths": ll.astype(np.int64)}


def _edge(lp: Any, labels: Any, il: Any, ll: Any, dt: Any = np.int64) -> dict[str, np.ndarray]:
    return {"log_probs": np.asarray(lp, dtype=np.float64), "labels": np.asarray(labels, dtype=dt),
            "input_lengths": np.asarray(il, dtype=np.int64), "label_lengths": np.asarray(ll, dtype=np.int64)}


_LP = _log_softmax(np.random.default_rng(5).normal(size=(2, 4, 3)))

_CTC = Case(
    name="ctc",
    make_inputs=_draw,
    oracle=O.ctc,
    options=(
        {},
        {"blank": 2, "zero_infinity": True, "_labels": "int32"},
    ),
    differentiable=("log_probs",),
    reduce_oracle=O.reduce_ctc,
    edges=(
        # "aa" needs a blank in between: 3 frames are exactly enough (a, blank, a).
        Edge("repeat exactly aligned", _edge(_LP[:1, :3], [[1, 1]], [3], [2])),
        Edge("empty labels, empty input", _edge(_LP, [[1, 2], [2, 1]], [0, 4], [0, 0])),
        # Label "aa" in 2 frames is impossible: zero_infinity gives 0 (gradient 0).
        Edge("impossible alignment, zero_infinity", _edge(_LP, [[1, 1], [1, 2]], [2, 4], [2, 2]),
             {"zero_infinity": True}),
        Edge("time-major, uint8 labels", _edge(np.moveaxis(_LP, 1, 0), [[1, 2], [2, 2]], [4, 3], [2, 1], np.uint8),
             {"time_major": True}),
    ),
)

FAMILY_CASES = {"ctc": _CTC}
