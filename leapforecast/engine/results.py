"""SimulationResult: what a run found, with Monte Carlo error for every probability."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leapforecast._version import __version__
from leapforecast.data.tabular import TabularMixin
from leapforecast.errors import LeapforecastError, UsageError

QUANTILES = (5, 10, 25, 50, 75, 90, 95)
Z95 = 1.959963984540054


def binomial_se(p: Any, n: int) -> Any:
    """Monte Carlo standard error of a proportion ``p`` estimated from ``n`` paths."""
    return np.sqrt(p * (1 - p) / n)


def wilson(count: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (sensible at 0 and 1, unlike p +- z*se)."""
    if n <= 0:
        return (0.0, 1.0)
    p = count / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class SimulationResult(TabularMixin):
    """The reduced outcome of a simulation.

    Attributes
    ----------
    years : forecast years (base_year + 1 ... horizon).
    targets : unit targets, ascending.
    mean : (T,) mean units per year.
    quantiles : (7, T) units at the percentiles in ``QUANTILES``.
    count_ge : (K, T) paths with units >= target in that year.
    count_first : (K, T) paths whose first year at or above the target is that year.
    capacity_bound : (T,) paths where demand exceeded capacity, or None without capacity.
    event_fired : paths on which each event happened.
    segments : per-segment mean and quantiles when the scenario has several segments.
    totals : (paths, T) float32 units per path and year (for charts and exceedance curves).
    inputs : path-level inputs by name, when the run kept them.
    conditioned_on : year-to-date actuals the first year was conditioned on ("2026-01" -> units);
        they are also folded into ``scenario_sha256``, so a conditioned run never shares the
        hash of an unconditioned one.
    """

    scenario: str
    years: list[int]
    targets: list[int]
    paths: int
    seed: int
    sampling: str
    scenario_sha256: str
    history_source: str
    base_year: int
    base_units: float
    mean: np.ndarray
    quantiles: np.ndarray
    count_ge: np.ndarray
    count_first: np.ndarray
    capacity_bound: np.ndarray | None = None
    event_fired: dict[str, int] = field(default_factory=dict)
    segments: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    totals: np.ndarray | None = field(default=None, repr=False)
    inputs: dict[str, np.ndarray] | None = field(default=None, repr=False)
    version: str = __version__
    conditioned_on: dict[str, float] = field(default_factory=dict)  # "2026-01" -> units

    # ------------------------------------------------------------------ probabilities
    @property
    def prob_ge(self) -> np.ndarray:
        """(K, T) P(units >= target) in each year."""
        return self.count_ge / self.paths

    @property
    def se_ge(self) -> np.ndarray:
        """(K, T) Monte Carlo standard error of ``prob_ge`` (binomial, sqrt(p(1-p)/n))."""
        return binomial_se(self.prob_ge, self.paths)

    @property
    def count_reached(self) -> np.ndarray:
        """(K, T) paths that reached the target in any year up to and including this one."""
        return np.cumsum(self.count_first, axis=1)

    @property
    def prob_reached(self) -> np.ndarray:
        return self.count_reached / self.paths

    def _index(self, target: float, year: int) -> tuple[int, int]:

        if year not in self.years:
            raise LeapforecastError(
                f"year {year} is not a forecast year ({self.years[0]}-{self.years[-1]})"
            )
        if target not in self.targets:
            raise LeapforecastError(
                f"target {target:,} was not simulated (targets: {self.targets})"
            )
        return self.targets.index(int(target)), self.years.index(year)

    def probability(self, target: float, year: int, *, reached: bool = False) -> float:
        """P(units >= target in ``year``); with ``reached=True``, in any year up to ``year``."""
        k, t = self._index(target, year)
        return float((self.prob_reached if reached else self.prob_ge)[k, t])

    def interval(self, target: float, year: int) -> tuple[float, float]:
        """95% Wilson interval of P(units >= target in ``year``)."""
        k, t = self._index(target, year)
        return wilson(int(self.count_ge[k, t]), self.paths)

    def quantile(self, q: int, year: int) -> float:
        return float(self.quantiles[QUANTILES.index(q), self.years.index(year)])

    def first_year_distribution(self) -> dict[int, dict[str, float]]:
        """For each target: the share of paths first reaching it in each year, and 'never'."""
        out: dict[int, dict[str, float]] = {}
        for k, target in enumerate(self.targets):
            row = {
                str(y): float(self.count_first[k, t] / self.paths) for t, y in enumerate(self.years)
            }
            row["never"] = float(1 - self.count_first[k].sum() / self.paths)
            out[target] = row
        return out

    # ------------------------------------------------------------------ tables
    def columns(self) -> list[str]:
        cols = ["scenario", "year", "mean"] + [f"p{q}" for q in QUANTILES]
        for target in self.targets:
            cols += [f"prob_ge_{target}", f"se_ge_{target}", f"prob_reached_{target}"]
        return cols

    def rows(self) -> list[dict[str, Any]]:
        """One dict per forecast year with the CSV columns: units rounded to whole cars,
        probabilities and standard errors to 6 decimals."""
        rows = []
        pg, se, pr = self.prob_ge, self.se_ge, self.prob_reached
        for t, year in enumerate(self.years):
            row: dict[str, Any] = {
                "scenario": self.scenario,
                "year": year,
                "mean": round(float(self.mean[t])),
            }
            for i, q in enumerate(QUANTILES):
                row[f"p{q}"] = round(float(self.quantiles[i, t]))
            for k, target in enumerate(self.targets):
                row[f"prob_ge_{target}"] = round(float(pg[k, t]), 6)
                row[f"se_ge_{target}"] = round(float(se[k, t]), 6)
                row[f"prob_reached_{target}"] = round(float(pr[k, t]), 6)
            rows.append(row)
        return rows

    def summary(self) -> Any:  # -> pandas.DataFrame
        """Alias of ``frame()`` (one row per forecast year), kept because the README and the
        notebook use it; every other result type has only ``frame()``."""
        return self.frame()

    def document(self) -> dict[str, Any]:
        """The JSON document: the CSV rows plus run metadata, the first-year distribution, the
        share of paths on which each event fired, capacity and segments when the run has them."""
        doc: dict[str, Any] = {
            "metadata": self.metadata(),
            "rows": self.rows(),
            "first_year_reached": {str(k): v for k, v in self.first_year_distribution().items()},
            "events_fired": {k: v / self.paths for k, v in self.event_fired.items()},
        }
        # every key always exists, so a script can read it whatever the scenario: null when
        # the scenario has no capacity, {} without segments
        doc["capacity_bound"] = None
        if self.capacity_bound is not None:
            doc["capacity_bound"] = {
                str(y): float(c / self.paths)
                for y, c in zip(self.years, self.capacity_bound, strict=True)
            }
        doc["segments"] = {}
        if self.segments:
            doc["segments"] = {
                name: [
                    {
                        "year": y,
                        "mean": round(float(seg["mean"][t])),
                        **{
                            f"p{q}": round(float(seg["quantiles"][i, t]))
                            for i, q in enumerate(QUANTILES)
                        },
                    }
                    for t, y in enumerate(self.years)
                ]
                for name, seg in self.segments.items()
            }
        return doc

    def metadata(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "scenario": self.scenario,
            "scenario_sha256": self.scenario_sha256,
            "seed": self.seed,
            "paths": self.paths,
            "sampling": self.sampling,
            "history_source": self.history_source,
            "base_year": self.base_year,
            "base_units": self.base_units,
            "targets": self.targets,
            "conditioned_on": dict(self.conditioned_on),
        }


def resolve_year(years: list[int], year: int | None) -> int:
    """``year`` if it is a forecast year; the first forecast year when None."""
    if year is None:
        return years[0]
    if year not in years:
        raise UsageError(f"`year` {year}: not a forecast year ({years[0]}-{years[-1]})")
    return int(year)
