"""Nowcast: P(full-year target) from year-to-date monthly actuals, and the link to the annual model.

Method (docs/nowcast.md has the long form), for a year with some months observed:

1. **Annual view.** Each path's total ``D`` for the year comes from the annual scenario (its first
   forecast year), so events, capacity and growth uncertainty are the scenario's. A shape drawn
   from the monthly model fitted to the months *before* the year (``monthly.fit_monthly``:
   seasonal factors, the trend's momentum, noise, all with their uncertainty) spreads ``D`` over
   the months; the annual view of the rest of the year is ``D`` times the shape's remaining share.
2. **Monthly view.** The monthly model's own paths for the year, conditioned on the actuals with a
   flat prior on the level (ordinary kriging): seasonality, momentum and noise carry this year's
   months forward; nothing else about the level is assumed.
3. **Combination.** The two views of the log remaining total are combined by precision weighting
   (the product of two Gaussians; drawing each view independently and mixing them with weights
   ``1 - kappa`` and ``kappa`` gives the posterior mean and variance exactly), and the result is
   spread over the remaining months as the monthly model would spread it.

With no actuals every path keeps exactly its annual total; with all twelve months the total is
their sum with no spread. Everything is vectorised over paths and seeded through
``numpy.random.SeedSequence`` (the engine's per-chunk streams).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from leapforecast._version import __version__
from leapforecast.analysis.seasonal import (
    LEGACY,
    MonthlyFit,
    MonthlyOptions,
    NoiseKey,
    fit_monthly,
    mixture_noise_prior,
    noise_loglik,
    pooled_noise_weights,
)
from leapforecast.data._files import file_label, read_text_file
from leapforecast.data.history import History
from leapforecast.data.monthly import (
    MAX_MONTH_UNITS,
    MonthlyHistory,
    load_monthly,
    load_monthly_peers,
    month_index,
    month_label,
    parse_month,
    parse_monthly,
)
from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.kernel import chunk_sizes
from leapforecast.engine.mixture import component_index
from leapforecast.engine.results import (
    QUANTILES,
    SimulationResult,
    binomial_se,
    replicate_se,
    wilson,
)
from leapforecast.engine.run import simulate
from leapforecast.engine.sampling import stream
from leapforecast.errors import HistoryError, LeapforecastError, UsageError
from leapforecast.model.reference import fit_for_scenario
from leapforecast.model.scenario import Scenario, load_scenario, mixture_of
from leapforecast.units import parse_units

PILOT = 20_000  # paths behind the weights (fixed, so they never depend on the run's size)
# The monthly model the nowcast uses unless told otherwise: the configuration that scored best on
# the monthly calibration report (docs/nowcast.md, "Choosing the default").
DEFAULT_OPTIONS = MonthlyOptions()
__all__ = ["DEFAULT_OPTIONS", "LEGACY", "MonthlyOptions", "nowcast", "year_to_date"]
_PILOT_STREAM = 0x6E6F7763  # spawn key of the pilot's shape stream
_OUTSIDE_STREAM = 0x6F7574  # spawn key of the outside view's totals ("out")


def parse_month_values(values: Iterable[str], *, option: str = "--month") -> dict[str, float]:
    """``["2026-01=32059", "2026-02=28k"]`` -> {"2026-01": 32059.0, ...} (units as in --target)."""

    out: dict[str, float] = {}
    for raw in values:
        month, sep, units = raw.partition("=")
        if not sep:
            raise UsageError(f"{option} {raw}: expected MONTH=UNITS, e.g. 2026-01=32059")
        try:
            index = parse_month(month, where=f"{option} {raw}")
        except HistoryError as exc:
            raise UsageError(str(exc)) from None
        label = month_label(index)
        if label in out:
            raise UsageError(f"{option} {raw}: month {label} is given twice")
        try:
            value = parse_units(units)
        except UsageError as exc:
            raise UsageError(f"{option} {raw}: {exc}") from None
        if value <= 0:
            raise UsageError(f"{option} {raw}: units must be positive")
        if value > MAX_MONTH_UNITS:
            raise UsageError(f"{option} {raw}: implausibly large for one month (over 1e8)")
        out[label] = float(value)
    return out


# Year-to-date actuals as callers give them: {"2026-01": units} or {month index: units} (a
# Mapping is invariant in its key, so each key type is its own member), or a MonthlyHistory.
Actuals: TypeAlias = (
    Mapping[str, float] | Mapping[int, float] | Mapping[str | int, float] | MonthlyHistory
)


def check_actuals(actuals: Actuals | None) -> dict[int, float]:
    """Year-to-date actuals as {month index: units}; one year only, each month once, units > 0."""
    if actuals is None:
        return {}
    if isinstance(actuals, MonthlyHistory):
        if actuals.aggregates:
            raise UsageError(
                f"actuals {actuals.source}: period totals (e.g. 2026-Q1) are not supported; "
                "give months"
            )
        items: list[tuple[Any, float]] = list(zip(actuals.months, actuals.units, strict=True))
    elif isinstance(actuals, Mapping):
        items = list(actuals.items())
    else:
        raise UsageError(f"actuals must be a mapping month -> units, got {type(actuals).__name__}")
    out: dict[int, float] = {}
    for key, value in items:
        index = key if isinstance(key, int) and not isinstance(key, bool) else None
        if index is None:
            try:
                index = parse_month(str(key), where="actuals")
            except HistoryError as exc:
                raise UsageError(str(exc)) from None
        if index in out:
            raise UsageError(f"actuals: month {month_label(index)} is given twice")
        try:
            units = float(value)
        except (TypeError, ValueError):
            raise UsageError(
                f"actuals: {month_label(index)} units {value!r} is not a number"
            ) from None
        if not math.isfinite(units) or units <= 0:
            raise UsageError(
                f"actuals: {month_label(index)} units must be a positive number, got {value!r}"
            )
        out[index] = units
    years = sorted({m // 12 for m in out})
    if len(years) > 1:
        raise UsageError(
            f"actuals span several years ({', '.join(map(str, years))}); "
            "give the months of one year"
        )
    return dict(sorted(out.items()))


def _resolve_year(observed: dict[int, float], year: int | None, default: int) -> int:
    if observed:
        actual_year = next(iter(observed)) // 12
        if year is not None and year != actual_year:
            raise UsageError(f"`year` {year}: the actuals are for {actual_year}")
        return actual_year
    return default if year is None else int(year)


def scenario_for_year(scenario: Any, year: int) -> Any:
    """The scenario whose first forecast year is ``year`` (moving history.base_year if needed)."""

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if sc.base_year + 1 != year:
        if year - 1 not in sc.history.years:
            raise UsageError(
                f"cannot nowcast {year} with scenario {sc.name}: its history "
                f"{sc.history.source} has no {year - 1} to start from "
                f"({sc.history.years[0]}-{sc.history.years[-1]})"
            )
        sc = sc.with_overrides(f"history.base_year={year - 1}")
    return sc


def fit_before_year(
    monthly: MonthlyHistory | MonthlyFit | str | Path | None,
    year: int,
    seasonal: Sequence[float] | None = None,
    *,
    options: MonthlyOptions | None = None,
    pool: Sequence[MonthlyHistory] | None = None,
    noise_weights: Mapping[NoiseKey, float] | None = None,
) -> MonthlyFit:
    """The monthly model fitted to the months before ``year`` only (the year's own months are
    evidence for the update, not for the prior).

    With ``options.pooled`` the noise levels are weighted by every maker's months before the
    year: ``noise_weights`` if given (``pooled_noise_weights``), else this history plus ``pool``
    (default: the bundled monthly peers). Damping and the noise's tails come from ``options``.
    """
    opts = DEFAULT_OPTIONS if options is None else options
    if isinstance(monthly, MonthlyFit):
        if monthly.end != month_index(year, 1) - 1:
            raise LeapforecastError(
                f"the monthly fit ends {month_label(monthly.end)}; "
                f"the nowcast of {year} needs one ending {year - 1}-12"
            )
        return monthly
    hist = monthly if isinstance(monthly, MonthlyHistory) else load_monthly(monthly)
    end = month_index(year, 1) - 1
    before = hist.upto(end)
    if len(before.months) < 3:
        raise HistoryError(
            f"monthly history {hist.source}: the nowcast of {year} needs at least 3 months before "
            f"{year} to learn seasonality and noise, found {len(before.months)}"
        )
    noise_prior: Mapping[NoiseKey, float] | None = None
    if opts.pooled and noise_weights is None:
        others = list(load_monthly_peers(None).values() if pool is None else pool)
        lls = noise_logliks_before(
            [before, *others],
            year,
            cny=opts.cny and seasonal is None,
            damping=opts.damping,
            working_days=opts.working_days,
        )
        if opts.partial:
            noise_prior = mixture_noise_prior(
                [ll for h, ll in lls[1:] if not same_months(h, before)]
            )
        else:
            noise_weights = pooled_noise_weights([ll for _, ll in lls])
    elif opts.pooled and opts.partial:
        noise_prior, noise_weights = noise_weights, None
    fit = fit_monthly(
        before,
        end=end,
        seasonal=seasonal,
        cny=opts.cny,
        noise_weights=noise_weights if opts.pooled else None,
        damping=opts.damping,
        noise_prior=noise_prior,
        working_days=opts.working_days,
    )
    return fit.ahead(tail_df=opts.tail_df)


def pooled_weights_before(
    histories: Iterable[MonthlyHistory],
    year: int,
    *,
    cny: bool,
    damping: float = 1.0,
    working_days: bool = False,
) -> dict[NoiseKey, float]:
    """Noise levels shared by every history's months before ``year`` (those with at least a
    year of months then): nothing from ``year`` on is used, so a backtest stays out of sample."""
    lls = noise_logliks_before(histories, year, cny=cny, damping=damping, working_days=working_days)
    return pooled_noise_weights([ll for _, ll in lls])


def noise_logliks_before(
    histories: Iterable[MonthlyHistory],
    year: int,
    *,
    cny: bool,
    damping: float = 1.0,
    working_days: bool = False,
) -> list[tuple[MonthlyHistory, dict[NoiseKey, float]]]:
    """(months before ``year``, their ``noise_loglik``) of every history with at least a year
    of months then (each fitted with the same calendar regressors as the maker it informs)."""
    end = month_index(year, 1) - 1
    out = []
    for h in histories:
        before = h.upto(end)
        if len(before.months) >= 12:
            ll = noise_loglik(before, end=end, cny=cny, damping=damping, working_days=working_days)
            out.append((before, ll))
    return out


def same_months(a: MonthlyHistory, b: MonthlyHistory) -> bool:
    """The same maker's months (the pool may hold the history being fitted)."""
    return a.months == b.months and a.units == b.units


@dataclass(frozen=True)
class MonthEvent:
    """A scenario event whose effect differs between the months of the nowcast year (dated to a
    month, or a dip that recovers): ``profile`` the share of its impact in force in each month
    (January first), drawn per path with its probability and impact."""

    name: str
    profile: np.ndarray
    probability: float
    impact: Any  # a model.distributions Dist

    def log_effect(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 12) log multipliers of the months, zero where the event does not happen."""
        happens = rng.random(n) < self.probability
        impact = np.asarray(self.impact.ppf(rng.random(n)), float) * happens
        return np.log(np.maximum(1.0 + impact[:, None] * self.profile[None, :], 1e-6))


def month_events(scenario: Any, year: int) -> tuple[MonthEvent, ...]:
    """The scenario's multiplicative events that shape the months of ``year``: dated to a month
    or transient (``persistence`` months:N / half-life:N, or one-year from a later month),
    happening in ``year`` or fading into it. An event that moves every month alike changes only
    the year's level, which the annual view already carries. Events of one segment act on the
    whole total here (the monthly model has no segments)."""
    if scenario is None:
        return ()
    out = []
    for ev in scenario.spec.event:
        first, last = ev.years
        if ev.kind != "multiply" or first != last or first > year:
            continue
        offset = 12 * (year - first) - (ev.start_month - 1)  # months from its start to January
        profile = np.array(ev.monthly_profile(offset + 12)[max(offset, 0) :], float)
        if offset < 0:
            profile = np.concatenate([np.zeros(-offset), profile])[:12]
        profile = profile[:12]
        if np.ptp(profile) > 1e-9:
            out.append(MonthEvent(ev.name, profile, ev.probability, ev.impact))
    return tuple(out)


class ShapeDraw:
    """One draw of the year's log months (n, 12) under the monthly model (``YearToDate.shapes``)
    with the row sums the update reads at every use computed once: a backtest hands the same
    draws to all twelve cut-offs of a year, and these sums were a tenth of its time."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x

    @cached_property
    def log_total(self) -> np.ndarray:
        """(n,) log of each path's year (the sum of its twelve months)."""
        return _logsumexp(self.x)

    @cached_property
    def log_jan_feb(self) -> np.ndarray:
        """(n,) log of each path's January plus February."""
        return _logsumexp(self.x[:, :2])


@dataclass
class YearToDate:
    """Conditions annual totals on year-to-date actuals; pass it to ``engine.simulate(condition=)``.

    Calling it maps each path's first-forecast-year total and a generator to the conditioned
    full-year total (actuals + the simulated remaining months); ``draw`` also returns the months.
    Set up by ``year_to_date``: ``weights`` (remaining x observed months, rows sum to one) carry
    the actuals forward under the monthly model; ``kappa`` is the weight of that monthly view of
    the remaining total against the annual model's (0: annual only, 1: monthly only); ``beta``
    spreads the combined remaining total over the months.
    """

    year: int
    observed: dict[int, float]  # calendar month 1..12 -> units
    fit: MonthlyFit
    prior_log_sd: float
    weights: np.ndarray | None = None
    kappa: float = 0.0
    beta: np.ndarray | None = None
    options: MonthlyOptions = LEGACY
    events: tuple[MonthEvent, ...] = ()
    prior_log_mean: float | None = None  # mean log total of the annual model, for ``conflict``
    broad_weight: float = 0.0  # posterior weight of the wide component of the level prior
    broad_kappa: float = 0.0  # the monthly view's weight under that component
    annual_centre: float = 0.0  # mean of the annual view's log remaining total
    # the outside view's log totals of the year (a sample): with it, the wide component of the
    # level prior is the outside view itself, not the annual view widened (``options.conflict``)
    outside: np.ndarray | None = None
    observed_months: tuple[int, ...] = field(init=False)
    remaining_months: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.observed_months = tuple(sorted(self.observed))
        self.remaining_months = tuple(m for m in range(1, 13) if m not in self.observed)

    @property
    def ytd(self) -> float:
        return float(sum(self.observed.values()))

    def shapes(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 12) log deliveries of the year's months as the monthly model saw them beforehand."""
        horizon = month_index(self.year, 12) - self.fit.end
        x = self.fit.simulate(n, rng, horizon)[:, -12:]
        for ev in self.events:
            x = x + ev.log_effect(n, rng)
        return x

    def pilot_shapes(self, n: int, seed: int) -> tuple[ShapeDraw, ShapeDraw, ShapeDraw]:
        """The three draws of ``shapes`` behind ``year_to_date``'s weights, ``n`` paths each
        from ``seed``'s pilot stream, in the order it uses them: the kriging weights', then the
        annual and the monthly view's. They depend on the fit, the year and the events, not on
        the actuals, so a backtest of one year draws them once for every cut-off."""
        rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_PILOT_STREAM,)))
        )
        return (
            ShapeDraw(self.shapes(n, rng)),
            ShapeDraw(self.shapes(n, rng)),
            ShapeDraw(self.shapes(n, rng)),
        )

    @property
    def joined(self) -> bool:
        """January and February enter the update as one period (both known, ``jan_feb``)."""
        return self.options.jan_feb and 1 in self.observed and 2 in self.observed

    def features(self, x: np.ndarray | ShapeDraw) -> np.ndarray:
        """The observed part of log months ``x`` (n, 12) as the update sees it: the observed
        months, with January and February replaced by the log of their sum when joined (the
        New Year moves deliveries between them, so their split says little about the year)."""
        o = [m - 1 for m in self.observed_months if not (self.joined and m <= 2)]
        months = x.x if isinstance(x, ShapeDraw) else x
        cols = [months[:, o]]
        if self.joined:
            jan_feb = x.log_jan_feb if isinstance(x, ShapeDraw) else _logsumexp(x[:, :2])
            cols.insert(0, jan_feb[:, None])
        return np.concatenate(cols, axis=1)

    def observed_features(self) -> np.ndarray:
        """``features`` of the actuals themselves."""
        return self.features(np.log([[self.observed.get(m, 1.0) for m in range(1, 13)]]))[0]

    def views(
        self,
        total: np.ndarray,
        rng: np.random.Generator | None,
        shapes: tuple[ShapeDraw, ShapeDraw] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The two views of the remaining months, from independent shape draws: the log of the
        annual model's remainder (its total times the shape's share of the months still to
        come), and the monthly model's log remaining months given the actuals alone.
        ``shapes``: the two draws (``ShapeDraw``, the annual view's first), made beforehand (a
        backtest reuses them at every cut-off of a year); by default drawn here from ``rng``."""
        if shapes is None:
            if rng is None:
                raise UsageError("YearToDate.views: give rng or shapes")
            shapes = (
                ShapeDraw(self.shapes(len(total), rng)),
                ShapeDraw(self.shapes(len(total), rng)),
            )
        annual, month = shapes
        u = np.array(self.remaining_months, dtype=int) - 1
        log_ra = np.log(np.maximum(total, 1.0)) + _logsumexp(annual.x[:, u]) - annual.log_total
        obs = self.observed_features()
        weights = _fitted(self.weights, "weights")
        v_u = month.x[:, u] + (obs[None, :] - self.features(month)) @ weights.T
        return log_ra, v_u

    def draw(
        self,
        total: np.ndarray,
        rng: np.random.Generator,
        shapes: tuple[ShapeDraw, ShapeDraw] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(conditioned full-year totals (n,), months (n, 12)) for prior totals ``total``.

        ``shapes``: two ``ShapeDraw`` of n paths made beforehand, as ``views`` takes them
        (with no month observed only the first is used); by default drawn here from ``rng``.
        Why: a backtest nowcasts one year at twelve cut-offs, and the monthly model's draws do
        not depend on the cut-off, so it draws them once (common random numbers) instead of
        eleven times more."""
        total = np.asarray(total, float)
        if not self.observed:
            first = ShapeDraw(self.shapes(len(total), rng)) if shapes is None else shapes[0]
            x, log_year = first.x, first.log_total
            total = total.copy()
            if self.broad_weight > 0.0:
                # the level prior's other component, before any actual has spoken: the outside
                # view, or the annual view widened about its centre
                broad = rng.random(len(total)) < self.broad_weight
                if self.outside is not None:
                    other = np.exp(self.outside[rng.integers(0, len(self.outside), len(total))])
                else:
                    m = float(self.prior_log_mean or 0.0)
                    log_t = np.log(np.maximum(total, 1.0))
                    other = np.exp(m + self.options.conflict_scale * (log_t - m))
                total = np.where(broad, other, total)
            return total, total[:, None] * np.exp(x - log_year[:, None])
        months = np.empty((len(total), 12))
        months[:, np.array(self.observed_months) - 1] = [
            self.observed[m] for m in self.observed_months
        ]
        if not self.remaining_months:
            return np.full(len(total), self.ytd), months
        log_ra, v_u = self.views(total, rng, shapes)
        log_rm = _logsumexp(v_u)
        log_r = (1.0 - self.kappa) * log_ra + self.kappa * log_rm
        if self.broad_weight > 0.0:
            # the wide component of the level prior: the outside view (the reference model's
            # total, spread over the months as the annual view's), or the annual view's spread
            # times the scale; the actuals outweigh it sooner (exact for Gaussian views)
            broad = rng.random(len(total)) < self.broad_weight
            if self.outside is not None:
                ov = self.outside[rng.integers(0, len(self.outside), len(total))]
                wide = log_ra - np.log(np.maximum(total, 1.0)) + ov
            else:
                c = self.options.conflict_scale
                wide = self.annual_centre + c * (log_ra - self.annual_centre)
            log_r = np.where(
                broad, (1.0 - self.broad_kappa) * wide + self.broad_kappa * log_rm, log_r
            )
        v_u = v_u + (log_r - log_rm)[:, None] * _fitted(self.beta, "beta")[None, :]
        rest = np.exp(log_r)
        months[:, np.array(self.remaining_months) - 1] = rest[:, None] * np.exp(
            v_u - _logsumexp(v_u)[:, None]
        )
        return self.ytd + rest, months

    def __call__(self, total: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.draw(total, rng)[0]


def _fitted(value: np.ndarray | None, name: str) -> np.ndarray:
    """``YearToDate.weights``/``beta``, which ``year_to_date`` sets whenever some months are
    observed and some remain (the only case that reads them)."""
    if value is None:  # pragma: no cover - year_to_date sets both
        raise UsageError(f"YearToDate.{name} is unset: build it with year_to_date()")
    return value


def _kept_totals(result: SimulationResult) -> np.ndarray:
    """The per-path totals of a run (``simulate`` keeps them; a merged result may not)."""
    if result.totals is None:  # pragma: no cover - simulate always keeps totals
        raise UsageError("the run kept no per-path totals")
    return result.totals


def _normal_logpdf(x: float, var: float) -> float:
    if var <= 0.0:  # a point mass (a prior with no spread): all or nothing
        return 0.0 if x == 0.0 else -math.inf
    return -0.5 * x * x / var - 0.5 * math.log(2.0 * math.pi * var)


def _log(p: float) -> float:
    return math.log(p) if p > 0.0 else -math.inf


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=1)
    return top + np.log(np.exp(x - top[:, None]).sum(axis=1))


def kriging_weights(cov: np.ndarray, observed: np.ndarray, remaining: np.ndarray) -> np.ndarray:
    """Ordinary-kriging weights (remaining x observed): the best linear predictor of the remaining
    log months from the observed ones when the level is unknown (flat prior), so each row sums
    to one and only the monthly model's seasonality, momentum and noise carry over."""
    c_oo = cov[np.ix_(observed, observed)]
    c_uo = cov[np.ix_(remaining, observed)]
    ones = np.ones(len(observed))
    inv_one = np.linalg.solve(c_oo, ones)
    simple = np.linalg.solve(c_oo, c_uo.T).T
    return simple + (1.0 - simple @ ones)[:, None] * (inv_one / (ones @ inv_one))[None, :]


def outside_totals(
    history: History, base_year: int, base_units: float, *, draws: int, rng: np.random.Generator
) -> np.ndarray | None:
    """Totals of the year after ``base_year`` under the outside view: the pooled reference model
    fitted on the bundled peers and ``history`` with growth ending by ``base_year``, simulated
    ``draws`` times from ``base_units``; None when no reference fit is possible."""
    try:
        fit = fit_for_scenario(history, base_year)
    except ValueError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the growth bound; rare, harmless
        levels = fit.simulate(base_units, 1, draws=draws, rng=rng)
    return np.asarray(levels[0], float)


def scenario_outside(scenario: Scenario, *, seed: int, draws: int = PILOT) -> np.ndarray | None:
    """``outside_totals`` of ``scenario``'s first forecast year, from its base year's level and
    history, on a stream of its own."""
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_OUTSIDE_STREAM,)))
    )
    return outside_totals(
        scenario.history, scenario.base_year, scenario.base_units, draws=draws, rng=rng
    )


def annual_log_sd(scenario: Any, *, seed: int) -> float:
    """sd of the log of the first forecast year's total under ``scenario`` (a ``PILOT`` run)."""
    return annual_log_moments(scenario, seed=seed)[1]


def annual_log_moments(scenario: Any, *, seed: int) -> tuple[float, float]:
    """(mean, sd) of the log of the first forecast year's total under ``scenario`` (a
    ``PILOT`` run)."""
    pilot = _kept_totals(simulate(scenario, paths=PILOT, seed=seed))[:, 0].astype(float)
    logs = np.log(np.maximum(pilot, 1.0))
    return float(np.mean(logs)), float(np.std(logs))


def read_actuals(path: str | Path | None = None, months: Iterable[str] = ()) -> dict[str, float]:
    """Year-to-date actuals from a month,units CSV and/or ``2026-01=32059`` strings, checked.

    A month given both ways is an error rather than a silent overwrite.
    """

    given: dict[str, float] = {}
    if path is not None:
        text = read_text_file(Path(path), HistoryError)
        hist = parse_monthly(text, source=file_label(path), periods=False)
        given.update({month_label(m): u for m, u in zip(hist.months, hist.units, strict=True)})
    for label, units in parse_month_values(months).items():
        if label in given:
            raise UsageError(f"`month` {label}: that month is also in `actuals` {path}")
        given[label] = units
    check_actuals(given)
    return given


def scenario_seasonal(scenario: Any, seasonal: Sequence[float] | None) -> Sequence[float] | None:
    """An explicit profile wins; otherwise the scenario's ``[monthly] seasonal``, if it has one."""
    if seasonal is not None or scenario is None:
        return seasonal
    monthly = getattr(getattr(scenario, "spec", None), "monthly", None)
    return None if monthly is None else monthly.seasonal


def year_to_date(
    actuals: Actuals | None,
    *,
    scenario: Any = None,
    year: int | None = None,
    monthly: MonthlyHistory | MonthlyFit | str | Path | None = None,
    prior_log_sd: float | None = None,
    seed: int | None = None,
    seasonal: Sequence[float] | None = None,
    pilot: int = PILOT,
    options: MonthlyOptions | None = None,
    prior_log_mean: float | None = None,
    outside: np.ndarray | None = None,
    pilot_shapes: tuple[ShapeDraw, ShapeDraw, ShapeDraw] | None = None,
) -> YearToDate:
    """Build the conditioning for ``engine.simulate(scenario, condition=...)``.

    ``actuals``: {"2026-01": 32059, ...} (or a ``MonthlyHistory``) for months of the scenario's
    first forecast year. ``monthly``: the history that calibrates seasonality and noise (default:
    bundled; only its months before the year are used). ``prior_log_sd``: sd of the log of the
    year's total under the annual model; by default estimated from a pilot run of ``scenario``
    (``PILOT`` paths). ``seed`` fixes the pilot (default: the scenario's), so the weights, and
    hence every result, are reproducible. ``seasonal``: twelve factors or shares (January first)
    that fix the seasonal profile instead of estimating it. ``pilot``: paths behind the weights
    (the backtest, which builds thousands of these, uses fewer). ``options``: the monthly
    model's choices (default ``DEFAULT_OPTIONS``; ``LEGACY`` is the model before issue 15).
    ``prior_log_mean``: mean of the log of the year's total under the annual model (estimated
    with ``prior_log_sd`` when that is not given); it lets the actuals outweigh an annual view
    they contradict (``options.conflict``). ``outside``: totals of the year under the outside
    view (a sample); when given, the level prior's wide component is that view, so actuals that
    contradict the scenario hand the year's level to the reference model and the months.
    ``pilot_shapes``: the pilot's three shape draws, ``YearToDate.pilot_shapes(pilot, seed)``
    of a conditioning of the same fit, year and events, made beforehand (the backtest draws them
    once per year, not once per cut-off); the result is the same as without them.
    """
    opts = DEFAULT_OPTIONS if options is None else options
    observed = check_actuals(actuals)
    sc = None
    if scenario is not None or prior_log_sd is None:
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if sc is None and not observed and year is None:
        raise UsageError("year_to_date: give actuals, a year or a scenario")
    target_year = _resolve_year(observed, year, sc.base_year + 1 if sc is not None else 0)
    if sc is not None and sc.base_year + 1 != target_year:
        raise UsageError(
            f"actuals are for {target_year} but the scenario's first forecast year is "
            f"{sc.base_year + 1}; "
            f"set history.base_year={target_year - 1}"
        )
    if seed is None:
        seed = sc.spec.simulation.seed if sc is not None else 0
    if prior_log_sd is None:
        prior_log_mean, prior_log_sd = annual_log_moments(sc, seed=seed)
    if not math.isfinite(prior_log_sd) or prior_log_sd < 0:
        raise UsageError(f"prior_log_sd must be a non-negative number, got {prior_log_sd}")
    fit = fit_before_year(monthly, target_year, scenario_seasonal(sc, seasonal), options=opts)
    if outside is None and sc is not None and opts.conflict > 0.0:
        outside = scenario_outside(sc, seed=seed, draws=pilot)
    ytd = YearToDate(
        target_year,
        {m % 12 + 1: u for m, u in observed.items()},
        fit,
        prior_log_sd,
        options=opts,
        events=month_events(sc, target_year),
        prior_log_mean=prior_log_mean,
        outside=None if outside is None else np.log(np.maximum(np.asarray(outside, float), 1.0)),
    )
    if not ytd.observed and (ytd.outside is not None or prior_log_mean is not None):
        ytd.broad_weight = opts.conflict  # the level prior itself: nothing has updated it
    if ytd.observed and ytd.remaining_months:
        if pilot_shapes is None:
            pilot_shapes = ytd.pilot_shapes(pilot, seed)
        elif len(pilot_shapes) != 3 or any(
            not isinstance(a, ShapeDraw) or a.x.shape != (pilot, 12) for a in pilot_shapes
        ):
            raise UsageError(f"pilot_shapes must be three ShapeDraw of ({pilot}, 12) months")
        draw_x, x_annual, x_month = pilot_shapes
        x = draw_x.x
        u = np.array(ytd.remaining_months) - 1
        feats = ytd.features(draw_x)
        k = feats.shape[1]
        cov = np.cov(np.concatenate([feats, x[:, u]], axis=1), rowvar=False)
        ytd.weights = kriging_weights(cov, np.arange(k), k + np.arange(len(u)))
        log_ra, v_u = ytd.views(np.ones(pilot), None, (x_annual, x_month))
        log_rm = _logsumexp(v_u)
        var_annual = prior_log_sd**2 + float(np.var(log_ra))
        var_month = float(np.var(log_rm))
        ytd.kappa = var_annual / (var_annual + var_month)
        if opts.conflict > 0.0 and prior_log_mean is not None:
            ytd.annual_centre = prior_log_mean + float(np.mean(log_ra))
            # which component of the level prior do the actuals favour? The year to date is
            # each component's total times the shape's share of the observed months: a sharp
            # test (the share is known far better than the months still to come)
            o = np.array(ytd.observed_months) - 1
            log_share = _logsumexp(x[:, o]) - draw_x.log_total
            var_share = float(np.var(log_share))
            gap = math.log(ytd.ytd) - float(np.mean(log_share)) - prior_log_mean
            if ytd.outside is not None:
                var_wide = float(np.var(ytd.outside)) + float(np.var(log_ra))
                var_wide_total = float(np.var(ytd.outside))
                gap_wide = gap + prior_log_mean - float(np.mean(ytd.outside))
            else:
                var_wide = opts.conflict_scale**2 * var_annual
                var_wide_total = opts.conflict_scale**2 * prior_log_sd**2
                gap_wide = gap
            # in logs: actuals far in both components' tails still rank them (no 0/0)
            narrow = _log(1.0 - opts.conflict) + _normal_logpdf(gap, prior_log_sd**2 + var_share)
            wide = _log(opts.conflict) + _normal_logpdf(gap_wide, var_wide_total + var_share)
            if wide == -math.inf:
                ytd.broad_weight = 0.0
            elif narrow == -math.inf:
                ytd.broad_weight = 1.0
            else:
                ytd.broad_weight = 1.0 / (1.0 + math.exp(min(narrow - wide, 700.0)))
            ytd.broad_kappa = var_wide / (var_wide + var_month)
        if opts.level_shift:  # the annual view informs the year's level: every month alike
            ytd.beta = np.ones(len(u))
        else:
            centred = log_rm - log_rm.mean()
            ytd.beta = (v_u - v_u.mean(axis=0)).T @ centred / (centred @ centred)
    return ytd


# --------------------------------------------------------------------------- mixture priors
# Actuals update a mixture's weights: which scenario is reality tracking?
#
# With a mixture prior and year-to-date monthly actuals, each component's weight is multiplied by
# the likelihood of the actuals under it and the weights renormalised (Bayes' rule over the
# components). The likelihood uses the nowcast's monthly model (``analysis.nowcast``): a pilot run
# of the component gives its first-year totals ``D``; the monthly model fitted to the months before
# the year (shared by every component) spreads each ``D`` over the months, so the component's
# year-to-date total is ``D`` times the shape's share of the observed months. The likelihood is
# the density of the observed year-to-date total under that simulated distribution: a Gaussian
# kernel density on the log, Silverman's bandwidth, evaluated in log space so that actuals far in
# every component's tail still rank the components rather than underflow to 0/0.
#
# Why the year-to-date total and not the months one by one: the components are annual models and
# share the monthly shape, so they differ only in the level of the year; the months' pattern
# carries (almost) no evidence between them, and the total is robust to one odd month.
#
# Every component's draws use the same seed (common random numbers), so the weights are stable
# between components; the pilot size is fixed (``PILOT``), so they never depend on the run's size.
# The conditioned run then uses the posterior weights, each component conditioned on the actuals
# its own way (``year_to_date`` of that component).

_LIKELIHOOD_STREAM = 0x6D6978  # spawn key of the shapes behind the likelihood ("mix")


@dataclass
class Posterior:
    """Prior and posterior weights of a mixture's components given year-to-date actuals.

    ``scenario`` is the mixture with the posterior weights (what the conditioned run uses);
    ``conditions`` each component's conditioning (``YearToDate``) by component name.
    """

    names: list[str]
    prior: list[float]
    posterior: list[float]
    log_likelihood: list[float]
    ytd: float
    months: int
    scenario: Scenario
    conditions: dict[str, YearToDate]

    @property
    def evidence(self) -> str:
        return (
            f"weights updated by {self.months} month(s) of actuals "
            f"(year to date {self.ytd:,.0f}): likelihood of the year-to-date total under each "
            "component"
        )

    def annotate(self, result: SimulationResult) -> SimulationResult:
        """Record prior weights, likelihoods and the evidence in a mixture run's result."""
        info = result.mixture
        if info is None:
            return result
        for c in info.components:
            i = self.names.index(c.name)
            c.prior_weight = self.prior[i]
            c.log_likelihood = self.log_likelihood[i]
        info.evidence = self.evidence
        return result

    def document(self) -> dict[str, Any]:
        return {
            name: {"prior": round(p, 6), "posterior": round(q, 6), "log_likelihood": round(ll, 4)}
            for name, p, q, ll in zip(
                self.names, self.prior, self.posterior, self.log_likelihood, strict=True
            )
        }


def log_density(sample: np.ndarray, x: float) -> float:
    """log of a Gaussian kernel density estimate of ``sample`` at ``x`` (Silverman bandwidth)."""
    sample = np.asarray(sample, float)
    n = len(sample)
    sd = float(np.std(sample))
    iqr = float(np.subtract(*np.percentile(sample, [75, 25])))
    spread = min(sd, iqr / 1.349) if iqr > 0 else sd
    h = max(0.9 * spread * n ** (-0.2), 1e-3)
    z = (x - sample) / h
    log_k = -0.5 * z * z
    top = float(log_k.max())
    norm = math.log(n * h * math.sqrt(2 * math.pi))
    return top + math.log(float(np.exp(log_k - top).sum())) - norm


def ytd_log_sample(scenario: Scenario, ytd: YearToDate, *, seed: int, pilot: int) -> np.ndarray:
    """log year-to-date totals under ``scenario``: its first-year totals times the monthly
    model's share of the observed months."""
    totals = _kept_totals(simulate(scenario, paths=pilot, seed=seed))
    d = np.log(np.maximum(totals[:, 0].astype(float), 1.0))
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_LIKELIHOOD_STREAM,)))
    )
    x = ytd.shapes(pilot, rng)
    o = np.array(ytd.observed_months, dtype=int) - 1
    return d + _logsumexp(x[:, o]) - _logsumexp(x)


def update_weights(
    scenario: Scenario,
    actuals: Actuals | None,
    *,
    seed: int | None = None,
    monthly: Any = None,
    seasonal: Sequence[float] | None = None,
    pilot: int = PILOT,
) -> Posterior:
    """Posterior weights of mixture ``scenario``'s components given year-to-date ``actuals``.

    ``monthly``/``seasonal`` are as in ``nowcast.year_to_date``; ``seed`` (default: the
    scenario's) fixes the pilot runs. With no actuals the posterior is the prior.
    """
    mixture = scenario.mixture
    if mixture is None:
        raise UsageError(f"scenario {scenario.name} is not a mixture")
    observed = check_actuals(actuals)
    seed = scenario.spec.simulation.seed if seed is None else int(seed)
    conditions: dict[str, YearToDate] = {}
    loglik: list[float] = []
    for comp in mixture.components:
        ytd = year_to_date(
            observed,
            scenario=comp.scenario,
            monthly=monthly,
            seed=seed,
            seasonal=seasonal,
            pilot=pilot,
        )
        conditions[comp.name] = ytd
        if ytd.observed:
            sample = ytd_log_sample(comp.scenario, ytd, seed=seed, pilot=pilot)
            loglik.append(log_density(sample, math.log(ytd.ytd)))
        else:
            loglik.append(0.0)
    prior = mixture.weights
    top = max(loglik)
    raw = [w * math.exp(ll - top) for w, ll in zip(prior, loglik, strict=True)]
    total = sum(raw)
    posterior = [r / total for r in raw]
    first = next(iter(conditions.values()))
    return Posterior(
        names=mixture.names,
        prior=list(prior),
        posterior=posterior,
        log_likelihood=loglik,
        ytd=first.ytd,
        months=len(first.observed),
        scenario=mixture_of(scenario, [c.scenario for c in mixture.components], posterior),
        conditions=conditions,
    )


# --------------------------------------------------------------------------- the nowcast


@dataclass
class NowcastResult(TabularMixin):
    """What the nowcast found for one year.

    ``quantiles`` of the full-year total at ``QUANTILES``; ``prob_ge``/``se_ge``/``count_ge`` per
    target; ``needed`` the average monthly deliveries the remaining months need for each target
    (0 when the actuals already reach it; None when no month remains); ``month_quantiles``
    (remaining months x 7); ``prior_quantiles`` the annual model's own view of the year;
    ``months_weight`` the weight of the monthly view of the remaining total against the annual
    model's (0 with no actuals, near 1 late in the year); ``outside_weight`` the level prior's
    weight on the outside view once the actuals have spoken (its prior weight is
    ``options.conflict``; None when the scenario has no outside view).
    """

    year: int
    scenario: str
    scenario_sha256: str
    paths: int
    seed: int
    targets: list[int]
    observed: dict[int, float]
    remaining: tuple[int, ...]
    mean: float
    quantiles: np.ndarray
    count_ge: np.ndarray
    prior_quantiles: np.ndarray
    month_mean: np.ndarray
    month_quantiles: np.ndarray
    sigma_e: float
    tau: float
    prior_log_sd: float
    months_weight: float
    totals: np.ndarray = field(repr=False)
    mixture: list[dict[str, Any]] | None = None
    outside_weight: float | None = None
    outside_prior_weight: float | None = None  # before the actuals (``options.conflict``)
    # the annual run's replicate blocks when it used a Latin hypercube or Sobol design: the
    # nowcast keeps its paths in order, so the s.e. comes from the blocks' spread
    rep_sizes: np.ndarray | None = field(default=None, repr=False)

    @property
    def ytd(self) -> float:
        return float(sum(self.observed.values()))

    @property
    def prob_ge(self) -> np.ndarray:
        return self.count_ge / self.paths

    @property
    def se_ge(self) -> np.ndarray:
        """Monte Carlo s.e.: binomial, or from replicate blocks (``SimulationResult.se_method``)."""
        if self.rep_sizes is not None and len(self.rep_sizes) >= 2:
            edges = np.concatenate([[0], np.cumsum(self.rep_sizes)[:-1]])
            hits = self.totals[None, :] >= np.asarray(self.targets, float)[:, None]
            counts = np.add.reduceat(hits, edges, axis=1, dtype=np.int64)
            return replicate_se(counts.T, self.rep_sizes)
        return binomial_se(self.prob_ge, self.paths)

    @property
    def needed(self) -> list[float | None]:
        if not self.remaining:
            return [None for _ in self.targets]
        return [max(0.0, (t - self.ytd) / len(self.remaining)) for t in self.targets]

    @property
    def latest(self) -> tuple[int, float] | None:
        if not self.observed:
            return None
        month = max(self.observed)
        return month, self.observed[month]

    def columns(self) -> list[str]:
        return [
            "row",
            "label",
            "probability",
            "se",
            "needed_per_month",
            "mean",
            *(f"p{q}" for q in QUANTILES),
        ]

    def rows(self) -> list[dict[str, Any]]:
        """The CSV contract: a row per target, the year's total, each actual and remaining month;
        None (a blank cell) where a column does not apply to the row."""
        blank: dict[str, Any] = dict.fromkeys(self.columns())
        out: list[dict[str, Any]] = []
        for k, target in enumerate(self.targets):
            needed = self.needed[k]
            out.append(
                {
                    **blank,
                    "row": "target",
                    "label": target,
                    "probability": float(self.prob_ge[k]),
                    "se": float(self.se_ge[k]),
                    "needed_per_month": None if needed is None else round(needed),
                }
            )
        out.append(
            {
                **blank,
                "row": "total",
                "label": self.year,
                "mean": round(self.mean),
                **{
                    f"p{q}": round(float(v)) for q, v in zip(QUANTILES, self.quantiles, strict=True)
                },
            }
        )
        for month, units in sorted(self.observed.items()):
            out.append(
                {
                    **blank,
                    "row": "actual",
                    "label": f"{self.year}-{month:02d}",
                    "mean": round(units),
                    **{f"p{q}": round(units) for q in QUANTILES},
                }
            )
        for i, month in enumerate(self.remaining):
            out.append(
                {
                    **blank,
                    "row": "month",
                    "label": f"{self.year}-{month:02d}",
                    "mean": round(float(self.month_mean[i])),
                    **{
                        f"p{q}": round(float(v))
                        for q, v in zip(QUANTILES, self.month_quantiles[i], strict=True)
                    },
                }
            )
        return out

    def document(self) -> dict[str, Any]:
        """JSON-ready: metadata, targets, the total, months and the model's calibration."""

        def qdict(values: np.ndarray) -> dict[str, int]:
            return {f"p{q}": round(float(v)) for q, v in zip(QUANTILES, values, strict=True)}

        return {
            "metadata": {
                "year": self.year,
                "scenario": self.scenario,
                "scenario_sha256": self.scenario_sha256,
                "paths": self.paths,
                "seed": self.seed,
                "version": __version__,
            },
            "actuals": {f"{self.year}-{m:02d}": round(u) for m, u in sorted(self.observed.items())},
            "year_to_date": round(self.ytd),
            "targets": [
                {
                    "target": t,
                    "probability": float(self.prob_ge[k]),
                    "se": float(self.se_ge[k]),
                    "ci95": list(wilson(int(self.count_ge[k]), self.paths)),
                    "needed_per_month": None if needed is None else round(needed),
                }
                for k, (t, needed) in enumerate(zip(self.targets, self.needed, strict=True))
            ],
            "total": {"mean": round(self.mean), **qdict(self.quantiles)},
            "prior_total": qdict(self.prior_quantiles),
            "months": [
                {
                    "month": f"{self.year}-{m:02d}",
                    "mean": round(float(self.month_mean[i])),
                    **qdict(self.month_quantiles[i]),
                }
                for i, m in enumerate(self.remaining)
            ],
            "model": {
                "sigma_e": round(self.sigma_e, 4),
                "tau": round(self.tau, 4),
                "prior_log_sd": round(self.prior_log_sd, 4),
                "months_weight": round(self.months_weight, 4),
                "outside_weight": None
                if self.outside_weight is None
                else round(self.outside_weight, 4),
            },
            **self._mixture_document(),
        }

    def _mixture_document(self) -> dict[str, Any]:
        if self.mixture is None:
            return {}
        return {
            "mixture": {"components": self.mixture},
            "posterior_weights": {c["name"]: c["weight"] for c in self.mixture},
        }


def nowcast(
    actuals: Actuals | None = None,
    *,
    scenario: Any = None,
    year: int | None = None,
    targets: list[int] | None = None,
    paths: int | None = None,
    seed: int | None = None,
    monthly: MonthlyHistory | MonthlyFit | str | Path | None = None,
    prior_log_sd: float | None = None,
    seasonal: Sequence[float] | None = None,
    options: MonthlyOptions | None = None,
) -> NowcastResult:
    """Nowcast the full year from year-to-date ``actuals`` ({"2026-01": 32059, ...}).

    ``scenario`` (default: the bundled default scenario) is the annual prior; its
    history.base_year moves to the year before ``year`` if needed. ``year`` defaults to the
    actuals' year, else the scenario's first forecast year. ``paths``/``seed`` default to the
    scenario's. ``monthly``, ``prior_log_sd``, ``seasonal`` and ``options`` are as in
    ``year_to_date``.
    """

    observed = check_actuals(actuals)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    target_year = _resolve_year(observed, year, base.base_year + 1)
    sc = scenario_for_year(base, target_year)
    if targets:
        sc = sc.with_overrides(targets=sorted(set(int(t) for t in targets)))
    paths = sc.spec.simulation.paths if paths is None else int(paths)
    seed = sc.spec.simulation.seed if seed is None else int(seed)
    if sc.mixture is not None:
        if prior_log_sd is not None:
            raise UsageError(
                "prior_log_sd is one scenario's; each component of a mixture uses its own"
            )
        return _nowcast_mixture(
            sc, observed, target_year, paths=paths, seed=seed, monthly=monthly, seasonal=seasonal
        )
    ytd = year_to_date(
        observed,
        scenario=sc,
        monthly=monthly,
        seed=seed,
        prior_log_sd=prior_log_sd,
        seasonal=seasonal,
        options=options,
    )
    annual = simulate(sc, paths=paths, seed=seed)
    prior = _kept_totals(annual)[:, 0].astype(float)
    totals, months = _draw_year(ytd, prior, seed)
    return _from_draws(
        sc,
        target_year,
        ytd,
        seed=seed,
        totals=totals,
        months=months,
        prior=prior,
        prior_log_sd=ytd.prior_log_sd,
        months_weight=ytd.kappa if ytd.remaining_months else 1.0,
        rep_sizes=annual.rep_sizes,
        outside_weight=ytd.broad_weight if ytd.outside is not None else None,
    )


def _from_draws(
    sc: Scenario,
    year: int,
    ytd: YearToDate,
    *,
    seed: int,
    totals: np.ndarray,
    months: np.ndarray,
    prior: np.ndarray,
    prior_log_sd: float,
    months_weight: float,
    rep_sizes: np.ndarray | None = None,
    mixture: list[dict[str, Any]] | None = None,
    outside_weight: float | None = None,
) -> NowcastResult:
    """A nowcast's summary from its drawn totals and remaining months (one scenario's or a
    mixture's): quantiles, target counts and each remaining month's quantiles."""
    qs = np.asarray(QUANTILES) / 100.0
    tgt = np.asarray(sc.targets, float)
    rem = bool(ytd.remaining_months)
    return NowcastResult(
        year=year,
        scenario=sc.name,
        scenario_sha256=sc.sha256,
        paths=len(totals),
        seed=seed,
        targets=list(sc.targets),
        observed=dict(ytd.observed),
        remaining=ytd.remaining_months,
        mean=float(totals.mean()),
        quantiles=np.quantile(totals, qs),
        count_ge=(totals[None, :] >= tgt[:, None]).sum(axis=1),
        prior_quantiles=np.quantile(prior, qs),
        month_mean=months.mean(axis=0, dtype=np.float64) if rem else np.empty(0),
        month_quantiles=np.quantile(months, qs, axis=0).T.astype(float)
        if rem
        else np.empty((0, len(qs))),
        sigma_e=ytd.fit.sigma_e,
        tau=ytd.fit.tau,
        prior_log_sd=prior_log_sd,
        months_weight=months_weight,
        totals=totals,
        rep_sizes=rep_sizes,
        mixture=mixture,
        outside_weight=outside_weight,
        outside_prior_weight=None if outside_weight is None else ytd.options.conflict,
    )


def _draw_year(ytd: YearToDate, prior: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(conditioned totals, remaining months) of each path, chunk by chunk with the stream the
    engine hands its conditioning hook, so ``run --actuals`` agrees with the nowcast."""
    paths = len(prior)
    totals = np.empty(paths)
    rem = [m - 1 for m in ytd.remaining_months]
    months = np.empty((paths, len(rem)), np.float32)  # the remaining months only, as the engine
    start = 0
    for i, n in enumerate(chunk_sizes(paths)):
        rng = stream(seed, i, "actuals")
        totals[start : start + n], chunk_months = ytd.draw(prior[start : start + n], rng)
        months[start : start + n] = chunk_months[:, rem]
        start += n
    return totals, months


def _nowcast_mixture(
    sc: Scenario,
    observed: dict[int, float],
    target_year: int,
    *,
    paths: int,
    seed: int,
    monthly: Any,
    seasonal: Sequence[float] | None,
) -> NowcastResult:
    """The nowcast of a mixture prior: the weights updated by the actuals (``update_weights``),
    then path ``i`` is path ``i`` of the component it is drawn from (as ``engine.mixture``), each
    component conditioned on the actuals its own way."""
    mixture = sc.mixture
    if mixture is None:  # pragma: no cover - the caller checks
        raise UsageError(f"scenario {sc.name} is not a mixture")
    post = update_weights(sc, observed, seed=seed, monthly=monthly, seasonal=seasonal)
    index = component_index(post.posterior, paths, seed)
    prior_index = component_index(post.prior, paths, seed)
    first = post.conditions[mixture.names[0]]
    rem = [m - 1 for m in first.remaining_months]
    totals = np.empty(paths)
    months = np.empty((paths, len(rem)), np.float32)
    prior = np.empty(paths)
    tgt = np.asarray(sc.targets, float)
    parts: list[dict[str, Any]] = []
    kappa = log_sd = outside_w = 0.0
    has_outside = True
    for k, comp in enumerate(mixture.components):
        ytd = post.conditions[comp.name]
        prior_k = _kept_totals(simulate(comp.scenario, paths=paths, seed=seed))[:, 0].astype(float)
        totals_k, months_k = _draw_year(ytd, prior_k, seed)
        mask = index == k
        totals[mask], months[mask] = totals_k[mask], months_k[mask]
        prior[prior_index == k] = prior_k[prior_index == k]
        w = post.posterior[k]
        kappa += w * (ytd.kappa if ytd.remaining_months else 1.0)
        log_sd += w * ytd.prior_log_sd
        has_outside = has_outside and ytd.outside is not None
        outside_w += w * ytd.broad_weight
        probs = dict(zip(sc.targets, (totals_k[None, :] >= tgt[:, None]).mean(axis=1), strict=True))
        parts.append(
            {
                "name": comp.name,
                "file": comp.file,
                "prior_weight": round(post.prior[k], 6),
                "weight": round(w, 6),
                "log_likelihood": round(post.log_likelihood[k], 4),
                "paths": int(np.count_nonzero(mask)),
                **{f"prob_ge_{t}": round(float(p), 6) for t, p in probs.items()},
            }
        )
    return _from_draws(
        sc,
        target_year,
        first,
        seed=seed,
        totals=totals,
        months=months,
        prior=prior,
        prior_log_sd=log_sd,
        months_weight=kappa,
        mixture=parts,
        outside_weight=outside_w if has_outside else None,
    )
