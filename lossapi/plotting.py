"""Plots of a loss and its gradient, computed by lossapi itself.

:func:`loss_curve` sweeps one input of a catalog loss along a 1-D axis that suits the loss
(the error ``pred - target`` for regression, the logit or margin ``y·f`` for binary
classification, the probability of the true class, the angle between two embeddings, the
shift of a box, ...) and returns the loss and its derivative with respect to that axis:

- the values are the lossapi loss on float64 NumPy inputs (``reduction="none"``);
- the derivative is automatic differentiation *through lossapi*: torch autograd when torch is
  installed, else ``jax.grad``, else central finite differences of lossapi on NumPy. The
  method used is recorded in the :class:`Curve` and printed on the plot.

:func:`plot_loss` draws one loss and its gradient; :func:`plot_gallery` compares several
losses that share an axis (as the documentation's gallery does). Plotting needs matplotlib,
an optional dependency: ``pip install "lossapi[plot]"``. Figures are
``matplotlib.figure.Figure`` objects on the Agg canvas, never pyplot windows, so plotting is
headless and safe to call from several threads.

Examples
--------
>>> import lossapi.plotting as lp
>>> c = lp.loss_curve("huber", num=5)
>>> c.x.tolist()
[-3.0, -1.5, 0.0, 1.5, 3.0]
>>> c.labels
('delta=1.0', 'delta=2.0')
>>> c.loss[0].tolist()
[2.5, 1.0, 0.0, 1.0, 2.5]
>>> c.grad[0].tolist()
[-1.0, -1.0, 0.0, 1.0, 1.0]
"""

from __future__ import annotations

import importlib.util
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np

from ._catalog import lookup
from ._conformance.sweeps import Line, Sweep
from ._errors import InvalidOptionError, MissingDependencyError

__all__ = ["GRADIENT_METHODS", "Curve", "loss_curve", "plot_gallery", "plot_loss"]

#: Ways of computing the derivative, in the order ``gradient=None`` tries them.
GRADIENT_METHODS = ("torch", "jax", "finite differences")

_METHOD_TEXT = {
    "torch": "torch autograd through lossapi",
    "jax": "jax.grad through lossapi",
    "finite differences": "central finite differences of lossapi on NumPy",
}

#: Axis keys shared by curves that can be compared on one plot, with their gallery labels.
AXIS_LABELS = {
    "error": "error e = pred - target",
    "margin": "margin y·f (target y = 1, score or logit f)",
    "true class probability": "predicted probability of the true class",
}


@dataclass(frozen=True)
class Curve:
    """A loss and its derivative along a 1-D sweep of one input.

    Attributes
    ----------
    name : str
        Catalog name of the loss.
    x : numpy.ndarray
        The sweep points, shape ``(num,)``.
    loss : numpy.ndarray
        Loss values, shape ``(lines, num)``: one row per line (e.g. target 1 and target 0).
    grad : numpy.ndarray
        ``d loss / d x`` at the sweep points, shape ``(lines, num)``.
    labels : tuple of str
        Legend label of each line ("" when there is a single line).
    xlabel, ylabel : str
        Axis labels.
    axis : str
        Key of the sweep axis (``"error"``, ``"margin"``, ...); curves with the same key can
        share a plot.
    description : str
        How the inputs are built from ``x`` (e.g. ``"pred = t + e, t = 0"``).
    gradient_method : str
        ``"torch"``, ``"jax"`` or ``"finite differences"``.
    options : mapping
        The loss options common to every line (catalog defaults plus the caller's).
    """

    name: str
    x: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    labels: tuple[str, ...]
    xlabel: str
    ylabel: str
    axis: str
    description: str
    gradient_method: str
    options: Mapping[str, Any] = field(default_factory=dict)


def _sweep_of(name: str) -> Sweep:
    """The plot sweep of the catalog loss ``name``: its conformance case's ``sweep``."""
    from ._conformance.cases import CASES

    case = CASES.get(name)
    if case is None or case.sweep is None:  # a newly registered loss: tests/test_plotting.py catches this
        raise KeyError(
            f"loss_curve: no sweep axis is defined for {name!r}; add one to its conformance case "
            "(sweep=... in lossapi/_conformance/families/<family>.py)"
        )
    return case.sweep


def _opt_text(v: Any) -> str:
    return repr(v) if isinstance(v, str) else str(v)


# -- evaluation -------------------------------------------------------------------------------


def _available(method: str) -> bool:
    return method == "finite differences" or importlib.util.find_spec(method) is not None


def _pick_method(gradient: str | None) -> str:
    if gradient is None:
        return next(m for m in GRADIENT_METHODS if _available(m))
    if gradient not in GRADIENT_METHODS:
        raise InvalidOptionError(f"loss_curve: gradient={gradient!r} is not one of {GRADIENT_METHODS}")
    if not _available(gradient):
        raise MissingDependencyError(
            f"loss_curve: gradient={gradient!r} needs {gradient}, which is not installed; "
            "install it or pass gradient=None to use what is available"
        )
    return gradient


def _per_point(rec: Any, sweep: Sweep, line: Line, options: Mapping[str, Any], xp: Any, x: Any) -> Any:
    """The loss at every sweep point: ``reduction="none"`` summed over any trailing axes."""
    out = rec.fn(*sweep.build(xp, x, **line.params), **options, **sweep.fixed, reduction="none")
    while out.ndim > 1:
        out = xp.sum(out, axis=-1)
    return out


def _values_and_grads(
    rec: Any, sweep: Sweep, line: Line, options: Mapping[str, Any], x: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray]:
    from ._conformance.backends import get_backend

    npb = get_backend("numpy")
    xnp = npb.xp()
    values = npb.to_numpy(_per_point(rec, sweep, line, options, xnp, npb.asarray(x, "float64")))
    if method == "finite differences":
        h = 1e-6 * np.maximum(1.0, np.abs(x))
        up = npb.to_numpy(_per_point(rec, sweep, line, options, xnp, npb.asarray(x + h, "float64")))
        down = npb.to_numpy(_per_point(rec, sweep, line, options, xnp, npb.asarray(x - h, "float64")))
        return values, (up - down) / (2 * h)
    # Every point is its own sample, so the gradient of the sum is the derivative at each point.
    b = get_backend(method)
    bxp = b.xp()
    (grad,) = b.grad(lambda xa: bxp.sum(_per_point(rec, sweep, line, options, bxp, xa)), [b.asarray(x, "float64")], [0])
    return values, grad


def loss_curve(
    name: str,
    *,
    num: int = 201,
    options: Mapping[str, Any] | None = None,
    x: Sequence[float] | np.ndarray | None = None,
    gradient: str | None = None,
) -> Curve:
    """The loss ``name`` and its derivative along the loss's 1-D sweep axis.

    Parameters
    ----------
    name : str
        Catalog name of the loss (or an alias such as ``"mse"``).
    num : int, default 201
        Number of evenly spaced sweep points over the loss's default range.
    options : mapping, optional
        Loss options (e.g. ``{"delta": 2.0}``); the catalog defaults otherwise. An option that
        some lines of the default sweep vary (huber's ``delta``) is then the same for all, so
        those lines merge into one.
    x : array_like, optional
        Sweep points to use instead of the default range (``num`` is then ignored).
    gradient : {"torch", "jax", "finite differences"}, optional
        How to differentiate; by default torch autograd if torch is installed, else
        ``jax.grad``, else central finite differences of lossapi on NumPy.

    Returns
    -------
    Curve
        ``x`` of shape ``(num,)``; ``loss`` and ``grad`` of shape ``(lines, num)``.

    Raises
    ------
    KeyError
        ``name`` is not in the catalog.
    InvalidOptionError
        An option is unknown to the loss, fixed by the sweep, or ``gradient`` is unknown.

    Examples
    --------
    >>> import lossapi.plotting as lp
    >>> c = lp.loss_curve("binary_cross_entropy_with_logits", x=[0.0])
    >>> c.labels, round(float(c.loss[0, 0]), 6), round(float(c.grad[0, 0]), 6)
    (('target 1', 'target 0'), 0.693147, -0.5)
    """
    rec = lookup(name)
    sweep = _sweep_of(rec.name)
    user = dict(options or {})
    unknown = sorted(set(user) - set(rec.options))
    if unknown:
        raise InvalidOptionError(
            f"loss_curve: {rec.name} has no option(s) {unknown}; its options are {sorted(rec.options)}"
        )
    fixed = sorted(set(user) & set(sweep.fixed))
    if fixed:
        raise InvalidOptionError(
            f"loss_curve: the {rec.name} sweep fixes {fixed} (each point is one sample); leave them out of options"
        )
    method = _pick_method(gradient)
    xs = np.linspace(sweep.lo, sweep.hi, int(num)) if x is None else np.asarray(x, dtype=np.float64).reshape(-1)
    if xs.size == 0:
        raise InvalidOptionError("loss_curve: the sweep needs at least one point (num >= 1 or a non-empty x)")

    labels: list[str] = []
    losses, grads = [], []
    for line in sweep.lines:
        line_opts = {**line.options, **user}
        label = " ".join([line.label] + [f"{k}={_opt_text(line_opts[k])}" for k in line.options]).strip()
        if label in labels:  # the caller's options made this line equal to an earlier one
            continue
        values, grad = _values_and_grads(rec, sweep, line, line_opts, xs, method)
        labels.append(label)
        losses.append(values)
        grads.append(grad)
    common = {
        k: v for k, v in {**rec.options, **user}.items() if not any(k in ln.options for ln in sweep.lines) or k in user
    }
    common.update({k: v for k, v in sweep.fixed.items() if k in rec.options})
    return Curve(
        name=rec.name,
        x=xs,
        loss=np.stack(losses),
        grad=np.stack(grads),
        labels=tuple(labels),
        xlabel=sweep.xlabel,
        ylabel="loss",
        axis=sweep.axis or sweep.xlabel,
        description=sweep.description,
        gradient_method=method,
        options=common,
    )


# -- drawing ----------------------------------------------------------------------------------


def _figure(figsize: tuple[float, float]) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise MissingDependencyError(
            "lossapi.plotting needs matplotlib, which is not installed; "
            'install the optional extra: pip install "lossapi[plot]"'
        ) from e
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _draw(ax: Any, x: np.ndarray, rows: np.ndarray, labels: Sequence[str], **kw: Any) -> None:
    for row, label in zip(rows, labels):
        ax.plot(x, row, label=label or None, **kw)
    ax.axhline(0.0, color="0.6", lw=0.6, zorder=0)
    ax.grid(True, alpha=0.3)


def _options_text(options: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in options.items() if isinstance(v, (int, float, str, bool))}  # None: feature off
    return ", ".join(f"{k}={_opt_text(v)}" for k, v in shown.items())


def _save(fig: Any, out: str | PathLike[str] | None) -> None:
    if out is not None:
        fig.savefig(out, dpi=100)


def plot_loss(
    name: str,
    *,
    out: str | PathLike[str] | None = None,
    options: Mapping[str, Any] | None = None,
    ax: Any = None,
    curve: Curve | None = None,
) -> Any:
    """Draw the loss ``name`` and its gradient along its sweep axis.

    Parameters
    ----------
    name : str
        Catalog name of the loss (or an alias).
    out : str or path-like, optional
        Save the figure there (PNG unless the suffix says otherwise).
    options : mapping, optional
        Loss options, as for :func:`loss_curve`.
    ax : matplotlib.axes.Axes, optional
        Draw on this axes (the gradient dashed on a twin y axis) instead of a new figure with
        two panels.
    curve : Curve, optional
        A curve already computed by :func:`loss_curve` for ``name``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (``ax``'s figure when ``ax`` is given).

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed: ``pip install "lossapi[plot]"``.

    Examples
    --------
    >>> import lossapi.plotting as lp
    >>> fig = lp.plot_loss("huber")
    >>> [a.get_title() for a in fig.axes]
    ['loss', 'gradient d loss / d x']
    """
    c = curve if curve is not None else loss_curve(name, options=options)
    rec = lookup(name)
    note = f"{c.description}; gradient: {_METHOD_TEXT[c.gradient_method]}"
    opts = _options_text(c.options)
    title = f"{rec.name}" + (f" ({opts})" if opts else "")
    formula = textwrap.fill(rec.formula, 110)
    if ax is None:
        fig = _figure((10.0, 4.2))
        ax_l, ax_g = fig.subplots(1, 2)
        _draw(ax_l, c.x, c.loss, c.labels)
        _draw(ax_g, c.x, c.grad, c.labels)
        ax_l.set_title("loss")
        ax_g.set_title("gradient d loss / d x")
        ax_l.set_ylabel(c.ylabel)
        ax_g.set_ylabel("d loss / d x")
        for a in (ax_l, ax_g):
            a.set_xlabel(c.xlabel)
        if any(c.labels):
            ax_l.legend(fontsize=8)
        fig.suptitle(f"{title}\n{formula}", fontsize=9)
        note = textwrap.fill(note, 150)
        fig.text(0.5, 0.0, note, ha="center", va="bottom", fontsize=7, color="0.3")
        bottom = 0.035 * (note.count("\n") + 1)  # keep the footnote clear of the x labels
        fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    else:
        fig = ax.figure
        ax2 = ax.twinx()
        _draw(ax, c.x, c.loss, [f"loss {lb}".strip() for lb in c.labels])
        ax2.set_prop_cycle(None)
        _draw(ax2, c.x, c.grad, [f"gradient {lb}".strip() for lb in c.labels], ls="--")
        ax.set_xlabel(c.xlabel)
        ax.set_ylabel(c.ylabel)
        ax2.set_ylabel("d loss / d x (dashed)")
        ax.set_title(f"{title}: {formula}", fontsize=8)
        ax.legend(fontsize=7, loc="upper left")
    _save(fig, out)
    return fig


def plot_gallery(
    names: Sequence[str],
    *,
    out: str | PathLike[str] | None = None,
    title: str = "Loss functions",
    x: Sequence[float] | np.ndarray | None = None,
    ylim: tuple[float, float] | None = None,
    grad_ylim: tuple[float, float] | None = None,
) -> Any:
    """Compare several losses that share a sweep axis: the losses in one panel, the
    gradients in another.

    Each loss contributes the first line of its sweep (its catalog defaults; target 1 for
    the binary classification losses).

    Parameters
    ----------
    names : sequence of str
        Catalog names; their sweeps must share an axis (see ``Curve.axis``).
    out : str or path-like, optional
        Save the figure there.
    title : str, default "Loss functions"
        Figure title.
    x : array_like, optional
        Sweep points; the first loss's default range otherwise.
    ylim, grad_ylim : (float, float), optional
        Limits of the loss and the gradient axes (so that one steep loss does not flatten
        the others).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InvalidOptionError
        ``names`` is empty or the losses are swept along different axes.
    MissingDependencyError
        matplotlib is not installed.

    Examples
    --------
    >>> import lossapi.plotting as lp
    >>> fig = lp.plot_gallery(["mean_squared_error", "mean_absolute_error", "huber"])
    >>> len(fig.axes[0].get_lines()) >= 3
    True
    """
    if not names:
        raise InvalidOptionError("plot_gallery: pass at least one loss name")
    fig = _figure((11.0, 4.5))
    first = loss_curve(names[0], x=x)
    curves = [first] + [loss_curve(n, x=first.x) for n in names[1:]]
    axes = {c.axis for c in curves}
    if len(axes) > 1:
        raise InvalidOptionError(
            "plot_gallery: the losses are swept along different axes: "
            + "; ".join(f"{c.name}: {c.axis}" for c in curves)
            + ". Compare losses of one axis at a time."
        )
    ax_l, ax_g = fig.subplots(1, 2)
    for c in curves:
        label = c.name + (f" ({c.labels[0]})" if c.labels[0] else "")
        ax_l.plot(c.x, c.loss[0], label=label)
        ax_g.plot(c.x, c.grad[0], label=label)
    xlabel = AXIS_LABELS.get(first.axis, first.xlabel)
    for a, t in ((ax_l, "loss"), (ax_g, "gradient d loss / d x")):
        a.set_title(t)
        a.set_xlabel(xlabel)
        a.axhline(0.0, color="0.6", lw=0.6, zorder=0)
        a.grid(True, alpha=0.3)
    if ylim is not None:
        ax_l.set_ylim(*ylim)
    if grad_ylim is not None:
        ax_g.set_ylim(*grad_ylim)
    ax_l.legend(fontsize=8)
    fig.suptitle(title)
    _save(fig, out)
    return fig
