"""Terminal charts: 80 columns, the right marks in the right places, no colour off a terminal;
and the progress bar's rules (terminal only, after about a second)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from leapforecast.cli.run import progress_bar
from leapforecast.engine.results import QUANTILES
from leapforecast.engine.run import simulate
from leapforecast.model.files import bundled_scenarios
from leapforecast.model.scenario import load_scenario
from leapforecast.report.charts import axis_range, fan_chart, histogram, nice_step

BUNDLED = sorted(bundled_scenarios())


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario("base", horizon=2030), paths=20_000, seed=1)


def test_axis_helpers():
    assert nice_step(1_000_000) == 200_000
    assert nice_step(1_250_000, 5) == 250_000
    lo, hi, step = axis_range(400_000, 1_450_000)  # starts near zero: from zero
    assert lo == 0 and hi >= 1_450_000 and (hi - lo) / step <= 10
    lo, hi, step = axis_range(900_000, 1_100_000)
    assert 0 < lo <= 900_000 and hi >= 1_100_000


def test_fan_chart_fits_80_columns_and_orders_the_bands(result):
    lines = fan_chart(result).plain.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = {int(line[:4]): line for line in lines if line[:4].isdigit()}
    assert sorted(rows) == result.years
    for year in result.years:
        line = rows[year]
        median = line.index("┃")
        inner = [i for i, c in enumerate(line) if c == "█"]
        outer = [i for i, c in enumerate(line) if c in "─━█┃"]
        assert min(outer) <= min(inner) <= median <= max(inner) <= max(outer)
        assert line.rstrip().endswith(("k", "M"))
    # medians move right as they grow
    medians = [rows[y].index("┃") for y in result.years]
    q50 = result.quantiles[QUANTILES.index(50)]
    assert np.all(np.diff(medians) >= 0) == np.all(np.diff(q50) >= 0)
    assert "▼1M" in lines[1] and "▼500k" in lines[1]


def test_histogram_marks_targets_with_their_probability(result):
    text = histogram(result, 2026).plain
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert f"{100 * result.probability(1_000_000, 2026):.1f}%" in lines[-1]
    assert "▲1M" in text and "Units in 2026" in lines[0]
    bars = [line for line in lines[1:11]]
    assert any("█" in line for line in bars)


@pytest.mark.parametrize("name", BUNDLED)
def test_run_chart_on_every_bundled_scenario(cli, name):
    last = str(load_scenario(name).years[-1])
    code, out, err = cli("run", name, "-n", "3000", "--chart", "--year", last)
    assert code == 0, err
    chart = out[out.index("Units a year: ─") :]
    assert max(len(line) for line in chart.splitlines()) <= 80
    assert "\x1b[" not in out  # no colour off a terminal
    assert "Units in" in chart


def test_chart_with_csv_needs_a_file(cli, tmp_path):
    code, out, err = cli("run", "-n", "1000", "--chart", "-f", "csv")
    assert code == 2 and out == "" and "--output" in err
    target = tmp_path / "out.csv"
    code, out, err = cli("run", "-n", "1000", "--chart", "-f", "csv", "-o", str(target))
    assert code == 0 and "Units a year" in out and target.read_text().startswith("scenario,")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_only_after_a_second():
    clock = iter([0.0, 0.2, 0.5, 1.5, 1.6, 1.7]).__next__
    stream = _Tty()
    with progress_bar("simulating", stream=stream, clock=clock) as update:
        update(1, 10)  # t=0.2: too early
        update(2, 10)  # t=0.5
        assert stream.getvalue() == ""
        update(3, 10)  # t=1.5: the bar starts
        update(4, 10)
    assert "simulating" in stream.getvalue()
    quiet = io.StringIO()
    with progress_bar("simulating", stream=quiet, clock=clock) as update:
        assert update is None
    assert quiet.getvalue() == ""
    fast = _Tty()
    with progress_bar("simulating", stream=fast, clock=iter([0.0, 5.0]).__next__) as update:
        update(10, 10)  # finished: nothing left to show
    assert fast.getvalue() == ""
