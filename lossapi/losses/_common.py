"""Plumbing shared by the loss families: set-up of inputs and the final reduction.

``setup`` resolves the namespace, validates options and dtypes, casts to the compute dtype
(float32 for 16-bit inputs) and masks ``where``-excluded entries; ``finish`` reduces and casts
back. Loss bodies in between are pure Array API math.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import _value_checks
from .._dispatch import get_namespace
from .._ops import as_result, mean, param
from .._reduction import mask_inputs, reduce
from .._validation import check_params_0d, check_reduction, floating_inputs


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
    elif _value_checks.active:  # xp given: resolve was skipped (value checks run there otherwise)
        _value_checks.check_call(fn, xp)
    checked = floating_inputs(xp, fn, names, *arrays)
    dtype = checked[1]
    arrs = checked[2:]
    if where is not None:
        arrs = mask_inputs(xp, fn, where, *arrs, fill=fill)
    if params and not all(isinstance(v, (int, float)) for v in params):
        check_params_0d(fn, names.split()[-len(params):], params)
        params = tuple([param(xp, v, dtype) for v in params])
    return Prepared(xp, checked[0], dtype, arrs, params)


def resolve(fn: str, names: str, reduction: str, *arrays: Any, xp: Any = None) -> Any:
    """Validate ``reduction`` and resolve the namespace of ``arrays`` (named by ``names``).

    Losses with a native fast path call this first, try the fast path, then ``setup(...,
    xp=xp)`` (which then skips the namespace lookup).
    """
    check_reduction(fn, reduction)
    xp = get_namespace(fn, names, *arrays, xp=xp)
    if _value_checks.active:  # value checks (lossapi.check_values): off by default, one attribute read
        _value_checks.check_call(fn, xp)
    return xp


def finish(
    p: Prepared, loss: Any, reduction: str, *, fn: str, sample_weight: Any, where: Any, divide_by: Any = None
) -> Any:
    """Reduce ``loss`` and cast back to the inputs' dtype.

    ``divide_by`` (a Python number) divides the result: the loss is ``loss / divide_by``
    per element, reduced with one division instead of one per element. It is applied per
    element for ``"none"`` and for 16-bit inputs (before the cast back).
    """
    if divide_by is not None and (reduction == "none" or p.out_dtype is not p.dtype):
        loss = loss / divide_by
        divide_by = None
    if reduction == "mean" and sample_weight is None and where is None and p.out_dtype is p.dtype:
        # The common case, without reduce()'s weight and mask handling (same result).
        if 0 not in loss.shape:
            m = mean(p.xp, loss)
            return as_result(p.xp, m if divide_by is None else m / divide_by)
    out = reduce(
        p.xp,
        loss,
        reduction,
        fn=fn,
        sample_weight=sample_weight,
        where=where,
        out_dtype=None if p.out_dtype == p.dtype else p.out_dtype,
    )
    return out if divide_by is None else as_result(p.xp, out / divide_by)
