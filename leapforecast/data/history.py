"""Sales history: load a year,units CSV (bundled or the user's), check it, and summarise growth."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leapforecast.data._files import (
    BUILTIN_PREFIX,
    _parse_number,
    builtin_file,
    csv_header,
    excerpt,
    file_label,
    read_text_file,
)
from leapforecast.data.tabular import TabularMixin
from leapforecast.data.targets import TrackRecord
from leapforecast.errors import HistoryError

BUILTIN = {"leapmotor": "leapmotor_annual.csv"}
DEFAULT_SOURCE = "builtin:leapmotor"


@dataclass(frozen=True)
class History(TabularMixin):
    """Annual deliveries of one maker. Years strictly increase; gaps are allowed."""

    years: tuple[int, ...]
    units: tuple[float, ...]
    source: str = DEFAULT_SOURCE
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def base_year(self) -> int:
        return self.years[-1]

    def units_at(self, year: int) -> float:
        try:
            return self.units[self.years.index(year)]
        except ValueError:
            raise HistoryError(
                f"history {self.source} has no year {year} "
                f"(it has {self.years[0]}-{self.years[-1]})"
            ) from None

    def upto(self, year: int) -> History:
        """The history as it was known at the end of ``year`` (for backtests)."""
        keep = [i for i, y in enumerate(self.years) if y <= year]
        if not keep:
            raise HistoryError(f"history {self.source} has no year on or before {year}")
        return History(
            tuple(self.years[i] for i in keep),
            tuple(self.units[i] for i in keep),
            self.source,
            tuple(self.notes[i] for i in keep) if self.notes else (),
        )

    def intervals(self) -> list[tuple[int, int, float]]:
        """(from_year, to_year, annualised log growth) for each consecutive pair of rows."""
        out = []
        for (y0, u0), (y1, u1) in zip(
            zip(self.years, self.units, strict=True),
            zip(self.years[1:], self.units[1:], strict=True),
            strict=False,
        ):
            out.append((y0, y1, math.log(u1 / u0) / (y1 - y0)))
        return out

    def log_growths(self) -> list[float]:
        """Annualised log growth of each interval; a gap of g years counts once, annualised."""
        return [g for _, _, g in self.intervals()]

    def growth_rates(self) -> list[float]:
        """Annualised simple growth of each interval (0.5 = +50%)."""
        return [math.expm1(g) for g in self.log_growths()]

    def stats(self) -> GrowthStats:
        if len(self.years) < 2:
            raise HistoryError(f"history {self.source} needs at least two years to measure growth")
        span = self.years[-1] - self.years[0]
        mean_log = math.log(self.units[-1] / self.units[0]) / span
        lg = self.log_growths()
        sd = (
            math.sqrt(sum((g - sum(lg) / len(lg)) ** 2 for g in lg) / (len(lg) - 1))
            if len(lg) > 1
            else float("nan")
        )
        return GrowthStats(
            first_year=self.years[0],
            last_year=self.years[-1],
            cagr=math.expm1(mean_log),
            mean_log_growth=mean_log,
            sd_log_growth=sd,
            n_intervals=len(lg),
        )

    # ------------------------------------------------------------------ tables
    def columns(self) -> list[str]:
        return ["year", "units", "growth", "source"]

    def rows(self) -> list[dict[str, Any]]:
        """year, units, growth on the previous row (annualised over gaps; None for the first
        row), source note."""
        rows = []
        previous = None
        notes = self.notes or ("",) * len(self.years)
        for year, units, note in zip(self.years, self.units, notes, strict=True):
            growth = None
            if previous is not None:
                y0, u0 = previous
                growth = round((units / u0) ** (1 / (year - y0)) - 1, 6)
            rows.append({"year": year, "units": round(units), "growth": growth, "source": note})
            previous = (year, units)
        return rows

    def document(self) -> dict[str, Any]:
        """The source, the rows and (with two years or more) the growth statistics."""
        doc: dict[str, Any] = {"source": self.source, "rows": self.rows()}
        if len(self.years) > 1:
            st = self.stats()
            doc["stats"] = {
                "first_year": st.first_year,
                "last_year": st.last_year,
                "cagr": round(st.cagr, 6),
                "mean_log_growth": round(st.mean_log_growth, 6),
                "sd_log_growth": None
                if st.sd_log_growth != st.sd_log_growth
                else round(st.sd_log_growth, 6),
                "intervals": st.n_intervals,
            }
        return doc


@dataclass(frozen=True)
class HistoryReport(TabularMixin):
    """What ``leapforecast history`` shows: the history and, for the bundled Leapmotor history,
    the target track record beside it (rows are the history's; the JSON adds ``targets``)."""

    history: History
    record: TrackRecord | None = None

    def columns(self) -> list[str]:
        return self.history.columns()

    def rows(self) -> list[dict[str, Any]]:
        return self.history.rows()

    def document(self) -> dict[str, Any]:
        doc = self.history.document()
        if self.record is not None:
            doc["targets"] = self.record.json_rows()
        return doc


@dataclass(frozen=True)
class GrowthStats:
    """Growth over a history. ``mean_log_growth`` is ln(last/first)/span, so it matches the CAGR
    even across gaps; ``sd_log_growth`` is the sample sd (ddof=1) of annualised interval growth,
    NaN with a single interval."""

    first_year: int
    last_year: int
    cagr: float
    mean_log_growth: float
    sd_log_growth: float
    n_intervals: int


def load_history(source: str | Path | None = None) -> History:
    """Load ``builtin:leapmotor`` (the default) or a CSV file with columns year,units.

    Other columns (e.g. ``source``, ``quality``) are kept as notes when a ``source`` column exists.
    """
    if source is None:
        source = DEFAULT_SOURCE
    text_source = str(source)
    if text_source.startswith(BUILTIN_PREFIX):
        path = builtin_file(text_source, BUILTIN, "history")
        return parse_history(path.read_text(encoding="utf-8"), source=text_source)
    path = Path(source)
    return parse_history(read_text_file(path, HistoryError), source=file_label(path))


def parse_history(text: str, *, source: str = "<string>") -> History:
    """Parse and check CSV text with a header containing ``year`` and ``units``."""
    where = source
    if not text.strip():
        raise HistoryError(f"{where}: file is empty; expected a CSV with columns year,units")
    reader = csv.reader(io.StringIO(text, newline=None))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise HistoryError(f"{where}: not a valid CSV ({exc})") from None
    header = csv_header(rows[0], ("year", "units"), where)
    iy, iu = header.index("year"), header.index("units")
    isrc = header.index("source") if "source" in header else None
    years: list[int] = []
    units: list[float] = []
    notes: list[str] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) <= max(iy, iu):
            raise HistoryError(
                f"{where}: line {lineno}: expected values for year and units, got {excerpt(row)}"
            )
        ytext, utext = row[iy].strip(), row[iu].strip()
        try:
            yval = _parse_number(ytext)
        except ValueError:
            raise HistoryError(
                f"{where}: line {lineno}: year {excerpt(ytext)} is not a number"
            ) from None
        if not math.isfinite(yval) or yval != int(yval) or not 1800 <= yval <= 2200:
            raise HistoryError(
                f"{where}: line {lineno}: year {excerpt(ytext)} is not a calendar year"
            )
        try:
            uval = _parse_number(utext)
        except ValueError:
            raise HistoryError(
                f"{where}: line {lineno}: units {excerpt(utext)} is not a number "
                "(write plain digits, e.g. 596555)"
            ) from None
        if not math.isfinite(uval):
            raise HistoryError(
                f"{where}: line {lineno}: units {excerpt(utext)} is not a finite number"
            )
        if uval < 0:
            raise HistoryError(f"{where}: line {lineno}: units {utext} is negative")
        if uval == 0:
            raise HistoryError(
                f"{where}: line {lineno}: units is 0; growth from zero is undefined "
                "(leave the year out)"
            )
        if uval < 1:  # also keeps growth ratios finite (1e-300 -> 1e9 would overflow)
            raise HistoryError(
                f"{where}: line {lineno}: units {utext} is below 1; "
                "write whole units (e.g. 596555), "
                "not thousands or millions"
            )
        if uval > 1e9:
            raise HistoryError(
                f"{where}: line {lineno}: units {utext} is implausibly large (over 1e9)"
            )
        year = int(yval)
        if year in years:
            raise HistoryError(f"{where}: line {lineno}: duplicate year {year}")
        if years and year < years[-1]:
            raise HistoryError(
                f"{where}: line {lineno}: year {year} comes after {years[-1]}; "
                "sort the rows by year"
            )
        years.append(year)
        units.append(uval)
        notes.append(row[isrc].strip() if isrc is not None and len(row) > isrc else "")
    if not years:
        raise HistoryError(f"{where}: no data rows; expected at least one year,units row")
    return History(tuple(years), tuple(units), source, tuple(notes))
