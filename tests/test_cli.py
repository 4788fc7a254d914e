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
