"""Every catalog loss with a native counterpart (``specs.SPECS``) against it, one backend per process.

    python benchmarks/bench_losses.py --backend {numpy,torch,jax,cupy} [--quick] [--sizes tiny,small]
                                      [--losses mse,huber] [--device cuda] [--compile all|none|mse,...]

Prints one JSON object per measurement (per-call seconds: min, median, max over the repeats);
``run.py`` runs it once per backend in a fresh process and builds the ratio table.

- numpy: lossapi vs the hand-written NumPy formulation (``impl=numpy``) and vs sklearn's metric
  (``impl=sklearn``); ``peak_bytes`` = tracemalloc peak of one call at small sizes and up.
- torch (eager, ``mode=eager``): lossapi with fast paths (``impl=lossapi``) and with
  ``lossapi.native(False)`` (``impl=lossapi_generic``) vs the torch counterpart (``impl=torch``),
  forward under ``no_grad`` and forward+backward w.r.t. the first input; for large inputs
  ``peak_bytes`` = RSS high-water growth of one call (``_timing.peak_rss``).
  ``mode=compile``: ``torch.compile(fullgraph=True, dynamic=False)`` of lossapi and of the native,
  ``compile_s`` = the first call (tracing + compilation), then timed as above.
- jax (``mode=jit``): ``jax.jit`` of lossapi vs of optax (``impl=optax``) and of ``keras.losses``
  on the JAX backend (``impl=keras``, a peer); forward, ``grad`` and ``value_and_grad`` w.r.t. the
  first input (quick: no separate ``grad``); for large inputs ``peak_bytes`` = XLA's temporary
  buffers of the compiled function (``memory_analysis().temp_size_in_bytes``).
- cupy (``--device cuda``): the NumPy rows on CuPy (no sklearn).

Every pair is value-checked first (a warning on stderr when lossapi and the native disagree).
Nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import specs
from _timing import bench, peak_memory_numpy, peak_rss
from specs import SPECS, Spec

import lossapi as la


def timing_kw(size: str, quick: bool) -> dict[str, Any]:
    """bench() settings per size class: short repeats for big inputs, a total budget per case."""
    if size == "large":
        return {"repeats": 5, "min_time": 0.0, "warmup": 1, "budget": 2.0}
    if quick:  # < 5 min for the whole quick run: one calibration call, few repeats
        if size == "tiny":
            return {"repeats": 5, "min_time": 0.005, "warmup": 2, "calibrate": 1}
        return {"repeats": 3, "min_time": 0.005, "warmup": 1, "budget": 0.2, "calibrate": 1}
    if size == "tiny":
        return {"repeats": 15, "min_time": 0.02, "warmup": 3}
    return {"repeats": 9, "min_time": 0.02, "warmup": 2, "budget": 2.0}


class Emitter:
    """Prints (or collects) JSON records with the fields every record shares."""

    def __init__(self, backend: str, device: str, quick: bool, sink: Callable[[dict], None] | None = None) -> None:
        self.quick = quick
        self.common = {
            "bench": "losses",
            "backend": backend,
            "device": device,
            "loadavg_1m": round(os.getloadavg()[0], 2),
            "thp_mem_alloc_enable": os.environ.get("THP_MEM_ALLOC_ENABLE"),
        }
        self.sink = sink or (lambda rec: print(json.dumps(rec), flush=True))

    def emit(
        self,
        spec: Spec,
        size: str,
        host: tuple,
        mode: str,
        direction: str,
        impl: str,
        timing: dict | None = None,
        **extra: Any,
    ) -> None:
        rec = {
            **self.common,
            "loss": spec.loss,
            "size": size,
            "shape": list(host[0].shape),
            "input_bytes": int(sum(a.nbytes for a in host)),
            "grad_bytes": int(host[0].nbytes),
            "mode": mode,
            "direction": direction,
            "impl": impl,
            **(timing or {}),
            **extra,
        }
        self.sink(rec)

    def check(self, spec: Spec, size: str, ours: float, ref: float, what: str, rtol: float = 1e-3) -> None:
        if not math.isclose(ours, ref, rel_tol=rtol, abs_tol=1e-5):
            print(
                f"warning: {spec.loss} {size} ({self.common['backend']}): lossapi {ours} != {what} {ref}",
                file=sys.stderr,
            )


def _call(f: Callable[..., Any], args: tuple) -> Callable[[], Any]:
    return lambda: f(*args)


def _native(spec: Spec, lib: str, m: Any, args: tuple) -> tuple[Callable[..., Any], tuple]:
    """The native callable and the arguments it is timed on (sklearn's conversion is untimed)."""
    nat = spec.natives[lib](m)
    if isinstance(nat, tuple):
        fn, prep = nat
        return fn, tuple(prep(*args))
    return nat, args


def selected(losses: Iterable[str] | None, libs: tuple[str, ...]) -> list[Spec]:
    """Specs with a native in ``libs``, optionally restricted to ``losses``."""
    names = set(losses) if losses else None
    return [s for s in SPECS.values() if (names is None or s.loss in names) and any(k in s.natives for k in libs)]


# ------------------------------------------------------------------ numpy / cupy
def run_numpy(em: Emitter, sizes: list[str], losses: Iterable[str] | None, m: Any = None) -> None:
    import numpy as np

    cupy = m is not None
    m = np if m is None else m
    sync = (lambda _x: m.cuda.Device().synchronize()) if cupy else None
    libs = ("numpy",) if cupy else ("numpy", "sklearn")
    for size in sizes:
        kw = timing_kw(size, em.quick)
        for spec in selected(losses, libs):
            host = specs.make_inputs(spec, size)
            args = tuple(m.asarray(a) for a in host)
            for lib in libs:
                if lib not in spec.natives:
                    continue
                ours = spec.lossapi(lib, m)
                nat, nargs = _native(spec, lib, m, host if lib == "sklearn" else args)
                em.check(spec, size, float(ours(*args)), float(nat(*nargs)), lib)
                for impl, f, a in (("lossapi", ours, args), (lib, nat, nargs)):
                    if impl == "lossapi" and lib == "sklearn" and "numpy" in spec.natives:
                        continue  # already timed against the hand-written formulation, back to back
                    t = bench(_call(f, a), sync=sync, **kw)
                    extra: dict[str, Any] = {}
                    if not cupy and size != "tiny" and lib != "sklearn":
                        extra = {"peak_bytes": peak_memory_numpy(_call(f, a)), "peak_what": "tracemalloc"}
                    em.emit(spec, size, host, "eager", "fwd", impl, t, vs=lib, **extra)


# ------------------------------------------------------------------ torch
def run_torch(
    em: Emitter, sizes: list[str], losses: Iterable[str] | None, device: str, compile_losses: Iterable[str] | None
) -> None:
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    dev = torch.device(device)
    sync = (lambda _x: torch.cuda.synchronize()) if dev.type == "cuda" else None
    todo = selected(losses, ("torch",))
    for size in sizes:
        kw = timing_kw(size, em.quick)
        for spec in todo:
            host = specs.make_inputs(spec, size)
            arrs = tuple(torch.asarray(a, device=dev) for a in host)
            ours, nat = spec.lossapi("torch", torch), spec.natives["torch"](torch)
            ref = float(nat(*arrs))
            em.check(spec, size, float(ours(*arrs)), ref, "torch", rtol=1e-4)
            with la.native(False):
                em.check(spec, size, float(ours(*arrs)), ref, "torch (generic path)", rtol=1e-4)
            fast = "torch" in la._native.native_backends(spec.loss)
            p = arrs[0].clone().requires_grad_(True)
            for impl, f, native_on in (("torch", nat, True), ("lossapi", ours, True), ("lossapi_generic", ours, False)):
                extra = {"fast_path": fast, "native_is": spec.native_is.get("torch", "")}
                with la.native(native_on):
                    with torch.no_grad():
                        fwd = _call(f, arrs)
                        t = bench(fwd, sync=sync, **kw)
                        mem = _rss(fwd) if size == "large" and dev.type == "cpu" else {}
                    em.emit(spec, size, host, "eager", "fwd", impl, t, **extra, **mem)
                    step = _step(f, p, arrs[1:])
                    t = bench(step, sync=sync, **kw)
                    mem = (
                        _rss(step, lambda p=p: setattr(p, "grad", None))
                        if size == "large" and dev.type == "cpu"
                        else {}
                    )
                    em.emit(spec, size, host, "eager", "fwd+bwd", impl, t, **extra, **mem)
    if compile_losses is None:
        return
    names = set(compile_losses)
    # quick: one mid size (throughput); full: tiny (per-call overhead) and large (bandwidth)
    csizes = [s for s in sizes if s in (("small",) if em.quick else ("tiny", "large"))]
    # compile times must not come from inductor's caches: with the fast path, lossapi's graph
    # is F's graph, whose kernels would be cache hits right after compiling F.
    import tempfile

    import torch._functorch.config
    import torch._inductor.config

    torch._inductor.config.fx_graph_cache = False
    torch._functorch.config.enable_autograd_cache = False
    cache_root = tempfile.TemporaryDirectory(prefix="lossapi-bench-inductor-")
    if csizes:  # the first compile in a process also pays for importing inductor: not a loss's cost
        torch._dynamo.reset()
        torch.compile(lambda x: (x * x).mean(), fullgraph=True)(torch.ones(4, device=dev))
    for size in csizes:
        kw = timing_kw(size, em.quick)
        for spec in (s for s in todo if s.loss in names):
            host = specs.make_inputs(spec, size)
            arrs = tuple(torch.asarray(a, device=dev) for a in host)
            p = arrs[0].clone().requires_grad_(True)
            for impl, f in (("torch", spec.natives["torch"](torch)), ("lossapi", spec.lossapi("torch", torch))):
                extra = {"native_is": spec.native_is.get("torch", "")}
                try:
                    _fresh_inductor(cache_root.name)
                    cf = torch.compile(f, fullgraph=True, dynamic=False)
                    with torch.no_grad():
                        fwd = _call(cf, arrs)
                        t0 = time.perf_counter()
                        fwd()
                        compile_s = time.perf_counter() - t0
                        t = bench(fwd, sync=sync, **kw)
                    em.emit(spec, size, host, "compile", "fwd", impl, t, compile_s=compile_s, **extra)
                    _fresh_inductor(cache_root.name)
                    cf = torch.compile(f, fullgraph=True, dynamic=False)
                    step = _step(cf, p, arrs[1:])
                    t0 = time.perf_counter()
                    step()
                    compile_s = time.perf_counter() - t0
                    t = bench(step, sync=sync, **kw)
                    em.emit(spec, size, host, "compile", "fwd+bwd", impl, t, compile_s=compile_s, **extra)
                except Exception as e:  # a graph break under fullgraph=True is a finding, not a crash
                    msg = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
                    print(f"warning: torch.compile {spec.loss} {impl} {size}: {msg}", file=sys.stderr)
                    em.emit(spec, size, host, "compile", "fwd", impl, None, error=msg, **extra)
    cache_root.cleanup()


def _fresh_inductor(root: str) -> None:
    """Forget every compiled graph and kernel, so that the next compile time is a cold one."""
    import tempfile

    import torch
    from torch._inductor import codecache

    torch._dynamo.reset()
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(dir=root)
    for name in ("PyCodeCache", "CppCodeCache", "CppPythonBindingsCodeCache", "CppWrapperCodeCache"):
        cache = getattr(codecache, name, None)
        if cache is not None and hasattr(cache, "cache_clear"):
            cache.cache_clear()


def _step(f: Callable[..., Any], p: Any, rest: tuple) -> Callable[[], None]:
    def step() -> None:
        p.grad = None
        f(p, *rest).backward()

    return step


def _rss(fn: Callable[[], Any], setup: Callable[[], Any] | None = None) -> dict[str, Any]:
    peak = peak_rss(fn, setup)
    return {} if peak is None else {"peak_bytes": peak, "peak_what": "RSS high-water growth"}


# ------------------------------------------------------------------ jax (optax, keras)
def run_jax(em: Emitter, sizes: list[str], losses: Iterable[str] | None) -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np

    libs: tuple[str, ...] = ("optax", "keras")
    try:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras

        if keras.backend.backend() != "jax":
            print(f"note: keras runs on {keras.backend.backend()}, not JAX: keras rows skipped", file=sys.stderr)
            libs = ("optax",)
    except ImportError:
        print("note: keras is not installed: keras rows skipped", file=sys.stderr)
        libs = ("optax",)
    directions = ("fwd", "value_and_grad") if em.quick else ("fwd", "grad", "value_and_grad")

    def block(x: Any) -> Any:
        return jax.block_until_ready(x)

    for size in sizes:
        kw = timing_kw(size, em.quick)
        for spec in selected(losses, libs):
            host = specs.make_inputs(spec, size)
            arrs = tuple(jnp.asarray(a.astype(np.int32) if a.dtype.kind == "i" else a) for a in host)
            for lib in libs:
                if lib not in spec.natives:
                    continue
                ours, nat = spec.lossapi(lib, jnp), spec.natives[lib](jnp)
                em.check(spec, size, float(jax.jit(ours)(*arrs)), float(jax.jit(nat)(*arrs)), lib)
                for direction in directions:
                    for impl, f in ((lib, nat), ("lossapi", ours)):
                        g = {"fwd": f, "grad": jax.grad(f), "value_and_grad": jax.value_and_grad(f)}[direction]
                        jf = jax.jit(g)
                        t = bench(_call(jf, arrs), sync=block, **kw)
                        extra: dict[str, Any] = {}
                        if size == "large":
                            ma = jf.lower(*arrs).compile().memory_analysis()
                            if ma is not None:
                                extra = {"peak_bytes": int(ma.temp_size_in_bytes), "peak_what": "XLA temp buffers"}
                        em.emit(spec, size, host, "jit", direction, impl, t, vs=lib, **extra)


# ------------------------------------------------------------------ entry points
def run_backend(
    backend: str,
    *,
    quick: bool,
    sizes: list[str] | None = None,
    losses: Iterable[str] | None = None,
    device: str = "cpu",
    compile_losses: str | None = None,
    sink: Callable[[dict], None] | None = None,
) -> None:
    """Run one backend in this process; every record goes to ``sink`` (default: JSON on stdout)."""
    sizes = sizes or list(specs.QUICK_SIZES if quick else specs.FULL_SIZES)
    for s in sizes:
        if s not in specs.SIZE_ORDER:
            raise ValueError(f"unknown size {s!r}; choose from {', '.join(specs.SIZE_ORDER)}")
    unknown = sorted(set(losses or ()) - set(SPECS))
    if unknown:
        raise ValueError(f"no benchmark spec for {', '.join(unknown)} (see specs.SPECS and specs.EXCLUDED)")
    if device.startswith("cuda") and backend == "torch":
        import torch

        if not torch.cuda.is_available():
            print("note: --device cuda requested but torch sees no GPU; measuring on cpu", file=sys.stderr)
            device = "cpu"
    em = Emitter(backend, device if backend in ("torch", "cupy") else "cpu", quick, sink)
    if backend == "numpy":
        run_numpy(em, sizes, losses)
    elif backend == "torch":
        if compile_losses in (None, "default"):
            comp: Iterable[str] | None = specs.QUICK_COMPILE if quick else [s.loss for s in selected(None, ("torch",))]
        elif compile_losses == "none":
            comp = None
        elif compile_losses == "all":
            comp = [s.loss for s in selected(None, ("torch",))]
        else:
            comp = compile_losses.split(",")
        run_torch(em, sizes, losses, device, comp)
    elif backend == "jax":
        run_jax(em, sizes, losses)
    elif backend == "cupy":
        try:
            import cupy
        except ImportError:
            print("note: cupy is not installed; nothing to measure", file=sys.stderr)
            return
        run_numpy(em, sizes, losses, m=cupy)
    else:
        raise ValueError(f"unknown backend {backend!r}")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The per-backend options (shared with run.py's ``--backend`` mode)."""
    ap.add_argument("--quick", action="store_true", help="tiny + small sizes, fewer repeats, compile a handful")
    ap.add_argument("--sizes", help=f"comma-separated subset of {','.join(specs.SIZE_ORDER)}")
    ap.add_argument("--losses", help="comma-separated catalog names (default: every spec)")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda (torch, CuPy) when present")
    ap.add_argument(
        "--compile",
        default="default",
        help="torch.compile rows: default (quick: a handful; full: every torch loss), all, none, or names",
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", required=True, choices=("numpy", "torch", "jax", "cupy"))
    add_arguments(ap)
    args = ap.parse_args(argv)
    run_backend(
        args.backend,
        quick=args.quick,
        sizes=args.sizes.split(",") if args.sizes else None,
        losses=args.losses.split(",") if args.losses else None,
        device=args.device,
        compile_losses=args.compile,
    )


if __name__ == "__main__":
    main()
