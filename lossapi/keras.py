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

**Left out.** Losses that do not have exactly one prediction and one target: ``gan_generator``
(one input) and ``gan_discriminator`` (real and fake logits, no target), and the losses with
three or more inputs - ``cosine_embedding``, ``contrastive``, ``triplet_margin``,
``margin_ranking``, ``linear_cross_entropy``, ``arcface``, ``cosface``, ``gaussian_nll``,
``ppo_clip`` and ``ctc`` - whose extra inputs (a second embedding, variances, class centres,
sequence lengths) do not fit keras' ``(y_true, y_pred)``; call the function inside a custom
``train_step`` or layer for those.

Importing this module imports keras; ``import lossapi`` alone does not.
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np

from . import _catalog
from ._objects import check_options, class_name, records, signature

__all__ = ["LEFT_OUT", "OWN_REDUCTION", "LossapiLoss", "get"]

_LABEL_SPACES = ("label", "padded_labels")
_LABEL_OR_PROB = "label_or_probability"
_CLASSES: dict[str, type[LossapiLoss]] = {}

#: Losses whose ``"mean"`` is not the mean of their ``reduction="none"`` values (the mean over
#: images of ``yolo``, over non-zero terms of the batch metric-learning losses, the root of the
#: mean of ``root_mean_squared_error``, ...): lossapi reduces them itself, with keras'
#: ``reduction`` mapped to lossapi's (``"sum"`` -> ``"sum"``, ``None``/``"none"`` -> ``"none"``,
#: the others -> ``"mean"``) and ``sample_weight`` passed to the function (lossapi's weighting).
OWN_REDUCTION = frozenset(
    {"yolo", "ntxent", "batch_triplet", "batch_contrastive", "supcon", "circle", "root_mean_squared_error"}
)

#: Catalog losses without a keras class, and why.
LEFT_OUT: dict[str, str] = {}


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


class LossapiLoss(keras.losses.Loss):
    """Base class of the generated keras losses (one subclass per two-input catalog loss)."""

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
        converted = {
            k: np.asarray(v) if isinstance(v, (list, tuple)) or (_is_array(v) and not isinstance(v, np.ndarray)) else v
            for k, v in options.items()
        }
        self._options = check_options(rec, converted, axis=axis)
        self.axis = axis
        super().__init__(name=name or rec.name, reduction=reduction, dtype=dtype)

    def _labels(self, y_true: Any, y_pred: Any) -> Any:
        space = self.record.input_spaces[self.record.inputs[1]]
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
        return self.record.fn(y_pred, self._labels(y_true, y_pred), reduction=reduction, **kw)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """lossapi's per-sample loss (``reduction="none"``) of ``(y_pred, y_true)``."""
        return self.record.fn(y_pred, self._labels(y_true, y_pred), reduction="none", **self._kwargs(y_pred))

    def _kwargs(self, y_pred: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {}
        for k, v in self._options.items():
            if isinstance(v, np.ndarray):
                v = keras.ops.convert_to_tensor(v)
                if v.dtype != "bool":
                    v = keras.ops.cast(v, y_pred.dtype)
            kw[k] = v
        if self.record.has_axis:
            kw["axis"] = self.axis
        return kw

    def get_config(self) -> dict[str, Any]:
        config = dict(super().get_config())
        for k, v in self._options.items():
            if v is not self.record.options[k]:
                config[k] = v.tolist() if isinstance(v, np.ndarray) else v
        if self.record.has_axis:
            config["axis"] = self.axis
        return config


def _make(rec: _catalog.LossRecord) -> type[LossapiLoss]:
    name = class_name(rec.name)
    extra: dict[str, Any] = {"name": None, "reduction": "sum_over_batch_size", "dtype": None}
    if rec.has_axis:
        extra["axis"] = rec.axis_default
    doc = (
        f"``keras.losses.Loss`` of :func:`lossapi.{rec.name}`: {rec.summary}\n\n"
        f'``call(y_true, y_pred)`` is ``lossapi.{rec.name}(y_pred, y_true, reduction="none", ...)`` '
        f"(``y_pred`` = ``{rec.inputs[0]}``, ``y_true`` = ``{rec.inputs[1]}``)."
    )
    cls = type(name, (LossapiLoss,), {"__doc__": doc, "__module__": __name__, "record": rec})
    cls.__signature__ = signature(rec, extra=extra)  # type: ignore[attr-defined]
    return keras.saving.register_keras_serializable(package="lossapi", name=name)(cls)


for _rec in records():
    if len(_rec.inputs) != 2:
        LEFT_OUT[_rec.name] = f"{len(_rec.inputs)} inputs ({', '.join(_rec.inputs)}): not keras' (y_true, y_pred)"
        continue
    if _rec.name == "gan_discriminator":
        LEFT_OUT[_rec.name] = "two predictions (real and fake logits) and no target"
        continue
    _cls = _make(_rec)
    _CLASSES[_rec.name] = _cls
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)
    for _alias in _rec.aliases:
        _CLASSES[_alias] = _cls
        if len(_alias) <= 4:
            globals()[_alias.upper()] = _cls
            __all__.append(_alias.upper())


def get(name: str) -> type[LossapiLoss]:
    """The keras loss class of a catalog loss, by name or alias (``get("huber") is Huber``)."""
    try:
        return _CLASSES[name]
    except KeyError:
        why = LEFT_OUT.get(name)
        raise KeyError(
            f"lossapi.keras has no class for {name!r}" + (f": {why}" if why else " (not in the catalog)")
        ) from None
