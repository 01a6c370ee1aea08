"""The run and history commands through the real CLI error mapping."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from _outside import quiet

HEADER = (
    "scenario,year,mean,p5,p10,p25,p50,p75,p90,p95,"
    "prob_ge_500000,se_ge_500000,prob_reached_500000,"
    "prob_ge_750000,se_ge_750000,prob_reached_750000,"
    "prob_ge_1000000,se_ge_1000000,prob_reached_1000000,"
    "ref_p5,ref_p50,ref_p95,ref_prob_ge_500000,ref_prob_ge_750000,ref_prob_ge_1000000,sharpness"
)


def test_csv_contract_and_reproducibility(cli):
    code, out, err = cli("run", "--format", "csv", "--paths", "20000", "--seed", "7")
    assert code == 0 and quiet(err) == ""
    assert out.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["year"] for r in rows] == ["2026", "2027", "2028"]
    for r in rows:
        assert "," not in r["mean"] and r["mean"].isdigit()
        assert 0 <= float(r["prob_ge_1000000"]) <= 1
    again = cli("run", "--format", "csv", "--paths", "20000", "--seed", "7")[1]
    assert again == out
    other = cli("run", "--format", "csv", "--paths", "20000", "--seed", "8")[1]
    assert other != out


def test_targets_in_any_spelling(cli):
    code, out, _ = cli(
        "run",
        "-f",
        "csv",
        "-n",
        "2000",
        "-t",
        "500k",
        "-t",
        "1M",
        "-t",
        "1_500_000",
        "-t",
        "750000",
    )
    assert code == 0
    header = out.splitlines()[0]
    for t in ("500000", "750000", "1000000", "1500000"):
        assert f"prob_ge_{t}," in header + ","


def test_json_metadata(cli):
    code, out, _ = cli(
        "run", "--format", "json", "--paths", "3000", "--seed", "1", "--horizon", "2030"
    )
    doc = json.loads(out)
    meta = doc["metadata"]
    assert meta["seed"] == 1 and meta["paths"] == 3000 and meta["scenario"] == "default"
    assert len(meta["scenario_sha256"]) == 64 and meta["version"]
    assert meta["history_source"] == "builtin:leapmotor"
    assert [r["year"] for r in doc["rows"]] == [2026, 2027, 2028, 2029, 2030]
    assert set(doc["first_year_reached"]) == {"500000", "750000", "1000000"}


def test_table_output(cli):
    code, out, _ = cli("run", "--paths", "2000")
    assert code == 0
    assert "Units per year" in out and "P(units >= target)" in out and "First year" in out
    assert "\x1b[" not in out  # no colour when not a terminal


def test_output_file_is_written_atomically(cli, tmp_path):
    target = tmp_path / "out.csv"
    code, out, _ = cli("run", "-f", "csv", "-n", "2000", "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_text().startswith("scenario,year")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_refuses_to_overwrite_its_input(cli, write_scenario):
    path = write_scenario("[growth]\nrate = 0.3\n")
    code, _, err = cli("run", str(path), "-f", "csv", "-n", "100", "-o", str(path))
    assert code == 2 and "refusing to overwrite" in err
    assert path.read_text() == "[growth]\nrate = 0.3\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "--target", "5x"], "500k"),
        (["run", "--pathz", "5"], "No such option"),
        (["run", "--paths", "0"], "--paths"),
        (["run", "nope.toml"], "nope.toml: no such file"),
        (["run", "bse"], "bse: no such file or bundled scenario; did you mean 'base'?"),
        (["run", "--horizon", "2020"], "horizon"),
        (["run", "--set", "growth.rat=0.3"], "did you mean 'rate'"),
        (["history", "--file", "missing.csv"], "no such file"),
    ],
)
def test_errors_are_one_line_exit_2(cli, args, fragment):
    code, out, err = cli(*args)
    assert code == 2, err
    assert out == ""
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_malformed_scenario(cli, write_scenario):
    path = write_scenario("""
        [growth]
        rate = { dist = "pert", low = 0.5, mode = 0.3, high = 0.2 }
        volatilty = 0.1
    """)
    code, out, err = cli("run", str(path))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert any(
        "scenario.toml:2: growth.rate: low (0.5) must not exceed high (0.2)" in ln for ln in lines
    )
    assert any(
        "scenario.toml:3: growth.volatilty: unknown key 'volatilty'; did you mean 'volatility'?"
        in ln
        for ln in lines
    )
    assert "Traceback" not in err


def test_history_command(cli, tmp_path):
    code, out, _ = cli("history", "--format", "csv")
    assert code == 0 and out.startswith("year,units,growth,source")
    assert "596555" in out
    code, out, _ = cli("history", "--format", "json")
    doc = json.loads(out)
    assert doc["stats"]["cagr"] == pytest.approx((596555 / 43748) ** 0.25 - 1, abs=1e-6)
    f = tmp_path / "maker.csv"
    f.write_text("year,units\n2020,100\n2022,400\n")
    code, out, _ = cli("history", "--file", str(f), "-f", "csv")
    assert code == 0 and "2022,400,1," in out  # +100% a year over the two-year gap


def test_console_script_and_module(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "leapforecast", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("leapforecast ")
    head = subprocess.run(
        f"{sys.executable} -m leapforecast run -f csv -n 40000 --horizon 2040 | head -1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert head.stdout.startswith("scenario,year") and quiet(head.stderr) == ""


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from leapforecast.cli import app, main\n"
        "import leapforecast.cli\n"
        "bad = [m for m in ('pandas', 'scipy', 'numpy') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_run_conditioned_on_all_twelve_months_is_exact(cli):
    months = [f"2026-{m:02d}={40_000 + 1_000 * m}" for m in range(1, 13)]
    args = ["run", "-f", "csv", "-n", "5000"]
    for m in months:
        args += ["--month", m]
    code, out, err = cli(*args)
    assert code == 0, err
    first = _rows(out)[0]
    total = sum(40_000 + 1_000 * m for m in range(1, 13))
    assert {first[k] for k in ("p5", "p50", "p95", "mean")} == {str(total)}


def test_run_with_actuals_agrees_with_nowcast(cli, tmp_path):
    actuals = tmp_path / "ytd.csv"
    actuals.write_text("month,units\n2026-01,32059\n2026-02,30000\n")
    code, out, err = cli("run", "-f", "csv", "-n", "20000", "--actuals", str(actuals), "-t", "750k")
    assert code == 0, err
    run_p = float(_rows(out)[0]["prob_ge_750000"])
    code, out, err = cli(
        "nowcast", "-f", "csv", "-n", "20000", "--actuals", str(actuals), "-t", "750k"
    )
    assert code == 0, err
    now = {r["label"]: r for r in _rows(out) if r["row"] == "target"}
    assert run_p == pytest.approx(float(now["750000"]["probability"]), abs=1e-9)
    # and conditioning moved the answer away from the plain run
    plain = float(
        _rows(cli("run", "-f", "csv", "-n", "20000", "-t", "750k")[1])[0]["prob_ge_750000"]
    )
    assert run_p != plain


def test_run_actuals_for_the_wrong_year(cli):
    code, out, err = cli("run", "-n", "100", "--month", "2025-01=30000")
    assert code == 2 and out == "" and "first forecast year is 2026" in err


def test_history_shows_target_track_record(cli):
    code, out, _ = cli("history")
    assert code == 0 and "Target track record" in out and "0.72" in out
    code, out, _ = cli("history", "--targets", "-f", "csv")
    rows = _rows(out)
    assert [(r["year"], r["target"], r["actual"]) for r in rows] == [
        ("2023", "200000", "144155"),
        ("2024", "250000", "293724"),
        ("2025", "500000", "596555"),
        ("2026", "1000000", ""),
    ]
    assert cli("history", "--targets", "--file", "x.csv")[0] == 2


def test_lazy_public_api():
    import leapforecast as lf
    import leapforecast.analysis.compare

    for name in (
        "simulate",
        "load_history",
        "load_scenario",
        "year_to_date",
        "solve",
        "fit_history",
        "load_peers",
        "load_targets",
        "load_monthly",
    ):
        assert callable(getattr(lf, name)), name
