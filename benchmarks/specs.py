"""The single table of benchmark specs: every catalog loss with a native counterpart.

``SPECS[loss]`` says how to build float32 inputs of each size class, which lossapi options to
call it with (per backend when the native counterpart fixes a variant), and the native callables
to time it against, per library:

- ``torch``: ``torch.nn.functional`` (or, for torchvision's losses, torchvision's formulas written
  out in torch, since torchvision is not installable here: ``native_is`` says so);
- ``optax`` and ``keras`` (``keras.losses`` on the JAX backend, a peer, not a target): run in the
  JAX process under ``jax.jit``;
- ``numpy``: the best plain-NumPy formulation, written by hand (idiomatic elementwise NumPy,
  ``ndarray.mean()``, no ``out=``); ``m`` is ``numpy`` or ``cupy``;
- ``sklearn``: the metric of the same name, with any input conversion (softmax for ``log_loss``,
  ravel) done outside the timing by a ``prep`` function.

A native factory takes the array module (``numpy``/``cupy``, ``torch``, ``jax.numpy``) and returns
``fn(*inputs)`` taking the same positional inputs as the lossapi call, or ``(fn, prep)`` where
``prep(*inputs)`` returns the arguments ``fn`` is timed on. ``EXCLUDED`` lists counterparts not
benchmarked here, with the reason. ``tests/test_benchmarks.py`` checks that every native gives
lossapi's value on a tiny input, and that every catalog counterpart is covered or excluded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["EXCLUDED", "SHAPES", "SIZE_ORDER", "SPECS", "Spec", "make_inputs"]

SIZE_ORDER = ("tiny", "small", "medium", "large")
QUICK_SIZES = ("tiny", "small")
FULL_SIZES = ("tiny", "medium", "large")

#: Input shapes per shape class and size. ``elem``: 1-D; ``class``: (N, C) logits/scores;
#: ``vec``: (N, D) embeddings; ``boxes``: N boxes; ``seg``: (N, H, W, C) channels-last;
#: ``rank``: (N lists, L items); ``ntxent``: (N, D), O(N^2); ``mlabel``: (N, C) padded labels.
SHAPES: dict[str, dict[str, tuple[int, ...]]] = {
    "elem": {"tiny": (8,), "small": (100_000,), "medium": (1_000_000,), "large": (10_000_000,)},
    "class": {"tiny": (32, 10), "small": (512, 1000), "medium": (4096, 1000), "large": (16384, 1000)},
    "vec": {"tiny": (32, 16), "small": (1024, 128), "medium": (8192, 256), "large": (40960, 256)},
    "boxes": {"tiny": (32,), "small": (10_000,), "medium": (100_000,), "large": (1_000_000,)},
    "seg": {"tiny": (2, 16, 16, 4), "small": (8, 64, 64, 8), "medium": (16, 128, 128, 8), "large": (16, 128, 128, 21)},
    "rank": {"tiny": (8, 10), "small": (1024, 50), "medium": (8192, 100), "large": (65536, 100)},
    "ntxent": {"tiny": (16, 16), "small": (256, 128), "medium": (1024, 128), "large": (4096, 128)},
    "mlabel": {"tiny": (32, 10), "small": (256, 100), "medium": (1024, 100), "large": (16384, 100)},
}

F32 = np.float32
ALPHA, GAMMA = 0.25, 2.0
QUANTILE_Q, TWEEDIE_POWER = 0.3, 1.5
BOX_EPS = 1e-7


# ------------------------------------------------------------------ input builders (NumPy)
def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return (z - np.log(np.exp(z).sum(axis=-1, keepdims=True))).astype(F32)


def _softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(z)).astype(F32)


def _inputs(kind: str) -> Callable[[np.random.Generator, tuple[int, ...]], tuple[np.ndarray, ...]]:
    """Input builders by name: ``rng, shape -> tuple of arrays`` (float32, int64 labels)."""

    def normal(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
        return rng.standard_normal(s, dtype=F32)

    def sign(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
        return np.where(rng.random(s) < 0.5, -1.0, 1.0).astype(F32)

    def binary(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
        return (rng.random(s) < 0.5).astype(F32)

    def labels(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
        return rng.integers(0, s[-1], s[:-1])

    builders: dict[str, Callable[[np.random.Generator, tuple[int, ...]], tuple[np.ndarray, ...]]] = {
        "pred_target": lambda rng, s: (normal(rng, s), normal(rng, s)),
        # Targets away from 0: a percentage error of a target near 0 depends on the eps floor,
        # which differs by dtype between lossapi (finfo of the input) and sklearn (float64).
        "pred_pct_target": lambda rng, s: (normal(rng, s), (1.0 + np.abs(normal(rng, s))).astype(F32)),
        "pred_target_var": lambda rng, s: (normal(rng, s), normal(rng, s), rng.uniform(0.5, 2.0, s).astype(F32)),
        "nonneg_pair": lambda rng, s: (np.abs(normal(rng, s)), np.abs(normal(rng, s))),
        "log_rate_count": lambda rng, s: (normal(rng, s), rng.poisson(1.0, s).astype(F32)),
        "rate_count": lambda rng, s: (np.exp(0.5 * normal(rng, s)).astype(F32), rng.poisson(1.0, s).astype(F32)),
        "scores_sign": lambda rng, s: (normal(rng, s), sign(rng, s)),
        "pair_sign": lambda rng, s: (normal(rng, s), normal(rng, s), sign(rng, s)),
        "dist_sign": lambda rng, s: (np.abs(normal(rng, s)), sign(rng, s)),
        "logits_binary": lambda rng, s: (normal(rng, s), binary(rng, s)),
        "probs_binary": lambda rng, s: (rng.uniform(0.02, 0.98, s).astype(F32), binary(rng, s)),
        "two_logits": lambda rng, s: (normal(rng, s), normal(rng, s)),
        "one_logits": lambda rng, s: (normal(rng, s),),
        "logits_labels": lambda rng, s: (normal(rng, s), labels(rng, s)),
        "logits_probs": lambda rng, s: (normal(rng, s), _softmax(normal(rng, s))),
        "logprobs_labels": lambda rng, s: (_log_softmax(normal(rng, s)), labels(rng, s)),
        "logprobs_probs": lambda rng, s: (_log_softmax(normal(rng, s)), _softmax(normal(rng, s))),
        "logprobs_nonneg": lambda rng, s: (_log_softmax(normal(rng, s)), np.abs(normal(rng, s))),
        "probs_probs": lambda rng, s: (_softmax(normal(rng, s)), _softmax(normal(rng, s))),
        "probs_labels": lambda rng, s: (_softmax(normal(rng, s)), labels(rng, s)),
        "vec_pair": lambda rng, s: (normal(rng, s), normal(rng, s)),
        "vec_pair_sign": lambda rng, s: (normal(rng, s), normal(rng, s), sign(rng, s[:-1])),
        "vec_triplet": lambda rng, s: (normal(rng, s), normal(rng, s), normal(rng, s)),
        "boxes": lambda rng, s: draw_boxes(rng, s[0]),
        "seg": lambda rng, s: (normal(rng, s), labels(rng, s)),  # logits: see Spec.softmax_first
        "rank": lambda rng, s: (normal(rng, s), rng.integers(0, 4, s).astype(F32)),
        "ntxent": lambda rng, s: (normal(rng, s), rng.integers(0, max(2, s[0] // 4), s[0])),
        "mlabel": lambda rng, s: (normal(rng, s), _padded_labels(rng, s)),
    }
    return builders[kind]


def draw_boxes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Valid xyxy boxes, 70 % of them near their target (so the IoU terms are non-trivial)."""
    wg, hg = rng.uniform(0.5, 4.0, (2, n))
    gx, gy = rng.uniform(1.0, 9.0, (2, n))
    near = rng.random(n) < 0.7
    cx = np.where(near, gx + rng.normal(0, 0.3, n) * wg, rng.uniform(1.0, 9.0, n))
    cy = np.where(near, gy + rng.normal(0, 0.3, n) * hg, rng.uniform(1.0, 9.0, n))
    w = np.where(near, wg * np.exp(rng.normal(0, 0.3, n)), rng.uniform(0.5, 4.0, n))
    h = np.where(near, hg * np.exp(rng.normal(0, 0.3, n)), rng.uniform(0.5, 4.0, n))
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1).astype(F32)
    target = np.stack([gx - wg / 2, gy - hg / 2, gx + wg / 2, gy + hg / 2], axis=-1).astype(F32)
    return boxes, target


def _padded_labels(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    """torch's multilabel_margin layout: up to 3 distinct class indices per row, then -1."""
    n = s[0]
    out = np.full(s, -1, dtype=np.int64)
    k = rng.integers(1, 4, n)
    picks = np.argsort(rng.random(s), axis=-1)[:, :3]
    for j in range(3):
        out[:, j] = np.where(j < k, picks[:, j], -1)
    return out


# ------------------------------------------------------------------ the spec
Native = Callable[[Any], Any]  # factory: array module -> fn or (fn, prep)


@dataclass(frozen=True)
class Spec:
    """How to benchmark one loss.

    Attributes
    ----------
    loss : str
        Catalog name.
    shape : str
        Key of :data:`SHAPES`.
    inputs : str
        Input builder name (see ``_inputs``).
    options : dict
        lossapi keyword options for every backend.
    options_by : dict
        Extra lossapi options per native library (e.g. the multiclass-hinge variant torch uses).
    natives : dict
        Library -> factory (see the module docstring).
    native_is : dict
        Library -> what the native is, when it is not the library's own function.
    softmax_first : bool
        The first input is logits and lossapi gets their softmax, computed inside the timed
        call (optax's ``dice_loss`` is only jittable with ``apply_softmax=True``).
    """

    loss: str
    shape: str
    inputs: str
    natives: dict[str, Native]
    options: dict[str, Any] = field(default_factory=dict)
    options_by: dict[str, dict[str, Any]] = field(default_factory=dict)
    native_is: dict[str, str] = field(default_factory=dict)
    softmax_first: bool = False

    def kwargs(self, library: str) -> dict[str, Any]:
        """lossapi options when compared against ``library``."""
        return {**self.options, **self.options_by.get(library, {})}

    def lossapi(self, library: str, m: Any) -> Callable[..., Any]:
        """The lossapi call timed against ``library`` (``m``: the array module)."""
        import lossapi as la

        f, kw = getattr(la, self.loss), self.kwargs(library)
        if self.softmax_first:
            sm = _softmax_of(m)
            return lambda x, *rest: f(sm(x), *rest, **kw)
        return (lambda *a: f(*a, **kw)) if kw else f


def make_inputs(spec: Spec, size: str, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Float32 NumPy inputs (int64 labels) of ``spec`` at ``size``."""
    return _inputs(spec.inputs)(np.random.default_rng(seed), SHAPES[spec.shape][size])


# ------------------------------------------------------------------ native formulas
def _tv_sigmoid_focal(m: Any) -> Callable[..., Any]:
    """torchvision.ops.sigmoid_focal_loss, written out (torchvision is not installable here)."""

    def f(x: Any, t: Any) -> Any:
        p = 1.0 / (1.0 + m.exp(-x))
        ce = m.maximum(x, 0.0 * x) - x * t + m.log1p(m.exp(-m.abs(x)))
        p_t = p * t + (1.0 - p) * (1.0 - t)
        alpha_t = ALPHA * t + (1.0 - ALPHA) * (1.0 - t)
        return (alpha_t * ce * (1.0 - p_t) ** GAMMA).mean()

    return f


def _tv_sigmoid_focal_torch(torch: Any, F: Any) -> Callable[..., Any]:
    """torchvision.ops.sigmoid_focal_loss's code as it is (``sigmoid``,
    ``binary_cross_entropy_with_logits``, the power of ``1 - p_t``), then ``.mean()``."""

    def f(x: Any, t: Any) -> Any:
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        p_t = p * t + (1 - p) * (1 - t)
        loss = ce * ((1 - p_t) ** GAMMA)
        loss = (ALPHA * t + (1 - ALPHA) * (1 - t)) * loss
        return loss.mean()

    return f


def _torch_softmax_focal(torch: Any, F: Any) -> Callable[..., Any]:
    """The softmax focal loss as torch users write it (torch has none): per-sample
    ``cross_entropy``, ``p_y = exp(-ce)``, ``(1 - p_y) ** gamma * ce``, then ``.mean()``."""

    def f(x: Any, y: Any) -> Any:
        ce = F.cross_entropy(x, y, reduction="none")
        return ((1 - torch.exp(-ce)) ** GAMMA * ce).mean()

    return f


def tv_box_loss(m: Any, name: str, b: Any, t: Any, eps: float = BOX_EPS, no_grad: Any = None) -> Any:
    """torchvision's generalized/distance/complete box IoU loss (mean reduction) in the array
    library ``m`` (numpy, torch or jax.numpy). ``eps`` is the loss's own eps (GIoU's
    denominators, CIoU's alpha); the IoU and DIoU denominators use 1e-7 as torchvision does.
    CIoU's alpha is detached (torchvision computes it under no_grad): ``no_grad(x)`` if given,
    else ``x.detach()`` / the backend's stop_gradient."""
    x1, y1, x2, y2 = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    u1, v1, u2, v2 = t[..., 0], t[..., 1], t[..., 2], t[..., 3]
    ix = m.minimum(x2, u2) - m.maximum(x1, u1)
    iy = m.minimum(y2, v2) - m.maximum(y1, v1)
    inter = m.where((ix > 0) & (iy > 0), ix * iy, 0.0 * ix)
    union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter
    cw = m.maximum(x2, u2) - m.minimum(x1, u1)
    ch = m.maximum(y2, v2) - m.minimum(y1, v1)
    if name == "giou":
        iou = inter / (union + eps)
        area_c = cw * ch
        return (1 - iou + (area_c - union) / (area_c + eps)).mean()
    iou = inter / (union + BOX_EPS)
    rho2 = ((x1 + x2) / 2 - (u1 + u2) / 2) ** 2 + ((y1 + y2) / 2 - (v1 + v2) / 2) ** 2
    loss = 1 - iou + rho2 / (cw**2 + ch**2 + BOX_EPS)
    if name == "ciou":
        v = (4 / math.pi**2) * (m.arctan((u2 - u1) / (v2 - v1)) - m.arctan((x2 - x1) / (y2 - y1))) ** 2
        alpha = v / (1 - iou + v + eps)
        if no_grad is not None:
            alpha = no_grad(alpha)
        else:
            alpha = alpha.detach() if hasattr(alpha, "detach") else _stop_gradient(m, alpha)
        loss = loss + alpha * v
    return loss.mean()


def _tv_box(m: Any, name: str) -> Callable[..., Any]:
    """:func:`tv_box_loss` of ``name`` in ``m`` as a two-argument callable."""
    return lambda b, t: tv_box_loss(m, name, b, t)


def _softmax_of(m: Any) -> Callable[[Any], Any]:
    if m.__name__.startswith("jax"):
        import jax

        return lambda x: jax.nn.softmax(x, axis=-1)

    def softmax(x: Any) -> Any:
        e = m.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    return softmax


def _dice_native(alpha: float, beta: float, smooth: float) -> Native:
    """optax ``dice_loss`` on logits (its softmax inside), one-hot of the integer labels, mean over
    samples; lossapi's Dice ``smooth`` is twice optax's (hence 0.5 for dice's smooth=1)."""

    def factory(m: Any) -> Callable[..., Any]:
        import jax
        import optax

        def f(z: Any, y: Any) -> Any:
            t = jax.nn.one_hot(y, z.shape[-1], dtype=z.dtype)
            return optax.losses.dice_loss(z, t, smooth=smooth, alpha=alpha, beta=beta).mean()

        return f

    return factory


def _box_native(name: str) -> Native:
    return lambda m: _tv_box(m, name)


def _stop_gradient(m: Any, x: Any) -> Any:
    if m.__name__.startswith("jax"):
        import jax

        return jax.lax.stop_gradient(x)
    return x


# hand-written NumPy (m = numpy or cupy) -------------------------------------------------------
def _lse(m: Any, x: Any) -> Any:
    mx = x.max(axis=-1, keepdims=True)
    return m.log(m.exp(x - mx).sum(axis=-1)) + mx[:, 0]


def _np_formulas(m: Any) -> dict[str, Callable[..., Any]]:
    def huber(p: Any, t: Any, delta: float = 1.0) -> Any:
        a = m.abs(p - t)
        q = m.minimum(a, delta)
        return (q * (a - 0.5 * q)).mean()

    def tweedie(mu: Any, y: Any, pw: float = TWEEDIE_POWER) -> Any:
        dev = 2.0 * (
            y ** (2.0 - pw) / ((1.0 - pw) * (2.0 - pw))
            - y * mu ** (1.0 - pw) / (1.0 - pw)
            + mu ** (2.0 - pw) / (2.0 - pw)
        )
        return dev.mean()

    def hinge_cs(x: Any, y: Any) -> Any:  # max_c (s_c + [c != y]) - s_y, as optax and sklearn
        ar = m.arange(x.shape[0])
        sy = x[ar, y]
        z = x + 1.0
        z[ar, y] = sy
        return (z.max(axis=-1) - sy).mean()

    def brier(p: Any, y: Any) -> Any:
        d = p.copy()
        d[m.arange(p.shape[0]), y] -= 1.0
        return (d * d).sum(axis=-1).mean()

    def mse(p: Any, t: Any) -> Any:
        d = p - t
        return (d * d).mean()

    def softmax_focal(x: Any, y: Any) -> Any:
        lp = x[m.arange(x.shape[0]), y] - _lse(m, x)
        return (-((1.0 - m.exp(lp)) ** GAMMA) * lp).mean()

    return {
        "mean_squared_error": mse,
        "root_mean_squared_error": lambda p, t: math.sqrt(float(mse(p, t))) if m is np else m.sqrt(mse(p, t)),
        "mean_absolute_error": lambda p, t: m.abs(p - t).mean(),
        "huber": huber,
        "smooth_l1": huber,  # beta = 1: smooth_l1 = huber / beta
        "log_cosh": lambda p, t: (lambda a: (a + m.log1p(m.exp(-2.0 * a))).mean() - math.log(2.0))(m.abs(p - t)),
        "poisson_nll": lambda p, t: (m.exp(p) - t * p).mean(),
        "gaussian_nll": lambda p, t, v: 0.5 * (m.log(m.maximum(v, 1e-6)) + (p - t) ** 2 / m.maximum(v, 1e-6)).mean(),
        "quantile": lambda p, t: (lambda e: m.maximum(QUANTILE_Q * e, (QUANTILE_Q - 1.0) * e).mean())(t - p),
        "mean_absolute_percentage_error": lambda p, t: (
            m.abs(p - t) / m.maximum(m.abs(t), m.finfo(t.dtype).eps)
        ).mean(),
        "mean_squared_log_error": lambda p, t: mse(m.log1p(p), m.log1p(t)),
        "tweedie_deviance": tweedie,
        "binary_cross_entropy": lambda p, t: (
            -(t * m.maximum(m.log(p), -100.0) + (1.0 - t) * m.maximum(m.log1p(-p), -100.0)).mean()
        ),
        "binary_cross_entropy_with_logits": lambda x, t: (m.maximum(x, 0.0) - x * t + m.log1p(m.exp(-m.abs(x)))).mean(),
        "cross_entropy": lambda x, y: (_lse(m, x) - x[m.arange(x.shape[0]), y]).mean(),
        "nll": lambda lp, y: -lp[m.arange(lp.shape[0]), y].mean(),
        "kl_divergence": lambda lp, t: (t * (m.log(t) - lp)).sum(axis=-1).mean(),
        "sigmoid_focal": _tv_sigmoid_focal(m),
        "softmax_focal": softmax_focal,
        "multiclass_hinge": hinge_cs,
        "hinge": lambda s, t: m.maximum(1.0 - s * t, 0.0).mean(),
        "brier_score": brier,
    }


def _np(name: str) -> Native:
    return lambda m: _np_formulas(m)[name]


# sklearn ---------------------------------------------------------------------------------------
def _sk(name: str, **kw: Any) -> Native:
    """sklearn metric ``name(target, pred, **kw)`` on the lossapi inputs (pred, target)."""

    def factory(m: Any) -> Callable[..., Any]:
        from sklearn import metrics

        f = getattr(metrics, name)
        return lambda p, t: f(t, p, **kw)

    return factory


def _sk_prep(name: str, prep: Callable[..., tuple[Any, ...]], **kw: Any) -> Native:
    """sklearn metric on converted inputs: ``(fn, prep)``; ``prep`` (untimed) returns the
    metric's two positional arguments and, optionally, its ``labels``."""

    def factory(m: Any) -> tuple[Callable[..., Any], Callable[..., tuple[Any, ...]]]:
        from sklearn import metrics

        f = getattr(metrics, name)

        def fn(a: Any, b: Any, labels: Any = None) -> Any:
            return f(a, b, **kw) if labels is None else f(a, b, labels=labels, **kw)

        return fn, prep

    return factory


# torch -----------------------------------------------------------------------------------------
def _F(name: str, **kw: Any) -> Native:
    def factory(m: Any) -> Callable[..., Any]:
        import torch.nn.functional as F

        f = getattr(F, name)
        return (lambda *a: f(*a, **kw)) if kw else f

    return factory


def _torch(fn: Callable[..., Callable[..., Any]]) -> Native:
    def factory(m: Any) -> Callable[..., Any]:
        import torch
        import torch.nn.functional as F

        return fn(torch, F)

    return factory


# optax -----------------------------------------------------------------------------------------
def _ox(name: str, mean: bool = True, **kw: Any) -> Native:
    def factory(m: Any) -> Callable[..., Any]:
        import optax

        f = getattr(optax.losses, name)
        return (lambda *a: f(*a, **kw).mean()) if mean else (lambda *a: f(*a, **kw))

    return factory


def _ox_fn(fn: Callable[..., Callable[..., Any]]) -> Native:
    def factory(m: Any) -> Callable[..., Any]:
        import jax
        import optax

        return fn(optax.losses, jax)

    return factory


# keras (JAX backend) ---------------------------------------------------------------------------
def _kr(cls: str, swap: bool = True, scale: float = 1.0, **kw: Any) -> Native:
    """``keras.losses.<cls>(**kw)(target, pred)`` (keras takes the target first)."""

    def factory(m: Any) -> Callable[..., Any]:
        import keras

        loss = getattr(keras.losses, cls)(**kw)
        if scale != 1.0:
            return lambda p, t: loss(t, p) * scale
        return (lambda p, t: loss(t, p)) if swap else loss

    return factory


def _kr_fn(fn: Callable[..., Callable[..., Any]]) -> Native:
    def factory(m: Any) -> Callable[..., Any]:
        import jax
        import keras

        return fn(keras.losses, jax)

    return factory


_TV = "torchvision's formula written out in torch (torchvision is not installable here)"
_TV_FOCAL = "torchvision's sigmoid_focal_loss code run in torch (torchvision is not installable here)"
_FOCAL = "the usual torch formula: cross_entropy(reduction='none'), exp(-ce), (1 - p) ** gamma * ce (torch has none)"

SPECS: dict[str, Spec] = {
    s.loss: s
    for s in (
        # -- regression -------------------------------------------------------------------------
        Spec(
            "mean_squared_error",
            "elem",
            "pred_target",
            {
                "torch": _F("mse_loss"),
                "optax": _ox("squared_error"),
                "keras": _kr("MeanSquaredError"),
                "numpy": _np("mean_squared_error"),
                "sklearn": _sk("mean_squared_error"),
            },
        ),
        Spec(
            "root_mean_squared_error",
            "elem",
            "pred_target",
            {"numpy": _np("root_mean_squared_error"), "sklearn": _sk("root_mean_squared_error")},
        ),
        Spec(
            "mean_absolute_error",
            "elem",
            "pred_target",
            {
                "torch": _F("l1_loss"),
                "keras": _kr("MeanAbsoluteError"),
                "numpy": _np("mean_absolute_error"),
                "sklearn": _sk("mean_absolute_error"),
            },
        ),
        Spec(
            "huber",
            "elem",
            "pred_target",
            {
                "torch": _F("huber_loss", delta=1.0),
                "optax": _ox("huber_loss", delta=1.0),
                "keras": _kr("Huber", delta=1.0),
                "numpy": _np("huber"),
            },
            options={"delta": 1.0},
        ),
        Spec(
            "smooth_l1",
            "elem",
            "pred_target",
            {"torch": _F("smooth_l1_loss", beta=1.0), "numpy": _np("smooth_l1")},
            options={"beta": 1.0},
        ),
        Spec(
            "log_cosh",
            "elem",
            "pred_target",
            {"optax": _ox("log_cosh"), "keras": _kr("LogCosh"), "numpy": _np("log_cosh")},
        ),
        Spec(
            "quantile",
            "elem",
            "pred_target",
            {"numpy": _np("quantile"), "sklearn": _sk("mean_pinball_loss", alpha=QUANTILE_Q)},
            options={"q": QUANTILE_Q},
        ),
        Spec(
            "mean_absolute_percentage_error",
            "elem",
            "pred_pct_target",
            {
                "numpy": _np("mean_absolute_percentage_error"),
                "sklearn": _sk("mean_absolute_percentage_error"),
                "keras": _kr("MeanAbsolutePercentageError", scale=0.01),
            },
            options_by={"keras": {"eps": 1e-7}},
        ),
        Spec(
            "mean_squared_log_error",
            "elem",
            "nonneg_pair",
            {
                "numpy": _np("mean_squared_log_error"),
                "sklearn": _sk("mean_squared_log_error"),
                "keras": _kr("MeanSquaredLogarithmicError"),
            },
        ),
        Spec("poisson_nll", "elem", "log_rate_count", {"torch": _F("poisson_nll_loss"), "numpy": _np("poisson_nll")}),
        Spec(
            "gaussian_nll", "elem", "pred_target_var", {"torch": _F("gaussian_nll_loss"), "numpy": _np("gaussian_nll")}
        ),
        Spec(
            "tweedie_deviance",
            "elem",
            "rate_count",
            {"numpy": _np("tweedie_deviance"), "sklearn": _sk("mean_tweedie_deviance", power=TWEEDIE_POWER)},
            options={"power": TWEEDIE_POWER},
        ),
        Spec("value_function", "elem", "pred_target", {"torch": _F("mse_loss")}),
        # -- binary / margin ----------------------------------------------------------------------
        Spec(
            "hinge",
            "elem",
            "scores_sign",
            {"optax": _ox("hinge_loss"), "keras": _kr("Hinge"), "numpy": _np("hinge"), "sklearn": _sk("hinge_loss")},
        ),
        Spec("squared_hinge", "elem", "scores_sign", {"keras": _kr("SquaredHinge")}),
        Spec("soft_margin", "elem", "scores_sign", {"torch": _F("soft_margin_loss")}),
        Spec("perceptron", "elem", "scores_sign", {"optax": _ox("perceptron_loss")}),
        Spec("margin_ranking", "elem", "pair_sign", {"torch": _F("margin_ranking_loss")}),
        Spec("hinge_embedding", "elem", "dist_sign", {"torch": _F("hinge_embedding_loss")}),
        Spec(
            "gan_discriminator",
            "elem",
            "two_logits",
            {
                "torch": _torch(
                    lambda torch, F: (
                        lambda r, f: (
                            F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                            + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
                        )
                    )
                ),
                "optax": _ox_fn(
                    lambda L, jax: (
                        lambda r, f: (
                            L.sigmoid_binary_cross_entropy(r, 1.0).mean()
                            + L.sigmoid_binary_cross_entropy(f, 0.0).mean()
                        )
                    )
                ),
            },
        ),
        Spec(
            "gan_generator",
            "elem",
            "one_logits",
            {
                "torch": _torch(lambda torch, F: lambda f: F.binary_cross_entropy_with_logits(f, torch.ones_like(f))),
                "optax": _ox_fn(lambda L, jax: lambda f: L.sigmoid_binary_cross_entropy(f, 1.0).mean()),
            },
        ),
        # -- classification -----------------------------------------------------------------------
        Spec(
            "binary_cross_entropy",
            "class",
            "probs_binary",
            {
                "torch": _F("binary_cross_entropy"),
                "keras": _kr("BinaryCrossentropy"),
                "numpy": _np("binary_cross_entropy"),
                "sklearn": _sk_prep("log_loss", lambda p, t: (t.ravel(), p.ravel()), labels=[0.0, 1.0]),
            },
        ),
        Spec(
            "binary_cross_entropy_with_logits",
            "class",
            "logits_binary",
            {
                "torch": _F("binary_cross_entropy_with_logits"),
                "optax": _ox("sigmoid_binary_cross_entropy"),
                "keras": _kr("BinaryCrossentropy", from_logits=True),
                "numpy": _np("binary_cross_entropy_with_logits"),
            },
        ),
        Spec(
            "cross_entropy",
            "class",
            "logits_labels",
            {
                "torch": _F("cross_entropy"),
                "optax": _ox("softmax_cross_entropy_with_integer_labels"),
                "keras": _kr("SparseCategoricalCrossentropy", from_logits=True),
                "numpy": _np("cross_entropy"),
                "sklearn": _sk_prep("log_loss", lambda x, y: (y, _softmax(x), np.arange(x.shape[-1]))),
            },
        ),
        Spec("nll", "class", "logprobs_labels", {"torch": _F("nll_loss"), "numpy": _np("nll")}),
        Spec("categorical_cross_entropy", "class", "probs_probs", {"keras": _kr("CategoricalCrossentropy")}),
        Spec("poly1_cross_entropy", "class", "logits_probs", {"optax": _ox("poly_loss_cross_entropy", epsilon=2.0)}),
        Spec(
            "generalized_cross_entropy",
            "class",
            "probs_labels",
            {
                "keras": _kr_fn(
                    lambda K, jax: (lambda g: lambda p, y: g(y, p))(K.CategoricalGeneralizedCrossEntropy(q=0.5))
                )
            },
            options={"q": 0.5},
        ),
        Spec(
            "brier_score",
            "class",
            "probs_labels",
            {
                "numpy": _np("brier_score"),
                "sklearn": _sk_prep("brier_score_loss", lambda p, y: (y, p, np.arange(p.shape[-1]))),
            },
        ),
        Spec(
            "kl_divergence",
            "class",
            "logprobs_probs",
            {
                "torch": _F("kl_div", reduction="batchmean"),
                "optax": _ox("kl_divergence"),
                "keras": _kr_fn(lambda K, jax: (lambda g: lambda lp, t: g(t, jax.numpy.exp(lp)))(K.KLDivergence())),
                "numpy": _np("kl_divergence"),
            },
        ),
        Spec("generalized_kl_divergence", "class", "logprobs_nonneg", {"optax": _ox("generalized_kl_divergence")}),
        Spec(
            "sigmoid_focal",
            "class",
            "logits_binary",
            {
                "torch": _torch(_tv_sigmoid_focal_torch),
                "optax": _ox("sigmoid_focal_loss", alpha=ALPHA, gamma=GAMMA),
                "keras": _kr_fn(
                    lambda K, jax: (lambda g: lambda x, t: g(t, x))(
                        K.BinaryFocalCrossentropy(
                            apply_class_balancing=True, alpha=ALPHA, gamma=GAMMA, from_logits=True
                        )
                    )
                ),
                "numpy": _np("sigmoid_focal"),
            },
            options={"alpha": ALPHA, "gamma": GAMMA},
            native_is={"torch": _TV_FOCAL},
        ),
        Spec(
            "softmax_focal",
            "class",
            "logits_labels",
            {
                "torch": _torch(_torch_softmax_focal),
                "keras": _kr_fn(
                    lambda K, jax: (lambda g: lambda x, y: g(jax.nn.one_hot(y, x.shape[-1], dtype=x.dtype), x))(
                        K.CategoricalFocalCrossentropy(alpha=1.0, gamma=GAMMA, from_logits=True)
                    )
                ),
                "numpy": _np("softmax_focal"),
            },
            options={"gamma": GAMMA},
            native_is={"torch": _FOCAL},
        ),
        Spec(
            "multiclass_hinge",
            "class",
            "logits_labels",
            {
                "torch": _F("multi_margin_loss"),
                "optax": _ox("multiclass_hinge_loss"),
                "numpy": _np("multiclass_hinge"),
                "sklearn": _sk_prep("hinge_loss", lambda x, y: (y, x, np.arange(x.shape[-1]))),
            },
            options={"variant": "crammer_singer"},
            options_by={"torch": {"variant": "weston_watkins"}},
            native_is={"torch": "F.multi_margin_loss (Weston-Watkins; lossapi variant='weston_watkins')"},
        ),
        Spec("categorical_hinge", "class", "logits_probs", {"keras": _kr("CategoricalHinge")}),
        Spec("multiclass_perceptron", "class", "logits_labels", {"optax": _ox("multiclass_perceptron_loss")}),
        Spec("sparsemax", "class", "logits_labels", {"optax": _ox("multiclass_sparsemax_loss")}),
        Spec("multilabel_soft_margin", "class", "logits_binary", {"torch": _F("multilabel_soft_margin_loss")}),
        Spec("multilabel_margin", "mlabel", "mlabel", {"torch": _F("multilabel_margin_loss")}),
        # -- embedding / ranking ------------------------------------------------------------------
        Spec(
            "cosine_distance",
            "vec",
            "vec_pair",
            {
                "torch": _torch(lambda torch, F: lambda p, t: (1 - F.cosine_similarity(p, t, dim=-1, eps=1e-8)).mean()),
                "optax": _ox("cosine_distance", epsilon=1e-16),
            },
        ),
        Spec("cosine_embedding", "vec", "vec_pair_sign", {"torch": _F("cosine_embedding_loss")}),
        Spec(
            "triplet_margin",
            "vec",
            "vec_triplet",
            {"torch": _F("triplet_margin_loss"), "optax": _ox("triplet_margin_loss")},
            options_by={"optax": {"eps_placement": "root"}},
        ),
        Spec("ntxent", "ntxent", "ntxent", {"optax": _ox("ntxent", mean=False)}),
        Spec("listnet", "rank", "rank", {"optax": _ox("ranking_softmax_loss", mean=False)}),
        # -- segmentation -------------------------------------------------------------------------
        *(
            Spec(name, "seg", "seg", {"optax": _dice_native(a, b, smooth)}, options=opts, softmax_first=True)
            for name, a, b, smooth, opts in (
                ("dice", 0.5, 0.5, 0.5, {}),
                ("jaccard", 1.0, 1.0, 1.0, {}),
                ("tversky", 0.3, 0.7, 1.0, {"alpha": 0.3, "beta": 0.7}),
            )
        ),
        # -- detection (torchvision) --------------------------------------------------------------
        *(
            Spec(n, "boxes", "boxes", {"torch": _box_native(n)}, native_is={"torch": _TV})
            for n in ("giou", "diou", "ciou")
        ),
    )
}

#: Counterparts in the catalog that are not benchmarked here, and why.
EXCLUDED: dict[tuple[str, str], str] = {
    ("epsilon_insensitive", "sklearn"): "the counterpart is SGDRegressor's private per-sample Cython loss, "
    "not a metric a user calls on arrays",
    ("poisson_nll", "keras"): "keras' Poisson is poisson_nll(log_input=False); the torch row covers the loss",
    ("dice", "keras"): "keras' dice has no smoothing (smooth=0 only); optax's dice_loss is the counterpart timed",
    ("tversky", "keras"): "keras' tversky has no smoothing and swaps alpha/beta; optax's dice_loss is timed",
    ("soft_f1", "sklearn"): "sklearn's f1_score scores hard predictions: a metric, not the same (soft) value",
    ("cohen_kappa", "sklearn"): "sklearn's cohen_kappa_score scores hard predictions, not the soft loss",
    ("matthews", "sklearn"): "sklearn's matthews_corrcoef scores hard predictions, not the soft loss",
    ("ctc", "torch"): "sequence inputs with lengths: timed in bench_sequence.py (its table is appended)",
    ("ctc", "optax"): "sequence inputs with lengths: timed in bench_sequence.py (its table is appended)",
    # MONAI's overlap losses are nn.Modules over channel-first images (logits, labels[:, None]): they
    # are timed at a segmentation size (N×C×H×W 16×4×128×128, fwd and fwd+bwd) in bench_segmentation.py.
    **{
        (name, "MONAI"): "a torch nn.Module on channel-first images (16×4×128×128 logits): timed in "
        "bench_segmentation.py (its MONAI table)"
        for name in ("dice", "jaccard", "tversky", "generalized_dice", "dice_cross_entropy", "dice_focal")
    },
    # segmentation_models_pytorch's overlap losses pool the batch (per_sample=False) and score classes
    # absent from the target 0; its package does not import here without timm.
    **{
        (name, "smp"): "a torch nn.Module (batch-pooled, per_sample=False): not yet timed; the same losses are "
        "timed against MONAI's modules in bench_segmentation.py"
        for name in ("dice", "jaccard", "tversky")
    },
    # pytorch-metric-learning's losses are nn.Modules over a labelled batch of embeddings: timed at
    # N = 256 and 1024 rows of D = 128 (forward and forward+backward) in bench_metric.py.
    **{
        (name, "PML"): "a torch nn.Module over a labelled batch (N x 128 embeddings): timed in bench_metric.py"
        for name in (
            "batch_triplet",
            "batch_contrastive",
            "supcon",
            "circle",
            "multi_similarity",
            "arcface",
            "cosface",
        )
    },
    ("circle", "keras"): "keras' Circle on L2-normalised embeddings under jax.jit: timed in bench_metric.py",
    ("ntxent", "PML"): "a torch nn.Module over a labelled batch (N x 128 embeddings): timed in bench_metric.py",
    ("binary_cross_entropy_with_logits", "smp"): "smp's SoftBCEWithLogitsLoss is torch's "
    "binary_cross_entropy_with_logits on a smoothed target: the torch row times the same kernel",
    ("cross_entropy", "smp"): "smp's SoftCrossEntropyLoss is torch's log_softmax and gather: the torch row times "
    "cross_entropy",
    ("sigmoid_focal", "smp"): "a torch nn.Module for 0/1 targets: not yet timed; optax, keras and torchvision's "
    "formula are the counterparts timed",
    ("sigmoid_focal", "MONAI"): "a torch nn.Module over channel-first images (float32, 0/1 targets): not yet timed; "
    "optax, keras and torchvision's formula are the counterparts timed",
    ("lovasz_softmax", "smp"): "smp's LovaszLoss is Berman et al.'s reference loop (float32), timed as such in "
    "bench_segmentation.py",
    ("lovasz_hinge", "smp"): "smp's LovaszLoss is Berman et al.'s reference loop (float32), timed as such in "
    "bench_segmentation.py",
    ("matthews", "smp"): "a torch nn.Module for pooled binary masks: not yet timed",
    ("linear_cross_entropy", "torch"): "a (tokens x vocabulary) problem: memory and time at N x D x C = "
    "4096 x 512 x 32768 in bench_linear_ce.py",
}

#: torch.compile in --quick mode: a representative handful (the full run compiles every torch spec).
QUICK_COMPILE = ("mean_squared_error", "huber", "cross_entropy", "binary_cross_entropy_with_logits")
