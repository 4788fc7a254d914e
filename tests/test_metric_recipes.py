"""Every recipe of ``docs/metric-learning.md`` gives pytorch-metric-learning's / keras' value.

The page's table pairs a pml or keras call with the lossapi call that reproduces it; each row
is evaluated here on the same inputs (float64; keras computes in float32). A row skips with the
reason where its library is not installed; the table's parsing itself never skips.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lossapi as la

PAGE = Path(__file__).parent.parent / "docs" / "metric-learning.md"
_ROW = re.compile(r"^\| (\d+) \| `(.+)` \| `(.+)` \|$")
ROWS = [m.groups() for line in PAGE.read_text(encoding="utf-8").splitlines() if (m := _ROW.match(line))]


def test_the_page_has_its_recipes() -> None:
    assert len(ROWS) >= 12
    assert [int(n) for n, _, _ in ROWS] == list(range(1, len(ROWS) + 1))
    assert all(ours.startswith("la.") for _, _, ours in ROWS)


def _inputs() -> dict[str, Any]:
    rng = np.random.default_rng(5)
    emb = rng.normal(size=(9, 4))
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    # Centres exactly representable in float32: pml's weight starts as a float32 tensor.
    centers = rng.integers(-4, 5, size=(3, 4)) / 4.0
    centers[np.all(centers == 0, axis=1)] = 0.5
    return {"emb": emb, "y": y, "centers": centers, "unit": emb / np.linalg.norm(emb, axis=1, keepdims=True)}


@pytest.mark.parametrize(("number", "peer", "ours"), ROWS, ids=[f"recipe{n}" for n, _, _ in ROWS])
def test_recipe_gives_the_peers_value(number: str, peer: str, ours: str) -> None:
    inputs = _inputs()
    ns: dict[str, Any] = {"np": np, "la": la, **inputs}
    want = float(eval(ours, ns))  # noqa: S307 - the page's own code strings
    if peer.startswith("keras."):
        os.environ.setdefault("KERAS_BACKEND", "jax")
        keras = pytest.importorskip("keras")
        got = float(np.asarray(eval(peer, {**ns, "keras": keras})))  # noqa: S307
        assert got == pytest.approx(want, rel=1e-5), f"recipe {number}"
        return
    torch = pytest.importorskip("torch")
    pml = pytest.importorskip("pytorch_metric_learning")
    for sub in ("distances", "losses", "miners"):
        pytest.importorskip(f"pytorch_metric_learning.{sub}")

    def T(a: Any) -> Any:  # noqa: N802 - the page's name
        return torch.as_tensor(np.asarray(a))

    def init(c: np.ndarray) -> Any:
        return lambda W: W.data.copy_(T(c.T))

    got = float(eval(peer, {**ns, "torch": torch, "pml": pml, "T": T, "init": init}).detach())  # noqa: S307
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12), f"recipe {number}"
    assert want > 0, f"recipe {number}: a zero loss checks nothing; pick other inputs"
