"""The vectorised Monte Carlo engine.

Paths are simulated in canonical chunks of ``CHUNK`` paths; chunk ``i`` draws only from streams
keyed by (seed, i, input name). Chunks are reduced to counts, sums and float32 totals as they
finish, so the result depends on (scenario, paths, seed) alone: not on block size or workers.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .distributions import DistBase, Fixed
from .errors import LeapforecastError
from .results import QUANTILES, SimulationResult
from .sampling import copula_factor, correlate, design, stream
from .scenario import Scenario

CHUNK = 16_384
MAX_PATHS = 50_000_000
# float32 values kept for exact quantiles: paths x years x (1 + segments when there are several).
# 500M cells is 2 GB; beyond it a run is refused before any work rather than exhausting memory.
MAX_CELLS = 500_000_000
# Demand never exceeds 1e15 units a year (far beyond any market) and log growth is clipped to
# +-50 a year, so absurd inputs give large finite numbers instead of inf and NaN.
MAX_LEVEL = 1e15
MAX_LOG_GROWTH = 50.0


@dataclass
class _Segment:
    name: str
    base: float
    rate: str
    volatility: str
    fade_to: str | None
    half_life: float
    ceiling: str | None


@dataclass
class _Event:
    name: str
    first: int
    last: int
    probability: float
    kind: str
    impact: str
    permanent: bool
    segments: list[int]


@dataclass
class Plan:
    """A scenario compiled to what the engine needs: named inputs and the structure around them."""

    scenario: Scenario
    years: list[int]
    targets: list[int]
    inputs: dict[str, DistBase]
    segments: list[_Segment]
    events: list[_Event]
    capacity_kind: str | None  # None, "growth" or "schedule"
    schedule_keys: list[str | None] = field(default_factory=list)
    copula: tuple[list[int], np.ndarray] | None = None
    condition: Any = None  # callable(first_year_sales, rng) -> conditioned sales

    @property
    def uncertain(self) -> list[str]:
        return [n for n, d in self.inputs.items() if not d.is_fixed]


def compile_plan(scenario: Scenario, *, fixed: dict[str, float] | None = None) -> Plan:
    """Name every path-level input and resolve segments, events and capacity.

    ``fixed`` pins named inputs to a value (used by sensitivity analysis).
    """
    spec = scenario.spec
    inputs: dict[str, DistBase] = {}

    def add(name: str, dist: DistBase) -> str:
        inputs[name] = dist
        return name

    base_total = scenario.base_units
    raw_segments = spec.segment or {"total": None}
    segments: list[_Segment] = []
    known = sum(
        (s.base if s.base is not None else s.share * base_total)
        for s in spec.segment.values()
        if s is not None and (s.base is not None or s.share is not None)
    )
    for seg_name, seg in raw_segments.items():
        prefix = "" if seg is None else f"segment.{seg_name}."
        growth = spec.growth if seg is None or seg.growth is None else seg.growth
        if seg is not None and seg.growth is None:
            prefix_g = ""  # inherits the top-level growth and shares its draws
        else:
            prefix_g = prefix
        if seg is None:
            base = base_total
        elif seg.base is not None:
            base = seg.base
        elif seg.share is not None:
            base = seg.share * base_total
        else:
            base = base_total - known
            if base < 0:
                raise LeapforecastError(
                    f"segment.{seg_name}: the other segments' bases ({known:,.0f}) exceed the base "
                    f"year's total ({base_total:,.0f}), so nothing remains for it"
                )
        saturation = spec.saturation if seg is None else seg.saturation
        segments.append(
            _Segment(
                name=seg_name,
                base=float(base),
                rate=add(f"{prefix_g}growth.rate", growth.rate),
                volatility=add(f"{prefix_g}growth.volatility", growth.volatility),
                fade_to=add(f"{prefix_g}growth.fade.to", growth.fade.to) if growth.fade else None,
                half_life=growth.fade.half_life if growth.fade else math.inf,
                ceiling=(
                    add(f"{prefix}saturation.ceiling", saturation.ceiling) if saturation else None
                ),
            )
        )
    names = [s.name for s in segments]
    events = []
    for ev in spec.event:
        impact = add(f"event.{ev.name}.impact", ev.impact)
        if ev.probability < 1:
            inputs[f"event.{ev.name}.occurs"] = _UNIFORM
        first, last = ev.years
        if last > first:
            inputs[f"event.{ev.name}.year"] = _UNIFORM
        events.append(
            _Event(
                ev.name,
                first,
                last,
                ev.probability,
                ev.kind,
                impact,
                ev.persistence == "permanent",
                list(range(len(segments))) if ev.segment is None else [names.index(ev.segment)],
            )
        )
    cap = spec.capacity
    capacity_kind = None
    schedule_keys: list[str | None] = []
    years = scenario.years
    if cap is not None and cap.units is not None:
        capacity_kind = "growth"
        add("capacity.units", cap.units)
        add("capacity.growth", cap.growth)
    elif cap is not None:
        capacity_kind = "schedule"
        for key, dist in cap.schedule.items():
            add(f"capacity.schedule.{key}", dist)
        last_key: str | None = None
        for y in years:
            if str(y) in cap.schedule:
                last_key = str(y)
            schedule_keys.append(last_key)
    for name, value in (fixed or {}).items():
        if name not in inputs:
            raise LeapforecastError(f"no input named '{name}' to fix")
        inputs[name] = Fixed(value=float(value))
    uncertain = [n for n, d in inputs.items() if not d.is_fixed]
    pairs = [
        (c.between[0], c.between[1], c.rho)
        for c in spec.correlation
        if c.between[0] in uncertain and c.between[1] in uncertain
    ]
    plan = Plan(
        scenario, years, scenario.targets, inputs, segments, events, capacity_kind, schedule_keys
    )
    plan.copula = copula_factor(uncertain, pairs)
    return plan


class _UniformDist(Fixed):
    """Marker for a raw uniform input (event occurrence, event year): ppf is the identity."""

    @property
    def is_fixed(self) -> bool:
        return False

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(u, float)


_UNIFORM = _UniformDist(value=0.5)


@dataclass
class ChunkOut:
    """What one chunk contributes to the result."""

    n: int
    totals: np.ndarray  # (T, n) float32 sales
    sums: np.ndarray  # (T,) float64
    count_ge: np.ndarray  # (K, T)
    first_reached: np.ndarray  # (K, T) first year counts
    bound: np.ndarray  # (T,) capacity-bound counts
    fired: np.ndarray  # (E,) event fired counts
    seg_totals: np.ndarray | None  # (S, T, n) float32
    inputs: dict[str, np.ndarray] | None = None


def draw_inputs(
    plan: Plan, n: int, *, seed: int, chunk: int, sampling: str
) -> dict[str, np.ndarray]:
    """Path-level inputs of one chunk: uniforms from the design, correlated, then ``ppf``."""
    uncertain = plan.uncertain
    u = design(uncertain, n, seed=seed, chunk=chunk, method=sampling)
    if plan.copula is not None:
        correlate(u, *plan.copula)
    values: dict[str, np.ndarray] = {}
    for name, dist in plan.inputs.items():
        if dist.is_fixed:
            values[name] = np.full(n, dist.ppf(np.zeros(1))[0])
        else:
            values[name] = dist.ppf(u[:, uncertain.index(name)])
    return values


def simulate_chunk(
    plan: Plan, chunk: int, n: int, *, seed: int, sampling: str, keep_inputs: bool = False
) -> ChunkOut:
    """Simulate ``n`` paths of chunk ``chunk``; vectorised over paths, a loop over years."""
    T, S = len(plan.years), len(plan.segments)
    x = draw_inputs(plan, n, seed=seed, chunk=chunk, sampling=sampling)
    level = np.empty((S, n))
    for s, seg in enumerate(plan.segments):
        level[s] = seg.base
    noise = [
        stream(seed, chunk, f"noise.{seg.name}").standard_normal((T, n)) for seg in plan.segments
    ]
    occurs: list[np.ndarray] = []
    event_year: list[np.ndarray] = []
    for ev in plan.events:
        u_occ = x.get(f"event.{ev.name}.occurs")
        occurs.append(np.ones(n, bool) if u_occ is None else u_occ < ev.probability)
        u_year = x.get(f"event.{ev.name}.year")
        span = ev.last - ev.first + 1
        event_year.append(
            np.full(n, ev.first)
            if u_year is None
            else ev.first + np.minimum((u_year * span).astype(np.int64), span - 1)
        )
    totals = np.empty((T, n), np.float32)  # year-major: each year's paths are contiguous
    seg_totals = np.empty((S, T, n), np.float32) if S > 1 else None
    targets = np.asarray(plan.targets, np.float64)[:, None]
    sums = np.zeros(T)
    count_ge = np.zeros((len(plan.targets), T), np.int64)
    count_first = np.zeros((len(plan.targets), T), np.int64)
    not_yet = np.ones((len(plan.targets), n), bool)
    bound = np.zeros(T, np.int64)
    fired = np.zeros(len(plan.events), np.int64)
    if plan.capacity_kind == "growth":
        cap = x["capacity.units"].copy()
        cap_growth = x["capacity.growth"]
    # without fade the log growth of the trend is the same every year: compute it once
    steady = [
        None if seg.fade_to is not None else np.log1p(np.maximum(x[seg.rate], -0.99))
        for seg in plan.segments
    ]
    for t, year in enumerate(plan.years):
        for s, seg in enumerate(plan.segments):
            if steady[s] is None:
                long_run = x[seg.fade_to]
                rate = long_run + (x[seg.rate] - long_run) * 0.5 ** (t / seg.half_life)
                g = np.log1p(np.maximum(rate, -0.99))
            else:
                g = steady[s].copy()
            g += x[seg.volatility] * noise[s][t]
            if seg.ceiling is not None:
                room = np.clip(1.0 - level[s] / x[seg.ceiling], 0.0, None)
                g = np.where(g > 0, g * room, g)
            np.clip(g, -MAX_LOG_GROWTH, MAX_LOG_GROWTH, out=g)
            np.exp(g, out=g)
            level[s] *= g
            np.minimum(level[s], MAX_LEVEL, out=level[s])
        one_mult = one_add = None
        for e, ev in enumerate(plan.events):
            if not ev.first <= year <= ev.last:
                continue
            hit = occurs[e] & (event_year[e] == year)
            fired[e] += int(np.count_nonzero(hit))
            impact = np.where(hit, x[ev.impact], 0.0)
            for s in ev.segments:
                if ev.permanent and ev.kind == "multiply":
                    level[s] *= 1.0 + impact
                elif ev.permanent:
                    level[s] = np.clip(level[s] + impact / len(ev.segments), 0.0, MAX_LEVEL)
                elif ev.kind == "multiply":
                    one_mult = np.ones((S, n)) if one_mult is None else one_mult
                    one_mult[s] *= 1.0 + impact
                else:
                    one_add = np.zeros((S, n)) if one_add is None else one_add
                    one_add[s] += impact / len(ev.segments)
        if one_mult is None and one_add is None:
            demand = level.copy() if S > 1 or t == 0 and plan.condition is not None else level
        else:
            demand = level * one_mult if one_mult is not None else level.copy()
            if one_add is not None:
                demand += one_add
            np.clip(demand, 0.0, MAX_LEVEL, out=demand)
        total = demand.sum(axis=0) if S > 1 else demand[0]
        if plan.capacity_kind is not None:
            if plan.capacity_kind == "growth":
                if t > 0:
                    cap = cap * (1.0 + cap_growth)
                capacity = cap
            else:
                key = plan.schedule_keys[t]
                capacity = x[f"capacity.schedule.{key}"] if key is not None else np.full(n, np.inf)
            bound[t] = int(np.count_nonzero(total > capacity))
            sales = np.minimum(total, capacity)
        else:
            sales = total
        if t == 0 and plan.condition is not None:
            # Year-to-date actuals: the first year's sales become their conditioned value
            # (actuals + the nowcast of the remaining months), and the demand level that later
            # years grow from moves by the same proportion.
            rng = stream(seed, chunk, "actuals")
            conditioned = np.asarray(plan.condition(sales.copy(), rng), float)
            ratio = np.divide(conditioned, sales, out=np.ones(n), where=sales > 0)
            level *= ratio
            demand = demand * ratio
            total = total * ratio
            sales = conditioned
        scale = np.divide(sales, total, out=np.ones(n), where=total > 0) if S > 1 else None
        # reduce in float64 before storing the float32 copy kept for quantiles
        totals[t] = sales
        sums[t] = sales.sum()
        ge = sales[None, :] >= targets  # (K, n)
        count_ge[:, t] = np.count_nonzero(ge, axis=1)
        count_first[:, t] = np.count_nonzero(ge & not_yet, axis=1)
        not_yet &= ~ge
        if seg_totals is not None:
            seg_totals[:, t, :] = demand * scale if scale is not None else demand
    return ChunkOut(
        n=n,
        totals=totals,
        sums=sums,
        count_ge=count_ge,
        first_reached=count_first,
        bound=bound,
        fired=fired,
        seg_totals=seg_totals,
        inputs=x if keep_inputs else None,
    )


def chunk_sizes(paths: int) -> list[int]:
    full, rest = divmod(paths, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


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

    from .executors import run_chunks

    outs = run_chunks(
        plan,
        sizes,
        seed=seed,
        sampling=sim.sampling,
        keep_inputs=keep_inputs,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        progress=progress,
    )
    return reduce_chunks(plan, outs, paths=paths, seed=seed, jobs=jobs)


def _quantiles(values: np.ndarray, jobs: int = 1) -> np.ndarray:
    """Exact (linear-interpolated) quantiles of each year (row); rows in threads if asked."""
    probs = np.asarray(QUANTILES) / 100.0
    if jobs == 1 or values.shape[0] == 1:
        return np.quantile(values, probs, axis=1).astype(np.float64)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        rows = list(pool.map(lambda r: np.quantile(values[r], probs), range(values.shape[0])))
    return np.stack(rows, axis=1).astype(np.float64)


def reduce_chunks(
    plan: Plan, outs: list[ChunkOut], *, paths: int, seed: int, jobs: int = 1
) -> SimulationResult:
    """Combine chunk results in chunk order (so sums are the same whatever the grouping)."""
    scenario = plan.scenario
    totals = np.concatenate([o.totals for o in outs], axis=1) if len(outs) > 1 else outs[0].totals
    sums = np.zeros(len(plan.years))
    for o in outs:
        sums += o.sums
    qs = _quantiles(totals, jobs)
    seg_summary: dict[str, dict[str, np.ndarray]] = {}
    if outs[0].seg_totals is not None:
        for s, seg in enumerate(plan.segments):
            seg_all = np.concatenate([o.seg_totals[s] for o in outs], axis=1)
            seg_summary[seg.name] = {
                "mean": seg_all.astype(np.float64).mean(axis=1),
                "quantiles": _quantiles(seg_all, jobs),
            }
    inputs = None
    if outs[0].inputs is not None:
        inputs = {k: np.concatenate([o.inputs[k] for o in outs]) for k in outs[0].inputs}
    first = sum(o.first_reached for o in outs)
    return SimulationResult(
        scenario=scenario.name,
        years=list(plan.years),
        targets=list(plan.targets),
        paths=paths,
        seed=seed,
        sampling=scenario.spec.simulation.sampling,
        scenario_sha256=scenario.sha256,
        history_source=scenario.history.source,
        base_year=scenario.base_year,
        base_units=scenario.base_units,
        mean=sums / paths,
        quantiles=qs,
        count_ge=sum(o.count_ge for o in outs),
        count_first=first,
        capacity_bound=sum(o.bound for o in outs) if plan.capacity_kind else None,
        event_fired={
            ev.name: int(sum(o.fired[e] for o in outs)) for e, ev in enumerate(plan.events)
        },
        segments=seg_summary,
        totals=totals.T,  # (paths, T) view of the year-major array
        inputs=inputs,
    )
