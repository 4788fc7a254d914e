"""Conformance of the divergences (``lossapi.losses.divergence``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 oracles of the divergences (``lossapi.losses.divergence``).

Written from the textbook definitions with NumPy/SciPy, never calling lossapi. Each returns
the per-distribution ("none") value: the distribution axis (``axis``) is summed out.
Zero probabilities follow the convention ``0 log 0 = 0`` (``scipy.special.rel_entr``).

Cases
-----
Conformance cases of the divergences (``lossapi.losses.divergence``).

Random distributions are softmaxes of ``N(0, 1)`` draws over ``C = 4`` classes inserted at
``options["axis"]`` (every probability above ~1e-3, far from keras' 1e-7 clip);
``generalized_kl_divergence`` draws unnormalized measures. Exact zeros (zero targets, zero
predictions, both zero, identical distributions) are edge points.

Counterparts
------------
Native counterparts of the divergences (torch, optax, keras).

Mappings (what the docstrings promise):

- torch ``F.kl_div(input=log_probs, target, log_target=)`` on 2-D ``(N, C)`` inputs (the check
  draws ``(9, C)``): lossapi's ``"mean"`` is torch's ``reduction="batchmean"``, ``"sum"`` is
  ``"sum"``, ``"none"`` is torch's ``"none"`` summed over the class axis. torch has no weights.
- optax ``kl_divergence`` / ``kl_divergence_with_log_targets`` / ``generalized_kl_divergence``
  return one value per distribution; lossapi's reductions and per-row weights are applied to
  them with lossapi's rule.
- keras ``kl_divergence(y_true=target, y_pred=exp(log_probs))`` clips both to ``[1e-7, 1]``
  (inactive for the case's distributions, every probability > 1e-3), probabilities only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz, class_axis_of, with_class_axis
from ..counterparts import Counterpart, _jnp, _keras, _np, _torch, weighted_reduce
from ..fuzz import pred_is_target
from ..special import rel_entr

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "generalized_kl_divergence",
    "hellinger",
    "js_divergence",
    "kl_divergence",
]

#: A case's drawn inputs (input name -> NumPy array).
Inputs = dict[str, np.ndarray]
#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]


# ==================================================================================================
# Oracles
# ==================================================================================================


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _pair(a: Any, b: Any, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs broadcast, the distribution axis moved last."""
    a, b = np.broadcast_arrays(_f(a), _f(b))
    return np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)


def _kl_terms(log_q: np.ndarray, t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, t * (np.log(np.where(t == 0, 1.0, t)) - log_q))


def kl_divergence(log_probs: Any, target: Any, log_target: bool = False, axis: int = -1) -> np.ndarray:
    """``sum_c t_c (log t_c - log q_c)`` with ``0 log 0 = 0``."""
    lq, t = _pair(log_probs, target, axis)
    if log_target:
        t = np.exp(t)
    return np.sum(_kl_terms(lq, t), axis=-1)


def generalized_kl_divergence(log_probs: Any, target: Any, axis: int = -1) -> np.ndarray:
    """optax's definition: ``sum_c t_c (log t_c - log q_c) + q_c - t_c``."""
    lq, t = _pair(log_probs, target, axis)
    return np.sum(_kl_terms(lq, t) + np.exp(lq) - t, axis=-1)


def js_divergence(probs: Any, target: Any, axis: int = -1) -> np.ndarray:
    """``KL(p || m) / 2 + KL(t || m) / 2`` with ``m = (p + t) / 2``, natural log.

    Where ``p`` and ``t`` are close (``|d| < 1/2``, ``d = (p - t) / (p + t)``), the two KL terms
    cancel to relative error ``eps / |d|``; there the oracle sums the power series
    ``(1 + d) log(1 + d) + (1 - d) log(1 - d) = sum_k d^(2k) / (k (2k - 1))`` instead.
    """
    p, t = _pair(probs, target, axis)
    m = (p + t) / 2
    direct = 0.5 * rel_entr(p, m) + 0.5 * rel_entr(t, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(m > 0, (p - t) / (2 * m), 1.0)
    k = np.arange(1, 61, dtype=np.float64)
    near = np.abs(d) < 0.5
    dn = np.where(near, d, 0.0)[..., None]
    series = 0.5 * m * np.sum(dn ** (2 * k) / (k * (2 * k - 1)), axis=-1)
    return np.sum(np.where(near & (p >= 0) & (t >= 0), series, direct), axis=-1)


def hellinger(probs: Any, target: Any, axis: int = -1) -> np.ndarray:
    """``||sqrt(p) - sqrt(t)||_2 / sqrt(2)``."""
    p, t = _pair(probs, target, axis)
    return np.sqrt(np.sum((np.sqrt(p) - np.sqrt(t)) ** 2, axis=-1)) / np.sqrt(2.0)


# ==================================================================================================
# Cases
# ==================================================================================================

C = 4


def _arr(v: Any) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)


def _log_softmax(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray:
    z = rng.normal(0.0, 1.0, with_class_axis(shape, C, options))
    ax = class_axis_of(options, z.ndim)
    m = z.max(axis=ax, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=ax, keepdims=True))


def _kl_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    lq = _log_softmax(rng, shape, options)
    lt = _log_softmax(rng, shape, options)
    return {"log_probs": lq, "target": lt if options.get("log_target", False) else np.exp(lt)}


def _gkl_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    full = with_class_axis(shape, C, options)
    return {"log_probs": rng.normal(0.0, 1.0, full), "target": rng.uniform(0.05, 2.0, full)}


def _prob_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"probs": np.exp(_log_softmax(rng, shape, options)), "target": np.exp(_log_softmax(rng, shape, options))}


_Q2 = _arr([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
_T_ZERO = _arr([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]])


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _perfect_kl(x: Inputs, o: Options) -> Inputs:
    lp = np.asarray(x["log_probs"], dtype=np.float64)
    return {**x, "target": lp if o.get("log_target") else np.exp(lp)}


def _perfect_gkl(x: Inputs, o: Options) -> Inputs:
    return {**x, "target": np.exp(np.asarray(x["log_probs"], dtype=np.float64))}


_KL = Case(
    name="kl_divergence",
    make_inputs=_kl_inputs,
    oracle=kl_divergence,
    options=({}, {"log_target": True}, {"axis": 1}, {"axis": 1, "log_target": True}),
    differentiable=("log_probs", "target"),
    edges=(
        Edge("zero targets", {"log_probs": np.log(_Q2), "target": _T_ZERO}),
        # A probability of 0 as a log-target: exp(-1e4) underflows to exactly 0.
        Edge(
            "zero targets, log_target",
            {
                "log_probs": np.log(_Q2),
                "target": _arr([[-1e4, np.log(0.5), np.log(0.5), -1e4], [0.0, -1e4, -1e4, -1e4]]),
            },
            {"log_target": True},
        ),
        Edge(
            "zero target, very negative log q",
            {"log_probs": _arr([[-1e4, -0.1, -3.0, -1e4]]), "target": _arr([[0.0, 0.9, 0.1, 0.0]])},
        ),
        # KL = 0 exactly in every dtype (log 1 = 0); nearly equal distributions in general are
        # ill-conditioned (the input rounding of log q alone exceeds the value).
        Edge("perfect prediction", {"log_probs": _arr([[0.0, -50.0, -50.0, -50.0]]), "target": _arr([[1.0, 0, 0, 0]])}),
        Edge("distribution axis 0", {"log_probs": np.log(_Q2).T, "target": _T_ZERO.T}, {"axis": 0}),
    ),
    sweep=sweeps.Sweep(**{**sweeps.DIVERGENCE, "build": lambda xp, x: sweeps.two_class(xp, x, log=True)}),
    fuzz=Fuzz(perfect=_perfect_kl),
)

_GKL = Case(
    name="generalized_kl_divergence",
    make_inputs=_gkl_inputs,
    oracle=generalized_kl_divergence,
    options=({}, {"axis": 1}),
    differentiable=("log_probs", "target"),
    edges=(
        Edge("zero targets", {"log_probs": _arr([[0.5, -1.0, 2.0, -3.0]]), "target": _arr([[0.0, 1.5, 0.0, 0.2]])}),
        Edge("equal measures", {"log_probs": _arr([[0.0, 0.0, 0.0]]), "target": _arr([[1.0, 1.0, 1.0]])}),
    ),
    sweep=sweeps.Sweep(**{**sweeps.DIVERGENCE, "build": lambda xp, x: sweeps.two_class(xp, x, log=True)}),
    fuzz=Fuzz(perfect=_perfect_gkl),
)

_PZ = _arr([[0.0, 0.5, 0.5, 0.0], [0.7, 0.0, 0.3, 0.0]])
_TZ = _arr([[0.5, 0.5, 0.0, 0.0], [0.2, 0.3, 0.5, 0.0]])

_JS = Case(
    name="js_divergence",
    make_inputs=_prob_inputs,
    oracle=js_divergence,
    options=({}, {"axis": 1}),
    differentiable=("probs", "target"),
    edges=(
        # Zero entries; where p_c = t_c = 0 the function is only one-sidedly differentiable
        # (a boundary kink), and at p_c = 0 < t_c its slope is -inf (not compared).
        Edge("zero entries", {"probs": _PZ, "target": _TZ}, kink=True),
        Edge(
            "disjoint supports",
            {"probs": _arr([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), "target": _arr([[0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])},
            kink=True,
        ),
        Edge("identical distributions", {"probs": _Q2, "target": _Q2}),
        Edge(
            "nearly identical", {"probs": _Q2, "target": _Q2 + _arr([[1e-6, -1e-6, 0.0, 0.0], [0.0, 0.0, 1e-5, -1e-5]])}
        ),
    ),
    sweep=sweeps.Sweep(**sweeps.DIVERGENCE),
    fuzz=Fuzz(perfect=pred_is_target("probs")),
)

_HELLINGER = Case(
    name="hellinger",
    make_inputs=_prob_inputs,
    oracle=hellinger,
    options=({}, {"axis": 1}),
    differentiable=("probs", "target"),
    edges=(
        # p = t: the norm is at its kink (gradient 0, the minimum-norm subgradient).
        Edge("p = t (kink)", {"probs": _Q2, "target": _Q2}, kink=True),
        Edge("p = t with zeros (kink)", {"probs": _T_ZERO, "target": _T_ZERO}, kink=True),
        # Zero entries: where both are 0 the one-sided derivative is exact; at p_c = 0 < t_c
        # the slope is infinite (not compared, but the gradient must be finite).
        Edge("zero entries", {"probs": _PZ, "target": _TZ}),
        Edge(
            "disjoint supports",
            {"probs": _arr([[1.0, 0.0], [0.0, 1.0]]), "target": _arr([[0.0, 1.0], [0.0, 1.0]])},
            kink=True,
        ),
    ),
    sweep=sweeps.Sweep(**sweeps.DIVERGENCE),
    fuzz=Fuzz(perfect=pred_is_target("probs")),
)

CASES: dict[str, Case] = {c.name: c for c in (_KL, _GKL, _JS, _HELLINGER)}


# ==================================================================================================
# Counterparts
# ==================================================================================================

_KERAS_RTOL = 1e-6


def _torch_kl(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray | np.float64:
    import torch.nn.functional as F

    lq, t = _torch(x["log_probs"], x["target"])
    log_target = bool(o.get("log_target", False))
    if reduction == "none":
        return _np(F.kl_div(lq, t, reduction="none", log_target=log_target).sum(dim=-1))
    return _np(F.kl_div(lq, t, reduction="batchmean" if reduction == "mean" else "sum", log_target=log_target))


def _optax_kl(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray | np.float64:
    jnp = _jnp()
    import optax

    f = optax.losses.kl_divergence_with_log_targets if o.get("log_target", False) else optax.losses.kl_divergence
    return weighted_reduce(f(jnp.asarray(x["log_probs"]), jnp.asarray(x["target"])), reduction, sw)


def _optax_gkl(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray | np.float64:
    jnp = _jnp()
    import optax

    v = optax.losses.generalized_kl_divergence(jnp.asarray(x["log_probs"]), jnp.asarray(x["target"]))
    return weighted_reduce(v, reduction, sw)


def _keras_kl(x: Mapping[str, np.ndarray], o: Mapping[str, Any], reduction: str, sw: Any) -> np.ndarray | np.float64:
    keras = _keras()
    q = np.exp(np.asarray(x["log_probs"], dtype=np.float64))
    v = keras.losses.kl_divergence(np.asarray(x["target"], dtype=np.float64), q)
    return weighted_reduce(v, reduction, sw)


def _last_axis(o: Mapping[str, Any]) -> bool:
    return o.get("axis", -1) == -1


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "kl_divergence": [
        Counterpart("torch", _torch_kl, lambda o, r, w: not w and _last_axis(o), ndim=1),
        Counterpart("optax", _optax_kl, lambda o, r, w: _last_axis(o)),
        Counterpart(
            "keras", _keras_kl, lambda o, r, w: _last_axis(o) and not o.get("log_target", False), rtol=_KERAS_RTOL
        ),
    ],
    "generalized_kl_divergence": [Counterpart("optax", _optax_gkl, lambda o, r, w: _last_axis(o))],
}
