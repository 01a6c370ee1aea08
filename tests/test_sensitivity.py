"""Sensitivity: Sobol indices against known answers, tornado against a closed form, every
bundled scenario through the CLI."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from leapforecast.analysis.saltelli import Z_95, saltelli_design, saltelli_indices
from leapforecast.analysis.sensitivity import (
    NOISE,
    rank_correlations,
    sensitivity,
    sobol_analyze,
    sobol_indices,
    tornado,
)
from leapforecast.engine.sobol import scrambled_sobol
from leapforecast.model.files import bundled_scenarios
from leapforecast.model.scenario import load_scenario

BUNDLED = sorted(bundled_scenarios())
B = 596_555  # Leapmotor 2025, the base of the bundled history


def _uniform(lo: float, hi: float):
    return lambda u: lo + (hi - lo) * u


def test_ishigami_indices_match_the_analytic_values():
    """Ishigami (a=7, b=0.1) on [-pi, pi]^3: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424,
    0.2437) (Sobol' & Levitan 1999). This checks the Saltelli sampling/analysis."""
    a, b = 7.0, 0.1

    def ishigami(x: np.ndarray) -> np.ndarray:
        return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])

    var = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    s1 = np.array([v1, v2, 0.0]) / var
    st = np.array([v1 + v13, v2, v13]) / var
    res = sobol_analyze(ishigami, ["x1", "x2", "x3"], [_uniform(-np.pi, np.pi)] * 3, n=8192, seed=1)
    np.testing.assert_allclose([r.s1 for r in res], s1, atol=0.02)
    np.testing.assert_allclose([r.st for r in res], st, atol=0.02)
    # ranking: x2 alone matters most; with interactions x1 leads
    assert max(res, key=lambda r: r.s1).name == "x2"
    assert [r.name for r in sorted(res, key=lambda r: -r.st)] == ["x1", "x2", "x3"]


def test_linear_model_indices_are_the_variance_shares():
    """y = sum a_i x_i with independent normals: S1_i = ST_i = a_i^2 s_i^2 / sum a_j^2 s_j^2."""
    coef, sd = np.array([1.0, 2.0, 0.5, 0.0]), np.array([1.0, 0.5, 2.0, 1.0])
    share = coef**2 * sd**2 / np.sum(coef**2 * sd**2)
    ppfs = [lambda u, s=s: norm.ppf(u, scale=s) for s in sd]
    res = sobol_analyze(lambda x: x @ coef, ["a", "b", "c", "d"], ppfs, n=4096, seed=3)
    np.testing.assert_allclose([r.s1 for r in res], share, atol=0.03)
    np.testing.assert_allclose([r.st for r in res], share, atol=0.02)


def _one_year(write_scenario, rate: str, volatility: float = 0.15):
    return load_scenario(
        write_scenario(f"""
        [simulation]
        horizon = 2026
        targets = [700_000, 1_000_000]
        [growth]
        rate = {rate}
        volatility = {volatility}
    """)
    )


def test_scenario_sobol_indices_of_units_match_the_analytic_split(write_scenario):
    """One year, units = B (1+r) exp(sigma z), r ~ U(0.2, 0.6): the trend rate and the noise
    have known first-order and total indices; the engine + design must recover them."""
    sigma = 0.15
    sc = _one_year(write_scenario, '{ dist = "uniform", low = 0.2, high = 0.6 }', sigma)
    m1, v1 = 1.4, 0.4**2 / 12  # 1 + r
    m2, v2 = math.exp(sigma**2 / 2), math.exp(2 * sigma**2) - math.exp(sigma**2)  # exp(sigma z)
    var = (v1 + m1**2) * (v2 + m2**2) - (m1 * m2) ** 2
    s_rate, s_noise = v1 * m2**2 / var, m1**2 * v2 / var
    res = {s.name: s for s in sobol_indices(sc, n=4096, seed=1, response="units")}
    assert set(res) == {"growth.rate", NOISE}
    assert res["growth.rate"].s1 == pytest.approx(s_rate, abs=0.04)
    assert res[NOISE].s1 == pytest.approx(s_noise, abs=0.04)
    assert res["growth.rate"].st == pytest.approx(1 - s_noise, abs=0.04)
    assert res[NOISE].st == pytest.approx(1 - s_rate, abs=0.04)


def test_tornado_probabilities_match_the_closed_form(write_scenario):
    """With the rate held at r, P(units_2026 >= K) = 1 - Phi((ln(K/B) - ln(1+r)) / sigma)."""
    sigma, target = 0.15, 1_000_000
    sc = _one_year(write_scenario, '{ dist = "pert", low = 0.2, mode = 0.45, high = 0.9 }', sigma)
    rows, base = tornado(sc, target=target, year=2026, paths=40_000, seed=4)
    (row,) = rows
    dist = sc.spec.growth.rate
    for q, p in ((0.1, row.prob_low), (0.9, row.prob_high)):
        r = dist.quantile(q)
        exact = 1 - norm.cdf((math.log(target / B) - math.log1p(r)) / sigma)
        se = math.sqrt(exact * (1 - exact) / 40_000)
        assert abs(p - exact) < 4 * se + 1e-4
    assert row.low == pytest.approx(dist.quantile(0.1))
    assert row.high == pytest.approx(dist.quantile(0.9))
    assert row.median_low == pytest.approx(B * (1 + row.low), rel=0.01)


def test_tornado_ranks_the_input_that_matters_first(write_scenario):
    sc = load_scenario(
        write_scenario("""
        [simulation]
        horizon = 2027
        [growth]
        rate = { dist = "uniform", low = 0.1, high = 0.9 }
        volatility = 0.05
        [[event]]
        name = "small"
        year = 2026
        kind = "multiply"
        impact = { dist = "uniform", low = -0.02, high = 0.0 }
        [[event]]
        name = "maybe"
        year = 2027
        probability = 0.5
        kind = "multiply"
        impact = -0.2
    """)
    )
    report = sensitivity(sc, target=1_000_000, year=2027, paths=20_000, sobol=512, seed=1)
    names = [r.name for r in report.inputs]
    assert names[0] == "growth.rate"
    assert names[-1] == NOISE
    maybe = next(r for r in report.inputs if r.name == "event.maybe.occurs")
    assert (maybe.low, maybe.high) == (0.0, 1.0)
    assert maybe.prob_high < maybe.prob_low  # the event happening hurts
    assert maybe.spearman < 0  # correlation with 'it happens', not with the raw uniform
    shares = [abs(r.variance_share) for r in report.inputs if r.variance_share is not None]
    assert sum(shares) == pytest.approx(1.0)
    assert max(report.inputs, key=lambda r: r.sobol.st if r.sobol else -1).name == "growth.rate"


def test_rank_correlations_need_kept_inputs():
    from leapforecast.engine.run import simulate
    from leapforecast.errors import LeapforecastError

    res = simulate(load_scenario(), paths=2000, seed=1)
    with pytest.raises(LeapforecastError, match="keep_inputs"):
        rank_correlations(res, 2026)


def test_sobol_indices_need_neither_salib_nor_scipy_stats(monkeypatch):
    """The design and estimators are NumPy (analysis.saltelli): a missing SALib changes nothing
    and the default command never imports it or scipy.stats (0.9 s of a 1.5 s command)."""
    for name in ("SALib", "SALib.analyze", "SALib.sample"):
        monkeypatch.setitem(sys.modules, name, None)
    report = sensitivity(load_scenario(), paths=2000, sobol=64)
    assert report.sobol_n == 64
    assert all(r.sobol is not None for r in report.inputs)
    code = (
        "import sys; from leapforecast.analysis.sensitivity import sensitivity; "
        "from leapforecast.model.scenario import load_scenario; "
        "sensitivity(load_scenario(), paths=500, sobol=32); "
        "print(sorted(m for m in ('SALib', 'scipy.stats', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("n", [16, 256])
def test_saltelli_design_and_indices_are_salibs_numbers(k, n):
    """Value for value what SALib's sample and analyze (calc_second_order=False) give."""
    salib_sample = pytest.importorskip("SALib.sample.sobol")
    salib_analyze = pytest.importorskip("SALib.analyze.sobol")
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    theirs = salib_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=77)
    ours = saltelli_design(k, n, seed=77)
    assert np.array_equal(ours.reshape(-1, k), theirs)
    y = np.sin(3 * ours[..., 0]) + ours.sum(axis=-1) ** 2 + (ours[..., -1] > 0.7)
    res = salib_analyze.analyze(problem, y.ravel(), calc_second_order=False, seed=91)
    mine = saltelli_indices(y, k, seed=91)
    for key, value in (("S1", mine.s1), ("S1_conf", mine.s1_conf), ("ST", mine.st)):
        assert np.array_equal(value, res[key]), key
    assert np.array_equal(mine.st_conf, res["ST_conf"])
    assert Z_95 == norm.ppf(0.975)


@pytest.mark.parametrize("d", [1, 2, 7, 20, 500])
@pytest.mark.parametrize("n", [1, 5, 64, 1000])
def test_scrambled_sobol_is_scipys_sequence(d, n):
    """engine.sobol gives qmc.Sobol's points bit for bit, from an integer seed (a fresh
    default_rng) and from a Generator (SciPy spawns a child and leaves the parent alone)."""
    import warnings

    from scipy.stats import qmc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n not a power of two
        for seed in (0, 5, 2**40 + 3):
            expected = qmc.Sobol(d, scramble=True, seed=seed).random(n)
            assert np.array_equal(scrambled_sobol(d, n, seed=seed), expected)
            theirs, mine = np.random.default_rng(seed), np.random.default_rng(seed)
            expected = qmc.Sobol(d, scramble=True, seed=theirs).random(n)
            assert np.array_equal(scrambled_sobol(d, n, seed=mine), expected)
            assert theirs.random() == mine.random()


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_scenario_in_every_format(cli, name):
    args = ("sensitivity", name, "-n", "1500", "--sobol", "32", "--seed", "3")
    outs = {}
    for fmt in ("table", "csv", "json"):
        code, out, err = cli(*args, "-f", fmt)
        assert code == 0, err
        outs[fmt] = out
    assert cli(*args, "-f", "csv")[1] == outs["csv"]
    frame = pd.read_csv(io.StringIO(outs["csv"]))
    mixture = load_scenario(name).mixture is not None  # one report per component
    columns = list(frame.columns)[2:6] if mixture else list(frame.columns)[:4]
    assert columns == ["input", "low", "high", "prob_low"]
    assert frame["prob_low"].dropna().between(0, 1).all()
    doc = json.loads(outs["json"])
    meta = doc["components"][0]["metadata"] if mixture else doc["metadata"]
    assert meta["target"] == max(load_scenario(name).targets)
    assert "Tornado" in outs["table"] and "\x1b[" not in outs["table"]


def test_cli_errors_and_plot(cli, tmp_path):
    code, _, err = cli("sensitivity", "--sobol", "100", "-n", "1000")
    assert code == 2 and "power of two" in err
    code, _, err = cli("sensitivity", "--year", "2031", "-n", "1000")
    assert code == 2 and "--year 2031" in err
    target = tmp_path / "tornado.png"
    code, _, err = cli("sensitivity", "-n", "2000", "--sobol", "0", "--plot", str(target))
    assert code == 0, err
    assert target.read_bytes()[:4] == b"\x89PNG"
