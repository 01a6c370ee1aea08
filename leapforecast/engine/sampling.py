"""Uniform designs for path-level inputs and the Gaussian copula that correlates them.

Each input's uniforms come from a stream keyed by (seed, chunk, input name), so two scenarios
that share an input name share its draws (common random numbers) and a result never depends on
how chunks are grouped into blocks or spread over workers.

Latin hypercube and Sobol designs are split into ``REPLICATES`` independent randomised
replicates per chunk (each its own Latin hypercube, or its own scrambled Sobol sequence), so the
Monte Carlo error of a probability can be measured from the spread between replicates: the
binomial formula, right for independent paths, overstates it for these designs, whose paths are
negatively correlated by construction.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from leapforecast.engine.sobol import scrambled_sobol
from leapforecast.errors import UsageError
from leapforecast.model.checks import SOBOL_MAX_DIM
from leapforecast.model.distributions import U_MIN
from leapforecast.model.special import ndtr, ndtri


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


# Independent randomised replicates per chunk of a Latin hypercube or Sobol design. At the
# canonical chunk size (65,536 = 2^16 paths) each replicate has 4,096 = 2^12 points, a power of
# two, so each scrambled Sobol block keeps its balance properties; 16 per chunk gives the s.e.
# 15 degrees of freedom even in a run shorter than a chunk (and 16 more per extra chunk).
REPLICATES = 16


def replicate_sizes(n: int) -> list[int]:
    """Sizes of the replicate blocks of a chunk of ``n`` paths, in path order.

    ``REPLICATES`` near-equal blocks (the first ``n % REPLICATES`` one path larger), or ``n``
    blocks of one path when ``n`` is smaller. A partial last chunk's blocks are then not powers
    of two: a Sobol block is a scrambled Sobol prefix of any size, still an unbiased and
    independent replicate, only without the exact balance of a power-of-two block.
    """
    if n <= 0:
        return []
    r = min(REPLICATES, n)
    size, extra = divmod(n, r)
    return [size + 1] * extra + [size] * (r - extra)


def replicate_stream(seed: int, chunk: int, block: int, name: str) -> np.random.Generator:
    """The random stream of one input in one replicate block of one chunk."""
    return stream(seed, chunk, f"{name}@replicate{block}")


def design(names: list[str], n: int, *, seed: int, chunk: int, method: str) -> np.ndarray:
    """A (len(names), n) array of uniforms in (0, 1): random, Latin hypercube or Sobol.

    One contiguous row per input, so each input's ``ppf`` reads its uniforms without striding.
    Latin hypercube and Sobol designs are built block by block (``replicate_sizes``), each block
    keyed by (seed, chunk, block, input), so the replicates are independent.
    """
    k = len(names)
    if method == "sobol" and k > SOBOL_MAX_DIM:  # scenario checks say so first; this guards
        raise UsageError(  # library callers
            f"Sobol sampling supports at most {SOBOL_MAX_DIM:,} inputs, got {k:,}; "
            "use lhs or random sampling"
        )
    out = np.empty((k, n))
    if k == 0:
        return out
    if method == "random":
        for j, name in enumerate(names):
            stream(seed, chunk, name).random(out=out[j])
    else:
        start = 0
        for b, size in enumerate(replicate_sizes(n)):
            _block(
                out[:, start : start + size], names, seed=seed, chunk=chunk, block=b, method=method
            )
            start += size
    if out.min() < U_MIN or out.max() > 1 - U_MIN:  # two reads are cheaper than a clip
        np.clip(out, U_MIN, 1 - U_MIN, out=out)
    return out


def _block(
    out: np.ndarray, names: list[str], *, seed: int, chunk: int, block: int, method: str
) -> None:
    """Fill ``out`` (inputs x points) with one replicate: a Latin hypercube or a Sobol design."""
    n = out.shape[1]
    if method == "sobol":
        rng = replicate_stream(seed, chunk, block, "__sobol__")
        # Balance needs n = 2^m: true in full chunks, not always in a partial last one, whose
        # blocks take the first n points of the next 2^m (what ``random(n)`` gives).
        # Sobol points are ordered by dimension, so keep a fixed order of names. The points
        # are scipy.stats.qmc.Sobol's (engine.sobol), without importing scipy.stats.
        m = max(0, math.ceil(math.log2(n)))
        out[:] = scrambled_sobol(len(names), 2**m, seed=rng)[:n].T
    else:
        for j, name in enumerate(names):
            rng = replicate_stream(seed, chunk, block, name)
            out[j] = (rng.permutation(n) + rng.random(n)) / n


def correlate(u: np.ndarray, rows: list[int], factor: np.ndarray) -> None:
    """Impose the copula on the given rows (inputs) of a design ``u`` in place.

    Only the correlated rows go through ndtri and ndtr, each in place in the one buffer it
    returns (the gathered rows, then the product), clipped in place: two arrays of the rows'
    size in all, where one per step used to be allocated and paged in."""
    z = u[rows]
    ndtri(z, out=z)
    w = factor @ z
    ndtr(w, out=w)
    np.clip(w, U_MIN, 1 - U_MIN, out=w)
    u[rows] = w
