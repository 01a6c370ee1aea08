"""Scenario files as text: finding them, reading an ``extends`` chain, merging it, applying
``--set`` overrides, and locating a key's line so every error can name FILE:LINE.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leapforecast.data._files import BUILTIN_PREFIX, STDIN_LABEL, is_stdin, read_text_file
from leapforecast.errors import LeapforecastError, ScenarioError

if TYPE_CHECKING:  # pragma: no cover - named in a signature only: listing needs no Pydantic
    from leapforecast.model.spec import ScenarioSpec

MAX_EXTENDS_DEPTH = 16
# what `leapforecast run` with no scenario runs, and `backtest -m scenario:default` scores
DEFAULT_SCENARIO = "default"


def bundled_dir() -> Path:
    """Folder of the bundled scenarios: inside the installed package, else the source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "scenarios", package.parent / "scenarios"):
        if (candidate / "base.toml").is_file():
            return candidate
    raise LeapforecastError("bundled scenarios not found; the installation is incomplete")


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names (file stems, without the _ prefixed partials) and their paths."""
    return {p.stem: p for p in sorted(bundled_dir().glob("*.toml")) if not p.stem.startswith("_")}


def resolve_path(ref: str | Path | None) -> Path:
    """``None``: the bundled default (``DEFAULT_SCENARIO``: the one the calibration report
    accepts, see the README's "Why this default"); ``builtin:NAME`` or a bare bundled name:
    that file; ``-``:
    standard input (a scenario with no folder: its relative ``extends`` and history paths are
    read from the working directory); else a path."""
    if ref is None:
        return bundled_dir() / f"{DEFAULT_SCENARIO}.toml"
    if is_stdin(ref):
        return Path("-")
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
        hint = difflib.get_close_matches(text, known, n=1)
        raise ScenarioError(
            f"{text}: no such file or bundled scenario"
            + (f"; did you mean '{hint[0]}'?" if hint else "")
            + f" (bundled: {', '.join(known)})"
        )
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
                array_key = tuple(parts)
                index = array_counts.get(array_key, -1) + 1
                array_counts[array_key] = index
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
        doc = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ScenarioError(
            f"values are nested too deeply (at most {MAX_NESTING} levels)", file=label
        ) from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        if m:
            reason = msg[: m.start()].strip()
            raise ScenarioError(
                f"not valid TOML: {reason} (column {m.group(2)})", file=f"{label}:{m.group(1)}"
            ) from None
        raise ScenarioError(f"not valid TOML: {msg}", file=label) from None
    if nesting_depth(doc) > MAX_NESTING:
        raise ScenarioError(
            f"values are nested too deeply (at most {MAX_NESTING} levels)", file=label
        )
    return doc


MAX_NESTING = 32  # a scenario needs about 5; deeper documents only recurse their readers


def nesting_depth(value: Any) -> int:
    """How deeply lists and tables nest in ``value``, counted without recursion (merging,
    copying and validating a document all recurse, so a 600-deep one must stop here)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


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
    if is_stdin(path):
        return STDIN_LABEL
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # OSError: the working directory was deleted
        return str(path)  # RuntimeError: a symlink loop (refused by _resolve)


def _resolve(path: Path, label: str, what: str = "the scenario") -> Path:
    """``path.resolve()``, with a symlink loop as a one-line error (Python 3.11 raises
    RuntimeError, later versions OSError ELOOP) rather than an internal error."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        raise ScenarioError(f"{what} is a symlink loop, not a file", file=label) from None


def read_chain(path: Path, _stack: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[Source]]:
    """Read a scenario and everything it extends; returns the merged document and its sources.

    A scenario read from standard input (``-``) has no folder: what it ``extends`` is looked
    for in the working directory."""
    label = _display(path)
    resolved = _resolve(path, label)
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
            _resolve(parent, where, f"scenario.extends: '{parent_ref}'").relative_to(
                path.parent.resolve()
            )
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
        if not parent.exists() and not parent.is_symlink():
            siblings = [p.name for p in path.parent.glob("*.toml")]
            hint = difflib.get_close_matches(Path(parent_ref).name, siblings, n=1)
            raise ScenarioError(
                f"scenario.extends: file '{parent_ref}' not found "
                + ("in the working directory" if is_stdin(path) else f"next to {label}")
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


def _parse_value(text: str, label: str) -> Any:
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        value = None
    if value is None or nesting_depth(value) > MAX_NESTING:
        raise ScenarioError(
            f"the value is nested too deeply (at most {MAX_NESTING} levels)", file=label
        )
    return value


def apply_override(doc: dict[str, Any], assignment: str) -> None:
    """Apply ``key.path=value`` (value in TOML syntax; bare words are strings) to ``doc``."""
    shown = assignment if len(assignment) <= 60 else assignment[:57] + "..."
    label = f"--set {shown}"  # an error never echoes a huge value
    if "=" not in assignment:
        raise ScenarioError("expected KEY.PATH=VALUE, e.g. growth.volatility=0.12", file=label)
    key, _, raw = assignment.partition("=")
    parts = [p for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise ScenarioError(f"'{key}' is not a key path like growth.rate.mode", file=label)
    value = _parse_value(raw.strip(), label)
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


def key_position(sources: list[Source], path: list[str]) -> tuple[int, int | None]:
    """(source index, line) defining the longest prefix of ``path``; the child wins ties."""
    best: tuple[int, int | None] = (0, None)
    best_depth = 0
    for index, source in enumerate(sources):
        line, depth = locate_depth(source.text, tuple(path))
        if line is not None and depth > best_depth:
            best, best_depth = (index, line), depth
    return best


def key_location(sources: list[Source], path: list[str]) -> str:
    """``FILE:LINE`` of the line defining ``path`` (or of its nearest parent), for messages."""
    if not sources:
        return "<scenario>"
    index, line = key_position(sources, path)
    return f"{sources[index].label}:{line}" if line is not None else sources[index].label


def _relative_ref(ref: str, key: list[str], sources: list[Source]) -> str:
    """A file named in a scenario is relative to the scenario file that names it."""
    if ref.startswith("builtin:") or Path(ref).is_absolute():
        return ref
    if not sources:
        return ref
    index, line = key_position(sources, key)  # the file that sets the key (the child on ties)
    label = Path(sources[index].label)
    if line is not None and label.exists():
        return str(label.parent / ref)
    return ref


def _history_ref(spec: ScenarioSpec, sources: list[Source]) -> str:
    return _relative_ref(spec.history.source, ["history", "source"], sources)
