"""Hostile values: NaN and inf in counted entries, ignored samples, extreme and 16-bit values.

The contract these tests pin down (the conformance suite covers entries masked by ``where``):

- **NaN in a counted entry propagates.** An entry is *counted* when the loss depends on it (the
  float64 oracle changes when it is perturbed). NaN there makes ``"mean"``/``"sum"`` NaN, and with
  ``reduction="none"`` NaN appears in every per-element entry that depends on it; for elementwise
  dependence (one output entry) only there. Floating inputs that encode a class by their sign
  (``{-1, 1}`` targets) are read by comparison, like integer labels, and are exempt.
- **±inf in a counted entry** (only where the input's domain allows it: logits, reals, ``-inf``
  log-probabilities, ``+inf`` counts/variances) gives either a non-finite result or, where the
  loss has a finite limit, that limit, never a wrong finite number. Saturating losses (hinge,
  soft-margin and perceptron on the correct side, Tukey, the GAN losses, a ``-inf`` logit of a
  wrong class in softmax losses, a ``-inf`` log-probability where the target or weight is 0)
  must give the finite limit with a finite gradient. Sigmoid-BCE-type losses (BCE with logits,
  sigmoid focal, multilabel soft margin) give NaN at an infinite logit even with the matching
  hard target (``inf - inf``, as torch and optax do).
- **ignore_index**: ignored samples may hold NaN/inf logits; the value and the torch/JAX
  gradients equal those of the batch without them, and all-ignored gives 0 and gradient 0.
- **Extreme finite values** (logits ±1e4, ±1e30 in float64, probabilities exactly 0 and 1,
  regression errors of 1e30, subnormals) give finite values and gradients, equal to the float64
  oracle where it is finite.
- **float16 / bfloat16** inputs are computed in float32 and cast back: no overflow where the
  float32 result is representable in the 16-bit dtype. A ``"sum"`` whose exact value exceeds
  the dtype's range is ``inf`` (the correct rounding); the mean of the same values is finite.

Each test iterates over the catalog and names the loss, backend and input on failure.
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi as la  # noqa: E402
from lossapi._conformance.backends import BACKENDS  # noqa: E402
from lossapi._conformance.cases import CASES, loss_options  # noqa: E402
from lossapi._conformance.grad_checks import draw_inputs, oracle_none, oracle_reduce  # noqa: E402

ALL_BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask")
GRAD_BACKENDS = ("torch", "jax")
RECORDS = {r.name: r for r in la.catalog()}

#: Input spaces whose floating values encode a discrete choice (read by comparison).
_DISCRETE = frozenset({"sign"})
#: Kinds whose every per-element loss depends on every row (an anchor against all its partners):
#: a poisoned row reaches the other entries, however small their loss (Circle's saturates).
_ALL_ROWS = frozenset({"batch of embeddings"})
#: Spaces where +inf / -inf lie outside the (closure of the) domain.
_NO_POS_INF = frozenset({"probability", "log_probability", "label_or_probability"})
_NO_NEG_INF = frozenset({"probability", "label_or_probability", "nonnegative", "positive", "variance", "count"})


@pytest.fixture(autouse=True)
def _dask_synchronous() -> Any:
    """Dask's threaded scheduler costs more than these tiny graphs compute."""
    try:
        import dask
    except ImportError:
        yield
        return
    with dask.config.set(scheduler="synchronous"):
        yield


def _backend(name: str) -> Any:
    b = BACKENDS[name]
    if not b.available():
        pytest.skip(f"{name} is not installed")
    return b


def _arrays(
    b: Any, name: str, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], dtype: str
) -> tuple[list[Any], dict[str, Any]]:
    arrays = [b.asarray(inputs[n], dtype if inputs[n].dtype.kind == "f" else None) for n in RECORDS[name].inputs]
    opts = {
        k: (b.asarray(v, dtype if v.dtype.kind == "f" else None) if isinstance(v, np.ndarray) else v)
        for k, v in loss_options(options).items()
    }
    return arrays, opts


_JITTED: dict[Any, Any] = {}


def _jitted(
    name: str,
    options: Mapping[str, Any],
    dtype: str,
    kw: Mapping[str, Any],
    grad: tuple[int, ...] = (),
    with_value: bool = False,
) -> Any:
    """The loss under ``jax.jit`` (or ``jax.jit(jax.grad)``), compiled once per configuration: the
    hostile variants of one input share the shapes, and one XLA compile is several times
    cheaper than eager JAX's per-operation compiles."""
    key = (name, repr(sorted(loss_options(options).items())), dtype, tuple(sorted(kw.items())), grad, with_value)
    if key not in _JITTED:
        import jax

        fn = RECORDS[name].fn
        jopts = {
            k: (BACKENDS["jax"].asarray(v, dtype if v.dtype.kind == "f" else None) if isinstance(v, np.ndarray) else v)
            for k, v in loss_options(options).items()
        }

        def f(*a: Any) -> Any:
            return fn(*a, **jopts, **kw)

        if grad:
            f = (jax.value_and_grad if with_value else jax.grad)(f, argnums=grad)
        _JITTED[key] = jax.jit(f)
    return _JITTED[key]


def _call(
    b: Any, name: str, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], dtype: str = "float64", **kw: Any
) -> np.ndarray:
    arrays, opts = _arrays(b, name, inputs, options, dtype)
    if b.name == "jax":
        return b.to_numpy(_jitted(name, options, dtype, kw)(*arrays))
    return b.to_numpy(RECORDS[name].fn(*arrays, **opts, **kw))


def _value_and_grads(
    b: Any,
    name: str,
    inputs: Mapping[str, np.ndarray],
    options: Mapping[str, Any],
    diff: tuple[str, ...],
    dtype: str = "float64",
    **kw: Any,
) -> tuple[float, dict[str, np.ndarray]]:
    """The (0-d) loss and its gradients w.r.t. ``diff`` from one forward pass (torch, JAX)."""
    names = list(RECORDS[name].inputs)
    diff = tuple(n for n in diff if inputs[n].dtype.kind == "f")
    idx = tuple(names.index(n) for n in diff)
    arrays, opts = _arrays(b, name, inputs, options, dtype)
    if b.name == "jax":
        value, gs = _jitted(name, options, dtype, kw, idx, with_value=True)(*arrays)
        return float(value), {n: np.asarray(g, dtype=np.float64) for n, g in zip(diff, gs)}
    import torch

    arrays = [a.detach().clone().requires_grad_(i in idx) if i in idx else a for i, a in enumerate(arrays)]
    out = RECORDS[name].fn(*arrays, **opts, **kw)
    gs = torch.autograd.grad(out, [arrays[i] for i in idx], allow_unused=True)
    return float(out.detach().double()), {
        n: (np.zeros(inputs[n].shape) if g is None else g.detach().double().numpy()) for n, g in zip(diff, gs)
    }


def _oracle(name: str, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> np.ndarray | None:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return oracle_none(CASES[name], inputs, options)
        except (ValueError, OverflowError, ZeroDivisionError, FloatingPointError):
            return None


def _draw(
    name: str, shape: tuple[int, ...] = (4,), options: Mapping[str, Any] | None = None, seed: int = 0
) -> dict[str, np.ndarray]:
    case = CASES[name]
    return draw_inputs(case, np.random.default_rng(seed), shape, case.options[0] if options is None else options)


# -- 1. NaN / inf in counted entries -------------------------------------------------------------


@functools.cache
def _counted_entries(name: str) -> tuple[tuple[str, int, tuple[int, ...]], ...]:
    """(input, flat index, per-element entries that depend on it) for each floating input: the
    first entry the float64 oracle depends on, found by perturbing it."""
    rec, inputs = RECORDS[name], _draw(name)
    base = _oracle(name, inputs, {})
    assert base is not None, name
    out = []
    for k in rec.inputs:
        v = inputs[k]
        if v.dtype.kind != "f" or rec.input_spaces[k] in _DISCRETE:
            continue
        for i in range(min(v.size, 64)):
            x = v.copy()
            x.flat[i] += 1e-6 * max(1.0, abs(float(x.flat[i])))
            o = _oracle(name, {**inputs, k: x}, {})
            if o is None:
                continue
            changed = np.abs(o - base) > 1e-12 * np.maximum(1.0, np.abs(base))
            if changed.any():
                out.append((k, i, tuple(int(j) for j in np.flatnonzero(changed))))
                break
        else:
            raise AssertionError(f"{name}: no entry of {k!r} changes the oracle")
    return tuple(out)


@functools.cache
def _limit(name: str, k: str, i: int, sign: int) -> float | None:
    """The float64 oracle's per-element loss at entry ``i`` of ``k`` -> sign*inf, at the first
    dependent output: a finite number when it has converged by 1e100, +inf when it grows
    without bound, None when undetermined."""
    inputs = _draw(name)
    dep = _counted_entries(name)
    j = next(d for kk, ii, d in dep if kk == k and ii == i)[0]
    vals = []
    for m in (1e100, 1e150):
        x = inputs[k].copy()
        x.flat[i] = sign * m
        o = _oracle(name, {**inputs, k: x}, {})
        vals.append(None if o is None else float(np.ravel(o)[j]))
    a, b = vals
    if a is None or b is None or math.isnan(b):
        return None
    if math.isinf(b) or abs(b) > 1e50:
        return math.inf
    return b if abs(a - b) <= 1e-9 * max(1.0, abs(b)) else None


@pytest.mark.parametrize("bname", ALL_BACKENDS)
def test_nan_and_inf_in_counted_entries_propagate(bname: str) -> None:
    b = _backend(bname)
    # Cost policy: JAX runs one compiled "none" per loss (the hostile values reuse it), Dask
    # (a graph per call) checks NaN only and leaves out CTC's unrolled time loop; the
    # reductions are the same code on every backend.
    reductions = {"jax": (), "dask": ("mean",)}.get(bname, ("mean", "sum"))
    values = (math.nan,) if bname == "dask" else (math.nan, math.inf, -math.inf)
    errors = []
    for name in RECORDS:
        if bname == "dask" and name == "ctc":
            continue
        inputs = _draw(name)
        clean = _call(b, name, inputs, {}, reduction="none")
        for k, i, dep in _counted_entries(name):
            space = RECORDS[name].input_spaces[k]
            for bad in values:
                if (bad == math.inf and space in _NO_POS_INF) or (bad == -math.inf and space in _NO_NEG_INF):
                    continue
                x = inputs[k].copy()
                x.flat[i] = bad
                hostile = {**inputs, k: x}
                where = f"{name} on {bname}: {k}.flat[{i}] = {bad}"
                with np.errstate(all="ignore"):
                    none = _call(b, name, hostile, {}, reduction="none").ravel()
                    red = {r: float(_call(b, name, hostile, {}, reduction=r)) for r in reductions}
                if math.isnan(bad):
                    bad_at = np.flatnonzero(np.isnan(none))
                    if not all(math.isnan(v) for v in red.values()):
                        errors.append(f"{where}: NaN swallowed, mean/sum = {red}")
                    if not set(dep) <= set(bad_at.tolist()):
                        errors.append(f"{where}: 'none' has NaN at {bad_at.tolist()}, want at least {list(dep)}")
                    elementwise = len(dep) == 1 and RECORDS[name].kind not in _ALL_ROWS
                    if elementwise and none.size > 1 and set(bad_at.tolist()) != set(dep):
                        errors.append(f"{where}: elementwise loss, NaN leaked to {bad_at.tolist()} (want {list(dep)})")
                    continue
                lim = _limit(name, k, i, 1 if bad > 0 else -1)
                got = none[dep[0]]
                if math.isfinite(got) and not (
                    lim is not None and math.isfinite(lim) and abs(got - lim) <= 1e-7 * max(1.0, abs(lim))
                ):
                    errors.append(f"{where}: 'none' entry {dep[0]} = {got!r} is a finite number, want the limit {lim}")
                if lim == math.inf and math.isfinite(red.get("mean", got)):
                    errors.append(f"{where}: loss grows without bound but mean = {red['mean']!r}")
                # Entries that do not depend on the poisoned one keep their value.
                others = np.setdiff1d(np.arange(none.size), np.asarray(dep))
                elementwise = len(dep) == 1 and RECORDS[name].kind not in _ALL_ROWS
                if elementwise and not np.allclose(none[others], clean.ravel()[others], rtol=1e-12, atol=0):
                    errors.append(f"{where}: entries {others.tolist()} changed")
    assert not errors, "\n".join(errors)


# Saturating losses: the limit at an infinite input is finite and must come out exactly.
# (name, inputs, options, expected per-element loss computed here by hand)
_INF = math.inf
_SATURATING: list[tuple[str, dict[str, np.ndarray], dict[str, Any], np.ndarray]] = [
    ("soft_margin", {"scores": np.array([_INF, -_INF]), "target": np.array([1.0, -1.0])}, {}, np.zeros(2)),
    ("hinge", {"scores": np.array([_INF, -_INF]), "target": np.array([1.0, -1.0])}, {}, np.zeros(2)),
    ("squared_hinge", {"scores": np.array([_INF, -_INF]), "target": np.array([1.0, -1.0])}, {}, np.zeros(2)),
    ("perceptron", {"scores": np.array([_INF, -_INF]), "target": np.array([1.0, -1.0])}, {}, np.zeros(2)),
    (
        "tukey_biweight",
        {"pred": np.array([_INF, -_INF]), "target": np.array([0.0, 1.0])},
        {"c": 2.0},
        np.full(2, 4.0 / 6.0),
    ),
    ("gan_generator", {"fake_logits": np.array([_INF, 1.0])}, {}, np.array([0.0, math.log1p(math.exp(-1.0))])),
    ("gan_discriminator", {"real_logits": np.array([_INF]), "fake_logits": np.array([-_INF])}, {}, np.zeros(1)),
    # A -inf logit of a wrong class (masked vocabulary) leaves a finite softmax loss.
    (
        "cross_entropy",
        {"logits": np.array([[2.0, -_INF, 0.0], [-_INF, 1.0, 1.0]]), "target": np.array([0, 2])},
        {},
        np.array([math.log1p(math.exp(-2.0)), math.log(2.0)]),
    ),
    (
        "softmax_focal",
        {"logits": np.array([[0.0, -_INF, 0.0]]), "target": np.array([0])},
        {"gamma": 2.0},
        np.array([0.25 * math.log(2.0)]),
    ),
    (
        "poly1_cross_entropy",
        {"logits": np.array([[0.0, -_INF, 0.0]]), "target": np.array([0])},
        {"epsilon": 1.0},
        np.array([math.log(2.0) + 0.5]),
    ),
    # KL: a -inf log-probability where the target is 0 contributes 0 (0 log 0 = 0).
    (
        "kl_divergence",
        {"log_probs": np.array([[-_INF, math.log(0.5), math.log(0.5)]]), "target": np.array([[0.0, 0.5, 0.5]])},
        {},
        np.zeros(1),
    ),
    ("nll", {"log_probs": np.array([[-_INF, 0.0]]), "labels": np.array([1])}, {}, np.zeros(1)),
]


@pytest.mark.parametrize("bname", ALL_BACKENDS)
def test_saturating_losses_are_finite_at_infinity(bname: str) -> None:
    b = _backend(bname)
    errors = []
    for name, inputs, options, want in _SATURATING:
        with np.errstate(all="ignore"):
            try:
                got = _call(b, name, inputs, options, reduction="none")
            except Exception as exc:  # noqa: BLE001 - reported with the loss's name
                errors.append(f"{name} on {bname}: raised {type(exc).__name__}: {exc}")
                continue
        if not np.allclose(got, want, rtol=1e-12, atol=1e-12):
            errors.append(f"{name} on {bname}: got {got.tolist()}, want {want.tolist()}")
        if bname in GRAD_BACKENDS:
            # Model outputs only: a target's gradient at an infinite logit is infinite by the math.
            diff = tuple(RECORDS[name].inputs[:2] if name == "gan_discriminator" else RECORDS[name].inputs[:1])
            for k, g in _value_and_grads(b, name, inputs, options, diff, reduction="sum")[1].items():
                if not np.isfinite(g).all():
                    errors.append(f"{name} on {bname}: gradient w.r.t. {k} is {g.tolist()} at a finite limit")
    assert not errors, "\n".join(errors)


# -- 2. ignore_index with hostile ignored rows -----------------------------------------------------

# (loss, extra options); the labels input is the second positional one.
_IGNORE = [
    ("cross_entropy", {"ignore_index": -100}),
    (
        "cross_entropy",
        {"ignore_index": 2, "label_smoothing": 0.1, "class_weight": np.array([0.5, 2.0, 1.0, 3.0, 0.25])},
    ),
    ("nll", {"ignore_index": -1, "class_weight": np.array([0.5, 2.0, 1.0, 3.0, 0.25])}),
    ("softmax_focal", {"ignore_index": -100, "gamma": 0.5}),
    ("lovasz_softmax", {"ignore_index": 255}),
    ("lovasz_hinge", {"ignore_index": 255, "per_sample": False}),
]


def _ignore_inputs(
    name: str, options: Mapping[str, Any], ignored: np.ndarray
) -> tuple[dict[str, np.ndarray], str, str]:
    rec = RECORDS[name]
    case = CASES[name]
    inputs = draw_inputs(case, np.random.default_rng(3), (6,), {})
    x, lab = rec.inputs[0], rec.inputs[1]
    labels = inputs[lab].copy()
    labels[ignored] = options["ignore_index"]
    if options["ignore_index"] >= 0:  # a class index: keep the kept samples off it
        C = inputs[x].shape[-1] if inputs[x].ndim > 1 else 2
        keep = ~ignored
        labels[keep & (labels == options["ignore_index"])] = (options["ignore_index"] + 1) % C
    inputs[lab] = labels
    return inputs, x, lab


@pytest.mark.parametrize("bname", ALL_BACKENDS)
def test_ignore_index_rows_with_nan_inf_drop_out(bname: str) -> None:
    b = _backend(bname)
    ignored = np.array([False, True, False, False, True, False])
    reductions = ("mean",) if bname == "jax" else ("mean", "sum")  # JAX: one compile per configuration
    errors = []

    def run(
        name: str, inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], x: str, reduction: str
    ) -> tuple[float, np.ndarray | None]:
        if bname in GRAD_BACKENDS:
            value, g = _value_and_grads(b, name, inputs, options, (x,), reduction=reduction)
            return value, g[x]
        with np.errstate(all="ignore"):
            return float(_call(b, name, inputs, options, reduction=reduction)), None

    for name, options in _IGNORE:
        inputs, x, lab = _ignore_inputs(name, options, ignored)
        kept = {k: v[~ignored] for k, v in inputs.items()}
        h = inputs[x].copy()
        h[1] = math.nan
        h[4] = math.inf if name != "lovasz_softmax" else math.nan  # probabilities cannot be inf
        if h.ndim > 1:
            h[4, 0] = -math.inf
        hostile = {**inputs, x: h}
        # Every sample ignored: 0 and gradient 0 (not NaN), even with hostile logits.
        every = {**hostile, lab: np.full_like(inputs[lab], options["ignore_index"])}
        for reduction in reductions:
            where = f"{name} {options} on {bname} ({reduction})"
            want, gk = run(name, kept, options, x, reduction)
            got, g = run(name, hostile, options, x, reduction)
            if not (math.isfinite(got) and math.isclose(got, want, rel_tol=1e-10, abs_tol=1e-12)):
                errors.append(f"{where}: value {got!r} with NaN/inf in ignored rows, {want!r} without those rows")
            if g is not None and not (
                np.isfinite(g).all() and np.allclose(g[~ignored], gk, rtol=1e-9, atol=1e-12) and not g[ignored].any()
            ):
                errors.append(f"{where}: gradient {g.tolist()}, without the ignored rows {gk.tolist()}")
            got, g = run(name, every, options, x, reduction)
            if got != 0:
                errors.append(f"{where}: all samples ignored gives {got!r}, want 0")
            if g is not None and not (np.isfinite(g).all() and not g.any()):
                errors.append(f"{where}: all samples ignored, gradient {g.tolist()}")
    assert not errors, "\n".join(errors)


# -- 3. extreme finite values ---------------------------------------------------------------------

_TINY = {"float64": 5e-324, "float32": 1e-45}


def _hard(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Probabilities exactly 0 and 1: one-hot rows along the last (class) axis, else alternating."""
    if v.ndim >= 2:
        return np.eye(v.shape[-1])[rng.integers(0, v.shape[-1], v.shape[:-1])]
    return (np.arange(v.size) % 2).astype(np.float64).reshape(v.shape)


def _extreme_scenarios(name: str) -> list[tuple[str, str, dict[str, np.ndarray]]]:
    """(label, dtype, inputs) of extreme but finite inputs for one loss."""
    rec, inputs = RECORDS[name], _draw(name)
    spaces = rec.input_spaces
    first = rec.inputs[0]
    out = []
    if rec.family not in ("regression", "reinforcement", "detection", "sequence"):
        scaled = [k for k in rec.inputs if spaces[k] in ("logit", "real") and inputs[k].dtype.kind == "f"]
        if scaled:
            for dtype, big in (("float32", 1e4), ("float64", 1e4), ("float64", 1e30)):
                x = dict(inputs)
                for k in scaled:
                    x[k] = inputs[k] / np.max(np.abs(inputs[k])) * big
                out.append((f"{'/'.join(scaled)} scaled to |x| = {big:g}", dtype, x))
    if spaces[first] == "real" and rec.family in ("regression", "reinforcement"):
        x = dict(inputs)
        x[first] = inputs[rec.inputs[1]] + 1e30 * np.where(np.arange(inputs[first].size) % 2, 1.0, -1.0).reshape(
            inputs[first].shape
        )
        out.append(("errors of 1e30", "float64", x))
    hard = [
        k for k in rec.inputs if spaces[k] in ("probability", "label_or_probability") and inputs[k].dtype.kind == "f"
    ]
    if hard:
        x = dict(inputs)
        rng = np.random.default_rng(1)
        for k in hard:
            x[k] = _hard(inputs[k], rng)
        for dtype in ("float32", "float64"):
            out.append((f"{'/'.join(hard)} exactly 0 and 1", dtype, x))
    sign = {
        "real": None,
        "logit": None,
        "probability": 1.0,
        "nonnegative": 1.0,
        "positive": 1.0,
        "log_probability": -1.0,
        "log_rate": None,
    }.get(spaces[first], 0.0)
    if sign != 0.0:
        for dtype, tiny in _TINY.items():
            x = dict(inputs)
            v = inputs[first]
            if v.ndim >= 2 and spaces[first] == "probability":
                # A distribution over the last axis: one subnormal entry per row, the rest renormalised.
                x[first] = np.concatenate(
                    [np.full((*v.shape[:-1], 1), tiny), v[..., 1:] / np.sum(v[..., 1:], axis=-1, keepdims=True)],
                    axis=-1,
                )
            elif v.ndim >= 2 and spaces[first] == "log_probability":
                # log p = -tiny (p rounds to 1) for one class, the others (nearly) impossible.
                x[first] = np.concatenate(
                    [np.full((*v.shape[:-1], 1), -tiny), np.full((*v.shape[:-1], v.shape[-1] - 1), -80.0)], axis=-1
                )
            else:
                x[first] = tiny * (np.where(v >= 0, 1.0, -1.0) if sign is None else np.full_like(v, sign))
            out.append((f"{first} subnormal ({tiny:g})", dtype, x))
    return out


def _round_trip(b: Any, inputs: Mapping[str, np.ndarray], dtype: str) -> dict[str, np.ndarray]:
    """``inputs`` rounded to ``dtype`` by the backend and read back as float64 (labels unchanged)."""
    return {k: (b.to_numpy(b.asarray(v, dtype)) if v.dtype.kind == "f" else v) for k, v in inputs.items()}


@pytest.mark.parametrize("bname", ALL_BACKENDS)
def test_extreme_finite_values_give_finite_results(bname: str) -> None:
    """Values (per element, or the mean with its gradients on torch/JAX) are finite and equal
    the float64 oracle on the same rounded inputs wherever the oracle is finite and in range."""
    b = _backend(bname)
    # Cost policy: JAX compiles once per loss and dtype, so it runs the float32 scenarios (where
    # 1e4 logits overflow exp); Dask builds a graph per call and runs float64 only.
    dtypes = {"jax": ("float32",), "dask": ("float64",)}.get(bname, ("float32", "float64"))
    errors = []
    for name in RECORDS:
        case = CASES[name]
        for label, dtype, x in _extreme_scenarios(name):
            if dtype not in dtypes:
                continue
            where = f"{name} on {bname} {dtype}, {label}"
            rounded = _round_trip(b, x, dtype)
            want = _oracle(name, rounded, {})
            if want is None:
                continue
            fmax = float(np.finfo(dtype).max)
            eps = float(np.finfo(dtype).eps)
            scale = max([float(np.max(np.abs(v))) for v in rounded.values() if v.dtype.kind == "f"] + [1.0])
            rtol = 1e-6 if dtype == "float64" else 1e-3
            if bname in GRAD_BACKENDS:
                if not (np.isfinite(want).all() and np.all(np.abs(want) < fmax)):
                    continue
                with np.errstate(all="ignore"):
                    want = oracle_reduce(case, rounded, {}, "mean")
                diff = tuple(n for n in case.differentiable if x[n].dtype.kind == "f")
                got, grads = _value_and_grads(b, name, x, {}, diff, dtype, reduction="mean")
                for k, g in grads.items():
                    if not np.isfinite(g).all():
                        errors.append(f"{where}: non-finite gradient w.r.t. {k}: {g.ravel().tolist()}")
                ok = np.ones((), dtype=bool)
            else:
                with np.errstate(all="ignore"):
                    got = _call(b, name, x, {}, dtype, reduction="none")
                ok = np.isfinite(want) & (np.abs(want) < fmax)
            got = np.asarray(got)
            if not np.isfinite(got[ok]).all():
                errors.append(
                    f"{where}: non-finite loss {got.ravel().tolist()} where the float64 oracle gives "
                    f"{np.ravel(want).tolist()}"
                )
            elif not (np.abs(got - want) <= 64 * eps * scale + rtol * np.abs(want))[ok].all():
                errors.append(f"{where}: {got.ravel().tolist()} != oracle {np.ravel(want).tolist()}")
    assert not errors, "\n".join(errors)


# -- 4. float16 / bfloat16 ------------------------------------------------------------------------

#: 16-bit dtypes per backend. JAX (one compile per loss and dtype) runs float16; its bfloat16
#: path is the same upcast as float16's and as torch's bfloat16, which runs here.
_HALF = {"numpy": ("float16",), "torch": ("float16", "bfloat16"), "jax": ("float16",)}


@pytest.mark.parametrize("bname", sorted(_HALF))
def test_half_precision_does_not_overflow(bname: str) -> None:
    """Inputs large enough that float16 intermediates would overflow (logits ~ 60: exp(60) > 65504;
    squared errors ~ 3600 summed) give the float32 result rounded, not inf/NaN; so do the
    gradients (torch, JAX). The float32 reference runs on NumPy (values) and torch (gradients)."""
    b = _backend(bname)
    ref_b = BACKENDS["torch"] if bname in GRAD_BACKENDS else BACKENDS["numpy"]
    errors = []
    for name in RECORDS:
        rec, inputs = RECORDS[name], _draw(name)
        x = dict(inputs)
        for k in rec.inputs:
            if rec.input_spaces[k] in ("logit", "real") and x[k].dtype.kind == "f":
                x[k] = inputs[k] / np.max(np.abs(inputs[k])) * 60.0
        diff = tuple(n for n in CASES[name].differentiable if x[n].dtype.kind == "f")
        for dtype in _HALF[bname]:
            where = f"{name} on {bname} {dtype} (inputs up to 60)"
            hmax = float(np.finfo(np.float16).max) if dtype == "float16" else 3e38
            rtol = 1e-2 if dtype == "float16" else 5e-2
            rounded = _round_trip(b, x, dtype)
            with np.errstate(all="ignore"):
                ref = _call(BACKENDS["numpy"], name, rounded, {}, "float32", reduction="none")
            if bname in GRAD_BACKENDS:
                ref_mean, g32 = _value_and_grads(ref_b, name, rounded, {}, diff, "float32", reduction="mean")
                got_mean, g16 = _value_and_grads(b, name, x, {}, diff, dtype, reduction="mean")
                for k in diff:
                    okg = np.isfinite(g32[k]) & (np.abs(g32[k]) < hmax / 2)
                    if not np.isfinite(g16[k][okg]).all():
                        errors.append(
                            f"{where}: gradient w.r.t. {k} {g16[k].ravel().tolist()}, float32 gives "
                            f"{g32[k].ravel().tolist()}"
                        )
            else:
                with np.errstate(all="ignore"):
                    got = _call(b, name, x, {}, dtype, reduction="none")
                    ref_mean = float(_call(b, name, rounded, {}, "float32", reduction="mean"))
                    got_mean = float(_call(b, name, x, {}, dtype, reduction="mean"))
                ok = np.isfinite(ref) & (np.abs(ref) < hmax / 2)
                if not np.isfinite(got[ok]).all():
                    errors.append(f"{where}: 'none' {got.ravel().tolist()}, float32 gives {ref.ravel().tolist()}")
            if (
                math.isfinite(ref_mean)
                and abs(ref_mean) < hmax / 2
                and not (
                    math.isfinite(got_mean)
                    and abs(got_mean - ref_mean) <= rtol * max(abs(ref_mean), float(np.max(np.abs(ref))))
                )
            ):
                errors.append(f"{where}: mean {got_mean!r}, float32 gives {ref_mean!r}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("bname", sorted(_HALF))
def test_half_precision_mean_of_large_squared_errors(bname: str) -> None:
    """1000 errors of 200: the mean (40000) fits float16, the sum (4e7) does not and is inf in
    float16 (the correct rounding of a value above 65504) but finite in bfloat16."""
    b = _backend(bname)
    pred, target = np.full(1000, 200.0), np.zeros(1000)
    for dtype in _HALF[bname]:
        args = {"pred": pred, "target": target}
        mean = float(_call(b, "mean_squared_error", args, {}, dtype, reduction="mean"))
        with np.errstate(over="ignore"):  # NumPy warns when the float32 sum is cast to float16's inf
            total = float(_call(b, "mean_squared_error", args, {}, dtype, reduction="sum"))
        assert mean == pytest.approx(40000.0, rel=1e-2), f"mse mean on {bname} {dtype}: {mean}"
        if dtype == "float16":
            assert total == math.inf, f"mse sum on {bname} float16: {total} (4e7 > 65504 must round to inf)"
        else:
            assert total == pytest.approx(4e7, rel=1e-2), f"mse sum on {bname} {dtype}: {total}"
        if bname in GRAD_BACKENDS:
            g = _value_and_grads(b, "mean_squared_error", args, {}, ("pred",), dtype, reduction="mean")[1]["pred"]
            assert np.allclose(g, 0.4, rtol=1e-2), f"mse mean gradient on {bname} {dtype}: {g[:4]}"
