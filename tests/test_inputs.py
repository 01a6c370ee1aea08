"""One source of truth for a scenario's named inputs: the checks and the engine agree."""

from __future__ import annotations

import pytest

from leapforecast.engine.plan import compile_plan
from leapforecast.model.authoring import validate_file
from leapforecast.model.files import bundled_scenarios
from leapforecast.model.inputs import input_names, scenario_inputs, segment_bases
from leapforecast.model.scenario import load_scenario

SEGMENTS = """
[growth]
rate = {{ dist = "uniform", low = 0.1, high = 0.3 }}
[segment.china]
share = 0.8
growth = {{ rate = {{ dist = "uniform", low = 0.0, high = 0.2 }}, volatility = 0.1 }}
[segment.overseas]
{overseas}
[[event]]
name = "tariff"
year = [2026, 2027]
probability = 0.5
impact = {{ dist = "uniform", low = -0.2, high = 0.0 }}
segment = "overseas"
{correlation}
"""


@pytest.mark.parametrize("name", bundled_scenarios())
def test_plan_inputs_are_the_models_inputs(name):
    loaded = load_scenario(name)
    parts = [c.scenario for c in loaded.mixture.components] if loaded.mixture else [loaded]
    for sc in parts:
        _check_plan_inputs(sc)


def _check_plan_inputs(sc):
    plan = compile_plan(sc)
    resolved = scenario_inputs(sc.spec, base_units=sc.base_units)
    assert list(plan.inputs) == list(resolved.inputs)
    assert plan.segments == resolved.segments
    # what a correlation may name is every uncertain input the engine draws, bar raw uniforms
    named = input_names(sc.spec)
    assert set(named) == {n for n in plan.uncertain if not n.endswith((".occurs", ".year"))}


def test_segments_share_or_own_growth_and_resolve_the_remainder(write_scenario):
    path = write_scenario(SEGMENTS.format(overseas="", correlation=""))
    sc = load_scenario(path)
    resolved = scenario_inputs(sc.spec, base_units=sc.base_units)
    china, overseas = resolved.segments
    assert china.rate == "segment.china.growth.rate" and overseas.rate == "growth.rate"
    assert china.base == pytest.approx(0.8 * sc.base_units)
    assert overseas.base == pytest.approx(0.2 * sc.base_units)
    (event,) = resolved.events
    assert (event.occurs, event.year, event.segments) == (
        "event.tariff.occurs",
        "event.tariff.year",
        [1],
    )
    assert "event.tariff.occurs" not in resolved.named  # raw uniforms cannot be correlated
    assert segment_bases(sc.spec, 100.0) == ([80.0, pytest.approx(20.0)], [])


def test_a_correlation_with_an_input_the_engine_does_not_draw_is_reported(write_scenario):
    # both segments have their own growth, so the top-level growth.rate is never drawn: a
    # correlation with it would be silently dropped, so the checks refuse it
    path = write_scenario(
        SEGMENTS.format(
            overseas='growth = { rate = 0.2, volatility = { dist = "uniform", low = 0.05, '
            "high = 0.15 } }",
            correlation='[[correlation]]\nbetween = ["growth.rate", "event.tariff.impact"]\n'
            "rho = 0.5",
        )
    )
    (problem,) = validate_file(path)
    assert "correlation.0.between: 'growth.rate' is not an uncertain input" in problem
    assert "did you mean 'segment.china.growth.rate'?" in problem


def test_validate_reports_contradictory_correlations_with_the_line(write_scenario):
    path = write_scenario(
        """
        [growth]
        rate = { dist = "uniform", low = 0.1, high = 0.3 }
        volatility = { dist = "uniform", low = 0.05, high = 0.15 }
        [saturation]
        ceiling = { dist = "uniform", low = 2e6, high = 4e6 }
        [[correlation]]
        between = ["growth.rate", "growth.volatility"]
        rho = 0.9
        [[correlation]]
        between = ["growth.rate", "saturation.ceiling"]
        rho = 0.9
        [[correlation]]
        between = ["growth.volatility", "saturation.ceiling"]
        rho = -0.9
        """
    )
    (problem,) = validate_file(path)
    assert problem.startswith(f"{path}:6: correlation: ")
    assert "not positive semi-definite" in problem


def test_validate_reports_segment_remainder_and_share_problems(write_scenario):
    path = write_scenario(
        """
        [growth]
        rate = 0.3
        [segment.a]
        share = 0.7
        [segment.b]
        share = 0.6
        [segment.c]
        """
    )
    (problem,) = validate_file(path)
    assert "segment: segment shares add up to 1.3, more than 1" in problem
    path = write_scenario(
        """
        [growth]
        rate = 0.3
        [segment.a]
        base = 5_000_000
        [segment.b]
        """
    )
    (problem,) = validate_file(path)
    assert problem.startswith(f"{path}:5: segment.b: ")
    assert "exceed the base year's total" in problem
