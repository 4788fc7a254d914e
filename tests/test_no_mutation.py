"""No data loss: no catalog loss mutates its inputs, and no result aliases an input.

For every catalog loss, every option set of its conformance case (array options such as
``class_weight`` / ``pos_weight`` / ``alpha`` included), with and without ``sample_weight`` and
``where``, on every backend, the inputs and array options are copied to NumPy before the call;
after the call (``reduction="none"`` and ``"mean"``; on torch also a backward pass, with the
native fast paths of ``lossapi/_native.py`` on and off) every one of them must be bit-for-bit
unchanged (NaN-aware: the bytes are compared), with its dtype and shape. On torch the tensors'
``_version`` counters must not move (an in-place op that restores the values is still caught)
and ``.grad`` is set only on the tensors the test differentiated.

The result must not share memory with any input (NumPy ``np.shares_memory``, torch storage
pointers, array-api-strict through its NumPy buffer), and writing into the result (NumPy,
torch) must leave every input unchanged.

One test per backend iterates over the whole catalog and collects every failure, each named by
loss, backend, option set and input, so one run reports them all.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from _backends import Backend, load_backend

import lossapi as la
from lossapi import _native
from lossapi._conformance.cases import CASES
from lossapi.testing import make_inputs

_SHAPE = (3, 4)


def _raw(backend: Backend, x: Any) -> Any:
    """The NumPy buffer (or library object) behind ``x``; None for non-arrays."""
    if backend.name == "array_api_strict":
        return getattr(x, "_array", None)
    return x


def _is_array(backend: Backend, x: Any) -> bool:
    return backend.is_native(x)


def _snapshot(backend: Backend, x: Any) -> dict[str, Any]:
    """Everything about ``x`` that a loss must not change."""
    if backend.name == "torch":
        a = x.detach().cpu().numpy().copy()
        return {
            "bytes": a.tobytes(),
            "dtype": x.dtype,
            "shape": tuple(x.shape),
            "version": x._version,
            "requires_grad": x.requires_grad,
            "np": a,
        }
    if backend.name == "array_api_strict":
        a = np.array(x._array, copy=True)
        return {
            "bytes": a.tobytes(),
            "dtype": x.dtype,
            "shape": tuple(x.shape),
            "np": a,
            "writeable": x._array.flags.writeable,
        }
    if backend.name == "numpy":
        return {
            "bytes": x.tobytes(),
            "dtype": x.dtype,
            "shape": x.shape,
            "np": x.copy(),
            "writeable": x.flags.writeable,
            "strides": x.strides,
        }
    a = backend.to_numpy(x).copy()  # jax, dask: immutable, but their buffers could still be written
    return {"bytes": a.tobytes(), "dtype": x.dtype, "shape": tuple(x.shape), "np": a}


def _diff(backend: Backend, before: dict[str, Any], x: Any) -> str | None:
    after = _snapshot(backend, x)
    for key in ("dtype", "shape", "strides", "writeable", "requires_grad"):
        if key in before and before[key] != after[key]:
            return f"{key} changed from {before[key]} to {after[key]}"
    if before["bytes"] != after["bytes"]:
        b, a = before["np"].ravel(), after["np"].ravel()
        where = np.flatnonzero(~((b == a) | (np.isnan(b) & np.isnan(a))) if b.dtype.kind == "f" else b != a)
        i = int(where[0]) if where.size else 0
        return f"values changed (first at flat index {i}: {b[i]!r} -> {a[i]!r})"
    if "version" in before and before["version"] != after["version"]:
        return f"torch _version moved {before['version']} -> {after['version']} (an in-place op)"
    return None


def _shares(backend: Backend, out: Any, x: Any) -> bool:
    if out is x:
        return True
    if backend.name == "torch":
        return bool(
            out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr() and x.untyped_storage().nbytes() > 0
        )
    if backend.name in ("numpy", "array_api_strict"):
        ro, rx = _raw(backend, out), _raw(backend, x)
        return isinstance(ro, np.ndarray) and isinstance(rx, np.ndarray) and bool(np.shares_memory(ro, rx))
    return False  # jax / dask arrays are immutable: only identity matters


def _weights(backend: Backend, shape: tuple[int, ...], dtype: Any) -> tuple[Any, Any]:
    rng = np.random.default_rng(1)
    sw = rng.uniform(0.5, 2.0, size=shape)
    where = np.ones(shape, dtype=bool)
    where.ravel()[::2] = False
    return backend.asarray(sw, dtype=str(np.dtype(dtype))), backend.asarray(where)


def _calls(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, options) for every option set of the loss's conformance case."""
    for opts in CASES[name].options:
        yield repr(dict(opts)), dict(opts)


@contextmanager
def _spy_native(engaged: set[str]) -> Iterator[None]:
    """Record which torch fast paths returned a result (not ``NotImplemented``)."""
    saved = dict(_native._FAST)

    def wrap(loss: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def spy(*a: Any, **k: Any) -> Any:
            out = fn(*a, **k)
            if out is not NotImplemented:
                engaged.add(loss)
            return out

        return spy

    for (loss, bk), fn in saved.items():
        if bk == "torch":
            _native._FAST[(loss, bk)] = wrap(loss, fn)
    try:
        yield
    finally:
        _native._FAST.update(saved)


def _check_call(
    backend: Backend,
    name: str,
    label: str,
    inputs: Mapping[str, Any],
    kwargs: dict[str, Any],
    reduction: str,
    grad_names: tuple[str, ...],
    problems: list[str],
) -> None:
    """Call the loss once and record every mutation / aliasing problem in ``problems``."""
    rec = la.lookup_loss(name)
    tracked = {n: x for n, x in inputs.items() if _is_array(backend, x)}
    tracked.update({f"{k}=": v for k, v in kwargs.items() if _is_array(backend, v)})
    torch = backend.mod if backend.name == "torch" else None
    if torch is not None:
        # Fresh leaves: requires_grad only on the inputs this call differentiates.
        args = []
        for n, x in inputs.items():
            t = x.detach().clone()
            if n in grad_names:
                t.requires_grad_(True)
            args.append(t)
        inputs = dict(zip(inputs, args))
        tracked.update({n: x for n, x in inputs.items()})
    before = {n: _snapshot(backend, x) for n, x in tracked.items()}
    where = (
        f"{name} [{backend.name}] options={label} kwargs={sorted(k for k in kwargs if k not in rec.options)} "
        f"reduction={reduction!r}" + (f" grad={grad_names}" if grad_names else "")
    )
    try:
        if backend.name == "jax":
            # Compiled once per call (eager JAX compiles every op for every new shape: ~15 s
            # for the catalog); array options are traced arguments, the rest static.
            jax = __import__("jax")
            dyn = {k: v for k, v in kwargs.items() if _is_array(backend, v)}
            static = {k: v for k, v in kwargs.items() if k not in dyn}
            out = jax.jit(lambda *a, **k: rec.fn(*a, **k, **static, reduction=reduction))(*inputs.values(), **dyn)
        else:
            out = rec.fn(*inputs.values(), **kwargs, reduction=reduction)
        if torch is not None and grad_names:
            out.sum().backward()
        if backend.name == "dask":
            out.compute()  # a lazy graph only touches the input chunks when computed
    except Exception as e:  # noqa: BLE001 - reported with its context
        problems.append(f"{where}: raised {type(e).__name__}: {e}")
        return
    for n, x in tracked.items():
        d = _diff(backend, before[n], x)
        if d is not None:
            problems.append(f"{where}: input `{n}` {d}")
        if _shares(backend, out, x):
            problems.append(f"{where}: the result shares memory with input `{n}`")
        if torch is not None:
            has_grad = x.grad is not None
            if has_grad != (n in grad_names):
                problems.append(
                    f"{where}: input `{n}`.grad is {'set' if has_grad else 'None'} "
                    f"(differentiated inputs: {grad_names})"
                )
    # Writing into the result leaves the inputs alone.
    if backend.name == "numpy":
        out[...] = 1234.5
    elif torch is not None:
        with torch.no_grad():
            out.fill_(1234.5)
    else:
        return
    for n, x in tracked.items():
        d = _diff(backend, {**before[n], "version": x._version} if torch is not None else before[n], x)
        if d is not None:
            problems.append(f"{where}: writing into the result changed input `{n}`: {d}")


def _run_catalog(backend: Backend, *, grads: bool, light: bool = False) -> list[str]:
    """Check every catalog loss on ``backend``.

    Full: every option set with reduction "none" and "mean"; the first option set also with
    ``sample_weight``, ``where`` and both; with ``grads`` (torch) also a backward pass through
    the first input alone (which keeps the fast paths that decline target gradients engaged)
    and through every differentiable input. Light (JAX, Dask: immutable arrays, milliseconds
    per call): the first option set, "none" without weights and "mean" with both weights (JAX,
    under ``jax.jit``: "none" with both weights only).
    """
    problems: list[str] = []
    dtype = "float64"
    for rec in la.catalog():
        case = CASES[rec.name]
        params = inspect.signature(rec.fn).parameters
        for i, (label, opts) in enumerate(_calls(rec.name)):
            if i and light:
                break
            inp = make_inputs(rec.name, xp=backend.name, dtype=dtype, shape=_SHAPE, seed=i, options=opts)
            arrays, kwargs = dict(inp.arrays), inp.kwargs
            variants = [kwargs]
            if i == 0 and "sample_weight" in params:
                # The per-element shape is what reduction="none" returns.
                def per_element(*a: Any, kw: dict[str, Any] = kwargs, fn: Any = rec.fn) -> Any:
                    return fn(*a, **kw, reduction="none")

                if backend.name == "jax":  # shapes only: no eager JAX op to compile
                    none = __import__("jax").eval_shape(per_element, *arrays.values())
                else:
                    none = per_element(*arrays.values())
                sw, wh = _weights(backend, tuple(none.shape), dtype)
                both = {**kwargs, "sample_weight": sw, "where": wh}
                if light and backend.name == "jax":  # one compile per loss (~70 ms each)
                    _check_call(backend, rec.name, label, arrays, both, "none", (), problems)
                    continue
                if light:
                    _check_call(backend, rec.name, label, arrays, kwargs, "none", (), problems)
                    _check_call(backend, rec.name, label, arrays, both, "mean", (), problems)
                    continue
                variants += [{**kwargs, "sample_weight": sw}, {**kwargs, "where": wh}, both]
            for kw in variants:
                _check_call(backend, rec.name, label, arrays, kw, "none", (), problems)
                _check_call(backend, rec.name, label, arrays, kw, "mean", (), problems)
                if grads:
                    first = (rec.inputs[0],) if rec.inputs[0] in case.differentiable else ()
                    if first:
                        _check_call(backend, rec.name, label, arrays, kw, "mean", first, problems)
                    if tuple(case.differentiable) != first:
                        _check_call(backend, rec.name, label, arrays, kw, "sum", tuple(case.differentiable), problems)
    return problems


@pytest.mark.parametrize("name", ["numpy", "array_api_strict", "jax", "dask"])
def test_no_mutation_no_aliasing(name: str) -> None:
    backend = load_backend(name)
    # JAX and Dask arrays are immutable and each JAX compile / Dask graph costs milliseconds:
    # the light pass is enough there.
    problems = _run_catalog(backend, grads=False, light=name in ("jax", "dask"))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


@pytest.mark.parametrize("native", [True, False], ids=["native", "generic"])
def test_no_mutation_no_aliasing_torch(native: bool) -> None:
    """torch with backward passes, native fast paths on (and engaged) or off (never called)."""
    backend = load_backend("torch")
    engaged: set[str] = set()
    with la.native(native), _spy_native(engaged):
        problems = _run_catalog(backend, grads=True)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])
    fast = {loss for (loss, bk) in _native._FAST if bk == "torch"}
    if native:
        # Every torch fast path ran on some input: the native kernels were checked too.
        assert fast <= engaged, f"fast paths never engaged: {sorted(fast - engaged)}"
    else:
        assert not engaged, f"fast paths used with native(False): {sorted(engaged)}"
