"""Training-loss monitoring: history, trend analysis, plots and CSV/JSON export.

:class:`LossMonitor` records the total loss and named component losses of every step,
whatever library they come from (0-d NumPy, PyTorch, JAX, Dask or array-api-strict arrays, or
Python floats), and :meth:`LossMonitor.analyze` classifies the recent trend as
``"insufficient data"``, ``"non-finite"``, ``"diverging"``, ``"unstable"``, ``"converged"``,
``"slow"`` or ``"decreasing"``, with the numbers behind it: a Mann–Kendall trend test and the
Theil–Sen slope on the log-loss, and spikes judged against the curve's own robust noise, over
a window that grows with the history.

No device synchronisation per step
----------------------------------
``update`` never calls ``float()`` / ``.item()``: it stores the arrays themselves (PyTorch
tensors are ``detach()``-ed so the autograd graph is freed; CUDA tensors stay on the GPU;
JAX arrays stay asynchronous). The values are converted to Python floats lazily, in one batch
per library and device (``torch.stack(...).tolist()``, ``jax.device_get([...])``,
``cupy.stack(...).get()``, ``dask.compute(...)``), the first time :meth:`~LossMonitor.analyze`,
:attr:`~LossMonitor.history`, :meth:`~LossMonitor.as_dict`, the exports or
:meth:`~LossMonitor.plot` need them; converted values are cached.

Plots need matplotlib, an optional dependency: ``pip install "lossapi[plot]"``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import numbers
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from os import PathLike
from typing import Any

from ._errors import InputTypeError, InvalidOptionError, MissingDependencyError, ShapeMismatchError

__all__ = ["LossMonitor", "MonitorAnalysis"]

#: Every status :meth:`LossMonitor.analyze` can return, from "no verdict" to "all is well".
STATUSES = ("insufficient data", "non-finite", "diverging", "unstable", "converged", "slow", "decreasing")

_TINY = 1e-300
# E|X| over the lower 80 % of |X| for X ~ N(0, 1): 2 (phi(0) - phi(z_0.9)) / 0.8.
_TRIMMED_HALFNORMAL = 2 * (1 - math.exp(-0.5 * 1.2815515655446004**2)) / math.sqrt(2 * math.pi) / 0.8

_ADVICE = {
    "insufficient data": "record at least `window` steps before analysing",
    "non-finite": "the loss overflowed or became NaN: lower the learning rate, clip gradients, and check the "
    "inputs and the loss for log(0) or exp overflow at that step",
    "diverging": "the loss is going up: reduce the learning rate, and check the data, the labels and the "
    "sign of the objective",
    "unstable": "consider reducing the learning rate or clipping gradients, and look at the batch of the spike",
    "converged": "the loss no longer changes; stop training or lower the learning rate schedule floor",
    "slow": "consider adjusting the learning rate or other hyper-parameters, or a different loss",
    "decreasing": "training is progressing normally",
}


@dataclass(frozen=True)
class MonitorAnalysis:
    """The result of :meth:`LossMonitor.analyze`: a status and the numbers behind it.

    Attributes
    ----------
    status : str
        One of ``lossapi.monitor.STATUSES``: ``"insufficient data"``, ``"non-finite"``, ``"diverging"``,
        ``"unstable"``, ``"converged"``, ``"slow"``, ``"decreasing"``.
    reason : str
        Which test decided the status, with its numbers.
    advice : str
        What to do about it (the usual remedy for that status).
    n_steps : int
        Number of recorded steps.
    window : int
        Number of most recent steps the statistics are computed on
        (:meth:`LossMonitor.effective_window`).
    first, last, mean, std : float
        First and last value, mean and (population) standard deviation over the window.
    cv : float
        Coefficient of variation ``std / max(|mean|, tiny)``.
    slope : float
        Least-squares slope over the window (loss units per step; negative = decreasing).
    relative_change : float
        Relative decrease over the window according to the least-squares line,
        ``-slope * (window - 1) / max(|mean|, tiny)`` (positive = the loss decreased).
    max_jump : float
        Largest single-step increase over the window relative to ``max(|mean|, tiny)``
        (0 when the loss never rises).
    nonfinite : int
        Number of NaN/inf values in the window.
    p_value : float
        Two-sided p-value of the Mann–Kendall trend test on the window (NaN when not run).
    kendall_tau : float
        Kendall's tau-b between step and loss over the window (-1: always decreasing).
    theil_sen_slope : float
        Theil–Sen slope per step: of the log-loss when ``log_scale`` (``-0.01`` is about
        1 % less per step), else of the loss.
    trend_change : float
        Relative decrease over the window along the Theil–Sen line (positive = decreased):
        ``1 - exp(theil_sen_slope * (window - 1))`` on the log scale, else
        ``-theil_sen_slope * (window - 1) / max(median |loss|, tiny)``.
    noise : float
        Robust per-step noise relative to the level: ``1.4826 * MAD / sqrt(2)`` of the
        detrended first differences (of the log-loss, else divided by the median ``|loss|``).
    log_scale : bool
        Whether the robust statistics ran on the log-loss (every value in the window > 0).
    spike_step : int or None
        Step number of the spike behind an ``"unstable"`` verdict, else None.
    nonfinite_step : int or None
        Step number of the first NaN/inf in the window, else None.
    """

    status: str
    reason: str
    advice: str
    n_steps: int
    window: int
    first: float
    last: float
    mean: float
    std: float
    cv: float
    slope: float
    relative_change: float
    max_jump: float
    nonfinite: int
    p_value: float = math.nan
    kendall_tau: float = math.nan
    theil_sen_slope: float = math.nan
    trend_change: float = math.nan
    noise: float = math.nan
    log_scale: bool = False
    spike_step: int | None = None
    nonfinite_step: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The analysis as a plain dict."""
        return asdict(self)

    def __str__(self) -> str:
        if self.status == "insufficient data":
            return f"insufficient data: {self.reason} ({self.advice})"
        return (
            f"{self.status}: {self.reason} ({self.advice}). Last {self.window} of {self.n_steps} steps: "
            f"mean={self.mean:.6g}, std={self.std:.3g}, cv={self.cv:.3g}, slope={self.slope:.3g}/step, "
            f"relative change={self.relative_change:+.3%}, max jump={self.max_jump:.3g}, "
            f"Kendall tau={self.kendall_tau:+.3f}, p={self.p_value:.3g}, trend change={self.trend_change:+.3%}, "
            f"noise={self.noise:.3g}"
        )


# -- trend statistics (pure Python: O(w^2) on at most max_window points) -----------------------
def _median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else 0.5 * (s[m - 1] + s[m])


def _mann_kendall(y: Sequence[float]) -> tuple[float, float, float]:
    """Mann–Kendall trend test: ``(S, tau_b, two-sided p-value)``, variance corrected for ties."""
    n = len(y)
    s = 0
    for i in range(n - 1):
        yi = y[i]
        for yj in y[i + 1 :]:
            s += (yj > yi) - (yj < yi)
    ties: dict[float, int] = {}
    for v in y:
        ties[v] = ties.get(v, 0) + 1
    tie_var = sum(t * (t - 1) * (2 * t + 5) for t in ties.values() if t > 1)
    var = (n * (n - 1) * (2 * n + 5) - tie_var) / 18.0
    n0 = n * (n - 1) / 2
    n1 = sum(t * (t - 1) / 2 for t in ties.values())
    tau = s / math.sqrt(n0 * (n0 - n1)) if n0 > n1 else 0.0
    if var <= 0 or s == 0:
        return float(s), tau, 1.0
    z = (s - math.copysign(1, s)) / math.sqrt(var)  # continuity correction
    return float(s), tau, math.erfc(abs(z) / math.sqrt(2))


def _theil_sen(y: Sequence[float]) -> tuple[float, float]:
    """Theil–Sen line ``(slope, intercept)``: median pairwise slope, median intercept."""
    n = len(y)
    slopes = [(y[j] - y[i]) / (j - i) for i in range(n - 1) for j in range(i + 1, n)]
    b = _median(slopes)
    return b, _median([v - b * i for i, v in enumerate(y)])


def _positive(name: str, value: Any, *, integer: bool = False) -> Any:
    ok = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if not ok or isinstance(value, bool) or not value > 0 or (not integer and not math.isfinite(value)):
        kind = "a positive integer" if integer else "a positive finite number"
        raise InvalidOptionError(f"lossapi.LossMonitor: `{name}` must be {kind}; got {value!r}")
    return value


def _module_root(x: Any) -> str:
    return type(x).__module__.split(".", 1)[0]


def _prepare(where: str, name: str, value: Any) -> Any:
    """Validate one recorded value without reading it (no device sync); detach torch tensors."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        raise InputTypeError(
            f"lossapi.LossMonitor.{where}: `{name}` must be a 0-d array or a real number; got {type(value).__name__}"
        )
    if isinstance(value, numbers.Real):
        return float(value)
    shape = getattr(value, "shape", None)
    if shape is None:
        if hasattr(value, "__float__"):
            return value  # a scalar-like object: converted lazily with float()
        raise InputTypeError(
            f"lossapi.LossMonitor.{where}: `{name}` must be a 0-d array or a real number; got {type(value).__name__}"
        )
    if tuple(shape) not in ((), (1,)):
        raise ShapeMismatchError(
            f"lossapi.LossMonitor.{where}: `{name}` must be a 0-d array (a reduced loss); got shape {tuple(shape)}"
        )
    detach = getattr(value, "detach", None)
    if _module_root(value) == "torch" and callable(detach):
        value = detach()
    return value


def _materialize(values: Sequence[Any]) -> list[float]:
    """Convert stored values to floats: one batched transfer per library (and device/dtype)."""
    out: list[float | None] = [None] * len(values)
    groups: dict[Any, list[int]] = {}
    for i, v in enumerate(values):
        if isinstance(v, float):
            out[i] = v
            continue
        root = _module_root(v)
        if root == "torch":
            key: Any = ("torch", str(v.device), str(v.dtype))
        elif root in ("jax", "jaxlib"):
            key = ("jax",)
        elif root == "dask":
            key = ("dask",)
        elif root == "cupy":
            key = ("cupy", str(v.device))
        else:
            key = ("other",)
        groups.setdefault(key, []).append(i)
    for key, idx in groups.items():
        items = [values[i] for i in idx]
        if key[0] == "torch":
            import torch

            floats = torch.stack([t.reshape(()) for t in items]).cpu().tolist()
        elif key[0] == "jax":
            import jax

            floats = [float(a.reshape(())) for a in jax.device_get(items)]
        elif key[0] == "cupy":
            import cupy

            floats = cupy.stack([a.reshape(()) for a in items]).get().tolist()
        elif key[0] == "dask":
            import dask

            floats = [float(a.reshape(())) for a in dask.compute(*items)]
        else:
            floats = [float(a.reshape(()) if getattr(a, "shape", ()) == (1,) else a) for a in items]
        for i, f in zip(idx, floats):
            out[i] = float(f)
    return out  # type: ignore[return-value]


def _fmt(x: float) -> str:
    return repr(float(x))


class LossMonitor:
    r"""Record the total and component losses of a training run and analyse the trend.

    Parameters
    ----------
    window : int, default 10
        Minimum number of steps :meth:`analyze` looks at (fewer recorded steps give
        ``"insufficient data"``). The window grows with the history: it is the last
        ``max(window, min(max_window, n_steps // 2))`` steps (:meth:`effective_window`).
    converged_tol : float, default 1e-6
        ``"converged"`` at once when the window's standard deviation is at most
        ``converged_tol * max(|mean|, 1)`` (relative for losses above 1, absolute below).
    slow_tol : float, default 0.01
        A significant decrease is ``"slow"`` when the loss fell by less than this fraction
        over the window along the Theil–Sen line (``trend_change < slow_tol``).
    spike_tol : float, default 0.5
        Material size of a spike: a step must sit more than this fraction above the level of
        its neighbours (50 %) to count as a spike.
    rise_tol : float, default 1e-3
        A significant rise is ``"diverging"`` when the loss rose by at least this fraction over
        the window along the Theil–Sen line; a smaller significant rise counts as flat.
    significance : float, default 0.01
        Two-sided level of the Mann–Kendall trend test: a trend is significant when its
        p-value is below it (or when the window is strictly monotone).
    spike_sigma : float, default 6.0
        A spike must also sit more than this many robust noise standard deviations above the
        level of its neighbours (the curve's own noise decides what is far).
    noise_tol : float, default 0.5
        ``"unstable"`` (oscillation) when the robust per-step noise exceeds this fraction of
        the level (50 %).
    max_window : int, default 200
        Cap of the history-proportional window; ``max_window=window`` fixes the window at
        ``window`` steps.

    Notes
    -----
    :meth:`analyze` looks at the last :math:`w` = ``effective_window(n_steps)`` values
    :math:`v_0, \dots, v_{w-1}` and applies, in order:

    1. ``n_steps < window``: ``"insufficient data"``.
    2. Any NaN/inf in the window: ``"non-finite"``, naming the first such step.
    3. ``std <= converged_tol * max(|mean|, 1)``: ``"converged"`` (a flat line).
    4. The robust statistics run on :math:`y_i = \log v_i` when every value is positive
       (relative changes: a decay by the same factor per step is a straight line), else on
       :math:`y_i = v_i`, with level :math:`\ell = 1` on the log scale, else the median of
       :math:`|v_i|`:

       - Mann–Kendall: :math:`S = \sum_{i<j} \operatorname{sign}(y_j - y_i)`,
         :math:`\operatorname{Var} S = [w(w-1)(2w+5) - \sum_t t(t-1)(2t+5)] / 18` (the sum runs
         over groups of :math:`t` tied values), :math:`z = (S - \operatorname{sign} S) /
         \sqrt{\operatorname{Var} S}`, two-sided :math:`p = \operatorname{erfc}(|z| / \sqrt 2)`,
         and Kendall's :math:`\tau_b`. The trend is significant when ``p < significance``
         or the window is strictly monotone (:math:`|S| = w(w-1)/2`).
       - Theil–Sen slope :math:`b = \operatorname{median}_{i<j} (y_j - y_i) / (j - i)`;
         relative decrease over the window ``trend_change`` :math:`= 1 - e^{b(w-1)}` on the
         log scale, else :math:`-b(w-1)/\ell`.
       - Spike candidate: on the detrended :math:`z_i = y_i - b i`, the step with the largest
         :math:`e_i = z_i - \operatorname{median}(z_{i-2}, z_{i-1}, z_{i+1}, z_{i+2})`
         (neighbours that exist).
       - Noise: :math:`\sigma = \bar d_{80} / (0.5586 \sqrt 2) / \ell`, where
         :math:`\bar d_{80}` is the mean of the smallest 80 % of the detrended first
         differences :math:`|z_{i+1} - z_i|` (the spike candidate replaced by its neighbours'
         median), :math:`0.5586` being that trimmed mean for a standard normal: a robust
         per-step standard deviation of the curve around its trend.
    5. Significant rise with ``-trend_change >= rise_tol``: ``"diverging"``.
    6. Spike, :math:`e_i / \ell > ` ``spike_sigma`` :math:`\cdot \sigma` and a relative size
       (:math:`e^{e_i} - 1` on the log scale, else :math:`e_i / \ell`) above ``spike_tol``:
       ``"unstable"``, naming the step.
    7. :math:`\sigma >` ``noise_tol``: ``"unstable"`` (the loss oscillates).
    8. Significant decrease: ``"decreasing"`` when ``trend_change >= slow_tol``, else
       ``"slow"``.
    9. Otherwise (no significant trend, or a rise below ``rise_tol``): ``"converged"``.

    Rank statistics make the verdict indifferent to the size of the noise as long as the
    trend shows through it, and to any monotone change of scale. The mean, standard deviation,
    least-squares ``slope``, ``relative_change`` and ``max_jump`` of the window are reported
    too but no longer decide the status. The analysis is pure Python, :math:`O(w^2)` in the
    window (``max_window`` keeps it to about 20 000 pairs).

    Values are stored as given (torch tensors detached) and converted to floats lazily in
    batches, so ``update`` costs no device synchronisation; see the module docstring. Call
    ``update`` outside ``jax.jit`` (with the jitted step's outputs), never with tracers.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> rng = np.random.default_rng(0)
    >>> mon = la.LossMonitor()
    >>> for step in range(100):
    ...     mse = np.asarray(np.exp(-step / 25) * (1 + 0.1 * rng.standard_normal()))
    ...     reg = np.asarray(0.01)
    ...     mon.update(mse + reg, {"mse": mse, "l2": reg})
    >>> result = mon.analyze()
    >>> result.status, result.window
    ('decreasing', 50)
    >>> result.p_value < 1e-6, round(result.trend_change, 2)
    (True, 0.8)
    >>> mon.analyze("l2").status
    'converged'
    >>> spiky = la.LossMonitor()
    >>> for step in range(100):
    ...     spiky.update(np.exp(-step / 25) * (1 + 0.1 * rng.standard_normal()) * (5 if step == 90 else 1))
    >>> spiky.analyze().status, spiky.analyze().spike_step
    ('unstable', 90)
    >>> la.LossMonitor(window=5).analyze().status
    'insufficient data'
    >>> sorted(mon.history)
    ['l2', 'mse', 'total']
    >>> mon.to_csv().splitlines()[0]
    'step,total,mse,l2'
    """

    def __init__(
        self,
        *,
        window: int = 10,
        converged_tol: float = 1e-6,
        slow_tol: float = 0.01,
        spike_tol: float = 0.5,
        rise_tol: float = 1e-3,
        significance: float = 0.01,
        spike_sigma: float = 6.0,
        noise_tol: float = 0.5,
        max_window: int = 200,
    ) -> None:
        self.window = int(_positive("window", window, integer=True))
        if self.window < 2:
            raise InvalidOptionError(f"lossapi.LossMonitor: `window` must be at least 2; got {window!r}")
        self.converged_tol = float(_positive("converged_tol", converged_tol))
        self.slow_tol = float(_positive("slow_tol", slow_tol))
        self.spike_tol = float(_positive("spike_tol", spike_tol))
        self.rise_tol = float(_positive("rise_tol", rise_tol))
        self.significance = float(_positive("significance", significance))
        if self.significance >= 1:
            raise InvalidOptionError(f"lossapi.LossMonitor: `significance` must be in (0, 1); got {significance!r}")
        self.spike_sigma = float(_positive("spike_sigma", spike_sigma))
        self.noise_tol = float(_positive("noise_tol", noise_tol))
        self.max_window = int(_positive("max_window", max_window, integer=True))
        self._steps: list[int] = []
        self._series: dict[str, list[Any]] = {"total": []}
        self._floats: dict[str, list[float]] = {"total": []}
        # One monitor may be updated by a training thread while another reads or exports it:
        # every change and every multi-field read holds this lock (re-entrant: readers sync).
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:  # copies of the containers: a concurrent update cannot change them
            state = dict(self.__dict__)
            state["_steps"] = list(self._steps)
            state["_series"] = {k: list(v) for k, v in self._series.items()}
            state["_floats"] = {k: list(v) for k, v in self._floats.items()}
        del state["_lock"]  # locks do not pickle or copy
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    # -- recording -------------------------------------------------------------------------
    def update(self, total: Any, components: Mapping[str, Any] | None = None, *, step: int | None = None) -> None:
        """Record one step: the total loss and optionally named component losses.

        Parameters
        ----------
        total : 0-d array or float
            The total loss of the step (any array library; not converted now).
        components : mapping of str to 0-d array or float, optional
            Named component losses. A component missing at some step is NaN there.
        step : int, optional
            Step number; defaults to the previous step + 1 (starting at 0).
        """
        if components is not None and not isinstance(components, Mapping):
            raise InputTypeError(
                "lossapi.LossMonitor.update: `components` must be a mapping of names to losses; "
                f"got {type(components).__name__}"
            )
        comps = dict(components or {})
        for name in comps:
            if not isinstance(name, str) or not name or name in ("total", "step"):
                raise InvalidOptionError(
                    "lossapi.LossMonitor.update: component names must be non-empty strings other than "
                    f"'total' and 'step'; got {name!r}"
                )
        prepared = {"total": _prepare("update", "total", total)}
        for name, v in comps.items():
            prepared[name] = _prepare("update", f"components[{name!r}]", v)
        if step is not None and (isinstance(step, bool) or not isinstance(step, numbers.Integral)):
            raise InvalidOptionError(f"lossapi.LossMonitor.update: `step` must be an integer; got {step!r}")
        with self._lock:
            if step is None:
                step = self._steps[-1] + 1 if self._steps else 0
            n = len(self._steps)
            for name in prepared:
                if name not in self._series:
                    self._series[name] = [math.nan] * n
                    self._floats[name] = []
            for name, series in self._series.items():
                series.append(prepared.get(name, math.nan))
            self._steps.append(int(step))

    def __len__(self) -> int:
        return len(self._steps)

    def _sync(self) -> None:
        """Convert every not-yet-converted value, in one batch per library."""
        with self._lock:
            pending: list[Any] = []
            where: list[tuple[str, int]] = []
            for name, series in self._series.items():
                done = len(self._floats[name])
                pending.extend(series[done:])
                where.extend((name, i) for i in range(done, len(series)))
            if not pending:
                return
            floats = _materialize(pending)
            for (name, i), f in zip(where, floats):
                self._floats[name].append(f)
                self._series[name][i] = f  # drop the array reference

    def _snapshot(self) -> tuple[list[int], dict[str, list[float]]]:
        """Steps and converted history of one consistent moment (updates may run concurrently)."""
        with self._lock:
            self._sync()
            return list(self._steps), {k: list(v) for k, v in self._floats.items()}

    # -- access and export -----------------------------------------------------------------
    @property
    def steps(self) -> list[int]:
        """The recorded step numbers."""
        with self._lock:
            return list(self._steps)

    @property
    def components(self) -> list[str]:
        """Names of the component losses, in order of first appearance."""
        with self._lock:
            return [k for k in self._series if k != "total"]

    @property
    def history(self) -> dict[str, list[float]]:
        """``{"total": [...], <component>: [...]}`` as Python floats (NaN where missing)."""
        return self._snapshot()[1]

    def as_dict(self) -> dict[str, Any]:
        """``{"step": [...], "total": [...], "components": {name: [...]}}`` (floats)."""
        steps, hist = self._snapshot()
        return {
            "step": steps,
            "total": hist.pop("total"),
            "components": hist,
        }

    def to_json(self, path: str | PathLike[str] | None = None) -> str:
        """The history as JSON (NaN as ``null``); written to ``path`` when given.

        Returns
        -------
        str
            The JSON text.
        """
        d = self.as_dict()

        def clean(xs: list[float]) -> list[float | None]:
            return [None if math.isnan(x) else x for x in xs]

        d["total"] = clean(d["total"])
        d["components"] = {k: clean(v) for k, v in d["components"].items()}
        text = json.dumps(d, indent=2, allow_nan=False)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def to_csv(self, path: str | PathLike[str] | None = None) -> str:
        """The history as CSV: columns ``step,total,<components...>`` (``nan`` where missing).

        Returns
        -------
        str
            The CSV text; also written to ``path`` when given.
        """
        steps, hist = self._snapshot()
        names = list(hist)  # "total" first, then the components in order of appearance
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["step", *names])
        for i, s in enumerate(steps):
            w.writerow([s, *(_fmt(hist[n][i]) for n in names)])
        text = buf.getvalue()
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        return text

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **options: Any) -> LossMonitor:
        """Rebuild a monitor from :meth:`as_dict` output (``options`` go to the constructor)."""
        mon = cls(**options)
        comps = data.get("components", {})
        for i, (s, t) in enumerate(zip(data["step"], data["total"])):
            c = {k: (math.nan if v[i] is None else float(v[i])) for k, v in comps.items()}
            mon.update(math.nan if t is None else float(t), c, step=int(s))
        return mon

    @classmethod
    def from_json(cls, text_or_path: str | PathLike[str], **options: Any) -> LossMonitor:
        """Rebuild a monitor from :meth:`to_json` text or a file holding it."""
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            with open(text_or_path, encoding="utf-8") as f:
                text = f.read()
        return cls.from_dict(json.loads(text), **options)

    @classmethod
    def from_csv(cls, text_or_path: str | PathLike[str], **options: Any) -> LossMonitor:
        """Rebuild a monitor from :meth:`to_csv` text or a file holding it."""
        text = str(text_or_path)
        if not text.startswith("step,"):
            with open(text_or_path, encoding="utf-8", newline="") as f:
                text = f.read()
        rows = list(csv.reader(io.StringIO(text)))
        header, body = rows[0], rows[1:]
        if header[:2] != ["step", "total"]:
            raise InvalidOptionError(
                f"lossapi.LossMonitor.from_csv: expected a header starting with 'step,total'; got {header!r}"
            )
        data = {
            "step": [int(r[0]) for r in body],
            "total": [float(r[1]) for r in body],
            "components": {name: [float(r[j]) for r in body] for j, name in enumerate(header[2:], start=2)},
        }
        return cls.from_dict(data, **options)

    # -- analysis --------------------------------------------------------------------------
    def effective_window(self, n_steps: int) -> int:
        """Number of most recent steps :meth:`analyze` uses when ``n_steps`` are recorded.

        ``min(n_steps, max(window, min(max_window, n_steps // 3)))``: the last third of the
        history, at least ``window`` and at most ``max_window`` steps (``max_window=window``
        fixes the window at ``window``).
        """
        return min(n_steps, max(self.window, min(self.max_window, n_steps // 2)))

    def analyze(self, name: str = "total") -> MonitorAnalysis:
        """Classify the recent trend of the total loss (or of component ``name``).

        Parameters
        ----------
        name : str, default "total"
            ``"total"`` or the name of a component.

        Returns
        -------
        MonitorAnalysis
            ``status`` in ``lossapi.monitor.STATUSES``, with the reason, the advice and the statistics of
            the window behind it (see the class Notes for the rules and formulas).
        """
        steps, hist = self._snapshot()
        if name not in hist:
            raise InvalidOptionError(
                f"lossapi.LossMonitor.analyze: unknown series {name!r}; expected one of {list(hist)}"
            )
        return self._classify(hist[name], steps)

    def _classify(self, values: Sequence[float], steps: Sequence[int]) -> MonitorAnalysis:
        n = len(values)
        w = self.effective_window(n)
        vals = [float(v) for v in values[n - w :]]
        wsteps = list(steps[n - w :])
        nan = math.nan
        bad = [i for i, v in enumerate(vals) if not math.isfinite(v)]

        def result(status: str, reason: str, **stats: Any) -> MonitorAnalysis:
            base: dict[str, Any] = dict.fromkeys(
                ("mean", "std", "cv", "slope", "relative_change", "max_jump", "p_value", "kendall_tau"), nan
            )
            base.update(theil_sen_slope=nan, trend_change=nan, noise=nan)
            base.update(stats)
            return MonitorAnalysis(
                status=status,
                reason=reason,
                advice=_ADVICE[status],
                n_steps=n,
                window=w,
                first=vals[0] if vals else nan,
                last=vals[-1] if vals else nan,
                nonfinite=len(bad),
                **base,
            )

        if n < self.window:
            return result("insufficient data", f"{n} step(s) recorded, the analysis needs window={self.window}")
        if bad:
            first_bad = wsteps[bad[0]]
            kinds = sorted({"NaN" if math.isnan(vals[i]) else repr(vals[i]) for i in bad})
            where = f"step {first_bad}" if len(bad) == 1 else f"steps {first_bad}..{wsteps[bad[-1]]}"
            return result(
                "non-finite",
                f"{len(bad)} non-finite value(s) ({', '.join(kinds)}) in the last {w} steps, first at step {first_bad}"
                if len(bad) > 1
                else f"a non-finite value ({kinds[0]}) at {where}",
                nonfinite_step=first_bad,
            )

        # Classic window statistics (least squares), kept for reference and plots.
        mean = sum(vals) / w
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / w)
        scale = max(abs(mean), _TINY)
        xbar = (w - 1) / 2
        sxx = sum((i - xbar) ** 2 for i in range(w))
        slope = sum((i - xbar) * (v - mean) for i, v in enumerate(vals)) / sxx
        rel = -slope * (w - 1) / scale
        jump = max(0.0, *(b - a for a, b in itertools.pairwise(vals))) / scale
        classic = {
            "mean": mean,
            "std": std,
            "cv": std / scale,
            "slope": slope,
            "relative_change": rel,
            "max_jump": jump,
        }
        if std <= self.converged_tol * max(abs(mean), 1.0):
            return result("converged", f"std {std:.3g} <= converged_tol * max(|mean|, 1)", **classic)

        # Robust statistics on the log-loss (relative changes) when every value is positive.
        log_scale = min(vals) > 0
        y = [math.log(v) for v in vals] if log_scale else vals
        level = 1.0 if log_scale else max(_median([abs(v) for v in vals]), _TINY)
        mk_s, tau, p = _mann_kendall(y)
        b, _ = _theil_sen(y)
        change = -math.expm1(b * (w - 1)) if log_scale else -b * (w - 1) / level
        # Spike candidate: the step furthest above the median of its (up to 4) neighbours,
        # on the series detrended by the Theil-Sen line (so the ends of a steep curve are fair).
        z = [v - b * i for i, v in enumerate(y)]
        spike_i, spike_e, spike_base = -1, 0.0, 0.0
        for i in range(w):
            base = _median(z[max(0, i - 2) : i] + z[i + 1 : i + 3])
            if (z[i] - base) / level > spike_e:
                spike_i, spike_e, spike_base = i, (z[i] - base) / level, base
        # Noise: the detrended first differences' scale, as a per-step standard deviation, with
        # the spike candidate replaced by its neighbours' median (so it cannot inflate it).
        if spike_i >= 0:
            z[spike_i] = spike_base
        diffs = sorted(abs(z1 - z0) for z0, z1 in itertools.pairwise(z))
        kept = diffs[: max(1, math.ceil(0.8 * len(diffs)))]
        noise = sum(kept) / len(kept) / _TRIMMED_HALFNORMAL / math.sqrt(2) / level
        spike_rel = math.expm1(spike_e) if log_scale else spike_e
        stats = {
            **classic,
            "p_value": p,
            "kendall_tau": tau,
            "theil_sen_slope": b,
            "trend_change": change,
            "noise": noise,
            "log_scale": log_scale,
        }
        # A strictly monotone window is a trend too: under 6 steps, the only evidence there is.
        significant = p < self.significance or abs(mk_s) == w * (w - 1) // 2
        space = "log-loss" if log_scale else "loss"
        trend = f"Mann-Kendall tau={tau:+.3f}, p={p:.2g} on the {space}; Theil-Sen change {-change:+.2%} over {w} steps"
        if significant and b > 0 and -change >= self.rise_tol:
            return result("diverging", f"the loss rises: {trend} (rise >= rise_tol={self.rise_tol:g})", **stats)
        if spike_i >= 0 and spike_e > self.spike_sigma * noise and spike_rel > self.spike_tol:
            sigmas = spike_e / noise if noise > 0 else math.inf
            return result(
                "unstable",
                f"a spike at step {wsteps[spike_i]}: {spike_rel:.1%} above its neighbours "
                f"({sigmas:.3g} noise sigmas > spike_sigma={self.spike_sigma:g}, > spike_tol={self.spike_tol:g})",
                spike_step=wsteps[spike_i],
                **stats,
            )
        if noise > self.noise_tol:
            return result(
                "unstable",
                f"the loss oscillates: robust noise {noise:.1%} of its level per step > noise_tol={self.noise_tol:g} "
                f"(largest single-step rise {jump:.1%} of the mean, spike_tol={self.spike_tol:g})",
                **stats,
            )
        if significant and b < 0:
            if change >= self.slow_tol:
                return result("decreasing", f"the loss decreases: {trend} (>= slow_tol={self.slow_tol:g})", **stats)
            return result("slow", f"the loss decreases slowly: {trend} (< slow_tol={self.slow_tol:g})", **stats)
        if significant:
            return result("converged", f"a rise below rise_tol={self.rise_tol:g}: {trend}", **stats)
        return result(
            "converged",
            f"no significant trend (p >= significance={self.significance:g}): {trend}; noise {noise:.2%} per step",
            **stats,
        )

    # -- plotting --------------------------------------------------------------------------
    def plot(
        self, path: str | PathLike[str] | None = None, *, log_scale: bool = False, title: str | None = None
    ) -> Any:
        """Draw the total loss and the component curves (needs matplotlib).

        Works headless: the figure is a ``matplotlib.figure.Figure`` rendered with the Agg
        canvas, never a pyplot window.

        Parameters
        ----------
        path : str or path-like, optional
            Save the figure there (PNG unless the suffix says otherwise).
        log_scale : bool, default False
            Logarithmic loss axis.
        title : str, optional
            Figure title; defaults to the :meth:`analyze` status.

        Returns
        -------
        matplotlib.figure.Figure
            The figure (two panels when there are components: total, components).

        Raises
        ------
        MissingDependencyError
            matplotlib is not installed: ``pip install "lossapi[plot]"``.
        """
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as e:
            raise MissingDependencyError(
                "lossapi.LossMonitor.plot needs matplotlib, which is not installed; "
                'install the optional extra: pip install "lossapi[plot]"'
            ) from e
        steps, hist = self._snapshot()
        comps = [k for k in hist if k != "total"]
        fig = Figure(figsize=(12 if comps else 6, 4))
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, 2) if comps else [fig.subplots(1, 1)]
        ax = axes[0]
        ax.plot(steps, hist["total"], label="total")
        ax.set_title("Total loss")
        if comps:
            for name in comps:
                axes[1].plot(steps, hist[name], label=name)
            axes[1].set_title("Component losses")
            axes[1].legend()
        for a in axes:
            a.set_xlabel("step")
            a.set_ylabel("loss")
            if log_scale:
                a.set_yscale("log")
        fig.suptitle(title if title is not None else f"status: {self.analyze().status}")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig
