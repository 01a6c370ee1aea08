"""Calibrated widening (issue 14): spread factors from the backtest, run --calibrated, and the
honest default that the calibration report accepts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from leapforecast.analysis.backtest import _score, backtest
from leapforecast.analysis.calibrate import fit_rows, spread_for, widen
from leapforecast.analysis.scoring import conformal_factor, deviation_score
from leapforecast.engine.run import simulate
from leapforecast.model.files import resolve_path
from leapforecast.model.scenario import load_scenario


def test_deviation_score_and_conformal_rank():
    # above the median: distance over the upper half-width; below: over the lower one
    assert deviation_score(2.0, 1.0, (0.0, 1.5)) == pytest.approx(2.0)
    assert deviation_score(0.0, 1.0, (0.5, 3.0)) == pytest.approx(2.0)
    assert deviation_score(1.0, 1.0, (1.0, 1.0)) == 0.0
    assert math.isinf(deviation_score(2.0, 1.0, (0.0, 1.0)))
    # rank ceil((n + 1) * 0.9): with 19 scores the 18th smallest, with 5 the largest
    assert conformal_factor(np.arange(1, 20), 0.9) == 18
    assert conformal_factor([3, 1, 2, 5, 4], 0.9) == 5


def test_calibrate_recovers_the_factor_of_an_overconfident_method():
    """Outcomes are N(0, 1); the method says N(0, 0.4): its spread must grow 2.5 times."""
    rng = np.random.default_rng(5)
    cases = []
    for i in range(600):
        x = rng.normal(0.0, 0.4, 2000) + 12.0
        y = 12.0 + rng.normal()
        cases.append(_score("S", 2000 + i // 10, 1, "m", x, y, rng, None))
    (row,) = fit_rows(cases, seed=1, reps=200)
    assert row.coverage_90 < 0.65  # too narrow as it stands
    for k in row.factors:  # at 50, 80 and 90%
        assert k == pytest.approx(2.5, rel=0.15)
    lo, hi = row.k90_interval
    assert lo < row.k90 < hi and hi - lo < 1.0


def test_widen_keeps_the_median_and_scales_log_deviations():
    sc = load_scenario("base")
    res = simulate(sc, paths=4000, seed=3)
    wide = widen(res, spread_for([2.0, 3.0], 3), label="test")
    assert wide.calibration == "test"
    i50, i5, i95 = 3, 0, 6  # QUANTILES = (5, 10, 25, 50, 75, 90, 95)
    np.testing.assert_allclose(wide.quantiles[i50], res.quantiles[i50], rtol=1e-5)
    for t, k in enumerate((2.0, 3.0, 3.0)):
        for i in (i5, i95):
            before = math.log(res.quantiles[i, t] / res.quantiles[i50, t])
            after = math.log(wide.quantiles[i, t] / wide.quantiles[i50, t])
            assert after == pytest.approx(k * before, rel=2e-3)
    # counts recomputed from the widened paths
    totals = np.asarray(wide.totals, float)
    assert wide.count_ge[-1, 0] == int((totals[:, 0] >= 1_000_000).sum())
    reached = (totals >= 1_000_000).any(axis=1).sum()
    assert wide.count_reached[-1, -1] == reached


def test_run_calibrated_header_and_widened_quantiles(cli):
    args = ("run", "base", "-n", "3000", "--seed", "4")
    code, plain, _ = cli(*args, "-f", "json")
    assert code == 0
    code, wide, err = cli(*args, "--calibrated", "-f", "json")
    assert code == 0, err
    a, b = json.loads(plain), json.loads(wide)
    assert "calibration" not in a["metadata"]
    spread = load_scenario("base").spec.calibration.spread
    assert b["metadata"]["calibration"].startswith(f"spread x{spread[0]:.2f}/")
    for ra, rb, k in zip(a["rows"], b["rows"], spread, strict=True):
        assert abs(rb["p50"] - ra["p50"]) <= 1
        for q in ("p5", "p95"):
            assert math.log(rb[q] / rb["p50"]) == pytest.approx(
                k * math.log(ra[q] / ra["p50"]), rel=5e-3
            )
    code, table, _ = cli(*args, "--calibrated")
    assert code == 0
    assert "calibrated: spread x3.75/x4.32/x6.62 (2026-2028) from [calibration]" in table


def test_calibrate_command_prints_factors_and_toml(cli):
    code, out, err = cli("calibrate", "base", "--ahead", "1", "--draws", "300", "--toml")
    assert code == 0, err
    assert out.startswith("[calibration]\n# leapforecast calibrate, backtest ")
    value = float(out.split("spread = [")[1].split("]")[0])
    assert 2.0 < value < 6.0  # base is far too narrow one year ahead
    code, out, _ = cli("calibrate", "base", "--ahead", "1", "--draws", "300", "-f", "csv")
    assert code == 0 and out.splitlines()[0].startswith("scenario,horizon,cases,target_years")


def test_the_default_is_accepted_by_the_calibration_report_and_widening_helps_base():
    """`backtest -m scenario:default` at 1 and 2 years ahead: the Wilson interval of the 90%
    coverage contains 0.90, PIT uniformity p >= 0.05, skill against rw >= 0. Base as it stands
    fails; base+calibrated (leave one target year out) covers about 90%."""
    assert resolve_path(None).name == "default.toml"
    res = backtest(
        methods=("scenario:default", "scenario:base", "scenario:base+calibrated"),
        horizons=(1, 2),
        draws=500,
        seed=20260101,
    )
    scores = {(s.method, s.horizon): s for s in res.scores}
    for h in (1, 2):
        s = scores[("scenario:default", h)]
        lo, hi = s.coverage_90_ci
        assert lo <= 0.9 <= hi, (h, s.coverage)
        assert s.pit_p >= 0.05 and s.skill_rw >= 0
        base, cal = scores[("scenario:base", h)], scores[("scenario:base+calibrated", h)]
        assert base.coverage_90_ci[1] < 0.9  # too narrow
        assert cal.coverage[-1] > base.coverage[-1] + 0.2
        assert cal.coverage_90_ci[0] <= 0.9 <= cal.coverage_90_ci[1]
