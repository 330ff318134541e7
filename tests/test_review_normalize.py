"""Normal forms: equivalent spellings of a schema normalise to the same thing, others do not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from kpi_contract.review import SchemaFileError, schema_doc
from kpi_contract.review.keywords import RECURSIVE, SHADOWED
from kpi_contract.review.normalize import normalize
from tests.test_review_pairs import released, review_of

EQUIVALENT: list[tuple[str, Any, Any]] = [
    ("type string or list", {"type": "integer"}, {"type": ["integer"]}),
    ("integer inside number", {"type": ["number", "integer"]}, {"type": "number"}),
    ("const is a one-value enum", {"const": 1}, {"enum": [1.0]}),
    ("enum filtered by type", {"enum": ["a", 1], "type": "string"}, {"enum": ["a"]}),
    ("anyOf of single types", {"anyOf": [{"type": "string"}, {"type": "null"}]},
     {"type": ["null", "string"]}),
    ("disjoint oneOf with keywords", {"oneOf": [{"type": "number", "minimum": 0},
                                                {"type": "null"}]},
     {"type": ["number", "null"], "minimum": 0}),
    ("allOf of independent parts", {"allOf": [{"type": "object"}, {"required": ["a"]}]},
     {"type": "object", "required": ["a"]}),
    ("allOf repeating a keyword", {"minimum": 0, "allOf": [{"minimum": 0}]}, {"minimum": 0}),
    ("inapplicable keyword dropped", {"type": "string", "minimum": 3}, {"type": "string"}),
    ("defaults dropped", {"additionalProperties": True, "required": [], "minLength": 0}, {}),
    ("local $ref", {"$defs": {"A": {"type": "string"}}, "$ref": "#/$defs/A"},
     {"type": "string"}),
    ("$ref through definitions", {"definitions": {"A": {"type": "string"}},
                                  "properties": {"a": {"$ref": "#/definitions/A"}}},
     {"properties": {"a": {"type": "string"}}}),
    ("finite types as an enum", {"type": ["boolean", "null"]}, {"enum": [True, False, None]}),
    ("boolean schemas", {"properties": {"a": True, "b": False}},
     {"properties": {"a": {}, "b": {"not": {}}}}),
    ("required is a set", {"required": ["b", "a", "a"]}, {"required": ["a", "b"]}),
    ("the 2020-12 dialect said or not", {"$schema": "https://json-schema.org/draft/2020-12/"
                                                    "schema", "type": "object"},
     {"type": "object"}),
    ("anyOf branches are a set", {"anyOf": [{"type": "string"}, {"minimum": 1}]},
     {"anyOf": [{"minimum": 1}, {"type": "string"}]}),
    ("M2 allOf types meet", {"type": ["number", "null"], "allOf": [{"type": "integer"}]},
     {"type": "integer"}),
    ("M3 members merge key by key", {"allOf": [{"properties": {"a": {"type": "string"}}},
                                               {"properties": {"b": {"type": "null"}}}]},
     {"properties": {"a": {"type": "string"}, "b": {"type": "null"}}}),
    ("U2 unevaluatedProperties alone is additionalProperties",
     {"type": "object", "properties": {"a": {}}, "unevaluatedProperties": False},
     {"type": "object", "properties": {"a": {}}, "additionalProperties": False}),
    ("U4 unevaluatedItems alone is items", {"type": "array", "unevaluatedItems": {"type": "null"}},
     {"type": "array", "items": {"type": "null"}}),
    ("V2 minContains 1 is the default", {"contains": {"type": "string"}, "minContains": 1},
     {"contains": {"type": "string"}}),
    ("V1 minContains without contains", {"type": "array", "minContains": 3}, {"type": "array"}),
    ("V4 then without if", {"then": {"type": "string"}}, {}),
    ("V6 a pattern matching every string", {"type": "string", "pattern": "^x?"},
     {"type": "string"}),
    ("V9 trailing prefix entries equal to items",
     {"prefixItems": [{"type": "string"}, {}], "items": {}}, {"prefixItems": [{"type": "string"}]}),
    ("F2 a false anyOf branch", {"anyOf": [{"type": "string", "minLength": 2, "maxLength": 1},
                                          {"type": "null"}]}, {"type": "null"}),
    ("M6 oneOf of one branch", {"oneOf": [{"type": "string"}]}, {"type": "string"}),
    ("W1 V9 entries past maxItems still dropped where unevaluatedItems sees them",
     {"allOf": [{"prefixItems": [{}, {"type": "null"}], "maxItems": 1}],
      "unevaluatedItems": False},
     {"allOf": [{"prefixItems": [{}], "maxItems": 1}], "unevaluatedItems": False}),
    ("W1 V9 trailing entries equal to a written items still dropped",
     {"allOf": [{"prefixItems": [{"type": "string"}, {}], "items": {}}],
      "unevaluatedItems": False},
     {"allOf": [{"prefixItems": [{"type": "string"}], "items": True}],
      "unevaluatedItems": False}),
    ("W1 does not reach through not", {"not": {"type": "string", "contains": {"type": "null"},
                                               "minContains": 0}, "unevaluatedItems": False},
     {"not": {"type": "string"}, "unevaluatedItems": False}),
    ("W1 does not reach into a member", {"type": "object", "properties": {
        "a": {"prefixItems": [{}], "items": {}}}, "unevaluatedItems": False},
     {"type": "object", "properties": {"a": {}}}),
]
DIFFERENT: list[tuple[str, Any, Any]] = [
    ("true is not 1", {"enum": [True]}, {"enum": [1]}),
    ("minimum is not exclusive", {"minimum": 0}, {"exclusiveMinimum": 0}),
    ("overlapping anyOf stays", {"anyOf": [{"type": "number"}, {"minimum": 1}]},
     {"type": "number"}),
    ("interacting allOf stays", {"allOf": [{"additionalProperties": False}],
                                 "properties": {"a": {}}},
     {"additionalProperties": False, "properties": {"a": {}}}),
    ("M4 contains and minContains in two branches",
     {"allOf": [{"contains": {"type": "string"}}, {"minContains": 2}]},
     {"contains": {"type": "string"}, "minContains": 2}),
    ("M4 if and then in two branches", {"allOf": [{"if": {"type": "null"}},
                                                  {"then": {"const": 1}}]},
     {"if": {"type": "null"}, "then": {"const": 1}}),
    ("M4 prefixItems and items in two branches",
     {"allOf": [{"prefixItems": [{"type": "string"}]}, {"items": {"type": "null"}}]},
     {"prefixItems": [{"type": "string"}], "items": {"type": "null"}}),
    ("T1 integer does not cover number",
     {"type": ["array", "boolean", "integer", "null", "object", "string"]}, {}),
    ("S1 a repeated oneOf branch counts", {"oneOf": [{"type": "string"}, {"type": "string"}]},
     {"oneOf": [{"type": "string"}]}),
    ("W1 prefix entries {} in an allOf branch", {"allOf": [{"prefixItems": [{}]}],
                                                 "unevaluatedItems": False},
     {"allOf": [{"prefixItems": [{}, {}]}], "unevaluatedItems": False}),
    ("W1 items {} in a $ref target", {"$defs": {"T": {"items": {}, "minItems": 1}},
                                      "$ref": "#/$defs/T", "unevaluatedItems": False},
     {"$defs": {"T": {"minItems": 1}}, "$ref": "#/$defs/T", "unevaluatedItems": False}),
    ("W1 additionalProperties {} inside then", {"if": {"type": "object"},
                                                "then": {"additionalProperties": {}},
                                                "unevaluatedProperties": False},
     {"if": {"type": "object"}, "then": {}, "unevaluatedProperties": False}),
    ("W1 unevaluatedProperties {} in a nested allOf branch",
     {"allOf": [{"allOf": [{"unevaluatedProperties": {}}], "required": ["a"]}],
      "unevaluatedProperties": False},
     {"allOf": [{"required": ["a"]}], "unevaluatedProperties": False}),
    ("W1 an if alone in a dependentSchemas entry",
     {"dependentSchemas": {"a": {"if": {"properties": {"b": {}}}}},
      "unevaluatedProperties": False},
     {"unevaluatedProperties": False}),
    ("W1 contains with minContains 0 in an anyOf branch",
     {"anyOf": [{"contains": {"type": "string"}, "minContains": 0}, {"minItems": 3}],
      "unevaluatedItems": False},
     {"anyOf": [{}, {"minItems": 3}], "unevaluatedItems": False}),
    ("W1 an enum beside prefixItems in an allOf branch",
     {"allOf": [{"enum": [[1]], "prefixItems": [{}]}], "unevaluatedItems": False},
     {"allOf": [{"enum": [[1]]}], "unevaluatedItems": False}),
    ("R1 unevaluatedProperties sees the $ref target's members",
     {"$defs": {"P": {"properties": {"a": {}}}}, "$ref": "#/$defs/P",
      "unevaluatedProperties": False},
     {"additionalProperties": False}),
]


@pytest.mark.parametrize(("name", "left", "right"), EQUIVALENT, ids=[e[0] for e in EQUIVALENT])
def test_equivalent_spellings_share_a_normal_form(name: str, left: Any, right: Any) -> None:
    """Spellings with the same meaning normalise identically."""
    assert normalize(left) == normalize(right), name


@pytest.mark.parametrize(("name", "left", "right"), DIFFERENT, ids=[e[0] for e in DIFFERENT])
def test_different_meanings_keep_different_normal_forms(name: str, left: Any, right: Any
                                                        ) -> None:
    """Spellings that mean (or may mean) different things are not merged."""
    assert json.dumps(normalize(left), sort_keys=True) != json.dumps(normalize(right),
                                                                      sort_keys=True), name


def test_ref_sibling_annotations_win_and_the_target_ones_are_kept_as_shadowed() -> None:
    """``{"$ref": X, "description": D}`` shows D; X's own description is kept aside."""
    schema = {"$defs": {"A": {"type": "string", "description": "target"}},
              "properties": {"a": {"$ref": "#/$defs/A", "description": "sibling"}}}
    node = normalize(schema)["properties"]["a"]
    assert node["description"] == "sibling"
    assert node[SHADOWED] == {"description": ["target"]}


def test_recursive_schema_normalises_and_reviews_without_looping() -> None:
    """A ``$ref`` cycle becomes a marker; the schema reviewed against itself finds nothing."""
    tree = {"$id": "urn:x:kpis_v7:7.0.0", "$defs": {"T": {
        "type": "object", "properties": {"child": {"$ref": "#/$defs/T"}}}},
        "$ref": "#/$defs/T"}
    node = normalize(tree)
    assert node["properties"]["child"] == {RECURSIVE: "/$defs/T"}
    assert review_of(tree, tree).findings == ()


@pytest.mark.parametrize(("ref", "message"), [
    ("https://example.com/other.json", "does not point into this document"),
    ("#/$defs/Missing", "points nowhere"),
    ("#anchor", "only JSON-pointer fragments"),
])
def test_unsupported_refs_are_usage_errors_naming_the_place(ref: str, message: str) -> None:
    """A ``$ref`` the review cannot inline is a one-line error naming the file and the path."""
    schema = {"$id": "urn:kpi-contract:kpis_v7:7.0.0", "properties": {"a": {"$ref": ref}}}
    with pytest.raises(SchemaFileError) as caught:
        schema_doc(schema, "bad.json")
    assert str(caught.value).startswith("bad.json::$.properties.a['$ref']: ")
    assert message in str(caught.value)


def test_normal_form_of_the_release_is_a_schema_that_agrees_with_it() -> None:
    """The normal form of 7.0.0 is a valid schema accepting and rejecting as the original does."""
    original = released()
    normal = normalize(original)
    Draft202012Validator.check_schema(normal)
    checks = [Draft202012Validator(s, format_checker=FormatChecker()) for s in (original, normal)]
    example = original["examples"][0]
    broken = json.loads(json.dumps(example))
    broken["risk"]["dd_state"]["state"] = "calm"
    extra = json.loads(json.dumps(example))
    extra["nulls"]["nav.nav_total"] = "stale"
    for payload, valid in ((example, True), (original["examples"][1], True), (broken, False),
                           (extra, False)):
        assert [c.is_valid(payload) for c in checks] == [valid, valid]


IN_PLACE_CYCLES: list[tuple[str, dict[str, Any], str, str]] = [
    ("direct", {"A": {"$ref": "#/$defs/A"}}, "$['$defs'].A['$ref']",
     "#/$defs/A -> #/$defs/A"),
    ("through three definitions", {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/C"},
                                   "C": {"$ref": "#/$defs/A"}},
     "$['$defs'].C['$ref']", "#/$defs/A -> #/$defs/B -> #/$defs/C -> #/$defs/A"),
    ("through allOf and anyOf", {"A": {"allOf": [{"$ref": "#/$defs/B"}]},
                                 "B": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/A"}]}},
     "$['$defs'].B.anyOf['1']['$ref']", "#/$defs/A -> #/$defs/B -> #/$defs/A"),
    ("through not, if and then", {"A": {"not": {"if": {"type": "object"},
                                                "then": {"$ref": "#/$defs/A"}}}},
     "$['$defs'].A.not.then['$ref']", "#/$defs/A -> #/$defs/A"),
    ("through dependentSchemas", {"A": {"type": "object",
                                        "dependentSchemas": {"k": {"$ref": "#/$defs/A"}}}},
     "$['$defs'].A.dependentSchemas.k['$ref']", "#/$defs/A -> #/$defs/A"),
]


@pytest.mark.parametrize(("defs", "where", "loop"), [c[1:] for c in IN_PLACE_CYCLES],
                         ids=[c[0] for c in IN_PLACE_CYCLES])
def test_a_ref_cycle_that_never_goes_down_is_refused_naming_the_loop(
        defs: dict[str, Any], where: str, loop: str) -> None:
    """A ``$ref`` that comes back to itself through in-place applicators only (no validator can
    finish it) is a one-line SchemaFileError naming the ``$ref`` closing the loop and the loop."""
    schema = {"$id": "urn:kpi-contract:kpis_v7:7.0.0", "$defs": defs,
              "properties": {"a": {"$ref": "#/$defs/A"}}}
    with pytest.raises(SchemaFileError) as caught:
        schema_doc(schema, "loop.json")
    assert str(caught.value) == (f"loop.json::{where}: $ref cycle that never goes down into the "
                                 f"payload ({loop}): no validator can finish evaluating it")


def test_a_cycle_through_the_root_is_refused_too() -> None:
    """``$ref: "#"`` reached from the root through ``allOf`` only is the same loop."""
    schema = {"$id": "urn:kpi-contract:kpis_v7:7.0.0", "allOf": [{"$ref": "#/$defs/R"}],
              "$defs": {"R": {"oneOf": [{"$ref": "#"}]}}}
    with pytest.raises(SchemaFileError, match=r"\(#/\$defs/R -> # -> #/\$defs/R\)"):
        schema_doc(schema, "root.json")


@pytest.mark.parametrize("child", [
    {"type": "array", "items": {"$ref": "#/$defs/T"}},
    {"type": "array", "prefixItems": [{"allOf": [{"$ref": "#/$defs/T"}]}]},
    {"type": "object", "additionalProperties": {"anyOf": [{"$ref": "#/$defs/T"}]}},
    {"type": "object", "propertyNames": {"$ref": "#/$defs/T"}},
], ids=["items", "prefixItems-allOf", "additionalProperties-anyOf", "propertyNames"])
def test_a_cycle_that_goes_down_into_the_payload_is_a_recursive_schema(child: Any) -> None:
    """A tree (the way round passes ``items``, a property, a property name) describes finite
    payloads: it normalises to the marker and reviews against itself with no finding."""
    tree = {"$id": "urn:x:kpis_v7:7.0.0", "$defs": {"T": {"anyOf": [{"type": "null"}, child]}},
            "$ref": "#/$defs/T"}
    assert RECURSIVE in json.dumps(normalize(tree))
    assert review_of(tree, tree).findings == ()


def test_a_ref_chain_beyond_the_nesting_bound_is_one_line() -> None:
    """200 ``$ref`` in a row (no cycle) would exhaust Python's stack: refused in one line."""
    defs: dict[str, Any] = {f"C{i}": {"$ref": f"#/$defs/C{i + 1}"} for i in range(200)}
    defs["C200"] = {"type": "string"}
    schema = {"$id": "urn:kpi-contract:kpis_v7:7.0.0", "$defs": defs, "$ref": "#/$defs/C0"}
    with pytest.raises(SchemaFileError, match=r"^chain\.json::\$\['\$defs'\]\.C\d+: schemas "
                       "nested more than 64 deep, counting through \\$ref"):
        schema_doc(schema, "chain.json")
