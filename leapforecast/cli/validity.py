"""Forecast validity: ``fit`` (growth from a history), ``peers`` (the reference class) and
``backtest`` (rolling-origin scores against real outcomes)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from leapforecast.cli.common import Format, FormatOpt, OutputOpt, SetOpt, emit, render_tables


class Method(str, Enum):  # noqa: UP042 - the same style as common.Format
    history = "history"
    fitted = "fitted"
    peers = "peers"
    scenario = "scenario"


def _warn(lines: tuple[str, ...] | list[str]) -> None:
    from leapforecast.cli.errors import err

    for line in lines:
        err(f"warning: {line}")


def fit(
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            metavar="CSV",
            help="CSV with columns year,units (default: bundled Leapmotor).",
        ),
    ] = None,
    level: Annotated[
        float, typer.Option("--level", min=0.5, max=0.99, help="Confidence level of the intervals.")
    ] = 0.90,
    toml: Annotated[
        bool, typer.Option("--toml", help="Print only the TOML block to paste into a scenario.")
    ] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Fit growth to a history: log-growth mean and sd with small-sample intervals, logistic
    and Bass curves with parameter intervals, and a ready-to-paste [growth] block.

    Warnings (few points, a market size the data cannot identify) go to stderr.

    Example: leapforecast fit --file my_maker.csv --toml > growth.toml
    """
    from leapforecast.analysis.fit import fit_history
    from leapforecast.data.history import load_history

    report = fit_history(load_history(file), level=level)
    _warn(report.warnings)
    inputs: list[str | Path] = [file] if file else []
    if toml:
        from leapforecast.report.output import write_text

        write_text(report.toml, output, inputs=inputs)
        return
    trailer = "Paste into a scenario:\n" + report.toml
    emit(report, fmt, output, inputs=inputs, trailer=trailer if fmt is Format.table else None)


def peers(
    min_units: Annotated[
        str,
        typer.Option(
            "--min-units",
            metavar="UNITS",
            help="Scale threshold: growth counts from the year a maker first sold this many "
            "(300k, 1M).",
        ),
    ] = "300k",
    max_units: Annotated[
        str | None,
        typer.Option(
            "--max-units", metavar="UNITS", help="Optional upper end of the scale window."
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            metavar="CSV",
            help="CSV with columns maker,year,units[,quality,source] (default: bundled peers).",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Show how EV makers grew once they passed a scale: the reference class that
    'bootstrap' with source = "peers" and min_units resamples.

    Example: leapforecast peers --min-units 300k --format csv
    """
    from leapforecast.data.peers import peer_report
    from leapforecast.errors import UsageError
    from leapforecast.units import parse_units

    try:
        lo = float(parse_units(min_units))
        hi = float(parse_units(max_units)) if max_units is not None else None
    except UsageError as exc:
        raise UsageError(f"--min-units/--max-units: {exc}") from None
    report = peer_report(file, min_units=lo, max_units=hi)
    emit(report, fmt, output, inputs=[file] if file else [])


def _horizons(text: str) -> tuple[int, ...]:
    from leapforecast.errors import UsageError

    try:
        values = tuple(int(p) for p in text.replace(" ", "").split(",") if p)
    except ValueError:
        raise UsageError(f"--horizon {text!r}: expected years ahead such as 1,2") from None
    if not values or any(v < 1 or v > 10 for v in values):
        raise UsageError(f"--horizon {text!r}: expected whole years between 1 and 10, such as 1,2")
    return values


def backtest(
    method: Annotated[
        list[Method] | None,
        typer.Option(
            "--method",
            "-m",
            metavar="[history|fitted|peers|scenario]",
            help="Method to score (repeatable; default history, fitted, peers, plus scenario "
            "with --scenario).",
        ),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="Scenario file (or bundled name) to backtest as a method on its own history.",
        ),
    ] = None,
    horizon: Annotated[
        str, typer.Option("--horizon", metavar="H[,H...]", help="Years ahead, comma-separated.")
    ] = "1,2",
    series: Annotated[
        list[str] | None,
        typer.Option(
            "--series",
            metavar="NAME",
            help="Forecast only this series, e.g. Leapmotor (repeatable; the rest still serve "
            "as peers).",
        ),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", min=100, max=1_000_000, help="Sample size of each forecast.")
    ] = 4000,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed; same seed, same numbers.")
    ] = 20260101,
    window: Annotated[
        float,
        typer.Option(
            "--window",
            min=1.01,
            help="Peer scale window: peers' years that started within this factor of the "
            "series' level.",
        ),
    ] = 2.0,
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            metavar="CSV",
            help="Subject series year,units (default: bundled Leapmotor), e.g. newer outcomes.",
        ),
    ] = None,
    peers_file: Annotated[
        str | None,
        typer.Option(
            "--peers",
            metavar="CSV",
            help="Reference class maker,year,units[,quality,source] (default: bundled peers).",
        ),
    ] = None,
    cases: Annotated[
        bool,
        typer.Option(
            "--cases",
            help="Show every scored forecast (CSV: one row per case instead of the summary).",
        ),
    ] = False,
    set_: SetOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Rolling-origin backtest over Leapmotor and the peer makers: interval coverage, CRPS and
    pinball loss of each method against naive baselines (no change; last growth repeated).

    The scenario method forecasts only the subject series (Leapmotor or --history).

    Example: leapforecast backtest --horizon 1,2 --scenario scenarios/base.toml --format csv
    """
    import json

    from leapforecast.analysis import backtest as lib
    from leapforecast.report import run as render
    from leapforecast.report.output import write_text
    from leapforecast.report.validity import result_tables

    methods = [m.value for m in method] if method else ["history", "fitted", "peers"]
    sc = None
    if scenario is not None:
        from leapforecast.model.scenario import load_scenario

        sc = load_scenario(scenario, overrides=set_ or [])
        if "scenario" not in methods:
            methods.append("scenario")
    universe = lib.default_universe(history, peers_file)
    result = lib.backtest(
        universe,
        methods=tuple(methods),
        horizons=_horizons(horizon),
        scenario=sc,
        series=tuple(series) if series else None,
        draws=draws,
        seed=seed,
        window=window,
    )
    if fmt is Format.table:
        text = render_tables(result_tables(result, cases=cases), output)
    elif fmt is Format.csv:
        text = (
            render.to_csv(lib.CASE_COLUMNS, result.case_rows())
            if cases
            else render.to_csv(lib.SUMMARY_COLUMNS, result.rows())
        )
    else:

        def nulls(rows: list[dict]) -> list[dict]:
            return [{k: (None if v == "" else v) for k, v in r.items()} for r in rows]

        doc = {
            "metadata": result.metadata(),
            "summary": nulls(result.rows()),
            "cases": nulls(result.case_rows()),
        }
        text = json.dumps(doc, indent=2) + "\n"
    inputs = [s.label for s in sc.sources] if sc is not None else []
    inputs += [f for f in (history, peers_file) if f]
    if text is not None:
        write_text(text, output, inputs=inputs)


def register(app: typer.Typer) -> None:
    app.command("fit")(fit)
    app.command("peers")(peers)
    app.command("backtest")(backtest)
