"""Plots of a loss and its gradient, computed by lossapi itself.

:func:`loss_curve` sweeps one input of a catalog loss along a 1-D axis that suits the loss
(the error ``pred - target`` for regression, the logit or margin ``y·f`` for binary
classification, the probability of the true class, the angle between two embeddings, the
shift of a box, ...) and returns the loss and its derivative with respect to that axis:

- the values are the lossapi loss on float64 NumPy inputs (``reduction="none"``);
- the derivative is automatic differentiation *through lossapi*: torch autograd when torch is
  installed, else ``jax.grad``, else central finite differences of lossapi on NumPy. The
  method used is recorded in the :class:`Curve` and printed on the plot.

:func:`plot_loss` draws one loss and its gradient; :func:`plot_gallery` compares several
losses that share an axis (as the documentation's gallery does). Plotting needs matplotlib,
an optional dependency: ``pip install "lossapi[plot]"``. Figures are
``matplotlib.figure.Figure`` objects on the Agg canvas, never pyplot windows, so plotting is
headless and safe to call from several threads.

Examples
--------
>>> import lossapi.plotting as lp
>>> c = lp.loss_curve("huber", num=5)
>>> c.x.tolist()
[-3.0, -1.5, 0.0, 1.5, 3.0]
>>> c.labels
('delta=1.0', 'delta=2.0')
>>> c.loss[0].tolist()
[2.5, 1.0, 0.0, 1.0, 2.5]
>>> c.grad[0].tolist()
[-1.0, -1.0, 0.0, 1.0, 1.0]
"""

from __future__ import annotations

import importlib.util
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np

from ._catalog import lookup
from ._errors import InvalidOptionError, MissingDependencyError

__all__ = ["GRADIENT_METHODS", "Curve", "loss_curve", "plot_gallery", "plot_loss"]

#: Ways of computing the derivative, in the order ``gradient=None`` tries them.
GRADIENT_METHODS = ("torch", "jax", "finite differences")

_METHOD_TEXT = {
    "torch": "torch autograd through lossapi",
    "jax": "jax.grad through lossapi",
    "finite differences": "central finite differences of lossapi on NumPy",
}

#: Axis keys shared by curves that can be compared on one plot, with their gallery labels.
AXIS_LABELS = {
    "error": "error e = pred - target",
    "margin": "margin y·f (target y = 1, score or logit f)",
    "true class probability": "predicted probability of the true class",
}


@dataclass(frozen=True)
class Curve:
    """A loss and its derivative along a 1-D sweep of one input.

    Attributes
    ----------
    name : str
        Catalog name of the loss.
    x : numpy.ndarray
        The sweep points, shape ``(num,)``.
    loss : numpy.ndarray
        Loss values, shape ``(lines, num)``: one row per line (e.g. target 1 and target 0).
    grad : numpy.ndarray
        ``d loss / d x`` at the sweep points, shape ``(lines, num)``.
    labels : tuple of str
        Legend label of each line ("" when there is a single line).
    xlabel, ylabel : str
        Axis labels.
    axis : str
        Key of the sweep axis (``"error"``, ``"margin"``, ...); curves with the same key can
        share a plot.
    description : str
        How the inputs are built from ``x`` (e.g. ``"pred = t + e, t = 0"``).
    gradient_method : str
        ``"torch"``, ``"jax"`` or ``"finite differences"``.
    options : mapping
        The loss options common to every line (catalog defaults plus the caller's).
    """

    name: str
    x: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    labels: tuple[str, ...]
    xlabel: str
    ylabel: str
    axis: str
    description: str
    gradient_method: str
    options: Mapping[str, Any] = field(default_factory=dict)


# -- the sweeps -------------------------------------------------------------------------------

Build = Callable[..., tuple[Any, ...]]


@dataclass(frozen=True)
class _Line:
    label: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)  # passed to the build function
    options: Mapping[str, Any] = field(default_factory=dict)  # loss options of this line only


@dataclass(frozen=True)
class _Sweep:
    lo: float
    hi: float
    build: Build  # build(xp, x, **params) -> positional inputs of the loss
    xlabel: str
    description: str
    axis: str = ""
    lines: tuple[_Line, ...] = (_Line(),)
    fixed: Mapping[str, Any] = field(default_factory=dict)  # keyword arguments the sweep needs


def _full(xp: Any, x: Any, value: float) -> Any:
    return xp.full(x.shape, value, dtype=x.dtype)


def _cols(xp: Any, x: Any, *cols: Any) -> Any:
    """Stack columns along a new last axis; a column is an array like ``x`` or a number."""
    return xp.stack([c if not isinstance(c, (int, float)) else _full(xp, x, c) for c in cols], axis=-1)


def _ints(xp: Any, x: Any, *values: int) -> Any:
    """Integer array ``(num,)`` (one value) or ``(num, len(values))``."""
    a = np.tile(np.asarray(values, dtype=np.int64), (x.shape[0], 1))
    return xp.asarray(a[:, 0] if len(values) == 1 else a)


# Builders shared by several losses. ``x`` is the (num,) float64 sweep array of namespace ``xp``.

def _error(xp: Any, x: Any, *, t: float = 0.0) -> tuple[Any, ...]:
    return x + t, _full(xp, x, t)


def _value_vs(xp: Any, x: Any, *, t: float) -> tuple[Any, ...]:
    return x, _full(xp, x, t)


def _binary(xp: Any, x: Any, *, t: float = 1.0) -> tuple[Any, ...]:
    return x, _full(xp, x, t)


def _multiclass(xp: Any, x: Any, *, onehot: bool = False) -> tuple[Any, ...]:
    target = _cols(xp, x, 1.0, 0.0, 0.0) if onehot else _ints(xp, x, 0)
    return _cols(xp, x, x, 0.0, 0.0), target


def _true_class_prob(xp: Any, x: Any) -> tuple[Any, ...]:
    rest = (1.0 - x) / 2.0
    return _cols(xp, x, x, rest, rest), _ints(xp, x, 0)


def _two_class(xp: Any, x: Any, *, log: bool = False) -> tuple[Any, ...]:
    q = _cols(xp, x, x, 1.0 - x)
    return (xp.log(q) if log else q), _cols(xp, x, 0.3, 0.7)


def _angle_pair(xp: Any, x: Any) -> tuple[Any, ...]:
    return _cols(xp, x, xp.cos(x), xp.sin(x)), _cols(xp, x, 1.0, 0.0)


_MASK = (1.0, 1.0, 0.0, 0.0)  # the small mask of the segmentation sweeps: 2 of 4 pixels foreground
_BACKGROUND = 0.2  # foreground probability predicted on the background pixels (a fixed false positive)


def _mask_probs(xp: Any, x: Any) -> Any:
    # Sweeping the foreground pixels only: with 1 - p on the background, sum(p) would be constant and the
    # overlap losses linear in p, which hides their shape.
    return _cols(xp, x, *[x if m else _BACKGROUND for m in _MASK])


def _segmentation(xp: Any, x: Any) -> tuple[Any, ...]:
    return _mask_probs(xp, x), _cols(xp, x, *_MASK)


def _segmentation_classes(xp: Any, x: Any) -> tuple[Any, ...]:
    # two classes, (num, 4 pixels, 2): foreground probability p on the foreground, 0.2 on the background
    fg = _mask_probs(xp, x)
    probs = xp.stack([1.0 - fg, fg], axis=-1)
    return xp.reshape(probs, (x.shape[0], 4, 2)), _ints(xp, x, *[int(m) for m in _MASK])


def _box_shift(xp: Any, x: Any) -> tuple[Any, ...]:
    return _cols(xp, x, x, 0.0, x + 2.0, 2.0), _cols(xp, x, 0.0, 0.0, 2.0, 2.0)


_REGRESSION = dict(lo=-3.0, hi=3.0, build=_error, xlabel="error e = pred - target",
                   description="pred = t + e, t = 0", axis="error")
_LOGIT = dict(lo=-6.0, hi=6.0, build=_binary, xlabel="logit x", description="logit x, target 1 (and target 0)",
              axis="margin", lines=(_Line("target 1", {"t": 1.0}), _Line("target 0", {"t": 0.0})))
_MARGIN = dict(lo=-3.0, hi=3.0, build=_binary, xlabel="margin y·f (target y = 1, score f)",
               description="score f, target 1", axis="margin")
_MULTICLASS = dict(lo=-6.0, hi=6.0, build=_multiclass, xlabel="true-class logit (other 2 classes 0)",
                   description="3 classes, logits (x, 0, 0), label 0", axis="true class logit")
_PROBS = dict(lo=0.01, hi=0.99, build=_true_class_prob, xlabel="probability of the true class",
              description="3 classes, probabilities (p, (1 - p)/2, (1 - p)/2), label 0", axis="true class probability")
_DIVERGENCE = dict(lo=0.01, hi=0.99, build=_two_class, xlabel="q = predicted probability of class 0",
                   description="2-class distributions: prediction (q, 1 - q), target (0.3, 0.7)", axis="two-class q")
_SEGMENTATION = dict(lo=0.0, hi=1.0, build=_segmentation, xlabel="predicted foreground probability p on the object",
                     description=f"one 4-pixel mask (1, 1, 0, 0); prediction p on the 2 foreground pixels, "
                     f"{_BACKGROUND} on the background", axis="mask probability", fixed={"axis": None})
_DETECTION = dict(lo=-3.0, hi=3.0, build=_box_shift, xlabel="horizontal shift s of the predicted box",
                  description="target box (0, 0, 2, 2), prediction (s, 0, s + 2, 2)", axis="box shift")


def _sweep(**kw: Any) -> _Sweep:
    return _Sweep(**kw)


def _ntxent(xp: Any, x: Any) -> tuple[Any, ...]:
    # one batch of three embeddings per point: anchor (1, 0), positive at angle x, negative (-1, 0)
    emb = _cols(xp, x, 1.0, 0.0, xp.cos(x), xp.sin(x), -1.0, 0.0)
    return xp.reshape(emb, (x.shape[0], 3, 2)), _ints(xp, x, 0, 0, 1)


def _ctc(xp: Any, x: Any) -> tuple[Any, ...]:
    # logits (blank 0, label x, other 0) at each of 2 frames; labels (1,)
    logp = _cols(xp, x, 0.0, x, 0.0) - xp.reshape(xp.log(xp.exp(x) + 2.0), (-1, 1))
    log_probs = xp.stack([logp, logp], axis=1)
    return log_probs, _ints(xp, x, 1, 1)[:, :1], _ints(xp, x, 2), _ints(xp, x, 1)


def _yolo(xp: Any, x: Any) -> tuple[Any, ...]:
    # one object cell: box (cx, cy, w, h), confidence, 2 class logits / one-hot classes
    pred = _cols(xp, x, 0.5 + x, 0.5, 0.2, 0.2, 1.0, 2.0, 0.0)
    target = _cols(xp, x, 0.5, 0.5, 0.2, 0.2, 1.0, 1.0, 0.0)
    return pred, target


def _gan_discriminator(xp: Any, x: Any, *, real: bool) -> tuple[Any, ...]:
    return (x, _full(xp, x, 0.0)) if real else (_full(xp, x, 0.0), x)


_SWEEPS: dict[str, _Sweep] = {
    # regression
    **{n: _sweep(**_REGRESSION) for n in (
        "mean_squared_error", "root_mean_squared_error", "mean_absolute_error", "smooth_l1", "pseudo_huber",
        "log_cosh", "epsilon_insensitive")},
    "huber": _sweep(**{**_REGRESSION, "lines": (_Line(options={"delta": 1.0}), _Line(options={"delta": 2.0}))}),
    "quantile": _sweep(**{**_REGRESSION, "lines": (_Line(options={"q": 0.5}), _Line(options={"q": 0.9}))}),
    "tukey_biweight": _sweep(**{**_REGRESSION, "lo": -8.0, "hi": 8.0}),
    "general_robust": _sweep(**{**_REGRESSION, "lo": -6.0, "hi": 6.0, "lines": tuple(
        _Line(f"alpha = {a:g}", options={"alpha": a}) for a in (2.0, 1.0, 0.0, -2.0, -math.inf))}),
    "mean_absolute_percentage_error": _sweep(**{**_REGRESSION, "description": "pred = t + e, t = 1",
                                                "build": lambda xp, x: _error(xp, x, t=1.0)}),
    "mean_squared_log_error": _sweep(lo=0.0, hi=5.0, build=lambda xp, x: _value_vs(xp, x, t=1.0),
                                     xlabel="pred p", description="pred p, target 1"),
    "poisson_nll": _sweep(lo=-3.0, hi=3.0, build=lambda xp, x: _value_vs(xp, x, t=2.0),
                          xlabel="predicted log-rate x", description="log-rate x, count target 2"),
    "gaussian_nll": _sweep(**{**_REGRESSION, "description": "pred = t + e, t = 0, variance 1 (and 4)",
                              "build": lambda xp, x, var: (*_error(xp, x), _full(xp, x, var)),
                              "lines": (_Line("var 1", {"var": 1.0}), _Line("var 4", {"var": 4.0}))}),
    "tweedie_deviance": _sweep(lo=0.05, hi=4.0, build=lambda xp, x: _value_vs(xp, x, t=1.0),
                               xlabel="predicted mean p", description="pred p, target 1",
                               lines=tuple(_Line(options={"power": p}) for p in (0.0, 1.0, 2.0))),
    # binary classification
    "binary_cross_entropy": _sweep(lo=0.01, hi=0.99, build=_binary, xlabel="predicted probability p",
                                   description="probability p, target 1 (and target 0)",
                                   axis="true class probability", lines=_LOGIT["lines"]),
    "binary_cross_entropy_with_logits": _sweep(**_LOGIT),
    "sigmoid_focal": _sweep(**{**_LOGIT, "description": "logit x, target 1",
                               "lines": (_Line(options={"gamma": 2.0}), _Line(options={"gamma": 0.0}))}),
    **{n: _sweep(**_MARGIN) for n in ("hinge", "squared_hinge", "soft_margin", "perceptron")},
    "multilabel_soft_margin": _sweep(**{**_LOGIT, "description": "one class, logit x, target 1 (and target 0)",
                                        "build": lambda xp, x, t: (_cols(xp, x, x), _cols(xp, x, t)), "lines": (
                                            _Line("target 1", {"t": 1.0}), _Line("target 0", {"t": 0.0}))}),
    "multilabel_margin": _sweep(**{**_MULTICLASS, "lo": -3.0, "hi": 3.0,
                                   "xlabel": "score of the target class (other class 0)",
                                   "description": "2 classes, scores (x, 0), labels (0, -1)",
                                   "build": lambda xp, x: (_cols(xp, x, x, 0.0), _ints(xp, x, 0, -1))}),
    # multiclass
    **{n: _sweep(**_MULTICLASS) for n in ("cross_entropy", "poly1_cross_entropy", "softmax_focal", "sparsemax")},
    **{n: _sweep(**{**_MULTICLASS, "lo": -3.0, "hi": 3.0, "xlabel": "true-class score (other 2 classes 0)",
                    "description": "3 classes, scores (x, 0, 0), label 0"})
       for n in ("multiclass_hinge", "multiclass_perceptron", "categorical_hinge")},
    "nll": _sweep(lo=-6.0, hi=-0.01, xlabel="log-probability of the true class", axis="true class log-probability",
                  description="3 classes, log-probabilities (x, log((1 - e^x)/2) twice), label 0",
                  build=lambda xp, x: (xp.log(_true_class_prob(xp, xp.exp(x))[0]), _ints(xp, x, 0))),
    **{n: _sweep(**_PROBS) for n in ("categorical_cross_entropy", "generalized_cross_entropy", "brier_score")},
    # divergences
    "kl_divergence": _sweep(**{**_DIVERGENCE, "build": lambda xp, x: _two_class(xp, x, log=True)}),
    "generalized_kl_divergence": _sweep(**{**_DIVERGENCE, "build": lambda xp, x: _two_class(xp, x, log=True)}),
    "js_divergence": _sweep(**_DIVERGENCE),
    "hellinger": _sweep(**_DIVERGENCE),
    # embeddings and ranking
    "cosine_distance": _sweep(lo=0.0, hi=math.pi, build=_angle_pair, xlabel="angle θ between pred and target (rad)",
                              description="2-D vectors (cos θ, sin θ) and (1, 0)", axis="angle"),
    "cosine_embedding": _sweep(lo=0.0, hi=math.pi, xlabel="angle θ between x1 and x2 (rad)", axis="angle",
                               description="2-D vectors (cos θ, sin θ) and (1, 0); target 1 (and -1)",
                               build=lambda xp, x, t: (*_angle_pair(xp, x), _full(xp, x, t)),
                               lines=(_Line("target 1", {"t": 1.0}), _Line("target -1", {"t": -1.0}))),
    "contrastive": _sweep(lo=0.0, hi=2.5, xlabel="distance d = |x1 - x2|", axis="distance",
                          description="1-D embeddings x1 = d, x2 = 0; similar (and dissimilar) pair",
                          build=lambda xp, x, s: (_cols(xp, x, x), _cols(xp, x, 0.0), _full(xp, x, s)),
                          lines=(_Line("similar", {"s": 1.0}), _Line("dissimilar", {"s": 0.0}))),
    "triplet_margin": _sweep(lo=0.0, hi=3.0, xlabel="distance anchor-negative d(a, n)", axis="distance",
                             description="1-D embeddings: anchor 0, positive 1, negative d",
                             build=lambda xp, x: (_cols(xp, x, 0.0), _cols(xp, x, 1.0), _cols(xp, x, x))),
    "margin_ranking": _sweep(**{**_MARGIN, "xlabel": "score gap x1 - x2 (target 1)",
                                "description": "x1 = gap, x2 = 0, target 1",
                                "build": lambda xp, x: (x, _full(xp, x, 0.0), _full(xp, x, 1.0))}),
    "hinge_embedding": _sweep(lo=0.0, hi=3.0, xlabel="distance x", axis="distance",
                              description="distance x, target 1 (similar) and -1 (dissimilar)",
                              build=_binary, lines=(_Line("target 1", {"t": 1.0}), _Line("target -1", {"t": -1.0}))),
    "ntxent": _sweep(lo=0.0, hi=math.pi, build=_ntxent, xlabel="angle θ between the positive pair (rad)",
                     axis="angle", description="one batch per point: anchor (1, 0), positive (cos θ, sin θ), "
                     "negative (-1, 0)"),
    **{n: _sweep(lo=-4.0, hi=4.0, xlabel="score gap s_relevant - s_other", axis="score gap",
                 description="one list of 2 items: scores (x, 0), relevance (1, 0)",
                 build=lambda xp, x: (_cols(xp, x, x, 0.0), _cols(xp, x, 1.0, 0.0)))
       for n in ("ranknet", "listnet")},
    # segmentation (one image per sweep point, so per-sample statistics are the pooled ones)
    **{n: _sweep(**_SEGMENTATION) for n in ("dice", "jaccard", "tversky", "focal_tversky", "generalized_dice")},
    **{n: _sweep(**{**_SEGMENTATION, "fixed": {"axis": None, "per_sample": True}})
       for n in ("soft_f1", "matthews")},
    **{n: _sweep(**{**_SEGMENTATION, "build": _segmentation_classes, "fixed": {"per_sample": True},
                    "description": f"one image of 4 pixels, labels (1, 1, 0, 0), 2 classes; foreground "
                    f"probability p on the foreground pixels, {_BACKGROUND} on the background"})
       for n in ("cohen_kappa", "lovasz_softmax")},
    "lovasz_hinge": _sweep(lo=-3.0, hi=3.0, xlabel="logit toward the true label at every pixel",
                           axis="mask logit", description="one 4-pixel mask (1, 1, 0, 0); logits x on the "
                           "foreground, -x on the background",
                           build=lambda xp, x: (_cols(xp, x, *[x if m else -x for m in _MASK]),
                                                _ints(xp, x, *[int(m) for m in _MASK]))),
    # detection
    **{n: _sweep(**_DETECTION) for n in ("box_iou", "giou", "diou", "ciou")},
    "yolo": _sweep(lo=-1.0, hi=1.0, build=_yolo, xlabel="shift s of the predicted box centre", axis="box shift",
                   description="one object cell: box centre x = target + s, confidence 1, class logits (2, 0)"),
    # sequence, reinforcement learning, generative
    "ctc": _sweep(lo=-4.0, hi=6.0, build=_ctc, xlabel="logit of the right label (blank and other 0)",
                  axis="label logit", description="2 frames, 3 classes, logits (0, x, 0) per frame, labels (1)"),
    "policy_gradient": _sweep(lo=-4.0, hi=0.0, xlabel="log π(a|s)", axis="log-probability",
                              description="log-probability x, advantage 1 (and -1)", build=_binary,
                              lines=(_Line("A = 1", {"t": 1.0}), _Line("A = -1", {"t": -1.0}))),
    "value_function": _sweep(**{**_REGRESSION, "xlabel": "error v - R", "description": "values = R + e, R = 0",
                                "lines": (_Line(options={"delta": None}), _Line(options={"delta": 1.0}))}),
    "ppo_clip": _sweep(lo=0.5, hi=1.5, xlabel="probability ratio r = π / π_old", axis="ratio",
                       description="log_probs = log r, old log_probs 0, advantage 1 (and -1)",
                       build=lambda xp, x, a: (xp.log(x), _full(xp, x, 0.0), _full(xp, x, a)),
                       lines=(_Line("A = 1", {"a": 1.0}), _Line("A = -1", {"a": -1.0}))),
    "gan_discriminator": _sweep(lo=-4.0, hi=4.0, build=_gan_discriminator, xlabel="logit", axis="logit",
                                description="real logit x with fake logit 0, and fake logit x with real logit 0",
                                lines=(_Line("real logit x", {"real": True}), _Line("fake logit x", {"real": False}))),
    "gan_generator": _sweep(lo=-4.0, hi=4.0, build=lambda xp, x: (x,), xlabel="fake logit", axis="logit",
                            description="fake logit x"),
}


def _opt_text(v: Any) -> str:
    return repr(v) if isinstance(v, str) else str(v)


# -- evaluation -------------------------------------------------------------------------------


def _available(method: str) -> bool:
    return method == "finite differences" or importlib.util.find_spec(method) is not None


def _pick_method(gradient: str | None) -> str:
    if gradient is None:
        return next(m for m in GRADIENT_METHODS if _available(m))
    if gradient not in GRADIENT_METHODS:
        raise InvalidOptionError(f"loss_curve: gradient={gradient!r} is not one of {GRADIENT_METHODS}")
    if not _available(gradient):
        raise MissingDependencyError(f"loss_curve: gradient={gradient!r} needs {gradient}, which is not installed; "
                                     "install it or pass gradient=None to use what is available")
    return gradient


def _per_point(rec: Any, sweep: _Sweep, line: _Line, options: Mapping[str, Any], xp: Any, x: Any) -> Any:
    """The loss at every sweep point: ``reduction="none"`` summed over any trailing axes."""
    out = rec.fn(*sweep.build(xp, x, **line.params), **options, **sweep.fixed, reduction="none")
    while out.ndim > 1:
        out = xp.sum(out, axis=-1)
    return out


def _values_and_grads(rec: Any, sweep: _Sweep, line: _Line, options: Mapping[str, Any], x: np.ndarray,
                      method: str) -> tuple[np.ndarray, np.ndarray]:
    from ._conformance.backends import get_backend

    npb = get_backend("numpy")
    xnp = npb.xp()
    values = npb.to_numpy(_per_point(rec, sweep, line, options, xnp, npb.asarray(x, "float64")))
    if method == "finite differences":
        h = 1e-6 * np.maximum(1.0, np.abs(x))
        up = npb.to_numpy(_per_point(rec, sweep, line, options, xnp, npb.asarray(x + h, "float64")))
        down = npb.to_numpy(_per_point(rec, sweep, line, options, xnp, npb.asarray(x - h, "float64")))
        return values, (up - down) / (2 * h)
    # Every point is its own sample, so the gradient of the sum is the derivative at each point.
    b = get_backend(method)
    bxp = b.xp()
    (grad,) = b.grad(lambda xa: bxp.sum(_per_point(rec, sweep, line, options, bxp, xa)),
                     [b.asarray(x, "float64")], [0])
    return values, grad


def loss_curve(name: str, *, num: int = 201, options: Mapping[str, Any] | None = None,
               x: Sequence[float] | np.ndarray | None = None, gradient: str | None = None) -> Curve:
    """The loss ``name`` and its derivative along the loss's 1-D sweep axis.

    Parameters
    ----------
    name : str
        Catalog name of the loss (or an alias such as ``"mse"``).
    num : int, default 201
        Number of evenly spaced sweep points over the loss's default range.
    options : mapping, optional
        Loss options (e.g. ``{"delta": 2.0}``); the catalog defaults otherwise. An option that
        some lines of the default sweep vary (huber's ``delta``) is then the same for all, so
        those lines merge into one.
    x : array_like, optional
        Sweep points to use instead of the default range (``num`` is then ignored).
    gradient : {"torch", "jax", "finite differences"}, optional
        How to differentiate; by default torch autograd if torch is installed, else
        ``jax.grad``, else central finite differences of lossapi on NumPy.

    Returns
    -------
    Curve
        ``x`` of shape ``(num,)``; ``loss`` and ``grad`` of shape ``(lines, num)``.

    Raises
    ------
    KeyError
        ``name`` is not in the catalog.
    InvalidOptionError
        An option is unknown to the loss, fixed by the sweep, or ``gradient`` is unknown.

    Examples
    --------
    >>> import lossapi.plotting as lp
    >>> c = lp.loss_curve("binary_cross_entropy_with_logits", x=[0.0])
    >>> c.labels, round(float(c.loss[0, 0]), 6), round(float(c.grad[0, 0]), 6)
    (('target 1', 'target 0'), 0.693147, -0.5)
    """
    rec = lookup(name)
    sweep = _SWEEPS.get(rec.name)
    if sweep is None:  # a newly registered loss: tests/test_plotting.py catches this
        raise KeyError(f"loss_curve: no sweep axis is defined for {rec.name!r}; add one to lossapi.plotting._SWEEPS")
    user = dict(options or {})
    unknown = sorted(set(user) - set(rec.options))
    if unknown:
        raise InvalidOptionError(f"loss_curve: {rec.name} has no option(s) {unknown}; its options are "
                                 f"{sorted(rec.options)}")
    fixed = sorted(set(user) & set(sweep.fixed))
    if fixed:
        raise InvalidOptionError(f"loss_curve: the {rec.name} sweep fixes {fixed} (each point is one sample); "
                                 "leave them out of options")
    method = _pick_method(gradient)
    xs = np.linspace(sweep.lo, sweep.hi, int(num)) if x is None else np.asarray(x, dtype=np.float64).reshape(-1)
    if xs.size == 0:
        raise InvalidOptionError("loss_curve: the sweep needs at least one point (num >= 1 or a non-empty x)")

    labels: list[str] = []
    losses, grads = [], []
    for line in sweep.lines:
        line_opts = {**line.options, **user}
        label = " ".join([line.label] + [f"{k}={_opt_text(line_opts[k])}" for k in line.options]).strip()
        if label in labels:  # the caller's options made this line equal to an earlier one
            continue
        values, grad = _values_and_grads(rec, sweep, line, line_opts, xs, method)
        labels.append(label)
        losses.append(values)
        grads.append(grad)
    common = {k: v for k, v in {**rec.options, **user}.items()
              if not any(k in ln.options for ln in sweep.lines) or k in user}
    common.update({k: v for k, v in sweep.fixed.items() if k in rec.options})
    return Curve(name=rec.name, x=xs, loss=np.stack(losses), grad=np.stack(grads), labels=tuple(labels),
                 xlabel=sweep.xlabel, ylabel="loss", axis=sweep.axis or sweep.xlabel,
                 description=sweep.description, gradient_method=method, options=common)


# -- drawing ----------------------------------------------------------------------------------


def _figure(figsize: tuple[float, float]) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise MissingDependencyError(
            "lossapi.plotting needs matplotlib, which is not installed; "
            'install the optional extra: pip install "lossapi[plot]"'
        ) from e
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _draw(ax: Any, x: np.ndarray, rows: np.ndarray, labels: Sequence[str], **kw: Any) -> None:
    for row, label in zip(rows, labels):
        ax.plot(x, row, label=label or None, **kw)
    ax.axhline(0.0, color="0.6", lw=0.6, zorder=0)
    ax.grid(True, alpha=0.3)


def _options_text(options: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in options.items() if isinstance(v, (int, float, str, bool))}  # None: feature off
    return ", ".join(f"{k}={_opt_text(v)}" for k, v in shown.items())


def _save(fig: Any, out: str | PathLike[str] | None) -> None:
    if out is not None:
        fig.savefig(out, dpi=100)


def plot_loss(name: str, *, out: str | PathLike[str] | None = None, options: Mapping[str, Any] | None = None,
              ax: Any = None, curve: Curve | None = None) -> Any:
    """Draw the loss ``name`` and its gradient along its sweep axis.

    Parameters
    ----------
    name : str
        Catalog name of the loss (or an alias).
    out : str or path-like, optional
        Save the figure there (PNG unless the suffix says otherwise).
    options : mapping, optional
        Loss options, as for :func:`loss_curve`.
    ax : matplotlib.axes.Axes, optional
        Draw on this axes (the gradient dashed on a twin y axis) instead of a new figure with
        two panels.
    curve : Curve, optional
        A curve already computed by :func:`loss_curve` for ``name``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (``ax``'s figure when ``ax`` is given).

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed: ``pip install "lossapi[plot]"``.

    Examples
    --------
    >>> import lossapi.plotting as lp
    >>> fig = lp.plot_loss("huber")
    >>> [a.get_title() for a in fig.axes]
    ['loss', 'gradient d loss / d x']
    """
    c = curve if curve is not None else loss_curve(name, options=options)
    rec = lookup(name)
    note = f"{c.description}; gradient: {_METHOD_TEXT[c.gradient_method]}"
    opts = _options_text(c.options)
    title = f"{rec.name}" + (f" ({opts})" if opts else "")
    formula = textwrap.fill(rec.formula, 110)
    if ax is None:
        fig = _figure((10.0, 4.2))
        ax_l, ax_g = fig.subplots(1, 2)
        _draw(ax_l, c.x, c.loss, c.labels)
        _draw(ax_g, c.x, c.grad, c.labels)
        ax_l.set_title("loss")
        ax_g.set_title("gradient d loss / d x")
        ax_l.set_ylabel(c.ylabel)
        ax_g.set_ylabel("d loss / d x")
        for a in (ax_l, ax_g):
            a.set_xlabel(c.xlabel)
        if any(c.labels):
            ax_l.legend(fontsize=8)
        fig.suptitle(f"{title}\n{formula}", fontsize=9)
        note = textwrap.fill(note, 150)
        fig.text(0.5, 0.0, note, ha="center", va="bottom", fontsize=7, color="0.3")
        bottom = 0.035 * (note.count("\n") + 1)  # keep the footnote clear of the x labels
        fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    else:
        fig = ax.figure
        ax2 = ax.twinx()
        _draw(ax, c.x, c.loss, [f"loss {lb}".strip() for lb in c.labels])
        ax2.set_prop_cycle(None)
        _draw(ax2, c.x, c.grad, [f"gradient {lb}".strip() for lb in c.labels], ls="--")
        ax.set_xlabel(c.xlabel)
        ax.set_ylabel(c.ylabel)
        ax2.set_ylabel("d loss / d x (dashed)")
        ax.set_title(f"{title}: {formula}", fontsize=8)
        ax.legend(fontsize=7, loc="upper left")
    _save(fig, out)
    return fig


def plot_gallery(names: Sequence[str], *, out: str | PathLike[str] | None = None,
                 title: str = "Loss functions", x: Sequence[float] | np.ndarray | None = None,
                 ylim: tuple[float, float] | None = None, grad_ylim: tuple[float, float] | None = None) -> Any:
    """Compare several losses that share a sweep axis: the losses in one panel, the
    gradients in another.

    Each loss contributes the first line of its sweep (its catalog defaults; target 1 for
    the binary classification losses).

    Parameters
    ----------
    names : sequence of str
        Catalog names; their sweeps must share an axis (see ``Curve.axis``).
    out : str or path-like, optional
        Save the figure there.
    title : str, default "Loss functions"
        Figure title.
    x : array_like, optional
        Sweep points; the first loss's default range otherwise.
    ylim, grad_ylim : (float, float), optional
        Limits of the loss and the gradient axes (so that one steep loss does not flatten
        the others).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InvalidOptionError
        ``names`` is empty or the losses are swept along different axes.
    MissingDependencyError
        matplotlib is not installed.

    Examples
    --------
    >>> import lossapi.plotting as lp
    >>> fig = lp.plot_gallery(["mean_squared_error", "mean_absolute_error", "huber"])
    >>> len(fig.axes[0].get_lines()) >= 3
    True
    """
    if not names:
        raise InvalidOptionError("plot_gallery: pass at least one loss name")
    fig = _figure((11.0, 4.5))
    first = loss_curve(names[0], x=x)
    curves = [first] + [loss_curve(n, x=first.x) for n in names[1:]]
    axes = {c.axis for c in curves}
    if len(axes) > 1:
        raise InvalidOptionError(
            "plot_gallery: the losses are swept along different axes: "
            + "; ".join(f"{c.name}: {c.axis}" for c in curves) + ". Compare losses of one axis at a time.")
    ax_l, ax_g = fig.subplots(1, 2)
    for c in curves:
        label = c.name + (f" ({c.labels[0]})" if c.labels[0] else "")
        ax_l.plot(c.x, c.loss[0], label=label)
        ax_g.plot(c.x, c.grad[0], label=label)
    xlabel = AXIS_LABELS.get(first.axis, first.xlabel)
    for a, t in ((ax_l, "loss"), (ax_g, "gradient d loss / d x")):
        a.set_title(t)
        a.set_xlabel(xlabel)
        a.axhline(0.0, color="0.6", lw=0.6, zorder=0)
        a.grid(True, alpha=0.3)
    if ylim is not None:
        ax_l.set_ylim(*ylim)
    if grad_ylim is not None:
        ax_g.set_ylim(*grad_ylim)
    ax_l.legend(fontsize=8)
    fig.suptitle(title)
    _save(fig, out)
    return fig
