"""The bad-input catalog: every catalog loss on every backend.

Each case is built from ``la.catalog()`` (inputs, input spaces, options, ``has_axis``) and
``lossapi.testing.make_inputs``, so a new loss is covered without editing this file. Every bad
input must raise the specific lossapi error class (which also subclasses the builtin users
catch) with a message naming the function, the argument, what was received and what is
expected; never a backend traceback, never a silent wrong result. One test iterates over all
losses and collects every failure, naming loss, backend and input, so a regression reads as a
list.

Rules tested here (documented in docs/api.md, "Errors"):

* shapes/dtypes/options/array kinds are checked statically (free under jit, no Dask compute);
* a Python number may stand for a *secondary* input of an elementwise loss (it broadcasts);
  never for the prediction, and never for labels, boxes, lengths, rankings or masks;
* a 0-d input where a class/feature axis is needed, a class axis of size 0 -> ShapeMismatchError;
  ``axis`` out of range or not an int -> InvalidOptionError;
* an empty batch is valid: mean -> 0, sum -> 0, "none" -> an empty array (0-d for losses that
  pool the batch, e.g. segmentation with ``per_sample=False``), zero gradients, no warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lossapi as la
from lossapi._conformance.cases import CASES
from lossapi._options import Choice, ClassWeight, Integer, Interval, Union
from lossapi.testing import make_inputs

RECORDS = la.catalog()
BUILTIN = {
    la.NamespaceMismatchError: TypeError,
    la.DeviceMismatchError: ValueError,
    la.ShapeMismatchError: ValueError,
    la.InvalidDTypeError: TypeError,
    la.InvalidOptionError: ValueError,
    la.InputTypeError: TypeError,
}


# -- helpers ----------------------------------------------------------------------------------------


def _inputs(rec: Any, backend: Any, shape: tuple[int, ...] = (4,), **kw: Any) -> Any:
    return make_inputs(rec.name, xp=backend.name, shape=shape, **kw)


def _np(backend: Any, x: Any) -> np.ndarray:
    return backend.to_numpy(x)


def _call(fn: Callable[..., Any], args: Any, kwargs: dict[str, Any]) -> tuple[str, Any]:
    """("ok", result) or (error class name, exception); warnings are errors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return "ok", fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - classified by the caller
        return type(e).__name__, e


def _expect(
    failures: list[str],
    label: str,
    classes: tuple[type, ...],
    fn: Callable[..., Any],
    args: Any,
    kwargs: dict[str, Any],
    needles: tuple[str, ...],
) -> None:
    """Record a failure unless ``fn(*args, **kwargs)`` raises one of ``classes`` naming ``needles``."""
    st, res = _call(fn, args, kwargs)
    if st == "ok":
        failures.append(f"{label}: no error (expected {'/'.join(c.__name__ for c in classes)})")
        return
    if not isinstance(res, classes):
        failures.append(
            f"{label}: {type(res).__module__}.{st}: {str(res)[:160]} (expected {'/'.join(c.__name__ for c in classes)})"
        )
        return
    builtin = BUILTIN[type(res)]
    if not isinstance(res, builtin):
        failures.append(f"{label}: {st} is not a {builtin.__name__}")
    msg = str(res)
    missing = [n for n in needles if n not in msg]
    if missing:
        failures.append(f"{label}: message lacks {missing}: {msg}")


def _check(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(failures[:60])


def _to_numpy_result(backend: Any, out: Any) -> np.ndarray:
    return np.asarray(out if isinstance(out, np.ndarray) else _np(backend, out), dtype=np.float64)


def _same(backend: Any, a: Any, b: Any) -> bool:
    x, y = _to_numpy_result(backend, a), _to_numpy_result(backend, b)
    return x.shape == y.shape and np.allclose(x, y, rtol=1e-10, atol=1e-12, equal_nan=True)


# Backends whose results are compared with a reference in the value-semantics tests below; on
# JAX and Dask (same Array API code, slow to compile/schedule) only the error classes are checked.
COMPARE = ("numpy", "array_api_strict", "torch")


def _dtype_str(a: Any) -> str:
    return str(a.dtype).rsplit(".", 1)[-1]


# -- 1. mixed namespaces ----------------------------------------------------------------------------


def test_mixed_namespaces(backend, strict):
    """A second input of another library -> NamespaceMismatchError naming both libraries."""
    other_name = "array_api_strict" if backend.name == "numpy" else "numpy"
    failures: list[str] = []
    for rec in RECORDS:
        if len(rec.inputs) < 2:
            continue
        inp = _inputs(rec, backend)
        args = list(inp.args)
        x1 = _np(backend, args[1])
        args[1] = strict.asarray(x1) if other_name == "array_api_strict" else x1
        _expect(
            failures,
            f"{rec.name}[{backend.name}+{other_name}]",
            (la.NamespaceMismatchError,),
            rec.fn,
            args,
            inp.kwargs,
            (f"lossapi.{rec.name}", f"`{rec.inputs[0]}`", f"`{rec.inputs[1]}`", backend.name, other_name),
        )
    _check(failures)


# -- 2. mixed devices --------------------------------------------------------------------------------


def test_mixed_devices_array_api_strict(strict):
    failures: list[str] = []
    dev1, default = strict.Device("device1"), strict.Device("CPU_DEVICE")
    for rec in RECORDS:
        inp = make_inputs(rec.name, xp="array_api_strict", shape=(4,), device=dev1)
        for i in range(1, len(rec.inputs)):
            args = list(inp.args)
            args[i] = strict.asarray(args[i], device=default)
            _expect(
                failures,
                f"{rec.name}[{rec.inputs[i]} on CPU_DEVICE]",
                (la.DeviceMismatchError,),
                rec.fn,
                args,
                inp.kwargs,
                (f"lossapi.{rec.name}", f"`{rec.inputs[i]}`", "device1", "CPU_DEVICE"),
            )
    _check(failures)


def test_mixed_devices_torch(torch):
    """A "meta" tensor next to CPU tensors: a device mismatch, not a torch RuntimeError."""
    failures: list[str] = []
    for rec in RECORDS:
        inp = make_inputs(rec.name, xp="torch", shape=(4,))
        for i in range(1, len(rec.inputs)):
            args = list(inp.args)
            args[i] = args[i].to("meta")
            _expect(
                failures,
                f"{rec.name}[{rec.inputs[i]} on meta]",
                (la.DeviceMismatchError,),
                rec.fn,
                args,
                inp.kwargs,
                (f"lossapi.{rec.name}", f"`{rec.inputs[i]}`", "meta", "cpu"),
            )
    _check(failures)


def test_mixed_devices_jax(jax):
    if jax.device_count() < 2:
        pytest.skip("JAX sees a single device here: no device mismatch can be built")
    failures: list[str] = []  # pragma: no cover - needs 2 JAX devices
    d0, d1 = jax.devices()[:2]
    for rec in RECORDS:
        inp = make_inputs(rec.name, xp="jax", shape=(4,), device=d0)
        args = list(inp.args)
        if len(args) < 2:
            continue
        args[1] = jax.device_put(args[1], d1)
        _expect(
            failures,
            rec.name,
            (la.DeviceMismatchError,),
            rec.fn,
            args,
            inp.kwargs,
            (f"lossapi.{rec.name}", f"`{rec.inputs[1]}`"),
        )
    _check(failures)


# -- 3. shapes that do not broadcast ----------------------------------------------------------------


def test_shapes_that_do_not_broadcast(backend):
    """Input i of a batch of 3 against the others' batch of 4 -> ShapeMismatchError with both shapes."""
    failures: list[str] = []
    for rec in RECORDS:
        if len(rec.inputs) < 2:
            continue
        inp, inp3 = _inputs(rec, backend), _inputs(rec, backend, shape=(3,))
        kwargs = dict(inp.kwargs)
        if rec.name == "gan_discriminator":
            # Real and fake batches may differ in size for "mean"/"sum" (documented); "none" needs
            # one per-element loss.
            kwargs["reduction"] = "none"
        shared = CASES[rec.name].shared if rec.name in CASES else ()
        for i in range(1, len(rec.inputs)):
            if rec.inputs[i] in shared:
                continue  # no batch axis (a linear layer's weight): the same at every batch size
            args = list(inp.args)
            args[i] = inp3.args[i]
            _expect(
                failures,
                f"{rec.name}[{backend.name}, {rec.inputs[i]} {tuple(args[i].shape)}]",
                (la.ShapeMismatchError,),
                rec.fn,
                args,
                kwargs,
                (f"lossapi.{rec.name}", f"`{rec.inputs[i]}`", str(tuple(args[i].shape))),
            )
    _check(failures)


# -- 4. integer / bool predictions, 5. float labels ---------------------------------------------------


def test_integer_or_bool_predictions(backend):
    failures: list[str] = []
    for rec in RECORDS:
        inp = _inputs(rec, backend)
        x0 = _np(backend, inp.args[0])
        for dt in ("int64", "bool"):
            args = list(inp.args)
            args[0] = backend.asarray(x0.astype(dt))
            _expect(
                failures,
                f"{rec.name}[{backend.name}, {rec.inputs[0]} {dt}]",
                (la.InvalidDTypeError,),
                rec.fn,
                args,
                inp.kwargs,
                (f"lossapi.{rec.name}", f"`{rec.inputs[0]}`", _dtype_str(args[0]), "floating"),
            )
    _check(failures)


def test_integer_secondary_inputs_raise_or_equal_the_float_result(backend):
    """An integer array for a later floating input: an error, or exactly the float result (cast)."""
    failures: list[str] = []
    for rec in RECORDS:
        inp = _inputs(rec, backend)
        for i in range(1, len(rec.inputs)):
            x = _np(backend, inp.args[i])
            if x.dtype.kind != "f":
                continue
            xi = np.round(x * 3).astype(np.int64)
            as_int, as_float = list(inp.args), list(inp.args)
            as_int[i] = backend.asarray(xi)
            as_float[i] = backend.asarray(xi.astype(x.dtype))
            label = f"{rec.name}[{backend.name}, {rec.inputs[i]} int64]"
            st, res = _call(rec.fn, as_int, {**inp.kwargs, "reduction": "sum"})
            if st == "ok":
                if backend.name in COMPARE:
                    st2, ref = _call(rec.fn, as_float, {**inp.kwargs, "reduction": "sum"})
                    if st2 == "ok" and not _same(backend, res, ref):
                        failures.append(f"{label}: silently differs from the float input: {res} vs {ref}")
            elif not isinstance(res, (la.InvalidDTypeError, la.ShapeMismatchError)):
                failures.append(f"{label}: {st}: {res}")
            elif f"`{rec.inputs[i]}`" not in str(res):
                failures.append(f"{label}: message does not name the input: {res}")
    _check(failures)


# Label inputs for which a floating array is a valid, documented alternative.
FLOAT_LABELS_OK = {
    ("lovasz_hinge", "labels"),  # binary masks {0, 1} of the logits' shape, any real dtype
    ("ranknet", "relevance"),  # graded relevance may be fractional
}


def test_float_labels_where_indices_are_required(backend):
    """Integer label inputs given as floats: InvalidDTypeError for labels/lengths; for a
    "label_or_probability" target a float array means class probabilities, so the label shape
    gives a ShapeMismatchError that says so."""
    failures: list[str] = []
    for rec in RECORDS:
        # 7 entries, more than any case's class count: float labels of shape (N,) with N = C would
        # broadcast as one probability row against the (N, C) logits.
        inp = _inputs(rec, backend, shape=(7,))
        for i, name in enumerate(rec.inputs):
            x = _np(backend, inp.args[i])
            if x.dtype.kind not in "iu" or (rec.name, name) in FLOAT_LABELS_OK:
                continue
            args = list(inp.args)
            args[i] = backend.asarray(x.astype(np.float64))
            label = f"{rec.name}[{backend.name}, {name} float64]"
            if rec.input_spaces[name] == "label_or_probability":
                _expect(
                    failures,
                    label,
                    (la.ShapeMismatchError,),
                    rec.fn,
                    args,
                    inp.kwargs,
                    (f"lossapi.{rec.name}", f"`{name}`", str(tuple(x.shape)), "probabilities"),
                )
            else:
                _expect(
                    failures,
                    label,
                    (la.InvalidDTypeError,),
                    rec.fn,
                    args,
                    inp.kwargs,
                    (f"lossapi.{rec.name}", f"`{name}`", "float64", "integer"),
                )
    _check(failures)


def test_float_labels_that_are_documented_as_valid(backend):
    for name, inp_name in sorted(FLOAT_LABELS_OK):
        rec = la.lookup_loss(name)
        inp = _inputs(rec, backend)
        i = rec.inputs.index(inp_name)
        x = _np(backend, inp.args[i])
        args = list(inp.args)
        args[i] = backend.asarray(x.astype(np.float64))
        assert _same(backend, rec.fn(*args, **inp.kwargs), rec.fn(*inp.args, **inp.kwargs)), name


# -- 6. unknown reduction -----------------------------------------------------------------------------


def test_unknown_reduction(backend):
    failures: list[str] = []
    for rec in RECORDS:
        inp = _inputs(rec, backend)
        for red in ("avg", None, "MEAN"):
            _expect(
                failures,
                f"{rec.name}[{backend.name}, reduction={red!r}]",
                (la.InvalidOptionError,),
                rec.fn,
                inp.args,
                {**inp.kwargs, "reduction": red},
                (f"lossapi.{rec.name}", f"reduction={red!r}", "'mean', 'sum', 'none'"),
            )
    _check(failures)


# -- 7. hyper-parameters out of range or of the wrong type ----------------------------------------------

NAN, INF = float("nan"), float("inf")

# ("*", option) -> values outside the documented domain of every option of that name (beyond the
# generic NaN, inf, string, bool and None checks below). A loss's own out-of-range values are its
# conformance case's ``invalid_options`` (``lossapi/_conformance/families/``), which replace the
# generic ones of that option (``[]``: e.g. margin_ranking / hinge_embedding margins and
# triplet_margin's eps may be negative, as in torch); options absent from both have no bound
# besides finiteness. Values just beyond each option's declared constraint are derived from it
# (``_beyond``) and tested too.
OUT_OF_RANGE: dict[tuple[str, str], list[Any]] = {
    ("*", "label_smoothing"): [-0.1, 1.5],
    ("*", "temperature"): [0.0, -1.0],
    ("*", "delta"): [0.0, -1.0],
    ("*", "beta"): [-0.5],
    ("*", "c"): [0.0, -2.0],
    ("*", "smooth"): [-1.0],
    ("*", "clip"): [0.0, -0.1],
    ("*", "lambda_coord"): [-1.0],
    ("*", "lambda_noobj"): [-1.0],
    ("*", "pos_weight"): [-1.0],
    ("*", "gamma"): [-1.0],
    ("*", "alpha"): [-0.1],
    ("*", "eps"): [-1.0],
    ("*", "margin"): [-1.0],
    ("*", "power"): [0.5, 0.01],
}
INF_OK = {("triplet_margin", "p")}  # the maximum norm
NEG_INF_OK = {("general_robust", "alpha")}  # -inf is valid, +inf is not
INT_OPTIONS = {"ignore_index", "blank"}  # integers: no NaN/inf/strings


def _accepts(c: Any, v: Any) -> bool:
    """Whether the declared constraint ``c`` admits the number or string ``v`` (its bounds and
    choices only; unknown constraint kinds admit everything)."""
    if isinstance(c, Union):
        return any(_accepts(m, v) for m in c.constraints)
    if isinstance(c, Choice):
        return any(v is w or (type(v) is type(w) and v == w) for w in c.values)
    if isinstance(c, (Interval, Integer)):
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float))
            or (isinstance(c, Integer) and not isinstance(v, int))
        ):
            return False
        lo_open = isinstance(c, Interval) and c.low_open
        hi_open = isinstance(c, Interval) and c.high_open
        return not (
            (c.low is not None and (v <= c.low if lo_open else v < c.low))
            or (c.high is not None and (v >= c.high if hi_open else v > c.high))
        )
    if isinstance(c, ClassWeight) and c.number is not None:
        return _accepts(c.number, v)
    return True


def _beyond(c: Any) -> list[Any]:
    """Values just outside the declared constraint ``c`` of an option: beyond each finite
    ``Interval`` bound (the next float outside; the bound itself when open), beyond each
    ``Integer`` bound, a value not among a ``Choice`` (a string of the wrong case, an int above
    the largest), those of each member of a ``Union`` that no member admits; a ``ClassWeight``
    that also takes one number (``PerClass``) is checked as that number."""
    if isinstance(c, Union):
        return [v for m in c.constraints for v in _beyond(m) if not _accepts(c, v)]
    if isinstance(c, ClassWeight):
        return _beyond(c.number) if c.number is not None else []
    if isinstance(c, Integer):
        return [
            b
            for b in ((c.low - 1) if c.low is not None else None, (c.high + 1) if c.high is not None else None)
            if b is not None
        ]
    if isinstance(c, Interval):
        out = []
        if c.low is not None and math.isfinite(c.low):
            out.append(float(c.low) if c.low_open else math.nextafter(float(c.low), -math.inf))
        if c.high is not None and math.isfinite(c.high):
            out.append(float(c.high) if c.high_open else math.nextafter(float(c.high), math.inf))
        return out
    if isinstance(c, Choice):
        strings = [w for w in c.values if isinstance(w, str)]
        numbers = [w for w in c.values if isinstance(w, (int, float)) and not isinstance(w, bool)]
        out = []
        if strings:
            out.append(next(s for s in (strings[0].upper(), strings[0] + "_") if not _accepts(c, s)))
        if numbers:
            out.append(int(max(numbers)) + 1)
        return out
    return []


def _bad_values(rec: Any, opt: str, default: Any) -> list[Any]:
    """Generic bad values for the option's kind, the loss's own (its case's ``invalid_options``)
    or the generic out-of-range ones, and those just beyond its declared constraint."""
    if isinstance(default, bool):
        vals: list[Any] = [1, 0.0, "yes", None]
    elif isinstance(default, str):
        vals = ["bogus", 3]
    elif opt in ("class_weight",):
        vals = ["1", True]
    else:
        vals = [NAN, "1", True]
        if opt in INT_OPTIONS:
            vals = [1.5, "1", True]
        elif (rec.name, opt) in NEG_INF_OK:
            vals += [INF]
        elif (rec.name, opt) not in INF_OK:
            vals += [INF, -INF]
        if default is not None:
            vals.append(None)
        vals += OUT_OF_RANGE.get(("*", opt), []) if opt not in CASES[rec.name].invalid_options else []
    vals += CASES[rec.name].invalid_options.get(opt, [])
    seen = {repr(v) for v in vals}
    return vals + [v for v in _beyond(rec.constraints.get(opt)) if repr(v) not in seen]


def test_every_option_rejects_out_of_domain_values(backend):
    """Every option of every loss: NaN, inf, strings, bools for numbers, None for a required
    number, and the documented range -> InvalidOptionError naming the option and the value."""
    failures: list[str] = []
    for rec in RECORDS:
        inp = _inputs(rec, backend)
        for opt, default in rec.options.items():
            for v in _bad_values(rec, opt, default):
                _expect(
                    failures,
                    f"{rec.name}[{backend.name}, {opt}={v!r}]",
                    (la.InvalidOptionError,),
                    rec.fn,
                    inp.args,
                    {**inp.kwargs, opt: v},
                    (f"lossapi.{rec.name}", opt, repr(v)),
                )
    _check(failures)


def test_documented_boundaries_are_accepted():
    """The edges the domains include (and the unbounded options) stay valid."""
    ok = [
        ("generalized_cross_entropy", "q", 1.0),
        ("poly1_cross_entropy", "epsilon", -1.5),
        ("cosine_embedding", "margin", -1.0),
        ("cosine_embedding", "margin", 1.0),
        ("margin_ranking", "margin", -1.0),
        ("hinge_embedding", "margin", -0.5),
        ("triplet_margin", "eps", -1e-3),
        ("triplet_margin", "p", math.inf),
        ("binary_cross_entropy_with_logits", "pos_weight", 0.0),
        ("sigmoid_focal", "gamma", 0.0),
        ("general_robust", "alpha", -math.inf),
        ("general_robust", "alpha", -7.5),
        ("general_robust", "alpha", 0.0),
    ]
    for name, opt, v in ok:
        rec = la.lookup_loss(name)
        inp = make_inputs(name, shape=(4,))
        out = rec.fn(*inp.args, **{**inp.kwargs, opt: v})
        assert np.isfinite(out), (name, opt, v)


def test_array_hyper_parameters_must_be_0d(backend):
    """A (2,)-shaped hyper-parameter would silently broadcast the loss: ShapeMismatchError."""
    failures: list[str] = []
    for rec in RECORDS:
        inp = _inputs(rec, backend)
        for opt, default in rec.options.items():
            number = isinstance(default, (int, float)) and not isinstance(default, bool)
            if not number or opt in INT_OPTIONS or opt in ("p", "power"):
                continue
            v = backend.asarray(np.full((2,), 0.5))
            _expect(
                failures,
                f"{rec.name}[{backend.name}, {opt} of shape (2,)]",
                (la.ShapeMismatchError,),
                rec.fn,
                inp.args,
                {**inp.kwargs, opt: v},
                (f"lossapi.{rec.name}", f"`{opt}`", "(2,)", "0-d"),
            )
    _check(failures)


# -- 8. class weights of the wrong length ------------------------------------------------------------


def test_class_weights_of_the_wrong_shape(backend):
    failures: list[str] = []
    for rec in RECORDS:
        opts = [o for o in ("class_weight", "pos_weight") if o in rec.options]
        if rec.name == "softmax_focal":
            opts.append("alpha")  # 0-d or one per class
        if not opts:
            continue
        inp = _inputs(rec, backend)
        x0 = inp.args[0]
        c = x0.shape[-1] if rec.has_axis else 1
        for opt in opts:
            for shape in ((c + 1,), (2, c + 1)):
                v = backend.asarray(np.ones(shape))
                _expect(
                    failures,
                    f"{rec.name}[{backend.name}, {opt} {shape}]",
                    (la.ShapeMismatchError,),
                    rec.fn,
                    inp.args,
                    {**inp.kwargs, opt: v},
                    (f"lossapi.{rec.name}", opt, str(shape)),
                )
    _check(failures)


# -- 9. boxes ----------------------------------------------------------------------------------------


def test_wrong_number_of_box_coordinates(backend):
    failures: list[str] = []
    for rec in RECORDS:
        box_inputs = [i for i, n in enumerate(rec.inputs) if rec.input_spaces[n] == "box_xyxy"]
        grid = [i for i, n in enumerate(rec.inputs) if rec.input_spaces[n] == "yolo_grid"]
        if not box_inputs and not grid:
            continue
        inp = _inputs(rec, backend)
        for i in box_inputs:
            for d in (3, 5):
                args = list(inp.args)
                args[i] = backend.asarray(np.ones((*args[i].shape[:-1], d)))
                _expect(
                    failures,
                    f"{rec.name}[{backend.name}, {rec.inputs[i]} (..., {d})]",
                    (la.ShapeMismatchError,),
                    rec.fn,
                    args,
                    inp.kwargs,
                    (f"lossapi.{rec.name}", f"`{rec.inputs[i]}`", "4"),
                )
        if grid:  # (x, y, w, h, confidence) + at least one class per cell
            args = [backend.asarray(np.ones((*a.shape[:-1], 5))) for a in inp.args]
            _expect(
                failures,
                f"{rec.name}[{backend.name}, 5 numbers per cell]",
                (la.ShapeMismatchError,),
                rec.fn,
                args,
                inp.kwargs,
                (f"lossapi.{rec.name}", f"`{rec.inputs[0]}`", "5 + C"),
            )
    _check(failures)


# -- 10. Python containers, numbers, None -------------------------------------------------------------


def test_python_lists_tuples_and_none_instead_of_arrays(backend):
    failures: list[str] = []
    for rec in RECORDS:
        inp = _inputs(rec, backend)
        for i, name in enumerate(rec.inputs):
            x = _np(backend, inp.args[i])
            for kind, v in (("list", x.tolist()), ("tuple", tuple(x.tolist())), ("None", None)):
                args = list(inp.args)
                args[i] = v
                needles = (
                    (f"lossapi.{rec.name}", f"`{name}`", "asarray")
                    if kind != "None"
                    else (f"lossapi.{rec.name}", f"`{name}`", "None", "asarray")
                )
                _expect(
                    failures,
                    f"{rec.name}[{backend.name}, {name} as {kind}]",
                    (la.InputTypeError,),
                    rec.fn,
                    args,
                    inp.kwargs,
                    needles,
                )
    _check(failures)


def test_python_numbers_instead_of_arrays(backend):
    """A number for the prediction -> InputTypeError; for a later input either InputTypeError or
    exactly the result of that number broadcast to the input's shape."""
    failures: list[str] = []
    for rec in RECORDS:
        inp = _inputs(rec, backend)
        for i, name in enumerate(rec.inputs):
            x = _np(backend, inp.args[i])
            v = 1 if x.dtype.kind in "iub" else 0.5
            args = list(inp.args)
            args[i] = v
            label = f"{rec.name}[{backend.name}, {name}={v!r}]"
            if i == 0:
                _expect(
                    failures,
                    label,
                    (la.InputTypeError,),
                    rec.fn,
                    args,
                    inp.kwargs,
                    (f"lossapi.{rec.name}", f"`{name}`", "asarray"),
                )
                continue
            st, res = _call(rec.fn, args, {**inp.kwargs, "reduction": "none"})
            if st == "ok" and backend.name not in COMPARE:
                continue
            if st == "ok":
                full = list(inp.args)
                full[i] = backend.asarray(np.full(x.shape, v, dtype=x.dtype))
                ref = rec.fn(*full, **{**inp.kwargs, "reduction": "none"})
                if not _same(backend, res, ref):
                    failures.append(f"{label}: differs from the number broadcast to {x.shape}")
            elif not isinstance(res, la.InputTypeError) or f"`{name}`" not in str(res):
                failures.append(f"{label}: {st}: {res}")
    _check(failures)


# -- 11. 0-d inputs where an axis is needed; axis out of range -------------------------------------------


def test_zero_d_inputs_where_an_axis_is_needed(backend):
    failures: list[str] = []
    for rec in RECORDS:
        if not rec.has_axis:
            continue
        inp = _inputs(rec, backend)
        scalars = [backend.asarray(_np(backend, a).reshape(-1)[0]) for a in inp.args]
        args = list(inp.args)
        args[0] = scalars[0]
        _expect(
            failures,
            f"{rec.name}[{backend.name}, 0-d {rec.inputs[0]}]",
            (la.ShapeMismatchError,),
            rec.fn,
            args,
            inp.kwargs,
            (f"lossapi.{rec.name}", f"`{rec.inputs[0]}`", "0-d"),
        )
        _expect(
            failures,
            f"{rec.name}[{backend.name}, all inputs 0-d]",
            (la.ShapeMismatchError,),
            rec.fn,
            scalars,
            inp.kwargs,
            (f"lossapi.{rec.name}", "0-d"),
        )
        # A 0-d later input: an error, or the same as that value broadcast (a constant target).
        for i in range(1, len(args)):
            args = list(inp.args)
            args[i] = scalars[i]
            label = f"{rec.name}[{backend.name}, 0-d {rec.inputs[i]}]"
            st, res = _call(rec.fn, args, {**inp.kwargs, "reduction": "sum"})
            if st == "ok" and backend.name not in COMPARE:
                continue
            if st == "ok":
                full = list(inp.args)
                full[i] = backend.asarray(np.broadcast_to(_np(backend, scalars[i]), tuple(inp.args[i].shape)).copy())
                if not _same(backend, res, rec.fn(*full, **{**inp.kwargs, "reduction": "sum"})):
                    failures.append(f"{label}: differs from the value broadcast to {tuple(inp.args[i].shape)}")
            elif not isinstance(res, la.ShapeMismatchError):
                failures.append(f"{label}: {st}: {res}")
    _check(failures)


def test_axis_out_of_range_or_not_an_int(backend):
    """Consistently InvalidOptionError (the option is wrong, whatever the shapes)."""
    failures: list[str] = []
    for rec in RECORDS:
        if not rec.has_axis:
            continue
        inp = _inputs(rec, backend)
        nd = inp.args[0].ndim
        for ax in (nd, -nd - 1, 7, 1.5, "x"):
            _expect(
                failures,
                f"{rec.name}[{backend.name}, axis={ax!r}]",
                (la.InvalidOptionError,),
                rec.fn,
                inp.args,
                {**inp.kwargs, "axis": ax},
                (f"lossapi.{rec.name}", f"axis={ax!r}" if isinstance(ax, int) else repr(ax)),
            )
    _check(failures)


def test_class_axis_of_size_zero(backend):
    failures: list[str] = []
    for rec in RECORDS:
        if not rec.has_axis:
            continue
        inp = _inputs(rec, backend)
        x0 = _np(backend, inp.args[0])
        args = []
        for a in inp.args:
            xa = _np(backend, a)
            args.append(backend.asarray(xa[..., :0] if xa.shape == x0.shape else xa))
        _expect(
            failures,
            f"{rec.name}[{backend.name}, {tuple(args[0].shape)}]",
            (la.ShapeMismatchError,),
            rec.fn,
            args,
            inp.kwargs,
            (f"lossapi.{rec.name}", str(tuple(args[0].shape)), "size 0"),
        )
    _check(failures)


# -- 12. empty batches ------------------------------------------------------------------------------------


def test_empty_batches_are_valid(backend):
    """mean -> 0, sum -> 0, "none" -> an empty array (0-d where the loss pools the batch); no
    NaN, no warning, on every backend (Dask computed)."""
    failures: list[str] = []
    for rec in RECORDS:
        inp = _inputs(rec, backend, shape=(0,))
        ref_none = rec.fn(*make_inputs(rec.name, shape=(2,)).args, reduction="none")
        want_none = tuple(0 if d == 2 else d for d in np.shape(ref_none))
        reductions = ("mean", "sum", "none")
        if backend.name == "jax":  # one compilation per loss instead of one per primitive and reduction
            import jax

            kw = inp.kwargs
            st, res3 = _call(
                jax.jit(lambda *a, kw=kw, fn=rec.fn, rs=reductions: tuple(fn(*a, **kw, reduction=r) for r in rs)),
                inp.args,
                {},
            )
            results = [(st, r) for r in res3] if st == "ok" else [(st, res3)] * 3
        else:
            results = [_call(rec.fn, inp.args, {**inp.kwargs, "reduction": red}) for red in reductions]
        if backend.name == "dask" and all(st == "ok" for st, _ in results):
            import dask  # one scheduler run for the three results

            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    results = [("ok", np.asarray(v)) for v in dask.compute(*[r for _, r in results])]
            except Exception as e:  # noqa: BLE001 - a lazy failure is a failure too
                failures.append(f"{rec.name}[dask]: computing the results: {type(e).__name__}: {e}")
                continue
        for red, (st, res) in zip(reductions, results):
            label = f"{rec.name}[{backend.name}, {red}, {tuple(inp.args[0].shape)}]"
            if st != "ok":
                failures.append(f"{label}: {st}: {res}")
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    out = _to_numpy_result(backend, res)
            except Exception as e:  # noqa: BLE001 - a lazy failure (Dask) is a failure too
                failures.append(f"{label}: computing the result: {type(e).__name__}: {e}")
                continue
            want = want_none if red == "none" else ()
            if out.shape != want or np.any(out != 0):
                failures.append(f"{label}: got shape {out.shape} values {out.ravel()[:4]}, want zeros of shape {want}")
    _check(failures)


def test_empty_batch_gradients_are_zero(torch, jax):
    failures: list[str] = []
    for rec in RECORDS:
        inp = make_inputs(rec.name, xp="torch", shape=(0,))
        args = [a.clone().requires_grad_(True) if a.dtype.is_floating_point else a for a in inp.args]
        try:
            rec.fn(*args, **inp.kwargs).backward()
        except Exception as e:  # noqa: BLE001
            failures.append(f"{rec.name}[torch]: backward failed: {type(e).__name__}: {e}")
            continue
        for i, (name, a) in enumerate(zip(rec.inputs, args)):
            if not a.requires_grad or (a.grad is None and i > 0):  # a target the loss detaches
                continue
            if a.grad is None or tuple(a.grad.shape) != tuple(a.shape) or bool(torch.any(a.grad != 0)):
                failures.append(f"{rec.name}[torch]: gradient of `{name}` is {a.grad}")
        jinp = make_inputs(rec.name, xp="jax", shape=(0,))
        x0, rest = jinp.args[0], jinp.args[1:]
        g = jax.jit(jax.grad(lambda x, rest=rest, rec=rec, kw=jinp.kwargs: rec.fn(x, *rest, **kw)))(x0)
        if g.shape != x0.shape or bool(jax.numpy.any(g != 0)):
            failures.append(f"{rec.name}[jax]: gradient {g}")
    _check(failures)


def test_checks_do_not_depend_on_the_namespace_cache():
    """The namespace cache is keyed by argument types only: a key cached by one loss must not let
    another loss skip its checks (a number target is fine for mse, not for softmax_focal; None
    in the 5th slot is a default for binary_cross_entropy, not for gaussian_nll's `var`)."""
    p, logits = np.array([0.2, 0.7]), np.zeros((2, 3))
    for _ in range(2):
        assert float(la.mean_squared_error(p, 1.0)) == pytest.approx(np.mean((p - 1.0) ** 2))
        with pytest.raises(la.InputTypeError, match=r"softmax_focal.*`target`"):
            la.softmax_focal(logits, 1)
        la.binary_cross_entropy(p, p)
        with pytest.raises(la.InputTypeError, match=r"gaussian_nll.*`var`"):
            la.gaussian_nll(p, p, None)
        with pytest.raises(la.InvalidOptionError, match=r"huber.*`delta`=None"):
            la.huber(p, p, delta=None)
