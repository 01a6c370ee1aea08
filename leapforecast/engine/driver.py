"""The one driver of the engine: run chunks of a compiled plan on an executor, in chunk order.

``simulate``, precision control and sensitivity analysis all go through ``run_chunks``, so
every way of running the engine supports every executor (threads, processes, Dask) and
conditioning on year-to-date actuals, and gives the same bytes for the same seed. The driver
hands the kernel's work function to the executor; executors never import the kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import numpy as np

from leapforecast.engine.executors import Executor, get_executor, inherits_memory
from leapforecast.engine.kernel import (
    CHUNK,
    ChunkOut,
    ChunkTask,
    Sink,
    chunk_sizes,
    run_task,
    run_task_into,
)
from leapforecast.engine.plan import Plan
from leapforecast.engine.reduction import Reducer
from leapforecast.engine.results import SimulationResult
from leapforecast.errors import LeapforecastError
from leapforecast.model.scenario import Scenario
from leapforecast.model.spec import MAX_PATHS

# float32 values kept for exact quantiles: paths x years x (1 + segments when there are several).
# 500M cells is 2 GB; beyond it a run is refused before any work rather than exhausting memory.
MAX_CELLS = 500_000_000
# The whole command's estimated peak (run_bytes; compare and sensitivity add up what they hold
# at once). 8,000 events at 100,000 paths needed 12 GiB before this was counted.
MAX_MEMORY = 4_000_000_000
BYTES_PER_DRAW = 16  # measured: 1,000 events (2,000 draws) at 65,536 paths peaked at 1.7 GB

Progress = Callable[[int, int], None]
S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


def run_settings(
    scenario: Scenario, *, paths: int | None, seed: int | None, jobs: int
) -> tuple[int, int]:
    """The (paths, seed) of a run, defaulting to the scenario's, checked before any work."""
    sim = scenario.spec.simulation
    paths = sim.paths if paths is None else int(paths)
    seed = sim.seed if seed is None else int(seed)
    if not 1 <= paths <= MAX_PATHS:
        raise LeapforecastError(f"`paths` must be between 1 and {MAX_PATHS:,}, got {paths:,}")
    if seed < 0:
        raise LeapforecastError(f"`seed` must be a non-negative integer, got {seed}")
    if jobs < 1:
        raise LeapforecastError(f"`jobs` must be at least 1, got {jobs}")
    return paths, seed


def run_bytes(plan: Plan, paths: int, *, jobs: int = 1, keep_inputs: bool = False) -> int:
    """About how many bytes one run of ``paths`` paths holds at its peak: the float32 totals
    kept for quantiles, each running chunk's draws (``BYTES_PER_DRAW`` per uncertain input and
    path: the uniforms and the values drawn from them, so 8,000 events weigh what they cost),
    and, with ``keep_inputs``, every path's inputs."""
    layers = 1 + (len(plan.segments) if len(plan.segments) > 1 else 0)
    stored = paths * len(plan.years) * layers * 4
    drawn = max(1, len(plan.uncertain))
    running = min(jobs, len(chunk_sizes(paths)))
    working = min(paths, CHUNK) * (drawn * BYTES_PER_DRAW + 8 * len(plan.years)) * running
    kept = paths * max(1, len(plan.inputs)) * 8 if keep_inputs else 0
    return stored + working + kept


def check_memory(needed: int, what: str) -> None:
    """Refuse a command whose estimate (``run_bytes`` summed over what it holds at once)
    exceeds ``MAX_MEMORY``, before anything is simulated."""
    if needed > MAX_MEMORY:
        raise LeapforecastError(
            f"paths: {what} would need about {needed / 1e9:,.1f} GB of memory, more than the "
            f"cap of {MAX_MEMORY / 1e9:.0f} GB; use fewer paths, fewer uncertain inputs "
            "(events) or a nearer horizon"
        )


def check_cells(plan: Plan, paths: int, *, jobs: int = 1, keep_inputs: bool = False) -> None:
    """Refuse a run whose stored totals would exceed ``MAX_CELLS`` (about 2 GB), or whose whole
    memory estimate (``run_bytes``) would exceed ``MAX_MEMORY``."""
    layers = 1 + (len(plan.segments) if len(plan.segments) > 1 else 0)
    cells = paths * len(plan.years) * layers
    if cells > MAX_CELLS:
        raise LeapforecastError(
            f"paths: {paths:,} paths x {len(plan.years)} years"
            + (f" x {layers} series (total and segments)" if layers > 1 else "")
            + f" is {cells:,} stored values, more than the cap of {MAX_CELLS:,} (about 2 GB);"
            " use fewer paths or a nearer horizon"
        )
    n_drawn = len(plan.uncertain)
    check_memory(
        run_bytes(plan, paths, jobs=jobs, keep_inputs=keep_inputs),
        f"{paths:,} paths with {n_drawn:,} uncertain inputs",
    )


def run_chunks(
    plan: Plan,
    chunks: Sequence[tuple[int, int]],
    *,
    seed: int,
    sampling: str | None = None,
    jobs: int = 1,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
    keep_inputs: bool = False,
    given: dict[str, np.ndarray] | None = None,
    sink: Sink | None = None,
    progress: Progress | None = None,
) -> Iterator[ChunkOut]:
    """Simulate the chunks ``(index, size)`` of ``plan`` and yield their results in that order.

    A chunk's result depends only on (plan, index, size, seed), so which executor runs it, and
    with how many jobs, never changes a byte. ``sampling`` defaults to the scenario's;
    ``given`` fixes inputs path by path (see ``kernel.draw_inputs``); ``sink`` holds the run's
    per-path arrays for chunks to fill in place when they run in this process or in processes
    forked from it that share the sink's memory (``Reducer(shared=True)``); elsewhere chunks send
    their units back;
    ``progress(done, total)`` counts chunks as they come back.
    """
    if jobs < 1:
        raise LeapforecastError(f"`jobs` must be at least 1, got {jobs}")
    if sampling is None:
        sampling = plan.scenario.spec.simulation.sampling
    runner = get_executor(executor, jobs=jobs, scheduler=scheduler, tasks=len(chunks))
    local = runner.in_process and sink is not None
    tasks = []
    for index, size in chunks:
        totals, seg_totals = sink.views(index) if local and sink is not None else (None, None)
        tasks.append(
            ChunkTask(
                index,
                size,
                seed,
                sampling,
                keep_inputs=keep_inputs,
                totals=totals,
                seg_totals=seg_totals,
                given=given,
            )
        )
    if sink is not None and sink.shared and not local and inherits_memory(runner):
        outs = runner.map(run_task_into, (plan, sink), tasks)
    else:
        outs = runner.map(run_task, plan, tasks)
    for done, out in enumerate(outs, 1):
        yield out
        if progress:
            progress(done, len(tasks))


def split_jobs(jobs: int, runs: int) -> tuple[int, int]:
    """(workers across runs, jobs within each run) for ``runs`` independent simulations.

    Many small runs (a sweep's grid points, compare's scenarios, a tornado's held inputs) are
    spread over the workers one run each, every run serial inside; a single run keeps the jobs
    for its chunks. Neither choice changes a byte: a run's result depends only on its inputs.
    """
    return (jobs, 1) if runs > 1 and jobs > 1 else (1, jobs)


def map_runs(
    fn: Callable[[S, T], R],
    shared: S,
    tasks: Sequence[T],
    *,
    jobs: int = 1,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Iterator[R]:
    """``fn(shared, task)`` for every task on ``jobs`` workers of ``executor``, in task order.

    The same executors as ``run_chunks`` (threads, processes, a Dask scheduler), handed a
    whole-run work function instead of the kernel's: for processes and Dask, ``fn`` must be a
    module-level function and ``shared`` and the tasks must pickle.
    """
    if jobs < 1:
        raise LeapforecastError(f"`jobs` must be at least 1, got {jobs}")
    runner = get_executor(executor, jobs=jobs, scheduler=scheduler, tasks=len(tasks))
    for done, out in enumerate(runner.map(fn, shared, tasks), 1):
        yield out
        if progress:
            progress(done, len(tasks))


def run_plan(
    plan: Plan,
    paths: int,
    *,
    seed: int,
    jobs: int = 1,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
    keep_inputs: bool = False,
    progress: Progress | None = None,
) -> SimulationResult:
    """Simulate ``paths`` paths of a compiled plan (its canonical chunks) and reduce them."""
    chunks = list(enumerate(chunk_sizes(paths)))
    runner = get_executor(executor, jobs=jobs, scheduler=scheduler, tasks=len(chunks))
    # forked workers write into shared memory rather than pickling their units back
    reducer = Reducer(plan, paths, shared=not runner.in_process and inherits_memory(runner))
    for out in run_chunks(
        plan,
        chunks,
        seed=seed,
        jobs=jobs,
        executor=runner,
        keep_inputs=keep_inputs,
        sink=reducer.sink,
        progress=progress,
    ):
        reducer.add(out)
    return reducer.result(seed=seed, jobs=jobs)


def run_totals(plan: Plan, paths: int, *, seed: int) -> np.ndarray:
    """The (T, paths) float32 units of ``run_plan(plan, paths, seed=seed)``, in this thread,
    without the summaries (quantiles, counts) its result adds: for callers that only score the
    draws (the backtest makes ~250 small runs, and the summaries were a fifth of their cost)."""
    reducer = Reducer(plan, paths)
    for out in run_chunks(plan, list(enumerate(chunk_sizes(paths))), seed=seed, sink=reducer.sink):
        reducer.add(out)
    return reducer.totals


__all__ = [
    "MAX_CELLS",
    "check_cells",
    "map_runs",
    "run_chunks",
    "run_plan",
    "run_settings",
    "run_totals",
    "split_jobs",
]
