"""Sequence losses (CTC): lossapi against torch ``F.ctc_loss`` and optax ``ctc_loss``.

    python benchmarks/bench_sequence.py                      # every backend, fresh processes: table
    python benchmarks/bench_sequence.py --quick              # small size, fewer repeats (< 1 min)
    python benchmarks/bench_sequence.py --backend {numpy,torch,jax} [--quick]   # JSON lines

Sizes (B sequences × T frames × C classes, S labels, float32 log-probabilities from
``log_softmax`` of standard normal logits; labels uniform in [1, C), label lengths in
[S/2, S], input lengths in [T/2 + S, T]): small 8×50×20 (S 10), medium 32×100×40 (S 20).

- torch (eager): ``lossapi.ctc`` (batch-major, ``impl=lossapi``; with ``lossapi.native(False)``
  ``impl=lossapi_generic`` when a torch fast path exists) against ``F.ctc_loss`` on the
  time-major view, reduction "mean"; forward under ``no_grad`` and forward+backward w.r.t. the
  log-probabilities.
- jax: ``jax.jit(lossapi.ctc)`` (the time loop is unrolled) against ``jax.jit(optax.ctc_loss)``
  (``.mean()`` of the per-sequence values, logits = the log-probabilities, paddings from the
  lengths); forward and ``grad``. The first call (compilation) is reported separately
  (``direction=compile_fwd``/``compile_grad``).
- numpy: lossapi alone (no NumPy CTC to compare with).

Nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _timing import bench

import lossapi as la

HERE = Path(__file__).resolve().parent
SIZES = {"small": (8, 50, 20, 10), "medium": (32, 100, 40, 20)}
QUICK_SIZES = ("small",)


def make_inputs(size: str):
    import numpy as np

    B, T, C, S = SIZES[size]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, T, C)).astype(np.float32)
    lp = x - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)) - x.max(-1, keepdims=True)
    lab = rng.integers(1, C, size=(B, S)).astype(np.int64)
    ll = rng.integers(S // 2, S + 1, size=B).astype(np.int64)
    il = rng.integers(T // 2 + S, T + 1, size=B).astype(np.int64)
    return lp.astype(np.float32), lab, il, ll


class Runner:
    def __init__(self, backend: str, quick: bool) -> None:
        self.backend, self.quick = backend, quick
        self.common = {"bench": "sequence", "backend": backend, "device": "cpu"}

    def kw(self) -> dict:
        return (
            {"repeats": 5, "min_time": 0.0, "warmup": 1, "budget": 1.0}
            if self.quick
            else {"repeats": 11, "min_time": 0.02, "warmup": 2, "budget": 4.0}
        )

    def emit(self, size: str, direction: str, impl: str, timing: dict, **extra) -> None:
        rec = {
            **self.common,
            "loss": "ctc",
            "size": size,
            "shape": list(SIZES[size]),
            "direction": direction,
            "impl": impl,
            **timing,
            **extra,
        }
        print(json.dumps(rec), flush=True)


def run_numpy(r: Runner, sizes: list[str]) -> None:
    for size in sizes:
        args = make_inputs(size)
        r.emit(size, "fwd", "lossapi", bench(lambda a=args: la.ctc(*a), **r.kw()))


def run_torch(r: Runner, sizes: list[str]) -> None:
    import torch

    from lossapi._native import native_backends

    torch.set_num_threads(2)
    fast = "torch" in native_backends("ctc")
    for size in sizes:
        _torch_size(r, size, fast)


def _torch_size(r: Runner, size: str, fast: bool) -> None:
    import torch

    F = torch.nn.functional
    if True:
        lp, lab, il, ll = (torch.from_numpy(a) for a in make_inputs(size))
        ours = float(la.ctc(lp, lab, il, ll))
        ref = float(F.ctc_loss(lp.transpose(0, 1), lab, il, ll))
        if abs(ours - ref) > 1e-3 * abs(ref):
            print(f"warning: ctc {size}: lossapi {ours} != torch {ref}", file=sys.stderr)
        impls = {
            "lossapi": (lambda x: la.ctc(x, lab, il, ll)),
            "torch": (lambda x: F.ctc_loss(x.transpose(0, 1), lab, il, ll)),
        }
        if fast:

            def generic(x):
                with la.native(False):
                    return la.ctc(x, lab, il, ll)

            impls["lossapi_generic"] = generic
        for impl, f in impls.items():
            with torch.no_grad():
                t = bench(lambda f=f: f(lp), **r.kw())
            r.emit(size, "fwd", impl, t, fast_path=fast)

            def fb(f=f):
                x = lp.detach().requires_grad_()
                f(x).backward()
                return x.grad

            r.emit(size, "fwd+bwd", impl, bench(fb, **r.kw()), fast_path=fast)


def run_jax(r: Runner, sizes: list[str]) -> None:
    for size in sizes:
        _jax_size(r, size)


def _jax_size(r: Runner, size: str) -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    if True:
        lp, lab, il, ll = make_inputs(size)
        B, T, _C, S = SIZES[size]
        lpad = jnp.asarray((np.arange(T)[None] >= il[:, None]).astype(np.float32))
        spad = jnp.asarray((np.arange(S)[None] >= ll[:, None]).astype(np.float32))
        lp, lab32, il32, ll32 = (
            jnp.asarray(lp),
            jnp.asarray(lab, dtype=jnp.int32),
            jnp.asarray(il, dtype=jnp.int32),
            jnp.asarray(ll, dtype=jnp.int32),
        )

        def ours(x):
            return la.ctc(x, lab32, il32, ll32, reduction="sum") / B

        def theirs(x):
            return optax.losses.ctc_loss(x, lpad, lab32, spad).mean()

        vals = {}
        for impl, f in (("lossapi", ours), ("optax", theirs)):
            for direction, g in (("fwd", jax.jit(f)), ("grad", jax.jit(jax.grad(f)))):
                t0 = time.perf_counter()
                y = g(lp).block_until_ready()
                r.emit(size, "compile_" + direction, impl, {"median": time.perf_counter() - t0})
                if direction == "fwd":
                    vals[impl] = float(y)
                r.emit(size, direction, impl, bench(lambda g=g: g(lp), sync=lambda y: y.block_until_ready(), **r.kw()))
        if abs(vals["lossapi"] - vals["optax"]) > 1e-3 * abs(vals["optax"]):
            print(f"warning: ctc {size}: lossapi {vals['lossapi']} != optax {vals['optax']}", file=sys.stderr)


def ratio_rows(rows: list[dict]) -> list[dict]:
    """The timed rows (``run.py`` passes them to :func:`table`, which forms the ratios)."""
    return [r for r in rows if "median" in r]


def table(rows: list[dict]) -> str:
    def med(backend, size, direction, impl):
        for x in rows:
            if (x.get("backend"), x.get("size"), x.get("direction"), x.get("impl")) == (backend, size, direction, impl):
                return x["median"]
        return None

    lines = [
        "| backend | size | direction | lossapi | native | reference | lossapi / reference | generic / reference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for backend, ref in (("torch", "torch"), ("jax", "optax")):
        for size in SIZES:
            for direction in ("fwd", "fwd+bwd", "grad", "compile_fwd", "compile_grad"):
                ours, theirs = med(backend, size, direction, "lossapi"), med(backend, size, direction, ref)
                if ours is None or theirs is None:
                    continue
                gen = med(backend, size, direction, "lossapi_generic")
                lines.append(
                    f"| {backend} | {size} | {direction} | {ours * 1e3:.3g} ms | {ref} | "
                    f"{theirs * 1e3:.3g} ms | {ours / theirs:.2f} | "
                    + (f"{gen / theirs:.2f}" if gen is not None else "-")
                    + " |"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("numpy", "torch", "jax"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes", default=None)
    a = p.parse_args(argv)
    sizes = a.sizes.split(",") if a.sizes else list(QUICK_SIZES if a.quick else SIZES)
    if a.backend:
        os.environ.setdefault("JAX_ENABLE_X64", "0")
        r = Runner(a.backend, a.quick)
        {"numpy": run_numpy, "torch": run_torch, "jax": run_jax}[a.backend](r, sizes)
        return
    rows = []
    for backend in ("numpy", "torch", "jax"):
        cmd = [sys.executable, str(Path(__file__)), "--backend", backend, "--sizes", ",".join(sizes)]
        if a.quick:
            cmd.append("--quick")
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
        if res.returncode:
            print(res.stderr, file=sys.stderr)
        rows += [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    print(table(rows))


if __name__ == "__main__":
    main()
