"""leapforecast.engine.run."""

from __future__ import annotations

from typing import Any

from leapforecast.engine.executors import iter_chunks
from leapforecast.engine.kernel import chunk_sizes
from leapforecast.engine.plan import compile_plan
from leapforecast.engine.reduction import Reducer
from leapforecast.engine.results import SimulationResult
from leapforecast.errors import LeapforecastError
from leapforecast.model.scenario import Scenario

MAX_PATHS = 50_000_000


# float32 values kept for exact quantiles: paths x years x (1 + segments when there are several).
# 500M cells is 2 GB; beyond it a run is refused before any work rather than exhausting memory.
MAX_CELLS = 500_000_000


def simulate(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    keep_inputs: bool = False,
    fixed: dict[str, float] | None = None,
    progress: Any = None,
    condition: Any = None,
    executor: str = "threads",
    scheduler: str | None = None,
) -> SimulationResult:
    """Run a scenario and reduce it to a ``SimulationResult``.

    ``paths``/``seed`` default to the scenario's ``[simulation]`` values; ``jobs`` threads work on
    chunks in parallel without changing a byte of the result; ``keep_inputs`` keeps each path's
    inputs (for sensitivity analysis); ``progress(done, total)`` is called as chunks finish.
    """
    sim = scenario.spec.simulation
    paths = sim.paths if paths is None else int(paths)
    seed = sim.seed if seed is None else int(seed)
    if not 1 <= paths <= MAX_PATHS:
        raise LeapforecastError(f"paths must be between 1 and {MAX_PATHS:,}, got {paths:,}")
    if seed < 0:
        raise LeapforecastError(f"seed must be a non-negative integer, got {seed}")
    if jobs < 1:
        raise LeapforecastError(f"jobs must be at least 1, got {jobs}")
    plan = compile_plan(scenario, fixed=fixed)
    layers = 1 + (len(plan.segments) if len(plan.segments) > 1 else 0)
    cells = paths * len(plan.years) * layers
    if cells > MAX_CELLS:
        raise LeapforecastError(
            f"paths: {paths:,} paths x {len(plan.years)} years"
            + (f" x {layers} series (total and segments)" if layers > 1 else "")
            + f" is {cells:,} stored values, more than the cap of {MAX_CELLS:,} (about 2 GB);"
            " use fewer paths or a nearer horizon"
        )
    plan.condition = condition
    sizes = chunk_sizes(paths)

    reducer = Reducer(plan, paths)
    for out in iter_chunks(
        plan,
        sizes,
        seed=seed,
        sampling=sim.sampling,
        keep_inputs=keep_inputs,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        progress=progress,
        out_for=reducer.out_for,
    ):
        reducer.add(out)
    return reducer.result(seed=seed, jobs=jobs)
