"""lossapi.keras: keras 3 losses generated from the catalog (JAX backend)."""

from __future__ import annotations

import os

import numpy as np
import pytest

if os.environ.get("KERAS_BACKEND", "jax") != "jax":
    pytest.skip("these tests run keras on its JAX backend", allow_module_level=True)
os.environ.setdefault("KERAS_BACKEND", "jax")
pytest.importorskip("jax")
keras = pytest.importorskip("keras")

import lossapi as la  # noqa: E402
import lossapi.keras as lk  # noqa: E402
from lossapi.testing import make_inputs  # noqa: E402

TWO_INPUT = [r.name for r in la.catalog() if len(r.inputs) == 2 and r.name != "gan_discriminator"]


def test_every_two_input_loss_has_a_class_and_the_rest_are_listed() -> None:
    for rec in la.catalog():
        if rec.name in TWO_INPUT:
            cls = lk.get(rec.name)
            assert issubclass(cls, keras.losses.Loss) and cls.record is rec
            assert getattr(lk, cls.__name__) is cls
        else:
            assert rec.name in lk.LEFT_OUT
            with pytest.raises(KeyError, match=r"lossapi\.keras has no class"):
                lk.get(rec.name)
    assert lk.MSE is lk.MeanSquaredError and lk.Huber.__name__ == "Huber"


@pytest.mark.parametrize("name", TWO_INPUT)
def test_call_is_the_functions_per_sample_loss(name: str) -> None:
    rec = la.lookup_loss(name)
    inp = make_inputs(name, xp="jax", dtype="float32", shape=(6,), seed=2)
    pred, target = inp.args
    opts = dict(inp.kwargs)
    loss = lk.get(name)(**opts)
    want = rec.fn(pred, target, reduction="mean", **opts)
    got = loss(target, pred)  # keras order: (y_true, y_pred)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=1e-6)


def test_sample_weight_and_reduction_follow_keras() -> None:
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(8, 1)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    w = rng.uniform(size=(8,)).astype("float32")
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
        ours = lk.Huber(delta=0.7, reduction=reduction)(y, p, sample_weight=w)
        theirs = keras.losses.Huber(delta=0.7, reduction=reduction)(y, p, sample_weight=w)
        np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-6)
    none = lk.Huber(reduction=None)(y, p)
    assert none.shape == (8, 1)


@pytest.mark.parametrize("labels_shape", [(16,), (16, 1)])
def test_cross_entropy_equals_sparse_categorical_crossentropy(labels_shape: tuple) -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(16, 4)).astype("float32")
    labels = rng.integers(0, 4, size=labels_shape)
    w = rng.uniform(size=(16,)).astype("float32")
    ours = lk.CrossEntropy()(labels, logits, sample_weight=w)
    theirs = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits, sample_weight=w)
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-6)
    onehot = np.eye(4, dtype="float32")[labels.reshape(-1)]
    theirs = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(onehot, logits)
    np.testing.assert_allclose(float(lk.CrossEntropy(label_smoothing=0.1)(onehot, logits)), float(theirs), rtol=1e-5)


def test_invalid_options_raise_at_construction() -> None:
    with pytest.raises(la.InvalidOptionError):
        lk.Huber(delta=0.0)
    with pytest.raises(la.InvalidOptionError):
        lk.Dice(activation="nope")
    with pytest.raises(TypeError):
        lk.Huber(beta=1.0)


def test_get_config_round_trip() -> None:
    loss = lk.CrossEntropy(class_weight=[1.0, 2.0, 0.5], label_smoothing=0.1, name="ce", reduction="sum")
    config = loss.get_config()
    assert config["class_weight"] == [1.0, 2.0, 0.5] and config["label_smoothing"] == 0.1
    again = lk.CrossEntropy.from_config(config)
    assert again.get_config() == config
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is lk.CrossEntropy and restored.get_config() == config
    logits = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    labels = np.array([0, 1, 2, 2, 1, 0])
    np.testing.assert_allclose(float(restored(labels, logits)), float(loss(labels, logits)), rtol=1e-6)
    want = la.cross_entropy(logits, labels, class_weight=np.array([1.0, 2.0, 0.5], "float32"), label_smoothing=0.1)
    np.testing.assert_allclose(
        float(loss(labels, logits)),
        6
        * float(
            la.cross_entropy(
                logits, labels, class_weight=np.array([1.0, 2.0, 0.5], "float32"), label_smoothing=0.1, reduction="none"
            ).mean()
        ),
        rtol=1e-5,
    )
    assert np.isfinite(float(want))


def _fit(loss: keras.losses.Loss, x: np.ndarray, y: np.ndarray, out: int, activation: str | None = None) -> list:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Dense(out, activation=activation)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss)
    return model.fit(x, y, epochs=8, batch_size=32, verbose=0).history["loss"]


def test_models_train_with_lossapi_losses() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 6)).astype("float32")
    labels = np.argmax(x[:, :3], axis=-1)
    hist = _fit(lk.CrossEntropy(), x, labels, 3)
    assert hist[-1] < 0.7 * hist[0]
    ref = _fit(keras.losses.SparseCategoricalCrossentropy(from_logits=True), x, labels, 3)
    np.testing.assert_allclose(hist, ref, rtol=1e-4)

    target = (x @ rng.normal(size=(6, 1))).astype("float32")
    hist = _fit(lk.Huber(delta=0.5), x, target, 1)
    np.testing.assert_allclose(hist, _fit(keras.losses.Huber(delta=0.5), x, target, 1), rtol=1e-4)
    assert hist[-1] < 0.7 * hist[0]

    onehot = np.eye(3, dtype="float32")[labels]
    hist = _fit(lk.Dice(smooth=1.0), x, onehot, 3, activation="softmax")
    assert hist[-1] < hist[0]
