"""RL and GAN losses: lossapi against the formulas users write by hand, torch eager and jax.jit.

    python benchmarks/bench_rl_gan.py            # sizes small (4096) and medium (1M), float32
    python benchmarks/bench_rl_gan.py --quick    # small only, fewer repeats (< 1 min, 2 cores)

No library ships these losses as functions (except BCE-with-logits for the non-saturating GAN
kind, used as the torch reference there), so the references are the usual one-liners:
``-(lp * A.detach()).mean()``, ``-torch.min(r * A, torch.clamp(r, 1 - e, 1 + e) * A).mean()``
(``A``, ``old`` detached), ``F.binary_cross_entropy_with_logits(real, 1) + (fake, 0)``, and
the ``jax.numpy`` equivalents (``jax.nn.softplus``, ``jnp.minimum``, ``jnp.clip``). torch: forward
under ``no_grad`` and forward+backward w.r.t. the first input (one thread); jax: ``jit`` forward and ``jit(grad)``.
Prints a markdown table of the per-call medians and the lossapi / reference ratio. Nothing
asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("JAX_ENABLE_X64", "0")
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from _timing import bench, fmt_time  # noqa: E402

import lossapi as la  # noqa: E402

SIZES = {"small": 4096, "medium": 1 << 20}


def _inputs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    lp = -rng.uniform(0.1, 2.0, n).astype(np.float32)
    return {
        "lp": lp,
        "old": (lp - rng.uniform(-0.3, 0.3, n)).astype(np.float32),
        "adv": rng.normal(size=n).astype(np.float32),
        "real": rng.normal(size=n).astype(np.float32),
        "fake": rng.normal(size=n).astype(np.float32),
    }


def _torch_rows(x: dict[str, np.ndarray], kw: dict) -> list[tuple[str, str, float, float]]:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)  # OpenMP threads stall on a loaded 2-core machine
    t = {k: torch.tensor(v) for k, v in x.items()}
    pairs = {
        "policy_gradient": (lambda lp: la.policy_gradient(lp, t["adv"]), lambda lp: -(lp * t["adv"].detach()).mean()),
        "ppo_clip": (
            lambda lp: la.ppo_clip(lp, t["old"], t["adv"]),
            lambda lp: (lambda r, a: -torch.min(r * a, torch.clamp(r, 0.8, 1.2) * a).mean())(
                torch.exp(lp - t["old"].detach()), t["adv"].detach()
            ),
        ),
        "gan_discriminator": (
            lambda r: la.gan_discriminator(r, t["fake"]),
            lambda r: (
                F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                + F.binary_cross_entropy_with_logits(t["fake"], torch.zeros_like(t["fake"]))
            ),
        ),
    }
    first = {"policy_gradient": "lp", "ppo_clip": "lp", "gan_discriminator": "real"}
    rows = []
    for name, (ours, ref) in pairs.items():
        x0 = t[first[name]]
        for mode in ("forward", "forward+backward"):
            res = []
            for f in (ours, ref):
                if mode == "forward":

                    def call(f=f, x0=x0):
                        with torch.no_grad():
                            return f(x0)
                else:
                    xg = x0.clone().requires_grad_(True)

                    def call(f=f, xg=xg):
                        f(xg).backward()

                res.append(bench(call, **kw)["median"])
            rows.append((f"torch {mode}", name, res[0], res[1]))
    return rows


def _jax_rows(x: dict[str, np.ndarray], kw: dict) -> list[tuple[str, str, float, float]]:
    import jax
    import jax.numpy as jnp

    j = {k: jnp.asarray(v) for k, v in x.items()}
    sg = jax.lax.stop_gradient

    def ppo_ref(lp):
        r, a = jnp.exp(lp - sg(j["old"])), sg(j["adv"])
        return -jnp.minimum(r * a, jnp.clip(r, 0.8, 1.2) * a).mean()

    pairs = {
        "policy_gradient": (lambda lp: la.policy_gradient(lp, j["adv"]), lambda lp: -(lp * sg(j["adv"])).mean()),
        "ppo_clip": (lambda lp: la.ppo_clip(lp, j["old"], j["adv"]), ppo_ref),
        "gan_discriminator": (
            lambda r: la.gan_discriminator(r, j["fake"]),
            lambda r: jax.nn.softplus(-r).mean() + jax.nn.softplus(j["fake"]).mean(),
        ),
    }
    first = {"policy_gradient": "lp", "ppo_clip": "lp", "gan_discriminator": "real"}
    rows = []
    for name, (ours, ref) in pairs.items():
        x0 = j[first[name]]
        for mode, wrap in (("jit forward", jax.jit), ("jit grad", lambda f: jax.jit(jax.grad(f)))):
            res = []
            for f in (ours, ref):
                g = wrap(f)
                res.append(bench(lambda g=g, x0=x0: g(x0), sync=lambda r: r.block_until_ready(), **kw)["median"])
            rows.append((f"jax {mode}", name, res[0], res[1]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    sizes = ["small"] if args.quick else ["small", "medium"]
    kw = {"repeats": 5, "min_time": 0.01} if args.quick else {"repeats": 15, "min_time": 0.05}
    print("| size | backend / mode | loss | lossapi | reference | ratio |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        x = _inputs(SIZES[size])
        for rows in (_torch_rows(x, kw), _jax_rows(x, kw)):
            for mode, name, ours, ref in rows:
                print(f"| {size} | {mode} | {name} | {fmt_time(ours)} | {fmt_time(ref)} | {ours / ref:.2f} |")


if __name__ == "__main__":
    main()
