"""Loading and checking sales histories."""

from __future__ import annotations

import math

import pytest

from leapforecast.data.history import load_history, parse_history
from leapforecast.errors import HistoryError


def test_bundled_history_has_sources():
    h = load_history()
    assert h.years == (2021, 2022, 2023, 2024, 2025)
    assert h.units[-1] == 596_555
    assert all(note for note in h.notes), "every bundled figure keeps its source"


def test_stats():
    st = load_history().stats()
    assert st.cagr == pytest.approx((596_555 / 43_748) ** 0.25 - 1)
    assert st.mean_log_growth == pytest.approx(math.log(596_555 / 43_748) / 4)
    assert st.n_intervals == 4 and st.sd_log_growth > 0


def test_gap_is_annualised():
    h = parse_history("year,units\n2020,100\n2022,400\n2023,800\n")
    assert h.growth_rates() == pytest.approx([1.0, 1.0])
    assert h.stats().cagr == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        (
            "year,unit\n2024,1\n",
            "missing column 'units' (header has: year, unit); did you mean 'unit'?",
        ),
        ("yaer,units\n2024,1\n", "missing column 'year'"),
        ("year,units\n2024,abc\n", "line 2: units 'abc' is not a number"),
        ("year,units\n2024,-5\n", "line 2: units -5 is negative"),
        ("year,units\n2024,0\n", "units is 0"),
        ("year,units\n2024,nan\n", "not a finite number"),
        ("year,units\n2024,1\n2024,2\n", "line 3: duplicate year 2024"),
        ("year,units\n2025,1\n2024,2\n", "sort the rows"),
        ("year,units\n20x4,1\n", "year '20x4' is not a number"),
        ("year,units\n2024.5,1\n", "not a calendar year"),
        ("year,units\n", "no data rows"),
        ("year,units\n2024,1e12\n", "implausibly large"),
    ],
)
def test_bad_csv_messages(text, fragment):
    with pytest.raises(HistoryError, match=None) as info:
        parse_history(text, source="h.csv")
    assert fragment in str(info.value)
    assert str(info.value).startswith("h.csv")
    assert "\n" not in str(info.value)


def test_file_problems(tmp_path):
    with pytest.raises(HistoryError, match="no such file"):
        load_history(tmp_path / "missing.csv")
    with pytest.raises(HistoryError, match="is a directory"):
        load_history(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(HistoryError, match="binary"):
        load_history(binary)
    latin = tmp_path / "l.csv"
    latin.write_bytes("year,units\n2024,1\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(HistoryError, match="UTF-8"):
        load_history(latin)
    with pytest.raises(HistoryError, match="did you mean 'builtin:leapmotor'"):
        load_history("builtin:leapmotr")


def test_upto():
    h = load_history().upto(2023)
    assert h.years == (2021, 2022, 2023)
