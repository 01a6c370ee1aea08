"""report layer: tables, CSV, plots and atomic output for the library's results.

``report.tables_for(result)`` gives the Rich renderables of any result type (one builder per
type, registered in ``report.dispatch``); it loads the builders only when first asked for.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "tables_for":
        from leapforecast.report.dispatch import tables_for

        return tables_for
    raise AttributeError(f"module 'leapforecast.report' has no attribute {name!r}")
