"""The monthly model behind the nowcast (issue 15): Chinese New Year, damped momentum, the annual
view as a level, pooled noise, and events dated to a month."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leapforecast.analysis.nowcast import (
    LEGACY,
    MonthlyOptions,
    month_events,
    pooled_weights_before,
    year_to_date,
)
from leapforecast.analysis.seasonal import fit_monthly, noise_loglik, pooled_noise_weights
from leapforecast.data.calendar import cny_share
from leapforecast.data.monthly import MonthlyHistory, load_monthly, month_index
from leapforecast.engine.run import simulate
from leapforecast.errors import UsageError
from leapforecast.model.scenario import ScenarioError, load_scenario

SEASON = np.log([0.95, 0.9, 1.0, 0.95, 1.0, 1.02, 1.0, 1.05, 1.05, 1.0, 1.05, 1.1])
CNY_EFFECT = -0.6  # log effect of a month holding the whole holiday window


def synthetic(first_year: int = 2021, last_year: int = 2024, seed: int = 5) -> MonthlyHistory:
    """Log months = a steady trend (1.5% a month) + seasonality + a Chinese New Year dip +
    small noise."""
    rng = np.random.default_rng(seed)
    months, units = [], []
    for y in range(first_year, last_year + 1):
        share = cny_share(y)
        for m in range(1, 13):
            t = (y - first_year) * 12 + m - 1
            log_u = math.log(20_000) + 0.015 * t + SEASON[m - 1] + CNY_EFFECT * share[m - 1]
            months.append(month_index(y, m))
            units.append(float(math.exp(log_u + 0.03 * rng.standard_normal())))
    return MonthlyHistory(tuple(months), tuple(units), "synthetic")


def rest_median(ytd, prior: np.ndarray, seed: int = 3) -> tuple[float, float]:
    """(median full-year total, median of the remaining months' total)."""
    totals, _ = ytd.draw(prior, np.random.default_rng(seed))
    return float(np.median(totals)), float(np.median(totals - ytd.ytd))


def test_chinese_new_year_moving_volume_between_january_and_february_keeps_the_total() -> None:
    hist = synthetic()
    prior = 400_000 * np.exp(0.15 * np.random.default_rng(1).standard_normal(4000))
    jan, feb = 21_000.0, 15_000.0
    results = []
    for moved in (0.0, 5_000.0, -5_000.0):  # the holiday's dip in February, January, or between
        ytd = year_to_date(
            {"2025-01": jan - moved, "2025-02": feb + moved},
            year=2025,
            monthly=hist,
            prior_log_sd=0.15,
            seed=2,
            pilot=4000,
            options=MonthlyOptions(pooled=False),
        )
        results.append(rest_median(ytd, prior)[0])
    assert max(results) / min(results) - 1 < 1e-9


def test_chinese_new_year_regressor_is_estimated() -> None:
    fit = fit_monthly(synthetic(), end=month_index(2024, 12), cny=True)
    state = fit.sample_state(4000, np.random.default_rng(0))
    assert fit.cny
    assert abs(float(np.mean(state["cny"])) - CNY_EFFECT) < 0.15


@pytest.mark.parametrize("dip", [0.3])
def test_a_dip_in_the_first_two_months_moves_the_rest_less_than_itself(dip: float) -> None:
    """Leapmotor 2025 with January and February as the model expected, then with a one-off
    dip: the rest of the year's median falls by less than the dip (relative), for a dip in
    February alone and in both months."""
    hist = load_monthly()
    prior = 600_000 * np.exp(0.2 * np.random.default_rng(1).standard_normal(4000))
    base = {"2025-01": 25_000.0, "2025-02": 25_000.0}
    cases = {
        "feb": {"2025-01": 25_000.0, "2025-02": 25_000.0 * (1 - dip)},
        "both": {k: v * (1 - dip) for k, v in base.items()},
    }

    def rest(actuals: dict[str, float]) -> float:
        ytd = year_to_date(
            actuals,
            year=2025,
            monthly=hist,
            prior_log_sd=0.2,
            seed=4,
            pilot=4000,
        )
        return rest_median(ytd, prior)[1]

    before = rest(base)
    for actuals in cases.values():
        after = rest(actuals)
        assert after < before  # a dip is some evidence
        assert after >= (1 - dip) * before


def test_annual_view_moves_near_and_distant_months_alike() -> None:
    ytd = year_to_date(
        {"2025-01": 25_000.0, "2025-02": 20_000.0, "2025-03": 37_000.0},
        year=2025,
        prior_log_sd=0.2,
        seed=4,
        pilot=2000,
    )
    assert ytd.beta is not None
    assert np.allclose(ytd.beta, 1.0)
    legacy = year_to_date(
        {"2025-01": 25_000.0, "2025-02": 20_000.0, "2025-03": 37_000.0},
        year=2025,
        prior_log_sd=0.2,
        seed=4,
        pilot=2000,
        options=LEGACY,
    )
    assert legacy.beta is not None and legacy.beta[-1] > 2 * legacy.beta[0]


def test_two_months_do_not_set_the_years_momentum() -> None:
    """Weights that carry January and February forward to May: a weighted level (each in
    [0, 1]) with the damped model, a trend (one weight negative) with the random walk."""
    actuals = {"2025-01": 25_000.0, "2025-02": 20_000.0}
    kw = dict(year=2025, prior_log_sd=0.2, seed=1, pilot=4000)
    ytd = year_to_date(actuals, options=MonthlyOptions(jan_feb=False), **kw)
    legacy = year_to_date(actuals, options=LEGACY, **kw)
    may = 5 - 3  # row of May among the remaining months March..December
    assert ytd.weights is not None and legacy.weights is not None
    assert np.all((ytd.weights[may] >= -0.05) & (ytd.weights[may] <= 1.05))
    assert legacy.weights[may].min() < -0.1
    joined = year_to_date(actuals, **kw)  # the default: January and February as one period
    assert joined.weights is not None and joined.weights.shape == (10, 1)


def test_damped_fit_keeps_its_damping() -> None:
    fit = fit_monthly(synthetic(), end=month_index(2024, 12), damping=0.8)
    assert fit.damping == 0.8
    assert np.isfinite(fit.simulate(100, np.random.default_rng(0), 24)).all()
    with pytest.raises(UsageError, match="damping"):
        fit_monthly(synthetic(), end=month_index(2024, 12), damping=1.5)


def test_options_are_checked() -> None:
    with pytest.raises(UsageError, match="damping"):
        MonthlyOptions(damping=0.0)
    with pytest.raises(UsageError, match="tail_df"):
        MonthlyOptions(tail_df=2.0)


def test_pooled_noise_weights_add_up_and_never_see_the_scored_year() -> None:
    a, b = synthetic(seed=1), synthetic(seed=2)
    end = month_index(2023, 12)
    la, lb = noise_loglik(a, end=end), noise_loglik(b, end=end)
    pooled = pooled_noise_weights([la, lb])
    key = next(iter(pooled))
    assert pooled[key] == pytest.approx(la[key] + lb[key])
    # months of the scored year (here absurd ones) change nothing
    wild = MonthlyHistory(a.months + (month_index(2025, 1),), a.units + (1e7,), "synthetic", (), ())
    assert pooled_weights_before([wild, b], 2025, cny=True) == pooled_weights_before(
        [a, b], 2025, cny=True
    )
    fit = fit_monthly(a, end=end, noise_weights=pooled)
    assert math.isclose(sum(c.weight for c in fit.components), 1.0)


# ----------------------------------------------------------------------- events dated to a month

EVENT = """
    [scenario]
    name = "dip"
    [history]
    base_year = 2024
    [simulation]
    horizon = 2027
    paths = 4000
    seed = 11
    [growth]
    rate = 0.3
    [[event]]
    name = "subsidy gap"
    year = 2025
    impact = -0.4
    persistence = "{persistence}"
    {month}
"""


def scenario(tmp_path, persistence: str, month: str = "") -> object:
    path = tmp_path / "dip.toml"
    path.write_text(EVENT.format(persistence=persistence, month=month))
    return load_scenario(path)


def first_years(sc: object) -> np.ndarray:
    return np.asarray(simulate(sc, paths=500, seed=1).totals, float)[:, :3].mean(axis=0)


def test_annual_engine_counts_the_months_an_event_covers(tmp_path) -> None:
    none = first_years(scenario(tmp_path, "one-year").with_overrides("event.0.impact=0"))
    dip = first_years(scenario(tmp_path, "months:3", 'month = "2025-01"'))
    assert dip[0] / none[0] == pytest.approx(1 - 0.4 * 3 / 12)
    assert dip[1:] == pytest.approx(none[1:])
    april = first_years(scenario(tmp_path, "permanent", 'month = "2025-04"'))
    assert april[0] / none[0] == pytest.approx(1 - 0.4 * 9 / 12)
    assert april[1] / none[1] == pytest.approx(0.6)
    fading = first_years(scenario(tmp_path, "half-life:3", 'month = "2025-11"'))
    assert fading[0] < none[0] and fading[1] < none[1]
    assert fading[2] / none[2] > fading[1] / none[1]  # it fades


def test_nowcast_places_a_dated_dip_in_its_months(tmp_path) -> None:
    """January and February dipped as the scenario foresaw do not drag the rest of the year."""
    sc = scenario(tmp_path, "months:2", 'month = "2025-01"')
    (event,) = month_events(sc, 2025)
    assert event.profile.tolist() == [1.0, 1.0] + [0.0] * 10
    prior = 600_000 * np.exp(0.2 * np.random.default_rng(1).standard_normal(4000))
    dipped = {"2025-01": 25_000.0 * 0.6, "2025-02": 25_000.0 * 0.6}
    kw = dict(year=2025, prior_log_sd=0.2, seed=4, pilot=4000)
    knows = rest_median(year_to_date(dipped, scenario=sc, **kw), prior)[1]
    plain = sc.with_overrides("event.0.impact=0")
    blind = rest_median(year_to_date(dipped, scenario=plain, **kw), prior)[1]
    normal = rest_median(
        year_to_date({"2025-01": 25_000.0, "2025-02": 25_000.0}, scenario=plain, **kw), prior
    )[1]
    assert blind < knows
    assert abs(knows / normal - 1) < 0.05


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("persistence", "weeks:3", "expected permanent, one-year, months:N"),
        ("persistence", "months:0", "months:N"),
        ("persistence", "half-life:0", "half-life must be above 0"),
        ("month", "2026-02", "not in the event's year 2025"),
        ("month", "2025-13", "is not a month"),
    ],
)
def test_event_month_and_persistence_errors_are_one_line(
    tmp_path, key: str, value: str, message: str
) -> None:
    sc = scenario(tmp_path, "permanent")
    with pytest.raises(ScenarioError, match=message) as info:
        sc.with_overrides(f"event.0.{key}={value}")
    assert "\n" not in str(info.value)
