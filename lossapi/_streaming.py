"""Streaming log-sum-exp over a linear layer's logits, without the ``(N, C)`` logits.

For hidden states ``h`` ``(N, D)``, a weight ``W`` ``(C, D)`` (a linear layer's layout) and an
optional bias ``b`` ``(C,)``, :func:`linear_logsumexp` returns ``log sum_c exp(z_c)`` per row of
the logits ``z = h W^T + b``. Logits are formed one block at a time: ``vocab_chunk`` classes by
``token_chunk`` rows (about ``2**20`` logits, 4 MiB in float32, by default); each block's
log-sum-exp (the backend's fused kernel) is merged into the row's running value with
``logaddexp``.

The generic implementation is plain Array API code (every backend; torch and JAX differentiate
it by recording every block, i.e. with the logits' memory in the backward pass). The native
paths replace the backward pass by one that recomputes each block (``torch.autograd.Function``;
``jax.custom_vjp``, whose two passes are ``lax`` loops so that XLA runs one block at a time):
the gradient with respect to the logits is
``g softmax(z)`` per row, pushed through ``z = h W^T + b`` block by block, so no pass holds
more than a few blocks.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from ._dispatch import backend_name
from ._native import native_enabled
from ._ops import logsumexp

__all__ = ["BLOCK_LOGITS", "chunks", "linear_nll"]

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


def linear_nll(xp: Any, h: Any, weight: Any, bias: Any, labels: Any, chunk_size: int | None) -> tuple[Any, Any]:
    """``(lse - z_y, lse)`` per row of ``h`` with ``lse = log sum_c exp(z_c)``, ``z = h W^T + b`` and
    ``z_y`` the logit of the row's label (in range), each ``(N,)``; see the module docstring."""
    tc, vc = chunks(h.shape[0], weight.shape[0], chunk_size)
    if native_enabled() and h.shape[0] > 0:  # an empty batch: the generic loop's empty result
        b = backend_name(xp)
        # Dynamo cannot trace the class statement that defines the Function: a first call under
        # torch.compile traces the generic loop (the same values) until an eager call defined it.
        if b == "torch" and (_TORCH_FN is not None or not sys.modules["torch"].compiler.is_compiling()):
            out = _torch_function().apply(h, weight, bias, labels, tc, vc)
            return out[0], out[1]
        if b == "jax":
            return _jax_nll(h, weight, bias, labels, tc, vc)
    picked = _picked(xp, h, weight, bias, labels)
    nll = _forward(xp, h, weight, bias, tc, vc, picked)
    return nll, nll + picked


def _picked(xp: Any, h: Any, weight: Any, bias: Any, labels: Any) -> Any:
    """``z_y = <h, W_y> + b_y``: one row of the weight per label, O(N D)."""
    z = xp.sum(h * xp.take(weight, labels, axis=0), axis=1)
    return z if bias is None else z + xp.take(bias, labels, axis=0)


def _block(xp: Any, h: Any, weight: Any, bias: Any, v0: int, v1: int) -> Any:
    z = xp.matmul(h, xp.matrix_transpose(weight[v0:v1, ...]))
    return z if bias is None else z + bias[v0:v1]


def _block_logsumexp(xp: Any, z: Any) -> Any:
    """Row log-sum-exp of a block (our own array: NumPy may overwrite it)."""
    return logsumexp(xp, z, axis=1, overwrite_input=True)


def _forward(xp: Any, h: Any, weight: Any, bias: Any, tc: int, vc: int, shift: Any = None) -> Any:
    """The streaming forward pass in Array API code (differentiable by recording it)."""
    n, c = h.shape[0], weight.shape[0]
    out = []
    for t0 in range(0, n, tc):
        t1 = min(n, t0 + tc)  # in-bounds slices (the standard leaves others unspecified)
        hb = h[t0:t1, ...]
        lse = None
        for v0 in range(0, c, vc):
            z = _block(xp, hb, weight, bias, v0, min(c, v0 + vc))
            if shift is not None:  # log sum exp(z - z_y) directly: no lse - z_y cancellation
                z = z - xp.expand_dims(shift[t0:t1], axis=1)
            part = _block_logsumexp(xp, z)
            lse = part if lse is None else xp.logaddexp(lse, part)
        out.append(lse)
    if not out:  # no rows: an empty result, still connected to the inputs (zero gradients)
        return xp.sum(_block(xp, h, weight, bias, 0, 1), axis=1)
    return out[0] if len(out) == 1 else xp.concat(out, axis=0)


def _backward(xp: Any, h: Any, weight: Any, bias: Any, lse: Any, g: Any, tc: int, vc: int) -> tuple[Any, Any, Any]:
    """Gradients with respect to ``h``, ``weight`` and ``bias`` (None without a bias) of
    ``sum(g * lse)``, each block's logits recomputed: ``G = g softmax(z)``."""
    n, c = h.shape[0], weight.shape[0]
    g2, lse2 = xp.expand_dims(g, axis=1), xp.expand_dims(lse, axis=1)
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
            grad_z = g2[t0:t1, ...] * xp.exp(_block(xp, hb, weight, bias, v0, v1) - lse2[t0:t1, ...])
            part_h = xp.matmul(grad_z, wv)
            gh[k] = part_h if gh[k] is None else gh[k] + part_h
            part_w = xp.matmul(xp.matrix_transpose(grad_z), hb)
            acc_w = part_w if acc_w is None else acc_w + part_w
            if bias is not None:
                part_b = xp.sum(grad_z, axis=0)
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

    function: Any = torch.autograd.Function  # torch is not a dependency of the type checks

    class LinearNLL(function):
        # forward and setup_context apart, and a generated vmap rule: torch.func.grad / vmap accept it.
        generate_vmap_rule = True

        @staticmethod
        def forward(h: Any, weight: Any, bias: Any, labels: Any, tc: int, vc: int) -> Any:
            picked = _picked(tx, h, weight, bias, labels)
            if _wrapped(torch, h, weight):  # torch.func transforms: the out-of-place generic loop
                nll = _forward(tx, h, weight, bias, tc, vc, picked)
            else:
                nll = _torch_forward(torch, h, weight, bias, tc, vc, picked)
            return nll, nll + picked

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
            h, weight, bias, labels, tc, vc = inputs
            ctx.save_for_backward(h, weight, bias, labels, output[1])
            ctx.chunks = (tc, vc)

        @staticmethod
        def backward(ctx: Any, g_nll: Any, g_lse: Any) -> Any:
            h, weight, bias, labels, lse = ctx.saved_tensors
            g_soft = g_nll + g_lse
            minus = -g_nll[:, None]
            if _wrapped(torch, h, g_soft):
                gh, gw, gb = _backward(tx, h, weight, bias, lse, g_soft, *ctx.chunks)
                gh = gh + minus * weight[labels]
                gw = gw.index_add(0, labels, minus * h)
                gb = None if gb is None else gb.index_add(0, labels, -g_nll)
            else:  # in place: the one-hot part of the gradient goes straight into the buffers
                gh, gw, gb = _torch_backward(torch, h, weight, bias, lse, g_soft, *ctx.chunks)
                gh.addcmul_(minus, weight[labels])
                gw.index_add_(0, labels, minus * h)
                if gb is not None:
                    gb.index_add_(0, labels, -g_nll)
            return gh, gw, gb, None, None, None

    _TORCH_FN = LinearNLL
    return _TORCH_FN


def _wrapped(torch: Any, *tensors: Any) -> bool:
    """Whether a ``torch.func`` transform (vmap, grad) wraps any of ``tensors``."""
    if torch.compiler.is_compiling():  # traced by Dynamo: plain tensors (it cannot call the check)
        return False
    check = getattr(getattr(torch._C, "_functorch", None), "is_functorch_wrapped_tensor", None)
    return check is not None and any(check(t) for t in tensors)


def _torch_forward(torch: Any, h: Any, weight: Any, bias: Any, tc: int, vc: int, shift: Any) -> Any:
    """The forward pass with in-place block operations: one block of logits alive at a time."""
    n, c = h.shape[0], weight.shape[0]
    lse = torch.full((n,), -math.inf, dtype=h.dtype, device=h.device)
    for t0 in range(0, n, tc):
        t1 = min(n, t0 + tc)
        hb, acc = h[t0:t1], lse[t0:t1]
        for v0 in range(0, c, vc):
            v1 = min(c, v0 + vc)
            z = hb @ weight[v0:v1].T if bias is None else torch.addmm(bias[v0:v1], hb, weight[v0:v1].T)
            z.sub_(shift[t0:t1, None])
            top = z.amax(dim=1)
            top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
            part = z.sub_(top[:, None]).exp_().sum(dim=1).log_().add_(top)
            torch.logaddexp(acc, part, out=acc)
    return lse


def _torch_backward(
    torch: Any, h: Any, weight: Any, bias: Any, lse: Any, g: Any, tc: int, vc: int
) -> tuple[Any, Any, Any]:
    """:func:`_backward` with in-place accumulation into the gradients (no per-chunk copies)."""
    n, c = h.shape[0], weight.shape[0]
    gh = torch.zeros_like(h)
    gw = torch.zeros_like(weight)
    gb = None if bias is None else torch.zeros_like(bias)
    for v0 in range(0, c, vc):
        v1 = min(c, v0 + vc)
        wv, gwv = weight[v0:v1], gw[v0:v1]
        for t0 in range(0, n, tc):
            t1 = min(n, t0 + tc)
            hb = h[t0:t1]
            z = hb @ wv.T if bias is None else torch.addmm(bias[v0:v1], hb, wv.T)
            grad_z = z.sub_(lse[t0:t1, None]).exp_().mul_(g[t0:t1, None])
            gh[t0:t1].addmm_(grad_z, wv)
            gwv.addmm_(grad_z.T, hb)
            if gb is not None:
                gb[v0:v1] += grad_z.sum(dim=0)
    return gh, gw, gb


# -- JAX: a custom_vjp whose passes are loops (lax.scan / fori_loop) ---------------------------------
#
# Unrolled Python loops leave XLA free to schedule every block's logits at once (its compiled
# program then held about twice the logits); loops run one block at a time. Rows and classes are
# padded to whole blocks: padded classes get a -inf bias (exp = 0), padded rows are dropped.

_JAX_FNS: dict[tuple[int, int, bool], Any] = {}


def _jax_nll(h: Any, weight: Any, bias: Any, labels: Any, tc: int, vc: int) -> Any:
    key = (tc, vc, bias is None)
    fn = _JAX_FNS.get(key)
    if fn is None:
        fn = _JAX_FNS[key] = _make_jax(tc, vc, bias is None)
    return fn(h, weight, labels) if bias is None else fn(h, weight, labels, bias)


def _make_jax(tc: int, vc: int, no_bias: bool) -> Any:
    jax = sys.modules["jax"]
    import jax.numpy as jnp  # noqa: PLC0415

    lax = jax.lax

    def padded(h: Any, weight: Any, bias: Any) -> tuple[Any, Any, Any, int, int]:
        n, c = h.shape[0], weight.shape[0]
        nt, nv = -(-n // tc), -(-c // vc)
        hp = jnp.pad(h, ((0, nt * tc - n), (0, 0)))
        wp = jnp.pad(weight, ((0, nv * vc - c), (0, 0)))
        b = jnp.zeros((c,), dtype=h.dtype) if bias is None else bias
        bp = jnp.pad(b, (0, nv * vc - c), constant_values=-jnp.inf)
        return hp.reshape(nt, tc, -1), wp.reshape(nv, vc, -1), bp.reshape(nv, vc), nt, nv

    def logits(hb: Any, wp: Any, bp: Any, v: Any) -> Any:
        return hb @ wp[v].T + bp[v]

    def forward(h: Any, weight: Any, bias: Any, shift: Any) -> Any:
        n = h.shape[0]
        hs, wp, bp, _, nv = padded(h, weight, bias)

        shifts = jnp.pad(shift, (0, hs.shape[0] * tc - n)).reshape(-1, tc)

        def rows(blk: Any) -> Any:
            hb, sb = blk

            def step(v: Any, acc: Any) -> Any:
                return jnp.logaddexp(acc, jax.nn.logsumexp(logits(hb, wp, bp, v) - sb[:, None], axis=1))

            return lax.fori_loop(0, nv, step, jnp.full((tc,), -jnp.inf, dtype=h.dtype))

        return lax.map(rows, (hs, shifts)).reshape(-1)[:n]

    def backward(h: Any, weight: Any, bias: Any, lse: Any, g: Any) -> tuple[Any, Any, Any]:
        n, c, d = h.shape[0], weight.shape[0], h.shape[1]
        hs, wp, bp, nt, nv = padded(h, weight, bias)
        pad = nt * tc - n
        ls = jnp.pad(lse, (0, pad)).reshape(nt, tc)
        gs = jnp.pad(g, (0, pad)).reshape(nt, tc)  # padded rows: g = 0, no contribution

        def rows(carry: Any, blk: Any) -> Any:
            gw, gb = carry
            hb, lb, gblk = blk

            def step(v: Any, inner: Any) -> Any:
                gh, gw, gb = inner
                grad_z = gblk[:, None] * jnp.exp(logits(hb, wp, bp, v) - lb[:, None])
                gh = gh + grad_z @ wp[v]
                gw = gw.at[v].add(grad_z.T @ hb)
                gb = gb.at[v].add(jnp.sum(grad_z, axis=0))
                return gh, gw, gb

            gh, gw, gb = lax.fori_loop(0, nv, step, (jnp.zeros((tc, d), dtype=h.dtype), gw, gb))
            return (gw, gb), gh

        init = (jnp.zeros((nv, vc, d), dtype=h.dtype), jnp.zeros((nv, vc), dtype=h.dtype))
        (gw, gb), gh = lax.scan(rows, init, (hs, ls, gs))
        return gh.reshape(-1, d)[:n], gw.reshape(-1, d)[:c], gb.reshape(-1)[:c]

    @jax.custom_vjp
    def nll(h: Any, weight: Any, labels: Any, *bias: Any) -> Any:
        b = None if no_bias else bias[0]
        picked = _picked(jnp, h, weight, b, labels)
        nll = forward(h, weight, b, picked)
        return nll, nll + picked

    def fwd(h: Any, weight: Any, labels: Any, *bias: Any) -> Any:
        out = nll(h, weight, labels, *bias)
        return out, (h, weight, labels, bias, out[1])

    def bwd(res: Any, g: Any) -> Any:
        h, weight, labels, bias, lse = res
        g_nll, g_lse = g
        gh, gw, gb = backward(h, weight, None if no_bias else bias[0], lse, g_nll + g_lse)
        gh = gh - g_nll[:, None] * weight[labels]
        gw = gw.at[labels].add(-g_nll[:, None] * h)
        if no_bias:
            return gh, gw, None
        return gh, gw, None, gb.at[labels].add(-g_nll)

    nll.defvjp(fwd, bwd)
    return nll
