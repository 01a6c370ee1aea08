"""Authoring commands: validate, schema (and its shipped copy), scenarios, new."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pytest

from leapforecast.model.authoring import (
    SCHEMA_FILE,
    json_schema,
    list_scenarios,
    schema_reference,
    starter,
    validate_file,
    validate_files,
)
from leapforecast.model.files import bundled_scenarios

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))
REGENERATE = "run: leapforecast schema --output leapforecast/data/scenario.schema.json"


# --------------------------------------------------------------------------- schema


def test_shipped_schema_is_in_sync_with_the_models():
    shipped = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert shipped == json_schema(), f"the shipped JSON Schema is stale; {REGENERATE}"


def test_schema_command_prints_the_shipped_file(cli, tmp_path):
    code, out, err = cli("schema")
    assert code == 0 and err == ""
    assert out == SCHEMA_FILE.read_text(encoding="utf-8")
    target = tmp_path / "s.json"
    assert cli("schema", "--output", str(target))[:2] == (0, "")
    assert target.read_text(encoding="utf-8") == out


def test_schema_covers_every_key_and_distribution():
    from leapforecast.model.distributions import DIST_CLASSES
    from leapforecast.model.spec import ScenarioSpec

    schema = json_schema()
    # a mixture file's [mixture] table is not a ScenarioSpec field (model.mixture)
    assert set(schema["properties"]) == set(ScenarioSpec.model_fields) | {"mixture"}
    defs = schema["definitions"]
    tags = {
        d["properties"]["dist"]["const"]
        for d in defs.values()
        if "const" in d.get("properties", {}).get("dist", {})
    }
    assert tags == set(DIST_CLASSES)
    for name, d in defs.items():  # every key an editor offers has a description
        for key, prop in d.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key} has no description"
        assert "resolved" not in d.get("properties", {}), "internal field leaked into the schema"


def _validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_schema_accepts_every_bundled_scenario(path):
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [e.message for e in _validator().iter_errors(doc)] == []


def test_schema_accepts_the_starter_and_what_the_loader_accepts():
    validator = _validator()
    assert list(validator.iter_errors(tomllib.loads(starter("x")))) == []
    doc = {"simulation": {"targets": ["500k", "1M", 750_000]}, "growth": {"rate": 0.3}}
    assert list(validator.iter_errors(doc)) == []


@pytest.mark.parametrize(
    "doc",
    [
        {"growth": {"rate": 0.3, "volatiliy": 0.1}},  # typo
        {"growth": {"rate": {"dist": "pret", "low": 0, "mode": 1, "high": 2}}},  # unknown dist
        {"growth": {"rate": {"low": 0.1, "high": 0.3}}},  # table without dist
        {"growth": {"rate": "fast"}},  # wrong type
        {
            "growth": {"rate": 0.3},
            "event": [{"name": "x", "year": 2026, "impact": 0, "probability": 1.5}],
        },
        {"growth": {"rate": 0.3}, "simulation": {"targets": ["lots"]}},
        {"growth": {"rate": 0.3}, "capacity": {"schedule": {"next year": 1}}},
        {"growth": {"rate": 0.3}, "simulation": {"sampling": "sobel"}},
    ],
)
def test_schema_rejects_what_the_loader_rejects(doc):
    assert list(_validator().iter_errors(doc)), doc


def test_every_bundled_scenario_points_at_the_schema_beside_it():
    for path in SCENARIOS:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "#:schema ./scenario.schema.json", path.name
        beside = path.parent / "scenario.schema.json"
        assert beside.read_text(encoding="utf-8") == SCHEMA_FILE.read_text(encoding="utf-8"), (
            f"scenarios/scenario.schema.json is stale; {REGENERATE} and copy it to scenarios/"
        )


# --------------------------------------------------------------------------- validate


def test_validate_files_returns_every_file_in_order(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(starter("good"), encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("[growth]\nrate = 0.3\nvolatility = nan\nfade = 3\n", encoding="utf-8")
    result = validate_files([good, bad])
    assert list(result) == [str(good), str(bad)]
    assert result[str(good)] == []
    assert [p.split(": ")[1] for p in result[str(bad)]] == ["growth.volatility", "growth.fade"]
    assert all(p.startswith(f"{bad}:") for p in result[str(bad)])


def test_validate_ok_lines_on_stdout_and_exit_0(cli):
    code, out, err = cli("validate", *map(str, SCENARIOS))
    assert code == 0, err
    assert err == ""
    assert out.splitlines() == [f"ok {p}" for p in SCENARIOS]


def test_validate_accepts_bundled_names_and_overrides(cli):
    assert cli("validate", "base", "bull") == (0, "ok base\nok bull\n", "")
    assert cli("validate", "--set", "growth.volatility=0.2", "base")[0] == 0
    code, out, err = cli("validate", "--set", "growth.volatility=-1", "base")
    assert code == 2 and out == "" and "growth.volatility" in err


def test_validate_reports_engine_level_problems_with_the_file(write_scenario):
    path = write_scenario(
        """
        [growth]
        rate = 0.3
        [segment.overseas]
        base = 700_000
        [segment.china]
        """
    )
    (problem,) = validate_file(path)
    assert problem.startswith(f"{path}:5: segment.china: ")
    assert "exceed the base year's total" in problem


def test_validate_needs_a_file(cli):
    code, out, err = cli("validate")
    assert code == 2 and out == "" and "FILE" in err


# --------------------------------------------------------------------------- scenarios


def test_list_scenarios_has_descriptions():
    items = {s.name: s for s in list_scenarios()}
    assert set(items) == set(bundled_scenarios())
    assert {
        "base",
        "bear",
        "bull",
        "consensus",
        "management-plan",
        "capacity-bound",
        "outside-view",
    } <= set(items)
    assert all(s.description for s in items.values())
    assert items["bull"].extends == "base.toml" and items["base"].extends is None


def test_scenarios_command_formats(cli):
    code, out, _ = cli("scenarios", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == [s.name for s in list_scenarios()]
    assert list(rows[0]) == ["name", "description", "extends", "path"]
    code, out, _ = cli("scenarios", "--format", "json")
    assert [r["name"] for r in json.loads(out)] == [r["name"] for r in rows]
    code, out, _ = cli("scenarios")
    assert code == 0 and "management-plan" in out and "Stellantis" in out


# --------------------------------------------------------------------------- new


def test_new_writes_a_starter_that_validates_and_runs(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("new", "my-case")
    assert code == 0 and out == "" and "my-case.toml" in err
    text = (tmp_path / "my-case.toml").read_text(encoding="utf-8")
    assert text.startswith("#:schema ")
    assert 'name = "my-case"' in text
    assert cli("validate", "my-case.toml") == (0, "ok my-case.toml\n", "")
    code, out, err = cli("run", "my-case.toml", "--paths", "500", "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[1].startswith("my-case,2026,")


def test_new_refuses_to_overwrite(cli, tmp_path):
    target = tmp_path / "mine.toml"
    target.write_text("keep me", encoding="utf-8")
    code, out, err = cli("new", "mine", "--output", str(target))
    assert code == 2 and out == ""
    assert "already exists" in err and err.count("\n") == 1
    assert target.read_text(encoding="utf-8") == "keep me"
    code, _, err = cli("new", str(tmp_path / "mine"))
    assert code == 2 and "already exists" in err


def test_new_with_output_and_stdout(cli, tmp_path):
    target = tmp_path / "sub.toml"
    assert cli("new", "alt", "--output", str(target))[0] == 0
    assert 'name = "alt"' in target.read_text(encoding="utf-8")
    code, out, _ = cli("new", "piped", "--output", "-")
    assert code == 0 and 'name = "piped"' in out


@pytest.mark.parametrize("name", ["bad name", "", "-x", "a$b"])
def test_new_rejects_unusable_names(cli, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("new", name)
    assert code == 2 and out == "" and err.startswith("error: ")
    assert list(tmp_path.iterdir()) == []


def test_starter_runs_through_the_library(tmp_path):
    import leapforecast as lf

    path = tmp_path / "s.toml"
    path.write_text(starter("s"), encoding="utf-8")
    result = lf.simulate(lf.load_scenario(path), paths=2_000, seed=3)
    assert result.years == [2026, 2027, 2028]
    assert 0 < result.probability(1_000_000, 2026) < 1
    assert set(result.event_fired) == {"example event"}


def test_schema_reference_is_the_file_beside_the_scenario(tmp_path):
    # never a site-packages path: it must work for a colleague and after an upgrade
    for target in (REPO / "scenarios" / "x.toml", tmp_path / "deep" / "x.toml"):
        assert schema_reference(target) == "./scenario.schema.json"
    assert "site-packages" not in starter("x") and "file://" not in starter("x")
