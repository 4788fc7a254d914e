"""Generate the loss catalog pages and the gallery from ``lossapi.catalog()`` at build time.

``write(outdir)`` writes MyST markdown and PNG plots:

- ``losses/index.md``: the catalog, one table per family (name, summary, properties) and a
  hidden toctree of every loss page;
- ``losses/<name>.md`` + ``losses/<name>.png``: formula, signature, shapes, options,
  properties, aliases, the exact counterpart calls, a plot of the loss and its gradient
  computed by ``lossapi.plotting`` (torch autograd through lossapi when torch is installed),
  the conformance case, and the full docstring through autodoc;
- ``gallery.md`` + ``gallery_*.png``: the regression and the classification losses side by side.

Nothing here is written by hand per loss: a new catalog entry gets its page on the next build.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import lossapi
from lossapi import plotting
from lossapi._catalog import FAMILIES, LossRecord, catalog

__all__ = ["GALLERY", "write"]

_PROPERTIES = ("convex", "smooth", "robust", "bounded", "probabilistic")

_PROPERTY_HELP = {
    "convex": "convex in the prediction",
    "smooth": "twice differentiable everywhere",
    "robust": "robust to outliers (bounded gradient)",
    "bounded": "bounded loss value",
    "probabilistic": "a likelihood / probabilistic loss",
}

#: The gallery: (file stem, title, sweep points, losses, explanation, plot_gallery keywords).
GALLERY: tuple[tuple[str, str, np.ndarray, tuple[str, ...], str, dict[str, Any]], ...] = (
    (
        "gallery_regression",
        "Regression losses over the error",
        np.linspace(-6.0, 6.0, 241),
        (
            "mean_squared_error",
            "mean_absolute_error",
            "huber",
            "smooth_l1",
            "pseudo_huber",
            "log_cosh",
            "tukey_biweight",
            "epsilon_insensitive",
        ),
        "The squared error grows quadratically, so its gradient grows with the error and a few large "
        "errors (outliers) dominate the fit. The absolute error has a constant gradient: robust, but with "
        "a kink at 0. Huber, smooth L1, pseudo-Huber and log-cosh are quadratic near 0 and linear far "
        "away: their gradient is bounded (robust) and continuous. Tukey's biweight goes further: its "
        "gradient returns to 0 for large errors, so gross outliers are ignored (non-convex). The "
        "epsilon-insensitive loss ignores errors below epsilon (support vector regression).",
        {"ylim": (-0.2, 6.0), "grad_ylim": (-3.0, 3.0)},
    ),
    (
        "gallery_classification",
        "Binary classification losses over the margin",
        np.linspace(-3.0, 3.0, 241),
        ("binary_cross_entropy_with_logits", "soft_margin", "hinge", "squared_hinge", "perceptron", "sigmoid_focal"),
        "With target 1 the logit (or score) f is the margin y·f: positive when the example is on the "
        "right side. Logistic losses (BCE on logits, soft margin: the same curve) never reach 0, so "
        "even well-classified examples keep a small gradient. The hinge loss is exactly 0 beyond margin "
        "1 (sparse support vectors); the perceptron loss only penalises wrong signs; the squared hinge "
        "is smooth at the margin but grows quadratically. The focal loss (gamma = 2) scales the "
        "logistic loss by (1 - p)^gamma: easy examples contribute almost nothing, hard ones dominate.",
        {"ylim": (-0.2, 5.0)},
    ),
    (
        "gallery_probability",
        "Classification losses over the probability of the true class",
        np.linspace(0.01, 0.99, 197),
        ("binary_cross_entropy", "categorical_cross_entropy", "generalized_cross_entropy", "brier_score"),
        "Cross-entropy (-log p) is unbounded as the probability of the true class goes to 0, so confident "
        "mistakes get huge gradients; this is what makes it sensitive to label noise. The generalized "
        "cross-entropy (q = 0.5) interpolates between cross-entropy (q → 0) and the mean absolute error "
        "(q = 1) and stays bounded, which makes it robust to noisy labels. The Brier score is the squared "
        "error on the probabilities: bounded and a proper scoring rule. (binary_cross_entropy is shown "
        "for target 1; the multiclass losses use 3 classes with the rest of the probability shared.)",
        {"grad_ylim": (-10.0, 2.0)},
    ),
)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _md(text: str) -> str:
    """A docstring line (reST) as markdown: ``:func:`x``` and ````x```` become code spans."""
    return re.sub(r"``([^`]+)``", r"`\1`", re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text))


def _code_cell(text: str) -> str:
    return f"`{_cell(text)}`"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _case_modules() -> dict[str, str]:
    """Loss name -> the family module (``lossapi/_conformance/families/<family>.py``) that holds its
    conformance case, with its oracle and counterparts."""
    from lossapi._conformance.cases import family_modules

    out: dict[str, str] = {}
    for mod in family_modules():
        for name in mod.CASES:
            out[name] = mod.__name__.replace(".", "/") + ".py"
    return out


def _signature(rec: LossRecord) -> str:
    sig = inspect.signature(rec.fn)
    # The annotations are all "Any" (duck-typed arrays): leave them out, they only add noise.
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return f"lossapi.{rec.name}{sig.replace(parameters=params, return_annotation=inspect.Signature.empty)}"


def _shapes(rec: LossRecord) -> str:
    inputs = ", ".join(f"`{n}`" for n in rec.inputs)
    if rec.has_axis:
        return (
            f"Positional inputs {inputs}. The loss reduces over the `axis` keyword (class / feature / "
            'distribution axis, default -1); `reduction="none"` returns the per-element loss with '
            'that axis removed, `"mean"` and `"sum"` a 0-d array. Leading batch axes are free.'
        )
    return (
        f'Positional inputs {inputs}, broadcast against each other; `reduction="none"` returns the '
        'per-element loss, `"mean"` and `"sum"` a 0-d array. The result is an array of the '
        "inputs' library, on their device, in their floating dtype."
    )


def _options_rows(options: Mapping[str, Any]) -> list[list[str]]:
    return [[f"`{k}`", _code_cell(repr(v))] for k, v in options.items()]


def _loss_page(rec: LossRecord, curve: plotting.Curve, case_file: str | None) -> str:
    lines = [
        f"(loss-{rec.name})=",
        f"# lossapi.{rec.name}",
        "",
        _md(rec.summary),
        "",
        f"**Family:** {rec.family} · **task:** {rec.task}",
        "",
    ]
    lines += ["## Formula", "", "```text", rec.formula, "```", ""]
    lines += ["## Signature and shapes", "", "```python", _signature(rec), "```", "", _shapes(rec), ""]
    lines += _table(["input", "space"], [[f"`{n}`", rec.input_spaces[n]] for n in rec.inputs])
    lines += ["## Options", ""]
    if rec.options:
        lines += _table(["option", "default"], _options_rows(rec.options))
    else:
        lines += [
            "No options beyond the shared `sample_weight`, `where` and `reduction`"
            + (" and `axis`." if rec.has_axis else "."),
            "",
        ]
    lines += ["## Properties", ""]
    lines += _table(["property", "", "meaning"], [[p, _yes(getattr(rec, p)), _PROPERTY_HELP[p]] for p in _PROPERTIES])
    if rec.aliases:
        lines += [
            "## Aliases",
            "",
            ", ".join(f"`lossapi.{a}`" for a in rec.aliases) + f" (the same function as `lossapi.{rec.name}`).",
            "",
        ]
    lines += ["## Counterparts", ""]
    if rec.counterparts:
        lines += ["The call in each library that gives the same numbers (the conformance suite checks it):", ""]
        lines += _table(
            ["library", "exact call"], [[lib, _code_cell(call)] for lib, call in sorted(rec.counterparts.items())]
        )
    else:
        lines += [
            "No library in the conformance matrix (torch, optax, keras, scikit-learn, torchvision) has "
            "this loss with the same numbers.",
            "",
        ]
    method = plotting._METHOD_TEXT[curve.gradient_method]
    lines += [
        "## Plot",
        "",
        f"![{rec.name}: loss and gradient]({rec.name}.png)",
        "",
        f"Sweep: {curve.description}. Values by `lossapi.{rec.name}` on float64 NumPy inputs; the "
        f"gradient d loss / d x by {method}. Reproduce with `lossapi plot {rec.name}` or "
        f'`lossapi.plotting.plot_loss("{rec.name}")`.',
        "",
    ]
    lines += ["## Conformance", ""]
    where = f" (oracle and case in `{case_file}`)" if case_file else ""
    lines += [
        f"Conformance: tested against the float64 oracle written from the formula{where}, on every "
        "installed backend (NumPy, array-api-strict, PyTorch, JAX, Dask; CuPy with a GPU) in float32 and "
        "float64, for every reduction, with weights and masks and at edge points; gradients by torch "
        "autograd and `jax.grad` against finite differences of the oracle; `jax.jit` and "
        "`torch.compile` against eager"
        + ("; and against the counterparts above" if rec.counterparts else "")
        + f". Run it yourself: `lossapi check --losses "
        f"{rec.name}`.",
        "",
    ]
    lines += ["## API", "", "```{eval-rst}", f".. autofunction:: lossapi.{rec.name}", "```", ""]
    return "\n".join(lines)


def _index_page(recs: tuple[LossRecord, ...]) -> str:
    lines = [
        "# Loss catalog",
        "",
        f"lossapi has {len(recs)} losses. Every page below is generated from `lossapi.catalog()` and the "
        "docstrings at build time; its plot is computed by lossapi itself. Properties: C convex, S smooth, "
        "R robust to outliers, B bounded, P probabilistic. See also the [gallery](../gallery.md).",
        "",
    ]
    for family in FAMILIES:
        members = [r for r in recs if r.family == family]
        if not members:
            continue
        lines += [f"## {family.capitalize()}", ""]
        rows = []
        for r in members:
            props = "".join(c if getattr(r, p) else "·" for c, p in zip("CSRBP", _PROPERTIES))
            rows.append([f"[{r.name}]({r.name}.md)", _cell(_md(r.summary)), f"`{props}`"])
        lines += _table(["name", "summary", "properties"], rows)
    lines += ["```{toctree}", ":hidden:", ":maxdepth: 1", ""] + [r.name for r in recs] + ["```", ""]
    return "\n".join(lines)


def _gallery_page() -> str:
    lines = [
        "# Gallery",
        "",
        "The losses of one task on one plot, loss on the left and its gradient on the right, all computed "
        "by lossapi (values on float64 NumPy inputs, gradients by automatic differentiation through "
        "lossapi). Each loss uses its catalog defaults; click a name in the "
        "[catalog](losses/index.md) for its own page.",
        "",
    ]
    for stem, title, _, names, text, _ in GALLERY:
        lines += [
            f"## {title}",
            "",
            f"![{title}]({stem}.png)",
            "",
            text,
            "",
            "Shown: " + ", ".join(f"[{n}](losses/{n}.md)" for n in names) + ".",
            "",
        ]
    return "\n".join(lines)


def write(outdir: Path) -> None:
    """Write the catalog pages, their plots and the gallery under ``outdir``.

    Parameters
    ----------
    outdir : pathlib.Path
        The generated-docs folder (``docs/generated``); ``losses/`` is created in it.
    """
    outdir = Path(outdir)
    pages = outdir / "losses"
    pages.mkdir(parents=True, exist_ok=True)
    recs = catalog()
    cases = _case_modules()
    for rec in recs:
        curve = plotting.loss_curve(rec.name)
        plotting.plot_loss(rec.name, out=pages / f"{rec.name}.png", curve=curve)
        (pages / f"{rec.name}.md").write_text(_loss_page(rec, curve, cases.get(rec.name)), encoding="utf-8")
    (pages / "index.md").write_text(_index_page(recs), encoding="utf-8")
    for stem, title, x, names, _, kw in GALLERY:
        plotting.plot_gallery(names, out=outdir / f"{stem}.png", title=title, x=x, **kw)
    (outdir / "gallery.md").write_text(_gallery_page(), encoding="utf-8")


if __name__ == "__main__":  # python docs/_ext/gen_losses.py OUTDIR: preview without Sphinx
    import sys

    write(Path(sys.argv[1] if len(sys.argv) > 1 else "generated"))
    print(f"lossapi {lossapi.__version__}: wrote the loss pages")
