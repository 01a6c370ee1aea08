"""Monthly deliveries: load a month,units CSV, check it, and estimate the seasonal profile.

The seasonal profile comes from a small Bayesian structural model of log monthly deliveries,

    log u_t = level_t + s_month(t) + e_t,   e_t ~ N(0, sigma_e^2)

where the level is a continuous trend whose monthly slope takes a random walk (slope changes
~ N(0, tau^2)), the twelve seasonal log-factors sum to zero (prior N(0, sigma_s^2)), and months
that were never published enter only through the published totals that contain them (e.g. H1
2024), as a constraint on their sum: a gap is neither filled in nor ignored. The noise levels
(sigma_e, tau, sigma_s) are not tuned by hand: each point of a small grid is weighted by its
marginal likelihood and the fit is a mixture over the grid, so their uncertainty is carried too.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from leapforecast.data._files import (
    BUILTIN_PREFIX,
    _parse_number,
    builtin_file,
    csv_header,
    excerpt,
    file_label,
    read_text_file,
)
from leapforecast.errors import HistoryError

# one month's deliveries above this is a typo, not a carmaker (CSV cells and --month alike)
MAX_MONTH_UNITS = 1e8

BUILTIN = {"leapmotor": "leapmotor_monthly.csv"}
DEFAULT_SOURCE = "builtin:leapmotor"
PEERS_FILE = "ev_peers_monthly.csv"
PEERS_SOURCE = "builtin:peers"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_PERIOD_RE = re.compile(r"^(\d{4})-([QqHh])([1-4])$")
_PERIOD_MONTHS = {
    ("Q", 1): (1, 2, 3),
    ("Q", 2): (4, 5, 6),
    ("Q", 3): (7, 8, 9),
    ("Q", 4): (10, 11, 12),
    ("H", 1): (1, 2, 3, 4, 5, 6),
    ("H", 2): (7, 8, 9, 10, 11, 12),
}


def month_index(year: int, month: int) -> int:
    """Months since year 0: consecutive months differ by one, across year ends too."""
    return year * 12 + month - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(text: str, *, where: str = "month") -> int:
    """``2026-01`` -> month index; a one-line ``HistoryError`` naming ``where`` otherwise."""
    match = _MONTH_RE.match(text.strip())
    if not match:
        raise HistoryError(
            f"{where}: {excerpt(text.strip())} is not a month; expected YYYY-MM, e.g. 2026-01"
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise HistoryError(f"{where}: {excerpt(text.strip())} has month {month}; expected 01 to 12")
    if not 1800 <= year <= 2200:
        raise HistoryError(f"{where}: {excerpt(text.strip())} is not a plausible calendar year")
    return month_index(year, month)


@dataclass(frozen=True)
class Aggregate:
    """A published total over several months of one year (e.g. ``2024-H1``)."""

    label: str
    months: tuple[int, ...]  # month indexes
    units: float
    source: str = ""


# Published totals over months of the bundled CSV (shared/data/README.md). Every month of 2024 is
# now in the file, so these no longer fill a gap: they are consistency checks (the months must add
# up to the published totals within 0.5%, which they do exactly).
BUILTIN_AGGREGATES = {
    "leapmotor": (
        Aggregate(
            "2024-H1",
            tuple(month_index(2024, m) for m in range(1, 7)),
            86_696,
            "published H1 2024 total (shared/data/README.md)",
        ),
        Aggregate(
            "2024-Q3",
            tuple(month_index(2024, m) for m in range(7, 10)),
            86_165,
            "published Q3 2024 total (shared/data/README.md)",
        ),
    )
}


@dataclass(frozen=True)
class MonthlyHistory:
    """Monthly deliveries. Months strictly increase; gaps are allowed; ``aggregates`` are
    published totals over months (some of them missing) that constrain the gaps."""

    months: tuple[int, ...]
    units: tuple[float, ...]
    source: str = DEFAULT_SOURCE
    notes: tuple[str, ...] = field(default=(), compare=False)
    aggregates: tuple[Aggregate, ...] = ()

    @property
    def labels(self) -> list[str]:
        return [month_label(m) for m in self.months]

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.months, self.units, strict=True))

    def upto(self, index: int) -> MonthlyHistory:
        """The history as known at the end of month ``index`` (aggregates that end later go)."""
        keep = [i for i, m in enumerate(self.months) if m <= index]
        return MonthlyHistory(
            tuple(self.months[i] for i in keep),
            tuple(self.units[i] for i in keep),
            self.source,
            tuple(self.notes[i] for i in keep) if self.notes else (),
            tuple(a for a in self.aggregates if max(a.months) <= index),
        )

    def year(self, year: int) -> dict[int, float]:
        """{calendar month 1..12: units} for the months of ``year`` that are known."""
        return {
            m % 12 + 1: u for m, u in zip(self.months, self.units, strict=True) if m // 12 == year
        }

    def complete_years(self) -> list[int]:
        return sorted({m // 12 for m in self.months if len(self.year(m // 12)) == 12})

    def yoy(self) -> list[float | None]:
        """Growth on the same month a year earlier (0.5 = +50%); None where that is unknown."""
        known = self.as_dict()
        return [
            None if m - 12 not in known else u / known[m - 12] - 1
            for m, u in zip(self.months, self.units, strict=True)
        ]


def load_monthly(source: str | Path | None = None) -> MonthlyHistory:
    """Load ``builtin:leapmotor`` (the default) or a CSV with columns month,units.

    Rows may also give published totals over quarters or halves (``2024-Q3``, ``2024-H1``) that
    cover months missing from the file; they constrain the gaps in the seasonal fit.
    """
    text_source = DEFAULT_SOURCE if source is None else str(source)
    if text_source.startswith(BUILTIN_PREFIX):
        key = text_source[len(BUILTIN_PREFIX) :]
        text = builtin_file(text_source, BUILTIN, "monthly history").read_text(encoding="utf-8")
        hist = parse_monthly(text, source=text_source)
        return MonthlyHistory(
            hist.months, hist.units, hist.source, hist.notes, BUILTIN_AGGREGATES.get(key, ())
        )
    path = Path(text_source)
    return parse_monthly(read_text_file(path, HistoryError), source=file_label(path))


def load_monthly_peers(source: str | Path | None = None) -> dict[str, MonthlyHistory]:
    """Monthly deliveries of the reference-class makers, ``{maker: MonthlyHistory}``.

    ``builtin:peers`` (the default) is the bundled ``ev_peers_monthly.csv`` (NIO, XPeng and Li
    Auto every month 2021-2025, some BYD months), with a source per row kept as the notes; a CSV
    path needs columns ``maker,month,units`` (``quality``/``source`` optional). Each maker's rows
    go through the same checks as a single-maker file. This is what lets the nowcast backtest be
    scored on several makers instead of one.
    """
    text_source = PEERS_SOURCE if source is None else str(source)
    where = text_source
    if text_source.startswith(BUILTIN_PREFIX):
        path = builtin_file(text_source, {"peers": PEERS_FILE}, "monthly peers")
        raw = path.read_text(encoding="utf-8")
    else:
        raw = read_text_file(Path(text_source), HistoryError)
    try:
        rows = list(csv.reader(io.StringIO(raw, newline=None)))
    except csv.Error as exc:
        raise HistoryError(f"{where}: not a valid CSV ({exc})") from None
    if not rows:
        raise HistoryError(f"{where}: file is empty; expected columns maker,month,units")
    header = csv_header(rows[0], ("maker", "month", "units"), where)
    im = header.index("maker")
    per_maker: dict[str, list[list[str]]] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) <= im or not row[im].strip():
            raise HistoryError(f"{where}: line {lineno}: no maker")
        per_maker.setdefault(row[im].strip(), []).append(row)
    if not per_maker:
        raise HistoryError(f"{where}: no rows; expected maker,month,units rows")
    out: dict[str, MonthlyHistory] = {}
    for maker, maker_rows in per_maker.items():
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([rows[0], *maker_rows])
        out[maker] = parse_monthly(buf.getvalue(), source=f"{where} ({maker})", periods=False)
    return out


def parse_monthly(text: str, *, source: str = "<string>", periods: bool = True) -> MonthlyHistory:
    """Parse and check CSV text with a header containing ``month`` and ``units``.

    ``periods=False`` rejects quarter/half rows (year-to-date actuals must be months).
    """
    where = source
    if not text.strip():
        raise HistoryError(f"{where}: file is empty; expected a CSV with columns month,units")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=None)))
    except csv.Error as exc:
        raise HistoryError(f"{where}: not a valid CSV ({exc})") from None
    annual = "year" in [h.strip().lower() for h in rows[0]]
    hints = {"month": "; this looks like an annual history (year,units): drop --monthly"}
    header = csv_header(rows[0], ("month", "units"), where, hints if annual else None)
    im, iu = header.index("month"), header.index("units")
    isrc = header.index("source") if "source" in header else None
    months: list[int] = []
    units: list[float] = []
    notes: list[str] = []
    aggs: list[tuple[int, Aggregate]] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        here = f"{where}: line {lineno}"
        if len(row) <= max(im, iu):
            raise HistoryError(f"{here}: expected values for month and units, got {excerpt(row)}")
        mtext, utext = row[im].strip(), row[iu].strip()
        value = _check_units(utext, here)
        note = row[isrc].strip() if isrc is not None and len(row) > isrc else ""
        period = _PERIOD_RE.match(mtext)
        if period:
            if not periods:
                raise HistoryError(
                    f"{here}: {excerpt(mtext)} is a period total; give single months (YYYY-MM) here"
                )
            year, kind, n = int(period.group(1)), period.group(2).upper(), int(period.group(3))
            if (kind, n) not in _PERIOD_MONTHS:
                raise HistoryError(
                    f"{here}: {excerpt(mtext)} is not a period; use YYYY-Q1..Q4 or YYYY-H1/H2"
                )
            label = f"{year}-{kind}{n}"
            if any(a.label == label for _, a in aggs):
                raise HistoryError(f"{here}: duplicate period {label}")
            idx = tuple(month_index(year, m) for m in _PERIOD_MONTHS[(kind, n)])
            aggs.append((lineno, Aggregate(label, idx, value, note)))
            continue
        index = parse_month(mtext, where=here + ": month")
        if index in months:
            raise HistoryError(f"{here}: duplicate month {month_label(index)}")
        if months and index < months[-1]:
            raise HistoryError(
                f"{here}: month {month_label(index)} comes after {month_label(months[-1])}; "
                "sort the rows by month"
            )
        months.append(index)
        units.append(value)
        notes.append(note)
    if not months:
        raise HistoryError(
            f"{where}: no month rows; expected at least one month,units row (e.g. 2026-01,32059)"
        )
    known = dict(zip(months, units, strict=True))
    for lineno, agg in aggs:
        try:
            reduce_aggregates(known, [agg])
        except HistoryError as exc:
            raise HistoryError(f"{where}: line {lineno}: {exc}") from None
    reduce_aggregates(known, [a for _, a in aggs], where=where)
    return MonthlyHistory(
        tuple(months), tuple(units), source, tuple(notes), tuple(a for _, a in aggs)
    )


def _check_units(utext: str, here: str) -> float:
    try:
        value = _parse_number(utext)
    except ValueError:
        raise HistoryError(
            f"{here}: units {excerpt(utext)} is not a number (write plain digits, e.g. 32059)"
        ) from None
    if not math.isfinite(value):
        raise HistoryError(f"{here}: units {excerpt(utext)} is not a finite number")
    if value < 0:
        raise HistoryError(f"{here}: units {utext} is negative")
    if value == 0:
        raise HistoryError(
            f"{here}: units is 0; log growth from zero is undefined (leave the month out)"
        )
    if value > MAX_MONTH_UNITS:
        raise HistoryError(f"{here}: units {utext} is implausibly large for one month (over 1e8)")
    return value


def reduce_aggregates(
    known: dict[int, float], aggregates: list[Aggregate] | tuple[Aggregate, ...], *, where: str = ""
) -> list[tuple[tuple[int, ...], float]]:
    """Turn published totals into constraints on the sums of *missing* months.

    Known months are subtracted, and so is every smaller total nested inside a larger one, so no
    month is counted twice (H1 and Q1 may both be given). A total whose months are all known is a
    consistency check (0.5% tolerance). Returns [(missing month indexes, their total)].
    """
    prefix = f"{where}: " if where else ""
    tops: list[
        tuple[set[int], set[int], float, str]
    ] = []  # (months, missing, missing total, label)
    out: list[tuple[tuple[int, ...], float]] = []
    for agg in sorted(aggregates, key=lambda a: len(a.months)):
        months = set(agg.months)
        missing = {m for m in months if m not in known}
        missing_total = agg.units - sum(known[m] for m in months if m in known)
        rest, free = missing_total, set(missing)
        for inner in [t for t in tops if t[0] & months]:
            if not inner[0] <= months:
                raise HistoryError(
                    f"{prefix}periods {inner[3]} and {agg.label} overlap without nesting"
                )
            rest -= inner[2]
            free -= inner[1]
            tops.remove(inner)
        tops.append((months, missing, missing_total, agg.label))
        if not free:
            if abs(rest) > max(1.0, 0.005 * agg.units):
                raise HistoryError(
                    f"{prefix}{agg.label} = {agg.units:,.0f} but the months and periods it covers "
                    f"add up to {agg.units - rest:,.0f}"
                )
            continue
        if rest <= 0:
            raise HistoryError(
                f"{prefix}{agg.label} = {agg.units:,.0f} leaves nothing for its missing months "
                f"({', '.join(month_label(m) for m in sorted(free))})"
            )
        out.append((tuple(sorted(free)), rest))
    return out


# --------------------------------------------------------------------------- the seasonal fit
