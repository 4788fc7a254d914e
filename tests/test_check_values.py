"""Value checks on request: ``lossapi.check_values()`` and ``InvalidValueError``.

The expectations are written here from the losses' documented domains (not read from
lossapi's own rule table): for every catalog loss and every positional input, either a value
that violates the documented domain, or a strange-but-documented value that must pass.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from _backends import load_backend

import lossapi as la
from lossapi import _value_checks
from lossapi._conformance.cases import CASES
from lossapi.testing import make_inputs

# -- the documented domains ----------------------------------------------------------------------

#: space -> (bad value, domain as the message names it). "C" is the number of classes.
SPACE_BAD: dict[str, tuple[Any, str]] = {
    "probability": (1.5, "[0, 1]"),
    "label": ("C", "[0, C)"),
    "log_probability": (0.5, "(-inf, 0]"),
    "nonnegative": (-1.0, "[0, inf)"),
    "variance": (-1.0, "[0, inf)"),
    "count": (-1, "[0, inf)"),
    "relevance": (-1.0, "[0, inf)"),
    "positive": (-1.0, "(0, inf)"),
    "sign": (2.0, "{-1, 0, 1}"),
    "padded_labels": ("C", "[0, C)"),
}

#: (loss, input) -> a value that is strange but documented as fine (never checked).
FREE: dict[tuple[str, str], Any] = {
    ("ntxent", "labels"): 1000,  # free group ids
    ("batch_triplet", "labels"): 1000,
    ("batch_contrastive", "labels"): 1000,
    ("supcon", "labels"): 1000,
    ("circle", "labels"): 1000,
    ("multi_similarity", "labels"): 1000,
    ("generalized_kl_divergence", "log_probs"): 3.0,  # unnormalized measure
    ("policy_gradient", "log_probs"): 2.0,  # log-densities
    ("ppo_clip", "log_probs"): 2.0,
    ("ppo_clip", "old_log_probs"): 2.0,
    ("ranknet", "relevance"): -3.0,  # only the order matters
    ("cosine_embedding", "target"): 2.0,  # torch's "other values"
    ("margin_ranking", "target"): 0.0,
    ("hinge_embedding", "target"): 2.0,
    ("poisson_nll", "pred"): -3.0,  # a log-rate by default
    ("tweedie_deviance", "pred"): -3.0,  # power 0 (normal) by default
    ("tweedie_deviance", "target"): -3.0,
    ("yolo", "pred"): 7.5,
}

#: (loss, input) -> (bad value, domain) where the loss defines the input itself.
OVERRIDES: dict[tuple[str, str], tuple[Any, str]] = {
    ("lovasz_hinge", "labels"): (2, "{0, 1}"),
    ("ctc", "labels"): ("C", "[0, C) without blank=0"),
    ("yolo", "target"): ("yolo", "[0, 1]"),
    ("box_iou", "boxes"): ("box", "x1 <= x2 and y1 <= y2"),
}
for _n in ("box_iou", "giou", "diou", "ciou"):
    for _i in ("boxes", "target"):
        OVERRIDES[(_n, _i)] = ("box", "x1 <= x2 and y1 <= y2")

#: Option-dependent domains: (loss, options, input, bad value, domain).
VARIANTS = [
    ("poisson_nll", {"log_input": False}, "pred", -1.0, "[0, inf)"),
    ("tweedie_deviance", {"power": 1.5}, "pred", -1.0, "(0, inf)"),
    ("tweedie_deviance", {"power": 1.5}, "target", -1.0, "[0, inf)"),
    ("tweedie_deviance", {"power": 2.0}, "target", 0.0, "(0, inf)"),
    ("tweedie_deviance", {"power": -0.5}, "pred", 0.0, "(0, inf)"),
    ("kl_divergence", {"log_target": True}, "target", 0.5, "(-inf, 0]"),
    ("cross_entropy", {"_target": "probs"}, "target", 1.5, "[0, 1]"),
    ("cross_entropy", {"axis": 1}, "target", "C", "[0, C)"),
    ("cross_entropy", {"ignore_index": -100}, "target", -1, "[0, C)"),
    ("nll", {"ignore_index": -1}, "labels", "C", "[0, C)"),
    ("dice", {"axis": None, "_target": "int"}, "target", 2, "{0, 1}"),
    ("dice", {"axis": None}, "target", -0.5, "[0, 1]"),
    ("dice", {"axis": 1}, "target", "C", "[0, C)"),
    ("cohen_kappa", {"_hard": True}, "labels", "C", "[0, C)"),
    ("lovasz_hinge", {"ignore_index": 255}, "labels", 3, "{0, 1}"),
    ("lovasz_softmax", {"ignore_index": 255}, "labels", "C", "[0, C)"),
    ("ctc", {"blank": 2, "zero_infinity": True}, "labels", 2, "[0, C) without blank=2"),
    ("multilabel_margin", {"axis": 1}, "labels", "C", "[0, C)"),
    ("hinge", {"_target": "int"}, "target", -2, "{-1, 0, 1}"),
]


def spec(loss: str, name: str, space: str) -> tuple[Any, str] | None:
    """(bad value, domain) of input ``name`` of ``loss``, or None when nothing is checked."""
    if (loss, name) in FREE:
        return None
    if (loss, name) in OVERRIDES:
        return OVERRIDES[(loss, name)]
    if space == "label_or_probability":
        return ("LOP", "")  # chosen by dtype: see resolve_lop
    return SPACE_BAD.get(space)


def resolve_lop(a: np.ndarray) -> tuple[Any, str]:
    """A ``label_or_probability`` input is read by dtype: integer class indices or probabilities."""
    if a.dtype.kind in "iu":
        return "C", "[0, C)"
    if a.dtype.kind == "f":
        return 1.5, "[0, 1]"
    return None, ""  # booleans cannot be wrong


# -- building violating inputs ----------------------------------------------------------------


def _classes(rec: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """C: the size of the prediction's class axis (the last one without an ``axis`` option), or
    the number of class centres."""
    for centres in ("class_centers", "weight"):  # one class per centre / per row of a linear layer's weight
        if centres in rec.inputs:
            return int(args[rec.inputs.index(centres)].shape[0])
    axis = -1
    if rec.has_axis:
        axis = kwargs.get("axis", inspect.signature(rec.fn).parameters["axis"].default)
    return int(args[0].shape[-1 if axis is None else axis])


def violate(rec: Any, args: list[Any], kwargs: dict[str, Any], name: str, bad: Any) -> tuple[int, ...]:
    """Write ``bad`` into input ``name`` (a NumPy array in ``args``); return the index written."""
    i = rec.inputs.index(name)
    a = np.array(args[i], copy=True)
    if isinstance(bad, str) and bad == "box":
        idx = (a.shape[0] - 1,) if a.ndim == 2 else np.unravel_index(a.size // 4 - 1, a.shape[:-1])
        idx = tuple(int(j) for j in idx)
        a[(*idx, 2)] = a[(*idx, 0)] - 1.0
    elif isinstance(bad, str) and bad == "yolo":
        obj = np.argwhere(a[..., 4] == 1)
        idx = (*(int(j) for j in obj[-1]), 5)
        a[idx] = 1.5
    else:
        value = _classes(rec, tuple(args), kwargs) if isinstance(bad, str) else bad
        if rec.name in ("ctc", "multilabel_margin"):  # a label before any padding
            idx = (0,) * a.ndim
        else:
            idx = tuple(int(j) for j in np.unravel_index(a.size - 1, a.shape))
        a[idx] = value
    args[i] = a
    return idx


def to_backend(bk: Any, args: list[Any], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    def conv(v: Any) -> Any:
        return bk.asarray(v, dtype=str(v.dtype)) if isinstance(v, np.ndarray) else v

    return [conv(a) for a in args], {k: conv(v) for k, v in kwargs.items()}


def np_inputs(loss: str, options: dict[str, Any] | None = None) -> tuple[list[Any], dict[str, Any]]:
    inp = make_inputs(loss, xp=np, seed=0, options=options)
    return list(inp.args), dict(inp.kwargs)


def cases() -> list[tuple[str, dict[str, Any], str, Any, str]]:
    """Every (loss, options, input, bad value, domain) to test, None bad value = free input."""
    out = []
    for rec in la.catalog():
        for name in rec.inputs:
            s = spec(rec.name, name, rec.input_spaces[name])
            if s is not None:
                out.append((rec.name, {}, name, s[0], s[1]))
            elif (rec.name, name) in FREE:
                out.append((rec.name, {}, name, None, FREE[(rec.name, name)]))
    return out + [tuple(v) for v in VARIANTS]  # type: ignore[misc]


def _expected_domain(domain: str, c: int) -> str:
    return domain.replace("C", str(c)) if "C)" in domain else domain


@contextlib.contextmanager
def count_computes() -> Iterator[list[int]]:
    """A list that grows by one per Dask compute inside the block."""
    from dask.callbacks import Callback

    computed: list[int] = []
    with Callback(start=lambda dsk: computed.append(1)):
        yield computed


def _call(rec: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    return rec.fn(*args, **kwargs)


# -- every loss, every checked input, every backend ------------------------------------------


def test_every_checked_input_has_an_expectation():
    """Each catalog input is either checked here (a bad value) or listed as free / unchecked."""
    unchecked_spaces = {"real", "logit", "yolo_grid", "log_rate"}
    for rec in la.catalog():
        for name in rec.inputs:
            space = rec.input_spaces[name]
            known = spec(rec.name, name, space) is not None or (rec.name, name) in FREE
            assert known or space in unchecked_spaces, (rec.name, name, space)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the unchecked calls compute with bad values
def test_violations_raise_inside_and_only_inside(backend, monkeypatch):
    bk = backend
    monkeypatch.setenv("LOSSAPI_VALUES_DEBUG", "1")  # a rule that errors fails the test
    n_raised = 0
    for loss, options, name, bad, domain in cases():
        rec = la.lookup_loss(loss)
        args, kwargs = np_inputs(loss, options)
        where = f"{loss}({options}) `{name}` on {bk.name}"
        if bad is None:  # a documented free input: a strange value passes
            i = rec.inputs.index(name)
            a = np.array(args[i], copy=True)
            a.flat[-1] = domain
            args[i] = a
            a_args, a_kwargs = to_backend(bk, args, kwargs)
            if bk.name in ("numpy", "array_api_strict", "torch"):
                with la.check_values():
                    try:
                        _call(rec, a_args, a_kwargs)
                    except la.InvalidValueError as e:  # pragma: no cover - the failure
                        pytest.fail(f"{where}: a documented value was rejected: {e}")
            continue
        if bad == "LOP":
            bad, domain = resolve_lop(args[rec.inputs.index(name)])
            if bad is None:
                continue
        c = _classes(rec, tuple(args), kwargs)
        idx = violate(rec, args, kwargs, name, bad)
        a_args, a_kwargs = to_backend(bk, args, kwargs)
        if bk.name == "dask":  # lazy: never checked, never computed
            with count_computes() as computed, la.check_values():
                _call(rec, a_args, a_kwargs)
            assert computed == [], where
            continue
        with la.check_values(), pytest.raises(la.InvalidValueError) as info:
            _call(rec, a_args, a_kwargs)
        msg = str(info.value)
        first = f"{name}[{', '.join(map(str, idx))}]"
        assert msg.startswith(f"lossapi.{loss}: `{name}` has 1 "), (where, msg)
        assert f"(first: {first} = " in msg, (where, msg)
        assert _expected_domain(domain, c) in msg, (where, msg)
        n_raised += 1
        if bk.name != "jax":  # outside the block nothing is inspected (JAX: skipped for compile time)
            try:
                _call(rec, a_args, a_kwargs)
            except la.InvalidValueError as e:  # pragma: no cover - the failure
                pytest.fail(f"{where}: raised outside check_values(): {e}")
            except Exception:  # noqa: BLE001, S110 - the backend may fail on bad values by itself
                pass
    if bk.name != "dask":
        assert n_raised > 60


@pytest.mark.parametrize("bk_name", ["numpy", "array_api_strict", "torch"])
def test_valid_inputs_pass_for_every_loss_and_case_option(bk_name, monkeypatch):
    """No false positives: every conformance case's valid inputs (ignored labels, padding,
    binary masks, soft targets, class axis 1, ...) pass inside the block, and no rule fails
    on them (a rule that errors is otherwise skipped silently, as for malformed input)."""
    monkeypatch.setenv("LOSSAPI_VALUES_DEBUG", "1")
    bk = load_backend(bk_name)
    with la.check_values():
        for rec in la.catalog():
            for opts in CASES[rec.name].options:
                inp = make_inputs(rec.name, xp=bk.mod, seed=1, options=opts)
                try:
                    rec.fn(*inp.args, **inp.kwargs)
                except la.InvalidValueError as e:  # pragma: no cover - the failure
                    pytest.fail(f"{rec.name}({opts}) on {bk_name}: {e}")


#: JAX compiles every eager op per shape, so a sample of the label rules keeps this test short
#: (JAX inputs are checked as NumPy copies: the rules themselves run in the NumPy tests).
JAX_SAMPLE = {"nll": {"ignore_index": -1}, "multilabel_margin": {}}


def test_valid_inputs_pass_on_jax(monkeypatch):
    monkeypatch.setenv("LOSSAPI_VALUES_DEBUG", "1")
    bk = load_backend("jax")
    with la.check_values():
        for name, opts in JAX_SAMPLE.items():
            inp = make_inputs(name, xp=bk.mod, seed=1, options=opts)
            la.lookup_loss(name).fn(*inp.args, **inp.kwargs)


# -- masked entries are not checked ------------------------------------------------------------


@pytest.mark.parametrize("bk_name", ["numpy", "array_api_strict", "torch"])  # JAX: checked as NumPy copies
def test_where_ignore_index_and_padding_are_not_checked(bk_name):
    bk = load_backend(bk_name)
    a = bk.asarray
    logits = a(np.zeros((4, 3)))
    labels = np.array([0, 2, 7, 1])
    with la.check_values():
        # cross_entropy: label 7 excluded by `where`, or equal to ignore_index.
        la.cross_entropy(logits, a(labels), where=a(np.array([True, True, False, True])))
        la.cross_entropy(logits, a(np.array([0, 2, -100, 1])), ignore_index=-100)
        la.nll(logits - 1.0, a(labels), ignore_index=7)
        # An excluded probability outside [0, 1]; a rounding error of 1 ulp inside it.
        la.binary_cross_entropy(a(np.array([0.5, 1.5])), a(np.array([1.0, 0.0])), where=a(np.array([True, False])))
        la.binary_cross_entropy(a(np.array([0.5, 0.5])), a(np.array([1.0 + 2e-16, 0.0])))
        # multilabel_margin: everything from the first negative entry is padding.
        la.multilabel_margin(a(np.zeros((2, 3))), a(np.array([[0, -1, 99], [2, 1, 0]])))
        # ctc: labels beyond label_lengths are ignored.
        lp = a(np.log(np.full((2, 5, 4), 0.25)))
        la.ctc(lp, a(np.array([[1, 2, 99], [3, 99, -5]])), a(np.array([5, 5])), a(np.array([2, 1])))
        # dice masks whole samples (per_sample=True): sample 1 holds an invalid class.
        probs = a(np.full((2, 4, 3), 1 / 3))
        la.dice(probs, a(np.array([[0, 1, 2, 0], [9, 9, 9, 9]])), per_sample=True, where=a(np.array([True, False])))
        with pytest.raises(la.InvalidValueError):  # the same values counted do raise
            la.dice(probs, a(np.array([[0, 1, 2, 0], [9, 9, 9, 9]])), per_sample=True)
        with pytest.raises(la.InvalidValueError, match=r"`target` has 1 label outside \[0, 3\)"):
            la.cross_entropy(logits, a(labels), where=a(np.array([True, True, True, True])))


def test_message_names_function_argument_count_first_index_value_and_domain():
    logits = np.zeros((6, 5))
    labels = np.array([0, 1, 7, 4, 5, -2])
    with la.check_values(), pytest.raises(la.InvalidValueError) as info:
        la.cross_entropy(logits, labels)
    msg = str(info.value)
    assert msg.startswith("lossapi.cross_entropy: `target` has 3 labels outside [0, 5) (first: target[2] = 7); ")
    assert "logits.shape[-1] = 5" in msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, la.LossapiError)
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 1.0, 3.0]])
    with la.check_values(), pytest.raises(la.InvalidValueError) as info:
        la.giou(boxes, boxes[::-1].copy())
    assert "`boxes` has 1 box breaking x1 <= x2 and y1 <= y2 (first: boxes[1] = [2.0, 0.0, 1.0, 3.0])" in str(
        info.value
    )


def test_hyper_parameter_arrays_are_checked(backend):
    bk = backend
    if bk.name == "dask":
        pytest.skip("Dask arrays are never checked")
    p, t = bk.asarray(np.array([0.0, 1.0])), bk.asarray(np.array([1.0, 1.0]))
    bad = bk.asarray(np.array(-1.0))
    la.huber(p, t, delta=bad)  # not inspected outside the block
    with la.check_values():
        la.huber(p, t, delta=bk.asarray(np.array(0.5)))
        with pytest.raises(la.InvalidValueError, match=r"lossapi.huber: `delta` has 1 value outside .*\(0, inf\)"):
            la.huber(p, t, delta=bad)
        with pytest.raises(la.InvalidValueError, match=r"`q` has 1 value outside"):
            la.quantile(p, t, q=bk.asarray(np.array(1.5)))
        cw = bk.asarray(np.array([1.0, np.nan, 1.0]))
        with pytest.raises(
            la.InvalidValueError, match=r"`class_weight` has 1 value not finite \(first: class_weight\[1\]"
        ):
            la.cross_entropy(bk.asarray(np.zeros((2, 3))), bk.asarray(np.array([0, 1])), class_weight=cw)


# -- lazy and traced arrays are skipped --------------------------------------------------------


def test_dask_is_never_computed():
    da = pytest.importorskip("dask.array")

    def boom(block):
        raise AssertionError("computed")

    probs = da.from_array(np.array([0.5, 1.5, 0.2]), chunks=2).map_blocks(lambda b: b)
    target = da.from_array(np.array([1.0, 0.0, 1.0]), chunks=2).map_blocks(boom, dtype=float, meta=np.array(()))
    logits = da.zeros((4, 3), chunks=2)
    labels = da.from_array(np.array([0, 9, 1, 2]), chunks=2)
    with count_computes() as computed, la.check_values():
        la.binary_cross_entropy(probs, target)
        la.cross_entropy(logits, labels)
        la.huber(probs, probs, delta=da.from_array(np.array(-1.0)))
    assert computed == []
    with count_computes() as computed:  # the counter works
        probs.sum().compute()
    assert computed == [1]


def test_jax_tracers_are_skipped():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    probs, target = jnp.asarray([0.5, 0.25]), jnp.asarray([1.0, 1.5])
    with la.check_values():
        with pytest.raises(la.InvalidValueError):  # eager: checked
            la.binary_cross_entropy(probs, target)
        jax.jit(la.binary_cross_entropy)(probs, target)
        jax.grad(lambda p: la.binary_cross_entropy(p, target))(probs)
        jax.vmap(lambda p, t: la.binary_cross_entropy(p, t))(probs, target)


def test_torch_func_and_meta_tensors_are_skipped(torch):
    x = torch.tensor([0.5, -1.0])
    t = torch.tensor([1.0, 1.5])
    with la.check_values():
        with pytest.raises(la.InvalidValueError):
            la.binary_cross_entropy_with_logits(x, t)
        torch.func.grad(lambda x: la.binary_cross_entropy_with_logits(x, t))(x)
        torch.func.vmap(la.binary_cross_entropy_with_logits)(x[:, None], t[:, None])
        m = torch.empty(3, device="meta")
        la.mean_squared_log_error(m, m)


@pytest.mark.slow
def test_torch_compile_is_skipped(torch):
    x = torch.tensor([0.5, -1.0])
    t = torch.tensor([1.0, 1.5])
    f = torch.compile(la.binary_cross_entropy_with_logits, fullgraph=True)
    with la.check_values():
        out = f(x, t)
    expected = np.mean(np.maximum(x.numpy(), 0) - x.numpy() * t.numpy() + np.log1p(np.exp(-np.abs(x.numpy()))))
    assert abs(float(out) - expected) < 1e-6


# -- the switch ----------------------------------------------------------------------------------


def _bad_bce() -> None:
    la.binary_cross_entropy(np.array([0.5]), np.array([2.0]))


def test_off_by_default_nesting_and_decorator():
    base = _value_checks.active
    _bad_bce()
    with la.check_values():
        with pytest.raises(la.InvalidValueError):
            _bad_bce()
        with la.check_values(enabled=False):
            _bad_bce()
            with la.check_values():
                with pytest.raises(la.InvalidValueError):
                    _bad_bce()
            _bad_bce()
        with pytest.raises(la.InvalidValueError):
            _bad_bce()
    _bad_bce()
    with pytest.raises(la.InvalidValueError), la.check_values():
        _bad_bce()
    assert _value_checks.active == base  # restored after an exception too

    @la.check_values()
    def checked() -> None:
        _bad_bce()

    with pytest.raises(la.InvalidValueError):
        checked()
    _bad_bce()
    with pytest.raises(la.InvalidOptionError):
        with la.check_values(enabled=1):  # type: ignore[arg-type]
            pass


def test_setting_is_per_thread():
    results: dict[str, Any] = {}

    def plain() -> None:
        try:
            _bad_bce()
            results["plain"] = "ok"
        except la.InvalidValueError:
            results["plain"] = "raised"

    def own() -> None:
        with la.check_values():
            try:
                _bad_bce()
                results["own"] = "ok"
            except la.InvalidValueError:
                results["own"] = "raised"

    with la.check_values():
        threads = [threading.Thread(target=plain), threading.Thread(target=own)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        with pytest.raises(la.InvalidValueError):
            _bad_bce()
    assert results == {"plain": "ok", "own": "raised"}


@pytest.mark.parametrize(("env", "raises"), [("1", True), ("0", False), ("", False)])
def test_environment_variable(env, raises):
    code = (
        "import numpy as np, lossapi as la\n"
        "def bad():\n"
        "    la.binary_cross_entropy(np.array([0.5]), np.array([2.0]))\n"
        "with la.check_values(False):\n"
        "    bad()\n"
        "try:\n"
        "    bad()\n"
        "except la.InvalidValueError:\n"
        "    print('raised')\n"
        "else:\n"
        "    print('ok')\n"
    )
    env_vars = {**os.environ, "LOSSAPI_CHECK_VALUES": env}
    out = subprocess.run([sys.executable, "-c", code], env=env_vars, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ("raised" if raises else "ok"), out.stderr
