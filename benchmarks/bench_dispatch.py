"""Cost per call of lossapi's namespace lookup on a cache hit, against array-api-compat.

    python benchmarks/bench_dispatch.py                 # every backend, one fresh process each
    python benchmarks/bench_dispatch.py --backend torch # one backend in this process
    python benchmarks/bench_dispatch.py --json          # JSON lines instead of the table

Measured per backend, with two float32 arrays of 8 elements ``x`` and ``y``:

- ``get_namespace(fn, names, x, y, None, 1.0)``: what a loss calls (two arrays, a missing
  ``sample_weight`` and a float hyper-parameter); always a cache hit after the first call;
- ``array_namespace(x, y)``: array-api-compat, which caches nothing per type;
- an empty Python function call with the same arguments, for scale.

DESIGN.md target: at most 0.3 µs per lookup. The table reports PASS/MISS; nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from _timing import bench_stmt

BACKENDS = ("numpy", "torch", "jax", "array_api_strict", "dask")
TARGET_S = 0.3e-6


def make_arrays(backend: str):
    import numpy as np

    a = np.arange(8, dtype=np.float32)
    if backend == "numpy":
        return a, a + 1
    if backend == "torch":
        import torch

        torch.set_num_threads(2)
        return torch.asarray(a), torch.asarray(a + 1)
    if backend == "jax":
        import jax.numpy as jnp

        return jnp.asarray(a), jnp.asarray(a + 1)
    if backend == "array_api_strict":
        import array_api_strict as xps

        return xps.asarray(a), xps.asarray(a + 1)
    if backend == "dask":
        import dask.array as da

        return da.from_array(a, chunks=4), da.from_array(a + 1, chunks=4)
    raise ValueError(backend)


def measure(backend: str, repeats: int = 15) -> list[dict]:
    import array_api_compat

    from lossapi._dispatch import get_namespace

    x, y = make_arrays(backend)

    def empty(fn, names, *arrays):
        return None

    ns = {
        "gn": get_namespace,
        "an": array_api_compat.array_namespace,
        "empty": empty,
        "x": x,
        "y": y,
    }
    assert get_namespace("mse", "pred target sample_weight delta", x, y, None, 1.0) is array_api_compat.array_namespace(
        x, y
    )
    cases = {
        "get_namespace (cache hit)": 'gn("mse", "pred target sample_weight delta", x, y, None, 1.0)',
        "array_namespace(x, y)": "an(x, y)",
        "empty Python call": 'empty("mse", "pred target sample_weight delta", x, y, None, 1.0)',
    }
    rows = []
    for name, stmt in cases.items():
        t = bench_stmt(stmt, ns, repeats=repeats)
        rows.append({"bench": "dispatch", "backend": backend, "case": name, **t})
    return rows


def print_table(rows: list[dict]) -> None:
    by = {}
    for r in rows:
        by.setdefault(r["backend"], {})[r["case"]] = r
    print("| backend | get_namespace hit, median (min–max) | array_namespace(x, y) | empty call | target ≤ 0.3 µs |")
    print("|---|---|---|---|---|")
    for b, cases in by.items():
        g = cases["get_namespace (cache hit)"]
        a = cases["array_namespace(x, y)"]
        e = cases["empty Python call"]
        ok = "PASS" if g["median"] <= TARGET_S else "MISS"
        print(
            f"| {b} | {g['median'] * 1e9:.0f} ns ({g['min'] * 1e9:.0f}–{g['max'] * 1e9:.0f}) "
            f"| {a['median'] * 1e9:.0f} ns | {e['median'] * 1e9:.0f} ns | {ok} |"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=(*BACKENDS, "cupy"), help="one backend, in this process")
    ap.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    args = ap.parse_args(argv)
    repeats = 7 if args.quick else 15
    if args.backend:
        rows = measure(args.backend, repeats)
    else:  # every backend in a fresh process
        rows = []
        for b in BACKENDS:
            cmd = [sys.executable, os.path.abspath(__file__), "--backend", b, "--json"]
            if args.quick:
                cmd.append("--quick")
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            rows += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if args.json:
        for r in rows:
            print(json.dumps(r))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
