"""Conformance cases of the segmentation losses (``lossapi.losses.segmentation``).

The requested shape is ``(N, *spatial)``: the batch first, then the pixels (``(7,)`` is seven
one-pixel images). Class-axis losses draw ``C = 3`` classes, inserted at ``options["axis"]``
(``-1`` by default, ``1`` for channels-first); ``axis=None`` draws binary masks of the
requested shape. The "none" shape the checks use comes from the oracle: ``(N,)`` per sample,
``()`` pooled.

Case-only options (never passed to the loss):

- ``"_target"``: class-axis losses: ``"labels"`` (int64 class indices, default), ``"onehot"``,
  ``"bool"`` (one-hot booleans), ``"soft"`` (probabilities); binary masks: ``"float"`` (0/1,
  default), ``"int"``, ``"bool"``, ``"soft"``;
- ``"_labels"``: integer dtype of drawn labels (default int64);
- ``"_probs": "sigmoid"``: independent per-class probabilities instead of a softmax;
- ``"_hard": True``: one-hot (0/1) predictions, for the sklearn counterparts of the metric
  surrogates; every class then occurs in each sample's labels (when it has ``>= C`` pixels),
  so no class is absent from both prediction and target at a random point;
- ``"_ignore_pct"``: percentage of labels replaced by ``ignore_index`` (Lovász; an int, so
  that it is never mistaken for a traceable float option).

Random Lovász inputs keep every pair of errors (and hinge errors from 0) at least ``_GAP``
apart, so finite differences never cross a tie or a kink; ties, perfect predictions, empty
masks, absent classes and all-ignored images are edge points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import oracles_segmentation as os_
from .cases import Case, Edge, class_axis_of

__all__ = ["FAMILY_CASES", "SEGMENTATION_CASES"]

C = 3
#: Class weights (exact in every float dtype).
_CW = np.array([0.5, 2.0, 1.0])
_GAP = 1e-4
_TRIES = 200
_IGNORE = 255

Inputs = dict[str, np.ndarray]
Options = Mapping[str, Any]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _i(a: Any, dtype: Any = np.int64) -> np.ndarray:
    return np.asarray(a, dtype=dtype)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _to_axis(x: np.ndarray, options: Options) -> np.ndarray:
    """``x`` drawn with the class axis last, moved to ``options["axis"]``."""
    return np.moveaxis(x, -1, class_axis_of(options, x.ndim))


def _labels(rng: np.random.Generator, shape: tuple[int, ...], every_class: bool) -> np.ndarray:
    """int64 labels of ``shape``; with ``every_class``, each sample holds every class when it can."""
    y = rng.integers(0, C, size=shape)
    if every_class:
        flat = y.reshape(shape[0], -1)
        m = flat.shape[1]
        if m >= C:
            for b in range(shape[0]):
                flat[b, rng.choice(m, C, replace=False)] = np.arange(C)
        y = flat.reshape(shape)
    return y.astype(np.int64)


def _draw(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and a target per the case-only options (see the module docstring)."""
    hard = bool(options.get("_hard", False))
    kind = options.get("_target")
    if options.get("axis", -1) is None:
        p = (rng.random(shape) < 0.5).astype(np.float64) if hard else _sigmoid(rng.normal(0.0, 1.5, shape))
        y = rng.random(shape) < 0.4
        if kind == "int":
            return p, y.astype(np.int64)
        if kind == "bool":
            return p, y
        if kind == "soft":
            return p, rng.random(shape)
        return p, y.astype(np.float64)
    labels = _labels(rng, shape, every_class=hard)
    if hard:
        p = np.eye(C)[rng.integers(0, C, size=shape)]
    elif options.get("_probs") == "sigmoid":
        p = _sigmoid(rng.normal(0.0, 1.5, (*shape, C)))
    else:
        p = _softmax(rng.normal(0.0, 1.5, (*shape, C)))
    kind = kind or "labels"
    if kind == "labels":
        return _to_axis(p, options), labels.astype(options.get("_labels", "int64"))
    if kind == "soft":
        t = _softmax(rng.normal(0.0, 1.5, (*shape, C)))
    else:
        t = np.eye(C)[labels]
        if kind == "bool":
            t = t.astype(bool)
    return _to_axis(p, options), _to_axis(t, options)


def _make(first: str = "probs", second: str = "target") -> Any:
    def make(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
        p, t = _draw(rng, shape, options)
        return {first: p, second: t}

    return make


def _pt(p: Any, t: Any, second: str = "target") -> Inputs:
    t = np.asarray(t)
    return {"probs": _f(p), second: t if t.dtype.kind in "iub" else _f(t)}


# -- shared edge points ------------------------------------------------------------------------------

# One sample of four pixels, three classes (class 2 absent from labels and predictions).
_P_ABSENT = _f([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
_Y_ABSENT = _i([[0, 1, 1, 1]])
_P_SOFT = _f([[[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.05, 0.15, 0.8]],
              [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.25, 0.25, 0.5], [0.4, 0.4, 0.2]]])
_Y_SOFT = _i([[0, 1, 2, 2], [1, 0, 2, 0]])
_Y_BACKGROUND = _i([[0, 0, 0, 0], [0, 0, 0, 0]])
_NCHW_P = np.moveaxis(_f([[[[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], [[0.3, 0.3, 0.4], [0.05, 0.15, 0.8]]]]), -1, 1)
_NCHW_Y = _i([[[0, 1], [2, 2]]])
#: Lovász edges: within each class, no two of the values p and 1 - p coincide (no error ties).
_P_LOV = _f([[[0.125, 0.713, 0.162], [0.146, 0.327, 0.527], [0.092, 0.869, 0.039], [0.84, 0.066, 0.094]],
             [[0.684, 0.194, 0.122], [0.179, 0.534, 0.287], [0.196, 0.719, 0.085], [0.11, 0.103, 0.787]]])
_BIN_P = _f([[0.9, 0.2, 0.6, 0.1], [0.3, 0.8, 0.7, 0.4]])
_BIN_T = _f([[1, 0, 1, 0], [0, 0, 0, 0]])


def _overlap_edges(perfect_kink: bool = False) -> tuple[Edge, ...]:
    """Edges every overlap loss visits (plus their own); ``perfect_kink``: the loss has no
    derivative at a perfect prediction (focal Tversky with gamma < 1)."""
    return (
        Edge("soft, two samples", _pt(_P_SOFT, _Y_SOFT)),
        Edge("perfect one-hot prediction", _pt(_P_ABSENT, _i([[0, 1, 0, 1]])), kink=perfect_kink),
        # smooth = 0: class 2 is 0/0 (loss 0 by definition): a jump, hence a kink.
        Edge("class absent from both, smooth = 0", _pt(_P_ABSENT, _Y_ABSENT), {"smooth": 0.0}, kink=True),
        Edge("class absent from both, smooth = 1", _pt(_P_ABSENT, _Y_ABSENT)),
        Edge("all background labels", _pt(_P_SOFT, _Y_BACKGROUND)),
        Edge("channels-first (N, C, H, W)", _pt(_NCHW_P, _NCHW_Y), {"axis": 1}),
        Edge("uint8 labels, pooled", _pt(_P_SOFT, _i(_Y_SOFT, np.uint8)), {"per_sample": False}),
        Edge("binary masks, one empty", _pt(_BIN_P, _BIN_T), {"axis": None}),
        Edge("empty mask, nothing predicted, smooth = 0", _pt(np.zeros((1, 4)), np.zeros((1, 4))),
             {"axis": None, "smooth": 0.0}, kink=True),
        Edge("empty mask, nothing predicted", _pt(np.zeros((1, 4)), _i(np.zeros((1, 4)))), {"axis": None}),
        Edge("bool one-hot target, class weights", _pt(_P_SOFT, np.eye(C, dtype=bool)[_Y_SOFT]),
             {"class_weight": _CW}),
    )


_OVERLAP_OPTIONS: tuple[Options, ...] = (
    {},
    {"smooth": 0.0},
    {"smooth": 0.5, "_target": "onehot"},
    {"class_weight": _CW},
    {"per_sample": False},
    {"axis": 1},
    {"axis": 1, "_target": "soft", "class_weight": _CW, "per_sample": False},
    {"axis": None},
    {"axis": None, "_target": "int", "smooth": 0.0, "per_sample": False},
    {"axis": None, "_target": "soft", "smooth": 2.0},
    {"_probs": "sigmoid", "_target": "onehot", "smooth": 0.25},
    {"_target": "bool", "_labels": "int32"},
    {"_labels": "int32", "smooth": 0.0, "class_weight": _CW},
)

_DICE = Case(
    name="dice",
    make_inputs=_make(),
    oracle=os_.dice,
    options=_OVERLAP_OPTIONS,
    differentiable=("probs",),
    edges=_overlap_edges(),
    cancels=True,
)

_JACCARD = Case(
    name="jaccard",
    make_inputs=_make(),
    oracle=os_.jaccard,
    options=_OVERLAP_OPTIONS,
    differentiable=("probs",),
    edges=_overlap_edges(),
    cancels=True,
)

_TVERSKY_OPTIONS: tuple[Options, ...] = (
    *_OVERLAP_OPTIONS[:4],
    {"alpha": 1.0, "beta": 0.0, "smooth": 0.0},
    {"alpha": 0.3, "beta": 0.7},
    {"alpha": 0.7, "beta": 0.3, "axis": 1, "per_sample": False, "_target": "onehot"},
    {"alpha": 2.0, "beta": 1.0, "axis": None, "class_weight": np.array([3.0])},
    {"alpha": 0.0, "beta": 1.0, "axis": None, "_target": "soft", "smooth": 0.5},
    {"alpha": 1.0, "beta": 1.0, "_probs": "sigmoid", "_target": "soft", "class_weight": _CW},
)


def _tversky_edges(extra: tuple[Edge, ...] = (), perfect_kink: bool = False) -> tuple[Edge, ...]:
    return (
        *_overlap_edges(perfect_kink),
        # API.md's hand case: y = [1, 1, 0, 0], y_hat = [1, 0, 1, 1], alpha = 1 (FP), beta = 0 -> 2/3
        Edge("y=[1,1,0,0], y_hat=[1,0,1,1], alpha=1, beta=0",
             _pt([[1.0, 0.0, 1.0, 1.0]], [[1.0, 1.0, 0.0, 0.0]]), {"axis": None, "alpha": 1.0, "beta": 0.0,
                                                                    "smooth": 0.0}),
        # alpha = 1, beta = 0 and no false positive, no true positive: the index is 0/0 (loss 0).
        Edge("no TP, no FP, beta = 0 (0/0)", _pt([[0.0, 0.0, 0.0, 0.0]], [[1.0, 1.0, 0.0, 0.0]]),
             {"axis": None, "alpha": 1.0, "beta": 0.0, "smooth": 0.0}, kink=True),
        *extra,
    )


_TVERSKY = Case(
    name="tversky",
    make_inputs=_make(),
    oracle=os_.tversky,
    options=_TVERSKY_OPTIONS,
    differentiable=("probs",),
    edges=_tversky_edges(),
    cancels=True,
)

_FOCAL_TVERSKY = Case(
    name="focal_tversky",
    make_inputs=_make(),
    oracle=os_.focal_tversky,
    options=(
        *_TVERSKY_OPTIONS,
        {"gamma": 0.5},
        {"gamma": 2.0, "alpha": 0.7, "beta": 0.3, "per_sample": False},
        {"gamma": 1.0, "axis": None, "_target": "soft"},
        {"gamma": 4.0 / 3.0, "axis": 1, "_target": "onehot", "class_weight": _CW},
    ),
    differentiable=("probs",),
    edges=_tversky_edges((
        # gamma < 1 at a perfect class: x ** gamma has an infinite derivative at 0 (kink, grad 0).
        Edge("perfect binary mask, gamma = 0.5", _pt([[1.0, 0.0, 1.0]], [[1.0, 0.0, 1.0]]),
             {"axis": None, "gamma": 0.5, "smooth": 0.0}, kink=True),
    ), perfect_kink=True),
    cancels=True,
)

_GENERALIZED_DICE = Case(
    name="generalized_dice",
    make_inputs=_make(),
    oracle=os_.generalized_dice,
    options=(
        {},
        {"smooth": 0.0},
        {"smooth": 1.0, "_target": "onehot"},
        {"per_sample": False},
        {"axis": 1, "_target": "soft"},
        {"axis": 1, "per_sample": False, "_labels": "uint8"},
        {"axis": None},
        {"axis": None, "_target": "bool", "smooth": 0.0, "per_sample": False},
        {"_probs": "sigmoid", "_target": "soft", "smooth": 0.1},
    ),
    # The weights 1/(sum t)^2 jump where a class appears in the target: probabilities only.
    differentiable=("probs",),
    edges=(
        Edge("soft, two samples", _pt(_P_SOFT, _Y_SOFT)),
        Edge("absent class takes the largest present weight", _pt(_P_ABSENT, _Y_ABSENT), {"smooth": 0.0}),
        Edge("all background labels", _pt(_P_SOFT, _Y_BACKGROUND)),
        Edge("channels-first (N, C, H, W)", _pt(_NCHW_P, _NCHW_Y), {"axis": 1}),
        Edge("binary masks, one empty (weights 1)", _pt(_BIN_P, _BIN_T), {"axis": None}),
        Edge("empty mask, nothing predicted, smooth = 0", _pt(np.zeros((1, 4)), np.zeros((1, 4))),
             {"axis": None, "smooth": 0.0}, kink=True),
        Edge("perfect one-hot prediction, pooled", _pt(_P_ABSENT, _i([[0, 1, 0, 1]])), {"per_sample": False}),
    ),
    cancels=True,
)


# -- Lovász --------------------------------------------------------------------------------------


def _separated(values: np.ndarray, points: tuple[float, ...] = ()) -> bool:
    v = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if v.size > 1 and np.min(np.diff(v)) < _GAP:
        return False
    return all(np.all(np.abs(v - q) >= _GAP) for q in points)


def _lovasz_softmax_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    ignore = options.get("ignore_index")
    for _ in range(_TRIES):
        p = _softmax(rng.normal(0.0, 1.5, (*shape, C)))
        y = rng.integers(0, C, size=shape).astype(np.int64)
        if ignore is not None:
            y = np.where(rng.random(shape) < options.get("_ignore_pct", 25) / 100, ignore, y)
        keep = y != ignore if ignore is not None else np.ones(shape, dtype=bool)
        errors = [np.abs((y == c) - p[..., c])[keep] for c in range(C)]
        if all(_separated(e) for e in errors):
            break
    return {"probs": _to_axis(p, options), "labels": y.astype(options.get("_labels", "int64"))}


def _py(p: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    return {"probs": _f(p), "labels": _i(y, dtype)}


_LOVASZ_SOFTMAX = Case(
    name="lovasz_softmax",
    make_inputs=_lovasz_softmax_inputs,
    oracle=os_.lovasz_softmax,
    options=(
        {},
        {"classes": "all"},
        {"per_sample": True},
        {"ignore_index": _IGNORE},
        {"ignore_index": _IGNORE, "_ignore_pct": 60, "per_sample": True, "classes": "all"},
        {"ignore_index": 0, "_ignore_pct": 0},
        {"axis": 1, "_labels": "int32"},
        {"axis": 1, "per_sample": True, "ignore_index": _IGNORE, "_labels": "uint8"},
    ),
    differentiable=("probs",),
    edges=(
        Edge("two images", _py(_P_LOV, _Y_SOFT)),
        Edge("class absent from the labels (present)", _py(_P_LOV, _i([[0, 1, 1, 0], [1, 1, 0, 0]]))),
        Edge("class absent from the labels (all)", _py(_P_LOV, _i([[0, 1, 1, 0], [1, 1, 0, 0]])),
             {"classes": "all"}),
        Edge("all background, per image", _py(_P_LOV, _Y_BACKGROUND), {"per_sample": True}),
        Edge("ignored pixels", _py(_P_LOV, _i([[0, 255, 2, 255], [1, 0, 255, 0]])), {"ignore_index": 255}),
        Edge("an image entirely ignored", _py(_P_LOV, _i([[255, 255, 255, 255], [1, 0, 2, 0]])),
             {"ignore_index": 255, "per_sample": True}),
        Edge("every pixel ignored", _py(_P_LOV, _i([[255] * 4, [255] * 4])), {"ignore_index": 255}),
        Edge("single pixel", _py([[0.2, 0.5, 0.3]], [1])),
        Edge("channels-first (N, C, H, W)", _py(np.moveaxis(_P_LOV[:1].reshape(1, 2, 2, 3), -1, 1),
                                                _i([[[0, 1], [2, 2]]])), {"axis": 1}),
    ),
    cancels=True,
)


def _lovasz_hinge_inputs(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> Inputs:
    ignore = options.get("ignore_index")
    for _ in range(_TRIES):
        x = rng.normal(0.0, 1.5, shape)
        y = (rng.random(shape) < 0.4).astype(np.int64)
        if ignore is not None:
            y = np.where(rng.random(shape) < 0.25, ignore, y)
        keep = y != ignore if ignore is not None else np.ones(shape, dtype=bool)
        errors = (1.0 - x * (2.0 * y - 1.0))[keep]
        if _separated(errors, (0.0,)):
            break
    kind = options.get("_target")
    if kind == "bool":
        return {"logits": x, "labels": y.astype(bool)}
    if kind == "float":
        return {"logits": x, "labels": y.astype(np.float64)}
    return {"logits": x, "labels": y.astype(options.get("_labels", "int64"))}


def _xy(x: Any, y: Any, dtype: Any = np.int64) -> Inputs:
    return {"logits": _f(x), "labels": _i(y, dtype)}


_LOVASZ_HINGE = Case(
    name="lovasz_hinge",
    make_inputs=_lovasz_hinge_inputs,
    oracle=os_.lovasz_hinge,
    options=(
        {},
        {"per_sample": False},
        {"ignore_index": _IGNORE},
        {"ignore_index": _IGNORE, "per_sample": False, "_labels": "int32"},
        {"_target": "bool"},
        {"_target": "float", "per_sample": False},
    ),
    differentiable=("logits",),
    edges=(
        Edge("two images", _xy([[2.0, -1.2, 0.5, -0.3], [0.7, 1.6, -2.2, 0.1]], [[1, 0, 0, 1], [0, 1, 0, 1]])),
        Edge("empty mask (no foreground)", _xy([[2.0, -1.2, 0.5, -0.3]], [[0, 0, 0, 0]])),
        Edge("full mask, pooled", _xy([[2.0, -1.0], [0.5, -0.3]], [[1, 1], [1, 1]]), {"per_sample": False}),
        # logit 1 on a foreground pixel: hinge error exactly 0 (relu kink, gradient 0 there).
        Edge("hinge error exactly 0", _xy([[1.0, -1.7, 0.4, 2.5]], [[1, 0, 1, 1]]), kink=True),
        Edge("ignored pixels", _xy([[2.0, -1.0, 0.5, -0.3], [0.7, 1.6, -2.2, 0.1]], [[1, 255, 0, 1], [255, 1, 0, 255]]),
             {"ignore_index": 255}),
        Edge("an image entirely ignored", _xy([[2.0, -1.0], [0.5, -0.3]], [[255, 255], [1, 0]]),
             {"ignore_index": 255}),
        Edge("bool labels, one pixel per image", {"logits": _f([0.3, -1.2, 2.0]), "labels": np.array([True, False, False])}),
        # The two saturated errors tie at -999: relu makes their order irrelevant.
        Edge("large logits", _xy([[1e3, -1e3, 30.0, -20.0]], [[1, 0, 0, 1]])),
    ),
    cancels=True,
)


# -- metric surrogates -----------------------------------------------------------------------------

_METRIC_OPTIONS: tuple[Options, ...] = (
    {},
    {"per_sample": True},
    {"_hard": True},
    {"_hard": True, "per_sample": True, "_target": "onehot"},
    {"_target": "onehot"},
    {"_target": "soft", "per_sample": True},
    {"axis": 1},
    {"axis": 1, "_hard": True, "_labels": "uint8"},
    {"axis": None},
    {"axis": None, "_hard": True, "_target": "int"},
    {"axis": None, "_target": "soft", "per_sample": True},
    {"_probs": "sigmoid"},
)

_HARD_P = _f([[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 1]])
_HARD_Y = _i([0, 1, 0, 2, 1, 2])


def _metric_edges(second: str) -> tuple[Edge, ...]:
    return (
        Edge("hard predictions", _pt(_HARD_P, _HARD_Y, second)),
        Edge("perfect prediction", _pt(_HARD_P, _i([0, 1, 1, 2, 0, 2]), second)),
        Edge("soft, per sample", _pt(_P_SOFT, _Y_SOFT, second), {"per_sample": True}),
        Edge("channels-first (N, C, H, W)", _pt(_NCHW_P, _NCHW_Y, second), {"axis": 1}),
        Edge("binary masks", _pt(_BIN_P, _BIN_T, second), {"axis": None}),
    )


_SOFT_F1 = Case(
    name="soft_f1",
    make_inputs=_make(),
    oracle=os_.soft_f1,
    options=_METRIC_OPTIONS,
    differentiable=("probs",),
    edges=(
        *_metric_edges("target"),
        # Class 2 is neither predicted nor a label: left out of the macro mean (sklearn). Any
        # prediction of it brings it back with F1 0: a jump, hence a kink.
        Edge("class absent from both", _pt(_P_ABSENT[0], _Y_ABSENT[0]), kink=True),
        Edge("empty mask, nothing predicted", _pt(np.zeros((1, 4)), np.zeros((1, 4))), {"axis": None}, kink=True),
        Edge("empty mask, per sample", _pt(_BIN_P, _BIN_T), {"axis": None, "per_sample": True}),
    ),
    cancels=True,
)

_COHEN_KAPPA = Case(
    name="cohen_kappa",
    make_inputs=_make("probs", "labels"),
    oracle=os_.cohen_kappa,
    options=(
        *_METRIC_OPTIONS,
        {"weights": "linear"},
        {"weights": None, "_hard": True},
        {"weights": "linear", "per_sample": True, "_target": "soft", "axis": 1},
        {"weights": None, "axis": None},
    ),
    differentiable=("probs",),
    edges=(
        *_metric_edges("labels"),
        # Every label and prediction in one class: the expected disagreement is 0 -> loss 0.
        Edge("a single class everywhere", _pt([[1.0, 0.0, 0.0]] * 3, [0, 0, 0], "labels"), kink=True),
        Edge("hard predictions, linear", _pt(_HARD_P, _HARD_Y, "labels"), {"weights": "linear"}),
        Edge("hard predictions, unweighted", _pt(_HARD_P, _HARD_Y, "labels"), {"weights": None}),
        Edge("class absent from both", _pt(_P_ABSENT[0], _Y_ABSENT[0], "labels")),
    ),
    cancels=True,
)

_MATTHEWS = Case(
    name="matthews",
    make_inputs=_make(),
    oracle=os_.matthews,
    options=_METRIC_OPTIONS,
    differentiable=("probs",),
    edges=(
        *_metric_edges("target"),
        # A single predicted class: a zero factor in the denominator, MCC 0 (sklearn), loss 1.
        Edge("one predicted class (MCC 0)", _pt([[1.0, 0.0, 0.0]] * 3, [0, 1, 2]), kink=True),
        Edge("class absent from both", _pt(_P_ABSENT[0], _Y_ABSENT[0])),
        Edge("empty binary mask", _pt([[0.2, 0.7, 0.1]], [[0.0, 0.0, 0.0]]), {"axis": None}, kink=True),
    ),
    cancels=True,
)

#: name -> Case for every segmentation loss.
SEGMENTATION_CASES: dict[str, Case] = {
    c.name: c
    for c in (
        _DICE,
        _JACCARD,
        _TVERSKY,
        _FOCAL_TVERSKY,
        _GENERALIZED_DICE,
        _LOVASZ_SOFTMAX,
        _LOVASZ_HINGE,
        _SOFT_F1,
        _COHEN_KAPPA,
        _MATTHEWS,
    )
}

FAMILY_CASES = SEGMENTATION_CASES
