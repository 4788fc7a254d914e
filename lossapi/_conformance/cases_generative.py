"""Conformance cases for the GAN losses (``lossapi.losses.generative``).

Random logits ~ N(0, 2), kept ``_GAP`` away from the hinge kinks (real = 1, fake = -1). The
conformance suite draws inputs of one shape, so it tests the elementwise discriminator loss
(``"mean"`` = mean(real term) + mean(fake term) there); unequal batch sizes (no per-element
form) are tested in ``tests/test_generative.py``, with ``oracles_generative.reduce_discriminator``
as the reference. Edges: extreme logits (±1e4, finite values and gradients), the hinge kinks, and the
``wasserstein`` / generator ``hinge`` kinds, which are linear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_generative as og
from .cases import Case, Edge

__all__ = ["FAMILY_CASES", "GENERATIVE_CASES"]

_GAP = 1e-2
Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _logits(rng: np.random.Generator, shape: tuple[int, ...], kink: float) -> np.ndarray:
    x = rng.normal(0.0, 2.0, shape)
    for _ in range(1000):
        near = np.abs(x - kink) < _GAP
        if not near.any():
            return x
        x = np.where(near, rng.normal(0.0, 2.0, shape), x)
    raise RuntimeError("could not draw logits away from the kink")  # pragma: no cover


def _disc_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    return {"real_logits": _logits(rng, shape, 1.0), "fake_logits": _logits(rng, shape, -1.0)}


def _gen_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    return {"fake_logits": rng.normal(0.0, 2.0, shape)}


_BIG = _f([1e4, -1e4, 1e4, -1e4])
_BIG2 = _f([1e4, 1e4, -1e4, -1e4])

GENERATIVE_CASES: dict[str, Case] = {
    "gan_discriminator": Case(
        name="gan_discriminator",
        make_inputs=_disc_inputs,
        oracle=og.gan_discriminator,
        options=({}, {"kind": "least_squares"}, {"kind": "hinge"}),
        differentiable=("real_logits", "fake_logits"),
        edges=(
            Edge("extreme logits", {"real_logits": _BIG, "fake_logits": _BIG2}),
            Edge("extreme logits (hinge)", {"real_logits": _BIG, "fake_logits": _BIG2}, {"kind": "hinge"}),
            Edge("wasserstein", {"real_logits": _f([2.0, -0.5, 1e4]), "fake_logits": _f([-1.0, 0.5, -1e4])},
                 {"kind": "wasserstein"}),
            Edge("hinge kinks", {"real_logits": _f([1.0, 1.0]), "fake_logits": _f([-1.0, 0.5])}, {"kind": "hinge"},
                 kink=True),
            Edge("zero logits", {"real_logits": _f([0.0, 0.0]), "fake_logits": _f([0.0, 0.0])}),
        ),
    ),
    "gan_generator": Case(
        name="gan_generator",
        make_inputs=_gen_inputs,
        oracle=og.gan_generator,
        options=({}, {"kind": "least_squares"}),
        differentiable=("fake_logits",),
        edges=(
            Edge("extreme logits", {"fake_logits": _BIG}),
            Edge("extreme logits (least squares)", {"fake_logits": _f([1e4, -1e4, 1.0])}, {"kind": "least_squares"}),
            Edge("hinge", {"fake_logits": _f([2.0, -0.5, 0.0])}, {"kind": "hinge"}),
            Edge("wasserstein", {"fake_logits": _f([2.0, -0.5, 1e4])}, {"kind": "wasserstein"}),
        ),
    ),
}

FAMILY_CASES = GENERATIVE_CASES
