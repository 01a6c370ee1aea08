"""Tools for scenario authors: check many files at once, the JSON Schema, starters, the library.

``validate_files`` reports every problem of every file (the loader already collects all
problems of one file); ``json_schema`` turns the pydantic models of ``spec.py`` into a draft-07
JSON Schema that TOML editors (Taplo / Even Better TOML, via a ``#:schema`` comment) use to
check and complete scenario files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leapforecast.data._files import data_path, file_label
from leapforecast.errors import LeapforecastError, ScenarioError, UsageError
from leapforecast.model.catalog import (  # noqa: F401 - re-exported: the library's names
    BundledScenario,
    ScenarioCatalog,
    list_scenarios,
    scenario_catalog,
)
from leapforecast.model.distributions import DIST_CLASSES
from leapforecast.model.scenario import load_scenario
from leapforecast.model.spec import ScenarioSpec

SCHEMA_FILE = data_path("scenario.schema.json")
DRAFT = "http://json-schema.org/draft-07/schema#"  # Taplo and the jsonschema package support it
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")

# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Problem:
    """One problem of a scenario file, for machines (``validate --format json``) and people.

    ``file`` is where the problem is (a file of the ``extends`` chain, or the ``--set`` that
    caused it), ``line``/``column`` where known (1-based), ``key`` the dotted key path (None for
    a problem of the whole file), ``suggestion`` the "did you mean" value, and ``text`` the
    one-line message ``validate`` prints.
    """

    file: str
    line: int | None
    column: int | None
    key: str | None
    message: str
    suggestion: str | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "message": self.message,
            "suggestion": self.suggestion,
        }


# FILE[:LINE]: rest -- the location ends at the first ": " (file names with ": " are rare, and a
# file that has one is still reported, with the rest of the location in the message)
_LOCATION = re.compile(r"^(?P<file>.+?)(?::(?P<line>[0-9]+))?: (?P<rest>.*)$", re.S)
# key.path: message -- key parts are TOML bare keys or indices (events are reported by index)
_KEYED = re.compile(r"^(?P<key>[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*): (?P<message>.*)$", re.S)
_COLUMN = re.compile(r"\(column ([0-9]+)\)")
_SUGGESTION = re.compile(r"did you mean '([^']*)'\?")


def parse_problem(text: str, *, default_file: str = "<scenario>") -> Problem:
    """A problem line (``FILE:LINE: key.path: message``) split into its parts."""
    file, line, rest = default_file, None, text
    located = _LOCATION.match(text)
    if located:
        file, rest = located["file"], located["rest"]
        line = int(located["line"]) if located["line"] else None
    key, message = None, rest
    keyed = _KEYED.match(rest)
    if keyed and " " not in keyed["key"]:
        key, message = keyed["key"], keyed["message"]
    column = _COLUMN.search(message)
    suggestion = _SUGGESTION.search(message)
    return Problem(
        file=file,
        line=line,
        column=int(column.group(1)) if column else None,
        key=key,
        message=message,
        suggestion=suggestion.group(1) if suggestion else None,
        text=text,
    )


def validate_problems(path: str | Path, *, overrides: Iterable[str] = ()) -> list[Problem]:
    """Every problem of one scenario (after ``extends`` and overrides), structured.

    The loader's checks are the whole of validation: they include what running needs (segment
    bases that leave nothing for the remainder, correlations that cannot all hold), through the
    same ``model.inputs`` the engine compiles from. An empty list means valid.
    """
    label = file_label(path)
    try:
        load_scenario(path, overrides=list(overrides))
    except ScenarioError as exc:
        return [parse_problem(line, default_file=label) for line in exc.lines()]
    except LeapforecastError as exc:
        return [parse_problem(str(exc), default_file=label)]
    return []


def validate_file(path: str | Path, *, overrides: Iterable[str] = ()) -> list[str]:
    """Every problem of one scenario as one line each (what ``validate`` prints); [] = valid."""
    return [p.text for p in validate_problems(path, overrides=overrides)]


def validate_files(
    paths: Iterable[str | Path], *, overrides: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Problems of each file, in the order given: ``{file: [problem, ...]}`` ([] = valid)."""
    overrides = list(overrides)
    return {file_label(p): validate_file(p, overrides=overrides) for p in paths}


def validation_report(
    paths: Iterable[str | Path], *, overrides: Iterable[str] = ()
) -> dict[str, Any]:
    """The JSON document of ``validate --format json`` (in the spirit of ruff's and eslint's):
    ``{"files": [{"file", "valid", "problems": [{file, line, column, key, message,
    suggestion}]}], "problems": N, "version": ...}``. A problem's ``file`` may differ from the
    file validated (a problem in the file it extends, or in a ``--set``)."""
    from leapforecast._version import __version__

    overrides = list(overrides)
    files: list[dict[str, Any]] = []
    count = 0
    for p in paths:
        problems = validate_problems(p, overrides=overrides)
        count += len(problems)
        files.append(
            {
                "file": file_label(p),
                "valid": not problems,
                "problems": [q.to_dict() for q in problems],
            }
        )
    return {
        "version": __version__,
        "files": files,
        "problems": count,
    }


# --------------------------------------------------------------------------- JSON Schema

_PARAM_DOCS = {
    "value": "the value",
    "mean": "mean",
    "sd": "standard deviation (>= 0)",
    "p5": "5th percentile (> 0): give p5 and p95, or mu and sigma",
    "p95": "95th percentile (> p5)",
    "mu": "mean of the log",
    "sigma": "standard deviation of the log (>= 0)",
    "low": "smallest value",
    "mode": "most likely value",
    "high": "largest value",
    "lamb": "PERT peakedness (default 4; higher = more weight on mode)",
    "alpha": "first shape parameter (> 0)",
    "beta": "second shape parameter (> 0)",
    "values": "the possible values",
    "weights": "relative weights, one per value (default: equal)",
    "source": '"history" (this scenario\'s), a builtin:NAME or a CSV path',
    "from_year": "keep growth intervals ending in this year or later",
    "to_year": "keep growth intervals ending in this year or earlier",
    "min_units": "peers only: keep years that started at this many units a year or more",
    "max_units": "peers only: and below this many units a year",
    "target": "management's target, units a year",
    "year": "year of the target (default: the first forecast year)",
    "ratios": "actual / target ratios to use (default: the track record of `source`)",
    "spread": '"resample" one of the ratios, or any value in their "range"',
}

_UNITS_STRING = {
    "type": "string",
    "pattern": r"^\s*([0-9][0-9_,]*(\.[0-9]+)?|\.[0-9]+)\s*[kKmM]?\s*$",
    "description": 'units written like "500k", "1M", "1.05M" or "1_000_000"',
}

_TOP_DOCS = {
    "event": "[[event]] tables: things that may happen in a year and move the level of demand",
    "segment": (
        "[segment.NAME] tables, e.g. [segment.china] and [segment.overseas]: streams of sales with "
        "their own base, growth and events (one may omit base/share and takes the rest)"
    ),
    "correlation": "[[correlation]] tables: Spearman rank correlations between uncertain inputs",
}

_KEEP_REQUIRED = {"Event": ["name"], "Correlation": ["between", "rho"]}

_INIT_KEYS = {  # keys Taplo inserts when completing a new table
    "Event": ["name", "year", "probability", "kind", "impact", "persistence"],  # month: optional
    "Growth": ["rate", "volatility"],
    "Correlation": ["between", "rho"],
}


_MIXTURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "a mixture of scenarios (model.mixture): only [scenario], [simulation] and [mixture]; "
        "the model comes from the components"
    ),
    "properties": {
        "components": {
            "type": "array",
            "minItems": 2,
            "maxItems": 20,
            "description": "the component scenarios and their weights",
            "items": {
                "type": "object",
                "properties": {
                    "scenario": {
                        "type": "string",
                        "minLength": 1,
                        "description": "a scenario file relative to this one, builtin:NAME or "
                        "a bundled name",
                    },
                    "weight": {
                        "type": "number",
                        "minimum": 0,
                        "exclusiveMinimum": True,
                        "description": 'prior weight (> 0); omit with weights = "equal"',
                    },
                },
                "required": ["scenario"],
                "additionalProperties": False,
            },
        },
        "weights": {"enum": ["equal"], "description": '"equal": every component the same weight'},
    },
    "required": ["components"],
    "additionalProperties": False,
}


_EXAMPLES: dict[str, list[Any]] = {  # "Table.key" -> examples an editor shows
    "ScenarioInfo.name": ["base", "bear-tariffs"],
    "CalibrationSpec.spread": [2.4, [3.75, 4.32, 6.62]],
    "ScenarioInfo.description": ["Growth halves by 2028; EU tariffs hold back exports"],
    "ScenarioInfo.extends": ["base.toml", "builtin:base"],
    "ScenarioInfo.as_of": ["2025-12-31"],
    "HistorySpec.source": ["builtin:leapmotor", "my_maker.csv"],
    "HistorySpec.base_year": [2025],
    "HistorySpec.base_units": [596_555],
    "SimulationSpec.horizon": [2028, 2030],
    "SimulationSpec.paths": [100_000],
    "SimulationSpec.seed": [20260101],
    "SimulationSpec.sampling": ["random", "lhs", "sobol"],
    "SimulationSpec.targets": [[500_000, 750_000, 1_000_000], ["500k", "1M"]],
    "Growth.rate": [0.4, {"dist": "pert", "low": 0.15, "mode": 0.4, "high": 0.75}],
    "Growth.volatility": [0.1, {"dist": "uniform", "low": 0.05, "high": 0.15}],
    "Growth.fade": [{"to": 0.1, "half_life": 2}],
    "Growth.model": ["trend", "reference"],
    "Growth.reference": [{"min_units": 20_000, "recent_weight": 5}],
    "ReferenceGrowth.makers": [["Tesla", "BYD", "NIO"]],
    "ReferenceGrowth.own_history": [True, False],
    "ReferenceGrowth.min_units": [20_000],
    "ReferenceGrowth.recent_weight": [5],
    "ReferenceGrowth.L0": [100_000],
    "ReferenceGrowth.prior": ["weak", "noninformative"],
    "Fade.to": [0.1, {"dist": "triangular", "low": 0.05, "mode": 0.1, "high": 0.15}],
    "Fade.half_life": [2, 3.5],
    "Saturation.ceiling": [3_000_000, {"dist": "lognormal", "p5": 2e6, "p95": 5e6}],
    "Saturation.model": ["logistic"],
    "Event.name": ["EU tariff", "price war"],
    "Event.year": [2026, [2026, 2027]],
    "Event.probability": [0.5],
    "Event.kind": ["multiply", "add"],
    "Event.impact": [-0.05, {"dist": "triangular", "low": -0.08, "mode": -0.03, "high": 0.0}],
    "Event.persistence": ["permanent", "one-year", "months:3", "half-life:2"],
    "Event.month": ["2026-01", "2026-07"],
    "Event.segment": ["overseas"],
    "Capacity.units": [1_000_000, {"dist": "uniform", "low": 900_000, "high": 1_200_000}],
    "Capacity.growth": [0.15],
    "Capacity.schedule": [{"2026": 1_000_000, "2027": 1_300_000}],
    "MonthlySpec.seasonal": [[0.75, 0.72, 1, 1, 1, 1, 1, 1.05, 1.2, 1.2, 1.2, 1.15]],
    "Segment.base": [67_000],
    "Segment.share": [0.1],
    "Segment.growth": [{"rate": 0.8, "volatility": 0.15}],
    "Segment.saturation": [{"ceiling": 500_000}],
    "Correlation.between": [["growth.rate", "capacity.units"]],
    "Correlation.rho": [0.3, -0.5],
    "Fixed.value": [0.3],
    "Normal.mean": [0.3],
    "Normal.sd": [0.1],
    "LogNormal.p5": [0.1],
    "LogNormal.p95": [0.6],
    "LogNormal.mu": [-1.2],
    "LogNormal.sigma": [0.4],
    "Uniform.low": [0.1],
    "Uniform.high": [0.3],
    "Triangular.low": [0.1],
    "Triangular.mode": [0.2],
    "Triangular.high": [0.4],
    "Pert.low": [0.15],
    "Pert.mode": [0.4],
    "Pert.high": [0.75],
    "Pert.lamb": [4],
    "Beta.alpha": [2],
    "Beta.beta": [5],
    "Beta.low": [0.0],
    "Beta.high": [1.0],
    "Choice.values": [[0.2, 0.4, 0.6]],
    "Choice.weights": [[1, 2, 1]],
    "Bootstrap.source": ["history", "peers", "builtin:leapmotor"],
    "Bootstrap.from_year": [2022],
    "Bootstrap.to_year": [2025],
    "Bootstrap.min_units": [300_000, "300k"],
    "Bootstrap.max_units": ["3M"],
    "TrackRecord.target": [1_000_000, "1M"],
    "TrackRecord.year": [2026],
    "TrackRecord.ratios": [[0.8, 0.95, 1.02]],
    "TrackRecord.source": ["builtin:leapmotor"],
    "TrackRecord.spread": ["resample", "range"],
}
_TOP_EXAMPLES: dict[str, list[Any]] = {
    "mixture": [
        {
            "components": [
                {"scenario": "bull.toml", "weight": 0.3},
                {"scenario": "bear.toml", "weight": 0.7},
            ]
        }
    ],
    "scenario": [{"name": "my-case", "extends": "base.toml"}],
    "history": [{"source": "builtin:leapmotor"}],
    "simulation": [{"horizon": 2028, "paths": 100_000, "targets": ["500k", "1M"]}],
    "growth": [{"rate": 0.4, "volatility": 0.1}],
    "saturation": [{"ceiling": 3_000_000}],
    "event": [[{"name": "price war", "year": 2026, "probability": 0.5, "impact": -0.05}]],
    "capacity": [{"units": 1_000_000, "growth": 0.15}],
    "monthly": [{"seasonal": [0.75, 0.72, 1, 1, 1, 1, 1, 1.05, 1.2, 1.2, 1.2, 1.15]}],
    "segment": [{"overseas": {"base": 67_000}, "china": {}}],
    "correlation": [[{"between": ["growth.rate", "capacity.units"], "rho": 0.3}]],
    "calibration": [{"spread": [3.75, 4.32, 6.62]}],
}

DISTRIBUTION = "Distribution"


def json_schema() -> dict[str, Any]:
    """The scenario format as a draft-07 JSON Schema (what ``leapforecast schema`` prints).

    Built from ``ScenarioSpec``'s pydantic schema, then adapted for TOML editors (Taplo / Even
    Better TOML) and the ``jsonschema`` package: a bare number is a valid distribution, optional
    keys are just absent (no ``null``), every key has a description and examples, and ``$ref``
    is wrapped so descriptions show.

    A distribution is one ``Distribution`` definition that switches on ``dist`` (``if`` the
    table's ``dist`` is "pert" ``then`` it is a ``Pert``): a misspelt name is reported as
    ``'pret' is not one of [...]`` and a missing parameter as ``'high' is a required
    property``, where alternatives under ``anyOf`` gave only "is not valid under any of the
    given schemas"; and an editor completes ``dist`` from one list of names.
    """

    raw = ScenarioSpec.model_json_schema(by_alias=True)
    defs: dict[str, Any] = raw.pop("$defs", {})
    dist_names = {cls.__name__: tag for tag, cls in DIST_CLASSES.items()}
    for name, tag in dist_names.items():
        _tidy_dist(defs[name], tag)
    defs = {name: _convert(d, dist_names) for name, d in defs.items()}
    for d in defs.values():  # filled in by the loader (a fitted posterior), never by hand
        d.get("properties", {}).pop("resolved", None)
    props = _convert(raw, dist_names)["properties"]
    for holder in [*defs.values(), {"properties": props}]:
        for prop in holder.get("properties", {}).values():
            _describe(prop, defs)
    for key, text in _TOP_DOCS.items():
        props[key]["description"] = text
    for name, keys in _INIT_KEYS.items():
        defs[name]["x-taplo"] = {"initKeys": keys}
    for name, d in defs.items():
        # A file that `extends` another one gives only what differs (an [[event]] with just its
        # name and a new impact), so tables require nothing but the keys that identify them;
        # `leapforecast validate` checks required keys after merging.
        if name not in dist_names and name not in _KEEP_REQUIRED:
            d.pop("required", None)
        elif name in _KEEP_REQUIRED:
            d["required"] = _KEEP_REQUIRED[name]
        for key, prop in d.get("properties", {}).items():
            examples = _EXAMPLES.get(f"{name}.{key}")
            if examples is not None:
                prop["examples"] = examples
    for d in defs.values():
        d["description"] = d.get("description", "").replace("``", "`")
    simulation, event = defs["SimulationSpec"]["properties"], defs["Event"]["properties"]
    simulation["targets"]["items"] = {"anyOf": [{"type": "integer", "minimum": 0}, _UNITS_STRING]}
    event["year"]["anyOf"][1].update(minItems=2, maxItems=2)
    schedule = defs["Capacity"]["properties"]["schedule"]
    schedule["patternProperties"] = {"^[0-9]{4}$": schedule.pop("additionalProperties")}
    schedule["additionalProperties"] = False
    props["mixture"] = _MIXTURE_SCHEMA
    defs[DISTRIBUTION] = _distribution_def(dist_names)
    for key, examples in _TOP_EXAMPLES.items():  # last: after every top-level table is in
        if key in props:
            props[key].setdefault("examples", examples)
    _draft07(props)
    return {
        "$schema": DRAFT,
        "title": "leapforecast scenario",
        "description": (
            "A Monte Carlo sales scenario for leapforecast (TOML). Check a file with "
            "'leapforecast validate FILE'; regenerate this schema with 'leapforecast schema'."
        ),
        "type": "object",
        "additionalProperties": False,
        "properties": props,
        "definitions": dict(sorted(defs.items())),
    }


def _draft07(node: Any) -> None:
    """Spell draft-04's boolean ``exclusiveMinimum``/``exclusiveMaximum`` (beside ``minimum``/
    ``maximum``) the draft-07 way, as a number, in a hand-written part of the schema."""
    if isinstance(node, list):
        for item in node:
            _draft07(item)
        return
    if not isinstance(node, dict):
        return
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(bound) is True and plain in node:
            node[bound] = node.pop(plain)
        elif node.get(bound) is False:
            del node[bound]
    for value in node.values():
        _draft07(value)


def _distribution_def(dist_names: dict[str, str]) -> dict[str, Any]:
    """One definition for every distribution-valued key, discriminated by ``dist``."""
    tags = list(dist_names.values())
    return {
        "description": (
            'A plain number, or a table { dist = "NAME", ... } with NAME one of ' + ", ".join(tags)
        ),
        "type": ["number", "object"],
        "required": ["dist"],
        "properties": {
            "dist": {
                "description": "the kind of distribution; its parameters follow",
                "enum": tags,
            }
        },
        "allOf": [
            {
                "if": {
                    "type": "object",
                    "properties": {"dist": {"const": tag}},
                    "required": ["dist"],
                },
                "then": {"$ref": f"#/definitions/{name}"},
            }
            for name, tag in dist_names.items()
        ],
        "x-taplo": {"initKeys": ["dist"]},
        "examples": [0.3, {"dist": "pert", "low": 0.15, "mode": 0.4, "high": 0.75}],
    }


def _is_distribution(node: dict[str, Any], dist_names: dict[str, str]) -> bool:
    options = node.get("oneOf")
    return isinstance(options, list) and all(
        isinstance(o, dict) and o.get("$ref", "").split("/")[-1] in dist_names for o in options
    )


def _distribution(node: dict[str, Any], dist_names: dict[str, str]) -> dict[str, Any]:
    """A distribution-valued key: a plain number or one of the distribution tables."""
    out = {k: v for k, v in node.items() if k in ("description", "default")}
    out["description"] = out.get("description", "a distribution") + (
        '; a plain number, or a table { dist = "NAME", ... }'
    )
    out["allOf"] = [{"$ref": f"#/definitions/{DISTRIBUTION}"}]
    default = out.get("default")
    if isinstance(default, dict) and default.get("dist") == "fixed":
        out["default"] = default["value"]
    return out


def _convert(node: Any, dist_names: dict[str, str]) -> Any:
    """Rewrite a pydantic (2020-12) schema node into the draft-07 shape editors understand."""
    if isinstance(node, list):
        return [_convert(v, dist_names) for v in node]
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        # TOML has no null: an optional key is simply left out
        rest = [o for o in options if o != {"type": "null"}]
        node = {k: v for k, v in node.items() if k != "anyOf"}
        if node.get("default", 0) is None:
            del node["default"]
        if len(rest) == 1:
            node = {**rest[0], **node}  # the field's own description and default win
        else:
            node["anyOf"] = rest
    if _is_distribution(node, dist_names):
        return _distribution(node, dist_names)
    node = {k: _convert(v, dist_names) for k, v in node.items()}
    if "$ref" in node:
        node["$ref"] = node["$ref"].replace("#/$defs/", "#/definitions/")
    for short, keyword in (
        ("ge", "minimum"),
        ("le", "maximum"),
        ("gt", "exclusiveMinimum"),
        ("lt", "exclusiveMaximum"),
    ):
        if short in node and isinstance(node[short], int | float) and keyword not in node:
            node[keyword] = node.pop(short)  # a constraint pydantic could not place
    return node


def _describe(prop: dict[str, Any], defs: dict[str, Any]) -> None:
    """Give a key its table's description, and wrap a bare ``$ref`` (siblings of it are ignored)."""
    prop.pop("title", None)
    inner = prop.get("items") if isinstance(prop.get("items"), dict) else None
    extra = prop.get("additionalProperties")
    ref = prop.get("$ref") or (inner or {}).get("$ref") or (extra or {}).get("$ref")
    if ref and "description" not in prop:
        prop["description"] = _first_paragraph(defs[ref.split("/")[-1]].get("description", ""))
    if "$ref" in prop:
        prop["allOf"] = [{"$ref": prop.pop("$ref")}]


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n")[0].replace("\n", " ")


def _tidy_dist(d: dict[str, Any], tag: str) -> None:
    """A distribution table: ``dist`` is required, internal fields hidden, parameters explained."""
    props = d.get("properties", {})
    props.pop("resolved", None)  # filled in by the loader, never written by hand
    d["description"] = _first_paragraph(d.get("description", ""))
    for name, prop in props.items():
        prop.pop("title", None)
        if name == "dist":
            prop["description"] = f'"{tag}"'
        elif "description" not in prop and name in _PARAM_DOCS:
            prop["description"] = _PARAM_DOCS[name]
    required = [r for r in d.get("required", []) if r != "dist"]
    d["required"] = ["dist", *required]
    d["title"] = f"{tag} distribution"


def schema_text() -> str:
    """The schema as shipped in ``leapforecast/data/scenario.schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- starter files


def check_name(name: str) -> str:
    """A scenario name usable as a file stem: letters, digits, '-', '_', '.'."""
    stem = name[:-5] if name.endswith(".toml") else name
    if not _NAME.fullmatch(stem):
        raise UsageError(
            f"new: '{name}' is not a usable scenario name; use letters, digits, '-' or '_' "
            "(e.g. my-case)"
        )
    return stem


SCHEMA_NAME = "scenario.schema.json"  # the schema beside the scenarios that link to it


def schema_reference(target: Path) -> str:
    """How a scenario written to ``target`` points at the schema: ``scenario.schema.json``
    beside it (``leapforecast new`` writes that file when the folder has none).

    Never a path into the installed package: that breaks for a colleague who opens the file and
    after every upgrade or new virtual environment. A file next to the scenarios travels with
    them (commit it), and ``leapforecast schema -o FOLDER/scenario.schema.json`` refreshes it.
    """
    del target  # the reference is relative: the same for every folder
    return f"./{SCHEMA_NAME}"


def starter(name: str, *, schema: str | None = None) -> str:
    """A commented starter scenario named ``name`` that validates and runs as it is."""
    stem = check_name(name)
    ref = schema if schema is not None else f"./{SCHEMA_NAME}"
    return _STARTER.replace("{schema}", ref).replace("{name}", stem)


_STARTER = """#:schema {schema}
# Scenario "{name}": a starting point. Replace every number with your own view and say where it
# comes from in a comment (a source, or "assumption"). Check it with
#   leapforecast validate {name}.toml
# and run it with
#   leapforecast run {name}.toml
# Values are TOML: a distribution is a plain number or a table such as
#   { dist = "pert", low = 0.15, mode = 0.40, high = 0.75 }
# (fixed, normal, lognormal, uniform, triangular, pert, beta, choice, bootstrap).

[scenario]
name = "{name}"
description = "One line: what this scenario claims"
# extends = "base.toml"        # inherit another file in this folder (or "builtin:base"),
                               # then write only what differs; [[event]]s merge by name

[history]
source = "builtin:leapmotor"   # or a CSV file with columns year,units
# base_year = 2025             # default: the last year of the history

[simulation]
horizon = 2028                 # last forecast year
paths = 100_000
seed = 20260101                # same seed, same output
sampling = "random"            # or "lhs", "sobol"
targets = [500_000, 750_000, 1_000_000]   # also "500k", "1M"

[growth]
# Trend growth, drawn once per path: 0.40 = +40% a year (assumption).
rate = { dist = "pert", low = 0.15, mode = 0.40, high = 0.75 }
volatility = 0.10              # sd of log growth from year to year (assumption)
fade = { to = 0.10, half_life = 2 }   # the trend halves its gap to +10% every 2 years (assumption)

[[event]]
# Something that may happen: a policy change, a launch, a price war (assumption).
name = "example event"
year = 2026                    # or [2026, 2027]: one year drawn per path
probability = 0.5              # chance it happens at all
kind = "multiply"              # multiply: level changes by a fraction; add: units
impact = { dist = "triangular", low = -0.08, mode = -0.03, high = 0.0 }
persistence = "permanent"      # or "one-year", "months:3" (a dip that ends), "half-life:2"
# month = "2026-01"            # the month it starts (default: January)

[capacity]
# Sales = min(demand, capacity) (assumption).
units = { dist = "uniform", low = 900_000, high = 1_200_000 }
growth = 0.15
# or instead of units/growth: schedule = { "2026" = 1_000_000, "2027" = 1_300_000 }

# Split the base into streams with their own growth and events:
# [segment.overseas]
# base = 67_000
# growth = { rate = { dist = "triangular", low = 0.3, mode = 0.8, high = 1.2 }, volatility = 0.15 }
# [segment.china]                # no base: takes the rest of the base year
#
# Correlate two uncertain inputs (Spearman rank correlation):
# [[correlation]]
# between = ["growth.rate", "event.example event.impact"]
# rho = 0.3
"""
