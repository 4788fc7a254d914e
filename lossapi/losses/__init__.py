"""The loss families. Each module holds one family; this package re-exports them all."""

from . import classification, divergence, focal, margin, regression
from .classification import *  # noqa: F403
from .divergence import *  # noqa: F403
from .focal import *  # noqa: F403
from .margin import *  # noqa: F403
from .regression import *  # noqa: F403

# Aliases fixed by API.md.
mse = regression.mean_squared_error
rmse = regression.root_mean_squared_error
mae = regression.mean_absolute_error
bce = classification.binary_cross_entropy

__all__ = sorted(
    [
        *regression.__all__,
        *classification.__all__,
        *margin.__all__,
        *focal.__all__,
        *divergence.__all__,
        "mse",
        "rmse",
        "mae",
        "bce",
    ]
)
