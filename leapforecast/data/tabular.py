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
    """``frame()`` and ``to_json()`` derived from ``rows()`` and ``document()``."""

    def frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (numeric dtypes, NaN for missing values)."""
        import pandas as pd

        rows = self.rows()  # type: ignore[attr-defined]
        cols = self.columns()  # type: ignore[attr-defined]
        # rows hold plain numbers and None, so pandas infers numeric dtypes with NaN for None
        return pd.DataFrame(rows, columns=cols)

    def to_json(self) -> str:
        """``document()`` as JSON text (what ``--format json`` prints)."""
        doc = rounded(self.document())  # type: ignore[attr-defined]
        return json.dumps(doc, indent=2) + "\n"


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
