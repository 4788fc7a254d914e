"""``linear_cross_entropy``: ``cross_entropy(hidden @ weight.T + bias)`` without the logits.

Known answers against ``cross_entropy`` on the explicit logits for every chunking (class chunks
of 1 to all classes, and row blocks forced by a smaller ``lossapi._streaming.BLOCK_LOGITS``);
gradients w.r.t. ``hidden``, ``weight`` and ``bias`` against those of the explicit logits on torch
(native ``autograd.Function`` and generic path, eager and ``torch.compile``) and JAX
(``custom_vjp`` eager and under ``jit``), and against ``torch.nn.functional.linear_cross_entropy``;
NaN in ignored or ``where``-excluded rows; invalid labels; and the memory: neither the JAX
compiled program nor torch's saved-for-backward tensors hold the ``(N, C)`` logits.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_ENABLE_X64", "1")

import subprocess  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lossapi as la  # noqa: E402
import lossapi._streaming as streaming  # noqa: E402

N, D, C = 11, 5, 7
REDUCTIONS = ("mean", "sum", "none")
#: Option sets: ``bias``/``class_weight`` True means "the drawn array"; ``ignore_index`` labels
#: are written into some rows.
OPTION_SETS = [
    {},
    {"bias": True},
    {"class_weight": True},
    {"ignore_index": 3},
    {"label_smoothing": 0.2},
    {"bias": True, "class_weight": True, "ignore_index": -100, "label_smoothing": 0.1},
]
CHUNKS = (None, 1, 2, 3, 5, C, 50)


def _data(seed: int = 0, n: int = N) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "hidden": rng.normal(size=(n, D)),
        "weight": rng.normal(0.0, 0.7, size=(C, D)),
        "bias": rng.normal(size=C),
        "class_weight": rng.uniform(0.2, 2.0, size=C),
        "labels": rng.integers(0, C, size=n),
    }


def _setup(opts: dict[str, Any], seed: int = 0, n: int = N) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, keyword options) of one option set; labels hold ``ignore_index`` in rows 1 and 4."""
    x = _data(seed, n)
    kw: dict[str, Any] = {k: v for k, v in opts.items() if k not in ("bias", "class_weight")}
    if opts.get("class_weight"):
        kw["class_weight"] = x["class_weight"]
    if "ignore_index" in opts:
        x["labels"][[1, 4]] = opts["ignore_index"]
    if not opts.get("bias"):
        x["bias"] = np.zeros(C)
    return x, kw


def _ce_kw(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if k != "chunk_size"}


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 6 logits: 6 // chunk rows per block, so every chunking splits the rows too."""
    monkeypatch.setattr(streaming, "BLOCK_LOGITS", 6)


@pytest.fixture
def few_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 16 logits: 2 row blocks of 8 with chunks of 2 classes (JAX traces every block)."""
    monkeypatch.setattr(streaming, "BLOCK_LOGITS", 16)


# -- values ---------------------------------------------------------------------------------------


def test_known_answer():
    # logits (1, 0) and (0, 2) + bias (0.5, 0): labels 0 and 1
    h = np.array([[1.0, 0.0], [0.0, 2.0]])
    w = np.eye(2)
    b = np.array([0.5, 0.0])
    want = np.array([np.log1p(np.exp(-1.5)), np.log1p(np.exp(0.5 - 2.0))])
    for cs in (None, 1):
        got = la.linear_cross_entropy(h, w, np.array([0, 1]), bias=b, chunk_size=cs, reduction="none")
        np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize("blocks", ["default", "small"])
@pytest.mark.parametrize("opts", OPTION_SETS, ids=str)
def test_equals_cross_entropy_of_the_logits(opts, blocks, request):
    if blocks == "small":
        request.getfixturevalue("small_blocks")
    x, kw = _setup(opts)
    logits = x["hidden"] @ x["weight"].T + x["bias"]
    rng = np.random.default_rng(1)
    sw = rng.uniform(0.1, 2.0, N)
    where = rng.random(N) < 0.7
    for cs in CHUNKS:
        for red in REDUCTIONS:
            for extra in ({}, {"sample_weight": sw}, {"where": where}):
                got = la.linear_cross_entropy(
                    x["hidden"], x["weight"], x["labels"], bias=x["bias"], chunk_size=cs, reduction=red, **kw, **extra
                )
                want = la.cross_entropy(logits, x["labels"], reduction=red, **_ce_kw(kw), **extra)
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"chunk_size={cs} {red} {extra}")


def test_leading_batch_dims_and_float32(small_blocks):
    x, _ = _setup({})
    h = np.concatenate([x["hidden"], x["hidden"][:1]]).reshape(2, 3, 2, D)
    y = np.concatenate([x["labels"], x["labels"][:1]]).reshape(2, 3, 2)
    got = la.linear_cross_entropy(h, x["weight"], y, chunk_size=3, reduction="none")
    want = la.cross_entropy(h @ x["weight"].T, y, reduction="none")
    assert got.shape == (2, 3, 2)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got32 = la.linear_cross_entropy(h.astype(np.float32), x["weight"].astype(np.float32), y, chunk_size=2)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, np.mean(want), rtol=1e-5)


def test_saturated_logits_are_finite():
    h = np.array([[1e4, 0.0], [0.0, -1e4]])
    w = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    for cs in (None, 1, 2):
        got = la.linear_cross_entropy(h, w, np.array([1, 0]), chunk_size=cs, reduction="none")
        want = la.cross_entropy(h @ w.T, np.array([1, 0]), reduction="none")
        np.testing.assert_allclose(got, want, rtol=1e-12)
        assert np.all(np.isfinite(got))


# -- torch -------------------------------------------------------------------------------------------


def _torch_grads(torch, fn, x: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """(value, d/dhidden, d/dweight, d/dbias) of ``fn(hidden, weight, bias)`` in float64."""
    h, w, b = (torch.tensor(x[k], requires_grad=True) for k in ("hidden", "weight", "bias"))
    out = fn(h, w, b)
    out.backward()
    return tuple(a.detach().numpy() for a in (out, h.grad, w.grad, b.grad))


def _torch_lce(torch, x: dict[str, np.ndarray], kw: dict[str, Any], red: str = "mean", **extra: Any):
    """lossapi on torch tensors, as a function of (hidden, weight, bias)."""
    y = torch.as_tensor(x["labels"])
    tkw = {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in {**kw, **extra}.items()}

    def lce(h, w, b):
        return la.linear_cross_entropy(h, w, y, bias=b, reduction=red, **tkw)

    def ce(h, w, b):
        return la.cross_entropy(h @ w.T + b, y, reduction=red, **_ce_kw(tkw))

    return lce, ce


@pytest.mark.parametrize("native", [True, False], ids=["native", "generic"])
@pytest.mark.parametrize("opts", OPTION_SETS, ids=str)
def test_torch_gradients_equal_those_of_the_logits(torch, opts, native, small_blocks):
    x, kw = _setup(opts)
    rng = np.random.default_rng(2)
    weights = {"sample_weight": torch.as_tensor(rng.uniform(0.1, 2.0, N))}
    for cs in (None, 1, 3):
        for red, extra in (("mean", {}), ("sum", weights), ("mean", weights)):
            lce, ce = _torch_lce(torch, x, {**kw, "chunk_size": cs}, red, **extra)
            with la.native(native):
                got = _torch_grads(torch, lce, x)
            want = _torch_grads(torch, ce, x)
            for name, g, e in zip(("value", "hidden", "weight", "bias"), got, want):
                np.testing.assert_allclose(g, e, rtol=1e-11, atol=1e-13, err_msg=f"{name} chunk_size={cs} {red}")


def _native_ignore(x: dict[str, np.ndarray], kw: dict[str, Any]) -> int:
    """torch's ignore_index for lossapi's: the same, or a value no label has."""
    ii = kw.get("ignore_index")
    return ii if ii is not None else int(min(x["labels"].min(), 0)) - 1


@pytest.mark.parametrize("opts", OPTION_SETS, ids=str)
def test_torch_linear_cross_entropy_counterpart(torch, opts):
    import torch.nn.functional as F

    x, kw = _setup(opts)
    y = torch.as_tensor(x["labels"])
    cw = kw.get("class_weight")

    def native(h, w, b):
        return F.linear_cross_entropy(
            h,
            w,
            y,
            linear_bias=b,
            weight=None if cw is None else torch.as_tensor(cw),
            ignore_index=_native_ignore(x, kw),
            label_smoothing=kw.get("label_smoothing", 0.0),
            reduction="mean",
        )

    want = _torch_grads(torch, native, x)
    for cs in (None, 2):
        lce, _ = _torch_lce(torch, x, {**kw, "chunk_size": cs})
        got = _torch_grads(torch, lce, x)
        for name, g, e in zip(("value", "hidden", "weight", "bias"), got, want):
            np.testing.assert_allclose(g, e, rtol=1e-11, atol=1e-13, err_msg=f"{name} chunk_size={cs}")


def test_torch_compile(torch):
    x, kw = _setup({"bias": True, "class_weight": True, "ignore_index": -100, "label_smoothing": 0.1})
    lce, ce = _torch_lce(torch, x, {**kw, "chunk_size": 3})
    compiled = torch.compile(lce, fullgraph=True)
    got = _torch_grads(torch, compiled, x)
    want = _torch_grads(torch, ce, x)
    for name, g, e in zip(("value", "hidden", "weight", "bias"), got, want):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-13, err_msg=name)


@pytest.mark.parametrize("native", [True, False], ids=["native", "generic"])
def test_torch_nan_in_ignored_and_excluded_rows(torch, native, small_blocks):
    x, kw = _setup({"ignore_index": -100, "bias": True})
    where = np.ones(N, dtype=bool)
    where[[2, 7]] = False
    clean = dict(x)
    x["hidden"] = x["hidden"].copy()
    x["hidden"][[1, 4, 2, 7]] = np.array([np.nan, np.inf, -np.inf, np.nan])[:, None]
    wt = {"where": torch.as_tensor(where)}
    lce, _ = _torch_lce(torch, x, {**kw, "chunk_size": 2}, **wt)
    with la.native(native):
        got = _torch_grads(torch, lce, x)
    for g in got:
        assert np.all(np.isfinite(g))
    assert not np.any(got[1][[1, 4, 2, 7]])
    # Equal to the batch whose ignored / excluded rows hold finite values.
    lce, ce = _torch_lce(torch, clean, {**kw, "chunk_size": 2}, **wt)
    want = _torch_grads(torch, ce, clean)
    for name, g, e in zip(("value", "hidden", "weight", "bias"), got, want):
        np.testing.assert_allclose(g, e, rtol=1e-11, atol=1e-13, err_msg=name)


@pytest.mark.parametrize("native", [True, False], ids=["native", "generic"])
def test_torch_invalid_labels(torch, native):
    x, _ = _setup({})
    y = x["labels"].copy()
    y[[3, 8]] = [C, -1]
    h, w = torch.tensor(x["hidden"], requires_grad=True), torch.tensor(x["weight"], requires_grad=True)
    with la.native(native):
        none = la.linear_cross_entropy(h, w, torch.as_tensor(y), chunk_size=2, reduction="none")
        assert torch.isnan(la.linear_cross_entropy(h, w, torch.as_tensor(y))).item()
    bad = np.zeros(N, dtype=bool)
    bad[[3, 8]] = True
    v = none.detach().numpy()
    assert np.all(np.isnan(v[bad]))
    want = la.cross_entropy(x["hidden"][~bad] @ x["weight"].T, y[~bad], reduction="none")
    np.testing.assert_allclose(v[~bad], want, rtol=1e-12)
    with pytest.raises(la.InvalidValueError), la.check_values():
        la.linear_cross_entropy(x["hidden"], x["weight"], y)


def test_torch_saves_no_logits_for_backward(torch):
    """Bytes of the tensors autograd keeps for the backward pass: the streaming path keeps the
    inputs and a few values per row, the explicit logits keep (N, C) blocks."""
    n, d, c = 512, 16, 4096
    rng = np.random.default_rng(3)
    h = torch.tensor(rng.normal(size=(n, d)), dtype=torch.float32, requires_grad=True)
    w = torch.tensor(rng.normal(size=(c, d)), dtype=torch.float32, requires_grad=True)
    y = torch.as_tensor(rng.integers(0, c, n))
    logits_bytes = n * c * 4

    def saved_bytes(fn) -> int:
        total = 0

        def pack(t):
            nonlocal total
            total += t.numel() * t.element_size()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            fn()
        return total

    streamed = saved_bytes(lambda: la.linear_cross_entropy(h, w, y, chunk_size=512))
    unfused = saved_bytes(lambda: la.cross_entropy(h @ w.T, y))
    assert unfused >= logits_bytes
    assert streamed < 0.1 * logits_bytes, (streamed, logits_bytes)


# -- JAX ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("opts", [OPTION_SETS[1], OPTION_SETS[-1]], ids=str)
def test_jax_gradients_equal_those_of_the_logits(jax, opts, few_blocks):
    import jax.numpy as jnp

    x, kw = _setup(opts)
    y = jnp.asarray(x["labels"])
    jkw = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    sw = jnp.asarray(np.random.default_rng(4).uniform(0.1, 2.0, N))
    args = tuple(jnp.asarray(x[k]) for k in ("hidden", "weight", "bias"))

    def ce(h, w, b):
        return la.cross_entropy(h @ w.T + b, y, sample_weight=sw, **_ce_kw(jkw))

    want = jax.value_and_grad(ce, argnums=(0, 1, 2))(*args)
    for cs in (None, 2):

        def lce(h, w, b, cs=cs):
            return la.linear_cross_entropy(h, w, y, bias=b, chunk_size=cs, sample_weight=sw, **jkw)

        for how, fn in (("eager", jax.value_and_grad), ("jit", lambda f, **k: jax.jit(jax.value_and_grad(f, **k)))):
            val, grads = fn(lce, argnums=(0, 1, 2))(*args)
            np.testing.assert_allclose(val, want[0], rtol=1e-12, err_msg=f"value {how} chunk_size={cs}")
            for name, g, e in zip(("hidden", "weight", "bias"), grads, want[1]):
                np.testing.assert_allclose(g, e, rtol=1e-11, atol=1e-13, err_msg=f"{name} {how} chunk_size={cs}")


def test_jax_nan_in_ignored_and_excluded_rows(jax):
    import jax.numpy as jnp

    x, _ = _setup({"ignore_index": -100})
    h = x["hidden"].copy()
    h[[1, 4, 6]] = np.nan
    where = np.ones(N, dtype=bool)
    where[6] = False
    y, wh = jnp.asarray(x["labels"]), jnp.asarray(where)

    def lce(h, w):
        return la.linear_cross_entropy(h, w, y, ignore_index=-100, where=wh, chunk_size=3)

    for fn in (jax.grad(lce, argnums=(0, 1)), jax.jit(jax.grad(lce, argnums=(0, 1)))):
        gh, gw = fn(jnp.asarray(h), jnp.asarray(x["weight"]))
        assert np.all(np.isfinite(gh)) and np.all(np.isfinite(gw))
        assert not np.any(np.asarray(gh)[[1, 4, 6]])


def _jax_temp_bytes(jax, f) -> tuple[int, int]:
    """(XLA's temporary bytes of ``jit(value_and_grad(f))``, the logits' bytes) at N=2048, D=64,
    C=8192 in float32."""
    import jax.numpy as jnp

    n, d, c = 2048, 64, 8192
    args = (
        jax.ShapeDtypeStruct((n, d), jnp.float32),
        jax.ShapeDtypeStruct((c, d), jnp.float32),
        jax.ShapeDtypeStruct((n,), jnp.int32),
    )
    compiled = jax.jit(jax.value_and_grad(f, argnums=(0, 1))).lower(*args).compile()
    return int(compiled.memory_analysis().temp_size_in_bytes), n * c * 4


def test_jax_unfused_program_holds_the_logits(jax):
    """The measurement sees the logits: the explicit formula needs at least their size."""
    unfused, logits_bytes = _jax_temp_bytes(jax, lambda h, w, y: la.cross_entropy(h @ w.T, y))
    assert unfused >= logits_bytes, (unfused, logits_bytes)


def test_jax_compiled_program_holds_no_logits(jax):
    """XLA's temporary buffers of value_and_grad: well below the (N, C) logits."""
    streamed, logits_bytes = _jax_temp_bytes(jax, lambda h, w, y: la.linear_cross_entropy(h, w, y))
    assert streamed < 0.1 * logits_bytes, (streamed, logits_bytes)


def test_first_call_under_torch_compile():
    # a fresh interpreter whose first linear_cross_entropy call is traced by torch.compile(fullgraph)
    pytest.importorskip("torch")
    code = (
        "import torch, lossapi as la\n"
        "h = torch.randn(6, 4, requires_grad=True); w = torch.randn(5, 4); y = torch.tensor([0, 1, 2, 3, 4, 0])\n"
        "f = torch.compile(lambda h, w, y: la.linear_cross_entropy(h, w, y), fullgraph=True)\n"
        "out = f(h, w, y); out.backward()\n"
        "want = torch.nn.functional.cross_entropy(h @ w.T, y)\n"
        "assert torch.allclose(out, want, atol=1e-6), (out, want)\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-2000:]
