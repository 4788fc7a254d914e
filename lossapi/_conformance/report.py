"""The conformance report behind ``lossapi check --report FILE.html|.md``.

:func:`write_report` turns the :class:`~lossapi._conformance.result.CheckResult` list of one
:func:`~lossapi._conformance.runner.run_matrix` run into a document a person can read: the
environment (lossapi, Python, platform and the version of every backend and counterpart
library), the totals, a loss x backend matrix, a legend of the check names and the table of
every check, failures first. The HTML is one self-contained file (inline CSS, no script, no
external resource) that any browser opens offline; the Markdown uses GitHub tables.

The output depends only on the results and the environment: rows are sorted (losses in
catalog order), and the time stamp can be fixed with ``generated_at``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import importlib.metadata
import json
import math
import os
import platform
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .result import CheckResult

__all__ = [
    "REPORT_FORMATS",
    "aggregate",
    "check_kind",
    "library_versions",
    "load_results",
    "render_html",
    "render_markdown",
    "report_format",
    "save_results",
    "write_report",
]

#: Report file suffixes and the format each one selects.
REPORT_FORMATS: Mapping[str, str] = {".html": "html", ".htm": "html", ".md": "markdown"}

# (shown name, distributions that provide it): CuPy ships one wheel per CUDA version.
_LIBRARIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("numpy", ("numpy",)),
    ("array-api-strict", ("array-api-strict",)),
    ("array-api-compat", ("array-api-compat",)),
    ("torch", ("torch",)),
    ("jax", ("jax",)),
    ("jaxlib", ("jaxlib",)),
    ("dask", ("dask",)),
    ("cupy", ("cupy", "cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x")),
    ("optax", ("optax",)),
    ("keras", ("keras",)),
    ("torchvision", ("torchvision",)),
    ("monai", ("monai",)),
    ("segmentation-models-pytorch", ("segmentation-models-pytorch", "segmentation_models_pytorch")),
    ("pytorch-metric-learning", ("pytorch-metric-learning",)),
    ("scikit-learn", ("scikit-learn",)),
    ("scipy", ("scipy",)),
)
_NOT_INSTALLED = "not installed"

# Check kinds (the check name without its "[...]" configuration) and what each one verifies.
_LEGEND: tuple[tuple[str, str], ...] = (
    (
        "values",
        "value on random inputs vs an independent float64 oracle; brackets: "
        "[dtype, reduction, weighting, shape, options]",
    ),
    (
        "edge",
        "value at an edge point (exact kink, zero, extreme logit, saturated probability) vs the oracle; "
        "edge:<point>[dtype]",
    ),
    (
        "counterpart",
        "lossapi on NumPy vs the native library's function under the mapping recorded in the catalog; "
        "counterpart:<library>[reduction, options, weighted]",
    ),
    ("gradients", "autodiff gradient vs central finite differences of the float64 oracle at random points"),
    ("gradients:edges", "gradients at the edge points, where NaN gradients hide"),
    ("gradients:where", "entries excluded by where= may hold NaN/inf without touching the value or the gradient"),
    ("gradients:zero-weight", "all-zero sample_weight gives value 0 and an exactly-zero, finite gradient"),
    ("gradients:torch-vs-jax", "torch autograd and jax.grad give the same gradients (backend torch+jax)"),
    ("second-derivatives", "diagonal of the Hessian vs second differences of the oracle (smooth elementwise losses)"),
    ("jax.jit", "jax.jit of the loss equals eager"),
    ("jax.vmap", "jax.vmap over a batch axis equals the loss row by row"),
    ("jax.grad(jit)", "jax.jit(jax.grad(loss)) equals eager jax.grad"),
    (
        "jax.jit(traced options)",
        "floating hyper-parameters passed as traced arrays give the same value as Python numbers",
    ),
    ("torch.func.grad", "torch.func.grad equals autograd ([generic]: with the native fast path off)"),
    ("torch.func.vmap", "torch.func.vmap of the mean loss equals the loss row by row"),
    ("torch.compile", "torch.compile(fullgraph=True) equals eager (full mode only)"),
    ("native-vs-generic", "the backend's native fast path and the generic Array API path agree (values and gradients)"),
    ("placement:namespace", "every reduction returns an array of the inputs' library, never a Python scalar"),
    ("placement:dtype", "the result has the prediction's dtype and is close to the oracle (full mode only)"),
    ("placement:device", "inputs on a non-default device give a result on that device"),
    ("placement:dask-lazy", "Dask inputs give a lazy result whose .compute() equals NumPy's"),
    ("case", "the loss has no conformance case, so nothing could be checked"),
    ("backend", "the backend library is not installed (or has no device): every check skipped"),
    ("internal", "the check machinery itself raised; the detail has the exception"),
)
_LEGEND_KEYS = {k for k, _ in _LEGEND}

_STATUS_FAIL, _STATUS_PASS, _STATUS_SKIP = "FAIL", "pass", "skip"


def report_format(path: str | Path) -> str:
    """The report format (``"html"`` or ``"markdown"``) selected by the suffix of ``path``.

    Parameters
    ----------
    path : str or Path
        The report file; its suffix (any case) must be ``.html``, ``.htm`` or ``.md``.

    Returns
    -------
    str
        ``"html"`` or ``"markdown"``.

    Raises
    ------
    ValueError
        For any other suffix, with the suffixes to choose from.

    Examples
    --------
    >>> report_format("out/report.HTML")
    'html'
    >>> report_format("report.md")
    'markdown'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_FORMATS:
        choices = ", ".join(REPORT_FORMATS)
        raise ValueError(
            f"cannot tell the report format of {str(path)!r} from its suffix {suffix or '(none)'!r}; "
            f"name the file with one of {choices} (e.g. report.html)"
        )
    return REPORT_FORMATS[suffix]


def library_versions() -> dict[str, str]:
    """Installed version of every backend and counterpart library, or ``"not installed"``.

    Read from the package metadata, so no framework is imported.

    Returns
    -------
    dict of str to str
        Library name (numpy, array-api-strict, array-api-compat, torch, jax, jaxlib, dask, cupy,
        optax, keras, torchvision, scikit-learn, scipy) to its version.

    Examples
    --------
    >>> versions = library_versions()
    >>> list(versions)[:3]
    ['numpy', 'array-api-strict', 'array-api-compat']
    >>> versions["numpy"] != "not installed"
    True
    """
    out: dict[str, str] = {}
    for shown, dists in _LIBRARIES:
        out[shown] = _NOT_INSTALLED
        for dist in dists:
            try:
                out[shown] = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return out


# -- the model both renderers draw -------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    status: str
    worst: float
    gradients: str
    n_failed: int


@dataclass(frozen=True)
class _Model:
    passed: bool
    totals: dict[str, int]
    meta: list[tuple[str, str]]
    versions: dict[str, str]
    losses: list[str]
    backends: list[str]
    cells: dict[tuple[str, str], _Cell]
    rows: list[CheckResult]
    legend: list[tuple[str, str]]


def _status(r: CheckResult) -> str:
    if r.skipped:
        return _STATUS_SKIP
    return _STATUS_PASS if r.ok else _STATUS_FAIL


def check_kind(check: str) -> str:
    """The kind of a check name, as listed in the report's legend.

    Parameters
    ----------
    check : str
        A :attr:`CheckResult.check`, e.g. ``"values[float64,mean,none,(3, 4),{}]"``.

    Returns
    -------
    str
        The name without its bracketed configuration; ``edge:<point>`` and
        ``counterpart:<library>`` give ``"edge"`` and ``"counterpart"``.

    Examples
    --------
    >>> check_kind("counterpart:torch[mean,{},weighted=False]")
    'counterpart'
    >>> check_kind("torch.func.grad[generic]")
    'torch.func.grad'
    """
    base = _AGGREGATED.sub("", check.split("[", 1)[0])
    head = base.split(":", 1)[0]
    return head if head in ("edge", "counterpart") else base


#: The suffix :func:`aggregate` gives a check name.
_AGGREGATED = re.compile(r" \(\d+ checks?\)$")


def aggregate(results: Iterable[CheckResult]) -> list[CheckResult]:
    """One result per loss, backend and check name without its configuration.

    The pytest conformance suite runs each check in many configurations (dtypes, reductions,
    weightings, shapes, option sets): ``values[float32,mean,where,(3, 4),{}]`` and its
    siblings become one ``values (N checks)`` row, which failed if any of them failed (its
    detail names the first failure), was skipped if all were skipped, and carries the worst
    error of those that ran.

    Examples
    --------
    >>> from lossapi._conformance.result import CheckResult
    >>> rs = [CheckResult("mse", "numpy", "values[float64,mean]", True, 1e-16),
    ...       CheckResult("mse", "numpy", "values[float32,sum]", False, 3e-3, "got 1.0, want 1.003")]
    >>> [(r.check, r.ok, r.worst) for r in aggregate(rs)]
    [('values (2 checks)', False, 0.003)]
    """
    groups: dict[tuple[str, str, str], list[CheckResult]] = {}
    for r in results:
        groups.setdefault((r.loss, r.backend, r.check.split("[", 1)[0]), []).append(r)
    out = []
    for (loss, backend, base), rs in groups.items():
        ran = [r for r in rs if not r.skipped]
        failed = [r for r in ran if not r.ok]
        errs = [r.worst for r in ran if not math.isnan(r.worst)]
        if failed:
            detail = f"{len(failed)} of {len(rs)} failed; first: {failed[0].check}: {failed[0].detail}"
        elif not ran:
            detail = "; ".join(sorted({r.detail for r in rs}))
        else:
            detail = ""
        out.append(
            CheckResult(
                loss,
                backend,
                f"{base} ({len(rs)} check{'' if len(rs) == 1 else 's'})",
                not failed,
                max(errs, default=float("nan")),
                detail,
                skipped=not ran,
            )
        )
    return out


def save_results(results: Iterable[CheckResult], path: str | Path) -> None:
    """Append ``results`` to ``path``, one JSON object per line (several processes may append)."""
    lines = "".join(json.dumps(dataclasses.asdict(r)) + "\n" for r in results)
    with open(path, "a", encoding="utf-8") as f:
        f.write(lines)


def load_results(paths: Iterable[str | Path]) -> list[CheckResult]:
    """The results saved by :func:`save_results` in each of ``paths``."""
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            out += [CheckResult(**json.loads(line)) for line in f if line.strip()]
    return out


def _loss_order(results: Sequence[CheckResult]) -> list[str]:
    from .._catalog import catalog  # noqa: PLC0415 - the catalog imports every loss module

    present = {r.loss for r in results}
    ordered = [rec.name for rec in catalog() if rec.name in present]
    return ordered + sorted(present - set(ordered))


def _backend_order(results: Sequence[CheckResult], backends: Iterable[Any]) -> list[str]:
    names = [b if isinstance(b, str) else b.name for b in backends]
    seen = {part for r in results for part in r.backend.split("+")}
    return list(dict.fromkeys(names)) + sorted(seen - set(names))


def _build(
    results: Sequence[CheckResult],
    backends: Iterable[Any],
    quick: bool,
    elapsed: float | None,
    generated_at: _dt.datetime | None,
    mode: str | None = None,
) -> _Model:
    from .. import __version__  # noqa: PLC0415
    from .runner import summarize  # noqa: PLC0415

    results = list(results)
    losses = _loss_order(results)
    backend_cols = _backend_order(results, backends)
    loss_rank = {name: i for i, name in enumerate(losses)}
    backend_rank = {name: i for i, name in enumerate(backend_cols)}

    # A torch+jax agreement check belongs to both the torch and the JAX cell, as in summarize().
    per_cell: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        for b in r.backend.split("+"):
            per_cell.setdefault((r.loss, b), []).append(r)
    cells: dict[tuple[str, str], _Cell] = {}
    for row in summarize(results):
        rs = per_cell[(row.loss, row.backend)]
        n_failed = sum(not r.ok for r in rs)
        status = _STATUS_FAIL if n_failed else (_STATUS_SKIP if all(r.skipped for r in rs) else _STATUS_PASS)
        cells[(row.loss, row.backend)] = _Cell(status, row.worst_value_error, row.gradients, n_failed)

    def order(r: CheckResult) -> tuple[Any, ...]:
        backend_key = min(backend_rank.get(b, len(backend_rank)) for b in r.backend.split("+"))
        return (r.ok, loss_rank[r.loss], backend_key, r.backend, r.check, r.skipped, r.detail, repr(r.worst))

    rows = sorted(results, key=order)
    totals = {
        "passed": sum(r.ok and not r.skipped for r in results),
        "failed": sum(not r.ok for r in results),
        "skipped": sum(r.skipped for r in results),
    }
    when = generated_at or _dt.datetime.now(_dt.timezone.utc)
    when = when.astimezone(_dt.timezone.utc) if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)
    meta = [
        ("generated", when.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("lossapi", __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("platform", platform.platform()),
        ("mode", mode or ("quick" if quick else "full")),
        ("backends", ", ".join(backend_cols) or "none"),
    ]
    if "jax" in backend_cols and os.environ.get("XLA_FLAGS"):  # how JAX compiled what it checked
        meta.append(("XLA_FLAGS", os.environ["XLA_FLAGS"]))
    if elapsed is not None:
        meta.append(("elapsed", f"{elapsed:.1f} s"))
    kinds = {check_kind(r.check) for r in results}
    legend = [(k, text) for k, text in _LEGEND if k in kinds]
    legend += [(k, "check without a description in this legend") for k in sorted(kinds - _LEGEND_KEYS)]
    return _Model(
        passed=totals["failed"] == 0,
        totals=totals,
        meta=meta,
        versions=library_versions(),
        losses=losses,
        backends=backend_cols,
        cells=cells,
        rows=rows,
        legend=legend,
    )


def _fmt_err(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "–"
    return f"{x:.1e}"


def _verdict(m: _Model) -> str:
    t = m.totals
    ran = t["passed"] + t["failed"]
    head = "PASSED" if m.passed else "FAILED"
    return f"{head}: {t['passed']} of {ran} checks passed, {t['failed']} failed, {t['skipped']} skipped"


def _cell_text(cell: _Cell) -> str:
    text = f"{cell.status} {_fmt_err(cell.worst)}"
    if cell.gradients != "n/a":
        text += f" grad {cell.gradients}"
    if cell.n_failed:
        text += f" ({cell.n_failed} failed)"
    return text


# -- Markdown ----------------------------------------------------------------------------------

# GitHub renders inline HTML and emphasis inside table cells: escape what would be swallowed.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|])")


def _md(text: Any) -> str:
    s = html.escape(str(text), quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("\r\n", "\n").replace("\n", "<br>")


def _md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(
    results: Sequence[CheckResult],
    *,
    backends: Iterable[Any],
    quick: bool,
    elapsed: float | None = None,
    generated_at: _dt.datetime | None = None,
    mode: str | None = None,
) -> str:
    """The conformance report as GitHub-flavoured Markdown.

    Parameters
    ----------
    results : sequence of CheckResult
        Every result of one :func:`~lossapi._conformance.runner.run_matrix` run.
    backends : iterable of str or Backend
        The backends that were selected (the matrix columns, in this order).
    quick : bool
        Whether the run was ``quick`` (the CLI default) or ``--full``.
    mode : str, optional
        Describes the run instead (e.g. the pytest conformance suite); default from ``quick``.
    elapsed : float, optional
        Seconds the run took.
    generated_at : datetime, optional
        Time stamp to print (default: now, UTC).

    Returns
    -------
    str
        The document.

    Examples
    --------
    >>> from lossapi._conformance.result import CheckResult
    >>> md = render_markdown([CheckResult("huber", "numpy", "values[float64]", True, 0.0)],
    ...                      backends=["numpy"], quick=True)
    >>> "| huber | pass 0.0e+00 |" in md
    True
    """
    m = _build(results, backends, quick, elapsed, generated_at, mode)
    out = ["# lossapi conformance report", "", f"**{_md(_verdict(m))}**", ""]
    out += _md_table(("run", ""), m.meta)
    out += ["", "## Library versions", ""]
    out += _md_table(("library", "version"), m.versions.items())
    out += [
        "",
        "## Matrix",
        "",
        "Each cell: status, worst relative value error (oracle values, edges, counterparts), gradient "
        "status where the backend differentiates.",
        "",
    ]
    out += _md_table(
        ("loss", *m.backends),
        (
            [loss, *(_cell_text(m.cells[(loss, b)]) if (loss, b) in m.cells else "–" for b in m.backends)]
            for loss in m.losses
        ),
    )
    out += ["", "## Legend", ""]
    out += _md_table(("check", "what it verifies"), m.legend)
    out += ["", f"## Checks ({len(m.rows)}, failures first)", ""]
    out += _md_table(
        ("loss", "backend", "check", "status", "worst error", "detail"),
        ((r.loss, r.backend, r.check, _status(r), _fmt_err(r.worst), r.detail) for r in m.rows),
    )
    return "\n".join(out) + "\n"


# -- HTML --------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; --pass: #dcf5e0; --pass-fg: #14532d; --fail: #fbd5d5; --fail-fg: #7f1d1d;
        --skip: #ececec; --skip-fg: #4b5563; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; padding: 1.2rem 1.5rem 3rem; max-width: 1400px; color: #1f2328; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 .4rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
.verdict { display: inline-block; padding: .35rem .8rem; border-radius: 6px; font-weight: 600; margin: .2rem 0 1rem; }
.verdict.pass { background: var(--pass); color: var(--pass-fg); }
.verdict.fail { background: var(--fail); color: var(--fail-fg); }
.note { color: #57606a; margin: .2rem 0 .6rem; }
table { border-collapse: separate; border-spacing: 0; margin: .3rem 0 1rem; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: left; vertical-align: top; }
thead th { position: sticky; top: 0; z-index: 1; background: #f6f8fa; border-bottom: 2px solid var(--line); }
tbody th { font-weight: 600; white-space: nowrap; }
table.meta th { font-weight: 600; color: #57606a; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
              font-size: 12.5px; }
td.pass, td.fail, td.skip { white-space: nowrap; }
.pass { background: var(--pass); color: var(--pass-fg); }
.fail { background: var(--fail); color: var(--fail-fg); font-weight: 600; }
.skip { background: var(--skip); color: var(--skip-fg); }
.na { color: #8c959f; }
.err { font-family: ui-monospace, monospace; font-size: 12.5px; }
td.detail div { max-height: 9em; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
#checks { width: 100%; }
#checks td.check { min-width: 22rem; max-width: 34rem; overflow-wrap: anywhere; }
#checks td.detail { min-width: 20rem; }
thead th { white-space: nowrap; }
.totals span { margin-right: 1rem; padding: .1rem .5rem; border-radius: 4px; }
.about { display: flex; flex-wrap: wrap; gap: 0 3rem; }
.about h2 { margin-top: .6rem; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(table_id: str, header: Sequence[str] | None, body: Iterable[str], css_class: str = "") -> str:
    cls = f' class="{css_class}"' if css_class else ""
    head = (
        ""
        if header is None
        else ("<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in header) + "</tr></thead>\n")
    )
    return f'<table id="{table_id}"{cls}>\n{head}<tbody>\n' + "\n".join(body) + "\n</tbody>\n</table>"


def _html_cell(cell: _Cell | None) -> str:
    if cell is None:
        return '<td class="na">–</td>'
    grad = "" if cell.gradients == "n/a" else f" · grad {_e(cell.gradients)}"
    failed = f" · {cell.n_failed} failed" if cell.n_failed else ""
    return (
        f'<td class="{cell.status.lower()}" title="worst relative value error">{_e(cell.status)} '
        f'<span class="err">{_e(_fmt_err(cell.worst))}</span>{grad}{failed}</td>'
    )


def render_html(
    results: Sequence[CheckResult],
    *,
    backends: Iterable[Any],
    quick: bool,
    elapsed: float | None = None,
    generated_at: _dt.datetime | None = None,
    mode: str | None = None,
) -> str:
    """The conformance report as one self-contained HTML page (inline CSS, no script).

    Parameters
    ----------
    results : sequence of CheckResult
        Every result of one :func:`~lossapi._conformance.runner.run_matrix` run.
    backends : iterable of str or Backend
        The backends that were selected (the matrix columns, in this order).
    quick : bool
        Whether the run was ``quick`` (the CLI default) or ``--full``.
    mode : str, optional
        Describes the run instead (e.g. the pytest conformance suite); default from ``quick``.
    elapsed : float, optional
        Seconds the run took.
    generated_at : datetime, optional
        Time stamp to print (default: now, UTC).

    Returns
    -------
    str
        The page, with ``<table id="matrix">`` (loss x backend) and ``<table id="checks">``.

    Examples
    --------
    >>> from lossapi._conformance.result import CheckResult
    >>> page = render_html([CheckResult("huber", "numpy", "values[float64]", False, 1.0, "a < b")],
    ...                    backends=["numpy"], quick=True)
    >>> '<table id="matrix">' in page and "a &lt; b" in page
    True
    """
    m = _build(results, backends, quick, elapsed, generated_at, mode)
    t = m.totals
    meta = _html_table("environment", None, (f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in m.meta), "meta")
    # Two columns of library versions keep the matrix near the top of the page.
    libs = list(m.versions.items())
    half = (len(libs) + 1) // 2
    versions = _html_table(
        "versions",
        None,
        (
            "<tr>"
            + "".join(
                f'<th>{_e(lib)}</th><td class="{"na" if v == _NOT_INSTALLED else "mono"}">{_e(v)}</td>'
                for lib, v in libs[i::half]
            )
            + "</tr>"
            for i in range(half)
        ),
        "meta",
    )
    matrix = _html_table(
        "matrix",
        ("loss", *m.backends),
        (
            f"<tr><th>{_e(loss)}</th>" + "".join(_html_cell(m.cells.get((loss, b))) for b in m.backends) + "</tr>"
            for loss in m.losses
        ),
    )
    legend = _html_table(
        "legend",
        ("check", "what it verifies"),
        (f'<tr><th class="mono">{_e(k)}</th><td>{_e(text)}</td></tr>' for k, text in m.legend),
    )
    checks = _html_table(
        "checks",
        ("loss", "backend", "check", "status", "worst error", "detail"),
        (
            f'<tr><td>{_e(r.loss)}</td><td>{_e(r.backend)}</td><td class="check mono">{_e(r.check)}</td>'
            f'<td class="{_status(r).lower()}">{_e(_status(r))}</td><td class="err">{_e(_fmt_err(r.worst))}</td>'
            f'<td class="detail">{f"<div>{_e(r.detail)}</div>" if r.detail else ""}</td></tr>'
            for r in m.rows
        ),
    )
    verdict_class = "pass" if m.passed else "fail"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>lossapi conformance report — {_e('passed' if m.passed else 'FAILED')}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>lossapi conformance report</h1>",
        f'<p class="verdict {verdict_class}" id="verdict">{_e(_verdict(m))}</p>',
        f'<p class="totals"><span class="pass">{t["passed"]} passed</span>'
        f'<span class="{"fail" if t["failed"] else "skip"}">{t["failed"]} failed</span>'
        f'<span class="skip">{t["skipped"]} skipped</span></p>',
        '<div class="about"><section><h2>Run</h2>',
        meta,
        "</section><section><h2>Library versions</h2>",
        versions,
        "</section></div>",
        "<h2>Matrix</h2>",
        '<p class="note">Each cell: status, worst relative value error (oracle values, edges, counterparts), '
        "gradient status where the backend differentiates, and the number of failed checks.</p>",
        matrix,
        "<h2>Legend</h2>",
        legend,
        f"<h2>Checks ({len(m.rows)}, failures first)</h2>",
        '<p class="note">Worst error: worst relative error <code>|got − want| / max(|want|, tiny)</code>; '
        "– where not applicable. Skipped checks give their reason.</p>",
        checks,
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(
    results: Sequence[CheckResult],
    path: str | Path,
    *,
    backends: Iterable[Any],
    quick: bool,
    elapsed: float | None = None,
    generated_at: _dt.datetime | None = None,
    mode: str | None = None,
) -> Path:
    """Write the conformance report to ``path``, HTML or Markdown by its suffix.

    Parameters
    ----------
    results : sequence of CheckResult
        Every result of one :func:`~lossapi._conformance.runner.run_matrix` run.
    path : str or Path
        ``*.html`` / ``*.htm`` (one self-contained page) or ``*.md`` (GitHub Markdown); missing
        parent directories are created.
    backends : iterable of str or Backend
        The backends that were selected (the matrix columns, in this order).
    quick : bool
        Whether the run was ``quick`` (the CLI default) or ``--full``.
    mode : str, optional
        Describes the run instead (e.g. the pytest conformance suite); default from ``quick``.
    elapsed : float, optional
        Seconds the run took.
    generated_at : datetime, optional
        Time stamp to print (default: now, UTC).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        When the suffix is not one of :data:`REPORT_FORMATS` (nothing is written).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lossapi._conformance.result import CheckResult
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.md"
    >>> write_report([CheckResult("huber", "numpy", "values[float64]", True, 0.0)], out,
    ...              backends=["numpy"], quick=True).name
    'report.md'
    """
    path = Path(path)
    fmt = report_format(path)
    render = render_html if fmt == "html" else render_markdown
    text = render(results, backends=backends, quick=quick, elapsed=elapsed, generated_at=generated_at, mode=mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
