"""The conformance suite's knowledge of each loss family, one module per module of ``lossapi/losses/``.

Each family module holds, in this order: the independent float64 NumPy oracles (public functions
named after the losses), the conformance cases (``CASES``: one
:class:`~lossapi._conformance.cases.Case` per catalog loss, with its plot sweep, fuzz properties
and out-of-range option values) and the native counterparts (``COUNTERPARTS``). Adding a loss
touches its family module only. ``lossapi._conformance.cases.CASES`` and
``lossapi._conformance.counterparts.COUNTERPARTS`` collect them on first use.

A family module imports NumPy and the shared conformance machinery (``..cases``,
``..counterparts``, ``..sweeps``, ``..fuzz``, ``..special``) only, array frameworks lazily inside
the counterpart functions, and never lossapi itself: an oracle sharing code with the
implementation would share its bugs (``tests/test_imports.py``).
"""
