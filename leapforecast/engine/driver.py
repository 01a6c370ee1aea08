"""The one driver of the engine: run chunks of a compiled plan on an executor, in chunk order.

``simulate``, precision control and sensitivity analysis all go through ``run_chunks``, so
every way of running the engine supports every executor (threads, processes, Dask) and
conditioning on year-to-date actuals, and gives the same bytes for the same seed. The driver
hands the kernel's work function to the executor; executors never import the kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from leapforecast.engine.executors import Executor, get_executor
from leapforecast.engine.kernel import ChunkOut, ChunkTask, chunk_sizes, run_task
from leapforecast.engine.plan import Plan
from leapforecast.engine.reduction import Reducer
from leapforecast.engine.results import SimulationResult
from leapforecast.errors import LeapforecastError
from leapforecast.model.scenario import Scenario
from leapforecast.model.spec import MAX_PATHS

# float32 values kept for exact quantiles: paths x years x (1 + segments when there are several).
# 500M cells is 2 GB; beyond it a run is refused before any work rather than exhausting memory.
MAX_CELLS = 500_000_000

Progress = Callable[[int, int], None]


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


def check_cells(plan: Plan, paths: int) -> None:
    """Refuse a run whose stored totals would exceed ``MAX_CELLS`` (about 2 GB)."""
    layers = 1 + (len(plan.segments) if len(plan.segments) > 1 else 0)
    cells = paths * len(plan.years) * layers
    if cells > MAX_CELLS:
        raise LeapforecastError(
            f"paths: {paths:,} paths x {len(plan.years)} years"
            + (f" x {layers} series (total and segments)" if layers > 1 else "")
            + f" is {cells:,} stored values, more than the cap of {MAX_CELLS:,} (about 2 GB);"
            " use fewer paths or a nearer horizon"
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
    out_for: Callable[[int], np.ndarray] | None = None,
    progress: Progress | None = None,
) -> Iterator[ChunkOut]:
    """Simulate the chunks ``(index, size)`` of ``plan`` and yield their results in that order.

    A chunk's result depends only on (plan, index, size, seed), so which executor runs it, and
    with how many jobs, never changes a byte. ``sampling`` defaults to the scenario's;
    ``given`` fixes inputs path by path (see ``kernel.draw_inputs``); ``out_for(index)`` may
    give an array a chunk fills in place (used only when the executor runs in this process);
    ``progress(done, total)`` counts chunks as they come back.
    """
    if jobs < 1:
        raise LeapforecastError(f"`jobs` must be at least 1, got {jobs}")
    if sampling is None:
        sampling = plan.scenario.spec.simulation.sampling
    runner = get_executor(executor, jobs=jobs, scheduler=scheduler, tasks=len(chunks))
    local = runner.in_process and out_for is not None
    tasks = [
        ChunkTask(
            index,
            size,
            seed,
            sampling,
            keep_inputs=keep_inputs,
            totals=out_for(index) if local and out_for is not None else None,
            given=given,
        )
        for index, size in chunks
    ]
    for done, out in enumerate(runner.map(run_task, plan, tasks), 1):
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
    reducer = Reducer(plan, paths)
    for out in run_chunks(
        plan,
        list(enumerate(chunk_sizes(paths))),
        seed=seed,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        keep_inputs=keep_inputs,
        out_for=reducer.out_for,
        progress=progress,
    ):
        reducer.add(out)
    return reducer.result(seed=seed, jobs=jobs)


__all__ = ["MAX_CELLS", "check_cells", "run_chunks", "run_plan", "run_settings"]
