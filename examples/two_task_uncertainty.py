"""Train a two-task model with uncertainty weighting in PyTorch and in JAX: same weights.

One loss definition (lossapi), two frameworks. A shared ``tanh`` layer feeds a regression head
(``la.mse``) and a 3-class classification head (``la.cross_entropy``); the two task losses are
combined with learned log-variances by ``la.uncertainty_weighting`` (Kendall et al., 2018),
plus a small ``la.l2_penalty``. Both frameworks start from the same float64 weights, see the
same fixed synthetic data and take the same hand-written SGD steps; the weights and the
log-variances they end with agree to ~1e-12.

Run: ``JAX_ENABLE_X64=1 python examples/two_task_uncertainty.py`` (needs torch and jax).
Tested by ``tests/test_two_task_training.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np  # noqa: E402

import lossapi as la  # noqa: E402

N, D, H, C = 32, 4, 5, 3  # samples, input features, hidden units, classes
STEPS, LR, DECAY = 20, 0.1, 1e-3
NAMES = ("W", "a", "B", "log_vars")


def make_data(seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Fixed synthetic data (x, regression target y, class labels c) and initial weights."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    y = x @ rng.normal(size=D) + 0.1 * rng.normal(size=N)
    c = np.argmax(x @ rng.normal(size=(D, C)), axis=1).astype(np.int64)
    init = {
        "W": 0.5 * rng.normal(size=(D, H)),
        "a": 0.5 * rng.normal(size=H),
        "B": 0.5 * rng.normal(size=(H, C)),
        "log_vars": np.zeros(2),
    }
    return {"x": x, "y": y, "c": c}, init


def objective(xp, p: dict, data: dict):
    """The training loss, written once for any array namespace ``xp``."""
    h = xp.tanh(data["x"] @ p["W"])
    reg = la.mse(h @ p["a"], data["y"])
    cls = la.cross_entropy(h @ p["B"], data["c"])
    total = la.uncertainty_weighting([reg, cls], p["log_vars"])
    return total + DECAY * la.l2_penalty([p["W"], p["a"], p["B"]])


def train_torch(data: dict, init: dict, steps: int = STEPS, lr: float = LR) -> dict[str, np.ndarray]:
    import torch

    d = {k: torch.asarray(v) for k, v in data.items()}
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in init.items()}
    for _ in range(steps):
        loss = objective(torch, p, d)
        grads = torch.autograd.grad(loss, [p[k] for k in NAMES])
        with torch.no_grad():
            p = {k: (p[k] - lr * g).requires_grad_(True) for k, g in zip(NAMES, grads)}
    return {k: v.detach().numpy() for k, v in p.items()}


def train_jax(data: dict, init: dict, steps: int = STEPS, lr: float = LR) -> dict[str, np.ndarray]:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    d = {k: jnp.asarray(v) for k, v in data.items()}
    p = {k: jnp.asarray(v) for k, v in init.items()}

    @jax.jit
    def step(p):
        g = jax.grad(lambda q: objective(jnp, q, d))(p)
        return {k: p[k] - lr * g[k] for k in NAMES}

    for _ in range(steps):
        p = step(p)
    return {k: np.asarray(v) for k, v in p.items()}


def main() -> None:
    data, init = make_data()
    wt = train_torch(data, init)
    wj = train_jax(data, init)
    for k in NAMES:
        diff = float(np.max(np.abs(wt[k] - wj[k])))
        print(f"{k:9s} max |torch - jax| = {diff:.2e}")
    print("log-variances (torch):", wt["log_vars"], " (jax):", wj["log_vars"])
    assert all(np.allclose(wt[k], wj[k], rtol=1e-10, atol=1e-12) for k in NAMES)
    print(f"same weights after {STEPS} SGD steps in torch and JAX")


if __name__ == "__main__":
    main()
