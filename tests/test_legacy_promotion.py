"""NumPy 1.x promotes a float32 0-d array combined with a Python number to float64; lossapi
returns results in the prediction's dtype there as on NumPy 2 (``nox -s minimum`` runs the
whole check on NumPy 1.26)."""

from __future__ import annotations

import numpy as np
import pytest

import lossapi as la
from lossapi._array import keep_float_dtype, legacy_promotion


def test_legacy_promotion_reads_the_installed_numpy() -> None:
    assert legacy_promotion() is (int(np.__version__.split(".")[0]) < 2)


def test_keep_float_dtype_narrows_only_widened_floats() -> None:
    like32, like16 = np.ones(3, np.float32), np.ones(3, np.float16)
    assert keep_float_dtype(np.float64(1.5), like32).dtype == np.float32
    assert keep_float_dtype(np.ones(2), like16).dtype == np.float16
    r32 = np.ones(2, np.float32)
    assert keep_float_dtype(r32, like32) is r32  # already right: untouched
    wide = np.ones(2)
    assert keep_float_dtype(wide, np.ones(2)) is wide
    ints = np.arange(3)
    assert keep_float_dtype(ints, like32) is ints  # integer results (counts) are not floats
    assert keep_float_dtype(np.ones(2, np.float32), np.ones(2)).dtype == np.float32  # never widened


def test_keep_float_dtype_on_dask_stays_lazy() -> None:
    da = pytest.importorskip("dask.array")
    r = keep_float_dtype(da.ones(4, dtype="float64"), np.ones(4, np.float32))
    assert isinstance(r, da.Array) and r.dtype == np.float32


@pytest.mark.parametrize("name", ["mean_squared_error", "cross_entropy", "dice", "huber"])
def test_float32_in_float32_out(name: str) -> None:
    from lossapi.testing import make_inputs

    inp = make_inputs(name, xp="numpy", dtype="float32", shape=(4,), seed=0)
    for reduction in ("mean", "sum", "none"):
        assert la.lookup_loss(name).fn(*inp.args, **inp.kwargs, reduction=reduction).dtype == np.float32
