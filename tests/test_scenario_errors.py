"""Malformed scenarios: each gives exit 2 and precise one-line messages, never a traceback.

The corpus lives in ``tests/data/bad_scenarios/``; CASES says, for each file, the line and key
path the message must name (``FILE:LINE: key.path``) and a fragment of what it must say.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BAD = Path(__file__).parent / "data" / "bad_scenarios"

# file -> (where: "LINE: key.path" or "" when no line applies, expected fragment)
CASES: dict[str, tuple[str, str]] = {
    "typo_key.toml": ("3: growth.volatiliy", "unknown key 'volatiliy'; did you mean 'volatility'?"),
    "typo_table.toml": ("1: grwoth", "unknown key 'grwoth'; did you mean 'growth'?"),
    "typo_event_key.toml": (
        "7: event.0.probabilty",
        "unknown key 'probabilty'; did you mean 'probability'?",
    ),
    "wrong_type.toml": ("2: simulation.paths", "expected a whole number, got string 'many'"),
    "wrong_type_rate.toml": ("2: growth.rate", "expected a number or a distribution table"),
    "low_above_high.toml": ("2: growth.rate", "low (0.5) must not exceed high (0.1)"),
    "mode_outside.toml": ("2: growth.rate", "mode (0.9) must lie between low (0.1) and high (0.5)"),
    "probability.toml": ("7: event.0.probability", "expected a value <= 1.0, got 1.5"),
    "negative_units.toml": ("5: capacity.units", "capacity must not be negative"),
    "negative_segment.toml": ("5: segment.overseas.base", "expected a value >= 0.0, got -67000"),
    "nan.toml": ("3: growth.volatility", "expected a finite number (not nan or inf), got nan"),
    "unknown_dist.toml": (
        "2: growth.rate",
        "unknown distribution 'lognorm'; did you mean 'lognormal'?",
    ),
    "dist_without_name.toml": ("2: growth.rate", 'a distribution table needs dist = "NAME"'),
    "missing_param.toml": (
        "2: growth.rate.sd",
        "missing required key 'sd' (a normal distribution needs mean, sd)",
    ),
    "bad_choice.toml": ("2: simulation.sampling", "got string 'sobel'; did you mean 'sobol'?"),
    "missing_extends.toml": ("2: scenario.extends", "file 'no-such-file.toml' not found"),
    "extends_outside.toml": ("3: scenario.extends", "is outside this file's folder"),
    "empty.toml": ("", "file is empty"),
    "not_toml.toml": ("1", "not valid TOML: Expected '=' after a key"),
    "binary.toml": ("", "looks like a binary file, expected UTF-8 text"),
    "latin1.toml": ("", "not valid UTF-8 text"),
    "unknown_segment.toml": (
        "13: event.0.segment",
        "no segment named 'oversea'; did you mean 'overseas'?",
    ),
    "unknown_correlation.toml": (
        "8: correlation.0.between",
        "'growth.rte' is not an uncertain input; did you mean 'growth.rate'?",
    ),
    "event_out_of_range.toml": ("6: event.0.year", "outside the forecast years 2026-2028"),
    "not_psd.toml": ("9: correlation", "not positive semi-definite"),
}


def _clean(code: int, out: str, err: str) -> list[str]:
    """Exit 2, nothing on stdout, only one-line 'error: ...' messages (and validate's summary)."""
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err
    lines = err.splitlines()
    assert lines, "no message on stderr"
    problems = [line for line in lines if line.startswith("error: ")]
    assert all(line.startswith("error: ") or " problem" in line for line in lines), err
    return problems


def test_the_corpus_is_complete():
    others = {"circular_a.toml", "circular_b.toml", "several.toml"}
    assert {p.name for p in BAD.glob("*.toml")} == set(CASES) | others


@pytest.mark.parametrize("name", sorted(CASES))
def test_run_gives_one_precise_line(cli, name):
    _check_one(cli, "run", name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_gives_one_precise_line(cli, name):
    _check_one(cli, "validate", name)


def _check_one(cli, command: str, name: str) -> None:
    where, fragment = CASES[name]
    args = (command, str(BAD / name)) + (("--paths", "64") if command == "run" else ())
    problems = _clean(*cli(*args))
    assert len(problems) == 1, problems
    line = problems[0]
    assert f"{name}:{where}" in line if where else f"{name}: " in line, line
    assert fragment in line, line


def test_circular_extends_names_the_chain_and_the_closing_line(cli):
    (line,) = _clean(*cli("validate", str(BAD / "circular_a.toml")))
    assert "circular_b.toml:2: scenario.extends: circular extends" in line
    assert line.count("circular_a.toml") == 2 and "->" in line


def test_a_directory_is_not_a_scenario(cli, tmp_path):
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    for command in ("validate", "run"):
        (line,) = _clean(*cli(command, str(folder)))
        assert "folder.toml: is a directory, expected a file" in line


def test_missing_file(cli, tmp_path):
    (line,) = _clean(*cli("run", str(tmp_path / "nothere.toml")))
    assert "nothere.toml: no such file" in line


def test_validate_lists_every_problem_of_a_file_in_line_order(cli):
    problems = _clean(*cli("validate", str(BAD / "several.toml")))
    expected = [
        ("3: scenario.nmae", "did you mean 'name'?"),
        ("6: simulation.paths", "expected a value >= 1, got 0"),
        ("7: simulation.sampling", "did you mean 'lhs'?"),
        ("10: growth.rate", "unknown distribution 'pret'; did you mean 'pert'?"),
        ("16: event.0.probability", "expected a value <= 1.0, got 1.5"),
        ("17: event.0.kind", "did you mean 'multiply'?"),
    ]
    assert len(problems) == len(expected), problems
    for line, (where, fragment) in zip(problems, expected, strict=True):
        assert f"several.toml:{where}: " in line and fragment in line, line


def test_validate_lists_every_problem_of_every_file(cli):
    files = [str(BAD / n) for n in ("typo_key.toml", "several.toml", "empty.toml")]
    code, out, err = cli("validate", *files, "base")
    problems = _clean(code, "", err)
    assert len(problems) == 1 + 6 + 1
    assert out == "ok base\n"
    assert err.splitlines()[-1] == "8 problems in 3 of 4 files"


# --------------------------------------------------------------------------- --set overrides

SET_CASES = {
    "growth.rtae=0.3": ("--set growth.rtae=0.3: growth.rtae", "did you mean 'rate'?"),
    "growth.volatility.sd=1": (
        "--set growth.volatility.sd=1",
        "growth.volatility is a single value (0.1), not a table",
    ),
    "event.nope.impact=-0.1": ("--set event.nope.impact=-0.1", "no entry named 'nope'"),
    "event.7.impact=-0.1": ("--set event.7.impact=-0.1", "index 7 out of range (2 entries)"),
    "growth.rate=fast": ("--set growth.rate=fast: growth.rate", "got string 'fast'"),
    'growth.rate={dist="pret",low=0.1}': ("growth.rate", "did you mean 'pert'?"),
    "event.0.probability=1.5": ("event.0.probability", "expected a value <= 1.0, got 1.5"),
    "simulation.paths=-5": ("--set simulation.paths=-5: simulation.paths", "expected a value >= 1"),
    "growth": ("--set growth", "expected KEY.PATH=VALUE"),
    "..=1": ("--set ..=1", "is not a key path"),
}


@pytest.mark.parametrize("assignment", sorted(SET_CASES))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_set_gives_one_precise_line(cli, assignment, command):
    where, fragment = SET_CASES[assignment]
    args = [command, "--set", assignment, "base"]
    if command == "run":
        args += ["--paths", "64"]
    (line,) = _clean(*cli(*args))
    assert where in line and fragment in line, line


def test_set_lists_the_event_names_when_none_is_close(cli):
    (line,) = _clean(*cli("validate", "--set", "event.zzz.impact=0", "base"))
    assert "'purchase-tax exemption halved'" in line and "index 0-1" in line


def test_set_into_a_valid_value_passes(cli):
    code, out, _ = cli("validate", "--set", "event.price war.probability=0.9", "bear")
    assert code == 0 and out == "ok bear\n"
