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
from leapforecast.errors import HistoryError, LeapforecastError, ScenarioError
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
from leapforecast.model.mixture import (
    MIXTURE_KEYS,
    Component,
    Mixture,
    MixtureDoc,
    normalised_weights,
    shared_problems,
)
from leapforecast.model.spec import ScenarioSpec

# --------------------------------------------------------------------------- semantic checks


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with everything it refers to resolved.

    ``spec`` is the validated document, ``history`` the sales history it starts from,
    ``sha256`` a hash of the resolved document (after extends and overrides).

    A mixture scenario (``model.mixture``) has ``mixture`` set: its ``spec`` then carries the
    mixture's own ``[scenario]`` and ``[simulation]`` over the first component's model (so
    names, years, targets and history read the same way), and the engine simulates the
    components, never that spec's model (``engine.plan.compile_plan`` refuses a mixture).
    """

    spec: ScenarioSpec
    history: History
    path: str | None = None
    sources: list[Source] = field(default_factory=list, compare=False, repr=False)
    mixture: Mixture | None = None

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
        if self.mixture is not None:
            for c in self.mixture.components:
                files += [f for f in c.scenario.input_files if f not in files]
            return files
        if not self.history.source.startswith(BUILTIN_PREFIX):
            files.append(self.history.source)
        return files

    def document(self) -> dict[str, Any]:
        if self.mixture is not None:
            return {
                "scenario": self.spec.scenario.model_dump(mode="json", exclude_none=True),
                "simulation": self.spec.simulation.model_dump(mode="json", exclude_none=True),
                "mixture": self.mixture.document(),
            }
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
        problems with an assigned key are blamed on ``option`` (``--vary`` for a sweep).

        On a mixture, ``scenario.*`` and ``simulation.*`` assignments and the simulation
        settings change the mixture's own tables (and so every component's simulation); any
        other assignment is applied to every component.
        """
        if self.mixture is not None:
            return _mixture_with_overrides(self, assignments, simulation)
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

    ``path=None`` loads the bundled default scenario; ``builtin:NAME`` a bundled one.
    Keyword arguments (``paths``, ``seed``, ``horizon``, ``targets``, ``sampling``) override
    the ``[simulation]`` table. Raises ``ScenarioError`` listing every problem found.
    """
    file = resolve_path(path)
    doc, sources = read_chain(file)
    if "mixture" in doc:
        return _load_mixture(file, doc, sources, list(overrides), simulation)
    return _load_single(file, doc, sources, overrides, simulation)


def _load_single(
    file: Path,
    doc: dict[str, Any],
    sources: list[Source],
    overrides: list[str] | tuple[str, ...],
    simulation: dict[str, Any],
) -> Scenario:
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


# --------------------------------------------------------------------------- mixtures


def _split_overrides(overrides: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(assignments to the mixture file's own tables, assignments for every component)."""
    own: list[str] = []
    down: list[str] = []
    for assignment in overrides:
        head = assignment.partition("=")[0].strip().split(".")[0]
        (own if head in MIXTURE_KEYS else down).append(assignment)
    return own, down


def _component_file(ref: str, file: Path, where: str) -> Path:
    """A component reference: relative to the mixture file, or ``builtin:NAME`` / a bundled name."""
    if ref.startswith(BUILTIN_PREFIX):
        return resolve_path(ref)
    candidate = file.parent / ref
    if candidate.is_file():
        try:
            candidate.resolve().relative_to(file.parent.resolve())
        except ValueError:
            raise ScenarioError(
                f"mixture.components: '{ref}' is outside this file's folder; copy it next to "
                "the mixture or use builtin:NAME for a bundled one",
                file=where,
            ) from None
        return candidate
    if "/" not in ref and not ref.endswith(".toml"):
        return resolve_path(ref)  # a bundled name (or a clear error naming the bundled ones)
    raise ScenarioError(
        f"mixture.components: file '{ref}' not found next to the mixture", file=where
    )


def _sim_settings(sim: Any, *, horizon: bool) -> dict[str, Any]:
    """A mixture's [simulation] as the keyword settings every component is loaded with."""
    out: dict[str, Any] = {
        "paths": sim.paths,
        "seed": sim.seed,
        "sampling": sim.sampling,
        "targets": list(sim.targets),
    }
    if horizon and sim.horizon is not None:
        out["horizon"] = sim.horizon
    return out


def _assemble(
    info: Any,
    sim: Any,
    parts: list[Component],
    given_sum: float | None,
    path: str | None,
    sources: list[Source],
) -> Scenario:
    """The mixture ``Scenario``: its own [scenario]/[simulation] over the first component."""
    labels = [(c.file or c.ref, c.scenario) for c in parts]
    problems = shared_problems(labels)
    if problems:
        raise ScenarioError(problems, file=sources[0].label if sources else path)
    first = parts[0].scenario
    if sim.horizon is None:
        sim = sim.model_copy(update={"horizon": first.spec.simulation.horizon})
    spec = first.spec.model_copy(update={"scenario": info, "simulation": sim})
    return Scenario(spec, first.history, path, sources, mixture=Mixture(tuple(parts), given_sum))


def _load_mixture(
    file: Path,
    doc: dict[str, Any],
    sources: list[Source],
    overrides: list[str],
    simulation: dict[str, Any],
) -> Scenario:
    """Load a mixture file and every component; every problem of every component is reported
    (each names its own file), so ``validate`` shows them all at once."""
    own, down = _split_overrides(overrides)
    overridden: dict[str, str] = {}
    for assignment in own:
        apply_override(doc, assignment)
        overridden[assignment.partition("=")[0].strip()] = f"--set {assignment}"
    for key, value in simulation.items():
        if value is not None:
            sim = doc.setdefault("simulation", {})
            if not isinstance(sim, dict):
                raise ScenarioError("simulation: expected a table", file=sources[0].label)
            sim[key] = value
            shown = ",".join(map(str, value)) if isinstance(value, list) else value
            overridden[f"simulation.{key}"] = f"--{key} {shown}"
    problems = [
        f"{key_location(sources, [key])}: {key}: a mixture takes its model from its components; "
        f"remove [{key}] from the mixture file (put it in a component)"
        for key in doc
        if key not in MIXTURE_KEYS
    ]
    if problems:
        raise ScenarioError(problems)
    try:
        mdoc = MixtureDoc.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(_relabel(format_errors(exc, sources), overridden)) from None
    weights, given_sum = normalised_weights(mdoc.mixture)
    where = key_location(sources, ["mixture", "components"])
    settings = _sim_settings(mdoc.simulation, horizon=True)
    parts: list[Component] = []
    seen: dict[Path, str] = {}
    for spec, weight in zip(mdoc.mixture.components, weights, strict=True):
        try:
            cfile = _component_file(spec.scenario, file, where)
            resolved = cfile.resolve()
            if resolved in seen:
                raise ScenarioError(
                    f"mixture.components: {spec.scenario} is the same file as {seen[resolved]}; "
                    "give each component once (add up their weights)",
                    file=where,
                )
            seen[resolved] = spec.scenario
            cdoc, csources = read_chain(cfile)
            if "mixture" in cdoc:
                raise ScenarioError(
                    f"mixture.components: {spec.scenario} is itself a mixture; nested mixtures "
                    "are not supported (list its components here instead)",
                    file=where,
                )
            component = _load_single(cfile, cdoc, csources, down, settings)
        except ScenarioError as exc:
            problems += exc.lines()
            continue
        except LeapforecastError as exc:
            problems.append(f"{where}: mixture.components: {spec.scenario}: {exc}")
            continue
        parts.append(Component(spec.scenario, weight, component))
    if problems:
        raise ScenarioError(problems)
    return _assemble(mdoc.scenario, mdoc.simulation, parts, given_sum, str(file), sources)


def _mixture_with_overrides(
    sc: Scenario, assignments: tuple[str, ...], simulation: dict[str, Any]
) -> Scenario:
    mixture = sc.mixture
    if mixture is None:  # pragma: no cover - callers check
        raise ScenarioError("not a mixture")
    own, down = _split_overrides(assignments)
    if any(a.strip().startswith("mixture") for a in own):
        raise ScenarioError("a mixture's components and weights are changed in its file")
    doc: dict[str, Any] = {
        "scenario": sc.spec.scenario.model_dump(mode="json", exclude_none=True),
        "simulation": sc.spec.simulation.model_dump(mode="json", exclude_none=True),
        "mixture": {
            "components": [{"scenario": c.ref, "weight": c.weight} for c in mixture.components]
        },
    }
    for a in own:
        apply_override(doc, a)
    for k, v in simulation.items():
        if v is not None:
            doc["simulation"][k] = v
    try:
        mdoc = MixtureDoc.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(format_errors(exc, sc.sources)) from None
    horizon_set = "horizon" in simulation and simulation["horizon"] is not None
    horizon_set = horizon_set or any(a.strip().startswith("simulation.horizon") for a in own)
    settings = _sim_settings(mdoc.simulation, horizon=horizon_set)
    parts = [c.scenario.with_overrides(*down, **settings) for c in mixture.components]
    sim = mdoc.simulation
    if not horizon_set:
        sim = sim.model_copy(update={"horizon": None})
    return _assemble(
        mdoc.scenario,
        sim,
        list(mixture.with_scenarios(parts).components),
        mixture.given_sum,
        sc.path,
        sc.sources,
    )


def mixture_of(scenario: Scenario, components: list[Scenario], weights: list[float]) -> Scenario:
    """``scenario`` (a mixture) with other component scenarios and weights: for rebasing in the
    backtest and for posterior weights. Components must still share history and years."""
    if scenario.mixture is None:
        raise ScenarioError(f"scenario {scenario.name} is not a mixture")
    mixture = scenario.mixture.with_scenarios(components).reweighted(weights)
    spec = components[0].spec.model_copy(update={"scenario": scenario.spec.scenario})
    problems = shared_problems([(c.file or c.ref, c.scenario) for c in mixture.components])
    if problems:
        raise ScenarioError(problems, file=scenario.path)
    return Scenario(
        spec,
        components[0].history,
        scenario.path,
        scenario.sources,
        mixture=Mixture(mixture.components, scenario.mixture.given_sum),
    )
