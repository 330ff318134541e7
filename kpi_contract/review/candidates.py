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
_ARRAY_SHAPES = frozenset({"prefixItems", "items", "contains", "minItems"})
_DEPTH = 12
_MINE_DEPTH = 2
_LONGEST = 8
LIMIT = 160
"""At most this many candidate values per payload place."""


def instance(node: Node, depth: int = 0) -> Any:
    """A value the schema should accept (best effort; None when nothing obvious fits)."""
    if depth > _DEPTH or is_false(node):
        return None
    if isinstance(node.get("enum"), list) and node["enum"]:
        values = node["enum"]
        return next((v for v in values if v is not None), values[0])
    if isinstance(node.get("anyOf"), list) and node["anyOf"]:
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        return instance({**rest, **node["anyOf"][0]}, depth + 1)
    if "type" not in node:
        if "properties" in node or "required" in node:
            return _typed(node, "object", depth)
        return _typed(node, "array", depth) if set(node) & _ARRAY_SHAPES else "x"
    types = types_of(node)
    for name in _PREFERENCE:
        if name in types:
            return _typed(node, name, depth)
    return None


def item_schema(node: Node, index: int) -> Node:
    """The schema of item ``index`` of an array under ``node``: its ``prefixItems`` entry, else
    ``items``."""
    prefix = node.get("prefixItems", [])
    if index < len(prefix):
        found: Node = prefix[index]
        return found
    rest: Node = node.get("items", {})
    return rest


def _typed(node: Node, name: str, depth: int) -> Any:
    if name == "object":
        out = {k: instance(v, depth + 1) for k, v in node.get("properties", {}).items()}
        out.update({k: 0 for k in node.get("required", []) if k not in out})
        return out
    if name == "array":
        length = max(int(node.get("minItems", 0)), len(node.get("prefixItems", [])))
        made = [instance(item_schema(node, i), depth + 1) for i in range(length)]
        if "contains" in node:
            wanted = int(node.get("minContains", 1))
            made += [instance(node["contains"], depth + 1)] * max(wanted - len(made), 0)
        return made
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


def candidates(node: Node, depth: int = 0) -> list[Any]:
    """Distinct values around what ``node`` accepts: in bounds, on them, and just outside.

    Scalars come from the node's own keywords and from the sub-schemas of its combinators
    (``anyOf``, ``allOf``, ``oneOf``, ``not``, ``if``/``then``/``else``), arrays from its
    ``prefixItems``, ``items``, ``contains`` counts and length bounds, objects from its members.
    At most :data:`LIMIT` values.
    """
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
        out += _arrays(node, depth)
    if "object" in types:
        out += _objects(node, depth)
    if depth < _MINE_DEPTH:
        for sub in combined(node):
            out += candidates(sub, depth + 1)[:12]
    out += _ANY_TYPE
    seen: dict[str, Any] = {}
    for value in out:
        seen.setdefault(key(value), value)
    return list(seen.values())[:LIMIT]


def combined(node: Node) -> list[Node]:
    """The sub-schemas of a node's combinators, which decide validity at the node itself
    (``anyOf``/``allOf``/``oneOf`` branches, ``not``, ``if``/``then``/``else``,
    ``dependentSchemas`` entries)."""
    found: list[Node] = []
    for name in ("anyOf", "allOf", "oneOf"):
        found += [b for b in node.get(name, []) if isinstance(b, dict)]
    for name in ("not", "if", "then", "else"):
        if isinstance(node.get(name), dict):
            found.append(node[name])
    found += [s for s in node.get("dependentSchemas", {}).values() if isinstance(s, dict)]
    return found


def _arrays(node: Node, depth: int) -> list[Any]:
    """Arrays by shape: empty, each prefix position varied, ``contains`` counts, lengths."""
    if depth >= _MINE_DEPTH:
        return [[], [instance(item_schema(node, 0))]]
    prefix = node.get("prefixItems", [])
    base = [instance(item_schema(node, i)) for i in range(len(prefix))]
    tail = instance(node.get("items", {}))
    out: list[Any] = [[], base, [*base, tail], [*base, tail, tail]]
    for index in range(len(prefix) + 1):
        for value in candidates(item_schema(node, index), depth + 1)[:6]:
            varied = [*base, tail][: index + 1]
            varied[index] = value
            out.append(varied)
    if "contains" in node:
        hits = candidates(node["contains"], depth + 1)[:3]
        low = int(node.get("minContains", 1))
        high = node.get("maxContains")
        counts = {0, 1, 2, low - 1, low, low + 1}
        if isinstance(high, int):
            counts |= {high, high + 1}
        for hit in hits:
            out += [[*base, *[hit] * n] for n in sorted(counts) if 0 <= n <= _LONGEST]
            out += [[*base, *[hit] * n, miss] for n in (1, low) for miss in ("x", 0, None)
                    if 0 <= n <= _LONGEST]
    for name in ("minItems", "maxItems"):
        if isinstance(node.get(name), int):
            length = int(node[name])
            out += [[*base, *[tail] * max(n - len(base), 0)][:n]
                    for n in (length - 1, length, length + 1) if 0 <= n <= _LONGEST]
    if node.get("uniqueItems"):
        out.append([tail, tail])
    return out


def _objects(node: Node, depth: int) -> list[Any]:
    """Objects by shape: empty, the generated instance, each member varied or dropped, each
    key a ``dependentSchemas``/``dependentRequired`` entry or a pattern names added."""
    made = instance(node)
    base = made if isinstance(made, dict) else {}
    out: list[Any] = [{}, base]
    if depth >= _MINE_DEPTH:
        return out
    members = node.get("properties", {})
    for name, sub in members.items():
        out.append({k: v for k, v in base.items() if k != name})
        out += [{**base, name: value} for value in candidates(sub, depth + 1)[:4]]
    for name in [*node.get("dependentSchemas", {}), *node.get("dependentRequired", {})]:
        out += [{**base, name: 0}, {name: 0}]
    for name, names in node.get("dependentRequired", {}).items():
        out.append({**base, **dict.fromkeys(names, 0), name: base.get(name, 0)})
    for name, sub in node.get("dependentSchemas", {}).items():
        made = instance(sub)
        if isinstance(made, dict):
            out.append({**base, **made, name: base.get(name, 0)})
    for pattern, sub in node.get("patternProperties", {}).items():
        for name in [n for n in samples(str(pattern)) if n][:2]:
            out += [{**base, name: value} for value in candidates(sub, depth + 1)[:3]]
    return out


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
