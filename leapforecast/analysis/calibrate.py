"""Calibrated widening: the spread a scenario needs for its intervals to be nominal.

A sharp scenario (an inside view) usually puts too few outcomes inside its intervals. Its
rolling-origin cases (the calibration report's ``scenario:NAME``, rebased onto every maker at
every origin) say by how much: for each case the deviation score
``|ln(outcome / median)|`` over the half-width of its interval on that side
(:func:`~leapforecast.analysis.scoring.deviation_score`), and the split-conformal quantile of
those scores (with the finite-sample rank ceil((n + 1) level)) is the factor ``k`` by which
log deviations from the median must be multiplied for the interval to cover ``level`` of
outcomes. ``calibrate`` fits ``k`` per years ahead at 50/80/90%, with a bootstrap over target
years (cases of one year share its shocks) for its uncertainty, and writes the TOML block a
scenario carries; ``widen`` applies it to a run: each year's per-path totals become
``median * (totals / median)^k``, so the median is unchanged and every quantile moves out by
the factor in logs. The 90% factor is the one applied (the 50/80% ones show whether one
factor fits the whole distribution).

The backtest scores the widened method honestly as ``scenario:NAME+calibrated``: each case is
widened by the factor fitted on the other target years only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from leapforecast.analysis.backtest import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    LEVELS,
    Case,
    backtest,
    default_universe,
)
from leapforecast.analysis.scoring import conformal_factor, deviation_score
from leapforecast.data.history import History
from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.reduction import year_quantiles
from leapforecast.engine.results import QUANTILES, SimulationResult
from leapforecast.errors import LeapforecastError, UsageError
from leapforecast.model.scenario import Scenario

DEFAULT_HORIZONS = (1, 2, 3)
BOOTSTRAP_REPS = 2000
INTERVAL = (0.05, 0.95)  # the bootstrap interval printed for k90

__all__ = ["Calibration", "CalibrationRow", "calibrate", "spread_for", "widen"]


@dataclass(frozen=True)
class CalibrationRow:
    """The spread factors fitted at one horizon (years ahead)."""

    horizon: int
    cases: int
    years: int  # distinct target years (the bootstrap's clusters)
    coverage_90: float  # the unwidened 90% interval's coverage on these cases
    factors: tuple[float, ...]  # k at each of LEVELS
    k90_interval: tuple[float, float]  # bootstrap over target years, 5-95%
    k90_sd: float
    rank_capped: bool  # too few cases for the conformal rank at 90%: k90 is the largest score

    @property
    def k90(self) -> float:
        return self.factors[LEVELS.index(0.9)]

    def row(self, scenario: str) -> dict[str, Any]:
        lo, hi = self.k90_interval
        return {
            "scenario": scenario,
            "horizon": self.horizon,
            "cases": self.cases,
            "target_years": self.years,
            "coverage_90": round(self.coverage_90, 4),
            **{
                f"k{round(100 * lv)}": round(k, 4)
                for lv, k in zip(LEVELS, self.factors, strict=True)
            },
            "k90_lo": round(lo, 4),
            "k90_hi": round(hi, 4),
            "k90_sd": round(self.k90_sd, 4),
        }


@dataclass
class Calibration(TabularMixin):
    """Spread factors per horizon for one scenario, and the TOML block that records them."""

    scenario: str
    rows_: list[CalibrationRow]
    draws: int
    seed: int
    measured: str  # ISO date the backtest was run
    notes: list[str] = field(default_factory=list)

    @property
    def spread(self) -> tuple[float, ...]:
        """The 90% factor per years ahead (1, 2, ...): what ``run --calibrated`` applies."""
        return tuple(round(r.k90, 2) for r in self.rows_)

    def columns(self) -> list[str]:
        return [
            "scenario",
            "horizon",
            "cases",
            "target_years",
            "coverage_90",
            *(f"k{round(100 * lv)}" for lv in LEVELS),
            "k90_lo",
            "k90_hi",
            "k90_sd",
        ]

    def rows(self) -> list[dict[str, Any]]:
        return [r.row(self.scenario) for r in self.rows_]

    def toml(self) -> str:
        """The ``[calibration]`` block to paste into the scenario (one factor per year ahead)."""
        counts = ", ".join(f"{r.cases} at h={r.horizon}" for r in self.rows_)
        if not all(math.isfinite(k) for k in self.spread):
            return (
                "# no [calibration] block: some outcomes fell on a side where the scenario's "
                "interval has no width,\n# so no spread factor widens it enough (" + counts + ")\n"
            )
        values = ", ".join(f"{k:.2f}" for k in self.spread)
        return (
            "[calibration]\n"
            f"# leapforecast calibrate, backtest {self.measured} ({self.draws:,} draws, seed "
            f"{self.seed}): {counts} cases\n"
            f"# 90% spread factor per year ahead; later years use the last\n"
            f"spread = [{values}]\n"
        )

    def document(self) -> dict[str, Any]:
        return {
            "metadata": {
                "scenario": self.scenario,
                "draws": self.draws,
                "seed": self.seed,
                "measured": self.measured,
                "levels": list(LEVELS),
                "bootstrap": f"{BOOTSTRAP_REPS} resamples of target years, {INTERVAL}",
            },
            "rows": self.rows(),
            "spread": list(self.spread),
            "toml": self.toml(),
            "notes": list(self.notes),
        }


def _scores(cases: Sequence[Case]) -> np.ndarray:
    """(cases, LEVELS) deviation scores."""
    out = np.empty((len(cases), len(LEVELS)))
    for i, c in enumerate(cases):
        if c.log_bounds is None:
            raise LeapforecastError(f"case {c.series} {c.origin}+{c.horizon} has no intervals")
        med, bounds = c.log_bounds
        y = math.log(c.actual)
        out[i] = [deviation_score(y, med, b) for b in bounds]
    return out


def fit_rows(
    cases: Sequence[Case], *, seed: int, reps: int = BOOTSTRAP_REPS
) -> list[CalibrationRow]:
    """Spread factors per horizon from one method's scored cases (see the module docstring)."""
    rows = []
    for h in sorted({c.horizon for c in cases}):
        at = [c for c in cases if c.horizon == h]
        s = _scores(at)
        years = np.array([c.year for c in at])
        factors = tuple(conformal_factor(s[:, i], lv) for i, lv in enumerate(LEVELS))
        j = LEVELS.index(0.9)
        uniq, idx = np.unique(years, return_inverse=True)
        groups = [s[idx == g, j] for g in range(len(uniq))]
        rng = np.random.default_rng([seed, h, 0xCA1])
        boot = np.empty(reps)
        for r in range(reps):
            pick = rng.integers(0, len(groups), size=len(groups))
            boot[r] = conformal_factor(np.concatenate([groups[g] for g in pick]), 0.9)
        boot = boot[np.isfinite(boot)]
        lo, hi = np.quantile(boot, INTERVAL) if boot.size else (math.inf, math.inf)
        rows.append(
            CalibrationRow(
                horizon=h,
                cases=len(at),
                years=len(uniq),
                coverage_90=float(np.mean([bool(c.covered and c.covered[j]) for c in at])),
                factors=factors,
                k90_interval=(float(lo), float(hi)),
                k90_sd=float(np.std(boot, ddof=1)) if boot.size > 1 else math.nan,
                rank_capped=math.ceil((len(at) + 1) * 0.9) > len(at),
            )
        )
    return rows


def calibrate(
    scenario: Scenario,
    *,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    universe: dict[str, History] | None = None,
    series: Sequence[str] | None = None,
    measured: str | None = None,
) -> Calibration:
    """Fit ``scenario``'s spread factors from its rolling-origin cases (the backtest's
    ``scenario:NAME``: rebased onto every maker in ``universe``, default Leapmotor and the
    bundled peers, at every origin). ``measured`` is the date written in the TOML comment
    (default: today)."""
    method = f"scenario:{scenario.name}"
    result = backtest(
        default_universe() if universe is None else universe,
        methods=(method,),
        horizons=horizons,
        scenarios={method: scenario},
        series=series,
        draws=draws,
        seed=seed,
    )
    cases = [c for c in result.cases if c.method == method]
    if not cases:
        raise LeapforecastError(f"scenario {scenario.name}: no backtest case to calibrate from")
    rows = fit_rows(cases, seed=seed)
    notes = [f"rebasing: {n}" for n in result.notes.get(method, [])]
    for r in rows:
        if r.rank_capped:
            notes.append(
                f"h={r.horizon}: {r.cases} cases are too few for a conformal 90% factor; "
                "k90 is the largest score (it guarantees less than 90%)"
            )
    return Calibration(
        scenario.name, rows, draws, seed, measured or date.today().isoformat(), notes
    )


def spread_for(spread: float | Sequence[float], years: int) -> tuple[float, ...]:
    """One factor per forecast year from a scenario's ``spread`` (a number, or one per year
    ahead with the last repeated)."""
    values = [float(spread)] if isinstance(spread, int | float) else [float(v) for v in spread]
    if not values or any(not math.isfinite(v) or v <= 0 for v in values):
        raise UsageError(f"`spread` {spread!r}: expected positive factors")
    return tuple(values[min(t, len(values) - 1)] for t in range(years))


def widen(result: SimulationResult, spread: Sequence[float], *, label: str) -> SimulationResult:
    """``result`` with each year's per-path totals spread by its factor around the year's
    median in logs (``median * (total / median)^k``), and every quantile, mean and count
    recomputed from them. ``label`` is recorded in ``result.calibration`` (the header says it).
    Segment summaries are dropped (they would no longer add up to the widened totals);
    capacity and event shares are the simulation's, unchanged."""
    if result.totals is None:
        raise UsageError("calibrated widening needs the per-path totals; simulate again")
    k = np.asarray(spread, np.float64)
    if k.shape != (len(result.years),):
        raise UsageError(f"`spread` needs one factor per year ({len(result.years)}), got {len(k)}")
    totals = np.maximum(np.asarray(result.totals, np.float64), 1e-9)
    med = np.asarray(result.quantiles[QUANTILES.index(50)], np.float64)
    new = med * np.exp(k * (np.log(totals) - np.log(med)))
    wide = new.astype(np.float32)
    targets = np.asarray(result.targets, np.float64)
    ge = wide[None, :, :] >= targets[:, None, None]  # (K, paths, T)
    reached = np.maximum.accumulate(ge, axis=2)
    first = np.diff(reached.astype(np.int64), axis=2, prepend=0).sum(axis=1)
    rep_ge = rep_reached = None
    if result.rep_sizes is not None:
        edges = np.concatenate([[0], np.cumsum(result.rep_sizes)[:-1]])
        rep_ge = np.add.reduceat(ge, edges, axis=1, dtype=np.int64).transpose(1, 0, 2)
        rep_reached = np.add.reduceat(reached, edges, axis=1, dtype=np.int64).transpose(1, 0, 2)
    return replace(
        result,
        mean=new.mean(axis=0),
        quantiles=year_quantiles(np.ascontiguousarray(wide.T)),
        count_ge=ge.sum(axis=1),
        count_first=first,
        totals=wide,
        segments={},
        rep_count_ge=rep_ge,
        rep_count_reached=rep_reached,
        calibration=label,
    )


def _label(spread: Sequence[float], years: Sequence[int], source: str) -> str:
    if len(set(spread)) == 1:
        return f"spread x{spread[0]:.2f} {source}"
    parts = "/".join(f"x{k:.2f}" for k in spread)
    return f"spread {parts} ({years[0]}-{years[-1]}) {source}"


def apply_calibration(
    result: SimulationResult, scenario: Scenario, *, draws: int = DEFAULT_DRAWS
) -> tuple[SimulationResult, list[str]]:
    """``result`` widened by ``scenario``'s ``[calibration] spread``; a scenario without one
    is calibrated now (``calibrate`` at 1-3 years ahead, ``draws`` per case: a second or two),
    and the notes say so and give the block to paste so the next run need not refit."""
    years = len(result.years)
    spec = scenario.spec.calibration
    if spec is not None:
        spread = spread_for(spec.spread, years)
        return widen(result, spread, label=_label(spread, result.years, "from [calibration]")), []
    cal = calibrate(scenario, horizons=tuple(range(1, min(years, 3) + 1)), draws=draws)
    if not all(math.isfinite(k) for k in cal.spread):
        raise LeapforecastError(
            f"{scenario.name} cannot be calibrated by spreading: some backtest outcomes fell "
            "where its forecast interval has no width (see leapforecast calibrate)"
        )
    spread = spread_for(cal.spread, years)
    cases = ", ".join(f"{r.cases} at h={r.horizon}" for r in cal.rows_)
    notes = [
        f"{scenario.name} has no [calibration]: spread fitted now from the backtest ({cases}); "
        "to record it: leapforecast calibrate " + scenario.name
    ]
    return widen(result, spread, label=_label(spread, result.years, "from backtest")), notes
