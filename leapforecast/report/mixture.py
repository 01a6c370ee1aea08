"""The small extra table of a mixture run: each component's weight and P(>= target)."""

from __future__ import annotations

from typing import Any

from leapforecast.engine.results import MixtureInfo
from leapforecast.report.tables import pct, report_table
from leapforecast.units import short_units


def mixture_tables(
    info: MixtureInfo, years: list[int], targets: list[int], mixed: Any = None
) -> list[Any]:
    """One row per component (weight, paths drawn from it, P(>= target) in each year), and the
    mixture's own row when ``mixed`` (its (K, T) P(>= target)) is given, so a reader can check
    that the mixture is the weighted blend of its components. With posterior weights the
    weight column reads ``prior -> posterior``."""
    from rich.text import Text

    title = "Mixture components: weight and P(>= target)"
    if info.updated:
        title = "Mixture components: prior → posterior weight, and P(>= target)"
    table = report_table(title)
    table.add_column("component", no_wrap=True, overflow="fold")
    table.add_column("weight", justify="right", no_wrap=True)
    table.add_column("paths", justify="right")
    table.add_column("year")
    for target in targets:
        table.add_column(f"≥{short_units(target)}", justify="right", no_wrap=True)
    for c in info.components:
        res = c.result
        weight = f"{c.weight:.3f}"
        if c.prior_weight is not None:
            weight = f"{c.prior_weight:.3f} → {c.weight:.3f}"
        for t, year in enumerate(years):
            cells = [
                pct(res.prob_ge[res.targets.index(k), res.years.index(year)])
                if k in res.targets and year in res.years
                else "-"
                for k in targets
            ]
            first: list[Any] = [Text(c.name), weight, f"{c.paths:,}"] if t == 0 else ["", "", ""]
            table.add_row(*first, str(year), *cells, end_section=t == len(years) - 1)
    if mixed is not None:
        total = sum(c.paths for c in info.components)
        for t, year in enumerate(years):
            head: list[Any] = ["", "", ""]
            if t == 0:
                head = [Text("mixture", style="bold"), "1.000", f"{total:,}"]
            table.add_row(*head, str(year), *(pct(mixed[k, t]) for k in range(len(targets))))
    out: list[Any] = [table]
    notes = [n for n in (info.note, info.evidence) if n]
    if notes:
        out.append(Text("\n".join(notes), style="dim"))
    return out
