"""The porting guide's claims, run: every (entry, library) row of ``conformance/porting.py``.

Each row's lossapi call must reproduce the library's call on the entry's inputs: compared live
when the library can be imported, otherwise with the library's recorded value (rows
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
import porting  # noqa: E402  (conformance/porting.py: pytest puts this folder on sys.path)
import pytest  # noqa: E402

#: Every known semantic difference between the libraries ("libraries: ...") and every porting
#: pitfall users report ("users: ...", "gradients: ..."), by the entry that covers it; an entry
#: dropped from the table (or renamed) fails ``test_checklist_covered``.
CHECKLIST: dict[str, str] = {
    "libraries: MONAI and smp segmentation conventions": "monai_smp_conventions",
    "libraries: argument order": "argument_order",
    "libraries: default reduction": "default_reduction",
    "libraries: keras two-stage reduction": "keras_last_axis",
    "libraries: keras BinaryCrossentropy over the last axis": "keras_bce_axis",
    "libraries: torch weighted-mean denominators": "torch_weighted_mean",
    "libraries: Huber vs smooth-L1": "huber_vs_smooth_l1",
    "libraries: optax l2_loss includes 1/2": "l2_loss_half",
    "libraries: MAPE percent vs fraction": "mape_units",
    "libraries: pinball = MAE/2": "pinball",
    "libraries: Poisson": "poisson",
    "libraries: Gaussian NLL": "gaussian_nll",
    "libraries: log-cosh": "log_cosh",
    "libraries: KL divergence": "kl_divergence",
    "libraries: cross-entropy API split": "ce_api_split",
    "libraries: logits vs probabilities": "logits_vs_probs",
    "libraries: probability clipping": "probability_clipping",
    "libraries: label smoothing (CE)": "label_smoothing",
    "libraries: binary label smoothing": "binary_label_smoothing",
    "libraries: ignore-index denominator": "ignore_index",
    "libraries: focal alpha": "focal_alpha",
    "libraries: smp multiclass focal": "multiclass_focal",
    "libraries: multiclass hinge": "multiclass_hinge",
    "libraries: binary hinge labels": "binary_hinge_labels",
    "libraries: cosine sign": "cosine_sign",
    "libraries: triplet defaults": "triplet",
    "libraries: NT-Xent variants": "ntxent_variants",
    "libraries: CTC": "ctc",
    "libraries: Tversky alpha/beta": "tversky_alpha",
    "libraries: Dice defaults": "dice_defaults",
    "libraries: Lovasz": "lovasz",
    "libraries: GIoU / box losses / beta=1/9": "box_losses",
    "libraries: sklearn metrics": "sklearn_metrics",
    "libraries: clipping of probabilities": "probability_clipping",
    "libraries: MAPE units": "mape_units",
    "libraries: optax l2_loss": "l2_loss_half",
    "libraries: ContrastiveLoss name": "ntxent_variants",
    "libraries: PML triplet margin": "triplet",
    "libraries: PML labels, distance and reducers": "pml_conventions",
    "libraries: ArcFace margin in degrees": "pml_conventions",
    "users: weighted CE mean": "torch_weighted_mean",
    "users: reduction naming / keras none": "keras_last_axis",
    "users: per-element vs last-axis mean": "keras_last_axis",
    "users: label smoothing (CE), eps/(K-1) variants": "label_smoothing",
    "users: label smoothing (BCE)": "binary_label_smoothing",
    "users: KL divergence": "kl_divergence",
    "users: cosine loss": "cosine_sign",
    "users: Huber / smooth-L1": "huber_vs_smooth_l1",
    "users: hinge labels": "binary_hinge_labels",
    "users: focal alpha": "focal_alpha",
    "users: CTC mean": "ctc",
    "users: Poisson NLL": "poisson",
    "users: Gaussian NLL eps clamp": "gaussian_nll",
    "users: BCE / CCE on probabilities": "probability_clipping",
    "users: multilabel soft margin": "keras_bce_axis",
    "users: one_hot out of range": "out_of_range_labels",
    "users: BCEWithLogits pos_weight shape": "keras_bce_axis",
    "users: weight + ignore_index + label smoothing": "weight_ignore_smoothing",
    "users: ignore label mismatch (-1 vs -100)": "ignore_index",
    "users: (N, 1) vs (N,) broadcasting": "shape_broadcast",
    "users: BCE over no axes": "keras_bce_axis",
    "users: logits vs probabilities, lovasz": "lovasz",
    "users: |x| at 0": "grad_abs_zero",
    "users: max/min ties, clamp boundaries": "grad_max_tie",
    "users: log_sigmoid at 0, Huber kink": "grad_smooth_points",
    "users: sqrt / norm at 0": "grad_norm_zero",
    "gradients: kink conventions, max ties over classes": "grad_class_max_tie",
    "gradients: kink conventions, clamps at bounds": "grad_bce_saturated",
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
        pytest.skip(f"{why}, and no value of it is recorded for these inputs")
    got = porting.evaluate_lossapi(entry, row, row.check or None)
    want = np.asarray(row.recorded, dtype=np.float64)
    # A library that computes in float32 is recorded to its own precision (the row's rtol).
    assert _close(got, want, row.rtol or 0.0, row.atol), (
        f"{entry.key} / {porting.row_id(row)}: lossapi {row.check or row.lossapi!r} gave {got}, "
        f"{row.library} is recorded to give {want}"
    )


def test_checklist_covered() -> None:
    """Every known difference between the libraries has its entry in the porting table."""
    keys = {e.key for e in porting.ENTRIES}
    missing = {item: key for item, key in CHECKLIST.items() if key not in keys}
    assert not missing, f"porting entries missing for checklist items: {missing}"
    unlisted = keys - set(CHECKLIST.values())
    assert not unlisted, f"entries not traced to a checklist item (add them to CHECKLIST): {sorted(unlisted)}"


def test_every_entry_can_run() -> None:
    """Each entry has a row checked on the project's dev dependencies or against a recorded value.

    (Rows of libraries that cannot be installed here skip unless a value is recorded; an
    entry made only of such rows would be backed by nothing.)
    """
    runnable_libs = {"torch", "optax", "jax", "keras", "sklearn", "reference"}
    for e in porting.ENTRIES:
        assert any(r.library in runnable_libs or r.recorded is not None for r in e.rows), e.key


def test_entries_are_documented() -> None:
    """Every entry explains itself and names the differences it covers; code has no table-breaking '|'."""
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
