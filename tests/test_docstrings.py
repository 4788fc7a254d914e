"""The runnable examples in the public docstrings stay correct (NumPy doctests)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "lossapi",
    "lossapi._catalog",
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
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
