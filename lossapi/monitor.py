"""Training-loss monitoring: history, trend analysis, plots and CSV/JSON export.

:class:`LossMonitor` records the total loss and named component losses of every step,
whatever library they come from (0-d NumPy, PyTorch, JAX, Dask or array-api-strict arrays, or
Python floats), and :meth:`LossMonitor.analyze` classifies the recent trend as
``"insufficient data"``, ``"converged"``, ``"unstable"``, ``"slow"`` or ``"decreasing"``
(the statuses of a classic training-loss trend check), with the numbers behind it.

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

STATUSES = ("insufficient data", "converged", "unstable", "slow", "decreasing")

_ADVICE = {
    "insufficient data": "record at least `window` steps before analysing",
    "converged": "the loss no longer changes; stop training or lower the learning rate schedule floor",
    "unstable": "consider reducing the learning rate or clipping gradients",
    "slow": "consider adjusting the learning rate or other hyper-parameters, or a different loss",
    "decreasing": "training is progressing normally",
}


@dataclass(frozen=True)
class MonitorAnalysis:
    """The result of :meth:`LossMonitor.analyze`: a status and the numbers behind it.

    Attributes
    ----------
    status : str
        One of ``"insufficient data"``, ``"converged"``, ``"unstable"``, ``"slow"``,
        ``"decreasing"``.
    reason : str
        Which test decided the status, with its numbers.
    advice : str
        What to do about it (the usual remedy for that status).
    n_steps : int
        Number of recorded steps.
    window : int
        Number of most recent steps the statistics are computed on (``min(window, n_steps)``).
    first, last, mean, std : float
        First and last value, mean and (population) standard deviation over the window.
    cv : float
        Coefficient of variation ``std / max(|mean|, tiny)``.
    slope : float
        Least-squares slope over the window (loss units per step; negative = decreasing).
    relative_change : float
        Relative decrease over the window according to the linear fit,
        ``-slope * (window - 1) / max(|mean|, tiny)`` (positive = the loss decreased).
    max_jump : float
        Largest single-step increase over the window relative to ``max(|mean|, tiny)``
        (0 when the loss never rises).
    nonfinite : int
        Number of NaN/inf values in the window.
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

    def as_dict(self) -> dict[str, Any]:
        """The analysis as a plain dict."""
        return asdict(self)

    def __str__(self) -> str:
        if self.status == "insufficient data":
            return f"insufficient data: {self.reason} ({self.advice})"
        return (
            f"{self.status}: {self.reason} ({self.advice}). Last {self.window} of {self.n_steps} steps: "
            f"mean={self.mean:.6g}, std={self.std:.3g}, cv={self.cv:.3g}, slope={self.slope:.3g}/step, "
            f"relative change={self.relative_change:+.3%}, max jump={self.max_jump:.3g}"
        )


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
    """Record the total and component losses of a training run and analyse the trend.

    Parameters
    ----------
    window : int, default 10
        Number of most recent steps :meth:`analyze` looks at; fewer recorded
        steps give ``"insufficient data"``.
    converged_tol : float, default 1e-6
        ``"converged"`` when the window's standard deviation is at most
        ``converged_tol * max(|mean|, 1)`` (relative for losses above 1, absolute below).
    slow_tol : float, default 0.01
        ``"slow"`` when the loss decreased by less than this fraction of its mean over the
        window (a 1 % improvement threshold by default), per the least-squares fit.
    spike_tol : float, default 0.5
        ``"unstable"`` when a single step raises the loss by more than this fraction of the
        window's mean (a spike / oscillation).
    rise_tol : float, default 0.1
        ``"unstable"`` (diverging) when the fitted loss rose by more than this fraction of
        its mean over the window. Smaller rises count as ``"slow"``.

    Notes
    -----
    :meth:`analyze` applies, in order: fewer than ``window`` steps → insufficient data; any
    NaN/inf in the window → unstable; ``std <= converged_tol * max(|mean|, 1)`` → converged;
    ``max_jump > spike_tol`` or ``relative_change < -rise_tol`` → unstable;
    ``relative_change < slow_tol`` → slow; otherwise decreasing.

    Values are stored as given (torch tensors detached) and converted to floats lazily in
    batches, so ``update`` costs no device synchronisation; see the module docstring. Call
    ``update`` outside ``jax.jit`` (with the jitted step's outputs), never with tracers.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> mon = la.LossMonitor(window=5)
    >>> for step in range(20):
    ...     mse, reg = np.asarray(1.0 / (step + 1)), np.asarray(0.01)
    ...     mon.update(mse + reg, {"mse": mse, "l2": reg})
    >>> result = mon.analyze()
    >>> result.status
    'decreasing'
    >>> round(result.relative_change, 3)
    0.189
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
        rise_tol: float = 0.1,
    ) -> None:
        self.window = int(_positive("window", window, integer=True))
        if self.window < 2:
            raise InvalidOptionError(f"lossapi.LossMonitor: `window` must be at least 2; got {window!r}")
        self.converged_tol = float(_positive("converged_tol", converged_tol))
        self.slow_tol = float(_positive("slow_tol", slow_tol))
        self.spike_tol = float(_positive("spike_tol", spike_tol))
        self.rise_tol = float(_positive("rise_tol", rise_tol))
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
    def analyze(self, name: str = "total") -> MonitorAnalysis:
        """Classify the recent trend of the total loss (or of component ``name``).

        Returns
        -------
        MonitorAnalysis
            ``status`` in ``"insufficient data"``, ``"converged"``, ``"unstable"``,
            ``"slow"``, ``"decreasing"``, with the window statistics behind it (see the class
            Notes for the rules).
        """
        hist = self.history
        if name not in hist:
            raise InvalidOptionError(
                f"lossapi.LossMonitor.analyze: unknown series {name!r}; expected one of {list(hist)}"
            )
        values = hist[name]
        n = len(values)
        w = min(self.window, n)
        vals = values[n - w :]
        nan = math.nan
        if n < self.window:
            return MonitorAnalysis(
                "insufficient data",
                f"{n} step(s) recorded, the analysis needs window={self.window}",
                _ADVICE["insufficient data"],
                n,
                w,
                vals[0] if vals else nan,
                vals[-1] if vals else nan,
                nan,
                nan,
                nan,
                nan,
                nan,
                nan,
                sum(not math.isfinite(v) for v in vals),
            )
        nonfinite = sum(not math.isfinite(v) for v in vals)
        if nonfinite:
            return MonitorAnalysis(
                "unstable",
                f"{nonfinite} non-finite value(s) (NaN/inf) in the last {w} steps",
                _ADVICE["unstable"],
                n,
                w,
                vals[0],
                vals[-1],
                nan,
                nan,
                nan,
                nan,
                nan,
                nan,
                nonfinite,
            )
        mean = sum(vals) / w
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / w)
        scale = max(abs(mean), 1e-300)
        cv = std / scale
        xbar = (w - 1) / 2
        sxx = sum((i - xbar) ** 2 for i in range(w))
        slope = sum((i - xbar) * (v - mean) for i, v in enumerate(vals)) / sxx
        rel = -slope * (w - 1) / scale
        jump = max(0.0, *(b - a for a, b in itertools.pairwise(vals))) / scale
        if std <= self.converged_tol * max(abs(mean), 1.0):
            status, reason = "converged", f"std {std:.3g} <= converged_tol * max(|mean|, 1)"
        elif jump > self.spike_tol:
            status, reason = (
                "unstable",
                f"a single step raised the loss by {jump:.1%} of its mean (> spike_tol={self.spike_tol:g})",
            )
        elif rel < -self.rise_tol:
            status, reason = "unstable", f"the loss rose by {-rel:.1%} over the window (> rise_tol={self.rise_tol:g})"
        elif rel < self.slow_tol:
            status, reason = "slow", f"relative decrease {rel:.3%} over the window < slow_tol={self.slow_tol:g}"
        else:
            status, reason = "decreasing", f"relative decrease {rel:.3%} over the window >= slow_tol={self.slow_tol:g}"
        return MonitorAnalysis(
            status, reason, _ADVICE[status], n, w, vals[0], vals[-1], mean, std, cv, slope, rel, jump, 0
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
