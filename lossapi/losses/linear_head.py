"""Losses of a linear output layer computed from its input and weight, never forming its logits.

Language models spend most of their loss memory on the ``(tokens, vocabulary)`` logits of the
output layer: 8192 tokens by 128k classes in float32 are 4 GiB, and the backward pass needs as
much again. ``linear_cross_entropy(hidden, weight, labels)`` is
``cross_entropy(hidden @ weight.T + bias, labels)`` computed one block of logits at a time (an
online log-sum-exp over class chunks), in the forward and the backward pass, on every backend:
see ``lossapi/_streaming.py`` for the blocks and the backends' backward passes.
"""

from __future__ import annotations

from typing import Any

from .._array import Array, is_number
from .._loss import loss
from .._options import ClassWeight, Integer, Interval
from .._streaming import linear_nll
from ._classes import label_weight, smoothed_nll
from ._heads import HeadContext, LinearHead

__all__ = ["linear_cross_entropy"]


@loss(
    LinearHead(),
    family="classification",
    task="multiclass",
    inputs={"hidden": "real", "weight": "real", "labels": "label"},
    options={
        "bias": (None, ClassWeight(noun="bias")),
        "class_weight": (None, ClassWeight()),
        "ignore_index": (None, Integer(optional=True)),
        "label_smoothing": (0.0, Interval(0, 1)),
        "chunk_size": (None, Integer(1, optional=True)),
    },
    formula="cross_entropy(hidden @ weight.T + bias, labels), the logits formed one block at a time",
    convex=True,
    smooth=True,
    probabilistic=True,
    counterparts={
        "torch": "torch.nn.functional.linear_cross_entropy(hidden, weight, labels, linear_bias=bias, "
        "weight=class_weight, ignore_index=ignore_index, label_smoothing=label_smoothing)",
    },
    value_rules={"labels": "head_labels"},
)
def linear_cross_entropy(
    c: HeadContext,
    hidden: Array,
    weight: Array,
    labels: Array,
    *,
    bias: Any,
    class_weight: Any,
    ignore_index: Any,
    label_smoothing: Any,
    chunk_size: int | None,
) -> Any:
    r"""Cross-entropy of a linear layer's logits, without materialising them.

    With logits :math:`z = h W^\top + b` (one row per hidden state) the value is that of
    :func:`cross_entropy` on :math:`z` and the integer ``labels``, with the same options and
    rules (torch's ``class_weight``, ``ignore_index`` and ``label_smoothing``, and their
    combination; labels outside :math:`[0, C)` give NaN):

    .. math::

        \ell_i = (1 - \varepsilon)\, w_{y_i} \bigl(\operatorname{lse}(z_i) - z_{i y_i}\bigr)
               + \frac{\varepsilon}{C} \sum_c w_c \bigl(\operatorname{lse}(z_i) - z_{ic}\bigr)

    Only :math:`\operatorname{lse}(z_i)` needs every logit: it is computed one block at a time
    (``chunk_size`` classes by about :math:`2^{20} / \text{chunk\_size}` rows, 4 MiB in
    float32), merging the blocks' log-sum-exps, and its backward pass recomputes each block
    instead of keeping it (torch: an ``autograd.Function``; JAX: a ``custom_vjp``), so neither
    pass holds the :math:`N \times C` logits. :math:`z_{iy_i} = \langle h_i, W_{y_i}\rangle +
    b_{y_i}` and the smoothing term :math:`\sum_c w_c \operatorname{lse}(z_i) - \langle h_i,
    \sum_c w_c W_c\rangle - \sum_c w_c b_c` cost :math:`O(ND)`. Memory beyond the inputs and
    the gradients: a few blocks and a few values per row. Time: one more pass of matrix products
    than the unfused formula in the backward pass (the recomputed logits).

    Parameters
    ----------
    hidden : array
        Hidden states, shape ``(N, D)`` (or ``(..., D)``), floating.
    weight : array
        The linear layer's weight, shape ``(C, D)`` (torch's ``nn.Linear(D, C).weight``), floating.
    labels : array
        Integer class indices, the shape of ``hidden`` without ``D``.
    bias : array, optional
        The layer's bias, shape ``(C,)``.
    class_weight : array, optional
        Per-class weights ``(C,)``; ``"mean"`` divides by the sum of the weights at the labels.
    ignore_index : int, optional
        Label value to skip (weight 0; ``"mean"`` over the other labels).
    label_smoothing : float or 0-d array, default 0.0
        :math:`\varepsilon \in [0, 1]`: torch's mixing with the uniform distribution.
    chunk_size : int, optional
        Classes per chunk (default ``min(C, 2048)``); rows are processed in blocks of
        ``2**20 // chunk_size``.

    Notes
    -----
    Equals ``torch.nn.functional.linear_cross_entropy(hidden, weight, labels, linear_bias=bias,
    weight=class_weight, ignore_index=ignore_index, label_smoothing=label_smoothing)`` (with
    ``ignore_index=-100`` spelled out where torch's default would ignore -100; lossapi ignores
    nothing unless asked) and ``cross_entropy(hidden @ weight.T + bias, labels, ...)``, in value
    and in the gradients with respect to ``hidden``, ``weight`` and ``bias``.

    Examples
    --------
    >>> import numpy as np, lossapi as la
    >>> rng = np.random.default_rng(0)
    >>> h, w, y = rng.normal(size=(6, 4)), rng.normal(size=(10, 4)), np.array([1, 0, 9, 3, 3, 7])
    >>> a = la.linear_cross_entropy(h, w, y, chunk_size=3)
    >>> b = la.cross_entropy(h @ w.T, y)
    >>> bool(np.isclose(a, b, rtol=1e-12))
    True
    """
    xp, n_cls = c.xp, c.num_classes
    nll, lse = linear_nll(xp, hidden, weight, bias, labels, chunk_size)
    valid = None if c.valid is None else xp.reshape(c.valid, (-1,))
    w = label_weight(xp, class_weight, labels, valid, c.dtype)
    spread = None
    if not (is_number(label_smoothing) and label_smoothing == 0):
        # sum_c w_c (lse - z_c) = sum(w) lse - <h, sum_c w_c W_c> - sum_c w_c b_c, also O(N D).
        if class_weight is None:
            mix, total = xp.sum(weight, axis=0), float(n_cls)
        else:
            mix, total = xp.matmul(class_weight, weight), xp.sum(class_weight)
        spread = total * lse - xp.matmul(hidden, mix)
        if bias is not None:
            spread = spread - (xp.sum(bias) if class_weight is None else xp.sum(class_weight * bias))
    out = smoothed_nll(xp, nll, spread, w, valid, class_weight, label_smoothing, n_cls)
    return out._replace(
        loss=xp.reshape(out.loss, c.shape), weight=None if out.weight is None else xp.reshape(out.weight, c.shape)
    )
