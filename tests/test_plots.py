"""Plots: files in each format, the same bytes for the same run, the right data on the axes,
and a clear message without matplotlib."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from _outside import quiet

from leapforecast.engine.results import QUANTILES
from leapforecast.engine.run import simulate
from leapforecast.errors import LeapforecastError, UsageError
from leapforecast.model.scenario import load_scenario
from leapforecast.report.plots import exceedance_curve, fan_chart, run_figure, save_figure

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF"}


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario("base"), paths=5000, seed=2)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_run_plot_in_each_format_is_reproducible(cli, tmp_path, fmt):
    target = tmp_path / f"fan.{fmt}"
    args = ("run", "-n", "3000", "--seed", "1", "--plot", str(target), "-f", "csv")
    code, out, err = cli(*args)
    assert code == 0 and quiet(err) == "" and out.startswith("scenario,")
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


# --------------------------------------------------------------------------- new charts


def test_input_labels_are_readable():
    from leapforecast.report.plots import input_label

    assert input_label("growth.rate") == "Growth rate"
    assert input_label("capacity.units") == "Capacity"
    assert input_label("event.price war.impact") == "price war: impact"
    assert input_label("event.EU tariffs bite.occurs") == "EU tariffs bite: occurs"
    assert input_label("event.Spain assembly.year") == "Spain assembly: year"
    assert input_label("segment.overseas.growth.rate") == "overseas: growth rate"
    assert input_label("capacity.schedule.2027") == "Capacity 2027"
    assert input_label("noise") == "Year-to-year noise"
    assert input_label("some_new.key") == "Some new key"


def test_fan_chart_draws_the_history_before_the_base_year(result):
    sc = load_scenario("base")
    ax = fan_chart(result, history=sc.history)
    line = next(line for line in ax.lines if line.get_label() == "history")
    years = list(line.get_xdata())
    assert years[0] == sc.history.years[0] and years[-1] == result.base_year
    assert list(line.get_ydata()) == [float(u) for u in sc.history.units]


def _overlaps(fig, texts, others) -> list[tuple[str, str]]:
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text()]
    bad = []
    for name, box in boxes:
        for other_name, other in others:
            if box.overlaps(other):
                bad.append((name, other_name))
    return bad


def test_bear_fan_target_labels_clear_of_legend_and_frame():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    sc = load_scenario("bear")
    res = simulate(sc, paths=3000, seed=1)
    fig = run_figure(res, history=sc.history)
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text() in {"500k", "750k", "1M"}]
    assert len(labels) == 3
    frame = ax.get_window_extent(renderer)
    legend = ax.get_legend().get_window_extent(renderer)
    for label in labels:
        box = label.get_window_extent(renderer)
        assert box.x0 > frame.x1  # outside the frame, right of it
        assert not box.overlaps(legend)


def test_histogram_and_svg_are_deterministic(result, tmp_path):
    from leapforecast.report.plots import figure_svg, histogram_figure

    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    save_figure(histogram_figure(result, 2026), a)
    save_figure(histogram_figure(result, 2026), b)
    assert a.read_bytes() == b.read_bytes() and a.read_bytes().startswith(b"<?xml")
    png = save_figure(histogram_figure(result, 2026), tmp_path / "h.png")
    assert png.read_bytes().startswith(MAGIC["png"])
    svg = figure_svg(histogram_figure(result, 2026), prefix="h1")
    assert svg.startswith("<svg") and svg == figure_svg(histogram_figure(result, 2026), prefix="h1")
    assert 'id="h1-' in svg and 'href="#h1-' in svg
    ax = histogram_figure(result, 2027).axes[0]
    texts = [t.get_text() for t in ax.texts]
    for target in result.targets:
        p = result.probability(target, 2027)
        assert any(t.endswith(f": {100 * p:.1f}%") for t in texts)


def test_tornado_labels_and_values_on_bars():
    from leapforecast.analysis.sensitivity import sensitivity
    from leapforecast.report.plots import tornado_figure

    report = sensitivity(load_scenario("base"), target=1_000_000, year=2026, paths=1000, sobol=None)
    fig = tornado_figure(report)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Growth rate" in labels and not any(label.startswith("event.") for label in labels)
    values = {t.get_text() for t in ax.texts}
    top = report.inputs[0]
    assert f"{100 * top.prob_high:.1f}%" in values and f"{100 * top.prob_low:.1f}%" in values
    assert ax.get_legend() is None and len(fig.legends) == 1  # legend below, not on the bars


def test_sweep_heat_map_and_curve():
    from matplotlib.collections import QuadMesh

    from leapforecast.analysis.sweep import sweep
    from leapforecast.report.plots import sweep_figure

    sc = load_scenario("base")
    two = sweep(
        sc,
        ["growth.rate=0.5:1.1:0.2", "capacity.units=900000:1300000:200000"],
        target=1_000_000,
        year=2026,
        paths=500,
    )
    ax = sweep_figure(two).axes[0]
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert mesh.get_cmap().name == "viridis" and mesh.get_clim() == (0, 1)
    assert ax.get_legend().get_texts()[0].get_text().startswith("50% contour")
    one = sweep(sc, ["growth.rate=0.5:1.1:0.1"], target=1_000_000, year=2026, paths=500)
    ax = sweep_figure(one).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("break-even ≈") for t in texts)


def test_spider_plot_from_percentile_lines(tmp_path):
    from leapforecast.report.plots import spider_figure

    lines = [
        ("growth.rate", (10, 25, 50, 75, 90), (0.01, 0.02, 0.05, 0.08, 0.12)),
        ("event.price war.occurs", (0.1, 0.9), (0.06, 0.04)),
    ]
    fig = spider_figure(lines, base=0.05, target=1_000_000, year=2026, scenario="base")
    ax = fig.axes[0]
    drawn = [line for line in ax.lines if line.get_label() == "Growth rate"]
    np.testing.assert_allclose(drawn[0].get_xdata(), [0.1, 0.25, 0.5, 0.75, 0.9])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Growth rate", "price war: occurs", "all inputs drawn"]
    assert save_figure(fig, tmp_path / "s.png").stat().st_size > 5000
