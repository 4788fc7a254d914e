"""lossapi: machine-learning losses written once against the Python Array API standard.

Every loss runs unchanged on NumPy, PyTorch, JAX, CuPy, Dask and array-api-strict arrays,
chosen at call time from the arrays passed in, and returns an array of the same library, on
the same device, in the inputs' floating dtype.

>>> import numpy as np, lossapi as la
>>> float(la.mse(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
2.0

Importing lossapi imports no array framework.
"""

from __future__ import annotations

from ._array import Array, Namespace
from ._catalog import LossRecord, catalog
from ._catalog import lookup as lookup_loss
from ._errors import (
    DeviceMismatchError,
    InputTypeError,
    InvalidDTypeError,
    InvalidOptionError,
    InvalidValueError,
    LossapiError,
    MissingDependencyError,
    NamespaceMismatchError,
    ShapeMismatchError,
)
from ._native import native, native_enabled, set_native
from ._value_checks import check_values
from .composition import *  # noqa: F403
from .composition import __all__ as _composition_all
from .losses import *  # noqa: F403
from .losses import __all__ as _losses_all
from .monitor import *  # noqa: F403
from .monitor import __all__ as _monitor_all
from .recommend import *  # noqa: F403
from .recommend import __all__ as _recommend_all

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # ``la.testing``, ``la.plotting``, ``la.nn`` (torch) and ``la.keras`` load on first use:
    # importing lossapi stays light and imports no framework.
    if name in ("testing", "plotting", "nn", "keras"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lossapi' has no attribute {name!r}")


def stop_gradient(x: Array) -> Array:
    """The backend's own stop-gradient (torch ``detach``, ``jax.lax.stop_gradient``).

    Identity for libraries without automatic differentiation.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.stop_gradient(np.array([1.0])).tolist()
    [1.0]
    """
    from ._dispatch import get_namespace
    from ._ops import stop_gradient as _sg

    return _sg(get_namespace("stop_gradient", "x", x), x)


__all__ = sorted(
    [
        "DeviceMismatchError",
        "InputTypeError",
        "InvalidDTypeError",
        "InvalidOptionError",
        "InvalidValueError",
        "LossRecord",
        "LossapiError",
        "MissingDependencyError",
        "NamespaceMismatchError",
        "ShapeMismatchError",
        "__version__",
        "catalog",
        "check_values",
        "lookup_loss",
        "native",
        "native_enabled",
        "set_native",
        "stop_gradient",
        *_losses_all,
        *_composition_all,
        *_monitor_all,
        *_recommend_all,
    ]
)
