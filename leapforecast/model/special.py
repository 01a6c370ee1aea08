"""The few special functions a default run needs, in NumPy alone: ``ndtri``, ``ndtr``, ``erfc``
and ``gammainccinv``.

Why not ``scipy.special``: importing it costs 90-170 ms (it pulls in SciPy's array-API layer,
``numpy.f2py`` and ``numpy.polynomial``), more than the whole 100k-path simulation, and the
default run needs only these four (the normal quantile for normal and lognormal inputs, the
normal CDF for the rank-correlation copula, the inverse upper incomplete gamma for the reference
growth model's noise). Each is vectorised, takes any shape and agrees with SciPy to about
1e-15 relative (``tests/test_special.py`` checks a wide grid including the tails):

* ``ndtri``: Wichura's AS241 (PPND16), accurate to about 1e-16 relative;
* ``erfc`` and ``ndtr``: Cody/Cephes rational approximations, with ``exp(-x*x)`` evaluated in
  two parts so the far tail keeps full precision;
* ``gammainccinv``: Halley's method on the regularised incomplete gamma (series below
  ``a + 1``, Legendre's continued fraction above it), started for one shape and many values
  from a cubic interpolant of the inverse solved on a grid (one Halley step then suffices),
  else from the Wilson-Hilferty approximation, with the prefactor ``x**a * exp(-x) / Gamma(a)``
  written as ``exp(a * (log1p(t) - t)) * C(a)`` (``t = x/a - 1``) so that it does not cancel.

The results may differ from SciPy's in the last bit or two, so draws that go through them can
differ from a SciPy-based run by an ulp.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# AS241 (Wichura 1988), highest power first
_A = (
    2.5090809287301226727e3,
    3.3430575583588128105e4,
    6.7265770927008700853e4,
    4.5921953931549871457e4,
    1.3731693765509461125e4,
    1.9715909503065514427e3,
    1.3314166789178437745e2,
    3.3871328727963666080e0,
)
_B = (
    5.2264952788528545610e3,
    2.8729085735721942674e4,
    3.9307895800092710610e4,
    2.1213794301586595867e4,
    5.3941960214247511077e3,
    6.8718700749205790830e2,
    4.2313330701600911252e1,
    1.0,
)
_C = (
    7.74545014278341407640e-4,
    2.27238449892691845833e-2,
    2.41780725177450611770e-1,
    1.27045825245236838258e0,
    3.64784832476320460504e0,
    5.76949722146069140550e0,
    4.63033784615654529590e0,
    1.42343711074968357734e0,
)
_D = (
    1.05075007164441684324e-9,
    5.47593808499534494600e-4,
    1.51986665636164571966e-2,
    1.48103976427480074590e-1,
    6.89767334985100004550e-1,
    1.67638483018380384940e0,
    2.05319162663775882187e0,
    1.0,
)
_E = (
    2.01033439929228813265e-7,
    2.71155556874348757815e-5,
    1.24266094738807843860e-3,
    2.65321895265761230930e-2,
    2.96560571828504891230e-1,
    1.78482653991729133580e0,
    5.46378491116411436990e0,
    6.65790464350110377720e0,
)
_F = (
    2.04426310338993978564e-15,
    1.42151175831644588870e-7,
    1.84631831751005468180e-5,
    7.86869131145613259100e-4,
    1.48753612908506148525e-2,
    1.36929880922735805310e-1,
    5.99832206555887937690e-1,
    1.0,
)

# Cephes erf (|x| <= 1) and erfc (1 <= x < 8: P/Q; x >= 8: R/S), highest power first; the
# denominators' leading coefficient is 1.
_T = (
    9.60497373987051638749e0,
    9.00260197203842689217e1,
    2.23200534594684319226e3,
    7.00332514112805075473e3,
    5.55923013010394962768e4,
)
_U = (
    1.0,
    3.35617141647503099647e1,
    5.21357949780152679795e2,
    4.59432382970980127987e3,
    2.26290000613890934246e4,
    4.92673942608635921086e4,
)
_P = (
    2.46196981473530512524e-10,
    5.64189564831068821977e-1,
    7.46321056442269912687e0,
    4.86371970985681366614e1,
    1.96520832956077098242e2,
    5.26445194995477358631e2,
    9.34528527171957607540e2,
    1.02755188689515710272e3,
    5.57535335369399327526e2,
)
_Q = (
    1.0,
    1.32281951154744992508e1,
    8.67072140885989742329e1,
    3.54937778887819891062e2,
    9.75708501743205489753e2,
    1.82390916687909736289e3,
    2.24633760818710981792e3,
    1.65666309194161350182e3,
    5.57535340817727675546e2,
)
_R = (
    5.64189583547755073984e-1,
    1.27536670759978104416e0,
    5.01905042251180477414e0,
    6.16021097993053585195e0,
    7.40974269950448939160e0,
    2.97886665372100240670e0,
)
_S = (
    1.0,
    2.26052863220117276590e0,
    9.39603524938001434673e0,
    1.20489539808096656605e1,
    1.70814450747565897222e1,
    9.60896809063285878198e0,
    3.36907645100081516050e0,
)
_SQRT1_2 = 0.70710678118654752440


# Values per pass of the normal functions: their few buffers (128 KiB each) stay in L2 cache
# however long the input; measured 4096 to 65,536 on a 48 KiB L1 / 2 MiB L2 core, 16,384 was
# fastest (smaller blocks pay numpy's per-call overhead more often).
_BLOCK = 16_384


def _poly(coefs: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    """Horner's rule, highest power first (a new array)."""
    return _horner(coefs, x, np.empty_like(x))


def _horner(coefs: tuple[float, ...], x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Horner's rule into ``out``: ``c0*x + c1``, then ``*x + c`` for each further coefficient,
    the same operations in the same order as starting from ``c0`` (a leading 1 multiplies
    nothing: ``1*x`` is ``x``, bit for bit)."""
    if coefs[0] == 1.0:
        np.add(x, coefs[1], out=out)
    else:
        np.multiply(x, coefs[0], out=out)
        out += coefs[1]
    for c in coefs[2:]:
        out *= x
        out += c
    return out


def _prepare(x: Any, out: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The input as a float array, it and the output flattened (views where they can be)."""
    x = np.asarray(x, dtype=float)
    if out is None:
        out = np.empty(x.shape)
    elif out.shape != x.shape or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError("out must be a C-contiguous float64 array of the input's shape")
    return x, x.reshape(-1), out.reshape(-1)


def _result(out: np.ndarray) -> np.ndarray:
    return out if out.ndim else out[()]


# Why the normal functions are written this way: the common branch (|p - 1/2| <= 0.425 for
# ndtri, |x| < 1 for ndtr and erfc: 68-85% of what a run gives them) is evaluated on every value
# of a cache-sized block in preallocated buffers, then the few other values are gathered by index
# and overwritten; no boolean-mask assignment, no np.where over whole arrays, no temporaries.
# Every value goes through exactly the floating-point operations of the straightforward version
# (tests/_special_old.py, checked bit for bit by tests/test_special_bits.py): only how values are
# selected and stored differs. Warnings are silenced once per call, not per branch.


def ndtri(p: Any, *, out: np.ndarray | None = None) -> np.ndarray:
    """Standard normal quantile (``scipy.special.ndtri``): -inf at 0, inf at 1, NaN outside.

    ``out`` (a C-contiguous float64 array of ``p``'s shape, which may be ``p`` itself) receives
    the result."""
    p, flat, res = _prepare(p, out)
    n = flat.size
    size = min(n, _BLOCK) or 1
    q, r, num, den = (np.empty(size) for _ in range(4))
    mask = np.empty(size, dtype=bool)
    tail_at: list[np.ndarray] = []
    tail_p: list[np.ndarray] = []
    with np.errstate(all="ignore"):  # values outside [0, 1] or NaN: set below
        for start in range(0, n, size):
            stop = min(start + size, n)
            m = stop - start
            pb, ob = flat[start:stop], res[start:stop]
            qb, rb, nb, db, mb = q[:m], r[:m], num[:m], den[:m], mask[:m]
            np.subtract(pb, 0.5, out=qb)
            np.abs(qb, out=rb)
            np.less_equal(rb, 0.425, out=mb)
            np.logical_not(mb, out=mb)  # the tails, NaN included
            at = np.flatnonzero(mb)
            if at.size:
                tail_at.append(at + start)
                tail_p.append(pb.take(at))  # before ``ob`` (perhaps ``pb``) is written
            np.multiply(qb, qb, out=rb)
            np.subtract(0.180625, rb, out=rb)
            _horner(_A, rb, nb)
            _horner(_B, rb, db)
            nb *= qb
            np.divide(nb, db, out=ob)
        if tail_at:
            at, ps = np.concatenate(tail_at), np.concatenate(tail_p)
            for start in range(0, at.size, _BLOCK):  # in cache-sized pieces too
                res[at[start : start + _BLOCK]] = _ndtri_tail(ps[start : start + _BLOCK])
    return _result(res.reshape(p.shape))


def _ndtri_tail(p: np.ndarray) -> np.ndarray:
    """ndtri where ``|p - 1/2| > 0.425`` (or NaN), warnings silenced by the caller."""
    q = p - 0.5
    low = q < 0
    r = 0.5 - q  # the smaller tail; 0.5 - q is 1 - p, exactly
    np.copyto(r, p, where=low)
    np.log(r, out=r)
    np.negative(r, out=r)
    np.sqrt(r, out=r)
    t = r - 1.6
    x = _poly(_C, t)
    x /= _poly(_D, t)
    far = np.flatnonzero(~(r <= 5.0))  # rare: p below 1.4e-11 (a run draws none); NaN too
    if far.size:
        rf = r[far] - 5.0
        x[far] = _poly(_E, rf) / _poly(_F, rf)
    np.negative(x, out=x, where=low)
    if far.size:
        infinite = far[r[far] == np.inf]  # p == 0 or p == 1
        x[infinite] = np.copysign(np.inf, q[infinite])
    bad = np.flatnonzero(~((p >= 0) & (p <= 1)))
    x[bad] = np.nan
    return x


def _exp_minus_square(x: np.ndarray) -> np.ndarray:
    """``exp(-x*x)`` without the rounding of ``x*x`` (relative 1e-16 * x**2 in the result):
    x = h + l with h a multiple of 1/64, so ``h*h`` is exact and ``l*(2h + l)`` small.
    (x = inf gives NaN: the caller replaces it.)"""
    h = x * 64.0
    h += 0.5
    np.floor(h, out=h)
    h /= 64.0
    lo = x - h
    t = 2.0 * h
    t += lo
    np.negative(lo, out=lo)
    lo *= t
    np.exp(lo, out=lo)
    np.negative(h, out=t)
    t *= h
    np.exp(t, out=t)
    t *= lo
    return t


def _erf_small_into(
    x: np.ndarray, zz: np.ndarray, num: np.ndarray, den: np.ndarray, out: np.ndarray
) -> None:
    """``x * T(x*x) / U(x*x)`` (Cephes erf for ``|x| <= 1``) into ``out``, with scratch
    buffers ``zz``, ``num`` and ``den`` (``out`` may be ``x``)."""
    np.multiply(x, x, out=zz)
    _horner(_T, zz, num)
    num *= x
    _horner(_U, zz, den)
    np.divide(num, den, out=out)


def _erfc_positive(ax: np.ndarray) -> np.ndarray:
    """erfc for ``ax >= 0`` (gathered values, few): one minus erf below 1, as Cephes does, else
    ``exp(-x*x) P(x)/Q(x)`` below 8 and ``exp(-x*x) R(x)/S(x)`` beyond (zero once it
    underflows, and at inf). Warnings silenced by the caller."""
    out = np.empty_like(ax)
    _erf_small_into(ax, np.empty_like(ax), np.empty_like(ax), np.empty_like(ax), out)
    np.subtract(1.0, out, out=out)
    big = np.flatnonzero(~(ax < 1.0))  # NaN too: the caller overwrites it
    if big.size:
        a = ax[big]
        z = _exp_minus_square(a)
        y = _poly(_P, a)
        y *= z
        y /= _poly(_Q, a)
        far = np.flatnonzero(a >= 8.0)
        if far.size:
            af = a[far]
            yf = z[far] * _poly(_R, af) / _poly(_S, af)
            # exp(-x*x) is 0 from x = 28 on, so erfc is too; beyond ~1e51 the polynomials
            # overflow and 0 * inf / inf would be NaN (Cephes returns 0 there)
            yf[~(af < 28.0)] = 0.0
            y[far] = yf
        out[big] = y
    return out


def erfc(x: Any, *, out: np.ndarray | None = None) -> np.ndarray:
    """Complementary error function (``scipy.special.erfc``); ``out`` as for ``ndtri``."""
    x, flat, res = _prepare(x, out)
    n = flat.size
    size = min(n, _BLOCK) or 1
    ab, zz, num, den = (np.empty(size) for _ in range(4))
    mask = np.empty(size, dtype=bool)
    rest_at: list[np.ndarray] = []
    rest_x: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for start in range(0, n, size):
            stop = min(start + size, n)
            m = stop - start
            xb, ob = flat[start:stop], res[start:stop]
            mb = mask[:m]
            np.abs(xb, out=ab[:m])
            np.less(ab[:m], 1.0, out=mb)
            np.logical_not(mb, out=mb)
            at = np.flatnonzero(mb)
            if at.size:
                rest_at.append(at + start)
                rest_x.append(xb.take(at))
            _erf_small_into(xb, zz[:m], num[:m], den[:m], ob)
            np.subtract(1.0, ob, out=ob)
        if rest_at:
            at, xs = np.concatenate(rest_at), np.concatenate(rest_x)
            for start in range(0, at.size, _BLOCK):  # in cache-sized pieces too
                xr = xs[start : start + _BLOCK]
                y = _erfc_positive(np.abs(xr))
                np.subtract(2.0, y, out=y, where=xr < 0)
                y[np.isnan(xr)] = np.nan
                res[at[start : start + _BLOCK]] = y
    return _result(res.reshape(x.shape))


def ndtr(x: Any, *, out: np.ndarray | None = None) -> np.ndarray:
    """Standard normal CDF (``scipy.special.ndtr``), as Cephes computes it: ``(1 + erf)/2`` near
    0, else ``erfc/2`` of the lower tail (and one minus it for the upper). ``out`` as for
    ``ndtri``."""
    x, flat, res = _prepare(x, out)
    n = flat.size
    size = min(n, _BLOCK) or 1
    z, az, num, den = (np.empty(size) for _ in range(4))
    mask = np.empty(size, dtype=bool)
    rest_at: list[np.ndarray] = []
    rest_z: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for start in range(0, n, size):
            stop = min(start + size, n)
            m = stop - start
            ob = res[start:stop]
            zb, ab, mb = z[:m], az[:m], mask[:m]
            np.multiply(flat[start:stop], _SQRT1_2, out=zb)
            np.abs(zb, out=ab)
            np.less(ab, _SQRT1_2, out=mb)
            np.logical_not(mb, out=mb)
            at = np.flatnonzero(mb)
            if at.size:
                rest_at.append(at + start)
                rest_z.append(zb.take(at))
            _erf_small_into(zb, ab, num[:m], den[:m], ob)
            ob *= 0.5
            ob += 0.5  # 0.5 + 0.5 * erf, the same sum
        if rest_at:
            at, zs = np.concatenate(rest_at), np.concatenate(rest_z)
            for start in range(0, at.size, _BLOCK):  # in cache-sized pieces too
                zr = zs[start : start + _BLOCK]
                y = _erfc_positive(np.abs(zr))
                y *= 0.5
                np.subtract(1.0, y, out=y, where=zr > 0)
                y[np.isnan(zr)] = np.nan
                res[at[start : start + _BLOCK]] = y
    return _result(res.reshape(x.shape))


# --------------------------------------------------------------------------- incomplete gamma

_LOG_SQRT_2PI = 0.91893853320467274178


def _log_prefactor_const(a: np.ndarray) -> np.ndarray:
    """``a*log(a) - a - lgamma(a)``: by Stirling's series for a >= 10 (where the three terms
    would cancel to lose a few digits), else from ``math.lgamma``. The series runs to its
    a**-15 term: stopped at a**-9 it was 1.9e-14 off at a = 10 (and so was x)."""
    out = np.empty_like(a)
    big = a >= 10.0
    ab = a[big]
    inv, inv2 = 1.0 / ab, 1.0 / (ab * ab)
    # B_2k / (2k (2k - 1)), k = 8 down to 1, as a polynomial in 1 / a**2
    corr = np.full_like(ab, -3617 / 122400)
    for c in (1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12):
        corr *= inv2
        corr += c
    corr *= inv
    out[big] = 0.5 * np.log(ab) - _LOG_SQRT_2PI - corr
    out[~big] = [v * math.log(v) - v - math.lgamma(v) for v in a[~big].tolist()]
    return out


def _log_prefactor(a: np.ndarray | float, x: np.ndarray, const: np.ndarray | float) -> np.ndarray:
    """``log(x**a * exp(-x) / Gamma(a))`` as ``a*(log(x/a) - (x/a - 1)) + const``; near x = a
    through ``log1p`` so the two terms do not cancel. (Warnings silenced by the caller.)"""
    t = x - a
    t /= a
    inner = np.log1p(t)
    inner -= t
    far = np.flatnonzero(~(np.abs(t) < 0.5))  # few: x outside (a/2, 3a/2)
    if far.size:
        af = a if isinstance(a, float) else a[far]
        inner[far] = np.log(x[far] / af) - t[far]
    inner *= a
    inner += const
    return inner


# A loop packs its still-unconverged values into arrays of their own once this share of them
# (or all) has converged: fewer passes over values that are done, and each value keeps the sum
# it had when it converged. (Run on past convergence, Lentz's continued fraction drifts: its
# delta = d*c wobbles by a few ulps, so with thousands of values one always looked unconverged,
# the loop ran to its 5,000-term cap and h took a random walk of up to ~1e-12.)
_PACK_SHARE = 8
# Convergence is checked every _CHECK terms: a value done between checks takes at most
# _CHECK - 1 terms more, each below an ulp of its sum (the wobble above is a few ulps at most).
_CHECK = 4
_MAX_TERMS = 5000


def _series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``sum_n x**n / ((a+1)...(a+n))`` (n from 0), each value to its own convergence."""
    total_out = np.empty_like(x)
    live = np.arange(x.size)
    term = np.ones_like(x)
    total = np.ones_like(x)
    ratio = np.empty_like(x)
    n = 0.0
    while True:
        n += 1.0
        np.add(a, n, out=ratio)
        np.divide(x, ratio, out=ratio)
        term *= ratio
        total += term
        if n % _CHECK and n < _MAX_TERMS:
            continue
        going = term > 1e-17 * total
        if n >= _MAX_TERMS:
            going[:] = False
        left = np.flatnonzero(going)
        if left.size == live.size:
            continue
        if left.size * _PACK_SHARE > live.size * (_PACK_SHARE - 1) and left.size:
            continue  # few done: pack later (they are rechecked, and stay converged)
        total_out[live] = total
        if not left.size:
            return total_out
        live, x, a, term, total = live[left], x[left], a[left], term[left], total[left]
        ratio = ratio[left]


def _fraction(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Legendre's continued fraction ``1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...))`` for
    ``x >= a + 1`` by Lentz's method, each value to its own convergence."""
    h_out = np.empty_like(x)
    live = np.arange(x.size)
    # For x >= a + 1 every b_i = x + 2i + 1 - a is at least 2, so Lentz's guards against a
    # zero denominator are not needed.
    b = x + 1.0
    b -= a
    c = np.full_like(x, np.inf)  # c_0 = 1 / tiny, and an / c_0 = 0
    d = 1.0 / b
    h = d.copy()
    i = 0.0
    delta = np.empty_like(x)
    an = np.empty_like(x)
    while True:
        i += 1.0
        np.subtract(i, a, out=an)
        an *= -i
        b += 2.0
        d *= an
        d += b
        np.divide(1.0, d, out=d)
        np.divide(an, c, out=c)
        c += b
        np.multiply(d, c, out=delta)
        h *= delta
        if i % _CHECK and i < _MAX_TERMS:
            continue
        delta -= 1.0
        going = np.abs(delta, out=delta) > 3e-16  # one ulp is converged
        if i >= _MAX_TERMS:
            going[:] = False
        left = np.flatnonzero(going)
        if left.size == live.size:
            continue
        # values done but not yet packed may go on a few terms: by then each term is below
        # an ulp of h, and they are packed once an eighth of the values is done
        if left.size * _PACK_SHARE > live.size * (_PACK_SHARE - 1) and left.size:
            continue
        h_out[live] = h
        if not left.size:
            return h_out
        live, a, b, c, d, h = live[left], a[left], b[left], c[left], d[left], h[left]
        delta, an = delta[left], an[left]


# One shape: how many terms a series or fraction needs is known from its slowest value (the
# largest x for the series, the smallest for the fraction), found by running it on that value
# alone in plain floats. Every value then takes that many terms, the series by Horner's rule
# (two passes a term, no convergence checks), the fraction evaluated backwards (three passes a
# term, against eight for Lentz's method forwards plus its checks).


def _series_one_shape(a: float, x: np.ndarray) -> np.ndarray:
    """``sum_n x**n / ((a+1)...(a+n))`` for one shape, as a polynomial in ``x / max(x)``
    whose coefficients (the terms at the largest x) decrease and never overflow."""
    x_max = float(x.max())
    if math.isnan(x_max):
        return _series(np.full_like(x, a), x)
    if x_max == 0.0:
        return np.ones_like(x)
    coefs = [1.0]
    term = total = 1.0
    n = 0
    while n < _MAX_TERMS:
        n += 1
        term *= x_max / (a + n)
        total += term
        coefs.append(term)
        if not term > 1e-17 * total:
            break
    t = x / x_max
    out = np.full_like(x, coefs[-1])
    for c in reversed(coefs[:-1]):
        out *= t
        out += c
    return out


def _fraction_one_shape(a: float, x: np.ndarray) -> np.ndarray:
    """Legendre's continued fraction (as ``_fraction``) for one shape, evaluated backwards from
    as many terms as its smallest x needs forwards (by Lentz's test), and two more."""
    x_min = float(x.min())
    if math.isnan(x_min):
        return _fraction(np.full_like(x, a), x)
    n = 0
    if math.isfinite(x_min):
        b = x_min + 1.0 - a
        c, d = math.inf, 1.0 / b
        while n < _MAX_TERMS:
            n += 1
            an = -n * (n - a)
            b += 2.0
            d = 1.0 / (d * an + b)
            c = b + an / c
            if not abs(d * c - 1.0) > 3e-16:
                break
    n += 2
    # f_n = b_n, then f_{i-1} = b_{i-1} + a_i / f_i down to f_0; the fraction is 1 / f_0
    base = x + 1.0
    base -= a
    f = base + 2.0 * n
    for i in range(n, 0, -1):
        np.divide(-i * (i - a), f, out=f)
        f += base
        f += 2.0 * (i - 1)
    return np.divide(1.0, f, out=f)


def _log_f(
    a: np.ndarray | float, x: np.ndarray, const: np.ndarray | float, use_q: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``log Q(a, x)`` where ``use_q`` and ``log P(a, x)`` elsewhere (regularised upper and
    lower incomplete gamma), and ``log(x**a e**-x / Gamma(a))``, none of which underflows.

    The smaller of P and Q is computed directly (the series below ``a + 1``, Legendre's
    continued fraction above), the other, where asked for, as one minus it. For one shape
    (``a`` and ``const`` floats) every value takes as many terms as the slowest one needs;
    for several (arrays like ``x``) each stops at its own convergence. Warnings are silenced
    by the caller."""
    scalar = isinstance(a, float)
    log_pre = _log_prefactor(a, x, const)
    log_f = np.empty_like(x)
    lower = x < a + 1.0
    at = np.flatnonzero(lower)
    if at.size:
        xl = x[at]
        if scalar:
            total_out = _series_one_shape(a, xl)  # type: ignore[arg-type]
        else:
            total_out = _series(a[at], xl)  # type: ignore[index]
        al = a if scalar else a[at]  # type: ignore[index]
        lp = log_pre[at]
        lp -= np.log(al)
        lp += np.log(total_out)
        flip = np.flatnonzero(use_q[at])  # Q = 1 - P
        if flip.size:
            lp[flip] = np.log1p(-np.exp(lp[flip]))
        log_f[at] = lp
    at = np.flatnonzero(~lower)
    if at.size:
        xu = x[at]
        if scalar:
            h_out = _fraction_one_shape(a, xu)  # type: ignore[arg-type]
        else:
            h_out = _fraction(a[at], xu)  # type: ignore[index]
        lq = log_pre[at]
        lq += np.log(h_out)
        flip = np.flatnonzero(~use_q[at])  # P = 1 - Q
        if flip.size:
            lq[flip] = np.log1p(-np.exp(lq[flip]))
        log_f[at] = lq
    return log_f, log_pre


def gammainccinv(a: Any, y: Any) -> np.ndarray:
    """Inverse of the regularised upper incomplete gamma function in its second argument
    (``scipy.special.gammainccinv``): the x with ``Q(a, x) = y``, for ``a > 0`` and
    ``0 <= y <= 1`` (inf at 0, 0 at 1, NaN otherwise)."""
    a_arr, y_arr = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(y, dtype=float))
    shape = y_arr.shape
    av, yv = a_arr.ravel(), y_arr.ravel()
    out = np.full(av.shape, np.nan)
    out[(yv == 0) & (av > 0)] = np.inf
    out[(yv == 1) & (av > 0)] = 0.0
    todo = np.flatnonzero((av > 0) & (yv > 0) & (yv < 1) & np.isfinite(av))
    if todo.size:
        at = av[todo]
        # one shape for all (a reference model's sigma): a float, computed with once
        one = np.ndim(a) == 0 or bool((at == at[0]).all())
        with np.errstate(all="ignore"):
            out[todo] = _gammainccinv(float(at[0]) if one else at, yv[todo])
    return out.reshape(shape) if shape else out[0]


# One shape for many values (a reference model's 65,536 uniforms a chunk): the inverse is
# solved exactly on a grid spanning the values, and each value starts Halley's method from a
# cubic Hermite interpolant of log x there (slopes from the density, so the curve is matched to
# ~1e-9 relative at a = 19): one step then reaches full precision where the Wilson-Hilferty
# start needed two, halving the incomplete-gamma evaluations. The grid's coordinate is the
# smaller tail's r = sqrt(-2 log min(p, q)) (about |ndtri(q)|, without its cost), signed
# w = +-(r - r0) so that it runs through 0 at q = 1/2 (r0 = sqrt(2 log 2)); 0 is a node, so
# no interval straddles the two sides. Below _GRID_MIN values the grid costs more than it saves.
_GRID_MIN = 4096
_GRID_STEP = 0.125  # in w; the interpolant's error shrinks as its 4th power
_R0 = math.sqrt(2.0 * math.log(2.0))


def _grid_start(
    a: float, const: float, log_a: float, target: np.ndarray, use_q: np.ndarray
) -> np.ndarray | None:
    """The grid interpolant of the start ``s`` (log x) from each value's ``target`` (log of
    its smaller tail) and side; NaN or inf where it failed, None when the values span no
    grid. Warnings silenced by the caller."""
    w = np.multiply(target, -2.0)
    np.sqrt(w, out=w)
    w -= _R0
    np.negative(w, out=w, where=~use_q)
    w_lo, w_hi = float(w.min()), float(w.max())
    if not (math.isfinite(w_lo) and math.isfinite(w_hi)) or w_hi - w_lo < _GRID_STEP:
        return None
    h = _GRID_STEP
    k_lo = math.floor(w_lo / h)
    m = math.ceil(w_hi / h) - k_lo  # intervals
    wn = h * np.arange(k_lo, k_lo + m + 1, dtype=float)
    rn = np.abs(wn) + _R0
    tn = -0.5 * rn * rn
    un = wn >= 0.0
    # the nodes' own start (accuracy is not needed there, only a start)
    qn = np.where(un, np.exp(tn), -np.expm1(tn))
    zn = ndtri(qn)
    np.negative(zn, out=zn)
    sn = _halley(a, const, tn, un, _wilson_hilferty_start(a, const, log_a, zn, qn))
    # ds/dw = (ds/dtarget) (dtarget/dw): on either side r * exp(target - log_pre)
    dn = tn - _log_prefactor(a, np.exp(sn), const)
    np.exp(dn, out=dn)
    dn *= rn
    dn *= h  # slopes per interval length
    # per interval, s = c0 + t (c1 + t (c2 + t c3)) for t in [0, 1]
    s0, s1, d0, d1 = sn[:-1], sn[1:], dn[:-1], dn[1:]
    diff = s1 - s0
    c2 = 3.0 * diff - 2.0 * d0 - d1
    c3 = d0 + d1 - 2.0 * diff
    t = w
    t -= k_lo * h
    t /= h
    i = t.astype(np.intp)
    np.clip(i, 0, m - 1, out=i)
    t -= i
    start = np.take(c3, i)
    start *= t
    start += np.take(c2, i)
    start *= t
    start += np.take(d0, i)
    start *= t
    start += np.take(s0, i)
    return start


def _wilson_hilferty_start(
    a: np.ndarray | float,
    const: np.ndarray | float,
    log_a: np.ndarray | float,
    z: np.ndarray,
    q: np.ndarray,
) -> np.ndarray:
    """log x by Wilson-Hilferty (``z = -ndtri(q)``); where it fails (small a, far in the lower
    tail) ``P ~ x**a / Gamma(a + 1)``, i.e. ``log x = log a - 1 + (log p - const + log a) / a``.
    """
    scalar = isinstance(a, float)
    w = 1.0 / (9.0 * np.asarray(a)) if scalar else 1.0 / (9.0 * a)
    base = z * np.sqrt(w)
    base += 1.0 - w
    s = np.maximum(base, 1e-3)
    np.log(s, out=s)
    s *= 3.0
    s += log_a
    small = np.flatnonzero((base < 0.3) | (a < 1.0))
    if small.size:
        a_s = a if scalar else a[small]  # type: ignore[index]
        la = log_a if scalar else log_a[small]  # type: ignore[index]
        cs = const if scalar else const[small]  # type: ignore[index]
        s[small] = la - 1.0 + (np.log1p(-q[small]) - cs + la) / a_s
    return s


def _gammainccinv(a: np.ndarray | float, q: np.ndarray, *, grid: bool = True) -> np.ndarray:
    """The x with ``Q(a, x) = q``: Halley's method (``_halley``) from the grid's start (one
    shape, at least _GRID_MIN values, ``grid``) or Wilson-Hilferty's. ``a`` is one float (one
    shape for all) or an array like ``q``. Warnings silenced by the caller."""
    scalar = isinstance(a, float)
    use_q = q <= 0.5
    target = np.log(q)  # of the smaller tail: log q, or log p = log1p(-q) (1 - q is exact)
    np.log1p(-q, out=target, where=~use_q)
    if scalar:
        const: np.ndarray | float = float(_log_prefactor_const(np.array([a]))[0])
        log_a: np.ndarray | float = float(np.log(np.array([a]))[0])
    else:
        const = _log_prefactor_const(a)  # type: ignore[arg-type]
        log_a = np.log(a)
    s = None
    if scalar and grid and q.size >= _GRID_MIN:
        s = _grid_start(float(a), const, log_a, target, use_q)  # type: ignore[arg-type]
    if s is None:
        z = ndtri(q)
        np.negative(z, out=z)
        s = _wilson_hilferty_start(a, const, log_a, z, q)
    else:
        bad = np.flatnonzero(~np.isfinite(s))
        if bad.size:
            z = ndtri(q[bad])
            np.negative(z, out=z)
            s[bad] = _wilson_hilferty_start(a, const, log_a, z, q[bad])
    return np.exp(_halley(a, const, target, use_q, s))


def _halley(
    a: np.ndarray | float,
    const: np.ndarray | float,
    target: np.ndarray,
    use_q: np.ndarray,
    s: np.ndarray,
) -> np.ndarray:
    """Halley's method on ``log Q(a, e**s) = target`` where ``use_q`` (else ``log P``: the
    smaller of the two is matched), in ``s = log x`` from the start ``s`` (overwritten and
    returned): there the lower tail ``P ~ x**a / Gamma(a + 1)`` is a straight line and nothing
    underflows. Values leave the iteration as they converge; the ones still iterating are
    kept packed in arrays of their own. Warnings silenced by the caller."""
    scalar = isinstance(a, float)
    # the values still iterating, packed: their place in s, and their a, const, target, use_q
    idx = np.arange(s.size)
    sa = s.copy()
    aa, ca, ta, ua = a, const, target, use_q
    sign = np.where(use_q, -1.0, 1.0)  # dG/ds is negative where Q is matched
    last = np.full(s.size, np.inf)  # the previous step's size
    for _ in range(200):
        xa = np.exp(sa)
        log_f, log_pre = _log_f(aa, xa, ca, ua)
        g = log_f - ta
        # dG/ds = +-x * density / F = +-exp(log_pre - log F); the second derivative is
        # dG/ds * (a - x -+ x * density / F)
        d1 = log_pre
        d1 -= log_f
        np.exp(d1, out=d1)
        d1 *= sign  # exact
        d2 = aa - xa
        d2 -= d1
        d2 *= d1
        newton = g
        newton /= d1
        step = 0.5 * newton
        step *= d2
        step /= d1
        np.clip(step, -0.5, 0.5, out=step)
        np.subtract(1.0, step, out=step)
        np.divide(newton, step, out=step)
        bad = np.flatnonzero(~np.isfinite(step))
        np.clip(step, -2.0, 2.0, out=step)
        step[bad] = 0.0
        sa -= step
        # done at full precision, or once rounding noise stops the steps from shrinking
        size = np.abs(step, out=step)
        # Halley's error after a step of size e is about e**3: a step below 1e-6 leaves
        # nothing a float can hold, so the next evaluation is skipped
        last *= 0.5
        going = size < last
        going |= size >= 1.0
        going &= size > 1e-6
        keep = np.flatnonzero(going)
        if keep.size == idx.size:
            last = size
            continue
        s[idx] = sa
        if not keep.size:
            break
        idx, sa, last = idx[keep], sa[keep], size[keep]
        ta, ua, sign = ta[keep], ua[keep], sign[keep]
        if not scalar:
            aa, ca = aa[keep], ca[keep]  # type: ignore[index]
    else:
        s[idx] = sa
    return s
