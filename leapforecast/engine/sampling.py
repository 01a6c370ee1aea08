"""Uniform designs for path-level inputs and the Gaussian copula that correlates them.

Each input's uniforms come from a stream keyed by (seed, chunk, input name), so two scenarios
that share an input name share its draws (common random numbers) and a result never depends on
how chunks are grouped into blocks or spread over workers.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np

from leapforecast.errors import UsageError
from leapforecast.model.checks import SOBOL_MAX_DIM
from leapforecast.model.distributions import U_MIN


def name_key(name: str) -> tuple[int, ...]:
    """An input name as eight 32-bit words of its SHA-256: a 32-bit CRC let two names collide
    (``ev879259`` and ``ev25404002``), and then two independent inputs drew the same uniforms."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 32, 4))


def stream(seed: int, chunk: int, name: str) -> np.random.Generator:
    """The random stream of one input in one chunk."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk, *name_key(name))))
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

        if k > SOBOL_MAX_DIM:  # scenario checks say so first; this guards library callers
            raise UsageError(
                f"Sobol sampling supports at most {SOBOL_MAX_DIM:,} inputs, got {k:,}; "
                "use lhs or random sampling"
            )

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


def correlate(u: np.ndarray, rows: list[int], factor: np.ndarray) -> None:
    """Impose the copula on the given rows (inputs) of a design ``u`` in place."""
    from scipy.special import ndtr, ndtri

    z = ndtri(u[rows])
    u[rows] = np.clip(ndtr(factor @ z), U_MIN, 1 - U_MIN)
