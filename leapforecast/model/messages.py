"""Pydantic validation errors as one line each: FILE:LINE: key.path: what is wrong; what was
expected (with a did-you-mean for misspelt keys).
"""

from __future__ import annotations

import difflib
import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from leapforecast.model.distributions import DIST_CLASSES, DistBase
from leapforecast.model.files import (
    Source,
    key_location,
    key_position,
)
from leapforecast.model.spec import ScenarioSpec


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


def _walk(
    loc: tuple[Any, ...], *, keep_last: bool = False
) -> tuple[list[str], type[BaseModel] | None]:
    """Clean a pydantic loc into a key path and find the model that holds its last key.

    Pydantic puts union members (``float``, ``list[...]``, ``constrained-int``) into locs;
    they are dropped. With ``keep_last`` (an unknown key) the last part is the user's own key,
    kept even when it reads like one of those (a key named ``float`` or ``a[b``)."""
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
        if (
            isinstance(part, str)
            and not (keep_last and i == len(loc) - 1)
            and (
                "[" in part
                or part in ("int", "float", "str", "list", "dict", "bool")
                or (node is None and _PYDANTIC_TAG.fullmatch(part))  # e.g. year's 'constrained-int'
            )
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


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"string {value!r}"
    return repr(value)


def _message(err: ErrorDetails, parent: type[BaseModel] | None, key: str) -> str:
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


def format_errors(exc: ValidationError, sources: list[Source]) -> list[str]:
    """One line per problem; union alternatives that fail for the same key are reported once."""
    found: list[tuple[tuple[int, int], str]] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path, parent = _walk(loc, keep_last=err["type"] == "extra_forbidden")
        if loc[-2:] == ("fixed", "value") and err["type"] not in ("missing", "extra_forbidden"):
            path = path[:-1]  # a bare number: the problem is the number, not a 'value' key
        key = path[-1] if path else ""
        dotted = ".".join(path) or "(top level)"
        if dotted in seen:
            continue
        seen.add(dotted)
        index, line = key_position(sources, path)
        text = f"{key_location(sources, path)}: {dotted}: {_message(err, parent, key)}"
        found.append(((index, line or 0), text))
    found.sort(key=lambda item: item[0])  # file order, then line order (stable for equal lines)
    return [text for _, text in found]


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
