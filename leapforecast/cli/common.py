"""Shared CLI pieces: output formats, consoles, option types, and ``emit`` (the one place a
result becomes a table, CSV or JSON on stdout or in a file). Nothing heavy is imported here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from leapforecast.data.tabular import Tabular


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        envvar="LEAPFORECAST_FORMAT",
        help="table for people; csv, json or jsonl (one JSON object per CSV row) for scripts.",
    ),
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


def make_console(**kwargs: Any) -> Console:
    """Every console: control characters from input escaped (``report.safe``), no escape codes
    under NO_COLOR, a sane width whatever ``COLUMNS`` says."""
    from leapforecast.report.safe import safe_console

    if no_color():
        kwargs["color_system"] = None
    width = console_width()
    if width is not None and "width" not in kwargs:
        kwargs["width"] = width
    return safe_console(**kwargs)


def stdout_console(file: Any = None) -> Console:
    """The one console for data on stdout (no colour when piped or when NO_COLOR is set)."""
    return make_console(file=file, highlight=False, soft_wrap=False)


def stderr_console() -> Console:
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
    """``--target`` values (500k, 1M, 1_000_000) as whole units; None when none were given."""
    if not values:
        return None
    from leapforecast.units import parse_units

    return [parse_units(v) for v in values]


def emit(
    result: Tabular,
    fmt: Format,
    output: Path | None,
    *,
    inputs: Sequence[str | Path] = (),
    extra_tables: list[Any] | None = None,
    tables: Callable[[], list[Any]] | None = None,
    trailer: str | None = None,
    notes: Sequence[str] = (),
    plot: Path | None = None,
    figure: Callable[[], Any] | None = None,
) -> None:
    """Write ``result`` as a table (Rich, via ``report.tables_for``), CSV or JSON, to stdout or
    atomically to ``output`` (never over one of ``inputs``); then ``notes`` on stderr (not under
    ``--quiet``).

    ``tables`` builds the table renderables instead of ``report.tables_for(result)`` (a report
    whose table shows more than its CSV rows). ``extra_tables`` (terminal charts) follow them;
    with CSV/JSON they are drawn on the terminal, so they need ``--output`` (stdout is data).
    ``trailer`` is raw text after the tables (a TOML block a console must not wrap). ``plot``
    saves ``figure()`` first.

    Every destination is checked before anything is written, so a bad ``--output`` folder does
    not leave behind the ``--plot`` of a run that then failed.
    """
    from leapforecast.cli.errors import note
    from leapforecast.errors import UsageError
    from leapforecast.report.output import check_destination, write_text

    check_destination(output, inputs=list(inputs))
    if plot is not None:
        check_destination(plot, option="--plot", inputs=list(inputs))
    if extra_tables and fmt is not Format.table and output is None:
        raise UsageError(
            "charts draw on the terminal: use --format table, or send the CSV/JSON to a file "
            "with --output"
        )
    if plot is not None and figure is not None:
        from leapforecast.report.plots import save_figure

        save_figure(figure(), plot, inputs=list(inputs))
    text: str | None
    if fmt is Format.table:
        from leapforecast.report import tables_for

        shown = tables() if tables is not None else tables_for(result)
        text = render_tables(shown + (extra_tables or []), output)
        if trailer is not None:
            if text is None:
                write_text(trailer, None)  # raw, so the terminal cannot wrap it
            else:
                text += trailer
    else:
        if fmt is Format.csv:
            from leapforecast.report.formats import to_csv

            text = to_csv(result.columns(), result.rows())
        elif fmt is Format.jsonl:
            from leapforecast.report.formats import to_jsonl

            text = to_jsonl(result.columns(), result.rows())
        else:
            text = result.to_json()  # type: ignore[attr-defined]  # TabularMixin
        if extra_tables:
            render_tables(extra_tables, None)
    if text is not None:
        write_text(text, output, inputs=list(inputs))
    for line in notes:
        note(line)


def deprecated(old: str, new: str) -> None:
    """A note on stderr that ``old`` still works but ``new`` is the spelling to use: scripts
    keep running, and their authors learn the one convention (scenario positional, ``-m`` is
    ``--method``, ``--horizon`` a year, ``--ahead`` years ahead)."""
    from leapforecast.cli.errors import err

    err(f"note: {old} is deprecated; use {new}")


def one_scenario(positional: str | None, option: str | None, command: str) -> str | None:
    """The scenario of a command that takes it positionally, with the old ``--scenario``
    spelling still accepted (and noted); both at once is refused."""
    from leapforecast.errors import UsageError

    if option is None:
        return positional
    if positional is not None:
        raise UsageError(f"{command}: give the scenario once (positionally), not also --scenario")
    deprecated(f"{command} --scenario NAME", f"{command} NAME (the scenario is positional)")
    return option
