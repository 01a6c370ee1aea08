"""leapforecast.data._files."""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

from leapforecast.errors import HistoryError
from leapforecast.units import parse_number

BUILTIN_PREFIX = "builtin:"
STDIN = "-"  # a file argument that means standard input
STDIN_LABEL = "<stdin>"  # how messages name it


def is_stdin(ref: object) -> bool:
    """Whether a file argument is ``-`` (standard input)."""
    return ref is not None and str(ref) == STDIN


def file_label(ref: str | Path) -> str:
    """How messages and results name a file argument (``<stdin>`` for ``-``)."""
    return STDIN_LABEL if is_stdin(ref) else str(ref)


MAX_BYTES = 5_000_000


def data_path(name: str) -> Path:
    """A file bundled with the package, beside this module."""
    return Path(__file__).with_name(name)


def builtin_file(source: str, table: dict[str, str], what: str) -> Path:
    """The bundled file behind ``builtin:NAME``; an unknown name is a one-line error with a
    suggestion."""
    key = source[len(BUILTIN_PREFIX) :]
    if key not in table:
        hint = difflib.get_close_matches(key, table, n=1)
        extra = f"; did you mean '{BUILTIN_PREFIX}{hint[0]}'?" if hint else ""
        known = ", ".join(BUILTIN_PREFIX + k for k in table)
        raise HistoryError(f"unknown built-in {what} '{source}' (known: {known}){extra}")
    return data_path(table[key])


def reset_reads() -> None:
    """Forget the files read so far: the CLI calls this at the start of every command."""
    _READ.clear()


def files_read() -> dict[tuple[int, int], str]:
    """(st_dev, st_ino) -> label of every file ``read_text_file`` has read since the last
    ``reset_reads``: the inputs an ``--output`` must never overwrite, whichever reader read them
    (scenario, extends chain, histories, peers, track records, ``--actuals``)."""
    return dict(_READ)


def remember_read(path: Path | str) -> None:
    """Record a file read by other means (e.g. a bundled CSV) as an input of this run."""
    try:
        st = os.stat(path)
    except OSError:
        return
    _READ[(st.st_dev, st.st_ino)] = str(path)


_READ: dict[tuple[int, int], str] = {}


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _is_stdin(st: os.stat_result) -> bool:
    try:
        return os.path.samestat(st, os.fstat(0))
    except OSError:
        return False


def read_text_file(path: Path, error: type[Exception]) -> str:
    """Read a small UTF-8 text file, turning every OS or decoding problem into ``error``.

    ``-`` is standard input (read to its end, with the same bound and checks; messages call it
    ``<stdin>``), so every reader of a scenario, history or actuals file takes ``-``.

    The bound is on bytes actually read (at most ``MAX_BYTES + 1``), not on ``st_size``, which is
    0 for devices and pipes; devices, FIFOs and sockets are refused before any read (unless it is
    this process's stdin), and a FIFO is opened non-blocking so a pipe without a writer cannot
    hang the run. Every file read is remembered (``files_read``) so no output replaces it.
    """
    if is_stdin(path):
        return _decode(_read_stdin(error), STDIN_LABEL, error)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise error(f"{path}: is a directory, expected a file")
        if not stat.S_ISREG(st.st_mode) and not _is_stdin(st):
            raise error(f"{path}: is {_kind(st.st_mode)}, expected a regular file")
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:
            raise error(
                f"{path}: file is larger than {MAX_BYTES // 1_000_000} MB; "
                "not a history or scenario"
            )
        data = b"".join(chunks)
        _READ[(st.st_dev, st.st_ino)] = str(path)
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    return _decode(data, str(path), error)


def _decode(data: bytes, label: str, error: type[Exception]) -> str:
    if b"\x00" in data:
        raise error(f"{label}: looks like a binary file, expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{label}: not valid UTF-8 text (byte {exc.start})") from None


def _read_stdin(error: type[Exception]) -> bytes:
    """Standard input to its end, at most ``MAX_BYTES``. Read through ``sys.stdin`` (not file
    descriptor 0) so a notebook's or a test's replacement stdin works; a redirected regular file
    is remembered as an input, so ``-o`` cannot overwrite the file being read."""
    import sys

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        if sys.stdin is None:
            raise error(f"{STDIN_LABEL}: there is no standard input")
        text = sys.stdin.read(MAX_BYTES + 1)
        stream_data = text.encode("utf-8")
    else:
        chunks, size = [], 0
        try:
            while size <= MAX_BYTES:
                chunk = stream.read(min(1 << 20, MAX_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as exc:
            raise error(f"{STDIN_LABEL}: cannot read ({exc.strerror or exc})") from None
        stream_data = b"".join(chunks)
    if len(stream_data) > MAX_BYTES:
        raise error(
            f"{STDIN_LABEL}: input is larger than {MAX_BYTES // 1_000_000} MB; "
            "not a history or scenario"
        )
    try:
        st = os.fstat(sys.stdin.fileno())
        if stat.S_ISREG(st.st_mode):
            _READ[(st.st_dev, st.st_ino)] = STDIN_LABEL
    except (OSError, ValueError, AttributeError):  # no descriptor (a test's or notebook's stdin)
        pass
    return stream_data


EXCERPT_CHARS = 40


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A value from an input file quoted for an error message: ``repr`` (so control characters
    show as escapes) of at most ``limit`` characters. A file named by mistake (``/etc/passwd``
    as a history) must not have its lines echoed whole."""
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[: limit - 3] + "...")
    text = repr(value)
    return text if len(text) <= limit + 2 else text[: limit - 1] + "..."


def csv_header(
    row: list[str], required: tuple[str, ...], where: str, hints: dict[str, str] | None = None
) -> list[str]:
    """The lower-cased header, or a one-line error for the first missing column (with a
    "did you mean", or ``hints[column]`` when that says more)."""
    header = [h.strip().lower() for h in row]
    for column in required:
        if column not in header:
            close = difflib.get_close_matches(column, header, n=1)
            extra = f"; did you mean '{close[0]}'?" if close else ""
            extra = (hints or {}).get(column, extra)
            raise HistoryError(
                f"{where}: missing column '{column}' (header has: {_header_excerpt(header)}){extra}"
            )
    return header


def _header_excerpt(header: list[str]) -> str:
    text = ", ".join(header)
    if not text:
        return "nothing"
    return text if len(text) <= EXCERPT_CHARS else excerpt(text)


def _parse_number(raw: str) -> float:
    """A CSV cell by the units grammar (``leapforecast.units``): a decimal comma is refused."""
    return parse_number(raw)
