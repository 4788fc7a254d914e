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


def _wrong_on_torch(monkeypatch: pytest.MonkeyPatch, name: str, factor: float) -> None:
    """Make ``name`` off by ``factor`` on torch tensors only (right on every other backend)."""
    rec = la.lookup_loss(name)
    right = rec.fn

    def loss(*args: Any, **kwargs: Any) -> Any:
        value = right(*args, **kwargs)
        return value * factor if isinstance(value, torch.Tensor) else value

    monkeypatch.setitem(_catalog._REGISTRY, rec.name, dataclasses.replace(rec, fn=loss))
    monkeypatch.setattr(la, rec.name, loss)


@pytest.mark.parametrize("name", ["huber", "dice"])
def test_quick_mode_catches_a_loss_wrong_on_one_backend(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    ok = runner.run_matrix(backends=["numpy", "torch"], losses=[name], quick=True)
    assert ok and all(r.ok for r in ok)
    _wrong_on_torch(monkeypatch, name, 1.0 + 1e-4)
    results = runner.run_matrix(backends=["numpy", "torch"], losses=[name], quick=True)
    failed = [r for r in results if not r.ok]
    assert failed and {r.backend for r in failed} == {"torch"}
    assert any(r.check.startswith("values") for r in failed)
    rows = {row.backend: row for row in runner.summarize(results)}
    assert rows["numpy"].ok and not rows["torch"].ok


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
    assert "150 s for JAX" in out and "4.5 minutes with all five" in out and "half an hour" in out
