"""Generate the porting guide (``porting.md``) and its test page (``porting_tests.md``).

The guide is printed from ``conformance/porting.py``'s ``ENTRIES``, the table that
``conformance/test_porting.py`` runs: each code string on the page is exactly what the test
evaluates, and each entry names (and links) the test ids that check it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# The table lives beside the test that runs it, outside the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "conformance"))
import porting  # noqa: E402

_TEST_FILE = "conformance/test_porting.py"


def _label(key: str) -> str:
    return f"porting-{key}"


def _node(e: porting.Entry, r: porting.Row) -> str:
    return f"{_TEST_FILE}::test_porting[{e.key}-{porting.row_id(r)}]"


def _fmt(value: float | tuple[float, ...]) -> str:
    vals = np.atleast_1d(np.asarray(value, dtype=np.float64))
    text = ", ".join(np.format_float_positional(v, precision=6, trim="-") for v in vals)
    return text if np.ndim(value) == 0 else f"[{text}]"


def _checked(r: porting.Row) -> str:
    if not r.same:
        return "**differs by design**: the test asserts the two results are not equal"
    live = f"equal, rtol {r.tolerance:g}"
    if r.recorded is None:
        return live
    check = f" by `{r.check}`" if r.check else ""
    note = f" ({r.note})" if r.note else ""
    return f"{live}; without {r.library}: recorded `{_fmt(r.recorded)}`{note}{check}, atol {r.atol:g}"


def _library(r: porting.Row) -> str:
    return f"{r.library} ({r.variant})" if r.variant else r.library


def _entry(e: porting.Entry) -> list[str]:
    out = [f"({_label(e.key)})=", f"### {e.title}", "", e.explanation, ""]
    out += [f"*Covers:* {'; '.join(e.sources)}.", "", "Inputs (NumPy):", "", "```python", e.setup, "```", ""]
    out += ["| Library | Library call | lossapi call | Checked |", "|---|---|---|---|"]
    for r in e.rows:
        out.append(f"| {_library(r)} | `{r.call}` | `{r.lossapi}` | {_checked(r)} |")
    out += ["", "Tested by " + ", ".join(f"[`{_node(e, r)}`](porting_tests.md)" for r in e.rows) + ".", ""]
    out += ["```bash", "pytest " + " ".join(f'"{_node(e, r)}"' for r in e.rows), "```", ""]
    return out


def _namespace_note() -> list[str]:
    libs = "\n".join(f"- **{name}**: {desc}" for name, (_, desc) in porting.LIBRARIES.items())
    return [
        "## How to read the tables",
        "",
        "Each entry runs its *Inputs* block first (NumPy float64 / int64 arrays), then every row: "
        "the library call and the lossapi call are evaluated on those inputs and compared "
        "(`rtol` 1e-6; keras computes in float32: 1e-5). Where a library cannot be installed, "
        "the row is compared with that library's value recorded for the same inputs, and a "
        "row with neither is skipped with the reason. Rows marked *differs by design* show a "
        "convention lossapi keeps on purpose.",
        "",
        "Names used in the code: `np` (NumPy), `la` (`import lossapi as la`); for torch rows "
        "`torch`, `F` (`torch.nn.functional`), `T(a)` (`torch.as_tensor(a)`, dtype kept) and "
        "`torch_grad(f, a)` (the gradient of `f` at `a`); for optax/JAX rows `jax`, `jnp`, "
        "`optax`; `keras` (run with `KERAS_BACKEND=jax`); `metrics` (`sklearn.metrics`); `ops` "
        "(`torchvision.ops`), `smp`, `monai`; `oracles` (the conformance suite's independent "
        "NumPy references, for libraries that cannot be installed). The table lives in "
        "`conformance/porting.py`; the tests in "
        f"[`{_TEST_FILE}`](porting_tests.md) (run them all with "
        f"`JAX_ENABLE_X64=1 KERAS_BACKEND=jax pytest {_TEST_FILE}`).",
        "",
        "Library versions the recorded values come from:",
        "",
        libs,
        "",
    ]


def _contents() -> list[str]:
    out = ["## Contents", "", "| Topic | Difference | Rows |", "|---|---|---|"]
    for topic, entries in porting.by_topic().items():
        for e in entries:
            out.append(f"| {topic} | {{ref}}`{e.title} <{_label(e.key)}>` | {len(e.rows)} |")
    return [*out, ""]


def guide_markdown() -> str:
    """The porting guide page (MyST markdown)."""
    lines = [
        "(porting-guide)=",
        "# Porting guide",
        "",
        "Every semantic difference between torch, optax, keras, sklearn (and torchvision, "
        "segmentation_models_pytorch, MONAI, pytorch_metric_learning) that lossapi users meet, "
        "with the lossapi call that reproduces each library. Every row is a test: "
        "the code below is exactly what `conformance/test_porting.py` runs.",
        "",
    ]
    lines += _namespace_note() + _contents()
    for topic, entries in porting.by_topic().items():
        if entries:
            lines += [f"## {topic}", ""]
            for e in entries:
                lines += _entry(e)
    return "\n".join(lines).rstrip() + "\n"


def tests_markdown() -> str:
    """The page that shows the test module the guide links to."""
    return "\n".join(
        [
            "(porting-tests)=",
            "# Porting guide tests",
            "",
            "`conformance/test_porting.py` runs every row of the {ref}`porting guide <porting-guide>`: "
            "`test_porting[<entry>-<library>]` evaluates the row's lossapi call and compares it with "
            "the library's call (or the recorded value), and `test_checklist_covered` fails when an "
            "entry for a known difference between the libraries is missing.",
            "",
            "```{literalinclude} ../../conformance/test_porting.py",
            ":language: python",
            ":linenos:",
            "```",
            "",
        ]
    )


def write(outdir: Path) -> None:
    """Write ``porting.md`` and ``porting_tests.md`` into ``outdir``.

    Parameters
    ----------
    outdir : pathlib.Path
        The generated-pages folder (``docs/generated/``); created if missing.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> write(d)
    >>> sorted(p.name for p in d.iterdir())
    ['porting.md', 'porting_tests.md']
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "porting.md").write_text(guide_markdown(), encoding="utf-8")
    (outdir / "porting_tests.md").write_text(tests_markdown(), encoding="utf-8")
