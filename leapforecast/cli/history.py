"""``leapforecast history``: the sales history and its growth statistics."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import Format, FormatOpt, OutputOpt, render_tables


def history(
    file: Annotated[str | None, typer.Option("--file", help="CSV with columns year,units (default: bundled Leapmotor).")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Show annual deliveries, growth on the year, CAGR and log-growth statistics.

    Example: leapforecast history --file my_maker.csv --format csv
    """
    from .. import render
    from ..history import load_history
    from ..output import write_text

    hist = load_history(file)
    rows = render.history_rows(hist)
    if fmt is Format.table:
        text = render_tables(render.history_tables(hist, rows), output)
    elif fmt is Format.csv:
        text = render.to_csv(list(rows[0]), rows)
    else:
        text = render.history_json(hist, rows)
    if text is not None:
        write_text(text, output, inputs=[file] if file else [])
