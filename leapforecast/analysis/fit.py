"""Estimate growth from a sales history, with the uncertainty that few data points leave.

Three views of one history:

* **log growth** (``fit_log_growth``): annual log growth as independent normal draws, mean and
  sd with exact small-sample intervals (Student t for the mean, chi-square for the sd);
* **logistic** (``fit_logistic``): sales approach a ceiling K:
  ``ln u = ln K - ln(1 + e^{-r(t-t0)})``;
* **Bass diffusion** (``fit_bass``): annual sales are ``m [F(t) - F(t-1)]`` with the Bass
  cumulative adoption curve F(p, q).

Curves are fitted by least squares on log units (errors in proportion to the level) with
``scipy.optimize.least_squares``; parameter intervals come from the Jacobian covariance with a
Student t quantile. A market size is often not identified by a handful of years of fast growth:
the fit then says so (``identified=False`` and a warning) instead of returning a number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from leapforecast.data.history import History
from leapforecast.data.tabular import TabularMixin
from leapforecast.errors import HistoryError
from leapforecast.model.distributions import Pert

FEW_INTERVALS = 10  # below this many growth intervals, results carry a "few points" warning
CEILING_FACTOR = 1000.0  # search bound for a ceiling / market size: this many times the data
KEEP_STARTS = 3  # curve fits polish this many of the best grid starting points
WIDE_RATIO = 10.0  # an interval whose high/low exceeds this does not pin the parameter down


@dataclass(frozen=True)
class Estimate:
    """A parameter estimate with its interval at ``level`` (NaN bounds when unavailable)."""

    name: str
    value: float
    low: float
    high: float
    level: float
    note: str = ""


@dataclass(frozen=True)
class LogGrowthFit:
    """Mean and sd of annual log growth, estimated from a history.

    With gaps between years, an interval of d years counts as the sum of d annual draws: the
    mean is ln(last/first)/span and the sd is the weighted estimate, so the intervals remain
    exact under the model (independent normal annual log growth).
    """

    source: str
    first_year: int
    last_year: int
    n_intervals: int
    span: int
    level: float
    mean: Estimate  # log growth per year
    sd: Estimate  # sd of annual log growth
    rate: Estimate  # expm1(mean): the median annual growth, 0.5 = +50%
    warnings: tuple[str, ...] = ()

    @property
    def few_points(self) -> bool:
        return self.n_intervals < FEW_INTERVALS


@dataclass(frozen=True)
class CurveFit:
    """A least-squares curve fit on log units, with Jacobian-based parameter intervals.

    ``identified`` is False when the data cannot pin the curve's size parameter down (the
    estimate sits at the search bound, the covariance is singular, or its interval spans more
    than a factor ``WIDE_RATIO``); the warnings say which.
    """

    model: str
    source: str
    params: tuple[Estimate, ...]
    residual_sd: float  # of log units
    dof: int
    identified: bool
    fitted: tuple[float, ...]  # fitted units for each history year
    warnings: tuple[str, ...] = ()
    extra: dict[str, float] = field(default_factory=dict)

    def param(self, name: str) -> Estimate:
        return next(p for p in self.params if p.name == name)


@dataclass(frozen=True)
class FitReport(TabularMixin):
    """Everything ``leapforecast fit`` shows: the three fits and a TOML block to paste."""

    history: History
    log_growth: LogGrowthFit
    logistic: CurveFit | None  # None when the history has fewer than three years
    bass: CurveFit | None
    toml: str
    notes: tuple[str, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        curves = [c for c in (self.logistic, self.bass) if c is not None]
        return self.log_growth.warnings + self.notes + tuple(w for c in curves for w in c.warnings)

    def columns(self) -> list[str]:
        return list(FIT_COLUMNS)

    def rows(self) -> list[dict[str, object]]:
        """One row per estimated parameter; None where a value is not finite or identified."""
        return _fit_rows(self)

    def document(self) -> dict[str, object]:
        """The rows, each curve's fitted values, the warnings and the TOML block."""
        return _fit_document(self)


# --------------------------------------------------------------------------- log growth


def _check_level(level: float) -> None:
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise HistoryError(f"level must be between 0 and 1 (e.g. 0.9), got {level!r}")


def fit_log_growth(history: History, *, level: float = 0.90) -> LogGrowthFit:
    """Mean and sd of annual log growth with a t interval (mean) and chi-square interval (sd).

    Under independent normal log growth these intervals are exact for any number of points, but
    they say nothing about the model being wrong (a trend that changes); with few points the
    report warns that the numbers are fragile.
    """
    # the kernels scipy.stats.t.ppf and chi2.ppf call, without importing scipy.stats (0.3 s)
    from scipy.special import gammaincinv, stdtrit

    _check_level(level)
    if len(history.years) < 2:
        raise HistoryError(f"history {history.source} needs at least two years to fit growth")
    years = np.asarray(history.years, float)
    logs = np.log(np.asarray(history.units, float))
    d = np.diff(years)
    delta = np.diff(logs)
    n = len(d)
    span = float(d.sum())
    mu = float(delta.sum() / span)
    alpha = 1 - level
    warnings: list[str] = []
    label = f"history {history.source} ({history.years[0]}-{history.years[-1]})"
    if n >= 2:
        s2 = float(np.sum((delta - mu * d) ** 2 / d) / (n - 1))
        s = math.sqrt(s2)
        se = s / math.sqrt(span)
        t = float(stdtrit(n - 1, 1 - alpha / 2))
        mean = Estimate("mean_log_growth", mu, mu - t * se, mu + t * se, level, f"t, {n - 1} dof")
        lo_q, hi_q = 2 * gammaincinv((n - 1) / 2, np.array([1 - alpha / 2, alpha / 2]))
        sd = Estimate(
            "sd_log_growth",
            s,
            s * math.sqrt((n - 1) / lo_q),
            s * math.sqrt((n - 1) / hi_q),
            level,
            f"chi-square, {n - 1} dof",
        )
    else:
        nan = float("nan")
        mean = Estimate(
            "mean_log_growth", mu, nan, nan, level, "one interval: no spread to measure"
        )
        sd = Estimate("sd_log_growth", nan, nan, nan, level, "needs at least two intervals")
        warnings.append(
            f"{label}: only one growth interval; neither the spread nor an interval "
            "for the mean can be estimated"
        )
    if 2 <= n < FEW_INTERVALS:
        warnings.append(
            f"{label}: only {n} growth intervals; the {level:.0%} intervals are wide and assume "
            "independent normal log growth with a constant trend (they ignore a trend that changes)"
        )
    rate = Estimate(
        "rate",
        math.expm1(mean.value),
        math.expm1(mean.low),
        math.expm1(mean.high),
        level,
        "expm1 of the mean log growth: median annual growth",
    )
    return LogGrowthFit(
        history.source,
        history.years[0],
        history.years[-1],
        n,
        int(span),
        level,
        mean,
        sd,
        rate,
        tuple(warnings),
    )


# --------------------------------------------------------------------------- curve fits


def _exp(v: float) -> float:
    """exp that returns inf instead of overflowing (an unbounded interval end)."""
    return math.exp(v) if v < 700 else math.inf


def _logistic_log(theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    log_k, r, t0 = theta
    return log_k - np.logaddexp(0.0, -r * (t - t0))


def _bass_cdf(tau: np.ndarray, p: float, q: float) -> np.ndarray:
    e = np.exp(-(p + q) * np.maximum(tau, 0.0))
    return (1 - e) / (1 + (q / p) * e)


def _bass_log(theta: np.ndarray, tau: np.ndarray) -> np.ndarray:
    log_m, log_p, log_q = theta
    p, q = math.exp(log_p), math.exp(log_q)
    inc = _bass_cdf(tau, p, q) - _bass_cdf(tau - 1, p, q)
    return log_m + np.log(np.maximum(inc, 1e-300))


def _least_squares(
    fun: Callable[[np.ndarray], np.ndarray],
    y: np.ndarray,
    starts: list[np.ndarray],
    lower: Sequence[float],
    upper: Sequence[float],
) -> tuple[np.ndarray, np.ndarray, float]:
    """Best of several starts; returns (theta, jacobian, rss)."""
    from scipy.optimize import least_squares

    best = None
    lo, hi = np.asarray(lower) + 1e-9, np.asarray(upper) - 1e-9
    starts = [np.clip(x0, lo, hi) for x0 in starts]
    with np.errstate(all="ignore"):
        costs = [float(np.sum((fun(x0) - y) ** 2)) for x0 in starts]
    # polish the most promising starting points only (the grid is cheap, a fit is not)
    order = np.argsort(np.nan_to_num(costs, nan=np.inf))
    for x0 in (starts[i] for i in order[:KEEP_STARTS]):
        try:
            res = least_squares(
                lambda th: fun(th) - y,
                x0,
                bounds=(lower, upper),
                method="trf",
                x_scale="jac",
                max_nfev=2000,
            )
        except (ValueError, FloatingPointError):
            continue
        if np.all(np.isfinite(res.fun)) and (best is None or res.cost < best.cost):
            best = res
    if best is None:
        raise HistoryError("the curve fit failed to converge from every starting point")
    return best.x, best.jac, float(2 * best.cost)


def _covariance(jac: np.ndarray, rss: float, dof: int) -> np.ndarray | None:
    if dof <= 0:
        return None
    jtj = jac.T @ jac
    if not np.all(np.isfinite(jtj)) or np.linalg.cond(jtj) > 1e12:
        return None
    return np.linalg.inv(jtj) * (rss / dof)


def _check_curve_input(history: History, what: str) -> tuple[np.ndarray, np.ndarray]:
    if len(history.years) < 3:
        raise HistoryError(
            f"history {history.source} has {len(history.years)} years; "
            f"a {what} fit needs at least 3"
        )
    return np.asarray(history.years, float), np.log(np.asarray(history.units, float))


def _interval_estimates(
    names: Sequence[str],
    theta: np.ndarray,
    cov: np.ndarray | None,
    dof: int,
    level: float,
    transforms: Sequence[Callable[[float], float]],
    notes: Sequence[str],
) -> list[Estimate]:
    from scipy.special import stdtrit  # scipy.stats.t.ppf's own kernel

    out = []
    t = float(stdtrit(dof, 1 - (1 - level) / 2)) if dof > 0 else float("nan")
    for i, name in enumerate(names):
        f = transforms[i]
        if cov is None or not cov[i, i] >= 0:
            lo = hi = float("nan")
        else:
            se = math.sqrt(cov[i, i])
            lo, hi = f(theta[i] - t * se), f(theta[i] + t * se)
        out.append(Estimate(name, float(f(theta[i])), float(lo), float(hi), level, notes[i]))
    return out


def _size_verdict(
    est: Estimate, at_bound: bool, cov: np.ndarray | None, dof: int, n: int, what: str, label: str
) -> list[str]:
    """Why a size parameter (ceiling, market size) is not identified; empty if it is."""
    if dof <= 0:
        return [f"{label}: {n} points cannot identify 3 {what} parameters; no interval"]
    if at_bound:
        return [
            f"{label}: the data show no slowdown; the {est.name} runs to the search bound "
            f"({CEILING_FACTOR:g}x the data), so it is not identified by this history"
        ]
    if cov is None:
        return [
            f"{label}: the {what} parameters are not separately identified (singular "
            "covariance); no interval"
        ]
    if not (math.isfinite(est.high) and math.isfinite(est.low)) or est.high > WIDE_RATIO * est.low:
        return [
            f"{label}: the {est.name} is poorly identified: its {est.level:.0%} interval "
            f"runs from {est.low:,.0f} to {est.high:,.0f}"
        ]
    return []


def fit_logistic(history: History, *, level: float = 0.90) -> CurveFit:
    """Logistic curve with ceiling K, rate r and midpoint t0, fitted on log units."""
    _check_level(level)
    t, y = _check_curve_input(history, "logistic")
    label = f"logistic fit to {history.source}"
    top = float(y.max())
    bound = top + math.log(CEILING_FACTOR)
    lower = [top - math.log(2.0), 1e-3, t[0] - 100]
    upper = [bound, 5.0, t[-1] + 100]
    starts = []
    for mult in (1.2, 2.0, 5.0, 30.0, 300.0):
        log_k = top + math.log(mult)
        slope = max(float(np.polyfit(t, y, 1)[0]), 0.05)
        # midpoint where the last point sits on the curve with the average slope
        t0 = t[-1] + math.log(mult - 1) / (slope * mult / (mult - 1))
        starts.append(np.array([log_k, slope * mult / (mult - 1), t0]))
    theta, jac, rss = _least_squares(lambda th: _logistic_log(th, t), y, starts, lower, upper)
    n, dof = len(t), len(t) - 3
    cov = _covariance(jac, rss, dof)
    params = _interval_estimates(
        ["ceiling", "r", "t0"],
        theta,
        cov,
        dof,
        level,
        [_exp, lambda v: v, lambda v: v],
        [
            "units a year",
            "intrinsic log growth per year",
            "year of the inflection (half the ceiling)",
        ],
    )
    at_bound = theta[0] > bound - 0.01
    warnings = _size_verdict(params[0], at_bound, cov, dof, n, "logistic", label)
    fitted = np.exp(_logistic_log(theta, t))
    return CurveFit(
        "logistic",
        history.source,
        tuple(params),
        math.sqrt(rss / dof) if dof > 0 else float("nan"),
        dof,
        not warnings,
        tuple(float(v) for v in fitted),
        tuple(warnings),
    )


def fit_bass(history: History, *, level: float = 0.90, launch: int | None = None) -> CurveFit:
    """Bass diffusion: annual sales ``m [F(t-launch) - F(t-launch-1)]``, fitted on log units.

    ``launch`` is the year before the first year of sales (default: the year before the first
    history year); ``m`` is the cumulative market potential, ``p`` innovation, ``q`` imitation.
    """
    _check_level(level)
    t, y = _check_curve_input(history, "Bass")
    launch = int(t[0]) - 1 if launch is None else int(launch)
    if launch >= t[0]:
        raise HistoryError(
            f"launch year {launch} must be before the first history year {int(t[0])}"
        )
    tau = t - launch
    label = f"Bass fit to {history.source}"
    cum = float(np.log(np.exp(y).sum()))
    bound = cum + math.log(CEILING_FACTOR)
    lower = [cum, math.log(1e-6), math.log(1e-3)]
    upper = [bound, math.log(1.0), math.log(3.0)]
    starts = [
        np.array([cum + math.log(m), math.log(p), math.log(q)])
        for m in (1.5, 5.0, 50.0)
        for p in (0.003, 0.03)
        for q in (0.3, 0.8)
    ]
    theta, jac, rss = _least_squares(lambda th: _bass_log(th, tau), y, starts, lower, upper)
    n, dof = len(t), len(t) - 3
    cov = _covariance(jac, rss, dof)
    params = _interval_estimates(
        ["market_size", "p", "q"],
        theta,
        cov,
        dof,
        level,
        [_exp, _exp, _exp],
        [
            "cumulative units over the product's life (m)",
            "innovation coefficient",
            "imitation coefficient",
        ],
    )
    at_bound = theta[0] > bound - 0.01
    warnings = _size_verdict(params[0], at_bound, cov, dof, n, "Bass", label)
    p, q = math.exp(theta[1]), math.exp(theta[2])
    peak = launch + math.log(q / p) / (p + q) if q > p else float(launch)
    fitted = np.exp(_bass_log(theta, tau))
    return CurveFit(
        "bass",
        history.source,
        tuple(params),
        math.sqrt(rss / dof) if dof > 0 else float("nan"),
        dof,
        not warnings,
        tuple(float(v) for v in fitted),
        tuple(warnings),
        {"peak_year": peak, "launch": float(launch)},
    )


# --------------------------------------------------------------------------- TOML for a scenario


def _pert_matching(mode: float, q05: float, q95: float) -> tuple[float, float]:
    """PERT low/high (with the given mode) whose 5th and 95th percentiles are q05 and q95."""
    from scipy.optimize import least_squares

    def resid(x: np.ndarray) -> np.ndarray:
        low, high = mode - math.exp(x[0]), mode + math.exp(x[1])
        d = Pert(dist="pert", low=low, mode=mode, high=high)
        return np.array([d.quantile(0.05) - q05, d.quantile(0.95) - q95])

    x0 = np.log([max(mode - q05, 1e-6) * 1.6, max(q95 - mode, 1e-6) * 1.6])
    res = least_squares(resid, x0)
    return mode - math.exp(res.x[0]), mode + math.exp(res.x[1])


def _num(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 10 else f"{round(v):_}"


TOML_LEVEL = 0.90  # the interval a distribution's p5-p95 spans


def growth_toml(lg: LogGrowthFit, logistic: CurveFit | None = None) -> str:
    """A ``[growth]`` block (and ``[saturation]`` when a ceiling is identified) for a scenario.

    Distributions are matched by their 5th-95th percentiles, so the fits must be at 90%
    (``TOML_LEVEL``); a fit at another level is refused rather than mislabelled."""
    levels = [lg.level] + [p.level for p in (logistic.params if logistic else ())]
    if any(abs(v - TOML_LEVEL) > 1e-12 for v in levels):
        raise ValueError(f"growth_toml needs fits at level {TOML_LEVEL} (p5-p95), got {levels}")
    lines = [
        f"# Fitted by `leapforecast fit` from {lg.source} ({lg.first_year}-{lg.last_year}, "
        f"{lg.n_intervals} growth intervals).",
        f"# Mean log growth {lg.mean.value:.3f} a year (median growth {lg.rate.value:+.1%}).",
    ]
    import textwrap

    for w in lg.warnings:
        lines += textwrap.wrap(
            "Warning: " + w.split(": ", 1)[-1],
            width=96,
            initial_indent="# ",
            subsequent_indent="#   ",
        )
    lines.append("[growth]")
    if math.isfinite(lg.mean.low):
        low, high = _pert_matching(lg.rate.value, lg.rate.low, lg.rate.high)
        low = max(low, -0.95)
        lines += [
            f"# rate: a PERT whose 5th-95th percentiles are the 90% t interval for the "
            f"trend, {lg.rate.low:+.1%} to {lg.rate.high:+.1%}.",
            f'rate = {{ dist = "pert", low = {_num(low)}, mode = {_num(lg.rate.value)}, '
            f"high = {_num(high)} }}",
        ]
    else:
        lines += [
            "# rate: the single observed growth; its uncertainty cannot be estimated.",
            f"rate = {_num(lg.rate.value)}",
        ]
    if math.isfinite(lg.sd.low):
        lines += [
            f"# volatility: sd of annual log growth {lg.sd.value:.3f}; a lognormal whose 5th-95th "
            "percentiles are its 90% chi-square interval.",
            f'volatility = {{ dist = "lognormal", p5 = {_num(lg.sd.low)}, '
            f"p95 = {_num(lg.sd.high)} }}",
        ]
    else:
        lines += [
            "# volatility: cannot be estimated from one interval (assumption: 0.10).",
            "volatility = 0.10",
        ]
    if logistic is not None and logistic.identified:
        k = logistic.param("ceiling")
        r = logistic.param("r")
        lines += [
            "",
            f"# Logistic fit: ceiling {k.value:,.0f} ({k.level:.0%} interval {k.low:,.0f} to "
            f"{k.high:,.0f}); intrinsic growth r = {r.value:.3f} "
            f"(expm1: {math.expm1(r.value):+.1%}).",
            "# With a ceiling, growth.rate above should be the intrinsic rate, "
            "not the observed one.",
            "[saturation]",
            f'ceiling = {{ dist = "lognormal", p5 = {round(k.low):_}, p95 = {round(k.high):_} }}',
        ]
    elif logistic is not None:
        lines.append("# [saturation] left out: this history does not identify a market ceiling.")
    return "\n".join(lines) + "\n"


def fit_history(history: History, *, level: float = 0.90) -> FitReport:
    """All fits for one history plus the TOML block; curve fits need at least three years."""
    lg = fit_log_growth(history, level=level)
    # The TOML's distributions are written by their 5th-95th percentiles, a 90% interval, so
    # they are fitted at 90% whatever ``level`` the table shows: an 80% interval written as
    # p5-p95 would understate the uncertainty.
    lg90 = lg if level == TOML_LEVEL else fit_log_growth(history, level=TOML_LEVEL)
    if len(history.years) < 3:
        note = (
            f"history {history.source} has only {len(history.years)} years; curve fits "
            "(logistic, Bass) need at least 3"
        )
        return FitReport(history, lg, None, None, growth_toml(lg90, None), (note,))
    logistic = fit_logistic(history, level=level)
    logistic90 = logistic if level == TOML_LEVEL else fit_logistic(history, level=TOML_LEVEL)
    bass = fit_bass(history, level=level)
    return FitReport(history, lg, logistic, bass, growth_toml(lg90, logistic90))


# --------------------------------------------------------------------------- rows and tables

SIZE_PARAMS = (
    "ceiling",
    "market_size",
)  # blank when not identified: a value at a bound means nothing
FIT_COLUMNS = ["model", "parameter", "estimate", "low", "high", "level", "identified", "note"]


def _plain(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _fit_rows(report: FitReport) -> list[dict[str, object]]:
    """One plain row per estimated parameter (columns ``FIT_COLUMNS``); NaN/inf become None."""
    lg = report.log_growth
    rows: list[dict[str, object]] = []
    for est in (lg.mean, lg.sd, lg.rate):
        rows.append(
            {
                "model": "log_growth",
                "parameter": est.name,
                "estimate": _plain(est.value),
                "low": _plain(est.low),
                "high": _plain(est.high),
                "level": est.level,
                "identified": int(math.isfinite(est.low)),
                "note": est.note,
            }
        )
    for curve in (report.logistic, report.bass):
        if curve is None:
            continue
        for est in curve.params:
            size = est.name in SIZE_PARAMS and not curve.identified
            rows.append(
                {
                    "model": curve.model,
                    "parameter": est.name,
                    "estimate": None if size else _plain(est.value),
                    "low": _plain(est.low),
                    "high": _plain(est.high),
                    "level": est.level,
                    "identified": int(curve.identified),
                    "note": est.note,
                }
            )
    return rows


def _fit_document(report: FitReport) -> dict[str, object]:
    """JSON-ready: the rows, each curve's fitted values, the warnings and the TOML block."""

    def clean(v: float) -> float | None:
        return v if math.isfinite(v) else None

    curves = {}
    for curve in (report.logistic, report.bass):
        if curve is None:
            continue
        curves[curve.model] = {
            "identified": curve.identified,
            "residual_sd_log": clean(curve.residual_sd),
            "dof": curve.dof,
            "params": {
                p.name: {
                    "estimate": None
                    if p.name in SIZE_PARAMS and not curve.identified
                    else clean(p.value),
                    "low": clean(p.low),
                    "high": clean(p.high),
                }
                for p in curve.params
            },
            "fitted": {
                str(y): round(v) for y, v in zip(report.history.years, curve.fitted, strict=True)
            },
            **{k: clean(v) for k, v in curve.extra.items()},
        }
    lg = report.log_growth
    return {
        "history": report.history.source,
        "years": [lg.first_year, lg.last_year],
        "n_intervals": lg.n_intervals,
        "level": lg.level,
        "few_points": lg.few_points,
        "rows": _fit_rows(report),
        "curves": curves,
        "warnings": list(report.warnings),
        "toml": report.toml,
    }
