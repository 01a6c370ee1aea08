"""The HTML pages' helpers shared by ``run -o FILE.html`` and ``leapforecast report``: the
footer date, and the outside view and backtest rows in the shape ``report.html`` reads.

Kept apart from ``cli.report`` (which imports ``cli.run`` for its options) so that ``cli.run``
can write a page without an import cycle.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leapforecast.cli.common import command_line

DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        metavar="TEXT",
        help="Date printed in the footer (default: SOURCE_DATE_EPOCH's day if set, else "
        "today). The date is the page's only byte that is not a function of the inputs: fix "
        "it to reproduce a report byte for byte.",
    ),
]


def report_date(given: str | None) -> str:
    """``given``, else the day of ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention),
    else today (local time), as YYYY-MM-DD."""
    import datetime as dt
    import os

    if given is not None:
        return given
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        from leapforecast.errors import UsageError

        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time in seconds") from None
    return dt.date.today().isoformat()


def reference_rows(shown: Any) -> list[dict[str, Any]]:
    """The outside view as the report's headline reads it (scenario, year, target, prob_ge),
    taken from the CSV rows of a ``RunWithOutside`` or ``ComparisonWithOutside`` so the page
    shows the same rounded numbers as ``run``/``compare`` CSV."""
    out: list[dict[str, Any]] = []
    cmp = getattr(shown, "comparison", None)
    if cmp is None:  # one run
        res = shown.result
        for row in shown.rows():
            for t in res.targets:
                prob = row.get(f"ref_prob_ge_{t}")
                out.append(
                    {"scenario": res.scenario, "year": row["year"], "target": t, "prob_ge": prob}
                )
        return out
    for res, view in zip(cmp.results, shown.outside, strict=True):
        for year in res.years:
            ref = view.prefixed(year)
            for t in view.targets:
                out.append(
                    {
                        "scenario": res.scenario,
                        "year": year,
                        "target": t,
                        "prob_ge": ref.get(f"ref_prob_ge_{t}"),
                    }
                )
    return out


def calibration_rows(result: Any, methods: dict[str, str]) -> list[dict[str, Any]]:
    """One row per scenario and horizon from a ``BacktestResult``: coverage of the 50/80/90%
    intervals, the Wilson interval of the 90% coverage, the verdict, skill against the random
    walk and how many cases the scenario had already seen (in-sample); ``methods`` maps each
    ``scenario:NAME`` method to the scenario's name in the report. The reference-class model
    (the outside view) is scored on the same cases, as a row of its own, for comparison."""
    out: list[dict[str, Any]] = []
    names = {**methods, "reference": "outside view"}
    for score in result.scores:
        if score.method not in names:
            continue
        row = score.row()
        out.append(
            {
                "scenario": names[score.method],
                "horizon": score.horizon,
                "cases": score.cases,
                "coverage_50": row["coverage_50"],
                "coverage_80": row["coverage_80"],
                "coverage_90": row["coverage_90"],
                "coverage_90_lo": row["coverage_90_lo"],
                "coverage_90_hi": row["coverage_90_hi"],
                "verdict": score.verdict,
                "skill_rw": row["skill_rw"],
                "in_sample": row["in_sample"],
            }
        )
    return out


def run_page(shown: Any, scenario: Any, *, year: int | None, date: str | None) -> str:
    """``run -o FILE.html``: the report of one run (no tornado, no backtest: ``leapforecast
    report`` adds them)."""
    from leapforecast.report.html import build_report

    return build_report(
        [shown.result],
        scenarios=[scenario],
        reference_rows=reference_rows(shown),
        year=year,
        date=report_date(date),
        command=command_line(),
    )
