"""sweep: grids on common random numbers and the break-even against a closed form."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from leapforecast.analysis.sweep import axis, parse_vary, solve, sweep
from leapforecast.errors import UsageError
from leapforecast.model.files import bundled_scenarios
from leapforecast.model.scenario import load_scenario

BUNDLED = sorted(bundled_scenarios())
B = 596_555  # Leapmotor 2025, the base of the bundled history


def test_parse_vary():
    assert axis("growth.rate=0.1:0.4:0.1").values == (0.1, 0.2, 0.3, 0.4)  # stop included
    assert axis("capacity.units=800k:1M:100k").values == (800_000, 900_000, 1_000_000)
    assert axis("growth.volatility=0.2,0.05").values == (0.2, 0.05)
    assert parse_vary("growth.rate=0.2:0.9", need_step=False)[1:4] == (0.2, 0.9, None)
    for bad, fragment in [
        ("growth.rate", "expected KEY.PATH"),
        ("growth.rate=0.1:0.5", "START:STOP:STEP"),
        ("growth.rate=0.5:0.1:0.1", "below start"),
        ("growth.rate=0.1:0.5:0", "step must be positive"),
        ("growth.rate=a:b:c", "not a number"),
        ("growth.rate=0:1:0.0001", "at most"),
    ]:
        with pytest.raises(UsageError, match=fragment):
            axis(bad)


def test_grid_is_monotone_on_common_random_numbers():
    """Each point shares its draws, so P(>= 1M) rises with the growth rate without a single dip,
    even with few paths."""
    sw = sweep(
        load_scenario("base"),
        ["growth.rate=0.3:1.1:0.05"],
        target=1_000_000,
        year=2026,
        paths=2000,
        seed=1,
    )
    assert np.all(np.diff(sw.prob) >= 0) and np.all(np.diff(sw.p50) >= 0)
    assert sw.prob[0] < 0.05 < 0.5 < sw.prob[-1]


def test_two_keys_give_a_grid():
    sw = sweep(
        load_scenario("base"),
        ["growth.rate=0.4:0.8:0.2", "capacity.units=0.9M:1.2M:0.3M"],
        paths=1000,
        seed=2,
    )
    assert sw.prob.shape == (3, 2)
    rows = sw.rows()
    assert len(rows) == 6 and list(rows[0])[:2] == ["growth.rate", "capacity.units"]
    # capacity below the target caps the chance at zero, whatever the growth
    assert np.all(sw.prob[:, 0] == 0) and sw.prob[-1, 1] > 0


def _lognormal_scenario(write_scenario, horizon: int, sigma: float):
    """Fixed trend rate and volatility, no events or capacity: units_T ~ lognormal with median
    B (1 + r)^T, so P(units_T >= K) = 0.5 exactly at r* = (K / B)^(1/T) - 1."""
    return load_scenario(
        write_scenario(f"""
        [simulation]
        horizon = {horizon}
        targets = [1_000_000]
        [growth]
        rate = 0.3
        volatility = {sigma}
    """)
    )


@pytest.mark.parametrize(
    ("horizon", "sigma", "seed"), [(2026, 0.10, 1), (2027, 0.10, 2), (2028, 0.2, 3)]
)
def test_break_even_matches_the_closed_form(write_scenario, horizon, sigma, seed):
    """Tolerance: 4 Monte Carlo standard errors of the root plus the bisection's xtol. The root's
    s.e. is that of the sample median: 1.2533 (1 + r*) sigma / sqrt(T n)."""
    n, T, K = 20_000, horizon - 2025, 1_000_000
    sc = _lognormal_scenario(write_scenario, horizon, sigma)
    exact = (K / B) ** (1 / T) - 1
    be = solve(sc, "growth.rate=0.0:1.5", target=K, year=horizon, paths=n, seed=seed)
    se_exact = math.sqrt(math.pi / 2) * (1 + exact) * sigma / math.sqrt(T * n)
    assert abs(be.value - exact) <= 4 * se_exact + be.xtol
    assert be.se == pytest.approx(se_exact, rel=0.3)  # the reported s.e. is honest
    assert be.prob >= 0.5 and be.xtol == pytest.approx(1.5e-4)
    assert be.bracket == (0.0, 1.5)


def test_break_even_falling_curve_and_errors(write_scenario):
    """Solving for an input that lowers the probability works too (bisection either way)."""
    sc = load_scenario(
        write_scenario("""
        [simulation]
        horizon = 2026
        targets = [700_000]
        [growth]
        rate = 0.3
        volatility = 0.1
        [[event]]
        name = "shock"
        year = 2026
        kind = "multiply"
        impact = -0.1
    """)
    )
    be = solve(sc, "event.shock.impact=-0.5:0.0", level=0.5, paths=5000, seed=1)
    exact = 700_000 / (B * 1.3) - 1  # median B 1.3 (1 + impact) = K
    assert abs(be.value - exact) < 0.01
    with pytest.raises(UsageError, match="does not cross"):
        solve(sc, "event.shock.impact=-0.5:-0.4", paths=1000)
    with pytest.raises(UsageError, match="`level` must be between 0 and 1"):
        solve(sc, "event.shock.impact=-0.5:0", level=1.5, paths=1000)
    with pytest.raises(UsageError, match="range"):
        solve(sc, "event.shock.impact=-0.5,0", paths=1000)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_scenario_in_every_format(cli, name):
    # the reference growth model has no volatility key: vary its half-life instead
    key, values = (
        ("growth.reference.recent_weight", [4, 8, 12])
        if name in ("reference", "default")
        else ("growth.volatility", [0.05, 0.1, 0.15])
    )
    span = f"{values[0]}:{values[-1]}:{values[1] - values[0]:g}"
    args = (
        "sweep",
        name,
        "--vary",
        f"{key}={span}",
        "-n",
        "1000",
        "--seed",
        "4",
    )
    outs = {}
    for fmt in ("table", "csv", "json"):
        code, out, err = cli(*args, "-f", fmt)
        assert code == 0, err
        outs[fmt] = out
    assert cli(*args, "-f", "csv")[1] == outs["csv"]
    frame = pd.read_csv(io.StringIO(outs["csv"]))
    assert list(frame[key]) == pytest.approx(values)
    assert frame["prob_ge"].between(0, 1).all()
    assert json.loads(outs["json"])["metadata"]["keys"] == [key]
    assert "\x1b[" not in outs["table"]


def test_cli_solve_and_heat_map(cli):
    code, out, err = cli(
        "sweep",
        "base",
        "--vary",
        "growth.rate=0.3:1.2",
        "--solve",
        "-t",
        "1M",
        "-y",
        "2026",
        "-n",
        "5000",
        "-f",
        "csv",
    )
    assert code == 0, err
    row = pd.read_csv(io.StringIO(out)).iloc[0]
    assert row["key"] == "growth.rate" and 0.3 < row["value"] < 1.2 and row["level"] == 0.5
    code, out, err = cli(
        "sweep",
        "base",
        "-v",
        "growth.rate=0.4:0.8:0.2",
        "-v",
        "growth.volatility=0.05,0.2",
        "-n",
        "500",
    )
    assert code == 0, err
    assert "rows growth.rate, columns" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["sweep"], "--vary"),
        (
            ["sweep", "-v", "growth.rate=0:1", "-v", "growth.volatility=0:1", "--solve"],
            "exactly once",
        ),
        (["sweep", "-v", "growth.rat=0.1:0.2:0.1"], "did you mean 'rate'"),
        (["sweep", "-v", "growth.rate=0.1:0.2:0.1", "--year", "2040"], "--year 2040"),
    ],
)
def test_cli_errors(cli, args, fragment):
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert fragment in err and "Traceback" not in err
