"""Detection losses: lossapi against hand-written references (torchvision cannot be installed here).

    python benchmarks/bench_detection.py                      # every backend, fresh processes: table + results
    python benchmarks/bench_detection.py --quick              # tiny + small, fewer repeats (< 1 min, 2 cores)
    python benchmarks/bench_detection.py --sizes tiny,medium  # any subset of tiny,small,medium,large
    python benchmarks/bench_detection.py --backend {numpy,torch,jax} [--quick] [--sizes ...]   # JSON lines

Box losses (``giou``, ``diou``, ``ciou``; float32, reduction "mean"): N box pairs, N = 32 (tiny),
1e4 (small), 1e5 (medium), 1e6 (large); 70 % overlapping pairs. ``yolo``: grids
``(B, S, S, 5 + 20)`` of B x S x S = 98 (tiny), 5408 (small), 43264 (medium), 173056 (large) cells,
40 % object cells.

Pairs measured, always within one backend and one process:

- torch (eager): lossapi against the formulas of torchvision's ``generalized_box_iou_loss``,
  ``distance_box_iou_loss`` and ``complete_box_iou_loss`` written out in torch below
  (``impl=torch_hand``: the same ops as torchvision's source, CIoU's alpha under
  ``torch.no_grad``), and ``yolo`` against the classic ``YOLOLoss`` module (boolean
  indexing, ``impl=torch_module``); forward under ``no_grad`` and forward+backward with respect
  to the predictions. torchvision itself is not installable here and was not measured.
- jax: ``jax.jit(lossapi)`` against ``jax.jit`` of the same formulas in ``jax.numpy``
  (``impl=jnp``) and against eager lossapi (``impl=lossapi_eager``); forward, ``grad`` and
  ``value_and_grad`` (jit only).
- numpy: lossapi against the formulas in plain NumPy (``impl=numpy``), forward.

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

from _timing import bench
from _timing import fmt_time as fmt

import lossapi as la

HERE = Path(__file__).resolve().parent
SIZES = {"tiny": 32, "small": 10_000, "medium": 100_000, "large": 1_000_000}
YOLO_GRIDS = {"tiny": (2, 7), "small": (32, 13), "medium": (64, 26), "large": (64, 52)}
YOLO_C = 20
QUICK_SIZES = ("tiny", "small")
BOX_LOSSES = ("giou", "diou", "ciou")
LOSSES = (*BOX_LOSSES, "yolo")
EPS = 1e-7


# ------------------------------------------------------------------ inputs (NumPy, float32)
def make_boxes(n: int, seed: int = 0):
    import numpy as np
    from specs import draw_boxes

    return draw_boxes(np.random.default_rng(seed), n)


def make_grid(size: str, seed: int = 0):
    import numpy as np

    b, s = YOLO_GRIDS[size]
    rng = np.random.default_rng(seed)
    shape = (b, s, s)
    pred = np.concatenate([rng.uniform(0, 1, (*shape, 5)), rng.normal(0, 1.5, (*shape, YOLO_C))], axis=-1)
    obj = rng.random(shape) < 0.4
    cls = np.where(obj[..., None], np.eye(YOLO_C)[rng.integers(0, YOLO_C, shape)], 0.0)
    target = np.concatenate([rng.uniform(0, 1, (*shape, 4)), obj[..., None].astype(float), cls], axis=-1)
    return pred.astype(np.float32), target.astype(np.float32)


def n_items(loss: str, size: str) -> list[int]:
    if loss == "yolo":
        b, s = YOLO_GRIDS[size]
        return [b, s, s, 5 + YOLO_C]
    return [SIZES[size], 4]


def inputs(loss: str, size: str):
    return make_grid(size) if loss == "yolo" else make_boxes(SIZES[size])


# ------------------------------------------------------------------ hand-written references
def box_formulas(m, name: str, b, t, eps: float = EPS, no_grad=None):
    """torchvision's box-loss formulas: the spec table's :func:`specs.tv_box_loss`."""
    from specs import tv_box_loss

    return tv_box_loss(m, name, b, t, eps=eps, no_grad=no_grad)


def torch_box(name: str):
    import torch

    def f(b, t):
        x1, y1, x2, y2 = b.unbind(-1)
        u1, v1, u2, v2 = t.unbind(-1)
        ix = torch.min(x2, u2) - torch.max(x1, u1)
        iy = torch.min(y2, v2) - torch.max(y1, v1)
        inter = torch.zeros_like(x1)
        mask = (ix > 0) & (iy > 0)
        inter[mask] = ix[mask] * iy[mask]  # torchvision's masked assignment
        union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter
        iou = inter / (union + EPS)
        xc1, yc1 = torch.min(x1, u1), torch.min(y1, v1)
        xc2, yc2 = torch.max(x2, u2), torch.max(y2, v2)
        if name == "giou":
            area_c = (xc2 - xc1) * (yc2 - yc1)
            return (1 - (iou - (area_c - union) / (area_c + EPS))).mean()
        diag = (xc2 - xc1) ** 2 + (yc2 - yc1) ** 2 + EPS
        dist = ((x2 + x1) / 2 - (u1 + u2) / 2) ** 2 + ((y2 + y1) / 2 - (v1 + v2) / 2) ** 2
        loss = 1 - iou + dist / diag
        if name == "ciou":
            v = (4 / torch.pi**2) * torch.pow(torch.atan((u2 - u1) / (v2 - v1)) - torch.atan((x2 - x1) / (y2 - y1)), 2)
            with torch.no_grad():
                alpha = v / (1 - iou + v + EPS)
            loss = loss + alpha * v
        return loss.mean()

    return f


def torch_module_yolo(pred, target, lambda_coord=5.0, lambda_noobj=0.5):
    """The classic YOLOLoss.forward (boolean indexing)."""
    import torch.nn.functional as F

    obj = target[..., 4] == 1
    noobj = target[..., 4] == 0
    coord = F.mse_loss(pred[..., :4][obj], target[..., :4][obj])
    conf_obj = F.mse_loss(pred[..., 4][obj], target[..., 4][obj])
    conf_noobj = F.mse_loss(pred[..., 4][noobj], target[..., 4][noobj])
    cls = F.cross_entropy(pred[..., 5:][obj], target[..., 5:][obj].argmax(dim=1))
    return lambda_coord * coord + conf_obj + lambda_noobj * conf_noobj + cls


def jnp_yolo(pred, target, lambda_coord=5.0, lambda_noobj=0.5):
    """The classic YOLO loss with masks as weights, in jax.numpy (jit-able)."""
    import jax
    import jax.numpy as jnp

    obj = (target[..., 4] == 1).astype(pred.dtype)
    noobj = (target[..., 4] == 0).astype(pred.dtype)
    coord = jnp.mean((pred[..., :4] - target[..., :4]) ** 2, axis=-1)
    conf = (pred[..., 4] - target[..., 4]) ** 2
    ce = -jnp.sum(target[..., 5:] * jax.nn.log_softmax(pred[..., 5:], axis=-1), axis=-1)
    n_obj, n_noobj = jnp.sum(obj), jnp.sum(noobj)
    return jnp.sum(obj * (lambda_coord * coord + conf + ce)) / n_obj + jnp.sum(noobj * lambda_noobj * conf) / n_noobj


# ------------------------------------------------------------------ per backend
class Runner:
    def __init__(self, backend: str, quick: bool, torch_threads: int = 2) -> None:
        self.backend, self.quick = backend, quick
        self.common = {"bench": "detection", "backend": backend, "device": "cpu"}
        if backend == "torch":
            self.common["torch_threads"] = torch_threads
        self.torch_threads = torch_threads

    def timing_kw(self, size: str) -> dict:
        if size == "large":
            return {"repeats": 5 if self.quick else 9, "min_time": 0.0, "warmup": 1, "budget": 2.0}
        if self.quick:
            return {"repeats": 5, "min_time": 0.005, "warmup": 1, "budget": 0.2}
        return {"repeats": 21, "min_time": 0.02, "warmup": 3, "budget": 3.0}

    def emit(self, loss: str, size: str, direction: str, impl: str, timing: dict) -> None:
        rec = {
            **self.common,
            "loss": loss,
            "size": size,
            "shape": n_items(loss, size),
            "direction": direction,
            "impl": impl,
            **timing,
        }
        print(json.dumps(rec), flush=True)

    def check(self, loss: str, size: str, ours: float, ref: float, what: str, rtol: float = 1e-4) -> None:
        if not math.isclose(ours, ref, rel_tol=rtol, abs_tol=1e-5):
            print(f"warning: {loss} {size} ({self.backend}): lossapi {ours} != {what} {ref}", file=sys.stderr)


def run_numpy(r: Runner, sizes: list[str]) -> None:
    import numpy as np

    for size in sizes:
        kw = r.timing_kw(size)
        for loss in BOX_LOSSES:
            b, t = inputs(loss, size)
            ours = getattr(la, loss)

            def hand(b, t, loss=loss):
                return box_formulas(np, loss, b, t)

            r.check(loss, size, float(ours(b, t)), float(hand(b, t)), "numpy")
            for impl, f in (("lossapi", ours), ("numpy", hand)):
                r.emit(loss, size, "fwd", impl, bench(lambda f=f, b=b, t=t: f(b, t), **kw))


def run_torch(r: Runner, sizes: list[str]) -> None:
    import torch

    torch.set_num_threads(r.torch_threads)
    for size in sizes:
        kw = r.timing_kw(size)
        for loss in LOSSES:
            p_np, t_np = inputs(loss, size)
            p, t = torch.asarray(p_np), torch.asarray(t_np)
            ours = getattr(la, loss)
            nat_impl, nat = ("torch_module", torch_module_yolo) if loss == "yolo" else ("torch_hand", torch_box(loss))
            r.check(loss, size, float(ours(p, t)), float(nat(p, t)), nat_impl)
            q = p.clone().requires_grad_(True)
            for impl, f in ((nat_impl, nat), ("lossapi", ours)):
                with torch.no_grad():
                    r.emit(loss, size, "fwd", impl, bench(lambda f=f, p=p, t=t: f(p, t), **kw))

                def step(f=f, q=q, t=t):
                    q.grad = None
                    f(q, t).backward()

                r.emit(loss, size, "fwd+bwd", impl, bench(step, **kw))


def run_jax(r: Runner, sizes: list[str]) -> None:
    import jax
    import jax.numpy as jnp

    def block(x):
        return jax.block_until_ready(x)

    directions = ("fwd", "value_and_grad") if r.quick else ("fwd", "grad", "value_and_grad")
    for size in sizes:
        kw = r.timing_kw(size)
        for loss in LOSSES:
            p, t = (jnp.asarray(a) for a in inputs(loss, size))
            ours = getattr(la, loss)
            if loss == "yolo":
                hand = jnp_yolo
            else:

                def hand(b, t, loss=loss):
                    return box_formulas(jnp, loss, b, t, no_grad=jax.lax.stop_gradient)

            r.check(loss, size, float(jax.jit(ours)(p, t)), float(jax.jit(hand)(p, t)), "jnp")
            for impl, f in (("jnp", hand), ("lossapi", ours)):
                for direction in directions:
                    g = {"fwd": f, "grad": jax.grad(f), "value_and_grad": jax.value_and_grad(f)}[direction]
                    jf = jax.jit(g)
                    r.emit(loss, size, direction, impl, bench(lambda jf=jf, p=p, t=t: jf(p, t), sync=block, **kw))
            r.emit(loss, size, "fwd", "lossapi_eager", bench(lambda f=ours, p=p, t=t: f(p, t), sync=block, **kw))


# ------------------------------------------------------------------ ratios and tables
PAIRS = {
    "numpy": (("lossapi", "numpy", "lossapi / hand-written NumPy"),),
    "torch": (
        ("lossapi", "torch_hand", "lossapi / torchvision formulas (torch)"),
        ("lossapi", "torch_module", "lossapi / YOLOLoss module (torch)"),
    ),
    "jax": (
        ("lossapi", "jnp", "jit(lossapi) / jit(hand-written jnp)"),
        ("lossapi_eager", "lossapi", "eager lossapi / jit(lossapi)"),
    ),
}


def ratio_rows(rows: list[dict]) -> list[dict]:
    idx = {(r["backend"], r["loss"], r["size"], r["direction"], r["impl"]): r for r in rows if "median" in r}
    order = {s: i for i, s in enumerate(SIZES)}
    keys = sorted({k[:4] for k in idx}, key=lambda k: (list(PAIRS).index(k[0]), order[k[2]], LOSSES.index(k[1]), k[3]))
    out = []
    for backend, loss, size, direction in keys:
        for ours, nat, label in PAIRS[backend]:
            a = idx.get((backend, loss, size, direction, ours))
            b = idx.get((backend, loss, size, direction, nat))
            if a is None or b is None:
                continue
            out.append(
                {
                    "backend": backend,
                    "loss": loss,
                    "size": size,
                    "shape": a["shape"],
                    "direction": direction,
                    "pair": label,
                    "lossapi_median": a["median"],
                    "native_median": b["median"],
                    "ratio": a["median"] / b["median"],
                    "ratio_min": a["min"] / b["min"],
                    "ratio_max": a["max"] / b["max"],
                }
            )
    return out


def table(ratios: list[dict]) -> str:
    lines = [
        "### Detection losses: ratio lossapi / reference (median; min-ratio–max-ratio)",
        "",
        "torchvision is not installable here: the torch reference is its formulas written out in torch.",
        "",
        "| backend | loss | size | direction | pair | lossapi | reference | ratio | (min–max) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ratios:
        shape = "×".join(map(str, r["shape"]))
        lines.append(
            f"| {r['backend']} | {r['loss']} | {r['size']} ({shape}) | {r['direction']} | {r['pair']} | "
            f"{fmt(r['lossapi_median'])} | {fmt(r['native_median'])} | **{r['ratio']:.2f}×** | "
            f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) |"
        )
    return "\n".join(lines) + "\n"


def run_all(args) -> None:
    from run import child_env, env_info

    t0 = time.perf_counter()
    rows: list[dict] = []
    for b in args.backends.split(","):
        cmd = [sys.executable, os.path.abspath(__file__), "--backend", b]
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
        f"Environment: {env['platform']}, {env['cpu_count']} CPUs, Python {env['python']}, numpy {env['numpy']}, "
        f"torch {env['torch']}, jax {env['jax']}; {env['time']}.\n\n" + table(ratios)
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "detection.json").write_text(json.dumps({"env": env, "measurements": rows, "ratios": ratios}, indent=1))
    (out / "detection.md").write_text(md)
    print(md)
    print(f"wrote {out / 'detection.json'} and {out / 'detection.md'} ({env['wall_s']} s)", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--backend",
        choices=("numpy", "torch", "jax"),
        help="one backend in this process, JSON lines (default: every backend, table)",
    )
    ap.add_argument("--backends", default="numpy,torch,jax", help="without --backend: which ones (comma-separated)")
    ap.add_argument("--quick", action="store_true", help="tiny + small sizes, fewer repeats")
    ap.add_argument("--sizes", help="comma-separated subset of tiny,small,medium,large")
    ap.add_argument("--out", default=str(HERE / "results"), help="without --backend: output folder")
    ap.add_argument("--torch-threads", type=int, default=2, help="torch.set_num_threads (default 2, as run.py)")
    args = ap.parse_args(argv)
    if args.backend is None:
        run_all(args)
        return
    sizes = args.sizes.split(",") if args.sizes else list(QUICK_SIZES if args.quick else ("tiny", "medium", "large"))
    for s in sizes:
        if s not in SIZES:
            ap.error(f"unknown size {s!r}; choose from {', '.join(SIZES)}")
    r = Runner(args.backend, args.quick, args.torch_threads)
    r.common["loadavg_1m"] = round(os.getloadavg()[0], 2)  # other jobs on the machine distort timings
    {"numpy": run_numpy, "torch": run_torch, "jax": run_jax}[args.backend](r, sizes)


if __name__ == "__main__":
    main()
