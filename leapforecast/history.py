"""Sales history: load a year,units CSV (bundled or the user's), check it, and summarise growth."""

from __future__ import annotations

import csv
import difflib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from leapforecast.errors import HistoryError

BUILTIN_PREFIX = "builtin:"
BUILTIN = {"leapmotor": "leapmotor_annual.csv"}
DEFAULT_SOURCE = "builtin:leapmotor"
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class History:
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


def _data_path(name: str) -> Path:
    return Path(__file__).with_name("data") / name


def builtin_file(source: str, table: dict[str, str], what: str) -> Path:
    """The bundled file behind ``builtin:NAME``; an unknown name is a one-line error with a
    suggestion."""
    key = source[len(BUILTIN_PREFIX) :]
    if key not in table:
        hint = difflib.get_close_matches(key, table, n=1)
        extra = f"; did you mean '{BUILTIN_PREFIX}{hint[0]}'?" if hint else ""
        known = ", ".join(BUILTIN_PREFIX + k for k in table)
        raise HistoryError(f"unknown built-in {what} '{source}' (known: {known}){extra}")
    return _data_path(table[key])


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
    return parse_history(read_text_file(path, HistoryError), source=str(path))


def read_text_file(path: Path, error: type[Exception]) -> str:
    """Read a small UTF-8 text file, turning every OS or decoding problem into ``error``."""
    try:
        if path.is_dir():
            raise error(f"{path}: is a directory, expected a file")
        if path.stat().st_size > MAX_BYTES:
            raise error(
                f"{path}: file is larger than {MAX_BYTES // 1_000_000} MB; "
                "not a history or scenario"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise error(f"{path}: looks like a binary file, expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not valid UTF-8 text (byte {exc.start})") from None


def csv_header(
    row: list[str], required: tuple[str, ...], where: str, hints: dict[str, str] | None = None
) -> list[str]:
    """The lower-cased header, or a one-line error for the first missing column (with a
    "did you mean", or ``hints[column]`` when that says more)."""
    header = [h.strip().lower() for h in row]
    for column in required:
        if column not in header:
            close = difflib.get_close_matches(column, header, n=1)
            extra = f"; did you mean '{close[0]}'?" if close else ""
            extra = (hints or {}).get(column, extra)
            raise HistoryError(
                f"{where}: missing column '{column}' "
                f"(header has: {', '.join(header) or 'nothing'}){extra}"
            )
    return header


def _parse_number(raw: str) -> float:
    return float(raw.strip().replace("_", "").replace(",", ""))


def parse_history(text: str, *, source: str = "<string>") -> History:
    """Parse and check CSV text with a header containing ``year`` and ``units``."""
    where = source
    if not text.strip():
        raise HistoryError(f"{where}: file is empty; expected a CSV with columns year,units")
    reader = csv.reader(io.StringIO(text))
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
                f"{where}: line {lineno}: expected values for year and units, got {row!r}"
            )
        ytext, utext = row[iy].strip(), row[iu].strip()
        try:
            yval = _parse_number(ytext)
        except ValueError:
            raise HistoryError(f"{where}: line {lineno}: year {ytext!r} is not a number") from None
        if not math.isfinite(yval) or yval != int(yval) or not 1800 <= yval <= 2200:
            raise HistoryError(f"{where}: line {lineno}: year {ytext!r} is not a calendar year")
        try:
            uval = _parse_number(utext)
        except ValueError:
            raise HistoryError(
                f"{where}: line {lineno}: units {utext!r} is not a number "
                "(write plain digits, e.g. 596555)"
            ) from None
        if not math.isfinite(uval):
            raise HistoryError(f"{where}: line {lineno}: units {utext!r} is not a finite number")
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
