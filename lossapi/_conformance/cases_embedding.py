"""Conformance cases of the embedding losses (``lossapi.losses.embedding``).

Vector losses (``cosine_distance``, ``cosine_embedding``, ``contrastive``, ``triplet_margin``)
draw ``D = 4`` features with the feature axis inserted at ``options.get("axis", -1)``; their
targets have the per-element shape. ``margin_ranking`` and ``hinge_embedding`` are
elementwise. ``ntxent`` maps the requested shape ``(..., B)`` to ``(..., B)`` batches of
``B`` embeddings (``D = 3``) with group labels in ``[0, max(1, B // 2))``: leading
dimensions are independent batches, and ``reduce_oracle`` excludes padded rows both as
anchors and as candidates.

Random inputs stay at least ``_GAP`` away from every kink (hinges at 0, ties of a swap or of
a maximum norm, zero components of an L1 difference, norms at the cosine floor). Edges visit
the special points the issue names: coincident embeddings, zero vectors, ``eps = 0``,
anchors without positives or negatives, targets other than +-1.

Case-only options: ``"_target"`` picks the encoding of signed targets: ``"signs"`` (floating
+-1, default), ``"int"`` (int64 +-1), ``"bool"``, ``"mixed"`` (floating, with 0 and 2 among
them: torch's "other values"); ``"_similar"`` the contrastive target: ``"float"`` (0/1,
default), ``"int"``, ``"bool"``, ``"soft"`` (uniform in [0, 1]); ``"_labels"`` the integer
dtype of NT-Xent labels (default int64).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import oracles_embedding as oe
from .cases import Case, Edge, class_axis_of

__all__ = ["EMBEDDING_CASES", "FAMILY_CASES"]

_GAP = 1e-2
_TRIES = 1000
_D = 4

Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _to_axis(x: np.ndarray, options: Options) -> np.ndarray:
    """``x`` (features last) with the feature axis moved to ``options["axis"]``."""
    return np.moveaxis(x, -1, class_axis_of(options, x.ndim))


def _redraw(rng: np.random.Generator, draw: Callable[[tuple[int, ...]], Inputs], bad: Callable[[Inputs], np.ndarray],
            shape: tuple[int, ...]) -> Inputs:
    """``draw(shape)`` with the elements where ``bad(inputs)`` (per-element bool) redrawn."""
    x = draw(shape)
    for _ in range(_TRIES):
        b = bad(x)
        if not b.any():
            return x
        y = draw(shape)
        x = {k: np.where(b.reshape(b.shape + (1,) * (v.ndim - b.ndim)), y[k], v) for k, v in x.items()}
    raise RuntimeError("could not draw inputs away from the kinks")  # pragma: no cover


def _signed(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> np.ndarray:
    kind = options.get("_target", "signs")
    if kind == "mixed":
        return rng.choice([-1.0, 1.0, 0.0, 2.0], size=shape, p=[0.4, 0.4, 0.1, 0.1])
    t = rng.choice([-1.0, 1.0], size=shape)
    if kind == "int":
        return t.astype(np.int64)
    if kind == "bool":
        return t > 0
    return t


def _sign_values(t: np.ndarray) -> np.ndarray:
    return np.where(t, 1.0, -1.0) if t.dtype == bool else t.astype(np.float64)


# -- cosine ---------------------------------------------------------------------------------------------


def _cosine_distance_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    eps = float(options.get("eps", 1e-8))

    def draw(s: tuple[int, ...]) -> Inputs:
        return {"pred": rng.normal(0.0, 1.0, (*s, _D)), "target": rng.normal(0.0, 1.0, (*s, _D))}

    def bad(x: Inputs) -> np.ndarray:  # away from the norm floor (a kink of the gradient)
        return ((np.abs(np.linalg.norm(x["pred"], axis=-1) - eps) < _GAP)
                | (np.abs(np.linalg.norm(x["target"], axis=-1) - eps) < _GAP))

    x = _redraw(rng, draw, bad, shape)
    return {k: _to_axis(v, options) for k, v in x.items()}


def _pt(pred: Any, target: Any) -> Inputs:
    return {"pred": _f(pred), "target": _f(target)}


_ROW = [0.3, -1.2, 0.8, 0.5]  # a generic row: keeps the typical loss O(1) next to zero-loss rows

_COSINE_DISTANCE = Case(
    name="cosine_distance",
    make_inputs=_cosine_distance_inputs,
    oracle=oe.cosine_distance,
    options=({}, {"eps": 0.0}, {"eps": 0.3}, {"axis": 0}, {"axis": 1, "eps": 1e-4}),
    differentiable=("pred", "target"),
    edges=(
        Edge("coincident vectors", _pt([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0.0, 0.0, 1.0]])),
        Edge("opposite and parallel vectors", _pt([[1.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]],
                                                  [[-2.0, -4.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0]])),
        # Zero vectors: cosine 0 (distance 1) with finite gradients; the derivative below the
        # floor (gradient b / (eps |b|)) is not resolvable by finite differences at eps = 1e-8.
        Edge("zero vector", _pt([[0.0, 0.0, 0.0, 0.0], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0.0, 0.0, 1.0]])),
        Edge("zero vector, eps = 0.5 (inside the floor)",
             _pt([[0.0, 0.0, 0.0, 0.0], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0.0, 0.0, 1.0]]), {"eps": 0.5}),
        Edge("zero vector, eps = 0", _pt([[0.0, 0.0, 0.0, 0.0], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0.0, 0.0, 1.0]]),
             {"eps": 0.0}),
        Edge("both zero, eps = 0", _pt([[0.0, 0.0, 0.0, 0.0], _ROW], [[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]]),
             {"eps": 0.0}),
        Edge("tiny and huge vectors", _pt([[1e-3, 2e-3, 0.0, 1e-3], [1e3, -2e3, 5e2, 0.0]],
                                          [[1.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])),
        Edge("feature axis 0", _pt(np.array([[1.0, 2.0, -0.5, 0.25], _ROW]).T, np.array([[0.0, 0.0, 0.0, 0.0], _ROW]).T),
             {"axis": 0}),
    ),
    cancels=True,
)


def _cosine_embedding_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 0.0))
    eps = float(options.get("eps", 1e-12))

    def draw(s: tuple[int, ...]) -> Inputs:
        return {"x1": rng.normal(0.0, 1.0, (*s, _D)), "x2": rng.normal(0.0, 1.0, (*s, _D)),
                "target": _signed(rng, s, options)}

    def bad(x: Inputs) -> np.ndarray:
        a, b = x["x1"], x["x2"]
        cos = np.sum(a * b, -1) / np.sqrt((np.sum(a * a, -1) + eps) * (np.sum(b * b, -1) + eps))
        return np.abs(cos - m) < _GAP  # the hinge of a dissimilar pair

    x = _redraw(rng, draw, bad, shape)
    return {"x1": _to_axis(x["x1"], options), "x2": _to_axis(x["x2"], options), "target": x["target"]}


def _xxt(x1: Any, x2: Any, target: Any) -> Inputs:
    t = np.asarray(target)
    return {"x1": _f(x1), "x2": _f(x2), "target": t if t.dtype.kind in "iub" else _f(t)}


_COSINE_EMBEDDING = Case(
    name="cosine_embedding",
    make_inputs=_cosine_embedding_inputs,
    oracle=oe.cosine_embedding,
    options=({}, {"margin": 0.25}, {"margin": -0.5, "_target": "int"}, {"eps": 0.0, "_target": "bool"},
             {"eps": 1e-3, "axis": 0}, {"_target": "mixed", "margin": 0.1}, {"axis": 1, "_target": "int"}),
    differentiable=("x1", "x2"),
    edges=(
        Edge("coincident embeddings", _xxt([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [1.0, 0, 0, 1.0]],
                                           [1.0, 1.0])),
        Edge("coincident, dissimilar", _xxt([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]], [-1.0])),
        Edge("zero vector", _xxt([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], _ROW],
                                 [[1.0, 2.0, -0.5, 0.25], [1.0, 2.0, -0.5, 0.25], [1.0, 0, 0, 1.0]], [1.0, -1.0, 1.0])),
        Edge("zero vectors, eps = 0", _xxt([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], _ROW],
                                           [[1.0, 2.0, -0.5, 0.25], [0.0, 0.0, 0.0, 0.0], [1.0, 0, 0, 1.0]],
                                           [1.0, -1.0, 1.0]), {"eps": 0.0}),
        Edge("hinge kink cos = margin", _xxt([[1.0, 0.0, 0.0, 0.0], _ROW], [[1.0, 1.0, 0.0, 0.0], [1.0, 0, 0, 1.0]],
                                             [-1.0, 1.0]), {"margin": 0.7071067811865476}, kink=True),
        Edge("targets other than +-1 give 0", _xxt([_ROW, _ROW, _ROW], [[1.0, 0, 0, 1.0], [0, 1.0, 0, 0], [1.0, 1, 1, 1]],
                                                   [0.0, 2.0, 1.0])),
        Edge("boolean targets", _xxt([_ROW, _ROW], [[1.0, 0, 0, 1.0], [0, 1.0, 0, 0]],
                                               np.array([True, False])), {"margin": -0.5}),
        Edge("int32 targets", _xxt([_ROW, _ROW], [[1.0, 0, 0, 1.0], [0, 1.0, 0, 0]], np.array([1, -1], np.int32)),
             {"margin": -0.5}),
    ),
    cancels=True,
)


# -- distances ------------------------------------------------------------------------------------------


def _contrastive_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    kind = options.get("_similar", "float")
    m = float(options.get("margin", 1.0))

    def draw(s: tuple[int, ...]) -> Inputs:
        sim = rng.random(s) if kind == "soft" else (rng.random(s) < 0.5).astype(np.float64)
        return {"x1": rng.normal(0.0, 0.5, (*s, _D)), "x2": rng.normal(0.0, 0.5, (*s, _D)), "similar": sim}

    def bad(x: Inputs) -> np.ndarray:  # C1 at d = margin; kept away for clean finite differences
        return np.abs(np.linalg.norm(x["x1"] - x["x2"], axis=-1) - m) < _GAP

    x = _redraw(rng, draw, bad, shape)
    s = x["similar"]
    if kind == "int":
        s = s.astype(np.int64)
    elif kind == "bool":
        s = s > 0.5
    return {"x1": _to_axis(x["x1"], options), "x2": _to_axis(x["x2"], options), "similar": s}


def _xxs(x1: Any, x2: Any, similar: Any) -> Inputs:
    s = np.asarray(similar)
    return {"x1": _f(x1), "x2": _f(x2), "similar": s if s.dtype.kind in "iub" else _f(s)}


_CONTRASTIVE = Case(
    name="contrastive",
    make_inputs=_contrastive_inputs,
    oracle=oe.contrastive,
    options=({}, {"margin": 2.0}, {"margin": 0.5, "_similar": "bool"}, {"_similar": "soft", "axis": 0},
             {"_similar": "int", "margin": 0.0}, {"axis": 1, "_similar": "soft"}),
    differentiable=("x1", "x2"),
    edges=(
        # d = 0: d^2 has gradient 0; max(0, m - d)^2 is a cone there (0 is the minimum-norm subgradient).
        Edge("coincident, similar", _xxs([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [0.0, 0, 0, 0]],
                                         [1.0, 1.0])),
        Edge("coincident, dissimilar (d = 0)", _xxs([[1.0, 2.0, -0.5, 0.25], _ROW],
                                                     [[1.0, 2.0, -0.5, 0.25], [0.0, 0, 0, 0]], [0.0, 0.0]), kink=True),
        Edge("zero vectors, dissimilar", _xxs([[0.0, 0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0, 0.0]], [0.0]), {"margin": 2.0},
             kink=True),
        Edge("d = margin (C1)", _xxs([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
                                     [[0.6, 0.8, 0.0, 0.0], [0.6, 0.8, 0.0, 0.0]], [0.0, 1.0])),
        Edge("boolean and soft targets", _xxs([_ROW, _ROW], [[0.0, 0.0, 0.0, 0.0], [1.0, 0, 0, 0]],
                                              np.array([True, False])), {"margin": 2.0}),
        Edge("int32 targets, feature axis 0", _xxs(np.array([_ROW, _ROW]).T, np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 0, 0, 0]]).T,
                                                   np.array([1, 0], np.int32)), {"axis": 0, "margin": 2.0}),
    ),
    cancels=True,
)


def _p_of(options: Options) -> float:
    return float(options.get("p", 2))


def _triplet_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 1.0))
    p = _p_of(options)
    eps = float(options.get("eps", 1e-6))
    root = options.get("eps_placement", "difference") == "root"
    swap = bool(options.get("swap", False))

    def draw(s: tuple[int, ...]) -> Inputs:
        return {k: rng.normal(0.0, 0.6, (*s, _D)) for k in ("anchor", "positive", "negative")}

    def vec(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x - y if root else x - y + eps

    def dist(v: np.ndarray) -> np.ndarray:
        a = np.abs(v)
        if p == math.inf:
            return a.max(-1)
        return (np.sum(a**p, -1) + (eps if root else 0.0)) ** (1.0 / p)

    def bad(x: Inputs) -> np.ndarray:
        a, ps, n = x["anchor"], x["positive"], x["negative"]
        vs = [vec(a, ps), vec(a, n), vec(ps, n)]
        dp, dn, ds = (dist(v) for v in vs)
        dneg = np.minimum(dn, ds) if swap else dn
        out = np.abs(m + dp - dneg) < _GAP
        if swap:
            out |= np.abs(dn - ds) < _GAP
        if p < 2:  # |v| is a kink of |v|^p (p = 1) or its derivative is unbounded there (p < 1)
            for v in vs:
                out |= np.any(np.abs(v) < _GAP, axis=-1)
        if p == math.inf:  # ties in the maximum
            for v in vs:
                top = np.sort(np.abs(v), axis=-1)
                out |= top[..., -1] - top[..., -2] < _GAP
        return out

    x = _redraw(rng, draw, bad, shape)
    return {k: _to_axis(v, options) for k, v in x.items()}


def _apn(a: Any, p: Any, n: Any) -> Inputs:
    return {"anchor": _f(a), "positive": _f(p), "negative": _f(n)}


_TRIPLET_MARGIN = Case(
    name="triplet_margin",
    make_inputs=_triplet_inputs,
    oracle=oe.triplet_margin,
    options=(
        {},
        {"p": 1},
        {"p": 3},
        {"p": 1.5, "margin": 0.5},
        {"eps": 0.0},
        {"eps": 1e-3, "swap": True},
        {"swap": True, "margin": 0.5, "p": 1},
        {"eps_placement": "root"},
        {"eps_placement": "root", "eps": 0.1, "p": 4, "margin": 2.0},
        {"margin": 2.0, "axis": 0},
        {"p": math.inf, "axis": 1},
        {"margin": 0.0, "swap": True},
    ),
    differentiable=("anchor", "positive", "negative"),
    edges=(
        # Coincident anchor and positive: ||eps 1||_p > 0, finite; with eps = 0 the norm's
        # gradient at the zero vector is 0 (torch's own convention).
        Edge("anchor = positive", _apn([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [0.0, 0, 0, 0]],
                                       [[1.5, 2.0, -0.5, 0.25], [0.0, 1, 0, 0]])),
        Edge("anchor = positive, eps = 0", _apn([[1.0, 2.0, -0.5, 0.25], _ROW], [[1.0, 2.0, -0.5, 0.25], [0.0, 0, 0, 0]],
                                                [[1.5, 2.0, -0.5, 0.25], [0.0, 1, 0, 0]]), {"eps": 0.0}, kink=True),
        Edge("all three equal, eps = 0", _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]]),
             {"eps": 0.0}, kink=True),
        Edge("anchor = positive, eps = 0, p = 1", _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]],
                                                       [[1.5, 2.0, -0.5, 0.25]]), {"eps": 0.0, "p": 1}, kink=True),
        Edge("anchor = positive, eps = 0, p = 3", _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]],
                                                       [[1.5, 2.0, -0.5, 0.25]]), {"eps": 0.0, "p": 3}, kink=True),
        Edge("anchor - positive = -eps (zero difference vector)",
             _apn([[1.0, 2.0, -0.5, 0.25]], [[1.25, 2.25, -0.25, 0.5]], [[3.0, 2.0, -0.5, 0.25]]), {"eps": 0.25},
             kink=True),
        Edge("anchor = positive, root placement", _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]],
                                                       [[1.5, 2.0, -0.5, 0.25]]), {"eps_placement": "root"}),
        Edge("anchor = positive, root placement, eps = 0", _apn([[1.0, 2.0, -0.5, 0.25]], [[1.0, 2.0, -0.5, 0.25]],
                                                                [[1.5, 2.0, -0.5, 0.25]]),
             {"eps_placement": "root", "eps": 0.0}, kink=True),
        Edge("positive = negative, swap", _apn([[1.0, 2.0, -0.5, 0.25]], [[0.0, 1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0, 0.0]]),
             {"swap": True, "eps": 0.0}, kink=True),
        Edge("hinge kink", _apn([[0.0, 0.0, 0.0, 0.0]], [[3.0, 4.0, 0.0, 0.0]], [[0.0, 6.0, 0.0, 0.0]]),
             {"eps": 0.0}, kink=True),
        Edge("far negatives (zero loss)", _apn([[0.0, 0.0, 0.0, 0.0]], [[0.1, 0.0, 0.0, 0.0]], [[30.0, 0.0, 0.0, 0.0]])),
    ),
    cancels=True,
)


# -- elementwise pair losses ----------------------------------------------------------------------------


def _margin_ranking_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 0.0))
    t = _signed(rng, shape, options)
    tv = _sign_values(t)

    def draw(s: tuple[int, ...]) -> Inputs:
        return {"x1": rng.normal(0.0, 1.0, s), "x2": rng.normal(0.0, 1.0, s)}

    def bad(x: Inputs) -> np.ndarray:
        return np.abs(m - tv * (x["x1"] - x["x2"])) < _GAP

    x = _redraw(rng, draw, bad, shape)
    return {"x1": x["x1"], "x2": x["x2"], "target": t}


_MARGIN_RANKING = Case(
    name="margin_ranking",
    make_inputs=_margin_ranking_inputs,
    oracle=oe.margin_ranking,
    options=({}, {"margin": 0.5}, {"margin": -0.25, "_target": "int"}, {"_target": "bool", "margin": 1.0},
             {"_target": "mixed", "margin": 0.3}),
    differentiable=("x1", "x2"),
    edges=(
        Edge("kink", _xxt([1.0, 2.0, 0.5], [1.0, 1.5, 1.0], [1.0, 1.0, -1.0]), {"margin": 0.5}, kink=True),
        Edge("zero target (loss = margin)", _xxt([1.0, -2.0], [0.0, 3.0], [0.0, 0.0]), {"margin": 0.5}),
        Edge("boolean targets", _xxt([1.0, 2.0, 0.5], [0.0, 2.5, 1.0], np.array([True, False, False]))),
        Edge("int8 targets", _xxt([1.5, 2.0, 0.5], [0.0, 2.5, 1.0], np.array([1, -1, 1], np.int8)), {"margin": 1.0}),
        Edge("large scores", _xxt([1e3, -1e3], [-1e3, 1e3], [1.0, 1.0])),
    ),
    cancels=True,
)


def _hinge_embedding_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    m = float(options.get("margin", 1.0))
    t = _signed(rng, shape, options)

    def draw(s: tuple[int, ...]) -> Inputs:
        return {"distances": rng.uniform(0.0, 3.0, s)}

    def bad(x: Inputs) -> np.ndarray:
        return np.abs(m - x["distances"]) < _GAP

    x = _redraw(rng, draw, bad, shape)
    return {"distances": x["distances"], "target": t}


def _dt(d: Any, t: Any) -> Inputs:
    t = np.asarray(t)
    return {"distances": _f(d), "target": t if t.dtype.kind in "iub" else _f(t)}


_HINGE_EMBEDDING = Case(
    name="hinge_embedding",
    make_inputs=_hinge_embedding_inputs,
    oracle=oe.hinge_embedding,
    options=({}, {"margin": 2.0}, {"margin": 0.5, "_target": "int"}, {"_target": "bool"},
             {"_target": "mixed", "margin": 1.5}),
    differentiable=("distances",),
    edges=(
        Edge("kink x = margin", _dt([1.0, 1.0, 0.5], [-1.0, 1.0, -1.0]), kink=True),
        Edge("zero distance", _dt([0.0, 0.0], [1.0, -1.0])),
        Edge("targets other than +-1 pay both terms", _dt([0.25, 1.5, 2.0], [0.0, 2.0, -2.0])),
        Edge("boolean targets", _dt([0.25, 1.5, 0.5], np.array([True, False, False])), {"margin": 2.0}),
        Edge("uint8 targets (0 pays both terms)", _dt([0.25, 1.5], np.array([1, 0], np.uint8))),
    ),
    cancels=True,
)


# -- NT-Xent ---------------------------------------------------------------------------------------------

_NT_D = 3


def _ntxent_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    B = shape[-1] if shape else 1
    z = rng.normal(0.0, 1.0, (*shape, _NT_D))
    y = rng.integers(0, max(1, B // 2), shape)
    return {"embeddings": z, "labels": y.astype(options.get("_labels", "int64"))}


def _zy(z: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    return {"embeddings": _f(z), "labels": np.asarray(y, dtype=dtype)}


_Z4 = [[1.0, 0.5, -0.25], [0.2, -1.0, 0.4], [-0.7, 0.3, 1.1], [0.9, 0.8, -0.6]]

_NTXENT = Case(
    name="ntxent",
    make_inputs=_ntxent_inputs,
    oracle=oe.ntxent,
    reduce_oracle=oe.reduce_ntxent,
    options=({}, {"temperature": 0.5}, {"temperature": 1.0, "_labels": "int32"}, {"temperature": 0.02},
             {"_labels": "uint8", "temperature": 0.2}),
    differentiable=("embeddings",),
    edges=(
        Edge("coincident embeddings", _zy([[1.0, 0.5, -0.25], [1.0, 0.5, -0.25], [0.2, -1.0, 0.4], [0.2, -1.0, 0.4]],
                                          [0, 0, 1, 1])),
        # A zero row has cosine 0 with every row; its gradient (1 / sqrt(eps) scale) is finite.
        Edge("zero embedding", _zy([[0.0, 0.0, 0.0], *_Z4[1:]], [0, 0, 1, 1])),
        Edge("anchors without positives", _zy(_Z4, [0, 1, 1, 2])),
        Edge("no negatives", _zy(_Z4, [3, 3, 3, 3])),
        Edge("no positive pair at all", _zy(_Z4, [0, 1, 2, 3])),
        Edge("small temperature", _zy(_Z4, [0, 0, 1, 1]), {"temperature": 0.01}),
        Edge("large temperature", _zy(_Z4, [0, 1, 0, 1]), {"temperature": 100.0}),
        Edge("batch dimensions, int32 labels", _zy([_Z4[:3], _Z4[1:]], [[0, 0, 1], [2, 1, 2]], np.int32)),
        Edge("single row", _zy([_Z4[0]], [0])),
    ),
    cancels=True,
)

#: name -> Case for every embedding loss.
EMBEDDING_CASES: dict[str, Case] = {
    c.name: c
    for c in (_COSINE_DISTANCE, _COSINE_EMBEDDING, _CONTRASTIVE, _TRIPLET_MARGIN, _MARGIN_RANKING, _HINGE_EMBEDDING,
              _NTXENT)
}

FAMILY_CASES = EMBEDDING_CASES
