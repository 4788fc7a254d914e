"""Embedding and ranking losses: lossapi against torch eager and optax under ``jax.jit``.

    python benchmarks/bench_embedding.py                     # torch + jax, fresh processes: table + results
    python benchmarks/bench_embedding.py --quick             # tiny + small, fewer repeats (< 1 min, 2 cores)
    python benchmarks/bench_embedding.py --sizes tiny,medium # any subset of tiny,small,medium
    python benchmarks/bench_embedding.py --backend {torch,jax} [--quick] [--sizes ...]   # JSON lines

Inputs (float32, reduction "mean", standard normal; targets drawn per loss):

- vector losses, N×D embeddings: tiny 32×16, small 1024×128, medium 8192×256;
- ``ntxent``, B×D embeddings with B/4 groups: tiny 16×16, small 256×128, medium 1024×128;
- ``listnet``, N lists × L items with relevance in {0, 1, 2}: tiny 8×10, small 1024×50,
  medium 8192×100.

Pairs measured, always within one backend and one process:

- torch (eager): lossapi (no fast path: the generic Array API code) against
  ``torch.nn.functional``: ``triplet_margin_loss`` (= ``triplet_margin``),
  ``cosine_embedding_loss``, ``margin_ranking_loss`` (N×D scores, elementwise),
  ``hinge_embedding_loss`` (N×D distances); forward under ``no_grad`` and forward+backward
  with respect to the first input (``p.grad = None; loss(p, ...).backward()``).
- jax: ``jax.jit(lossapi)`` against ``jax.jit(optax)``: ``ntxent``, ``ranking_softmax_loss``
  (= ``listnet``), ``triplet_margin_loss`` (= ``triplet_margin(eps_placement="root")``),
  ``cosine_distance(epsilon=eps**2)`` (= ``cosine_distance(eps=eps)``, ``.mean()``); forward and
  ``grad`` with respect to the first input; labels int32.

Each pair is checked for equal values first (a warning on stderr otherwise; JAX rows against
eager optax, since ``jax.jit(optax.losses.ntxent)`` returns wrong float32 values on XLA:CPU at
the small size, so its jitted timing there is of a wrong computation). Without
``--backend`` the table is printed and written to ``benchmarks/results/embedding.{json,md}``
(git-ignored). Nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from _timing import bench
from _timing import fmt_time as fmt

import lossapi as la

HERE = Path(__file__).resolve().parent
VEC_SIZES = {"tiny": (32, 16), "small": (1024, 128), "medium": (8192, 256)}
NT_SIZES = {"tiny": (16, 16), "small": (256, 128), "medium": (1024, 128)}
RANK_SIZES = {"tiny": (8, 10), "small": (1024, 50), "medium": (8192, 100)}
SIZE_ORDER = ("tiny", "small", "medium")
QUICK_SIZES = ("tiny", "small")
TORCH_LOSSES = ("triplet_margin", "cosine_embedding", "margin_ranking", "hinge_embedding")
JAX_LOSSES = ("ntxent", "listnet", "triplet_margin", "cosine_distance")
EPS = 1e-8  # cosine_distance


def shape_of(loss: str, size: str) -> tuple[int, int]:
    if loss == "ntxent":
        return NT_SIZES[size]
    if loss == "listnet":
        return RANK_SIZES[size]
    return VEC_SIZES[size]


def make_inputs(loss: str, size: str, seed: int = 0) -> tuple:
    """NumPy float32 inputs (int64 labels) of ``loss`` at ``size``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n, d = shape_of(loss, size)
    f32 = np.float32

    def x(*shape):
        return rng.standard_normal(shape, dtype=f32)

    if loss == "triplet_margin":
        return x(n, d), x(n, d), x(n, d)
    if loss == "cosine_embedding":
        return x(n, d), x(n, d), rng.choice([-1.0, 1.0], n).astype(f32)
    if loss == "cosine_distance":
        return x(n, d), x(n, d)
    if loss == "margin_ranking":
        return x(n, d), x(n, d), rng.choice([-1.0, 1.0], (n, d)).astype(f32)
    if loss == "hinge_embedding":
        return np.abs(x(n, d)), rng.choice([-1.0, 1.0], (n, d)).astype(f32)
    if loss == "ntxent":
        return x(n, d), rng.integers(0, max(1, n // 4), n)
    if loss == "listnet":
        return x(n, d), rng.integers(0, 3, (n, d)).astype(f32)
    raise ValueError(loss)


def emit(common: dict, loss: str, size: str, direction: str, impl: str, timing: dict) -> None:
    rec = {**common, "loss": loss, "size": size, "shape": list(shape_of(loss, size)), "direction": direction,
           "impl": impl, **timing}
    print(json.dumps(rec), flush=True)


def check(backend: str, loss: str, size: str, ours: float, ref: float, what: str, rtol: float = 1e-4) -> None:
    if not math.isclose(ours, ref, rel_tol=rtol, abs_tol=1e-5):
        print(f"warning: {loss} {size} ({backend}): lossapi {ours} != {what} {ref}", file=sys.stderr)


def timing_kw(quick: bool, size: str) -> dict:
    if quick:
        return {"repeats": 5, "min_time": 0.005, "warmup": 1, "budget": 0.3}
    if size == "medium":
        return {"repeats": 11, "min_time": 0.02, "warmup": 2, "budget": 2.0}
    return {"repeats": 21, "min_time": 0.02, "warmup": 3, "budget": 2.0}


def run_torch(common: dict, sizes: list[str], quick: bool, threads: int) -> None:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    natives = {
        "triplet_margin": (F.triplet_margin_loss, la.triplet_margin),
        "cosine_embedding": (F.cosine_embedding_loss, la.cosine_embedding),
        "margin_ranking": (F.margin_ranking_loss, la.margin_ranking),
        "hinge_embedding": (F.hinge_embedding_loss, la.hinge_embedding),
    }
    for size in sizes:
        kw = timing_kw(quick, size)
        for loss in TORCH_LOSSES:
            nat, ours = natives[loss]
            arrs = [torch.asarray(a) for a in make_inputs(loss, size)]
            check("torch", loss, size, float(ours(*arrs)), float(nat(*arrs)), "torch_F")
            p = arrs[0].clone().requires_grad_(True)
            rest = arrs[1:]
            for impl, f in (("torch_F", nat), ("lossapi", ours)):
                with torch.no_grad():
                    t = bench(lambda f=f, a=arrs: f(*a), **kw)
                emit(common, loss, size, "fwd", impl, t)

                def step(f=f, p=p, rest=rest):
                    p.grad = None
                    f(p, *rest).backward()

                emit(common, loss, size, "fwd+bwd", impl, bench(step, **kw))


def run_jax(common: dict, sizes: list[str], quick: bool) -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    L = optax.losses
    natives = {
        "ntxent": (lambda z, y: L.ntxent(z, y), lambda z, y: la.ntxent(z, y)),
        "listnet": (lambda s, r: L.ranking_softmax_loss(s, r), lambda s, r: la.listnet(s, r)),
        "triplet_margin": (lambda a, p, n: L.triplet_margin_loss(a, p, n).mean(),
                           lambda a, p, n: la.triplet_margin(a, p, n, eps_placement="root")),
        "cosine_distance": (lambda a, b: L.cosine_distance(a, b, epsilon=EPS**2).mean(),
                            lambda a, b: la.cosine_distance(a, b, eps=EPS)),
    }

    def block(x):
        return jax.block_until_ready(x)

    for size in sizes:
        kw = timing_kw(quick, size)
        for loss in JAX_LOSSES:
            nat, ours = natives[loss]
            arrs = [jnp.asarray(a.astype(np.int32) if a.dtype.kind == "i" else a) for a in make_inputs(loss, size)]
            # Against eager optax: jit(optax.losses.ntxent) is wrong in float32 on XLA:CPU (jax 0.10:
            # 10.04 instead of 6.35 at the small size; its broadcast cosine matrix is off by up to 17).
            check("jax", loss, size, float(jax.jit(ours)(*arrs)), float(nat(*arrs)), "optax (eager)")
            for impl, f in (("optax", nat), ("lossapi", ours)):
                for direction, g in (("fwd", f), ("grad", jax.grad(f))):
                    jf = jax.jit(g)
                    emit(common, loss, size, direction, impl, bench(lambda jf=jf, a=arrs: jf(*a), sync=block, **kw))


# ------------------------------------------------------------------ ratios and tables
PAIRS = {"torch": ("lossapi", "torch_F", "lossapi (generic) / F"), "jax": ("lossapi", "optax", "jit(lossapi) / jit(optax)")}


def target(backend: str, size: str, direction: str) -> tuple[float | None, str]:
    """The DESIGN.md target (None when DESIGN.md sets none)."""
    if backend == "jax":
        return 1.05, "≤ 1.05× optax"
    if size == "tiny":
        return 1.5, "tiny ≤ 1.5×"
    return (2.0, "generic ≤ 2×") if direction == "fwd" else (2.5, "generic ≤ 2.5×")


def ratio_rows(rows: list[dict]) -> list[dict]:
    idx = {(r["backend"], r["loss"], r["size"], r["direction"], r["impl"]): r for r in rows if "median" in r}
    out = []
    keys = sorted({k[:4] for k in idx}, key=lambda k: (k[0], SIZE_ORDER.index(k[2]), k[1], k[3]))
    for backend, loss, size, direction in keys:
        ours, nat, label = PAIRS[backend]
        a, b = idx.get((backend, loss, size, direction, ours)), idx.get((backend, loss, size, direction, nat))
        if a is None or b is None:
            continue
        lim, what = target(backend, size, direction)
        ratio = a["median"] / b["median"]
        out.append({"backend": backend, "loss": loss, "size": size, "shape": a["shape"], "direction": direction,
                    "pair": label, "lossapi_median": a["median"], "native_median": b["median"], "ratio": ratio,
                    "ratio_min": a["min"] / b["min"], "ratio_max": a["max"] / b["max"], "target": what,
                    "verdict": "" if lim is None else ("PASS" if ratio <= lim else "MISS")})
    return out


def table(ratios: list[dict]) -> str:
    lines = [
        "### Embedding and ranking losses: ratio lossapi / native (median; min-ratio–max-ratio)",
        "",
        "| backend | loss | size | direction | pair | lossapi | native | ratio | (min–max) | target | |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ratios:
        shape = "×".join(map(str, r["shape"]))
        lines.append(
            f"| {r['backend']} | {r['loss']} | {r['size']} ({shape}) | {r['direction']} | {r['pair']} | "
            f"{fmt(r['lossapi_median'])} | {fmt(r['native_median'])} | **{r['ratio']:.2f}×** | "
            f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) | {r['target']} | {r['verdict']} |"
        )
    return "\n".join(lines) + "\n"


def run_all(args) -> None:
    """Each backend in a fresh process (run.py's environment), then the table and the results."""
    from run import child_env, env_info

    t0 = time.perf_counter()
    rows: list[dict] = []
    for b in args.backends.split(","):
        cmd = [sys.executable, os.path.abspath(__file__), "--backend", b, "--torch-threads", str(args.torch_threads)]
        if args.quick:
            cmd.append("--quick")
        if args.sizes:
            cmd += ["--sizes", args.sizes]
        print("$", " ".join(cmd[1:]), file=sys.stderr, flush=True)
        t1 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=HERE)
        for line in proc.stderr.splitlines():
            if line.startswith(("warning", "note", "Traceback")) or proc.returncode:
                print("  " + line, file=sys.stderr)
        print(f"  ({time.perf_counter() - t1:.0f} s)", file=sys.stderr, flush=True)
        rows += [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    env = env_info()
    env["quick"] = args.quick
    env["wall_s"] = round(time.perf_counter() - t0, 1)
    ratios = ratio_rows(rows)
    md = (
        f"Environment: {env['platform']}, {env['cpu_count']} CPUs, Python {env['python']}, "
        f"torch {env['torch']}, jax {env['jax']}, optax {env['optax']}; {env['time']}.\n\n" + table(ratios)
        + "\ntorch rows: lossapi has no native fast path for these losses (generic Array API code).\n"
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "embedding.json").write_text(json.dumps({"env": env, "measurements": rows, "ratios": ratios}, indent=1))
    (out / "embedding.md").write_text(md)
    print(md)
    print(f"wrote {out / 'embedding.json'} and {out / 'embedding.md'} ({env['wall_s']} s)", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=("torch", "jax"), help="one backend in this process, JSON lines")
    ap.add_argument("--backends", default="torch,jax", help="without --backend: which ones (comma-separated)")
    ap.add_argument("--quick", action="store_true", help="tiny + small sizes, fewer repeats")
    ap.add_argument("--sizes", help="comma-separated subset of tiny,small,medium")
    ap.add_argument("--out", default=str(HERE / "results"), help="without --backend: output folder")
    ap.add_argument("--torch-threads", type=int, default=2, help="torch.set_num_threads (default 2, as run.py)")
    args = ap.parse_args(argv)
    if args.backend is None:
        run_all(args)
        return
    sizes = args.sizes.split(",") if args.sizes else list(QUICK_SIZES if args.quick else SIZE_ORDER)
    for s in sizes:
        if s not in SIZE_ORDER:
            ap.error(f"unknown size {s!r}; choose from {', '.join(SIZE_ORDER)}")
    common = {"bench": "embedding", "backend": args.backend, "loadavg_1m": round(os.getloadavg()[0], 2)}
    if args.backend == "torch":
        common["torch_threads"] = args.torch_threads
        run_torch(common, sizes, args.quick, args.torch_threads)
    else:
        run_jax(common, sizes, args.quick)


if __name__ == "__main__":
    main()
