"""The loss x backend conformance matrix behind ``lossapi check``.

:func:`run_matrix` runs, for every selected catalog loss on every selected backend, the value
checks (``value_checks``: oracle values, edge points, native counterparts), placement checks
(namespace, dtype, device, Dask laziness), and on torch/JAX the gradient, second-derivative,
transform and native-fast-path checks. :func:`summarize` folds the results into one row per
(loss, backend).

``quick=True`` (the CLI default) is a smoke test of every loss on every backend (see
:data:`MODES`); ``quick=False`` is the full matrix the conformance suite also runs.
"""

from __future__ import annotations

import importlib
import math
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .backends import BACKENDS, Backend, available_backends
from .preamble import failed, skipped
from .result import CheckResult

__all__ = ["MODES", "SummaryRow", "run_matrix", "summarize"]

#: What each mode of ``lossapi check`` covers (the CLI's ``--help`` prints this).
MODES = {
    "quick": (
        "every loss on every installed backend: values against the oracle (first option set; "
        "float64 mean/none/weighted-sum on two shapes, float32 mean) and at its first four "
        'edge points (reduction "none"), gradients against finite differences and at those '
        "edge points, the "
        "result's namespace, native fast paths against the generic formula, one "
        "jax.jit/vmap/grad, torch.func and torch.compile loss per family, each counterpart "
        "library once. On JAX a loss's value checks, edge points and gradients are each one "
        "jitted program, compiled at XLA's lowest optimisation level unless XLA_FLAGS is set; "
        "the cells run in worker processes (--jobs). Whole catalog on 2 CPU cores: about 12 s "
        "for NumPy (counterparts included), 2 s for array-api-strict, 18 s for torch, 18 s for "
        "Dask (building task graphs) and 36 s for JAX (XLA compilations), 66 s with all five"
    ),
    "full": (
        "adds every option set, dtype, reduction, weighting and shape, second derivatives, "
        "masked and zero-weight gradients, every loss traced by jax.jit/vmap, torch.func and "
        "torch.compile, every counterpart option set and torch-vs-JAX gradient agreement; about "
        "half an hour with every CPU backend"
    ),
}

#: ``progress(done, total, label)``: called after each (loss, backend) cell.
Progress = Callable[[int, int, str], None]

#: The quick mode's value checks: (dtype, reduction, weighting, shape).
_QUICK_VALUES: tuple[tuple[str, str, str, Any], ...] = (
    ("float64", "mean", "none", (3, 4)),
    ("float64", "none", "none", (3, 4)),
    ("float64", "sum", "sample_weight", (2, 3, 4)),
    ("float32", "mean", "none", (3, 4)),
)
_FULL_SHAPES: tuple[Any, ...] = ((3, 4), (1,), (2, 3, 4), ((3, 4), (1, 4)))


class SummaryRow(NamedTuple):
    """One (loss, backend) cell of the matrix.

    Attributes
    ----------
    loss, backend : str
        The cell.
    worst_value_error : float
        Worst relative error of the value checks (oracle values, edges, counterparts); NaN if
        none ran.
    gradients : str
        ``"ok"``, ``"FAIL"``, or ``"n/a"`` (backend without autodiff / no gradient check ran).
    ok : bool
        Every non-skipped check of the cell passed.
    """

    loss: str
    backend: str
    worst_value_error: float
    gradients: str
    ok: bool


def _value_checks() -> Any:
    # Lazy: the value-check module pulls in the oracles and counterpart tables.
    return importlib.import_module(f"{__package__}.value_checks")


def _loss_names(losses: Iterable[str] | None) -> list[str]:
    from .._catalog import catalog, lookup  # noqa: PLC0415

    if losses is None:
        return [r.name for r in catalog()]
    return [lookup(n).name for n in losses]


def _select_backends(backends: Iterable[str | Backend] | None) -> list[Backend]:
    if backends is None:
        return available_backends()
    out = []
    for b in backends:
        out.append(b if isinstance(b, Backend) else BACKENDS[b])
    return out


def _missing_case(name: str, backend: str) -> CheckResult:
    return failed(name, backend, "case", f"loss {name!r} has no conformance case (lossapi._conformance.CASES)")


def _value_cell(case: Any, backend: Backend, quick: bool, rng: np.random.Generator) -> list[CheckResult]:
    vc = _value_checks()
    out: list[CheckResult] = []
    if quick:
        configs = [(d, case.options[0], r, w, s) for d, r, w, s in _QUICK_VALUES if d in backend.dtypes]
        return vc.check_values_many(case, backend, configs, rng) + vc.check_edges(case, backend, "float64", quick=True)
    for dtype in backend.dtypes:
        for options in case.options:
            configs = [
                (dtype, options, reduction, weighting, shape)
                for reduction in ("mean", "sum", "none")
                for weighting in vc.WEIGHTINGS
                if not (weighting == "zero_weights" and reduction == "none")
                for shape in _FULL_SHAPES
            ]
            out += vc.check_values_many(case, backend, configs, rng)
        out += vc.check_edges(case, backend, dtype)
    return out


def _counterpart_cell(case: Any, record: Any, quick: bool) -> list[CheckResult]:
    vc = _value_checks()
    out: list[CheckResult] = []
    options_sets = case.options[:1] if quick else case.options
    for library in record.counterparts:
        for options in options_sets:
            for reduction in ("mean",) if quick else ("mean", "sum", "none"):
                for weighted in (False,) if quick else (False, True):
                    out.append(vc.check_counterpart(case, library, options, reduction, weighted=weighted))
    return out


def _grad_cell(name: str, backend: str, quick: bool) -> list[CheckResult]:
    from . import grad_checks as gc  # noqa: PLC0415

    out = gc.check_gradients(name, backend, quick=quick)
    out += gc.check_edge_gradients(name, backend, quick=quick)
    if quick:
        return out
    out += gc.check_masked_gradients(name, backend)
    out += gc.check_zero_weight_gradients(name, backend)
    out += gc.check_second_derivatives(name, backend)
    return out


def _transform_cell(name: str, backend: str, quick: bool, traced: bool = True) -> list[CheckResult]:
    """Tracing checks (``traced``: every loss in the full mode, one per family in the quick one)
    and every native fast path of the backend against the generic formula."""
    from .. import _native  # noqa: PLC0415
    from . import transform_checks as tc  # noqa: PLC0415

    out: list[CheckResult] = []
    if backend in _native.native_backends(name):
        out += tc.check_native(name, backend)
    if backend == "jax" and traced:
        out += tc.check_jax_transforms(name, quick=quick)
    if backend == "torch":
        if traced:
            modes = tc.native_modes(name)
            for native in modes[:1] if quick else modes:
                out += tc.check_torch_func(name, native=native, quick=quick)
                out += tc.check_torch_compile(name, native=native)
    return out


def _traced(names: Sequence[str]) -> set[str]:
    """The losses the quick mode traces: the first selected loss of each family."""
    from .._catalog import lookup  # noqa: PLC0415

    first: dict[str, str] = {}
    for n in names:
        first.setdefault(lookup(n).family, n)
    return set(first.values())


def _placement_cell(name: str, backend: str, quick: bool) -> list[CheckResult]:
    from . import transform_checks as tc  # noqa: PLC0415

    out = tc.check_namespace(name, backend, traced=quick)
    if not quick:  # quick mode: the value checks already verify the result dtype
        out += tc.check_dtypes(name, backend)
    if BACKENDS[backend].alternate_device() is not None:
        out += tc.check_device(name, backend)
    if backend == "dask":
        out += tc.check_dask_lazy(name, quick=quick)
    return out


def _loss_row(
    name: str, bks: Sequence[Backend], quick: bool, traced: bool, tick: Callable[[str], None] | None = None
) -> list[CheckResult]:
    """Every check of one loss on every backend of ``bks`` (one row of the matrix);
    ``tick(label)`` after each backend."""
    from .._catalog import lookup  # noqa: PLC0415
    from .grad_checks import check_gradient_agreement  # noqa: PLC0415
    from .preamble import load_cases  # noqa: PLC0415

    record = lookup(name)
    case = load_cases().get(name)
    results: list[CheckResult] = []
    for b in bks:
        results += _cell(name, b, case, record, quick, traced)
        if tick is not None:
            tick(f"{name} on {b.name}")
    diff_names = {b.name for b in bks if b.differentiable and b.available()}
    if not quick and case is not None and {"torch", "jax"} <= diff_names:
        results += check_gradient_agreement(name, quick=quick)
    return results


def _cell(name: str, b: Backend, case: Any, record: Any, quick: bool, traced: bool) -> list[CheckResult]:
    """Every check of one loss on one backend (one cell of the matrix)."""
    if not b.available():
        return [skipped(name, b.name, "backend", b.unavailable_reason())]
    if case is None:
        return [_missing_case(name, b.name)]
    results: list[CheckResult] = []
    rng = np.random.default_rng(zlib.crc32(f"{name}/{b.name}".encode()))  # stable across runs
    parts: list[tuple[Callable[..., list[CheckResult]], tuple[Any, ...]]] = [
        (_value_cell, (case, b, quick, rng)),
        (_placement_cell, (name, b.name, quick)),
        (_transform_cell, (name, b.name, quick, traced)),
    ]
    if b.differentiable:
        parts.insert(2, (_grad_cell, (name, b.name, quick)))
    for fn, args in parts:
        try:
            results += fn(*args)
        except Exception as e:  # noqa: BLE001 - one broken check must not stop the matrix
            results.append(failed(name, b.name, "internal", f"check machinery raised {type(e).__name__}: {e}"))
    if b.name == "numpy":  # counterparts compare lossapi-on-NumPy with each library
        results += _counterpart_cell(case, record, quick)
    return results


#: In a worker process: the queue that reports each finished cell to the parent.
_TICKS: Any = None


def _worker_task(
    names: Sequence[str], backends: Sequence[str], quick: bool, traced: set[str]
) -> list[tuple[str, list[CheckResult]]]:
    # Runs in a worker process: backends travel by name.
    bks = [BACKENDS[b] for b in backends]
    return [(n, _loss_row(n, bks, quick, n in traced, _TICKS.put)) for n in names]


def compile_settings() -> dict[str, str]:
    """Environment variables that make the checks' JAX compilations cheaper, for a process
    that has not imported JAX yet; empty where the user set ``XLA_FLAGS``.

    The checks compile thousands of tiny programs (eager JAX compiles every operation once per
    shape and dtype): XLA's CPU code generation at optimisation level 0 and with its loop
    emitters rather than its fusion emitters compiles them in about two thirds of the time. XLA's
    graph passes (fusion, simplification) still run; the conformance suite runs this way too.
    A jaxlib before 0.5 does not know the emitter flag (an unknown flag aborts the process).
    """
    from importlib import metadata  # noqa: PLC0415

    if "XLA_FLAGS" in os.environ:
        return {}
    flags = "--xla_backend_optimization_level=0"
    try:
        major, minor = (int(p) for p in metadata.version("jaxlib").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return {"XLA_FLAGS": flags}
    return {"XLA_FLAGS": flags + (" --xla_cpu_use_fusion_emitters=false" if (major, minor) >= (0, 5) else "")}


def _worker_init(env: dict[str, str], ticks: Any) -> None:
    import signal  # noqa: PLC0415
    import warnings  # noqa: PLC0415

    global _TICKS
    _TICKS = ticks
    os.environ.update(env)  # before the worker imports JAX
    # Ctrl-C reaches the whole process group: the parent alone handles it (and stops the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Workers report through the parent; their own warnings would interleave with its bar.
    warnings.simplefilter("ignore")


#: Backends whose cells a worker checks together in the quick mode: NumPy's counterpart
#: libraries are imported, and torch.compile warms up, once (seconds each); their cells are short.
_TOGETHER = ("torch", "numpy", "array_api_strict")
#: Families whose losses loop over time steps in Python (CTC's recursion): their JAX and Dask
#: cells take several seconds, so they start first rather than hold up the end of the run.
_LONG_FAMILIES = ("sequence",)


def _parallel(
    names: Sequence[str],
    bks: Sequence[Backend],
    quick: bool,
    traced: set[str],
    jobs: int,
    tick: Callable[[str], None],
) -> list[CheckResult]:
    """The matrix on ``jobs`` worker processes, started fresh (forking a process that has
    imported JAX or torch is unsafe), results in the matrix's order.

    Quick mode: the cells of each backend of :data:`_TOGETHER` are one task, started first;
    every JAX, Dask and CuPy cell is a task of its own, so that they share out the rest (the
    longest, CTC on JAX or Dask, take seconds). Full mode: one task per loss, whose backends
    share the finite differences and the torch-vs-JAX gradient agreement.
    """
    import concurrent.futures as cf  # noqa: PLC0415
    import multiprocessing  # noqa: PLC0415
    import queue  # noqa: PLC0415

    from .._catalog import lookup  # noqa: PLC0415

    by_name = [b.name for b in bks]
    tasks: list[tuple[tuple[str, ...], tuple[str, ...]]]
    if quick:
        tasks = [(tuple(names), (b,)) for b in _TOGETHER if b in by_name]
        alone = [b for b in by_name if b not in _TOGETHER]
        long = [n for n in names if lookup(n).family in _LONG_FAMILIES]
        tasks += [((n,), (b,)) for n in long for b in alone]
        tasks += [((n,), (b,)) for b in alone for n in names if n not in long]
    else:
        tasks = [((n,), tuple(by_name)) for n in names]
    ctx = multiprocessing.get_context("spawn")
    ticks = ctx.Queue()
    env = {**compile_settings(), "JAX_ENABLE_X64": "1"}
    done: dict[tuple[str, str], list[CheckResult]] = {}
    cells = 0
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init, initargs=(env, ticks))
    try:
        pending = {pool.submit(_worker_task, ns, bs, quick, traced): (ns, bs) for ns, bs in tasks}
        while pending:
            try:
                tick(ticks.get(timeout=0.2))
                cells += 1
                continue
            except queue.Empty:
                pass
            for fut in [f for f in pending if f.done()]:
                ns, bs = pending.pop(fut)
                try:
                    rows = fut.result()
                except Exception as e:  # noqa: BLE001 - a worker that died fails its cells, not the run
                    why = (
                        f"a worker process stopped ({e}): a crash, or a script that starts the check "
                        "outside `if __name__ == '__main__':` (workers import it again); jobs=1 runs "
                        "in this process"
                        if isinstance(e, cf.process.BrokenProcessPool)
                        else f"worker process raised {type(e).__name__}: {e}"
                    )
                    rows = [(n, [failed(n, b, "internal", why) for b in bs]) for n in ns]
                for n, results in rows:
                    done[(n, bs[0] if quick else "")] = results
    except BaseException:
        # Ctrl-C (or an error here): stop the workers now rather than wait for their tasks.
        # (The executor has no public way to stop them before Python 3.14.)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    while cells < len(names) * len(bks):  # the ticks still queued (the workers have exited)
        try:
            label = ticks.get(timeout=0.2)
        except queue.Empty:
            break
        tick(label)
        cells += 1
    for _ in range(cells, len(names) * len(bks)):  # lost with a worker that died
        tick("")
    keys = [(n, b) for n in names for b in by_name] if quick else [(n, "") for n in names]
    return [r for key in keys for r in done[key]]


def default_jobs(backends: Sequence[str], n_losses: int) -> int:
    """Worker processes for ``lossapi check``: one per core (at most 4: each imports every
    backend) when a backend that compiles or builds graphs (torch, JAX, Dask, CuPy) is
    checked on several losses; else 1 (NumPy and array-api-strict finish in seconds, less
    than a worker takes to start)."""
    heavy = set(backends) - {"numpy", "array_api_strict"}
    if not heavy or n_losses < 4:
        return 1
    return max(1, min(4, os.cpu_count() or 1, n_losses))


def run_matrix(
    backends: Sequence[str | Backend] | None = None,
    losses: Sequence[str] | None = None,
    quick: bool = True,
    progress: Progress | None = None,
    jobs: int = 1,
) -> list[CheckResult]:
    """Run the conformance checks for ``losses`` x ``backends``.

    Parameters
    ----------
    backends : sequence of str or Backend, optional
        Backend names ("numpy", "array_api_strict", "torch", "jax", "dask", "cupy"); default:
        every installed one. A backend that is not available gives skipped results with the
        reason.
    losses : sequence of str, optional
        Catalog names or aliases; default: the whole catalog.
    quick : bool, default True
        The smoke test of :data:`MODES` ``["quick"]``; False: the full matrix.
    progress : callable, optional
        ``progress(done, total, label)`` after each (loss, backend) cell, for a progress bar.
    jobs : int, default 1
        Worker processes (:func:`default_jobs` is the CLI's choice); the results, in the
        matrix's order, are the same as with 1. With ``jobs > 1`` the checks
        run in fresh interpreters: state set in this process (``lossapi.native(False)``, a
        patched loss) does not reach them, and backends must be given by name.

    Returns
    -------
    list of CheckResult
        Every check; a loss without a conformance case gives a failing ``"case"`` result.
    """
    names = _loss_names(losses)
    bks = _select_backends(backends)
    total = len(names) * len(bks)
    traced = _traced(names) if quick else set(names)
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label)

    if jobs > 1 and len(names) * len(bks) > 1 and all(BACKENDS.get(b.name) == b for b in bks):
        return _parallel(names, bks, quick, traced, jobs, tick)
    return [r for name in names for r in _loss_row(name, bks, quick, name in traced, tick)]


def _is_value(check: str) -> bool:
    return check.startswith(("values", "edge:", "counterpart:"))


def _is_grad(check: str) -> bool:
    return check.startswith(("gradients", "second-derivatives"))


def summarize(results: Iterable[CheckResult]) -> list[SummaryRow]:
    """One :class:`SummaryRow` per (loss, backend), in first-seen order.

    Cross-backend results (backend ``"torch+jax"``) fold into both the torch and the JAX rows.
    """
    cells: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        for b in r.backend.split("+") if "+" in r.backend else [r.backend]:
            cells.setdefault((r.loss, b), []).append(r)
    rows = []
    for (loss, backend), rs in cells.items():
        ran = [r for r in rs if not r.skipped]
        vals = [r.worst for r in ran if _is_value(r.check) and not math.isnan(r.worst)]
        grads = [r for r in ran if _is_grad(r.check)]
        rows.append(
            SummaryRow(
                loss=loss,
                backend=backend,
                worst_value_error=max(vals) if vals else float("nan"),
                gradients="n/a" if not grads else ("ok" if all(r.ok for r in grads) else "FAIL"),
                ok=all(r.ok for r in ran),
            )
        )
    return rows
