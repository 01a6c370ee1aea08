"""Benchmarks: ratios measured side by side in one run, each the median of several repeats.

    python benchmarks/run.py            # full run (about two minutes on 2 cores)
    python benchmarks/run.py --quick    # fewer repeats, smaller 'large' runs
    python benchmarks/run.py --split    # where the engine's time goes, component by component

Ratios, not seconds, are what compare across machines:
- engine time for 1M paths x 5 years of the base scenario / drawing 5M normals with NumPy
  (the RNG floor: no engine can simulate the noise faster than it can draw it);
- `leapforecast --help` and a default `leapforecast run` as whole processes /
  `python -c "import numpy"`;
- peak RSS of a 10M-path run (absolute, MiB);
- `--jobs 2` / `--jobs 1` wall time for 10M paths;
- the same model written the usual way (a per-path Python loop; the `monaco` library if installed)
  / ours, at equal paths.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import leapforecast as lf
from leapforecast.engine.run import simulate

PY = sys.executable


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def process(args: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of a whole child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"benchmark command failed: {' '.join(args)}\n{proc.stderr.read().decode()}"
        )
    return wall, usage.ru_maxrss


def median_process(args: list[str], repeats: int) -> tuple[float, int]:
    runs = [process(args) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


# --------------------------------------------------------------------------- peers


def python_loop(paths: int, seed: int) -> float:
    """The base scenario's model, one path at a time, as a spreadsheet-minded script would."""
    import random

    from scipy.stats import beta

    rng = random.Random(seed)
    a, b = 1 + 4 * (0.40 - 0.15) / 0.60, 1 + 4 * (0.75 - 0.40) / 0.60
    pert = beta(a, b, loc=0.15, scale=0.60)
    hits = 0
    for _ in range(paths):
        rate = float(pert.ppf(rng.random()))
        cap = rng.uniform(900_000, 1_200_000)
        level = 596_555.0
        for t in range(5):
            r_t = 0.10 + (rate - 0.10) * 0.5 ** (t / 2)
            level *= math.exp(math.log1p(r_t) + 0.10 * rng.gauss(0, 1))
            if t == 0:
                level *= 1 + rng.triangular(-0.08, -0.01, -0.04)
                if rng.random() < 0.7:
                    level *= 1 + rng.triangular(-0.05, 0.0, -0.02)
            else:
                cap *= 1.15
            sales = min(level, cap)
            if t == 0 and sales >= 1_000_000:
                hits += 1
    return hits / paths


def monaco_run(paths: int, seed: int) -> float | None:
    try:
        import monaco as mc
        from scipy.stats import beta, uniform
    except ImportError:
        return None

    a, b = 1 + 4 * (0.40 - 0.15) / 0.60, 1 + 4 * (0.75 - 0.40) / 0.60

    def pre(case):
        return (case.invals["rate"].val, case.invals["cap"].val, case.seed)

    def run(rate, cap, case_seed):
        rng = np.random.default_rng(case_seed)
        level, out = 596_555.0, []
        for t in range(5):
            r_t = 0.10 + (rate - 0.10) * 0.5 ** (t / 2)
            level *= math.exp(math.log1p(r_t) + 0.10 * rng.standard_normal())
            if t == 0:
                level *= 1 + rng.triangular(-0.08, -0.04, -0.01)
                if rng.random() < 0.7:
                    level *= 1 + rng.triangular(-0.05, -0.02, 0.0)
            else:
                cap *= 1.15
            out.append(min(level, cap))
        return (out[0],)

    def post(case, first):
        case.addOutVal("first", first)

    sim = mc.Sim(
        name="bench",
        ndraws=paths,
        fcns={"preprocess": pre, "run": run, "postprocess": post},
        seed=seed,
        singlethreaded=True,
        verbose=False,
        samplemethod="random",
    )
    sim.addInVar("rate", dist=beta, distkwargs={"a": a, "b": b, "loc": 0.15, "scale": 0.60})
    sim.addInVar("cap", dist=uniform, distkwargs={"loc": 900_000, "scale": 300_000})
    sim.runSim()
    return float(np.mean(np.asarray(sim.outvars["first"].nums) >= 1_000_000))


# --------------------------------------------------------------------------- time split


def split(repeats: int) -> None:
    """Where the engine's time goes, 1M paths x 5 years of base (minimum of repeats)."""
    from leapforecast.engine.kernel import chunk_sizes, draw_inputs, simulate_chunk
    from leapforecast.engine.plan import compile_plan
    from leapforecast.engine.reduction import year_quantiles
    from leapforecast.engine.sampling import stream

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    sc5 = lf.load_scenario(horizon=2030)
    simulate(sc5, paths=20_000)
    plan, sizes = compile_plan(sc5), chunk_sizes(1_000_000)
    T = len(plan.years)
    whole = best(lambda: simulate(sc5, paths=1_000_000, seed=1))
    noise = best(
        lambda: [
            stream(1, c, "noise.total").standard_normal((T, n), dtype=np.float32)
            for c, n in enumerate(sizes)
        ]
    )
    inputs = best(
        lambda: [
            draw_inputs(plan, n, seed=1, chunk=c, sampling="random", arrays=False)
            for c, n in enumerate(sizes)
        ]
    )
    chunks = best(
        lambda: [simulate_chunk(plan, c, n, seed=1, sampling="random") for c, n in enumerate(sizes)]
    )
    totals = np.ascontiguousarray(simulate(sc5, paths=1_000_000, seed=1).totals.T)
    quantiles = best(lambda: year_quantiles(totals))
    rows = [
        ("whole run (simulate)", whole),
        ("noise: float32 normals", noise),
        ("path-level inputs: uniforms and quantile functions", inputs),
        ("the loop over years (chunks - noise - inputs)", chunks - noise - inputs),
        ("exact quantiles of the stored totals", quantiles),
    ]
    width = max(len(name) for name, _ in rows)
    print("where the engine's time goes, 1M paths x 5 years (minimum of repeats):")
    for name, seconds in rows:
        print(f"  {name:<{width}}  {seconds:.3f} s")


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats and a 2M-path 'large' run"
    )
    parser.add_argument(
        "--split", action="store_true", help="only the engine's time split, by component"
    )
    opts = parser.parse_args()
    if opts.split:
        split(15)
        return
    repeats = 3 if opts.quick else 5
    large = 2_000_000 if opts.quick else 10_000_000
    rows: list[tuple[str, str, str]] = []

    sc5 = lf.load_scenario(horizon=2030)  # 5 forecast years
    simulate(sc5, paths=20_000)  # warm caches (beta tables, imports)
    engine = median_time(lambda: simulate(sc5, paths=1_000_000, seed=1), repeats)
    rng = np.random.default_rng(1)
    floor = median_time(lambda: rng.standard_normal(5_000_000), repeats)
    rows.append(
        (
            "engine 1M paths x 5 years / 5M normal draws",
            f"{engine / floor:.1f}x",
            f"{engine:.3f} s / {floor:.3f} s (goal: within 3x)",
        )
    )
    engine2 = median_time(lambda: simulate(sc5, paths=1_000_000, seed=1, jobs=2), repeats)
    rows.append(
        ("engine with 2 threads / RNG floor", f"{engine2 / floor:.1f}x", f"{engine2:.3f} s")
    )

    numpy_import = median_process([PY, "-c", "import numpy"], repeats)[0]
    help_time = median_process([PY, "-m", "leapforecast", "--help"], repeats)[0]
    run_time = median_process([PY, "-m", "leapforecast", "run"], repeats)[0]
    rows.append(
        (
            "`leapforecast --help` / `import numpy`",
            f"{help_time / numpy_import:.1f}x",
            f"{help_time:.3f} s / {numpy_import:.3f} s (goal: help < 0.25 s)",
        )
    )
    rows.append(
        (
            "default `leapforecast run` / `import numpy`",
            f"{run_time / numpy_import:.1f}x",
            f"{run_time:.3f} s (goal: < 0.6 s)",
        )
    )

    big = [PY, "-m", "leapforecast", "run", "--paths", str(large), "--horizon", "2030", "-f", "csv"]
    big_repeats = 1 if opts.quick else 3
    wall1, rss1 = median_process(big + ["--jobs", "1"], big_repeats)
    wall2, rss2 = median_process(big + ["--jobs", "2"], big_repeats)
    rows.append(
        (
            f"peak RSS, {large / 1e6:g}M paths x 5 years",
            f"{max(rss1, rss2) / 1024:.0f} MiB",
            "goal: < 1 GiB",
        )
    )
    rows.append(
        (
            f"--jobs 2 / --jobs 1 wall, {large / 1e6:g}M paths",
            f"{wall2 / wall1:.2f}",
            f"{wall2:.2f} s / {wall1:.2f} s",
        )
    )

    peer_paths = 5_000
    ours = median_time(lambda: simulate(sc5, paths=peer_paths, seed=1), repeats)
    loop = median_time(lambda: python_loop(peer_paths, 1), 1 if opts.quick else 3)
    rows.append(
        (
            f"per-path Python loop / ours, {peer_paths:,} paths",
            f"{loop / ours:.0f}x",
            f"{loop:.3f} s / {ours:.4f} s",
        )
    )
    start = time.perf_counter()
    mon = monaco_run(peer_paths, 1)
    if mon is None:
        rows.append(("monaco / ours", "n/a", "monaco not installed (pip install monaco)"))
    else:
        mon_time = time.perf_counter() - start
        rows.append(
            (
                f"monaco / ours, {peer_paths:,} paths",
                f"{mon_time / ours:.0f}x",
                f"{mon_time:.2f} s / {ours:.4f} s",
            )
        )

    print(
        f"leapforecast {lf.__version__}  python {platform.python_version()}  "
        f"{os.cpu_count()} cores  {platform.machine()}  {time.strftime('%Y-%m-%d')}"
    )
    width = max(len(r[0]) for r in rows)
    for name, ratio, note in rows:
        print(f"{name:<{width}}  {ratio:>9}  {note}")


if __name__ == "__main__":
    main()
