"""The case table: how to test each catalog loss.

A :class:`Case` says how to draw valid inputs for a loss, which option sets to try, which
inputs are differentiable, which edge points (kinks, zeros, extremes) to visit, and names the
independent float64 oracle (``oracles.py``) that gives the expected per-element loss.

Every catalog loss must have exactly one case: ``tests/test_catalog.py`` enforces it.

Shapes: ``make_inputs(rng, shape, options)`` receives the *per-element* shape (the shape
``reduction="none"`` returns). Losses with a class or distribution axis insert it themselves at
``options.get("axis", -1)``; their integer labels have the per-element shape. Option values may
be NumPy arrays (class weights): the checks convert them to the tested backend and dtype.

Option keys starting with ``_`` are *case-only* options: they steer ``make_inputs`` (e.g.
``{"_target": "probs"}`` to draw class probabilities instead of labels) and are removed by
:func:`loss_options` before the loss, the oracle or a counterpart sees the options.

Each family's cases live in ``cases_<family>.py``, which defines ``FAMILY_CASES``; they are
collected into ``CASES`` at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CASES", "Case", "Edge", "class_axis_of", "expand_mask", "loss_options", "poison", "reference_reduce", "with_class_axis"]

Inputs = dict[str, np.ndarray]


@dataclass(frozen=True)
class Edge:
    """A hand-picked input point.

    ``kink=True`` marks points where the loss is not differentiable: gradients there must lie
    between the one-sided finite differences (and agree across backends) instead of matching
    central differences.
    """

    label: str
    inputs: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    kink: bool = False


@dataclass(frozen=True)
class Case:
    """How to test one loss.

    Attributes
    ----------
    name : str
        Catalog name of the loss.
    make_inputs : callable
        ``make_inputs(rng, shape, options) -> {input name: float64/int NumPy array}``, values in
        the loss's valid domain, away from kinks.
    oracle : callable
        ``oracle(**inputs, **options) -> float64 per-element loss`` (the ``"none"`` shape),
        written from the formula, never calling lossapi.
    options : tuple of mappings
        Option sets to test (``{}`` = defaults).
    differentiable : tuple of str
        Positional inputs to differentiate.
    edges : tuple of Edge
        Special points (kinks, zeros, extreme values).
    reduce_oracle : callable, optional
        ``reduce_oracle(inputs, options, reduction, sample_weight, where) -> value`` for losses
        whose reduction is not the standard weighted one (e.g. RMSE takes a root after it).
    rtol : mapping, optional
        Per-dtype relative tolerance overrides.
    cancels : bool, optional
        The per-element loss is a difference of terms much larger than itself (a deviance, a
        log-likelihood, a squared log-ratio), so low-precision rounding error scales with the
        typical loss, not with each entry: value checks then add ``rtol * typical |loss|`` to
        the absolute tolerance.
    """

    name: str
    make_inputs: Callable[[np.random.Generator, tuple[int, ...], Mapping[str, Any]], Inputs]
    oracle: Callable[..., np.ndarray]
    options: tuple[Mapping[str, Any], ...] = ({},)
    differentiable: tuple[str, ...] = ("pred", "target")
    edges: tuple[Edge, ...] = ()
    reduce_oracle: Callable[..., Any] | None = None
    rtol: Mapping[str, float] = field(default_factory=dict)
    cancels: bool = False


def reference_reduce(
    loss: np.ndarray, reduction: str, sample_weight: np.ndarray | None = None, where: np.ndarray | None = None
) -> np.ndarray:
    """The API.md weighted-mean rule, written independently of lossapi's ``_reduction``."""
    loss = np.asarray(loss, dtype=np.float64)
    w = np.ones_like(loss)
    if sample_weight is not None:
        w = w * np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), loss.shape)
    if where is not None:
        m = np.broadcast_to(np.asarray(where, dtype=bool), loss.shape)
        w = np.where(m, w, 0.0)
        loss = np.where(m, loss, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den


def loss_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` without the case-only keys (those starting with ``_``)."""
    return {k: v for k, v in options.items() if not k.startswith("_")}


def class_axis_of(options: Mapping[str, Any], ndim: int) -> int:
    """Non-negative position of the class axis in an input of ``ndim`` dimensions."""
    axis = options.get("axis", -1)
    return (-1 if axis is None else int(axis)) % ndim


def with_class_axis(shape: tuple[int, ...], num_classes: int, options: Mapping[str, Any]) -> tuple[int, ...]:
    """``shape`` (per-element) with a class axis of ``num_classes`` inserted at ``options["axis"]``."""
    s = list(shape)
    s.insert(class_axis_of(options, len(shape) + 1), num_classes)
    return tuple(s)


def expand_mask(mask: np.ndarray, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray | None:
    """A per-element boolean ``mask`` broadcast to an input of ``shape``.

    Inputs of the per-element shape take it as is; inputs with one more dimension (a class
    axis) take it expanded along ``options["axis"]``; inputs whose leading dimensions are the
    mask's shape (a per-sample mask of an image batch) take it expanded along the trailing
    dimensions; other inputs (e.g. broadcast ones) give None.
    """
    mask = np.asarray(mask, dtype=bool)
    shape = tuple(shape)
    if shape == mask.shape:
        return mask
    if len(shape) == mask.ndim + 1:
        m = np.expand_dims(mask, class_axis_of(options, len(shape)))
        try:
            return np.broadcast_to(m, shape)
        except ValueError:
            pass
    if len(shape) > mask.ndim and shape[: mask.ndim] == mask.shape:
        return np.broadcast_to(mask.reshape(mask.shape + (1,) * (len(shape) - mask.ndim)), shape)
    return None


_POISON_FLOAT = (np.nan, np.inf, -np.inf)
_POISON_INT = (-7, 10**6)


def poison(inputs: Mapping[str, np.ndarray], where: np.ndarray, options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """``inputs`` with the entries excluded by ``where`` replaced by hostile values.

    Floating inputs get NaN/inf, integer inputs (labels) out-of-range labels: a loss must leave
    both out of the value and the gradient of the kept entries.
    """
    out = {}
    for j, (k, v) in enumerate(inputs.items()):
        v = np.asarray(v)
        m = expand_mask(where, v.shape, options)
        if m is None or v.dtype.kind not in "fiu":
            out[k] = v
        elif v.dtype.kind == "f":
            out[k] = np.where(m, v, _POISON_FLOAT[j % len(_POISON_FLOAT)])
        else:
            out[k] = np.where(m, v, _POISON_INT[j % len(_POISON_INT)]).astype(v.dtype)
    return out


#: name -> Case, collected from every ``cases_<family>`` module's ``FAMILY_CASES``.
CASES: dict[str, Case] = {}


def _collect() -> None:
    import importlib
    import pkgutil

    pkg = importlib.import_module(__package__)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("cases_"):
            CASES.update(importlib.import_module(f"{__package__}.{info.name}").FAMILY_CASES)


_collect()
