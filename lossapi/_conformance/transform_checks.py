"""Transform, placement and native-fast-path checks.

- transforms: ``jax.jit``, ``jax.vmap``, ``jax.grad`` under ``jit``, ``torch.compile(fullgraph=True)``,
  ``torch.func.grad`` and ``torch.func.vmap`` run and match eager (torch ones with the native
  fast paths on and off where the loss has one);
- placement: the result has the inputs' namespace, dtype (16-bit in, 16-bit out) and device;
  Dask results stay lazy (no computation inside the loss);
- native: a torch fast path and the generic Array API path give the same values and gradients.

Every function returns a list of :class:`~lossapi._conformance.result.CheckResult`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .backends import BACKENDS
from .cases import class_axis_of  # noqa: F401  (re-exported for per-family checks)
from .grad_checks import (
    backend_grads,
    backend_options,
    call_loss,
    draw_inputs,
    edge_inputs,
    get_case,
    get_record,
    is_float,
    oracle_none,
    oracle_reduce,
    rel_err,
    to_backend,
)
from .preamble import Start, failed, skipped, start
from .result import CheckResult

__all__ = [
    "check_dask_lazy",
    "check_device",
    "check_dtypes",
    "check_jax_transforms",
    "check_namespace",
    "check_native",
    "check_torch_compile",
    "check_torch_func",
    "native_modes",
]

_SHAPE = (3, 4)
_BATCH = 3
_EAGER_RTOL = 1e-10  # same float64 math, possibly fused or reordered by the compiler
_REDUCTIONS = ("mean", "sum", "none")
_DTYPE_RTOL = {"float64": 1e-10, "float32": 1e-4, "float16": 2e-2, "bfloat16": 3e-2}


def native_modes(name: str, backend: str = "torch") -> tuple[bool, ...]:
    """``(True, False)`` when ``name`` has a fast path on ``backend`` (both are tested), else ``(True,)``."""
    from .._native import native_backends  # noqa: PLC0415

    return (True, False) if backend in native_backends(name) else (True,)


def _start(name: str, backend: str, check: str) -> Start | list[CheckResult]:
    """The checks' preamble (:func:`~lossapi._conformance.preamble.start`) with this module's lookups
    (which tests may replace)."""
    return start(name, backend, check, case_of=get_case, record_of=get_record)


def _result(name: str, backend: str, check: str, problems: list[str], worst: float) -> list[CheckResult]:
    return [CheckResult(name, backend, check, not problems, worst, "; ".join(problems))]


def _err(e: BaseException) -> str:
    return f"raised {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def _positional(record: Any, arrays: Mapping[str, Any]) -> list[Any]:
    return [arrays[n] for n in record.inputs]


def _in_axes(case: Any, names: list[str]) -> tuple[int | None, ...]:
    """vmap's mapped axis of each positional input: 0, or None for the case's shared inputs."""
    return tuple(None if n in case.shared else 0 for n in names)


def _row(case: Any, names: list[str], arrays: Mapping[str, Any], i: int) -> list[Any]:
    """Row ``i`` of the batched inputs (the shared inputs whole)."""
    return [arrays[n] if n in case.shared else arrays[n][i] for n in names]


def _vmap_sets(option_sets: tuple[Mapping[str, Any], ...]) -> list[Mapping[str, Any]]:
    """Option sets that commute with mapping over a new leading axis: a non-negative class
    ``axis`` would point at a different axis inside each row."""
    return [o for o in option_sets if o.get("axis") is None or o["axis"] < 0]


# -- JAX ---------------------------------------------------------------------------------------


def check_jax_transforms(name: str, *, quick: bool = False, seed: int = 0) -> list[CheckResult]:
    """``jax.jit`` (options closed over), ``jax.vmap`` over a batch axis, ``jax.jit(jax.grad)``.

    Each matches eager JAX; vmap of the mean-reduced loss equals the per-row eager losses.
    Floating options are also passed as traced 0-d arrays into ``jax.jit``.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    quick : bool, default False
        First option set only.
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        Skipped results (with the reason) when the backend is missing.
    """
    out: list[CheckResult] = []
    if isinstance(s := _start(name, "jax", "jax transforms"), list):
        return s
    case, record, b = s.case, s.record, s.backend
    import jax  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    options_sets = case.options[:1] if quick else case.options
    names = list(record.inputs)

    # jit: every reduction, the loss's options closed over (one compilation for the three).
    problems, worst = [], 0.0
    for options in options_sets:
        x = to_backend(b, draw_inputs(case, rng, _SHAPE, options), "float64")
        opts = backend_options(b, options)

        def f(*a: Any, options: Mapping[str, Any] = opts) -> Any:
            return tuple(record.fn(*a, **options, reduction=r) for r in _REDUCTIONS)

        try:
            by_eager = [b.to_numpy(v) for v in f(*_positional(record, x))]
            by_jit = [b.to_numpy(v) for v in jax.jit(f)(*_positional(record, x))]
        except Exception as e:  # noqa: BLE001
            problems.append(f"[{dict(options)}] {_err(e)}")
            continue
        for reduction, ev, jv in zip(_REDUCTIONS, by_eager, by_jit):
            err = rel_err(jv, ev)
            worst = max(worst, err)
            if not err <= _EAGER_RTOL:
                problems.append(f"[{dict(options)} {reduction}] jit {jv.ravel()[:4]} vs eager {ev.ravel()[:4]}")
    out += _result(name, "jax", "jax.jit", problems, worst)

    # vmap over a leading batch axis of every input.
    problems, worst = [], 0.0
    for options in _vmap_sets(options_sets):
        raw = draw_inputs(case, rng, (_BATCH, *_SHAPE), options)
        x = to_backend(b, raw, "float64")
        opts = backend_options(b, options)

        def g(*a: Any, options: Mapping[str, Any] = opts) -> Any:
            return record.fn(*a, **options, reduction="mean")

        try:
            batched = b.to_numpy(jax.vmap(g, in_axes=_in_axes(case, names))(*_positional(record, x)))
            rows = np.stack([b.to_numpy(g(*_row(case, names, x, i))) for i in range(_BATCH)])
        except Exception as e:  # noqa: BLE001
            problems.append(f"[{dict(options)}] {_err(e)}")
            continue
        err = rel_err(batched, rows)
        worst = max(worst, err)
        if not err <= _EAGER_RTOL:
            problems.append(f"[{dict(options)}] vmap {batched} vs per-row {rows}")
    out += _result(name, "jax", "jax.vmap", problems, worst)

    # grad under jit equals eager grad.
    problems, worst = [], 0.0
    argnums = tuple(names.index(n) for n in case.differentiable)
    for options in options_sets:
        x = to_backend(b, draw_inputs(case, rng, _SHAPE, options), "float64")
        opts = backend_options(b, options)

        def h(*a: Any, options: Mapping[str, Any] = opts) -> Any:
            return record.fn(*a, **options, reduction="mean")

        try:
            eager = jax.grad(h, argnums=argnums)(*_positional(record, x))
            jitted = jax.jit(jax.grad(h, argnums=argnums))(*_positional(record, x))
        except Exception as e:  # noqa: BLE001
            problems.append(f"[{dict(options)}] {_err(e)}")
            continue
        for n, ge, gj in zip(case.differentiable, eager, jitted):
            err = rel_err(np.asarray(gj), np.asarray(ge), floor=1.0)
            worst = max(worst, err)
            if not err <= _EAGER_RTOL:
                problems.append(
                    f"[{dict(options)}] d/d{n}: jit {np.asarray(gj).ravel()[:4]} vs eager {np.asarray(ge).ravel()[:4]}"
                )
    out += _result(name, "jax", "jax.grad(jit)", problems, worst)

    # Floating hyper-parameters passed as traced 0-d arrays (the documented API: they may be learned or
    # traced). A loss may refuse an array for a structural option, but only with its own
    # InvalidOptionError naming the option ("must be a Python number").
    from .._errors import InvalidOptionError  # noqa: PLC0415

    problems, worst, ran = [], 0.0, False
    for options in options_sets:
        traced = [k for k, v in options.items() if isinstance(v, float) and not k.startswith("_")]  # "_": case-only
        if not traced:
            continue
        x = to_backend(b, draw_inputs(case, rng, _SHAPE, options), "float64")
        fixed = {k: v for k, v in backend_options(b, options).items() if k not in traced}

        def t(*a: Any, hp: Mapping[str, Any], fixed: Mapping[str, Any] = fixed) -> Any:
            return record.fn(*a, **fixed, **hp, reduction="mean")

        try:
            eager = b.to_numpy(t(*_positional(record, x), hp={k: options[k] for k in traced}))
            got = b.to_numpy(
                jax.jit(t)(*_positional(record, x), hp={k: b.asarray(np.float64(options[k])) for k in traced})
            )
        except InvalidOptionError as e:
            if not any(k in str(e) for k in traced):
                problems.append(f"[{dict(options)}] unclear refusal of array options: {e}")
            continue
        except Exception as e:  # noqa: BLE001
            problems.append(f"[{dict(options)}] {_err(e)}")
            continue
        ran = True
        err = rel_err(got, eager)
        worst = max(worst, err)
        if not err <= _EAGER_RTOL:
            problems.append(f"[{dict(options)}] traced options {got} vs Python numbers {eager}")
    if ran or problems:
        out += _result(name, "jax", "jax.jit(traced options)", problems, worst)
    return out


# -- torch -------------------------------------------------------------------------------------


def compile_backend() -> str:
    """``torch.compile`` backend: ``eager`` (graph capture only) unless ``LOSSAPI_COMPILE_BACKEND`` says otherwise."""
    return os.environ.get("LOSSAPI_COMPILE_BACKEND", "eager")


def check_torch_compile(name: str, *, native: bool = True, seed: int = 0) -> list[CheckResult]:
    """``torch.compile(fullgraph=True)`` of the loss (first option set, each reduction) equals eager.

    ``fullgraph=True`` turns any graph break into an error, so this proves the loss traces
    whole. The forward and the gradient (mean reduction) are compared.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    native : bool, default True
        Native fast paths on (True) or forced off.
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        Skipped results (with the reason) when the backend is missing.
    """
    from .. import _native  # noqa: PLC0415

    check = f"torch.compile[{compile_backend()}{'' if native else ',generic'}]"
    if isinstance(s := _start(name, "torch", check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    import torch  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    options = case.options[0]
    raw = draw_inputs(case, rng, _SHAPE, options)
    problems, worst = [], 0.0
    # A fresh Dynamo cache per loss: the recompile limit is per code object, and every loss
    # is reached through the same wrapper below.
    torch._dynamo.reset()
    opts = backend_options(b, options)
    diff = [record.inputs.index(n) for n in case.differentiable]

    def f(*a: Any) -> Any:  # every reduction in one graph: one trace instead of three
        return tuple(record.fn(*a, **opts, reduction=r) for r in _REDUCTIONS)

    def f_mean(*a: Any) -> Any:
        return record.fn(*a, **opts, reduction="mean")

    with _native.native(native):
        x = to_backend(b, raw, "float64")
        try:
            compiled = torch.compile(f, fullgraph=True, backend=compile_backend())
            got = [b.to_numpy(v) for v in compiled(*_positional(record, x))]
            want = [b.to_numpy(v) for v in f(*_positional(record, x))]
        except Exception as e:  # noqa: BLE001
            return _result(name, "torch", check, [_err(e)], worst)
        for reduction, g, w in zip(_REDUCTIONS, got, want):
            err = rel_err(g, w)
            worst = max(worst, err)
            if not err <= _EAGER_RTOL:
                problems.append(f"[{reduction}] compiled {g.ravel()[:4]} vs eager {w.ravel()[:4]}")
        try:
            gc = b.grad(lambda *a: compiled(*a)[0], _positional(record, x), diff)
            ge = b.grad(f_mean, _positional(record, x), diff)
        except Exception as e:  # noqa: BLE001
            problems.append(f"[grad] {_err(e)}")
        else:
            for n, c, e_ in zip(case.differentiable, gc, ge):
                gerr = rel_err(c, e_, floor=1.0)
                worst = max(worst, gerr)
                if not gerr <= _EAGER_RTOL:
                    problems.append(f"[grad d/d{n}] compiled {c.ravel()[:4]} vs eager {e_.ravel()[:4]}")
    return _result(name, "torch", check, problems, worst)


def check_torch_func(name: str, *, native: bool = True, quick: bool = False, seed: int = 0) -> list[CheckResult]:
    """``torch.func.grad`` equals autograd; ``torch.func.vmap`` of the mean loss equals per-row eager.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    native : bool, default True
        Native fast paths on (True) or forced off.
    quick : bool, default False
        First option set only.
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        Skipped results (with the reason) when the backend is missing.
    """
    from .. import _native  # noqa: PLC0415

    tag = "" if native else "[generic]"
    if isinstance(s := _start(name, "torch", "torch.func.grad" + tag), list):
        return s
    case, record, b = s.case, s.record, s.backend
    import torch  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    names = list(record.inputs)
    argnums = tuple(names.index(n) for n in case.differentiable)
    options_sets = case.options[:1] if quick else case.options
    out: list[CheckResult] = []
    with _native.native(native):
        problems, worst = [], 0.0
        for options in options_sets:
            x = to_backend(b, draw_inputs(case, rng, _SHAPE, options), "float64")
            opts = backend_options(b, options)

            def f(*a: Any, options: Mapping[str, Any] = opts) -> Any:
                return record.fn(*a, **options, reduction="mean")

            try:
                fg = torch.func.grad(f, argnums=argnums)(*_positional(record, x))
                ag = b.grad(f, _positional(record, x), list(argnums))
            except Exception as e:  # noqa: BLE001
                problems.append(f"[{dict(options)}] {_err(e)}")
                continue
            for n, g1, g2 in zip(case.differentiable, fg, ag):
                err = rel_err(g1.detach().double().numpy(), g2, floor=1.0)
                worst = max(worst, err)
                if not err <= _EAGER_RTOL:
                    problems.append(
                        f"[{dict(options)}] d/d{n}: func.grad {g1.ravel()[:4]} vs autograd {g2.ravel()[:4]}"
                    )
        out += _result(name, "torch", "torch.func.grad" + tag, problems, worst)

        problems, worst = [], 0.0
        for options in _vmap_sets(options_sets):
            x = to_backend(b, draw_inputs(case, rng, (_BATCH, *_SHAPE), options), "float64")
            opts = backend_options(b, options)

            def g(*a: Any, options: Mapping[str, Any] = opts) -> Any:
                return record.fn(*a, **options, reduction="mean")

            try:
                batched = b.to_numpy(torch.func.vmap(g, in_dims=_in_axes(case, names))(*_positional(record, x)))
                rows = np.stack([b.to_numpy(g(*_row(case, names, x, i))) for i in range(_BATCH)])
            except Exception as e:  # noqa: BLE001
                problems.append(f"[{dict(options)}] {_err(e)}")
                continue
            err = rel_err(batched, rows)
            worst = max(worst, err)
            if not err <= _EAGER_RTOL:
                problems.append(f"[{dict(options)}] vmap {batched} vs per-row {rows}")
        out += _result(name, "torch", "torch.func.vmap" + tag, problems, worst)
    return out


# -- placement -------------------------------------------------------------------------------


def check_namespace(name: str, backend: str, *, traced: bool = False, seed: int = 0) -> list[CheckResult]:
    """Every reduction returns an array of the inputs' namespace (never a Python scalar).

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : str
        Backend name.
    traced : bool, default False
        On JAX, trace the calls (``jax.eval_shape``) rather than run them: the loss's code sees
        JAX arrays (tracers) all the same and nothing is compiled, where eager calls compile
        every operation (the quick mode; the transform checks compare traced and eager calls).
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        Skipped results (with the reason) when the backend is missing.
    """
    check = "placement:namespace"
    if isinstance(s := _start(name, backend, check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    import array_api_compat  # noqa: PLC0415

    options = case.options[0]
    x = to_backend(b, draw_inputs(case, np.random.default_rng(seed), _SHAPE, options), "float64")
    want = array_api_compat.array_namespace(*[v for v in x.values()])
    problems: list[str] = []

    def each_reduction(x: dict[str, Any]) -> None:
        for reduction in ("mean", "sum", "none"):
            try:
                r = call_loss(record, x, options, reduction=reduction)
                got = array_api_compat.array_namespace(r)
            except Exception as e:  # noqa: BLE001
                problems.append(f"[{reduction}] {_err(e)} (result type {type(r).__name__ if 'r' in locals() else '?'})")
                continue
            if got is not want:
                problems.append(f"[{reduction}] result namespace {got.__name__}, inputs {want.__name__}")
            if reduction != "none" and tuple(r.shape) != ():
                problems.append(f"[{reduction}] result shape {tuple(r.shape)}, expected ()")

    if traced and backend == "jax":
        import jax  # noqa: PLC0415

        jax.eval_shape(each_reduction, x)
    else:
        each_reduction(x)
    return _result(name, backend, check, problems, 0.0 if not problems else float("inf"))


def check_dtypes(name: str, backend: str, dtypes: tuple[str, ...] | None = None, *, seed: int = 0) -> list[CheckResult]:
    """The result dtype is the prediction's dtype, and the value is close to the oracle.

    16-bit inputs are computed in float32 and cast back, so the oracle is evaluated on the
    16-bit-rounded inputs and compared with a tolerance of a few 16-bit ulps.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : str
        Backend name.
    dtypes : tuple of str, optional
        Dtype names (default: every dtype the backend has).
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        Skipped results (with the reason) when the backend is missing.
    """
    out: list[CheckResult] = []
    b = BACKENDS[backend]
    for dt in dtypes or b.dtypes:
        check = f"placement:dtype[{dt}]"
        if isinstance(s := _start(name, backend, check), list):
            out += s
            continue
        case, record = s.case, s.record
        options = case.options[0]
        raw = draw_inputs(case, np.random.default_rng(seed), _SHAPE, options)
        problems, worst = [], 0.0
        try:
            x = to_backend(b, raw, dt)
        except Exception as e:  # noqa: BLE001 - e.g. a dtype this build lacks
            out.append(skipped(name, backend, check, f"cannot create {dt}: {e}"))
            continue
        # The inputs as the loss sees them (rounded to dt), back in float64, for the oracle.
        seen = {k: (b.to_numpy(v) if is_float(raw[k]) else raw[k]) for k, v in x.items()}
        for reduction in ("mean", "none"):
            try:
                r = call_loss(record, x, options, reduction=reduction)
            except Exception as e:  # noqa: BLE001
                problems.append(f"[{reduction}] {_err(e)}")
                continue
            pred_dtype = x[record.inputs[0]].dtype
            if r.dtype != pred_dtype:
                problems.append(f"[{reduction}] result dtype {r.dtype}, pred dtype {pred_dtype}")
                continue
            with np.errstate(all="ignore"):
                want = oracle_reduce(case, seen, options, reduction)
            err = rel_err(b.to_numpy(r), want, floor=1e-3)
            worst = max(worst, err)
            if not err <= _DTYPE_RTOL[dt]:
                problems.append(
                    f"[{reduction}] {b.to_numpy(r).ravel()[:4]} vs oracle {np.ravel(want)[:4]} (err {err:.3g})"
                )
        out += _result(name, backend, check, problems, worst)
    return out


def check_device(name: str, backend: str, device: Any = None, *, seed: int = 0) -> list[CheckResult]:
    """Inputs on a non-default device give a result on that device (array-api-strict's
    ``Device("device1")``, torch CUDA), for values and, on torch, gradients.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : str
        Backend name.
    device : object, optional
        Device to place the inputs on (default: ``Backend.alternate_device()``).
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        Skipped results (with the reason) when the backend is missing.
    """
    check = "placement:device"
    if isinstance(s := _start(name, backend, check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    device = device if device is not None else b.alternate_device()
    if device is None:
        return [skipped(name, backend, check, f"{backend} has no second device here")]
    options = case.options[0]
    raw = draw_inputs(case, np.random.default_rng(seed), _SHAPE, options)
    problems = []
    try:
        x = to_backend(b, raw, "float32", device=device)
        sw = b.asarray(np.full(oracle_none(case, raw, options).shape, 0.5), "float32", device=device)
    except Exception as e:  # noqa: BLE001
        return [failed(name, backend, check, f"could not create inputs: {e}")]
    worst = 0.0
    for reduction in ("mean", "sum", "none"):
        for w in (None, sw):
            try:
                r = call_loss(record, x, options, reduction=reduction, sample_weight=w)
            except Exception as e:  # noqa: BLE001
                problems.append(f"[{reduction}] {_err(e)}")
                continue
            if r.device != device:
                problems.append(
                    f"[{reduction}{' weighted' if w is not None else ''}] result on {r.device}, inputs on {device}"
                )
                continue
            want = oracle_reduce(
                case,
                {k: (b.to_numpy(v) if is_float(raw[k]) else raw[k]) for k, v in x.items()},
                options,
                reduction,
                None if w is None else np.full(sw.shape, 0.5),
            )
            err = rel_err(b.to_numpy(r), want, floor=1e-3)
            worst = max(worst, err)
            if not err <= _DTYPE_RTOL["float32"]:
                problems.append(f"[{reduction}] value {b.to_numpy(r).ravel()[:4]} vs oracle {np.ravel(want)[:4]}")
    return _result(name, backend, check, problems, worst)


class _ComputeForbidden(RuntimeError):
    pass


def _forbidden_scheduler(*args: Any, **kwargs: Any) -> Any:
    raise _ComputeForbidden("a Dask computation ran inside the loss")


def check_dask_lazy(name: str, *, quick: bool = False, seed: int = 0) -> list[CheckResult]:
    """Dask inputs give a lazy Dask result: no computation inside the loss, and ``.compute()``
    equals NumPy's result (every reduction, with ``sample_weight`` and ``where``).

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    quick : bool, default False
        ``"mean"`` plain and ``"none"`` with both ``sample_weight`` and ``where`` (2 of the 9
        calls: every Dask graph costs tens of milliseconds to build).
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        Skipped results (with the reason) when the backend is missing.
    """
    check = "placement:dask-lazy"
    if isinstance(s := _start(name, "dask", check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    import dask  # noqa: PLC0415
    import dask.array as da  # noqa: PLC0415

    npb = BACKENDS["numpy"]
    options = case.options[0]
    rng = np.random.default_rng(seed)
    raw = draw_inputs(case, rng, (4, 6), options)
    shape = oracle_none(case, raw, options).shape
    sw, wh = rng.uniform(0.5, 2.0, shape), rng.random(shape) < 0.7
    problems, worst = [], 0.0
    weightings: tuple[dict[str, np.ndarray], ...] = ({}, {"sample_weight": sw}, {"sample_weight": sw, "where": wh})
    quick_calls = (("mean", weightings[0]), ("none", weightings[2]))
    full_calls = tuple((r, w) for r in ("mean", "sum", "none") for w in weightings)
    for reduction, kw_np in quick_calls if quick else full_calls:
        label = f"[{reduction} {'+'.join(kw_np) or 'plain'}]"
        x = to_backend(b, raw, "float64")
        kw = {k: da.from_array(v, chunks=tuple(max(1, s // 2) for s in v.shape)) for k, v in kw_np.items()}
        try:
            # Any compute (a hidden bool(), float(), .compute()) hits the raising scheduler.
            with dask.config.set(scheduler=_forbidden_scheduler):
                r = call_loss(record, x, options, reduction=reduction, **kw)
        except _ComputeForbidden:
            problems.append(f"{label} computed eagerly inside the loss")
            continue
        except Exception as e:  # noqa: BLE001
            problems.append(f"{label} {_err(e)}")
            continue
        if not isinstance(r, da.Array):
            problems.append(f"{label} result is a {type(r).__name__}, not a lazy dask array")
            continue
        try:
            got = np.asarray(r.compute(scheduler="sync"), dtype=np.float64)
            want = npb.to_numpy(
                call_loss(record, to_backend(npb, raw, "float64"), options, reduction=reduction, **kw_np)
            )
        except Exception as e:  # noqa: BLE001
            problems.append(f"{label} compute: {_err(e)}")
            continue
        err = rel_err(got, want)
        worst = max(worst, err)
        if not err <= _EAGER_RTOL:
            problems.append(f"{label} dask {got.ravel()[:4]} vs numpy {want.ravel()[:4]}")
    return _result(name, "dask", check, problems, worst)


# -- native fast paths ----------------------------------------------------------------------


def check_native(name: str, backend: str = "torch", *, seed: int = 0) -> list[CheckResult]:
    """A native fast path and the generic path agree (values, every reduction; gradients).

    Every option set of the case. Fails when the loss has a fast path that none of the
    tested configurations actually takes (the comparison would then prove nothing). Gradients,
    and the edge points (compared by gradient), only on a backend with autodiff: NumPy's fast
    paths are compared on values.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : str, default "torch"
        Backend whose fast path is compared.
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        Skipped results (with the reason) when the backend is missing.
    """
    from .. import _native  # noqa: PLC0415

    check = "native-vs-generic"
    if backend not in _native.native_backends(name):
        return [skipped(name, backend, check, f"no {backend} fast path")]
    if isinstance(s := _start(name, backend, check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    rng = np.random.default_rng(seed)
    problems, worst, engaged = [], 0.0, False
    fast = _native._FAST[(name, backend)]
    for options in case.options:
        raw = draw_inputs(case, rng, _SHAPE, options)
        x = to_backend(b, raw, "float64")
        axis = inspect.signature(record.fn).parameters.get("axis")
        full = {
            **dict(record.options),
            **({} if axis is None else {"axis": axis.default}),
            **backend_options(b, options),
        }
        try:
            engaged |= (
                fast(*_positional(record, x), **full, sample_weight=None, where=None, reduction="mean")
                is not NotImplemented
            )
        except Exception as e:  # noqa: BLE001
            problems.append(f"[{dict(options)}] fast path {_err(e)}")
            continue
        for reduction in ("mean", "sum", "none"):
            try:
                with _native.native(True):
                    on = b.to_numpy(call_loss(record, x, options, reduction=reduction))
                with _native.native(False):
                    off = b.to_numpy(call_loss(record, x, options, reduction=reduction))
            except Exception as e:  # noqa: BLE001
                problems.append(f"[{dict(options)} {reduction}] {_err(e)}")
                continue
            err = rel_err(on, off)
            worst = max(worst, err)
            if not err <= _EAGER_RTOL:
                problems.append(f"[{dict(options)} {reduction}] native {on.ravel()[:4]} vs generic {off.ravel()[:4]}")
        for reduction in ("mean", "sum") if b.differentiable else ():  # NumPy: values only
            try:
                with _native.native(True):
                    gon = backend_grads(b, record, case, raw, options, reduction)
                with _native.native(False):
                    goff = backend_grads(b, record, case, raw, options, reduction)
            except Exception as e:  # noqa: BLE001
                problems.append(f"[{dict(options)} {reduction} grad] {_err(e)}")
                continue
            for n in case.differentiable:
                err = rel_err(gon[n], goff[n], floor=1.0)
                worst = max(worst, err)
                if not err <= _EAGER_RTOL:
                    problems.append(
                        f"[{dict(options)} {reduction}] d/d{n}: native {gon[n].ravel()[:4]} "
                        f"vs generic {goff[n].ravel()[:4]}"
                    )
    # Edge points too: kinks and extremes are where native kernels and the generic path most
    # often differ. Without autodiff (NumPy) their values are compared, every reduction.
    for edge in () if b.differentiable else case.edges:
        x = to_backend(b, edge_inputs(edge), "float64")
        for reduction in ("none", "mean", "sum"):
            try:
                with _native.native(True):
                    on = b.to_numpy(call_loss(record, x, edge.options, reduction=reduction))
                with _native.native(False):
                    off = b.to_numpy(call_loss(record, x, edge.options, reduction=reduction))
            except Exception as e:  # noqa: BLE001
                problems.append(f"[edge {edge.label!r} {reduction}] {_err(e)}")
                continue
            err = rel_err(on, off)
            worst = max(worst, err)
            if not err <= _EAGER_RTOL:
                label = f"[edge {edge.label!r} {reduction}]"
                problems.append(f"{label} native {on.ravel()[:4]} vs generic {off.ravel()[:4]}")
    for edge in case.edges if b.differentiable else ():
        raw = edge_inputs(edge)
        try:
            with _native.native(True):
                gon = backend_grads(b, record, case, raw, edge.options, "mean")
            with _native.native(False):
                goff = backend_grads(b, record, case, raw, edge.options, "mean")
        except Exception as e:  # noqa: BLE001
            problems.append(f"[edge {edge.label!r}] {_err(e)}")
            continue
        for n in case.differentiable:
            same = (gon[n] == goff[n]) | (np.isnan(gon[n]) & np.isnan(goff[n]))
            if not np.all(same | (np.abs(gon[n] - goff[n]) <= 1e-12 * np.maximum(1.0, np.abs(goff[n])))):
                problems.append(f"[edge {edge.label!r}] d/d{n}: native {gon[n]} vs generic {goff[n]}")
    if not engaged:
        problems.append("the fast path declined every tested configuration (NotImplemented): nothing was compared")
    return _result(name, backend, check, problems, worst)


#: name -> callable(loss name) -> results; the per-loss torch/JAX transform checks in one place.
TRANSFORMS: dict[str, Callable[..., list[CheckResult]]] = {
    "jax": check_jax_transforms,
    "torch.compile": check_torch_compile,
    "torch.func": check_torch_func,
}
