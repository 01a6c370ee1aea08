"""The reference class: how other EV makers grew once they reached a given scale.

The bundled ``ev_peers_annual.csv`` (Tesla, BYD NEV, NIO, Li Auto, XPeng, Xiaomi; every figure
with its source) answers the outside-view question "what growth do makers show the year after they
first sell N cars a year?". Definitions differ between makers (Tesla counts handovers, BYD
wholesale NEV sales including exports); the figures are indicative, not like for like.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leapforecast.data._files import data_path, excerpt, read_text_file
from leapforecast.data.history import History, parse_history
from leapforecast.data.tabular import TabularMixin
from leapforecast.errors import HistoryError

BUILTIN_PEERS = "builtin:peers"
DEFAULT_MIN_UNITS = 300_000


@dataclass(frozen=True)
class PeerInterval:
    """One year of a maker's growth. ``years_after`` counts from the first year at or above the
    scale threshold (1 = growth in the year after first reaching it)."""

    maker: str
    from_year: int
    to_year: int
    from_units: float
    to_units: float
    years_after: int
    quality: str = ""  # of the end year's figure: reported, rounded, derived, weak

    @property
    def log_growth(self) -> float:
        return math.log(self.to_units / self.from_units) / (self.to_year - self.from_year)

    @property
    def growth(self) -> float:
        """Annualised simple growth (0.35 = +35%)."""
        return math.expm1(self.log_growth)


@dataclass(frozen=True)
class PoolSummary:
    """Summary of a pool of growth rates (simple growth, 0.35 = +35%)."""

    n: int
    makers: int
    mean: float
    median: float
    p10: float
    p90: float
    min: float
    max: float


def _peers_path() -> Path:
    return data_path("ev_peers_annual.csv")


def load_peers(source: str | Path | None = None) -> dict[str, History]:
    """Each maker's annual history from a CSV with columns maker,year,units[,quality][,source].

    ``None`` or ``builtin:peers`` loads the bundled reference class. Each maker's rows go through
    the same checks as any history file.
    """
    if source is None or str(source) == BUILTIN_PEERS:
        return dict(_builtin_peers())
    return _parse_peers(str(source), read_text_file(Path(source), HistoryError))


@functools.cache
def _builtin_peers() -> dict[str, History]:
    """The bundled reference class, parsed once per process: a backtest resolves a scenario's
    reference fit and peers bootstraps at every maker and origin (167 parses of the same file
    were 0.25 s of `leapforecast backtest`). Histories are frozen; callers get a copy of the
    dict."""
    return _parse_peers(BUILTIN_PEERS, _peers_path().read_text(encoding="utf-8"))


def _parse_peers(label: str, text: str) -> dict[str, History]:
    """Each maker's history from the text of a peers CSV (``label`` names it in errors)."""
    rows = list(csv.DictReader(io.StringIO(text, newline=None)))
    if not rows or "maker" not in {(k or "").strip().lower() for k in rows[0]}:
        raise HistoryError(
            f"{label}: expected a CSV with columns maker,year,units[,quality,source]"
        )
    grouped: dict[str, list[dict[str, str]]] = {}
    for raw in rows:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not row.get("maker"):
            raise HistoryError(f"{label}: a row has no maker: {excerpt(raw)}")
        grouped.setdefault(row["maker"], []).append(row)
    out: dict[str, History] = {}
    for maker, items in grouped.items():
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["year", "units", "source"])
        for row in items:
            quality = row.get("quality", "")
            note = f"[{quality}] {row.get('source', '')}" if quality else row.get("source", "")
            writer.writerow([row.get("year", ""), row.get("units", ""), note.strip()])
        out[maker] = parse_history(buf.getvalue(), source=f"{label}:{maker}")
    return out


def peer_intervals(
    peers: dict[str, History] | None = None,
    *,
    min_units: float = DEFAULT_MIN_UNITS,
    max_units: float | None = None,
    upto: int | None = None,
    exclude: tuple[str, ...] = (),
) -> list[PeerInterval]:
    """Growth intervals of each maker once it reached ``min_units`` a year.

    An interval counts when the year it starts from had at least ``min_units`` (and fewer than
    ``max_units``, if given); ``upto`` keeps intervals ending on or before that year (what was
    known then, for backtests); ``exclude`` drops makers (case-insensitive).
    """
    _check_window(min_units, max_units)
    peers = load_peers() if peers is None else peers
    skip = {e.lower() for e in exclude}
    out: list[PeerInterval] = []
    for maker, hist in peers.items():
        if maker.lower() in skip:
            continue
        first = next(
            (y for y, u in zip(hist.years, hist.units, strict=True) if u >= min_units), None
        )
        if first is None:
            continue
        notes = hist.notes or ("",) * len(hist.years)
        rows = list(zip(hist.years, hist.units, notes, strict=True))
        for (y0, u0, _), (y1, u1, q1) in zip(rows, rows[1:], strict=False):
            if u0 < min_units or (max_units is not None and u0 >= max_units):
                continue
            if upto is not None and y1 > upto:
                continue
            quality = q1[1 : q1.index("]")] if q1.startswith("[") and "]" in q1 else ""
            out.append(PeerInterval(maker, y0, y1, u0, u1, y1 - first, quality))
    return out


def _check_window(min_units: float, max_units: float | None) -> None:
    if not math.isfinite(min_units) or min_units < 0:
        raise HistoryError(f"min_units must be a non-negative number, got {excerpt(min_units)}")
    if max_units is not None and not max_units > min_units:
        raise HistoryError(f"max_units ({max_units:g}) must be above min_units ({min_units:g})")


def growth_pool(
    peers: dict[str, History] | None = None,
    *,
    min_units: float = DEFAULT_MIN_UNITS,
    max_units: float | None = None,
    upto: int | None = None,
    exclude: tuple[str, ...] = (),
) -> list[float]:
    """The pooled annual growth rates (0.35 = +35%) for a scenario's ``bootstrap`` from peers."""
    return [
        iv.growth
        for iv in peer_intervals(
            peers, min_units=min_units, max_units=max_units, upto=upto, exclude=exclude
        )
    ]


def summarize(intervals: list[PeerInterval]) -> PoolSummary:
    """Mean, median and 10th/90th percentiles (linear interpolation) of the pooled growth."""
    import numpy as np

    if not intervals:
        raise HistoryError("no peer growth intervals in that scale window")
    g = np.array([iv.growth for iv in intervals])
    p10, p50, p90 = np.quantile(g, [0.1, 0.5, 0.9])
    return PoolSummary(
        n=len(g),
        makers=len({iv.maker for iv in intervals}),
        mean=float(g.mean()),
        median=float(p50),
        p10=float(p10),
        p90=float(p90),
        min=float(g.min()),
        max=float(g.max()),
    )


def first_reached(peers: dict[str, History], min_units: float) -> dict[str, int | None]:
    """The first year each maker sold at least ``min_units`` (None if never)."""
    return {
        maker: next((y for y, u in zip(h.years, h.units, strict=True) if u >= min_units), None)
        for maker, h in peers.items()
    }


# --------------------------------------------------------------------------- rows and tables

INTERVAL_COLUMNS = [
    "maker",
    "from_year",
    "to_year",
    "years_after",
    "from_units",
    "to_units",
    "growth",
    "quality",
]


def interval_rows(intervals: list[PeerInterval]) -> list[dict[str, Any]]:
    """Plain rows (columns ``INTERVAL_COLUMNS``); growth as a fraction (0.35 = +35%)."""
    return [
        {
            "maker": iv.maker,
            "from_year": iv.from_year,
            "to_year": iv.to_year,
            "years_after": iv.years_after,
            "from_units": round(iv.from_units),
            "to_units": round(iv.to_units),
            "growth": round(iv.growth, 4),
            "quality": iv.quality,
        }
        for iv in intervals
    ]


@dataclass(frozen=True)
class PeerReport(TabularMixin):
    """What ``leapforecast peers`` shows: each maker's growth once it passed a scale, the first
    year each maker reached it, and the pooled summary (None when no interval qualifies)."""

    min_units: float
    max_units: float | None
    source: str
    intervals: list[PeerInterval] = field(default_factory=list)
    first: dict[str, int | None] = field(default_factory=dict)

    @property
    def summary(self) -> PoolSummary | None:
        return summarize(self.intervals) if self.intervals else None

    def columns(self) -> list[str]:
        return list(INTERVAL_COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        return interval_rows(self.intervals)

    def document(self) -> dict[str, Any]:
        """The window, the first year each maker reached it, the intervals and their summary."""
        summary = self.summary
        return {
            "min_units": self.min_units,
            "max_units": self.max_units,
            "source": self.source,
            "first_reached": self.first,
            "intervals": self.rows(),
            "summary": None if summary is None else summary.__dict__,
        }


def peer_report(
    source: str | Path | None = None,
    *,
    min_units: float = DEFAULT_MIN_UNITS,
    max_units: float | None = None,
) -> PeerReport:
    """Load the reference class (bundled or ``source``) and measure it at one scale window."""
    data = load_peers(source)
    return PeerReport(
        min_units=min_units,
        max_units=max_units,
        source=str(source) if source is not None else BUILTIN_PEERS,
        intervals=peer_intervals(data, min_units=min_units, max_units=max_units),
        first=first_reached(data, min_units),
    )
