"""Monthly deliveries: load a month,units CSV, check it, and estimate the seasonal profile.

The seasonal profile comes from a small Bayesian structural model of log monthly deliveries,

    log u_t = level_t + s_month(t) + e_t,   e_t ~ N(0, sigma_e^2)

where the level is a continuous trend whose monthly slope takes a random walk (slope changes
~ N(0, tau^2)), the twelve seasonal log-factors sum to zero (prior N(0, sigma_s^2)), and months
that were never published enter only through the published totals that contain them (e.g. H1
2024), as a constraint on their sum: a gap is neither filled in nor ignored. The noise levels
(sigma_e, tau, sigma_s) are not tuned by hand: each point of a small grid is weighted by its
marginal likelihood and the fit is a mixture over the grid, so their uncertainty is carried too.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from leapforecast.errors import HistoryError
from leapforecast.history import BUILTIN_PREFIX, _parse_number, builtin_file, csv_header, read_text_file

BUILTIN = {"leapmotor": "leapmotor_monthly.csv"}
DEFAULT_SOURCE = "builtin:leapmotor"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_PERIOD_RE = re.compile(r"^(\d{4})-([QqHh])([1-4])$")
_PERIOD_MONTHS = {
    ("Q", 1): (1, 2, 3),
    ("Q", 2): (4, 5, 6),
    ("Q", 3): (7, 8, 9),
    ("Q", 4): (10, 11, 12),
    ("H", 1): (1, 2, 3, 4, 5, 6),
    ("H", 2): (7, 8, 9, 10, 11, 12),
}


def month_index(year: int, month: int) -> int:
    """Months since year 0: consecutive months differ by one, across year ends too."""
    return year * 12 + month - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(text: str, *, where: str = "month") -> int:
    """``2026-01`` -> month index; a one-line ``HistoryError`` naming ``where`` otherwise."""
    match = _MONTH_RE.match(text.strip())
    if not match:
        raise HistoryError(
            f"{where}: {text.strip()!r} is not a month; expected YYYY-MM, e.g. 2026-01"
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise HistoryError(f"{where}: {text.strip()!r} has month {month}; expected 01 to 12")
    if not 1800 <= year <= 2200:
        raise HistoryError(f"{where}: {text.strip()!r} is not a plausible calendar year")
    return month_index(year, month)


@dataclass(frozen=True)
class Aggregate:
    """A published total over several months of one year (e.g. ``2024-H1``)."""

    label: str
    months: tuple[int, ...]  # month indexes
    units: float
    source: str = ""


# Published totals that cover months missing from the bundled CSV (shared/data/README.md).
BUILTIN_AGGREGATES = {
    "leapmotor": (
        Aggregate(
            "2024-H1",
            tuple(month_index(2024, m) for m in range(1, 7)),
            86_696,
            "published H1 2024 total (shared/data/README.md)",
        ),
        Aggregate(
            "2024-Q3",
            tuple(month_index(2024, m) for m in range(7, 10)),
            86_165,
            "published Q3 2024 total (shared/data/README.md)",
        ),
    )
}


@dataclass(frozen=True)
class MonthlyHistory:
    """Monthly deliveries. Months strictly increase; gaps are allowed; ``aggregates`` are
    published totals over months (some of them missing) that constrain the gaps."""

    months: tuple[int, ...]
    units: tuple[float, ...]
    source: str = DEFAULT_SOURCE
    notes: tuple[str, ...] = field(default=(), compare=False)
    aggregates: tuple[Aggregate, ...] = ()

    @property
    def labels(self) -> list[str]:
        return [month_label(m) for m in self.months]

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.months, self.units, strict=True))

    def upto(self, index: int) -> MonthlyHistory:
        """The history as known at the end of month ``index`` (aggregates that end later go)."""
        keep = [i for i, m in enumerate(self.months) if m <= index]
        return MonthlyHistory(
            tuple(self.months[i] for i in keep),
            tuple(self.units[i] for i in keep),
            self.source,
            tuple(self.notes[i] for i in keep) if self.notes else (),
            tuple(a for a in self.aggregates if max(a.months) <= index),
        )

    def year(self, year: int) -> dict[int, float]:
        """{calendar month 1..12: units} for the months of ``year`` that are known."""
        return {
            m % 12 + 1: u for m, u in zip(self.months, self.units, strict=True) if m // 12 == year
        }

    def complete_years(self) -> list[int]:
        return sorted({m // 12 for m in self.months if len(self.year(m // 12)) == 12})

    def yoy(self) -> list[float | None]:
        """Growth on the same month a year earlier (0.5 = +50%); None where that is unknown."""
        known = self.as_dict()
        return [
            None if m - 12 not in known else u / known[m - 12] - 1
            for m, u in zip(self.months, self.units, strict=True)
        ]


def monthly_rows(hist: MonthlyHistory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(month rows: month, units, yoy, share of a complete year, source; period rows)."""
    totals = {y: sum(hist.year(y).values()) for y in hist.complete_years()}
    rows = []
    notes = hist.notes or ("",) * len(hist.months)
    for m, u, g, note in zip(hist.months, hist.units, hist.yoy(), notes, strict=True):
        share = u / totals[m // 12] if m // 12 in totals else None
        rows.append(
            {
                "month": month_label(m),
                "units": round(u),
                "yoy": None if g is None else round(g, 6),
                "share": None if share is None else round(share, 6),
                "source": note,
            }
        )
    periods = [
        {"month": a.label, "units": round(a.units), "source": a.source} for a in hist.aggregates
    ]
    return rows, periods


def seasonal_rows(profile: SeasonalProfile) -> list[dict[str, Any]]:
    """One row per calendar month: factor with its 80% interval, share of a flat year."""
    return [
        {
            "month": f"{m + 1:02d}",
            "name": MONTH_NAMES[m],
            "factor": round(float(profile.factor[m]), 4),
            "factor_p10": round(float(profile.factor_lo[m]), 4),
            "factor_p90": round(float(profile.factor_hi[m]), 4),
            "share": round(float(profile.share[m]), 6),
        }
        for m in range(12)
    ]


def load_monthly(source: str | Path | None = None) -> MonthlyHistory:
    """Load ``builtin:leapmotor`` (the default) or a CSV with columns month,units.

    Rows may also give published totals over quarters or halves (``2024-Q3``, ``2024-H1``) that
    cover months missing from the file; they constrain the gaps in the seasonal fit.
    """
    text_source = DEFAULT_SOURCE if source is None else str(source)
    if text_source.startswith(BUILTIN_PREFIX):
        key = text_source[len(BUILTIN_PREFIX) :]
        text = builtin_file(text_source, BUILTIN, "monthly history").read_text(encoding="utf-8")
        hist = parse_monthly(text, source=text_source)
        return MonthlyHistory(
            hist.months, hist.units, hist.source, hist.notes, BUILTIN_AGGREGATES.get(key, ())
        )
    path = Path(source)
    return parse_monthly(read_text_file(path, HistoryError), source=str(path))


def parse_monthly(text: str, *, source: str = "<string>", periods: bool = True) -> MonthlyHistory:
    """Parse and check CSV text with a header containing ``month`` and ``units``.

    ``periods=False`` rejects quarter/half rows (year-to-date actuals must be months).
    """
    where = source
    if not text.strip():
        raise HistoryError(f"{where}: file is empty; expected a CSV with columns month,units")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise HistoryError(f"{where}: not a valid CSV ({exc})") from None
    annual = "year" in [h.strip().lower() for h in rows[0]]
    hints = {"month": "; this looks like an annual history (year,units): drop --monthly"}
    header = csv_header(rows[0], ("month", "units"), where, hints if annual else None)
    im, iu = header.index("month"), header.index("units")
    isrc = header.index("source") if "source" in header else None
    months: list[int] = []
    units: list[float] = []
    notes: list[str] = []
    aggs: list[tuple[int, Aggregate]] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        here = f"{where}: line {lineno}"
        if len(row) <= max(im, iu):
            raise HistoryError(f"{here}: expected values for month and units, got {row!r}")
        mtext, utext = row[im].strip(), row[iu].strip()
        value = _check_units(utext, here)
        note = row[isrc].strip() if isrc is not None and len(row) > isrc else ""
        period = _PERIOD_RE.match(mtext)
        if period:
            if not periods:
                raise HistoryError(
                    f"{here}: {mtext!r} is a period total; give single months (YYYY-MM) here"
                )
            year, kind, n = int(period.group(1)), period.group(2).upper(), int(period.group(3))
            if (kind, n) not in _PERIOD_MONTHS:
                raise HistoryError(
                    f"{here}: {mtext!r} is not a period; use YYYY-Q1..Q4 or YYYY-H1/H2"
                )
            label = f"{year}-{kind}{n}"
            if any(a.label == label for _, a in aggs):
                raise HistoryError(f"{here}: duplicate period {label}")
            idx = tuple(month_index(year, m) for m in _PERIOD_MONTHS[(kind, n)])
            aggs.append((lineno, Aggregate(label, idx, value, note)))
            continue
        index = parse_month(mtext, where=here + ": month")
        if index in months:
            raise HistoryError(f"{here}: duplicate month {month_label(index)}")
        if months and index < months[-1]:
            raise HistoryError(
                f"{here}: month {month_label(index)} comes after {month_label(months[-1])}; "
                "sort the rows by month"
            )
        months.append(index)
        units.append(value)
        notes.append(note)
    if not months:
        raise HistoryError(
            f"{where}: no month rows; expected at least one month,units row (e.g. 2026-01,32059)"
        )
    known = dict(zip(months, units, strict=True))
    for lineno, agg in aggs:
        try:
            reduce_aggregates(known, [agg])
        except HistoryError as exc:
            raise HistoryError(f"{where}: line {lineno}: {exc}") from None
    reduce_aggregates(known, [a for _, a in aggs], where=where)
    return MonthlyHistory(
        tuple(months), tuple(units), source, tuple(notes), tuple(a for _, a in aggs)
    )


def _check_units(utext: str, here: str) -> float:
    try:
        value = _parse_number(utext)
    except ValueError:
        raise HistoryError(
            f"{here}: units {utext!r} is not a number (write plain digits, e.g. 32059)"
        ) from None
    if not math.isfinite(value):
        raise HistoryError(f"{here}: units {utext!r} is not a finite number")
    if value < 0:
        raise HistoryError(f"{here}: units {utext} is negative")
    if value == 0:
        raise HistoryError(
            f"{here}: units is 0; log growth from zero is undefined (leave the month out)"
        )
    if value > 1e8:
        raise HistoryError(f"{here}: units {utext} is implausibly large for one month (over 1e8)")
    return value


def reduce_aggregates(
    known: dict[int, float], aggregates: list[Aggregate] | tuple[Aggregate, ...], *, where: str = ""
) -> list[tuple[tuple[int, ...], float]]:
    """Turn published totals into constraints on the sums of *missing* months.

    Known months are subtracted, and so is every smaller total nested inside a larger one, so no
    month is counted twice (H1 and Q1 may both be given). A total whose months are all known is a
    consistency check (0.5% tolerance). Returns [(missing month indexes, their total)].
    """
    prefix = f"{where}: " if where else ""
    tops: list[
        tuple[set[int], set[int], float, str]
    ] = []  # (months, missing, missing total, label)
    out: list[tuple[tuple[int, ...], float]] = []
    for agg in sorted(aggregates, key=lambda a: len(a.months)):
        months = set(agg.months)
        missing = {m for m in months if m not in known}
        missing_total = agg.units - sum(known[m] for m in months if m in known)
        rest, free = missing_total, set(missing)
        for inner in [t for t in tops if t[0] & months]:
            if not inner[0] <= months:
                raise HistoryError(
                    f"{prefix}periods {inner[3]} and {agg.label} overlap without nesting"
                )
            rest -= inner[2]
            free -= inner[1]
            tops.remove(inner)
        tops.append((months, missing, missing_total, agg.label))
        if not free:
            if abs(rest) > max(1.0, 0.005 * agg.units):
                raise HistoryError(
                    f"{prefix}{agg.label} = {agg.units:,.0f} but the months and periods it covers "
                    f"add up to {agg.units - rest:,.0f}"
                )
            continue
        if rest <= 0:
            raise HistoryError(
                f"{prefix}{agg.label} = {agg.units:,.0f} leaves nothing for its missing months "
                f"({', '.join(month_label(m) for m in sorted(free))})"
            )
        out.append((tuple(sorted(free)), rest))
    return out


# --------------------------------------------------------------------------- the seasonal fit

# Grid over the noise levels, weighted by marginal likelihood (flat prior on the log-spaced grid).
SIGMA_E_GRID = (0.02, 0.03, 0.05, 0.08, 0.12, 0.2)  # month-to-month irregular noise (log)
TAU_GRID = (0.005, 0.01, 0.02, 0.04, 0.08)  # sd of a monthly change in the trend's slope
ETA_GRID = (0.005, 0.02, 0.05, 0.1)  # sd of a monthly shift in the trend's level (it persists)
SIGMA_S_GRID = (0.1, 0.2, 0.4)  # prior sd of a seasonal log-factor
_LEVEL_VAR, _SLOPE_VAR = 100.0**2, 1.0  # effectively flat priors on the first level and slope
_MIN_WEIGHT = 1e-6
_PINNED = 1e-6  # prior sd of the seasonal coordinates around a profile set by hand


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
    mean: np.ndarray  # (13,)
    chol: np.ndarray  # (13, 13) lower Cholesky factor of the covariance


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
        z = rng.standard_normal((n, 13))
        means, chols, noises = self._stacked
        state = means[comp] + np.einsum("nij,nj->ni", chols[comp], z)
        noise = noises[comp]
        return {
            "level": state[:, 0],
            "slope": state[:, 1],
            "seasonal": state[:, 2:] @ _BASIS.T,
            "sigma_e": noise[:, 0],
            "eta": noise[:, 1],
            "tau": noise[:, 2],
        }

    def simulate(self, n: int, rng: np.random.Generator, horizon: int) -> np.ndarray:
        """(n, horizon) log deliveries of months end+1 ... end+horizon: the slope takes a random
        walk, the level integrates it plus its own shifts, seasonal factors and noise are added."""
        st = self.sample_state(n, rng)
        shocks = rng.standard_normal((n, horizon)) * st["tau"][:, None]
        shifts = rng.standard_normal((n, horizon)) * st["eta"][:, None]
        slope = st["slope"][:, None] + np.cumsum(shocks, axis=1)
        level = st["level"][:, None] + np.cumsum(slope + shifts, axis=1)
        cal = (self.end + 1 + np.arange(horizon)) % 12
        noise = rng.standard_normal((n, horizon)) * st["sigma_e"][:, None]
        return level + st["seasonal"][:, cal] + noise

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


def fit_monthly(
    history: MonthlyHistory, *, end: int | None = None, seasonal: Sequence[float] | None = None
) -> MonthlyFit:
    """Fit the structural model to the months up to ``end`` (default: the last month).

    Published totals over missing months enter as constraints on the sums of those months
    (linearised and iterated). Needs at least three known months. ``seasonal`` fixes the
    profile instead of estimating it: twelve positive factors or shares, January first (only
    their ratios matter); the trend and the noise are still fitted around it.
    """
    fixed = check_seasonal(seasonal) if seasonal is not None else None
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
    design = _design(first, n)
    obs_rows = design[np.array(hist.months) - first]
    obs_y = np.log(np.array(hist.units))
    agg_rows = [design[np.array(m) - first] for m, _ in sums]
    agg_y = np.log(np.array([v for _, v in sums]))
    offsets = [np.zeros(len(m)) for m, _ in sums]
    if fixed is not None:  # take the given profile out; the seasonal coordinates are pinned at 0
        obs_y = obs_y - fixed[np.array(hist.months) % 12]
        offsets = [fixed[np.array(m) % 12] for m, _ in sums]
    # state at ``end``: level, slope, seasonal coordinates
    pick = np.zeros((13, design.shape[1]))
    pick[0] = design[-1]
    pick[0, -11:] = 0.0
    pick[1, 1 : n + 1] = 1.0  # slope at end = b0 + all slope changes (ramps' slopes)
    pick[2:, -11:] = np.eye(11)
    fits = []
    for se in SIGMA_E_GRID:
        for eta in ETA_GRID:
            for tau in TAU_GRID:
                for ss in SIGMA_S_GRID if fixed is None else (_PINNED,):
                    prior = np.r_[
                        _LEVEL_VAR,
                        _SLOPE_VAR,
                        np.full(n - 1, tau**2),
                        np.full(n - 1, eta**2),
                        np.full(11, ss**2),
                    ]
                    mean, cov, loglik = _fit_one(
                        obs_rows, obs_y, agg_rows, agg_y, se, prior, pick, offsets
                    )
                    if fixed is not None:
                        mean[2:] += _BASIS.T @ fixed
                    fits.append((loglik, se, eta, tau, ss, mean, cov))
    best = max(f[0] for f in fits)
    weights = np.array([math.exp(f[0] - best) for f in fits])
    weights /= weights.sum()
    components = []
    for w, (_, se, eta, tau, ss, mean, cov) in zip(weights, fits, strict=True):
        if w < _MIN_WEIGHT:
            continue
        chol = np.linalg.cholesky(0.5 * (cov + cov.T) + 1e-12 * np.eye(13))
        components.append(Component(float(w), se, eta, tau, ss, mean, chol))
    total = sum(c.weight for c in components)
    components = [
        Component(c.weight / total, c.sigma_e, c.eta, c.tau, c.sigma_s, c.mean, c.chol)
        for c in components
    ]
    return MonthlyFit(end, first, len(hist.months), len(sums), tuple(components), history.source)


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


def _design(first: int, n: int) -> np.ndarray:
    """Rows t = 0..n-1: [1, t, (t - i) for slope changes i = 1..n-1, 1 for level shifts i <= t,
    seasonal basis]; so the trend is continuous, its slope a random walk, plus persistent shifts."""
    t = np.arange(n)[:, None]
    i = np.arange(1, n)[None, :]
    ramps = np.clip(t - i, 0, None).astype(float)
    steps = (t >= i).astype(float)
    cal = (first + np.arange(n)) % 12
    return np.column_stack([np.ones(n), np.arange(n, dtype=float), ramps, steps, _BASIS[cal]])


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
