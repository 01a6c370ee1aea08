"""Every executor gives byte-identical output (threads, processes, a Dask LocalCluster)."""

from __future__ import annotations

import numpy as np
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
        ["--jobs", "2", "--executor", "threads"],
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


class RecordingExecutor:
    """A fake executor: runs tasks serially in this process and records what it was handed."""

    in_process = True

    def __init__(self):
        self.calls = []

    def map(self, fn, shared, tasks):
        self.calls.append((fn, shared, list(tasks)))
        return (fn(shared, task) for task in tasks)


def test_executors_receive_the_kernel_function():
    from leapforecast.engine.kernel import run_task
    from leapforecast.engine.plan import Plan

    sc = lf.load_scenario()
    fake = RecordingExecutor()
    result = simulate(sc, paths=150_000, seed=5, executor=fake)
    ((fn, shared, tasks),) = fake.calls
    assert fn is run_task and isinstance(shared, Plan)
    assert [(t.index, t.size, t.seed) for t in tasks] == [
        (0, 65_536, 5),
        (1, 65_536, 5),
        (2, 18_928, 5),
    ]
    assert result_csv(result) == result_csv(simulate(sc, paths=150_000, seed=5, jobs=2))


def test_precision_and_sensitivity_run_through_the_given_executor():
    from leapforecast.analysis.sensitivity import sobol_indices
    from leapforecast.engine.precision import simulate_to_precision

    sc = lf.load_scenario()
    fake = RecordingExecutor()
    result, _ = simulate_to_precision(sc, precision=0.004, seed=7, executor=fake)
    # every chunk is simulated once, however many times the run grew
    done = [(t.index, t.size) for _, _, tasks in fake.calls for t in tasks]
    full = [c for c in done if c[1] == 65_536]
    assert len(full) == len(set(full)) and len(fake.calls) >= 2
    assert result_csv(result) == result_csv(simulate(sc, paths=result.paths, seed=7))
    # Sobol indices go through the driver too (one chunk per design row)
    assert sobol_indices(sc, n=64, seed=3, resamples=10)


def test_get_executor_picks_serial_for_one_job_or_one_task():
    from leapforecast.engine.executors import (
        DaskExecutor,
        ProcessExecutor,
        SerialExecutor,
        ThreadExecutor,
        get_executor,
    )

    assert isinstance(get_executor("processes", jobs=1), SerialExecutor)
    assert isinstance(get_executor("threads", jobs=4, tasks=1), SerialExecutor)
    assert isinstance(get_executor("threads", jobs=2), ThreadExecutor)
    assert isinstance(get_executor("processes", jobs=2), ProcessExecutor)
    assert isinstance(get_executor("dask", jobs=1, tasks=1), DaskExecutor)
    fake = RecordingExecutor()
    assert get_executor(fake) is fake


def test_cli_precision_gives_identical_bytes_on_every_executor(cli):
    base = ["run", "-f", "csv", "--precision", "0.0025", "--seed", "4"]
    code, expected, err = cli(*base)
    assert code == 0 and "reached with" in err
    variants = [["--jobs", "2"], ["--jobs", "2", "--executor", "processes"]]
    try:
        import dask.distributed  # noqa: F401

        variants.append(["--jobs", "2", "--executor", "dask"])
    except ImportError:
        pass
    for extra in variants:
        code, out, err2 = cli(*base, *extra)
        assert code == 0, err2
        assert out == expected and err2 == err, extra


def test_cli_precision_with_actuals_is_the_conditioned_plain_run(cli):
    month = ["--month", "2026-01=40000", "--seed", "7", "-f", "csv"]
    code, out, err = cli("run", "--precision", "0.01", *month)
    assert code == 0, err
    assert "reached with" in err
    paths = int(err.split("reached with ")[1].split(" paths")[0].replace(",", ""))
    assert out == cli("run", "-n", str(paths), *month)[1]
    assert out != cli("run", "-n", str(paths), "--seed", "7", "-f", "csv")[1]
    code, out2, err2 = cli(
        "run", "--precision", "0.01", *month, "--executor", "processes", "-j", "2"
    )
    assert (code, out2, err2) == (0, out, err)


def test_segments_filled_in_place_match_segments_copied_back():
    """In this process chunks write their per-segment units straight into the run's array; a
    process pool's chunks send theirs back to be copied. Same bytes, segments included."""
    sc = lf.load_scenario("bear")
    serial = simulate(sc, paths=200_000, seed=5)
    pooled = simulate(sc, paths=200_000, seed=5, jobs=2, executor="processes")
    assert serial.segments and set(serial.segments) == {"china", "overseas"}
    assert result_json(serial) == result_json(pooled)
    for name, summary in serial.segments.items():
        assert (summary["quantiles"] == pooled.segments[name]["quantiles"]).all()


def test_forked_workers_fill_the_runs_shared_memory():
    """A process pool forked from this process writes each chunk's units into the run's shared
    arrays and sends back only counts; a sink in ordinary memory is never handed to it."""
    from leapforecast.engine.driver import run_chunks
    from leapforecast.engine.executors import ProcessExecutor, get_executor, inherits_memory
    from leapforecast.engine.kernel import chunk_sizes
    from leapforecast.engine.plan import compile_plan
    from leapforecast.engine.reduction import Reducer

    sc = lf.load_scenario("bear")
    plan = compile_plan(sc)
    paths = 150_000
    chunks = list(enumerate(chunk_sizes(paths)))
    serial = Reducer(plan, paths)
    for out in run_chunks(plan, chunks, seed=3, sink=serial.sink):
        serial.add(out)
    pool = ProcessExecutor(2)
    if not inherits_memory(pool):
        pytest.skip("processes are not forked on this platform")
    for shared, sent_back in ((True, False), (False, True)):
        reducer = Reducer(plan, paths, shared=shared)
        outs = list(run_chunks(plan, chunks, seed=3, executor=pool, sink=reducer.sink))
        assert all((out.totals is not None) == sent_back for out in outs)
        for out in outs:
            reducer.add(out)
        assert np.array_equal(reducer.totals, serial.totals)
        assert np.array_equal(reducer.seg_totals, serial.seg_totals)
    assert not inherits_memory(get_executor("threads", jobs=2))
    assert not inherits_memory(get_executor("threads", jobs=1))
    assert not inherits_memory(RecordingExecutor())  # an executor that does not say


def test_shared_arrays_outlive_the_reducer():
    from leapforecast.engine.plan import compile_plan
    from leapforecast.engine.reduction import Reducer

    reducer = Reducer(compile_plan(lf.load_scenario("bear")), 1000, shared=True)
    totals, seg = reducer.totals, reducer.seg_totals
    assert totals.shape == (len(reducer.plan.years), 1000) and totals.flags.writeable
    assert seg is not None and seg.shape == (2, *totals.shape)
    del reducer
    totals[:] = 1.5  # still mapped: the array holds its memory
    assert float(totals.sum()) == 1.5 * totals.size
