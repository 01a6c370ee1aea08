"""Nowcast: exact conditioning limits, the engine link, invariants, the 2025 backtest, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from leapforecast.analysis import nowcast_backtest as nb
from leapforecast.analysis.nowcast import (
    DEFAULT_OPTIONS,
    check_actuals,
    kriging_weights,
    nowcast,
    parse_month_values,
    year_to_date,
)
from leapforecast.analysis.seasonal import MonthlyOptions, fit_monthly
from leapforecast.data.monthly import load_monthly, month_index
from leapforecast.engine.run import simulate
from leapforecast.errors import UsageError
from leapforecast.model.scenario import load_scenario

MONTHS_2025 = load_monthly().year(2025)
TOTAL_2025 = 596_555

PLAIN = """
    [scenario]
    name = "plain"
    [simulation]
    horizon = 2027
    paths = 3000
    seed = 11
    targets = [500_000, 750_000, 1_000_000]
    [growth]
    rate = { dist = "triangular", low = 0.1, mode = 0.3, high = 0.5 }
    volatility = 0.1
"""


def _months(year: int, k: int, source: dict[int, float] = MONTHS_2025) -> dict[str, float]:
    return {f"{year}-{m:02d}": source[m] for m in range(1, k + 1)}


@pytest.fixture(scope="module")
def fit2026():
    return fit_monthly(load_monthly(), end=month_index(2025, 12))


@pytest.fixture(scope="module")
def fit2025():
    return fit_monthly(load_monthly(), end=month_index(2024, 12))


@pytest.fixture
def plain(write_scenario):
    """No capacity and no events: the engine's first-year demand is its sales."""
    return load_scenario(write_scenario(PLAIN))


# --------------------------------------------------------------------------- the two limits


def test_all_twelve_months_give_their_sum_with_no_spread(fit2025) -> None:
    res = nowcast(
        _months(2025, 12),
        year=2025,
        paths=2000,
        seed=1,
        monthly=fit2025,
        targets=[500_000, TOTAL_2025, TOTAL_2025 + 1, 1_000_000],
    )
    assert res.ytd == TOTAL_2025
    assert np.all(res.totals == TOTAL_2025)
    assert np.all(res.quantiles == TOTAL_2025) and res.mean == TOTAL_2025
    assert res.prob_ge.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert res.se_ge.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert res.remaining == () and res.needed == [None] * 4


def test_no_months_is_the_level_prior(fit2026) -> None:
    """With no month observed the nowcast is its level prior: each path keeps the scenario's
    total, or (with probability ``conflict``) takes the outside view's instead."""
    sc = load_scenario("base")  # the bundled base, with capacity and events
    res = nowcast(None, scenario=sc, paths=3000, seed=5, monthly=fit2026)
    annual = simulate(sc, paths=3000, seed=5)
    kept = res.totals == annual.totals[:, 0].astype(float)
    assert abs(kept.mean() - (1 - DEFAULT_OPTIONS.conflict)) < 4 * math.sqrt(0.25 / 3000)
    # the outside view of base is wider than base: the mixture's 90% range is wider too
    assert res.quantiles[-1] / res.quantiles[0] > res.prior_quantiles[-1] / res.prior_quantiles[0]
    assert res.month_mean.sum() == pytest.approx(res.mean, rel=1e-6)


def test_no_months_without_the_outside_view_is_exactly_the_annual_model(fit2026) -> None:
    sc = load_scenario("base")  # the bundled base, with capacity and events
    res = nowcast(
        None,
        scenario=sc,
        paths=3000,
        seed=5,
        monthly=fit2026,
        options=MonthlyOptions(conflict=0.0),
    )
    annual = simulate(sc, paths=3000, seed=5)
    assert res.year == annual.years[0] == 2026
    assert np.array_equal(res.totals, annual.totals[:, 0].astype(float))
    assert np.array_equal(res.count_ge, annual.count_ge[:, 0])
    assert np.allclose(res.quantiles, res.prior_quantiles)
    # the twelve simulated months of each path add up to its annual total
    assert res.month_mean.sum() == pytest.approx(res.mean, rel=1e-6)


def test_engine_hook_limits(plain, fit2026) -> None:
    sc = plain
    twelve = {f"2026-{m:02d}": 50_000 + 1_000 * m for m in range(1, 13)}
    ytd = year_to_date(twelve, scenario=sc, monthly=fit2026)
    conditioned = simulate(sc, paths=2000, seed=3, condition=ytd)
    assert np.all(conditioned.totals[:, 0] == sum(twelve.values()))
    later = conditioned.totals[:, 1]
    assert later.std() > 0 and np.median(later) > sum(twelve.values())  # grows from the actuals
    none = year_to_date({}, scenario=sc, monthly=fit2026, options=MonthlyOptions(conflict=0.0))
    assert np.array_equal(
        simulate(sc, paths=2000, seed=3, condition=none).totals,
        simulate(sc, paths=2000, seed=3).totals,
    )


def test_engine_hook_and_nowcast_agree(plain, fit2026) -> None:
    actuals = {"2026-01": 32_059, "2026-02": 30_000, "2026-03": 45_000}
    res = nowcast(actuals, scenario=plain, paths=2500, seed=9, monthly=fit2026)
    ytd = year_to_date(actuals, scenario=plain, monthly=fit2026, seed=9)
    run = simulate(plain, paths=2500, seed=9, condition=ytd)
    assert np.allclose(run.totals[:, 0], res.totals, rtol=1e-6)


def test_base_scenario_hook_with_capacity_has_no_spread_for_a_full_year(fit2026) -> None:
    sc = load_scenario("base")
    twelve = {f"2026-{m:02d}": 80_000 for m in range(1, 13)}
    run = simulate(
        sc, paths=1000, seed=2, condition=year_to_date(twelve, scenario=sc, monthly=fit2026)
    )
    assert np.all(run.totals[:, 0] == 960_000)


# --------------------------------------------------------------------------- invariants


def test_probability_is_monotone_in_target_and_needed_is_arithmetic(fit2026) -> None:
    targets = list(range(400_000, 1_200_001, 50_000)) + [20_000]
    res = nowcast({"2026-01": 32_059}, targets=targets, paths=4000, seed=4, monthly=fit2026)
    assert res.targets == sorted(targets)
    assert np.all(np.diff(res.prob_ge) <= 0)
    assert res.needed[0] == 0.0  # 20k is already reached by January
    k = res.targets.index(1_000_000)
    assert res.needed[k] == pytest.approx((1_000_000 - 32_059) / 11)


def test_months_are_consistent_with_the_total(fit2026) -> None:
    res = nowcast({"2026-01": 32_059, "2026-02": 28_000}, paths=3000, seed=8, monthly=fit2026)
    assert res.remaining == tuple(range(3, 13))
    assert res.mean == pytest.approx(res.ytd + res.month_mean.sum(), rel=1e-6)
    assert np.all(np.diff(res.month_quantiles, axis=1) >= 0)
    assert np.all(np.diff(res.quantiles) >= 0)
    assert np.all(res.totals > res.ytd)


def test_more_months_narrow_the_interval(fit2025) -> None:
    # a wide annual prior (as the old trend prior was): with base's narrow one, January alone
    # widens the interval (the monthly view's flat level prior; issue 15)
    sc = load_scenario("base").with_overrides("growth.volatility=0.35")
    widths = []
    for k in (0, 1, 6, 11):
        res = nowcast(_months(2025, k), scenario=sc, year=2025, paths=3000, seed=6, monthly=fit2025)
        widths.append(np.log(res.quantiles[-1] / res.quantiles[0]))
    assert widths[0] > widths[1] > widths[2] > widths[3]


def test_same_seed_same_result_and_seed_matters(fit2026) -> None:
    a = nowcast({"2026-01": 32_059}, paths=2000, seed=1, monthly=fit2026)
    b = nowcast({"2026-01": 32_059}, paths=2000, seed=1, monthly=fit2026)
    c = nowcast({"2026-01": 32_059}, paths=2000, seed=2, monthly=fit2026)
    assert np.array_equal(a.totals, b.totals) and a.rows() == b.rows()
    assert not np.array_equal(a.totals, c.totals)


def test_kriging_weights_carry_a_level_shift_exactly() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 5)).cumsum(axis=1)
    cov = np.cov(x, rowvar=False)
    w = kriging_weights(cov, np.array([0, 1]), np.array([2, 3, 4]))
    assert np.allclose(w.sum(axis=1), 1.0)
    obs = np.array([1.0, 2.0])
    assert np.allclose(w @ (obs + 5.0), w @ obs + 5.0)


# --------------------------------------------------------------------------- validation


def test_actuals_validation() -> None:
    assert check_actuals({"2026-02": 1, "2026-01": 2}) == {
        month_index(2026, 1): 2.0,
        month_index(2026, 2): 1.0,
    }
    with pytest.raises(UsageError, match="span several years"):
        check_actuals({"2025-12": 1, "2026-01": 2})
    with pytest.raises(UsageError, match="positive"):
        check_actuals({"2026-01": -5})
    with pytest.raises(UsageError, match="not a month"):
        check_actuals({"January": 5})
    with pytest.raises(UsageError, match="given twice"):
        check_actuals({month_index(2026, 1): 5, "2026-01": 6})


def test_month_values() -> None:
    assert parse_month_values(["2026-01=32059", "2026-2=28k"]) == {
        "2026-01": 32_059,
        "2026-02": 28_000,
    }
    for bad, message in [
        (["2026-01"], "expected MONTH=UNITS"),
        (["2026-13=5"], "has month 13"),
        (["2026-01=lots"], "number of units"),
        (["2026-01=0"], "positive"),
        (["2026-01=5", "2026-01=6"], "given twice"),
    ]:
        with pytest.raises(UsageError, match=message):
            parse_month_values(bad)


def test_year_and_scenario_mismatches(fit2026) -> None:
    with pytest.raises(UsageError, match="`year` 2027: the actuals are for 2026"):
        nowcast({"2026-01": 5}, year=2027, monthly=fit2026)
    with pytest.raises(UsageError, match="first forecast year is 2026; set history.base_year=2024"):
        year_to_date({"2025-01": 5}, scenario=load_scenario("base"), prior_log_sd=0.1)


# --------------------------------------------------------------------------- backtest


@pytest.fixture(scope="module")
def monthly_report() -> nb.NowcastBacktest:
    return nb.backtest("all", paths=300, seed=3)


def test_backtest_covers_every_maker_year_and_cut_off(monthly_report) -> None:
    r = monthly_report
    assert set(r.makers) == {"Leapmotor", "NIO", "XPeng", "Li Auto"}
    # the reference prior needs only the year before (the trend prior skips Li Auto 2022)
    assert ("Leapmotor", 2025) in r.maker_years and len(r.maker_years) == 13
    assert ("Li Auto", 2022) in r.maker_years and not r.skipped
    assert r.prior == "reference" and r.metadata()["prior"] == "reference"
    assert len(r.cases) == 13 * 12
    groups = {g.group: g for g in r.groups}
    assert list(groups) == ["0", "1-2", "3-5", "6-8", "9-11"]
    assert [g.cases for g in r.groups] == [13, 26, 39, 39, 39]
    assert groups["0"].month_cases == 13 * 12 and groups["9-11"].month_cases == 13 * 6
    assert sum(g.month_cases for g in r.groups) == 13 * 78
    for g in r.groups:
        row = g.row()
        assert list(row) == nb.COLUMNS
        assert (
            row["month_coverage_80_lo"] <= row["month_coverage_80"] <= row["month_coverage_80_hi"]
        )
        assert row["month_coverage_80"] <= row["month_coverage_90"]
    # late in the year the nowcast knows most of the total: far better than early
    assert groups["9-11"].crps < groups["1-2"].crps < groups["0"].crps


def test_backtest_cases_are_honest_about_what_was_known(monthly_report) -> None:
    nio = [c for c in monthly_report.cases if c.maker == "NIO" and c.year == 2023]
    assert [c.months for c in nio] == list(range(12))
    assert all(c.actual == 160_038 for c in nio)  # NIO's 2023 deliveries (monthly sum)
    assert nio[0].prior == "reference"
    for c in nio:
        assert len(c.month_in_80) == 12 - c.months
        assert all(a <= b for a, b in zip(c.month_in_90, c.month_in_90, strict=True))
        assert c.in_80 == (c.quantiles[1] <= c.actual <= c.quantiles[5])


def test_naive_baselines_by_hand() -> None:
    last = {m: 100.0 for m in range(1, 13)}
    last[12] = 200.0  # last year: 1,300
    assert nb.naive_forecasts(last, {}) == (1300.0, 1300.0)
    run_rate, yoy = nb.naive_forecasts(last, {1: 110.0, 2: 120.0, 3: 130.0, 4: 140.0})
    # y/y: 500 / 400 of last year's total
    assert yoy == pytest.approx(500 * 1300 / 400)
    # run rate: Feb-Apr at 390/300 of last year, applied to May-Dec (900)
    assert run_rate == pytest.approx(500 + 390 / 300 * 900)


def test_backtest_reproducible_and_series_and_scenario() -> None:
    a = nb.backtest(["NIO"], paths=200, seed=1, year=2024, cutoffs=(0, 6))
    b = nb.backtest(["nio"], paths=200, seed=1, year=2024, cutoffs=(0, 6))
    assert a.rows() == b.rows() and a.case_table().rows() == b.case_table().rows()
    assert a.makers == ("NIO",) and [c.months for c in a.cases] == [0, 6]
    lm = nb.backtest(["Leapmotor"], scenario=load_scenario("base"), paths=200, cutoffs=(0, 3))
    assert lm.maker_years == (("Leapmotor", 2025),) and lm.scenario == "base"
    assert all(c.prior == "scenario base" for c in lm.cases)
    with pytest.raises(UsageError, match="unknown series 'Nokia'"):
        nb.backtest(["Nokia"])
    with pytest.raises(UsageError, match="cut-offs"):
        nb.backtest(["NIO"], cutoffs=(12,))


# --------------------------------------------------------------------------- CLI


def test_cli_formats(cli, tmp_path) -> None:
    args = (
        "nowcast",
        "--month",
        "2026-01=32059",
        "--target",
        "1M",
        "--target",
        "750k",
        "--paths",
        "2000",
    )
    code, out, err = cli(*args, "--format", "csv")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "row,label,probability,se,needed_per_month,mean,p5,p10,p25,p50,p75,p90,p95"
    assert lines[1].startswith("target,750000,") and lines[2].startswith("target,1000000,")
    assert lines[2].split(",")[4] == str(round((1_000_000 - 32_059) / 11))
    assert lines[4] == "actual,2026-01,,,,32059,32059,32059,32059,32059,32059,32059,32059"
    assert sum(line.startswith("month,2026-") for line in lines) == 11
    assert "," not in lines[3].split(",")[0]
    code2, out2, _ = cli(*args, "--format", "csv")
    assert out2 == out  # same seed, same bytes
    code, out, err = cli(*args, "--format", "json")
    doc = json.loads(out)
    assert doc["year_to_date"] == 32_059 and [t["target"] for t in doc["targets"]] == [
        750_000,
        1_000_000,
    ]
    assert doc["targets"][0]["probability"] >= doc["targets"][1]["probability"]
    assert len(doc["months"]) == 11 and doc["metadata"]["paths"] == 2000
    code, out, err = cli(*args)
    assert code == 0 and "P(full year >= target)" in out and "2026-12" in out


def test_cli_actuals_file_and_output(cli, tmp_path) -> None:
    actuals = tmp_path / "ytd.csv"
    actuals.write_text("month,units\n2026-01,32059\n2026-02,30000\n", encoding="utf-8")
    out_file = tmp_path / "nowcast.csv"
    code, out, err = cli(
        "nowcast", "--actuals", str(actuals), "--paths", "1500", "-f", "csv", "-o", str(out_file)
    )
    assert code == 0 and out == "", err
    text = out_file.read_text()
    assert "actual,2026-02,,,,30000" in text
    code, _, err = cli(
        "nowcast", "--actuals", str(actuals), "--month", "2026-02=1", "--paths", "100"
    )
    assert code == 2 and "2026-02" in err and "also in --actuals" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2026-01"), "expected MONTH=UNITS"),
        (("--month", "2025-12=5", "--month", "2026-01=5"), "span several years"),
        (("--month", "2026-01=5", "--year", "2027"), "the actuals are for 2026"),
        (("--backtest", "--month", "2026-01=5"), "drop --actuals/--month"),
        (("--target", "lots", "--month", "2026-01=5"), "number of units"),
        (("--seasonal", "1,2,3", "--month", "2026-01=5"), "twelve positive numbers"),
        (("--month", "2027-01=5"), "cannot nowcast 2027 with scenario default"),
        (("--month", "2022-01=5"), "needs at least 3 months before 2022"),
    ],
)
def test_cli_errors(cli, args, message) -> None:
    code, out, err = cli("nowcast", *args, "--paths", "100")
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_cli_actuals_file_rejects_periods(cli, tmp_path) -> None:
    actuals = tmp_path / "ytd.csv"
    actuals.write_text("month,units\n2026-01,32059\n2026-Q1,90000\n", encoding="utf-8")
    code, _, err = cli("nowcast", "--actuals", str(actuals), "--paths", "100")
    assert code == 2 and "line 3" in err and "give single months" in err


def test_cli_backtest_csv_contract(cli) -> None:
    code, out, err = cli(
        "nowcast", "--backtest", "--series", "all", "--paths", "300", "--format", "csv"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "group,cases,month_cases,month_coverage_80,month_coverage_80_lo,month_coverage_80_hi,"
        "month_coverage_90,total_coverage_80,total_coverage_80_lo,total_coverage_80_hi,"
        "total_pit_p,crps,naive_crps"
    )
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "1-2", "3-5", "6-8", "9-11"]
    assert sum(int(line.split(",")[2]) for line in lines[1:]) >= 500  # month cases
    code, out, err = cli(
        "nowcast",
        "--backtest",
        "--series",
        "NIO",
        "--series",
        "Leapmotor",
        "--paths",
        "200",
        "--format",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["metadata"]["makers"] == ["NIO", "Leapmotor"]  # in the order asked
    assert [len(d["pit_histogram"]) for d in doc["details"]] == [5] * 5
    code, out, err = cli(
        "nowcast",
        "--backtest",
        "--series",
        "XPeng",
        "--year",
        "2025",
        "--cases",
        "--paths",
        "200",
        "--format",
        "csv",
    )
    assert code == 0, err
    assert out.splitlines()[0] == ",".join(nb.CASE_COLUMNS) and len(out.splitlines()) == 13
    code, out, err = cli("nowcast", "--backtest", "--series", "XPeng", "--paths", "200")
    assert code == 0 and "Nowcast backtest" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    code, _, err = cli("nowcast", "--series", "NIO", "--month", "2026-01=5")
    assert code == 2 and "go with --backtest" in err
    code, _, err = cli("nowcast", "--prior", "trend", "--month", "2026-01=5")
    assert code == 2 and "go with --backtest" in err
    code, _, err = cli("nowcast", "--backtest", "--prior", "trnd")
    assert code == 2 and "trnd" in err and "\n" not in err.strip()


def test_cli_backtest_prior_choice(cli) -> None:
    """``--prior trend``: each maker's own annual trend (it needs three annual years, so Li
    Auto 2022 is skipped and said so); the default is the reference model."""
    args = ("nowcast", "--backtest", "--series", "Li Auto", "--paths", "200", "-f", "json")
    code, out, err = cli(*args, "--prior", "trend")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["metadata"]["prior"] == "trend" and "Li Auto 2022" in doc["skipped"]
    code, out, err = cli(*args)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["metadata"]["prior"] == "reference" and not doc["skipped"]
    assert "Li Auto 2022" in doc["metadata"]["maker_years"]
    with pytest.raises(UsageError, match="prior must be one of"):
        nb.backtest("NIO", prior="flat", paths=200)


def test_cli_user_history_and_year_without_actuals(cli, tmp_path) -> None:
    rows = ["month,units"] + [
        f"{2023 + i // 12}-{i % 12 + 1:02d},{20_000 + 900 * i}" for i in range(36)
    ]
    history = tmp_path / "monthly.csv"
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = cli(
        "nowcast",
        "--history",
        str(history),
        "--month",
        "2026-01=60000",
        "--paths",
        "1000",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["year_to_date"] == 60_000
    code, out, err = cli("nowcast", "--year", "2026", "--paths", "1000", "--format", "csv")
    assert code == 0, err
    assert (
        "actual," not in out and sum(line.startswith("month,") for line in out.splitlines()) == 12
    )


def test_result_reports_the_outside_views_weight(fit2026) -> None:
    """The level prior's weight on the outside view, before and after the actuals, is in the
    result, its JSON and its table: a first quarter far above what bear expects hands it the
    year (one month alone is weak evidence: the share of a single month varies a lot)."""
    from io import StringIO

    from rich.console import Console

    from leapforecast.report import tables_for

    bear = load_scenario("bear")
    q1 = {"2026-01": 90_000, "2026-02": 80_000, "2026-03": 110_000}
    far = nowcast(q1, scenario=bear, paths=2000, seed=1, monthly=fit2026)
    assert far.outside_prior_weight == DEFAULT_OPTIONS.conflict
    assert far.outside_weight is not None and far.outside_weight > 0.7
    last = load_monthly().year(2025)
    near = {f"2026-0{m}": 1.1 * last[m] for m in (1, 2, 3)}  # as a modest year would start
    modest = nowcast(near, scenario=bear, paths=2000, seed=1, monthly=fit2026)
    assert modest.outside_weight is not None and modest.outside_weight < 0.5
    doc = far.document()
    assert doc["model"]["outside_weight"] == round(far.outside_weight, 4)
    console = Console(file=StringIO(), width=100, color_system=None)
    for t in tables_for(far):
        console.print(t)
    assert "after the actuals the outside view holds" in console.file.getvalue()
    off = nowcast(
        q1,
        scenario=bear,
        paths=2000,
        seed=1,
        monthly=fit2026,
        options=MonthlyOptions(conflict=0.0),
    )
    assert off.outside_weight is None and off.document()["model"]["outside_weight"] is None
    assert np.median(off.totals) < np.median(far.totals)


def test_backtest_is_identical_on_any_workers() -> None:
    """Maker-years draw from (seed, maker, year) alone: threads and processes, one worker or
    two, give the same cases bit for bit."""
    kw = dict(series=["NIO", "Leapmotor"], paths=200, seed=7, cutoffs=[0, 3, 9])
    serial = nb.backtest(**kw)
    rows = [c.row() for c in serial.cases]
    assert len(rows) == 5 * 3  # NIO 2022-2025, Leapmotor 2025
    for executor in ("threads", "processes"):
        par = nb.backtest(**kw, jobs=2, executor=executor)
        assert [c.row() for c in par.cases] == rows
        assert par.maker_years == serial.maker_years and par.skipped == serial.skipped


def test_cli_backtest_workers_and_their_flags(cli, monkeypatch) -> None:
    args = ("nowcast", "--backtest", "--series", "XPeng", "--paths", "200", "-f", "csv")
    code, serial, err = cli(*args)
    assert code == 0, err
    code, out, err = cli(*args, "-j", "2", "--executor", "threads")
    assert code == 0 and out == serial, err
    code, _, err = cli("nowcast", "--executor", "threads", "--month", "2026-01=5")
    assert code == 2 and "go with --backtest" in err
    monkeypatch.setenv("LEAPFORECAST_JOBS", "2")  # set for every command: not an error here
    code, out, err = cli("nowcast", "--month", "2026-01=32059", "--paths", "2000", "-f", "csv")
    assert code == 0, err
