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
    """Monte Carlo standard error of a proportion ``p`` estimated from ``n`` independent paths."""
    return np.sqrt(p * (1 - p) / n)


def replicate_se(sums: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Monte Carlo standard error of a mean over paths, from independent replicate blocks.

    ``sums`` (R, ...) holds each block's sum (a count of paths, or a sum of paired
    differences), ``sizes`` (R,) its paths. The estimate is the pooled mean sum(sums)/N, and
    its variance R/(R-1) * sum((sums_r - n_r * mean)^2) / N^2, the usual estimator for a ratio
    of independent replicates (with equal sizes exactly var(block means) / R). Unlike the
    binomial formula it is right for Latin hypercube and Sobol designs, whose paths within a
    block are not independent, and it allows a partial last chunk's smaller blocks.
    """
    sizes = np.asarray(sizes, np.float64)
    R, N = len(sizes), float(sizes.sum())
    sums = np.asarray(sums, np.float64)
    mean = sums.sum(axis=0) / N
    shape = (R,) + (1,) * (sums.ndim - 1)
    dev = sums - sizes.reshape(shape) * mean
    var = R / (R - 1) * np.sum(dev * dev, axis=0) / (N * N)
    return np.sqrt(var)


def zero_one_bound(n: int, confidence: float = 0.95) -> float:
    """One-sided upper bound on a probability when none of ``n`` paths hit (about 3/n at 95%).

    The exact (Clopper-Pearson) bound 1 - (1 - confidence)^(1/n), the "rule of three" for
    large n. When every path hit, the lower bound is 1 minus this. It holds for Latin hypercube
    and Sobol designs too: their paths are negatively dependent, so seeing no hit is at most as
    likely as with independent paths.
    """
    if n <= 0:
        return 1.0
    return float(-math.expm1(math.log1p(-confidence) / n))


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
    rep_sizes, rep_count_ge, rep_count_reached : Latin hypercube and Sobol runs only: the size
        (R,) of each independent replicate block (path order) and its counts (R, K, T) of paths
        >= target and of paths that reached it by that year; the Monte Carlo error comes from
        their spread (``se_method``).
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
    mixture: MixtureInfo | None = None
    rep_sizes: np.ndarray | None = field(default=None, repr=False)
    rep_count_ge: np.ndarray | None = field(default=None, repr=False)
    rep_count_reached: np.ndarray | None = field(default=None, repr=False)
    conditioned_on: dict[str, float] = field(default_factory=dict)  # "2026-01" -> units
    calibration: str | None = None  # how the totals were widened (run --calibrated), if they were

    # ------------------------------------------------------------------ probabilities
    @property
    def prob_ge(self) -> np.ndarray:
        """(K, T) P(units >= target) in each year."""
        return self.count_ge / self.paths

    @property
    def se_method(self) -> str:
        """How the Monte Carlo standard errors are measured: ``binomial`` (sqrt(p(1-p)/n),
        right for independent paths: random sampling) or ``replicates`` (the spread between
        the independent replicate blocks of a Latin hypercube or Sobol design, whose paths are
        not independent; ``replicate_se``). A run of one path has no replicates to compare and
        falls back to the binomial formula."""
        if self.rep_sizes is not None and len(self.rep_sizes) >= 2:
            return "replicates"
        return "binomial"

    @property
    def se_ge(self) -> np.ndarray:
        """(K, T) Monte Carlo standard error of ``prob_ge`` (see ``se_method``); 0 where
        ``prob_ge`` is 0 or 1, where ``zero_one_bound`` says how far from it the truth may be."""
        if self.se_method == "replicates" and self.rep_count_ge is not None:
            return replicate_se(self.rep_count_ge, np.asarray(self.rep_sizes))
        return binomial_se(self.prob_ge, self.paths)

    @property
    def se_reached(self) -> np.ndarray:
        """(K, T) Monte Carlo standard error of ``prob_reached`` (see ``se_method``)."""
        if self.se_method == "replicates" and self.rep_count_reached is not None:
            return replicate_se(self.rep_count_reached, np.asarray(self.rep_sizes))
        return binomial_se(self.prob_reached, self.paths)

    @property
    def boundary_bound(self) -> float:
        """95% bound on a probability estimated as 0 (or 1 minus it, at 1): about 3/paths."""
        return zero_one_bound(self.paths)

    @property
    def count_reached(self) -> np.ndarray:
        """(K, T) paths that reached the target in any year up to and including this one."""
        return np.cumsum(self.count_first, axis=1)

    @property
    def prob_reached(self) -> np.ndarray:
        return self.count_reached / self.paths

    def _year_index(self, year: int) -> int:
        if isinstance(year, bool) or not isinstance(year, int | np.integer):
            raise UsageError(f"`year` {year!r}: expected a forecast year such as {self.years[0]}")
        if year not in self.years:
            raise UsageError(
                f"`year` {year}: not a forecast year ({self.years[0]}-{self.years[-1]})"
            )
        return self.years.index(int(year))

    def _check_target(self, target: float) -> float:
        if isinstance(target, bool) or not isinstance(target, int | float | np.number):
            raise UsageError(f"`target` {target!r}: expected units a year, e.g. 1_000_000")
        value = float(target)
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"`target` {target}: expected a finite number of units >= 0")
        return value

    def _stored_totals(self, what: str) -> np.ndarray:
        if self.totals is None:
            raise UsageError(
                f"{what} needs the per-path totals, which this result does not keep; "
                "simulate again (the result of simulate() keeps them)"
            )
        return self.totals

    def _index(self, target: float, year: int) -> tuple[int, int]:
        """(target index, year index) of a simulated target."""
        t = self._year_index(year)
        if target not in self.targets:
            raise LeapforecastError(
                f"target {target:,} was not simulated (targets: {self.targets})"
            )
        return self.targets.index(int(target)), t

    def _count(self, target: float, year: int, *, reached: bool) -> int:
        """Paths at or above ``target`` in ``year`` (with ``reached``: in any year up to it),
        from the counts for a simulated target, else from the stored per-path totals."""
        t = self._year_index(year)
        value = self._check_target(target)
        if value in self.targets:
            k = self.targets.index(int(value))
            return int((self.count_reached if reached else self.count_ge)[k, t])
        totals = self._stored_totals(f"`target` {target:,}: a target that was not simulated")
        if reached:
            return int(np.count_nonzero((totals[:, : t + 1] >= value).any(axis=1)))
        return int(np.count_nonzero(totals[:, t] >= value))

    def probability(self, target: float, year: int, *, reached: bool = False) -> float:
        """P(units >= target in ``year``); with ``reached=True``, in any year up to ``year``.

        Any ``target`` works: one the run simulated is read from its counts, another is counted
        on the stored per-path totals (the same paths, so the same answer a run with that
        target would have given)."""
        return self._count(target, year, reached=reached) / self.paths

    def interval(self, target: float, year: int) -> tuple[float, float]:
        """95% Wilson interval of P(units >= target in ``year``) (any target, as above)."""
        return wilson(self._count(target, year, reached=False), self.paths)

    def quantile(self, q: float, year: int) -> float:
        """Units at quantile ``q`` (0 to 1; 0.5 is the median) of ``year``'s distribution.

        Computed from the stored per-path totals like the table's percentiles (numpy's
        'linear' method), so ``quantile(0.9, y)`` is the table's p90. For compatibility an
        integer percentile the table shows (5, 10, 25, 50, 75, 90, 95) is also accepted."""
        t = self._year_index(year)
        if isinstance(q, bool) or not isinstance(q, int | float | np.number):
            raise UsageError(f"`q` {q!r}: expected a probability between 0 and 1, e.g. 0.5")
        if isinstance(q, int | np.integer) and int(q) in QUANTILES:
            return float(self.quantiles[QUANTILES.index(int(q)), t])
        if not 0 <= float(q) <= 1:
            raise UsageError(f"`q` {q}: expected a probability between 0 and 1, e.g. 0.5")
        if self.totals is None:
            stored = [p / 100 for p in QUANTILES]
            if float(q) in stored:
                return float(self.quantiles[stored.index(float(q)), t])
        totals = self._stored_totals(f"`q` {q}")
        from leapforecast.engine.quantiles import quantiles

        return float(quantiles(np.ascontiguousarray(totals[:, t]), np.array([float(q)]))[0])

    def samples(self) -> Any:  # -> pandas.DataFrame
        """The per-path totals: one row per path, one column per forecast year (int column
        names), units as float32 as simulated. For analysing the raw draws."""
        import pandas as pd

        totals = self._stored_totals("samples()")
        return pd.DataFrame(np.array(totals, copy=True), columns=list(self.years))

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
        return self._rows(rounded=True)

    def frame_rows(self) -> list[dict[str, Any]]:
        """The frame's rows: the CSV's columns, unrounded (units as simulated, probabilities
        as counted), so sums and differences in a notebook carry no rounding error."""
        return self._rows(rounded=False)

    def _rows(self, *, rounded: bool) -> list[dict[str, Any]]:
        def units(v: Any) -> float | int:
            return round(float(v)) if rounded else float(v)

        def prob(v: Any) -> float:
            return round(float(v), 6) if rounded else float(v)

        rows = []
        pg, se, pr = self.prob_ge, self.se_ge, self.prob_reached
        for t, year in enumerate(self.years):
            row: dict[str, Any] = {
                "scenario": self.scenario,
                "year": year,
                "mean": units(self.mean[t]),
            }
            for i, q in enumerate(QUANTILES):
                row[f"p{q}"] = units(self.quantiles[i, t])
            for k, target in enumerate(self.targets):
                row[f"prob_ge_{target}"] = prob(pg[k, t])
                row[f"se_ge_{target}"] = prob(se[k, t])
                row[f"prob_reached_{target}"] = prob(pr[k, t])
            rows.append(row)
        return rows

    def summary(self) -> Any:  # -> pandas.DataFrame
        """Alias of ``frame()`` (one row per forecast year, unrounded), kept because the README
        and the notebook use it; every other result type has only ``frame()``."""
        return self.frame()

    # ------------------------------------------------------------------ notebooks
    def __repr__(self) -> str:
        """One readable line, not the arrays: what ran and the headline probabilities."""
        last = self.years[-1]
        heads = ", ".join(
            f"P(>={_short(x)} in {last})={self.prob_ge[k, -1]:.1%}"
            for k, x in enumerate(self.targets)
        )
        return (
            f"<SimulationResult {self.scenario!r}: {self.years[0]}-{last}, {self.paths:,} paths, "
            f"seed {self.seed}, median {last} {self.quantiles[QUANTILES.index(50), -1]:,.0f}"
            + (f"; {heads}" if heads else "")
            + ">"
        )

    def _repr_html_(self) -> str:
        """Jupyter's view: the run's header and its table (units and probabilities by year)."""
        import html

        from leapforecast.data.tabular import html_table

        cols = ["year", "mean", "p5", "p50", "p95"] + [f"prob_ge_{x}" for x in self.targets]
        rows = self._rows(rounded=True)
        head = (
            f"<p><b>{html.escape(self.scenario)}</b>: {self.paths:,} paths, seed {self.seed}, "
            f"{html.escape(self.sampling)} sampling, base {self.base_year} = "
            f"{self.base_units:,.0f}</p>"
        )
        return head + html_table(cols, [{c: r[c] for c in cols} for r in rows])

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
        if self.mixture is not None:
            doc["mixture"] = self.mixture.document()
            if self.mixture.updated:
                doc["posterior_weights"] = {
                    c.name: round(c.weight, 6) for c in self.mixture.components
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
            # only on a calibrated run, so other runs' JSON is unchanged
            **({"calibration": self.calibration} if self.calibration else {}),
        }


@dataclass
class ComponentResult:
    """One component of a mixture run.

    ``weight`` is the weight the run used (the posterior when actuals updated the prior,
    ``prior_weight``); ``paths`` how many of the mixture's paths were drawn from it;
    ``result`` the component's own run on every path with the mixture's seed (its P(>= target)
    with a small error, and exactly what ``run`` of that component with those settings gives);
    ``log_likelihood`` of the year-to-date actuals under it, when weights were updated.
    """

    name: str
    file: str | None
    weight: float
    paths: int
    result: SimulationResult
    prior_weight: float | None = None
    log_likelihood: float | None = None

    def document(self) -> dict[str, Any]:
        res = self.result
        doc: dict[str, Any] = {"name": self.name, "file": self.file}
        doc["weight"] = round(self.weight, 6)
        if self.prior_weight is not None:
            doc["prior_weight"] = round(self.prior_weight, 6)
            doc["log_likelihood"] = (
                None if self.log_likelihood is None else round(self.log_likelihood, 4)
            )
        doc["paths"] = self.paths
        for k, target in enumerate(res.targets):
            doc[f"prob_ge_{target}"] = {
                str(y): round(float(res.prob_ge[k, t]), 6) for t, y in enumerate(res.years)
            }
        return doc


@dataclass
class MixtureInfo:
    """What a mixture run adds to its result: the components, and how the weights were set.

    ``note`` says when the weights as written were normalised; ``evidence`` describes the
    actuals that updated the weights (None when the prior weights were used).
    """

    components: list[ComponentResult]
    note: str | None = None
    evidence: str | None = None

    @property
    def updated(self) -> bool:
        return self.evidence is not None

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"components": [c.document() for c in self.components]}
        if self.note:
            doc["note"] = self.note
        if self.evidence:
            doc["evidence"] = self.evidence
        return doc


def _short(units: float) -> str:
    from leapforecast.units import short_units

    return short_units(units)


def resolve_year(years: list[int], year: int | None) -> int:
    """``year`` if it is a forecast year; the first forecast year when None."""
    if year is None:
        return years[0]
    if year not in years:
        raise UsageError(f"`year` {year}: not a forecast year ({years[0]}-{years[-1]})")
    return int(year)
