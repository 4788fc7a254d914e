"""Run every benchmark, each backend in a fresh process, and print one table of ratios.

    python benchmarks/run.py --quick            # tiny + small inputs, fewer repeats, compile a handful (< 5 min)
    python benchmarks/run.py                    # tiny + medium + large, torch.compile of every torch loss
    python benchmarks/run.py --out DIR          # default benchmarks/results/ (git-ignored)
    python benchmarks/run.py --device cuda      # torch on the GPU and CuPy, when present
    python benchmarks/run.py --backend torch --quick --sizes tiny   # one backend in this process: JSON lines

Writes ``results.json`` (every measurement, every ratio, the environment) and ``results.md``
(the tables). Ratios are lossapi / native, both measured back to back in one process; see
benchmarks/README.md for how to read them. Nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # run from anywhere; the test imports this module

import bench_losses  # noqa: E402
import specs  # noqa: E402
from _timing import fmt_time as fmt  # noqa: E402

#: Memory bandwidth on this machine (measured with a stream copy): NumPy ufuncs use one thread, torch and XLA two.
BANDWIDTH = {"numpy": 15e9, "cupy": None, "torch": 30e9, "jax": 30e9}

#: Extra families: what the spec table does not cover (Lovász vs the reference loop, YOLO vs the
#: classic boolean-indexing module, CTC, RL/GAN one-liners). (name, script, backends, title).
EXTRAS = (
    (
        "segmentation",
        "bench_segmentation.py",
        ("numpy", "torch", "jax"),
        "Segmentation extras (Lovász vs Berman et al.'s loop, dice vs hand-written): ratio lossapi / native",
    ),
    (
        "detection",
        "bench_detection.py",
        ("numpy", "torch", "jax"),
        "Detection extras (yolo vs the classic boolean-indexing module; box losses also in the main table)",
    ),
    (
        "sequence",
        "bench_sequence.py",
        ("torch", "jax"),
        "CTC: lossapi / torch F.ctc_loss (eager) and / optax ctc_loss (jit)",
    ),
    (
        "metric",
        "bench_metric.py",
        ("torch", "jax"),
        "Metric learning: lossapi / pytorch-metric-learning (torch eager) and / hand-written jnp, keras (jit)",
    ),
)

PAIR_LABELS = {
    ("numpy", "eager", "numpy"): "lossapi / hand-written NumPy",
    ("numpy", "eager", "sklearn"): "lossapi / sklearn",
    ("cupy", "eager", "numpy"): "lossapi / hand-written CuPy",
    ("torch", "eager", "torch"): "lossapi / torch",
    ("torch", "eager", "torch", "generic"): "generic / torch",
    ("torch", "compile", "torch"): "compiled lossapi / compiled torch",
    ("jax", "jit", "optax"): "jit(lossapi) / jit(optax)",
    ("jax", "jit", "keras"): "jit(lossapi) / jit(keras) (peer)",
}


def target(
    backend: str, mode: str, vs: str, ours: str, size: str, direction: str, fast_path: bool
) -> tuple[float | None, str]:
    """The DESIGN.md target for one ratio, as (limit, text); (None, "") where DESIGN.md sets none."""
    if vs == "keras":
        return None, "peer"
    if backend == "jax":
        return 1.05, "≤ 1.05× optax"
    if mode == "compile":
        return 1.15, "≤ 1.15× compiled"
    if vs == "sklearn":
        return 1.0, "faster than sklearn"
    if size == "tiny":
        return 1.5, "tiny ≤ 1.5×"
    if backend in ("numpy", "cupy"):
        return 1.1, "≤ 1.1× NumPy"
    if backend == "torch" and size == "large":
        if ours == "lossapi_generic" or not fast_path:
            return (2.0, "generic ≤ 2×") if direction == "fwd" else (2.5, "generic ≤ 2.5×")
        return 1.05, "fast path ≤ 1.05×"
    return None, ""


def env_info() -> dict:
    """Versions, machine and load: recorded with every run."""
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "THP_MEM_ALLOC_ENABLE": os.environ.get("THP_MEM_ALLOC_ENABLE"),
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    os.environ.setdefault("KERAS_BACKEND", "jax")  # as in the children: keras 3 refuses to import without its backend
    for mod in ("numpy", "torch", "jax", "optax", "keras", "sklearn", "array_api_compat", "array_api_strict", "dask"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:
            info[mod] = None
    return info


def child_env() -> dict:
    """Environment of every benchmark process: 2 threads, JAX on one CPU device, keras on JAX."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "2")
    env.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
    env.setdefault("KERAS_BACKEND", "jax")
    env.setdefault("PYTHONWARNINGS", "ignore")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def run_child(args: list[str]) -> list[dict]:
    """Run ``python <args>`` in benchmarks/ in a fresh process; its JSON lines."""
    print("$ python", " ".join(args), file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=child_env(), cwd=HERE)
    for line in proc.stderr.splitlines():
        if line.startswith(("warning", "note", "Traceback")) or proc.returncode:
            print("  " + line, file=sys.stderr)
    print(f"  ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


# ------------------------------------------------------------------ ratios
def ratio_rows(rows: list[dict]) -> list[dict]:
    """One row per (loss, backend, comparison, size, direction): lossapi / native, both from one process."""
    idx: dict[tuple, dict] = {}
    for r in rows:
        if r.get("bench") == "losses" and "median" in r:
            vs = r.get("vs", r["backend"] if r["backend"] == "torch" else "")
            idx[(r["backend"], r["mode"], r["loss"], r["size"], r["direction"], r["impl"], vs)] = r
    order = {s: i for i, s in enumerate(specs.SIZE_ORDER)}
    backends = ["numpy", "cupy", "torch", "jax"]
    modes = ["eager", "compile", "jit"]
    losses = list(specs.SPECS)
    keys = sorted(
        {(k[0], k[1], k[2], k[3], k[4], k[6]) for k in idx if k[5] not in ("lossapi", "lossapi_generic")},
        key=lambda k: (backends.index(k[0]), modes.index(k[1]), losses.index(k[2]), order[k[3]], k[5], k[4]),
    )
    out = []
    for backend, mode, loss, size, direction, vs in keys:
        nat = idx[(backend, mode, loss, size, direction, vs, vs)]
        for ours in ("lossapi", "lossapi_generic"):
            a = idx.get((backend, mode, loss, size, direction, ours, vs))
            if a is None and ours == "lossapi":  # sklearn rows reuse lossapi's time vs hand-written NumPy
                a = idx.get((backend, mode, loss, size, direction, ours, "numpy"))
            if a is None:
                continue
            fast = bool(a.get("fast_path", True))
            label = PAIR_LABELS.get(
                (backend, mode, vs, "generic") if ours == "lossapi_generic" else (backend, mode, vs), f"{ours} / {vs}"
            )
            if backend == "torch" and mode == "eager" and ours == "lossapi" and not fast:
                label = "lossapi (no fast path) / torch"
            lim, what = target(backend, mode, vs, ours, size, direction, fast)
            ratio = a["median"] / nat["median"]
            row = {
                "backend": backend,
                "mode": mode,
                "loss": loss,
                "size": size,
                "shape": a["shape"],
                "direction": direction,
                "pair": label,
                "native_is": nat.get("native_is") or vs,
                "lossapi_median": a["median"],
                "native_median": nat["median"],
                "ratio": ratio,
                "ratio_min": a["min"] / nat["min"],
                "ratio_max": a["max"] / nat["max"],
                "target": what,
                "verdict": "" if lim is None else ("PASS" if ratio <= lim else "MISS"),
                "lossapi_peak_bytes": a.get("peak_bytes"),
                "native_peak_bytes": nat.get("peak_bytes"),
                "peak_what": a.get("peak_what"),
                "loadavg_1m": a.get("loadavg_1m"),
            }
            if "compile_s" in a:
                row["lossapi_compile_s"], row["native_compile_s"] = a["compile_s"], nat.get("compile_s")
            bw = BANDWIDTH.get(backend)
            if size == "large" and bw:
                nbytes = a["input_bytes"] + (0 if direction == "fwd" else a["grad_bytes"])
                row["floor_s"] = nbytes / bw
                row["x_floor"] = a["median"] / row["floor_s"]
            out.append(row)
    return out


def compile_errors(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("bench") == "losses" and "error" in r]


# ------------------------------------------------------------------ markdown
def _mib(b: int | None) -> str:
    return "" if b is None else f"{b / 2**20:.1f}"


def markdown(rows: list[dict], ratios: list[dict], env: dict, extras: dict[str, str]) -> str:
    """The tables: dispatch, the full ratio table, a summary per target, CE memory, extras."""
    lines = [
        f"Environment: {env['platform']}, {env['cpu_count']} CPUs, Python {env['python']}, numpy {env['numpy']}, "
        f"torch {env['torch']}, jax {env['jax']}, optax {env['optax']}, keras {env['keras']}, "
        f"sklearn {env['sklearn']}; "
        f"THP_MEM_ALLOC_ENABLE={env['THP_MEM_ALLOC_ENABLE']}; load average at start {env['loadavg']}; "
        f"{'quick' if env.get('quick') else 'full'} run, {env['wall_s']} s; {env['time']}.",
        "",
    ]
    disp: dict[str, dict[str, dict]] = {}
    for r in rows:
        if r.get("bench") == "dispatch":
            disp.setdefault(r["backend"], {})[r["case"]] = r
    if disp:
        lines += [
            "### Dispatch: namespace lookup per call",
            "",
            "| backend | get_namespace hit, median (min–max) | array_namespace(x, y) | empty call | target ≤ 0.3 µs |",
            "|---|---|---|---|---|",
        ]
        for b, c in disp.items():
            g, a, e = c["get_namespace (cache hit)"], c["array_namespace(x, y)"], c["empty Python call"]
            lines.append(
                f"| {b} | {fmt(g['median'])} ({fmt(g['min'])}–{fmt(g['max'])}) | {fmt(a['median'])} | "
                f"{fmt(e['median'])} | {'PASS' if g['median'] <= 0.3e-6 else 'MISS'} |"
            )
        lines.append("")
    lines += summary(ratios)
    lines += [
        "### Every loss: ratio lossapi / native (median; min-ratio–max-ratio)",
        "",
        "Peak: extra bytes of one call, lossapi / native, MiB: NumPy = tracemalloc; torch (large) = RSS "
        "high-water growth; JAX (large) = XLA temp buffers of the compiled function. "
        "Floor (large): bytes that must move (inputs, + the gradient for backward) at 15 GB/s (NumPy, "
        "1 thread) / 30 GB/s (torch, XLA, 2 threads); ×floor = lossapi median / floor. "
        "Compile: first call of torch.compile(fullgraph=True), lossapi / native.",
        "",
        "| loss | backend | pair | size | direction | lossapi | native | ratio | (min–max) | target | | "
        "peak MiB | floor | ×floor | compile s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(ratios, key=lambda r: list(specs.SPECS).index(r["loss"])):
        shape = "×".join(map(str, r["shape"]))
        peak = ""
        if r["lossapi_peak_bytes"] is not None or r["native_peak_bytes"] is not None:
            peak = f"{_mib(r['lossapi_peak_bytes'])} / {_mib(r['native_peak_bytes'])}"
        floor = fmt(r["floor_s"]) if "floor_s" in r else ""
        xfloor = f"{r['x_floor']:.1f}×" if "x_floor" in r else ""
        comp = ""
        if "lossapi_compile_s" in r:
            comp = f"{r['lossapi_compile_s']:.1f} / {r['native_compile_s']:.1f}"
        lines.append(
            f"| {r['loss']} | {r['backend']} | {r['pair']} | {r['size']} ({shape}) | {r['direction']} | "
            f"{fmt(r['lossapi_median'])} | {fmt(r['native_median'])} | **{r['ratio']:.2f}×** | "
            f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) | {r['target']} | {r['verdict']} | {peak} | {floor} | "
            f"{xfloor} | {comp} |"
        )
    natives = sorted(
        {
            (r["loss"], r["native_is"])
            for r in ratios
            if r["native_is"] not in ("torch", "optax", "keras", "numpy", "sklearn")
        }
    )
    if natives:
        lines += [
            "",
            "Natives that are not the library's own function: "
            + "; ".join(f"{loss}: {what}" for loss, what in natives)
            + ".",
        ]
    errs = compile_errors(rows)
    if errs:
        lines += [
            "",
            "torch.compile(fullgraph=True) failures: "
            + "; ".join(f"{e['loss']} {e['impl']} {e['size']}: {e['error']}" for e in errs)
            + ".",
        ]
    lines += [
        "",
        "Not benchmarked (catalog counterparts): "
        + "; ".join(f"{loss} vs {lib}: {why}" for (loss, lib), why in specs.EXCLUDED.items())
        + ".",
        "",
    ]
    lines += ce_memory(ratios)
    for title, md in extras.items():
        lines += [f"### {title}", "", md, ""]
    return "\n".join(lines) + "\n"


def summary(ratios: list[dict]) -> list[str]:
    """Per target: how many rows pass, and the worst ones."""
    groups: dict[str, list[dict]] = {}
    for r in ratios:
        if r["verdict"]:
            key = f"{r['backend']} {r['mode']} — {r['target']}" + (
                " (tiny)" if r["size"] == "tiny" and "tiny" not in r["target"] else ""
            )
            groups.setdefault(key, []).append(r)
    lines = [
        "### Summary per DESIGN.md target",
        "",
        "| backend, mode — target | rows | PASS | MISS | worst (ratio) |",
        "|---|---|---|---|---|",
    ]
    for key, rs in groups.items():
        miss = sorted((r for r in rs if r["verdict"] == "MISS"), key=lambda r: -r["ratio"])
        worst = ", ".join(f"{r['loss']} {r['size']} {r['direction']} {r['ratio']:.2f}" for r in miss[:4])
        lines.append(f"| {key} | {len(rs)} | {len(rs) - len(miss)} | {len(miss)} | {worst} |")
    return [*lines, ""]


def ce_memory(ratios: list[dict]) -> list[str]:
    """DESIGN.md memory target: cross-entropy peak ≤ 2× the logits eager, ≤ 1× under jit/compile."""
    rows = [
        r
        for r in ratios
        if r["loss"] == "cross_entropy"
        and r["lossapi_peak_bytes"] is not None
        and r["native_is"] not in ("sklearn", "keras")
        and r["pair"] != "generic / torch"
    ]
    if not rows:
        return []
    lines = [
        "### Memory: cross_entropy with integer labels, peak extra bytes / logits bytes",
        "",
        "Target (DESIGN.md): forward ≤ 2× the logits eager, ≤ 1× under jit; never a one-hot. "
        "Backward rows include the logits' gradient (1× by itself).",
        "",
        "| backend (what) | size | direction | lossapi × logits | native × logits | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        n, c = r["shape"]
        logits = 4 * n * c
        lim = 1.0 if r["mode"] == "jit" else 2.0
        ours = r["lossapi_peak_bytes"] / logits
        nat = "" if r["native_peak_bytes"] is None else f"{r['native_peak_bytes'] / logits:.2f}×"
        fwd = r["direction"] == "fwd"
        verdict = ("PASS" if ours <= lim else "MISS") if fwd else ""
        lines.append(
            f"| {r['backend']} ({r['peak_what']}) | {r['size']} | {r['direction']} | **{ours:.2f}×** | "
            f"{nat} | {f'≤ {lim:g}×' if fwd else ''} | {verdict} |"
        )
    return [*lines, ""]


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--backend",
        choices=("numpy", "torch", "jax", "cupy"),
        help="one backend in this process: JSON lines on stdout (what each fresh process runs)",
    )
    bench_losses.add_arguments(ap)
    ap.add_argument("--out", default=str(HERE / "results"), help="output folder (default benchmarks/results/)")
    ap.add_argument("--backends", default="numpy,torch,jax", help="backends to run (comma-separated)")
    ap.add_argument("--no-dispatch", action="store_true", help="skip the dispatch benchmark")
    ap.add_argument(
        "--extras",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the family extras (Lovász, YOLO, CTC); default: on in full runs, off in --quick",
    )
    ap.add_argument(
        "--scale",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run bench_scale.py (Dask / sharded JAX), when present; default: on in full runs",
    )
    args = ap.parse_args(argv)
    if args.backend:
        bench_losses.run_backend(
            args.backend,
            quick=args.quick,
            sizes=args.sizes.split(",") if args.sizes else None,
            losses=args.losses.split(",") if args.losses else None,
            device=args.device,
            compile_losses=args.compile,
        )
        return
    common = ["--quick"] if args.quick else []
    for opt in ("sizes", "losses"):
        if getattr(args, opt):
            common += [f"--{opt}", getattr(args, opt)]
    t0 = time.perf_counter()
    rows: list[dict] = []
    if not args.no_dispatch:
        for b in ("numpy", "torch", "jax", "array_api_strict", "dask"):
            rows += run_child(["bench_dispatch.py", "--backend", b, "--json", *common[:1]])
    backends = args.backends.split(",")
    if args.device.startswith("cuda"):
        try:
            import cupy  # noqa: F401

            backends.append("cupy")
        except ImportError:
            print("note: --device cuda: CuPy is not installed; only torch (if it sees a GPU) uses it", file=sys.stderr)
    for b in backends:
        rows += run_child(
            ["bench_losses.py", "--backend", b, "--device", args.device, "--compile", args.compile, *common]
        )
    extras: dict[str, str] = {}
    results: dict = {}
    if args.extras if args.extras is not None else not args.quick:
        for name, script, ebackends, title in EXTRAS:
            fam = []
            for b in ebackends:
                fam += run_child([script, "--backend", b, *common[:1]])
            module = __import__(script.removesuffix(".py"))
            fam = [r for r in fam if r.get("bench", name) == name]
            rows += fam
            results[f"{name}_ratios"] = fam_ratios = module.ratio_rows(fam)
            extras[title] = module.table(fam_ratios)
    if (args.scale if args.scale is not None else not args.quick) and (HERE / "bench_scale.py").exists():
        scale = run_child(["bench_scale.py", *common[:1]])
        rows += scale
        results["scale"] = scale
        try:
            import bench_scale

            md_scale = bench_scale.summary(
                [r for r in scale if "chunk_elements" in r], [r for r in scale if "devices" in r]
            )
        except Exception as e:  # bench_scale.py is another helper's file: keep its raw records if its API moved
            print(f"warning: bench_scale.summary failed ({type(e).__name__}: {e}); raw records", file=sys.stderr)
            md_scale = "```\n" + "\n".join(json.dumps(r) for r in scale) + "\n```"
        extras["Scale: Dask LocalCluster and sharded JAX (bench_scale.py)"] = md_scale
    env = env_info()
    env["quick"] = args.quick
    env["wall_s"] = round(time.perf_counter() - t0, 1)
    ratios = ratio_rows(rows)
    md = markdown(rows, ratios, env, extras)
    results = {"env": env, "ratios": ratios, **results, "measurements": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    (out / "results.md").write_text(md)
    print(md)
    print(f"wrote {out / 'results.json'} and {out / 'results.md'} ({env['wall_s']} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
