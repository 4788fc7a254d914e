"""Conformance machinery shared by the pytest suite (``conformance/``) and ``lossapi check``.

- ``backends``: how to build inputs in each array library, read results back, differentiate.
- ``families``: one module per loss family (``lossapi/losses/<family>.py``): its independent
  float64 NumPy oracles written from the formulas, its cases and its native counterparts.
- ``cases``: :class:`~lossapi._conformance.cases.Case` (inputs, options, edge points, oracle,
  plot sweep, fuzz properties, out-of-range options) and ``CASES``, collected from the families.
- ``counterparts``: :class:`~lossapi._conformance.counterparts.Counterpart`, the library helpers
  and ``COUNTERPARTS`` (the native libraries' functions: torch, optax, keras, sklearn).
- ``sweeps``, ``fuzz``, ``special``: what the families share for plot sweeps, fuzz properties
  and oracles.
- ``setup``: the checks' common preamble; ``value_checks``, ``grad_checks``,
  ``transform_checks``: the individual checks, each returning a :class:`CheckResult`.
- ``runner``: the loss x backend matrix behind ``lossapi check``.

Nothing here imports an array framework at import time.
"""
