"""The catalog is the single source of truth: every public loss is registered and tested."""

from __future__ import annotations

import inspect

import pytest

import lossapi as la
from lossapi import losses
from lossapi._catalog import COMMON_KEYWORDS, FAMILIES

ALIASES = {
    "mse": "mean_squared_error",
    "rmse": "root_mean_squared_error",
    "mae": "mean_absolute_error",
    "bce": "binary_cross_entropy",
}
PUBLIC = sorted(n for n in losses.__all__ if n not in ALIASES)
RECORDS = {r.name: r for r in la.catalog()}


def test_catalog_is_not_empty_and_names_are_unique():
    recs = la.catalog()
    assert len(recs) >= len(PUBLIC) > 0
    assert len({r.name for r in recs}) == len(recs)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_loss_is_registered(name):
    assert name in RECORDS, f"lossapi.{name} is public but not in lossapi.catalog()"
    assert RECORDS[name].fn is getattr(la, name)
    assert getattr(la, name) is getattr(losses, name)


def test_every_registered_loss_is_public():
    for name, rec in RECORDS.items():
        assert getattr(la, name, None) is rec.fn, name
        assert name in la.__all__


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_record_fields(name):
    rec = RECORDS[name]
    assert rec.family in FAMILIES
    for attr in ("task", "formula", "summary"):
        value = getattr(rec, attr)
        assert isinstance(value, str) and value.strip(), f"{name}.{attr} is empty"
    sig = inspect.signature(rec.fn)
    positional = tuple(p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.POSITIONAL_ONLY)
    assert positional, f"{name} has no positional-only inputs"
    assert rec.inputs == positional
    assert tuple(rec.input_spaces) == positional or set(rec.input_spaces) == set(positional)
    assert all(isinstance(s, str) and s for s in rec.input_spaces.values())
    # the docstring's first line is the summary
    assert inspect.getdoc(rec.fn).splitlines()[0] == rec.summary
    d = rec.as_dict()
    assert d["name"] == name and d["inputs"] == list(positional)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_options_equal_keyword_only_options(name):
    rec = RECORDS[name]
    sig = inspect.signature(rec.fn)
    kwonly = {
        p.name: p.default
        for p in sig.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in COMMON_KEYWORDS
    }
    assert dict(rec.options) == kwonly
    # every loss takes the shared keywords
    for common in ("sample_weight", "where", "reduction"):
        assert common in sig.parameters, f"{name} lacks {common}="
        assert sig.parameters[common].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["reduction"].default == "mean"
    assert rec.has_axis == ("axis" in sig.parameters)
    # no positional-or-keyword parameters: everything after the inputs is keyword-only
    assert not [p for p in sig.parameters.values() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]


@pytest.mark.parametrize("alias", sorted(a for a in ALIASES if a in losses.__all__))
def test_aliases_resolve(alias):
    target = ALIASES[alias]
    rec = la.lookup_loss(alias)
    assert rec.name == target
    assert rec is la.lookup_loss(target)
    assert alias in rec.aliases
    assert getattr(la, alias) is rec.fn
    assert alias not in RECORDS  # an alias is not a second record


def test_only_documented_aliases():
    declared = {a for r in RECORDS.values() for a in r.aliases}
    assert declared <= set(ALIASES)
    assert {n for n in losses.__all__ if n in ALIASES} == {a for a in declared if a in losses.__all__}


def test_lookup_unknown_name():
    with pytest.raises(KeyError, match="no_such_loss"):
        la.lookup_loss("no_such_loss")


def test_catalog_filters():
    reg = la.catalog(family="regression")
    assert reg and all(r.family == "regression" for r in reg)
    assert "huber" in {r.name for r in reg}
    assert la.catalog(family="regression", task="no such task") == ()


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_registered_loss_has_a_conformance_case(name):
    from lossapi._conformance.cases import CASES

    assert name in CASES, f"{name} has no conformance case in lossapi._conformance.cases.CASES"
    case = CASES[name]
    assert case.name == name
    rec = RECORDS[name]
    assert set(case.differentiable) <= set(rec.inputs)
    import inspect

    # Loss options, plus `axis` where the loss has one; `_`-prefixed keys are case-only.
    allowed = set(rec.options) | ({"axis"} if "axis" in inspect.signature(rec.fn).parameters else set())
    for opts in case.options:
        used = {k for k in opts if not k.startswith("_")}
        assert used <= allowed, f"{name}: case options {used} not in {allowed}"


def test_no_conformance_case_without_a_loss():
    from lossapi._conformance.cases import CASES

    assert set(CASES) <= set(RECORDS)


def test_conformance_cases_need_only_runtime_dependencies():
    """`lossapi check` runs on a machine with only lossapi's runtime dependencies: loading
    every case, oracle and counterpart mapping imports no SciPy and no framework."""
    import subprocess
    import sys

    code = (
        "import sys; from lossapi._conformance.grad_checks import load_cases; load_cases(); "
        "import lossapi._conformance.counterparts; "
        "bad = sorted({m.split('.')[0] for m in sys.modules} "
        "& {'scipy', 'sklearn', 'torch', 'jax', 'keras', 'optax'}); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
