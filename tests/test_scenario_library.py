"""The bundled scenario library: every file validates and runs, and the results differ in the
ways the files' comments explain (bear < base/consensus < bull, capacity binds, ...)."""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import pytest

import leapforecast as lf
from leapforecast.engine.run import simulate
from leapforecast.model.authoring import validate_file

REPO = Path(__file__).resolve().parents[1]
FILES = sorted((REPO / "scenarios").glob("*.toml"))
LIBRARY = ["management-plan", "consensus", "bear", "bull", "capacity-bound", "outside-view"]
PATHS, SEED = 16_384, 11


@cache
def result(name: str):
    return simulate(lf.load_scenario(name), paths=PATHS, seed=SEED)


def p(name: str, target: int, year: int = 2026) -> float:
    return result(name).probability(target, year)


def test_the_library_is_bundled():
    assert {f.stem for f in FILES} >= {"base", *LIBRARY}


@pytest.mark.parametrize("path", FILES, ids=lambda f: f.stem)
def test_every_bundled_file_validates_and_runs(path):
    assert validate_file(path) == []
    res = simulate(lf.load_scenario(path), paths=1_000, seed=1)
    assert res.years == [2026, 2027, 2028]
    assert ((0 <= res.prob_ge) & (res.prob_ge <= 1)).all()
    assert (res.prob_ge[:-1] >= res.prob_ge[1:]).all()  # P(>=500k) >= P(>=750k) >= P(>=1M)
    assert (res.quantiles[:-1] <= res.quantiles[1:]).all()


@pytest.mark.parametrize("path", FILES, ids=lambda f: f.stem)
def test_every_number_is_commented(path):
    """Each value with a digit has a comment on its line or in the comment block just above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    exempt = {"paths", "seed", "horizon", "sampling"}  # run settings, not claims
    for i, line in enumerate(lines):
        code = line.split("#", 1)[0]
        m = re.match(r"\s*([A-Za-z_\"][^=]*?)\s*=\s*(.*)$", code)
        value = m.group(2) if m else ""
        if not m or value.startswith('"') or not re.search(r"\d", value) or m.group(1) in exempt:
            continue
        if "#" in line:
            continue
        block = []
        j = i - 1
        while j >= 0 and lines[j].strip() and not lines[j].lstrip().startswith("["):
            block.append(lines[j])
            j -= 1
        assert any(b.lstrip().startswith("#") for b in block), f"{path.name}:{i + 1}: {line!r}"


@pytest.mark.parametrize("name", LIBRARY)
def test_library_files_cite_sources_or_say_assumption(name):
    text = (REPO / "scenarios" / f"{name}.toml").read_text(encoding="utf-8")
    assert text.startswith("#:schema ./scenario.schema.json\n")  # the copy beside it
    assert "assumption" in text.lower()
    assert re.search(r"context\.md|\.csv|seed \d{3}", text)


def test_ordering_of_the_chance_of_1m_in_2026():
    # bear: harsher policy, price war, tariffs; bull: export ramp, new models, Spain assembly
    assert p("bear", 1_000_000) < min(p("base", 1_000_000), p("consensus", 1_000_000))
    assert max(p("base", 1_000_000), p("consensus", 1_000_000)) < p("bull", 1_000_000)
    assert p("bull", 1_000_000) < p("management-plan", 1_000_000)
    # at 750k the ordering is strict all the way, consensus's higher middle above base
    chain = ["bear", "base", "consensus", "bull", "management-plan"]
    values = [p(n, 750_000) for n in chain]
    assert values == sorted(values) and len(set(values)) == len(values), dict(
        zip(chain, values, strict=True)
    )


def test_management_plan_centres_on_the_target():
    res = result("management-plan")
    median_2026 = res.quantiles[3, 0]
    assert 950_000 < median_2026 < 1_100_000  # the plan: 1.0M, memo 1.05M
    assert 0.4 < p("management-plan", 1_000_000) < 0.8  # a plan is still a coin flip-ish


def test_consensus_has_a_higher_middle_but_thinner_tail_than_base():
    base, consensus = result("base"), result("consensus")
    assert consensus.quantiles[3, 0] > base.quantiles[3, 0]  # median 2026
    assert (
        consensus.quantiles[6, 0] - consensus.quantiles[0, 0]
        < base.quantiles[6, 0] - base.quantiles[0, 0]
    )


def test_bull_overseas_segment_reaches_its_target_range():
    seg = result("bull").segments["overseas"]
    assert 100_000 <= seg["quantiles"][3, 0] <= 150_000  # 2026 target 100k-150k (CMB)
    assert set(result("bull").segments) == {"overseas", "china"}


def test_bear_events_fire_as_often_as_their_probabilities():
    res = result("bear")
    fired = {k: v / res.paths for k, v in res.event_fired.items()}
    assert fired["purchase-tax exemption halved"] == 1.0
    assert fired["trade-in rules favour dearer cars"] == 1.0
    se = math.sqrt(0.6 * 0.4 / res.paths)
    assert abs(fired["price war"] - 0.6) < 4 * se
    assert abs(fired["EU tariffs bite"] - 0.6) < 4 * se


def test_capacity_bound_case_is_bound():
    bound = result("capacity-bound").capacity_bound / PATHS
    assert bound[0] > 0.6  # 2026: demand ~0.9M against ~0.85M of output
    assert bound[0] > 5 * (result("base").capacity_bound[0] / PATHS)
    assert p("capacity-bound", 1_000_000) == 0.0  # the 2026 schedule tops out at 950k


def test_outside_view_repeats_past_growth_rates():
    res = result("outside-view")
    history = lf.load_history()
    rates = history.growth_rates()  # +154%, +30%, +104%, +103%
    assert len(rates) == 4 and sum(r >= 1_000_000 / 596_555 - 1 for r in rates) == 3
    # no noise: every 2026 value is 596,555 x (1 + a past rate)
    expected = sorted(596_555 * (1 + r) for r in rates)
    assert res.quantiles[0, 0] == pytest.approx(expected[0], rel=1e-6)
    assert abs(p("outside-view", 1_000_000) - 0.75) < 4 * math.sqrt(0.75 * 0.25 / PATHS)
