"""Gradient conventions at kinks: one rule, the same numbers on torch and JAX.

Where a loss has no derivative (|x| at 0, a hinge at its margin, a maximum over tied classes,
a clamp at its bound) lossapi returns the **minimum-norm subgradient**: 0 for |x| and
max(x, 0) at their ties, the equal split over tied entries for a maximum over classes. BCE on
probabilities follows torch's clamped formula ((p − t) / max(p(1 − p), 1e-12)). The porting
guide (topic "Gradients at non-differentiable points") shows how torch, JAX and optax differ.

Each row below writes the expected gradient by hand from that rule; the test evaluates it with
torch autograd (native fast paths on and off) and ``jax.grad`` and requires the same numbers
from all three. The conformance suite checks the same points loosely (between one-sided
finite differences, torch = JAX to 1e-12); this file pins the values the convention promises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pytest

import lossapi as la


class Kink(NamedTuple):
    label: str
    loss: str
    first: list[Any]  # differentiated input
    rest: tuple[Any, ...]  # other positional inputs (integer lists stay integer labels)
    options: Mapping[str, Any]
    expected: list[Any]  # d(sum of the loss) / d(first), from the convention


KINKS = [
    Kink("|e| at 0", "mean_absolute_error", [0.0, 1.0, -2.0], ([0.0, 0.0, 0.0],), {}, [0.0, 1.0, -1.0]),
    Kink("smooth_l1 beta=0 is L1: |e| at 0", "smooth_l1", [0.0, 1.0], ([0.0, 0.0],), {"beta": 0.0}, [0.0, 1.0]),
    # e = t - p; pinball slopes are -q (e > 0) and 1 - q (e < 0); 0 lies in [-q, 1 - q].
    Kink("pinball at e = 0", "quantile", [0.0, 1.0, -1.0], ([0.0, 0.0, 0.0],), {"q": 0.3}, [0.0, 0.7, -0.3]),
    Kink(
        "epsilon-insensitive at |e| = eps",
        "epsilon_insensitive",
        [0.5, -0.5, 0.0, 1.0],
        ([0.0, 0.0, 0.0, 0.0],),
        {"epsilon": 0.5},
        [0.0, 0.0, 0.0, 1.0],
    ),
    Kink("hinge at t*s = margin", "hinge", [1.0, -1.0, 0.5], ([1.0, -1.0, 1.0],), {}, [0.0, 0.0, -1.0]),
    Kink("hinge at margin 0.5", "hinge", [0.5, -0.5], ([1.0, -1.0],), {"margin": 0.5}, [0.0, 0.0]),
    Kink("perceptron at s = 0", "perceptron", [0.0, 0.0, 2.0], ([1.0, -1.0, -1.0],), {}, [0.0, 0.0, 1.0]),
    # Crammer-Singer: max(0, m + max_{j != y} s_j - s_y).
    Kink(
        "Crammer-Singer at the hinge", "multiclass_hinge", [[2.0, 1.0, 0.0, -1.0]], ([0],), {}, [[0.0, 0.0, 0.0, 0.0]]
    ),
    Kink(
        "Crammer-Singer, tied wrong classes: equal split",
        "multiclass_hinge",
        [[-1.0, 2.0, 2.0, 0.0]],
        ([0],),
        {},
        [[-1.0, 0.5, 0.5, 0.0]],
    ),
    Kink(
        "Crammer-Singer, three-way tie",
        "multiclass_hinge",
        [[0.0, 1.0, 1.0, 1.0]],
        ([0],),
        {},
        [[-1.0, 1 / 3, 1 / 3, 1 / 3]],
    ),
    # Weston-Watkins (torch multi_margin_loss): sum_{j != y} max(0, m - s_y + s_j) / C.
    Kink(
        "Weston-Watkins, one term at its hinge",
        "multiclass_hinge",
        [[1.0, 0.0, 0.5, -2.0]],
        ([0],),
        {"variant": "weston_watkins"},
        [[-0.25, 0.0, 0.25, 0.0]],
    ),
    # Smooth points that look like kinks: every convention gives the derivative.
    Kink("huber at |e| = delta (C1)", "huber", [1.0, -1.0, 0.0], ([0.0, 0.0, 0.0],), {}, [1.0, -1.0, 0.0]),
    Kink("tukey at |e| = c (C1)", "tukey_biweight", [2.0, -2.0], ([0.0, 0.0],), {"c": 2.0}, [0.0, 0.0]),
    Kink("squared hinge at the margin (C1)", "squared_hinge", [1.0, -1.0], ([1.0, -1.0],), {}, [0.0, 0.0]),
    # torch's BCE backward: (p - t) / max(p (1 - p), eps), eps = 1e-12 stored as a C float.
    Kink(
        "BCE at p in {0, 1}",
        "binary_cross_entropy",
        [0.0, 1.0, 0.0, 1.0],
        ([0.0, 1.0, 1.0, 0.0],),
        {},
        [0.0, 0.0, -1 / float(np.float32(1e-12)), 1 / float(np.float32(1e-12))],
    ),
    # Contrastive, dissimilar pair at distance 0: (max(0, m - d))^2 with d = ||x1 - x2||; the
    # norm's derivative at 0 is taken as 0 (torch's norm backward), not JAX's NaN.
    Kink(
        "contrastive: norm at 0",
        "contrastive",
        [[1.0, 2.0], [0.5, -1.0]],
        ([[1.0, 2.0], [0.5, -1.0]], [0.0, 0.0]),
        {},
        [[0.0, 0.0], [0.0, 0.0]],
    ),
]


def _ids(k: Kink) -> str:
    return f"{k.loss}: {k.label}"


def _torch_grad(torch: Any, k: Kink) -> np.ndarray:
    first = torch.tensor(k.first, dtype=torch.float64, requires_grad=True)
    rest = [
        torch.tensor(r)
        if isinstance(np.asarray(r).flat[0], (int, np.integer))
        else torch.tensor(r, dtype=torch.float64)
        for r in k.rest
    ]
    getattr(la, k.loss)(first, *rest, reduction="sum", **k.options).backward()
    assert first.grad is not None
    return first.grad.numpy()


def _jax_grad(jax: Any, k: Kink) -> np.ndarray:
    jnp = jax.numpy
    rest = [jnp.asarray(r) if np.asarray(r).dtype.kind == "i" else jnp.asarray(r, dtype=jnp.float64) for r in k.rest]
    fn = getattr(la, k.loss)
    g = jax.grad(lambda x: fn(x, *rest, reduction="sum", **k.options))(jnp.asarray(k.first, dtype=jnp.float64))
    return np.asarray(g)


def _check(got: np.ndarray, k: Kink, where: str) -> None:
    want = np.asarray(k.expected, dtype=np.float64)
    assert got.shape == want.shape, f"{where}: gradient shape {got.shape}, expected {want.shape}"
    assert np.all(np.isfinite(got)), f"{where}: non-finite gradient {got} at {k.label}"
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15, err_msg=f"{where}: {k.loss} at {k.label}")


@pytest.mark.parametrize("k", KINKS, ids=_ids)
def test_kink_gradient_is_the_convention_on_torch_and_jax(k: Kink, torch: Any, jax: Any) -> None:
    with la.native(True):
        native = _torch_grad(torch, k)
    with la.native(False):
        generic = _torch_grad(torch, k)
    on_jax = _jax_grad(jax, k)
    _check(native, k, "torch (native fast path)")
    _check(generic, k, "torch (generic path)")
    _check(on_jax, k, "jax")
    # One convention, not three close ones: the backends agree to the last bit.
    np.testing.assert_array_equal(generic, on_jax, err_msg=f"torch and JAX differ at {k.label}")


def test_expected_gradients_are_subgradients() -> None:
    """Guard the table itself: each expected value lies between the one-sided slopes of the
    float64 loss, i.e. it is a valid subgradient (checked with NumPy, independently of the
    backends under test)."""
    h = 1e-7
    for k in KINKS:
        x = np.asarray(k.first, dtype=np.float64)
        want = np.asarray(k.expected, dtype=np.float64)
        if k.loss == "binary_cross_entropy":
            continue  # a clamp convention, not a subgradient (the log is clamped at -100)
        rest = [np.asarray(r) for r in k.rest]
        fn = getattr(la, k.loss)

        def f(v: np.ndarray, fn: Any = fn, rest: list[np.ndarray] = rest, k: Kink = k) -> float:
            return float(fn(v, *rest, reduction="sum", **k.options))

        for i in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[i] = h
            right = (f(x + e) - f(x)) / h
            left = (f(x) - f(x - e)) / h
            lo, hi = min(left, right), max(left, right)
            assert lo - 1e-5 <= want[i] <= hi + 1e-5, (k.label, i, left, right, want[i])
