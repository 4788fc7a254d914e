"""GAN losses on raw discriminator outputs (logits / critic scores).

``kind`` picks the objective, for the discriminator (critic) and the generator:

==================  ==============================================  ===========================
kind                discriminator loss (real r, fake f)             generator loss (fake f)
==================  ==============================================  ===========================
``non_saturating``  softplus(-r) + softplus(f)  (Goodfellow 2014)   softplus(-f)
``least_squares``   ½(r - 1)² + ½f²  (Mao et al. 2017, a=0, b=c=1)  ½(f - 1)²
``hinge``           relu(1 - r) + relu(1 + f)  (Lim & Ye 2017)      -f
``wasserstein``     f - r  (Arjovsky et al. 2017)                   -f
==================  ==============================================  ===========================

``non_saturating`` is binary cross-entropy on logits (real -> 1, fake -> 0; generator: fake ->
1), computed with the stable softplus, never ``log(sigmoid)``: logits of ±1e4 give finite
values and gradients. ``least_squares`` acts on the raw outputs (no sigmoid) with Mao et al.'s
½ factors (as TF-GAN). No gradient penalty is included for ``wasserstein`` (add one yourself).

Shapes: when ``real_logits`` and ``fake_logits`` have the same shape (or one broadcasts to the
other's) the discriminator loss is elementwise, ``real term + fake term``; ``reduction="none"``
returns that shape and ``"mean"`` equals ``mean(real term) + mean(fake term)``. When they do
not (different batch sizes, the usual case with a replay buffer or unequal batches) there is
no per-element loss: ``"mean"`` is ``mean(real term) + mean(fake term)`` and ``"sum"`` is
``sum(real term) + sum(fake term)``; ``"none"``, ``sample_weight`` and ``where`` then raise
:class:`lossapi.ShapeMismatchError` (weight each part with two calls of the per-term losses,
e.g. ``gan_generator`` / ``binary_cross_entropy``, instead).
"""

from __future__ import annotations

from typing import Any

from .._array import Array, Namespace
from .._loss import ELEMENTWISE, Elementwise, loss
from .._ops import relu, softplus
from .._options import Choice

__all__ = ["gan_discriminator", "gan_generator"]

KINDS = ("non_saturating", "least_squares", "hinge", "wasserstein")
_KIND = ("non_saturating", Choice(*KINDS))


def _real_term(xp: Namespace, kind: str, r: Array) -> Array:
    if kind == "non_saturating":
        return softplus(xp, -r)
    if kind == "least_squares":
        return 0.5 * (r - 1.0) * (r - 1.0)
    if kind == "hinge":
        return relu(xp, 1.0 - r)
    return -r


def _fake_term(xp: Namespace, kind: str, f: Array) -> Array:
    if kind == "non_saturating":
        return softplus(xp, f)
    if kind == "least_squares":
        return 0.5 * f * f
    if kind == "hinge":
        return relu(xp, 1.0 + f)
    return f


@loss(
    Elementwise(separate=True),
    family="generative",
    task="gan",
    inputs={"real_logits": "logit", "fake_logits": "logit"},
    options={"kind": _KIND},
    formula=(
        "non_saturating: softplus(-r) + softplus(f); least_squares: (r-1)^2/2 + f^2/2; "
        "hinge: relu(1-r) + relu(1+f); wasserstein: f - r"
    ),
    convex=True,
    counterparts={
        "torch": (
            "F.binary_cross_entropy_with_logits(real, ones) + "
            "F.binary_cross_entropy_with_logits(fake, zeros)  (kind='non_saturating')"
        ),
        "optax": (
            "optax.losses.sigmoid_binary_cross_entropy(real, 1) + "
            "optax.losses.sigmoid_binary_cross_entropy(fake, 0)  (kind='non_saturating')"
        ),
    },
)
def gan_discriminator(xp: Namespace, real_logits: Array, fake_logits: Array, *, kind: str) -> Any:
    r"""GAN discriminator (critic) loss on the raw outputs for real and generated samples.

    .. math::
        \ell(r, f) = \begin{cases}
            \log(1 + e^{-r}) + \log(1 + e^{f}) & \text{non\_saturating} \\
            \tfrac12 (r - 1)^2 + \tfrac12 f^2 & \text{least\_squares} \\
            \max(0, 1 - r) + \max(0, 1 + f) & \text{hinge} \\
            f - r & \text{wasserstein}
        \end{cases}

    Parameters
    ----------
    real_logits : array
        Discriminator outputs (logits / critic scores) on real samples (floating).
    fake_logits : array
        Discriminator outputs on generated samples; the same shape as ``real_logits``, one
        broadcasting to the other, or a different batch size (see Notes).
    kind : {"non_saturating", "least_squares", "hinge", "wasserstein"}
        The GAN objective (table in the module docstring).

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the broadcast shape; the namespace, device and
        floating dtype of ``real_logits``.

    Notes
    -----
    With shapes that do not combine elementwise (e.g. 64 real and 32 fake samples) the loss
    is ``mean(real term) + mean(fake term)`` (``"mean"``) or the sum of the two sums
    (``"sum"``); ``"none"``, ``sample_weight`` and ``where`` raise ``ShapeMismatchError``
    there. On elementwise inputs ``"mean"`` is the same ``mean(real) + mean(fake)``.

    ``kind="non_saturating"`` equals
    ``F.binary_cross_entropy_with_logits(real, ones, reduction=red) +
    F.binary_cross_entropy_with_logits(fake, zeros, reduction=red)`` in torch (and optax's
    ``sigmoid_binary_cross_entropy`` likewise). Hinge kinks (``r = 1``, ``f = -1``) have
    gradient 0 on every backend.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> r, f = np.array([2.0, 0.0]), np.array([-0.5, 0.5])
    >>> la.gan_discriminator(r, f, kind="hinge", reduction="none").tolist()
    [0.5, 2.5]
    >>> la.gan_discriminator(r, f, kind="least_squares", reduction="none").tolist()
    [0.625, 0.625]
    >>> round(float(la.gan_discriminator(np.zeros(4), np.zeros(2))), 4)  # 2 log 2; batch sizes differ
    1.3863
    """
    return _real_term(xp, kind, real_logits), _fake_term(xp, kind, fake_logits)


@loss(
    ELEMENTWISE,
    family="generative",
    task="gan",
    inputs={"fake_logits": "logit"},
    options={"kind": _KIND},
    formula="non_saturating: softplus(-f); least_squares: (f-1)^2/2; hinge, wasserstein: -f",
    convex=True,
    smooth=True,
    counterparts={
        "torch": "F.binary_cross_entropy_with_logits(fake, ones)  (kind='non_saturating')",
        "optax": "optax.losses.sigmoid_binary_cross_entropy(fake, 1)  (kind='non_saturating')",
    },
)
def gan_generator(xp: Namespace, fake_logits: Array, *, kind: str) -> Any:
    r"""GAN generator loss on the discriminator's raw outputs for generated samples.

    .. math::
        \ell(f) = \begin{cases}
            \log(1 + e^{-f}) & \text{non\_saturating} \\
            \tfrac12 (f - 1)^2 & \text{least\_squares} \\
            -f & \text{hinge, wasserstein}
        \end{cases}

    ``non_saturating`` is Goodfellow et al.'s ``-log D(G(z))`` (not the saturating
    ``log(1 - D(G(z)))``), stable for logits of any magnitude.

    Parameters
    ----------
    fake_logits : array
        Discriminator outputs (logits / critic scores) on generated samples (floating).
    kind : {"non_saturating", "least_squares", "hinge", "wasserstein"}
        The GAN objective; must match the discriminator's.

    Returns
    -------
    array
        0-d for ``"mean"``/``"sum"``, else the shape of ``fake_logits``.

    Notes
    -----
    ``kind="non_saturating"`` equals ``F.binary_cross_entropy_with_logits(fake, ones)`` in torch
    and ``optax.losses.sigmoid_binary_cross_entropy(fake, 1)`` per element. ``hinge`` and
    ``wasserstein`` share the generator loss ``-f`` (Miyato et al. 2018).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> f = np.array([0.0, 3.0])
    >>> la.gan_generator(f, kind="least_squares", reduction="none").tolist()
    [0.5, 2.0]
    >>> la.gan_generator(f, kind="wasserstein", reduction="none").tolist()
    [-0.0, -3.0]
    """
    # The generator wants its fakes judged real: the discriminator's real term at the fakes.
    return -fake_logits if kind in ("hinge", "wasserstein") else _real_term(xp, kind, fake_logits)
