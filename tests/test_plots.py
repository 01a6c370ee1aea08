"""Plots: files in each format, the same bytes for the same run, the right data on the axes,
and a clear message without matplotlib."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from leapforecast.engine.results import QUANTILES
from leapforecast.engine.run import simulate
from leapforecast.errors import LeapforecastError, UsageError
from leapforecast.model.scenario import load_scenario
from leapforecast.report.plots import exceedance_curve, fan_chart, run_figure, save_figure

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF"}


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario(), paths=5000, seed=2)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_run_plot_in_each_format_is_reproducible(cli, tmp_path, fmt):
    target = tmp_path / f"fan.{fmt}"
    args = ("run", "-n", "3000", "--seed", "1", "--plot", str(target), "-f", "csv")
    code, out, err = cli(*args)
    assert code == 0 and err == "" and out.startswith("scenario,")
    first = target.read_bytes()
    assert first.startswith(MAGIC[fmt]) and len(first) > 5000
    assert cli(*args)[0] == 0 and target.read_bytes() == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_exceedance_curve_is_p_units_at_least_x(result):
    ax = exceedance_curve(result, 2027)
    curve = ax.lines[0]
    x, y = (np.asarray(v, float) for v in curve.get_data())
    units = result.totals[:, 1].astype(np.float64)
    for i in range(0, len(x), max(1, len(x) // 25)):
        assert y[i] == pytest.approx(np.mean(units >= x[i]), abs=2 / len(units))
    assert np.all(np.diff(y) <= 0)
    marks = [line for line in ax.lines if line.get_marker() == "o"]
    assert [float(m.get_ydata()[0]) for m in marks] == [
        pytest.approx(result.probability(t, 2027)) for t in result.targets
    ]


def test_fan_chart_median_line(result):
    ax = fan_chart(result)
    median = next(line for line in ax.lines if line.get_label() == "median")
    np.testing.assert_allclose(median.get_ydata()[1:], result.quantiles[QUANTILES.index(50)])
    assert median.get_ydata()[0] == result.base_units


def test_save_checks_the_path(result, tmp_path, write_scenario):
    fig = run_figure(result)
    with pytest.raises(UsageError, match="unknown format"):
        save_figure(fig, tmp_path / "a.gif")
    with pytest.raises(UsageError, match="does not exist"):
        save_figure(fig, tmp_path / "nope" / "a.png")
    src = write_scenario("[growth]\nrate = 0.3\n", "in.svg")
    with pytest.raises(UsageError, match="refusing to overwrite"):
        save_figure(fig, src, inputs=[str(src)])


def test_missing_matplotlib_is_a_clear_error(monkeypatch, result, cli, tmp_path):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(LeapforecastError, match=r"pip install 'leapforecast\[plot\]'"):
        run_figure(result)
    code, out, err = cli("run", "-n", "500", "--plot", str(tmp_path / "x.png"))
    assert code == 2 and out == ""
    assert err.strip() == "error: plots need matplotlib: pip install 'leapforecast[plot]'"
