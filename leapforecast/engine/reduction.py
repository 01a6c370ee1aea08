"""Folding chunk results into one run's result: totals, counts, sums and exact quantiles.

Chunks are folded in chunk order whatever executor ran them, so sums (and so every printed
figure) do not depend on how chunks were grouped or spread over workers.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from leapforecast.engine.kernel import ChunkOut, Sink
from leapforecast.engine.plan import Plan
from leapforecast.engine.quantiles import quantiles
from leapforecast.engine.results import QUANTILES, SimulationResult


def year_quantiles(values: np.ndarray, jobs: int = 1) -> np.ndarray:
    """Exact (linear-interpolated) quantiles of each year (row); rows in threads if asked."""
    probs = np.asarray(QUANTILES) / 100.0
    if jobs == 1 or values.shape[0] == 1:
        rows = [quantiles(row, probs) for row in values]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            rows = list(pool.map(lambda row: quantiles(row, probs), values))
    return np.stack(rows, axis=1)


def row_means(values: np.ndarray) -> np.ndarray:
    """``values.astype(np.float64).mean(axis=1)`` of a (T, paths) float32 array, one row at a
    time: the same numbers (each row is summed pairwise in float64 either way) without a float64
    copy of the whole array (80 MB for two segments at 1M paths x 5 years)."""
    return np.array([row.astype(np.float64).mean() for row in values], dtype=np.float64)


def _shared_empty(shape: tuple[int, ...], dtype: type[np.generic]) -> np.ndarray:
    """An uninitialised array in anonymous shared memory (``mmap``: MAP_SHARED): processes
    forked after it is made write to the same pages. Freed with the array's last reference."""
    import mmap

    count = int(np.prod(shape))
    buffer = mmap.mmap(-1, max(1, count * np.dtype(dtype).itemsize))
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)


class Reducer:
    """Folds chunk results, in chunk order, into one run's totals, counts and sums.

    Totals go into one preallocated (T, paths) float32 array as chunks arrive (chunks run in
    this process write there directly), so a run holds one copy of its totals, not two. With
    ``shared`` the arrays are in memory that processes forked from this one share, so their
    chunks write there directly too (``kernel.run_task_into``).
    """

    def __init__(self, plan: Plan, paths: int, *, shared: bool = False) -> None:
        T, S = len(plan.years), len(plan.segments)
        self.plan, self.paths, self.shared = plan, paths, shared
        empty = _shared_empty if shared else np.empty
        self.totals = empty((T, paths), np.float32)
        self.seg_totals = empty((S, T, paths), np.float32) if S > 1 else None
        self.sums = np.zeros(T)
        # counts start as 0 and take the chunks' array shapes on the first add
        self.count_ge: np.ndarray | int = 0
        self.first: np.ndarray | int = 0
        self.bound: np.ndarray | int = 0
        self.fired: np.ndarray | int = 0
        self.inputs: list[dict[str, np.ndarray]] = []
        # replicate blocks of Latin hypercube and Sobol runs, chunk after chunk (path order)
        self.rep_sizes: list[np.ndarray] = []
        self.rep_ge: list[np.ndarray] = []
        self.rep_reached: list[np.ndarray] = []
        self.offset = 0

    @property
    def sink(self) -> Sink:
        """The run's arrays, for chunks to fill in place (a copy of each chunk's segments was
        a fifth of a two-segment run, most of it page faults on a fresh temporary)."""
        return Sink(self.totals, self.seg_totals, shared=self.shared)

    def add(self, out: ChunkOut) -> None:
        start, stop = self.offset, self.offset + out.n
        # None, or a view of the run's own arrays: the chunk wrote its part in place
        if out.totals is not None and not np.shares_memory(out.totals, self.totals):
            self.totals[:, start:stop] = out.totals
        seg = out.seg_totals
        if self.seg_totals is not None and seg is not None:
            if not np.may_share_memory(seg, self.seg_totals):
                self.seg_totals[:, :, start:stop] = seg
        self.offset = stop
        self.sums += out.sums
        self.count_ge = self.count_ge + out.count_ge
        self.first = self.first + out.first_reached
        self.bound = self.bound + out.bound
        self.fired = self.fired + out.fired
        if out.inputs is not None:
            self.inputs.append(out.inputs)
        if out.rep_sizes is not None and out.rep_ge is not None and out.rep_reached is not None:
            self.rep_sizes.append(out.rep_sizes)
            self.rep_ge.append(out.rep_ge)
            self.rep_reached.append(out.rep_reached)

    def result(self, *, seed: int, jobs: int = 1) -> SimulationResult:
        plan, scenario = self.plan, self.plan.scenario
        seg_summary: dict[str, dict[str, np.ndarray]] = {}
        if self.seg_totals is not None:
            for s, seg in enumerate(plan.segments):
                seg_summary[seg.name] = {
                    "mean": row_means(self.seg_totals[s]),
                    "quantiles": year_quantiles(self.seg_totals[s], jobs),
                }
        inputs = None
        if self.inputs:
            inputs = {k: np.concatenate([i[k] for i in self.inputs]) for k in self.inputs[0]}
        fired = np.broadcast_to(self.fired, (len(plan.events),))
        conditioned = conditioning_months(plan.condition)
        return SimulationResult(
            scenario=scenario.name,
            years=list(plan.years),
            targets=list(plan.targets),
            paths=self.paths,
            seed=seed,
            sampling=scenario.spec.simulation.sampling,
            scenario_sha256=conditioned_sha256(scenario.sha256, conditioned),
            history_source=scenario.history.source,
            base_year=scenario.base_year,
            base_units=scenario.base_units,
            mean=self.sums / self.paths,
            quantiles=year_quantiles(self.totals, jobs),
            count_ge=np.asarray(self.count_ge),
            count_first=np.asarray(self.first),
            capacity_bound=np.asarray(self.bound) if plan.capacity_kind else None,
            event_fired={ev.name: int(fired[e]) for e, ev in enumerate(plan.events)},
            segments=seg_summary,
            totals=self.totals.T,  # (paths, T) view of the year-major array
            inputs=inputs,
            rep_sizes=np.concatenate(self.rep_sizes) if self.rep_sizes else None,
            rep_count_ge=np.concatenate(self.rep_ge) if self.rep_ge else None,
            rep_count_reached=np.concatenate(self.rep_reached) if self.rep_reached else None,
            conditioned_on=conditioned,
        )


def conditioning_months(condition: Any) -> dict[str, float]:
    """The year-to-date actuals a condition holds, as {"2026-01": units}; {} for none. A
    condition (``analysis.nowcast.YearToDate``) has ``year`` and ``observed`` {month: units}."""
    observed = getattr(condition, "observed", None)
    year = getattr(condition, "year", None)
    if not observed or year is None:
        return {}
    return {f"{int(year):04d}-{int(m):02d}": float(u) for m, u in sorted(observed.items())}


def conditioned_sha256(sha: str, conditioned: dict[str, float]) -> str:
    """The scenario's hash, with the conditioning months folded in when there are any."""
    if not conditioned:
        return sha
    blob = json.dumps({"scenario": sha, "conditioned_on": conditioned}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def reduce_chunks(
    plan: Plan, outs: list[ChunkOut], *, paths: int, seed: int, jobs: int = 1
) -> SimulationResult:
    """Combine chunk results in chunk order (so sums are the same whatever the grouping)."""
    reducer = Reducer(plan, paths)
    for out in outs:
        reducer.add(out)
    return reducer.result(seed=seed, jobs=jobs)
