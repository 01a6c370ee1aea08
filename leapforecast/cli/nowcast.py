"""``leapforecast nowcast``: P(full-year target) from year-to-date monthly actuals; its backtest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from leapforecast.cli.common import Format, FormatOpt, OutputOpt, SetOpt, TargetOpt, parse_targets, render_tables


def nowcast(
    actuals: Annotated[
        Path | None,
        typer.Option(
            "--actuals",
            "-a",
            dir_okay=False,
            help="CSV with columns month,units (YYYY-MM) for the months of the year so far.",
        ),
    ] = None,
    month: Annotated[
        list[str] | None,
        typer.Option(
            "--month",
            "-m",
            metavar="YYYY-MM=UNITS",
            help="One month's deliveries, e.g. 2026-01=32059 (repeatable; adds to --actuals).",
        ),
    ] = None,
    target: TargetOpt = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            "-y",
            min=1900,
            max=2200,
            help="Year to nowcast (default: the actuals' year, else the scenario's first "
            "forecast year; with --backtest the last complete year).",
        ),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            help="Annual scenario used as the prior and for its events (default: the bundled "
            "base; for --backtest a trend prior from the annual history).",
        ),
    ] = None,
    set_: SetOpt = None,
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            help="Monthly history (month,units CSV) that calibrates seasonality and noise "
            "(default: bundled Leapmotor).",
        ),
    ] = None,
    seasonal: Annotated[
        str | None,
        typer.Option(
            "--seasonal",
            metavar="F1,...,F12",
            help="Fix the seasonal profile instead of estimating it: twelve factors or shares, "
            "January first, e.g. 0.75,0.72,1,1,1,1,1,1.05,1.2,1.2,1.2,1.15.",
        ),
    ] = None,
    paths: Annotated[
        int | None,
        typer.Option(
            "--paths",
            "-n",
            min=1,
            help="Monte Carlo paths (default: the scenario's; 20000 for --backtest).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Random seed (default: the scenario's).")
    ] = None,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Nowcast a complete past year from each cut-off (none, Jan, Jan-Feb, ... "
            "Jan-Nov) and score it.",
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Nowcast the full year from year-to-date actuals: P(year >= each target), the year's
    quantiles, each remaining month's quantiles and the monthly deliveries each target still needs.

    Example: leapforecast nowcast --month 2026-01=32059 --target 1M --target 750k
    """
    from leapforecast.errors import UsageError
    from leapforecast.output import write_text

    inputs = [str(p) for p in (actuals,) if p is not None]
    inputs += [p for p in (history, scenario) if p]  # never written over by --output
    profile = _parse_seasonal(seasonal)
    if backtest:
        if actuals is not None or month:
            raise UsageError(
                "--backtest takes its actuals from the monthly history; drop --actuals/--month"
            )
        if target:
            raise UsageError("--backtest scores intervals, not targets; drop --target")
        text = _backtest(year, scenario, set_, history, profile, paths, seed, fmt, output)
    else:
        text = _nowcast(
            actuals, month, target, year, scenario, set_, history, profile, paths, seed, fmt, output
        )
    if text is not None:
        write_text(text, output, inputs=inputs)


def _parse_seasonal(text: str | None) -> list[float] | None:
    if text is None:
        return None
    from leapforecast.errors import UsageError

    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"--seasonal {text}: expected twelve numbers, comma-separated") from None
    if len(values) != 12 or any(not v > 0 for v in values):
        raise UsageError(f"--seasonal {text}: expected twelve positive numbers, January first")
    return values


def _scenario(scenario: str | None, set_: list[str] | None) -> Any:
    from leapforecast.scenario import load_scenario

    return load_scenario(scenario, overrides=set_ or [])


def _nowcast(  # noqa: ANN001 - the command's parsed options, passed on
    actuals, month, target, year, scenario, set_, history, profile, paths, seed, fmt, output
) -> str | None:
    import json

    from leapforecast import render
    from leapforecast.monthly import load_monthly
    from leapforecast.nowcast import nowcast, read_actuals

    given = read_actuals(actuals, month or [])
    result = nowcast(
        given,
        scenario=_scenario(scenario, set_),
        year=year,
        targets=parse_targets(target),
        paths=paths,
        seed=seed,
        monthly=load_monthly(history),
        seasonal=profile,
    )
    if fmt is Format.csv:
        return render.to_csv(result.columns(), result.rows())
    if fmt is Format.json:
        return json.dumps(result.document(), indent=2) + "\n"
    return render_tables(_nowcast_tables(result), output)


def _backtest(  # noqa: ANN001 - the command's parsed options, passed on
    year, scenario, set_, history, profile, paths, seed, fmt, output
) -> str | None:
    import json

    from leapforecast import render
    from leapforecast.monthly import load_monthly
    from leapforecast.nowcast_backtest import backtest

    sc = _scenario(scenario, set_) if scenario or set_ else None
    result = backtest(
        year,
        monthly=load_monthly(history),
        scenario=sc,
        paths=20_000 if paths is None else paths,
        seed=20260101 if seed is None else seed,
        seasonal=profile,
    )
    if fmt is Format.csv:
        return render.to_csv(result.columns(), result.table_rows())
    if fmt is Format.json:
        doc = {
            "year": result.year,
            "actual": round(result.actual),
            "prior": result.prior,
            "paths": result.paths,
            "seed": result.seed,
            "summary": result.summary(),
            "rows": [
                {**r, "in80": bool(r["in80"]), "in90": bool(r["in90"])} for r in result.table_rows()
            ],
        }
        return json.dumps(doc, indent=2) + "\n"
    return render_tables(_backtest_tables(result), output)


def _k(units: float) -> str:
    return f"{units / 1000:,.1f}"


def _nowcast_tables(result: Any) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from leapforecast.monthly import MONTH_NAMES
    from leapforecast.render import pct
    from leapforecast.results import QUANTILES
    from leapforecast.units import short_units

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

    from leapforecast.monthly import MONTH_NAMES

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


def register(app: typer.Typer) -> None:
    app.command("nowcast")(nowcast)
