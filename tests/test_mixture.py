"""Mixture scenarios (issue 14): loading, allocation, the weighted-mean check, every command,
and actuals updating the weights."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest

from leapforecast.engine.mixture import component_index
from leapforecast.engine.run import simulate
from leapforecast.errors import ScenarioError, UsageError
from leapforecast.model.scenario import load_scenario

EQUAL = """
[scenario]
name = "bear-bull"
[simulation]
paths = 4000
[mixture]
weights = "equal"
components = [{ scenario = "builtin:bear" }, { scenario = "builtin:bull" }]
"""


@pytest.fixture
def equal_mix(write_scenario):
    return write_scenario(EQUAL, "mix.toml")


def test_equal_mix_is_the_mean_of_bear_and_bull_within_4_se(equal_mix):
    """The issue's check: P(>= 750k in 2026) of a 50/50 bear/bull mixture equals the mean of
    the two scenarios' own probabilities within 4 reported standard errors."""
    mix = load_scenario(equal_mix)
    result = simulate(mix, paths=40_000, seed=7)
    bear = simulate(load_scenario("builtin:bear"), paths=40_000, seed=11)
    bull = simulate(load_scenario("builtin:bull"), paths=40_000, seed=13)
    expected = 0.5 * (bear.probability(750_000, 2026) + bull.probability(750_000, 2026))
    k, t = result._index(750_000, 2026)
    assert abs(result.probability(750_000, 2026) - expected) < 4 * result.se_ge[k, t]
    # the components' own runs are in the result, with their weights and path counts
    info = result.mixture
    assert info is not None
    assert [c.name for c in info.components] == ["bear", "bull"]
    assert [c.weight for c in info.components] == [0.5, 0.5]
    assert sum(c.paths for c in info.components) == 40_000
    assert 19_000 < info.components[0].paths < 21_000


def test_mixture_paths_are_component_paths(equal_mix):
    """Path i of the mixture is path i of the component it was drawn from (same seed)."""
    mix = load_scenario(equal_mix)
    result = simulate(mix, paths=3000, seed=5)
    index = component_index(mix.mixture.weights, 3000, 5)
    for k, comp in enumerate(mix.mixture.components):
        own = simulate(comp.scenario, paths=3000, seed=5)
        assert np.array_equal(result.totals[index == k], own.totals[index == k])


def test_mixture_is_deterministic_across_executors(equal_mix):
    mix = load_scenario(equal_mix)
    a = simulate(mix, paths=70_000, seed=3)
    b = simulate(mix, paths=70_000, seed=3, jobs=2, executor="processes")
    assert np.array_equal(a.totals, b.totals)
    assert a.to_json() == b.to_json()
    c = simulate(mix, paths=70_000, seed=4)
    assert not np.array_equal(a.totals, c.totals)


def test_weights_are_normalised_and_said_so(write_scenario):
    path = write_scenario(
        """
        [scenario]
        name = "w"
        [mixture]
        components = [{ scenario = "bear", weight = 1 }, { scenario = "base", weight = 3 }]
        """,
        "w.toml",
    )
    mix = load_scenario(path)
    assert mix.mixture.weights == [0.25, 0.75]
    assert "summed to 4" in (mix.mixture.note() or "")
    doc = json.loads(simulate(mix, paths=500).to_json())
    assert "normalised" in doc["mixture"]["note"]


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ('[{ scenario = "bear", weight = 0 }, { scenario = "bull", weight = 1 }]', "positive"),
        ('[{ scenario = "bear", weight = -0.5 }, { scenario = "bull", weight = 1 }]', "positive"),
        ('[{ scenario = "bear", weight = 0.5 }, { scenario = "bull" }]', "no weight"),
        ('[{ scenario = "bear", weight = 1.0 }]', "at least 2"),
        ('[{ scenario = "bear", weight = 1.0 }, { scenario = "bear", weight = 1.0 }]', "same"),
        ('[{ scenario = "nope.toml", weight = 1.0 }, { scenario = "bull", weight = 1.0 }]', "nope"),
    ],
)
def test_bad_mixtures_are_refused(write_scenario, components, message):
    path = write_scenario(f'[scenario]\nname = "m"\n[mixture]\ncomponents = {components}\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert message in "\n".join(exc.value.lines())


def test_mixture_with_a_model_table_and_nested_mixture_refused(write_scenario, equal_mix):
    path = write_scenario(EQUAL + "[growth]\nrate = 0.1\nvolatility = 0.1\n", "g.toml")
    with pytest.raises(ScenarioError, match="takes its model from its components"):
        load_scenario(path)
    nested = write_scenario(
        '[scenario]\nname = "n"\n[mixture]\nweights = "equal"\n'
        'components = [{ scenario = "mix.toml" }, { scenario = "bull" }]\n',
        "nested.toml",
    )
    with pytest.raises(ScenarioError, match="nested mixtures"):
        load_scenario(nested)


def test_components_must_share_history(write_scenario):
    write_scenario(
        """
        [scenario]
        name = "older"
        extends = "builtin:base"
        [history]
        base_year = 2024
        """,
        "older.toml",
    )
    path = write_scenario(
        '[scenario]\nname = "m"\n[mixture]\nweights = "equal"\n'
        'components = [{ scenario = "older.toml" }, { scenario = "bull" }]\n',
        "m.toml",
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    text = "\n".join(exc.value.lines())
    assert "share the base year" in text and "older.toml" in text and "bull.toml" in text


def test_validate_names_the_component_file(write_scenario, cli):
    write_scenario('[scenario]\nname = "bad"\n[growth]\nrate = 0.1\nvolatility = "x"\n', "bad.toml")
    path = write_scenario(
        '[scenario]\nname = "m"\n[mixture]\nweights = "equal"\n'
        'components = [{ scenario = "bad.toml" }, { scenario = "bull" }]\n',
        "m.toml",
    )
    code, _, err = cli("validate", str(path))
    assert code != 0
    assert "bad.toml:5: growth.volatility" in err


def test_run_table_and_json(cli, equal_mix):
    code, out, _ = cli("run", str(equal_mix), "--paths", "2000", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    comps = doc["mixture"]["components"]
    assert [c["name"] for c in comps] == ["bear", "bull"]
    assert set(comps[0]) >= {"name", "file", "weight", "paths", "prob_ge_750000"}
    assert "posterior_weights" not in doc
    code, out, _ = cli("run", str(equal_mix), "--paths", "2000")
    assert code == 0
    assert "Mixture components" in out and "bull" in out


def test_compare_mixture_with_its_components(cli, equal_mix):
    code, out, _ = cli("compare", str(equal_mix), "bear", "--paths", "2000", "--format", "json")
    assert code == 0
    labels = [s["label"] for s in json.loads(out)["scenarios"]]
    assert labels == ["bear-bull", "bear"]


def test_sensitivity_is_per_component(cli, equal_mix):
    code, out, _ = cli(
        "sensitivity", str(equal_mix), "--paths", "1000", "--sobol", "0", "--format", "csv"
    )
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.startswith("component,weight,")
    assert {r.split(",")[0] for r in rows} == {"bear", "bull"}


def test_backtest_rebases_each_component(equal_mix):
    from leapforecast.analysis.rebase import rebase_scenario
    from leapforecast.data.history import load_history

    mix = load_scenario(equal_mix)
    hist = load_history(None)
    rebased = rebase_scenario(mix, hist, 2023, horizon=2, paths=500)
    sc = rebased.scenario
    assert sc.mixture is not None and sc.base_year == 2023 and sc.years == [2024, 2025]
    assert all(c.scenario.base_year == 2023 for c in sc.mixture.components)
    assert simulate(sc, paths=500, seed=1).totals.shape == (500, 2)


def _bull_median_months(n: int) -> dict[str, float]:
    """Synthetic actuals drawn from bull: its median 2026 total spread by the monthly model's
    median shape (the nowcast's own monthly model)."""
    from leapforecast.analysis.nowcast import year_to_date

    bull = load_scenario("builtin:bull")
    total = float(np.median(simulate(bull, paths=4000, seed=1).totals[:, 0]))
    ytd = year_to_date({}, scenario=bull, prior_log_sd=0.1)
    shapes = np.exp(ytd.shapes(4000, np.random.default_rng(0)))
    share = np.median(shapes / shapes.sum(axis=1, keepdims=True), axis=0)
    share /= share.sum()
    return {f"2026-{m:02d}": round(total * share[m - 1]) for m in range(1, n + 1)}


def test_actuals_from_bull_move_the_weight_to_bull(equal_mix):
    from leapforecast.analysis.nowcast import nowcast, update_weights

    mix = load_scenario(equal_mix)
    actuals = _bull_median_months(3)
    post = update_weights(mix, actuals)
    assert post.names == ["bear", "bull"]
    assert post.posterior[1] > 0.6
    assert post.posterior[1] > post.prior[1]
    result = nowcast(actuals, scenario=mix, paths=3000)
    doc = result.document()
    assert doc["posterior_weights"]["bull"] == pytest.approx(post.posterior[1], abs=1e-6)
    assert result.mixture is not None and result.mixture[1]["prior_weight"] == 0.5


def test_run_with_actuals_reports_posterior_weights(cli, equal_mix):
    months = _bull_median_months(2)
    args = [a for m, u in months.items() for a in ("--month", f"{m}={u}")]
    code, out, _ = cli("run", str(equal_mix), "--paths", "2000", *args, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["posterior_weights"]["bull"] > 0.6
    assert doc["mixture"]["components"][1]["prior_weight"] == 0.5
    code, out, _ = cli("run", str(equal_mix), "--paths", "2000", *args)
    assert code == 0 and "posterior" in out


def test_engine_refuses_to_compile_a_mixture(equal_mix):
    from leapforecast.analysis.sensitivity import sensitivity
    from leapforecast.engine.plan import compile_plan

    mix = load_scenario(equal_mix)
    with pytest.raises(ScenarioError, match="mixture"):
        compile_plan(mix)
    with pytest.raises(UsageError, match="mixture"):
        sensitivity(mix, sobol=0, paths=100)


def test_bundled_blend_runs_and_renders():
    from rich.console import Console

    from leapforecast.report import tables_for

    blend = load_scenario("blend")
    assert blend.mixture is not None
    assert blend.mixture.names == ["bear", "base", "bull"]
    assert blend.spec.scenario.as_of
    result = simulate(blend, paths=2000)
    console = Console(file=StringIO(), width=100, color_system=None)
    for item in tables_for(result):
        console.print(item)
    text = console.file.getvalue()
    assert "Mixture components" in text and "base" in text
