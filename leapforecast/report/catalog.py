"""The table of bundled scenarios (``leapforecast scenarios``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leapforecast.model.catalog import ScenarioCatalog

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType


def catalog_tables(catalog: ScenarioCatalog) -> list[RenderableType]:
    """Name, parent and description of each bundled scenario (descriptions print literally)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Bundled scenarios (leapforecast run NAME)", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("extends", no_wrap=True)
    table.add_column("description")
    for row in catalog.rows():
        table.add_row(Text(row["name"]), Text(row["extends"]), Text(row["description"]))
    return [table]
