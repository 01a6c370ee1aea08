"""The shape every result shares: tidy rows for CSV and frames, and one JSON document.

Every result type (a run, a comparison, a sensitivity report, a sweep, a fit, the peers table,
the target record, a backtest, a nowcast, a history) implements :class:`Tabular`, so the CLI
writes any of them with one ``emit()`` and a notebook gets any of them as a DataFrame. The
protocol lives in the lowest layer so that data, model, engine and analysis results can all
implement it without importing upwards.
"""

from __future__ import annotations

import json
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


class TabularJSON(Tabular, Protocol):
    """A ``Tabular`` that also renders its document as JSON text (``TabularMixin`` gives it)."""

    def to_json(self) -> str: ...


class TabularMixin:
    """``frame()`` and ``to_json()`` derived from ``rows()`` and ``document()``."""

    def frame(self: Tabular) -> pd.DataFrame:
        """The rows as a pandas DataFrame (numeric dtypes, NaN for missing values)."""
        import pandas as pd

        rows = self.rows()
        cols = self.columns()
        # rows hold plain numbers and None, so pandas infers numeric dtypes with NaN for None
        return pd.DataFrame(rows, columns=cols)

    def to_json(self: Tabular) -> str:
        """``document()`` as JSON text (what ``--format json`` prints)."""
        return json.dumps(self.document(), indent=2) + "\n"
