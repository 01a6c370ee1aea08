"""Tables for the validity commands fit and peers (the backtest's are in report/backtest.py).

Strings from input files (maker names, quality notes, history sources) go in as ``Text`` or
escaped, so brackets in them print as written instead of being read as Rich markup.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.markup import escape

from leapforecast.analysis.calibrate import Calibration
from leapforecast.analysis.fit import SIZE_PARAMS, FitReport
from leapforecast.data.peers import PeerReport, summarize
from leapforecast.report.tables import report_table

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType


def fit_tables(report: FitReport) -> list[RenderableType]:
    """Rich renderables: log-growth estimates and curve fits. The TOML block is written as raw
    text after them (a console would wrap or crop long lines and break the TOML)."""

    from rich.text import Text

    lg = report.log_growth
    level = f"{lg.level:.0%}"

    def num(v: float, kind: str) -> str:
        if not math.isfinite(v):
            return "n/a" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        if kind == "pct":
            return f"{v:+.1%}"
        if kind == "units":
            return f"{v:,.0f}"
        if v != 0 and abs(v) < 0.01:
            return f"{v:.2g}"
        return f"{v:.3f}" if abs(v) < 100 else f"{v:,.1f}"

    t1 = report_table(
        escape(
            f"Log growth: {lg.source} {lg.first_year}-{lg.last_year}, {lg.n_intervals} intervals"
        )
    )
    for col in ("parameter", "estimate", f"{level} low", f"{level} high", "note"):
        t1.add_column(col, justify="left" if col in ("parameter", "note") else "right")
    for est, kind in ((lg.mean, "num"), (lg.sd, "num"), (lg.rate, "pct")):
        t1.add_row(
            est.name, num(est.value, kind), num(est.low, kind), num(est.high, kind), Text(est.note)
        )
    out: list[RenderableType] = [t1]
    curves = [c for c in (report.logistic, report.bass) if c is not None]
    if curves:
        t2 = report_table("Curve fits (least squares on log units)")
        for col in (
            "model",
            "parameter",
            "estimate",
            f"{level} low",
            f"{level} high",
            "identified",
        ):
            t2.add_column(
                col, justify="left" if col in ("model", "parameter", "identified") else "right"
            )
        for c in curves:
            for est in c.params:
                kind = "units" if est.name in SIZE_PARAMS else "num"
                shown = num(est.value, kind)
                if est.name in SIZE_PARAMS and not c.identified:
                    shown = "not identified"
                t2.add_row(
                    c.model,
                    est.name,
                    shown,
                    num(est.low, kind),
                    num(est.high, kind),
                    "yes" if c.identified else "no",
                )
        out.append(t2)
    return out


def peers_tables(report: PeerReport) -> list[RenderableType]:
    """Rich renderables: each maker's growth after reaching the scale, and the pooled summary."""
    from rich.text import Text

    intervals, first = report.intervals, report.first
    min_units, max_units = report.min_units, report.max_units
    window = f">= {min_units:,.0f}" + (f" and < {max_units:,.0f}" if max_units else "")
    t1 = report_table(f"Growth once a maker sold {window} a year (from the year it first did)")
    for col in ("maker", "years", "after", "from", "to", "growth", "quality"):
        t1.add_column(
            col, justify="left" if col in ("maker", "years", "quality") else "right", no_wrap=True
        )
    for iv in intervals:
        t1.add_row(
            Text(iv.maker),
            f"{iv.from_year}-{iv.to_year}",
            str(iv.years_after),
            f"{iv.from_units:,.0f}",
            f"{iv.to_units:,.0f}",
            f"{iv.growth:+.1%}",
            Text(iv.quality),
        )
    out: list[RenderableType] = [t1]
    never = [m for m, y in first.items() if y is None]
    t2 = report_table("Pooled growth (the reference class)")
    for col in ("years after", "n", "makers", "mean", "median", "p10", "p90", "min", "max"):
        t2.add_column(col, justify="right")
    groups = [
        ("all", intervals),
        ("1", [iv for iv in intervals if iv.years_after == 1]),
        ("2", [iv for iv in intervals if iv.years_after == 2]),
        ("3+", [iv for iv in intervals if iv.years_after >= 3]),
    ]
    for label, ivs in groups:
        if not ivs:
            continue
        s = summarize(ivs)
        t2.add_row(
            label,
            str(s.n),
            str(s.makers),
            *(f"{v:+.1%}" for v in (s.mean, s.median, s.p10, s.p90, s.min, s.max)),
        )
    out.append(t2)
    reached = ", ".join(f"{m} {y}" for m, y in first.items() if y is not None)
    out.append(
        Text(
            f"First year at {min_units:,.0f} or more: {reached or 'none'}"
            + (f"; never: {', '.join(never)}" if never else "")
        )
    )
    return out


def calibration_tables(cal: Calibration) -> list[RenderableType]:
    """Rich renderables: the spread factors per horizon with their bootstrap interval."""
    from rich.text import Text

    t = report_table(f"Spread calibration of {escape(cal.scenario)} (rolling origin, every maker)")
    cols = ("ahead", "cases", "years", "90% cov", "k50", "k80", "k90", "k90 5-95%")
    for col in cols:
        t.add_column(col, justify="right", no_wrap=True)
    for r in cal.rows_:
        lo, hi = r.k90_interval
        t.add_row(
            str(r.horizon),
            str(r.cases),
            str(r.years),
            f"{r.coverage_90:.0%}",
            *(f"{k:.2f}" for k in r.factors),
            f"{lo:.2f}-{hi:.2f}",
        )
    out: list[RenderableType] = [t]
    out.append(
        Text(
            "k: factor on log deviations from each year's median that makes the central "
            "50/80/90% interval nominal on the scenario's rebased backtest cases (split-conformal, "
            "rank ceil((n+1) level)); 90% cov: coverage before widening; 5-95%: bootstrap over "
            "target years. run --calibrated applies k90."
        )
    )
    out.extend(Text(f"note: {n}") for n in cal.notes)
    return out
