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
    # (max_window=10 fixes the window at 10 steps instead of the last half of the history)
    res = _feed(1.0 - 1e-4 * np.arange(30), max_window=10).analyze()
    assert res.status == "slow"
    assert res.relative_change == pytest.approx(9e-4 / (1.0 - 1e-4 * 24.5), rel=1e-9)
    assert res.slope == pytest.approx(-1e-4, rel=1e-9)
    # a steady rise, even a slow one (0.9 % per window), is a divergence, not a slow decrease
    assert _feed(1.0 + 1e-3 * np.arange(30)).analyze().status == "diverging"
    # the threshold is an option
    assert _feed(1.0 - 1e-4 * np.arange(30), slow_tol=1e-4).analyze().status == "decreasing"


def test_unstable_spike_rise_and_nan():
    # oscillation between 1 and 2: every second step rises by 1 / mean 1.5 = 67 %: unstable
    res = _feed([1.0, 2.0] * 10).analyze()
    assert res.status == "unstable"
    assert res.max_jump == pytest.approx(1.0 / 1.5)
    assert "spike_tol" in res.reason
    # steady divergence: 1.1**t rises ~ 90 % of the mean per window (no single big jump)
    res = _feed(1.1 ** np.arange(30)).analyze()
    assert res.status == "diverging" and res.relative_change < -0.1
    assert "rise_tol" in res.reason
    # NaN in the window: its own status, with the step
    res = _feed([*(0.9 ** np.arange(15)), math.nan]).analyze()
    assert res.status == "non-finite" and res.nonfinite == 1
    assert res.nonfinite_step == 15 and "step 15" in res.reason
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


# -- labelled synthetic curve families ---------------------------------------------------------
LENGTHS = (30, 100, 300)
NOISES = (0.0, 0.05, 0.1, 0.2)  # multiplicative: loss = curve * (1 + noise * N(0, 1))
SEEDS = range(20)


def _curve_families(length: int, seed: int) -> dict[tuple[str, float], tuple[np.ndarray, int | None]]:
    """``{(family, noise): (curve, marked step)}``: the step of the spike / NaN, else None."""
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=float)

    def noisy(curve: np.ndarray, noise: float) -> np.ndarray:
        return curve * (1 + noise * rng.standard_normal(length))

    out: dict[tuple[str, float], tuple[np.ndarray, int | None]] = {}
    half = max(10, length // 2)  # the default analysis window
    for s in NOISES:
        out["exp decay", s] = noisy(np.exp(-rng.uniform(3, 6) * t / length), s), None
        out["power decay", s] = noisy((1 + 30 * t / length) ** -rng.uniform(1, 2), s), None
        out["plateau", s] = noisy(np.full(length, 0.3), max(s, 0.01)), None
        out["linear rise", s] = noisy(0.5 + 2 * t / length, s), None
        out["exp rise", s] = noisy(0.1 * np.exp(3 * t / length), s), None
        # one step 4x (8x at 20 % noise) above an exponential decay, inside the window
        y = noisy(np.exp(-4 * t / length), s)
        at = int(length - 1 - rng.integers(0, half))
        y[at] *= 8 if s == 0.2 else 4
        out["spike in decay", s] = y, at
        y = noisy(np.exp(-4 * t / length), s)
        at = int(length - 1 - rng.integers(0, 5))
        y[at] = (math.nan, math.inf, -math.inf)[seed % 3]
        out["non-finite", s] = y, at
    for s in (0.0, 0.001):  # 1.5 % less over the whole run: 0.5 % per window or less
        out["slow drift", s] = noisy(0.5 * (1 - 0.015 * t / length), s), None
    return out


@pytest.fixture(scope="module")
def verdicts() -> dict[tuple[str, float, int], list[tuple[MonitorAnalysis, int | None]]]:
    table: dict[tuple[str, float, int], list[tuple[MonitorAnalysis, int | None]]] = {}
    for length in LENGTHS:
        for seed in SEEDS:
            for (family, s), (y, at) in _curve_families(length, 1000 * length + seed).items():
                table.setdefault((family, s, length), []).append((_feed(y).analyze(), at))
    return table


def _share(verdicts, family, status, *, noises=None, lengths=LENGTHS):
    rows = [
        r
        for (f, s, n), rs in verdicts.items()
        if f == family and (noises is None or s in noises) and n in lengths
        for r, _ in rs
    ]
    assert rows
    return sum(r.status == status for r in rows) / len(rows)


def test_families_noisy_decays_are_decreasing(verdicts):
    # >= 95 % of all noisy exponential and power-law decays are "decreasing"; the noiseless ones
    # and every decay of 100+ steps at up to 10 % noise all are
    for family in ("exp decay", "power decay"):
        assert _share(verdicts, family, "decreasing") >= 0.95, family
        assert _share(verdicts, family, "decreasing", noises=(0.0, 0.05, 0.1), lengths=(100, 300)) == 1.0
        assert _share(verdicts, family, "decreasing", noises=(0.0,)) == 1.0
    # the old verdicts on healthy noisy decays are gone
    for (family, _, _), rows in verdicts.items():
        if family in ("exp decay", "power decay"):
            assert all(r.status not in ("unstable", "diverging", "slow") for r, _ in rows), family


def test_families_rising_curves_are_diverging(verdicts):
    # 100 % of rising curves at up to 5 % noise, and of every rising curve of 300 steps, are
    # "diverging"; >= 90 % overall (short noisy linear rises: 15 steps at 20 % noise carry
    # little evidence); a rising curve is never "decreasing" or "slow"
    for family in ("linear rise", "exp rise"):
        assert _share(verdicts, family, "diverging", noises=(0.0, 0.05)) == 1.0, family
        assert _share(verdicts, family, "diverging", lengths=(300,)) == 1.0, family
        assert _share(verdicts, family, "diverging") >= 0.9, family
        for (f, _, _), rows in verdicts.items():
            if f == family:
                assert all(r.status not in ("decreasing", "slow") for r, _ in rows)


def test_families_plateaus_converge(verdicts):
    # >= 95 % of noisy plateaus are "converged" at each length; a false trend at the 1 %
    # significance level is rare, a false "diverging" rarer still
    for length in LENGTHS:
        assert _share(verdicts, "plateau", "converged", lengths=(length,)) >= 0.95
    assert _share(verdicts, "plateau", "diverging") <= 0.02


def test_families_slow_drift(verdicts):
    # a steady drift down of 0.5 % per window (or less) is "slow", not "decreasing" or "converged"
    assert _share(verdicts, "slow drift", "slow") == 1.0


def test_families_spikes_are_unstable(verdicts):
    # >= 90 % of the single spikes in a decay are "unstable" (all of them at up to 5 % noise),
    # and the analysis names the step of the spike
    assert _share(verdicts, "spike in decay", "unstable") >= 0.9
    assert _share(verdicts, "spike in decay", "unstable", noises=(0.0, 0.05)) == 1.0
    for (family, _, _), rows in verdicts.items():
        if family == "spike in decay":
            for r, at in rows:
                if r.status == "unstable":
                    assert r.spike_step == at and f"step {at}" in r.reason


def test_families_nonfinite(verdicts):
    # every curve with a NaN/inf in the window is "non-finite", with the step
    assert _share(verdicts, "non-finite", "non-finite") == 1.0
    for (family, _, _), rows in verdicts.items():
        if family == "non-finite":
            assert all(r.nonfinite_step == at and f"step {at}" in r.reason for r, at in rows)


def test_verdict_table(verdicts):
    """Every status that shows up is a documented one, with its advice."""
    from lossapi.monitor import _ADVICE, STATUSES

    assert set(_ADVICE) == set(STATUSES)
    for rows in verdicts.values():
        for r, _ in rows:
            assert r.status in STATUSES and r.advice == _ADVICE[r.status]
            assert r.status in str(r)


def test_window_grows_with_history():
    mon = la.LossMonitor()
    assert [mon.effective_window(n) for n in (5, 10, 19, 30, 100, 300, 1000)] == [5, 10, 10, 15, 50, 150, 200]
    assert la.LossMonitor(window=20, max_window=20).effective_window(1000) == 20
    assert la.LossMonitor(window=50).effective_window(60) == 50
    res = _feed(np.exp(-np.arange(300) / 100)).analyze()
    assert res.window == 150 and res.status == "decreasing" and res.kendall_tau == -1.0
    assert res.trend_change == pytest.approx(1 - math.exp(-149 / 100), rel=1e-9)
    assert res.theil_sen_slope == pytest.approx(-0.01, rel=1e-9) and res.log_scale


def test_mann_kendall_ties_and_linear_scale():
    from lossapi.monitor import _mann_kendall, _theil_sen

    # ties shrink the variance: [1, 1, 2, 2, 3, 3] has S = 12, Var = (6*5*17 - 3*2*1*9) / 18
    s, tau, p = _mann_kendall([1, 1, 2, 2, 3, 3])
    assert s == 12
    var = (6 * 5 * 17 - 3 * 2 * 9) / 18
    assert p == pytest.approx(math.erfc((12 - 1) / math.sqrt(var) / math.sqrt(2)))
    assert tau == pytest.approx(12 / math.sqrt(15 * 12))
    assert _theil_sen([0.0, 2.0, 4.0, 100.0, 8.0]) == (2.0, 0.0)  # the outlier does not move it
    # values that cross zero: the statistics run on the loss itself, relative to median |loss|
    rng = np.random.default_rng(3)
    res = _feed(1.0 - 2.0 * np.arange(60) / 60 + 0.02 * rng.standard_normal(60)).analyze()
    assert res.status == "decreasing" and not res.log_scale
    res = _feed(-1.0 + 2.0 * np.arange(60) / 60 + 0.02 * rng.standard_normal(60)).analyze()
    assert res.status == "diverging"


def test_new_options_validated():
    for bad in ({"significance": 1.0}, {"significance": 0}, {"spike_sigma": 0}, {"noise_tol": -1}, {"max_window": 0}):
        with pytest.raises(la.InvalidOptionError, match=r"lossapi\.LossMonitor"):
            la.LossMonitor(**bad)
