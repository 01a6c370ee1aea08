"""The outside view beside every answer: run, compare and nowcast (issue 14)."""

from __future__ import annotations

import csv
import io
import json
import math
from io import StringIO

import pytest

from leapforecast.analysis.outside import NARROW, narrow_warning, outside_view, reference_view
from leapforecast.data.history import load_history
from leapforecast.model.reference import fit_for_scenario
from leapforecast.model.scenario import load_scenario

RUN = ("run", "base", "-n", "4000", "--seed", "7")


def _render(items, width: int = 100) -> str:
    from rich.console import Console

    console = Console(file=StringIO(), width=width, color_system=None)
    for item in items:
        console.print(item)
    return console.file.getvalue()


def test_run_json_has_the_reference_object(cli):
    code, out, err = cli(*RUN, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    ref = doc["reference"]
    years = [r["year"] for r in doc["rows"]]
    assert [r["year"] for r in ref["rows"]] == years == [2026, 2027, 2028]
    for row in ref["rows"]:
        assert row["p5"] < row["p50"] < row["p95"]
        assert {"prob_ge_500000", "prob_ge_750000", "prob_ge_1000000"} <= set(row)
    assert set(ref["sharpness"]) == {str(y) for y in years}
    # base is far narrower than the record supports (docs/validity.md: 0.18-0.43 vs 0.8-1.5)
    assert all(0 < r < NARROW for r in ref["sharpness"].values())
    assert ref["warnings"] and "narrower than the record" in ref["warnings"][0]
    assert "narrower than the record" in err  # a note on stderr with csv/json


def test_run_csv_appends_the_documented_ref_columns(cli):
    code, out, err = cli(*RUN, "--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    header = rows[0]
    tail = [
        "ref_p5",
        "ref_p50",
        "ref_p95",
        "ref_prob_ge_500000",
        "ref_prob_ge_750000",
        "ref_prob_ge_1000000",
        "sharpness",
    ]
    assert header[-len(tail) :] == tail
    assert header[: -len(tail)][:3] == ["scenario", "year", "mean"]
    assert len(rows) == 4  # still one row per year
    for row in rows[1:]:
        rec = dict(zip(header, row, strict=True))
        width = math.log(float(rec["p95"]) / float(rec["p5"]))
        ref_width = math.log(float(rec["ref_p95"]) / float(rec["ref_p5"]))
        assert float(rec["sharpness"]) == pytest.approx(width / ref_width, abs=1e-4)


def test_run_table_shows_the_outside_view_and_the_warning(cli):
    code, out, err = cli(*RUN)
    assert code == 0, err
    assert "Outside view (reference class)" in out
    assert "sharpness" in out
    assert "warning: base is" in out and "narrower than the record of makers supports" in out
    assert "narrower" not in err  # the table carries it; no duplicate on stderr
    assert max(len(line) for line in out.splitlines()) <= 100


def test_the_reference_scenario_is_not_flagged(cli):
    code, out, err = cli("run", "reference", "-n", "20000", "--seed", "7", "--format", "json")
    assert code == 0, err
    sharp = json.loads(out)["reference"]["sharpness"]
    assert all(0.9 < r < 1.1 for r in sharp.values())
    assert "narrower" not in err


def test_same_seed_same_bytes(cli):
    first = cli(*RUN, "--format", "json")[1]
    assert cli(*RUN, "--format", "json")[1] == first
    assert cli(*RUN, "--format", "json", "--jobs", "2")[1] == first
    other = cli("run", "base", "-n", "4000", "--seed", "8", "--format", "json")[1]
    assert json.loads(other)["reference"]["rows"] != json.loads(first)["reference"]["rows"]


def test_compare_shows_the_outside_view(cli):
    args = ("compare", "base", "bull", "reference", "-n", "3000", "--seed", "3")
    code, out, err = cli(*args)
    assert code == 0, err
    assert "Outside view (reference class)" in out and "Sharpness" in out
    assert "warning: base is" in out and "warning: bull is" in out
    assert "warning: reference is" not in out
    code, out, err = cli(*args, "--format", "json")
    ref = json.loads(out)["reference"]
    assert [r["year"] for r in ref["rows"]] == [2026, 2027, 2028]
    assert set(ref["sharpness"]) == {"base", "bull", "reference"}
    assert set(ref["sharpness"]["base"]) == {"2026", "2027", "2028"}
    code, out, err = cli(*args, "--format", "csv")
    metrics = [r for r in csv.DictReader(io.StringIO(out)) if r["scenario"] == "bull"]
    names = [r["metric"] for r in metrics if r["year"] == "2026"]
    i = names.index("ref_p5")
    assert names[i : i + 7] == [
        "ref_p5",
        "ref_p50",
        "ref_p95",
        "ref_prob_ge_500000",
        "ref_prob_ge_750000",
        "ref_prob_ge_1000000",
        "sharpness",
    ]
    assert names[i + 7].startswith("delta_")  # before the paired differences


def test_nowcast_shows_the_outside_view(cli):
    args = ("nowcast", "--month", "2025-01=25000", "--month", "2025-02=20000", "-n", "3000")
    code, out, err = cli(*args, "--seed", "3")
    assert code == 0, err
    assert "Outside view (reference class)" in out and "prior sharpness" in out
    code, out, err = cli(*args, "--seed", "3", "--format", "json")
    ref = json.loads(out)["reference"]
    assert [r["year"] for r in ref["rows"]] == [2025]
    assert ref["metadata"]["base_year"] == 2024 and set(ref["sharpness"]) == {"2025"}
    code, out, err = cli(*args, "--seed", "3", "--format", "csv")
    kinds = [r["row"] for r in csv.DictReader(io.StringIO(out))]
    assert kinds.count("reference") == 1 and kinds.count("reference_target") == 3


def test_reference_view_first_year_is_the_student_t_predictive():
    from scipy import stats

    hist = load_history("builtin:leapmotor")
    view = reference_view(hist, 2025, 596_555.0, [2026, 2027], [750_000, 1_000_000], seed=1)
    fit = fit_for_scenario(hist, 2025)
    df, loc, scale = fit.predictive(math.log(596_555.0))
    for k, target in enumerate(view.targets):
        want = float(stats.t.sf(math.log(target / 596_555.0), df, loc, scale))
        se = math.sqrt(want * (1 - want) / view.draws)
        assert abs(view.prob_ge[k, 0] - want) < 4 * se


def test_outside_view_uses_only_data_up_to_the_base_year():
    sc = load_scenario("builtin:base", overrides=["history.base_year=2023"])
    view = outside_view(sc, draws=2000)
    assert view.base_year == 2023 and view.years[0] == 2024
    assert view.n_obs == fit_for_scenario(sc.history, 2023).n_obs
    assert view.n_obs < fit_for_scenario(sc.history, 2025).n_obs


def test_narrow_warning_says_how_many_times():
    assert narrow_warning("x", {2026: 0.8, 2027: 0.61}) is None
    line = narrow_warning("x", {2026: 0.5, 2027: 0.25})
    assert line is not None and "2.0-4.0x narrower" in line and "2026-2027" in line
    line = narrow_warning("x", {2026: 0.0})
    assert line is not None and "infinitely narrower" in line and "infx" not in line


def test_tables_fit_100_and_80_columns():
    from leapforecast.analysis.outside import run_outside
    from leapforecast.engine.run import simulate
    from leapforecast.report import tables_for

    sc = load_scenario("builtin:base")
    shown = run_outside(simulate(sc, paths=2000, seed=1), sc)
    for width in (100, 80):
        text = _render(tables_for(shown), width)
        assert "Outside view" in text and "warning: base is" in text
        assert max(len(line.rstrip()) for line in text.splitlines()) <= width
