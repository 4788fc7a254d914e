"""Invalid class labels, Python-number weights and ``xp=``: one answer on every backend and path.

- An integer label outside ``[0, C)`` that is not ``ignore_index`` makes its entry NaN
  (``reduction="none"``) and ``"mean"``/``"sum"`` NaN, on every backend, with native fast paths
  on and off and under ``jax.jit``: never a wrapped (-1), clamped or silently ignored (-100) value
  and never an IndexError. The entry carries no weight, so the other entries' gradients are
  those of the batch without it. Inside ``lossapi.check_values()`` the same call raises
  ``InvalidValueError``.
- Segmentation losses with class indices: a sample holding such a label scores NaN.
- A Python number ``sample_weight`` and a Python bool ``where`` act as 0-d arrays.
- ``xp=`` never skips the check that every array argument comes from one library.

The expected values come from the same loss evaluated on the valid entries alone (NumPy), so
the tests say what an invalid label may change: its own entry, and nothing else.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lossapi as la
from lossapi._catalog import catalog, lookup
from lossapi._errors import InputTypeError, InvalidValueError, NamespaceMismatchError

RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 3))
LABELS = np.array([0, 5, -1, 2, -100, 1])
BAD = np.array([False, True, True, False, True, False])


def _accepts_int_labels(name: str, x: np.ndarray, y: np.ndarray, **kw) -> bool:
    try:
        out = getattr(la, name)(x, y, reduction="none", **kw)
    except la.LossapiError:
        return False
    return np.asarray(out).shape == y.shape[: out.ndim]


def _class_losses() -> list[str]:
    names = []
    for rec in catalog():
        if rec.kind != "class axis" or len(rec.inputs) != 2:
            continue
        if _accepts_int_labels(rec.name, X, np.array([0, 1, 2, 0, 1, 2])):
            names.append(rec.name)
    return names


def _segmentation_losses() -> list[str]:
    p = np.full((2, 5, 4), 0.25)
    y = np.array([[0, 1, 2, 3, 3], [0, 1, 2, 3, 0]])
    return [
        rec.name
        for rec in catalog()
        if rec.kind in ("segmentation", "overlap")
        and rec.has_axis
        and len(rec.inputs) == 2
        and _accepts_seg(rec.name, p, y)
    ]


def _accepts_seg(name: str, p: np.ndarray, y: np.ndarray) -> bool:
    try:
        getattr(la, name)(p, y, axis=-1)
    except la.LossapiError:
        return False
    return True


CLASS_LOSSES = _class_losses()
SEG_LOSSES = _segmentation_losses()


def test_the_catalog_has_the_label_losses():
    assert {"cross_entropy", "nll", "softmax_focal", "multiclass_hinge", "poly1_cross_entropy"} <= set(CLASS_LOSSES)
    assert {"dice", "tversky", "jaccard", "lovasz_softmax"} <= set(SEG_LOSSES)


def _inputs(name: str) -> np.ndarray:
    # nll reads log-probabilities, the probability losses probabilities: valid inputs of each.
    logp = X - np.log(np.exp(X).sum(axis=1, keepdims=True))
    rec = lookup(name)
    space = rec.input_spaces[rec.inputs[0]]
    if space == "log_probability":
        return logp
    if space == "probability":
        return np.exp(logp)
    return X


def _paths(backend):
    """(label, call) per path of this backend: native on and off where torch has fast paths,
    eager and jitted on JAX."""
    if backend.name == "torch":
        return [("fast", lambda f: f()), ("generic", lambda f: _generic(f))]
    if backend.name == "jax":
        return [("eager", lambda f: f()), ("jit", None)]
    return [("eager", lambda f: f())]


def _generic(f):
    with la.native(False):
        return f()


@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_invalid_labels_are_nan_on_every_path(backend, name):
    fn = getattr(la, name)
    x = _inputs(name)
    good = ~BAD
    expected = np.asarray(fn(x[good], LABELS[good], reduction="none"))
    for path, run in _paths(backend):
        for reduction in ("none", "mean", "sum"):
            xa, ya = backend.asarray(x), backend.asarray(LABELS)
            if run is None:
                jax = backend.mod_root if hasattr(backend, "mod_root") else __import__("jax")
                out = jax.jit(lambda a, b, r=reduction: fn(a, b, reduction=r))(xa, ya)
            else:
                out = run(lambda r=reduction, a=xa, b=ya: fn(a, b, reduction=r))
            got = backend.to_numpy(out)
            where = f"{name} on {backend.name} ({path}), reduction={reduction!r}"
            if reduction == "none":
                assert np.array_equal(np.isnan(got), BAD), f"{where}: NaN at {np.isnan(got)}, expected {BAD}"
                np.testing.assert_allclose(got[good], expected, rtol=1e-6, atol=1e-12, err_msg=where)
            else:
                assert math.isnan(float(got)), f"{where}: {got}"


@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_invalid_labels_carry_no_weight_in_the_gradient(backend, name):
    if not backend.differentiable:
        pytest.skip(f"{backend.name} has no autodiff")
    fn = getattr(la, name)
    x = _inputs(name)
    good = ~BAD
    kw = {"class_weight": backend.asarray(np.array([0.5, 2.0, 1.0]))} if "class_weight" in lookup(name).options else {}
    want = backend.grad(lambda a: fn(a, backend.asarray(LABELS[good]), **kw), [backend.asarray(x[good])], [0])[0]
    paths = [("fast", True), ("generic", False)] if backend.name == "torch" else [("default", True)]
    for path, native in paths:
        with la.native(native):
            got = backend.grad(lambda a: fn(a, backend.asarray(LABELS), **kw), [backend.asarray(x)], [0])[0]
        where = f"{name} on {backend.name} ({path})"
        np.testing.assert_allclose(got[good], want, rtol=1e-6, atol=1e-12, err_msg=where)
        assert np.all(got[BAD] == 0), f"{where}: gradient of the invalid rows {got[BAD]}"


@pytest.mark.parametrize("name", ["cross_entropy", "nll", "softmax_focal"])
def test_minus_100_is_ignored_only_when_it_is_the_ignore_index(backend, name):
    fn = getattr(la, name)
    x = backend.asarray(_inputs(name)[:3])
    y = backend.asarray(np.array([0, -100, 2]))
    assert math.isnan(float(backend.to_numpy(fn(x, y))))
    kept = backend.to_numpy(fn(x, y, ignore_index=-100))
    alone = backend.to_numpy(fn(backend.asarray(_inputs(name)[[0, 2]]), backend.asarray(np.array([0, 2]))))
    np.testing.assert_allclose(kept, alone, rtol=1e-6)


@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_invalid_labels_raise_inside_check_values(name):
    fn = getattr(la, name)
    with la.check_values(), pytest.raises(InvalidValueError, match=name):
        fn(_inputs(name), LABELS)


@pytest.mark.parametrize("name", SEG_LOSSES)
def test_segmentation_sample_with_an_invalid_label_is_nan(backend, name):
    fn = getattr(la, name)
    p = RNG.uniform(0.05, 1.0, size=(2, 5, 4))
    p = p / p.sum(axis=-1, keepdims=True)
    y = np.array([[0, 1, 2, 3, 3], [0, 1, 4, 3, 0]])  # 4 is outside [0, 4)
    kw = {"per_sample": True} if "per_sample" in lookup(name).options else {}
    if not kw:
        pytest.skip(f"{name} pools its statistics over the batch")
    got = backend.to_numpy(fn(backend.asarray(p), backend.asarray(y), axis=-1, reduction="none", **kw))
    alone = np.asarray(fn(p[:1], y[:1], axis=-1, reduction="none", **kw))
    assert math.isnan(got[1]) and not math.isnan(got[0]), f"{name} on {backend.name}: {got}"
    np.testing.assert_allclose(got[:1], alone, rtol=1e-6)
    assert math.isnan(float(backend.to_numpy(fn(backend.asarray(p), backend.asarray(y), axis=-1, **kw))))
    with la.check_values(), pytest.raises(InvalidValueError):
        fn(p, y, axis=-1, **kw)


def test_python_number_sample_weight_and_bool_where(backend):
    p, t = backend.asarray(RNG.normal(size=4)), backend.asarray(RNG.normal(size=4))
    w0 = backend.asarray(np.array(2.5))
    for reduction in ("mean", "sum", "none"):
        want = backend.to_numpy(la.mean_squared_error(p, t, sample_weight=w0, reduction=reduction))
        got = backend.to_numpy(la.mean_squared_error(p, t, sample_weight=2.5, reduction=reduction))
        np.testing.assert_allclose(got, want, rtol=1e-12)
        got = backend.to_numpy(la.huber(p, t, where=True, reduction=reduction))
        np.testing.assert_allclose(got, backend.to_numpy(la.huber(p, t, reduction=reduction)), rtol=1e-12)
    assert float(backend.to_numpy(la.huber(p, t, where=False, reduction="sum"))) == 0.0
    assert (
        float(backend.to_numpy(la.cross_entropy(backend.asarray(X), backend.asarray(LABELS % 3), sample_weight=3))) > 0
    )


def test_bool_sample_weight_and_number_where_are_refused():
    p, t = np.ones(3), np.zeros(3)
    with pytest.raises(InputTypeError, match="sample_weight"):
        la.mean_squared_error(p, t, sample_weight=True)
    with pytest.raises(InputTypeError, match="where"):
        la.mean_squared_error(p, t, where=1)


def test_xp_keeps_the_mixed_library_check(torch):
    from array_api_compat import array_namespace

    z = torch.tensor(X)
    with pytest.raises(NamespaceMismatchError, match="class_weight"):
        la.cross_entropy(z, torch.tensor(LABELS % 3), class_weight=np.ones(3), xp=array_namespace(z))
    with pytest.raises(NamespaceMismatchError, match="target"):
        la.mean_squared_error(z, np.zeros((6, 3)), xp=array_namespace(z))
