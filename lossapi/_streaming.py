"""Streaming log-sum-exp over a linear layer's logits, without the ``(N, C)`` logits.

For hidden states ``h`` ``(N, D)``, a weight ``W`` ``(C, D)`` (a linear layer's layout), an
optional bias ``b`` ``(C,)``, integer labels ``y`` ``(N,)`` (in range) and optional class weights
``w`` ``(C,)``, :func:`linear_logsumexp` returns per row, with ``z = h W^T + b``:

- ``lse = log sum_c exp(z_c)``,
- ``picked = z_y``,
- ``spread = sum_c w_c (lse - z_c)`` (``w_c = 1`` without class weights): the label-smoothing
  term of the cross-entropy, as a sum of non-negative terms (no cancellation).

Logits are formed one block at a time: ``vocab_chunk`` classes by ``token_chunk`` rows (about
``2**20`` logits, 4 MiB in float32, by default), with an online log-sum-exp (a running maximum
and a rescaled running sum) across the class chunks.

The generic implementation is plain Array API code (every backend; torch and JAX differentiate
it by recording every block, i.e. with the logits' memory in the backward pass). The native
paths keep the forward pass and replace the backward pass by one that recomputes each block
(``torch.autograd.Function``; ``jax.custom_vjp``), so no pass holds more than a few blocks. The
gradient of the three outputs with respect to the logits is, per row,
``g_lse p + g_picked onehot(y) + g_spread (sum(w) p - w)`` with ``p = softmax(z)``, pushed through
``z = h W^T + b`` block by block.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from ._array import device_of
from ._dispatch import backend_name
from ._native import native_enabled
from ._ops import stop_gradient

__all__ = ["BLOCK_LOGITS", "chunks", "linear_logsumexp"]

#: Logits per block (rows x classes): 4 MiB in float32.
BLOCK_LOGITS = 2**20
#: Default number of classes per chunk.
VOCAB_CHUNK = 2048


def chunks(num_rows: int, num_classes: int, chunk_size: int | None) -> tuple[int, int]:
    """``(token_chunk, vocab_chunk)``: classes per chunk (``chunk_size``, default
    ``min(C, 2048)``) and rows per block so that a block holds about :data:`BLOCK_LOGITS` logits."""
    vc = max(1, min(num_classes, VOCAB_CHUNK if chunk_size is None else chunk_size))
    tc = max(1, min(max(num_rows, 1), BLOCK_LOGITS // vc))
    return tc, vc


def linear_logsumexp(
    xp: Any, h: Any, weight: Any, bias: Any, labels: Any, class_weight: Any, chunk_size: int | None
) -> tuple[Any, Any, Any]:
    """``(lse, picked, spread)`` per row of ``h`` (see the module docstring), each ``(N,)``."""
    tc, vc = chunks(h.shape[0], weight.shape[0], chunk_size)
    if native_enabled():
        b = backend_name(xp)
        if b == "torch":
            return _torch_function().apply(h, weight, bias, labels, class_weight, tc, vc)
        if b == "jax":
            return _jax_stats(h, weight, bias, labels, class_weight, tc, vc)
    return _forward(xp, h, weight, bias, labels, class_weight, tc, vc)


def _block(xp: Any, h: Any, weight: Any, bias: Any, v0: int, v1: int) -> Any:
    z = xp.matmul(h, xp.matrix_transpose(weight[v0:v1, ...]))
    return z if bias is None else z + bias[v0:v1]


def _class_ids(xp: Any, labels: Any, v0: int, v1: int) -> Any:
    """``labels[:, None] == [v0, v1)``: the one-hot block of the labels."""
    ids = xp.arange(v0, v1, dtype=labels.dtype, device=device_of(labels))
    return xp.expand_dims(labels, axis=1) == xp.expand_dims(ids, axis=0)


def _forward(
    xp: Any, h: Any, weight: Any, bias: Any, labels: Any, class_weight: Any, tc: int, vc: int
) -> tuple[Any, Any, Any]:
    """The streaming forward pass in Array API code (differentiable by recording it)."""
    n, c = h.shape[0], weight.shape[0]
    total_w = float(c) if class_weight is None else xp.sum(class_weight)
    out: list[tuple[Any, Any, Any]] = []
    for t0 in range(0, n, tc):
        t1 = min(n, t0 + tc)  # in-bounds slices (the standard leaves others unspecified)
        hb, yb = h[t0:t1, ...], labels[t0:t1]
        m: Any = None
        s = spread = picked = seen = m
        for v0 in range(0, c, vc):
            v1 = min(c, v0 + vc)
            z = _block(xp, hb, weight, bias, v0, v1)
            wc = None if class_weight is None else class_weight[v0:v1]
            top = stop_gradient(xp, xp.max(z, axis=1))
            top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))  # all -inf (or inf): no shift
            m_new = top if m is None else xp.maximum(m, top)
            shifted = xp.expand_dims(m_new, axis=1) - z  # >= 0 for finite logits
            e = xp.sum(xp.exp(-shifted), axis=1)
            d = xp.sum(shifted if wc is None else shifted * wc, axis=1)
            wsum = float(v1 - v0) if wc is None else xp.sum(wc)
            hit = xp.sum(xp.where(_class_ids(xp, yb, v0, v1), z, xp.zeros_like(z)), axis=1)
            if m is None:
                s, spread, picked, seen = e, d, hit, wsum
            else:
                # Rescale the running sums to the new maximum: sum exp(z - m) and sum w (m - z).
                s = s * xp.exp(m - m_new) + e
                spread = spread + seen * (m_new - m) + d
                picked, seen = picked + hit, seen + wsum
            m = m_new
        log_s = xp.log(s)
        out.append((m + log_s, picked, spread + total_w * log_s))
    if not out:  # no rows: empty statistics, still connected to the inputs (zero gradients)
        e = xp.sum(_block(xp, h, weight, bias, 0, 1), axis=1)
        return e, e, e
    if len(out) == 1:
        return out[0]
    lse, picked, spread = (xp.concat([o[k] for o in out], axis=0) for k in range(3))
    return lse, picked, spread


def _backward(
    xp: Any,
    h: Any,
    weight: Any,
    bias: Any,
    labels: Any,
    class_weight: Any,
    lse: Any,
    g_lse: Any,
    g_picked: Any,
    g_spread: Any,
    tc: int,
    vc: int,
) -> tuple[Any, Any, Any]:
    """Gradients with respect to ``h``, ``weight`` and ``bias`` (None without a bias), each block's
    logits recomputed: ``G = (g_lse + g_spread sum(w)) p + g_picked onehot(y) - g_spread w``."""
    n, c = h.shape[0], weight.shape[0]
    total_w = float(c) if class_weight is None else xp.sum(class_weight)
    coef = xp.expand_dims(g_lse + g_spread * total_w, axis=1)
    gp, gs = xp.expand_dims(g_picked, axis=1), xp.expand_dims(g_spread, axis=1)
    lse2 = xp.expand_dims(lse, axis=1)
    gh: list[Any] = [None] * math.ceil(n / tc) if n else []
    gw: list[Any] = []
    gb: list[Any] = []
    for v0 in range(0, c, vc):
        v1 = min(c, v0 + vc)
        wv = weight[v0:v1, ...]
        acc_w = acc_b = None
        for k, t0 in enumerate(range(0, n, tc)):
            t1 = min(n, t0 + tc)
            hb = h[t0:t1, ...]
            z = _block(xp, hb, weight, bias, v0, v1)
            g = coef[t0:t1, ...] * xp.exp(z - lse2[t0:t1, ...])
            g = g + xp.where(_class_ids(xp, labels[t0:t1], v0, v1), gp[t0:t1, ...], xp.zeros_like(g))
            if class_weight is None:
                g = g - gs[t0:t1, ...]
            else:
                g = g - gs[t0:t1, ...] * class_weight[v0:v1]
            part_h = xp.matmul(g, wv)
            gh[k] = part_h if gh[k] is None else gh[k] + part_h
            part_w = xp.matmul(xp.matrix_transpose(g), hb)
            acc_w = part_w if acc_w is None else acc_w + part_w
            if bias is not None:
                part_b = xp.sum(g, axis=0)
                acc_b = part_b if acc_b is None else acc_b + part_b
        gw.append(acc_w if acc_w is not None else xp.zeros_like(wv))
        if bias is not None:
            gb.append(acc_b if acc_b is not None else xp.zeros_like(bias[v0:v1]))
    grad_h = xp.concat(gh, axis=0) if gh else xp.zeros_like(h)
    grad_w = xp.concat(gw, axis=0)
    grad_b = None if bias is None else xp.concat(gb, axis=0)
    return grad_h, grad_w, grad_b


# -- torch: an autograd.Function that recomputes the blocks ------------------------------------------

_TORCH_FN: Any = None


def _torch_function() -> Any:
    global _TORCH_FN
    if _TORCH_FN is not None:
        return _TORCH_FN
    torch = sys.modules["torch"]
    import array_api_compat.torch as tx  # noqa: PLC0415

    function: Any = torch.autograd.Function

    class LinearLogSumExp(function):
        # forward / setup_context apart and a generated vmap rule: torch.func.grad and vmap accept it.
        generate_vmap_rule = True

        @staticmethod
        def forward(h: Any, weight: Any, bias: Any, labels: Any, class_weight: Any, tc: int, vc: int) -> Any:
            return _forward(tx, h, weight, bias, labels, class_weight, tc, vc)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
            h, weight, bias, labels, class_weight, tc, vc = inputs
            ctx.save_for_backward(h, weight, bias, labels, class_weight, output[0])
            ctx.chunks = (tc, vc)

        @staticmethod
        def backward(ctx: Any, g_lse: Any, g_picked: Any, g_spread: Any) -> Any:
            h, weight, bias, labels, class_weight, lse = ctx.saved_tensors
            tc, vc = ctx.chunks
            gh, gw, gb = _backward(tx, h, weight, bias, labels, class_weight, lse, g_lse, g_picked, g_spread, tc, vc)
            return gh, gw, gb, None, None, None, None

    _TORCH_FN = LinearLogSumExp
    return _TORCH_FN


# -- JAX: a custom_vjp with the same recomputing backward pass ---------------------------------------

_JAX_FNS: dict[tuple[int, int, bool, bool], Any] = {}


def _jax_stats(h: Any, weight: Any, bias: Any, labels: Any, class_weight: Any, tc: int, vc: int) -> Any:
    key = (tc, vc, bias is None, class_weight is None)
    fn = _JAX_FNS.get(key)
    if fn is None:
        fn = _JAX_FNS[key] = _make_jax(tc, vc, bias is None, class_weight is None)
    args = [h, weight, labels]
    if bias is not None:
        args.append(bias)
    if class_weight is not None:
        args.append(class_weight)
    return fn(*args)


def _make_jax(tc: int, vc: int, no_bias: bool, no_weight: bool) -> Any:
    jax = sys.modules["jax"]
    import jax.numpy as jnp  # noqa: PLC0415

    def unpack(rest: tuple[Any, ...]) -> tuple[Any, Any]:
        rest = list(rest)  # type: ignore[assignment]
        bias = None if no_bias else rest.pop(0)  # type: ignore[attr-defined]
        cw = None if no_weight else rest.pop(0)  # type: ignore[attr-defined]
        return bias, cw

    @jax.custom_vjp
    def stats(h: Any, weight: Any, labels: Any, *rest: Any) -> Any:
        bias, cw = unpack(rest)
        return _forward(jnp, h, weight, bias, labels, cw, tc, vc)

    def fwd(h: Any, weight: Any, labels: Any, *rest: Any) -> Any:
        bias, cw = unpack(rest)
        out = _forward(jnp, h, weight, bias, labels, cw, tc, vc)
        return out, (h, weight, labels, rest, out[0])

    def bwd(res: Any, g: Any) -> Any:
        h, weight, labels, rest, lse = res
        bias, cw = unpack(rest)
        g_lse, g_picked, g_spread = g
        gh, gw, gb = _backward(jnp, h, weight, bias, labels, cw, lse, g_lse, g_picked, g_spread, tc, vc)
        grads_rest = []
        if bias is not None:
            grads_rest.append(gb)
        if cw is not None:
            grads_rest.append(jnp.zeros_like(cw))  # class weights: constants of the loss
        return (gh, gw, None, *grads_rest)

    stats.defvjp(fwd, bwd)
    return stats
