"""Values to try at a payload location: one meant to be valid, and many near the edges.

:func:`instance` builds a value a normal-form schema should accept (every property filled, the
first non-null choice). :func:`candidates` lists values around what a schema accepts: its enum,
each bound and its neighbours, format and pattern samples and their near misses, a value of every
JSON type. Whether any of them is valid is decided later by the reference validator; these
functions only have to be good at guessing.
"""

from __future__ import annotations

import re
from typing import Any

from kpi_contract.review.canonical import key
from kpi_contract.review.keywords import Node, admits, types_of
from kpi_contract.review.normalize import is_false
from kpi_contract.review.regex_sample import samples

_PREFERENCE = ("object", "array", "string", "number", "integer", "boolean", "null")
_FORMATS: dict[str, list[str]] = {
    "date-time": ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00+00:00", "2026-01-01 00:00:00",
                  "2026-01-01T00:00:00", "not-a-date-time"],
    "date": ["2026-01-01", "2026-13-01", "20260101"],
    "time": ["00:00:00Z", "25:00:00Z", "00:00"],
    "email": ["ops@example.com", "not-an-email"],
    "uri": ["https://example.com/x", "not a uri"],
    "uuid": ["123e4567-e89b-12d3-a456-426614174000", "not-a-uuid"],
    "ipv4": ["127.0.0.1", "999.0.0.1"],
}
_ANY_TYPE: list[Any] = [None, True, 0, 1.5, "x", {}, []]
_DEPTH = 12


def instance(node: Node, depth: int = 0) -> Any:
    """A value the schema should accept (best effort; None when nothing obvious fits)."""
    if depth > _DEPTH or is_false(node):
        return None
    if isinstance(node.get("enum"), list) and node["enum"]:
        values = node["enum"]
        return next((v for v in values if v is not None), values[0])
    if isinstance(node.get("anyOf"), list) and node["anyOf"]:
        return instance(node["anyOf"][0], depth + 1)
    if "type" not in node:
        return _typed(node, "object", depth) if "properties" in node else "x"
    types = types_of(node)
    for name in _PREFERENCE:
        if name in types:
            return _typed(node, name, depth)
    return None


def _typed(node: Node, name: str, depth: int) -> Any:
    if name == "object":
        out = {k: instance(v, depth + 1) for k, v in node.get("properties", {}).items()}
        out.update({k: 0 for k in node.get("required", []) if k not in out})
        return out
    if name == "array":
        return [instance(node.get("items", {}), depth + 1)] * int(node.get("minItems", 0))
    if name == "string":
        return _string(node)
    if name in {"number", "integer"}:
        return _number(node, integer=name == "integer")
    return True if name == "boolean" else None


def _string(node: Node) -> str:
    options = list(_FORMATS.get(str(node.get("format")), [])[:1])
    if "pattern" in node:
        options += samples(str(node["pattern"]))
    low = int(node.get("minLength", 0))
    high = node.get("maxLength")
    options.append("x" * max(low, 1))
    for option in options:
        if "pattern" in node and not re.search(str(node["pattern"]), option):
            continue
        if len(option) >= low and (high is None or len(option) <= int(high)):
            return option
    return options[-1]


def _number(node: Node, *, integer: bool) -> int | float:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    guesses: list[float] = []
    if low is not None and high is not None:
        guesses.append((low + high) / 2)
    guesses += [g for g in (low, high) if g is not None]
    guesses += [0, 1, (low or 0) + 1, (high or 0) - 1]
    step = node.get("multipleOf")
    for guess in guesses:
        value: int | float = round(guess) if integer else guess
        if step:
            value = round(value / step) * step
        if _within(node, value):
            return value
    return guesses[0]


def _within(node: Node, value: float) -> bool:
    return (
        ("minimum" not in node or value >= node["minimum"])
        and ("maximum" not in node or value <= node["maximum"])
        and ("exclusiveMinimum" not in node or value > node["exclusiveMinimum"])
        and ("exclusiveMaximum" not in node or value < node["exclusiveMaximum"])
    )


def candidates(node: Node) -> list[Any]:
    """Distinct values around what ``node`` accepts: in bounds, on them, and just outside."""
    out: list[Any] = []
    if isinstance(node.get("enum"), list):
        out += node["enum"]
    types = types_of(node)
    example = instance(node)
    if example is not None:
        out.append(example)
    if admits(types, "number"):
        out += _numbers(node, integer=not admits(types - {"integer"}, "number"))
    if "string" in types:
        out += _strings(node)
    if "array" in types:
        out += [[], [instance(node.get("items", {}))]]
    for branch in node.get("anyOf", []):
        out += candidates(branch)[:8]
    out += _ANY_TYPE
    seen: dict[str, Any] = {}
    for value in out:
        seen.setdefault(key(value), value)
    return list(seen.values())


def _numbers(node: Node, *, integer: bool) -> list[Any]:
    steps = [1] if integer else [1, 0.001]
    values: list[Any] = [0, 1, -1]
    for name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if name in node:
            bound = node[name]
            values += [bound] + [bound + d for d in steps] + [bound - d for d in steps]
    if "multipleOf" in node:
        step = node["multipleOf"]
        values += [step, step * 2, step * 1.5, step / 2]
    if not integer:
        values += [0.5, 1.5]
    return [int(v) if integer and float(v).is_integer() else v for v in values]


def _strings(node: Node) -> list[Any]:
    values: list[Any] = ["", "x"]
    values += _FORMATS.get(str(node.get("format")), [])
    if "pattern" in node:
        for sample in samples(str(node["pattern"])):
            values += [sample, sample + "x", "x" + sample, sample[:-1]]
    for name in ("minLength", "maxLength"):
        if name in node:
            length = int(node[name])
            values += ["x" * n for n in (length - 1, length, length + 1) if n >= 0]
    return values
