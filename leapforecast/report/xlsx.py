"""Excel workbooks (the optional ``xlsx`` extra): one sheet per table plus a metadata sheet.

Forecasts go to people who open spreadsheets, not command lines. The workbook keeps numbers as
numbers (so they can be charted and summed), shows probabilities as percentages (decided by the
column name), freezes the header row and sizes the columns. The same tables give the same bytes:
no creation or modification date is written (unless the caller puts one in the metadata) and the
zip entries carry a fixed timestamp, so a workbook can be checked into a repository or compared.

openpyxl is imported on first use; without it a ``UsageError`` says how to install it.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - openpyxl is imported on first use
    from openpyxl.worksheet.worksheet import Worksheet

from leapforecast.errors import UsageError
from leapforecast.report.output import write_bytes

MISSING_OPENPYXL = "Excel output needs openpyxl: pip install 'leapforecast[xlsx]'"
FIXED_DATE = _dt.datetime(2000, 1, 1)  # docProps dates: fixed so that bytes are reproducible
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 60

# Probability-like columns (fractions shown as percentages). 'p10'/'p50' are quantiles in units,
# so only 'p_' with an underscore counts.
_PERCENT = re.compile(
    r"^(prob|p_|se_ge|se_prob|se_delta_prob|delta_prob|coverage|share|reached|hit_rate|pit)"
    r"|_(prob|share|coverage|rate_hit)$|^prob$|^variance_share$|^base_prob|^base_se"
)
_FINE_PERCENT = re.compile(r"^(se_|base_se)")  # standard errors: two decimals of a per cent
_PLAIN = re.compile(r"(^|_)(year|seed|horizon)s?$|^(year|seed)$")

Table = tuple[str, Sequence[str], Sequence[Mapping[str, Any]]]


def is_percent_column(name: str) -> bool:
    """Whether a column holds fractions to show as percentages (prob_*, p_*, se_ge_*,
    coverage*, share*, reached*, ...), decided by its name alone."""
    return bool(_PERCENT.search(name.lower()))


def number_format(name: str, value: object) -> str | None:
    """The Excel number format of a cell of column ``name`` holding ``value`` (None: General)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    lower = name.lower()
    if is_percent_column(lower):
        return "0.00%" if _FINE_PERCENT.search(lower) else "0.0%"
    if _PLAIN.search(lower):
        return "0"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "#,##0" if abs(value) >= 1000 else None
    return None


def sheet_name(name: str, taken: Sequence[str] = ()) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, not starting or ending with an apostrophe,
    at most 31 characters, not Excel's reserved 'History', not in ``taken`` (case-insensitive)."""
    clean = _BAD_SHEET_CHARS.sub("-", str(name)).strip().strip("'").strip() or "Sheet"
    if clean.lower() == "history":
        clean = "History data"
    clean = clean[:31]
    lowered = {t.lower() for t in taken}
    candidate, n = clean, 2
    while candidate.lower() in lowered:
        suffix = f" ({n})"
        candidate = clean[: 31 - len(suffix)] + suffix
        n += 1
    return candidate


def _label_of(obj: object) -> str:
    """A sheet name for a result object: its ``sheet_name`` attribute, else its class name."""
    label = getattr(obj, "sheet_name", None)
    if isinstance(label, str) and label:
        return label
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(obj).__name__).lower()
    return words[:1].upper() + words[1:]


def _as_table(item: object) -> Table:
    """(name, columns, rows) from a ``Tabular``, a (name, Tabular) pair or a (name, columns,
    rows) triple."""
    if hasattr(item, "columns") and hasattr(item, "rows") and not isinstance(item, tuple):
        return (_label_of(item), list(item.columns()), list(item.rows()))
    if isinstance(item, tuple) and len(item) == 2 and hasattr(item[1], "rows"):
        return (str(item[0]), list(item[1].columns()), list(item[1].rows()))
    if isinstance(item, tuple) and len(item) == 3:
        name, columns, rows = item
        return (str(name), list(columns), list(rows))
    raise UsageError(
        "tables must be results with columns() and rows(), (name, result) or "
        f"(name, columns, rows); got {type(item).__name__}"
    )


def metadata_of(obj: object) -> dict[str, Any]:
    """What a result says about itself: ``metadata()`` if it has one, else the non-row parts of
    ``document()``."""
    meta = getattr(obj, "metadata", None)
    if callable(meta):
        return dict(meta())
    doc = getattr(obj, "document", None)
    if callable(doc):
        out = {}
        for key, value in doc().items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                continue  # the rows themselves are on their own sheet
            if isinstance(value, dict) and key == "metadata":
                out.update(value)
            else:
                out[key] = value
        return out
    return {}


def _cell(value: Any) -> Any:
    """A value openpyxl stores natively: numbers stay numbers, '' and NaN become empty cells,
    anything structured becomes JSON text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _cell(value.item())
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str)
    return str(value)


def _shown_width(value: object, fmt: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, float | int) and not isinstance(value, bool):
        if fmt and fmt.endswith("%"):
            return len(f"{100 * value:.2f}%")
        if fmt == "#,##0":
            return len(f"{value:,.0f}")
        return len(f"{value:.10g}") if isinstance(value, float) else len(str(value))
    return max((len(line) for line in str(value).splitlines()), default=0)


def _fill_sheet(ws: Worksheet, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    widths = [len(str(c)) for c in columns]
    for j, name in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j, value=str(name))
        cell.font = bold
        cell.alignment = Alignment(horizontal="center")
    # long tables (metric/value, key/value): format each value by the name in its row
    label = (
        next((c for c in ("metric", "key") if c in columns), None) if "value" in columns else None
    )
    for i, row in enumerate(rows, start=2):
        for j, name in enumerate(columns, start=1):
            value = _cell(row.get(name))
            cell = ws.cell(row=i, column=j, value=value)
            fmt_name = str(row.get(label)) if label and name == "value" else str(name)
            fmt = number_format(fmt_name, value)
            if fmt:
                cell.number_format = fmt
            widths[j - 1] = max(widths[j - 1], _shown_width(value, fmt))
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, width + 2)
    ws.freeze_panes = "A2"
    if rows and columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def _metadata_rows(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": _cell(v)} for k, v in metadata.items()]


def workbook_bytes(
    tables: Sequence[Any] | Any,
    *,
    metadata: Mapping[str, Any] | None = None,
) -> bytes:
    """The workbook as bytes: one sheet per table, then a 'metadata' sheet.

    ``tables`` is one result or a list of results (anything with ``columns()`` and ``rows()``,
    such as the ``Tabular`` results), ``(name, result)`` pairs or ``(name, columns, rows)``
    triples. ``metadata`` defaults to what the first result says about itself (seed, version,
    scenario hash, ...); pass the command line in it as ``command``. No generation date is
    written unless ``metadata`` has one, so the same tables give the same bytes.
    """
    try:
        from openpyxl import Workbook
        from openpyxl.writer.excel import ExcelWriter
    except ImportError:
        raise UsageError(MISSING_OPENPYXL) from None
    items = list(tables) if isinstance(tables, list | tuple) and not _is_table(tables) else [tables]
    if not items:
        raise UsageError("a workbook needs at least one table")
    if metadata is None:
        first = items[0][1] if isinstance(items[0], tuple) and len(items[0]) == 2 else items[0]
        metadata = metadata_of(first)
    wb = Workbook()
    default = wb.active  # a new workbook starts with one empty sheet
    if default is not None:
        wb.remove(default)
    taken: list[str] = []
    for item in items:
        name, columns, rows = _as_table(item)
        title = sheet_name(name, taken)
        taken.append(title)
        _fill_sheet(wb.create_sheet(title), columns, rows)
    meta_title = sheet_name("metadata", taken)
    _fill_sheet(wb.create_sheet(meta_title), ["key", "value"], _metadata_rows(metadata))
    wb.properties.creator = "leapforecast"
    wb.properties.created = FIXED_DATE
    wb.properties.modified = FIXED_DATE
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()  # not save_workbook(): that stamps 'modified' with now
    return _fixed_zip(raw.getvalue())


def _is_table(obj: object) -> bool:
    """A bare (name, columns, rows) triple or (name, result) pair, rather than a list of them."""
    return (
        isinstance(obj, tuple)
        and len(obj) in (2, 3)
        and isinstance(obj[0], str)
        and (hasattr(obj[1], "rows") or len(obj) == 3)
    )


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry dated 1980-01-01, in the same order (zip entries carry the
    time they were written, which would make every save differ)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_workbook(
    target: str | Path | IO[bytes],
    tables: Sequence[Any] | Any,
    *,
    metadata: Mapping[str, Any] | None = None,
    inputs: Sequence[str | Path] = (),
) -> None:
    """Write :func:`workbook_bytes` to a path (through the shared writer: atomic over a regular
    file, never over an input) or to a binary buffer such as ``io.BytesIO``."""
    data = workbook_bytes(tables, metadata=metadata)
    if not isinstance(target, str | Path):
        target.write(data)
        return
    write_bytes(data, target, inputs=list(inputs))


__all__ = [
    "MISSING_OPENPYXL",
    "is_percent_column",
    "metadata_of",
    "number_format",
    "sheet_name",
    "workbook_bytes",
    "write_workbook",
]
