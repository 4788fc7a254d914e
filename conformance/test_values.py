"""Values: every catalog loss on every backend against its independent float64 oracle.

The matrix is combined rather than full, to stay fast while covering every axis:

- every shape (single element, vector, matrix, batch dims, broadcasting) x every reduction on
  float64 with default options;
- every weighting (``sample_weight``, ``where`` with NaN/inf in the excluded entries, all-zero
  weights) x every reduction on float64;
- every dtype of the backend (float32, float16, bfloat16) x every weighting;
- every option set of the case on float64, with weights;
- the case's edge points in every dtype.

Backends come from ``LOSSAPI_TEST_BACKENDS`` (see ``conftest.py``); ``loss_name``,
``any_backend``, ``case``, ``rng`` and ``assert_checks`` are fixtures from there.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_ENABLE_X64", "1")

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi  # noqa: E402
from lossapi._conformance.backends import BACKENDS  # noqa: E402
from lossapi._conformance.cases import CASES  # noqa: E402
from lossapi._conformance.value_checks import WEIGHTINGS, check_edges, check_values, check_values_many  # noqa: E402

REDUCTIONS = ("mean", "sum", "none")
#: Single element, vector, matrix, leading batch dims, and a target broadcast over rows.
SHAPES = {
    "1": (1,),
    "7": (7,),
    "3x4": (3, 4),
    "2x3x4": (2, 3, 4),
    "3x4-bcast1x4": ((3, 4), (1, 4)),
    "2x3x4-bcast4": ((2, 3, 4), (4,)),
}
LOW_DTYPES = ("float32", "float16", "bfloat16")


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_values_shapes(loss_name, any_backend, case, shape, rng, assert_checks):
    backend = BACKENDS[any_backend]
    assert_checks(check_values_many(case, backend, [("float64", {}, r, "none", shape) for r in REDUCTIONS], rng))


@pytest.mark.parametrize("weighting", [w for w in WEIGHTINGS if w != "none"])
def test_values_weighting(loss_name, any_backend, case, weighting, rng, assert_checks):
    backend = BACKENDS[any_backend]
    configs = [("float64", {}, r, weighting, shape) for r in REDUCTIONS for shape in ((7,), ((3, 4), (1, 4)))]
    assert_checks(check_values_many(case, backend, configs, rng))


@pytest.mark.parametrize("dtype", LOW_DTYPES)
def test_values_dtypes(loss_name, any_backend, case, dtype, rng, assert_checks):
    backend = BACKENDS[any_backend]
    if dtype not in backend.dtypes:
        pytest.skip(f"{any_backend} has no {dtype}")
    configs = [(dtype, {}, r, w, (3, 4)) for r in ("mean", "none") for w in WEIGHTINGS]
    assert_checks(check_values_many(case, backend, configs, rng))


def test_values_option_sets(loss_name, any_backend, case, rng, assert_checks):
    backend = BACKENDS[any_backend]
    configs = []
    # Cycle reductions and weightings through the option sets: each set sees a weighted and an
    # unweighted reduction, and every reduction meets several option sets.
    for i, options in enumerate(case.options):
        configs.append(("float64", options, REDUCTIONS[i % 3], "sample_weight", (2, 3, 4)))
        configs.append(("float64", options, REDUCTIONS[(i + 1) % 3], "where", (5,)))
    assert_checks(check_values_many(case, backend, configs, rng))


def test_values_option_sets_float32(loss_name, case, rng, assert_checks):
    # Options in float32 too (the hyper-parameters are cast to the compute dtype), on NumPy only.
    results = [check_values(case, BACKENDS["numpy"], "float32", o, "none", "none", (3, 4), rng) for o in case.options]
    assert_checks(results)


@pytest.mark.parametrize("dtype", ("float64", *LOW_DTYPES))
def test_edges(loss_name, any_backend, case, dtype, assert_checks):
    backend = BACKENDS[any_backend]
    if not case.edges:
        pytest.skip(f"{loss_name} has no edge points")
    assert_checks(check_edges(case, backend, dtype))


def _differs(value, default) -> bool:
    if isinstance(value, np.ndarray) or isinstance(default, np.ndarray):
        return default is None or value is None or not np.array_equal(value, default)
    return value != default


def test_every_option_is_exercised(loss_name, case):
    """Every loss option appears with a non-default value in some option set or edge."""
    defaults = lossapi.lookup_loss(loss_name).options
    sets = [*case.options, *(e.options for e in case.edges)]
    missing = [k for k, d in defaults.items() if not any(k in o and _differs(o[k], d) for o in sets)]
    assert not missing, f"{loss_name}: options never tested with a non-default value: {missing}"


# -- the checks can fail ------------------------------------------------------------------------


def test_check_values_catches_a_wrong_value(rng):
    case = CASES["huber"]
    off = dataclasses.replace(case, oracle=lambda **kw: case.oracle(**kw) * (1 + 1e-6))
    res = check_values(off, BACKENDS["numpy"], "float64", {}, "mean", "none", (7,), rng)
    assert not res.ok and "want" in res.detail


def test_check_edges_catches_a_wrong_edge():
    case = CASES["log_cosh"]
    off = dataclasses.replace(case, oracle=lambda pred, target: np.abs(np.asarray(pred) - np.asarray(target)))
    assert not all(r.ok for r in check_edges(off, BACKENDS["numpy"], "float64"))
