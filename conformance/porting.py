"""The porting guide's table: every semantic difference between the loss libraries, as code.

Each :class:`Entry` is one difference users meet when they move a loss between torch, optax,
keras, sklearn (and torchvision, segmentation_models_pytorch, MONAI, pytorch_metric_learning,
which lossapi does not call). For every library it holds the library's own call and the lossapi
call that reproduces it, both as code strings. ``conformance/test_porting.py`` evaluates the
lossapi call and compares it with the library's result (or, where the library cannot be
imported, with that library's value recorded for the same inputs), and
``docs/_ext/gen_porting.py`` prints the very same strings on the porting-guide page, so the page
cannot show code that the tests do not run.

Evaluation rules (shared by the tests and the page):

- ``Entry.setup`` is run first with ``np`` (NumPy) and ``la`` (lossapi); it defines float64 /
  int64 NumPy inputs.
- A library call is evaluated with the setup's names plus the library's namespace
  (:func:`namespace`): ``torch``, ``F`` (``torch.nn.functional``), ``T`` (NumPy -> tensor,
  dtype kept) and ``torch_grad`` for torch; ``jax``, ``jnp`` and ``optax`` for optax/jax;
  ``keras``; ``metrics`` (``sklearn.metrics``); ``oracles`` (the conformance suite's
  independent float64 references) for ``"reference"``.
- A lossapi call is evaluated with the setup's names, ``np`` and ``la``, plus the namespaces of
  ``Row.lossapi_needs`` (gradient rows differentiate lossapi with torch or JAX).
- ``Row.same=False`` marks a difference lossapi keeps on purpose (its gradient conventions at
  kinks): the test then asserts that the two results differ.
"""

from __future__ import annotations

import importlib.util
import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lossapi._conformance.counterparts import smp_losses

__all__ = [
    "ENTRIES",
    "LIBRARIES",
    "TOPICS",
    "Entry",
    "Row",
    "by_topic",
    "entry",
    "evaluate_library",
    "evaluate_lossapi",
    "library_status",
    "namespace",
    "row_id",
    "run_setup",
    "to_numpy",
]

#: Display name -> (module that must be importable, how the guide names it).
LIBRARIES: dict[str, tuple[str, str]] = {
    "torch": ("torch", "PyTorch 2.13 (`torch.nn.functional`)"),
    "optax": ("optax", "optax 0.2.8 (`optax.losses`, JAX)"),
    "jax": ("jax", "JAX 0.10 (`jax`, `jax.numpy`)"),
    "keras": ("keras", "Keras 3.15 (`keras.losses`, JAX backend)"),
    "sklearn": ("sklearn", "scikit-learn 1.9 (`sklearn.metrics`)"),
    "torchvision": ("torchvision", "torchvision 0.28 (`torchvision.ops`)"),
    "smp": ("segmentation_models_pytorch", "segmentation_models_pytorch 0.6 (`smp.losses`)"),
    "MONAI": ("monai", "MONAI 1.6 (`monai.losses`)"),
    "PML": ("pytorch_metric_learning", "pytorch_metric_learning 2.9 (`pml.losses`)"),
    "reference": ("lossapi", "lossapi's conformance oracles (independent float64 NumPy)"),
}

#: Topic groups, in page order.
TOPICS: tuple[str, ...] = (
    "Calling conventions",
    "Regression",
    "Classification",
    "Margin losses",
    "Similarity, metric learning, sequence",
    "Segmentation and detection",
    "scikit-learn metrics",
    "Gradients at non-differentiable points",
)


@dataclass(frozen=True)
class Row:
    """One library's behaviour and the lossapi call that reproduces it.

    Parameters
    ----------
    library : str
        A key of :data:`LIBRARIES`.
    call : str
        Python expression calling the library (evaluated when it can be imported).
    lossapi : str
        Python expression calling lossapi (always evaluated).
    variant : str
        Distinguishes several rows of one library in an entry (part of the test id).
    recorded : float or tuple of float, optional
        The library's value for these inputs, recorded where it was run; used when the library
        cannot be imported.
    check : str
        Expression compared with ``recorded`` instead of ``lossapi`` (when the recorded value is
        derived number, e.g. a ratio of two of the library's results); empty: ``lossapi``.
    atol : float
        Absolute tolerance for ``recorded`` (half a unit of its last printed digit).
    rtol : float, optional
        Relative tolerance against a live library (default 1e-6; keras computes in float32: 1e-5).
    same : bool
        False where lossapi keeps a different convention on purpose: the results must differ.
    lossapi_needs : tuple of str
        Libraries whose namespace the lossapi expression needs (gradients through torch / JAX).
    note : str
        Shown beside the recorded value on the page (what the number is).
    """

    library: str
    call: str
    lossapi: str
    variant: str = ""
    recorded: float | tuple[float, ...] | None = None
    check: str = ""
    atol: float = 0.0
    rtol: float | None = None
    same: bool = True
    lossapi_needs: tuple[str, ...] = ()
    note: str = ""

    @property
    def tolerance(self) -> float:
        """Relative tolerance against the live library."""
        if self.rtol is not None:
            return self.rtol
        return 1e-5 if self.library == "keras" else 1e-6


@dataclass(frozen=True)
class Entry:
    """One semantic difference: explanation, shared inputs and one :class:`Row` per library.

    ``sources`` names the differences it covers: between the libraries ("libraries: ...") or
    met by users porting code ("users: ...", "gradients: ...").
    """

    key: str
    title: str
    topic: str
    explanation: str
    setup: str
    rows: tuple[Row, ...]
    sources: tuple[str, ...] = field(default_factory=tuple)


def row_id(row: Row) -> str:
    """The row's part of the test id: the library, plus its variant when it has one."""
    return f"{row.library}-{row.variant}" if row.variant else row.library


# -- evaluation ------------------------------------------------------------------------------


def library_status(library: str) -> tuple[bool, str]:
    """Whether ``library``'s calls can run here, and why not when they cannot."""
    module = LIBRARIES[library][0]
    if importlib.util.find_spec(module) is None:
        return False, f"{module} is not installed"
    if library in ("optax", "jax", "keras") and importlib.util.find_spec("jax") is None:
        return False, f"{library} needs JAX, which is not installed"
    if library == "keras" and os.environ.get("KERAS_BACKEND", "jax") != "jax":
        return False, "keras rows run on the JAX backend: set KERAS_BACKEND=jax"
    return True, ""


def _torch_ns() -> dict[str, Any]:
    import torch
    import torch.nn.functional as F

    def T(a: Any) -> Any:  # noqa: N802 - short name used in the code strings
        return torch.as_tensor(np.asarray(a))

    def torch_grad(f: Callable[[Any], Any], a: Any) -> Any:
        x = T(a).clone().requires_grad_(True)
        return torch.autograd.grad(f(x), x)[0]

    return {"torch": torch, "F": F, "T": T, "torch_grad": torch_grad}


def _jax_ns() -> dict[str, Any]:
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    import jax

    jax.config.update("jax_enable_x64", True)  # float64 inputs must stay float64
    import jax.numpy as jnp

    return {"jax": jax, "jnp": jnp}


def _optax_ns() -> dict[str, Any]:
    import optax

    return {**_jax_ns(), "optax": optax}


def _keras_ns() -> dict[str, Any]:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    return {"keras": keras}


def _sklearn_ns() -> dict[str, Any]:
    import sklearn.metrics as metrics

    return {"metrics": metrics}


def _reference_ns() -> dict[str, Any]:
    from types import SimpleNamespace

    from lossapi._conformance.families import detection, segmentation

    return {"oracles": SimpleNamespace(segmentation=segmentation, detection=detection)}


def _module_ns(name: str, alias: str) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        return {alias: importlib.import_module(name), **_torch_ns()}

    return make


def _pml_ns() -> dict[str, Any]:
    # The package's __init__ imports none of its subpackages.
    for sub in ("distances", "losses", "miners"):
        importlib.import_module(f"pytorch_metric_learning.{sub}")
    return {"pml": importlib.import_module("pytorch_metric_learning"), **_torch_ns()}


_NAMESPACES: dict[str, Callable[[], dict[str, Any]]] = {
    "torch": _torch_ns,
    "optax": _optax_ns,
    "jax": _jax_ns,
    "keras": _keras_ns,
    "sklearn": _sklearn_ns,
    "torchvision": _module_ns("torchvision.ops", "ops"),
    "smp": lambda: {"smp": types.SimpleNamespace(losses=smp_losses()), **_torch_ns()},
    "MONAI": _module_ns("monai", "monai"),
    "PML": _pml_ns,
    "reference": _reference_ns,
}


def namespace(library: str) -> dict[str, Any]:
    """Names a library's code strings may use (imports the library: call only when available)."""
    return _NAMESPACES[library]()


def run_setup(e: Entry) -> dict[str, Any]:
    """Run the entry's setup code; returns its names (with ``np`` and ``la``)."""
    import lossapi

    ns: dict[str, Any] = {"np": np, "la": lossapi}
    exec(e.setup, ns)  # noqa: S102 - the setup strings are this module's own constants
    return ns


def to_numpy(x: Any) -> np.ndarray:
    """A float64 NumPy array from any library's result (tensor, jax array, float, 0-d array)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def evaluate_library(e: Entry, row: Row) -> np.ndarray:
    """Evaluate the row's library call (the library must be available)."""
    ns = {**run_setup(e), **namespace(row.library)}
    return to_numpy(eval(row.call, ns))  # noqa: S307 - this module's own code strings


def evaluate_lossapi(e: Entry, row: Row, expr: str | None = None) -> np.ndarray:
    """Evaluate the row's lossapi call (or ``expr``, e.g. its ``check``)."""
    ns = run_setup(e)
    for lib in row.lossapi_needs:
        ns.update(namespace(lib))
    return to_numpy(eval(row.lossapi if expr is None else expr, ns))  # noqa: S307


def entry(key: str) -> Entry:
    """The entry with ``key`` (``KeyError`` names the known keys)."""
    for e in ENTRIES:
        if e.key == key:
            return e
    raise KeyError(f"no porting entry {key!r}; known: {[e.key for e in ENTRIES]}")


# -- the entries -----------------------------------------------------------------------------

_C, _R, _K, _M, _S, _D, _SK, _G = TOPICS

ENTRIES: tuple[Entry, ...] = (
    # ---------------------------------------------------------------- calling conventions
    Entry(
        key="argument_order",
        title="Argument order: prediction first or target first",
        topic=_C,
        explanation=(
            "torch, optax, torchvision, smp and MONAI take the **prediction first**; keras "
            "(`y_true, y_pred`), `keras.ops` (`target, output`) and sklearn (`y_true, y_pred`) take "
            "the **target first**. MONAI's own `MultiScaleLoss.forward(y_true, y_pred)` breaks "
            "MONAI's rule. lossapi always takes the model output first and the target second, so "
            "a port from keras or sklearn swaps the two arguments. An asymmetric loss shows it: "
            "swapping them silently changes the value."
        ),
        setup=(
            "p = np.array([0.5, 2.0, 4.0]); t = np.array([1.0, 2.0, 0.5])\n"
            "probs = np.array([0.9, 0.2, 0.6]); y = np.array([1.0, 0.0, 0.0])\n"
            "logits = np.array([2.0, -1.0, 0.3])"
        ),
        rows=(
            Row("torch", "F.binary_cross_entropy(T(probs), T(y))", "la.bce(probs, y)"),
            Row(
                "optax",
                "optax.losses.sigmoid_binary_cross_entropy(logits, y)",
                'la.binary_cross_entropy_with_logits(logits, y, reduction="none")',
            ),
            Row("keras", "keras.losses.MeanSquaredLogarithmicError()(t, p)", "la.mean_squared_log_error(p, t)"),
            Row(
                "keras", "keras.ops.binary_crossentropy(y, probs)", 'la.bce(probs, y, reduction="none")', variant="ops"
            ),
            Row("sklearn", "metrics.mean_squared_log_error(t, p)", "la.mean_squared_log_error(p, t)"),
        ),
        sources=("libraries: argument order",),
    ),
    Entry(
        key="default_reduction",
        title="Default reduction",
        topic=_C,
        explanation=(
            "torch reduces with `'mean'` over **all elements**; torchvision defaults to `'none'`; "
            "optax never reduces (the caller calls `.mean()`; only `dice_loss` and "
            '`ranking_softmax_loss` reduce); keras uses `"sum_over_batch_size"` after its own '
            "last-axis reduction; MONAI and smp use `'mean'`; sklearn always returns a sample "
            "mean; PML uses reducer objects (`AvgNonZeroReducer` for triplet and contrastive "
            'losses, which lossapi does not offer). lossapi defaults to `reduction="mean"` '
            "over all elements; `reduction=\"none\"` gives optax's and torchvision's per-element "
            "values. (torch's deprecated `size_average`/`reduce` flags map to `reduction`; lossapi "
            "has only `reduction`.)"
        ),
        setup=(
            "x = np.array([[0.5, -2.0, 3.0], [1.0, 0.2, -0.7]]); t = np.zeros((2, 3))\n"
            "logits = np.array([2.0, -1.0, 0.3]); labels = np.array([1.0, 0.0, 1.0])"
        ),
        rows=(
            Row("torch", "F.huber_loss(T(x), T(t))", "la.huber(x, t)"),
            Row("optax", "optax.losses.huber_loss(x, t)", 'la.huber(x, t, reduction="none")'),
            Row("keras", "keras.losses.Huber()(t, x)", "la.huber(x, t)"),
            Row("sklearn", "metrics.mean_absolute_error(t, x)", "la.mae(x, t)"),
            Row(
                "torchvision",
                "ops.sigmoid_focal_loss(T(logits), T(labels))",
                'la.sigmoid_focal(logits, labels, alpha=0.25, reduction="none")',
                recorded=(0.00045, 0.01699, 0.0251),
                atol=5e-5,
            ),
        ),
        sources=("libraries: default reduction",),
    ),
    Entry(
        key="keras_last_axis",
        title="Keras reduces the last axis first, then divides by the count",
        topic=_C,
        explanation=(
            "Keras' `mean_squared_error` is the mean over the **last axis**, so a `(B, D)` input "
            "becomes a per-sample `(B,)` loss before anything else; `sample_weight` then weights "
            'samples, and the default `"sum_over_batch_size"` divides by the **number of '
            "samples**, not by Σw (1.5417 instead of 3.0833 in the example below). "
            'Keras\' `reduction="none"` still returns the per-sample `(B,)` values. '
            '`reduction="mean_with_sample_weight"` and torch\'s `mse_loss(weight=)` divide by Σw, '
            "which is lossapi's weighted mean. lossapi has no last-axis-first option: compose "
            '`la.mse(..., reduction="none").mean(-1)` and weight the result yourself. '
            "(The categorical cross-entropies, `kl_divergence` and `cosine_similarity` **sum** "
            "over the last axis instead, as lossapi's class-axis losses do.)"
        ),
        setup=(
            "p = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])\n"
            "t = np.array([[0.0, 0.5, 1.0], [1.0, 1.0, 1.0]])\n"
            "w = np.array([1.0, 0.0])"
        ),
        rows=(
            Row(
                "keras",
                "keras.losses.MeanSquaredError()(t, p, sample_weight=w)",
                'np.sum(la.mse(p, t, reduction="none").mean(-1) * w) / w.size',
            ),
            Row(
                "keras",
                'keras.losses.MeanSquaredError(reduction="mean_with_sample_weight")(t, p, sample_weight=w)',
                "la.mse(p, t, sample_weight=w[:, None])",
                variant="mean_with_sample_weight",
            ),
            Row(
                "keras",
                'keras.losses.MeanSquaredError(reduction="none")(t, p)',
                'la.mse(p, t, reduction="none").mean(-1)',
                variant="none",
            ),
            Row(
                "torch",
                "F.mse_loss(T(p), T(t), weight=T(np.broadcast_to(w[:, None], p.shape)))",
                "la.mse(p, t, sample_weight=w[:, None])",
            ),
        ),
        sources=(
            "libraries: keras two-stage reduction",
            "users: reduction naming / keras none",
            "users: per-element vs last-axis mean",
        ),
    ),
    Entry(
        key="keras_bce_axis",
        title="Multi-label BCE: keras averages classes per sample",
        topic=_C,
        explanation=(
            "`keras.losses.BinaryCrossentropy(axis=-1)` averages over the last axis, so a "
            "`(B, C)` multi-label output gives one value per sample: torch's "
            "`multilabel_soft_margin_loss` (mean over classes; older torch versions summed), not "
            "torch's global `binary_cross_entropy_with_logits` mean. The two agree on the batch "
            "mean only because every row has the same C. lossapi: `la.multilabel_soft_margin` "
            "for the per-sample values, `la.binary_cross_entropy_with_logits` for the global mean, "
            'and `reduction="none"` for BCE over no axis at all (which keras cannot do). torch\'s '
            "`pos_weight` of shape `(C,)` broadcasts along the last (class) axis and multiplies "
            "the positive term; lossapi's `pos_weight` does the same."
        ),
        setup=(
            "z = np.array([[1.5, -0.3, 0.2], [-2.0, 0.7, 1.1]])\n"
            "y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]); pw = np.array([3.0, 1.0, 0.5])"
        ),
        rows=(
            Row(
                "keras",
                'keras.losses.BinaryCrossentropy(from_logits=True, reduction="none")(y, z)',
                'la.multilabel_soft_margin(z, y, reduction="none")',
            ),
            Row(
                "torch",
                'F.multilabel_soft_margin_loss(T(z), T(y), reduction="none")',
                'la.multilabel_soft_margin(z, y, reduction="none")',
            ),
            Row(
                "torch",
                "F.binary_cross_entropy_with_logits(T(z), T(y))",
                "la.binary_cross_entropy_with_logits(z, y)",
                variant="global",
            ),
            Row(
                "optax",
                "optax.losses.sigmoid_binary_cross_entropy(z, y)",
                'la.binary_cross_entropy_with_logits(z, y, reduction="none")',
            ),
            Row(
                "torch",
                "F.binary_cross_entropy_with_logits(T(z), T(y), pos_weight=T(pw))",
                "la.binary_cross_entropy_with_logits(z, y, pos_weight=pw)",
                variant="pos_weight",
            ),
        ),
        sources=(
            "libraries: keras BinaryCrossentropy over the last axis",
            "users: multilabel soft margin",
            "users: BCEWithLogits pos_weight shape",
            "users: BCE over no axes",
        ),
    ),
    Entry(
        key="torch_weighted_mean",
        title="torch's weighted-mean denominators",
        topic=_C,
        explanation=(
            "torch 2.13 is not consistent with itself: `mse_loss`/`l1_loss(weight=)` compute "
            "Σw·l/Σw, `huber_loss`/`binary_cross_entropy(weight=)` compute mean(w·l), and "
            "`cross_entropy(weight=)` computes Σw_y·l/Σw_y over the class weights of the labels. "
            'lossapi\'s `reduction="mean"` is always Σw·l/Σw (and `class_weight` counts in Σw, as '
            "in torch's cross-entropy); torch's mean(w·l) is `reduction=\"sum\"` divided by the "
            "element count. (`weight=` on `mse_loss`, `l1_loss`, `huber_loss` exists only in the "
            "functional API.)"
        ),
        setup=(
            "x = np.array([1.0, 2.0, 3.0, 4.0]); t = np.zeros(4); w = np.array([1.0, 1.0, 0.0, 0.0])\n"
            "probs = np.array([0.9, 0.2, 0.6, 0.4]); y = np.array([1.0, 0.0, 0.0, 1.0])\n"
            "z = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3], [-0.5, 0.2, 2.0], [1.0, 1.0, 0.0]])\n"
            "labels = np.array([0, 1, 2, 2]); cw = np.array([1.0, 2.0, 0.5])"
        ),
        rows=(
            Row("torch", "F.mse_loss(T(x), T(t), weight=T(w))", "la.mse(x, t, sample_weight=w)", variant="mse"),
            Row("torch", "F.l1_loss(T(x), T(t), weight=T(w))", "la.mae(x, t, sample_weight=w)", variant="l1"),
            Row(
                "torch",
                "F.huber_loss(T(x), T(t), weight=T(w))",
                'la.huber(x, t, sample_weight=w, reduction="sum") / x.size',
                variant="huber",
            ),
            Row(
                "torch",
                "F.binary_cross_entropy(T(probs), T(y), weight=T(w))",
                'la.bce(probs, y, sample_weight=w, reduction="sum") / probs.size',
                variant="bce",
            ),
            Row(
                "torch",
                "F.cross_entropy(T(z), T(labels), weight=T(cw))",
                "la.cross_entropy(z, labels, class_weight=cw)",
                variant="cross_entropy",
            ),
        ),
        sources=("libraries: torch weighted-mean denominators", "users: weighted CE mean"),
    ),
    Entry(
        key="logits_vs_probs",
        title="Logits, probabilities or log-probabilities",
        topic=_C,
        explanation=(
            "torch has one function per input space (`binary_cross_entropy` takes probabilities, "
            "`..._with_logits` logits, `cross_entropy` logits, `nll_loss` log-probabilities); keras "
            "defaults to `from_logits=False` (**probabilities**); optax always takes logits; smp "
            "defaults to `from_logits=True`; MONAI applies no activation by default "
            "(`sigmoid=False, softmax=False`: Dice-type inputs are probabilities) while its "
            "`FocalLoss` and CE terms take logits; torchvision's `sigmoid_focal_loss` takes "
            "logits; sklearn takes probabilities (`y_proba`) or decision values. lossapi names "
            "the input space in the function and its first parameter: `la.bce(probs, ...)`, "
            "`la.binary_cross_entropy_with_logits(logits, ...)`, `la.cross_entropy(logits, ...)`, "
            "`la.nll(log_probs, ...)`; segmentation losses (`la.dice`, `la.lovasz_softmax`) take "
            "probabilities and `la.lovasz_hinge` logits."
        ),
        setup=(
            "z = np.array([2.0, -1.0, 0.3, 0.0]); y = np.array([1.0, 0.0, 0.0, 1.0])\n"
            "probs = 1 / (1 + np.exp(-z))\n"
            "zc = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3]]); labels = np.array([0, 2])\n"
            "log_probs = zc - np.log(np.exp(zc).sum(-1, keepdims=True))"
        ),
        rows=(
            Row("torch", "F.binary_cross_entropy(T(probs), T(y))", "la.bce(probs, y)", variant="probs"),
            Row(
                "torch",
                "F.binary_cross_entropy_with_logits(T(z), T(y))",
                "la.binary_cross_entropy_with_logits(z, y)",
                variant="logits",
            ),
            Row("torch", "F.nll_loss(T(log_probs), T(labels))", "la.nll(log_probs, labels)", variant="nll"),
            Row("keras", "keras.losses.BinaryCrossentropy()(y, probs)", "la.bce(probs, y)", variant="default"),
            Row(
                "keras",
                "keras.losses.BinaryCrossentropy(from_logits=True)(y, z)",
                "la.binary_cross_entropy_with_logits(z, y)",
                variant="from_logits",
            ),
            Row(
                "optax",
                "optax.losses.sigmoid_binary_cross_entropy(z, y)",
                'la.binary_cross_entropy_with_logits(z, y, reduction="none")',
            ),
            Row("sklearn", "metrics.log_loss(y, probs)", "la.bce(probs, y)"),
        ),
        sources=("libraries: logits vs probabilities",),
    ),
    Entry(
        key="shape_broadcast",
        title="(N, 1) against (N,): silent broadcasting",
        topic=_C,
        explanation=(
            "torch's `mse_loss` (with a warning) and NumPy-style code broadcast a `(N, 1)` "
            "prediction against an `(N,)` target to `(N, N)` and average the outer difference "
            "(pytorch#18349). lossapi refuses shapes that broadcast to a shape none of the inputs "
            "has (`ShapeMismatchError`, telling you to reshape). To reproduce torch's number on "
            "purpose, broadcast explicitly."
        ),
        setup="p = np.array([[1.0], [2.0], [4.0]]); t = np.array([0.0, 1.0, 3.0])",
        rows=(Row("torch", "F.mse_loss(T(p), T(t).expand(3, 3))", "la.mse(*np.broadcast_arrays(p, t))"),),
        sources=("users: (N, 1) vs (N,) broadcasting",),
    ),
    # ---------------------------------------------------------------- regression
    Entry(
        key="huber_vs_smooth_l1",
        title="Huber vs smooth-L1",
        topic=_R,
        explanation=(
            "torch `huber_loss(delta)`, optax `huber_loss(delta)` and keras `huber(delta)` share "
            "one convention: ½e² for |e| ≤ δ, else δ(|e| − ½δ) (keras then averages each row). "
            "torch `smooth_l1_loss(beta)` is **Huber divided by β** (½e²/β, else |e| − ½β): the two "
            "agree only at δ = β = 1, and `beta=0` is plain L1. torchvision's detection models use "
            "smooth-L1 with β = 1/9. sklearn's Huber variants are parameterised differently "
            "(`HuberRegressor(epsilon=1.35)` in units of a jointly estimated scale; gradient "
            "boosting's `alpha=0.9` quantile of |residual|) and have no lossapi equivalent; "
            "Paddle's `smooth_l1_loss(delta)` uses δ as Huber does. lossapi has both: `la.huber"
            "(delta=)` and `la.smooth_l1(beta=)`."
        ),
        setup=(
            "x = np.array([0.0, 0.5, 3.0, -2.0, 1.0, 0.2]); t = np.zeros(6)\nx2 = x.reshape(2, 3); t2 = t.reshape(2, 3)"
        ),
        rows=(
            Row(
                "torch",
                'F.huber_loss(T(x), T(t), delta=2.0, reduction="none")',
                'la.huber(x, t, delta=2.0, reduction="none")',
                variant="huber",
            ),
            Row(
                "torch",
                'F.smooth_l1_loss(T(x), T(t), beta=2.0, reduction="none")',
                'la.smooth_l1(x, t, beta=2.0, reduction="none")',
                variant="smooth_l1",
            ),
            Row(
                "torch",
                'F.smooth_l1_loss(T(x), T(t), beta=2.0, reduction="none")',
                'la.huber(x, t, delta=2.0, reduction="none") / 2.0',
                variant="smooth_l1_as_huber",
            ),
            Row(
                "torch",
                'F.smooth_l1_loss(T(x), T(t), beta=0.0, reduction="none")',
                'la.mae(x, t, reduction="none")',
                variant="beta0",
            ),
            Row(
                "torch",
                "F.smooth_l1_loss(T(x), T(t), beta=1 / 9)",
                "la.smooth_l1(x, t, beta=1 / 9)",
                variant="torchvision_beta",
            ),
            Row("optax", "optax.losses.huber_loss(x, t, delta=2.0)", 'la.huber(x, t, delta=2.0, reduction="none")'),
            Row(
                "keras",
                "keras.losses.huber(t2, x2, delta=2.0)",
                'la.huber(x2, t2, delta=2.0, reduction="none").mean(-1)',
            ),
        ),
        sources=("libraries: Huber vs smooth-L1", "users: Huber / smooth-L1"),
    ),
    Entry(
        key="l2_loss_half",
        title='"L2 loss" includes ½ in optax',
        topic=_R,
        explanation=(
            "optax `l2_loss` is **½·`squared_error`**; torch `mse_loss` and keras "
            "`MeanSquaredError` have no ½ (sklearn's private `HalfSquaredError` does). lossapi's "
            "`la.mse` has no ½: multiply by 0.5 to reproduce optax."
        ),
        setup="x = np.array([0.5, -2.0, 3.0]); t = np.array([0.0, 1.0, 1.0])",
        rows=(
            Row("optax", "optax.losses.l2_loss(x, t)", '0.5 * la.mse(x, t, reduction="none")'),
            Row("torch", "F.mse_loss(T(x), T(t))", "la.mse(x, t)"),
            Row("keras", "keras.losses.MeanSquaredError()(t, x)", "la.mse(x, t)"),
        ),
        sources=("libraries: optax l2_loss includes 1/2", "libraries: optax l2_loss"),
    ),
    Entry(
        key="mape_units",
        title="MAPE: percent or fraction",
        topic=_R,
        explanation=(
            "keras `MeanAbsolutePercentageError` returns **percent**, "
            "100·mean(|y − ŷ| / max(|y|, 1e-7)); sklearn returns a **fraction** with a float64 "
            "machine-epsilon floor. lossapi's `la.mean_absolute_percentage_error` is a fraction; "
            "multiply by 100 (and pass keras' floor as `eps=1e-7`) to reproduce keras."
        ),
        setup="y = np.array([2.0, 4.0]); yhat = np.array([1.0, 5.0])",
        rows=(
            Row(
                "keras",
                "keras.losses.MeanAbsolutePercentageError()(y, yhat)",
                "100 * la.mean_absolute_percentage_error(yhat, y, eps=1e-7)",
            ),
            Row(
                "sklearn",
                "metrics.mean_absolute_percentage_error(y, yhat)",
                "la.mean_absolute_percentage_error(yhat, y)",
            ),
        ),
        sources=("libraries: MAPE percent vs fraction", "libraries: MAPE units"),
    ),
    Entry(
        key="pinball",
        title="Pinball (quantile) loss at q = 0.5 is half the MAE",
        topic=_R,
        explanation=(
            "sklearn `mean_pinball_loss(alpha=0.5)` equals **½·MAE**; none of the deep-learning "
            "libraries has a quantile loss. lossapi: `la.quantile(pred, target, q=)` equals "
            "sklearn; twice it at q = 0.5 is torch's `l1_loss`."
        ),
        setup="y = np.array([1.0, 2.0, 3.0]); yhat = np.array([2.0, 2.0, 5.0])",
        rows=(
            Row("sklearn", "metrics.mean_pinball_loss(y, yhat, alpha=0.5)", "la.quantile(yhat, y, q=0.5)"),
            Row(
                "sklearn",
                "metrics.mean_pinball_loss(y, yhat, alpha=0.9)",
                "la.quantile(yhat, y, q=0.9)",
                variant="q0.9",
            ),
            Row("torch", "F.l1_loss(T(yhat), T(y))", "2 * la.quantile(yhat, y, q=0.5)"),
        ),
        sources=("libraries: pinball = MAE/2",),
    ),
    Entry(
        key="poisson",
        title="Poisson: log-rate input, rate input, deviance",
        topic=_R,
        explanation=(
            "torch `poisson_nll_loss` defaults to `log_input=True` (the input is the **log-rate**: "
            "exp(x) − y·x) and `full=False`; with `log_input=False` it is λ − y·log(λ + eps); "
            "`full=True` adds the Stirling term only where y > 1. keras `poisson` works in rate "
            "space with +1e-7 and averages the last axis. sklearn `mean_poisson_deviance` is "
            "2·(y·log(y/λ) − y + λ) (factor 2, zero at a perfect fit). lossapi: "
            "`la.poisson_nll(..., log_input=, full=, eps=)` reproduces torch and keras, "
            "`la.tweedie_deviance(power=1)` sklearn."
        ),
        setup="lam = np.array([0.5, 2.0, 4.0]); y = np.array([1.0, 2.0, 0.0])",
        rows=(
            Row(
                "torch",
                "F.poisson_nll_loss(T(np.log(lam)), T(y))",
                "la.poisson_nll(np.log(lam), y)",
                variant="log_input",
            ),
            Row(
                "torch",
                'F.poisson_nll_loss(T(lam), T(y), log_input=False, reduction="none")',
                'la.poisson_nll(lam, y, log_input=False, reduction="none")',
                variant="rate",
            ),
            Row(
                "torch",
                'F.poisson_nll_loss(T(lam), T(y), log_input=False, full=True, reduction="none")',
                'la.poisson_nll(lam, y, log_input=False, full=True, reduction="none")',
                variant="full",
            ),
            Row("keras", "keras.losses.poisson(y, lam)", "la.poisson_nll(lam, y, log_input=False, eps=1e-7)"),
            Row("sklearn", "metrics.mean_poisson_deviance(y, lam)", "la.tweedie_deviance(lam, y, power=1)"),
        ),
        sources=("libraries: Poisson", "users: Poisson NLL"),
    ),
    Entry(
        key="gaussian_nll",
        title="Gaussian NLL: torch only, and eps clamps the variance",
        topic=_R,
        explanation=(
            "Only torch has it: `gaussian_nll_loss(input, target, var, full=False, eps=1e-6)` = "
            "½(log max(var, eps) + (input − target)²/max(var, eps)); `full=True` adds ½log 2π. "
            "`eps` **clamps** the variance (it is not added). lossapi's `la.gaussian_nll` "
            "reproduces both, including the clamp."
        ),
        setup="mu = np.array([0.0, 0.5]); y = np.array([1.0, 0.2]); var = np.array([4.0, 1e-8])",
        rows=(
            Row(
                "torch",
                'F.gaussian_nll_loss(T(mu), T(y), T(var), reduction="none")',
                'la.gaussian_nll(mu, y, var, reduction="none")',
            ),
            Row(
                "torch",
                'F.gaussian_nll_loss(T(mu), T(y), T(var), full=True, reduction="none")',
                'la.gaussian_nll(mu, y, var, full=True, reduction="none")',
                variant="full",
            ),
        ),
        sources=("libraries: Gaussian NLL", "users: Gaussian NLL eps clamp"),
    ),
    Entry(
        key="log_cosh",
        title="Log-cosh: elementwise or per row",
        topic=_R,
        explanation=(
            "optax `log_cosh` is elementwise; keras `log_cosh` computes the same values "
            "(as x + softplus(−2x) − log 2) and averages each row. lossapi's `la.log_cosh` is "
            'overflow-safe and elementwise with `reduction="none"`.'
        ),
        setup="x = np.array([[0.5, 3.0, -40.0], [0.0, -1.0, 2.0]]); t = np.zeros((2, 3))",
        rows=(
            Row("optax", "optax.losses.log_cosh(x, t)", 'la.log_cosh(x, t, reduction="none")'),
            Row("keras", "keras.losses.log_cosh(t, x)", 'la.log_cosh(x, t, reduction="none").mean(-1)'),
        ),
        sources=("libraries: log-cosh",),
    ),
    # ---------------------------------------------------------------- classification
    Entry(
        key="kl_divergence",
        title="KL divergence: argument order, log inputs and batchmean",
        topic=_K,
        explanation=(
            "torch `kl_div(input, target)` and optax `kl_divergence(log_predictions, targets)` "
            "take **log q first, then p**, and compute KL(p‖q) (the opposite of the math "
            "notation's order). torch's default `reduction='mean'` averages over **all elements** "
            "(0.070 instead of 0.210 here, with a warning): use `'batchmean'`. keras "
            "`kl_divergence(y_true=p, y_pred=q)` takes **probabilities for both** and clips both "
            "to [1e-7, 1]. lossapi's `la.kl_divergence(log_probs, target)` follows torch/optax "
            "(log q first) and its `\"mean\"` is torch's `'batchmean'`; `log_target=True` takes "
            "log p (torch `log_target=True`, optax `kl_divergence_with_log_targets`). optax's "
            'generalized (formerly "convex") KL is `la.generalized_kl_divergence`.'
        ),
        setup=("p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])\nq = np.array([[0.5, 0.3, 0.2], [0.3, 0.3, 0.4]])"),
        rows=(
            Row(
                "torch",
                "F.kl_div(T(np.log(q)), T(p))",
                'la.kl_divergence(np.log(q), p, reduction="none").sum() / p.size',
                variant="mean",
            ),
            Row(
                "torch",
                'F.kl_div(T(np.log(q)), T(p), reduction="batchmean")',
                "la.kl_divergence(np.log(q), p)",
                variant="batchmean",
            ),
            Row(
                "torch",
                'F.kl_div(T(np.log(q)), T(np.log(p)), reduction="batchmean", log_target=True)',
                "la.kl_divergence(np.log(q), np.log(p), log_target=True)",
                variant="log_target",
            ),
            Row(
                "optax", "optax.losses.kl_divergence(np.log(q), p)", 'la.kl_divergence(np.log(q), p, reduction="none")'
            ),
            Row(
                "optax",
                "optax.losses.kl_divergence_with_log_targets(np.log(q), np.log(p))",
                'la.kl_divergence(np.log(q), np.log(p), log_target=True, reduction="none")',
                variant="log_targets",
            ),
            Row(
                "optax",
                "optax.losses.generalized_kl_divergence(np.log(q), p)",
                'la.generalized_kl_divergence(np.log(q), p, reduction="none")',
                variant="convex",
            ),
            Row(
                "keras",
                "keras.losses.kl_divergence(p, q)",
                'la.kl_divergence(np.log(np.clip(q, 1e-7, 1)), np.clip(p, 1e-7, 1), reduction="none")',
            ),
        ),
        sources=("libraries: KL divergence", "users: KL divergence"),
    ),
    Entry(
        key="ce_api_split",
        title="Cross-entropy: one function or two",
        topic=_K,
        explanation=(
            "torch `cross_entropy` takes **either** class indices **or** class probabilities; "
            "optax splits them into `softmax_cross_entropy` (probabilities) and "
            "`softmax_cross_entropy_with_integer_labels`; keras into `CategoricalCrossentropy` "
            "and `SparseCategoricalCrossentropy`. lossapi follows torch: `la.cross_entropy` reads "
            "an integer target as class indices and a floating one as probabilities (by dtype, "
            "never by value)."
        ),
        setup=(
            "z = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3], [-0.5, 0.2, 2.0]])\n"
            "labels = np.array([0, 2, 1])\n"
            "soft = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])"
        ),
        rows=(
            Row("torch", "F.cross_entropy(T(z), T(soft))", "la.cross_entropy(z, soft)", variant="probs"),
            Row("torch", "F.cross_entropy(T(z), T(labels))", "la.cross_entropy(z, labels)", variant="labels"),
            Row(
                "optax",
                "optax.losses.softmax_cross_entropy(z, soft)",
                'la.cross_entropy(z, soft, reduction="none")',
                variant="probs",
            ),
            Row(
                "optax",
                "optax.losses.softmax_cross_entropy_with_integer_labels(z, labels)",
                'la.cross_entropy(z, labels, reduction="none")',
                variant="labels",
            ),
            Row(
                "keras",
                "keras.losses.CategoricalCrossentropy(from_logits=True)(soft, z)",
                "la.cross_entropy(z, soft)",
                variant="probs",
            ),
            Row(
                "keras",
                "keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z)",
                "la.cross_entropy(z, labels)",
                variant="labels",
            ),
        ),
        sources=("libraries: cross-entropy API split",),
    ),
    Entry(
        key="probability_clipping",
        title="Clipping of probability inputs",
        topic=_K,
        explanation=(
            "For p = 0 and y = 1: torch `binary_cross_entropy` clamps the log at −100 (loss 100); "
            "keras clips p to [1e-7, 1 − 1e-7] (16.118); sklearn `log_loss` clips to the machine "
            "epsilon of the input dtype (36.04 for that sample in float64). keras "
            "`categorical_crossentropy(from_logits=False)` also **renormalises** ŷ to sum to 1 "
            "([0.2, 0.2] against [1, 0] gives log 2). lossapi's `la.bce` and "
            "`la.categorical_cross_entropy` clamp the log at −100 like torch and never "
            "renormalise: clip or renormalise the probabilities first to reproduce keras or "
            "sklearn."
        ),
        setup=(
            "p = np.array([0.0, 0.0]); y = np.array([1.0, 0.0])\n"
            "pc = np.array([[0.2, 0.2]]); yc = np.array([[1.0, 0.0]])\n"
            "eps = np.finfo(p.dtype).eps"
        ),
        rows=(
            Row("torch", 'F.binary_cross_entropy(T(p), T(y), reduction="none")', 'la.bce(p, y, reduction="none")'),
            Row(
                "keras",
                "keras.losses.binary_crossentropy(y[:, None], p[:, None])",
                'la.bce(np.clip(p, 1e-7, 1 - 1e-7), y, reduction="none")',
            ),
            Row(
                "keras",
                "keras.losses.categorical_crossentropy(yc, pc)",
                'la.categorical_cross_entropy(pc / pc.sum(-1, keepdims=True), yc, reduction="none")',
                variant="renormalise",
            ),
            Row("sklearn", "metrics.log_loss(y, p)", "la.bce(np.clip(p, eps, 1 - eps), y)"),
        ),
        sources=(
            "libraries: probability clipping",
            "libraries: clipping of probabilities",
            "users: BCE / CCE on probabilities",
        ),
    ),
    Entry(
        key="label_smoothing",
        title="Label smoothing for cross-entropy",
        topic=_K,
        explanation=(
            "torch `cross_entropy(label_smoothing=ε)`, keras `CategoricalCrossentropy"
            "(label_smoothing=ε)` and optax `smooth_labels(labels, ε)` all mix with the uniform "
            "distribution: (1 − ε)·onehot + ε/C. keras `SparseCategoricalCrossentropy` has **no** "
            "`label_smoothing`. smp `SoftCrossEntropyLoss(smooth_factor=ε)` matches torch. Some "
            "code bases (icefall, mlx) spread ε/(C − 1) over the wrong classes only; lossapi has "
            "no option for that: build the target yourself, "
            "`t = onehot * (1 - eps) + (1 - onehot) * eps / (C - 1)`, and pass it to "
            "`la.cross_entropy(logits, t)`. lossapi: `la.cross_entropy(label_smoothing=ε)` and "
            "`la.smooth_labels(t, ε)`."
        ),
        setup=(
            "z = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3], [-0.5, 0.2, 2.0]])\n"
            "labels = np.array([0, 2, 1]); onehot = np.eye(3)[labels]"
        ),
        rows=(
            Row(
                "torch",
                "F.cross_entropy(T(z), T(labels), label_smoothing=0.1)",
                "la.cross_entropy(z, labels, label_smoothing=0.1)",
            ),
            Row(
                "keras",
                "keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(onehot, z)",
                "la.cross_entropy(z, labels, label_smoothing=0.1)",
            ),
            Row(
                "keras",
                "keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z)",
                "la.cross_entropy(z, labels)",
                variant="sparse",
            ),
            Row(
                "optax",
                "optax.losses.softmax_cross_entropy(z, optax.smooth_labels(onehot, 0.1))",
                'la.cross_entropy(z, la.smooth_labels(onehot, alpha=0.1), reduction="none")',
            ),
            Row(
                "smp",
                "smp.losses.SoftCrossEntropyLoss(smooth_factor=0.1)(T(z), T(labels))",
                "la.cross_entropy(z, labels, label_smoothing=0.1)",
            ),
        ),
        sources=("libraries: label smoothing (CE)", "users: label smoothing (CE), eps/(K-1) variants"),
    ),
    Entry(
        key="binary_label_smoothing",
        title="Label smoothing for binary cross-entropy",
        topic=_K,
        explanation=(
            "keras `BinaryCrossentropy(label_smoothing=s)` squeezes targets toward 0.5: "
            "y(1 − s) + s/2 (y = 1, s = 0.2 gives 0.9). smp `SoftBCEWithLogitsLoss(smooth_factor=s)` "
            "uses (1 − y)s + y(1 − s) (gives **0.8**), twice as strong. torch has no BCE smoothing "
            "and optax's `smooth_labels` works over a class axis. lossapi's `label_smoothing=s` "
            "on `la.bce`/`la.binary_cross_entropy_with_logits` is keras' formula; smp's factor s "
            "is lossapi's `label_smoothing=2 * s`. The smp row checks the smoothed target 0.8 that "
            "smp records, through `la.smooth_labels` over the two classes."
        ),
        setup="z = np.array([1.5, -0.5, 0.3]); y = np.array([1.0, 0.0, 1.0])",
        rows=(
            Row(
                "keras",
                "keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)(y, z)",
                "la.binary_cross_entropy_with_logits(z, y, label_smoothing=0.2)",
            ),
            Row(
                "torch",
                "F.binary_cross_entropy_with_logits(T(z), T(y * (1 - 0.2) + 0.2 / 2))",
                "la.binary_cross_entropy_with_logits(z, y, label_smoothing=0.2)",
            ),
            Row(
                "smp",
                "smp.losses.SoftBCEWithLogitsLoss(smooth_factor=0.2)(T(z), T(y))",
                "la.binary_cross_entropy_with_logits(z, y, label_smoothing=2 * 0.2)",
                recorded=0.8,
                check="la.smooth_labels(np.array([1.0, 0.0]), alpha=2 * 0.2)[0]",
                atol=5e-3,
                note="smp's smoothed target for y = 1, s = 0.2 (recorded)",
            ),
        ),
        sources=("libraries: binary label smoothing", "users: label smoothing (BCE)"),
    ),
    Entry(
        key="ignore_index",
        title="Ignored labels: default value and denominator",
        topic=_K,
        explanation=(
            "torch's `ignore_index` defaults to **−100** (lossapi's to `None`: nothing ignored), so "
            "pass `ignore_index=-100` to keep torch's behaviour (a mismatch such as −1 vs −100 "
            "silently trains on padding). torch and keras (`ignore_class`) average over the "
            "**valid** entries only (0.63423 for the inputs below); smp `SoftCrossEntropyLoss` "
            "zeroes ignored rows but still **counts** them (0.42282 = 0.63423 × 2/3; its default "
            "`smooth_factor=None` even raises `TypeError`); optax's `where=` returns 0 for masked "
            "rows and leaves the division to the caller. lossapi divides by the number of valid "
            'entries; smp\'s count is `reduction="sum"` divided by the number of labels. The smp '
            "row checks that ratio against the recorded numbers. An `ignore_index` that is a valid "
            "class still sits in the softmax normaliser, in torch and in lossapi."
        ),
        setup=(
            "z = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3], [-0.5, 0.2, 2.0]])\n"
            "labels = np.array([0, -100, 2]); valid = labels != -100"
        ),
        rows=(
            Row("torch", "F.cross_entropy(T(z), T(labels))", "la.cross_entropy(z, labels, ignore_index=-100)"),
            Row(
                "keras",
                "keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100)(labels, z)",
                "la.cross_entropy(z, labels, ignore_index=-100)",
            ),
            Row(
                "optax",
                "optax.losses.softmax_cross_entropy_with_integer_labels(z, np.where(valid, labels, 0), where=valid)",
                'la.cross_entropy(z, labels, ignore_index=-100, reduction="none")',
            ),
            Row(
                "smp",
                "smp.losses.SoftCrossEntropyLoss(smooth_factor=0.0, ignore_index=-100)(T(z), T(labels))",
                'la.cross_entropy(z, labels, ignore_index=-100, reduction="sum") / labels.size',
                recorded=0.42282 / 0.63423,
                check=(
                    'la.cross_entropy(z, labels, ignore_index=-100, reduction="sum") / labels.size'
                    " / la.cross_entropy(z, labels, ignore_index=-100)"
                ),
                atol=2e-5,
                note="ratio of smp's 0.42282 to torch's 0.63423 (recorded)",
            ),
        ),
        sources=("libraries: ignore-index denominator", "users: ignore label mismatch (-1 vs -100)"),
    ),
    Entry(
        key="weight_ignore_smoothing",
        title="Class weights, ignored labels and label smoothing together",
        topic=_K,
        explanation=(
            "Combining `weight`, `ignore_index` and `label_smoothing` in torch's cross-entropy "
            "was broken until pytorch#69511 (denominator) and #73205 (the uniform part counted "
            "ignored positions). torch 2.13 and lossapi agree on the combination: the smoothed "
            "loss of each valid row, weighted by its label's class weight, divided by the sum "
            "of those weights. An ignored class that is also a real class (`ignore_index=1`) "
            "stays in the normaliser in both."
        ),
        setup=(
            "z = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3], [-0.5, 0.2, 2.0], [1.0, 1.0, 0.0]])\n"
            "labels = np.array([0, -100, 2, 1]); cw = np.array([1.0, 2.0, 0.5])"
        ),
        rows=(
            Row(
                "torch",
                "F.cross_entropy(T(z), T(labels), weight=T(cw), label_smoothing=0.1)",
                "la.cross_entropy(z, labels, class_weight=cw, ignore_index=-100, label_smoothing=0.1)",
            ),
            Row(
                "torch",
                "F.cross_entropy(T(z), T(np.abs(labels) % 3), ignore_index=1)",
                "la.cross_entropy(z, np.abs(labels) % 3, ignore_index=1)",
                variant="real_class",
            ),
        ),
        sources=("users: weight + ignore_index + label smoothing",),
    ),
    Entry(
        key="out_of_range_labels",
        title="Out-of-range labels: error, zero row or NaN",
        topic=_K,
        explanation=(
            "torch's `one_hot` and `cross_entropy` raise on a label outside [0, C) (pytorch#45352 "
            "asks for TensorFlow's behaviour; on a GPU it is a device-side assert), and torch "
            "silently skips -100 because it is `ignore_index`'s default, while `jax.nn.one_hot` "
            "and `tf.one_hot` return an all-zero row, so optax's `softmax_cross_entropy` on such "
            "a target silently gives loss 0 for that row (and `.mean()` still counts it); JAX's "
            "gather wraps -1 around to the last class. lossapi gives the same answer on every "
            "backend, eagerly and under `jax.jit` / `torch.compile`, without a host "
            "synchronisation: the entry of a label outside [0, C) that is not `ignore_index` is "
            'NaN (`reduction="none"`), carries no weight, and makes `"mean"`/`"sum"` NaN (-100 '
            "is ignored only with `ignore_index=-100`). Inside `lossapi.check_values()` the same "
            "call raises `InvalidValueError` naming the first bad label. To keep such rows out on "
            'purpose pass a `where` mask: masked rows give 0 with `reduction="none"`, may hold '
            'any label, and `"mean"` divides by the kept rows only.'
        ),
        setup=(
            "z = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3], [-0.5, 0.2, 2.0]])\n"
            "labels = np.array([0, 5, 2]); valid = (labels >= 0) & (labels < 3)"
        ),
        rows=(
            Row(
                "optax",
                "optax.losses.softmax_cross_entropy(z, jax.nn.one_hot(labels, 3))",
                'la.cross_entropy(z, labels, where=valid, reduction="none")',
            ),
            Row(
                "optax",
                "optax.losses.softmax_cross_entropy(z, jax.nn.one_hot(labels, 3)).sum() / valid.sum()",
                "la.cross_entropy(z, labels, where=valid)",
                variant="mean_over_valid",
            ),
            Row(
                "optax",
                "optax.losses.softmax_cross_entropy(z, jax.nn.one_hot(labels, 3))",
                'la.cross_entropy(z, labels, reduction="none")',
                variant="unmasked_is_nan",
                same=False,
            ),
        ),
        sources=("users: one_hot out of range",),
    ),
    Entry(
        key="focal_alpha",
        title="Focal loss: the α default",
        topic=_K,
        explanation=(
            "torchvision `sigmoid_focal_loss` **applies α = 0.25** by default (α < 0 disables it) "
            "and returns per-element values; optax `sigmoid_focal_loss` has **no α** by default; "
            "keras `BinaryFocalCrossentropy` **ignores α** unless `apply_class_balancing=True`; "
            "keras `CategoricalFocalCrossentropy` **always** multiplies by α (0.25, one scalar for "
            "every class); smp `FocalLoss` defaults to no α but its helper "
            "`focal_loss_with_logits` to 0.25; MONAI `FocalLoss` is sigmoid by default with "
            "`alpha=None`. lossapi's `alpha` defaults to `None` (no α): pass `alpha=0.25` to "
            "reproduce torchvision and keras' categorical focal loss."
        ),
        setup=(
            "z = np.array([2.0, -1.0, 0.3]); y = np.array([1.0, 0.0, 1.0])\n"
            "zc = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3]]); labels = np.array([0, 2])"
        ),
        rows=(
            Row(
                "torchvision",
                "ops.sigmoid_focal_loss(T(z), T(y))",
                'la.sigmoid_focal(z, y, alpha=0.25, reduction="none")',
                recorded=(0.00045, 0.01699, 0.0251),
                atol=5e-5,
            ),
            Row("optax", "optax.losses.sigmoid_focal_loss(z, y)", 'la.sigmoid_focal(z, y, reduction="none")'),
            Row("keras", "keras.losses.BinaryFocalCrossentropy(from_logits=True)(y, z)", "la.sigmoid_focal(z, y)"),
            Row(
                "keras",
                "keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, from_logits=True)(y, z)",
                "la.sigmoid_focal(z, y, alpha=0.25)",
                variant="balanced",
            ),
            Row(
                "keras",
                "keras.losses.CategoricalFocalCrossentropy(from_logits=True)(np.eye(3)[labels], zc)",
                "la.softmax_focal(zc, labels, alpha=0.25)",
                variant="categorical",
            ),
        ),
        sources=("libraries: focal alpha", "users: focal alpha"),
    ),
    Entry(
        key="multiclass_focal",
        title='"Multiclass" focal: one-vs-rest sigmoid or softmax',
        topic=_K,
        explanation=(
            'smp `FocalLoss(mode="multiclass")` is **not** a softmax focal loss: it applies the '
            "sigmoid focal loss one-vs-rest to `(y_true == c)` for each class and averages the "
            "per-class losses (each a mean over the pixels), i.e. the mean over pixels and classes "
            "(class weights make it a weighted class mean). Softmax focal loss is keras "
            "`CategoricalFocalCrossentropy`, MONAI "
            "`FocalLoss(use_softmax=True)` (where a scalar α gives the background 1 − α and the "
            "other classes α) and smp's private `softmax_focal_loss_with_logits`. lossapi has "
            "both: `la.sigmoid_focal` on a one-hot target (one-vs-rest, per element) and "
            "`la.softmax_focal`, which also takes class probabilities (keras' class sum). keras' "
            "`label_smoothing` is lossapi's: (1 − s)·t + s/C for the categorical loss, "
            "t·(1 − s) + s/2 for the binary one."
        ),
        setup=(
            "zc = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3]]); labels = np.array([0, 2]); onehot = np.eye(3)[labels]"
        ),
        rows=(
            Row(
                "optax",
                "optax.losses.sigmoid_focal_loss(zc, onehot)",
                'la.sigmoid_focal(zc, onehot, reduction="none")',
                variant="one_vs_rest",
            ),
            Row(
                "keras",
                "keras.losses.CategoricalFocalCrossentropy(alpha=1.0, from_logits=True)(onehot, zc)",
                "la.softmax_focal(zc, labels)",
                variant="softmax",
            ),
            Row(
                "smp",
                'smp.losses.FocalLoss("multiclass")(T(zc), T(labels))',
                "la.sigmoid_focal(zc, onehot)",
            ),
            Row(
                "keras",
                "keras.losses.CategoricalFocalCrossentropy(alpha=1.0, from_logits=True, label_smoothing=0.1)"
                "(onehot, zc)",
                "la.softmax_focal(zc, labels, label_smoothing=0.1)",
                variant="label_smoothing",
            ),
            Row(
                "keras",
                "keras.losses.BinaryFocalCrossentropy(from_logits=True, label_smoothing=0.1)(onehot, zc)",
                "la.sigmoid_focal(zc, onehot, label_smoothing=0.1)",
                variant="binary_label_smoothing",
            ),
        ),
        sources=("libraries: smp multiclass focal",),
    ),
    # ---------------------------------------------------------------- margin losses
    Entry(
        key="multiclass_hinge",
        title="Multiclass hinge is three different losses",
        topic=_M,
        explanation=(
            "torch `multi_margin_loss` is **Weston–Watkins** divided by C: "
            "Σ_{j≠y} max(0, 1 − x_y + x_j)/C. optax `multiclass_hinge_loss` and sklearn "
            "`hinge_loss` (multiclass) are **Crammer–Singer**: max(0, 1 + max_{j≠y} x_j − x_y). "
            "keras `categorical_hinge` is max(0, 1 + max((1 − y)·ŷ) − Σy·ŷ): the masked true class "
            "becomes a 0 inside the max, so when every wrong-class score is negative the loss is "
            "not Crammer–Singer (0.5 instead of 0.3 on the first row). lossapi: "
            '`la.multiclass_hinge(variant="crammer_singer")` (default), '
            '`variant="weston_watkins"` for torch, `la.categorical_hinge` for keras.'
        ),
        setup=(
            "s = np.array([[0.5, -0.2, -0.3], [0.5, 0.4, -1.0]]); labels = np.array([0, 0])\n"
            "s4 = np.concatenate([s, [[-1.0, 2.0, -1.0], [-1.0, -1.0, 3.0]]]); labels4 = np.array([0, 0, 1, 2])"
        ),
        rows=(
            Row(
                "torch",
                'F.multi_margin_loss(T(s), T(labels), reduction="none")',
                'la.multiclass_hinge(s, labels, variant="weston_watkins", reduction="none")',
            ),
            Row(
                "optax",
                "optax.losses.multiclass_hinge_loss(s, labels)",
                'la.multiclass_hinge(s, labels, reduction="none")',
            ),
            Row("sklearn", "metrics.hinge_loss(labels4, s4, labels=[0, 1, 2])", "la.multiclass_hinge(s4, labels4)"),
            Row(
                "keras",
                "keras.losses.categorical_hinge(np.eye(3)[labels], s)",
                'la.categorical_hinge(s, np.eye(3)[labels], reduction="none")',
            ),
        ),
        sources=("libraries: multiclass hinge",),
    ),
    Entry(
        key="binary_hinge_labels",
        title="Binary hinge: label conventions",
        topic=_M,
        explanation=(
            "keras `hinge`/`squared_hinge` convert {0, 1} labels to {−1, 1} and average the last "
            "axis; optax `hinge_loss` expects ±1 and converts nothing (a 0 label gives a constant "
            "loss of 1); sklearn `hinge_loss` binarises any two labels (the larger is +1). torch "
            "has **no classic hinge**: `hinge_embedding_loss` is x for y = 1 and max(0, m − x) for "
            "y = −1 (meant for distances), and `soft_margin_loss` is the logistic "
            "log(1 + e^{−yx}). lossapi's `la.hinge` reads 0 as −1 (so {0, 1} and ±1 both work); "
            "torch's two losses are `la.hinge_embedding` and `la.soft_margin`."
        ),
        setup=(
            "s = np.array([0.3, -0.4, 2.0, -1.5]); y01 = np.array([1.0, 0.0, 0.0, 1.0]); ypm = 2 * y01 - 1\n"
            "d = np.array([0.3, -0.4]); yd = np.array([1.0, -1.0])"
        ),
        rows=(
            Row("keras", "keras.losses.hinge(y01, s)", "la.hinge(s, y01)"),
            Row("keras", "keras.losses.squared_hinge(y01, s)", "la.squared_hinge(s, y01)", variant="squared"),
            Row("optax", "optax.losses.hinge_loss(s, ypm)", 'la.hinge(s, ypm, reduction="none")'),
            Row("sklearn", "metrics.hinge_loss(y01, s)", "la.hinge(s, y01)"),
            Row(
                "torch",
                'F.hinge_embedding_loss(T(d), T(yd), reduction="none")',
                'la.hinge_embedding(d, yd, reduction="none")',
                variant="hinge_embedding",
            ),
            Row(
                "torch",
                'F.soft_margin_loss(T(s), T(ypm), reduction="none")',
                'la.soft_margin(s, ypm, reduction="none")',
                variant="soft_margin",
            ),
        ),
        sources=("libraries: binary hinge labels", "users: hinge labels"),
    ),
    # ---------------------------------------------------------------- similarity, sequence
    Entry(
        key="cosine_sign",
        title="Cosine similarity: sign and distance",
        topic=_S,
        explanation=(
            "keras' `cosine_similarity` **loss** returns **−cos** (so it can be minimised); optax "
            "`cosine_similarity` returns **+cos** and `cosine_distance` 1 − cos; torch has "
            "`cosine_similarity` (+cos, eps 1e-8) and the pair loss `cosine_embedding_loss` "
            "(1 − cos for y = 1, max(0, cos − margin) for y = −1). lossapi has `la.cosine_distance` "
            "(1 − cos): keras' value is `la.cosine_distance(...) - 1`, +cos is "
            "`1 - la.cosine_distance(...)`; torch's pair loss is `la.cosine_embedding`."
        ),
        setup=(
            "a = np.array([[1.0, 0.0], [1.0, 1.0]]); b = np.array([[1.0, 0.0], [-1.0, -1.0]])\n"
            "y = np.array([1.0, -1.0])"
        ),
        rows=(
            Row("keras", "keras.losses.cosine_similarity(a, b)", 'la.cosine_distance(b, a, reduction="none") - 1'),
            Row(
                "optax",
                "optax.losses.cosine_similarity(b, a)",
                '1 - la.cosine_distance(b, a, reduction="none")',
                variant="similarity",
            ),
            Row(
                "optax",
                "optax.losses.cosine_distance(b, a)",
                'la.cosine_distance(b, a, reduction="none")',
                variant="distance",
            ),
            Row(
                "torch",
                "F.cosine_similarity(T(a), T(b))",
                '1 - la.cosine_distance(a, b, reduction="none")',
                variant="similarity",
            ),
            Row(
                "torch",
                'F.cosine_embedding_loss(T(a), T(b), T(y), margin=-0.5, reduction="none")',
                'la.cosine_embedding(a, b, y, margin=-0.5, reduction="none")',
                variant="embedding",
            ),
        ),
        sources=("libraries: cosine sign", "users: cosine loss"),
    ),
    Entry(
        key="triplet",
        title="Triplet margin: eps placement and PML's defaults",
        topic=_S,
        explanation=(
            "torch `triplet_margin_loss` and optax `triplet_margin_loss` both use margin 1.0 on "
            "**raw** embeddings with explicit triplets, but torch adds eps to the **difference "
            "vector** (`pairwise_distance`) while optax adds it **inside the root**. lossapi: "
            '`la.triplet_margin(eps_placement="difference")` (default, torch) or '
            '`eps_placement="root"` (optax). PML `TripletMarginLoss` is a different recipe: '
            "margin 0.05 on **L2-normalised** embeddings, every triplet formed from the batch's "
            "labels, and the mean over non-zero losses only: that is `la.batch_triplet` (see the "
            "pytorch-metric-learning entry)."
        ),
        setup=(
            "anc = np.array([[0.0, 0.0], [1.0, 2.0]]); pos = np.array([[0.0, 0.0], [1.5, 2.0]])\n"
            "neg = np.array([[0.3, 0.4], [0.0, 0.0]])"
        ),
        rows=(
            Row(
                "torch",
                'F.triplet_margin_loss(T(anc), T(pos), T(neg), reduction="none")',
                'la.triplet_margin(anc, pos, neg, reduction="none")',
            ),
            Row(
                "optax",
                "optax.losses.triplet_margin_loss(anc, pos, neg)",
                'la.triplet_margin(anc, pos, neg, eps_placement="root", reduction="none")',
            ),
        ),
        sources=("libraries: triplet defaults", "libraries: PML triplet margin"),
    ),
    Entry(
        key="pml_conventions",
        title="pytorch-metric-learning: labels in, its distance, reducers and ArcFace's degrees",
        topic=_S,
        explanation=(
            "PML's losses take a batch of embeddings and class labels and form every pair or "
            "triplet themselves, as `la.batch_triplet`, `la.batch_contrastive`, `la.supcon`, "
            "`la.circle`, `la.multi_similarity` do. Its default distance is the Euclidean distance "
            "between **L2-normalised** embeddings (`normalize=True`; `LpDistance(power=2)` is "
            "`distance='squared'`, `CosineSimilarity()` is `distance='cosine'`). Its default "
            "reducer for triplets, pair margins, SupCon and Circle averages only the **non-zero** "
            "terms (lossapi's `nonzero_mean=True`, and for SupCon/Circle the anchors that have "
            "positives / both kinds of pair); `ContrastiveLoss` averages its positive and negative "
            "pairs **separately** and adds the two means. Miners: `BatchHardMiner` is "
            "`mining='hard'`, `TripletMarginMiner(m, type_of_triplets='semihard')` is "
            "`mining='semihard'`. `ArcFaceLoss(margin=28.6)` takes the margin in **degrees**: "
            "`la.arcface(margin=math.radians(28.6))`; its weight `W` is `(D, C)`, lossapi's "
            "`class_centers` `(C, D)` (a linear layer's layout): pass `W.T`. keras' `Circle` "
            "expects L2-normalised embeddings (it does not normalise) and differentiates through "
            "the pair weights, which PML and lossapi hold constant: same value, other gradient."
        ),
        setup=(
            "emb = np.array([[1.0, 0.2, 0.0], [0.9, 0.1, 0.3], [-0.5, 1.0, 0.2], [-0.4, 0.8, 0.5],\n"
            "                [0.1, -0.3, 1.0], [0.5, 0.0, 0.9]])\n"
            "labels = np.array([0, 0, 1, 1, 2, 2])\n"
            "centers = np.array([[1.0, 0.25, 0.0], [-0.5, 1.0, 0.5], [0.0, -0.25, 1.0]])  # (C, D)\n"
            "unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)"
        ),
        rows=(
            Row(
                "PML",
                "pml.losses.TripletMarginLoss(margin=0.5)(T(emb), T(labels))",
                "la.batch_triplet(emb, labels, margin=0.5)",
                variant="triplet",
                recorded=0.179328911212,
                atol=5e-12,
            ),
            Row(
                "PML",
                "pml.losses.TripletMarginLoss(margin=0.2, distance=pml.distances.CosineSimilarity())"
                "(T(emb), T(labels), pml.miners.BatchHardMiner()(T(emb), T(labels)))",
                'la.batch_triplet(emb, labels, margin=0.2, mining="hard", distance="cosine")',
                variant="hard_cosine",
                recorded=0.0533121574149,
                atol=5e-12,
            ),
            Row(
                "PML",
                "pml.losses.ContrastiveLoss(pos_margin=0.1, neg_margin=1.2)(T(emb), T(labels))",
                "la.batch_contrastive(emb, labels, pos_margin=0.1, neg_margin=1.2)",
                variant="contrastive",
                recorded=0.521812188237,
                atol=5e-12,
            ),
            Row(
                "PML",
                "pml.losses.SupConLoss(temperature=0.5)(T(emb), T(labels))",
                "la.supcon(emb, labels, temperature=0.5)",
                variant="supcon",
                recorded=0.637642259101,
                atol=5e-12,
            ),
            Row(
                "PML",
                "pml.losses.ArcFaceLoss(3, 3, margin=28.6, scale=16.0, "
                "weight_init_func=lambda W: W.data.copy_(T(centers.T)))(T(emb), T(labels))",
                "la.arcface(emb, centers, labels, margin=np.radians(28.6), scale=16.0)",
                variant="arcface_degrees",
                recorded=0.0920940894374,
                atol=5e-12,
            ),
            Row(
                "keras",
                "keras.losses.Circle(gamma=80.0, margin=0.4)(labels, unit)",
                "la.circle(emb, labels)",
                variant="circle_normalised",
                rtol=1e-5,  # keras computes in float32
            ),
        ),
        sources=("libraries: PML labels, distance and reducers", "libraries: ArcFace margin in degrees"),
    ),
    Entry(
        key="ntxent_variants",
        title='NT-Xent and the name "ContrastiveLoss"',
        topic=_S,
        explanation=(
            "optax `ntxent(embeddings, labels, temperature=0.07)` takes one batch plus group "
            "labels; lossapi's `la.ntxent` has the same signature and equals it. MONAI "
            "`ContrastiveLoss(temperature=0.5)` is NT-Xent on **two views** `(B, F)` (SimCLR) "
            "with another default temperature: stack the views and give each pair one label, "
            "`la.ntxent(np.concatenate([v1, v2]), np.concatenate([ids, ids]), temperature=0.5)`. PML "
            "`NTXentLoss(temperature=0.07)` works from embeddings and labels like optax, and its "
            "default reducer (`MeanReducer`) averages over the positive pairs: lossapi's `'mean'`. The "
            '**name** "ContrastiveLoss" means NT-Xent in MONAI but the margin pair loss '
            "(`pos_margin=0, neg_margin=1`, on normalised embeddings) in PML; lossapi calls the "
            "margin pair loss `la.contrastive` (squared Euclidean distances on raw embeddings)."
        ),
        setup=(
            "emb = np.array([[1.0, 0.2, 0.0], [0.9, 0.1, 0.3], [-0.5, 1.0, 0.2], [-0.4, 0.8, 0.5]])\n"
            "groups = np.array([0, 0, 1, 1])"
        ),
        rows=(
            Row("optax", "optax.losses.ntxent(emb, groups)", "la.ntxent(emb, groups)"),
            Row(
                "optax",
                "optax.losses.ntxent(emb, groups, temperature=0.5)",
                "la.ntxent(emb, groups, temperature=0.5)",
                variant="t0.5",
            ),
            Row(
                "MONAI",
                "monai.losses.ContrastiveLoss(temperature=0.5)(T(emb[:2]), T(emb[2:]))",
                "la.ntxent(emb, np.array([0, 1, 0, 1]), temperature=0.5)",
                variant="two_views",
            ),
            Row(
                "PML",
                "pml.losses.NTXentLoss(temperature=0.5)(T(emb), T(groups))",
                "la.ntxent(emb, groups, temperature=0.5)",
                recorded=0.177805401574,
                atol=5e-13,
            ),
        ),
        sources=("libraries: NT-Xent variants", "libraries: ContrastiveLoss name"),
    ),
    Entry(
        key="ctc",
        title='CTC: layout, lengths and "mean"',
        topic=_S,
        explanation=(
            "torch `ctc_loss` wants log-softmaxed, **time-major** `(T, N, C)` input plus lengths, "
            "and its `'mean'` divides each sequence's loss by its **target length** before "
            "averaging. optax `ctc_loss` takes **batch-major** `(B, T, K)` logits with **padding "
            "masks** (1 = padded) and returns the un-normalised per-sequence loss. keras "
            "`CTC()`/`ctc(y_true, y_pred)` **hard-codes blank 0**, takes the label length as the "
            "count of non-zero labels and the full T as input length, and averages over the "
            "batch. lossapi's `la.ctc(log_probs, labels, input_lengths, label_lengths)` is "
            "batch-major (`time_major=True` for torch's layout); its `\"mean\"` is torch's, "
            '`reduction="none"` optax\'s, and `reduction="sum"` divided by B keras\'.'
        ),
        setup=(
            "rng = np.random.default_rng(6)\n"
            "z = rng.normal(size=(2, 5, 4)); lp = z - np.log(np.exp(z).sum(-1, keepdims=True))\n"
            "labels = np.array([[1, 2], [3, 0]]); in_len = np.array([5, 4]); lab_len = np.array([2, 1])\n"
            "in_pad = (np.arange(5) >= in_len[:, None]).astype(float)\n"
            "lab_pad = (np.arange(2) >= lab_len[:, None]).astype(float)"
        ),
        rows=(
            Row(
                "torch",
                "F.ctc_loss(T(lp).transpose(0, 1), T(labels), T(in_len), T(lab_len))",
                "la.ctc(lp, labels, in_len, lab_len)",
            ),
            Row(
                "torch",
                'F.ctc_loss(T(lp).transpose(0, 1), T(labels), T(in_len), T(lab_len), reduction="sum")',
                'la.ctc(np.swapaxes(lp, 0, 1), labels, in_len, lab_len, time_major=True, reduction="sum")',
                variant="time_major_sum",
            ),
            Row(
                "optax",
                "optax.losses.ctc_loss(lp, in_pad, labels, lab_pad)",
                'la.ctc(lp, labels, in_len, lab_len, reduction="none")',
            ),
            Row(
                "keras",
                "keras.losses.CTC()(labels, lp)",
                'la.ctc(lp, labels, np.full(2, 5), np.count_nonzero(labels, axis=-1), reduction="sum") / 2',
            ),
        ),
        sources=("libraries: CTC", "users: CTC mean"),
    ),
    # ---------------------------------------------------------------- segmentation, detection
    Entry(
        key="tversky_alpha",
        title="Tversky: which of α and β weights false positives",
        topic=_D,
        explanation=(
            "In the paper, MONAI, smp and optax, **α weights false positives** and β false "
            "negatives. keras 3.15.1's `tversky` is swapped relative to its own docstring: α "
            "weights **false negatives** (fixed upstream in keras PR #23333; check your "
            "version). With y = [1, 1, 0, 0], ŷ = [1, 0, 1, 1] (TP 1, FN 1, FP 2), α = 1, β = 0: "
            "MONAI and smp give 0.667, keras 3.15.1 0.5. lossapi follows the paper; to reproduce "
            "keras 3.15.1 swap the two. Smoothing differs too: MONAI 1e-5, smp 0 (eps 1e-7), "
            "optax 1, keras none (eps 1e-7 in the denominator); lossapi's is `smooth=` (default 1)."
        ),
        setup=(
            "y = np.array([[1.0, 1.0, 0.0, 0.0]]); yhat = np.array([[1.0, 0.0, 1.0, 1.0]])\n"
            "y2 = np.stack([1 - y, y], -1); yhat2 = np.stack([1 - yhat, yhat], -1)"
        ),
        rows=(
            Row(
                "MONAI",
                "monai.losses.TverskyLoss(alpha=1.0, beta=0.0)(T(yhat[:, None]), T(y[:, None]))",
                "la.tversky(yhat, y, alpha=1.0, beta=0.0, smooth=1e-5, axis=None)",
                recorded=0.667,
                atol=5e-4,
            ),
            Row(
                "smp",
                'smp.losses.TverskyLoss("binary", from_logits=False, alpha=1.0, beta=0.0)'
                "(T(yhat[:, None]), T(y[:, None]))",
                "la.tversky(yhat, y, alpha=1.0, beta=0.0, smooth=0.0, axis=None)",
                recorded=0.667,
                atol=5e-4,
            ),
            Row(
                "optax",
                'optax.losses.dice_loss(yhat2, y2, alpha=1.0, beta=0.0, apply_softmax=False, reduction="none")[..., 1]',
                'la.tversky(yhat, y, alpha=1.0, beta=0.0, smooth=1.0, axis=None, reduction="none")',
            ),
            Row(
                "keras",
                "keras.losses.tversky(y, yhat, alpha=1.0, beta=0.0)",
                "la.tversky(yhat, y, alpha=0.0, beta=1.0, smooth=0.0, axis=None, per_sample=False)",
            ),
        ),
        sources=("libraries: Tversky alpha/beta",),
    ),
    Entry(
        key="dice_defaults",
        title="Dice: activation, smoothing and pooling",
        topic=_D,
        explanation=(
            "keras `dice(y_true, y_pred, axis=None)`: no activation, one Dice over **all axes "
            "including the batch**, no smoothing (eps 1e-7); per sample with `axis=(1, 2)`. optax "
            "`dice_loss`: **softmax applied** by default, smooth = 1 (its smooth is half of "
            "lossapi's: numerator 2Σpt + s), per sample and class, mean over classes. smp "
            "`DiceLoss`: activation applied, statistics **pooled over the batch** per class, "
            "absent classes zeroed. MONAI `DiceLoss`: no activation, per sample and class, "
            "smooth 1e-5 in numerator and denominator (`la.dice(..., smooth=1e-5)`, channel axis "
            "`axis=1`). lossapi's `la.dice` takes probabilities (apply the activation yourself), "
            "computes per sample (`per_sample=False` pools the batch), averages the classes, and "
            "uses `smooth=1.0` in numerator and denominator."
        ),
        setup=(
            "rng = np.random.default_rng(3)\n"
            "y = (rng.random((2, 4, 4)) > 0.5).astype(float); p = rng.random((2, 4, 4))\n"
            "z = rng.normal(size=(2, 4, 4, 3)); labels = rng.integers(0, 3, size=(2, 4, 4))\n"
            "onehot = np.eye(3)[labels]; sm = np.exp(z) / np.exp(z).sum(-1, keepdims=True)"
        ),
        rows=(
            Row(
                "keras", "keras.losses.dice(y, p)", "la.dice(p, y, smooth=0.0, per_sample=False, axis=None)", rtol=1e-5
            ),
            Row(
                "keras",
                "keras.losses.dice(y, p, axis=(1, 2))",
                'la.dice(p, y, smooth=0.0, axis=None, reduction="none")',
                variant="per_sample",
            ),
            Row("optax", "optax.losses.dice_loss(z, onehot)", 'la.dice(sm, onehot, smooth=2.0, reduction="none")'),
            Row(
                "MONAI",
                "monai.losses.DiceLoss(reduction='none')(T(np.moveaxis(sm, -1, 1)), T(np.moveaxis(onehot, -1, 1)))"
                ".mean(1).flatten()",
                'la.dice(np.moveaxis(sm, -1, 1), np.moveaxis(onehot, -1, 1), smooth=1e-5, axis=1, reduction="none")',
            ),
        ),
        sources=("libraries: Dice defaults",),
    ),
    Entry(
        key="monai_smp_conventions",
        title="MONAI and smp: class weights, sums, Jaccard smoothing, compound losses, absent classes",
        topic=_D,
        explanation=(
            "Where MONAI or smp keeps a convention of its own, a lossapi call still reproduces it. "
            "MONAI's `weight` multiplies the per-class losses before a **plain mean** over "
            "(sample, class) pairs; lossapi's `class_weight` is a weighted mean (divides by the "
            "weights): take `per_class=True, reduction='none'` and average the weighted entries. "
            "MONAI's `reduction='sum'` adds every (sample, class) loss: `per_class=True, "
            "reduction='sum'`. MONAI's `jaccard=True` puts its smoothing on (I + s) / (P + T - I + s) "
            "with P + T counted twice in its own terms: `smooth_nr=a, smooth_dr=b` is lossapi's "
            "`jaccard(smooth=a / 2, smooth_dr=b / 2)`. `DiceCELoss(reduction='sum')` is the Dice sum "
            "over (sample, class) plus the cross-entropy summed over pixels. `DiceFocalLoss(softmax="
            "True)` keeps a **sigmoid** focal term (its `FocalLoss` default): the Dice of the softmax "
            "plus `sigmoid_focal` on the one-hot target, while lossapi's `dice_focal(activation="
            "'softmax')` uses the softmax focal term. smp's `DiceLoss('multiclass')` pools the batch "
            "and **scores classes absent from the target 0** in its class mean: multiply lossapi's "
            "per-class losses by the classes present."
        ),
        setup=(
            "rng = np.random.default_rng(11)\n"
            "z = rng.normal(size=(2, 3, 4, 4)); labels = rng.integers(0, 2, size=(2, 4, 4))  # class 2 absent\n"
            "onehot = np.moveaxis(np.eye(3)[labels], -1, 1); sm = np.exp(z) / np.exp(z).sum(1, keepdims=True)\n"
            "w = np.array([0.5, 2.0, 1.0]); present = onehot.sum(axis=(0, 2, 3)) > 0"
        ),
        rows=(
            Row(
                "MONAI",
                "monai.losses.DiceLoss(weight=T(w))(T(sm), T(onehot))",
                "la.dice(sm, onehot, axis=1, smooth=1e-5, per_class=True, class_weight=w, reduction='none').mean()",
                variant="weight",
                recorded=0.861048467876,
                atol=5e-13,
            ),
            Row(
                "MONAI",
                "monai.losses.DiceLoss(reduction='sum')(T(sm), T(onehot))",
                "la.dice(sm, onehot, axis=1, smooth=1e-5, per_class=True, reduction='sum')",
                variant="sum",
                recorded=4.45094406778,
                atol=5e-12,
            ),
            Row(
                "MONAI",
                "monai.losses.DiceLoss(jaccard=True, smooth_nr=0.2, smooth_dr=0.6)(T(sm), T(onehot))",
                "la.jaccard(sm, onehot, axis=1, smooth=0.1, smooth_dr=0.3)",
                variant="jaccard",
                recorded=0.830900383311,
                atol=5e-13,
            ),
            Row(
                "MONAI",
                "monai.losses.DiceCELoss(softmax=True, to_onehot_y=True, reduction='sum')(T(z), T(labels[:, None]))",
                "la.dice(z, labels, axis=1, activation='softmax', smooth=1e-5, per_class=True, reduction='sum')"
                " + la.cross_entropy(z, labels, axis=1, reduction='sum')",
                variant="dice_ce_sum",
                recorded=48.0197383532,
                atol=5e-11,
            ),
            Row(
                "MONAI",
                "monai.losses.DiceFocalLoss(softmax=True, to_onehot_y=True)(T(z), T(labels[:, None]))",
                "la.dice(z, labels, axis=1, activation='softmax', smooth=1e-5) + la.sigmoid_focal(z, onehot)",
                variant="dice_focal_softmax",
                recorded=1.07978175113,
                atol=5e-12,
                rtol=1e-5,  # MONAI's FocalLoss runs in float32
            ),
            Row(
                "smp",
                "smp.losses.DiceLoss('multiclass', from_logits=True)(T(z), T(labels))",
                "(la.dice(z, labels, axis=1, activation='softmax', per_sample=False, smooth=0.0, per_class=True,"
                " reduction='none')[...] * present).mean()",
                variant="absent_classes",
                recorded=0.408985335388,
                atol=5e-13,
            ),
        ),
        sources=("libraries: MONAI and smp segmentation conventions",),
    ),
    Entry(
        key="lovasz",
        title="Lovász: smp ignores from_logits",
        topic=_D,
        explanation=(
            "Only smp has it: `LovaszLoss(mode, per_image=False, from_logits=True)` **ignores** "
            "`from_logits`: multiclass mode always applies softmax, binary mode always reads logits "
            "(the Lovász hinge). The original implementation also splits the two: "
            "`lovasz_softmax` takes probabilities and `lovasz_hinge` logits. lossapi keeps the "
            "split: `la.lovasz_softmax(probs, labels)` (apply the softmax yourself, as smp does) "
            "and `la.lovasz_hinge(logits, labels)`; smp's `per_image=False` is lossapi's pooled "
            "default for `lovasz_softmax` and `per_sample=False` for `lovasz_hinge`; its "
            "`per_image=True` is `per_sample=True` with the `'mean'` over images (the default of "
            "`la.lovasz_hinge`). An image whose pixels are all ignored scores 0 and counts in "
            "lossapi's mean; smp's per-image multiclass mean returns an empty tensor then. smp's "
            "Lovász runs in float32 only (its gradient is a float32 tensor), hence the rows' `.float()`; "
            "the reference rows check the same calls against the conformance suite's float64 "
            "NumPy oracles."
        ),
        setup=(
            "rng = np.random.default_rng(5)\n"
            "z = rng.normal(size=(2, 3, 3, 4)); sm = np.exp(z) / np.exp(z).sum(-1, keepdims=True)\n"
            "labels = rng.integers(0, 4, size=(2, 3, 3)); zb = rng.normal(size=(2, 3, 3))\n"
            "yb = rng.integers(0, 2, size=(2, 3, 3))"
        ),
        rows=(
            Row(
                "reference",
                "oracles.segmentation.lovasz_softmax(sm, labels)",
                "la.lovasz_softmax(sm, labels)",
                variant="softmax",
            ),
            Row(
                "reference",
                "oracles.segmentation.lovasz_hinge(zb, yb, per_sample=False)",
                "la.lovasz_hinge(zb, yb, per_sample=False)",
                variant="hinge",
            ),
            Row(
                "smp",
                'smp.losses.LovaszLoss("multiclass", from_logits=False)(T(np.moveaxis(z, -1, 1)).float(), T(labels))',
                "la.lovasz_softmax(sm, labels)",
                variant="multiclass",
            ),
            Row(
                "smp",
                'smp.losses.LovaszLoss("binary")(T(zb[:, None]).float(), T(yb[:, None]).float())',
                "la.lovasz_hinge(zb, yb, per_sample=False)",
                variant="binary",
            ),
            Row(
                "smp",
                'smp.losses.LovaszLoss("multiclass", per_image=True)(T(np.moveaxis(z, -1, 1)).float(), T(labels))',
                "la.lovasz_softmax(sm, labels, per_sample=True)",
                variant="multiclass_per_image",
                recorded=0.75667572021,
                atol=5e-7,
            ),
            Row(
                "smp",
                'smp.losses.LovaszLoss("binary", per_image=True)(T(zb[:, None]).float(), T(yb[:, None]).float())',
                "la.lovasz_hinge(zb, yb)",
                variant="binary_per_image",
                recorded=1.37376356125,
                atol=5e-7,
            ),
        ),
        sources=("libraries: Lovasz", "users: logits vs probabilities, lovasz"),
    ),
    Entry(
        key="box_losses",
        title="Box losses: torchvision, MONAI and smooth-L1's β",
        topic=_D,
        explanation=(
            "torchvision `generalized_box_iou_loss(boxes1, boxes2, reduction='none', eps=1e-7)` "
            "takes 2-D `(x1, y1, x2, y2)` boxes paired elementwise, is symmetric and does not "
            "reduce by default; it also has DIoU and CIoU. MONAI `BoxGIoULoss(reduction='mean')` "
            "also takes 3-D `(N, 6)` boxes and averages by default; lossapi's box losses are 2-D "
            "only. torchvision's detection models regress boxes with smooth-L1 at **β = 1/9**, not "
            "torch's default 1. lossapi: `la.giou`, `la.diou`, `la.ciou` with "
            '`reduction="none"` for torchvision\'s default, `la.smooth_l1(beta=1 / 9)`. '
            "torchvision is not installable here; the conformance suite's oracles (written from "
            "torchvision's formulas) stand in."
        ),
        setup=(
            "b1 = np.array([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 4.0]])\n"
            "b2 = np.array([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 1.0, 1.0]])\n"
            "d = np.array([0.05, -0.2, 0.5]); t = np.zeros(3)"
        ),
        rows=(
            Row("torchvision", "ops.generalized_box_iou_loss(T(b1), T(b2))", 'la.giou(b1, b2, reduction="none")'),
            Row(
                "torchvision",
                "ops.complete_box_iou_loss(T(b1), T(b2))",
                'la.ciou(b1, b2, reduction="none")',
                variant="ciou",
            ),
            Row("reference", "oracles.detection.giou(b1, b2)", 'la.giou(b1, b2, reduction="none")'),
            Row("reference", "oracles.detection.diou(b1, b2)", 'la.diou(b1, b2, reduction="none")', variant="diou"),
            Row(
                "torch",
                'F.smooth_l1_loss(T(d), T(t), beta=1 / 9, reduction="none")',
                'la.smooth_l1(d, t, beta=1 / 9, reduction="none")',
            ),
            Row("MONAI", "monai.losses.BoxGIoULoss()(T(b1), T(b2))", "la.giou(b1, b2)"),
        ),
        sources=("libraries: GIoU / box losses / beta=1/9",),
    ),
    # ---------------------------------------------------------------- sklearn
    Entry(
        key="sklearn_metrics",
        title="sklearn metrics are evaluation functions",
        topic=_SK,
        explanation=(
            "sklearn's metrics return Python floats, always reduce and are not differentiable; "
            "lossapi returns a 0-d array of the inputs' library. `brier_score_loss` halves the "
            "two-class sum only in the binary case (0.1 for [0.2, 0.6] on [0, 1]) and reports "
            "the full multiclass sum otherwise: lossapi's `la.brier_score(probs, target, "
            "axis=None)` is the binary form and `la.brier_score(probs, onehot)` the multiclass "
            "sum. `log_loss` accepts label vectors plus a probability matrix with `labels=`: "
            "`la.nll(np.log(probs), labels)`. Multiclass `hinge_loss` is Crammer–Singer (see "
            "{ref}`porting-multiclass_hinge`)."
        ),
        setup=(
            "yb = np.array([0, 1]); pb = np.array([0.2, 0.6])\n"
            "P = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3]]); labels = np.array([0, 2, 1])"
        ),
        rows=(
            Row(
                "sklearn",
                "metrics.brier_score_loss(yb, pb)",
                "la.brier_score(pb, yb.astype(float), axis=None)",
                variant="binary",
            ),
            Row(
                "sklearn",
                "metrics.brier_score_loss(labels, P, labels=[0, 1, 2])",
                "la.brier_score(P, np.eye(3)[labels])",
                variant="multiclass",
            ),
            Row(
                "sklearn",
                "metrics.log_loss(labels, P, labels=[0, 1, 2])",
                "la.nll(np.log(P), labels)",
                variant="log_loss",
            ),
        ),
        sources=("libraries: sklearn metrics",),
    ),
    # ---------------------------------------------------------------- gradients at kinks
    Entry(
        key="grad_abs_zero",
        title="Gradient of abs(x) at 0",
        topic=_G,
        explanation=(
            "At e = 0, torch's `abs` and `l1_loss` give gradient 0 (pytorch#7172 reports older "
            "disagreements), while `jax.grad(jnp.abs)(0.0)` is **1**. lossapi uses the minimum-norm "
            "subgradient, **0**, on every backend (`lossapi._ops.abs_`; the conformance gradient "
            "checks visit e = 0 for every loss with a kink), so a JAX model ported to lossapi "
            "sees 0 where `jnp.abs` gave 1. The minimum-norm subgradient is lossapi's one rule "
            "at every kink (the entries below apply it to ties, clamps and norms); "
            "`tests/test_kinks.py` pins the resulting numbers on torch (fast path and generic) "
            "and JAX, bit for bit."
        ),
        setup="p0 = np.array([0.0, 1.0, -2.0]); t0 = np.zeros(3)",
        rows=(
            Row(
                "torch",
                'torch_grad(lambda p: F.l1_loss(p, T(t0), reduction="sum"), p0)',
                'torch_grad(lambda p: la.mae(p, T(t0), reduction="sum"), p0)',
                lossapi_needs=("torch",),
            ),
            Row(
                "torch",
                "torch_grad(lambda p: torch.abs(p - T(t0)).sum(), p0)",
                'torch_grad(lambda p: la.mae(p, T(t0), reduction="sum"), p0)',
                variant="abs",
                lossapi_needs=("torch",),
            ),
            Row(
                "jax",
                "jax.grad(lambda p: jnp.abs(p - t0).sum())(p0)",
                'jax.grad(lambda p: la.mae(p, jnp.asarray(t0), reduction="sum"))(p0)',
                same=False,
                lossapi_needs=("jax",),
            ),
        ),
        sources=("users: |x| at 0",),
    ),
    Entry(
        key="grad_max_tie",
        title="Gradient of max(x, 0) at the tie (hinge at the margin)",
        topic=_G,
        explanation=(
            "At a tie, `jnp.maximum(x, 0)` splits the gradient **0.5/0.5** (so optax's "
            "`hinge_loss`, built on it, has gradient −0.5 at the margin), torch's `relu` gives "
            "**0**, and torch's `clamp(min=0)` passes **1** at the boundary (pytorch#7002, "
            "#184574). lossapi's `_ops.relu` gives **0** on every backend (the minimum-norm "
            "subgradient), matching torch's `relu`."
        ),
        setup="s0 = np.array([1.0, 0.5, 2.0]); y = np.ones(3)",
        rows=(
            Row(
                "torch",
                "torch_grad(lambda s: torch.relu(1 - s * T(y)).sum(), s0)",
                'torch_grad(lambda s: la.hinge(s, T(y), reduction="sum"), s0)',
                lossapi_needs=("torch",),
            ),
            Row(
                "torch",
                "torch_grad(lambda s: torch.clamp(1 - s * T(y), min=0).sum(), s0)",
                'torch_grad(lambda s: la.hinge(s, T(y), reduction="sum"), s0)',
                variant="clamp",
                same=False,
                lossapi_needs=("torch",),
            ),
            Row(
                "optax",
                "jax.grad(lambda s: optax.losses.hinge_loss(s, y).sum())(s0)",
                'jax.grad(lambda s: la.hinge(s, jnp.asarray(y), reduction="sum"))(s0)',
                same=False,
                lossapi_needs=("jax",),
            ),
        ),
        sources=("users: max/min ties, clamp boundaries",),
    ),
    Entry(
        key="grad_smooth_points",
        title="Gradients where every library agrees: log-sigmoid at 0, Huber at the δ boundary",
        topic=_G,
        explanation=(
            "Some points look like kinks but are not. `log_sigmoid` is smooth at 0 (gradient "
            "0.5; old JAX returned 0, jax#2140), and Huber is continuously differentiable at "
            "|e| = δ, so optax's `minimum(|e|, δ)` form, torch's branch and lossapi all give δ·sign(e) "
            "there, whatever their tie rules."
        ),
        setup="x0 = np.zeros(2); p1 = np.array([1.0, -1.0, 0.3]); t1 = np.zeros(3)",
        rows=(
            Row(
                "jax",
                "jax.grad(lambda x: -jax.nn.log_sigmoid(x).sum())(x0)",
                'jax.grad(lambda x: la.binary_cross_entropy_with_logits(x, jnp.ones(2), reduction="sum"))(x0)',
                lossapi_needs=("jax",),
            ),
            Row(
                "optax",
                "jax.grad(lambda p: optax.losses.huber_loss(p, t1).sum())(p1)",
                'jax.grad(lambda p: la.huber(p, jnp.asarray(t1), reduction="sum"))(p1)',
                lossapi_needs=("jax",),
            ),
            Row(
                "torch",
                'torch_grad(lambda p: F.huber_loss(p, T(t1), reduction="sum"), p1)',
                'torch_grad(lambda p: la.huber(p, T(t1), reduction="sum"), p1)',
                lossapi_needs=("torch",),
            ),
        ),
        sources=("users: log_sigmoid at 0, Huber kink",),
    ),
    Entry(
        key="grad_norm_zero",
        title="Gradient of a norm at 0",
        topic=_G,
        explanation=(
            "The derivative of ‖x‖ does not exist at x = 0: `jax.grad` of `jnp.linalg.norm` "
            "returns **NaN** there (jax#5798; the double-`where` trick avoids it), while torch's "
            "norm backward returns 0. A contrastive loss on a pair of identical embeddings hits "
            "exactly this point. lossapi's `safe_norm` gives gradient **0** at 0 on every backend, "
            "matching torch and replacing JAX's NaN."
        ),
        setup="x1 = np.array([[1.0, 2.0], [0.5, -1.0]]); sim = np.array([0.0, 0.0])",
        rows=(
            Row(
                "torch",
                "torch_grad(lambda x: (torch.clamp(1 - torch.linalg.vector_norm(x - T(x1), dim=-1), min=0) "
                "** 2).sum(), x1)",
                'torch_grad(lambda x: la.contrastive(x, T(x1), T(sim), reduction="sum"), x1)',
                lossapi_needs=("torch",),
            ),
            Row(
                "jax",
                "jax.grad(lambda x: (jnp.maximum(1 - jnp.linalg.norm(x - x1, axis=-1), 0) ** 2).sum())(x1)",
                'jax.grad(lambda x: la.contrastive(x, jnp.asarray(x1), jnp.asarray(sim), reduction="sum"))(x1)',
                same=False,
                lossapi_needs=("jax",),
            ),
        ),
        sources=("users: sqrt / norm at 0",),
    ),
    Entry(
        key="grad_class_max_tie",
        title="Gradient of a maximum over classes at a tie (Crammer–Singer hinge)",
        topic=_G,
        explanation=(
            "When several wrong classes tie for the highest score, the maximum has no derivative. "
            "lossapi applies the same rule as at every other kink — the minimum-norm subgradient — "
            "which for a maximum is the **equal split** over the tied entries (0.5/0.5 for two). "
            "`jnp.max`, `torch.amax` and optax's `multiclass_hinge_loss` split the same way, so "
            "they agree with lossapi; `torch.max(x, dim)` returns one index and sends the whole "
            "gradient to it, so a port built on it differs from lossapi at ties."
        ),
        setup="s2 = np.array([[-1.0, 2.0, 2.0, 0.0]]); y2 = np.array([0])",
        rows=(
            Row(
                "optax",
                "jax.grad(lambda s: optax.losses.multiclass_hinge_loss(s, y2).sum())(s2)",
                'jax.grad(lambda s: la.multiclass_hinge(s, jnp.asarray(y2), reduction="sum"))(s2)',
                lossapi_needs=("jax",),
            ),
            Row(
                "torch",
                "torch_grad(lambda s: torch.clamp(1 + torch.amax(s + torch.where(torch.arange(4) == 0, "
                "-torch.inf, 0.0), dim=-1) - s[:, 0], min=0).sum(), s2)",
                'torch_grad(lambda s: la.multiclass_hinge(s, T(y2), reduction="sum"), s2)',
                variant="amax",
                lossapi_needs=("torch",),
            ),
            Row(
                "torch",
                "torch_grad(lambda s: torch.clamp(1 + torch.max(s + torch.where(torch.arange(4) == 0, "
                "-torch.inf, 0.0), dim=-1).values - s[:, 0], min=0).sum(), s2)",
                'torch_grad(lambda s: la.multiclass_hinge(s, T(y2), reduction="sum"), s2)',
                variant="max-dim",
                same=False,
                lossapi_needs=("torch",),
            ),
        ),
        sources=("gradients: kink conventions, max ties over classes",),
    ),
    Entry(
        key="grad_bce_saturated",
        title="Gradient of binary cross-entropy at saturated probabilities",
        topic=_G,
        explanation=(
            "At p = 0 or p = 1 the log in BCE is clamped at −100, so the loss is finite, and its "
            "derivative is torch's: (p − t) / max(p(1 − p), 1e-12). A correct prediction "
            "(p = t ∈ {0, 1}) has gradient **0**, a wrong one ±1e12 (finite, large, pointing the "
            "right way). lossapi gives torch's numbers on every backend, so a JAX port keeps "
            "torch's training behaviour; compute from logits (`binary_cross_entropy_with_logits`) "
            "to avoid the clamp altogether."
        ),
        setup="p3 = np.array([0.0, 1.0, 0.0, 1.0]); t3 = np.array([0.0, 1.0, 1.0, 0.0])",
        rows=(
            Row(
                "torch",
                'torch_grad(lambda p: F.binary_cross_entropy(p, T(t3), reduction="sum"), p3)',
                'torch_grad(lambda p: la.binary_cross_entropy(p, T(t3), reduction="sum"), p3)',
                lossapi_needs=("torch",),
            ),
            Row(
                "torch",
                'torch_grad(lambda p: F.binary_cross_entropy(p, T(t3), reduction="sum"), p3)',
                'jax.grad(lambda p: la.binary_cross_entropy(p, jnp.asarray(t3), reduction="sum"))(p3)',
                variant="lossapi-jax",
                lossapi_needs=("jax",),
            ),
        ),
        sources=("gradients: kink conventions, clamps at bounds",),
    ),
)


def _check_table(entries: tuple[Entry, ...]) -> None:
    """Catch authoring mistakes at import: unique keys and ids, known topics and libraries."""
    keys = [e.key for e in entries]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate porting keys: {sorted(k for k in keys if keys.count(k) > 1)}")
    for e in entries:
        if e.topic not in TOPICS:
            raise ValueError(f"porting entry {e.key!r}: unknown topic {e.topic!r}")
        ids = [row_id(r) for r in e.rows]
        if len(set(ids)) != len(ids):
            raise ValueError(f"porting entry {e.key!r}: duplicate row ids {ids}; give rows a variant")
        for r in e.rows:
            if r.library not in LIBRARIES:
                raise ValueError(f"porting entry {e.key!r}: unknown library {r.library!r}")


_check_table(ENTRIES)


def by_topic() -> Mapping[str, tuple[Entry, ...]]:
    """Entries grouped by topic, in :data:`TOPICS` order."""
    return {t: tuple(e for e in ENTRIES if e.topic == t) for t in TOPICS}
