"""The conformance report: ``lossapi check --report FILE.html|.md``.

Rendering is tested from synthetic :class:`CheckResult` lists (escaping, order, totals,
versions, matrix cells), and the command end to end on a small real run.
"""

from __future__ import annotations

import datetime as dt
import doctest
import importlib.metadata
import math
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import lossapi._conformance.runner as runner
from lossapi._conformance import report
from lossapi._conformance.report import check_kind, library_versions, render_html, render_markdown, write_report
from lossapi._conformance.result import CheckResult
from lossapi.cli import main

WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
NAN = float("nan")


class TableParser(HTMLParser):
    """Text of every cell of every ``<table id=...>``: ``tables[id]`` is a list of rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse_tables(page: str) -> dict[str, list[list[str]]]:
    parser = TableParser()
    parser.feed(page)
    parser.close()
    return parser.tables


def md_cells(line: str) -> list[str]:
    """Cells of a Markdown table line, splitting on ``|`` not escaped as ``\\|``."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def md_table(text: str, heading: str) -> list[list[str]]:
    """Rows (header first, separator dropped) of the first table after ``## heading``."""
    lines = text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("## " + heading))
    i = next(i for i in range(start, len(lines)) if lines[i].startswith("|"))
    rows = []
    while i < len(lines) and lines[i].startswith("|"):
        if not set(lines[i]) <= set("|-"):
            rows.append(md_cells(lines[i]))
        i += 1
    return rows


def synthetic() -> list[CheckResult]:
    """A small run with one failure carrying every character that needs escaping."""
    return [
        CheckResult("huber", "numpy", "values[float64,mean,none,(3, 4),{}]", True, 1e-16),
        CheckResult("huber", "torch", "gradients", True, 2e-9),
        CheckResult("cross_entropy", "numpy", "edge:saturated logits[float64]", True, 0.0),
        CheckResult(
            "cross_entropy",
            "torch",
            "values[float32,mean,none,(3, 4),{}]",
            False,
            3e-2,
            "got <b>1.0</b> | want 2.0 & more\nsecond line",
        ),
        CheckResult("cross_entropy", "torch+jax", "gradients:torch-vs-jax", True, 1e-12),
        CheckResult("cross_entropy", "jax", "jax.jit", True, 0.0),
        CheckResult("huber", "cupy", "backend", True, NAN, "cupy is not installed", skipped=True),
        CheckResult("cross_entropy", "cupy", "backend", True, NAN, "cupy is not installed", skipped=True),
        CheckResult(
            "huber",
            "jax",
            "counterpart:optax[mean,{'delta': 1.0},weighted=False]",
            False,
            float("inf"),
            "optax raised TypeError: a|b",
        ),
    ]


BACKENDS = ["numpy", "torch", "jax", "cupy"]


def html_of(results: list[CheckResult], **kw) -> str:
    kw.setdefault("backends", BACKENDS)
    kw.setdefault("quick", True)
    return render_html(results, generated_at=WHEN, **kw)


def md_of(results: list[CheckResult], **kw) -> str:
    kw.setdefault("backends", BACKENDS)
    kw.setdefault("quick", True)
    return render_markdown(results, generated_at=WHEN, **kw)


def test_html_escapes_every_text():
    page = html_of(synthetic())
    assert "<b>" not in page and "&lt;b&gt;1.0&lt;/b&gt; | want 2.0 &amp; more" in page
    assert "{&#x27;delta&#x27;: 1.0}" in page  # quotes escaped too (attribute-safe)
    checks = parse_tables(page)["checks"]
    detail = next(row[5] for row in checks if row[2].startswith("values[float32"))
    assert detail == "got <b>1.0</b> | want 2.0 & more second line"  # round-trips as text


def test_html_is_self_contained():
    page = html_of(synthetic())
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<style>" in page and "position: sticky" in page
    for external in ("<script", "<link", "src=", "http://", "https://", "@import", "url("):
        assert external not in page


def test_html_tables_and_colours():
    tables = parse_tables(html_of(synthetic()))
    matrix = tables["matrix"]
    assert matrix[0] == ["loss", *BACKENDS]
    cells = {row[0]: dict(zip(BACKENDS, row[1:])) for row in matrix[1:]}
    assert list(cells) == ["cross_entropy", "huber"]  # catalog order, not input order
    assert cells["huber"]["numpy"].startswith("pass 1.0e-16")
    assert cells["huber"]["torch"] == "pass – · grad ok"
    assert cells["huber"]["jax"].startswith("FAIL inf") and "1 failed" in cells["huber"]["jax"]
    assert cells["huber"]["cupy"].startswith("skip")
    # the torch+jax agreement check belongs to the torch and the JAX cell
    assert cells["cross_entropy"]["torch"].startswith("FAIL 3.0e-02 · grad ok")
    assert cells["cross_entropy"]["jax"] == "pass – · grad ok"
    page = html_of(synthetic())
    assert '<td class="fail"' in page and '<td class="pass"' in page and '<td class="skip"' in page


def test_failures_first_then_catalog_order_and_deterministic():
    results = synthetic()
    tables = parse_tables(html_of(results))
    rows = tables["checks"][1:]
    assert len(rows) == len(results)
    statuses = [row[3] for row in rows]
    assert statuses[:2] == ["FAIL", "FAIL"] and "FAIL" not in statuses[2:]
    assert [row[0] for row in rows[:2]] == ["cross_entropy", "huber"]
    rest = [(row[0], row[1]) for row in rows[2:]]
    assert rest.index(("cross_entropy", "numpy")) < rest.index(("huber", "numpy"))
    assert rest.index(("huber", "numpy")) < rest.index(("huber", "torch")) < rest.index(("huber", "cupy"))
    skipped = [row for row in rows if row[3] == "skip"]
    assert skipped and all(row[5] == "cupy is not installed" for row in skipped)
    shuffled = results[:]
    random.Random(3).shuffle(shuffled)
    assert html_of(shuffled) == html_of(results)
    assert md_of(shuffled) == md_of(results)


@pytest.mark.parametrize("render", [html_of, md_of], ids=["html", "md"])
def test_totals_mode_and_elapsed(render):
    text = render(synthetic(), quick=False, elapsed=12.345)
    assert "FAILED: 5 of 7 checks passed, 2 failed, 2 skipped" in text
    assert "2026-01-02 03:04:05 UTC" in text and "12.3 s" in text and "full" in text
    passing = [r for r in synthetic() if r.ok]
    assert "PASSED: 5 of 5 checks passed, 0 failed, 2 skipped" in render(passing)


@pytest.mark.parametrize("render", [html_of, md_of], ids=["html", "md"])
def test_versions_of_every_library(render, monkeypatch):
    real = importlib.metadata.version

    def version(dist: str) -> str:
        if dist == "optax":  # pretend one library is missing
            raise importlib.metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(report.importlib.metadata, "version", version)
    versions = library_versions()
    assert list(versions) == [
        "numpy",
        "array-api-strict",
        "array-api-compat",
        "torch",
        "jax",
        "jaxlib",
        "dask",
        "cupy",
        "optax",
        "keras",
        "torchvision",
        "monai",
        "segmentation-models-pytorch",
        "pytorch-metric-learning",
        "scikit-learn",
        "scipy",
    ]
    assert versions["numpy"] == real("numpy") and versions["optax"] == "not installed"
    text = render(synthetic())
    if render is html_of:
        rows = [c for row in parse_tables(text)["versions"] for c in row]
        got = dict(zip(rows[::2], rows[1::2]))
    else:
        got = dict(md_table(text, "Library versions")[1:])
    assert got == versions
    assert "lossapi" in text and "Python" in text and "platform" in text


def test_markdown_escapes_and_keeps_table_shape():
    text = md_of(synthetic())
    assert "<b>" not in text and "&lt;b&gt;1.0&lt;/b&gt; \\| want 2.0 &amp; more<br>second line" in text
    for heading in ("Matrix", "Legend", "Checks"):
        rows = md_table(text, heading)
        assert len({len(r) for r in rows}) == 1, heading  # no stray | split a row
    checks = md_table(text, "Checks")
    assert checks[0] == ["loss", "backend", "check", "status", "worst error", "detail"]
    assert [r[3] for r in checks[1:3]] == ["FAIL", "FAIL"] and len(checks) == len(synthetic()) + 1
    matrix = md_table(text, "Matrix")
    assert matrix[0] == ["loss", *BACKENDS] and [r[0] for r in matrix[1:]] == ["cross_entropy", "huber"]


def test_legend_describes_the_runner_check_names():
    names = [
        "values[float64,mean,none,(3, 4),{}]",
        "edge:zero[float32]",
        "counterpart:torch[mean,{},weighted=False]",
        "gradients",
        "gradients:edges",
        "gradients:where",
        "gradients:zero-weight",
        "gradients:torch-vs-jax",
        "second-derivatives",
        "jax.jit",
        "jax.vmap",
        "jax.grad(jit)",
        "jax.jit(traced options)",
        "torch.func.grad",
        "torch.func.grad[generic]",
        "torch.func.vmap",
        "torch.compile[eager]",
        "torch.compile[inductor,generic]",
        "native-vs-generic",
        "placement:namespace",
        "placement:dtype[float16]",
        "placement:device",
        "placement:dask-lazy",
        "case",
        "backend",
        "internal",
    ]
    results = [CheckResult("huber", "numpy", n, True, 0.0) for n in names]
    legend = parse_tables(html_of(results))["legend"][1:]
    kinds = [row[0] for row in legend]
    assert sorted(kinds) == sorted({check_kind(n) for n in names})
    assert "check without a description in this legend" not in html_of(results)
    unknown = html_of([*results, CheckResult("huber", "numpy", "brand-new[x]", True, 0.0)])
    assert "brand-new" in unknown and "check without a description in this legend" in unknown


def test_write_report_by_suffix(tmp_path):
    results = synthetic()
    html_path = write_report(results, tmp_path / "sub" / "r.HTM", backends=BACKENDS, quick=True)
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    md_path = write_report(results, tmp_path / "r.md", backends=BACKENDS, quick=True)
    assert md_path.read_text(encoding="utf-8").startswith("# lossapi conformance report")
    for bad in ("r.txt", "report", "r.html.gz"):
        with pytest.raises(ValueError, match=r"\.html, \.htm, \.md"):
            write_report(results, tmp_path / bad, backends=BACKENDS, quick=True)
        assert not (tmp_path / bad).exists()


def test_docstring_examples():
    result = doctest.testmod(report)
    assert result.attempted > 0 and result.failed == 0


def test_cli_unknown_suffix_exits_2_before_running(tmp_path, capsys, monkeypatch):
    def must_not_run(**kwargs):
        raise AssertionError("the matrix ran although the report name is invalid")

    monkeypatch.setattr(runner, "run_matrix", must_not_run)
    assert main(["check", "--backends", "numpy", "--no-progress", "--report", str(tmp_path / "r.pdf")]) == 2
    err = capsys.readouterr().err
    assert "--report" in err and "r.pdf" in err and ".html" in err and ".md" in err
    assert not (tmp_path / "r.pdf").exists()


def test_cli_writes_report_when_checks_fail(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "run_matrix", lambda **kwargs: synthetic())
    out = tmp_path / "failing.html"
    assert main(["check", "--backends", "numpy", "--no-progress", "--report", str(out)]) == 1
    captured = capsys.readouterr()
    assert f"report written to {out.resolve()}" in captured.err
    assert "check(s) FAILED" in captured.out  # the console matrix is still printed
    assert "FAILED: 5 of 7 checks passed" in out.read_text(encoding="utf-8")


def test_cli_end_to_end(tmp_path: Path, capsys):
    html_path, md_path = tmp_path / "r.html", tmp_path / "r.md"
    argv = [
        "check",
        "--backends",
        "numpy",
        "--losses",
        "huber,cross_entropy",
        "--no-progress",
        "--report",
        str(html_path),
        "--report",
        str(md_path),
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "huber" in captured.out and "all " in captured.out
    for path in (html_path, md_path):
        assert f"report written to {path.resolve()}" in captured.err
    tables = parse_tables(html_path.read_text(encoding="utf-8"))
    assert tables["matrix"][0] == ["loss", "numpy"]
    assert [row[0] for row in tables["matrix"][1:]] == ["cross_entropy", "huber"]
    assert all(row[1].startswith("pass") for row in tables["matrix"][1:])
    checks = tables["checks"][1:]
    assert {row[0] for row in checks} == {"huber", "cross_entropy"} and {row[1] for row in checks} == {"numpy"}
    assert any(row[2].startswith("counterpart:torch") for row in checks)
    md = md_path.read_text(encoding="utf-8")
    matrix = md_table(md, "Matrix")
    assert matrix[0] == ["loss", "numpy"] and [r[0] for r in matrix[1:]] == ["cross_entropy", "huber"]
    assert len(md_table(md, "Checks")) == len(checks) + 1
    assert "PASSED" in md and "check without a description" not in md


# -- the report of a pytest suite run: aggregation and result files ------------------------------


def test_aggregate_folds_configurations_per_check() -> None:
    from lossapi._conformance.report import aggregate

    rs = [
        CheckResult("mse", "numpy", "values[float64,mean]", True, 1e-16),
        CheckResult("mse", "numpy", "values[float32,sum]", True, 2e-7),
        CheckResult("mse", "numpy", "edge:e = 0[float64]", True, 0.0),
        CheckResult("mse", "torch", "values[float64,mean]", False, 0.5, "got 1.5, want 1.0"),
        CheckResult("mse", "torch", "values[float16,mean]", True, 1e-3),
        CheckResult("mse", "cupy", "values[float64,mean]", True, skipped=True, detail="no GPU"),
        CheckResult("mse", "cupy", "values[float32,mean]", True, skipped=True, detail="no GPU"),
    ]
    got = {(r.backend, r.check): r for r in aggregate(rs)}
    assert set(got) == {
        ("numpy", "values (2 checks)"),
        ("numpy", "edge:e = 0 (1 check)"),
        ("torch", "values (2 checks)"),
        ("cupy", "values (2 checks)"),
    }
    numpy_values = got[("numpy", "values (2 checks)")]
    assert numpy_values.ok and not numpy_values.skipped and numpy_values.worst == 2e-7
    torch_values = got[("torch", "values (2 checks)")]
    assert not torch_values.ok and torch_values.worst == 0.5
    assert "1 of 2 failed" in torch_values.detail and "want 1.0" in torch_values.detail
    cupy_values = got[("cupy", "values (2 checks)")]
    assert cupy_values.skipped and cupy_values.ok and cupy_values.detail == "no GPU"
    # The legend still recognises aggregated names.
    assert check_kind("values (2 checks)") == "values"
    assert check_kind("edge:e = 0 (1 check)") == "edge"


def test_saved_results_round_trip(tmp_path: Path) -> None:
    from lossapi._conformance.report import load_results, save_results

    rs = [
        CheckResult("mse", "numpy", "values", True, float("nan")),
        CheckResult("ctc", "torch", "gradients", False, float("inf"), "NaN gradient | row 3"),
    ]
    save_results(rs[:1], tmp_path / "a.jsonl")
    save_results(rs[1:], tmp_path / "a.jsonl")  # appends
    back = load_results([tmp_path / "a.jsonl"])
    assert [(r.loss, r.check, r.ok, r.detail) for r in back] == [(r.loss, r.check, r.ok, r.detail) for r in rs]
    assert math.isnan(back[0].worst) and back[1].worst == float("inf")


def test_conformance_suite_writes_the_report(tmp_path: Path) -> None:
    """LOSSAPI_REPORT_DIR makes a conformance run leave report.md/html, aggregated."""
    import os
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    env = {**os.environ, "LOSSAPI_REPORT_DIR": str(tmp_path), "LOSSAPI_TEST_BACKENDS": "numpy", "JAX_ENABLE_X64": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "conformance/test_values.py",
            "-k",
            "huber and shapes",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "pytest conformance suite" in md and "| huber |" in md
    assert "values (" in md and (tmp_path / "report.html").exists()
    assert not (tmp_path / "parts").exists()


@pytest.mark.parametrize("render", [html_of, md_of], ids=["html", "md"])
def test_states_how_jax_compiled(render, monkeypatch):
    jax_run = [CheckResult("huber", "jax", "gradients", True, 1e-12)]
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=0")
    assert "--xla_backend_optimization_level=0" in render(jax_run, backends=["numpy", "jax"])
    numpy_run = [CheckResult("huber", "numpy", "values", True, 1e-16)]
    assert "XLA_FLAGS" not in render(numpy_run, backends=["numpy"])  # no JAX: not stated
    monkeypatch.delenv("XLA_FLAGS")
    assert "XLA_FLAGS" not in render(jax_run, backends=["numpy", "jax"])
