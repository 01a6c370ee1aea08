"""Naive forecasting methods: the skill baselines of the calibration report.

A forecasting method earns its complexity only if it beats simple rules on the same cases.
These are those rules. Each sees one maker's annual levels (sales, positive, oldest first) up to
the forecast origin and returns samples of the *level* at the requested horizons, as an array of
shape ``(len(horizons), draws)``; column ``j`` is one simulated path, so a row per horizon can be
scored with :mod:`leapforecast.analysis.scoring` (on log levels, so makers of every size count
alike) and paths can be summed for multi-year totals.

* :func:`rw_drift` -- random walk with drift in log units, drift and volatility estimated from
  the maker's own growth history *with* their estimation uncertainty. It is the honest
  probabilistic baseline: under its own model its intervals have exact coverage.
* :func:`no_change` -- next years equal the origin year (point forecast).
* :func:`last_growth` -- the last observed log growth repeated (point forecast).

Point forecasts are returned as ``draws`` identical samples so every method has one shape; their
CRPS is then the absolute error and their PIT is near 0 or 1 (ties are randomised by
:func:`~leapforecast.analysis.scoring.pit`).

Pure numpy: no scipy, no pandas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

__all__ = ["BASELINES", "Method", "last_growth", "no_change", "rw_drift"]


class Method(Protocol):
    """What the calibration report calls: levels up to the origin -> samples at the horizons."""

    def __call__(
        self,
        levels: npt.ArrayLike,
        horizons: Sequence[int],
        *,
        draws: int,
        rng: np.random.Generator,
    ) -> FloatArray: ...


def _log_levels(levels: npt.ArrayLike, minimum: int, method: str) -> FloatArray:
    try:
        x = np.asarray(levels, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"levels must be numeric, got {levels!r}") from exc
    if x.ndim != 1:
        raise ValueError(f"levels must be 1-D (one maker's annual series), got shape {x.shape}")
    if x.size < minimum:
        raise ValueError(f"{method} needs at least {minimum} levels up to the origin, got {x.size}")
    if not np.all(np.isfinite(x) & (x > 0)):
        raise ValueError(f"{method} needs finite positive levels (it works in logs), got {x}")
    return np.log(x)


def _horizons(horizons: Sequence[int]) -> npt.NDArray[np.int64]:
    h = np.asarray(horizons)
    if h.ndim != 1 or h.size == 0:
        raise ValueError(f"horizons must be a non-empty sequence of integers, got {horizons!r}")
    if not np.issubdtype(h.dtype, np.integer) or np.any(h < 1):
        raise ValueError(f"horizons must be positive integers (years ahead), got {horizons!r}")
    return h.astype(np.int64)


def _draws(draws: int) -> int:
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    return int(draws)


def _generator(rng: np.random.Generator | int) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise ValueError(f"rng must be a numpy Generator or an integer seed, got {rng!r}")
    return np.random.default_rng(int(rng))


def rw_drift(
    levels: npt.ArrayLike,
    horizons: Sequence[int],
    *,
    draws: int,
    rng: np.random.Generator | int,
) -> FloatArray:
    """Random walk with drift in log units, with parameter uncertainty.

    Model: log growths ``g_t`` are iid N(mu, sigma**2). From the ``n`` growths up to the origin
    (mean ``g``, sample sd ``s``) the Bayesian predictive under the standard noninformative prior
    ``p(mu, sigma) ~ 1/sigma`` is Student-t: the ``h``-step log change is

        h g + s sqrt(h + h**2 / n) t_{n-1}

    The ``h`` term is the future shocks, ``h**2 / n`` the uncertainty of the drift (which grows
    with the horizon), and the t tails that of ``s``. This is also a frequentist pivot, so when
    the model holds the central intervals have exact coverage at every horizon: the reference a
    calibrated method should match.

    The samples are drawn as coherent paths (each draw takes ``sigma**2 = (n-1) s**2 /
    chi2_{n-1}``, then ``mu ~ N(g, sigma**2 / n)``, then ``h`` growth shocks), whose marginal at
    every horizon is exactly the t above, so column ``j`` is one path across horizons.

    Needs at least 2 growths (3 levels) so that ``s`` exists.

    Returns the levels (not logs), shape ``(len(horizons), draws)``.
    """
    logs = _log_levels(levels, 3, "rw_drift")
    h = _horizons(horizons)
    m = _draws(draws)
    gen = _generator(rng)
    growth = np.diff(logs)
    n = growth.size
    g = float(growth.mean())
    s = float(growth.std(ddof=1))
    sigma = s * np.sqrt((n - 1) / gen.chisquare(n - 1, size=m))
    mu = g + sigma / math.sqrt(n) * gen.standard_normal(m)
    shocks = gen.standard_normal((int(h.max()), m))
    paths = np.cumsum(mu + sigma * shocks, axis=0)
    last = float(np.asarray(levels, dtype=np.float64)[-1])
    return np.asarray(last * np.exp(paths[h - 1]), dtype=np.float64)


def no_change(
    levels: npt.ArrayLike,
    horizons: Sequence[int],
    *,
    draws: int,
    rng: np.random.Generator | int | None = None,
) -> FloatArray:
    """Every future year equals the origin year: the persistence forecast.

    The standard denominator of skill scores (the existing backtest reports CRPS skill against
    it). A point forecast: ``draws`` identical samples; ``rng`` is accepted for a common
    signature and unused.
    """
    _log_levels(levels, 1, "no_change")
    h = _horizons(horizons)
    last = float(np.asarray(levels, dtype=np.float64)[-1])  # exactly, not exp(log(.))
    return np.full((h.size, _draws(draws)), last, dtype=np.float64)


def last_growth(
    levels: npt.ArrayLike,
    horizons: Sequence[int],
    *,
    draws: int,
    rng: np.random.Generator | int | None = None,
) -> FloatArray:
    """Last year's log growth continued: ``log L_T + h (log L_T - log L_{T-1})``.

    The momentum rule a reader would apply by eye; strong for young makers on a steady ramp,
    poor after a one-off jump. A point forecast: ``draws`` identical samples; ``rng`` is
    accepted for a common signature and unused. Needs 2 levels.
    """
    logs = _log_levels(levels, 2, "last_growth")
    h = _horizons(horizons)
    m = _draws(draws)
    last = float(np.asarray(levels, dtype=np.float64)[-1])
    point = last * np.exp(h * (logs[-1] - logs[-2]))
    return np.asarray(np.repeat(point[:, None], m, axis=1), dtype=np.float64)


BASELINES: dict[str, Method] = {
    "rw-drift": rw_drift,
    "no-change": no_change,
    "last-growth": last_growth,
}
"""The baselines by the names the report prints (``no-change`` and ``last-growth`` as in
the rolling-origin backtest)."""
