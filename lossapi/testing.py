"""Helpers for your own cross-framework tests, with lossapi as the reference.

- :func:`assert_close`: compare arrays of any library (NumPy, PyTorch, JAX, CuPy, Dask,
  array-api-strict, Python numbers) with tolerances chosen from the lower-precision dtype of
  the two (:data:`TOLERANCES`).
- :func:`make_inputs`: valid random inputs for any catalog loss, as arrays of the library,
  dtype and device you ask for.
- :func:`check_against`: run your own implementation of a loss next to lossapi's on every
  backend and dtype you name, on random inputs and on the catalog's edge inputs (saturated
  logits, probabilities at 0/1, zero vectors, extreme magnitudes), compare values, gradients
  and ``jax.jit`` / ``torch.compile`` against eager, and get a readable :class:`Report`.

The inputs come from the conformance suite's case table, the same one that tests lossapi
itself. A pytest plugin with ``xp`` / ``dtype`` / ``device`` fixtures is in
:mod:`lossapi.pytest_plugin`.

Importing this module imports no array framework; each one is imported when first used.

Examples
--------
>>> import numpy as np
>>> import lossapi as la
>>> from lossapi.testing import assert_close, check_against, make_inputs
>>> inp = make_inputs("huber", shape=(4,))
>>> assert_close(la.huber(*inp.args), np.float64(la.huber(*inp.args)))
>>> def my_mse(pred, target):
...     return np.mean((pred - target) ** 2)
>>> check_against(my_mse, "mean_squared_error", backends=["numpy"]).ok
True
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from ._conformance.backends import BACKENDS, Backend
from ._conformance.cases import loss_options
from ._conformance.grad_checks import draw_inputs, get_case, is_float, rel_err
from ._conformance.value_checks import RTOL, compare
from ._errors import MissingDependencyError

__all__ = [
    "TOLERANCES",
    "LossInputs",
    "Report",
    "ReportRow",
    "Tolerance",
    "assert_close",
    "check_against",
    "make_inputs",
]


class Tolerance(NamedTuple):
    """Default ``rtol`` and ``atol`` of one dtype."""

    rtol: float
    atol: float


# rtol is the conformance suite's own per-dtype tolerance (lossapi vs the float64 oracles), so a
# user's implementation is held to the standard lossapi meets. atol covers entries near zero,
# where a relative error says nothing (a gradient of 1e-17 where the reference has 0).
_ATOL = {"float64": 1e-12, "float32": 1e-6, "float16": 1e-3, "bfloat16": 1e-2}

#: Default tolerances per floating dtype: ``TOLERANCES["float32"].rtol``. :func:`assert_close`
#: uses the entry of the lower-precision dtype of its two arguments (complex dtypes use their
#: real part's entry); integer and bool arrays are compared exactly.
TOLERANCES: Mapping[str, Tolerance] = MappingProxyType({k: Tolerance(RTOL[k], _ATOL[k]) for k in _ATOL})

# Lower rank = less precise: the comparison tolerates the error of the least precise side.
_PRECISION_RANK = {"bfloat16": 0, "float16": 1, "float32": 2, "complex64": 2, "float64": 3, "complex128": 3}
_REAL_OF = {"complex64": "float32", "complex128": "float64"}


# -- reading arrays of any library ----------------------------------------------------------------


def _root_module(x: Any) -> str:
    return type(x).__module__.split(".", 1)[0]


def _dtype_name(x: Any) -> str:
    """``"float32"``, ``"bfloat16"``, ``"int64"``, ... of an array of any library or a Python number."""
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int64"
    if isinstance(x, float):
        return "float64"
    if isinstance(x, complex):
        return "complex128"
    dt = getattr(x, "dtype", None)
    if dt is None:
        dt = np.asarray(x).dtype
    # torch.float32 / array_api_strict.float32 / dtype('float32') all end in the plain name.
    return str(dt).rsplit(".", 1)[-1]


def _to_float64_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of ``x`` (floats as float64) from any array library; lazy arrays are computed."""
    root = _root_module(x)
    backend = {"torch": "torch", "dask": "dask", "array_api_strict": "array_api_strict", "cupy": "cupy"}.get(root)
    if backend is not None:
        return BACKENDS[backend].to_numpy(x)
    if root in ("jax", "jaxlib"):
        jax = importlib.import_module("jax")
        if isinstance(x, jax.core.Tracer):
            raise TypeError(
                "assert_close got a traced JAX array: compare concrete values, outside jax.jit / "
                "jax.grad / jax.vmap (return the value from the transformed function first)"
            )
    if not isinstance(x, (np.ndarray, np.generic, int, float, complex, bool, list, tuple)) and hasattr(x, "__dlpack__"):
        try:
            out = np.from_dlpack(x)
        except Exception:  # a device array DLPack cannot hand to the CPU: fall back to the buffer protocol
            out = np.asarray(x)
    else:
        out = np.asarray(x)
    if out.dtype.kind == "f" or str(out.dtype) == "bfloat16":
        out = out.astype(np.float64)
    return out


def _default_tolerance(a_dtype: str, d_dtype: str) -> Tolerance:
    floats = [n for n in (a_dtype, d_dtype) if n in _PRECISION_RANK]
    unknown = [
        n for n in (a_dtype, d_dtype) if n not in _PRECISION_RANK and np.dtype(_safe_np_dtype(n)).kind not in "iub"
    ]
    if unknown:
        raise ValueError(
            f"assert_close has no default tolerance for dtype {unknown[0]}; pass rtol= and atol= "
            f"(defaults exist for {sorted(TOLERANCES)})"
        )
    if not floats:
        return Tolerance(0.0, 0.0)  # integers / bools: exact
    low = min(floats, key=_PRECISION_RANK.__getitem__)
    return TOLERANCES[_REAL_OF.get(low, low)]


def _safe_np_dtype(name: str) -> Any:
    try:
        return np.dtype(name)
    except TypeError:
        return np.dtype("V1")  # an unknown name (e.g. a float8 type) is neither integer nor bool


def assert_close(
    actual: Any,
    desired: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    err_msg: str = "",
) -> None:
    """Assert that two arrays, of any array library, are equal within dtype-aware tolerances.

    Each entry must satisfy ``|actual - desired| <= atol + rtol * |desired|``. The shapes must be
    equal (a 0-d array and a 1-element array differ), NaN must appear at the same positions in
    both, and infinities must match exactly.

    Parameters
    ----------
    actual, desired : array or Python number
        NumPy, PyTorch (also with ``requires_grad`` or on a GPU), JAX (concrete, not traced),
        CuPy, Dask (computed here) or array-api-strict arrays, or Python numbers. The two may
        come from different libraries.
    rtol, atol : float, optional
        Relative and absolute tolerance. Each defaults to the :data:`TOLERANCES` entry of the
        lower-precision dtype of the two arguments (float32 vs float64 uses float32's);
        integer and bool arrays default to exact equality.
    err_msg : str, optional
        Text added to the failure message.

    Raises
    ------
    AssertionError
        When the arrays differ; the message gives the shapes, dtypes, tolerances, the number
        of differing entries, and the worst absolute and relative errors with their indices.
    TypeError
        For a traced JAX array (compare outside the transformation).

    Examples
    --------
    >>> import numpy as np
    >>> from lossapi.testing import assert_close
    >>> assert_close(np.float32(1.0 + 1e-6), 1.0)  # within float32's tolerance
    >>> assert_close(np.float64(1.0 + 1e-6), 1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: Not close (rtol=1e-10, atol=1e-12 from float64 vs float64): 1 of 1 entries differ...
    """
    a_dtype, d_dtype = _dtype_name(actual), _dtype_name(desired)
    if rtol is None or atol is None:
        tol = _default_tolerance(a_dtype, d_dtype)
        rtol = tol.rtol if rtol is None else rtol
        atol = tol.atol if atol is None else atol
    a = _to_float64_numpy(actual)
    d = _to_float64_numpy(desired)
    suffix = f"\n{err_msg}" if err_msg else ""
    if a.shape != d.shape:
        raise AssertionError(f"Shape mismatch: actual {a.shape} ({a_dtype}) vs desired {d.shape} ({d_dtype}){suffix}")
    if a.dtype.kind == "c" or d.dtype.kind == "c":
        a, d = a.astype(np.complex128), d.astype(np.complex128)
    else:
        a, d = a.astype(np.float64), d.astype(np.float64)

    a_nan, d_nan = np.isnan(a), np.isnan(d)
    with np.errstate(invalid="ignore", over="ignore"):
        same = (a == d) | (a_nan & d_nan)  # equal infinities and NaN at the same place agree
        err = np.where(same, 0.0, np.abs(a - d))
        # Unequal infinities differ by inf, which an infinite tolerance would accept.
        bad = ~same & (~(err <= atol + rtol * np.abs(d)) | np.isinf(a) | np.isinf(d))
        rel = np.where(same, 0.0, err / np.maximum(np.abs(d), np.finfo(np.float64).tiny))
    if not bad.any():
        return

    def at(flat: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(flat, d.shape)) if d.ndim else ()

    lines = [
        f"Not close (rtol={rtol:g}, atol={atol:g} from {a_dtype} vs {d_dtype}): "
        f"{int(bad.sum())} of {d.size} entries differ"
    ]
    nan_bad = a_nan != d_nan
    if nan_bad.any():
        i = at(int(np.argmax(nan_bad)))
        lines.append(
            f"  NaN mismatch: {int(nan_bad.sum())} entries, first at index {i}: "
            f"actual {a[i].item()!r}, desired {d[i].item()!r}"
        )
    finite_err = np.where(bad & ~nan_bad, np.nan_to_num(err, nan=np.inf), -1.0)
    if (finite_err >= 0).any():
        i = at(int(np.argmax(finite_err)))
        lines.append(
            f"  worst absolute error {err[i]:.6g} at index {i}: actual {a[i].item()!r}, desired {d[i].item()!r}"
        )
        j = at(int(np.argmax(np.where(bad & ~nan_bad, np.nan_to_num(rel, nan=np.inf), -1.0))))
        lines.append(
            f"  worst relative error {rel[j]:.6g} at index {j}: actual {a[j].item()!r}, desired {d[j].item()!r}"
        )
    raise AssertionError("\n".join(lines) + suffix)


# -- backends and inputs -------------------------------------------------------------------------

# Namespace module names (without array_api_compat.'s prefix) -> conformance backend name.
_MODULE_BACKENDS = {
    "numpy": "numpy",
    "torch": "torch",
    "jax.numpy": "jax",
    "jax": "jax",
    "cupy": "cupy",
    "dask.array": "dask",
    "array_api_strict": "array_api_strict",
}


def _backend_of(xp: Any) -> Backend:
    """The conformance backend of ``xp``: None (NumPy), a backend name, or a namespace module."""
    if xp is None:
        name = "numpy"
    elif isinstance(xp, str):
        name = xp
        if name not in BACKENDS:
            raise ValueError(f"unknown backend {xp!r}; known: {', '.join(BACKENDS)}")
    else:
        mod = getattr(xp, "__name__", "")
        name = _MODULE_BACKENDS.get(mod.removeprefix("array_api_compat."), "")
        if not name:
            raise TypeError(
                f"xp={xp!r} is not an array namespace lossapi.testing knows; pass one of the modules "
                f"numpy, torch, jax.numpy, cupy, dask.array, array_api_strict (or their "
                f"array_api_compat wrappers), or a backend name: {', '.join(BACKENDS)}"
            )
    backend = BACKENDS[name]
    if not backend.available():
        raise MissingDependencyError(f"backend {name!r} cannot run here: {backend.unavailable_reason()}")
    return backend


def _dtype_arg(dtype: Any) -> str:
    """A dtype given as a name or as any library's dtype object, as its name."""
    if isinstance(dtype, str):
        name = dtype
    elif isinstance(dtype, type) and issubclass(dtype, np.generic):
        name = np.dtype(dtype).name
    else:
        name = str(dtype).rsplit(".", 1)[-1]
    if name not in TOLERANCES:
        raise ValueError(f"dtype {dtype!r} is not a floating dtype lossapi tests; use one of {sorted(TOLERANCES)}")
    return name


def _jax_x64() -> bool:
    jax = importlib.import_module("jax")
    return bool(jax.config.jax_enable_x64)


_JAX_X64_HINT = (
    "float64 on JAX needs 64-bit mode (otherwise JAX silently computes in float32): set "
    "JAX_ENABLE_X64=1 before importing jax, or call jax.config.update('jax_enable_x64', True)"
)


def _asarray(backend: Backend, a: np.ndarray, dtype: str | None, device: Any = None) -> Any:
    """``a`` as an array of ``backend`` (floats cast to ``dtype``, labels kept integer) on ``device``.

    JAX with 64-bit mode off is converted here rather than by the conformance backend, which
    turns 64-bit mode on for the whole process: a user's test session keeps its own setting.
    """
    a = np.asarray(a)
    if backend.name != "jax" or _jax_x64():
        return backend.asarray(a, dtype, device=device)
    if dtype == "float64":
        raise ValueError(_JAX_X64_HINT)
    jax = importlib.import_module("jax")
    jnp = importlib.import_module("jax.numpy")
    if a.dtype.kind == "f":
        x = jnp.asarray(a.astype(np.float32)).astype(getattr(jnp, dtype or "float32"))
    elif a.dtype.kind in "iu":
        x = jnp.asarray(a.astype(np.int32))  # the dtype JAX itself uses for integers in 32-bit mode
    else:
        x = jnp.asarray(a)
    return x if device is None else jax.device_put(x, device)


def _convert(backend: Backend, values: Mapping[str, Any], dtype: str, device: Any = None) -> dict[str, Any]:
    """NumPy arrays among ``values`` converted (floating ones to ``dtype``); other values kept."""
    return {
        k: _asarray(backend, v, dtype if is_float(v) else None, device) if isinstance(v, np.ndarray) else v
        for k, v in values.items()
    }


def _record(loss_name: str) -> Any:
    from ._catalog import catalog, lookup

    try:
        return lookup(loss_name)
    except KeyError:
        names = [r.name for r in catalog()] + [a for r in catalog() for a in r.aliases]
        close = difflib.get_close_matches(loss_name, names, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else "; see lossapi.catalog() for the names"
        raise ValueError(f"no loss named {loss_name!r} in the lossapi catalog{hint}") from None


def _check_options(record: Any, options: Mapping[str, Any] | None) -> dict[str, Any]:
    options = dict(options or {})
    allowed = set(record.options) | ({"axis"} if record.has_axis else set())
    unknown = sorted(k for k in options if not k.startswith("_") and k not in allowed)
    if unknown:
        raise ValueError(
            f"{record.name} has no option {', '.join(map(repr, unknown))}; its options are {sorted(allowed) or 'none'}"
        )
    return options


@dataclass(frozen=True)
class LossInputs(Mapping[str, Any]):
    """Inputs for one loss: the positional arrays by name, and the options.

    A read-only mapping from input name to array (``inputs["logits"]``), in the loss's
    positional order. Call a loss as ``fn(*inputs.args, **inputs.kwargs)``.

    Attributes
    ----------
    loss : str
        Catalog name of the loss.
    arrays : mapping
        Input name -> array, in positional order.
    options : mapping
        Loss options (array-valued ones, e.g. class weights, converted like the inputs).
    """

    loss: str
    arrays: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def args(self) -> tuple[Any, ...]:
        """The arrays, in the loss's positional order."""
        return tuple(self.arrays.values())

    @property
    def kwargs(self) -> dict[str, Any]:
        """The options, to pass as keywords."""
        return dict(self.options)

    @property
    def names(self) -> tuple[str, ...]:
        """The positional input names."""
        return tuple(self.arrays)

    def __getitem__(self, name: str) -> Any:
        return self.arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def __len__(self) -> int:
        return len(self.arrays)


def _draw(record: Any, shape: Sequence[int], seed: int, options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Case inputs in the record's positional order (float64 / int64 NumPy)."""
    raw = draw_inputs(get_case(record.name), np.random.default_rng(seed), tuple(shape), options)
    return {n: raw[n] for n in record.inputs}


def make_inputs(
    loss_name: str,
    *,
    xp: Any = None,
    dtype: Any = "float64",
    shape: Sequence[int] = (8,),
    seed: int = 0,
    device: Any = None,
    options: Mapping[str, Any] | None = None,
) -> LossInputs:
    """Valid random inputs for a catalog loss, as arrays of any library.

    The values come from the loss's conformance case: inside the loss's domain (probabilities
    in (0, 1), positive variances, valid boxes, in-range labels) and away from kinks.

    Parameters
    ----------
    loss_name : str
        Catalog name (or alias) of the loss, e.g. ``"cross_entropy"``.
    xp : module or str, optional
        Array library: a namespace module (``numpy``, ``torch``, ``jax.numpy``, ``cupy``,
        ``dask.array``, ``array_api_strict`` or an ``array_api_compat`` wrapper) or a backend
        name (``"numpy"``, ``"torch"``, ``"jax"``, ``"cupy"``, ``"dask"``,
        ``"array_api_strict"``). Default NumPy.
    dtype : str or dtype, default "float64"
        Floating dtype of the floating inputs, by name or as the library's dtype object.
        Integer labels keep an integer dtype (int64; int32 on JAX without 64-bit mode).
    shape : tuple of int, default (8,)
        The per-element shape, i.e. what ``reduction="none"`` returns. Losses with a class or
        feature axis add it (e.g. ``cross_entropy`` with ``shape=(8,)`` gives logits of shape
        ``(8, 5)`` and labels of shape ``(8,)``).
    seed : int, default 0
        Seed of the random values; the same seed gives the same values on every library.
    device : optional
        Device to create the arrays on (torch, JAX and array-api-strict devices).
    options : mapping, optional
        Loss options. Some change the inputs (``ignore_index`` puts ignored labels in,
        ``axis`` moves the class axis); array-valued ones (class weights) are converted like
        the inputs. Keys starting with ``_`` steer the generator only, e.g.
        ``{"_target": "probs"}`` draws class probabilities instead of labels for
        ``cross_entropy``; they are not returned.

    Returns
    -------
    LossInputs
        The arrays by name (``inputs["logits"]``), ``inputs.args`` and ``inputs.kwargs``.

    Raises
    ------
    ValueError
        Unknown loss, option or dtype, or float64 on JAX without 64-bit mode.
    MissingDependencyError
        The library is not installed (or CuPy has no GPU).

    Examples
    --------
    >>> import lossapi as la
    >>> from lossapi.testing import make_inputs
    >>> inp = make_inputs("cross_entropy", dtype="float32", shape=(4,))
    >>> inp.names, inp["logits"].shape, str(inp["logits"].dtype), str(inp["target"].dtype)
    (('logits', 'target'), (4, 5), 'float32', 'int64')
    >>> la.cross_entropy(*inp.args, **inp.kwargs).shape
    ()
    """
    record = _record(loss_name)
    options = _check_options(record, options)
    backend = _backend_of(xp)
    name = _dtype_arg(dtype)
    if name not in backend.dtypes:
        raise ValueError(f"{backend.name} has no {name}; its floating dtypes are {list(backend.dtypes)}")
    raw = _draw(record, shape, seed, options)
    return LossInputs(
        record.name,
        MappingProxyType(_convert(backend, raw, name, device)),
        MappingProxyType(_convert(backend, loss_options(options), name, device)),
    )


# -- check_against -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """One check of :func:`check_against`.

    Attributes
    ----------
    backend, dtype : str
        Where it ran (``dtype`` is ``"-"`` for a backend that could not run at all).
    check : str
        ``"value[mean]"``, ``"grad[mean]"``, ``"jit[mean]"``, ``"compile[mean]"``, ...; rows
        on the catalog's edge inputs are ``"edge[<label>] value[mean]"``,
        ``"edge[<label>] grad[mean]"`` or ``"edge[<label>]"`` (skipped as a whole).
    ok : bool
        Passed (or skipped).
    worst : float
        Worst relative error (NaN when nothing was compared).
    detail : str
        Why it failed or was skipped.
    skipped : bool
        It could not run here (library missing, dtype not available, edge values not
        representable in the dtype).
    edge : str
        Label of the catalog edge point the row ran on (saturated logits, probabilities at
        0/1, zero vectors, extreme magnitudes, ...); ``""`` for the random inputs.
    """

    backend: str
    dtype: str
    check: str
    ok: bool
    worst: float = float("nan")
    detail: str = ""
    skipped: bool = False
    edge: str = ""

    @property
    def is_edge(self) -> bool:
        """The row ran on an edge input of the catalog."""
        return bool(self.edge)

    @property
    def status(self) -> str:
        """``"ok"``, ``"FAIL"`` or ``"skip"``."""
        return "skip" if self.skipped else ("ok" if self.ok else "FAIL")


@dataclass(frozen=True)
class Report:
    """What :func:`check_against` found: one :class:`ReportRow` per check.

    ``str(report)`` is an aligned table; in pytest write ``assert report.ok, report`` or
    ``report.raise_if_failed()``.

    Attributes
    ----------
    loss : str
        Catalog name of the reference loss.
    implementation : str
        Name of the checked function.
    rows : tuple of ReportRow
        Every check, in the order run.
    """

    loss: str
    implementation: str
    rows: tuple[ReportRow, ...]

    @property
    def failures(self) -> tuple[ReportRow, ...]:
        """The failed rows."""
        return tuple(r for r in self.rows if not r.ok)

    @property
    def ok(self) -> bool:
        """No check failed and at least one ran (an all-skipped report proves nothing)."""
        return not self.failures and any(not r.skipped for r in self.rows)

    def raise_if_failed(self) -> None:
        """Raise ``AssertionError`` with the table when :attr:`ok` is False."""
        if not self.ok:
            raise AssertionError(str(self))

    def __str__(self) -> str:
        n_fail = len(self.failures)
        n_skip = sum(r.skipped for r in self.rows)
        n_ok = len(self.rows) - n_fail - n_skip
        verdict = "OK" if self.ok else ("FAILED" if n_fail else "NOTHING RAN")
        head = (
            f"{self.implementation} vs lossapi.{self.loss}: {verdict} "
            f"({n_ok} passed, {n_fail} failed, {n_skip} skipped)"
        )
        table = [("backend", "dtype", "check", "result", "worst rel err", "detail")]
        for r in self.rows:
            worst = "" if r.worst != r.worst else f"{r.worst:.2e}"  # NaN: nothing compared
            table.append((r.backend, r.dtype, r.check, r.status, worst, r.detail))
        widths = [max(len(row[i]) for row in table) for i in range(5)]
        lines = [head] + [
            "  " + "  ".join(c.ljust(w) for c, w in zip(row[:5], widths)) + "  " + row[5] for row in table
        ]
        return "\n".join(line.rstrip() for line in lines)


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins / C extensions without a signature: assume the keyword works
        return True
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def _fn_name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _err(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0] if msg else ''}"


def _select_backends(backends: Sequence[str | Any] | None) -> list[tuple[str, str | None]]:
    """(name, reason it cannot run or None) for the requested backends (default: the installed ones)."""
    if backends is None:
        return [(b.name, None) for b in BACKENDS.values() if b.available()]
    out: list[tuple[str, str | None]] = []
    for spec in backends:
        if isinstance(spec, str) and spec not in BACKENDS:
            raise ValueError(f"unknown backend {spec!r}; known: {', '.join(BACKENDS)}")
        try:
            out.append((_backend_of(spec).name, None))
        except MissingDependencyError as exc:
            name = spec if isinstance(spec, str) else _MODULE_BACKENDS[spec.__name__.removeprefix("array_api_compat.")]
            out.append((name, str(exc).split(": ", 1)[-1]))
    return out


def _nonfinite_where_finite(got: np.ndarray, want: np.ndarray) -> str | None:
    """Describe the NaN/inf entries of ``got`` where ``want`` is finite (None: there are none)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return None  # compare() reports the shape
    bad = ~np.isfinite(got) & np.isfinite(want)
    if not bad.any():
        return None
    idx = np.argwhere(bad) if got.ndim else np.zeros((1, 0), dtype=int)
    shown = ", ".join(
        f"{got[tuple(i)].item()!r} (want {want[tuple(i)].item():.6g})"
        + (f" at {tuple(int(k) for k in i)}" if got.ndim else "")
        for i in idx[:3]
    )
    more = f" and {len(idx) - 3} more" if len(idx) > 3 else ""
    return f"{shown}{more}"


def _unrepresentable(values: Mapping[str, Any], dtype: str) -> str | None:
    """Why the floating values of an edge point cannot be given in ``dtype`` (None: they can)."""
    if dtype == "float64":
        return None
    info = _EDGE_FINFO[dtype]
    for name, v in values.items():
        if not isinstance(v, np.ndarray) or v.dtype.kind != "f":
            continue
        mag = np.abs(v[np.isfinite(v)])
        if mag.size and mag.max() > info.max:
            return f"`{name}` holds {mag.max():.3g}, which overflows {dtype} (max {info.max:.3g})"
        tiny = mag[(mag > 0) & (mag < info.smallest_subnormal)]
        if tiny.size:
            return f"`{name}` holds {tiny.min():.3g}, which underflows to 0 in {dtype}"
    return None


class _Finfo(NamedTuple):
    max: float
    smallest_subnormal: float


_EDGE_FINFO = {
    "float32": _Finfo(float(np.finfo(np.float32).max), float(np.finfo(np.float32).smallest_subnormal)),
    "float16": _Finfo(65504.0, 2.0**-24),
    "bfloat16": _Finfo(3.3895313892515355e38, 2.0**-133),
}


def _edge_points(
    record: Any, case: Any, fn: Callable[..., Any], options: Mapping[str, Any], drawn: Mapping[str, np.ndarray]
) -> list[Any]:
    """``(label, raw inputs, options, kink, reason to skip or None)`` for each catalog edge.

    ``drawn`` are the random inputs: an edge that gives an input in another kind (probability
    targets where the random draw has integer labels) is skipped, as ``fn`` may take one kind.
    """
    from ._conformance.grad_checks import edge_inputs

    points: list[Any] = []
    for edge in case.edges:
        raw = edge_inputs(edge)
        raw = {n: raw[n] for n in record.inputs if n in raw}
        opts = {**options, **dict(edge.options)}
        reason: str | None = None
        kinds = [n for n in raw if n in drawn and is_float(raw[n]) != is_float(drawn[n])]
        if kinds:
            n = kinds[0]
            reason = (
                f"the edge gives `{n}` as {raw[n].dtype} values, the random inputs as {drawn[n].dtype}; "
                "fn is checked on the kind of input it was drawn"
            )
            points.append((edge.label, raw, opts, edge.kink, reason))
            continue
        pinned = [k for k, v in edge.options.items() if k in options and not _same_option(options[k], v)]
        missing = [k for k in edge.options if not _accepts(fn, k)]
        if pinned:
            reason = f"the edge sets {pinned[0]}={edge.options[pinned[0]]!r}; `options` pins {options[pinned[0]]!r}"
        elif missing:
            reason = f"the edge needs option `{missing[0]}`, which fn does not take"
        points.append((edge.label, raw, opts, edge.kink, reason))
    return points


def _same_option(a: Any, b: Any) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except Exception:  # noqa: BLE001  (options of types NumPy cannot compare)
        return a is b


class _Runner:
    """The checks of one (backend, dtype) cell of :func:`check_against`."""

    def __init__(
        self,
        fn: Callable[..., Any],
        record: Any,
        case: Any,
        backend: Backend,
        dtype: str,
        raw: Mapping[str, np.ndarray],
        options: Mapping[str, Any],
        takes_reduction: bool,
        edge: str = "",
    ) -> None:
        self.fn, self.record, self.case, self.backend, self.dtype = fn, record, case, backend, dtype
        self.takes_reduction = takes_reduction
        self.edge = edge
        self.args = tuple(_convert(backend, raw, dtype).values())
        self.kw = _convert(backend, loss_options(options), dtype)
        # The reference sees exactly the values the user's function sees: the inputs rounded to
        # ``dtype``, read back as float64.
        self.rounded = {k: backend.to_numpy(v) for k, v in zip(raw, self.args)}
        self.rounded_kw = {
            k: backend.to_numpy(self.kw[k]) if isinstance(v, np.ndarray) else v
            for k, v in loss_options(options).items()
        }
        self.rtol = case.rtol.get(dtype, RTOL[dtype])

    def row(self, check: str, ok: bool, worst: float = float("nan"), detail: str = "") -> ReportRow:
        if self.edge:
            check = f"edge[{self.edge}] {check}"
        return ReportRow(self.backend.name, self.dtype, check, ok, worst, detail, edge=self.edge)

    def call_user(self, args: Sequence[Any], reduction: str) -> Any:
        if self.edge:  # overflow at an edge shows as a non-finite row, not as NumPy warnings
            with np.errstate(all="ignore"):
                return self._call_user(args, reduction)
        return self._call_user(args, reduction)

    def _call_user(self, args: Sequence[Any], reduction: str) -> Any:
        if self.takes_reduction:
            return self.fn(*args, **self.kw, reduction=reduction)
        return self.fn(*args, **self.kw)

    def reference(self, reduction: str) -> tuple[np.ndarray, np.ndarray]:
        """lossapi on NumPy in float64 (its generic path, the reference) and the error scale."""
        with np.errstate(all="ignore"):
            want = np.asarray(
                self.record.fn(*self.rounded.values(), **self.rounded_kw, reduction=reduction), dtype=np.float64
            )
            per = np.abs(
                np.asarray(
                    self.record.fn(*self.rounded.values(), **self.rounded_kw, reduction="none"), dtype=np.float64
                )
            )
        # Guard against cancellation: a mean of terms of both signs is judged on the terms' size.
        scale = {"mean": np.mean(per) if per.size else 0.0, "sum": np.sum(per)}.get(reduction, np.abs(want))
        return want, np.maximum(np.abs(want), scale)

    def _atol(self, scale: np.ndarray) -> float:
        from ._conformance.value_checks import _atol

        return _atol(self.case, self.dtype, self.rtol, scale)

    def value(self, reduction: str) -> ReportRow:
        check = f"value[{reduction}]"
        try:
            got = _to_float64_numpy(self.call_user(self.args, reduction))
        except Exception as exc:  # the user's bug is a failing row, not a crash of the whole check
            return self.row(check, False, float("inf"), f"fn raised {_err(exc)}")
        want, scale = self.reference(reduction)
        if self.edge and reduction == "mean" and got.shape == () and np.isnan(got) and want == 0 and scale == 0:
            # Every per-element loss is 0 (nothing counted, e.g. every label ignored): 0 / 0 is
            # NaN by torch's convention, 0 by lossapi's; a convention, not a numerical fault.
            return ReportRow(
                self.backend.name,
                self.dtype,
                f"edge[{self.edge}] {check}",
                True,
                detail="fn gives NaN for a mean over no counted element (0 / 0, as torch); lossapi gives 0",
                skipped=True,
                edge=self.edge,
            )
        if (nonfinite := _nonfinite_where_finite(got, want)) is not None:
            return self.row(check, False, float("inf"), f"non-finite output: {nonfinite}")
        ok, worst, detail = compare(got, want, self.rtol, scale, self._atol(scale))
        return self.row(check, ok, worst, detail)

    def grad(self, reduction: str) -> ReportRow:
        check = f"grad[{reduction}]"
        names = list(self.rounded)
        diff = [n for n in self.case.differentiable if n in self.rounded and is_float(self.rounded[n])]
        argnums = [names.index(n) for n in diff]
        try:
            got = self.backend.grad(lambda *a: self.call_user(a, reduction), self.args, argnums)
        except Exception as exc:  # reported in the row
            return self.row(check, False, float("inf"), f"fn raised {_err(exc)}")
        want = self._reference_grad(reduction, argnums)
        for n, g, w in zip(diff, got, want):
            if (nonfinite := _nonfinite_where_finite(_to_float64_numpy(g), _to_float64_numpy(w))) is not None:
                return self.row(check, False, float("inf"), f"non-finite gradient d/d{n}: {nonfinite}")
        # Norm-wise per input: a gradient entry far below the largest one carries that one's
        # rounding error, so entrywise relative errors would flag correct code.
        errs = {n: rel_err(g, w) for n, g, w in zip(diff, got, want)}
        worst_name = max(errs, key=errs.__getitem__)
        worst = errs[worst_name]
        rtol = self.rtol * 10  # a gradient takes more roundings than the value
        if self.edge and self.dtype != "float64" and worst > rtol:
            # At an edge point a low-precision gradient may be far from the float64 one for any
            # implementation: hold fn to the standard lossapi's own gradient in this dtype meets.
            try:
                own = self.backend.grad(
                    lambda *a: self.record.fn(*a, **self.kw, reduction=reduction), self.args, argnums
                )
                own_err = max(rel_err(g, w) for g, w in zip(own, want))
            except Exception:  # noqa: BLE001  (then the plain tolerance stands)
                own_err = 0.0
            if own_err == own_err and own_err < float("inf"):
                rtol = max(rtol, 2 * own_err)
        if worst <= rtol:
            return self.row(check, True, worst)
        return self.row(check, False, worst, f"d/d{worst_name}: norm-wise relative error {worst:.3g} > {rtol:.3g}")

    def _reference_grad(self, reduction: str, argnums: list[int]) -> list[np.ndarray]:
        """lossapi's gradient on the same backend, in float64 where the backend can."""
        ref_dtype = "float64"
        if self.backend.name == "jax" and not _jax_x64():
            ref_dtype = "float32"  # the best JAX can do without 64-bit mode
        args = list(_convert(self.backend, self.rounded, ref_dtype).values())
        kw = _convert(self.backend, self.rounded_kw, ref_dtype)

        def f(*a: Any) -> Any:
            return self.record.fn(*a, **kw, reduction=reduction)

        return self.backend.grad(f, args, argnums)

    def jit(self, reduction: str) -> ReportRow:
        check = f"jit[{reduction}]"
        jax = importlib.import_module("jax")
        try:
            eager = _to_float64_numpy(self.call_user(self.args, reduction))
            got = _to_float64_numpy(jax.jit(lambda *a: self.call_user(a, reduction))(*self.args))
        except Exception as exc:  # e.g. a Python branch on a traced value
            return self.row(check, False, float("inf"), f"fn raised {_err(exc)}")
        ok, worst, detail = compare(got, eager, self.rtol, None, TOLERANCES[self.dtype].atol)
        return self.row(check, ok, worst, detail and f"jax.jit vs eager: {detail}")

    def compile(self, reduction: str) -> ReportRow:
        check = f"compile[{reduction}]"
        torch = importlib.import_module("torch")
        from ._conformance.transform_checks import compile_backend

        try:
            eager = _to_float64_numpy(self.call_user(self.args, reduction))
            compiled = torch.compile(lambda *a: self.call_user(a, reduction), fullgraph=True, backend=compile_backend())
            got = _to_float64_numpy(compiled(*self.args))
        except Exception as exc:  # a graph break under fullgraph=True, or a compiler error
            return self.row(check, False, float("inf"), f"torch.compile raised {_err(exc)}")
        ok, worst, detail = compare(got, eager, self.rtol, None, TOLERANCES[self.dtype].atol)
        return self.row(check, ok, worst, detail and f"torch.compile vs eager: {detail}")


def check_against(
    fn: Callable[..., Any],
    loss_name: str,
    *,
    backends: Sequence[str | Any] | None = None,
    dtypes: Sequence[Any] = ("float32", "float64"),
    options: Mapping[str, Any] | None = None,
    reductions: Sequence[str] = ("mean",),
    shape: Sequence[int] = (8,),
    seed: int = 0,
    grad: bool = True,
    jit: bool = True,
    compile: bool = False,
    edges: bool = True,
) -> Report:
    """Check your own implementation of a loss against lossapi's, on every backend and dtype.

    ``fn`` is called like the lossapi loss: the same positional inputs (drawn by
    :func:`make_inputs`), the options as keywords, and ``reduction=`` when ``fn`` accepts it.
    Per backend and dtype it checks

    - ``value[r]``: the result equals lossapi's, computed in float64 on NumPy from the same
      (rounded) inputs, within the conformance tolerance of the dtype;
    - ``grad[r]`` (torch, JAX; not for ``"none"``): the gradient w.r.t. every floating
      differentiable input (torch autograd, ``jax.grad``) equals lossapi's on the same
      backend, computed in float64;
    - ``jit[r]`` (JAX): ``jax.jit(fn)`` runs and equals eager ``fn``;
    - ``compile[r]`` (torch, only with ``compile=True``): ``torch.compile(fn, fullgraph=True)``
      runs and equals eager ``fn``;
    - ``edge[<label>] value[r]`` and ``edge[<label>] grad[r]`` (``edges=True``): the same value
      and gradient checks on each edge point of the loss's conformance case (saturated
      logits, probabilities at 0/1, zero vectors, exact kinks, extreme magnitudes), where
      random inputs never go. An output or gradient that is NaN/inf where lossapi's is
      finite fails with ``non-finite output`` / ``non-finite gradient``; gradients are
      checked only at differentiable edges (not at kinks); in a dtype below float64 a
      gradient is held to ``10 * rtol`` or twice the error of lossapi's own gradient in that
      dtype, whichever is larger. These rows carry ``ReportRow.edge``. An edge is a
      skipped row when its values overflow (or underflow to 0 in) the dtype, when it sets
      an option ``options`` pins to another value or that ``fn`` does not take, or when it
      gives an input in another kind than the random draw (probability targets where ``fn``
      was given integer labels). A NaN ``"mean"`` where every per-element loss is 0 (nothing
      counted, e.g. every label ignored: torch's 0 / 0) is a skipped row too, as lossapi
      returns 0 there by convention.

    Nothing raises on a mismatch or when ``fn`` raises: each problem is a failing row with the
    reason. Errors in the call of ``check_against`` itself (unknown loss, backend or option)
    raise.

    Parameters
    ----------
    fn : callable
        Your implementation: ``fn(*inputs, **options[, reduction=...])``.
    loss_name : str
        Catalog name of the lossapi loss it should equal.
    backends : sequence of str or modules, optional
        Backends to run on (names or namespace modules, as in :func:`make_inputs`). Default:
        every installed one. A named backend that cannot be imported gives a skipped row.
    dtypes : sequence, default ("float32", "float64")
        Floating dtypes. A dtype a backend lacks gives a skipped row; so does float64 on JAX
        without 64-bit mode (``JAX_ENABLE_X64=1``).
    options : mapping, optional
        Loss options passed to both implementations.
    reductions : sequence of str, default ("mean",)
        Reductions to test when ``fn`` accepts ``reduction=``; a ``fn`` without it is compared
        with lossapi's ``"mean"``.
    shape : tuple of int, default (8,)
        Per-element shape of the inputs (see :func:`make_inputs`).
    seed : int, default 0
        Seed of the inputs.
    grad, jit : bool, default True
        Run the gradient / ``jax.jit`` checks.
    compile : bool, default False
        Run the ``torch.compile`` check (slow: it compiles ``fn`` per dtype and reduction).
    edges : bool, default True
        Also run the value and gradient checks on the catalog's edge inputs of the loss.

    Returns
    -------
    Report
        ``report.ok``, ``str(report)`` (a table), ``report.raise_if_failed()``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossapi.testing import check_against
    >>> def my_huber(pred, target, *, delta=1.0):
    ...     e = np.abs(pred - target)
    ...     return np.mean(np.where(e <= delta, 0.5 * e**2, delta * (e - 0.5 * delta)))
    >>> report = check_against(my_huber, "huber", backends=["numpy"], options={"delta": 0.5})
    >>> report.ok
    True
    >>> print(report)  # doctest: +ELLIPSIS
    my_huber vs lossapi.huber: OK (6 passed, 0 failed, 4 skipped)
      backend  dtype    check                          result  worst rel err  detail
      numpy    float32  value[mean]                    ok      ...
      numpy    float32  edge[|e| = delta = 1]          skip    ...the edge sets delta=1.0; `options` pins 0.5
      numpy    float32  edge[|e| = delta = 2]          skip    ...the edge sets delta=2.0; `options` pins 0.5
      numpy    float32  edge[e = 0] value[mean]        ok      ...
      numpy    float32  edge[large error] value[mean]  ok      ...
      numpy    float64  value[mean]                    ok      ...
      ...

    A port through ``log(sigmoid(x))`` agrees on the random inputs but not where the logits
    saturate:

    >>> def naive_bce(logits, target):
    ...     p = 1 / (1 + np.exp(-logits))
    ...     return np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p)))
    >>> report = check_against(naive_bce, "binary_cross_entropy_with_logits", backends=["numpy"])
    >>> [r.check for r in report.failures if r.dtype == "float64"]
    ['edge[saturated logits +-1e4] value[mean]']
    >>> report.failures[-1].detail
    'non-finite output: nan (want 5000)'
    """
    record = _record(loss_name)
    case = get_case(record.name)
    options = _check_options(record, options)
    dtype_names = [_dtype_arg(d) for d in dtypes]
    bad = [r for r in reductions if r not in ("mean", "sum", "none")]
    if bad:
        raise ValueError(f"unknown reduction {bad[0]!r}; use 'mean', 'sum' or 'none'")
    selected = _select_backends(backends)
    takes_reduction = _accepts(fn, "reduction")
    raw = _draw(record, shape, seed, options)
    # Options lossapi itself rejects are a mistake in this call, not in ``fn``: say so now.
    record.fn(*raw.values(), **loss_options(options))

    edge_points = _edge_points(record, case, fn, options, raw) if edges else []

    rows: list[ReportRow] = []
    for name, reason in selected:
        if reason is not None:
            rows.append(ReportRow(name, "-", "all", True, detail=reason, skipped=True))
            continue
        backend = BACKENDS[name]
        for dtype in dtype_names:
            if dtype not in backend.dtypes:
                rows.append(ReportRow(name, dtype, "all", True, detail=f"{name} has no {dtype}", skipped=True))
                continue
            if name == "jax" and dtype == "float64" and not _jax_x64():
                rows.append(ReportRow(name, dtype, "all", True, detail=_JAX_X64_HINT, skipped=True))
                continue
            runner = _Runner(fn, record, case, backend, dtype, raw, options, takes_reduction)
            for reduction in reductions:
                if not takes_reduction and reduction != "mean":
                    rows.append(
                        ReportRow(
                            name,
                            dtype,
                            f"value[{reduction}]",
                            True,
                            skipped=True,
                            detail="fn takes no `reduction` argument",
                        )
                    )
                    continue
                rows.append(runner.value(reduction))
                if grad and backend.differentiable and reduction != "none":
                    rows.append(runner.grad(reduction))
                if jit and name == "jax":
                    rows.append(runner.jit(reduction))
                if compile and name == "torch":
                    rows.append(runner.compile(reduction))
            for label, edge_raw, edge_options, kink, reason in edge_points:
                reason = reason or _unrepresentable({**edge_raw, **edge_options}, dtype)
                if reason is not None:
                    rows.append(ReportRow(name, dtype, f"edge[{label}]", True, detail=reason, skipped=True, edge=label))
                    continue
                edge_runner = _Runner(
                    fn, record, case, backend, dtype, edge_raw, edge_options, takes_reduction, edge=label
                )
                for reduction in reductions:
                    if not takes_reduction and reduction != "mean":
                        continue  # the random rows already say so
                    rows.append(edge_runner.value(reduction))
                    if grad and not kink and backend.differentiable and reduction != "none":
                        rows.append(edge_runner.grad(reduction))
    return Report(record.name, _fn_name(fn), tuple(rows))
