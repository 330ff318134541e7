"""Which JSON Schema 2020-12 keywords are annotations, and which apply to which instance types."""

from __future__ import annotations

from typing import Any

Node = dict[str, Any]
"""A schema in normal form (always an object; ``false`` is ``{"not": {}}``)."""

ANNOTATIONS = frozenset({
    "title", "description", "examples", "$comment", "default", "deprecated", "readOnly",
    "writeOnly", "contentMediaType", "contentEncoding",
})
UNIT = "x-unit"
SHADOWED = "x-review-shadowed"
"""Annotations hidden behind a sibling of ``$ref`` or a parent of merged ``anyOf`` branches."""
RECURSIVE = "x-review-recursive-ref"
"""Stands for a ``$ref`` back into a schema that is being resolved (a cycle)."""

TYPE_KEYWORDS: dict[str, frozenset[str]] = {
    "number": frozenset({
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    }),
    "string": frozenset({"minLength", "maxLength", "pattern", "format"}),
    "object": frozenset({
        "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
        "minProperties", "maxProperties", "dependentRequired", "dependentSchemas",
        "unevaluatedProperties",
    }),
    "array": frozenset({
        "items", "prefixItems", "contains", "minContains", "maxContains", "minItems", "maxItems",
        "uniqueItems", "unevaluatedItems",
    }),
}
KEYWORD_GROUP = {kw: group for group, kws in TYPE_KEYWORDS.items() for kw in kws}
ALL_TYPES = frozenset({"array", "boolean", "null", "number", "object", "string"})
"""Every JSON type (``integer`` is part of ``number``)."""

SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
SCHEMA_ONE = frozenset({
    "additionalProperties", "propertyNames", "items", "contains", "not", "if", "then", "else",
    "unevaluatedItems", "unevaluatedProperties", "contentSchema",
})
SCHEMA_LISTS = frozenset({"prefixItems", "allOf", "anyOf", "oneOf"})
UNEVALUATED = frozenset({"unevaluatedItems", "unevaluatedProperties"})
FALSE: Node = {"not": {}}
IN_PLACE = frozenset({"allOf", "anyOf", "oneOf", "if", "then", "else", "dependentSchemas",
                      RECURSIVE})
"""In-place applicators whose sub-schemas' evaluated properties and items ``unevaluated*`` sees
(``not`` is not one: its annotations are always dropped)."""
REACHING = IN_PLACE - {RECURSIVE}
"""The keywords whose sub-schemas an ``unevaluated*`` of their object sees (with ``$ref``,
which the normaliser resolves into one more ``allOf`` branch)."""
EVALUATES: dict[str, frozenset[str]] = {
    "unevaluatedItems": frozenset({"prefixItems", "items", "contains", "unevaluatedItems", "if"}),
    "unevaluatedProperties": frozenset({
        "properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "if",
    }),
}
"""For each ``unevaluated*`` keyword, the keywords that mark items (or properties) as evaluated
for it, besides the in-place applicators whose sub-schemas may hold them (``if`` marks what its
own sub-schema evaluates when it passes, with or without ``then``/``else``)."""
GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"contains", "minContains", "maxContains"}),
    frozenset({"if", "then", "else"}),
    frozenset({"prefixItems", "items"}),
    frozenset({"properties", "patternProperties", "additionalProperties"}),
)
"""Keywords that act together inside one schema object: ``minContains`` counts what ``contains``
matches, ``then``/``else`` follow ``if``, ``items`` starts after ``prefixItems``, and
``additionalProperties`` applies to what ``properties``/``patternProperties`` leave. (The
``unevaluated*`` keywords depend on everything in their object and are never merged.)"""


def is_annotation(keyword: str) -> bool:
    """Annotation keywords (and ``x-`` extensions, the unit among them) never reject a payload."""
    return keyword in ANNOTATIONS or (keyword.startswith("x-") and keyword != RECURSIVE)


def assertion_part(node: Node) -> Node:
    """The node without its annotations: what decides validity."""
    return {k: v for k, v in node.items() if not is_annotation(k)}


def annotation_part(node: Node) -> Node:
    """The node's annotations only."""
    return {k: v for k, v in node.items() if is_annotation(k)}


def base_type(name: str) -> str:
    """``integer`` counts as ``number``; every other type name is itself."""
    return "number" if name == "integer" else name


def types_of(node: Node) -> frozenset[str]:
    """The JSON types a node admits at most (``integer`` reported as ``integer``)."""
    if assertion_part(node) == FALSE:
        return frozenset()
    declared = node.get("type")
    if declared is None:
        return ALL_TYPES
    return frozenset([declared] if isinstance(declared, str) else declared)


def admits(types: frozenset[str], name: str) -> bool:
    """Whether a type set admits (some) values of type ``name``."""
    if name == "integer":
        return bool(types & {"integer", "number"})
    return name in types or (name == "number" and "integer" in types)


def covers(types: frozenset[str], name: str) -> bool:
    """Whether a type set admits every value of type ``name``."""
    return name in types or (name == "integer" and "number" in types)
