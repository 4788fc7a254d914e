"""Verify a JAX port of a PyTorch training loss against lossapi.

The PyTorch model was trained with ``F.cross_entropy(logits, target, label_smoothing=0.1,
ignore_index=-100)``. ``ported_loss`` below is its hand-written JAX port. ``check_against``
runs it next to ``lossapi.cross_entropy`` (which equals torch's) on random logits and labels,
some of them ignored, in float32 and float64, and compares the values for every reduction,
the gradients w.r.t. the logits, and ``jax.jit`` against eager.

Run: ``python examples/jax_port_check.py`` (needs jax). It prints the report and exits with
status 1 when the port disagrees. Tested by ``tests/test_testing.py``.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("JAX_ENABLE_X64", "1")  # float64 on JAX; must precede the jax import

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from lossapi.testing import check_against  # noqa: E402


def ported_loss(logits, target, *, label_smoothing=0.0, ignore_index=-100, reduction="mean"):
    """JAX port of ``torch.nn.functional.cross_entropy`` with label smoothing and ignore_index."""
    log_p = jax.nn.log_softmax(logits, axis=-1)
    keep = target != ignore_index
    picked = jnp.take_along_axis(log_p, jnp.where(keep, target, 0)[..., None], axis=-1)[..., 0]
    per = jnp.where(keep, -(1 - label_smoothing) * picked - label_smoothing * jnp.mean(log_p, axis=-1), 0.0)
    if reduction == "none":
        return per
    return jnp.sum(per) if reduction == "sum" else jnp.sum(per) / jnp.sum(keep)


def main(loss=ported_loss) -> int:
    """Check ``loss`` against lossapi; print the report; 0 when it agrees, 1 when not."""
    report = check_against(
        loss,
        "cross_entropy",
        backends=["jax"],
        reductions=("mean", "sum", "none"),
        options={"label_smoothing": 0.1, "ignore_index": -100},
    )
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
