"""Conformance of the sequence losses (``lossapi.losses.sequence``).

Everything the conformance suite knows about these losses, in one module: the independent
float64 oracles, the cases (``CASES``: inputs, option sets, edge points, plot sweep, fuzz
properties and out-of-range option values of each loss) and the native counterparts
(``COUNTERPARTS``).

Oracles
-------
Independent float64 NumPy oracle for the sequence losses (CTC).

Written from Graves et al. (2006): the forward variables over the extended label sequence
(blanks around and between the labels), computed with explicit loops over the batch, the
frames and the states in log space (``np.logaddexp``). Nothing here imports or calls lossapi.
It reads torch's concatenated 1-D labels and one unbatched ``(T, C)`` sequence too, and gives
NaN for a sequence with an invalid label inside its length (outside ``[0, C)`` or blank), as
the documented API does.

Cases
-----
Conformance case of the sequence losses (CTC).

The requested per-element shape is the batch shape (the "none" shape is one loss per
sequence): ``log_probs`` is ``(*shape, T, C)`` (``(T, *shape, C)`` time-major), ``labels``
``(*shape, S)``, the lengths ``shape``. Frames and labels are short (``T = 5``, ``S = 3``,
``C = 4``) because the recursion is a loop over frames. Random inputs always admit an
alignment (``input_length >= label_length + repeats``), with varied lengths and frequent
repeated labels; impossible alignments are edges (with ``zero_infinity=True``: loss 0).
``time_major`` appears only in an edge: a time-major batch cannot be vmapped over its
leading axis.

Counterparts
------------
Native counterparts of the sequence losses (torch, optax).

- torch ``F.ctc_loss`` takes time-major ``(T, B, C)`` log-probabilities and padded ``(B, S)``
  targets; all three reductions map one to one ("mean" divides each loss by its target length,
  clamped at 1, then averages: lossapi's "mean"). Unweighted only (torch has no weights).
- optax ``ctc_loss(logits, logit_paddings, labels, label_paddings, blank_id)`` is per
  sequence; it applies ``log_softmax`` to its logits, the identity on log-probabilities.
  Paddings are ``1.0`` beyond the lengths. It scores impossible alignments with a large finite
  value (``log_epsilon``), so ``zero_infinity=True`` is not mapped. "none" and "sum" only.
Both take one batch axis: extra leading batch axes are flattened here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import sweeps
from ..cases import Case, Edge, Fuzz
from ..counterparts import Counterpart, _jnp, _np

__all__ = [
    "CASES",
    "COUNTERPARTS",
    "ctc",
    "ctc_one",
    "reduce_ctc",
]

#: One option set (loss options and case-only ``_`` keys).
Options = Mapping[str, Any]
#: What a counterpart receives: the drawn inputs (read-only).
Arrays = Mapping[str, np.ndarray]


# ==================================================================================================
# Oracles
# ==================================================================================================


def ctc_one(lp: np.ndarray, labels: Any, blank: int = 0) -> float:
    """-log p(labels | lp) for one sequence: ``lp`` (T, C) log-probabilities, ``labels`` a list."""
    lp = np.asarray(lp, dtype=np.float64)
    T = lp.shape[0]
    ext = [blank]
    for c in labels:
        ext += [int(c), blank]
    K = len(ext)
    alpha = np.full(K, -np.inf)
    if T == 0:
        return 0.0 if len(labels) == 0 else np.inf
    alpha[0] = lp[0, ext[0]]
    if K > 1:
        alpha[1] = lp[0, ext[1]]
    for t in range(1, T):
        new = np.full(K, -np.inf)
        for s in range(K):
            a = alpha[s]
            if s >= 1:
                a = np.logaddexp(a, alpha[s - 1])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                a = np.logaddexp(a, alpha[s - 2])
            new[s] = a + lp[t, ext[s]]
        alpha = new
    ll = alpha[K - 1] if K == 1 else np.logaddexp(alpha[K - 1], alpha[K - 2])
    return float(-ll)


def ctc(
    log_probs: Any,
    labels: Any,
    input_lengths: Any,
    label_lengths: Any,
    *,
    blank: int = 0,
    zero_infinity: bool = False,
    time_major: bool = False,
) -> np.ndarray:
    """Per-sequence CTC loss, shape = the batch shape (``()`` for one ``(T, C)`` sequence).

    ``labels`` padded ``(..., S)`` or torch's concatenated 1-D form; lengths clipped to
    ``[0, T]`` and ``[0, S]`` (negative concatenated lengths take no labels). NaN for a sequence
    with a label outside ``[0, C)`` or equal to ``blank`` inside its length, or whose
    concatenated labels end before it does.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    if time_major and lp.ndim > 2:
        lp = np.moveaxis(lp, 0, -2)
    batch = lp.shape[:-2]
    T, C = lp.shape[-2:]
    lp = lp.reshape(-1, T, C)
    lab = np.asarray(labels)
    il = np.asarray(input_lengths).reshape(-1)
    ll = np.asarray(label_lengths).reshape(-1)
    seqs: list[np.ndarray | None] = []
    if lab.ndim == 1 and batch:  # concatenated
        start = 0
        for n in np.maximum(ll, 0):
            seqs.append(lab[start : start + n] if n == 0 or start + n <= lab.shape[0] else None)
            start += int(n)
    else:
        lab = lab.reshape(lp.shape[0], -1)
        seqs = [lab[b, : min(max(int(ll[b]), 0), lab.shape[1])] for b in range(lp.shape[0])]
    out = np.empty(lp.shape[0])
    for b, seq in enumerate(seqs):
        if seq is None or any(int(c) < 0 or int(c) >= C or int(c) == blank for c in seq):
            out[b] = np.nan
            continue
        n = min(max(int(il[b]), 0), T)
        v = ctc_one(lp[b, :n], [int(c) for c in seq], blank)
        out[b] = 0.0 if (zero_infinity and np.isinf(v)) else v
    return out.reshape(batch)


def reduce_ctc(
    inputs: Mapping[str, np.ndarray], options: Mapping[str, Any], reduction: str, sample_weight: Any, where: Any
) -> np.ndarray:
    """torch's reduction: "mean" averages loss / max(label_length, 1) (weighted); "sum"/"none" plain."""
    opts = {k: v for k, v in options.items() if not k.startswith("_")}
    loss = ctc(inputs["log_probs"], inputs["labels"], inputs["input_lengths"], inputs["label_lengths"], **opts)
    w = np.ones_like(loss)
    if sample_weight is not None:
        w = w * np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), loss.shape)
    if where is not None:
        m = np.broadcast_to(np.asarray(where, dtype=bool), loss.shape)
        w = np.where(m, w, 0.0)
        loss = np.where(m, loss, 0.0)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return np.sum(loss * w)
    L = np.maximum(np.asarray(inputs["label_lengths"]).reshape(loss.shape), 1).astype(np.float64)
    den = np.sum(w)
    return np.float64(0.0) if den == 0 else np.sum(w * loss / L) / den


# ==================================================================================================
# Cases
# ==================================================================================================

_T, _S, _C = 5, 3, 4


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def _draw(rng: np.random.Generator, shape: tuple[int, ...], options: Options) -> dict[str, np.ndarray]:
    blank = int(options.get("blank", 0))
    shape = tuple(shape)
    lp = _log_softmax(rng.normal(size=(*shape, _T, _C)) * 1.5)
    others = np.array([c for c in range(_C) if c != blank])
    labels = others[rng.integers(0, len(others), size=(*shape, _S))]
    ll = rng.integers(0, _S + 1, size=shape)
    rep = np.zeros(shape, dtype=np.int64)
    for k in range(1, _S):  # repeats within the valid labels need a blank in between
        rep = rep + ((labels[..., k] == labels[..., k - 1]) & (k < ll))
    need = ll + rep
    il = need + (rng.integers(0, _T + 1, size=shape) % (_T - need + 1))
    dt = options.get("_labels", "int64")
    if options.get("time_major", False):
        lp = np.moveaxis(lp, -2, 0)
    return {
        "log_probs": lp,
        "labels": labels.astype(dt),
        "input_lengths": il.astype(np.int64),
        "label_lengths": ll.astype(np.int64),
    }


def _edge(lp: Any, labels: Any, il: Any, ll: Any, dt: Any = np.int64) -> dict[str, np.ndarray]:
    return {
        "log_probs": np.asarray(lp, dtype=np.float64),
        "labels": np.asarray(labels, dtype=dt),
        "input_lengths": np.asarray(il, dtype=np.int64),
        "label_lengths": np.asarray(ll, dtype=np.int64),
    }


_LP = _log_softmax(np.random.default_rng(5).normal(size=(2, 4, 3)))

_CTC = Case(
    name="ctc",
    make_inputs=_draw,
    oracle=ctc,
    options=(
        {},
        {"blank": 2, "zero_infinity": True, "_labels": "int32"},
    ),
    differentiable=("log_probs",),
    reduce_oracle=reduce_ctc,
    edges=(
        # "aa" needs a blank in between: 3 frames are exactly enough (a, blank, a).
        Edge("repeat exactly aligned", _edge(_LP[:1, :3], [[1, 1]], [3], [2])),
        Edge("empty labels, empty input", _edge(_LP, [[1, 2], [2, 1]], [0, 4], [0, 0])),
        # Label "aa" in 2 frames is impossible: zero_infinity gives 0 (gradient 0).
        Edge(
            "impossible alignment, zero_infinity", _edge(_LP, [[1, 1], [1, 2]], [2, 4], [2, 2]), {"zero_infinity": True}
        ),
        Edge(
            "time-major, uint8 labels",
            _edge(np.moveaxis(_LP, 1, 0), [[1, 2], [2, 2]], [4, 3], [2, 1], np.uint8),
            {"time_major": True},
        ),
    ),
    sweep=sweeps.Sweep(
        lo=-4.0,
        hi=6.0,
        build=sweeps.ctc_frames,
        axis="label logit",
        xlabel="logit of the right label (blank and other 0)",
        description="2 frames, 3 classes, logits (0, x, 0) per frame, labels (1)",
    ),
    fuzz=Fuzz(
        no_perfect="-log of a sum over alignments: 0 needs a single-path distribution, not a perfect 'prediction'",
        mean_rule="torch: sum(w * l / max(label_length, 1)) / sum(w)",
    ),
    invalid_options={"blank": [-1, 1.5]},
)

CASES: dict[str, Case] = {"ctc": _CTC}


# ==================================================================================================
# Counterparts
# ==================================================================================================


def _flat(x: Arrays, o: Options) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    lp = np.asarray(x["log_probs"], dtype=np.float64)
    if o.get("time_major", False):
        lp = np.moveaxis(lp, 0, -2)
    batch = lp.shape[:-2]
    lp = lp.reshape(-1, *lp.shape[-2:])
    lab = np.asarray(x["labels"]).astype(np.int64).reshape(lp.shape[0], -1)
    il = np.asarray(x["input_lengths"]).astype(np.int64).reshape(-1)
    ll = np.asarray(x["label_lengths"]).astype(np.int64).reshape(-1)
    return lp, lab, il, ll, batch


def _torch_ctc(x: Arrays, o: Options, reduction: str, sample_weight: Any) -> Any:
    import torch

    lp, lab, il, ll, batch = _flat(x, o)
    out = torch.nn.functional.ctc_loss(
        torch.tensor(lp).permute(1, 0, 2),
        torch.tensor(lab),
        torch.tensor(il),
        torch.tensor(ll),
        blank=int(o.get("blank", 0)),
        reduction=reduction,
        zero_infinity=bool(o.get("zero_infinity", False)),
    )
    v = _np(out)
    return v.reshape(batch) if reduction == "none" else v


def _optax_ctc(x: Arrays, o: Options, reduction: str, sample_weight: Any) -> Any:
    jnp = _jnp()
    import optax

    lp, lab, il, ll, batch = _flat(x, o)
    T, S = lp.shape[1], lab.shape[1]
    lpad = (np.arange(T)[None, :] >= il[:, None]).astype(np.float64)
    spad = (np.arange(S)[None, :] >= ll[:, None]).astype(np.float64)
    v = _np(
        optax.losses.ctc_loss(
            jnp.asarray(lp), jnp.asarray(lpad), jnp.asarray(lab), jnp.asarray(spad), blank_id=int(o.get("blank", 0))
        )
    )
    return v.reshape(batch) if reduction == "none" else np.sum(v)


COUNTERPARTS: dict[str, list[Counterpart]] = {
    "ctc": [
        Counterpart("torch", _torch_ctc, lambda o, r, w: not w),
        Counterpart(
            "optax", _optax_ctc, lambda o, r, w: not w and r != "mean" and not o.get("zero_infinity", False), rtol=1e-9
        ),
    ],
}
