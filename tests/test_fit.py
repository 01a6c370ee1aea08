"""fit: small-sample intervals that cover at their stated rate, curve fits that recover known
parameters, and an honest 'not identified' when a history shows no slowdown."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

from leapforecast.analysis import fit
from leapforecast.data.history import History, load_history
from leapforecast.errors import HistoryError


def _history(years, log_units) -> History:
    return History(tuple(int(y) for y in years), tuple(float(math.exp(v)) for v in log_units))


def _random_walk(rng, n_points: int, mu: float, sigma: float, gaps: bool = False) -> History:
    steps = rng.integers(1, 3, n_points - 1) if gaps else np.ones(n_points - 1, int)
    years = 2000 + np.concatenate([[0], np.cumsum(steps)])
    # an interval of d years is the sum of d annual normal draws
    logs = np.log(1e5) + np.concatenate(
        [[0], np.cumsum(mu * steps + sigma * np.sqrt(steps) * rng.standard_normal(n_points - 1))]
    )
    return _history(years, logs)


@pytest.mark.parametrize("gaps", [False, True])
def test_log_growth_intervals_cover_at_the_stated_rate(gaps):
    """200 synthetic histories from known (mu, sigma): the 90% t interval for the mean and the
    90% chi-square interval for the sd contain the truth about 90% of the time."""
    rng = np.random.default_rng(20260105 + gaps)
    mu, sigma, n = 0.3, 0.2, 200
    hit_mean = hit_sd = 0
    for _ in range(n):
        f = fit.fit_log_growth(_random_walk(rng, 7, mu, sigma, gaps), level=0.9)
        hit_mean += f.mean.low <= mu <= f.mean.high
        hit_sd += f.sd.low <= sigma <= f.sd.high
    tol = 3 * math.sqrt(0.9 * 0.1 / n)  # three binomial standard errors
    assert abs(hit_mean / n - 0.9) < tol
    assert abs(hit_sd / n - 0.9) < tol


def test_log_growth_closed_form_on_leapmotor():
    f = fit.fit_log_growth(load_history(), level=0.9)
    logs = np.diff(np.log([43748, 111200, 144155, 293724, 596555]))
    assert f.mean.value == pytest.approx(logs.mean())
    assert f.sd.value == pytest.approx(logs.std(ddof=1))
    from scipy import stats

    half = stats.t.ppf(0.95, 3) * logs.std(ddof=1) / 2
    assert (f.mean.low, f.mean.high) == pytest.approx((logs.mean() - half, logs.mean() + half))
    assert f.rate.value == pytest.approx(math.expm1(logs.mean()))
    assert f.few_points and any("only 4 growth intervals" in w for w in f.warnings)


def test_exact_exponential_growth_has_zero_spread():
    h = _history(range(2010, 2022), [math.log(1000) + 0.25 * i for i in range(12)])
    f = fit.fit_log_growth(h)
    assert f.mean.value == pytest.approx(0.25)
    assert f.sd.value == pytest.approx(0.0, abs=1e-9)
    assert not f.few_points and f.warnings == ()


def test_one_interval_says_so_and_one_year_is_an_error():
    f = fit.fit_log_growth(History((2024, 2025), (100.0, 150.0)))
    assert f.mean.value == pytest.approx(math.log(1.5))
    assert math.isnan(f.sd.value) and math.isnan(f.mean.low)
    assert any("only one growth interval" in w for w in f.warnings)
    report = fit.fit_history(History((2024, 2025), (100.0, 150.0)))
    assert report.logistic is None and "curve fits" in " ".join(report.warnings)
    assert tomllib.loads(report.toml)["growth"]["rate"] == pytest.approx(0.5)
    with pytest.raises(HistoryError, match="at least two years"):
        fit.fit_log_growth(History((2025,), (100.0,)))
    with pytest.raises(HistoryError, match="level"):
        fit.fit_log_growth(load_history(), level=1.5)


def test_logistic_recovers_known_parameters_within_its_intervals():
    rng = np.random.default_rng(7)
    ceiling, r, mid = 1_000_000, 0.6, 2020.0
    years = np.arange(2012, 2028)
    n, hit_k, hit_r = 60, 0, 0
    for _ in range(n):
        logs = math.log(ceiling) - np.logaddexp(0, -r * (years - mid))
        c = fit.fit_logistic(_history(years, logs + 0.05 * rng.standard_normal(len(years))))
        assert c.identified and c.warnings == ()
        hit_k += c.param("ceiling").low <= ceiling <= c.param("ceiling").high
        hit_r += c.param("r").low <= r <= c.param("r").high
    # Jacobian intervals are asymptotic: allow a little under-coverage, not much
    assert hit_k / n >= 0.8 and hit_r / n >= 0.75


def test_bass_recovers_known_parameters_within_its_intervals():
    rng = np.random.default_rng(11)
    m, p, q = 2_000_000, 0.01, 0.5
    years = np.arange(2012, 2028)
    tau = years - 2011.0

    def cdf(t):
        e = np.exp(-(p + q) * np.maximum(t, 0))
        return (1 - e) / (1 + q / p * e)

    n, hits = 40, {"market_size": 0, "p": 0, "q": 0}
    for _ in range(n):
        logs = np.log(m * (cdf(tau) - cdf(tau - 1))) + 0.05 * rng.standard_normal(len(years))
        c = fit.fit_bass(_history(years, logs))
        assert c.identified
        for name, truth in (("market_size", m), ("p", p), ("q", q)):
            hits[name] += c.param(name).low <= truth <= c.param(name).high
    assert all(v / n >= 0.75 for v in hits.values()), hits


def test_five_years_of_fast_growth_do_not_identify_a_market_size():
    report = fit.fit_history(load_history())
    for curve in (report.logistic, report.bass):
        assert not curve.identified
        assert any("not identified" in w for w in curve.warnings)
    assert "[saturation]" not in tomllib.loads(report.toml)
    assert "does not identify a market ceiling" in report.toml


def test_identified_ceiling_goes_into_a_saturation_block():
    years = np.arange(2010, 2026)
    logs = math.log(800_000) - np.logaddexp(0, -0.7 * (years - 2017.0))
    logs = logs + 0.02 * np.sin(years)  # a little deterministic noise
    report = fit.fit_history(_history(years, logs))
    doc = tomllib.loads(report.toml)
    assert report.logistic.identified
    sat = doc["saturation"]["ceiling"]
    assert sat["dist"] == "lognormal" and sat["p5"] < 800_000 < sat["p95"]


def test_toml_block_validates_and_matches_the_intervals(write_scenario):
    from leapforecast.model.scenario import load_scenario

    report = fit.fit_history(load_history(), level=0.9)
    path = write_scenario('[scenario]\nname = "fitted"\n' + report.toml)
    sc = load_scenario(path)
    rate, vol = sc.spec.growth.rate, sc.spec.growth.volatility
    lg = report.log_growth
    assert rate.quantile(0.05) == pytest.approx(lg.rate.low, abs=2e-3)
    assert rate.quantile(0.95) == pytest.approx(lg.rate.high, abs=2e-3)
    assert rate.mode == pytest.approx(lg.rate.value, abs=1e-3)
    assert vol.quantile(0.05) == pytest.approx(lg.sd.low, abs=1e-3)
    assert vol.quantile(0.95) == pytest.approx(lg.sd.high, abs=1e-3)


def test_cli_fit_formats(cli, tmp_path):
    code, out, err = cli("fit", "--toml")
    assert code == 0 and "[growth]" in out and "warning:" in err
    assert tomllib.loads(out)["growth"]["rate"]["dist"] == "pert"
    code, out, _ = cli("fit")  # the table view ends with the block, never wrapped
    assert tomllib.loads(out.split("Paste into a scenario:\n", 1)[1])["growth"]
    code, out, _ = cli("fit", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == ",".join(fit.FIT_COLUMNS)
    assert "logistic,ceiling,," in out  # not identified: no estimate
    code, out, _ = cli("fit", "--format", "json")
    import json

    doc = json.loads(out)
    assert doc["few_points"] is True and doc["curves"]["logistic"]["identified"] is False
    csv_file = tmp_path / "m.csv"
    csv_file.write_text("year,units\n2020,100\n2021,180\n2022,300\n2023,420\n", encoding="utf-8")
    code, out, _ = cli("fit", "--file", str(csv_file), "--output", str(tmp_path / "o.txt"))
    assert code == 0 and out == "" and "Log growth" in (tmp_path / "o.txt").read_text()
    code, _, err = cli("fit", "--file", str(tmp_path / "missing.csv"))
    assert code == 2 and "no such file" in err
