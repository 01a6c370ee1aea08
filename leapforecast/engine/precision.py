"""Precision control: run until every headline probability is known to a given standard error.

Like Crystal Ball's precision control, but reproducible: the engine's chunks are canonical (chunk
i of a run draws only from streams keyed by (seed, i, input name)), so a run that stops at N
paths is the very run ``simulate(scenario, paths=N, seed=seed)`` would make, byte for byte. Full
chunks are simulated once and reused as the run grows; only a final partial chunk is redone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from leapforecast.engine.driver import check_cells, run_chunks, run_settings
from leapforecast.engine.executors import Executor
from leapforecast.engine.kernel import CHUNK, ChunkOut, chunk_sizes
from leapforecast.engine.plan import Condition, compile_plan
from leapforecast.engine.reduction import reduce_chunks
from leapforecast.engine.results import SimulationResult
from leapforecast.errors import UsageError
from leapforecast.model.scenario import Scenario
from leapforecast.model.spec import MAX_PATHS

PILOT = 4_096
DEFAULT_MAX_PATHS = 5_000_000
ROUND_TO = 1_000
MIN_JUDGED = 1_000  # fewer paths give a binomial s.e. of 0 for p = 0 or 1: not a precision
MIN_PRECISION = 1e-6  # below it precision**2 underflows; 50M paths reach about 7e-5 anyway


@dataclass
class Convergence:
    """How a precision-controlled run went.

    ``steps`` holds (paths, largest standard error) for each size tried; ``worst`` names the
    probability with the largest s.e. at the end (kind ``ge`` or ``reached``, target, year).
    """

    precision: float
    max_paths: int
    paths: int
    max_se: float
    converged: bool
    worst: tuple[str, int, int]
    steps: list[tuple[int, float]] = field(default_factory=list)

    def message(self) -> str:
        kind, target, year = self.worst
        what = (
            f"P(reached >= {target:,} by {year})"
            if kind == "reached"
            else f"P(>= {target:,} in {year})"
        )
        if self.converged:
            return (
                f"precision {self.precision:g} reached with {self.paths:,} paths "
                f"(largest Monte Carlo s.e. {self.max_se:.4f}, {what})"
            )
        if self.paths < MIN_JUDGED:
            return (
                f"precision {self.precision:g} not judged: {self.paths:,} paths are too few to "
                f"estimate a standard error (at least {MIN_JUDGED:,}); raise `max_paths`"
            )
        return (
            f"precision {self.precision:g} not reached: stopped at the cap of {self.paths:,} "
            f"paths with Monte Carlo s.e. {self.max_se:.4f} for {what}; raise `max_paths`"
        )


def headline_se(result: SimulationResult) -> tuple[float, tuple[str, int, int]]:
    """The largest Monte Carlo s.e. among P(>= target in year) and P(reached by year), and
    which: binomial for random sampling, from replicates for Latin hypercube and Sobol
    (``SimulationResult.se_method``), as the run table reports them."""
    best = (-1.0, ("ge", 0, 0))
    for kind, se in (("ge", result.se_ge), ("reached", result.se_reached)):
        k, t = np.unravel_index(int(np.argmax(se)), se.shape)
        if se[k, t] > best[0]:
            best = (float(se[k, t]), (kind, result.targets[k], result.years[t]))
    return best


def _needed(result: SimulationResult, precision: float) -> int:
    """Paths at which every headline s.e. would be ``precision`` if the estimates held.

    Binomial: p(1-p)/precision^2. From replicates: the s.e. falls like 1/sqrt(paths) once the
    replicate blocks are full (more paths add blocks), so paths * (se / precision)^2.
    """
    if result.se_method == "replicates":
        se = np.concatenate([result.se_ge.ravel(), result.se_reached.ravel()])
        return math.ceil(result.paths * float(np.max(se)) ** 2 / precision**2)
    p = np.concatenate([result.prob_ge.ravel(), result.prob_reached.ravel()])
    return math.ceil(float(np.max(p * (1 - p))) / precision**2)


def simulate_to_precision(
    scenario: Scenario,
    *,
    precision: float,
    max_paths: int = DEFAULT_MAX_PATHS,
    seed: int | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    condition: Condition | None = None,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
) -> tuple[SimulationResult, Convergence]:
    """Simulate with as many paths as the standard error of every headline probability needs.

    Starts with a pilot of ``PILOT`` paths, then jumps to the path count the estimates call for
    (rounded up to a multiple of 1,000, at least 25% more), until the largest s.e. is at most
    ``precision`` or ``max_paths`` is reached. The result equals ``simulate(scenario,
    paths=result.paths, seed=seed, condition=condition)`` on any executor: chunks run through
    the same driver, and full chunks are simulated once and reused as the run grows.
    ``progress(done, total)`` counts paths against the current plan.
    """
    if not MIN_PRECISION <= precision < 0.5 or not math.isfinite(precision):
        raise UsageError(
            f"`precision` must be a standard error from {MIN_PRECISION:g} to 0.5, got {precision:g}"
        )
    if not 1 <= max_paths <= MAX_PATHS:
        raise UsageError(f"`max_paths` must be between 1 and {MAX_PATHS:,}, got {max_paths:,}")
    _, seed = run_settings(scenario, paths=1, seed=seed, jobs=jobs)
    plan = compile_plan(scenario)
    plan.condition = condition
    full: dict[int, ChunkOut] = {}  # canonical full chunks, reused as the run grows

    def run(paths: int) -> SimulationResult:
        check_cells(plan, paths)
        sizes = chunk_sizes(paths)
        todo = [(i, n) for i, n in enumerate(sizes) if not (n == CHUNK and i in full)]
        reused = paths - sum(n for _, n in todo)

        def step(done: int, total: int) -> None:
            if progress:
                progress(reused + sum(n for _, n in todo[:done]), paths)

        fresh: dict[int, ChunkOut] = {}
        for (i, n), out in zip(
            todo,
            run_chunks(
                plan,
                todo,
                seed=seed,
                jobs=jobs,
                executor=executor,
                scheduler=scheduler,
                progress=step,
            ),
            strict=True,
        ):
            fresh[i] = out
            if n == CHUNK:
                full[i] = out
        outs = [fresh[i] if i in fresh else full[i] for i in range(len(sizes))]
        return reduce_chunks(plan, outs, paths=paths, seed=seed, jobs=jobs)

    paths = min(PILOT, max_paths)
    steps: list[tuple[int, float]] = []
    while True:
        result = run(paths)
        se, worst = headline_se(result)
        steps.append((paths, se))
        if se <= precision or paths >= max_paths:
            break
        want = max(_needed(result, precision), math.ceil(paths * 1.25))
        paths = min(max_paths, math.ceil(want / ROUND_TO) * ROUND_TO)
    converged = se <= precision and paths >= MIN_JUDGED  # 1 path has s.e. 0: no evidence
    report = Convergence(precision, max_paths, paths, se, converged, worst, steps)
    return result, report


__all__ = ["Convergence", "headline_se", "simulate_to_precision"]
