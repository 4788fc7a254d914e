"""Native counterparts of the catalog losses (torch, optax, keras, sklearn): the shared machinery.

``COUNTERPARTS[loss]`` lists :class:`Counterpart` entries: the library, a callable
``fn(np_inputs, options, reduction, sample_weight) -> float64 value`` that calls the library
with the documented mapping, and ``supports(options, reduction, weighted) -> bool``
saying which settings the mapping covers. Each family's entries live in its module of
``lossapi/_conformance/families/`` (``COUNTERPARTS`` there, next to the family's oracles and
cases, with the mappings worth knowing in its docstring); they are collected here on first use.
This module holds what they share: :class:`Counterpart`, :func:`library_available`, the library
helpers (``_torch``, ``_np``, ``_jnp``, ``_keras``, ``_reduce``, :func:`weighted_reduce`) and the
``supports`` predicates. Frameworks are imported inside the callables, so importing this module
(or a family module) imports none of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

__all__ = ["COUNTERPARTS", "Counterpart", "library_available", "smp_losses", "weighted_reduce"]

Inputs = Mapping[str, np.ndarray]


class Counterpart(NamedTuple):
    """One native library's version of a loss.

    Attributes
    ----------
    library : str
        "torch", "optax", "keras", "sklearn", "torchvision", "MONAI", "smp"
        (segmentation_models_pytorch) or "PML" (pytorch-metric-learning; the last four skip
        with the reason where they are not installed).
    fn : callable
        ``fn(np_inputs, options, reduction, sample_weight) -> float64 value or array``.
    supports : callable
        ``supports(options, reduction, weighted) -> bool``.
    options : tuple of mappings
        Extra option sets this mapping needs (e.g. keras' fixed eps), tested in addition to
        the case's own option sets.
    rtol : float
        Relative tolerance in float64 (keras reduces in float32 internally).
    ndim : int
        Rank of the inputs to test with (sklearn's multi-output RMSE/Tweedie differ in 2-D).
    """

    library: str
    fn: Callable[[Inputs, Mapping[str, Any], str, np.ndarray | None], Any]
    supports: Callable[[Mapping[str, Any], str, bool], bool]
    options: tuple[Mapping[str, Any], ...] = ()
    rtol: float = 1e-10
    ndim: int = 2


_MODULES = {
    "torch": "torch",
    "optax": "optax",
    "keras": "keras",
    "sklearn": "sklearn",
    "torchvision": "torchvision",
    "MONAI": "monai",
    "smp": "segmentation_models_pytorch",
    "PML": "pytorch_metric_learning",
}


def library_available(library: str) -> tuple[bool, str]:
    """Whether ``library`` can be imported (with the reason when it cannot).

    Parameters
    ----------
    library : str
        "torch", "optax", "keras", "sklearn", "torchvision", "MONAI", "smp"
        (segmentation_models_pytorch) or "PML" (pytorch-metric-learning; the last four skip
        with the reason where they are not installed).

    Returns
    -------
    (bool, str)
        Availability and, when unavailable, why.
    """
    import importlib.util

    mod = _MODULES[library]
    if importlib.util.find_spec(mod) is None:
        return False, f"{mod} is not installed"
    if library in ("optax", "keras") and importlib.util.find_spec("jax") is None:
        return False, f"{library} is tested on JAX, which is not installed"
    if library in ("torchvision", "MONAI", "smp", "PML") and importlib.util.find_spec("torch") is None:
        return False, f"{mod} needs torch, which is not installed"
    return True, ""


# -- library helpers ---------------------------------------------------------------------------


def smp_losses() -> Any:
    """``segmentation_models_pytorch.losses`` without the package's ``__init__`` (which imports
    timm and the model zoo; the loss modules need torch only)."""
    import importlib
    import importlib.util
    import sys
    import types

    name = "segmentation_models_pytorch"
    if name not in sys.modules:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(f"{name} is not installed")
        pkg = types.ModuleType(name)
        pkg.__path__ = list(spec.submodule_search_locations)
        pkg.__spec__ = spec  # find_spec() keeps working on the bare package
        sys.modules[name] = pkg
    return importlib.import_module(f"{name}.losses")


def _torch(*arrays: np.ndarray) -> list[Any]:
    import torch

    return [torch.as_tensor(np.asarray(a, dtype=np.float64)) for a in arrays]


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().numpy()
    return np.asarray(x, dtype=np.float64)


def _jnp() -> Any:
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jnp


def _keras() -> Any:
    # keras picks its backend at first import; JAX is the one installed everywhere we test.
    os.environ.setdefault("KERAS_BACKEND", "jax")
    _jnp()
    import keras

    return keras


def _reduce(values: Any, reduction: str) -> np.ndarray:
    v = _np(values)
    return v if reduction == "none" else (np.mean(v) if reduction == "mean" else np.sum(v))


def weighted_reduce(values: Any, reduction: str, sw: np.ndarray | None) -> np.ndarray | np.float64:
    """lossapi's reduction of per-element ``values`` with per-row (first axis) weights ``sw``."""
    v = _np(values)
    if sw is None:
        return _reduce(v, reduction)
    w = np.broadcast_to(np.reshape(np.asarray(sw, dtype=np.float64), (-1,) + (1,) * (v.ndim - 1)), v.shape)
    if reduction == "none":
        return v * w
    if reduction == "sum":
        return np.sum(v * w)
    return np.sum(v * w) / np.sum(w)


# Predicates -----------------------------------------------------------------------------------


def _unweighted(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return not weighted


def _mean_only(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return reduction == "mean"


def _mean_unweighted(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return reduction == "mean" and not weighted


def _opts(**required: Any) -> Callable[[Mapping[str, Any], str, bool], bool]:
    """Predicate: the options must equal ``required`` (defaults filled in) and no weights."""

    def ok(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
        return not weighted and all(options.get(k, v) == v for k, v in required.items())

    return ok


def _mean_opts(**required: Any) -> Callable[[Mapping[str, Any], str, bool], bool]:
    """Predicate: ``"mean"`` only, with :func:`_opts`' requirements."""
    inner = _opts(**required)
    return lambda o, r, w: r == "mean" and inner(o, r, w)


#: name -> [Counterpart, ...], collected from every family module's ``COUNTERPARTS``
#: (``lossapi/_conformance/families/``) on first use: a family module imports this one.
COUNTERPARTS: dict[str, list[Counterpart]]


def __getattr__(name: str) -> Any:
    if name == "COUNTERPARTS":
        from .cases import family_modules

        table: dict[str, list[Counterpart]] = {}
        for mod in family_modules():
            table.update(mod.COUNTERPARTS)
        globals()["COUNTERPARTS"] = table  # later lookups find the module attribute
        return table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
