"""Simulating a mixture scenario: each path is drawn from one component, chosen at random.

Allocation (why this way): every path ``i`` of a mixture gets a component index drawn from its
own stream keyed by (seed, canonical chunk of ``i``, "mixture.component") with probabilities
equal to the weights; then path ``i`` of the mixture *is* path ``i`` of that component's own run
with the same seed and path count. So

* the result depends only on (mixture file, paths, seed), never on executor or jobs: each
  component run is already byte-identical across executors, and the indices are drawn per
  canonical chunk;
* every path is an independent draw from the mixture distribution, so the usual binomial
  standard error of P(>= target) is the right one (a stratified allocation would make it
  conservative);
* a mixture and its components share random numbers path by path, so ``compare`` of a mixture
  with one of its components measures their difference paired, with a small error.

The cost is that every component runs on every path (K times the work of one scenario); the
components' own runs are kept and reported beside the mixture (``MixtureInfo``), so the table
shows each component's weight and P(>= target) at no extra cost.

Capacity-bound shares, events and segments are per component and are not reported for the
mixture as a whole (run a component to see its own).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from leapforecast.engine.driver import check_cells, run_plan, run_settings, run_totals
from leapforecast.engine.executors import Executor
from leapforecast.engine.kernel import chunk_sizes
from leapforecast.engine.plan import compile_plan
from leapforecast.engine.precision import PILOT, ROUND_TO, Convergence, _needed, headline_se
from leapforecast.engine.reduction import year_quantiles
from leapforecast.engine.results import ComponentResult, MixtureInfo, SimulationResult
from leapforecast.engine.sampling import stream
from leapforecast.errors import UsageError
from leapforecast.model.scenario import Scenario

MIXTURE_STREAM = "mixture.component"

Condition = Callable[..., Any]


def component_index(weights: list[float], paths: int, seed: int) -> np.ndarray:
    """(paths,) index of the component each path is drawn from (canonical chunks, so the same
    for every executor); P(index = k) = weights[k]."""
    cum = np.cumsum(np.asarray(weights, float))
    cum /= cum[-1]
    out = np.empty(paths, np.int16)
    start = 0
    for i, n in enumerate(chunk_sizes(paths)):
        u = stream(seed, i, MIXTURE_STREAM).random(n)
        out[start : start + n] = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
        start += n
    return out


def _first_reached(totals: np.ndarray, targets: list[int]) -> np.ndarray:
    """(K, T) paths whose best year so far first reaches each target in each year."""
    peak = np.maximum.accumulate(totals.astype(np.float64), axis=1)
    out = np.zeros((len(targets), totals.shape[1]), np.int64)
    for k, target in enumerate(targets):
        hit = peak >= target
        first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
        out[k] = np.bincount(first[first >= 0], minlength=totals.shape[1])
    return out


def simulate_mixture(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    keep_inputs: bool = False,
    fixed: dict[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    condition: Condition | Mapping[str, Condition] | None = None,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
) -> SimulationResult:
    """Simulate a mixture scenario (see the module docstring for how paths are allocated).

    ``condition`` conditions every component on year-to-date actuals, or maps component names
    to each one's own conditioning (``analysis.mixture`` builds these, with posterior weights).
    """
    mixture = scenario.mixture
    if mixture is None:
        raise UsageError(f"scenario {scenario.name} is not a mixture")
    if keep_inputs or fixed:
        raise UsageError(
            f"scenario {scenario.name} is a mixture: its inputs are its components'; analyse "
            "the sensitivity of each component (sensitivity of a mixture does this)"
        )
    paths, seed = run_settings(scenario, paths=paths, seed=seed, jobs=jobs)
    index = component_index(mixture.weights, paths, seed)
    K = len(mixture.components)
    T = len(scenario.years)
    totals = np.empty((paths, T), np.float32)
    parts: list[ComponentResult] = []
    for k, comp in enumerate(mixture.components):
        step = None
        if progress is not None:

            def step(done: int, total: int, _k: int = k) -> None:
                progress(_k * total + done, K * total)

        cond = condition.get(comp.name) if isinstance(condition, Mapping) else condition
        # what engine.run.simulate does for one scenario (run.py dispatches mixtures here)
        plan = compile_plan(comp.scenario)
        check_cells(plan, paths)
        plan.condition = cond
        res = run_plan(
            plan,
            paths,
            seed=seed,
            jobs=jobs,
            executor=executor,
            scheduler=scheduler,
            progress=step,
        )
        mask = index == k
        if res.totals is not None:
            totals[mask] = res.totals[mask]
        parts.append(
            ComponentResult(comp.name, comp.file, comp.weight, int(np.count_nonzero(mask)), res)
        )
    target = np.asarray(scenario.targets, np.float64)[:, None, None]
    count_ge = (totals.astype(np.float64)[None, :, :] >= target).sum(axis=1)
    return SimulationResult(
        scenario=scenario.name,
        years=list(scenario.years),
        targets=list(scenario.targets),
        paths=paths,
        seed=seed,
        sampling=scenario.spec.simulation.sampling,
        scenario_sha256=scenario.sha256,
        history_source=scenario.history.source,
        base_year=scenario.base_year,
        base_units=scenario.base_units,
        mean=totals.astype(np.float64).mean(axis=0),
        quantiles=year_quantiles(np.ascontiguousarray(totals.T), jobs),
        count_ge=count_ge.astype(np.int64),
        count_first=_first_reached(totals, list(scenario.targets)),
        totals=totals,
        mixture=MixtureInfo(parts, note=mixture.note()),
    )


def mixture_totals(scenario: Scenario, *, paths: int, seed: int) -> np.ndarray:
    """The (paths, T) float32 units of ``simulate_mixture(scenario, paths=paths, seed=seed)``
    without its summaries or the components' results (see ``driver.run_totals``)."""
    mixture = scenario.mixture
    if mixture is None:
        raise UsageError(f"scenario {scenario.name} is not a mixture")
    index = component_index(mixture.weights, paths, seed)
    totals = np.empty((paths, len(scenario.years)), np.float32)
    for k, comp in enumerate(mixture.components):
        plan = compile_plan(comp.scenario)
        check_cells(plan, paths)
        mask = index == k
        totals[mask] = run_totals(plan, paths, seed=seed).T[mask]
    return totals


def mixture_to_precision(
    scenario: Scenario,
    *,
    precision: float,
    max_paths: int,
    seed: int | None = None,
    **engine: Any,
) -> tuple[SimulationResult, Convergence]:
    """Precision control for a mixture: the same rule as ``simulate_to_precision`` (a pilot,
    then the path count the estimates call for, at least 25% more, rounded to 1,000), each
    step a plain ``simulate_mixture``, so the result equals the plain run at its path count."""
    _, seed = run_settings(scenario, paths=1, seed=seed, jobs=engine.get("jobs", 1))
    paths = min(PILOT, max_paths)
    steps: list[tuple[int, float]] = []
    while True:
        result = simulate_mixture(scenario, paths=paths, seed=seed, **engine)
        se, worst = headline_se(result)
        steps.append((paths, se))
        if se <= precision or paths >= max_paths:
            break
        want = max(_needed(result, precision), math.ceil(paths * 1.25))
        paths = min(max_paths, math.ceil(want / ROUND_TO) * ROUND_TO)
    return result, Convergence(precision, max_paths, paths, se, se <= precision, worst, steps)


__all__ = [
    "MIXTURE_STREAM",
    "component_index",
    "mixture_to_precision",
    "mixture_totals",
    "simulate_mixture",
]
