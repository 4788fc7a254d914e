"""The package's import structure, read from the source (every import, also inside functions).

- no import cycle between lossapi's modules;
- the conformance oracles never import the implementation they check (an oracle sharing code
  with a loss would share its bugs);
- the leaf modules import nothing of lossapi.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "lossapi"


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = p.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The lossapi modules ``name`` imports (an imported name that is a module counts as it)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names]
        out.update(t for t in targets if t in MODULES and t != name)
    return out


GRAPH = {m: _imports(m) for m in MODULES}


def _cycle_from(start: str) -> list[str] | None:
    path: list[str] = []
    on_path: set[str] = set()
    done: set[str] = set()

    def visit(m: str) -> list[str] | None:
        if m in on_path:
            return [*path[path.index(m) :], m]
        if m in done:
            return None
        path.append(m)
        on_path.add(m)
        for n in sorted(GRAPH[m]):
            found = visit(n)
            if found:
                return found
        path.pop()
        on_path.discard(m)
        done.add(m)
        return None

    return visit(start)


def test_the_reader_sees_the_package() -> None:
    assert "lossapi._loss" in GRAPH and "lossapi._catalog" in GRAPH["lossapi._loss"]


def test_no_import_cycles() -> None:
    for m in sorted(GRAPH):
        cycle = _cycle_from(m)
        assert cycle is None, "import cycle: " + " -> ".join(cycle)


LEAVES = ("lossapi._errors", "lossapi._array", "lossapi._catalog")


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaf_modules_import_nothing_of_lossapi(leaf: str) -> None:
    assert GRAPH[leaf] <= {"lossapi._errors"} - {leaf}, (leaf, GRAPH[leaf])


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        m = todo.pop()
        for n in GRAPH[m]:
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


#: The conformance family modules (``lossapi/_conformance/families/``): oracles, cases and counterparts.
ORACLE_MODULES = sorted(m for m in MODULES if m.startswith("lossapi._conformance.families."))


def test_there_are_oracle_modules() -> None:
    assert len(ORACLE_MODULES) >= 10


@pytest.mark.parametrize("name", ORACLE_MODULES)
def test_oracles_are_independent_of_the_implementation(name: str) -> None:
    """An oracle module reaches neither the losses nor the layers they are built from."""
    forbidden = {m for m in MODULES if m.startswith("lossapi.losses")} | {
        "lossapi",
        "lossapi._loss",
        "lossapi._ops",
        "lossapi._reduction",
        "lossapi._validation",
        "lossapi._native",
        "lossapi._dispatch",
    }
    bad = _reachable(name) & forbidden
    assert not bad, f"{name} imports {sorted(bad)}"
