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
