"""Turn results into CSV, JSON or Rich tables. No NumPy maths here, only formatting."""

from __future__ import annotations

from typing import Any

from leapforecast.engine.results import QUANTILES, SimulationResult
from leapforecast.report.formats import to_csv
from leapforecast.report.tables import FoldedTable, pct, thousands
from leapforecast.units import short_units


def result_csv(result: SimulationResult) -> str:
    """The documented CSV contract (see README)."""
    return to_csv(result.columns(), result.rows())


def result_json(result: SimulationResult) -> str:
    """``result.to_json()``: the CSV rows plus run metadata (see ``SimulationResult.document``)."""
    return result.to_json()


def result_tables(result: SimulationResult) -> list[Any]:
    """Rich renderables for a terminal: units, probabilities, first year reached, extras.

    The tables fold into several narrower ones on a narrow terminal (see ``FoldedTable``).
    """
    from rich.text import Text

    out: list[Any] = []
    out.append(
        Text.assemble(
            (f"{result.scenario}", "bold"),
            f"  {result.paths:,} paths, seed {result.seed}, {result.sampling} sampling, "
            f"base {result.base_year} = {result.base_units:,.0f}",
        )
    )
    if result.conditioned_on:
        out.append(
            Text(
                "conditioned on actuals: "
                + ", ".join(f"{m} = {u:,.0f}" for m, u in result.conditioned_on.items())
            )
        )
    years = [str(y) for y in result.years]
    ts = range(len(result.years))
    units_groups = [[("mean", [thousands(result.mean[t]) for t in ts], None)]] + [
        [(f"p{q}", [thousands(v) for v in result.quantiles[i]], "bold" if q == 50 else None)]
        for i, q in enumerate(QUANTILES)
    ]
    out.append(FoldedTable("Units per year (thousands)", "year", years, units_groups))

    pg, se, pr = result.prob_ge, result.se_ge, result.prob_reached
    prob_groups = [
        [
            (
                f"≥{short_units(target)}",
                [f"{pct(pg[k, t])} ±{100 * se[k, t]:.2f}" for t in ts],
                None,
            ),
            ("reached", [pct(pr[k, t]) for t in ts], "dim"),
        ]
        for k, target in enumerate(result.targets)
    ]
    title = "P(units >= target) ± s.e. (points), and P(reached by that year)"
    out.append(FoldedTable(title, "year", years, prob_groups))

    dist = result.first_year_distribution()
    first_groups = [[(str(y), [pct(r[str(y)]) for r in dist.values()], None)] for y in result.years]
    first_groups.append(
        [(f"not by {result.years[-1]}", [pct(r["never"]) for r in dist.values()], None)]
    )
    title = "First year each target is reached (share of paths)"
    out.append(FoldedTable(title, "target", [f"{t:,}" for t in dist], first_groups))

    extras = []
    if result.capacity_bound is not None:
        extras.append(
            "capacity-bound: "
            + ", ".join(
                f"{y} {pct(c / result.paths)}"
                for y, c in zip(result.years, result.capacity_bound, strict=True)
            )
        )
    if result.event_fired:
        extras.append(
            "events fired: "
            + "; ".join(f"{k} {pct(v / result.paths)}" for k, v in result.event_fired.items())
        )
    if result.segments:
        extras.append(
            "segments (median): "
            + "; ".join(
                f"{name} "
                + ", ".join(
                    f"{y} {seg['quantiles'][QUANTILES.index(50), t]:,.0f}"
                    for t, y in enumerate(result.years)
                )
                for name, seg in result.segments.items()
            )
        )
    extras.append(f"scenario sha256 {result.scenario_sha256[:16]}…  leapforecast {result.version}")
    out.append(Text("\n".join(extras), style="dim"))
    return out
