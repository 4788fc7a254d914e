"""Regression losses: lossapi against each backend's native implementation.

    python benchmarks/bench_regression.py --backend {numpy,torch,jax,cupy} [--quick] [--sizes tiny,medium]
                                          [--device cuda]

Prints one JSON object per measurement (per-call seconds: min, median, max over the repeats).

Pairs measured (float32 inputs, reduction "mean"):

- numpy: lossapi against the best plain NumPy formulation written by hand (idiomatic
  elementwise NumPy, no ``out=``), and against sklearn's metric of the same name where one
  exists; plus the NumPy peak memory (tracemalloc) at the largest size.
- torch: lossapi with native fast paths (``impl=lossapi``) and with ``lossapi.native(False)``
  (``impl=lossapi_generic``) against ``torch.nn.functional``; forward and forward+backward
  (``p.grad = None; loss(p, t).backward()``), eager.
- jax: ``jax.jit(lossapi)`` against ``jax.jit(optax)``: forward, ``grad`` and
  ``value_and_grad`` (both jitted, compiled during warm-up, ``block_until_ready``).
- cupy (``--device cuda`` only): lossapi against the hand-written formulation run on CuPy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from _timing import bench, peak_memory_numpy

import lossapi as la

SIZES = {"tiny": 8, "medium": 100_000, "large": 10_000_000}
TWEEDIE_POWER = 1.5
QUANTILE_Q = 0.3


# ------------------------------------------------------------------ inputs (NumPy, float32)
def make_inputs(loss: str, n: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    f32 = np.float32
    p = rng.standard_normal(n, dtype=f32)
    t = rng.standard_normal(n, dtype=f32)
    if loss == "poisson_nll":  # log-rate, counts
        t = rng.poisson(1.0, n).astype(f32)
    elif loss == "gaussian_nll":
        return p, t, rng.uniform(0.5, 2.0, n).astype(f32)
    elif loss == "mean_squared_log_error":
        p, t = np.abs(p), np.abs(t)
    elif loss == "tweedie_deviance":  # mean > 0, counts >= 0
        p = np.exp(0.5 * p).astype(f32)
        t = rng.poisson(1.0, n).astype(f32)
    return p, t


# ------------------------------------------------------------------ lossapi calls
def lossapi_fn(loss: str):
    if loss == "huber":
        return lambda p, t: la.huber(p, t, delta=1.0)
    if loss == "smooth_l1":
        return lambda p, t: la.smooth_l1(p, t, beta=1.0)
    if loss == "quantile":
        return lambda p, t: la.quantile(p, t, q=QUANTILE_Q)
    if loss == "tweedie_deviance":
        return lambda p, t: la.tweedie_deviance(p, t, power=TWEEDIE_POWER)
    return getattr(la, loss)


# ------------------------------------------------------------------ hand-written NumPy (or CuPy: m)
def handwritten(loss: str, m):
    """The best plain formulation in NumPy's own API (``m`` is numpy or cupy)."""

    def mse(p, t):
        d = p - t
        return (d * d).mean()

    def mae(p, t):
        return m.abs(p - t).mean()

    def huber(p, t, delta=1.0):
        a = m.abs(p - t)
        q = m.minimum(a, delta)
        return (q * (a - 0.5 * q)).mean()

    def smooth_l1(p, t, beta=1.0):
        a = m.abs(p - t)
        q = m.minimum(a, beta)
        return (q * (a - 0.5 * q)).mean() / beta

    def log_cosh(p, t):
        a = m.abs(p - t)
        return (a + m.log1p(m.exp(-2.0 * a))).mean() - math.log(2.0)

    def poisson_nll(p, t):
        return (m.exp(p) - t * p).mean()

    def gaussian_nll(p, t, v, eps=1e-6):
        v = m.maximum(v, eps)
        d = p - t
        return 0.5 * (m.log(v) + d * d / v).mean()

    def quantile(p, t, q=QUANTILE_Q):
        e = t - p
        return m.maximum(q * e, (q - 1.0) * e).mean()

    def mape(p, t):
        return (m.abs(p - t) / m.maximum(m.abs(t), m.finfo(t.dtype).eps)).mean()

    def msle(p, t):
        d = m.log1p(p) - m.log1p(t)
        return (d * d).mean()

    def tweedie(mu, y, pw=TWEEDIE_POWER):
        dev = 2.0 * (y ** (2.0 - pw) / ((1.0 - pw) * (2.0 - pw)) - y * mu ** (1.0 - pw) / (1.0 - pw)
                     + mu ** (2.0 - pw) / (2.0 - pw))
        return dev.mean()

    return {
        "mean_squared_error": mse, "mean_absolute_error": mae, "huber": huber, "smooth_l1": smooth_l1,
        "log_cosh": log_cosh, "poisson_nll": poisson_nll, "gaussian_nll": gaussian_nll, "quantile": quantile,
        "mean_absolute_percentage_error": mape, "mean_squared_log_error": msle, "tweedie_deviance": tweedie,
    }[loss]


def sklearn_fn(loss: str):
    from sklearn import metrics as sk

    return {
        "mean_squared_error": lambda p, t: sk.mean_squared_error(t, p),
        "mean_absolute_error": lambda p, t: sk.mean_absolute_error(t, p),
        "quantile": lambda p, t: sk.mean_pinball_loss(t, p, alpha=QUANTILE_Q),
        "mean_absolute_percentage_error": lambda p, t: sk.mean_absolute_percentage_error(t, p),
        "mean_squared_log_error": lambda p, t: sk.mean_squared_log_error(t, p),
        "tweedie_deviance": lambda p, t: sk.mean_tweedie_deviance(t, p, power=TWEEDIE_POWER),
    }.get(loss)


NUMPY_LOSSES = (
    "mean_squared_error", "mean_absolute_error", "huber", "smooth_l1", "log_cosh", "poisson_nll",
    "gaussian_nll", "quantile", "mean_absolute_percentage_error", "mean_squared_log_error", "tweedie_deviance",
)
TORCH_LOSSES = ("mean_squared_error", "mean_absolute_error", "huber", "smooth_l1", "poisson_nll", "gaussian_nll")
JAX_LOSSES = ("mean_squared_error", "huber", "log_cosh")


# ------------------------------------------------------------------ per backend
class Runner:
    def __init__(self, backend: str, quick: bool, device: str) -> None:
        self.backend, self.quick, self.device = backend, quick, device
        self.common = {"bench": "regression", "backend": backend, "device": device}

    def timing_kw(self, size: str) -> dict:
        if size == "large":
            return {"repeats": 5 if self.quick else 9, "min_time": 0.0, "warmup": 1, "budget": 3.0}
        if self.quick:
            return {"repeats": 7, "min_time": 0.01, "warmup": 3}
        return {"repeats": 21, "min_time": 0.02, "warmup": 3}

    def emit(self, loss: str, size: str, direction: str, impl: str, timing: dict, **extra) -> None:
        rec = {**self.common, "loss": loss, "size": size, "n": SIZES[size], "direction": direction,
               "impl": impl, **timing, **extra}
        print(json.dumps(rec), flush=True)


def run_numpy(r: Runner, sizes: list[str], m=None) -> None:
    import numpy as np

    m = np if m is None else m
    sync = None
    if m is not np:  # cupy
        def sync(_x):
            m.cuda.Device().synchronize()
    for size in sizes:
        n = SIZES[size]
        kw = r.timing_kw(size)
        for loss in NUMPY_LOSSES:
            args = tuple(m.asarray(a) for a in make_inputs(loss, n))
            ours, hand = lossapi_fn(loss), handwritten(loss, m)
            ref = float(hand(*args))
            got = float(ours(*args))
            if not math.isclose(got, ref, rel_tol=1e-3, abs_tol=1e-5):
                print(f"warning: {loss} {size}: lossapi {got} != hand-written {ref}", file=sys.stderr)
            impls = {"lossapi": ours, "numpy": hand}
            sk = sklearn_fn(loss) if m is np else None
            if sk is not None:
                impls["sklearn"] = sk
            for impl, f in impls.items():
                t = bench(lambda f=f, a=args: f(*a), sync=sync, **kw)
                extra = {}
                if m is np and size != "tiny" and impl != "sklearn":
                    extra["peak_bytes"] = peak_memory_numpy(lambda f=f, a=args: f(*a))
                r.emit(loss, size, "fwd", impl, t, **extra)


def run_torch(r: Runner, sizes: list[str]) -> None:
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(2)
    dev = torch.device(r.device)
    sync = (lambda _x: torch.cuda.synchronize()) if dev.type == "cuda" else None
    natives = {
        "mean_squared_error": F.mse_loss,
        "mean_absolute_error": F.l1_loss,
        "huber": lambda p, t: F.huber_loss(p, t, delta=1.0),
        "smooth_l1": lambda p, t: F.smooth_l1_loss(p, t, beta=1.0),
        "poisson_nll": F.poisson_nll_loss,
        "gaussian_nll": F.gaussian_nll_loss,
    }
    for size in sizes:
        n = SIZES[size]
        kw = r.timing_kw(size)
        for loss in TORCH_LOSSES:
            arrs = [torch.asarray(a, device=dev) for a in make_inputs(loss, n)]
            ours, nat = lossapi_fn(loss), natives[loss]
            with la.native(False):
                g = float(ours(*arrs))
            if not np.isclose(g, float(nat(*arrs)), rtol=1e-4, atol=1e-6):
                print(f"warning: {loss} {size}: generic {g} != F {float(nat(*arrs))}", file=sys.stderr)
            p = arrs[0].clone().requires_grad_(True)
            rest = arrs[1:]
            for impl, f, native_on in (("torch_F", nat, True), ("lossapi", ours, True), ("lossapi_generic", ours, False)):
                old = la.set_native(native_on)
                try:
                    with torch.no_grad():
                        t = bench(lambda f=f, a=arrs: f(*a), sync=sync, **kw)
                    r.emit(loss, size, "fwd", impl, t)

                    def step(f=f, p=p, rest=rest):
                        p.grad = None
                        f(p, *rest).backward()

                    t = bench(step, sync=sync, **kw)
                    r.emit(loss, size, "fwd+bwd", impl, t)
                finally:
                    la.set_native(old)


def run_jax(r: Runner, sizes: list[str]) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    natives = {
        "mean_squared_error": lambda p, t: optax.losses.squared_error(p, t).mean(),
        "huber": lambda p, t: optax.losses.huber_loss(p, t, delta=1.0).mean(),
        "log_cosh": lambda p, t: optax.losses.log_cosh(p, t).mean(),
    }

    def block(x):
        return jax.block_until_ready(x)

    for size in sizes:
        n = SIZES[size]
        kw = r.timing_kw(size)
        for loss in JAX_LOSSES:
            arrs = [jnp.asarray(a) for a in make_inputs(loss, n)]
            for impl, f in (("optax", natives[loss]), ("lossapi", lossapi_fn(loss))):
                for direction, g in (("fwd", f), ("grad", jax.grad(f)), ("value_and_grad", jax.value_and_grad(f))):
                    jf = jax.jit(g)
                    t = bench(lambda jf=jf, a=arrs: jf(*a), sync=block, **kw)
                    r.emit(loss, size, direction, impl, t)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", required=True, choices=("numpy", "torch", "jax", "cupy"))
    ap.add_argument("--quick", action="store_true", help="tiny + medium sizes, fewer repeats")
    ap.add_argument("--sizes", help="comma-separated subset of tiny,medium,large")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda (torch, CuPy) when present")
    args = ap.parse_args(argv)
    sizes = args.sizes.split(",") if args.sizes else (["tiny", "medium"] if args.quick else list(SIZES))
    device = args.device
    if device.startswith("cuda") and args.backend == "torch":
        import torch

        if not torch.cuda.is_available():
            print("note: --device cuda requested but torch sees no GPU; measuring on cpu", file=sys.stderr)
            device = "cpu"
    r = Runner(args.backend, args.quick, device)
    r.common["thp_mem_alloc_enable"] = os.environ.get("THP_MEM_ALLOC_ENABLE")
    if args.backend == "numpy":
        run_numpy(r, sizes)
    elif args.backend == "torch":
        run_torch(r, sizes)
    elif args.backend == "jax":
        run_jax(r, sizes)
    else:
        try:
            import cupy
        except ImportError:
            print("note: cupy is not installed; nothing to measure", file=sys.stderr)
            return
        run_numpy(r, sizes, m=cupy)


if __name__ == "__main__":
    main()
