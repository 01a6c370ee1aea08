"""scoring and baselines: scores that agree with their definitions and closed forms, and a
calibration check that passes an honest method and catches an overconfident one."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from scipy import integrate, stats

from leapforecast.analysis import baselines, scoring
from leapforecast.analysis.baselines import last_growth, no_change, rw_drift
from leapforecast.analysis.scoring import (
    CoverageSummary,
    bootstrap_coverage_interval,
    calibration_verdict,
    central_interval,
    covered,
    crps_normal,
    crps_samples,
    crps_student_t,
    interval_score,
    pinball_loss,
    pit,
    pit_histogram,
    pit_uniformity_pvalue,
    skill,
    wilson_interval,
)


def test_importing_the_modules_does_not_load_scipy() -> None:
    code = (
        "import sys, leapforecast.analysis.scoring, leapforecast.analysis.baselines; "
        "print('scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- CRPS


def _crps_brute(x: np.ndarray, y: float) -> float:
    return float(np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :])))


def test_crps_samples_equals_brute_force_definition() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 7, 50):
        x = rng.standard_t(3, size=n)
        for y in (-2.0, 0.1, float(x[0]), 5.0):
            assert float(crps_samples(x, y)) == pytest.approx(_crps_brute(x, y), abs=1e-12)
    # vectorised over cases, with ties in the samples
    xs = rng.integers(0, 5, size=(6, 20)).astype(float)
    ys = rng.normal(2, 2, size=6)
    got = crps_samples(xs, ys)
    assert got.shape == (6,)
    np.testing.assert_allclose(got, [_crps_brute(xs[i], ys[i]) for i in range(6)], atol=1e-12)
    # a point forecast scores its absolute error
    assert float(crps_samples(np.full(10, 3.0), 1.5)) == pytest.approx(1.5)


def test_crps_samples_broadcasts_one_forecast_over_outcomes_and_rejects_mismatch() -> None:
    x = np.array([0.0, 1.0, 4.0])
    got = crps_samples(x, [0.0, 2.0])
    np.testing.assert_allclose(got, [_crps_brute(x, 0.0), _crps_brute(x, 2.0)])
    with pytest.raises(ValueError, match="one outcome per forecast"):
        crps_samples(np.zeros((4, 10)), np.zeros(3))
    with pytest.raises(ValueError, match="at least one draw"):
        crps_samples(np.zeros((4, 0)), np.zeros(4))


def test_crps_samples_of_a_large_normal_sample_matches_the_closed_form() -> None:
    rng = np.random.default_rng(1)
    x = 2.0 + 0.5 * rng.standard_normal(200_000)
    for y in (1.0, 2.3, 4.0):
        exact = float(crps_normal(2.0, 0.5, y))
        # Monte Carlo error of the sample CRPS is O(sigma / sqrt(n)) ~ 1e-3 here
        assert float(crps_samples(x, y)) == pytest.approx(exact, abs=5e-3)


def _crps_by_quad(cdf: Callable[[float], float], y: float) -> float:
    left, _ = integrate.quad(lambda t: cdf(t) ** 2, -np.inf, y, limit=200)
    right, _ = integrate.quad(lambda t: (1.0 - cdf(t)) ** 2, y, np.inf, limit=200)
    return left + right


@pytest.mark.parametrize("mu,sigma,y", [(0.0, 1.0, 0.0), (1.0, 2.0, -1.5), (-3.0, 0.3, -2.0)])
def test_crps_normal_matches_the_integral_definition(mu: float, sigma: float, y: float) -> None:
    expected = _crps_by_quad(stats.norm(mu, sigma).cdf, y)
    assert float(crps_normal(mu, sigma, y)) == pytest.approx(expected, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize(
    "df,loc,scale,y", [(1.5, 0.0, 1.0, 0.5), (3.0, 1.0, 2.0, -2.0), (10.0, -1.0, 0.5, 0.0)]
)
def test_crps_student_t_matches_the_integral_definition(
    df: float, loc: float, scale: float, y: float
) -> None:
    expected = _crps_by_quad(stats.t(df, loc, scale).cdf, y)
    assert float(crps_student_t(df, loc, scale, y)) == pytest.approx(expected, rel=1e-6)


def test_crps_student_t_tends_to_normal_and_is_vectorised() -> None:
    ys = np.linspace(-4, 4, 9)
    normal = crps_normal(0.5, 1.5, ys)
    np.testing.assert_allclose(crps_student_t(1e7, 0.5, 1.5, ys), normal, rtol=1e-6)
    np.testing.assert_allclose(crps_student_t(np.inf, 0.5, 1.5, ys), normal, rtol=1e-12)
    # heavier tails cost more at the centre than the normal of the same scale
    assert float(crps_student_t(3, 0, 1, 0)) > float(crps_normal(0, 1, 0))
    with pytest.raises(ValueError, match="df must be greater than 1"):
        crps_student_t(1.0, 0, 1, 0)
    with pytest.raises(ValueError, match="scale must be positive"):
        crps_student_t(5.0, 0, 0, 0)
    with pytest.raises(ValueError, match="sigma must be positive"):
        crps_normal(0, -1, 0)


# --------------------------------------------------------------------------- PIT


def test_pit_on_hand_computed_cases() -> None:
    v = np.random.default_rng(0).random(5)
    samples = np.array(
        [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 2, 3], [5, 5, 5, 5]], dtype=float
    )
    obs = np.array([2.5, 0.0, 9.0, 2.0, 5.0])
    got = pit(samples, obs, rng=np.random.default_rng(0))
    expected = [
        (2 + v[0]) / 5,  # between the 2nd and 3rd of 4 samples: slot 2 of 0..4
        v[1] / 5,  # below all
        (4 + v[2]) / 5,  # above all
        (1 + 3 * v[3]) / 5,  # ties with two samples: rank uniform on 1..3
        v[4],  # a point forecast hit exactly: uniform on [0, 1]
    ]
    np.testing.assert_allclose(got, expected)
    assert np.all((got >= 0) & (got <= 1))
    # the seed alone fixes the result
    np.testing.assert_array_equal(got, pit(samples, obs, rng=0))


def test_pit_histogram_and_uniformity_pvalue_on_hand_cases() -> None:
    counts = pit_histogram([0.0, 0.05, 0.1, 0.55, 1.0], bins=10)
    np.testing.assert_array_equal(counts, [2, 1, 0, 0, 0, 1, 0, 0, 0, 1])
    flat = (np.arange(100) + 0.5) / 100
    assert pit_uniformity_pvalue(flat, bins=10) == pytest.approx(1.0)
    # all in one bin of 10: chi2 = 9 * n on 9 df
    assert pit_uniformity_pvalue(np.full(30, 0.42)) == pytest.approx(stats.chi2.sf(270, 9))
    assert math.isnan(pit_uniformity_pvalue([]))
    with pytest.raises(ValueError, match=r"pits must lie in \[0, 1\]"):
        pit_histogram([0.5, 1.2])
    with pytest.raises(ValueError, match="bins must be a positive integer"):
        pit_histogram([0.5], bins=0)


# --------------------------------------------------------------------------- intervals & losses


def test_central_interval_and_covered() -> None:
    x = np.arange(101, dtype=float)
    lo, hi = central_interval(x, 0.9)
    assert (float(lo), float(hi)) == pytest.approx((5.0, 95.0), abs=1e-12)
    np.testing.assert_array_equal(
        covered(np.tile(x, (4, 1)), [5.0, 95.0, 95.5, 4.9], 0.9), [True, True, False, False]
    )
    with pytest.raises(ValueError, match="level must lie strictly between 0 and 1"):
        central_interval(x, 90)


def test_interval_score_on_hand_computed_cases() -> None:
    got = interval_score(1.0, 3.0, [2.0, 1.0, 0.0, 4.5], 0.1)
    # width 2; misses cost 2/alpha = 20 per unit outside
    np.testing.assert_allclose(got, [2.0, 2.0, 2.0 + 20.0 * 1.0, 2.0 + 20.0 * 1.5])
    with pytest.raises(ValueError, match="lo must not exceed hi"):
        interval_score(3.0, 1.0, 2.0, 0.1)
    with pytest.raises(ValueError, match="alpha"):
        interval_score(1.0, 3.0, 2.0, 0.0)


def test_pinball_loss_and_skill() -> None:
    np.testing.assert_allclose(pinball_loss(1.0, [3.0, 0.0, 1.0], 0.9), [1.8, 0.1, 0.0])
    np.testing.assert_allclose(pinball_loss(2.0, [0.0, 5.0], 0.5), [1.0, 1.5])  # |e| / 2
    np.testing.assert_allclose(pinball_loss([1.0, 2.0], 1.5, [0.1, 0.9]), [0.05, 0.05])
    with pytest.raises(ValueError, match="quantile level"):
        pinball_loss(1.0, 1.0, 1.0)
    assert skill(1.0, 2.0) == 0.5
    assert skill(3.0, 2.0) == -0.5
    assert math.isnan(skill(1.0, 0.0))


# --------------------------------------------------------------------------- coverage


@pytest.mark.parametrize("k,n", [(0, 10), (10, 10), (3, 7), (45, 50), (1, 1), (900, 1000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_interval_matches_scipy(k: int, n: int, confidence: float) -> None:
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    lo, hi = wilson_interval(k, n, confidence=confidence)
    assert lo == pytest.approx(ref.low, abs=1e-12)
    assert hi == pytest.approx(ref.high, abs=1e-12)


def test_wilson_interval_edge_cases() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    for k, n in [(-1, 5), (6, 5), (1.5, 5)]:
        with pytest.raises(ValueError, match="k"):
            wilson_interval(k, n)  # type: ignore[arg-type]


def test_calibration_verdict_and_coverage_summary() -> None:
    assert calibration_verdict(40, 100, 0.9) == "too narrow"
    assert calibration_verdict(100, 100, 0.5) == "too wide"
    assert calibration_verdict(9, 10, 0.9) == "consistent"
    assert calibration_verdict(0, 0, 0.9) == "consistent"
    s = CoverageSummary.from_hits(np.array([True] * 60 + [False] * 40), 0.9)
    row = s.as_row()
    assert list(row) == ["hits", "cases", "rate", "lo", "hi", "nominal", "verdict"]
    assert (row["hits"], row["cases"], row["rate"], row["verdict"]) == (60, 100, 0.6, "too narrow")
    assert (row["lo"], row["hi"]) == wilson_interval(60, 100)
    assert s.verdict == "too narrow"
    assert math.isnan(CoverageSummary(0, 0, 0.9).rate)
    with pytest.raises(ValueError, match="boolean"):
        CoverageSummary.from_hits(np.array([1, 0, 1]), 0.9)


def test_bootstrap_coverage_interval_is_deterministic_and_respects_clusters() -> None:
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(25), 8)  # 25 target years, 8 makers each
    # each year a shared shock makes all its cases miss together with probability 0.15
    year_hit = rng.random(25) > 0.15
    hits = year_hit[groups] & (rng.random(groups.size) > 0.03)
    point = float(hits.mean())
    a = bootstrap_coverage_interval(hits, groups, rng=123)
    b = bootstrap_coverage_interval(hits, groups, rng=np.random.default_rng(123))
    assert a == b
    assert a[0] <= point <= a[1]
    assert a != bootstrap_coverage_interval(hits, groups, rng=124)
    # resampling whole years sees the shared shocks that the binomial interval ignores
    wlo, whi = wilson_interval(int(hits.sum()), hits.size)
    assert a[1] - a[0] > 1.3 * (whi - wlo)
    with pytest.raises(ValueError, match="same length"):
        bootstrap_coverage_interval(hits, groups[:-1], rng=0)


# --------------------------------------------------------------------------- baselines


def test_point_baselines() -> None:
    np.testing.assert_array_equal(no_change([5.0, 8.0], [1, 3], draws=4), np.full((2, 4), 8.0))
    np.testing.assert_allclose(
        last_growth([100.0, 110.0], [1, 2, 3], draws=2),
        np.repeat([[121.0], [133.1], [146.41]], 2, axis=1),
    )
    assert set(baselines.BASELINES) == {"rw-drift", "no-change", "last-growth"}
    with pytest.raises(ValueError, match="at least 2 levels"):
        last_growth([100.0], [1], draws=2)
    with pytest.raises(ValueError, match="positive levels"):
        no_change([100.0, 0.0], [1], draws=2)
    with pytest.raises(ValueError, match="horizons must be positive"):
        no_change([100.0], [0, 1], draws=2)


def test_rw_drift_marginals_are_the_student_t_predictive() -> None:
    levels = np.exp(np.log(1000.0) + np.cumsum([0.0, 0.3, 0.1, 0.25, -0.05, 0.2]))
    growth = np.diff(np.log(levels))
    n, g, s = growth.size, growth.mean(), growth.std(ddof=1)
    out = rw_drift(levels, [1, 4], draws=200_000, rng=3)
    assert out.shape == (2, 200_000)
    probs = [0.05, 0.25, 0.5, 0.75, 0.95]
    for row, h in zip(out, (1, 4), strict=True):
        change = np.log(row) - np.log(levels[-1])
        expected = h * g + s * math.sqrt(h + h * h / n) * stats.t.ppf(probs, n - 1)
        np.testing.assert_allclose(np.quantile(change, probs), expected, atol=0.01)
    with pytest.raises(ValueError, match="at least 3 levels"):
        rw_drift([1.0, 2.0], [1], draws=10, rng=0)
    with pytest.raises(ValueError, match="draws must be a positive integer"):
        rw_drift(levels, [1], draws=0, rng=0)


def _synthetic_cases(
    n_series: int, origins: tuple[int, ...], horizons: tuple[int, ...], draws: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Log-level random walks with drift; returns log samples of rw_drift (two independent
    streams) and of no_change, the log outcomes and the horizon of every case."""
    rng = np.random.default_rng(seed)
    length = max(origins) + max(horizons) + 1
    drift = rng.normal(0.08, 0.05, n_series)
    vol = rng.uniform(0.05, 0.25, n_series)
    logs = np.log(1e4) + np.cumsum(
        drift[:, None] + vol[:, None] * rng.standard_normal((n_series, length)), axis=1
    )
    a, b, naive, ys, hs = [], [], [], [], []
    for i in range(n_series):
        levels = np.exp(logs[i])
        for o in origins:
            past = levels[: o + 1]
            a.append(np.log(rw_drift(past, horizons, draws=draws, rng=rng)))
            b.append(np.log(rw_drift(past, horizons, draws=draws, rng=rng)))
            naive.append(np.log(no_change(past, horizons, draws=draws)))
            ys.append(logs[i, [o + h for h in horizons]])
            hs.append(horizons)
    return (
        np.concatenate(a),
        np.concatenate(b),
        np.concatenate(naive),
        np.concatenate(ys),
        np.concatenate(hs),
    )


def test_rw_drift_is_calibrated_and_an_overconfident_method_is_caught() -> None:
    a, b, naive, y, h = _synthetic_cases(300, (4, 8, 12), (1, 2, 3), draws=800, seed=13)
    assert a.shape == (2700, 800)

    # rw_drift: coverage near nominal at every level, flat PIT on independent cases
    for level in (0.5, 0.8, 0.9):
        assert covered(a, y, level).mean() == pytest.approx(level, abs=0.03)
    first = (h == 1) & (np.arange(h.size) % 9 == 0)  # one origin per series: independent
    hits = covered(a[first], y[first], 0.9)
    assert CoverageSummary.from_hits(hits, 0.9).verdict == "consistent"
    assert pit_uniformity_pvalue(pit(a[first], y[first], rng=0)) > 0.01

    # CRPS skill of rw_drift against itself (another stream) is ~0; it beats no-change
    crps_a = float(crps_samples(a, y).mean())
    assert skill(crps_a, float(crps_samples(b, y).mean())) == pytest.approx(0.0, abs=0.01)
    assert skill(crps_a, float(crps_samples(naive, y).mean())) > 0.1

    # the same forecasts with a third of the spread: overconfident
    centre = a.mean(axis=1, keepdims=True)
    narrow = centre + (a - centre) / 3.0
    summary = CoverageSummary.from_hits(covered(narrow, y, 0.9), 0.9)
    assert summary.rate < 0.7
    assert summary.verdict == "too narrow"
    pits = pit(narrow, y, rng=1)
    counts = pit_histogram(pits)
    assert min(counts[0], counts[-1]) > 2 * counts[3:7].max()  # U shape
    assert pit_uniformity_pvalue(pits) < 0.01
    assert skill(float(crps_samples(narrow, y).mean()), crps_a) < 0
    assert scoring.calibration_verdict(int(hits.sum()), hits.size, 0.9) == "consistent"


def test_chi2_sf_is_scipys_chdtrc_without_scipy():
    """The PIT test's p-value by the finite sum, against SciPy's kernel (tests only)."""
    from scipy.special import chdtrc

    from leapforecast.analysis.scoring import chi2_sf

    xs = np.concatenate([np.linspace(0.01, 150.0, 400), np.geomspace(1e-9, 700.0, 200)])
    for df in range(1, 25):
        ours = np.array([chi2_sf(float(x), df) for x in xs])
        ref = chdtrc(df, xs)
        live = ref > 1e-290
        assert np.allclose(ours[live], ref[live], rtol=1e-12, atol=0), df
    assert chi2_sf(0.0, 3) == 1.0 and chi2_sf(math.inf, 3) == 0.0
    assert math.isnan(chi2_sf(math.nan, 3))
    assert chi2_sf(3.0, 4) == pytest.approx(math.exp(-1.5) * 2.5, rel=1e-15)
    with pytest.raises(ValueError, match="`df`"):
        chi2_sf(1.0, 0)
