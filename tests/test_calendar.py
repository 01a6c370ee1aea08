"""Calendar regressors (Chinese New Year, working days) and the bundled peer monthly data."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

import leapforecast
from leapforecast.data.calendar import (
    CNY_TABLE,
    chinese_new_year,
    cny_share,
    cny_years,
    holiday_regressors,
    working_days,
)

DATA = Path(leapforecast.__file__).parent / "data"
YEARS = range(2015, 2036)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- Chinese New Year table -------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, expected",
    [
        (2020, dt.date(2020, 1, 25)),
        (2021, dt.date(2021, 2, 12)),
        (2023, dt.date(2023, 1, 22)),
        (2024, dt.date(2024, 2, 10)),
        (2025, dt.date(2025, 1, 29)),
        (2026, dt.date(2026, 2, 17)),
    ],
)
def test_known_chinese_new_year_dates(year: int, expected: dt.date) -> None:
    assert chinese_new_year(year) == expected


def test_every_year_present_and_in_the_possible_range() -> None:
    assert cny_years() == YEARS
    for year in YEARS:
        date = chinese_new_year(year)
        assert dt.date(year, 1, 21) <= date <= dt.date(year, 2, 20), (year, date)


def test_table_rows_are_unique_sourced_and_consistent() -> None:
    rows = _rows(CNY_TABLE.name)
    assert [int(r["year"]) for r in rows] == list(YEARS)
    for row in rows:
        assert row["source"].strip(), row
        assert dt.date.fromisoformat(row["date"]) == chinese_new_year(int(row["year"]))


@pytest.mark.parametrize("year", [2014, 2036, 1900])
def test_out_of_range_year_raises_naming_the_year(year: int) -> None:
    with pytest.raises(ValueError, match=str(year)):
        chinese_new_year(year)
    with pytest.raises(ValueError, match=str(year)):
        cny_share(year)


def test_non_integer_year_is_rejected() -> None:
    with pytest.raises(TypeError):
        chinese_new_year(2025.0)  # type: ignore[arg-type]


# --- CNY window shares --------------------------------------------------------------------------


def test_cny_share_sums_to_one_every_year() -> None:
    for year in YEARS:
        share = cny_share(year)
        assert share.shape == (12,)
        assert share.sum() == pytest.approx(1.0)
        assert (share >= 0).all()
        # the default window (7 before, 14 after) never reaches April or leaves Q1
        assert share[3:].sum() == 0.0


def test_cny_share_2026_is_mostly_february() -> None:
    share = cny_share(2026)  # CNY Feb 17: window Feb 10 .. Mar 3
    assert share[1] == pytest.approx(19 / 22)
    assert share[2] == pytest.approx(3 / 22)
    assert share[0] == 0.0
    assert int(np.argmax(share)) == 1


def test_cny_share_2025_splits_january_and_february() -> None:
    share = cny_share(2025)  # CNY Jan 29: window Jan 22 .. Feb 12
    assert share[0] == pytest.approx(10 / 22)
    assert share[1] == pytest.approx(12 / 22)
    assert share[0] > 0.3 and share[1] > 0.3


def test_cny_share_custom_window() -> None:
    # the CNY day alone: all weight in its own month
    assert cny_share(2023, (0, 0))[0] == 1.0
    share = cny_share(2024, (9, 0))  # Feb 1 .. Feb 10
    assert share[1] == 1.0
    share = cny_share(2024, (10, 0))  # Jan 31 .. Feb 10
    assert share[0] == pytest.approx(1 / 11)


@pytest.mark.parametrize("window", [(-1, 14), (7, -2), (7.5, 14), (1, 2, 3)])
def test_bad_window_raises(window: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        cny_share(2025, window)


def test_window_leaving_the_year_raises() -> None:
    with pytest.raises(ValueError, match="2025"):
        cny_share(2025, (40, 14))  # reaches back into December 2024


def test_holiday_regressors_layout() -> None:
    years = [2024, 2025, 2026]
    reg = holiday_regressors(years)
    assert reg.shape == (36,)
    for i, year in enumerate(years):
        np.testing.assert_array_equal(reg[12 * i : 12 * (i + 1)], cny_share(year))
    np.testing.assert_allclose(reg.reshape(3, 12).sum(axis=1), 1.0)
    assert holiday_regressors([]).shape == (0,)


# --- working days -------------------------------------------------------------------------------


def test_working_days_known_months() -> None:
    assert working_days(2025, 1) == 23  # starts on a Wednesday, 31 days
    assert working_days(2026, 2) == 20  # starts on a Sunday, exactly four weeks
    assert working_days(2024, 2) == 21  # leap February starting on a Thursday
    assert sum(working_days(2024, m) for m in range(1, 13)) == 262


@pytest.mark.parametrize("month", [0, 13])
def test_working_days_bad_month(month: int) -> None:
    with pytest.raises(ValueError):
        working_days(2025, month)


# --- bundled peer monthly deliveries ------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def test_ev_peers_monthly_consistency() -> None:
    rows = _rows("ev_peers_monthly.csv")
    assert rows
    keys = [(r["maker"], r["month"]) for r in rows]
    assert len(keys) == len(set(keys)), "duplicate (maker, month) rows"
    for row in rows:
        assert _MONTH.match(row["month"]), row["month"]
        assert row["units"].isdigit() and int(row["units"]) > 0, row
        assert row["source"].strip(), row
    expected = {f"{y}-{m:02d}" for y in range(2021, 2026) for m in range(1, 13)}
    assert len(expected) == 60
    for maker in ("NIO", "XPeng", "Li Auto"):
        months = {r["month"] for r in rows if r["maker"] == maker}
        assert months == expected, maker


def test_ev_peers_monthly_ships_nothing_after_2025() -> None:
    # data after 2025-12 is held out for evaluation and must never be bundled
    assert max(r["month"] for r in _rows("ev_peers_monthly.csv")) <= "2025-12"
