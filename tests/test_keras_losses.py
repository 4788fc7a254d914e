"""lossapi.keras: keras 3 losses generated from the catalog (JAX backend)."""

from __future__ import annotations

import os
import subprocess
import sys

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

LAYERS = ("arcface", "cosface", "linear_cross_entropy")
LOSSES = [r.name for r in la.catalog() if r.name not in LAYERS]


def test_every_catalog_loss_has_a_class() -> None:
    for rec in la.catalog():
        cls = lk.get(rec.name)
        base = lk.LossLayer if rec.name in LAYERS else lk.LossapiLoss
        assert issubclass(cls, base) and cls.record is rec
        assert getattr(lk, cls.__name__) is cls
    assert issubclass(lk.LossapiLoss, keras.losses.Loss) and issubclass(lk.LossLayer, keras.layers.Layer)
    assert lk.MSE is lk.MeanSquaredError and lk.Huber.__name__ == "Huber" and lk.GaussianNLL.__name__ == "GaussianNLL"
    with pytest.raises(KeyError, match="no loss named"):
        lk.get("hubber")


def _keras_inputs(name: str, args: tuple) -> tuple:
    """keras' (y_true, y_pred) for the function's positional ``args``."""
    rec = la.lookup_loss(name)
    packing = lk.PACKED.get(name)
    if packing is None:
        return args[1], args[0]
    given = dict(zip(rec.inputs, args))
    sides = []
    for names in (packing[1], packing[0]):
        if not names:
            sides.append(np.zeros(args[0].shape[:1], "float32"))
        elif len(names) == 1:
            sides.append(given[names[0]])
        else:
            sides.append(np.stack([np.asarray(given[n]) for n in names], axis=packing[2]))
    return tuple(sides)


@pytest.mark.parametrize("name", [n for n in LOSSES if n != "ctc"])
def test_call_is_the_functions_per_sample_loss(name: str) -> None:
    rec = la.lookup_loss(name)
    inp = make_inputs(name, xp="jax", dtype="float32", shape=(6,), seed=2)
    opts = dict(inp.kwargs)
    loss = lk.get(name)(**opts)
    want = rec.fn(*inp.args, reduction="mean", **opts)
    y_true, y_pred = _keras_inputs(name, inp.args)
    got = loss(y_true, y_pred)  # keras order: (y_true, y_pred)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=1e-6)


def test_packed_inputs_also_come_as_tuples_and_a_wrong_stack_says_what_it_needs() -> None:
    rng = np.random.default_rng(3)
    a, p, n = (rng.normal(size=(5, 4)).astype("float32") for _ in range(3))
    want = float(la.triplet_margin(a, p, n, margin=0.5))
    y = np.zeros(5, "float32")
    assert float(lk.TripletMargin(margin=0.5)(y, (a, p, n))) == pytest.approx(want, rel=1e-6)
    assert float(lk.TripletMargin(margin=0.5)(y, np.stack([a, p, n], axis=-2))) == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError, match=r"y_pred must stack \(anchor, positive, negative\) on axis -2"):
        lk.TripletMargin()(y, np.stack([a, p], axis=-2))
    with pytest.raises(la.InvalidOptionError, match="last axis"):
        lk.TripletMargin(axis=0)


def test_ctc_equals_keras_ctc() -> None:
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(3, 9, 5)).astype("float32")
    labels = np.array([[1, 2, 2, 0], [3, 0, 0, 0], [1, 4, 1, 2]])  # padded with the blank, as keras
    w = rng.uniform(size=3).astype("float32")
    log_probs = keras.ops.log_softmax(logits)
    ours = lk.CTC()(labels, log_probs, sample_weight=w)
    theirs = keras.losses.CTC()(labels, logits, sample_weight=w)
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-5)
    # -1 padding gives the same lengths; the per-sequence values are the function's.
    per_seq = lk.CTC(reduction=None)(np.where(labels == 0, -1, labels), log_probs)
    want = la.ctc(np.asarray(log_probs), labels, np.full(3, 9), np.array([3, 1, 4]), reduction="none")
    np.testing.assert_allclose(np.asarray(per_seq), want, rtol=1e-5)


def test_class_table_layers_equal_the_function_and_train() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(256, 8)).astype("float32")
    labels = np.argmax(x[:, :4], axis=-1)
    lce = lk.LinearCrossEntropy(4, use_bias=True, label_smoothing=0.1)
    got = lce(x, labels)
    kernel, bias = np.asarray(lce.kernel.numpy()), np.asarray(lce.bias.numpy())
    assert kernel.shape == (4, 8) and bias.shape == (4,)
    want = la.linear_cross_entropy(x, kernel, labels, bias=bias, label_smoothing=0.1)
    np.testing.assert_allclose(float(got), float(want), rtol=1e-5)
    with pytest.raises(la.InvalidOptionError):
        lk.ArcFace(0)
    with pytest.raises(TypeError, match="use_bias"):
        lk.LinearCrossEntropy(4, bias=bias)

    keras.utils.set_random_seed(0)
    inputs, label_in = keras.Input((8,)), keras.Input((), dtype="int32")
    head = lk.ArcFace(4, margin=0.2, scale=16.0)
    emb = keras.layers.Dense(16)(keras.layers.Dense(32, activation="relu")(inputs))
    model = keras.Model([inputs, label_in], head(emb, label_in))
    model.compile(optimizer=keras.optimizers.Adam(0.01))  # the layer adds its loss
    before = np.asarray(head.kernel.numpy()).copy()
    hist = model.fit([x, labels], epochs=4, batch_size=32, verbose=0).history["loss"]
    assert hist[-1] < 0.5 * hist[0]
    assert np.abs(np.asarray(head.kernel.numpy()) - before).max() > 0.05  # the centres learn
    config = head.get_config()
    again = lk.ArcFace.from_config(config)
    assert again.get_config() == config and config["margin"] == 0.2 and config["num_classes"] == 4


def test_keras_on_the_torch_backend() -> None:
    """The same classes on keras' torch backend (a fresh process: keras picks it at import)."""
    pytest.importorskip("torch")
    script = """
import numpy as np, keras, lossapi.keras as lk
assert keras.backend.backend() == "torch"
rng = np.random.default_rng(0)
logits, labels = rng.normal(size=(16, 4)).astype("float32"), rng.integers(0, 4, 16)
w = rng.uniform(size=16).astype("float32")
ours = lk.CrossEntropy()(labels, logits, sample_weight=w)
theirs = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits, sample_weight=w)
np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-6)
x = rng.normal(size=(128, 6)).astype("float32"); y = np.argmax(x[:, :3], -1)
keras.utils.set_random_seed(0)
inp, lab = keras.Input((6,)), keras.Input((), dtype="int32")
model = keras.Model([inp, lab], lk.CosFace(3, scale=8.0)(keras.layers.Dense(8)(inp), lab))
model.compile(optimizer=keras.optimizers.Adam(0.02))
hist = model.fit([x, y], epochs=3, batch_size=32, verbose=0).history["loss"]
assert hist[-1] < 0.6 * hist[0], hist
"""
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


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
