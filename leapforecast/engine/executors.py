"""Where work runs: in this thread, a thread pool, a process pool, or a Dask cluster.

An executor knows nothing about simulation: it is handed a function and a list of tasks and
calls ``fn(shared, task)`` for each, returning the results in task order (the way monaco's case
runners and statsforecast's parallel backends take the work function). ``shared`` is the large
read-only argument every task needs (the compiled plan): a Dask executor ships it to the workers
once. Because results come back in task order and a task's result depends only on its inputs,
every executor gives byte-identical output.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import repeat
from typing import TYPE_CHECKING, Protocol, TypeVar, cast, runtime_checkable

from leapforecast.errors import LeapforecastError

if TYPE_CHECKING:  # pragma: no cover
    from dask.distributed import Client, LocalCluster

EXECUTORS = ("threads", "processes", "dask")

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Executor(Protocol):
    """Calls ``fn(shared, task)`` for every task and yields the results in task order.

    ``in_process`` says whether ``fn`` runs in this process, so tasks may carry arrays to fill
    in place (a run's preallocated totals) instead of sending results back.
    """

    in_process: bool

    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]: ...


class SerialExecutor:
    """Runs tasks one after another in this thread (one job, or a single task)."""

    in_process = True

    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        return (fn(shared, task) for task in tasks)


class ThreadExecutor:
    """A pool of ``jobs`` threads; NumPy releases the GIL in the heavy loops."""

    in_process = True

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        return _drain(pool, pool.map(fn, repeat(shared), tasks))


class ProcessExecutor:
    """A pool of ``jobs`` processes; ``fn``, ``shared`` and tasks must pickle.

    ``inherits_memory``: the workers are forked from this process when the pool starts (the
    platform's default start method is ``fork``), so ``fn`` and ``shared`` reach them as they
    are, and what they write into memory this process shares (an anonymous shared ``mmap``)
    is seen here.
    """

    in_process = False

    def __init__(self, jobs: int) -> None:
        import multiprocessing

        self.jobs = jobs
        self.context = multiprocessing.get_context()
        self.inherits_memory = self.context.get_start_method() == "fork"

    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        from concurrent.futures import ProcessPoolExecutor  # multiprocessing: only when used

        # ``fn`` and ``shared`` go to each worker once, when it starts, not with every task
        # (a sweep's scenario was pickled again for each of its 2,500 grid points)
        pool = ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=self.context,
            initializer=_set_worker_job,
            initargs=(fn, shared),
        )
        batch = max(1, len(tasks) // (4 * self.jobs))
        results = cast(Iterator[R], pool.map(_run_worker_job, tasks, chunksize=batch))
        return _drain(pool, results)


_WORKER_JOB: tuple[Callable[[object, object], object], object] | None = None


def _set_worker_job(fn: Callable[[S, T], R], shared: S) -> None:
    """In a process-pool worker: keep the work function and its shared argument."""
    global _WORKER_JOB
    _WORKER_JOB = (fn, shared)  # type: ignore[assignment]


def _run_worker_job(task: object) -> object:
    """In a process-pool worker: run one task with the function and argument set at start."""
    if _WORKER_JOB is None:  # pragma: no cover (the pool's initializer always ran)
        raise LeapforecastError("process worker started without its work function")
    fn, shared = _WORKER_JOB
    return fn(shared, task)


class DaskExecutor:
    """A Dask cluster: the given scheduler, or a local cluster of ``jobs`` worker processes
    on loopback. ``shared`` is scattered to every worker once."""

    in_process = False

    def __init__(self, jobs: int, scheduler: str | None = None) -> None:
        if scheduler is not None:
            check_scheduler(scheduler)
        self.jobs, self.scheduler = jobs, scheduler

    def map(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise LeapforecastError(
                "the dask executor needs dask.distributed: pip install 'leapforecast[dask]'"
            ) from None
        return self._map(Client, LocalCluster, fn, shared, tasks)

    def _map(
        self,
        client_type: type[Client],
        cluster_type: type[LocalCluster],
        fn: Callable[[S, T], R],
        shared: S,
        tasks: Sequence[T],
    ) -> Iterator[R]:
        cluster = None
        try:
            if self.scheduler:
                client = client_type(self.scheduler, timeout="10s")
            else:
                with _workers_ignore_ctrl_c():
                    cluster = cluster_type(
                        n_workers=self.jobs,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        # the scheduler still serves HTTP (health, metrics); on port 8787 it
                        # warned on stderr whenever another cluster held that port
                        scheduler_kwargs={"dashboard_address": ":0"},
                        silence_logs=logging.CRITICAL,  # failures reach us as exceptions
                    )
                client = client_type(cluster)
        except (OSError, ValueError, TypeError) as exc:  # ValueError: a malformed address
            raise LeapforecastError(
                f"cannot reach Dask scheduler {self.scheduler}: {exc}"
            ) from None
        # A local cluster's scheduler runs in this process: its logs (a comm closed by Ctrl-C
        # before our handler runs, say) are not news to the user, since every failure reaches
        # us as an exception from ``future.result()``. Silenced for the run, then restored.
        logger = logging.getLogger("distributed")
        level = logger.level
        if cluster is not None:
            logger.setLevel(logging.CRITICAL + 1)
        try:
            remote = client.scatter(shared, broadcast=True)
            futures = [client.submit(fn, remote, task, pure=False) for task in tasks]
            for future in futures:  # in task order
                yield future.result()
        except KeyboardInterrupt:  # tearing the cluster down now logs closed comms: not news
            logger.setLevel(logging.CRITICAL + 1)
            raise
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
                logger.setLevel(level)


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


_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$"
)


def check_scheduler(address: str) -> None:
    """Refuse a Dask scheduler address that is not ``[tcp://]HOST:PORT`` before any work (Dask
    itself raised a ValueError deep inside its client)."""
    if not _ADDRESS.match(address) or not 0 < int(address.rsplit(":", 1)[1]) < 65536:
        raise LeapforecastError(
            f"`scheduler` {address!r} is not a Dask scheduler address; expected "
            "[tcp://]HOST:PORT, e.g. tcp://10.0.0.5:8786"
        )


def get_executor(
    name: str | Executor, *, jobs: int = 1, scheduler: str | None = None, tasks: int = 2
) -> Executor:
    """The executor called ``name`` for ``jobs`` workers (an ``Executor`` passes through).

    Local pools are not worth starting for one job or one task: those run serially here, and
    a pool never has more workers than tasks (``jobs_note`` tells the user). A Dask cluster is
    always used when asked for (its point may be a remote scheduler).
    """
    if not isinstance(name, str):
        return name
    if name not in EXECUTORS:
        raise LeapforecastError(f"unknown executor '{name}' (choose from {', '.join(EXECUTORS)})")
    if scheduler is not None:
        check_scheduler(scheduler)
    workers = max(1, min(jobs, tasks))  # 300 processes for 3 chunks would only idle
    if name == "dask":
        return DaskExecutor(jobs if scheduler else workers, scheduler)
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers) if name == "processes" else ThreadExecutor(workers)


def inherits_memory(executor: Executor) -> bool:
    """Whether ``executor``'s workers are forked from this process after its shared memory was
    made, so they can write into it (an executor that does not say: no)."""
    return bool(getattr(executor, "inherits_memory", False))


def jobs_note(jobs: int, tasks: int, option: str = "`jobs`") -> str | None:
    """The note to show when ``jobs`` workers were asked for but only ``tasks`` can run."""
    if jobs <= max(1, tasks):
        return None
    return (
        f"note: {option} {jobs} capped at {tasks}: this run has {tasks} chunk"
        f"{'s' if tasks != 1 else ''} of paths, one per worker"
    )


def _drain(pool: concurrent.futures.Executor, iterator: Iterator[R]) -> Iterator[R]:
    try:
        yield from iterator
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "ThreadExecutor",
    "get_executor",
    "inherits_memory",
    "jobs_note",
]
