"""lossapi.nn: every catalog loss as a torch.nn.Module equals the function (values and gradients)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

import lossapi as la  # noqa: E402
import lossapi.nn as lnn  # noqa: E402
from lossapi.testing import make_inputs  # noqa: E402

NAMES = [r.name for r in la.catalog()]


def _module_and_args(name: str) -> tuple[torch.nn.Module, tuple, dict, tuple]:
    inp = make_inputs(name, xp="torch", shape=(6,), seed=1)
    args = tuple(a.detach().clone().requires_grad_(True) if a.dtype.is_floating_point else a for a in inp.args)
    opts = dict(inp.kwargs)
    cls = lnn.get(name)
    if "class_centers" in la.lookup_loss(name).inputs:
        emb, centres, labels = args
        mod = cls(centres.shape[0], centres.shape[1], dtype=centres.dtype, **opts)
        with torch.no_grad():
            mod.class_centers.copy_(centres)
        return mod, (emb, labels), opts, (emb, mod.class_centers)
    return cls(**opts), args, opts, tuple(a for a in args if a.requires_grad)


@pytest.mark.parametrize("name", NAMES)
def test_module_equals_function(name: str) -> None:
    rec = la.lookup_loss(name)
    mod, args, opts, leaves = _module_and_args(name)
    fn_args = (args[0], mod.class_centers, args[1]) if "class_centers" in rec.inputs else args
    for reduction in ("mean", "none"):
        mod.reduction = reduction
        got = mod(*args)
        want = rec.fn(*fn_args, reduction=reduction, **opts)
        torch.testing.assert_close(got, want, equal_nan=True)
    mod.reduction = "mean"
    got = mod(*args)
    want = rec.fn(*fn_args, **opts)
    if leaves and got.requires_grad:
        g1 = torch.autograd.grad(got, leaves, allow_unused=True)
        g2 = torch.autograd.grad(want, leaves, allow_unused=True)
        for a, b in zip(g1, g2):
            if a is None or b is None:
                assert a is None and b is None
            else:
                torch.testing.assert_close(a, b, equal_nan=True)


def test_every_catalog_name_and_alias_has_a_class() -> None:
    for rec in la.catalog():
        cls = lnn.get(rec.name)
        assert getattr(lnn, cls.__name__) is cls and cls.record is rec
        assert issubclass(cls, torch.nn.Module)
        for alias in rec.aliases:
            assert lnn.get(alias) is cls
    assert lnn.Huber.__name__ == "Huber" and lnn.CrossEntropy.__name__ == "CrossEntropy"
    assert lnn.BinaryCrossEntropyWithLogits.record.name == "binary_cross_entropy_with_logits"
    assert lnn.MSE is lnn.MeanSquaredError and lnn.BCE is lnn.BinaryCrossEntropy


def test_signature_repeats_the_functions_options() -> None:
    sig = inspect.signature(lnn.CrossEntropy)
    fn_sig = inspect.signature(la.cross_entropy)
    for name in la.lookup_loss("cross_entropy").options:
        assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert sig.parameters[name].default == fn_sig.parameters[name].default
    assert sig.parameters["reduction"].default == "mean" and sig.parameters["axis"].default == -1
    assert "axis" not in inspect.signature(lnn.Huber).parameters


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (lnn.Huber, {"delta": -1.0}),
        (lnn.Huber, {"reduction": "avg"}),
        (lnn.CrossEntropy, {"label_smoothing": 2.0}),
        (lnn.CrossEntropy, {"axis": 1.5}),
        (lnn.MulticlassHinge, {"variant": "nope"}),
        (lnn.Huber, {"learnable": ("delta", "nope")}),
        (lnn.Dice, {"learnable": "per_sample"}),
    ],
)
def test_invalid_options_raise_at_construction(cls: type, kwargs: dict) -> None:
    with pytest.raises(la.InvalidOptionError):
        cls(**kwargs)


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        lnn.Huber(beta=1.0)
    with pytest.raises(TypeError):
        lnn.Huber(axis=0)


def test_repr_shows_non_default_options() -> None:
    assert repr(lnn.Huber()) == "Huber()"
    assert repr(lnn.Huber(delta=0.5, reduction="sum")) == "Huber(delta=0.5, reduction='sum')"
    r = repr(lnn.CrossEntropy(class_weight=[1.0, 2.0, 3.0], axis=1))
    assert r == "CrossEntropy(class_weight=tensor(shape=(3,)), axis=1)"
    assert repr(lnn.ArcFace(3, 4, margin=0.3)) == "ArcFace(num_classes=3, embedding_dim=4, margin=0.3)"


def test_array_options_are_buffers_meta_and_state_dict() -> None:
    mod = lnn.CrossEntropy(class_weight=torch.tensor([1.0, 2.0, 3.0]))
    assert "class_weight" in dict(mod.named_buffers())
    sd = mod.state_dict()
    assert set(sd) == {"class_weight"}
    other = lnn.CrossEntropy(class_weight=torch.zeros(3))
    other.load_state_dict(sd)
    torch.testing.assert_close(other.class_weight, torch.tensor([1.0, 2.0, 3.0]))
    meta = mod.to("meta")
    assert meta.class_weight.device.type == "meta"
    bias = lnn.LinearCrossEntropy(bias=torch.zeros(5))
    assert set(bias.state_dict()) == {"bias"}
    for m in (lnn.BinaryCrossEntropyWithLogits(pos_weight=[2.0]), lnn.SoftmaxFocal(alpha=[0.2, 0.3, 0.5])):
        assert len(list(m.buffers())) == 1 and next(m.to("meta").buffers()).device.type == "meta"


def test_class_weight_buffer_gives_the_functions_value() -> None:
    inp = make_inputs("cross_entropy", xp="torch", shape=(6,))
    w = torch.arange(1.0, 6.0, dtype=torch.float64)
    mod = lnn.CrossEntropy(class_weight=w, label_smoothing=0.1)
    torch.testing.assert_close(mod(*inp.args), la.cross_entropy(*inp.args, class_weight=w, label_smoothing=0.1))


def test_arcface_parameters_meta_and_state_dict() -> None:
    mod = lnn.ArcFace(10, 4)
    assert mod.class_centers.shape == (10, 4) and isinstance(mod.class_centers, torch.nn.Parameter)
    assert [n for n, _ in mod.named_parameters()] == ["class_centers"]
    other = lnn.ArcFace(10, 4)
    other.load_state_dict(mod.state_dict())
    torch.testing.assert_close(other.class_centers, mod.class_centers)
    assert mod.to("meta").class_centers.device.type == "meta"
    assert lnn.CosFace(3, 2, dtype=torch.float64).class_centers.dtype == torch.float64


def test_learnable_hyper_parameters() -> None:
    mod = lnn.GeneralRobust(learnable=("alpha", "scale"), alpha=0.5)
    assert {n for n, _ in mod.named_parameters()} == {"alpha", "scale"}
    assert float(mod.alpha.detach()) == 0.5
    pred, target = torch.randn(8), torch.randn(8)
    loss = mod(pred, target)
    torch.testing.assert_close(loss, la.general_robust(pred, target, alpha=0.5, scale=1.0))
    loss.backward()
    assert mod.alpha.grad is not None and mod.scale.grad is not None
    assert set(mod.state_dict()) == {"alpha", "scale"}
    assert "alpha" in lnn.GeneralRobust.learnable_options()


def test_uncertainty_weighting_module() -> None:
    mod = lnn.UncertaintyWeighting(2)
    assert mod.log_vars.shape == (2,)
    out = mod(torch.tensor(2.0), torch.tensor(3.0))
    torch.testing.assert_close(out, torch.tensor(5.0))
    out.backward()
    torch.testing.assert_close(mod.log_vars.grad, torch.tensor([-1.0, -2.0]))


def test_sample_weight_and_where_are_forwarded() -> None:
    pred, target = torch.randn(6), torch.randn(6)
    w = torch.rand(6)
    where = torch.tensor([True, False] * 3)
    torch.testing.assert_close(lnn.Huber()(pred, target, sample_weight=w), la.huber(pred, target, sample_weight=w))
    torch.testing.assert_close(lnn.Huber()(pred, target, where=where), la.huber(pred, target, where=where))


@pytest.mark.parametrize("name", NAMES)
def test_module_under_torch_compile(name: str) -> None:
    """Dynamo traces every module (attributes, buffers, parameters) into the function's graph;
    the eager backend keeps this cheap (inductor's code generation is tested on Huber below and
    on the functions by the conformance suite)."""
    mod, args, _, leaves = _module_and_args(name)
    compiled = torch.compile(mod, backend="eager")
    got, want = compiled(*args), mod(*args)
    torch.testing.assert_close(got, want, equal_nan=True)
    if leaves and want.requires_grad:
        g1 = torch.autograd.grad(got, leaves, allow_unused=True)
        g2 = torch.autograd.grad(want, leaves, allow_unused=True)
        for a, b in zip(g1, g2):
            assert (a is None) == (b is None)
            if a is not None:
                torch.testing.assert_close(a, b, equal_nan=True)


def test_torch_compile() -> None:
    mod = lnn.Huber(delta=0.5)
    compiled = torch.compile(mod)
    pred, target = torch.randn(16), torch.randn(16)
    torch.testing.assert_close(compiled(pred, target), mod(pred, target))


def test_arcface_training_loop_learns_its_centres() -> None:
    torch.manual_seed(0)
    n, d, c = 64, 8, 4
    labels = torch.arange(n) % c
    x = torch.randn(n, d) + 2.0 * torch.nn.functional.one_hot(labels, d).float()
    model = torch.nn.Linear(d, d)
    loss_fn = lnn.ArcFace(c, d, margin=0.2, scale=16.0)
    start = loss_fn.class_centers.detach().clone()
    opt = torch.optim.SGD([*model.parameters(), *loss_fn.parameters()], lr=0.05)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]
    assert not torch.allclose(loss_fn.class_centers.detach(), start)


def test_import_lossapi_imports_no_torch() -> None:
    code = (
        "import sys, lossapi\n"
        "assert 'torch' not in sys.modules and 'keras' not in sys.modules\n"
        "lossapi.nn.Huber\n"
        "assert 'torch' in sys.modules and 'keras' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
