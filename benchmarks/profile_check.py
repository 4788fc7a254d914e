"""Where the time of ``lossapi check`` goes: seconds and checks per backend and per check kind.

    .venv/bin/python benchmarks/profile_check.py                      # quick mode, every installed backend
    .venv/bin/python benchmarks/profile_check.py --full --losses huber,dice
    .venv/bin/python benchmarks/profile_check.py --backends numpy,jax --out /tmp/profile.md

Runs the same matrix as ``lossapi check --jobs 1`` with each part of a (loss, backend) cell timed: value
checks (oracle values, edges, native counterparts), placement (namespace, dtypes, device,
Dask laziness), gradients (first and second derivatives, edges, masks), transforms (jit/vmap,
torch.func, torch.compile, native vs generic), the counterpart libraries (run once, on NumPy)
and the torch-vs-JAX gradient agreement. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("JAX_ENABLE_X64", "1")
os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lossapi._conformance import grad_checks, runner  # noqa: E402
from lossapi._conformance.backends import available_backends  # noqa: E402

os.environ.update(runner.compile_settings())  # JAX compiles as under `lossapi check` (one process)

KINDS = {
    "_value_cell": "values",
    "_placement_cell": "placement",
    "_grad_cell": "gradients",
    "_transform_cell": "transforms",
    "_counterpart_cell": "counterparts",
}


def profile(backends: list[str] | None, losses: list[str] | None, quick: bool) -> tuple[dict, float]:
    """``{(backend, kind): [seconds, checks]}`` and the wall time of the whole matrix."""
    table: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0])

    def timed(fn: Any, kind: str, backend_of: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            out = fn(*args, **kwargs)
            cell = table[(backend_of(args), kind)]
            cell[0] += time.perf_counter() - t
            cell[1] += len(out)
            return out

        return wrapper

    def backend_arg(args: tuple) -> str:
        b = args[1]
        return b if isinstance(b, str) else b.name

    for attr, kind in KINDS.items():
        fn = getattr(runner, attr)
        of = (lambda args: "numpy") if kind == "counterparts" else backend_arg
        setattr(runner, attr, timed(fn, kind, of))
    grad_checks.check_gradient_agreement = timed(
        grad_checks.check_gradient_agreement, "agreement", lambda args: "torch+jax"
    )
    start = time.perf_counter()
    runner.run_matrix(backends=backends, losses=losses, quick=quick)
    return table, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", help="comma-separated (default: every installed one)")
    p.add_argument("--losses", help="comma-separated (default: the whole catalog)")
    p.add_argument("--full", action="store_true", help="profile the full mode")
    p.add_argument("--out", help="also write the table to this file")
    a = p.parse_args()
    backends = a.backends.split(",") if a.backends else [b.name for b in available_backends()]
    losses = a.losses.split(",") if a.losses else None
    table, wall = profile(backends, losses, quick=not a.full)
    rows = sorted(table.items(), key=lambda kv: -kv[1][0])
    lines = [
        f"`lossapi check` ({'full' if a.full else 'quick'} mode), backends {', '.join(backends)}: {wall:.1f} s",
        "",
        "| backend | kind | seconds | share | checks |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {b} | {k} | {s:.1f} | {100 * s / wall:.0f} % | {n} |" for (b, k), (s, n) in rows]
    per_backend: dict[str, float] = defaultdict(float)
    for (b, _), (s, _) in table.items():
        per_backend[b] += s
    lines += ["", "| backend | seconds |", "|---|---|"]
    lines += [f"| {b} | {s:.1f} |" for b, s in sorted(per_backend.items(), key=lambda kv: -kv[1])]
    text = "\n".join(lines)
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
