"""A scenario compiled for the kernel: its named inputs and the structure around them.

Naming the inputs and resolving segment bases is the model's job (``model.inputs``); the plan
adds what only the engine needs (forecast years, the capacity schedule by year, the copula).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np

from leapforecast.errors import LeapforecastError, ScenarioError
from leapforecast.model.distributions import DistBase, Fixed
from leapforecast.model.inputs import (
    SegmentInputs,
    copula_factor,
    correlation_pairs,
    scenario_inputs,
)
from leapforecast.model.scenario import Scenario

Condition: TypeAlias = Callable[[np.ndarray, np.random.Generator], np.ndarray]
"""Maps each path's first-forecast-year sales and a generator to the conditioned sales."""


@dataclass
class _Event:
    """An event as the kernel applies it: its years, odds, kind and the inputs it reads."""

    name: str
    first: int
    last: int
    probability: float
    kind: str
    impact: str
    permanent: bool
    segments: list[int]
    # the impact's share as a one-year effect in the event's year and the years after, and the
    # year offset from which it is a permanent level shift (None: never); see Event.year_fractions
    fractions: tuple[float, ...] = ()
    permanent_from: int | None = 0


@dataclass
class Plan:
    """A scenario compiled to what the engine needs: named inputs and the structure around them."""

    scenario: Scenario
    years: list[int]
    targets: list[int]
    inputs: dict[str, DistBase]
    segments: list[SegmentInputs]
    events: list[_Event]
    capacity_kind: str | None  # None, "growth" or "schedule"
    schedule_keys: list[str | None] = field(default_factory=list)
    copula: tuple[list[int], np.ndarray] | None = None
    condition: Condition | None = None  # (first_year_sales, rng) -> conditioned sales

    @property
    def uncertain(self) -> list[str]:
        return [n for n, d in self.inputs.items() if not d.is_fixed]


def compile_plan(scenario: Scenario, *, fixed: dict[str, float] | None = None) -> Plan:
    """The scenario's named inputs (``model.inputs.scenario_inputs``, the one place that names
    them and resolves segment bases) arranged for the kernel: events, capacity schedule, copula.

    ``fixed`` pins named inputs to a value (used by sensitivity analysis); a correlation with a
    pinned input no longer applies.
    """
    if scenario.mixture is not None:  # its spec's model is only the first component's
        raise ScenarioError(f"scenario {scenario.name} is a mixture: simulate its components")
    spec = scenario.spec
    resolved = scenario_inputs(spec, base_units=scenario.base_units)
    if resolved.problems:  # the loader's checks report these first; a Scenario cannot have them
        raise ScenarioError([f"{'.'.join(p)}: {m}" for p, m in resolved.problems])
    inputs = dict(resolved.inputs)
    events = [
        _Event(
            ev.name,
            ev.years[0],
            ev.years[1],
            ev.probability,
            ev.kind,
            named.impact,
            ev.persistence == "permanent",
            named.segments,
            *ev.year_fractions(),
        )
        for ev, named in zip(spec.event, resolved.events, strict=True)
    ]
    years = scenario.years
    schedule_keys: list[str | None] = []
    if resolved.capacity_kind == "schedule" and spec.capacity is not None:
        schedule = spec.capacity.schedule or {}
        last_key: str | None = None
        for y in years:
            if str(y) in schedule:
                last_key = str(y)
            schedule_keys.append(last_key)
    for name, value in (fixed or {}).items():
        if name not in inputs:
            raise LeapforecastError(f"no input named '{name}' to fix")
        inputs[name] = Fixed(value=float(value))
    plan = Plan(
        scenario,
        years,
        scenario.targets,
        inputs,
        resolved.segments,
        events,
        resolved.capacity_kind,
        schedule_keys,
    )
    plan.copula = copula_factor(plan.uncertain, correlation_pairs(spec, plan.uncertain))
    return plan
