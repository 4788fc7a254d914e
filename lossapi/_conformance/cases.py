"""The case table: how to test each catalog loss.

A :class:`Case` says how to draw valid inputs for a loss, which option sets to try, which
inputs are differentiable, which edge points (kinks, zeros, extremes) to visit, and names the
independent float64 oracle (in the family's module) that gives the expected per-element loss.

Every catalog loss must have exactly one case: ``tests/test_catalog.py`` enforces it.

Shapes: ``make_inputs(rng, shape, options)`` receives the *per-element* shape (the shape
``reduction="none"`` returns). Losses with a class or distribution axis insert it themselves at
``options.get("axis", -1)``; their integer labels have the per-element shape. Option values may
be NumPy arrays (class weights): the checks convert them to the tested backend and dtype.

Option keys starting with ``_`` are *case-only* options: they steer ``make_inputs`` (e.g.
``{"_target": "probs"}`` to draw class probabilities instead of labels) and are removed by
:func:`loss_options` before the loss, the oracle or a counterpart sees the options.

A case also carries what the other per-loss tests need: the loss's plot sweep (``sweep``, a
:class:`~lossapi._conformance.sweeps.Sweep` drawn by ``lossapi.plotting``), what the property-based
tests may assume of it (``fuzz``, a :class:`Fuzz`) and option values outside its documented
domain (``invalid_options``, checked by ``tests/test_bad_input.py``).

Each family's cases live in its module of ``lossapi/_conformance/families/`` (one per module of
``lossapi/losses/``, next to the family's oracles and native counterparts), which defines
``CASES``; they are collected into this module's ``CASES`` on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .sweeps import Sweep

__all__ = [
    "CASES",
    "QUICK_EDGES",
    "Case",
    "Edge",
    "Fuzz",
    "class_axis_of",
    "expand_mask",
    "loss_options",
    "poison",
    "reference_reduce",
    "with_class_axis",
]

Inputs = dict[str, np.ndarray]
#: The quick mode of ``lossapi check`` checks the first edge points of each case (a case lists
#: its central ones first: ties, zeros, saturation), the full mode every one.
QUICK_EDGES = 4
#: ``build(inputs, options) -> perfect inputs``, or ``(perfect inputs, expected "none" value)``.
Builder = Callable[[Inputs, Mapping[str, Any]], "Inputs | tuple[Inputs, Any]"]


@dataclass(frozen=True)
class Edge:
    """A hand-picked input point.

    ``kink=True`` marks points where the loss is not differentiable: gradients there must lie
    between the one-sided finite differences (and agree across backends) instead of matching
    central differences.
    """

    label: str
    inputs: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    kink: bool = False


@dataclass(frozen=True)
class Fuzz:
    """What the property-based tests (``tests/test_fuzz.py``) may assume of one loss.

    For every property the loss either has it (the default) or says why not, so a new loss
    states each one (``test_tables_cover_the_catalog``). The builders it uses (and the ones
    several families share, in ``lossapi._conformance.fuzz``) are NumPy float64 written from the
    loss definitions (the documented API), never lossapi.

    Attributes
    ----------
    perfect : callable, optional
        ``perfect(inputs, options)``: valid inputs turned into a perfect prediction, where the
        per-element loss is 0; or ``(perfect inputs, expected "none" value)`` when it is a known
        value instead. Exactly one of ``perfect`` and ``no_perfect`` is set.
    no_perfect : str, optional
        Why no input gives the loss's zero (or a known value) at a "perfect prediction".
    no_perfect_options : callable, optional
        ``no_perfect_options(options) -> reason or None``: option sets of the case without a
        perfect prediction (label smoothing never has one, for every loss).
    not_nonnegative : str, optional
        Why the per-element loss can be negative on valid inputs (None: it is >= 0).
    mean_rule : str, optional
        How ``reduction="mean"`` follows from ``"none"`` (and ``"sum"``) when it is not the plain
        weighted rule ``sum(w * l) / sum(w)`` (documented in the loss docstrings);
        ``test_fuzz.py::expected_reductions`` checks it. Every other loss follows the plain rule
        over its "none" entries, including the region losses (dice, jaccard, tversky, lovasz,
        soft_f1, cohen_kappa, matthews, ...), whose "none" holds one value per sample
        (``per_sample=True``) or one pooled 0-d value. In every case ``sum == sum(none)``.
    mean_weight : callable, optional
        ``mean_weight(inputs, options)``: the per-element weight multiplying ``sample_weight`` in
        the denominator of "mean": ``mean = sum(none) / sum(sample_weight * weight)`` ("none"
        already holds the weights). Only with a ``mean_rule``.
    not_permutable : str, optional
        Why permuting the leading batch axis (consistently in every per-sample input) may change
        "mean"/"sum" (None: every catalog loss treats its batch entries as exchangeable; ntxent
        pairs rows by *labels*, not by position; the segmentation and ranking losses reduce over
        the other axes first).
    no_broadcast : str, optional
        Why the second input cannot be given with a size-1 (broadcast) batch dimension.
    """

    perfect: Builder | None = None
    no_perfect: str | None = None
    no_perfect_options: Callable[[Mapping[str, Any]], str | None] | None = None
    not_nonnegative: str | None = None
    mean_rule: str | None = None
    mean_weight: Callable[[Inputs, Mapping[str, Any]], np.ndarray] | None = None
    not_permutable: str | None = None
    no_broadcast: str | None = None


@dataclass(frozen=True)
class Case:
    """How to test one loss.

    Attributes
    ----------
    name : str
        Catalog name of the loss.
    make_inputs : callable
        ``make_inputs(rng, shape, options) -> {input name: float64/int NumPy array}``, values in
        the loss's valid domain, away from kinks.
    oracle : callable
        ``oracle(**inputs, **options) -> float64 per-element loss`` (the ``"none"`` shape),
        written from the formula, never calling lossapi.
    options : tuple of mappings
        Option sets to test (``{}`` = defaults).
    differentiable : tuple of str
        Positional inputs to differentiate.
    edges : tuple of Edge
        Special points (kinks, zeros, extreme values).
    reduce_oracle : callable, optional
        ``reduce_oracle(inputs, options, reduction, sample_weight, where) -> value`` for losses
        whose reduction is not the standard weighted one (e.g. RMSE takes a root after it).
    rtol : mapping, optional
        Per-dtype relative tolerance overrides.
    cancels : bool, optional
        The per-element loss is a difference of terms much larger than itself (a deviance, a
        log-likelihood, a squared log-ratio), so low-precision rounding error scales with the
        typical loss, not with each entry: value checks then add ``rtol * typical |loss|`` to
        the absolute tolerance.
    term_size : float, optional
        For a case that ``cancels``: the size of the cancelling terms where the loss value does
        not show it -- 1 for a loss ``1 - ratio``, which is 0 at a perfect prediction with the
        rounding error of 1 (compilers that fuse the ratio give 1e-17, not 0).
    sweep : Sweep, optional
        The 1-D sweep ``lossapi.plotting`` draws the loss and its gradient along (a loss without
        one cannot be plotted: ``tests/test_plotting.py`` fails).
    fuzz : Fuzz, optional
        What the property-based tests may assume of the loss (``tests/test_fuzz.py`` requires one
        for every catalog loss).
    invalid_options : mapping, optional
        ``{option: [values]}``: values outside the option's documented domain, which the loss must
        reject with ``InvalidOptionError`` (``tests/test_bad_input.py``), beyond the generic ones
        (NaN, inf, strings, ...) and those derived from the option's declared constraint. An
        option listed here replaces the test's generic out-of-range values of that option name
        (``[]``: none, e.g. a margin that may be negative).
    shared : tuple of str, optional
        Positional inputs without per-element axes, shared by every element (class centres, a
        linear layer's weight): ``vmap`` checks map the other inputs only, and the property
        tests neither permute nor broadcast them.
    """

    name: str
    make_inputs: Callable[[np.random.Generator, tuple[int, ...], Mapping[str, Any]], Inputs]
    oracle: Callable[..., np.ndarray]
    options: tuple[Mapping[str, Any], ...] = ({},)
    differentiable: tuple[str, ...] = ("pred", "target")
    edges: tuple[Edge, ...] = ()
    reduce_oracle: Callable[..., Any] | None = None
    rtol: Mapping[str, float] = field(default_factory=dict)
    cancels: bool = False
    term_size: float = 0.0
    sweep: Sweep | None = None
    fuzz: Fuzz | None = None
    invalid_options: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    shared: tuple[str, ...] = ()


def reference_reduce(
    loss: np.ndarray, reduction: str, sample_weight: np.ndarray | None = None, where: np.ndarray | None = None
) -> np.ndarray:
    """The documented weighted-mean rule, written independently of lossapi's ``_reduction``."""
    loss = np.asarray(loss, dtype=np.float64)
    w = np.ones_like(loss)
    if sample_weight is not None:
        w = w * np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), loss.shape)
    if where is not None:
        m = np.broadcast_to(np.asarray(where, dtype=bool), loss.shape)
        w = np.where(m, w, 0.0)
        loss = np.where(m, loss, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    den = np.sum(w)
    return np.float64(0.0) if den == 0 else np.sum(loss * w) / den


def loss_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` without the case-only keys (those starting with ``_``)."""
    return {k: v for k, v in options.items() if not k.startswith("_")}


def class_axis_of(options: Mapping[str, Any], ndim: int) -> int:
    """Non-negative position of the class axis in an input of ``ndim`` dimensions."""
    axis = options.get("axis", -1)
    return (-1 if axis is None else int(axis)) % ndim


def with_class_axis(shape: tuple[int, ...], num_classes: int, options: Mapping[str, Any]) -> tuple[int, ...]:
    """``shape`` (per-element) with a class axis of ``num_classes`` inserted at ``options["axis"]``."""
    s = list(shape)
    s.insert(class_axis_of(options, len(shape) + 1), num_classes)
    return tuple(s)


def expand_mask(mask: np.ndarray, shape: tuple[int, ...], options: Mapping[str, Any]) -> np.ndarray | None:
    """A per-element boolean ``mask`` broadcast to an input of ``shape``.

    Inputs of the per-element shape take it as is; inputs with one more dimension (a class
    axis) take it expanded along ``options["axis"]``; inputs whose leading dimensions are the
    mask's shape (a per-sample mask of an image batch) take it expanded along the trailing
    dimensions; other inputs (e.g. broadcast ones) give None.
    """
    mask = np.asarray(mask, dtype=bool)
    shape = tuple(shape)
    if shape == mask.shape:
        return mask
    if len(shape) == mask.ndim + 1:
        m = np.expand_dims(mask, class_axis_of(options, len(shape)))
        try:
            return np.broadcast_to(m, shape)
        except ValueError:
            pass
    if len(shape) > mask.ndim and shape[: mask.ndim] == mask.shape:
        return np.broadcast_to(mask.reshape(mask.shape + (1,) * (len(shape) - mask.ndim)), shape)
    return None


_POISON_FLOAT = (np.nan, np.inf, -np.inf)
_POISON_INT = (-7, 10**6)


def poison(inputs: Mapping[str, np.ndarray], where: np.ndarray, options: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """``inputs`` with the entries excluded by ``where`` replaced by hostile values.

    Floating inputs get NaN/inf, integer inputs (labels) out-of-range labels: a loss must leave
    both out of the value and the gradient of the kept entries.
    """
    out = {}
    for j, (k, v) in enumerate(inputs.items()):
        v = np.asarray(v)
        m = expand_mask(where, v.shape, options)
        if m is None or v.dtype.kind not in "fiu":
            out[k] = v
        elif v.dtype.kind == "f":
            out[k] = np.where(m, v, _POISON_FLOAT[j % len(_POISON_FLOAT)])
        else:
            out[k] = np.where(m, v, _POISON_INT[j % len(_POISON_INT)]).astype(v.dtype)
    return out


#: name -> Case, collected from every family module's ``CASES`` (``lossapi/_conformance/families/``)
#: on first use: a family module imports this one, so collecting at import would re-enter it.
CASES: dict[str, Case]


def family_modules() -> list[Any]:
    """The conformance family modules (``lossapi._conformance.families.*``), imported, by name."""
    import importlib
    import pkgutil

    pkg = importlib.import_module(f"{__package__}.families")
    return [
        importlib.import_module(f"{pkg.__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name)
    ]


def __getattr__(name: str) -> Any:
    if name == "CASES":
        cases: dict[str, Case] = {}
        for mod in family_modules():
            cases.update(mod.CASES)
        globals()["CASES"] = cases  # later lookups find the module attribute
        return cases
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
