"""The porting guide's claims, run: every (entry, library) row of ``lossapi._conformance.porting``.

Each row's lossapi call must reproduce the library's call on the entry's inputs: compared live
when the library can be imported, otherwise with the value the research notes recorded (rows
with neither skip with the reason). Rows marked ``same=False`` document a convention lossapi
keeps on purpose (gradients at kinks): there the two results must differ. The page
``docs/generated/porting.md`` shows exactly these code strings and links each entry here.

Run one entry: ``pytest conformance/test_porting.py -k kl_divergence``.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_ENABLE_X64", "1")
os.environ.setdefault("KERAS_BACKEND", "jax")

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lossapi._conformance import porting  # noqa: E402

#: Every semantic difference the research notes name, by the entry that covers it.
#: Derived by hand from ../shared/research/anchors-features.md §5 and user-needs.md §2-§3; an
#: entry dropped from the table (or renamed) fails ``test_checklist_covered``.
CHECKLIST: dict[str, str] = {
    "anchors §5.0 #1 / §5.1 #1 argument order": "argument_order",
    "anchors §5.0 #2 / §5.1 #2 default reduction": "default_reduction",
    "anchors §5.0 #3 / §5.1 #3 keras two-stage reduction": "keras_last_axis",
    "anchors §5.1 #3 keras BinaryCrossentropy over the last axis": "keras_bce_axis",
    "anchors §5.0 #4 / §5.1 #4 torch weighted-mean denominators": "torch_weighted_mean",
    "anchors §5.0 #5 / §5.2 #5 Huber vs smooth-L1": "huber_vs_smooth_l1",
    "anchors §5.2 #6 optax l2_loss includes 1/2": "l2_loss_half",
    "anchors §5.2 #7 MAPE percent vs fraction": "mape_units",
    "anchors §5.2 #8 pinball = MAE/2": "pinball",
    "anchors §5.0 #8 / §5.2 #9 Poisson": "poisson",
    "anchors §5.2 #10 Gaussian NLL": "gaussian_nll",
    "anchors §5.2 #11 log-cosh": "log_cosh",
    "anchors §5.0 #6 / §5.3 #12 KL divergence": "kl_divergence",
    "anchors §5.3 #13 cross-entropy API split": "ce_api_split",
    "anchors §5.3 #14 logits vs probabilities": "logits_vs_probs",
    "anchors §5.3 #15 probability clipping": "probability_clipping",
    "anchors §5.3 #16 label smoothing (CE)": "label_smoothing",
    "anchors §5.0 #10 / §5.3 #16 binary label smoothing": "binary_label_smoothing",
    "anchors §5.0 #15 / §5.3 #17 ignore-index denominator": "ignore_index",
    "anchors §5.0 #9 / §5.3 #18 focal alpha": "focal_alpha",
    "anchors §5.3 #19 smp multiclass focal": "multiclass_focal",
    "anchors §5.0 #11 / §5.4 #20 multiclass hinge": "multiclass_hinge",
    "anchors §5.4 #21 binary hinge labels": "binary_hinge_labels",
    "anchors §5.0 #7 / §5.5 #22 cosine sign": "cosine_sign",
    "anchors §5.5 #23 triplet defaults": "triplet",
    "anchors §5.5 #24 NT-Xent variants": "ntxent_variants",
    "anchors §5.0 #14 / §5.5 #25 CTC": "ctc",
    "anchors §5.0 #12 / §5.6 #26 Tversky alpha/beta": "tversky_alpha",
    "anchors §5.0 #13 / §5.6 #27 Dice defaults": "dice_defaults",
    "anchors §5.6 #28 Lovasz": "lovasz",
    "anchors §5.6 #29 GIoU / box losses / beta=1/9": "box_losses",
    "anchors §5.7 #30 sklearn metrics": "sklearn_metrics",
    "anchors §5.0 runner-up: clipping of probabilities": "probability_clipping",
    "anchors §5.0 runner-up: MAPE units": "mape_units",
    "anchors §5.0 runner-up: optax l2_loss": "l2_loss_half",
    "anchors §5.0 runner-up: ContrastiveLoss name": "ntxent_variants",
    "anchors §5.0 runner-up: PML triplet margin": "triplet",
    "needs §2.1 weighted CE mean": "torch_weighted_mean",
    "needs §2.1 reduction naming / keras none": "keras_last_axis",
    "needs §2.1 per-element vs last-axis mean": "keras_last_axis",
    "needs §2.1 label smoothing (CE), eps/(K-1) variants": "label_smoothing",
    "needs §2.1 label smoothing (BCE)": "binary_label_smoothing",
    "needs §2.1 KL divergence": "kl_divergence",
    "needs §2.1 cosine loss": "cosine_sign",
    "needs §2.1 Huber / smooth-L1": "huber_vs_smooth_l1",
    "needs §2.1 hinge labels": "binary_hinge_labels",
    "needs §2.1 focal alpha": "focal_alpha",
    "needs §2.1 CTC mean": "ctc",
    "needs §2.1 Poisson NLL": "poisson",
    "needs §2.1 Gaussian NLL eps clamp": "gaussian_nll",
    "needs §2.1 BCE / CCE on probabilities": "probability_clipping",
    "needs §2.1 multilabel soft margin": "keras_bce_axis",
    "needs §2.1 one_hot out of range": "out_of_range_labels",
    "needs §2.3 BCEWithLogits pos_weight shape": "keras_bce_axis",
    "needs §2.2 weight + ignore_index + label smoothing": "weight_ignore_smoothing",
    "needs §2.2 ignore label mismatch (-1 vs -100)": "ignore_index",
    "needs §2.3 (N, 1) vs (N,) broadcasting": "shape_broadcast",
    "needs §2.3 BCE over no axes": "keras_bce_axis",
    "needs §2.4 logits vs probabilities, lovasz": "lovasz",
    "needs §3 |x| at 0": "grad_abs_zero",
    "needs §3 max/min ties, clamp boundaries": "grad_max_tie",
    "needs §3 log_sigmoid at 0, Huber kink": "grad_smooth_points",
    "needs §3 sqrt / norm at 0": "grad_norm_zero",
    "issue 8: kink conventions, max ties over classes": "grad_class_max_tie",
    "issue 8: kink conventions, clamps at bounds": "grad_bce_saturated",
}

_ROWS = [(e, r) for e in porting.ENTRIES for r in e.rows]


def _id(e: porting.Entry, r: porting.Row) -> str:
    return f"{e.key}-{porting.row_id(r)}"


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float = 0.0) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=False))


@pytest.mark.parametrize(("entry", "row"), _ROWS, ids=[_id(e, r) for e, r in _ROWS])
def test_porting(entry: porting.Entry, row: porting.Row) -> None:
    """The row's lossapi call reproduces the library (or differs where lossapi chose to)."""
    for lib in row.lossapi_needs:
        ok, why = porting.library_status(lib)
        if not ok:
            pytest.skip(f"the lossapi call differentiates with {lib}: {why}")
    available, why = porting.library_status(row.library)
    if available:
        got = porting.evaluate_lossapi(entry, row)
        with warnings.catch_warnings():
            # torch's kl_div(reduction='mean') warns by design: that value is what the row shows.
            warnings.simplefilter("ignore", UserWarning)
            want = porting.evaluate_library(entry, row)
        if row.same:
            assert _close(got, want, row.tolerance), (
                f"{entry.key} / {porting.row_id(row)}: lossapi {row.lossapi!r} gave {got}, "
                f"{row.library} {row.call!r} gave {want}"
            )
        else:
            assert not _close(got, want, row.tolerance), (
                f"{entry.key} / {porting.row_id(row)}: the guide says lossapi differs from {row.library} "
                f"here, but both gave {got}"
            )
        return
    if row.recorded is None:
        pytest.skip(f"{why}, and the research notes record no value for these inputs")
    got = porting.evaluate_lossapi(entry, row, row.check or None)
    want = np.asarray(row.recorded, dtype=np.float64)
    assert _close(got, want, 0.0, row.atol), (
        f"{entry.key} / {porting.row_id(row)}: lossapi {row.check or row.lossapi!r} gave {got}, "
        f"the research notes record {want} for {row.library}"
    )


def test_checklist_covered() -> None:
    """Every difference named in the research notes has its entry in the porting table."""
    keys = {e.key for e in porting.ENTRIES}
    missing = {item: key for item, key in CHECKLIST.items() if key not in keys}
    assert not missing, f"porting entries missing for research-note items: {missing}"
    unlisted = keys - set(CHECKLIST.values())
    assert not unlisted, f"entries not traced to a research-note item (add them to CHECKLIST): {sorted(unlisted)}"


def test_every_entry_can_run() -> None:
    """Each entry has a row checked on the project's dev dependencies or against a recorded value.

    (Rows of libraries that cannot be installed here skip unless the notes record a value; an
    entry made only of such rows would be backed by nothing.)
    """
    runnable_libs = {"torch", "optax", "jax", "keras", "sklearn", "reference"}
    for e in porting.ENTRIES:
        assert any(r.library in runnable_libs or r.recorded is not None for r in e.rows), e.key


def test_entries_are_documented() -> None:
    """Every entry explains itself and cites its research-note items; code has no table-breaking '|'."""
    for e in porting.ENTRIES:
        assert e.title and len(e.explanation) > 80 and e.sources, e.key
        assert "|" not in e.title, (e.key, "the title goes into the contents table")
        for r in e.rows:
            for code in (r.call, r.lossapi, r.check, r.note, r.variant):
                assert "|" not in code and "`" not in code, (e.key, code)
            if r.check:
                assert r.recorded is not None, (e.key, "a check expression needs a recorded value")


def test_setup_defines_numpy_inputs() -> None:
    """Setups build float64/int64 NumPy inputs only (the library calls convert them)."""
    for e in porting.ENTRIES:
        ns = porting.run_setup(e)
        for name, value in ns.items():
            if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
                assert value.dtype in (np.float64, np.int64, np.bool_), (e.key, name, value.dtype)
