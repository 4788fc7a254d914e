"""Native counterparts of the regression losses (torch, optax, keras, sklearn).

``COUNTERPARTS[loss]`` lists :class:`Counterpart` entries: the library, a callable
``fn(np_inputs, options, reduction, sample_weight) -> float64 value`` that calls the library
with the mapping stated in API.md, and ``supports(options, reduction, weighted) -> bool``
saying which settings the mapping covers. Frameworks are imported inside the callables, so
importing this module imports none of them.

Mappings worth knowing (each one is what API.md promises):

- sklearn metrics take the target first; their ``sample_weight`` weights samples (rows),
  and ``"mean"`` is the weighted mean, as in lossapi. ``mean_absolute_percentage_error``
  floors ``|t|`` at float64's eps (lossapi's default in float64).
- keras losses take the target first, reduce the last axis, then average over the batch; on
  inputs of equal row length that is lossapi's ``"mean"`` (only). keras' MAPE is a
  percentage with eps 1e-7; keras' Poisson is ``poisson_nll(log_input=False, eps=1e-7)``.
- optax losses are elementwise; ``"mean"``/``"sum"`` reduce them with NumPy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

__all__ = ["COUNTERPARTS", "Counterpart", "library_available"]

Inputs = Mapping[str, np.ndarray]


class Counterpart(NamedTuple):
    """One native library's version of a loss.

    Attributes
    ----------
    library : str
        "torch", "optax", "keras", "sklearn" or "torchvision" (not installable here: its
        checks skip with the reason).
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


_MODULES = {"torch": "torch", "optax": "optax", "keras": "keras", "sklearn": "sklearn", "torchvision": "torchvision"}


def library_available(library: str) -> tuple[bool, str]:
    """Whether ``library`` can be imported (with the reason when it cannot).

    Parameters
    ----------
    library : str
        "torch", "optax", "keras", "sklearn" or "torchvision" (not installable here: its
        checks skip with the reason).

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
    return True, ""


# -- library helpers ---------------------------------------------------------------------------

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


# -- torch ---------------------------------------------------------------------------------------

def _torch_f(name: str, **fixed: Any) -> Callable[..., Any]:
    def fn(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
        import torch.nn.functional as F

        args = _torch(*x.values())
        kw = {**fixed, **{k: o[k] for k in o if k in ("delta", "beta", "log_input", "full", "eps")}}
        return _np(getattr(F, name)(*args, reduction=reduction, **kw))

    return fn


# -- optax ---------------------------------------------------------------------------------------

def _optax_f(name: str) -> Callable[..., Any]:
    def fn(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
        jnp = _jnp()
        import optax

        f = getattr(optax.losses, name)
        kw = {"delta": o["delta"]} if "delta" in o else {}
        return _reduce(f(jnp.asarray(x["pred"]), jnp.asarray(x["target"]), **kw), reduction)

    return fn


# -- keras ---------------------------------------------------------------------------------------

def _keras_f(cls: str, scale: float = 1.0, **fixed: Any) -> Callable[..., Any]:
    def fn(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
        keras = _keras()
        kw = dict(fixed)
        if "delta" in o:
            kw["delta"] = o["delta"]
        loss = getattr(keras.losses, cls)(dtype="float64", **kw)
        return _np(loss(x["target"], x["pred"])) * scale

    return fn


# -- sklearn -------------------------------------------------------------------------------------

def _sk(name: str, **fixed: Any) -> Callable[..., Any]:
    def fn(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
        import sklearn.metrics as m

        kw = dict(fixed)
        if "q" in o:
            kw["alpha"] = o["q"]
        if "power" in o:
            kw["power"] = o["power"]
        return _np(getattr(m, name)(x["target"], x["pred"], sample_weight=sw, **kw))

    return fn


def _sk_epsilon_insensitive(x: Inputs, o: Mapping[str, Any], reduction: str, sw: np.ndarray | None) -> np.ndarray:
    # sklearn's SGD loss objects evaluate the per-sample loss in Cython (float64).
    from sklearn.linear_model import _sgd_fast

    eps = float(o.get("epsilon", 0.1))
    cls = _sgd_fast.SquaredEpsilonInsensitive if o.get("squared", False) else _sgd_fast.EpsilonInsensitive
    loss = cls(eps)
    p, t = np.broadcast_arrays(np.asarray(x["pred"], np.float64), np.asarray(x["target"], np.float64))
    per = np.array([loss.py_loss(float(a), float(b)) for a, b in zip(p.ravel(), t.ravel())]).reshape(p.shape)
    return _reduce(per, reduction)


def _sk_mape_ok(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    # sklearn floors |t| at float64's eps, lossapi's default in float64.
    return reduction == "mean" and options.get("eps") in (None, float(np.finfo(np.float64).eps))


def _sk_rmse_ok(options: Mapping[str, Any], reduction: str, weighted: bool) -> bool:
    return reduction == "mean" and float(options.get("eps", 0.0)) == 0.0


def _mean_opts(**required: Any) -> Callable[[Mapping[str, Any], str, bool], bool]:
    inner = _opts(**required)
    return lambda o, r, w: r == "mean" and inner(o, r, w)


_KERAS_RTOL = 1e-6  # keras' JAX backend accumulates means in float32 even for float64 inputs

COUNTERPARTS: dict[str, list[Counterpart]] = {
    "mean_squared_error": [
        Counterpart("torch", _torch_f("mse_loss"), _unweighted),
        Counterpart("optax", _optax_f("squared_error"), _unweighted),
        Counterpart("keras", _keras_f("MeanSquaredError"), _mean_unweighted, rtol=_KERAS_RTOL),
        Counterpart("sklearn", _sk("mean_squared_error"), _mean_only),
    ],
    "root_mean_squared_error": [
        # sklearn averages per-output RMSEs in 2-D; lossapi takes one root over everything.
        Counterpart("sklearn", _sk("root_mean_squared_error"), _sk_rmse_ok, ndim=1),
    ],
    "mean_absolute_error": [
        Counterpart("torch", _torch_f("l1_loss"), _unweighted),
        Counterpart("keras", _keras_f("MeanAbsoluteError"), _mean_unweighted, rtol=_KERAS_RTOL),
        Counterpart("sklearn", _sk("mean_absolute_error"), _mean_only),
    ],
    "huber": [
        Counterpart("torch", _torch_f("huber_loss"), _unweighted),
        Counterpart("optax", _optax_f("huber_loss"), _unweighted),
        Counterpart("keras", _keras_f("Huber"), _mean_unweighted, rtol=_KERAS_RTOL),
    ],
    "smooth_l1": [Counterpart("torch", _torch_f("smooth_l1_loss"), _unweighted)],
    "log_cosh": [
        Counterpart("optax", _optax_f("log_cosh"), _unweighted),
        Counterpart("keras", _keras_f("LogCosh"), _mean_unweighted, rtol=_KERAS_RTOL),
    ],
    "quantile": [Counterpart("sklearn", _sk("mean_pinball_loss"), _mean_only)],
    "mean_absolute_percentage_error": [
        Counterpart("sklearn", _sk("mean_absolute_percentage_error"), _sk_mape_ok),
        Counterpart("keras", _keras_f("MeanAbsolutePercentageError", scale=0.01), _mean_opts(eps=1e-7),
                    options=({"eps": 1e-7},), rtol=_KERAS_RTOL),
    ],
    "mean_squared_log_error": [
        Counterpart("sklearn", _sk("mean_squared_log_error"), _mean_only),
        # keras clips at eps before log1p: equal for the non-negative inputs the case draws.
        Counterpart("keras", _keras_f("MeanSquaredLogarithmicError"), _mean_unweighted, rtol=_KERAS_RTOL),
    ],
    "epsilon_insensitive": [Counterpart("sklearn", _sk_epsilon_insensitive, _unweighted)],
    "poisson_nll": [
        Counterpart("torch", _torch_f("poisson_nll_loss"), _unweighted),
        Counterpart("keras", _keras_f("Poisson"), _mean_opts(log_input=False, full=False, eps=1e-7),
                    options=({"log_input": False, "eps": 1e-7},), rtol=_KERAS_RTOL),
    ],
    "gaussian_nll": [Counterpart("torch", _torch_f("gaussian_nll_loss"), _unweighted)],
    "tweedie_deviance": [
        # sklearn's Tweedie metric accepts 1-D targets only.
        Counterpart("sklearn", _sk("mean_tweedie_deviance"), _mean_only, ndim=1),
    ],
}


def _collect() -> None:
    """Add every ``counterparts_<family>`` module's ``FAMILY_COUNTERPARTS`` to ``COUNTERPARTS``."""
    import importlib
    import pkgutil

    pkg = importlib.import_module(__package__)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("counterparts_"):
            COUNTERPARTS.update(importlib.import_module(f"{__package__}.{info.name}").FAMILY_COUNTERPARTS)


_collect()
