"""Metric-learning losses: lossapi against pytorch-metric-learning (torch) and hand-written jnp / keras (jax.jit).

    python benchmarks/bench_metric.py                      # torch and jax, fresh processes: ratio tables
    python benchmarks/bench_metric.py --quick              # N = 64 and 256, fewer repeats
    python benchmarks/bench_metric.py --sizes 256,1024     # batch sizes N
    python benchmarks/bench_metric.py --backend {torch,jax} [--quick] [--sizes ...]   # JSON lines

Inputs: N float32 embeddings of D = 128 features (standard normal) with N / 4 classes of 4 rows
each (the usual P×K sampling of metric learning); ``arcface``/``cosface`` also take N / 4 class
centres ``(C, D)``. ``fwd+bwd`` is the value and its gradient with respect to the embeddings
(and the centres).

Pairs, always within one backend and one process (``impl`` in the JSON lines):

- torch (eager, 2 threads): lossapi against pytorch-metric-learning's modules (``impl=pml``, built
  once, float32): ``batch_triplet`` (``mining="all"``) / ``TripletMarginLoss(margin=0.05)``;
  ``batch_triplet_hard`` / the same with ``BatchHardMiner()``'s triplets (the miner's time
  included); ``batch_triplet_semihard`` / with ``TripletMarginMiner(0.05, "semihard")``;
  ``batch_contrastive`` / ``ContrastiveLoss()``; ``supcon`` / ``SupConLoss()``; ``circle`` /
  ``CircleLoss()``; ``multi_similarity`` / ``MultiSimilarityLoss()``; ``ntxent`` /
  ``NTXentLoss(0.07)``; ``arcface`` / ``ArcFaceLoss(C, D, margin=28.6479, scale=64)`` and
  ``cosface`` / ``CosFaceLoss(C, D)`` with ``W = class_centers.T``. Values are compared
  (rtol 1e-4) before timing. Without pytorch-metric-learning the rows are skipped and the table
  says why.
- jax: ``jax.jit(lossapi)`` against ``jax.jit`` of the formula written directly in ``jax.numpy``
  (``impl=jnp_hand``): ``batch_triplet`` as the ``(N, N, N)`` array of every triplet (the way
  it is usually written), ``supcon``, ``arcface`` (with ``arccos``); ``circle`` against
  ``keras.losses.Circle`` (``impl=keras``, KERAS_BACKEND=jax, under ``jax.jit``).

Memory of ``batch_triplet(mining="all")`` at N = 1024 (``--memory``, on by default in table mode;
32 classes of 32 rows, so that every anchor has 31 positives and 992 negatives, 31.5 M
triplets): the resident-set growth of one forward+backward call in torch (lossapi against
pytorch-metric-learning, which lists every triplet's indices), and XLA's compiled temporary
memory (``memory_analysis().temp_size_in_bytes``) of ``jit(value_and_grad)`` for lossapi
against the ``(N, N, N)`` formula.

Nothing asserts a timing.
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

from _timing import bench, peak_rss
from _timing import fmt_time as fmt

import lossapi as la

HERE = Path(__file__).resolve().parent
D = 128
MARGIN = 0.05
QUICK_SIZES = (64, 256)
FULL_SIZES = (256, 1024)
MEMORY_N = 1024
MEMORY_CLASSES = 32


def make_inputs(n: int, classes: int | None = None, seed: int = 0):
    """Embeddings ``(n, D)`` float32, labels ``(n,)`` int64 (``classes`` classes of equal size,
    default n / 4), class centres ``(classes, D)`` float32."""
    import numpy as np

    c = classes or max(1, n // 4)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, D), dtype=np.float32)
    y = rng.permutation(np.arange(n) % c)
    w = rng.standard_normal((c, D), dtype=np.float32)
    return z, y, w


class Runner:
    def __init__(self, backend: str, quick: bool) -> None:
        self.backend, self.quick = backend, quick
        self.common = {"bench": "metric", "backend": backend}

    def timing_kw(self) -> dict:
        if self.quick:
            return {"repeats": 5, "min_time": 0.005, "warmup": 1, "budget": 0.5}
        return {"repeats": 11, "min_time": 0.02, "warmup": 2, "budget": 4.0}

    def emit(self, loss: str, n: int, direction: str, impl: str, timing: dict) -> None:
        rec = {**self.common, "loss": loss, "n": n, "direction": direction, "impl": impl, **timing}
        print(json.dumps(rec), flush=True)

    def skip(self, loss: str, n: int, impl: str, reason: str) -> None:
        print(f"note: {loss} at N={n} ({self.backend}, {impl}) skipped: {reason}", file=sys.stderr)
        print(json.dumps({**self.common, "loss": loss, "n": n, "impl": impl, "skipped": reason}), flush=True)

    def check(self, loss: str, n: int, ours: float, ref: float, what: str, rtol: float = 1e-4) -> None:
        if not math.isclose(ours, ref, rel_tol=rtol, abs_tol=1e-6):
            print(f"warning: {loss} N={n} ({self.backend}): lossapi {ours} != {what} {ref}", file=sys.stderr)


# ------------------------------------------------------------------ torch
def run_torch(r: Runner, sizes: list[int], memory: bool) -> None:
    import torch

    torch.set_num_threads(2)
    try:
        from pytorch_metric_learning import losses, miners
    except ImportError as e:
        for n in sizes:
            r.skip("all", n, "pml", f"pytorch-metric-learning is not installed ({e})")
        return

    def pml(loss_fn, miner=None):
        if miner is None:
            return lambda z, y, w: loss_fn(z, y)
        return lambda z, y, w: loss_fn(z, y, miner(z, y))

    def centre_loss(cls, **kw):
        return lambda c: cls(num_classes=c, embedding_size=D, **kw)

    pairs = {
        "batch_triplet": (lambda z, y, w: la.batch_triplet(z, y, margin=MARGIN), pml(losses.TripletMarginLoss(MARGIN))),
        "batch_triplet_hard": (
            lambda z, y, w: la.batch_triplet(z, y, margin=MARGIN, mining="hard"),
            pml(losses.TripletMarginLoss(MARGIN), miners.BatchHardMiner()),
        ),
        "batch_triplet_semihard": (
            lambda z, y, w: la.batch_triplet(z, y, margin=MARGIN, mining="semihard"),
            pml(losses.TripletMarginLoss(MARGIN), miners.TripletMarginMiner(MARGIN, type_of_triplets="semihard")),
        ),
        "batch_contrastive": (lambda z, y, w: la.batch_contrastive(z, y), pml(losses.ContrastiveLoss())),
        "supcon": (lambda z, y, w: la.supcon(z, y), pml(losses.SupConLoss())),
        "circle": (lambda z, y, w: la.circle(z, y), pml(losses.CircleLoss())),
        "multi_similarity": (lambda z, y, w: la.multi_similarity(z, y), pml(losses.MultiSimilarityLoss())),
        "ntxent": (lambda z, y, w: la.ntxent(z, y), pml(losses.NTXentLoss(0.07))),
        "arcface": (lambda z, y, w: la.arcface(z, w, y), centre_loss(losses.ArcFaceLoss, margin=math.degrees(0.5))),
        "cosface": (lambda z, y, w: la.cosface(z, w, y), centre_loss(losses.CosFaceLoss)),
    }
    kw = r.timing_kw()
    for n in sizes:
        z0, y0, w0 = make_inputs(n)
        y = torch.as_tensor(y0)
        for loss, (ours, native) in pairs.items():
            if loss == "ntxent" and n > 512:
                # PML's NTXentLoss forms a (positive pairs x negative pairs) float matrix: at N = 1024
                # with 4 rows per class that is 3072 x 1.04 M = 12.8 GB (the process is killed).
                r.skip(loss, n, "pml", "PML's NTXentLoss needs a 12.8 GB (positive x negative pairs) matrix here")
                continue
            z = torch.tensor(z0, requires_grad=True)
            w = torch.tensor(w0, requires_grad=True)
            if loss in ("arcface", "cosface"):
                module = native(w0.shape[0])
                module.W.data = w.detach().T.clone()
                w_pml = module.W

                def nat(z, y, w, module=module):
                    return module(z, y)
            else:
                w_pml = None
                nat = native
            with torch.no_grad():
                r.check(loss, n, float(ours(z, y, w)), float(nat(z, y, w)), "pytorch-metric-learning")
            for impl, f, params in (("pml", nat, (z,) if w_pml is None else (z, w_pml)), ("lossapi", ours, (z, w))):

                def fwd(f=f, a=(z, y, w)):
                    with torch.no_grad():
                        return f(*a)

                def fwd_bwd(f=f, params=params, a=(z, y, w)):
                    for p in params:
                        p.grad = None
                    out = f(*a)
                    out.backward()
                    return out

                r.emit(loss, n, "fwd", impl, bench(fwd, **kw))
                r.emit(loss, n, "fwd+bwd", impl, bench(fwd_bwd, **kw))
    if memory:
        z0, y0, _ = make_inputs(MEMORY_N, MEMORY_CLASSES)
        y = torch.as_tensor(y0)
        for impl, f in (
            ("pml", losses.TripletMarginLoss(MARGIN)),
            ("lossapi", lambda z, y: la.batch_triplet(z, y, margin=MARGIN)),
        ):
            z = torch.tensor(z0, requires_grad=True)

            def call(f=f, z=z):
                f(z, y).backward()

            rss = peak_rss(call, setup=lambda z=z: setattr(z, "grad", None))
            rec = {**r.common, "loss": "batch_triplet", "n": MEMORY_N, "impl": impl, "memory": "rss", "bytes": rss}
            print(json.dumps(rec), flush=True)


# ------------------------------------------------------------------ jax
def run_jax(r: Runner, sizes: list[int], memory: bool) -> None:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax
    import jax.numpy as jnp

    def unit(z):
        return z / jnp.maximum(jnp.linalg.norm(z, axis=-1, keepdims=True), 1e-12)

    def masks(y):
        same = y[:, None] == y[None, :]
        eye = jnp.eye(y.shape[0], dtype=bool)
        return same & ~eye, ~same

    def hand_triplet(z, y, w):  # every triplet as an (N, N, N) array, PML's default distance and reducer
        u = unit(z)
        d = jnp.sqrt(jnp.maximum(jnp.sum((u[:, None, :] - u[None, :, :]) ** 2, -1), 1e-30))
        pos, neg = masks(y)
        t = jax.nn.relu(MARGIN + d[:, :, None] - d[:, None, :]) * (pos[:, :, None] & neg[:, None, :])
        return jnp.sum(t) / jnp.maximum(jnp.sum(t > 0), 1)

    def hand_supcon(z, y, w, temperature=0.1):
        u = unit(z)
        s = u @ u.T / temperature
        pos, neg = masks(y)
        lse = jax.nn.logsumexp(jnp.where(pos | neg, s, -jnp.inf), axis=-1)
        npos = jnp.sum(pos, -1)
        per = lse - jnp.sum(jnp.where(pos, s, 0.0), -1) / jnp.maximum(npos, 1)
        return jnp.sum(jnp.where(npos > 0, per, 0.0)) / jnp.maximum(jnp.sum(npos > 0), 1)

    def hand_arcface(z, y, w, margin=0.5, scale=64.0):
        cos = unit(z) @ unit(w).T
        theta = jnp.arccos(jnp.clip(cos, -1.0, 1.0))
        target = jnp.where(theta <= math.pi - margin, jnp.cos(theta + margin), cos - margin * math.sin(margin))
        hit = jax.nn.one_hot(y, w.shape[0], dtype=bool)
        logits = scale * jnp.where(hit, target, cos)
        return jnp.mean(-jnp.sum(jnp.where(hit, jax.nn.log_softmax(logits), 0.0), -1))

    pairs = {
        "batch_triplet": (lambda z, y, w: la.batch_triplet(z, y, margin=MARGIN), hand_triplet, "jnp_hand"),
        "supcon": (lambda z, y, w: la.supcon(z, y), hand_supcon, "jnp_hand"),
        "arcface": (lambda z, y, w: la.arcface(z, w, y), hand_arcface, "jnp_hand"),
    }
    try:
        import keras

        circle = keras.losses.Circle(gamma=80.0, margin=0.4)
        # keras' Circle takes L2-normalised embeddings: normalised inside the timed function.
        pairs["circle"] = (lambda z, y, w: la.circle(z, y), lambda z, y, w: circle(y, unit(z)), "keras")
    except ImportError as e:
        for n in sizes:
            r.skip("circle", n, "keras", f"keras is not installed ({e})")

    def block(x):
        return jax.block_until_ready(x)

    kw = r.timing_kw()
    for n in sizes:
        z0, y0, w0 = make_inputs(n)
        z, y, w = jnp.asarray(z0), jnp.asarray(y0.astype("int32")), jnp.asarray(w0)
        for loss, (ours, nat, impl_name) in pairs.items():
            # The (N, N, N) formula holds several 4 GB float32 temporaries at N = 1024.
            nat_ok = not (loss == "batch_triplet" and n**3 * 4 >= 2**32)
            if nat_ok:
                r.check(loss, n, float(jax.jit(ours)(z, y, w)), float(jax.jit(nat)(z, y, w)), impl_name)
            else:
                r.skip(loss, n, impl_name, "the (N, N, N) formula needs several 4 GB temporaries")
            impls = (("lossapi", ours),) + (((impl_name, nat),) if nat_ok else ())
            for impl, f in impls:
                for direction, g in (("fwd", f), ("fwd+bwd", jax.value_and_grad(f, argnums=(0, 2)))):
                    jf = jax.jit(g)
                    r.emit(loss, n, direction, impl, bench(lambda jf=jf, a=(z, y, w): jf(*a), sync=block, **kw))
    if memory:
        z0, y0, w0 = make_inputs(MEMORY_N, MEMORY_CLASSES)
        z, y, w = jnp.asarray(z0), jnp.asarray(y0.astype("int32")), jnp.asarray(w0)
        for impl, f in (("lossapi", pairs["batch_triplet"][0]), ("jnp_hand", hand_triplet)):
            compiled = jax.jit(jax.value_and_grad(f)).lower(z, y, w).compile()
            temp = compiled.memory_analysis().temp_size_in_bytes
            rec = {**r.common, "loss": "batch_triplet", "n": MEMORY_N, "impl": impl, "memory": "xla_temp"}
            rec["bytes"] = temp
            print(json.dumps(rec), flush=True)


# ------------------------------------------------------------------ tables
PAIRS = {
    "torch": (("lossapi", "pml", "lossapi / PML"),),
    "jax": (("lossapi", "jnp_hand", "jit(lossapi) / jit(jnp)"), ("lossapi", "keras", "jit(lossapi) / jit(keras)")),
}


def ratio_rows(rows: list[dict]) -> list[dict]:
    """One ratio per (backend, loss, N, direction, pair); memory and skipped records pass through."""
    idx = {(q["backend"], q["loss"], q["n"], q["direction"], q["impl"]): q for q in rows if "median" in q}
    out = []
    for backend, loss, n, direction in sorted({k[:4] for k in idx}):
        for ours, nat, label in PAIRS.get(backend, ()):
            a, b = idx.get((backend, loss, n, direction, ours)), idx.get((backend, loss, n, direction, nat))
            if a is not None and b is not None:
                out.append(
                    {
                        "backend": backend,
                        "loss": loss,
                        "n": n,
                        "direction": direction,
                        "pair": label,
                        "lossapi_median": a["median"],
                        "native_median": b["median"],
                        "ratio": a["median"] / b["median"],
                    }
                )
    return out + [q for q in rows if "memory" in q or "skipped" in q]


def table(ratios: list[dict]) -> str:
    lines = [
        "### Metric-learning losses: ratio lossapi / reference (median; float32, D = 128, N / 4 classes)",
        "",
        "| backend | loss | N | direction | pair | lossapi | reference | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for q in ratios:
        if "ratio" in q:
            lines.append(
                f"| {q['backend']} | {q['loss']} | {q['n']} | {q['direction']} | {q['pair']} | "
                f"{fmt(q['lossapi_median'])} | {fmt(q['native_median'])} | {q['ratio']:.2f} |"
            )
    mem = [q for q in ratios if "memory" in q]
    if mem:
        lines += [
            "",
            f'### Memory of batch_triplet(mining="all") fwd+bwd at N = {MEMORY_N} '
            f"({MEMORY_CLASSES} classes of {MEMORY_N // MEMORY_CLASSES}: 31.5 M triplets)",
            "",
            "| backend | measure | impl | MiB |",
            "|---|---|---|---|",
        ]
        for q in mem:
            mib = "n/a" if q["bytes"] is None else f"{q['bytes'] / 2**20:.1f}"
            lines.append(f"| {q['backend']} | {q['memory']} | {q['impl']} | {mib} |")
    for q in ratios:
        if "skipped" in q:
            lines.append(f"\nSkipped ({q['backend']}, {q['impl']}, {q['loss']}, N={q['n']}): {q['skipped']}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("torch", "jax"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None, help="comma-separated batch sizes N")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory rows")
    ap.add_argument("--backends", default="torch,jax", help="the backends the table mode runs")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else FULL_SIZES)
    memory = not args.no_memory and not args.quick
    if args.backend:
        os.environ.setdefault("JAX_ENABLE_X64", "0")
        r = Runner(args.backend, args.quick)
        {"torch": run_torch, "jax": run_jax}[args.backend](r, sizes, memory)
        return
    rows: list[dict] = []
    env = dict(os.environ, OMP_NUM_THREADS="2", PYTHONWARNINGS="ignore")
    for backend in args.backends.split(","):
        cmd = [sys.executable, str(HERE / "bench_metric.py"), "--backend", backend]
        cmd += ["--sizes", ",".join(map(str, sizes))]
        if args.quick:
            cmd.append("--quick")
        if not memory:
            cmd.append("--no-memory")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE)
        for line in proc.stderr.splitlines():
            if line.startswith(("warning", "note", "Traceback")) or proc.returncode:
                print("  " + line, file=sys.stderr)
        print(f"{backend}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        rows += [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    print(table(ratio_rows(rows)))


if __name__ == "__main__":
    main()
