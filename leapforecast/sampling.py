"""Uniform designs for path-level inputs and the Gaussian copula that correlates them.

Each input's uniforms come from a stream keyed by (seed, chunk, input name), so two scenarios
that share an input name share its draws (common random numbers) and a result never depends on
how chunks are grouped into blocks or spread over workers.
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np

from leapforecast.distributions import U_MIN
from leapforecast.errors import ScenarioError


def stream(seed: int, chunk: int, name: str) -> np.random.Generator:
    """The random stream of one input in one chunk."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk, key)))
    )


def design(names: list[str], n: int, *, seed: int, chunk: int, method: str) -> np.ndarray:
    """A (len(names), n) array of uniforms in (0, 1): random, Latin hypercube or Sobol.

    One contiguous row per input, so each input's ``ppf`` reads its uniforms without striding.
    """
    k = len(names)
    out = np.empty((k, n))
    if k == 0:
        return out
    if method == "sobol":
        from scipy.stats import qmc

        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", UserWarning
            )  # balance needs n = 2^m; the last chunk may not be
            sampler = qmc.Sobol(d=k, scramble=True, seed=stream(seed, chunk, "__sobol__"))
            out[:] = sampler.random(n).T
        # Sobol points are ordered by dimension, so keep a fixed order of names.
    else:
        for j, name in enumerate(names):
            rng = stream(seed, chunk, name)
            if method == "lhs":
                out[j] = (rng.permutation(n) + rng.random(n)) / n
            else:
                rng.random(out=out[j])
    if out.min() < U_MIN or out.max() > 1 - U_MIN:  # two reads are cheaper than a clip
        np.clip(out, U_MIN, 1 - U_MIN, out=out)
    return out


def spearman_to_pearson(rho: np.ndarray) -> np.ndarray:
    """Pearson correlation of the Gaussian copula that gives Spearman ``rho`` on the margins."""
    return 2.0 * np.sin(np.pi * rho / 6.0)


def copula_factor(
    names: list[str], pairs: list[tuple[str, str, float]]
) -> tuple[list[int], np.ndarray] | None:
    """Indices of the correlated inputs and a factor A with A @ A.T = the copula's correlation.

    Raises ``ScenarioError`` when the requested matrix is not positive semi-definite.
    """
    if not pairs:
        return None
    involved = sorted({a for a, _, _ in pairs} | {b for _, b, _ in pairs}, key=names.index)
    pos = {name: i for i, name in enumerate(involved)}
    rank = np.eye(len(involved))
    for a, b, rho in pairs:
        rank[pos[a], pos[b]] = rank[pos[b], pos[a]] = rho
    values = np.linalg.eigvalsh(rank)
    if values.min() < -1e-10:
        raise ScenarioError(
            f"correlation: the rank-correlation matrix of {', '.join(involved)} is not positive "
            f"semi-definite (smallest eigenvalue {values.min():.3f}); "
            "these correlations cannot all "
            "hold at once, weaken one of them"
        )
    pearson = spearman_to_pearson(rank)
    w, v = np.linalg.eigh(pearson)
    factor = v * np.sqrt(np.clip(w, 0, None))
    # rows of the factor must have unit norm so every margin stays standard normal
    factor /= np.linalg.norm(factor, axis=1, keepdims=True)
    return [names.index(n) for n in involved], factor


def correlate(u: np.ndarray, rows: list[int], factor: np.ndarray) -> None:
    """Impose the copula on the given rows (inputs) of a design ``u`` in place."""
    from scipy.special import ndtr, ndtri

    z = ndtri(u[rows])
    u[rows] = np.clip(ndtr(factor @ z), U_MIN, 1 - U_MIN)
