"""Every lossapi loss as a ``torch.nn.Module``, generated from the catalog.

>>> import torch, lossapi.nn
>>> loss = lossapi.nn.Huber(delta=0.5)
>>> loss
Huber(delta=0.5)
>>> round(float(loss(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 0.0]))), 4)
0.4375

One class per catalog loss, named by the CamelCase of the loss name (``huber`` -> ``Huber``,
``cross_entropy`` -> ``CrossEntropy``; acronyms stay upper case: ``NLL``, ``CTC``, ``GIoU``,
``KLDivergence``, ``NTXent``, ``ArcFace``), and the upper-case aliases ``MSE``, ``RMSE``,
``MAE`` and ``BCE``. :func:`get` gives the class of a catalog name.

- The constructor takes the loss's options keyword-only, with the function's names and
  defaults, plus ``reduction="mean"`` and, for losses with a class/feature axis, ``axis``.
  Options are checked at construction (``lossapi.InvalidOptionError``), with the constraints
  the function checks them with.
- ``forward(*inputs, sample_weight=None, where=None)`` calls the function with the inputs in
  its positional order (``Huber()(pred, target)``).
- Tensor options (``class_weight``, ``pos_weight``, ``alpha`` arrays, ``mask``, the ``bias``
  of ``linear_cross_entropy``; a list is converted to a tensor) are registered buffers: they
  follow ``.to(device)`` and are saved in the ``state_dict``.
- ``learnable=("alpha", "scale")`` turns the named 0-d hyper-parameters into
  ``nn.Parameter`` s (initialised to the option's value, in torch's default dtype), e.g. for
  ``GeneralRobust``; any option that accepts a 0-d array can be learned this way.
- :class:`ArcFace` and :class:`CosFace` own their class centres: ``ArcFace(num_classes,
  embedding_dim)`` holds ``class_centers``, an ``nn.Parameter`` of shape ``(C, D)`` drawn from
  the standard normal distribution (pytorch-metric-learning's default ``normal_`` init), and
  ``forward(embeddings, labels)``.
- :class:`UncertaintyWeighting` owns the learnable log-variances of
  :func:`lossapi.uncertainty_weighting` (zeros, one per task); ``forward(*losses)``.

Importing this module imports torch; ``import lossapi`` alone does not.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from . import _catalog
from ._errors import InvalidOptionError
from ._objects import check_options, class_name, records, signature
from .composition import uncertainty_weighting

__all__ = ["LossModule", "UncertaintyWeighting", "get"]

_CLASSES: dict[str, type[LossModule]] = {}


def _as_tensor_options(rec: _catalog.LossRecord, options: dict[str, Any]) -> dict[str, Any]:
    """Lists and tuples given for array options become tensors."""
    out = dict(options)
    for name, value in options.items():
        c = rec.constraints.get(name)
        if isinstance(value, (list, tuple)) and c is not None and c.arrays == "any":
            out[name] = torch.as_tensor(value)
    return out


class LossModule(torch.nn.Module):
    """Base class of the generated loss modules (one subclass per catalog loss)."""

    #: The loss's catalog record.
    record: ClassVar[_catalog.LossRecord]
    #: Names of the positional inputs of ``forward``.
    inputs: ClassVar[tuple[str, ...]]

    def __init__(self, *, reduction: str = "mean", axis: Any = None, learnable: Any = (), **options: Any) -> None:
        super().__init__()
        rec = self.record
        axis = rec.axis_default if axis is None else axis
        if axis is not None and not rec.has_axis:
            raise TypeError(f"{type(self).__name__}: {rec.name} has no axis option.")
        values = check_options(rec, _as_tensor_options(rec, options), reduction=reduction, axis=axis)
        learnable = (learnable,) if isinstance(learnable, str) else tuple(learnable)
        for name in learnable:
            c = rec.constraints.get(name)
            if name not in rec.options or c is None or c.arrays != "0-d" or not isinstance(values[name], (int, float)):
                raise InvalidOptionError(
                    f"lossapi.nn.{type(self).__name__}: `{name}` cannot be learnable: the learnable options are "
                    f"the numeric hyper-parameters that accept a 0-d array ({', '.join(self.learnable_options())})."
                )
        self.reduction = reduction
        self.axis = axis
        self._option_names = tuple(rec.options)
        for name, value in values.items():
            if name in learnable:
                self.register_parameter(
                    name, torch.nn.Parameter(torch.tensor(float(value), dtype=torch.get_default_dtype()))
                )
            elif isinstance(value, torch.Tensor):
                self.register_buffer(name, value)
            else:
                setattr(self, name, value)

    @classmethod
    def learnable_options(cls) -> tuple[str, ...]:
        """Options that ``learnable=`` can turn into parameters (0-d numeric hyper-parameters)."""
        rec = cls.record
        return tuple(
            n
            for n, d in rec.options.items()
            if isinstance(d, (int, float))
            and not isinstance(d, bool)
            and getattr(rec.constraints.get(n), "arrays", False) == "0-d"
        )

    def options(self) -> dict[str, Any]:
        """The options the function is called with (tensors and parameters as they are now)."""
        return {n: getattr(self, n) for n in self._option_names}

    def _call(self, *inputs: Any, sample_weight: Any = None, where: Any = None) -> Any:
        kw = self.options()
        if self.record.has_axis:
            kw["axis"] = self.axis
        if sample_weight is not None:
            kw["sample_weight"] = sample_weight
        if where is not None:
            kw["where"] = where
        return self.record.fn(*inputs, reduction=self.reduction, **kw)

    def forward(self, *inputs: Any, sample_weight: Any = None, where: Any = None) -> Any:
        """The loss of ``inputs`` (in the function's positional order)."""
        if len(inputs) != len(self.inputs):
            raise TypeError(
                f"{type(self).__name__}.forward takes {len(self.inputs)} inputs ({', '.join(self.inputs)}), "
                f"got {len(inputs)}."
            )
        return self._call(*inputs, sample_weight=sample_weight, where=where)

    def extra_repr(self) -> str:
        parts = []
        rec = self.record
        for name in self._option_names:
            value, default = getattr(self, name), rec.options[name]
            if isinstance(value, torch.nn.Parameter):
                parts.append(f"{name}=Parameter({float(value.detach().cpu()) if value.device.type != 'meta' else '?'})")
            elif isinstance(value, torch.Tensor):
                parts.append(f"{name}=tensor(shape={tuple(value.shape)})")
            elif value is not default and value != default:
                parts.append(f"{name}={value!r}")
        if self.reduction != "mean":
            parts.append(f"reduction={self.reduction!r}")
        if rec.has_axis and self.axis != rec.axis_default:
            parts.append(f"axis={self.axis!r}")
        return ", ".join(parts)


class _CenterLossModule(LossModule):
    """A loss on embeddings and learnable class centres (``ArcFace``, ``CosFace``)."""

    def __init__(
        self,
        num_classes: int,
        embedding_dim: int,
        *,
        reduction: str = "mean",
        learnable: Any = (),
        device: Any = None,
        dtype: Any = None,
        **options: Any,
    ) -> None:
        super().__init__(reduction=reduction, learnable=learnable, **options)
        if (
            not isinstance(num_classes, int)
            or not isinstance(embedding_dim, int)
            or num_classes < 1
            or embedding_dim < 1
        ):
            raise InvalidOptionError(
                f"lossapi.nn.{type(self).__name__}: num_classes and embedding_dim must be positive ints, "
                f"got {num_classes!r}, {embedding_dim!r}."
            )
        self.num_classes, self.embedding_dim = num_classes, embedding_dim
        self.class_centers = torch.nn.Parameter(torch.empty(num_classes, embedding_dim, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the class centres from N(0, 1) (pytorch-metric-learning's default init)."""
        torch.nn.init.normal_(self.class_centers)

    def forward(self, *inputs: Any, sample_weight: Any = None, where: Any = None) -> Any:
        """The loss of ``(embeddings, labels)`` against the module's class centres."""
        if len(inputs) != 2:
            raise TypeError(f"{type(self).__name__}.forward takes 2 inputs (embeddings, labels), got {len(inputs)}.")
        embeddings, labels = inputs
        return self._call(embeddings, self.class_centers, labels, sample_weight=sample_weight, where=where)

    def extra_repr(self) -> str:
        rest = super().extra_repr()
        return f"num_classes={self.num_classes}, embedding_dim={self.embedding_dim}" + (f", {rest}" if rest else "")


def _make(rec: _catalog.LossRecord) -> type[LossModule]:
    centres = "class_centers" in rec.inputs
    base = _CenterLossModule if centres else LossModule
    inputs = tuple(i for i in rec.inputs if i != "class_centers")
    name = class_name(rec.name)
    extra: dict[str, Any] = {"reduction": "mean"}
    if rec.has_axis:
        extra["axis"] = rec.axis_default
    extra["learnable"] = ()
    if centres:
        extra.update(device=None, dtype=None)
    doc = (
        f"``torch.nn.Module`` of :func:`lossapi.{rec.name}`: {rec.summary}\n\n"
        f"``forward({', '.join(inputs)}, *, sample_weight=None, where=None)``; the options are "
        f"those of :func:`lossapi.{rec.name}`."
    )
    cls = type(name, (base,), {"__doc__": doc, "__module__": __name__, "record": rec, "inputs": inputs})
    cls.__signature__ = signature(  # type: ignore[attr-defined]
        rec, leading=("num_classes", "embedding_dim") if centres else (), extra=extra
    )
    return cls


for _rec in records():
    _cls = _make(_rec)
    _CLASSES[_rec.name] = _cls
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)
    for _alias in _rec.aliases:
        _CLASSES[_alias] = _cls
        if len(_alias) <= 4:  # mse -> MSE, bce -> BCE
            globals()[_alias.upper()] = _cls
            __all__.append(_alias.upper())


def get(name: str) -> type[LossModule]:
    """The module class of a catalog loss, by name or alias (``get("huber") is Huber``)."""
    try:
        return _CLASSES[name]
    except KeyError:
        raise KeyError(f"no loss named {name!r} in the lossapi catalog") from None


class UncertaintyWeighting(torch.nn.Module):
    """:func:`lossapi.uncertainty_weighting` with its log-variances as a parameter.

    ``UncertaintyWeighting(num_tasks)`` holds ``log_vars``, an ``nn.Parameter`` of shape
    ``(num_tasks,)`` initialised to zeros (all tasks weighted 1); ``forward(*losses)`` takes one
    0-d loss per task and returns :math:`\\sum_i e^{-s_i} L_i + s_i`.
    """

    def __init__(self, num_tasks: int, *, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if not isinstance(num_tasks, int) or isinstance(num_tasks, bool) or num_tasks < 1:
            raise InvalidOptionError(
                f"lossapi.nn.UncertaintyWeighting: num_tasks must be an int >= 1, got {num_tasks!r}."
            )
        self.num_tasks = num_tasks
        self.log_vars = torch.nn.Parameter(torch.zeros(num_tasks, device=device, dtype=dtype))

    def forward(self, *losses: Any) -> Any:
        """The weighted sum of the ``num_tasks`` 0-d task losses."""
        if len(losses) != self.num_tasks:
            raise TypeError(f"UncertaintyWeighting.forward takes {self.num_tasks} losses, got {len(losses)}.")
        return uncertainty_weighting(list(losses), self.log_vars)

    def extra_repr(self) -> str:
        return f"num_tasks={self.num_tasks}"
