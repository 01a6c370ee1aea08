"""Scores for probabilistic forecasts: the numerical core of the calibration report.

The calibration report runs a rolling-origin backtest over many car makers and asks two
questions of every forecasting method:

* **Is it calibrated?** Do its 90% intervals contain the outcome about 90% of the time, and are
  its probability integral transforms (PIT) uniform? A method whose intervals are too narrow
  promises more certainty than it has; that is the failure this report exists to catch.
* **Is it sharp and accurate?** Proper scores (CRPS, interval score, pinball loss) reward a
  forecast for concentrating probability near the outcome, and skill compares a method with a
  naive baseline on the same cases (see :mod:`leapforecast.analysis.baselines`).

Everything here is pure numpy and vectorised over cases: a batch of forecasts is an array whose
last axis holds the samples (``(cases, n)``) and the outcomes are an array of shape ``(cases,)``.
Functions that score forecasts return float arrays (0-d for a single forecast; ``float(x)``
turns one into a Python float). scipy is imported only inside the few functions that need a
special function, so that importing this module (and ``import leapforecast``) stays cheap.

References: Gneiting & Raftery (2007), *Strictly proper scoring rules, prediction and
estimation*, JASA 102; Jordan, Krüger & Lerch (2019), *Evaluating probabilistic forecasts with
scoringRules*, J. Stat. Softw. 90; Czado, Gneiting & Held (2009), *Predictive model assessment
for count data*, Biometrics 65.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Verdict = Literal["too narrow", "too wide", "consistent"]

__all__ = [
    "CoverageSummary",
    "Verdict",
    "bootstrap_coverage_interval",
    "calibration_verdict",
    "central_interval",
    "conformal_factor",
    "covered",
    "crps_normal",
    "crps_samples",
    "crps_student_t",
    "deviation_score",
    "interval_score",
    "pinball_loss",
    "pit",
    "pit_histogram",
    "pit_uniformity_pvalue",
    "skill",
    "wilson_interval",
]


# --------------------------------------------------------------------------- helpers


def _as_float(x: npt.ArrayLike, name: str) -> FloatArray:
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {x!r}") from exc


def _samples_and_obs(samples: npt.ArrayLike, obs: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Samples with the draws on the last axis, and obs broadcast to one value per forecast."""
    x = _as_float(samples, "samples")
    y = _as_float(obs, "obs")
    if x.ndim == 0:
        raise ValueError("samples must have at least one axis (the draws), got a scalar")
    if x.shape[-1] == 0:
        raise ValueError("samples must hold at least one draw, got an empty last axis")
    try:
        shape = np.broadcast_shapes(x.shape[:-1], y.shape)
    except ValueError as exc:
        raise ValueError(
            f"obs of shape {y.shape} does not match samples of shape {x.shape}: expected one "
            f"outcome per forecast, i.e. shape {x.shape[:-1]} (or a scalar)"
        ) from exc
    x = np.broadcast_to(x, (*shape, x.shape[-1]))
    return x, np.broadcast_to(y, shape)


def _check_level(level: float, name: str) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {level!r}")


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


# --------------------------------------------------------------------------- CRPS


def crps_samples(samples: npt.ArrayLike, obs: npt.ArrayLike) -> FloatArray:
    """CRPS of the empirical distribution of ``samples`` at the outcome ``obs``.

    CRPS is the proper score that generalises absolute error to a whole predictive
    distribution (in the units of the data; lower is better; a point forecast scores its
    absolute error). It is computed in its energy form ``E|X - y| - E|X - X'| / 2`` where X, X'
    are independent draws from the empirical distribution: the ``n**2`` denominator (a
    V-statistic, properscoring's ``crps_ensemble``), so the value is exact for the sample as a
    distribution rather than an estimate of the CRPS of the distribution it came from. The
    pairwise term uses the sorted samples, ``sum_i (2i - n - 1) x_(i) / n**2``, which is
    O(n log n) instead of O(n**2).

    Parameters
    ----------
    samples : shape ``(n,)`` for one forecast or ``(cases, n)`` (any leading axes) for many.
    obs : the outcome(s), a scalar or one per forecast (shape ``samples.shape[:-1]``).

    Returns
    -------
    CRPS per forecast, shape ``samples.shape[:-1]`` broadcast with ``obs`` (0-d for one).
    Non-finite samples or outcomes give nan/inf rather than an error.
    """
    x, y = _samples_and_obs(samples, obs)
    n = x.shape[-1]
    xs = np.sort(x, axis=-1)
    weights = (2.0 * np.arange(1, n + 1) - n - 1) / (n * n)
    spread = xs @ weights  # = E|X - X'| / 2
    return np.asarray(np.mean(np.abs(xs - y[..., None]), axis=-1) - spread, dtype=np.float64)


def crps_normal(mu: npt.ArrayLike, sigma: npt.ArrayLike, obs: npt.ArrayLike) -> FloatArray:
    """CRPS of a normal forecast N(mu, sigma**2), in closed form (Gneiting & Raftery 2007).

    ``sigma * (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi))`` with ``z = (obs - mu) / sigma``. It is
    the yardstick for sample-based CRPS (a large normal sample must score the same) and scores
    parametric methods without sampling error. Arguments broadcast against each other.
    """
    from scipy.special import ndtr

    m, s, y = np.broadcast_arrays(
        _as_float(mu, "mu"), _as_float(sigma, "sigma"), _as_float(obs, "obs")
    )
    if np.any(s <= 0):
        raise ValueError("sigma must be positive (for a point forecast use |obs - mu|)")
    z = (y - m) / s
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    out = s * (z * (2.0 * ndtr(z) - 1.0) + 2.0 * pdf - 1.0 / math.sqrt(math.pi))
    return np.asarray(out, dtype=np.float64)


def crps_student_t(
    df: npt.ArrayLike, loc: npt.ArrayLike, scale: npt.ArrayLike, obs: npt.ArrayLike
) -> FloatArray:
    """CRPS of a location-scale Student-t forecast, in closed form.

    The formula of Jordan, Krüger & Lerch (2019), as in scoringRules' ``crps_t``: with
    ``z = (obs - loc) / scale`` and F, f the standard t cdf and density with ``df`` degrees of
    freedom,

        scale * [ z (2 F(z) - 1) + 2 f(z) (df + z**2) / (df - 1)
                  - 2 sqrt(df) B(1/2, df - 1/2) / ((df - 1) B(1/2, df/2)**2) ]

    The t is the predictive of a random walk whose drift and volatility are estimated (see
    :func:`leapforecast.analysis.baselines.rw_drift`), so this scores it without sampling
    error. CRPS is finite only when the mean is, hence ``df > 1``; ``df = inf`` gives
    :func:`crps_normal`. The beta functions are evaluated as ``exp(betaln)`` so large ``df``
    does not overflow. Arguments broadcast against each other.
    """
    from scipy.special import betaln, stdtr

    nu, m, s, y = np.broadcast_arrays(
        _as_float(df, "df"), _as_float(loc, "loc"), _as_float(scale, "scale"), _as_float(obs, "obs")
    )
    if np.any(~(nu > 1)):
        raise ValueError("df must be greater than 1 (the CRPS of a t with df <= 1 is infinite)")
    if np.any(s <= 0):
        raise ValueError("scale must be positive")
    normal = np.isinf(nu)
    v = np.where(normal, 2.0, nu)  # placeholder where df is infinite; replaced below
    z = (y - m) / s
    logpdf = (
        -0.5 * (v + 1.0) * np.log1p(z * z / v) - 0.5 * np.log(v) - betaln(0.5, 0.5 * v)
    )  # standard t density: 1 / (sqrt(df) B(1/2, df/2)) (1 + z^2/df)^(-(df+1)/2)
    c1 = z * (2.0 * stdtr(v, z) - 1.0)
    c2 = 2.0 * np.exp(logpdf) * (v + z * z) / (v - 1.0)
    c3 = -2.0 * np.sqrt(v) / (v - 1.0) * np.exp(betaln(0.5, v - 0.5) - 2.0 * betaln(0.5, 0.5 * v))
    out = s * (c1 + c2 + c3)
    if np.any(normal):
        out = np.where(normal, crps_normal(m, s, y), out)
    return np.asarray(out, dtype=np.float64)


# --------------------------------------------------------------------------- PIT


def pit(
    samples: npt.ArrayLike, obs: npt.ArrayLike, *, rng: np.random.Generator | int | None = None
) -> FloatArray:
    """Randomised probability integral transform of ``obs`` under a sample forecast.

    If the outcome were one more draw from the forecast distribution, its rank among the
    ``n + 1`` values would be uniform on ``0..n``. The PIT used here is that rank, with ties
    (outcome equal to some samples, as for point forecasts) broken uniformly, spread over its
    slot of width ``1 / (n + 1)``::

        u = (#{x < y} + V * (#{x == y} + 1)) / (n + 1),   V ~ U(0, 1)

    so ``u`` is exactly U(0, 1) for a calibrated forecast, for any ``n`` and with ties (Czado,
    Gneiting & Held 2009 randomise the same way for discrete forecasts). Calibrated methods give
    a flat PIT histogram; too-narrow forecasts pile outcomes into the extreme bins (U shape);
    too-wide ones into the middle (hump); biased ones to one side.

    ``rng`` draws one uniform per forecast (always, so a shared generator advances by the same
    amount whatever the data). ``None`` takes fresh OS entropy, as numpy does; pass a Generator
    or seed for reproducible output (the randomisation only matters where ties occur).

    Returns values in [0, 1], shape ``samples.shape[:-1]`` broadcast with ``obs``.
    """
    x, y = _samples_and_obs(samples, obs)
    if np.any(np.isnan(y)) or np.any(np.isnan(x)):
        raise ValueError("pit needs samples and outcomes without nan")
    n = x.shape[-1]
    below = np.sum(x < y[..., None], axis=-1)
    ties = np.sum(x == y[..., None], axis=-1)
    v = _generator(rng).random(y.shape)
    u = (below + v * (ties + 1)) / (n + 1)
    return np.asarray(u, dtype=np.float64)


def _check_pits(pits: npt.ArrayLike) -> FloatArray:
    u = _as_float(pits, "pits").ravel()
    if np.any(~((u >= 0) & (u <= 1))):
        raise ValueError("pits must lie in [0, 1] (are these PIT values?)")
    return u


def pit_histogram(pits: npt.ArrayLike, bins: int = 10) -> npt.NDArray[np.int64]:
    """Counts of PIT values in ``bins`` equal-width bins of [0, 1] (1.0 falls in the last).

    The histogram is the calibration picture: flat when calibrated, U-shaped when intervals
    are too narrow, hump-shaped when too wide, sloped when biased.
    """
    if not isinstance(bins, int | np.integer) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    counts, _ = np.histogram(_check_pits(pits), bins=int(bins), range=(0.0, 1.0))
    return counts.astype(np.int64)


def pit_uniformity_pvalue(pits: npt.ArrayLike, bins: int = 10) -> float:
    """p-value of Pearson's chi-square test that the PIT histogram is flat.

    The statistic compares the ``bins`` counts with ``len(pits) / bins`` each, on ``bins - 1``
    degrees of freedom. A small p-value (say < 0.01) is evidence that the method is
    miscalibrated; look at :func:`pit_histogram` to see how.

    Read it with care:

    * A large p-value is *absence of evidence*, not proof of calibration. With few cases (tens)
      the test has little power: only gross miscalibration is detected.
    * The chi-square approximation wants about 5 or more expected per bin
      (``len(pits) >= 5 * bins``); below that the p-value is rough. Use fewer bins.
    * The test assumes independent cases. Rolling-origin cases are not: forecasts for the same
      target year share that year's shock, and overlapping horizons share paths. Dependence
      makes the histogram noisier than the test allows, so p-values come out too small; treat
      a borderline value as borderline, and prefer one horizon at a time.

    Returns nan when there are no PIT values.
    """
    counts = pit_histogram(pits, bins)
    total = int(counts.sum())
    if total == 0:
        return float("nan")
    if bins == 1:
        return 1.0
    expected = total / bins
    stat = float(np.sum((counts - expected) ** 2) / expected)
    return chi2_sf(stat, bins - 1)


def chi2_sf(x: float, df: int) -> float:
    """P(chi-square with ``df`` degrees of freedom > ``x``), for a whole ``df >= 1``: the
    regularised upper incomplete gamma ``Q(df/2, x/2)`` as its finite sum (even ``df``:
    ``e**-y * sum y**j / j!``; odd: ``erfc(sqrt y)`` plus ``e**-y * sum y**(j+1/2) /
    Gamma(j+3/2)``), every term positive and taken in logs, so nothing cancels or overflows.
    What ``scipy.special.chdtrc`` returns, to rounding, without importing SciPy (0.1 s of a
    command that scores a few PIT histograms)."""
    if df < 1 or int(df) != df:
        raise ValueError(f"`df` must be a whole number >= 1, got {df}")
    if math.isnan(x):
        return math.nan
    if x <= 0.0:
        return 1.0
    if x == math.inf:
        return 0.0
    y = 0.5 * x
    log_y = math.log(y)
    if df % 2 == 0:
        return math.fsum(math.exp(j * log_y - y - math.lgamma(j + 1.0)) for j in range(df // 2))
    tail = math.erfc(math.sqrt(y))
    terms = (math.exp((j + 0.5) * log_y - y - math.lgamma(j + 1.5)) for j in range(df // 2))
    return math.fsum([tail, *terms])


# --------------------------------------------------------------------------- intervals


def central_interval(samples: npt.ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
    """The central ``level`` interval of each sample forecast: its (1-level)/2 and (1+level)/2
    quantiles (numpy's default linear interpolation), each of shape ``samples.shape[:-1]``."""
    _check_level(level, "level")
    x = _as_float(samples, "samples")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError("samples must hold at least one draw on its last axis")
    q = np.quantile(x, [(1.0 - level) / 2.0, (1.0 + level) / 2.0], axis=-1)
    return np.asarray(q[0], dtype=np.float64), np.asarray(q[1], dtype=np.float64)


def covered(samples: npt.ArrayLike, obs: npt.ArrayLike, level: float) -> BoolArray:
    """Whether each outcome lies in its forecast's central ``level`` interval (ends included).

    The mean of this over cases is the empirical coverage, to be compared with ``level``
    (see :func:`calibration_verdict`).
    """
    x, y = _samples_and_obs(samples, obs)
    lo, hi = central_interval(x, level)
    return np.asarray((lo <= y) & (y <= hi), dtype=np.bool_)


def interval_score(
    lo: npt.ArrayLike, hi: npt.ArrayLike, obs: npt.ArrayLike, alpha: float
) -> FloatArray:
    """Interval score of the central (1 - alpha) interval [lo, hi] (Gneiting & Raftery 2007,
    eq. 43): ``(hi - lo) + 2/alpha (lo - y) 1{y < lo} + 2/alpha (y - hi) 1{y > hi}``.

    Coverage alone rewards wide intervals; this proper score charges the width and penalises
    misses in proportion to how far outside the outcome fell. Lower is better. Arguments
    broadcast; ``alpha = 0.1`` scores 90% intervals.
    """
    _check_level(alpha, "alpha")
    lo_, hi_, y = np.broadcast_arrays(
        _as_float(lo, "lo"), _as_float(hi, "hi"), _as_float(obs, "obs")
    )
    if np.any(lo_ > hi_):
        raise ValueError("lo must not exceed hi")
    out = (
        (hi_ - lo_)
        + (2.0 / alpha) * np.maximum(lo_ - y, 0.0)
        + (2.0 / alpha) * np.maximum(y - hi_, 0.0)
    )
    return np.asarray(out, dtype=np.float64)


def pinball_loss(q_pred: npt.ArrayLike, obs: npt.ArrayLike, q: npt.ArrayLike) -> FloatArray:
    """Pinball (quantile) loss of the forecast ``q``-quantile ``q_pred`` at outcome ``obs``:
    ``max(q (y - q_pred), (q - 1)(y - q_pred))``, elementwise.

    It is the proper score for a single quantile: a forecast that under-predicts is charged
    ``q`` per unit, one that over-predicts ``1 - q``. Arguments broadcast (pass a vector of
    levels ``q`` with matching ``q_pred`` to score several quantiles at once); average the
    result over levels and cases yourself. At ``q = 0.5`` it is half the absolute error.
    """
    qp, y, tau = np.broadcast_arrays(
        _as_float(q_pred, "q_pred"), _as_float(obs, "obs"), _as_float(q, "q")
    )
    if np.any(~((tau > 0) & (tau < 1))):
        raise ValueError("q (the quantile level) must lie strictly between 0 and 1")
    e = y - qp
    return np.asarray(np.maximum(tau * e, (tau - 1.0) * e), dtype=np.float64)


def skill(score: float, baseline_score: float) -> float:
    """Skill score ``1 - score / baseline_score`` for negatively oriented scores (CRPS, interval
    score, pinball): 0 = no better than the baseline, 1 = perfect, negative = worse.

    Compute both scores as means over the *same* cases, or the comparison means nothing.
    Returns nan when the baseline scores 0 (nothing to improve on) or either score is nan.
    """
    s, b = float(score), float(baseline_score)
    if b == 0.0 or math.isnan(b) or math.isnan(s):
        return float("nan")
    return 1.0 - s / b


# --------------------------------------------------------------------------- coverage


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n``.

    Unlike ``p +- z se`` it stays inside [0, 1] and keeps close to nominal coverage at the
    small counts and extreme rates that coverage checks produce (9 hits of 10 cases). Matches
    ``scipy.stats.binomtest(k, n).proportion_ci(confidence, method="wilson")``, including its
    convention that the lower end is exactly 0 at ``k = 0`` and the upper exactly 1 at
    ``k = n``. With no cases (``n = 0``) nothing is known: (0, 1).
    """
    if isinstance(k, bool) or isinstance(n, bool):
        raise ValueError("k and n must be integer counts, not booleans")
    try:
        whole = int(k) == k and int(n) == n
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise ValueError(f"k and n must be integer counts, got k={k!r}, n={n!r}")
    k, n = int(k), int(n)
    if n < 0 or not 0 <= k <= max(n, 0):
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    _check_level(confidence, "confidence")
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + 0.5 * confidence)
    p = k / n
    denom = 2.0 * (n + z * z)
    centre = (2.0 * n * p + z * z) / denom
    delta = z / denom * math.sqrt(4.0 * n * p * (1.0 - p) + z * z)
    lo = 0.0 if k == 0 else max(0.0, centre - delta)
    hi = 1.0 if k == n else min(1.0, centre + delta)
    return (lo, hi)


def calibration_verdict(k: int, n: int, nominal: float, *, confidence: float = 0.95) -> Verdict:
    """Is an empirical coverage of ``k`` hits in ``n`` cases consistent with ``nominal``?

    "too narrow" when the whole Wilson interval of the coverage lies below ``nominal`` (the
    intervals miss more often than they claim: overconfident), "too wide" when it lies above
    (underconfident), else "consistent". "consistent" with few cases is weak evidence: the
    interval is wide, so only large miscalibration is flagged; with ``n = 0`` it is vacuous.
    The binomial model treats cases as independent; cases sharing a target year are not, so
    for a verdict robust to that use :func:`bootstrap_coverage_interval`.
    """
    _check_level(nominal, "nominal")
    lo, hi = wilson_interval(k, n, confidence=confidence)
    if hi < nominal:
        return "too narrow"
    if lo > nominal:
        return "too wide"
    return "consistent"


@dataclass(frozen=True)
class CoverageSummary:
    """Coverage of one method's ``nominal`` intervals over a set of cases, with its Wilson
    interval and the verdict: one row of the calibration report's coverage table."""

    hits: int
    cases: int
    nominal: float
    confidence: float = 0.95

    def __post_init__(self) -> None:
        # validates hits/cases/confidence the same way the functions do
        wilson_interval(self.hits, self.cases, confidence=self.confidence)
        _check_level(self.nominal, "nominal")

    @classmethod
    def from_hits(
        cls, hits: npt.ArrayLike, nominal: float, *, confidence: float = 0.95
    ) -> CoverageSummary:
        """Summarise a boolean array of hits (e.g. from :func:`covered`)."""
        h = np.asarray(hits)
        if h.dtype != np.bool_:
            raise ValueError(f"hits must be a boolean array, got dtype {h.dtype}")
        return cls(int(h.sum()), int(h.size), nominal, confidence)

    @property
    def rate(self) -> float:
        """Empirical coverage; nan with no cases."""
        return self.hits / self.cases if self.cases else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.hits, self.cases, confidence=self.confidence)

    @property
    def lo(self) -> float:
        return self.interval[0]

    @property
    def hi(self) -> float:
        return self.interval[1]

    @property
    def verdict(self) -> Verdict:
        return calibration_verdict(self.hits, self.cases, self.nominal, confidence=self.confidence)

    def as_row(self) -> dict[str, Any]:
        """A flat dict for a table or a DataFrame row."""
        lo, hi = self.interval
        return {
            "hits": self.hits,
            "cases": self.cases,
            "rate": self.rate,
            "lo": lo,
            "hi": hi,
            "nominal": self.nominal,
            "verdict": self.verdict,
        }


def bootstrap_coverage_interval(
    hits: npt.ArrayLike,
    groups: npt.ArrayLike | Sequence[Any],
    *,
    reps: int = 2000,
    confidence: float = 0.95,
    rng: np.random.Generator | int,
) -> tuple[float, float]:
    """Cluster-bootstrap percentile interval for the coverage (mean hit rate).

    Rolling-origin cases are not independent: forecasts of the same target year, across makers
    and origins, share that year's shocks (a market-wide slump makes many miss together). The
    Wilson interval treats them as independent and is then too narrow. Resampling whole groups
    (e.g. target years) with replacement keeps the dependence within a group; each replicate's
    rate is its total hits over its total cases, and the interval is the central
    ``confidence`` percentile range of the ``reps`` replicates.

    Deterministic given ``rng`` (a Generator or a seed). With few groups (under about 10) the
    interval is itself unreliable and tends to be too narrow; with one group it collapses to
    the point estimate.
    """
    h = np.asarray(hits)
    g = np.asarray(groups)
    if h.dtype != np.bool_:
        raise ValueError(f"hits must be a boolean array, got dtype {h.dtype}")
    if h.ndim != 1 or g.shape != h.shape:
        raise ValueError(
            f"hits and groups must be 1-D and the same length, got shapes {h.shape} and {g.shape}"
        )
    if h.size == 0:
        raise ValueError("hits is empty: no cases to bootstrap")
    if not isinstance(reps, int | np.integer) or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps!r}")
    _check_level(confidence, "confidence")
    _, idx = np.unique(g, return_inverse=True)
    group_hits = np.bincount(idx.ravel(), weights=h.astype(np.float64))
    group_cases = np.bincount(idx.ravel()).astype(np.float64)
    n_groups = group_cases.size
    draws = _generator(rng).integers(0, n_groups, size=(int(reps), n_groups))
    rates = group_hits[draws].sum(axis=1) / group_cases[draws].sum(axis=1)
    lo, hi = np.quantile(rates, [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0])
    return float(lo), float(hi)


# --------------------------------------------------------------------------- spread calibration


def deviation_score(obs: float, median: float, bounds: tuple[float, float]) -> float:
    """How far ``obs`` fell from ``median`` in units of the interval's half on its side.

    With ``bounds`` the (lower, upper) ends of a central interval (all in logs), the score is
    ``(obs - median) / (upper - median)`` above the median and ``(median - obs) / (median -
    lower)`` below. Spreading the forecast by ``k`` around its median (``median + k * (x -
    median)``) moves both ends by the same factor, so the widened interval covers ``obs``
    exactly when the score is at most ``k``: the scores of past cases are the conformity scores
    whose quantile is the spread that would have made the interval nominal. A zero-width side
    scores infinity when missed (0 when ``obs`` sits on the median)."""
    lo, hi = bounds
    if obs >= median:
        width, dev = hi - median, obs - median
    else:
        width, dev = median - lo, median - obs
    if dev <= 0:
        return 0.0
    return dev / width if width > 0 else math.inf


def conformal_factor(scores: Sequence[float] | npt.ArrayLike, level: float) -> float:
    """Split-conformal quantile of ``scores`` for coverage ``level``: the ceil((n + 1) level)-th
    smallest score (the finite-sample correction that makes coverage at least ``level`` for an
    exchangeable new case). With too few scores for that rank (n < level / (1 - level)) the
    largest score is returned, which then guarantees less than ``level``."""
    _check_level(level, "level")
    s = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    if s.size == 0:
        raise ValueError("no scores to calibrate from")
    rank = min(math.ceil((s.size + 1) * level), s.size)
    return float(s[rank - 1])
