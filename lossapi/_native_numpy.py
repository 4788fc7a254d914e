r"""NumPy fast paths: elementwise losses evaluated block by block, in one pass over memory.

The generic formula of an elementwise loss on NumPy is a chain of ufuncs over full-size
arrays: ``mean((p - t) ** 2)`` writes ``p - t`` (a full-size temporary), reads it back to
square it, and reads the square again to sum it. On inputs larger than the caches every step
streams the whole array through main memory. Here the same ufuncs run on blocks of
:data:`BLOCK` elements with ``out=`` into a few preallocated block-sized buffers, which stay in
the CPU caches: each input is read from memory once and, for ``reduction="none"``, the result is
written once.

Values are the generic path's: ``"none"`` applies exactly the same elementwise operations in
the same order (equal to the last bit, NaN and infinities included) -- except where a kernel
says it rearranges the formula to evaluate fewer transcendental functions (``log_cosh``,
``sigmoid_focal``): there it agrees with the generic path to rounding and is as accurate;
``"mean"`` and ``"sum"``
add the per-block sums in float64 (for float32 more accurate than one float32 sum),

.. math:: \mathrm{sum} = \sum_b \mathrm{fl}_{64}\Bigl(\sum_{i \in b} \ell_i\Bigr), \qquad
          \mathrm{mean} = \mathrm{sum} / n,

and return a 0-d array of the input's dtype, as the generic path does.

``cross_entropy``, ``softmax_focal`` and ``nll`` (integer labels) and ``kl_divergence``, the class
axis last, run on blocks of whole rows: the first three with the generic path's operations
(equal to the last bit; invalid labels are left to the generic path, which makes their entries
NaN), ``kl_divergence`` with each row summed as the generic path sums it (a block with a
non-finite row is recomputed by the generic path).

Taken only for plain C-contiguous ``numpy.ndarray`` inputs of one float32/float64 dtype and one
shape (no broadcasting), Python-number hyper-parameters, without ``sample_weight``/``where``
and for a non-empty input; anything else returns ``NotImplemented`` (the generic path).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._ops import BCE_GRAD_EPS

__all__ = ["BLOCK", "FAST_PATHS"]

#: loss -> NumPy fast path; :mod:`lossapi._native` registers them through :func:`install`
#: (this module does not import it: that would be an import cycle).
FAST_PATHS: dict[str, Callable[..., Any]] = {}

# lossapi._native, given by install(): its ``native`` switch, for the generic path of a block.
_HOST: Any = None


def install(host: Any) -> None:
    """Register the fast paths of :data:`FAST_PATHS` with ``host`` (:mod:`lossapi._native`, which
    calls this at import time) and keep it for its ``native`` switch."""
    global _HOST
    _HOST = host
    for loss, fn in FAST_PATHS.items():
        host.register_native(loss, "numpy")(fn)


#: Elements per block: a block's buffers (float64: 512 KiB each) stay in the L2/L3 caches;
#: 2**16 measured fastest of 2**13 to 2**17 for MSE, Huber and BCE-with-logits at 10**7 elements.
BLOCK = 1 << 16

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
#: the dtypes the kernels handle -> their largest finite value
_BIG = {_F32: float(np.finfo(_F32).max), _F64: float(np.finfo(_F64).max)}
_REDUCTIONS = ("mean", "sum", "none")
#: the smallest subnormal of each dtype
_TINY = {_F32: float(np.finfo(_F32).smallest_subnormal), _F64: float(np.finfo(_F64).smallest_subnormal)}
#: inputs of at most this many elements are summed in Python (cheaper than a ufunc reduction)
_SHORT = 64

_CONSTANTS: dict[tuple[np.dtype, float], np.ndarray] = {}


def _full(value: float, like: np.ndarray) -> np.ndarray:
    """A read-only array of ``value`` with ``like``'s (1-D, at most :data:`BLOCK`) size and dtype.

    ``np.minimum``/``np.maximum`` against a scalar run a slow broadcast loop (4x their
    array-array loop here, the cost of a transcendental function); against an array of the
    constant they are vectorised. One block of each constant is kept per dtype."""
    key = (like.dtype, value)
    c = _CONSTANTS.get(key)
    if c is None:
        c = _CONSTANTS[key] = np.full(BLOCK, value, like.dtype)
        c.flags.writeable = False
    return c[: like.shape[0]]


#: ``kernel(inputs, buffers, dest)``: the per-element loss of the input blocks into ``dest``,
#: using the block-sized scratch ``buffers``.
Kernel = Callable[[Sequence[np.ndarray], Sequence[np.ndarray], np.ndarray], None]


def _fast_path(loss: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Record ``fn`` as the NumPy fast path of ``loss`` in :data:`FAST_PATHS`."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        FAST_PATHS[loss] = fn
        return fn

    return deco


def _num(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _plain(*arrays: Any, sample_weight: Any, where: Any, reduction: str) -> bool:
    """Whether ``arrays`` are the inputs the blocked kernels handle (see the module docstring)."""
    if sample_weight is not None or where is not None or reduction not in _REDUCTIONS:
        return False
    a0 = arrays[0]
    if type(a0) is not np.ndarray:  # subclasses (masked arrays, matrix) keep their own semantics
        return False
    dt = a0.dtype
    if dt not in _BIG or a0.size == 0 or not a0.flags.c_contiguous:
        return False
    shape = a0.shape
    for a in arrays[1:]:
        if type(a) is not np.ndarray or a.dtype != dt or a.shape != shape or not a.flags.c_contiguous:
            return False
    return True


def _blocked(
    kernel: Kernel, nbuf: int, arrays: Sequence[np.ndarray], reduction: str, *, nmask: int = 0, scale: float = 1.0
) -> np.ndarray:
    """Run ``kernel`` over :data:`BLOCK`-sized blocks of ``arrays`` and reduce as asked.

    ``nbuf`` scratch buffers of the inputs' dtype, then ``nmask`` boolean ones, are passed to
    ``kernel``; a reduced result is divided by ``scale`` (the generic path's ``divide_by``).
    """
    a0 = arrays[0]
    dt = a0.dtype
    n = a0.size
    if n <= BLOCK:  # one block: no slicing (small inputs pay only the kernel's ufunc calls)
        bufs = [np.empty(n, dt) for _ in range(nbuf)]
        if nmask:
            bufs += [np.empty(n, np.bool_) for _ in range(nmask)]
        out = np.empty(n, dt)
        kernel(arrays if a0.ndim == 1 else [a.reshape(-1) for a in arrays], bufs, out)
        if reduction == "none":
            return out if a0.ndim == 1 else out.reshape(a0.shape)
        # A few values: their exactly rounded sum from a list (a ufunc reduction costs ~1 µs).
        total = math.fsum(out.tolist()) if n <= _SHORT else float(np.add.reduce(out))
        return _total(total, n, dt, reduction, scale)
    bufs = [np.empty(BLOCK, dt) for _ in range(nbuf)] + [np.empty(BLOCK, np.bool_) for _ in range(nmask)]
    out = np.empty(a0.shape if reduction == "none" else BLOCK, dt)
    flat = [a.reshape(-1) for a in arrays]  # views: the inputs are C-contiguous
    dest = out.reshape(-1)
    total = 0.0
    for i in range(0, n, BLOCK):
        j = min(i + BLOCK, n)
        m = j - i
        block = dest[i:j] if reduction == "none" else dest[:m]
        kernel([f[i:j] for f in flat], [b[:m] for b in bufs], block)
        if reduction != "none":
            total += float(np.add.reduce(block))
    if reduction == "none":
        return out
    return _total(total, n, dt, reduction, scale)


def _total(total: float, n: int, dt: np.dtype, reduction: str, scale: float = 1.0) -> np.ndarray:
    """``"sum"``/``"mean"`` (over ``n`` values) of a float64 ``total`` as a 0-d array of ``dt``."""
    big = _BIG[dt]
    if reduction == "mean" and not abs(total) > big:  # NaN: divided, stays NaN
        # A total beyond the dtype's range stays inf, as the generic path's sum in that dtype
        # (these losses are non-negative: their partial sums never exceed the total).
        total /= n
    if scale != 1.0:
        total /= scale
    # Beyond the dtype's range: inf, as a sum in that dtype (without a cast's overflow warning).
    return np.asarray(math.copysign(math.inf, total) if abs(total) > big else total, dtype=dt)


# -- regression ------------------------------------------------------------------------------


def _squared(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
    # (p - t) * (p - t): the generic `d * d`
    d = np.subtract(x[0], x[1], out=dest)
    np.multiply(d, d, out=dest)


def _absolute(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
    np.abs(np.subtract(x[0], x[1], out=dest), out=dest)


def _huber_kernel(delta: float) -> Kernel:
    def kernel(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
        # a = |p - t|, q = min(a, delta), q * (a - 0.5 q): the generic branch-free form
        a = np.abs(np.subtract(x[0], x[1], out=buf[0]), out=buf[0])
        q = np.minimum(a, _full(delta, a), out=buf[1])
        np.subtract(a, np.multiply(q, 0.5, out=dest), out=a)
        np.multiply(q, a, out=dest)

    return kernel


def _smooth_l1_kernel(beta: float) -> Kernel:
    huber_kernel = _huber_kernel(beta)

    def kernel(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
        # Huber(delta = beta) / beta, divided per element as the generic "none"
        huber_kernel(x, buf, dest)
        np.divide(dest, beta, out=dest)

    return kernel


_LOG_2 = math.log(2.0)


#: Beyond this |p - t| log cosh a = a - log 2 + log1p(exp(-2 a)) is a - log 2 + (a term below
#: half an ulp of it) in float32 and float64, so log cosh a = log cosh(T) + (a - T) to rounding.
_LOG_COSH_T = 20.0


def _log_cosh(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
    # One branch for every a = |p - t|, with b = min(a, T):
    #   log cosh a = log1p(2 sinh(b / 2)^2) + (a - b)
    # The generic form's small-a branch (the same operations: equal to the last bit for a < 1,
    # where a - b = 0) evaluated up to T, where it neither cancels nor overflows; beyond T the
    # linear part. Two transcendental functions per element and no selection (a selection by a
    # random mask is slower than either). NaN stays NaN (min propagates it), a = inf gives inf.
    a, b, sh = buf
    np.abs(np.subtract(x[0], x[1], out=a), out=a)
    np.minimum(a, _full(_LOG_COSH_T, a), out=b)
    np.sinh(np.multiply(0.5, b, out=sh), out=sh)
    np.subtract(a, b, out=a)
    np.log1p(np.multiply(np.multiply(2.0, sh, out=b), sh, out=b), out=b)
    np.add(b, a, out=dest)


@_fast_path("mean_squared_error")
def _numpy_mse(pred: Any, target: Any, *, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _plain(pred, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    return _blocked(_squared, 0, (pred, target), reduction)


@_fast_path("mean_absolute_error")
def _numpy_mae(pred: Any, target: Any, *, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _plain(pred, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    return _blocked(_absolute, 0, (pred, target), reduction)


@_fast_path("huber")
def _numpy_huber(pred: Any, target: Any, *, delta: Any, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _num(delta) or not _plain(pred, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    return _blocked(_huber_kernel(delta), 2, (pred, target), reduction)


@_fast_path("smooth_l1")
def _numpy_smooth_l1(pred: Any, target: Any, *, beta: Any, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _num(beta) or not _plain(pred, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    if beta == 0:  # exactly the L1 loss, as in the generic path
        return _blocked(_absolute, 0, (pred, target), reduction)
    if reduction == "none":
        return _blocked(_smooth_l1_kernel(beta), 2, (pred, target), reduction)
    # The generic path reduces the Huber values and divides the result once by beta.
    return _blocked(_huber_kernel(beta), 2, (pred, target), reduction, scale=beta)


@_fast_path("log_cosh")
def _numpy_log_cosh(pred: Any, target: Any, *, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _plain(pred, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    return _blocked(_log_cosh, 3, (pred, target), reduction)


# -- classification --------------------------------------------------------------------------


def _bce_logits_kernel(pos_weight: Any, label_smoothing: Any) -> Kernel:
    smooth = label_smoothing != 0

    def kernel(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
        # The generic NumPy form, operation by operation:
        #   cneg * max(x, 0) - cpos * min(x, 0) + (cpos + cneg) * log1p(exp(-|x|)),
        #   cpos = pos_weight * t, cneg = 1 - t, t smoothed to t (1 - s) + s / 2.
        logits, t = x
        shared, cneg, tmp, cpos = buf
        if smooth:
            t = np.add(np.multiply(t, 1 - label_smoothing, out=cpos), label_smoothing / 2, out=cpos)
        np.subtract(1, t, out=cneg)  # before cpos, which may overwrite the smoothed t in place
        cpos = t if pos_weight is None else np.multiply(pos_weight, t, out=cpos)
        np.log1p(np.exp(np.negative(np.abs(logits, out=shared), out=shared), out=shared), out=shared)
        np.multiply(np.add(cpos, cneg, out=tmp), shared, out=shared)
        zero = _full(0.0, logits)
        np.multiply(cneg, np.maximum(logits, zero, out=tmp), out=cneg)
        np.multiply(cpos, np.minimum(logits, zero, out=tmp), out=tmp)
        np.add(np.subtract(cneg, tmp, out=cneg), shared, out=dest)

    return kernel


@_fast_path("binary_cross_entropy_with_logits")
def _numpy_bce_logits(
    logits: Any,
    target: Any,
    *,
    pos_weight: Any,
    alpha: Any,
    label_smoothing: Any,
    sample_weight: Any,
    where: Any,
    reduction: str,
) -> Any:
    if alpha is not None or not _num(label_smoothing) or (pos_weight is not None and not _num(pos_weight)):
        return NotImplemented
    if not _plain(logits, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    return _blocked(_bce_logits_kernel(pos_weight, label_smoothing), 4, (logits, target), reduction)


class _Decline(Exception):
    """Raised by a kernel on inputs whose result only the generic path decides (its caller
    returns ``NotImplemented``)."""


def _sigmoid_focal_kernel(alpha: Any, gamma: float, smoothing: float) -> Kernel:
    def kernel(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
        # Per element, with e = exp(-|x|) and h = 1 - t where x >= +0, t where x <= -0:
        #   BCE = log1p(e) + |x| h,   1 - p_t = h + (1 - 2h) e / (1 + e),
        #   loss = alpha_t (1 - p_t)^gamma BCE,   alpha_t = (1 - alpha) - (1 - 2 alpha) t.
        # For t in [0, 1] every term is non-negative: no cancellation, so a confident right
        # prediction keeps its tiny loss and factor to full relative precision. Targets outside
        # [0, 1] (or NaN) and non-finite losses are left to the generic path's branches.
        logits, t = x
        a, e, h, ts, sg = buf
        if not (np.minimum.reduce(t) >= 0.0 and np.maximum.reduce(t) <= 1.0):
            raise _Decline
        if smoothing:
            t = np.add(np.multiply(t, 1.0 - smoothing, out=ts), smoothing / 2, out=ts)
        # h by arithmetic, exactly (a selection by the random signs of x costs ~10 ufuncs):
        # with s = +-1 the sign of x, (s + 1) / 2 - s t is 1 - t or 0 + t.
        np.copysign(_full(1.0, logits), logits, out=sg)
        np.multiply(np.add(sg, 1.0, out=h), 0.5, out=h)
        np.subtract(h, np.multiply(sg, t, out=e), out=h)
        np.abs(logits, out=a)
        np.exp(np.negative(a, out=e), out=e)
        bce = np.add(np.log1p(e, out=dest), np.multiply(a, h, out=a), out=a)
        w = None
        if gamma != 0:
            np.divide(e, np.add(e, 1.0, out=dest), out=e)  # sigma(-|x|)
            np.add(np.multiply(h, -2.0, out=dest), 1.0, out=dest)  # 1 - 2h
            w = np.add(h, np.multiply(dest, e, out=dest), out=h)  # 1 - p_t
            if gamma == 2:
                np.multiply(w, w, out=w)
            elif gamma != 1:
                np.power(w, gamma, out=w)
        if alpha is not None:
            at = np.subtract(1.0 - alpha, np.multiply(t, 1.0 - 2.0 * alpha, out=e), out=e)
            w = at if w is None else np.multiply(w, at, out=w)
        if w is None:
            np.copyto(dest, bce)
        else:
            np.multiply(w, bce, out=dest)
        if not math.isfinite(np.add.reduce(dest)):
            raise _Decline

    return kernel


@_fast_path("sigmoid_focal")
def _numpy_sigmoid_focal(
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
    if not _num(gamma, label_smoothing) or (alpha is not None and not _num(alpha)):
        return NotImplemented
    if not _plain(logits, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    try:
        return _blocked(_sigmoid_focal_kernel(alpha, gamma, label_smoothing), 5, (logits, target), reduction)
    except _Decline:
        return NotImplemented


def _bce_kernel(alpha: Any, smoothing: Any) -> Kernel:
    def kernel(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
        # The generic form: -(pos log p + neg log1p(-p)) where p (1 - p) >= 1e-12 (float32's
        # 1e-12, torch's), the clamped saturated branch elsewhere; pos = alpha t, neg =
        # (1 - alpha)(1 - t) (alpha None: t, 1 - t). A block without a saturated probability
        # (the usual case) evaluates only the first; any other block the generic form itself.
        p, t = x
        prod, pos, neg = buf
        if smoothing:
            t = np.add(np.multiply(t, 1 - smoothing, out=prod), smoothing / 2, out=prod)
        np.subtract(1, t, out=neg)
        if alpha is not None:
            np.multiply(1 - alpha, neg, out=neg)
            t = np.multiply(alpha, t, out=pos)
        np.multiply(p, np.subtract(1, p, out=dest), out=dest)
        if not np.minimum.reduce(dest) >= BCE_GRAD_EPS:  # NaN too
            np.copyto(dest, _bce_generic_block(p, x[1], smoothing, alpha))
            return
        np.multiply(neg, np.log1p(np.negative(p, out=dest), out=dest), out=neg)
        np.add(np.multiply(t, np.log(p, out=dest), out=dest), neg, out=dest)
        np.negative(dest, out=dest)

    return kernel


def _bce_generic_block(p: np.ndarray, t: np.ndarray, smoothing: Any, alpha: Any) -> np.ndarray:
    """The generic path's ``binary_cross_entropy`` of one block (saturated probabilities)."""
    from ._catalog import lookup  # noqa: PLC0415
    from ._dispatch import get_namespace  # noqa: PLC0415

    body = lookup("binary_cross_entropy").body
    assert body is not None  # a catalog loss always has its formula
    xp = get_namespace("binary_cross_entropy", "probs target", p, t)
    return body(xp, p, t, alpha=alpha, label_smoothing=smoothing)


@_fast_path("binary_cross_entropy")
def _numpy_bce(
    probs: Any, target: Any, *, alpha: Any, label_smoothing: Any, sample_weight: Any, where: Any, reduction: str
) -> Any:
    if not _num(label_smoothing) or (alpha is not None and not _num(alpha)):
        return NotImplemented
    if not _plain(probs, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    return _blocked(_bce_kernel(alpha, label_smoothing), 3, (probs, target), reduction)


# -- divergences -----------------------------------------------------------------------------------


def _kl_rows(lq: np.ndarray, t: np.ndarray, log_target: bool, buf: Sequence[np.ndarray], dest: np.ndarray) -> bool:
    """Row sums of ``t (log t - log q)`` for a block of rows into ``dest``; False where the block
    must be left to the generic form (a non-finite row sum: a zero target against ``log q =
    -inf``, NaN or infinite inputs; a negative target, whose log is NaN there)."""
    a, b = buf
    if log_target:  # t = exp(log t); where exp underflows t = 0 and the term is 0 as well
        np.exp(t, out=a)
        np.multiply(a, np.subtract(t, lq, out=b), out=b)
    else:
        if not np.minimum.reduce(t, axis=None) >= 0:  # NaN too
            return False
        # log t with t = 0 raised to the smallest subnormal (every positive t is at least that,
        # so its log is unchanged): t (log t - log q) = 0 there for a finite log q
        c = t.shape[-1]
        np.maximum(t, _full(_TINY[t.dtype], t[0]) if c <= BLOCK else _TINY[t.dtype], out=a)
        np.multiply(t, np.subtract(np.log(a, out=a), lq, out=b), out=b)
    np.add.reduce(b, axis=-1, out=dest)
    return math.isfinite(np.add.reduce(dest))


@_fast_path("kl_divergence")
def _numpy_kl_divergence(
    log_probs: Any, target: Any, *, log_target: Any, sample_weight: Any, where: Any, reduction: str, axis: Any
) -> Any:
    # The class axis last (the default): blocks of whole rows, each row summed as the generic
    # path sums it (NumPy's pairwise sum along the row), then reduced as the other fast paths.
    if not isinstance(log_target, bool) or axis not in (-1, log_probs.ndim - 1) or log_probs.ndim < 1:
        return NotImplemented
    if not _plain(log_probs, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    c = log_probs.shape[-1]
    rows = log_probs.size // c
    lq, t = log_probs.reshape(rows, c), target.reshape(rows, c)
    step = max(1, BLOCK // c)
    dt = lq.dtype
    bufs = [np.empty((min(step, rows), c), dt) for _ in range(2)]
    out = np.empty(rows, dt)
    for i in range(0, rows, step):
        j = min(rows, i + step)
        ok = _kl_rows(lq[i:j], t[i:j], log_target, [b[: j - i] for b in bufs], out[i:j])
        if not ok:  # the generic form on these rows
            out[i:j] = _generic_rows("kl_divergence", lq[i:j], t[i:j], log_target=log_target)
    return _rows_result(out, log_probs.shape[:-1], reduction)


def _generic_rows(name: str, *arrays: np.ndarray, **options: Any) -> np.ndarray:
    """The generic path's per-row values of the class-axis loss ``name`` (last axis)."""
    with _HOST.native(False):
        return getattr(sys.modules["lossapi"], name)(*arrays, **options, reduction="none")


# -- class-index losses (the class axis last) ------------------------------------------------------


def _class_rows(
    x: Any,
    labels: Any,
    *,
    axis: Any,
    reduction: str,
    class_weight: Any,
    ignore_index: Any,
    sample_weight: Any,
    where: Any,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(x, labels)`` as ``(rows, C)`` and ``(rows,)`` views when the class-index fast paths take
    them: no class weights, ignored labels, ``sample_weight`` or ``where``; ``x`` plain (see
    :func:`_plain`) with the class axis last, ``labels`` an integer ``numpy.ndarray`` of ``x``'s
    shape without it, every label in ``[0, C)`` (invalid labels are NaN entries, which the
    generic path makes); else None."""
    if class_weight is not None or ignore_index is not None:
        return None
    if not _plain(x, sample_weight=sample_weight, where=where, reduction=reduction) or x.ndim < 1:
        return None
    if axis != -1 and axis != x.ndim - 1:
        return None
    if type(labels) is not np.ndarray or labels.dtype.kind not in "iu" or labels.shape != x.shape[:-1]:
        return None
    c = x.shape[-1]
    if labels.size <= _SHORT:  # a few labels: Python's min/max (a ufunc reduction costs ~1.5 µs)
        values = labels.ravel().tolist()
        if values and (min(values) < 0 or max(values) >= c):
            return None
    elif np.minimum.reduce(labels, axis=None) < 0 or np.maximum.reduce(labels, axis=None) >= c:
        return None
    return x.reshape(-1, c), labels.reshape(-1)


def _row_logsumexp(z: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """``logsumexp`` of each row of ``z`` with the generic path's NumPy operations (the shift by
    the row maximum, 0 for a row without a finite one), ``buf`` (``z``'s shape, may be ``z``) as
    the workspace."""
    m = np.maximum.reduce(z, axis=-1, keepdims=True)
    if m.size > _SHORT or not math.isfinite(sum(m.ravel().tolist())):
        m[~np.isfinite(m)] = 0  # rows of -inf give -inf, not NaN
    t = np.exp(np.subtract(z, m, out=buf), out=buf)
    return (np.log(np.add.reduce(t, axis=-1, keepdims=True)) + m).squeeze(-1)


def _by_rows(
    per_rows: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """``per_rows(z, y, buf)`` over blocks of rows of ``x`` (``(rows, C)``) and ``y``, with one
    block-sized workspace ``buf``; one block (small inputs) without slicing."""
    rows, c = x.shape
    step = max(1, BLOCK // c)
    buf = np.empty((min(step, rows), c), x.dtype)
    if rows <= step:
        return per_rows(x, y, buf)
    per = np.empty(rows, x.dtype)
    for i in range(0, rows, step):
        j = min(rows, i + step)
        per[i:j] = per_rows(x[i:j], y[i:j], buf[: j - i])
    return per


def _ce_rows(z: np.ndarray, y: np.ndarray, temperature: Any, buf: np.ndarray) -> np.ndarray:
    """``logsumexp(z / T) - z_y / T`` per row of ``z`` with the generic path's operations,
    ``buf`` (``z``'s shape) as the workspace."""
    if temperature != 1:
        z = np.divide(z, temperature, out=buf)
    g = z[np.arange(z.shape[0]), y]
    return np.subtract(_row_logsumexp(z, buf), g, out=g)


def _rows_result(per: np.ndarray, shape: tuple[int, ...], reduction: str) -> np.ndarray:
    """``reduction`` of the per-row values ``per`` (``"none"``: reshaped to ``shape``); sums as
    the elementwise kernels' (float64 sums of blocks)."""
    if reduction == "none":
        return per.reshape(shape)
    n = per.size
    if n <= _SHORT:
        total = math.fsum(per.tolist())
    else:
        total = sum(float(np.add.reduce(per[i : i + BLOCK])) for i in range(0, n, BLOCK))
    return _total(total, n, per.dtype, reduction)


@_fast_path("cross_entropy")
def _numpy_cross_entropy(
    logits: Any,
    target: Any,
    *,
    class_weight: Any,
    ignore_index: Any,
    label_smoothing: Any,
    temperature: Any,
    sample_weight: Any,
    where: Any,
    reduction: str,
    axis: Any,
) -> Any:
    # Integer labels without weights, ignored labels or smoothing: per row lse(z) - z_y with the
    # generic path's logsumexp (the same operations: equal to the last bit), on blocks of rows
    # (one block-sized temporary, however large the logits).
    if not _num(label_smoothing, temperature) or label_smoothing != 0:
        return NotImplemented
    layout = _class_rows(
        logits,
        target,
        axis=axis,
        reduction=reduction,
        class_weight=class_weight,
        ignore_index=ignore_index,
        sample_weight=sample_weight,
        where=where,
    )
    if layout is None:
        return NotImplemented
    per = _by_rows(lambda z, y, buf: _ce_rows(z, y, temperature, buf), *layout)
    return _rows_result(per, logits.shape[:-1], reduction)


@_fast_path("nll")
def _numpy_nll(
    log_probs: Any,
    labels: Any,
    *,
    class_weight: Any,
    ignore_index: Any,
    sample_weight: Any,
    where: Any,
    reduction: str,
    axis: Any,
) -> Any:
    # Integer labels without weights or ignored labels: -log_probs at the label (one gather).
    layout = _class_rows(
        log_probs,
        labels,
        axis=axis,
        reduction=reduction,
        class_weight=class_weight,
        ignore_index=ignore_index,
        sample_weight=sample_weight,
        where=where,
    )
    if layout is None:
        return NotImplemented
    x, y = layout
    per = np.negative(x[np.arange(x.shape[0]), y])
    return _rows_result(per, log_probs.shape[:-1], reduction)


def _softplus(x: np.ndarray) -> np.ndarray:
    """``max(x, 0) + log1p(exp(-|x|))``, the generic path's NumPy softplus."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _softmax_focal_rows(z: np.ndarray, y: np.ndarray, alpha: Any, gamma: float, buf: np.ndarray) -> np.ndarray:
    """Per row ``alpha exp(-gamma sp(delta)) sp(-delta)``, ``delta = z_y - logsumexp_{c != y} z_c``
    (``sp`` the softplus), with the generic path's operations; ``buf`` is ``z``'s shape."""
    rows = np.arange(z.shape[0])
    g = z[rows, y]
    np.copyto(buf, z)
    others = buf
    others[rows, y] = -np.inf
    delta = g - _row_logsumexp(others, others)
    out = _softplus(-delta)
    if gamma != 0:
        out = np.exp(-gamma * _softplus(delta)) * out
    return out if alpha is None else alpha * out


@_fast_path("softmax_focal")
def _numpy_softmax_focal(
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
    # Integer labels, a Python-number alpha (or None), no class weights, ignored labels or
    # smoothing: the generic path's margin form on blocks of rows (one block-sized copy with the
    # label's logit masked instead of a full-size one); equal to the last bit.
    if not _num(gamma, label_smoothing) or label_smoothing != 0 or (alpha is not None and not _num(alpha)):
        return NotImplemented
    layout = _class_rows(
        logits,
        target,
        axis=axis,
        reduction=reduction,
        class_weight=class_weight,
        ignore_index=ignore_index,
        sample_weight=sample_weight,
        where=where,
    )
    if layout is None:
        return NotImplemented
    per = _by_rows(lambda z, y, buf: _softmax_focal_rows(z, y, alpha, gamma, buf), *layout)
    return _rows_result(per, logits.shape[:-1], reduction)


# -- margin ----------------------------------------------------------------------------------------


def _hinge_kernel(margin: float, squared: bool) -> Kernel:
    def kernel(x: Sequence[np.ndarray], buf: Sequence[np.ndarray], dest: np.ndarray) -> None:
        # The generic form max(0, m - s t)^(1 or 2) with the target's 0 read as -1: the sign
        # t - [t == 0] by arithmetic (a selection by a random mask costs ~10 ufuncs).
        scores, t = x
        (sign,) = buf
        np.subtract(t, np.equal(t, 0.0, out=dest), out=sign)
        np.subtract(margin, np.multiply(sign, scores, out=sign), out=sign)
        np.maximum(sign, _full(0.0, sign), out=dest)
        if squared:
            np.multiply(dest, dest, out=dest)

    return kernel


@_fast_path("hinge")
def _numpy_hinge(scores: Any, target: Any, *, margin: Any, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _num(margin) or not _plain(scores, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    return _blocked(_hinge_kernel(margin, False), 1, (scores, target), reduction)


@_fast_path("squared_hinge")
def _numpy_squared_hinge(
    scores: Any, target: Any, *, margin: Any, sample_weight: Any, where: Any, reduction: str
) -> Any:
    if not _num(margin) or not _plain(scores, target, sample_weight=sample_weight, where=where, reduction=reduction):
        return NotImplemented
    return _blocked(_hinge_kernel(margin, True), 1, (scores, target), reduction)
