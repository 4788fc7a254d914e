"""Run every benchmark, each backend in a fresh process, and print one table of ratios.

    python benchmarks/run.py --quick            # tiny + medium (classification: tiny + small), fewer repeats
    python benchmarks/run.py                    # + large (1e7; classification 16384×1000) inputs
    python benchmarks/run.py --out DIR          # default benchmarks/results/ (git-ignored)
    python benchmarks/run.py --device cuda      # torch on the GPU and CuPy, when present

Writes ``results.json`` (every measurement plus the environment) and ``results.md`` (the
tables). Ratios are lossapi / native, computed within one backend and one process; see
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

from _timing import fmt_time as fmt

HERE = Path(__file__).resolve().parent

# (backend, lossapi impl, native impl, label); every pair is compared within one backend.
PAIRS = {
    "numpy": (("lossapi", "numpy", "lossapi / hand-written NumPy"), ("lossapi", "sklearn", "lossapi / sklearn")),
    "cupy": (("lossapi", "numpy", "lossapi / hand-written CuPy"),),
    "torch": (("lossapi", "torch_F", "lossapi (fast path) / F"), ("lossapi_generic", "torch_F", "generic / F")),
    "jax": (("lossapi", "optax", "jit(lossapi) / jit(optax)"),),
}


#: (bench name, script, backends): the families whose scripts print JSON lines with ``--backend``.
FAMILY_BENCHES = (
    ("embedding", "bench_embedding.py", ("torch", "jax")),
    ("segmentation", "bench_segmentation.py", ("numpy", "torch", "jax")),
    ("detection", "bench_detection.py", ("numpy", "torch", "jax")),
    ("sequence", "bench_sequence.py", ("torch", "jax")),
)
FAMILY_TITLES = {
    "embedding": "Embedding and ranking losses: ratio lossapi / native (median)",
    "segmentation": "Segmentation losses: ratio lossapi / native (median)",
    "detection": "Detection losses: ratio lossapi / hand-written torchvision formulas (median)",
    "sequence": "CTC: lossapi / torch F.ctc_loss (eager) and / optax ctc_loss (jit)",
}


def target(backend: str, label: str, size: str, direction: str) -> tuple[float | None, str]:
    """The DESIGN.md target for one ratio (None when DESIGN.md sets none)."""
    if backend == "jax":
        return 1.05, "≤ 1.05× optax"
    if label.endswith("sklearn"):
        return (1.0, "faster than sklearn") if size != "tiny" else (None, "")
    if size == "tiny":
        return 1.5, "tiny ≤ 1.5×"
    if backend in ("numpy", "cupy"):
        return 1.1, "≤ 1.1× NumPy"
    if backend == "torch" and size == "large":
        if label.startswith("generic"):
            return (2.0, "generic ≤ 2×") if direction == "fwd" else (2.5, "generic ≤ 2.5×")
        return 1.05, "fast path ≤ 1.05×"
    return None, ""


def env_info() -> dict:
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "THP_MEM_ALLOC_ENABLE": os.environ.get("THP_MEM_ALLOC_ENABLE"),
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    for mod in ("numpy", "torch", "jax", "optax", "sklearn", "array_api_compat", "array_api_strict", "dask"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:
            info[mod] = None
    return info


def child_env() -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "2")
    env.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def run_child(cmd: list[str]) -> list[dict]:
    print("$", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *cmd[1:]], capture_output=True, text=True, env=child_env(), cwd=HERE)
    for line in proc.stderr.splitlines():
        if line.startswith(("warning", "note", "Traceback")) or proc.returncode:
            print("  " + line, file=sys.stderr)
    print(f"  ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def ratio_rows(rows: list[dict]) -> list[dict]:
    idx = {}
    for r in rows:
        if r.get("bench") == "regression":
            idx[(r["backend"], r["loss"], r["size"], r["direction"], r["impl"])] = r
    out = []
    order = {"tiny": 0, "medium": 1, "large": 2}
    keys = sorted({k[:4] for k in idx}, key=lambda k: (list(PAIRS).index(k[0]), k[1], order[k[2]], k[3]))
    for backend, loss, size, direction in keys:
        for ours, nat, label in PAIRS.get(backend, ()):
            a = idx.get((backend, loss, size, direction, ours))
            b = idx.get((backend, loss, size, direction, nat))
            if a is None or b is None:
                continue
            lim, what = target(backend, label, size, direction)
            ratio = a["median"] / b["median"]
            verdict = "" if lim is None else ("PASS" if ratio <= lim else "MISS")
            out.append({
                "backend": backend, "loss": loss, "size": size, "direction": direction, "pair": label,
                "lossapi_median": a["median"], "native_median": b["median"], "ratio": ratio,
                "ratio_min": a["min"] / b["min"], "ratio_max": a["max"] / b["max"],
                "target": what, "verdict": verdict,
            })
    return out


def markdown(rows: list[dict], ratios: list[dict], env: dict) -> str:
    lines = [
        f"Environment: {env['platform']}, {env['cpu_count']} CPUs, Python {env['python']}, numpy {env['numpy']}, "
        f"torch {env['torch']}, jax {env['jax']}, optax {env['optax']}, sklearn {env['sklearn']}; "
        f"THP_MEM_ALLOC_ENABLE={env['THP_MEM_ALLOC_ENABLE']}; {env['time']}.",
        "",
        "### Dispatch: namespace lookup per call",
        "",
        "| backend | get_namespace hit, median (min–max) | array_namespace(x, y) | empty call | target ≤ 0.3 µs |",
        "|---|---|---|---|---|",
    ]
    disp = {}
    for r in rows:
        if r.get("bench") == "dispatch":
            disp.setdefault(r["backend"], {})[r["case"]] = r
    for b, c in disp.items():
        g, a, e = c["get_namespace (cache hit)"], c["array_namespace(x, y)"], c["empty Python call"]
        lines.append(
            f"| {b} | {fmt(g['median'])} ({fmt(g['min'])}–{fmt(g['max'])}) | {fmt(a['median'])} | "
            f"{fmt(e['median'])} | {'PASS' if g['median'] <= 0.3e-6 else 'MISS'} |"
        )
    lines += [
        "",
        "### Regression losses: ratio lossapi / native (median; min-ratio–max-ratio)",
        "",
        "| backend | loss | size | direction | pair | lossapi | native | ratio | (min–max) | target | |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ratios:
        lines.append(
            f"| {r['backend']} | {r['loss']} | {r['size']} | {r['direction']} | {r['pair']} | "
            f"{fmt(r['lossapi_median'])} | {fmt(r['native_median'])} | **{r['ratio']:.2f}×** | "
            f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) | {r['target']} | {r['verdict']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny + medium only, fewer repeats")
    ap.add_argument("--out", default=str(HERE / "results"), help="output folder (default benchmarks/results/)")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda: torch on the GPU and CuPy, when present")
    ap.add_argument("--backends", default="numpy,torch,jax", help="regression backends (comma-separated)")
    ap.add_argument("--no-dispatch", action="store_true", help="skip the dispatch benchmark")
    ap.add_argument("--no-classification", action="store_true", help="skip the classification benchmark")
    ap.add_argument("--no-families", action="store_true",
                    help="skip the embedding/ranking, segmentation and detection benchmarks")
    args = ap.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    t0 = time.perf_counter()
    rows: list[dict] = []
    if not args.no_dispatch:
        backends = ["numpy", "torch", "jax", "array_api_strict", "dask"]
        for b in backends:
            rows += run_child(["python", "bench_dispatch.py", "--backend", b, "--json", *quick])
    regression = args.backends.split(",")
    if args.device.startswith("cuda"):
        try:
            import cupy  # noqa: F401

            regression.append("cupy")
        except ImportError:
            print("note: --device cuda: CuPy is not installed; only torch (if it sees a GPU) uses it", file=sys.stderr)
    for b in regression:
        rows += run_child(["python", "bench_regression.py", "--backend", b, "--device", args.device, *quick])
    if not args.no_classification:
        for b in regression:
            rows += run_child(["python", "bench_classification.py", "--backend", b, "--device", args.device, *quick])
    family_rows: dict[str, list[dict]] = {}
    if not args.no_families:
        for name, script, backends in FAMILY_BENCHES:
            for b in backends:
                family_rows.setdefault(name, []).extend(
                    run_child(["python", script, "--backend", b, *quick]))
    env = env_info()
    env["quick"] = args.quick
    env["wall_s"] = round(time.perf_counter() - t0, 1)
    ratios = ratio_rows(rows)
    md = markdown(rows, ratios, env)
    results = {"env": env, "measurements": rows, "ratios": ratios}
    if not args.no_classification:
        import bench_classification

        results["classification_ratios"] = cls_ratios = bench_classification.ratio_rows(rows)
        md += "\n" + bench_classification.tables(rows, cls_ratios)
    for name, script, _ in FAMILY_BENCHES:
        if name in family_rows:
            module = __import__(script.removesuffix(".py"))
            fam = [r for r in family_rows[name] if r.get("bench", name) == name]
            results["measurements"] += fam
            results[f"{name}_ratios"] = fam_ratios = module.ratio_rows(fam)
            md += f"\n### {FAMILY_TITLES[name]}\n\n" + module.table(fam_ratios)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    (out / "results.md").write_text(md)
    print(md)
    print(f"wrote {out / 'results.json'} and {out / 'results.md'} ({env['wall_s']} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
