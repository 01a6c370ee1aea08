"""Management's stated annual targets and what happened: the track record behind a target.

A target is a claim about the future; how past claims turned out (actual / target, the hit
ratio) is the simplest outside check on it. The bundled record is Leapmotor's, with sources.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leapforecast.data._files import BUILTIN_PREFIX, data_path, excerpt, read_text_file
from leapforecast.data.tabular import TabularMixin
from leapforecast.errors import HistoryError
from leapforecast.units import parse_number

BUILTIN = {"leapmotor": "leapmotor_targets.csv"}
DEFAULT_SOURCE = "builtin:leapmotor"
COLUMNS = ["year", "target", "actual", "ratio", "outcome", "source"]


@dataclass(frozen=True)
class Target:
    """One stated annual target; ``actual`` is None while the year is open."""

    year: int
    target: float
    actual: float | None
    source: str = ""

    @property
    def ratio(self) -> float | None:
        """actual / target (1.19 = beaten by 19%), or None while open."""
        return None if self.actual is None else self.actual / self.target

    @property
    def outcome(self) -> str:
        if self.ratio is None:
            return "open"
        if self.ratio >= 1:
            return f"beaten ({self.ratio:.0%} of target)"
        return f"missed ({self.ratio:.0%} of target)"


def _number(text: str, where: str, what: str) -> float:
    try:
        value = parse_number(text)
    except ValueError:
        hint = " (commas only group thousands: write a decimal point)" if "," in text else ""
        raise HistoryError(f"{where}: {what} {excerpt(text)} is not a number{hint}") from None
    if not math.isfinite(value) or value <= 0:
        raise HistoryError(f"{where}: {what} {excerpt(text)} must be a positive number")
    return value


def parse_track_record(text: str, *, source: str = "<string>") -> list[Target]:
    """Parse CSV text with columns year,target[,actual][,source]; an empty actual means open."""
    rows = list(csv.DictReader(io.StringIO(text, newline=None)))
    if not rows:
        raise HistoryError(
            f"{source}: no rows; expected a CSV with columns year,target,actual,source"
        )
    header = [h.strip().lower() for h in rows[0]]
    for column in ("year", "target"):
        if column not in header:
            raise HistoryError(
                f"{source}: missing column '{column}' (header has: {', '.join(header)})"
            )
    out: list[Target] = []
    for lineno, raw in enumerate(rows, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        where = f"{source}: line {lineno}"
        year = _number(row["year"], where, "year")
        if year != int(year):
            raise HistoryError(f"{where}: year {row['year']!r} is not a calendar year")
        actual = row.get("actual", "")
        out.append(
            Target(
                year=int(year),
                target=_number(row["target"], where, "target"),
                actual=_number(actual, where, "actual") if actual else None,
                source=row.get("source", ""),
            )
        )
    years = [t.year for t in out]
    if len(set(years)) != len(years) or years != sorted(years):
        raise HistoryError(f"{source}: years must be unique and in increasing order, got {years}")
    return out


def load_targets(source: str | Path | None = None) -> list[Target]:
    """Load the bundled track record (``builtin:leapmotor``, the default) or a CSV file."""

    text_source = DEFAULT_SOURCE if source is None else str(source)
    if text_source.startswith(BUILTIN_PREFIX):
        key = text_source[len(BUILTIN_PREFIX) :]
        if key not in BUILTIN:
            raise HistoryError(
                f"unknown built-in track record '{text_source}' (known: "
                + ", ".join(BUILTIN_PREFIX + k for k in BUILTIN)
                + ")"
            )
        path = data_path(BUILTIN[key])
        return parse_track_record(path.read_text(encoding="utf-8"), source=text_source)
    path = Path(text_source)
    return parse_track_record(read_text_file(path, HistoryError), source=str(path))


def hit_ratios(targets: list[Target], *, upto: int | None = None) -> list[float]:
    """actual / target of every closed year (on or before ``upto`` if given)."""
    return [t.ratio for t in targets if t.ratio is not None and (upto is None or t.year <= upto)]


def track_record_rows(targets: list[Target]) -> list[dict[str, Any]]:
    """One plain row per target (columns ``COLUMNS``); open years have None actual and ratio."""
    return [
        {
            "year": t.year,
            "target": int(t.target),
            "actual": None if t.actual is None else int(t.actual),
            "ratio": None if t.ratio is None else round(t.ratio, 4),
            "outcome": t.outcome,
            "source": t.source,
        }
        for t in targets
    ]


@dataclass(frozen=True)
class TrackRecord(TabularMixin):
    """Stated targets against outcomes (``leapforecast history --targets``)."""

    targets: list[Target] = field(default_factory=list)
    source: str = DEFAULT_SOURCE

    def columns(self) -> list[str]:
        return list(COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        return track_record_rows(self.targets)

    def json_rows(self) -> list[dict[str, Any]]:
        """The rows as the JSON has always shown them: an open year's actual and ratio are ""
        rather than null (a published contract; other documents use null)."""
        return [{k: "" if v is None else v for k, v in r.items()} for r in self.rows()]

    def document(self) -> dict[str, Any]:
        return {"targets": self.json_rows()}


def track_record(source: str | Path | None = None) -> TrackRecord:
    """The bundled track record (or one from a CSV file) as a result for ``emit``."""
    return TrackRecord(load_targets(source), DEFAULT_SOURCE if source is None else str(source))
