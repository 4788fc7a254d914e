"""Error classes and the messages users see for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import lossapi as la
from lossapi import _errors

ERRORS = {
    "NamespaceMismatchError": TypeError,
    "DeviceMismatchError": ValueError,
    "ShapeMismatchError": ValueError,
    "InvalidDTypeError": TypeError,
    "InvalidOptionError": ValueError,
    "InvalidValueError": ValueError,
    "InputTypeError": TypeError,
    "MissingDependencyError": ImportError,
}


def test_every_error_class_has_the_right_bases():
    assert set(_errors.__all__) == {*ERRORS, "LossapiError"}
    assert issubclass(la.LossapiError, Exception)
    for name, builtin in ERRORS.items():
        cls = getattr(la, name)
        assert cls is getattr(_errors, name)
        assert issubclass(cls, la.LossapiError), name
        assert issubclass(cls, builtin), name
        err = cls("boom")
        assert isinstance(err, la.LossapiError) and isinstance(err, builtin) and str(err) == "boom"


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
@pytest.mark.parametrize("name", ["mean_squared_error", "huber", "log_cosh", "poisson_nll"])
def test_integer_or_bool_predictions(backend, name, dtype):
    pred = backend.asarray(np.array([1, 0, 1]), dtype=dtype)
    target = backend.asarray(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(la.InvalidDTypeError) as info:
        getattr(la, name)(pred, target)
    msg = str(info.value)
    assert f"lossapi.{name}" in msg and "`pred`" in msg and "floating" in msg


def test_integer_var_is_fine_but_integer_pred_is_not_gaussian_nll(backend):
    t = backend.asarray(np.array([1.0, 2.0]))
    with pytest.raises(la.InvalidDTypeError, match="`pred`"):
        la.gaussian_nll(backend.asarray(np.array([1, 2])), t, t)


@pytest.mark.parametrize(("ps", "ts"), [((3,), (4,)), ((2, 3), (3, 2)), ((5, 2), (4, 1))])
def test_shapes_that_do_not_broadcast(backend, ps, ts):
    with pytest.raises(la.ShapeMismatchError) as info:
        la.mae(backend.asarray(np.ones(ps)), backend.asarray(np.ones(ts)))
    msg = str(info.value)
    assert "mean_absolute_error" in msg and "`pred`" in msg and "`target`" in msg
    assert str(ps) in msg and str(ts) in msg


@pytest.mark.parametrize(("ps", "ts"), [((4, 1), (4,)), ((4,), (4, 1)), ((3, 1), (1, 5))])
def test_broadcast_to_a_shape_neither_has(backend, ps, ts):
    with pytest.raises(la.ShapeMismatchError) as info:
        la.mse(backend.asarray(np.ones(ps)), backend.asarray(np.ones(ts)))
    msg = str(info.value)
    assert "none of them has" in msg and "mean_squared_error" in msg
    assert "Reshape" in msg


def test_broadcast_to_one_of_the_shapes_is_fine(backend):
    out = la.mse(backend.asarray(np.ones((4, 3))), backend.asarray(np.zeros((3,))), reduction="none")
    assert tuple(out.shape) == (4, 3)


BAD_OPTIONS = [
    ("huber", {"delta": 0.0}, "delta=0.0"),
    ("huber", {"delta": -1.0}, "delta=-1.0"),
    ("huber", {"delta": float("nan")}, "delta=nan"),
    ("pseudo_huber", {"delta": 0.0}, "delta=0.0"),
    ("smooth_l1", {"beta": -0.5}, "beta=-0.5"),
    ("quantile", {"q": 0.0}, "q=0.0"),
    ("quantile", {"q": 1.0}, "q=1.0"),
    ("quantile", {"q": -0.2}, "q=-0.2"),
    ("quantile", {"q": 1.5}, "q=1.5"),
    ("tukey_biweight", {"c": 0.0}, "c=0.0"),
    ("tukey_biweight", {"c": -2.0}, "c=-2.0"),
    ("tweedie_deviance", {"power": 0.5}, "power=0.5"),
    ("tweedie_deviance", {"power": 0.01}, "power=0.01"),
    ("epsilon_insensitive", {"epsilon": -0.1}, "epsilon=-0.1"),
    ("root_mean_squared_error", {"eps": -1.0}, "eps=-1.0"),
]


@pytest.mark.parametrize(("name", "kw", "needle"), BAD_OPTIONS)
def test_out_of_range_hyper_parameters(name, kw, needle):
    p = np.array([1.0, 2.0])
    with pytest.raises(la.InvalidOptionError) as info:
        getattr(la, name)(p, p, **kw)
    assert isinstance(info.value, ValueError)
    msg = str(info.value)
    assert f"lossapi.{name}" in msg and needle in msg


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("smooth_l1", {"beta": 0.0}),
        ("tweedie_deviance", {"power": 0}),
        ("tweedie_deviance", {"power": 1}),
        ("tweedie_deviance", {"power": 1.5}),
        ("tweedie_deviance", {"power": -1.0}),
        ("quantile", {"q": 0.01}),
        ("huber", {"delta": 1e-6}),
    ],
)
def test_boundary_hyper_parameters_are_accepted(name, kw):
    p = np.array([1.0, 2.0])
    out = getattr(la, name)(p, p + 0.5, **kw)
    assert np.isfinite(out)


def test_error_message_names_the_function_not_a_backend_traceback(torch):
    with pytest.raises(la.InvalidDTypeError) as info:
        la.huber(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))
    assert "lossapi.huber" in str(info.value)
    with pytest.raises(la.ShapeMismatchError) as info:
        la.huber(torch.ones(4, 1), torch.ones(4))
    assert "lossapi.huber" in str(info.value)
