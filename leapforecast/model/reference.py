"""The outside view as a model: pooled growth that slows with scale, with parameter uncertainty.

Across the makers of the reference class, the log growth of annual sales from one year to the
next is modelled as

    ln(L_t / L_{t-1}) = a + b * ln(L_{t-1} / L0) + e_t,    e_t ~ N(0, sigma^2),

pooled over makers and years (``L0`` only centres the regressor, so that ``a`` reads as the growth
of a maker selling ``L0`` cars a year; ``b < 0`` means growth slows as a maker gets bigger).

The coefficients and ``sigma`` are uncertain: with a handful of makers and a few dozen maker-years,
that uncertainty is as large as the year-to-year noise. They are fitted by conjugate Bayesian
linear regression with a Normal-Inverse-Gamma prior,

    beta | sigma^2 ~ N(m0, sigma^2 V0),    sigma^2 ~ InvGamma(a0, b0),

which gives a Normal-Inverse-Gamma posterior and a Student-t predictive for the next year's growth.
Two priors are offered: ``"weak"`` (weakly informative, see :data:`WEAK_PRIOR`) and
``"noninformative"`` (the standard ``p(beta, sigma^2) ∝ 1/sigma^2``, whose posterior mean is the
ordinary least-squares fit and whose ``sigma`` is the usual residual standard error).

Optional down-weighting of old years (``recent_weight``, a half-life in years) enters the conjugate
update as a *power likelihood*: an observation of age ``k`` years contributes its likelihood raised
to ``w = 0.5 ** (k / half_life)``. That is weighted least squares in the coefficients, and the
inverse-gamma shape grows by ``sum(w) / 2`` rather than ``n / 2``, so down-weighted data count as
fewer observations (wider intervals), not as more precise ones.

Everything here is pure: series in, results out, so the backtest can fit at any origin from data
up to that origin only (``growth_observations(..., until_year=origin)``). It lives in the model
layer because a scenario's ``[growth] model = "reference"`` is fitted when the scenario is loaded
(``model.checks``); ``analysis.reference`` re-exports it with the CSV reader
(:func:`leapforecast.analysis.reference.load_annual_series`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:  # pragma: no cover
    from leapforecast.data.history import History

__all__ = [
    "DEFAULT_L0",
    "DEFAULT_MAX_LOG_GROWTH",
    "DEFAULT_MIN_UNITS",
    "WEAK_PRIOR",
    "GrowthData",
    "NIGPrior",
    "OWN_HISTORY",
    "ReferenceFit",
    "fit_for_scenario",
    "fit_reference",
    "growth_observations",
    "scenario_pool",
]

#: Starting level below which a maker-year is left out of the pool. Launch years (a few thousand
#: to ~15,000 cars) show growth driven by the ramp-up of a first model and factory rather than by
#: scale; the log-linear slowdown does not describe them, and a single one (XPeng 2019->2020,
#: x2.1 from 12,728) would pull the slope. 20,000 a year is about where every maker in the
#: bundled data had a product on sale for a full year; it drops only XPeng 2019->2020.
DEFAULT_MIN_UNITS = 20_000.0

#: Centring level for the regressor: ``a`` is the expected log growth of a maker selling this many.
DEFAULT_L0 = 100_000.0

#: Bound on |log growth| in one simulated year (x20 or /20). The largest in the bundled data is
#: ln(3.18) = 1.16 (BYD 2021->2022); the bound only guards against overflow on paths whose drawn
#: slope ``b`` is positive (growth accelerating with scale), and a warning says when it binds.
DEFAULT_MAX_LOG_GROWTH = math.log(20.0)

FloatArray = NDArray[np.float64]
RngLike = np.random.Generator | int | None


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthData:
    """One-year growth observations pooled over makers.

    ``year`` is the *end* year of each growth, ``log_level`` the natural log of units sold in the
    start year and ``growth`` the log growth ``ln(units[year] / units[year - 1])``.
    """

    maker: tuple[str, ...]
    year: NDArray[np.int64]
    log_level: FloatArray
    growth: FloatArray

    def __post_init__(self) -> None:
        n = len(self.maker)
        if not (len(self.year) == len(self.log_level) == len(self.growth) == n):
            raise ValueError("data: maker, year, log_level and growth must have the same length")

    def __len__(self) -> int:
        return len(self.maker)

    @property
    def makers(self) -> tuple[str, ...]:
        """Makers present, in order of first appearance."""
        return tuple(dict.fromkeys(self.maker))

    @property
    def last_year(self) -> int:
        if len(self) == 0:
            raise ValueError("data: no growth observations")
        return int(self.year.max())

    def for_maker(self, maker: str) -> GrowthData:
        keep = np.array([m == maker for m in self.maker], dtype=bool)
        return GrowthData(
            maker=tuple(m for m, k in zip(self.maker, keep, strict=True) if k),
            year=self.year[keep],
            log_level=self.log_level[keep],
            growth=self.growth[keep],
        )


def _check_series(
    series: Mapping[str, Sequence[tuple[int, float]]],
) -> dict[str, list[tuple[int, float]]]:
    if not isinstance(series, Mapping):
        raise ValueError("series: expected a mapping maker -> [(year, units), ...]")
    out: dict[str, list[tuple[int, float]]] = {}
    for maker, rows in series.items():
        seen: set[int] = set()
        clean: list[tuple[int, float]] = []
        for row in rows:
            try:
                year_raw, units_raw = row
            except (TypeError, ValueError):
                raise ValueError(
                    f"series: {maker!r} rows must be (year, units) pairs, got {row!r}"
                ) from None
            year = int(year_raw)
            if year != year_raw:
                raise ValueError(f"series: {maker!r} year {year_raw!r} is not an integer")
            units = float(units_raw)
            if not math.isfinite(units) or units <= 0:
                raise ValueError(
                    f"series: {maker!r} {year} units must be positive and finite, got {units_raw!r}"
                )
            if year in seen:
                raise ValueError(f"series: {maker!r} has year {year} twice")
            seen.add(year)
            clean.append((year, units))
        out[str(maker)] = sorted(clean)
    return out


def growth_observations(
    series: Mapping[str, Sequence[tuple[int, float]]],
    *,
    min_units: float = DEFAULT_MIN_UNITS,
    until_year: int | None = None,
    makers: Iterable[str] | None = None,
) -> GrowthData:
    """Pairs of consecutive years, per maker, as growth observations.

    Parameters
    ----------
    series
        ``{maker: [(year, units), ...]}``; units must be positive. Years need not be sorted;
        gaps are allowed (no growth is formed across a gap).
    min_units
        Keep a growth only if the start year sold at least this many (see
        :data:`DEFAULT_MIN_UNITS` for why launch years are left out).
    until_year
        Keep only growths whose end year is ``<= until_year``: all that was known at the end of
        that year, for rolling-origin backtests.
    makers
        Keep only these makers (default: all in ``series``). Unknown names raise.

    Returns an empty :class:`GrowthData` if nothing qualifies; :func:`fit_reference` rejects that.
    """
    clean = _check_series(series)
    if not math.isfinite(float(min_units)) or min_units < 0:
        raise ValueError(f"min_units: must be a finite number >= 0, got {min_units!r}")
    if makers is not None:
        wanted = [str(m) for m in ([makers] if isinstance(makers, str) else makers)]
        unknown = [m for m in wanted if m not in clean]
        if unknown:
            raise ValueError(f"makers: not in series: {', '.join(unknown)}")
        clean = {m: clean[m] for m in wanted}
    mk: list[str] = []
    yr: list[int] = []
    lv: list[float] = []
    gr: list[float] = []
    for maker, rows in clean.items():
        for (y0, u0), (y1, u1) in zip(rows, rows[1:], strict=False):
            if y1 != y0 + 1 or u0 < min_units:
                continue
            if until_year is not None and y1 > until_year:
                continue
            mk.append(maker)
            yr.append(y1)
            lv.append(math.log(u0))
            gr.append(math.log(u1 / u0))
    return GrowthData(
        maker=tuple(mk),
        year=np.asarray(yr, dtype=np.int64),
        log_level=np.asarray(lv, dtype=float),
        growth=np.asarray(gr, dtype=float),
    )


# --------------------------------------------------------------------------------------------
# prior and fit
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NIGPrior:
    """Normal-Inverse-Gamma prior: ``beta | s2 ~ N(mean, s2 * cov_scale)``, ``s2 ~ IG(shape,
    scale)``.

    ``beta = (a, b)``. The shape and scale act like ``2 * shape`` pseudo-observations with mean
    squared residual ``scale / shape``.
    """

    mean: tuple[float, float] = (0.0, 0.0)
    cov_scale: tuple[tuple[float, float], tuple[float, float]] = ((25.0, 0.0), (0.0, 25.0))
    shape: float = 1.0
    scale: float = 0.1

    def __post_init__(self) -> None:
        m = np.asarray(self.mean, dtype=float)
        v = np.asarray(self.cov_scale, dtype=float)
        if m.shape != (2,) or not np.all(np.isfinite(m)):
            raise ValueError("prior.mean: expected two finite numbers (a, b)")
        if v.shape != (2, 2) or not np.all(np.isfinite(v)) or not np.allclose(v, v.T):
            raise ValueError("prior.cov_scale: expected a finite symmetric 2x2 matrix")
        if np.any(np.linalg.eigvalsh(v) <= 0):
            raise ValueError("prior.cov_scale: must be positive definite")
        if not (self.shape > 0 and math.isfinite(self.shape)):
            raise ValueError(f"prior.shape: must be > 0, got {self.shape!r}")
        if not (self.scale > 0 and math.isfinite(self.scale)):
            raise ValueError(f"prior.scale: must be > 0, got {self.scale!r}")


#: Weakly informative: conditional on sigma ~ 0.3, a and b each have prior sd ~1.5 around 0
#: (growth of x4.5 or /4.5 a year at one sd; no prior view on the sign of the slope), and sigma^2
#: gets two pseudo-observations of mean square 0.1 (sigma ~ 0.3), a heavy-tailed IG(1, 0.1).
WEAK_PRIOR = NIGPrior()

PriorLike = NIGPrior | Literal["weak", "noninformative"]


@dataclass(frozen=True)
class ReferenceFit:
    """Posterior of the pooled growth model (Normal-Inverse-Gamma).

    ``beta | s2 ~ N(mean, s2 * cov_scale)`` and ``s2 ~ InvGamma(ig_shape, ig_scale)``; the
    predictive for one year's log growth is Student-t with ``2 * ig_shape`` degrees of freedom.
    Levels are in units a year; ``L0`` centres the regressor.
    """

    mean: FloatArray
    cov_scale: FloatArray
    ig_shape: float
    ig_scale: float
    L0: float
    n_obs: int
    n_eff: float
    prior: str
    half_life: float | None = None
    last_year: int | None = None
    makers: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if np.shape(self.mean) != (2,) or np.shape(self.cov_scale) != (2, 2):
            raise ValueError("mean/cov_scale: expected shapes (2,) and (2, 2)")
        if not (self.ig_shape > 0 and self.ig_scale > 0):
            raise ValueError("ig_shape/ig_scale: must be > 0")
        if not (self.L0 > 0 and math.isfinite(self.L0)):
            raise ValueError(f"L0: must be positive and finite, got {self.L0!r}")

    # -- point summaries -----------------------------------------------------------------------

    @property
    def a(self) -> float:
        """Posterior mean of the intercept: expected log growth at level ``L0``."""
        return float(self.mean[0])

    @property
    def b(self) -> float:
        """Posterior mean of the slope on ``ln(level / L0)``."""
        return float(self.mean[1])

    @property
    def sigma(self) -> float:
        """``sqrt(ig_scale / ig_shape)``: the scale of the t predictive before parameter
        uncertainty; with the noninformative prior, the OLS residual standard error."""
        return math.sqrt(self.ig_scale / self.ig_shape)

    @property
    def dof(self) -> float:
        return 2.0 * self.ig_shape

    def summary(self) -> dict[str, float | int | str | None]:
        """Point estimates and their uncertainty as a flat dict (JSON-friendly)."""
        s2 = self.ig_scale / self.ig_shape
        se = np.sqrt(s2 * np.diag(self.cov_scale))
        corr = float(self.cov_scale[0, 1] / math.sqrt(self.cov_scale[0, 0] * self.cov_scale[1, 1]))
        eq = self.L0 * math.exp(-self.a / self.b) if self.b < 0 else None
        sigma_mean = math.sqrt(self.ig_scale / (self.ig_shape - 1.0)) if self.ig_shape > 1 else None
        return {
            "a": self.a,
            "b": self.b,
            "sigma": self.sigma,
            "a_se": float(se[0]),
            "b_se": float(se[1]),
            "corr_ab": corr,
            "sigma_rms_posterior": sigma_mean,
            "dof": self.dof,
            "ig_shape": self.ig_shape,
            "ig_scale": self.ig_scale,
            "L0": self.L0,
            "n_obs": self.n_obs,
            "n_eff": self.n_eff,
            "prior": self.prior,
            "half_life": self.half_life,
            "last_year": self.last_year,
            "equilibrium_level": eq,
        }

    # -- one-year predictive --------------------------------------------------------------------

    def predictive(self, log_level: ArrayLike) -> tuple[float, FloatArray, FloatArray]:
        """Student-t predictive of next year's log growth from ``log_level = ln(units)``.

        Returns ``(df, loc, scale)`` (``loc`` and ``scale`` shaped like ``log_level``), so that
        ``scipy.stats.t(df, loc, scale)`` is the predictive.
        """
        x = np.asarray(log_level, dtype=float)
        if not np.all(np.isfinite(x)):
            raise ValueError("log_level: must be finite (the natural log of a positive level)")
        u = x - math.log(self.L0)
        loc = self.mean[0] + self.mean[1] * u
        v = self.cov_scale
        quad = v[0, 0] + 2.0 * v[0, 1] * u + v[1, 1] * u * u
        scale = np.sqrt(self.ig_scale / self.ig_shape * (1.0 + quad))
        return self.dof, np.asarray(loc, dtype=float), np.asarray(scale, dtype=float)

    def predictive_interval(
        self, level: ArrayLike, *, coverage: float = 0.9
    ) -> tuple[FloatArray, FloatArray]:
        """Central ``coverage`` interval of next year's *log growth* from ``level`` (units)."""
        if not 0 < coverage < 1:
            raise ValueError(f"coverage: must be in (0, 1), got {coverage!r}")
        lv = _positive_array(level, "level")
        from scipy.special import stdtrit  # scipy.stats.t.ppf's kernel, without scipy.stats

        df, loc, scale = self.predictive(np.log(lv))
        half = stdtrit(df, 0.5 + coverage / 2.0) * scale
        return loc - half, loc + half

    # -- multi-year simulation ------------------------------------------------------------------

    def draw_parameters(self, draws: int, *, rng: RngLike = None) -> tuple[FloatArray, FloatArray]:
        """``draws`` joint posterior draws: ``(beta (draws, 2), sigma (draws,))``."""
        draws = _check_draws(draws)
        gen = np.random.default_rng(rng)
        s2 = self.ig_scale / gen.gamma(self.ig_shape, 1.0, size=draws)
        chol = np.linalg.cholesky(self.cov_scale)
        z = gen.standard_normal((draws, 2))
        beta = self.mean[None, :] + np.sqrt(s2)[:, None] * (z @ chol.T)
        return beta, np.sqrt(s2)

    def simulate(
        self,
        start_level: float,
        years: int,
        *,
        draws: int = 10_000,
        rng: RngLike = None,
        max_log_growth: float = DEFAULT_MAX_LOG_GROWTH,
    ) -> FloatArray:
        """Levels (units a year) for ``years`` years after ``start_level``: ``(years, draws)``.

        Each path draws ``(a, b, sigma)`` once from the posterior, then evolves
        ``ln L_{t+1} = ln L_t + a + b * ln(L_t / L0) + sigma * z_t`` with independent standard
        normal ``z_t``. Row 0 is the first year after the start. Log growth in a year is bounded
        to ``±max_log_growth`` so that paths with an (improbable) positive slope cannot overflow;
        a ``RuntimeWarning`` reports how many path-years hit the bound.
        """
        start = _positive_scalar(start_level, "start_level")
        years = _check_positive_int(years, "years")
        if not (max_log_growth > 0 and math.isfinite(max_log_growth)):
            raise ValueError(f"max_log_growth: must be positive and finite, got {max_log_growth!r}")
        gen = np.random.default_rng(rng)
        beta, sigma = self.draw_parameters(draws, rng=gen)
        ln_l0 = math.log(self.L0)
        log_level = np.full(beta.shape[0], math.log(start))
        out = np.empty((years, beta.shape[0]))
        capped = 0
        for t in range(years):
            g = (
                beta[:, 0]
                + beta[:, 1] * (log_level - ln_l0)
                + sigma * gen.standard_normal(beta.shape[0])
            )
            over = np.abs(g) > max_log_growth
            if over.any():
                capped += int(over.sum())
                g = np.clip(g, -max_log_growth, max_log_growth)
            log_level = log_level + g
            out[t] = np.exp(log_level)
        if capped:
            warnings.warn(
                f"simulate: log growth bounded to ±{max_log_growth:.3g} in {capped} of "
                f"{out.size} path-years",
                RuntimeWarning,
                stacklevel=2,
            )
        return out

    def quantiles(
        self,
        start_level: float,
        years: int,
        q: Sequence[float] = (0.05, 0.5, 0.95),
        *,
        draws: int = 10_000,
        rng: RngLike = None,
    ) -> FloatArray:
        """Quantiles of the simulated level, shape ``(years, len(q))``; row 0 = first year ahead."""
        qs = np.asarray(q, dtype=float)
        if qs.ndim != 1 or qs.size == 0 or np.any((qs < 0) | (qs > 1)):
            raise ValueError(f"q: expected a non-empty sequence of probabilities, got {q!r}")
        levels = self.simulate(start_level, years, draws=draws, rng=rng)
        return np.asarray(np.quantile(levels, qs, axis=1).T, dtype=float)

    def prob_ge(
        self,
        start_level: float,
        years: int,
        targets: ArrayLike,
        *,
        draws: int = 10_000,
        rng: RngLike = None,
    ) -> FloatArray:
        """P(level >= target) per year ahead and target, shape ``(years, len(targets))``."""
        tg = np.atleast_1d(np.asarray(targets, dtype=float))
        if tg.ndim != 1 or not np.all(np.isfinite(tg)):
            raise ValueError("targets: expected finite numbers")
        levels = self.simulate(start_level, years, draws=draws, rng=rng)
        return np.asarray((levels[:, :, None] >= tg[None, None, :]).mean(axis=1), dtype=float)


def _resolve_prior(prior: PriorLike) -> NIGPrior | None:
    if isinstance(prior, NIGPrior):
        return prior
    if prior == "weak":
        return WEAK_PRIOR
    if prior == "noninformative":
        return None
    raise ValueError(f"prior: expected 'weak', 'noninformative' or an NIGPrior, got {prior!r}")


def fit_reference(
    data: GrowthData,
    *,
    L0: float = DEFAULT_L0,
    recent_weight: float | None = None,
    reference_year: int | None = None,
    prior: PriorLike = "weak",
) -> ReferenceFit:
    """Conjugate Bayesian fit of ``growth = a + b * ln(level / L0) + e`` to pooled observations.

    Parameters
    ----------
    data
        From :func:`growth_observations`.
    L0
        Centring level (units a year).
    recent_weight
        ``None`` weighs all years alike; a number is a half-life in years: an observation ending
        ``k`` years before ``reference_year`` gets weight ``0.5 ** (k / recent_weight)`` as a
        power on its likelihood (weighted least squares; fewer effective observations).
    reference_year
        The year of age 0 for ``recent_weight`` (default: the last year in ``data``).
    prior
        ``"weak"`` (:data:`WEAK_PRIOR`), ``"noninformative"`` (flat on beta and ln sigma; the
        posterior mean is the OLS/WLS fit) or an :class:`NIGPrior`.
    """
    if not isinstance(data, GrowthData):
        raise ValueError("data: expected GrowthData (see growth_observations)")
    if len(data) == 0:
        raise ValueError("data: no growth observations to fit")
    if not (np.all(np.isfinite(data.log_level)) and np.all(np.isfinite(data.growth))):
        raise ValueError("data: log_level and growth must be finite")
    L0 = _positive_scalar(L0, "L0")
    nig = _resolve_prior(prior)
    if reference_year is None:
        reference_year = data.last_year
    if recent_weight is None:
        w = np.ones(len(data))
    else:
        if not (recent_weight > 0 and math.isfinite(recent_weight)):
            raise ValueError(
                f"recent_weight: half-life in years must be positive, got {recent_weight!r}"
            )
        age = reference_year - data.year.astype(float)
        if np.any(age < 0):
            raise ValueError("reference_year: data contain later years")
        w = 0.5 ** (age / recent_weight)

    x = np.column_stack([np.ones(len(data)), data.log_level - math.log(L0)])
    y = data.growth
    xtwx = x.T @ (w[:, None] * x)
    xtwy = x.T @ (w * y)
    n_eff = float(w.sum())

    if nig is None:
        if n_eff <= 2.0 or np.linalg.matrix_rank(xtwx) < 2:
            raise ValueError(
                "data: the noninformative prior needs more than 2 (effective) observations at "
                "two or more distinct levels"
            )
        cov = np.linalg.inv(xtwx)
        mean = cov @ xtwy
        resid = y - x @ mean
        shape = (n_eff - 2.0) / 2.0
        scale = 0.5 * float(np.sum(w * resid * resid))
        if scale <= 0:
            raise ValueError("data: residuals are all zero; sigma cannot be estimated")
        prior_name = "noninformative"
    else:
        m0 = np.asarray(nig.mean, dtype=float)
        prec0 = np.linalg.inv(np.asarray(nig.cov_scale, dtype=float))
        prec = prec0 + xtwx
        cov = np.linalg.inv(prec)
        mean = cov @ (prec0 @ m0 + xtwy)
        resid = y - x @ mean
        d = mean - m0
        shape = nig.shape + n_eff / 2.0
        scale = nig.scale + 0.5 * (float(np.sum(w * resid * resid)) + float(d @ prec0 @ d))
        prior_name = "weak" if nig == WEAK_PRIOR else "custom"
    cov = 0.5 * (cov + cov.T)
    return ReferenceFit(
        mean=np.asarray(mean, dtype=float),
        cov_scale=np.asarray(cov, dtype=float),
        ig_shape=float(shape),
        ig_scale=float(scale),
        L0=L0,
        n_obs=len(data),
        n_eff=n_eff,
        prior=prior_name,
        half_life=None if recent_weight is None else float(recent_weight),
        last_year=data.last_year,
        makers=data.makers,
    )


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _positive_scalar(value: float, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name}: must be positive and finite, got {value!r}")
    return v


def _positive_array(value: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(value, dtype=float)
    if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        raise ValueError(f"{name}: must be positive and finite")
    return arr


def _check_positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name}: must be an integer >= 1, got {value!r}")
    return int(value)


def _check_draws(draws: int) -> int:
    return _check_positive_int(draws, "draws")


# --------------------------------------------------------------------------------------------
# the pool a scenario fits on
# --------------------------------------------------------------------------------------------

#: Name under which a scenario's own history joins the pool (when no peer has the same record).
OWN_HISTORY = "own history"


def scenario_pool(
    history: History,
    base_year: int,
    *,
    makers: Sequence[str] | None = None,
    own_history: bool = True,
    extra: Sequence[History] = (),
) -> dict[str, list[tuple[int, float]]]:
    """``{maker: [(year, units), ...]}`` for a scenario's reference fit: the bundled peers (all,
    or ``makers``) and the scenario's own history, each cut at ``base_year``, so a scenario (or
    a backtest origin) sees only what was known then.

    ``extra`` histories join too (a backtest that rebases a scenario onto another maker keeps
    the scenario's own maker in the pool). A history is left out when the pool already holds
    the same record (a backtest rebases a scenario onto each peer in turn, and a maker must
    not count twice).
    """
    from leapforecast.data.peers import load_peers

    peers = load_peers()
    if makers is not None:
        unknown = [m for m in makers if m not in peers]
        if unknown:
            raise ValueError(
                f"makers: no maker {unknown[0]!r} in the peers data (makers: {', '.join(peers)})"
            )
        peers = {m: peers[m] for m in makers}
    pool = {
        name: [(y, u) for y, u in zip(h.years, h.units, strict=True) if y <= base_year]
        for name, h in peers.items()
    }
    others = ([(OWN_HISTORY, history)] if own_history else []) + [
        (f"{OWN_HISTORY} {i + 2}", h) for i, h in enumerate(extra)
    ]
    for name, hist in others:
        own = [(y, u) for y, u in zip(hist.years, hist.units, strict=True) if y <= base_year]
        if not any(set(own) <= set(rows) for rows in pool.values()):
            pool[name] = own
    return {k: v for k, v in pool.items() if v}


def fit_for_scenario(
    history: History,
    base_year: int,
    *,
    makers: Sequence[str] | None = None,
    own_history: bool = True,
    min_units: float = DEFAULT_MIN_UNITS,
    recent_weight: float | None = None,
    L0: float = DEFAULT_L0,
    prior: PriorLike = "weak",
    extra: Sequence[History] = (),
) -> ReferenceFit:
    """The posterior a scenario with ``[growth] model = "reference"`` draws from (and the
    outside view printed beside every run): fitted on :func:`scenario_pool` with growth
    ending by ``base_year`` only. Raises ``ValueError`` (naming the option) when nothing fits."""
    pool = scenario_pool(history, base_year, makers=makers, own_history=own_history, extra=extra)
    data = growth_observations(pool, min_units=min_units, until_year=base_year)
    if len(data) == 0:
        raise ValueError(
            f"no growth observations up to {base_year} with a start year of at least "
            f"{min_units:,.0f} units; lower min_units or add makers"
        )
    return fit_reference(
        data, L0=L0, recent_weight=recent_weight, reference_year=base_year, prior=prior
    )
