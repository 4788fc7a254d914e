"""Conformance cases for the reinforcement-learning losses (``lossapi.losses.reinforcement``).

Only ``log_probs`` (and the value loss's inputs) are differentiated here: advantages and old
log-probabilities carry no gradient by design (stop-gradient), which the finite differences of
the oracle cannot express; ``tests/test_reinforcement.py`` checks that their gradients are 0.
Random PPO ratios stay ``_GAP`` away from the clip boundaries ``1 ± clip`` and random value
errors away from the Huber threshold; the boundaries (ties), saturated ratios and zero
advantages are edges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_reinforcement as orl
from .cases import Case, Edge

__all__ = ["FAMILY_CASES", "REINFORCEMENT_CASES"]

_GAP = 1e-2
Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _away(rng: np.random.Generator, x: np.ndarray, points: list[float], redraw: Any) -> np.ndarray:
    for _ in range(1000):
        near = np.zeros(x.shape, dtype=bool)
        for p in points:
            near |= np.abs(x - p) < _GAP
        if not near.any():
            return x
        x = np.where(near, redraw(x.shape), x)
    raise RuntimeError("could not draw inputs away from the kinks")  # pragma: no cover


def _pg_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    return {"log_probs": -rng.uniform(0.05, 3.0, shape), "advantages": rng.normal(0.0, 1.5, shape)}


def _vf_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    ret = rng.normal(0.0, 2.0, shape)
    delta = options.get("delta")
    e = rng.normal(0.0, 2.0, shape)
    if delta is not None:
        e = _away(rng, e, [float(delta), -float(delta)], lambda s: rng.normal(0.0, 2.0, s))
    return {"values": ret + e, "returns": ret}


def _ppo_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    eps = float(options.get("clip", 0.2))
    lp = -rng.uniform(0.1, 2.0, shape)
    r = _away(rng, rng.uniform(0.5, 1.6, shape), [1.0 - eps, 1.0 + eps], lambda s: rng.uniform(0.5, 1.6, s))
    return {"log_probs": lp, "old_log_probs": lp - np.log(r), "advantages": rng.normal(0.0, 1.5, shape)}


_L15 = math.log(1.5)

REINFORCEMENT_CASES: dict[str, Case] = {
    "policy_gradient": Case(
        name="policy_gradient",
        make_inputs=_pg_inputs,
        oracle=orl.policy_gradient,
        differentiable=("log_probs",),
        edges=(
            Edge("zero advantages", {"log_probs": _f([-0.5, -2.0]), "advantages": _f([0.0, 0.0])}),
            Edge("log-probability 0 and very negative", {"log_probs": _f([0.0, -1e4]), "advantages": _f([1.0, -0.5])}),
        ),
    ),
    "value_function": Case(
        name="value_function",
        make_inputs=_vf_inputs,
        oracle=orl.value_function,
        options=({}, {"delta": 0.7}),
        differentiable=("values", "returns"),
        edges=(
            Edge("zero error", {"values": _f([1.5, -2.0]), "returns": _f([1.5, -2.0])}),
            Edge("|e| = delta", {"values": _f([1.5, -1.0]), "returns": _f([1.0, -0.5])}, {"delta": 0.5}),
            Edge("large errors (Huber)", {"values": _f([1e4, -1e4]), "returns": _f([0.0, 0.0])}, {"delta": 1.0}),
        ),
    ),
    "ppo_clip": Case(
        name="ppo_clip",
        make_inputs=_ppo_inputs,
        oracle=orl.ppo_clip,
        options=({}, {"clip": 0.1}),
        differentiable=("log_probs",),
        edges=(
            # r = 1.5 = 1 + clip: both branches tie (gradient: the unclipped one, -A r).
            Edge("r = 1 + clip (tie)", {"log_probs": _f([_L15, _L15]), "old_log_probs": _f([0.0, 0.0]),
                                        "advantages": _f([1.0, -1.0])}, {"clip": 0.5}, kink=True),
            Edge("r = 1 - clip (tie)", {"log_probs": _f([math.log(0.5), math.log(0.5)]),
                                        "old_log_probs": _f([0.0, 0.0]), "advantages": _f([-2.0, 2.0])},
                 {"clip": 0.5}, kink=True),
            Edge("r = 1, zero advantage", {"log_probs": _f([-0.3, -1.0]), "old_log_probs": _f([-0.3, -1.0]),
                                           "advantages": _f([0.0, 0.0])}),
            # Saturated ratios on the clipped side: finite value, zero gradient.
            Edge("huge log-ratios (clipped)", {"log_probs": _f([0.0, -1e4]), "old_log_probs": _f([-1e4, 0.0]),
                                               "advantages": _f([1.0, -1.0])}),
        ),
    ),
}

FAMILY_CASES = REINFORCEMENT_CASES
