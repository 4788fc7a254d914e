"""Plumbing of the segmentation losses: the segmentation and overlap kinds, the Lovász core.

Shapes. ``probs`` has the batch on its first axis and, unless ``axis=None`` (binary masks), a
class axis at ``axis`` (any axis but the batch's). The target is integer class indices without
the class axis, or a floating (or bool) target of the prediction's shape (broadcastable to it).
Binary masks get a trailing class axis of size 1 here, so that every overlap loss reduces the
same ``(..., C)`` statistics.

Statistics are sums over the *statistic axes*: every axis but the batch and the class axis when
``per_sample`` is True (the "none" shape is then ``(N,)``), every axis but the class axis when
it is False (the "none" shape is ``()``).

``where`` (broadcastable to that "none" shape) is applied to the inputs before any arithmetic:
the excluded samples' probabilities become ``fill`` and their targets 0, so inf/NaN or
out-of-range labels there never reach the value or the gradient; the reduction drops them.

Nothing here branches on array values: absent classes, empty masks and ignored pixels become
``where`` selections and weights, and the Lovász losses sort with a stable permutation
(``_ops.sort_descending_with``) instead of boolean indexing, so every loss traces under
``jax.jit``, ``torch.compile(fullgraph=True)`` and vmap, and stays lazy on Dask.

Two kinds (:class:`~lossapi._loss.Kind`) prepare and finish the losses:

- :class:`Segmentation` (``per_sample``, ``axis``): the body gets a :class:`SegContext` (class
  axis, batch handling, the shared statistics as methods) and the prepared inputs, and returns
  the loss per sample (or of the pooled batch);
- :class:`Overlap` (``class_weight``, ``per_sample``, ``axis``): the body gets an
  :class:`OverlapContext` whose ``stats`` are the overlap sums ``(I, P, T)`` and returns the
  per-class loss; the kind takes the (weighted) class mean and reduces;
- :class:`Compound` (an overlap loss on logits plus a per-pixel classification term): the body
  returns :class:`Terms`, the per-class overlap loss and the pixel term; the kind reduces each
  by its own rule and adds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .._array import compute_dtype, device_of, dtype_kind
from .._errors import InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from .._loss import NO_AXIS, Kind, PerElement, Prepared, finish_elements
from .._ops import activation as activation_of
from .._ops import as_result, astype, cumulative_sum, label_hits, label_sums, sort_descending_with
from .._options import BoolMask, Choice, ClassWeight, Constraint, Flag, Integer, Interval
from .._validation import broadcast_shapes, check_where, same_size
from ._classes import ClassContext, ignore_mask, nan_if_any, nan_where, prepare_classes

__all__ = [
    "OVERLAP",
    "Compound",
    "Overlap",
    "OverlapContext",
    "SegContext",
    "Segmentation",
    "Terms",
    "class_mean",
    "lovasz_grad",
    "lovasz_sorted",
    "prepare_segmentation",
    "safe_div",
    "sum_over",
]


# -- contexts -------------------------------------------------------------------------------------


class SegContext(Prepared):
    """Prepared segmentation inputs, the first argument of a segmentation body.

    ``arrays``: the probabilities in the compute dtype with the class axis at ``axis`` (binary
    masks: a trailing axis of size 1, unless the kind keeps them flat) and the target (integer
    labels when ``int_labels``, else the floating target broadcast to the probabilities'
    shape); ``num_classes``: the size of the class axis; ``binary``: the inputs had no class
    axis (``axis=None``); ``per_sample``: statistics per sample (else pooled over the batch).
    """

    __slots__ = ("axis", "bad", "binary", "int_labels", "keep", "num_classes", "per_sample")

    def __init__(
        self,
        xp: Any,
        out_dtype: Any,
        dtype: Any,
        arrays: tuple[Any, ...],
        fn: str,
        axis: int,
        num_classes: Any,
        int_labels: bool,
        binary: bool,
        per_sample: bool,
    ) -> None:
        super().__init__(xp, out_dtype, dtype, arrays, fn)
        self.axis, self.num_classes, self.int_labels = axis, num_classes, int_labels
        self.binary, self.per_sample = binary, per_sample
        #: Samples (``(N,)``; 0-d when pooled) with an integer label outside ``[0, C)`` that is not
        #: ``ignore_index``: their loss is NaN. None when the target cannot hold such labels.
        self.bad: Any = None
        #: Pixels that enter the statistics (boolean, the inputs' shape with a class axis of
        #: size 1): False at pixels left out by ``mask`` or labelled ``ignore_index``; None: all.
        self.keep: Any = None

    @property
    def stat_axes(self) -> tuple[int, ...]:
        """The axes the statistics are summed over (all but the class axis, and the batch's when per sample)."""
        skip = (self.axis, 0) if self.per_sample else (self.axis,)
        return tuple(i for i in range(self.arrays[0].ndim) if i not in skip)

    def overlap(self, squared: bool = False) -> tuple[Any, Any, Any]:
        """``(I, P, T) = (sum p t, sum p, sum t)`` over the statistic axes, each ``(N, C)`` or ``(C,)``,
        over the kept pixels (:attr:`keep`); ``squared``: ``P = sum p^2``, ``T = sum t^2``.

        Integer labels are never expanded into a floating one-hot (see :func:`label_sums`).
        Left-out pixels are selected away (``where``), so NaN there reaches neither the value
        nor the gradient.
        """
        xp, axes, keep = self.xp, self.stat_axes, self.keep
        p, t = self.arrays
        if keep is not None:
            p = xp.where(keep, p, 0.0)
        P = sum_over(xp, p * p if squared else p, axes)
        if self.int_labels and keep is None:
            I, T = label_sums(xp, p, t, self.num_classes, self.axis, axes)  # noqa: E741
        elif self.int_labels:
            hits = label_hits(xp, t, self.num_classes, self.axis)
            if keep is not None:
                hits = hits & keep
            I = sum_over(xp, xp.where(hits, p, 0.0), axes)  # noqa: E741
            T = sum_over(xp, xp.astype(hits, self.dtype), axes)
        else:
            if keep is not None:
                t = xp.where(keep, t, 0.0)
            I = sum_over(xp, p * t, axes)  # noqa: E741
            T = sum_over(xp, t * t if squared else t, axes)
        return I, P, T

    def flat(self, x: Any, class_axis: bool = True) -> Any:
        """``x`` as ``(G, M, C)`` (class axis last) or, without a class axis, ``(G, M)``: ``G`` groups
        (the batch size per sample, else 1) of ``M`` pixels."""
        xp = self.xp
        g = x.shape[0] if self.per_sample else 1
        if class_axis:
            if self.axis != x.ndim - 1:  # class axis last (permute_dims: torch.func.vmap has no moveaxis rule)
                x = xp.permute_dims(x, (*(i for i in range(x.ndim) if i != self.axis), self.axis))
            return xp.reshape(x, (g, _rest(x.shape[:-1], g), x.shape[-1]))
        return xp.reshape(x, (g, _rest(x.shape, g)))


class OverlapContext(SegContext):
    """Prepared inputs of an overlap loss: ``stats`` are the overlap sums ``(I, P, T)`` (see
    :meth:`SegContext.overlap`); ``class_weight`` the per-class weights of the class mean (None:
    equal weights)."""

    __slots__ = ("class_weight", "logits", "per_class", "smooth_dr", "stats")
    class_weight: Any
    #: The first input before the activation (None without one).
    logits: Any
    per_class: bool
    smooth_dr: Any
    stats: tuple[Any, Any, Any]

    def classes(self) -> ClassContext:
        """The inputs as a class-axis context, for a class-axis formula on the same pixels."""
        c = self
        return ClassContext(c.xp, c.out_dtype, c.dtype, c.arrays, c.fn, c.axis, c.num_classes, c.int_labels, False)

    def one_hot(self) -> Any:
        """The target as a floating array of the prediction's shape (one-hot from class indices)."""
        t = self.arrays[1]
        if not self.int_labels:
            return t
        return astype(self.xp, label_hits(self.xp, t, self.num_classes, self.axis), self.dtype)

    def one_minus(self, num: Any, den: Any, smooth: Any = None) -> Any:
        """``1 - (num + smooth) / (den + smooth_dr)``, and 0 where the denominator is 0 (an empty
        class with no smoothing): the per-class loss of a ratio of non-negative overlap sums.
        ``smooth_dr`` is the option of that name, ``smooth`` when it is None.

        With a positive Python-number denominator smoothing the denominator cannot be 0: the
        guard (three extra operations) is skipped. ``smooth=None`` adds nothing (the caller
        smoothed already).
        """
        if smooth is None:
            return safe_div(self.xp, den - num, den)
        s_dr = smooth if self.smooth_dr is None else self.smooth_dr
        num, den = num + smooth, den + s_dr
        if isinstance(s_dr, (int, float)) and s_dr > 0:
            return (den - num) / den
        return safe_div(self.xp, den - num, den)


# -- kinds ----------------------------------------------------------------------------------------

_SEG_DOCS: dict[str, tuple[str, str]] = {
    "per_sample": (
        "per_sample : bool",
        'Statistics per sample (``"none"`` shape ``(N,)``) or pooled over the batch (0-d).',
    ),
    "axis": (
        "axis : int or None, default -1",
        "Class axis (not the batch axis 0); None for binary masks without a class axis.",
    ),
    "sample_weight": (
        "sample_weight : array, optional",
        'Weights of the samples, broadcastable to the ``"none"`` shape.',
    ),
    "where": (
        "where : bool array, optional",
        'Samples to include (broadcastable to the ``"none"`` shape); excluded samples may hold\n'
        "inf/NaN or out-of-range labels.",
    ),
    "reduction": ('reduction : {"mean", "sum", "none"}', "Reduction over the samples."),
}


class Segmentation(Kind):
    """Segmentation losses over a batch of images: a class axis (or binary masks) and per-sample
    or pooled statistics.

    The kind owns ``per_sample`` and ``axis``: it checks the prediction and the target against
    each other (class indices or a floating target, see the module docstring), upcasts 16-bit
    inputs, masks ``where``-excluded samples and hands the body a :class:`SegContext`. The body
    returns the loss per sample, shape ``(N,)``, or, with pooled statistics, of the one group
    (0-d or ``(1,)``); the kind reduces it over the samples.

    Parameters
    ----------
    labels : {"auto", "int"}
        ``"int"``: the target must hold class indices (no ``axis=None``).
    fill : float
        Value of the probabilities of ``where``-excluded samples.
    two_class : bool
        Binary masks become two classes ``[1 - p, p]`` / ``[1 - t, t]`` (confusion-matrix losses).
    binary : bool
        Binary masks only, kept flat (no class axis), and no ``axis`` keyword.
    pixels : bool
        The ``activation``, ``ignore_index`` and ``mask`` options of the overlap losses: logits
        activated inside, and the left-out pixels zeroed in both inputs (a confusion matrix
        then counts them nowhere).
    """

    name = "segmentation"
    context = True
    axis = -1
    reads = ("ignore_index",)
    options: Mapping[str, tuple[Any, Constraint]] = {"per_sample": (False, Flag())}
    option_docs = _SEG_DOCS
    returns_doc = (
        'array\n    0-d for ``"mean"``/``"sum"``; ``"none"``: ``(N,)`` per sample or 0-d pooled. The\n'
        "    probabilities' namespace, device and floating dtype."
    )

    def __init__(
        self,
        *,
        labels: str = "auto",
        fill: float = 0.5,
        two_class: bool = False,
        binary: bool = False,
        pixels: bool = False,
    ) -> None:
        self.labels, self.fill, self.two_class, self.binary = labels, fill, two_class, binary
        self.axis_none = labels != "int"  # axis=None (binary masks) is accepted
        if binary:
            self.axis = NO_AXIS
        self.pixels = pixels
        if pixels:
            self.options = {**self.options, **_PIXEL_OPTIONS}
            self.option_docs = {**_SEG_DOCS, **_OVERLAP_DOCS}

    def prepare(
        self,
        rec: Any,
        xp: Any,
        arrays: tuple[Any, ...],
        sample_weight: Any,
        where: Any,
        *,
        per_sample: bool,
        axis: Any = None,
        ignore_index: Any = None,
        activation: Any = None,
        mask: Any = None,
        **options: Any,
    ) -> SegContext:
        c = prepare_segmentation(
            rec.name,
            rec.inputs,
            xp,
            arrays[0],
            arrays[1],
            axis=axis,
            per_sample=per_sample,
            where=where,
            labels=self.labels,
            fill=self.fill,
            class_axis=not self.binary,
            two_class=self.two_class,
            ignore_index=ignore_index,
            activation=activation,
            mask=mask,
            drop_ignored=self.pixels,
        )
        if c.keep is not None:  # left-out pixels: no probability, no class
            p, t = c.arrays
            p = xp.where(c.keep, p, 0.0)
            if c.int_labels:
                t = xp.where(xp.squeeze(c.keep, axis=c.axis), t, xp.full_like(t, -1))
            else:
                t = xp.where(c.keep, t, 0.0)
            c.arrays = (p, t)
        return c

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        xp = p.xp
        if not p.per_sample and out.ndim:  # pooled statistics: the one group's loss is 0-d
            out = xp.reshape(out, ())
        return finish_samples(rec, p, out, p.bad, reduction, sample_weight, where)


class Overlap(Segmentation):
    """Overlap losses (Dice, Jaccard, Tversky, ...): a per-class loss from the overlap sums.

    On top of :class:`Segmentation` the kind computes the statistics ``(I, P, T) = (sum p t,
    sum p, sum t)`` over the statistic axes (``OverlapContext.stats``), hands the body the
    ratio rule of every overlap loss (``OverlapContext.one_minus``: an empty class scores 0),
    and after the body takes the class mean, weighted by ``class_weight``, before the reduction.

    Options that change every overlap loss the same way belong here, once: the activation of
    logits, the pixels that enter the statistics (``mask``, ``ignore_index``), the classes
    (``include_background``), squared sums (``squared_pred``), the denominator smoothing
    (``smooth_dr``, read by ``OverlapContext.one_minus``) and the per-class output
    (``per_class``, :meth:`finish`).

    Parameters
    ----------
    class_mean : bool
        The body returns the per-class loss ``(..., C)`` and the kind averages the classes
        (with ``class_weight``; ``per_class`` keeps them). False: the body combines the classes
        itself (no ``class_weight`` or ``per_class`` option).
    squared : bool
        The ``squared_pred`` option (sums of squares in the denominator).
    """

    name = "overlap"

    def __init__(self, *, class_mean: bool = True, squared: bool = False) -> None:
        super().__init__()
        self.class_mean, self.squared = class_mean, squared
        opts: dict[str, tuple[Any, Constraint]] = {"class_weight": (None, ClassWeight())} if class_mean else {}
        opts["per_sample"] = (True, Flag())
        opts["activation"] = (None, Choice(None, "sigmoid", "softmax"))
        opts["include_background"] = (True, Flag())
        opts["ignore_index"] = (None, Integer(optional=True))
        opts["mask"] = (None, BoolMask())
        opts["smooth_dr"] = (None, Interval(0, None, optional=True, arrays="0-d"))
        if squared:
            opts["squared_pred"] = (False, Flag())
        if class_mean:
            opts["per_class"] = (False, Flag())
        self.options = opts
        self.option_docs = {**_SEG_DOCS, **_OVERLAP_DOCS}

    def prepare(
        self,
        rec: Any,
        xp: Any,
        arrays: tuple[Any, ...],
        sample_weight: Any,
        where: Any,
        *,
        per_sample: bool,
        axis: Any = None,
        class_weight: Any = None,
        activation: Any = None,
        include_background: bool = True,
        ignore_index: Any = None,
        mask: Any = None,
        smooth_dr: Any = None,
        squared_pred: bool = False,
        per_class: bool = False,
        **options: Any,
    ) -> OverlapContext:
        check_activation(rec.name, activation, axis)
        if per_class and where is not None and where.ndim == (2 if per_sample else 1):
            # A where per (sample, class) entry: the inputs are masked for whole samples only.
            where = xp.any(where, axis=-1)
        c = prepare_segmentation(
            rec.name,
            rec.inputs,
            xp,
            arrays[0],
            arrays[1],
            axis=axis,
            per_sample=per_sample,
            where=where,
            ignore_index=ignore_index,
            mask=mask,
            drop_ignored=True,
        )
        o = OverlapContext(
            c.xp, c.out_dtype, c.dtype, c.arrays, c.fn, c.axis, c.num_classes, c.int_labels, c.binary, c.per_sample
        )
        o.bad, o.keep, o.per_class, o.logits = c.bad, c.keep, per_class, None
        o.smooth_dr = None if smooth_dr is None else rec.constraints["smooth_dr"].prepare(o, "smooth_dr", smooth_dr)
        if activation is not None:
            p, t = o.arrays
            o.logits = p
            o.arrays = (activation_of(xp, p, activation, o.axis), t)
        o.class_weight = (
            None if class_weight is None else rec.constraints["class_weight"].prepare(o, "class_weight", class_weight)
        )
        stats = o.overlap(squared=squared_pred)
        if not include_background:
            if o.num_classes == 1:
                raise InvalidOptionError(
                    f"lossapi.{rec.name}: include_background=False leaves no class of a one-channel input; "
                    "binary masks (axis=None) have no background channel to leave out."
                )
            stats = (stats[0][..., 1:], stats[1][..., 1:], stats[2][..., 1:])
            if o.class_weight is not None:
                o.class_weight = o.class_weight[1:]
        o.stats = stats
        return o

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        if self.class_mean:
            if p.per_class:
                return self._finish_per_class(rec, p, out, reduction, sample_weight, where)
            out = class_mean(p.xp, out, p.class_weight)
        return super().finish(rec, p, out, reduction, sample_weight, where)

    def _finish_per_class(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        """``per_class``: the elements of the reduction are the (sample, class) losses, class axis
        last. Per-sample ``sample_weight``, ``where`` and invalid-label NaN broadcast along the
        classes; ``class_weight`` weighs the classes like a sample weight (MONAI's ``weight``)."""
        xp = p.xp
        if not p.per_sample:  # pooled statistics: one group, the classes are the elements
            out = xp.reshape(out, (out.shape[-1],))

        def along(v: Any) -> Any:  # a per-sample array gains the class axis
            return xp.expand_dims(v, axis=-1) if getattr(v, "ndim", 0) == out.ndim - 1 and out.ndim > 1 else v

        sample_weight, where = along(sample_weight), along(where)
        if p.class_weight is not None:
            sample_weight = p.class_weight if sample_weight is None else sample_weight * p.class_weight
        return finish_samples(rec, p, out, None if p.bad is None else along(p.bad), reduction, sample_weight, where)


def finish_samples(rec: Any, p: Any, out: Any, bad: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
    """The reduction of the per-sample (or per-class) losses ``out``; an entry with an invalid
    label (``bad``, None: none can be) carries no weight (zero gradient) and scores NaN."""
    if bad is None:
        return finish_elements(p, out, reduction, rec.name, sample_weight, where)
    xp = p.xp
    out = PerElement(xp.where(bad, xp.zeros_like(out), out), weight=astype(xp, ~bad, p.dtype))
    r = finish_elements(p, out, reduction, rec.name, sample_weight, where)
    return nan_where(xp, bad, r) if reduction == "none" else nan_if_any(xp, bad, r)


_OVERLAP_DOCS: dict[str, tuple[str, str]] = {
    "activation": (
        'activation : {None, "sigmoid", "softmax"}, default None',
        'The first input holds logits and this activation runs inside (stable): ``"sigmoid"``\n'
        'elementwise, ``"softmax"`` over the class axis (MONAI ``sigmoid=`` / ``softmax=``,\n'
        "smp ``from_logits=True``). None: the first input holds probabilities.",
    ),
    "include_background": (
        "include_background : bool, default True",
        "False leaves class 0 out of every statistic and of the class mean (MONAI).",
    ),
    "ignore_index": (
        "ignore_index : int, optional",
        "Pixels whose label (integer class index, or binary-mask value with ``axis=None``) equals\n"
        "it are left out of every sum, in the prediction and the target alike (smp, MONAI).",
    ),
    "mask": (
        "mask : bool array, optional",
        "The inputs' shape without the class axis (broadcastable): False pixels are left out of\n"
        "every sum (MONAI ``MaskedDiceLoss``). ``where`` still selects whole samples.",
    ),
    "smooth_dr": (
        "smooth_dr : float or 0-d array, optional",
        "Smoothing of the denominator; None: ``smooth`` (MONAI ``smooth_nr`` / ``smooth_dr``).",
    ),
    "squared_pred": (
        "squared_pred : bool, default False",
        "Sums of squares :math:`\\sum p^2 + \\sum t^2` in the denominator (V-Net, MONAI\n``squared_pred``).",
    ),
    "per_class": (
        "per_class : bool, default False",
        'The (sample, class) losses are the elements of the reduction: ``"none"`` keeps the class\n'
        "axis last, ``(N, C)`` per sample or ``(C,)`` pooled (``C - 1`` classes with\n"
        '``include_background=False``), ``"sum"`` adds every class of every sample (MONAI\'s\n'
        '``"sum"``), ``"mean"`` is unchanged. ``class_weight`` then weighs the classes like\n'
        "``sample_weight`` (MONAI's ``weight``).",
    ),
}


#: The kind of the overlap losses with a class mean (Dice, Jaccard, Tversky).
OVERLAP = Overlap()
#: The pixel options of :class:`Segmentation` (``pixels=True``), as the overlap losses declare them.
_PIXEL_OPTIONS = {k: OVERLAP.options[k] for k in ("activation", "ignore_index", "mask")}


class Terms(NamedTuple):
    """What a compound body returns: ``overlap + scale * pixels``.

    Attributes
    ----------
    overlap : array
        The per-class overlap loss, ``(N, C)`` or ``(C,)`` pooled (the kind averages the classes).
    pixels : array or PerElement
        The per-pixel loss with the batch first (any further axes, a class axis too, are pixels
        of the sample); a :class:`~lossapi._loss.PerElement` carries the pixels' weights
        (0 at ignored pixels).
    scale : float or 0-d array
        Factor of the pixel term.
    """

    overlap: Any
    pixels: Any
    scale: Any


class Compound(Overlap):
    """An overlap loss of the activated logits plus a per-pixel classification term of the logits
    (Dice + cross-entropy, Dice + focal).

    The kind prepares the inputs as :class:`Overlap` does, with the activation (``"softmax"``
    unless the record declares an ``activation`` option) run inside, and hands the body the
    logits, the target and the overlap sums. It reduces the two terms of :class:`Terms` apart:
    the overlap term per sample (or pooled) as every overlap loss, the pixel term as a mean over
    the counted pixels -- of each sample for ``"none"`` (the sum of those for ``"sum"``), of the
    whole batch for ``"mean"`` (torch's weighted mean: with ``ignore_index`` the counted pixels
    of the batch, not the samples, are averaged) -- and adds them.

    Parameters
    ----------
    squared : bool
        The ``squared_pred`` option.
    activation : bool
        The ``activation`` option (``"sigmoid"`` or ``"softmax"``); otherwise softmax.
    ignore_index : bool
        The ``ignore_index`` option.
    """

    name = "compound"
    returns_doc = (
        'array\n    0-d for ``"mean"``/``"sum"``; ``"none"``: ``(N,)`` per sample or 0-d pooled. The logits\'\n'
        "    namespace, device and floating dtype."
    )

    def __init__(self, *, squared: bool = False, activation: bool = False, ignore_index: bool = False) -> None:
        super().__init__(squared=squared)
        keep = {"per_sample", "include_background", "smooth_dr", "squared_pred"}
        keep |= {"activation"} if activation else set()
        keep |= {"ignore_index"} if ignore_index else set()
        self.options = {k: v for k, v in self.options.items() if k in keep}

    def prepare(
        self, rec: Any, xp: Any, arrays: tuple[Any, ...], sample_weight: Any, where: Any, **options: Any
    ) -> OverlapContext:
        options.setdefault("activation", "softmax")
        o = super().prepare(rec, xp, arrays, sample_weight, where, **options)
        o.arrays = (o.logits, o.arrays[1])
        return o

    def finish(self, rec: Any, p: Any, out: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
        xp = p.xp
        overlap = super().finish(rec, p, out.overlap, reduction, sample_weight, where)
        pixels = pixel_mean(p, out.pixels, reduction, sample_weight, where)
        return as_result(xp, overlap + out.scale * astype(xp, pixels, overlap.dtype))  # 0-d NumPy sums are scalars


def pixel_mean(p: SegContext, term: Any, reduction: str, sample_weight: Any, where: Any) -> Any:
    """The pixel term of a compound loss, reduced (see :class:`Compound`).

    A sample's counted pixels are those of nonzero weight; a sample with none (every pixel
    ignored) scores 0 with zero gradient. Samples with an invalid label (``p.bad``) and
    ``where``-excluded ones carry no weight.
    """
    xp = p.xp
    loss, weight = (term.loss, term.weight) if type(term) is PerElement else (term, None)
    if weight is not None:
        weight = xp.broadcast_to(astype(xp, weight, p.dtype), tuple(loss.shape))
    n = loss.shape[0]
    shape = (n, _rest(tuple(loss.shape), n))
    loss = xp.reshape(loss, shape)
    w = xp.ones_like(loss) if weight is None else xp.reshape(weight, shape)
    # Per-sample factors: (N,) per sample, 0-d pooled.
    s = None
    for f in (None if p.bad is None else ~p.bad, where, sample_weight):
        if f is not None:
            f = astype(xp, f, p.dtype)
            s = f if s is None else s * f
    wl, total = xp.sum(w * loss, axis=1), xp.sum(w, axis=1)
    if not p.per_sample:  # one group: the whole batch's pixels
        wl, total = xp.sum(wl), xp.sum(total)
    if reduction == "mean":
        if s is not None:
            wl, total = wl * s, total * s
        return safe_div(xp, xp.sum(wl), xp.sum(total))
    per = safe_div(xp, wl, total)
    if s is not None:
        per = per * s
    return per if reduction == "none" else xp.sum(per)


# -- preparation ----------------------------------------------------------------------------------


def _lead(xp: Any, where: Any, ndim: int) -> Any:
    """A per-sample (or 0-d) ``where`` reshaped to broadcast against an ``ndim``-D input."""
    n = where.shape[0] if where.ndim == 1 else 1
    return xp.reshape(where, (n,) + (1,) * (ndim - 1))


def prepare_segmentation(
    fn: str,
    names: Any,
    xp: Any,
    probs: Any,
    target: Any,
    *,
    axis: Any,
    per_sample: bool,
    where: Any,
    labels: str = "auto",
    fill: float = 0.5,
    class_axis: bool = True,
    two_class: bool = False,
    ignore_index: Any = None,
    mask: Any = None,
    drop_ignored: bool = False,
    activation: Any = None,
) -> SegContext:
    """Static checks and preparation of the inputs of a segmentation loss (see the module docstring).

    ``names`` name ``probs`` and ``target`` (error messages only). ``labels``: ``"auto"``
    (integer dtype = class indices, else a floating target), ``"int"`` (class indices
    required). ``axis=None`` means binary masks: the target may then be floating, integer or
    bool and is cast to the compute dtype; ``class_axis`` adds a trailing class axis of size 1
    to both, ``two_class`` makes them the two classes ``[1 - p, p]`` / ``[1 - t, t]``.

    ``mask`` (boolean, the prediction's shape without the class axis) and, with
    ``drop_ignored``, the pixels labelled ``ignore_index`` become ``SegContext.keep``: the
    pixels of the statistics. Invalid labels at left-out pixels do not make the sample NaN.
    ``activation`` (``"sigmoid"`` / ``"softmax"``) turns logits into probabilities before the
    two classes are formed.
    """
    nm = list(names)
    check_activation(fn, activation, axis)
    if axis is None:
        if dtype_kind(probs.dtype) != "float":
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{nm[0]}` must have a real floating dtype, got {probs.dtype}; "
                f"cast it first, e.g. xp.astype({nm[0]}, xp.float32)."
            )
        if labels == "int":
            raise InvalidOptionError(
                f"lossapi.{fn}: axis=None (binary masks) is not supported; use lossapi.lovasz_hinge on logits, or "
                "pass two-class probabilities with a class axis."
            )
        if probs.ndim == 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{nm[0]}` is 0-d, but segmentation inputs have a leading batch axis (shape (N, ...))."
            )
        if dtype_kind(target.dtype) == "other":
            raise InvalidDTypeError(f"lossapi.{fn}: `{nm[1]}` has unsupported dtype {target.dtype}.")
        full = broadcast_shapes(tuple(target.shape), tuple(probs.shape))
        if full is None or len(full) != probs.ndim or not all(same_size(a, b) for a, b in zip(full, probs.shape)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{nm[1]}` of shape {tuple(target.shape)} does not match `{nm[0]}` of shape "
                f"{tuple(probs.shape)}; with axis=None (binary masks) the target has the prediction's shape."
            )
        out_dtype = probs.dtype
        dtype = compute_dtype(xp, out_dtype)
        p = astype(xp, probs, dtype)
        t = astype(xp, target, dtype)
        if tuple(t.shape) != tuple(p.shape):
            t = xp.broadcast_to(t, tuple(p.shape))
        if class_axis:
            p, t = xp.expand_dims(p, axis=-1), xp.expand_dims(t, axis=-1)
        ax, num_classes, int_labels, binary = p.ndim - 1, 1, False, True
    else:
        if (
            isinstance(axis, int)
            and not isinstance(axis, bool)
            and probs.ndim > 0
            and -probs.ndim <= axis < probs.ndim
            and axis % probs.ndim == 0
        ):
            raise ShapeMismatchError(
                f"lossapi.{fn}: axis={axis} is the batch axis of `{nm[0]}` (shape {tuple(probs.shape)}); "
                "segmentation inputs are (N, ..., C) with axis=-1 or (N, C, ...) with axis=1 (for binary "
                "masks without a class axis pass axis=None)."
            )
        cp = prepare_classes(fn, nm, xp, probs, target, axis=axis, where=None, labels=labels, ignore_index=ignore_index)
        (p, t), out_dtype, dtype, ax = cp.arrays, cp.out_dtype, cp.dtype, cp.axis
        num_classes, int_labels, binary = cp.num_classes, cp.int_labels, False
        if not int_labels and tuple(t.shape) != tuple(p.shape):
            t = xp.broadcast_to(t, tuple(p.shape))
    if where is not None:
        check_where(fn, where)
        none = (p.shape[0],) if per_sample else ()
        ws = broadcast_shapes(tuple(where.shape), none)
        if ws is None or len(ws) != len(none) or not all(same_size(a, b) for a, b in zip(ws, none)):
            what = f"the per-sample loss shape {none}" if per_sample else "the pooled loss shape () (per_sample=False)"
            raise ShapeMismatchError(
                f"lossapi.{fn}: `where` has shape {tuple(where.shape)}, which does not broadcast to {what}: "
                "segmentation losses mask whole samples."
            )
        wp = _lead(xp, where, p.ndim)
        p = xp.where(wp, p, xp.asarray(fill, dtype=dtype, device=device_of(p)))
        if int_labels:
            t = xp.where(_lead(xp, where, t.ndim), t, xp.zeros_like(t))
        else:
            t = xp.where(_lead(xp, where, t.ndim), t, xp.asarray(0.0, dtype=dtype, device=device_of(t)))
    if activation is not None:
        p = activation_of(xp, p, activation, ax)
    if binary and two_class:
        p = xp.concat([1.0 - p, p], axis=-1)
        t = xp.concat([1.0 - t, t], axis=-1)
        num_classes = 2
    c = SegContext(xp, out_dtype, dtype, (p, t), fn, ax, num_classes, int_labels, binary, per_sample)
    pixels = None  # the kept pixels, the prediction's shape without the class axis
    shape = tuple(probs.shape) if axis is None else tuple(d for i, d in enumerate(p.shape) if i != ax)
    if mask is not None:
        ms = broadcast_shapes(tuple(mask.shape), shape)
        if ms is None or len(ms) != len(shape) or not all(same_size(a, b) for a, b in zip(ms, shape)):
            raise ShapeMismatchError(
                f"lossapi.{fn}: `mask` has shape {tuple(mask.shape)}, which does not broadcast to {shape}, the shape "
                f"of `{nm[0]}` without its class axis (for MONAI's (N, 1, H, W) masks pass mask[:, 0])."
            )
        pixels = mask
    if drop_ignored and ignore_index is not None:
        labelled = None
        if int_labels:
            labelled, _ = ignore_mask(fn, xp, t, ignore_index)
        elif binary and dtype_kind(target.dtype) == "int":  # 0/1 masks with an ignore value (smp)
            labelled, _ = ignore_mask(fn, xp, target, ignore_index)
        elif binary and dtype_kind(target.dtype) == "float":
            labelled = target != float(ignore_index)
        if labelled is not None:
            labelled = xp.broadcast_to(labelled, shape)
            pixels = labelled if pixels is None else pixels & labelled
    if pixels is not None:
        c.keep = xp.expand_dims(xp.broadcast_to(pixels, shape), axis=ax)
    if int_labels and cp.bad is not None:
        bad = cp.bad if pixels is None else cp.bad & pixels
        bad = bad if where is None else bad & _lead(xp, where, bad.ndim)
        if not per_sample:
            c.bad = xp.any(bad)
        else:
            c.bad = xp.any(bad, axis=tuple(range(1, bad.ndim))) if bad.ndim > 1 else bad
    return c


# -- statistics -----------------------------------------------------------------------------------


def check_activation(fn: str, activation: Any, axis: Any) -> None:
    """A softmax needs a class axis: binary masks (``axis=None``) have one channel."""
    if activation == "softmax" and axis is None:
        raise InvalidOptionError(
            f"lossapi.{fn}: activation='softmax' needs a class axis; binary masks (axis=None) have one "
            "channel: pass activation='sigmoid', or two-class logits with a class axis."
        )


def sum_over(xp: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """``sum(x, axis=axes)``; an empty tuple sums nothing (torch would read it as every axis)."""
    return xp.sum(x, axis=axes) if axes else x


def safe_div(xp: Any, num: Any, den: Any, empty: Any = 0.0) -> Any:
    """``num / den`` where ``den != 0``, else ``empty``; finite gradients everywhere (double where)."""
    ok = den != 0
    return xp.where(ok, num / xp.where(ok, den, xp.ones_like(den)), empty)


def class_mean(xp: Any, loss: Any, weight: Any = None) -> Any:
    """Mean of the per-class ``loss`` over its last axis; with ``weight`` (C,) the weighted
    mean ``sum(w l) / sum(w)`` (0 when the weights sum to 0)."""
    if weight is None:
        return xp.mean(loss, axis=-1)
    return safe_div(xp, xp.sum(loss * weight, axis=-1), xp.sum(weight))


def _rest(shape: tuple[Any, ...], g: Any) -> Any:
    """``-1`` for reshape, or the explicit size when it is ambiguous (a batch of 0 samples)."""
    if g != 0 and not (len(shape) > 1 and 0 in shape):
        return -1
    n = 1
    for d in shape[1:] if g != 1 else shape:
        n = n * d
    return n


# -- Lovász --------------------------------------------------------------------------------------


def lovasz_grad(xp: Any, gt: Any, bg: Any) -> Any:
    """Gradient of the Lovász extension of the Jaccard loss at the sorted errors.

    ``gt`` / ``bg``: foreground / background indicators of the pixels in the order of their
    errors (descending), along the last axis; a pixel with ``gt = bg = 0`` (ignored) leaves the
    running intersection and union unchanged, so its gradient entry is exactly 0 and the
    other entries are those without it (Berman et al. 2018, Alg. 1).
    """
    if 0 in gt.shape:  # no pixels (an empty batch): nothing to weigh, and no slice to take
        return xp.zeros_like(gt)
    gts = xp.sum(gt, axis=-1, keepdims=True)
    inter = gts - cumulative_sum(xp, gt, axis=-1)
    union = gts + cumulative_sum(xp, bg, axis=-1)
    jac = 1.0 - safe_div(xp, inter, union, 1.0)
    return xp.concat([jac[..., :1], jac[..., 1:] - jac[..., :-1]], axis=-1)


def lovasz_sorted(xp: Any, errors: Any, gt: Any, bg: Any | None) -> tuple[Any, Any]:
    """``(e, g)``: the errors sorted in descending order along the last axis and the Lovász
    gradient of the ground truth permuted the same way (``bg = 1 - gt`` when None); the loss
    is ``sum_k f(e_k) g_k``."""
    if bg is None:
        e, g = sort_descending_with(xp, errors, gt, axis=-1)
        return e, lovasz_grad(xp, g, 1.0 - g)
    # One permutation carries both indicators: code = gt - bg in {-1, 0, 1}.
    e, code = sort_descending_with(xp, errors, gt - bg, axis=-1)
    return e, lovasz_grad(xp, xp.astype(code > 0, code.dtype), xp.astype(code < 0, code.dtype))
