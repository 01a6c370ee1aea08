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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from leapforecast._version import __version__
from leapforecast.analysis.seasonal import MonthlyFit, fit_monthly
from leapforecast.data._files import read_text_file
from leapforecast.data.monthly import (
    MAX_MONTH_UNITS,
    MonthlyHistory,
    load_monthly,
    month_index,
    month_label,
    parse_month,
    parse_monthly,
)
from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.kernel import chunk_sizes
from leapforecast.engine.results import QUANTILES, binomial_se, wilson
from leapforecast.engine.run import simulate
from leapforecast.engine.sampling import stream
from leapforecast.errors import HistoryError, LeapforecastError, UsageError
from leapforecast.model.scenario import Scenario, load_scenario
from leapforecast.units import parse_units

PILOT = 20_000  # paths behind the weights (fixed, so they never depend on the run's size)
_PILOT_STREAM = 0x6E6F7763  # spawn key of the pilot's shape stream

Actuals: TypeAlias = Mapping[str, float] | Mapping[int, float] | MonthlyHistory | None
"""Year-to-date actuals: {"2026-01": units} or {month index: units}, or a monthly history."""


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


def check_actuals(actuals: Actuals) -> dict[int, float]:
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
            raise UsageError(f"--year {year}: the actuals are for {actual_year}")
        return actual_year
    return default if year is None else int(year)


def scenario_for_year(scenario: Scenario | str | Path | None, year: int) -> Scenario:
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
) -> MonthlyFit:
    """The monthly model fitted to the months before ``year`` only (the year's own months are
    evidence for the update, not for the prior)."""
    if isinstance(monthly, MonthlyFit):
        if monthly.end != month_index(year, 1) - 1:
            raise LeapforecastError(
                f"the monthly fit ends {month_label(monthly.end)}; "
                f"the nowcast of {year} needs one ending {year - 1}-12"
            )
        return monthly
    hist = monthly if isinstance(monthly, MonthlyHistory) else load_monthly(monthly)
    before = hist.upto(month_index(year, 1) - 1)
    if len(before.months) < 3:
        raise HistoryError(
            f"monthly history {hist.source}: the nowcast of {year} needs at least 3 months before "
            f"{year} to learn seasonality and noise, found {len(before.months)}"
        )
    return fit_monthly(before, end=month_index(year, 1) - 1, seasonal=seasonal)


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
        return self.fit.simulate(n, rng, horizon)[:, -12:]

    def views(self, total: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The two views of the remaining months, from independent shape draws: the log of the
        annual model's remainder (its total times the shape's share of the months still to
        come), and the monthly model's log remaining months given the actuals alone."""
        x_annual = self.shapes(len(total), rng)
        x_month = self.shapes(len(total), rng)
        o = np.array(self.observed_months, dtype=int) - 1
        u = np.array(self.remaining_months, dtype=int) - 1
        log_ra = np.log(np.maximum(total, 1.0)) + _logsumexp(x_annual[:, u]) - _logsumexp(x_annual)
        obs = np.log([self.observed[m] for m in self.observed_months])
        if self.weights is None:
            raise LeapforecastError("YearToDate.views needs the weights year_to_date sets")
        v_u = x_month[:, u] + (obs[None, :] - x_month[:, o]) @ self.weights.T
        return log_ra, v_u

    def draw(self, total: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(conditioned full-year totals (n,), months (n, 12)) for prior totals ``total``."""
        total = np.asarray(total, float)
        if not self.observed:
            x = self.shapes(len(total), rng)
            return total.copy(), total[:, None] * np.exp(x - _logsumexp(x)[:, None])
        months = np.empty((len(total), 12))
        months[:, np.array(self.observed_months) - 1] = [
            self.observed[m] for m in self.observed_months
        ]
        if not self.remaining_months:
            return np.full(len(total), self.ytd), months
        if self.beta is None:
            raise LeapforecastError("YearToDate.draw needs the beta year_to_date sets")
        log_ra, v_u = self.views(total, rng)
        log_rm = _logsumexp(v_u)
        log_r = (1.0 - self.kappa) * log_ra + self.kappa * log_rm
        v_u = v_u + (log_r - log_rm)[:, None] * self.beta[None, :]
        rest = np.exp(log_r)
        months[:, np.array(self.remaining_months) - 1] = rest[:, None] * np.exp(
            v_u - _logsumexp(v_u)[:, None]
        )
        return self.ytd + rest, months

    def __call__(self, total: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.draw(total, rng)[0]


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


def annual_log_sd(scenario: Scenario, *, seed: int) -> float:
    """sd of the log of the first forecast year's total under ``scenario`` (a ``PILOT`` run)."""

    totals = simulate(scenario, paths=PILOT, seed=seed).totals
    if totals is None:
        raise LeapforecastError("the pilot run kept no per-path totals")
    pilot = totals[:, 0].astype(float)
    return float(np.std(np.log(np.maximum(pilot, 1.0))))


def read_actuals(path: str | Path | None = None, months: Iterable[str] = ()) -> dict[str, float]:
    """Year-to-date actuals from a month,units CSV and/or ``2026-01=32059`` strings, checked.

    A month given both ways is an error rather than a silent overwrite.
    """

    given: dict[str, float] = {}
    if path is not None:
        text = read_text_file(Path(path), HistoryError)
        hist = parse_monthly(text, source=str(path), periods=False)
        given.update({month_label(m): u for m, u in zip(hist.months, hist.units, strict=True)})
    for label, units in parse_month_values(months).items():
        if label in given:
            raise UsageError(f"--month {label}: that month is also in --actuals {path}")
        given[label] = units
    check_actuals(given)
    return given


def scenario_seasonal(
    scenario: Scenario | None, seasonal: Sequence[float] | None
) -> Sequence[float] | None:
    """An explicit profile wins; otherwise the scenario's ``[monthly] seasonal``, if it has one."""
    if seasonal is not None or scenario is None:
        return seasonal
    monthly = getattr(getattr(scenario, "spec", None), "monthly", None)
    return None if monthly is None else monthly.seasonal


def year_to_date(
    actuals: Actuals,
    *,
    scenario: Scenario | str | Path | None = None,
    year: int | None = None,
    monthly: MonthlyHistory | MonthlyFit | str | Path | None = None,
    prior_log_sd: float | None = None,
    seed: int | None = None,
    seasonal: Sequence[float] | None = None,
    pilot: int = PILOT,
) -> YearToDate:
    """Build the conditioning for ``engine.simulate(scenario, condition=...)``.

    ``actuals``: {"2026-01": 32059, ...} (or a ``MonthlyHistory``) for months of the scenario's
    first forecast year. ``monthly``: the history that calibrates seasonality and noise (default:
    bundled; only its months before the year are used). ``prior_log_sd``: sd of the log of the
    year's total under the annual model; by default estimated from a pilot run of ``scenario``
    (``PILOT`` paths). ``seed`` fixes the pilot (default: the scenario's), so the weights, and
    hence every result, are reproducible. ``seasonal``: twelve factors or shares (January first)
    that fix the seasonal profile instead of estimating it. ``pilot``: paths behind the weights
    (the backtest, which builds thousands of these, uses fewer).
    """
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
        if sc is None:  # pragma: no cover - loaded above whenever prior_log_sd is None
            raise UsageError("year_to_date: give prior_log_sd or a scenario")
        prior_log_sd = annual_log_sd(sc, seed=seed)
    if not math.isfinite(prior_log_sd) or prior_log_sd < 0:
        raise UsageError(f"prior_log_sd must be a non-negative number, got {prior_log_sd}")
    fit = fit_before_year(monthly, target_year, scenario_seasonal(sc, seasonal))
    ytd = YearToDate(target_year, {m % 12 + 1: u for m, u in observed.items()}, fit, prior_log_sd)
    if ytd.observed and ytd.remaining_months:
        rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_PILOT_STREAM,)))
        )
        o = np.array(ytd.observed_months) - 1
        u = np.array(ytd.remaining_months) - 1
        ytd.weights = kriging_weights(np.cov(ytd.shapes(pilot, rng), rowvar=False), o, u)
        log_ra, v_u = ytd.views(np.ones(pilot), rng)
        log_rm = _logsumexp(v_u)
        var_annual = prior_log_sd**2 + float(np.var(log_ra))
        var_month = float(np.var(log_rm))
        ytd.kappa = var_annual / (var_annual + var_month)
        centred = log_rm - log_rm.mean()
        ytd.beta = (v_u - v_u.mean(axis=0)).T @ centred / (centred @ centred)
    return ytd


# --------------------------------------------------------------------------- the nowcast


@dataclass
class NowcastResult(TabularMixin):
    """What the nowcast found for one year.

    ``quantiles`` of the full-year total at ``QUANTILES``; ``prob_ge``/``se_ge``/``count_ge`` per
    target; ``needed`` the average monthly deliveries the remaining months need for each target
    (0 when the actuals already reach it; None when no month remains); ``month_quantiles``
    (remaining months x 7); ``prior_quantiles`` the annual model's own view of the year;
    ``months_weight`` the weight of the monthly view of the remaining total against the annual
    model's (0 with no actuals, near 1 late in the year).
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

    @property
    def ytd(self) -> float:
        return float(sum(self.observed.values()))

    @property
    def prob_ge(self) -> np.ndarray:
        return self.count_ge / self.paths

    @property
    def se_ge(self) -> np.ndarray:
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
                    "needed_per_month": None if (need := self.needed[k]) is None else round(need),
                }
                for k, t in enumerate(self.targets)
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
            },
        }


def nowcast(
    actuals: Actuals = None,
    *,
    scenario: Scenario | str | Path | None = None,
    year: int | None = None,
    targets: list[int] | None = None,
    paths: int | None = None,
    seed: int | None = None,
    monthly: MonthlyHistory | MonthlyFit | str | Path | None = None,
    prior_log_sd: float | None = None,
    seasonal: Sequence[float] | None = None,
) -> NowcastResult:
    """Nowcast the full year from year-to-date ``actuals`` ({"2026-01": 32059, ...}).

    ``scenario`` (default: the bundled base) is the annual prior; its history.base_year moves to
    the year before ``year`` if needed. ``year`` defaults to the actuals' year, else the
    scenario's first forecast year. ``paths``/``seed`` default to the scenario's. ``monthly``,
    ``prior_log_sd`` and ``seasonal`` are as in ``year_to_date``.
    """

    observed = check_actuals(actuals)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    target_year = _resolve_year(observed, year, base.base_year + 1)
    sc = scenario_for_year(base, target_year)
    if targets:
        sc = sc.with_overrides(targets=sorted(set(int(t) for t in targets)))
    paths = sc.spec.simulation.paths if paths is None else int(paths)
    seed = sc.spec.simulation.seed if seed is None else int(seed)
    ytd = year_to_date(
        observed,
        scenario=sc,
        monthly=monthly,
        seed=seed,
        prior_log_sd=prior_log_sd,
        seasonal=seasonal,
    )
    prior_totals = simulate(sc, paths=paths, seed=seed).totals
    if prior_totals is None:
        raise LeapforecastError("the annual prior run kept no per-path totals")
    prior = prior_totals[:, 0].astype(float)
    totals = np.empty(paths)
    rem = [m - 1 for m in ytd.remaining_months]
    months = np.empty((paths, len(rem)), np.float32)  # the remaining months only, as the engine
    start = 0
    for i, n in enumerate(chunk_sizes(paths)):
        # the same stream the engine hands the hook for chunk i, so run --actuals agrees
        rng = stream(seed, i, "actuals")
        totals[start : start + n], chunk_months = ytd.draw(prior[start : start + n], rng)
        months[start : start + n] = chunk_months[:, rem]
        start += n
    qs = np.asarray(QUANTILES) / 100.0
    tgt = np.asarray(sc.targets, float)
    return NowcastResult(
        year=target_year,
        scenario=sc.name,
        scenario_sha256=sc.sha256,
        paths=paths,
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
        prior_log_sd=ytd.prior_log_sd,
        months_weight=ytd.kappa if ytd.remaining_months else 1.0,
        totals=totals,
    )
