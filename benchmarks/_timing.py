"""Timing helper shared by the benchmark scripts (never imported by lossapi or its tests).

Method:

1. ``warmup`` untimed calls (JIT compilation, allocator warm-up, lazy imports);
2. calibration: the minimum of 3 single calls sizes the inner loop so that one repeat lasts at
   least ``min_time`` seconds (large inputs end up with 1 call per repeat);
3. ``repeats`` timed repeats with ``gc`` disabled, each ``number`` calls, ``time.perf_counter``;
4. the result is the time *per call*: min, median and max over the repeats.

``sync`` is called after every call (``block_until_ready`` for JAX, ``torch.cuda.synchronize``
on a GPU), so asynchronous backends are timed to completion. Nothing here asserts a timing.
"""

from __future__ import annotations

import gc
import statistics
import time
import timeit
import tracemalloc
from collections.abc import Callable
from typing import Any

__all__ = ["Timing", "bench", "bench_stmt", "fmt_time", "peak_memory_numpy"]


class Timing(dict):
    """Per-call seconds: keys ``min``, ``median``, ``max``, ``number``, ``repeats``."""

    @property
    def median(self) -> float:
        return self["median"]


def _summary(per_call: list[float], number: int) -> Timing:
    return Timing(
        min=min(per_call),
        median=statistics.median(per_call),
        max=max(per_call),
        number=number,
        repeats=len(per_call),
    )


def bench(
    fn: Callable[[], Any],
    *,
    sync: Callable[[Any], Any] | None = None,
    warmup: int = 2,
    repeats: int = 15,
    min_time: float = 0.02,
    max_number: int = 1_000_000,
    budget: float | None = None,
    calibrate: int = 3,
) -> Timing:
    """Time ``fn()`` (no arguments). ``sync(result)`` runs after each call when given.

    ``budget`` (seconds) caps the total timed time: repeats are cut (to at least 3) when one
    repeat is slow, which keeps full runs with 1e7-element inputs bounded. ``calibrate`` single
    calls size the inner loop (quick runs use 1).
    """
    if sync is None:

        def call() -> None:
            fn()
    else:

        def call() -> None:
            sync(fn())

    for _ in range(max(warmup, 1)):
        call()
    single = []
    for _ in range(max(calibrate, 1)):
        t0 = time.perf_counter()
        call()
        single.append(time.perf_counter() - t0)
    est = max(min(single), 1e-9)
    number = int(min(max_number, max(1, min_time / est)))
    if budget is not None:
        repeats = max(3, min(repeats, int(budget / (est * number)) or 3))
    rng = range(number)
    per_call = []
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in rng:
                call()
            per_call.append((time.perf_counter() - t0) / number)
    finally:
        if enabled:
            gc.enable()
    return _summary(per_call, number)


def bench_stmt(stmt: str, namespace: dict[str, Any], *, repeats: int = 15, min_time: float = 0.05) -> Timing:
    """Time a statement with :mod:`timeit` (no wrapper call per iteration), for ns-level costs.

    ``timeit`` disables ``gc`` while timing and its loop costs about 10 ns per iteration.
    """
    t = timeit.Timer(stmt, globals=namespace)
    t.timeit(1000)  # warm-up
    number, _ = t.autorange()
    one = t.timeit(number) / number
    number = max(number, int(min_time / max(one, 1e-9)))
    per_call = [x / number for x in t.repeat(repeat=repeats, number=number)]
    return _summary(per_call, number)


def peak_memory_numpy(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated through Python/NumPy's tracked allocators during one ``fn()`` call.

    NumPy reports its data buffers to ``tracemalloc``; torch and XLA do not, so this is only
    meaningful for NumPy (and Dask's NumPy chunks).
    """
    fn()  # warm-up outside the trace
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base


def fmt_time(seconds: float) -> str:
    """Human-readable time: ns, µs, ms or s."""
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def peak_rss(fn: Callable[[], Any], setup: Callable[[], Any] | None = None) -> int | None:
    """Resident-set high-water growth (bytes) during one ``fn()`` call, or None off Linux.

    For allocators that tracemalloc cannot see (torch CPU, XLA). Before the call, freed heap
    memory is returned to the OS (``malloc_trim``) and the kernel's high-water mark is reset to
    the current RSS (``/proc/self/clear_refs`` = 5), so the number is the new pages the call
    touched: its temporaries and outputs, including anything the allocator keeps cached.
    ``setup()`` runs before the baseline (e.g. ``p.grad = None``, so that freeing the previous
    call's gradient inside the call does not offset the new one).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None

    def status(key: str) -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
        raise KeyError(key)

    fn()  # warm-up: lazy initialisation and caches are not the call's working memory
    if setup is not None:
        setup()
    gc.collect()
    libc.malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        base = status("VmRSS:")
    except OSError:
        return None
    fn()
    return max(0, status("VmHWM:") - base)
