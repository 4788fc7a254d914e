"""Numerical building blocks shared by every loss family.

This is the only place where losses meet backend differences below the namespace level:
each helper is written against the Array API and, where one backend needs a different
spelling for speed, tracing or a consistent gradient convention, the branch lives here.

Gradient conventions (identical on every backend, tested at the kink points):

- ``abs_`` has gradient 0 at 0 (JAX's own ``abs`` gives 1 there, torch's 0);
- ``relu`` has gradient 0 at 0 (``jnp.maximum``/``clip`` split ties 0.5/0.5, torch's
  ``clamp`` passes 1);
- ``safe_sqrt`` and ``safe_norm`` have gradient 0 at 0 instead of inf/NaN;
- ``xlogy`` has value 0 and finite gradients where ``x == 0`` (double ``where``).

These are the minimum-norm subgradients at the kinks.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from ._array import device_of
from ._dispatch import backend_name

__all__ = [
    "BCE_GRAD_EPS",
    "abs_",
    "activation",
    "as_result",
    "astype",
    "clip_max",
    "clip_range",
    "cumulative_sum",
    "exprel",
    "finfo_eps",
    "gather_labels",
    "label_hits",
    "label_sums",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "masked_logsumexp",
    "mean",
    "one_hot",
    "param",
    "relu",
    "safe_norm",
    "safe_sqrt",
    "softplus",
    "sort_descending",
    "sort_descending_with",
    "stop_gradient",
    "sum_",
    "take_1d",
    "xlogy",
]

#: torch's BCE backward divides by max(p (1 - p), EPSILON) with a C++ float EPSILON = 1e-12f,
#: i.e. float32(1e-12) also in float64; the probability-space BCE keeps that convention.
BCE_GRAD_EPS = 9.999999960041972e-13


def astype(xp: Any, x: Any, dtype: Any) -> Any:
    """``xp.astype`` that returns ``x`` itself when it already has ``dtype``."""
    return x if x.dtype == dtype else xp.astype(x, dtype)


def param(xp: Any, value: Any, dtype: Any) -> Any:
    """A hyper-parameter ready to combine with arrays of ``dtype``.

    Python numbers stay Python numbers (they adopt the array's dtype under the standard's
    scalar promotion); arrays are cast to ``dtype`` so a float64 0-d array cannot promote
    float32 math.
    """
    if isinstance(value, (int, float)):
        return value
    return astype(xp, value, dtype)


def as_result(xp: Any, x: Any) -> Any:
    """Make sure a reduced result is an array of ``xp`` (NumPy reductions give scalars)."""
    if type(x).__module__ == "numpy" and type(x).__name__ != "ndarray":
        return sys.modules["numpy"].asarray(x)
    return x


def mean(xp: Any, x: Any) -> Any:
    """Mean of all elements of a non-empty ``x``.

    NumPy float32/float64 arrays: ``add.reduce(x) / x.size``, which is what ``ndarray.mean``
    computes (same pairwise sum, same division) without its ~3 µs of Python-level checks.
    Other NumPy dtypes (float16 accumulates in float32 there) use the method.
    """
    if type(x).__module__ == "numpy":
        if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
            return sys.modules["numpy"].add.reduce(x, None) / x.size
        return x.mean()
    return xp.mean(x)


def sum_(xp: Any, x: Any) -> Any:
    """Sum of all elements (NumPy: ``add.reduce``, what ``ndarray.sum`` calls)."""
    if type(x).__module__ == "numpy":
        return sys.modules["numpy"].add.reduce(x, None)
    return xp.sum(x)


def stop_gradient(xp: Any, x: Any) -> Any:
    """The backend's own stop-gradient: ``detach`` in torch, ``lax.stop_gradient`` in JAX.

    Identity for libraries without automatic differentiation.
    """
    b = backend_name(xp)
    if b == "torch":
        return x.detach()
    if b == "jax":
        return sys.modules["jax"].lax.stop_gradient(x)
    return x


def abs_(xp: Any, x: Any) -> Any:
    """``|x|`` with gradient 0 at 0 on every backend."""
    if backend_name(xp) == "jax":
        return xp.sign(x) * x  # jnp.abs has gradient 1 at 0
    return xp.abs(x)


def relu(xp: Any, x: Any) -> Any:
    """``max(x, 0)`` with gradient 0 at 0 on every backend."""
    b = backend_name(xp)
    if b == "torch":
        return sys.modules["torch"].relu(x)
    if b == "numpy":
        return xp.maximum(x, 0.0)
    # ``x <= 0`` (not ``x > 0``) selects the zero, so NaN takes the ``x`` branch and propagates.
    return xp.where(x <= 0, xp.zeros_like(x), x) if b == "array_api_strict" else xp.where(x <= 0, 0.0, x)


def clip_max(xp: Any, x: Any, hi: Any) -> Any:
    """``min(x, hi)``: the fastest spelling per backend (the compat wrappers differ 10x).

    Only used where the loss is smooth at the tie, so the tie's gradient convention does not
    matter.
    """
    b = backend_name(xp)
    if b == "torch":
        return xp.clip(x, max=hi)
    if b == "array_api_strict" and not hasattr(hi, "dtype"):
        return xp.minimum(x, xp.asarray(hi, dtype=x.dtype, device=x.device))
    return xp.minimum(x, hi)


def clip_range(xp: Any, x: Any, lo: float, hi: float) -> Any:
    """``min(max(x, lo), hi)`` for Python-number bounds (``lo`` may be ``-inf``).

    Only for entries strictly inside or strictly outside the bounds where the gradient
    matters (the tie conventions of the backends' clips differ). torch calls ``clamp`` and
    NumPy its ufuncs (the compat ``clip`` wrappers cost several eager ops each).
    """
    b = backend_name(xp)
    if b == "torch":
        return sys.modules["torch"].clamp(x, lo, hi)
    if b == "numpy":
        return xp.minimum(xp.maximum(x, lo), hi)
    return xp.clip(x, min=lo, max=hi)


def softplus(xp: Any, x: Any) -> Any:
    """``log(1 + exp(x))`` without overflow: ``relu(x) + log1p(exp(-|x|))``.

    ``-|x|`` is spelled ``where(x > 0, -x, x)`` so that at ``x = 0`` both terms take the
    ``x <= 0`` branch and the gradient is ``sigmoid(0) = 0.5`` on every backend (with ``abs``
    the kinks of ``relu`` and ``abs`` gave 0 in torch and -0.5 in JAX). torch calls its fused
    ``softplus`` (same value and gradient); NumPy and Dask, which have no gradients, use
    ``-abs(x)``.
    """
    b = backend_name(xp)
    if b == "torch":
        # One fused kernel with the same value and gradient (sigmoid, 0.5 at 0). Above the
        # threshold torch returns x itself, where log1p(exp(-x)) < 4e-18 x is below float64's
        # rounding; the default threshold 20 would not be for float64.
        return sys.modules["torch"].nn.functional.softplus(x, beta=1.0, threshold=40.0)
    if b in ("numpy", "dask"):
        # No autodiff, so the tie convention is moot, and NumPy's `where` on a mask of random
        # signs is ~10x slower than `abs` (branch mispredictions); -|x| is the same value.
        return relu(xp, x) + xp.log1p(xp.exp(-xp.abs(x)))
    return relu(xp, x) + xp.log1p(xp.exp(xp.where(x > 0, -x, x)))


def amax(xp: Any, x: Any, axis: int = -1, keepdims: bool = False) -> Any:
    """``xp.max`` that also takes an input with a zero-size dimension (an empty batch).

    Dask cannot reduce a chunk with no rows, and no library reduces over an empty axis: then
    the result (itself empty, or a shift that multiplies nothing) is zeros of the right shape.
    The check is on the static shape only.
    """
    if 0 in x.shape:
        return xp.sum(xp.zeros_like(x), axis=axis, keepdims=keepdims)
    return xp.max(x, axis=axis, keepdims=keepdims)


def log_sigmoid(xp: Any, x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for every finite ``x``."""
    return -softplus(xp, -x)


def logsumexp(xp: Any, x: Any, axis: int = -1, keepdims: bool = False, overwrite_input: bool = False) -> Any:
    """``log(sum(exp(x)))`` over ``axis``, stable, with a stop-gradient on the shift.

    Rows that are entirely ``-inf`` give ``-inf`` (not NaN). With ``overwrite_input`` (for a
    private temporary the caller no longer needs) NumPy works in ``x`` itself, so the only
    full-size memory is ``x``; other backends ignore it.
    """
    b = backend_name(xp)
    if b == "torch":  # fused kernel, same value and gradient (softmax)
        return sys.modules["torch"].logsumexp(x, dim=axis, keepdim=keepdims)
    if b == "jax":
        return sys.modules["jax"].nn.logsumexp(x, axis=axis, keepdims=keepdims)
    if b == "numpy":
        # One full-size temporary instead of two (peak memory of cross-entropy on NumPy), and
        # the ufuncs' own reduce/in-place forms (no wrapper layers: tiny inputs pay per call).
        np_ = sys.modules["numpy"]
        m = np_.maximum.reduce(x, axis=axis, keepdims=True)
        m[~np_.isfinite(m)] = 0  # m is a fresh array: all -inf rows give -inf, not NaN
        t = np_.subtract(x, m, out=x if overwrite_input else None)
        np_.exp(t, out=t)
        out = np_.log(np_.add.reduce(t, axis=axis, keepdims=True)) + m
        return out if keepdims else out.squeeze(axis)
    m = stop_gradient(xp, amax(xp, x, axis=axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def masked_logsumexp(xp: Any, x: Any, mask: Any, axis: int = -1) -> tuple[Any, Any]:
    """``log(sum(exp(x)))`` over the entries of ``axis`` where ``mask``, and whether there are any.

    Returns ``(lse, nonempty)``: rows without a masked entry give ``lse = 0`` (and
    ``nonempty = False``) instead of ``-inf``, so callers select with ``where`` without NaN in
    either branch's gradient. Entries outside ``mask`` reach neither the value nor the gradient;
    the shift is the (stop-gradient) maximum over the masked entries.
    """
    zero = xp.zeros_like(x)
    m = stop_gradient(xp, amax(xp, xp.where(mask, x, xp.full_like(x, -math.inf)), axis=axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    total = xp.sum(xp.where(mask, xp.exp(xp.where(mask, x - m, zero)), zero), axis=axis, keepdims=True)
    nonempty = xp.any(mask, axis=axis, keepdims=True)
    lse = xp.where(nonempty, m + xp.log(xp.where(nonempty, total, xp.ones_like(total))), xp.zeros_like(total))
    return xp.squeeze(lse, axis=axis), xp.squeeze(nonempty, axis=axis)


def log_softmax(xp: Any, x: Any, axis: int = -1) -> Any:
    """``x - logsumexp(x)`` over ``axis``, as ``(x - m) - log(sum(exp(x - m)))`` with ``m`` the
    row maximum: the shift is never added back, so large logits keep the log-probabilities of
    their ties (``x - logsumexp(x)`` rounds ``logsumexp`` to ``m`` at ``|m| ~ 1e30`` in float32).
    torch and JAX run their own kernels, which compute the same."""
    b = backend_name(xp)
    if b == "torch":
        return sys.modules["torch"].log_softmax(x, dim=axis)
    if b == "jax":
        return sys.modules["jax"].nn.log_softmax(x, axis=axis)
    m = stop_gradient(xp, amax(xp, x, axis=axis, keepdims=True))
    s = x - xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))


def activation(xp: Any, x: Any, kind: str, axis: int = -1) -> Any:
    """Probabilities of logits ``x``: ``"sigmoid"`` elementwise or ``"softmax"`` over ``axis``.

    torch runs its fused kernels (one pass instead of a log-probability and its exponential);
    elsewhere the exponential of :func:`log_sigmoid` / :func:`log_softmax`, which is as accurate:
    the same values to rounding and the same derivatives. (Under ``jax.jit`` XLA fuses that form,
    and its gradient is faster than that of ``jax.nn.softmax``.)
    """
    if backend_name(xp) == "torch":
        torch = sys.modules["torch"]
        return torch.sigmoid(x) if kind == "sigmoid" else torch.softmax(x, dim=axis)
    return xp.exp(log_sigmoid(xp, x) if kind == "sigmoid" else log_softmax(xp, x, axis=axis))


def label_sums(xp: Any, p: Any, labels: Any, num_classes: int, axis: int, axes: tuple[int, ...]) -> tuple[Any, Any]:
    """``(sum p [y = c], sum [y = c])`` over ``axes`` for every class ``c``: the overlap and the
    target size of probabilities ``p`` (class axis ``axis``, non-negative) and valid integer
    ``labels`` (``p``'s shape without the class axis).

    ``axes`` are the summed axes of ``p`` (every axis but the class axis, and the batch axis 0
    when it is kept); the results have the kept axes, the class axis last. On torch the label's
    probability is gathered and added into its class (a scatter over ``(groups, C)``: no
    full-size comparison, selection or one-hot); elsewhere the comparison with the class range
    selects the probabilities (fused under ``jax.jit``).
    """
    b = backend_name(xp)
    if b == "torch" and axis not in axes and set(axes) | {0, axis} == set(range(p.ndim)):
        torch = sys.modules["torch"]
        g = 1 if 0 in axes else p.shape[0]
        y = labels if labels.dtype == torch.int64 else labels.to(torch.int64)
        m = y.numel() // g if g else 0  # pixels per group (an empty batch has no group)
        py = torch.gather(p, axis, y.unsqueeze(axis)).reshape(g, m)
        y = y.reshape(g, m)
        zeros = torch.zeros(g, num_classes, dtype=p.dtype, device=p.device)
        inter = zeros.scatter_add(1, y, py)
        size = zeros.scatter_add(1, y, torch.ones_like(py))
        return (inter[0], size[0]) if g == 1 and 0 in axes else (inter, size)
    hits = label_hits(xp, labels, num_classes, axis)
    inter, size = xp.where(hits, p, 0.0), astype(xp, hits, p.dtype)
    return (xp.sum(inter, axis=axes), xp.sum(size, axis=axes)) if axes else (inter, size)


def exprel(xp: Any, y: Any) -> Any:
    """``expm1(y) / y``, 1 at ``y = 0``, with exact values and derivatives near 0 (double where).

    Within ``|y| < 1e-3`` its Taylor polynomial ``1 + y/2 + y^2/6 + y^3/24`` (truncation error
    below ``y^4/120 ~ 1e-14``) replaces the quotient, so ``x * exprel(x * t)`` is smooth in ``x``
    through 0 (the general robust loss at ``alpha = 0``).
    """
    small = abs_(xp, y) < 1e-3
    ys = xp.where(small, xp.ones_like(y), y)
    return xp.where(small, 1.0 + y * (0.5 + y * (1.0 / 6.0 + y / 24.0)), xp.expm1(ys) / ys)


def xlogy(xp: Any, x: Any, y: Any) -> Any:
    """``x * log(y)`` with value 0 and finite gradients where ``x == 0`` (double where)."""
    zero = x == 0
    y_safe = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log(y_safe))


def safe_sqrt(xp: Any, x: Any) -> Any:
    """``sqrt(x)`` for ``x >= 0`` with gradient 0 (not inf) at 0."""
    pos = ~(x <= 0)  # NaN counts as positive: sqrt(NaN) propagates it instead of giving 0
    return xp.where(pos, xp.sqrt(xp.where(pos, x, xp.ones_like(x))), xp.zeros_like(x))


def safe_norm(xp: Any, x: Any, axis: int = -1, keepdims: bool = False) -> Any:
    """Euclidean norm over ``axis`` with gradient 0 at the zero vector."""
    return safe_sqrt(xp, xp.sum(x * x, axis=axis, keepdims=keepdims))


def one_hot(xp: Any, labels: Any, num_classes: int, dtype: Any, axis: int = -1) -> Any:
    """One-hot encoding of integer ``labels`` with the class axis at ``axis``.

    Out-of-range labels give all-zero rows.
    """
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device_of(labels))  # Dask has no .device
    lab = xp.expand_dims(labels, axis=axis)
    shape = [1] * lab.ndim
    shape[axis] = num_classes
    return xp.astype(lab == xp.reshape(classes, tuple(shape)), dtype)


def gather_labels(xp: Any, x: Any, labels: Any, axis: int = -1) -> Any:
    """``x`` taken at integer ``labels`` along ``axis`` (the class axis disappears).

    Labels outside ``[0, C)`` must be made valid by the caller (e.g. replaced by 0 where
    ignored). Never builds a float one-hot of ``x``'s size except on Dask, which has no
    ``take_along_axis`` and works chunk by chunk anyway.
    """
    b = backend_name(xp)
    axis = axis % x.ndim
    if b == "dask" or not hasattr(xp, "take_along_axis"):
        n = x.shape[axis]
        classes = xp.arange(n, dtype=labels.dtype)
        shape = [1] * x.ndim
        shape[axis] = n
        hit = xp.expand_dims(labels, axis=axis) == xp.reshape(classes, tuple(shape))
        return xp.sum(xp.where(hit, x, xp.zeros_like(x)), axis=axis)
    if b == "numpy" and axis == x.ndim - 1 and x.ndim > 1:
        # Class axis last: one fancy-index gather on the (rows, C) view, which skips
        # take_along_axis's index building (most of a tiny cross-entropy's time).
        np_ = sys.modules["numpy"]
        flat = x.reshape(-1, x.shape[-1])
        return flat[np_.arange(flat.shape[0]), labels.reshape(-1)].reshape(labels.shape)
    idx = xp.expand_dims(labels, axis=axis)
    if b == "torch":
        torch = sys.modules["torch"]
        if idx.dtype != torch.int64:
            idx = idx.to(torch.int64)
        return torch.take_along_dim(x, idx, dim=axis).squeeze(axis)
    return xp.squeeze(xp.take_along_axis(x, idx, axis=axis), axis=axis)


def label_hits(xp: Any, labels: Any, num_classes: int, axis: int) -> Any:
    """Boolean ``labels == c`` with a class axis of ``num_classes`` inserted at ``axis``.

    The comparison broadcasts a ``(C,)`` range against the labels: one bool array, never a
    floating one-hot. ``axis`` is a non-negative position in the result.
    """
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device_of(labels))
    shape = [1] * (labels.ndim + 1)
    shape[axis] = num_classes
    return xp.expand_dims(labels, axis=axis) == xp.reshape(classes, tuple(shape))


def take_1d(xp: Any, table: Any, idx: Any) -> Any:
    """``table[idx]`` for a 1-D ``table`` (per-class values) and integer ``idx`` of any shape.

    Indices must be valid (``0 <= idx < len(table)``); any integer dtype works (uint8 is not
    read as a boolean mask on torch).
    """
    b = backend_name(xp)
    if b == "torch":
        torch = sys.modules["torch"]
        return table[idx if idx.dtype in (torch.int64, torch.int32) else idx.to(torch.int64)]
    if b in ("numpy", "jax", "cupy"):
        return table[idx]
    if b == "dask":
        # Dask cannot index with a lazy integer array of unknown values: compare against the
        # (small) class range instead, chunk by chunk.
        n = table.shape[0]
        hit = xp.expand_dims(idx, axis=-1) == xp.arange(n, dtype=idx.dtype)
        return xp.sum(xp.where(hit, table, xp.zeros_like(table)), axis=-1)
    flat = xp.take(table, xp.reshape(idx, (-1,)), axis=0)
    return xp.reshape(flat, tuple(idx.shape))


def finfo_eps(xp: Any, dtype: Any) -> float:
    """Machine epsilon of ``dtype`` as a Python float."""
    return float(xp.finfo(dtype).eps)


LOG_2 = math.log(2.0)
LOG_2PI = math.log(2.0 * math.pi)


# -- sorting and scans along an axis (margin losses: sparsemax threshold, label padding) --------


def sort_descending(xp: Any, x: Any, axis: int = -1) -> Any:
    """Values of ``x`` sorted in descending order along ``axis``.

    The standard ``xp.sort(..., descending=True)`` on every backend except torch, which is
    called directly (one kernel, no compat wrapper in a ``torch.compile`` graph). Dask
    rechunks ``axis`` into one chunk to sort it (class axes are small).
    """
    if backend_name(xp) == "torch":
        return sys.modules["torch"].sort(x, dim=axis, descending=True).values
    return xp.sort(x, axis=axis, descending=True)


def cumulative_sum(xp: Any, x: Any, axis: int = -1) -> Any:
    """Inclusive cumulative sum along ``axis`` (the standard's ``cumulative_sum``).

    NumPy, torch and JAX call their own ``cumsum`` (same result, no compat wrapper); the other
    backends use ``xp.cumulative_sum``.
    """
    b = backend_name(xp)
    if b == "torch":
        return sys.modules["torch"].cumsum(x, dim=axis)
    if b in ("numpy", "jax"):
        return xp.cumsum(x, axis=axis)
    return xp.cumulative_sum(x, axis=axis)


def sort_descending_with(xp: Any, key: Any, value: Any, axis: int = -1) -> tuple[Any, Any]:
    """``key`` sorted in descending order along ``axis``, and ``value`` permuted the same way.

    Stable: tied keys keep their original order, identically on every backend. ``value`` has
    ``key``'s shape (any dtype). torch sorts once and gathers with the indices; NumPy, JAX,
    array-api-strict and CuPy use the standard ``argsort(descending=True, stable=True)`` and
    ``take_along_axis``; Dask (which has no ``take_along_axis``) rechunks ``axis`` into one
    chunk and permutes each block lazily with NumPy. Gradients flow to ``key`` and ``value``
    through the permutation (Lovasz losses sort errors and carry the ground truth along).
    """
    axis = axis % key.ndim
    b = backend_name(xp)
    if b == "torch":
        torch = sys.modules["torch"]
        s, idx = torch.sort(key, dim=axis, descending=True, stable=True)
        return s, torch.take_along_dim(value, idx, dim=axis)
    if b == "dask" or not hasattr(xp, "take_along_axis"):
        return _sort_with_blocks(key, value, axis)
    idx = xp.argsort(key, axis=axis, descending=True, stable=True)
    return xp.take_along_axis(key, idx, axis=axis), xp.take_along_axis(value, idx, axis=axis)


def _sort_with_blocks(key: Any, value: Any, axis: int) -> tuple[Any, Any]:
    """Dask: one lazy ``map_blocks`` over ``stack([key, value])`` with ``axis`` in one chunk."""
    da = sys.modules["dask.array"]
    import array_api_compat.numpy as cnp  # noqa: PLC0415

    vdtype = value.dtype
    both = da.stack([key, value.astype(key.dtype) if vdtype != key.dtype else value], axis=0)
    both = both.rechunk({0: -1, axis + 1: -1})

    def block(a: Any) -> Any:
        idx = cnp.argsort(a[0], axis=axis, descending=True, stable=True)
        return cnp.stack([cnp.take_along_axis(a[0], idx, axis=axis), cnp.take_along_axis(a[1], idx, axis=axis)])

    out = da.map_blocks(block, both, dtype=key.dtype, meta=both._meta)
    v = out[1]
    return out[0], (v.astype(vdtype) if vdtype != key.dtype else v)
