"""``lossapi check``'s quick mode: a smoke test that still catches a loss wrong on one backend."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest

import lossapi as la
from lossapi import _catalog
from lossapi._conformance import runner
from lossapi.cli import _progress_bar

torch = pytest.importorskip("torch")


def _wrong_on(monkeypatch: pytest.MonkeyPatch, name: str, factor: float, array_type: type) -> None:
    """Make ``name`` off by ``factor`` on ``array_type`` only (right on every other backend)."""
    rec = la.lookup_loss(name)
    right = rec.fn

    def loss(*args: Any, **kwargs: Any) -> Any:
        value = right(*args, **kwargs)
        return value * factor if isinstance(value, array_type) else value

    monkeypatch.setitem(_catalog._REGISTRY, rec.name, dataclasses.replace(rec, fn=loss))
    monkeypatch.setattr(la, rec.name, loss)


def _array_type(backend: str) -> type:
    if backend == "torch":
        return torch.Tensor
    return pytest.importorskip("jax").Array  # traced values (jit, eval_shape) are jax.Arrays too


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("name", ["huber", "dice"])
def test_quick_mode_catches_a_loss_wrong_on_one_backend(
    monkeypatch: pytest.MonkeyPatch, name: str, backend: str
) -> None:
    array_type = _array_type(backend)
    ok = runner.run_matrix(backends=["numpy", backend], losses=[name], quick=True)
    assert ok and all(r.ok for r in ok)
    _wrong_on(monkeypatch, name, 1.0 + 1e-4, array_type)
    results = runner.run_matrix(backends=["numpy", backend], losses=[name], quick=True)
    failed = [r for r in results if not r.ok]
    assert failed and {r.backend for r in failed} == {backend}
    assert any(r.check.startswith("values") for r in failed)
    rows = {row.backend: row for row in runner.summarize(results)}
    assert rows["numpy"].ok and not rows[backend].ok


def test_worker_processes_give_the_serial_results() -> None:
    # The together-run backends (NumPy, array-api-strict) and, where installed, Dask's
    # one-task-per-cell path; every cell ticks the progress callback once.
    backends = ["numpy", "array_api_strict"] + (["dask"] if runner.BACKENDS["dask"].available() else [])
    losses = ["huber", "dice", "ctc"]
    ticks: list[str] = []
    parallel = runner.run_matrix(
        backends=backends, losses=losses, quick=True, jobs=2, progress=lambda d, t, label: ticks.append(label)
    )
    serial = runner.run_matrix(backends=backends, losses=losses, quick=True)
    assert [(r.loss, r.backend, r.check, r.ok, r.skipped) for r in parallel] == [
        (r.loss, r.backend, r.check, r.ok, r.skipped) for r in serial
    ]
    assert [r.worst for r in parallel] == pytest.approx([r.worst for r in serial], rel=1e-6, nan_ok=True)
    assert sorted(ticks) == sorted(f"{n} on {b}" for n in losses for b in backends)


def test_default_jobs_uses_workers_only_where_they_pay() -> None:
    assert runner.default_jobs(["numpy", "array_api_strict"], 80) == 1  # seconds: workers cost more
    assert runner.default_jobs(["numpy", "jax"], 2) == 1
    assert 1 <= runner.default_jobs(["numpy", "jax", "dask"], 80) <= 4


def test_compile_settings_leave_the_users_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")
    assert runner.compile_settings() == {}
    monkeypatch.delenv("XLA_FLAGS")
    for version, emitters in (("0.4.33", False), ("0.10.2", True)):
        monkeypatch.setattr(metadata, "version", lambda name, v=version: v)
        flags = runner.compile_settings()["XLA_FLAGS"]
        assert "--xla_backend_optimization_level=0" in flags
        assert ("--xla_cpu_use_fusion_emitters=false" in flags) is emitters


def test_quick_mode_traces_one_loss_per_family() -> None:
    names = [r.name for r in la.catalog()]
    traced = runner._traced(names)
    assert len(traced) == len({r.family for r in la.catalog()})
    assert {la.lookup_loss(n).family for n in traced} == {r.family for r in la.catalog()}
    assert runner._traced(["dice", "huber", "jaccard"]) == {"dice", "huber"}


def test_quick_mode_runs_the_quick_value_set_and_the_full_mode_more() -> None:
    quick = runner.run_matrix(backends=["numpy"], losses=["huber"], quick=True)
    full = runner.run_matrix(backends=["numpy"], losses=["huber"], quick=False)
    values = [r for r in quick if r.check.startswith("values")]
    assert len(values) == len(runner._QUICK_VALUES)
    assert len(full) > 3 * len(quick)


def test_quick_mode_checks_the_first_edge_points_and_the_full_mode_all(monkeypatch: pytest.MonkeyPatch) -> None:
    from lossapi._conformance import grad_checks
    from lossapi._conformance.cases import QUICK_EDGES
    from lossapi._conformance.preamble import load_cases

    edges = load_cases()["dice"].edges
    assert len(edges) > QUICK_EDGES
    first = {f"edge:{e.label}[float64]" for e in edges[:QUICK_EDGES]}
    quick = runner.run_matrix(backends=["numpy"], losses=["dice"], quick=True)
    assert {r.check for r in quick if r.check.startswith("edge:")} == first
    full = runner.run_matrix(backends=["numpy"], losses=["dice"], quick=False)
    assert len({r.check for r in full if r.check.startswith("edge:") and "[float64]" in r.check}) == len(edges)
    # The gradients at the edges: the same first points ("mean") in the quick mode.
    asked: list[tuple] = []
    real = grad_checks._grads

    def grads(backend, record, case, points, keys, **kw):
        asked.extend(keys)
        return real(backend, record, case, points, keys, **kw)

    monkeypatch.setattr(grad_checks, "_grads", grads)
    with grad_checks.sharing():
        assert grad_checks.check_edge_gradients("dice", "torch", quick=True)[0].ok
    assert sorted(asked) == sorted(("edge-grad", "torch", i, "mean") for i in range(QUICK_EDGES))


def test_progress_bar_estimates_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 10.0, 20.0, 30.0])
    monkeypatch.setattr("lossapi.cli.time.perf_counter", lambda: next(clock))
    stream = io.StringIO()
    update = _progress_bar(stream)
    update(1, 40, "huber on numpy")  # too early to estimate
    update(10, 40, "dice on torch")  # 2 s per cell so far, 30 cells left
    update(40, 40, "ctc on dask")
    lines = stream.getvalue().splitlines()
    assert "estimating" in lines[0]
    assert "~1 min 0 s left" in lines[1]
    assert "done" in lines[2]


def test_help_states_each_mode(capsys: pytest.CaptureFixture[str]) -> None:
    from lossapi.cli import main

    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Quick mode (default)" in out and "Full mode (--full)" in out
    # How long each takes, per backend.
    assert "36 s for JAX" in out and "66 s with all five" in out and "half an hour" in out
    assert "--jobs" in out and "XLA_FLAGS" in out


def test_an_interrupt_stops_the_worker_processes() -> None:
    import multiprocessing
    import time

    def interrupt(done: int, total: int, label: str) -> None:
        raise KeyboardInterrupt  # as Ctrl-C while the workers are busy

    before = set(multiprocessing.active_children())
    with pytest.raises(KeyboardInterrupt):
        runner.run_matrix(
            backends=["numpy", "array_api_strict"], losses=["huber", "dice"], quick=True, jobs=2, progress=interrupt
        )
    deadline = time.monotonic() + 10
    while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not set(multiprocessing.active_children()) - before


def test_a_dead_worker_fails_its_cells_with_the_reason(tmp_path) -> None:
    # A script without a main guard: each worker re-runs it and dies while starting.
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "from lossapi._conformance import runner\n"
        "res = runner.run_matrix(backends=['numpy', 'array_api_strict'], losses=['huber'], quick=True, jobs=2)\n"
        "print('FAILED' if not any(r.ok for r in res) else 'OK', res[0].detail)\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300).stdout
    assert out.startswith("FAILED") and "if __name__ == '__main__':" in out and "jobs=1" in out
