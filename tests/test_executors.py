"""Every executor gives byte-identical output (threads, processes, a Dask LocalCluster)."""

from __future__ import annotations

import pytest

import leapforecast as lf
from leapforecast.engine.run import simulate
from leapforecast.report.run import result_csv, result_json


@pytest.fixture(scope="module")
def reference():
    sc = lf.load_scenario()
    return sc, result_csv(simulate(sc, paths=2_000_000, seed=11))


def test_threads_and_processes_match(reference):
    sc, expected = reference
    assert result_csv(simulate(sc, paths=2_000_000, seed=11, jobs=2)) == expected
    assert (
        result_csv(simulate(sc, paths=2_000_000, seed=11, jobs=2, executor="processes")) == expected
    )


def test_dask_local_cluster_matches(reference):
    pytest.importorskip("dask.distributed")
    sc, expected = reference
    assert result_csv(simulate(sc, paths=2_000_000, seed=11, jobs=2, executor="dask")) == expected


def test_json_identical_across_jobs():
    sc = lf.load_scenario("builtin:base")
    one = result_json(simulate(sc, paths=50_000, seed=5, jobs=1))
    two = result_json(simulate(sc, paths=50_000, seed=5, jobs=2))
    assert one == two


def test_unknown_executor():
    with pytest.raises(lf.LeapforecastError, match="unknown executor"):
        simulate(lf.load_scenario(), paths=100, executor="gpu")


def test_cli_executors_give_identical_bytes(cli):
    pytest.importorskip("dask.distributed")
    base = ["run", "-f", "csv", "-n", "100000", "--seed", "4"]
    expected = cli(*base)[1]
    for extra in (
        ["--jobs", "2"],
        ["--jobs", "2", "--executor", "processes"],
        ["--jobs", "2", "--executor", "dask"],
    ):
        code, out, err = cli(*base, *extra)
        assert code == 0, err
        assert out == expected, extra


def test_cli_unreachable_scheduler_is_one_line(cli):
    pytest.importorskip("dask.distributed")
    code, out, err = cli(
        "run", "-n", "100", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"
    )
    assert code == 2 and out == ""
    assert err.startswith("error: cannot reach Dask scheduler") and len(err.splitlines()) == 1
