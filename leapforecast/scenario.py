"""Scenario files: TOML -> validated, resolved ``Scenario`` (extends, --set overrides, errors).

Every problem becomes one line ``FILE:LINE: key.path: what is wrong; what was expected``, and
``validate`` collects all of them rather than stopping at the first.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .distributions import DIST_CLASSES, Bootstrap, DistBase
from .errors import HistoryError, LeapforecastError, ScenarioError
from .history import History, load_history, read_text_file
from .spec import ScenarioSpec

BUILTIN_PREFIX = "builtin:"
MAX_EXTENDS_DEPTH = 16


def bundled_dir() -> Path:
    """Folder of the bundled scenarios: inside the installed package, else the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "scenarios", here.parent / "scenarios"):
        if (candidate / "base.toml").is_file():
            return candidate
    raise LeapforecastError("bundled scenarios not found; the installation is incomplete")


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names (file stems, without the _ prefixed partials) and their paths."""
    return {p.stem: p for p in sorted(bundled_dir().glob("*.toml")) if not p.stem.startswith("_")}


def resolve_path(ref: str | Path | None) -> Path:
    """``None``: bundled base; ``builtin:NAME`` or a bare bundled name: that file; else a path."""
    if ref is None:
        return bundled_dir() / "base.toml"
    text = str(ref)
    if text.startswith(BUILTIN_PREFIX):
        name = text[len(BUILTIN_PREFIX) :]
        known = bundled_scenarios()
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            raise ScenarioError(
                f"unknown bundled scenario '{text}'"
                + (f"; did you mean 'builtin:{hint[0]}'?" if hint else "")
                + f" (known: {', '.join(known)})"
            )
        return known[name]
    path = Path(text)
    if not path.exists() and "/" not in text and not text.endswith(".toml"):
        known = bundled_scenarios()
        if text in known:
            return known[text]
    return path


# --------------------------------------------------------------------------- locating keys

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _split_key(text: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", text)]


def key_lines(text: str) -> list[tuple[tuple[str, ...], int]]:
    """(key path, line number) for every table header and key in a TOML text."""
    out: list[tuple[tuple[str, ...], int]] = []
    table: list[str] = []
    array_counts: dict[tuple[str, ...], int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            parts = _split_key(header.group(2))
            if header.group(1) == "[[":
                key = tuple(parts)
                index = array_counts.get(key, -1) + 1
                array_counts[key] = index
                table = parts + [str(index)]
            else:
                table = parts
            out.append((tuple(table), lineno))
            continue
        key = _KEY.match(line)
        if key:
            out.append((tuple(table + _split_key(key.group(1))), lineno))
    return out


def locate(text: str, path: tuple[str, ...]) -> int | None:
    """Line of the key that best matches ``path`` (the longest prefix of it defined in the text)."""
    return locate_depth(text, path)[0]


def locate_depth(text: str, path: tuple[str, ...]) -> tuple[int | None, int]:
    """(line, how many leading keys of ``path`` matched); 0 keys when nothing matched.

    When no prefix of ``path`` is defined but a longer key starts with it (``[[growth]]`` read
    as ``growth.0`` for a ``growth`` error), that key's line is used.
    """
    path = tuple(path)
    best, best_len, below = None, 0, None
    for keys, lineno in key_lines(text):
        n = len(keys)
        if n <= len(path) and path[:n] == keys and n > best_len:
            best, best_len = lineno, n
        elif path and n > len(path) and keys[: len(path)] == path and below is None:
            below = lineno
    if best is None and below is not None:
        return below, len(path)
    return best, best_len


# --------------------------------------------------------------------------- reading and merging


@dataclass
class Source:
    """One file in an extends chain (child first), kept to locate keys for error messages."""

    label: str
    text: str


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    if not text.strip():
        raise ScenarioError(
            "file is empty; expected a TOML scenario (see 'leapforecast new')", file=label
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        if m:
            reason = msg[: m.start()].strip()
            raise ScenarioError(
                f"not valid TOML: {reason} (column {m.group(2)})", file=f"{label}:{m.group(1)}"
            ) from None
        raise ScenarioError(f"not valid TOML: {msg}", file=label) from None


def _merge_named_list(parent: list[Any], child: list[Any], key: str) -> list[Any]:
    """Child tables with the same ``key`` as a parent's replace it (deep merge); others append."""
    out = copy.deepcopy(parent)
    index = {
        item.get(key): i for i, item in enumerate(out) if isinstance(item, dict) and key in item
    }
    for item in child:
        name = item.get(key) if isinstance(item, dict) else None
        if name is not None and name in index:
            out[index[name]] = deep_merge(out[index[name]], item)
        else:
            out.append(copy.deepcopy(item))
    return out


def deep_merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; ``[[event]]`` merges by name; other values are replaced."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "dist" not in value:
            out[key] = deep_merge(out[key], value)
        elif key == "event" and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = _merge_named_list(out[key], value, "name")
        elif key == "correlation" and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + copy.deepcopy(value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_chain(path: Path, _stack: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[Source]]:
    """Read a scenario and everything it extends; returns the merged document and its sources."""
    label = _display(path)
    resolved = path.resolve()
    if resolved in _stack:
        chain = " -> ".join(_display(p) for p in (*_stack, resolved))
        raise ScenarioError(f"scenario.extends: circular extends ({chain})", file=label)
    if len(_stack) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            f"scenario.extends: chain deeper than {MAX_EXTENDS_DEPTH} files", file=label
        )
    text = read_text_file(path, ScenarioError)
    doc = _parse_toml(text, label)
    sources = [Source(label, text)]
    info = doc.get("scenario")
    parent_ref = info.get("extends") if isinstance(info, dict) else None
    if parent_ref is None:
        return doc, sources
    line = locate(text, ("scenario", "extends"))
    where = f"{label}:{line}" if line else label
    if not isinstance(parent_ref, str):
        raise ScenarioError(
            f"scenario.extends: expected a file name (string), got {parent_ref!r}", file=where
        )
    if parent_ref.startswith(BUILTIN_PREFIX):
        parent = resolve_path(parent_ref)
    else:
        parent = path.parent / parent_ref
        try:
            parent.resolve().relative_to(path.parent.resolve())
        except ValueError:
            raise ScenarioError(
                f"scenario.extends: '{parent_ref}' is outside this file's folder; copy it next to "
                "the scenario or use builtin:NAME for a bundled one",
                file=where,
            ) from None
        if parent.is_dir():
            raise ScenarioError(
                f"scenario.extends: {parent_ref}: is a directory, expected a scenario file",
                file=where,
            )
        if not parent.is_file():
            siblings = [p.name for p in path.parent.glob("*.toml")]
            hint = difflib.get_close_matches(Path(parent_ref).name, siblings, n=1)
            raise ScenarioError(
                f"scenario.extends: file '{parent_ref}' not found next to {label}"
                + (f"; did you mean '{hint[0]}'?" if hint else ""),
                file=where,
            )
    if parent.resolve() in (*_stack, resolved):
        chain = " -> ".join(_display(p) for p in (*_stack, resolved, parent.resolve()))
        raise ScenarioError(f"scenario.extends: circular extends ({chain})", file=where)
    parent_doc, parent_sources = read_chain(parent, (*_stack, resolved))
    merged = deep_merge(parent_doc, doc)
    merged.setdefault("scenario", {})["extends"] = parent_ref
    return merged, sources + parent_sources


# --------------------------------------------------------------------------- --set overrides


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(doc: dict[str, Any], assignment: str) -> None:
    """Apply ``key.path=value`` (value in TOML syntax; bare words are strings) to ``doc``."""
    label = f"--set {assignment}"
    if "=" not in assignment:
        raise ScenarioError("expected KEY.PATH=VALUE, e.g. growth.volatility=0.12", file=label)
    key, _, raw = assignment.partition("=")
    parts = [p for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise ScenarioError(f"'{key}' is not a key path like growth.rate.mode", file=label)
    value = _parse_value(raw.strip())
    node: Any = doc
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            node = _list_item(node, part, here, label)
            continue
        if not isinstance(node, dict):
            raise ScenarioError(f"{'.'.join(parts[:depth])} is a value, not a table", file=label)
        if part not in node:
            node[part] = {}
        elif not isinstance(node[part], dict | list):
            raise ScenarioError(
                f"{here} is a single value ({node[part]!r}), not a table; set {here}=... instead",
                file=label,
            )
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        index = _list_index(node, last, key, label)
        node[index] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(f"{'.'.join(parts[:-1])} is a value, not a table", file=label)


def _list_index(items: list[Any], part: str, here: str, label: str) -> int:
    if part.isdigit():
        if int(part) >= len(items):
            raise ScenarioError(
                f"{here}: index {part} out of range ({len(items)} entries)", file=label
            )
        return int(part)
    names = [i.get("name") for i in items if isinstance(i, dict)]
    if part in names:
        return names.index(part)
    hint = difflib.get_close_matches(part, [n for n in names if n], n=1)
    known = ", ".join(f"'{n}'" for n in names if n) or "none"
    raise ScenarioError(
        f"{here}: no entry named '{part}'"
        + (f"; did you mean '{hint[0]}'?" if hint else "")
        + f" (use a name or an index 0-{len(items) - 1}; names: {known})",
        file=label,
    )


def _list_item(items: list[Any], part: str, here: str, label: str) -> Any:
    return items[_list_index(items, part, here, label)]


# ------------------------------------------------------------------- pydantic errors -> lines


def _unwrap(annotation: Any) -> Any:
    """Reduce an annotation to a model class, ('list', X), ('dict', X), 'dist' or None (a leaf)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "dist" if issubclass(annotation, DistBase) else annotation
    if origin in (list, tuple):
        return ("list", typing.get_args(annotation)[0])
    if origin is dict:
        return ("dict", typing.get_args(annotation)[1])
    if origin in (typing.Union, __import__("types").UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        kinds = [_unwrap(a) for a in members]
        if any(k == "dist" for k in kinds):
            return "dist"
        models = [k for k in kinds if isinstance(k, type)]
        return models[0] if len(models) == 1 and len(kinds) == 1 else None
    return None


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or n): f.annotation for n, f in model.model_fields.items()}


def _walk(loc: tuple[Any, ...]) -> tuple[list[str], type[BaseModel] | None]:
    """Clean a pydantic loc into a key path and find the model that holds its last key."""
    path: list[str] = []
    node: Any = ScenarioSpec
    parent: type[BaseModel] | None = ScenarioSpec
    i = 0
    while i < len(loc):
        part = loc[i]
        if node == "dist":
            if isinstance(part, str) and part in DIST_CLASSES:
                node = DIST_CLASSES[part]
                parent = node
                i += 1
                continue
            node = None
        if isinstance(part, str) and (
            "[" in part
            or part in ("int", "float", "str", "list", "dict", "bool")
            or (node is None and _PYDANTIC_TAG.fullmatch(part))  # e.g. year's 'constrained-int'
        ):
            i += 1
            continue
        path.append(str(part))
        if isinstance(node, type) and issubclass(node, BaseModel):
            parent = node
            node = _unwrap(_fields(node).get(part))
        elif isinstance(node, tuple):
            node = _unwrap(node[1])
        else:
            node = None
        i += 1
    return path, parent


_PYDANTIC_TAG = re.compile(r"[a-z]+(?:-[a-z]+)+")

_EXPECT = {
    "float_type": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "a string in quotes",
    "bool_type": "true or false",
    "list_type": "a list [...]",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "finite_number": "a finite number (not nan or inf)",
    "missing": None,
}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"string {value!r}"
    return repr(value)


def _message(err: dict[str, Any], parent: type[BaseModel] | None, key: str) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        allowed = list(_fields(parent)) if parent else []
        hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
        msg = f"unknown key '{key}'"
        if hint:
            msg += f"; did you mean '{hint[0]}'?"
        return msg + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    if kind == "missing":
        return _missing(parent, key)
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        hint = difflib.get_close_matches(str(tag), DIST_CLASSES, n=1)
        return (
            f"unknown distribution '{tag}'"
            + (f"; did you mean '{hint[0]}'?" if hint else "")
            + (f" (known: {', '.join(DIST_CLASSES)})")
        )
    if kind == "union_tag_not_found" and isinstance(value, dict):
        known = ", ".join(DIST_CLASSES)
        if "dist" not in value:
            return (
                f'a distribution table needs dist = "NAME" (one of {known}), e.g. '
                '{ dist = "uniform", low = 0.1, high = 0.3 }; or write a plain number'
            )
        got = _show(value["dist"])
        return f"dist must be a distribution name in quotes (one of {known}), got {got}"
    if kind in ("union_tag_not_found", "model_attributes_type") or (
        kind == "union_tag_invalid" and value is not None
    ):
        return (
            f"expected a number or a distribution table such as "
            f'{{ dist = "pert", low = 0.1, mode = 0.3, high = 0.6 }}, got {_show(value)}'
        )
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = re.findall(r"'([^']*)'", expected)
        hint = difflib.get_close_matches(str(value), options, n=1) if isinstance(value, str) else []
        return f"expected one of {expected}, got {_show(value)}" + (
            f"; did you mean '{hint[0]}'?" if hint else ""
        )
    for bound, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if bound in ctx and kind.startswith(("greater", "less")):
            return f"expected a value {word} {ctx[bound]:,}, got {_show(value)}"
    if kind in ("too_short", "too_long") and "actual_length" in ctx:
        short = kind == "too_short"
        limit = ctx.get("min_length") if short else ctx.get("max_length")
        word = "at least" if short else "at most"
        return f"expected {word} {limit} items, got {ctx['actual_length']}"
    if kind in ("too_short", "too_long"):
        return f"{err['msg'].replace('List', 'list')}, got {_show(value)}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    if kind in _EXPECT and _EXPECT[kind]:
        return f"expected {_EXPECT[kind]}, got {_show(value)}"
    return f"{err['msg']}, got {_show(value)}"


def _missing(parent: type[BaseModel] | None, key: str) -> str:
    """Name what the table needs, so a missing key says what to write."""
    msg = f"missing required key '{key}'"
    if parent is None:
        return msg
    if issubclass(parent, DistBase):
        fields = parent.model_fields.items()
        need = [f.alias or n for n, f in fields if f.is_required() and n != "dist"]
        tag = next((name for name, cls in DIST_CLASSES.items() if cls is parent), parent.__name__)
        return msg + f" (a {tag} distribution needs {', '.join(need)})"
    field_info = parent.model_fields.get(key)
    if field_info is not None and field_info.description:
        return msg + f" ({field_info.description})"
    return msg


def _position(sources: list[Source], path: list[str]) -> tuple[int, int | None]:
    """(source index, line) defining the longest prefix of ``path``; the child wins ties."""
    best, best_depth = (0, None), 0
    for index, source in enumerate(sources):
        line, depth = locate_depth(source.text, tuple(path))
        if line is not None and depth > best_depth:
            best, best_depth = (index, line), depth
    return best


def _where(sources: list[Source], path: list[str]) -> str:
    if not sources:
        return "<scenario>"
    index, line = _position(sources, path)
    return f"{sources[index].label}:{line}" if line is not None else sources[index].label


def format_errors(exc: ValidationError, sources: list[Source]) -> list[str]:
    """One line per problem; union alternatives that fail for the same key are reported once."""
    found: list[tuple[tuple[int, int], str]] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path, parent = _walk(loc)
        if loc[-2:] == ("fixed", "value") and err["type"] not in ("missing", "extra_forbidden"):
            path = path[:-1]  # a bare number: the problem is the number, not a 'value' key
        key = path[-1] if path else ""
        dotted = ".".join(path) or "(top level)"
        if dotted in seen:
            continue
        seen.add(dotted)
        index, line = _position(sources, path)
        text = f"{_where(sources, path)}: {dotted}: {_message(err, parent, key)}"
        found.append(((index, line or 0), text))
    found.sort(key=lambda item: item[0])  # file order, then line order (stable for equal lines)
    return [text for _, text in found]


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
        blob = json.dumps(self.document(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def with_overrides(self, *assignments: str, **simulation: Any) -> Scenario:
        """A copy with ``--set``-style assignments and simulation settings (paths, seed, ...)."""
        doc = self.document()
        for a in assignments:
            apply_override(doc, a)
        for k, v in simulation.items():
            if v is not None:
                doc.setdefault("simulation", {})[k] = v
        return build(doc, self.sources or [Source(self.path or "<scenario>", "")], self.path)


def input_names(spec: ScenarioSpec) -> dict[str, DistBase]:
    """Every uncertain path-level input by its key path (what correlations may name)."""
    names: dict[str, DistBase] = {}

    def growth(prefix: str, g: Any) -> None:
        if g is None:
            return
        names[f"{prefix}growth.rate"] = g.rate
        names[f"{prefix}growth.volatility"] = g.volatility
        if g.fade is not None:
            names[f"{prefix}growth.fade.to"] = g.fade.to

    growth("", spec.growth)
    if spec.saturation is not None:
        names["saturation.ceiling"] = spec.saturation.ceiling
    for seg_name, seg in spec.segment.items():
        growth(f"segment.{seg_name}.", seg.growth)
        if seg.saturation is not None:
            names[f"segment.{seg_name}.saturation.ceiling"] = seg.saturation.ceiling
    for ev in spec.event:
        names[f"event.{ev.name}.impact"] = ev.impact
    if spec.capacity is not None:
        if spec.capacity.units is not None:
            names["capacity.units"] = spec.capacity.units
            names["capacity.growth"] = spec.capacity.growth
        for year, dist in (spec.capacity.schedule or {}).items():
            names[f"capacity.schedule.{year}"] = dist
    return {k: v for k, v in names.items() if not v.is_fixed}


def _resolve_bootstraps(
    doc: dict[str, Any],
    spec: ScenarioSpec,
    history: History,
    problems: list[tuple[list[str], str]],
    sources: list[Source] | None = None,
) -> ScenarioSpec:
    """Fill every bootstrap distribution with the growth rates it resamples, and every
    track_record with the base and hit ratios it needs. Peer growth and target outcomes are
    cut at the base year, so a scenario (or a backtest origin) uses only what was known then."""
    from .distributions import TrackRecord

    base_year = spec.history.base_year or history.base_year

    def fill_track_record(dist: TrackRecord, path: list[str]) -> Any:
        from .targets import hit_ratios, load_targets

        try:
            base_units = spec.history.base_units or history.units_at(base_year)
        except HistoryError:
            return dist  # the missing base year is reported by semantic_problems
        year = dist.year or base_year + 1
        if year <= base_year:
            problems.append(
                (path + ["year"], f"target year {year} must be after the base year {base_year}")
            )
            return dist
        ratios = list(dist.ratios or [])
        if not ratios:
            try:
                ratios = hit_ratios(load_targets(dist.source), upto=base_year)
            except HistoryError as exc:
                problems.append((path + ["source"], str(exc)))
                return dist
            if not ratios:
                problems.append(
                    (
                        path + ["source"],
                        f"track record {dist.source} has no closed year on or before {base_year}",
                    )
                )
                return dist
        return dist.with_values(base_units, year - base_year, ratios)

    def fill_peers(dist: Bootstrap, path: list[str]) -> Any:
        from .peers import peer_intervals

        try:
            intervals = peer_intervals(
                min_units=dist.min_units or 0.0, max_units=dist.max_units, upto=base_year
            )
        except HistoryError as exc:
            problems.append((path, str(exc)))
            return dist
        values = [
            iv.growth
            for iv in intervals
            if (dist.from_year is None or iv.to_year >= dist.from_year)
            and (dist.to_year is None or iv.to_year <= dist.to_year)
        ]
        if not values:
            problems.append(
                (
                    path,
                    "bootstrap from peers has no growth intervals in that window "
                    f"up to {base_year}",
                )
            )
            return dist
        return dist.with_values(values)

    def fill(dist: Any, path: list[str]) -> Any:
        if isinstance(dist, TrackRecord):
            return fill_track_record(dist, path)
        if not isinstance(dist, Bootstrap):
            return dist
        if dist.source == "peers":
            return fill_peers(dist, path)
        try:
            src = (
                history
                if dist.source == "history"
                else load_history(_relative_ref(dist.source, path + ["source"], sources or []))
            )
        except HistoryError as exc:
            problems.append((path + ["source"], str(exc)))
            return dist
        values = [
            rate
            for (y0, y1, _), rate in zip(src.intervals(), src.growth_rates(), strict=False)
            if (dist.from_year is None or y1 >= dist.from_year)
            and (dist.to_year is None or y1 <= dist.to_year)
        ]
        if not values:
            problems.append(
                (path, f"bootstrap from {src.source} has no growth intervals in that window")
            )
            return dist
        return dist.with_values(values)

    def walk(model: Any, path: list[str]) -> Any:
        if isinstance(model, DistBase):
            return fill(model, path)
        if isinstance(model, BaseModel):
            updates = {}
            for name in type(model).model_fields:
                value = getattr(model, name)
                new = walk(value, path + [type(model).model_fields[name].alias or name])
                if new is not value:
                    updates[name] = new
            return model.model_copy(update=updates) if updates else model
        if isinstance(model, list):
            new_list = [walk(v, path + [str(i)]) for i, v in enumerate(model)]
            changed = any(a is not b for a, b in zip(new_list, model, strict=True))
            return new_list if changed else model
        if isinstance(model, dict):
            new_dict = {k: walk(v, path + [k]) for k, v in model.items()}
            return new_dict if any(new_dict[k] is not model[k] for k in model) else model
        return model

    return walk(spec, [])


def semantic_problems(spec: ScenarioSpec, history: History) -> list[tuple[list[str], str]]:
    """Checks that need the history or span several keys; (key path, message) pairs."""
    problems: list[tuple[list[str], str]] = []
    base_year = spec.history.base_year or history.base_year
    if base_year not in history.years and spec.history.base_units is None:
        problems.append(
            (
                ["history", "base_year"],
                f"{base_year} is not in history {history.source} "
                f"({history.years[0]}-{history.years[-1]})",
            )
        )
    horizon = spec.simulation.horizon or base_year + 3
    if horizon <= base_year:
        problems.append(
            (
                ["simulation", "horizon"],
                f"horizon {horizon} must be after the base year {base_year}",
            )
        )
        return problems  # every dated check below would only repeat this one
    if horizon - base_year > 50:
        problems.append(
            (
                ["simulation", "horizon"],
                f"horizon {horizon} is {horizon - base_year} years out; at most 50 are supported",
            )
        )
        return problems

    def check_lower(dist: DistBase, path: list[str], floor: float, strict: bool, what: str) -> None:
        lo, _ = dist.bounds()
        if lo < floor or (strict and lo <= floor):
            problems.append((path, f"{what}; this distribution reaches {lo:g}"))

    def check_growth(g: Any, prefix: list[str]) -> None:
        if g is None:
            return
        check_lower(
            g.rate, prefix + ["growth", "rate"], -1.0, True, "growth must stay above -1 (-100%)"
        )
        check_lower(
            g.volatility,
            prefix + ["growth", "volatility"],
            0.0,
            False,
            "volatility must not be negative",
        )
        if g.fade is not None:
            check_lower(
                g.fade.to,
                prefix + ["growth", "fade", "to"],
                -1.0,
                True,
                "growth must stay above -1 (-100%)",
            )

    check_growth(spec.growth, [])
    if spec.saturation:
        check_lower(
            spec.saturation.ceiling,
            ["saturation", "ceiling"],
            0.0,
            True,
            "a market ceiling must be positive",
        )
    for name, seg in spec.segment.items():
        check_growth(seg.growth, ["segment", name])
        if seg.saturation:
            check_lower(
                seg.saturation.ceiling,
                ["segment", name, "saturation", "ceiling"],
                0.0,
                True,
                "a market ceiling must be positive",
            )
    if spec.segment:
        open_segments = [n for n, s in spec.segment.items() if s.base is None and s.share is None]
        if len(open_segments) > 1:
            problems.append(
                (
                    ["segment", open_segments[1]],
                    "only one segment may omit base/share (it takes the remainder)",
                )
            )
        shares = sum(s.share for s in spec.segment.values() if s.share is not None)
        if shares > 1 + 1e-9:
            problems.append((["segment"], f"segment shares add up to {shares:g}, more than 1"))
    names = [e.name for e in spec.event]
    for i, ev in enumerate(spec.event):
        path = ["event", str(i)]
        if names.count(ev.name) > 1:
            problems.append((path + ["name"], f"event name '{ev.name}' is used twice"))
        first, last = ev.years
        if last <= base_year or first > horizon:
            problems.append(
                (
                    path + ["year"],
                    f"event year {ev.year} is outside the forecast years {base_year + 1}-{horizon}",
                )
            )
        if ev.kind == "multiply":
            check_lower(
                ev.impact,
                path + ["impact"],
                -1.0,
                False,
                "a multiply impact below -1 would make sales negative",
            )
        if ev.segment is not None and ev.segment not in spec.segment:
            hint = difflib.get_close_matches(ev.segment, list(spec.segment), n=1)
            problems.append(
                (
                    path + ["segment"],
                    f"no segment named '{ev.segment}'"
                    + (
                        f"; did you mean '{hint[0]}'?"
                        if hint
                        else f" (segments: {', '.join(spec.segment) or 'none'})"
                    ),
                )
            )
    if spec.capacity:
        if spec.capacity.units is not None:
            check_lower(
                spec.capacity.units,
                ["capacity", "units"],
                0.0,
                False,
                "capacity must not be negative",
            )
            check_lower(
                spec.capacity.growth,
                ["capacity", "growth"],
                -1.0,
                False,
                "capacity growth must not be below -1",
            )
        sched = spec.capacity.schedule or {}
        for year, dist in sched.items():
            check_lower(
                dist, ["capacity", "schedule", year], 0.0, False, "capacity must not be negative"
            )
        if sched:
            missing = [y for y in range(base_year + 1, horizon + 1) if str(y) not in sched]
            if missing and min(int(y) for y in sched) > base_year + 1:
                problems.append(
                    (
                        ["capacity", "schedule"],
                        f"schedule must start by the first forecast year {base_year + 1}",
                    )
                )
    known = input_names(spec)
    for i, corr in enumerate(spec.correlation):
        for name in corr.between:
            if name not in known:
                hint = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
                problems.append(
                    (
                        ["correlation", str(i), "between"],
                        f"'{name}' is not an uncertain input"
                        + (
                            f"; did you mean '{hint[0]}'?"
                            if hint
                            else f" (uncertain inputs: {', '.join(known) or 'none'})"
                        ),
                    )
                )
        if corr.between[0] == corr.between[1]:
            problems.append(
                (["correlation", str(i), "between"], "an input cannot be correlated with itself")
            )
    if spec.correlation and not problems:
        from .sampling import copula_factor

        pairs = [(c.between[0], c.between[1], c.rho) for c in spec.correlation]
        try:
            copula_factor(list(known), pairs)
        except ScenarioError as exc:
            problems.append((["correlation"], exc.message.removeprefix("correlation: ")))
    if spec.segment and not problems:
        total = spec.history.base_units or history.units_at(base_year)
        given = sum(
            s.base if s.base is not None else s.share * total
            for s in spec.segment.values()
            if s.base is not None or s.share is not None
        )
        rest = [n for n, s in spec.segment.items() if s.base is None and s.share is None]
        if rest and given > total:
            problems.append(
                (
                    ["segment", rest[0]],
                    f"the other segments' bases ({given:,.0f}) exceed the base year's total "
                    f"({total:,.0f}), so nothing remains for it",
                )
            )
    return problems


def _relabel(lines: list[str], overridden: dict[str, str]) -> list[str]:
    """Point problems with a value given on the command line at that option, not at the file."""
    if not overridden:
        return lines
    out = []
    for line in lines:
        parts = line.split(": ", 2)
        if len(parts) == 3:
            for key, label in overridden.items():
                if (
                    parts[1] == key
                    or parts[1].startswith(key + ".")
                    or key.startswith(parts[1] + ".")
                ):
                    line = f"{label}: {parts[1]}: {parts[2]}"
                    break
        out.append(line)
    return out


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
            [f"{_where(sources, ['history', 'source'])}: history.source: {exc}"]
        ) from None
    problems: list[tuple[list[str], str]] = []
    spec = _resolve_bootstraps(doc, spec, history, problems, sources)
    problems += semantic_problems(spec, history)
    if problems:
        raise ScenarioError(
            _relabel([f"{_where(sources, p)}: {'.'.join(p)}: {m}" for p, m in problems], overridden)
        )
    return Scenario(spec, history, path, sources)


def _relative_ref(ref: str, key: list[str], sources: list[Source]) -> str:
    """A file named in a scenario is relative to the scenario file that names it."""
    if ref.startswith("builtin:") or Path(ref).is_absolute():
        return ref
    for source in sources:
        if locate(source.text, tuple(key)) is not None and Path(source.label).exists():
            return str(Path(source.label).parent / ref)
    return ref


def _history_ref(spec: ScenarioSpec, sources: list[Source]) -> str:
    return _relative_ref(spec.history.source, ["history", "source"], sources)


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
    overridden: dict[str, str] = {}
    for assignment in overrides:
        apply_override(doc, assignment)
        key = assignment.partition("=")[0].strip()
        overridden[key] = f"--set {assignment}"
        parts = key.split(".")
        events = doc.get("event")
        if len(parts) > 1 and parts[0] == "event" and isinstance(events, list):
            names = [e.get("name") if isinstance(e, dict) else None for e in events]
            if parts[1] in names:  # problems are reported by index: event.<i>.key
                overridden[".".join(["event", str(names.index(parts[1]))] + parts[2:])] = (
                    f"--set {assignment}"
                )
    for key, value in simulation.items():
        if value is not None:
            sim = doc.setdefault("simulation", {})
            if not isinstance(sim, dict):
                raise ScenarioError("simulation: expected a table", file=sources[0].label)
            sim[key] = value
            shown = ",".join(map(str, value)) if isinstance(value, list) else value
            overridden[f"simulation.{key}"] = f"--{key} {shown}"
    return build(doc, sources, str(file), overridden)
