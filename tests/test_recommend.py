"""Catalog metadata completeness and la.recommend (the loss-selection guides it encodes)."""

from __future__ import annotations

import importlib
import itertools

import pytest

import lossapi as la
from lossapi._catalog import FAMILIES
from lossapi.recommend import CATALOG_TASKS, FAMILY_TASKS, TASKS, Recommendation, canonical_task

rec_mod = importlib.import_module("lossapi.recommend")  # `lossapi.recommend` is the function
RECORDS = {r.name: r for r in la.catalog()}
LIBRARIES = {"torch", "optax", "keras", "sklearn", "torchvision", "MONAI", "smp", "PML"}
FLAGS = ("convex", "smooth", "robust", "bounded", "probabilistic")
# Written concurrently in other modules: the guide may name them before they exist.
OPTIONAL = {"ctc", "policy_gradient", "value_function", "ppo_clip", "gan_discriminator", "gan_generator"}


# -- catalog metadata ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(RECORDS))
def test_record_metadata_is_complete(name):
    r = RECORDS[name]
    assert r.family in FAMILIES
    for flag in FLAGS:
        assert type(getattr(r, flag)) is bool, f"{name}.{flag} is not a bool"
    assert set(r.counterparts) <= LIBRARIES, f"{name}: unknown counterpart libraries {set(r.counterparts) - LIBRARIES}"
    assert all(isinstance(v, str) and v.strip() for v in r.counterparts.values())
    # the task string belongs to the documented vocabulary (directly or through its family)
    assert r.task in CATALOG_TASKS or r.family in FAMILY_TASKS, f"{name}: task {r.task!r} is not in CATALOG_TASKS"
    assert canonical_task(r) in TASKS
    assert set(r.input_spaces) == set(r.inputs) and all(r.input_spaces.values())
    assert r.summary.strip() and r.formula.strip()
    # every loss is reachable from its task
    assert name in [x.name for x in la.recommend(canonical_task(r))]


def test_vocabulary_is_consistent():
    assert set(CATALOG_TASKS.values()) <= set(TASKS)
    assert set(FAMILY_TASKS.values()) <= set(TASKS)
    assert set(FAMILY_TASKS) <= set(FAMILIES)
    assert set(rec_mod._BASE) == set(TASKS)  # every task has a guide
    for _, table in rec_mod._CONDITIONS:
        assert set(table) <= set(TASKS)


def _guide_entries():
    yield from ((t, e) for t, es in rec_mod._BASE.items() for e in es)
    for _, table in rec_mod._CONDITIONS:
        yield from ((t, e) for t, es in table.items() for e in es)


def test_guide_names_exist_and_options_are_real():
    for _task, (name, score, reason, options) in _guide_entries():
        assert reason.strip() and isinstance(score, float)
        if name in OPTIONAL and name not in RECORDS:
            continue
        assert name in RECORDS, f"the guide names {name!r}, which is not in the catalog"
        assert set(options) <= set(RECORDS[name].options), (name, options)


def test_outlier_guide_agrees_with_robust_flags():
    for name, score, _, _ in rec_mod._OUTLIERS["regression"]:
        assert RECORDS[name].robust is (score > 0), name
    assert RECORDS["generalized_cross_entropy"].robust


# -- recommend ----------------------------------------------------------------------------------
def _names(*args, **kwargs):
    return [r.name for r in la.recommend(*args, **kwargs)]


def test_result_structure():
    recs = la.recommend("regression")
    assert recs and all(isinstance(r, Recommendation) for r in recs)
    assert [r.rank for r in recs] == list(range(1, len(recs) + 1))
    assert all(a.score >= b.score for a, b in itertools.pairwise(recs))
    assert all(r.record is RECORDS[r.name] and r.reason for r in recs)
    assert len({r.name for r in recs}) == len(recs)
    d = recs[0].as_dict()
    assert d["rank"] == 1 and d["record"]["name"] == d["name"]
    assert str(recs[0]).startswith("1. mean_squared_error")


def test_selection_guide():
    # the classic selection rules: classification -> CE, imbalanced -> Focal, noisy -> label smoothing
    assert _names("classification")[0] == "cross_entropy"
    best = la.recommend("classification", imbalanced=True)[0]
    assert best.name == "softmax_focal" and "imbalance" in best.reason
    top2 = _names("classification", imbalanced=True)[:2]
    assert top2 == ["softmax_focal", "cross_entropy"]  # focal, then weighted CE
    assert "class_weight" in la.recommend("classification", imbalanced=True)[1].reason
    best = la.recommend("classification", noisy_labels=True)[0]
    assert best.name == "cross_entropy" and dict(best.options) == {"label_smoothing": 0.1}
    assert "generalized_cross_entropy" in _names("classification", noisy_labels=True)[:2]
    b = la.recommend("binary", imbalanced=True)[0]
    assert b.name == "sigmoid_focal" and dict(b.options) == {"alpha": 0.25, "gamma": 2.0}
    # regression -> MSE, outliers -> Huber(delta=1.0), MAE, quantile ...
    assert _names("regression")[0] == "mean_squared_error"
    out = la.recommend("regression", outliers=True)
    assert [r.name for r in out[:2]] == ["huber", "mean_absolute_error"]
    assert dict(out[0].options) == {"delta": 1.0}
    names = [r.name for r in out]
    assert names.index("quantile") < names.index("mean_squared_error")
    assert "tukey_biweight" in names[:6]
    assert {r.name for r in out[-2:]} == {"mean_squared_error", "root_mean_squared_error"}
    assert all("sensitive to outliers" in r.reason and r.score < 0 for r in out[-2:])
    # segmentation -> Dice, Lovász, Tversky; imbalance -> generalized Dice / focal Tversky
    assert _names("segmentation")[:2] == ["dice", "lovasz_softmax"]
    assert {"tversky", "jaccard"} <= set(_names("segmentation")[:5])
    assert {"generalized_dice", "focal_tversky"} <= set(_names("segmentation", imbalanced=True)[:3])
    # detection, metric learning, ranking, probabilistic and count regression
    assert _names("detection")[:2] == ["giou", "ciou"]
    # labelled batches first (the losses form their own pairs), then the pre-formed triplets
    assert _names("metric learning")[:4] == ["batch_triplet", "arcface", "supcon", "triplet_margin"]
    assert {"contrastive", "ntxent", "circle", "multi_similarity"} <= set(_names("metric learning"))
    assert _names("embedding") == _names("metric learning")
    assert _names("ranking")[:2] == ["listnet", "ranknet"]
    assert _names("uncertainty")[0] == "gaussian_nll"
    assert _names("count data")[:2] == ["poisson_nll", "tweedie_deviance"]
    assert _names("quantile regression")[0] == "quantile"
    assert _names("distribution matching")[0] == "kl_divergence"


def test_probabilistic_preference():
    recs = la.recommend("binary", probabilistic=True)
    assert all(r.record.probabilistic for r in recs[:2])
    assert "probabilistic" in recs[0].reason


def test_concurrent_families_only_when_registered():
    for task, names in (
        ("sequence", {"ctc"}),
        ("rl", {"ppo_clip", "policy_gradient", "value_function"}),
        ("gan", {"gan_discriminator", "gan_generator"}),
    ):
        got = set(_names(task))
        assert got == {n for n in names if n in RECORDS} | {
            r.name for r in RECORDS.values() if canonical_task(r) == rec_mod._normalize(task)
        }


def test_only_catalog_names(monkeypatch):
    full = la.catalog()
    monkeypatch.setattr(rec_mod, "catalog", lambda: tuple(r for r in full if r.name not in {"huber", "dice"}))
    assert "huber" not in _names("regression", outliers=True)
    assert _names("regression", outliers=True)[0] == "mean_absolute_error"
    assert _names("segmentation")[0] == "lovasz_softmax"


def test_task_spelling_and_top():
    assert _names("Multiclass_Classification") == _names("classification")
    assert _names("  multi-label ") == _names("multilabel classification")
    assert _names("object-detection") == _names("detection")
    assert len(la.recommend("regression", top=2)) == 2
    assert la.recommend("ranking", top=100) == la.recommend("ranking")


def test_errors():
    with pytest.raises(
        la.InvalidOptionError, match=r"lossapi\.recommend: unknown task 'astrology'.*regression.*segmentation"
    ):
        la.recommend("astrology")
    with pytest.raises(ValueError, match="task"):
        la.recommend(3)
    with pytest.raises(la.InvalidOptionError, match="`outliers` must be True or False"):
        la.recommend("regression", outliers="yes")
    with pytest.raises(la.InvalidOptionError, match="`top`"):
        la.recommend("regression", top=0)
    with pytest.raises(TypeError):
        la.recommend("regression", True)  # flags are keyword-only
