"""CSV and JSON Lines text from tidy rows: plain numbers, no thousands separators, blank (CSV)
or null (JSON Lines) for missing."""

from __future__ import annotations

import csv
import io
import json
from typing import Any


def fmt_number(value: object) -> str:
    """Plain CSV number: integers as digits, probabilities with up to 6 decimals; None (a value
    that does not apply) is a blank cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def to_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The ``Tabular`` rows as CSV text, columns in the given (documented) order."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([fmt_number(row[c]) for c in columns])
    return buf.getvalue()


def to_jsonl(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The ``Tabular`` rows as JSON Lines: one JSON object per CSV row, keys in column order,
    null where the CSV cell is blank. The values are the rows' own (already rounded for the CSV
    contract), so a script reading either format sees the same numbers."""
    return "".join(json.dumps({c: row[c] for c in columns}) + "\n" for row in rows)
