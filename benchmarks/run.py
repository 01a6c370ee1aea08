"""Benchmarks: ratios measured side by side in one run, each the median of several repeats.

    python benchmarks/run.py            # full run (about two minutes on 2 cores)
    python benchmarks/run.py --quick    # fewer repeats, smaller 'large' runs
    python benchmarks/run.py --split    # where the engine's time goes, component by component

Ratios, not seconds, are what compare across machines:
- engine time for 1M paths x 5 years of the base scenario / drawing 5M normals with NumPy
  (the RNG floor: no engine can simulate the noise faster than it can draw it);
- start-up: `--help`, a default `run`, `validate`, `history`, `scenarios` as whole processes /
  `python -c "import numpy"`, interleaved so each ratio is side by side: the first (cold) call
  of each in this benchmark and the median of the warm repeats, wall and CPU (user + sys);
- every command at its defaults (nowcast, nowcast --backtest, sensitivity, fit, compare of all
  bundled scenarios, backtest): seconds, cold and warm, against the 1 s goal;
- per path-year, `base` split into two segments sharing its inputs / `base` (what a segment
  costs), and two-segment `bear` / one-segment `base` at 1M paths;
- `sweep` (a grid), `compare` and `sensitivity` with `--jobs 2` / `--jobs 1`;
- peak RSS of a 10M-path run (absolute, MiB);
- `--jobs 2` / `--jobs 1` wall time for 10M paths;
- the same model written the usual way (a per-path Python loop; the `monaco` library if installed)
  / ours, at equal paths.
"""

from __future__ import annotations

import argparse
import compileall
import math
import os
import platform
import statistics
import subprocess
import sys
import time

# The command line's process settings (one BLAS thread, glibc heap thresholds) for the
# in-process timings too, set before NumPy loads, as `leapforecast` does.
from leapforecast._entry import _tune_process

_tune_process()

import numpy as np  # noqa: E402

import leapforecast as lf  # noqa: E402
from leapforecast.engine.run import simulate  # noqa: E402

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


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of a whole child process, output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:  # e.g. an option an older version lacks
        return math.nan, math.nan
    return wall, usage.ru_utime + usage.ru_stime


def side_by_side(
    commands: dict[str, list[str]], repeats: int
) -> dict[str, tuple[float, float, float, float]]:
    """(cold wall, cold cpu, warm median wall, warm median cpu) of each command, run round-robin
    so every command sees the same load; the first round is the cold one."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeats + 1):
        for name, args in commands.items():
            runs[name].append(timed(args))
    out = {}
    for name, times in runs.items():
        warm = times[1:]
        out[name] = (
            times[0][0],
            times[0][1],
            statistics.median(w for w, _ in warm),
            statistics.median(c for _, c in warm),
        )
    return out


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


LF = [PY, "-m", "leapforecast"]
SCENARIOS = [
    "base",
    "bear",
    "bull",
    "capacity-bound",
    "consensus",
    "management-plan",
    "outside-view",
    "outside-view-peers",
]


_CLI_STACK = "import typer.main, rich.console, rich.table"
_PYDANTIC = "from pydantic import BaseModel"


def startup_rows(repeats: int) -> list[tuple[str, str, str]]:
    cmds = {
        "import numpy": [PY, "-c", "import numpy"],
        "--help": [*LF, "--help"],
        "run": [*LF, "run"],
        "validate": [*LF, "validate", "base"],
        "history": [*LF, "history"],
        "scenarios": [*LF, "scenarios"],
    }
    # What no leapforecast code can go below: the libraries the commands import before they do
    # any work (the project's stack: NumPy, Typer and Rich; Pydantic for the scenario language).
    floors = {
        "numpy + typer + rich": [PY, "-c", f"import numpy; {_CLI_STACK}"],
        "numpy + typer + rich + pydantic": [PY, "-c", f"import numpy; {_CLI_STACK}; {_PYDANTIC}"],
        "typer + rich + pydantic": [PY, "-c", f"{_CLI_STACK}; {_PYDANTIC}"],
    }
    t = side_by_side({**cmds, **floors}, repeats)
    base = t["import numpy"]
    rows = []
    for name in floors:
        cw, cc, ww, wc = t[name]
        rows.append(
            (
                f"floor: import {name} / `import numpy` (warm wall)",
                f"{ww / base[2]:.2f}x",
                f"cold {cw / base[0]:.2f}x; {ww:.3f} s (no goal: the libraries alone)",
            )
        )
    for name in list(cmds)[1:]:
        cw, cc, ww, wc = t[name]
        goal = 2.0 if name == "run" else 1.5
        rows.append(
            (
                f"start-up `{name}` / `import numpy` (warm wall)",
                f"{ww / base[2]:.2f}x",
                f"cold {cw / base[0]:.2f}x, warm cpu {wc / base[3]:.2f}x; "
                f"{ww:.3f} s / {base[2]:.3f} s (goal <= {goal}x)",
            )
        )
    return rows


def command_rows(repeats: int) -> list[tuple[str, str, str]]:
    cmds = {
        "nowcast": [*LF, "nowcast"],
        "nowcast --backtest": [*LF, "nowcast", "--backtest"],
        "sensitivity": [*LF, "sensitivity"],
        "fit": [*LF, "fit"],
        "compare (all bundled)": [*LF, "compare", *SCENARIOS],
        "backtest": [*LF, "backtest"],
    }
    t = side_by_side(cmds, repeats)
    return [
        (
            f"`{name}` at its defaults",
            f"{ww:.2f} s",
            f"cold {cw:.2f} s, warm cpu {wc:.2f} s (goal < 1 s)",
        )
        for name, (cw, cc, ww, wc) in t.items()
    ]


# base with its sales split into two segments that share its growth and events: the same inputs,
# so the ratio to base is what a second segment costs (bear adds inputs, events and a copula too)
_SPLIT_BASE = """[scenario]
name = "base-two-segments"
description = "base, its sales split into two segments sharing its growth"
extends = "builtin:base"

[segment.overseas]
base = 67_000

[segment.china]
"""


def segment_rows(repeats: int) -> list[tuple[str, str, str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        split = os.path.join(tmp, "split.toml")
        with open(split, "w") as f:
            f.write(_SPLIT_BASE)
        runs = {
            "base": lf.load_scenario("base", horizon=2030),
            "split": lf.load_scenario(split, horizon=2030),
            "bear": lf.load_scenario("bear", horizon=2030),
        }
    for sc in runs.values():
        simulate(sc, paths=20_000)
    paths = 1_000_000
    t: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):  # interleaved: the same load for all
        for name, sc in runs.items():
            start = time.perf_counter()
            simulate(sc, paths=paths, seed=1)
            t[name].append(time.perf_counter() - start)
    per = {name: statistics.median(v) / (paths * len(runs[name].years)) for name, v in t.items()}
    return [
        (
            "per path-year: base split in two segments / base, 1M paths",
            f"{per['split'] / per['base']:.2f}x",
            f"{per['split'] * 1e9:.0f} ns / {per['base'] * 1e9:.0f} ns (goal <= 2x: same "
            "inputs, one more segment)",
        ),
        (
            "per path-year: two-segment bear / one-segment base, 1M paths",
            f"{per['bear'] / per['base']:.2f}x",
            f"{per['bear'] * 1e9:.0f} ns / {per['base'] * 1e9:.0f} ns (bear also has twice "
            "the inputs, more events and a copula)",
        ),
    ]


def parallel_rows(repeats: int, grid: int) -> list[tuple[str, str, str]]:
    stop = 0.05 + 0.01 * (grid - 1)
    vary = [
        "--vary",
        f"growth.volatility=0.05:{stop:.2f}:0.01",
        "--vary",
        f"growth.rate=0.2:{0.2 + 0.02 * (grid - 1):.2f}:0.02",
    ]
    jobs = {
        f"sweep {grid}x{grid}": [*LF, "sweep", "base", *vary, "-f", "csv"],
        "compare (all bundled)": [*LF, "compare", *SCENARIOS, "-f", "csv"],
        "sensitivity": [*LF, "sensitivity", "-f", "csv"],
    }
    cmds = {}
    for name, args in jobs.items():
        cmds[(name, "1")] = [*args, "-j", "1"]
        cmds[(name, "2")] = [*args, "-j", "2"]
        cmds[(name, "2p")] = [*args, "-j", "2", "--executor", "processes"]
    t = side_by_side(cmds, repeats)  # type: ignore[arg-type]
    rows = []
    for name in jobs:
        one, two, proc = t[(name, "1")][2], t[(name, "2")][2], t[(name, "2p")][2]
        rows.append(
            (
                f"`{name}` -j 2 / -j 1 (default executor; processes)",
                f"{two / one:.2f}",
                f"processes {proc / one:.2f}; {two:.2f} s / {one:.2f} s"
                + (" (goal <= 0.6)" if name.startswith("sweep") else ""),
            )
        )
    return rows


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
    parser.add_argument(
        "--goals",
        action="store_true",
        help="only the answer-time goals (start-up, commands, segments, parallel runs)",
    )
    parser.add_argument(
        "--grid", type=int, default=None, help="sweep grid side (default 20, quick 10)"
    )
    parser.add_argument(
        "--only",
        choices=["startup", "commands", "segments", "parallel"],
        action="append",
        help="with --goals: only these groups of goals (repeatable)",
    )
    opts = parser.parse_args()
    # Time the package as installed from a wheel, with bytecode: pip compiles it, while an
    # editable checkout under PYTHONDONTWRITEBYTECODE would recompile every module per process.
    compileall.compile_dir(os.path.dirname(lf.__file__), quiet=1)
    if opts.split:
        split(15)
        return
    repeats = 3 if opts.quick else 5
    large = 2_000_000 if opts.quick else 10_000_000
    rows: list[tuple[str, str, str]] = []
    load_before = load()
    only = set(opts.only or ["startup", "commands", "segments", "parallel"])
    if "startup" in only:
        rows += startup_rows(repeats)
    if "commands" in only:
        rows += command_rows(1 if opts.quick else 3)
    if "segments" in only:
        rows += segment_rows(repeats)
    if "parallel" in only:
        rows += parallel_rows(1 if opts.quick else 3, opts.grid or (10 if opts.quick else 20))
    if opts.only and not opts.goals:
        parser.error("--only goes with --goals")
    if opts.goals:
        report(rows, load_before)
        return

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

    report(rows, load_before)


def report(rows: list[tuple[str, str, str]], load_before: str) -> None:
    print(
        f"leapforecast {lf.__version__}  python {platform.python_version()}  "
        f"{os.cpu_count()} cores  {platform.machine()}  {time.strftime('%Y-%m-%d')}"
    )
    print(f"before: {load_before}; after: {load()}")
    width = max(len(r[0]) for r in rows)
    for name, ratio, note in rows:
        print(f"{name:<{width}}  {ratio:>9}  {note}")


if __name__ == "__main__":
    main()
