"""Forecast validity: ``fit`` (growth from a history), ``peers`` (the reference class) and
``backtest`` (rolling-origin scores against real outcomes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leapforecast.cli.common import Format, FormatOpt, OutputOpt, SetOpt, emit


def _warn(lines: tuple[str, ...] | list[str]) -> None:
    from leapforecast.cli.errors import note

    for line in lines:
        note(f"warning: {line}")


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
        raise UsageError(f"--ahead {text!r}: expected years ahead such as 1,2") from None
    if not values or any(v < 1 or v > 10 for v in values):
        raise UsageError(f"--ahead {text!r}: expected whole years between 1 and 10, such as 1,2")
    return values


def backtest(
    scenario_args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SCENARIO]...",
            help="Scenario files or bundled names to score (same as -m scenario:NAME).",
            show_default=False,
        ),
    ] = None,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            "-m",
            metavar="METHOD",
            help="Method to score (repeatable): history, fitted, peers, rw, no-change, "
            "last-growth, reference, scenario:NAME (bundled name, file, or default). "
            "Default: all of them and every bundled scenario.",
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", hidden=True, help="Deprecated: give scenarios positionally."),
    ] = None,
    ahead: Annotated[
        str,
        typer.Option(
            "--ahead",
            metavar="H[,H...]",
            help="Years ahead to score, comma-separated (--horizon elsewhere is a year).",
        ),
    ] = "1,2,3",
    horizon: Annotated[
        str | None,
        typer.Option("--horizon", hidden=True, help="Deprecated spelling of --ahead."),
    ] = None,
    series: Annotated[
        list[str] | None,
        typer.Option(
            "--series",
            metavar="NAME",
            help="Forecast only this maker, e.g. Leapmotor (repeatable; the rest still serve "
            "as peers and in the reference pool).",
        ),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", min=100, max=1_000_000, help="Sample size of each forecast.")
    ] = 2000,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            min=0,
            envvar="LEAPFORECAST_SEED",
            help="Random seed; same seed, same numbers.",
        ),
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
            help="Show every scored forecast (CSV: one row per case, with its PIT).",
        ),
    ] = False,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            metavar="FILE",
            help="Also draw PIT histograms and a reliability diagram per method (PNG; "
            "needs matplotlib).",
        ),
    ] = None,
    set_: SetOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Calibration report: every method scored on the same rolling-origin cases of every
    maker (Leapmotor and the peers): coverage of the 50/80/90% intervals with a Wilson
    interval, PIT uniformity, CRPS and interval score in log units, bias and skill against a
    random walk with drift (rw). Scenarios are rebased onto each maker at each origin.

    Example: leapforecast backtest base --ahead 1,2 -m rw -m reference --format csv
    """
    from leapforecast.analysis import backtest as lib
    from leapforecast.cli.common import deprecated, output_format
    from leapforecast.errors import UsageError
    from leapforecast.report.backtest import plot_calibration, result_tables

    output_format(fmt, output)  # a bad --format/--output costs no backtest
    if scenario:
        deprecated("backtest --scenario NAME", "backtest NAME (scenarios are positional)")
    if horizon is not None:  # --horizon is a calendar year in every other command
        deprecated("backtest --horizon", "--ahead (years ahead)")
        ahead = horizon
    methods = list(method) if method else []
    methods += [f"scenario:{s}" for s in [*(scenario_args or []), *(scenario or [])]]
    if not methods:
        methods = list(lib.default_methods())
    try:
        scenarios = lib.load_method_scenarios(methods, overrides=set_ or [])
    except UsageError as exc:
        raise UsageError(f"--method: {exc}") from None
    result = lib.backtest(
        lib.default_universe(history, peers_file),
        methods=tuple(methods),
        horizons=_horizons(ahead),
        scenarios=scenarios,
        series=tuple(series) if series else None,
        draws=draws,
        seed=seed,
        window=window,
    )
    if plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'leapforecast[plot]'") from None
        from leapforecast.cli.errors import note

        note(f"wrote {plot_calibration(result, plot)}")
    inputs = [s.label for sc in scenarios.values() for s in sc.sources]
    inputs += [f for f in (history, peers_file, plot) if f]
    # the table shows the summary (and every case with --cases); CSV/JSON carry one of the two
    emit(
        result.case_table() if cases else result,
        fmt,
        output,
        inputs=inputs,
        tables=lambda: result_tables(result, cases=cases),
        sheets=lambda: [("summary", result), ("cases", result.case_table())],
    )


def calibrate(
    scenario: Annotated[
        str | None,
        typer.Argument(
            metavar="[SCENARIO]",
            help="Scenario file or bundled name (default: what 'run' uses).",
            show_default=False,
        ),
    ] = None,
    ahead: Annotated[
        str,
        typer.Option("--ahead", metavar="H[,H...]", help="Years ahead to fit, comma-separated."),
    ] = "1,2,3",
    series: Annotated[
        list[str] | None,
        typer.Option(
            "--series", metavar="NAME", help="Fit on this maker's cases only (repeatable)."
        ),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", min=100, max=1_000_000, help="Sample size of each forecast.")
    ] = 2000,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            min=0,
            envvar="LEAPFORECAST_SEED",
            help="Random seed; same seed, same numbers.",
        ),
    ] = 20260101,
    toml: Annotated[
        bool, typer.Option("--toml", help="Print only the [calibration] block to paste.")
    ] = False,
    set_: SetOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Fit the spread a scenario needs for nominal intervals: the factor k on log deviations
    from each year's median, per years ahead, from its rolling-origin backtest cases (rebased
    onto every maker), with a bootstrap interval over target years and a [calibration] block
    that 'run --calibrated' applies.

    Example: leapforecast calibrate base --ahead 1,2 --toml >> my-base.toml
    """
    from leapforecast.analysis.calibrate import calibrate as fit
    from leapforecast.model.scenario import load_scenario

    sc = load_scenario(scenario, overrides=set_ or [])
    cal = fit(
        sc,
        horizons=_horizons(ahead),
        draws=draws,
        seed=seed,
        series=tuple(series) if series else None,
    )
    inputs: list[str | Path] = [s.label for s in sc.sources]
    if toml:
        from leapforecast.report.output import write_text

        write_text(cal.toml(), output, inputs=inputs)
        return
    trailer = "Paste into the scenario:\n" + cal.toml()
    emit(cal, fmt, output, inputs=inputs, trailer=trailer if fmt is Format.table else None)


def register(app: typer.Typer) -> None:
    app.command("fit")(fit)
    app.command("peers")(peers)
    app.command("backtest")(backtest)
    app.command("calibrate")(calibrate)
