"""Backtests: proper scores with known answers, seeded reproducibility, no look-ahead, and
nominal coverage when the model is correctly specified."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from leapforecast.analysis import backtest as bt
from leapforecast.data.history import History, load_history
from leapforecast.data.peers import load_peers, peer_intervals
from leapforecast.errors import UsageError


def test_crps_matches_the_normal_closed_form():
    from scipy import stats

    rng = np.random.default_rng(1)
    x = rng.standard_normal(200_000) * 0.7 + 0.2
    for y in (-1.0, 0.2, 1.5):
        z = (y - 0.2) / 0.7
        exact = 0.7 * (
            z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)
        )
        assert bt.crps_sample(x, y) == pytest.approx(exact, abs=3e-3)
    # a point forecast: CRPS is the absolute error
    assert bt.crps_sample(np.full(10, 2.0), 0.5) == pytest.approx(1.5)


def test_pinball_known_answers():
    assert bt.pinball_loss(np.array([1.0]), 3.0, (0.9,)) == pytest.approx(1.8)
    assert bt.pinball_loss(np.array([1.0]), -1.0, (0.9,)) == pytest.approx(0.2)
    # a point forecast over symmetric levels averages to half the absolute error
    assert bt.pinball_loss(np.full(len(bt.TAUS), 0.0), 2.0) == pytest.approx(1.0)


def _walks(n_series: int, n_points: int, mu: float, sigma: float, seed: int) -> dict[str, History]:
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n_series):
        logs = np.log(1e5) + np.concatenate(
            [[0], np.cumsum(mu + sigma * rng.standard_normal(n_points - 1))]
        )
        out[f"s{i}"] = History(
            tuple(range(2000, 2000 + n_points)), tuple(float(v) for v in np.exp(logs)), f"s{i}"
        )
    return out


def test_correctly_specified_model_covers_at_nominal_rate():
    """Synthetic makers with iid normal log growth: the fitted method's intervals are exact,
    so coverage at 50/80/90% is nominal within binomial error (one origin per series)."""
    universe = _walks(300, 7, 0.3, 0.25, seed=5)
    res = bt.backtest(
        universe, methods=("fitted",), horizons=(1, 2), min_points=5, draws=2000, seed=9
    )
    for h in (1, 2):
        cases = [
            c for c in res.cases if c.method == "fitted" and c.horizon == h and c.origin == 2004
        ]
        assert len(cases) == 300
        for i, level in enumerate(bt.LEVELS):
            cov = np.mean([c.covered[i] for c in cases])
            assert abs(cov - level) < 3 * math.sqrt(level * (1 - level) / 300), (h, level, cov)
    # resampling the 4 observed growths gives the interval [min, max] at 80% and 90%, which
    # holds a new draw with probability (n-1)/(n+1) = 0.6: the bootstrap under-covers
    res_h = bt.backtest(
        universe, methods=("history",), horizons=(1,), min_points=5, draws=2000, seed=9
    )
    first = [c for c in res_h.cases if c.method == "history" and c.origin == 2004]
    assert abs(np.mean([c.covered[2] for c in first]) - 0.6) < 3 * math.sqrt(0.24 / 300)
    # and it beats both naive baselines on these data
    score = {(s.method, s.horizon): s for s in res.scores}
    assert score[("fitted", 1)].crps < score[("no-change", 1)].crps
    assert score[("fitted", 1)].crps < score[("last-growth", 1)].crps


def test_same_seed_same_numbers_other_seed_other_draws():
    a = bt.backtest(draws=1000, seed=3)
    b = bt.backtest(draws=1000, seed=3)
    c = bt.backtest(draws=1000, seed=4)
    assert a.rows() == b.rows() and a.case_rows() == b.case_rows()
    assert a.case_rows() != c.case_rows()
    # baselines do not depend on the seed
    base = [r for r in a.case_rows() if r["method"] in bt.BASELINES]
    assert base == [r for r in c.case_rows() if r["method"] in bt.BASELINES]


def test_no_look_ahead():
    """Changing data after an origin changes no forecast made at that origin."""
    universe = {"Leapmotor": load_history(), **load_peers()}
    res = bt.backtest(universe, draws=500, seed=1)
    altered = {}
    for name, h in universe.items():
        units = tuple(u * (3.0 if y > 2022 else 1.0) for y, u in zip(h.years, h.units, strict=True))
        altered[name] = History(h.years, units, h.source, h.notes)
    res2 = bt.backtest(altered, draws=500, seed=1)

    def made_by_2021(r):
        return {
            (c.series, c.origin, c.horizon, c.method): (c.median, c.p5, c.p95)
            for c in r.cases
            if c.origin + c.horizon <= 2022
        }

    early = made_by_2021(res)
    assert early and early == made_by_2021(res2)


def test_baselines_and_case_structure():
    res = bt.backtest(series=("Leapmotor",), draws=500)
    rows = {(r["origin"], r["horizon"], r["method"]): r for r in res.case_rows()}
    nc = rows[(2023, 1, "no-change")]
    assert nc["median"] == 144_155 and nc["crps"] == pytest.approx(
        math.log(293_724 / 144_155), abs=1e-4
    )
    lg = rows[(2024, 1, "last-growth")]
    assert lg["median"] == round(293_724 * 293_724 / 144_155)
    assert {k[:2] for k in rows} == {(2023, 1), (2023, 2), (2024, 1)}
    for s in res.scores:
        assert s.cases == (2 if s.horizon == 1 else 1)
        if s.coverage:
            assert all(0 <= c <= 1 for c in s.coverage) and list(s.coverage) == sorted(s.coverage)


def test_peer_pool_excludes_the_series_and_the_future():
    universe = {"Leapmotor": load_history(), **load_peers()}
    cut = universe["Leapmotor"].upto(2023)
    ctx = bt.Context("Leapmotor", cut, universe, (1,), 100, np.random.default_rng(0), 0)
    pool = bt.peer_pool(ctx)
    assert len(pool) >= 5
    others = {k: v for k, v in universe.items() if k != "Leapmotor"}
    allowed = {iv.log_growth for iv in peer_intervals(others, min_units=0, upto=2023)}
    assert set(pool) <= allowed


def test_scenario_method_rebases_to_the_origin():
    from leapforecast.model.scenario import load_scenario

    sc = load_scenario()
    rebased = bt.rebase_scenario(sc, 2023, horizon=2, paths=1000)
    assert rebased.base_year == 2023 and rebased.base_units == 144_155
    assert rebased.years == [2024, 2025] and rebased.history.years[-1] == 2023
    res = bt.backtest(methods=("scenario",), scenario=sc, draws=1000, seed=2)
    assert {c.series for c in res.cases} == {"Leapmotor"}
    again = bt.backtest(methods=("scenario",), scenario=sc, draws=1000, seed=2)
    assert res.case_rows() == again.case_rows()


def test_invalid_settings():
    with pytest.raises(UsageError, match="needs a scenario"):
        bt.backtest(methods=("scenario",))
    with pytest.raises(UsageError, match="unknown backtest method"):
        bt.backtest(methods=("magic",))
    with pytest.raises(UsageError, match="horizons"):
        bt.backtest(horizons=(0,))
    with pytest.raises(UsageError, match="unknown series"):
        bt.backtest(series=("Nokia",))


def test_cli_backtest(cli, tmp_path):
    code, out, _ = cli("backtest", "--format", "csv", "--draws", "500")
    assert code == 0 and out.splitlines()[0] == ",".join(bt.SUMMARY_COLUMNS)
    assert len(out.splitlines()) == 1 + 2 * 5  # 3 methods + 2 baselines, 2 horizons
    code, out, _ = cli(
        "backtest",
        "--cases",
        "--format",
        "csv",
        "--series",
        "leapmotor",
        "--horizon",
        "1",
        "--draws",
        "500",
    )
    assert code == 0 and out.splitlines()[0] == ",".join(bt.CASE_COLUMNS)
    code, out, _ = cli("backtest", "--scenario", "base", "--format", "json", "--draws", "500")
    doc = json.loads(out)
    assert "scenario" in doc["metadata"]["methods"]
    assert doc["summary"][0]["method"] == "history"
    assert any(r["coverage_50"] is None for r in doc["summary"])  # baselines: no interval
    code, out, _ = cli("backtest", "--draws", "500", "--output", str(tmp_path / "b.txt"))
    assert code == 0 and "Rolling-origin backtest" in (tmp_path / "b.txt").read_text()
    for args, msg in (
        (("--horizon", "x"), "--horizon"),
        (("--method", "scenario"), "needs a scenario"),
        (("--series", "Nokia"), "unknown series"),
    ):
        code, _, err = cli("backtest", *args)
        assert code == 2 and msg in err


def test_outcomes_from_files_extend_the_backtest(cli, tmp_path):
    """Outcomes kept out of the repository come in through --history / --peers files."""
    hist = tmp_path / "subject.csv"
    lm = load_history()
    rows = "\n".join(f"{y},{u:.0f}" for y, u in zip(lm.years, lm.units, strict=True))
    hist.write_text(f"year,units\n{rows}\n2026,700000\n", encoding="utf-8")
    peers_csv = tmp_path / "peers.csv"
    peers_csv.write_text(
        "maker,year,units\nA,2019,200000\nA,2020,300000\nA,2021,420000\nA,2022,500000\n"
        "A,2023,650000\nA,2024,700000\nA,2025,720000\n",
        encoding="utf-8",
    )
    code, out, err = cli(
        "backtest",
        "--history",
        str(hist),
        "--peers",
        str(peers_csv),
        "--scenario",
        "base",
        "--series",
        "subject",
        "--horizon",
        "1",
        "--cases",
        "--format",
        "csv",
        "--draws",
        "500",
    )
    assert code == 0, err
    lines = [r.split(",") for r in out.splitlines()[1:]]
    scen = [r for r in lines if r[4] == "scenario"]
    assert [(r[1], r[2]) for r in scen] == [("2023", "2024"), ("2024", "2025"), ("2025", "2026")]
    assert scen[-1][5] == "700000"
    universe = bt.default_universe(str(hist), str(peers_csv))
    assert list(universe) == ["subject", "A"]
