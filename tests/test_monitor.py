"""LossMonitor: statuses on synthetic curves, values from every backend without per-step
syncs, headless PNG plots, CSV/JSON round trips, errors."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

import lossapi as la
from lossapi._errors import MissingDependencyError
from lossapi.monitor import MonitorAnalysis


def _feed(values, **options):
    mon = la.LossMonitor(**options)
    for v in values:
        mon.update(float(v))
    return mon


# -- statuses ---------------------------------------------------------------------------------
def test_insufficient_data():
    res = _feed([3.0, 2.0, 1.0]).analyze()
    assert isinstance(res, MonitorAnalysis)
    assert res.status == "insufficient data"
    assert res.n_steps == 3 and res.window == 3
    assert "insufficient data" in str(res)
    assert la.LossMonitor().analyze().status == "insufficient data"


def test_converged():
    # constant after a drop: the last 10 values are all 0.25 -> std 0
    res = _feed([1.0, 0.5, *([0.25] * 12)]).analyze()
    assert res.status == "converged"
    assert res.std == 0.0 and res.mean == 0.25 and res.slope == 0.0
    # tiny noise (1e-9 absolute, below converged_tol * max(|mean|, 1) = 1e-6) also converges
    rng = np.random.default_rng(0)
    assert _feed(0.3 + 1e-9 * rng.standard_normal(20)).analyze().status == "converged"


def test_decreasing():
    # exponential decay 0.9**t: over any 10-step window the fitted decrease is ~40 % of the mean
    res = _feed(0.9 ** np.arange(30)).analyze()
    assert res.status == "decreasing"
    assert res.relative_change > 0.3
    assert res.slope < 0 and res.max_jump == 0.0
    assert res.first > res.last


def test_slow():
    # linear 1.0 - 1e-4 t: decrease over 10 steps = 9e-4 / ~1 -> 0.09 % < slow_tol=1 %
    res = _feed(1.0 - 1e-4 * np.arange(30)).analyze()
    assert res.status == "slow"
    assert res.relative_change == pytest.approx(9e-4 / (1.0 - 1e-4 * 24.5), rel=1e-9)
    assert res.slope == pytest.approx(-1e-4, rel=1e-9)
    # a slow rise below rise_tol also counts as slow
    assert _feed(1.0 + 1e-3 * np.arange(30)).analyze().status == "slow"
    # the threshold is an option
    assert _feed(1.0 - 1e-4 * np.arange(30), slow_tol=1e-4).analyze().status == "decreasing"


def test_unstable_spike_rise_and_nan():
    # oscillation between 1 and 2: every second step rises by 1 / mean 1.5 = 67 % > spike_tol
    res = _feed([1.0, 2.0] * 10).analyze()
    assert res.status == "unstable"
    assert res.max_jump == pytest.approx(1.0 / 1.5)
    assert "spike_tol" in res.reason
    # steady divergence: 1.1**t rises ~ 90 % of the mean per window (no single big jump)
    res = _feed(1.1 ** np.arange(30)).analyze()
    assert res.status == "unstable" and res.relative_change < -0.1
    assert "rise_tol" in res.reason
    # NaN in the window
    res = _feed([*(0.9 ** np.arange(15)), math.nan]).analyze()
    assert res.status == "unstable" and res.nonfinite == 1
    # a NaN that left the window no longer counts
    assert _feed([math.nan, *(0.9 ** np.arange(15))]).analyze().status == "decreasing"


def test_window_and_component_analysis():
    mon = la.LossMonitor(window=4)
    for t in range(6):
        mon.update(1.0 / (t + 1), {"a": 0.5, "b": 2.0 - 0.5 * t})
    assert mon.analyze().window == 4
    assert mon.analyze("a").status == "converged"
    assert mon.analyze("b").status == "decreasing"
    with pytest.raises(la.InvalidOptionError, match="unknown series"):
        mon.analyze("c")


def test_analysis_as_dict_and_str():
    res = _feed(0.9 ** np.arange(12)).analyze()
    d = res.as_dict()
    assert d["status"] == "decreasing" and set(d) >= {"window", "relative_change", "slope", "cv", "std", "mean"}
    text = str(res)
    assert text.startswith("decreasing:") and "slope=" in text and "cv=" in text


# -- values from every library, no per-step conversion ----------------------------------------
class _Counting:
    """A 0-d loss-like object counting its conversions to float."""

    calls = 0
    shape = ()

    def __init__(self, v):
        self.v = v

    def __float__(self):
        type(self).calls += 1
        return self.v


def test_no_conversion_per_step():
    _Counting.calls = 0
    mon = la.LossMonitor(window=3)
    for t in range(8):
        mon.update(_Counting(1.0 / (t + 1)), {"part": _Counting(0.5)})
    assert _Counting.calls == 0  # update never reads a value
    assert len(mon) == 8
    assert mon.history["total"][-1] == 1.0 / 8
    assert _Counting.calls == 16  # one batch conversion, at the first read
    mon.analyze()
    mon.to_csv()
    assert _Counting.calls == 16  # cached
    mon.update(_Counting(0.1))
    assert _Counting.calls == 16
    assert mon.history["part"][-1] != mon.history["part"][-1]  # NaN: missing component
    assert _Counting.calls == 17


def test_torch_values_without_item(torch, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("per-value conversion of a torch tensor")

    w = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    monkeypatch.setattr(torch.Tensor, "item", boom)
    monkeypatch.setattr(torch.Tensor, "__float__", boom)
    mon = la.LossMonitor(window=3)
    for t in range(5):
        loss = w * (0.5**t)
        mon.update(loss, {"half": loss / 2, "f32": torch.tensor(0.25, dtype=torch.float32)})
    stored = mon._series["total"][0]
    assert isinstance(stored, torch.Tensor) and not stored.requires_grad  # detached, not converted
    hist = mon.history
    assert hist["total"] == [2.0 * 0.5**t for t in range(5)]
    assert hist["half"] == [0.5**t for t in range(5)]
    assert hist["f32"] == [0.25] * 5
    assert mon.analyze().status == "decreasing"


def test_torch_cuda_values(torch):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    mon = la.LossMonitor(window=2)
    for t in range(3):
        mon.update(torch.tensor(1.0 / (t + 1), device="cuda"), {"cpu": torch.tensor(0.5)})
    assert mon.history["total"] == pytest.approx([1.0, 0.5, 1 / 3])
    assert mon.history["cpu"] == [0.5] * 3


def test_jax_values(jax):
    jnp = jax.numpy
    mon = la.LossMonitor(window=3)
    for t in range(5):
        mon.update(jnp.asarray(0.5**t), {"c": jnp.asarray(1.0, dtype=jnp.float32)})
    assert not isinstance(mon._series["total"][0], float)  # stored as a jax array
    assert mon.history["total"] == [0.5**t for t in range(5)]
    assert mon.history["c"] == [1.0] * 5
    # values taken from jax.grad / jit outputs as well
    f = jax.jit(lambda x: la.mse(x, jnp.zeros(3)))
    mon.update(f(jnp.ones(3)))
    assert mon.history["total"][-1] == 1.0


def test_numpy_strict_dask_values(strict, da):
    mon = la.LossMonitor(window=2)
    mon.update(np.float32(1.5), {"np0d": np.asarray(2.0), "strict": strict.asarray(3.0), "dask": da.asarray(4.0)})
    mon.update(np.asarray([0.5]))  # a size-1 array is accepted too
    assert mon.history["total"] == [1.5, 0.5]
    h = mon.history
    assert h["np0d"][0] == 2.0 and h["strict"][0] == 3.0 and h["dask"][0] == 4.0
    assert all(math.isnan(h[k][1]) for k in ("np0d", "strict", "dask"))


def test_update_errors():
    mon = la.LossMonitor()
    with pytest.raises(la.ShapeMismatchError, match=r"lossapi\.LossMonitor\.update.*total.*\(3,\)"):
        mon.update(np.zeros(3))
    with pytest.raises(la.InputTypeError, match="total"):
        mon.update("0.5")
    with pytest.raises(la.InputTypeError, match="components"):
        mon.update(1.0, [0.5])
    with pytest.raises(la.InvalidOptionError, match="component names"):
        mon.update(1.0, {"total": 0.5})
    with pytest.raises(la.InvalidOptionError, match="step"):
        mon.update(1.0, step=1.5)
    assert len(mon) == 0  # nothing half-recorded
    for bad in ({"window": 1}, {"window": 2.5}, {"slow_tol": 0}, {"spike_tol": -1.0}, {"converged_tol": math.inf}):
        with pytest.raises(la.InvalidOptionError, match=r"lossapi\.LossMonitor"):
            la.LossMonitor(**bad)


# -- export -------------------------------------------------------------------------------------
def _sample_monitor():
    mon = la.LossMonitor(window=3)
    mon.update(1.0, {"a": 0.75})
    mon.update(0.5, {"a": 0.25, "b": 0.125}, step=10)
    mon.update(0.25)
    return mon


def test_as_dict_and_steps():
    mon = _sample_monitor()
    d = mon.as_dict()
    assert d["step"] == [0, 10, 11]
    assert d["total"] == [1.0, 0.5, 0.25]
    assert d["components"]["a"][:2] == [0.75, 0.25] and math.isnan(d["components"]["a"][2])
    assert math.isnan(d["components"]["b"][0]) and d["components"]["b"][1] == 0.125
    assert mon.components == ["a", "b"] and mon.steps == [0, 10, 11]


def _same(h1, h2):
    assert h1.keys() == h2.keys()
    for k in h1:
        np.testing.assert_array_equal(np.asarray(h1[k]), np.asarray(h2[k]))


def test_json_round_trip(tmp_path):
    mon = _sample_monitor()
    text = mon.to_json(tmp_path / "h.json")
    data = json.loads(text)  # strict JSON: NaN written as null
    assert data["components"]["b"][0] is None
    assert (tmp_path / "h.json").read_text() == text
    for src in (text, tmp_path / "h.json"):
        back = la.LossMonitor.from_json(src, window=3)
        _same(back.history, mon.history)
        assert back.steps == mon.steps


def test_csv_round_trip(tmp_path):
    mon = _sample_monitor()
    text = mon.to_csv(tmp_path / "h.csv")
    lines = text.splitlines()
    assert lines[0] == "step,total,a,b"
    assert lines[1] == "0,1.0,0.75,nan"
    for src in (text, str(tmp_path / "h.csv")):
        back = la.LossMonitor.from_csv(src)
        _same(back.history, mon.history)
        assert back.steps == mon.steps
    # float64 values survive exactly
    m = _feed([0.1 + 1e-17, 1 / 3])
    _same(la.LossMonitor.from_csv(m.to_csv()).history, m.history)


# -- plots ------------------------------------------------------------------------------------
def test_plot_png_headless(tmp_path):
    pytest.importorskip("matplotlib")
    mon = la.LossMonitor(window=3)
    for t in range(6):
        mon.update(1.0 / (t + 1), {"data": 0.8 / (t + 1), "reg": 0.2 / (t + 1)})
    path = tmp_path / "loss.png"
    fig = mon.plot(path)
    data = path.read_bytes()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 2
    assert [ln.get_label() for ln in fig.axes[1].get_lines()] == ["data", "reg"]
    assert list(fig.axes[0].get_lines()[0].get_ydata()) == mon.history["total"]
    # total only -> one panel; no path -> nothing written; log scale
    fig = _feed([1.0, 0.5]).plot(log_scale=True, title="t")
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "log"


def test_plot_without_matplotlib(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    mon = _feed([1.0, 0.5])
    with pytest.raises(MissingDependencyError, match=r"lossapi\[plot\]") as info:
        mon.plot()
    assert isinstance(info.value, ImportError) and isinstance(info.value, la.LossapiError)
    assert la.MissingDependencyError is MissingDependencyError
    assert "matplotlib" in str(info.value)
    # everything else keeps working without matplotlib
    assert mon.analyze().status == "insufficient data"
