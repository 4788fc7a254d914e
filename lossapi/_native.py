"""Native fast paths: a backend's own fused kernel for exactly-matching options.

The generic Array API code is the reference; a fast path is used only when the caller's
options mean exactly the same thing to the native kernel (same formula, same reduction, same
gradient convention). The conformance suite runs every loss with fast paths on and off and
checks values and gradients agree.

Switch: set the environment variable ``LOSSAPI_NATIVE=0`` before import, or call
``lossapi.set_native(False)`` (process-wide) / use ``with lossapi.native(False): ...`` (this
thread only) at run time. The process-wide default is a plain module global and the per-thread
override of ``native()`` blocks an attribute of a ``threading.local``: ``torch.compile``
traces and guards on both (a ``contextvars.ContextVar`` would not trace: Dynamo cannot
call ``ContextVar.get``, so ``fullgraph=True`` would fail). The override is per thread, not per
asyncio task.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from ._dispatch import backend_name

__all__ = ["lookup", "native", "native_backends", "per_element", "register_native", "set_native", "try_fast"]

# Process-wide default (environment, set_native); a `native()` block overrides it in its own
# thread through _LOCAL.enabled. Registrations happen at import time; later reads need no lock.
_ENABLED: bool = os.environ.get("LOSSAPI_NATIVE", "1").strip().lower() not in ("0", "false", "off", "no")
_LOCAL = threading.local()
# loss -> {backend: fast path}: the dict a loss's wrapper holds (empty for most losses, so the
# wrapper's `if table:` costs one truth test when a loss has no fast path at all).
_TABLES: dict[str, dict[str, Callable[..., Any]]] = {}


class _Registry(MutableMapping[tuple[str, str], Callable[..., Any]]):
    """Every fast path, keyed ``(loss, backend)``: a view of the per-loss tables."""

    def __getitem__(self, key: tuple[str, str]) -> Callable[..., Any]:
        return _TABLES[key[0]][key[1]]

    def __setitem__(self, key: tuple[str, str], fn: Callable[..., Any]) -> None:
        table(key[0])[key[1]] = fn

    def __delitem__(self, key: tuple[str, str]) -> None:
        del _TABLES[key[0]][key[1]]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter([(loss, b) for loss, t in list(_TABLES.items()) for b in list(t)])

    def __len__(self) -> int:
        return sum(len(t) for t in _TABLES.values())


_FAST = _Registry()


def table(loss: str) -> dict[str, Callable[..., Any]]:
    """The (live) table of fast paths of ``loss``, by backend name."""
    return _TABLES.setdefault(loss, {})


def fast_path(tab: dict[str, Callable[..., Any]], xp: Any) -> Callable[..., Any] | None:
    """The fast path in ``tab`` for namespace ``xp``, or None (also when disabled)."""
    if not getattr(_LOCAL, "enabled", _ENABLED):
        return None
    return tab.get(backend_name(xp))


def register_native(loss: str, backend: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as the fast path of ``loss`` on ``backend``.

    ``fn`` receives the loss's positional inputs and keyword options (``sample_weight``,
    ``where`` and ``reduction`` included) and returns the result, or ``NotImplemented`` when
    the options do not match the native kernel exactly.
    """

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        table(loss)[backend] = fn
        return fn

    return deco


def lookup(loss: str, xp: Any) -> Callable[..., Any] | None:
    """The fast path of ``loss`` for namespace ``xp``, or None (also when disabled)."""
    if not getattr(_LOCAL, "enabled", _ENABLED):
        return None
    return _FAST.get((loss, backend_name(xp)))


def try_fast(loss: str, xp: Any, *arrays: Any, **kw: Any) -> Any:
    """Run the fast path of ``loss`` on ``xp`` if there is one (``NotImplemented`` otherwise,
    or when the fast path declines these options)."""
    fn = lookup(loss, xp)
    return NotImplemented if fn is None else fn(*arrays, **kw)


def per_element(loss: str, body: Callable[..., Any], *, class_axis: bool = False) -> Callable[..., Any]:
    """``body(first, *arrays, **options)``, the formula of the loss ``loss`` (its per-element,
    ``reduction="none"`` values), run through the fast path of ``loss`` first where one is
    registered and takes the inputs: for a loss used as a term of another (the pixel term of a
    compound segmentation loss). ``first`` is the namespace, or with ``class_axis`` the class
    context (its ``xp`` and ``axis`` go to the fast path)."""

    def term(first: Any, *arrays: Any, **options: Any) -> Any:
        if options.get("ignore_index") is not None or options.get("class_weight") is not None:
            # The formula then weighs its elements (ignored ones out of the mean), which a fast
            # path's "none" values do not carry.
            return body(first, *arrays, **options)
        xp, extra = (first.xp, {"axis": first.axis}) if class_axis else (first, {})
        r = try_fast(loss, xp, *arrays, **options, **extra, sample_weight=None, where=None, reduction="none")
        return body(first, *arrays, **options) if r is NotImplemented else r

    return term


def native_backends(loss: str) -> tuple[str, ...]:
    """Backends that have a fast path for ``loss``."""
    return tuple(sorted(b for (name, b) in list(_FAST) if name == loss))


def set_native(enabled: bool) -> bool:
    """Turn native fast paths on or off process-wide; returns the previous setting.

    The process-wide setting is what every thread sees outside a :func:`native` block. Called
    inside a :func:`native` block, it also changes that block's setting in the calling thread
    (until the block exits). Returns :func:`native_enabled` as it was in the calling thread.
    """
    global _ENABLED
    old = native_enabled()
    _ENABLED = bool(enabled)
    if hasattr(_LOCAL, "enabled"):
        _LOCAL.enabled = bool(enabled)
    return old


def native_enabled() -> bool:
    """Whether native fast paths are currently used (in the calling thread)."""
    return bool(getattr(_LOCAL, "enabled", _ENABLED))


_UNSET = object()


@contextmanager
def native(enabled: bool) -> Iterator[None]:
    """Context manager: ``with lossapi.native(False): ...`` forces the generic path.

    The setting holds in the calling thread only, for the duration of the block (other threads
    keep theirs, and a thread started inside the block starts from the process-wide setting of
    :func:`set_native`); blocks nest, and leaving one restores the previous setting.
    """
    old = getattr(_LOCAL, "enabled", _UNSET)
    _LOCAL.enabled = bool(enabled)
    try:
        yield
    finally:
        if old is _UNSET:
            del _LOCAL.enabled
        else:
            _LOCAL.enabled = old


# --------------------------------------------------------------------------------------------
# torch: torch.nn.functional kernels. Used only for float32/float64 inputs of identical shape
# and dtype, without sample_weight/where (torch's weighted means differ between functions),
# with Python-number hyper-parameters and a non-empty input (torch's mean of nothing is NaN).


def _torch_plain(*arrays: Any, sample_weight: Any, where: Any) -> bool:
    if sample_weight is not None or where is not None:
        return False
    torch = sys.modules["torch"]
    a0 = arrays[0]
    dt = a0.dtype
    if (dt is not torch.float32 and dt is not torch.float64) or a0.numel() == 0:
        return False
    shape = a0.shape
    if len(arrays) == 2:  # the usual pair: no generator (a third of this check's cost)
        a1 = arrays[1]
        try:
            return a1.dtype is dt and a1.shape == shape
        except AttributeError:  # a Python number for the target: the generic path broadcasts it
            return False
    return all(getattr(a, "dtype", None) is dt and a.shape == shape for a in arrays[1:])


def _fits(shape: Any, full: Any) -> bool:
    """``shape`` broadcasts to ``full`` without enlarging it."""
    return len(shape) <= len(full) and all(a in (1, b) for a, b in zip(reversed(shape), reversed(full)))


def _F() -> Any:
    return sys.modules["torch"].nn.functional


def _num(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


@register_native("mean_squared_error", "torch")
def _torch_mse(pred: Any, target: Any, *, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _torch_plain(pred, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    return _F().mse_loss(pred, target, reduction=reduction)


@register_native("mean_absolute_error", "torch")
def _torch_mae(pred: Any, target: Any, *, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _torch_plain(pred, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    return _F().l1_loss(pred, target, reduction=reduction)


@register_native("huber", "torch")
def _torch_huber(pred: Any, target: Any, *, delta: Any, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _num(delta) or not _torch_plain(pred, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    return _F().huber_loss(pred, target, reduction=reduction, delta=float(delta))


@register_native("smooth_l1", "torch")
def _torch_smooth_l1(pred: Any, target: Any, *, beta: Any, sample_weight: Any, where: Any, reduction: str) -> Any:
    if not _num(beta) or not _torch_plain(pred, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    return _F().smooth_l1_loss(pred, target, reduction=reduction, beta=float(beta))


@register_native("poisson_nll", "torch")
def _torch_poisson_nll(
    pred: Any, target: Any, *, log_input: bool, full: bool, eps: Any, sample_weight: Any, where: Any, reduction: str
) -> Any:
    if not _num(eps) or not _torch_plain(pred, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    if full and (target.requires_grad or _functorch_or_compiling(target)):
        # torch's Stirling term differentiates t log t at t <= 0 before masking it: a NaN target
        # gradient where the generic path's double `where` gives the masked term's 0.
        return NotImplemented
    return _F().poisson_nll_loss(pred, target, log_input=log_input, full=full, eps=float(eps), reduction=reduction)


# No fast path for gaussian_nll: torch's kernel checks ``var >= 0`` on the values (a host sync
# in eager mode, a failure under torch.compile(fullgraph=True) and torch.func), which the
# generic path does not need.


# -- classification ------------------------------------------------------------------------------
# torch's class dimension is 1 (0 for unbatched 1-D input). Channels-last inputs of rank > 2 are
# flattened to (N, C) -- a view, no copy -- and other axes are moved to 1.


def _torch_float(x: Any) -> bool:
    torch = sys.modules["torch"]
    dt = x.dtype  # dtypes are singletons: `is` is several times cheaper than `in (...)`
    return (dt is torch.float32 or dt is torch.float64) and x.numel() > 0


def _axis_ok(x: Any, axis: Any) -> bool:
    """Whether ``axis`` is an int (not a bool) in range for ``x``: the only layout the fast path handles."""
    return isinstance(axis, int) and not isinstance(axis, bool) and -x.ndim <= axis < x.ndim


def _class_layout(x: Any, target: Any, axis: int, int_labels: bool) -> tuple[Any, Any, Any]:
    """``(x, target, none_shape)`` in torch's layout; ``axis`` must pass :func:`_axis_ok`."""
    nd, ax = x.ndim, axis % x.ndim
    xs = x.shape
    none_shape = xs[:ax] + xs[ax + 1 :]
    if nd == 1 or ax == 1:
        return x, target, none_shape
    if ax == nd - 1:
        c = x.shape[-1]
        return x.reshape(-1, c), (target.reshape(-1) if int_labels else target.reshape(-1, c)), none_shape
    return x.movedim(ax, 1), (target if int_labels else target.movedim(ax, 1)), none_shape


def _labels_ok(x: Any, labels: Any, axis: int) -> Any:
    """``labels`` as int64 when they are integer class indices of the right shape, else None."""
    torch = sys.modules["torch"]
    dt = labels.dtype
    if dt is not torch.int64 and (dt.is_floating_point or dt.is_complex or dt is torch.bool):
        return None
    ax = axis % x.ndim
    # torch.Size slicing and comparison: no per-dimension Python loop (tiny inputs are overhead-bound).
    if labels.shape != x.shape[:ax] + x.shape[ax + 1 :]:
        return None
    return labels if dt is torch.int64 else labels.to(torch.int64)


def _weight_ok(x: Any, w: Any, axis: int) -> bool:
    return w is None or (
        hasattr(w, "dtype")
        and w.dtype == x.dtype
        and w.ndim == 1
        and w.device == x.device
        and w.shape[0] == x.shape[axis % x.ndim]
    )


def _lse_nll(x: Any, y: Any, *, weight: Any, ignore_index: int | None, reduction: str) -> Any:
    """Per-element ``w_y (logsumexp(x) - x_y)`` over dim 1 (dim 0 of 1-D ``x``), 0 where ``y`` is
    ``ignore_index``: the cross-entropy of the generic path in two fused torch ops. (torch's
    ``cross_entropy`` gives NaN where a non-target logit is +inf; ``logsumexp`` gives the
    limit, inf, as the generic path does.)"""
    cdim = 1 if x.ndim > 1 else 0
    ignored = None if ignore_index is None else y == ignore_index
    safe = y if ignored is None else y.masked_fill(ignored, 0)
    per = x.logsumexp(cdim) - x.gather(cdim, safe.unsqueeze(cdim)).squeeze(cdim)
    if weight is not None:
        per = per * weight[safe]
    return per if ignored is None else per.masked_fill(ignored, 0)


def _reduce_labels(per: Any, bad: Any, counted: Any, safe: Any, weight: Any, reduction: str) -> Any:
    """The reduction of a per-element class loss ``per`` (0 at ignored entries) as the generic
    path does it: entries of invalid labels (``bad``) are NaN and carry no weight, so
    ``"mean"``/``"sum"`` are NaN while the valid entries keep their gradients. ``counted``: the
    entries in the denominator of ``"mean"`` (None: every valid one); ``safe``: labels in range."""
    per = per.masked_fill(bad, math.nan)
    if reduction == "none":
        return per
    total = per.sum()
    if reduction == "sum":
        return total
    if weight is None and counted is None:
        return total / (per.numel() - bad.sum())
    den = (weight[safe] * counted).sum() if weight is not None else counted.sum().to(per.dtype)
    # Nothing counted: 0 (the total is 0), or NaN when an invalid label made the total NaN.
    return total / den.masked_fill(den == 0, 1)


def _in_range(labels: Any, num_classes: int) -> bool:
    """Whether every label lies in ``[0, num_classes)`` (a host synchronisation: CPU, eager only)."""
    if labels.numel() == 0:
        return True
    lo, hi = sys.modules["torch"].aminmax(labels)
    return lo.item() >= 0 and hi.item() < num_classes


def _cpu_eager(x: Any) -> bool:
    """Whether checks that read values on the host are cheap and allowed: a CPU tensor, eagerly."""
    return x.device.type == "cpu" and not _functorch_or_compiling(x)


def _finite(out: Any, reduction: str) -> bool:
    """Whether a fast path's result is finite (for ``"none"``: its sum, a single host read)."""
    return math.isfinite(out.detach().sum() if reduction == "none" else out.detach())


def _cpu_direct(kernel: Any, x: Any, y: Any, *, weight: Any, ignore_index: int | None, reduction: str) -> Any:
    """torch's own kernel (``cross_entropy`` for :func:`_lse_nll`) on the CPU, eagerly, when it
    gives the generic path's answer; None otherwise (the caller's exact path runs).

    That is when every label is in ``[0, C)`` or ``ignore_index``, the result is finite (a
    non-finite one -- a +inf logit, which torch's ``log_softmax`` turns into NaN, or nothing
    counted in a mean, 0 in the generic path -- is recomputed) and, for the cross-entropy with
    ignored rows and a gradient to compute, the logits are finite (torch's backward carries a NaN
    of an ignored row into its gradient, the generic path gives 0 there). The checks read a
    label range and a few sums on the host: cheap on the CPU, a synchronisation elsewhere (hence
    CPU only), and not traceable (hence eager only)."""
    torch = sys.modules["torch"]
    cdim = 1 if x.ndim > 1 else 0
    if ignore_index is None:
        ign, checked, ignored = -100, y, None
    else:
        ignored = y == ignore_index
        ign, checked = ignore_index, y.masked_fill(ignored, 0)
    if not _in_range(checked, x.shape[cdim]):
        return None
    if kernel is _lse_nll:
        if ignored is not None and x.requires_grad and torch.is_grad_enabled():
            # only the ignored rows (usually few): a NaN there reaches torch's gradient
            if not math.isfinite(x.detach().movedim(cdim, -1)[ignored].sum()):
                return None
        kernel = _F().cross_entropy
    out = kernel(x, y, weight=weight, ignore_index=ign, reduction=reduction)
    return out if _finite(out, reduction) else None


def _class_fast(
    kernel: Any,
    x: Any,
    target: Any,
    *,
    weight: Any,
    ignore_index: Any,
    axis: Any,
    reduction: str,
) -> Any:
    """A class-index loss through torch's ``kernel(x, y, weight=, ignore_index=, reduction="none")``
    with the generic path's semantics: ignored rows of ``x`` are zeroed (NaN/inf there reach no
    gradient), invalid labels (outside ``[0, C)``, not ignored) are clipped into range and their
    entries made NaN by :func:`_reduce_labels`."""
    if not _torch_float(x) or not _weight_ok(x, weight, axis if isinstance(axis, int) else 0):
        return NotImplemented
    if ignore_index is not None and (not isinstance(ignore_index, int) or isinstance(ignore_index, bool)):
        return NotImplemented
    if not _axis_ok(x, axis) or reduction not in ("mean", "sum", "none"):
        return NotImplemented
    labels = _labels_ok(x, target, axis)
    if labels is None:
        return NotImplemented  # floating targets and wrong shapes: the generic path
    xl, yl, none_shape = _class_layout(x, labels, axis, True)
    if _cpu_eager(xl):
        out = _cpu_direct(kernel, xl, yl, weight=weight, ignore_index=ignore_index, reduction=reduction)
        if out is not None:
            return out.reshape(none_shape) if reduction == "none" else out
    cdim = 1 if xl.ndim > 1 else 0
    safe = yl.clamp(0, xl.shape[cdim] - 1)
    bad = safe != yl
    ign, counted = (None if kernel is _lse_nll else -100), None
    if ignore_index is not None:
        ign = ignore_index
        ignored = yl == ign
        bad = bad & ~ignored
        counted = ~(bad | ignored)
        safe = safe.masked_fill(ignored, ign)
        # torch's backward turns NaN/inf logits of ignored samples into NaN gradients there.
        xl = xl.masked_fill(ignored.unsqueeze(cdim), 0)
    elif weight is not None:
        counted = ~bad
    per = kernel(xl, safe, weight=weight, ignore_index=ign, reduction="none")
    out = _reduce_labels(
        per, bad, counted, safe if counted is None else safe.masked_fill(~counted, 0), weight, reduction
    )
    return out.reshape(none_shape) if reduction == "none" else out


@register_native("cross_entropy", "torch")
def _torch_cross_entropy(
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
    # Class indices without smoothing only: with probability targets or smoothing torch's kernel
    # multiplies 0 by a -inf log-probability (NaN where the generic path gives the limit).
    if sample_weight is not None or where is not None or not _num(label_smoothing, temperature):
        return NotImplemented
    if label_smoothing != 0:
        return NotImplemented
    z = logits if temperature == 1 else logits / temperature
    return _class_fast(
        _lse_nll, z, target, weight=class_weight, ignore_index=ignore_index, axis=axis, reduction=reduction
    )


@register_native("nll", "torch")
def _torch_nll(
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
    if sample_weight is not None or where is not None:
        return NotImplemented
    return _class_fast(
        _F().nll_loss, log_probs, labels, weight=class_weight, ignore_index=ignore_index, axis=axis, reduction=reduction
    )


@register_native("multiclass_hinge", "torch")
def _torch_multiclass_hinge(
    scores: Any,
    labels: Any,
    *,
    margin: Any,
    variant: str,
    p: Any,
    class_weight: Any,
    sample_weight: Any,
    where: Any,
    reduction: str,
    axis: Any,
) -> Any:
    # F.multi_margin_loss is the Weston-Watkins variant: sum_{c != y} max(0, m - s_y + s_c)^p / C,
    # times w_y; its backward passes 0 at the kink (z > 0), as relu's subgradient in the generic path.
    # With a weight, torch's "mean" divides by N, lossapi's by sum(w_y): that case is a weighted sum.
    if variant != "weston_watkins" or sample_weight is not None or where is not None or not _num(margin):
        return NotImplemented
    if isinstance(p, bool) or p not in (1, 2) or margin < 0 or reduction not in ("mean", "sum", "none"):
        return NotImplemented
    if not _torch_float(scores) or not _axis_ok(scores, axis) or not _weight_ok(scores, class_weight, axis):
        return NotImplemented
    y = _labels_ok(scores, labels, axis)
    if y is None:
        return NotImplemented
    none_shape = y.shape
    if scores.ndim > 2 or (scores.ndim == 2 and axis % 2 == 0):  # torch wants (N, C): classes last, flattened
        scores = scores.movedim(axis, -1).reshape(-1, scores.shape[axis])
        y = y.reshape(-1)
    p, margin = int(p), float(margin)
    # On the CPU, eagerly, with labels in range: torch's reduction itself (its weighted "mean"
    # divides by N, so not with class weights), where its result is finite.
    if (class_weight is None or reduction != "mean") and _cpu_eager(scores) and _in_range(y, scores.shape[-1]):
        out = _F().multi_margin_loss(scores, y, p=p, margin=margin, weight=class_weight, reduction=reduction)
        if _finite(out, reduction):
            return out.reshape(none_shape) if reduction == "none" else out
    safe = y.clamp(0, scores.shape[-1] - 1)
    bad = safe != y
    per = _F().multi_margin_loss(scores, safe, p=p, margin=margin, weight=class_weight, reduction="none")
    out = _reduce_labels(per, bad, None if class_weight is None else ~bad, safe, class_weight, reduction)
    return out.reshape(none_shape) if reduction == "none" else out


def _smoothed(target: Any, s: Any) -> Any:
    return target if s == 0 else target * (1 - s) + s / 2


@register_native("binary_cross_entropy", "torch")
def _torch_bce(
    probs: Any, target: Any, *, alpha: Any, label_smoothing: Any, sample_weight: Any, where: Any, reduction: str
) -> Any:
    # torch's target gradient at p in {0, 1} is +-inf (the generic path gives the clamped
    # value's derivative): the fast path is only taken when no target gradient is needed.
    if alpha is not None or not _num(label_smoothing) or getattr(target, "requires_grad", True):
        return NotImplemented
    if not _torch_plain(probs, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    try:
        return _F().binary_cross_entropy(probs, _smoothed(target, label_smoothing), reduction=reduction)
    except RuntimeError:  # torch rejects NaN / out-of-[0, 1] values on the CPU; the generic path propagates NaN
        return NotImplemented


@register_native("binary_cross_entropy_with_logits", "torch")
def _torch_bce_logits(
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
    # torch's target gradient is -logit (times the weights), -+inf at a logit of +-inf, where the
    # generic path gives NaN (its `where` differentiates the other branch, 0 * inf): the fast path
    # is only taken when no target gradient is needed (no value is read to decide).
    if alpha is not None or not _num(label_smoothing) or getattr(target, "requires_grad", True):
        return NotImplemented
    if not _torch_plain(logits, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    if pos_weight is not None:
        if _num(pos_weight):
            pos_weight = logits.new_full((), float(pos_weight))
        elif not (
            hasattr(pos_weight, "dtype")
            and pos_weight.dtype == logits.dtype
            and pos_weight.device == logits.device
            and pos_weight.ndim <= logits.ndim
            and _fits(pos_weight.shape, logits.shape)
        ):
            return NotImplemented  # the generic path raises lossapi's error for a pos_weight that does not fit
    return _F().binary_cross_entropy_with_logits(
        logits, _smoothed(target, label_smoothing), reduction=reduction, pos_weight=pos_weight
    )


# -- divergences -----------------------------------------------------------------------------------


@register_native("kl_divergence", "torch")
def _torch_kl_divergence(
    log_probs: Any, target: Any, *, log_target: bool, sample_weight: Any, where: Any, reduction: str, axis: Any
) -> Any:
    # F.kl_div's terms are xlogy(t, t) - t log q, summed here over the class axis ("none") or
    # over everything ("sum"; "mean" = torch's "batchmean" for any rank: sum / number of rows).
    # A zero target with log q = -inf gives 0 * -inf = NaN in torch, 0 in lossapi: log q is zeroed
    # there first. The target's gradient at t = 0 is NaN in torch (0 in lossapi) and torch's
    # log_target form has the same NaN at t = -inf: both are declined.
    if log_target is not False or getattr(target, "requires_grad", True) or reduction not in ("mean", "sum", "none"):
        return NotImplemented
    if not _torch_plain(log_probs, target, sample_weight=sample_weight, where=where):
        return NotImplemented
    if not _axis_ok(log_probs, axis):
        return NotImplemented
    lq = log_probs.masked_fill(target == 0, 0.0)
    if reduction == "none":
        return _F().kl_div(lq, target, reduction="none").sum(dim=axis)
    total = _F().kl_div(lq, target, reduction="sum")
    if reduction == "sum":
        return total
    return total / (log_probs.numel() // log_probs.shape[axis])


# -- embeddings ------------------------------------------------------------------------------------


@register_native("triplet_margin", "torch")
def _torch_triplet_margin(
    anchor: Any,
    positive: Any,
    negative: Any,
    *,
    margin: Any,
    p: Any,
    eps: Any,
    swap: bool,
    eps_placement: str,
    sample_weight: Any,
    where: Any,
    reduction: str,
    axis: Any,
) -> Any:
    # The distances come from torch's fused pairwise_distance (||x - y + eps||_p, as the generic
    # path); the swap and the hinge are written as in the generic path so that ties and the
    # kink keep lossapi's gradient convention (F.triplet_margin_loss's clamp_min passes 1 at 0).
    # p < 1: torch's norm backward is NaN at a zero component (the generic path gives 0).
    if eps_placement != "difference" or not _num(margin, p, eps) or p < 1 or not isinstance(swap, bool):
        return NotImplemented
    if not _torch_plain(anchor, positive, negative, sample_weight=sample_weight, where=where):
        return NotImplemented
    if not isinstance(axis, int) or isinstance(axis, bool) or not -anchor.ndim <= axis < anchor.ndim:
        return NotImplemented
    torch = sys.modules["torch"]
    if axis % anchor.ndim != anchor.ndim - 1:
        anchor, positive, negative = (t.movedim(axis, -1) for t in (anchor, positive, negative))
    pd = _F().pairwise_distance
    d_pos = pd(anchor, positive, p=float(p), eps=float(eps))
    d_neg = pd(anchor, negative, p=float(p), eps=float(eps))
    if swap:
        d_swap = pd(positive, negative, p=float(p), eps=float(eps))
        d_neg = torch.where(d_swap < d_neg, d_swap, d_neg)
    loss = torch.relu(margin + d_pos - d_neg)
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


# -- sequence ------------------------------------------------------------------------------------


def _functorch_or_compiling(x: Any) -> bool:
    torch = sys.modules["torch"]
    if torch.compiler.is_compiling():
        return True
    try:
        return bool(torch._C._functorch.is_functorch_wrapped_tensor(x))
    except AttributeError:  # pragma: no cover - older torch
        return True


@functools.cache
def _ctc_kernel_checked() -> bool:
    """Whether torch's ``ctc_loss`` is a release checked against the generic path: torch 2.3's
    gives another value for one of the conformance suite's sequences (torch 2.13 agrees), so
    releases before 2.13 take the generic path."""
    version = sys.modules["torch"].__version__.split("+")[0].split(".")
    try:
        return (int(version[0]), int(version[1])) >= (2, 13)
    except (IndexError, ValueError):
        return True


@register_native("ctc", "torch")
def _torch_ctc(
    log_probs: Any,
    labels: Any,
    input_lengths: Any,
    label_lengths: Any,
    *,
    blank: int,
    zero_infinity: bool,
    time_major: bool,
    sample_weight: Any,
    where: Any,
    reduction: str,
) -> Any:
    """torch's fused CTC with the generic path's semantics.

    - torch's backward w.r.t. ``log_probs`` is ``exp(lp) - alpha beta / p`` (the gradient w.r.t.
      logits through ``log_softmax``); a zero-valued term ``-sum_valid (exp(lp) - exp(lp).detach())``
      per sequence turns it into the partial derivative the generic path (and JAX) give;
    - impossible alignments (input shorter than labels + repeats) are found from the lengths
      and labels, torch computes them with ``zero_infinity=True`` (zero gradient), and the value
      is then +inf unless ``zero_infinity``;
    - invalid labels inside a label length (outside ``[0, C)`` or blank; concatenated labels that
      end before the sequence does) reach torch as blank and make that sequence NaN with a
      ``where`` (gradient 0 from it, as the generic path); no value is read on the host for it;
    - one ``(T, C)`` sequence (0-d or ``(1,)`` lengths) and torch's concatenated 1-D labels are
      accepted as by the generic path (the concatenation is split into padded labels: the longest
      length is read on the host, as ``ctc_loss`` reads every length);
    - declined under ``torch.compile`` and ``torch.func`` transforms (no rules for ``ctc_loss``);
      ``ctc_loss`` has no double backward: use ``lossapi.native(False)`` for Hessians.
    """
    torch = sys.modules["torch"]
    if sample_weight is not None or where is not None or not isinstance(blank, int) or isinstance(blank, bool):
        return NotImplemented
    if not _ctc_kernel_checked():
        return NotImplemented
    if not isinstance(zero_infinity, bool) or not isinstance(time_major, bool):
        return NotImplemented
    lp = log_probs
    if not (hasattr(lp, "dtype") and _torch_float(lp) and lp.ndim >= 2):
        return NotImplemented
    ints = (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64)
    for a in (labels, input_lengths, label_lengths):
        if not hasattr(a, "dtype") or a.dtype not in ints or a.device != lp.device:
            return NotImplemented
    if lp.ndim == 2:  # one sequence: lengths () or (1,), labels (S,) or (1, S)
        if input_lengths.numel() != 1 or label_lengths.numel() != 1 or input_lengths.ndim > 1:
            return NotImplemented
        if label_lengths.ndim > 1 or not (labels.ndim == 1 or (labels.ndim == 2 and labels.shape[0] == 1)):
            return NotImplemented
        batch: tuple[int, ...] = ()
        lp, labels = lp.unsqueeze(1), labels.reshape(1, -1)
        time_major = True
    else:
        batch = tuple(lp.shape[1:-1]) if time_major else tuple(lp.shape[:-2])
        if tuple(input_lengths.shape) != batch or tuple(label_lengths.shape) != batch:
            return NotImplemented
        if labels.ndim != 1 and tuple(labels.shape) != batch + labels.shape[-1:]:
            return NotImplemented
    if _functorch_or_compiling(lp):
        return NotImplemented
    C = lp.shape[-1]
    if not 0 <= blank < C:
        return NotImplemented
    # (T, B, C) with the batch dimensions flattened (a view where the layout allows).
    x = lp.reshape(lp.shape[0], -1, C) if time_major else lp.reshape(-1, lp.shape[-2], C).transpose(0, 1)
    T, B = x.shape[0], x.shape[1]
    ll = label_lengths.reshape(B).to(torch.int64)
    overflow = None
    if labels.ndim == 1:  # torch's concatenated labels, split into padded (B, S) ones
        n = labels.shape[0]
        ll = ll.clamp(min=0)
        ends = ll.cumsum(0)
        overflow = (ends > n) & (ll > 0)
        width = min(int(ll.max()), n) if n > 0 and B > 0 else 0
        pos = torch.arange(width, device=lp.device)
        idx = (ends - ll)[:, None] + pos
        inside = (pos < ll[:, None]) & (idx < n)
        labels = labels.to(torch.int64)[torch.where(inside, idx, 0)] if width else labels.new_zeros((B, 0))
    S = labels.shape[-1]
    labels = labels.reshape(B, S).to(torch.int64)
    il = input_lengths.reshape(B).to(torch.int64).clamp(0, T)
    ll = ll.clamp(0, S)
    # As the generic path: a log-probability that is NaN or overflows exp (+inf included) makes
    # its sequence NaN when it is in a used frame, and is replaced by 0 everywhere (torch's kernel
    # skips NaN in its log-sum-exp and differentiates exp(log_probs), inf there). On the device.
    hostile = ~(x <= math.log(torch.finfo(x.dtype).max))
    nonfinite = (hostile.any(2) & (torch.arange(T, device=lp.device)[:, None] < il[None, :])).any(0)
    x = x.masked_fill(hostile, 0.0)
    s_idx = torch.arange(S, device=lp.device)
    inside = s_idx < ll[:, None]
    wrong = inside & ((labels < 0) | (labels >= C) | (labels == blank))
    invalid = wrong.any(1) | nonfinite
    if overflow is not None:
        invalid = invalid | overflow
    lab = torch.where(inside & ~wrong, labels, blank)
    # Each repeated label (a, a) needs a blank frame between its two emissions.
    repeats = ((lab[:, 1:] == lab[:, :-1]) & (s_idx[1:] < ll[:, None])).sum(1) if S > 1 else torch.zeros_like(ll)
    possible = il >= ll + repeats
    grad = torch.is_grad_enabled() and lp.requires_grad
    # torch's zero_infinity also zeroes losses made infinite by -inf log-probabilities (every
    # alignment has probability 0), not only impossible alignments: without a gradient the exact
    # value is computed directly; with one, a gradient-free second pass restores those +inf.
    raw = _F().ctc_loss(x, lab, il, ll, blank=blank, reduction="none", zero_infinity=zero_infinity or grad)
    loss = raw
    if grad:
        e = x.exp()
        valid = (torch.arange(T, device=lp.device)[:, None] < il[None, :]) & possible[None, :]  # (T, B)
        loss = raw - ((e - e.detach()) * valid[..., None]).sum(dim=(0, 2))
    if not zero_infinity:
        loss = torch.where(possible, loss, torch.full_like(loss, float("inf")))
        if grad:
            with torch.no_grad():
                exact = _F().ctc_loss(x, lab, il, ll, blank=blank, reduction="none", zero_infinity=False)
            loss = torch.where(torch.isinf(exact), exact, loss)
    loss = torch.where(loss < 0, torch.zeros_like(loss), loss)
    loss = torch.where(invalid, torch.full_like(loss, float("nan")), loss)
    if reduction == "none":
        return loss.reshape(batch)
    if reduction == "sum":
        return loss.sum()
    return (loss / ll.clamp(min=1).to(loss.dtype)).mean()


# The fused autograd.Functions of the focal losses; imported last, given this module for the
# checks above (an import of _native there would be a cycle).
from . import _fused_torch  # noqa: E402

_fused_torch.install(sys.modules[__name__])

# NumPy's fast paths (blocked evaluation), registered the same way.
from . import _native_numpy  # noqa: E402

_native_numpy.install(sys.modules[__name__])
