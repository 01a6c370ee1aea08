"""Which assumption matters: tornado swings, rank correlations and Sobol indices.

Three views of one question, each answering it differently:

* **Tornado.** Hold one input at its 10th and then its 90th percentile, every other input and the
  noise as drawn, and see how far P(units >= target in a year) and the median move. Common random
  numbers (the engine keys draws by input name) make the swing a paired difference, not noise.
* **Rank correlation / contribution to variance** (as Crystal Ball reports it) from one run:
  Spearman correlation of each input with the units of that year; its square, normalised, is the
  input's share.
* **Sobol indices** (Saltelli sampling and estimators: SALib's numbers, computed in NumPy by
  ``analysis.saltelli``): first-order S1 (the share of the response's variance explained by the
  input alone) and total-order ST (including its interactions). The year-to-year noise enters
  as one more factor, ``noise``, so the indices account for all the variance. Inputs are sampled
  independently: correlations in the scenario are ignored here (Sobol indices assume
  independent inputs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leapforecast.analysis._target import resolve_target_year
from leapforecast.analysis.saltelli import saltelli_design, saltelli_indices
from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.driver import (
    check_cells,
    check_memory,
    map_runs,
    run_bytes,
    run_chunks,
    run_settings,
    split_jobs,
)
from leapforecast.engine.executors import Executor
from leapforecast.engine.plan import Plan, compile_plan
from leapforecast.engine.reduction import reduce_chunks
from leapforecast.engine.results import SimulationResult
from leapforecast.engine.run import simulate
from leapforecast.errors import LeapforecastError, UsageError
from leapforecast.model.scenario import Scenario

NOISE = "noise"  # the year-to-year noise on log growth, as one Sobol factor
RESPONSES = ("probability", "units")


# --------------------------------------------------------------------------- Sobol indices


def _salib_seed(seed: int, stream: int) -> int:
    """A non-zero seed for the design and the bootstrap (SALib's convention: 0 meant 'no
    seed'; kept so the indices are the numbers SALib gave)."""
    return int(np.random.SeedSequence([seed, stream]).generate_state(1, np.uint32)[0]) | 1


@dataclass
class SobolIndex:
    """First- and total-order Sobol indices of one factor, with bootstrap 95% half-widths."""

    name: str
    s1: float
    s1_conf: float
    st: float
    st_conf: float


def _check_n(n: int) -> None:
    if n < 16 or n & (n - 1):
        raise UsageError(
            f"`sobol` {n}: the Sobol base sample must be a power of two >= 16, e.g. 1024"
        )


def _design(k: int, n: int, seed: int) -> np.ndarray:
    """Saltelli's design in the unit cube, shaped (n, k + 2, k): rows A, AB_1..AB_k, B."""
    u = saltelli_design(k, n, seed=_salib_seed(seed, 1))
    return np.clip(u, 1e-12, 1 - 1e-12)


def _analyze(names: list[str], y: np.ndarray, seed: int, resamples: int) -> list[SobolIndex]:
    """Saltelli 2010 first order and Jansen total order, on outputs in design order."""
    res = saltelli_indices(y, len(names), seed=_salib_seed(seed, 2), resamples=resamples)
    return [
        SobolIndex(
            name,
            float(res.s1[i]),
            float(res.s1_conf[i]),
            float(res.st[i]),
            float(res.st_conf[i]),
        )
        for i, name in enumerate(names)
    ]


def sobol_analyze(
    model: Callable[[np.ndarray], np.ndarray],
    names: Sequence[str],
    ppfs: Sequence[Callable[[np.ndarray], np.ndarray]],
    *,
    n: int = 4096,
    seed: int = 0,
    resamples: int = 100,
) -> list[SobolIndex]:
    """Sobol indices of a vectorised ``model(X) -> y`` whose inputs are independent with the
    given quantile functions (``X[:, j] = ppfs[j](u)``). Used to check the method on models
    whose indices are known (Ishigami, linear)."""
    _check_n(n)
    k = len(names)
    u = _design(k, n, seed)
    x = np.column_stack([ppfs[j](u[:, :, j].ravel()) for j in range(k)])
    y = np.asarray(model(x), float)
    return _analyze(list(names), y, seed, resamples)


def _response(totals: np.ndarray, t: int, target: int, response: str) -> np.ndarray:
    units = totals[:, t].astype(np.float64)
    return (units >= target).astype(np.float64) if response == "probability" else units


def sobol_indices(
    scenario: Scenario,
    *,
    target: int | None = None,
    year: int | None = None,
    n: int = 2048,
    seed: int | None = None,
    response: str = "probability",
    resamples: int = 100,
) -> list[SobolIndex]:
    """Sobol indices of every uncertain input of a scenario, plus ``noise``.

    ``response`` is ``"probability"`` (the indicator units >= target in ``year``, whose mean is
    the probability) or ``"units"`` (units in ``year``). Costs ``n * (k + 3)`` paths for k inputs.
    Rows A and AB_i are simulated on one chunk's noise and rows B and AB_noise on another's, so
    the noise is a factor like the others.
    """

    if response not in RESPONSES:
        raise UsageError(f"response must be one of {', '.join(RESPONSES)}, got {response!r}")
    _check_n(n)
    scenario, target, year = resolve_target_year(scenario, target, year)
    seed = scenario.spec.simulation.seed if seed is None else int(seed)
    plan = compile_plan(scenario)
    plan.copula = None
    names = plan.uncertain
    factors = [*names, NOISE]
    k = len(factors)
    u = _design(k, n, seed)
    t = scenario.years.index(year)
    y = np.empty((n, k + 2))
    for row in range(k + 2):
        noise_b = row in (k, k + 1)  # AB_noise (B's noise, A's inputs) and B
        given = {m: plan.inputs[m].ppf(u[:, row, j]) for j, m in enumerate(names)}
        (out,) = run_chunks(
            plan, [(1 if noise_b else 0, n)], seed=seed, sampling="random", given=given
        )
        totals = reduce_chunks(plan, [out], paths=n, seed=seed).totals  # (n, T)
        if totals is None:
            raise LeapforecastError("a Sobol analysis needs the per-path totals of each run")
        y[:, row] = _response(totals, t, target, response)
    if np.ptp(y) == 0:
        raise LeapforecastError(
            f"the response does not vary (always {y.flat[0]:g}); Sobol indices are undefined"
        )
    return _analyze(factors, y, seed, resamples)


# --------------------------------------------------------------------------- tornado, ranks


@dataclass
class InputSensitivity:
    """What one input does to P(units >= target in year) and to the median of that year.

    ``low``/``high`` are the values held (the input's p10 and p90; for an event's ``occurs``
    0 = does not happen and 1 = happens; for an event's ``year`` the first and last year).
    """

    name: str
    low: float | None = None
    high: float | None = None
    prob_low: float | None = None
    prob_high: float | None = None
    median_low: float | None = None
    median_high: float | None = None
    spearman: float | None = None
    variance_share: float | None = None
    sobol: SobolIndex | None = None

    @property
    def prob_swing(self) -> float | None:
        if self.prob_low is None or self.prob_high is None:
            return None
        return self.prob_high - self.prob_low

    @property
    def median_swing(self) -> float | None:
        if self.median_low is None or self.median_high is None:
            return None
        return self.median_high - self.median_low


def held_values(
    plan: Plan, name: str, low: float, high: float
) -> tuple[float, float, float, float]:
    """(shown low, shown high, engine value low, engine value high) for one input."""
    if name.endswith(".occurs"):
        return 0.0, 1.0, 1.0, 0.0  # uniform u >= probability: the event does not happen
    if name.endswith(".year"):
        event = next(e for e in plan.events if f"event.{e.name}.year" == name)
        return float(event.first), float(event.last), 0.0, 1.0
    dist = plan.inputs[name]
    lo, hi = float(dist.ppf(np.array([low]))[0]), float(dist.ppf(np.array([high]))[0])
    return lo, hi, lo, hi


@dataclass(frozen=True)
class _HeldRun:
    """What every held-input run of a tornado shares (sent once to each worker)."""

    scenario: Scenario
    paths: int | None
    seed: int | None
    jobs: int
    target: int
    year: int


def _held_run(shared: _HeldRun, fixed: dict[str, float]) -> tuple[float, float]:
    """P(>= target) and the median of the year with one input held (module-level: it runs in
    any worker)."""
    res = simulate(
        shared.scenario, paths=shared.paths, seed=shared.seed, jobs=shared.jobs, fixed=fixed
    )
    return res.probability(shared.target, shared.year), res.quantile(50, shared.year)


def tornado(
    scenario: Scenario,
    *,
    target: int | None = None,
    year: int | None = None,
    paths: int | None = None,
    seed: int | None = None,
    low: float = 0.1,
    high: float = 0.9,
    jobs: int = 1,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[InputSensitivity], Any]:
    """Swing of P(>= target in year) and of the median with each input held at its ``low`` and
    ``high`` quantiles, on common random numbers. Returns the rows (ranked by probability swing,
    then median swing) and the base ``SimulationResult`` (run with the inputs kept)."""

    if not 0 < low < high < 1:
        raise UsageError(f"quantiles must satisfy 0 < low < high < 1, got {low} and {high}")
    scenario, target, year = resolve_target_year(scenario, target, year)
    plan = compile_plan(scenario)
    names = plan.uncertain
    total = 1 + 2 * len(names)
    # The whole command's memory, before the first run: the base run with every path's inputs
    # is held while each input's low and high runs are made.
    n, _ = run_settings(scenario, paths=paths, seed=seed, jobs=jobs)
    check_cells(plan, n, jobs=jobs, keep_inputs=True)
    check_memory(
        run_bytes(plan, n, jobs=jobs, keep_inputs=True)
        + run_bytes(plan, n, jobs=jobs)
        + n * RANK_BYTES_PER_PATH,
        f"sensitivity at {n:,} paths with {len(names):,} uncertain inputs",
    )
    base = simulate(scenario, paths=paths, seed=seed, jobs=jobs, keep_inputs=True)
    if progress:
        progress(1, total)
    held = [held_values(plan, name, low, high) for name in names]
    fixed = [{name: v} for name, h in zip(names, held, strict=True) for v in (h[2], h[3])]
    outer, inner = split_jobs(jobs, len(fixed))

    def step(done: int, _total: int) -> None:
        if progress:
            progress(1 + done, total)

    swings = list(
        map_runs(
            _held_run,
            _HeldRun(scenario, paths, seed, inner, target, year),
            fixed,
            jobs=outer,
            executor=executor,
            scheduler=scheduler,
            progress=step,
        )
    )
    rows = []
    for i, (name, (shown_lo, shown_hi, _, _)) in enumerate(zip(names, held, strict=True)):
        (prob_lo, median_lo), (prob_hi, median_hi) = swings[2 * i], swings[2 * i + 1]
        rows.append(
            InputSensitivity(name, shown_lo, shown_hi, prob_lo, prob_hi, median_lo, median_hi)
        )
    # every row built here has both swings
    rows.sort(key=lambda r: (-abs(r.prob_swing or 0.0), -abs(r.median_swing or 0.0)))
    return rows, base


RANK_BYTES_PER_PATH = 128  # rank_correlations' temporaries (ranks, argsort, corrcoef stack)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank: ``scipy.stats.rankdata``'s default, value
    for value, without importing scipy.stats (half a second of every `sensitivity`). As there,
    a NaN anywhere makes every rank NaN."""
    x = np.asarray(values).ravel()
    if x.size and np.isnan(x).any():
        return np.full(x.size, np.nan)
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    first = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, x.size))
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[order] = np.repeat((starts + 1).astype(np.float64) + (counts - 1) / 2, counts)
    return ranks


def rank_correlations(
    result: SimulationResult, year: int, *, occurs: dict[str, float] | None = None
) -> dict[str, tuple[float, float]]:
    """Spearman correlation of each kept input with units in ``year``, and its signed share of
    the sum of squared correlations (Crystal Ball's 'contribution to variance').

    ``occurs`` maps an event's ``occurs`` input to its probability: that input is then the
    indicator 'the event happens' (u < probability), so a positive sign means it helps.
    """
    if result.inputs is None:
        raise LeapforecastError("rank correlations need a run with keep_inputs=True")
    if result.totals is None:
        raise LeapforecastError("rank correlations need the per-path totals of the run")
    ranks_y = average_ranks(result.totals[:, result.years.index(year)])
    rho: dict[str, float] = {}
    for name, values in result.inputs.items():
        if occurs and name in occurs:
            values = (values < occurs[name]).astype(np.float64)
        if np.ptp(values) == 0:
            continue
        r = float(np.corrcoef(average_ranks(values), ranks_y)[0, 1])
        rho[name] = 0.0 if math.isnan(r) else r
    total = sum(r * r for r in rho.values())
    return {k: (r, math.copysign(r * r / total, r) if total > 0 else 0.0) for k, r in rho.items()}


# --------------------------------------------------------------------------- the report


@dataclass
class SensitivityReport(TabularMixin):
    """Tornado, rank correlation and Sobol indices for one target and year."""

    scenario: str
    target: int
    year: int
    paths: int
    seed: int
    low: float
    high: float
    base_prob: float
    base_se: float
    base_median: float
    inputs: list[InputSensitivity]
    sobol_n: int | None = None
    sobol_response: str = "probability"
    notes: list[str] = field(default_factory=list)

    COLUMNS = (
        "input",
        "low",
        "high",
        "prob_low",
        "prob_high",
        "prob_swing",
        "median_low",
        "median_high",
        "median_swing",
        "spearman",
        "variance_share",
        "sobol_s1",
        "sobol_s1_conf",
        "sobol_st",
        "sobol_st_conf",
    )

    def columns(self) -> list[str]:
        return list(self.COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        """One row per input in tornado order (``noise`` last); None (a blank CSV cell) where a
        method does not apply. Probabilities and correlations to 6 decimals, units as whole cars."""

        def r6(v: float | None) -> float | None:
            return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(v, 6)

        def r0(v: float | None) -> int | None:
            return None if v is None else round(v)

        out = []
        for item in self.inputs:
            s = item.sobol
            out.append(
                {
                    "input": item.name,
                    "low": r6(item.low),
                    "high": r6(item.high),
                    "prob_low": r6(item.prob_low),
                    "prob_high": r6(item.prob_high),
                    "prob_swing": r6(item.prob_swing),
                    "median_low": r0(item.median_low),
                    "median_high": r0(item.median_high),
                    "median_swing": r0(item.median_swing),
                    "spearman": r6(item.spearman),
                    "variance_share": r6(item.variance_share),
                    "sobol_s1": r6(s.s1 if s else None),
                    "sobol_s1_conf": r6(s.s1_conf if s else None),
                    "sobol_st": r6(s.st if s else None),
                    "sobol_st_conf": r6(s.st_conf if s else None),
                }
            )
        return out

    def metadata(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "target": self.target,
            "year": self.year,
            "paths": self.paths,
            "seed": self.seed,
            "low_quantile": self.low,
            "high_quantile": self.high,
            "base_prob_ge": round(self.base_prob, 6),
            "base_se": round(self.base_se, 6),
            "base_median": round(self.base_median),
            "sobol_n": self.sobol_n,
            "sobol_response": self.sobol_response,
            "notes": self.notes,
        }

    def document(self) -> dict[str, Any]:
        """The settings and base probability, and one entry per input (null where blank)."""
        return {"metadata": self.metadata(), "inputs": self.rows()}


def sensitivity(
    scenario: Scenario,
    *,
    target: int | None = None,
    year: int | None = None,
    paths: int | None = None,
    seed: int | None = None,
    low: float = 0.1,
    high: float = 0.9,
    sobol: int | None = 2048,
    response: str = "probability",
    jobs: int = 1,
    executor: str | Executor = "threads",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SensitivityReport:
    """Tornado, rank correlations and (unless ``sobol`` is None or 0) Sobol indices.

    A Sobol analysis that cannot be made (a response that does not vary) is skipped with a note.
    """
    if scenario.mixture is not None:
        raise UsageError(
            f"scenario {scenario.name} is a mixture: analyse each component "
            "(mixture_sensitivity, or `leapforecast sensitivity` of the mixture file)"
        )
    scenario, target, year = resolve_target_year(scenario, target, year)
    if response not in RESPONSES:
        raise UsageError(f"response must be one of {', '.join(RESPONSES)}, got {response!r}")
    if sobol:
        _check_n(sobol)
    rows, base = tornado(
        scenario,
        target=target,
        year=year,
        paths=paths,
        seed=seed,
        low=low,
        high=high,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        progress=progress,
    )
    notes: list[str] = []

    occurs = {f"event.{e.name}.occurs": e.probability for e in compile_plan(scenario).events}
    for name, (rho, share) in rank_correlations(base, year, occurs=occurs).items():
        for row in rows:
            if row.name == name:
                row.spearman, row.variance_share = rho, share
    sobol_n = None
    if not rows:
        notes.append("the scenario has no uncertain inputs: every input is a fixed number")
    elif sobol:
        try:
            indices = sobol_indices(
                scenario, target=target, year=year, n=sobol, seed=base.seed, response=response
            )
        except LeapforecastError as exc:
            notes.append(f"Sobol indices skipped: {exc}")
        else:
            sobol_n = sobol
            by_name = {s.name: s for s in indices}
            for row in rows:
                row.sobol = by_name.get(row.name)
            rows.append(InputSensitivity(NOISE, sobol=by_name[NOISE]))
            if scenario.spec.correlation:
                notes.append(
                    "Sobol indices sample the inputs independently; the scenario's "
                    "correlations are ignored there"
                )
    k, t = base._index(target, year)
    return SensitivityReport(
        scenario=scenario.name,
        target=target,
        year=year,
        paths=base.paths,
        seed=base.seed,
        low=low,
        high=high,
        base_prob=float(base.prob_ge[k, t]),
        base_se=float(base.se_ge[k, t]),
        base_median=base.quantile(50, year),
        inputs=rows,
        sobol_n=sobol_n,
        sobol_response=response,
        notes=notes,
    )


__all__ = [
    "NOISE",
    "InputSensitivity",
    "SensitivityReport",
    "SobolIndex",
    "rank_correlations",
    "resolve_target_year",
    "sensitivity",
    "sobol_analyze",
    "sobol_indices",
    "tornado",
]


@dataclass
class MixtureSensitivity(TabularMixin):
    """Sensitivity of a mixture: one ``SensitivityReport`` per component (a mixture's inputs
    are its components', and which component a path comes from is not an input to rank)."""

    scenario: str
    names: list[str]
    weights: list[float]
    reports: list[SensitivityReport]

    @property
    def notes(self) -> list[str]:
        pairs = zip(self.names, self.reports, strict=True)
        return [f"{name}: {note}" for name, report in pairs for note in report.notes]

    def columns(self) -> list[str]:
        return ["component", "weight", *self.reports[0].columns()]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"component": name, "weight": round(w, 6), **row}
            for name, w, report in zip(self.names, self.weights, self.reports, strict=True)
            for row in report.rows()
        ]

    def document(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "components": [
                {"name": name, "weight": round(w, 6), **report.document()}
                for name, w, report in zip(self.names, self.weights, self.reports, strict=True)
            ],
        }


def mixture_sensitivity(scenario: Scenario, **options: Any) -> MixtureSensitivity:
    """``sensitivity`` of each component of a mixture (same options, same seed)."""
    mixture = scenario.mixture
    if mixture is None:
        raise UsageError(f"scenario {scenario.name} is not a mixture")
    reports = [sensitivity(c.scenario, **options) for c in mixture.components]
    return MixtureSensitivity(scenario.name, mixture.names, mixture.weights, reports)
