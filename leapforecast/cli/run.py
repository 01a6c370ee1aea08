"""``leapforecast run``: simulate a scenario and print the forecast (with charts and plots)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
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
    make_console,
    no_color,
    output_format,
    parse_targets,
)
from leapforecast.cli.errors import flags
from leapforecast.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover - rich is imported once a bar is drawn
    from rich.progress import Progress, TaskID

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
HistogramOpt = Annotated[
    Path | None,
    typer.Option(
        "--histogram",
        metavar="FILE.png|svg|pdf",
        dir_okay=False,
        help="Also save the histogram of --year's units with the target lines (needs matplotlib).",
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
        "Default: the bundled default (reference growth; README, Why this default).",
    ),
]
PathsOpt = Annotated[
    int | None,
    typer.Option(
        "--paths",
        "-n",
        min=1,
        envvar="LEAPFORECAST_PATHS",
        help="Monte Carlo paths (default: the scenario's).",
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        min=0,
        envvar="LEAPFORECAST_SEED",
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
        envvar="LEAPFORECAST_JOBS",
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
# run's chunks on processes by default: the kernel's many NumPy calls contend for the GIL
# (the default scenario's chunks: 1.3x on two threads, 1.87x on two processes), and forked
# workers write their units into the run's shared memory (10M paths -j 2 / -j 1: 0.52 against
# 0.70 on threads; 100k and 1M paths no slower).
RunExecutorOpt = Annotated[
    Executor,
    typer.Option(
        "--executor",
        help="Where chunks run with --jobs: processes (the default; forked workers fill the "
        "run's memory directly), threads, or a Dask cluster (pip install "
        "'leapforecast[dask]'); every choice gives identical output.",
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
SamplesOpt = Annotated[
    Path | None,
    typer.Option(
        "--samples",
        metavar="FILE.parquet",
        dir_okay=False,
        help="Also write every path's units by year to a Parquet file (one row per path, one "
        "column per year; needs pyarrow: pip install 'leapforecast[parquet]').",
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
    otherwise: a pipe, a file, ``NO_COLOR`` or ``TERM=dumb`` get no cursor-control codes; and
    none under ``--quiet``)."""
    import os

    from leapforecast.cli.errors import quiet

    stream = sys.stderr if stream is None else stream
    if (
        quiet()
        or not getattr(stream, "isatty", lambda: False)()
        or no_color()
        or os.environ.get("TERM") == "dumb"
    ):
        yield None
        return
    start = clock()
    drawn: list[tuple[Progress, TaskID]] = []  # the bar and its task, once drawn

    def update(done: int, total: int) -> None:
        if not drawn:
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
            drawn.append((bar, bar.add_task(description, total=total)))
        bar, task = drawn[0]
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        for bar, _ in drawn:
            bar.stop()


def run(
    scenario: ScenarioArg = None,
    paths: PathsOpt = None,
    seed: SeedOpt = None,
    target: TargetOpt = None,
    horizon: HorizonOpt = None,
    set_: SetOpt = None,
    jobs: JobsOpt = 1,
    executor: RunExecutorOpt = Executor.processes,
    scheduler: SchedulerOpt = None,
    actuals: ActualsOpt = None,
    month: MonthOpt = None,
    precision: PrecisionOpt = None,
    max_paths: MaxPathsOpt = None,
    chart: ChartOpt = False,
    plot: PlotOpt = None,
    histogram: HistogramOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    samples: SamplesOpt = None,
    calibrated: Annotated[
        bool,
        typer.Option(
            "--calibrated",
            help="Widen each year's range around its median by the scenario's [calibration] "
            "spread (fitted now from the backtest when the file has none; see "
            "'leapforecast calibrate').",
        ),
    ] = False,
) -> None:
    """Run a scenario and show yearly quantiles and the probability of each target.

    Example: leapforecast run scenarios/base.toml --paths 200000 --target 1M --format csv
    Example: leapforecast run --month 2026-01=32059 --month 2026-02=28000 --target 1M
    Example: leapforecast run bull --plot fan.png --histogram hist.svg --year 2027
    Example: leapforecast run -o forecast.xlsx (or .html: a one-page report of the run)
    Example: leapforecast run base --calibrated
    """
    from leapforecast.engine.run import run_scenario
    from leapforecast.model.scenario import load_scenario

    written = output_format(fmt, output)  # the --output suffix, checked before the simulation
    if chart and written is not Format.table and output is None:  # before the simulation, not after
        raise UsageError(
            "--chart draws on the terminal: use it with --format table, or send "
            "the CSV/JSON to a file with --output"
        )

    sc = load_scenario(
        scenario, overrides=set_ or [], horizon=horizon, targets=parse_targets(target)
    )
    check_outputs(output, plot)
    if histogram is not None:
        from leapforecast.report.output import check_destination

        if histogram.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise UsageError(f"--histogram {histogram}: use a .png, .svg or .pdf file")
        check_destination(histogram, option="--histogram")
    if samples is not None:
        _check_samples(samples, output, plot)
    condition: Any = None
    posterior = None
    if actuals is not None or month:
        from leapforecast.analysis.nowcast import read_actuals, year_to_date

        given = read_actuals(actuals, month or [])
        if sc.mixture is not None:  # actuals update the weights; each component conditioned
            from leapforecast.analysis.nowcast import update_weights

            posterior = update_weights(sc, given, seed=seed)
            sc, condition = posterior.scenario, posterior.conditions
        else:
            condition = year_to_date(given, scenario=sc, seed=seed)
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
    if posterior is not None:
        posterior.annotate(result)
    if calibrated:
        from leapforecast.analysis.calibrate import apply_calibration

        result, more = apply_calibration(result, sc)
        notes = [*notes, *more]
    from leapforecast.analysis.outside import run_outside

    shown = run_outside(result, sc)
    if samples is not None:
        from leapforecast.report.samples import write_samples

        write_samples(result, samples, inputs=sc.input_files)
    if histogram is not None:
        from leapforecast.report.plots import histogram_figure, save_figure

        save_figure(histogram_figure(result, year), histogram, inputs=sc.input_files)
    emit(
        shown,
        written,
        output,
        inputs=sc.input_files,
        notes=[flags(note) for note in notes]
        + ([] if written is Format.table else shown.warnings()),
        plot=plot,
        extra_tables=render_charts(result, year) if chart else None,
        figure=lambda: plot_run(result, year, history=sc.history),
        html=lambda: _page(shown, sc, year),
        sheets=lambda: [("forecast", shown), ("outside view", shown.outside)],
    )


def _page(shown: Any, scenario: Any, year: int | None) -> str:
    from leapforecast.cli.pages import run_page

    return run_page(shown, scenario, year=year, date=None)


def check_outputs(output: Path | None, plot: Path | None = None) -> None:
    """Refuse a bad ``--output``/``--plot`` before the work, not after it (the inputs read so
    far are known; ``write_outputs`` checks again once every input has been read)."""
    from leapforecast.report.output import check_destination

    check_destination(output)
    if plot is not None:
        check_destination(plot, option="--plot")


def _check_samples(samples: Path, output: Path | None, plot: Path | None) -> None:
    """``--samples``: a file (Parquet is binary, stdout is for the table), not the same file as
    another output, and pyarrow installed; all before the simulation."""
    from leapforecast.report.output import check_destination
    from leapforecast.report.samples import require_parquet

    if str(samples) == "-":
        raise UsageError("--samples -: Parquet is binary; give a file name such as paths.parquet")
    check_destination(samples, option="--samples")
    if samples.suffix.lower() not in (".parquet", ".pq"):
        # Parquet under another name (paths.csv) would only mislead the next program to read it
        raise UsageError(
            f"--samples {samples}: writes Parquet; give a .parquet file (e.g. "
            f"{samples.with_suffix('.parquet').name})"
        )
    for other, option in ((output, "--output"), (plot, "--plot")):
        if other is not None and str(other) != "-" and Path(other).resolve() == samples.resolve():
            raise UsageError(f"--samples {samples}: the same file as {option}")
    try:
        require_parquet()
    except UsageError:
        raise UsageError("--samples needs pyarrow: pip install 'leapforecast[parquet]'") from None


def render_charts(result: Any, year: int | None) -> list[Any]:
    from leapforecast.report.charts import run_charts

    return run_charts(result, year)


def plot_run(result: Any, year: int | None, *, history: Any = None) -> Any:
    """The fan chart (with the sales ``history`` before the base year) and the exceedance
    curve of ``year``."""
    from leapforecast.report.plots import run_figure

    return run_figure(result, year, history=history)


__all__ = ["run", "progress_bar", "check_outputs", "Path"]
