"""Where chunks run: in this thread, a thread pool, a process pool, or a Dask cluster.

Every executor returns chunk results in chunk order, and a chunk's result depends only on
(plan, chunk index, size, seed), so all of them give byte-identical output.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from leapforecast.engine.kernel import simulate_chunk
from leapforecast.errors import LeapforecastError

EXECUTORS = ("threads", "processes", "dask")


def _run_one(
    plan: Any,
    index: int,
    size: int,
    seed: int,
    sampling: str,
    keep_inputs: bool,
    totals: Any = None,
) -> Any:

    return simulate_chunk(
        plan, index, size, seed=seed, sampling=sampling, keep_inputs=keep_inputs, totals=totals
    )


def iter_chunks(
    plan: Any,
    sizes: list[int],
    *,
    seed: int,
    sampling: str,
    keep_inputs: bool = False,
    jobs: int = 1,
    executor: str = "threads",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    out_for: Callable[[int], Any] | None = None,
) -> Iterator[Any]:
    """Simulate every chunk and yield the results in chunk order.

    ``out_for(i)`` may give the array chunk ``i`` writes its totals into; only chunks run in
    this process (one job, or threads) use it: others send their totals back.
    """
    if executor not in EXECUTORS:
        raise LeapforecastError(
            f"unknown executor '{executor}' (choose from {', '.join(EXECUTORS)})"
        )
    args = [(plan, i, n, seed, sampling, keep_inputs) for i, n in enumerate(sizes)]
    local = executor != "dask" and (executor == "threads" or jobs == 1 or len(sizes) == 1)
    if local and out_for is not None:
        args = [(*a, out_for(a[1])) for a in args]
    if executor == "dask":
        results: Iterator[Any] = _dask_map(args, jobs, scheduler)
    elif jobs == 1 or len(sizes) == 1:
        results = (_run_one(*a) for a in args)
    elif executor == "processes":
        pool = ProcessPoolExecutor(max_workers=jobs)
        batch = max(1, len(args) // (4 * jobs))
        results = _drain(pool, pool.map(_run_one, *zip(*args, strict=True), chunksize=batch))
    else:
        pool = ThreadPoolExecutor(max_workers=jobs)
        results = _drain(pool, pool.map(lambda a: _run_one(*a), args))
    for done, out in enumerate(results, 1):
        yield out
        if progress:
            progress(done, len(sizes))


def _drain(pool: Any, iterator: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from iterator
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (an ignored signal stays ignored across exec,
    and Python keeps it so): Ctrl-C reaches the whole process group, and only this process
    should answer it (with one line, ``interrupted``), not every worker with a traceback. The
    workers end when this process closes the cluster."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _dask_map(args: list[tuple], jobs: int, scheduler: str | None) -> Iterator[Any]:
    """Run chunks on a Dask cluster: the given scheduler, or a local cluster on loopback."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise LeapforecastError(
            "the dask executor needs dask.distributed: pip install 'leapforecast[dask]'"
        ) from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            with _workers_ignore_ctrl_c():
                cluster = LocalCluster(
                    n_workers=jobs,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.CRITICAL,  # failures reach us as exceptions
                )
            client = Client(cluster)
    except OSError as exc:
        raise LeapforecastError(f"cannot reach Dask scheduler {scheduler}: {exc}") from None
    try:
        plan = client.scatter(args[0][0], broadcast=True)
        futures = [client.submit(_run_one, plan, *a[1:], pure=False) for a in args]
        for future in futures:  # in chunk order
            yield future.result()
    except KeyboardInterrupt:  # tearing the cluster down now logs closed comms: not news
        logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
