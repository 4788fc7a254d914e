"""lossapi.plotting and ``lossapi plot``: a curve for every catalog loss, gradients that match
finite differences of the loss curve, PNG output, the CLI and the missing-matplotlib message."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

import lossapi as la
from lossapi import plotting
from lossapi._errors import InvalidOptionError, MissingDependencyError
from lossapi.cli import main

NAMES = [r.name for r in la.catalog()]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
H = 1e-6  # finite-difference step on the sweep axis
#: Losses whose gradient treats some factors as constants (the Circle loss's pair weights).
HELD_CONSTANT = frozenset({"circle"})


def _fd(name: str, x: np.ndarray) -> np.ndarray:
    """Central differences of the loss curve itself at ``x``."""
    up = plotting.loss_curve(name, x=x + H, gradient="torch").loss
    down = plotting.loss_curve(name, x=x - H, gradient="torch").loss
    return (up - down) / (2 * H)


@pytest.mark.parametrize("name", NAMES)
def test_curve_finite_and_gradient_matches_fd(name):
    pytest.importorskip("torch")
    c = plotting.loss_curve(name, num=61, gradient="torch")
    assert c.x.shape == (61,)
    assert c.loss.shape == c.grad.shape == (len(c.labels), 61)
    assert np.isfinite(c.loss).all() and np.isfinite(c.grad).all()
    assert c.gradient_method == "torch" and c.description and c.xlabel
    if name in HELD_CONSTANT:
        # Its gradient holds part of the formula constant (a documented convention), so it is
        # not the derivative of the curve; tests/test_metric.py compares it with the peer's.
        return
    fd = _fd(name, c.x)
    err = np.abs(fd - c.grad) / (1e-3 + np.abs(fd).max())
    if la.lookup_loss(name).smooth:
        assert err.max() < 1e-5, (name, err.max())
    else:
        # kinks (hinge corners, clip boundaries) may fall on a sweep point: most points must agree
        assert (err < 1e-5).mean() >= 0.9, (name, np.sort(err)[-5:])


def test_aliases_and_defaults():
    c = plotting.loss_curve("mse", num=5)
    assert c.name == "mean_squared_error"
    np.testing.assert_allclose(c.loss[0], c.x**2)
    np.testing.assert_allclose(c.grad[0], 2 * c.x)
    huber = plotting.loss_curve("huber", num=7)
    assert huber.labels == ("delta=1.0", "delta=2.0")
    # the caller's option replaces the varied one: the two lines merge into one
    one = plotting.loss_curve("huber", num=7, options={"delta": 0.5})
    assert one.labels == ("delta=0.5",) and one.options["delta"] == 0.5
    np.testing.assert_allclose(
        one.loss[0], np.where(np.abs(one.x) <= 0.5, 0.5 * one.x**2, 0.5 * (np.abs(one.x) - 0.25))
    )


def test_binary_logit_curve_values():
    c = plotting.loss_curve("binary_cross_entropy_with_logits", x=[-2.0, 0.0, 3.0])
    assert c.labels == ("target 1", "target 0")
    x = c.x
    np.testing.assert_allclose(c.loss[0], np.log1p(np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(c.loss[1], np.log1p(np.exp(x)), rtol=1e-12)
    np.testing.assert_allclose(c.grad[0], 1 / (1 + np.exp(-x)) - 1, rtol=1e-10)


@pytest.mark.parametrize("method", ["jax", "finite differences"])
def test_other_gradient_methods_agree(method):
    if method == "jax":
        pytest.importorskip("jax")
    ref = plotting.loss_curve("log_cosh", num=21)
    c = plotting.loss_curve("log_cosh", num=21, gradient=method)
    assert c.gradient_method == method
    np.testing.assert_allclose(c.grad, np.tanh(ref.x)[None], atol=1e-8)


def test_bad_arguments():
    with pytest.raises(KeyError, match="hubr"):
        plotting.loss_curve("hubr")
    with pytest.raises(InvalidOptionError, match="no option"):
        plotting.loss_curve("huber", options={"beta": 1.0})
    with pytest.raises(InvalidOptionError, match="fixes"):
        plotting.loss_curve("soft_f1", options={"per_sample": False})
    with pytest.raises(InvalidOptionError, match="gradient"):
        plotting.loss_curve("huber", gradient="autograd")
    with pytest.raises(InvalidOptionError, match="different axes"):
        plotting.plot_gallery(["huber", "hinge"])


def _check_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 10_000  # a real two-panel plot, not an empty canvas
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 600 and height >= 300


def test_plot_loss_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "huber.png"
    fig = plotting.plot_loss("huber", out=out)
    _check_png(out)
    assert [a.get_title() for a in fig.axes] == ["loss", "gradient d loss / d x"]
    assert len(fig.axes[0].get_lines()) == 3  # two deltas + the zero line
    assert "torch autograd" in " ".join(t.get_text() for t in fig.texts)


def test_plot_loss_on_given_axes_and_gallery(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    assert plotting.plot_loss("hinge", ax=ax) is fig
    assert len(fig.axes) == 2  # the twin axis of the gradient
    out = tmp_path / "gallery.png"
    g = plotting.plot_gallery(
        ["hinge", "soft_margin", "binary_cross_entropy_with_logits"], out=out, title="margin", ylim=(0, 4)
    )
    _check_png(out)
    assert [ln.get_label() for ln in g.axes[0].get_lines()][:3] == [
        "hinge",
        "soft_margin",
        "binary_cross_entropy_with_logits (target 1)",
    ]
    assert g.axes[0].get_ylim() == (0.0, 4.0)


def test_cli_plot_writes_file(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    out = tmp_path / "q.png"
    assert main(["plot", "quantile", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    _check_png(out)
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "mse"]) == 0
    assert capsys.readouterr().out.strip() == "mse.png"
    _check_png(tmp_path / "mse.png")


def test_cli_plot_unknown_name_suggests(capsys):
    assert main(["plot", "hubber"]) == 2
    err = capsys.readouterr().err
    assert "no loss named 'hubber'" in err and "did you mean huber" in err


def _without_matplotlib(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_missing_matplotlib(monkeypatch, tmp_path, capsys):
    _without_matplotlib(monkeypatch)
    with pytest.raises(MissingDependencyError, match=r'pip install "lossapi\[plot\]"'):
        plotting.plot_loss("huber")
    # the curve itself needs no matplotlib
    assert plotting.loss_curve("huber", num=3).loss.shape == (2, 3)
    assert main(["plot", "huber", "--out", str(tmp_path / "h.png")]) == 2
    assert 'pip install "lossapi[plot]"' in capsys.readouterr().err
    assert not (tmp_path / "h.png").exists()
