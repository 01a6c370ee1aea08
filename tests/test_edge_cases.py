"""Numerical edge cases: each gives the answer it must (often in closed form) or a clear refusal,
and never NaN or inf in the CSV or JSON output.

Zero volatility, probability 0/1 events, capacity 0, targets of 0 or below the base, one-path
runs, histories of one and two points, bootstrap on two points, and a few degenerate inputs
(rank correlation of +-1, a -100% event, a ceiling below the base, a 50-year horizon).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _outside import quiet

from leapforecast.data.history import parse_history
from leapforecast.engine.results import QUANTILES, wilson
from leapforecast.engine.run import simulate
from leapforecast.errors import HistoryError, ScenarioError
from leapforecast.model.scenario import load_scenario
from leapforecast.report import run as render

BASE = 596_555  # builtin:leapmotor, 2025


def run(write_scenario, text: str, *, paths: int = 400, seed: int = 3, name: str = "edge.toml"):
    return simulate(load_scenario(write_scenario(text, name)), paths=paths, seed=seed)


def assert_clean_output(result) -> None:
    """CSV cells are finite plain numbers; JSON has no NaN/Infinity; probabilities in [0, 1]."""
    for row in render.result_csv(result).splitlines()[1:]:
        for cell in row.split(",")[1:]:
            assert math.isfinite(float(cell)), row

    def refuse(token):
        raise AssertionError(f"{token} in JSON")

    json.loads(render.result_json(result), parse_constant=refuse)
    assert np.all((result.prob_ge >= 0) & (result.prob_ge <= 1))
    assert np.all(np.isfinite(result.se_ge)) and np.all(np.isfinite(result.quantiles))


# --------------------------------------------------------------------------- deterministic paths


@pytest.mark.parametrize("sampling", ["random", "lhs", "sobol"])
def test_zero_volatility_fixed_inputs_is_the_closed_form(write_scenario, sampling):
    r = run(
        write_scenario,
        f"""
        [growth]
        rate = 0.3
        volatility = 0
        [simulation]
        sampling = "{sampling}"
        targets = [700_000, 1_000_000, 2_000_000]
    """,
    )
    expected = [BASE * 1.3**t for t in (1, 2, 3)]
    assert r.mean == pytest.approx(expected, rel=1e-9)
    for i in range(len(QUANTILES)):  # every quantile is the one value, to float32 precision
        assert r.quantiles[i] == pytest.approx(expected, rel=1e-6)
    # 775,522 / 1,008,178 / 1,310,631: 700k every year, 1M from 2027, 2M never
    assert r.prob_ge.tolist() == [[1, 1, 1], [0, 1, 1], [0, 0, 0]]
    assert r.prob_reached.tolist() == [[1, 1, 1], [0, 1, 1], [0, 0, 0]]
    assert np.all(r.se_ge == 0)
    first = r.first_year_distribution()[1_000_000]
    assert first == {"2026": 0.0, "2027": 1.0, "2028": 0.0, "never": 0.0}
    assert_clean_output(r)


def test_probability_zero_event_changes_nothing(write_scenario):
    """Draws are keyed by input name, so an event that never happens leaves every byte alike."""
    plain = run(
        write_scenario,
        """
        [growth]
        rate = { dist = "pert", low = 0.1, mode = 0.3, high = 0.6 }
        volatility = 0.1
    """,
        name="plain.toml",
    )
    never = run(
        write_scenario,
        """
        [growth]
        rate = { dist = "pert", low = 0.1, mode = 0.3, high = 0.6 }
        volatility = 0.1
        [[event]]
        name = "never"
        year = [2026, 2028]
        probability = 0
        impact = { dist = "uniform", low = -0.9, high = -0.5 }
    """,
        name="never.toml",
    )
    assert never.event_fired == {"never": 0}
    np.testing.assert_array_equal(never.totals, plain.totals)
    assert render.result_csv(never).replace("edge", "") == render.result_csv(plain)
    assert_clean_output(never)


@pytest.mark.parametrize(
    ("kind", "impact", "persistence", "expected"),
    [
        ("multiply", -0.1, "permanent", [BASE * 1.3**t * 0.9 for t in (1, 2, 3)]),
        ("multiply", -0.1, "one-year", [BASE * 1.3 * 0.9, BASE * 1.3**2, BASE * 1.3**3]),
        (
            "add",
            50_000,
            "permanent",
            [BASE * 1.3 + 50_000, (BASE * 1.3 + 50_000) * 1.3, (BASE * 1.3 + 50_000) * 1.3**2],
        ),
        ("add", 50_000, "one-year", [BASE * 1.3 + 50_000, BASE * 1.3**2, BASE * 1.3**3]),
        ("multiply", -1, "permanent", [0.0, 0.0, 0.0]),  # -100%: nothing ever again, not NaN
        ("add", -5_000_000, "one-year", [0.0, BASE * 1.3**2, BASE * 1.3**3]),  # floored at 0
    ],
)
def test_certain_event_is_deterministic(write_scenario, kind, impact, persistence, expected):
    r = run(
        write_scenario,
        f"""
        [growth]
        rate = 0.3
        [[event]]
        name = "certain"
        year = 2026
        probability = 1
        kind = "{kind}"
        impact = {impact}
        persistence = "{persistence}"
    """,
    )
    assert r.event_fired == {"certain": r.paths}
    assert r.mean == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert r.quantiles[QUANTILES.index(50)] == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert_clean_output(r)


# --------------------------------------------------------------------------- capacity and targets


@pytest.mark.parametrize("segments", [False, True])
def test_capacity_zero_sells_nothing(write_scenario, segments):
    extra = "[segment.china]\nshare = 0.8\n[segment.overseas]\n" if segments else ""
    r = run(
        write_scenario,
        f"""
        [growth]
        rate = {{ dist = "uniform", low = 0.1, high = 0.5 }}
        volatility = 0.2
        [capacity]
        units = 0
        growth = 0.5
        [simulation]
        targets = [0, 1, 500_000]
        {extra}
    """,
    )
    assert np.all(r.mean == 0) and np.all(r.quantiles == 0)
    assert r.prob_ge.tolist() == [[1, 1, 1], [0, 0, 0], [0, 0, 0]]  # 0 >= 0, but never 1 car
    assert r.capacity_bound.tolist() == [r.paths] * 3
    for seg in r.segments.values():
        assert np.all(seg["mean"] == 0) and np.all(np.isfinite(seg["quantiles"]))
    assert_clean_output(r)


def test_schedule_with_a_zero_year(write_scenario):
    r = run(
        write_scenario,
        """
        [growth]
        rate = 0.3
        [capacity]
        schedule = { "2026" = 1_000_000, "2027" = 0 }
    """,
    )
    # 2026 below capacity; 2027 and (schedule carried forward) 2028 at zero
    assert r.mean == pytest.approx([BASE * 1.3, 0, 0])
    assert r.capacity_bound.tolist() == [0, r.paths, r.paths]
    assert_clean_output(r)


def test_targets_of_zero_and_below_the_base(write_scenario, cli):
    r = run(
        write_scenario,
        """
        [growth]
        rate = { dist = "uniform", low = -0.5, high = 0.5 }
        volatility = 0.3
        [simulation]
        targets = [0, 1, 100_000, 1_000_000]
    """,
    )
    assert np.all(r.prob_ge[0] == 1) and np.all(r.prob_reached[0] == 1)
    assert np.all(r.se_ge[0] == 0)
    assert r.first_year_distribution()[0]["2026"] == 1.0  # reached at once: it is below the base
    assert np.all(np.diff(r.prob_ge, axis=0) <= 0)
    assert_clean_output(r)
    code, out, err = cli("run", "-f", "csv", "-n", "500", "-t", "0", "-t", "1")
    assert code == 0 and quiet(err) == "" and "prob_ge_0," in out and "prob_ge_1," in out


def test_wilson_interval_at_zero_and_one():
    lo, hi = wilson(0, 400)  # a proportion of 0 still has a positive upper bound
    assert lo == pytest.approx(0, abs=1e-12) and 0.005 < hi < 0.01
    lo, hi = wilson(400, 400)
    assert 0.99 < lo < 0.995 and hi == pytest.approx(1, abs=1e-12)
    assert wilson(0, 0) == (0.0, 1.0)


# --------------------------------------------------------------------------- one path


@pytest.mark.parametrize("sampling", ["random", "lhs", "sobol"])
def test_one_path_run(write_scenario, cli, sampling):
    r = run(
        write_scenario,
        f"""
        [growth]
        rate = {{ dist = "pert", low = 0.0, mode = 0.3, high = 0.8 }}
        volatility = {{ dist = "uniform", low = 0.05, high = 0.2 }}
        [[event]]
        name = "maybe"
        year = [2026, 2028]
        probability = 0.5
        impact = -0.2
        [capacity]
        units = {{ dist = "triangular", low = 600_000, mode = 900_000, high = 1_500_000 }}
        [simulation]
        sampling = "{sampling}"
    """,
        paths=1,
    )
    assert r.paths == 1 and r.totals.shape == (1, 3)
    for i in range(len(QUANTILES)):  # every quantile and the mean are that one path
        np.testing.assert_allclose(r.quantiles[i], r.totals[0], rtol=1e-6)
    np.testing.assert_allclose(r.mean, r.totals[0], rtol=1e-6)
    assert set(np.unique(r.prob_ge)) <= {0.0, 1.0} and np.all(r.se_ge == 0)
    assert_clean_output(r)
    code, out, err = cli("run", "-n", "1", "-f", "json")
    assert code == 0 and quiet(err) == "" and json.loads(out)["metadata"]["paths"] == 1


# --------------------------------------------------------------------------- short histories


def test_history_of_two_points(write_scenario, tmp_path, cli):
    hist = tmp_path / "two.csv"
    hist.write_text("year,units\n2024,400000\n2025,600000\n")
    h = parse_history(hist.read_text(), source="two.csv")
    stats = h.stats()
    assert stats.cagr == pytest.approx(0.5) and math.isnan(stats.sd_log_growth)
    code, out, err = cli("history", "--file", str(hist), "-f", "json")
    assert code == 0 and quiet(err) == ""
    doc = json.loads(out)  # sd of one interval is null, not NaN
    assert doc["stats"]["sd_log_growth"] is None and doc["stats"]["cagr"] == 0.5
    code, out, err = cli("history", "--file", str(hist))
    assert code == 0 and "sd n/a (one interval)" in out and "nan" not in out.lower()
    # bootstrap on one interval resamples +50% every time: deterministic
    r = run(
        write_scenario,
        f"""
        [history]
        source = "{hist.name}"
        [growth]
        rate = {{ dist = "bootstrap" }}
    """,
    )
    assert r.base_units == 600_000
    assert r.mean == pytest.approx([900_000, 1_350_000, 2_025_000])
    assert np.all(r.quantiles[0] == r.quantiles[-1])
    assert_clean_output(r)


def test_history_of_one_point(write_scenario, tmp_path, cli):
    hist = tmp_path / "one.csv"
    hist.write_text("year,units\n2025,600000\n")
    h = parse_history(hist.read_text(), source="one.csv")
    assert h.years == (2025,) and h.log_growths() == []
    with pytest.raises(HistoryError, match="needs at least two years"):
        h.stats()
    code, out, err = cli("history", "--file", str(hist), "-f", "json")
    assert code == 0 and quiet(err) == "" and "stats" not in json.loads(out)
    # a base to grow from is enough for a stated growth rate...
    source = f'[history]\nsource = "{hist.name}"\n'
    r = run(write_scenario, source + "[growth]\nrate = 0.2\n", name="one.toml")
    assert r.mean == pytest.approx([720_000, 864_000, 1_036_800])
    assert_clean_output(r)
    # ...but not for resampling growth that was never observed
    path = write_scenario(source + '[growth]\nrate = { dist = "bootstrap" }\n', "boot.toml")
    with pytest.raises(ScenarioError, match="growth.rate: bootstrap from .*one.csv has no growth"):
        load_scenario(path)
    code, out, err = cli("fit", "--file", str(hist))
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "at least two years" in err


# --------------------------------------------------------------------------- degenerate inputs


@pytest.mark.parametrize("rho", [1.0, -1.0])
def test_perfect_rank_correlation(write_scenario, rho):
    """rho = +-1 is a singular (but valid) correlation matrix: ranks agree (or reverse) exactly."""
    path = write_scenario(f"""
        [growth]
        rate = {{ dist = "uniform", low = 0.0, high = 0.5 }}
        [capacity]
        units = {{ dist = "uniform", low = 500_000, high = 1_000_000 }}
        [[correlation]]
        between = ["growth.rate", "capacity.units"]
        rho = {rho}
    """)
    r = simulate(load_scenario(path), paths=400, seed=3, keep_inputs=True)
    rate, cap = r.inputs["growth.rate"], r.inputs["capacity.units"]
    ranks = np.argsort(np.argsort(rate)), np.argsort(np.argsort(cap))
    expected = ranks[0] if rho > 0 else len(rate) - 1 - ranks[0]
    np.testing.assert_array_equal(ranks[1], expected)
    assert_clean_output(r)


def test_ceiling_below_the_base_holds_sales_flat(write_scenario):
    r = run(
        write_scenario,
        """
        [growth]
        rate = 0.3
        [saturation]
        ceiling = 100_000
    """,
    )
    assert r.mean == pytest.approx([BASE] * 3)  # no room to grow; not negative, not NaN
    assert_clean_output(r)


def test_fifty_year_horizon_stays_finite(write_scenario):
    r = run(
        write_scenario,
        """
        [growth]
        rate = { dist = "pert", low = 0.0, mode = 0.1, high = 0.3 }
        volatility = 0.2
        fade = { to = 0.02, half_life = 5 }
        [simulation]
        horizon = 2075
    """,
        paths=300,
    )
    assert r.years[-1] == 2075 and len(r.years) == 50
    assert np.all(np.diff(r.prob_reached, axis=1) >= 0)
    assert_clean_output(r)


def test_degenerate_distributions(write_scenario):
    r = run(
        write_scenario,
        """
        [growth]
        rate = { dist = "pert", low = 0.2, mode = 0.2, high = 0.2 }
        volatility = { dist = "triangular", low = 0, mode = 0, high = 0 }
        fade = { to = { dist = "choice", values = [0.1, 0.5], weights = [1, 0] }, half_life = 1 }
    """,
    )
    # rate fades from 20% towards 10%: 20%, 15%, 12.5%
    assert r.mean == pytest.approx([BASE * 1.2, BASE * 1.2 * 1.15, BASE * 1.2 * 1.15 * 1.125])
    assert_clean_output(r)


def test_lognormal_ceiling_is_accepted(write_scenario):
    r = run(
        write_scenario,
        """
        [growth]
        rate = 0.3
        [saturation]
        ceiling = { dist = "lognormal", p5 = 1_000_000, p95 = 3_000_000 }
    """,
    )
    assert_clean_output(r)


def test_fixed_capacity_units_with_uncertain_growth(write_scenario):
    """Found by the random property tests: fixed units grown by an uncertain rate (per path)."""
    r = run(
        write_scenario,
        """
        [growth]
        rate = 0.5
        volatility = 0
        [capacity]
        units = 700_000
        growth = { dist = "uniform", low = 0.0, high = 0.2 }
    """,
    )
    assert r.mean[0] == pytest.approx(700_000)  # demand 894,833 > capacity in the first year
    assert 700_000 < r.mean[1] < 700_000 * 1.2
    assert_clean_output(r)


def test_capacity_growing_past_float_range_is_no_cap(write_scenario):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning reaches the user
        r = run(
            write_scenario,
            """
            [simulation]
            horizon = 2040
            [growth]
            rate = 0.1
            volatility = 0
            [capacity]
            units = 1e12
            growth = 1e30
        """,
        )
    assert r.mean[-1] == pytest.approx(BASE * 1.1**15)
    assert_clean_output(r)
