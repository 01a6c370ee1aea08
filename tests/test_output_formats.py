"""Every result type in every format: CSV header == columns(), rows with exactly those keys, JSON
that holds the rows' numbers, tables that render at any width; and input strings that look like
Rich markup print literally instead of crashing or vanishing."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from leapforecast.analysis.compare import compare
from leapforecast.analysis.fit import fit_history
from leapforecast.analysis.monthly_report import monthly_report
from leapforecast.analysis.nowcast import nowcast
from leapforecast.analysis.sensitivity import sensitivity
from leapforecast.analysis.sweep import solve, sweep
from leapforecast.data.history import HistoryReport, load_history
from leapforecast.data.peers import peer_report
from leapforecast.data.tabular import Tabular
from leapforecast.data.targets import track_record
from leapforecast.engine.run import simulate
from leapforecast.model.authoring import BundledScenario, ScenarioCatalog, scenario_catalog
from leapforecast.model.scenario import load_scenario
from leapforecast.report import tables_for
from leapforecast.report.formats import to_csv

BASE = "base"


def _render(result: Any, width: int) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None)
    for item in tables_for(result):
        console.print(item)
    return buf.getvalue()


def _k(v: float) -> str:
    return f"{v / 1000:,.1f}"


# each case: a small deterministic result, and a number from its rows as a table shows it
CASES: dict[str, tuple[Callable[[], Any], Callable[[list[dict[str, Any]]], str]]] = {
    "run": (
        lambda: simulate(load_scenario(BASE), paths=2000, seed=1),
        lambda rows: _k(rows[0]["p50"]),
    ),
    "compare": (
        lambda: compare([load_scenario("base"), load_scenario("bear")], paths=2000, seed=1),
        lambda rows: f"{next(r['value'] for r in rows if r['metric'] == 'p50') / 1e3:,.0f}",
    ),
    "sensitivity": (
        lambda: sensitivity(load_scenario(BASE), paths=1000, seed=1, sobol=0),
        lambda rows: f"{100 * rows[0]['prob_low']:.1f}",
    ),
    "sweep": (
        lambda: sweep(load_scenario(BASE), ["growth.volatility=0.05:0.25:0.1"], paths=1000, seed=1),
        lambda rows: _k(rows[0]["p50"]),
    ),
    "break_even": (
        lambda: solve(
            load_scenario(BASE),
            "growth.volatility=0.05:0.5:0.05",
            level=0.6,
            target=750_000,
            paths=1000,
            seed=1,
        ),
        lambda rows: f"{rows[0]['value']:.6g}",
    ),
    "fit": (lambda: fit_history(load_history()), lambda rows: f"{rows[0]['estimate']:.3f}"),
    "peers": (lambda: peer_report(), lambda rows: f"{rows[0]['to_units']:,.0f}"),
    "history": (
        lambda: HistoryReport(load_history(), track_record()),
        lambda rows: f"{rows[-1]['units']:,}",
    ),
    "history_plain": (lambda: load_history(), lambda rows: f"{rows[0]['units']:,}"),
    "monthly": (lambda: monthly_report(), lambda rows: f"{rows[0]['units']:,}"),
    "targets": (lambda: track_record(), lambda rows: f"{rows[0]['target']:,}"),
    "nowcast": (
        lambda: nowcast({"2025-01": 25000, "2025-02": 20000}, paths=2000, seed=1),
        lambda rows: f"{rows[0]['needed_per_month']:,}",
    ),
    "scenarios": (lambda: scenario_catalog(), lambda rows: rows[0]["name"]),
}


def _numbers(value: Any) -> list[float]:
    """Every number (not bool) anywhere in a JSON value: dict values, list items."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, Any, Callable[..., str]]:
    make, key = CASES[request.param]
    return request.param, make(), key


def test_result_is_tabular_with_frame_and_json(case):
    _, result, _ = case
    assert isinstance(result, Tabular)
    frame = result.frame()
    assert list(frame.columns) == result.columns() and len(frame) == len(result.rows())


def test_csv_header_is_columns_and_rows_have_exactly_those_keys(case):
    _, result, _ = case
    columns, rows = result.columns(), result.rows()
    assert rows, "every case has rows"
    for row in rows:
        assert list(row) == columns
        for v in row.values():  # plain values, None for missing (never "" for a number)
            assert v is None or isinstance(v, str | int | float)
    parsed = list(csv.reader(io.StringIO(to_csv(columns, rows))))
    assert parsed[0] == columns and len(parsed) == len(rows) + 1
    assert all(len(line) == len(columns) for line in parsed)


def test_json_parses_and_holds_the_rows(case):
    name, result, _ = case
    doc = json.loads(result.to_json())
    present = _numbers(doc)
    for row in result.rows():
        for column, v in row.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue
            if name == "nowcast" and column == "label":
                continue  # the target/year a row is about: in the JSON as a key, not a value
            # JSON keeps 12 significant digits (data.tabular.rounded)
            assert any(math.isclose(v, p, rel_tol=1e-11, abs_tol=1e-12) for p in present), (
                name,
                column,
                v,
            )
    if name != "scenarios":  # the one document that is written as a bare array (see to_json)
        from leapforecast.data.tabular import rounded

        assert json.loads(json.dumps(rounded(result.document()))) == doc


def test_table_renders_narrow_and_wide_with_a_key_number(case):
    name, result, key = case
    wide = _render(result, 100)
    assert key(result.rows()) in wide, name
    narrow = _render(result, 40)
    assert narrow.strip()
    assert max(len(line) for line in narrow.splitlines()) <= 40


# --------------------------------------------------------------------------- markup in data

TRICKY = "[/red]odd [bold]b[/bold]"


def _tricky_scenario(folder: Path, stem: str, name: str) -> Path:
    path = folder / f"{stem}.toml"
    path.write_text(
        f"""[scenario]
name = "{name}"
[simulation]
targets = [500_000]
horizon = 2027
[growth]
rate = 0.3
[[event]]
name = "{TRICKY} event"
year = 2026
probability = 0.5
kind = "multiply"
impact = {{ dist = "uniform", low = -0.1, high = 0.0 }}
[segment."{TRICKY} seg"]
base = 100_000
growth = {{ rate = 0.2 }}
[segment.rest]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def tricky_scenarios(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    folder = tmp_path_factory.mktemp("tricky")
    return [
        load_scenario(_tricky_scenario(folder, "a", f"{TRICKY} A")),
        load_scenario(_tricky_scenario(folder, "b", f"{TRICKY} B")),
    ]


def _assert_literal(result: Any, *texts: str) -> None:
    for width in (100, 200):
        out = _render(result, width)
        for text in texts:
            assert text in out.replace("\n", ""), (text, width)


def test_markup_in_scenario_event_and_segment_names_prints_literally(tricky_scenarios):
    a, b = tricky_scenarios
    run = simulate(a, paths=1000, seed=1)
    _assert_literal(run, f"{TRICKY} A", f"{TRICKY} event", f"{TRICKY} seg")
    cmp = compare([a, b], paths=1000, seed=1)
    out = _render(cmp, 200)
    assert "[/red]odd" in out and "[bold]b[/bold]" in out
    rep = sensitivity(a, paths=500, seed=1, sobol=0)
    _assert_literal(rep, f"{TRICKY} A")
    assert "event.[/red]odd [bold]b[/bold]" in _render(rep, 200)  # the column folds
    nc = nowcast({"2026-01": 30000}, scenario=a, paths=500, seed=1)
    _assert_literal(nc, f"{TRICKY} A")


def test_markup_in_sweep_key_and_break_even_key_prints_literally(tricky_scenarios):
    a, _ = tricky_scenarios
    key = f"event.{TRICKY} event.probability"
    sw = sweep(a, [f"{key}=0.2,0.8"], paths=500, seed=1)
    assert "[bold]" in _render(sw, 200)
    sw2 = sweep(a, [f"{key}=0.2,0.8", "growth.rate=0.1,0.3"], paths=500, seed=1)
    assert "[bold]" in _render(sw2, 200)


def test_markup_in_history_notes_prints_literally(tmp_path, cli):
    f = tmp_path / "h.csv"
    f.write_text(f"year,units,source\n2022,1000,{TRICKY} x\n2023,2000,[bold]y\n", encoding="utf-8")
    _assert_literal(load_history(f), f"{TRICKY} x", "[bold]y")
    fit_file = tmp_path / "[bold]h.csv"
    fit_file.write_text("year,units\n2021,500\n2022,1000\n2023,2000\n2024,3000\n")
    fit = fit_history(load_history(fit_file))
    assert "[bold]h.csv" in _render(fit, 200)
    code, out, err = cli("history", "--file", str(f))
    assert code == 0 and "[/red]odd" in out and "[bold]y" in out, err


def test_markup_in_monthly_notes_prints_literally(tmp_path, cli):
    f = tmp_path / "m.csv"
    lines = ["month,units,source"] + [f"2024-{m:02d},{1000 + 10 * m},[/red]n{m}" for m in (1, 2)]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    view = monthly_report(f)
    assert view.fit is None and view.notes  # too few months for a profile: said, not raised
    _assert_literal(view, "[/red]n1")
    code, out, err = cli("history", "--monthly", "--file", str(f))
    assert code == 0 and "[/red]n2" in out and err.startswith("warning: no seasonal profile")


def test_markup_in_peer_names_and_quality_prints_literally(tmp_path, cli):
    f = tmp_path / "p.csv"
    f.write_text(
        "maker,year,units,quality,source\n"
        f"{TRICKY},2020,400000,reported,s\n{TRICKY},2021,600000,[/red]q,s\n",
        encoding="utf-8",
    )
    _assert_literal(peer_report(f), TRICKY)
    code, out, _ = cli("peers", "--file", str(f))
    assert code == 0 and "[/red]odd" in out


def test_markup_in_scenario_catalog_prints_literally():
    cat = ScenarioCatalog(
        (BundledScenario(name="x", description=TRICKY, path=Path("x.toml"), extends=None),)
    )
    _assert_literal(cat, TRICKY)


# --------------------------------------------------------------------------- emit


def test_emit_writes_every_format_to_a_file(tmp_path, cli):
    for fmt in ("table", "csv", "json"):
        target = tmp_path / f"out.{fmt}"
        code, out, _ = cli("history", "--targets", "-f", fmt, "-o", str(target))
        assert code == 0 and out == ""
        text = target.read_text(encoding="utf-8")
        assert "1,000,000" in text if fmt == "table" else "1000000" in text


def test_tables_for_refuses_an_unknown_type():
    with pytest.raises(TypeError, match="no table builder"):
        tables_for(object())
