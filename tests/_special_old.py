"""FROZEN copy of leapforecast/model/special.py before the speed-up of issue 18 (commit 9ea3efc),
kept only so tests/test_special_bits.py can prove the new code bit-identical to it. Do not edit.

The few special functions a default run needs, in NumPy alone: ``ndtri``, ``ndtr``, ``erfc``
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
  ``a + 1``, Legendre's continued fraction above it), started from the Wilson-Hilferty
  approximation, with the prefactor ``x**a * exp(-x) / Gamma(a)`` written as
  ``exp(a * (log1p(t) - t)) * C(a)`` (``t = x/a - 1``) so that it does not cancel.

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


def _poly(coefs: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    """Horner's rule, highest power first."""
    out = np.full_like(x, coefs[0])
    for c in coefs[1:]:
        out *= x
        out += c
    return out


def ndtri(p: Any) -> np.ndarray:
    """Standard normal quantile (``scipy.special.ndtri``): -inf at 0, inf at 1, NaN outside."""
    p = np.asarray(p, dtype=float)
    q = p - 0.5
    out = np.empty_like(q)
    central = np.abs(q) <= 0.425
    if central.any():
        qc = q[central]
        r = 0.180625 - qc * qc
        out[central] = qc * _poly(_A, r) / _poly(_B, r)
    tail = ~central
    if tail.any():
        qt = q[tail]
        r = np.where(qt < 0, p[tail], 0.5 - qt)  # the smaller tail; 0.5 - q is 1 - p, exactly
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.sqrt(-np.log(r))
        near = r <= 5.0
        x = np.empty_like(r)
        rn = r[near] - 1.6
        x[near] = _poly(_C, rn) / _poly(_D, rn)
        rf = r[~near] - 5.0
        with np.errstate(invalid="ignore"):  # r = inf at p = 0 or 1: set below
            x[~near] = _poly(_E, rf) / _poly(_F, rf)
        x = np.where(qt < 0, -x, x)
        x = np.where(r == np.inf, np.copysign(np.inf, qt), x)  # p == 0 or p == 1
        out[tail] = x
    out[~((p >= 0) & (p <= 1))] = np.nan
    return out if out.ndim else out[()]


def _exp_minus_square(x: np.ndarray) -> np.ndarray:
    """``exp(-x*x)`` without the rounding of ``x*x`` (relative 1e-16 * x**2 in the result):
    x = h + l with h a multiple of 1/64, so ``h*h`` is exact and ``l*(2h + l)`` small."""
    h = np.floor(x * 64.0 + 0.5) / 64.0
    with np.errstate(invalid="ignore", under="ignore"):  # x = inf: NaN, replaced by the caller
        lo = x - h
        return np.exp(-h * h) * np.exp(-lo * (2.0 * h + lo))


def _erf_small(x: np.ndarray) -> np.ndarray:
    z = x * x
    return x * _poly(_T, z) / _poly(_U, z)


def _erfc_positive(ax: np.ndarray) -> np.ndarray:
    """erfc for ``ax >= 0``: one minus erf below 1, as Cephes does (zero once it underflows)."""
    out = np.empty_like(ax)
    below = ax < 1.0
    out[below] = 1.0 - _erf_small(ax[below])
    mid = ~below & (ax < 8.0)
    far = ax >= 8.0
    z = _exp_minus_square(ax)
    a, zm = ax[mid], z[mid]
    out[mid] = zm * _poly(_P, a) / _poly(_Q, a)
    a, zf = ax[far], z[far]
    with np.errstate(invalid="ignore"):
        out[far] = np.where(a == np.inf, 0.0, zf * _poly(_R, a) / _poly(_S, a))
    return out


def erfc(x: Any) -> np.ndarray:
    """Complementary error function (``scipy.special.erfc``)."""
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    out = np.empty_like(x)
    small = ax < 1.0
    out[small] = 1.0 - _erf_small(x[small])
    big = ~small & ~np.isnan(x)
    y = _erfc_positive(ax[big])
    out[big] = np.where(x[big] < 0, 2.0 - y, y)
    out[np.isnan(x)] = np.nan
    return out if out.ndim else out[()]


def ndtr(x: Any) -> np.ndarray:
    """Standard normal CDF (``scipy.special.ndtr``), as Cephes computes it: ``(1 + erf)/2`` near
    0, else ``erfc/2`` of the lower tail (and one minus it for the upper)."""
    x = np.asarray(x, dtype=float)
    z = x * _SQRT1_2
    az = np.abs(z)
    out = np.empty_like(x)
    near = az < _SQRT1_2
    out[near] = 0.5 + 0.5 * _erf_small(z[near])
    far = ~near & ~np.isnan(x)
    y = 0.5 * _erfc_positive(az[far])
    out[far] = np.where(z[far] > 0, 1.0 - y, y)
    out[np.isnan(x)] = np.nan
    return out if out.ndim else out[()]


# --------------------------------------------------------------------------- incomplete gamma

_LOG_SQRT_2PI = 0.91893853320467274178


def _log_prefactor_const(a: np.ndarray) -> np.ndarray:
    """``a*log(a) - a - lgamma(a)``: by Stirling's series for a >= 10 (where the three terms
    would cancel to lose a few digits), else from ``math.lgamma``."""
    out = np.empty_like(a)
    big = a >= 10.0
    ab = a[big]
    inv, inv2 = 1.0 / ab, 1.0 / (ab * ab)
    corr = inv * (
        1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188))))
    )
    out[big] = 0.5 * np.log(ab) - _LOG_SQRT_2PI - corr
    out[~big] = [v * math.log(v) - v - math.lgamma(v) for v in a[~big].tolist()]
    return out


def _log_prefactor(a: np.ndarray, x: np.ndarray, const: np.ndarray) -> np.ndarray:
    """``log(x**a * exp(-x) / Gamma(a))`` as ``a*(log(x/a) - (x/a - 1)) + const``; near x = a
    through ``log1p`` so the two terms do not cancel."""
    t = (x - a) / a
    with np.errstate(divide="ignore"):
        inner = np.where(np.abs(t) < 0.5, np.log1p(t) - t, np.log(x / a) - t)
    return a * inner + const


def _log_gamma_pq(
    a: np.ndarray, x: np.ndarray, const: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``log P(a, x)``, ``log Q(a, x)`` (regularised lower and upper incomplete gamma) and
    ``log(x**a e**-x / Gamma(a))``, none of which underflows.

    The smaller of P and Q is computed directly (the series below ``a + 1``, Legendre's
    continued fraction by Lentz's method above), the other as one minus it."""
    log_pre = _log_prefactor(a, x, const)
    log_p = np.empty_like(x)
    log_q = np.empty_like(x)
    lower = x < a + 1.0
    if lower.any():
        al, xl = a[lower], x[lower]
        term = np.ones_like(xl)
        total = np.ones_like(xl)
        n = 0.0
        while True:
            n += 1.0
            term *= xl / (al + n)
            total += term
            if n >= 5000 or not (term > 1e-17 * total).any():
                break
        lp = log_pre[lower] - np.log(al) + np.log(total)
        log_p[lower] = lp
        with np.errstate(divide="ignore"):
            log_q[lower] = np.log1p(-np.exp(lp))
    upper = ~lower
    if upper.any():
        au, xu = a[upper], x[upper]
        # For x >= a + 1 every b_i = x + 2i + 1 - a is at least 2, so Lentz's guards against
        # a zero denominator are not needed.
        b = xu + 1.0 - au
        c = np.full_like(xu, np.inf)  # c_0 = 1 / tiny, and an / c_0 = 0
        d = 1.0 / b
        h = d.copy()
        i = 0.0
        delta = np.empty_like(xu)
        while True:
            i += 1.0
            an = -i * (i - au)
            b += 2.0
            d *= an
            d += b
            np.divide(1.0, d, out=d)
            c = b + an / c
            np.multiply(d, c, out=delta)
            h *= delta
            if i >= 5000 or not (np.abs(delta - 1.0) > 3e-16).any():  # one ulp is converged
                break
        lq = log_pre[upper] + np.log(h)
        log_q[upper] = lq
        with np.errstate(divide="ignore"):
            log_p[upper] = np.log1p(-np.exp(lq))
    return log_p, log_q, log_pre


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
        out[todo] = _gammainccinv(av[todo], yv[todo])
    return out.reshape(shape) if shape else out[0]


def _gammainccinv(a: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Halley's method on ``log Q(a, e**s) = log q`` (or ``log P = log p`` when q > 1/2, so
    that the smaller of the two is matched), in ``s = log x``: there the lower tail
    ``P ~ x**a / Gamma(a + 1)`` is a straight line and nothing underflows."""
    use_q = q <= 0.5
    target = np.where(use_q, np.log(q), np.log1p(-q))  # 1 - q is exact where it is used
    const = _log_prefactor_const(a)
    # Wilson-Hilferty start; where it fails (small a, far in the lower tail) P ~ x**a /
    # Gamma(a + 1), i.e. log x = log a - 1 + (log p - const + log a) / a
    z = -ndtri(q)
    w = 1.0 / (9.0 * a)
    base = 1.0 - w + z * np.sqrt(w)
    s = np.log(a) + 3.0 * np.log(np.maximum(base, 1e-3))
    small = (base < 0.3) | (a < 1.0)
    log_p = np.where(use_q, np.log1p(-q), target)
    s = np.where(small, np.log(a) - 1.0 + (log_p - const + np.log(a)) / a, s)
    active = np.arange(s.size)
    last = np.full(s.size, np.inf)  # the previous step's size
    for _ in range(200):
        sa, aa = s[active], a[active]
        xa = np.exp(sa)
        log_p, log_q, log_pre = _log_gamma_pq(aa, xa, const[active])
        uq = use_q[active]
        log_f = np.where(uq, log_q, log_p)
        g = log_f - target[active]
        # dG/ds = +-x * density / F = +-exp(log_pre - log F); the second derivative is
        # dG/ds * (a - x -+ x * density / F)
        with np.errstate(over="ignore", invalid="ignore"):
            k = np.exp(log_pre - log_f)
            d1 = np.where(uq, -k, k)
            d2 = d1 * (aa - xa - d1)
            newton = g / d1
            step = newton / (1.0 - np.clip(0.5 * newton * d2 / d1, -0.5, 0.5))
        step = np.where(np.isfinite(step), np.clip(step, -2.0, 2.0), 0.0)
        s[active] = sa - step
        # done at full precision, or once rounding noise stops the steps from shrinking
        size = np.abs(step)
        # Halley's error after a step of size e is about e**3: a step below 1e-6 leaves
        # nothing a float can hold, so the next evaluation is skipped
        shrinking = (size >= 1.0) | (size < 0.5 * last[active])
        going = (size > 1e-6) & shrinking
        last[active] = size
        active = active[going]
        if not active.size:
            break
    return np.exp(s)
