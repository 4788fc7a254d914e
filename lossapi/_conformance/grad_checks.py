"""Gradient checks: torch autograd and ``jax.grad`` against finite differences of the oracle.

Every check returns :class:`~lossapi._conformance.result.CheckResult` objects and never raises
for a failing loss (exceptions raised by the loss are reported as failures), so the same
functions serve the pytest suite and ``lossapi check``.

The reference is always the independent float64 oracle of the loss's
:class:`~lossapi._conformance.cases.Case`, reduced with :func:`reference_reduce` (or the case's
``reduce_oracle``), differentiated by central finite differences. At edge points marked
``kink=True`` the loss has no derivative: there each gradient component must lie between the
two one-sided differences, and torch and JAX must agree to 1e-12 (both follow the
minimum-norm-subgradient convention documented in ``lossapi/_ops.py``).

Helpers shared with :mod:`~lossapi._conformance.transform_checks` (input construction, oracle
reduction, error measure) live here too; the case lookup and the checks' common preamble are in
:mod:`~lossapi._conformance.preamble`.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from .backends import BACKENDS, Backend, Call
from .cases import QUICK_EDGES, Case, Edge, expand_mask, loss_options, poison, reference_reduce
from .preamble import Start, failed, get_case, get_record, load_cases, skip_reason, skipped, start
from .result import CheckResult

__all__ = [
    "DIFF_BACKENDS",
    "backend_options",
    "call_loss",
    "check_edge_gradients",
    "check_gradient_agreement",
    "check_gradients",
    "check_masked_gradients",
    "check_second_derivatives",
    "check_zero_weight_gradients",
    "draw_inputs",
    "edge_inputs",
    "get_case",
    "get_record",
    "load_cases",
    "oracle_reduce",
    "rel_err",
    "sharing",
]

#: Backends with automatic differentiation, in the order they are compared.
DIFF_BACKENDS = ("torch", "jax")

#: Shape of the random inputs for gradient checks: small, because every element costs two
#: oracle evaluations per differentiable input.
GRAD_SHAPE = (3, 4)

_FD_RTOL = 1e-5  # central differences in float64, step ~1e-6: error ~1e-10 relative
_FD_FLOOR = 0.1  # error scale floor: 1e-6 absolute on small gradients (FD truncation at C1 seams)
_XB_RTOL = 1e-10  # torch vs JAX away from kinks (different but float64-accurate formulas)
_KINK_XB_TOL = 1e-12  # torch vs JAX at kinks: the same subgradient convention, "exactly"
_HESS_RTOL = 1e-4  # second-order differences are noisy: loose


# -- case / input plumbing ------------------------------------------------------------------------


def _start(name: str, backends: str | tuple[str, ...], check: str, **kw: Any) -> Start | list[CheckResult]:
    """The checks' preamble (:func:`~lossapi._conformance.preamble.start`) on differentiating
    backends, with this module's lookups (which tests may replace)."""
    return start(name, backends, check, differentiable=True, case_of=get_case, record_of=get_record, **kw)


def draw_inputs(
    case: Case, rng: np.random.Generator, shape: tuple[int, ...], options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Random valid float64/int NumPy inputs of ``case`` (copies, so they can be mutated)."""
    return {k: np.array(v) for k, v in case.make_inputs(rng, shape, options).items()}


def is_float(a: np.ndarray) -> bool:
    return np.asarray(a).dtype.kind == "f"


def to_backend(backend: Backend, inputs: Mapping[str, np.ndarray], dtype: str, device: Any = None) -> dict[str, Any]:
    """``inputs`` as arrays of ``backend``: floating ones cast to ``dtype``, others kept."""
    return {k: backend.asarray(v, dtype if is_float(v) else None, device=device) for k, v in inputs.items()}


def backend_options(
    backend: Backend, options: Mapping[str, Any], dtype: str = "float64", device: Any = None
) -> dict[str, Any]:
    """``options`` with NumPy-array values (class weights) converted to ``backend`` arrays
    (floating ones in ``dtype``); other values unchanged."""
    out = loss_options(options)
    for k, v in out.items():
        if isinstance(v, np.ndarray):
            out[k] = backend.asarray(v, dtype if is_float(v) else None, device=device)
    return out


def _options_like(arrays: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Array-valued options converted to the backend, dtype and device of the first float input."""
    if not any(isinstance(v, np.ndarray) for v in options.values()):
        return loss_options(options)
    first = next(a for a in arrays.values() if "float" in str(a.dtype))
    name = str(first.dtype).rsplit(".", 1)[-1]
    import array_api_compat

    for b in BACKENDS.values():
        if b.available() and array_api_compat.array_namespace(first) is b.xp():
            dev = getattr(first, "device", None) if b.name in ("torch", "array_api_strict", "cupy") else None
            return backend_options(b, options, name, device=dev)
    raise TypeError(f"no conformance backend for arrays of type {type(first).__name__}")


def call_loss(record: Any, arrays: Mapping[str, Any], options: Mapping[str, Any], **kw: Any) -> Any:
    """Call the loss with its positional inputs taken from ``arrays`` by name (array-valued
    options are converted to the inputs' backend, dtype and device)."""
    return record.fn(*[arrays[n] for n in record.inputs], **_options_like(arrays, options), **kw)


def oracle_none(case: Case, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> np.ndarray:
    """The oracle's per-element loss (the ``"none"`` shape) in float64."""
    return np.asarray(case.oracle(**inputs, **loss_options(options)), dtype=np.float64)


def oracle_reduce(
    case: Case,
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None = None,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """The reduced float64 oracle value (``reduce_oracle`` when the case has one)."""
    if case.reduce_oracle is not None:
        return np.asarray(
            case.reduce_oracle(inputs, loss_options(options), reduction, sample_weight, where), dtype=np.float64
        )
    return np.asarray(reference_reduce(oracle_none(case, inputs, options), reduction, sample_weight, where))


def rel_err(got: Any, want: Any, floor: float = 1e-12) -> float:
    """Norm-wise relative error ``max|got - want| / max(max|want|, floor)``.

    Equal infinities count as equal, NaN anywhere (unless in both at the same place) or a
    shape mismatch gives ``inf``.
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return float("inf")
    gn, wn = np.isnan(got), np.isnan(want)
    if np.any(gn != wn):
        return float("inf")
    same = (got == want) | (gn & wn)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(same, 0.0, np.abs(got - want))
    if not np.all(np.isfinite(diff)):
        return float("inf")
    fin = want[np.isfinite(want)]
    scale = max(float(np.max(np.abs(fin))) if fin.size else 0.0, floor)
    return float(np.max(diff, initial=0.0) / scale)


def _fail(name: str, backend: str, check: str, exc: BaseException) -> CheckResult:
    tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return failed(name, backend, check, f"raised {tb}")


def _none_shape(case: Case, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> tuple[int, ...]:
    return oracle_none(case, inputs, options).shape


def _reductions(quick: bool) -> tuple[str, ...]:
    return ("mean",) if quick else ("mean", "sum")


def _option_sets(case: Case, quick: bool) -> tuple[Mapping[str, Any], ...]:
    return case.options[:1] if quick else case.options


# -- differentiation --------------------------------------------------------------------------


def _grad_call(
    backend: Backend,
    record: Any,
    case: Case,
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None = None,
    where: np.ndarray | None = None,
) -> tuple[Call, list[str]]:
    """The reduced loss call on ``backend`` float64 arrays, and the inputs to differentiate."""
    names = list(record.inputs)
    arrays = to_backend(backend, inputs, "float64")
    sw = None if sample_weight is None else backend.asarray(sample_weight, "float64")
    wh = None if where is None else backend.asarray(where, "bool")
    kwargs = {**backend_options(backend, options), "reduction": reduction, "sample_weight": sw, "where": wh}
    # An integer/bool value of a differentiable input (an edge with hard labels) has no gradient.
    diff = [n for n in case.differentiable if is_float(inputs[n])]
    return (record.fn, [arrays[n] for n in names], kwargs), diff


def _grad_dict(case: Case, inputs: Mapping[str, np.ndarray], diff: list[str], gs: Any) -> dict[str, np.ndarray]:
    out = {n: np.zeros(np.shape(inputs[n])) for n in case.differentiable}
    out.update(zip(diff, gs))
    return out


def backend_grads(
    backend: Backend,
    record: Any,
    case: Case,
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    reduction: str,
    sample_weight: np.ndarray | None = None,
    where: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Gradients (float64 NumPy) of the reduced loss on ``backend`` w.r.t. ``case.differentiable``."""
    (fn, args, kwargs), diff = _grad_call(backend, record, case, inputs, options, reduction, sample_weight, where)
    names = list(record.inputs)
    gs = backend.grad(functools.partial(fn, **kwargs), args, [names.index(n) for n in diff]) if diff else []
    return _grad_dict(case, inputs, diff, gs)


#: One gradient evaluation: ``(inputs, options, reduction, sample_weight)``.
GradPoint = tuple[Mapping[str, np.ndarray], Mapping[str, Any], str, "np.ndarray | None"]


def _batch_grads(backend: Backend, record: Any, case: Case, points: Sequence[GradPoint]) -> list[Any]:
    """:func:`backend_grads` of every point in one :meth:`Backend.call_many` (one compilation on
    JAX); an entry is the gradient dict or the exception of that point."""
    names = list(record.inputs)
    prepared = [_grad_call(backend, record, case, *p) for p in points]
    todo = [i for i, (_, diff) in enumerate(prepared) if diff]
    got = backend.call_many(
        [prepared[i][0] for i in todo], argnums=[[names.index(n) for n in prepared[i][1]] for i in todo]
    )
    out: list[Any] = [_grad_dict(case, p[0], [], []) for p in points]
    for i, g in zip(todo, got):
        out[i] = g if isinstance(g, Exception) else _grad_dict(case, points[i][0], prepared[i][1], g)
    return out


def _one_grads(backend: Backend, record: Any, case: Case, point: GradPoint) -> Any:
    """:func:`backend_grads` of one point, or the exception it raised."""
    try:
        return backend_grads(backend, record, case, *point)
    except Exception as e:  # noqa: BLE001 - reported by the caller
        return e


def _grads(
    backend: Backend,
    record: Any,
    case: Case,
    points: Sequence[GradPoint],
    keys: Sequence[Hashable],
    *,
    batch: bool = True,
) -> list[Any]:
    """:func:`_batch_grads`, each point shared under its memo key (see :func:`sharing`): only the
    points no other check has evaluated are computed, together (``batch``) or one by one.

    Batch points of their own shapes (edge points); in the full mode evaluate one by one the
    random points, which share :data:`GRAD_SHAPE` with every other loss and with the full
    mode's other eager checks: eager JAX has then compiled most of their operations already,
    where a batch would compile anew for each loss."""
    got = [_MEMO.peek(case, record, k) for k in keys]
    missing = [i for i, g in enumerate(got) if g is _MISSING]
    if batch:
        computed = _batch_grads(backend, record, case, [points[i] for i in missing])
    else:
        computed = [_one_grads(backend, record, case, points[i]) for i in missing]
    for i, g in zip(missing, computed):
        got[i] = g
        if not isinstance(g, Exception):  # an exception stores nothing: the next caller sees it too
            _MEMO.put(case, record, keys[i], g)
    return got


class OracleRef:
    """The reduced float64 oracle of one configuration, as a function of the inputs.

    :meth:`diff` returns ``F(a) - F(b)``; for the standard (linear) reduction it reduces the
    per-element difference ``l(a) - l(b)`` instead, so a huge loss in one element cannot swamp
    the small change of another in the sum.
    """

    def __init__(
        self,
        case: Case,
        options: Mapping[str, Any],
        reduction: str,
        sample_weight: np.ndarray | None = None,
        where: np.ndarray | None = None,
    ) -> None:
        self.case, self.options, self.reduction = case, options, reduction
        self.sample_weight, self.where = sample_weight, where

    def __call__(self, x: Mapping[str, np.ndarray]) -> np.ndarray:
        with np.errstate(all="ignore"):
            return oracle_reduce(self.case, x, self.options, self.reduction, self.sample_weight, self.where)

    def diff(self, a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> float:
        with np.errstate(all="ignore"):
            if self.case.reduce_oracle is not None:
                return float(self(a) - self(b))
            d = oracle_none(self.case, a, self.options) - oracle_none(self.case, b, self.options)
            if self.where is not None:  # masked entries contribute nothing (and may be inf - inf)
                d = np.where(np.broadcast_to(self.where, d.shape), d, 0.0)
            return float(reference_reduce(d, self.reduction, self.sample_weight, self.where))


def _float_copy(inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64 if is_float(v) else v.dtype) for k, v in inputs.items()}


def _shifted(base: dict[str, np.ndarray], n: str, idx: tuple[int, ...], h: float) -> dict[str, np.ndarray]:
    x = base[n].copy()
    x[idx] += h
    return {**base, n: x}


def fd_grads(
    ref: OracleRef,
    inputs: Mapping[str, np.ndarray],
    names: Iterable[str],
    *,
    rel_step: float = 1e-6,
    adaptive: bool = False,
) -> dict[str, np.ndarray]:
    """Central differences of ``ref`` w.r.t. each element of ``names``.

    Where one side leaves the function's domain (non-finite value) the other one-sided
    difference is used; where both do, the entry is NaN. With ``adaptive`` (edge points, which
    may sit on a domain boundary or a C1 seam), the step shrinks by 10 until two successive
    estimates agree; an estimate that never settles (an infinite derivative) gives NaN, and so
    does one that float64 cannot resolve (a step below the rounding of a huge loss value).
    """
    out = {}
    base = _float_copy(inputs)
    loss0 = None
    if adaptive and ref.case.reduce_oracle is None:
        with np.errstate(all="ignore"):
            loss0 = np.abs(oracle_none(ref.case, base, ref.options))
    for n in names:
        x = base[n]
        g = np.empty(x.shape)
        for idx in np.ndindex(x.shape):
            h0 = rel_step * max(1.0, abs(float(x[idx])))

            def est(h: float, n: str = n, idx: tuple[int, ...] = idx) -> float:
                d = ref.diff(_shifted(base, n, idx, h), _shifted(base, n, idx, -h))
                if np.isfinite(d):
                    return d / (2 * h)
                d = ref.diff(_shifted(base, n, idx, h), base)
                if np.isfinite(d):
                    return d / h
                d = ref.diff(base, _shifted(base, n, idx, -h))
                return d / h if np.isfinite(d) else np.nan

            if not adaptive:
                g[idx] = est(h0)
                continue
            if loss0 is not None:
                # Largest loss element that depends on this entry (elementwise, broadcasting).
                dep = np.zeros(x.shape, dtype=bool)
                dep[idx] = True
                try:
                    mag = float(np.max(np.where(np.broadcast_to(dep, loss0.shape), loss0, 0.0)))
                except ValueError:  # a class axis: every loss element may depend on the entry
                    mag = float(np.max(loss0, initial=0.0))
            else:
                mag = abs(float(ref(base)))
            prev, g[idx] = est(h0), np.nan
            for k in range(1, 7):
                h = h0 * 10.0**-k
                if 1e-15 * mag / h > 1e-7:  # rounding of the loss value would swamp the change
                    break
                cur = est(h)
                if np.isfinite(cur) and np.isfinite(prev) and abs(cur - prev) <= 1e-6 * max(1.0, abs(cur)):
                    g[idx] = cur
                    break
                prev = cur
        out[n] = g
    return out


def one_sided_grads(
    ref: OracleRef,
    inputs: Mapping[str, np.ndarray],
    names: Iterable[str],
    *,
    rel_step: float = 1e-7,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Forward and backward differences of ``ref`` w.r.t. each element of ``names``."""
    out = {}
    base = _float_copy(inputs)
    for n in names:
        x = base[n]
        fwd, bwd = np.empty(x.shape), np.empty(x.shape)
        for idx in np.ndindex(x.shape):
            h = rel_step * max(1.0, abs(float(x[idx])))
            fwd[idx] = ref.diff(_shifted(base, n, idx, h), base) / h
            bwd[idx] = ref.diff(base, _shifted(base, n, idx, -h)) / h
        out[n] = (fwd, bwd)
    return out


def _gaussian_nll_clamped(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    eps = float(options.get("eps", 1e-6))
    var = np.asarray(inputs["var"], dtype=np.float64)
    return {"var": var < eps}


def _bce_saturated(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    p = np.asarray(inputs["probs"], dtype=np.float64)
    return {"probs": p * (1 - p) < 1e-12}


def _ciou_alpha_frozen(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    from .families.detection import ciou_aspect_entries

    return ciou_aspect_entries(inputs, options)


#: Losses whose gradient is, at some entries, fixed by a documented convention rather than by
#: the derivative of the formula: name -> (inputs, options) -> {input: bool mask}. There the
#: gradient is only required to be finite and equal on torch and JAX.
CONVENTION_ENTRIES: dict[str, Callable[[Mapping[str, np.ndarray], Mapping[str, Any]], dict[str, np.ndarray]]] = {
    # torch's straight-through clamp: below eps the var-gradient is that of max(var, eps).
    "gaussian_nll": _gaussian_nll_clamped,
    # torch's BCE backward where p (1 - p) < 1e-12: (p - t) / 1e-12 instead of the unbounded derivative.
    "binary_cross_entropy": _bce_saturated,
    # CIoU's alpha is a constant for differentiation (torchvision: torch.no_grad): where the
    # aspect-ratio term v != 0 the gradient is not the derivative of the value.
    "ciou": _ciou_alpha_frozen,
    # Circle loss: the pair weights alpha_p, alpha_n are constants for differentiation (the
    # paper's code, pytorch-metric-learning); its gradient equals PML's (tests/test_metric.py).
    "circle": lambda inputs, options: {"embeddings": np.ones(np.shape(inputs["embeddings"]), dtype=bool)},
}


def convention_entries(
    name: str, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Boolean masks of the entries whose gradient is convention-defined (see ``CONVENTION_ENTRIES``)."""
    fn = CONVENTION_ENTRIES.get(name)
    return {} if fn is None else fn(inputs, options)


def _weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.5, 2.0, size=shape)


def _configs(
    case: Case, rng: np.random.Generator, quick: bool
) -> list[tuple[str, dict[str, np.ndarray], Mapping[str, Any], str, np.ndarray | None]]:
    """(label, inputs, options, reduction, sample_weight) for the random-point gradient checks."""
    out = []
    for options in _option_sets(case, quick):
        inputs = draw_inputs(case, rng, GRAD_SHAPE, options)
        shape = _none_shape(case, inputs, options)
        for reduction in _reductions(quick):
            for weighted in (False, True):
                sw = _weights(rng, shape) if weighted else None
                label = f"options={dict(options)} reduction={reduction}{' weighted' if weighted else ''}"
                out.append((label, inputs, options, reduction, sw))
    return out


# -- evaluations shared between checks -----------------------------------------------------

_T = TypeVar("_T")


class _Memo:
    """Gradients and finite differences of one loss, kept while :func:`sharing` is on.

    The FD checks on torch and JAX, the edge checks and the torch-vs-JAX check evaluate the
    same seeded points; each evaluation is deterministic, so it is computed once. Entries
    belong to one (case, record, native mode): any other one clears them, which also bounds
    the memory to one loss.
    """

    def __init__(self) -> None:
        self.active = False
        self._owner: tuple[Any, ...] = ()
        self._values: dict[Hashable, Any] = {}

    def _own(self, case: Case, record: Any) -> dict[Hashable, Any]:
        from .._native import native_enabled

        owner = (case, record, native_enabled())
        # Identity, not equality: a test may swap in a patched record of the same loss.
        if len(self._owner) != len(owner) or any(a is not b for a, b in zip(self._owner, owner)):
            self._owner, self._values = owner, {}
        return self._values

    def get(self, case: Case, record: Any, key: Hashable, fn: Callable[..., _T], *args: Any, **kw: Any) -> _T:
        """``fn(*args, **kw)``, evaluated once per ``key`` while active."""
        if not self.active:
            return fn(*args, **kw)
        values = self._own(case, record)
        if key not in values:
            values[key] = fn(*args, **kw)  # an exception stores nothing: the next caller sees it too
        return values[key]

    def peek(self, case: Case, record: Any, key: Hashable) -> Any:
        """The value stored under ``key``, or ``_MISSING`` (always while inactive)."""
        return self._own(case, record).get(key, _MISSING) if self.active else _MISSING

    def put(self, case: Case, record: Any, key: Hashable, value: Any) -> None:
        if self.active:
            self._own(case, record)[key] = value


_MEMO = _Memo()
_MISSING = object()


@contextmanager
def sharing() -> Iterator[None]:
    """Within the block, checks of the same loss reuse each other's gradient and finite-difference
    evaluations (same points, same results; see :class:`_Memo`)."""
    prev, _MEMO.active = _MEMO.active, True
    try:
        yield
    finally:
        _MEMO.active = prev


# -- checks ---------------------------------------------------------------------------------


def check_gradients(name: str, backend: str, *, quick: bool = False, seed: int = 0) -> list[CheckResult]:
    """Gradients on ``backend`` vs central differences of the oracle at random points.

    Every option set of the case (the first only when ``quick``), ``reduction="mean"`` and
    ``"sum"``, with and without ``sample_weight``; w.r.t. every input in
    ``case.differentiable``; float64.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : {"torch", "jax"}
        Differentiating backend; others give one skipped result.
    quick : bool, default False
        First option set and ``reduction="mean"`` only.
    seed : int, default 0
        Seed of the random inputs and weights.

    Returns
    -------
    list of CheckResult
        One result (``worst``: worst relative error seen); failing configurations listed in
        ``detail``.
    """
    check = "gradients"
    if isinstance(s := _start(name, backend, check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    rng = np.random.default_rng(seed)
    worst, problems = 0.0, []
    configs = _configs(case, rng, quick)
    keys = [("grad", b.name, seed, quick, i) for i in range(len(configs))]
    # One program per loss in the quick mode, where no other check runs eagerly (see _grads).
    grads = _grads(b, record, case, [c[1:] for c in configs], keys, batch=quick)
    for e in grads:
        if isinstance(e, Exception):
            return [_fail(name, backend, check, e)]
    for i, ((label, inputs, options, reduction, sw), got) in enumerate(zip(configs, grads)):
        want = _MEMO.get(
            case,
            record,
            ("fd", seed, quick, i),
            fd_grads,
            OracleRef(case, options, reduction, sw),
            inputs,
            case.differentiable,
        )
        conv = convention_entries(name, inputs, options)
        for n in case.differentiable:
            keep = ~conv.get(n, np.zeros(got[n].shape, dtype=bool))
            err = rel_err(np.where(keep, got[n], 0.0), np.where(keep, want[n], 0.0), floor=_FD_FLOOR)
            worst = max(worst, err)
            if not err <= _FD_RTOL:
                problems.append(
                    f"d/d{n} [{label}]: rel err {err:.3g} (got {got[n].ravel()[:4]}, fd {want[n].ravel()[:4]})"
                )
    return [CheckResult(name, backend, check, not problems, worst, "; ".join(problems))]


def check_gradient_agreement(name: str, *, quick: bool = False, seed: int = 0) -> list[CheckResult]:
    """torch autograd and ``jax.grad`` agree (1e-10 at random points, 1e-12 at kinks).

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    quick : bool, default False
        First option set and ``reduction="mean"`` only (edges always included).
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    list of CheckResult
        One result (``worst``: worst relative error seen); failing configurations listed in
        ``detail``.
    """
    check, bname = "gradients:torch-vs-jax", "torch+jax"
    if isinstance(s := _start(name, DIFF_BACKENDS, check, label=bname), list):
        return s
    case, record = s.case, s.record
    rng = np.random.default_rng(seed)
    # The last entry keys the point's gradients in the memo shared with the other checks.
    points: list[tuple[str, dict[str, np.ndarray], Mapping[str, Any], str, np.ndarray | None, float, tuple]] = [
        (*c, _XB_RTOL, ("grad", seed, quick, i)) for i, c in enumerate(_configs(case, rng, quick))
    ]
    for e_idx, edge in enumerate(case.edges):
        inputs = edge_inputs(edge)
        for reduction in _reductions(quick):
            points.append(
                (
                    f"edge {edge.label!r} reduction={reduction}",
                    inputs,
                    edge.options,
                    reduction,
                    None,
                    _KINK_XB_TOL if edge.kink else _XB_RTOL,
                    ("edge-grad", e_idx, reduction),
                )
            )
    worst, problems = 0.0, []
    n_random = len(points) - len(case.edges) * len(_reductions(quick))
    by: dict[str, list[Any]] = {}
    for b in DIFF_BACKENDS:
        keys = [(kind, b, *at) for *_, (kind, *at) in points]
        args = [p[1:5] for p in points]
        by[b] = [
            *_grads(BACKENDS[b], record, case, args[:n_random], keys[:n_random], batch=False),
            *_grads(BACKENDS[b], record, case, args[n_random:], keys[n_random:]),
        ]
    for g in (*by["torch"], *by["jax"]):
        if isinstance(g, Exception):
            return [_fail(name, bname, check, g)]
    for (label, *_, tol, _), gt, gj in zip(points, by["torch"], by["jax"]):
        for n in case.differentiable:
            err = rel_err(gt[n], gj[n], floor=1.0)
            worst = max(worst, err)
            if not err <= tol:
                problems.append(
                    f"d/d{n} [{label}]: torch {gt[n].ravel()[:6]} vs jax {gj[n].ravel()[:6]} (err {err:.3g})"
                )
    return [CheckResult(name, bname, check, not problems, worst, "; ".join(problems))]


def edge_inputs(edge: Edge) -> dict[str, np.ndarray]:
    """The inputs of an edge point as NumPy arrays (floating ones in float64, labels kept)."""
    out = {}
    for k, v in edge.inputs.items():
        a = np.asarray(v)
        out[k] = np.array(a, dtype=np.float64) if a.dtype.kind == "f" else np.array(a)
    return out


def check_edge_gradients(name: str, backend: str, *, quick: bool = False) -> list[CheckResult]:
    """Gradients at the case's edge points.

    Kinks: each component lies between the one-sided differences. Other edges: central (or,
    at a domain boundary, one-sided) differences. Everywhere: the gradient is finite wherever
    the differences are.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : {"torch", "jax"}
        Differentiating backend; others give one skipped result.
    quick : bool, default False
        The first :data:`~lossapi._conformance.cases.QUICK_EDGES` edges, ``reduction="mean"``
        only.

    Returns
    -------
    list of CheckResult
        One result (``worst``: worst relative error seen); failing configurations listed in
        ``detail``.
    """
    check = "gradients:edges"
    if isinstance(s := _start(name, backend, check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    if not case.edges:
        return [failed(name, backend, check, "the case defines no edge points")]
    worst, problems = 0.0, []
    edges = case.edges[:QUICK_EDGES] if quick else case.edges
    at = [(e_idx, edge, edge_inputs(edge), r) for e_idx, edge in enumerate(edges) for r in _reductions(quick)]
    grads = _grads(
        b,
        record,
        case,
        [(inputs, edge.options, r, None) for _, edge, inputs, r in at],
        [("edge-grad", b.name, e_idx, r) for e_idx, _, _, r in at],
    )
    for (e_idx, edge, inputs, reduction), got in zip(at, grads):
        label = f"edge {edge.label!r} reduction={reduction}"
        if isinstance(got, Exception):
            problems.append(f"[{label}] raised {type(got).__name__}: {got}")
            worst = float("inf")
            continue

        ref = OracleRef(case, edge.options, reduction)
        conv = convention_entries(name, inputs, edge.options)
        if edge.kink:
            sides = _MEMO.get(
                case, record, ("edge-sides", e_idx, reduction), one_sided_grads, ref, inputs, case.differentiable
            )
            for n in case.differentiable:
                fwd, bwd = sides[n]
                lo, hi = np.minimum(fwd, bwd), np.maximum(fwd, bwd)
                # Convention entries: the gradient is defined by a documented convention.
                finite = np.isfinite(lo) & np.isfinite(hi) & ~conv.get(n, np.zeros(lo.shape, dtype=bool))
                g = got[n]
                if np.any(finite & ~np.isfinite(g)):
                    problems.append(f"d/d{n} [{label}]: non-finite gradient {g.ravel()} where the loss is finite")
                    worst = float("inf")
                    continue
                tol = 1e-5 * (1.0 + np.maximum(np.abs(lo), np.abs(hi)))
                with np.errstate(invalid="ignore"):
                    excess = np.where(finite, np.maximum(lo - g, g - hi), 0.0)
                err = float(np.max(np.maximum(excess, 0.0) / tol, initial=0.0)) * 1e-5
                worst = max(worst, err)
                if np.any(excess > tol):
                    problems.append(
                        f"d/d{n} [{label}]: {g.ravel()} outside one-sided differences [{lo.ravel()}, {hi.ravel()}]"
                    )
        else:
            want = _MEMO.get(
                case,
                record,
                ("edge-fd", e_idx, reduction),
                fd_grads,
                ref,
                inputs,
                case.differentiable,
                adaptive=True,
            )
            for n in case.differentiable:
                # NaN: the derivative does not exist (or is infinite) there; convention
                # entries: the gradient is defined by a documented convention, not by FD.
                finite = np.isfinite(want[n]) & ~conv.get(n, np.zeros(want[n].shape, dtype=bool))
                g = got[n]
                if np.any(finite & ~np.isfinite(g)):
                    problems.append(f"d/d{n} [{label}]: non-finite gradient {g.ravel()} where the loss is finite")
                    worst = float("inf")
                    continue
                err = rel_err(np.where(finite, g, 0.0), np.where(finite, want[n], 0.0), floor=_FD_FLOOR)
                worst = max(worst, err)
                if not err <= _FD_RTOL:
                    problems.append(f"d/d{n} [{label}]: {g.ravel()} vs fd {want[n].ravel()} (err {err:.3g})")
    return [CheckResult(name, backend, check, not problems, worst, "; ".join(problems))]


def check_masked_gradients(name: str, backend: str, *, seed: int = 0) -> list[CheckResult]:
    """``where``-masked entries holding NaN/inf leave value and gradient untouched.

    The gradient must be finite, equal to the gradient of the oracle on clean inputs under
    the same mask, and exactly 0 at masked entries.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : {"torch", "jax"}
        Differentiating backend; others give one skipped result.
    seed : int, default 0
        Seed of the inputs, mask and weights.

    Returns
    -------
    list of CheckResult
        One result (``worst``: worst relative error seen); failing configurations listed in
        ``detail``.
    """
    check = "gradients:where"
    if isinstance(s := _start(name, backend, check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    rng = np.random.default_rng(seed)
    options = case.options[0]
    clean = draw_inputs(case, rng, GRAD_SHAPE, options)
    shape = _none_shape(case, clean, options)
    where = rng.random(shape) < 0.6
    where.flat[0], where.flat[-1] = True, False  # at least one kept and one masked entry
    poisoned = poison(clean, where, options)
    worst, problems = 0.0, []
    for reduction in ("mean", "sum"):
        for sw in (None, _weights(rng, shape)):
            label = f"reduction={reduction}{' weighted' if sw is not None else ''}"
            try:
                got = backend_grads(b, record, case, poisoned, options, reduction, sw, where)
                val = b.to_numpy(
                    call_loss(
                        record,
                        to_backend(b, poisoned, "float64"),
                        options,
                        reduction=reduction,
                        sample_weight=None if sw is None else b.asarray(sw, "float64"),
                        where=b.asarray(where, "bool"),
                    )
                )
            except Exception as e:
                return [_fail(name, backend, check, e)]

            ref = OracleRef(case, options, reduction, sw, where)
            want_val = ref(clean)
            verr = rel_err(val, want_val)
            if not verr <= 1e-10:
                problems.append(f"value [{label}]: {val} vs oracle {want_val}")
            want = fd_grads(ref, clean, case.differentiable)
            conv = convention_entries(name, clean, options)
            for n in case.differentiable:
                g = got[n]
                if not np.all(np.isfinite(g)):
                    problems.append(f"d/d{n} [{label}]: non-finite gradient {g.ravel()}")
                    worst = float("inf")
                    continue
                m = expand_mask(where, g.shape, options)
                if m is not None and np.any(g[~m] != 0):
                    problems.append(f"d/d{n} [{label}]: masked entries have gradient {g[~m]}, not 0")
                keep = ~conv.get(n, np.zeros(g.shape, dtype=bool))
                err = rel_err(np.where(keep, g, 0.0), np.where(keep, want[n], 0.0), floor=_FD_FLOOR)
                worst = max(worst, err, verr)
                if not err <= _FD_RTOL:
                    problems.append(f"d/d{n} [{label}]: {g.ravel()} vs fd {want[n].ravel()} (err {err:.3g})")
    return [CheckResult(name, backend, check, not problems, worst, "; ".join(problems))]


def check_zero_weight_gradients(name: str, backend: str, *, seed: int = 0) -> list[CheckResult]:
    """All-zero ``sample_weight``: value 0 and an exactly-zero, finite gradient.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : {"torch", "jax"}
        Differentiating backend; others give one skipped result.
    seed : int, default 0
        Seed of the inputs.

    Returns
    -------
    list of CheckResult
        One result (``worst``: worst relative error seen); failing configurations listed in
        ``detail``.
    """
    check = "gradients:zero-weight"
    if isinstance(s := _start(name, backend, check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    rng = np.random.default_rng(seed)
    options = case.options[0]
    inputs = draw_inputs(case, rng, GRAD_SHAPE, options)
    sw = np.zeros(_none_shape(case, inputs, options))
    problems = []
    for reduction in ("mean", "sum"):
        try:
            got = backend_grads(b, record, case, inputs, options, reduction, sw)
            val = b.to_numpy(
                call_loss(
                    record,
                    to_backend(b, inputs, "float64"),
                    options,
                    reduction=reduction,
                    sample_weight=b.asarray(sw, "float64"),
                )
            )
        except Exception as e:
            return [_fail(name, backend, check, e)]
        want = oracle_reduce(case, inputs, options, reduction, sw)
        if not (np.all(val == 0) and np.all(want == 0)):
            problems.append(f"value [reduction={reduction}]: {val} (oracle {want}), expected 0")
        for n in case.differentiable:
            if not np.all(got[n] == 0):
                problems.append(f"d/d{n} [reduction={reduction}]: {got[n].ravel()}, expected exactly 0")
    return [CheckResult(name, backend, check, not problems, 0.0 if not problems else float("inf"), "; ".join(problems))]


# -- second derivatives ---------------------------------------------------------------------


def _sum_to_shape(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``a`` over the axes along which an array of ``shape`` was broadcast to it."""
    lead = a.ndim - len(shape)
    a = np.sum(a, axis=tuple(range(lead))) if lead else a
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and a.shape[i] != 1)
    return np.sum(a, axis=axes, keepdims=True) if axes else a


def backend_hessian_diag(
    backend: Backend, record: Any, arrays: Sequence[Any], index: int, options: Mapping[str, Any]
) -> np.ndarray:
    """``d/dx sum(d/dx L)`` of the summed loss w.r.t. positional input ``index``.

    For an elementwise loss the Hessian w.r.t. one input is diagonal, so this is its diagonal.
    """
    opts = backend_options(backend, options)

    def f(*args: Any) -> Any:
        return record.fn(*args, **opts, reduction="sum")

    if backend.name == "torch":
        import torch

        args = list(arrays)
        x = args[index].detach().clone().requires_grad_(True)
        args[index] = x
        (g,) = torch.autograd.grad(f(*args), [x], create_graph=True)
        if not g.requires_grad:  # the loss is linear in this input: its second derivative is 0
            return np.zeros(tuple(x.shape))
        (h,) = torch.autograd.grad(g.sum(), [x], allow_unused=True)
        if h is None:
            return np.zeros(tuple(x.shape))
        return h.detach().cpu().double().numpy()
    if backend.name == "jax":
        import jax
        import jax.numpy as jnp

        def gsum(x: Any) -> Any:
            args = list(arrays)
            args[index] = x

            def fx(y: Any) -> Any:
                a = list(args)
                a[index] = y
                return f(*a)

            return jnp.sum(jax.grad(fx)(x))

        return np.asarray(jax.grad(gsum)(arrays[index]), dtype=np.float64)
    raise NotImplementedError(backend.name)


def check_second_derivatives(name: str, backend: str, *, quick: bool = False, seed: int = 0) -> list[CheckResult]:
    """Diagonal of the Hessian (smooth, elementwise losses) vs second differences of the oracle.

    Also compares against the other differentiable backend when it is installed.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backend : {"torch", "jax"}
        Differentiating backend; others give one skipped result.
    quick : bool, default False
        First option set only.
    seed : int, default 0
        Seed of the inputs.

    Returns
    -------
    list of CheckResult
        One result (``worst``: worst relative error seen); failing configurations listed in
        ``detail``.
    """
    check = "second-derivatives"
    if isinstance(s := _start(name, backend, check), list):
        return s
    case, record, b = s.case, s.record, s.backend
    if not record.smooth:
        return [skipped(name, backend, check, "the loss is not smooth (catalog smooth=False)")]
    if record.has_axis or case.reduce_oracle is not None:
        return [skipped(name, backend, check, "only elementwise losses have a diagonal Hessian")]
    others = [BACKENDS[o] for o in DIFF_BACKENDS if o != backend and skip_reason(o, differentiable=True) is None]
    rng = np.random.default_rng(seed)
    worst, problems = 0.0, []
    names = list(record.inputs)
    for options in _option_sets(case, quick):
        inputs = draw_inputs(case, rng, GRAD_SHAPE, options)
        for n in case.differentiable:
            idx = names.index(n)
            try:
                got = backend_hessian_diag(
                    b, record, [to_backend(b, inputs, "float64")[k] for k in names], idx, options
                )
                alt = [
                    backend_hessian_diag(o, record, [to_backend(o, inputs, "float64")[k] for k in names], idx, options)
                    for o in others
                ]
            except Exception as e:
                return [_fail(name, backend, check, e)]
            # Second differences of the per-element oracle, all elements perturbed at once
            # (elementwise loss: element i only depends on entry i of each input).
            x = inputs[n]
            h = 1e-4 * np.maximum(1.0, np.abs(x))
            with np.errstate(all="ignore"):
                lp = oracle_none(case, {**inputs, n: x + h}, options)
                l0 = oracle_none(case, inputs, options)
                lm = oracle_none(case, {**inputs, n: x - h}, options)
                hb = np.broadcast_to(h, l0.shape) if h.shape != l0.shape else h
                want = _sum_to_shape((lp - 2 * l0 + lm) / hb**2, x.shape)
            label = f"options={dict(options)} d2/d{n}2"
            keep = ~convention_entries(name, inputs, options).get(n, np.zeros(got.shape, dtype=bool))
            err = rel_err(np.where(keep, got, 0.0), np.where(keep, want, 0.0), floor=1e-3)
            worst = max(worst, err)
            if not err <= _HESS_RTOL:
                problems.append(f"[{label}]: {got.ravel()[:4]} vs fd {want.ravel()[:4]} (err {err:.3g})")
            for o, a in zip(others, alt):
                xerr = rel_err(got, a, floor=1.0)
                if not xerr <= 1e-9:
                    problems.append(f"[{label}]: {backend} {got.ravel()[:4]} vs {o.name} {a.ravel()[:4]}")
    return [CheckResult(name, backend, check, not problems, worst, "; ".join(problems))]
