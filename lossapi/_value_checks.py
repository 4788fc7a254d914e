"""Checks that need the values of the inputs (labels in range, probabilities in [0, 1], ...).

They are off by default: a value check needs concrete numbers, i.e. a device-to-host
synchronisation, which costs time on accelerators and does not exist for lazy (Dask) or
traced (``jax.jit``, ``torch.compile``, ``torch.func``) arrays. :func:`check_values` turns them
on for a block of code; ``LOSSAPI_CHECK_VALUES=1`` in the environment turns them on by default.

Every loss wrapper calls :func:`check_args` when :data:`active` is non-zero (the only cost
when checks are off: one module attribute read), with the call's arguments (inputs and options
such as ``axis``, ``ignore_index``, ``blank``); each positional input is checked against the
rule of its catalog ``input_spaces`` entry, or the rule its record names in ``value_rules``.
Hyper-parameters given as arrays are checked against the range their option's constraint
declares (:func:`check_range`) and for finiteness.

A rule that fails on malformed input (wrong shapes, dtypes) is skipped: the static checks that
follow report the problem. ``LOSSAPI_VALUES_DEBUG=1`` re-raises such failures (for tests).
"""

from __future__ import annotations

import contextlib
import contextvars
import operator
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ._array import device_of, dtype_kind
from ._catalog import _REGISTRY
from ._dispatch import backend_name
from ._errors import InvalidOptionError, InvalidValueError
from ._ops import cumulative_sum

__all__ = ["check_values"]

_ENV_DEFAULT = os.environ.get("LOSSAPI_CHECK_VALUES", "").strip().lower() not in ("", "0", "false", "no", "off")

_STATE: contextvars.ContextVar[bool] = contextvars.ContextVar("lossapi_check_values", default=_ENV_DEFAULT)

#: Non-zero while value checks may be on in some thread or task (environment default, or
#: ``check_values()`` blocks entered with ``enabled=True``). The hot path reads only this.
active = 1 if _ENV_DEFAULT else 0
_lock = threading.Lock()


@contextlib.contextmanager
def check_values(enabled: bool = True) -> Iterator[None]:
    """Turn on (or, with ``enabled=False``, off) the checks that need array values.

    A context manager (also usable as a decorator). The setting is a
    ``contextvars.ContextVar``: it holds for the current thread or asyncio task only (a
    thread started inside the block does not see it unless it enters its own block), and
    leaving the block restores the previous setting, so blocks nest. The environment variable
    ``LOSSAPI_CHECK_VALUES=1``, read when lossapi is imported, makes "on" the default.

    Parameters
    ----------
    enabled : bool, default True
        Whether the checks run inside the block.

    Raises
    ------
    InvalidValueError
        Inside the block, from a loss whose input holds values outside its domain. The message
        names the loss, the argument, how many entries are wrong, the first of them (index and
        value) and the expected domain.

    Notes
    -----
    What is checked, for each positional input, from its catalog ``input_spaces`` entry
    (entries excluded by ``where``, and labels equal to ``ignore_index``, are not checked):

    - probabilities in [0, 1] (a rounding tolerance of 16 machine epsilons); not the first input
      of an overlap loss with an ``activation`` (it then holds logits);
    - integer class labels in ``[0, C)``, ``C`` the size of the prediction's class axis
      (``multilabel_margin``: up to the first negative padding entry; ``ctc``: the first
      ``label_lengths`` labels, which must also differ from ``blank``; ``lovasz_hinge`` and
      binary masks (``axis=None``): 0 or 1; ``ntxent``'s group labels are free);
      floating targets of ``label_or_probability`` inputs are probabilities;
    - log-probabilities <= 0 (not for ``generalized_kl_divergence``, whose measure may be
      unnormalized, nor for policy log-densities in ``policy_gradient`` and ``ppo_clip``);
    - non-negative or positive values (``variance``, counts, ``tweedie_deviance`` by
      ``power``, the rate of ``poisson_nll`` with ``log_input=False``, ``listnet``
      relevance);
    - signs in {-1, 0, 1} for the binary margin losses (``hinge``, ``squared_hinge``,
      ``soft_margin``, ``perceptron``; 0 reads as -1); ``cosine_embedding``,
      ``margin_ranking`` and ``hinge_embedding`` define every target value (torch's
      semantics) and are not checked;
    - boxes with ``x2 >= x1`` and ``y2 >= y1``; ``yolo`` class targets of object cells in
      [0, 1];
    - hyper-parameters given as arrays: finite, and in the range a Python number must have.

    NaN and infinities are not domain violations: NaN propagates by contract.

    What is skipped, silently: a check needs concrete values and a device-to-host
    synchronisation, which lazy and traced arrays do not have. So nothing is checked for Dask
    arrays (checking would compute them), JAX tracers (inside ``jax.jit``, ``grad``, ``vmap``),
    torch code being compiled by ``torch.compile`` or run under ``torch.func`` transforms, and
    torch meta tensors. Validate the inputs before the jitted function (call the loss once
    eagerly inside the block), or compute the Dask array first. CuPy arrays and CUDA tensors
    are checked, at the price of a synchronisation per checked input.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> logits, labels = np.zeros((2, 3)), np.array([0, 3])
    >>> with la.check_values():  # doctest: +ELLIPSIS
    ...     la.cross_entropy(logits, labels)
    Traceback (most recent call last):
      ...
    lossapi._errors.InvalidValueError: lossapi.cross_entropy: ...label outside [0, 3) (first: target[1] = 3); ...
    >>> probs, target = np.array([0.5]), np.array([2.0])  # a target outside [0, 1]
    >>> with la.check_values():
    ...     with la.check_values(enabled=False):  # nested blocks: the inner one wins
    ...         round(float(la.binary_cross_entropy(probs, target)), 4)
    0.6931
    """
    global active
    if not isinstance(enabled, bool):
        raise InvalidOptionError(f"lossapi.check_values: enabled must be a bool, got {enabled!r}.")
    with _lock:
        active += enabled
    token = _STATE.set(enabled)
    try:
        yield
    finally:
        _STATE.reset(token)
        with _lock:
            active -= enabled


# -- skipping lazy and traced arrays ------------------------------------------------------------


def _compiling() -> bool:
    """True while torch.compile traces (checks must not reach its graph)."""
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.compiler.is_compiling())


def _concrete(x: Any) -> bool:
    """Whether ``x`` has values that can be read now (not lazy, not traced)."""
    mod = type(x).__module__
    if mod.startswith("dask"):
        return False
    if mod.startswith(("jax", "jaxlib")):
        jax = sys.modules.get("jax")
        return jax is None or not isinstance(x, jax.core.Tracer)
    if mod.startswith("torch"):
        torch = sys.modules["torch"]
        if getattr(x, "is_meta", False) or torch.compiler.is_compiling():
            return False
        try:
            if torch._C._functorch.is_functorch_wrapped_tensor(x):
                return False
        except AttributeError:  # pragma: no cover - older torch
            pass
        fake = getattr(getattr(torch, "_subclasses", None), "FakeTensor", None)
        return fake is None or not isinstance(x, fake)
    return True


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (int, float, bool))


# -- reporting ----------------------------------------------------------------------------------


def _kind(x: Any) -> str:
    return dtype_kind(x.dtype)


def _count(xp: Any, bad: Any) -> int:
    return int(xp.sum(xp.astype(bad, xp.int64 if hasattr(xp, "int64") else xp.int32)))


def _scalar(v: Any) -> Any:
    for cast in (int, float) if _kind(v) in ("int", "bool") else (float,):
        try:
            out = cast(v)
            return bool(out) if _kind(v) == "bool" else out
        except Exception:  # noqa: BLE001, S112
            continue
    return v


def _first(xp: Any, bad: Any) -> tuple[int, ...]:
    flat = xp.reshape(bad, (-1,))
    i = int(xp.argmax(xp.astype(flat, xp.int8)))
    idx = []
    for d in reversed(tuple(bad.shape)):
        idx.append(i % d)
        i //= d
    return tuple(reversed(idx))


def _raise(
    fn: str,
    xp: Any,
    name: str,
    x: Any,
    bad: Any,
    noun: str,
    domain: str,
    hint: str = "",
    value: Callable[[tuple[int, ...]], str] | None = None,
    prep: str = "outside",
) -> None:
    """Raise InvalidValueError if ``bad`` (a boolean array aligned with ``x``) has a True."""
    if bad.ndim == 0:
        n = int(bool(bad))
        idx: tuple[int, ...] = ()
    else:
        n = _count(xp, bad)
        idx = _first(xp, bad) if n else ()
    if not n:
        return
    at = f"{name}[{', '.join(map(str, idx))}]" if idx else name
    shown = value(idx) if value is not None else repr(_scalar(x[idx] if idx else x))
    plural = (
        noun if n == 1 else noun[:-1] + "ies" if noun.endswith("y") else noun + ("es" if noun.endswith("x") else "s")
    )
    msg = f"lossapi.{fn}: `{name}` has {n} {plural} {prep} {domain} (first: {at} = {shown})"
    raise InvalidValueError(msg + (f"; {hint}" if hint else "") + ".")


# -- per-call context ---------------------------------------------------------------------------


#: Kinds whose ``where`` masks whole samples (the leading axes of every input).
_PER_SAMPLE_KINDS = frozenset({"segmentation", "overlap", "sequences"})


class _Ctx:
    def __init__(self, fn: str, xp: Any, rec: Any, loc: dict[str, Any]) -> None:
        self.fn, self.xp, self.rec, self.loc = fn, xp, rec, loc
        self.pred: Any = loc.get(rec.inputs[0])
        self.axis = loc.get("axis", -1) if rec.has_axis else None

    def num_classes(self) -> int:
        return int(self.pred.shape[self.axis if self.axis is not None else -1])

    def where_for(self, x: Any, *, boxes: bool = False) -> Any:
        """``where`` aligned to ``x`` (broadcast to its shape), ``None`` if absent.

        Raises ``_Skip`` when it cannot be aligned (the static checks report that).
        """
        w = self.loc.get("where")
        if w is None or not _is_array(w):
            return None
        xp, shape = self.xp, tuple(x.shape)
        target = shape[:-1] if boxes else shape
        if self.rec.kind in _PER_SAMPLE_KINDS:
            # Whole samples (leading axes): left-aligned.
            w = xp.reshape(w, tuple(w.shape) + (1,) * (len(target) - w.ndim))
        elif (
            self.axis is not None
            and _is_array(self.pred)
            and x.ndim == self.pred.ndim
            and w.ndim < x.ndim
            and x.ndim > 0
        ):
            # A class-shaped input and a mask of the per-element shape: insert the class axis.
            w = xp.reshape(w, (1,) * (x.ndim - 1 - w.ndim) + tuple(w.shape))
            w = xp.expand_dims(w, axis=self.axis % x.ndim)
        try:
            return xp.broadcast_to(w, target)
        except Exception as e:  # noqa: BLE001
            raise _Skip from e

    def masked(self, x: Any, bad: Any, **kw: Any) -> Any:
        w = self.where_for(x, **kw)
        return bad if w is None else bad & w


class _Skip(Exception):  # noqa: N818 - control flow only
    pass


def _tol(xp: Any, x: Any) -> float:
    if _kind(x) != "float":
        return 0.0
    return 16.0 * float(xp.finfo(x.dtype).eps)


# -- rules --------------------------------------------------------------------------------------


def _interval(
    lo: float | None, hi: float | None, lo_open: bool, hi_open: bool, noun: str = "value"
) -> Callable[..., None]:
    def rule(ctx: _Ctx, name: str, x: Any) -> None:
        if _kind(x) == "bool":
            return
        tol = _tol(ctx.xp, x)
        bad = None
        if lo is not None:
            low = _bound(x, lo - (0.0 if lo_open else tol))
            bad = (x <= low) if lo_open else (x < low)
        if hi is not None:
            high = _bound(x, hi + (0.0 if hi_open else tol))
            b = (x >= high) if hi_open else (x > high)
            bad = b if bad is None else (bad | b)
        dom = _dom(lo, hi, lo_open, hi_open)
        _raise(ctx.fn, ctx.xp, name, x, ctx.masked(x, bad), noun, dom)

    return rule


def _bound(x: Any, v: float) -> float | int:
    """``v`` as a Python int for integer arrays (strict refuses int array vs float scalar)."""
    if _kind(x) == "int" and float(v).is_integer():
        return int(v)
    return v


def _ne(xp: Any, x: Any, v: int) -> Any:
    """``x != v`` for an integer constant that may not fit ``x``'s dtype (e.g. -1 and uint8)."""
    if _kind(x) == "int":
        info = xp.iinfo(x.dtype)
        if not info.min <= v <= info.max:
            return xp.ones(x.shape, dtype=xp.bool, device=_device(x))
    return x != v


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _dom(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    return f"{left}{'-inf' if lo is None else _num(lo)}, {'inf' if hi is None else _num(hi)}{right}"


_probability = _interval(0.0, 1.0, False, False, "probability")
_nonnegative = _interval(0.0, None, False, False)
_positive = _interval(0.0, None, True, False)
_log_probability = _interval(None, 0.0, False, False, "log-probability")


def _ignore_index(ctx: _Ctx) -> int | None:
    ign = ctx.loc.get("ignore_index")
    if ign is None or isinstance(ign, bool):
        return None
    try:
        return operator.index(ign)
    except TypeError:
        return None


def _labels(ctx: _Ctx, name: str, x: Any) -> None:
    """Integer class indices in [0, C), except ``ignore_index``."""
    if _kind(x) != "int":
        return
    c = ctx.num_classes()
    bad = (x < 0) | (x >= c)
    ign = _ignore_index(ctx)
    if ign is not None:
        bad = bad & _ne(ctx.xp, x, ign)
    first = ctx.rec.inputs[0]
    ax = "" if ctx.axis is None else f"[{ctx.axis}]"
    hint = f"class indices must lie in [0, C) with C = {first}.shape{ax} = {c}"
    if ign is not None:
        hint += f" (or equal ignore_index={ign})"
    _raise(ctx.fn, ctx.xp, name, x, ctx.masked(x, bad), "label", f"[0, {c})", hint)


def _center_labels(ctx: _Ctx, name: str, x: Any) -> None:
    """Integer class indices in [0, C) with C the number of rows of ``class_centers``."""
    if _kind(x) != "int":
        return
    c = int(ctx.loc["class_centers"].shape[0])
    bad = (x < 0) | (x >= c)
    hint = f"class indices must lie in [0, C) with C = class_centers.shape[0] = {c}"
    _raise(ctx.fn, ctx.xp, name, x, ctx.masked(x, bad), "label", f"[0, {c})", hint)


def _binary_labels(ctx: _Ctx, name: str, x: Any) -> None:
    """0/1 labels (any dtype but bool), except ``ignore_index``."""
    if _kind(x) == "bool":
        return
    bad = (x != 0) & (x != 1)
    ign = _ignore_index(ctx)
    if ign is not None:
        bad = bad & _ne(ctx.xp, x, ign)
    _raise(ctx.fn, ctx.xp, name, x, ctx.masked(x, bad), "label", "{0, 1}", "binary labels are 0 or 1")


def _label_or_probability(ctx: _Ctx, name: str, x: Any) -> None:
    k = _kind(x)
    if k == "int" and ctx.axis is not None:
        _labels(ctx, name, x)
    elif k == "int":  # axis=None: binary outcomes / masks
        _binary_labels(ctx, name, x)
    elif k == "float":
        _probability(ctx, name, x)


def _signs(allow_zero: bool) -> Callable[..., None]:
    def rule(ctx: _Ctx, name: str, x: Any) -> None:
        if _kind(x) == "bool":
            return
        bad = (x != 1) & _ne(ctx.xp, x, -1)
        if allow_zero:
            bad = bad & (x != 0)
        dom = "{-1, 0, 1}" if allow_zero else "{-1, 1}"
        hint = "0 reads as -1" if allow_zero else ""
        _raise(ctx.fn, ctx.xp, name, x, ctx.masked(x, bad), "sign", dom, hint)

    return rule


def _boxes(ctx: _Ctx, name: str, x: Any) -> None:
    if _kind(x) not in ("float", "int") or x.ndim == 0 or x.shape[-1] != 4:
        return
    bad = (x[..., 2] < x[..., 0]) | (x[..., 3] < x[..., 1])

    def show(idx: tuple[int, ...]) -> str:
        return "[" + ", ".join(repr(_scalar(x[tuple([*idx, j])])) for j in range(4)) + "]"

    _raise(
        ctx.fn,
        ctx.xp,
        name,
        x,
        ctx.masked(x, bad, boxes=True),
        "box",
        "x1 <= x2 and y1 <= y2",
        "boxes are (x1, y1, x2, y2)",
        value=show,
        prep="breaking",
    )


def _multilabel(ctx: _Ctx, name: str, x: Any) -> None:
    """Labels before the first negative (padding) entry along the class axis in [0, C)."""
    if _kind(x) != "int" or x.ndim == 0:
        return
    xp, ax = ctx.xp, (ctx.axis if ctx.axis is not None else -1) % x.ndim
    c = ctx.num_classes()
    padded = cumulative_sum(xp, xp.astype(x < 0, xp.int32), axis=ax) > 0
    bad = (x >= c) & ~padded
    _raise(
        ctx.fn,
        ctx.xp,
        name,
        x,
        ctx.masked(x, bad),
        "label",
        f"[0, {c})",
        f"labels before the first negative padding entry must lie in [0, C) with C = {c}",
    )


def _ctc_labels(ctx: _Ctx, name: str, x: Any) -> None:
    """The first ``label_lengths`` labels of each sequence are classes of ``log_probs`` other than
    ``blank``: padded ``(..., S)`` labels (``(S,)`` for one ``(T, C)`` sequence), or torch's
    concatenated 1-D form, whose lengths must also fit in it."""
    if _kind(x) != "int" or x.ndim == 0:
        return
    xp, loc = ctx.xp, ctx.loc
    lengths = loc.get("label_lengths")
    c = int(ctx.pred.shape[-1])
    blank = loc.get("blank", 0)
    info = xp.iinfo(x.dtype)
    bad = ~_ne(xp, x, blank)
    if info.min < 0:
        bad = bad | (x < 0)
    if c - 1 < info.max:
        bad = bad | (x > c - 1)
    dom = f"[0, {c}) without blank={blank}"
    hint = "the first label_lengths labels of each sequence must be classes of log_probs other than the blank"
    if _is_array(lengths) and x.ndim == 1 and ctx.pred.ndim >= 3:
        _ctc_concatenated(ctx, name, x, lengths, bad, dom, hint)
        return
    if _is_array(lengths):
        ll = xp.astype(lengths, xp.int64)
        if ll.ndim == x.ndim:  # one (T, C) sequence with lengths of shape (1,)
            ll = xp.reshape(ll, tuple(x.shape[:-1]))
        pos = xp.arange(x.shape[-1], dtype=xp.int64, device=_device(x))
        bad = bad & (pos < xp.expand_dims(ll, axis=-1))
    _raise(ctx.fn, xp, name, x, ctx.masked(x, bad), "label", dom, hint)


def _ctc_concatenated(ctx: _Ctx, name: str, x: Any, lengths: Any, bad: Any, dom: str, hint: str) -> None:
    """torch's 1-D CTC labels: sequence ``b`` holds the next ``label_lengths[b]`` labels."""
    xp, n = ctx.xp, x.shape[0]
    ll = xp.reshape(xp.astype(lengths, xp.int64), (-1,))
    ll = xp.where(ll > 0, ll, xp.zeros_like(ll))
    ends = cumulative_sum(xp, ll, axis=0)
    w = ctx.loc.get("where")
    keep = xp.reshape(xp.broadcast_to(w, tuple(lengths.shape)), (-1,)) if _is_array(w) else None
    pos = xp.arange(n, dtype=xp.int64, device=_device(x))
    seq = xp.sum(xp.astype(xp.expand_dims(pos, axis=-1) >= ends, xp.int64), axis=-1)  # each label's sequence
    bad = bad & (seq < ll.shape[0])
    if keep is not None and ll.shape[0]:
        bad = bad & xp.take(keep, xp.clip(seq, 0, ll.shape[0] - 1), axis=0)
    _raise(ctx.fn, xp, name, x, bad, "label", dom, hint)
    over = (ends > n) & (ll > 0)
    if keep is not None:
        over = over & keep
    _raise(
        ctx.fn,
        xp,
        "label_lengths",
        lengths,
        xp.reshape(over, tuple(lengths.shape)),
        "length",
        f"the end of the {n} concatenated labels",
        f"1-D labels (torch's form) hold every sequence's labels in order, so sum(label_lengths) must not exceed "
        f"labels.shape[0] = {n}",
        prep="running past",
    )


def _yolo_target(ctx: _Ctx, name: str, x: Any) -> None:
    if _kind(x) != "float" or x.ndim == 0:
        return
    xp = ctx.xp
    ax = (ctx.axis if ctx.axis is not None else -1) % x.ndim
    n = x.shape[ax]
    pos = xp.reshape(xp.arange(n, device=_device(x)), tuple(n if i == ax else 1 for i in range(x.ndim)))
    obj = xp.take(x, xp.asarray([4], device=_device(x)), axis=ax) == 1
    tol = _tol(xp, x)
    bad = ((x < -tol) | (x > 1 + tol)) & (pos >= 5) & obj
    _raise(
        ctx.fn,
        ctx.xp,
        name,
        x,
        ctx.masked(x, bad),
        "class probability",
        "[0, 1]",
        "class targets of object cells (confidence 1) are one-hot or probabilities",
    )


_device = device_of


def _poisson_pred(ctx: _Ctx, name: str, x: Any) -> None:
    if ctx.loc.get("log_input", True) is False:
        _nonnegative(ctx, name, x)


def _tweedie(ctx: _Ctx, name: str, x: Any) -> None:
    power = ctx.loc.get("power", 0.0)
    if not isinstance(power, (int, float)) or power == 0:
        return
    if name == "pred" or power >= 2:
        _positive(ctx, name, x)
    elif power >= 1:
        _nonnegative(ctx, name, x)


def _kl_target(ctx: _Ctx, name: str, x: Any) -> None:
    (_log_probability if ctx.loc.get("log_target") is True else _probability)(ctx, name, x)


def _none(ctx: _Ctx, name: str, x: Any) -> None:
    return None


def _probs_or_logits(ctx: _Ctx, name: str, x: Any) -> None:
    """Probabilities, unless an ``activation`` makes them logits (any real value)."""
    if ctx.loc.get("activation") is None:
        _probability(ctx, name, x)


_SPACE_RULES: dict[str, Callable[..., None]] = {
    "real": _none,
    "logit": _none,
    "probability": _probability,
    "label": _labels,
    "label_or_probability": _label_or_probability,
    "log_probability": _log_probability,
    "nonnegative": _nonnegative,
    "positive": _positive,
    "variance": _nonnegative,
    "count": _nonnegative,
    "log_rate": _poisson_pred,
    "padded_labels": _multilabel,
    "sign": _signs(False),
    "box_xyxy": _boxes,
    "relevance": _nonnegative,
    "yolo_grid": _none,
}

#: Rules a record can name for an input (``value_rules``) where its space does not say enough.
RULES: dict[str, Callable[..., None]] = {
    "unchecked": _none,
    "binary_labels": _binary_labels,
    "center_labels": _center_labels,
    "ctc_labels": _ctc_labels,
    "kl_target": _kl_target,
    "probs_or_logits": _probs_or_logits,
    "yolo_target": _yolo_target,
    "tweedie": _tweedie,
    "signs_or_zero": _signs(True),
}


def rule_for(loss: str, name: str, space: str) -> Callable[..., None]:
    """The value rule of input ``name`` of ``loss``: the record's ``value_rules`` entry, else the
    rule of the input's space (for tests: ``_none`` means unchecked)."""
    rec = _REGISTRY.get(loss)
    if rec is not None and name in rec.value_rules:
        return RULES[rec.value_rules[name]]
    return _SPACE_RULES.get(space, _none)


def unchecked() -> Callable[..., None]:
    """The rule that checks nothing."""
    return _none


# -- entry points -------------------------------------------------------------------------------


def check_args(rec: Any, xp: Any, loc: dict[str, Any]) -> None:
    """Check the values of a loss call's arguments ``loc`` (name -> value) against ``rec``.

    Called by the loss wrapper only when :data:`active` is non-zero.
    """
    if _compiling() or not _STATE.get():
        return
    _check(rec, xp, loc)
    for name, c in rec.constraints.items():
        v = loc.get(name)
        bounds = c.array_values()
        if bounds is not None and _is_array(v):
            check_range(rec.name, name, v, *bounds)


def _check(rec: Any, xp: Any, loc: dict[str, Any]) -> None:
    arrays = [loc.get(n) for n in rec.inputs]
    opts = [loc.get(n) for n in rec.options]
    if not all(_concrete(a) for a in (*arrays, *opts, loc.get("where")) if _is_array(a)):
        return
    xp, loc = _host(xp, loc)
    arrays = [loc.get(n) for n in rec.inputs]
    opts = [loc.get(n) for n in rec.options]
    ctx = _Ctx(rec.name, xp, rec, loc)
    for name, x in zip(rec.inputs, arrays):
        if not _is_array(x):
            continue
        rule = rule_for(rec.name, name, rec.input_spaces[name])
        if rule is _none:
            continue
        try:
            rule(ctx, name, x)
        except (InvalidValueError, KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001, S112 - malformed input: the static checks report it
            if os.environ.get("LOSSAPI_VALUES_DEBUG"):
                raise
            continue
    for name, v in zip(rec.options, opts):
        if _is_array(v) and _kind(v) == "float":
            try:
                bad = ~ctx.xp.isfinite(v)
            except Exception:  # noqa: BLE001, S112
                continue
            _raise(ctx.fn, ctx.xp, name, v, bad, "value", "finite", "hyper-parameters must be finite", prep="not")


def _host(xp: Any, loc: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """JAX arrays as NumPy arrays (one device-to-host copy each): an eager JAX op compiles
    for every new shape, which would make each checked call cost a compilation."""
    if backend_name(xp) != "jax":
        return xp, loc
    import numpy as np
    from array_api_compat import numpy as cnp

    return cnp, {
        k: np.asarray(v) if type(v).__module__.startswith(("jax", "jaxlib")) and _is_array(v) else v
        for k, v in loc.items()
    }


def check_range(
    fn: str,
    name: str,
    value: Any,
    low: float | None,
    high: float | None,
    low_open: bool,
    high_open: bool,
    allow_inf: bool = False,
) -> None:
    """Range check of a hyper-parameter given as an array (the bounds of its option's constraint).

    NaN is out of range, and so are infinities unless ``allow_inf``.
    """
    if _compiling() or not _STATE.get() or not _is_array(value) or not _concrete(value):
        return
    if _kind(value) not in ("float", "int"):
        return
    from array_api_compat import array_namespace

    xp, loc = _host(array_namespace(value), {"value": value})
    value = loc["value"]
    if _kind(value) == "int":  # compare as floats (strict refuses int arrays vs float bounds)
        value = xp.astype(value, xp.float64)
    bad = xp.isnan(value) if allow_inf else ~xp.isfinite(value)
    if low is not None:
        bad = bad | ((value <= low) if low_open else (value < low))
    if high is not None:
        bad = bad | ((value >= high) if high_open else (value > high))
    dom = _dom(low, high, low_open, high_open)
    _raise(
        fn,
        xp,
        name,
        value,
        bad,
        "value",
        dom if allow_inf else "the finite numbers in " + dom,
        f"`{name}` is a hyper-parameter",
    )
