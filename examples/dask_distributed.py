"""Losses over data that never exists in full: lossapi on a ``dask.distributed`` cluster.

``lossapi.mse``, ``lossapi.cross_entropy`` (integer labels, class axis last) and
``lossapi.binary_cross_entropy_with_logits`` are evaluated over ``--elements`` elements each
(default 2e8; cross-entropy counts the ``N x C`` logits). The inputs are generated lazily, chunk
by chunk, by a seeded ``dask.array.random.default_rng``: each worker creates a chunk, reduces it
to a partial sum and drops it, so no process ever holds more than a few chunks. lossapi does
nothing Dask-specific here: a loss called on Dask arrays builds the lazy graph from Array API
operations and returns a 0-d Dask array; ``client.compute`` runs it on the cluster.

Run (local cluster: 2 worker processes x 1 thread, 1 GiB memory limit each)::

    python examples/dask_distributed.py                       # 2e8 elements per loss, ~1 min on 2 cores
    python examples/dask_distributed.py --elements 2e7 --chunk-elements 2e6 --n-workers 1

For every loss it prints the value, the wall time, and each worker's peak resident memory during
the computation next to the chunk size and the data size. Peak memory is the kernel's high-water
mark of the worker process (``VmHWM`` in ``/proc/self/status``), reset right before the
computation by writing ``5`` to ``/proc/self/clear_refs``: an exact peak, not a sample that can
miss a short spike. (Where ``/proc`` is unavailable the script falls back to
``resource.getrusage``'s ``ru_maxrss``, the peak since the worker started: an upper bound.)

It then checks "same numbers as NumPy on a slice that fits in memory": the losses over the first
``--check-chunks`` chunks, computed by the cluster, equal the same losses on the materialised
NumPy slice (relative tolerance 1e-5 in float32, 1e-12 in float64); the script exits with status
1 otherwise.

Multi-machine cluster: start a scheduler and workers, then point the script (or your own code)
at the scheduler; the loss code is unchanged::

    dask scheduler                                             # on host A, listens on :8786
    dask worker tcp://hostA:8786 --nworkers 4 --nthreads 1 --memory-limit 8GiB   # on each host
    python examples/dask_distributed.py --scheduler tcp://hostA:8786 --elements 2e9

Every worker needs the same Python environment (numpy, dask, lossapi). Real data comes from
shared storage instead of ``da.random``, e.g. ``logits = da.from_zarr("s3://bucket/logits.zarr")``
or ``dd.read_parquet(...).to_dask_array(lengths=True)``; keep the class axis in one chunk.

Tested at small sizes by ``tests/test_scale.py``; benchmarked at full size by
``benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import lossapi as la

LOSSES = ("mse", "cross_entropy", "binary_cross_entropy_with_logits")
_TOL = {"float32": 1e-5, "float64": 1e-12}


# --------------------------------------------------------------------------- inputs
def make_inputs(
    loss: str,
    elements: int,
    chunk_elements: int,
    *,
    num_classes: int = 1000,
    dtype: str = "float32",
    seed: int = 0,
) -> tuple[tuple[Any, Any], int]:
    """Lazy, seeded Dask inputs of ``loss`` with about ``elements`` elements.

    Parameters
    ----------
    loss : str
        One of :data:`LOSSES`.
    elements : int
        Number of prediction elements (``N * num_classes`` logits for cross-entropy).
    chunk_elements : int
        Prediction elements per chunk; cross-entropy chunks hold whole rows (the class axis is
        one chunk) so a chunk has ``chunk_elements // num_classes`` rows.
    num_classes : int, default 1000
        Classes of the cross-entropy logits.
    dtype : {"float32", "float64"}
        Floating dtype of the predictions and regression / binary targets.
    seed : int, default 0
        Seed of the ``dask.array.random.default_rng`` generator.

    Returns
    -------
    (pred, target), rows_per_chunk
        Two lazy Dask arrays and the length of one chunk along the first axis.
    """
    import dask.array as da  # noqa: PLC0415

    rng = da.random.default_rng(seed)
    if loss == "cross_entropy":
        rows = max(1, chunk_elements // num_classes)
        n = max(1, elements // num_classes)
        logits = rng.standard_normal((n, num_classes), chunks=(rows, num_classes), dtype=dtype)
        labels = rng.integers(0, num_classes, n, chunks=rows, dtype=np.int64)
        return (logits, labels), rows
    rows = chunk_elements
    pred = rng.standard_normal(elements, chunks=rows, dtype=dtype)
    if loss == "mse":
        target = rng.standard_normal(elements, chunks=rows, dtype=dtype)
    elif loss == "binary_cross_entropy_with_logits":
        target = (rng.random(elements, chunks=rows, dtype=dtype) < 0.5).astype(dtype)
    else:
        raise ValueError(f"unknown loss {loss!r}; choose from {LOSSES}")
    return (pred, target), rows


def nbytes(arrays: Sequence[Any]) -> int:
    """Total bytes of ``arrays`` (Dask arrays are not computed)."""
    return int(sum(a.nbytes for a in arrays))


def chunk_nbytes(arrays: Sequence[Any]) -> int:
    """Bytes of the first chunk of every array together: what one task reads."""
    return int(sum(np.prod([c[0] for c in a.chunks]) * a.dtype.itemsize for a in arrays))


# --------------------------------------------------------------------------- worker memory
def _reset_peak() -> int:
    """On a worker: reset the process's peak RSS to its current RSS; return the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:  # "5" resets VmHWM (Linux >= 4.0)
            f.write("5")
    except OSError:
        pass
    return _memory()[0]


def _memory() -> tuple[int, int]:
    """On a worker: (current RSS, peak RSS since the last reset) in bytes."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        import resource  # noqa: PLC0415

        import psutil  # type: ignore[import-untyped]  # noqa: PLC0415

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak *= 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
        return int(psutil.Process().memory_info().rss), int(peak)


# --------------------------------------------------------------------------- evaluation
def loss_fn(loss: str) -> Callable[[Any, Any], Any]:
    """The lossapi function evaluated for ``loss`` (mean reduction, defaults otherwise)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose from {LOSSES}")
    return getattr(la, loss)


def _ship_module(client: Any) -> None:
    """Let workers unpickle this module's functions when it was imported, not run as a script.

    Worker processes do not have ``examples/`` on their path; cloudpickle then sends the
    functions by value instead of by reference.
    """
    if __name__ != "__main__":
        import cloudpickle  # type: ignore[import-untyped]  # noqa: PLC0415

        cloudpickle.register_pickle_by_value(sys.modules[__name__])


def evaluate(
    client: Any,
    loss: str,
    elements: int,
    chunk_elements: int,
    *,
    num_classes: int = 1000,
    dtype: str = "float32",
    seed: int = 0,
    check_chunks: int = 2,
) -> dict[str, Any]:
    """Evaluate ``loss`` on the cluster of ``client`` and check it against NumPy on a slice.

    Parameters
    ----------
    client : distributed.Client
        A client of a running cluster (local or remote).
    loss : str
        One of :data:`LOSSES`.
    elements, chunk_elements, num_classes, dtype, seed
        Passed to :func:`make_inputs`.
    check_chunks : int, default 2
        Number of leading chunks computed both on the cluster and as NumPy; 0 skips the check.

    Returns
    -------
    dict
        ``value``, ``wall_s``, ``data_bytes``, ``chunk_bytes``, ``chunks``, per-worker
        ``worker_base_bytes`` (RSS before) and ``worker_peak_bytes`` (peak RSS during the
        computation), their maxima, and the slice check: ``slice_dask``, ``slice_numpy``,
        ``slice_rel_err``, ``slice_ok``.
    """
    _ship_module(client)
    (pred, target), rows = make_inputs(loss, elements, chunk_elements, num_classes=num_classes, dtype=dtype, seed=seed)
    fn = loss_fn(loss)
    lazy = fn(pred, target)  # a lazy 0-d Dask array: nothing runs yet

    base = client.run(_reset_peak)
    t0 = time.perf_counter()
    value = float(client.compute(lazy).result())
    wall = time.perf_counter() - t0
    mem = client.run(_memory)
    peaks = {w: mem[w][1] for w in mem}
    out: dict[str, Any] = {
        "loss": loss,
        "dtype": dtype,
        "elements": int(pred.size),
        "shape": list(pred.shape),
        "chunks": int(pred.numblocks[0]),
        "value": value,
        "wall_s": wall,
        "data_bytes": nbytes((pred, target)),
        "chunk_bytes": chunk_nbytes((pred, target)),
        "workers": len(mem),
        "worker_base_bytes": base,
        "worker_peak_bytes": peaks,
        "max_worker_peak_bytes": max(peaks.values()),
        "max_worker_growth_bytes": max(peaks[w] - base.get(w, 0) for w in peaks),
    }
    if check_chunks > 0:
        k = min(check_chunks, pred.numblocks[0]) * rows
        p_slice, t_slice = pred[:k], target[:k]
        # One graph for both: submitting the slice twice would regenerate it under new task specs.
        on_cluster, p_np, t_np = client.compute([fn(p_slice, t_slice), p_slice, t_slice], sync=True)
        on_cluster = float(on_cluster)
        on_numpy = float(fn(np.asarray(p_np), np.asarray(t_np)))
        rel = abs(on_cluster - on_numpy) / max(abs(on_numpy), np.finfo(np.float64).tiny)
        out.update(
            slice_elements=int(p_slice.size),
            slice_dask=on_cluster,
            slice_numpy=on_numpy,
            slice_rel_err=rel,
            slice_ok=bool(rel <= _TOL[dtype]),
        )
    return out


def _mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def report_line(r: dict[str, Any]) -> str:
    """One human-readable line for a result of :func:`evaluate`."""
    peaks = ", ".join(_mb(v) for v in r["worker_peak_bytes"].values())
    line = (
        f"{r['loss']:<34} value {r['value']:.6f}  {r['elements']:.2e} elements  {r['wall_s']:6.2f} s  "
        f"data {_mb(r['data_bytes'])} in {r['chunks']} chunks of {_mb(r['chunk_bytes'])}; "
        f"worker peak RSS [{peaks}] (growth {_mb(r['max_worker_growth_bytes'])})"
    )
    if "slice_ok" in r:
        line += (
            f"\n{'':<34} first {r['slice_elements']:.1e} elements: cluster {r['slice_dask']:.9g} "
            f"numpy {r['slice_numpy']:.9g} rel.err {r['slice_rel_err']:.1e} "
            f"{'OK' if r['slice_ok'] else 'MISMATCH'}"
        )
    return line


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--elements", type=float, default=2e8, help="elements per loss (default 2e8)")
    p.add_argument("--chunk-elements", type=float, default=5e6, help="elements per chunk (default 5e6)")
    p.add_argument("--num-classes", type=int, default=1000, help="cross-entropy classes (default 1000)")
    p.add_argument("--dtype", choices=sorted(_TOL), default="float32")
    p.add_argument("--losses", default=",".join(LOSSES), help="comma-separated subset of " + ",".join(LOSSES))
    p.add_argument(
        "--scheduler",
        default=None,
        help="address of a running scheduler, e.g. tcp://host:8786; default: start a LocalCluster",
    )
    p.add_argument("--n-workers", type=int, default=2)
    p.add_argument("--threads-per-worker", type=int, default=1)
    p.add_argument("--memory-limit", default="1GiB", help="per worker (LocalCluster only; default 1GiB)")
    p.add_argument("--check-chunks", type=int, default=2, help="leading chunks compared with NumPy (default 2)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the example; 0 when every slice check agrees with NumPy, 1 otherwise."""
    args = _parse(argv)
    from distributed import Client, LocalCluster  # noqa: PLC0415

    if args.scheduler:
        cluster, client = None, Client(args.scheduler)
    else:
        cluster = LocalCluster(
            n_workers=args.n_workers,
            threads_per_worker=args.threads_per_worker,
            memory_limit=args.memory_limit,
            processes=True,
            dashboard_address=":0",
        )
        client = Client(cluster)
    ok = True
    try:
        print(f"cluster: {len(client.scheduler_info()['workers'])} workers, {client}")
        for loss in args.losses.split(","):
            r = evaluate(
                client,
                loss,
                int(args.elements),
                int(args.chunk_elements),
                num_classes=args.num_classes,
                dtype=args.dtype,
                seed=args.seed,
                check_chunks=args.check_chunks,
            )
            print(report_line(r), flush=True)
            ok &= r.get("slice_ok", True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
