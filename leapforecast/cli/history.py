"""``leapforecast history``: the sales history and its growth statistics."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leapforecast.cli.common import Format, FormatOpt, OutputOpt, render_tables


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
    import json

    from leapforecast.data.history import load_history
    from leapforecast.report import formats as render
    from leapforecast.report.history import history_json, history_rows, history_tables
    from leapforecast.report.output import write_text

    if monthly:
        text = _monthly(file, fmt, output)
        if text is not None:
            write_text(text, output, inputs=[file] if file else [])
        return
    from leapforecast.data.targets import COLUMNS, load_targets, track_record_rows
    from leapforecast.report.history import track_record_table

    record = load_targets() if file is None else None
    if targets:
        if record is None:
            from leapforecast.errors import UsageError

            raise UsageError("--targets shows the bundled Leapmotor track record; drop --file")
        rows = track_record_rows(record)
        if fmt is Format.table:
            text = render_tables([track_record_table(record)], output)
        elif fmt is Format.csv:
            text = render.to_csv(COLUMNS, rows)
        else:
            text = json.dumps({"targets": rows}, indent=2) + "\n"
        if text is not None:
            write_text(text, output)
        return
    hist = load_history(file)
    rows = history_rows(hist)
    if fmt is Format.table:
        extra = [track_record_table(record)] if record is not None else []
        text = render_tables(history_tables(hist, rows) + extra, output)
    elif fmt is Format.csv:
        text = render.to_csv(list(rows[0]), rows)
    else:
        text = history_json(hist, rows)
        if record is not None:
            doc = json.loads(text)
            doc["targets"] = track_record_rows(record)
            text = json.dumps(doc, indent=2) + "\n"
    if text is not None:
        write_text(text, output, inputs=[file] if file else [])


def _monthly(file: str | None, fmt: Format, output: Any) -> str | None:
    import json

    from leapforecast.analysis.seasonal import fit_monthly
    from leapforecast.cli.common import stderr_console
    from leapforecast.data.monthly import load_monthly
    from leapforecast.errors import HistoryError
    from leapforecast.report import run as render
    from leapforecast.report.history import _label, _monthly_tables, monthly_rows, seasonal_rows

    hist = load_monthly(file)
    months, periods = monthly_rows(hist)
    try:
        fit = fit_monthly(hist)
    except HistoryError as exc:  # too few months for a profile: still show the months
        stderr_console().print(f"warning: no seasonal profile: {exc}", markup=False)
        fit = None
    season = seasonal_rows(fit.profile()) if fit is not None else []
    if fmt is Format.csv:
        columns = ["kind", "month", "units", "yoy", "share", "factor", "factor_p10", "factor_p90"]
        columns.append("source")
        blank = dict.fromkeys(columns, "")
        rows = [
            {**blank, "kind": "month", **{k: ("" if v is None else v) for k, v in r.items()}}
            for r in months
        ]
        rows += [{**blank, "kind": "period", **r} for r in periods]
        rows += [{**blank, "kind": "season", **r} for r in season]
        return render.to_csv(columns, rows)
    if fmt is Format.json:
        doc = {
            "source": hist.source,
            "months": months,
            "periods": periods,
            "seasonal": None
            if fit is None
            else {
                "fitted": f"{_label(fit.first)} to {_label(fit.end)}",
                "months_used": fit.n_months,
                "period_constraints": fit.n_aggregates,
                "sigma_e": round(fit.sigma_e, 4),
                "eta": round(fit.eta, 4),
                "tau": round(fit.tau, 4),
                "profile": season,
            },
        }
        return json.dumps(doc, indent=2) + "\n"
    return render_tables(_monthly_tables(hist, fit, months, periods, season), output)
