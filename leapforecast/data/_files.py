"""leapforecast.data._files."""

from __future__ import annotations

import difflib
from pathlib import Path

from leapforecast.errors import HistoryError
from leapforecast.units import parse_number

BUILTIN_PREFIX = "builtin:"


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


def read_text_file(path: Path, error: type[Exception]) -> str:
    """Read a small UTF-8 text file, turning every OS or decoding problem into ``error``."""
    try:
        if path.is_dir():
            raise error(f"{path}: is a directory, expected a file")
        if path.stat().st_size > MAX_BYTES:
            raise error(
                f"{path}: file is larger than {MAX_BYTES // 1_000_000} MB; "
                "not a history or scenario"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise error(f"{path}: looks like a binary file, expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not valid UTF-8 text (byte {exc.start})") from None


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
                f"{where}: missing column '{column}' "
                f"(header has: {', '.join(header) or 'nothing'}){extra}"
            )
    return header


def _parse_number(raw: str) -> float:
    """A CSV cell by the units grammar (``leapforecast.units``): a decimal comma is refused."""
    return parse_number(raw)
