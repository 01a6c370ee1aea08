"""The vectorised Monte Carlo engine.

Paths are simulated in canonical chunks of ``CHUNK`` paths; chunk ``i`` draws only from streams
keyed by (seed, i, input name). Chunks are reduced to counts, sums and float32 totals as they
finish, so the result depends on (scenario, paths, seed) alone: not on block size or workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from leapforecast.engine.plan import Plan
from leapforecast.engine.sampling import correlate, design, replicate_sizes, stream
from leapforecast.model.inputs import SegmentInputs

CHUNK = 65_536
# Demand never exceeds 1e15 units a year (far beyond any market) and log growth is clipped to
# +-50 a year, so absurd inputs give large finite numbers instead of inf and NaN.
MAX_LEVEL = 1e15
MAX_LOG_GROWTH = 50.0


@dataclass
class ChunkOut:
    """What one chunk contributes to the result."""

    n: int
    totals: np.ndarray | None  # (T, n) float32 sales; None: written into the run's Sink
    sums: np.ndarray  # (T,) float64
    count_ge: np.ndarray  # (K, T)
    first_reached: np.ndarray  # (K, T) first year counts
    bound: np.ndarray  # (T,) capacity-bound counts
    fired: np.ndarray  # (E,) event fired counts
    seg_totals: np.ndarray | None  # (S, T, n) float32 (None: one segment, or in the Sink)
    inputs: dict[str, np.ndarray] | None = None
    # Latin hypercube and Sobol runs only: each independent replicate block's size (R,) and its
    # counts (R, K, T) of paths >= target in a year and of paths that reached it by that year,
    # from which the Monte Carlo error is measured (results.replicate_se).
    rep_sizes: np.ndarray | None = None
    rep_ge: np.ndarray | None = None
    rep_reached: np.ndarray | None = None


Value = np.ndarray | float


def draw_inputs(
    plan: Plan,
    n: int,
    *,
    seed: int,
    chunk: int,
    sampling: str,
    arrays: bool = True,
    given: dict[str, np.ndarray] | None = None,
) -> dict[str, Value]:
    """Path-level inputs of one chunk: uniforms from the design, correlated, then ``ppf``.

    Fixed inputs are plain floats unless ``arrays`` asks for one value per path (as kept for
    sensitivity analysis); arithmetic with a float is cheaper than with a constant array.
    ``given`` supplies some inputs' values path by path (a Sobol design's points), in place of
    their draws; the other inputs are drawn exactly as without it.
    """
    uncertain = plan.uncertain
    u = design(uncertain, n, seed=seed, chunk=chunk, method=sampling)
    if plan.copula is not None:
        correlate(u, *plan.copula)
    row = {name: j for j, name in enumerate(uncertain)}
    values: dict[str, Value] = {}
    for name, dist in plan.inputs.items():
        if given is not None and name in given:
            values[name] = np.asarray(given[name], float).reshape(n)
        elif dist.is_fixed:
            value = float(dist.ppf(np.zeros(1))[0])
            values[name] = np.full(n, value) if arrays else value
        else:
            values[name] = dist.ppf(u[row[name]])
    return values


def _bounds(plan: Plan, name: str | None) -> tuple[float, float]:
    """The range an input can take, or (-inf, inf) when the input cannot say."""
    if name is None:
        return (0.0, 0.0)
    try:
        lo, hi = plan.inputs[name].bounds()
    except (AttributeError, NotImplementedError):
        return (-math.inf, math.inf)
    return (float(lo), float(hi)) if lo <= hi else (-math.inf, math.inf)


class _Growth:
    """One segment's log growth, year by year.

    The guards against absurd inputs (a rate below -99%, log growth beyond +-50 a year, demand
    beyond ``MAX_LEVEL``) cost a pass over the paths each; they are applied only when the
    inputs' bounds and this chunk's largest noise draw say they could bite, so sane scenarios
    skip them and get the same numbers.
    """

    def __init__(self, plan: Plan, seg: SegmentInputs, x: dict[str, Value], noise: np.ndarray):
        if seg.rate is None or seg.volatility is None:  # reference segments use _ReferenceGrowth
            raise ValueError(f"segment {seg.name}: no trend growth")
        self.noise = noise
        self.vol = x[seg.volatility]
        self.ceiling = x[seg.ceiling] if seg.ceiling is not None else None
        self.half_life = seg.half_life
        r_lo, r_hi = _bounds(plan, seg.rate)
        if seg.fade_to is not None:
            f_lo, f_hi = _bounds(plan, seg.fade_to)
            r_lo, r_hi = min(r_lo, f_lo), max(r_hi, f_hi)
        self.floor_rate = not r_lo >= -0.99
        v_lo, v_hi = _bounds(plan, seg.volatility)
        z = max(float(noise.max()), -float(noise.min()))
        spread = max(abs(v_lo), abs(v_hi)) * z
        g_lo, g_hi = math.log1p(max(r_lo, -0.99)), math.log1p(max(r_hi, -0.99))
        self.clip = not max(abs(g_lo), abs(g_hi)) + spread <= MAX_LOG_GROWTH
        # the largest factor by which demand can grow in a year (for the MAX_LEVEL guard), with
        # room for float32 rounding of the noise factor
        self.up = math.inf
        if math.isfinite(spread):
            self.up = math.exp(min(g_hi + spread, MAX_LOG_GROWTH)) * (1 + 1e-6)
        rate = x[seg.rate]
        if self.floor_rate:
            rate = np.maximum(rate, -0.99)
        self.steady: Value | None = None
        # Usually no guard can bind, and exp(log1p(r) + v z) = (1 + r) exp(v z): the noise
        # factors of every year are one exp over the chunk, and no log1p is needed.
        self.product = self.ceiling is None and not self.clip
        if self.product:
            self.shock = self.vol * noise
            np.exp(self.shock, out=self.shock)
        if seg.fade_to is None:
            self.steady = 1.0 + rate if self.product else np.log1p(rate)
        else:
            self.long_run = x[seg.fade_to]
            self.gap = rate - self.long_run
            self.one_plus_long = 1.0 + self.long_run

    def grow(self, t: int, level: np.ndarray) -> None:
        """Multiply this segment's demand level by year ``t``'s growth, in place."""
        if self.product:
            if self.steady is not None:
                trend = self.steady
            else:  # 1 + the faded rate, at least 0.01
                trend = self.gap * 0.5 ** (t / self.half_life) + self.one_plus_long
                if self.floor_rate:
                    trend = np.maximum(trend, 0.01)
            level *= self.shock[t]
            level *= trend
            return
        if self.steady is not None:
            trend = self.steady
        else:
            trend = self.gap * 0.5 ** (t / self.half_life) + self.long_run
            trend = np.log1p(np.maximum(trend, -0.99) if self.floor_rate else trend)
        g = np.multiply(self.vol, self.noise[t], dtype=np.float64)
        g += trend
        if self.ceiling is not None:
            room = np.clip(1.0 - level / self.ceiling, 0.0, None)
            # growth (not decline) slows as demand nears the ceiling; min/max, not a branch
            room *= np.maximum(g, 0.0)
            g = np.minimum(g, 0.0, out=g)
            g += room
        if self.clip:
            np.clip(g, -MAX_LOG_GROWTH, MAX_LOG_GROWTH, out=g)
        level *= np.exp(g, out=g)


class _ReferenceGrowth:
    """One segment's log growth under the reference model, year by year:
    ``g = a + b * (ln level - ln L0) + sigma * noise[t]``, with ``(a, b, sigma)`` drawn once per
    path from the pooled fit's posterior (``a, b = mean + sigma * chol @ (z1, z2)``), so growth
    slows as the level rises. A path whose drawn slope is positive accelerates instead: the
    log-growth clip and the ``MAX_LEVEL`` bound keep it finite (``up`` is infinite so that the
    bound is always applied).
    """

    up = math.inf

    def __init__(self, seg: SegmentInputs, x: dict[str, Value], noise: np.ndarray):
        ref = seg.reference
        if ref is None:  # compile_plan builds this class only for reference segments
            raise ValueError(f"segment {seg.name}: no reference growth")
        self.noise = noise
        sigma, z1, z2 = x[ref.sigma], x[ref.z1], x[ref.z2]
        l00, l10, l11 = ref.chol
        self.sigma = sigma
        self.a = ref.mean[0] + sigma * (l00 * z1)
        self.b = ref.mean[1] + sigma * (l10 * z1 + l11 * z2)
        self.ln_l0 = math.log(ref.L0)
        self.ceiling = x[seg.ceiling] if seg.ceiling is not None else None

    def grow(self, t: int, level: np.ndarray) -> None:
        """Multiply this segment's demand level by year ``t``'s growth, in place."""
        g = np.multiply(self.sigma, self.noise[t], dtype=np.float64)
        # a level an event took to 0 stays 0 (its log is floored, the growth clipped)
        scale = np.log(np.maximum(level, 1e-300))
        scale -= self.ln_l0
        scale *= self.b
        g += scale
        g += self.a
        if self.ceiling is not None:
            room = np.clip(1.0 - level / self.ceiling, 0.0, None)
            room *= np.maximum(g, 0.0)
            g = np.minimum(g, 0.0, out=g)
            g += room
        np.clip(g, -MAX_LOG_GROWTH, MAX_LOG_GROWTH, out=g)
        level *= np.exp(g, out=g)


def simulate_chunk(
    plan: Plan,
    chunk: int,
    n: int,
    *,
    seed: int,
    sampling: str,
    keep_inputs: bool = False,
    totals: np.ndarray | None = None,
    seg_totals: np.ndarray | None = None,
    given: dict[str, np.ndarray] | None = None,
) -> ChunkOut:
    """Simulate ``n`` paths of chunk ``chunk``; vectorised over paths, a loop over years.

    ``totals`` may be a (T, n) float32 array to fill in place (a slice of the whole run's array,
    which saves a copy when chunks run in this process), and ``seg_totals`` likewise the
    (S, T, n) per-segment units of a run with several segments; ``given`` fixes some inputs
    path by path (see ``draw_inputs``).
    """
    T, S, K = len(plan.years), len(plan.segments), len(plan.targets)
    x = draw_inputs(
        plan, n, seed=seed, chunk=chunk, sampling=sampling, arrays=keep_inputs, given=given
    )
    level = np.empty((S, n))
    growth: list[_Growth | _ReferenceGrowth] = []
    for s, seg in enumerate(plan.segments):
        level[s] = seg.base
        noise = stream(seed, chunk, f"noise.{seg.name}").standard_normal((T, n), dtype=np.float32)
        growth.append(
            _ReferenceGrowth(seg, x, noise)
            if seg.reference is not None
            else _Growth(plan, seg, x, noise)
        )
    # a bound on demand, to skip the MAX_LEVEL guard while it cannot bind
    level_hi = [seg.base for seg in plan.segments]
    occurs: list[np.ndarray | None] = []
    event_year: list[np.ndarray | None] = []
    for ev in plan.events:
        # (pinned by sensitivity analysis, these are one float for every path)
        u_occ = x.get(f"event.{ev.name}.occurs")
        occurs.append(None if u_occ is None else np.broadcast_to(u_occ < ev.probability, (n,)))
        u_year = x.get(f"event.{ev.name}.year")
        span = ev.last - ev.first + 1
        event_year.append(
            None
            if u_year is None
            else ev.first
            + np.minimum((np.broadcast_to(u_year, (n,)) * span).astype(np.int64), span - 1)
        )
    if totals is None:
        totals = np.empty((T, n), np.float32)  # year-major: each year's paths are contiguous
    if S == 1:
        seg_totals = None
    elif seg_totals is None:
        seg_totals = np.empty((S, T, n), np.float32)
    targets = [float(k) for k in plan.targets]
    sums = np.zeros(T)
    count_ge = np.zeros((K, T), np.int64)
    count_first = np.zeros((K, T), np.int64)
    peak = np.full(n, -np.inf)  # each path's best year so far: first reaching k <=> peak crosses k
    reached = np.zeros(K, np.int64)
    bound = np.zeros(T, np.int64)
    fired = np.zeros(len(plan.events), np.int64)
    # replicate blocks of a Latin hypercube or Sobol design: sizes, start offsets, ge, reached
    reps: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    if sampling != "random":
        rep_sizes = np.asarray(replicate_sizes(n), np.int64)
        R = len(rep_sizes)
        reps = (
            rep_sizes,
            np.concatenate([[0], np.cumsum(rep_sizes)[:-1]]),
            np.zeros((R, K, T), np.int64),
            np.zeros((R, K, T), np.int64),
        )
    if plan.capacity_kind == "growth":
        # one value per path (a copy: it grows in place), even when the units are fixed
        cap = np.broadcast_to(x["capacity.units"], (n,)).astype(float)
        cap_factor = 1.0 + x["capacity.growth"]
    for t, year in enumerate(plan.years):
        for s in range(S):
            growth[s].grow(t, level[s])
            level_hi[s] *= growth[s].up
            if not level_hi[s] <= MAX_LEVEL:
                np.minimum(level[s], MAX_LEVEL, out=level[s])
        one_mult = one_add = None
        for e, ev in enumerate(plan.events):
            # an event acts in the year it happens and, when dated to a month or fading, in
            # the years after (offset j: it happened in year - j)
            reach = max(len(ev.fractions), (ev.permanent_from or 0) + 1)
            for j in range(reach):
                if not ev.first <= year - j <= ev.last:
                    continue
                frac = ev.fractions[j] if j < len(ev.fractions) else None
                shift = ev.permanent_from == j
                if frac is None and not shift:
                    continue
                hit = occurs[e]
                years_e = event_year[e]
                if years_e is not None:
                    in_year: np.ndarray = years_e == year - j
                    hit = in_year if hit is None else hit & in_year
                if j == 0:
                    fired[e] += n if hit is None else int(np.count_nonzero(hit))
                # the impact where the event happens, 0 elsewhere (a product: no branch per path)
                impact = x[ev.impact] if hit is None else np.multiply(x[ev.impact], hit)
                part = impact if frac is None or frac == 1.0 else impact * frac
                for s in ev.segments:
                    if shift and ev.kind == "multiply":
                        level[s] *= 1.0 + impact
                        lo, hi = _bounds(plan, ev.impact)
                        level_hi[s] *= max(abs(1.0 + lo), abs(1.0 + hi), 1.0)
                    elif shift:
                        level[s] = np.clip(level[s] + impact / len(ev.segments), 0.0, MAX_LEVEL)
                        level_hi[s] = math.inf
                    if frac is None:
                        continue
                    if ev.kind == "multiply":
                        one_mult = np.ones((S, n)) if one_mult is None else one_mult
                        one_mult[s] *= 1.0 + part
                    else:
                        one_add = np.zeros((S, n)) if one_add is None else one_add
                        one_add[s] += part / len(ev.segments)
        if one_mult is None and one_add is None:
            # a copy only where the level moves before demand is last read (conditioning)
            demand = level.copy() if t == 0 and plan.condition is not None else level
        else:
            demand = level * one_mult if one_mult is not None else level.copy()
            if one_add is not None:
                demand += one_add
            np.clip(demand, 0.0, MAX_LEVEL, out=demand)
        total = demand.sum(axis=0) if S > 1 else demand[0]
        if plan.capacity_kind is not None:
            if plan.capacity_kind == "growth":
                if t > 0:
                    with np.errstate(over="ignore"):  # capacity beyond float range: no cap
                        cap *= cap_factor
                capacity: Value = cap
            else:
                key = plan.schedule_keys[t]
                capacity = x[f"capacity.schedule.{key}"] if key is not None else math.inf
            bound[t] = int(np.count_nonzero(total > capacity))
            # nothing above capacity: min(total, capacity) is total, value for value
            sales = np.minimum(total, capacity) if bound[t] else total
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
            level_hi = [math.inf] * S
            demand = demand * ratio
            total = total * ratio
            sales = conditioned
        # reduce in float64 before storing the float32 copy kept for quantiles
        totals[t] = sales
        sums[t] = sales.sum()
        np.maximum(peak, sales, out=peak)
        for k, target in enumerate(targets):
            if reps is None:
                count_ge[k, t] = np.count_nonzero(sales >= target)
                now = np.count_nonzero(peak >= target)
            else:  # the same counts, block by block
                _, edges, rep_ge, rep_reached = reps
                rep_ge[:, k, t] = np.add.reduceat(sales >= target, edges, dtype=np.int64)
                rep_reached[:, k, t] = np.add.reduceat(peak >= target, edges, dtype=np.int64)
                count_ge[k, t] = rep_ge[:, k, t].sum()
                now = rep_reached[:, k, t].sum()
            count_first[k, t] = now - reached[k]
            reached[k] = now
        if seg_totals is not None:
            if sales is total:  # nothing capped or conditioned: each segment sells its demand
                seg_totals[:, t, :] = demand
            else:
                scale = np.divide(sales, total, out=np.ones(n), where=total > 0)
                np.multiply(demand, scale, out=seg_totals[:, t, :])
    return ChunkOut(
        n=n,
        totals=totals,
        sums=sums,
        count_ge=count_ge,
        first_reached=count_first,
        bound=bound,
        fired=fired,
        seg_totals=seg_totals,
        inputs={k: np.asarray(v) for k, v in x.items()} if keep_inputs else None,
        rep_sizes=None if reps is None else reps[0],
        rep_ge=None if reps is None else reps[2],
        rep_reached=None if reps is None else reps[3],
    )


@dataclass(frozen=True)
class Sink:
    """A run's per-path outputs, which chunks fill in place: ``totals`` (T, paths) float32 and,
    with several segments, ``seg_totals`` (S, T, paths) float32. ``shared``: both live in
    memory that processes forked from this one write to as well."""

    totals: np.ndarray
    seg_totals: np.ndarray | None
    shared: bool = False

    def views(self, index: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Where chunk ``index`` (full chunks before it) writes: views of both arrays."""
        start = index * CHUNK
        stop = min(start + CHUNK, self.totals.shape[1])
        seg = None if self.seg_totals is None else self.seg_totals[:, :, start:stop]
        return self.totals[:, start:stop], seg


def chunk_sizes(paths: int) -> list[int]:
    """Sizes of the canonical chunks of a run of ``paths`` paths: full chunks, then the rest."""
    full, rest = divmod(paths, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


@dataclass
class ChunkTask:
    """One unit of work for an executor: chunk ``index`` of ``size`` paths.

    A task is small and picklable except for ``totals`` (an array to fill in place, given only
    to executors that run in this process); the plan travels separately, once per executor.
    """

    index: int
    size: int
    seed: int
    sampling: str
    keep_inputs: bool = False
    totals: np.ndarray | None = None
    seg_totals: np.ndarray | None = None
    given: dict[str, np.ndarray] | None = None


def run_task_into(shared: tuple[Plan, Sink], task: ChunkTask) -> ChunkOut:
    """The work function for workers that share this process's memory (forked processes): the
    chunk fills its part of the run's ``Sink`` and sends back only its counts and sums, not
    its per-path units (200 MB pickled at 10M paths x 5 years)."""
    plan, sink = shared
    totals, seg_totals = sink.views(task.index)
    out = run_task(plan, replace(task, totals=totals, seg_totals=seg_totals))
    return replace(out, totals=None, seg_totals=None)


def run_task(plan: Plan, task: ChunkTask) -> ChunkOut:
    """The work function handed to executors: simulate one chunk task of ``plan``."""
    return simulate_chunk(
        plan,
        task.index,
        task.size,
        seed=task.seed,
        sampling=task.sampling,
        keep_inputs=task.keep_inputs,
        totals=task.totals,
        seg_totals=task.seg_totals,
        given=task.given,
    )
