"""Tables for compare, sensitivity, sweep and break-even.

Scenario names, input names and keys come from the user's files: they go in as ``Text`` or
escaped, so brackets in them print as written instead of being read as Rich markup.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape
from rich.text import Text

from leapforecast.analysis.compare import Comparison
from leapforecast.analysis.outside import ComparisonWithOutside
from leapforecast.analysis.sensitivity import MixtureSensitivity, SensitivityReport
from leapforecast.analysis.sweep import BreakEven, Sweep
from leapforecast.engine.results import QUANTILES, zero_one_bound
from leapforecast.report.tables import compact_value, prob_se, thousands
from leapforecast.units import short_units


def comparison_tables(cmp: Comparison) -> list[Any]:
    """Rich renderables: quantiles and probabilities per year and scenario, then the differences."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    i10, i50, i90 = (QUANTILES.index(q) for q in (10, 50, 90))
    out: list[Any] = [
        Text.assemble(
            ("compare", "bold"),
            f"  {len(cmp.results)} scenarios, {cmp.paths:,} paths each, seed {cmp.seed}, "
            "common random numbers",
        )
    ]
    main = Table(
        title="Units (thousands) and P(units >= target) in % ± Monte Carlo s.e.",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
    )
    main.add_column("year", no_wrap=True)
    main.add_column("scenario", overflow="fold", min_width=8, max_width=20)
    main.add_column("median", justify="right", no_wrap=True, style="bold")
    main.add_column("p10-p90", justify="right", no_wrap=True)
    for target in cmp.targets:
        main.add_column(f"≥{short_units(target)}", justify="right", no_wrap=True)
    for year in cmp.years:
        for j, (label, res) in enumerate(zip(cmp.labels, cmp.results, strict=True)):
            if year not in res.years:
                continue
            t = res.years.index(year)
            q = res.quantiles[:, t]
            cells = [
                prob_se(res.prob_ge[k, t], res.se_ge[k, t], res.boundary_bound, sign="")
                for k in range(len(cmp.targets))
            ]
            main.add_row(
                str(year) if j == 0 else "",
                Text(label),
                f"{q[i50] / 1e3:,.0f}",
                f"{q[i10] / 1e3:,.0f}-{q[i90] / 1e3:,.0f}",
                *cells,
                end_section=j == len(cmp.results) - 1,
            )
    out.append(main)
    ref = cmp.labels[cmp.reference]
    out.append(
        Text(f"Difference from {ref}: P(units >= target) in points ± paired s.e.", style="italic")
    )
    diff = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0))
    diff.add_column("year", no_wrap=True)
    diff.add_column("scenario", overflow="fold", min_width=8, max_width=20)
    for target in cmp.targets:
        diff.add_column(f"Δ≥{short_units(target)}", justify="right", no_wrap=True)
    others = [i for i in range(len(cmp.results)) if i != cmp.reference]
    for year in cmp.years:
        for j, i in enumerate(others):
            cells = []
            for target in cmp.targets:
                d = cmp.difference(i, target, year)
                cells.append("" if d is None else f"{100 * d[0]:+.1f} ±{100 * d[1]:.2f}")
            if any(cells):
                diff.add_row(
                    str(year) if j == 0 else "",
                    Text(cmp.labels[i]),
                    *cells,
                    end_section=j == len(others) - 1,
                )
    out.append(diff)
    out.append(
        Text(
            "Paired Monte Carlo s.e.: scenarios share random draws where they share inputs, so "
            "much of the noise cancels in a difference.",
            style="dim",
        )
    )
    return out


def mixture_sensitivity_tables(report: MixtureSensitivity) -> list[Any]:
    """Each component's sensitivity tables under a heading with its weight."""
    from rich.text import Text

    out: list[Any] = []
    for name, weight, one in zip(report.names, report.weights, report.reports, strict=True):
        out.append(
            Text.assemble(
                ("component ", "bold"),
                (name, "bold"),
                f" of mixture {report.scenario}, weight {weight:.3f}",
            )
        )
        out += sensitivity_tables(one)
    return out


def comparison_outside_tables(shown: ComparisonWithOutside) -> list[Any]:
    """The comparison's tables, then the outside view (of the first scenario's base) with each
    scenario's sharpness, and a warning for every scenario narrower than the record supports."""
    from leapforecast.report.run import outside_notes

    cmp = shown.comparison
    ratios = {label: shown.sharpness(i) for i, label in enumerate(cmp.labels)}
    tables = comparison_tables(cmp)
    extra = _sharpness_tables(shown.outside[0], ratios)
    return tables[:2] + extra + outside_notes(shown.outside[0], shown.warnings()) + tables[2:]


def _sharpness_tables(view: Any, ratios: dict[str, dict[int, float]]) -> list[Any]:
    """Reference quantiles and probabilities by year, then sharpness by scenario and year."""
    import math

    from rich.text import Text

    from leapforecast.report.run import outside_tables
    from leapforecast.report.tables import report_table

    out = outside_tables(view, {})
    table = report_table(Text("Sharpness (90% range / reference's)", style="italic"))
    table.add_column("scenario", overflow="fold", min_width=8, max_width=24)
    for year in view.years:
        table.add_column(str(year), justify="right", no_wrap=True)
    for label, by_year in ratios.items():
        cells = [
            "" if not math.isfinite(r := by_year.get(y, math.nan)) else f"{r:.2f}"
            for y in view.years
        ]
        table.add_row(Text(label), *cells)
    out.append(table)
    return out


def sensitivity_tables(report: SensitivityReport) -> list[Any]:
    """Rich renderables: the tornado with bars, then correlations and Sobol indices."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    label = f"P(≥{short_units(report.target)} in {report.year})"
    out: list[Any] = [
        Text.assemble(
            (report.scenario, "bold"),
            f"  {label} = {prob_se(report.base_prob, report.base_se, zero_one_bound(report.paths))}"
            f"{' Monte Carlo s.e.' if 0 < report.base_prob < 1 else ''}, median "
            f"{report.base_median / 1e3:,.0f}k; {report.paths:,} paths, seed {report.seed}",
        )
    ]
    # bars follow the swing as printed: swings that print as +0.0 draw no bar (a scale taken
    # from rounding noise drew them full length)
    shown = {
        r.name: round(100 * r.prob_swing, 1) for r in report.inputs if r.prob_swing is not None
    }
    scale = max((abs(v) for v in shown.values()), default=0.0)
    lo_q, hi_q = round(100 * report.low), round(100 * report.high)
    out.append(
        Text(
            f"Tornado: {label} in % with each input held at its p{lo_q} and p{hi_q}", style="italic"
        )
    )
    tor = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0))
    tor.add_column("input", overflow="fold", min_width=16, max_width=NAME_WIDTH)
    tor.add_column(f"p{lo_q} → p{hi_q}", justify="right", no_wrap=True)
    tor.add_column("P %", justify="right", no_wrap=True)
    tor.add_column("swing", justify="left", no_wrap=True)
    tor.add_column("Δ median", justify="right", no_wrap=True)
    for r in report.inputs:
        # the one-at-a-time runs set both probabilities and both medians of a row together; a
        # row without them (the Sobol-only noise row) has no bar
        swing, median_swing = r.prob_swing, r.median_swing
        if swing is None or median_swing is None or r.prob_low is None or r.prob_high is None:
            continue
        bar = Text(f"{shown[r.name]:+5.1f} ")
        bar.append(
            "█" * (round(6 * abs(shown[r.name]) / scale) if scale > 0 else 0),
            style="green" if swing >= 0 else "red",
        )
        tor.add_row(
            input_name(r.name),
            f"{compact_value(r.low)} → {compact_value(r.high)}",
            f"{100 * r.prob_low:.1f} → {100 * r.prob_high:.1f}",
            bar,
            f"{median_swing / 1000:+,.1f}k",
        )
    out.append(tor)
    out.append(
        Text(
            f"Rank correlation with units in {report.year}"
            + (
                f"; Sobol indices of {report.sobol_response} (n={report.sobol_n})"
                if report.sobol_n
                else ""
            ),
            style="italic",
        )
    )
    var = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0))
    var.add_column("input", overflow="fold", min_width=16, max_width=NAME_WIDTH)
    var.add_column("spearman", justify="right")
    var.add_column("share", justify="right")
    if report.sobol_n:
        var.add_column("S1 ±95%", justify="right", no_wrap=True)
        var.add_column("ST ±95%", justify="right", no_wrap=True)
    for r in report.inputs:
        cells: list[Any] = [
            input_name(r.name),
            "" if r.spearman is None else f"{r.spearman:+.3f}",
            "" if r.variance_share is None else f"{100 * r.variance_share:+.1f}%",
        ]
        if report.sobol_n:
            s = r.sobol
            cells += (
                ["", ""]
                if s is None
                else [f"{s.s1:.3f} ±{s.s1_conf:.3f}", f"{s.st:.3f} ±{s.st_conf:.3f}"]
            )
        var.add_row(*cells)
    out.append(var)
    out.append(
        Text(
            "share: squared rank correlation, normalised and signed (contribution to variance). "
            "S1: share of variance from the input alone; ST: with its interactions; noise: "
            "year-to-year volatility draws.",
            style="dim",
        )
    )
    return out


NAME_WIDTH = 30


class InputName:
    """An input name that wraps after a dot, dash or space at whatever width its column gets,
    so ``event.price-war.impact`` breaks between its parts instead of mid-word (Rich breaks
    only at spaces, and folds a longer word wherever the column ends)."""

    def __init__(self, name: str) -> None:
        from leapforecast.report.safe import safe_text

        self.parts = [p for p in re.split(r"(?<=[. -])", safe_text(name)) if p]

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        longest = max((len(p.rstrip()) for p in self.parts), default=1)
        whole = len("".join(self.parts))
        return Measurement(min(longest, whole), whole).with_maximum(options.max_width)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        width = max(1, options.max_width)
        lines: list[str] = []
        line = ""
        for part in self.parts:
            if line and len(line) + len(part.rstrip()) > width:
                lines.append(line.rstrip())
                line = ""
            line += part
        lines.append(line.rstrip())
        yield Text("\n".join(lines), overflow="fold")


def input_name(name: str) -> InputName:
    return InputName(name)


def _heat(p: float) -> str:
    """Background colour for a probability: red (0) through yellow to green (1)."""
    r = 255 if p < 0.5 else round(255 * 2 * (1 - p))
    g = round(255 * 2 * p) if p < 0.5 else 255
    return f"black on rgb({r},{g},90)"


def sweep_tables(sw: Sweep) -> list[Any]:
    """A table for one key; a heat map (rows: first key, columns: second key) for two."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    label = f"P(≥{short_units(sw.target)} in {sw.year})"
    head = Text.assemble(
        (sw.scenario, "bold"),
        f"  {label}; {sw.paths:,} paths a point, seed {sw.seed}, common random numbers",
    )
    if len(sw.axes) == 1:
        ax = sw.axes[0]
        table = Table(box=box.SIMPLE_HEAD)
        table.add_column(escape(ax.key), justify="right", min_width=min(len(ax.key), 24))
        table.add_column(f"{label} ± Monte Carlo s.e.", justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        table.add_column("median (k)", justify="right", no_wrap=True)
        table.add_column("p10-p90 (k)", justify="right", no_wrap=True)
        for i, v in enumerate(ax.values):
            p = float(sw.prob[i])
            table.add_row(
                compact_value(v),
                f"{100 * p:.1f}% ±{100 * sw.se[i]:.2f}",
                Text("█" * round(10 * p), style="cyan"),
                thousands(sw.p50[i]),
                f"{thousands(sw.p10[i])}-{thousands(sw.p90[i])}",
            )
        return [head, table]
    a0, a1 = sw.axes
    title = Text(f"{label} in %: rows {a0.key}, columns {a1.key}", style="italic")
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column(escape(a0.key), justify="right", overflow="fold", max_width=14)
    for v in a1.values:
        table.add_column(compact_value(v), justify="right", no_wrap=True)
    for i, v0 in enumerate(a0.values):
        cells = [
            Text(f"{100 * sw.prob[i, j]:5.1f}", style=_heat(float(sw.prob[i, j])))
            for j in range(len(a1.values))
        ]
        table.add_row(compact_value(v0), *cells)
    return [head, title, table]


def break_even_tables(be: BreakEven) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    label = f"P(≥{short_units(be.target)} in {be.year})"
    out: list[Any] = [
        Text.assemble(
            (be.scenario, "bold"),
            f"  {label} = {be.level:g} at ",
            (f"{be.key} = {be.value:.6g}", "bold"),
            f" ± {be.se:.2g} (Monte Carlo s.e.; bisection to ±{be.xtol:.2g})\n"
            f"bisection on common random numbers, {be.paths:,} paths, seed {be.seed}:",
        )
    ]
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column(escape(be.key), justify="right")
    table.add_column(label, justify="right")
    for v, p in be.steps:
        table.add_row(f"{v:.6g}", f"{100 * p:.2f}%")
    out.append(table)
    out.append(
        Text(
            f"slope at the break-even: {be.slope:.3g} probability per unit of {be.key}", style="dim"
        )
    )
    return out
