"""Sphinx extension: generate the catalog-driven pages before Sphinx reads the sources.

On ``builder-inited`` it (re)writes ``docs/generated/``:

- ``losses/`` — one page per catalog loss with its formula, shapes, options, properties,
  counterparts and a plot of the loss and its gradient computed by lossapi (``gen_losses``),
  plus the gallery comparing the regression and the classification losses;
- ``porting.md`` and ``porting_tests.md`` — the porting guide, from the table the porting
  tests run (``gen_porting``);
- ``report_body.md`` — the conformance report in ``docs/_report/`` (written by the conformance
  suite under ``nox -s all``, or by ``lossapi check --report`` in ``nox -s docs``), or a note
  saying how to produce one.

Nothing in ``generated/`` is written by hand or committed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import gen_losses
import gen_porting

#: Where ``nox -s docs`` puts the report of its ``lossapi check`` run.
REPORT_DIR = Path(__file__).parent.parent / "_report"


def _report_body(out: Path) -> None:
    md, html = REPORT_DIR / "report.md", REPORT_DIR / "report.html"
    if md.exists():
        text = md.read_text(encoding="utf-8")
        # The report's headings nest under the page's "The published report" section.
        lines = ["##" + line if line.startswith("#") else line for line in text.splitlines()]
        link = "Standalone HTML version: {download}`report.html <_report/report.html>`.\n\n" if html.exists() else ""
        body = link + "\n".join(lines) + "\n"
    else:
        body = (
            "This build ran without a report: `nox -s all` (the conformance suite) or "
            "`lossapi check --report docs/_report/report.md --report docs/_report/report.html` "
            "writes one.\n"
        )
    (out / "report_body.md").write_text(body, encoding="utf-8")


def _generate(app: Any) -> None:
    out = Path(app.srcdir) / "generated"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    gen_losses.write(out)
    gen_porting.write(out)
    _report_body(out)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
