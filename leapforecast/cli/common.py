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


def stdout_console(file: Any = None):  # -> rich.console.Console
    """The one console for data on stdout (no colour when piped or when NO_COLOR is set)."""
    from rich.console import Console

    plain = {"color_system": None} if no_color() else {}
    return Console(file=file, highlight=False, soft_wrap=False, **plain)


def stderr_console():
    from rich.console import Console

    plain = {"color_system": None} if no_color() else {}
    return Console(stderr=True, highlight=False, **plain)


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
