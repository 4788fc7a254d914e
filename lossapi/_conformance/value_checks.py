"""Value checks: lossapi against the float64 oracles, at edge points, and against native libraries.

Every check returns a :class:`~lossapi._conformance.result.CheckResult`; none raises on a
mismatch (exceptions from the loss are reported as failures with the message).

Tolerances are dtype-aware. Inputs are cast to the tested dtype first and the oracle is
evaluated on the *rounded* inputs (read back as float64), so the tolerance only has to cover
the loss's own arithmetic in that dtype, not the rounding of its inputs.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypedDict, cast

import numpy as np

from .backends import Backend, Call
from .cases import QUICK_EDGES, Case, loss_options, poison, reference_reduce
from .preamble import get_record, skipped
from .result import CheckResult

__all__ = [
    "RTOL",
    "WEIGHTINGS",
    "check_counterpart",
    "check_edges",
    "check_values",
    "check_values_many",
    "compare",
]

#: Relative tolerance per dtype (float16/bfloat16 are computed in float32, then rounded).
RTOL: dict[str, float] = {"float64": 1e-10, "float32": 2e-5, "float16": 1e-2, "bfloat16": 5e-2}

#: Weighting modes of :func:`check_values`.
WEIGHTINGS = ("none", "sample_weight", "where", "zero_weights")

Shape = tuple[int, ...]


class _Id(TypedDict):
    """The fields that name a check, shared by every :class:`CheckResult` it returns."""

    loss: str
    backend: str
    check: str


def _loss_fn(name: str) -> Any:
    import lossapi

    return getattr(lossapi, name)


def compare(
    got: np.ndarray, want: np.ndarray, rtol: float, scale: np.ndarray | float | None = None, atol: float = 0.0
) -> tuple[bool, float, str]:
    """Compare ``got`` to ``want`` elementwise.

    Parameters
    ----------
    got, want : ndarray
        Values (float64).
    rtol : float
        Relative tolerance; the absolute tolerance is ``rtol * scale``.
    scale : ndarray or float, optional
        Magnitude of the terms that produced ``want`` (guards against cancellation, e.g. a
        mean of losses of both signs); defaults to ``|want|``.
    atol : float
        Extra absolute tolerance (underflow of tiny values in 16-bit dtypes, cancellation
        in entries much smaller than the typical loss).

    Returns
    -------
    (bool, float, str)
        Whether all entries agree, the worst relative error, and a description of the worst
        entry when they do not.
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False, float("inf"), f"shape {got.shape} != expected {want.shape}"
    if want.size == 0:
        return True, 0.0, ""
    scale = np.abs(want) if scale is None else np.broadcast_to(np.asarray(scale, dtype=np.float64), want.shape)
    # Equal infinities count as equal; any NaN mismatch is an error.
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(same, 0.0, np.abs(got - want))
        tol = rtol * np.maximum(np.abs(want), scale) + atol + 1e-300
        rel = np.where(same, 0.0, err / np.maximum(np.abs(want), np.finfo(np.float64).tiny))
    bad = ~same & ~(err <= tol)  # NaN where NaN is expected: its NaN scale gives a NaN tol
    worst = float(np.nanmax(np.where(np.isnan(rel), np.inf, rel)))
    if not bad.any():
        return True, worst, ""
    i = (
        np.unravel_index(
            int(np.argmax(np.where(bad, np.nan_to_num(err / tol, nan=np.inf, posinf=np.inf), -1.0))), want.shape
        )
        if want.ndim
        else ()
    )
    return (
        False,
        worst,
        f"got {got[i].item()!r}, want {want[i].item()!r} at index {tuple(int(k) for k in i)} (rtol {rtol:g})",
    )


def _call_oracle(case: Case, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], dtype: str) -> np.ndarray:
    # Oracles whose default constants depend on the compute dtype (MAPE's eps) take ``dtype``.
    kw = loss_options(options)
    if "dtype" in inspect.signature(case.oracle).parameters:
        kw["dtype"] = dtype
    with np.errstate(all="ignore"):
        return np.asarray(case.oracle(**inputs, **kw), dtype=np.float64)


def _expected(
    case: Case,
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    dtype: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The oracle's reduced value and the magnitude scale for the tolerance."""
    if case.reduce_oracle is not None:
        want = case.reduce_oracle(dict(inputs), loss_options(options), reduction, sample_weight, where)
        return np.asarray(want, dtype=np.float64), np.abs(want)
    per = _call_oracle(case, inputs, options, dtype)
    want = reference_reduce(per, reduction, sample_weight, where)
    with np.errstate(invalid="ignore"):
        scale = reference_reduce(np.abs(per), reduction, sample_weight, where)
    return np.asarray(want, dtype=np.float64), np.abs(scale)


def _shapes(shape: Shape | Sequence[Shape], n_inputs: int) -> tuple[Shape, list[Shape]]:
    """The broadcast shape and one shape per positional input.

    ``shape`` is either one shape for every input or one per input (missing trailing entries
    take the broadcast shape), e.g. ``((3, 4), (1, 4))`` for a broadcast target.
    """
    if len(shape) and isinstance(shape[0], tuple):
        # The first entry is a shape, so ``shape`` is the one-shape-per-input form.
        per = [tuple(s) for s in cast("Sequence[Shape]", shape)]
        full = tuple(np.broadcast_shapes(*per))
        per += [full] * (n_inputs - len(per))
        return full, per
    full = tuple(shape)
    return full, [full] * n_inputs


def _shrink(a: np.ndarray, shape: Shape) -> np.ndarray:
    # Keep the first entry along every axis the input broadcasts over (shapes right-aligned).
    lead = a.ndim - len(shape)
    idx = (0,) * lead + tuple(slice(0, 1) if s == 1 else slice(None) for s in shape)
    return np.ascontiguousarray(a[idx])


def _atol(case: Case, dtype: str, rtol: float, scale: np.ndarray) -> float:
    """Absolute tolerance: values below the dtype's smallest normal may flush to 0, and, for
    cases that cancel (``case.cancels``), an entry far below the typical loss carries the
    rounding error of that typical size (a deviance of two nearly equal terms)."""
    tiny = 2.0**-14 if dtype == "float16" else (2.0**-126 if dtype in ("float32", "bfloat16") else 2.0**-1022)
    if not case.cancels:
        return tiny
    typical = float(np.mean(scale)) if np.size(scale) and np.all(np.isfinite(scale)) else 0.0
    return tiny + rtol * max(typical, case.term_size)


def _round(backend: Backend, a: np.ndarray, dtype: str) -> np.ndarray:
    """``a`` rounded to ``dtype`` by the backend itself, read back as float64 (integer and
    bool arrays, i.e. labels, are returned unchanged)."""
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return a
    return backend.rounded(np.asarray(a, dtype=np.float64), dtype)


def _dtype_ok(result: Any, dtype: str) -> bool:
    return str(getattr(result, "dtype", "")).split(".")[-1] == dtype


def _call(
    case: Case,
    backend: Backend,
    inputs: Mapping[str, np.ndarray],
    dtype: str,
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None,
    where: np.ndarray | None,
) -> Call:
    """The loss call on ``backend`` arrays: ``(fn, args, kwargs)``."""
    from .grad_checks import backend_options

    arrays = [backend.asarray(v, dtype if np.asarray(v).dtype.kind == "f" else None) for v in inputs.values()]
    kw: dict[str, Any] = backend_options(backend, options, dtype)
    if sample_weight is not None:
        kw["sample_weight"] = backend.asarray(sample_weight, dtype)
    if where is not None:
        kw["where"] = backend.asarray(where, "bool")
    return _loss_fn(case.name), arrays, {"reduction": reduction, **kw}


def check_values(
    case: Case,
    backend: Backend,
    dtype: str,
    options: Mapping[str, Any],
    reduction: str,
    weighting: str,
    shape: Shape | Sequence[Shape],
    rng: np.random.Generator,
) -> CheckResult:
    """lossapi on ``backend`` against the oracle for random valid inputs.

    Parameters
    ----------
    case : Case
        The loss's conformance case.
    backend : Backend
        Array library to run lossapi on.
    dtype : str
        Floating dtype of the inputs ("float64", "float32", "float16", "bfloat16").
    options : mapping
        Loss options.
    reduction : {"mean", "sum", "none"}
        Reduction.
    weighting : {"none", "sample_weight", "where", "zero_weights"}
        ``"sample_weight"``: random positive weights (first axis broadcast when 2-D or more);
        ``"where"``: a random mask whose excluded entries hold NaN/inf in the inputs;
        ``"zero_weights"``: all-zero weights (``"mean"`` and ``"sum"`` must be 0).
    shape : tuple or sequence of tuples
        One shape for every input, or one per input (broadcasting).
    rng : numpy.random.Generator
        Source of the random inputs.

    Returns
    -------
    CheckResult
        ``check`` is ``"values"``.
    """
    return check_values_many(case, backend, [(dtype, options, reduction, weighting, shape)], rng)[0]


#: One configuration of :func:`check_values_many`: ``(dtype, options, reduction, weighting, shape)``.
ValueConfig = tuple[str, Mapping[str, Any], str, str, Any]


class _Prepared(NamedTuple):
    res: _Id
    call: Call
    inputs: dict[str, np.ndarray]
    options: Mapping[str, Any]
    dtype: str
    reduction: str
    weighting: str
    sample_weight: np.ndarray | None
    where: np.ndarray | None


def check_values_many(
    case: Case, backend: Backend, configs: Sequence[ValueConfig], rng: np.random.Generator
) -> list[CheckResult]:
    """:func:`check_values` of every configuration, the loss calls evaluated as one batch
    (:meth:`Backend.call_many`: one compilation on JAX instead of one per operation and shape).

    The inputs are drawn from ``rng`` in the order of ``configs``, so the results equal those of
    :func:`check_values` called on each configuration in turn.
    """
    prepared = [_prepare_values(case, backend, *c, rng) for c in configs]
    results = iter(backend.call_many([p.call for p in prepared if isinstance(p, _Prepared)]))
    return [p if isinstance(p, CheckResult) else _finish_values(case, backend, p, next(results)) for p in prepared]


def _prepare_values(
    case: Case,
    backend: Backend,
    dtype: str,
    options: Mapping[str, Any],
    reduction: str,
    weighting: str,
    shape: Shape | Sequence[Shape],
    rng: np.random.Generator,
) -> _Prepared | CheckResult:
    """The inputs, weights and loss call of one value check (or its skipped result)."""
    label = f"values[{dtype},{reduction},{weighting},{shape},{dict(options)}]"
    res: _Id = {"loss": case.name, "backend": backend.name, "check": label}
    if dtype not in backend.dtypes:
        return skipped(**res, reason=f"{backend.name} has no {dtype}")
    full, _ = _shapes(shape, 0)
    raw = case.make_inputs(rng, full, options)
    _, per = _shapes(shape, len(raw))
    if any(np.ndim(v) != len(full) for v in raw.values()):
        per = [np.shape(v) for v in raw.values()]  # a class axis: inputs are not broadcast
    inputs = {k: _round(backend, _shrink(v, s), dtype) for (k, v), s in zip(raw.items(), per)}
    # Weights and masks take the "none" shape, which the oracle tells: losses that reduce more
    # than a class axis (per-sample segmentation, per-list ranking) map ``shape`` to their own.
    none = _call_oracle(case, inputs, options, dtype).shape

    sample_weight = where = None
    if weighting == "sample_weight":
        wshape = (1, *none[1:]) if len(none) >= 2 else none
        sample_weight = _round(backend, rng.uniform(0.1, 2.0, wshape), dtype)
    elif weighting == "zero_weights":
        sample_weight = np.zeros(none)
    elif weighting == "where":
        where = rng.random(none) < 0.7
    elif weighting != "none":
        raise ValueError(f"unknown weighting {weighting!r}")

    # Excluded entries of every input hold NaN/inf (or out-of-range labels).
    sent = dict(inputs) if where is None else poison(inputs, where, options)
    call = _call(case, backend, sent, dtype, options, reduction, sample_weight, where)
    return _Prepared(res, call, inputs, options, dtype, reduction, weighting, sample_weight, where)


def _finish_values(case: Case, backend: Backend, p: _Prepared, out: Any) -> CheckResult:
    """One value check's verdict from the loss's result (or the exception it raised)."""
    res, inputs, options, dtype, reduction = p.res, p.inputs, p.options, p.dtype, p.reduction
    try:
        if isinstance(out, Exception):
            raise out
        got = backend.to_numpy(out)
    except Exception as exc:  # a failing loss is a failed check, reported with its message
        return CheckResult(**res, ok=False, detail=f"{type(exc).__name__}: {exc}")
    want, scale = _expected(case, inputs, options, reduction, dtype, p.sample_weight, p.where)

    if not _dtype_ok(out, dtype):
        return CheckResult(**res, ok=False, detail=f"result dtype {out.dtype} != input dtype {dtype}")
    if not np.all(np.isfinite(got)):
        return CheckResult(**res, ok=False, detail=f"non-finite result {got!r} (want {want!r})")
    if p.weighting == "zero_weights" and not np.any(want):
        # Exactly zero, not merely small: sum(w) == 0 is defined as 0.
        ok = got.shape == want.shape and not np.any(got)
        return CheckResult(
            **res,
            ok=ok,
            worst=0.0 if ok else float("inf"),
            detail="" if ok else f"all-zero weights gave {got!r}, want exactly 0",
        )
    rtol = case.rtol.get(dtype, RTOL[dtype])
    ok, worst, detail = compare(got, want, rtol, scale, _atol(case, dtype, rtol, scale))
    return CheckResult(**res, ok=ok, worst=worst, detail=detail)


def check_edges(case: Case, backend: Backend, dtype: str, *, quick: bool = False) -> list[CheckResult]:
    """lossapi at the case's edge points (kinks, zeros, extremes) against the oracle.

    Each edge is checked with ``reduction="none"`` and ``"mean"``; the value must be finite
    wherever the oracle's is. Edges whose inputs or values do not fit in ``dtype`` (e.g.
    1e20 in float16) are skipped with the reason.

    Parameters
    ----------
    case : Case
        The loss's conformance case.
    backend : Backend
        Array library to run lossapi on.
    dtype : str
        Floating dtype of the inputs.
    quick : bool, default False
        The first :data:`QUICK_EDGES` edges, ``"none"`` only (the value checks cover the
        reductions).

    Returns
    -------
    list of CheckResult
        One per edge point (``check`` is ``"edge:<label>"``).
    """
    out: list[CheckResult] = []
    big = (
        float(np.finfo(np.float16).max)
        if dtype == "float16"
        else (3.0e38 if dtype in ("float32", "bfloat16") else float(np.finfo(np.float64).max))
    )
    reductions = ("none",) if quick else ("none", "mean")
    # Every edge's calls are evaluated together (one compilation on JAX), then compared.
    points: list[tuple[_Id, dict[str, np.ndarray], Mapping[str, Any]] | CheckResult] = []
    calls: list[Call] = []
    for edge in case.edges[:QUICK_EDGES] if quick else case.edges:
        res: _Id = {"loss": case.name, "backend": backend.name, "check": f"edge:{edge.label}[{dtype}]"}
        if dtype not in backend.dtypes:
            points.append(skipped(**res, reason=f"{backend.name} has no {dtype}"))
            continue
        with np.errstate(over="ignore"):  # 1e20 -> inf in float16: such edges are skipped below
            inputs = {k: _round(backend, np.asarray(v), dtype) for k, v in edge.inputs.items()}
        per = _call_oracle(case, inputs, edge.options, dtype)
        if not all(np.all(np.isfinite(v)) for v in inputs.values()) or np.any(np.abs(per) > big / 10):
            points.append(skipped(**res, reason=f"edge values do not fit in {dtype}"))
            continue
        points.append((res, inputs, edge.options))
        calls += [_call(case, backend, inputs, dtype, edge.options, r, None, None) for r in reductions]
    results = iter(backend.call_many(calls))
    for point in points:
        if isinstance(point, CheckResult):
            out.append(point)
            continue
        res, inputs, options = point
        worst, details = 0.0, []
        for reduction in reductions:
            r = next(results)
            try:
                if isinstance(r, Exception):
                    raise r
                got = backend.to_numpy(r)
            except Exception as exc:  # reported, not raised
                details.append(f"{reduction}: {type(exc).__name__}: {exc}")
                continue
            want, scale = _expected(case, inputs, options, reduction, dtype, None, None)
            if np.all(np.isfinite(want)) and not np.all(np.isfinite(got)):
                details.append(f"{reduction}: non-finite {got!r}, want {want!r}")
                continue
            rtol = case.rtol.get(dtype, RTOL[dtype])
            ok, w, d = compare(got, want, rtol, scale, _atol(case, dtype, rtol, scale))
            worst = max(worst, w)
            if not ok:
                details.append(f"{reduction}: {d}")
        out.append(CheckResult(**res, ok=not details, worst=worst, detail="; ".join(details)))
    return out


def check_counterpart(
    case: Case,
    library: str,
    options: Mapping[str, Any],
    reduction: str,
    *,
    weighted: bool = False,
    rng: np.random.Generator | None = None,
) -> CheckResult:
    """lossapi (NumPy, float64) against a native library's function of the same loss.

    Parameters
    ----------
    case : Case
        The loss's conformance case.
    library : str
        "torch", "optax", "keras" or "sklearn" (a key of the record's ``counterparts``).
    options : mapping
        Loss options.
    reduction : {"mean", "sum", "none"}
        Reduction.
    weighted : bool
        Pass random per-sample (row) weights to both.
    rng : numpy.random.Generator, optional
        Source of the inputs (seeded from the loss name when None).

    Returns
    -------
    CheckResult
        ``check`` is ``"counterpart:<library>"``; skipped when the library is missing or the
        mapping does not cover these options/reduction/weights.
    """
    from .counterparts import COUNTERPARTS, library_available

    res: _Id = {
        "loss": case.name,
        "backend": "numpy",
        "check": f"counterpart:{library}[{reduction},{dict(options)},weighted={weighted}]",
    }
    entries = [c for c in COUNTERPARTS.get(case.name, []) if c.library == library]
    if not entries:
        return CheckResult(**res, ok=False, detail=f"no counterpart callable registered for {library}")
    cp = entries[0]
    avail, why = library_available(library)
    if not avail:
        return skipped(**res, reason=why)
    # Predicates see the loss's defaults filled in (keras' Poisson needs log_input=False).
    if not cp.supports({**get_record(case.name).options, **options}, reduction, weighted):
        return skipped(**res, reason=f"the {library} mapping does not cover these options/reduction/weights")
    if rng is None:
        rng = np.random.default_rng(sum(map(ord, case.name + library)))
    shape = (5, 3) if cp.ndim == 2 else (9,)
    inputs = case.make_inputs(rng, shape, options)
    sw = rng.uniform(0.1, 2.0, shape[0]) if weighted else None
    # Samples are rows: lossapi gets the weights broadcast along the row.
    la_sw = None if sw is None else (sw[:, None] if len(shape) == 2 else sw)
    try:
        got = np.asarray(
            _loss_fn(case.name)(*inputs.values(), reduction=reduction, sample_weight=la_sw, **loss_options(options)),
            dtype=np.float64,
        )
    except Exception as exc:  # reported, not raised
        return CheckResult(**res, ok=False, detail=f"lossapi raised {type(exc).__name__}: {exc}")
    try:
        want = np.asarray(cp.fn(inputs, loss_options(options), reduction, sw), dtype=np.float64)
    except Exception as exc:  # a broken mapping must show, not be skipped
        return CheckResult(**res, ok=False, detail=f"{library} raised {type(exc).__name__}: {exc}")
    ok, worst, detail = compare(got, want, cp.rtol)
    return CheckResult(**res, ok=ok, worst=worst, detail=detail)
