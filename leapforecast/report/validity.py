"""Tables for the validity commands: backtest, fit and peers.

Strings from input files (maker names, quality notes, history sources) go in as ``Text`` or
escaped, so brackets in them print as written instead of being read as Rich markup.
"""

from __future__ import annotations

import math
from typing import Any

from rich.markup import escape

from leapforecast.analysis.backtest import LEVELS, BacktestResult
from leapforecast.analysis.fit import SIZE_PARAMS, FitReport
from leapforecast.data.peers import PeerReport, summarize
from leapforecast.report.tables import report_table


def result_tables(result: BacktestResult, *, cases: bool = False) -> list[Any]:
    """Rich renderables: the summary per method and horizon (and every case if asked)."""
    from rich.text import Text

    n_series = len({c.series for c in result.cases})
    out: list[Any] = [
        Text.assemble(
            ("Rolling-origin backtest", "bold"),
            f"  {n_series} series, {result.draws:,} draws, seed {result.seed}; "
            "scores on log units (lower is better); skill = 1 - CRPS / CRPS(no change)",
        )
    ]
    t = report_table()
    for col in (
        "method",
        "h",
        "cases",
        "in 50%",
        "in 80%",
        "in 90%",
        "CRPS",
        "pinball",
        "bias",
        "skill",
    ):
        t.add_column(col, justify="left" if col == "method" else "right", no_wrap=True)
    for s in result.scores:
        cov = [f"{c:.0%}" for c in s.coverage] if s.coverage else ["-"] * len(LEVELS)
        t.add_row(
            s.method,
            str(s.horizon),
            str(s.cases),
            *cov,
            f"{s.crps:.3f}",
            f"{s.pinball:.3f}",
            f"{s.bias:+.3f}",
            f"{s.crps_skill:+.2f}",
        )
    out.append(t)
    if cases:
        tc = report_table("Cases (units in thousands)")
        for col in (
            "series",
            "from",
            "to",
            "method",
            "actual",
            "median",
            "p5",
            "p95",
            "in90",
            "CRPS",
        ):
            tc.add_column(
                col, justify="left" if col in ("series", "method") else "right", no_wrap=True
            )

        def k(v: float) -> str:
            return f"{v / 1000:,.0f}" if v >= 10_000 else f"{v / 1000:,.1f}"

        for c in result.cases:
            inside = "-" if c.covered is None else ("yes" if c.covered[-1] else "no")
            tc.add_row(
                c.series,
                str(c.origin),
                str(c.year),
                c.method,
                k(c.actual),
                k(c.median),
                k(c.p5),
                k(c.p95),
                inside,
                f"{c.crps:.3f}",
            )
        out.append(tc)
    return out


def fit_tables(report: FitReport) -> list[object]:
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
    out: list[object] = [t1]
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


def peers_tables(report: PeerReport) -> list[object]:
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
    out: list[object] = [t1]
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
