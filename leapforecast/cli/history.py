"""``leapforecast history``: the sales history and its growth statistics."""

from __future__ import annotations

from typing import Annotated

import typer

from leapforecast.cli.common import Format, FormatOpt, OutputOpt, emit


def history(
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="CSV with columns year,units (default: bundled Leapmotor); with --monthly, "
            "month,units.",
        ),
    ] = None,
    monthly: Annotated[
        bool,
        typer.Option(
            "--monthly",
            help="Monthly deliveries instead: growth on a year earlier and the seasonal profile.",
        ),
    ] = False,
    targets: Annotated[
        bool,
        typer.Option(
            "--targets",
            help="Only Leapmotor's stated targets against outcomes (the target track record).",
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Show annual deliveries, growth on the year, CAGR and log-growth statistics, and for the
    bundled history the target track record (with --monthly: months, growth on a year earlier
    and the seasonal profile).

    Example: leapforecast history --file my_maker.csv --format csv
    """
    from leapforecast.errors import UsageError

    inputs = [file] if file else []
    if monthly:
        from leapforecast.analysis.monthly_report import monthly_report

        view = monthly_report(file)
        emit(view, fmt, output, inputs=inputs, notes=[f"warning: {n}" for n in view.notes])
        return
    from leapforecast.data.targets import track_record

    record = track_record() if file is None else None
    if targets:
        if record is None:
            raise UsageError("--targets shows the bundled Leapmotor track record; drop --file")
        emit(record, fmt, output)
        return
    from leapforecast.data.history import HistoryReport, load_history

    emit(HistoryReport(load_history(file), record), fmt, output, inputs=inputs)
