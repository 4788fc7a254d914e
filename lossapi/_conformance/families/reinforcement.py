"""Conformance of the reinforcement-learning losses (``lossapi.losses.reinforcement``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracles for the reinforcement-learning losses.

Written from the papers' formulas, element by element: REINFORCE (Williams 1992), the
squared-error / Huber (Huber 1964) value loss, and PPO's clipped surrogate (Schulman et al.
2017, eq. 7), negated to be minimised. Nothing here imports or calls lossapi.

Cases
-----
Conformance cases for the reinforcement-learning losses (``lossapi.losses.reinforcement``).

Only ``log_probs`` (and the value loss's inputs) are differentiated here: advantages and old
log-probabilities carry no gradient by design (stop-gradient), which the finite differences of
the oracle cannot express; ``tests/test_reinforcement.py`` checks that their gradients are 0.
Random PPO ratios stay ``_GAP`` away from the clip boundaries ``1 ± clip`` and random value
errors away from the Huber threshold; the boundaries (ties), saturated ratios and zero
advantages are edges.

Counterparts
------------
Native counterparts of the reinforcement-learning losses.

``value_function`` is torch's ``mse_loss`` (``delta=None``) or ``huber_loss(delta=)``, without
weights (torch has no weighted mean). ``policy_gradient`` and ``ppo_clip`` exist as functions in
no library: none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz
from ..counterparts import Counterpart, _np, _torch, _unweighted
from ..fuzz import pred_is_target

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "policy_gradient",
    "ppo_clip",
    "value_function",
]

#: A case's drawn inputs (input name -> NumPy array).
Inputs = dict[str, np.ndarray]
#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]


# ==================================================================================================
# Oracles
# ==================================================================================================


def _f64(*a: Any) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in a]))


def policy_gradient(log_probs: Any, advantages: Any) -> np.ndarray:
    lp, adv = _f64(log_probs, advantages)
    out = np.empty(lp.shape)
    for i in np.ndindex(lp.shape):
        out[i] = -lp[i] * adv[i]
    return out


def value_function(values: Any, returns: Any, delta: Any = None) -> np.ndarray:
    v, ret = _f64(values, returns)
    out = np.empty(v.shape)
    for i in np.ndindex(v.shape):
        e = float(v[i] - ret[i])
        if delta is None:
            out[i] = e * e
        else:
            d = float(delta)
            out[i] = 0.5 * e * e if abs(e) <= d else d * (abs(e) - 0.5 * d)
    return out


def ppo_clip(log_probs: Any, old_log_probs: Any, advantages: Any, clip: Any = 0.2) -> np.ndarray:
    lp, old, adv = _f64(log_probs, old_log_probs, advantages)
    eps = float(clip)
    out = np.empty(lp.shape)
    for i in np.ndindex(lp.shape):
        a = float(adv[i])
        d = float(lp[i] - old[i])
        # exp of a huge log-ratio overflows; min() still picks the finite clipped branch.
        r = math.exp(d) if d < 700 else math.inf
        clipped = min(max(r, 1.0 - eps), 1.0 + eps)
        unclipped = r * a if a != 0 else 0.0
        out[i] = -min(unclipped, clipped * a)
    return out


# ==================================================================================================
# Cases
# ==================================================================================================

_GAP = 1e-2


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

CASES: dict[str, Case] = {
    "policy_gradient": Case(
        name="policy_gradient",
        make_inputs=_pg_inputs,
        oracle=policy_gradient,
        differentiable=("log_probs",),
        edges=(
            Edge("zero advantages", {"log_probs": _f([-0.5, -2.0]), "advantages": _f([0.0, 0.0])}),
            Edge("log-probability 0 and very negative", {"log_probs": _f([0.0, -1e4]), "advantages": _f([1.0, -0.5])}),
        ),
        sweep=sweeps.Sweep(
            lo=-4.0,
            hi=0.0,
            xlabel="log π(a|s)",
            axis="log-probability",
            description="log-probability x, advantage 1 (and -1)",
            build=sweeps.binary,
            lines=(sweeps.Line("A = 1", {"t": 1.0}), sweeps.Line("A = -1", {"t": -1.0})),
        ),
        fuzz=Fuzz(
            no_perfect="an objective, not a distance: no perfect prediction",
            not_nonnegative="-log_prob * advantage: an objective whose sign follows the advantage",
        ),
    ),
    "value_function": Case(
        name="value_function",
        make_inputs=_vf_inputs,
        oracle=value_function,
        options=({}, {"delta": 0.7}),
        differentiable=("values", "returns"),
        edges=(
            Edge("zero error", {"values": _f([1.5, -2.0]), "returns": _f([1.5, -2.0])}),
            Edge("|e| = delta", {"values": _f([1.5, -1.0]), "returns": _f([1.0, -0.5])}, {"delta": 0.5}),
            Edge("large errors (Huber)", {"values": _f([1e4, -1e4]), "returns": _f([0.0, 0.0])}, {"delta": 1.0}),
        ),
        sweep=sweeps.Sweep(
            **{
                **sweeps.REGRESSION,
                "xlabel": "error v - R",
                "description": "values = R + e, R = 0",
                "lines": (sweeps.Line(options={"delta": None}), sweeps.Line(options={"delta": 1.0})),
            }
        ),
        fuzz=Fuzz(perfect=pred_is_target("values", "returns")),
    ),
    "ppo_clip": Case(
        name="ppo_clip",
        make_inputs=_ppo_inputs,
        oracle=ppo_clip,
        options=({}, {"clip": 0.1}),
        differentiable=("log_probs",),
        edges=(
            # r = 1.5 = 1 + clip: both branches tie (gradient: the unclipped one, -A r).
            Edge(
                "r = 1 + clip (tie)",
                {"log_probs": _f([_L15, _L15]), "old_log_probs": _f([0.0, 0.0]), "advantages": _f([1.0, -1.0])},
                {"clip": 0.5},
                kink=True,
            ),
            Edge(
                "r = 1 - clip (tie)",
                {
                    "log_probs": _f([math.log(0.5), math.log(0.5)]),
                    "old_log_probs": _f([0.0, 0.0]),
                    "advantages": _f([-2.0, 2.0]),
                },
                {"clip": 0.5},
                kink=True,
            ),
            Edge(
                "r = 1, zero advantage",
                {"log_probs": _f([-0.3, -1.0]), "old_log_probs": _f([-0.3, -1.0]), "advantages": _f([0.0, 0.0])},
            ),
            # Saturated ratios on the clipped side: finite value, zero gradient.
            Edge(
                "huge log-ratios (clipped)",
                {"log_probs": _f([0.0, -1e4]), "old_log_probs": _f([-1e4, 0.0]), "advantages": _f([1.0, -1.0])},
            ),
        ),
        sweep=sweeps.Sweep(
            lo=0.5,
            hi=1.5,
            xlabel="probability ratio r = π / π_old",
            axis="ratio",
            description="log_probs = log r, old log_probs 0, advantage 1 (and -1)",
            build=lambda xp, x, a: (xp.log(x), sweeps.full(xp, x, 0.0), sweeps.full(xp, x, a)),
            lines=(sweeps.Line("A = 1", {"a": 1.0}), sweeps.Line("A = -1", {"a": -1.0})),
        ),
        fuzz=Fuzz(
            no_perfect="an objective, not a distance: no perfect prediction",
            not_nonnegative="-min(r*A, clip(r)*A): an objective whose sign follows the advantage",
        ),
    ),
}


# ==================================================================================================
# Counterparts
# ==================================================================================================


def _torch_value(
    x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: np.ndarray | None
) -> np.ndarray:
    import torch.nn.functional as F

    v, ret = _torch(x["values"], x["returns"])
    if o.get("delta") is None:
        return _np(F.mse_loss(v, ret, reduction=reduction))
    return _np(F.huber_loss(v, ret, reduction=reduction, delta=float(o["delta"])))


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "value_function": [Counterpart("torch", _torch_value, _unweighted)],
}
