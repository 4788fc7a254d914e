"""Native counterparts of the sequence losses (torch, optax).

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

from .counterparts import Counterpart, _jnp, _np

__all__ = ["FAMILY_COUNTERPARTS"]

Inputs = Mapping[str, np.ndarray]
Options = Mapping[str, Any]


def _flat(x: Inputs, o: Options) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    lp = np.asarray(x["log_probs"], dtype=np.float64)
    if o.get("time_major", False):
        lp = np.moveaxis(lp, 0, -2)
    batch = lp.shape[:-2]
    lp = lp.reshape(-1, *lp.shape[-2:])
    lab = np.asarray(x["labels"]).astype(np.int64).reshape(lp.shape[0], -1)
    il = np.asarray(x["input_lengths"]).astype(np.int64).reshape(-1)
    ll = np.asarray(x["label_lengths"]).astype(np.int64).reshape(-1)
    return lp, lab, il, ll, batch


def _torch(x: Inputs, o: Options, reduction: str, sample_weight: Any) -> Any:
    import torch

    lp, lab, il, ll, batch = _flat(x, o)
    out = torch.nn.functional.ctc_loss(
        torch.tensor(lp).permute(1, 0, 2), torch.tensor(lab), torch.tensor(il), torch.tensor(ll),
        blank=int(o.get("blank", 0)), reduction=reduction, zero_infinity=bool(o.get("zero_infinity", False)))
    v = _np(out)
    return v.reshape(batch) if reduction == "none" else v


def _optax(x: Inputs, o: Options, reduction: str, sample_weight: Any) -> Any:
    jnp = _jnp()
    import optax

    lp, lab, il, ll, batch = _flat(x, o)
    T, S = lp.shape[1], lab.shape[1]
    lpad = (np.arange(T)[None, :] >= il[:, None]).astype(np.float64)
    spad = (np.arange(S)[None, :] >= ll[:, None]).astype(np.float64)
    v = _np(optax.losses.ctc_loss(jnp.asarray(lp), jnp.asarray(lpad), jnp.asarray(lab), jnp.asarray(spad),
                                  blank_id=int(o.get("blank", 0))))
    return v.reshape(batch) if reduction == "none" else np.sum(v)


FAMILY_COUNTERPARTS = {
    "ctc": [
        Counterpart("torch", _torch, lambda o, r, w: not w),
        Counterpart("optax", _optax, lambda o, r, w: not w and r != "mean" and not o.get("zero_infinity", False),
                    rtol=1e-9),
    ],
}
