"""leapforecast.analysis.seasonal: the structural model of log monthly deliveries.

``fit_monthly`` fits level + slope (a random walk) + level shifts + twelve seasonal factors
(+ optionally calendar regressors: Chinese New Year, working days) as a mixture over a grid of
noise levels;
``MonthlyFit.simulate`` carries it forward (optionally with a damped slope and Student-t
irregular noise). ``MonthlyOptions`` holds the choices the nowcast makes about that model;
``pooled_noise_weights`` estimates the noise levels across several makers at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import numpy as np

from leapforecast.data.calendar import cny_years, holiday_regressors
from leapforecast.data.calendar import working_days as count_working_days
from leapforecast.data.monthly import MonthlyHistory, month_label, reduce_aggregates
from leapforecast.errors import HistoryError, UsageError

# Grid over the noise levels, weighted by marginal likelihood (flat prior on the log-spaced grid).
SIGMA_E_GRID = (0.02, 0.03, 0.05, 0.08, 0.12, 0.2)  # month-to-month irregular noise (log)


TAU_GRID = (0.005, 0.01, 0.02, 0.04, 0.08)  # sd of a monthly change in the trend's slope


ETA_GRID = (0.005, 0.02, 0.05, 0.1)  # sd of a monthly shift in the trend's level (it persists)


SIGMA_S_GRID = (0.1, 0.2, 0.4)  # prior sd of a seasonal log-factor


_LEVEL_VAR, _SLOPE_VAR = 100.0**2, 1.0  # effectively flat priors on the first level and slope


_MIN_WEIGHT = 1e-6


_PINNED = 1e-6  # prior sd of the seasonal coordinates around a profile set by hand


_CNY_VAR = 1.0  # prior variance of the Chinese New Year coefficient (log effect of a full window)


# prior variance of the working-day coefficient: the elasticity of a month's deliveries to its
# working days (1 = proportional to them, 0 = no effect), as vague as the holiday's
_WORKING_DAYS_VAR = 1.0

NoiseKey = tuple[float, float, float]  # (sigma_e, eta, tau): the noise levels pooled across makers


@dataclass(frozen=True)
class MonthlyOptions:
    """The choices the nowcast makes about the monthly model (docs/nowcast.md, "Method").

    ``cny``: a Chinese New Year regressor (the share of the holiday window in each month,
    ``data/calendar.py``) with an estimated coefficient, so the seasonal factors are free of the
    holiday and a January or February swing reads as calendar, not trend. ``damping``: the
    monthly slope is multiplied by this each month ahead (1 = the random walk of the fit; below
    1 two months cannot set a year's momentum). ``tail_df``: Student-t degrees of freedom of the
    irregular noise ahead (None = Gaussian), scaled to the fitted variance. ``pooled``: the noise
    levels borrow from every other maker's months before the year: with ``partial`` (default)
    the others' posteriors, averaged, are the prior that this maker's own months update
    (``mixture_noise_prior``); without it one set of levels for all (the sum of their log
    likelihoods, which gives the smoothest maker the roughest one's noise). ``jan_feb``:
    January and February enter the update as one period (their sum) once both are known.
    ``level_shift``: the annual view moves every remaining month by the same log amount (it
    informs the year's level), not mostly the distant ones.
    ``conflict``: the level prior is a mixture, with probability ``conflict`` the year's total
    from the outside view (the pooled reference model) instead of the annual scenario; the
    year to date decides between them by Bayes' rule, so actuals that contradict the scenario
    hand the year to the outside view and the months (0: the scenario alone). 0.5 was chosen
    after 0.1 and 0.25 failed the Leapmotor 2025 check (docs/nowcast.md, Method 4). Without an
    outside view (too little history for a reference fit) the other component is the
    scenario's own spread times ``conflict_scale``. ``working_days``: a
    regressor, the log of each month's Monday-to-Friday days over that calendar month's long-run
    average (``working_day_regressor``), with an estimated coefficient (issue 15: scored, not
    adopted; docs/nowcast.md, "Choosing the default").
    """

    cny: bool = True
    damping: float = 0.95
    tail_df: float | None = 4.0
    pooled: bool = True
    jan_feb: bool = True
    level_shift: bool = True
    conflict: float = 0.5
    conflict_scale: float = 3.0
    partial: bool = True
    working_days: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.working_days, bool):
            raise UsageError(
                f"monthly working_days must be True or False, got {self.working_days!r}"
            )
        if not (isinstance(self.damping, int | float) and 0.0 < self.damping <= 1.0):
            raise UsageError(f"monthly damping must be in (0, 1], got {self.damping!r}")
        if not (isinstance(self.conflict, int | float) and 0.0 <= self.conflict <= 1.0):
            raise UsageError(f"monthly conflict must be in [0, 1], got {self.conflict!r}")
        if self.tail_df is not None and not (
            isinstance(self.tail_df, int | float)
            and math.isfinite(self.tail_df)
            and self.tail_df > 2.0
        ):
            raise UsageError(
                f"monthly tail_df must be a number above 2 or None, got {self.tail_df!r}"
            )


# The model before issue 15 (flat level, random-walk slope, Gaussian noise, one maker's noise).
LEGACY = MonthlyOptions(
    cny=False,
    damping=1.0,
    tail_df=None,
    pooled=False,
    jan_feb=False,
    level_shift=False,
    conflict=0.0,
    partial=False,
)


def _seasonal_basis() -> np.ndarray:
    """12 x 11 orthonormal basis of the log-factors that sum to zero (so draws sum to zero too)."""
    q, _ = np.linalg.qr(np.column_stack([np.ones(12), np.eye(12)]))
    return q[:, 1:12]


_BASIS = _seasonal_basis()


@dataclass(frozen=True)
class Component:
    """One grid point of the fit: its weight, noise levels and the Gaussian posterior of the
    state at the last month (level, slope, 11 seasonal coordinates)."""

    weight: float
    sigma_e: float
    eta: float
    tau: float
    sigma_s: float
    mean: np.ndarray  # (13 + regressors,): the regressors' coefficients last, in their order
    chol: np.ndarray  # lower Cholesky factor of the covariance


@dataclass(frozen=True)
class SeasonalProfile:
    """Seasonal log-factors (mean 0 over the year) and the share of a flat year in each month.

    ``share_*`` is what a year without growth would put in each month; it sums to 1. Intervals
    are 80% (p10-p90) over the fit's posterior, noise-level uncertainty included.
    """

    factor: np.ndarray  # (12,) posterior mean of exp(s_m): 1.0 = an average month
    factor_lo: np.ndarray
    factor_hi: np.ndarray
    log_sd: np.ndarray  # (12,) posterior sd of s_m
    share: np.ndarray  # (12,) posterior mean share; sums to 1
    share_lo: np.ndarray
    share_hi: np.ndarray


@dataclass(frozen=True)
class MonthlyFit:
    """The structural model fitted to months up to ``end`` (a month index), as a mixture over the
    noise grid. ``simulate`` continues it forward; ``profile`` summarises the seasonality."""

    end: int
    first: int
    n_months: int
    n_aggregates: int
    components: tuple[Component, ...]
    source: str = ""
    cny: bool = False  # the state holds the Chinese New Year coefficient (after the seasonal ones)
    damping: float = 1.0  # of the slope, a month (1 = random walk); the fit and ``simulate``
    tail_df: float | None = None  # Student-t irregular noise ahead; None = Gaussian
    working_days: bool = False  # the state holds the working-day coefficient (after the holiday's)

    @property
    def regressors(self) -> tuple[str, ...]:
        """The calendar regressors in the state, in the order of their coordinates."""
        return regressor_names(cny=self.cny, working_days=self.working_days)

    def ahead(self, *, tail_df: float | None = None) -> MonthlyFit:
        """The same fit, simulated forward with Student-t irregular noise (the fit itself is
        Gaussian; the tails say how far an odd month may fall)."""
        return replace(self, tail_df=tail_df)

    @property
    def sigma_e(self) -> float:
        return float(sum(c.weight * c.sigma_e for c in self.components))

    @property
    def tau(self) -> float:
        return float(sum(c.weight * c.tau for c in self.components))

    @property
    def eta(self) -> float:
        return float(sum(c.weight * c.eta for c in self.components))

    @cached_property
    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.stack([c.mean for c in self.components]),
            np.stack([c.chol for c in self.components]),
            np.array([(c.sigma_e, c.eta, c.tau) for c in self.components]),
        )

    def sample_state(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Per path: grid component, level and slope at ``end``, seasonal log-factors (n, 12)."""
        weights = np.array([c.weight for c in self.components])
        comp = rng.choice(len(weights), size=n, p=weights / weights.sum())
        means, chols, noises = self._stacked
        z = rng.standard_normal((n, means.shape[1]))
        # one product per grid component, not a gathered (n, 14, 14) stack of Cholesky
        # factors: the same sums in the same order (bit-identical), ten times faster
        counts = np.bincount(comp, minlength=len(weights))
        order = np.argsort(comp, kind="stable")  # each component's paths, in path order
        stops = np.cumsum(counts)
        zs = z[order]  # grouped by component: each group a slice, not a gather and a scatter
        grouped = np.empty_like(z)
        for k in np.flatnonzero(counts):  # only the components drawn (of up to ~100)
            rows = slice(stops[k] - counts[k], stops[k])
            grouped[rows] = means[k] + np.einsum("ij,nj->ni", chols[k], zs[rows])
        state = np.empty_like(z)
        state[order] = grouped
        noise = noises[comp]
        out = {
            "level": state[:, 0],
            "slope": state[:, 1],
            "seasonal": state[:, 2:13] @ _BASIS.T,
            **{name: np.zeros(n) for name in REGRESSORS},  # a regressor not fitted has no effect
            "sigma_e": noise[:, 0],
            "eta": noise[:, 1],
            "tau": noise[:, 2],
        }
        for j, name in enumerate(self.regressors):
            out[name] = state[:, 13 + j]
        return out

    def simulate(self, n: int, rng: np.random.Generator, horizon: int) -> np.ndarray:
        """(n, horizon) log deliveries of months end+1 ... end+horizon: the slope takes a random
        walk (damped by ``damping`` a month when below 1), the level integrates it plus its own
        shifts; seasonal factors, the calendar effects (each path's coefficients times the
        months' own regressors) and noise (Student-t when ``tail_df`` is set, with the fitted
        variance) are added."""
        st = self.sample_state(n, rng)
        shocks = rng.standard_normal((n, horizon)) * st["tau"][:, None]
        shifts = rng.standard_normal((n, horizon)) * st["eta"][:, None]
        if self.damping >= 1.0:
            slope = st["slope"][:, None] + np.cumsum(shocks, axis=1)
            level = st["level"][:, None] + np.cumsum(slope + shifts, axis=1)
        else:
            # the damped trend the fit assumed: level_(t+1) = level_t + slope_t + shift,
            # slope_(t+1) = phi * slope_t + shock, so momentum fades instead of compounding
            level = np.empty((n, horizon))
            current_level = st["level"].copy()
            current = st["slope"].copy()
            for h in range(horizon):
                current_level += current + shifts[:, h]
                level[:, h] = current_level
                current = self.damping * current + shocks[:, h]
        cal = (self.end + 1 + np.arange(horizon)) % 12
        noise = rng.standard_normal((n, horizon)) * st["sigma_e"][:, None]
        if self.tail_df is not None:
            df = float(self.tail_df)
            noise *= np.sqrt((df - 2.0) / rng.chisquare(df, (n, horizon)))
        out = level + st["seasonal"][:, cal] + noise
        for name in self.regressors:
            out += st[name][:, None] * REGRESSORS[name].values(self.end + 1, horizon)[None, :]
        return out

    def profile(self, *, draws: int = 4000, seed: int = 0) -> SeasonalProfile:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
        s = self.sample_state(draws, rng)["seasonal"]
        factor = np.exp(s)
        share = factor / factor.sum(axis=1, keepdims=True)
        lo, hi = np.quantile(factor, [0.1, 0.9], axis=0)
        slo, shi = np.quantile(share, [0.1, 0.9], axis=0)
        mean_share = share.mean(axis=0)
        return SeasonalProfile(
            factor.mean(axis=0), lo, hi, s.std(axis=0), mean_share / mean_share.sum(), slo, shi
        )


def cny_regressor(first: int, n: int) -> np.ndarray:
    """Share of the Chinese New Year window in each of the ``n`` months from month index
    ``first`` (``data/calendar.holiday_regressors``); a year outside the bundled table is an
    error naming the years it covers."""
    y0, y1 = first // 12, (first + n - 1) // 12
    span = cny_years()
    if y0 < span.start or y1 >= span.stop:
        raise HistoryError(
            f"Chinese New Year dates cover {span.start}-{span.stop - 1}; the monthly model "
            f"needs {y0}-{y1}"
        )
    flat = holiday_regressors(range(y0, y1 + 1))
    return np.asarray(flat[first - y0 * 12 : first - y0 * 12 + n], dtype=float)


# Weekdays repeat every 28 years between 1901 and 2099 (every fourth year a leap year), so the
# mean over 2001-2028 is each calendar month's long-run average number of working days.
_WORKING_DAY_CYCLE = range(2001, 2029)


@lru_cache(maxsize=1)
def _mean_working_days() -> np.ndarray:
    """(12,) long-run average Monday-to-Friday days of each calendar month (January first)."""
    return np.array(
        [np.mean([count_working_days(y, m) for y in _WORKING_DAY_CYCLE]) for m in range(1, 13)]
    )


def working_day_regressor(first: int, n: int) -> np.ndarray:
    """log(working days / the calendar month's long-run average) for each of the ``n`` months
    from month index ``first``: zero on average for every calendar month, so the seasonal factors
    keep the usual month and the regressor only says "this March had one day more than most"
    (``data/calendar.working_days``: Monday to Friday, public holidays not counted). Its
    coefficient is an elasticity: 1 if deliveries were proportional to working days."""
    means = _mean_working_days()
    idx = first + np.arange(n)
    days = np.array([count_working_days(int(i // 12), int(i % 12) + 1) for i in idx], float)
    return np.log(days / means[idx % 12])


@dataclass(frozen=True)
class Regressor:
    """A calendar regressor of the monthly model: its values for a run of months and the prior
    variance of its coefficient (a coordinate of the state, carried into ``simulate``)."""

    values: Callable[[int, int], np.ndarray]
    prior_var: float


# In the order of their coordinates in the state (after the eleven seasonal ones).
REGRESSORS: dict[str, Regressor] = {
    "cny": Regressor(cny_regressor, _CNY_VAR),
    "working_days": Regressor(working_day_regressor, _WORKING_DAYS_VAR),
}


def regressor_names(*, cny: bool, working_days: bool) -> tuple[str, ...]:
    """The regressors switched on, in state order."""
    on = {"cny": cny, "working_days": working_days}
    return tuple(name for name in REGRESSORS if on[name])


def noise_loglik(
    history: MonthlyHistory,
    *,
    end: int | None = None,
    seasonal: Sequence[float] | None = None,
    cny: bool = False,
    damping: float = 1.0,
    working_days: bool = False,
) -> dict[NoiseKey, float]:
    """Log marginal likelihood of each grid point of noise levels (sigma_e, eta, tau), the
    seasonal prior sd integrated out (flat over its grid): what ``pooled_noise_weights`` adds
    up across makers."""
    fits = _cached_grid_fits(history, end, seasonal, cny, damping, working_days)
    out: dict[NoiseKey, list[float]] = {}
    for f in fits:
        out.setdefault((f[1], f[2], f[3]), []).append(f[0])
    return {k: _lse(v) - math.log(len(v)) for k, v in out.items()}


def pooled_noise_weights(logliks: Sequence[Mapping[NoiseKey, float]]) -> dict[NoiseKey, float]:
    """Log weights of the noise levels shared by several makers: the sum of each maker's log
    marginal likelihood (``noise_loglik``), i.e. one set of noise levels for all of them."""
    if not logliks:
        raise HistoryError("pooled noise levels need at least one maker's months")
    keys = set(logliks[0])
    for ll in logliks[1:]:
        keys &= set(ll)
    return {k: float(sum(ll[k] for ll in logliks)) for k in sorted(keys)}


def mixture_noise_prior(logliks: Sequence[Mapping[NoiseKey, float]]) -> dict[NoiseKey, float]:
    """Log prior weights of the noise levels for one maker from the others (partial pooling):
    the average of each other maker's posterior over the grid (flat prior), so a maker with a
    short or smooth record borrows the others' noise levels only as far as its own months do not
    speak for themselves. ``fit_monthly(noise_prior=...)`` multiplies it by the maker's own
    marginal likelihood."""
    if not logliks:
        raise HistoryError("a pooled noise prior needs at least one other maker's months")
    keys = set(logliks[0])
    for ll in logliks[1:]:
        keys &= set(ll)
    order = sorted(keys)
    posts = []
    for ll in logliks:
        norm = _lse([ll[k] for k in order])
        posts.append([ll[k] - norm for k in order])
    m = math.log(len(posts))
    return {k: _lse([p[i] for p in posts]) - m for i, k in enumerate(order)}


def _lse(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def fit_monthly(
    history: MonthlyHistory,
    *,
    end: int | None = None,
    seasonal: Sequence[float] | None = None,
    cny: bool = False,
    noise_weights: Mapping[NoiseKey, float] | None = None,
    damping: float = 1.0,
    noise_prior: Mapping[NoiseKey, float] | None = None,
    working_days: bool = False,
) -> MonthlyFit:
    """Fit the structural model to the months up to ``end`` (default: the last month).

    Published totals over missing months enter as constraints on the sums of those months
    (linearised and iterated). Needs at least three known months. ``seasonal`` fixes the
    profile instead of estimating it: twelve positive factors or shares, January first (only
    their ratios matter); the trend and the noise are still fitted around it. ``cny`` adds a
    Chinese New Year regressor (ignored when the profile is fixed: a profile set by hand already
    holds the holiday). ``noise_weights`` (log weights over (sigma_e, eta, tau), e.g.
    ``pooled_noise_weights`` of several makers) replace this history's own marginal likelihood
    of the noise levels; the seasonal prior sd is still weighted by this history. ``damping``
    (0 < phi <= 1): the slope decays by phi a month between its shocks (1: a random walk).
    ``noise_prior`` (log prior weights over the noise levels, ``mixture_noise_prior``) is added
    to this history's own marginal likelihood instead (partial pooling). ``working_days`` adds
    a working-day regressor (``working_day_regressor``; kept with a fixed profile, which cannot
    hold a month's deviation from its usual number of days).
    """
    if not 0.0 < damping <= 1.0:
        raise UsageError(f"damping must be in (0, 1], got {damping!r}")
    fits = _cached_grid_fits(history, end, seasonal, cny, damping, working_days)
    if noise_weights is not None:
        groups: dict[NoiseKey, list[float]] = {}
        for f in fits:
            groups.setdefault((f[1], f[2], f[3]), []).append(f[0])
        own = {k: _lse(v) for k, v in groups.items()}
        missing = [k for k in own if k not in noise_weights]
        if missing:
            raise HistoryError(f"pooled noise weights lack the grid point {missing[0]}")
        fits = [
            (f[0] - own[(f[1], f[2], f[3])] + noise_weights[(f[1], f[2], f[3])], *f[1:])
            for f in fits
        ]
    if noise_prior is not None:
        if noise_weights is not None:
            raise UsageError("give noise_weights or noise_prior, not both")
        missing = [f[1:4] for f in fits if (f[1], f[2], f[3]) not in noise_prior]
        if missing:
            raise HistoryError(f"the pooled noise prior lacks the grid point {missing[0]}")
        fits = [(f[0] + noise_prior[(f[1], f[2], f[3])], *f[1:]) for f in fits]
    end_ = history.months[-1] if end is None else end
    hist = history.upto(end_)
    use_cny = cny and seasonal is None
    best = max(f[0] for f in fits)
    weights = np.array([math.exp(f[0] - best) for f in fits])
    weights /= weights.sum()
    dim = 13 + len(regressor_names(cny=use_cny, working_days=working_days))
    kept = [(w, f) for w, f in zip(weights, fits, strict=True) if w >= _MIN_WEIGHT]
    covs = np.stack([f[6] for _, f in kept])
    # one batched call (LAPACK factors each matrix as it would alone): a hundred components
    chols = np.linalg.cholesky(0.5 * (covs + covs.transpose(0, 2, 1)) + 1e-12 * np.eye(dim))
    components = [
        Component(float(w), se, eta, tau, ss, mean, chol)
        for (w, (_, se, eta, tau, ss, mean, _)), chol in zip(kept, chols, strict=True)
    ]
    total = sum(c.weight for c in components)
    components = [
        Component(c.weight / total, c.sigma_e, c.eta, c.tau, c.sigma_s, c.mean, c.chol)
        for c in components
    ]
    n_aggregates = len(
        reduce_aggregates(
            hist.as_dict(), hist.aggregates, where=f"monthly history {history.source}"
        )
    )
    return MonthlyFit(
        end_,
        _first_month(hist),
        len(hist.months),
        n_aggregates,
        tuple(components),
        history.source,
        cny=use_cny,
        damping=float(damping),
        working_days=bool(working_days),
    )


def _first_month(hist: MonthlyHistory) -> int:
    sums = reduce_aggregates(
        hist.as_dict(), hist.aggregates, where=f"monthly history {hist.source}"
    )
    return min([hist.months[0], *(m[0] for m, _ in sums)])


_Fit = tuple[float, float, float, float, float, np.ndarray, np.ndarray]


_GRID_CACHE: dict[tuple[object, ...], list[_Fit]] = {}
_GRID_CACHE_SIZE = 32  # fits kept (each ~0.6 MB): a backtest reuses each maker-year's twice


def _cached_grid_fits(
    history: MonthlyHistory,
    end: int | None,
    seasonal: Sequence[float] | None,
    cny: bool,
    damping: float = 1.0,
    working_days: bool = False,
) -> list[_Fit]:
    """``_grid_fits``, remembered for the last few histories: the pooled noise levels and the
    maker's own fit need the same grid of the same months (the fits are read, never changed)."""
    key = (
        history.months,
        history.units,
        history.aggregates,
        end,
        None if seasonal is None else tuple(float(v) for v in seasonal),
        bool(cny),
        float(damping),
        bool(working_days),
    )
    hit = _GRID_CACHE.pop(key, None)
    if hit is None:
        hit = _grid_fits(history, end, seasonal, cny, damping, working_days)
    _GRID_CACHE[key] = hit  # most recent last
    while len(_GRID_CACHE) > _GRID_CACHE_SIZE:
        del _GRID_CACHE[next(iter(_GRID_CACHE))]
    return hit


def _grid_fits(
    history: MonthlyHistory,
    end: int | None,
    seasonal: Sequence[float] | None,
    cny: bool,
    damping: float = 1.0,
    working_days: bool = False,
) -> list[_Fit]:
    """(log marginal likelihood, sigma_e, eta, tau, sigma_s, state mean, state covariance) for
    every grid point."""
    fixed = check_seasonal(seasonal) if seasonal is not None else None
    use_cny = cny and fixed is None
    names = regressor_names(cny=use_cny, working_days=working_days)
    if end is None:
        end = history.months[-1]
    hist = history.upto(end)
    if len(hist.months) < 3:
        raise HistoryError(
            f"monthly history {history.source}: the seasonal fit needs at least 3 months up to "
            f"{month_label(end)}, found {len(hist.months)}"
        )
    known = hist.as_dict()
    sums = reduce_aggregates(known, hist.aggregates, where=f"monthly history {history.source}")
    first = min([hist.months[0], *(m[0] for m, _ in sums)])
    n = end - first + 1
    design = _design(first, n, damping)
    if names:  # one column per calendar regressor, after the seasonal basis
        design = np.column_stack([design, *(REGRESSORS[r].values(first, n) for r in names)])
    dim = 13 + len(names)
    n_reg = len(names)
    obs_rows = design[np.array(hist.months) - first]
    obs_y = np.log(np.array(hist.units))
    agg_rows = [design[np.array(m) - first] for m, _ in sums]
    agg_y = np.log(np.array([v for _, v in sums]))
    offsets = [np.zeros(len(m)) for m, _ in sums]
    if fixed is not None:  # take the given profile out; the seasonal coordinates are pinned at 0
        obs_y = obs_y - fixed[np.array(hist.months) % 12]
        offsets = [fixed[np.array(m) % 12] for m, _ in sums]
    # state at ``end``: level, slope, seasonal coordinates
    pick = np.zeros((dim, design.shape[1]))
    season = slice(2 * n, 2 * n + 11)  # the seasonal coordinates' columns
    pick[0] = design[-1]
    pick[0, season] = 0.0
    # slope at end = b0 + all slope changes (the ramps' slopes), each decayed by phi a month
    pick[1, 1 : n + 1] = damping ** np.arange(n - 1, -1, -1.0)
    pick[2:13, season] = np.eye(11)
    if n_reg:
        # the level excludes the calendar effects; their coefficients are the last coordinates
        pick[0, -n_reg:] = 0.0
        pick[13:, -n_reg:] = np.eye(n_reg)
    grid = [
        (se, eta, tau, ss)
        for se in SIGMA_E_GRID
        for eta in ETA_GRID
        for tau in TAU_GRID
        for ss in (SIGMA_S_GRID if fixed is None else (_PINNED,))
    ]
    if not sums:  # every month known on its own: one linear step, all grid points at once
        fixed_var = np.zeros(design.shape[1])
        fixed_var[0], fixed_var[1] = _LEVEL_VAR, _SLOPE_VAR
        if n_reg:
            fixed_var[-n_reg:] = [REGRESSORS[r].prior_var for r in names]
        blocks = [slice(2, n + 1), slice(n + 1, 2 * n), season]  # slope changes, shifts, seasonal
        out = _fit_linear_grid(
            obs_rows,
            obs_y,
            pick,
            fixed_var,
            blocks,
            np.array([(tau**2, eta**2, ss**2) for _, eta, tau, ss in grid]),
            np.array([se**2 for se, *_ in grid]),
        )
        fits = []
        for (se, eta, tau, ss), (mean, cov, loglik) in zip(grid, out, strict=True):
            if fixed is not None:
                mean[2:13] += _BASIS.T @ fixed
            fits.append((loglik, se, eta, tau, ss, mean, cov))
        return fits
    fits = []
    for se, eta, tau, ss in grid:
        prior = np.r_[
            _LEVEL_VAR,
            _SLOPE_VAR,
            np.full(n - 1, tau**2),
            np.full(n - 1, eta**2),
            np.full(11, ss**2),
            *(REGRESSORS[r].prior_var for r in names),
        ]
        mean, cov, loglik = _fit_one(obs_rows, obs_y, agg_rows, agg_y, se, prior, pick, offsets)
        if fixed is not None:
            mean[2:13] += _BASIS.T @ fixed
        fits.append((loglik, se, eta, tau, ss, mean, cov))
    return fits


def check_seasonal(values: Sequence[float]) -> np.ndarray:
    """Twelve positive factors or shares (January first) -> log-factors that sum to zero."""
    try:
        arr = np.asarray([float(v) for v in values])
    except (TypeError, ValueError):
        raise HistoryError(f"seasonal profile: expected twelve numbers, got {values!r}") from None
    if arr.shape != (12,):
        raise HistoryError(
            f"seasonal profile: expected twelve numbers (January first), got {arr.size}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise HistoryError("seasonal profile: every month's factor must be a positive number")
    logs = np.log(arr)
    return logs - logs.mean()


def _design(first: int, n: int, damping: float = 1.0) -> np.ndarray:
    """Rows t = 0..n-1: [1, ramp of the first slope, ramps of slope changes i = 1..n-1, 1 for
    level shifts i <= t, seasonal basis]; the trend is continuous, its slope a random walk
    (``damping`` 1: ramps t - i) or damped (a change at i adds (1 - phi^(t-i)) / (1 - phi) to
    the level at t), plus persistent shifts."""
    t = np.arange(n)[:, None]
    i = np.arange(1, n)[None, :]
    lag = np.clip(t - i, 0, None).astype(float)
    if damping >= 1.0:
        ramps = lag
        first_ramp = np.arange(n, dtype=float)
    else:
        ramps = (1.0 - damping**lag) / (1.0 - damping)
        first_ramp = (1.0 - damping ** np.arange(n, dtype=float)) / (1.0 - damping)
    steps = (t >= i).astype(float)
    cal = (first + np.arange(n)) % 12
    return np.column_stack([np.ones(n), first_ramp, ramps, steps, _BASIS[cal]])


def _fit_linear_grid(
    rows: np.ndarray,
    y: np.ndarray,
    pick: np.ndarray,
    fixed_var: np.ndarray,
    blocks: Sequence[slice],
    block_var: np.ndarray,
    noise_var: np.ndarray,
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """``_fit_one`` for every grid point at once when no aggregate needs linearising (the model
    is then linear and Gaussian: one step is exact). Why batched: the prior variance is constant
    within each block of the state (the fixed level/slope/regressor terms, the slope changes, the
    shifts, the seasonal coordinates), so each grid point's observation covariance is a weighted
    sum of four Gram matrices computed once, and the few hundred small solves go through LAPACK
    in one call instead of hundreds of Python-level ones (the fits took a fifth of a backtest).

    ``block_var`` (grid, blocks): each block's prior variance; ``noise_var`` (grid,): the
    irregular noise variance. Returns (mean, covariance of ``pick @ theta``, log marginal
    likelihood) per grid point, as ``_fit_one`` does."""
    m = len(y)

    def gram(cols: np.ndarray | slice, var: np.ndarray | float) -> tuple[np.ndarray, ...]:
        jw = rows[:, cols] * var
        return rows[:, cols] @ jw.T, pick[:, cols] @ jw.T, (pick[:, cols] * var) @ pick[:, cols].T

    parts = [gram(slice(None), fixed_var)] + [gram(b, 1.0) for b in blocks]
    weights = np.column_stack([np.ones(len(noise_var)), block_var])  # (grid, 1 + blocks)

    def mix(i: int) -> np.ndarray:  # each grid point's weighted sum of the blocks' matrices
        stack = np.stack([p[i] for p in parts])
        return (weights @ stack.reshape(len(parts), -1)).reshape(-1, *stack.shape[1:])

    obs_cov, cross, state = mix(0), mix(1), mix(2)  # J P J', pick P J', pick P pick'
    obs_cov.reshape(len(noise_var), -1)[:, :: m + 1] += noise_var[:, None]  # noise: the diagonal
    rhs = np.empty((len(noise_var), m, 1 + pick.shape[0]))
    rhs[:, :, 0] = y
    rhs[:, :, 1:] = cross.transpose(0, 2, 1)
    solved = np.linalg.solve(obs_cov, rhs)
    alpha, gain = solved[:, :, 0], solved[:, :, 1:]
    means = (cross @ alpha[:, :, None])[:, :, 0]
    covs = state - cross @ gain
    # S is positive definite: its log determinant from the Cholesky factor's diagonal
    logdet = 2.0 * np.log(np.diagonal(np.linalg.cholesky(obs_cov), axis1=1, axis2=2)).sum(axis=1)
    logliks = -0.5 * (logdet + alpha @ y + m * math.log(2 * math.pi))
    return [(means[g], covs[g], float(logliks[g])) for g in range(len(noise_var))]


def _fit_one(
    obs_rows: np.ndarray,
    obs_y: np.ndarray,
    agg_rows: list[np.ndarray],
    agg_y: np.ndarray,
    sigma_e: float,
    prior: np.ndarray,
    pick: np.ndarray,
    offsets: list[np.ndarray],
    iterations: int = 30,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Gauss-Newton for the posterior mode with aggregates linearised (log of a sum of months),
    in observation space (a few dozen observations, however long the trend vector).

    Returns the posterior mean and covariance of ``pick @ theta`` and the log marginal
    likelihood of the linearised model."""
    theta = np.zeros(obs_rows.shape[1])
    for step in range(iterations):
        rows, ys, var = [obs_rows], [obs_y], [np.full(len(obs_y), sigma_e**2)]
        if agg_rows and step > 0:
            lin_rows, lin_y, lin_var = [], [], []
            for block, y, offset in zip(agg_rows, agg_y, offsets, strict=True):
                f = block @ theta + offset
                w = np.exp(f - f.max())
                w /= w.sum()
                r = w @ block
                lse = f.max() + math.log(np.exp(f - f.max()).sum())
                lin_rows.append(r)
                lin_y.append(y - lse + r @ theta)
                lin_var.append(sigma_e**2 * float(w @ w))
            rows.append(np.array(lin_rows))
            ys.append(np.array(lin_y))
            var.append(np.array(lin_var))
        J, y, v = np.vstack(rows), np.concatenate(ys), np.concatenate(var)
        pjt = (J * prior).T
        S = J @ pjt + np.diag(v)
        alpha = np.linalg.solve(S, y)
        new = pjt @ alpha
        converged = step > 0 and np.max(np.abs(new - theta)) < 1e-10
        theta = new
        if converged or (not agg_rows and step == 0):
            break
    apjt = pick @ pjt
    cov = (pick * prior) @ pick.T - apjt @ np.linalg.solve(S, apjt.T)
    _, logdet = np.linalg.slogdet(S)
    loglik = -0.5 * (logdet + y @ alpha + len(y) * math.log(2 * math.pi))
    return pick @ theta, cov, float(loglik)
