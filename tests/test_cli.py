"""The ``lossapi`` command: ``list`` and ``recommend`` (``check`` runs in CI via nox)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lossapi as la
from lossapi.cli import main


def test_list(capsys):
    assert main(["list", "--family", "regression"]) == 0
    out = capsys.readouterr().out
    assert "mean_squared_error" in out and "losses." in out
    assert main(["list", "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in recs] == [r.name for r in la.catalog()]


def test_recommend_text(capsys):
    assert main(["recommend", "regression", "--outliers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("1. huber(delta=1.0) — ") and "outliers" in lines[0]
    assert lines[1].startswith("2. mean_absolute_error — ")
    assert len(lines) == len(la.recommend("regression", outliers=True))


@pytest.mark.parametrize(
    ("argv", "kwargs"),
    [
        (["classification", "--imbalanced"], {"imbalanced": True}),
        (["classification", "--noisy-labels"], {"noisy_labels": True}),
        (["binary", "--probabilistic", "--imbalanced"], {"probabilistic": True, "imbalanced": True}),
        (["segmentation", "--top", "3"], {"top": 3}),
    ],
)
def test_recommend_json_matches_api(capsys, argv, kwargs):
    assert main(["recommend", *argv, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = [r.as_dict() for r in la.recommend(argv[0], **kwargs)]
    assert got == json.loads(json.dumps(want))
    assert got[0]["rank"] == 1 and got[0]["reason"] and got[0]["record"]["family"]


def test_recommend_unknown_task(capsys):
    assert main(["recommend", "astrology"]) == 2
    err = capsys.readouterr().err
    assert "unknown task 'astrology'" in err and "segmentation" in err
    assert main(["recommend", "regression", "--top", "0"]) == 2


def test_recommend_subprocess():
    out = subprocess.run(
        [sys.executable, "-m", "lossapi.cli", "recommend", "detection", "--top", "2"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines()[0].startswith("1. giou — ")
    assert len(out.splitlines()) == 2


# -- errors, aliases, version, layout ----------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"lossapi {la.__version__}"


def test_check_unknown_loss_is_a_clean_error_with_suggestions(capsys):
    assert main(["check", "--losses", "huber,crossentropy", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "KeyError" not in err
    assert "no loss named 'crossentropy'" in err and "did you mean cross_entropy" in err


def test_check_backend_alias_of_the_extra_and_unknown_backend(capsys):
    assert main(["check", "--backends", "strict", "--losses", "huber", "--no-progress"]) == 0
    assert "backends array_api_strict" in capsys.readouterr().err
    assert main(["check", "--backends", "torh", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "unknown backend 'torh'" in err and "did you mean torch" in err


def test_check_missing_backend_names_its_extra(capsys, monkeypatch):
    from lossapi._conformance import backends

    monkeypatch.setattr(backends.Backend, "available", lambda self: self.name in ("numpy", "array_api_strict"))
    monkeypatch.setattr(backends.Backend, "unavailable_reason", lambda self: f"{self.module} is not installed")
    assert main(["check", "--backends", "torch", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "lossapi[torch]"' in err
    assert "install numpy and array-api-strict" not in err.lower()


def test_check_says_what_it_skipped_and_how_to_run_it(capsys):
    assert main(["check", "--backends", "numpy", "--losses", "huber", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "skipped:" in out
    assert 'pip install "lossapi[torch,jax]"' in out  # grad:n/a on NumPy alone


def test_errors_do_not_repeat_their_prefix(capsys):
    assert main(["recommend", "no such task"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lossapi recommend: unknown task")
    assert "lossapi.recommend:" not in err
    assert main(["list", "--family", "regresion"]) == 2
    assert "did you mean regression" in capsys.readouterr().err


def test_list_columns_align_for_losses_with_several_inputs(capsys):
    assert main(["list"]) == 0
    names = {r.name for r in la.catalog()}
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.split() and ln.split()[0] in names]
    assert len(rows) == len(names)
    # The properties column starts at the same offset on every row (ctc has four inputs).
    assert len({ln.index("  " + _props(ln.split()[0]) + " ") for ln in rows}) == 1


def _props(name: str) -> str:
    r = la.lookup_loss(name)
    flags = (("C", r.convex), ("S", r.smooth), ("R", r.robust), ("B", r.bounded), ("P", r.probabilistic))
    return "".join(c if f else "." for c, f in flags)


def test_check_jobs(capsys):
    assert main(["check", "--backends", "numpy", "--losses", "huber", "--jobs", "0", "--no-progress"]) == 2
    assert "--jobs 0" in capsys.readouterr().err
    assert main(["check", "--backends", "numpy", "--losses", "huber,mse", "--jobs", "2", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "(quick, 2 processes)" in captured.err and "checks passed" in captured.out


def test_check_interrupted_is_a_message_not_a_traceback(capsys, monkeypatch):
    from lossapi._conformance import runner

    def interrupted(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_matrix", interrupted)
    assert main(["check", "--backends", "numpy", "--losses", "huber", "--no-progress"]) == 130
    assert "lossapi check: interrupted" in capsys.readouterr().err
