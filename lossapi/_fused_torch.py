r"""Fused torch fast paths of the focal losses: ``torch.autograd.Function``\ s with analytic backwards.

Autograd's recorded graph of a focal loss (lossapi's generic formula, or the usual torch one)
allocates a full-size temporary for every operation of the forward pass and one or more for
every operation of the backward pass, and keeps many of the forward ones alive until the
backward pass: on the CPU most of the time of large inputs goes to first-touching that fresh
memory (a page fault per 4 KiB) and the rest to passes over main memory. The functions here

- run the forward pass in tiles of ~1 MiB per buffer, in a few scratch buffers kept per thread,
  with in-place and ``out=`` operations: the dozen elementwise passes stay in cache and no
  full-size temporary is made, only the output of ``reduction="none"``;
- when the logits need a gradient, write the derivative of each element in the same tiles
  (one analytic expression, given in each function's docstring, sharing the forward
  intermediates), save nothing else, and scale it in place in the backward pass;
- return results equal to the generic path's to rounding (both are accurate to a few ulps on
  finite inputs; where the generic gradient loses digits to cancellation, these keep them),
  and decline (``NotImplemented``: the generic path runs) where they could differ: non-finite
  inputs or results, targets or labels outside the loss's domain, options the kernels do not
  implement, ``torch.func`` transforms, ``torch.compile`` tracing and forward-mode AD.

A second derivative (``create_graph=True``) differentiates the generic formula inside the
backward pass, so Hessians are the generic path's. On devices other than the CPU the whole
input is one tile (the caching allocator makes temporaries cheap there).

torch is imported lazily by lossapi: the ``Function`` classes are defined on first use. This
module imports nothing of lossapi: :mod:`lossapi._native` registers it through :func:`install`.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
from typing import Any

# lossapi._native, given by install() when it is imported: its checks, registry and switch (an
# import of it here would make an import cycle).
_HOST: Any = None


def install(host: Any) -> None:
    """Register the fast paths of this module with ``host`` (:mod:`lossapi._native`, which calls
    this at import time) and keep it for its input checks and its ``native`` switch."""
    global _HOST
    _HOST = host
    host.register_native("sigmoid_focal", "torch")(_torch_sigmoid_focal)
    host.register_native("softmax_focal", "torch")(_torch_softmax_focal)


# Bytes per scratch buffer of a CPU tile: the (at most eight) buffers of a tile stay in the L2/L3
# caches. Larger tiles fall out of the cache, smaller ones pay more of Python's per-operation
# overhead (~30 operations per tile).
_TILE_BYTES = 1 << 20


_LOCAL = threading.local()


def _tile(x: Any) -> int:
    """Elements per tile for ``x``: ~1 MiB per buffer on the CPU, the whole input elsewhere."""
    n = x.numel()
    return min(n, _TILE_BYTES // x.element_size()) if x.device.type == "cpu" else n


def _scratch(x: Any, count: int, size: int | None = None) -> list[Any]:
    """``count`` scratch buffers of ``size`` elements (default: one tile of ``x``).

    On the CPU, up to a tile's size, they are views of one block kept per thread and dtype (at
    most ``count`` MiB): fresh memory costs a page fault per 4 KiB on first touch, more than an
    elementwise pass over it, and the C allocator hands buffers of this size back to the system
    when they are freed. Nothing returned to the caller is a view of it. Elsewhere they are
    fresh (on a GPU the caching allocator reuses them)."""
    torch = sys.modules["torch"]
    size = _tile(x) if size is None else size
    per = _TILE_BYTES // x.element_size()
    if x.device.type != "cpu" or size > per:
        return [torch.empty(size, dtype=x.dtype, device=x.device) for _ in range(count)]
    pool = _LOCAL.__dict__.setdefault("pool", {})
    block = pool.get(x.dtype)
    if block is None or block.numel() < count * per:
        with torch.inference_mode(False):  # a normal tensor: usable in and out of inference mode
            block = pool[x.dtype] = torch.empty(count * per, dtype=x.dtype)
    return [block[i * per : i * per + size] for i in range(count)]


def _power(s: Any, gamma: float, out: Any) -> Any:
    """``s ** gamma`` for ``s >= 0`` written into ``out`` (which may be ``s``), 0 at ``s = 0``.

    A general exponent goes through ``exp(gamma log s)``, as the generic path; integer and half
    exponents through the cheaper kernels (``torch.pow`` multiplies for 2 and 3)."""
    torch = sys.modules["torch"]
    if gamma == 1:
        return out if out is s else out.copy_(s)
    if gamma == 2:
        return torch.mul(s, s, out=out)
    if gamma == 3:
        return torch.pow(s, 3, out=out)
    if gamma == 0.5:
        return torch.sqrt(s, out=out)
    return torch.log(s, out=out).mul_(gamma).exp_()


# -- sigmoid focal ---------------------------------------------------------------------------------


def _sigmoid_core(xc: Any, tc: Any, a: Any, b: Any, c: Any, d: Any, e: Any, half: Any) -> None:
    r"""One tile's shared intermediates, written into the scratch buffers.

    ``a = |x|``, ``b = sigmoid(-|x|)`` (the smaller of :math:`\sigma(\pm x)`, exact in relative
    terms), ``d = copysign(1/2, x)``, ``e = h = 1 - t`` where ``x >= 0`` and ``t`` where
    ``x < 0`` (selected exactly, for any ``t``, as ``[x >= 0] - 2 d t``),
    ``c = BCE = |x| h + log(1 + e^{-|x|})`` with the log as ``-log1p(-b)``: a sum of two
    non-negative terms, so a confident, right prediction keeps its tiny loss to full relative
    precision (``max(x, 0) - x t`` cancels for ``t`` near 1)."""
    torch = sys.modules["torch"]
    torch.abs(xc, out=a)
    torch.neg(a, out=b).sigmoid_()
    torch.neg(b, out=c).log1p_().neg_()
    torch.copysign(half, xc, out=d)
    torch.add(d, 0.5, out=e)
    torch.addcmul(e, d, tc, value=-2, out=e)
    c.addcmul_(a, e)


def _sigmoid_focal_tiles(
    x: Any, t: Any, alpha: float | None, gamma: float, smoothing: float, reduction: str, want_grad: bool
) -> tuple[Any, bool, Any]:
    r"""``(loss, ok, dx)``: the loss per ``reduction``, whether it may be used, and (``want_grad``)
    :math:`\partial \ell_i / \partial x_i` per element, halved (the caller's scale restores the 2)
    and flat, else None.

    Per element :math:`\ell = \alpha_t\, s^\gamma\, \mathrm{BCE}` with
    :math:`s = 1 - p_t = h + (1 - 2h)\,\sigma_-`, :math:`\sigma_- = \sigma(-|x|)` (``h`` from
    :func:`_sigmoid_core`; a sum of non-negative terms for ``t`` in [0, 1], exact where the
    generic path needs its log-space form) and :math:`\alpha_t = (1 - \alpha) - (1 - 2\alpha) t`
    in one operation. With :math:`\sigma_+ = 1 - \sigma_-` and :math:`\operatorname{sgn} x = \pm 1`
    (``-0.0`` negative) its derivative is

    .. math::
        \frac{\partial \ell}{\partial x} = \operatorname{sgn}(x)\, \alpha_t\, s^\gamma
        \Big[(h - \sigma_-) - \gamma\, \mathrm{BCE}\, (1 - 2h)\, \frac{\sigma_- \sigma_+}{s}\Big] .

    :math:`h - \sigma_- = \pm(\sigma(x) - t)` is the BCE's derivative without the cancellation of
    :math:`\sigma(x) - 1` (nor autograd's between the ``max(x, 0)`` and ``-x t`` terms of the
    generic formula, which loses :math:`\gamma\,\mathrm{BCE}\,\epsilon` where ``t`` is soft), and
    :math:`\sigma_-\sigma_+ (1 - 2h) / s`, at most 1 in magnitude, is that of :math:`\log s`.
    ``s`` is raised to the smallest subnormal first: it is 0 only where ``h = 0`` and
    :math:`\sigma_-` underflows, where the BCE and the bracket are 0 as well.

    ``ok`` is False where ``t`` leaves [0, 1] (or is NaN) or the loss is not finite (a non-finite
    logit, an overflowing sum): the generic path's branches decide those, and the caller
    declines."""
    torch = sys.modules["torch"]
    n, step = x.numel(), _tile(x)
    xf, tf = x.reshape(-1), t.reshape(-1)
    a, b, c, d, e, f, g, *rest = _scratch(x, 8 if smoothing else 7)
    ts = rest[0] if smoothing else None  # the smoothed target
    half, one = x.new_full((), 0.5), x.new_full((), 1.0)
    c0, k = (None, 0.0) if alpha is None else (x.new_full((), 1 - alpha), -(1 - 2 * alpha))
    info = torch.finfo(x.dtype)
    tiny = float(info.smallest_normal) * float(info.eps)  # the smallest subnormal
    out = torch.empty(x.shape, dtype=x.dtype, device=x.device) if reduction == "none" else None
    dx: Any = torch.empty(n, dtype=x.dtype, device=x.device) if want_grad else None
    sums, lows, highs = [], [], []
    for i in range(0, n, step):
        j = min(n, i + step)
        xc, tc = xf[i:j], tf[i:j]
        if j - i != step:  # the last tile
            a, b, c, d, e, f, g = (z[: j - i] for z in (a, b, c, d, e, f, g))
            ts = None if ts is None else ts[: j - i]
        lo, hi = torch.aminmax(tc)
        lows.append(lo)
        highs.append(hi)
        if smoothing:  # as the generic path: t (1 - s) + s / 2
            tc = torch.mul(tc, 1 - smoothing, out=ts).add_(smoothing / 2)
        _sigmoid_core(xc, tc, a, b, c, d, e, half)
        # w = alpha_t s^gamma (None: 1) into f (or b); e becomes the bracket of the derivative.
        w = None
        if gamma != 0:
            torch.sub(one, e, alpha=2, out=a)  # 1 - 2h
            torch.addcmul(e, a, b, out=f)  # s
            if want_grad:
                f.clamp_min_(tiny)
                torch.addcmul(b, b, b, value=-1, out=g)  # sigma_- sigma_+
                g.div_(f).mul_(c).mul_(a)  # BCE (1 - 2h) sigma_- sigma_+ / s
                e.sub_(b).sub_(g, alpha=gamma)
            w = _power(f, gamma, out=f)
        elif want_grad:
            e.sub_(b)
        if alpha is not None:
            at = torch.add(c0, tc, alpha=k, out=b)
            w = at if w is None else w.mul_(at)
        if want_grad:
            torch.mul(e if w is None else e.mul_(w), d, out=dx[i:j])
        if w is None:
            prod = c if out is None else out.view(-1)[i:j].copy_(c)
        else:
            prod = torch.mul(w, c, out=g if out is None else out.view(-1)[i:j])
        sums.append(prod.sum())
    total = torch.stack(sums).sum() if len(sums) > 1 else sums[0]
    if len(lows) > 1:
        lows, highs = [torch.stack(lows).amin()], [torch.stack(highs).amax()]
    lo, hi, tot = torch.stack((lows[0], highs[0], total.to(lows[0].dtype))).tolist()
    ok = lo >= 0 and hi <= 1 and math.isfinite(tot)  # False for NaN
    if reduction != "none":
        out = total / n if reduction == "mean" else total
    return out, ok, dx


def _scale_grad(dx: Any, grad: Any, reduction: str, shape: Any) -> Any:
    """``dx`` (halved, flat, per element) times the incoming ``grad``, in place: ``dL/dx``."""
    if reduction == "none":
        dx.mul_(grad.reshape(-1)).mul_(2.0)
    else:
        dx.mul_(grad * (2.0 / dx.numel() if reduction == "mean" else 2.0))
    return dx.view(shape)


# -- softmax focal (integer labels) ----------------------------------------------------------------


def _softmax_focal_tiles(
    x: Any, y: Any, alpha: float | None, gamma: float, reduction: str, want_grad: bool
) -> tuple[Any, bool, Any]:
    r"""``(loss, ok, dx)`` of :func:`lossapi.softmax_focal` for ``x`` of shape ``(P, C, R)`` (the
    class axis in the middle, a view of the caller's logits), or ``(P, C)`` (classes last: the
    reductions and the softmax are then along the contiguous axis), and int64 labels ``y`` of
    ``x``'s shape without the class axis.

    ``loss`` has ``y``'s shape for ``"none"``; ``dx`` (``want_grad``) is
    :math:`\partial \ell / \partial x` per element, ``x``'s shape, else None. Per row, as the
    generic path, with :math:`L = \log\sum_{c \ne y} e^{x_c}` and :math:`\delta = x_y - L`,

    .. math::
        \ell = \alpha\, e^{-\gamma\,\mathrm{sp}(\delta)}\, \mathrm{sp}(-\delta), \qquad
        \frac{\partial \ell}{\partial x_c} = G\,([c = y] - q_c), \quad
        G = -\alpha\, e^{-\gamma\,\mathrm{sp}(\delta)}
            \big(\sigma(-\delta) + \gamma\,\mathrm{sp}(-\delta)\,\sigma(\delta)\big)

    with :math:`\mathrm{sp}` the softplus and :math:`q_c = e^{x_c - L}` the softmax of the other
    classes (:math:`q_y = 0`): torch's fused softmax kernel on a copy of the tile with the
    label's logit set to ``-inf``, written straight into the derivative's storage, which then
    costs one multiplication and a scatter. :math:`L = m - \log \max_c q_c`, :math:`m` the
    others' largest logit (:math:`\max_c q_c = 1 / \sum_{c \ne y} e^{x_c - m}` lies in
    :math:`[1/C, 1]`): no cancellation for any :math:`p_y`. Rows are tiled (~1 MiB a tile on the
    CPU). Labels must lie in ``[0, C)``. ``ok`` is False for a loss that is not finite (NaN or
    infinite logits): the generic path decides those, and the caller declines."""
    torch = sys.modules["torch"]
    F = torch.nn.functional
    P = x.shape[0]
    row = x[0].numel()  # C R
    rows = P if x.device.type != "cpu" else min(P, max(1, _TILE_BYTES // x.element_size() // row))
    zbuf, qbuf = _scratch(x, 2, rows * row)
    out = torch.empty(y.shape, dtype=x.dtype, device=x.device) if reduction == "none" else None
    dx = torch.empty(x.shape, dtype=x.dtype, device=x.device) if want_grad else None
    sums = []
    for i in range(0, P, rows):
        j = min(P, i + rows)
        xt, yt = x[i:j], y[i:j].unsqueeze(1)
        z = zbuf[: xt.numel()].view(xt.shape).copy_(xt).scatter_(1, yt, -float("inf"))
        # q: the softmax of the other classes (q_y = 0); delta = x_y - m + log(max q).
        q = torch.softmax(z, 1, out=dx[i:j] if dx is not None else qbuf[: z.numel()].view(z.shape))
        delta = xt.gather(1, yt).sub_(z.amax(dim=1, keepdim=True)).add_(q.amax(dim=1, keepdim=True).log_())
        nlp = F.softplus(-delta, beta=1.0, threshold=40.0)  # -log p_y, as the generic path
        loss = nlp
        if gamma != 0:
            factor = F.softplus(delta, beta=1.0, threshold=40.0).mul_(-gamma).exp_()
            loss = factor * nlp
        if alpha is not None:
            loss = alpha * loss
        if out is not None:
            out[i:j] = loss.squeeze(1)
        sums.append(loss.sum())
        if dx is not None:
            g = torch.sigmoid(-delta)
            if gamma != 0:
                g = g.addcmul_(nlp, torch.sigmoid(delta), value=gamma).mul_(factor)
            if alpha is not None:
                g = g.mul_(alpha)
            # dl/dx = G ([c = y] - q) with G = -g: g q, and -g at the label (q_y = 0)
            q.mul_(g).scatter_(1, yt, g.neg_())
    total = torch.stack(sums).sum() if len(sums) > 1 else sums[0]
    ok = math.isfinite(total.item())
    if reduction != "none":
        out = total / y.numel() if reduction == "mean" else total
    return out, ok, dx


def _generic_grad(name: str, x: Any, t: Any, grad: Any, options: dict[str, Any]) -> Any:
    """``dL/dx`` times ``grad`` with a graph: autograd through the generic formula of the loss
    ``name`` (lossapi's public function with the fast paths off), for a double backward."""
    torch = sys.modules["torch"]
    with torch.enable_grad(), _HOST.native(False):
        value = getattr(sys.modules["lossapi"], name)(x, t, **options)
        (gx,) = torch.autograd.grad(value, x, grad, create_graph=True)
    return gx


@functools.cache
def _functions() -> Any:
    """The ``autograd.Function`` classes (torch is needed to define them)."""
    torch = sys.modules["torch"]
    function: Any = torch.autograd.Function  # torch is not a dependency of the type checks

    class SigmoidFocal(function):
        """``sigmoid_focal`` w.r.t. the logits (the target is a constant). The forward pass also
        computes the derivative per element, sharing the intermediates; the backward pass
        scales it in place (a second backward recomputes it)."""

        @staticmethod
        def forward(ctx: Any, x: Any, t: Any, alpha: Any, gamma: float, smoothing: float, reduction: str) -> Any:
            out, ok, dx = _sigmoid_focal_tiles(x, t, alpha, gamma, smoothing, reduction, True)
            ctx.save_for_backward(x, t)
            ctx.options = (alpha, gamma, smoothing, reduction)
            ctx.dx = dx
            return out, ok

        @staticmethod
        def backward(ctx: Any, grad: Any, _ok: Any) -> Any:
            x, t = ctx.saved_tensors
            alpha, gamma, smoothing, reduction = ctx.options
            dx, ctx.dx = ctx.dx, None
            if torch.is_grad_enabled():  # create_graph=True: a differentiable gradient
                options = {"alpha": alpha, "gamma": gamma, "label_smoothing": smoothing, "reduction": reduction}
                return _generic_grad("sigmoid_focal", x, t, grad, options), None, None, None, None, None
            if dx is None:  # a second backward (retain_graph=True): recompute
                dx = _sigmoid_focal_tiles(x, t, alpha, gamma, smoothing, reduction, True)[2]
            return _scale_grad(dx, grad, reduction, x.shape), None, None, None, None, None

    class SoftmaxFocal(function):
        """``softmax_focal`` with integer labels w.r.t. the logits, viewed as ``(P, C, R)`` (or
        ``(P, C)``); the forward pass also computes the derivative, the backward pass scales it
        in place (a second backward recomputes it)."""

        @staticmethod
        def forward(
            ctx: Any, x: Any, y: Any, shape3: Any, alpha: Any, gamma: float, reduction: str, options: Any
        ) -> Any:
            out, ok, dx = _softmax_focal_tiles(x.reshape(shape3), y, alpha, gamma, reduction, True)
            if reduction == "none":
                out = out.view(options["target"].shape)
            ctx.save_for_backward(x, y)
            ctx.shape3, ctx.options, ctx.dx = shape3, (alpha, gamma, reduction, options), dx
            return out, ok

        @staticmethod
        def backward(ctx: Any, grad: Any, _ok: Any) -> Any:
            x, y = ctx.saved_tensors
            alpha, gamma, reduction, options = ctx.options
            dx, ctx.dx = ctx.dx, None
            if torch.is_grad_enabled():  # create_graph=True: a differentiable gradient
                gx = _generic_grad("softmax_focal", x, options["target"], grad, options["call"])
                return gx, None, None, None, None, None, None
            if dx is None:  # a second backward (retain_graph=True): recompute
                dx = _softmax_focal_tiles(x.reshape(ctx.shape3), y, alpha, gamma, reduction, True)[2]
            if reduction == "none":
                dx.mul_(grad.reshape(y.shape).unsqueeze(1))
            else:
                dx.mul_(grad / y.numel() if reduction == "mean" else grad)
            return dx.view(x.shape), None, None, None, None, None, None

    return SigmoidFocal, SoftmaxFocal


def _traced(*arrays: Any) -> bool:
    """Whether an ``autograd.Function`` without transform rules could not run here:
    ``torch.func`` transforms, ``torch.compile`` tracing, forward-mode AD."""
    torch = sys.modules["torch"]
    if torch.autograd.forward_ad._current_level >= 0:
        return True
    return any(_HOST._functorch_or_compiling(a) for a in arrays)


def _plain_number(v: Any) -> bool:
    """A finite Python int or float (not a bool, not an array)."""
    return _HOST._num(v) and v == v and abs(v) != float("inf")


def _torch_sigmoid_focal(
    logits: Any,
    target: Any,
    *,
    alpha: Any,
    gamma: Any,
    label_smoothing: Any,
    sample_weight: Any,
    where: Any,
    reduction: str,
) -> Any:
    """:func:`lossapi.sigmoid_focal` for float32/float64 logits and a target of the same shape and
    dtype in [0, 1] that needs no gradient; Python-number ``alpha`` (or None), ``gamma`` and
    ``label_smoothing``; no ``sample_weight``/``where``."""
    if not _plain_number(gamma) or not _plain_number(label_smoothing) or not (alpha is None or _plain_number(alpha)):
        return NotImplemented
    if not _HOST._torch_plain(logits, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    if target.requires_grad or target.device != logits.device or _traced(logits, target):
        return NotImplemented
    gamma, smoothing = float(gamma), float(label_smoothing)
    alpha = None if alpha is None else float(alpha)
    torch = sys.modules["torch"]
    if torch.is_grad_enabled() and logits.requires_grad:
        out, ok = _functions()[0].apply(logits, target, alpha, gamma, smoothing, reduction)
    else:
        out, ok, _ = _sigmoid_focal_tiles(logits, target, alpha, gamma, smoothing, reduction, False)
    return out if ok else NotImplemented


def _torch_softmax_focal(
    logits: Any,
    target: Any,
    *,
    alpha: Any,
    gamma: Any,
    class_weight: Any,
    ignore_index: Any,
    label_smoothing: Any,
    sample_weight: Any,
    where: Any,
    reduction: str,
    axis: Any,
) -> Any:
    """:func:`lossapi.softmax_focal` for float32/float64 logits with at least two classes and
    integer labels in ``[0, C)`` of the logits' shape without the class axis; Python-number
    ``alpha`` (or None) and ``gamma``; no ``class_weight``, ``ignore_index``,
    ``label_smoothing``, ``sample_weight`` or ``where``."""
    if sample_weight is not None or where is not None or class_weight is not None or ignore_index is not None:
        return NotImplemented
    if not _plain_number(gamma) or not _HOST._num(label_smoothing) or label_smoothing != 0:
        return NotImplemented
    if not (alpha is None or _plain_number(alpha)) or not hasattr(target, "dtype"):
        return NotImplemented
    if not _HOST._torch_float(logits) or not _HOST._axis_ok(logits, axis) or logits.shape[axis] < 2:
        return NotImplemented
    labels = _HOST._labels_ok(logits, target, axis)  # None for floating targets: class probabilities
    if labels is None or labels.device != logits.device or _traced(logits, labels):
        return NotImplemented
    ax = axis % logits.ndim
    P, C, R = math.prod(logits.shape[:ax]), logits.shape[ax], math.prod(logits.shape[ax + 1 :])
    shape3, y = ((P, C), labels.reshape(P)) if R == 1 else ((P, C, R), labels.reshape(P, R))
    torch = sys.modules["torch"]
    lo, hi = torch.aminmax(y)
    if lo.item() < 0 or hi.item() >= C:  # NaN entries by the generic path's rules
        return NotImplemented
    gamma = float(gamma)
    alpha = None if alpha is None else float(alpha)
    if torch.is_grad_enabled() and logits.requires_grad:
        options = {
            "target": target,
            "call": {"alpha": alpha, "gamma": gamma, "reduction": reduction, "axis": axis},
        }
        out, ok = _functions()[1].apply(logits, y, shape3, alpha, gamma, reduction, options)
    else:
        out, ok, _ = _softmax_focal_tiles(logits.reshape(shape3), y, alpha, gamma, reduction, False)
        out = out.view(labels.shape) if reduction == "none" else out
    return out if ok else NotImplemented
