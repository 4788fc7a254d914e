"""The preamble every check of one loss starts with.

The gradient, transform and placement checks (``grad_checks``, ``transform_checks``) all start the
same way: a backend that cannot run the check (not installed, or without automatic
differentiation when the check differentiates) gives one skipped result with the reason; a loss
without a conformance case or catalog record gives one failed result with the lookup's message;
otherwise the check gets the case, the record and the backend. :func:`start` is that preamble.
The value checks receive the case and the backend from their caller; they, and every check that
cannot run somewhere, build their results with :func:`skipped` and :func:`failed`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .backends import BACKENDS, Backend
from .cases import Case
from .result import CheckResult

__all__ = ["Start", "failed", "get_case", "get_record", "load_cases", "skip_reason", "skipped", "start"]


def load_cases() -> dict[str, Case]:
    """Every conformance case (``CASES``, collected from the family modules on first use)."""
    from .cases import CASES

    return CASES


def get_case(name: str) -> Case:
    """The conformance case of loss ``name``; ``KeyError`` with a clear message if none."""
    cases = load_cases()
    if name not in cases:
        raise KeyError(f"loss {name!r} has no conformance case in lossapi._conformance.CASES")
    return cases[name]


def get_record(name: str) -> Any:
    """The catalog record of ``name``."""
    from .._catalog import lookup

    return lookup(name)


def skipped(loss: str, backend: str, check: str, reason: str) -> CheckResult:
    """A check that could not run here (``ok`` and ``skipped``, ``worst`` NaN), with the reason."""
    return CheckResult(loss, backend, check, True, float("nan"), reason, skipped=True)


def failed(loss: str, backend: str, check: str, detail: str) -> CheckResult:
    """A failed check (``worst`` inf) with what went wrong."""
    return CheckResult(loss, backend, check, False, float("inf"), detail)


def skip_reason(backend: str, *, differentiable: bool = False) -> str | None:
    """Why ``backend`` cannot run a check (None when it can).

    Parameters
    ----------
    backend : str
        Backend name (a key of ``BACKENDS``).
    differentiable : bool, default False
        The check differentiates: a backend without automatic differentiation cannot run it.
    """
    b = BACKENDS[backend]
    if differentiable and not b.differentiable:
        return f"{backend} has no automatic differentiation"
    if not b.available():
        return b.unavailable_reason()
    return None


class Start(NamedTuple):
    """What a check works with once the preamble passed."""

    case: Case
    record: Any
    backends: tuple[Backend, ...]

    @property
    def backend(self) -> Backend:
        """The (first) backend of the check."""
        return self.backends[0]


def start(
    name: str,
    backends: str | tuple[str, ...],
    check: str,
    *,
    differentiable: bool = False,
    label: str | None = None,
    case_of: Callable[[str], Case] = get_case,
    record_of: Callable[[str], Any] = get_record,
) -> Start | list[CheckResult]:
    """The preamble of the check ``check`` of loss ``name`` on ``backends``.

    Parameters
    ----------
    name : str
        Catalog name of the loss.
    backends : str or tuple of str
        The backend the check runs on, or several (a cross-backend check).
    check : str
        The check's name in its results.
    differentiable : bool, default False
        The check differentiates on each backend.
    label : str, optional
        The ``backend`` of the results (default: ``backends`` itself, when it is one name).
    case_of, record_of : callable, optional
        Lookups of the case and the catalog record (a check module passes its own, which tests
        may replace).

    Returns
    -------
    Start or list of CheckResult
        ``(case, record, backends)``; or the check's only result: skipped (with the reason) for
        the first backend that cannot run it, failed when the loss has no case or record (the
        lookup's ``KeyError`` message).
    """
    names = (backends,) if isinstance(backends, str) else tuple(backends)
    who = label if label is not None else "+".join(names)
    for b in names:
        if (reason := skip_reason(b, differentiable=differentiable)) is not None:
            return [skipped(name, who, check, reason)]
    try:
        case, record = case_of(name), record_of(name)
    except KeyError as e:
        return [failed(name, who, check, str(e))]
    return Start(case, record, tuple(BACKENDS[b] for b in names))
