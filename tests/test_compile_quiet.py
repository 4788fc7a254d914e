"""lossapi under ``torch.compile`` makes Dynamo print no warnings of its own.

Dynamo warns once per ``functools.lru_cache``-wrapped function it traces; array-api-compat's
namespace, device and library helpers are such functions, so the dispatch layer answers torch
tensors directly. (The first compile costs a few seconds per loss.)
"""

from __future__ import annotations

import warnings

import pytest

import lossapi as la

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["sigmoid_focal", "dice"])
def test_compiled_loss_warns_nothing(name: str) -> None:
    torch._dynamo.reset()
    g = torch.Generator().manual_seed(0)
    if name == "sigmoid_focal":
        args = (torch.randn(8, 3, generator=g), (torch.rand(8, 3, generator=g) > 0.5).double())
    else:
        args = (torch.randn(2, 4, 5, 3, generator=g).softmax(-1), torch.randint(0, 3, (2, 4, 5), generator=g))
    fn = getattr(la, name)
    compiled = torch.compile(lambda *a: fn(*a))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = compiled(*args)
    assert torch.allclose(got, fn(*args))
    noisy = [
        str(w.message).splitlines()[0] for w in caught if "lru_cache" in str(w.message) or "Dynamo" in str(w.message)
    ]
    assert not noisy, noisy
