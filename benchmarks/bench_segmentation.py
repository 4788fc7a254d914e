"""Segmentation losses: lossapi against MONAI (torch), optax (jax.jit), hand-written torch, jnp and NumPy.

    python benchmarks/bench_segmentation.py                  # every backend, fresh processes: ratio tables
    python benchmarks/bench_segmentation.py --quick          # tiny + small + monai_small, fewer repeats
    python benchmarks/bench_segmentation.py --sizes tiny,medium
    python benchmarks/bench_segmentation.py --sizes monai    # only the MONAI (torch) and hand-written jnp rows
    python benchmarks/bench_segmentation.py --backend {numpy,torch,jax} [--quick] [--sizes ...]   # JSON lines

Sizes (a batch of N images of H×W pixels, C classes, float32 probabilities; written N×H×W×C):
tiny 2×16×16×4, small 8×64×64×8 (1 MB), medium 16×128×128×21 (22 MB). The Lovász losses, which
sort every class's errors, run on tiny and small only (medium: one small-size run is enough to
see the scaling). Labels are uniform integer classes.

The MONAI sizes run only the MONAI and hand-written jnp rows (below), from logits: ``monai``
16×128×128×4 (torch sees it channels-first, N×C×H×W = 16×4×128×128, 4 MB) and ``monai_small``
4×64×64×4 (the ``--quick`` stand-in).

Pairs, always within one backend and one process (``impl`` in the JSON lines):

- jax: ``jax.jit(lossapi)`` against ``jax.jit(optax)`` (``impl=optax``) on the same logits:
  ``dice`` = ``optax.losses.dice_loss(z, one_hot, smooth=s/2)`` against
  ``la.dice(softmax(z), labels, smooth=s)`` (integer labels) and against ``one_hot`` targets
  (``dice_onehot``), ``jaccard`` (optax ``alpha=beta=1``), ``tversky`` (alpha 0.3, beta 0.7);
  forward, ``grad`` and ``value_and_grad`` with respect to the logits. optax has no
  generalized Dice of Sudre et al. (its ``multiclass_generalized_dice_loss`` is another
  quantity), no Lovász and no metric surrogates. Lovász softmax / hinge: ``jax.jit(lossapi)``
  (``impl=lossapi``) against eager JAX (``impl=lossapi_eager``).
- torch (eager, 2 threads, channels-first with ``axis=1``): lossapi against the formula a torch
  user writes (``impl=torch_hand``): soft Dice ``1 - (2 sum(p t) + s) / (sum p + sum t + s)``
  from ``F.one_hot``; for the Lovász losses Berman et al.'s reference implementation (as in
  smp: a Python loop over classes / images with boolean indexing); forward under ``no_grad``
  and forward+backward with respect to the probabilities / logits.
- numpy: lossapi ``dice`` against hand-written NumPy (one-hot by comparison, sums).

At the MONAI sizes (the MONAI table), from float32 logits and int64 labels:

- torch (eager, 2 threads, channels-first, ``axis=1``): lossapi against MONAI's modules
  (``impl=monai``, built once, called as ``loss(logits, labels[:, None])``), forward under
  ``no_grad`` and forward+backward with respect to the logits, all at MONAI's default smoothing
  1e-5: ``dice(activation="softmax", smooth=1e-5)`` / ``DiceLoss(softmax=True,
  to_onehot_y=True)``; ``dice_cross_entropy`` / ``DiceCELoss(softmax=True, to_onehot_y=True)``;
  ``dice_focal(activation="sigmoid")`` / ``DiceFocalLoss(sigmoid=True, to_onehot_y=True)``;
  ``jaccard(smooth=s)`` / ``DiceLoss(jaccard=True, smooth_nr=2s, smooth_dr=2s)``;
  ``tversky(alpha=0.3, beta=0.7)`` / ``TverskyLoss``; ``generalized_dice`` /
  ``GeneralizedDiceLoss(w_type="square")`` (the last three with ``softmax=True,
  to_onehot_y=True``). Values (rtol 1e-5) and gradients are compared before timing. Without
  MONAI these rows are skipped and the table says why.
- jax (channels-last, ``axis=-1``): ``jax.jit(lossapi)`` against ``jax.jit`` of the same formula
  written in ``jax.numpy`` (``impl=jnp_hand``: softmax, one-hot, per-sample per-class sums, mean;
  ``dice_cross_entropy`` adds ``optax.losses.softmax_cross_entropy_with_integer_labels(...).mean()``):
  ``dice(activation="softmax", smooth=1e-5)`` and ``dice_cross_entropy``; forward, ``grad`` and
  ``value_and_grad`` with respect to the logits (``--quick``: no separate ``grad``).

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

from _timing import bench
from _timing import fmt_time as fmt

import lossapi as la

HERE = Path(__file__).resolve().parent
SIZES = {
    "tiny": (2, 16, 16, 4),
    "small": (8, 64, 64, 8),
    "medium": (16, 128, 128, 21),
    "monai_small": (4, 64, 64, 4),
    "monai": (16, 128, 128, 4),
}
#: Sizes of the MONAI table (MONAI on torch, hand-written jnp on JAX); the other rows skip them.
MONAI_SIZES = ("monai_small", "monai")
QUICK_SIZES = ("tiny", "small", "monai_small")
FULL_SIZES = ("tiny", "small", "medium", "monai")
LOVASZ_SIZES = ("tiny", "small")
SMOOTH = 1.0
MONAI_SMOOTH = 1e-5  # MONAI's default smooth_nr = smooth_dr
ALPHA, BETA = 0.3, 0.7
#: The losses timed against MONAI (torch), and against hand-written jnp (JAX), at the MONAI sizes.
MONAI_LOSSES = ("dice", "dice_cross_entropy", "dice_focal", "jaccard", "tversky", "generalized_dice")
JNP_LOSSES = ("dice", "dice_cross_entropy")


def make_inputs(size: str, seed: int = 0):
    """Logits ``(N, H, W, C)``, labels ``(N, H, W)`` (NumPy float32 / int64)."""
    import numpy as np

    n, h, w, c = SIZES[size]
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, h, w, c), dtype=np.float32)
    y = rng.integers(0, c, (n, h, w))
    return z, y


def softmax_np(z):
    import numpy as np

    e = np.exp(z - z.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


class Runner:
    def __init__(self, backend: str, quick: bool) -> None:
        self.backend, self.quick = backend, quick
        self.common = {"bench": "segmentation", "backend": backend}

    def timing_kw(self, size: str) -> dict:
        if self.quick:
            return {"repeats": 5, "min_time": 0.005, "warmup": 1, "budget": 0.3}
        return {"repeats": 15, "min_time": 0.02, "warmup": 2, "budget": 3.0}

    def emit(self, loss: str, size: str, direction: str, impl: str, timing: dict, shape=None) -> None:
        rec = {
            **self.common,
            "loss": loss,
            "size": size,
            "shape": list(SIZES[size] if shape is None else shape),
            "direction": direction,
            "impl": impl,
            **timing,
        }
        print(json.dumps(rec), flush=True)

    def skip(self, losses: tuple[str, ...], size: str, impl: str, reason: str) -> None:
        """Rows that could not run: one record each with ``skipped`` (no timing), one note on stderr."""
        print(f"note: {', '.join(losses)} at {size} ({self.backend}, {impl}) skipped: {reason}", file=sys.stderr)
        for loss in losses:
            rec = {**self.common, "loss": loss, "size": size, "impl": impl, "skipped": reason}
            print(json.dumps(rec), flush=True)

    def check(self, loss: str, size: str, ours: float, ref: float, what: str, rtol: float = 1e-4) -> None:
        if not math.isclose(ours, ref, rel_tol=rtol, abs_tol=1e-5):
            print(f"warning: {loss} {size} ({self.backend}): lossapi {ours} != {what} {ref}", file=sys.stderr)


# ------------------------------------------------------------------ NumPy
def run_numpy(r: Runner, sizes: list[str]) -> None:
    import numpy as np

    def hand_dice(p, y):
        c = p.shape[-1]
        t = (y[..., None] == np.arange(c)).astype(p.dtype)
        axes = (1, 2)
        inter = (p * t).sum(axes)
        den = p.sum(axes) + t.sum(axes)
        return (1 - (2 * inter + SMOOTH) / (den + SMOOTH)).mean()

    for size in [s for s in sizes if s not in MONAI_SIZES]:
        z, y = make_inputs(size)
        p = softmax_np(z)
        r.check("dice", size, float(la.dice(p, y)), float(hand_dice(p, y)), "hand-written NumPy")
        for impl, f in (("numpy", hand_dice), ("lossapi", la.dice)):
            r.emit("dice", size, "fwd", impl, bench(lambda f=f, p=p, y=y: f(p, y), **r.timing_kw(size)))


# ------------------------------------------------------------------ torch
def berman_lovasz_grad(torch, gt_sorted):
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.float().cumsum(0)
    union = gts + (1 - gt_sorted).float().cumsum(0)
    jaccard = 1.0 - intersection / union
    if len(gt_sorted) > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def berman_lovasz_softmax(torch, probs, labels):
    """Berman et al.'s reference (smp ``_lovasz_softmax``, per_image=False, classes="present")."""
    c = probs.shape[1]
    p = probs.permute(0, 2, 3, 1).reshape(-1, c)
    y = labels.reshape(-1)
    losses = []
    for k in range(c):
        fg = (y == k).to(p.dtype)
        if fg.sum() == 0:
            continue
        errors = (fg - p[:, k]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, berman_lovasz_grad(torch, fg[perm])))
    return torch.stack(losses).mean()


def berman_lovasz_hinge(torch, logits, labels):
    """Berman et al.'s reference (smp ``_lovasz_hinge``, per_image=True)."""
    out = []
    for x, y in zip(logits, labels):
        x, y = x.reshape(-1), y.reshape(-1).to(x.dtype)
        errors = 1.0 - x * (2.0 * y - 1.0)
        errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
        out.append(torch.dot(torch.relu(errors_sorted), berman_lovasz_grad(torch, y[perm])))
    return torch.stack(out).mean()


def run_torch(r: Runner, sizes: list[str]) -> None:
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(2)

    def hand_dice(p, y):  # (N, C, H, W) probabilities, (N, H, W) labels
        t = F.one_hot(y, p.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
        inter = (p * t).sum((2, 3))
        den = p.sum((2, 3)) + t.sum((2, 3))
        return (1 - (2 * inter + SMOOTH) / (den + SMOOTH)).mean()

    generic = [s for s in sizes if s not in MONAI_SIZES]
    cases = {
        "dice": (lambda p, y: la.dice(p, y, axis=1), hand_dice, "probs", generic),
        "lovasz_softmax": (
            lambda p, y: la.lovasz_softmax(p, y, axis=1),
            lambda p, y: berman_lovasz_softmax(torch, p, y),
            "probs",
            [s for s in sizes if s in LOVASZ_SIZES],
        ),
        "lovasz_hinge": (
            la.lovasz_hinge,
            lambda x, y: berman_lovasz_hinge(torch, x, y),
            "binary",
            [s for s in sizes if s in LOVASZ_SIZES],
        ),
    }
    for loss, (ours, hand, kind, loss_sizes) in cases.items():
        for size in loss_sizes:
            z, y = make_inputs(size)
            if kind == "probs":
                x = torch.asarray(np.moveaxis(softmax_np(z), -1, 1).copy())
                lab = torch.asarray(y)
            else:  # binary: one logit map per image
                x = torch.asarray(z[..., 0].copy())
                lab = torch.asarray((y % 2).astype(np.int64))
            r.check(loss, size, float(ours(x, lab)), float(hand(x, lab)), "hand-written torch")
            kw = r.timing_kw(size)
            xg = x.clone().requires_grad_(True)
            for impl, f in (("torch_hand", hand), ("lossapi", ours)):
                with torch.no_grad():
                    r.emit(loss, size, "fwd", impl, bench(lambda f=f, x=x, lab=lab: f(x, lab), **kw))

                def step(f=f, xg=xg, lab=lab):
                    xg.grad = None
                    f(xg, lab).backward()

                r.emit(loss, size, "fwd+bwd", impl, bench(step, **kw))

    monai_sizes = [s for s in sizes if s in MONAI_SIZES]
    if monai_sizes:
        run_torch_monai(r, monai_sizes)


def run_torch_monai(r: Runner, sizes: list[str]) -> None:
    """lossapi against MONAI's loss modules, channels-first logits, forward and forward+backward."""
    import numpy as np
    import torch

    try:
        import monai.losses as ML
    except Exception as e:  # not installed, or an import-time failure: the other rows still run
        reason = f"MONAI is not importable ({type(e).__name__}: {e})"
        for size in sizes:
            r.skip(MONAI_LOSSES, size, "monai", reason)
        return

    s = MONAI_SMOOTH
    onehot = {"to_onehot_y": True}
    cases = {
        "dice": (
            lambda z, y: la.dice(z, y, axis=1, activation="softmax", smooth=s),
            ML.DiceLoss(softmax=True, **onehot),
        ),
        "dice_cross_entropy": (
            lambda z, y: la.dice_cross_entropy(z, y, axis=1),
            ML.DiceCELoss(softmax=True, **onehot),
        ),
        "dice_focal": (
            lambda z, y: la.dice_focal(z, y, axis=1, activation="sigmoid"),
            ML.DiceFocalLoss(sigmoid=True, **onehot),
        ),
        "jaccard": (
            lambda z, y: la.jaccard(z, y, axis=1, activation="softmax", smooth=s),
            ML.DiceLoss(softmax=True, jaccard=True, smooth_nr=2 * s, smooth_dr=2 * s, **onehot),
        ),
        "tversky": (
            lambda z, y: la.tversky(z, y, axis=1, activation="softmax", alpha=ALPHA, beta=BETA, smooth=s),
            ML.TverskyLoss(softmax=True, alpha=ALPHA, beta=BETA, **onehot),
        ),
        "generalized_dice": (
            lambda z, y: la.generalized_dice(z, y, axis=1, activation="softmax", smooth=s),
            ML.GeneralizedDiceLoss(softmax=True, w_type="square", smooth_nr=s, smooth_dr=s, **onehot),
        ),
    }
    for size in sizes:
        z, y = make_inputs(size)
        x = torch.asarray(np.moveaxis(z, -1, 1).copy())  # (N, C, H, W) logits
        lab = torch.asarray(y)  # (N, H, W) int64
        kw = r.timing_kw(size)
        for loss, (ours, mod) in cases.items():

            def theirs(x, lab, mod=mod):
                return mod(x, lab[:, None])

            r.check(loss, size, float(ours(x, lab)), float(theirs(x, lab)), "MONAI", rtol=1e-5)
            grads = []
            for f in (ours, theirs):
                xg = x.clone().requires_grad_(True)
                f(xg, lab).backward()
                grads.append(xg.grad)
            scale = float(grads[1].abs().max())
            if not torch.allclose(grads[0], grads[1], rtol=1e-3, atol=1e-4 * scale):
                err = float((grads[0] - grads[1]).abs().max())
                print(
                    f"warning: {loss} {size} (torch): gradient differs from MONAI's by {err:.3g} (max {scale:.3g})",
                    file=sys.stderr,
                )
            xg = x.clone().requires_grad_(True)
            for impl, f in (("monai", theirs), ("lossapi", ours)):
                with torch.no_grad():
                    t = bench(lambda f=f, x=x, lab=lab: f(x, lab), **kw)
                r.emit(loss, size, "fwd", impl, t, shape=x.shape)

                def step(f=f, xg=xg, lab=lab):
                    xg.grad = None
                    f(xg, lab).backward()

                r.emit(loss, size, "fwd+bwd", impl, bench(step, **kw), shape=x.shape)


# ------------------------------------------------------------------ JAX
def run_jax(r: Runner, sizes: list[str]) -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    L = optax.losses
    sm = jax.nn.softmax

    pairs = {
        # lossapi from logits (softmax inside the jitted function, as optax's apply_softmax)
        "dice": (
            lambda z, y, t: la.dice(sm(z), y, smooth=SMOOTH),
            lambda z, y, t: L.dice_loss(z, jax.nn.one_hot(y, z.shape[-1]), smooth=SMOOTH / 2).mean(),
        ),
        "dice_onehot": (
            lambda z, y, t: la.dice(sm(z), t, smooth=SMOOTH),
            lambda z, y, t: L.dice_loss(z, t, smooth=SMOOTH / 2).mean(),
        ),
        "jaccard": (
            lambda z, y, t: la.jaccard(sm(z), y, smooth=SMOOTH),
            lambda z, y, t: L.dice_loss(z, jax.nn.one_hot(y, z.shape[-1]), smooth=SMOOTH, alpha=1.0, beta=1.0).mean(),
        ),
        "tversky": (
            lambda z, y, t: la.tversky(sm(z), y, alpha=ALPHA, beta=BETA, smooth=SMOOTH),
            lambda z, y, t: L.dice_loss(
                z, jax.nn.one_hot(y, z.shape[-1]), smooth=SMOOTH, alpha=ALPHA, beta=BETA
            ).mean(),
        ),
    }

    def block(x):
        return jax.block_until_ready(x)

    directions = ("fwd", "value_and_grad") if r.quick else ("fwd", "grad", "value_and_grad")
    for size in [s for s in sizes if s not in MONAI_SIZES]:
        z, y = make_inputs(size)
        zj, yj = jnp.asarray(z), jnp.asarray(y.astype(np.int32))
        tj = jax.nn.one_hot(yj, z.shape[-1], dtype=jnp.float32)
        kw = r.timing_kw(size)
        for loss, (ours, nat) in pairs.items():
            r.check(loss, size, float(jax.jit(ours)(zj, yj, tj)), float(jax.jit(nat)(zj, yj, tj)), "optax")
            for impl, f in (("optax", nat), ("lossapi", ours)):
                for direction in directions:
                    g = {"fwd": f, "grad": jax.grad(f), "value_and_grad": jax.value_and_grad(f)}[direction]
                    jf = jax.jit(g)
                    r.emit(loss, size, direction, impl, bench(lambda jf=jf, a=(zj, yj, tj): jf(*a), sync=block, **kw))
        if size not in LOVASZ_SIZES:
            continue
        lov = {
            "lovasz_softmax": (lambda z, y: la.lovasz_softmax(sm(z), y), zj, yj),
            "lovasz_hinge": (lambda x, y: la.lovasz_hinge(x, y), zj[..., 0], yj % 2),
        }
        for loss, (f, a, b) in lov.items():
            for direction in ("fwd", "value_and_grad"):
                g = f if direction == "fwd" else jax.value_and_grad(f)
                for impl, h in (("lossapi_eager", g), ("lossapi", jax.jit(g))):
                    r.emit(loss, size, direction, impl, bench(lambda h=h, a=a, b=b: h(a, b), sync=block, **kw))

    monai_sizes = [s for s in sizes if s in MONAI_SIZES]
    if monai_sizes:
        run_jax_hand(r, monai_sizes, directions)


def run_jax_hand(r: Runner, sizes: list[str], directions: tuple[str, ...]) -> None:
    """jit(lossapi) against jit of the formula written in jax.numpy, channels-last logits."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    s = MONAI_SMOOTH

    def hand_dice(z, y):  # (N, H, W, C) logits, (N, H, W) labels: per-sample, per-class soft Dice
        p = jax.nn.softmax(z, axis=-1)
        t = jax.nn.one_hot(y, z.shape[-1], dtype=z.dtype)
        inter = jnp.sum(p * t, axis=(1, 2))
        den = jnp.sum(p, axis=(1, 2)) + jnp.sum(t, axis=(1, 2))
        return jnp.mean(1.0 - (2.0 * inter + s) / (den + s))

    def hand_dice_ce(z, y):
        return hand_dice(z, y) + optax.losses.softmax_cross_entropy_with_integer_labels(z, y).mean()

    pairs = {
        "dice": (lambda z, y: la.dice(z, y, activation="softmax", smooth=s), hand_dice),
        "dice_cross_entropy": (lambda z, y: la.dice_cross_entropy(z, y), hand_dice_ce),
    }

    def block(x):
        return jax.block_until_ready(x)

    for size in sizes:
        z, y = make_inputs(size)
        zj, yj = jnp.asarray(z), jnp.asarray(y.astype(np.int32))
        kw = r.timing_kw(size)
        for loss, (ours, hand) in pairs.items():
            r.check(loss, size, float(jax.jit(ours)(zj, yj)), float(jax.jit(hand)(zj, yj)), "hand-written jnp", 1e-5)
            for impl, f in (("jnp_hand", hand), ("lossapi", ours)):
                for direction in directions:
                    g = {"fwd": f, "grad": jax.grad(f), "value_and_grad": jax.value_and_grad(f)}[direction]
                    jf = jax.jit(g)
                    r.emit(loss, size, direction, impl, bench(lambda jf=jf, a=(zj, yj): jf(*a), sync=block, **kw))


# ------------------------------------------------------------------ ratios and tables
PAIRS = {
    "numpy": (("lossapi", "numpy", "lossapi / hand-written NumPy"),),
    "torch": (("lossapi", "torch_hand", "lossapi / hand-written torch"), ("lossapi", "monai", "lossapi / MONAI")),
    "jax": (
        ("lossapi", "optax", "jit(lossapi) / jit(optax)"),
        ("lossapi", "lossapi_eager", "jit / eager"),
        ("lossapi", "jnp_hand", "jit(lossapi) / jit(hand-written jnp)"),
    ),
}


def ratio_rows(rows: list[dict]) -> list[dict]:
    idx = {(r["backend"], r["loss"], r["size"], r["direction"], r["impl"]): r for r in rows if "median" in r}
    out = []
    order = {s: i for i, s in enumerate(SIZES)}
    for backend, loss, size, direction in sorted({k[:4] for k in idx}, key=lambda k: (k[0], k[1], order[k[2]], k[3])):
        for ours, nat, label in PAIRS.get(backend, ()):
            a, b = idx.get((backend, loss, size, direction, ours)), idx.get((backend, loss, size, direction, nat))
            if a is None or b is None:
                continue
            out.append(
                {
                    "backend": backend,
                    "loss": loss,
                    "size": size,
                    "direction": direction,
                    "pair": label,
                    "lossapi_median": a["median"],
                    "native_median": b["median"],
                    "ratio": a["median"] / b["median"],
                }
            )
    return out


def _rows(ratios: list[dict]) -> list[str]:
    lines = [
        "| backend | loss | size | direction | pair | lossapi | reference | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for q in ratios:
        lines.append(
            f"| {q['backend']} | {q['loss']} | {q['size']} | {q['direction']} | {q['pair']} | "
            f"{fmt(q['lossapi_median'])} | {fmt(q['native_median'])} | {q['ratio']:.2f} |"
        )
    return lines


def table(ratios: list[dict], skipped: list[dict] | None = None) -> str:
    """Two tables: the segmentation losses at tiny/small/medium, and the MONAI table.

    ``skipped`` (records with a ``skipped`` reason, e.g. MONAI not installed) become notes under
    the MONAI table.
    """
    lines = []
    base = [q for q in ratios if q["size"] not in MONAI_SIZES]
    if base:
        lines += ["### Segmentation losses: ratio lossapi / reference (median)", "", *_rows(base), ""]
    monai = [q for q in ratios if q["size"] in MONAI_SIZES]
    notes = sorted({(q["size"], q["impl"], q["skipped"]) for q in skipped or ()})
    if monai or notes:
        shapes = ", ".join(
            f"{s} N×C×H×W {SIZES[s][0]}×{SIZES[s][3]}×{SIZES[s][1]}×{SIZES[s][2]}"
            for s in MONAI_SIZES
            if any(q["size"] == s for q in monai) or any(n[0] == s for n in notes)
        )
        lines += [
            "### Segmentation losses against MONAI (torch eager) and hand-written jnp (jax.jit): "
            f"ratio lossapi / reference (median; float32 logits, {shapes}; JAX channels-last)",
            "",
            *_rows(monai),
        ]
        for size, impl, why in notes:
            lines.append(f"\nSkipped ({impl}, {size}): {why}")
    return "\n".join(lines).rstrip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("numpy", "torch", "jax"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None, help=f"comma-separated, of {', '.join(SIZES)}")
    ap.add_argument("--backends", default="numpy,torch,jax", help="the backends the table mode runs")
    args = ap.parse_args()
    sizes = args.sizes.split(",") if args.sizes else list(QUICK_SIZES if args.quick else FULL_SIZES)
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        ap.error(f"unknown size(s) {', '.join(unknown)}; known: {', '.join(SIZES)}")
    if args.backend:
        os.environ.setdefault("JAX_ENABLE_X64", "0")
        r = Runner(args.backend, args.quick)
        {"numpy": run_numpy, "torch": run_torch, "jax": run_jax}[args.backend](r, sizes)
        return
    rows: list[dict] = []
    env = dict(os.environ, OMP_NUM_THREADS="2", PYTHONWARNINGS="ignore")
    backends = args.backends.split(",")
    if all(s in MONAI_SIZES for s in sizes):  # NumPy has no rows at the MONAI sizes
        backends = [b for b in backends if b != "numpy"]
    for backend in backends:
        cmd = [sys.executable, str(HERE / "bench_segmentation.py"), "--backend", backend, "--sizes", ",".join(sizes)]
        if args.quick:
            cmd.append("--quick")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE)
        for line in proc.stderr.splitlines():
            if line.startswith(("warning", "note", "Traceback")) or proc.returncode:
                print("  " + line, file=sys.stderr)
        print(f"{backend}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        rows += [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    print(table(ratio_rows(rows), [r for r in rows if "skipped" in r]))


if __name__ == "__main__":
    main()
