"""leapforecast.report.history."""

from __future__ import annotations

import json
from typing import Any

from leapforecast.analysis.seasonal import SeasonalProfile
from leapforecast.data.monthly import MONTH_NAMES, MonthlyHistory, month_label
from leapforecast.data.targets import Target
from leapforecast.report.tables import report_table


def _label(index: int) -> str:

    return month_label(index)


def _monthly_tables(
    hist: Any, fit: Any, months: list[dict], periods: list[dict], season: list[dict]
) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Monthly history: {hist.source}", title_justify="left")
    table.add_column("month")
    table.add_column("units", justify="right")
    table.add_column("vs a year earlier", justify="right")
    table.add_column("share of year", justify="right")
    table.add_column("source", overflow="fold", max_width=60, style="dim")
    for r in months:
        yoy = "" if r["yoy"] is None else f"{100 * r['yoy']:+.1f}%"
        share = "" if r["share"] is None else f"{100 * r['share']:.1f}%"
        table.add_row(r["month"], f"{r['units']:,}", yoy, share, r["source"])
    for r in periods:
        source = "period total: " + r["source"]
        table.add_row(r["month"], f"{r['units']:,}", "", "", source, style="italic")
    if fit is None:
        return [table]
    title = f"Seasonal profile (fitted {_label(fit.first)} to {_label(fit.end)})"
    profile = Table(title=title, title_justify="left")
    profile.add_column("month")
    profile.add_column("factor", justify="right")
    profile.add_column("80% interval", justify="right")
    profile.add_column("share of a flat year", justify="right")
    for r in season:
        interval = f"{r['factor_p10']:.2f}-{r['factor_p90']:.2f}"
        profile.add_row(r["name"], f"{r['factor']:.2f}", interval, f"{100 * r['share']:.1f}%")
    note = Text(
        "factor 1.00 = an average month once the trend is taken out; the trend, seasonality and "
        "noise are fitted together, and months missing from the file enter only through the period "
        f"totals that cover them ({fit.n_aggregates} constraint(s)). Noise (log, a month): "
        f"irregular {fit.sigma_e:.3f}, level shifts {fit.eta:.3f}, slope changes {fit.tau:.3f}.",
        style="dim",
    )
    return [table, profile, note]


def monthly_rows(hist: MonthlyHistory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(month rows: month, units, yoy, share of a complete year, source; period rows)."""
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
    periods = [
        {"month": a.label, "units": round(a.units), "source": a.source} for a in hist.aggregates
    ]
    return rows, periods


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


def history_rows(hist: Any) -> list[dict[str, Any]]:
    """year, units, growth on the previous row (annualised over gaps), source note."""
    rows = []
    previous = None
    notes = hist.notes or [""] * len(hist.years)
    for year, units, note in zip(hist.years, hist.units, notes, strict=True):
        growth = None
        if previous is not None:
            y0, u0 = previous
            growth = round((units / u0) ** (1 / (year - y0)) - 1, 6)
        rows.append(
            {
                "year": year,
                "units": round(units),
                "growth": "" if growth is None else growth,
                "source": note,
            }
        )
        previous = (year, units)
    return rows


def history_json(hist: Any, rows: list[dict[str, Any]]) -> str:
    doc: dict[str, Any] = {
        "source": hist.source,
        "rows": [{**r, "growth": r["growth"] if r["growth"] != "" else None} for r in rows],
    }
    if len(hist.years) > 1:
        st = hist.stats()
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
    return json.dumps(doc, indent=2) + "\n"


def history_tables(hist: Any, rows: list[dict[str, Any]]) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"History: {hist.source}", title_justify="left")
    table.add_column("year")
    table.add_column("units", justify="right")
    table.add_column("growth", justify="right")
    table.add_column("source", overflow="fold", max_width=70, style="dim")
    for r in rows:
        growth = "" if r["growth"] == "" else f"{100 * r['growth']:+.1f}%"
        table.add_row(str(r["year"]), f"{r['units']:,}", growth, r["source"])
    out: list[Any] = [table]
    if len(hist.years) > 1:
        st = hist.stats()
        sd = (
            "n/a (one interval)"
            if st.sd_log_growth != st.sd_log_growth
            else f"{st.sd_log_growth:.3f}"
        )
        gaps = any(b - a > 1 for a, b in zip(hist.years, hist.years[1:], strict=False))
        out.append(
            Text(
                f"CAGR {st.first_year}-{st.last_year}: {100 * st.cagr:+.1f}% a year   "
                f"mean log growth {st.mean_log_growth:.3f}   sd {sd}   "
                f"({st.n_intervals} interval{'' if st.n_intervals == 1 else 's'}"
                + ("; growth across gaps is annualised" if gaps else "")
                + ")"
            )
        )
    return out


def track_record_table(targets: list[Target], *, title: str = "Target track record") -> Any:
    """A Rich table of targets, outcomes and hit ratios (for ``leapforecast history``)."""

    table = report_table(title)
    table.add_column("year", justify="right")
    table.add_column("target", justify="right")
    table.add_column("actual", justify="right")
    table.add_column("actual/target", justify="right")
    table.add_column("outcome")
    for t in targets:
        table.add_row(
            str(t.year),
            f"{t.target:,.0f}",
            "open" if t.actual is None else f"{t.actual:,.0f}",
            "" if t.ratio is None else f"{t.ratio:.2f}",
            t.outcome,
        )
    return table
