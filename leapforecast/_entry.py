"""Console-script entry point, kept tiny so Ctrl-C during start-up imports is still one line.

Before anything imports NumPy it tunes two process-wide settings for this workload (they are set
here, for the command-line process, and never by the library, which must not change a notebook's
process):

* BLAS threads: the engine's matrix products are small (a copula factor, an 11x12 kriging
  matrix) and on two OpenBLAS threads ran 10-100x slower than on one; parallel work is spread over
  paths by our own executors instead. A value the user set is kept.
* glibc's heap: each chunk's temporaries are a few hundred KiB, just over the adaptive mmap
  threshold, so glibc handed them back to the kernel after every chunk and the next chunk
  page-faulted them in again (370,000 faults for 10M paths). Raising the trim and mmap thresholds
  keeps them in the heap; peak memory is unchanged.
* Pydantic plugins: looking them up scans every installed distribution's entry points
  (``importlib.metadata``, ~10 ms of each start-up); the command line uses none. A value the
  user set is kept.
* The cyclic garbage collector: importing ~490 modules allocates enough container objects to
  trigger ~15 ms of collections that find almost nothing (classes and functions live for the
  whole process). Collections still run, a hundred times less often; the engine's memory is
  NumPy arrays, which reference counting frees.

And it leaves without tearing the interpreter down (``_leave``): once the command has
finished, its files are written and its output flushed, clearing ~490 modules and their
objects one by one took ~40 ms of a default ``run`` (0.6x ``import numpy``) and did nothing
the operating system does not do on exit. Exit handlers still run, the exit status is the
command's, and a process with a thread still running exits the ordinary way.
"""

import gc
import os
import sys

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


_GC_THRESHOLD = 100_000  # allocations between young collections (CPython's default: 700)


def _tune_process() -> None:
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_GC_THRESHOLD, older, oldest)
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # glibc's maximum on 64-bit
        libc.mallopt(_M_TRIM_THRESHOLD, 256 * 1024 * 1024)
    except (OSError, AttributeError):  # not glibc (musl, ...): keep the allocator's defaults
        pass


def main() -> None:
    try:
        if _is_the_program():  # not a notebook's or another host's process
            _tune_process()
        from leapforecast.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    try:
        cli_main()
    except SystemExit as exc:
        _leave(exc)
        raise


def _leave(exc: SystemExit) -> None:
    """End the process with ``exc``'s status now, skipping the interpreter's teardown, when
    that is safe: this is the program (the console script or ``python -m leapforecast``, not
    code that runs it inside another program: IPython's ``%run -m``, ``runpy``, a profiler or a
    debugger), a plain integer status, no other thread alive, the exit handlers run and both
    streams flushed. Returns (and the caller exits the ordinary way) otherwise."""
    import atexit
    import threading

    code = exc.code
    run_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's; elsewhere: ordinary exit
    if (
        not isinstance(code, int)
        or run_handlers is None
        or not _is_the_program()
        or threading.active_count() != 1
    ):
        return
    run_handlers()  # as the ordinary exit does: exit handlers first, then the streams
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # a closed pipe is success, as everywhere else
        pass
    except OSError:
        return  # the ordinary exit reports it
    try:
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)


def _is_the_program() -> bool:
    """Whether this process is leapforecast itself: its ``__main__`` is the console script or
    ``leapforecast/__main__.py`` (both import ``main`` from here), and nothing traces or profiles
    it (a profiler prints its report after the program's ``SystemExit``)."""
    top = sys.modules.get("__main__")
    watched = sys.gettrace() is not None or sys.getprofile() is not None
    return getattr(top, "main", None) is main and not watched
