"""Namespace and device resolution (``lossapi._dispatch``)."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import array_api_compat
import numpy as np
import pytest

import lossapi as la
from lossapi import _dispatch
from lossapi._dispatch import backend_name, get_namespace

_IS_NAMESPACE = {
    "numpy": array_api_compat.is_numpy_namespace,
    "array_api_strict": array_api_compat.is_array_api_strict_namespace,
    "torch": array_api_compat.is_torch_namespace,
    "jax": array_api_compat.is_jax_namespace,
    "dask": array_api_compat.is_dask_namespace,
}


# --------------------------------------------------------------------------- namespaces


def test_namespace_per_backend(backend):
    a = backend.asarray([1.0, 2.0])
    b = backend.asarray([0.5, 0.5])
    ns = get_namespace("f", "pred target", a, b)
    assert _IS_NAMESPACE[backend.name](ns)
    for other, check in _IS_NAMESPACE.items():
        if other != backend.name:
            assert not check(ns), f"{backend.name} arrays resolved to a {other} namespace"
    assert backend_name(ns) == backend.name
    # the namespace is usable: it computes on the inputs
    assert backend.to_numpy(ns.sum(a - b)).tolist() == pytest.approx(2.0)


def test_cache_hit_returns_same_namespace_and_is_keyed_by_types(backend):
    _dispatch.clear_cache()
    a = backend.asarray([1.0, 2.0])
    b = backend.asarray([3.0, 4.0])
    ns1 = get_namespace("f", "pred target", a, b)
    key = (type(a), type(b))
    assert key in _dispatch._CACHE
    assert _dispatch._CACHE[key][0] is ns1
    assert len(_dispatch._CACHE) == 1
    # different arrays of the same types: a cache hit, same namespace object, no new entry
    c = backend.asarray([[5.0]])
    ns2 = get_namespace("f", "pred target", c, c)
    assert ns2 is ns1
    assert len(_dispatch._CACHE) == 1
    # a different tuple of types is a different key
    get_namespace("f", "pred target", a, None)
    assert (type(a), type(None)) in _dispatch._CACHE
    assert len(_dispatch._CACHE) == 2


def test_cache_hit_is_really_used():
    """A planted cache entry is returned without inspecting the arrays again."""
    _dispatch.clear_cache()
    sentinel = object()

    class Fake:
        pass

    _dispatch._CACHE[(Fake, Fake)] = (sentinel, None, None)
    try:
        assert get_namespace("f", "a b", Fake(), Fake()) is sentinel
    finally:
        _dispatch.clear_cache()
    with pytest.raises(la.InputTypeError):
        get_namespace("f", "a b", Fake(), Fake())


def test_python_scalars_and_none_are_ignored(backend):
    a = backend.asarray([1.0, 2.0])
    ns = get_namespace("f", "pred target w x y z", a, None, 1.5, 2, True, None)
    assert _IS_NAMESPACE[backend.name](ns)
    ns2 = get_namespace("f", "x pred", 0.5, a)
    assert ns2 is ns


def test_only_scalars_raise_input_type_error():
    with pytest.raises(la.InputTypeError, match="no array"):
        get_namespace("myloss", "pred target", 1.0, None)


def test_explicit_xp_escape_hatch():
    import array_api_compat.numpy as npx

    sentinel = object()
    # nothing is inspected: not even a list, or mixed libraries
    assert get_namespace("f", "a b", [1.0], "not an array", xp=sentinel) is sentinel
    out = la.mse(np.array([1.0, 3.0]), np.array([0.0, 0.0]), xp=npx)
    assert float(out) == 5.0


def _mixed_pairs():
    return [
        ("numpy", "torch"),
        ("jax", "numpy"),
        ("array_api_strict", "numpy"),
        ("torch", "jax"),
        ("dask", "torch"),
    ]


@pytest.mark.parametrize(("lib_pred", "lib_target"), _mixed_pairs())
def test_mixed_libraries_raise(lib_pred, lib_target):
    from _backends import load_backend

    bp, bt = load_backend(lib_pred), load_backend(lib_target)
    pred = bp.asarray([1.0, 2.0])
    target = bt.asarray([1.0, 0.0])
    with pytest.raises(la.NamespaceMismatchError) as info:
        la.mean_squared_error(pred, target)
    err = info.value
    assert isinstance(err, TypeError)
    assert isinstance(err, la.LossapiError)
    msg = str(err)
    assert "mean_squared_error" in msg
    assert lib_pred in msg and lib_target in msg
    assert "`pred`" in msg and "`target`" in msg
    assert "Convert" in msg and "asarray" in msg
    # never cached: the same call keeps failing
    with pytest.raises(la.NamespaceMismatchError):
        la.mean_squared_error(pred, target)


def test_mixed_libraries_in_sample_weight_named(torch):
    with pytest.raises(la.NamespaceMismatchError, match="`sample_weight`"):
        la.huber(torch.ones(3), torch.zeros(3), sample_weight=np.ones(3))


def test_numpy_scalar_next_to_torch_is_accepted(torch):
    """NumPy scalars behave like Python numbers next to another library's arrays."""
    out = la.huber(
        torch.tensor([0.5, 3.0], dtype=torch.float64),
        torch.zeros(2, dtype=torch.float64),
        delta=np.float64(1.0),
        reduction="none",
    )
    assert isinstance(out, torch.Tensor)
    assert out.tolist() == pytest.approx([0.125, 2.5])


def test_lists_raise_input_type_error():
    with pytest.raises(la.InputTypeError) as info:
        la.mse([1.0, 2.0], np.array([1.0, 2.0]))
    assert isinstance(info.value, TypeError)
    msg = str(info.value)
    assert "mean_squared_error" in msg and "`pred`" in msg and "list" in msg and "asarray" in msg
    with pytest.raises(la.InputTypeError, match=r"`target`.*tuple"):
        la.mse(np.array([1.0, 2.0]), (1.0, 2.0))


def test_unknown_type_raises_input_type_error():
    with pytest.raises(la.InputTypeError, match="`target`"):
        la.mse(np.array([1.0]), "abc")


# --------------------------------------------------------------------------- devices


def test_strict_device_mismatch(strict):
    other = strict.Device("device1")
    default = strict.asarray([1.0]).device
    assert other != default
    pred = strict.asarray([1.0, 2.0], device=other)
    target = strict.asarray([1.0, 0.0])
    with pytest.raises(la.DeviceMismatchError) as info:
        la.mean_squared_error(pred, target)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, la.LossapiError)
    msg = str(err)
    assert "device1" in msg and str(default) in msg
    assert "`pred`" in msg and "`target`" in msg and "mean_squared_error" in msg
    # checked on every call, also after the types are cached
    same = strict.asarray([1.0, 0.0], device=other)
    out = la.mean_squared_error(pred, same)
    assert out.device == other
    with pytest.raises(la.DeviceMismatchError):
        la.mean_squared_error(pred, target)


def test_strict_device_mismatch_in_sample_weight(strict):
    d1 = strict.Device("device1")
    p = strict.asarray([1.0, 2.0], device=d1)
    with pytest.raises(la.DeviceMismatchError, match="`sample_weight`"):
        la.mse(p, p, sample_weight=strict.asarray([1.0, 1.0]))


def test_torch_meta_vs_cpu(torch):
    meta = torch.ones(3, device="meta")
    cpu = torch.zeros(3)
    with pytest.raises(la.DeviceMismatchError) as info:
        la.mean_absolute_error(meta, cpu)
    msg = str(info.value)
    assert "meta" in msg and "cpu" in msg and "`pred`" in msg and "`target`" in msg
    with pytest.raises(la.DeviceMismatchError):
        la.mean_absolute_error(cpu, meta)


def test_no_device_check_inside_jit(jax):
    jnp = jax.numpy
    target = jnp.asarray([1.0, 2.0, 4.0])

    @jax.jit
    def step(pred, t):
        return la.mse(pred, t) + la.huber(pred, target)  # traced + concrete closure constant

    out = step(jnp.asarray([1.0, 1.0, 1.0]), target)
    # mse = (0 + 1 + 9)/3; huber(delta=1) = (0 + 0.5 + 2.5)/3
    assert float(out) == pytest.approx(10 / 3 + 3 / 3)
    g = jax.grad(lambda p: la.mse(p, target))(jnp.asarray([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(np.asarray(g), [0.0, -2 / 3, -2.0])


# --------------------------------------------------------------------------- import hygiene


def test_import_lossapi_imports_no_framework():
    code = (
        "import sys, lossapi, lossapi.losses\n"
        "import numpy as np\n"
        "lossapi.mse(np.ones(3), np.zeros(3))\n"
        "bad = [m for m in ('torch', 'jax', 'jaxlib', 'dask', 'cupy', 'array_api_strict') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "", f"import lossapi imported {res.stdout.strip()}"


# --------------------------------------------------------------------------- threads


def test_thread_safety_mixed_backends():
    from _backends import _import, load_backend

    names = ["numpy", "array_api_strict"] + [n for n in ("torch", "jax", "dask") if _import(n) is not None]
    backends = [load_backend(n) for n in names]
    rng = np.random.default_rng(0)
    p_np = rng.normal(size=(8, 5))
    t_np = rng.normal(size=(8, 5))
    e = p_np - t_np
    expected = {
        "mse": np.mean(e**2),
        "mae": np.mean(np.abs(e)),
        "huber": np.mean(np.where(np.abs(e) <= 1, 0.5 * e**2, np.abs(e) - 0.5)),
    }
    inputs = {b.name: (b.asarray(p_np), b.asarray(t_np)) for b in backends}
    errors: list[str] = []
    start = threading.Barrier(16)

    def work(k: int) -> int:
        start.wait()
        done = 0
        for i in range(40):
            b = backends[(k + i) % len(backends)]
            p, t = inputs[b.name]
            if i % 7 == 0:
                _dispatch.clear_cache()
            ns = get_namespace("f", "pred target", p, t)
            if backend_name(ns) != b.name:
                errors.append(f"{b.name} resolved to {backend_name(ns)}")
            for name, fn in (("mse", la.mse), ("mae", la.mae), ("huber", la.huber)):
                got = float(b.to_numpy(fn(p, t)))
                if abs(got - expected[name]) > 1e-12 * max(1.0, abs(expected[name])):
                    errors.append(f"{name} on {b.name}: {got} != {expected[name]}")
            done += 1
        return done

    with ThreadPoolExecutor(max_workers=16) as pool:
        counts = list(pool.map(work, range(16)))
    assert errors == []
    assert counts == [40] * 16


# --------------------------------------------------------------------------- cache keys per arity


@pytest.mark.parametrize("n", range(1, 10))
def test_cache_key_is_the_type_tuple_for_every_arity(n):
    """Arities 2-7 build the key spelled out, the others with map: the same tuple either way."""
    _dispatch.clear_cache()
    a = np.ones(2)
    extras = [None, 1.0, 2, True, np.float64(0.5), None, 3.0, None][: n - 1]
    args = (a, *extras)
    ns = get_namespace("f", "x", *args)
    assert tuple(type(v) for v in args) in _dispatch._CACHE
    assert len(_dispatch._CACHE) == 1
    assert get_namespace("f", "x", *args) is ns
    # the same arity with a list in the last place is another key, and still an error
    if n > 1:
        with pytest.raises(la.InputTypeError):
            get_namespace("f", " ".join(f"a{i}" for i in range(n)), *args[:-1], [1.0])


def test_cached_types_still_detect_a_mixed_library_in_any_position(torch):
    t = torch.ones(2)
    get_namespace("f", "pred target sample_weight where", t, t, None, None)
    for pos in range(4):
        args = [t, t, None, None]
        args[pos] = np.ones(2)
        with pytest.raises(la.NamespaceMismatchError):
            get_namespace("f", "pred target sample_weight where", *args)


# --------------------------------------------------------------------------- device check variants


def test_torch_pair_check_in_any_positions(torch):
    """Two tensors are checked inline (cached pair of positions), wherever they sit."""
    cpu, meta = torch.zeros(2), torch.ones(2, device="meta")
    names = "pred target sample_weight where delta"
    assert get_namespace("f", names, cpu, None, cpu, None, 1.0) is not None
    with pytest.raises(la.DeviceMismatchError, match=r"`pred`.*`sample_weight`"):
        get_namespace("f", names, cpu, None, meta, None, 1.0)
    with pytest.raises(la.DeviceMismatchError, match=r"`target`.*`where`"):
        get_namespace("f", names, None, meta, None, cpu.bool(), 1.0)
    # both on meta: no CPU tensor, the devices agree
    assert get_namespace("f", names, meta, meta, None, None, 1.0) is not None
    entry = _dispatch._CACHE[(type(cpu), type(None), type(cpu), type(None), float)]
    assert entry[1] is None and entry[2] == (0, 2)


def test_torch_three_tensors_checked(torch):
    cpu, meta = torch.zeros(2), torch.ones(2, device="meta")
    with pytest.raises(la.DeviceMismatchError, match="`sample_weight`"):
        la.huber(cpu, cpu, sample_weight=meta)
    with pytest.raises(la.DeviceMismatchError, match="`target`"):
        get_namespace("f", "pred target sample_weight", meta, cpu, meta)


def test_strict_three_arrays_device_mismatch(strict):
    d1 = strict.Device("device1")
    p = strict.asarray([1.0, 2.0], device=d1)
    w = strict.asarray([1.0, 1.0], device=d1)
    assert float(la.mse(p, p, sample_weight=w)) == 0.0
    with pytest.raises(la.DeviceMismatchError, match="`target`"):
        la.mse(p, strict.asarray([1.0, 2.0]), sample_weight=w)


def test_single_device_jax_has_no_checker(jax):
    if jax.device_count() != 1:
        pytest.skip("several JAX devices: the check is needed")
    x = jax.numpy.ones(2)
    get_namespace("f", "pred target", x, x)
    assert _dispatch._CACHE[(type(x), type(x))][1:] == (None, None)


def test_numpy_and_dask_have_no_device_check(backend):
    if backend.name not in ("numpy", "dask"):
        pytest.skip("libraries with devices are checked")
    x = backend.asarray([1.0])
    get_namespace("f", "pred target", x, x)
    assert _dispatch._CACHE[(type(x), type(x))][1:] == (None, None)


def test_jax_several_devices_compares_device_sets(jax):
    """8 CPU devices (a subprocess: XLA_FLAGS must precede the jax import): arrays on two
    different devices raise; one array sharded over all devices next to a replicated one does not."""
    import os

    code = (
        "import jax, numpy as np, lossapi as la\n"
        "from jax.sharding import Mesh, NamedSharding, PartitionSpec as P\n"
        "d = jax.devices()\n"
        "a = jax.device_put(np.ones(8, np.float32), d[0]); b = jax.device_put(np.zeros(8, np.float32), d[1])\n"
        "try:\n"
        "    la.mse(a, b); print('no error')\n"
        "except la.DeviceMismatchError as e:\n"
        "    print('mismatch', '`pred`' in str(e) and '`target`' in str(e))\n"
        "mesh = Mesh(np.array(d), ('batch',))\n"
        "x = jax.device_put(np.ones((8, 4), np.float32), NamedSharding(mesh, P('batch', None)))\n"
        "y = jax.device_put(np.zeros((8, 4), np.float32), NamedSharding(mesh, P()))\n"
        "print('sharded', float(la.mse(x, y)))\n"
    )
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu"}
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False, env=env
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\n")[:2] == ["mismatch True", "sharded 1.0"], res.stdout
