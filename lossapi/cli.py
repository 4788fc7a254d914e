"""Command line: ``lossapi list``, ``lossapi check``, ``lossapi recommend`` and ``lossapi plot``.

``lossapi check`` runs the conformance matrix (values against float64 oracles, gradients,
native fast paths, ...) for the installed backends and exits non-zero on any disagreement.
With no ``--backends`` it checks NumPy and array-api-strict (the embedded default, always
available with ``pip install "lossapi[strict]"``) plus every other installed backend.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import re
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["main"]

#: Names ``--backends`` accepts besides the backends' own: the package extras' names.
BACKEND_ALIASES = {"strict": "array_api_strict", "array-api-strict": "array_api_strict", "np": "numpy"}
#: The extra that installs each backend (``pip install "lossapi[EXTRA]"``).
EXTRAS = {"torch": "torch", "jax": "jax", "dask": "dask", "array_api_strict": "strict", "cupy": "cupy"}
#: Counterpart libraries and how to install them next to lossapi.
INSTALL = {
    "torch": 'pip install "lossapi[torch]"',
    "torchvision": "pip install torchvision",
    "optax": "pip install optax",
    "keras": "pip install keras",
    "sklearn": "pip install scikit-learn",
    "MONAI": "pip install --no-deps monai",
    "smp": "pip install --no-deps segmentation-models-pytorch",
    "PML": "pip install --no-deps pytorch-metric-learning",
}


def _error(command: str, message: str) -> int:
    """Print ``lossapi COMMAND: message`` once (without the library's own ``lossapi.fn:`` prefix)."""
    message = str(message)
    if len(message) > 1 and message[0] == message[-1] and message[0] in "'\"":  # str() of a KeyError
        message = message[1:-1]
    message = re.sub(r"^lossapi\.[\w.]+: ", "", message)
    print(f"lossapi {command}: {message}", file=sys.stderr)
    return 2


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _progress_bar(stream: TextIO) -> Any:
    """A dependency-free progress bar: ``update(done, total, label)``."""
    is_tty = stream.isatty()
    start = time.perf_counter()
    last = [0.0]

    def update(done: int, total: int, label: str = "") -> None:
        now = time.perf_counter()
        if not is_tty and done < total and now - last[0] < 2.0:
            return
        last[0] = now
        width = 30
        frac = done / total if total else 1.0
        bar = "#" * int(width * frac) + "-" * (width - int(width * frac))
        elapsed = now - start
        # The cells run loss by loss over every backend, so the mean time per cell settles after
        # the first few losses (which also pay the imports and first compilations).
        if done >= total:
            eta = "done"
        elif done >= max(2, total // 20):
            eta = f"~{_duration(elapsed / done * (total - done))} left"
        else:
            eta = "estimating"
        msg = f"[{bar}] {done}/{total} {elapsed:5.1f}s {eta:<14} {label[:40]:<40}"
        if is_tty:
            stream.write("\r" + msg)
            if done >= total:
                stream.write("\n")
        else:
            stream.write(msg + "\n")
        stream.flush()

    return update


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


def _fmt_err(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1e}"


def cmd_list(args: argparse.Namespace) -> int:
    from ._catalog import catalog

    recs = catalog(family=args.family)
    if args.json:
        json.dump([r.as_dict() for r in recs], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if args.family is not None and not recs:
        from ._catalog import FAMILIES

        return _error(
            "list", f"no family {args.family!r}{_suggest(args.family, FAMILIES)}; families: {', '.join(FAMILIES)}"
        )
    name_w = max((len(r.name) for r in recs), default=4)
    fam_w = max((len(r.family) for r in recs), default=6)
    in_w = max((len(", ".join(r.inputs)) for r in recs), default=6)
    print(f"{'name':<{name_w}}  {'family':<{fam_w}}  {'inputs':<{in_w}}  properties  counterparts")
    for r in recs:
        props = "".join(
            c if flag else "."
            for c, flag in (("C", r.convex), ("S", r.smooth), ("R", r.robust), ("B", r.bounded), ("P", r.probabilistic))
        )
        cps = ", ".join(sorted(r.counterparts)) or "-"
        print(f"{r.name:<{name_w}}  {r.family:<{fam_w}}  {', '.join(r.inputs):<{in_w}}  {props:<10}  {cps}")
    print(f"\n{len(recs)} losses. Properties: C convex, S smooth, R robust to outliers, B bounded, P probabilistic.")
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from ._errors import InvalidOptionError
    from .recommend import recommend

    try:
        recs = recommend(
            args.task,
            imbalanced=args.imbalanced,
            outliers=args.outliers,
            noisy_labels=args.noisy_labels,
            probabilistic=args.probabilistic,
            top=args.top,
        )
    except InvalidOptionError as e:
        return _error("recommend", str(e))
    if args.json:
        json.dump([r.as_dict() for r in recs], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not recs:
        print(f"no loss in the catalog for task {args.task!r}")
        return 0
    for r in recs:
        print(f"{r} [score {r.score:g}]")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from ._catalog import catalog
    from ._conformance.backends import BACKENDS, available_backends
    from ._conformance.report import report_format, write_report
    from ._conformance.runner import compile_settings, default_jobs, run_matrix, summarize

    # Refuse a report name we cannot write before spending minutes on the matrix.
    for path in args.report or ():
        try:
            report_format(path)
        except ValueError as e:
            print(f"lossapi check: --report: {e}", file=sys.stderr)
            return 2
    if args.backends:
        wanted = [BACKEND_ALIASES.get(b.strip(), b.strip()) for b in args.backends.split(",") if b.strip()]
        unknown = [b for b in wanted if b not in BACKENDS]
        if unknown:
            known = [*BACKENDS, *BACKEND_ALIASES]
            hints = "; ".join(f"{b!r}{_suggest(b, known)}" for b in unknown)
            return _error("check", f"unknown backend {hints}; choose from {', '.join(BACKENDS)} (or 'strict')")
        backends = [b for b in wanted if BACKENDS[b].available()]
        for b in wanted:
            if b not in backends:
                print(f"lossapi check: skipping {b}: {_unavailable(BACKENDS[b])}", file=sys.stderr)
        if not backends:
            return _error("check", "none of the requested backends is available (see above)")
    else:
        backends = [b.name for b in available_backends()]
    if not backends:
        return _error(
            "check", 'no backend available; install NumPy and array-api-strict: pip install "lossapi[strict]"'
        )
    losses = None
    if args.losses:
        from ._catalog import lookup

        losses = [x.strip() for x in args.losses.split(",") if x.strip()]
        names = [n for r in catalog() for n in (r.name, *r.aliases)]
        bad = []
        for name in losses:
            try:
                lookup(name)
            except KeyError:
                bad.append(f"{name!r}{_suggest(name, names)}")
        if bad:
            return _error("check", f"no loss named {', '.join(bad)}; `lossapi list` prints the catalog")
    n_losses = len(losses) if losses is not None else len(catalog())
    jobs = args.jobs if args.jobs is not None else default_jobs(backends, n_losses)
    if jobs < 1:
        return _error("check", f"--jobs {jobs}: give a number of worker processes, 1 or more")
    if "jax" not in sys.modules:  # the workers set this for themselves
        os.environ.update(compile_settings())
    mode = "full" if args.full else "quick"
    print(
        f"lossapi check: backends {', '.join(backends)} ({mode}, {jobs} process{'es' if jobs > 1 else ''})",
        file=sys.stderr,
    )
    start = time.perf_counter()
    results = run_matrix(
        backends=backends,
        losses=losses,
        quick=not args.full,
        progress=None if args.no_progress else _progress_bar(sys.stderr),
        jobs=jobs,
    )
    elapsed = time.perf_counter() - start
    # Written before the verdict so that a failing run still leaves its report behind.
    report_error = False
    for path in args.report or ():
        try:
            written = write_report(results, path, backends=backends, quick=not args.full, elapsed=elapsed)
        except OSError as e:
            print(f"lossapi check: could not write the report {path!r}: {e}; choose a writable path", file=sys.stderr)
            report_error = True
            continue
        print(f"lossapi check: report written to {written.resolve()}", file=sys.stderr)
    rows = summarize(results)
    _print_matrix(rows, backends)
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"\n{len(failed)} check(s) FAILED:")
        for r in failed[:50]:
            print(f"  {r.loss} [{r.backend}] {r.check}: {r.detail}")
        return 1
    n_skip = sum(r.skipped for r in results)
    print(f"\nall {len(results) - n_skip} checks passed ({n_skip} skipped).")
    _print_skipped(results, backends)
    return 2 if report_error else 0


def _unavailable(backend: Any) -> str:
    why = backend.unavailable_reason() or "not available here"
    extra = EXTRAS.get(backend.name)
    return f'{why}; install it with: pip install "lossapi[{extra}]"' if extra and backend.name != "cupy" else why


def _print_skipped(results: Sequence[Any], backends: Sequence[str]) -> None:
    """What did not run, why, and the command that makes it run."""
    from ._conformance.backends import BACKENDS

    lines = []
    if not any(BACKENDS[b].differentiable for b in backends):
        lines.append(
            "gradients: not checked (grad:n/a): none of these backends differentiates; "
            'pip install "lossapi[torch,jax]" adds torch and JAX gradient and transform checks'
        )
    missing: dict[str, int] = {}
    for r in results:
        if r.skipped and r.check.startswith("counterpart:"):
            lib = r.check.split(":", 1)[1].split("[", 1)[0]
            if "not installed" in r.detail or "needs" in r.detail:
                missing[lib] = missing.get(lib, 0) + 1
    if missing:
        libs = sorted(missing)
        cmds = "; ".join(dict.fromkeys(INSTALL.get(lib, f"pip install {lib}") for lib in libs))
        lines.append(
            f"counterparts: {sum(missing.values())} checks skipped, libraries not installed: {', '.join(libs)} "
            f"(to run them: {cmds})"
        )
    if lines:
        print("\nskipped:")
        for line in lines:
            print(f"  {line}")


def _print_matrix(rows: Sequence[Any], backends: Sequence[str]) -> None:
    """Print loss x backend: worst relative value error and gradient agreement per cell."""
    cells: dict[tuple[str, str], Any] = {}
    losses: list[str] = []
    for row in rows:
        loss, backend = row.loss, row.backend
        if loss not in losses:
            losses.append(loss)
        cells[(loss, backend)] = row
    name_w = max((len(x) for x in losses), default=4)
    col_w = 22
    print()
    print(f"{'loss':<{name_w}}  " + "".join(f"{b:<{col_w}}" for b in backends))
    for loss in losses:
        line = f"{loss:<{name_w}}  "
        for b in backends:
            row = cells.get((loss, b))
            if row is None:
                cell = "-"
            else:
                status = "ok" if row.ok else "FAIL"
                cell = f"{status} {_fmt_err(row.worst_value_error)} grad:{row.gradients}"
            line += f"{cell:<{col_w}}"
        print(line)
    print(
        "\ncells: status, worst relative value error, gradient agreement "
        "(ok / FAIL / n/a where the backend has no autodiff)"
    )


def cmd_plot(args: argparse.Namespace) -> int:
    from ._catalog import catalog, lookup
    from ._errors import MissingDependencyError
    from .plotting import plot_loss

    try:
        rec = lookup(args.name)
    except KeyError:
        names = [n for r in catalog() for n in (r.name, *r.aliases)]
        return _error(
            "plot", f"no loss named {args.name!r}{_suggest(args.name, names)}; `lossapi list` prints the catalog"
        )
    out = args.out or f"{args.name}.png"
    try:
        plot_loss(rec.name, out=out)
    except MissingDependencyError as e:
        return _error("plot", str(e))
    print(out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="lossapi", description="Loss functions for every array library.")
    p.add_argument("--version", action="version", version=f"lossapi {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    from ._conformance.runner import MODES

    c = sub.add_parser(
        "check",
        help="run the conformance matrix for the installed backends",
        description=f"Quick mode (default): {MODES['quick']}. Full mode (--full): {MODES['full']}. "
        "The report (--report) states the mode that produced it.",
    )
    c.add_argument(
        "--backends",
        help="comma-separated backends: numpy, array_api_strict (or strict), torch, jax, dask, cupy "
        "(default: every installed one)",
    )
    c.add_argument("--losses", help="comma-separated loss names (default: the whole catalog)")
    c.add_argument("--full", action="store_true", help="the full matrix instead of the quick smoke test")
    c.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes, each checking whole losses (default: one per CPU core, at most 4, when "
        "torch, JAX, Dask or CuPy is checked; 1 for NumPy and array-api-strict alone)",
    )
    c.add_argument("--no-progress", action="store_true", help="no progress bar")
    c.add_argument(
        "--report",
        action="append",
        metavar="FILE",
        help="also write the matrix, every check and the library versions to FILE: .html (one "
        "self-contained page) or .md (GitHub Markdown); repeat for several files",
    )
    c.set_defaults(func=cmd_check)
    lst = sub.add_parser("list", help="print the catalog")
    lst.add_argument("--family", help="only this family")
    lst.add_argument("--json", action="store_true", help="JSON records")
    lst.set_defaults(func=cmd_list)
    rec = sub.add_parser("recommend", help="ranked losses for a task, with the reason for each")
    rec.add_argument("task", help='task, e.g. "regression", "classification", "segmentation", "detection"')
    rec.add_argument("--imbalanced", action="store_true", help="some classes are much rarer than others")
    rec.add_argument("--outliers", action="store_true", help="the targets contain outliers")
    rec.add_argument("--noisy-labels", action="store_true", help="some labels are wrong")
    rec.add_argument("--probabilistic", action="store_true", help="prefer likelihood-based losses")
    rec.add_argument("--top", type=int, help="print only the TOP best")
    rec.add_argument("--json", action="store_true", help="JSON records")
    rec.set_defaults(func=cmd_recommend)
    plot = sub.add_parser("plot", help="draw a loss and its gradient (PNG; needs matplotlib)")
    plot.add_argument("name", help="catalog name of the loss, e.g. huber")
    plot.add_argument("--out", help="output file (default: NAME.png in the current directory)")
    plot.set_defaults(func=cmd_plot)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lossapi`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `lossapi list | head`: the reader left; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # Ctrl-C: the worker processes are stopped; no traceback
        print(f"\nlossapi {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
