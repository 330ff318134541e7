"""The review on the shapes of issue 13, table-driven: one row per example pair of the issue and
one variant of each, on small standalone schemas. Section 10 holds the shapes a tester found
after it (rule W1: keywords an enclosing ``unevaluated*`` sees through ``allOf``, ``anyOf``,
``$ref``, ``if``/``then``/``else`` or ``dependentSchemas``), each with a variant of ours.

Each row pins the findings (rule id, normal-form pointer, the directions a checked witness
demonstrates and the directions left unproven), the required bump, that a patch bump passes
exactly when nothing above a patch is required (so every silent-pass shape of the issue now fails
a patch bump), that no sampled payload contradicts the findings, and that every witness is valid
under one version and rejected by the other according to python-jsonschema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from kpi_contract.review import Bump, Direction, Review, review_pair, schema_doc

Schema = dict[str, Any]
READERS, WRITERS = Direction.READERS, Direction.WRITERS


def versioned(schema: Schema, version: str) -> Schema:
    """The schema with a kpis_v7 ``$id`` naming ``version`` (so only the findings count)."""
    return {"$id": f"urn:kpi-contract:kpis_v7:{version}", **schema}


def review(old: Schema, new: Schema) -> Review:
    """Review ``old`` as 7.0.0 against ``new`` as 7.0.1 (a declared patch bump)."""
    return review_pair(schema_doc(versioned(old, "7.0.0"), "old.json"),
                       schema_doc(versioned(new, "7.0.1"), "new.json"))


@dataclass(frozen=True)
class Expect:
    """One expected finding: rule, pointer, demonstrated and unproven directions."""

    rule: str
    pointer: str
    shown: frozenset[Direction] = frozenset()
    unproven: frozenset[Direction] = frozenset()


def expect(rule: str, pointer: str, shown: str = "", unproven: str = "") -> Expect:
    """``shown`` / ``unproven`` are ``""``, ``"readers"``, ``"writers"`` or ``"both"``."""
    return Expect(rule, pointer, _directions(shown), _directions(unproven))


def _directions(text: str) -> frozenset[Direction]:
    if text == "both":
        return frozenset(Direction)
    return frozenset({Direction(text)}) if text else frozenset()


@dataclass(frozen=True)
class Case:
    """One row: a kind of the issue, a schema pair, what the review must say."""

    kind: str
    name: str
    old: Schema
    new: Schema
    findings: tuple[Expect, ...]
    bump: Bump
    witness: tuple[Direction, Callable[[Any], bool]] | None = None
    """The issue's witness: its direction and what the payload must hold."""


ARRAY = {"type": "array"}
CASES = [
    # --- 1. silent passes: interacting keywords split across allOf branches or $ref siblings ---
    Case("silent pass", "issue: contains and minContains in two allOf branches",
         {**ARRAY, "allOf": [{"contains": {"type": "string"}}, {"minContains": 2}]},
         {**ARRAY, "contains": {"type": "string"}, "minContains": 2},
         (expect("bound.tightened", "/minContains", "writers"),), Bump.MAJOR,
         witness=(WRITERS, lambda w: w == ["x"])),
    Case("silent pass", "variant: minContains beside a $ref to contains",
         {**ARRAY, "$defs": {"C": {"contains": {"type": "integer"}}}, "$ref": "#/$defs/C",
          "minContains": 3},
         {**ARRAY, "contains": {"type": "integer"}, "minContains": 3},
         (expect("bound.tightened", "/minContains", "writers"),), Bump.MAJOR),
    Case("silent pass", "issue: maxContains in another allOf branch",
         {**ARRAY, "allOf": [{"contains": {"type": "string"}}, {"maxContains": 1}]},
         {**ARRAY, "contains": {"type": "string"}, "maxContains": 1},
         (expect("bound.tightened", "/maxContains", "writers"),), Bump.MAJOR),
    Case("silent pass", "variant: maxContains and minContains split three ways",
         {**ARRAY, "allOf": [{"contains": {"enum": [1, 2]}}, {"maxContains": 2},
                             {"minContains": 2}]},
         {**ARRAY, "contains": {"enum": [1, 2]}, "maxContains": 2, "minContains": 2},
         (expect("bound.tightened", "/minContains", "writers"),
          expect("bound.tightened", "/maxContains", "writers")), Bump.MAJOR),
    Case("silent pass", "issue: if in one allOf branch, then/else in another",
         {"type": "string", "allOf": [{"if": {"maxLength": 1}},
                                      {"then": {"pattern": "^a"}, "else": {"minLength": 3}}]},
         {"type": "string", "if": {"maxLength": 1}, "then": {"pattern": "^a"},
          "else": {"minLength": 3}},
         (expect("unclassified", "/if", "writers", "readers"),), Bump.MAJOR),
    Case("silent pass", "variant: then beside a $ref whose target holds if",
         {"$defs": {"Cond": {"if": {"type": "object", "required": ["mode"]}}},
          "type": "object", "$ref": "#/$defs/Cond", "then": {"required": ["since"]}},
         {"type": "object", "if": {"type": "object", "required": ["mode"]},
          "then": {"required": ["since"]}},
         (expect("unclassified", "/if", "writers", "readers"),), Bump.MAJOR),
    Case("silent pass", "issue: prefixItems and items in two allOf branches",
         {**ARRAY, "allOf": [{"prefixItems": [{"type": "string"}]},
                             {"items": {"type": "number"}}]},
         {**ARRAY, "prefixItems": [{"type": "string"}], "items": {"type": "number"}},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR),
    Case("silent pass", "variant: items beside a $ref to prefixItems",
         {"$defs": {"Pair": {"prefixItems": [{"type": "string"}, {"type": "integer"}]}},
          **ARRAY, "$ref": "#/$defs/Pair", "items": {"type": "boolean"}},
         {**ARRAY, "prefixItems": [{"type": "string"}, {"type": "integer"}],
          "items": {"type": "boolean"}},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR),
    Case("silent pass", "issue: a type list naming every type but number",
         {"type": ["array", "boolean", "integer", "null", "object", "string"]}, {},
         (expect("type.widened", "/type", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: w == 0.5)),
    Case("silent pass", "variant: the same list on a member, the member narrowed to it",
         {"type": "object", "properties": {"v": {}}},
         {"type": "object", "properties": {"v": {"type": ["string", "integer", "null", "array",
                                                         "object", "boolean"]}}},
         (expect("type.narrowed", "/properties/v/type", "writers"),), Bump.MAJOR),
    # --- 2. unevaluatedProperties ---------------------------------------------------------------
    Case("unevaluatedProperties", "issue: a property added beside unevaluatedProperties false",
         {"type": "object", "properties": {"a": {"type": "string"}},
          "unevaluatedProperties": False},
         {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}},
          "unevaluatedProperties": False},
         (expect("property.added.optional", "/properties/b", "readers"),), Bump.MINOR,
         witness=(READERS, lambda w: w.get("b") == 0)),
    Case("unevaluatedProperties", "variant: beside allOf, only unevaluatedProperties relaxed",
         {"type": "object", "allOf": [{"properties": {"mode": {"enum": ["live", "replay"]}}}],
          "unevaluatedProperties": False},
         {"type": "object", "allOf": [{"properties": {"mode": {"enum": ["live", "replay"]}}}],
          "unevaluatedProperties": {"type": "integer"}},
         (expect("unevaluated_properties.opened", "/unevaluatedProperties", "readers"),),
         Bump.MAJOR),
    Case("unevaluatedProperties", "variant: beside anyOf, unevaluatedProperties closed",
         {"type": "object", "anyOf": [{"properties": {"mode": {"type": "string"}}},
                                      {"required": ["run"]}]},
         {"type": "object", "anyOf": [{"properties": {"mode": {"type": "string"}}},
                                      {"required": ["run"]}],
          "unevaluatedProperties": False},
         (expect("unevaluated_properties.closed", "/unevaluatedProperties", "writers"),),
         Bump.MAJOR, witness=(WRITERS, lambda w: set(w) - {"mode"} != set())),
    Case("unevaluatedProperties", "variant: unevaluatedProperties added beside a merged allOf",
         {"type": "object", "allOf": [{"properties": {"mode": {"type": "string"}}}]},
         {"type": "object", "allOf": [{"properties": {"mode": {"type": "string"}}}],
          "unevaluatedProperties": False},
         (expect("unclassified.node", "", "writers", "readers"),), Bump.MAJOR),
    Case("unevaluatedProperties", "variant: a member added beside allOf and unevaluatedProperties",
         {"type": "object", "allOf": [{"properties": {"mode": {"enum": ["live", "replay"]}}}],
          "unevaluatedProperties": False},
         {"type": "object", "allOf": [{"properties": {"mode": {"enum": ["live", "replay"]}}}],
          "properties": {"samples": {"type": "integer", "minimum": 0}},
          "unevaluatedProperties": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR),
    # --- 3. patternProperties ------------------------------------------------------------------
    Case("patternProperties", "issue: a property added under a covering pattern",
         {"type": "object", "patternProperties": {"^x": {"type": "string"}},
          "additionalProperties": False},
         {"type": "object", "properties": {"xa": {"type": "number"}},
          "patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False},
         (expect("property.added.optional", "/properties/xa", "writers"),), Bump.MAJOR,
         witness=(WRITERS, lambda w: isinstance(w.get("xa"), str))),
    Case("patternProperties", "issue: a property removed under a covering pattern",
         {"type": "object", "properties": {"xa": {"type": "string", "minLength": 2}},
          "patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False},
         {"type": "object", "patternProperties": {"^x": {"type": "string"}},
          "additionalProperties": False},
         (expect("property.removed.optional", "/properties/xa", "readers"),), Bump.MAJOR),
    Case("patternProperties", "variant: a pattern entry added to a closed object",
         {"type": "object", "properties": {"nav": {"type": "number"}},
          "additionalProperties": False},
         {"type": "object", "properties": {"nav": {"type": "number"}},
          "patternProperties": {"^n_[a-z]+$": {"type": "integer", "minimum": 0}},
          "additionalProperties": False},
         (expect("pattern_property.added", "/patternProperties/^n_[a-z]+$", "readers"),),
         Bump.MAJOR),
    Case("patternProperties", "variant: a pattern entry removed from an open object",
         {"type": "object", "patternProperties": {"_bps$": {"type": "number"}}},
         {"type": "object"},
         (expect("pattern_property.removed", "/patternProperties/_bps$", "readers"),),
         Bump.MAJOR),
    Case("patternProperties", "variant: a pattern narrowing a named member it covers",
         {"type": "object", "properties": {"fee_bps": {"type": ["number", "null"]}},
          "additionalProperties": False},
         {"type": "object", "properties": {"fee_bps": {"type": ["number", "null"]}},
          "patternProperties": {"_bps$": {"type": "number"}}, "additionalProperties": False},
         (expect("nullable.removed", "/properties/fee_bps/type", "writers"),
          expect("pattern_property.added", "/patternProperties/_bps$", "readers")), Bump.MAJOR),
    # --- 4. prefixItems / items ----------------------------------------------------------------
    Case("prefixItems/items", "issue: the prefix shortened, the set of arrays unchanged",
         {**ARRAY, "prefixItems": [{"type": "string"}, {"type": "string"}],
          "items": {"type": "string"}},
         {**ARRAY, "items": {"type": "string"}}, (), Bump.NONE),
    Case("prefixItems/items", "variant: a prefix entry past maxItems dropped",
         {**ARRAY, "maxItems": 1, "prefixItems": [{"type": "string"}, {"type": "number"}]},
         {**ARRAY, "maxItems": 1, "prefixItems": [{"type": "string"}]}, (), Bump.NONE),
    Case("prefixItems/items", "variant: the prefix grew and narrowed its new position",
         {**ARRAY, "prefixItems": [{"type": "string"}], "items": {"type": "number"}},
         {**ARRAY, "prefixItems": [{"type": "string"}, {"type": "integer"}],
          "items": {"type": "number"}},
         (expect("type.narrowed", "/prefixItems/1/type", "writers"),), Bump.MAJOR,
         witness=(WRITERS, lambda w: len(w) > 1 and w[1] % 1 != 0)),
    Case("prefixItems/items", "variant: the items after the prefix widened",
         {**ARRAY, "prefixItems": [{"type": "string"}], "items": {"type": "number"}},
         {**ARRAY, "prefixItems": [{"type": "string"}], "items": {"type": ["number", "null"]}},
         (expect("nullable.added", "/items/type", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) > 1 and w[1] is None)),
    # --- 5. not ----------------------------------------------------------------------------------
    Case("not", "issue: not number -> not integer breaks readers only",
         {"not": {"type": "number"}}, {"not": {"type": "integer"}},
         (expect("not.changed", "/not", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: isinstance(w, float) and not w.is_integer())),
    Case("not", "variant: fewer excluded labels",
         {"type": "string", "not": {"enum": ["halted", "broken"]}},
         {"type": "string", "not": {"enum": ["halted"]}},
         (expect("not.changed", "/not", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: w == "broken")),
    Case("not", "variant: a not condition added",
         {"type": "object"}, {"type": "object", "not": {"required": ["legacy"]}},
         (expect("not.added", "/not", "writers"),), Bump.MAJOR,
         witness=(WRITERS, lambda w: "legacy" in w)),
    Case("not", "variant: a not condition removed",
         {"type": "number", "not": {"const": 0}}, {"type": "number"},
         (expect("not.removed", "/not", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: w == 0)),
    # --- 6. dependentSchemas -------------------------------------------------------------------
    Case("dependentSchemas", "issue: an entry removed breaks readers only",
         {"type": "object", "dependentSchemas": {"a": {"required": ["b"]}}},
         {"type": "object"},
         (expect("dependent_schema.removed", "/dependentSchemas/a", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: "a" in w and "b" not in w)),
    Case("dependentSchemas", "variant: an entry requires one more key",
         {"type": "object", "dependentSchemas": {"card": {"required": ["billing"]}}},
         {"type": "object", "dependentSchemas": {"card": {"required": ["billing", "cvv"]}}},
         (expect("dependent_schema.changed", "/dependentSchemas/card", "writers"),),
         Bump.MAJOR, witness=(WRITERS, lambda w: "card" in w and "cvv" not in w)),
    Case("dependentSchemas", "variant: an entry added",
         {"type": "object", "properties": {"mode": {"type": "string"}}},
         {"type": "object", "properties": {"mode": {"type": "string"}},
          "dependentSchemas": {"mode": {"properties": {"mode": {"enum": ["live", "dry_run"]}}}}},
         (expect("dependent_schema.added", "/dependentSchemas/mode", "writers"),), Bump.MAJOR),
    Case("dependentSchemas", "variant: a dependentRequired name dropped",
         {"type": "object", "dependentRequired": {"stop": ["reason", "since"]}},
         {"type": "object", "dependentRequired": {"stop": ["reason"]}},
         (expect("dependent_required.removed", "/dependentRequired/stop", "readers"),),
         Bump.MAJOR),
    # --- 7. minContains / maxContains ----------------------------------------------------------
    Case("minContains/maxContains", "issue: minContains 1 removed is no change",
         {**ARRAY, "contains": {"type": "string"}, "minContains": 1},
         {**ARRAY, "contains": {"type": "string"}}, (), Bump.NONE),
    Case("minContains/maxContains", "variant: contains with minContains 0 dropped",
         {**ARRAY, "items": {"type": "integer"}, "contains": {"minimum": 100}, "minContains": 0},
         {**ARRAY, "items": {"type": "integer"}}, (), Bump.NONE),
    Case("minContains/maxContains", "variant: maxContains relaxed",
         {**ARRAY, "contains": {"const": "halt"}, "maxContains": 1},
         {**ARRAY, "contains": {"const": "halt"}, "maxContains": 3},
         (expect("bound.relaxed", "/maxContains", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: w.count("halt") in (2, 3))),
    Case("minContains/maxContains", "variant: minContains lowered to 0 beside maxContains",
         {**ARRAY, "contains": {"type": "null"}, "minContains": 2, "maxContains": 4},
         {**ARRAY, "contains": {"type": "null"}, "minContains": 0, "maxContains": 4},
         (expect("bound.relaxed", "/minContains", "readers"),), Bump.MAJOR),
    Case("minContains/maxContains", "variant: contains widened (no maxContains)",
         {**ARRAY, "contains": {"type": "integer"}},
         {**ARRAY, "contains": {"type": "number"}},
         (expect("contains.changed", "/contains", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: any(isinstance(v, float) for v in w))),
    Case("minContains/maxContains", "variant: a contains requirement added",
         {**ARRAY, "items": {"type": ["string", "null"]}},
         {**ARRAY, "items": {"type": ["string", "null"]}, "contains": {"type": "string"}},
         (expect("contains.added", "/contains", "writers"),), Bump.MAJOR,
         witness=(WRITERS, lambda w: all(v is None for v in w))),
    Case("minContains/maxContains", "variant: a contains requirement and its count removed",
         {**ARRAY, "contains": {"const": "ok"}, "minContains": 2}, ARRAY,
         (expect("contains.removed", "/contains", "readers"),), Bump.MAJOR),
    # --- 8. containment, not equality, against additionalProperties ----------------------------
    Case("containment", "issue: a property removed into a wider additionalProperties",
         {"type": "object", "properties": {"a": {"type": "integer"}},
          "additionalProperties": {"type": "number"}},
         {"type": "object", "additionalProperties": {"type": "number"}},
         (expect("property.removed.optional", "/properties/a", "readers"),), Bump.MAJOR,
         witness=(READERS, lambda w: isinstance(w.get("a"), float))),
    Case("containment", "variant: a property added inside additionalProperties",
         {"type": "object", "additionalProperties": {"type": "number"}},
         {"type": "object", "properties": {"fee": {"type": "number", "minimum": 0}},
          "additionalProperties": {"type": "number"}},
         (expect("property.added.optional", "/properties/fee", "writers"),), Bump.MAJOR,
         witness=(WRITERS, lambda w: w.get("fee", 0) < 0)),
    Case("containment", "variant: a property removed whose schema equals additionalProperties",
         {"type": "object", "properties": {"n": {"type": "integer"}},
          "additionalProperties": {"type": "integer"}},
         {"type": "object", "additionalProperties": {"type": "integer"}},
         (expect("property.removed.optional", "/properties/n"),), Bump.MAJOR),
    # --- 9. evidence decides: no claim without a typed rule or a witness ----------------------
    Case("evidence", "issue: pattern a* added (matches every string)",
         {"type": "string"}, {"type": "string", "pattern": "a*"}, (), Bump.NONE),
    Case("evidence", "variant: a pattern whose alternative matches the empty string",
         {"type": "object", "properties": {"id": {"type": "string"}}},
         {"type": "object", "properties": {"id": {"type": "string", "pattern": "^$|[0-9]*"}}},
         (), Bump.NONE),
    Case("evidence", "issue: an unsatisfiable anyOf branch",
         {"anyOf": [{"type": "string", "minLength": 3, "maxLength": 1}, {"type": "number"}]},
         {"type": "number"}, (), Bump.NONE),
    Case("evidence", "issue: an enum emptied by a sibling type",
         {"type": "string", "anyOf": [{"enum": [1]}, {"enum": ["a"]}]}, {"enum": ["a"]},
         (), Bump.NONE),
    Case("evidence", "variant: a bound change masked by anyOf is presumed, not shown",
         {"type": "number", "maximum": 100,
          "anyOf": [{"maximum": 5}, {"minimum": 10, "maximum": 20}]},
         {"type": "number", "maximum": 50,
          "anyOf": [{"maximum": 5}, {"minimum": 10, "maximum": 20}]},
         (expect("bound.tightened", "/maximum", unproven="writers"),), Bump.MAJOR),
    Case("evidence", "variant: if/then/else changed, each direction searched",
         {"type": "integer", "if": {"minimum": 0}, "then": {"maximum": 10}},
         {"type": "integer", "if": {"minimum": 0}, "then": {"maximum": 10},
          "else": {"minimum": -5}},
         (expect("unclassified", "/if", "writers", "readers"),), Bump.MAJOR,
         witness=(WRITERS, lambda w: w < -5)),
    # --- 10. W1: what an unevaluated* sees through in-place applicators is never dropped ---------
    # (rules V9, D1, V5 and V3 used to drop these keywords although an enclosing unevaluated*
    # counts what they evaluate: three shapes passed in silence, five ended as tool errors)
    Case("W1 prefix seen", "issue: five prefix entries become six in an allOf branch",
         {**ARRAY, "allOf": [{"prefixItems": [{}] * 5}], "unevaluatedItems": False},
         {**ARRAY, "allOf": [{"prefixItems": [{}] * 6}], "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) == 6)),
    Case("W1 prefix seen", "issue: the same prefix behind a $ref",
         {**ARRAY, "$defs": {"P": {"prefixItems": [{}] * 5}}, "$ref": "#/$defs/P",
          "unevaluatedItems": False},
         {**ARRAY, "$defs": {"P": {"prefixItems": [{}] * 6}}, "$ref": "#/$defs/P",
          "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) == 6)),
    Case("W1 prefix seen", "issue: the same prefix inside then",
         {**ARRAY, "if": {"minItems": 0}, "then": {"prefixItems": [{}] * 5},
          "unevaluatedItems": False},
         {**ARRAY, "if": {"minItems": 0}, "then": {"prefixItems": [{}] * 6},
          "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),
          expect("unclassified", "/if", unproven="both")), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) == 6)),
    Case("W1 prefix seen", "variant: a member's prefix in an allOf inside else grows 2 -> 3",
         {"type": "object", "properties": {"legs": {
             **ARRAY, "if": {"maxItems": 0}, "else": {"allOf": [{"prefixItems": [{}, {}]}]},
             "unevaluatedItems": False}}},
         {"type": "object", "properties": {"legs": {
             **ARRAY, "if": {"maxItems": 0}, "else": {"allOf": [{"prefixItems": [{}, {}, {}]}]},
             "unevaluatedItems": False}}},
         (expect("unclassified.node", "/properties/legs", "readers", "writers"),
          expect("unclassified", "/properties/legs/if", unproven="both")), Bump.MAJOR,
         witness=(READERS, lambda w: len(w["legs"]) == 3)),
    Case("W1 prefix seen", "issue: one prefix entry true becomes two",
         {**ARRAY, "allOf": [{"prefixItems": [True]}], "unevaluatedItems": False},
         {**ARRAY, "allOf": [{"prefixItems": [True, True]}], "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) == 2)),
    Case("W1 prefix seen", "variant: one anyOf branch's prefix grows 1 -> 2",
         {**ARRAY, "anyOf": [{"prefixItems": [{"type": "number"}]},
                             {"prefixItems": [{"type": "string"}]}], "unevaluatedItems": False},
         {**ARRAY, "anyOf": [{"prefixItems": [{"type": "number"}]},
                             {"prefixItems": [{"type": "string"}, True]}],
          "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) == 2)),
    Case("W1 default seen", "issue: items {} added in an allOf branch",
         {**ARRAY, "allOf": [{"prefixItems": [{"type": "string"}]}], "unevaluatedItems": False},
         {**ARRAY, "allOf": [{"prefixItems": [{"type": "string"}], "items": {}}],
          "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) >= 2)),
    Case("W1 default seen", "variant: unevaluatedItems {} added in an allOf branch",
         {**ARRAY, "allOf": [{"prefixItems": [{"type": "string"}]}], "unevaluatedItems": False},
         {**ARRAY, "allOf": [{"prefixItems": [{"type": "string"}], "unevaluatedItems": {}}],
          "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) >= 2)),
    Case("W1 default seen", "issue: additionalProperties {} added in an allOf branch",
         {"type": "object", "allOf": [{"properties": {"a": {}}}],
          "unevaluatedProperties": False},
         {"type": "object", "allOf": [{"properties": {"a": {}}, "additionalProperties": {}}],
          "unevaluatedProperties": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: set(w) - {"a"} != set())),
    Case("W1 default seen", "variant: additionalProperties true added to a $ref target",
         {"type": "object", "$defs": {"Base": {"properties": {"id": {"type": "string"}}}},
          "$ref": "#/$defs/Base", "unevaluatedProperties": False},
         {"type": "object", "$defs": {"Base": {"properties": {"id": {"type": "string"}},
                                               "additionalProperties": True}},
          "$ref": "#/$defs/Base", "unevaluatedProperties": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: set(w) - {"id"} != set())),
    Case("W1 if seen", "issue: an if without then in an allOf branch changes",
         {**ARRAY, "allOf": [{"if": {"prefixItems": [{}]}}], "unevaluatedItems": False},
         {**ARRAY, "allOf": [{"if": {"prefixItems": [{}, {}]}}], "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: len(w) == 2)),
    Case("W1 if seen", "variant: an allOf branch holding only an if removed",
         {"type": "object", "properties": {"a": {}}, "allOf": [{"if": {"properties": {"b": {}}}}],
          "unevaluatedProperties": False},
         {"type": "object", "properties": {"a": {}}, "unevaluatedProperties": False},
         (expect("unclassified.node", "", "writers", "readers"),), Bump.MAJOR,
         witness=(WRITERS, lambda w: "b" in w)),
    Case("W1 if seen", "variant: an if alone under dependentSchemas names another member",
         {"type": "object", "properties": {"mode": {}},
          "dependentSchemas": {"mode": {"if": {"properties": {"since": {"type": "string"}}}}},
          "unevaluatedProperties": False},
         {"type": "object", "properties": {"mode": {}},
          "dependentSchemas": {"mode": {"if": {"properties": {"until": {"type": "string"}}}}},
          "unevaluatedProperties": False},
         (expect("unclassified.node", "", "both"),
          expect("dependent_schema.changed", "/dependentSchemas/mode", unproven="both")),
         Bump.MAJOR, witness=(WRITERS, lambda w: "mode" in w and "since" in w)),
    Case("W1 contains seen", "issue: contains with minContains 0 added in an allOf branch",
         {**ARRAY, "allOf": [{"prefixItems": [{}]}], "unevaluatedItems": False},
         {**ARRAY, "allOf": [{"prefixItems": [{}]},
                             {"contains": {"type": "string"}, "minContains": 0}],
          "unevaluatedItems": False},
         (expect("unclassified.node", "", "readers", "writers"),), Bump.MAJOR,
         witness=(READERS, lambda w: any(isinstance(v, str) for v in w[1:]))),
    Case("W1 contains seen", "variant: contains with minContains 0 narrowed inside then",
         {**ARRAY, "unevaluatedItems": {"type": "string"}, "if": {"minItems": 1},
          "then": {"contains": {"type": "number"}, "minContains": 0}},
         {**ARRAY, "unevaluatedItems": {"type": "string"}, "if": {"minItems": 1},
          "then": {"contains": {"type": "integer"}, "minContains": 0}},
         (expect("unclassified.node", "", "writers", "readers"),
          expect("unclassified", "/if", unproven="both")), Bump.MAJOR,
         witness=(WRITERS, lambda w: any(isinstance(v, float) and not v.is_integer()
                                         for v in w))),
]


def _validator(schema: Schema) -> Draft202012Validator:
    return Draft202012Validator(versioned(schema, "7.0.0"), format_checker=FormatChecker())


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}: {c.name}" for c in CASES])
def test_issue_shapes_give_their_findings_bump_and_checked_witnesses(case: Case) -> None:
    """Each shape gives exactly its findings, directions and bump; witnesses are real."""
    result = review(case.old, case.new)
    found = {Expect(f.rule, f.pointer, frozenset(f.demonstrated), frozenset(f.unproven))
             for f in result.findings}
    assert found == set(case.findings)
    assert result.required is case.bump
    assert result.tool_errors == ()
    assert result.ok is (case.bump <= Bump.PATCH)
    validators = {"old": _validator(case.old), "new": _validator(case.new)}
    for finding in result.findings:
        for witness in finding.witnesses:
            accepting, rejecting = ("new", "old") if witness.direction is READERS else (
                "old", "new")
            assert validators[accepting].is_valid(witness.payload), witness
            assert not validators[rejecting].is_valid(witness.payload), witness
        if finding.unproven:
            assert finding.tried > 0
    if case.witness is not None:
        direction, holds = case.witness
        assert any(w.direction is direction and holds(w.payload)
                   for f in result.findings for w in f.witnesses), "the issue's witness"
