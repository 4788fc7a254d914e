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
        "float64 mean/none/weighted-sum on two shapes, float32 mean) and at the edge points, "
        "gradients against finite differences and at the edges, native fast paths against the "
        "generic formula, one jax.jit/vmap/grad, torch.func and torch.compile loss per family, "
        "each counterpart library once. The edge points of a loss, and its value checks, are "
        "evaluated as one batch (one jitted program on JAX). Whole catalog on 2 CPU cores: about "
        "15 s for NumPy (counterparts included), 2 s for array-api-strict, 16 s for torch, 70 s "
        "for Dask (building task graphs) and 150 s for JAX (XLA compilations), 4.5 minutes with "
        "all five"
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
        return vc.check_values_many(case, backend, configs, rng) + vc.check_edges(case, backend, "float64")
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

    out = tc.check_namespace(name, backend)
    if not quick:  # quick mode: the value checks already verify the result dtype
        out += tc.check_dtypes(name, backend)
    if BACKENDS[backend].alternate_device() is not None:
        out += tc.check_device(name, backend)
    if backend == "dask":
        out += tc.check_dask_lazy(name, quick=quick)
    return out


def run_matrix(
    backends: Sequence[str | Backend] | None = None,
    losses: Sequence[str] | None = None,
    quick: bool = True,
    progress: Progress | None = None,
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

    Returns
    -------
    list of CheckResult
        Every check; a loss without a conformance case gives a failing ``"case"`` result.
    """
    from .._catalog import lookup  # noqa: PLC0415
    from .grad_checks import check_gradient_agreement  # noqa: PLC0415
    from .preamble import load_cases  # noqa: PLC0415

    names = _loss_names(losses)
    bks = _select_backends(backends)
    cases = load_cases()
    total = len(names) * len(bks)
    done = 0
    results: list[CheckResult] = []
    diff_names = {b.name for b in bks if b.differentiable and b.available()}
    traced = _traced(names) if quick else set(names)
    for name in names:
        record = lookup(name)
        case = cases.get(name)
        for b in bks:
            label = f"{name} on {b.name}"
            if not b.available():
                results.append(skipped(name, b.name, "backend", b.unavailable_reason()))
            elif case is None:
                results.append(_missing_case(name, b.name))
            else:
                rng = np.random.default_rng(zlib.crc32(f"{name}/{b.name}".encode()))  # stable across runs
                cell: list[CheckResult] = []
                parts: list[tuple[Callable[..., list[CheckResult]], tuple[Any, ...]]] = [
                    (_value_cell, (case, b, quick, rng)),
                    (_placement_cell, (name, b.name, quick)),
                    (_transform_cell, (name, b.name, quick, name in traced)),
                ]
                if b.differentiable:
                    parts.insert(2, (_grad_cell, (name, b.name, quick)))
                for fn, args in parts:
                    try:
                        cell += fn(*args)
                    except Exception as e:  # noqa: BLE001 - one broken check must not stop the matrix
                        cell.append(failed(name, b.name, "internal", f"check machinery raised {type(e).__name__}: {e}"))
                if b.name == "numpy":  # counterparts compare lossapi-on-NumPy with each library
                    cell += _counterpart_cell(case, record, quick)
                results += cell
            done += 1
            if progress is not None:
                progress(done, total, label)
        if not quick and case is not None and {"torch", "jax"} <= diff_names:
            results += check_gradient_agreement(name, quick=quick)
    return results


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
