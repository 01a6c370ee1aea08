"""Tables for the nowcast and its backtest."""

from __future__ import annotations

from typing import Any

from leapforecast.analysis.nowcast import NowcastResult
from leapforecast.data.monthly import MONTH_NAMES
from leapforecast.engine.results import QUANTILES
from leapforecast.report.tables import pct
from leapforecast.units import short_units


def _k(units: float) -> str:
    return f"{units / 1000:,.1f}"


def nowcast_tables(result: NowcastResult) -> list[Any]:
    """P(full year >= each target) with the monthly deliveries still needed, the full-year
    quantiles against the annual prior, and the remaining months."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    seen = (
        ", ".join(f"{MONTH_NAMES[m - 1]} {u:,.0f}" for m, u in sorted(result.observed.items()))
        or "none"
    )
    out: list[Any] = [
        Text.assemble(
            (f"Nowcast {result.year}", "bold"),
            f"  prior: {result.scenario}; {result.paths:,} paths, seed {result.seed}\n"
            f"actuals: {seen}; year to date {result.ytd:,.0f}; "
            f"{len(result.remaining)} months to go",
        )
    ]
    probs = Table(title="P(full year >= target)", title_justify="left", box=box.SIMPLE_HEAD)
    probs.add_column("target")
    probs.add_column("P ± s.e.", justify="right")
    probs.add_column("needed a month", justify="right")
    latest = result.latest
    if latest:
        probs.add_column(f"vs {MONTH_NAMES[latest[0] - 1]}", justify="right")
    for k, target in enumerate(result.targets):
        needed = result.needed[k]
        cells = [
            short_units(target),
            f"{pct(result.prob_ge[k])} ±{100 * result.se_ge[k]:.2f}",
            "-" if needed is None else f"{needed:,.0f}",
        ]
        if latest:
            cells.append("-" if needed is None else f"{needed / latest[1]:.2f}x")
        probs.add_row(*cells)
    out.append(probs)
    total = Table(title="Full-year total (thousands)", title_justify="left", box=box.SIMPLE_HEAD)
    total.add_column("")
    total.add_column("mean", justify="right")
    for q in QUANTILES:
        total.add_column(f"p{q}", justify="right", style="bold" if q == 50 else None)
    total.add_row("nowcast", _k(result.mean), *(_k(v) for v in result.quantiles))
    total.add_row(
        Text("annual prior", style="dim"),
        "",
        *(Text(_k(v), style="dim") for v in result.prior_quantiles),
    )
    out.append(total)
    if result.remaining:
        months = Table(
            title="Remaining months (thousands)", title_justify="left", box=box.SIMPLE_HEAD
        )
        months.add_column("month")
        months.add_column("mean", justify="right")
        for q in QUANTILES:
            months.add_column(f"p{q}", justify="right", style="bold" if q == 50 else None)
        for i, m in enumerate(result.remaining):
            months.add_row(
                f"{result.year}-{m:02d}",
                _k(result.month_mean[i]),
                *(_k(v) for v in result.month_quantiles[i]),
            )
        out.append(months)
    out.append(
        Text(
            f"weight of the actuals against the annual model for the rest of the year: "
            f"{result.months_weight:.0%}\nmonthly model noise (log, a month): irregular "
            f"{result.sigma_e:.3f}, slope {result.tau:.3f}; annual model spread "
            f"{result.prior_log_sd:.3f} (log)",
            style="dim",
        )
    )
    return out


def _backtest_tables(result: Any) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = [
        Text.assemble(
            (f"Nowcast backtest {result.year}", "bold"),
            f"  actual {result.actual:,.0f}; prior: {result.prior}; "
            f"{result.paths:,} paths, seed {result.seed}",
        )
    ]
    table = Table(
        title="Full-year nowcast from each cut-off, thousands (actuals up to and including it)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    names = ("cut-off", "YTD", "p5", "p10", "p50", "p90", "p95", "80%", "90%", "loss", "naive")
    for name in (*names, "loss"):
        table.add_column(name, justify="left" if name == "cut-off" else "right", no_wrap=True)
    for r in result.rows:
        q = r.quantiles
        table.add_row(
            "none" if r.cutoff == 0 else MONTH_NAMES[r.cutoff - 1],
            *(f"{v / 1000:,.0f}" for v in (r.ytd, q[0], q[1], q[3], q[5], q[6])),
            "in" if r.inside80 else "OUT",
            "in" if r.inside90 else "OUT",
            f"{r.pinball / 1000:,.1f}",
            f"{r.naive / 1000:,.0f}",
            f"{r.naive_pinball / 1000:,.1f}",
        )
    out.append(table)
    s = result.summary()
    out.append(
        Text(
            f"80%/90%: whether {result.actual:,.0f} fell inside the p10-p90 / p5-p95 interval; "
            "loss: mean pinball loss over the seven quantiles; naive: year to date plus the rest "
            "at the last three months' average.\n"
            f"Cut-offs Jan-Nov: inside the 80% interval {s['coverage80']:.0%}, inside the 90% "
            f"interval {s['coverage90']:.0%}; mean pinball loss {s['pinball']:,.0f} "
            f"vs naive {s['naive_pinball']:,.0f}"
        )
    )
    return out
