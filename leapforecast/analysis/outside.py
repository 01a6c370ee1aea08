"""The outside view beside every answer: what the record of makers supports, and how much
sharper a scenario claims to be.

A scenario is an inside view: its author's trend, events and capacity. The calibration report
(docs/validity.md) shows that the bundled inside views are far narrower than the record of the
reference class supports (90% log widths of 0.18-0.43 against 0.8-1.5), and that the pooled
reference model (``model.reference``: log growth slowing with scale, parameter uncertainty, a
Student-t predictive) is calibrated on every maker's rolling-origin cases. So ``run``,
``compare`` and ``nowcast`` print that model's forecast for the same years and targets next to
the scenario's, and each scenario's *sharpness*: its 90% log width over the reference's, per
year. Below :data:`NARROW` the answer says, in one line, how many times narrower the scenario
is than the record supports: a claim that needs evidence the reference class does not have.

The reference is fitted on the bundled peers and the scenario's own history, both cut at the
scenario's base year (what was known then), and simulated from the base year's level with a
fixed number of draws and the run's seed, so the output is reproducible and ``run`` stays fast.
The engine layer knows nothing of this: the CLI wraps a result with its outside view
(:class:`RunWithOutside`, :class:`ComparisonWithOutside`, :class:`NowcastWithOutside`) and
``emit()`` prints the wrapper.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from leapforecast.data.history import History
from leapforecast.data.tabular import TabularMixin
from leapforecast.engine.quantiles import quantiles as exact_quantiles
from leapforecast.engine.results import QUANTILES, SimulationResult
from leapforecast.model.reference import fit_for_scenario
from leapforecast.model.scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover (annotations only: `run` need not load the monthly model)
    from leapforecast.analysis.compare import Comparison
    from leapforecast.analysis.nowcast import NowcastResult

__all__ = [
    "NARROW",
    "OUTSIDE_DRAWS",
    "ComparisonWithOutside",
    "NowcastWithOutside",
    "OutsideView",
    "RunWithOutside",
    "comparison_outside",
    "log_width",
    "narrow_warning",
    "nowcast_outside",
    "outside_view",
    "reference_view",
    "run_outside",
]

#: Draws of the reference simulation: the Monte Carlo error of a reference probability is at
#: most 0.35 points, small beside the differences it is read for, and it takes milliseconds.
OUTSIDE_DRAWS = 20_000

#: Sharpness below which a scenario is flagged as narrower than the record supports.
NARROW = 0.6

_I5, _I50, _I95 = (QUANTILES.index(q) for q in (5, 50, 95))


@dataclass
class OutsideView(TabularMixin):
    """The reference-class model's forecast for given years and targets.

    ``quantiles`` is (7, T) at ``QUANTILES``; ``prob_ge`` is (K, T). ``n_obs`` and ``makers``
    say what the fit pooled (growth ending by ``base_year``).
    """

    base_year: int
    base_units: float
    years: list[int]
    targets: list[int]
    quantiles: np.ndarray
    prob_ge: np.ndarray
    draws: int
    seed: int
    n_obs: int
    makers: tuple[str, ...]
    fit: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def p5(self) -> np.ndarray:
        return self.quantiles[_I5]

    @property
    def p50(self) -> np.ndarray:
        return self.quantiles[_I50]

    @property
    def p95(self) -> np.ndarray:
        return self.quantiles[_I95]

    def width(self, year: int) -> float:
        """The reference's 90% log width, ln(p95 / p5), in ``year``."""
        t = self.years.index(year)
        return log_width(float(self.p5[t]), float(self.p95[t]))

    def prefixed(self, year: int, prefix: str = "ref_") -> dict[str, Any]:
        """One year's p5/p50/p95 and probabilities under ``prefix`` (the run CSV's columns)."""
        t = self.years.index(year)
        row: dict[str, Any] = {
            f"{prefix}p5": round(float(self.p5[t])),
            f"{prefix}p50": round(float(self.p50[t])),
            f"{prefix}p95": round(float(self.p95[t])),
        }
        for k, target in enumerate(self.targets):
            row[f"{prefix}prob_ge_{target}"] = round(float(self.prob_ge[k, t]), 6)
        return row

    def columns(self) -> list[str]:
        return ["year", "p5", "p50", "p95", *(f"prob_ge_{t}" for t in self.targets)]

    def rows(self) -> list[dict[str, Any]]:
        return [{"year": y, **self.prefixed(y, "")} for y in self.years]

    def metadata(self) -> dict[str, Any]:
        return {
            "model": "reference class: log growth = a + b ln(level/L0) + e, pooled, Student-t",
            "base_year": self.base_year,
            "base_units": self.base_units,
            "draws": self.draws,
            "seed": self.seed,
            "growth_observations": self.n_obs,
            "makers": list(self.makers),
            "fit": self.fit,
        }

    def document(self) -> dict[str, Any]:
        return {"metadata": self.metadata(), "rows": self.rows()}


def log_width(p5: float, p95: float) -> float:
    """ln(p95 / p5), the width of a 90% interval in log units (NaN when p5 is not positive)."""
    return math.log(p95 / p5) if p5 > 0 and p95 > 0 else math.nan


def reference_view(
    history: History,
    base_year: int,
    base_units: float,
    years: list[int],
    targets: list[int],
    *,
    draws: int = OUTSIDE_DRAWS,
    seed: int = 0,
) -> OutsideView:
    """The pooled reference model fitted on the peers and ``history`` up to ``base_year``,
    simulated ``draws`` times from ``base_units`` for ``years`` (consecutive years after the
    base year)."""
    fit = fit_for_scenario(history, base_year)
    horizon = max(years) - base_year
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the growth bound; rare, harmless
        levels = fit.simulate(base_units, horizon, draws=draws, rng=np.random.default_rng(seed))
    rows = [y - base_year - 1 for y in years]
    levels = levels[rows]
    probs = np.array([q / 100 for q in QUANTILES])
    quantiles = np.stack([exact_quantiles(row, probs) for row in levels], axis=1)  # np.quantile's
    tg = np.asarray(targets, float)
    prob = (levels[None, :, :] >= tg[:, None, None]).mean(axis=2)
    summary = fit.summary()
    return OutsideView(
        base_year=base_year,
        base_units=float(base_units),
        years=list(years),
        targets=list(targets),
        quantiles=np.asarray(quantiles, float),
        prob_ge=np.asarray(prob, float),
        draws=draws,
        seed=seed,
        n_obs=fit.n_obs,
        makers=fit.makers,
        fit={k: summary[k] for k in ("a", "b", "sigma", "dof", "L0")},
    )


def outside_view(
    scenario: Scenario, *, seed: int | None = None, draws: int = OUTSIDE_DRAWS
) -> OutsideView:
    """The outside view of ``scenario``: its base year's level and history, its forecast years
    and targets; ``seed`` defaults to the scenario's."""
    return reference_view(
        scenario.history,
        scenario.base_year,
        scenario.base_units,
        scenario.years,
        scenario.targets,
        draws=draws,
        seed=scenario.spec.simulation.seed if seed is None else seed,
    )


def sharpness(quantiles: np.ndarray, years: list[int], view: OutsideView) -> dict[int, float]:
    """A forecast's 90% log width over the reference's, per year both forecast (``quantiles``
    is (7, T) at ``QUANTILES``, columns in ``years``)."""
    out: dict[int, float] = {}
    for t, year in enumerate(years):
        if year in view.years:
            own = log_width(float(quantiles[_I5, t]), float(quantiles[_I95, t]))
            out[year] = own / view.width(year)
    return out


def narrow_warning(name: str, ratios: dict[int, float]) -> str | None:
    """One line when ``name``'s 90% range is below :data:`NARROW` of the reference's in some
    year: how many times narrower it is than the record supports."""
    low = {y: r for y, r in ratios.items() if math.isfinite(r) and r < NARROW}
    if not low:
        return None
    first, last = min(low), max(low)
    when = str(first) if first == last else f"{first}-{last}"
    times = sorted(1 / r for r in low.values() if r > 0)
    if not times:  # every flagged year is a single value (one path, or no uncertainty at all)
        span = "infinitely"
    elif len(times) < len(low):
        span = f"{times[0]:.1f}x or more"
    elif times[-1] - times[0] < 0.05:
        span = f"{times[0]:.1f}x"
    else:
        span = f"{times[0]:.1f}-{times[-1]:.1f}x"
    return (
        f"warning: {name} is {span} narrower than the record of makers supports (90% range, "
        f"{when}): its probabilities are overconfident unless it has evidence the reference "
        "class lacks"
    )


def _is_delta(row: dict[str, Any]) -> bool:
    return str(row["metric"]).startswith(("delta_", "se_delta_"))


def _sharp_doc(ratios: dict[int, float]) -> dict[str, float | None]:
    return {str(y): (round(r, 4) if math.isfinite(r) else None) for y, r in ratios.items()}


# --------------------------------------------------------------------------- run


@dataclass
class RunWithOutside(TabularMixin):
    """A run and its outside view: the run's CSV columns, then ``ref_p5, ref_p50, ref_p95,
    ref_prob_ge_<T>... , sharpness``; the JSON adds a top-level ``reference`` object."""

    result: SimulationResult
    outside: OutsideView

    @property
    def sharpness(self) -> dict[int, float]:
        return sharpness(self.result.quantiles, self.result.years, self.outside)

    def warnings(self) -> list[str]:
        line = narrow_warning(self.result.scenario, self.sharpness)
        return [] if line is None else [line]

    def columns(self) -> list[str]:
        ref = ["ref_p5", "ref_p50", "ref_p95", *(f"ref_prob_ge_{t}" for t in self.outside.targets)]
        return [*self.result.columns(), *ref, "sharpness"]

    def rows(self) -> list[dict[str, Any]]:
        ratios = self.sharpness
        out = []
        for row in self.result.rows():
            year = row["year"]
            r = ratios.get(year, math.nan)
            out.append(
                {
                    **row,
                    **self.outside.prefixed(year),
                    "sharpness": round(r, 4) if math.isfinite(r) else None,
                }
            )
        return out

    def reference_document(self) -> dict[str, Any]:
        return {
            **self.outside.document(),
            "sharpness": _sharp_doc(self.sharpness),
            "warnings": self.warnings(),
        }

    def document(self) -> dict[str, Any]:
        doc = self.result.document()
        doc["rows"] = self.rows()
        doc["reference"] = self.reference_document()
        return doc


# --------------------------------------------------------------------------- compare


@dataclass
class ComparisonWithOutside(TabularMixin):
    """A comparison and each scenario's outside view (one per distinct base; usually one).

    The long CSV gains, per scenario and year, the metrics ``ref_p5, ref_p50, ref_p95,
    ref_prob_ge_<T>..., sharpness``; the JSON a top-level ``reference`` object with the first
    scenario's reference rows and every scenario's sharpness by year.
    """

    comparison: Comparison
    outside: list[OutsideView]  # one per scenario, in order

    def sharpness(self, index: int) -> dict[int, float]:
        res = self.comparison.results[index]
        return sharpness(res.quantiles, res.years, self.outside[index])

    def warnings(self) -> list[str]:
        lines = (
            narrow_warning(label, self.sharpness(i))
            for i, label in enumerate(self.comparison.labels)
        )
        return [line for line in lines if line is not None]

    def columns(self) -> list[str]:
        return self.comparison.columns()

    def rows(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        extra: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for i, (label, res) in enumerate(
            zip(self.comparison.labels, self.comparison.results, strict=True)
        ):
            ratios = self.sharpness(i)
            for year in res.years:
                metrics = {**self.outside[i].prefixed(year), "sharpness": ratios.get(year)}
                extra[(label, year)] = [
                    {
                        "scenario": label,
                        "year": year,
                        "metric": k,
                        "value": None
                        if v is None or (isinstance(v, float) and not math.isfinite(v))
                        else (round(v, 4) if k == "sharpness" else v),
                    }
                    for k, v in metrics.items()
                ]
        # each (scenario, year)'s reference metrics follow its own metrics, before the deltas
        rows = self.comparison.rows()
        for j, row in enumerate(rows):
            out.append(row)
            key = (row["scenario"], row["year"])
            nxt = rows[j + 1] if j + 1 < len(rows) else None
            ends_plain = not _is_delta(row) and (
                nxt is None or (nxt["scenario"], nxt["year"]) != key or _is_delta(nxt)
            )
            if ends_plain and key in extra:
                out.extend(extra.pop(key))
        for rest in extra.values():
            out.extend(rest)
        return out

    def document(self) -> dict[str, Any]:
        doc = self.comparison.document()
        first = self.outside[0]
        reference: dict[str, Any] = {
            **first.document(),
            "sharpness": {
                label: _sharp_doc(self.sharpness(i))
                for i, label in enumerate(self.comparison.labels)
            },
            "warnings": self.warnings(),
        }
        differing = {
            label: view.rows()
            for label, view in zip(self.comparison.labels, self.outside, strict=True)
            if (view.base_year, view.base_units) != (first.base_year, first.base_units)
        }
        if differing:
            reference["rows_by_scenario"] = differing
        doc["reference"] = reference
        return doc


# --------------------------------------------------------------------------- nowcast


@dataclass
class NowcastWithOutside(TabularMixin):
    """A nowcast and the outside view of its year from the year before (it ignores the
    year-to-date actuals). Sharpness is that of the annual prior (the scenario's own view of
    the year), not of the nowcast, which the actuals rightly narrow.

    The CSV gains a ``reference`` row (the year: p5, p50, p95) and a ``reference_target`` row
    per target (its probability); the JSON a top-level ``reference`` object.
    """

    result: NowcastResult
    outside: OutsideView

    @property
    def sharpness(self) -> dict[int, float]:
        q = np.asarray(self.result.prior_quantiles, float).reshape(len(QUANTILES), 1)
        return sharpness(q, [self.result.year], self.outside)

    def warnings(self) -> list[str]:
        line = narrow_warning(f"{self.result.scenario} (annual prior)", self.sharpness)
        return [] if line is None else [line]

    def columns(self) -> list[str]:
        return self.result.columns()

    def rows(self) -> list[dict[str, Any]]:
        blank: dict[str, Any] = dict.fromkeys(self.columns())
        year = self.result.year
        t = self.outside.years.index(year)
        extra = [
            {
                **blank,
                "row": "reference",
                "label": year,
                **{
                    f"p{q}": round(float(self.outside.quantiles[i, t]))
                    for i, q in enumerate(QUANTILES)
                },
            }
        ]
        extra += [
            {
                **blank,
                "row": "reference_target",
                "label": target,
                "probability": round(float(self.outside.prob_ge[k, t]), 6),
            }
            for k, target in enumerate(self.outside.targets)
        ]
        return self.result.rows() + extra

    def document(self) -> dict[str, Any]:
        doc = self.result.document()
        doc["reference"] = {
            **self.outside.document(),
            "sharpness": _sharp_doc(self.sharpness),
            "sharpness_of": "annual prior",
            "warnings": self.warnings(),
        }
        return doc


def nowcast_outside(
    result: NowcastResult, history: History, *, draws: int = OUTSIDE_DRAWS
) -> NowcastWithOutside | None:
    """``result`` with the outside view of its year from the year before (None when ``history``
    has no such year: there is no level to start the reference from)."""
    base_year = result.year - 1
    if base_year not in history.years:
        return None
    view = reference_view(
        history.upto(base_year),
        base_year,
        history.units_at(base_year),
        [result.year],
        list(result.targets),
        draws=draws,
        seed=result.seed,
    )
    return NowcastWithOutside(result, view)


def run_outside(
    result: SimulationResult, scenario: Scenario, *, draws: int = OUTSIDE_DRAWS
) -> RunWithOutside:
    """``result`` (a run of ``scenario``) with the outside view of the same years and targets,
    simulated with the run's seed."""
    view = reference_view(
        scenario.history,
        scenario.base_year,
        scenario.base_units,
        result.years,
        result.targets,
        draws=draws,
        seed=result.seed,
    )
    return RunWithOutside(result, view)


def comparison_outside(
    cmp: Comparison, scenarios: list[Scenario], *, draws: int = OUTSIDE_DRAWS
) -> ComparisonWithOutside:
    """``cmp`` with each scenario's outside view (computed once per distinct base)."""
    cache: dict[tuple[Any, ...], OutsideView] = {}
    views = []
    for sc, res in zip(scenarios, cmp.results, strict=True):
        key = (sc.history, sc.base_year, sc.base_units, tuple(res.years))
        if key not in cache:
            cache[key] = reference_view(
                sc.history,
                sc.base_year,
                sc.base_units,
                res.years,
                cmp.targets,
                draws=draws,
                seed=cmp.seed,
            )
        views.append(cache[key])
    return ComparisonWithOutside(cmp, views)
