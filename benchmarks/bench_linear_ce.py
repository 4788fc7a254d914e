"""linear_cross_entropy: memory and time against the unfused formula and torch's F.linear_cross_entropy.

    python benchmarks/bench_linear_ce.py                    # torch and jax, fresh processes: one table
    python benchmarks/bench_linear_ce.py --quick            # N = 1024, D = 256, C = 8192, fewer repeats
    python benchmarks/bench_linear_ce.py --backend {torch,jax} [--quick]   # JSON lines

Inputs (float32): ``hidden`` N×D = 4096×512, ``weight`` C×D = 32768×512, integer labels (N,):
the logits would be N×C = 512 MiB. ``fwd`` is the value, ``fwd+bwd`` the value and the gradients
with respect to ``hidden`` and ``weight``.

Implementations, within one backend and one process (``impl`` in the JSON lines):

- torch (eager, 2 threads): ``lossapi`` = ``la.linear_cross_entropy(h, W, y)``; ``unfused`` =
  ``la.cross_entropy(h @ W.T, y)``; ``torch`` = ``F.linear_cross_entropy(h, W, y)`` (its reference
  path, ``options=None``: the logits in full); ``torch_chunked`` = the same with
  ``options=torch.nn.LinearCrossEntropyOptions()`` (its chunked path).
- jax (``jax.jit``): ``lossapi`` and ``unfused`` as above (the unfused logits through
  ``optax.losses.softmax_cross_entropy_with_integer_labels`` is the same XLA program size).

Memory: torch, the resident-set growth of one call (``_timing.peak_rss``: the new pages the call
touches, its temporaries and outputs); JAX, XLA's ``memory_analysis().temp_size_in_bytes`` of the
compiled function (temporaries only: the inputs and outputs are not counted). Both are shown in
MiB and as a fraction of the logits' size.

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

from _timing import bench, peak_rss
from _timing import fmt_time as fmt

import lossapi as la

HERE = Path(__file__).resolve().parent
FULL = (4096, 512, 32768)
QUICK = (1024, 256, 8192)


def make_inputs(n: int, d: int, c: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    h = rng.standard_normal((n, d), dtype=np.float32)
    w = (rng.standard_normal((c, d), dtype=np.float32) / np.sqrt(d)).astype(np.float32)
    y = rng.integers(0, c, n)
    return h, w, y


def emit(backend: str, shape: tuple[int, int, int], impl: str, direction: str, **rec) -> None:
    print(json.dumps({"bench": "linear_ce", "backend": backend, "shape": list(shape), "impl": impl,
                      "direction": direction, **rec}), flush=True)  # fmt: skip


def timing_kw(quick: bool) -> dict:
    if quick:
        return {"repeats": 3, "min_time": 0.0, "warmup": 1, "budget": 2.0}
    return {"repeats": 5, "min_time": 0.0, "warmup": 1, "budget": 20.0}


def run_torch(shape: tuple[int, int, int], quick: bool) -> None:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(2)
    h0, w0, y0 = make_inputs(*shape)
    y = torch.as_tensor(y0)
    impls = {
        "lossapi": lambda h, w: la.linear_cross_entropy(h, w, y),
        "unfused": lambda h, w: la.cross_entropy(h @ w.T, y),
        "torch": lambda h, w: F.linear_cross_entropy(h, w, y),
    }
    if hasattr(torch.nn, "LinearCrossEntropyOptions"):
        opts = torch.nn.LinearCrossEntropyOptions()
        impls["torch_chunked"] = lambda h, w: F.linear_cross_entropy(h, w, y, options=opts)
    ref = None
    for impl, f in impls.items():
        h = torch.tensor(h0, requires_grad=True)
        w = torch.tensor(w0, requires_grad=True)

        def fwd(f=f, h=h, w=w):
            with torch.no_grad():
                return f(h, w)

        def fwd_bwd(f=f, h=h, w=w):
            h.grad = w.grad = None
            out = f(h, w)
            out.backward()
            return out

        value = float(fwd())
        ref = value if ref is None else ref
        if abs(value - ref) > 1e-4 * abs(ref):
            print(f"warning: {impl} gives {value}, lossapi {ref}", file=sys.stderr)

        def clear(h=h, w=w):
            h.grad = w.grad = None

        for direction, g in (("fwd", fwd), ("fwd+bwd", fwd_bwd)):
            mem = peak_rss(g, setup=clear)
            emit("torch", shape, impl, direction, memory="rss", bytes=mem, value=value, **bench(g, **timing_kw(quick)))


def run_jax(shape: tuple[int, int, int], quick: bool) -> None:
    import jax
    import jax.numpy as jnp

    h0, w0, y0 = make_inputs(*shape)
    h, w, y = jnp.asarray(h0), jnp.asarray(w0), jnp.asarray(y0.astype("int32"))
    impls = {
        "lossapi": lambda h, w: la.linear_cross_entropy(h, w, y),
        "unfused": lambda h, w: la.cross_entropy(h @ w.T, y),
    }
    for impl, f in impls.items():
        value = float(jax.jit(f)(h, w))
        for direction, g in (("fwd", f), ("fwd+bwd", jax.value_and_grad(f, argnums=(0, 1)))):
            jf = jax.jit(g)
            temp = jf.lower(h, w).compile().memory_analysis().temp_size_in_bytes
            t = bench(lambda jf=jf: jf(h, w), sync=jax.block_until_ready, **timing_kw(quick))
            emit("jax", shape, impl, direction, memory="xla_temp", bytes=temp, value=value, **t)


def table(rows: list[dict]) -> str:
    if not rows:
        return ""
    n, d, c = rows[0]["shape"]
    logits = n * c * 4
    lines = [
        f"### linear_cross_entropy: N×D = {n}×{d}, C = {c}, float32 (logits {logits / 2**20:.0f} MiB)",
        "",
        "| backend | direction | impl | time (median) | time / unfused | memory measure | MiB | / logits |",
        "|---|---|---|---|---|---|---|---|",
    ]
    base = {(q["backend"], q["direction"]): q["median"] for q in rows if q["impl"] == "unfused"}
    for q in rows:
        ratio = q["median"] / base[(q["backend"], q["direction"])] if (q["backend"], q["direction"]) in base else None
        mib = "n/a" if q["bytes"] is None else f"{q['bytes'] / 2**20:.1f}"
        frac = "n/a" if q["bytes"] is None else f"{q['bytes'] / logits:.3f}"
        lines.append(
            f"| {q['backend']} | {q['direction']} | {q['impl']} | {fmt(q['median'])} | "
            f"{'' if ratio is None else f'{ratio:.2f}'} | {q['memory']} | {mib} | {frac} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("torch", "jax"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--backends", default="torch,jax")
    args = ap.parse_args()
    shape = QUICK if args.quick else FULL
    if args.backend:
        os.environ.setdefault("JAX_ENABLE_X64", "0")
        {"torch": run_torch, "jax": run_jax}[args.backend](shape, args.quick)
        return
    rows: list[dict] = []
    env = dict(os.environ, OMP_NUM_THREADS="2", PYTHONWARNINGS="ignore", JAX_ENABLE_X64="0")
    for backend in args.backends.split(","):
        cmd = [sys.executable, str(HERE / "bench_linear_ce.py"), "--backend", backend]
        if args.quick:
            cmd.append("--quick")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE)
        for line in proc.stderr.splitlines():
            if line.startswith(("warning", "note", "Traceback")) or proc.returncode:
                print("  " + line, file=sys.stderr)
        print(f"{backend}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        rows += [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    print(table(rows))


if __name__ == "__main__":
    main()
