"""Tables for the nowcast and its backtest."""

from __future__ import annotations

from typing import Any

from leapforecast.analysis.nowcast import NowcastResult
from leapforecast.analysis.outside import NowcastWithOutside
from leapforecast.data.monthly import MONTH_NAMES
from leapforecast.engine.results import QUANTILES, zero_one_bound
from leapforecast.report.tables import pct, prob_se
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
    probs.add_column("P ± Monte Carlo s.e.", justify="right")
    probs.add_column("needed a month", justify="right")
    latest = result.latest
    if latest:
        probs.add_column(f"vs {MONTH_NAMES[latest[0] - 1]}", justify="right")
    for k, target in enumerate(result.targets):
        needed = result.needed[k]
        cells = [
            short_units(target),
            prob_se(result.prob_ge[k], result.se_ge[k], zero_one_bound(result.paths)),
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
            f"{result.prior_log_sd:.3f} (log)"
            + (
                ""
                if result.outside_weight is None
                else "\nlevel prior: the scenario or its outside view, "
                f"{1 - (result.outside_prior_weight or 0.0):.0%}/"
                f"{result.outside_prior_weight or 0.0:.0%}; after the actuals the outside view "
                f"holds {result.outside_weight:.0%}"
            ),
            style="dim",
        )
    )
    if result.mixture is not None:
        out += nowcast_mixture_tables(result)
    return out


def nowcast_mixture_tables(result: NowcastResult) -> list[Any]:
    """Which scenario is reality tracking: each component's prior and posterior weight (the
    likelihood of the year-to-date total under it) and its own conditioned P(>= target)."""
    from rich.text import Text

    from leapforecast.report.tables import report_table

    table = report_table("Mixture components: prior → posterior weight given the actuals")
    table.add_column("component", no_wrap=True)
    table.add_column("prior", justify="right")
    table.add_column("posterior", justify="right")
    table.add_column("paths", justify="right")
    for target in result.targets:
        table.add_column(f"≥{short_units(target)}", justify="right")
    for c in result.mixture or []:
        table.add_row(
            Text(str(c["name"])),
            f"{c['prior_weight']:.3f}",
            f"{c['weight']:.3f}",
            f"{c['paths']:,}",
            *(pct(c[f"prob_ge_{t}"]) for t in result.targets),
        )
    return [table]


def _backtest_tables(result: Any) -> list[Any]:
    """The monthly calibration report: one row per months-observed group, within 80 columns."""
    import textwrap

    from rich import box
    from rich.table import Table
    from rich.text import Text

    years = ", ".join(
        f"{m} {'/'.join(str(y)[2:] for mm, y in result.maker_years if mm == m)}"
        for m in result.makers
    )
    others = (
        "the pooled reference model (the outside view) fitted up to the year before"
        if result.prior == "reference"
        else "a trend of the maker's own annual history"
    )
    prior = (
        f"scenario {result.scenario} for Leapmotor, for the others {others}"
        if result.scenario
        else others
    )
    prior += "; every level prior is half the outside view (the actuals decide)"
    out: list[Any] = [
        Text.assemble(
            ("Nowcast backtest (monthly calibration)", "bold"),
            f": {result.paths:,} paths, seed {result.seed}\n",
            textwrap.fill(
                f"{len(result.maker_years)} maker-year{'s' if len(result.maker_years) != 1 else ''}"
                f": {years}.",
                79,
            ),
            "\n"
            + textwrap.fill(
                f"Prior: {prior}. CRPS of the log annual total (lower is better).",
                79,
            ),
        )
    ]
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=0, show_edge=False)
    heads = ("months", "cases", "months", "in 80%", "80% CI", "in 90%", "total", "PIT p")
    for h in (*heads, "CRPS", "run rate", "y/y"):
        t.add_column(h, justify="left" if h == "months" and not t.columns else "right")
    t.columns[2].header = "scored"
    t.columns[6].header = "total, CI"
    for g in result.groups:
        r = g.row()
        t.add_row(
            g.group,
            str(g.cases),
            str(g.month_cases),
            f"{100 * r['month_coverage_80']:.0f}%",
            f"{100 * r['month_coverage_80_lo']:.0f}-{100 * r['month_coverage_80_hi']:.0f}%",
            f"{100 * r['month_coverage_90']:.0f}%",
            f"{100 * r['total_coverage_80']:.0f}% "
            f"{100 * r['total_coverage_80_lo']:.0f}-{100 * r['total_coverage_80_hi']:.0f}",
            f"{g.total_pit_p:.2f}",
            f"{g.crps:.3f}",
            f"{g.crps_run_rate:.3f}",
            f"{g.crps_yoy:.3f}",
        )
    out.append(t)
    notes = (
        "months: months observed (0 = the annual prior alone); cases: nowcasts (maker-year x "
        "cut-off); scored: remaining months scored; in 80%/in 90%: share of those months inside "
        "their 80%/90% intervals, 80% CI its Wilson 95% interval (the sampling uncertainty of "
        "the coverage, optimistic because months of one year share its shocks; not Monte Carlo "
        "error); total, CI: share of annual totals inside their 80% interval and its Wilson "
        "95% interval (each cut-off of a maker-year shares its outcome); PIT p: chi-square "
        "test that the totals' PIT quintiles are flat; run rate, y/y: CRPS (absolute log error) "
        "of the naive baselines (identical up to 3 months observed)."
    )
    out.append(Text(textwrap.fill(notes, 79), style="dim"))
    if result.skipped:
        out.append(
            Text(
                textwrap.fill(
                    "Skipped: " + "; ".join(f"{k} ({v})" for k, v in result.skipped.items()), 79
                ),
                style="dim",
            )
        )
    return out


def nowcast_outside_tables(shown: NowcastWithOutside) -> list[Any]:
    """The nowcast's tables with the outside view of its year after the full-year quantiles
    (from the year before; it ignores the actuals, and the sharpness shown is the annual
    prior's)."""
    from rich.text import Text

    from leapforecast.report.run import outside_notes, outside_tables

    tables = nowcast_tables(shown.result)
    extra = outside_tables(shown.outside, {"prior sharpness": shown.sharpness})
    notes = outside_notes(shown.outside, shown.warnings())
    notes.insert(
        1,
        Text(
            "The outside view starts from the year before and ignores the actuals; the "
            "sharpness is the annual prior's.",
            style="dim",
        ),
    )
    return tables[:3] + extra + notes + tables[3:]
