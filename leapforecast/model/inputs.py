"""The named path-level inputs of a scenario: the one place that names them.

A scenario's uncertain quantities (growth rate, volatility, a market ceiling, event impacts,
capacity...) are drawn once per path under a key path such as ``growth.rate`` or
``segment.china.growth.rate``. Those names are what correlations refer to, what sensitivity
analysis holds fixed, and what keys each input's random stream. ``scenario_inputs`` names them
in their canonical order and resolves the segments' base units (the reference growth model has
``growth.reference.sigma``, ``.z1`` and ``.z2`` in place of rate and volatility); the semantic
checks (``model.checks``) and the engine's plan (``engine.plan.compile_plan``) both consume it, so a
scenario the checks accept is one the engine can run, and vice versa.
"""

from __future__ import annotations

import difflib
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from leapforecast.errors import ScenarioError
from leapforecast.model.distributions import U_MIN, DistBase, Fixed, Normal
from leapforecast.model.spec import ScenarioSpec
from leapforecast.model.special import gammainccinv

Problem = tuple[list[str], str]  # (key path, message)


class UnitUniform(Fixed):
    """A raw uniform draw in (0, 1) (an event's occurrence, or its year in a range): ``ppf`` is
    the identity. Not a quantity of the file, so correlations cannot name it."""

    @property
    def is_fixed(self) -> bool:
        return False

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(u, float)


UNIT_UNIFORM = UnitUniform(value=0.5)


# ReferenceSigma.ppf remembers its last results by content: gammainccinv costs ~0.3 us a value
# (0.3 s of the 0.45 s a default `sensitivity` spent in the library), and the runs of a tornado,
# a sweep or a Sobol design draw the same uniforms for sigma again and again (common random
# numbers). A hit is checked value for value, so it returns exactly what the computation would.
# Bounded: up to 32 chunk-sized entries (about 32 MB).
_SIGMA_MEMO_MIN = 1024
_SIGMA_MEMO_ENTRIES = 32
_sigma_memo: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
_sigma_lock = threading.Lock()


class ReferenceSigma(DistBase):
    """The noise sd ``sigma`` of the reference growth model: ``sigma^2 ~ InvGamma(shape,
    scale)``, the posterior of the pooled fit, drawn through ``ppf`` so designs and the copula
    apply. Not a file distribution; built by ``scenario_inputs`` from the fitted posterior."""

    dist: Literal["reference_sigma"] = "reference_sigma"
    shape: float | None = None
    scale: float | None = None

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.shape is None or self.scale is None:
            raise RuntimeError("reference growth used before its posterior was fitted")
        u = np.asarray(u, float)
        key = None
        if u.size >= _SIGMA_MEMO_MIN:
            key = (self.shape, self.scale, u.shape, hash(u.tobytes()))
            with _sigma_lock:
                hit = _sigma_memo.get(key)
                if hit is not None and np.array_equal(hit[0], u):
                    _sigma_memo.move_to_end(key)
                    return hit[1].copy()
        # sigma^2 = scale / G with G ~ Gamma(shape): its u-quantile is scale / (upper-tail
        # u-quantile of G), increasing in u
        out = np.sqrt(self.scale / gammainccinv(self.shape, u))
        if key is not None:
            with _sigma_lock:
                _sigma_memo[key] = (u.copy(), out.copy())
                while len(_sigma_memo) > _SIGMA_MEMO_ENTRIES:
                    _sigma_memo.popitem(last=False)
        return out

    def bounds(self) -> tuple[float, float]:
        if self.shape is None or self.scale is None:
            return math.nan, math.nan
        lo, hi = self.ppf(np.array([U_MIN, 1.0 - U_MIN]))
        return float(lo), float(hi)


STANDARD_NORMAL = Normal.model_validate({"dist": "normal", "mean": 0.0, "sd": 1.0})


@dataclass(frozen=True)
class ReferenceInputs:
    """The reference growth model of a segment: its three path-level inputs and the posterior
    they are combined with, ``(a, b) = mean + sigma * chol @ (z1, z2)`` with ``chol`` the
    Cholesky factor of the posterior's scaled covariance (lower triangular, row-major)."""

    sigma: str
    z1: str
    z2: str
    mean: tuple[float, float]
    chol: tuple[float, float, float]  # L00, L10, L11
    L0: float


def reference_posterior(
    options: Any,
) -> tuple[ReferenceSigma, tuple[float, float], tuple[float, float, float]]:
    """The sigma distribution, posterior mean and Cholesky factor of a ``ReferenceGrowth``
    spec (NaN placeholders before the scenario was resolved)."""
    r = options.resolved
    if not r:
        return ReferenceSigma(), (math.nan, math.nan), (math.nan, 0.0, math.nan)
    a, b, v00, v01, v11, shape, scale = r[:7]
    chol = np.linalg.cholesky(np.array([[v00, v01], [v01, v11]], float))
    return (
        ReferenceSigma(shape=shape, scale=scale),
        (a, b),
        (float(chol[0, 0]), float(chol[1, 0]), float(chol[1, 1])),
    )


@dataclass(frozen=True)
class SegmentInputs:
    """One segment's names for its inputs, and its base units (NaN when not resolved)."""

    name: str
    base: float
    rate: str | None  # None with the reference growth model
    volatility: str | None
    fade_to: str | None
    half_life: float
    ceiling: str | None
    reference: ReferenceInputs | None = None


@dataclass(frozen=True)
class EventInputs:
    """One event's input names and the indices of the segments it applies to."""

    name: str
    impact: str
    occurs: str | None  # a raw uniform when the probability is below 1
    year: str | None  # a raw uniform when the event's year is a range
    segments: list[int]


@dataclass
class ScenarioInputs:
    """Every path-level input of a scenario by name, in canonical (draw) order.

    ``inputs`` includes fixed values and raw uniforms; ``named`` is what a correlation may name.
    ``problems`` holds what makes the scenario impossible to run (a remainder segment left with
    negative units), as (key path, message).
    """

    inputs: dict[str, DistBase]
    segments: list[SegmentInputs]
    events: list[EventInputs]
    capacity_kind: str | None  # None, "growth" or "schedule"
    problems: list[Problem] = field(default_factory=list)

    @property
    def named(self) -> dict[str, DistBase]:
        """The uncertain inputs of the file (not fixed, not raw uniforms), in canonical order."""
        return {
            k: d
            for k, d in self.inputs.items()
            if not d.is_fixed and not isinstance(d, UnitUniform)
        }


def segment_bases(spec: ScenarioSpec, base_units: float) -> tuple[list[float], list[Problem]]:
    """Base units of each segment (one ``total`` without segments): given, a share of the base
    year's total, or (for at most one segment) the remainder; and the problem if the others
    leave a negative remainder."""
    if not spec.segment:
        return [float(base_units)], []
    known = 0.0
    for s in spec.segment.values():
        if s.base is not None:
            known += s.base
        elif s.share is not None:
            known += s.share * base_units
    bases: list[float] = []
    problems: list[Problem] = []
    for name, seg in spec.segment.items():
        if seg.base is not None:
            bases.append(float(seg.base))
        elif seg.share is not None:
            bases.append(float(seg.share * base_units))
        else:
            bases.append(float(base_units - known))
            if base_units - known < 0 and not problems:
                problems.append(
                    (
                        ["segment", name],
                        f"the other segments' bases ({known:,.0f}) exceed the base year's total "
                        f"({base_units:,.0f}), so nothing remains for it",
                    )
                )
    return bases, problems


def scenario_inputs(spec: ScenarioSpec, *, base_units: float | None = None) -> ScenarioInputs:
    """Name every path-level input of ``spec`` and resolve segments, events and capacity.

    The order of ``inputs`` is part of the engine's contract (Sobol dimensions and the copula
    follow it): per segment its growth rate, volatility, fade target and ceiling; per event its
    impact, occurrence and year; then capacity. A segment without its own growth shares the
    top-level growth inputs (and their draws). Without ``base_units`` the bases are NaN.
    """
    inputs: dict[str, DistBase] = {}

    def add(name: str, dist: DistBase) -> str:
        inputs[name] = dist
        return name

    bases: list[float]
    problems: list[Problem]
    if base_units is None:
        bases, problems = [math.nan] * max(1, len(spec.segment)), []
    else:
        bases, problems = segment_bases(spec, base_units)
    raw_segments: dict[str, Any] = dict(spec.segment) or {"total": None}
    segments: list[SegmentInputs] = []
    for (seg_name, seg), base in zip(raw_segments.items(), bases, strict=True):
        prefix = "" if seg is None else f"segment.{seg_name}."
        own_growth = seg is not None and seg.growth is not None
        growth = seg.growth if own_growth else spec.growth
        if growth is None:  # the spec's own check rules this out; say so if it ever changes
            raise ScenarioError(f"{prefix or 'growth'}: no [growth] table for this segment")
        prefix_g = prefix if own_growth else ""  # inherited growth shares the top-level draws
        saturation = spec.saturation if seg is None else seg.saturation
        if growth.is_reference:
            sigma, mean, chol = reference_posterior(growth.reference_options)
            reference = ReferenceInputs(
                sigma=add(f"{prefix_g}growth.reference.sigma", sigma),
                z1=add(f"{prefix_g}growth.reference.z1", STANDARD_NORMAL),
                z2=add(f"{prefix_g}growth.reference.z2", STANDARD_NORMAL),
                mean=mean,
                chol=chol,
                L0=float(growth.reference_options.L0),
            )
            segments.append(
                SegmentInputs(
                    name=seg_name,
                    base=base,
                    rate=None,
                    volatility=None,
                    fade_to=None,
                    half_life=math.inf,
                    ceiling=(
                        add(f"{prefix}saturation.ceiling", saturation.ceiling)
                        if saturation
                        else None
                    ),
                    reference=reference,
                )
            )
            continue
        if growth.rate is None:  # the spec's own check rules this out
            raise ScenarioError(f"{prefix}growth.rate: missing")
        segments.append(
            SegmentInputs(
                name=seg_name,
                base=base,
                rate=add(f"{prefix_g}growth.rate", growth.rate),
                volatility=add(f"{prefix_g}growth.volatility", growth.volatility),
                fade_to=add(f"{prefix_g}growth.fade.to", growth.fade.to) if growth.fade else None,
                half_life=growth.fade.half_life if growth.fade else math.inf,
                ceiling=(
                    add(f"{prefix}saturation.ceiling", saturation.ceiling) if saturation else None
                ),
            )
        )
    names = [s.name for s in segments]
    events: list[EventInputs] = []
    for ev in spec.event:
        impact = add(f"event.{ev.name}.impact", ev.impact)
        occurs = add(f"event.{ev.name}.occurs", UNIT_UNIFORM) if ev.probability < 1 else None
        first, last = ev.years
        year = add(f"event.{ev.name}.year", UNIT_UNIFORM) if last > first else None
        if ev.segment is None:
            applies = list(range(len(segments)))
        else:  # an unknown segment is reported by the semantic checks
            applies = [names.index(ev.segment)] if ev.segment in names else []
        events.append(EventInputs(ev.name, impact, occurs, year, applies))
    cap = spec.capacity
    capacity_kind = None
    if cap is not None and cap.units is not None:
        capacity_kind = "growth"
        add("capacity.units", cap.units)
        add("capacity.growth", cap.growth)
    elif cap is not None:
        capacity_kind = "schedule"
        for key, dist in (cap.schedule or {}).items():
            add(f"capacity.schedule.{key}", dist)
    return ScenarioInputs(inputs, segments, events, capacity_kind, problems)


def input_names(spec: ScenarioSpec) -> dict[str, DistBase]:
    """Every uncertain input of the file by its key path (what correlations may name)."""
    return scenario_inputs(spec).named


def spearman_to_pearson(rho: np.ndarray) -> np.ndarray:
    """Pearson correlation of the Gaussian copula that gives Spearman ``rho`` on the margins."""
    return 2.0 * np.sin(np.pi * rho / 6.0)


def copula_factor(
    names: list[str], pairs: list[tuple[str, str, float]]
) -> tuple[list[int], np.ndarray] | None:
    """Indices of the correlated inputs and a factor A with A @ A.T = the copula's correlation.

    Raises ``ScenarioError`` when the requested matrix is not positive semi-definite.
    """
    if not pairs:
        return None
    involved = sorted({a for a, _, _ in pairs} | {b for _, b, _ in pairs}, key=names.index)
    pos = {name: i for i, name in enumerate(involved)}
    rank = np.eye(len(involved))
    for a, b, rho in pairs:
        rank[pos[a], pos[b]] = rank[pos[b], pos[a]] = rho
    values = np.linalg.eigvalsh(rank)
    if values.min() < -1e-10:
        raise ScenarioError(
            f"correlation: the rank-correlation matrix of {', '.join(involved)} is not positive "
            f"semi-definite (smallest eigenvalue {values.min():.3f}); "
            "these correlations cannot all "
            "hold at once, weaken one of them"
        )
    pearson = spearman_to_pearson(rank)
    w, v = np.linalg.eigh(pearson)
    factor = v * np.sqrt(np.clip(w, 0, None))
    # rows of the factor must have unit norm so every margin stays standard normal
    factor /= np.linalg.norm(factor, axis=1, keepdims=True)
    return [names.index(n) for n in involved], factor


def correlation_pairs(
    spec: ScenarioSpec, uncertain: list[str] | dict[str, DistBase]
) -> list[tuple[str, str, float]]:
    """The (a, b, rho) of every correlation between two of the ``uncertain`` inputs (a pair
    whose input was pinned to a value, as sensitivity analysis does, no longer applies)."""
    return [
        (c.between[0], c.between[1], c.rho)
        for c in spec.correlation
        if c.between[0] in uncertain and c.between[1] in uncertain
    ]


def correlation_problems(spec: ScenarioSpec, named: dict[str, DistBase]) -> Iterator[Problem]:
    """What is wrong with the ``[[correlation]]`` tables: a name that is not an uncertain input
    (with a "did you mean"), an input correlated with itself, or correlations that cannot all
    hold at once (the matrix is not positive semi-definite)."""
    found = False
    for i, corr in enumerate(spec.correlation):
        for name in corr.between:
            if name not in named:
                found = True
                hint = difflib.get_close_matches(name, list(named), n=1, cutoff=0.5)
                yield (
                    ["correlation", str(i), "between"],
                    f"'{name}' is not an uncertain input"
                    + (
                        f"; did you mean '{hint[0]}'?"
                        if hint
                        else f" (uncertain inputs: {', '.join(named) or 'none'})"
                    ),
                )
        if corr.between[0] == corr.between[1]:
            found = True
            yield (["correlation", str(i), "between"], "an input cannot be correlated with itself")
    if spec.correlation and not found:
        try:
            copula_factor(list(named), correlation_pairs(spec, named))
        except ScenarioError as exc:
            yield (["correlation"], exc.message.removeprefix("correlation: "))
