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
"""

import os
import sys

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def _tune_process() -> None:
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
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
        _tune_process()
        from leapforecast.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    cli_main()
