"""Issue 17: no silently wrong numbers, no internal errors on bad input, one consistent CLI.

Each test holds one class of problem the hostile-input run found; docs/reliability.md lists them.
"""

from __future__ import annotations

import zlib

import numpy as np


def refused(code: int, out: str, err: str, fragment: str) -> None:
    """Bad input: exit 2, nothing on stdout, one ``error:`` line naming the problem."""
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err and "internal error" not in err
    assert fragment in lines[0], lines[0]


# --- silently wrong numbers -------------------------------------------------------------------


def test_streams_of_crc32_colliding_names_differ():
    from leapforecast.engine.sampling import design, stream

    a, b = "event.ev879259.occurs", "event.ev25404002.occurs"
    assert zlib.crc32(a.encode()) == zlib.crc32(b.encode())  # the old key collided
    assert stream(1, 0, a).random() != stream(1, 0, b).random()
    u = design([a, b], 1000, seed=5, chunk=0, method="random")
    assert abs(np.corrcoef(u[0], u[1])[0, 1]) < 0.1


def _schedule_toml(tmp_path, sched: str, horizon: int = 2028):
    sc = tmp_path / "s.toml"
    sc.write_text(
        f'[scenario]\nname = "s"\n[simulation]\nhorizon = {horizon}\n'
        f"[growth]\nrate = 0.3\n[capacity]\nschedule = {{ {sched} }}\n"
    )
    return sc


def test_capacity_schedule_years_outside_the_forecast_are_refused(cli, tmp_path):
    for sched, year in [
        ('"2020" = 1, "2026" = 900_000', "2020"),  # before the first forecast year
        ('"2026" = 900_000, "2031" = 1', "2031"),  # after the horizon
        ('"2025" = 900_000', "2025"),  # the base year itself is never simulated
    ]:
        code, out, err = cli("run", str(_schedule_toml(tmp_path, sched)), "-n", "50")
        refused(code, out, err, f"capacity.schedule.{year}")
        assert "never be applied" in err


def test_capacity_schedule_within_the_forecast_is_accepted(cli, tmp_path):
    sc = _schedule_toml(tmp_path, '"2026" = 100_000, "2028" = 200_000')
    code, out, err = cli("run", str(sc), "-n", "50", "-f", "csv")
    assert code == 0, err
    assert "2026" in out


def _segments_toml(tmp_path, body: str):
    sc = tmp_path / "seg.toml"
    sc.write_text("[scenario]\nextends = \"builtin:base\"\n" + body)
    return sc


def test_segment_shares_that_leave_part_of_the_base_unassigned_are_refused(cli, tmp_path):
    for body in [
        "[segment.china]\nshare = 0.3\n[segment.overseas]\nshare = 0.2\n",  # 0.5
        "[segment.china]\nshare = 0\n",  # 0
    ]:
        code, out, err = cli("run", str(_segments_toml(tmp_path, body)), "-n", "50")
        refused(code, out, err, "segment")
        assert "remainder" in err


def test_segment_shares_adding_to_one_or_with_a_remainder_run(cli, tmp_path):
    for body in [
        "[segment.china]\nshare = 0.6\n[segment.overseas]\nshare = 0.4\n",
        "[segment.china]\nshare = 0.5\n[segment.overseas]\n",
    ]:
        code, _, err = cli("run", str(_segments_toml(tmp_path, body)), "-n", "50", "-f", "csv")
        assert code == 0, err


def test_the_same_correlation_pair_twice_is_refused(cli, tmp_path):
    body = (
        '[[correlation]]\nbetween = ["growth.rate", "capacity.units"]\nrho = 0.5\n'
        '[[correlation]]\nbetween = ["capacity.units", "growth.rate"]\nrho = -0.5\n'
    )
    code, out, err = cli("run", str(_segments_toml(tmp_path, body)), "-n", "50")
    refused(code, out, err, "correlation.1.between")
    assert "already correlated" in err


def test_fit_toml_is_a_90_percent_interval_whatever_the_level(cli):
    from leapforecast.analysis.fit import fit_history, fit_log_growth, growth_toml
    from leapforecast.data.history import load_history

    h = load_history("builtin:leapmotor")
    assert fit_history(h, level=0.8).toml == fit_history(h, level=0.9).toml
    assert fit_history(h, level=0.8).log_growth.level == 0.8  # the table keeps the asked level
    import pytest

    with pytest.raises(ValueError, match="level 0.9"):
        growth_toml(fit_log_growth(h, level=0.8))
    _, toml80, _ = cli("fit", "--level", "0.8", "--toml")
    _, toml90, _ = cli("fit", "--toml")
    assert toml80 == toml90 and "90% t interval" in toml80


def test_conditioning_months_are_recorded_in_header_json_and_hash(cli, tmp_path):
    import json

    base = ("run", "-n", "2000", "--seed", "3")
    _, plain, _ = cli(*base, "-f", "json")
    _, cond, _ = cli(*base, "--month", "2026-01=40000", "-f", "json")
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("month,units\n2026-01,40000\n")
    _, from_csv, _ = cli(*base, "--actuals", str(csv_file), "-f", "json")
    p, c, f = (json.loads(x)["metadata"] for x in (plain, cond, from_csv))
    assert p["conditioned_on"] == {}
    assert c["conditioned_on"] == {"2026-01": 40000.0} == f["conditioned_on"]
    assert c["scenario_sha256"] != p["scenario_sha256"]
    assert c["scenario_sha256"] == f["scenario_sha256"]  # the same months, the same hash
    _, table, _ = cli(*base, "--month", "2026-01=40000")
    assert "conditioned on actuals: 2026-01 = 40,000" in table
    _, table, _ = cli(*base)
    assert "conditioned on" not in table
