"""leapforecast.analysis._target."""

from __future__ import annotations

from leapforecast.engine.results import resolve_year
from leapforecast.model.scenario import Scenario


def resolve_target_year(
    scenario: Scenario, target: int | None = None, year: int | None = None
) -> tuple[Scenario, int, int]:
    """Default target: the scenario's largest; default year: the first forecast year.

    A target the scenario does not list is added to it, so it is simulated.
    """
    year = resolve_year(scenario.years, year)
    if target is None:
        target = max(scenario.targets)
    elif target not in scenario.targets:
        scenario = scenario.with_overrides(targets=sorted({*scenario.targets, int(target)}))
    return scenario, int(target), int(year)
