"""Scale beyond one device: losses on a dask.distributed cluster and on sharded JAX arrays.

Small sizes only; ``benchmarks/bench_scale.py`` runs the same code at 2e8 elements.

- Dask: ``examples/dask_distributed.py`` on an in-process ``LocalCluster`` (1 worker, 2
  threads): MSE, cross-entropy with integer labels and BCE with logits over chunked, lazily
  generated inputs equal NumPy on the materialised arrays (skipped without ``distributed``).
- JAX: a subprocess with 8 CPU devices (``XLA_FLAGS`` must be set before jax is imported,
  and this process already imported jax with one device) shards a batch over a ``Mesh`` with
  ``NamedSharding`` and evaluates the losses eagerly, under ``jax.jit`` and under ``jax.grad``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lossapi as la

ROOT = Path(__file__).resolve().parents[1]
LOSSES = ("mse", "cross_entropy", "binary_cross_entropy_with_logits")


# --------------------------------------------------------------------------- dask.distributed


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("dask_distributed_example", ROOT / "examples" / "dask_distributed.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # cloudpickle ships it by value; it must be importable by name here
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def client() -> Any:
    pytest.importorskip("dask.array", reason="dask is not installed")
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    # In-process workers keep the test fast (no process spawn); the example uses processes.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cl:
        with distributed.Client(cl) as c:
            yield c


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dask_distributed_equals_numpy(client, loss, dtype):
    ex = _example()
    elements, chunk = 60_000, 10_000  # 6 chunks (cross-entropy: 6 chunks of 1000 rows x 10 classes)
    r = ex.evaluate(client, loss, elements, chunk, num_classes=10, dtype=dtype, seed=3, check_chunks=2)
    assert r["chunks"] == 6 and r["elements"] == elements
    assert r["slice_ok"], r

    # The whole (small) data set materialised as NumPy gives the same value as the cluster.
    (pred, target), _ = ex.make_inputs(loss, elements, chunk, num_classes=10, dtype=dtype, seed=3)
    p_np, t_np = client.compute([pred, target], sync=True)
    expected = float(getattr(la, loss)(np.asarray(p_np), np.asarray(t_np)))
    rtol = 1e-5 if dtype == "float32" else 1e-12
    assert r["value"] == pytest.approx(expected, rel=rtol)
    # ... and a float64 oracle on the same data agrees to float32 accuracy.
    oracle = float(
        getattr(la, loss)(
            np.asarray(p_np, np.float64), np.asarray(t_np, np.float64 if loss != "cross_entropy" else np.int64)
        )
    )
    assert r["value"] == pytest.approx(oracle, rel=1e-5)

    # Memory was measured on the worker (the kernel's peak RSS of the process) and the
    # inputs are described without computing them.
    assert r["max_worker_peak_bytes"] > 0
    assert r["data_bytes"] == pred.nbytes + target.nbytes
    assert r["chunk_bytes"] * r["chunks"] == r["data_bytes"]


def test_dask_cross_entropy_class_axis_split_across_chunks(client):
    # lossapi's Dask path of integer-label cross-entropy compares labels with a class range
    # instead of gathering; it must also be right when the class axis spans several chunks.
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 12))
    y = rng.integers(0, 12, 300)
    lazy = la.cross_entropy(da.from_array(x, chunks=(100, 5)), da.from_array(y, chunks=100))
    assert float(client.compute(lazy).result()) == pytest.approx(float(la.cross_entropy(x, y)), rel=1e-12)


def test_example_module_rejects_unknown_loss():
    ex = _example()
    with pytest.raises(ValueError, match="unknown loss"):
        ex.loss_fn("hinge")


# --------------------------------------------------------------------------- sharded JAX

_SHARDED = textwrap.dedent(
    """
    import json, os
    import numpy as np
    import jax, jax.numpy as jnp
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    import lossapi as la

    out = {"devices": jax.device_count()}
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    rows, cols = NamedSharding(mesh, P("batch")), NamedSharding(mesh, P("batch", None))
    rng = np.random.default_rng(0)
    data = {
        "cross_entropy": (rng.standard_normal((64, 10)).astype(np.float32), rng.integers(0, 10, 64)),
        "mse": (rng.standard_normal(64).astype(np.float32), rng.standard_normal(64).astype(np.float32)),
        "binary_cross_entropy_with_logits": (rng.standard_normal(64).astype(np.float32),
                                             (rng.random(64) < 0.5).astype(np.float32)),
    }

    def describe(a):
        return {"n_devices": len(a.sharding.device_set), "n_shards": len(a.addressable_shards),
                "shard_shape": list(a.addressable_shards[0].data.shape)}

    for name, (p, t) in data.items():
        fn = getattr(la, name)
        ps = jax.device_put(p, cols if p.ndim == 2 else rows)
        ts = jax.device_put(t, rows)
        p64 = p.astype(np.float64)
        t64 = t if name == "cross_entropy" else t.astype(np.float64)
        r = {"pred": describe(ps), "target": describe(ts),
             "oracle": float(fn(p64, t64)),  # NumPy float64
             "unsharded": float(jax.jit(fn)(jnp.asarray(p), jnp.asarray(t)))}
        r["jit"] = float(jax.jit(fn)(ps, ts))
        try:  # eager on sharded inputs: the dispatcher sees the shardings, not tracers
            r["eager"] = float(fn(ps, ts))
        except Exception as e:
            r["eager_error"] = f"{type(e).__name__}: {e}"
        g = jax.jit(jax.grad(fn))(ps, ts)
        g_ref = jax.grad(fn)(jnp.asarray(p), jnp.asarray(t))
        r["grad"] = describe(g)
        r["grad_sharding_equivalent"] = bool(g.sharding.is_equivalent_to(ps.sharding, ps.ndim))
        r["grad_max_abs_diff"] = float(np.max(np.abs(np.asarray(g) - np.asarray(g_ref))))
        r["grad_max_abs"] = float(np.max(np.abs(np.asarray(g_ref))))
        out[name] = r
    print("RESULT " + json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def sharded() -> dict[str, Any]:
    pytest.importorskip("jax", reason="jax is not installed")
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu"}
    res = subprocess.run(
        [sys.executable, "-c", _SHARDED], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT, check=False
    )
    assert res.returncode == 0, res.stderr[-4000:]
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def test_sharded_inputs_span_8_devices(sharded):
    assert sharded["devices"] == 8
    for name in LOSSES:
        r = sharded[name]
        for key in ("pred", "target"):
            assert r[key]["n_devices"] == 8 and r[key]["n_shards"] == 8, (name, key, r[key])
            assert r[key]["shard_shape"][0] == 64 // 8, (name, key, r[key])


@pytest.mark.parametrize("loss", LOSSES)
def test_sharded_jit_equals_unsharded_and_oracle(sharded, loss):
    r = sharded[loss]
    assert r["jit"] == pytest.approx(r["unsharded"], rel=1e-6)
    assert r["jit"] == pytest.approx(r["oracle"], rel=1e-5)


@pytest.mark.parametrize("loss", LOSSES)
def test_sharded_grad_stays_sharded_like_the_input(sharded, loss):
    r = sharded[loss]
    assert r["grad"] == r["pred"]
    assert r["grad_sharding_equivalent"]
    assert r["grad_max_abs_diff"] <= 1e-6 * max(r["grad_max_abs"], 1.0)


@pytest.mark.parametrize("loss", LOSSES)
def test_sharded_eager_call_is_not_a_device_mismatch(sharded, loss):
    # Sharded arrays report a Sharding as their device. Logits sharded P("batch", None) and
    # labels sharded P("batch") span the same 8 devices and must not be rejected.
    r = sharded[loss]
    assert "eager_error" not in r, r["eager_error"]
    assert r["eager"] == pytest.approx(r["oracle"], rel=1e-5)
