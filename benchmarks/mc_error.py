"""Is the reported Monte Carlo standard error honest? A check across seeds.

For each scenario and sampling method, run the same scenario with ``--seeds`` different seeds
and compare the spread of a probability across seeds (its true Monte Carlo error) with the mean
s.e. the runs reported. If the s.e. is right, (seeds - 1) * (sd / mean s.e.)^2 follows a
chi-square law with seeds - 1 degrees of freedom, so it should fall in that law's 99% interval
(for 200 seeds: the ratio sd / s.e. within about 0.88-1.13). The binomial s.e. sqrt(p(1-p)/n) is
shown beside it: right for random sampling, too large for Latin hypercube and Sobol designs.

    python benchmarks/mc_error.py                       # base and outside-view-peers, 200 seeds
    python benchmarks/mc_error.py --paths 20000 --seeds 100 builtin:bull

Cells are every (target, year) whose mean probability lies in [0.02, 0.98]; the one marked
``*`` is the headline cell (probability nearest 0.5) that tests/test_mc_error.py checks.
Prints one row per cell; exits 1 if a headline cell fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

import leapforecast as lf
from leapforecast.engine.run import simulate

METHODS = ("random", "lhs", "sobol")


@dataclass
class Cell:
    scenario: str
    method: str
    target: int
    year: int
    mean_p: float
    sd: float  # across seeds
    mean_se: float  # mean reported s.e.
    mean_binomial: float  # mean binomial s.e. sqrt(p(1-p)/n)
    seeds: int
    headline: bool = False

    @property
    def ratio(self) -> float:
        return self.sd / self.mean_se if self.mean_se > 0 else float("nan")

    @property
    def binomial_ratio(self) -> float:
        return self.sd / self.mean_binomial if self.mean_binomial > 0 else float("nan")

    @property
    def statistic(self) -> float:
        return (self.seeds - 1) * self.ratio**2

    def passes(self, level: float = 0.99) -> bool:
        lo, hi = chi_interval(self.seeds, level)
        return bool(lo <= self.statistic <= hi)


def chi_interval(seeds: int, level: float = 0.99) -> tuple[float, float]:
    """The central ``level`` interval of chi-square with seeds - 1 degrees of freedom."""
    a = (1 - level) / 2
    return float(chi2.ppf(a, seeds - 1)), float(chi2.ppf(1 - a, seeds - 1))


def measure(scenario: str, method: str, *, paths: int, seeds: int, first: int = 0) -> list[Cell]:
    """Run ``seeds`` seeds and return the cells with a mean probability in [0.02, 0.98]."""
    sc = lf.load_scenario(scenario, sampling=method)
    ps, ses = [], []
    years: list[int] = []
    targets: list[int] = []
    for seed in range(first, first + seeds):
        r = simulate(sc, paths=paths, seed=seed)
        ps.append(r.prob_ge)
        ses.append(r.se_ge)
        years, targets = r.years, r.targets
    p, se = np.array(ps), np.array(ses)
    mean_p = p.mean(axis=0)
    binom = np.sqrt(p * (1 - p) / paths).mean(axis=0)
    cells = []
    for k, target in enumerate(targets):
        for t, year in enumerate(years):
            if not 0.02 <= mean_p[k, t] <= 0.98:
                continue
            cells.append(
                Cell(
                    scenario,
                    method,
                    target,
                    year,
                    float(mean_p[k, t]),
                    float(p[:, k, t].std(ddof=1)),
                    float(se[:, k, t].mean()),
                    float(binom[k, t]),
                    seeds,
                )
            )
    if cells:
        min(cells, key=lambda c: abs(c.mean_p - 0.5)).headline = True
    return cells


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenarios", nargs="*", default=["builtin:base", "builtin:outside-view-peers"])
    ap.add_argument("--paths", type=int, default=4096)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--methods", default=",".join(METHODS))
    args = ap.parse_args(argv)
    lo, hi = chi_interval(args.seeds)
    print(
        f"{args.seeds} seeds x {args.paths:,} paths; pass: (seeds-1)*ratio^2 in "
        f"[{lo:.1f}, {hi:.1f}] (ratio {np.sqrt(lo / (args.seeds - 1)):.3f}-"
        f"{np.sqrt(hi / (args.seeds - 1)):.3f})"
    )
    print(
        f"{'scenario':28} {'method':7} {'cell':>18} {'mean p':>7} {'sd':>9} {'mean se':>9}"
        f" {'sd/se':>6} {'sd/binom':>8}  pass"
    )
    failed = False
    for scenario in args.scenarios:
        for method in args.methods.split(","):
            t0 = time.perf_counter()
            cells = measure(scenario, method, paths=args.paths, seeds=args.seeds)
            took = time.perf_counter() - t0
            for c in cells:
                ok = c.passes()
                failed |= c.headline and not ok
                print(
                    f"{scenario:28} {method:7} {f'>={c.target:,} {c.year}':>18}"
                    f"{'*' if c.headline else ' '}{c.mean_p:7.4f} {c.sd:9.6f} {c.mean_se:9.6f}"
                    f" {c.ratio:6.3f} {c.binomial_ratio:8.3f}  {'yes' if ok else 'NO'}"
                )
            print(f"  ({took:.1f} s)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
