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

from .._catalog import register
from .._errors import InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._ops import relu, softplus
from .._reduction import reduce
from .._validation import broadcast_shapes
from ._common import finish, resolve, setup

__all__ = ["gan_discriminator", "gan_generator"]

KINDS = ("non_saturating", "least_squares", "hinge", "wasserstein")


def _check_kind(fn: str, kind: Any) -> None:
    if kind not in KINDS:
        raise InvalidOptionError(f"lossapi.{fn}: kind={kind!r} is not one of {', '.join(map(repr, KINDS))}.")


def _real_term(xp: Any, kind: str, r: Any) -> Any:
    if kind == "non_saturating":
        return softplus(xp, -r)
    if kind == "least_squares":
        return 0.5 * (r - 1.0) * (r - 1.0)
    if kind == "hinge":
        return relu(xp, 1.0 - r)
    return -r


def _fake_term(xp: Any, kind: str, f: Any) -> Any:
    if kind == "non_saturating":
        return softplus(xp, f)
    if kind == "least_squares":
        return 0.5 * f * f
    if kind == "hinge":
        return relu(xp, 1.0 + f)
    return f


def _elementwise(real: Any, fake: Any) -> bool:
    """The two inputs combine elementwise: one's shape is the broadcast shape of both."""
    if not hasattr(real, "shape") or not hasattr(fake, "shape"):
        return True  # numbers combine elementwise; non-arrays fail in setup with InputTypeError
    a, b = tuple(real.shape), tuple(fake.shape)
    if a == b:
        return True
    full = broadcast_shapes(a, b)
    return full is not None and (full == a or full == b)


@register(
    family="generative",
    task="gan",
    input_spaces={"real_logits": "logit", "fake_logits": "logit"},
    formula=("non_saturating: softplus(-r) + softplus(f); least_squares: (r-1)^2/2 + f^2/2; "
             "hinge: relu(1-r) + relu(1+f); wasserstein: f - r"),
    convex=True,
    counterparts={
        "torch": ("F.binary_cross_entropy_with_logits(real, ones) + "
                  "F.binary_cross_entropy_with_logits(fake, zeros)  (kind='non_saturating')"),
        "optax": ("optax.losses.sigmoid_binary_cross_entropy(real, 1) + "
                  "optax.losses.sigmoid_binary_cross_entropy(fake, 0)  (kind='non_saturating')"),
    },
)
def gan_discriminator(
    real_logits: Any,
    fake_logits: Any,
    /,
    *,
    kind: str = "non_saturating",
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
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
    sample_weight : array, optional
        Weights broadcastable to the per-element loss (elementwise inputs only).
    where : bool array, optional
        Entries where False are excluded (elementwise inputs only); they may hold inf/NaN.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the per-element ``real term + fake term`` (elementwise inputs only).
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

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
    fn = "gan_discriminator"
    _check_kind(fn, kind)
    if _elementwise(real_logits, fake_logits):
        p = setup(fn, "real_logits fake_logits sample_weight where", (real_logits, fake_logits),
                  sample_weight=sample_weight, where=where, reduction=reduction, xp=xp)
        xp = p.xp
        r, f = p.arrays
        return finish(p, _real_term(xp, kind, r) + _fake_term(xp, kind, f), reduction, fn=fn,
                      sample_weight=sample_weight, where=where)
    xp = resolve(fn, "real_logits fake_logits sample_weight where", reduction, real_logits, fake_logits,
                 sample_weight, where, xp=xp)
    if reduction == "none" or sample_weight is not None or where is not None:
        what = "reduction='none'" if reduction == "none" else ("sample_weight" if sample_weight is not None
                                                                 else "where")
        raise ShapeMismatchError(
            f"lossapi.{fn}: `real_logits` {tuple(real_logits.shape)} and `fake_logits` "
            f"{tuple(fake_logits.shape)} do not combine elementwise, so there is no per-element loss "
            f"for {what}; use reduction='mean' or 'sum' (mean(real term) + mean(fake term)), or "
            "inputs of one shape."
        )
    p = setup(fn, "real_logits", (real_logits,), sample_weight=None, where=None, reduction=reduction, xp=xp)
    q = setup(fn, "fake_logits", (fake_logits,), sample_weight=None, where=None, reduction=reduction, xp=xp)
    if q.dtype != p.dtype:
        raise InvalidDTypeError(
            f"lossapi.{fn}: `real_logits` ({real_logits.dtype}) and `fake_logits` ({fake_logits.dtype}) "
            "must have the same floating dtype when their shapes differ; cast one of them."
        )
    out = (reduce(xp, _real_term(xp, kind, p.arrays[0]), reduction, fn=fn)
           + reduce(xp, _fake_term(xp, kind, q.arrays[0]), reduction, fn=fn))
    return finish(p, out, "none", fn=fn, sample_weight=None, where=None)


@register(
    family="generative",
    task="gan",
    input_spaces={"fake_logits": "logit"},
    formula="non_saturating: softplus(-f); least_squares: (f-1)^2/2; hinge, wasserstein: -f",
    convex=True,
    smooth=True,
    counterparts={
        "torch": "F.binary_cross_entropy_with_logits(fake, ones)  (kind='non_saturating')",
        "optax": "optax.losses.sigmoid_binary_cross_entropy(fake, 1)  (kind='non_saturating')",
    },
)
def gan_generator(
    fake_logits: Any,
    /,
    *,
    kind: str = "non_saturating",
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
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
    sample_weight : array, optional
        Weights broadcastable to ``fake_logits``; ``"mean"`` is ``sum(w*l)/sum(w)``.
    where : bool array, optional
        Entries where False are excluded; they may hold inf/NaN.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the per-element loss (the shape of ``fake_logits``).
    xp : namespace, optional
        Array namespace; inferred from the inputs when None.

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
    fn = "gan_generator"
    _check_kind(fn, kind)
    p = setup(fn, "fake_logits sample_weight where", (fake_logits,), sample_weight=sample_weight, where=where,
              reduction=reduction, xp=xp)
    xp = p.xp
    (f,) = p.arrays
    loss = -f if kind in ("hinge", "wasserstein") else _real_term(xp, kind, f)  # real -> 1 for the fakes
    return finish(p, loss, reduction, fn=fn, sample_weight=sample_weight, where=where)
