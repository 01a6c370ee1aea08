"""Backtest of the nowcast: each cut-off of a complete past year, scored by pinball loss and
interval coverage against a naive run-rate, with only what was known at the cut-off."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from leapforecast.analysis.nowcast import annual_log_sd, fit_before_year, nowcast, scenario_for_year
from leapforecast.data.history import load_history
from leapforecast.data.monthly import MonthlyHistory, load_monthly, month_index
from leapforecast.engine.results import QUANTILES
from leapforecast.errors import HistoryError, UsageError
from leapforecast.model.files import Source
from leapforecast.model.scenario import build

PINBALL_LEVELS = tuple(q / 100 for q in QUANTILES)


def pinball(
    actual: float, quantiles: np.ndarray, levels: tuple[float, ...] = PINBALL_LEVELS
) -> float:
    """Mean pinball (quantile) loss over ``levels``, in units; a point forecast scores half its
    absolute error (the levels are symmetric), so model and naive scores compare directly."""
    q = np.asarray(quantiles, float)
    tau = np.asarray(levels)
    diff = actual - q
    return float(np.mean(np.maximum(tau * diff, (tau - 1) * diff)))


def trend_scenario(
    year: int,
    *,
    annual: str | Path | None = None,
    paths: int | None = None,
    seed: int | None = None,
) -> Any:
    """The annual prior a backtest can use honestly: trend growth and its spread measured on the
    annual history up to ``year - 1`` only (log growth ~ Normal(mean, sd) of the past intervals),
    with no events, capacity or judgement added afterwards."""

    hist = load_history(annual).upto(year - 1)
    if len(hist.years) < 3:
        raise HistoryError(
            f"history {hist.source}: a trend prior for {year} needs 3 years up to {year - 1}"
        )
    stats = hist.stats()
    source = str(annual) if annual is not None else hist.source
    doc: dict[str, Any] = {
        "scenario": {
            "name": f"trend prior to {year - 1}",
            "description": (
                f"log growth ~ Normal({stats.mean_log_growth:.3f}, {stats.sd_log_growth:.3f}) "
                f"from {hist.source} {hist.years[0]}-{hist.years[-1]}"
            ),
        },
        "history": {"source": source, "base_year": year - 1},
        "simulation": {"horizon": year},
        "growth": {
            "rate": round(math.expm1(stats.mean_log_growth), 6),
            "volatility": round(stats.sd_log_growth, 6),
        },
    }
    if paths is not None:
        doc["simulation"]["paths"] = int(paths)
    if seed is not None:
        doc["simulation"]["seed"] = int(seed)
    return build(doc, [Source("<trend prior>", "")], None)


@dataclass(frozen=True)
class BacktestRow:
    cutoff: int  # months known (0 = none: the annual prior alone)
    ytd: float
    mean: float
    quantiles: np.ndarray  # at QUANTILES
    inside80: bool
    inside90: bool
    pinball: float
    naive: float
    naive_pinball: float


@dataclass(frozen=True)
class NowcastBacktest:
    """Nowcasts of ``year`` from each cut-off, against the year's actual total."""

    year: int
    actual: float
    prior: str
    paths: int
    seed: int
    rows: tuple[BacktestRow, ...]

    def scored(self) -> list[BacktestRow]:
        """The cut-offs with at least one month (the ones that test the nowcast)."""
        return [r for r in self.rows if 0 < r.cutoff < 12]

    def summary(self) -> dict[str, float]:
        rows = self.scored()
        n = len(rows)
        return {
            "cutoffs": n,
            "coverage80": sum(r.inside80 for r in rows) / n if n else float("nan"),
            "coverage90": sum(r.inside90 for r in rows) / n if n else float("nan"),
            "pinball": float(np.mean([r.pinball for r in rows])) if n else float("nan"),
            "naive_pinball": float(np.mean([r.naive_pinball for r in rows])) if n else float("nan"),
        }

    def columns(self) -> list[str]:
        return [
            "cutoff",
            "months",
            "ytd",
            "mean",
            *(f"p{q}" for q in QUANTILES),
            "actual",
            "in80",
            "in90",
            "pinball",
            "naive",
            "naive_pinball",
        ]

    def table_rows(self) -> list[dict[str, Any]]:
        out = []
        for r in self.rows:
            out.append(
                {
                    "cutoff": "none" if r.cutoff == 0 else f"{self.year}-{r.cutoff:02d}",
                    "months": r.cutoff,
                    "ytd": round(r.ytd),
                    "mean": round(r.mean),
                    **{
                        f"p{q}": round(float(v))
                        for q, v in zip(QUANTILES, r.quantiles, strict=True)
                    },
                    "actual": round(self.actual),
                    "in80": int(r.inside80),
                    "in90": int(r.inside90),
                    "pinball": round(r.pinball),
                    "naive": round(r.naive),
                    "naive_pinball": round(r.naive_pinball),
                }
            )
        return out


def backtest(
    year: int | None = None,
    *,
    monthly: MonthlyHistory | str | Path | None = None,
    scenario: Any = None,
    annual: str | Path | None = None,
    paths: int = 20_000,
    seed: int = 20260101,
    cutoffs: Iterable[int] = range(0, 12),
    seasonal: Sequence[float] | None = None,
) -> NowcastBacktest:
    """Nowcast a complete past ``year`` (default: the last complete year of ``monthly``) from
    each cut-off (0 = no months ... 11 = January to November), using only what was known then:
    the monthly model is fitted to the months before the year, and the annual prior is
    ``scenario`` if given (its base year moved to the year before) or else ``trend_scenario``
    from the annual history up to the year before. Naive baseline: the year-to-date plus the
    remaining months at the average of the last three known months."""
    hist = monthly if isinstance(monthly, MonthlyHistory) else load_monthly(monthly)
    complete = hist.complete_years()
    if year is None:
        if not complete:
            raise HistoryError(f"monthly history {hist.source} has no complete year to backtest")
        year = complete[-1]
    if year not in complete:
        raise HistoryError(
            f"monthly history {hist.source} does not have all twelve months of {year}"
        )
    if paths < 1:
        raise UsageError(f"paths must be at least 1, got {paths}")
    sc = (
        trend_scenario(year, annual=annual)
        if scenario is None
        else scenario_for_year(scenario, year)
    )
    months = hist.year(year)
    actual = float(sum(months.values()))
    fit = fit_before_year(hist, year, seasonal)
    spread = annual_log_sd(sc, seed=seed)
    known = hist.as_dict()
    rows = []
    for k in cutoffs:
        if not 0 <= k <= 11:
            raise UsageError(f"cut-off {k}: expected 0 (no months) to 11 (January to November)")
        actuals = {month_index(year, m): months[m] for m in range(1, k + 1)}
        res = nowcast(
            actuals,
            scenario=sc,
            year=year,
            paths=paths,
            seed=seed,
            monthly=fit,
            prior_log_sd=spread,
        )
        cut = month_index(year, 1) + k - 1
        last = [known[m] for m in sorted(known) if m <= cut][-3:]
        naive = float(res.ytd + (12 - k) * np.mean(last))
        q = res.quantiles
        rows.append(
            BacktestRow(
                cutoff=k,
                ytd=res.ytd,
                mean=res.mean,
                quantiles=q,
                inside80=bool(q[1] <= actual <= q[5]),
                inside90=bool(q[0] <= actual <= q[6]),
                pinball=pinball(actual, q),
                naive=naive,
                naive_pinball=pinball(actual, np.full(len(q), naive)),
            )
        )
    return NowcastBacktest(year, actual, sc.name, paths, seed, tuple(rows))
