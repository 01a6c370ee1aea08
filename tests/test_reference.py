"""The outside-view reference-class model: conjugate fit, predictive, simulation, input checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from leapforecast.analysis import reference as R

TRUE_A, TRUE_B, TRUE_SIGMA, L0 = 0.5, -0.15, 0.3, 100_000.0


def synthetic_series(
    n_makers: int = 40, n_years: int = 8, *, seed: int = 0
) -> dict[str, list[tuple[int, float]]]:
    """Levels evolved by the model itself from known a, b, sigma."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[tuple[int, float]]] = {}
    for i in range(n_makers):
        log_level = math.log(rng.uniform(30_000, 2_000_000))
        rows = [(2010, math.exp(log_level))]
        for t in range(1, n_years + 1):
            g = TRUE_A + TRUE_B * (log_level - math.log(L0)) + TRUE_SIGMA * rng.standard_normal()
            log_level += g
            rows.append((2010 + t, math.exp(log_level)))
        out[f"m{i}"] = rows
    return out


@pytest.fixture(scope="module")
def synth() -> R.GrowthData:
    return R.growth_observations(synthetic_series(), min_units=0)


@pytest.fixture(scope="module")
def synth_fit(synth: R.GrowthData) -> R.ReferenceFit:
    return R.fit_reference(synth, L0=L0)


def test_posterior_recovers_known_parameters(synth, synth_fit):
    assert len(synth) == 40 * 8
    s = synth_fit.summary()
    assert synth_fit.a == pytest.approx(TRUE_A, abs=3 * s["a_se"])
    assert synth_fit.b == pytest.approx(TRUE_B, abs=3 * s["b_se"])
    assert synth_fit.sigma == pytest.approx(TRUE_SIGMA, rel=0.1)
    assert s["a_se"] < 0.1 and s["b_se"] < 0.05  # informative enough to be a real check
    assert s["equilibrium_level"] == pytest.approx(L0 * math.exp(-synth_fit.a / synth_fit.b))


def test_predictive_interval_covers_fresh_draws(synth_fit):
    rng = np.random.default_rng(1)
    levels = np.exp(rng.uniform(math.log(30_000), math.log(3_000_000), size=20_000))
    growth = (
        TRUE_A
        + TRUE_B * (np.log(levels) - math.log(L0))
        + TRUE_SIGMA * rng.standard_normal(levels.size)
    )
    lo, hi = synth_fit.predictive_interval(levels, coverage=0.9)
    covered = np.mean((growth >= lo) & (growth <= hi))
    assert covered == pytest.approx(0.9, abs=0.02)
    df, loc, scale = synth_fit.predictive(np.log(levels[:3]))
    assert df == pytest.approx(2 * synth_fit.ig_shape)
    assert loc.shape == scale.shape == (3,) and np.all(scale > synth_fit.sigma)


def test_noninformative_prior_is_ols_and_wls(synth):
    x = np.column_stack([np.ones(len(synth)), synth.log_level - math.log(L0)])
    beta, *_ = np.linalg.lstsq(x, synth.growth, rcond=None)
    resid = synth.growth - x @ beta
    fit = R.fit_reference(synth, L0=L0, prior="noninformative")
    assert fit.mean == pytest.approx(beta, rel=1e-10, abs=1e-12)
    assert fit.sigma == pytest.approx(math.sqrt(resid @ resid / (len(synth) - 2)), rel=1e-10)
    assert fit.dof == pytest.approx(len(synth) - 2)
    assert fit.cov_scale == pytest.approx(np.linalg.inv(x.T @ x), rel=1e-8)

    # with a half-life, the point estimate is weighted least squares
    w = 0.5 ** ((synth.last_year - synth.year) / 2.0)
    sw = np.sqrt(w)
    beta_w, *_ = np.linalg.lstsq(x * sw[:, None], synth.growth * sw, rcond=None)
    fit_w = R.fit_reference(synth, L0=L0, prior="noninformative", recent_weight=2.0)
    assert fit_w.mean == pytest.approx(beta_w, rel=1e-10, abs=1e-12)
    assert fit_w.n_eff == pytest.approx(w.sum()) and fit_w.n_obs == len(synth)


def test_weak_prior_shrinks_little_with_much_data(synth, synth_fit):
    ols = R.fit_reference(synth, L0=L0, prior="noninformative")
    assert synth_fit.mean == pytest.approx(ols.mean, abs=0.01)
    custom = R.NIGPrior(mean=(0.0, 0.0), cov_scale=((1e-4, 0.0), (0.0, 1e-4)), shape=1.0, scale=0.1)
    tight = R.fit_reference(synth, L0=L0, prior=custom)
    assert abs(tight.a) < abs(synth_fit.a) / 2 and tight.prior == "custom"


def test_simulate_reproducible_positive_and_first_year_matches_t(synth_fit):
    a = synth_fit.simulate(50_000, 5, draws=2_000, rng=42)
    b = synth_fit.simulate(50_000, 5, draws=2_000, rng=42)
    c = synth_fit.simulate(50_000, 5, draws=2_000, rng=43)
    assert a.shape == (5, 2_000)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.all(np.isfinite(a)) and np.all(a > 0)
    gen = np.random.default_rng(5)
    assert np.array_equal(
        synth_fit.simulate(50_000, 2, draws=10, rng=np.random.default_rng(5)),
        synth_fit.simulate(50_000, 2, draws=10, rng=gen),
    )

    from scipy import stats

    # year 1: the mixture over posterior draws is the Student-t predictive
    level = 400_000.0
    sims = synth_fit.simulate(level, 1, draws=200_000, rng=3)[0]
    df, loc, scale = synth_fit.predictive(math.log(level))
    qs = (0.05, 0.5, 0.95)
    expected = level * np.exp(stats.t.ppf(qs, df, loc, scale))
    assert synth_fit.quantiles(level, 1, qs, draws=200_000, rng=3)[0] == pytest.approx(
        np.quantile(sims, qs)
    )
    assert np.quantile(sims, qs) == pytest.approx(expected, rel=0.01)


def test_growth_slows_as_level_rises(synth_fit):
    assert synth_fit.b < 0
    levels = synth_fit.simulate(20_000, 10, draws=20_000, rng=0)
    log_levels = np.log(np.vstack([np.full(levels.shape[1], 20_000.0), levels]))
    median_growth = np.median(np.diff(log_levels, axis=0), axis=1)
    assert np.all(np.diff(median_growth) < 0)
    _, loc, _ = synth_fit.predictive(np.log([50_000.0, 500_000.0, 5_000_000.0]))
    assert np.all(np.diff(loc) < 0)


def test_prob_ge_and_quantiles_shapes(synth_fit):
    p = synth_fit.prob_ge(100_000, 3, [50_000, 100_000, 1e9], draws=5_000, rng=1)
    assert p.shape == (3, 3)
    assert np.all(np.diff(p, axis=1) <= 0)  # higher target, lower probability
    assert np.all(p[:, 2] == 0.0) and np.all(p[:, 0] > 0.5)
    q = synth_fit.quantiles(100_000, 3, (0.1, 0.5, 0.9), draws=5_000, rng=1)
    assert q.shape == (3, 3) and np.all(np.diff(q, axis=1) > 0)


def test_growth_bound_warns_instead_of_overflowing():
    explosive = R.ReferenceFit(
        mean=np.array([0.5, 0.8]),
        cov_scale=np.eye(2) * 1e-6,
        ig_shape=50.0,
        ig_scale=0.5,
        L0=L0,
        n_obs=100,
        n_eff=100.0,
        prior="custom",
    )
    with pytest.warns(RuntimeWarning, match="bounded"):
        sims = explosive.simulate(1e6, 60, draws=100, rng=0)
    assert np.all(np.isfinite(sims)) and np.all(sims > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explosive.simulate(1e6, 1, draws=100, rng=0)  # first year well within the bound


def test_until_year_and_makers_filter():
    series = R.load_annual_series()
    assert series["Leapmotor"][-1] == (2025, 596_555.0)
    full = R.growth_observations(series)
    cut = R.growth_observations(series, until_year=2022)
    assert cut.last_year == 2022 and full.last_year == 2025
    assert len(cut) < len(full)
    assert set(zip(cut.maker, cut.year.tolist(), strict=True)) <= set(
        zip(full.maker, full.year.tolist(), strict=True)
    )
    # min_units: XPeng 2019 (12,728) is the only start level below 20,000
    low = R.growth_observations(series, min_units=0)
    assert len(low) - len(full) == 1
    assert R.growth_observations(series, makers=["Tesla"]).makers == ("Tesla",)
    assert R.fit_reference(cut).mean != pytest.approx(R.fit_reference(full).mean)
    # Xiaomi has a single year: no growth observation
    assert "Xiaomi" not in full.makers


def test_recent_weight_pulls_toward_recent_years():
    rng = np.random.default_rng(2)
    series: dict[str, list[tuple[int, float]]] = {}
    for i in range(10):
        log_level = math.log(100_000.0)
        rows = [(2000, math.exp(log_level))]
        for year in range(2001, 2021):
            log_level += (0.8 if year <= 2010 else 0.1) + 0.05 * rng.standard_normal()
            rows.append((year, math.exp(log_level)))
        series[f"m{i}"] = rows
    data = R.growth_observations(series)
    # drop the slope's influence: compare growth predicted at the mean recent level
    recent_level = float(np.mean(data.log_level[data.year > 2010]))
    flat = R.fit_reference(data).predictive(recent_level)[1]
    short = R.fit_reference(data, recent_weight=1.0).predictive(recent_level)[1]
    assert abs(short - 0.1) < abs(flat - 0.1)
    weighted = R.fit_reference(data, recent_weight=1.0)
    assert weighted.n_eff < weighted.n_obs and weighted.half_life == 1.0


def test_reference_backtest_uses_only_data_up_to_origin():
    """The rolling-origin check of the reference model lives in the calibration report
    (analysis/backtest.py, method ``reference``): a later figure changes no earlier forecast."""
    from leapforecast.analysis import backtest as bt
    from leapforecast.data.history import History

    universe = bt.default_universe()
    base = bt.backtest(universe, methods=("reference",), horizons=(1, 2), draws=300, seed=0)
    tesla = universe["Tesla"]
    units = tuple(u * 3 if y == 2025 else u for y, u in zip(tesla.years, tesla.units, strict=True))
    moved = bt.backtest(
        {**universe, "Tesla": History(tesla.years, units, tesla.source)},
        methods=("reference",),
        horizons=(1, 2),
        draws=300,
        seed=0,
    )
    early = [(c.series, c.origin, c.horizon, c.p5, c.p95) for c in base.cases if c.year < 2025]
    assert len(early) > 20
    assert early == [
        (c.series, c.origin, c.horizon, c.p5, c.p95) for c in moved.cases if c.year < 2025
    ]


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: R.fit_reference(R.growth_observations({})), "data"),
        (lambda: R.fit_reference(R.growth_observations({"x": [(2020, 1e5)]})), "data"),
        (lambda: R.growth_observations({"x": [(2020, 0.0), (2021, 1e5)]}), "series"),
        (lambda: R.growth_observations({"x": [(2020, -5.0)]}), "series"),
        (lambda: R.growth_observations({"x": [(2020, float("nan"))]}), "series"),
        (lambda: R.growth_observations({"x": [(2020, 1.0), (2020, 2.0)]}), "series"),
        (lambda: R.growth_observations({"x": [(2020, 1.0)]}, makers=["y"]), "makers"),
        (lambda: R.growth_observations({"x": [(2020, 1.0)]}, min_units=-1), "min_units"),
    ],
)
def test_bad_data_raises(call, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        call()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"draws": 0}, "draws"),
        ({"draws": 2.5}, "draws"),
        ({"start_level": 0.0}, "start_level"),
        ({"start_level": -1.0}, "start_level"),
        ({"start_level": float("inf")}, "start_level"),
        ({"years": 0}, "years"),
        ({"max_log_growth": 0.0}, "max_log_growth"),
    ],
)
def test_bad_simulate_arguments_raise(synth_fit, kwargs, name):
    args = {"start_level": 1e5, "years": 2, "draws": 10} | kwargs
    start, years = args.pop("start_level"), args.pop("years")
    with pytest.raises(ValueError, match=rf"^{name}:"):
        synth_fit.simulate(start, years, rng=0, **args)


def test_bad_fit_options_raise(synth, synth_fit):
    with pytest.raises(ValueError, match="^prior:"):
        R.fit_reference(synth, prior="flat")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^recent_weight:"):
        R.fit_reference(synth, recent_weight=0.0)
    with pytest.raises(ValueError, match="^L0:"):
        R.fit_reference(synth, L0=0.0)
    with pytest.raises(ValueError, match="^data:"):
        R.fit_reference(R.growth_observations(synthetic_series(1, 2)), prior="noninformative")
    with pytest.raises(ValueError, match="^q:"):
        synth_fit.quantiles(1e5, 1, (0.5, 1.5), draws=10, rng=0)
    with pytest.raises(ValueError, match="^coverage:"):
        synth_fit.predictive_interval(1e5, coverage=1.0)
    with pytest.raises(ValueError, match="^prior.shape:"):
        R.NIGPrior(shape=0.0)
