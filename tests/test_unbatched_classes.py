"""One unbatched sample for the class-axis losses: ``(C,)`` logits and a 0-d integer label, the
form torch's ``cross_entropy``, ``nll_loss`` and ``multi_margin_loss`` accept. The result of
``reduction="none"`` is 0-d; values and gradients equal torch's (fast path and generic path) and
the float64 conformance oracles, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import lossapi as la
from lossapi._conformance.families import focal as focal_oracles

Z = np.array([0.3, -1.2, 2.0, 0.5])
W = np.array([0.5, 2.0, 1.0, 1.5])


def _log_softmax(x):
    x = x - x.max()
    return x - np.log(np.exp(x).sum())


def _torch_ref(torch, name, z, y, cw, **kw):
    F = torch.nn.functional
    t = torch.tensor(z, requires_grad=True)
    w = None if cw is None else torch.tensor(cw)
    if name == "cross_entropy":
        out = F.cross_entropy(t, torch.tensor(y), weight=w, reduction="none", **kw)
    elif name == "nll":
        out = F.nll_loss(t, torch.tensor(y), weight=w, reduction="none")
    else:
        out = F.multi_margin_loss(t, torch.tensor(y), weight=w, reduction="none")
    out.backward()
    return out.detach().numpy(), t.grad.numpy()


CASES = [
    ("cross_entropy", {}),
    ("cross_entropy", {"label_smoothing": 0.1}),
    ("nll", {}),
    ("multiclass_hinge", {"variant": "weston_watkins"}),
]


@pytest.mark.parametrize(("name", "options"), CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("label", [0, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_values_match_torch(backend, torch, name, options, label, weighted):
    z = _log_softmax(Z) if name == "nll" else Z
    cw = W if weighted else None
    want, _ = _torch_ref(torch, name, z, label, cw, **options)
    kw = dict(options, **({} if cw is None else {"class_weight": backend.asarray(cw)}))
    fn = getattr(la, name)
    for y in (np.array(label), np.array(label, dtype=np.uint8)):
        got = fn(backend.asarray(z), backend.asarray(y), reduction="none", **kw)
        assert backend.is_native(got)
        got = backend.to_numpy(got)
        assert got.shape == ()
        np.testing.assert_allclose(got, want, rtol=1e-12)
        # "mean" of one sample: the sample's loss (a weighted mean divides by its own weight)
        mean = backend.to_numpy(fn(backend.asarray(z), backend.asarray(y), **kw))
        np.testing.assert_allclose(mean, want / (1.0 if cw is None else cw[label]))


@pytest.mark.parametrize(("name", "options"), CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("native", [True, False])
def test_gradients_match_torch(torch, name, options, native):
    z = _log_softmax(Z) if name == "nll" else Z
    _, want = _torch_ref(torch, name, z, 2, W, **options)
    t = torch.tensor(z, requires_grad=True)
    with la.native(native):
        getattr(la, name)(t, torch.tensor(2), class_weight=torch.tensor(W), reduction="sum", **options).backward()
    np.testing.assert_allclose(t.grad.numpy(), want, atol=1e-14)


def test_softmax_focal_matches_oracle(backend):
    for label in (0, 3):
        want = focal_oracles.softmax_focal(Z, np.array(label), gamma=2.0, class_weight=W)
        got = la.softmax_focal(
            backend.asarray(Z), backend.asarray(np.array(label)), class_weight=backend.asarray(W), reduction="none"
        )
        got = backend.to_numpy(got)
        assert got.shape == ()
        np.testing.assert_allclose(got, want, rtol=1e-12)
