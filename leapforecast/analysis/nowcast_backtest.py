"""The calibration report, monthly: the nowcast scored on every maker-year and every cut-off.

For every maker with monthly data (Leapmotor and the peers in ``ev_peers_monthly.csv``), every
year whose twelve months are known and whose previous year is complete too, and every cut-off
from 0 months observed (the annual prior alone) to 11 (January-November), the nowcast is run
with only what was known at the cut-off:

* the monthly model is fitted to the maker's months before the year;
* the annual prior is ``--scenario`` for Leapmotor years (rebased to the year before as the
  annual calibration report does), and otherwise the pooled reference model fitted up to the
  year before (``--prior reference``, the default scenario's growth) or a trend prior from the
  maker's own annual history (``--prior trend``: log growth ~ Normal(mean, sd) of its past
  years); every level prior is mixed with the outside view as the nowcast mixes it.

Each remaining month's 80% and 90% intervals are scored against the month's actual; the annual
total by its 80% interval, PIT, CRPS and pinball loss, **in log units** (so makers of every size
count alike), against two naive point forecasts:

* *run rate*: the last (up to) three months' deliveries, deseasonalised with last year's
  monthly shares and carried over the remaining months with those shares;
* *y/y*: the year to date's ratio to the same months last year, applied to last year's
  remaining months.

With no month observed both are last year's total. Results are grouped by months observed (0,
1-2, 3-5, 6-8, 9-11). Cases in a group share maker-years (a year's shock is in all its
cut-offs), so Wilson intervals are optimistic; the per-case rows say which case is which.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from leapforecast._version import __version__
from leapforecast.analysis.nowcast import (
    DEFAULT_OPTIONS,
    MonthlyOptions,
    ShapeDraw,
    YearToDate,
    fit_before_year,
    noise_logliks_before,
    outside_totals,
    same_months,
    year_to_date,
)
from leapforecast.analysis.rebase import rebase_scenario
from leapforecast.analysis.scoring import (
    crps_samples,
    pinball_loss,
    pit,
    pit_histogram,
    pit_uniformity_pvalue,
    wilson_interval,
)
from leapforecast.analysis.seasonal import NoiseKey, mixture_noise_prior, pooled_noise_weights
from leapforecast.data.history import History, load_history
from leapforecast.data.monthly import MonthlyHistory, load_monthly, load_monthly_peers, month_index
from leapforecast.data.peers import load_peers
from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.driver import map_runs
from leapforecast.engine.results import QUANTILES
from leapforecast.engine.run import simulate
from leapforecast.errors import HistoryError, LeapforecastError, UsageError
from leapforecast.model.scenario import Scenario, ScenarioError

SUBJECT = "Leapmotor"
GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0", 0, 0),
    ("1-2", 1, 2),
    ("3-5", 3, 5),
    ("6-8", 6, 8),
    ("9-11", 9, 11),
)
PIT_BINS = 5  # quintiles: a group holds tens of totals, too few for deciles
DEFAULT_PATHS = 2000
PRIORS = ("reference", "trend")  # the annual prior of a maker-year without a scenario
DEFAULT_SEED = 20260101
TAUS = tuple(q / 100 for q in QUANTILES)
COLUMNS = [
    "group",
    "cases",
    "month_cases",
    "month_coverage_80",
    "month_coverage_80_lo",
    "month_coverage_80_hi",
    "month_coverage_90",
    "total_coverage_80",
    "total_coverage_80_lo",
    "total_coverage_80_hi",
    "total_pit_p",
    "crps",
    "naive_crps",
]
CASE_COLUMNS = [
    "maker",
    "year",
    "months",
    "prior",
    "actual",
    "p10",
    "p50",
    "p90",
    "in_80",
    "pit",
    "crps",
    "pinball",
    "naive_run_rate",
    "naive_yoy",
    "crps_run_rate",
    "crps_yoy",
    "month_cases",
    "month_in_80",
    "month_in_90",
]


@dataclass(frozen=True)
class MonthlyCase:
    """One nowcast (maker, year, months observed) scored against the year's outcome."""

    maker: str
    year: int
    months: int  # observed: January .. this month
    prior: str
    actual: float
    quantiles: tuple[float, ...]  # of the total at QUANTILES
    pit: float
    crps: float  # of the log total
    pinball: float  # mean over QUANTILES, log units
    naive_run_rate: float
    naive_yoy: float
    month_in_80: tuple[bool, ...]  # remaining months
    month_in_90: tuple[bool, ...]

    @property
    def in_80(self) -> bool:
        return self.quantiles[1] <= self.actual <= self.quantiles[5]

    def naive_crps(self, which: str) -> float:
        v = self.naive_run_rate if which == "run_rate" else self.naive_yoy
        return abs(math.log(v / self.actual))

    def row(self) -> dict[str, Any]:
        return {
            "maker": self.maker,
            "year": self.year,
            "months": self.months,
            "prior": self.prior,
            "actual": round(self.actual),
            "p10": round(self.quantiles[1]),
            "p50": round(self.quantiles[3]),
            "p90": round(self.quantiles[5]),
            "in_80": int(self.in_80),
            "pit": round(self.pit, 4),
            "crps": round(self.crps, 4),
            "pinball": round(self.pinball, 4),
            "naive_run_rate": round(self.naive_run_rate),
            "naive_yoy": round(self.naive_yoy),
            "crps_run_rate": round(self.naive_crps("run_rate"), 4),
            "crps_yoy": round(self.naive_crps("yoy"), 4),
            "month_cases": len(self.month_in_80),
            "month_in_80": sum(self.month_in_80),
            "month_in_90": sum(self.month_in_90),
        }


@dataclass(frozen=True)
class GroupScore:
    """The cases with ``lo``..``hi`` months observed."""

    group: str
    cases: int
    month_cases: int
    month_hits_80: int
    month_hits_90: int
    total_hits_80: int
    pit_histogram: tuple[int, ...]
    total_pit_p: float
    crps: float
    crps_run_rate: float
    crps_yoy: float
    pinball: float

    @property
    def naive_crps(self) -> float:
        """The better (lower) of the two naive baselines: the harder yardstick."""
        return min(self.crps_run_rate, self.crps_yoy)

    def row(self) -> dict[str, Any]:
        lo, hi = wilson_interval(self.month_hits_80, self.month_cases)
        tlo, thi = wilson_interval(self.total_hits_80, self.cases)

        def r(v: float) -> float | None:
            return round(v, 4) if math.isfinite(v) else None

        mc = max(1, self.month_cases)
        return {
            "group": self.group,
            "cases": self.cases,
            "month_cases": self.month_cases,
            "month_coverage_80": r(self.month_hits_80 / mc) if self.month_cases else None,
            "month_coverage_80_lo": r(lo) if self.month_cases else None,
            "month_coverage_80_hi": r(hi) if self.month_cases else None,
            "month_coverage_90": r(self.month_hits_90 / mc) if self.month_cases else None,
            "total_coverage_80": r(self.total_hits_80 / self.cases),
            "total_coverage_80_lo": r(tlo),
            "total_coverage_80_hi": r(thi),
            "total_pit_p": r(self.total_pit_p),
            "crps": r(self.crps),
            "naive_crps": r(self.naive_crps),
        }


@dataclass
class NowcastBacktest(TabularMixin):
    """The monthly calibration report: per-group scores and every case."""

    cases: list[MonthlyCase]
    groups: list[GroupScore]
    makers: tuple[str, ...]
    maker_years: tuple[tuple[str, int], ...]
    paths: int
    seed: int
    scenario: str | None
    skipped: dict[str, str] = field(default_factory=dict)  # "maker year" -> why
    prior: str = "reference"  # the annual prior of the makers without a scenario

    def columns(self) -> list[str]:
        return list(COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        return [g.row() for g in self.groups]

    def case_table(self) -> NowcastCases:
        return NowcastCases(self.cases, self.metadata())

    def metadata(self) -> dict[str, Any]:
        return {
            "makers": list(self.makers),
            "maker_years": [f"{m} {y}" for m, y in self.maker_years],
            "paths": self.paths,
            "seed": self.seed,
            "scenario": self.scenario,
            "prior": self.prior,
            "units": "log units (CRPS and pinball of the log annual total)",
            "naive_crps": "the lower of the run-rate and y/y baselines",
            "version": __version__,
        }

    def document(self) -> dict[str, Any]:
        return {
            "metadata": self.metadata(),
            "groups": self.rows(),
            "details": [
                {
                    "group": g.group,
                    "crps_run_rate": round(g.crps_run_rate, 4),
                    "crps_yoy": round(g.crps_yoy, 4),
                    "pinball": round(g.pinball, 4),
                    "pit_histogram": list(g.pit_histogram),
                }
                for g in self.groups
            ],
            "skipped": self.skipped,
        }


@dataclass
class NowcastCases(TabularMixin):
    """Every scored nowcast, one row each."""

    cases: list[MonthlyCase]
    metadata: dict[str, Any]

    def columns(self) -> list[str]:
        return list(CASE_COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        return [c.row() for c in self.cases]

    def document(self) -> dict[str, Any]:
        return {"metadata": self.metadata, "cases": self.rows()}


# --------------------------------------------------------------------------- inputs


def load_series(
    series: Sequence[str] | str | None = None,
    *,
    monthly: MonthlyHistory | str | Path | None = None,
    annual: str | Path | None = None,
    peers_monthly: str | Path | None = None,
    peers_annual: str | Path | None = None,
) -> dict[str, tuple[MonthlyHistory, History]]:
    """``{maker: (monthly, annual)}`` for Leapmotor (``monthly``/``annual``, default bundled)
    and the makers of the monthly peers file (their annual history from the peers file).
    ``series``: a maker name, several, or ``"all"``/None for every maker."""
    lm = monthly if isinstance(monthly, MonthlyHistory) else load_monthly(monthly)
    out: dict[str, tuple[MonthlyHistory, History]] = {SUBJECT: (lm, load_history(annual))}
    annual_peers = load_peers(peers_annual)
    for maker, hist in load_monthly_peers(peers_monthly).items():
        if maker in annual_peers:
            out[maker] = (hist, annual_peers[maker])
    names = [series] if isinstance(series, str) else list(series or ["all"])
    if any(n.lower() == "all" for n in names):
        return out
    lookup = {k.lower(): k for k in out}
    unknown = [n for n in names if n.lower() not in lookup]
    if unknown:
        raise UsageError(f"unknown series '{unknown[0]}' (known: all, {', '.join(out)})")
    return {lookup[n.lower()]: out[lookup[n.lower()]] for n in names}


def trend_prior(
    annual: History,
    year: int,
    paths: int,
    rng: np.random.Generator,
    *,
    pool: Sequence[History] | None = None,
) -> tuple[np.ndarray, str]:
    """Totals for ``year`` from the trend of the annual history up to ``year - 1``.

    Without ``pool``: log growth ~ Normal(mean, sd) of the past intervals. With ``pool`` (the
    annual histories of several makers, this one included), the predictive distribution of the
    next log growth: the maker's own mean, a spread pooled across makers (each maker's growths
    about its own mean, all up to ``year - 1``) widened for the uncertainty of that mean, and
    Student-t tails for the uncertainty of the spread. Two or three growths of one maker (NIO's
    0.75 and 0.74 before 2022) otherwise make a near-certain prior out of a coincidence.
    """
    hist = annual.upto(year - 1)
    if hist.years[-1] != year - 1 or len(hist.years) < 3:
        raise HistoryError(f"a trend prior for {year} needs 3 annual years up to {year - 1}")
    g = np.asarray(hist.log_growths())
    mean = float(g.mean())
    if pool is None:
        sd = float(g.std(ddof=1))
        totals = hist.units[-1] * np.exp(mean + sd * rng.standard_normal(paths))
        return totals, f"trend N({mean:.2f}, {sd:.2f})"
    squares, dof = 0.0, 0
    for other in pool:
        try:
            gs = np.asarray(other.upto(year - 1).log_growths())
        except HistoryError:
            continue
        if len(gs) >= 2:
            squares += float(((gs - gs.mean()) ** 2).sum())
            dof += len(gs) - 1
    if dof < 2:
        raise HistoryError(f"a pooled trend prior for {year} needs more makers' growths")
    sd = math.sqrt(squares / dof) * math.sqrt(1.0 + 1.0 / len(g))
    totals = hist.units[-1] * np.exp(mean + sd * rng.standard_t(dof, paths))
    return totals, f"trend t{dof}({mean:.2f}, {sd:.2f})"


def reference_prior(
    annual: History, year: int, paths: int, rng: np.random.Generator
) -> tuple[np.ndarray, str]:
    """Totals for ``year`` from the pooled reference model (the outside view, and the growth
    of the default scenario) fitted on the bundled peers and ``annual`` with growth ending by
    ``year - 1`` only, simulated from the maker's ``year - 1`` level."""
    hist = annual.upto(year - 1)
    if hist.years[-1] != year - 1:
        raise HistoryError(f"a reference prior for {year} needs the annual total of {year - 1}")
    totals = outside_totals(hist, year - 1, hist.units[-1], draws=paths, rng=rng)
    if totals is None:
        raise HistoryError(f"no reference fit for {year}: too little history up to {year - 1}")
    return totals, "reference"


def naive_forecasts(last_year: dict[int, float], observed: dict[int, float]) -> tuple[float, float]:
    """(run rate, y/y) totals for the year from its first months and last year's months."""
    ly_total = sum(last_year.values())
    k = len(observed)
    if k == 0:
        return ly_total, ly_total
    ytd = sum(observed.values())
    recent = list(range(max(1, k - 2), k + 1))
    rate = sum(observed[m] for m in recent) / sum(last_year[m] for m in recent)
    run_rate = ytd + rate * sum(last_year[m] for m in range(k + 1, 13))
    yoy = ytd * ly_total / sum(last_year[m] for m in range(1, k + 1))
    return run_rate, yoy


# --------------------------------------------------------------------------- the backtest


def backtest(
    series: Sequence[str] | str | None = None,
    *,
    data: dict[str, tuple[MonthlyHistory, History]] | None = None,
    scenario: Scenario | None = None,
    year: int | None = None,
    paths: int = DEFAULT_PATHS,
    seed: int = DEFAULT_SEED,
    cutoffs: Sequence[int] = range(12),
    seasonal: Sequence[float] | None = None,
    options: MonthlyOptions | None = None,
    pool: Sequence[MonthlyHistory] | None = None,
    pooled_prior: bool = False,
    prior: str = "reference",
    jobs: int = 1,
    executor: str = "threads",
    scheduler: str | None = None,
) -> NowcastBacktest:
    """Score the nowcast on every maker-year of ``data`` (default: ``load_series(series)``)
    with a complete previous year, at every cut-off in ``cutoffs`` (months observed, 0-11).

    ``scenario`` is the annual prior for Leapmotor years, rebased to the year before
    (``rebase_scenario``); the others use ``prior``: ``"reference"`` (``reference_prior``) or
    ``"trend"`` (``trend_prior``);
    ``year`` restricts to one year; ``paths`` is the size of each nowcast and of the pilot
    behind its weights; ``seasonal`` fixes the seasonal profile of every maker. ``options``
    is the monthly model (default: the nowcast's). With pooled noise levels they are estimated
    for each scored year from ``pool``'s months before that year (default: every maker in
    ``data`` plus the bundled monthly peers), so no case sees its own year. ``pooled_prior``:
    the trend prior's spread is pooled across the makers' annual histories (``trend_prior``;
    default False: each maker's own, the yardstick of issue 15). ``jobs``/``executor``/
    ``scheduler``: maker-years run on workers as ``engine.driver.map_runs`` runs them; the
    report is identical for any choice.
    """
    opts = DEFAULT_OPTIONS if options is None else options
    prior_kind = prior
    if prior_kind not in PRIORS:
        raise UsageError(f"prior must be one of {', '.join(PRIORS)}, got {prior!r}")
    if paths < 100:
        raise UsageError(f"paths must be at least 100, got {paths}")
    cuts = sorted(set(cutoffs))
    if not cuts or any(not 0 <= k <= 11 for k in cuts):
        raise UsageError(f"cut-offs must be months observed from 0 to 11, got {cuts}")
    data = load_series(series) if data is None else data
    if pool is None:
        everyone = {m: h for m, (h, _) in data.items()}
        for maker, hist in load_monthly_peers(None).items():
            everyone.setdefault(maker, hist)
        pool = list(everyone.values())
    annual_pool: list[History] | None = None
    if pooled_prior:  # every maker of the report, by name (the data given wins over the bundled)
        by_name = {m: a for m, (_, a) in load_series("all").items()}
        by_name.update({m: a for m, (_, a) in data.items()})
        annual_pool = list(by_name.values())
    tasks = []
    for maker_no, (maker, (monthly, annual)) in enumerate(data.items()):
        complete = set(monthly.complete_years())
        years = [y for y in sorted(complete) if y - 1 in complete]
        if year is not None:
            years = [y for y in years if y == year]
        tasks += [_MakerYear(maker_no, maker, monthly, annual, y) for y in years]
    pooled: dict[int, list[tuple[MonthlyHistory, dict[NoiseKey, float]]]] = {}
    if opts.pooled:  # every maker's noise likelihoods for each scored year, computed once
        for y in sorted({t.year for t in tasks}):
            pooled[y] = noise_logliks_before(
                pool,
                y,
                cny=opts.cny and seasonal is None,
                damping=opts.damping,
                working_days=opts.working_days,
            )
    shared = _Shared(
        scenario=scenario,
        paths=paths,
        seed=seed,
        cuts=tuple(cuts),
        seasonal=None if seasonal is None else tuple(float(v) for v in seasonal),
        options=opts,
        prior=prior_kind,
        annual_pool=None if annual_pool is None else tuple(annual_pool),
        pooled=pooled,
    )
    cases: list[MonthlyCase] = []
    skipped: dict[str, str] = {}
    maker_years: list[tuple[str, int]] = []
    for task, (scored, why) in zip(
        tasks,
        map_runs(
            _score_maker_year, shared, tasks, jobs=jobs, executor=executor, scheduler=scheduler
        ),
        strict=True,
    ):
        if why is not None:
            skipped[f"{task.maker} {task.year}"] = why
            continue
        maker_years.append((task.maker, task.year))
        cases += scored
    if not cases:
        raise LeapforecastError(
            "no nowcast backtest case: no maker has a complete year after a complete year"
            + (f" ({'; '.join(f'{k}: {v}' for k, v in skipped.items())})" if skipped else "")
        )
    return NowcastBacktest(
        cases,
        summarize(cases),
        tuple(dict.fromkeys(m for m, _ in maker_years)),
        tuple(maker_years),
        paths,
        seed,
        None if scenario is None else scenario.name,
        skipped,
        prior_kind,
    )


@dataclass(frozen=True)
class _Shared:
    """What every maker-year of a backtest shares (sent once to each worker)."""

    scenario: Scenario | None
    paths: int
    seed: int
    cuts: tuple[int, ...]
    seasonal: tuple[float, ...] | None
    options: MonthlyOptions
    prior: str
    annual_pool: tuple[History, ...] | None
    pooled: dict[int, list[tuple[MonthlyHistory, dict[NoiseKey, float]]]]


@dataclass(frozen=True)
class _MakerYear:
    maker_no: int
    maker: str
    monthly: MonthlyHistory
    annual: History
    year: int


def _score_maker_year(shared: _Shared, task: _MakerYear) -> tuple[list[MonthlyCase], str | None]:
    """Every cut-off of one maker-year: (its cases, None), or ([], why it cannot be scored).
    Its random numbers come from (seed, maker number, year) alone, so a maker-year scores the
    same on any worker, in any order."""
    opts, paths, seed = shared.options, shared.paths, shared.seed
    maker, monthly, annual, y = task.maker, task.monthly, task.annual, task.year
    rng = np.random.default_rng([seed, task.maker_no, y])
    outside = None
    try:
        if shared.scenario is not None and maker == SUBJECT:
            # as the annual calibration report scores a scenario: rebased to the year before
            # (units scaled to that level, dated events dropped)
            sc = rebase_scenario(shared.scenario, annual, y - 1, horizon=1, paths=paths).scenario
            run = simulate(sc, paths=paths, seed=seed)
            prior_totals = np.asarray(run.totals, dtype=float)[:, 0]
            label = f"scenario {sc.name}"
        elif shared.prior == "reference":
            prior_totals, label = reference_prior(annual, y, paths, rng)
        else:
            pool = None if shared.annual_pool is None else list(shared.annual_pool)
            prior_totals, label = trend_prior(annual, y, paths, rng, pool=pool)
        if opts.conflict > 0.0:  # the level prior's other half: the outside view
            try:
                outside = reference_prior(annual, y, paths, rng)[0]
            except HistoryError:
                outside = None
        weights = None
        if opts.pooled:
            if opts.partial:  # the other makers' noise levels as a prior
                own = monthly.upto(month_index(y, 1) - 1)
                weights = mixture_noise_prior(
                    [ll for h, ll in shared.pooled[y] if not same_months(h, own)]
                )
            else:
                weights = pooled_noise_weights([ll for _, ll in shared.pooled[y]])
        fit = fit_before_year(monthly, y, shared.seasonal, options=opts, noise_weights=weights)
    except (HistoryError, UsageError, ScenarioError) as exc:
        return [], str(exc)
    prior_totals = np.maximum(prior_totals, 1.0)
    spread = float(np.std(np.log(prior_totals)))
    months = monthly.year(y)
    last = monthly.year(y - 1)
    actual = float(sum(months.values()))
    cases = []
    # The monthly model's draws do not depend on the cut-off: each is made once for the year
    # (common random numbers across its cut-offs), not once per cut-off (56 simulations of the
    # year's months -> 5). The pilot's are what `nowcast --seed SEED` draws at any cut-off.
    year_shapes = YearToDate(y, {}, fit, spread, options=opts)  # no actuals: the year's shapes
    pilot_shapes = (
        year_shapes.pilot_shapes(paths, seed) if any(0 < k < 12 for k in shared.cuts) else None
    )
    draw_shapes = (
        ShapeDraw(year_shapes.shapes(paths, rng)),
        ShapeDraw(year_shapes.shapes(paths, rng)),
    )
    for k in shared.cuts:
        observed = {m: months[m] for m in range(1, k + 1)}
        ytd = year_to_date(
            {month_index(y, m): u for m, u in observed.items()},
            year=y,
            monthly=fit,
            prior_log_sd=spread,
            prior_log_mean=float(np.mean(np.log(prior_totals))),
            seed=seed,
            pilot=paths,
            options=opts,
            outside=outside,
            pilot_shapes=pilot_shapes,
        )
        totals, draws = ytd.draw(prior_totals, rng, draw_shapes)
        rest = list(range(k + 1, 13))
        q = np.quantile(draws[:, [m - 1 for m in rest]], [0.05, 0.1, 0.9, 0.95], axis=0)
        a = np.array([months[m] for m in rest])
        logs = np.log(totals)
        y_log = math.log(actual)
        run_rate, yoy = naive_forecasts(last, observed)
        cases.append(
            MonthlyCase(
                maker=maker,
                year=y,
                months=k,
                prior=label,
                actual=actual,
                quantiles=tuple(float(v) for v in np.quantile(totals, TAUS)),
                pit=float(pit(logs, y_log, rng=rng)),
                crps=float(crps_samples(logs, y_log)),
                pinball=float(np.mean(pinball_loss(np.quantile(logs, TAUS), y_log, TAUS))),
                naive_run_rate=run_rate,
                naive_yoy=yoy,
                month_in_80=tuple(bool(v) for v in (q[1] <= a) & (a <= q[2])),
                month_in_90=tuple(bool(v) for v in (q[0] <= a) & (a <= q[3])),
            )
        )
    return cases, None


def summarize(cases: list[MonthlyCase]) -> list[GroupScore]:
    """Scores per months-observed group (``GROUPS``)."""
    out = []
    for label, lo, hi in GROUPS:
        cs = [c for c in cases if lo <= c.months <= hi]
        if not cs:
            continue
        pits = np.array([c.pit for c in cs])
        out.append(
            GroupScore(
                group=label,
                cases=len(cs),
                month_cases=sum(len(c.month_in_80) for c in cs),
                month_hits_80=sum(sum(c.month_in_80) for c in cs),
                month_hits_90=sum(sum(c.month_in_90) for c in cs),
                total_hits_80=sum(c.in_80 for c in cs),
                pit_histogram=tuple(int(v) for v in pit_histogram(pits, PIT_BINS)),
                total_pit_p=pit_uniformity_pvalue(pits, PIT_BINS),
                crps=float(np.mean([c.crps for c in cs])),
                crps_run_rate=float(np.mean([c.naive_crps("run_rate") for c in cs])),
                crps_yoy=float(np.mean([c.naive_crps("yoy") for c in cs])),
                pinball=float(np.mean([c.pinball for c in cs])),
            )
        )
    return out
