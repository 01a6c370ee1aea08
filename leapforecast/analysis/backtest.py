"""The calibration report, annual: every forecasting method scored on the same rolling-origin cases.

For every maker (Leapmotor and the reference-class makers) and every origin year with at least
two growth observations up to it, each method sees only the data up to the origin and forecasts
1, 2, ... years ahead as ``draws`` samples. Each forecast is scored against what happened **in log
units** (the CRPS of the log level, so a maker selling 50k and one selling 2M count alike and
CRPS values compare across makers):

* coverage of the central 50/80/90% intervals, with a Wilson 95% interval on the 90% coverage
  and a cluster bootstrap over target years (cases in one year share its shocks);
* the PIT (where the outcome fell in the forecast distribution), its decile histogram and a
  chi-square uniformity p-value: a U shape means intervals too narrow, a hump too wide;
* CRPS, the interval score of the 90% interval (Gneiting & Raftery), bias (mean log error of
  the median) and skill against ``rw`` (``1 - CRPS / CRPS_rw`` on the same cases).

Methods: ``history`` (resample the maker's own log growth), ``fitted`` (normal log growth with
parameter uncertainty), ``peers`` (resample other makers' growth from a similar scale), ``rw``
(random walk with drift, Student-t predictive: the skill baseline), ``no-change`` and
``last-growth`` (point forecasts), ``reference`` (the pooled growth-slows-with-scale model fitted
on every maker's growth ending by the origin) and ``scenario:NAME`` (a scenario file or bundled
name; ``scenario:default`` is what ``leapforecast run`` uses), its growth structure rebased onto
each maker at each origin (see :mod:`leapforecast.analysis.rebase`). A case is scored only when
every method can forecast it, so all methods are compared on the same cases. Every draw comes
from a stream keyed by (seed, maker, origin, method), so a method's numbers depend only on the
seed and the data, not on which other methods ran.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from leapforecast._version import __version__
from leapforecast.analysis.baselines import last_growth, no_change, rw_drift
from leapforecast.analysis.rebase import rebase_scenario
from leapforecast.analysis.reference import ReferenceFit, fit_reference, growth_observations
from leapforecast.analysis.scoring import (
    bootstrap_coverage_interval,
    calibration_verdict,
    conformal_factor,
    crps_samples,
    deviation_score,
    interval_score,
    pit,
    pit_histogram,
    pit_uniformity_pvalue,
    skill,
    wilson_interval,
)
from leapforecast.data.history import History, load_history
from leapforecast.data.peers import load_peers, peer_intervals
from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.run import simulate_totals
from leapforecast.errors import LeapforecastError, ScenarioError, UsageError
from leapforecast.model.files import bundled_scenarios
from leapforecast.model.scenario import Scenario, load_scenario

FIXED_METHODS = ("history", "fitted", "peers", "rw", "no-change", "last-growth", "reference")
POINT_METHODS = ("no-change", "last-growth")
BASELINE = "rw"
CALIBRATED = "+calibrated"  # scenario:NAME+calibrated: widened by a leave-one-year-out spread
LEVELS = (0.5, 0.8, 0.9)
PIT_BINS = 10
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 20260101
DEFAULT_HORIZONS = (1, 2, 3)
BOOTSTRAP_REPS = 2000
LOG_BOUND = 30.0  # |log change| bound on rw draws (e^30 ~ 1e13)
SUMMARY_COLUMNS = [
    "method",
    "horizon",
    "cases",
    "coverage_50",
    "coverage_80",
    "coverage_90",
    "coverage_90_lo",
    "coverage_90_hi",
    "pit_p",
    "crps",
    "interval_score_90",
    "bias",
    "skill_rw",
    "in_sample",
]
CASE_COLUMNS = [
    "series",
    "origin",
    "year",
    "horizon",
    "method",
    "actual",
    "median",
    "p5",
    "p95",
    "pit",
    "in_50",
    "in_80",
    "in_90",
    "crps",
    "interval_score_90",
    "log_error",
    "in_sample",
]


def default_methods() -> tuple[str, ...]:
    """Every method: the fixed ones, ``scenario:default`` and every bundled scenario."""
    return (
        *FIXED_METHODS,
        "scenario:default",
        *(f"scenario:{name}" for name in bundled_scenarios()),
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Case:
    """One forecast scored against its outcome (levels in units; scores in log units)."""

    series: str
    origin: int
    horizon: int
    method: str
    actual: float
    median: float
    p5: float
    p95: float
    pit: float
    covered: tuple[bool, ...] | None  # for LEVELS; None for a point forecast
    crps: float
    interval_score_90: float | None
    in_sample: bool | None  # None: the method does not say what it had seen
    # ln(median) and the ln bounds of each central interval (LEVELS), for ``calibrate``;
    # None for a point forecast. Not in the CSV.
    log_bounds: tuple[float, tuple[tuple[float, float], ...]] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def year(self) -> int:
        return self.origin + self.horizon

    @property
    def log_error(self) -> float:
        """ln(median forecast / outcome): positive when the forecast was too high."""
        return math.log(self.median / self.actual)


@dataclass(frozen=True)
class Score:
    """One method at one horizon, over the scored cases."""

    method: str
    horizon: int
    cases: int
    coverage: tuple[float, ...] | None  # share inside each central interval (LEVELS)
    hits_90: int | None
    coverage_90_ci: tuple[float, float] | None  # Wilson 95%
    coverage_90_boot: tuple[float, float] | None  # cluster bootstrap over target years
    pit_histogram: tuple[int, ...]
    pit_p: float | None
    crps: float
    interval_score_90: float | None
    bias: float  # mean ln(median / outcome)
    skill_rw: float
    in_sample: int | None

    @property
    def verdict(self) -> str:
        """Whether the 90% intervals are too narrow, too wide or consistent with nominal."""
        if self.hits_90 is None:
            return "point forecast"
        return calibration_verdict(self.hits_90, self.cases, 0.9)

    def row(self) -> dict[str, Any]:
        cov: Sequence[float | None] = self.coverage or (None,) * len(LEVELS)
        ci = self.coverage_90_ci or (None, None)

        def r(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(v, 4)

        return {
            "method": self.method,
            "horizon": self.horizon,
            "cases": self.cases,
            **{f"coverage_{round(100 * lv)}": r(c) for lv, c in zip(LEVELS, cov, strict=True)},
            "coverage_90_lo": r(ci[0]),
            "coverage_90_hi": r(ci[1]),
            "pit_p": r(self.pit_p),
            "crps": r(self.crps),
            "interval_score_90": r(self.interval_score_90),
            "bias": r(self.bias),
            "skill_rw": r(self.skill_rw),
            "in_sample": self.in_sample,
        }


def _case_row(c: Case) -> dict[str, Any]:
    cov: Sequence[bool | None] = c.covered if c.covered is not None else (None,) * len(LEVELS)
    return {
        "series": c.series,
        "origin": c.origin,
        "year": c.year,
        "horizon": c.horizon,
        "method": c.method,
        "actual": round(c.actual),
        "median": round(c.median),
        "p5": round(c.p5),
        "p95": round(c.p95),
        "pit": round(c.pit, 4),
        **{
            f"in_{round(100 * lv)}": (None if v is None else int(v))
            for lv, v in zip(LEVELS, cov, strict=True)
        },
        "crps": round(c.crps, 4),
        "interval_score_90": None if c.interval_score_90 is None else round(c.interval_score_90, 4),
        "log_error": round(c.log_error, 4),
        "in_sample": None if c.in_sample is None else int(c.in_sample),
    }


@dataclass
class BacktestCases(TabularMixin):
    """Every scored case, one row each (``--cases``)."""

    cases: list[Case]
    metadata: dict[str, Any]

    def columns(self) -> list[str]:
        return list(CASE_COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        return [_case_row(c) for c in self.cases]

    def document(self) -> dict[str, Any]:
        return {"metadata": self.metadata, "cases": self.rows()}


@dataclass
class BacktestResult(TabularMixin):
    """Scored cases and their summary per method and horizon (the calibration report)."""

    cases: list[Case]
    scores: list[Score]
    methods: tuple[str, ...]
    horizons: tuple[int, ...]
    series: tuple[str, ...]
    draws: int
    seed: int
    settings: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)  # method -> what rebasing did
    dropped: dict[str, int] = field(default_factory=dict)  # method -> cases it could not forecast

    def columns(self) -> list[str]:
        return list(SUMMARY_COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        return [s.row() for s in self.scores]

    def case_table(self) -> BacktestCases:
        return BacktestCases(self.cases, self.metadata())

    def verdicts(self) -> dict[str, list[tuple[int, str]]]:
        """{method: [(horizon, verdict of its 90% intervals)]}."""
        out: dict[str, list[tuple[int, str]]] = {}
        for s in self.scores:
            out.setdefault(s.method, []).append((s.horizon, s.verdict))
        return out

    def metadata(self) -> dict[str, Any]:
        return {
            "methods": list(self.methods),
            "horizons": list(self.horizons),
            "series": list(self.series),
            "draws": self.draws,
            "seed": self.seed,
            "levels": list(LEVELS),
            "units": "log units (CRPS, interval score and bias of the log level)",
            "skill_baseline": BASELINE,
            "version": __version__,
            **self.settings,
        }

    def document(self) -> dict[str, Any]:
        return {
            "metadata": self.metadata(),
            "summary": self.rows(),
            "details": [
                {
                    "method": s.method,
                    "horizon": s.horizon,
                    "verdict": s.verdict,
                    "coverage_90_bootstrap": None
                    if s.coverage_90_boot is None
                    else [round(v, 4) for v in s.coverage_90_boot],
                    "pit_histogram": list(s.pit_histogram),
                }
                for s in self.scores
            ],
            "rebasing": self.notes,
            "dropped": self.dropped,
        }


# --------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class Context:
    """What a method may see at an origin: the series up to then and the other series' data."""

    name: str
    history: History  # already cut at the origin
    universe: dict[str, History]  # every series, full length (methods must cut at the origin)
    horizons: tuple[int, ...]
    draws: int
    rng: np.random.Generator

    @property
    def origin(self) -> int:
        return self.history.years[-1]


Forecaster = Callable[[Context], "np.ndarray | None"]  # -> (draws, len(horizons)) log levels


def _paths_from_growth(ctx: Context, growth: np.ndarray) -> np.ndarray:
    """(draws, max horizon) log growth per year -> (draws, len(horizons)) log levels."""
    level = math.log(ctx.history.units[-1]) + np.cumsum(growth, axis=1)
    return level[:, [h - 1 for h in ctx.horizons]]


def history_bootstrap(ctx: Context) -> np.ndarray | None:
    """Resample the series' own annual log growth, independently each year."""
    g = np.asarray(ctx.history.log_growths())
    if len(g) < 1:
        return None
    draws = ctx.rng.choice(g, size=(ctx.draws, max(ctx.horizons)))
    return _paths_from_growth(ctx, draws)


def fitted_growth(ctx: Context) -> np.ndarray | None:
    """Predictive of independent normal log growth with unknown mean and sd (flat prior on the
    mean and log sd), gaps in the years weighted by their length. Close to ``rw``; kept because
    it is what ``leapforecast fit`` reports."""
    years = np.asarray(ctx.history.years, float)
    logs = np.log(np.asarray(ctx.history.units, float))
    d, delta = np.diff(years), np.diff(logs)
    n = len(d)
    if n < 2:
        return None
    span = d.sum()
    mu = delta.sum() / span
    s2 = np.sum((delta - mu * d) ** 2 / d) / (n - 1)
    sigma = np.sqrt(s2 * (n - 1) / ctx.rng.chisquare(n - 1, size=ctx.draws))
    mean = mu + sigma / np.sqrt(span) * ctx.rng.standard_normal(ctx.draws)
    z = ctx.rng.standard_normal((ctx.draws, max(ctx.horizons)))
    return _paths_from_growth(ctx, mean[:, None] + sigma[:, None] * z)


def peer_pool(ctx: Context, *, window: float = 2.0, min_pool: int = 5) -> list[float]:
    """Annual log growth of the *other* series from a similar scale (start level within a factor
    ``window`` of this series' origin level), ending by the origin. The window doubles until the
    pool holds ``min_pool`` values, then falls back to every such interval."""

    level = ctx.history.units[-1]
    others = {k: v for k, v in ctx.universe.items() if k != ctx.name}
    w = window
    while w <= 64:
        ivs = peer_intervals(others, min_units=level / w, max_units=level * w, upto=ctx.origin)
        if len(ivs) >= min_pool:
            return [iv.log_growth for iv in ivs]
        w *= 2
    return [iv.log_growth for iv in peer_intervals(others, min_units=0.0, upto=ctx.origin)]


def reference_class(ctx: Context, *, window: float = 2.0, min_pool: int = 5) -> np.ndarray | None:
    """Resample the peer pool's annual log growth, independently each year."""
    pool = peer_pool(ctx, window=window, min_pool=min_pool)
    if not pool:
        return None
    draws = ctx.rng.choice(np.asarray(pool), size=(ctx.draws, max(ctx.horizons)))
    return _paths_from_growth(ctx, draws)


def random_walk(ctx: Context) -> np.ndarray | None:
    """``rw``: random walk with drift in logs, Student-t predictive (the skill baseline)."""
    if len(ctx.history.units) < 3:
        return None
    with np.errstate(over="ignore", divide="ignore"):
        levels = rw_drift(ctx.history.units, ctx.horizons, draws=ctx.draws, rng=ctx.rng)
        logs = np.log(levels).T
    # with two growths the predictive is a t with one degree of freedom (Cauchy tails): a few
    # draws overflow. Bound them at a factor e^LOG_BOUND from the origin level (they still
    # count as far out in the tails; CRPS stays finite).
    last = math.log(ctx.history.units[-1])
    return np.clip(logs, last - LOG_BOUND, last + LOG_BOUND)


def _point(rule: Callable[..., np.ndarray], minimum: int) -> Forecaster:
    def run(ctx: Context) -> np.ndarray | None:
        if len(ctx.history.units) < minimum:
            return None
        # draws identical samples, so the PIT of a miss is ~0 or ~1 (ties randomised)
        return np.log(rule(ctx.history.units, ctx.horizons, draws=ctx.draws)).T

    return run


def _reference_method() -> Forecaster:
    """``reference``: the pooled model fitted on all makers' growth ending by the origin (one
    fit per origin, shared by every maker)."""
    fits: dict[int, ReferenceFit | None] = {}

    def run(ctx: Context) -> np.ndarray | None:
        if ctx.origin not in fits:
            series = {n: list(zip(h.years, h.units, strict=True)) for n, h in ctx.universe.items()}
            data = growth_observations(series, until_year=ctx.origin)
            try:
                fits[ctx.origin] = fit_reference(data, reference_year=ctx.origin)
            except ValueError:
                fits[ctx.origin] = None
        fit = fits[ctx.origin]
        if fit is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the growth bound; rare, harmless
            levels = fit.simulate(
                ctx.history.units[-1], max(ctx.horizons), draws=ctx.draws, rng=ctx.rng
            )
        return np.log(levels[[h - 1 for h in ctx.horizons]]).T

    return run


def _scenario_method(scenario: Scenario, notes: list[str]) -> Forecaster:
    def run(ctx: Context) -> np.ndarray | None:
        try:
            rebased = rebase_scenario(
                scenario, ctx.history, ctx.origin, horizon=max(ctx.horizons), paths=ctx.draws
            )
        except ScenarioError:
            return None
        for n in rebased.notes:
            if n not in notes:
                notes.append(n)
        seed = int(ctx.rng.integers(0, 2**62))
        totals = simulate_totals(rebased.scenario, paths=ctx.draws, seed=seed)
        totals = np.maximum(np.asarray(totals, float), 1.0)
        return np.log(totals[:, [h - 1 for h in ctx.horizons]])

    return run


# --------------------------------------------------------------------------- the backtest


def default_universe(history: str | None = None, peers: str | None = None) -> dict[str, History]:
    """The subject first (bundled Leapmotor, or a ``history`` CSV named by its file stem), then
    the reference class (bundled, or a ``peers`` CSV with a maker column)."""
    name = "Leapmotor" if history is None else Path(history).stem
    universe = {name: load_history(history or "builtin:leapmotor")}
    for maker, hist in load_peers(peers).items():
        if maker in universe:
            raise UsageError(f"peer '{maker}' has the same name as the history; rename the file")
        universe[maker] = hist
    return universe


def load_method_scenarios(
    methods: Sequence[str], *, overrides: Sequence[str] = ()
) -> dict[str, Scenario]:
    """Load the scenario behind every ``scenario:NAME`` method (``default`` = what ``run``
    uses with no argument); unknown methods are a one-line error naming them."""
    out: dict[str, Scenario] = {}
    for m in methods:
        if m in FIXED_METHODS:
            continue
        if m == "scenario":
            raise UsageError(
                "the scenario method names its scenario: scenario:NAME (a bundled name, a file "
                "or default), or name the scenario itself: backtest NAME"
            )
        if not m.startswith("scenario:") or not m[len("scenario:") :]:
            raise UsageError(
                f"unknown backtest method '{m}' (known: {', '.join(FIXED_METHODS)}, "
                "scenario:NAME with a bundled name, a file or 'default')"
            )
        name = m[len("scenario:") :].removesuffix(CALIBRATED)
        if not name:
            raise UsageError(f"backtest method '{m}' names no scenario (scenario:NAME{CALIBRATED})")
        out[m] = load_scenario(None if name == "default" else name, overrides=list(overrides))
    return out


def _check(
    horizons: tuple[int, ...], draws: int, seed: int, min_points: int, window: float
) -> None:
    if not horizons or any((not isinstance(h, int)) or h < 1 or h > 10 for h in horizons):
        raise UsageError(f"horizons must be whole years between 1 and 10, got {list(horizons)}")
    if not 100 <= draws <= 1_000_000:
        raise UsageError(f"draws must be between 100 and 1,000,000, got {draws}")
    if seed < 0:
        raise UsageError(f"seed must be a non-negative integer, got {seed}")
    if min_points < 3:
        raise UsageError(
            f"min_points must be at least 3 (two growth observations), got {min_points}"
        )
    if not window > 1:
        raise UsageError(f"the peer scale window must be a factor above 1, got {window}")


def _stream(seed: int, *parts: str | int) -> np.random.Generator:
    key = [seed, *(zlib.crc32(p.encode()) if isinstance(p, str) else p for p in parts)]
    return np.random.default_rng(np.random.SeedSequence(key))


def _score(
    name: str,
    origin: int,
    h: int,
    method: str,
    x: np.ndarray,
    y: float,
    rng: np.random.Generator,
    in_sample: bool | None,
) -> Case:
    point = method in POINT_METHODS
    # One sort serves every quantile, the CRPS and the PIT (each is computed exactly as on the
    # unsorted draws: a quantile of several probabilities is each one's own value).
    x = np.sort(x)
    probs = [0.05, 0.5, 0.95]
    if not point:
        probs += [p for lv in LEVELS for p in ((1 - lv) / 2, (1 + lv) / 2)]
    q = np.quantile(x, probs)
    q05, q50, q95 = q[0], q[1], q[2]
    bounds = None
    inside = None
    if not point:
        qs = q[3:]
        bounds = (
            float(q50),
            tuple((float(qs[2 * i]), float(qs[2 * i + 1])) for i in range(len(LEVELS))),
        )
        # scoring.covered: the central interval's ends included
        inside = tuple(bool(qs[2 * i] <= y <= qs[2 * i + 1]) for i in range(len(LEVELS)))
    return Case(
        series=name,
        origin=origin,
        horizon=h,
        method=method,
        actual=math.exp(y),
        median=math.exp(q50),
        p5=math.exp(q05),
        p95=math.exp(q95),
        pit=float(pit(x, y, rng=rng)),
        covered=inside,
        crps=float(crps_samples(x, y)),
        interval_score_90=None if point else float(interval_score(q05, q95, y, 0.1)),
        in_sample=in_sample,
        log_bounds=bounds,
    )


def _widened(x: np.ndarray, k: float) -> np.ndarray:
    """Log draws ``x`` spread by ``k`` around their median (``calibrate.widen`` in logs)."""
    med = float(np.quantile(x, 0.5))
    return med + k * (x - med)


def _score_calibrated(
    pending: list[tuple[str, int, int, str, np.ndarray, float, bool | None]], seed: int
) -> list[Case]:
    """Score ``NAME+calibrated`` forecasts: each widened by the spread fitted on the same
    method's cases at its horizon whose target year differs from its own (leave one target
    year out), so a case never calibrates itself and cases sharing a year's shock neither."""
    raw: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for _name, origin, h, method, x, y, _ in pending:
        q = np.quantile(x, [0.05, 0.5, 0.95])
        s = deviation_score(y, float(q[1]), (float(q[0]), float(q[2])))
        raw.setdefault((method, h), []).append((origin + h, s))
    out = []
    for name, origin, h, method, x, y, in_sample in pending:
        others = [s for year, s in raw[(method, h)] if year != origin + h]
        k = conformal_factor(others, 0.9) if others else 1.0
        rng = _stream(seed, name, origin, method, "pit", h)
        out.append(_score(name, origin, h, method, _widened(x, k), y, rng, in_sample))
    return out


def backtest(
    universe: dict[str, History] | None = None,
    *,
    methods: Sequence[str] | None = None,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    scenarios: dict[str, Scenario] | None = None,
    series: Sequence[str] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    min_points: int = 3,
    window: float = 2.0,
    custom: dict[str, Forecaster] | None = None,
) -> BacktestResult:
    """Rolling-origin calibration report of ``methods`` (default: all, see ``default_methods``)
    over ``universe`` (default: Leapmotor and the bundled peers).

    Origins are every year with at least ``min_points`` years up to it (3: two growth
    observations). ``rw``, ``no-change`` and ``last-growth`` are always scored (the first is the
    skill baseline). ``scenarios`` maps ``scenario:NAME`` methods to loaded scenarios (loaded
    here if missing). ``series`` restricts which series are forecast (the others still serve as
    peers and in the reference pool); ``window`` is the peer scale window (see ``peer_pool``).
    ``custom`` adds methods of your own: ``{name: f}`` with ``f(ctx: Context)`` returning
    ``(draws, len(ctx.horizons))`` log levels, or None where it cannot forecast.
    """
    custom = dict(custom or {})
    requested = tuple(dict.fromkeys(default_methods() if methods is None else methods))
    requested = (*requested, *(m for m in custom if m not in requested))
    if not requested:
        raise UsageError("backtest needs at least one method")
    order = [m for m in requested if m not in (BASELINE, *POINT_METHODS)]
    all_methods = (*order, BASELINE, *POINT_METHODS)
    hs_all = tuple(sorted(set(horizons)))
    _check(hs_all, draws, seed, min_points, window)
    scenarios = dict(scenarios or {})
    missing = [
        m for m in all_methods if m not in FIXED_METHODS and m not in scenarios and m not in custom
    ]
    scenarios.update(load_method_scenarios(missing))
    universe = default_universe() if universe is None else dict(universe)
    names = tuple(universe)
    if series:
        lookup = {n.lower(): n for n in names}
        unknown = [s for s in series if s.lower() not in lookup]
        if unknown:
            raise UsageError(f"unknown series '{unknown[0]}' (known: {', '.join(names)})")
        names = tuple(lookup[s.lower()] for s in series)
    notes: dict[str, list[str]] = {}
    funcs: dict[str, Forecaster] = {
        "history": history_bootstrap,
        "fitted": fitted_growth,
        "peers": lambda ctx: reference_class(ctx, window=window),
        "rw": random_walk,
        "no-change": _point(no_change, 1),
        "last-growth": _point(last_growth, 2),
        "reference": _reference_method(),
        **custom,
    }
    seen: dict[str, int | None] = {}
    for m, sc in scenarios.items():
        if m in all_methods:
            notes[m] = []
            funcs[m] = _scenario_method(sc, notes[m])
            seen[m] = sc.spec.scenario.seen_through
    # NAME+calibrated draws exactly what NAME draws (same stream), then is widened
    stream_key = {m: m.removesuffix(CALIBRATED) for m in all_methods}
    pending: list[tuple[str, int, int, str, np.ndarray, float, bool | None]] = []
    dropped: dict[str, int] = {}
    cases: list[Case] = []
    for name in names:
        hist = universe[name]
        for k, origin in enumerate(hist.years):
            if k + 1 < min_points:
                continue
            targets = [(h, hist.units_at(origin + h)) for h in hs_all if origin + h in hist.years]
            if not targets:
                continue
            cut = hist.upto(origin)
            hs = tuple(h for h, _ in targets)
            forecasts: dict[str, np.ndarray] = {}
            for method in all_methods:
                rng = _stream(seed, name, origin, stream_key[method])
                ctx = Context(name, cut, universe, hs, draws, rng)
                out = funcs[method](ctx)
                if out is None:
                    dropped[method] = dropped.get(method, 0) + 1
                    break
                forecasts[method] = out
            if len(forecasts) != len(all_methods):
                continue
            for j, (h, actual) in enumerate(targets):
                y = math.log(actual)
                for method in all_methods:
                    rng = _stream(seed, name, origin, method, "pit", h)
                    through = seen.get(method)
                    in_sample = None if method in seen and through is None else False
                    if through is not None:
                        in_sample = origin + h <= through
                    if method.endswith(CALIBRATED) and method not in custom:
                        x = forecasts[method][:, j]
                        pending.append((name, origin, h, method, x, y, in_sample))
                        continue
                    cases.append(
                        _score(name, origin, h, method, forecasts[method][:, j], y, rng, in_sample)
                    )
    cases.extend(_score_calibrated(pending, seed))
    if not cases:
        raise LeapforecastError(
            "no backtest case: no series has enough years before an outcome for every method "
            f"({', '.join(all_methods)})"
        )
    return BacktestResult(
        cases,
        summarize(cases, all_methods, hs_all, seed=seed),
        all_methods,
        hs_all,
        names,
        draws,
        seed,
        {
            "min_points": min_points,
            "peer_window": window,
            "scenarios": {m: sc.path for m, sc in scenarios.items() if m in all_methods},
            "as_of": {m: sc.spec.scenario.as_of for m, sc in scenarios.items() if m in all_methods},
        },
        {m: v for m, v in notes.items() if v},
        dropped,
    )


def summarize(
    cases: list[Case], methods: Sequence[str], horizons: Sequence[int], *, seed: int = 0
) -> list[Score]:
    """Per method and horizon: coverage (Wilson and year-bootstrap intervals on 90%), PIT,
    CRPS, interval score, bias and skill against ``rw`` on the same cases."""
    out = []
    for h in horizons:
        at_h = [c for c in cases if c.horizon == h]
        base = [c.crps for c in at_h if c.method == BASELINE]
        if not base:
            continue
        ref = float(np.mean(base))
        for method in methods:
            cs = [c for c in at_h if c.method == method]
            if not cs:
                continue
            crps = float(np.mean([c.crps for c in cs]))
            pits = np.array([c.pit for c in cs])
            point = cs[0].covered is None
            coverage = hits = ci = boot = ist = None
            if not point:
                cov = np.array([c.covered for c in cs], dtype=bool)
                coverage = tuple(float(v) for v in cov.mean(axis=0))
                hits = int(cov[:, -1].sum())
                ci = wilson_interval(hits, len(cs))
                boot = bootstrap_coverage_interval(
                    cov[:, -1],
                    np.array([c.year for c in cs]),
                    reps=BOOTSTRAP_REPS,
                    rng=np.random.default_rng([seed, h, zlib.crc32(method.encode())]),
                )
                ist = float(np.mean([c.interval_score_90 for c in cs]))
            flags = [c.in_sample for c in cs]
            out.append(
                Score(
                    method=method,
                    horizon=h,
                    cases=len(cs),
                    coverage=coverage,
                    hits_90=hits,
                    coverage_90_ci=ci,
                    coverage_90_boot=boot,
                    pit_histogram=tuple(int(v) for v in pit_histogram(pits, PIT_BINS)),
                    pit_p=None if point else pit_uniformity_pvalue(pits, PIT_BINS),
                    crps=crps,
                    interval_score_90=ist,
                    bias=float(np.mean([c.log_error for c in cs])),
                    skill_rw=skill(crps, ref),
                    in_sample=None
                    if any(f is None for f in flags)
                    else sum(bool(f) for f in flags),
                )
            )
    return out
