"""The case table: how to test each catalog loss.

A :class:`Case` says how to draw valid inputs for a loss, which option sets to try, which
inputs are differentiable, which edge points (kinks, zeros, extremes) to visit, and names the
independent float64 oracle (``oracles.py``) that gives the expected per-element loss.

Every catalog loss must have exactly one case: ``tests/test_catalog.py`` enforces it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CASES", "Case", "Edge", "reference_reduce"]

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


#: name -> Case; filled below (regression family in ``cases_regression``).
CASES: dict[str, Case] = {}

# Imported last: cases_regression imports Case/Edge from this module.
from .cases_regression import REGRESSION_CASES  # noqa: E402

CASES.update(REGRESSION_CASES)
