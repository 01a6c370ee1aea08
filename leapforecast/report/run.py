"""Turn results into CSV, JSON or Rich tables. No NumPy maths here, only formatting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leapforecast.analysis.outside import OutsideView, RunWithOutside
from leapforecast.engine.results import QUANTILES, SimulationResult
from leapforecast.report.formats import to_csv
from leapforecast.report.mixture import mixture_tables
from leapforecast.report.tables import BOUND_NOTE, Column, FoldedTable, pct, prob_se, thousands
from leapforecast.units import short_units

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType


def result_csv(result: SimulationResult) -> str:
    """The documented CSV contract (see README)."""
    return to_csv(result.columns(), result.rows())


def result_json(result: SimulationResult) -> str:
    """``result.to_json()``: the CSV rows plus run metadata (see ``SimulationResult.document``)."""
    return result.to_json()


def result_tables(result: SimulationResult) -> list[RenderableType]:
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
    if result.calibration:
        out.append(Text(f"calibrated: {result.calibration}"))
    if result.conditioned_on:
        out.append(
            Text(
                "conditioned on actuals: "
                + ", ".join(f"{m} = {u:,.0f}" for m, u in result.conditioned_on.items())
            )
        )
    years = [str(y) for y in result.years]
    ts = range(len(result.years))
    units_groups: list[list[Column]] = [[("mean", [thousands(result.mean[t]) for t in ts], None)]]
    units_groups += [
        [(f"p{q}", [thousands(v) for v in result.quantiles[i]], "bold" if q == 50 else None)]
        for i, q in enumerate(QUANTILES)
    ]
    out.append(FoldedTable("Units per year (thousands)", "year", years, units_groups))

    pg, se, pr = result.prob_ge, result.se_ge, result.prob_reached
    prob_groups = [
        [
            (
                f"≥{short_units(target)}",
                [prob_se(pg[k, t], se[k, t], result.boundary_bound) for t in ts],
                None,
            ),
            ("reached", [pct(pr[k, t]) for t in ts], "dim"),
        ]
        for k, target in enumerate(result.targets)
    ]
    title = "P(units >= target) ± Monte Carlo s.e. (points); P(reached by then)"
    out.append(FoldedTable(title, "year", years, prob_groups))

    dist = result.first_year_distribution()
    first_groups: list[list[Column]] = [
        [(str(y), [pct(r[str(y)]) for r in dist.values()], None)] for y in result.years
    ]
    first_groups.append(
        [(f"not by {result.years[-1]}", [pct(r["never"]) for r in dist.values()], None)]
    )
    title = "First year each target is reached (share of paths)"
    out.append(FoldedTable(title, "target", [f"{t:,}" for t in dist], first_groups))

    if result.mixture is not None:
        out += mixture_tables(result.mixture, result.years, result.targets, result.prob_ge)

    extras = []
    if ((pg <= 0) | (pg >= 1)).any():
        extras.append(BOUND_NOTE)
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


def outside_tables(view: OutsideView, sharpness: dict[str, dict[int, float]]) -> list[Any]:
    """The outside view as a compact table (reference p5-p50-p95 in thousands, P(>= target),
    then each scenario's sharpness), folding on a narrow terminal."""
    import math

    years = [str(y) for y in view.years]
    ts = range(len(view.years))
    groups: list[list[Column]] = [
        [
            ("ref p5", [thousands(view.p5[t]) for t in ts], None),
            ("p50", [thousands(view.p50[t]) for t in ts], "bold"),
            ("p95", [thousands(view.p95[t]) for t in ts], None),
        ]
    ]
    groups += [
        [(f"≥{short_units(target)}", [pct(view.prob_ge[k, t]) for t in ts], None)]
        for k, target in enumerate(view.targets)
    ]
    for name, ratios in sharpness.items():
        header = name if name.endswith("sharpness") else "sharpness"
        cells = [
            "" if not math.isfinite(r := ratios.get(y, math.nan)) else f"{r:.2f}"
            for y in view.years
        ]
        groups.append([(header, cells, None)])
    title = "Outside view (reference class), thousands"
    return [FoldedTable(title, "year", years, groups)]


def outside_notes(view: OutsideView, warnings: list[str]) -> list[Any]:
    """What the outside view is, the sharpness legend and any narrowness warning, under the
    outside-view table."""
    from rich.text import Text

    out: list[Any] = [
        Text(
            f"Reference: growth slowing with scale, pooled over {view.n_obs} maker-years to "
            f"{view.base_year} ({view.draws:,} draws). Sharpness: the scenario's 90% range "
            "(p5-p95, in logs) over the reference's; 1 = as wide as the record supports.",
            style="dim",
        )
    ]
    out += [Text(line, style="bold") for line in warnings]
    out.append(Text(""))
    return out


def run_outside_tables(shown: RunWithOutside) -> list[Any]:
    """A run's tables with its outside view after the probabilities."""
    tables = result_tables(shown.result)
    extra = outside_tables(shown.outside, {"sharpness": shown.sharpness})
    extra += outside_notes(shown.outside, shown.warnings())
    return tables[:3] + extra + tables[3:]
