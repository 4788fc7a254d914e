"""Conformance machinery shared by the pytest suite (``conformance/``) and ``lossapi check``.

- ``backends``: how to build inputs in each array library, read results back, differentiate.
- ``oracles``: independent float64 NumPy implementations written from the formulas.
- ``cases``: one :class:`~lossapi._conformance.cases.Case` per catalog loss (inputs, options,
  edge points, oracle).
- ``counterparts``: the native libraries' functions (torch, optax, keras, sklearn).
- ``checks``: the individual checks, each returning a :class:`CheckResult`.
- ``runner``: the loss x backend matrix behind ``lossapi check``.

Nothing here imports an array framework at import time.
"""
