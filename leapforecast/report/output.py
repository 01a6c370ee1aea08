"""Writing results: to stdout, atomically over a regular file, or through to a device or FIFO;
never over a file the run read.

Every output (``--output``, ``--plot``, ``new``, ``schema -o``) goes through ``write_bytes``:

- a regular file (or a new one) is replaced atomically: a short hidden temporary file in the same
  folder is written, fsynced and renamed over it, so a failed or interrupted run leaves the old
  file untouched; a symlink is followed and its target replaced, the link kept;
- a device, FIFO or socket (``/dev/null``, ``/dev/stdout``, a named pipe) is written through,
  never renamed over (as root that would replace ``/dev/null`` for the whole machine), and its
  errors (``/dev/full``: no space left) are one-line errors;
- new files get the umask's mode (like any shell redirection); a replaced file keeps its mode;
- any file the process read through ``data._files.read_text_file`` (scenario, extends chain,
  histories, peers, track records, ``--actuals``) is refused, whatever link leads to it.

``check_destination`` runs the same checks without writing, so a command can refuse a bad
destination before any work and write nothing until every output is known to be writable.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from leapforecast.data._files import files_read
from leapforecast.errors import UsageError


def _stdout(path: str | Path | None) -> bool:
    return path is None or str(path) == "-"


def _protected(target: os.stat_result, inputs: Sequence[str | Path]) -> bool:
    """Whether ``target`` is a file this run read (by any name, link or hard link)."""
    for (dev, ino), label in files_read().items():
        if (target.st_dev, target.st_ino) != (dev, ino):
            continue
        try:  # the remembered file must still be that inode (inode numbers are reused)
            if os.path.samestat(os.stat(label), target):
                return True
        except OSError:
            continue
    for item in inputs:
        try:
            if item and os.path.samestat(os.stat(item), target):
                return True
        except (OSError, ValueError):
            continue
    return False


def _same_as_stdout(st: os.stat_result) -> bool:
    try:
        return os.path.samestat(st, os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):
        return False


def check_destination(
    path: str | Path | None,
    *,
    option: str = "--output",
    inputs: Sequence[str | Path] = (),
) -> None:
    """Refuse a destination that cannot or must not be written, before anything is written."""
    _destination(path, option, inputs)


def _destination(
    path: str | Path | None, option: str, inputs: Sequence[str | Path]
) -> tuple[str, os.stat_result | None] | None:
    """(real path, its stat or None when new) of a file destination; None for stdout."""
    if _stdout(path):
        return None
    text = os.fspath(path)  # type: ignore[arg-type]
    if not text:
        raise UsageError(f"{option}: empty file name")
    try:
        st: os.stat_result | None = os.stat(text)  # follows symlinks
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise UsageError(f"{option} {path}: a part of the folder is not a folder") from None
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
    if st is not None and _protected(st, inputs):
        raise UsageError(f"{option} {path}: refusing to overwrite an input of this run")
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{option} {path}: is a directory")
    if text.endswith(os.sep):
        raise UsageError(f"{option} {path}: is a directory name; expected a file name")
    real = os.path.realpath(text) if os.path.islink(text) else text
    if st is not None and not stat.S_ISREG(st.st_mode):
        return real, st  # written through
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        raise UsageError(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write in {folder} (permission denied)")
    return real, st


def write_text(
    text: str,
    path: str | Path | None,
    *,
    inputs: Sequence[str | Path] = (),
    option: str = "--output",
    exclusive: bool = False,
) -> None:
    """Write ``text`` (UTF-8) to ``path`` (see the module docstring) or stdout."""
    if _stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_bytes(text.encode("utf-8"), path, inputs=inputs, option=option, exclusive=exclusive)


def write_bytes(
    data: bytes,
    path: str | Path | None,
    *,
    inputs: Sequence[str | Path] = (),
    option: str = "--output",
    exclusive: bool = False,
) -> None:
    """Write ``data`` to ``path`` or stdout. ``exclusive``: refuse an existing file, even one
    created by a concurrent process between the check and the write (exactly one writer wins)."""
    where = _destination(path, option, inputs)
    if where is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    real, st = where
    if exclusive and (st is not None or os.path.lexists(os.fspath(path))):  # type: ignore[arg-type]
        raise UsageError(f"{option} {path}: already exists; not overwriting it")
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_through(data, real, st, path, option)
    else:
        _replace(data, real, st, path, option, exclusive)


def _write_through(
    data: bytes, real: str, st: os.stat_result, path: str | Path | None, option: str
) -> None:
    """A device, FIFO or socket: write into it; renaming over it would replace the node."""
    if _same_as_stdout(st):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        fd = os.open(real, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _replace(
    data: bytes,
    real: str,
    st: os.stat_result | None,
    path: str | Path | None,
    option: str,
    exclusive: bool,
) -> None:
    """A regular file or a new one: temp file, fsync, rename (or link, when exclusive)."""
    folder = os.path.dirname(real) or "."
    tmp = ""
    fd = -1
    try:
        try:
            fd, tmp = _create_temp(folder, os.path.basename(real))
        except OSError as exc:
            raise UsageError(
                f"{option} {path}: cannot write in {folder} ({exc.strerror or exc})"
            ) from None
        if st is not None:  # keep the replaced file's mode (and owner, when we may)
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                try:
                    os.fchown(fd, st.st_uid, st.st_gid)
                except OSError:
                    pass
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        if exclusive:
            try:
                os.link(tmp, real)  # fails if anyone created the file meanwhile
            except FileExistsError:
                raise UsageError(f"{option} {path}: already exists; not overwriting it") from None
            os.unlink(tmp)
        else:
            os.replace(tmp, real)
        tmp = ""
    except BaseException as exc:  # Ctrl-C included: never leave a partial or temporary file
        if fd >= 0:
            os.close(fd)
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
        raise


def _create_temp(folder: str, name: str) -> tuple[int, str]:
    """A new hidden file beside the target, named ``.NAME.XXXXXXXX.tmp`` with at most 16
    characters of the name, so a legal 250-character output name still fits (NAME_MAX 255).
    Created with 0o666 minus the umask, as a shell redirection would create it."""
    for _ in range(100):
        tmp = os.path.join(folder, f".{name[:16]}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", folder)
