"""Native fast paths: a backend's own fused kernel for exactly-matching options.

The generic Array API code is the reference; a fast path is used only when the caller's
options mean exactly the same thing to the native kernel (same formula, same reduction, same
gradient convention). The conformance suite runs every loss with fast paths on and off and
checks values and gradients agree.

Switch: set the environment variable ``LOSSAPI_NATIVE=0`` before import, or call
``lossapi.set_native(False)`` / use ``with lossapi.native(False): ...`` at run time. The
switch is a plain module global (so ``torch.compile`` can guard on it); it is process-wide,
not per thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ._dispatch import backend_name

__all__ = ["lookup", "native", "native_backends", "register_native", "set_native"]

_ENABLED: bool = os.environ.get("LOSSAPI_NATIVE", "1").strip().lower() not in ("0", "false", "off", "no")
_FAST: dict[tuple[str, str], Callable[..., Any]] = {}


def register_native(loss: str, backend: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as the fast path of ``loss`` on ``backend``.

    ``fn`` receives the loss's positional inputs and keyword options (``sample_weight``,
    ``where`` and ``reduction`` included) and returns the result, or ``NotImplemented`` when
    the options do not match the native kernel exactly.
    """

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        _FAST[(loss, backend)] = fn
        return fn

    return deco


def lookup(loss: str, xp: Any) -> Callable[..., Any] | None:
    """The fast path of ``loss`` for namespace ``xp``, or None (also when disabled)."""
    if not _ENABLED:
        return None
    return _FAST.get((loss, backend_name(xp)))


def native_backends(loss: str) -> tuple[str, ...]:
    """Backends that have a fast path for ``loss``."""
    return tuple(sorted(b for (name, b) in _FAST if name == loss))


def set_native(enabled: bool) -> bool:
    """Turn native fast paths on or off process-wide; returns the previous setting."""
    global _ENABLED
    old, _ENABLED = _ENABLED, bool(enabled)
    return old


def native_enabled() -> bool:
    """Whether native fast paths are currently used."""
    return _ENABLED


@contextmanager
def native(enabled: bool) -> Iterator[None]:
    """Context manager: ``with lossapi.native(False): ...`` forces the generic path."""
    old = set_native(enabled)
    try:
        yield
    finally:
        set_native(old)


# --------------------------------------------------------------------------------------------
# torch: torch.nn.functional kernels. Used only for float32/float64 inputs of identical shape
# and dtype, without sample_weight/where (torch's weighted means differ between functions),
# with Python-number hyper-parameters and a non-empty input (torch's mean of nothing is NaN).


def _torch_plain(*arrays: Any, sample_weight: Any, where: Any) -> bool:
    if sample_weight is not None or where is not None:
        return False
    torch = sys.modules["torch"]
    a0 = arrays[0]
    if a0.dtype not in (torch.float32, torch.float64) or a0.numel() == 0:
        return False
    return all(a.shape == a0.shape and a.dtype == a0.dtype for a in arrays[1:])


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
    return _F().poisson_nll_loss(pred, target, log_input=log_input, full=full, eps=float(eps), reduction=reduction)


# No fast path for gaussian_nll: torch's kernel checks ``var >= 0`` on the values (a host sync
# in eager mode, a failure under torch.compile(fullgraph=True) and torch.func), which the
# generic path does not need.
