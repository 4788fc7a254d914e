"""Native counterparts: lossapi equals torch.nn.functional, optax, keras and sklearn.

Parametrized over every (loss, library) pair named in the catalog records' ``counterparts``;
each test runs the case's option sets (plus any the mapping itself needs, e.g. keras' eps)
over every reduction, with and without per-sample weights, and skips what the library's
mapping does not cover (stated in ``lossapi/_conformance/counterparts.py``).
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_ENABLE_X64", "1")
# keras chooses its backend at first import; JAX is the one we install.
os.environ.setdefault("KERAS_BACKEND", "jax")

import zlib  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi  # noqa: E402
from lossapi._conformance.cases import CASES  # noqa: E402
from lossapi._conformance.counterparts import COUNTERPARTS, Counterpart, library_available  # noqa: E402
from lossapi._conformance.value_checks import check_counterpart  # noqa: E402

PAIRS = [
    pytest.param(r.name, lib, id=f"{r.name}-{lib}")
    for r in lossapi.catalog()
    for lib in r.counterparts
    if r.name in CASES
]


@pytest.mark.parametrize(("name", "library"), PAIRS)
def test_counterpart(name, library, assert_checks):
    ok, why = library_available(library)  # no import: smp's package __init__ needs timm
    if not ok:
        pytest.skip(why)
    case = CASES[name]
    entries = [c for c in COUNTERPARTS.get(name, []) if c.library == library]
    assert entries, f"the catalog names a {library} counterpart of {name}, but counterparts.py has none"
    extra = [o for c in entries for o in c.options]
    rng = np.random.default_rng(zlib.crc32(f"{name}-{library}".encode()))
    results = [
        check_counterpart(case, library, options, reduction, weighted=weighted, rng=rng)
        for options in (*case.options, *extra)
        for reduction in ("mean", "sum", "none")
        for weighted in (False, True)
    ]
    assert_checks(results)


def test_every_counterpart_is_in_the_catalog():
    """counterparts.py holds no mapping the catalog does not advertise (or the reverse)."""
    stray = [
        (n, c.library)
        for n, cs in COUNTERPARTS.items()
        for c in cs
        if c.library not in lossapi.lookup_loss(n).counterparts
    ]
    assert not stray, f"counterparts not named in the catalog records: {stray}"


# -- the check can fail -------------------------------------------------------------------------


def test_check_counterpart_catches_a_mismatch(monkeypatch):
    pytest.importorskip("sklearn")
    good = COUNTERPARTS["mean_absolute_error"]
    sk = next(c for c in good if c.library == "sklearn")
    # sklearn's MSE in place of its MAE: the check must report the difference.
    mse = next(c for c in COUNTERPARTS["mean_squared_error"] if c.library == "sklearn")
    bad: Counterpart = sk._replace(fn=mse.fn)
    monkeypatch.setitem(COUNTERPARTS, "mean_absolute_error", [bad])
    res = check_counterpart(CASES["mean_absolute_error"], "sklearn", {}, "mean")
    assert not res.ok and not res.skipped
