"""lossapi losses as ``keras.losses.Loss`` objects (keras 3; JAX, torch and TensorFlow backends).

>>> import lossapi.keras  # doctest: +SKIP
>>> model.compile(optimizer="adam", loss=lossapi.keras.CrossEntropy(label_smoothing=0.1))  # doctest: +SKIP

Generated from the catalog, with the class names of :mod:`lossapi.nn` (``Huber``,
``CrossEntropy``, ``Dice``, ... and the aliases ``MSE``, ``RMSE``, ``MAE``, ``BCE``);
:func:`get` gives the class of a catalog name.

**Argument order.** keras calls a loss as ``loss(y_true, y_pred, sample_weight)``; lossapi's
two-input losses take the prediction first. ``call(y_true, y_pred)`` computes
``lossapi.<name>(y_pred, y_true, reduction="none", ...)``: ``y_pred`` is the first input
(``pred``, ``logits``, ``probs``, ``scores``, ``log_probs``, ``embeddings``, ``boxes``) and
``y_true`` the second (``target``, ``labels``, ``relevance``, ...).

**Labels.** keras converts ``y_true`` to the loss's float dtype. Where the loss's second input
holds class labels, ``call`` converts it back to ``int32``: always for ``labels``-only inputs
(``nll``, the metric-learning losses, ``lovasz_*``, ...), and for inputs that take labels or
probabilities (``cross_entropy``, ``dice``, ...) when ``y_true`` has one dimension less than
``y_pred`` (labels) - a ``y_true`` of the same rank is a one-hot/probability target, except a
trailing axis of size 1 (``(N, 1)`` labels for ``(N, C)`` logits), which is squeezed, as in
keras' ``SparseCategoricalCrossentropy``.

**Reduction and sample weights.** ``call`` returns lossapi's per-sample values
(``reduction="none"``: one value per sample for class-axis losses, one per element for
element-wise ones, one per anchor for the metric-learning losses) and keras applies
``sample_weight``, masks and its own ``reduction`` (``"sum_over_batch_size"`` by default, which
equals lossapi's ``"mean"``). Exception: the losses in :data:`OWN_REDUCTION`, whose mean is not
the mean of per-sample values (``yolo``, ``root_mean_squared_error``, the batch metric-learning
losses): lossapi reduces them, keras' ``reduction`` mapped to lossapi's and ``sample_weight``
passed to the function; keras masks do not apply to them. The constructor takes keras' ``name``, ``reduction`` and
``dtype`` and the loss's options (keyword-only, checked at construction, as in the function),
plus ``axis`` where the loss has one. Array options (``class_weight``, ``pos_weight``, ...) are
stored as nested lists (so that ``get_config`` is JSON-serialisable) and converted to the
backend's tensors at each call. Every class is registered for keras serialisation
(``keras.saving``, package ``"lossapi"``).

**Losses with more than one prediction or target** (``PACKED``) take their inputs stacked
on a new axis of ``y_pred`` / ``y_true`` (or as a tuple): ``TripletMargin`` reads
``y_pred[..., k, :]`` (k = anchor, positive, negative; ``y_true`` is ignored), ``GaussianNLL``
reads the mean and the variance from ``y_pred[..., 0]`` and ``y_pred[..., 1]``, ``PPOClip`` the
old log-probabilities and advantages from ``y_true[..., 0]`` and ``y_true[..., 1]``, ...
``CTC`` takes padded labels as ``y_true`` (padding: the blank or negative values, at the end)
and per-frame log-probabilities as ``y_pred``; every frame counts, as in keras'
``keras.losses.CTC`` (keras reduces it: the mean over sequences).

**Losses with a learned class table** - ``ArcFace``, ``CosFace`` and ``LinearCrossEntropy`` -
are ``keras.layers.Layer`` s that own it (``class_centers`` / ``kernel``, created at the first
call from the embedding size) and are called as ``layer(embeddings, labels)``: they return the loss and register it with
``add_loss``, so ``model.compile(optimizer)`` without a ``loss`` trains the model and the table.

Importing this module imports keras; ``import lossapi`` alone does not.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import keras
import numpy as np

from . import _catalog
from ._errors import InvalidOptionError
from ._objects import REDUCTIONS, check_options, class_name, records, signature

__all__ = ["OWN_REDUCTION", "PACKED", "LossLayer", "LossapiLoss", "get"]

_LABEL_SPACES = ("label", "padded_labels")
_LABEL_OR_PROB = "label_or_probability"
_CLASSES: dict[str, type[LossapiLoss] | type[LossLayer]] = {}

#: Losses whose ``"mean"`` is not the mean of their ``reduction="none"`` values (the mean over
#: images of ``yolo``, over non-zero terms of the batch metric-learning losses, the root of the
#: mean of ``root_mean_squared_error``, ...): lossapi reduces them itself, with keras'
#: ``reduction`` mapped to lossapi's (``"sum"`` -> ``"sum"``, ``None``/``"none"`` -> ``"none"``,
#: the others -> ``"mean"``) and ``sample_weight`` passed to the function (lossapi's weighting).
OWN_REDUCTION = frozenset(
    {"yolo", "ntxent", "batch_triplet", "batch_contrastive", "supcon", "circle", "root_mean_squared_error"}
)

#: Losses that are not one prediction and one target: the inputs keras' ``y_pred`` and ``y_true``
#: carry, in this order, stacked on the given (new) axis where a side carries several; an empty
#: side is ignored (pass any tensor, e.g. zeros, as keras needs one).
PACKED: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    "gan_generator": (("fake_logits",), (), -1),
    "gan_discriminator": (("real_logits", "fake_logits"), (), -1),
    "cosine_embedding": (("x1", "x2"), ("target",), -2),
    "contrastive": (("x1", "x2"), ("similar",), -2),
    "triplet_margin": (("anchor", "positive", "negative"), (), -2),
    "margin_ranking": (("x1", "x2"), ("target",), -1),
    "gaussian_nll": (("pred", "var"), ("target",), -1),
    "ppo_clip": (("log_probs",), ("old_log_probs", "advantages"), -1),
    "ctc": (("log_probs",), ("labels",), -1),
}

#: Losses whose second input is a learned class table: keras layers that own it.
_TABLES = {"arcface": "class_centers", "cosface": "class_centers", "linear_cross_entropy": "weight"}


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


class LossapiLoss(keras.losses.Loss):
    """Base class of the generated keras losses (one subclass per catalog loss without a learned table)."""

    record: ClassVar[_catalog.LossRecord]

    def __init__(
        self,
        *,
        name: str | None = None,
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
        axis: Any = None,
        **options: Any,
    ) -> None:
        rec = self.record
        axis = rec.axis_default if axis is None else axis
        if axis is not None and not rec.has_axis:
            raise TypeError(f"lossapi.keras.{type(self).__name__}: {rec.name} has no axis option.")
        self._options = _check(rec, options, axis=axis)
        if rec.name in PACKED and PACKED[rec.name][2] == -2 and axis != -1:
            raise InvalidOptionError(
                f"lossapi.keras.{type(self).__name__}: the stacked inputs need their features on the last axis "
                f"(axis=-1), got axis={axis!r}."
            )
        self.axis = axis
        super().__init__(name=name or rec.name, reduction=reduction, dtype=dtype)

    def _inputs(self, y_true: Any, y_pred: Any) -> tuple[Any, ...]:
        """The function's positional inputs from keras' ``(y_true, y_pred)``."""
        rec = self.record
        packing = PACKED.get(rec.name)
        if packing is None:
            return (y_pred, _labels(rec.input_spaces[rec.inputs[1]], y_true, y_pred))
        got: dict[str, Any] = {}
        for side, names, tensor in (("y_pred", packing[0], y_pred), ("y_true", packing[1], y_true)):
            if len(names) == 1:
                got[names[0]] = tensor
            elif names:
                got.update(zip(names, _unstack(rec.name, side, names, tensor, packing[2])))
        if rec.name == "ctc":
            return _ctc_inputs(got["log_probs"], got["labels"], self._options)
        return tuple(_labels(rec.input_spaces[n], got[n], y_pred) for n in rec.inputs)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        if self.record.name not in OWN_REDUCTION:
            return super().__call__(y_true, y_pred, sample_weight=sample_weight)
        # Not a mean of per-sample values: lossapi reduces (and applies the sample weights).
        ops = keras.ops
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        kw = self._kwargs(y_pred)
        if sample_weight is not None:
            kw["sample_weight"] = ops.cast(ops.convert_to_tensor(sample_weight), y_pred.dtype)
        reduction = {"sum": "sum", None: "none", "none": "none"}.get(self.reduction, "mean")
        return self.record.fn(*self._inputs(y_true, y_pred), reduction=reduction, **kw)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """lossapi's per-sample loss (``reduction="none"``) of ``(y_pred, y_true)``."""
        first = y_pred[0] if isinstance(y_pred, (list, tuple)) else y_pred
        return self.record.fn(*self._inputs(y_true, y_pred), reduction="none", **self._kwargs(first))

    def _kwargs(self, y_pred: Any) -> dict[str, Any]:
        kw = _option_tensors(self._options, y_pred.dtype)
        if self.record.has_axis:
            kw["axis"] = self.axis
        return kw

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), **_config_options(self.record, self._options)}
        if self.record.has_axis:
            config["axis"] = self.axis
        return config


def _labels(space: str, y_true: Any, y_pred: Any) -> Any:
    """``y_true`` as the loss takes it: keras casts it to float; class labels go back to int32."""
    if space not in _LABEL_SPACES and space != _LABEL_OR_PROB:
        return y_true
    ops = keras.ops
    if (
        len(y_true.shape) == len(y_pred.shape)
        and len(y_true.shape) > 1
        and y_true.shape[-1] == 1
        and y_pred.shape[-1] != 1
    ):
        y_true = ops.squeeze(y_true, axis=-1)
    if space in _LABEL_SPACES or len(y_true.shape) < len(y_pred.shape):
        y_true = ops.cast(y_true, "int32")
    return y_true


def _unstack(loss: str, side: str, names: tuple[str, ...], tensor: Any, axis: int) -> list[Any]:
    """The inputs ``names`` stacked on ``axis`` of ``tensor`` (or given as a tuple)."""
    if isinstance(tensor, (list, tuple)):
        parts = list(tensor)
    elif len(tensor.shape) >= -axis and tensor.shape[axis] == len(names):
        parts = keras.ops.unstack(tensor, axis=axis)
    else:
        parts = []
    if len(parts) != len(names):
        raise ValueError(
            f"lossapi.keras.{class_name(loss)}: {side} must stack ({', '.join(names)}) on axis {axis} "
            f"(size {len(names)}) or be a tuple of them; got {getattr(tensor, 'shape', type(tensor).__name__)}."
        )
    return parts


def _ctc_inputs(log_probs: Any, labels: Any, options: dict[str, Any]) -> tuple[Any, ...]:
    """``ctc``'s four inputs from keras' padded labels: every frame counts (as in keras' CTC); a
    label is valid up to the first padding entry (the blank or a negative value)."""
    ops = keras.ops
    labels = ops.cast(labels, "int32")
    time_axis = 0 if options["time_major"] else -2
    batch = labels.shape[0] if len(labels.shape) > 1 else 1
    frames = ops.full((batch,), log_probs.shape[time_axis], dtype="int32")
    valid = ops.logical_and(labels >= 0, labels != options["blank"])
    # The valid prefix: an entry counts while every entry before it (and itself) is valid.
    lengths = ops.sum(ops.cast(ops.cumprod(ops.cast(valid, "int32"), axis=-1), "int32"), axis=-1)
    return log_probs, labels, frames, ops.reshape(lengths, (batch,))


def _option_tensors(options: dict[str, Any], dtype: Any) -> dict[str, Any]:
    """Array options (stored as NumPy arrays) as the backend's tensors in the input's dtype."""
    kw: dict[str, Any] = {}
    for k, v in options.items():
        if isinstance(v, np.ndarray):
            v = keras.ops.convert_to_tensor(v)
            if v.dtype != "bool":
                v = keras.ops.cast(v, dtype)
        kw[k] = v
    return kw


def _config_options(rec: _catalog.LossRecord, options: dict[str, Any]) -> dict[str, Any]:
    """The options that differ from the defaults, JSON-serialisable (arrays as lists)."""
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in options.items() if v is not rec.options[k]}


def _check(rec: _catalog.LossRecord, options: dict[str, Any], *, axis: Any = None) -> dict[str, Any]:
    converted = {
        k: np.asarray(v) if isinstance(v, (list, tuple)) or (_is_array(v) and not isinstance(v, np.ndarray)) else v
        for k, v in options.items()
    }
    return check_options(rec, converted, axis=axis)


class LossLayer(keras.layers.Layer):
    """Base class of the losses that own a learned class table (``ArcFace``, ``CosFace``,
    ``LinearCrossEntropy``): ``layer(embeddings, labels, sample_weight=None)`` returns the loss
    (reduced by lossapi with ``reduction``) and adds it to the model's losses (``add_loss``)."""

    record: ClassVar[_catalog.LossRecord]
    #: The name of the table's input in the function (``class_centers`` or ``weight``).
    table: ClassVar[str]

    def __init__(
        self,
        num_classes: int,
        *,
        use_bias: bool = False,
        initializer: Any = None,
        reduction: str = "mean",
        name: str | None = None,
        dtype: Any = None,
        **options: Any,
    ) -> None:
        rec = self.record
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise InvalidOptionError(
                f"lossapi.keras.{type(self).__name__}: num_classes must be a positive int, got {num_classes!r}."
            )
        if use_bias and "bias" not in rec.options:
            raise TypeError(f"lossapi.keras.{type(self).__name__}: {rec.name} has no bias.")
        if "bias" in options:
            raise TypeError(f"lossapi.keras.{type(self).__name__}: the bias is a variable of the layer: use_bias=True.")
        if reduction not in REDUCTIONS:
            raise InvalidOptionError(
                f"lossapi.keras.{type(self).__name__}: reduction must be one of {REDUCTIONS}, got {reduction!r}."
            )
        # Layer arguments (``trainable``, ...) go to keras, which rejects unknown ones.
        layer_kwargs = {k: options.pop(k) for k in list(options) if k not in rec.options}
        self._options = _check(rec, options)
        super().__init__(name=name or rec.name, dtype=dtype, **layer_kwargs)
        self.num_classes, self.use_bias, self.reduction = num_classes, use_bias, reduction
        # ArcFace / CosFace: N(0, 1) centres (pytorch-metric-learning's init); a linear head:
        # Dense's kernel init.
        default = "random_normal" if self.table == "class_centers" else "glorot_uniform"
        if initializer is None:
            initializer = keras.initializers.RandomNormal(stddev=1.0) if default == "random_normal" else default
        self.initializer = keras.initializers.get(initializer)

    def build(self, embeddings_shape: Any, labels_shape: Any = None) -> None:
        dim = embeddings_shape[-1]
        if dim is None:
            raise ValueError(f"lossapi.keras.{type(self).__name__}: the embedding size (last axis) must be known.")
        name = "class_centers" if self.table == "class_centers" else "kernel"
        self.kernel = self.add_weight(shape=(self.num_classes, dim), initializer=self.initializer, name=name)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.num_classes,), initializer="zeros", name="bias")

    def call(self, embeddings: Any, labels: Any, sample_weight: Any = None) -> Any:
        """The loss of ``(embeddings, labels)`` against the layer's table; also added with
        ``add_loss`` (its mean for ``reduction="none"``)."""
        ops = keras.ops
        embeddings = ops.convert_to_tensor(embeddings)
        kw = _option_tensors(self._options, embeddings.dtype)
        if self.bias is not None:
            kw["bias"] = ops.cast(ops.convert_to_tensor(self.bias), embeddings.dtype)
        if sample_weight is not None:
            kw["sample_weight"] = ops.cast(ops.convert_to_tensor(sample_weight), embeddings.dtype)
        table = ops.cast(ops.convert_to_tensor(self.kernel), embeddings.dtype)
        loss = self.record.fn(embeddings, table, ops.cast(labels, "int32"), reduction=self.reduction, **kw)
        self.add_loss(loss if self.reduction != "none" else ops.mean(loss))
        return loss

    def compute_output_shape(self, embeddings_shape: Any, labels_shape: Any = None) -> tuple[Any, ...]:
        return tuple(embeddings_shape[:-1]) if self.reduction == "none" else ()

    def get_config(self) -> dict[str, Any]:
        config = dict(super().get_config())
        config.update(
            num_classes=self.num_classes,
            use_bias=self.use_bias,
            reduction=self.reduction,
            initializer=keras.initializers.serialize(self.initializer),
            **_config_options(self.record, self._options),
        )
        return config


def _make_layer(rec: _catalog.LossRecord) -> type[LossLayer]:
    name = class_name(rec.name)
    table = _TABLES[rec.name]
    extra: dict[str, Any] = {"initializer": None, "reduction": "mean", "name": None, "dtype": None}
    options = {k: v for k, v in rec.options.items() if k != "bias"}
    if "bias" in rec.options:
        extra = {"use_bias": False, **extra}
    doc = (
        f"``keras.layers.Layer`` of :func:`lossapi.{rec.name}` that owns ``{table}`` "
        f"(``(num_classes, D)``): {rec.summary}\n\n"
        f"``layer(embeddings, labels, sample_weight=None)`` returns ``lossapi.{rec.name}(embeddings, "
        f"{table}, labels, ...)`` and adds it to the model's losses."
    )
    cls = type(name, (LossLayer,), {"__doc__": doc, "__module__": __name__, "record": rec, "table": table})
    kw = inspect.Parameter.KEYWORD_ONLY
    cls.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("num_classes", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, kw, default=d) for n, d in {**options, **extra}.items()]
    )
    return keras.saving.register_keras_serializable(package="lossapi", name=name)(cls)


def _make(rec: _catalog.LossRecord) -> type[LossapiLoss]:
    name = class_name(rec.name)
    extra: dict[str, Any] = {"name": None, "reduction": "sum_over_batch_size", "dtype": None}
    if rec.has_axis:
        extra["axis"] = rec.axis_default
    pred, true, axis = PACKED.get(rec.name, ((rec.inputs[0],), rec.inputs[1:], -1))

    def side(names: tuple[str, ...]) -> str:
        if not names:
            return "ignored"
        return f"``{names[0]}``" if len(names) == 1 else f"({', '.join(names)}) stacked on axis {axis}"

    doc = (
        f"``keras.losses.Loss`` of :func:`lossapi.{rec.name}`: {rec.summary}\n\n"
        f'``call(y_true, y_pred)`` is ``lossapi.{rec.name}({", ".join(rec.inputs)}, reduction="none", ...)`` '
        f"with ``y_pred`` = {side(pred)} and ``y_true`` = {side(true)}."
    )
    cls = type(name, (LossapiLoss,), {"__doc__": doc, "__module__": __name__, "record": rec})
    cls.__signature__ = signature(rec, extra=extra)  # type: ignore[attr-defined]
    return keras.saving.register_keras_serializable(package="lossapi", name=name)(cls)


for _rec in records():
    _cls = _make_layer(_rec) if _rec.name in _TABLES else _make(_rec)
    _CLASSES[_rec.name] = _cls
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)
    for _alias in _rec.aliases:
        _CLASSES[_alias] = _cls
        if len(_alias) <= 4:
            globals()[_alias.upper()] = _cls
            __all__.append(_alias.upper())


def get(name: str) -> type[LossapiLoss] | type[LossLayer]:
    """The keras class of a catalog loss, by name or alias (``get("huber") is Huber``)."""
    try:
        return _CLASSES[name]
    except KeyError:
        raise KeyError(f"no loss named {name!r} in the lossapi catalog") from None
