"""The bundled scenarios as a result (``leapforecast scenarios``).

Kept apart from ``model.authoring`` because listing the library reads only each file's
``[scenario]`` table: no validation, so neither Pydantic nor NumPy is imported for it.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leapforecast.data.tabular import TabularMixin
from leapforecast.model.files import bundled_scenarios


@dataclass(frozen=True)
class BundledScenario:
    """A scenario shipped with leapforecast (``leapforecast scenarios``)."""

    name: str
    description: str
    path: Path
    extends: str | None


@dataclass(frozen=True)
class ScenarioCatalog(TabularMixin):
    """The bundled scenarios as a result (``leapforecast scenarios``)."""

    items: tuple[BundledScenario, ...]

    def columns(self) -> list[str]:
        return ["name", "description", "extends", "path"]

    def rows(self) -> list[dict[str, Any]]:
        """One row per scenario; a scenario that extends none has "" (not None) in ``extends``,
        as the published CSV and JSON always had."""
        return [
            {
                "name": s.name,
                "description": s.description,
                "extends": s.extends or "",
                "path": str(s.path),
            }
            for s in self.items
        ]

    def document(self) -> dict[str, Any]:
        return {"scenarios": self.rows()}

    def to_json(self) -> str:
        """A bare JSON array of the rows: the format ``scenarios --format json`` has always had
        (so ``document()`` is the one result document that is not what ``to_json`` writes)."""
        return json.dumps(self.rows(), indent=2) + "\n"


def scenario_catalog() -> ScenarioCatalog:
    """``list_scenarios()`` as a result with rows, a frame and JSON."""
    return ScenarioCatalog(tuple(list_scenarios()))


def list_scenarios() -> list[BundledScenario]:
    """Bundled scenarios with their own ``[scenario].description`` (read without validating)."""

    out = []
    for name, path in bundled_scenarios().items():
        try:
            info = tomllib.loads(path.read_text(encoding="utf-8")).get("scenario", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            info = {"description": f"(unreadable: {exc})"}
        if not isinstance(info, dict):
            info = {}
        out.append(
            BundledScenario(
                name=name,
                description=str(info.get("description", "")),
                path=path,
                extends=info.get("extends") if isinstance(info.get("extends"), str) else None,
            )
        )
    return out
