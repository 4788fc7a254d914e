"""Classification losses: lossapi against each backend's native implementation, and CE memory.

    python benchmarks/bench_classification.py                      # every backend, fresh processes: table + results
    python benchmarks/bench_classification.py --quick              # tiny + small, fewer repeats (< 1 min, 2 cores)
    python benchmarks/bench_classification.py --sizes tiny,medium  # any subset of tiny,small,medium,large
    python benchmarks/bench_classification.py --backend {numpy,torch,jax,cupy} [--quick] [--sizes ...]
                                              [--device cuda]      # one backend in this process: JSON lines

Sizes (N×C float32 logits): tiny 32×10, small 1024×1000 (4 MB), medium 4096×1000 (16 MB),
large 16384×1000 (66 MB). ``--quick`` runs tiny + small with fewer repeats, per-call peak memory
off and, on JAX, no separate ``grad`` (``value_and_grad`` covers it); the default runs tiny,
medium and large.

With ``--backend`` it prints one JSON object per measurement (per-call seconds: min, median and
max over the repeats), as ``bench_regression.py`` does; ``run.py`` collects them. Without it,
each backend runs in a fresh process and the ratio table is printed and written to
``benchmarks/results/classification.{json,md}`` (git-ignored).

Losses (float32, reduction "mean", logits standard normal, labels uniform in [0, C)):
``cross_entropy`` with integer labels and with probability targets (``cross_entropy_probs``),
``nll``, ``binary_cross_entropy``, ``binary_cross_entropy_with_logits`` and, when lossapi has
them, ``sigmoid_focal`` (alpha 0.25, gamma 2), ``softmax_focal`` (gamma 2), ``kl_divergence``
and ``multiclass_hinge``; a missing one is skipped with a note.

Pairs measured, always within one backend and one process:

- numpy: lossapi against the best plain NumPy formulation written by hand (max-shifted
  logsumexp + fancy-index gather, idiomatic elementwise code, no ``out=``), and against
  ``sklearn.metrics`` where a metric takes the same input: ``log_loss`` on probabilities for
  ``nll`` (given ``exp(log_probs)``, computed outside the timing) and ``binary_cross_entropy``,
  ``hinge_loss`` (Crammer-Singer) for ``multiclass_hinge``. Plus the NumPy peak memory
  (tracemalloc) of every call at medium/large sizes, and for ``cross_entropy`` with integer
  labels the peak relative to the logits' size, next to a naive one-hot formulation
  (``bench=classification_memory``; DESIGN.md: peak ≤ 2× the logits, never a one-hot).
- torch (eager): lossapi with native fast paths (``impl=lossapi``) and with
  ``lossapi.native(False)`` (``impl=lossapi_generic``) against ``torch.nn.functional``
  (``cross_entropy``, ``nll_loss``, ``binary_cross_entropy(_with_logits)``,
  ``kl_div(reduction="batchmean")``, ``multi_margin_loss`` = ``multiclass_hinge`` with
  ``variant="weston_watkins"``) or, where F has none, the formula a torch user runs
  (``impl=torch_hand``: torchvision's ``sigmoid_focal_loss`` written out, since torchvision is
  not installed; softmax focal from ``F.log_softmax`` + ``gather``); forward under ``no_grad``
  and forward+backward with respect to the first input. ``fast_path`` says whether lossapi
  has a torch fast path registered for the loss.
- jax: ``jax.jit(lossapi)`` against ``jax.jit(optax)`` (``softmax_cross_entropy(_with_integer_labels)``,
  ``sigmoid_binary_cross_entropy``, ``sigmoid_focal_loss``, ``kl_divergence``,
  ``multiclass_hinge_loss``, each ``.mean()``) or, where optax has none, hand-written
  ``jax.numpy`` (``impl=jnp``); forward, ``grad`` and ``value_and_grad``; labels int32.
- cupy (``--device cuda`` only): lossapi against the hand-written formulation run on CuPy.

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

from _timing import bench, peak_memory_numpy
from _timing import fmt_time as fmt

import lossapi as la

HERE = Path(__file__).resolve().parent
SIZES = {"tiny": (32, 10), "small": (1024, 1000), "medium": (4096, 1000), "large": (16384, 1000)}
QUICK_SIZES = ("tiny", "small")  # --quick; the default run is tiny, medium, large
ALPHA, GAMMA, MARGIN = 0.25, 2.0, 1.0

# loss key -> (lossapi function name, input kind). Kinds: "labels" (logits, int labels),
# "probs" (logits, class probabilities), "logprobs_labels", "logprobs_probs",
# "binary_logits" (logits, {0, 1} targets), "binary_probs" (probabilities, {0, 1} targets).
CASES = {
    "cross_entropy": ("cross_entropy", "labels"),
    "cross_entropy_probs": ("cross_entropy", "probs"),
    "nll": ("nll", "logprobs_labels"),
    "binary_cross_entropy": ("binary_cross_entropy", "binary_probs"),
    "binary_cross_entropy_with_logits": ("binary_cross_entropy_with_logits", "binary_logits"),
    "sigmoid_focal": ("sigmoid_focal", "binary_logits"),
    "softmax_focal": ("softmax_focal", "labels"),
    "kl_divergence": ("kl_divergence", "logprobs_probs"),
    "multiclass_hinge": ("multiclass_hinge", "labels"),  # Crammer-Singer (optax, sklearn)
    "multiclass_hinge_ww": ("multiclass_hinge", "labels"),  # Weston-Watkins (torch multi_margin_loss)
}
NUMPY_LOSSES = (
    "cross_entropy", "cross_entropy_probs", "nll", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "sigmoid_focal", "softmax_focal", "kl_divergence", "multiclass_hinge",
)
TORCH_LOSSES = (
    "cross_entropy", "cross_entropy_probs", "nll", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "sigmoid_focal", "softmax_focal", "kl_divergence", "multiclass_hinge_ww",
)
JAX_LOSSES = NUMPY_LOSSES


# ------------------------------------------------------------------ inputs (NumPy, float32)
def make_inputs(kind: str, n: int, c: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    f32 = np.float32
    x = rng.standard_normal((n, c), dtype=f32)
    y = rng.integers(0, c, n)  # int64

    def log_softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        return (z - np.log(np.exp(z).sum(axis=-1, keepdims=True))).astype(f32)

    if kind == "labels":
        return x, y
    if kind == "logprobs_labels":
        return log_softmax(x), y
    t = np.exp(log_softmax(rng.standard_normal((n, c), dtype=f32)))
    if kind == "probs":
        return x, t
    if kind == "logprobs_probs":
        return log_softmax(x), t
    b = (rng.random((n, c)) < 0.5).astype(f32)
    if kind == "binary_logits":
        return x, b
    if kind == "binary_probs":
        return (1.0 / (1.0 + np.exp(-x))).astype(f32), b
    raise ValueError(kind)


# ------------------------------------------------------------------ lossapi calls
def lossapi_fn(loss: str):
    """The lossapi callable for ``loss``, or None when lossapi does not have it (yet)."""
    f = getattr(la, CASES[loss][0], None)
    if f is None:
        return None
    if loss == "sigmoid_focal":
        return lambda x, t: f(x, t, alpha=ALPHA, gamma=GAMMA)
    if loss == "softmax_focal":
        return lambda x, y: f(x, y, gamma=GAMMA)
    if loss == "multiclass_hinge":
        return lambda x, y: f(x, y, margin=MARGIN, variant="crammer_singer")
    if loss == "multiclass_hinge_ww":
        return lambda x, y: f(x, y, margin=MARGIN, variant="weston_watkins")
    return f


def has_torch_fast_path(loss: str) -> bool:
    try:
        from lossapi import _native

        return "torch" in _native.native_backends(CASES[loss][0])
    except Exception:
        return False


# ------------------------------------------------------------------ hand-written NumPy (or CuPy: m)
def handwritten(loss: str, m):
    """The best plain formulation in NumPy's own API (``m`` is numpy or cupy)."""

    def lse(x):
        mx = x.max(axis=-1, keepdims=True)
        return m.log(m.exp(x - mx).sum(axis=-1)) + mx[:, 0]

    def ce(x, y):
        return (lse(x) - x[m.arange(x.shape[0]), y]).mean()

    def ce_probs(x, t):
        return -(t * (x - lse(x)[:, None])).sum(axis=-1).mean()

    def nll(lp, y):
        return -lp[m.arange(lp.shape[0]), y].mean()

    def bce(p, t):
        return -(t * m.maximum(m.log(p), -100.0) + (1.0 - t) * m.maximum(m.log1p(-p), -100.0)).mean()

    def bce_logits(x, t):
        return (m.maximum(x, 0.0) - x * t + m.log1p(m.exp(-m.abs(x)))).mean()

    def sigmoid_focal(x, t, alpha=ALPHA, gamma=GAMMA):  # torchvision's formula
        p = 1.0 / (1.0 + m.exp(-x))
        ce_ = m.maximum(x, 0.0) - x * t + m.log1p(m.exp(-m.abs(x)))
        p_t = p * t + (1.0 - p) * (1.0 - t)
        alpha_t = alpha * t + (1.0 - alpha) * (1.0 - t)
        return (alpha_t * ce_ * (1.0 - p_t) ** gamma).mean()

    def softmax_focal(x, y, gamma=GAMMA):
        lp = x[m.arange(x.shape[0]), y] - lse(x)
        return (-((1.0 - m.exp(lp)) ** gamma) * lp).mean()

    def kl(lp, t):  # targets strictly positive here (softmax), so no zero-target guard
        return (t * (m.log(t) - lp)).sum(axis=-1).mean()

    def hinge_cs(x, y, margin=MARGIN):  # max_c (s_c + margin [c != y]) - s_y, as optax
        ar = m.arange(x.shape[0])
        sy = x[ar, y]
        z = x + margin
        z[ar, y] = sy
        return (z.max(axis=-1) - sy).mean()

    return {
        "cross_entropy": ce, "cross_entropy_probs": ce_probs, "nll": nll, "binary_cross_entropy": bce,
        "binary_cross_entropy_with_logits": bce_logits, "sigmoid_focal": sigmoid_focal,
        "softmax_focal": softmax_focal, "kl_divergence": kl, "multiclass_hinge": hinge_cs,
    }[loss]


def ce_onehot(x, y):
    """Naive NumPy cross-entropy through a float one-hot of the logits' size (memory reference)."""
    import numpy as np

    oh = np.eye(x.shape[-1], dtype=x.dtype)[y]
    z = x - x.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -(oh * log_p).sum(axis=-1).mean()


def sklearn_case(loss: str, args: tuple):
    """(callable, its arguments) for sklearn's metric on the same input, or None.

    sklearn takes probabilities and 1-d binary targets; the conversion is done here, outside
    the timing, so sklearn is timed on its natural input.
    """
    import numpy as np
    from sklearn import metrics as sk

    if loss == "nll":
        lp, y = args
        labels = np.arange(lp.shape[-1])
        return (lambda p, y: sk.log_loss(y, p, labels=labels)), (np.exp(lp), y)
    if loss == "binary_cross_entropy":
        p, t = args
        return (lambda p, t: sk.log_loss(t, p, labels=[0.0, 1.0])), (p.ravel(), t.ravel())
    if loss == "multiclass_hinge":
        x, y = args
        labels = np.arange(x.shape[-1])
        return (lambda x, y: sk.hinge_loss(y, x, labels=labels)), (x, y)
    return None


# ------------------------------------------------------------------ per backend
class Runner:
    def __init__(self, backend: str, quick: bool, device: str, torch_threads: int = 2) -> None:
        self.backend, self.quick, self.device, self.torch_threads = backend, quick, device, torch_threads
        self.common = {"bench": "classification", "backend": backend, "device": device}
        if backend == "torch":
            self.common["torch_threads"] = torch_threads

    def timing_kw(self, size: str) -> dict:
        if size == "large":
            return {"repeats": 5 if self.quick else 9, "min_time": 0.0, "warmup": 1, "budget": 2.0}
        if self.quick:
            return {"repeats": 5, "min_time": 0.005, "warmup": 1, "budget": 0.2}
        return {"repeats": 21, "min_time": 0.02, "warmup": 3, "budget": 3.0}

    def emit(self, loss: str, size: str, direction: str, impl: str, timing: dict, **extra) -> None:
        n, c = SIZES[size]
        rec = {**self.common, "loss": loss, "size": size, "shape": [n, c], "direction": direction,
               "impl": impl, **timing, **extra}
        print(json.dumps(rec), flush=True)

    def skip(self, loss: str) -> None:
        print(f"note: lossapi.{CASES[loss][0]} does not exist; {loss} skipped on {self.backend}", file=sys.stderr)
        print(json.dumps({**self.common, "loss": loss, "skipped": f"lossapi.{CASES[loss][0]} missing"}), flush=True)

    def check(self, loss: str, size: str, ours: float, ref: float, what: str, rtol: float = 1e-3) -> None:
        if not math.isclose(ours, ref, rel_tol=rtol, abs_tol=1e-5):
            print(f"warning: {loss} {size} ({self.backend}): lossapi {ours} != {what} {ref}", file=sys.stderr)


def run_numpy(r: Runner, sizes: list[str], m=None) -> None:
    import numpy as np

    m = np if m is None else m
    sync = None
    if m is not np:  # cupy
        def sync(_x):
            m.cuda.Device().synchronize()
    for loss in NUMPY_LOSSES:
        if lossapi_fn(loss) is None:
            r.skip(loss)
    for size in sizes:
        n, c = SIZES[size]
        kw = r.timing_kw(size)
        for loss in NUMPY_LOSSES:
            ours = lossapi_fn(loss)
            if ours is None:
                continue
            host = make_inputs(CASES[loss][1], n, c)
            args = tuple(m.asarray(a) for a in host)
            hand = handwritten(loss, m)
            r.check(loss, size, float(ours(*args)), float(hand(*args)), "hand-written")
            impls = {"lossapi": (ours, args), "numpy": (hand, args)}
            sk = sklearn_case(loss, host) if m is np else None
            if sk is not None:
                r.check(loss, size, float(ours(*args)), float(sk[0](*sk[1])), "sklearn")
                impls["sklearn"] = sk
            for impl, (f, a) in impls.items():
                t = bench(lambda f=f, a=a: f(*a), sync=sync, **kw)
                extra = {}
                if m is np and size != "tiny" and impl != "sklearn" and not r.quick:
                    extra["peak_bytes"] = peak_memory_numpy(lambda f=f, a=a: f(*a))
                r.emit(loss, size, "fwd", impl, t, **extra)
        if m is np and size != "tiny":
            memory_numpy(r, size)


def memory_numpy(r: Runner, size: str) -> None:
    """Peak extra bytes of eager NumPy CE with integer labels, relative to the logits' bytes."""
    n, c = SIZES[size]
    x, y = make_inputs("labels", n, c)
    impls = {"lossapi": la.cross_entropy, "numpy": handwritten("cross_entropy", __import__("numpy")),
             "numpy_onehot": ce_onehot}
    for impl, f in impls.items():
        peak = peak_memory_numpy(lambda f=f: f(x, y))
        rec = {**r.common, "bench": "classification_memory", "loss": "cross_entropy", "size": size,
               "shape": [n, c], "impl": impl, "peak_bytes": peak, "logits_bytes": x.nbytes,
               "labels_bytes": y.nbytes, "ratio": peak / x.nbytes}
        print(json.dumps(rec), flush=True)


def run_torch(r: Runner, sizes: list[str]) -> None:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(r.torch_threads)
    dev = torch.device(r.device)
    sync = (lambda _x: torch.cuda.synchronize()) if dev.type == "cuda" else None

    def tv_sigmoid_focal(x, t, alpha=ALPHA, gamma=GAMMA):  # torchvision.ops.sigmoid_focal_loss
        p = torch.sigmoid(x)
        ce_ = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        p_t = p * t + (1 - p) * (1 - t)
        loss = ce_ * ((1 - p_t) ** gamma)
        alpha_t = alpha * t + (1 - alpha) * (1 - t)
        return (alpha_t * loss).mean()

    def softmax_focal(x, y, gamma=GAMMA):
        lp = F.log_softmax(x, dim=-1).gather(-1, y[:, None])[:, 0]
        return (-((1 - lp.exp()) ** gamma) * lp).mean()

    natives = {
        "cross_entropy": ("torch_F", F.cross_entropy),
        "cross_entropy_probs": ("torch_F", F.cross_entropy),
        "nll": ("torch_F", F.nll_loss),
        "binary_cross_entropy": ("torch_F", F.binary_cross_entropy),
        "binary_cross_entropy_with_logits": ("torch_F", F.binary_cross_entropy_with_logits),
        "sigmoid_focal": ("torch_hand", tv_sigmoid_focal),
        "softmax_focal": ("torch_hand", softmax_focal),
        "kl_divergence": ("torch_F", lambda lp, t: F.kl_div(lp, t, reduction="batchmean")),
        "multiclass_hinge_ww": ("torch_F", lambda x, y: F.multi_margin_loss(x, y, p=1, margin=MARGIN)),
    }
    for loss in TORCH_LOSSES:
        if lossapi_fn(loss) is None:
            r.skip(loss)
    for size in sizes:
        n, c = SIZES[size]
        kw = r.timing_kw(size)
        for loss in TORCH_LOSSES:
            ours = lossapi_fn(loss)
            if ours is None:
                continue
            fast = has_torch_fast_path(loss)
            arrs = [torch.asarray(a, device=dev) for a in make_inputs(CASES[loss][1], n, c)]
            nat_impl, nat = natives[loss]
            ref = float(nat(*arrs))
            with la.native(False):
                r.check(loss, size, float(ours(*arrs)), ref, f"{nat_impl} (generic path)", rtol=1e-4)
            r.check(loss, size, float(ours(*arrs)), ref, f"{nat_impl} (fast path on)", rtol=1e-4)
            p = arrs[0].clone().requires_grad_(True)
            rest = arrs[1:]
            for impl, f, native_on in ((nat_impl, nat, True), ("lossapi", ours, True), ("lossapi_generic", ours, False)):
                extra = {"fast_path": fast} if impl.startswith("lossapi") else {}
                old = la.set_native(native_on)
                try:
                    with torch.no_grad():
                        t = bench(lambda f=f, a=arrs: f(*a), sync=sync, **kw)
                    r.emit(loss, size, "fwd", impl, t, **extra)

                    def step(f=f, p=p, rest=rest):
                        p.grad = None
                        f(p, *rest).backward()

                    t = bench(step, sync=sync, **kw)
                    r.emit(loss, size, "fwd+bwd", impl, t, **extra)
                finally:
                    la.set_native(old)


def run_jax(r: Runner, sizes: list[str]) -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    L = optax.losses

    def take(a, y):
        return jnp.take_along_axis(a, y[:, None], axis=-1)[:, 0]

    def jnp_bce(p, t):
        return -(t * jnp.maximum(jnp.log(p), -100.0) + (1 - t) * jnp.maximum(jnp.log1p(-p), -100.0)).mean()

    def jnp_softmax_focal(x, y, gamma=GAMMA):
        lp = take(jax.nn.log_softmax(x, axis=-1), y)
        return (-((1 - jnp.exp(lp)) ** gamma) * lp).mean()

    natives = {
        "cross_entropy": ("optax", lambda x, y: L.softmax_cross_entropy_with_integer_labels(x, y).mean()),
        "cross_entropy_probs": ("optax", lambda x, t: L.softmax_cross_entropy(x, t).mean()),
        "nll": ("jnp", lambda lp, y: -take(lp, y).mean()),
        "binary_cross_entropy": ("jnp", jnp_bce),
        "binary_cross_entropy_with_logits": ("optax", lambda x, t: L.sigmoid_binary_cross_entropy(x, t).mean()),
        "sigmoid_focal": ("optax", lambda x, t: L.sigmoid_focal_loss(x, t, alpha=ALPHA, gamma=GAMMA).mean()),
        "softmax_focal": ("jnp", jnp_softmax_focal),
        "kl_divergence": ("optax", lambda lp, t: L.kl_divergence(lp, t).mean()),
        "multiclass_hinge": ("optax", lambda x, y: L.multiclass_hinge_loss(x, y).mean()),
    }

    def block(x):
        return jax.block_until_ready(x)

    directions = ("fwd", "value_and_grad") if r.quick else ("fwd", "grad", "value_and_grad")
    for loss in JAX_LOSSES:
        if lossapi_fn(loss) is None:
            r.skip(loss)
    for size in sizes:
        n, c = SIZES[size]
        kw = r.timing_kw(size)
        for loss in JAX_LOSSES:
            ours = lossapi_fn(loss)
            if ours is None:
                continue
            host = make_inputs(CASES[loss][1], n, c)
            arrs = [jnp.asarray(a.astype(np.int32) if a.dtype.kind == "i" else a) for a in host]
            nat_impl, nat = natives[loss]
            r.check(loss, size, float(jax.jit(ours)(*arrs)), float(jax.jit(nat)(*arrs)), nat_impl)
            for impl, f in ((nat_impl, nat), ("lossapi", ours)):
                for direction in directions:
                    g = {"fwd": f, "grad": jax.grad(f), "value_and_grad": jax.value_and_grad(f)}[direction]
                    jf = jax.jit(g)
                    t = bench(lambda jf=jf, a=arrs: jf(*a), sync=block, **kw)
                    r.emit(loss, size, direction, impl, t)


# ------------------------------------------------------------------ ratios and tables
# (backend, lossapi impl, native impl, label); every pair is compared within one backend.
PAIRS = {
    "numpy": (("lossapi", "numpy", "lossapi / hand-written NumPy"), ("lossapi", "sklearn", "lossapi / sklearn")),
    "cupy": (("lossapi", "numpy", "lossapi / hand-written CuPy"),),
    "torch": (
        ("lossapi", "torch_F", "lossapi / F"), ("lossapi_generic", "torch_F", "generic / F"),
        ("lossapi", "torch_hand", "lossapi / hand-written torch"),
        ("lossapi_generic", "torch_hand", "generic / hand-written torch"),
    ),
    "jax": (("lossapi", "optax", "jit(lossapi) / jit(optax)"), ("lossapi", "jnp", "jit(lossapi) / jit(hand-written jnp)")),
}


def target(backend: str, label: str, size: str, direction: str, fast_path: bool) -> tuple[float | None, str]:
    """The DESIGN.md target for one ratio (None when DESIGN.md sets none)."""
    if backend == "jax":
        return (1.05, "≤ 1.05× optax") if label.endswith("(optax)") else (None, "")
    if label.endswith("sklearn"):
        return (1.0, "faster than sklearn") if size != "tiny" else (None, "")
    if size == "tiny":
        return 1.5, "tiny ≤ 1.5×"
    if backend in ("numpy", "cupy"):
        return 1.1, "≤ 1.1× NumPy"
    if backend == "torch" and size == "large":
        if label.startswith("generic") or not fast_path:
            return (2.0, "generic ≤ 2×") if direction == "fwd" else (2.5, "generic ≤ 2.5×")
        return 1.05, "fast path ≤ 1.05×"
    return None, ""


def ratio_rows(rows: list[dict]) -> list[dict]:
    idx = {}
    for r in rows:
        if r.get("bench") == "classification" and "median" in r:
            idx[(r["backend"], r["loss"], r["size"], r["direction"], r["impl"])] = r
    out = []
    order = {s: i for i, s in enumerate(SIZES)}
    losses = list(CASES)
    keys = sorted({k[:4] for k in idx}, key=lambda k: (list(PAIRS).index(k[0]), order[k[2]], losses.index(k[1]), k[3]))
    for backend, loss, size, direction in keys:
        for ours, nat, label in PAIRS.get(backend, ()):
            a = idx.get((backend, loss, size, direction, ours))
            b = idx.get((backend, loss, size, direction, nat))
            if a is None or b is None:
                continue
            fast = a.get("fast_path", True)
            if backend == "torch" and not fast:
                label = label.replace("lossapi /", "lossapi (no fast path) /")
            lim, what = target(backend, label, size, direction, fast)
            ratio = a["median"] / b["median"]
            verdict = "" if lim is None else ("PASS" if ratio <= lim else "MISS")
            out.append({
                "backend": backend, "loss": loss, "size": size, "shape": a["shape"], "direction": direction,
                "pair": label, "lossapi_median": a["median"], "native_median": b["median"], "ratio": ratio,
                "ratio_min": a["min"] / b["min"], "ratio_max": a["max"] / b["max"],
                "target": what, "verdict": verdict,
            })
    return out


def tables(rows: list[dict], ratios: list[dict]) -> str:
    """Markdown: the ratio table, the CE memory table and the skipped losses."""
    lines = [
        "### Classification losses: ratio lossapi / native (median; min-ratio–max-ratio)",
        "",
        "| backend | loss | size | direction | pair | lossapi | native | ratio | (min–max) | target | |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ratios:
        shape = "×".join(map(str, r["shape"]))
        lines.append(
            f"| {r['backend']} | {r['loss']} | {r['size']} ({shape}) | {r['direction']} | {r['pair']} | "
            f"{fmt(r['lossapi_median'])} | {fmt(r['native_median'])} | **{r['ratio']:.2f}×** | "
            f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) | {r['target']} | {r['verdict']} |"
        )
    threads = sorted({r["torch_threads"] for r in rows if r.get("bench") == "classification" and "torch_threads" in r})
    if threads:
        lines += ["", f"torch rows: `torch.set_num_threads({', '.join(map(str, threads))})`."]
    mem = [r for r in rows if r.get("bench") == "classification_memory"]
    if mem:
        lines += [
            "",
            "### Peak memory: eager NumPy cross_entropy with integer labels (tracemalloc, extra bytes during one call)",
            "",
            "| size | impl | peak extra | logits | × logits | target ≤ 2× |",
            "|---|---|---|---|---|---|",
        ]
        for r in mem:
            shape = "×".join(map(str, r["shape"]))
            ok = ("PASS" if r["ratio"] <= 2.0 else "MISS") if r["impl"] == "lossapi" else ""
            lines.append(
                f"| {r['size']} ({shape}) | {r['impl']} | {r['peak_bytes'] / 2**20:.1f} MiB | "
                f"{r['logits_bytes'] / 2**20:.1f} MiB | **{r['ratio']:.2f}×** | {ok} |"
            )
    skipped = sorted({(r["backend"], r["loss"], r["skipped"]) for r in rows
                      if r.get("bench") == "classification" and "skipped" in r})
    if skipped:
        lines += ["", "Skipped: " + "; ".join(f"{b} {loss} ({why})" for b, loss, why in skipped) + "."]
    return "\n".join(lines) + "\n"


def run_all(args) -> None:
    """Every backend in a fresh process (run.py's environment), then the table and the results."""
    from run import child_env, env_info

    t0 = time.perf_counter()
    rows: list[dict] = []
    for b in args.backends.split(","):
        cmd = [sys.executable, os.path.abspath(__file__), "--backend", b, "--device", args.device]
        if args.quick:
            cmd.append("--quick")
        if args.sizes:
            cmd += ["--sizes", args.sizes]
        if b == "torch":
            cmd += ["--torch-threads", str(args.torch_threads)]
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
        f"torch {env['torch']}, jax {env['jax']}, optax {env['optax']}, sklearn {env['sklearn']}; "
        f"THP_MEM_ALLOC_ENABLE={env['THP_MEM_ALLOC_ENABLE']}; {env['time']}.\n\n" + tables(rows, ratios)
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "classification.json").write_text(json.dumps({"env": env, "measurements": rows, "ratios": ratios}, indent=1))
    (out / "classification.md").write_text(md)
    print(md)
    print(f"wrote {out / 'classification.json'} and {out / 'classification.md'} ({env['wall_s']} s)", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=("numpy", "torch", "jax", "cupy"),
                    help="one backend in this process, JSON lines (default: every backend, table)")
    ap.add_argument("--backends", default="numpy,torch,jax", help="without --backend: which ones (comma-separated)")
    ap.add_argument("--quick", action="store_true", help="tiny + medium sizes, fewer repeats")
    ap.add_argument("--sizes", help="comma-separated subset of tiny,medium,large")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda (torch, CuPy) when present")
    ap.add_argument("--out", default=str(HERE / "results"), help="without --backend: output folder")
    ap.add_argument("--torch-threads", type=int, default=2,
                    help="torch.set_num_threads (default 2, as run.py; 1 avoids OpenMP stalls on a loaded machine)")
    args = ap.parse_args(argv)
    if args.backend is None:
        run_all(args)
        return
    sizes = args.sizes.split(",") if args.sizes else list(QUICK_SIZES if args.quick else ("tiny", "medium", "large"))
    for s in sizes:
        if s not in SIZES:
            ap.error(f"unknown size {s!r}; choose from {', '.join(SIZES)}")
    device = args.device
    if device.startswith("cuda") and args.backend == "torch":
        import torch

        if not torch.cuda.is_available():
            print("note: --device cuda requested but torch sees no GPU; measuring on cpu", file=sys.stderr)
            device = "cpu"
    r = Runner(args.backend, args.quick, device, args.torch_threads)
    r.common["thp_mem_alloc_enable"] = os.environ.get("THP_MEM_ALLOC_ENABLE")
    r.common["loadavg_1m"] = round(os.getloadavg()[0], 2)  # other jobs on the machine distort timings
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
