"""Target track record: bundled targets and outcomes, and the track_record distribution."""

from __future__ import annotations

import io

import pytest

from leapforecast.data import targets
from leapforecast.errors import HistoryError, ScenarioError
from leapforecast.model.scenario import load_scenario
from leapforecast.report.history import track_record_table

R2023 = 144_155 / 200_000
R2024 = 293_724 / 250_000
R2025 = 596_555 / 500_000


def test_bundled_track_record():
    rec = targets.load_targets()
    assert [(t.year, t.target, t.actual) for t in rec] == [
        (2023, 200_000, 144_155),
        (2024, 250_000, 293_724),
        (2025, 500_000, 596_555),
        (2026, 1_000_000, None),
    ]
    assert all(t.source for t in rec)
    assert targets.hit_ratios(rec) == pytest.approx([R2023, R2024, R2025])
    assert targets.hit_ratios(rec, upto=2024) == pytest.approx([R2023, R2024])
    assert rec[0].outcome.startswith("missed (72%") and rec[1].outcome.startswith("beaten (117%")
    assert rec[2].outcome.startswith("beaten (119%")
    assert rec[3].outcome == "open" and rec[3].ratio is None


def test_rows_and_table():
    rows = targets.track_record_rows(targets.load_targets())
    assert list(rows[0]) == targets.COLUMNS
    assert rows[3]["actual"] is None and rows[0]["ratio"] == pytest.approx(0.7208, abs=1e-4)
    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=100).print(track_record_table(targets.load_targets()))
    text = buf.getvalue()
    assert "Target track record" in text and "1,000,000" in text and "open" in text


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("year,actual\n2023,1\n", "missing column 'target'"),
        ("year,target\n2023,abc\n", "not a number"),
        ("year,target\n2023,-5\n", "positive"),
        ("year,target\n2024,1\n2023,1\n", "increasing"),
        ("", "no rows"),
    ],
)
def test_bad_track_record_files(text, match):
    with pytest.raises(HistoryError, match=match):
        targets.parse_track_record(text, source="t.csv")


def test_unknown_builtin_and_missing_file(tmp_path):
    with pytest.raises(HistoryError, match="unknown built-in"):
        targets.load_targets("builtin:nope")
    with pytest.raises(HistoryError, match="no such file"):
        targets.load_targets(tmp_path / "none.csv")


SCEN = """
[scenario]
name = "targets"
[simulation]
paths = 2000
[growth]
rate = {{ dist = "track_record", target = "1M"{extra} }}
"""


def _rate(write_scenario, extra: str = "", overrides=()):
    return load_scenario(write_scenario(SCEN.format(extra=extra)), overrides=list(overrides))


def test_track_record_resamples_the_hit_ratios(write_scenario):
    sc = _rate(write_scenario)
    rate = sc.spec.growth.rate
    lo, hi = rate.bounds()
    assert lo == pytest.approx(1_000_000 * R2023 / 596_555 - 1)
    assert hi == pytest.approx(1_000_000 * R2025 / 596_555 - 1)
    mid = 1_000_000 * R2024 / 596_555 - 1
    assert rate.mean() == pytest.approx((lo + mid + hi) / 3, abs=1e-3)  # three equally likely


def test_track_record_range_and_later_year(write_scenario):
    rate = _rate(write_scenario, ', spread = "range", year = 2027').spec.growth.rate
    assert rate.quantile(0.5) == pytest.approx(
        (1_000_000 * (R2023 + R2025) / 2 / 596_555) ** 0.5 - 1, rel=1e-3
    )
    explicit = _rate(write_scenario, ", ratios = [0.9]").spec.growth.rate
    assert explicit.bounds() == pytest.approx((1e6 * 0.9 / 596_555 - 1,) * 2)


def test_track_record_uses_only_years_known_at_the_base(write_scenario):
    rate = _rate(write_scenario, overrides=["history.base_year=2024"]).spec.growth.rate
    assert rate.bounds() == pytest.approx((1e6 * R2023 / 293_724 - 1, 1e6 * R2024 / 293_724 - 1))
    with pytest.raises(ScenarioError, match="no closed year on or before 2022"):
        _rate(write_scenario, overrides=["history.base_year=2022"])
    with pytest.raises(ScenarioError, match="must be after the base year"):
        _rate(write_scenario, ", year = 2025")
    with pytest.raises(ScenarioError, match="target"):
        _rate(write_scenario, "").with_overrides("growth.rate.target=-3")


def test_track_record_runs(write_scenario):
    from leapforecast.engine.run import simulate

    sc = _rate(write_scenario)
    res = simulate(sc, paths=4000, seed=3)
    assert 0.3 < res.probability(1_000_000, 2026) < 0.7  # only the 2025-like ratio reaches 1M
