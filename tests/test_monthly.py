"""Monthly history: loading and its one-line errors, period totals over gaps, the seasonal fit."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from leapforecast.analysis.seasonal import fit_monthly
from leapforecast.data.monthly import (
    Aggregate,
    MonthlyHistory,
    load_monthly,
    month_index,
    month_label,
    parse_month,
    parse_monthly,
    reduce_aggregates,
)
from leapforecast.errors import HistoryError


def _write(tmp_path, text: str, name: str = "m.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- loading


def test_builtin_monthly_history() -> None:
    hist = load_monthly()
    assert hist.labels[0] == "2021-08" and hist.labels[-1] == "2025-12"
    assert len(hist.months) == 42
    assert sum(hist.year(2025).values()) == 596_555  # the published annual totals
    assert sum(hist.year(2024).values()) == 293_724
    assert hist.complete_years() == [2024, 2025]
    # 2024 is complete, so the published H1/Q3 totals are consistency checks, not gap fillers
    assert {a.label: a.units for a in hist.aggregates} == {"2024-H1": 86_696, "2024-Q3": 86_165}
    assert reduce_aggregates(hist.as_dict(), hist.aggregates) == []
    assert all(hist.notes)  # every figure keeps its source


def test_builtin_monthly_peers() -> None:
    from leapforecast.data.monthly import load_monthly_peers

    peers = load_monthly_peers()
    assert set(peers) == {"NIO", "XPeng", "Li Auto", "BYD"}
    for maker in ("NIO", "XPeng", "Li Auto"):
        assert peers[maker].complete_years() == [2021, 2022, 2023, 2024, 2025]
        assert all(peers[maker].notes)  # the source column is kept
    assert peers == load_monthly_peers("builtin:peers")
    with pytest.raises(HistoryError, match="unknown built-in monthly peers"):
        load_monthly_peers("builtin:nope")


def test_monthly_peers_file_errors(tmp_path) -> None:
    from leapforecast.data.monthly import load_monthly_peers

    with pytest.raises(HistoryError, match="missing column 'maker'"):
        load_monthly_peers(_write(tmp_path, "month,units\n2024-01,5\n"))
    with pytest.raises(HistoryError, match="duplicate month"):
        load_monthly_peers(_write(tmp_path, "maker,month,units\nA,2024-01,5\nA,2024-01,6\n"))
    two = load_monthly_peers(_write(tmp_path, "maker,month,units\nA,2024-01,5\nB,2024-01,6\n"))
    assert {k: v.units for k, v in two.items()} == {"A": (5.0,), "B": (6.0,)}


def test_yoy_only_where_a_year_earlier_is_known() -> None:
    hist = load_monthly()
    yoy = dict(zip(hist.labels, hist.yoy(), strict=True))
    assert yoy["2025-03"] == pytest.approx(37_095 / 14_567 - 1)
    assert yoy["2025-12"] == pytest.approx(60_423 / 42_517 - 1)  # the reported +42.1%
    assert yoy["2025-01"] == pytest.approx(25_170 / 12_277 - 1)
    assert yoy["2024-03"] is None and yoy["2022-01"] is None


def test_month_parsing_and_labels() -> None:
    assert month_label(parse_month("2026-01")) == "2026-01"
    assert month_label(parse_month("2026-1")) == "2026-01"
    assert parse_month("2026-01") - parse_month("2025-12") == 1
    for bad in ("2026-13", "2026-00", "2026/01", "Jan 2026", "26-01", ""):
        with pytest.raises(HistoryError, match="month"):
            parse_month(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("month,units\n2025-13,100\n", r"line 2: month: '2025-13' has month 13"),
        ("month,units\n2025/01,100\n", r"line 2: month: '2025/01' is not a month; expected"),
        ("month,units\n2025-01,lots\n", r"line 2: units 'lots' is not a number"),
        ("month,units\n2025-01,100\n2025-02,-5\n", r"line 3: units -5 is negative"),
        ("month,units\n2025-01,0\n", r"line 2: units is 0"),
        ("month,units\n2025-01,nan\n", r"line 2: units 'nan' is not a finite number"),
        ("month,units\n2025-01,100\n2025-01,200\n", r"line 3: duplicate month 2025-01"),
        ("month,units\n2025-02,100\n2025-01,200\n", r"line 3: month 2025-01 comes after 2025-02"),
        ("month,unit\n2025-01,100\n", r"missing column 'units'.*did you mean 'unit'"),
        ("year,units\n2025,100\n", r"missing column 'month'.*annual history"),
        ("month,units\n", r"no month rows"),
        ("   \n", r"file is empty"),
        ("month,units\n2025-01\n", r"line 2: expected values for month and units"),
        ("month,units\n2025-01,100\n2025-Q5,300\n", r"line 3: month: '2025-Q5' is not a month"),
        ("month,units\n2025-01,100\n2025-Q1,300\n2025-Q1,300\n", r"line 4: duplicate period"),
        (
            "month,units\n2025-01,100\n2025-02,100\n2025-03,100\n2025-Q1,500\n",
            r"line 5: 2025-Q1 = 500 but the months and periods it covers add up to 300",
        ),
        (
            "month,units\n2025-01,100\n2025-02,300\n2025-Q1,300\n",
            r"line 4: 2025-Q1 = 300 leaves nothing for its missing months \(2025-03\)",
        ),
    ],
)
def test_parse_errors_are_one_line_with_line_numbers(text: str, message: str) -> None:
    with pytest.raises(HistoryError, match=message) as info:
        parse_monthly(text, source="m.csv")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("m.csv")


def test_file_errors(tmp_path) -> None:
    with pytest.raises(HistoryError, match="no such file"):
        load_monthly(tmp_path / "missing.csv")
    with pytest.raises(HistoryError, match="is a directory"):
        load_monthly(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"month,units\n\x00\x01")
    with pytest.raises(HistoryError, match="binary"):
        load_monthly(binary)
    with pytest.raises(HistoryError, match="did you mean 'builtin:leapmotor'"):
        load_monthly("builtin:leapmotr")


def test_user_file_with_periods_and_sources(tmp_path) -> None:
    path = _write(
        tmp_path,
        'month,units,source\n2025-01,100,a\n2025-03,"1,300",b\n2025-Q1,1_600,report\n2025-04,90,c\n',
    )
    hist = load_monthly(path)
    assert hist.labels == ["2025-01", "2025-03", "2025-04"]
    assert hist.units == (100, 1300, 90)
    assert hist.notes == ("a", "b", "c")
    assert hist.aggregates[0].label == "2025-Q1"
    assert reduce_aggregates(hist.as_dict(), hist.aggregates) == [((month_index(2025, 2),), 200)]


def test_periods_rejected_where_months_are_required() -> None:
    with pytest.raises(HistoryError, match="period total; give single months"):
        parse_monthly("month,units\n2026-01,100\n2026-Q1,300\n", periods=False)


def test_nested_periods_do_not_count_a_month_twice() -> None:
    known = {month_index(2024, 3): 10.0}
    q1 = Aggregate("2024-Q1", tuple(month_index(2024, m) for m in (1, 2, 3)), 40.0)
    h1 = Aggregate("2024-H1", tuple(month_index(2024, m) for m in range(1, 7)), 130.0)
    out = reduce_aggregates(known, [h1, q1])
    assert out == [
        ((month_index(2024, 1), month_index(2024, 2)), 30.0),
        ((month_index(2024, 4), month_index(2024, 5), month_index(2024, 6)), 90.0),
    ]
    # the bundled H1/Q3 2024 totals: every month is known now, so they leave no gap
    hist = load_monthly()
    assert reduce_aggregates(hist.as_dict(), hist.aggregates) == []


def test_upto_drops_later_months_and_periods() -> None:
    hist = load_monthly().upto(month_index(2024, 8))
    assert hist.labels[-1] == "2024-08"
    assert [a.label for a in hist.aggregates] == ["2024-H1"]


# --------------------------------------------------------------------------- the seasonal fit

TRUE_SEASONAL = np.log([0.7, 0.72, 0.95, 0.97, 1.0, 1.02, 0.98, 1.08, 1.2, 1.22, 1.2, 1.1])
TRUE_SEASONAL = TRUE_SEASONAL - TRUE_SEASONAL.mean()


def _synthetic(years: int = 4, drop: tuple[int, ...] = (), seed: int = 3, noise: float = 0.02):
    """Monthly series with a known seasonal pattern, a bending trend and small noise."""
    rng = np.random.default_rng(seed)
    start = month_index(2020, 1)
    t = np.arange(12 * years)
    level = np.log(20_000) + 0.04 * t - 0.0004 * t**2
    units = np.exp(level + TRUE_SEASONAL[t % 12] + noise * rng.standard_normal(t.size))
    keep = [i for i in t if i not in drop]
    hist = MonthlyHistory(
        tuple(int(start + i) for i in keep), tuple(float(units[i]) for i in keep), "synthetic"
    )
    return hist, units, start


def test_fit_recovers_a_known_seasonal_pattern() -> None:
    hist, _, _ = _synthetic()
    profile = fit_monthly(hist).profile()
    fitted = np.log(profile.factor) - np.log(profile.factor).mean()
    assert np.max(np.abs(fitted - TRUE_SEASONAL)) < 0.04
    # the true factor is inside the 80% band for nearly every month
    truth = np.exp(TRUE_SEASONAL)
    inside = (profile.factor_lo <= truth) & (truth <= profile.factor_hi)
    assert inside.sum() >= 10


def test_profile_shares_sum_to_one_and_draws_sum_to_zero() -> None:
    fit = fit_monthly(load_monthly())
    profile = fit.profile()
    assert profile.share.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(profile.share_lo <= profile.share) and np.all(profile.share <= profile.share_hi)
    assert np.all(profile.factor_lo < profile.factor_hi)
    draws = fit.sample_state(500, np.random.default_rng(1))["seasonal"]
    assert np.allclose(draws.sum(axis=1), 0.0, atol=1e-9)
    assert sum(c.weight for c in fit.components) == pytest.approx(1.0)


def test_leapmotor_profile_low_in_q1_high_in_q4() -> None:
    profile = fit_monthly(load_monthly()).profile()
    assert profile.factor[0] < 0.95 and profile.factor[1] < 0.7  # January, February (New Year)
    assert profile.factor[10] > 1.1 and profile.factor[11] > 1.1  # November, December


def test_period_totals_inform_the_gaps() -> None:
    """Months missing from the file enter through their published total: with it, the seasonal
    factors of those months come out close to the truth; without it they are barely identified."""
    drop = tuple(range(12, 17))  # Jan-May of the second year
    hist, units, start = _synthetic(years=2, drop=drop)
    agg = Aggregate("2021-Jan-May", tuple(start + i for i in drop), float(units[list(drop)].sum()))
    with_total = MonthlyHistory(hist.months, hist.units, "synthetic", (), (agg,))

    def error(h: MonthlyHistory) -> float:
        factor = np.log(fit_monthly(h).profile(draws=3000).factor)
        return float(np.abs((factor - factor.mean())[:5] - TRUE_SEASONAL[:5]).mean())

    assert error(with_total) < 0.05
    assert error(with_total) < error(hist) / 2


def test_a_profile_set_by_hand_is_kept() -> None:
    given = [0.7, 0.7, 1, 1, 1, 1, 1, 1.1, 1.2, 1.2, 1.2, 1.2]
    fit = fit_monthly(load_monthly(), seasonal=given)
    profile = fit.profile()
    expected = np.asarray(given) / np.exp(np.log(given).mean())
    assert np.allclose(profile.factor, expected, rtol=1e-4)
    assert np.all(profile.log_sd < 1e-4)
    assert profile.share == pytest.approx(np.asarray(given) / sum(given), rel=1e-4)
    # a flat profile leaves the seasonality to the noise, which must then be larger
    flat = fit_monthly(load_monthly(), seasonal=[1] * 12)
    assert flat.sigma_e > fit_monthly(load_monthly()).sigma_e
    with pytest.raises(HistoryError, match="twelve numbers"):
        fit_monthly(load_monthly(), seasonal=[1, 2, 3])
    with pytest.raises(HistoryError, match="positive"):
        fit_monthly(load_monthly(), seasonal=[1] * 11 + [0])


def test_fit_needs_three_months() -> None:
    hist = MonthlyHistory((month_index(2025, 1), month_index(2025, 2)), (1.0, 2.0), "tiny")
    with pytest.raises(HistoryError, match="at least 3 months"):
        fit_monthly(hist)


def test_simulate_is_seeded_and_continues_from_the_end() -> None:
    fit = fit_monthly(load_monthly(), end=month_index(2025, 12))
    a = fit.simulate(1000, np.random.default_rng(5), 12)
    b = fit.simulate(1000, np.random.default_rng(5), 12)
    assert np.array_equal(a, b)
    # January sits well below December's level in the seasonal model
    assert np.median(a[:, 0]) < math.log(60_423)


# --------------------------------------------------------------------------- CLI


def test_history_monthly_cli_formats(cli) -> None:
    code, out, err = cli("history", "--monthly", "--format", "csv")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "kind,month,units,yoy,share,factor,factor_p10,factor_p90,source"
    assert sum(line.startswith("month,") for line in lines) == 42
    assert sum(line.startswith("season,") for line in lines) == 12
    assert sum(line.startswith("period,") for line in lines) == 2
    shares = [float(line.split(",")[4]) for line in lines if line.startswith("season,")]
    assert sum(shares) == pytest.approx(1.0, abs=1e-5)
    code, out, _ = cli("history", "--monthly", "--format", "json")
    doc = json.loads(out)
    assert doc["months"][-1] == {
        "month": "2025-12",
        "units": 60423,
        "yoy": pytest.approx(60423 / 42517 - 1, abs=1e-6),
        "share": pytest.approx(60423 / 596555, abs=1e-6),
        "source": doc["months"][-1]["source"],
    }
    assert len(doc["seasonal"]["profile"]) == 12
    code, out, _ = cli("history", "--monthly")
    assert code == 0 and "Seasonal profile" in out and "2025-12" in out


def test_history_monthly_cli_errors(cli, tmp_path) -> None:
    bad = _write(tmp_path, "month,units\n2025-01,100\n2025-01,5\n")
    code, out, err = cli("history", "--monthly", "--file", str(bad))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "line 3: duplicate month 2025-01" in err


def test_history_monthly_with_too_few_months_still_shows_them(cli, tmp_path) -> None:
    short = _write(tmp_path, "month,units\n2025-01,100\n2025-02,120\n")
    code, out, err = cli("history", "--monthly", "--file", str(short), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert [m["month"] for m in doc["months"]] == ["2025-01", "2025-02"]
    assert doc["seasonal"] is None and "warning: no seasonal profile" in err


def test_history_annual_unchanged(cli) -> None:
    code, out, _ = cli("history", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "year,units,growth,source"
