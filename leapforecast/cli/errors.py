"""Exit statuses and the one place that turns exceptions into messages (as httpie does)."""

from __future__ import annotations

import errno
import io
import os
import re
import sys
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typer is imported when the app runs
    import typer


class ExitStatus(IntEnum):
    """Documented exit codes (README and --help)."""

    SUCCESS = 0
    ERROR = 1  # an internal error: a bug; the traceback is shown only with --debug
    USAGE = 2  # bad usage or bad input (scenario, history, option values)
    INTERRUPTED = 130  # Ctrl-C


def err(line: str) -> None:
    """One line on stderr, whatever it quotes: control characters from input (an ESC in a
    scenario name, a newline in a key) are shown as escapes (``report.safe.safe_text``). A
    closed or broken stderr loses the line, never the exit status."""
    from leapforecast.report.safe import safe_text

    try:
        sys.stderr.write(safe_text(line.rstrip("\n")) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # closed (2>&-), or None
        pass


class _ClosedStdout(io.TextIOBase):
    """Stands in for a closed stdout (``>&-``): writing data there is an error (exit 2), as
    for any other unwritable output, instead of data silently lost with exit 0."""

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OSError(errno.EBADF, "standard output is closed; use --output FILE")

    def isatty(self) -> bool:
        return False


def _fd_is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def sane_streams() -> None:
    """Make stdout and stderr safe to write, once per process, before any command runs:

    * a closed descriptor 1 or 2 (``>&-``, ``2>&-``) is reopened on /dev/null, so the next file
      opened cannot take its number; data for a closed stdout then fails with exit 2, and
      messages for a closed stderr are dropped while the exit status stays right;
    * a stream that cannot encode every character (``PYTHONIOENCODING=ascii``, cp1252) writes
      the others as backslash escapes instead of crashing on the first one.
    """
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if _fd_is_open(fd):
            continue
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        except OSError:
            pass
        if name == "stdout":
            sys.stdout = _ClosedStdout()
        else:
            sys.stderr = open(fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and encoding not in ("utf8", "utf_8"):
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


_QUIET = {"on": False}


def set_quiet(value: bool) -> None:
    """``--quiet``: from now on notes, warnings and progress bars are not shown (errors are)."""
    _QUIET["on"] = bool(value)


def quiet() -> bool:
    return _QUIET["on"]


def note(line: str) -> None:
    """A note or warning on stderr (``err``), unless ``--quiet``: stderr is for people, and a
    script that checks the exit code may not want the chatter."""
    if not _QUIET["on"]:
        err(line)


# library parameters whose command-line flag is not ``--`` + the name with dashes
_FLAGS: dict[str, str] = {}
_PARAM = re.compile(r"`([a-z][a-z0-9_]*)`")


def flags(message: str) -> str:
    """A library message in CLI words: each parameter it names as ```name``` becomes its flag
    (``max_paths`` -> ``--max-paths``). The library speaks in parameter names; only the CLI
    knows them as options."""
    return _PARAM.sub(lambda m: _FLAGS.get(m[1], "--" + m[1].replace("_", "-")), message)


def _quiet_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the interpreter's final flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _silence_shutdown() -> None:
    """After Ctrl-C, the one line ``interrupted`` is all: Dask's nannies, workers and clients log
    (and print tracebacks) while they are torn down, so their loggers are switched off and
    warnings muted for the rest of the process."""
    import logging
    import warnings

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")


_ARGS: list[str] = []


def current_args() -> list[str]:
    """The arguments of the command running now (after the program name)."""
    return list(_ARGS)


def run_app(app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the Typer app and map every outcome to an ``ExitStatus``."""
    import typer

    if TYPE_CHECKING:
        from typer._click import exceptions as cx
    else:
        try:  # recent Typer vendors Click; older releases depend on it
            from typer._click import exceptions as cx
        except ImportError:  # pragma: no cover
            from click import exceptions as cx

    from leapforecast.cli.startup import command_for
    from leapforecast.data._files import reset_reads
    from leapforecast.errors import LeapforecastError, ScenarioError

    sane_streams()
    args = sys.argv[1:] if argv is None else argv
    _ARGS[:] = list(args)
    debug = "--debug" in args
    reset_reads()  # the inputs --output must not overwrite are this command's
    set_quiet(False)  # until the command line says --quiet
    try:
        # Drive the Click command directly rather than through ``app(...)``: Typer's main loop
        # turns Ctrl-C into a silent exit 130 and a closed pipe into ``sys.exit(1)``, and both
        # must reach the handlers below (one line ``interrupted``; a closed pipe is success).
        command = command_for(app, list(args))  # only the command being run, when named
        # a shell asking for completions (the script --install-completion writes sets this)
        command._main_shell_completion({}, "leapforecast")  # exits when it completes
        with command.make_context("leapforecast", list(args)) as ctx:
            result = command.invoke(ctx)
        return int(result or 0) if isinstance(result, int) else 0
    except ScenarioError as exc:
        for line in exc.lines():
            err(f"error: {line}")
        return ExitStatus.USAGE
    except LeapforecastError as exc:
        err(f"error: {flags(str(exc))}")
        return ExitStatus.USAGE
    except cx.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "leapforecast"
        err(f"error: {where}: {exc.format_message()} (see '{where} --help')")
        return ExitStatus.USAGE
    except typer.Exit as exc:
        return exc.exit_code
    except cx.ClickException as exc:
        err(f"error: {exc.format_message()}")
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        _silence_shutdown()
        err("interrupted")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return ExitStatus.SUCCESS
    except SystemExit as exc:
        if isinstance(exc.__context__, BrokenPipeError):  # Rich exits 1 on a closed pipe
            _quiet_stdout()
            return ExitStatus.SUCCESS
        raise
    except OSError as exc:
        if exc.errno == errno.EPIPE:  # a closed pipe reported as a plain OSError
            _quiet_stdout()
            return ExitStatus.SUCCESS
        err(f"error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
        return ExitStatus.USAGE
    except MemoryError:
        err("error: out of memory; use fewer --paths or an earlier --horizon")
        return ExitStatus.USAGE
    except Exception as exc:  # noqa: BLE001 - the one place internal errors are reported
        if debug:
            import traceback

            traceback.print_exc()
        else:
            err(
                f"internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the traceback; please report it)"
            )
        return ExitStatus.ERROR
