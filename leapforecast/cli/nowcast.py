"""``leapforecast nowcast``: P(full-year target) from year-to-date monthly actuals; its backtest."""

from __future__ import annotations

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
    parse_targets,
)
from leapforecast.cli.run import Executor, JobsOpt, SchedulerOpt

if TYPE_CHECKING:  # pragma: no cover - the command bodies import the library lazily
    from leapforecast.analysis.nowcast import NowcastResult
    from leapforecast.analysis.nowcast_backtest import NowcastBacktest
    from leapforecast.model.scenario import Scenario


# A maker-year of the backtest is many small-array steps, mostly Python: processes share them
# out (13 maker-years, -j 2: 2.9 -> 1.3 s), threads less so (1.8 s).
BacktestExecutorOpt = Annotated[
    Executor,
    typer.Option(
        "--executor",
        help="Where maker-years run with --backtest --jobs: processes (default), threads, or a "
        "Dask cluster; every choice gives identical output.",
    ),
]


class BacktestPrior(str, Enum):
    """The annual prior of the backtest's maker-years without a scenario."""

    reference = "reference"
    trend = "trend"


def nowcast(
    scenario_arg: Annotated[
        str | None,
        typer.Argument(
            metavar="[SCENARIO]",
            help="Annual scenario used as the prior and for its events (default: the bundled "
            "default; with --backtest Leapmotor's prior, rebased a year at a time, the others "
            "keeping --prior).",
            show_default=False,
        ),
    ] = None,
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
        typer.Option("--scenario", hidden=True, help="Deprecated: give the scenario positionally."),
    ] = None,
    month_m: Annotated[
        list[str] | None,
        typer.Option("-m", hidden=True, help="Deprecated spelling of --month."),
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
            envvar="LEAPFORECAST_PATHS",
            help="Monte Carlo paths (default: the scenario's; 2000 per nowcast for --backtest).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            envvar="LEAPFORECAST_SEED",
            help="Random seed (default: the scenario's).",
        ),
    ] = None,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Monthly calibration report: nowcast every complete past year of every maker "
            "from each cut-off (none, Jan, ..., Jan-Nov) and score months and totals.",
        ),
    ] = False,
    series: Annotated[
        list[str] | None,
        typer.Option(
            "--series",
            metavar="NAME|all",
            help="With --backtest: the makers to score (repeatable; default all: Leapmotor and "
            "the monthly peers).",
        ),
    ] = None,
    cases: Annotated[
        bool,
        typer.Option("--cases", help="With --backtest: one row per nowcast (CSV/JSON)."),
    ] = False,
    prior: Annotated[
        BacktestPrior,
        typer.Option(
            "--prior",
            help="With --backtest: the annual prior of the makers without --scenario: the "
            "pooled reference model (the default scenario's growth) or a trend of the maker's "
            "own annual history.",
        ),
    ] = BacktestPrior.reference,
    jobs: JobsOpt = 1,
    executor: BacktestExecutorOpt = Executor.processes,
    scheduler: SchedulerOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Nowcast the full year from year-to-date actuals: P(year >= each target), the year's
    quantiles, each remaining month's quantiles and the monthly deliveries each target still needs.

    Example: leapforecast nowcast --month 2026-01=32059 --target 1M --target 750k
    """
    from leapforecast.cli.common import deprecated, one_scenario, output_format
    from leapforecast.errors import UsageError

    written = output_format(fmt, output)  # a bad --format/--output costs no work
    scenario = one_scenario(scenario_arg, scenario, "nowcast")
    if month_m:  # -m is --method everywhere (backtest); here it once meant --month
        deprecated("nowcast -m", "--month")
        month = [*(month or []), *month_m]
    inputs = [str(p) for p in (actuals,) if p is not None]
    inputs += [p for p in (history, scenario) if p]  # never written over by --output
    profile = _parse_seasonal(seasonal)
    # --jobs is left out: LEAPFORECAST_JOBS may set it for every command
    parallel = executor != Executor.processes or scheduler is not None
    if (series or cases or prior != BacktestPrior.reference or parallel) and not backtest:
        raise UsageError(
            "--series, --cases, --prior, --executor and --scheduler go with --backtest"
        )
    if backtest:
        if actuals is not None or month:
            raise UsageError(
                "--backtest takes its actuals from the monthly history; drop --actuals/--month"
            )
        if target:
            raise UsageError("--backtest scores intervals, not targets; drop --target")
        report = _backtest(
            year,
            scenario,
            set_,
            history,
            profile,
            paths,
            seed,
            series,
            prior.value,
            parallel={"jobs": jobs, "executor": executor.value, "scheduler": scheduler},
        )
        emit(
            report.case_table() if cases else report,
            written,
            output,
            inputs=inputs,
            tables=lambda: _backtest_tables(report),
            sheets=lambda: [("summary", report), ("cases", report.case_table())],
        )
        return
    from leapforecast.analysis.outside import nowcast_outside

    result, sc = _nowcast(
        actuals, month, target, year, scenario, set_, history, profile, paths, seed
    )
    shown = nowcast_outside(result, sc.history)
    if shown is None:
        emit(result, written, output, inputs=inputs)
        return
    emit(
        shown,
        written,
        output,
        inputs=inputs,
        notes=[] if written is Format.table else shown.warnings(),
    )


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


def _scenario(scenario: str | None, set_: list[str] | None) -> Scenario:
    from leapforecast.model.scenario import load_scenario

    return load_scenario(scenario, overrides=set_ or [])


def _nowcast(
    actuals: Path | None,
    month: list[str] | None,
    target: list[str] | None,
    year: int | None,
    scenario: str | None,
    set_: list[str] | None,
    history: str | None,
    profile: list[float] | None,
    paths: int | None,
    seed: int | None,
) -> tuple[NowcastResult, Scenario]:
    from leapforecast.analysis.nowcast import nowcast, read_actuals
    from leapforecast.data.monthly import load_monthly

    given = read_actuals(actuals, month or [])
    sc = _scenario(scenario, set_)
    return nowcast(
        given,
        scenario=sc,
        year=year,
        targets=parse_targets(target),
        paths=paths,
        seed=seed,
        monthly=load_monthly(history),
        seasonal=profile,
    ), sc


def _backtest(
    year: int | None,
    scenario: str | None,
    set_: list[str] | None,
    history: str | None,
    profile: list[float] | None,
    paths: int | None,
    seed: int | None,
    series: list[str] | None,
    prior: str = "reference",
    *,
    parallel: dict[str, Any] | None = None,
) -> NowcastBacktest:
    from leapforecast.analysis.nowcast_backtest import backtest, load_series

    sc = _scenario(scenario, set_) if scenario or set_ else None
    data = load_series(series or ["all"], monthly=history)
    return backtest(
        data=data,
        scenario=sc,
        year=year,
        paths=2000 if paths is None else paths,
        seed=20260101 if seed is None else seed,
        seasonal=profile,
        prior=prior,
        **(parallel or {}),
    )


def _backtest_tables(result: Any) -> list[Any]:
    from leapforecast.report.nowcast import _backtest_tables as tables

    return tables(result)


def register(app: typer.Typer) -> None:
    app.command("nowcast")(nowcast)
