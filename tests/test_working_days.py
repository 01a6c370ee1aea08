"""Working-day effects in the monthly model (issue 15): the regressor, its estimated coefficient,
the simulation ahead, and that switching it off leaves the model as it was."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from leapforecast.analysis.nowcast import fit_before_year, year_to_date
from leapforecast.analysis.seasonal import (
    MonthlyOptions,
    fit_monthly,
    noise_loglik,
    working_day_regressor,
)
from leapforecast.data.calendar import cny_share, working_days
from leapforecast.data.monthly import MonthlyHistory, load_monthly, month_index
from leapforecast.errors import UsageError

SEASON = np.log([0.95, 0.9, 1.0, 0.95, 1.0, 1.02, 1.0, 1.05, 1.05, 1.0, 1.05, 1.1])
PER_DAY = 0.03  # log effect of one working day more than the calendar month's average
# long-run average Monday-to-Friday days: 31-day months 155/7, 30-day months 150/7, February
# 565/28 (a leap year one in four)
MEAN_31, MEAN_30, MEAN_FEB = 155 / 7, 150 / 7, 565 / 28
MEANS = np.array(
    [MEAN_31, MEAN_FEB, MEAN_31, MEAN_30, MEAN_31, MEAN_30]
    + [MEAN_31, MEAN_31, MEAN_30, MEAN_31, MEAN_30, MEAN_31]
)


@pytest.mark.parametrize(
    ("year", "month", "days", "mean"),
    [
        (2025, 1, 23, MEAN_31),  # starts on a Wednesday: three extra weekdays
        (2025, 3, 21, MEAN_31),  # starts on a Saturday: the weekend is in the extra days
        (2024, 2, 21, MEAN_FEB),  # a leap February starting on a Thursday
        (2025, 2, 20, MEAN_FEB),
        (2024, 6, 20, MEAN_30),  # starts on a Saturday
        (2025, 12, 23, MEAN_31),
    ],
)
def test_regressor_is_the_log_of_working_days_over_the_months_average(
    year: int, month: int, days: int, mean: float
) -> None:
    assert working_days(year, month) == days
    value = working_day_regressor(month_index(year, month), 1)[0]
    assert value == pytest.approx(math.log(days / mean), abs=1e-12)


def test_regressor_averages_zero_over_a_weekday_cycle_for_every_month() -> None:
    """Every calendar month's deviation cancels over 28 years (the weekday cycle), so the seasonal
    factors keep the usual month and the regressor only carries the odd one."""
    values = working_day_regressor(month_index(2030, 1), 28 * 12).reshape(28, 12)
    days = np.exp(values) * MEANS
    assert np.allclose(days, np.round(days), atol=1e-9)  # whole days
    assert np.allclose(days.mean(axis=0), MEANS)
    # a run of months starting mid-year is the same values
    assert np.array_equal(working_day_regressor(month_index(2031, 7), 6), values[1, 6:12])


def working_day_series(per_day: float = PER_DAY, seed: int = 3) -> MonthlyHistory:
    """2015-2024: a steady trend (1% a month) + seasonality + a Chinese New Year dip + ``per_day``
    log per working day above the month's average + small noise."""
    rng = np.random.default_rng(seed)
    months, units = [], []
    for y in range(2015, 2025):
        share = cny_share(y)
        for m in range(1, 13):
            t = (y - 2015) * 12 + m - 1
            log_u = (
                math.log(20_000)
                + 0.01 * t
                + SEASON[m - 1]
                - 0.5 * share[m - 1]
                + per_day * (working_days(y, m) - MEANS[m - 1])
            )
            months.append(month_index(y, m))
            units.append(float(math.exp(log_u + 0.01 * rng.standard_normal())))
    return MonthlyHistory(tuple(months), tuple(units), "synthetic working days")


def test_a_strong_working_day_effect_is_recovered_and_carried_ahead() -> None:
    hist = working_day_series()
    fit = fit_monthly(hist, cny=True, working_days=True, damping=0.95)
    assert fit.regressors == ("cny", "working_days")
    state = fit.sample_state(4000, np.random.default_rng(0))
    # +0.03 a day is an elasticity of about 0.03 x 21.7 days = 0.65 (0.61 in February)
    coef = float(np.mean(state["working_days"]))
    assert abs(coef - PER_DAY * 21.7) < 0.12
    assert abs(float(np.mean(state["cny"])) + 0.5) < 0.1
    # the model without the regressor reads the working days as noise
    plain = fit_monthly(hist, cny=True, damping=0.95)
    assert plain.sigma_e > fit.sigma_e
    # simulating ahead adds each path's coefficient times the months' own regressor: the same
    # draws with the working days dropped differ by exactly that
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    with_wd = fit.simulate(500, rng_a, 12)
    without = replace(fit, working_days=False).simulate(500, rng_b, 12)
    coefs = fit.sample_state(500, np.random.default_rng(5))["working_days"]
    expected = coefs[:, None] * working_day_regressor(fit.end + 1, 12)[None, :]
    assert np.allclose(with_wd - without, expected, atol=1e-12)


def test_the_nowcast_carries_the_working_day_effect() -> None:
    """January 2025 had 23 working days, February 20: with the regressor on, the monthly model's
    own view of a long January against a short March moves with the coefficient."""
    hist = working_day_series()
    opts = MonthlyOptions(working_days=True, pooled=False)
    fit = fit_before_year(hist, 2025, options=opts)
    assert fit.working_days and fit.cny
    ytd = year_to_date(
        {"2025-01": 30_000.0},
        year=2025,
        monthly=fit,
        prior_log_sd=0.2,
        seed=1,
        pilot=2000,
        options=opts,
    )
    x = ytd.shapes(4000, np.random.default_rng(2))
    march_vs_january = float(np.mean(x[:, 2] - x[:, 0]))
    plain = fit_before_year(hist, 2025, options=MonthlyOptions(pooled=False))
    y = year_to_date(
        {"2025-01": 30_000.0},
        year=2025,
        monthly=plain,
        prior_log_sd=0.2,
        seed=1,
        pilot=2000,
        options=MonthlyOptions(pooled=False),
    ).shapes(4000, np.random.default_rng(2))
    # March 2025 has two working days fewer than January: about 0.06 lower than without
    gap = march_vs_january - float(np.mean(y[:, 2] - y[:, 0]))
    assert -0.1 < gap < -0.03


def test_option_off_leaves_the_fit_as_it_was() -> None:
    """The default (working days off) is the model before the option existed: figures recorded
    from that code (and the golden outputs, tools/golden.py), to rounding since the grid is
    fitted in one batched solve (``seasonal._fit_linear_grid``: 1e-11 relative here)."""
    hist = load_monthly()
    fit = fit_monthly(hist, end=month_index(2024, 12), cny=True, damping=0.95)
    off = fit_monthly(hist, end=month_index(2024, 12), cny=True, damping=0.95, working_days=False)
    assert fit.regressors == ("cny",) and not fit.working_days
    assert len(fit.components) == 178 == len(off.components)
    for a, b in zip(fit.components, off.components, strict=True):
        assert a.weight == b.weight
        assert np.array_equal(a.mean, b.mean) and np.array_equal(a.chol, b.chol)
        assert a.mean.shape == (14,)
    assert fit.sigma_e == pytest.approx(0.17114419624732313, rel=1e-9)
    assert fit.tau == pytest.approx(0.03765300257952384, rel=1e-9)
    first = fit.components[0]
    assert first.weight == pytest.approx(2.277464264698157e-05, rel=1e-9)
    assert first.mean[[0, 1, 13]] == pytest.approx(
        [10.455923360520334, -0.03962932786902417, 0.6393690311295743], rel=1e-9, abs=1e-9
    )
    x = fit.simulate(1000, np.random.default_rng(7), 12)
    assert float(x.sum()) == pytest.approx(131270.6903416838, rel=1e-9)
    g = fit_before_year(hist, 2025)  # the default options: pooled noise, partial pooling
    assert len(g.components) == 98 and not g.working_days
    x = g.simulate(1000, np.random.default_rng(7), 12)
    assert float(x.sum()) == pytest.approx(130451.29129305258, rel=1e-9)


def test_working_days_change_the_noise_likelihood_only_when_on() -> None:
    hist = working_day_series()
    off = noise_loglik(hist, cny=True)
    on = noise_loglik(hist, cny=True, working_days=True)
    assert off.keys() == on.keys()
    assert off == noise_loglik(hist, cny=True, working_days=False)
    assert max(on.values()) > max(off.values())  # the regressor explains real variation


def test_working_days_with_a_fixed_profile_is_kept() -> None:
    """A profile set by hand holds the usual month, not a month's odd number of days."""
    fit = fit_monthly(working_day_series(), seasonal=[1.0] * 12, cny=True, working_days=True)
    assert fit.regressors == ("working_days",)
    assert fit.components[0].mean.shape == (14,)


@pytest.mark.parametrize("value", [1, "yes", None, 0.0])
def test_working_days_option_must_be_a_bool(value: object) -> None:
    with pytest.raises(UsageError, match="working_days"):
        MonthlyOptions(working_days=value)  # type: ignore[arg-type]
    assert MonthlyOptions().working_days is False
    assert MonthlyOptions(working_days=True).working_days is True


def test_no_working_day_effect_gives_a_coefficient_near_zero() -> None:
    fit = fit_monthly(working_day_series(per_day=0.0), cny=True, working_days=True, damping=0.95)
    coef = fit.sample_state(4000, np.random.default_rng(0))["working_days"]
    assert abs(float(np.mean(coef))) < 0.12
