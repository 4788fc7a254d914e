"""The loss families. Each module holds one family; this package re-exports them all."""

from .regression import (
    epsilon_insensitive,
    gaussian_nll,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_log_error,
    poisson_nll,
    pseudo_huber,
    quantile,
    root_mean_squared_error,
    smooth_l1,
    tukey_biweight,
    tweedie_deviance,
)

# Aliases fixed by API.md.
mse = mean_squared_error
rmse = root_mean_squared_error
mae = mean_absolute_error

__all__ = [
    "epsilon_insensitive",
    "gaussian_nll",
    "huber",
    "log_cosh",
    "mae",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "mse",
    "poisson_nll",
    "pseudo_huber",
    "quantile",
    "rmse",
    "root_mean_squared_error",
    "smooth_l1",
    "tukey_biweight",
    "tweedie_deviance",
]
