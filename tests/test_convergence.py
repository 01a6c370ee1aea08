"""Precision control: stops when every headline s.e. is small enough, and is the plain run."""

from __future__ import annotations

import math

import pytest
from _outside import quiet

from leapforecast.engine.kernel import CHUNK
from leapforecast.engine.precision import headline_se, simulate_to_precision
from leapforecast.engine.run import simulate
from leapforecast.errors import UsageError
from leapforecast.model.scenario import load_scenario
from leapforecast.report.run import result_csv, result_json


@pytest.mark.parametrize(("precision", "jobs"), [(0.004, 1), (0.0015, 2)])
def test_stops_at_precision_and_equals_a_plain_run(precision, jobs):
    sc = load_scenario()
    result, report = simulate_to_precision(sc, precision=precision, seed=7, jobs=jobs)
    assert report.converged and report.paths == result.paths
    se, _ = headline_se(result)
    assert se <= precision and report.max_se == se
    assert result.paths > CHUNK or precision > 0.0039  # 0.0015 needs more than one chunk
    # every step before the last was not yet precise enough, and the run only grew
    assert all(s > precision for _, s in report.steps[:-1])
    assert [p for p, _ in report.steps] == sorted({p for p, _ in report.steps})
    plain = simulate(sc, paths=result.paths, seed=7)
    assert result_csv(result) == result_csv(plain)
    assert result_json(result) == result_json(plain)


def test_headline_se_covers_both_kinds_of_probability():
    res = simulate(load_scenario(), paths=3000, seed=1)
    se, (kind, target, year) = headline_se(res)
    k, t = res.targets.index(target), res.years.index(year)
    p = (res.prob_ge if kind == "ge" else res.prob_reached)[k, t]
    assert se == pytest.approx(math.sqrt(p * (1 - p) / 3000))
    assert se >= res.se_ge.max()


def test_cap_is_reported():
    result, report = simulate_to_precision(
        load_scenario(), precision=0.0005, max_paths=30_000, seed=1
    )
    assert not report.converged and result.paths == 30_000
    # the library names its parameter; the CLI shows it as --max-paths (test_cli_precision)
    assert "not reached" in report.message() and "raise `max_paths`" in report.message()


def test_bad_values():
    sc = load_scenario()
    for kwargs, fragment in [
        ({"precision": 0}, "`precision` must"),
        ({"precision": 0.6}, "`precision` must"),
        ({"precision": 0.01, "max_paths": 0}, "`max_paths` must"),
    ]:
        with pytest.raises(UsageError, match=fragment):
            simulate_to_precision(sc, **kwargs)


def test_cli_precision(cli):
    code, out, err = cli("run", "--precision", "0.004", "--seed", "3", "-f", "csv")
    assert code == 0
    assert "precision 0.004 reached with" in err and len(quiet(err).strip().splitlines()) == 1
    paths = int(err.split("reached with ")[1].split(" paths")[0].replace(",", ""))
    assert out == cli("run", "--paths", str(paths), "--seed", "3", "-f", "csv")[1]
    code, _, err = cli("run", "--precision", "0.0005", "--max-paths", "20000", "-f", "json")
    assert code == 0 and err.startswith("warning: precision 0.0005 not reached")
    assert quiet(err).rstrip().endswith("raise --max-paths")
    for args, fragment in [
        (["--precision", "0.01", "--paths", "100"], "exclude each other"),
        (["--max-paths", "100"], "--max-paths"),
    ]:
        code, out, err = cli("run", *args)
        assert code == 2 and out == "" and fragment in err
