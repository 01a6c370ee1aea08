"""Scrambled Sobol' points in NumPy, the same numbers as ``scipy.stats.qmc.Sobol``.

Why not call SciPy: ``scipy.stats`` takes 0.5-0.7 s to import (it loads every distribution), and
a Sobol design is the only thing the engine and the Sobol indices need from it. This module
builds the same points from the same direction numbers (Joe & Kuo's ``new-joe-kuo-6.21201``
table that SciPy ships as ``stats/_sobol_direction_numbers.npz``), scrambled the same way
(a random lower-triangular linear matrix per dimension and a random digital shift, drawn from
the generator in the same order and shapes), so a design is bit for bit what
``qmc.Sobol(d, scramble=True, rng=rng).random(n)`` returns; the tests check it against SciPy.
Where the table cannot be found (a SciPy that moved it), ``scrambled_sobol`` falls back to
``scipy.stats.qmc`` itself.

The points are formed directly rather than one after another: point ``i`` is the shift XOR the
direction numbers of the bits set in the Gray code of ``i``, which is where SciPy's sequential
recurrence arrives after ``i`` steps.
"""

from __future__ import annotations

import importlib.util
import os
import threading

import numpy as np

BITS = 30  # SciPy's default resolution: points are multiples of 2^-30
_TABLE = ("stats", "_sobol_direction_numbers.npz")
_lock = threading.Lock()
_direction: dict[int, np.ndarray] = {}  # unscrambled direction numbers of the first d dimensions
_missing = False  # the table could not be found: use scipy.stats.qmc


def _table_path() -> str | None:
    spec = importlib.util.find_spec("scipy")  # locates SciPy without importing scipy.stats
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, *_TABLE)
        if os.path.isfile(path):
            return path
    return None


def direction_numbers(d: int) -> np.ndarray | None:
    """The (d, BITS) uint32 direction numbers of the first ``d`` dimensions (before
    scrambling), or None when SciPy's table cannot be read. Cached: the table is read once."""
    global _missing
    with _lock:
        have = max((k for k in _direction if k >= d), default=None)
        if have is not None:
            return _direction[have][:d].copy()
        if _missing:
            return None
        path = _table_path()
        if path is None:
            _missing = True
            return None
        try:
            with np.load(path) as table:
                poly = table["poly"][:d].astype(np.int64)
                vinit = table["vinit"][:d].astype(np.int64)
        except (OSError, KeyError, ValueError):
            _missing = True
            return None
        if poly.shape[0] < d:  # more dimensions than the table holds: let SciPy say so
            return None
        v = _initial_directions(poly, vinit, d)
        _direction[d] = v
        return v.copy()


def _initial_directions(poly: np.ndarray, vinit: np.ndarray, d: int) -> np.ndarray:
    """Bratley & Fox's recurrence (Algorithm 659, as Joe & Kuo use it): each dimension's
    first ``m`` numbers from the table (``m`` the degree of its primitive polynomial), the rest
    from the polynomial's coefficients; then column ``j`` is scaled by 2^(BITS - 1 - j).
    Dimensions of one degree are computed together (up to 21,201 dimensions in milliseconds)."""
    v = np.zeros((d, BITS), np.int64)
    if d == 0:
        return v.astype(np.uint32)
    v[0] = 1
    degree = np.array([int(p).bit_length() - 1 for p in poly[1:d]], np.int64)
    for m in np.unique(degree):
        m = int(m)
        dims = 1 + np.flatnonzero(degree == m)
        p = poly[dims].astype(np.int64)
        rows = np.zeros((dims.size, BITS), np.int64)
        rows[:, :m] = vinit[dims, :m]
        for j in range(m, BITS):
            new = rows[:, j - m].copy()
            for k in range(m):
                on = ((p >> (m - 1 - k)) & 1).astype(bool)
                new[on] ^= rows[on, j - k - 1] << (k + 1)
            rows[:, j] = new
        v[dims] = rows
    v <<= np.arange(BITS - 1, -1, -1, dtype=np.int64)
    return v.astype(np.uint32)


def _scrambled(v: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Owen's linear matrix scramble plus a digital shift, drawn as SciPy draws them: first
    the (d, BITS) shift bits, then (d, BITS, BITS) matrix bits (lower triangle kept, unit
    diagonal). Returns the scrambled direction numbers and the shift."""
    d = v.shape[0]
    shift_bits = rng.integers(2, size=(d, BITS), dtype=np.uint32)
    shift = shift_bits.astype(np.int64) @ (np.int64(1) << np.arange(BITS, dtype=np.int64))
    ltm = np.tril(rng.integers(2, size=(d, BITS, BITS), dtype=np.uint32))
    ltm[:, np.arange(BITS), np.arange(BITS)] = 1
    # Row p of a dimension's matrix as a number whose bit k is ltm[p, BITS-1-k]; scrambled
    # number j has bit BITS-1-p = parity(row p AND direction number j).
    high_first = np.uint32(1) << np.arange(BITS - 1, -1, -1, dtype=np.uint32)
    rows = (ltm.astype(np.uint32) * high_first).sum(axis=2, dtype=np.uint32)  # (d, p)
    both = v[:, :, None] & rows[:, None, :]  # (d, j, p)
    for step in (16, 8, 4, 2, 1):  # fold to the parity in the lowest bit
        both ^= both >> np.uint32(step)
    both &= np.uint32(1)
    sv = (both * high_first).sum(axis=2, dtype=np.uint32)
    return sv.astype(np.uint32), shift.astype(np.uint32)


def scrambled_sobol(d: int, n: int, *, seed: int | np.random.Generator) -> np.ndarray:
    """The first ``n`` points (n, d) of a scrambled Sobol' sequence: what
    ``scipy.stats.qmc.Sobol(d, scramble=True, seed=seed).random(n)`` returns. As there, an
    integer seeds a fresh ``default_rng`` and a Generator is not advanced: a child spawned from
    it draws the scramble."""
    v = direction_numbers(d) if d > 0 else np.zeros((0, BITS), np.uint32)
    if v is None:
        from scipy.stats import qmc

        return qmc.Sobol(d, scramble=True, seed=seed).random(n)
    if isinstance(seed, np.random.Generator):
        rng = _spawned(seed)
    else:
        rng = np.random.default_rng(seed)
    sv, shift = _scrambled(v, rng)
    out = np.empty((n, d))
    if n == 0:
        return out
    index = np.arange(n, dtype=np.int64)
    gray = index ^ (index >> 1)
    quasi = np.broadcast_to(shift, (n, d)).copy()
    for bit in range(max(1, int(n - 1).bit_length())):
        on = ((gray >> bit) & 1).astype(bool)
        quasi[on] ^= sv[:, bit]
    np.multiply(quasi, 1.0 / 2**BITS, out=out)
    return out


def _spawned(rng: np.random.Generator) -> np.random.Generator:
    """The child generator SciPy's QMC engines spawn from a Generator they are given (so the
    caller's generator is not advanced)."""
    bit_generator = rng.bit_generator
    (child,) = bit_generator.seed_seq.spawn(1)  # type: ignore[attr-defined]
    return np.random.Generator(type(bit_generator)(child))
