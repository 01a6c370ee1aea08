"""``compare``, ``sensitivity`` and ``sweep``: which scenario, which assumption, how sure are we."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from leapforecast.cli.common import (
    Format,
    FormatOpt,
    OutputOpt,
    SetOpt,
    TargetOpt,
    emit,
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


def _sources(*scenarios) -> list[str]:  # noqa: ANN002 - Scenario objects
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
        fmt,
        output,
        inputs=_sources(*loaded),
        notes=[] if fmt is Format.table else shown.warnings(),
        plot=plot,
        figure=lambda: _plot_compare(cmp, year),
    )


def _plot_compare(cmp, year):  # noqa: ANN001, ANN202
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
    plot: PlotOpt = None,
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

    sc = load_scenario(scenario, overrides=set_ or [], horizon=horizon)
    # a mixture: the tornado of each component
    run_sensitivity: Any = mixture_sensitivity if sc.mixture is not None else one_sensitivity
    if sc.mixture is not None and plot is not None:
        from leapforecast.errors import UsageError

        raise UsageError(
            "--plot draws one tornado: for a mixture, plot each component "
            f"({', '.join(sc.mixture.names)}) on its own"
        )
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
    emit(
        report,
        fmt,
        output,
        inputs=_sources(sc),
        plot=plot,
        figure=lambda: _plot_tornado(report),
        notes=[f"note: {n}" for n in report.notes],
    )


def _plot_tornado(report):  # noqa: ANN001, ANN202
    from leapforecast.report.plots import tornado_figure

    return tornado_figure(report)


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
    sc = load_scenario(scenario, overrides=set_ or [], horizon=horizon)
    with progress_bar("sweeping") as progress:
        options = dict(
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
    emit(res, fmt, output, inputs=_sources(sc))


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
    app.command("sensitivity")(sensitivity)
    app.command("sweep")(sweep)
