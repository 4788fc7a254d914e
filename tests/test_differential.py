"""Differential testing: every backend and code path gives the same answer for the same input.

lossapi promises one answer everywhere: for any input (valid, extreme or invalid) NumPy,
array-api-strict, JAX (eager and under ``jax.jit``), PyTorch's generic Array API path
(``with lossapi.native(False):``), PyTorch's native fast path (the default, for the losses in
``lossapi._native.native_backends``) and ``torch.compile(fullgraph=True)`` return the same
values and gradients. This module draws inputs per catalog loss with hypothesis and compares
the paths.

What is drawn
-------------
One example of ``test_paths_agree[loss]`` is a *configuration* (an option set of the loss's
conformance case, a per-element shape of 1-3 dimensions of size 1..5, float32 or float64,
sometimes ``sample_weight``, the reduction whose gradient is taken and the inputs it is taken
w.r.t.: every floating input, or the case's ``differentiable`` ones) and, on the configuration's
valid inputs (``test_fuzz.samples``: the case's ``make_inputs``), one variant per category:

- ``valid``: the inputs as drawn;
- ``tie``: one input equal to another of the same space (error exactly 0, zero distance);
- ``kink``: an error exactly at a kink option (``delta``, ``beta``, ``c``, ``epsilon``,
  ``margin``, ``clip``), or a margin exactly met (``scores = margin * target``);
- ``nan``, ``inf`` (either sign), ``huge`` (+-1e30), ``subnormal`` (+-the smallest subnormal of
  the dtype), ``zero`` (an input, or one vector along its class / feature axis, all zero):
  one or two entries of one floating input;
- ``masked``: a -inf logit / log-probability where the target probability is 0 (or the class is
  not the label);
- ``label``: integer class labels -100, -1, C or C+5 (``ignore_index`` when it equals one);
- ``blank`` (CTC): a label equal to ``blank`` inside ``label_lengths``.

Two more configurations per example change the shapes: ``edge`` (one of the case's hand-picked
edge points: kinks, zeros, extremes) and ``empty`` (a batch of size 0). All variants of one
configuration share shapes and dtypes, so ``jax.jit`` and ``torch.compile`` compile once per
configuration and run every variant.

What is compared
----------------
Each path gives ``reduction="none"``, ``"sum"`` and ``"mean"`` and, where it differentiates
(torch generic, torch native, ``jax.grad``, ``jax.jit(jax.grad)``, ``torch.compile`` with
autograd), the gradient of the drawn reduction. Every path is compared with NumPy (values)
and with torch's generic path (gradients; ``jax.grad`` without torch) by
:func:`lossapi.testing.assert_close`:

- the same shape, NaN at exactly the same positions (``"none"``, and the NaN-ness of
  ``"sum"``/``"mean"``), the same infinities (sign included) at the same positions;
- finite values within ``|got - want| <= atol + rtol * |want|``, where ``rtol`` is the dtype's
  conformance tolerance (``lossapi.testing.TOLERANCES``, or the case's own ``rtol``; 1e-10 for
  float64, 1e-4 for float32) and ``atol`` is the dtype's ``atol`` plus ``rtol`` times a scale:
  the typical finite ``|loss|`` for ``"none"`` of a case that ``cancels`` (0 otherwise), the sum
  of finite ``|loss|`` for ``"sum"``, the largest one for ``"mean"``;
- gradients per input the same way with ``10 * rtol`` (a gradient takes more roundings) and a
  scale of the largest finite entry of the reference gradient of that input (norm-wise: a tiny
  entry next to a large one carries the large one's rounding error);
- except the gradient entries with respect to input entries that are themselves NaN or +-inf:
  the derivative there is each framework's autodiff convention (``d|x|/dx`` at ``x = NaN`` is 0
  in torch, NaN in XLA), which lossapi does not override, so those entries are not compared
  (every other entry of that gradient is, and so is the value).

Errors: when NumPy raises a lossapi error (a :class:`lossapi.LossapiError` subclass), every path
must raise the same class; any other exception (``IndexError``, ``RuntimeError``, a
``torch._dynamo`` error under ``torch.compile``, ...) from any path is itself a failure.

Rules checked besides agreement, on the NumPy result (every other path must agree with it):
an integer class label outside ``[0, C)`` that is not ``ignore_index`` makes the ``"none"``
entries it belongs to NaN (and ``"sum"`` NaN); a CTC label equal to ``blank`` inside
``label_lengths`` makes its sequence NaN; an empty batch gives ``"sum" == "mean" == 0`` (by the
loss's own reduction rule where it has one: RMSE's ``eps`` stays under its root).

Known disagreements
-------------------
:data:`KNOWN` maps ``(loss, category, path)`` to the reason of a disagreement that lossapi
cannot remove (a platform's behaviour: XLA flushing subnormals to zero on the CPU, a framework's
autodiff primitive at NaN / inf, ...): that path's comparisons (values, gradients, errors) in
variants of that category of that loss are run but not asserted; the other paths' comparisons
in the same variants, and everything else, are. ``LOSSAPI_DIFF_STRICT=1`` ignores :data:`KNOWN`
(to see whether an entry still fails). Comparisons that go wrong under ``torch.compile`` only
(tracing errors) are filed under the category ``compile``.

Cost and profiles
-----------------
``ci`` (the default; ``tests/conftest.py``): the drawn configuration, the edge point and the
empty batch run on NumPy, array-api-strict and torch (generic and native); a second, fixed
configuration per loss (its first option set, shape (3, 2), float32, gradient of ``"mean"``
w.r.t. every floating input) also runs under ``jax.jit`` (every loss), ``torch.compile`` (the
losses with a torch fast path but CTC, whose time loop takes seconds to trace) and eager JAX
(:data:`CI_EAGER_JAX`: eager JAX compiles each operation per shape, 1-3 s per loss). Compiled
functions are cached per configuration, so the second example of a loss reuses them; no example
is shrunk (see ``_NO_SHRINK``). ``long`` (``nox -s fuzz``): every configuration on every path,
Dask included, ``torch.compile`` on about half of the examples.
``LOSSAPI_DIFF_PATHS=numpy,torch.native,...`` restricts the paths of both profiles.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _backends import _import  # noqa: E402
from hypothesis import Phase, given, note, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_fuzz import _long, _round, samples  # noqa: E402

import lossapi as la  # noqa: E402
from lossapi._conformance.backends import BACKENDS as ALL_BACKENDS  # noqa: E402
from lossapi._conformance.cases import CASES, class_axis_of, loss_options  # noqa: E402
from lossapi._conformance.grad_checks import edge_inputs, oracle_reduce  # noqa: E402
from lossapi._conformance.transform_checks import compile_backend  # noqa: E402
from lossapi._native import native_backends  # noqa: E402
from lossapi.testing import TOLERANCES, _draw, assert_close  # noqa: E402

#: (loss, category, path) -> why that path's disagreement is tolerated (see the module docstring).
KNOWN: dict[tuple[str, str, str], str] = {}
_JAX = ("jax", "jax.jit")
_FTZ = "XLA on the CPU flushes subnormal numbers to zero (eager operations and jax.jit): a subnormal input is 0"
_MASK_GRAD = (
    "an infinite coordinate makes a cotangent NaN (0 * inf); JAX's derivative of maximum / minimum multiplies "
    "it by a 0/1 mask for the argument not chosen (NaN * 0 = NaN), torch's backward selects 0 there"
)
_OVERFLOW = (
    "float32 overflow at 1e30: squares and products of the 1e30 entry are inf, and JAX's derivatives of the "
    "overflowed expressions differ from torch's (NaN or another finite value)"
)
_ERROR_AT_NONFINITE = (
    "the derivative w.r.t. target where pred is NaN / +-inf (a finite target entry): the error pred - target is "
    "non-finite there and its derivative is the framework's autodiff convention (torch 0 or +-1, XLA NaN)"
)
for _loss, _cat, _paths, _why in (
    ("box_iou", "inf", _JAX, _MASK_GRAD),
    ("giou", "inf", _JAX, _MASK_GRAD),
    ("diou", "inf", _JAX, _MASK_GRAD),
    ("ciou", "inf", _JAX, _MASK_GRAD),
    ("giou", "huge", _JAX, _OVERFLOW),
    ("diou", "huge", _JAX, _OVERFLOW),
    ("ciou", "huge", _JAX, _OVERFLOW),
    ("js_divergence", "huge", _JAX, _OVERFLOW),
    ("pseudo_huber", "huge", _JAX, _OVERFLOW + " (the derivative of hypot(1, r))"),
    (
        "matthews",
        "huge",
        ("jax.jit",),
        "float32 overflow at 1e30: the products in the denominator are inf op by op (NaN), XLA's rewrites under "
        "jax.jit keep the quotient finite (1)",
    ),
    ("mean_absolute_error", "nan", _JAX, _ERROR_AT_NONFINITE),
    ("epsilon_insensitive", "nan", _JAX, _ERROR_AT_NONFINITE),
    ("tukey_biweight", "nan", _JAX, _ERROR_AT_NONFINITE),
    ("huber", "inf", _JAX, _ERROR_AT_NONFINITE),
    ("smooth_l1", "inf", _JAX, _ERROR_AT_NONFINITE),
    *(
        (
            _loss,
            "nan",
            ("jax.jit",),
            "the largest other score with a NaN score in the vector: the gradient of "
            "XLA's fused reduce-max under jax.jit is 0 for the other scores where torch and eager JAX give NaN",
        )
        for _loss in ("categorical_hinge", "multiclass_hinge", "multiclass_perceptron")
    ),
    ("generalized_kl_divergence", "subnormal", _JAX, _FTZ),
    ("hellinger", "subnormal", _JAX, _FTZ),
    ("perceptron", "subnormal", _JAX, _FTZ),
    *(
        (
            "yolo",
            _cat,
            ("jax.jit",),
            "XLA folds x * 0 to 0 under jax.jit: a NaN / inf entry of a term whose cell "
            "weight is 0 gives 0 there, NaN op by op",
        )
        for _cat in ("nan", "inf")
    ),
    (
        "linear_cross_entropy",
        "huge",
        _JAX,
        "a hidden state of 1e30: the weight gradient adds that row's 1e30-scaled softmax terms (0 in exact "
        "arithmetic, the row's softmax being one-hot) to the other rows' O(1) terms in float32; JAX's blocked "
        "backward pass (a scan over class chunks) and torch autograd's one matrix product round them differently",
    ),
    (
        "soft_f1",
        "huge",
        ("torch.generic",),
        "targets of +-1e30 (outside [0, 1]) cancel catastrophically in the soft counts: the summation order "
        "(torch's vs NumPy's) changes the float64 result by more than the tolerance",
    ),
):
    for _path in _paths:
        KNOWN[(_loss, _cat, _path)] = _why

CATEGORIES = (
    "valid",
    "tie",
    "kink",
    "nan",
    "inf",
    "huge",
    "subnormal",
    "zero",
    "masked",
    "label",
    "blank",
    "edge",
    "empty",
    "compile",
)

RECORDS = {r.name: r for r in la.catalog()}
NAMES = sorted(RECORDS)
REDUCTIONS = ("none", "sum", "mean")

#: Every path, in comparison order: NumPy is the value reference, torch generic the gradient one.
PATHS = ("numpy", "array_api_strict", "dask", "torch.generic", "torch.native", "jax", "jax.jit", "torch.compile")
GRAD_PATHS = ("torch.generic", "torch.native", "jax", "jax.jit", "torch.compile")
_BACKEND = {
    "numpy": "numpy",
    "array_api_strict": "array_api_strict",
    "dask": "dask",
    "torch.generic": "torch",
    "torch.native": "torch",
    "torch.compile": "torch",
    "jax": "jax",
    "jax.jit": "jax",
}
#: Paths of the ``ci`` profile's drawn, edge and empty configurations (cheap: no compilation).
CI_PATHS = ("numpy", "array_api_strict", "torch.generic", "torch.native")
#: Per-element shape and dtype of the ``ci`` profile's fixed configuration (every compile reused).
CI_SHAPE, CI_DTYPE = (3, 2), "float32"
#: Losses whose fixed configuration also runs on eager JAX under ``ci``: eager JAX compiles every
#: operation for every new shape (1-3 s per loss), so ``ci`` takes a few common kinds
#: (elementwise, sigmoid, softmax with labels, a divergence along a class axis); ``long`` all.
CI_EAGER_JAX = frozenset({"huber", "binary_cross_entropy_with_logits", "cross_entropy", "kl_divergence"})
#: Fast-path losses left out of ``torch.compile`` under ``ci``: CTC's time loop takes ~4 s to trace
#: (and its fast path declines under compilation, so the generic path is what gets compiled).
CI_NO_COMPILE = frozenset({"ctc"})

_TINY = {"float64": 5e-324, "float32": 1e-45}
_HUGE = 1e30
#: Options whose value is a kink of the loss in the error ``pred - target`` (or a margin).
_KINK_OPTIONS = ("delta", "beta", "c", "epsilon", "margin", "clip")
#: Integer inputs that look like class labels but are group ids (any integer is valid).
_NOT_CLASS_LABELS = frozenset({"ntxent", "batch_triplet", "batch_contrastive", "supcon", "circle", "multi_similarity"})
_LABEL_SPACES = frozenset({"label", "label_or_probability", "padded_labels"})
#: Spaces whose floating values are logits / log-probabilities (-inf there means probability 0).
_LOGIT_SPACES = frozenset({"logit", "log_probability"})


def _strict() -> bool:
    return os.environ.get("LOSSAPI_DIFF_STRICT", "").strip().lower() in ("1", "true", "yes", "on")


def _chosen_paths() -> tuple[str, ...]:
    chosen = [p.strip() for p in os.environ.get("LOSSAPI_DIFF_PATHS", "").split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PATHS))
    if unknown:
        raise ValueError(f"LOSSAPI_DIFF_PATHS: unknown paths {unknown}; known: {', '.join(PATHS)}")
    return tuple(p for p in PATHS if not chosen or p in chosen)


@functools.cache
def _available(path: str) -> str | None:
    """Why ``path`` cannot run here (None: it can)."""
    b = ALL_BACKENDS[_BACKEND[path]]
    if not b.available():
        return b.unavailable_reason()
    if path == "jax.jit" or path == "jax":
        b.mod  # noqa: B018 - imports JAX with float64 enabled
    return None


def _paths(name: str, candidates: Sequence[str]) -> tuple[str, ...]:
    """The paths among ``candidates`` that run for loss ``name`` (installed, chosen, meaningful)."""
    chosen = _chosen_paths()
    out = []
    for p in candidates:
        if p not in chosen or _available(p) is not None:
            continue
        if p == "torch.native" and "torch" not in native_backends(name):
            continue  # without a fast path it is the generic path again
        out.append(p)
    return tuple(out)


# -- configurations and variants ------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One input of a configuration: its category, the arrays (floats rounded to the dtype and
    held as float64, labels integer) and what was changed."""

    category: str
    inputs: Mapping[str, np.ndarray]
    what: str = ""


@dataclass(frozen=True)
class Config:
    """Everything the variants of one comparison share (shapes included)."""

    name: str
    kind: str  # "drawn", "fixed", "edge: <label>", "empty"
    options: Mapping[str, Any]  # loss options (case-only keys removed), array values rounded
    dtype: str
    shape: tuple[int, ...]
    wrt: tuple[str, ...]
    grad_reduction: str
    sample_weight: np.ndarray | None
    variants: tuple[Variant, ...] = field(default=())

    def __repr__(self) -> str:  # hypothesis prints every draw: the variants are in the failure report
        opts = {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v) for k, v in self.options.items()}
        return (
            f"Config({self.name}, {self.kind}, {self.dtype}, options {opts}, shape {self.shape}, "
            f"{[v.category for v in self.variants]})"
        )

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # hypothesis' printer (it ignores __repr__)
        p.text(repr(self))

    def key(self) -> str:
        """A repr of what a compiled function depends on (not the values of the inputs)."""
        v = self.variants[0].inputs
        opts = {k: (np.asarray(x).tolist(), str(np.asarray(x).dtype)) for k, x in self.options.items()}
        sw = None if self.sample_weight is None else self.sample_weight.tolist()
        shapes = {k: (a.shape, str(a.dtype)) for k, a in v.items()}
        return repr((self.name, opts, self.dtype, shapes, self.wrt, self.grad_reduction, sw))


def _float_names(inputs: Mapping[str, np.ndarray]) -> list[str]:
    return [k for k, v in inputs.items() if v.dtype.kind == "f" and v.size > 0]


def _with(inputs: Mapping[str, np.ndarray], k: str, v: np.ndarray, dtype: str) -> dict[str, np.ndarray]:
    out = dict(inputs)
    out[k] = _round(np.asarray(v, dtype=np.float64), dtype) if v.dtype.kind == "f" else v
    return out


def _class_info(name: str, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> tuple[str, str, int] | None:
    """``(float input, integer class-label input, C)`` of a loss with class labels and a class
    axis, or None. The labels have the float input's shape without its class axis."""
    if name in _NOT_CLASS_LABELS or name == "ctc":
        return None
    rec = RECORDS[name]
    for centres in ("class_centers", "weight"):  # one class per centre (arcface) / weight row (linear head)
        if centres in rec.inputs:
            return rec.inputs[0], "labels", inputs[centres].shape[0]
    for lab, y in inputs.items():
        if y.dtype.kind not in "iu" or rec.input_spaces[lab] not in _LABEL_SPACES:
            continue
        for k, x in inputs.items():
            if x.dtype.kind != "f":
                continue
            if rec.input_spaces[lab] == "padded_labels" and x.shape == y.shape and x.ndim:
                return k, lab, x.shape[class_axis_of(options, x.ndim)]
            if x.ndim == y.ndim + 1:
                ax = class_axis_of(options, x.ndim)
                if x.shape[:ax] + x.shape[ax + 1 :] == y.shape:
                    return k, lab, x.shape[ax]
    return None


def _bad_labels(name: str, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> np.ndarray | None:
    """Where the rule says the loss must be NaN: the label entries (per element for padded label
    lists) outside ``[0, C)`` that are not ``ignore_index``; None for a loss without class labels."""
    info = _class_info(name, inputs, options)
    if info is None:
        return None
    _, lab, c = info
    y = inputs[lab].astype(np.int64)
    ignore = options.get("ignore_index")
    if RECORDS[name].input_spaces[lab] == "padded_labels":
        ax = class_axis_of(options, y.ndim)
        listed = np.cumsum(y < 0, axis=ax) == 0  # entries before the first negative (padding)
        return np.any(listed & (y >= c), axis=ax)  # per element: its list names a class >= C
    bad = (y < 0) | (y >= c)
    return bad & (y != ignore) if ignore is not None else bad


def _ctc_blank_or_bad(inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> np.ndarray:
    """Per sequence (the batch shape): a listed label is ``blank`` or outside ``[0, C)``."""
    blank = int(options.get("blank", 0))
    c = inputs["log_probs"].shape[-1]
    y = inputs["labels"].astype(np.int64)
    listed = np.arange(y.shape[-1]) < inputs["label_lengths"][..., None]
    return np.any(listed & ((y == blank) | (y < 0) | (y >= c)), axis=-1)


def _positions(draw: Any, size: int, most: int = 2) -> list[int]:
    return draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=min(most, size), unique=True))


def _poke(draw: Any, base: Mapping[str, np.ndarray], dtype: str, values: Sequence[float], cat: str) -> Variant | None:
    names = _float_names(base)
    if not names:
        return None
    k = draw(st.sampled_from(names), label=f"{cat}: input")
    x = base[k].copy()
    idx = _positions(draw, x.size)
    vals = [draw(st.sampled_from(values), label=f"{cat}: value") for _ in idx]
    x.flat[idx] = vals
    return Variant(cat, _with(base, k, x, dtype), f"{k}.flat[{idx}] = {vals}")


def _zero(draw: Any, base: Mapping[str, np.ndarray], shape: tuple[int, ...], opts: Mapping[str, Any], dtype: str):
    names = _float_names(base)
    if not names:
        return None
    k = draw(st.sampled_from(names), label="zero: input")
    x = base[k].copy()
    if x.ndim == len(shape) + 1 and draw(st.booleans(), label="zero: one vector"):
        ax = class_axis_of(opts, x.ndim)
        rest = x.shape[:ax] + x.shape[ax + 1 :]
        at = np.unravel_index(draw(st.integers(0, max(int(np.prod(rest)) - 1, 0))), rest)
        index = (*at[:ax], slice(None), *at[ax:])
        x[index] = 0.0
        return Variant("zero", _with(base, k, x, dtype), f"{k}[{index}] = 0 (a zero vector)")
    x[...] = 0.0
    return Variant("zero", _with(base, k, x, dtype), f"{k} = 0 everywhere")


def _pairs(name: str, base: Mapping[str, np.ndarray]) -> list[tuple[str, str]]:
    """Floating inputs ``(a, b)`` of the same shape and space (``a`` may be set from ``b``)."""
    spaces = RECORDS[name].input_spaces
    names = [k for k in _float_names(base) if spaces[k] != "sign"]
    return [
        (a, b) for a in names for b in names if a != b and base[a].shape == base[b].shape and spaces[a] == spaces[b]
    ]


def _tie(draw: Any, name: str, base: Mapping[str, np.ndarray], dtype: str) -> Variant | None:
    pairs = _pairs(name, base)
    if not pairs:
        return None
    a, b = draw(st.sampled_from(pairs), label="tie: inputs")
    return Variant("tie", _with(base, a, base[b].copy(), dtype), f"{a} = {b}")


def _kink(draw: Any, name: str, base: Mapping[str, np.ndarray], opts: Mapping[str, Any], dtype: str):
    rec = RECORDS[name]
    full = {**rec.options, **opts}
    ks = [o for o in _KINK_OPTIONS if isinstance(full.get(o), (int, float)) and not isinstance(full.get(o), bool)]
    if not ks:
        return None
    opt = draw(st.sampled_from(ks), label="kink: option")
    m = float(full[opt])
    spaces = rec.input_spaces
    reals = [k for k in _float_names(base) if spaces[k] == "real"]
    signs = [k for k in base if spaces[k] == "sign" and base[k].size > 0]
    pairs = [(a, b) for a, b in _pairs(name, base) if spaces[a] == "real"]
    if signs and reals and base[reals[0]].shape == base[signs[0]].shape:
        # A margin exactly met: scores = margin * t (hinge), x1 = x2 + margin * t (margin ranking).
        t = np.where(np.asarray(base[signs[0]]).astype(np.float64) > 0, 1.0, -1.0)
        a = reals[0]
        at = m * t
        if len(reals) > 1 and base[reals[1]].shape == t.shape:
            at = base[reals[1]] + at
        x = base[a].copy()
        idx = _positions(draw, x.size)
        x.flat[idx] = at.flat[idx]
        return Variant("kink", _with(base, a, x, dtype), f"{a}.flat[{idx}]: margin {opt}={m} exactly met")
    if not pairs:
        return None
    a, b = pairs[0]
    x = base[a].copy()
    idx = _positions(draw, x.size)
    s = np.asarray([draw(st.sampled_from((1.0, -1.0)), label="kink: sign") for _ in idx])
    x.flat[idx] = base[b].flat[idx] + s * m
    return Variant("kink", _with(base, a, x, dtype), f"{a}.flat[{idx}] = {b} + {(s * m).tolist()} ({opt})")


def _masked(draw: Any, name: str, base: Mapping[str, np.ndarray], opts: Mapping[str, Any], dtype: str):
    rec = RECORDS[name]
    spaces = rec.input_spaces
    logits = [k for k in _float_names(base) if spaces[k] in _LOGIT_SPACES]
    if not logits or name == "ctc":
        return None
    k = logits[0]
    x = base[k].copy()
    info = _class_info(name, base, opts)
    if info is not None and info[0] == k and rec.input_spaces[info[1]] != "padded_labels":
        _, lab, c = info
        if c < 2:
            return None
        y = base[lab]
        ax = class_axis_of(opts, x.ndim)
        at = np.unravel_index(draw(st.integers(0, y.size - 1), label="masked: sample"), y.shape)
        others = [j for j in range(c) if j != int(y[at])]
        j = draw(st.sampled_from(others), label="masked: class")
        index = (*at[:ax], j, *at[ax:])
        x[index] = -math.inf
        return Variant("masked", _with(base, k, x, dtype), f"{k}[{index}] = -inf (not the label)")
    probs = [t for t in _float_names(base) if t != k and base[t].shape == x.shape and "probab" in spaces[t]]
    if not probs:
        return None
    t = probs[0]
    tt = base[t].copy()
    i = draw(st.integers(0, x.size - 1), label="masked: entry")
    at = np.unravel_index(i, x.shape)
    x[at] = -math.inf
    tt[at] = 0.0
    if rec.has_axis and x.ndim:  # a distribution along the class axis: the rest keeps summing to 1
        ax = class_axis_of(opts, x.ndim)
        row = tuple(slice(None) if d == ax else at[d] for d in range(x.ndim))
        total = tt[row].sum()
        if total > 0:
            tt[row] = tt[row] / total
    return Variant("masked", _with(_with(base, k, x, dtype), t, tt, dtype), f"{k}[{at}] = -inf where {t} = 0")


def _labels(draw: Any, name: str, base: Mapping[str, np.ndarray], opts: Mapping[str, Any]) -> Variant | None:
    if name == "ctc":
        y = base["labels"].copy()
        lengths = base["label_lengths"]
        listed = np.argwhere(np.arange(y.shape[-1]) < lengths[..., None])
        if not len(listed):
            return None
        c = base["log_probs"].shape[-1]
        at = tuple(listed[draw(st.integers(0, len(listed) - 1), label="label: entry")])
        v = draw(st.sampled_from(_label_values(y.dtype, c)), label="label: value")
        y[at] = v
        return Variant("label", {**base, "labels": y}, f"labels[{at}] = {v} (C = {c})")
    info = _class_info(name, base, opts)
    if info is None:
        return None
    _, lab, c = info
    y = base[lab].copy()
    if y.size == 0:
        return None
    idx = _positions(draw, y.size)
    vals = [draw(st.sampled_from(_label_values(y.dtype, c)), label="label: value") for _ in idx]
    y.flat[idx] = vals
    return Variant("label", {**base, lab: y}, f"{lab}.flat[{idx}] = {vals} (C = {c})")


def _label_values(dtype: np.dtype, c: int) -> list[int]:
    info = np.iinfo(dtype)
    return [v for v in (-100, -1, c, c + 5) if info.min <= v <= info.max]


def _blank(draw: Any, base: Mapping[str, np.ndarray], opts: Mapping[str, Any]) -> Variant | None:
    y = base["labels"].copy()
    listed = np.argwhere(np.arange(y.shape[-1]) < base["label_lengths"][..., None])
    if not len(listed):
        return None
    at = tuple(listed[draw(st.integers(0, len(listed) - 1), label="blank: entry")])
    y[at] = int(opts.get("blank", 0))
    return Variant("blank", {**base, "labels": y}, f"labels[{at}] = blank ({int(opts.get('blank', 0))})")


def _wrt(draw: Any, name: str, inputs: Mapping[str, np.ndarray], fixed: bool) -> tuple[str, ...]:
    every = tuple(k for k in RECORDS[name].inputs if inputs[k].dtype.kind == "f")
    case = tuple(k for k in CASES[name].differentiable if k in every)
    if fixed or not case or case == every:
        return every
    return draw(st.sampled_from((every, case)), label="gradient w.r.t.")


def _weights(draw: Any, name: str, sample: Any) -> np.ndarray | None:
    if not draw(st.integers(0, 3), label="weighted") == 0:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shape = np.shape(RECORDS[name].fn(*sample.inputs.values(), **sample.kwargs, reduction="none"))
    seed = draw(st.integers(0, 2**32 - 1), label="weight seed")
    return _round(np.random.default_rng(seed).uniform(0.1, 2.0, shape), sample.dtype)


@st.composite
def configurations(draw: Any, name: str, fixed: bool = False, shape: tuple[int, ...] | None = None) -> Config:
    """A drawn configuration of loss ``name`` with one variant per applicable category
    (``fixed``: the ``ci`` profile's configuration of the compiled paths; ``shape``: this
    per-element shape instead of a drawn one)."""
    if fixed:
        s = draw(samples(name, broadcast=False, shape=CI_SHAPE, dtype=CI_DTYPE, defaults=True), label="sample")
    else:
        if shape is None:
            nd = draw(st.integers(1, 3), label="ndim")
            shape = tuple(draw(st.lists(st.integers(1, 5), min_size=nd, max_size=nd), label="shape"))
        s = draw(samples(name, shape=shape), label="sample")
    base, opts, dtype = s.inputs, s.kwargs, s.dtype
    builders: list[Callable[[], Variant | None]] = [
        lambda: Variant("valid", base, "as drawn"),
        lambda: _tie(draw, name, base, dtype),
        lambda: _kink(draw, name, base, opts, dtype),
        lambda: _poke(draw, base, dtype, (math.nan,), "nan"),
        lambda: _poke(draw, base, dtype, (math.inf, -math.inf), "inf"),
        lambda: _poke(draw, base, dtype, (_HUGE, -_HUGE), "huge"),
        lambda: _poke(draw, base, dtype, (_TINY[dtype], -_TINY[dtype]), "subnormal"),
        lambda: _zero(draw, base, s.shape, opts, dtype),
        lambda: _masked(draw, name, base, opts, dtype),
        lambda: _labels(draw, name, base, opts),
    ]
    if name == "ctc":
        builders.append(lambda: _blank(draw, base, opts))
    variants = tuple(v for v in (b() for b in builders) if v is not None)
    return Config(
        name,
        "fixed" if fixed else "drawn",
        opts,
        dtype,
        s.shape,
        _wrt(draw, name, base, fixed),
        "mean" if fixed else draw(st.sampled_from(("sum", "mean")), label="gradient of"),
        None if fixed else _weights(draw, name, s),
        variants,
    )


@st.composite
def edge_configurations(draw: Any, name: str) -> Config | None:
    """One of the case's edge points (kinks, zeros, extremes), in a drawn dtype."""
    edges = CASES[name].edges
    if not edges:
        return None
    edge = draw(st.sampled_from(edges), label="edge")
    dtype = draw(st.sampled_from(("float32", "float64")), label="edge dtype")
    raw = edge_inputs(edge)
    inputs = {k: _round(raw[k], dtype) for k in RECORDS[name].inputs}
    opts = {k: _round(v, dtype) for k, v in loss_options(edge.options).items()}
    return Config(
        name,
        f"edge: {edge.label}",
        opts,
        dtype,
        (),
        _wrt(draw, name, inputs, False),
        draw(st.sampled_from(("sum", "mean")), label="edge gradient of"),
        None,
        (Variant("edge", inputs, f"edge point {edge.label!r}"),),
    )


@functools.cache
def _empty_options(name: str) -> tuple[int, ...]:
    """Indices of the case's option sets whose generator draws an empty batch."""
    case, ok = CASES[name], []
    for i, o in enumerate(case.options):
        try:
            case.make_inputs(np.random.default_rng(0), (0, 2), o)
        except Exception:  # noqa: BLE001 - a generator that cannot draw an empty batch is left out
            continue
        ok.append(i)
    return tuple(ok)


@st.composite
def empty_configurations(draw: Any, name: str) -> Config | None:
    """A batch of size 0 (per-element shape ``(0,)``, ``(0, 2)`` or ``(0, 3)``)."""
    case = CASES[name]
    usable = _empty_options(name)
    if not usable:
        return None
    options = case.options[draw(st.sampled_from(usable), label="empty options")]
    shape = draw(st.sampled_from(((0,), (0, 2), (0, 3))), label="empty shape")
    dtype = draw(st.sampled_from(("float32", "float64")), label="empty dtype")
    raw = _draw(RECORDS[name], shape, 0, options)
    inputs = {k: _round(v, dtype) for k, v in raw.items()}
    return Config(
        name,
        "empty",
        {k: _round(v, dtype) for k, v in loss_options(options).items()},
        dtype,
        shape,
        _wrt(draw, name, inputs, False),
        draw(st.sampled_from(("sum", "mean")), label="empty gradient of"),
        None,
        (Variant("empty", inputs, f"empty batch, per-element shape {shape}"),),
    )


# -- running one path -----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one path gave: values per reduction and gradients per input, or the exception."""

    values: dict[str, np.ndarray] = field(default_factory=dict)
    grads: dict[str, np.ndarray] | None = None
    error: BaseException | None = None
    stage: str = ""

    def brief(self) -> str:
        if self.error is not None:
            msg = str(self.error).strip().splitlines()
            return f"raised {type(self.error).__module__}.{type(self.error).__name__} ({self.stage}): " + (
                msg[0][:300] if msg else ""
            )
        parts = [f"{r}={_fmt(v)}" for r, v in self.values.items()]
        if self.grads:
            parts += [f"d/d{k}={_fmt(g)}" for k, g in self.grads.items()]
        return "; ".join(parts)


def _fmt(a: np.ndarray, limit: int = 40) -> str:
    a = np.asarray(a)
    return repr(a.tolist()) if a.size <= limit else f"<{a.shape} array>"


def _conv(bk: Any, v: Any, dtype: str) -> Any:
    return bk.asarray(v, dtype if v.dtype.kind == "f" else None)


def _args(bk: Any, cfg: Config, var: Variant) -> tuple[list[Any], dict[str, Any]]:
    args = [_conv(bk, np.asarray(var.inputs[k]), cfg.dtype) for k in RECORDS[cfg.name].inputs]
    kw = {k: _conv(bk, v, cfg.dtype) if isinstance(v, np.ndarray) else v for k, v in cfg.options.items()}
    kw["sample_weight"] = None if cfg.sample_weight is None else bk.asarray(cfg.sample_weight, cfg.dtype)
    return args, kw


def _argnums(cfg: Config) -> list[int]:
    names = RECORDS[cfg.name].inputs
    return [names.index(k) for k in cfg.wrt]


def _torch_grads(torch: Any, out: Any, args: Sequence[Any], argnums: Sequence[int]) -> dict[str, np.ndarray]:
    gs = torch.autograd.grad(out, [args[i] for i in argnums], allow_unused=True)
    return {
        i: (np.zeros(tuple(args[i].shape)) if g is None else g.detach().cpu().double().numpy())
        for i, g in zip(argnums, gs)
    }


class _Compiled:
    """The ``jax.jit`` / ``torch.compile`` function of the last configuration (one per path):
    the variants of a configuration, and the ``ci`` profile's second example of a loss, reuse it."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, Any]] = {}

    def get(self, path: str, key: str, build: Callable[[], Any]) -> Any:
        hit = self.entries.get(path)
        if hit is None or hit[0] != key:
            self.entries[path] = (key, build())
        return self.entries[path][1]


_COMPILED = _Compiled()


def _run(path: str, cfg: Config, var: Variant) -> Outcome:
    bk = ALL_BACKENDS[_BACKEND[path]]
    fn = RECORDS[cfg.name].fn
    out = Outcome()
    argnums = _argnums(cfg)
    names = RECORDS[cfg.name].inputs
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's invalid-value and Dynamo's tracing warnings
        try:
            out.stage = "value"
            args, kw = _args(bk, cfg, var)
            if path in ("numpy", "array_api_strict", "dask", "jax", "torch.generic", "torch.native"):
                with la.native(path != "torch.generic"):
                    out.values = {r: bk.to_numpy(fn(*args, **kw, reduction=r)) for r in REDUCTIONS}
                    if path in GRAD_PATHS and argnums:
                        out.stage = "gradient"

                        def f(*a: Any) -> Any:
                            return fn(*a, **kw, reduction=cfg.grad_reduction)

                        gs = bk.grad(f, args, argnums)
                        out.grads = {names[i]: g for i, g in zip(argnums, gs)}
            elif path == "jax.jit":
                out.values, out.grads = _run_jit(cfg, args, kw, argnums)
            elif path == "torch.compile":
                out.values, out.grads = _run_compile(cfg, args, kw, argnums)
            else:  # pragma: no cover - PATHS and this function list the same names
                raise AssertionError(path)
        except Exception as exc:  # noqa: BLE001 - compared / reported below
            out.error = exc
    if out.grads is None and path in GRAD_PATHS and out.error is None:
        out.grads = {}
    return out


def _run_jit(cfg: Config, args: list[Any], kw: dict[str, Any], argnums: list[int]) -> tuple[dict, dict]:
    import jax

    fn = RECORDS[cfg.name].fn
    names = RECORDS[cfg.name].inputs

    def build() -> Any:
        def f(*a: Any) -> Any:
            vals = tuple(fn(*a, **kw, reduction=r) for r in REDUCTIONS)
            if not argnums:
                return vals, ()
            return vals, jax.grad(lambda *b: fn(*b, **kw, reduction=cfg.grad_reduction), argnums=tuple(argnums))(*a)

        return jax.jit(f)

    vals, gs = _COMPILED.get("jax.jit", cfg.key(), build)(*args)
    bk = ALL_BACKENDS["jax"]
    return (
        {r: bk.to_numpy(v) for r, v in zip(REDUCTIONS, vals)},
        {names[i]: np.asarray(g, dtype=np.float64) for i, g in zip(argnums, gs)},
    )


def _run_compile(cfg: Config, args: list[Any], kw: dict[str, Any], argnums: list[int]) -> tuple[dict, dict]:
    import torch

    fn = RECORDS[cfg.name].fn
    names = RECORDS[cfg.name].inputs

    def build() -> Any:
        # A fresh Dynamo cache per configuration: the recompile limit counts per code object, and
        # every loss is reached through the same function below (past the limit Dynamo would
        # fall back to eager silently).
        torch._dynamo.reset()

        def f(*a: Any) -> Any:
            return tuple(fn(*a, **kw, reduction=r) for r in REDUCTIONS)

        return torch.compile(f, fullgraph=True, backend=compile_backend())

    # Dynamo's structured trace goes to a DEBUG logger that pytest captures and prints on failure.
    trace = logging.getLogger("torch.__trace")
    propagate, trace.propagate = trace.propagate, False
    try:
        compiled = _COMPILED.get("torch.compile", cfg.key(), build)
        args = [a.detach().clone().requires_grad_(i in argnums) if i in argnums else a for i, a in enumerate(args)]
        outs = compiled(*args)
        values = {r: ALL_BACKENDS["torch"].to_numpy(o) for r, o in zip(REDUCTIONS, outs)}
        if not argnums:
            return values, {}
        gs = _torch_grads(torch, outs[REDUCTIONS.index(cfg.grad_reduction)], args, argnums)
    finally:
        trace.propagate = propagate
    return values, {names[i]: g for i, g in gs.items()}


# -- comparing ------------------------------------------------------------------------------------


def _tol(cfg: Config) -> tuple[float, float]:
    return CASES[cfg.name].rtol.get(cfg.dtype, TOLERANCES[cfg.dtype].rtol), TOLERANCES[cfg.dtype].atol


def _finite_abs(a: np.ndarray) -> np.ndarray:
    a = np.abs(np.asarray(a, dtype=np.float64)).ravel()
    return a[np.isfinite(a)]


def _scales(cfg: Config, ref: Outcome) -> dict[str, float]:
    none = _finite_abs(ref.values["none"])
    return {
        "none": float(np.mean(none)) if CASES[cfg.name].cancels and none.size else 0.0,
        "sum": float(np.sum(none)),
        "mean": float(np.max(none, initial=0.0)),
    }


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str | None:
    try:
        assert_close(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol=rtol, atol=atol)
    except AssertionError as exc:
        return str(exc).replace("\n", "\n      ")
    return None


def _is_lossapi(exc: BaseException | None) -> bool:
    return isinstance(exc, la.LossapiError)


def _unspecified(var: Variant, k: str, shape: tuple[int, ...]) -> np.ndarray:
    """Where the gradient w.r.t. input ``k`` is not compared: its own NaN / +-inf entries."""
    x = np.asarray(var.inputs[k])
    bad = ~np.isfinite(x) if x.dtype.kind == "f" else np.zeros(x.shape, dtype=bool)
    return np.broadcast_to(bad, shape) if bad.shape != shape else bad


def _compare(cfg: Config, var: Variant, outcomes: Mapping[str, Outcome]) -> list[tuple[str, str, str]]:
    """(category override or "", path, problem) for every disagreement between the paths (the
    path is the one that disagrees with the reference)."""
    problems: list[tuple[str, str, str]] = []
    for p, o in outcomes.items():
        if o.error is not None and not _is_lossapi(o.error):
            cat = "compile" if p == "torch.compile" and "torch._dynamo" in type(o.error).__module__ else ""
            problems.append((cat, p, f"{p} {o.brief()}"))
    ok = {p: o for p, o in outcomes.items() if o.error is None or _is_lossapi(o.error)}
    if not ok:
        return problems
    ref_name, ref = next(iter(ok.items()))
    if ref.error is not None:
        for p, o in ok.items():
            if type(o.error) is not type(ref.error):
                problems.append(("", p, f"{ref_name} {ref.brief()}, but {p} {o.brief()}"))
        return problems
    rtol, atol = _tol(cfg)
    scales = _scales(cfg, ref)
    for p, o in ok.items():
        if p == ref_name:
            continue
        if o.error is not None:
            problems.append(("", p, f"{p} {o.brief()}, but {ref_name} returned {ref.brief()}"))
            continue
        for r in REDUCTIONS:
            bad = _close(o.values[r], ref.values[r], rtol, atol + rtol * scales[r])
            if bad:
                problems.append(("", p, f"{r}: {p} != {ref_name}: {bad}\n      {p}: {_fmt(o.values[r])}"))
    grads = {p: o for p, o in ok.items() if o.grads is not None and o.error is None}
    if len(grads) > 1:
        gref_name, gref = next(iter(grads.items()))
        for p, o in grads.items():
            if p == gref_name:
                continue
            for k, want in gref.grads.items():
                got = np.array(o.grads[k], dtype=np.float64)
                want = np.array(want, dtype=np.float64)
                skip = _unspecified(var, k, want.shape) if got.shape == want.shape else None
                if skip is not None and skip.any():
                    got[skip] = want[skip] = 0.0
                scale = float(np.max(_finite_abs(want), initial=0.0))
                bad = _close(got, want, 10 * rtol, atol + 10 * rtol * scale)
                if bad:
                    problems.append(
                        (
                            "",
                            p,
                            f"d{cfg.grad_reduction}/d{k}: {p} != {gref_name}: {bad}\n"
                            f"      {p}: {_fmt(o.grads[k])}\n      {gref_name}: {_fmt(gref.grads[k])}"
                            + (
                                f"\n      not compared (non-finite input entries): {np.argwhere(skip).tolist()}"
                                if skip is not None and skip.any()
                                else ""
                            ),
                        )
                    )
    return problems


def _rules(cfg: Config, var: Variant, ref_name: str, ref: Outcome) -> list[str]:
    """The documented rules on the reference path's result (the other paths must agree with it)."""
    if ref.error is not None:
        return []
    none, total, mean = (np.asarray(ref.values[r]) for r in REDUCTIONS)
    out = []
    if var.category == "label" and cfg.name != "ctc":
        bad = _bad_labels(cfg.name, var.inputs, cfg.options)
        if bad is not None and bad.any():
            if none.shape == bad.shape[: none.ndim]:
                want = np.any(bad, axis=tuple(range(none.ndim, bad.ndim))) if bad.ndim > none.ndim else bad
                if not np.all(np.isnan(none[want])):
                    out.append(
                        f"rule: labels outside [0, C) (not ignore_index) give NaN: {ref_name} 'none' is "
                        f"{_fmt(none)}, want NaN at {np.argwhere(want).tolist()}"
                    )
            if not np.isnan(total):
                out.append(f"rule: a label outside [0, C) gives a NaN sum: {ref_name} gives {total!r}")
    if var.category in ("label", "blank") and cfg.name == "ctc":
        want = _ctc_blank_or_bad(var.inputs, cfg.options)
        if want.any() and none.shape == want.shape and not np.all(np.isnan(none[want])):
            out.append(
                f"rule: a CTC label equal to blank or outside [0, C) inside label_lengths makes its sequence "
                f"NaN: {ref_name} 'none' is {_fmt(none)}, want NaN at {np.argwhere(want).tolist()}"
            )
    if var.category == "empty":
        want_sum, want_mean = _empty_reductions(cfg, var)
        if not (np.isclose(total, want_sum, rtol=1e-6, atol=0) and np.isclose(mean, want_mean, rtol=1e-6, atol=0)):
            out.append(
                f"rule: an empty batch gives sum = {want_sum!r}, mean = {want_mean!r} (0 unless the loss's own "
                f"reduction says otherwise): {ref_name} gives sum {total.tolist()!r}, mean {mean.tolist()!r}"
            )
    return out


def _empty_reductions(cfg: Config, var: Variant) -> tuple[float, float]:
    """``(sum, mean)`` of an empty batch by the float64 oracle's reduction: 0 by the weighted-mean
    rule (no weight gives 0); RMSE's ``eps`` is added under its root. 0 where the oracle itself
    cannot take an empty batch (it reshapes by the batch size)."""
    out = []
    for r in ("sum", "mean"):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(float(oracle_reduce(CASES[cfg.name], var.inputs, cfg.options, r)))
            except Exception:  # noqa: BLE001 - e.g. reshape(0, -1) in a segmentation oracle
                out.append(0.0)
    return out[0], out[1]


def _describe(cfg: Config, var: Variant, category: str) -> str:
    inputs = ", ".join(
        f"{k}=np.asarray({_fmt(v, 240)}, dtype='{cfg.dtype if v.dtype.kind == 'f' else v.dtype}')"
        for k, v in var.inputs.items()
    )
    opts = {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v) for k, v in cfg.options.items()}
    sw = None if cfg.sample_weight is None else _fmt(cfg.sample_weight)
    return (
        f"{cfg.name} [{category}] ({cfg.kind} configuration) {cfg.dtype}, options {opts}, "
        f"sample_weight {sw}, gradient of {cfg.grad_reduction!r} w.r.t. {list(cfg.wrt)}\n"
        f"    change: {var.what}\n    inputs: {inputs}"
    )


def check(cfg: Config, paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """Run every variant of ``cfg`` on ``paths``: (failures, disagreements tolerated by KNOWN)."""
    failures: list[str] = []
    known: list[str] = []
    for var in cfg.variants:
        outcomes = {p: _run(p, cfg, var) for p in paths}
        found = _compare(cfg, var, outcomes)
        ok = [p for p, o in outcomes.items() if o.error is None]
        if ok:
            found += [("", ok[0], r) for r in _rules(cfg, var, ok[0], outcomes[ok[0]])]
        if not found:
            continue
        by_cat: dict[tuple[str, bool], list[str]] = {}
        for cat, path, msg in found:
            cat = cat or var.category
            reason = None if _strict() else KNOWN.get((cfg.name, cat, path))
            by_cat.setdefault((cat, reason is not None), []).append(
                msg + (f"\n      (KNOWN: {reason})" if reason else "")
            )
        for (cat, tolerated), msgs in by_cat.items():
            text = _describe(cfg, var, cat) + "\n    " + "\n    ".join(msgs)
            text += "\n    every path:" + "".join(f"\n      {p}: {o.brief()}" for p, o in outcomes.items())
            (known if tolerated else failures).append(text)
    return failures, known


# -- the tests ------------------------------------------------------------------------------------

#: No shrinking: an example bundles a dozen variants run on up to eight paths, each shrink step
#: would rerun (and recompile) all of them for minutes, and the report already names the variant,
#: the change and the (tiny) inputs of every disagreement.
_NO_SHRINK = tuple(p for p in Phase if p is not Phase.shrink)


@pytest.fixture(autouse=True)
def _dask_synchronous() -> Any:
    """Dask's threaded scheduler costs more than these tiny graphs compute."""
    dask = _import("dask")
    if dask is None:
        yield
        return
    with dask.config.set(scheduler="synchronous"):
        yield


def test_known_entries_name_catalog_losses_and_categories() -> None:
    """A stale or misspelt KNOWN entry would silently tolerate nothing (or the wrong thing)."""
    bad = [
        k
        for k in KNOWN
        if len(k) != 3
        or k[0] not in RECORDS
        or k[1] not in CATEGORIES
        or k[2] not in PATHS
        or (k[1] == "compile" and k[2] != "torch.compile")  # tracing errors are torch.compile's
        or not KNOWN[k].strip()
    ]
    assert not bad, f"KNOWN entries with an unknown loss, category or path, or no reason: {bad}"


@pytest.mark.parametrize("path", PATHS)
def test_path_runs(path: str) -> None:
    """Each path computes a hand-checked case (MSE at an exact tie and away from it, with its
    gradient); a path that cannot run here is skipped with the reason."""
    reason = _available(path)
    if reason is not None:
        pytest.skip(f"{path}: {reason}")
    pred, target = np.array([[1.0, 2.0], [3.0, -1.5]]), np.array([[1.0, 0.0], [2.5, 0.5]])
    cfg = Config(
        "mean_squared_error",
        "hand",
        {},
        "float64",
        (2, 2),
        ("pred", "target"),
        "sum",
        None,
        (Variant("valid", {"pred": pred, "target": target}),),
    )
    out = _run(path, cfg, cfg.variants[0])
    assert out.error is None, out.brief()
    e = pred - target
    assert_close(out.values["none"], e**2, err_msg=path)
    assert_close(out.values["sum"], np.sum(e**2), err_msg=path)
    assert_close(out.values["mean"], np.mean(e**2), err_msg=path)
    if path in GRAD_PATHS:
        assert_close(out.grads["pred"], 2 * e, err_msg=path)
        assert_close(out.grads["target"], -2 * e, err_msg=path)


@pytest.mark.parametrize("name", NAMES)
@settings(phases=_NO_SHRINK)
@given(data=st.data())
def test_paths_agree(name: str, data: Any) -> None:
    long = _long()
    everything = _paths(name, PATHS)
    cheap = everything if long else _paths(name, CI_PATHS)
    if len(cheap) < 2:
        pytest.skip(f"fewer than two paths can run here: {cheap}")
    runs: list[tuple[Config, tuple[str, ...]]] = []
    cfg = data.draw(configurations(name), label="configuration")
    if long:
        compile_now = data.draw(st.booleans(), label="torch.compile this example")
        runs.append((cfg, tuple(p for p in everything if p != "torch.compile" or compile_now)))
    else:
        runs.append((cfg, cheap))
        fixed = data.draw(configurations(name, fixed=True), label="fixed configuration")
        has_fast = "torch" in native_backends(name)
        ci = tuple(
            p
            for p in everything
            if p in ("numpy", "torch.generic", "torch.native", "jax.jit")
            or (p == "jax" and name in CI_EAGER_JAX)
            or (p == "torch.compile" and has_fast and name not in CI_NO_COMPILE)
        )
        runs.append((fixed, ci))
    for extra in (edge_configurations(name), empty_configurations(name)):
        c = data.draw(extra)
        if c is not None:
            runs.append((c, everything if long else cheap))
    failures: list[str] = []
    for c, paths in runs:
        bad, known = check(c, paths)
        failures += bad
        for k in known:
            note(f"known disagreement (KNOWN):\n{k}")
    if failures:
        raise AssertionError(f"{len(failures)} disagreement(s):\n\n" + "\n\n".join(failures))
