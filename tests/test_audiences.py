"""Scripts, notebooks and editors (issue 20): JSON Lines, stdin, machine-readable validation,
tidy frames, notebook rendering, any quantile/target, the discriminated JSON Schema."""

from __future__ import annotations

import json

import pytest

# --------------------------------------------------------------------------- JSON Lines


@pytest.mark.parametrize(
    "args",
    [
        ["run", "base", "-n", "2000", "--seed", "7"],
        ["history"],
        ["peers"],
        ["backtest", "-m", "rw", "--horizon", "1", "--draws", "200", "--seed", "3"],
        ["nowcast", "--backtest", "--series", "Leapmotor", "-n", "200", "--seed", "3"],
    ],
)
def test_jsonl_is_one_object_per_csv_row(cli, args):
    code, csv_text, _ = cli(*args, "-f", "csv")
    assert code == 0
    code, jsonl_text, _ = cli(*args, "-f", "jsonl")
    assert code == 0
    header, *csv_rows = csv_text.splitlines()
    lines = jsonl_text.splitlines()
    assert len(lines) == len(csv_rows) > 0
    for line, csv_row in zip(lines, csv_rows, strict=True):
        obj = json.loads(line)  # each line parses on its own
        assert list(obj) == header.split(",")
        first = csv_row.split(",")[0]
        assert str(obj[header.split(",")[0]]) == first or first == ""


# --------------------------------------------------------------------------- standard input


@pytest.fixture
def stdin(monkeypatch):
    """Replace standard input with the given text (as a shell pipe would)."""
    import io
    import sys

    def _set(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))

    return _set


def _bundled(name: str) -> str:
    from leapforecast.model.files import bundled_scenarios

    return bundled_scenarios()[name].read_text(encoding="utf-8")


def test_run_reads_a_scenario_from_stdin(cli, stdin):
    stdin(_bundled("base"))
    code, piped, _ = cli("run", "-", "-n", "2000", "--seed", "7", "-f", "csv")
    assert code == 0
    code, named, _ = cli("run", "base", "-n", "2000", "--seed", "7", "-f", "csv")
    assert piped == named


def test_validate_and_compare_read_stdin(cli, stdin):
    stdin(_bundled("base"))
    code, out, _ = cli("validate", "-")
    assert code == 0 and out.strip() == "ok <stdin>"
    stdin("[scenario]\nname = 1\n")
    code, _, err = cli("validate", "-")
    assert code == 2 and "<stdin>" in err and "scenario.name" in err
    stdin(_bundled("base"))
    code, out, _ = cli("compare", "-", "bear", "-n", "1000", "--seed", "3", "-f", "csv")
    assert code == 0 and out.count("\n") > 2


def test_stdin_scenario_extends_from_the_working_directory(cli, stdin, tmp_path, monkeypatch):
    (tmp_path / "parent.toml").write_text(_bundled("base"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    stdin('[scenario]\nname = "child"\nextends = "parent.toml"\n')
    code, out, err = cli("run", "-", "-n", "1000", "--seed", "3", "-f", "csv")
    assert code == 0, err
    assert out.splitlines()[1].startswith("child,")
    stdin('[scenario]\nname = "child"\nextends = "missing.toml"\n')
    code, _, err = cli("validate", "-")
    assert code == 2 and "not found in the working directory" in err


def test_history_file_and_actuals_from_stdin(cli, stdin):
    stdin("year,units\n2023,144155\n2024,293724\n2025,596555\n")
    code, out, _ = cli("history", "--file", "-", "-f", "csv")
    assert code == 0 and out.splitlines()[1].startswith("2023,144155,")
    code, out, _ = cli("history", "--file", "-", "-f", "json")  # stdin is used up
    assert code == 2
    stdin("month,units\n2026-01,32059\n")
    code, piped, _ = cli("nowcast", "--actuals", "-", "-n", "2000", "--seed", "3", "-f", "csv")
    assert code == 0
    code, given, _ = cli(
        "nowcast", "--month", "2026-01=32059", "-n", "2000", "--seed", "3", "-f", "csv"
    )
    assert piped == given
    stdin("month,units\n2026-01,32059\n")
    code, piped, _ = cli("run", "--actuals", "-", "-n", "2000", "--seed", "3", "-f", "csv")
    assert code == 0
    code, given, _ = cli(
        "run", "--month", "2026-01=32059", "-n", "2000", "--seed", "3", "-f", "csv"
    )
    assert piped == given


# --------------------------------------------------------------------------- validate --format json


def test_validate_json_lists_every_problem_with_its_fields(cli, write_scenario):
    bad = write_scenario(
        """
        [scenario]
        name = "bad"
        extends = "builtin:base"
        [growth]
        rate = { dist = "pret", low = 0.1, mode = 0.2, high = 0.3 }
        volatilty = 0.1
        """,
        name="bad.toml",
    )
    broken = write_scenario("[growth]\nrate = =\n", name="broken.toml")
    code, out, err = cli("validate", "-f", "json", str(bad), str(broken), "base")
    assert code == 2 and err == ""
    doc = json.loads(out)
    assert [f["file"] for f in doc["files"]] == [str(bad), str(broken), "base"]
    assert [f["valid"] for f in doc["files"]] == [False, False, True]
    assert doc["problems"] == 3
    fields = {"file", "line", "column", "key", "message", "suggestion"}
    problems = {p["key"]: p for f in doc["files"] for p in f["problems"]}
    assert all(set(p) == fields for p in problems.values())
    rate = problems["growth.rate"]
    assert (rate["file"], rate["line"], rate["suggestion"]) == (str(bad), 5, "pert")
    assert "unknown distribution 'pret'" in rate["message"]
    assert problems["growth.volatilty"]["suggestion"] == "volatility"
    (toml,) = doc["files"][1]["problems"]
    assert (toml["line"], toml["column"], toml["key"]) == (2, 8, None)
    assert toml["message"].startswith("not valid TOML")


def test_validate_json_of_valid_files_exits_0(cli):
    code, out, _ = cli("validate", "--format", "json", "base", "bear")
    assert code == 0
    assert json.loads(out)["problems"] == 0


# --------------------------------------------------------------------------- completion, quiet, env


def test_completion_is_offered_and_help_stays_light():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from leapforecast.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('numpy', 'pandas', 'scipy') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "--install-completion" in out and "--show-completion" in out
    assert "HEAVY []" in out


def test_shell_completion_answers_through_run_app(monkeypatch, capsys):
    from leapforecast.cli import app
    from leapforecast.cli.errors import run_app

    monkeypatch.setenv("_LEAPFORECAST_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "leapforecast sce")
    monkeypatch.setenv("COMP_CWORD", "1")
    with pytest.raises(SystemExit) as exc:
        run_app(app, [])
    assert exc.value.code == 0
    assert capsys.readouterr().out.split() == ["scenarios"]


def test_quiet_silences_notes_but_not_errors(cli, tmp_path):
    code, _, err = cli("new", str(tmp_path / "a"))
    assert code == 0 and err.startswith("wrote ")
    code, _, err = cli("--quiet", "new", str(tmp_path / "b"))
    assert code == 0 and err == ""
    code, _, err = cli("-q", "new", str(tmp_path / "b"))
    assert code == 2 and "already exists" in err
    code, _, err = cli("new", str(tmp_path / "c"))  # the next command is not quiet
    assert err.startswith("wrote ")


def test_environment_gives_defaults_and_the_command_line_wins(cli, monkeypatch):
    code, expected, _ = cli("run", "base", "-n", "1000", "--seed", "5", "-f", "jsonl", "-j", "2")
    monkeypatch.setenv("LEAPFORECAST_PATHS", "1000")
    monkeypatch.setenv("LEAPFORECAST_SEED", "5")
    monkeypatch.setenv("LEAPFORECAST_FORMAT", "jsonl")
    monkeypatch.setenv("LEAPFORECAST_JOBS", "2")
    code, out, err = cli("run", "base")
    assert (code, out) == (0, expected) and "error" not in err
    code, out, _ = cli("run", "base", "-f", "csv", "-n", "500")
    assert code == 0 and out.startswith("scenario,year,")
    monkeypatch.setenv("LEAPFORECAST_PATHS", "many")
    code, _, err = cli("run", "base")
    assert code == 2 and "LEAPFORECAST_PATHS" in err


# --------------------------------------------------------------------------- notebooks


@pytest.fixture(scope="module")
def result():
    import leapforecast as lf

    return lf.simulate(lf.load_scenario(), paths=4000, seed=7)


def test_frames_are_tidy_with_numeric_dtypes(result):
    import leapforecast as lf
    from leapforecast.data.targets import track_record

    frames = {
        "summary": result.summary(),
        "sensitivity": lf.sensitivity(lf.load_scenario(), paths=1000, seed=3).frame(),
        "history": lf.load_history().frame(),
        "track": track_record().frame(),
        "compare": lf.compare(
            [lf.load_scenario(), lf.load_scenario("bear")], paths=1000, seed=3
        ).frame(),
    }
    text = {"scenario", "input", "source", "outcome", "metric"}
    for name, frame in frames.items():
        for col in frame.columns:
            if col not in text:
                assert frame[col].dtype.kind in "if", (name, col, frame[col].dtype)
    sens = frames["sensitivity"]
    assert sens.drop(columns="input").mean().notna().all()  # arithmetic on every column
    assert sens["prob_swing"].mean() >= 0  # arithmetic works
    assert pd_isna(frames["history"]["growth"].iloc[0])


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_summary_is_unrounded_but_rows_keep_the_csv_contract(result):
    frame = result.summary()
    rows = result.rows()
    assert list(frame.columns) == result.columns()
    assert frame["mean"].iloc[0] == pytest.approx(float(result.mean[0]))
    assert frame["mean"].iloc[0] != rows[0]["mean"] or float(result.mean[0]).is_integer()
    assert rows[0]["mean"] == round(float(result.mean[0]))


def test_repr_html_is_a_table_and_repr_is_one_line(result):
    html = result._repr_html_()
    assert "<table" in html and "<th>p50</th>" in html and "array(" not in html
    assert html.count("<tr>") == 1 + len(result.years)
    text = repr(result)
    assert "\n" not in text and "array" not in text and "4,000 paths" in text
    import leapforecast as lf

    hist = lf.load_history()
    assert "<table" in hist._repr_html_()
    assert hist._repr_html_().count("<tr>") == 1 + len(hist.years)


def test_any_quantile_and_any_target(result):
    import numpy as np

    year = result.years[1]
    column = np.asarray(result.totals[:, 1], np.float64)
    assert result.quantile(0.5, year) == pytest.approx(float(np.quantile(column, 0.5)), rel=1e-6)
    assert result.quantile(0.5, year) == result.quantile(50, year)  # the table's p50
    assert result.quantile(0.37, year) == pytest.approx(float(np.quantile(column, 0.37)), rel=1e-6)
    assert result.quantile(0.0, year) == pytest.approx(column.min(), rel=1e-6)
    assert result.probability(812_345, year) == pytest.approx(np.mean(column >= 812_345))
    assert result.probability(1_000_000, year) == result.prob_ge[-1, 1]
    reached = (np.asarray(result.totals[:, :2]) >= 900_000).any(axis=1).mean()
    assert result.probability(900_000, year, reached=True) == pytest.approx(reached)
    lo, hi = result.interval(812_345, year)
    assert lo < result.probability(812_345, year) < hi


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda r: r.quantile(1.5, 2026), "`q`"),
        (lambda r: r.quantile("median", 2026), "`q`"),
        (lambda r: r.quantile(0.5, 1999), "`year`"),
        (lambda r: r.probability(-5, 2026), "`target`"),
        (lambda r: r.probability(float("nan"), 2026), "`target`"),
        (lambda r: r.probability(1_000_000, 2040), "`year`"),
    ],
)
def test_bad_quantile_year_or_target_is_a_library_error(result, call, name):
    import leapforecast as lf

    with pytest.raises(lf.LeapforecastError) as exc:
        call(result)
    assert name in str(exc.value)


def test_samples_are_a_frame_of_year_columns(result):
    samples = result.samples()
    assert list(samples.columns) == result.years
    assert samples.shape == (result.paths, len(result.years))
    assert samples.dtypes.map(lambda d: d.kind == "f").all()
    assert samples[result.years[0]].median() == pytest.approx(
        result.quantile(0.5, result.years[0]), rel=1e-6
    )


# --------------------------------------------------------------------------- --samples


def test_samples_parquet_holds_every_path_by_year(cli, tmp_path):
    pytest.importorskip("pyarrow")
    import pandas as pd

    import leapforecast as lf

    out = tmp_path / "paths.parquet"
    code, csv_text, err = cli("run", "base", "-n", "3000", "--seed", "7", "--samples", str(out))
    assert code == 0, err
    frame = pd.read_parquet(out)
    expected = lf.simulate(lf.load_scenario("base"), paths=3000, seed=7)
    assert list(frame.columns) == [str(y) for y in expected.years]
    assert frame.shape == (3000, len(expected.years))
    assert frame.dtypes.map(lambda d: d.kind == "f").all()
    for t, year in enumerate(expected.years):
        assert (frame[str(year)].to_numpy() == expected.totals[:, t]).all()


def test_samples_refuses_inputs_stdout_and_missing_pyarrow(cli, tmp_path, monkeypatch):
    import sys

    scenario = tmp_path / "s.toml"
    from leapforecast.model.files import bundled_scenarios

    scenario.write_text(bundled_scenarios()["base"].read_text(encoding="utf-8"))
    before = scenario.read_bytes()
    code, _, err = cli("run", str(scenario), "-n", "300", "--samples", str(scenario))
    assert code == 2 and "--samples" in err and scenario.read_bytes() == before
    code, _, err = cli("run", "-n", "300", "--samples", "-")
    assert code == 2 and "Parquet is binary" in err
    named_csv = tmp_path / "paths.csv"  # Parquet under a CSV name would mislead its next reader
    code, out, err = cli("run", "-n", "300", "--samples", str(named_csv))
    assert code == 2 and out == "" and not named_csv.exists()
    assert err.strip() == (
        f"error: --samples {named_csv}: writes Parquet; give a .parquet file (e.g. paths.parquet)"
    )
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, out, err = cli("run", "-n", "300", "--samples", str(tmp_path / "p.parquet"))
    assert code == 2 and out == ""
    assert err.strip() == "error: --samples needs pyarrow: pip install 'leapforecast[parquet]'"


# --------------------------------------------------------------------------- the JSON Schema


def _schema_validator():
    jsonschema = pytest.importorskip("jsonschema")
    from leapforecast.model.authoring import json_schema

    schema = json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_schema_validates_every_bundled_scenario():
    import tomllib

    from leapforecast.model.files import bundled_scenarios

    validator = _schema_validator()
    for name, path in bundled_scenarios().items():
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(doc)] == [], name


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (
            {"dist": "pret", "low": 0.1, "mode": 0.2, "high": 0.3},
            "'pret' is not one of ['fixed', 'normal', 'lognormal', 'uniform', 'triangular', "
            "'pert', 'beta', 'choice', 'bootstrap', 'track_record']",
        ),
        ({"dist": "pert", "low": 0.1, "mode": 0.2}, "'high' is a required property"),
        ({"low": 0.1, "high": 0.3}, "'dist' is a required property"),
    ],
)
def test_schema_names_the_specific_problem_of_a_distribution(rate, message):
    from jsonschema.exceptions import best_match

    errors = list(_schema_validator().iter_errors({"growth": {"rate": rate}}))
    assert message in [e.message for e in errors]
    assert best_match(errors).message == message
    assert not any("is not valid under any of the given schemas" in e.message for e in errors)
    assert list(errors[0].absolute_path)[:2] == ["growth", "rate"]


def test_schema_completion_offers_one_list_of_names_and_examples_everywhere():
    from leapforecast.model.authoring import json_schema
    from leapforecast.model.distributions import DIST_CLASSES

    schema = json_schema()
    defs = schema["definitions"]
    dist = defs["Distribution"]
    assert dist["properties"]["dist"]["enum"] == list(DIST_CLASSES)
    text = json.dumps(schema)
    assert text.count('"enum": ["fixed"') == 1  # the names once, not once per key
    assert "anyOf" not in json.dumps(defs["Growth"])  # a distribution key is one $ref
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    for holder in [{"properties": schema["properties"]}, *defs.values()]:
        for key, prop in holder.get("properties", {}).items():
            if key == "dist":
                continue
            assert prop.get("description"), key
            assert prop.get("examples"), key


def test_units_written_as_toml_floats_are_accepted_when_whole(write_scenario):
    import leapforecast as lf
    from leapforecast.model.authoring import validate_file

    path = write_scenario(
        """
        [scenario]
        extends = "builtin:base"
        [simulation]
        targets = [5e5, 1e6, "750k"]
        """
    )
    assert lf.load_scenario(path).targets == [500_000, 750_000, 1_000_000]
    bad = write_scenario(
        """
        [scenario]
        extends = "builtin:base"
        [simulation]
        targets = [2.5e5, 1.5]
        """,
        name="bad.toml",
    )
    (problem,) = validate_file(bad)
    assert "simulation.targets.1" in problem and "whole units" in problem
    assert [
        e.message for e in _schema_validator().iter_errors({"simulation": {"targets": [1e6]}})
    ] == []


def test_new_writes_the_schema_beside_the_starter(cli, tmp_path):
    from leapforecast.model.authoring import schema_text

    code, _, err = cli("new", str(tmp_path / "one"))
    assert code == 0 and "scenario.schema.json" in err
    assert (tmp_path / "one.toml").read_text().startswith("#:schema ./scenario.schema.json\n")
    assert (tmp_path / "scenario.schema.json").read_text(encoding="utf-8") == schema_text()
    (tmp_path / "scenario.schema.json").write_text("{}", encoding="utf-8")  # the user's own
    code, _, err = cli("new", str(tmp_path / "two"))
    assert code == 0 and "scenario.schema.json" not in err
    assert (tmp_path / "scenario.schema.json").read_text(encoding="utf-8") == "{}"
