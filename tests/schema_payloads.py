"""Hypothesis strategies for whole kpis_v7 payloads, driven by a schema document.

The generator reads the schema (any 7.x release or the current one) instead of a hand-written
shape, so the same strategy produces 7.0.0 payloads from the frozen 7.0.0 release and 7.1.0
payloads from 7.1.0. It covers the keywords the kpis_v7 schemas use: ``$ref``, ``anyOf``, type
lists, ``enum``, ``minimum`` / ``maximum``, ``integer``, the ``ts`` date-time, the version pattern,
closed objects with optional members, and ``nulls``, which is derived from the generated leaves
(exactly the null leaves, each with a reason) as a writer of that version would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from kpi_contract.schema import version_of

REASONS = ("missing", "invalid", "out_of_range")
_TS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda moment: moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"))


def payloads(schema: dict[str, Any], *, optional: str = "maybe") -> st.SearchStrategy[Any]:
    """Payloads valid under ``schema``; ``optional`` is ``maybe`` (each optional member present
    or not), ``always`` (a writer of that version: every key present) or ``never``."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for name, sub in schema["properties"].items():
            if name == "nulls":
                continue
            if not _include(draw, name, schema, optional):
                continue
            if name == "schema_version":
                doc[name] = version_of(schema)
            elif name == "ts":
                doc[name] = draw(_TS)
            else:
                doc[name] = draw(_value(schema, sub, optional))
        doc["nulls"] = {path: draw(st.sampled_from(REASONS))
                        for path in _null_paths(doc, _nulls_order(schema))}
        return doc

    return build()


def _include(draw: st.DrawFn, name: str, node: dict[str, Any], optional: str) -> bool:
    if name in node.get("required", ()):
        return True
    if optional == "maybe":
        return draw(st.booleans())
    return optional == "always"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = schema
        for token in node["$ref"].lstrip("#/").split("/"):
            target = target[token]
        node = target
    return node


def _value(schema: dict[str, Any], node: dict[str, Any], optional: str) -> st.SearchStrategy[Any]:
    node = _resolve(schema, node)
    if "anyOf" in node:
        return st.one_of(*(_value(schema, branch, optional) for branch in node["anyOf"]))
    if "enum" in node:
        return st.sampled_from(node["enum"])
    types = node["type"] if isinstance(node.get("type"), list) else [node.get("type")]
    options: list[st.SearchStrategy[Any]] = []
    for kind in types:
        if kind == "null":
            options.append(st.none())
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "number":
            options.append(st.floats(node.get("minimum"), node.get("maximum"), allow_nan=False,
                                     allow_infinity=False).map(lambda x: x + 0.0))
        elif kind == "integer":
            options.append(st.integers(node.get("minimum"), node.get("maximum")))
        elif kind == "object":
            options.append(_object(schema, node, optional))
        else:
            raise NotImplementedError(f"no generator for {kind!r}")
    return st.one_of(*options)


def _object(schema: dict[str, Any], node: dict[str, Any], optional: str
            ) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        return {
            name: draw(_value(schema, sub, optional))
            for name, sub in node["properties"].items()
            if _include(draw, name, node, optional)
        }

    return build()


def _nulls_order(schema: dict[str, Any]) -> list[str]:
    names: list[str] = _resolve(schema, schema["properties"]["nulls"])["propertyNames"]["enum"]
    return names


def _null_paths(doc: dict[str, Any], order: list[str]) -> list[str]:
    """The dotted paths of the null leaves present in ``doc`` (dd_state alone when null)."""
    found = []
    for path in order:
        parent: Any = doc
        *parents, last = path.split(".")
        for part in parents:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and last in parent and parent[last] is None:
            found.append(path)
    return found
