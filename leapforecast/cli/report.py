"""``leapforecast report``: one self-contained HTML page for people who do not run commands.

It runs each scenario (several are compared on common random numbers), the outside view, a
tornado of the first scenario and each scenario's backtest, and hands them to
``report.html.build_report``. Every byte is a function of the inputs and options except the
date in the footer: ``--date`` (or ``SOURCE_DATE_EPOCH``) fixes it, so the same command gives
the same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from leapforecast.cli.common import (
    Format,
    FormatOpt,
    OutputOpt,
    SetOpt,
    TargetOpt,
    command_line,
    emit,
    output_format,
    parse_targets,
)
from leapforecast.cli.pages import DateOpt, calibration_rows, reference_rows, report_date
from leapforecast.cli.run import HorizonOpt, JobsOpt, PathsOpt, SeedOpt, YearOpt, progress_bar

#: Paths of each tornado run in the report: enough to rank the inputs, quick enough for a page.
TORNADO_PATHS = 4_000
#: Draws of each backtest forecast in the report's calibration table.
CALIBRATION_DRAWS = 500
#: Years ahead the report's calibration table scores.
CALIBRATION_AHEAD = (1, 2)


def report(
    scenarios: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SCENARIO]...",
            help="Scenario files or bundled names (default: the default scenario); several are "
            "compared, the first being the reference.",
            show_default=False,
        ),
    ] = None,
    paths: PathsOpt = None,
    seed: SeedOpt = None,
    target: TargetOpt = None,
    horizon: HorizonOpt = None,
    set_: SetOpt = None,
    year: YearOpt = None,
    tornado_paths: Annotated[
        int,
        typer.Option(
            "--tornado-paths",
            min=100,
            help="Paths of each tornado run (0 inputs swung at a time: a quick ranking).",
        ),
    ] = TORNADO_PATHS,
    draws: Annotated[
        int,
        typer.Option(
            "--draws",
            min=100,
            max=1_000_000,
            help="Sample size of each backtest forecast in the calibration table.",
        ),
    ] = CALIBRATION_DRAWS,
    jobs: JobsOpt = 1,
    date: DateOpt = None,
    fmt: FormatOpt = Format.html,
    output: OutputOpt = None,
) -> None:
    """One self-contained HTML page (inline CSS and SVG charts; opens offline): P(>= each
    target) with the outside view beside it, fan chart with the sales history, exceedance
    curve, histogram, tornado of the first scenario, the scenarios compared, each scenario's
    calibration (backtest at 1 and 2 years ahead), the assumptions with their comments, the
    resolved scenario, and seed, version, scenario hash and date.

    With --format xlsx (or -o FILE.xlsx) the same tables go to an Excel workbook instead.

    Example: leapforecast report -o report.html
    Example: leapforecast report base bull bear -o compare.html --date 2026-01-31
    """
    from leapforecast.errors import UsageError

    written = output_format(fmt, output)
    if written not in (Format.html, Format.xlsx):
        raise UsageError(
            "report writes an HTML page (or an Excel workbook), not "
            f"{getattr(written, 'value', written)}: use --output FILE.html or FILE.xlsx"
        )
    if output is None or str(output) == "-":
        raise UsageError("report writes a file: give --output FILE.html")
    from leapforecast.model.scenario import load_scenario
    from leapforecast.report.output import check_destination

    check_destination(output)
    day = report_date(date)
    names = list(scenarios or [None])  # type: ignore[list-item]
    loaded = [
        load_scenario(s, overrides=set_ or [], horizon=horizon, targets=parse_targets(target))
        for s in names
    ]
    inputs = [f for sc in loaded for f in sc.input_files]
    with progress_bar("report") as progress:
        if len(loaded) == 1:
            from leapforecast.analysis.outside import run_outside
            from leapforecast.engine.run import run_scenario

            result, _ = run_scenario(
                loaded[0], paths=paths, seed=seed, jobs=jobs, year=year, progress=progress
            )
            shown: Any = run_outside(result, loaded[0])
            results = [result]
            comparison = None
        else:
            from leapforecast.analysis.compare import compare
            from leapforecast.analysis.outside import comparison_outside

            comparison = compare(
                loaded,
                paths=paths,
                seed=seed,
                targets=parse_targets(target),
                jobs=jobs,
                progress=progress,
            )
            shown = comparison_outside(comparison, loaded)
            results = list(comparison.results)
    tornado = _tornado(loaded[0], year=year, paths=tornado_paths, seed=seed, jobs=jobs)
    calibration = _calibration(names, loaded, draws=draws, seed=seed)
    refs = reference_rows(shown)

    def page() -> str:
        from leapforecast.report.html import build_report

        return build_report(
            results,
            scenarios=loaded,
            comparison=comparison,
            sensitivity=tornado,
            calibration_rows=calibration,
            reference_rows=refs,
            year=year,
            date=day,
            command=command_line(),
        )

    def sheets() -> list[Any]:
        tables: list[Any] = [("forecast", shown)]
        if tornado is not None:
            tables.append(("tornado", tornado))
        if calibration:
            tables.append(("calibration", list(calibration[0]), calibration))
        return tables

    emit(
        shown,
        written,
        output,
        inputs=inputs,
        html=page,
        sheets=sheets,
        notes=[*shown.warnings(), f"wrote {output}"],
    )


def _tornado(scenario: Any, *, year: int | None, paths: int, seed: int | None, jobs: int) -> Any:
    """The tornado of ``scenario`` (of a mixture: of its first component, said in a note),
    without Sobol indices (the page shows the tornado; ``sensitivity`` has the rest)."""
    from leapforecast.analysis.sensitivity import sensitivity

    part, note = scenario, None
    if scenario.mixture is not None:
        first = scenario.mixture.components[0]
        part = first.scenario
        note = (
            f"{scenario.name} is a mixture: this is the tornado of its first component, "
            f"{scenario.mixture.names[0]}"
        )
    with progress_bar("tornado") as progress:
        out = sensitivity(
            part, year=year, paths=paths, seed=seed, sobol=0, jobs=jobs, progress=progress
        )
    if note is not None:
        out.notes.insert(0, note)
    return out


def _calibration(
    names: list[str | None], loaded: list[Any], *, draws: int, seed: int | None
) -> list[dict[str, Any]]:
    """Each scenario's backtest at 1 and 2 years ahead (rebased onto every maker at every
    origin, as ``leapforecast backtest`` does), with the outside view scored beside them."""
    from leapforecast.analysis import backtest as lib

    methods = {
        f"scenario:{n if n is not None else 'default'}": sc
        for n, sc in zip(names, loaded, strict=True)
    }
    kwargs: dict[str, Any] = {} if seed is None else {"seed": seed}
    result = lib.backtest(
        methods=(*methods, "reference"),
        horizons=CALIBRATION_AHEAD,
        scenarios=methods,
        draws=draws,
        **kwargs,
    )
    return calibration_rows(result, {m: sc.name for m, sc in methods.items()})


def register(app: typer.Typer) -> None:
    app.command("report")(report)


__all__ = ["report", "Path"]
