"""CSV text from tidy rows: plain numbers, no thousands separators, blank for missing."""

from __future__ import annotations

import csv
import io
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
