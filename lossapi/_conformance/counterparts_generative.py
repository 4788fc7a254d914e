"""Native counterparts of the GAN losses.

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

from .counterparts import Counterpart, _jnp, _np, _opts, _reduce, _torch

__all__ = ["FAMILY_COUNTERPARTS", "GENERATIVE_COUNTERPARTS"]

Inputs = Mapping[str, np.ndarray]
_NS = _opts(kind="non_saturating")


def _torch_disc(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    r, f = _torch(x["real_logits"], x["fake_logits"])
    return _np(F.binary_cross_entropy_with_logits(r, torch.ones_like(r), reduction=reduction)
               + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction=reduction))


def _torch_gen(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    (f,) = _torch(x["fake_logits"])
    return _np(F.binary_cross_entropy_with_logits(f, torch.ones_like(f), reduction=reduction))


def _optax_disc(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    r, f = jnp.asarray(x["real_logits"]), jnp.asarray(x["fake_logits"])
    bce = optax.losses.sigmoid_binary_cross_entropy
    return _reduce(bce(r, jnp.ones_like(r)) + bce(f, jnp.zeros_like(f)), reduction)


def _optax_gen(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    jnp = _jnp()
    import optax

    f = jnp.asarray(x["fake_logits"])
    return _reduce(optax.losses.sigmoid_binary_cross_entropy(f, jnp.ones_like(f)), reduction)


GENERATIVE_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "gan_discriminator": [Counterpart("torch", _torch_disc, _NS), Counterpart("optax", _optax_disc, _NS)],
    "gan_generator": [Counterpart("torch", _torch_gen, _NS), Counterpart("optax", _optax_gen, _NS)],
}

FAMILY_COUNTERPARTS = GENERATIVE_COUNTERPARTS
