"""leapforecast.engine.plan."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leapforecast.errors import LeapforecastError
from leapforecast.model.distributions import DistBase, Fixed
from leapforecast.model.inputs import copula_factor
from leapforecast.model.scenario import Scenario


@dataclass
class _Segment:
    name: str
    base: float
    rate: str
    volatility: str
    fade_to: str | None
    half_life: float
    ceiling: str | None


@dataclass
class _Event:
    name: str
    first: int
    last: int
    probability: float
    kind: str
    impact: str
    permanent: bool
    segments: list[int]


@dataclass
class Plan:
    """A scenario compiled to what the engine needs: named inputs and the structure around them."""

    scenario: Scenario
    years: list[int]
    targets: list[int]
    inputs: dict[str, DistBase]
    segments: list[_Segment]
    events: list[_Event]
    capacity_kind: str | None  # None, "growth" or "schedule"
    schedule_keys: list[str | None] = field(default_factory=list)
    copula: tuple[list[int], np.ndarray] | None = None
    condition: Any = None  # callable(first_year_sales, rng) -> conditioned sales

    @property
    def uncertain(self) -> list[str]:
        return [n for n, d in self.inputs.items() if not d.is_fixed]


def compile_plan(scenario: Scenario, *, fixed: dict[str, float] | None = None) -> Plan:
    """Name every path-level input and resolve segments, events and capacity.

    ``fixed`` pins named inputs to a value (used by sensitivity analysis).
    """
    spec = scenario.spec
    inputs: dict[str, DistBase] = {}

    def add(name: str, dist: DistBase) -> str:
        inputs[name] = dist
        return name

    base_total = scenario.base_units
    raw_segments = spec.segment or {"total": None}
    segments: list[_Segment] = []
    known = sum(
        (s.base if s.base is not None else s.share * base_total)
        for s in spec.segment.values()
        if s is not None and (s.base is not None or s.share is not None)
    )
    for seg_name, seg in raw_segments.items():
        prefix = "" if seg is None else f"segment.{seg_name}."
        growth = spec.growth if seg is None or seg.growth is None else seg.growth
        if seg is not None and seg.growth is None:
            prefix_g = ""  # inherits the top-level growth and shares its draws
        else:
            prefix_g = prefix
        if seg is None:
            base = base_total
        elif seg.base is not None:
            base = seg.base
        elif seg.share is not None:
            base = seg.share * base_total
        else:
            base = base_total - known
            if base < 0:
                raise LeapforecastError(
                    f"segment.{seg_name}: the other segments' bases ({known:,.0f}) exceed the base "
                    f"year's total ({base_total:,.0f}), so nothing remains for it"
                )
        saturation = spec.saturation if seg is None else seg.saturation
        segments.append(
            _Segment(
                name=seg_name,
                base=float(base),
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
    events = []
    for ev in spec.event:
        impact = add(f"event.{ev.name}.impact", ev.impact)
        if ev.probability < 1:
            inputs[f"event.{ev.name}.occurs"] = _UNIFORM
        first, last = ev.years
        if last > first:
            inputs[f"event.{ev.name}.year"] = _UNIFORM
        events.append(
            _Event(
                ev.name,
                first,
                last,
                ev.probability,
                ev.kind,
                impact,
                ev.persistence == "permanent",
                list(range(len(segments))) if ev.segment is None else [names.index(ev.segment)],
            )
        )
    cap = spec.capacity
    capacity_kind = None
    schedule_keys: list[str | None] = []
    years = scenario.years
    if cap is not None and cap.units is not None:
        capacity_kind = "growth"
        add("capacity.units", cap.units)
        add("capacity.growth", cap.growth)
    elif cap is not None:
        capacity_kind = "schedule"
        for key, dist in cap.schedule.items():
            add(f"capacity.schedule.{key}", dist)
        last_key: str | None = None
        for y in years:
            if str(y) in cap.schedule:
                last_key = str(y)
            schedule_keys.append(last_key)
    for name, value in (fixed or {}).items():
        if name not in inputs:
            raise LeapforecastError(f"no input named '{name}' to fix")
        inputs[name] = Fixed(value=float(value))
    uncertain = [n for n, d in inputs.items() if not d.is_fixed]
    pairs = [
        (c.between[0], c.between[1], c.rho)
        for c in spec.correlation
        if c.between[0] in uncertain and c.between[1] in uncertain
    ]
    plan = Plan(
        scenario, years, scenario.targets, inputs, segments, events, capacity_kind, schedule_keys
    )
    plan.copula = copula_factor(uncertain, pairs)
    return plan


class _UniformDist(Fixed):
    """Marker for a raw uniform input (event occurrence, event year): ppf is the identity."""

    @property
    def is_fixed(self) -> bool:
        return False

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(u, float)


_UNIFORM = _UniformDist(value=0.5)
