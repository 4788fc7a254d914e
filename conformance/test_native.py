"""Native fast paths (torch.nn.functional kernels) match the generic Array API path.

Values for every reduction and gradients, for every option set of the loss's case and at its
edge points; the check fails if the fast path never engages (nothing would be compared).
"""

from __future__ import annotations

import lossapi
from lossapi import _native
from lossapi._conformance import transform_checks as tc


def test_native_matches_generic(native_loss, native_backend, case, assert_checks, require):
    require(native_backend)
    assert_checks(tc.check_native(native_loss, native_backend))


def test_some_losses_have_a_numpy_fast_path():
    assert any("numpy" in _native.native_backends(r.name) for r in lossapi.catalog())


def test_fast_paths_belong_to_catalog_losses():
    names = {r.name for r in lossapi.catalog()}
    assert {loss for loss, _ in _native._FAST} <= names


def test_some_losses_have_a_torch_fast_path():
    # Guards the parametrization above against silently becoming empty.
    assert any("torch" in _native.native_backends(r.name) for r in lossapi.catalog())


def test_native_check_catches_a_diverging_fast_path(monkeypatch, require):
    require("torch")
    import torch

    def off_by_a_bit(pred, target, *, sample_weight, where, reduction):
        if sample_weight is not None or where is not None:
            return NotImplemented
        return torch.nn.functional.mse_loss(pred, target, reduction=reduction) * (1 + 1e-6)

    monkeypatch.setitem(_native._FAST, ("mean_squared_error", "torch"), off_by_a_bit)
    (r,) = tc.check_native("mean_squared_error", "torch")
    assert not r.ok


def test_native_check_fails_when_the_fast_path_never_engages(monkeypatch, require):
    require("torch")
    monkeypatch.setitem(_native._FAST, ("mean_squared_error", "torch"), lambda *a, **k: NotImplemented)
    (r,) = tc.check_native("mean_squared_error", "torch")
    assert not r.ok and "declined" in r.detail
