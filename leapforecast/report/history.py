"""Tables for the history views: annual history, monthly history, target track record.

Every string from an input file (sources, notes, month labels) goes in as ``Text`` or escaped,
so brackets in a note print as written instead of being read as Rich markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape

from leapforecast.data.history import History, HistoryReport
from leapforecast.data.monthly import month_label
from leapforecast.data.targets import Target, TrackRecord
from leapforecast.report.tables import report_table

if TYPE_CHECKING:  # pragma: no cover - the monthly view's type (NumPy) is only named here
    from rich.console import RenderableType
    from rich.table import Table

    from leapforecast.analysis.monthly_report import MonthlyReport


def monthly_tables(report: MonthlyReport) -> list[RenderableType]:
    """The months with growth on a year earlier and share of the year, the period totals, and
    the seasonal profile with its 80% interval (when there were months enough to fit one)."""
    from rich.table import Table
    from rich.text import Text

    hist, fit = report.history, report.fit
    table = Table(title=escape(f"Monthly history: {hist.source}"), title_justify="left")
    table.add_column("month")
    table.add_column("units", justify="right")
    table.add_column("vs a year earlier", justify="right")
    table.add_column("share of year", justify="right")
    table.add_column("source", overflow="fold", max_width=60, style="dim")
    for r in report.months:
        yoy = "" if r["yoy"] is None else f"{100 * r['yoy']:+.1f}%"
        share = "" if r["share"] is None else f"{100 * r['share']:.1f}%"
        table.add_row(Text(r["month"]), f"{r['units']:,}", yoy, share, Text(r["source"]))
    for r in report.periods:
        source = Text("period total: " + r["source"])
        table.add_row(Text(r["month"]), f"{r['units']:,}", "", "", source, style="italic")
    if fit is None:
        return [table]
    title = f"Seasonal profile (fitted {month_label(fit.first)} to {month_label(fit.end)})"
    profile = Table(title=title, title_justify="left")
    profile.add_column("month")
    profile.add_column("factor", justify="right")
    profile.add_column("80% interval", justify="right")
    profile.add_column("share of a flat year", justify="right")
    for r in report.season:
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


def history_tables(report: History | HistoryReport) -> list[RenderableType]:
    """The years with growth and source notes, the growth statistics, and the target track
    record when the report carries one."""
    from rich.table import Table
    from rich.text import Text

    hist = report.history if isinstance(report, HistoryReport) else report
    table = Table(title=escape(f"History: {hist.source}"), title_justify="left")
    table.add_column("year")
    table.add_column("units", justify="right")
    table.add_column("growth", justify="right")
    table.add_column("source", overflow="fold", max_width=70, style="dim")
    for r in hist.rows():
        growth = "" if r["growth"] is None else f"{100 * r['growth']:+.1f}%"
        table.add_row(str(r["year"]), f"{r['units']:,}", growth, Text(r["source"]))
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
    if isinstance(report, HistoryReport) and report.record is not None:
        out.append(track_record_table(report.record.targets))
    return out


def track_record_tables(record: TrackRecord) -> list[RenderableType]:
    """``history --targets``: the track record alone."""
    return [track_record_table(record.targets)]


def track_record_table(targets: list[Target], *, title: str = "Target track record") -> Table:
    """A Rich table of targets, outcomes and hit ratios (for ``leapforecast history``)."""
    from rich.text import Text

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
            Text(t.outcome),
        )
    return table
