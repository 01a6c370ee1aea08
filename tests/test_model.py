"""Events, capacity, segments, saturation, correlation and sampling with hand-computable answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

import leapforecast as lf
from leapforecast.engine.run import simulate

HEAD = """
[scenario]
name = "t"
[history]
base_units = 100_000
[simulation]
horizon = 2028
targets = [150_000]
[growth]
rate = 0.10
volatility = 0.0
"""


def run(write_scenario, body: str, paths: int = 4000, seed: int = 1, **kw):
    return simulate(lf.load_scenario(write_scenario(HEAD + body)), paths=paths, seed=seed, **kw)


def test_certain_permanent_multiply_event_shifts_every_path(write_scenario):
    res = run(
        write_scenario,
        """
        [[event]]
        name = "shock"
        year = 2027
        kind = "multiply"
        impact = -0.2
        persistence = "permanent"
    """,
    )
    expect = [110_000, 121_000 * 0.8, 121_000 * 0.8 * 1.1]
    assert np.allclose(res.quantiles, np.array(expect)[None, :], rtol=1e-6)
    assert res.event_fired == {"shock": 4000}


def test_one_year_add_event_only_touches_its_year(write_scenario):
    res = run(
        write_scenario,
        """
        [[event]]
        name = "launch"
        year = 2026
        kind = "add"
        impact = 50_000
        persistence = "one-year"
    """,
    )
    assert np.allclose(res.mean, [160_000, 121_000, 133_100], rtol=1e-6)


def test_event_probability_sets_share_of_paths(write_scenario):
    res = run(
        write_scenario,
        """
        [[event]]
        name = "maybe"
        year = 2026
        probability = 0.3
        impact = -0.5
    """,
        paths=40_000,
    )
    share = res.event_fired["maybe"] / res.paths
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / res.paths)
    # paths split into exactly two levels
    assert res.quantiles[0, 0] == pytest.approx(55_000) and res.quantiles[-1, 0] == pytest.approx(
        110_000
    )


def test_event_year_range_fires_once_in_range(write_scenario):
    res = run(
        write_scenario,
        """
        [[event]]
        name = "sometime"
        year = [2026, 2028]
        impact = 0.0
    """,
        paths=30_000,
    )
    assert res.event_fired["sometime"] == 30_000


def test_capacity_below_demand_pins_sales(write_scenario):
    res = run(
        write_scenario,
        """
        [capacity]
        units = 105_000
        growth = 0.05
    """,
    )
    assert np.allclose(res.quantiles, np.array([105_000, 110_250, 115_762.5])[None, :], rtol=1e-6)
    assert res.capacity_bound.tolist() == [4000, 4000, 4000]


def test_capacity_schedule_carries_forward(write_scenario):
    res = run(
        write_scenario,
        """
        [capacity]
        schedule = { "2026" = 200_000, "2027" = 115_000 }
    """,
    )
    assert np.allclose(res.mean, [110_000, 115_000, 115_000], rtol=1e-6)
    assert res.capacity_bound.tolist() == [0, 4000, 4000]


def test_segments_sum_and_remainder(write_scenario):
    res = run(
        write_scenario,
        """
        [segment.overseas]
        base = 10_000
        growth = { rate = 1.0 }
        [segment.china]
    """,
    )
    # china takes the remainder 90,000 and the top-level growth (+10%)
    china = 90_000 * 1.1 ** np.arange(1, 4)
    overseas = 10_000 * 2.0 ** np.arange(1, 4)
    assert np.allclose(res.mean, china + overseas, rtol=1e-6)
    assert np.allclose(res.segments["overseas"]["mean"], overseas, rtol=1e-6)


def test_segment_event_only_hits_its_segment(write_scenario):
    res = run(
        write_scenario,
        """
        [segment.overseas]
        share = 0.5
        [segment.china]
        [[event]]
        name = "tariff"
        year = 2026
        impact = -0.5
        segment = "overseas"
    """,
    )
    assert res.mean[0] == pytest.approx(55_000 + 27_500)


def test_saturation_slows_growth_below_ceiling(write_scenario):
    free = run(write_scenario, "")
    capped = run(
        write_scenario,
        """
        [saturation]
        ceiling = 200_000
    """,
    )
    # logistic: log growth scaled by (1 - level/ceiling): 100k -> 100k * 1.1^(1 - 0.5)
    assert capped.mean[0] == pytest.approx(100_000 * 1.1**0.5, rel=1e-6)
    assert (capped.mean < free.mean).all()
    assert (capped.quantiles <= 200_000).all()


def test_fade_moves_rate_towards_long_run(write_scenario):
    res = run(write_scenario, "", paths=10)
    faded = simulate(
        lf.load_scenario(
            write_scenario(
                HEAD.replace(
                    "volatility = 0.0", "volatility = 0.0\nfade = { to = 0.0, half_life = 1 }"
                )
            )
        ),
        paths=10,
    )
    # rates 0.10, 0.05, 0.025
    assert np.allclose(faded.mean, 100_000 * np.cumprod([1.10, 1.05, 1.025]), rtol=1e-6)
    assert (faded.mean <= res.mean + 1e-6).all()


@pytest.mark.parametrize("rho", [-0.6, 0.3, 0.8])
def test_requested_rank_correlation_is_achieved(write_scenario, rho):
    sc = lf.load_scenario(
        write_scenario(f"""
        [simulation]
        horizon = 2027
        [growth]
        rate = {{ dist = "pert", low = 0.1, mode = 0.4, high = 0.9 }}
        volatility = {{ dist = "uniform", low = 0.05, high = 0.2 }}
        [capacity]
        units = {{ dist = "lognormal", p5 = 800_000, p95 = 1_300_000 }}
        [[correlation]]
        between = ["growth.rate", "capacity.units"]
        rho = {rho}
    """)
    )
    res = simulate(sc, paths=20_000, seed=4, keep_inputs=True)
    achieved = spearmanr(res.inputs["growth.rate"], res.inputs["capacity.units"]).statistic
    assert achieved == pytest.approx(rho, abs=0.02)
    other = spearmanr(res.inputs["growth.rate"], res.inputs["growth.volatility"]).statistic
    assert abs(other) < 0.03


def test_non_psd_correlation_is_rejected(write_scenario):
    path = write_scenario("""
        [growth]
        rate = { dist = "uniform", low = 0.1, high = 0.5 }
        volatility = { dist = "uniform", low = 0.05, high = 0.2 }
        [capacity]
        units = { dist = "uniform", low = 900_000, high = 1_100_000 }
        [[correlation]]
        between = ["growth.rate", "capacity.units"]
        rho = 0.9
        [[correlation]]
        between = ["growth.rate", "growth.volatility"]
        rho = 0.9
        [[correlation]]
        between = ["capacity.units", "growth.volatility"]
        rho = -0.9
    """)
    with pytest.raises(lf.ScenarioError, match="not positive semi-definite"):
        simulate(lf.load_scenario(path), paths=100)


def test_lhs_reduces_error_of_a_mean(write_scenario):
    """Across seeds, the spread of the estimated mean is smaller with LHS than random."""
    text = """
        [simulation]
        horizon = 2026
        sampling = "{method}"
        [growth]
        rate = {{ dist = "pert", low = 0.0, mode = 0.4, high = 0.9 }}
        volatility = 0.0
    """
    spreads = {}
    for method in ("random", "lhs", "sobol"):
        sc = lf.load_scenario(write_scenario(text.format(method=method), name=f"{method}.toml"))
        means = [simulate(sc, paths=512, seed=s).mean[0] for s in range(40)]
        spreads[method] = np.std(means)
    assert spreads["lhs"] < 0.2 * spreads["random"]
    assert spreads["sobol"] < 0.2 * spreads["random"]


def test_common_random_numbers_across_variants(write_scenario):
    """Changing one input's distribution leaves the other inputs' draws untouched."""
    a = lf.load_scenario(
        write_scenario(
            """
        [growth]
        rate = { dist = "uniform", low = 0.1, high = 0.5 }
        volatility = { dist = "uniform", low = 0.05, high = 0.2 }
    """,
            name="a.toml",
        )
    )
    b = a.with_overrides("growth.rate.high=0.9")
    ra = simulate(a, paths=3000, seed=2, keep_inputs=True)
    rb = simulate(b, paths=3000, seed=2, keep_inputs=True)
    assert np.array_equal(ra.inputs["growth.volatility"], rb.inputs["growth.volatility"])
    assert (rb.inputs["growth.rate"] >= ra.inputs["growth.rate"]).all()


def test_bootstrap_csv_is_relative_to_the_scenario(tmp_path, monkeypatch):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "h.csv").write_text("year,units\n2020,100\n2021,150\n2022,300\n")
    (folder / "s.toml").write_text('[growth]\nrate = { dist = "bootstrap", source = "h.csv" }\n')
    monkeypatch.chdir(tmp_path)
    res = simulate(lf.load_scenario(folder / "s.toml"), paths=4000, seed=1)
    # one draw of +50% or +100% growth: 2026 sales are base x 1.5 or base x 2
    assert set(np.round(np.unique(res.totals[:, 0]) / 596_555, 3)) == {1.5, 2.0}


def test_scenario_seasonal_profile_is_used_and_checked(write_scenario, cli):
    from leapforecast.analysis.nowcast import scenario_seasonal

    flat = write_scenario("[growth]\nrate = 0.4\n[monthly]\nseasonal = [1,1,1,1,1,1,1,1,1,1,1,1]\n")
    sc = lf.load_scenario(flat)
    assert scenario_seasonal(sc, None) == [1.0] * 12
    assert scenario_seasonal(sc, [2.0] * 12) == [2.0] * 12  # an explicit profile wins
    args = ["nowcast", "-f", "csv", "-n", "4000", "--month", "2026-01=40000", "-t", "750k"]
    flat_p = cli(*args, "--scenario", str(flat))[1]
    default_p = cli(*args, "--scenario", str(write_scenario("[growth]\nrate = 0.4\n", "d.toml")))[1]
    assert flat_p != default_p  # the scenario's profile changed the nowcast
    bad = write_scenario("[growth]\nrate = 0.4\n[monthly]\nseasonal = [1, 2]\n", "bad.toml")
    with pytest.raises(lf.ScenarioError, match="monthly.seasonal"):
        lf.load_scenario(bad)
