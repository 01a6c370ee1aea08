"""The shape every result shares: tidy rows for CSV and frames, and one JSON document.

Every result type (a run, a comparison, a sensitivity report, a sweep, a fit, the peers table,
the target record, a backtest, a nowcast, a history) implements :class:`Tabular`, so the CLI
writes any of them with one ``emit()`` and a notebook gets any of them as a DataFrame. The
protocol lives in the lowest layer so that data, model, engine and analysis results can all
implement it without importing upwards.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@runtime_checkable
class Tabular(Protocol):
    """What ``emit()`` needs of a result."""

    def columns(self) -> list[str]:
        """CSV columns, in order (a documented contract: add columns at the end only)."""
        ...

    def rows(self) -> list[dict[str, Any]]:
        """One dict per row with exactly ``columns()`` as keys; plain numbers, None for missing."""
        ...

    def document(self) -> dict[str, Any]:
        """The JSON document: rows plus metadata (seed, version, scenario hash, ...)."""
        ...


class TabularMixin:
    """``frame()``, ``to_json()`` and a notebook view derived from ``rows()`` and ``document()``.

    ``frame()`` is tidy: one row per CSV row, the CSV's columns, numeric dtypes (a column whose
    values are all numbers or missing is float/int, even when every value is missing) and NaN
    for a missing value. Its values are the rows' own, rounded as the CSV contract says (6
    decimals for probabilities and scores, whole cars for units); a result that keeps finer
    numbers may override ``frame_rows()`` (``SimulationResult`` does: its frame is unrounded).
    """

    def frame_rows(self) -> list[dict[str, Any]]:
        """The rows ``frame()`` is built from (``rows()`` unless a result keeps finer values)."""
        return self.rows()  # type: ignore[attr-defined]

    def frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (numeric dtypes, NaN for missing values)."""
        import pandas as pd

        rows = self.frame_rows()
        cols = self.columns()  # type: ignore[attr-defined]
        frame = pd.DataFrame(rows, columns=cols)
        for col in cols:
            values = frame[col]
            if values.dtype != object:
                continue
            if all(_is_number_or_missing(v) for v in values):
                # None-only or mixed int/None columns: pandas keeps them as objects
                frame[col] = pd.to_numeric(values.astype("float64"))
            elif any(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                # a label column holding numbers and text (a nowcast's "500000" and "2026-02"):
                # text throughout, so it sorts and compares one way
                frame[col] = values.map(lambda v: None if v is None else str(v))
        return frame

    def to_json(self) -> str:
        """``document()`` as JSON text (what ``--format json`` prints)."""
        doc = rounded(self.document())  # type: ignore[attr-defined]
        return json.dumps(doc, indent=2) + "\n"

    def _repr_html_(self) -> str:
        """Jupyter's view: the result's table (the CSV rows, at most ``HTML_ROWS``)."""
        rows = self.rows()  # type: ignore[attr-defined]
        caption = type(self).__name__ + (
            f" ({len(rows)} rows, first {HTML_ROWS} shown)" if len(rows) > HTML_ROWS else ""
        )
        return html_table(self.columns(), rows[:HTML_ROWS], caption=caption)  # type: ignore[attr-defined]


HTML_ROWS = 60


def _is_number_or_missing(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def html_cell(value: Any) -> str:
    """A value as escaped HTML cell text: large numbers with thousands separators, others to 6
    significant digits, None and NaN as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    from html import escape  # only for notebooks' HTML (html.entities is a large import)

    return escape(str(value))


def html_table(
    columns: list[str], rows: list[dict[str, Any]], *, caption: str | None = None
) -> str:
    """A plain HTML table (escaped; numbers right-aligned) for ``_repr_html_``. The data layer
    cannot use ``report.html`` (it sits above), and a notebook needs nothing more than this."""
    from html import escape

    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            style = " style='text-align:right'" if numeric else ""
            cells.append(f"<td{style}>{html_cell(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (
        f"<table class='leapforecast'>{cap}<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


SIGNIFICANT = 12  # digits every JSON float keeps: 0.0101, not 0.010099999999999998


def rounded(value: Any) -> Any:
    """``value`` with every float rounded to ``SIGNIFICANT`` significant digits, in lists,
    tuples and dicts at any depth: the one place JSON output is rounded, so a sum such as
    0.0001 + 0.01 prints as 0.0101 whichever command made it. Whole floats stay floats."""
    if isinstance(value, float):
        if value == 0 or not math.isfinite(value):
            return value
        return float(f"{value:.{SIGNIFICANT}g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value
