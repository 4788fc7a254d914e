r"""Composition and training utilities: combining losses, robust averaging, penalties.

These helpers are not catalog losses: they take already-computed losses (0-d arrays, a Python
list/tuple of 0-d arrays, or a 1-d array), parameters or targets of any supported array
library and return arrays of that library, differentiable end to end (no host syncs, no
data-dependent shapes: they run under ``jax.jit`` and ``torch.compile``).

- :func:`weighted_sum` — :math:`\sum_i w_i L_i`;
- :func:`uncertainty_weighting` — :math:`\sum_i e^{-s_i} L_i + s_i` (Kendall et al., 2018);
- :func:`gradnorm` — the GradNorm auxiliary loss :math:`\sum_i |G_i - \bar G\, r_i^\alpha|`
  with the target detached (Chen et al., 2018);
- :func:`mixup` — :math:`\lambda\,\ell(p, a) + (1-\lambda)\,\ell(p, b)` (Zhang et al., 2018);
- :func:`trimmed` — mean of the smallest :math:`\lfloor n(1-r)\rfloor` losses;
- :func:`l1_penalty`, :func:`l2_penalty`, :func:`elastic_net_penalty` — weight penalties;
- :func:`smooth_labels` — :math:`(1-\alpha)\,t + \alpha/K` (= ``optax.smooth_labels``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from . import _ops
from ._array import Array, compute_dtype
from ._dispatch import get_namespace
from ._errors import InputTypeError, InvalidDTypeError, InvalidOptionError, ShapeMismatchError
from ._validation import known_size

__all__ = [
    "elastic_net_penalty",
    "gradnorm",
    "l1_penalty",
    "l2_penalty",
    "mixup",
    "smooth_labels",
    "trimmed",
    "uncertainty_weighting",
    "weighted_sum",
]

_NUMBER = (int, float)


# -- private helpers ----------------------------------------------------------------------------


def _is_number(v: Any) -> bool:
    return isinstance(v, _NUMBER) and not isinstance(v, bool)


def _entries(fn: str, name: str, value: Any) -> tuple[list[Any], list[str], bool]:
    """The items of ``value`` (a sequence, or one array), their names, and whether it was a sequence."""
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            raise InvalidOptionError(
                f"lossapi.{fn}: `{name}` is an empty {type(value).__name__}; pass at least one "
                "0-d array (or a non-empty 1-d array)."
            )
        return list(value), [f"{name}[{i}]" for i in range(len(value))], True
    if value is None:
        raise InputTypeError(
            f"lossapi.{fn}: `{name}` is None; pass a 0-d array, a 1-d array or a sequence of 0-d arrays."
        )
    return [value], [name], False


def _check_number(fn: str, name: str, value: Any, lo: float, hi: float | None, *, hi_open: bool = False) -> None:
    """Range check for a Python-number option (0-d arrays are not inspected: no host sync)."""
    if isinstance(value, bool):
        raise InvalidOptionError(f"lossapi.{fn}: `{name}` must be a number, got the bool {value!r}.")
    if not _is_number(value):
        return
    bad = not (value >= lo) or (hi is not None and (value >= hi if hi_open else value > hi))
    if bad:
        expected = f">= {lo}" if hi is None else f"in [{lo}, {hi}{')' if hi_open else ']'}"
        raise InvalidOptionError(f"lossapi.{fn}: `{name}` must be {expected}, got {value!r}.")


def _floating(fn: str, xp: Any, arrays: list[Any], names: list[str]) -> Any:
    """The promoted floating dtype of ``arrays`` (error naming the first non-floating one)."""
    for a, nm in zip(arrays, names):
        if not xp.isdtype(a.dtype, "real floating"):
            raise InvalidDTypeError(
                f"lossapi.{fn}: `{nm}` has dtype {a.dtype}; expected a real floating dtype "
                "(cast it first, e.g. xp.astype(x, xp.float32))."
            )
    return xp.result_type(*[a.dtype for a in arrays])


def _vector(fn: str, xp: Any, items: list[Any], names: list[str], is_seq: bool, dtype: Any, ref: Any) -> Any:
    """A 1-d array of ``dtype`` from a sequence of 0-d arrays/numbers or from one 0-d/1-d array."""
    if not is_seq:
        (a,) = items
        if _is_number(a):
            return xp.reshape(xp.full_like(ref, a, dtype=dtype), (1,))
        if a.ndim > 1:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{names[0]}` has shape {tuple(a.shape)}; expected a 0-d array, a "
                "1-d array or a sequence of 0-d arrays."
            )
        return xp.reshape(_ops.astype(xp, a, dtype), (-1,))
    parts = []
    for a, nm in zip(items, names):
        if _is_number(a):
            parts.append(xp.reshape(xp.full_like(ref, a, dtype=dtype), (1,)))
            continue
        if a.ndim != 0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{nm}` has shape {tuple(a.shape)}; every item of a sequence must be "
                "a 0-d array (reduce each loss first, or pass one 1-d array)."
            )
        parts.append(xp.reshape(_ops.astype(xp, a, dtype), (1,)))
    return parts[0] if len(parts) == 1 else xp.concat(parts)


def _vectors(fn: str, args: Sequence[tuple[str, Any]]) -> tuple[Any, Any, list[Any]]:
    """Namespace, result dtype and one 1-d vector per ``(name, value)`` argument (16-bit: float32 vectors).

    The first argument must hold at least one array; the others may also hold Python numbers.
    All vectors have the same length (``ShapeMismatchError`` otherwise).
    """
    parsed = [(_entries(fn, name, value), name) for name, value in args]
    all_items = [x for (items, _, _), _ in parsed for x in items]
    all_names = [x for (_, names, _), _ in parsed for x in names]
    for x, nm in zip(all_items, all_names):
        if isinstance(x, (list, tuple)):
            raise InputTypeError(
                f"lossapi.{fn}: `{nm}` is a nested Python {type(x).__name__}; pass 0-d arrays or one 1-d array."
            )
    first_items = parsed[0][0][0]
    if all(_is_number(x) for x in first_items):
        raise InputTypeError(
            f"lossapi.{fn}: `{parsed[0][1]}` holds no array; pass 0-d arrays (or a 1-d array) of "
            "your array library so that the result keeps its namespace, device and gradients."
        )
    xp = get_namespace(fn, " ".join(all_names), *all_items)
    arrays = [(x, nm) for x, nm in zip(all_items, all_names) if not _is_number(x)]
    dtype = _floating(fn, xp, [a for a, _ in arrays], [nm for _, nm in arrays])
    compute = compute_dtype(xp, dtype)
    ref = xp.reshape(next(a for a in first_items if not _is_number(a)), (-1,))[:1]
    vecs = [_vector(fn, xp, items, names, seq, compute, ref) for (items, names, seq), _ in parsed]
    n0 = vecs[0].shape[0]
    for v, (_, name) in zip(vecs[1:], parsed[1:]):
        if known_size(n0) and known_size(v.shape[0]) and v.shape[0] != n0:
            raise ShapeMismatchError(
                f"lossapi.{fn}: `{parsed[0][1]}` has {n0} entries but `{name}` has {v.shape[0]}; "
                "pass one entry per loss."
            )
    return xp, dtype, vecs


def _finish(xp: Any, x: Any, dtype: Any) -> Any:
    return _ops.as_result(xp, _ops.astype(xp, x, dtype))


# -- combining losses ---------------------------------------------------------------------------


def weighted_sum(losses: Array | Sequence[Array], weights: Array | Sequence[float]) -> Array:
    r"""Weighted sum of several (already reduced) losses.

    .. math:: L = \sum_i w_i\, L_i

    Parameters
    ----------
    losses : 0-d array, 1-d array or sequence of 0-d arrays
        The losses :math:`L_i` (floating), all of one array library.
    weights : 0-d array, 1-d array, or sequence of 0-d arrays / Python numbers
        One weight :math:`w_i` per loss (same count as ``losses``). Weights given as arrays
        receive gradients too.

    Returns
    -------
    array
        0-d array of the losses' namespace, device and (promoted) floating dtype.

    Raises
    ------
    InvalidOptionError
        An empty sequence.
    ShapeMismatchError
        ``losses`` and ``weights`` have different lengths, or an item of a sequence is not 0-d.
    NamespaceMismatchError
        The arrays come from different libraries.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.weighted_sum([np.array(2.0), np.array(3.0)], [0.5, 2.0]))
    7.0
    >>> float(la.weighted_sum(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, -1.0])))
    -2.0
    """
    fn = "weighted_sum"
    xp, dtype, (lv, wv) = _vectors(fn, [("losses", losses), ("weights", weights)])
    return _finish(xp, _ops.sum_(xp, wv * lv), dtype)


def uncertainty_weighting(losses: Array | Sequence[Array], log_vars: Array | Sequence[Array]) -> Array:
    r"""Homoscedastic-uncertainty weighting of several task losses (Kendall et al., 2018).

    .. math:: L = \sum_i e^{-s_i}\, L_i + s_i, \qquad s_i = \log \sigma_i^2

    The log-variances :math:`s_i` are learned together with the model:
    :math:`\partial L / \partial s_i = 1 - e^{-s_i} L_i` (minimum at :math:`s_i = \log L_i`)
    and :math:`\partial L / \partial L_i = e^{-s_i}`.

    Parameters
    ----------
    losses : 0-d array, 1-d array or sequence of 0-d arrays
        The task losses :math:`L_i` (floating).
    log_vars : 0-d array, 1-d array, or sequence of 0-d arrays / Python numbers
        One log-variance :math:`s_i` per task, usually a trainable 1-d parameter initialised
        to zeros.

    Returns
    -------
    array
        0-d array of the losses' namespace, device and floating dtype.

    Notes
    -----
    This is the common simplified form of Kendall, Gal & Cipolla, "Multi-Task Learning Using
    Uncertainty to Weigh Losses" (CVPR 2018): the paper's :math:`\frac{1}{2\sigma^2} L +
    \log\sigma` for regression equals half of :math:`e^{-s}L + s`; no factor 1/2 is applied
    here, for any task type.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.uncertainty_weighting([np.array(2.0), np.array(3.0)], np.zeros(2)))
    5.0
    >>> round(float(la.uncertainty_weighting(np.array([2.0]), np.array([np.log(2.0)]))), 6)  # 1 + log 2
    1.693147
    """
    fn = "uncertainty_weighting"
    xp, dtype, (lv, sv) = _vectors(fn, [("losses", losses), ("log_vars", log_vars)])
    return _finish(xp, _ops.sum_(xp, xp.exp(-sv) * lv + sv), dtype)


def gradnorm(
    grad_norms: Array | Sequence[Array],
    losses: Array | Sequence[Array],
    initial_losses: Array | Sequence[Array],
    *,
    alpha: float | Array = 0.12,
) -> Array:
    r"""GradNorm auxiliary loss for balancing task weights (Chen et al., 2018).

    .. math::

        L_{\text{grad}} = \sum_i \bigl|G_i - \operatorname{sg}\!\bigl(\bar G\, r_i^{\alpha}\bigr)\bigr|,
        \qquad \tilde L_i = \frac{L_i}{L_i(0)},\quad r_i = \frac{\tilde L_i}{\operatorname{mean}_j \tilde L_j},
        \quad \bar G = \operatorname{mean}_j G_j

    where :math:`G_i = \lVert \nabla_W\, w_i L_i \rVert_2` is the norm of the gradient of the
    weighted task loss with respect to the last shared layer :math:`W` (computed by the caller,
    with a differentiable graph: ``create_graph=True`` in torch) and :math:`\operatorname{sg}`
    is the stop-gradient: the target is a constant, so the gradient flows only through
    :math:`G_i` (:math:`\partial L / \partial G_i = \operatorname{sign}(G_i - \text{target}_i)`,
    0 at equality). Differentiate it with respect to the task weights :math:`w_i` only.

    Parameters
    ----------
    grad_norms : 0-d array, 1-d array or sequence of 0-d arrays
        :math:`G_i`, one per task.
    losses : 0-d array, 1-d array or sequence of 0-d arrays / numbers
        The current task losses :math:`L_i` (no gradient flows through them here).
    initial_losses : 0-d array, 1-d array or sequence of 0-d arrays / numbers
        The task losses at the first step :math:`L_i(0)` (positive).
    alpha : float or 0-d array, default 0.12
        The restoring-force strength :math:`\alpha \ge 0`; 0 pulls every :math:`G_i` to
        :math:`\bar G`.

    Returns
    -------
    array
        0-d array of ``grad_norms``' namespace, device and floating dtype.

    Raises
    ------
    InvalidOptionError
        ``alpha < 0`` (Python number), or an empty sequence.
    ShapeMismatchError
        The three arguments have different lengths.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> # equal loss ratios: r = [1, 1], target = mean(G) = 2, loss = |1 - 2| + |3 - 2|
    >>> float(la.gradnorm(np.array([1.0, 3.0]), np.array([0.5, 1.0]), np.array([1.0, 2.0])))
    2.0
    """
    fn = "gradnorm"
    _check_number(fn, "alpha", alpha, 0.0, None)
    xp, dtype, (g, lv, l0) = _vectors(
        fn, [("grad_norms", grad_norms), ("losses", losses), ("initial_losses", initial_losses)]
    )
    get_namespace(fn, "grad_norms alpha", g, alpha)  # a 0-d array `alpha` of another library
    a = _ops.param(xp, alpha, g.dtype)
    ratio = lv / l0
    r = ratio / xp.mean(ratio)
    target = _ops.stop_gradient(xp, xp.mean(g) * r**a)
    return _finish(xp, _ops.sum_(xp, _ops.abs_(xp, g - target)), dtype)


def mixup(
    loss_fn: Callable[[Array, Array], Array], pred: Array, target_a: Array, target_b: Array, lam: float | Array
) -> Array:
    r"""Mixup loss: the loss against two targets, mixed with weight :math:`\lambda` (Zhang et al., 2018).

    .. math:: L = \lambda\, \ell(p, a) + (1 - \lambda)\, \ell(p, b)

    ``pred`` is the model's output on the mixed inputs :math:`\lambda x_a + (1-\lambda) x_b`
    (mixing the inputs is the caller's job); ``target_a``/``target_b`` are the targets of the
    two mixed batches. For a loss linear in the target (cross-entropy with probabilities) this
    equals the loss against the mixed target :math:`\lambda a + (1-\lambda) b`.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(pred, target)`` returning the loss (any lossapi loss, a ``functools.partial``
        with options, or the user's own).
    pred : array
        The predictions.
    target_a, target_b : array
        The two targets.
    lam : float or 0-d array
        :math:`\lambda \in [0, 1]` (checked when a Python number).

    Returns
    -------
    array
        ``lam * loss_fn(pred, target_a) + (1 - lam) * loss_fn(pred, target_b)`` (the shape of
        ``loss_fn``'s result).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> p = np.array([1.0, 2.0])
    >>> float(la.mixup(la.mse, p, np.array([1.0, 2.0]), np.array([3.0, 4.0]), 0.25))  # 0.25*0 + 0.75*4
    3.0
    """
    fn = "mixup"
    if not callable(loss_fn):
        raise InputTypeError(
            f"lossapi.{fn}: `loss_fn` must be a callable loss_fn(pred, target), got {type(loss_fn).__name__}."
        )
    _check_number(fn, "lam", lam, 0.0, 1.0)
    xp = get_namespace(fn, "pred target_a target_b lam", pred, target_a, target_b, lam)
    if not isinstance(lam, _NUMBER) and getattr(lam, "ndim", 0) != 0:
        raise ShapeMismatchError(
            f"lossapi.{fn}: `lam` must be a Python number or a 0-d array, got shape {tuple(lam.shape)}."
        )
    la_ = loss_fn(pred, target_a)
    lb_ = loss_fn(pred, target_b)
    lam_ = _ops.param(xp, lam, la_.dtype)
    return _ops.as_result(xp, lam_ * la_ + (1 - lam_) * lb_)


def trimmed(losses: Array, *, trim_ratio: float = 0.1) -> Array:
    r"""Trimmed mean of per-sample losses: drop the largest fraction ``trim_ratio``.

    .. math:: L = \frac{1}{k} \sum_{i=1}^{k} \ell_{(i)}, \qquad k = \lfloor n (1 - r) \rfloor

    where :math:`\ell_{(1)} \le \dots \le \ell_{(n)}` are the sorted losses. Robust to
    outliers and to noisy labels (the hardest samples are ignored). :math:`k` is a static
    Python int computed from the shape, so the function runs under ``jax.jit`` (with
    ``trim_ratio`` static) and ``torch.compile``; the gradient is :math:`1/k` for each kept
    loss and 0 for the dropped ones.

    Parameters
    ----------
    losses : array or sequence of 0-d arrays
        Per-sample losses (e.g. a loss with ``reduction="none"``); an n-d array is flattened.
    trim_ratio : float, default 0.1
        :math:`r \in [0, 1)`, a Python number (it fixes the shape). :math:`n(1-r)` is rounded to 9
        decimals before the floor, so ``n=10, r=0.9`` keeps exactly 1 loss (not 0).

    Returns
    -------
    array
        0-d array of the losses' namespace, device and floating dtype.

    Raises
    ------
    InvalidOptionError
        ``trim_ratio`` outside [0, 1) or not a Python number, or :math:`k = 0` (too few losses
        for that ratio), or an empty sequence.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.trimmed(np.array([1.0, 100.0, 2.0, 3.0]), trim_ratio=0.25))  # keeps 1, 2, 3
    2.0
    """
    fn = "trimmed"
    if not _is_number(trim_ratio):
        raise InvalidOptionError(
            f"lossapi.{fn}: `trim_ratio` must be a Python number in [0, 1) (it sets the static "
            f"number of kept losses), got {type(trim_ratio).__name__}."
        )
    _check_number(fn, "trim_ratio", trim_ratio, 0.0, 1.0, hi_open=True)
    items, _, is_seq = _entries(fn, "losses", losses)
    if not is_seq and not _is_number(items[0]) and getattr(items[0], "ndim", 0) > 1:
        losses = get_namespace(fn, "losses", items[0]).reshape(items[0], (-1,))
    xp, dtype, (v,) = _vectors(fn, [("losses", losses)])
    n = v.shape[0]
    if not known_size(n):
        raise ShapeMismatchError(f"lossapi.{fn}: the number of losses must be known (got an unknown size).")
    k = math.floor(round(n * (1.0 - trim_ratio), 9))  # round: 10 * (1 - 0.9) = 0.9999999999999998
    if k < 1:
        raise InvalidOptionError(
            f"lossapi.{fn}: trim_ratio={trim_ratio!r} keeps floor({n} * (1 - {trim_ratio!r})) = 0 of "
            f"{n} losses; use a smaller `trim_ratio` or more losses."
        )
    kept = _ops.sort_descending(xp, v)[n - k :] if k < n else v
    return _finish(xp, _ops.sum_(xp, kept) / k, dtype)


# -- penalties ----------------------------------------------------------------------------------


def _params(fn: str, params: Any) -> tuple[Any, Any, list[Any]]:
    """Namespace, promoted dtype and the list of (upcast) parameter arrays."""
    items, names, _ = _entries(fn, "params", params)
    for x, nm in zip(items, names):
        if _is_number(x) or isinstance(x, (list, tuple)):
            raise InputTypeError(
                f"lossapi.{fn}: `{nm}` is a Python {type(x).__name__}; pass arrays (e.g. the "
                "model's parameter tensors)."
            )
    xp = get_namespace(fn, " ".join(names), *items)
    dtype = _floating(fn, xp, items, names)
    compute = compute_dtype(xp, dtype)
    return xp, dtype, [_ops.astype(xp, x, compute) for x in items]


def _total(xp: Any, parts: list[Any]) -> Any:
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


def l1_penalty(params: Array | Sequence[Array]) -> Array:
    r"""L1 weight penalty (lasso): the sum of absolute values of all parameters.

    .. math:: \Omega_1(w) = \sum_j |w_j|

    The gradient at :math:`w_j = 0` is 0 on every backend (minimum-norm subgradient).

    Parameters
    ----------
    params : array or sequence of arrays
        The parameters (any shapes, floating, one array library).

    Returns
    -------
    array
        0-d array of the parameters' namespace, device and promoted floating dtype.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.l1_penalty([np.array([1.0, -2.0]), np.array([[0.5], [-0.5]])]))
    4.0
    """
    fn = "l1_penalty"
    xp, dtype, ps = _params(fn, params)
    return _finish(xp, _total(xp, [_ops.sum_(xp, _ops.abs_(xp, p)) for p in ps]), dtype)


def l2_penalty(params: Array | Sequence[Array]) -> Array:
    r"""L2 weight penalty (ridge): the sum of squares of all parameters.

    .. math:: \Omega_2(w) = \sum_j w_j^2

    This is the *squared* L2 norm, without the factor 1/2 some texts use: weight decay with
    coefficient :math:`\lambda` in SGD corresponds to :math:`\tfrac{\lambda}{2}\,\Omega_2`.

    Parameters
    ----------
    params : array or sequence of arrays
        The parameters (any shapes, floating, one array library).

    Returns
    -------
    array
        0-d array of the parameters' namespace, device and promoted floating dtype.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> float(la.l2_penalty([np.array([1.0, -2.0]), np.array([[0.5], [-0.5]])]))
    5.5
    """
    fn = "l2_penalty"
    xp, dtype, ps = _params(fn, params)
    return _finish(xp, _total(xp, [_ops.sum_(xp, p * p) for p in ps]), dtype)


def elastic_net_penalty(
    params: Array | Sequence[Array], *, alpha: float | Array = 1.0, l1_ratio: float | Array = 0.5
) -> Array:
    r"""Elastic-net weight penalty: a mix of the L1 and (squared) L2 penalties.

    .. math:: \Omega(w) = \alpha \bigl(\rho \sum_j |w_j| + (1 - \rho) \sum_j w_j^2\bigr)

    Parameters
    ----------
    params : array or sequence of arrays
        The parameters (any shapes, floating, one array library).
    alpha : float or 0-d array, default 1.0
        Overall strength :math:`\alpha \ge 0`.
    l1_ratio : float or 0-d array, default 0.5
        :math:`\rho \in [0, 1]`: 1 is :func:`l1_penalty`, 0 is :func:`l2_penalty` (times
        :math:`\alpha`).

    Returns
    -------
    array
        0-d array of the parameters' namespace, device and promoted floating dtype.

    Notes
    -----
    scikit-learn's ``ElasticNet`` objective uses :math:`\alpha\rho\lVert w\rVert_1 +
    \tfrac{\alpha}{2}(1-\rho)\lVert w\rVert_2^2`; here the L2 term has no factor 1/2
    (it is :func:`l2_penalty`, :math:`\sum w^2`).

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> # L1 = 3, L2 = 5: 2 * (0.25 * 3 + 0.75 * 5)
    >>> float(la.elastic_net_penalty(np.array([1.0, -2.0]), alpha=2.0, l1_ratio=0.25))
    9.0
    """
    fn = "elastic_net_penalty"
    _check_number(fn, "alpha", alpha, 0.0, None)
    _check_number(fn, "l1_ratio", l1_ratio, 0.0, 1.0)
    xp, dtype, ps = _params(fn, params)
    get_namespace(fn, "params[0] alpha l1_ratio", ps[0], alpha, l1_ratio)
    ct = ps[0].dtype
    for p in ps[1:]:
        ct = xp.result_type(ct, p.dtype)
    a = _ops.param(xp, alpha, ct)
    rho = _ops.param(xp, l1_ratio, ct)
    l1 = _total(xp, [_ops.sum_(xp, _ops.abs_(xp, p)) for p in ps])
    l2 = _total(xp, [_ops.sum_(xp, p * p) for p in ps])
    return _finish(xp, a * (rho * l1 + (1 - rho) * l2), dtype)


# -- targets ------------------------------------------------------------------------------------


def smooth_labels(target: Array, *, alpha: float | Array, axis: int = -1) -> Array:
    r"""Label smoothing of one-hot (or probability) targets.

    .. math:: \tilde t = (1 - \alpha)\, t + \frac{\alpha}{K}

    with :math:`K` the size of ``axis`` (the number of classes). Equals
    ``optax.smooth_labels(target, alpha)`` for ``axis=-1``.

    Parameters
    ----------
    target : array
        One-hot or probability targets (floating), classes along ``axis``.
    alpha : float or 0-d array
        Smoothing :math:`\alpha \in [0, 1]` (checked when a Python number).
    axis : int, default -1
        The class axis.

    Returns
    -------
    array
        The smoothed targets: ``target``'s shape, namespace, device and dtype.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> la.smooth_labels(np.array([[0.0, 1.0, 0.0, 0.0]]), alpha=0.5).tolist()
    [[0.125, 0.625, 0.125, 0.125]]
    """
    fn = "smooth_labels"
    _check_number(fn, "alpha", alpha, 0.0, 1.0)
    xp = get_namespace(fn, "target alpha", target, alpha)
    if not xp.isdtype(target.dtype, "real floating"):
        raise InvalidDTypeError(
            f"lossapi.{fn}: `target` has dtype {target.dtype}; expected a real floating dtype "
            "(one-hot or probabilities; cast it first, e.g. xp.astype(target, xp.float32))."
        )
    if target.ndim == 0:
        raise ShapeMismatchError(f"lossapi.{fn}: `target` is 0-d; it needs a class axis.")
    if isinstance(axis, bool) or not isinstance(axis, int) or not -target.ndim <= axis < target.ndim:
        raise InvalidOptionError(
            f"lossapi.{fn}: `axis` must be an int in [-{target.ndim}, {target.ndim}) for a "
            f"{target.ndim}-d target, got {axis!r}."
        )
    k = target.shape[axis]
    t = _ops.astype(xp, target, compute_dtype(xp, target.dtype))
    a = _ops.param(xp, alpha, t.dtype)
    return _ops.astype(xp, (1 - a) * t + a / k, target.dtype)
