"""Independent float64 NumPy oracles for the GAN losses.

From the papers, on raw discriminator outputs (logits): Goodfellow et al. 2014 (cross-entropy
with D = sigmoid(logit), non-saturating generator -log D(G(z))), Mao et al. 2017 (LSGAN with
a = 0, b = c = 1 and the 1/2 factors), Lim & Ye 2017 / Miyato et al. 2018 (hinge) and
Arjovsky et al. 2017 (WGAN critic). ``-log sigmoid(x) = log(1 + exp(-x))`` is evaluated as
``np.logaddexp(0, -x)`` (exact for every finite x). Nothing here imports or calls lossapi.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["gan_discriminator", "gan_discriminator_parts", "gan_generator", "reduce_discriminator"]


def _nll_real(x: float) -> float:
    """-log D = -log sigmoid(x)."""
    return float(np.logaddexp(0.0, -x))


def _nll_fake(x: float) -> float:
    """-log(1 - D) = -log sigmoid(-x)."""
    return float(np.logaddexp(0.0, x))


def gan_discriminator_parts(real_logits: Any, fake_logits: Any, kind: str = "non_saturating"
                            ) -> tuple[np.ndarray, np.ndarray]:
    """The real and fake terms separately (each of its input's shape)."""
    r = np.asarray(real_logits, dtype=np.float64)
    f = np.asarray(fake_logits, dtype=np.float64)
    rt, ft = np.empty(r.shape), np.empty(f.shape)
    for i in np.ndindex(r.shape):
        x = float(r[i])
        rt[i] = {"non_saturating": _nll_real(x), "least_squares": 0.5 * (x - 1.0) ** 2,
                 "hinge": max(0.0, 1.0 - x), "wasserstein": -x}[kind]
    for i in np.ndindex(f.shape):
        x = float(f[i])
        ft[i] = {"non_saturating": _nll_fake(x), "least_squares": 0.5 * x ** 2,
                 "hinge": max(0.0, 1.0 + x), "wasserstein": x}[kind]
    return rt, ft


def gan_discriminator(real_logits: Any, fake_logits: Any, kind: str = "non_saturating") -> np.ndarray:
    rt, ft = gan_discriminator_parts(real_logits, fake_logits, kind)
    return rt + ft


def gan_generator(fake_logits: Any, kind: str = "non_saturating") -> np.ndarray:
    f = np.asarray(fake_logits, dtype=np.float64)
    out = np.empty(f.shape)
    for i in np.ndindex(f.shape):
        x = float(f[i])
        out[i] = {"non_saturating": _nll_real(x), "least_squares": 0.5 * (x - 1.0) ** 2,
                  "hinge": -x, "wasserstein": -x}[kind]
    return out


def reduce_discriminator(inputs: Mapping[str, Any], options: Mapping[str, Any], reduction: str) -> np.float64:
    """``mean(real term) + mean(fake term)`` (or the sum of the sums) for inputs of any two shapes."""
    rt, ft = gan_discriminator_parts(inputs["real_logits"], inputs["fake_logits"],
                                     options.get("kind", "non_saturating"))
    red = np.mean if reduction == "mean" else np.sum
    return np.float64(red(rt) + red(ft))
