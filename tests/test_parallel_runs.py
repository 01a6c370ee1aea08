"""sweep, compare and sensitivity spread their independent simulations over an executor
(engine.driver.map_runs): every executor and job count gives the serial bytes."""

from __future__ import annotations

import numpy as np
import pytest

import leapforecast as lf
from leapforecast.analysis.compare import compare
from leapforecast.analysis.sensitivity import average_ranks, tornado
from leapforecast.analysis.sweep import sweep
from leapforecast.engine.driver import map_runs, split_jobs
from leapforecast.errors import LeapforecastError

AXES = ["growth.volatility=0.05:0.2:0.05", "growth.rate=0.3:0.5:0.1"]


def _square(shared: int, task: int) -> int:
    return shared * task * task


def test_map_runs_keeps_task_order_and_reports_progress() -> None:
    seen: list[tuple[int, int]] = []
    out = list(map_runs(_square, 2, [3, 1, 2], jobs=2, progress=lambda d, t: seen.append((d, t))))
    assert out == [18, 2, 8]
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_map_runs_refuses_zero_jobs() -> None:
    with pytest.raises(LeapforecastError, match="`jobs` must be at least 1"):
        list(map_runs(_square, 1, [1], jobs=0))


def test_split_jobs_spreads_runs_or_keeps_chunks() -> None:
    assert split_jobs(4, 10) == (4, 1)  # many runs: one per worker
    assert split_jobs(4, 1) == (1, 4)  # one run: its chunks get the jobs
    assert split_jobs(1, 10) == (1, 1)


@pytest.mark.parametrize(("jobs", "executor"), [(2, "threads"), (2, "processes")])
def test_sweep_is_identical_to_serial(jobs: int, executor: str) -> None:
    sc = lf.load_scenario("base")
    one = sweep(sc, AXES, paths=2_000, seed=3, jobs=1)
    many = sweep(sc, AXES, paths=2_000, seed=3, jobs=jobs, executor=executor)
    for name in ("prob", "se", "p10", "p50", "p90"):
        assert getattr(many, name).tobytes() == getattr(one, name).tobytes(), name
    assert many.to_json() == one.to_json()


@pytest.mark.parametrize(("jobs", "executor"), [(2, "threads"), (2, "processes")])
def test_compare_is_identical_to_serial(jobs: int, executor: str) -> None:
    scs = [lf.load_scenario(n) for n in ("base", "bear", "bull")]
    one = compare(scs, paths=3_000, seed=5, jobs=1)
    many = compare(scs, paths=3_000, seed=5, jobs=jobs, executor=executor)
    assert many.to_json() == one.to_json()
    for a, b in zip(one.results, many.results, strict=True):
        assert a.totals is not None and b.totals is not None
        assert a.totals.tobytes() == b.totals.tobytes()


def test_tornado_is_identical_to_serial() -> None:
    sc = lf.load_scenario("bear")
    rows1, base1 = tornado(sc, paths=2_000, seed=3, jobs=1)
    rows2, base2 = tornado(sc, paths=2_000, seed=3, jobs=2, executor="processes")
    assert rows1 == rows2
    assert base1.totals.tobytes() == base2.totals.tobytes()


def test_tornado_progress_counts_every_run() -> None:
    sc = lf.load_scenario("base")
    seen: list[tuple[int, int]] = []
    rows, _ = tornado(sc, paths=1_000, seed=3, jobs=2, progress=lambda d, t: seen.append((d, t)))
    total = 1 + 2 * len(rows)
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == list(range(1, total + 1))


def test_sweep_on_a_dask_scheduler_matches_serial() -> None:
    distributed = pytest.importorskip("dask.distributed")
    sc = lf.load_scenario("base")
    one = sweep(sc, AXES[:1], paths=2_000, seed=3)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        many = sweep(
            sc,
            AXES[:1],
            paths=2_000,
            seed=3,
            jobs=2,
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
    assert many.prob.tobytes() == one.prob.tobytes()


def test_cli_sweep_accepts_executor_options(cli) -> None:
    args = ["sweep", "base", "--vary", AXES[0], "-n", "1000", "--seed", "3", "-f", "csv"]
    code1, out1, _ = cli(*args)
    code2, out2, _ = cli(*args, "-j", "2", "--executor", "processes")
    assert code1 == code2 == 0 and out1 == out2


def test_average_ranks_match_scipy_rankdata() -> None:
    from scipy.stats import rankdata

    rng = np.random.default_rng(1)
    for x in (
        rng.random(500),
        rng.integers(0, 4, 500).astype(float),
        np.array([2.0, 2.0, 1.0]),
        np.array([1.0]),
        np.array([]),
    ):
        assert np.array_equal(average_ranks(x), rankdata(x))
    assert np.isnan(average_ranks(np.array([1.0, np.nan]))).all()


def test_tables_for_imports_only_the_builder_it_needs() -> None:
    from leapforecast.report.dispatch import tables_for

    with pytest.raises(TypeError, match="no table builder for int"):
        tables_for(3)
    res = lf.simulate(lf.load_scenario("base"), paths=500, seed=1)
    assert tables_for(res)  # the run tables, through the lazy registry
