"""Rolling-origin backtests: how would each forecasting method have done on real outcomes?

For every series (Leapmotor and the reference-class makers) and every origin year, a method sees
only the data up to that year and forecasts 1, 2, ... years ahead as a sample of ``draws`` values.
Each forecast is scored against what happened, on log units (so a maker selling 50k and one
selling 2M count alike):

* interval coverage: does the central 50/80/90% interval contain the outcome?
* CRPS, sample-based in its energy form ``E|X - y| - E|X - X'| / 2`` (lower is better);
* pinball loss averaged over the quantile levels ``TAUS``;
* bias: the median forecast minus the outcome (positive = too optimistic).

Naive point forecasts are scored on the same cases: *no change* (next years equal the origin
year) and *last growth* (the last observed growth repeated). For a point forecast CRPS is the
absolute error. Every draw comes from a stream keyed by (seed, series, origin, method), so the
numbers depend only on the seed and the data.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leapforecast.data.history import History, load_history
from leapforecast.data.peers import load_peers, peer_intervals
from leapforecast.engine.run import simulate
from leapforecast.errors import LeapforecastError, ScenarioError, UsageError
from leapforecast.model.checks import _resolve_bootstraps

METHODS = ("history", "fitted", "peers", "scenario")
BASELINES = ("no-change", "last-growth")
LEVELS = (0.5, 0.8, 0.9)
TAUS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
DEFAULT_DRAWS = 4000
DEFAULT_SEED = 20260101
SUMMARY_COLUMNS = [
    "method",
    "horizon",
    "cases",
    "coverage_50",
    "coverage_80",
    "coverage_90",
    "crps",
    "pinball",
    "bias",
    "crps_skill",
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
    "in_50",
    "in_80",
    "in_90",
    "crps",
    "pinball",
    "log_error",
]


@dataclass(frozen=True)
class Case:
    """One forecast scored against its outcome. Losses are in log units."""

    series: str
    origin: int
    horizon: int
    method: str
    actual: float
    median: float
    p5: float
    p95: float
    covered: tuple[bool, ...] | None  # for LEVELS; None for a point forecast
    crps: float
    pinball: float

    @property
    def year(self) -> int:
        return self.origin + self.horizon

    @property
    def log_error(self) -> float:
        """ln(median forecast / outcome): positive when the forecast was too high."""
        return math.log(self.median / self.actual)


@dataclass(frozen=True)
class Score:
    """A method's average performance at one horizon over the scored cases."""

    method: str
    horizon: int
    cases: int
    coverage: tuple[float, ...] | None  # share of outcomes inside each central interval
    crps: float
    pinball: float
    bias: float  # mean ln(median / outcome)
    crps_skill: float  # 1 - CRPS / CRPS of no-change on the same cases


@dataclass
class BacktestResult:
    """Scored cases and their summary; ``rows()``/``case_rows()`` are the CSV contracts."""

    cases: list[Case]
    scores: list[Score]
    methods: tuple[str, ...]
    horizons: tuple[int, ...]
    series: tuple[str, ...]
    draws: int
    seed: int
    settings: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for s in self.scores:
            cov = s.coverage or (None,) * len(LEVELS)
            out.append(
                {
                    "method": s.method,
                    "horizon": s.horizon,
                    "cases": s.cases,
                    **{
                        f"coverage_{round(100 * lv)}": ("" if c is None else round(c, 4))
                        for lv, c in zip(LEVELS, cov, strict=True)
                    },
                    "crps": round(s.crps, 4),
                    "pinball": round(s.pinball, 4),
                    "bias": round(s.bias, 4),
                    "crps_skill": round(s.crps_skill, 4),
                }
            )
        return out

    def case_rows(self) -> list[dict[str, Any]]:
        out = []
        for c in self.cases:
            cov = c.covered if c.covered is not None else ("",) * len(LEVELS)
            out.append(
                {
                    "series": c.series,
                    "origin": c.origin,
                    "year": c.year,
                    "horizon": c.horizon,
                    "method": c.method,
                    "actual": round(c.actual),
                    "median": round(c.median),
                    "p5": round(c.p5),
                    "p95": round(c.p95),
                    **{
                        f"in_{round(100 * lv)}": (v if v == "" else int(v))
                        for lv, v in zip(LEVELS, cov, strict=True)
                    },
                    "crps": round(c.crps, 4),
                    "pinball": round(c.pinball, 4),
                    "log_error": round(c.log_error, 4),
                }
            )
        return out

    def metadata(self) -> dict[str, Any]:
        return {
            "methods": list(self.methods),
            "horizons": list(self.horizons),
            "series": list(self.series),
            "draws": self.draws,
            "seed": self.seed,
            "levels": list(LEVELS),
            "taus": list(TAUS),
            "units": "log units",
            **self.settings,
        }


# --------------------------------------------------------------------------- scores


def crps_sample(samples: np.ndarray, y: float) -> float:
    """CRPS of a sample forecast (energy form, V-statistic): E|X - y| - E|X - X'| / 2."""
    x = np.sort(np.asarray(samples, float))
    n = len(x)
    i = np.arange(1, n + 1)
    return float(np.mean(np.abs(x - y)) - np.sum((2 * i - n - 1) * x) / (n * n))


def pinball_loss(quantiles: np.ndarray, y: float, taus: tuple[float, ...] = TAUS) -> float:
    """Mean pinball (quantile) loss of forecast quantiles at levels ``taus``."""
    q = np.asarray(quantiles, float)
    t = np.asarray(taus, float)
    e = y - q
    return float(np.mean(np.maximum(t * e, (t - 1) * e)))


def _score_samples(
    series: str, origin: int, h: int, method: str, samples: np.ndarray, y: float
) -> Case:
    probs = sorted({*TAUS, *((1 - lv) / 2 for lv in LEVELS), *((1 + lv) / 2 for lv in LEVELS)})
    qs = dict(zip(probs, np.quantile(samples, probs), strict=True))
    covered = tuple(bool(qs[(1 - lv) / 2] <= y <= qs[(1 + lv) / 2]) for lv in LEVELS)
    return Case(
        series,
        origin,
        h,
        method,
        math.exp(y),
        math.exp(qs[0.5]),
        math.exp(qs[0.05]),
        math.exp(qs[0.95]),
        covered,
        crps_sample(samples, y),
        pinball_loss(np.array([qs[t] for t in TAUS]), y),
    )


def _score_point(series: str, origin: int, h: int, method: str, point: float, y: float) -> Case:
    v = math.exp(point)
    return Case(
        series,
        origin,
        h,
        method,
        math.exp(y),
        v,
        v,
        v,
        None,
        abs(point - y),
        pinball_loss(np.full(len(TAUS), point), y),
    )


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
    seed: int

    @property
    def origin(self) -> int:
        return self.history.years[-1]


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
    mean and log sd): sd^2 ~ s^2 (n-1) / chi2(n-1), mean ~ N(mean_hat, sd^2 / span). Under that
    model its intervals are exact (the Student t prediction interval)."""
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


def rebase_scenario(
    scenario: Any, origin: int, *, horizon: int, paths: int, history: History | None = None
) -> Any:
    """The scenario as it would run from ``origin``: its history (or ``history``, e.g. a file
    with newer outcomes) cut there, base year = origin, bootstraps, peers and target records
    re-resolved from data known then. Events dated outside the window do not fire; segment
    ``base`` values in units are not rescaled."""

    hist = (scenario.history if history is None else history).upto(origin)
    if hist.years[-1] != origin:
        raise ScenarioError(f"history {hist.source} has no year {origin}")
    spec = scenario.spec
    spec = spec.model_copy(
        update={
            "history": spec.history.model_copy(update={"base_year": origin, "base_units": None}),
            "simulation": spec.simulation.model_copy(
                update={"horizon": origin + horizon, "paths": paths}
            ),
        }
    )
    problems: list[tuple[list[str], str]] = []
    spec = _resolve_bootstraps({}, spec, hist, problems)
    if problems:
        raise ScenarioError(
            [f"backtest from {origin}: {'.'.join(p)}: {m}" for p, m in problems], file=scenario.path
        )
    return dataclasses.replace(scenario, history=hist, spec=spec)


def _scenario_method(scenario: Any, subject: str) -> Callable[[Context], np.ndarray | None]:

    def run(ctx: Context) -> np.ndarray | None:
        if ctx.name != subject:
            return None
        rebased = rebase_scenario(
            scenario, ctx.origin, horizon=max(ctx.horizons), paths=ctx.draws, history=ctx.history
        )
        seed = int(ctx.rng.integers(0, 2**62))
        result = simulate(rebased, paths=ctx.draws, seed=seed)
        totals = np.maximum(np.asarray(result.totals, float), 1.0)
        return np.log(totals[:, [h - 1 for h in ctx.horizons]])

    return run


# --------------------------------------------------------------------------- the backtest


def default_universe(history: str | None = None, peers: str | None = None) -> dict[str, History]:
    """The subject first (bundled Leapmotor, or a ``history`` CSV named by its file stem), then
    the reference class (bundled, or a ``peers`` CSV with a maker column)."""
    from pathlib import Path

    name = "Leapmotor" if history is None else Path(history).stem
    universe = {name: load_history(history or "builtin:leapmotor")}
    for maker, hist in load_peers(peers).items():
        if maker in universe:
            raise UsageError(f"peer '{maker}' has the same name as the history; rename the file")
        universe[maker] = hist
    return universe


def _check(
    methods: tuple[str, ...],
    horizons: tuple[int, ...],
    draws: int,
    seed: int,
    min_points: int,
    scenario: Any,
    window: float,
) -> None:
    if not methods:
        raise UsageError("backtest needs at least one method")
    for m in methods:
        if m not in METHODS:
            raise UsageError(f"unknown backtest method '{m}' (known: {', '.join(METHODS)})")
    if "scenario" in methods and scenario is None:
        raise UsageError("the scenario method needs a scenario (--scenario FILE)")
    if not horizons or any((not isinstance(h, int)) or h < 1 or h > 10 for h in horizons):
        raise UsageError(f"horizons must be whole years between 1 and 10, got {list(horizons)}")
    if not 100 <= draws <= 1_000_000:
        raise UsageError(f"draws must be between 100 and 1,000,000, got {draws}")
    if seed < 0:
        raise UsageError(f"seed must be a non-negative integer, got {seed}")
    if min_points < 2:
        raise UsageError(f"min_points must be at least 2, got {min_points}")
    if not window > 1:
        raise UsageError(f"the peer scale window must be a factor above 1, got {window}")


def backtest(
    universe: dict[str, History] | None = None,
    *,
    methods: tuple[str, ...] = ("history", "fitted", "peers"),
    horizons: tuple[int, ...] = (1, 2),
    scenario: Any = None,
    series: tuple[str, ...] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    min_points: int = 3,
    window: float = 2.0,
    subject: str | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of ``methods`` over ``universe`` (default: Leapmotor and peers).

    Origins are every year with at least ``min_points`` years of data up to it (3: two growth
    intervals, the least ``fitted`` needs); a (series, origin, horizon) is scored only when every
    requested method can forecast it, so all methods and baselines are compared on the same cases.
    ``series`` restricts which series are forecast (the others still serve as peers);
    ``window`` is the peer scale window (see ``peer_pool``); the scenario method forecasts only
    ``subject`` (default: the first series, Leapmotor), from that series' data at each origin.
    """
    methods = tuple(dict.fromkeys(methods))
    horizons = tuple(sorted(set(horizons)))
    _check(methods, horizons, draws, seed, min_points, scenario, window)
    universe = default_universe() if universe is None else dict(universe)
    names = tuple(universe)
    subject = names[0] if subject is None else subject
    if subject not in universe:
        raise UsageError(f"unknown subject series '{subject}' (known: {', '.join(names)})")
    if series:
        lookup = {n.lower(): n for n in names}
        unknown = [s for s in series if s.lower() not in lookup]
        if unknown:
            raise UsageError(f"unknown series '{unknown[0]}' (known: {', '.join(names)})")
        names = tuple(lookup[s.lower()] for s in series)
    funcs: dict[str, Callable[[Context], np.ndarray | None]] = {
        "history": history_bootstrap,
        "fitted": fitted_growth,
        "peers": lambda ctx: reference_class(ctx, window=window),
    }
    if "scenario" in methods:
        funcs["scenario"] = _scenario_method(scenario, subject)
    cases: list[Case] = []
    for name in names:
        hist = universe[name]
        for k, origin in enumerate(hist.years):
            if k + 1 < min_points:
                continue
            targets = [(h, hist.units_at(origin + h)) for h in horizons if origin + h in hist.years]
            if not targets:
                continue
            cut = hist.upto(origin)
            hs = tuple(h for h, _ in targets)
            forecasts: dict[str, np.ndarray] = {}
            for m_index, method in enumerate(METHODS):
                if method not in methods:
                    continue
                key = [seed, zlib.crc32(name.encode()), origin, m_index]
                ctx = Context(
                    name,
                    cut,
                    universe,
                    hs,
                    draws,
                    np.random.default_rng(np.random.SeedSequence(key)),
                    seed,
                )
                out = funcs[method](ctx)
                if out is None:
                    break
                forecasts[method] = out
            if len(forecasts) != len(methods):
                continue
            last = math.log(cut.units[-1])
            prev_growth = cut.log_growths()[-1]
            for j, (h, actual) in enumerate(targets):
                y = math.log(actual)
                for method in methods:
                    cases.append(
                        _score_samples(name, origin, h, method, forecasts[method][:, j], y)
                    )
                cases.append(_score_point(name, origin, h, "no-change", last, y))
                cases.append(
                    _score_point(name, origin, h, "last-growth", last + h * prev_growth, y)
                )
    if not cases:
        raise LeapforecastError(
            "no backtest case: no series has enough years before an outcome for every method "
            f"({', '.join(methods)})"
        )
    return BacktestResult(
        cases,
        summarize(cases, methods, horizons),
        methods,
        horizons,
        names,
        draws,
        seed,
        {
            "min_points": min_points,
            "peer_window": window,
            "scenario": getattr(scenario, "path", None),
            "subject": subject,
        },
    )


def summarize(
    cases: list[Case], methods: tuple[str, ...], horizons: tuple[int, ...]
) -> list[Score]:
    """Average each method's scores per horizon; skill is relative to no-change on those cases."""
    out = []
    for h in horizons:
        base = [c for c in cases if c.horizon == h and c.method == "no-change"]
        if not base:
            continue
        ref = float(np.mean([c.crps for c in base]))
        for method in (*methods, *BASELINES):
            cs = [c for c in cases if c.horizon == h and c.method == method]
            crps = float(np.mean([c.crps for c in cs]))
            coverage = None
            if cs[0].covered is not None:
                coverage = tuple(
                    float(np.mean([c.covered[i] for c in cs])) for i in range(len(LEVELS))
                )
            out.append(
                Score(
                    method,
                    h,
                    len(cs),
                    coverage,
                    crps,
                    float(np.mean([c.pinball for c in cs])),
                    float(np.mean([c.log_error for c in cs])),
                    1.0 - crps / ref if ref > 0 else float("nan"),
                )
            )
    return out
