"""``leapforecast run``: simulate a scenario and print the forecast (with charts and plots)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from leapforecast.cli.common import (
    Format,
    FormatOpt,
    OutputOpt,
    SetOpt,
    TargetOpt,
    emit,
    make_console,
    no_color,
    parse_targets,
)
from leapforecast.cli.errors import flags
from leapforecast.errors import UsageError

YearOpt = Annotated[
    int | None,
    typer.Option(
        "--year",
        "-y",
        help="Year for the histogram and the exceedance curve (default: the first forecast year).",
    ),
]
PlotOpt = Annotated[
    Path | None,
    typer.Option(
        "--plot",
        metavar="FILE.png|svg|pdf",
        dir_okay=False,
        help="Also save a plot (needs matplotlib: pip install 'leapforecast[plot]').",
    ),
]
ChartOpt = Annotated[
    bool,
    typer.Option(
        "--chart",
        help="Add a fan chart and a histogram drawn in the terminal.",
    ),
]
ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Scenario TOML file, or a bundled name (see 'leapforecast scenarios'). "
        "Default: the bundled base.",
    ),
]
PathsOpt = Annotated[
    int | None,
    typer.Option(
        "--paths",
        "-n",
        min=1,
        help="Monte Carlo paths (default: the scenario's).",
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        min=0,
        help="Random seed (default: the scenario's).",
    ),
]
HorizonOpt = Annotated[
    int | None,
    typer.Option(
        "--horizon",
        help="Last forecast year, e.g. 2030.",
    ),
]
JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Worker threads; the output is identical for any number.",
    ),
]
PrecisionOpt = Annotated[
    float | None,
    typer.Option(
        "--precision",
        help="Add paths until the standard error of every headline probability is at most this, "
        "e.g. 0.005 (chooses the paths instead of --paths).",
    ),
]


class Executor(str, Enum):
    threads = "threads"
    processes = "processes"
    dask = "dask"


ExecutorOpt = Annotated[
    Executor,
    typer.Option(
        "--executor",
        help="Where chunks run: threads, processes, or a Dask cluster "
        "(pip install 'leapforecast[dask]'); every choice gives identical output.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://10.0.0.5:8786 "
        "(default: a local cluster of --jobs workers).",
    ),
]
ActualsOpt = Annotated[
    Path | None,
    typer.Option(
        "--actuals",
        dir_okay=False,
        help="Year-to-date monthly actuals (month,units CSV) for the first forecast year: "
        "that year is conditioned on them.",
    ),
]
MonthOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--month",
        metavar="YYYY-MM=UNITS",
        help="One month's actual deliveries, e.g. 2026-01=32059 (repeatable; adds to --actuals).",
    ),
]
MaxPathsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-paths",
        min=1,
        help="Path cap for --precision (default 5,000,000).",
    ),
]


@contextmanager
def progress_bar(
    description: str,
    *,
    delay: float = 1.0,
    stream: Any = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback that draws a bar on stderr once the work has taken
    ``delay`` seconds, and only when stderr is a terminal that may take cursor controls (None
    otherwise: a pipe, a file, ``NO_COLOR`` or ``TERM=dumb`` get no cursor-control codes)."""
    import os

    stream = sys.stderr if stream is None else stream
    if (
        not getattr(stream, "isatty", lambda: False)()
        or no_color()
        or os.environ.get("TERM") == "dumb"
    ):
        yield None
        return
    start, state = clock(), {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if clock() - start < delay or done >= total:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(
                TextColumn(description),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
                console=make_console(file=stream),
                transient=True,
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(description, total=total)
        state["bar"].update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()


def run(
    scenario: ScenarioArg = None,
    paths: PathsOpt = None,
    seed: SeedOpt = None,
    target: TargetOpt = None,
    horizon: HorizonOpt = None,
    set_: SetOpt = None,
    jobs: JobsOpt = 1,
    executor: ExecutorOpt = Executor.threads,
    scheduler: SchedulerOpt = None,
    actuals: ActualsOpt = None,
    month: MonthOpt = None,
    precision: PrecisionOpt = None,
    max_paths: MaxPathsOpt = None,
    chart: ChartOpt = False,
    plot: PlotOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Run a scenario and show yearly quantiles and the probability of each target.

    Example: leapforecast run scenarios/base.toml --paths 200000 --target 1M --format csv
    Example: leapforecast run --month 2026-01=32059 --month 2026-02=28000 --target 1M
    """
    from leapforecast.engine.run import run_scenario
    from leapforecast.model.scenario import load_scenario

    if chart and fmt is not Format.table and output is None:  # before the simulation, not after
        raise UsageError(
            "--chart draws on the terminal: use it with --format table, or send "
            "the CSV/JSON to a file with --output"
        )

    sc = load_scenario(
        scenario, overrides=set_ or [], horizon=horizon, targets=parse_targets(target)
    )
    check_outputs(output, plot)
    condition = None
    if actuals is not None or month:
        from leapforecast.analysis.nowcast import read_actuals, year_to_date

        condition = year_to_date(read_actuals(actuals, month or []), scenario=sc, seed=seed)
    with progress_bar("simulating") as progress:
        result, notes = run_scenario(
            sc,
            paths=paths,
            seed=seed,
            jobs=jobs,
            precision=precision,
            max_paths=max_paths,
            year=year,
            progress=progress,
            executor=executor.value,
            scheduler=scheduler,
            condition=condition,
        )
    if precision is None and not (executor is Executor.dask and scheduler):
        from leapforecast.engine.executors import jobs_note
        from leapforecast.engine.kernel import chunk_sizes

        capped = jobs_note(jobs, len(chunk_sizes(result.paths)))
        notes = [*notes, capped] if capped else notes
    emit(
        result,
        fmt,
        output,
        inputs=sc.input_files,
        notes=[flags(note) for note in notes],
        plot=plot,
        extra_tables=render_charts(result, year) if chart else None,
        figure=lambda: plot_run(result, year),
    )


def check_outputs(output: Path | None, plot: Path | None = None) -> None:
    """Refuse a bad ``--output``/``--plot`` before the work, not after it (the inputs read so
    far are known; ``write_outputs`` checks again once every input has been read)."""
    from leapforecast.report.output import check_destination

    check_destination(output)
    if plot is not None:
        check_destination(plot, option="--plot")


def render_charts(result: Any, year: int | None) -> list[Any]:
    from leapforecast.report.charts import run_charts

    return run_charts(result, year)


def plot_run(result: Any, year: int | None) -> Any:
    from leapforecast.report.plots import run_figure

    return run_figure(result, year)


__all__ = ["run", "progress_bar", "check_outputs", "Path"]
