"""Conformance of the GAN losses (``lossapi.losses.generative``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracles for the GAN losses.

From the papers, on raw discriminator outputs (logits): Goodfellow et al. 2014 (cross-entropy
with D = sigmoid(logit), non-saturating generator -log D(G(z))), Mao et al. 2017 (LSGAN with
a = 0, b = c = 1 and the 1/2 factors), Lim & Ye 2017 / Miyato et al. 2018 (hinge) and
Arjovsky et al. 2017 (WGAN critic). ``-log sigmoid(x) = log(1 + exp(-x))`` is evaluated as
``np.logaddexp(0, -x)`` (exact for every finite x). Nothing here imports or calls lossapi.

Cases
-----
Conformance cases for the GAN losses (``lossapi.losses.generative``).

Random logits ~ N(0, 2), kept ``_GAP`` away from the hinge kinks (real = 1, fake = -1). The
conformance suite draws inputs of one shape, so it tests the elementwise discriminator loss
(``"mean"`` = mean(real term) + mean(fake term) there); unequal batch sizes (no per-element
form) are tested in ``tests/test_generative.py``, with ``reduce_discriminator`` as the
reference. Edges: extreme logits (±1e4, finite values and gradients), the hinge kinks, and the
``wasserstein`` / generator ``hinge`` kinds, which are linear.

Counterparts
------------
Native counterparts of the GAN losses.

``kind="non_saturating"`` is binary cross-entropy on logits: the discriminator is
``BCE(real, 1) + BCE(fake, 0)`` and the generator ``BCE(fake, 1)``, with torch's
``binary_cross_entropy_with_logits(reduction=)`` (equal shapes: the sum of the two "none"
arrays, of the two means, of the two sums) and optax's per-element
``sigmoid_binary_cross_entropy`` (reduced with NumPy). No weights (torch's weighted mean
divides by the count). The other kinds have no library function: none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz
from ..counterparts import Counterpart, _jnp, _np, _opts, _reduce, _torch
from ..fuzz import BIG

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "gan_discriminator",
    "gan_discriminator_parts",
    "gan_generator",
    "reduce_discriminator",
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


def _nll_real(x: float) -> float:
    """-log D = -log sigmoid(x)."""
    return float(np.logaddexp(0.0, -x))


def _nll_fake(x: float) -> float:
    """-log(1 - D) = -log sigmoid(-x)."""
    return float(np.logaddexp(0.0, x))


def gan_discriminator_parts(
    real_logits: Any, fake_logits: Any, kind: str = "non_saturating"
) -> tuple[np.ndarray, np.ndarray]:
    """The real and fake terms separately (each of its input's shape)."""
    r = np.asarray(real_logits, dtype=np.float64)
    f = np.asarray(fake_logits, dtype=np.float64)
    rt, ft = np.empty(r.shape), np.empty(f.shape)
    for i in np.ndindex(r.shape):
        x = float(r[i])
        rt[i] = {
            "non_saturating": _nll_real(x),
            "least_squares": 0.5 * (x - 1.0) ** 2,
            "hinge": max(0.0, 1.0 - x),
            "wasserstein": -x,
        }[kind]
    for i in np.ndindex(f.shape):
        x = float(f[i])
        ft[i] = {
            "non_saturating": _nll_fake(x),
            "least_squares": 0.5 * x**2,
            "hinge": max(0.0, 1.0 + x),
            "wasserstein": x,
        }[kind]
    return rt, ft


def gan_discriminator(real_logits: Any, fake_logits: Any, kind: str = "non_saturating") -> np.ndarray:
    rt, ft = gan_discriminator_parts(real_logits, fake_logits, kind)
    return rt + ft


def gan_generator(fake_logits: Any, kind: str = "non_saturating") -> np.ndarray:
    f = np.asarray(fake_logits, dtype=np.float64)
    out = np.empty(f.shape)
    for i in np.ndindex(f.shape):
        x = float(f[i])
        out[i] = {
            "non_saturating": _nll_real(x),
            "least_squares": 0.5 * (x - 1.0) ** 2,
            "hinge": -x,
            "wasserstein": -x,
        }[kind]
    return out


def reduce_discriminator(inputs: Mapping[str, Any], options: Mapping[str, Any], reduction: str) -> np.float64:
    """``mean(real term) + mean(fake term)`` (or the sum of the sums) for inputs of any two shapes."""
    rt, ft = gan_discriminator_parts(
        inputs["real_logits"], inputs["fake_logits"], options.get("kind", "non_saturating")
    )
    red = np.mean if reduction == "mean" else np.sum
    return np.float64(red(rt) + red(ft))


# ==================================================================================================
# Cases
# ==================================================================================================

_GAP = 1e-2


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


# -- perfect predictions and reduction rules (tests/test_fuzz.py) -----------------------------------


def _perfect_discriminator(x: Inputs, o: Options) -> Inputs:
    real, fake = {"non_saturating": (BIG, -BIG), "least_squares": (1.0, 0.0), "hinge": (2.0, -2.0)}[
        o.get("kind", "non_saturating")
    ]
    return {
        "real_logits": np.full(np.shape(x["real_logits"]), real),
        "fake_logits": np.full(np.shape(x["fake_logits"]), fake),
    }


def _perfect_generator(x: Inputs, o: Options) -> Inputs:
    fake = {"non_saturating": BIG, "least_squares": 1.0}[o.get("kind", "non_saturating")]
    return {"fake_logits": np.full(np.shape(x["fake_logits"]), fake)}


CASES: dict[str, Case] = {
    "gan_discriminator": Case(
        name="gan_discriminator",
        make_inputs=_disc_inputs,
        oracle=gan_discriminator,
        options=({}, {"kind": "least_squares"}, {"kind": "hinge"}),
        differentiable=("real_logits", "fake_logits"),
        edges=(
            Edge("extreme logits", {"real_logits": _BIG, "fake_logits": _BIG2}),
            Edge("extreme logits (hinge)", {"real_logits": _BIG, "fake_logits": _BIG2}, {"kind": "hinge"}),
            Edge(
                "wasserstein",
                {"real_logits": _f([2.0, -0.5, 1e4]), "fake_logits": _f([-1.0, 0.5, -1e4])},
                {"kind": "wasserstein"},
            ),
            Edge(
                "hinge kinks",
                {"real_logits": _f([1.0, 1.0]), "fake_logits": _f([-1.0, 0.5])},
                {"kind": "hinge"},
                kink=True,
            ),
            Edge("zero logits", {"real_logits": _f([0.0, 0.0]), "fake_logits": _f([0.0, 0.0])}),
        ),
        sweep=sweeps.Sweep(
            lo=-4.0,
            hi=4.0,
            build=sweeps.gan_logits,
            xlabel="logit",
            axis="logit",
            description="real logit x with fake logit 0, and fake logit x with real logit 0",
            lines=(sweeps.Line("real logit x", {"real": True}), sweeps.Line("fake logit x", {"real": False})),
        ),
        fuzz=Fuzz(perfect=_perfect_discriminator),
    ),
    "gan_generator": Case(
        name="gan_generator",
        make_inputs=_gen_inputs,
        oracle=gan_generator,
        options=({}, {"kind": "least_squares"}),
        differentiable=("fake_logits",),
        edges=(
            Edge("extreme logits", {"fake_logits": _BIG}),
            Edge("extreme logits (least squares)", {"fake_logits": _f([1e4, -1e4, 1.0])}, {"kind": "least_squares"}),
            Edge("hinge", {"fake_logits": _f([2.0, -0.5, 0.0])}, {"kind": "hinge"}),
            Edge("wasserstein", {"fake_logits": _f([2.0, -0.5, 1e4])}, {"kind": "wasserstein"}),
        ),
        sweep=sweeps.Sweep(
            lo=-4.0, hi=4.0, build=lambda xp, x: (x,), xlabel="fake logit", axis="logit", description="fake logit x"
        ),
        fuzz=Fuzz(perfect=_perfect_generator),
    ),
}


# ==================================================================================================
# Counterparts
# ==================================================================================================

_NS = _opts(kind="non_saturating")


def _torch_disc(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    r, f = _torch(x["real_logits"], x["fake_logits"])
    return _np(
        F.binary_cross_entropy_with_logits(r, torch.ones_like(r), reduction=reduction)
        + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction=reduction)
    )


def _torch_gen(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    (f,) = _torch(x["fake_logits"])
    return _np(F.binary_cross_entropy_with_logits(f, torch.ones_like(f), reduction=reduction))


def _optax_disc(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    r, f = jnp.asarray(x["real_logits"]), jnp.asarray(x["fake_logits"])
    bce = optax.losses.sigmoid_binary_cross_entropy
    return _reduce(bce(r, jnp.ones_like(r)) + bce(f, jnp.zeros_like(f)), reduction)


def _optax_gen(x: Arrays, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    f = jnp.asarray(x["fake_logits"])
    return _reduce(optax.losses.sigmoid_binary_cross_entropy(f, jnp.ones_like(f)), reduction)


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "gan_discriminator": [Counterpart("torch", _torch_disc, _NS), Counterpart("optax", _optax_disc, _NS)],
    "gan_generator": [Counterpart("torch", _torch_gen, _NS), Counterpart("optax", _optax_gen, _NS)],
}
