"""Property-based fuzzing (hypothesis) of every catalog loss on every backend.

Hypothesis draws, per loss: an option set of the loss's conformance case, the per-element shape
(1-3 dimensions of size 1..6), the dtype (float32, float64), a seed for values from the loss's
valid domain (``CASES[name].make_inputs``) and, where drawn, a broadcast variant (a later input
with a size-1 dimension where the first input has more). The properties:

- ``test_nonnegative``: the per-element loss is >= 0 (exceptions: ``Fuzz.not_nonnegative``);
- ``test_zero_at_perfect_prediction``: 0 (or the stated value) at a perfect prediction built per
  loss (``Fuzz.perfect``; exceptions: ``Fuzz.no_perfect``);
- ``test_reductions``: ``sum == sum(none)`` and ``mean`` from ``none`` by the weighted rule
  ``sum(w*l) / sum(w)``, or the loss's own rule (``Fuzz.mean_rule``), with and without weights;
- ``test_unit_weights``: all-ones ``sample_weight`` equals no weights (mean, sum, none);
- ``test_batch_permutation``: mean and sum do not change when the leading batch axis of every
  per-sample input (and of the weights) is permuted consistently;
- ``test_backends_agree``: every backend (and NumPy float32) equals NumPy float64 on the same
  (rounded) inputs within the dtype's tolerance (``lossapi.testing.TOLERANCES``).

Profiles (``tests/conftest.py``): ``ci`` (default, derandomized, a few examples per loss) and
``long`` (``HYPOTHESIS_PROFILE=long`` or ``--hypothesis-profile=long``; ``nox -s fuzz``). Under
``ci`` the properties run on NumPy, array-api-strict and PyTorch, and the agreement test on
every backend (JAX on one fixed shape and dtype: JAX compiles every new variant); under ``long``
every property runs on every backend with every shape. ``LOSSAPI_FUZZ_BACKENDS=numpy,torch``
restricts every test to the named backends.

What the properties may assume of each loss is its conformance case's ``fuzz``
(:class:`lossapi._conformance.cases.Fuzz`, in the loss's family module); the builders several
families share are in ``lossapi._conformance.fuzz``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from _backends import BACKENDS, Backend, _import, load_backend
from hypothesis import given, settings
from hypothesis import strategies as st

import lossapi as la
from lossapi._conformance.cases import CASES, Fuzz, class_axis_of, loss_options
from lossapi._conformance.fuzz import perfect_options_ok
from lossapi.testing import TOLERANCES, assert_close

RECORDS = {r.name: r for r in la.catalog()}
NAMES = sorted(RECORDS)
DTYPES = ("float32", "float64")
_MODULES = {
    "numpy": "numpy",
    "array_api_strict": "array_api_strict",
    "torch": "torch",
    "jax": "jax.numpy",
    "dask": "dask.array",
}
#: Backends of the property tests under the ``ci`` profile (JAX and Dask cost 10-100x more per
#: call; the agreement test covers them in CI, the ``long`` profile runs everything everywhere).
CI_PROPERTY_BACKENDS = ("numpy", "array_api_strict", "torch")
#: The per-element shape JAX gets under ``ci`` (each new shape costs a compilation of every op).
CI_JAX_SHAPE = (3, 2)


def _profile() -> str:
    get = getattr(settings, "get_current_profile_name", None)
    return get() if get is not None else str(getattr(settings, "_current_profile", "default"))


def _long() -> bool:
    return _profile() == "long"


_LOADED: dict[str, Backend | None] = {}


def _fuzz(name: str) -> Fuzz:
    """What the property tests may assume of loss ``name`` (nothing stated: no exceptions)."""
    case = CASES.get(name)
    return case.fuzz if case is not None and case.fuzz is not None else Fuzz()


def _backend(name: str) -> Backend | None:
    """The test backend ``name``, or None when its library is not installed."""
    if name not in _LOADED:
        _LOADED[name] = load_backend(name) if _import(_MODULES[name]) is not None else None
    return _LOADED[name]


def _backends(all_in_ci: bool = False) -> list[Backend]:
    names = BACKENDS if (all_in_ci or _long()) else CI_PROPERTY_BACKENDS
    chosen = [n.strip() for n in os.environ.get("LOSSAPI_FUZZ_BACKENDS", "").split(",") if n.strip()]
    if chosen:  # e.g. LOSSAPI_FUZZ_BACKENDS=numpy,torch for a long run without JAX
        names = tuple(n for n in BACKENDS if n in chosen)
    return [b for b in (_backend(n) for n in names) if b is not None]


# -- drawing inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One drawn input: float inputs already rounded to ``dtype`` (held as float64)."""

    name: str
    options: Mapping[str, Any]
    shape: tuple[int, ...]
    dtype: str
    seed: int
    inputs: dict[str, np.ndarray]

    @property
    def kwargs(self) -> dict[str, Any]:
        return loss_options(self.options)

    def __repr__(self) -> str:
        opts = {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v) for k, v in self.options.items()}
        shapes = {k: (np.shape(v), str(np.asarray(v).dtype)) for k, v in self.inputs.items()}
        return f"{self.name}(options={opts}, shape={self.shape}, dtype={self.dtype}, seed={self.seed}, inputs={shapes})"


def _round(a: Any, dtype: str) -> Any:
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return np.asarray(a, dtype=dtype).astype(np.float64)
    return a


def _batch_axis(v: np.ndarray, ndim: int, options: Mapping[str, Any]) -> int | None:
    """Axis of input ``v`` that holds per-element axis 0 (None for a 0-d input)."""
    if v.ndim == 0:
        return None
    if v.ndim > ndim and class_axis_of(options, v.ndim) == 0:
        return 1  # class / list / feature axis first (axis=0): the batch is next
    return 0


def _element_axes(v: np.ndarray, ndim: int, options: Mapping[str, Any]) -> list[int]:
    """Axes of ``v`` that are per-element axes (not a class / coordinate axis)."""
    if v.ndim == ndim:
        return list(range(ndim))
    if v.ndim == ndim + 1:
        c = class_axis_of(options, v.ndim)
        return [a for a in range(v.ndim) if a != c]
    return []


@st.composite
def samples(
    draw: Any,
    name: str,
    *,
    broadcast: bool = True,
    perfect: bool = False,
    shape: tuple[int, ...] | None = None,
    dtype: str | None = None,
    defaults: bool = False,
) -> Sample:
    rec, case = RECORDS[name], CASES[name]
    options = list(case.options[:1] if defaults else case.options)
    if perfect:
        options = [o for o in options if perfect_options_ok(case, o) is None]
    opts = draw(st.sampled_from(options))
    if shape is None:
        ndim = draw(st.integers(1, 3))
        shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    dtype = dtype or draw(st.sampled_from(DTYPES))
    seed = draw(st.integers(0, 2**32 - 1))
    raw = case.make_inputs(np.random.default_rng(seed), shape, opts)
    inputs = {n: np.asarray(raw[n]) for n in rec.inputs}
    if broadcast and len(inputs) > 1 and _fuzz(name).no_broadcast is None and draw(st.booleans()):
        # A later floating input loses one per-element dimension to size 1 (keeps its first
        # slice). Integer class labels are not broadcast: they must have exactly the "none"
        # shape (as in torch; lossapi raises ShapeMismatchError otherwise).
        cands = [
            (k, a)
            for k in list(inputs)[1:]
            if inputs[k].dtype.kind == "f"
            for a in _element_axes(inputs[k], len(shape), opts)
            if inputs[k].shape[a] > 1
        ]
        if cands:
            k, a = draw(st.sampled_from(cands))
            inputs[k] = np.ascontiguousarray(np.take(inputs[k], [0], axis=a))
    opts = {k: _round(v, dtype) for k, v in opts.items()}
    return Sample(name, opts, shape, dtype, seed, {k: _round(v, dtype) for k, v in inputs.items()})


# -- running a loss ---------------------------------------------------------------------------


def run(
    bk: Backend,
    s: Sample,
    reduction: str,
    inputs: Mapping[str, np.ndarray] | None = None,
    sample_weight: np.ndarray | None = None,
    dtype: str | None = None,
) -> np.ndarray:
    """The loss on backend ``bk`` (inputs converted to ``dtype``), read back as float64."""
    dtype = dtype or s.dtype
    inputs = s.inputs if inputs is None else inputs

    def conv(v: np.ndarray) -> Any:
        return bk.asarray(v, dtype if v.dtype.kind == "f" else None)

    args = [conv(np.asarray(v)) for v in inputs.values()]
    kw = {k: conv(v) if isinstance(v, np.ndarray) else v for k, v in s.kwargs.items()}
    if sample_weight is not None:
        kw["sample_weight"] = bk.asarray(sample_weight, dtype)
    out = RECORDS[s.name].fn(*args, **kw, reduction=reduction)
    assert str(out.dtype).rsplit(".", 1)[-1] == dtype, f"{s!r} on {bk.name}: result dtype {out.dtype}, want {dtype}"
    return bk.to_numpy(out).astype(np.float64)


def _tol(s: Sample, dtype: str | None = None) -> tuple[float, float]:
    dtype = dtype or s.dtype
    return CASES[s.name].rtol.get(dtype, TOLERANCES[dtype].rtol), TOLERANCES[dtype].atol


def _mean_abs(a: np.ndarray) -> float:
    return float(np.mean(np.abs(a))) if np.size(a) else 0.0


def _ctx(s: Sample, bk: Backend, what: str) -> str:
    return f"{what}: {s!r} on {bk.name}"


@st.composite
def weights(draw: Any, none_shape: tuple[int, ...], dtype: str, ones: bool = False, full: bool = False) -> np.ndarray:
    """Sample weights broadcastable to ``none_shape``: full, size-1 leading axis, or 0-d."""
    kinds = ["full", "lead1", "scalar"] if none_shape else ["scalar"]
    kind = "full" if full and none_shape else draw(st.sampled_from(kinds))
    shape = {"full": none_shape, "lead1": (1, *none_shape[1:]), "scalar": ()}[kind]
    if ones:
        return np.ones(shape)
    seed = draw(st.integers(0, 2**32 - 1))
    return _round(np.random.default_rng(seed).uniform(0.1, 2.0, shape), dtype)


# -- expected reductions ----------------------------------------------------------------------


def _class_last(t: np.ndarray, options: Mapping[str, Any]) -> np.ndarray:
    return np.moveaxis(t, class_axis_of(options, t.ndim), -1)


def expected_reductions(s: Sample, none: np.ndarray, sw: np.ndarray | None) -> tuple[float, float, float]:
    """(sum, mean, scale) that ``"sum"`` and ``"mean"`` must give, from the ``"none"`` result
    (which already holds every weight) by the loss's rule (its ``Fuzz.mean_rule``)."""
    w = np.broadcast_to(np.ones(()) if sw is None else sw, none.shape).astype(np.float64)
    total = float(np.sum(none))
    scale = float(np.sum(np.abs(none)))

    def div(a: float, b: float) -> float:
        return 0.0 if b == 0 else a / b

    if s.name == "root_mean_squared_error":
        eps = float(s.kwargs.get("eps", 0.0))
        sq = none**2 - eps
        return math.sqrt(max(np.sum(sq), 0.0) + eps), math.sqrt(max(div(np.sum(sq), np.sum(w)), 0.0) + eps), scale
    if s.name == "ctc":
        L = np.maximum(np.broadcast_to(s.inputs["label_lengths"], none.shape), 1).astype(np.float64)
        return total, div(float(np.sum(none / L)), float(np.sum(w))), scale
    if s.name == "yolo":
        conf = np.broadcast_to(_class_last(s.inputs["target"], s.options)[..., 4], none.shape)
        mean = sum(
            div(float(np.sum(np.where(conf == c, none, 0.0))), float(np.sum(np.where(conf == c, w, 0.0))))
            for c in (0.0, 1.0)
        )
        return total, mean, scale
    if (s.name == "dice_cross_entropy" and s.kwargs.get("ignore_index") is not None) or s.name == "batch_contrastive":
        # The cross-entropy term averages the counted pixels of the whole batch (torch's
        # ignore_index mean); batch_contrastive adds the mean of its positive pairs and the mean
        # of its negative pairs. The per-sample "none" values determine neither: the case's
        # reduction oracle gives "mean".
        reduce_oracle = CASES[s.name].reduce_oracle
        assert reduce_oracle is not None
        return total, float(reduce_oracle(dict(s.inputs), s.kwargs, "mean", sw, None)), scale
    extra = _fuzz(s.name).mean_weight
    den_w = w if extra is None else w * np.broadcast_to(extra(s.inputs, s.options), none.shape)
    den = float(np.sum(den_w))
    return total, div(total, den), div(scale, den) if den else scale


# -- the properties ---------------------------------------------------------------------------


NONNEG = [n for n in NAMES if _fuzz(n).not_nonnegative is None]
ZERO = [n for n in NAMES if _fuzz(n).no_perfect is None]
PERMUTABLE = [n for n in NAMES if _fuzz(n).not_permutable is None]


def test_tables_cover_the_catalog() -> None:
    """Every catalog loss says, for every property, whether it holds or why not (its case's
    ``fuzz``): a perfect prediction or why there is none, exactly one of them; no stale names."""
    names = set(NAMES)
    stated = {n for n, c in CASES.items() if c.fuzz is not None}
    assert stated == names, (sorted(names - stated), sorted(stated - names))
    perfect = {n for n in stated if CASES[n].fuzz.perfect is not None}
    no_perfect = {n for n in stated if CASES[n].fuzz.no_perfect is not None}
    assert perfect | no_perfect == names
    assert not perfect & no_perfect
    mean_weight = {n for n in stated if CASES[n].fuzz.mean_weight is not None}
    mean_rule = {n for n in stated if CASES[n].fuzz.mean_rule is not None}
    assert mean_weight <= mean_rule


@pytest.mark.parametrize("name", NONNEG)
@given(data=st.data())
def test_nonnegative(name: str, data: Any) -> None:
    s = data.draw(samples(name), label="sample")
    for bk in _backends():
        got = run(bk, s, "none")
        rtol, atol = _tol(s)
        assert np.all(np.isfinite(got)), _ctx(s, bk, f"non-finite loss on valid inputs: {got}")
        floor = -(atol + 4 * rtol * float(np.max(np.abs(got), initial=1.0)))
        assert np.min(got, initial=0.0) >= floor, _ctx(s, bk, f"negative loss {np.min(got)!r} (floor {floor:g})")


@pytest.mark.parametrize("name", ZERO)
@given(data=st.data())
def test_zero_at_perfect_prediction(name: str, data: Any) -> None:
    s = data.draw(samples(name, broadcast=False, perfect=True), label="sample")
    built = _fuzz(name).perfect(dict(s.inputs), s.options)
    inputs, expected = built if isinstance(built, tuple) else (built, 0.0)
    inputs = {k: _round(np.asarray(v), s.dtype) for k, v in inputs.items()}
    rtol, atol = _tol(s)
    for bk in _backends():
        got = run(bk, s, "none", inputs)
        want = np.broadcast_to(np.asarray(expected, dtype=np.float64), got.shape)
        assert_close(
            got,
            want,
            rtol=10 * rtol,
            atol=max(atol, 10 * rtol),
            err_msg=_ctx(s, bk, "not zero at a perfect prediction"),
        )


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_reductions(name: str, data: Any) -> None:
    s = data.draw(samples(name), label="sample")
    np_none = run(_backend("numpy"), s, "none", dtype="float64")
    sw = data.draw(weights(np_none.shape, s.dtype), label="sample_weight") if data.draw(st.booleans()) else None
    rtol, atol = _tol(s)
    for bk in _backends():
        none = run(bk, s, "none", sample_weight=sw)
        want_sum, want_mean, scale = expected_reductions(s, none, sw)
        got_sum = run(bk, s, "sum", sample_weight=sw)
        got_mean = run(bk, s, "mean", sample_weight=sw)
        assert_close(
            got_sum,
            np.float64(want_sum),
            rtol=rtol,
            atol=atol + rtol * float(np.sum(np.abs(none))),
            err_msg=_ctx(s, bk, f"sum != sum(none) [weights {None if sw is None else sw.shape}]"),
        )
        assert_close(
            got_mean,
            np.float64(want_mean),
            rtol=rtol,
            atol=atol + rtol * scale,
            err_msg=_ctx(
                s,
                bk,
                f"mean != rule(none) [{_fuzz(name).mean_rule or 'sum(w*l)/sum(w)'}; "
                f"weights {None if sw is None else sw.shape}]",
            ),
        )


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_unit_weights(name: str, data: Any) -> None:
    s = data.draw(samples(name), label="sample")
    rtol, atol = _tol(s)
    np_none = run(_backend("numpy"), s, "none", dtype="float64")
    ones = data.draw(weights(np_none.shape, s.dtype, ones=True), label="ones")
    for bk in _backends():
        for reduction in ("none", "sum", "mean"):
            want = run(bk, s, reduction)
            got = run(bk, s, reduction, sample_weight=ones)
            assert_close(
                got,
                want,
                rtol=rtol,
                atol=atol + rtol * _mean_abs(want),
                err_msg=_ctx(s, bk, f"sample_weight=ones{ones.shape} != no weights [{reduction}]"),
            )


def _permute(s: Sample, perm: np.ndarray) -> dict[str, np.ndarray]:
    n = s.shape[0]
    out = {}
    for k, v in s.inputs.items():
        ax = _batch_axis(v, len(s.shape), s.options)
        if ax is None or v.shape[ax] == 1 or k in CASES[s.name].shared:
            out[k] = v  # broadcast along the batch or shared (a layer's weight): the same for every sample
        else:
            assert v.shape[ax] == n, f"{s!r}: input {k} has {v.shape[ax]} != {n} entries on axis {ax}"
            out[k] = np.take(v, perm, axis=ax)
    return out


@pytest.mark.parametrize("name", PERMUTABLE)
@given(data=st.data())
def test_batch_permutation(name: str, data: Any) -> None:
    s = data.draw(samples(name), label="sample")
    perm = np.asarray(data.draw(st.permutations(range(s.shape[0])), label="perm"), dtype=np.int64)
    np_none = run(_backend("numpy"), s, "none", dtype="float64")
    sw = data.draw(weights(np_none.shape, s.dtype), label="sample_weight") if data.draw(st.booleans()) else None
    sw_p = sw
    if sw is not None and sw.ndim and np_none.ndim and sw.shape[0] == s.shape[0] > 1:
        sw_p = np.take(sw, perm, axis=0)
    permuted = _permute(s, perm)
    rtol, atol = _tol(s)
    for bk in _backends():
        scale = float(np.sum(np.abs(run(bk, s, "none", sample_weight=sw))))
        for reduction in ("sum", "mean"):
            want = run(bk, s, reduction, sample_weight=sw)
            got = run(bk, s, reduction, permuted, sample_weight=sw_p)
            assert_close(
                got,
                want,
                rtol=rtol,
                atol=atol + rtol * scale,
                err_msg=_ctx(s, bk, f"{reduction} changed under batch permutation {perm.tolist()}"),
            )


def _agree(s: Sample, sw: np.ndarray | None, backends: list[Backend]) -> None:
    np64 = _backend("numpy")
    ref = {r: run(np64, s, r, sample_weight=sw, dtype="float64") for r in ("none", "sum", "mean")}
    rtol, atol = _tol(s)
    typical = _mean_abs(ref["none"])
    scales = {
        "none": typical if CASES[s.name].cancels else 0.0,
        "sum": float(np.sum(np.abs(ref["none"]))),
        "mean": float(np.max(np.abs(ref["none"]), initial=0.0)),
    }
    for bk in backends:
        if bk.name == "numpy" and s.dtype == "float64":
            continue  # the reference itself
        for reduction in ("none", "sum", "mean"):
            got = run(bk, s, reduction, sample_weight=sw)
            assert_close(
                got,
                ref[reduction],
                rtol=rtol,
                atol=atol + rtol * scales[reduction],
                err_msg=_ctx(
                    s, bk, f"differs from NumPy float64 [{reduction}, weights {None if sw is None else sw.shape}]"
                ),
            )


def _draw_weights(data: Any, s: Sample) -> np.ndarray | None:
    if not data.draw(st.booleans(), label="weighted"):
        return None
    return data.draw(weights(run(_backend("numpy"), s, "none", dtype="float64").shape, s.dtype), label="sample_weight")


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_backends_agree(name: str, data: Any) -> None:
    """Every backend (and NumPy float32) equals NumPy float64 on the same rounded inputs."""
    s = data.draw(samples(name), label="sample")
    backends = _backends(all_in_ci=True)
    if _long():
        _agree(s, _draw_weights(data, s), backends)
        return
    # ci: JAX compiles every op for every new shape, dtype, weight shape and option set (about
    # a second per loss and variant): it gets its own sample of one fixed variant (shape,
    # float32, the case's first option set, full random weights; the values are drawn); the
    # other backends get the drawn sample.
    _agree(s, _draw_weights(data, s), [b for b in backends if b.name != "jax"])
    jax = [b for b in backends if b.name == "jax"]
    if jax:
        sj = data.draw(
            samples(name, shape=CI_JAX_SHAPE, dtype="float32", broadcast=False, defaults=True), label="jax sample"
        )
        none_shape = run(_backend("numpy"), sj, "none", dtype="float64").shape
        _agree(sj, data.draw(weights(none_shape, sj.dtype, full=True), label="jax sample_weight"), jax)
