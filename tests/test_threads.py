"""Thread safety of lossapi's module state, and of the per-thread switches.

What module-level state lossapi has, and why concurrent use is safe:

- ``_dispatch._CACHE`` (tuple of input types -> namespace, device checker) and
  ``_dispatch._BACKEND_OF`` (namespace name -> backend name): filled on a miss by a single dict
  store (or ``setdefault``) of a value computed from the key alone, so two threads racing on
  one key store equal entries; a reader sees the entry or misses and resolves it again.
  ``clear_cache()`` is one ``dict.clear()``. Nothing iterates over them. No lock: a lock would
  stop ``torch.compile`` from tracing through a miss.
- ``_array._KIND`` / ``_HALF`` / ``_FULL_FLOATS``:
  memo tables of pure functions of a dtype, read with one lookup and filled with one store or
  set add (idempotent); never iterated.
- ``_catalog._REGISTRY`` and ``_native._TABLES``: filled while ``lossapi`` is imported (under the
  import lock: another thread importing lossapi waits for it), only read afterwards
  (``native_backends`` iterates over a copy).
- The native fast-path switch (``_native``): a process-wide default (``LOSSAPI_NATIVE``,
  ``set_native``; one global store) and a per-thread override set by ``with
  lossapi.native(...)`` blocks, an attribute of a ``threading.local`` (not a ContextVar, which
  ``torch.compile`` cannot trace): a block in one thread is not seen by any other thread.
- The value-check switch (``_value_checks``): ``with lossapi.check_values()`` sets a ContextVar (per
  thread and per asyncio task); the module counter of open blocks, which lets the hot path skip
  the ContextVar read, changes under a lock.
- ``LossMonitor``: instance state, not module state; each monitor has a lock, so one training
  thread can ``update`` while another reads ``history``, exports or plots it.
- Everything else at module level is an immutable constant (tuples, frozensets, strings,
  ``MappingProxyType``) or a table only read after import (``recommend``, ``plotting``).

The hammer test runs several losses from 16 threads on mixed backends after clearing the
dispatch cache (with one more thread clearing it again and again) and with the interpreter
switching threads every microsecond, and checks every result against a float64 NumPy value
computed up front.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from _backends import Backend, load_backend

import lossapi as la
from lossapi import _dispatch, _native

_N = 6  # batch size
_C = 5  # classes / features


def _lse(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return (np.log(np.exp(z - m).sum(axis=-1, keepdims=True)) + m)[..., 0]


def _cases() -> list[tuple[str, Callable[..., Any], dict[str, np.ndarray], dict[str, Any], np.ndarray]]:
    """(label, loss, NumPy inputs, options, float64 NumPy expectation of reduction="none")."""
    rng = np.random.default_rng(7)
    p, t = rng.normal(size=(_N, _C)), rng.normal(size=(_N, _C))
    t[0, :2] = p[0, :2] + np.array([0.3, -2.5])  # both sides of Huber's delta
    logits, labels = rng.normal(size=(_N, _C)) * 3, rng.integers(0, _C, size=_N)
    q = rng.dirichlet(np.ones(_C), size=_N)
    tq = rng.dirichlet(np.ones(_C), size=_N)
    tq[1, 2] = 0.0  # a zero target entry contributes 0
    tq[1] /= tq[1].sum()
    a, pos, neg = rng.normal(size=(3, _N, _C))
    x, tb = rng.normal(size=(_N, _C)) * 4, rng.uniform(size=(_N, _C))
    sw = rng.uniform(0.5, 2.0, size=(_N, _C))
    e = np.abs(p - t)
    huber = np.where(e <= 1.0, 0.5 * e**2, e - 0.5)
    kl = np.where(tq > 0, tq * np.log(np.where(tq > 0, tq, 1.0)), 0.0).sum(-1) - (tq * np.log(q)).sum(-1)

    def dist(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.sqrt(((u - v + 1e-6) ** 2).sum(-1))

    return [
        ("mse", la.mean_squared_error, {"pred": p, "target": t}, {}, (p - t) ** 2),
        ("mse weighted", la.mean_squared_error, {"pred": p, "target": t}, {"sample_weight": sw}, sw * (p - t) ** 2),
        ("huber", la.huber, {"pred": p, "target": t}, {}, huber),
        (
            "cross_entropy",
            la.cross_entropy,
            {"logits": logits, "labels": labels},
            {},
            _lse(logits) - logits[np.arange(_N), labels],
        ),
        ("kl_divergence", la.kl_divergence, {"log_probs": np.log(q), "target": tq}, {}, kl),
        (
            "triplet_margin",
            la.triplet_margin,
            {"a": a, "p": pos, "n": neg},
            {},
            np.maximum(1.0 + dist(a, pos) - dist(a, neg), 0.0),
        ),
        (
            "bce_with_logits",
            la.binary_cross_entropy_with_logits,
            {"logits": x, "target": tb},
            {},
            np.maximum(x, 0) - x * tb + np.log1p(np.exp(-np.abs(x))),
        ),
    ]


def _expected_mean(label: str, none: np.ndarray, options: dict[str, Any]) -> np.ndarray:
    w = options.get("sample_weight")
    return np.asarray(none.sum() / w.sum() if w is not None else none.mean())


def test_hammer_threads_mixed_backends() -> None:
    """16 threads x 200 calls over 5 backends and 7 losses, racing to fill a cleared cache."""
    names = ["numpy", "torch", "jax", "array_api_strict", "dask"]
    backends: dict[str, Backend] = {n: load_backend(n) for n in names}
    cases = _cases()
    # Per (case, backend): converted inputs/options and the expectation of "none" and "mean".
    jobs = []
    for label, fn, inputs, options, none in cases:
        for bname, bk in backends.items():
            args = tuple(bk.asarray(v) for v in inputs.values())
            opts = {k: bk.asarray(v) for k, v in options.items()}
            for reduction, want in (("none", none), ("mean", _expected_mean(label, none, options))):
                jobs.append((f"{label} [{bname}] reduction={reduction}", bk, fn, args, opts, reduction, want))
    # Warm up each call once: JAX compiles its eager ops here, not in 16 threads at once.
    for _, _bk, fn, args, opts, reduction, _ in jobs:
        fn(*args, **opts, reduction=reduction)
    dask_jobs = [j for j in jobs if j[1].name == "dask"]
    other_jobs = [j for j in jobs if j[1].name != "dask"]

    def check(job: tuple[Any, ...]) -> str | None:
        where, bk, fn, args, opts, reduction, want = job
        out = fn(*args, **opts, reduction=reduction)
        if not bk.is_native(out):
            return f"{where}: returned {type(out).__name__}"
        got = np.asarray(out.compute(scheduler="synchronous")) if bk.name == "dask" else bk.to_numpy(out)
        if got.shape != want.shape or got.dtype != np.float64 or not np.allclose(got, want, rtol=1e-12, atol=1e-14):
            return f"{where}: got {got!r}, expected {want!r}"
        return None

    def worker(tid: int) -> list[str]:
        errors = []
        rng = np.random.default_rng(tid)
        for i in range(200):
            # Dask graphs cost milliseconds: one call in 25 (128 in all); the rest interleave.
            job = dask_jobs[rng.integers(len(dask_jobs))] if i % 25 == 0 else other_jobs[rng.integers(len(other_jobs))]
            try:
                if tid % 4 == 3:  # a quarter of the threads force the generic path
                    with la.native(False):
                        err = check(job)
                else:
                    err = check(job)
            except Exception as e:  # noqa: BLE001 - reported with the job
                err = f"{job[0]}: raised {type(e).__name__}: {e}"
            if err:
                errors.append(f"thread {tid} call {i}: {err}")
        return errors

    stop = threading.Event()

    def clearer() -> int:
        n = 0
        while not stop.is_set():
            _dispatch.clear_cache()
            n += 1
            stop.wait(0.001)
        return n

    old = sys.getswitchinterval()
    _dispatch.clear_cache()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=17) as pool:
            cleared = pool.submit(clearer)
            futures = [pool.submit(worker, t) for t in range(16)]
            errors = [e for f in futures for e in f.result()]
            stop.set()
            n_cleared = cleared.result()
    finally:
        stop.set()
        sys.setswitchinterval(old)
    assert not errors, f"{len(errors)} wrong results:\n" + "\n".join(errors[:30])
    assert n_cleared > 1
    assert la.native_enabled()  # the worker threads' native(False) blocks did not leak here


def _in_thread(fn: Callable[[], Any]) -> Any:
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def test_native_switch_is_per_thread() -> None:
    torch = pytest.importorskip("torch")
    used: list[str] = []
    real = _native._FAST[("mean_squared_error", "torch")]

    def spy(*a: Any, **k: Any) -> Any:
        used.append(threading.current_thread().name)
        return real(*a, **k)

    x, y = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    _native._FAST[("mean_squared_error", "torch")] = spy
    inside, leave = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def blocker() -> None:
        with la.native(False):
            seen["blocker"] = la.native_enabled()
            la.mse(x, y)  # generic: the spy is not called from this thread
            inside.set()
            leave.wait(10)

    try:
        t = threading.Thread(target=blocker, name="blocker")
        t.start()
        assert inside.wait(10)
        # Another thread's native(False) block is not seen here or in a new thread.
        assert la.native_enabled() and _in_thread(la.native_enabled)
        la.mse(x, y)
        assert used == [threading.current_thread().name]
        # A block here is not seen by a thread started inside it, and nests / restores.
        with la.native(False):
            assert not la.native_enabled() and _in_thread(la.native_enabled)
            with la.native(True):
                assert la.native_enabled()
            assert not la.native_enabled()
        assert la.native_enabled()
        leave.set()
        t.join()
        assert seen["blocker"] is False and "blocker" not in used
        # set_native is process-wide: other threads see it; inside a block it also sets the block.
        old = la.set_native(False)
        try:
            assert old is True and not _in_thread(la.native_enabled)
            with la.native(True):
                assert la.set_native(False) is True and not la.native_enabled()
            assert not la.native_enabled()
        finally:
            la.set_native(old)
        assert la.native_enabled() and _in_thread(la.native_enabled)
    finally:
        leave.set()
        _native._FAST[("mean_squared_error", "torch")] = real


def test_check_values_switch_is_per_thread() -> None:
    bad, target = np.array([0.5, 1.5]), np.array([0.0, 1.0])  # a "probability" of 1.5
    inside, leave = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def checker() -> None:
        with la.check_values():
            try:
                la.binary_cross_entropy(bad, target)
            except la.LossapiError as e:
                errors.append(e)
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=checker)
    t.start()
    try:
        assert inside.wait(10)
        la.binary_cross_entropy(bad, target)  # no check here: the other thread's block is its own
        _in_thread(lambda: la.binary_cross_entropy(bad, target))
    finally:
        leave.set()
        t.join()
    assert len(errors) == 1 and "probs" in str(errors[0]), errors


def test_monitor_concurrent_update_and_read() -> None:
    """One monitor updated by 4 threads while 2 threads read and export it."""
    mon = la.LossMonitor(window=5)
    stop = threading.Event()
    problems: list[str] = []

    def writer(tid: int) -> None:
        for i in range(300):
            comps = {f"c{tid}": np.float64(i)} if i % 3 else {}  # new component names appear late
            mon.update(np.float64(tid + i * 1e-3), comps)

    def reader() -> None:
        while not stop.is_set():
            try:
                steps, hist = mon.steps, mon.history
                d = mon.as_dict()
                lens = {len(v) for v in d["components"].values()} | {len(d["total"]), len(d["step"])}
                if len(lens) != 1:
                    problems.append(f"as_dict lengths differ: {lens}")
                mon.to_csv()
                mon.analyze()
                if len(hist["total"]) < len(steps):  # history is read after steps: never shorter
                    problems.append(f"history {len(hist['total'])} shorter than steps {len(steps)}")
            except Exception as e:  # noqa: BLE001
                problems.append(f"{type(e).__name__}: {e}")

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        readers = [threading.Thread(target=reader) for _ in range(2)]
        writers = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
        for th in readers + writers:
            th.start()
        for th in writers:
            th.join()
        stop.set()
        for th in readers:
            th.join()
    finally:
        stop.set()
        sys.setswitchinterval(old)
    assert not problems, problems[:5]
    d = mon.as_dict()
    assert len(d["total"]) == 1200 and sorted(d["step"]) == list(range(1200))
    for tid in range(4):
        vals = np.array(d["components"][f"c{tid}"])
        assert np.count_nonzero(~np.isnan(vals)) == 200  # every update recorded once, in its row
    assert sorted(d["total"]) == sorted(t + i * 1e-3 for t in range(4) for i in range(300))
