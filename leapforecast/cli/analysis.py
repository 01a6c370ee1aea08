"""``compare``, ``sensitivity`` and ``sweep``: which scenario, which assumption, how sure are we."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leapforecast.cli.common import (
    Format,
    FormatOpt,
    OutputOpt,
    SetOpt,
    TargetOpt,
    emit,
    output_format,
    parse_targets,
)
from leapforecast.cli.run import (
    Executor,
    ExecutorOpt,
    HorizonOpt,
    JobsOpt,
    PlotOpt,
    ScenarioArg,
    SchedulerOpt,
    SeedOpt,
    YearOpt,
    progress_bar,
)

if TYPE_CHECKING:  # pragma: no cover - the command bodies import the library lazily
    from collections.abc import Callable
    from typing import TypedDict

    from matplotlib.figure import Figure

    from leapforecast.analysis.compare import Comparison
    from leapforecast.analysis.sensitivity import SensitivityReport
    from leapforecast.model.scenario import Scenario

    class _SweepOptions(TypedDict):
        """The options ``sweep`` passes to both ``analysis.sweep.sweep`` and ``solve``."""

        target: int | None
        year: int | None
        paths: int | None
        seed: int | None
        jobs: int
        progress: Callable[[int, int], None] | None


# A grid point is a small run whose time is mostly Python (the scenario variant, its plan), which
# holds the GIL: threads gave 1.0x on a 20x20 grid, processes 0.65x (whole command, -j 2).
GridExecutorOpt = Annotated[
    Executor,
    typer.Option(
        "--executor",
        help="Where grid points run with --jobs: processes (default: each point is mostly "
        "Python, which threads cannot share), threads, or a Dask cluster; every choice gives "
        "identical output.",
    ),
]


class Response(StrEnum):
    probability = "probability"
    units = "units"


OneTargetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="Target units a year: 1M, 750k, 1_000_000 (default: the scenario's largest). "
        "One target: give it once.",
    ),
]
SensitivityPathsOpt = Annotated[
    int | None,
    typer.Option(
        "--paths",
        "-n",
        min=1,
        envvar="LEAPFORECAST_PATHS",
        help="Paths for each tornado run (default: the scenario's).",
    ),
]
SweepPathsOpt = Annotated[
    int,
    typer.Option(
        "--paths",
        "-n",
        min=1,
        envvar="LEAPFORECAST_PATHS",
        help="Paths for each grid point or bisection step.",
    ),
]


def _one_target(values: list[str] | None) -> int | None:
    """The one target of sensitivity and sweep: repeating ``-t`` is refused, not silently
    reduced to its last value."""
    from leapforecast.errors import UsageError

    if values and len(values) > 1:
        raise UsageError(
            f"--target is given {len(values)} times ({', '.join(values)}); this command "
            "analyses one target: give --target once (run it again for another)"
        )
    targets = parse_targets(values or None)
    return targets[0] if targets else None


def _sources(*scenarios: Scenario) -> list[str]:
    return [f for sc in scenarios for f in sc.input_files]


ProbYearOpt = Annotated[
    int | None,
    typer.Option(
        "--year", "-y", help="Year of the probability (default: the first forecast year)."
    ),
]


def compare(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Two or more scenario files or bundled names; the first is the reference.",
        ),
    ],
    paths: Annotated[
        int | None,
        typer.Option(
            "--paths",
            "-n",
            min=1,
            envvar="LEAPFORECAST_PATHS",
            help="Paths for every scenario (default: the first's).",
        ),
    ] = None,
    seed: SeedOpt = None,
    target: TargetOpt = None,
    horizon: HorizonOpt = None,
    set_: SetOpt = None,
    jobs: JobsOpt = 1,
    executor: ExecutorOpt = Executor.threads,
    scheduler: SchedulerOpt = None,
    plot: PlotOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Compare scenarios side by side on common random numbers, with paired differences.

    CSV is long: scenario,year,metric,value (the run CSV's metrics, plus delta_prob_ge_T and
    se_delta_prob_ge_T against the first scenario).

    Example: leapforecast compare base bull bear --paths 50000 --format csv
    """
    from leapforecast.analysis.compare import compare as run_compare
    from leapforecast.model.scenario import load_scenario

    written = output_format(fmt, output)
    loaded = [load_scenario(s, overrides=set_ or [], horizon=horizon) for s in scenarios]
    with progress_bar("comparing") as progress:
        cmp = run_compare(
            loaded,
            paths=paths,
            seed=seed,
            targets=parse_targets(target),
            jobs=jobs,
            executor=executor.value,
            scheduler=scheduler,
            progress=progress,
        )
    from leapforecast.analysis.outside import comparison_outside

    shown = comparison_outside(cmp, loaded)
    emit(
        shown,
        written,
        output,
        inputs=_sources(*loaded),
        notes=[] if written is Format.table else shown.warnings(),
        plot=plot,
        figure=lambda: _plot_compare(cmp, year),
        sheets=lambda: _compare_sheets(shown),
    )


def _compare_sheets(shown: Any) -> list[Any]:
    """The workbook of a comparison: the long table (every metric and paired difference), then
    one wide sheet per scenario (the ``run`` CSV's columns with its outside view)."""
    from leapforecast.analysis.outside import RunWithOutside

    cmp = shown.comparison
    sheets: list[Any] = [("comparison", shown)]
    for label, res, view in zip(cmp.labels, cmp.results, shown.outside, strict=True):
        sheets.append((label, RunWithOutside(res, view)))
    return sheets


def _plot_compare(cmp: Comparison, year: int | None) -> Figure:
    from leapforecast.report.plots import comparison_figure

    return comparison_figure(cmp, year)


def sensitivity(
    scenario: ScenarioArg = None,
    target: OneTargetOpt = None,
    year: ProbYearOpt = None,
    paths: SensitivityPathsOpt = None,
    seed: SeedOpt = None,
    sobol: Annotated[
        int,
        typer.Option(
            "--sobol",
            min=0,
            help="Sobol base sample (a power of two; costs n x (inputs + 3) "
            "paths); 0 skips the Sobol indices.",
        ),
    ] = 2048,
    response: Annotated[
        Response,
        typer.Option(
            "--response",
            help="What the Sobol indices decompose: the indicator units >= target, "
            "or units in the year.",
        ),
    ] = Response.probability,
    horizon: HorizonOpt = None,
    set_: SetOpt = None,
    jobs: JobsOpt = 1,
    executor: ExecutorOpt = Executor.threads,
    scheduler: SchedulerOpt = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png|svg|pdf",
            dir_okay=False,
            help="Also save the tornado chart (needs matplotlib).",
        ),
    ] = None,
    spider: Annotated[
        Path | None,
        typer.Option(
            "--spider",
            metavar="FILE.png|svg|pdf",
            dir_okay=False,
            help="Also save a spider plot: the probability as each input moves from its p10 "
            "to its p90 (needs matplotlib).",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Rank every uncertain input: tornado swings at p10/p90, rank correlations, Sobol indices.

    CSV: one row per input (input,low,high,prob_low,prob_high,prob_swing,median_low,...,
    sobol_st_conf); blank where a method does not apply.

    Example: leapforecast sensitivity base --target 1M --year 2026 --format csv
    """
    from leapforecast.analysis.sensitivity import mixture_sensitivity
    from leapforecast.analysis.sensitivity import sensitivity as one_sensitivity
    from leapforecast.model.scenario import load_scenario

    written = output_format(fmt, output)
    sc = load_scenario(scenario, overrides=set_ or [], horizon=horizon)
    # a mixture: the tornado of each component
    run_sensitivity: Any = mixture_sensitivity if sc.mixture is not None else one_sensitivity
    if sc.mixture is not None and (plot is not None or spider is not None or written == "plot"):
        from leapforecast.errors import UsageError

        raise UsageError(
            f"{'--spider' if spider is not None else '--plot'} draws one scenario: for a "
            f"mixture, plot each component ({', '.join(sc.mixture.names)}) on its own"
        )
    _check_plot_file(spider, "--spider")
    with progress_bar("tornado") as progress:
        report = run_sensitivity(
            sc,
            target=_one_target(target),
            year=year,
            paths=paths,
            seed=seed,
            sobol=sobol,
            response=response.value,
            jobs=jobs,
            executor=executor.value,
            scheduler=scheduler,
            progress=progress,
        )
    if spider is not None:
        from leapforecast.report.plots import save_figure

        save_figure(_plot_spider(report), spider, inputs=_sources(sc))
    emit(
        report,
        written,
        output,
        inputs=_sources(sc),
        plot=plot,
        figure=lambda: _plot_tornado(report),
        notes=[f"note: {n}" for n in report.notes],
    )


def _check_plot_file(path: Path | None, option: str) -> None:
    """A chart option's file: .png, .svg or .pdf, in a folder that exists; before the work."""
    if path is None:
        return
    from leapforecast.errors import UsageError
    from leapforecast.report.output import check_destination

    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise UsageError(f"{option} {path}: use a .png, .svg or .pdf file")
    check_destination(path, option=option)


def _plot_tornado(report: SensitivityReport) -> Figure:
    from leapforecast.report.plots import tornado_figure

    return tornado_figure(report)


def _plot_spider(report: Any) -> Any:
    from leapforecast.report.plots import spider_figure, spider_lines_from_report

    return spider_figure(
        spider_lines_from_report(report),
        base=report.base_prob,
        target=report.target,
        year=report.year,
        scenario=report.scenario,
    )


def sweep(
    scenario: ScenarioArg = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            "-v",
            metavar="KEY.PATH=START:STOP:STEP",
            help="A key to vary over START:STOP:STEP (stop included) or v1,v2,...; "
            "give one or two.",
        ),
    ] = None,
    target: OneTargetOpt = None,
    year: ProbYearOpt = None,
    solve: Annotated[
        bool,
        typer.Option(
            "--solve",
            help="Find the value of the (one) --vary key at which P(>= target) = "
            "--level, by bisection over START:STOP.",
        ),
    ] = False,
    level: Annotated[
        float,
        typer.Option(
            "--level",
            help="Probability --solve aims for.",
        ),
    ] = 0.5,
    paths: SweepPathsOpt = 20_000,
    seed: SeedOpt = None,
    horizon: HorizonOpt = None,
    set_: SetOpt = None,
    jobs: JobsOpt = 1,
    executor: GridExecutorOpt = Executor.processes,
    scheduler: SchedulerOpt = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png|svg|pdf",
            dir_okay=False,
            help="Also save the chart: the probability against one key, or a heat map of two "
            "with the --level contour (the break-even) (needs matplotlib).",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """P(>= target) over a grid of one or two keys (a heat map for two), or a break-even.

    CSV: KEY[,KEY2],target,year,prob_ge,se_ge,p10,p50,p90 per grid point; with --solve one row
    (key,target,year,level,value,se,...).

    Example: leapforecast sweep base --vary growth.rate=0.3:1.2 --solve --target 1M --year 2026
    """
    from leapforecast.analysis import sweep as sw
    from leapforecast.errors import UsageError
    from leapforecast.model.scenario import load_scenario

    if not vary or len(vary) > 2 or (solve and len(vary) != 1):
        raise UsageError(
            "give --vary KEY.PATH=START:STOP:STEP once or twice (exactly once with --solve)"
        )
    written = output_format(fmt, output)
    if solve and (plot is not None or written == "plot"):
        raise UsageError(
            "--solve finds one value and draws no chart: drop --plot, or sweep a grid "
            "(without --solve) to plot it"
        )
    sc = load_scenario(scenario, overrides=set_ or [], horizon=horizon)
    with progress_bar("sweeping") as progress:
        options: _SweepOptions = dict(
            target=_one_target(target),
            year=year,
            paths=paths,
            seed=seed,
            jobs=jobs,
            progress=progress,
        )
        res = (
            sw.solve(sc, vary[0], level=level, **options)
            if solve
            else sw.sweep(sc, vary, executor=executor.value, scheduler=scheduler, **options)
        )
    emit(
        res,
        written,
        output,
        inputs=_sources(sc),
        plot=plot,
        figure=None if solve else (lambda: _plot_sweep(res, level)),
    )


def _plot_sweep(res: Any, level: float) -> Any:
    from leapforecast.report.plots import sweep_figure

    return sweep_figure(res, level=level)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
    app.command("sensitivity")(sensitivity)
    app.command("sweep")(sweep)
