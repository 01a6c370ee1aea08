"""leapforecast.analysis.seasonal."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from leapforecast.data.monthly import MonthlyHistory, month_label, reduce_aggregates
from leapforecast.errors import HistoryError

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
