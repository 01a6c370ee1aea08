"""Shared CLI pieces: output formats, consoles, option types, and ``emit`` (the one place a
result becomes a table, CSV or JSON on stdout or in a file). Nothing heavy is imported here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from leapforecast.data.tabular import Tabular


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    xlsx = "xlsx"
    html = "html"


#: What ``--output``'s suffix asks for when ``--format`` is not on the command line; "plot" is
#: the command's chart alone (what ``--plot`` would draw).
SUFFIX_FORMATS: dict[str, Format | Literal["plot"]] = {
    ".csv": Format.csv,
    ".json": Format.json,
    ".jsonl": Format.jsonl,
    ".ndjson": Format.jsonl,
    ".xlsx": Format.xlsx,
    ".html": Format.html,
    ".htm": Format.html,
    ".png": "plot",
    ".svg": "plot",
    ".pdf": "plot",
}
Written = Format | Literal["plot"]


FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        envvar="LEAPFORECAST_FORMAT",
        help="table for people; csv, json or jsonl (one JSON object per CSV row) for scripts; "
        "xlsx (an Excel workbook: needs --output); html (run and report). Default: from the "
        "--output suffix, else table.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to FILE (atomically) instead of stdout. Its suffix picks the format unless "
        "--format is given: .csv .json .jsonl .xlsx .html, or .png/.svg/.pdf for the chart.",
        dir_okay=False,
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


def _format_on_command_line(fmt: Written) -> bool:
    """Whether ``--format`` was typed on this command line (not the default, not
    ``LEAPFORECAST_FORMAT``): only then does it overrule the suffix of ``--output``. Called from
    Python (no command running), any format but the default ``table`` counts as chosen."""
    try:
        from typer._click.core import ParameterSource
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - older Typer depends on Click instead
        from click.core import ParameterSource  # type: ignore[no-redef,assignment,unused-ignore]
        from click.globals import get_current_context  # type: ignore[no-redef,assignment,unused-ignore]

    ctx = get_current_context(silent=True)
    source = ctx.get_parameter_source("fmt") if ctx is not None else None
    if source is None:
        return fmt is not Format.table
    return bool(source is ParameterSource.COMMANDLINE)


def output_format(fmt: Written, output: Path | None) -> Written:
    """The format a command writes: ``--format`` when typed, else the suffix of ``--output``
    (.csv, .json, .jsonl, .xlsx, .html; .png/.svg/.pdf mean the chart), else ``--format``'s
    default (``table``, or ``LEAPFORECAST_FORMAT``). A typed ``--format`` that contradicts the
    suffix (``-f csv -o x.json``) is an error, and so is a workbook or chart for stdout.

    Commands call it before their work so a bad combination costs nothing; ``emit`` calls it
    again (the answer is the same)."""
    from leapforecast.errors import UsageError

    named = output is not None and str(output) != "-"
    wanted = SUFFIX_FORMATS.get(Path(output).suffix.lower()) if named else None  # type: ignore[arg-type]
    if wanted is not None and fmt != wanted:
        if _format_on_command_line(fmt):
            what = "a chart" if wanted == "plot" else f"{wanted.value}"
            raise UsageError(
                f"--format {getattr(fmt, 'value', fmt)} contradicts --output {output} "
                f"(a {Path(str(output)).suffix} file is {what}): drop one of them"
            )
        fmt = wanted
    if fmt is Format.xlsx:
        if not named:
            raise UsageError(
                "--format xlsx writes a binary workbook: give --output FILE.xlsx "
                "(standard output is for text)"
            )
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            from leapforecast.report.xlsx import MISSING_OPENPYXL

            raise UsageError(MISSING_OPENPYXL) from None
    return fmt


def command_line() -> str:
    """The command as typed (for the metadata of a workbook or report)."""
    import shlex

    from leapforecast.cli.errors import current_args

    return shlex.join(["leapforecast", *current_args()])


def emit(
    result: Tabular,
    fmt: Written,
    output: Path | None,
    *,
    inputs: Sequence[str | Path] = (),
    extra_tables: list[Any] | None = None,
    tables: Callable[[], list[Any]] | None = None,
    trailer: str | None = None,
    notes: Sequence[str] = (),
    plot: Path | None = None,
    figure: Callable[[], Any] | None = None,
    sheets: Callable[[], list[Any]] | None = None,
    html: Callable[[], str] | None = None,
) -> None:
    """Write ``result`` as a table (Rich, via ``report.tables_for``), CSV, JSON, an Excel
    workbook, an HTML report or its chart, to stdout or atomically to ``output`` (never over one
    of ``inputs``); then ``notes`` on stderr (not under ``--quiet``). The format is
    :func:`output_format` of ``fmt`` and ``output`` (the suffix decides unless ``--format`` was
    typed).

    ``sheets`` gives the workbook's tables (default: ``result`` alone; a metadata sheet with
    what the result says about itself and the command line always follows). ``html`` builds the
    page for ``--format html`` (commands without it refuse html). ``figure`` is the chart of
    ``--plot``, and of ``--output FILE.png|svg|pdf``.

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

    fmt = output_format(fmt, output)
    if fmt == "plot" and figure is None:
        raise UsageError(
            f"--output {output}: this command draws no chart; write .csv, .json, .xlsx or a "
            "text table instead"
        )
    if fmt is Format.html and html is None:
        raise UsageError(
            "--format html: this command has no HTML page (try 'leapforecast report'); use "
            "csv, json, jsonl, xlsx or table"
        )
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
    if fmt == "plot" or fmt is Format.xlsx:
        if fmt == "plot":
            from leapforecast.report.plots import save_figure

            save_figure(figure(), output, inputs=list(inputs))  # type: ignore[arg-type,misc]
        else:
            from leapforecast.report.xlsx import metadata_of, write_workbook

            metadata = {**metadata_of(result), "command": command_line()}
            write_workbook(
                output,  # type: ignore[arg-type]  # output_format refused stdout
                sheets() if sheets is not None else [result],
                metadata=metadata,
                inputs=list(inputs),
            )
        text = None
        if extra_tables:
            render_tables(extra_tables, None)
    elif fmt is Format.html:
        text = html()  # type: ignore[misc]  # checked above
    elif fmt is Format.table:
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
