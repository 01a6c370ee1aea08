"""What-if grids and break-even values over scenario keys, on common random numbers.

Each grid point is the scenario with ``key.path=value`` overrides, simulated with the same seed
and path count. Inputs keep their names, so every point sees the same draws: the grid is smooth
and monotone where the model is, and the break-even found by bisection is a property of the
model, not of which random numbers each point happened to get.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leapforecast.analysis._target import resolve_target_year
from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.driver import map_runs, split_jobs
from leapforecast.engine.executors import Executor
from leapforecast.engine.results import binomial_se
from leapforecast.engine.run import simulate
from leapforecast.errors import UsageError
from leapforecast.model.scenario import Scenario
from leapforecast.units import parse_units

MAX_GRID_CELLS = 2_500
DEFAULT_PATHS = 20_000


@dataclass(frozen=True)
class Axis:
    """One varied key: its path and the values it takes."""

    key: str
    values: tuple[float, ...]


def _number(text: str, where: str) -> float:
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(value):
            raise UsageError(f"{where}: '{text}' is not a finite number")
        return value

    try:
        return float(parse_units(text))
    except UsageError:
        raise UsageError(f"{where}: '{text}' is not a number") from None


def _clean(value: float) -> float | int:
    """Strip float noise from grid arithmetic (0.30000000000000004 -> 0.3); whole numbers as int."""
    value = float(f"{value:.12g}")
    return int(value) if value.is_integer() and abs(value) >= 1000 else value


def parse_vary(
    text: str, *, need_step: bool = True
) -> tuple[str, float, float, float | None, list[float] | None]:
    """Parse ``key.path=start:stop:step`` or ``key.path=v1,v2,...``.

    Returns (key, start, stop, step or None, explicit values or None).
    """
    where = f"`vary` {text}"
    key, sep, spec = text.partition("=")
    key = key.strip()
    if not sep or not key or not spec.strip():
        raise UsageError(
            f"{where}: expected KEY.PATH=START:STOP:STEP, e.g. growth.rate=0.2:0.8:0.1"
        )
    if "," in spec:
        values = [_number(v, where) for v in spec.split(",") if v.strip()]
        return key, min(values), max(values), None, values
    parts = spec.split(":")
    if len(parts) not in (2, 3) or (need_step and len(parts) != 3):
        raise UsageError(f"{where}: expected START:STOP:STEP (or v1,v2,...), e.g. 0.2:0.8:0.1")
    start, stop = _number(parts[0], where), _number(parts[1], where)
    step = _number(parts[2], where) if len(parts) == 3 else None
    if stop < start:
        raise UsageError(f"{where}: stop {stop:g} is below start {start:g}")
    if step is not None and (step <= 0 or not math.isfinite(step)):
        raise UsageError(f"{where}: step must be positive, got {step:g}")
    return key, start, stop, step, None


def axis(text: str) -> Axis:
    """An ``Axis`` from ``key.path=start:stop:step`` (stop included) or ``key.path=v1,v2``."""
    key, start, stop, step, values = parse_vary(text)
    if values is None:
        if step is None:  # pragma: no cover - parse_vary requires a step unless values are listed
            raise UsageError(f"`vary` {text}: expected START:STOP:STEP")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        if count > MAX_GRID_CELLS:
            raise UsageError(f"`vary` {text}: {count:,} values; at most {MAX_GRID_CELLS:,}")
        values = [start + i * step for i in range(count)]
    return Axis(key, tuple(_clean(v) for v in values))


def _variant(scenario: Scenario, assignments: dict[str, float]) -> Scenario:
    return scenario.with_overrides(
        *(f"{k}={_clean(v)!r}" for k, v in assignments.items()), option="--vary"
    )


@dataclass(frozen=True)
class _PointRun:
    """What every grid point shares (sent once to each worker)."""

    scenario: Scenario
    target: int
    year: int
    paths: int
    seed: int
    jobs: int


def _sweep_point(
    shared: _PointRun, point: dict[str, float]
) -> tuple[float, float, float, float, float]:
    """One grid point: (P(>= target), its s.e., p10, p50, p90 of the year). Module-level so a
    process pool or Dask worker can run it."""
    res = simulate(
        _variant(shared.scenario, point), paths=shared.paths, seed=shared.seed, jobs=shared.jobs
    )
    k, t = res._index(shared.target, shared.year)
    p10, p50, p90 = (res.quantile(q, shared.year) for q in (10, 50, 90))
    return res.prob_ge[k, t], res.se_ge[k, t], p10, p50, p90


@dataclass
class Sweep(TabularMixin):
    """P(units >= target in year), its s.e. and quantiles of that year over a grid of values."""

    scenario: str
    target: int
    year: int
    paths: int
    seed: int
    axes: list[Axis]
    prob: np.ndarray  # shape (len(axis 0),) or (len(axis 0), len(axis 1))
    se: np.ndarray
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray

    def columns(self) -> list[str]:
        keys = [a.key for a in self.axes]
        return keys + ["target", "year", "prob_ge", "se_ge", "p10", "p50", "p90"]

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for index in np.ndindex(self.prob.shape):
            row: dict[str, Any] = {
                a.key: a.values[i] for a, i in zip(self.axes, index, strict=True)
            }
            row.update(
                target=self.target,
                year=self.year,
                prob_ge=round(float(self.prob[index]), 6),
                se_ge=round(float(self.se[index]), 6),
                p10=round(float(self.p10[index])),
                p50=round(float(self.p50[index])),
                p90=round(float(self.p90[index])),
            )
            out.append(row)
        return out

    def metadata(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "target": self.target,
            "year": self.year,
            "paths": self.paths,
            "seed": self.seed,
            "keys": [a.key for a in self.axes],
        }

    def document(self) -> dict[str, Any]:
        """The settings and one entry per grid point."""
        return {"metadata": self.metadata(), "rows": self.rows()}


def sweep(
    scenario: Scenario,
    axes: Sequence[Axis | str],
    *,
    target: int | None = None,
    year: int | None = None,
    paths: int | None = DEFAULT_PATHS,
    seed: int | None = None,
    jobs: int = 1,
    executor: str | Executor = "processes",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Sweep:
    """Simulate every point of a one- or two-key grid with the same seed and path count.

    ``axes`` are ``Axis`` objects or ``key.path=start:stop:step`` strings. ``paths=None`` uses the
    scenario's (the default is a lighter 20,000 a point). With ``jobs`` > 1 the grid points are
    spread over ``jobs`` workers of ``executor`` (processes by default: a point's time is mostly
    Python, which threads cannot run at once); the result is the same to the byte.
    """

    grid = [a if isinstance(a, Axis) else axis(a) for a in axes]
    if not 1 <= len(grid) <= 2:
        raise UsageError(f"sweep varies one or two keys, got {len(grid)}")
    if len(grid) == 2 and grid[0].key == grid[1].key:
        raise UsageError(f"`vary` {grid[0].key} is given twice")
    shape = tuple(len(a.values) for a in grid)
    if math.prod(shape) > MAX_GRID_CELLS:
        raise UsageError(f"the grid has {math.prod(shape):,} points; at most {MAX_GRID_CELLS:,}")
    scenario, target, year = resolve_target_year(scenario, target, year)
    seed = scenario.spec.simulation.seed if seed is None else int(seed)
    paths = scenario.spec.simulation.paths if paths is None else int(paths)
    prob, se, p10, p50, p90 = (np.empty(shape) for _ in range(5))
    cells = list(np.ndindex(shape))
    points = [{a.key: a.values[i] for a, i in zip(grid, index, strict=True)} for index in cells]
    outer, inner = split_jobs(jobs, len(points))
    shared = _PointRun(scenario, target, year, paths, seed, inner)
    for index, values in zip(
        cells,
        map_runs(
            _sweep_point,
            shared,
            points,
            jobs=outer,
            executor=executor,
            scheduler=scheduler,
            progress=progress,
        ),
        strict=True,
    ):
        prob[index], se[index], p10[index], p50[index], p90[index] = values
    return Sweep(scenario.name, target, year, paths, seed, grid, prob, se, p10, p50, p90)


# --------------------------------------------------------------------------- break-even


@dataclass
class BreakEven(TabularMixin):
    """The value of ``key`` at which P(units >= target in year) reaches ``level``.

    ``value`` is the bisection's answer (within ``xtol`` of the crossing of the simulated,
    common-random-number probability curve); ``se`` is its Monte Carlo standard error by the
    delta method: s.e. of the probability at the level divided by the curve's slope there.
    """

    scenario: str
    key: str
    target: int
    year: int
    level: float
    value: float
    prob: float
    se: float
    slope: float
    xtol: float
    bracket: tuple[float, float]
    paths: int
    seed: int
    steps: list[tuple[float, float]] = field(default_factory=list)  # (value, probability) tried

    COLUMNS = (
        "key",
        "target",
        "year",
        "level",
        "value",
        "se",
        "prob_ge",
        "slope",
        "xtol",
        "bracket_low",
        "bracket_high",
        "evaluations",
        "paths",
        "seed",
    )

    def columns(self) -> list[str]:
        return list(self.COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "key": self.key,
                "target": self.target,
                "year": self.year,
                "level": self.level,
                "value": round(self.value, 6),
                "se": round(self.se, 6),
                "prob_ge": round(self.prob, 6),
                "slope": round(self.slope, 6),
                "xtol": self.xtol,
                "bracket_low": self.bracket[0],
                "bracket_high": self.bracket[1],
                "evaluations": len(self.steps),
                "paths": self.paths,
                "seed": self.seed,
            }
        ]

    def document(self) -> dict[str, Any]:
        """The one row flattened, with the scenario and every bisection step."""
        return {
            "scenario": self.scenario,
            **self.rows()[0],
            "steps": [{"value": round(v, 9), "prob_ge": round(p, 6)} for v, p in self.steps],
        }


def solve(
    scenario: Scenario,
    vary: str,
    *,
    target: int | None = None,
    year: int | None = None,
    level: float = 0.5,
    paths: int | None = DEFAULT_PATHS,
    seed: int | None = None,
    xtol: float | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> BreakEven:
    """Bisect ``key`` over [start, stop] (``vary`` = ``key.path=start:stop[:step]``) for the value
    where P(units >= target in year) first reaches ``level``.

    Every evaluation uses the same seed and paths, so the simulated probability is one fixed
    step function of the value (monotone when the key acts monotonically, as a growth rate does)
    and bisection converges to its crossing. ``xtol`` defaults to 1e-4 of the bracket's largest
    magnitude. Raises ``UsageError`` when the level is not crossed within the bracket.
    """

    key, lo, hi, _, values = parse_vary(vary, need_step=False)
    if values is not None:
        raise UsageError(f"`vary` {vary}: `solve` needs a range START:STOP to search")
    if not 0 < level < 1:
        raise UsageError(f"`level` must be between 0 and 1, got {level}")
    if hi <= lo:
        raise UsageError(f"`vary` {vary}: `solve` needs START < STOP")
    scenario, target, year = resolve_target_year(scenario, target, year)
    seed = scenario.spec.simulation.seed if seed is None else int(seed)
    paths = scenario.spec.simulation.paths if paths is None else int(paths)
    xtol = 1e-4 * max(abs(lo), abs(hi)) if xtol is None else float(xtol)
    if xtol <= 0:
        raise UsageError(f"xtol must be positive, got {xtol}")
    budget = 4 + max(1, math.ceil(math.log2((hi - lo) / xtol)))
    steps: list[tuple[float, float]] = []

    def prob_at(value: float) -> float:
        res = simulate(_variant(scenario, {key: value}), paths=paths, seed=seed, jobs=jobs)
        p = res.probability(target, year)
        steps.append((value, p))
        if progress:
            progress(len(steps), budget)
        return p

    p_lo, p_hi = prob_at(lo), prob_at(hi)
    if (p_lo >= level) == (p_hi >= level):
        raise UsageError(
            f"`vary` {vary}: P(>= {target:,} in {year}) goes from {p_lo:.3f} to {p_hi:.3f} over "
            f"the range, so it does not cross {level:g}; widen the range"
        )
    rising = p_hi >= level
    a, b = lo, hi  # invariant: P(a) on the 'below' side, P(b) on the 'at or above' side
    if not rising:
        a, b = hi, lo
    while abs(b - a) > xtol:
        mid = 0.5 * (a + b)
        if prob_at(mid) >= level:
            b = mid
        else:
            a = mid
    value = b
    h = max((hi - lo) / 20, xtol)
    left, right = max(lo, value - h), min(hi, value + h)
    slope = (prob_at(right) - prob_at(left)) / (right - left)
    p_value = next(p for v, p in steps if v == value)
    se_p = float(binomial_se(level, paths))
    se = se_p / abs(slope) if slope else math.inf
    return BreakEven(
        scenario.name,
        key,
        target,
        year,
        level,
        float(value),
        p_value,
        se,
        slope,
        xtol,
        (lo, hi),
        paths,
        seed,
        steps,
    )


# --------------------------------------------------------------------------- rendering


__all__ = [
    "Axis",
    "BreakEven",
    "Sweep",
    "axis",
    "parse_vary",
    "solve",
    "sweep",
]
