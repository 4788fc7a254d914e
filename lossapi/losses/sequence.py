r"""Sequence losses: connectionist temporal classification (CTC).

- **Layout.** ``log_probs`` holds per-frame log-probabilities over ``C`` classes (blank
  included), batch-major ``(B, T, C)`` by default (optax, keras); ``time_major=True`` takes
  torch's ``(T, B, C)``. Any number of leading batch axes works (``(..., T, C)``, or
  ``(T, ..., C)`` time-major): the batch is everything but the time and class axes, and the
  "none" shape is that batch shape (one loss per sequence). ``labels`` is a padded integer array
  ``(..., S)`` of any integer dtype; ``input_lengths`` and ``label_lengths`` (``(...)``, integer)
  say how many frames and labels of each sequence count. Padding beyond the lengths is never read
  (its values may be anything). Labels inside the length must lie in ``[0, C)`` and differ from
  ``blank``.
- **Recursion.** The forward (alpha) recursion runs in log space over the extended label
  sequence ``blank, l_1, blank, l_2, ..., l_S, blank`` (``2S + 1`` states) with a Python loop over
  the ``T`` frames. Every step has static shapes: the skip transition ``s - 2 -> s`` is a mask
  (allowed when ``l`` at ``s`` is not blank and differs from ``l`` at ``s - 2``, so a repeated
  label needs a blank in between), the lengths are masks (a finished sequence keeps its alpha).
  No value-dependent branching or shapes: it runs eagerly on every backend, under ``jax.jit``
  (the loop is unrolled), ``torch.compile`` and vmap, and stays lazy on Dask.
- **Impossible alignments** (a label sequence too long for its input, counting the blanks that
  repeats need) have loss ``+inf``; ``zero_infinity=True`` makes them 0 with gradient 0 (torch).
  Log-space additions are guarded (double ``where``) so that unreachable states never produce
  NaN in the value or the gradient.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _value_checks
from .._catalog import register
from .._dispatch import backend_name
from .._errors import InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._native import try_fast
from .._ops import amax, gather_labels, stop_gradient
from .._reduction import reduce
from .._validation import _compute_dtype, _kind, broadcast_shapes, check_bool, check_where, same_size
from ._classes import device_of, resolve_classes

__all__ = ["ctc"]

_NAMES = "log_probs labels input_lengths label_lengths sample_weight where"


def _lse(xp: Any, *terms: Any, consts: tuple[Any, Any, Any] | None = None) -> Any:
    """``log(sum(exp(terms)))`` elementwise, ``-inf`` (value and zero gradient) when all are ``-inf``.

    The shift is the stop-gradient maximum (0 where it is ``-inf``); the logarithm is taken
    through a double ``where`` so that all-``-inf`` states give neither NaN values nor NaN
    gradients. The terms are stacked and reduced (``max``/``sum`` over the new axis): the
    reductions also keep XLA from fusing the unrolled time loop into one exponentially
    re-computed expression (compile time). ``consts``: zeros, ones and ``-inf`` arrays of the
    result's shape, when the caller has them (the time loop reuses them).
    """
    z = xp.stack(terms, axis=0)
    m = stop_gradient(xp, amax(xp, z, axis=0))
    if consts is None:
        consts = (xp.zeros_like(m), xp.ones_like(m), xp.full_like(m, -math.inf))
    zeros, ones, neg = consts
    m = xp.where(m == -math.inf, zeros, m)
    s = xp.sum(xp.exp(z - m), axis=0)
    pos = ~(s <= 0)  # NaN takes the log branch and propagates
    return xp.where(pos, xp.log(xp.where(pos, s, ones)) + m, neg)


def _gather_frames(xp: Any, lp: Any, idx: Any) -> Any:
    """``lp[..., t, idx[..., t, k]]``: per-frame log-probabilities at the extended labels."""
    if backend_name(xp) in ("numpy", "jax", "cupy", "array_api_strict") and hasattr(xp, "take_along_axis"):
        return xp.take_along_axis(lp, idx, axis=-1)
    # torch (take_along_dim through _ops) and Dask (a comparison with the class range).
    shape = (*idx.shape, lp.shape[-1])
    return gather_labels(xp, xp.broadcast_to(xp.expand_dims(lp, axis=-2), shape), idx, axis=-1)


def ctc_forward(xp: Any, lp: Any, labels: Any, input_lengths: Any, label_lengths: Any, blank: int) -> Any:
    """Negative log-likelihood per sequence (``+inf`` when impossible) from sanitized inputs.

    ``lp``: ``(..., T, C)`` in the compute dtype; ``labels``: ``(..., S)`` valid class indices
    (padding already replaced by ``blank``); lengths ``(...)`` already clipped to the valid range.
    """
    dtype = lp.dtype
    dev = device_of(lp)
    T = lp.shape[-2]
    batch = tuple(lp.shape[:-2])
    S = labels.shape[-1]
    K = 2 * S + 1
    blanks = xp.full_like(labels, blank)
    if S > 0:
        inter = xp.reshape(xp.stack([blanks, labels], axis=-1), (*batch, 2 * S))
        ext = xp.concat([inter, blanks[..., :1]], axis=-1)
    else:
        ext = xp.full((*batch, 1), blank, dtype=labels.dtype, device=dev)
    # Skip s-2 -> s: a non-blank label different from the previous one.
    prev = xp.concat([xp.full((*batch, min(2, K)), blank, dtype=labels.dtype, device=dev), ext[..., : max(K - 2, 0)]],
                     axis=-1)[..., :K]
    skip = (ext != blank) & (ext != prev)

    emit = _gather_frames(xp, lp, xp.broadcast_to(xp.expand_dims(ext, axis=-2), (*batch, T, K)))
    k_idx = xp.arange(K, device=dev)
    shape = (*batch, K)
    zeros = xp.zeros(shape, dtype=dtype, device=dev)
    consts = (zeros, xp.ones(shape, dtype=dtype, device=dev), xp.full(shape, -math.inf, dtype=dtype, device=dev))
    pad = xp.full((*batch, 2), -math.inf, dtype=dtype, device=dev)
    # Virtual state before the first frame: all mass on state 0, so frame 0 reaches states 0, 1.
    alpha = xp.where(k_idx == 0, zeros, consts[2])
    il = xp.expand_dims(input_lengths, axis=-1)
    for t in range(T):
        padded = xp.concat([pad, alpha], axis=-1)  # states s - 2, s - 1 are slices of it
        new = _lse(xp, alpha, padded[..., 1:K + 1], xp.where(skip, padded[..., :K], consts[2]), consts=consts)
        new = new + emit[..., t, :]
        alpha = xp.where(il > t, new, alpha)
    L = xp.astype(xp.expand_dims(label_lengths, axis=-1), k_idx.dtype)
    zero = xp.zeros_like(alpha)
    last = xp.sum(xp.where(k_idx == 2 * L, alpha, zero), axis=-1)
    before = xp.sum(xp.where(k_idx == 2 * L - 1, alpha, zero), axis=-1)
    before = xp.where(L[..., 0] > 0, before, xp.full_like(before, -math.inf))
    return -_lse(xp, last, before)


@register(
    family="sequence",
    task="sequence",
    input_spaces={"log_probs": "log_probability", "labels": "label", "input_lengths": "count",
                  "label_lengths": "count"},
    formula="-log sum over alignments pi collapsing to labels of prod_t p_t(pi_t) (forward recursion)",
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.ctc_loss(log_probs (T, B, C), labels, input_lengths, label_lengths, "
                 "blank=blank, zero_infinity=zero_infinity, reduction=reduction)",
        "optax": "optax.losses.ctc_loss(log_probs, 1 - mask(input_lengths), labels, 1 - mask(label_lengths), "
                 "blank_id=blank) (per sequence; log_softmax of log-probabilities is the identity)",
    },
)
def ctc(
    log_probs: Any,
    labels: Any,
    input_lengths: Any,
    label_lengths: Any,
    /,
    *,
    blank: int = 0,
    zero_infinity: bool = False,
    time_major: bool = False,
    sample_weight: Any = None,
    where: Any = None,
    reduction: str = "mean",
    xp: Any = None,
) -> Any:
    r"""Connectionist temporal classification loss (negative log-likelihood of the labels).

    .. math::

        \ell = -\log \sum_{\pi \in \mathcal{B}^{-1}(l)} \prod_{t=1}^{T'} p_t(\pi_t)

    where :math:`\mathcal{B}` removes repeats then blanks from a frame-level path :math:`\pi`,
    :math:`T'` is the sequence's input length and :math:`l` its first ``label_length`` labels
    (Graves et al., 2006). Computed by the forward recursion over the extended sequence
    :math:`l' = (\varnothing, l_1, \varnothing, \dots, l_S, \varnothing)`:
    :math:`\alpha_t(s) = p_t(l'_s)\,[\alpha_{t-1}(s) + \alpha_{t-1}(s-1) + \alpha_{t-1}(s-2)]`,
    the last term only when :math:`l'_s \ne \varnothing` and :math:`l'_s \ne l'_{s-2}`;
    :math:`\ell = -\log(\alpha_{T'}(2L) + \alpha_{T'}(2L-1))`.

    Parameters
    ----------
    log_probs : array, shape (B, T, C)
        Per-frame log-probabilities (normalized over the classes, e.g. ``log_softmax``);
        ``(T, B, C)`` with ``time_major=True``. More leading batch axes are allowed.
    labels : integer array, shape (B, S)
        Padded label sequences (any integer dtype); entries beyond ``label_lengths`` are ignored.
    input_lengths : integer array, shape (B,)
        Number of valid frames of each sequence (clipped to ``[0, T]``).
    label_lengths : integer array, shape (B,)
        Number of valid labels of each sequence (clipped to ``[0, S]``).
    blank : int, default 0
        Class index of the blank.
    zero_infinity : bool, default False
        Give impossible alignments (loss ``+inf``) loss 0 and gradient 0.
    time_major : bool, default False
        ``log_probs`` is ``(T, B, C)`` (torch's layout).
    sample_weight : array, optional
        Per-sequence weights, broadcastable to ``(B,)``.
    where : bool array, optional
        Per-sequence mask, broadcastable to ``(B,)``; excluded sequences may hold NaN/inf or
        out-of-range labels and lengths without affecting the value or the gradient.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"``: the per-sequence loss, shape ``(B,)``. ``"mean"`` follows torch: each
        sequence's loss is divided by its label length (clamped at 1), then the weighted mean
        ``sum(w * loss / L) / sum(w)`` is taken. ``"sum"``: ``sum(w * loss)`` (no division).
    xp : namespace, optional
        Array namespace (inferred from the inputs by default).

    Returns
    -------
    array
        The reduced loss, or the per-sequence loss for ``reduction="none"``, in
        ``log_probs``' dtype (16-bit inputs are computed in float32).

    Notes
    -----
    Equals ``torch.nn.functional.ctc_loss`` (same ``blank``, ``zero_infinity``, all three
    reductions; torch's layout is ``time_major=True``) and, per sequence,
    ``optax.losses.ctc_loss(log_probs, logit_paddings, labels, label_paddings, blank_id=blank)``
    with paddings ``1 - (t < input_length)`` and ``1 - (s < label_length)``; optax scores
    impossible alignments with a large finite value (its ``log_epsilon``), lossapi with
    ``+inf``. The gradient of an infinite loss is 0. Rounding cannot make a float32 loss
    negative: results are clamped at 0 (exact for normalized ``log_probs``). Gradients:
    lossapi returns the exact partial derivative with respect to ``log_probs`` (minus the
    state occupancy); torch's ``ctc_loss`` backward adds ``exp(log_probs)`` on the valid
    frames (it is meant to be chained through ``log_softmax``, whose backward removes that
    term), so the two agree with respect to the logits of a ``log_softmax``. Cost: ``T``
    sequential steps over ``2S + 1`` states (the loop is unrolled under ``jax.jit``).

    On torch (eager, float32/float64, no ``sample_weight``/``where``) a native fast path runs
    torch's fused kernel with the same values and the same (partial-derivative) gradients;
    it has no double backward, so compute Hessians inside ``lossapi.native(False)``.

    Examples
    --------
    >>> import numpy as np
    >>> import lossapi as la
    >>> lp = np.log(np.full((1, 2, 2), 0.5))  # two frames, classes {blank, a}, uniform
    >>> # paths for "a": (a, a), (a, blank), (blank, a): probability 3/4
    >>> float(la.ctc(lp, np.array([[1]]), np.array([2]), np.array([1]), reduction="sum"))  # -log(3/4)
    0.2876820724517809
    """
    fn = "ctc"
    if not isinstance(blank, int) or isinstance(blank, bool) or blank < 0:
        raise InvalidOptionError(f"lossapi.{fn}: blank must be a non-negative int, got {blank!r}.")
    check_bool(fn, "zero_infinity", zero_infinity)
    check_bool(fn, "time_major", time_major)
    if xp is None:
        xp = resolve_classes(fn, _NAMES, reduction, log_probs, labels, input_lengths, label_lengths, sample_weight,
                             where)
    else:
        from .._validation import check_reduction

        check_reduction(fn, reduction)
        if _value_checks.active:  # value checks (lossapi.check_values) when resolve was skipped
            _value_checks.check_call(fn, xp)
    fast = try_fast(fn, xp, log_probs, labels, input_lengths, label_lengths, blank=blank,
                    zero_infinity=zero_infinity, time_major=time_major, sample_weight=sample_weight, where=where,
                    reduction=reduction)
    if fast is not NotImplemented:
        return fast
    if _kind(log_probs.dtype) != "float":
        raise InvalidDTypeError(
            f"lossapi.{fn}: `log_probs` must have a real floating dtype, got {log_probs.dtype}; "
            "cast it first, e.g. xp.astype(log_probs, xp.float32)."
        )
    for name, a in (("labels", labels), ("input_lengths", input_lengths), ("label_lengths", label_lengths)):
        if _kind(a.dtype) != "int":
            raise InvalidDTypeError(f"lossapi.{fn}: `{name}` must have an integer dtype, got {a.dtype}.")
    if log_probs.ndim < 3:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `log_probs` has shape {tuple(log_probs.shape)}, expected (B, T, C)"
            + (" with time_major=False" if not time_major else ", here (T, B, C) with time_major=True")
            + " (at least 3 dimensions)."
        )
    lp = log_probs
    if time_major:
        nd = lp.ndim
        lp = xp.permute_dims(lp, (*range(1, nd - 1), 0, nd - 1))
    batch = tuple(lp.shape[:-2])
    T, C = lp.shape[-2], lp.shape[-1]

    def _shape_ok(a: Any, expected: tuple[Any, ...]) -> bool:
        return a.ndim == len(expected) and all(same_size(x, y) for x, y in zip(a.shape, expected))

    if labels.ndim != len(batch) + 1 or not _shape_ok(labels, (*batch, labels.shape[-1])):
        raise ShapeMismatchError(
            f"lossapi.{fn}: `labels` has shape {tuple(labels.shape)}, expected the batch shape {batch} "
            "plus a (padded) label axis: (B, S)."
        )
    for name, a in (("input_lengths", input_lengths), ("label_lengths", label_lengths)):
        if not _shape_ok(a, batch):
            raise ShapeMismatchError(f"lossapi.{fn}: `{name}` has shape {tuple(a.shape)}, expected the batch shape {batch}.")
    if isinstance(C, int) and blank >= C:
        raise InvalidOptionError(f"lossapi.{fn}: blank={blank} is not a class index of `log_probs` with C={C} classes.")

    out_dtype = lp.dtype
    dtype = _compute_dtype(xp, out_dtype)
    if dtype != out_dtype:
        lp = xp.astype(lp, dtype)
    il, ll, lab = input_lengths, label_lengths, labels
    if where is not None:
        check_where(fn, where)
        wshape = broadcast_shapes(tuple(where.shape), batch)
        if wshape is None or len(wshape) != len(batch) or not all(same_size(a, b) for a, b in zip(wshape, batch)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `where` has shape {tuple(where.shape)}, which does not broadcast to the "
                f"per-sequence loss shape {batch}."
            )
        w = xp.broadcast_to(xp.reshape(where, (1,) * (len(batch) - where.ndim) + tuple(where.shape)), batch)
        lp = xp.where(w[..., None, None], lp, xp.zeros_like(lp))
        lab = xp.where(w[..., None], lab, xp.full_like(lab, blank))
        il = xp.where(w, il, xp.full_like(il, T))
        ll = xp.where(w, ll, xp.zeros_like(ll))
    S = lab.shape[-1]
    il = xp.clip(il, 0, T)
    ll = xp.clip(ll, 0, S)
    s_idx = xp.arange(S, dtype=ll.dtype, device=device_of(ll))
    lab = xp.where(s_idx < ll[..., None], lab, xp.full_like(lab, blank))
    lab = xp.clip(lab, 0, C - 1)

    loss = ctc_forward(xp, lp, lab, il, ll, blank)
    zero = xp.zeros_like(loss)
    if zero_infinity:
        loss = xp.where(loss == math.inf, zero, loss)
    loss = xp.where(loss < 0, zero, loss)
    if reduction == "mean":
        den = xp.astype(xp.clip(ll, 1, None), dtype)
        loss = loss / den
    return reduce(xp, loss, reduction, fn=fn, sample_weight=sample_weight, where=where,
                  out_dtype=None if out_dtype == dtype else out_dtype)
