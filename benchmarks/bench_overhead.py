"""Per-call overhead on tiny inputs: this checkout against another revision, side by side.

    python benchmarks/bench_overhead.py                      # against HEAD~1 (git), 3 rounds
    python benchmarks/bench_overhead.py --baseline v0.1.0 --rounds 5 --out overhead.md

Tiny inputs (8 elements; 32 x 10 logits) make a loss call cost its plumbing: namespace
resolution, option and shape checks, the fast-path lookup, the reduction. The baseline
revision's ``lossapi/`` is extracted with ``git archive`` into a temporary folder; each round
runs one fresh process per revision (alternating, so machine load hits both alike), and each
figure is the best per-call time over the rounds (``timeit``: repeats of at least 50 ms). The
peer column (the hand-written NumPy formula or ``torch.nn.functional``) is measured in the same
processes. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _calls() -> dict[str, tuple[Any, Any]]:
    """name -> (lossapi call, peer call), built on the lossapi found first on sys.path."""
    import numpy as np

    import lossapi as la

    rng = np.random.default_rng(0)
    p8, t8 = rng.normal(size=8), rng.normal(size=8)
    z, y = rng.normal(size=(32, 10)), rng.integers(0, 10, size=32)

    def np_ce() -> Any:
        m = z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z - m).sum(axis=1)) + m[:, 0]
        return (lse - z[np.arange(32), y]).mean()

    def np_huber() -> Any:
        a = np.abs(p8 - t8)
        q = np.minimum(a, 1.0)
        return (q * (a - 0.5 * q)).mean()

    def np_bce() -> Any:
        return (np.maximum(p8, 0) - p8 * t8 + np.log1p(np.exp(-np.abs(p8)))).mean()

    tb = (t8 > 0).astype(np.float64)
    calls: dict[str, tuple[Any, Any]] = {
        "numpy mse (8)": (lambda: la.mean_squared_error(p8, t8), lambda: ((p8 - t8) ** 2).mean()),
        "numpy huber (8)": (lambda: la.huber(p8, t8), np_huber),
        "numpy bce_with_logits (8)": (lambda: la.binary_cross_entropy_with_logits(p8, tb), np_bce),
        "numpy cross_entropy (32x10)": (lambda: la.cross_entropy(z, y), np_ce),
    }
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return calls
    torch.set_num_threads(1)
    tp, tt = torch.tensor(p8, dtype=torch.float32), torch.tensor(t8, dtype=torch.float32)
    tz, ty = torch.tensor(z, dtype=torch.float32), torch.tensor(y)
    gp, gz = tp.clone().requires_grad_(), tz.clone().requires_grad_()

    def generic(f: Any) -> Any:
        def run() -> Any:
            with la.native(False):
                return f()

        return run

    def backward(f: Any) -> Any:
        def run() -> Any:
            f().backward()

        return run

    with torch.no_grad():
        pass
    nograd = torch.no_grad

    def fwd(f: Any) -> Any:
        def run() -> Any:
            with nograd():
                return f()

        return run

    calls.update(
        {
            "torch mse (8), fwd": (fwd(lambda: la.mean_squared_error(tp, tt)), fwd(lambda: F.mse_loss(tp, tt))),
            "torch huber (8), fwd": (fwd(lambda: la.huber(tp, tt)), fwd(lambda: F.huber_loss(tp, tt))),
            "torch huber (8), fwd, generic path": (
                fwd(generic(lambda: la.huber(tp, tt))),
                fwd(lambda: F.huber_loss(tp, tt)),
            ),
            "torch cross_entropy (32x10), fwd": (
                fwd(lambda: la.cross_entropy(tz, ty)),
                fwd(lambda: F.cross_entropy(tz, ty)),
            ),
            "torch cross_entropy (32x10), fwd, generic path": (
                fwd(generic(lambda: la.cross_entropy(tz, ty))),
                fwd(lambda: F.cross_entropy(tz, ty)),
            ),
            "torch mse (8), fwd+bwd": (
                backward(lambda: la.mean_squared_error(gp, tt)),
                backward(lambda: F.mse_loss(gp, tt)),
            ),
            "torch huber (8), fwd+bwd, generic path": (
                backward(generic(lambda: la.huber(gp, tt))),
                backward(lambda: F.huber_loss(gp, tt)),
            ),
            "torch cross_entropy (32x10), fwd+bwd": (
                backward(lambda: la.cross_entropy(gz, ty)),
                backward(lambda: F.cross_entropy(gz, ty)),
            ),
        }
    )
    return calls


def _best(f: Any) -> float:
    t = timeit.Timer(f)
    n, _ = t.autorange()
    n = max(n, 1) * 5  # repeats of >= ~50 ms (autorange targets 0.2 s / 5)
    return min(t.repeat(repeat=7, number=max(1, n // 25))) / max(1, n // 25)


def child() -> None:
    calls = _calls()
    for f, g in calls.values():  # warm up every path (caches, fast-path tables)
        f()
        g()
    out = {name: (_best(f), _best(g)) for name, (f, g) in calls.items()}
    print(json.dumps(out))


def _run(path: Path) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(path), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", default="HEAD~1", help="git revision to compare with (default HEAD~1)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="also write the table to this Markdown file")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child()
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.baseline, "lossapi"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        best: dict[str, dict[str, list[float]]] = {"baseline": {}, "now": {}}
        for _ in range(args.rounds):
            for which, path in (("baseline", base), ("now", ROOT)):
                for name, (ours, peer) in _run(path).items():
                    old = best[which].get(name, [float("inf"), float("inf")])
                    best[which][name] = [min(old[0], ours), min(old[1], peer)]
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.baseline], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"| call | peer µs | {args.baseline} ({rev}) µs | now µs | now / {args.baseline} | now / peer |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (now, peer) in best["now"].items():
        if name not in best["baseline"]:
            continue
        old = best["baseline"][name][0]
        peer = min(peer, best["baseline"][name][1])
        lines.append(
            f"| {name} | {peer * 1e6:.2f} | {old * 1e6:.2f} | {now * 1e6:.2f} | {now / old:.2f} | {now / peer:.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
