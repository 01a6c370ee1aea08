"""The engine against closed forms, invariants and reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

import leapforecast as lf
from leapforecast.engine.kernel import CHUNK, MAX_LEVEL
from leapforecast.engine.run import simulate


def lognormal_scenario(write_scenario, rate: float, sigma: float, horizon: int, targets: list[int]):
    return lf.load_scenario(
        write_scenario(f"""
        [scenario]
        name = "closed-form"
        [simulation]
        horizon = {horizon}
        targets = {targets}
        [growth]
        rate = {rate}
        volatility = {sigma}
    """)
    )


@pytest.mark.parametrize(
    ("rate", "sigma", "horizon", "seed"),
    [(0.40, 0.10, 2028, 1), (0.25, 0.25, 2027, 2), (0.68, 0.05, 2026, 3), (0.10, 0.30, 2030, 4)],
)
def test_probabilities_match_closed_form(write_scenario, rate, sigma, horizon, seed):
    """P(units_T >= K) = 1 - Phi((ln(K/B) - T*mu) / (sigma*sqrt(T))), mu = ln(1 + rate)."""
    targets = [500_000, 750_000, 1_000_000, 1_500_000]
    sc = lognormal_scenario(write_scenario, rate, sigma, horizon, targets)
    res = simulate(sc, paths=60_000, seed=seed)
    base, mu = 596_555, math.log1p(rate)
    for t, year in enumerate(res.years, start=1):
        for k, target in enumerate(targets):
            exact = 1 - norm.cdf((math.log(target / base) - t * mu) / (sigma * math.sqrt(t)))
            p, se = res.prob_ge[k, t - 1], res.se_ge[k, t - 1]
            # 4 reported standard errors, plus a floor for probabilities that round to 0 or 1
            assert abs(p - exact) <= 4 * se + 2e-4, (year, target, p, exact, se)


def test_quantiles_match_closed_form(write_scenario):
    sc = lognormal_scenario(write_scenario, 0.3, 0.2, 2027, [1_000_000])
    res = simulate(sc, paths=100_000, seed=11)
    for t in range(2):
        for i, q in enumerate((5, 10, 25, 50, 75, 90, 95)):
            exact = 596_555 * math.exp(
                (t + 1) * math.log1p(0.3) + 0.2 * math.sqrt(t + 1) * norm.ppf(q / 100)
            )
            assert res.quantiles[i, t] == pytest.approx(exact, rel=0.01)


def test_zero_volatility_fixed_inputs_is_deterministic(write_scenario):
    sc = lognormal_scenario(write_scenario, 0.5, 0.0, 2027, [800_000, 900_000])
    res = simulate(sc, paths=1000, seed=5)
    assert np.allclose(res.quantiles[:, 0], 596_555 * 1.5, rtol=1e-6)
    assert np.allclose(res.quantiles[:, 1], 596_555 * 1.5**2, rtol=1e-6)
    assert res.prob_ge[:, 0].tolist() == [1.0, 0.0]  # 894,833 units in 2026
    assert res.se_ge.max() == 0


def test_invariants_on_base():
    res = simulate(lf.load_scenario(), paths=30_000, seed=9)
    p, reached = res.prob_ge, res.prob_reached
    assert ((p >= 0) & (p <= 1)).all()
    assert (np.diff(p, axis=0) <= 0).all(), "P(>= target) must fall as the target rises"
    assert (np.diff(res.quantiles, axis=0) >= 0).all(), "quantiles must be ordered"
    assert (np.diff(reached, axis=1) >= 0).all(), "reached-by must not fall over years"
    assert (reached >= p - 1e-12).all()
    assert np.isfinite(res.mean).all()
    first = res.first_year_distribution()
    for row in first.values():
        assert sum(row.values()) == pytest.approx(1.0)


def test_block_size_and_jobs_do_not_change_results():
    sc = lf.load_scenario()
    paths = 2 * CHUNK + 123
    one = simulate(sc, paths=paths, seed=3, jobs=1)
    two = simulate(sc, paths=paths, seed=3, jobs=2)
    assert np.array_equal(one.totals, two.totals)
    assert np.array_equal(one.mean, two.mean)
    assert np.array_equal(one.quantiles, two.quantiles)
    # a run is the concatenation of its canonical chunks: fewer paths = a prefix of the paths
    prefix = simulate(sc, paths=CHUNK, seed=3)
    assert np.array_equal(prefix.totals, one.totals[:CHUNK])


def test_seed_changes_draws():
    sc = lf.load_scenario()
    a = simulate(sc, paths=5000, seed=1)
    b = simulate(sc, paths=5000, seed=2)
    assert not np.array_equal(a.totals, b.totals)


def test_result_api():
    res = lf.simulate(lf.load_scenario(), paths=5000, seed=1)
    df = res.summary()
    assert list(df.columns) == res.columns()
    assert len(df) == len(res.years)
    p = res.probability(1_000_000, 2027)
    assert p == pytest.approx(df.loc[df.year == 2027, "prob_ge_1000000"].item(), abs=1e-6)
    lo, hi = res.interval(1_000_000, 2027)
    assert lo <= p <= hi
    with pytest.raises(lf.LeapforecastError):
        res.probability(1_000_000, 2040)
    assert res.probability(123, 2027) == 1.0  # any target: counted on the stored totals


def test_paths_cap():
    with pytest.raises(lf.LeapforecastError, match="paths"):
        simulate(lf.load_scenario(), paths=0)


def test_fast_and_guarded_growth_paths_agree(write_scenario):
    """Sane inputs take (1 + r) exp(v z); a ceiling forces the guarded exp(log1p(r) + v z) path.
    A ceiling far above any path (room = 1 - 1e-6 at most) must leave the numbers unchanged."""
    body = """
        [history]
        source = "builtin:leapmotor"
        [simulation]
        horizon = 2029
        targets = [1_000_000]
        [growth]
        rate = { dist = "pert", low = 0.1, mode = 0.3, high = 0.6 }
        volatility = { dist = "uniform", low = 0.05, high = 0.2 }
        fade = { to = 0.05, half_life = 3 }
    """
    fast = simulate(lf.load_scenario(write_scenario(body, "fast.toml")), paths=20_000, seed=4)
    guarded_sc = lf.load_scenario(
        write_scenario(body + "[saturation]\nceiling = 1e13\n", "guarded.toml")
    )
    guarded = simulate(guarded_sc, paths=20_000, seed=4)
    np.testing.assert_allclose(guarded.totals, fast.totals, rtol=1e-5)
    np.testing.assert_allclose(guarded.quantiles, fast.quantiles, rtol=1e-5)


def test_guards_bind_on_absurd_inputs(write_scenario):
    """Bounds that allow log growth beyond +-50 a year switch the clip on: finite, capped output."""
    sc = lf.load_scenario(
        write_scenario(
            """
            [history]
            source = "builtin:leapmotor"
            [simulation]
            horizon = 2030
            [growth]
            rate = { dist = "uniform", low = -0.999, high = 1e30 }
            volatility = 40
            """
        )
    )
    res = simulate(sc, paths=3000, seed=1)
    assert np.isfinite(res.totals).all() and (res.totals >= 0).all()
    assert res.totals.max() <= MAX_LEVEL * (1 + 1e-6)
