"""Scenarios side by side, simulated on common random numbers.

Every scenario runs with the same seed and path count. The engine keys each input's draws by
(seed, chunk, input name), so inputs two scenarios share get the same draws on the same paths,
and so does the year-to-year noise. A difference between scenarios is then measured path by path
(paired), and its Monte Carlo error is usually far smaller than that of either probability alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.driver import (
    check_cells,
    check_memory,
    map_runs,
    run_bytes,
    run_settings,
    split_jobs,
)
from leapforecast.engine.executors import Executor
from leapforecast.engine.kernel import chunk_sizes
from leapforecast.engine.plan import compile_plan
from leapforecast.engine.results import SimulationResult, replicate_se
from leapforecast.engine.run import simulate
from leapforecast.errors import LeapforecastError, UsageError
from leapforecast.model.scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where a frame is built
    import pandas as pd


@dataclass
class Comparison(TabularMixin):
    """Several scenarios simulated with one seed and one path count.

    Attributes
    ----------
    labels : a unique name per scenario (the scenario name, made unique with its file name).
    results : one ``SimulationResult`` per scenario, in the order given.
    targets : the targets every scenario was run with (the union of their targets unless given).
    years : every forecast year of any scenario, ascending.
    paths, seed : shared by every run.
    reference : index of the scenario the differences are taken against (the first).
    """

    labels: list[str]
    results: list[SimulationResult]
    targets: list[int]
    years: list[int]
    paths: int
    seed: int
    reference: int = 0

    def difference(self, index: int, target: int, year: int) -> tuple[float, float] | None:
        """P(>= target in year) of scenario ``index`` minus the reference's, and its paired s.e.

        None when either scenario does not forecast that year. The paired s.e. treats paths as
        independent unless either run used a Latin hypercube or Sobol design; then it comes
        from the spread of the difference between the design's replicate blocks (both runs
        share the path layout, so a block of one is the same paths as a block of the other).
        """
        a, b = self.results[index], self.results[self.reference]
        if year not in a.years or year not in b.years:
            return None
        if a.totals is None or b.totals is None:
            raise LeapforecastError("a paired difference needs the per-path totals of both runs")
        hit_a = a.totals[:, a.years.index(year)].astype(np.float64) >= target
        hit_b = b.totals[:, b.years.index(year)].astype(np.float64) >= target
        d = hit_a.astype(np.int8) - hit_b.astype(np.int8)
        n = len(d)
        mean = float(d.mean())
        sizes = a.rep_sizes if a.rep_sizes is not None else b.rep_sizes
        if sizes is not None and len(sizes) >= 2:
            edges = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            sums = np.add.reduceat(d, edges, dtype=np.int64)
            return mean, float(replicate_se(sums, sizes))
        var = max(float(np.mean(d.astype(np.float64) ** 2)) - mean * mean, 0.0)
        return mean, float(np.sqrt(var / n))

    def unpaired_se(self, index: int, target: int, year: int) -> float:
        """What the s.e. of the difference would be with independent draws (for comparison)."""
        a, b = self.results[index], self.results[self.reference]
        ka, ta = a._index(target, year)
        kb, tb = b._index(target, year)
        return float(np.hypot(a.se_ge[ka, ta], b.se_ge[kb, tb]))

    # ------------------------------------------------------------------ tables
    @staticmethod
    def columns() -> list[str]:
        return ["scenario", "year", "metric", "value"]

    def rows(self) -> list[dict[str, Any]]:
        """Long format: one row per (scenario, year, metric); units as whole cars,
        probabilities to 6 decimals. ``delta_*`` rows compare with the reference, paired."""
        out: list[dict[str, Any]] = []
        for i, (label, res) in enumerate(zip(self.labels, self.results, strict=True)):
            for row in res.rows():
                year = row["year"]
                for key, value in row.items():
                    if key in ("scenario", "year"):
                        continue
                    out.append({"scenario": label, "year": year, "metric": key, "value": value})
                if i == self.reference:
                    continue
                for target in self.targets:
                    diff = self.difference(i, target, year)
                    if diff is None:
                        continue
                    out.append(
                        {
                            "scenario": label,
                            "year": year,
                            "metric": f"delta_prob_ge_{target}",
                            "value": round(diff[0], 6),
                        }
                    )
                    out.append(
                        {
                            "scenario": label,
                            "year": year,
                            "metric": f"se_delta_prob_ge_{target}",
                            "value": round(diff[1], 6),
                        }
                    )
        return out

    def wide(self) -> pd.DataFrame:
        """One row per (scenario, year) with the run CSV columns (handy in a notebook)."""
        import pandas as pd

        frames = []
        for label, res in zip(self.labels, self.results, strict=True):
            frame = res.frame()
            frame["scenario"] = label
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def document(self) -> dict[str, Any]:
        """Shared settings, each scenario's run rows and metadata, and the paired differences."""
        return {
            "metadata": {
                "paths": self.paths,
                "seed": self.seed,
                "targets": self.targets,
                "reference": self.labels[self.reference],
            },
            "scenarios": [
                {"label": label, "metadata": res.metadata(), "rows": res.rows()}
                for label, res in zip(self.labels, self.results, strict=True)
            ],
            "differences": [
                {
                    "scenario": self.labels[i],
                    "year": year,
                    "target": target,
                    "delta_prob_ge": round(d[0], 6),
                    "se": round(d[1], 6),
                }
                for i in range(len(self.results))
                if i != self.reference
                for year in self.years
                for target in self.targets
                if (d := self.difference(i, target, year)) is not None
            ],
        }


def _labels(scenarios: list[Scenario]) -> list[str]:
    """Scenario names; a repeated name gets its file stem, or a counter if that does not help."""
    from pathlib import Path

    names = [s.name for s in scenarios]
    labels = []
    for s in scenarios:
        label = s.name
        if names.count(s.name) > 1 and s.path:
            label = f"{s.name} ({Path(s.path).stem})"
        labels.append(label)
    seen: dict[str, int] = {}
    unique = []
    for s, label in zip(scenarios, labels, strict=True):
        if labels.count(label) == 1:
            unique.append(label)
            continue
        seen[s.name] = seen.get(s.name, 0) + 1
        unique.append(f"{s.name} #{seen[s.name]}")
    return unique


def _run_one(shared: tuple[list[Scenario], int, int], index: int) -> SimulationResult:
    """Scenario ``index`` of a comparison, serially (module-level: it runs in any worker)."""
    scenarios, paths, seed = shared
    return simulate(scenarios[index], paths=paths, seed=seed)


def compare(
    scenarios: list[Scenario],
    *,
    paths: int | None = None,
    seed: int | None = None,
    targets: list[int] | None = None,
    jobs: int = 1,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Simulate every scenario with one seed and path count (default: the first scenario's).

    ``targets`` replaces every scenario's targets; by default each runs with the union of them
    all, so every probability can be set side by side.
    """

    if len(scenarios) < 2:
        raise UsageError(f"compare needs at least two scenarios, got {len(scenarios)}")
    first = scenarios[0].spec.simulation
    paths = first.paths if paths is None else int(paths)
    seed = first.seed if seed is None else int(seed)
    union = sorted(set(targets) if targets else {t for s in scenarios for t in s.targets})
    scenarios = [s if s.targets == union else s.with_overrides(targets=union) for s in scenarios]
    # The whole command's memory, before the first scenario runs: every result is kept.
    needed = 0
    for sc in scenarios:
        run_settings(sc, paths=paths, seed=seed, jobs=jobs)
        # a mixture runs (and keeps) every component on every path
        parts = [c.scenario for c in sc.mixture.components] if sc.mixture is not None else [sc]
        for part in parts:
            plan = compile_plan(part)
            check_cells(plan, paths, jobs=jobs)
            needed += run_bytes(plan, paths, jobs=jobs)
    check_memory(needed, f"comparing {len(scenarios)} scenarios at {paths:,} paths")
    outer, inner = split_jobs(jobs, len(scenarios))
    if outer > 1:  # one scenario per worker, each run serial inside
        results = list(
            map_runs(
                _run_one,
                (scenarios, paths, seed),
                range(len(scenarios)),
                jobs=outer,
                executor=executor,
                scheduler=scheduler,
                progress=progress,
            )
        )
    else:
        per = len(chunk_sizes(paths)) if paths > 0 else 1
        results = []
        for i, sc in enumerate(scenarios):
            step = None
            if progress is not None:

                def step(done: int, total: int, _i: int = i) -> None:
                    progress(_i * per + done, len(scenarios) * per)

            results.append(
                simulate(
                    sc,
                    paths=paths,
                    seed=seed,
                    jobs=inner,
                    executor=executor,
                    scheduler=scheduler,
                    progress=step,
                )
            )
    years = sorted({y for r in results for y in r.years})
    return Comparison(_labels(scenarios), results, union, years, paths, seed)


__all__ = [
    "Comparison",
    "compare",
]
