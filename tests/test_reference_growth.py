"""[growth] model = "reference": the pooled reference-class model as a scenario's growth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leapforecast.analysis.rebase import rebase_scenario
from leapforecast.data.history import load_history
from leapforecast.data.peers import load_peers
from leapforecast.engine.run import simulate
from leapforecast.errors import ScenarioError
from leapforecast.model.inputs import scenario_inputs
from leapforecast.model.reference import fit_for_scenario, fit_reference, growth_observations
from leapforecast.model.scenario import load_scenario

REFERENCE = """
[scenario]
name = "ref"
[simulation]
horizon = {horizon}
paths = {paths}
seed = 11
sampling = "{sampling}"
targets = [500_000, 750_000, 1_000_000]
[growth]
model = "reference"
"""


def _scenario(write_scenario, *, horizon=2026, paths=100_000, sampling="random", extra=""):
    text = REFERENCE.format(horizon=horizon, paths=paths, sampling=sampling) + extra
    return load_scenario(write_scenario(text))


def _t_prob_ge(sc, target: float) -> float:
    from scipy import stats

    fit = fit_for_scenario(sc.history, sc.base_year)
    df, loc, scale = fit.predictive(math.log(sc.base_units))
    return float(stats.t.sf(math.log(target / sc.base_units), df, loc, scale))


@pytest.mark.parametrize("sampling", ["random", "lhs", "sobol"])
def test_one_year_ahead_matches_the_student_t_predictive(write_scenario, sampling):
    # one year ahead, (a, b, sigma) drawn from the NIG posterior and one normal shock give
    # exactly the Student-t predictive of ReferenceFit: P(level >= K) agrees within MC error
    sc = _scenario(write_scenario, sampling=sampling)
    result = simulate(sc)
    for k, target in enumerate(result.targets):
        want = _t_prob_ge(sc, target)
        got = float(result.prob_ge[k, 0])
        se = math.sqrt(want * (1 - want) / result.paths)
        assert abs(got - want) < 4 * se + 1e-9, (sampling, target, got, want)


def test_multi_year_matches_reference_fit_simulate(write_scenario):
    sc = _scenario(write_scenario, horizon=2028)
    result = simulate(sc)
    fit = fit_for_scenario(sc.history, sc.base_year)
    levels = fit.simulate(sc.base_units, 3, draws=200_000, rng=5)
    for t in range(3):
        want = float(np.median(levels[t]))
        got = result.quantile(50, sc.years[t])
        assert abs(math.log(got / want)) < 0.02
        want_p = float((levels[t] >= 1e6).mean())
        assert abs(result.probability(1_000_000, sc.years[t]) - want_p) < 0.01


def test_same_bytes_on_every_executor_and_job_count(write_scenario):
    sc = _scenario(write_scenario, horizon=2028, paths=70_000)  # two chunks
    one = simulate(sc, jobs=1)
    two = simulate(sc, jobs=2, executor="threads")
    procs = simulate(sc, jobs=2, executor="processes")
    for other in (two, procs):
        assert np.array_equal(one.totals, other.totals)
        assert np.array_equal(one.count_ge, other.count_ge)


def test_named_inputs_come_from_scenario_inputs(write_scenario):
    sc = _scenario(write_scenario)
    named = scenario_inputs(sc.spec, base_units=sc.base_units).named
    assert list(named) == ["growth.reference.sigma", "growth.reference.z1", "growth.reference.z2"]
    fit = fit_for_scenario(sc.history, sc.base_year)
    # the sigma input's median is the posterior median of sigma: sqrt(scale / median of Gamma)
    from scipy import stats

    want = math.sqrt(fit.ig_scale / stats.gamma(fit.ig_shape).ppf(0.5))
    assert named["growth.reference.sigma"].quantile(0.5) == pytest.approx(want, rel=1e-9)


def test_inputs_can_be_pinned_and_correlated(write_scenario):
    sc = _scenario(
        write_scenario,
        extra='[[correlation]]\nbetween = ["growth.reference.z1", "growth.reference.sigma"]\n'
        "rho = 0.3\n",
    )
    result = simulate(sc, paths=5000, keep_inputs=True)
    x = result.inputs
    assert x is not None
    rho = float(
        np.corrcoef(
            np.argsort(np.argsort(x["growth.reference.z1"])),
            np.argsort(np.argsort(x["growth.reference.sigma"])),
        )[0, 1]
    )
    assert 0.2 < rho < 0.4
    pinned = simulate(
        sc,
        paths=5000,
        fixed={
            "growth.reference.sigma": 0.01,
            "growth.reference.z1": 0.0,
            "growth.reference.z2": 0.0,
        },
    )
    # no parameter uncertainty and almost no noise: one year of the posterior-mean growth
    fit = fit_for_scenario(sc.history, sc.base_year)
    g = fit.a + fit.b * math.log(sc.base_units / fit.L0)
    assert pinned.quantile(50, 2026) == pytest.approx(sc.base_units * math.exp(g), rel=0.03)


def test_fit_uses_only_data_up_to_the_base_year(write_scenario):
    sc = _scenario(write_scenario, extra="")
    early = load_scenario(
        write_scenario(
            REFERENCE.format(horizon=2024, paths=1000, sampling="random")
            + "[history]\nbase_year = 2023\n",
            "early.toml",
        )
    )
    r_early = early.spec.growth.reference.resolved
    r_late = sc.spec.growth.reference.resolved
    series = {
        m: [(y, u) for y, u in zip(h.years, h.units, strict=True)] for m, h in load_peers().items()
    }
    lm = load_history("builtin:leapmotor")
    series["Leapmotor"] = list(zip(lm.years, lm.units, strict=True))
    want = fit_reference(growth_observations(series, until_year=2023), reference_year=2023)
    assert r_early[0] == pytest.approx(want.a) and r_early[1] == pytest.approx(want.b)
    assert r_early[7] == want.n_obs < r_late[7]


def test_options_change_the_fit(write_scenario):
    sc = _scenario(
        write_scenario,
        extra='[growth.reference]\nmakers = ["Tesla", "BYD"]\nown_history = false\n'
        'min_units = "50k"\nrecent_weight = 4\nL0 = "200k"\n',
    )
    peers = load_peers()
    series = {m: list(zip(peers[m].years, peers[m].units, strict=True)) for m in ("Tesla", "BYD")}
    want = fit_reference(
        growth_observations(series, min_units=50_000, until_year=2025),
        L0=200_000,
        recent_weight=4,
        reference_year=2025,
    )
    got = sc.spec.growth.reference.resolved
    assert got[0] == pytest.approx(want.a) and got[7] == want.n_obs


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("rate = 0.3\n", "remove rate"),
        ('[growth.reference]\nmakers = ["Tesal"]\n', "growth.reference.makers: no maker 'Tesal'"),
        ('[growth.reference]\nmin_units = "5M"\n', "no growth observations up to 2025"),
        ("[segment.china]\nshare = 0.9\n[segment.overseas]\n", "cannot be used with [segment]"),
    ],
)
def test_bad_reference_scenarios_are_one_line_errors(write_scenario, extra, message):
    with pytest.raises(ScenarioError) as exc:
        _scenario(write_scenario, extra=extra)
    assert message in str(exc.value)


def test_reference_table_needs_the_reference_model(write_scenario):
    path = write_scenario("[growth]\nrate = 0.3\n[growth.reference]\nmin_units = 1\n")
    with pytest.raises(ScenarioError, match="applies only with model"):
        load_scenario(path)


def test_rebase_refits_at_the_origin_on_all_makers(write_scenario):
    sc = _scenario(write_scenario, horizon=2028)
    tesla = load_peers()["Tesla"]
    rebased = rebase_scenario(sc, tesla, 2023, horizon=2, paths=1000)
    got = rebased.scenario.spec.growth.reference.resolved
    series = {m: list(zip(h.years, h.units, strict=True)) for m, h in load_peers().items()}
    lm = load_history("builtin:leapmotor")
    series["Leapmotor"] = list(zip(lm.years, lm.units, strict=True))
    want = fit_reference(growth_observations(series, until_year=2023), reference_year=2023)
    assert got[0] == pytest.approx(want.a) and got[7] == want.n_obs  # Tesla counted once
    assert any("refitted" in n for n in rebased.notes)
    result = simulate(rebased.scenario, paths=2000, seed=1)
    assert result.years == [2024, 2025] and np.all(np.isfinite(result.quantiles))


def test_bundled_reference_scenario_runs(cli):
    code, out, err = cli("run", "reference", "-n", "2000", "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0].startswith("scenario,year,mean")
    code, out, err = cli("validate", "reference")
    assert code == 0 and "ok reference" in out
