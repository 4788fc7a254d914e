"""Plumbing shared by the loss families: set-up of inputs and the final reduction.

``setup`` resolves the namespace, validates options and dtypes, casts to the compute dtype
(float32 for 16-bit inputs) and masks ``where``-excluded entries; ``finish`` reduces and casts
back. Loss bodies in between are pure Array API math.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .._dispatch import get_namespace
from .._ops import param
from .._reduction import mask_inputs, reduce
from .._validation import check_reduction, floating_inputs


class Prepared(NamedTuple):
    xp: Any
    out_dtype: Any
    dtype: Any
    arrays: tuple[Any, ...]
    params: tuple[Any, ...]


def setup(
    fn: str,
    names: str,
    arrays: tuple[Any, ...],
    *,
    sample_weight: Any,
    where: Any,
    reduction: str,
    xp: Any,
    params: tuple[Any, ...] = (),
    fill: float = 1.0,
) -> Prepared:
    """Validate and prepare the floating inputs of an elementwise loss.

    ``names`` names, space separated, ``arrays`` then ``sample_weight``, ``where`` and the
    ``params`` (used in error messages only); ``params`` are hyper-parameters that may be
    Python numbers or 0-d arrays of the inputs' namespace. With ``xp`` given (the user's
    escape hatch, or a namespace already resolved by :func:`resolve`) nothing is inspected.
    """
    if xp is None:
        xp = resolve(fn, names, reduction, *arrays, sample_weight, where, *params)
    out_dtype, dtype, *arrs = floating_inputs(xp, fn, names, *arrays)
    if where is not None:
        arrs = list(mask_inputs(xp, fn, where, *arrs, fill=fill))
    return Prepared(xp, out_dtype, dtype, tuple(arrs), tuple([param(xp, p, dtype) for p in params]) if params else ())


def resolve(fn: str, names: str, reduction: str, *arrays: Any, xp: Any = None) -> Any:
    """Validate ``reduction`` and resolve the namespace of ``arrays`` (named by ``names``).

    Losses with a native fast path call this first, try the fast path, then ``setup(...,
    xp=xp)`` (which then skips the namespace lookup).
    """
    check_reduction(fn, reduction)
    return get_namespace(fn, names, *arrays, xp=xp)


def finish(p: Prepared, loss: Any, reduction: str, *, fn: str, sample_weight: Any, where: Any) -> Any:
    """Reduce ``loss`` and cast back to the inputs' dtype."""
    return reduce(
        p.xp,
        loss,
        reduction,
        fn=fn,
        sample_weight=sample_weight,
        where=where,
        out_dtype=None if p.out_dtype == p.dtype else p.out_dtype,
    )
