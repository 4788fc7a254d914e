r"""Sequence losses: connectionist temporal classification (CTC).

- **Layout.** ``log_probs`` holds per-frame log-probabilities over ``C`` classes (blank
  included), batch-major ``(B, T, C)`` by default (optax, keras); ``time_major=True`` takes
  torch's ``(T, B, C)``. Any number of leading batch axes works (``(..., T, C)``, or
  ``(T, ..., C)`` time-major): the batch is everything but the time and class axes, and the
  "none" shape is that batch shape (one loss per sequence). One unbatched sequence is
  ``(T, C)`` (as in torch: 0-d or ``(1,)`` lengths, ``(S,)`` or ``(1, S)`` labels, a 0-d
  "none" result). ``labels`` is a padded integer array ``(..., S)`` of any integer dtype, or
  torch's concatenated form ``(sum(label_lengths),)`` (1-D, for one batch axis or more: the
  sequences' labels in row-major batch order); ``input_lengths`` and ``label_lengths``
  (``(...)``, integer arrays) say how many frames and labels of each sequence count. Padding
  beyond the lengths is never read (its values may be anything). Labels inside the length must
  lie in ``[0, C)`` and differ from ``blank``: otherwise that sequence's loss is NaN on every
  backend and path (``lossapi.check_values()`` raises ``InvalidValueError`` instead).
- **Recursion.** The forward (alpha) recursion runs in log space over the extended label
  sequence ``blank, l_1, blank, l_2, ..., l_S, blank`` (``2S + 1`` states) with a Python loop over
  the ``T`` frames. Every step has static shapes: the skip transition ``s - 2 -> s`` is a mask
  (allowed when ``l`` at ``s`` is not blank and differs from ``l`` at ``s - 2``, so a repeated
  label needs a blank in between), the lengths are masks (a finished sequence keeps its alpha).
  No value-dependent branching or shapes: it runs eagerly on every backend, under ``jax.jit``
  (the loop is unrolled), ``torch.compile`` and vmap, and stays lazy on Dask. (Concatenated
  labels are split into padded ones as wide as the longest length, read once on the host when
  the lengths are concrete, as torch's own kernel reads them; traced and Dask lengths get the
  static width ``labels.shape[0]`` instead: the same values at a higher cost.)
- **Impossible alignments** (a label sequence too long for its input, counting the blanks that
  repeats need) have loss ``+inf``; ``zero_infinity=True`` makes them 0 with gradient 0 (torch).
  Log-space additions are guarded (double ``where``) so that unreachable states never produce
  NaN in the value or the gradient.
"""

from __future__ import annotations

import math
from typing import Any

from .._array import Array, device_of
from .._dispatch import backend_name
from .._loss import loss
from .._ops import amax, gather_labels, stop_gradient
from .._options import Flag, Integer
from ._sequences import SequenceContext, Sequences

__all__ = ["ctc"]


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
    prev = xp.concat(
        [xp.full((*batch, min(2, K)), blank, dtype=labels.dtype, device=dev), ext[..., : max(K - 2, 0)]], axis=-1
    )[..., :K]
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
        new = _lse(xp, alpha, padded[..., 1 : K + 1], xp.where(skip, padded[..., :K], consts[2]), consts=consts)
        new = new + emit[..., t, :]
        alpha = xp.where(il > t, new, alpha)
    L = xp.astype(xp.expand_dims(label_lengths, axis=-1), k_idx.dtype)
    zero = xp.zeros_like(alpha)
    last = xp.sum(xp.where(k_idx == 2 * L, alpha, zero), axis=-1)
    before = xp.sum(xp.where(k_idx == 2 * L - 1, alpha, zero), axis=-1)
    before = xp.where(L[..., 0] > 0, before, xp.full_like(before, -math.inf))
    return -_lse(xp, last, before)


@loss(
    Sequences(mean_per_label=True),
    family="sequence",
    task="sequence",
    inputs={"log_probs": "log_probability", "labels": "label", "input_lengths": "count", "label_lengths": "count"},
    options={"blank": (0, Integer(0)), "zero_infinity": (False, Flag()), "time_major": (False, Flag())},
    formula="-log sum over alignments pi collapsing to labels of prod_t p_t(pi_t) (forward recursion)",
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.ctc_loss(log_probs (T, B, C), labels, input_lengths, label_lengths, "
        "blank=blank, zero_infinity=zero_infinity, reduction=reduction)",
        "optax": "optax.losses.ctc_loss(log_probs, 1 - mask(input_lengths), labels, 1 - mask(label_lengths), "
        "blank_id=blank) (per sequence; log_softmax of log-probabilities is the identity)",
    },
    value_rules={"labels": "ctc_labels"},
)
def ctc(
    s: SequenceContext,
    log_probs: Array,
    labels: Array,
    input_lengths: Array,
    label_lengths: Array,
    *,
    zero_infinity: bool,
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
    log_probs : array, shape (B, T, C) or (T, C)
        Per-frame log-probabilities (normalized over the classes, e.g. ``log_softmax``);
        ``(T, B, C)`` with ``time_major=True``. More leading batch axes are allowed; ``(T, C)``
        is one sequence (the result of ``reduction="none"`` is then 0-d). A NaN, or a value
        whose ``exp`` overflows (``+inf`` included), in a frame before the input length makes
        that sequence's loss NaN (gradient 0 from it).
    labels : integer array, shape (B, S) or (sum(label_lengths),)
        Padded label sequences (any integer dtype); entries beyond ``label_lengths`` are ignored.
        Or torch's 1-D form: the labels of all sequences concatenated in batch order (entries
        after the last sequence are ignored). ``(S,)`` (or ``(1, S)``) for one sequence. A label
        inside the length outside ``[0, C)`` or equal to ``blank``, or concatenated labels that
        end before a sequence does, make that sequence's loss NaN (gradient 0 from it).
    input_lengths : integer array, shape (B,)
        Number of valid frames of each sequence (clipped to ``[0, T]``); 0-d (or ``(1,)``) for
        one sequence. Python lists and tuples (which torch accepts) are not arrays: convert them
        with ``xp.asarray(input_lengths, device=...)`` in the inputs' library.
    label_lengths : integer array, shape (B,)
        Number of valid labels of each sequence (clipped to ``[0, S]``); 0-d (or ``(1,)``) for
        one sequence; an array here too (``xp.asarray`` a list or tuple).
    blank : int, default 0
        Class index of the blank.
    zero_infinity : bool, default False
        Give impossible alignments (loss ``+inf``) loss 0 and gradient 0.
    time_major : bool, default False
        ``log_probs`` is ``(T, B, C)`` (torch's layout).

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

    Invalid labels give NaN rather than an error because checking them would read the labels
    on the host (a synchronization, impossible under ``jax.jit``); inside
    ``lossapi.check_values()`` such inputs raise ``InvalidValueError`` instead (torch's own
    ``ctc_loss`` gives an unspecified finite value for a blank label).

    On torch (eager, float32/float64, no ``sample_weight``/``where``) a native fast path runs
    torch's fused kernel with the same values (NaN included) and the same (partial-derivative)
    gradients; it has no double backward, so compute Hessians inside ``lossapi.native(False)``.

    Examples
    --------
    >>> import numpy as np
    >>> import lossapi as la
    >>> lp = np.log(np.full((1, 2, 2), 0.5))  # two frames, classes {blank, a}, uniform
    >>> # paths for "a": (a, a), (a, blank), (blank, a): probability 3/4
    >>> float(la.ctc(lp, np.array([[1]]), np.array([2]), np.array([1]), reduction="sum"))  # -log(3/4)
    0.2876820724517809
    >>> float(la.ctc(lp[0, ...], np.array([1]), np.array(2), np.array(1), reduction="none"))  # one (T, C) sequence
    0.2876820724517809
    >>> lp = np.log(np.full((2, 3, 3), 1 / 3))  # two sequences, three frames, classes {blank, a, b}
    >>> il, ll = np.array([3, 3]), np.array([2, 1])
    >>> la.ctc(lp, np.array([[1, 2], [2, 0]]), il, ll, reduction="none").round(6).tolist()  # padded
    [1.686399, 1.504077]
    >>> la.ctc(lp, np.array([1, 2, 2]), il, ll, reduction="none").round(6).tolist()  # concatenated (torch)
    [1.686399, 1.504077]
    >>> la.ctc(lp, np.array([[1, 0], [2, 0]]), il, ll, reduction="none").round(6).tolist()  # blank inside
    [nan, 1.504077]
    """
    xp = s.xp
    nll = ctc_forward(xp, log_probs, labels, input_lengths, label_lengths, s.blank)
    zero = xp.zeros_like(nll)
    if zero_infinity:
        nll = xp.where(nll == math.inf, zero, nll)
    return xp.where(nll < 0, zero, nll)  # rounding cannot make a float32 loss negative
