"""Calendar regressors for monthly Chinese car sales: Chinese New Year and working days.

Why this exists: Chinese New Year (Spring Festival) moves between January 21 and February 20, and
the dip in deliveries around it (dealers and factories wind down before it, close for the
official holiday of about eight days, and restart slowly until around the Lantern Festival) lands
in January in some years and in February in others. A monthly model that only has a fixed
seasonal factor per month smears that dip over both months and misreads a January-vs-February
swing as trend. Giving the model the share of the holiday window that falls in each month lets
it attribute the swing to the calendar instead.

The dates come from ``chinese_new_year.csv`` next to this file (see its ``source`` column), so
nothing here needs a lunar-calendar package at run time. Only the standard library and numpy
are imported: this module is loaded by the model code, which should not pay for pandas here.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = [
    "CNY_TABLE",
    "DEFAULT_WINDOW",
    "chinese_new_year",
    "cny_share",
    "cny_years",
    "holiday_regressors",
    "working_days",
]

# A path relative to this file rather than importlib.resources: ``leapforecast/data`` is not a
# regular package yet (no __init__.py), and a plain path works the same for a namespace package,
# an editable install and a wheel.
CNY_TABLE = Path(__file__).with_name("chinese_new_year.csv")

# Days before and after Chinese New Year's day (which itself is always in the window) during which
# sales are taken to be depressed. 7 before: the run-up when buyers defer purchases and
# migrant-worker travel starts. 14 after: the ~8-day statutory closure (New Year's Eve to day 7)
# plus the slow restart up to the Lantern Festival (day 15). 22 days in all, weighted equally:
# a documented, deliberately simple choice; the model's coefficient on the regressor carries
# the size of the dip, so only the split between months matters here.
DEFAULT_WINDOW: tuple[int, int] = (7, 14)


@lru_cache(maxsize=1)
def _table() -> dict[int, dt.date]:
    """Read the bundled CSV once: it is tiny, and every regressor call needs it."""
    table: dict[int, dt.date] = {}
    with CNY_TABLE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            year = int(row["year"])
            date = dt.date.fromisoformat(row["date"])
            if date.year != year:
                raise ValueError(f"{CNY_TABLE.name}: year {year} has date {date} in another year")
            if year in table:
                raise ValueError(f"{CNY_TABLE.name}: year {year} appears twice")
            table[year] = date
    return table


def cny_years() -> range:
    """The years the bundled table covers, so callers can check coverage before fitting."""
    years = sorted(_table())
    return range(years[0], years[-1] + 1)


def _check_year(year: int) -> None:
    """Reject non-integers early: a float year (2025.0) would silently miss the table lookup."""
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise TypeError(f"year must be an integer, got {year!r}")


def chinese_new_year(year: int) -> dt.date:
    """Gregorian date of Chinese New Year (first day of the first lunar month) in ``year``.

    Raises ``ValueError`` naming the year when it is outside the bundled table rather than
    guessing: a wrong date would quietly shift the holiday dip into the wrong month.
    """
    _check_year(year)
    table = _table()
    try:
        return table[int(year)]
    except KeyError:
        span = cny_years()
        raise ValueError(
            f"no Chinese New Year date for {int(year)}: the bundled table covers "
            f"{span.start}-{span.stop - 1}"
        ) from None


def _check_window(window: tuple[int, int]) -> tuple[int, int]:
    """Window lengths must be non-negative integers; anything else is a caller's mistake."""
    if len(window) != 2:
        raise ValueError(f"window must be (before_days, after_days), got {window!r}")
    before, after = window
    for name, value in (("before_days", before), ("after_days", after)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"window {name} must be a non-negative integer, got {value!r}")
    return int(before), int(after)


def cny_share(year: int, window: tuple[int, int] = DEFAULT_WINDOW) -> npt.NDArray[np.float64]:
    """Fraction of the Chinese New Year effect window that falls in each month of ``year``.

    Returns 12 floats (index 0 = January) summing to 1: the share of the days from
    ``before_days`` before to ``after_days`` after Chinese New Year (inclusive) in each month.
    With the default window, 2025 (January 29) splits 10/22 January and 12/22 February, while
    2026 (February 17) puts 19/22 in February and 3/22 in March.

    The window must stay inside ``year`` (so the shares of one year sum to 1 and two years never
    claim the same days); a window reaching into December of the year before, or into the next
    year, raises ``ValueError``. No default-sized window ever does: CNY is Jan 21 to Feb 20.
    """
    before, after = _check_window(window)
    cny = chinese_new_year(year)
    first = cny - dt.timedelta(days=before)
    last = cny + dt.timedelta(days=after)
    if first.year != cny.year or last.year != cny.year:
        raise ValueError(
            f"window {window!r} around Chinese New Year {cny} runs from {first} to {last}, "
            f"outside {cny.year}"
        )
    days = np.arange(np.datetime64(first), np.datetime64(last) + np.timedelta64(1, "D"))
    months = days.astype("datetime64[M]").astype(np.int64) % 12  # 0 = January
    counts = np.bincount(months, minlength=12).astype(np.float64)
    shares: npt.NDArray[np.float64] = counts / counts.sum()
    return shares


def working_days(year: int, month: int) -> int:
    """Number of Monday-to-Friday days in ``month`` of ``year``.

    A deliberate simplification: China's statutory holidays and the weekend "make-up" working
    days that go with them (调休) are not modelled. The one holiday large enough to move monthly
    sales, Chinese New Year, is carried separately by ``cny_share``; the rest mostly swap
    weekdays for weekends within a month, so their net effect is small.
    """
    _check_year(year)
    if isinstance(month, bool) or not isinstance(month, int | np.integer) or not 1 <= month <= 12:
        raise ValueError(f"month must be an integer from 1 to 12, got {month!r}")
    start = np.datetime64(f"{int(year):04d}-{int(month):02d}", "M")
    return int(np.busday_count(start.astype("datetime64[D]"), (start + 1).astype("datetime64[D]")))


def holiday_regressors(
    years: Iterable[int], window: tuple[int, int] = DEFAULT_WINDOW
) -> npt.NDArray[np.float64]:
    """Chinese New Year window share for every month of ``years``, ready for a monthly model.

    Returns a flat array of ``len(years) * 12`` floats in year order, January to December within
    each year, so element ``12 * i + (month - 1)`` belongs to ``years[i]``; each year's twelve
    values sum to 1. Flat because monthly series in this package are flat month indexes.
    """
    year_list = list(years)
    if not year_list:
        return np.zeros(0, dtype=np.float64)
    return np.concatenate([cny_share(year, window) for year in year_list])
