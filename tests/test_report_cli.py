"""``leapforecast report``, Excel output, the format from --output's suffix, and the charts the
CLI draws (issue 19)."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from leapforecast.report.html import SECTION_IDS, fmt_prob

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("matplotlib")

QUICK = ("-n", "4000", "--seed", "5")
REPORT_QUICK = (*QUICK, "--tornado-paths", "500", "--draws", "100", "--date", "2026-01-31")
PNG = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Every src/href, every id, and the headline cells (probability and outside view)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.probs: list[float] = []
        self.outside: list[str] = []
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href", "xlink:href"):
            if a.get(key):
                self.links.append(a[key] or "")
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "link" or tag == "script":
            self.links.append(f"<{tag}>")
        cls = (a.get("class") or "").split()
        if tag == "td" and "prob" in cls:
            self.probs.append(float(a["data-prob"] or "nan"))
        if tag == "td" and "outside" in cls:
            self._cell = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.outside.append(self._cell.strip())
            self._cell = None


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_report_default_scenario_self_contained_and_equal_to_run_csv(cli, tmp_path):
    out = tmp_path / "r.html"
    code, stdout, err = cli("report", *REPORT_QUICK, "-o", str(out))
    assert code == 0, err
    assert stdout == ""  # the page goes to the file, notes to stderr
    page = _parse(out)
    external = [
        link for link in page.links if not (link.startswith("#") or link.startswith("data:"))
    ]
    assert external == []
    for section in SECTION_IDS:
        assert section in page.ids, section
    text = out.read_text(encoding="utf-8")
    assert "One scenario: give several" in text  # no comparison with one scenario
    assert "No sensitivity analysis was given" not in text  # the tornado is there
    assert "No backtest was given" not in text  # and the calibration table
    assert "2026-01-31" in text and "leapforecast report" in text

    code, run_csv, err = cli("run", *QUICK, "-f", "csv")
    assert code == 0, err
    rows = _csv(run_csv)
    targets = [c[len("prob_ge_") :] for c in rows[0] if c.startswith("prob_ge_")]
    expected = [float(r[f"prob_ge_{t}"]) for r in rows for t in targets]
    assert page.probs == pytest.approx(expected, abs=1e-9)
    ref = [fmt_prob(float(r[f"ref_prob_ge_{t}"])) for r in rows for t in targets]
    assert page.outside == ref


def test_report_several_scenarios_compares_them(cli, tmp_path):
    out = tmp_path / "c.html"
    code, _, err = cli("report", "base", "bear", *REPORT_QUICK, "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "One scenario: give several" not in text
    assert "vs base (paired)" in text
    page = _parse(out)
    code, cmp_csv, err = cli("compare", "base", "bear", *QUICK, "-f", "csv")
    assert code == 0, err
    rows = _csv(cmp_csv)
    expected = {
        (r["scenario"], r["year"], r["metric"]): float(r["value"])
        for r in rows
        if r["metric"].startswith("prob_ge_")
    }
    assert len(page.probs) == len(expected)
    assert sorted(page.probs) == pytest.approx(sorted(expected.values()), abs=1e-9)


def test_report_date_fixed_gives_same_bytes_and_needs_a_file(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1769817600")  # 2026-01-31
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    args = ("-n", "2000", "--tornado-paths", "200", "--draws", "100")
    assert cli("report", *args, "-o", str(a))[0] == 0
    assert cli("report", *args, "-o", str(b))[0] == 0
    first, second = a.read_bytes(), b.read_bytes()
    assert b"2026-01-31" in first
    # the command line (which names the file) differs; everything else is the same
    assert first.replace(b"a.html", b"X") == second.replace(b"b.html", b"X")
    code, _, err = cli("report", *args)
    assert code == 2 and "--output" in err
    code, _, err = cli("report", *args, "-o", str(tmp_path / "r.csv"))
    assert code == 2 and "HTML" in err


def _sheet_rows(ws) -> list[list[object]]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_run_xlsx_numbers_and_percentages(cli, tmp_path):
    out = tmp_path / "run.xlsx"
    code, stdout, err = cli("run", *QUICK, "-o", str(out))
    assert code == 0, err
    assert stdout == ""
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["forecast", "outside view", "metadata"]
    ws = wb["forecast"]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    prob = header.index("prob_ge_1000000") + 1
    p50 = header.index("p50") + 1
    cell = ws.cell(row=2, column=prob)
    assert isinstance(cell.value, float) and 0 <= cell.value <= 1
    assert cell.number_format.endswith("%")
    assert isinstance(ws.cell(row=2, column=p50).value, int)
    assert ws.cell(row=2, column=p50).number_format == "#,##0"
    code, run_csv, _ = cli("run", *QUICK, "-f", "csv")
    rows = _csv(run_csv)
    assert cell.value == pytest.approx(float(rows[0]["prob_ge_1000000"]))
    meta = {r[0]: r[1] for r in _sheet_rows(wb["metadata"])[1:]}
    assert meta["seed"] == 5 and meta["command"].startswith("leapforecast run")


def test_compare_and_backtest_xlsx(cli, tmp_path):
    out = tmp_path / "cmp.bin"  # no known suffix: -f decides
    code, _, err = cli("compare", "base", "bull", *QUICK, "-f", "xlsx", "-o", str(out))
    assert code == 0, err
    wb = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    assert wb.sheetnames == ["comparison", "base", "bull", "metadata"]
    long = _sheet_rows(wb["comparison"])
    assert long[0] == ["scenario", "year", "metric", "value"]
    ws = wb["comparison"]
    for i, row in enumerate(long[1:], start=2):
        if row[2] == "prob_ge_1000000":
            assert isinstance(row[3], float)
            assert ws.cell(row=i, column=4).number_format.endswith("%")
            break
    else:  # pragma: no cover
        raise AssertionError("no prob_ge row")

    out = tmp_path / "bt.xlsx"
    code, _, err = cli(
        "backtest", "base", "--ahead", "1", "--draws", "200", "-m", "rw", "-o", str(out)
    )
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["summary", "cases", "metadata"]
    ws = wb["summary"]
    header = [c.value for c in ws[1]]
    cov = ws.cell(row=2, column=header.index("coverage_90") + 1)
    assert isinstance(cov.value, float) and cov.number_format.endswith("%")
    assert isinstance(ws.cell(row=2, column=header.index("cases") + 1).value, int)


def test_format_from_suffix(cli, tmp_path, monkeypatch):
    code, expected, _ = cli("run", *QUICK, "-f", "csv")
    out = tmp_path / "x.csv"
    assert cli("run", *QUICK, "-o", str(out))[0] == 0
    assert out.read_text() == expected
    out = tmp_path / "x.json"
    assert cli("run", *QUICK, "-o", str(out))[0] == 0
    assert json.loads(out.read_text())["rows"]
    out = tmp_path / "x.jsonl"
    assert cli("run", *QUICK, "-o", str(out))[0] == 0
    assert len(out.read_text().splitlines()) == len(_csv(expected))
    # the environment's default gives way to the suffix; a typed --format does not
    monkeypatch.setenv("LEAPFORECAST_FORMAT", "json")
    out = tmp_path / "y.csv"
    assert cli("run", *QUICK, "-o", str(out))[0] == 0
    assert out.read_text() == expected
    out = tmp_path / "plain.txt"
    assert cli("history", "-o", str(out))[0] == 0
    assert json.loads(out.read_text())  # no known suffix: LEAPFORECAST_FORMAT applies


def test_format_contradictions_and_missing_file(cli, tmp_path):
    code, _, err = cli("run", *QUICK, "-f", "csv", "-o", str(tmp_path / "x.json"))
    assert code == 2
    assert "--format csv contradicts --output" in err and err.count("\n") == 1
    assert not (tmp_path / "x.json").exists()
    code, _, err = cli("run", *QUICK, "-f", "xlsx")
    assert code == 2 and "--output FILE.xlsx" in err
    code, _, err = cli("history", "-o", str(tmp_path / "h.png"))
    assert code == 2 and "draws no chart" in err
    code, _, err = cli("history", "-o", str(tmp_path / "h.html"))
    assert code == 2 and "no HTML page" in err
    code, _, err = cli("sweep", "--vary", "growth.rate=0.2:0.6", "--solve", "-o", "s.png")
    assert code == 2 and "--solve" in err


def test_run_charts_from_the_cli(cli, tmp_path):
    fan, hist, html = tmp_path / "fan.png", tmp_path / "hist.svg", tmp_path / "run.html"
    code, _, err = cli("run", *QUICK, "--plot", str(fan), "--histogram", str(hist), "-o", str(html))
    assert code == 0, err
    assert fan.read_bytes().startswith(PNG)
    assert hist.read_text().lstrip().startswith("<?xml") or "<svg" in hist.read_text()
    assert "id='headline'" in html.read_text() or 'id="headline"' in html.read_text()
    only = tmp_path / "only.png"  # -o FILE.png: the chart alone
    code, stdout, err = cli("run", *QUICK, "-o", str(only))
    assert code == 0, err
    assert stdout == "" and only.read_bytes().startswith(PNG)
    code, _, err = cli("run", *QUICK, "--histogram", str(tmp_path / "h.txt"))
    assert code == 2 and "--histogram" in err


def test_sweep_and_sensitivity_plots(cli, tmp_path):
    heat = tmp_path / "heat.png"
    code, _, err = cli(
        "sweep",
        "base",
        "--vary",
        "growth.rate=0.3:0.7:0.2",
        "--vary",
        "growth.volatility=0.05:0.15:0.1",
        "-n",
        "500",
        "--seed",
        "1",
        "--plot",
        str(heat),
        "-f",
        "csv",
    )
    assert code == 0, err
    assert heat.read_bytes().startswith(PNG)
    tornado, spider = tmp_path / "t.png", tmp_path / "s.pdf"
    code, _, err = cli(
        "sensitivity",
        "base",
        "-n",
        "500",
        "--sobol",
        "0",
        "--seed",
        "1",
        "--plot",
        str(tornado),
        "--spider",
        str(spider),
        "-f",
        "csv",
    )
    assert code == 0, err
    assert tornado.read_bytes().startswith(PNG)
    assert spider.read_bytes().startswith(b"%PDF")
