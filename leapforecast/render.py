"""Turn results into CSV, JSON or Rich tables. No NumPy maths here, only formatting."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from leapforecast.results import QUANTILES, SimulationResult
from leapforecast.units import short_units


def fmt_number(value: Any) -> str:
    """Plain CSV number: integers as digits, probabilities with up to 6 decimals."""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def to_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([fmt_number(row[c]) for c in columns])
    return buf.getvalue()


def result_csv(result: SimulationResult) -> str:
    """The documented CSV contract (see README)."""
    return to_csv(result.columns(), result.rows())


def result_json(result: SimulationResult) -> str:
    """The CSV rows plus run metadata, the first-year distribution, events and capacity."""
    doc: dict[str, Any] = {
        "metadata": result.metadata(),
        "rows": result.rows(),
        "first_year_reached": {str(k): v for k, v in result.first_year_distribution().items()},
        "events_fired": {k: v / result.paths for k, v in result.event_fired.items()},
    }
    if result.capacity_bound is not None:
        doc["capacity_bound"] = {
            str(y): float(c / result.paths)
            for y, c in zip(result.years, result.capacity_bound, strict=True)
        }
    if result.segments:
        doc["segments"] = {
            name: [
                {
                    "year": y,
                    "mean": round(float(seg["mean"][t])),
                    **{
                        f"p{q}": round(float(seg["quantiles"][i, t]))
                        for i, q in enumerate(QUANTILES)
                    },
                }
                for t, y in enumerate(result.years)
            ]
            for name, seg in result.segments.items()
        }
    return json.dumps(doc, indent=2) + "\n"


def report_table(title: Any = None) -> Any:
    """The house table style: left-aligned title, a rule under the header, no outer padding."""
    from rich import box
    from rich.table import Table

    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )


def thousands(units: float) -> str:
    return f"{units / 1000:,.1f}"


def pct(p: float) -> str:
    return f"{100 * p:.1f}%"


Column = tuple[str, list[str], str | None]  # header, cells, style


class FoldedTable:
    """A Rich table that folds on a narrow terminal instead of cutting numbers into '…'.

    Columns come in groups that stay together (a target's probability and its 'reached'); when
    the terminal is too narrow for all of them, the groups are stacked in several tables, each
    repeating the key column. When everything fits it is exactly one ordinary table.
    """

    def __init__(self, title: str, key: str, keys: list[str], groups: list[list[Column]]) -> None:
        self.title, self.key, self.keys, self.groups = title, key, keys, groups

    def table(self, groups: list[list[Column]], title: str | None) -> Any:
        table = report_table(title)
        table.add_column(self.key, no_wrap=True)
        for group in groups:
            for header, _, style in group:
                table.add_column(header, justify="right", no_wrap=True, style=style)
        for r, key in enumerate(self.keys):
            table.add_row(key, *(cells[r] for group in groups for _, cells, _ in group))
        return table

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        natural = options.update_width(1_000_000)

        def fits(groups: list[Any]) -> bool:
            width = Measurement.get(console, natural, self.table(groups, None)).maximum
            return width <= options.max_width

        packs: list[list[Any]] = [[]]
        for group in self.groups:
            if packs[-1] and not fits(packs[-1] + [group]):
                packs.append([])
            packs[-1].append(group)
        if len(packs) > 1:  # as many tables, but evenly filled when that fits too
            size = -(-len(self.groups) // len(packs))
            even = [self.groups[i : i + size] for i in range(0, len(self.groups), size)]
            if len(even) == len(packs) and all(fits(pack) for pack in even):
                packs = even
        for i, pack in enumerate(packs):
            yield self.table(pack, self.title if i == 0 else None)


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
