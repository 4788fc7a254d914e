"""What ships with the package: its license, metadata and extras, and a README whose values are true."""

from __future__ import annotations

import doctest
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import lossapi as la

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def test_the_license_file_is_bsd3_and_ships_in_sdist_and_wheel() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License")
    assert "Neither the name of the copyright holder" in text
    assert PROJECT["license"] == "BSD-3-Clause"  # an SPDX expression (core metadata 2.4)
    assert PROJECT["license-files"] == ["LICENSE"]  # hatchling puts it in the sdist and the wheel
    assert any(req.startswith("hatchling>=1.27") for req in PYPROJECT["build-system"]["requires"])


def test_metadata_names_its_authors() -> None:
    assert PROJECT["authors"] and all(a.get("name") for a in PROJECT["authors"])


def test_the_all_extra_holds_every_cpu_extra() -> None:
    extras = PROJECT["optional-dependencies"]
    inner = re.fullmatch(r"lossapi\[(.+)\]", extras["all"][0])
    assert inner is not None
    listed = set(inner.group(1).split(","))
    # CuPy needs a CUDA toolkit: the one extra `all` leaves out.
    assert listed == set(extras) - {"all", "cupy"}
    assert "plot" in listed


def test_readme_examples_print_what_they_show() -> None:
    """Every ``>>>`` example of the README, run as a doctest."""
    parser = doctest.DocTestParser()
    text = re.sub(r"^```.*$", "", README, flags=re.M)  # a fence ends an example's expected output
    test = parser.get_doctest(text, {"np": np, "la": la}, "README.md", str(ROOT / "README.md"), 0)
    assert len(test.examples) >= 8
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} README example(s) print something else than they show"


def test_readme_quickstart_runs() -> None:
    """The first Python block (NumPy, torch, JAX) runs as written."""
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    block = re.search(r"```python\n(import numpy as np\n.*?)```", README, re.S)
    assert block is not None
    exec(compile(block.group(1), "README.md", "exec"), {})  # noqa: S102 - the README's own code


def test_readme_links_to_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if "://" in target:
            continue
        assert (ROOT / target).exists(), f"README links to {target}, which is not in the repository"


def test_docs_render_math_offline_and_fit_the_page() -> None:
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    # MathJax is bundled into the site (no CDN): formulas render without network access.
    assert '"sphinx-mathjax-offline"' in conf
    assert any(d.startswith("sphinx-mathjax-offline") for d in PYPROJECT["dependency-groups"]["docs"])
    css = (ROOT / "docs" / "_static" / "lossapi.css").read_text(encoding="utf-8")
    assert '"lossapi.css"' in conf and "dt.sig" in css and "mjx-container" in css


def test_docs_examples_run_on_a_cpu_only_machine() -> None:
    for page in (ROOT / "docs").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"```python\n(.*?)```", text, re.S):
            assert 'device="cuda"' not in block, f"{page.name}: a device-specific example fails without a GPU"
