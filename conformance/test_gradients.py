"""Gradients: torch autograd and jax.grad against finite differences of the float64 oracle.

Also: kinks (subgradient between the one-sided differences, torch == JAX), ``where``-masked
NaN/inf entries, all-zero weights, and second derivatives of smooth losses. The last tests
prove the checks can fail: they feed deliberately broken losses to the same machinery.
"""

from __future__ import annotations

import dataclasses

import array_api_compat
import pytest

import lossapi
from lossapi._conformance import grad_checks as gc


@pytest.fixture
def shared():
    """The checks of one loss reuse each other's gradients and finite differences (conftest runs
    them back to back)."""
    with gc.sharing():
        yield


def test_gradients_match_finite_differences(loss_name, ad_backend, case, assert_checks, shared):
    assert_checks(gc.check_gradients(loss_name, ad_backend))


def test_edge_gradients(loss_name, ad_backend, case, assert_checks, shared):
    assert_checks(gc.check_edge_gradients(loss_name, ad_backend))


def test_where_masked_nan_inf_gradients(loss_name, ad_backend, case, assert_checks):
    assert_checks(gc.check_masked_gradients(loss_name, ad_backend))


def test_zero_sample_weight_gives_zero_gradient(loss_name, ad_backend, case, assert_checks):
    assert_checks(gc.check_zero_weight_gradients(loss_name, ad_backend))


def test_torch_and_jax_gradients_agree(loss_name, case, assert_checks, require, shared):
    require("torch", "jax")
    assert_checks(gc.check_gradient_agreement(loss_name))


def test_second_derivatives(smooth_loss, ad_backend, case, assert_checks):
    assert_checks(gc.check_second_derivatives(smooth_loss, ad_backend))


def test_shared_evaluations_give_the_same_results(require):
    require("torch", "jax")

    def run():
        # Kinks, edges and random points; the agreement check reads what the others computed.
        out = [*gc.check_gradients("huber", "torch"), *gc.check_edge_gradients("huber", "jax")]
        return [*out, *gc.check_gradient_agreement("huber")]

    alone = run()
    with gc.sharing():
        shared = run()
    assert shared == alone


def test_every_catalog_loss_has_a_case():
    missing = [r.name for r in lossapi.catalog() if r.name not in gc.load_cases()]
    assert not missing, f"losses without a conformance case: {missing}"


# -- the checks can fail ------------------------------------------------------------------------


def _patch_record(monkeypatch, name, fn):
    rec = dataclasses.replace(lossapi.lookup_loss(name), fn=fn)
    monkeypatch.setattr(gc, "get_record", lambda n: rec if n == name else lossapi.lookup_loss(n))


def test_check_catches_a_wrong_gradient(monkeypatch, require):
    require("torch", "jax")

    def shifted(pred, target, **kw):
        # Same value as MSE, gradient w.r.t. pred off by 1/n: pred - stop_gradient(pred) is 0.
        xp = array_api_compat.array_namespace(pred)
        return lossapi.mse(pred, target, **kw) + xp.mean(pred - lossapi.stop_gradient(pred))

    _patch_record(monkeypatch, "mean_squared_error", shifted)
    for b in ("torch", "jax"):
        (r,) = gc.check_gradients("mean_squared_error", b, quick=True)
        assert not r.ok and "d/dpred" in r.detail


def test_check_catches_a_kink_convention_mismatch(monkeypatch, require):
    require("torch", "jax")
    from lossapi.losses import regression

    # jnp.abs has gradient 1 at 0 (torch.abs: 0); lossapi's abs_ exists to hide that.
    monkeypatch.setattr(regression, "abs_", lambda xp, x: xp.abs(x))
    with lossapi.native(False):
        (r,) = gc.check_gradient_agreement("mean_absolute_error", quick=True)
    assert not r.ok and "kink" in r.detail


def test_check_catches_nan_leaking_through_where(monkeypatch, require):
    require("torch")

    def leaky(pred, target, *, where=None, **kw):
        # Weighting by the mask instead of masking: 0 * NaN is NaN in value and gradient.
        xp = array_api_compat.array_namespace(pred)
        w = None if where is None else xp.astype(where, pred.dtype)
        return lossapi.mse(pred, target, sample_weight=w if kw.pop("sample_weight", None) is None else None, **kw)

    _patch_record(monkeypatch, "mean_squared_error", leaky)
    (r,) = gc.check_masked_gradients("mean_squared_error", "torch")
    assert not r.ok


@pytest.mark.parametrize("bad", ["nan", "convention"])
def test_edge_check_catches_nonfinite_or_outside_subgradient(monkeypatch, require, bad):
    require("torch")

    def broken(pred, target, **kw):
        # Same value as MAE plus a gradient-only term (x - stop_gradient(x) is 0):
        # "nan": sqrt(e^2) has a 0/0 gradient at e = 0; "convention": 2e moves the slope at
        # the kink outside the one-sided differences [-1, 1] / n.
        xp = array_api_compat.array_namespace(pred)
        e = pred - target
        extra = xp.sqrt(e * e) if bad == "nan" else 2.0 * e
        return lossapi.mae(pred, target, **kw) + xp.mean(extra - lossapi.stop_gradient(extra))

    _patch_record(monkeypatch, "mean_absolute_error", broken)
    (r,) = gc.check_edge_gradients("mean_absolute_error", "torch", quick=True)
    assert not r.ok
