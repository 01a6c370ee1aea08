"""The annual calibration report: skill and calibration verdicts on synthetic makers whose truth
is known, seeded reproducibility, no look-ahead, scenario rebasing, the CLI's CSV/JSON/table
contracts. (The scores themselves are tested against closed forms in test_scoring.py.)"""

from __future__ import annotations

import json
import math
from io import StringIO

import numpy as np
import pytest
from rich.console import Console

from leapforecast.analysis import backtest as bt
from leapforecast.data.history import History, load_history
from leapforecast.data.peers import load_peers, peer_intervals
from leapforecast.errors import UsageError
from leapforecast.model.files import bundled_scenarios
from leapforecast.report.backtest import result_tables


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


def _narrow(ctx: bt.Context) -> np.ndarray | None:
    """An overconfident method: rw's forecast squeezed to a third of its spread."""
    x = bt.random_walk(ctx)
    if x is None:
        return None
    centre = np.median(x, axis=0)
    return centre + (x - centre) / 3


@pytest.fixture(scope="module")
def synthetic() -> bt.BacktestResult:
    universe = _walks(120, 7, 0.3, 0.25, seed=5)
    return bt.backtest(
        universe,
        methods=("fitted", "rw"),
        horizons=(1, 2),
        min_points=5,
        draws=1000,
        seed=9,
        custom={"narrow": _narrow},
    )


def test_synthetic_random_walk_rw_is_calibrated_and_fitted_has_no_skill(synthetic):
    """On makers whose log growth is an iid normal walk, rw's intervals are exact: coverage
    consistent with nominal, PIT flat; the correctly specified fitted method has skill ~0."""
    score = {(s.method, s.horizon): s for s in synthetic.scores}
    for h in (1, 2):
        rw = score[("rw", h)]
        assert rw.cases == 120 * (3 - h)
        assert rw.verdict == "consistent" and rw.pit_p > 0.01
        assert rw.skill_rw == 0.0
        assert abs(score[("fitted", h)].skill_rw) < 0.03
        # both beat the point baselines on these data
        assert rw.crps < score[("no-change", h)].crps
        assert rw.crps < score[("last-growth", h)].crps


def test_overconfident_method_is_flagged(synthetic):
    score = {(s.method, s.horizon): s for s in synthetic.scores}
    for h in (1, 2):
        s = score[("narrow", h)]
        assert s.verdict == "too narrow" and s.coverage_90_ci[1] < 0.9
        assert s.coverage_90_boot[1] < 0.9
        hist = np.array(s.pit_histogram)
        expected = s.cases / 10
        assert hist[0] > 2 * expected and hist[-1] > 2 * expected  # U-shaped
        assert hist[3:7].max() < expected
        assert s.pit_p < 1e-3 and s.skill_rw < 0
    lines = [" ".join(line.split()) for line in _render(synthetic).splitlines() if " at h" in line]
    assert lines == [
        "fitted consistent at h1, h2",
        "narrow too narrow at h1, h2",
        "rw consistent at h1, h2",
    ]


def _render(result: bt.BacktestResult, width: int = 80) -> str:
    buf = StringIO()
    console = Console(file=buf, width=width, color_system=None)
    for r in result_tables(result):
        console.print(r)
    return buf.getvalue()


@pytest.fixture(scope="module")
def full() -> bt.BacktestResult:
    return bt.backtest(draws=200, seed=3)


def test_default_report_scores_every_method_on_the_same_cases(full):
    methods = set(full.methods)
    assert {"rw", "peers", "reference", "scenario:default", "no-change"} <= methods
    assert {f"scenario:{n}" for n in bundled_scenarios()} <= methods
    by_h: dict[int, set[int]] = {}
    for s in full.scores:
        by_h.setdefault(s.horizon, set()).add(s.cases)
    assert all(len(v) == 1 for v in by_h.values())  # the same cases for every method
    assert by_h[1] == {22} and full.horizons == (1, 2, 3)
    assert len({c.series for c in full.cases}) == 6
    # bundled scenarios were written in 2026: every case up to 2025 is in-sample for them
    for s in full.scores:
        assert s.in_sample == (s.cases if s.method.startswith("scenario:") else 0)
    assert "2 dated event(s) dropped" in full.notes["scenario:base"]
    assert full.dropped == {"peers": 3}


def test_table_fits_80_columns_with_a_verdict_per_method(full):
    text = _render(full)
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    for m in full.methods:
        assert any(line.split(" ")[0] == _short(m) for line in text.splitlines())
    assert "Monte Carlo error" in " ".join(text.split())


def _short(method: str) -> str:
    return "sc:" + method[9:] if method.startswith("scenario:") else method


def test_same_seed_same_numbers_and_methods_do_not_disturb_each_other():
    a = bt.backtest(methods=("rw", "history"), draws=300, seed=3)
    b = bt.backtest(methods=("rw", "history"), draws=300, seed=3)
    c = bt.backtest(methods=("rw", "fitted", "history"), draws=300, seed=3)
    assert a.rows() == b.rows()

    def of(r: bt.BacktestResult, m: str) -> list:
        return [x for x in r.case_table().rows() if x["method"] == m]

    assert of(a, "history") == of(c, "history")
    d = bt.backtest(methods=("rw", "history"), draws=300, seed=4)
    assert of(a, "history") != of(d, "history")
    # point forecasts need no draws (only a miss's PIT, ~0 or ~1, is randomised)
    strip = [{k: v for k, v in r.items() if k != "pit"} for r in of(a, "no-change")]
    assert strip == [{k: v for k, v in r.items() if k != "pit"} for r in of(d, "no-change")]


def test_no_look_ahead():
    """Changing data after 2022 changes no forecast made for 2022 or before, whatever the
    method (the pooled reference fit and the rebased scenarios included)."""
    universe = {"Leapmotor": load_history(), **load_peers()}
    methods = ("rw", "peers", "reference", "scenario:outside-view-peers", "scenario:base")
    res = bt.backtest(universe, methods=methods, draws=300, seed=1)
    altered = {}
    for name, h in universe.items():
        units = tuple(u * (3.0 if y > 2022 else 1.0) for y, u in zip(h.years, h.units, strict=True))
        altered[name] = History(h.years, units, h.source, h.notes)
    res2 = bt.backtest(altered, methods=methods, draws=300, seed=1)

    def early(r):
        return {
            (c.series, c.origin, c.horizon, c.method): (c.median, c.p5, c.p95)
            for c in r.cases
            if c.year <= 2022
        }

    assert early(res) and early(res) == early(res2)


def test_baselines_and_case_structure():
    res = bt.backtest(series=("Leapmotor",), methods=("rw",), draws=300)
    rows = {(r["origin"], r["horizon"], r["method"]): r for r in res.case_table().rows()}
    nc = rows[(2023, 1, "no-change")]
    assert nc["median"] == 144_155 and nc["crps"] == pytest.approx(
        math.log(293_724 / 144_155), abs=1e-4
    )
    assert nc["in_90"] is None and nc["interval_score_90"] is None
    lg = rows[(2024, 1, "last-growth")]
    assert lg["median"] == round(293_724 * 293_724 / 144_155)
    assert {k[:2] for k in rows} == {(2023, 1), (2023, 2), (2024, 1)}
    assert all(0 <= r["pit"] <= 1 for r in rows.values())
    for s in res.scores:
        assert s.cases == (2 if s.horizon == 1 else 1)
        if s.coverage:
            assert list(s.coverage) == sorted(s.coverage)


def test_peer_pool_excludes_the_series_and_the_future():
    universe = {"Leapmotor": load_history(), **load_peers()}
    cut = universe["Leapmotor"].upto(2023)
    ctx = bt.Context("Leapmotor", cut, universe, (1,), 100, np.random.default_rng(0))
    pool = bt.peer_pool(ctx)
    assert len(pool) >= 5
    others = {k: v for k, v in universe.items() if k != "Leapmotor"}
    allowed = {iv.log_growth for iv in peer_intervals(others, min_units=0, upto=2023)}
    assert set(pool) <= allowed


def test_scenario_rebased_onto_another_maker():
    from leapforecast.analysis.rebase import rebase_scenario
    from leapforecast.model.scenario import load_scenario

    nio = load_peers()["NIO"]
    sc = load_scenario("capacity-bound")
    r = rebase_scenario(sc, nio, 2022, horizon=2, paths=500)
    assert r.scale == pytest.approx(122_486 / 596_555)
    assert r.scenario.base_year == 2022 and r.scenario.base_units == 122_486
    assert r.scenario.spec.event == [] and "2 dated event(s) dropped" in r.notes
    # the schedule keeps its offset from the base year and its ratio to the base level
    sched = r.scenario.spec.capacity.schedule
    assert sorted(sched) == ["2023", "2024", "2025"]
    assert sched["2023"].mode == pytest.approx(850_000 * r.scale)
    bear = rebase_scenario(load_scenario("bear"), nio, 2022, horizon=1, paths=500)
    assert bear.scenario.spec.segment["overseas"].base == pytest.approx(67_000 * bear.scale)
    assert bear.scenario.spec.correlation == [
        c for c in bear.scenario.spec.correlation if "event." not in "".join(c.between)
    ]


def test_scenario_file_without_as_of_has_unknown_in_sample(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text(
        '[scenario]\nname = "mine"\n[growth]\nrate = 0.3\nvolatility = 0.2\n', encoding="utf-8"
    )
    res = bt.backtest(methods=(f"scenario:{f}",), horizons=(1,), draws=200)
    s = next(s for s in res.scores if s.method == f"scenario:{f}")
    assert s.in_sample is None and s.row()["in_sample"] is None


def test_invalid_settings():
    with pytest.raises(UsageError, match="unknown backtest method 'magic'"):
        bt.backtest(methods=("magic",))
    with pytest.raises(UsageError, match="horizons"):
        bt.backtest(horizons=(0,))
    with pytest.raises(UsageError, match="unknown series"):
        bt.backtest(series=("Nokia",), methods=("rw",))


def test_cli_backtest_csv_contract(cli):
    code, out, err = cli("backtest", "--format", "csv", "--draws", "200")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "method,horizon,cases,coverage_50,coverage_80,coverage_90,coverage_90_lo,"
        "coverage_90_hi,pit_p,crps,interval_score_90,bias,skill_rw,in_sample"
    )
    rows = [dict(zip(lines[0].split(","), r.split(","), strict=True)) for r in lines[1:]]
    methods = {r["method"] for r in rows}
    assert {"rw", "peers", "scenario:default"} <= methods
    assert {f"scenario:{n}" for n in bundled_scenarios()} <= methods
    assert all(int(r["cases"]) >= 22 for r in rows if r["horizon"] == "1")
    assert {r["coverage_90"] for r in rows if r["method"] == "no-change"} == {""}


def test_cli_backtest_cases_json_table_plot(cli, tmp_path):
    args = ("backtest", "-m", "rw", "-m", "scenario:base", "--ahead", "1,2", "--draws", "200")
    code, out, _ = cli(*args, "--cases", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == ",".join(bt.CASE_COLUMNS)
    code, out, _ = cli(*args, "--format", "json")
    doc = json.loads(out)
    assert [d["method"] for d in doc["details"]][:2] == ["scenario:base", "rw"]
    assert all(
        sum(d["pit_histogram"]) > 0 and len(d["pit_histogram"]) == 10 for d in doc["details"]
    )
    assert doc["metadata"]["as_of"]["scenario:base"] == "2026-01-19"
    png = tmp_path / "pit.png"
    code, out, err = cli(*args, "--plot", str(png), "--output", str(tmp_path / "t.txt"))
    assert code == 0, err
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "Calibration report" in (tmp_path / "t.txt").read_text()
    for bad, msg in (
        (("--ahead", "x"), "--ahead"),
        (("--method", "magic"), "unknown backtest method 'magic'"),
        (("--method", "scenario:nope"), "nope"),
        (("--series", "Nokia", "-m", "rw"), "unknown series"),
    ):
        code, _, err = cli("backtest", *bad)
        assert code == 2 and msg in err and err.count("\n") == 1


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
        "base",
        "--series",
        "subject",
        "--ahead",
        "1",
        "--cases",
        "--format",
        "csv",
        "--draws",
        "200",
    )
    assert code == 0, err
    lines = [r.split(",") for r in out.splitlines()[1:]]
    scen = [r for r in lines if r[4] == "scenario:base"]
    assert [(r[1], r[2]) for r in scen] == [("2023", "2024"), ("2024", "2025"), ("2025", "2026")]
    assert [r[-1] for r in scen] == ["1", "1", "0"]  # 2026 is after the scenario's as_of
