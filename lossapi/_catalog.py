"""The catalog: one record per loss, the single source of truth.

``lossapi._loss.loss`` (the decorator every loss is written with) builds a loss's record - its
inputs and their spaces, options with defaults and constraints, kind, family, task, properties
and native counterparts - and adds it here at import time. The conformance suite, the CLI
(``lossapi list``/``check``), the docs and ``recommend`` all iterate over :func:`catalog`, so a
loss that is not registered is not tested - and a test (``tests/test_catalog.py``) fails if a
public loss is missing from the catalog or a registered loss has no conformance case.

(The module is called ``_catalog`` so that importing it can never shadow the public
``lossapi.catalog`` function.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["LossRecord", "add_record", "catalog", "lookup"]

#: Keyword arguments every loss shares; everything else in a signature is a loss option.
COMMON_KEYWORDS = frozenset({"sample_weight", "where", "reduction", "axis", "xp"})

FAMILIES = (
    "regression",
    "classification",
    "divergence",
    "embedding",
    "ranking",
    "segmentation",
    "detection",
    "sequence",
    "reinforcement",
    "generative",
    "composite",
)


@dataclass(frozen=True)
class LossRecord:
    """What lossapi knows about one loss.

    Attributes
    ----------
    name : str
        Public name (``lossapi.<name>``).
    fn : callable
        The loss function.
    family, task : str
        Loss family (module) and the task it serves ("regression", "binary", "multiclass", ...).
    inputs : tuple of str
        Names of the positional inputs, in order.
    input_spaces : mapping
        Space of each positional input ("real", "positive", "nonnegative", "logit",
        "probability", "log_probability", "label", "variance", ...).
    options : mapping
        Loss-specific keyword options and their defaults.
    convex, smooth, robust, bounded, probabilistic : bool
        Properties (convex in the prediction; twice differentiable everywhere; robust to
        outliers, i.e. bounded gradient; bounded loss value; a likelihood/probabilistic loss).
    counterparts : mapping
        Library name -> the exact call of that library that gives the same numbers.
    aliases : tuple of str
        Other public names of the same function.
    summary : str
        First line of the docstring.
    formula : str
        Plain-text formula of the per-element loss.
    has_axis : bool
        Whether the loss reduces over a class / feature axis (``axis=`` keyword).
    axis_default : int or None
        Default of ``axis`` (when ``has_axis``).
    kind : str
        How the loss is prepared and finished ("elementwise", "class axis", "overlap", ...).
    constraints : mapping
        Option -> its constraint (what the option accepts; see ``lossapi._options``).
    value_rules : mapping
        Input -> the value rule of ``check_values()`` where the input's space does not suffice.
    body : callable
        The formula the public function wraps.
    """

    name: str
    fn: Callable[..., Any] = field(repr=False, compare=False)
    family: str
    task: str
    inputs: tuple[str, ...]
    input_spaces: Mapping[str, str]
    options: Mapping[str, Any]
    convex: bool
    smooth: bool
    robust: bool
    bounded: bool
    probabilistic: bool
    counterparts: Mapping[str, str]
    aliases: tuple[str, ...]
    summary: str
    formula: str
    has_axis: bool
    axis_default: Any = None
    kind: str = "manual"
    constraints: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    value_rules: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    body: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("input_spaces", "options", "counterparts", "constraints", "value_rules"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the record (without the function)."""
        return {
            "name": self.name,
            "family": self.family,
            "task": self.task,
            "inputs": list(self.inputs),
            "input_spaces": dict(self.input_spaces),
            "options": {
                k: (v if isinstance(v, (int, float, str, bool, type(None))) else repr(v))
                for k, v in self.options.items()
            },
            "convex": self.convex,
            "smooth": self.smooth,
            "robust": self.robust,
            "bounded": self.bounded,
            "probabilistic": self.probabilistic,
            "counterparts": dict(self.counterparts),
            "aliases": list(self.aliases),
            "summary": self.summary,
            "formula": self.formula,
            "has_axis": self.has_axis,
            "kind": self.kind,
            "constraints": {k: c.describe() for k, c in self.constraints.items()},
        }


_REGISTRY: dict[str, LossRecord] = {}


def add_record(rec: LossRecord) -> None:
    """Add ``rec`` to the catalog (``lossapi._loss.loss`` calls it for every loss)."""
    if rec.name in _REGISTRY:
        raise ValueError(f"loss {rec.name!r} registered twice")
    _REGISTRY[rec.name] = rec


def catalog(*, family: str | None = None, task: str | None = None) -> tuple[LossRecord, ...]:
    """All registered losses, optionally filtered by ``family`` and/or ``task``.

    Examples
    --------
    >>> import lossapi as la
    >>> [r.name for r in la.catalog(family="regression")][:3]
    ['mean_squared_error', 'root_mean_squared_error', 'mean_absolute_error']
    """
    return tuple(
        r for r in _REGISTRY.values() if (family is None or r.family == family) and (task is None or r.task == task)
    )


def lookup(name: str) -> LossRecord:
    """The catalog record of ``name`` (a loss name or one of its aliases)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        for r in _REGISTRY.values():
            if name in r.aliases:
                return r
        raise KeyError(f"no loss named {name!r} in the lossapi catalog") from None
