"""Running a scenario: ``simulate`` (a fixed number of paths) and ``run_scenario`` (what
``leapforecast run`` does: a plain run, or one that adds paths until a precision is reached).

Both go through the one driver (``engine.driver``), so executors, jobs and conditioning on
year-to-date actuals work the same way for each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from leapforecast.engine.driver import (
    MAX_CELLS,
    check_cells,
    run_plan,
    run_settings,
    run_totals,
)
from leapforecast.engine.executors import Executor
from leapforecast.engine.mixture import mixture_to_precision, mixture_totals, simulate_mixture
from leapforecast.engine.plan import compile_plan
from leapforecast.engine.precision import DEFAULT_MAX_PATHS, simulate_to_precision
from leapforecast.engine.results import SimulationResult, resolve_year
from leapforecast.errors import UsageError
from leapforecast.model.scenario import Scenario
from leapforecast.model.spec import MAX_PATHS


def simulate(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    keep_inputs: bool = False,
    fixed: dict[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    condition: Callable[..., Any] | None = None,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
) -> SimulationResult:
    """Run a scenario and reduce it to a ``SimulationResult``.

    ``paths``/``seed`` default to the scenario's ``[simulation]`` values; ``jobs`` workers of
    ``executor`` (threads, processes, dask, or an ``Executor``) run chunks in parallel without
    changing a byte of the result; ``keep_inputs`` keeps each path's inputs (for sensitivity
    analysis); ``fixed`` pins named inputs; ``condition`` conditions the first year on
    year-to-date actuals; ``progress(done, total)`` is called as chunks finish. A mixture
    scenario runs through ``engine.mixture.simulate_mixture`` (``condition`` may then map
    component names to each one's conditioning).
    """
    if scenario.mixture is not None:
        return simulate_mixture(
            scenario,
            paths=paths,
            seed=seed,
            jobs=jobs,
            keep_inputs=keep_inputs,
            fixed=fixed,
            progress=progress,
            condition=condition,
            executor=executor,
            scheduler=scheduler,
        )
    paths, seed = run_settings(scenario, paths=paths, seed=seed, jobs=jobs)
    plan = compile_plan(scenario, fixed=fixed)
    check_cells(plan, paths, jobs=jobs, keep_inputs=keep_inputs)
    plan.condition = condition
    return run_plan(
        plan,
        paths,
        seed=seed,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        keep_inputs=keep_inputs,
        progress=progress,
    )


def simulate_totals(
    scenario: Scenario, *, paths: int | None = None, seed: int | None = None
) -> np.ndarray:
    """Each path's units by year, (paths, T) float32: exactly ``simulate(...).totals``, in this
    thread, without the summaries a caller that scores the draws itself does not need."""
    paths, seed = run_settings(scenario, paths=paths, seed=seed, jobs=1)
    if scenario.mixture is not None:
        return mixture_totals(scenario, paths=paths, seed=seed)
    plan = compile_plan(scenario)
    check_cells(plan, paths)
    return run_totals(plan, paths, seed=seed).T


def run_scenario(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    precision: float | None = None,
    max_paths: int | None = None,
    year: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    condition: Callable[..., Any] | None = None,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
) -> tuple[SimulationResult, list[str]]:
    """A plain run of ``paths`` paths, or, when ``precision`` is given, a precision-controlled
    one (capped at ``max_paths``); returns the result and notes for the user.

    Every option works in both modes: the precision-controlled result is byte for byte the
    plain run of the path count it stopped at, on any executor. ``year`` (the year charts
    show) is checked first, so a typo fails before the simulation.
    """
    if year is not None:
        resolve_year(scenario.years, year)
    engine: dict[str, Any] = {
        "jobs": jobs,
        "progress": progress,
        "condition": condition,
        "executor": executor,
        "scheduler": scheduler,
    }
    if precision is None:
        if max_paths is not None:
            raise UsageError("`max_paths` caps `precision`; without `precision` use `paths`")
        return simulate(scenario, paths=paths, seed=seed, **engine), []
    if paths is not None:
        raise UsageError(
            "`paths` and `precision` exclude each other: `precision` chooses the "
            "number of paths (cap it with `max_paths`)"
        )
    to_precision = mixture_to_precision if scenario.mixture is not None else simulate_to_precision
    result, report = to_precision(
        scenario,
        precision=precision,
        max_paths=DEFAULT_MAX_PATHS if max_paths is None else max_paths,
        seed=seed,
        **engine,
    )
    return result, [report.message() if report.converged else f"warning: {report.message()}"]


__all__ = ["MAX_CELLS", "MAX_PATHS", "run_scenario", "simulate", "simulate_totals"]
