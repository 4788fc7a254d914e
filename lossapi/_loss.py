"""The one wrapper that turns a catalog record and a formula body into a public loss.

A loss module writes only the record and the formula::

    @loss(
        ELEMENTWISE,
        family="regression",
        inputs={"pred": "real", "target": "real"},
        options={"delta": (1.0, Interval(0, None, closed="neither"))},
        formula="0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta), e = p - t",
    )
    def huber(xp, pred, target, *, delta):
        '''Huber loss ... (summary, formula, the loss's own parameters, notes, examples)'''
        a = abs_(xp, pred - target)
        q = clip_max(xp, a, delta)
        return q * (a - 0.5 * q)

:func:`loss` registers the record in the catalog and generates, once at import, the public
function ``huber(pred, target, /, *, delta=1.0, sample_weight=None, where=None,
reduction="mean", xp=None)`` (a real signature: positional-only inputs, keyword-only
options). Every call of it does, in this order and nowhere else:

1. option checks, each an inline test for the common valid value (a Python number in range, a
   known string) that falls back to the option's :mod:`~lossapi._options` constraint;
2. the reduction check; namespace and device resolution of every array argument
   (:mod:`~lossapi._dispatch`); value checks inside ``lossapi.check_values()``;
3. a native fast path of the backend (:mod:`~lossapi._native`), when one is registered and
   accepts the call;
4. the *kind*'s ``prepare``: static checks of dtypes and shapes, 16-bit inputs upcast to
   float32, ``where``-excluded entries replaced by harmless values (the first half of the
   double ``where``); then array options prepared (0-d hyper-parameters cast to the compute
   dtype, per-class weights checked against the class count);
5. the formula body;
6. the kind's ``finish``: weights, ``where``, the reduction and its weighted-mean rule, the
   cast back to the inputs' dtype.

The wrapper's source is generated per loss (as :mod:`dataclasses` generates ``__init__``), so a
call costs no more than hand-written plumbing: no argument packing, no loop over options.
The docstring is the body's, with the kind's shared parameters (``sample_weight``, ``where``,
``reduction``, ``axis``, ``xp``) appended to its Parameters section.

A kind (:class:`Kind`) prepares and finishes a group of losses: :data:`ELEMENTWISE` here;
class-axis, segmentation, embedding, box, list and sequence kinds beside their families in
``lossapi/losses/``. A body receives the namespace (elementwise) or the kind's prepared
context, the prepared inputs, and its own options; it returns the per-element loss, or a
:class:`PerElement` when the reduction needs more (internal weights, a division, a transform
after reducing).
"""

from __future__ import annotations

import functools
import inspect
import linecache
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from . import _native, _value_checks
from ._array import (
    Array,
    Namespace,
    compute_dtype,
    device_of,
    dtype_kind,
    is_full_float,
    keep_float_dtype,
    legacy_promotion,
)
from ._catalog import FAMILIES, LossRecord, add_record
from ._dispatch import ArgSpec, namespace_of
from ._errors import InputTypeError, InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from ._ops import as_result, mean
from ._options import Choice, Constraint, Flag, Integer, Interval
from ._reduction import mask_inputs, reduce
from ._validation import REDUCTIONS, broadcast_shapes, floating_inputs

__all__ = ["ELEMENTWISE", "MANUAL", "Elementwise", "Kind", "Manual", "PerElement", "Prepared", "loss"]


class _NoAxis:
    def __repr__(self) -> str:
        return "NO_AXIS"


#: The ``axis`` default of a kind without an axis keyword.
NO_AXIS: Any = _NoAxis()


class PerElement(NamedTuple):
    """What a body returns when the reduction needs more than the per-element loss.

    Attributes
    ----------
    loss : array
        The per-element loss (the ``reduction="none"`` shape).
    weight : array, optional
        Internal weights of the reduction (class weights at the labels, ``ignore_index`` masks,
        pair counts), multiplied with ``sample_weight`` and ``where``: ``"mean"`` is
        ``sum(w l) / sum(w)``.
    included : bool
        ``loss`` already carries ``weight`` (e.g. label-smoothed cross-entropy with class
        weights): ``weight`` then enters only the denominator of ``"mean"``.
    divide_by : float, optional
        The loss is ``loss / divide_by``: divided once after the reduction instead of per
        element (per element for ``"none"`` and 16-bit inputs).
    after : callable, optional
        ``after(reduced)`` transforms the reduced value (in the compute dtype) before the cast
        back, e.g. the square root of the root-mean-squared error.
    """

    loss: Array
    weight: Array | None = None
    included: bool = False
    divide_by: float | None = None
    after: Callable[[Array], Array] | None = None


class Prepared:
    """Inputs after a kind's ``prepare``: the namespace, the inputs' and the compute dtype, the
    prepared inputs, and the loss name for error messages. Kinds subclass it to carry more
    (class axis, batch statistics, ...) and pass it to the body as its first argument."""

    __slots__ = ("arrays", "dtype", "fn", "out_dtype", "xp")

    def __init__(self, xp: Namespace, out_dtype: Any, dtype: Any, arrays: tuple[Array, ...], fn: str) -> None:
        self.xp, self.out_dtype, self.dtype, self.arrays, self.fn = xp, out_dtype, dtype, arrays, fn


_SHARED_DOC = {
    "sample_weight": (
        "sample_weight : array or float, optional",
        'Weights broadcastable to the per-element loss (the ``reduction="none"`` shape; a Python\n'
        'number broadcasts like a 0-d array); ``"mean"`` is ``sum(w * l) / sum(w)`` (0 when the\n'
        "weights sum to 0).",
    ),
    "where": (
        "where : bool array or bool, optional",
        "Entries where False are excluded (broadcastable to the per-element loss; a Python bool\n"
        "broadcasts like a 0-d array); their inputs may hold inf/NaN without touching the value or\n"
        "the gradient.",
    ),
    "reduction": (
        'reduction : {"mean", "sum", "none"}, default "mean"',
        '``"none"`` returns the per-element loss.',
    ),
    "xp": (
        "xp : namespace, optional",
        "Array namespace; inferred from the inputs when None. Given or not, every array argument\n"
        "must come from one library (and device).",
    ),
}


class Kind:
    """How a group of losses is prepared before its formula and finished after it.

    Subclasses set the class attributes and implement :meth:`prepare` and :meth:`finish`.
    """

    #: Name shown in the catalog record.
    name: str = "kind"
    #: The body's first argument: False the namespace, True the :class:`Prepared` context.
    context: bool = False
    #: A manual kind: the body receives the raw arguments (plus ``sample_weight``, ``where``,
    #: ``reduction``) and returns the result itself.
    manual: bool = False
    #: Default of the ``axis`` keyword, or :data:`NO_AXIS`.
    axis: Any = NO_AXIS
    #: Options the kind consumes (name -> (default, constraint)); a record may re-declare one
    #: (another default) and place it among its own options.
    options: Mapping[str, tuple[Any, Constraint]] = {}
    #: Record options the kind's ``prepare`` reads as well (when the record declares them); the
    #: body still receives them (e.g. ``ignore_index``: the class-axis kind tells invalid labels
    #: from ignored ones).
    reads: tuple[str, ...] = ()
    #: Docs of the kind's options and of ``axis`` (numpydoc entries), and its Returns section.
    option_docs: Mapping[str, tuple[str, str]] = {}
    returns_doc: str = (
        'array\n    0-d for ``"mean"``/``"sum"``, else the per-element loss; the inputs\' namespace, device\n'
        "    and floating dtype."
    )

    def numbers_ok(self, inputs: tuple[str, ...], spaces: Mapping[str, str]) -> tuple[bool, ...]:
        """Which positional inputs may be given as Python numbers (they broadcast)."""
        return tuple(False for _ in inputs)

    def shared_doc(self, name: str) -> tuple[str, str]:
        return {**_SHARED_DOC, **self.option_docs}[name]

    #: ``prepare(rec, xp, arrays, sample_weight, where, **options) -> Prepared``: validate and cast
    #: the inputs; ``options`` are the kind's own keywords (each kind names the ones it takes).
    prepare: Callable[..., Prepared]

    def finish(self, rec: LossRecord, p: Prepared, out: Any, reduction: str, sample_weight: Any, where: Any) -> Array:
        """Reduce the body's result ``out`` (an array or a :class:`PerElement`) and cast back."""
        return finish_elements(p, out, reduction, rec.name, sample_weight, where)


def finish_elements(p: Prepared, out: Any, reduction: str, fn: str, sample_weight: Any, where: Any) -> Array:
    """The reduction of a per-element loss: weights, ``where``, the weighted mean, the cast back."""
    xp = p.xp
    if type(out) is not PerElement:
        if (
            reduction == "mean"
            and sample_weight is None
            and where is None
            and p.out_dtype is p.dtype
            and 0 not in out.shape
        ):
            return as_result(xp, mean(xp, out))  # the common case, without reduce()'s weights and masks
        return reduce(
            xp,
            out,
            reduction,
            fn=fn,
            sample_weight=sample_weight,
            where=where,
            out_dtype=None if p.out_dtype == p.dtype else p.out_dtype,
        )
    loss, weight, included, divide_by, after = out
    half = p.out_dtype != p.dtype
    if divide_by is not None and (reduction == "none" or half or after is not None):
        loss, divide_by = loss / divide_by, None
    if after is not None:
        r = reduce(
            xp, loss, reduction, fn=fn, sample_weight=sample_weight, where=where, weight=weight, weighted_loss=included
        )
        r = after(r if r.dtype == p.dtype else xp.astype(r, p.dtype))
        r = r if r.dtype == p.out_dtype else xp.astype(r, p.out_dtype)
        return r if reduction == "none" else as_result(xp, r)
    if (
        weight is None
        and reduction == "mean"
        and sample_weight is None
        and where is None
        and not half
        and 0 not in loss.shape
    ):
        m = mean(xp, loss)
        return as_result(xp, m if divide_by is None else m / divide_by)
    r = reduce(
        xp,
        loss,
        reduction,
        fn=fn,
        sample_weight=sample_weight,
        where=where,
        weight=weight,
        out_dtype=p.out_dtype if half else None,
        weighted_loss=included,
    )
    return r if divide_by is None else as_result(xp, r / divide_by)


class Elementwise(Kind):
    """Losses computed entry by entry over broadcast inputs (regression, binary classification,
    margins, reinforcement learning): the per-element loss has the inputs' broadcast shape.

    The first input must be floating; later inputs may be integer or bool (cast to the compute
    dtype) or Python numbers (0-d arrays). ``where``-excluded entries of every input are set to
    ``fill``, a point where every such loss is finite with finite gradients.
    """

    name = "elementwise"
    returns_doc = (
        'array\n    0-d for ``"mean"``/``"sum"``, else the inputs\' broadcast shape; the inputs\' namespace,\n'
        "    device and floating dtype."
    )

    def __init__(
        self,
        fill: float = 1.0,
        align: Callable[[Namespace, tuple[Any, ...]], tuple[Any, ...]] | None = None,
        numbers: tuple[str, ...] | None = None,
        signs: tuple[str, ...] = (),
        separate: bool = False,
    ) -> None:
        self.fill = fill
        # align(xp, inputs) -> inputs: reshapes a loss's inputs before the shape checks (e.g. a
        # per-row variance gets a trailing axis).
        self.align = align
        # The inputs a Python number may stand for (they broadcast); None: every input but the first.
        self.numbers = numbers
        # Inputs whose boolean arrays are read as signs: True = 1, False = -1.
        self.signs = signs
        # The body returns one term per input, added elementwise when the inputs combine (one
        # broadcasts to the other), else each reduced on its own (two batches of any sizes).
        self.separate = separate

    def numbers_ok(self, inputs: tuple[str, ...], spaces: Mapping[str, str]) -> tuple[bool, ...]:
        if self.numbers is not None:
            return tuple(n in self.numbers for n in inputs)
        return tuple(i > 0 for i in range(len(inputs)))

    def prepare(
        self, rec: LossRecord, xp: Namespace, arrays: tuple[Array, ...], sample_weight: Any, where: Any, **options: Any
    ) -> Prepared:
        if self.align is not None:
            arrays = self.align(xp, arrays)
        if self.separate and not _combine(arrays):
            return self._prepare_apart(rec, xp, arrays, sample_weight, where)
        bools = [
            n in self.signs and dtype_kind(getattr(a, "dtype", None)) == "bool" for n, a in zip(rec.inputs, arrays)
        ]
        out_dtype, dtype, *arrs = floating_inputs(xp, rec.name, rec.inputs, *arrays)
        if any(bools):
            arrs = [2 * a - 1 if b else a for a, b in zip(arrs, bools)]
        if where is not None:
            arrs = list(mask_inputs(xp, rec.name, where, *arrs, fill=self.fill))
        return Prepared(xp, out_dtype, dtype, tuple(arrs), rec.name)

    def _prepare_apart(
        self, rec: LossRecord, xp: Namespace, arrays: tuple[Array, ...], sample_weight: Any, where: Any
    ) -> Prepared:
        if sample_weight is not None or where is not None:
            self._no_elements(rec, arrays, "sample_weight" if sample_weight is not None else "where")
        prepared = [floating_inputs(xp, rec.name, (n,), a) for n, a in zip(rec.inputs, arrays)]
        if len({str(p[1]) for p in prepared}) > 1:
            named = " and ".join(f"`{n}` ({a.dtype})" for n, a in zip(rec.inputs, arrays))
            raise InvalidDTypeError(
                f"lossapi.{rec.name}: {named} must have the same floating dtype when their shapes differ; "
                "cast one of them."
            )
        return _Apart(xp, prepared[0][0], prepared[0][1], tuple(p[2] for p in prepared), rec.name)

    @staticmethod
    def _no_elements(rec: LossRecord, arrays: tuple[Array, ...], what: str) -> None:
        shapes = " and ".join(f"`{n}` {tuple(a.shape)}" for n, a in zip(rec.inputs, arrays))
        raise ShapeMismatchError(
            f"lossapi.{rec.name}: {shapes} do not combine elementwise, so there is no per-element loss "
            f"for {what}; use reduction='mean' or 'sum' (the sum of each input's mean term), or inputs of one shape."
        )

    def finish(self, rec: LossRecord, p: Prepared, out: Any, reduction: str, sample_weight: Any, where: Any) -> Array:
        if not self.separate:
            return finish_elements(p, out, reduction, rec.name, sample_weight, where)
        if type(p) is not _Apart:
            total = out[0]
            for term in out[1:]:
                total = total + term
            return finish_elements(p, total, reduction, rec.name, sample_weight, where)
        if reduction == "none":
            self._no_elements(rec, p.arrays, "reduction='none'")
        total = None
        for term in out:
            r = reduce(p.xp, term, reduction, fn=rec.name)
            total = r if total is None else total + r
        return finish_elements(p, total, "none", rec.name, None, None)


class _Apart(Prepared):
    """Inputs of a ``separate`` elementwise loss that do not combine: each term is reduced alone."""

    __slots__ = ()


def _combine(arrays: tuple[Array, ...]) -> bool:
    """Whether the inputs combine elementwise: one shape that every other broadcasts to."""
    shapes = [tuple(a.shape) for a in arrays if hasattr(a, "shape")]
    if len(shapes) < 2 or all(s == shapes[0] for s in shapes):
        return True
    full = broadcast_shapes(*shapes)
    return full is not None and full in shapes


class Manual(Kind):
    """For the few losses that need their raw arguments: the wrapper checks the options, the
    reduction and the namespace, runs the value checks and the native fast path; the body gets
    ``(xp, *inputs, **options, sample_weight=, where=, reduction=)`` and returns the result."""

    name = "manual"
    manual = True

    def numbers_ok(self, inputs: tuple[str, ...], spaces: Mapping[str, str]) -> tuple[bool, ...]:
        return tuple(i > 0 for i in range(len(inputs)))


#: The kind of most losses.
ELEMENTWISE = Elementwise()
#: The kind of losses that handle their own arguments.
MANUAL = Manual()


# -- docstrings ------------------------------------------------------------------------------------

_SECTION = re.compile(r"^(\S[^\n]*)\n(-{3,})\s*$", re.M)


def _sections(doc: str) -> list[tuple[str, str]]:
    """``doc`` split into ``(title, text)`` numpydoc sections; the first title is ""."""
    out: list[tuple[str, str]] = []
    pos, title = 0, ""
    for m in _SECTION.finditer(doc):
        out.append((title, doc[pos : m.start()]))
        title, pos = m.group(1).strip(), m.end() + 1
    out.append((title, doc[pos:]))
    return out


def _entry(head: str, text: str) -> str:
    return head + "\n" + "\n".join("    " + line if line else "" for line in text.splitlines()) + "\n"


def assemble_doc(body: Callable[..., Any], kind: Kind, shared: list[str]) -> str:
    """The body's docstring with the kind's shared parameters appended to its Parameters section
    (and the kind's Returns section when the body has none)."""
    doc = inspect.cleandoc(body.__doc__ or "")
    parts = _sections(doc)
    titles = [t for t, _ in parts]
    params = next((text for t, text in parts if t == "Parameters"), "")
    documented = {
        n.strip()
        for line in params.splitlines()
        if line and not line[0].isspace()
        for n in line.split(":")[0].split(",")
    }
    extra = "".join(_entry(*kind.shared_doc(n)) for n in shared if n not in documented)
    if "Parameters" not in titles:
        parts.insert(1, ("Parameters", ""))
        titles.insert(1, "Parameters")
    if "Returns" not in titles:
        parts.insert(titles.index("Parameters") + 1, ("Returns", kind.returns_doc + "\n"))
    out = []
    for title, text in parts:
        if title == "Parameters":
            text = text.rstrip("\n") + "\n" + extra if text.strip() else extra
        if title:
            out.append(f"{title}\n{'-' * len(title)}\n{text.rstrip()}\n")
        else:
            out.append(text.rstrip() + "\n")
    return "\n".join(out).rstrip() + "\n"


# -- the wrapper -------------------------------------------------------------------------------------


def _bad_reduction(fn: str, reduction: Any) -> None:
    raise InvalidOptionError(f"lossapi.{fn}: reduction={reduction!r} is not one of 'mean', 'sum', 'none'.")


def _python_scalar(fn: str, name: str, value: Any, xp: Namespace, like: Any) -> Any:
    """A Python number ``sample_weight`` or bool ``where`` as a 0-d array on ``like``'s device
    (the first input's): it broadcasts like one. A number in the first input's floating dtype."""
    if name == "where":
        if type(value) is not bool:
            raise InputTypeError(
                f"lossapi.{fn}: `where` must be a bool array or a Python bool, got {type(value).__name__} {value!r}."
            )
        return xp.asarray(value, device=device_of(like))
    if type(value) is bool:
        raise InputTypeError(
            f"lossapi.{fn}: `sample_weight` must be an array or a Python number, got the bool {value!r}; "
            "to leave entries out pass `where=` instead."
        )
    dtype = like.dtype if dtype_kind(getattr(like, "dtype", None)) == "float" else None
    return xp.asarray(float(value), dtype=dtype, device=device_of(like))


_ANNOTATION = {
    "sample_weight": "Array | float | None",
    "where": "Array | bool | None",
    "reduction": "str",
    "xp": "Namespace | None",
}


def _annotation(c: Constraint, default: Any) -> str:
    """The type annotation of an option, from its constraint."""
    if isinstance(c, Flag):
        return "bool"
    if isinstance(c, Interval):
        base = "float" if not c.arrays else "float | Array"
        return base + (" | None" if c.optional else "")
    if isinstance(c, Integer):
        return "int | None" if c.optional else "int"
    if isinstance(c, Choice):
        kinds = sorted({"None" if v is None else type(v).__name__ for v in c.values}, key=lambda k: k == "None")
        return " | ".join(kinds)
    if c.arrays == "any":
        return "Array | None" if default is None else "float | Array"
    return "Any" if default is None else type(default).__name__


def _bind_prepare(c: Constraint, name: str) -> Callable[[Prepared, Any], Any]:
    return lambda p, value: c.prepare(p, name, value)


_LEGACY_PROMOTION = legacy_promotion()


def _generate(
    rec: LossRecord,
    body: Callable[..., Any],
    kind: Kind,
    body_options: tuple[str, ...],
    kind_options: tuple[str, ...],
    spec: ArgSpec,
) -> Callable[..., Any]:
    name = rec.name
    inputs = rec.inputs
    ns: dict[str, Any] = {
        "_REC": rec,
        "_SPEC": spec,
        "_namespace": namespace_of,
        "_values": _value_checks,
        "_fast": _native.table(name),
        "_fast_path": _native.fast_path,
        "_body": body,
        "_kind": kind,
        "_prepare": kind.prepare,
        "_finish": kind.finish,
        "_bad_reduction": _bad_reduction,
        "_python_scalar": _python_scalar,
        "_PY_SCALARS": (bool, int, float),
        "_REDUCTIONS": REDUCTIONS,
    }
    params = [", ".join(inputs), "/", "*"]
    for opt in rec.options:
        ns[f"_D_{opt}"] = rec.options[opt]
        params.append(f"{opt}=_D_{opt}")
    params += ["sample_weight=None", "where=None", 'reduction="mean"']
    if rec.has_axis:
        ns["_D_axis"] = rec.axis_default
        params.append("axis=_D_axis")
    params.append("xp=None")
    lines = [f"def {name}({', '.join(params)}):"]
    # 1. options
    for opt, c in rec.constraints.items():
        ns[f"_check_{opt}"] = functools.partial(c.check, name, opt)
        test = c.fast(opt, ns)
        if test is None:
            lines.append(f"    {opt} = _check_{opt}({opt})")
        else:
            lines.append(f"    if not ({test}):")
            lines.append(f"        {opt} = _check_{opt}({opt})")
    # 2. reduction, namespace, value checks
    lines.append('    if reduction != "mean" and reduction not in _REDUCTIONS:')
    lines.append(f"        _bad_reduction({name!r}, reduction)")
    arrays = ", ".join(spec.names)
    lines.append("    if xp is None:")
    lines.append(f"        xp = _namespace(_SPEC, ({arrays},))")
    lines.append("    else:")  # the caller's namespace, after the same mixed-library and device checks
    lines.append(f"        _namespace(_SPEC, ({arrays},))")
    for arg in ("sample_weight", "where"):
        lines.append(f"    if {arg} is not None and type({arg}) in _PY_SCALARS:")
        lines.append(f"        {arg} = _python_scalar({name!r}, {arg!r}, {arg}, xp, {inputs[0]})")
    args = [*inputs, *rec.options, "where"] + (["axis"] if rec.has_axis else [])
    lines.append("    if _values.active:")
    lines.append(f"        _values.check_args(_REC, xp, {{{', '.join(f'{a!r}: {a}' for a in args)}}})")
    # 3. native fast path
    common = "sample_weight=sample_weight, where=where, reduction=reduction" + (", axis=axis" if rec.has_axis else "")
    all_opts = "".join(f"{o}={o}, " for o in rec.options)
    # NumPy 1.x: every result back in the prediction's dtype (see ``keep_float_dtype``).
    ret = f"return _keep({{}}, {inputs[0]})" if _LEGACY_PROMOTION else "return {}"
    ns["_keep"] = keep_float_dtype
    lines.append("    if _fast:")
    lines.append("        _f = _fast_path(_fast, xp)")
    lines.append("        if _f is not None:")
    lines.append(f"            _r = _f({', '.join(inputs)}, {all_opts}{common})")
    lines.append("            if _r is not NotImplemented:")
    lines.append("                " + ret.format("_r"))
    if kind.manual:
        lines.append("    " + ret.format(f"_body(xp, {', '.join(inputs)}, {all_opts}{common})"))
    else:
        # 4. prepare, 5. body, 6. finish
        read = tuple(o for o in kind.reads if o in rec.options and o not in kind_options)
        kopts = "".join(f", {o}={o}" for o in (*kind_options, *read)) + (", axis=axis" if rec.has_axis else "")
        lines.append(f"    _p = _prepare(_REC, xp, ({', '.join(inputs)},), sample_weight, where{kopts})")
        for opt in body_options:
            c = rec.constraints[opt]
            if type(c).prepare is Constraint.prepare:
                continue
            ns[f"_prep_{opt}"] = _bind_prepare(c, opt)
            if c.skip_prepare is not None:
                lines.append(f"    if not ({c.skip_prepare.format(var=opt)}):")
                lines.append(f"        {opt} = _prep_{opt}(_p, {opt})")
            else:
                lines.append(f"    {opt} = _prep_{opt}(_p, {opt})")
        first = "_p" if kind.context else "_p.xp"
        bopts = "".join(f", {o}={o}" for o in body_options)
        finish = f"_finish(_REC, _p, _body({first}, *_p.arrays{bopts}), reduction, sample_weight, where)"
        lines.append("    " + ret.format(finish))
    src = "\n".join(lines) + "\n"
    filename = f"<lossapi.{name}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)  # readable tracebacks
    exec(compile(src, filename, "exec"), ns)  # noqa: S102 - our own generated source
    fn: Callable[..., Any] = ns[name]
    fn.__module__ = body.__module__
    fn.__qualname__ = name
    ann: dict[str, Any] = dict.fromkeys(inputs, "Array")
    for opt, c in rec.constraints.items():
        ann[opt] = _annotation(c, rec.options[opt])
    ann.update(_ANNOTATION)
    if rec.has_axis:
        ann["axis"] = "int | None" if rec.axis_default is None or getattr(kind, "axis_none", False) else "int"
        ann["xp"] = ann.pop("xp")
    ann["return"] = "Array"
    fn.__annotations__ = ann
    return fn


def loss(
    kind: Kind,
    *,
    family: str,
    inputs: Mapping[str, str],
    formula: str,
    options: Mapping[str, tuple[Any, Constraint]] | None = None,
    task: str | None = None,
    convex: bool = False,
    smooth: bool = False,
    robust: bool = False,
    bounded: bool = False,
    probabilistic: bool = False,
    counterparts: Mapping[str, str] | None = None,
    aliases: tuple[str, ...] = (),
    value_rules: Mapping[str, str] | None = None,
    axis: Any = NO_AXIS,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a loss from its record and its formula body; return the public function.

    Parameters
    ----------
    kind : Kind
        How the loss is prepared and finished (:data:`ELEMENTWISE`, a class-axis kind, ...).
    family : str
        Loss family (its module).
    inputs : mapping
        The positional inputs, in order, and their spaces (``"real"``, ``"logit"``,
        ``"probability"``, ``"label"``, ...): they drive value checks, docs and test inputs.
    formula : str
        The per-element loss in plain text.
    options : mapping
        ``name -> (default, constraint)`` of the loss's keyword options, in signature order;
        the kind's own options may be listed too (to place them or change a default).
    task : str, optional
        The task it serves (defaults to ``family``).
    convex, smooth, robust, bounded, probabilistic : bool
        Properties (see :class:`~lossapi.LossRecord`).
    counterparts : mapping
        Library -> the exact call of that library that gives the same values.
    aliases : tuple of str
        Other public names.
    value_rules : mapping, optional
        Input -> the name of a value rule of ``lossapi.check_values()`` where the input's space
        alone does not say what is valid.
    axis : int or None, optional
        Default of the ``axis`` keyword when it differs from the kind's.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown loss family {family!r}; expected one of {FAMILIES}")

    def deco(body: Callable[..., Any]) -> Callable[..., Any]:
        name = body.__name__
        sig = inspect.signature(body)
        params = list(sig.parameters.values())
        positional = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        body_options = tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)
        if kind.manual:
            body_options = tuple(o for o in body_options if o not in ("sample_weight", "where", "reduction", "axis"))
        if tuple(positional[1:]) != tuple(inputs):
            raise TypeError(f"{name}: the body's inputs {positional[1:]} differ from the record's {list(inputs)}")
        declared = dict(options or {})
        unknown = set(body_options) - set(declared)
        if unknown:
            raise TypeError(f"{name}: options {sorted(unknown)} have no (default, constraint) in the record")
        allopts = dict(declared)
        for k, v in kind.options.items():
            allopts.setdefault(k, v)
        extra = set(allopts) - set(body_options) - set(kind.options)
        if extra and not kind.manual:
            raise TypeError(f"{name}: options {sorted(extra)} are neither the body's nor the kind's")
        kind_options = tuple(k for k in allopts if k in kind.options)
        axis_default = kind.axis if axis is NO_AXIS else axis
        has_axis = axis_default is not NO_AXIS
        spec = ArgSpec(
            fn=name,
            names=(*inputs, "sample_weight", "where", *(o for o, (_, c) in allopts.items() if c.arrays)),
            numbers_ok=kind.numbers_ok(tuple(inputs), inputs),
            n_inputs=len(inputs),
        )
        shared = ["sample_weight", "where", "reduction"] + [k for k in kind_options if k not in declared]
        if has_axis:
            shared.append("axis")
        shared.append("xp")
        doc = assemble_doc(body, kind, shared)
        rec = LossRecord(
            name=name,
            fn=body,  # replaced by the public function below
            family=family,
            task=task or family,
            inputs=tuple(inputs),
            input_spaces=dict(inputs),
            options={k: d for k, (d, _) in allopts.items()},
            constraints={k: c for k, (_, c) in allopts.items()},
            convex=convex,
            smooth=smooth,
            robust=robust,
            bounded=bounded,
            probabilistic=probabilistic,
            counterparts=dict(counterparts or {}),
            aliases=tuple(aliases),
            summary=doc.splitlines()[0] if doc else "",
            formula=formula,
            has_axis=has_axis,
            axis_default=axis_default if has_axis else None,
            kind=kind.name,
            value_rules=dict(value_rules or {}),
            body=body,
        )
        fn = _generate(rec, body, kind, body_options, kind_options, spec)
        fn.__doc__ = doc
        object.__setattr__(rec, "fn", fn)
        add_record(rec)
        return fn

    return deco


# Kinds use these; exported here so kind modules need one import.
__all__ += ["compute_dtype", "dtype_kind", "finish_elements", "is_full_float"]
