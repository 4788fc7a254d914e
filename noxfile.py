"""nox sessions: one per backend, an all-backends session, lint, benchmarks.

    nox -s all            # every backend in one environment (what CI runs)
    nox -s "tests(torch)" # one backend
    nox -s lint
    nox -s typecheck      # mypy on the package
    nox -s docs           # the documentation site (fails on any warning)
    nox -s fuzz           # property-based fuzzing, long hypothesis profile (not in CI)

Every install goes through pip with the constraints in ``.ci/constraints.txt`` (passed as
PIP_CONSTRAINT), which pins torch to the CPU build available on the project's machines; uv
does not read pip's configuration, so this file sticks to nox's virtualenv + pip backend.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "virtualenv"
nox.options.sessions = ["lint", "typecheck", "all", "minimum", "docs"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
CONSTRAINTS = str(ROOT / ".ci" / "constraints.txt")
#: The oldest version of every declared dependency (``nox -s minimum``).
MINIMUM = str(ROOT / ".ci" / "minimum-versions.txt")
#: Where the conformance report the docs publish is written.
REPORT_DIR = ROOT / "docs" / "_report"
PYPROJECT = nox.project.load_toml("pyproject.toml")

# backend -> (extras, extra environment)
BACKENDS: dict[str, tuple[list[str], dict[str, str]]] = {
    "numpy": ([], {}),
    "strict": (["strict"], {}),
    "torch": (["torch"], {}),
    "jax": (["jax"], {"JAX_ENABLE_X64": "1"}),
    "dask": (["dask", "distributed"], {}),
    "cupy": (["cupy"], {}),
}
TEST_NAME = {"strict": "array_api_strict"}


def _jax_test_env(session: nox.Session, *, oldest: bool = False) -> dict[str, str]:
    """JAX settings that make the test suite's many small compilations cheaper.

    The suite compiles thousands of tiny programs (every eager operation is compiled per shape
    and dtype; that is most of its time): a compilation cache shared by the pytest workers (and
    kept between runs of the session) lets one worker reuse what the other compiled; the CPU
    backend's code generation runs at optimisation level 0 and with XLA's older loop emitters
    instead of its fusion emitters, which compile a small program in about half the time (26 %
    less CPU time for the JAX checks of the conformance suite on 2 cores). XLA's graph passes
    (fusion, algebraic simplification) still run, so traced semantics are those users get; only
    how machine code is generated changes. ``oldest``: the floor of ``jax`` (the minimum
    session), whose XLA does not know the emitter flag (an unknown flag aborts).
    """
    flags = "--xla_backend_optimization_level=0" + ("" if oldest else " --xla_cpu_use_fusion_emitters=false")
    return {
        "JAX_COMPILATION_CACHE_DIR": str(Path(session.create_tmp()) / "jax-cache"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1",
        "XLA_FLAGS": flags,
    }


#: Torch-based peers of the conformance suite. Installed without their dependencies: pip would
#: otherwise resolve another torch (and the CUDA stack); their loss modules need torch, NumPy,
#: SciPy (from scikit-learn) and tqdm (pytorch-metric-learning's utilities), listed here; smp's
#: package ``__init__`` needs timm: the suite imports ``smp.losses`` without it.
TORCH_PEERS = ["monai>=1.4", "segmentation-models-pytorch>=0.4", "pytorch-metric-learning>=2.5", "tqdm>=4"]


def _install(session: nox.Session, extras: list[str], *groups: str) -> None:
    env = {"PIP_CONSTRAINT": CONSTRAINTS}
    for g in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, g), env=env)
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec, env=env)
    if "counterparts" in groups and ("torch" in extras or "all" in extras):
        session.install("--no-deps", *TORCH_PEERS, env=env)


@nox.session
@nox.parametrize("backend", [nox.param(b, id=b, tags=[b]) for b in BACKENDS])
def tests(session: nox.Session, backend: str) -> None:
    """Unit tests and the conformance suite on one backend (numpy is always present)."""
    if backend == "cupy" and shutil.which("nvidia-smi") is None:
        session.skip("CuPy needs a CUDA GPU and none is present on this machine")
    extras, env = BACKENDS[backend]
    groups = ["test"] + (["counterparts"] if backend in ("torch", "jax") else [])
    _install(session, [*extras, "plot"], *groups)
    name = TEST_NAME.get(backend, backend)
    backends = "numpy" if name == "numpy" else f"numpy,{name}"
    session.run(
        "pytest",
        "-n",
        "2",
        "--dist",
        "worksteal",
        *session.posargs,
        env={
            "LOSSAPI_TEST_BACKENDS": backends,
            "KERAS_BACKEND": "jax",
            "JAX_ENABLE_X64": "1",
            **_jax_test_env(session),
            **env,
        },
    )


@nox.session(name="all")
def all_backends(session: nox.Session) -> None:
    """Every CPU backend and every counterpart library in one environment: the CI job.

    The conformance suite's results also go to ``docs/_report/report.{md,html}``, the report
    the documentation publishes (run ``docs`` after this session).
    """
    _install(session, ["all", "plot"], "test", "counterparts")
    session.run(
        "pytest",
        "-n",
        "2",
        "--dist",
        "worksteal",
        *session.posargs,
        env={
            **_jax_test_env(session),
            "JAX_ENABLE_X64": "1",
            "KERAS_BACKEND": "jax",
            "PYTHONHASHSEED": "0",
            "LOSSAPI_REPORT_DIR": str(REPORT_DIR),
        },
    )


#: Unit tests of the minimum-versions session: dispatch, dtypes and one file per large family, on
#: every backend installed there (NumPy, array-api-strict, Dask and JAX at their floors). torch is
#: left out: the package registries carry no CPU-only wheel of its floor (only the CUDA build,
#: with several GB of CUDA libraries).
MINIMUM_TESTS = [
    "tests/test_dispatch.py",
    "tests/test_legacy_promotion.py",
    "tests/test_regression.py",
    "tests/test_classification.py",
    "tests/test_segmentation.py",
    "tests/test_metric.py",
]


@nox.session
def minimum(session: nox.Session) -> None:
    """The oldest version of every dependency the package declares (``.ci/minimum-versions.txt``):
    ``lossapi check`` and the conformance suite of every loss on NumPy and array-api-strict, and
    unit tests on NumPy, array-api-strict, Dask and JAX at their floors."""
    env = {"PIP_CONSTRAINT": f"{CONSTRAINTS} {MINIMUM}"}
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"), env=env)
    session.install("-e", ".[jax,dask,distributed,strict,plot]", env=env)
    session.run(
        "python",
        "-c",
        "import numpy, jax, dask, array_api_strict as s, array_api_compat as c; print('numpy', numpy.__version__, "
        "'jax', jax.__version__, 'dask', dask.__version__, 'array-api-strict', s.__version__, "
        "'array-api-compat', c.__version__)",
    )
    run_env = {"JAX_ENABLE_X64": "1", **_jax_test_env(session, oldest=True)}
    session.run("lossapi", "check", "--no-progress", "--backends", "numpy,array_api_strict", env=run_env)
    xdist = ("-n", "2", "--dist", "worksteal", "-p", "no:cacheprovider")
    session.run("pytest", *xdist, "conformance", env={**run_env, "LOSSAPI_TEST_BACKENDS": "numpy,array_api_strict"})
    session.run("pytest", *xdist, *MINIMUM_TESTS, *session.posargs, env=run_env)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff's linter and formatter (check only) on the package, tests, conformance suite,
    benchmarks, examples and the docs extensions."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    paths = ("lossapi", "tests", "conformance", "benchmarks", "examples", "docs", "noxfile.py")
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on the package, in an environment without any array framework (they are optional)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "typecheck"))
    session.install("--no-deps", "-e", ".")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with ``-W`` (any warning fails).

    The site publishes the conformance report in ``docs/_report/``: the one ``nox -s all`` wrote
    (CI runs ``all`` first), or, when there is none, a quick ``lossapi check`` on NumPy and
    array-api-strict run here. The per-loss plots are computed by lossapi at build time, with
    gradients through torch autograd.
    """
    _install(session, ["torch", "strict", "plot"], "docs")
    env = {"JAX_ENABLE_X64": "1", "KERAS_BACKEND": "torch"}
    if not (REPORT_DIR / "report.md").exists():
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        session.run(
            "lossapi",
            "check",
            "--no-progress",
            "--backends",
            "numpy,array_api_strict",
            "--report",
            str(REPORT_DIR / "report.md"),
            "--report",
            str(REPORT_DIR / "report.html"),
            env=env,
        )
    out = ROOT / "docs" / "_build" / "html"
    session.run("sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", str(out), *session.posargs, env=env)
    session.log(f"documentation: {out / 'index.html'}")


@nox.session
def check(session: nox.Session) -> None:
    """The main job: ``lossapi check`` on the embedded default (NumPy + array-api-strict)."""
    _install(session, ["strict"])
    session.run("lossapi", "check", *session.posargs)


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """The long hypothesis profile of tests/test_fuzz.py (every property, loss and backend) and
    tests/test_differential.py (every backend and path on valid, extreme and invalid inputs)."""
    _install(session, ["all", "plot"], "test", "counterparts")
    session.run(
        "pytest",
        "tests/test_fuzz.py",
        "tests/test_differential.py",
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=long",
        *session.posargs,
        env={"JAX_ENABLE_X64": "1", "KERAS_BACKEND": "jax"},
    )


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks against torch.nn.functional, optax and NumPy (quick mode by default)."""
    _install(session, ["torch", "jax"], "bench")
    args = session.posargs or ["--quick"]
    session.run("python", "benchmarks/run.py", *args, env={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")})
