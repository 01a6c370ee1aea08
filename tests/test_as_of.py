"""``as_of`` in [scenario]: when a scenario was written, so backtests flag in-sample cases."""

from __future__ import annotations

import pytest

from leapforecast.errors import ScenarioError
from leapforecast.model.files import bundled_scenarios
from leapforecast.model.scenario import load_scenario

BODY = """
    [scenario]
    name = "dated"
    {line}
    [growth]
    rate = 0.3
"""


def test_as_of_is_accepted_and_sets_the_years_seen(write_scenario):
    sc = load_scenario(write_scenario(BODY.format(line='as_of = "2024-06-30"')))
    assert sc.spec.scenario.as_of == "2024-06-30"
    assert sc.spec.scenario.seen_through == 2023  # 2024 was not over yet
    plain = load_scenario(write_scenario(BODY.format(line="")))
    assert plain.spec.scenario.as_of is None and plain.spec.scenario.seen_through is None
    # when a file was written does not change what it simulates: the hash ignores it
    assert sc.sha256 == plain.sha256


@pytest.mark.parametrize("value", ['"2024-13-01"', '"30.06.2024"', '"2024-6-30"', "2024-06-30"])
def test_bad_as_of_is_one_line_naming_the_key(write_scenario, value):
    with pytest.raises(ScenarioError) as err:
        load_scenario(write_scenario(BODY.format(line=f"as_of = {value}")))
    text = str(err.value)
    assert "as_of" in text and text.count("\n") == 0


def test_every_bundled_scenario_says_when_it_was_written():
    for name in bundled_scenarios():
        assert load_scenario(name).spec.scenario.as_of == "2026-01-19", name
