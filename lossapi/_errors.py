"""Exception classes.

Every lossapi error derives from :class:`LossapiError` *and* from the builtin exception a
user would naturally catch (``TypeError`` for wrong kinds of input, ``ValueError`` for wrong
values), so ``except ValueError`` keeps working around lossapi calls.
"""

from __future__ import annotations

__all__ = [
    "DeviceMismatchError",
    "InputTypeError",
    "InvalidDTypeError",
    "InvalidOptionError",
    "InvalidValueError",
    "LossapiError",
    "MissingDependencyError",
    "NamespaceMismatchError",
    "ShapeMismatchError",
]


class LossapiError(Exception):
    """Base class of every error raised by lossapi."""


class NamespaceMismatchError(LossapiError, TypeError):
    """Array inputs come from different array libraries (e.g. NumPy and PyTorch)."""


class DeviceMismatchError(LossapiError, ValueError):
    """Array inputs live on different devices."""


class ShapeMismatchError(LossapiError, ValueError):
    """Array shapes do not broadcast as the loss requires."""


class InvalidDTypeError(LossapiError, TypeError):
    """An input has a dtype the loss cannot use (e.g. integer predictions)."""


class InvalidOptionError(LossapiError, ValueError):
    """An option is unknown or out of range (``reduction``, ``delta <= 0``, ...)."""


class InvalidValueError(LossapiError, ValueError):
    """An input holds values outside its domain (labels out of range, probabilities outside
    [0, 1], ...). Raised only inside :func:`lossapi.check_values` (values are not inspected
    otherwise)."""


class InputTypeError(LossapiError, TypeError):
    """An input is not an array (e.g. a Python list)."""


class MissingDependencyError(LossapiError, ImportError):
    """An optional dependency (e.g. matplotlib for plots) is not installed; the message names
    the extra to install."""
