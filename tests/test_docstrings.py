"""The runnable examples in the public docstrings and docs pages stay correct.

Every example runs twice: on NumPy as written, and on array-api-strict, the strictest
implementation of the standard. For the second run the examples' ``np`` creates
array-api-strict arrays (``np.array``, ``np.zeros``, ... and ``np.log`` of a strict array go
to array-api-strict), and ``la`` checks that each loss returns an array-api-strict array before
handing it back as a NumPy array, so the printed numbers are compared with the same expected
output.
"""

from __future__ import annotations

import doctest
import functools
import importlib
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lossapi

MODULES = [
    "lossapi",
    "lossapi._catalog",
    "lossapi._value_checks",
    "lossapi.losses.regression",
    "lossapi.losses.classification",
    "lossapi.losses.margin",
    "lossapi.losses.focal",
    "lossapi.losses.divergence",
    "lossapi.losses.embedding",
    "lossapi.losses.ranking",
    "lossapi.losses.segmentation",
    "lossapi.losses.detection",
    "lossapi.losses.sequence",
    "lossapi.losses.reinforcement",
    "lossapi.losses.generative",
    "lossapi.composition",
    "lossapi.monitor",
    "lossapi.recommend",
    "lossapi.plotting",
    "lossapi.testing",
    "lossapi._conformance.report",
]

#: Modules whose examples compute with arrays (the others print records and text).
ARRAY_MODULES = [
    m
    for m in MODULES
    if m.startswith(("lossapi.losses", "lossapi.composition")) or m in ("lossapi", "lossapi._value_checks")
]

DOCS = Path(__file__).parent.parent / "docs"
PAGES = sorted(p for p in DOCS.glob("*.md") if ">>>" in p.read_text(encoding="utf-8"))

FLAGS = doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_docs_page_examples(page: Path) -> None:
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS)
    assert result.failed == 0


# -- the same examples on array-api-strict -------------------------------------------------------

_CREATION = ("array", "asarray", "zeros", "ones", "full", "arange", "linspace", "eye", "zeros_like", "ones_like")


def _strict_array_type(xp: Any) -> type:
    return type(xp.asarray(0.0))


def _strict_numpy(xp: Any) -> types.SimpleNamespace:
    """A stand-in for ``numpy`` whose arrays are array-api-strict arrays."""
    array = _strict_array_type(xp)

    def creator(name: str) -> Any:
        f = getattr(np, name)

        @functools.wraps(f)
        def make(*args: Any, **kwargs: Any) -> Any:
            return xp.asarray(f(*args, **kwargs))

        return make

    def elementwise(name: str) -> Any:
        f, g = getattr(np, name), getattr(xp, name)

        @functools.wraps(f)
        def apply(*args: Any, **kwargs: Any) -> Any:
            strict = any(isinstance(a, array) for a in args)
            return g(*args, **kwargs) if strict else f(*args, **kwargs)

        return apply

    ns: dict[str, Any] = {}
    for name in dir(np):
        if name.startswith("_"):
            continue
        if name in _CREATION:
            ns[name] = creator(name)
        elif callable(getattr(np, name)) and hasattr(xp, name) and not isinstance(getattr(np, name), type):
            ns[name] = elementwise(name)
        else:
            ns[name] = getattr(np, name)
    return types.SimpleNamespace(**ns)


def _checked_lossapi(xp: Any) -> types.SimpleNamespace:
    """``lossapi`` whose functions must return array-api-strict arrays for strict inputs."""
    array = _strict_array_type(xp)

    def wrap(name: str, f: Any) -> Any:
        @functools.wraps(f)
        def call(*args: Any, **kwargs: Any) -> Any:
            # A loss passed to another (mixup's loss_fn) must stay unwrapped inside it.
            args = tuple(getattr(a, "_unchecked", a) for a in args)
            out = f(*args, **kwargs)
            inputs = [*args, *kwargs.values()]
            if any(isinstance(a, array) for a in inputs) and not callable(out):
                assert isinstance(out, array), f"la.{name} returned {type(out).__name__} for array-api-strict inputs"
                return np.asarray(out)
            return out

        call._unchecked = f  # type: ignore[attr-defined]
        return call

    ns = {n: getattr(lossapi, n) for n in dir(lossapi) if not n.startswith("__")}
    for n in lossapi.__all__:
        obj = getattr(lossapi, n)
        if isinstance(obj, types.FunctionType) and n not in (
            "catalog",
            "lookup_loss",
            "recommend",
            "native",
            "set_native",
            "native_enabled",
        ):
            ns[n] = wrap(n, obj)
    return types.SimpleNamespace(**ns)


@pytest.mark.parametrize("name", ARRAY_MODULES)
def test_docstring_examples_on_array_api_strict(name: str) -> None:
    xp = pytest.importorskip("array_api_strict")
    module = importlib.import_module(name)
    globs = {"np": _strict_numpy(xp), "la": _checked_lossapi(xp)}
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=FLAGS)
    attempted = 0
    for test in finder.find(module, name):
        # The examples' own imports would rebind np / la: run them against the stand-ins instead.
        test.examples = [e for e in test.examples if not e.source.startswith("import ")]
        test.globs = {**module.__dict__, **globs}
        attempted += runner.run(test).attempted
    assert attempted > 0
    assert runner.failures == 0, f"{runner.failures} example(s) of {name} differ on array-api-strict"
