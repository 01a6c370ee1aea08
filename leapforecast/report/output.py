"""Writing results: atomically to a file, or to stdout; never over one of the run's inputs."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from leapforecast.errors import UsageError


def write_text(text: str, path: str | Path | None, *, inputs: list[str | Path] = ()) -> None:
    """Write ``text`` to ``path`` (temp file + rename, so no half-written file) or stdout."""
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    for item in inputs:
        try:
            if item and target.exists() and os.path.samefile(item, target):  # links too
                raise UsageError(f"--output {path}: refusing to overwrite an input of this run")
        except OSError:
            continue
    if target.is_dir():
        raise UsageError(f"--output {path}: is a directory")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--output {path}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:  # Ctrl-C included: never leave a partial or temporary file
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"--output {path}: cannot write ({exc.strerror or exc})") from None
        raise
