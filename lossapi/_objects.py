"""What the framework loss objects (``lossapi.nn``, ``lossapi.keras``) share: class names and
option checks, read from the catalog. Imports no framework."""

from __future__ import annotations

import inspect
from typing import Any

from ._catalog import LossRecord, catalog
from ._errors import InvalidOptionError

__all__ = ["REDUCTIONS", "check_options", "class_name", "records", "signature"]

REDUCTIONS = ("mean", "sum", "none")

#: Names that are not the plain CamelCase of the loss name (acronyms and the paper's spelling).
_NAMES = {
    "nll": "NLL",
    "poisson_nll": "PoissonNLL",
    "gaussian_nll": "GaussianNLL",
    "ranknet": "RankNet",
    "listnet": "ListNet",
    "ctc": "CTC",
    "yolo": "YOLO",
    "ntxent": "NTXent",
    "supcon": "SupCon",
    "arcface": "ArcFace",
    "cosface": "CosFace",
    "box_iou": "BoxIoU",
    "giou": "GIoU",
    "diou": "DIoU",
    "ciou": "CIoU",
    "kl_divergence": "KLDivergence",
    "generalized_kl_divergence": "GeneralizedKLDivergence",
    "js_divergence": "JSDivergence",
    "gan_discriminator": "GANDiscriminator",
    "gan_generator": "GANGenerator",
    "ppo_clip": "PPOClip",
}


def class_name(name: str) -> str:
    """The class name of a loss: CamelCase of its catalog name (``huber`` -> ``Huber``)."""
    return _NAMES.get(name) or "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def records() -> tuple[LossRecord, ...]:
    """Every catalog record, in catalog order."""
    return catalog()


def check_options(
    rec: LossRecord, options: dict[str, Any], *, reduction: str | None = None, axis: Any = None
) -> dict[str, Any]:
    """Every option of ``rec`` (defaults filled in), each checked by its constraint.

    Raises ``TypeError`` for an unknown option (as Python does) and ``InvalidOptionError`` for
    an invalid value.
    """
    unknown = sorted(set(options) - set(rec.options))
    if unknown:
        raise TypeError(f"lossapi {rec.name}: unknown option(s) {', '.join(unknown)}; it takes {sorted(rec.options)}.")
    out = {}
    for name, default in rec.options.items():
        value = options.get(name, default)
        constraint = rec.constraints.get(name)
        if constraint is not None and value is not default:
            constraint.check(rec.name, name, value)
        out[name] = value
    if reduction is not None and reduction not in REDUCTIONS:
        raise InvalidOptionError(f"lossapi.{rec.name}: reduction must be one of {REDUCTIONS}, got {reduction!r}.")
    if rec.has_axis and (not isinstance(axis, int) or isinstance(axis, bool)):
        raise InvalidOptionError(f"lossapi.{rec.name}: axis must be an int, got {axis!r}.")
    return out


def signature(
    rec: LossRecord, *, leading: tuple[str, ...] = (), extra: dict[str, Any] | None = None
) -> inspect.Signature:
    """The constructor signature of ``rec``'s class: its options keyword-only, then the rest."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in leading]
    params += [inspect.Parameter(n, kw, default=d) for n, d in rec.options.items()]
    params += [inspect.Parameter(n, kw, default=d) for n, d in (extra or {}).items()]
    return inspect.Signature(params)
