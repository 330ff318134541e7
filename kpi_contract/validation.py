"""Validate a kpis_v7 document against the packaged schema file.

The validator is jsonschema-rs (full draft 2020-12, ``date-time`` checked, NaN rejected, about a
microsecond per valid payload): cheap enough to run before every durable write. It is compiled once
per process, on first use.

Violations carry a JSONPath-style ``json_path``: ``$`` is the document, an object key that is a
plain identifier is written ``.key``, any other key in brackets and single quotes
(``$.nulls['risk.dd_state']``, with ``\\`` and ``'`` escaped by a backslash), an array index as
``[0]``. Violations are sorted by path, then message, so the same document always gives the same
list.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from typing import NoReturn

import jsonschema_rs

from kpi_contract.errors import Violation
from kpi_contract.schema import load_schema

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@functools.cache
def _validator() -> jsonschema_rs.Validator:
    """The compiled validator for the packaged schema (built once; compiling costs milliseconds)."""
    return jsonschema_rs.Draft202012Validator(load_schema(), validate_formats=True)


def json_path(parts: Sequence[str | int]) -> str:
    """Render a path into the document (keys and indexes) in this module's JSONPath convention."""
    rendered = ["$"]
    for part in parts:
        if isinstance(part, int):
            rendered.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            rendered.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            rendered.append(f"['{escaped}']")
    return "".join(rendered)


def validate_document(doc: object) -> list[Violation]:
    """Every schema violation of ``doc`` (a parsed JSON value); an empty list means valid."""
    validator = _validator()
    try:
        if validator.is_valid(doc):
            return []
        errors = list(validator.iter_errors(doc))
    except ValueError as exc:
        # jsonschema-rs refuses values JSON cannot hold (a datetime, an int dict key).
        return [_unrepresentable(doc, exc)]
    violations = {
        Violation(json_path(error.instance_path), _message(doc, error)) for error in errors
    }
    return sorted(violations, key=lambda v: (v.json_path, v.message))


def loads_strict(data: bytes) -> object:
    """Parse UTF-8 JSON bytes; ValueError for bad UTF-8, bad JSON and NaN/Infinity tokens.

    Python's ``json`` accepts ``NaN`` and ``Infinity`` although they are not JSON (a browser's
    ``JSON.parse`` fails on them), and it guesses UTF-16/32 from raw bytes; both are refused here.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc


def validate_bytes(data: bytes) -> list[Violation]:
    """Violations of a serialised document: encoding and JSON errors at ``$``, then the schema's."""
    try:
        doc = loads_strict(data)
    except ValueError as exc:
        return [Violation("$", str(exc))]
    return validate_document(doc)


def _reject_constant(token: str) -> NoReturn:
    raise ValueError(f"not valid JSON: {token} is not a JSON number")


def _message(doc: object, error: jsonschema_rs.ValidationError) -> str:
    """jsonschema-rs's message, except for NaN/inf, which it would describe as ``null``."""
    value = _value_at(doc, error.instance_path)
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a finite number (JSON has no NaN or Infinity)"
    return error.message


def _value_at(doc: object, parts: Sequence[str | int]) -> object:
    node = doc
    for part in parts:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list | tuple) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _unrepresentable(doc: object, exc: ValueError) -> Violation:
    """Point at the first value JSON cannot represent (walks the document; errors only)."""
    path = _find_unrepresentable(doc, [])
    where = json_path(path) if path is not None else "$"
    return Violation(where, f"not a JSON value: {exc}")


def _find_unrepresentable(node: object, path: list[str | int]) -> list[str | int] | None:
    if node is None or isinstance(node, str | bool | int | float):
        return None
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                return path
            found = _find_unrepresentable(value, [*path, key])
            if found is not None:
                return found
        return None
    if isinstance(node, list | tuple):
        for index, value in enumerate(node):
            found = _find_unrepresentable(value, [*path, index])
            if found is not None:
                return found
        return None
    return path
