"""lossapi.testing: assert_close, make_inputs, check_against, and the worked JAX-port example.

Correct implementations here are written independently (torch.nn.functional, jax.numpy, plain
NumPy); deliberately wrong ones (a different label-smoothing rule, a mean over ignored labels,
a stop_gradient that cuts the gradient, a Python branch on a traced value) must fail.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lossapi as la
from lossapi.testing import TOLERANCES, LossInputs, Report, assert_close, check_against, make_inputs

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "jax_port_check.py"
CE_OPTIONS = {"label_smoothing": 0.1, "ignore_index": -100}


def require(name: str) -> Any:
    """The backend's module, or skip when it is not installed or not selected by LOSSAPI_TEST_BACKENDS."""
    env = os.environ.get("LOSSAPI_TEST_BACKENDS", "").strip()
    if env and name not in [n.strip() for n in env.split(",")]:
        pytest.skip(f"{name} not selected by LOSSAPI_TEST_BACKENDS")
    mod = pytest.importorskip({"jax": "jax.numpy", "dask": "dask.array"}.get(name, name))
    if name == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
    return mod


# -- assert_close ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_assert_close_default_tolerance_on_both_sides_of_the_threshold(dtype: str) -> None:
    rtol = TOLERANCES[dtype].rtol
    assert_close(np.asarray([1.0 + 0.4 * rtol, 2.0], dtype=dtype), np.array([1.0, 2.0]))
    with pytest.raises(AssertionError, match=f"rtol={rtol:g}.*from {dtype} vs float64"):
        assert_close(np.asarray([1.0 + 3 * rtol, 2.0], dtype=dtype), np.array([1.0, 2.0]))


def test_assert_close_bfloat16_from_torch() -> None:
    torch = require("torch")
    rtol = TOLERANCES["bfloat16"].rtol
    assert_close(torch.tensor([1.0 + 0.4 * rtol], dtype=torch.bfloat16), np.array([1.0]))
    with pytest.raises(AssertionError, match="from bfloat16"):
        assert_close(torch.tensor([1.0 + 3 * rtol], dtype=torch.bfloat16), np.array([1.0]))


def test_assert_close_uses_the_lower_precision_of_the_two() -> None:
    off = np.float64(1.0 + 1e-6)  # within float32's rtol, far outside float64's
    assert_close(off, np.float32(1.0))
    assert_close(np.float32(1.0), off)
    with pytest.raises(AssertionError):
        assert_close(off, np.float64(1.0))


def test_assert_close_explicit_tolerances_override_the_table() -> None:
    assert_close(np.float64(1.001), 1.0, rtol=1e-2)
    assert_close(np.float64(1e-3), 0.0, atol=2e-3)
    with pytest.raises(AssertionError, match="rtol=1e-05"):
        assert_close(np.float32(1.001), 1.0, rtol=1e-5)


def test_assert_close_shapes_must_match_exactly() -> None:
    with pytest.raises(AssertionError, match=r"Shape mismatch: actual \(1,\).*desired \(\)"):
        assert_close(np.array([1.0]), np.float64(1.0))
    with pytest.raises(AssertionError, match="Shape mismatch"):
        assert_close(np.ones((2, 3)), np.ones((3, 2)))


def test_assert_close_nan_and_inf() -> None:
    assert_close(np.array([np.nan, np.inf, 1.0]), np.array([np.nan, np.inf, 1.0]))
    with pytest.raises(AssertionError, match=r"NaN mismatch: 1 entries, first at index \(1,\)"):
        assert_close(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    with pytest.raises(AssertionError, match="NaN mismatch"):
        assert_close(np.array([1.0, 2.0]), np.array([1.0, np.nan]))
    with pytest.raises(AssertionError):
        assert_close(np.array([np.inf]), np.array([-np.inf]))


def test_assert_close_message_names_the_worst_entry() -> None:
    desired = np.zeros((2, 3))
    actual = desired.copy()
    actual[1, 2] = 0.5
    actual[0, 1] = 1e-3
    with pytest.raises(AssertionError) as info:
        assert_close(actual, desired, err_msg="logits gradient")
    msg = str(info.value)
    assert "2 of 6 entries differ" in msg
    assert "worst absolute error 0.5 at index (1, 2): actual 0.5, desired 0.0" in msg
    assert msg.endswith("logits gradient")


def test_assert_close_integers_are_exact() -> None:
    assert_close(np.array([1, 2, 3]), [1, 2, 3])
    with pytest.raises(AssertionError, match="rtol=0, atol=0"):
        assert_close(np.array([1, 2, 3]), np.array([1, 2, 4]))


def test_assert_close_unknown_dtype_asks_for_tolerances() -> None:
    class Odd:
        dtype = "float8_e4m3"

        def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
            return np.zeros(1)

    with pytest.raises(ValueError, match="pass rtol= and atol="):
        assert_close(Odd(), np.zeros(1))
    assert_close(Odd(), np.zeros(1), rtol=0.1, atol=0.1)


def test_assert_close_mixed_namespaces_torch_numpy() -> None:
    torch = require("torch")
    t = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float32, requires_grad=True) * 2  # has a grad_fn
    assert_close(t, np.array([2.0, 4.0, 6.0]))
    assert_close(np.array([2.0, 4.0, 6.0]), t)
    with pytest.raises(AssertionError, match="from float32 vs float64"):
        assert_close(t, np.array([2.0, 4.0, 6.1]))


def test_assert_close_jax_concrete_and_traced() -> None:
    jnp = require("jax")
    import jax

    assert_close(jnp.asarray([1.0, 2.0], dtype=jnp.float32), [1.0, 2.0])
    with pytest.raises(TypeError, match="traced JAX array"):
        jax.jit(lambda x: assert_close(x, 1.0))(jnp.asarray(1.0))


def test_assert_close_dask_and_strict() -> None:
    da = require("dask")
    xps = require("array_api_strict")
    assert_close(da.from_array(np.arange(6.0), chunks=2) * 2, np.arange(6.0) * 2)
    on_other_device = xps.asarray([1.0, 2.0], device=xps.Device("device1"))
    assert_close(on_other_device, [1.0, 2.0])
    with pytest.raises(AssertionError):
        assert_close(on_other_device, [1.0, 2.5])


# -- make_inputs ----------------------------------------------------------------------------------


def test_make_inputs_numpy_default() -> None:
    inp = make_inputs("cross_entropy", shape=(4,))
    assert isinstance(inp, LossInputs)
    assert inp.names == ("logits", "target") == tuple(inp)
    assert inp["logits"].shape == (4, 5) and inp["logits"].dtype == np.float64
    assert inp["target"].dtype == np.int64
    assert la.cross_entropy(*inp.args, **inp.kwargs).shape == ()


def test_make_inputs_torch_dtype_labels_and_options() -> None:
    torch = require("torch")
    inp = make_inputs(
        "cross_entropy",
        xp=torch,
        dtype=torch.float32,
        shape=(6,),
        options={"class_weight": np.array([1.0, 2.0, 0.5, 1.0, 3.0]), "ignore_index": -100},
    )
    assert inp["logits"].dtype == torch.float32 and inp["target"].dtype == torch.int64
    assert isinstance(inp.kwargs["class_weight"], torch.Tensor) and inp.kwargs["class_weight"].dtype == torch.float32
    assert inp.kwargs["ignore_index"] == -100
    assert isinstance(la.cross_entropy(*inp.args, **inp.kwargs), torch.Tensor)


def test_make_inputs_same_seed_same_values_across_backends() -> None:
    torch = require("torch")
    a = make_inputs("huber", xp="torch", dtype="float64", seed=3)
    b = make_inputs("huber", seed=3)
    c = make_inputs("huber", seed=4)
    assert isinstance(a["pred"], torch.Tensor)
    assert_close(a["pred"], b["pred"])
    assert not np.allclose(b["pred"], c["pred"])


def test_make_inputs_case_only_options_steer_but_are_not_returned() -> None:
    inp = make_inputs("cross_entropy", shape=(3,), options={"_target": "probs"})
    assert inp["target"].shape == (3, 5) and inp["target"].dtype == np.float64
    assert inp.kwargs == {}


def test_make_inputs_errors() -> None:
    with pytest.raises(ValueError, match="did you mean 'cross_entropy'"):
        make_inputs("cros_entropy")
    with pytest.raises(ValueError, match=r"huber has no option 'beta'.*delta"):
        make_inputs("huber", options={"beta": 1.0})
    with pytest.raises(ValueError, match="not a floating dtype"):
        make_inputs("huber", dtype="int32")
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'"):
        make_inputs("huber", xp="tensorflow")
    with pytest.raises(TypeError, match="not an array namespace"):
        make_inputs("huber", xp=os)
    with pytest.raises(ValueError, match="array_api_strict has no float16"):
        require("array_api_strict")
        make_inputs("huber", xp="array_api_strict", dtype="float16")


# -- check_against --------------------------------------------------------------------------------


def torch_ce(
    logits: Any, target: Any, *, label_smoothing: float = 0.0, ignore_index: int = -100, reduction: str = "mean"
) -> Any:
    import torch.nn.functional as F

    return F.cross_entropy(
        logits, target, label_smoothing=label_smoothing, ignore_index=ignore_index, reduction=reduction
    )


def jax_ce(
    logits: Any,
    target: Any,
    *,
    label_smoothing: float = 0.0,
    ignore_index: int = -100,
    reduction: str = "mean",
    denominator: str = "kept",
    smoothing: str = "uniform",
) -> Any:
    """Label-smoothed CE with ignored labels in jax.numpy; ``denominator``/``smoothing`` select bugs."""
    import jax
    import jax.numpy as jnp

    num_classes = logits.shape[-1]
    log_p = jax.nn.log_softmax(logits, axis=-1)
    keep = target != ignore_index
    one_hot = jax.nn.one_hot(jnp.where(keep, target, 0), num_classes, dtype=logits.dtype)
    if smoothing == "uniform":  # torch: eps/C on every class, 1 - eps + eps/C on the label
        q = (1 - label_smoothing) * one_hot + label_smoothing / num_classes
    else:  # a common mistake: eps/(C-1) on the other classes only
        q = (1 - label_smoothing) * one_hot + label_smoothing / (num_classes - 1) * (1 - one_hot)
    per = jnp.where(keep, -jnp.sum(q * log_p, axis=-1), 0.0)
    if reduction == "none":
        return per
    if reduction == "sum":
        return jnp.sum(per)
    return jnp.sum(per) / (jnp.sum(keep) if denominator == "kept" else per.size)


def statuses(report: Report) -> dict[tuple[str, str, str], str]:
    return {(r.backend, r.dtype, r.check): r.status for r in report.rows}


def test_check_against_correct_torch_implementation_passes() -> None:
    require("torch")
    report = check_against(
        torch_ce, "cross_entropy", backends=["torch"], options=CE_OPTIONS, reductions=("mean", "sum", "none")
    )
    assert report.ok, report
    got = statuses(report)
    for dtype in ("float32", "float64"):
        for check in ("value[mean]", "grad[mean]", "value[sum]", "grad[sum]", "value[none]"):
            assert got[("torch", dtype, check)] == "ok"
    assert ("torch", "float32", "grad[none]") not in got


def test_check_against_correct_jax_implementation_passes_with_jit() -> None:
    require("jax")
    report = check_against(jax_ce, "cross_entropy", backends=["jax"], options=CE_OPTIONS)
    assert report.ok, report
    assert statuses(report)[("jax", "float32", "jit[mean]")] == "ok"


def test_check_against_wrong_label_smoothing_fails_values_and_gradients() -> None:
    require("jax")

    def port(logits: Any, target: Any, **kw: Any) -> Any:
        return jax_ce(logits, target, smoothing="others", **kw)

    report = check_against(port, "cross_entropy", backends=["jax"], options=CE_OPTIONS)
    assert not report.ok
    got = statuses(report)
    for dtype in ("float32", "float64"):
        assert got[("jax", dtype, "value[mean]")] == "FAIL"
        assert got[("jax", dtype, "grad[mean]")] == "FAIL"
        assert got[("jax", dtype, "jit[mean]")] == "ok"  # consistent with itself, just wrong
    with pytest.raises(AssertionError, match=r"port vs lossapi\.cross_entropy: FAILED"):
        report.raise_if_failed()


def test_check_against_wrong_mean_denominator_fails_only_the_mean() -> None:
    require("jax")

    def port(logits: Any, target: Any, **kw: Any) -> Any:
        return jax_ce(logits, target, denominator="all", **kw)

    report = check_against(
        port,
        "cross_entropy",
        backends=["jax"],
        dtypes=["float64"],
        options=CE_OPTIONS,
        reductions=("mean", "sum"),
        jit=False,
        edges=False,
    )
    assert statuses(report) == {
        ("jax", "float64", "value[mean]"): "FAIL",
        ("jax", "float64", "grad[mean]"): "FAIL",
        ("jax", "float64", "value[sum]"): "ok",
        ("jax", "float64", "grad[sum]"): "ok",
    }


def test_check_against_stop_gradient_fails_only_the_gradient() -> None:
    require("torch")

    def detached(logits: Any, target: Any, **kw: Any) -> Any:
        return torch_ce(logits.detach(), target, **kw) + 0 * logits.sum()  # value right, gradient cut

    report = check_against(detached, "cross_entropy", backends=["torch"], dtypes=["float32"], options=CE_OPTIONS)
    got = statuses(report)
    assert got[("torch", "float32", "value[mean]")] == "ok"
    assert got[("torch", "float32", "grad[mean]")] == "FAIL"
    row = next(r for r in report.rows if r.check == "grad[mean]")
    assert "d/dlogits" in row.detail and row.worst == pytest.approx(1.0)


def test_check_against_raising_function_is_a_failing_row_and_others_still_run() -> None:
    require("torch")

    def only_numpy(pred: Any, target: Any, *, delta: float = 1.0) -> Any:
        if not isinstance(pred, np.ndarray):
            raise TypeError("only NumPy arrays, please")
        e = np.abs(pred - target)
        return np.mean(np.where(e <= delta, 0.5 * e**2, delta * (e - 0.5 * delta)))

    report = check_against(only_numpy, "huber", backends=["torch", "numpy"], dtypes=["float64"])
    got = statuses(report)
    assert got[("torch", "float64", "value[mean]")] == "FAIL"
    assert got[("numpy", "float64", "value[mean]")] == "ok"
    row = next(r for r in report.rows if r.backend == "torch" and r.check == "value[mean]")
    assert "fn raised TypeError: only NumPy arrays, please" in row.detail
    assert "only NumPy arrays, please" in str(report)


def test_check_against_python_branch_fails_jit() -> None:
    require("jax")

    def branchy(logits: Any, target: Any, **kw: Any) -> Any:
        if (target == -100).any():  # a value-dependent Python branch: fine eagerly, not under jit
            return jax_ce(logits, target, **kw)
        return jax_ce(logits, target, **kw)

    report = check_against(
        branchy, "cross_entropy", backends=["jax"], dtypes=["float32"], options=CE_OPTIONS, grad=False
    )
    row = next(r for r in report.rows if r.check == "jit[mean]")
    assert row.status == "FAIL" and "fn raised" in row.detail
    assert statuses(report)[("jax", "float32", "value[mean]")] == "ok"


def test_check_against_function_without_reduction_is_compared_with_the_mean() -> None:
    def mse(pred: Any, target: Any) -> Any:
        return np.mean((pred - target) ** 2)

    report = check_against(mse, "mse", backends=["numpy"], dtypes=["float64"], reductions=("mean", "sum"), edges=False)
    assert statuses(report) == {("numpy", "float64", "value[mean]"): "ok", ("numpy", "float64", "value[sum]"): "skip"}
    assert report.ok


def test_check_against_wrong_numpy_value_fails_in_float32_too() -> None:
    def biased(pred: Any, target: Any) -> Any:
        return np.mean((pred - target) ** 2) * (1 + 1e-3)

    report = check_against(biased, "mean_squared_error", backends=["numpy"], edges=False)
    assert [r.status for r in report.rows] == ["FAIL", "FAIL"]


def test_check_against_unavailable_backends_are_skipped_and_all_skipped_is_not_ok() -> None:
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("cupy is installed")
    report = check_against(lambda p, t: p, "huber", backends=["cupy"])
    assert [(r.backend, r.status) for r in report.rows] == [("cupy", "skip")]
    assert not report.ok
    assert "NOTHING RAN" in str(report)


def test_check_against_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="unknown backend 'pytorch'"):
        check_against(lambda p, t: p, "huber", backends=["pytorch"])
    with pytest.raises(ValueError, match="unknown reduction 'avg'"):
        check_against(lambda p, t: p, "huber", reductions=("avg",))
    with pytest.raises(ValueError, match=r"no loss named 'hubber'.*'huber'"):
        check_against(lambda p, t: p, "hubber")
    with pytest.raises(ValueError, match="delta"):  # lossapi itself rejects it: the call is wrong, not fn
        check_against(lambda p, t, delta: p, "huber", options={"delta": -1.0}, backends=["numpy"])


def test_report_table_is_aligned() -> None:
    report = check_against(lambda p, t: np.mean(np.abs(p - t)), "mae", backends=["numpy"], edges=False)
    lines = str(report).splitlines()
    assert lines[0] == "<lambda> vs lossapi.mean_absolute_error: OK (2 passed, 0 failed, 0 skipped)"
    assert lines[1].split() == ["backend", "dtype", "check", "result", "worst", "rel", "err", "detail"]
    starts = {line.index("value") for line in lines[2:]}
    assert len(starts) == 1 and lines[1].index("check") in starts


def test_check_against_torch_compile() -> None:
    require("torch")
    report = check_against(torch_ce, "cross_entropy", backends=["torch"], dtypes=["float32"], grad=False, compile=True)
    assert statuses(report)[("torch", "float32", "compile[mean]")] == "ok", report


def test_jax_without_64_bit_mode_skips_float64_and_keeps_the_setting() -> None:
    require("jax")
    code = (
        "import jax, numpy as np\n"
        "from lossapi.testing import check_against, make_inputs\n"
        "import jax.numpy as jnp\n"
        "r = check_against(lambda p, t: jnp.mean((p - t) ** 2), 'mse', backends=['jax'])\n"
        "print(r)\n"
        "assert r.ok and [x.status for x in r.rows if x.dtype == 'float64'] == ['skip'], r\n"
        "assert make_inputs('cross_entropy', xp=jnp, dtype='float32')['target'].dtype == jnp.int32\n"
        "assert not jax.config.jax_enable_x64\n"
        "try:\n"
        "    make_inputs('mse', xp='jax')\n"
        "except ValueError as e:\n"
        "    assert 'JAX_ENABLE_X64' in str(e)\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_importing_testing_and_the_plugin_imports_no_framework() -> None:
    code = (
        "import sys, lossapi.testing, lossapi.pytest_plugin\n"
        "bad = [m for m in ('torch', 'jax', 'cupy', 'dask', 'array_api_strict') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


# -- the worked example ---------------------------------------------------------------------------


def _load_example() -> Any:
    spec = importlib.util.spec_from_file_location("jax_port_check", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_jax_port_example_passes_as_a_script_and_catches_a_broken_port(capsys: pytest.CaptureFixture[str]) -> None:
    require("jax")
    with pytest.raises(SystemExit) as exit_info:  # the script's own entry point, in this process
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "ported_loss vs lossapi.cross_entropy: OK (34 passed, 0 failed, 8 skipped)" in out

    example = _load_example()

    def forgot_ignore_index(logits: Any, target: Any, **kw: Any) -> Any:
        kw["ignore_index"] = -1  # never matches: the ignored (-100) labels are counted
        return example.ported_loss(logits, target, **kw)

    assert example.main(forgot_ignore_index) == 1
    assert "forgot_ignore_index vs lossapi.cross_entropy: FAILED" in capsys.readouterr().out


# -- edge inputs ------------------------------------------------------------------------------------


def _naive_focal(logits: Any, target: Any, *, alpha: Any = None, gamma: float = 2.0) -> Any:
    """Sigmoid focal loss through log(sigmoid(x)): right on moderate logits, inf/NaN when saturated."""
    import array_api_compat

    xp = array_api_compat.array_namespace(logits)
    p = 1 / (1 + xp.exp(-logits))
    ce = -(target * xp.log(p) + (1 - target) * xp.log(1 - p))
    p_t = p * target + (1 - p) * (1 - target)
    a_t = 1.0 if alpha is None else alpha * target + (1 - alpha) * (1 - target)
    return xp.mean(a_t * (1 - p_t) ** gamma * ce)


def _softplus_bce(logits: Any, target: Any) -> Any:
    """BCE with logits as softplus(x) - x t, softplus = logaddexp(0, x): stable everywhere."""
    import array_api_compat

    xp = array_api_compat.array_namespace(logits)
    return xp.mean(xp.logaddexp(xp.zeros_like(logits), logits) - logits * target)


def _edge_backends() -> list[str]:
    return ["numpy"] + [b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None]


def test_edges_catch_an_unstable_focal_port_that_passes_the_random_rows() -> None:
    backends = _edge_backends()
    report = check_against(_naive_focal, "sigmoid_focal", backends=backends)
    random_rows = [r for r in report.rows if not r.is_edge]
    edge_rows = [r for r in report.rows if r.is_edge]
    assert random_rows and all(r.ok for r in random_rows), report  # every random row passes
    assert not check_against(_naive_focal, "sigmoid_focal", backends=backends, edges=False).failures
    assert not report.ok
    bad = [r for r in edge_rows if not r.ok]
    assert bad and all(r.check.startswith("edge[") and r.edge in r.check for r in bad)
    # the saturated logits give inf/NaN where lossapi gives finite values, in both dtypes
    sat = [r for r in bad if r.edge == "saturated logits +-1e4, +-100" and r.check.endswith("value[mean]")]
    assert {r.dtype for r in sat} == {"float32", "float64"}
    assert all("non-finite output" in r.detail and r.worst == float("inf") for r in sat)
    if "torch" in backends:
        assert any(r.backend == "torch" and "grad" in r.check and "non-finite gradient" in r.detail for r in bad)
    assert "edge[saturated logits +-1e4, +-100] value[mean]" in str(report)


def test_edges_lossapi_itself_passes_every_row() -> None:
    report = check_against(la.sigmoid_focal, "sigmoid_focal", backends=_edge_backends(), reductions=("mean", "none"))
    assert report.ok, report
    assert not any(r.skipped for r in report.rows)
    labels = {r.edge for r in report.rows if r.is_edge}
    from lossapi._conformance.cases import CASES

    assert labels == {e.label for e in CASES["sigmoid_focal"].edges}


def test_edges_a_stable_hand_written_port_passes() -> None:
    report = check_against(_softplus_bce, "binary_cross_entropy_with_logits", backends=_edge_backends())
    assert report.ok, report
    ran = {r.edge for r in report.rows if r.is_edge and not r.skipped}
    assert {"x = 0", "saturated logits +-1e4"} <= ran
    # edges needing options the port does not take are skipped, with the reason
    skipped = [r for r in report.rows if r.is_edge and r.skipped]
    assert skipped and all("which fn does not take" in r.detail for r in skipped)


def test_edges_that_overflow_float32_are_skipped_there_with_the_reason() -> None:
    from lossapi.testing import _unrepresentable

    assert _unrepresentable({"x": np.array([1e4, -1e4])}, "float32") is None
    assert "overflows float32" in (_unrepresentable({"x": np.array([1.0, 1e300])}, "float32") or "")
    assert "overflows float16" in (_unrepresentable({"x": np.array([1e5])}, "float16") or "")
    assert "underflows to 0 in float32" in (_unrepresentable({"x": np.array([1e-300])}, "float32") or "")
    assert _unrepresentable({"x": np.array([1e300])}, "float64") is None
    # a catalog edge with 1e300-sized values: skipped in float32, run in float64
    from lossapi._conformance.cases import CASES

    huge = [
        (name, e)
        for name, c in CASES.items()
        for e in c.edges
        if any(np.asarray(v).dtype.kind == "f" and np.max(np.abs(np.asarray(v))) > 3.4e38 for v in e.inputs.values())
    ]
    if huge:
        name, edge = huge[0]
        report = check_against(getattr(la, name), name, backends=["numpy"])
        rows = [r for r in report.rows if r.edge == edge.label]
        assert any(r.dtype == "float32" and r.skipped and "overflows float32" in r.detail for r in rows)
        assert any(r.dtype == "float64" and not r.skipped for r in rows)


def test_edges_can_be_turned_off() -> None:
    report = check_against(_naive_focal, "sigmoid_focal", backends=["numpy"], edges=False)
    assert report.ok and not any(r.is_edge for r in report.rows)
