"""Scenario files: TOML -> validated, resolved ``Scenario`` (extends, --set overrides, errors).

Every problem becomes one line ``FILE:LINE: key.path: what is wrong; what was expected``, and
``validate`` collects all of them rather than stopping at the first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from leapforecast.data._files import BUILTIN_PREFIX
from leapforecast.data.history import History, load_history
from leapforecast.errors import HistoryError, ScenarioError
from leapforecast.model.checks import _resolve_bootstraps, semantic_problems
from leapforecast.model.files import (
    Source,
    _history_ref,
    apply_override,
    key_location,
    read_chain,
    resolve_path,
)
from leapforecast.model.messages import _relabel, format_errors
from leapforecast.model.spec import ScenarioSpec

# --------------------------------------------------------------------------- semantic checks


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with everything it refers to resolved.

    ``spec`` is the validated document, ``history`` the sales history it starts from,
    ``sha256`` a hash of the resolved document (after extends and overrides).
    """

    spec: ScenarioSpec
    history: History
    path: str | None = None
    sources: list[Source] = field(default_factory=list, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.spec.scenario.name

    @property
    def base_year(self) -> int:
        return self.spec.history.base_year or self.history.base_year

    @property
    def base_units(self) -> float:
        return self.spec.history.base_units or self.history.units_at(self.base_year)

    @property
    def horizon(self) -> int:
        return self.spec.simulation.horizon or self.base_year + 3

    @property
    def years(self) -> list[int]:
        return list(range(self.base_year + 1, self.horizon + 1))

    @property
    def targets(self) -> list[int]:
        return sorted(set(self.spec.simulation.targets))

    @property
    def input_files(self) -> list[str]:
        """Every file this scenario reads (its extends chain and a history CSV): what an
        ``--output`` must never overwrite."""
        files = [s.label for s in self.sources]
        if not self.history.source.startswith(BUILTIN_PREFIX):
            files.append(self.history.source)
        return files

    def document(self) -> dict[str, Any]:
        return self.spec.model_dump(mode="json", by_alias=True, exclude_none=True)

    @property
    def sha256(self) -> str:
        doc = self.document()
        # as_of says when the file was written, not what it simulates: it leaves the hash alone
        doc.get("scenario", {}).pop("as_of", None)
        blob = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def with_overrides(
        self, *assignments: str, option: str = "--set", **simulation: Any
    ) -> Scenario:
        """A copy with ``--set``-style assignments and simulation settings (paths, seed, ...);
        problems with an assigned key are blamed on ``option`` (``--vary`` for a sweep)."""
        doc = self.document()
        sources = self.sources or [Source(self.path or "<scenario>", "")]
        overridden = apply_overrides(doc, assignments, option, sources)
        for k, v in simulation.items():
            if v is not None:
                doc.setdefault("simulation", {})[k] = v
        return build(doc, sources, self.path, overridden)


def build(
    doc: dict[str, Any],
    sources: list[Source],
    path: str | None,
    overridden: dict[str, str] | None = None,
) -> Scenario:
    """Validate a merged document into a ``Scenario``, raising ``ScenarioError`` with every problem.

    ``overridden`` maps key paths set on the command line to the option that set them.
    """
    overridden = overridden or {}
    try:
        spec = ScenarioSpec.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(_relabel(format_errors(exc, sources), overridden)) from None
    try:
        history = load_history(_history_ref(spec, sources))
    except HistoryError as exc:
        raise ScenarioError(
            [f"{key_location(sources, ['history', 'source'])}: history.source: {exc}"]
        ) from None
    problems: list[tuple[list[str], str]] = []
    spec = _resolve_bootstraps(doc, spec, history, problems, sources)
    problems += semantic_problems(spec, history)
    if problems:
        raise ScenarioError(
            _relabel(
                [f"{key_location(sources, p)}: {'.'.join(p)}: {m}" for p, m in problems], overridden
            )
        )
    return Scenario(spec, history, path, sources)


def load_scenario(
    path: str | Path | None = None,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    **simulation: Any,
) -> Scenario:
    """Load, merge (``extends``), override (``key.path=value``) and validate a scenario file.

    ``path=None`` loads the bundled base scenario; ``builtin:NAME`` a bundled one.
    Keyword arguments (``paths``, ``seed``, ``horizon``, ``targets``, ``sampling``) override
    the ``[simulation]`` table. Raises ``ScenarioError`` listing every problem found.
    """
    file = resolve_path(path)
    doc, sources = read_chain(file)
    overridden = apply_overrides(doc, overrides, "--set", sources)
    for key, value in simulation.items():
        if value is not None:
            sim = doc.setdefault("simulation", {})
            if not isinstance(sim, dict):
                where = overridden.get("simulation", sources[0].label)
                raise ScenarioError("simulation: expected a table", file=where)
            sim[key] = value
            shown = ",".join(map(str, value)) if isinstance(value, list) else value
            overridden[f"simulation.{key}"] = f"--{key} {shown}"
    return build(doc, sources, str(file), overridden)


def apply_overrides(
    doc: dict[str, Any], assignments: Iterable[str], option: str, sources: list[Source]
) -> dict[str, str]:
    """Apply ``key.path=value`` assignments to ``doc``; returns which option set each key path,
    so a problem with an overridden key blames the option (``--set``, ``--vary``), not the
    file the key would otherwise come from."""
    overridden: dict[str, str] = {}
    for assignment in assignments:
        apply_override(doc, assignment)
        key = assignment.partition("=")[0].strip()
        overridden[key] = f"{option} {assignment}"
        parts = key.split(".")
        events = doc.get("event")
        if len(parts) > 1 and parts[0] == "event" and isinstance(events, list):
            names = [e.get("name") if isinstance(e, dict) else None for e in events]
            if parts[1] in names:  # problems are reported by index: event.<i>.key
                overridden[".".join(["event", str(names.index(parts[1]))] + parts[2:])] = (
                    f"{option} {assignment}"
                )
    return overridden
