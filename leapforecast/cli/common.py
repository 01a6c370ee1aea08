"""Shared CLI pieces: output formats, consoles, option types. Nothing heavy is imported here."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="table for people; csv or json for scripts.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write to FILE (atomically) instead of stdout.", dir_okay=False
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="KEY.PATH=VALUE",
        help="Override a scenario value, e.g. growth.volatility=0.12 (repeatable).",
    ),
]
TargetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="Target units a year: 500000, 500k, 1M, 1_000_000 "
        "(repeatable; replaces the scenario's).",
    ),
]


def no_color() -> bool:
    """NO_COLOR (any non-empty value) turns off every escape code, not only colours."""
    import os

    return bool(os.environ.get("NO_COLOR"))


DEFAULT_WIDTH = 80
MAX_WIDTH = 10_000


def console_width() -> int | None:
    """The width to force, or None to let Rich ask the terminal. ``COLUMNS`` of 0, negative,
    not a number or absurdly large (which would print nothing, or build huge lines) means the
    default 80 columns."""
    import os

    raw = os.environ.get("COLUMNS")
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        return DEFAULT_WIDTH
    return value if 0 < value <= MAX_WIDTH else DEFAULT_WIDTH


def make_console(**kwargs: Any):  # -> rich.console.Console
    """Every console: control characters from input escaped (``report.safe``), no escape codes
    under NO_COLOR, a sane width whatever ``COLUMNS`` says."""
    from leapforecast.report.safe import safe_console

    if no_color():
        kwargs["color_system"] = None
    width = console_width()
    if width is not None and "width" not in kwargs:
        kwargs["width"] = width
    return safe_console(**kwargs)


def stdout_console(file: Any = None):  # -> rich.console.Console
    """The one console for data on stdout (no colour when piped or when NO_COLOR is set)."""
    return make_console(file=file, highlight=False, soft_wrap=False)


def stderr_console():
    return make_console(stderr=True, highlight=False)


def render_tables(renderables: list[Any], output: Path | None) -> str | None:
    """Print Rich renderables to the terminal, or return them as plain text for a file."""
    if output is None:
        console = stdout_console()
        for item in renderables:
            console.print(item)
        return None
    import io

    buf = io.StringIO()
    console = stdout_console(file=buf)
    console.width = 120
    for item in renderables:
        console.print(item)
    return buf.getvalue()


def parse_targets(values: list[str] | None) -> list[int] | None:
    if not values:
        return None
    from leapforecast.units import parse_units

    return [parse_units(v) for v in values]
