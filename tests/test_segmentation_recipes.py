"""Every recipe of ``docs/segmentation.md`` gives MONAI's / smp's value.

The page's table pairs a MONAI or segmentation_models_pytorch call with the lossapi call that
reproduces it; each row is evaluated here on the same inputs, the peer's value against
lossapi's (float64 inputs; MONAI's focal term and generalized Dice weights compute in float32). A row skips with the
reason where its library is not installed; the table's parsing itself never skips.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lossapi as la
from lossapi._conformance.counterparts import smp_losses

PAGE = Path(__file__).parent.parent / "docs" / "segmentation.md"
_ROW = re.compile(r"^\| (\d+) \| `(.+)` \| `(.+)` \|$")


def _rows() -> list[tuple[str, str, str]]:
    rows = [m.groups() for line in PAGE.read_text(encoding="utf-8").splitlines() if (m := _ROW.match(line))]
    return [(n, peer, ours) for n, peer, ours in rows]


ROWS = _rows()


def test_the_page_has_its_recipes() -> None:
    assert len(ROWS) >= 10
    assert [int(n) for n, _, _ in ROWS] == list(range(1, len(ROWS) + 1))
    assert all(ours.startswith("la.") for _, _, ours in ROWS)


def _inputs() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    n, c, h, w = 2, 3, 5, 6
    z = rng.normal(0.0, 2.0, (n, c, h, w))
    y = rng.integers(0, c, (n, h, w))
    y[:, 0, :c] = np.arange(c)  # every class occurs (smp scores absent classes 0)
    y_ignored = np.where(rng.random(y.shape) < 0.2, 255, y)
    y_ignored[:, 0, :c] = np.arange(c)
    return {
        "z": z,
        "y": y,
        "onehot": np.moveaxis(np.eye(c)[y], -1, 1),
        "m": rng.random((n, h, w)) < 0.7,
        "y_ignored": y_ignored,
        "zb": rng.normal(0.0, 2.0, (n, h, w)),
        "yb": (rng.random((n, h, w)) < 0.4).astype(np.float64),
    }


@pytest.mark.parametrize(("number", "peer", "ours"), ROWS, ids=[f"recipe{n}" for n, _, _ in ROWS])
def test_recipe_gives_the_peers_value(number: str, peer: str, ours: str) -> None:
    torch = pytest.importorskip("torch")
    ns: dict[str, Any] = {"la": la, "np": np, "T": torch.as_tensor, **_inputs()}
    if peer.startswith("monai."):
        ns["monai"] = pytest.importorskip("monai")
        pytest.importorskip("monai.losses")
    else:
        try:
            losses = smp_losses()
        except ImportError as e:
            pytest.skip(f"segmentation_models_pytorch: {e}")
        ns["smp"] = type("smp", (), {"losses": losses})
    want = float(eval(peer, ns))  # noqa: S307 - the page's own table
    got = float(eval(ours, ns))  # noqa: S307
    rtol = 1e-6 if "Focal" in peer or "Generalized" in peer else 1e-10  # float32 inside MONAI
    assert got == pytest.approx(want, rel=rtol, abs=1e-12), f"recipe {number}: {ours} = {got}, peer {want}"
