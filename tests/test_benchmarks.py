"""The benchmark specs (benchmarks/specs.py) and run.py's per-backend mode; no timing is asserted.

- every catalog counterpart (torch, optax, keras, sklearn, torchvision) has a spec or a stated
  exclusion, so a new loss cannot silently drop out of the benchmark table;
- every spec's native callable gives lossapi's value on a tiny input, so a wrong native mapping
  (a missing ``.mean()``, swapped arguments, another variant) fails here rather than producing a
  meaningless ratio;
- ``run.py --backend X --quick --sizes tiny`` runs in this process and returns well-formed records
  that the ratio table accepts.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lossapi as la

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import run  # noqa: E402
import specs  # noqa: E402

LIBS = ("torch", "optax", "keras", "sklearn", "torchvision", "MONAI", "smp", "PML")
RECORDS = {r.name: r for r in la.catalog()}


def _pairs() -> list[tuple[str, str]]:
    return [(name, lib) for name, spec in specs.SPECS.items() for lib in spec.natives]


def test_every_counterpart_has_a_spec_or_an_exclusion() -> None:
    missing = []
    for record in la.catalog():
        for lib in record.counterparts:
            assert lib in LIBS, f"{record.name}: unknown counterpart library {lib!r}"
            spec = specs.SPECS.get(record.name)
            timed_as = "torch" if lib == "torchvision" else lib  # torchvision's formulas run in torch
            if (
                (spec is None or timed_as not in spec.natives)
                and (record.name, lib) not in specs.EXCLUDED
                and (record.name, timed_as) not in specs.EXCLUDED
            ):
                missing.append(f"{record.name} vs {lib}")
    assert not missing, "no benchmark spec or exclusion for: " + ", ".join(missing)


def test_exclusions_name_real_counterparts() -> None:
    for (name, lib), why in specs.EXCLUDED.items():
        assert lib in RECORDS[name].counterparts, f"{name} has no {lib} counterpart to exclude"
        assert why


def test_specs_name_catalog_losses_and_the_torchvision_natives_say_so() -> None:
    for name, spec in specs.SPECS.items():
        record = RECORDS[name]
        assert spec.natives
        if "torchvision" in record.counterparts:
            assert "torchvision" in spec.native_is.get("torch", "")


def _library(lib: str) -> Any:
    if lib in ("numpy", "sklearn"):
        if lib == "sklearn":
            pytest.importorskip("sklearn")
        return np
    if lib == "torch":
        return pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    pytest.importorskip(lib)
    if lib == "keras":
        keras = pytest.importorskip("keras")
        if keras.backend.backend() != "jax":
            pytest.skip("keras runs on another backend than JAX (set KERAS_BACKEND=jax)")
    return jnp


@pytest.mark.parametrize(("name", "lib"), _pairs(), ids=[f"{n}-{lib}" for n, lib in _pairs()])
def test_native_matches_lossapi(name: str, lib: str) -> None:
    spec = specs.SPECS[name]
    m = _library(lib)
    host = specs.make_inputs(spec, "tiny")
    assert all(a.dtype in (np.float32, np.int64) for a in host)
    args = host if lib in ("numpy", "sklearn") else tuple(m.asarray(a) for a in host)
    nat = spec.natives[lib](m)
    ours = spec.lossapi(lib, m)
    if lib in ("optax", "keras"):  # the benchmark times both under jax.jit: they must trace
        import jax

        nat, ours = jax.jit(nat), jax.jit(ours)
    if isinstance(nat, tuple):
        fn, prep = nat
        expected = float(fn(*prep(*host)))
    else:
        expected = float(nat(*args))
    got = float(ours(*args))
    assert math.isfinite(expected)
    assert math.isclose(got, expected, rel_tol=2e-4, abs_tol=1e-5), (name, lib, got, expected)


def test_sizes_grow_and_quick_sizes_exist() -> None:
    for kind, shapes in specs.SHAPES.items():
        counts = [math.prod(shapes[s]) for s in specs.SIZE_ORDER]
        assert counts == sorted(counts), kind
    assert set(specs.QUICK_SIZES) <= set(specs.SIZE_ORDER) and set(specs.FULL_SIZES) <= set(specs.SIZE_ORDER)


def _records(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict]:
    run.main(argv)
    lines = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_run_backend_mode_numpy_tiny(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn")
    losses = ("mean_squared_error", "cross_entropy", "quantile", "brier_score", "root_mean_squared_error")
    recs = _records(capsys, ["--backend", "numpy", "--quick", "--sizes", "tiny", "--losses", ",".join(losses)])
    assert {r["loss"] for r in recs} == set(losses)
    for r in recs:
        assert r["bench"] == "losses" and r["backend"] == "numpy" and r["size"] == "tiny"
        assert r["impl"] in ("lossapi", "numpy", "sklearn") and r["direction"] == "fwd"
        assert 0 < r["min"] <= r["median"] <= r["max"] and r["repeats"] >= 3
        assert r["input_bytes"] > 0 and r["shape"]
    ratios = run.ratio_rows(recs)
    assert {(r["loss"], r["pair"]) for r in ratios} >= {
        ("mean_squared_error", "lossapi / hand-written NumPy"),
        ("mean_squared_error", "lossapi / sklearn"),
    }
    assert all(r["verdict"] in ("PASS", "MISS", "") and r["ratio"] > 0 for r in ratios)
    md = run.markdown(recs, ratios, {**run.env_info(), "quick": True, "wall_s": 0.0}, {})
    assert "| mean_squared_error | numpy | lossapi / hand-written NumPy | tiny (8) | fwd |" in md


def test_run_backend_mode_torch_tiny(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    recs = _records(
        capsys,
        [
            "--backend",
            "torch",
            "--quick",
            "--sizes",
            "tiny",
            "--compile",
            "none",
            "--losses",
            "mean_squared_error,cross_entropy,giou",
        ],
    )
    got = {(r["loss"], r["impl"], r["direction"]) for r in recs}
    for loss in ("mean_squared_error", "cross_entropy", "giou"):
        for impl in ("torch", "lossapi", "lossapi_generic"):
            for direction in ("fwd", "fwd+bwd"):
                assert (loss, impl, direction) in got
    ratios = run.ratio_rows(recs)
    assert {r["pair"] for r in ratios} >= {"lossapi / torch", "generic / torch"}
    assert all(r["target"] == "tiny ≤ 1.5×" for r in ratios)


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "jax") != "jax", reason="keras rows need KERAS_BACKEND=jax")
def test_run_backend_mode_jax_tiny(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("optax")
    recs = _records(capsys, ["--backend", "jax", "--quick", "--sizes", "tiny", "--losses", "huber"])
    got = {(r["impl"], r["direction"], r["vs"]) for r in recs}
    assert {("optax", "fwd", "optax"), ("lossapi", "value_and_grad", "optax")} <= got
    ratios = run.ratio_rows(recs)
    assert any(r["pair"] == "jit(lossapi) / jit(optax)" and r["target"] == "≤ 1.05× optax" for r in ratios)
