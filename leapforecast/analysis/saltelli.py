"""Saltelli's design and Sobol index estimators, the numbers SALib's ``sobol`` gives.

Why not call SALib: importing it loads pandas and ``scipy.stats`` (0.9 s of a 1.5 s
`leapforecast sensitivity`), for a design and four averages. This module reproduces, value for
value, what ``SALib.sample.sobol.sample(..., calc_second_order=False, scramble=True)`` and
``SALib.analyze.sobol.analyze(..., calc_second_order=False)`` compute for factors on the unit
cube: the same scrambled Sobol' base sequence (``engine.sobol``), the same row layout, the
same estimators (Saltelli 2010 first order, Jansen total order, both normalised by the sample
variance) and the same bootstrap resamples for the 95% half-widths. The tests check it against
SALib where SALib is installed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapforecast.engine.sobol import scrambled_sobol

# scipy.stats.norm.ppf(0.975), the normal quantile of SALib's 95% bootstrap half-widths
# (tests check it is the same double)
Z_95 = 1.959963984540054
_EPS = float(np.finfo(float).eps)


def saltelli_design(k: int, n: int, *, seed: int) -> np.ndarray:
    """Saltelli's design for ``k`` factors, shaped (n, k + 2, k): for each base point the rows
    A, AB_1..AB_k (A with column j taken from B), B; A and B are the two halves of an
    ``n``-point scrambled Sobol' sequence in 2k dimensions seeded with ``seed``."""
    base = scrambled_sobol(2 * k, n, seed=seed)
    a, b = base[:, :k], base[:, k:]
    out = np.empty((n, k + 2, k))
    out[:, 0] = a
    out[:, 1 : k + 1] = a[:, None, :]
    cols = np.arange(k)
    out[:, 1 + cols, cols] = b
    out[:, k + 1] = b
    return out


@dataclass(frozen=True)
class Indices:
    """First- and total-order indices of each factor, with bootstrap 95% half-widths."""

    s1: np.ndarray
    s1_conf: np.ndarray
    st: np.ndarray
    st_conf: np.ndarray


def _first_order(a: np.ndarray, ab: np.ndarray, b: np.ndarray) -> np.ndarray:
    y = np.r_[a, b]
    if np.ptp(y) <= _EPS:  # a constant response explains nothing
        return np.zeros(y.shape[1:], dtype=np.float64)
    y_var = np.var(y, axis=0)
    return np.divide(
        np.mean(b * (ab - a), axis=0),
        y_var,
        out=np.zeros_like(y_var, dtype=np.float64),
        where=y_var > _EPS,
    )


def _total_order(a: np.ndarray, ab: np.ndarray, b: np.ndarray) -> np.ndarray:
    y = np.r_[a, b]
    if np.ptp(y) <= _EPS:
        return np.zeros(y.shape[1:], dtype=np.float64)
    y_var = np.var(y, axis=0)
    return np.divide(
        0.5 * np.mean((a - ab) ** 2, axis=0),
        y_var,
        out=np.zeros_like(y_var, dtype=np.float64),
        where=y_var > _EPS,
    )


def saltelli_indices(y: np.ndarray, k: int, *, seed: int, resamples: int = 100) -> Indices:
    """Sobol indices of ``k`` factors from responses ``y`` in design order (n x (k + 2),
    row-major as ``saltelli_design`` lays the rows out). The response is standardised first;
    the half-widths come from ``resamples`` bootstrap resamples of the base points drawn with
    ``default_rng(seed)``. ``seed`` must be non-zero (as SALib, which treats 0 as unseeded)."""
    y = np.ascontiguousarray(y, float).ravel()
    step = k + 2
    n = y.size // step
    y = (y - y.mean()) / y.std()
    a = y[0 : y.size : step]
    b = y[step - 1 : y.size : step]
    ab = np.zeros((n, k))
    for j in range(k):
        ab[:, j] = y[j + 1 : y.size : step]
    r = np.random.default_rng(seed).integers(n, size=(n, resamples))
    s1, s1_conf, st, st_conf = (np.zeros(k) for _ in range(4))
    ar, br = a[r], b[r]
    varies = np.ptp(np.r_[ar, br]) != 0.0
    for j in range(k):
        abr = ab[r, j]
        s1[j] = _first_order(a, ab[:, j], b)
        s1_conf[j] = Z_95 * _first_order(ar, abr, br).std(ddof=1) if varies else 0.0
        st[j] = _total_order(a, ab[:, j], b)
        st_conf[j] = Z_95 * _total_order(ar, abr, br).std(ddof=1) if varies else 0.0
    return Indices(s1, s1_conf, st, st_conf)
