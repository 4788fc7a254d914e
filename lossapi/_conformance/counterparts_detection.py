"""Native counterparts of the detection losses (torchvision).

Mappings (what API.md promises):

- ``giou``, ``diou``, ``ciou`` = ``torchvision.ops.generalized_box_iou_loss``,
  ``distance_box_iou_loss``, ``complete_box_iou_loss`` with the same ``eps`` and
  ``reduction``. torchvision takes no weights: its ``reduction="none"`` result is reduced
  here with lossapi's weighted-mean rule and per-row weights, which checks that lossapi
  broadcasts the weights as documented. Its functions unbind the last axis, so the case's
  ``(5, 3, 4)`` box arrays go in as they are.
- ``box_iou`` (1 - IoU with ``eps``) and ``yolo`` (the seed's composite loss) have no
  torchvision counterpart (``torchvision.ops.box_iou`` is the pairwise N x M matrix without
  ``eps``).

torchvision cannot be installed on the project's machines: ``library_available`` reports it
missing and these checks skip with that reason. The same formulas, transcribed from
torchvision's source, are the oracles (``oracles_detection``) and the benchmark's
hand-written torch reference (``benchmarks/bench_detection.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .counterparts import Counterpart, _np, _torch
from .counterparts_focal import weighted_reduce

__all__ = ["DETECTION_COUNTERPARTS", "FAMILY_COUNTERPARTS"]

Inputs = Mapping[str, np.ndarray]
Options = Mapping[str, Any]


def _torchvision(name: str) -> Callable[..., np.ndarray | np.float64]:
    def fn(x: Inputs, o: Options, reduction: str, sw: np.ndarray | None) -> np.ndarray | np.float64:
        import torchvision.ops as tvo

        b, t = _torch(x["boxes"], x["target"])
        per = getattr(tvo, name)(b, t, reduction="none", eps=float(o.get("eps", 1e-7)))
        return weighted_reduce(_np(per), reduction, sw)

    return fn


def _always(o: Options, reduction: str, weighted: bool) -> bool:
    return True


FAMILY_COUNTERPARTS: dict[str, list[Counterpart]] = {
    "giou": [Counterpart("torchvision", _torchvision("generalized_box_iou_loss"), _always)],
    "diou": [Counterpart("torchvision", _torchvision("distance_box_iou_loss"), _always)],
    "ciou": [Counterpart("torchvision", _torchvision("complete_box_iou_loss"), _always)],
}
DETECTION_COUNTERPARTS = FAMILY_COUNTERPARTS
