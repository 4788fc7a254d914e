"""The outcome of one conformance check."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckResult"]


@dataclass(frozen=True)
class CheckResult:
    """One check of one loss on one backend.

    Attributes
    ----------
    loss, backend, check : str
        What was checked (``check`` is e.g. "values", "gradients", "counterpart:torch").
    ok : bool
        Whether it passed.
    worst : float
        Worst relative error seen (``|got - want| / max(|want|, tiny)``), NaN if not applicable.
    detail : str
        Human-readable explanation, always set when ``ok`` is False.
    skipped : bool
        True when the check could not run (library missing, no GPU); ``ok`` is then True.
    """

    loss: str
    backend: str
    check: str
    ok: bool
    worst: float = float("nan")
    detail: str = ""
    skipped: bool = False
