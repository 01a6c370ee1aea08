"""Excel workbooks: one sheet per table plus metadata, numbers as numbers, percentages by
column name, frozen header, valid sheet names, the same bytes for the same tables."""

from __future__ import annotations

import io
import sys

import pytest

from leapforecast.engine.run import simulate
from leapforecast.errors import UsageError
from leapforecast.model.scenario import load_scenario
from leapforecast.report.xlsx import (
    is_percent_column,
    sheet_name,
    workbook_bytes,
    write_workbook,
)

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario(), paths=2000, seed=3)


def test_sheets_numbers_formats_and_frozen_header(result, tmp_path):
    path = tmp_path / "run.xlsx"
    write_workbook(path, [("run", result)], metadata={"seed": 3, "command": "leapforecast run"})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["run", "metadata"]
    ws = wb["run"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header == result.columns()
    for row_cells, row in zip(ws.iter_rows(min_row=2), result.rows(), strict=True):
        cells = dict(zip(header, row_cells, strict=True))
        for col, value in row.items():
            assert cells[col].value == value
            if col != "scenario":
                assert isinstance(cells[col].value, int | float)
        assert cells["year"].number_format == "0"
        assert cells["mean"].number_format == "#,##0"
        target = result.targets[0]
        assert cells[f"prob_ge_{target}"].number_format == "0.0%"
        assert cells[f"se_ge_{target}"].number_format == "0.00%"
        assert cells[f"prob_reached_{target}"].number_format == "0.0%"
        assert cells["p50"].number_format == "#,##0"  # a quantile in units, not a percentage
    assert all(ws.column_dimensions[c].width >= 6 for c in "ABCDE")
    meta = dict(wb["metadata"].iter_rows(min_row=2, values_only=True))
    assert meta == {"seed": 3, "command": "leapforecast run"}


def test_default_metadata_is_the_results_own(result):
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result)))
    meta = dict(wb["metadata"].iter_rows(min_row=2, values_only=True))
    assert meta["seed"] == 3 and meta["scenario_sha256"] == result.scenario_sha256
    assert meta["version"] == result.version
    assert "date" not in meta and "created" not in meta


def test_same_tables_same_bytes(result):
    assert workbook_bytes([result]) == workbook_bytes([result])


def test_triples_long_tables_and_missing_values():
    rows = [
        {"scenario": "a", "metric": "prob_ge_500000", "value": 0.25},
        {"scenario": "a", "metric": "mean", "value": 612345},
        {"scenario": "a", "metric": "note", "value": ""},
    ]
    data = workbook_bytes([("long", ["scenario", "metric", "value"], rows)], metadata={})
    ws = openpyxl.load_workbook(io.BytesIO(data))["long"]
    assert ws["C2"].value == 0.25 and ws["C2"].number_format == "0.0%"
    assert ws["C3"].value == 612345 and ws["C3"].number_format == "#,##0"
    assert ws["C4"].value is None


def test_sheet_names_are_valid_and_unique():
    assert sheet_name("a/b:c*d?e[f]g\\h") == "a-b-c-d-e-f-g-h"
    long = "x" * 40
    assert len(sheet_name(long)) == 31
    assert sheet_name(long, [long[:31]]) == "x" * 27 + " (2)"
    assert sheet_name("History") == "History data"
    assert sheet_name("'quoted'") == "quoted"
    assert sheet_name("") == "Sheet"
    data = workbook_bytes([("a?", ["x"], [{"x": 1}]), ("a*", ["x"], [{"x": 2}])], metadata={})
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["a-", "a- (2)", "metadata"]


@pytest.mark.parametrize(
    ("name", "percent"),
    [
        ("prob_ge_1000000", True),
        ("p_hit", True),
        ("coverage_80", True),
        ("share", True),
        ("variance_share", True),
        ("reached_2026", True),
        ("se_ge_500000", True),
        ("p10", False),
        ("p50", False),
        ("mean", False),
        ("year", False),
        ("spearman", False),
    ],
)
def test_percent_columns_by_name(name, percent):
    assert is_percent_column(name) is percent


def test_missing_openpyxl_is_a_usage_error(monkeypatch, result):
    for mod in list(sys.modules):
        if mod == "openpyxl" or mod.startswith("openpyxl."):
            monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(UsageError) as info:
        workbook_bytes(result)
    assert str(info.value) == "Excel output needs openpyxl: pip install 'leapforecast[xlsx]'"
