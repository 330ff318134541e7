"""The normal form of a schema: equivalent spellings become one spelling.

The review diffs normal forms, so a refactor that keeps the meaning reports no change:

- local ``$ref`` is inlined (a sibling's annotations win over the target's; a cycle becomes a
  marker instead of being unrolled);
- ``const`` becomes a one-value ``enum``; an ``enum`` keeps only the values the rest of its schema
  admits, and its ``type`` is derived from those values;
- ``type`` is a sorted list (``integer`` dropped beside ``number``; all types means no ``type``);
- ``allOf`` branches and ``anyOf`` / ``oneOf`` branches over disjoint types merge into one schema
  when their keywords cannot interact (``anyOf [{type: number}, {type: null}]`` is
  ``type [null, number]``); what cannot be merged stays, branches sorted;
- keywords that cannot apply to the admitted types, and keywords at their default, are dropped;
- ``required`` and ``enum`` are sorted sets, integral floats are ints.

The result is itself a valid 2020-12 schema without references.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from kpi_contract.review.canonical import canon, json_type, key, same, unique_sorted
from kpi_contract.review.keywords import (
    ALL_TYPES,
    FALSE,
    KEYWORD_GROUP,
    RECURSIVE,
    SCHEMA_LISTS,
    SCHEMA_MAPS,
    SCHEMA_ONE,
    SHADOWED,
    TYPE_KEYWORDS,
    UNEVALUATED,
    Node,
    annotation_part,
    assertion_part,
    base_type,
)
from kpi_contract.review.paths import pointer, pointer_tokens

_DEFAULTS: dict[str, Any] = {
    "additionalProperties": {}, "items": {}, "propertyNames": {}, "unevaluatedItems": {},
    "unevaluatedProperties": {}, "properties": {}, "patternProperties": {},
    "dependentSchemas": {}, "dependentRequired": {}, "required": [], "minLength": 0,
    "minItems": 0, "minProperties": 0, "uniqueItems": False, "allOf": [],
}
_CONTAINERS = frozenset({"$defs", "definitions"})
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class UnsupportedSchemaError(Exception):
    """The schema uses something the review cannot normalise (a remote ``$ref``, an anchor)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where or '/'}: {message}")


def normalize(document: Any) -> Node:
    """The normal form of a whole schema document (its root ``$id`` left out).

    ``$schema`` naming draft 2020-12 is dropped too: it is the only dialect the review reads, so
    saying it or not means the same.
    """
    node = _Normalizer(document).node(document, [])
    node.pop("$id", None)
    if node.get("$schema") == DIALECT:
        del node["$schema"]
    return node


class _Normalizer:
    def __init__(self, document: Any) -> None:
        self.document = document
        declared = document.get("$id") if isinstance(document, dict) else None
        self.base = declared.split("#")[0] if isinstance(declared, str) else None
        self.resolving: list[str] = []

    def node(self, schema: Any, where: list[str]) -> Node:
        if schema is True:
            return {}
        if schema is False:
            return dict(FALSE)
        if not isinstance(schema, dict):
            raise UnsupportedSchemaError(pointer(where), "a schema must be an object or boolean")
        own = {
            k: self.keyword(k, v, [*where, k])
            for k, v in schema.items()
            if k not in _CONTAINERS and k != "$ref"
        }
        node = canonical_node(own)
        ref = schema.get("$ref")
        if ref is None:
            return node
        target = self.resolve(ref, [*where, "$ref"])
        merged = conjoin(node, target)
        if merged is None:
            merged = {**node, "allOf": [*node.get("allOf", []), target]}
        return canonical_node(merged)

    def keyword(self, name: str, value: Any, where: list[str]) -> Any:
        if name in SCHEMA_MAPS and isinstance(value, dict):
            return {k: self.node(v, [*where, k]) for k, v in value.items()}
        if name in SCHEMA_ONE:
            return self.node(value, where)
        if name in SCHEMA_LISTS and isinstance(value, list):
            return [self.node(v, [*where, str(i)]) for i, v in enumerate(value)]
        return canon(value)

    def resolve(self, ref: Any, where: list[str]) -> Node:
        if not isinstance(ref, str):
            raise UnsupportedSchemaError(pointer(where), "$ref must be a string")
        if ref.startswith("#"):
            fragment = ref[1:]
        elif self.base is not None and ref.split("#")[0] == self.base:
            fragment = ref.partition("#")[2]
        else:
            raise UnsupportedSchemaError(
                pointer(where), f"$ref {ref!r} does not point into this document"
            )
        fragment = urllib.parse.unquote(fragment)
        try:
            tokens = pointer_tokens(fragment)
        except ValueError:
            raise UnsupportedSchemaError(
                pointer(where), f"$ref {ref!r}: only JSON-pointer fragments are supported"
            ) from None
        target: Any = self.document
        for token in tokens:
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                raise UnsupportedSchemaError(pointer(where), f"$ref {ref!r} points nowhere")
        if fragment in self.resolving:
            return {RECURSIVE: fragment}
        self.resolving.append(fragment)
        try:
            return self.node(target, tokens)
        finally:
            self.resolving.pop()


def canonical_node(node: Node) -> Node:
    """Canonicalise one node whose sub-schemas are already in normal form."""
    node = dict(node)
    if "const" in node:
        const = node.pop("const")
        node["enum"] = [v for v in node.get("enum", [const]) if same(v, const)]
    if "type" in node:
        node = _canonical_type(node)
    for name, default in _DEFAULTS.items():
        if name in node and same(node[name], default):
            del node[name]
    if isinstance(node.get("required"), list):
        node["required"] = sorted(set(node["required"]))
    node = _merge_all_of(node)
    if "oneOf" in node and "anyOf" not in node and _disjoint(node["oneOf"]) is not None:
        node["anyOf"] = node.pop("oneOf")
    node = _merge_any_of(node)
    if "enum" in node and isinstance(node["enum"], list):
        node = _enum_form(node)
    elif "type" in node:
        node = _prune(node)
    for name in ("allOf", "anyOf", "oneOf"):
        if name in node:
            node[name] = unique_sorted(node[name])
    return dict(sorted(node.items()))


def conjoin(primary: Node, other: Node) -> Node | None:
    """``primary`` and ``other`` as one node, or None when their keywords would interact.

    ``primary``'s annotations win; the other's conflicting annotations are kept as shadowed.
    """
    left, right = set(assertion_part(primary)), set(assertion_part(other))
    if any(not same(primary[k], other[k]) for k in left & right) or (left | right) & UNEVALUATED:
        return None
    shapes = {"properties", "patternProperties", "additionalProperties"}
    if ("additionalProperties" in left and right & shapes) or (
        "additionalProperties" in right and left & shapes
    ):
        return None
    merged = {**assertion_part(other), **assertion_part(primary)}
    merged.update(merge_annotations(primary, other))
    return merged


def merge_annotations(primary: Node, other: Node) -> Node:
    """The union of two nodes' annotations; ``primary`` wins, conflicts become shadowed."""
    out = {k: v for k, v in annotation_part(other).items() if k != SHADOWED}
    shadow: dict[str, list[Any]] = {}
    for source in (other, primary):
        for name, values in source.get(SHADOWED, {}).items():
            shadow.setdefault(name, []).extend(values)
    for name, value in annotation_part(primary).items():
        if name == SHADOWED:
            continue
        if name in out and not same(out[name], value):
            shadow.setdefault(name, []).append(out[name])
        out[name] = value
    if shadow:
        out[SHADOWED] = {k: unique_sorted(v) for k, v in sorted(shadow.items())}
    return out


def _canonical_type(node: Node) -> Node:
    declared = node["type"]
    types = {declared} if isinstance(declared, str) else set(declared)
    if "number" in types:
        types.discard("integer")
    if {base_type(t) for t in types} >= ALL_TYPES:
        del node["type"]
    else:
        node["type"] = sorted(types)
    return node


def _merge_all_of(node: Node) -> Node:
    branches = node.pop("allOf", None)
    if not isinstance(branches, list):
        return node
    rest = []
    for branch in branches:
        merged = conjoin(node, branch)
        if merged is None:
            rest.append(branch)
        else:
            node = merged
    if rest:
        node["allOf"] = rest
    return node


def _merge_any_of(node: Node) -> Node:
    branches = node.get("anyOf")
    if not isinstance(branches, list) or not branches:
        return node
    outer = {k: v for k, v in node.items() if k != "anyOf"}
    union = branches[0] if len(branches) == 1 else _union(branches)
    if union is None or "type" in outer or "enum" in outer:
        return node
    merged = conjoin(outer, canonical_node(union))
    return node if merged is None else merged


def _disjoint(branches: list[Node]) -> set[str] | None:
    """The union of the branches' types when every branch declares types no other one has."""
    seen: set[str] = set()
    for branch in branches:
        if "type" not in branch:
            return None
        mine = {base_type(t) for t in branch["type"]}
        if mine & seen:
            return None
        seen |= mine
    return seen


def _union(branches: list[Node]) -> Node | None:
    """``anyOf`` over type-disjoint branches whose keywords only apply to their own types."""
    if _disjoint(branches) is None:
        return None
    merged: Node = {}
    values: list[Any] = []
    open_branch = False
    for branch in branches:
        types = {base_type(t) for t in branch["type"]}
        for name in assertion_part(branch):
            if name not in {"type", "enum"} and KEYWORD_GROUP.get(name) not in types:
                return None
            if name != "type":
                merged[name] = branch[name]
        if "enum" in branch:
            values.extend(branch["enum"])
        elif types <= {"null", "boolean"}:
            values.extend([None] if "null" in types else [])
            values.extend([True, False] if "boolean" in types else [])
        else:
            open_branch = True
    enumerated = any("enum" in b for b in branches)
    if enumerated and open_branch:
        return None
    merged.pop("enum", None)
    if enumerated:
        merged["enum"] = values
    merged["type"] = sorted({t for b in branches for t in b["type"]})
    notes: Node = {}
    for branch in reversed(branches):
        notes = merge_annotations(branch, notes)
    merged.update(notes)
    return merged


def _enum_form(node: Node) -> Node:
    rest = {k: v for k, v in assertion_part(node).items() if k != "enum"}
    values = node["enum"]
    if rest:
        values = [v for v in values if accepts(rest, v)]
    out = annotation_part(node)
    if not values:
        out.update(FALSE)
        return out
    kept = unique_sorted(values)
    types = sorted({json_type(v) for v in kept})
    out["type"] = types
    if not _whole_domain(kept, types):
        out["enum"] = kept
    return out


def _whole_domain(values: list[Any], types: list[str]) -> bool:
    """The values are every value of their types (``[true, false, null]`` is just a type)."""
    domain: dict[str, list[Any]] = {"null": [None], "boolean": [False, True]}
    if not set(types) <= set(domain):
        return False
    return same(sorted(values, key=key), unique_sorted([v for t in types for v in domain[t]]))


def _prune(node: Node) -> Node:
    allowed = {base_type(t) for t in node["type"]}
    for group, names in TYPE_KEYWORDS.items():
        if group not in allowed:
            for name in names:
                node.pop(name, None)
    return node


def accepts(node: Node, value: Any) -> bool:
    """Whether a normal-form node accepts a value (python-jsonschema, formats checked)."""
    return bool(Draft202012Validator(node, format_checker=FormatChecker()).is_valid(value))


def is_false(node: Node) -> bool:
    """The node rejects everything (``false``, ``{"not": {}}``, an empty enum)."""
    return assertion_part(node) == FALSE
