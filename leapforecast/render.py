"""Turn results into CSV, JSON or Rich tables. No NumPy maths here, only formatting."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .results import QUANTILES, SimulationResult
from .units import short_units


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
        doc["capacity_bound"] = {str(y): float(c / result.paths) for y, c in zip(result.years, result.capacity_bound)}
    if result.segments:
        doc["segments"] = {
            name: [
                {"year": y, "mean": round(float(seg["mean"][t])), **{f"p{q}": round(float(seg["quantiles"][i, t])) for i, q in enumerate(QUANTILES)}}
                for t, y in enumerate(result.years)
            ]
            for name, seg in result.segments.items()
        }
    return json.dumps(doc, indent=2) + "\n"


def thousands(units: float) -> str:
    return f"{units / 1000:,.1f}"


def pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def result_tables(result: SimulationResult) -> list[Any]:
    """Rich renderables for a terminal: units, probabilities, first year reached, extras."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    out.append(
        Text.assemble(
            (f"{result.scenario}", "bold"),
            f"  {result.paths:,} paths, seed {result.seed}, {result.sampling} sampling, "
            f"base {result.base_year} = {result.base_units:,.0f}",
        )
    )
    units = Table(title="Units per year (thousands)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    units.add_column("year", no_wrap=True)
    units.add_column("mean", justify="right", no_wrap=True)
    for q in QUANTILES:
        units.add_column(f"p{q}", justify="right", no_wrap=True, style="bold" if q == 50 else None)
    for t, year in enumerate(result.years):
        units.add_row(str(year), thousands(result.mean[t]), *(thousands(result.quantiles[i, t]) for i in range(len(QUANTILES))))
    out.append(units)

    probs = Table(title="P(units >= target) ± s.e. (points), and P(reached by that year)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    probs.add_column("year", no_wrap=True)
    for target in result.targets:
        probs.add_column(f"≥{short_units(target)}", justify="right", no_wrap=True)
        probs.add_column("reached", justify="right", style="dim", no_wrap=True)
    pg, se, pr = result.prob_ge, result.se_ge, result.prob_reached
    for t, year in enumerate(result.years):
        cells = []
        for k in range(len(result.targets)):
            cells += [f"{pct(pg[k, t])} ±{100 * se[k, t]:.2f}", pct(pr[k, t])]
        probs.add_row(str(year), *cells)
    out.append(probs)

    first = Table(title="First year each target is reached (share of paths)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    first.add_column("target")
    for year in result.years:
        first.add_column(str(year), justify="right")
    first.add_column(f"not by {result.years[-1]}", justify="right")
    for target, row in result.first_year_distribution().items():
        first.add_row(f"{target:,}", *(pct(row[str(y)]) for y in result.years), pct(row["never"]))
    out.append(first)

    extras = []
    if result.capacity_bound is not None:
        extras.append("capacity-bound: " + ", ".join(f"{y} {pct(c / result.paths)}" for y, c in zip(result.years, result.capacity_bound)))
    if result.event_fired:
        extras.append("events fired: " + "; ".join(f"{k} {pct(v / result.paths)}" for k, v in result.event_fired.items()))
    if result.segments:
        extras.append("segments (median): " + "; ".join(
            f"{name} " + ", ".join(f"{y} {seg['quantiles'][QUANTILES.index(50), t]:,.0f}" for t, y in enumerate(result.years))
            for name, seg in result.segments.items()))
    extras.append(f"scenario sha256 {result.scenario_sha256[:16]}…  leapforecast {result.version}")
    out.append(Text("\n".join(extras), style="dim"))
    return out


def history_rows(hist: Any) -> list[dict[str, Any]]:
    """year, units, growth on the previous row (annualised over gaps), source note."""
    rows = []
    previous = None
    for year, units, note in zip(hist.years, hist.units, hist.notes or [""] * len(hist.years)):
        growth = None
        if previous is not None:
            y0, u0 = previous
            growth = round((units / u0) ** (1 / (year - y0)) - 1, 6)
        rows.append({"year": year, "units": round(units), "growth": "" if growth is None else growth, "source": note})
        previous = (year, units)
    return rows


def history_json(hist: Any, rows: list[dict[str, Any]]) -> str:
    doc: dict[str, Any] = {"source": hist.source, "rows": [{**r, "growth": r["growth"] if r["growth"] != "" else None} for r in rows]}
    if len(hist.years) > 1:
        st = hist.stats()
        doc["stats"] = {
            "first_year": st.first_year,
            "last_year": st.last_year,
            "cagr": round(st.cagr, 6),
            "mean_log_growth": round(st.mean_log_growth, 6),
            "sd_log_growth": None if st.sd_log_growth != st.sd_log_growth else round(st.sd_log_growth, 6),
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
        sd = "n/a (one interval)" if st.sd_log_growth != st.sd_log_growth else f"{st.sd_log_growth:.3f}"
        gaps = any(b - a > 1 for a, b in zip(hist.years, hist.years[1:]))
        out.append(Text(
            f"CAGR {st.first_year}-{st.last_year}: {100 * st.cagr:+.1f}% a year   "
            f"mean log growth {st.mean_log_growth:.3f}   sd {sd}   ({st.n_intervals} intervals"
            + ("; growth across gaps is annualised" if gaps else "") + ")"
        ))
    return out
