"""compare: common random numbers, paired differences, long CSV, every bundled scenario."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from _outside import quiet

from leapforecast.analysis.compare import compare
from leapforecast.engine.run import simulate
from leapforecast.model.files import bundled_scenarios
from leapforecast.model.scenario import load_scenario

BUNDLED = sorted(bundled_scenarios())


def test_a_scenario_against_itself_differs_by_exactly_zero():
    sc = load_scenario("base")
    cmp = compare([sc, sc], paths=5000, seed=3)
    assert cmp.labels == ["base #1", "base #2"]
    for year in cmp.years:
        for target in cmp.targets:
            assert cmp.difference(1, target, year) == (0.0, 0.0)


def test_each_scenario_is_the_plain_run_with_shared_seed_and_paths():
    a, b = load_scenario("base"), load_scenario("bull")
    cmp = compare([a, b], paths=4000, seed=11)
    assert cmp.targets == sorted(set(a.targets) | set(b.targets))
    alone = simulate(a.with_overrides(targets=cmp.targets), paths=4000, seed=11)
    np.testing.assert_array_equal(cmp.results[0].count_ge, alone.count_ge)
    np.testing.assert_array_equal(cmp.results[0].quantiles, alone.quantiles)


def test_common_random_numbers_make_small_differences_precise():
    """A small change of assumption: the paired s.e. is far below the independent-draws s.e.,
    and the difference agrees with the difference of the two probabilities."""
    base = load_scenario("base")
    variant = base.with_overrides("growth.rate.mode=0.41")
    cmp = compare([base, variant], paths=40_000, seed=5)
    delta, se = cmp.difference(1, 1_000_000, 2027)
    p0 = cmp.results[0].probability(1_000_000, 2027)
    p1 = cmp.results[1].probability(1_000_000, 2027)
    assert delta == pytest.approx(p1 - p0, abs=1e-12)
    assert delta > 0  # a higher modal growth rate can only help
    assert se < 0.3 * cmp.unpaired_se(1, 1_000_000, 2027)


def test_targets_are_united_or_replaced(write_scenario):
    low = write_scenario("[simulation]\ntargets = [500_000]\n[growth]\nrate = 0.3\n", "low.toml")
    high = write_scenario('[simulation]\ntargets = ["1M"]\n[growth]\nrate = 0.3\n', "high.toml")
    cmp = compare([load_scenario(low), load_scenario(high)], paths=1000)
    assert cmp.targets == [500_000, 1_000_000]
    assert all(r.targets == [500_000, 1_000_000] for r in cmp.results)
    only = compare([load_scenario(low), load_scenario(high)], paths=1000, targets=[750_000])
    assert only.targets == [750_000]
    assert cmp.labels == ["unnamed (low)", "unnamed (high)"]


def test_long_csv_parses_and_holds_every_metric(cli):
    code, out, err = cli("compare", "base", "bear", "-n", "3000", "--seed", "2", "-f", "csv")
    assert code == 0 and quiet(err) == ""
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["scenario", "year", "metric", "value"]
    assert set(frame["scenario"]) == {"base", "bear"}
    metrics = set(frame.loc[frame.scenario == "bear", "metric"])
    assert {
        "p50",
        "prob_ge_1000000",
        "se_ge_1000000",
        "delta_prob_ge_1000000",
        "se_delta_prob_ge_1000000",
    } <= metrics
    assert "delta_prob_ge_1000000" not in set(frame.loc[frame.scenario == "base", "metric"])
    wide = frame.pivot_table(index=["scenario", "year"], columns="metric", values="value")
    assert (wide["p10"] <= wide["p50"]).all() and (wide["p50"] <= wide["p90"]).all()


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_every_bundled_scenario_in_every_format(cli, fmt):
    args = ("compare", *BUNDLED, "-n", "1500", "--seed", "9", "-f", fmt)
    code, out, err = cli(*args)
    assert code == 0, err
    assert cli(*args)[1] == out  # same seed, same bytes
    if fmt == "csv":
        frame = pd.read_csv(io.StringIO(out))
        assert frame["value"].notna().all()
        assert set(frame["scenario"]) == {load_scenario(n).name for n in BUNDLED}
    elif fmt == "json":
        doc = json.loads(out)
        assert len(doc["scenarios"]) == len(BUNDLED)
        assert doc["metadata"]["reference"] == doc["scenarios"][0]["label"]
        assert all(0 <= d["delta_prob_ge"] + 1 <= 2 for d in doc["differences"])
    else:
        assert "Difference from" in out and "\x1b[" not in out


def test_usage_errors(cli):
    code, out, err = cli("compare", "base")
    assert code == 2 and out == "" and "at least two scenarios" in err
    code, _, err = cli("compare", "base", "nope.toml")
    assert code == 2 and "nope.toml" in err


def test_compare_plot(cli, tmp_path):
    target = tmp_path / "cmp.png"
    code, _, err = cli("compare", "base", "bull", "-n", "2000", "--plot", str(target), "-f", "csv")
    assert code == 0, err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
