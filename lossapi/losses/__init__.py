"""The loss families. Each module holds one family; this package re-exports them all."""

from . import (
    classification,
    detection,
    divergence,
    embedding,
    focal,
    generative,
    margin,
    metric,
    ranking,
    regression,
    reinforcement,
    segmentation,
    sequence,
)
from .classification import *  # noqa: F403
from .detection import *  # noqa: F403
from .divergence import *  # noqa: F403
from .embedding import *  # noqa: F403
from .focal import *  # noqa: F403
from .generative import *  # noqa: F403
from .margin import *  # noqa: F403
from .metric import *  # noqa: F403
from .ranking import *  # noqa: F403
from .regression import *  # noqa: F403
from .reinforcement import *  # noqa: F403
from .segmentation import *  # noqa: F403
from .sequence import *  # noqa: F403

# Aliases fixed by the public API.
mse = regression.mean_squared_error
rmse = regression.root_mean_squared_error
mae = regression.mean_absolute_error
bce = classification.binary_cross_entropy

_FAMILY_MODULES = (
    regression,
    classification,
    margin,
    focal,
    divergence,
    embedding,
    metric,
    ranking,
    segmentation,
    detection,
    sequence,
    reinforcement,
    generative,
)

__all__ = sorted([*(n for m in _FAMILY_MODULES for n in m.__all__), "mse", "rmse", "mae", "bce"])
