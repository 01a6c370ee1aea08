"""The monthly history view (``leapforecast history --monthly``): months, growth on a year
earlier, the period totals that cover missing months, and the fitted seasonal profile.

It lives in analysis because the profile comes from the structural model in ``seasonal``; the
rows are what the CSV and JSON show, so the CLI only emits them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leapforecast.analysis.seasonal import MonthlyFit, SeasonalProfile, fit_monthly
from leapforecast.data.monthly import MONTH_NAMES, MonthlyHistory, load_monthly, month_label
from leapforecast.data.tabular import TabularMixin
from leapforecast.errors import HistoryError

COLUMNS = ["kind", "month", "units", "yoy", "share", "factor", "factor_p10", "factor_p90", "source"]


def month_rows(hist: MonthlyHistory) -> list[dict[str, Any]]:
    """One row per month: month, units, yoy, share of a complete year (None when the year is
    incomplete), source note."""
    totals = {y: sum(hist.year(y).values()) for y in hist.complete_years()}
    rows = []
    notes = hist.notes or ("",) * len(hist.months)
    for m, u, g, note in zip(hist.months, hist.units, hist.yoy(), notes, strict=True):
        share = u / totals[m // 12] if m // 12 in totals else None
        rows.append(
            {
                "month": month_label(m),
                "units": round(u),
                "yoy": None if g is None else round(g, 6),
                "share": None if share is None else round(share, 6),
                "source": note,
            }
        )
    return rows


def period_rows(hist: MonthlyHistory) -> list[dict[str, Any]]:
    """One row per period total (e.g. a Jan-Feb figure for months reported together)."""
    return [
        {"month": a.label, "units": round(a.units), "source": a.source} for a in hist.aggregates
    ]


def seasonal_rows(profile: SeasonalProfile) -> list[dict[str, Any]]:
    """One row per calendar month: factor with its 80% interval, share of a flat year."""
    return [
        {
            "month": f"{m + 1:02d}",
            "name": MONTH_NAMES[m],
            "factor": round(float(profile.factor[m]), 4),
            "factor_p10": round(float(profile.factor_lo[m]), 4),
            "factor_p90": round(float(profile.factor_hi[m]), 4),
            "share": round(float(profile.share[m]), 6),
        }
        for m in range(12)
    ]


@dataclass(frozen=True)
class MonthlyReport(TabularMixin):
    """A monthly history with its seasonal fit (None when there are too few months for one;
    ``notes`` then says why). CSV rows are long: ``kind`` is month, period or season."""

    history: MonthlyHistory
    fit: MonthlyFit | None
    notes: tuple[str, ...] = ()
    months: list[dict[str, Any]] = field(init=False, repr=False)
    periods: list[dict[str, Any]] = field(init=False, repr=False)
    season: list[dict[str, Any]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # rows are computed once: the table builder and every format read the same numbers
        season = seasonal_rows(self.fit.profile()) if self.fit is not None else []
        object.__setattr__(self, "months", month_rows(self.history))
        object.__setattr__(self, "periods", period_rows(self.history))
        object.__setattr__(self, "season", season)

    def columns(self) -> list[str]:
        return list(COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        blank: dict[str, Any] = dict.fromkeys(COLUMNS)
        rows = [{**blank, "kind": "month", **r} for r in self.months]
        rows += [{**blank, "kind": "period", **r} for r in self.periods]
        rows += [
            {**blank, "kind": "season", **{k: v for k, v in r.items() if k in blank}}
            for r in self.season
        ]
        return rows

    def document(self) -> dict[str, Any]:
        """The source, months, period totals and the seasonal fit (null without one)."""
        fit = self.fit
        return {
            "source": self.history.source,
            "months": self.months,
            "periods": self.periods,
            "seasonal": None
            if fit is None
            else {
                "fitted": f"{month_label(fit.first)} to {month_label(fit.end)}",
                "months_used": fit.n_months,
                "period_constraints": fit.n_aggregates,
                "sigma_e": round(fit.sigma_e, 4),
                "eta": round(fit.eta, 4),
                "tau": round(fit.tau, 4),
                "profile": self.season,
            },
        }


def monthly_report(source: str | Path | MonthlyHistory | None = None) -> MonthlyReport:
    """Load a monthly history (bundled Leapmotor by default) and fit its seasonal profile; too
    few months for a profile still give the months, with a note."""
    hist = source if isinstance(source, MonthlyHistory) else load_monthly(source)
    try:
        fit = fit_monthly(hist)
    except HistoryError as exc:
        return MonthlyReport(hist, None, (f"no seasonal profile: {exc}",))
    return MonthlyReport(hist, fit)
