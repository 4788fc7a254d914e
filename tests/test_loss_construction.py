"""How every loss is built: a catalog record and a formula body, one generated wrapper.

The wrapper (``lossapi._loss``) does the plumbing once for every loss; these tests keep it that
way: each public loss is generated from its record, its body lives in its family module and is
formula only (no namespace resolution, no reduction, no option checks, no loss-name literals),
its signature is the record's, and its docstring documents every option once.
"""

from __future__ import annotations

import ast
import inspect
import statistics
import textwrap

import pytest

import lossapi as la

RECORDS = la.catalog()
#: Plumbing a body must not call: the wrapper and the kinds do it.
PLUMBING = {
    "get_namespace",
    "namespace_of",
    "array_namespace",
    "floating_inputs",
    "reduce",
    "finish_elements",
    "mask_inputs",
    "check_where",
    "prepare_classes",
    "check_args",
}


def _body_ast(rec: la.LossRecord) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(rec.body)))
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    return fn


def _code_lines(fn: ast.FunctionDef, source: list[str]) -> int:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    lines = {
        ln
        for node in body
        for ln in range(node.lineno, node.end_lineno + 1)
        if source[ln - 1].strip() and not source[ln - 1].strip().startswith("#")
    }
    return len(lines)


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r.name)
def test_the_public_function_is_generated_from_the_record(rec: la.LossRecord) -> None:
    assert rec.body is not None and rec.fn is not rec.body
    assert rec.fn.__code__.co_filename == f"<lossapi.{rec.name}>"
    assert rec.body.__module__ == rec.fn.__module__ and rec.body.__module__.startswith("lossapi.losses.")
    sig = inspect.signature(rec.fn)
    params = list(sig.parameters.values())
    inputs = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_ONLY]
    assert tuple(inputs) == rec.inputs
    keywords = [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    shared = ["sample_weight", "where", "reduction", *(["axis"] if rec.has_axis else []), "xp"]
    assert keywords == [*rec.options, *shared]
    assert all(
        sig.parameters[o].default is rec.options[o] or sig.parameters[o].default == rec.options[o] for o in rec.options
    )
    assert set(rec.constraints) == set(rec.options)


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r.name)
def test_the_body_is_formula_only(rec: la.LossRecord) -> None:
    fn = _body_ast(rec)
    statements = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body  # not the decorator, not the docstring
    nodes = [n for st in statements for n in ast.walk(st)]
    calls = {
        n.func.id if isinstance(n.func, ast.Name) else n.func.attr
        for n in nodes
        if isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute))
    }
    assert not calls & PLUMBING, f"{rec.name} calls {sorted(calls & PLUMBING)}"
    strings = {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not strings & {rec.name, *rec.aliases}, f"{rec.name}: a loss-name literal in its body"
    assert not any(" sample_weight where" in s for s in strings), f"{rec.name}: a names string in its body"


def test_median_body_is_short() -> None:
    lengths = []
    for rec in RECORDS:
        src = textwrap.dedent(inspect.getsource(rec.body)).splitlines()
        lengths.append(_code_lines(ast.parse("\n".join(src)).body[0], src))
    assert statistics.median(lengths) <= 6, sorted(lengths)


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r.name)
def test_docstring_documents_every_parameter_once(rec: la.LossRecord) -> None:
    doc = rec.fn.__doc__
    assert doc.splitlines()[0] == rec.summary
    params = doc.split("Parameters\n----------\n", 1)[1].split("\n\n", 1)[0]
    names = [
        n.strip()
        for line in params.splitlines()
        if line and not line[0].isspace()
        for n in line.split(":")[0].split(",")
    ]
    expected = [
        *rec.inputs,
        *rec.options,
        "sample_weight",
        "where",
        "reduction",
        *(["axis"] if rec.has_axis else []),
        "xp",
    ]
    assert sorted(names) == sorted(expected), (rec.name, names)
    assert "Returns\n-------" in doc
