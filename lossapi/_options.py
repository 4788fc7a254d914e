"""Declarative option constraints: what each loss option accepts, checked before any array work.

A loss record declares its options as ``name: (default, constraint)``, in the spirit of
scikit-learn's ``validate_params``::

    options={"delta": (1.0, Interval(0, None, closed="neither")),
             "variant": ("crammer_singer", Choice("crammer_singer", "weston_watkins")),
             "squared": (False, Flag())}

The loss wrapper checks every option with its constraint (a lossapi ``InvalidOptionError``
naming the loss, the option, the value and what is expected) and never looks at array values:
a 0-d array hyper-parameter (learned or traced) passes here, its values are checked only inside
``lossapi.check_values()``. Each constraint also emits a cheap inline test for the common valid
value (a Python number in range, a known string), so a valid call costs one comparison per
option; only other values reach :meth:`Constraint.check`.

Constraints whose arrays need the loss's compute dtype or class count (0-d hyper-parameters,
per-class weights) also say how to prepare such an array once the inputs are known
(:meth:`Constraint.prepare`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._array import dtype_kind
from ._errors import InvalidDTypeError, InvalidOptionError, ShapeMismatchError

__all__ = ["BoolMask", "Choice", "ClassWeight", "Constraint", "Flag", "Integer", "Interval", "Union"]

_INF = math.inf


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, (list, tuple))


def _expected_number(fn: str, name: str, value: Any, what: str) -> InvalidOptionError:
    return InvalidOptionError(
        f"lossapi.{fn}: `{name}`={value!r} is not valid: expected {what}, got {type(value).__name__}."
    )


class Constraint:
    """What one option accepts. Subclasses implement :meth:`check` and :meth:`describe`."""

    #: ``False``: Python values only; ``"0-d"``: a 0-d array of the inputs' namespace is also
    #: accepted (a hyper-parameter that can be learned or traced); ``"any"``: arrays of any
    #: shape (the loss checks the shape against its inputs).
    arrays: bool | str = False

    def check(self, fn: str, name: str, value: Any) -> Any:
        """Raise ``InvalidOptionError`` unless ``value`` is valid; return the value to use."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the option accepts, in words (error messages, generated docs)."""
        raise NotImplementedError

    def fast(self, var: str, consts: dict[str, Any]) -> str | None:
        """A Python expression over the variable ``var`` that is True only for valid values.

        It guards the call of :meth:`check` in the generated wrapper; it may be False for valid
        values (they then go through :meth:`check`). ``consts`` receives the names the
        expression uses.
        """
        return None

    def prepare(self, ctx: Any, name: str, value: Any) -> Any:
        """The value the loss body receives, given the prepared inputs ``ctx`` (``ctx.xp``,
        ``ctx.dtype``, ``ctx.fn``; class-axis kinds add ``ctx.num_classes``). Identity here."""
        return value

    #: A Python expression (over the variable ``{var}``) true when :meth:`prepare` is not needed.
    skip_prepare: str | None = None

    def array_values(self) -> tuple[float | None, float | None, bool, bool, bool] | None:
        """``(low, high, low_open, high_open, allow_inf)`` for value checks of array options."""
        return None


class Interval(Constraint):
    """A real number in an interval (``None`` for an unbounded side).

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``. NaN is never valid;
    infinity only as an infinite bound on a closed side (``Interval(1, math.inf, closed="both")``
    accepts ``p = inf``). ``arrays="0-d"`` (the default) also accepts a 0-d array, cast to the
    loss's compute dtype; ``arrays="any"`` an array of any shape; ``arrays=False`` Python
    numbers only (the value selects the formula). ``optional`` accepts ``None``.
    """

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        *,
        closed: str = "both",
        arrays: bool | str = "0-d",
        optional: bool = False,
    ) -> None:
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed={closed!r}")
        self.low, self.high, self.closed = low, high, closed
        self.low_open = closed in ("right", "neither")
        self.high_open = closed in ("left", "neither")
        self.arrays, self.optional = arrays, optional
        if arrays == "0-d":
            self.skip_prepare = "{var}.__class__ is float or {var}.__class__ is int"
            if optional:
                self.skip_prepare = "{var} is None or " + self.skip_prepare

    def __repr__(self) -> str:
        return f"Interval({self.low}, {self.high}, closed={self.closed!r})"

    def _interval(self) -> str:
        lo = "(" if self.low_open or self.low is None else "["
        hi = ")" if self.high_open or self.high is None else "]"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{lo}{low}, {high}{hi}"

    def _allow_inf(self) -> bool:
        return self._allows(_INF) or self._allows(-_INF)

    def _allows(self, inf: float) -> bool:
        """Whether the infinity ``inf`` is valid: an infinite bound on a closed side."""
        if inf > 0:
            return self.high == _INF and not self.high_open
        return self.low == -_INF and not self.low_open

    def describe(self) -> str:
        kind = (
            "a Python number"
            if not self.arrays
            else "a Python number or a 0-d array"
            if self.arrays == "0-d"
            else "a Python number or an array"
        )
        return f"{kind} in {self._interval()}" + (" or None" if self.optional else "")

    def array_values(self) -> tuple[float | None, float | None, bool, bool, bool]:
        return self.low, self.high, self.low_open, self.high_open, self._allow_inf()

    def fast(self, var: str, consts: dict[str, Any]) -> str:
        consts["_INF"] = _INF
        lo = "-_INF" if self.low is None else repr(float(self.low)) if math.isfinite(self.low) else "-_INF"
        hi = "_INF" if self.high is None else repr(float(self.high)) if math.isfinite(self.high) else "_INF"
        # An infinite bound is in the fast test only when it is open (the check() path handles inf).
        lop = "<" if self.low_open or self.low is None or not math.isfinite(self.low) else "<="
        hip = "<" if self.high_open or self.high is None or not math.isfinite(self.high) else "<="
        test = f"({var}.__class__ is float or {var}.__class__ is int) and {lo} {lop} {var} {hip} {hi}"
        return f"{var} is None or ({test})" if self.optional else test

    def check(self, fn: str, name: str, value: Any) -> Any:
        if value is None:
            if self.optional:
                return value
            raise _expected_number(fn, name, value, self.describe())
        if isinstance(value, (bool, str)) or (not isinstance(value, (int, float)) and not _is_array(value)):
            raise _expected_number(fn, name, value, self.describe())
        if isinstance(value, (int, float)):
            if not (value == value) or (value in (_INF, -_INF) and not self._allows(value)) or self._outside(value):
                finite = "" if self._allow_inf() else "a finite number "
                raise InvalidOptionError(
                    f"lossapi.{fn}: {name}={value!r} is out of range; it must be {finite}in {self._interval()}."
                )
            return value
        # An array.
        if not self.arrays:
            raise InvalidOptionError(
                f"lossapi.{fn}: {name} must be a Python number (it selects the formula), got "
                f"{type(value).__name__} {value!r}."
            )
        if dtype_kind(value.dtype) not in ("float", "int"):
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{name}` must be a real number, got an array of dtype {value.dtype}."
            )
        if self.arrays == "0-d" and getattr(value, "ndim", 0) != 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{name}` must be a Python number or a 0-d array, got an array of shape "
                f"{tuple(value.shape)}; pass one value (per-class weights go in class_weight, per-sample "
                "weights in sample_weight)."
            )
        return value

    def _outside(self, v: float) -> bool:
        lo, hi = self.low, self.high
        return bool(
            (lo is not None and (v <= lo if self.low_open else v < lo))
            or (hi is not None and (v >= hi if self.high_open else v > hi))
        )

    def prepare(self, ctx: Any, name: str, value: Any) -> Any:
        if self.arrays == "0-d" and value is not None and not isinstance(value, (int, float)):
            return value if value.dtype == ctx.dtype else ctx.xp.astype(value, ctx.dtype)
        return value


class Integer(Constraint):
    """A Python int (not a bool) in ``[low, high]``; ``optional`` accepts ``None``."""

    def __init__(self, low: int | None = None, high: int | None = None, *, optional: bool = False) -> None:
        self.low, self.high, self.optional = low, high, optional

    def __repr__(self) -> str:
        return f"Integer({self.low}, {self.high})"

    def describe(self) -> str:
        rng = (
            ""
            if self.low is None and self.high is None
            else f" >= {self.low}"
            if self.high is None
            else f" in [{self.low}, {self.high}]"
        )
        return f"an int{rng}" + (" or None" if self.optional else "")

    def fast(self, var: str, consts: dict[str, Any]) -> str:
        lo = "" if self.low is None else f" and {var} >= {self.low}"
        hi = "" if self.high is None else f" and {var} <= {self.high}"
        test = f"{var}.__class__ is int{lo}{hi}"
        return f"{var} is None or ({test})" if self.optional else test

    def check(self, fn: str, name: str, value: Any) -> Any:
        if value is None and self.optional:
            return value
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or (self.low is not None and value < self.low)
            or (self.high is not None and value > self.high)
        ):
            raise InvalidOptionError(f"lossapi.{fn}: {name} must be {self.describe()}, got {value!r}.")
        return value


class Flag(Constraint):
    """``True`` or ``False`` (not 0/1, not an array)."""

    def __repr__(self) -> str:
        return "Flag()"

    def describe(self) -> str:
        return "True or False"

    def fast(self, var: str, consts: dict[str, Any]) -> str:
        return f"{var} is True or {var} is False"

    def check(self, fn: str, name: str, value: Any) -> Any:
        if not isinstance(value, bool):
            raise InvalidOptionError(f"lossapi.{fn}: {name} must be True or False, got {value!r}.")
        return value


class Choice(Constraint):
    """One of a fixed set of values (strings, numbers or ``None``); never a bool for a number.

    ``what`` says in words what the values mean (error messages); default: the values listed.
    """

    def __init__(self, *values: Any, what: str | None = None) -> None:
        self.values = tuple(values)
        self.what = what

    def __repr__(self) -> str:
        return f"Choice{self.values!r}"

    def describe(self) -> str:
        return self.what or "one of " + ", ".join(repr(v) for v in self.values)

    def fast(self, var: str, consts: dict[str, Any]) -> str:
        tests = [
            f"{var} is None" if v is None else f"({var}.__class__ is {type(v).__name__} and {var} == {v!r})"
            for v in self.values
        ]
        return " or ".join(tests)

    def check(self, fn: str, name: str, value: Any) -> Any:
        for v in self.values:
            if value is v or (type(value) is type(v) and value == v):
                return value
        raise InvalidOptionError(f"lossapi.{fn}: {name}={value!r} is not valid; use {self.describe()}.")


class Union(Constraint):
    """Valid when any of ``constraints`` accepts the value; ``what`` says so in errors."""

    def __init__(self, *constraints: Constraint, what: str) -> None:
        self.constraints, self.what = constraints, what
        self.arrays = any(c.arrays for c in constraints) and "0-d"

    def __repr__(self) -> str:
        return f"Union{self.constraints!r}"

    def describe(self) -> str:
        return self.what

    def fast(self, var: str, consts: dict[str, Any]) -> str | None:
        parts = [c.fast(var, consts) for c in self.constraints]
        return None if any(p is None for p in parts) else " or ".join(f"({p})" for p in parts)

    def check(self, fn: str, name: str, value: Any) -> Any:
        for c in self.constraints:
            try:
                return c.check(fn, name, value)
            except InvalidOptionError:
                continue
        raise InvalidOptionError(f"lossapi.{fn}: {name}={value!r} is invalid; it must be {self.what}.")


class ClassWeight(Constraint):
    """``None`` or a 1-D array of one weight per class (its length is checked against the inputs).

    ``scalar=True`` also accepts a Python number or a 0-d array (one value for every class).
    """

    arrays = "any"
    skip_prepare = "{var} is None"

    def __init__(
        self, *, scalar: bool = False, low: float | None = None, high: float | None = None, noun: str = "weight"
    ) -> None:
        self.scalar = scalar
        self.number = Interval(low, high, optional=True) if scalar else None
        self.noun = noun

    def __repr__(self) -> str:
        return "ClassWeight()"

    def describe(self) -> str:
        if self.scalar:
            return "None, a number or a (C,) array"
        return f"None or a (C,) array of per-class {self.noun}s"

    def fast(self, var: str, consts: dict[str, Any]) -> str:
        return f"{var} is None"

    def check(self, fn: str, name: str, value: Any) -> Any:
        if value is None:
            return value
        if self.number is not None and (isinstance(value, (int, float, str)) or value is None):
            return self.number.check(fn, name, value)
        if isinstance(value, (bool, str)) or not _is_array(value):
            raise InvalidOptionError(
                f"lossapi.{fn}: `{name}` must be a 1-D array of the inputs' namespace, got "
                f"{type(value).__name__} {value!r}."
            )
        if dtype_kind(value.dtype) not in ("float", "int", "bool"):
            raise InvalidDTypeError(f"lossapi.{fn}: `{name}` has unsupported dtype {value.dtype}.")
        return value

    def prepare(self, ctx: Any, name: str, value: Any) -> Any:
        """The weights as ``ctx.dtype``, checked to have one entry per class (or 0-d with ``scalar``)."""
        if value is None or isinstance(value, (int, float)):
            return value
        if self.scalar and value.ndim == 0:
            return value if value.dtype == ctx.dtype else ctx.xp.astype(value, ctx.dtype)
        c = ctx.num_classes
        if value.ndim != 1 or not _same_size(value.shape[0], c):
            one = " (or one value)" if self.scalar else ""
            raise ShapeMismatchError(
                f"lossapi.{ctx.fn}: `{name}` has shape {tuple(value.shape)}, expected ({c},): one {self.noun} per "
                f"class{one}."
            )
        return value if value.dtype == ctx.dtype else ctx.xp.astype(value, ctx.dtype)


class BoolMask(Constraint):
    """``None`` or a boolean array (its shape is checked against the inputs by the loss's kind)."""

    arrays = "any"
    skip_prepare = "{var} is None"

    def __repr__(self) -> str:
        return "BoolMask()"

    def describe(self) -> str:
        return "None or a boolean array"

    def fast(self, var: str, consts: dict[str, Any]) -> str:
        return f"{var} is None"

    def check(self, fn: str, name: str, value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, (bool, int, float, str)) or not _is_array(value):
            raise InvalidOptionError(
                f"lossapi.{fn}: `{name}` must be a boolean array of the inputs' namespace, got "
                f"{type(value).__name__} {value!r}."
            )
        if dtype_kind(value.dtype) != "bool":
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{name}` must be a boolean array, got dtype {value.dtype}; pass e.g. `{name} != 0`."
            )
        return value


def _same_size(a: Any, b: Any) -> bool:
    known = [d for d in (a, b) if d is not None and not (isinstance(d, float) and d != d)]
    return len(known) < 2 or a == b


def option_table(options: Sequence[tuple[str, Any, Constraint]]) -> str:
    """A plain-text table of options, defaults and constraints (for ``lossapi list`` / docs)."""
    return "\n".join(f"{n}={d!r}: {c.describe()}" for n, d, c in options)
