"""Scale: losses over data larger than memory (dask.distributed) and over sharded JAX batches.

    python benchmarks/bench_scale.py [--quick] [--part dask|jax|all]

Prints one JSON object per measurement (``"bench": "scale"``) on stdout and a markdown summary
on stderr. ``--quick`` uses small sizes (under a minute on 2 cores); the full run takes a few
minutes.

- ``part=dask``: ``examples/dask_distributed.py``'s :func:`evaluate` on a ``LocalCluster`` of
  2 worker processes x 1 thread, 1 GiB memory limit each: MSE, cross-entropy (integer labels,
  1000 classes) and BCE with logits over 2e8 elements (quick: 2e7), inputs generated lazily per
  chunk. Recorded: value, wall time, data and chunk bytes, each worker's peak RSS during the
  computation (kernel high-water mark, reset before it) and its growth over the RSS before, and
  the check against NumPy on the first 2 chunks. Three (elements, chunk) settings per loss —
  the reference one, 1/4 of the data with the same chunks, the same data with half-size chunks
  — show that worker memory follows the chunk size, not the data size.
- ``part=jax``: one subprocess with 1 CPU device and one with 8
  (``XLA_FLAGS=--xla_force_host_platform_device_count=N``), the batch sharded along its first
  axis with ``NamedSharding`` over a 1-D ``Mesh``: ``jax.jit`` of the lossapi loss against
  ``jax.jit`` of the optax loss on the same sharded inputs, forward and ``value_and_grad``
  (``block_until_ready``), plus compile time. On this 2-core machine the 8 "devices" share 2
  cores, so 8 vs 1 device shows partitioning overhead, not speed-up; the lossapi/optax ratio
  is the number to read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOSSES = ("mse", "cross_entropy", "binary_cross_entropy_with_logits")

# (elements, chunk_elements) per setting: reference, 1/4 of the data, half-size chunks.
DASK_SETTINGS = {
    "full": [(200_000_000, 5_000_000), (50_000_000, 5_000_000), (200_000_000, 2_500_000)],
    "quick": [(20_000_000, 2_000_000), (5_000_000, 2_000_000), (20_000_000, 1_000_000)],
}
# Sharded JAX: rows of the (rows, 1000) logits; MSE / BCE use rows * 1000 elements as well.
JAX_ROWS = {"full": 32_768, "quick": 4_096}
NUM_CLASSES = 1000


def _emit(rec: dict[str, Any]) -> None:
    print(json.dumps({"bench": "scale", **rec}), flush=True)


# --------------------------------------------------------------------------- dask.distributed
def _example() -> Any:
    spec = importlib.util.spec_from_file_location("dask_distributed_example", ROOT / "examples" / "dask_distributed.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # workers receive its functions by value (cloudpickle)
    spec.loader.exec_module(mod)
    return mod


def run_dask(mode: str) -> list[dict[str, Any]]:
    from distributed import Client, LocalCluster

    ex = _example()
    rows = []
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="1GiB", processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        for loss in LOSSES:
            for elements, chunk in DASK_SETTINGS[mode]:
                r = ex.evaluate(client, loss, elements, chunk, num_classes=NUM_CLASSES, seed=0, check_chunks=2)
                r["worker_base_bytes"] = list(r["worker_base_bytes"].values())
                r["worker_peak_bytes"] = list(r["worker_peak_bytes"].values())
                rec = {"part": "dask", "chunk_elements": chunk, "memory_limit_bytes": 2**30, **r}
                _emit(rec)
                rows.append(rec)
    return rows


# --------------------------------------------------------------------------- sharded JAX (child)
def jax_child(n_devices: int, rows: int, quick: bool) -> None:
    """Runs in a subprocess whose XLA_FLAGS created ``n_devices`` CPU devices."""
    import jax
    import numpy as np
    import optax
    from _timing import bench
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    import lossapi as la

    assert jax.device_count() == n_devices, (jax.device_count(), n_devices)
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    rng = np.random.default_rng(0)
    n = rows * NUM_CLASSES
    host = {
        "cross_entropy": (
            rng.standard_normal((rows, NUM_CLASSES), dtype=np.float32),
            rng.integers(0, NUM_CLASSES, rows).astype(np.int32),
        ),
        "mse": (rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32)),
        "binary_cross_entropy_with_logits": (
            rng.standard_normal(n, dtype=np.float32),
            (rng.random(n) < 0.5).astype(np.float32),
        ),
    }
    native = {
        "cross_entropy": lambda x, y: optax.softmax_cross_entropy_with_integer_labels(x, y).mean(),
        "mse": lambda p, t: optax.squared_error(p, t).mean(),
        "binary_cross_entropy_with_logits": lambda x, t: optax.sigmoid_binary_cross_entropy(x, t).mean(),
    }
    kw = (
        {"repeats": 5, "min_time": 0.0, "warmup": 1, "budget": 2.0}
        if quick
        else {"repeats": 9, "min_time": 0.0, "warmup": 1, "budget": 5.0}
    )

    def sync(out: Any) -> None:
        jax.block_until_ready(out)

    for loss, (p, t) in host.items():
        ps = jax.device_put(p, NamedSharding(mesh, P("batch", *([None] * (p.ndim - 1)))))
        ts = jax.device_put(t, NamedSharding(mesh, P("batch")))
        for impl, fn in (("lossapi", getattr(la, loss)), ("optax", native[loss])):
            for direction, f in (("fwd", fn), ("value_and_grad", jax.value_and_grad(fn))):
                jf = jax.jit(f)
                t0 = time.perf_counter()
                compiled = jf.lower(ps, ts).compile()
                compile_s = time.perf_counter() - t0
                out = compiled(ps, ts)
                sharding = out[1].sharding if direction == "value_and_grad" else None
                timing = bench(lambda jf=compiled, a=ps, b=ts: jf(a, b), sync=sync, **kw)
                value = float(out[0] if direction == "value_and_grad" else out)
                _emit(
                    {
                        "part": "jax",
                        "loss": loss,
                        "impl": impl,
                        "direction": direction,
                        "devices": n_devices,
                        "shape": list(p.shape),
                        "elements": int(p.size),
                        "input_bytes": int(p.nbytes + t.nbytes),
                        "shards": len(ps.addressable_shards),
                        "value": value,
                        "compile_s": compile_s,
                        "grad_devices": None if sharding is None else len(sharding.device_set),
                        **timing,
                    }
                )


def run_jax(mode: str) -> list[dict[str, Any]]:
    rows = []
    for n_devices in (1, 8):
        env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={n_devices}", "JAX_PLATFORMS": "cpu"}
        cmd = [sys.executable, __file__, "--jax-child", str(n_devices), "--rows", str(JAX_ROWS[mode])]
        if mode == "quick":
            cmd.append("--quick")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE, check=False)
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            _emit({"part": "jax", "devices": n_devices, "error": proc.stderr.strip().splitlines()[-1:]})
            continue
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                print(line, flush=True)
                rows.append(json.loads(line))
    return rows


# --------------------------------------------------------------------------- summary
def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f}"


def summary(dask_rows: list[dict[str, Any]], jax_rows: list[dict[str, Any]]) -> str:
    """Markdown tables of the measurements."""
    out = []
    if dask_rows:
        out += [
            "| loss | elements | chunk elements | data MiB | chunk MiB | wall s | worker peak RSS MiB | growth MiB "
            "| NumPy slice rel. err |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in dask_rows:
            out.append(
                f"| {r['loss']} | {r['elements']:.1e} | {r['chunk_elements']:.1e} | {_mib(r['data_bytes'])} "
                f"| {_mib(r['chunk_bytes'])} | {r['wall_s']:.2f} | "
                f"{' / '.join(_mib(v) for v in r['worker_peak_bytes'])} | {_mib(r['max_worker_growth_bytes'])} "
                f"| {r['slice_rel_err']:.1e} {'ok' if r['slice_ok'] else 'MISMATCH'} |"
            )
    if jax_rows:
        idx = {(r["loss"], r["direction"], r["devices"], r["impl"]): r for r in jax_rows if "impl" in r}
        out += [
            "",
            "| loss | direction | devices | shape | lossapi | optax | ratio (min–max) | compile s lossapi / optax |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for (loss, direction, dev, impl), r in idx.items():
            if impl != "lossapi" or (loss, direction, dev, "optax") not in idx:
                continue
            o = idx[(loss, direction, dev, "optax")]
            out.append(
                f"| {loss} | {direction} | {dev} | {'×'.join(map(str, r['shape']))} | {r['median'] * 1e3:.2f} ms "
                f"| {o['median'] * 1e3:.2f} ms | {r['median'] / o['median']:.2f} "
                f"({r['min'] / o['min']:.2f}–{r['max'] / o['max']:.2f}) | {r['compile_s']:.2f} / {o['compile_s']:.2f} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 1 min)")
    ap.add_argument("--part", choices=("dask", "jax", "all"), default="all")
    ap.add_argument("--jax-child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.jax_child:
        jax_child(args.jax_child, args.rows, args.quick)
        return
    mode = "quick" if args.quick else "full"
    dask_rows = run_dask(mode) if args.part in ("dask", "all") else []
    jax_rows = run_jax(mode) if args.part in ("jax", "all") else []
    print(summary(dask_rows, jax_rows), file=sys.stderr)


if __name__ == "__main__":
    main()
