"""ns/value of the NumPy special functions (model/special.py) and of the copula, on the inputs a
run gives them; side by side with the frozen pre-issue-18 copy (tests/_special_old.py) when it
is there, and with SciPy when it is installed. Prints a table; asserts nothing.

    python benchmarks/special.py            # 65,536 values (one chunk) per call
    python benchmarks/special.py -n 1000000
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from leapforecast._entry import _tune_process

_tune_process()  # one BLAS thread, as the command line runs

import numpy as np  # noqa: E402

from leapforecast.engine import sampling  # noqa: E402
from leapforecast.model import special  # noqa: E402
from leapforecast.model.distributions import U_MIN  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _old() -> ModuleType | None:
    path = ROOT / "tests" / "_special_old.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("_special_old", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scipy() -> Any:
    try:
        from scipy import special as sp
    except ImportError:
        return None
    return sp


def ns_per_value(fns: list[Callable[[], object]], n: int, repeats: int) -> list[float]:
    """Median ns/value of each function, timed round-robin so all see the same load."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    return [statistics.median(t) / n * 1e9 for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=65_536, help="values per call")
    parser.add_argument("--repeats", type=int, default=15)
    opts = parser.parse_args()
    n, reps = opts.n, opts.repeats
    rng = np.random.default_rng(0)
    u = np.clip(rng.random(n), U_MIN, 1 - U_MIN)  # a design row
    z = rng.standard_normal(n)  # what the copula hands ndtr
    e = z * 2.0  # erfc at the spread ndtr gives it (x / sqrt 2 of a normal), and beyond
    a_sigma = 19.0  # the default scenario's reference growth: sigma^2 = scale / Gamma(19)
    k = 4  # bear's copula: 4 correlated inputs of 10
    design = np.clip(rng.random((10, n)), U_MIN, 1 - U_MIN)
    rows = [0, 1, 4, 7]
    g = rng.standard_normal((k, k))
    factor = g / np.linalg.norm(g, axis=1, keepdims=True)

    old, sp = _old(), _scipy()
    cases: list[tuple[str, int, Callable[[Any], Callable[[], object]]]] = [
        ("ndtri (uniforms)", n, lambda m: lambda: m.ndtri(u)),
        ("ndtr (normals)", n, lambda m: lambda: m.ndtr(z)),
        ("erfc (2 x normals)", n, lambda m: lambda: m.erfc(e)),
        ("gammainccinv(19, u)", n, lambda m: lambda: m.gammainccinv(a_sigma, u)),
        # a weighted fit's fractional shape (issue 18: the frozen Lentz loop ran to its cap)
        ("gammainccinv(2.5, u)", n, lambda m: lambda: m.gammainccinv(2.5, u)),
        ("gammainccinv(19, 1000 u)", 1000, lambda m: lambda: m.gammainccinv(a_sigma, u[:1000])),
    ]
    print(f"{n:,} values per call, median of {reps}; load {os.getloadavg()[0]:.2f}")
    head = f"{'function':<24}{'now':>10}{'old':>10}{'old/now':>9}{'scipy':>10}"
    print(head)
    print("-" * len(head))
    for name, count, make in cases:
        mods = [m for m in (special, old, sp) if m is not None]
        got = dict(zip(mods, ns_per_value([make(m) for m in mods], count, reps), strict=True))
        nan = float("nan")
        now, before, ref = got[special], got.get(old, nan), got.get(sp, nan)
        print(f"{name:<24}{now:>10.1f}{before:>10.1f}{before / now:>9.2f}{ref:>10.1f}")

    def copula_now() -> None:
        sampling.correlate(design.copy(), rows, factor)

    def copula_old() -> None:
        if old is None:
            return
        d = design.copy()
        zz = old.ndtri(d[rows])
        d[rows] = np.clip(old.ndtr(factor @ zz), U_MIN, 1 - U_MIN)

    def copy_only() -> None:
        design.copy()

    base, now, before = ns_per_value([copy_only, copula_now, copula_old], k * n, reps)
    now, before = now - base, (before - base if old is not None else float("nan"))
    print(f"{'correlate (4 of 10)':<24}{now:>10.1f}{before:>10.1f}{before / now:>9.2f}{'':>10}")
    print("ns per value (correlate: per correlated value, the design's copy subtracted)")


if __name__ == "__main__":
    main()
