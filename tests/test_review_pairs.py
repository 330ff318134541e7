"""The review's rules, table-driven: one schema pair per change kind, plus combined changes.

Each pair edits a copy of the released 7.0.0 schema (and, where the change needs a different
starting point, the old side too), then pins the findings (rule id, normal-form JSON pointer), the
required bump, that every witness really is valid under one version and rejected by the other
(re-checked here with python-jsonschema), and that sampling found no contradiction.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from kpi_contract.review import RULES, Bump, Direction, Review, review_pair, schema_doc

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "schemas" / "releases" / "kpis_v7-7.0.0.schema.json"
Schema = dict[str, Any]
Edit = Callable[[Schema], None]


def released() -> Schema:
    """A fresh copy of the frozen 7.0.0 schema."""
    loaded: Schema = json.loads(RELEASE.read_text(encoding="utf-8"))
    return loaded


def defs(schema: Schema, name: str) -> Schema:
    """``$defs[name]`` of a schema."""
    found: Schema = schema["$defs"][name]
    return found


def prop(schema: Schema, owner: str, name: str) -> Schema:
    """The property schema ``$defs[owner].properties[name]``."""
    found: Schema = defs(schema, owner)["properties"][name]
    return found


def with_version(schema: Schema, version: str) -> Schema:
    """The schema with its ``$id`` (and examples' schema_version) set to ``version``."""
    out = copy.deepcopy(schema)
    out["$id"] = out["$id"].rsplit(":", 1)[0] + f":{version}"
    return out


def review_of(old: Schema, new: Schema) -> Review:
    """Review two schema documents."""
    return review_pair(schema_doc(old, "old.json"), schema_doc(new, "new.json"))


def p(*tokens: str) -> str:
    """A normal-form pointer through properties: ``p("router", "reject_rate", "maximum")``."""
    *members, keyword = tokens
    return "".join(f"/properties/{m}" for m in members) + (f"/{keyword}" if keyword else "")


@dataclass(frozen=True)
class Pair:
    """One row of the table."""

    name: str
    edit: Edit
    findings: set[tuple[str, str]]
    bump: Bump
    old_edit: Edit | None = None
    unwitnessed: set[tuple[str, Direction]] = field(default_factory=set)


def _set(path: Callable[[Schema], Schema], key: str, value: Any) -> Edit:
    return lambda s: path(s).__setitem__(key, value)


def _pop(path: Callable[[Schema], Schema], key: str) -> Edit:
    return lambda s: path(s).pop(key)


def _all(*edits: Edit) -> Edit:
    def run(schema: Schema) -> None:
        for edit in edits:
            edit(schema)
    return run


def _add_optional(owner: str, name: str, body: Schema) -> Edit:
    return lambda s: defs(s, owner)["properties"].__setitem__(name, body)


def _add_required(owner: str, name: str, body: Schema) -> Edit:
    return _all(_add_optional(owner, name, body),
                lambda s: defs(s, owner)["required"].append(name))


def _remove(owner: str, name: str) -> Edit:
    def run(s: Schema) -> None:
        del defs(s, owner)["properties"][name]
        if name in defs(s, owner)["required"]:
            defs(s, owner)["required"].remove(name)
    return run


def _unrequire(owner: str, name: str) -> Edit:
    return lambda s: defs(s, owner)["required"].remove(name)


def _inline_nav(s: Schema) -> None:
    s["properties"]["nav"] = copy.deepcopy(defs(s, "Nav"))


def _type_list_as_any_of(s: Schema) -> None:
    field_ = prop(s, "Nav", "nav_age_s")
    field_.pop("type")
    minimum = field_.pop("minimum")
    field_["anyOf"] = [{"type": "null"}, {"type": "number", "minimum": minimum}]


def _reorder(s: Schema) -> None:
    prop(s, "Risk", "atr_regime")["enum"].reverse()
    defs(s, "Router")["required"].reverse()
    defs(s, "Nulls")["propertyNames"]["enum"].reverse()
    prop(s, "Risk", "dd_state")["anyOf"].reverse()
    prop(s, "Nav", "nav_total")["type"].reverse()


def _ref_for_reason(s: Schema) -> None:
    s["$defs"]["Reason"] = copy.deepcopy(defs(s, "NullReason"))
    defs(s, "Nulls")["additionalProperties"] = {"$ref": "#/$defs/Reason"}


def _const_as_enum(s: Schema) -> None:
    prop(s, "Router", "maker_first")["enum"] = [True, False, None]


R = ("router",)
PAIRS = [
    # --- annotation only ---------------------------------------------------------------------
    Pair("description", _set(lambda s: prop(s, "Router", "reject_rate"), "description", "Rejects."),
         {("annotation.changed", p("router", "reject_rate", "description"))}, Bump.PATCH),
    Pair("title and $comment", _all(_set(lambda s: s, "title", "KPIs"),
                                    _set(lambda s: defs(s, "Nav"), "$comment", "note")),
         {("annotation.changed", p("title")), ("annotation.changed", p("nav", "$comment"))},
         Bump.PATCH),
    Pair("examples", lambda s: s["examples"].pop(),
         {("annotation.changed", p("examples"))}, Bump.PATCH),
    Pair("description behind a $ref", _set(lambda s: defs(s, "DdState"), "description", "DD."),
         {("annotation.changed", p("risk", "dd_state", "description"))}, Bump.PATCH),
    # --- equivalent refactors ----------------------------------------------------------------
    Pair("inline against $ref", _inline_nav, set(), Bump.NONE),
    Pair("new $ref to a copied definition", _ref_for_reason, set(), Bump.NONE),
    Pair("type list against anyOf", _type_list_as_any_of, set(), Bump.NONE),
    Pair("reordered enum, required, anyOf, type", _reorder, set(), Bump.NONE),
    Pair("redundant enum beside type", _const_as_enum, set(), Bump.NONE),
    # --- fields added and removed ------------------------------------------------------------
    Pair("optional field added", _add_optional("Router", "fill_count",
                                               {"type": ["integer", "null"], "minimum": 0}),
         {("property.added.optional", p("router", "fill_count", ""))}, Bump.MINOR),
    Pair("optional field added to an open object",
         _all(_pop(lambda s: defs(s, "Performance"), "additionalProperties"),
              _add_optional("Performance", "trades", {"type": "integer"})),
         {("property.added.optional", p("performance", "trades", ""))}, Bump.MAJOR,
         old_edit=_pop(lambda s: defs(s, "Performance"), "additionalProperties")),
    Pair("optional field removed", lambda s: None,
         {("property.removed.optional", p("router", "fill_count", ""))}, Bump.MAJOR,
         old_edit=_add_optional("Router", "fill_count", {"type": ["integer", "null"]})),
    Pair("required field added", _add_required("Performance", "trades", {"type": "integer"}),
         {("property.added.required", p("performance", "trades", ""))}, Bump.MAJOR),
    Pair("required field removed", _remove("Performance", "sharpe_state"),
         {("property.removed.required", p("performance", "sharpe_state", ""))}, Bump.MAJOR),
    Pair("field renamed", _all(_remove("Router", "reject_rate"),
                               _add_required("Router", "reject_ratio",
                                             {"type": ["number", "null"]})),
         {("property.removed.required", p("router", "reject_rate", "")),
          ("property.added.required", p("router", "reject_ratio", ""))}, Bump.MAJOR),
    Pair("optional made required", lambda s: None,
         {("required.added", p("router", "required"))}, Bump.MAJOR,
         old_edit=_unrequire("Router", "reject_rate")),
    Pair("required made optional", _unrequire("Router", "reject_rate"),
         {("required.removed", p("router", "required"))}, Bump.MAJOR),
    # --- types, null, enums ------------------------------------------------------------------
    Pair("type widened", _set(lambda s: prop(s, "Router", "maker_first"), "type",
                              ["boolean", "string", "null"]),
         {("type.widened", p("router", "maker_first", "type"))}, Bump.MAJOR),
    Pair("type narrowed", _set(lambda s: prop(s, "Nav", "nav_total"), "type",
                               ["integer", "null"]),
         {("type.narrowed", p("nav", "nav_total", "type"))}, Bump.MAJOR),
    Pair("integer widened to number", lambda s: None,
         {("type.widened", p("nav", "nav_total", "type"))}, Bump.MAJOR,
         old_edit=_set(lambda s: prop(s, "Nav", "nav_total"), "type", ["integer", "null"])),
    Pair("null dropped", _set(lambda s: prop(s, "Nav", "nav_total"), "type", "number"),
         {("nullable.removed", p("nav", "nav_total", "type"))}, Bump.MAJOR),
    Pair("null added", _set(lambda s: s["properties"]["ts"], "type", ["string", "null"]),
         {("nullable.added", p("ts", "type"))}, Bump.MAJOR),
    Pair("null dropped from an enum", lambda s: prop(s, "Risk", "atr_regime")["enum"].remove(None),
         {("nullable.removed", p("risk", "atr_regime", "enum"))}, Bump.MAJOR),
    Pair("null dropped from a $ref'd object", lambda s: prop(s, "Risk", "dd_state").__setitem__(
        "anyOf", [{"$ref": "#/$defs/DdState"}]),
         {("nullable.removed", p("risk", "dd_state", "type"))}, Bump.MAJOR),
    Pair("enum value added", lambda s: prop(s, "Router", "policy_quality")["enum"].append("dead"),
         {("enum.value_added", p("router", "policy_quality", "enum"))}, Bump.MAJOR),
    Pair("enum value removed", lambda s: prop(s, "Risk", "atr_regime")["enum"].remove("panic"),
         {("enum.value_removed", p("risk", "atr_regime", "enum"))}, Bump.MAJOR),
    Pair("enum value renamed inside a $ref'd object",
         lambda s: prop(s, "DdState", "state")["enum"].__setitem__(4, "recovering"),
         {("enum.value_added", p("risk", "dd_state", "state", "enum")),
          ("enum.value_removed", p("risk", "dd_state", "state", "enum"))}, Bump.MAJOR),
    Pair("nulls vocabulary grows", lambda s: defs(s, "Nulls")["propertyNames"]["enum"].append(
        "router.fill_count"),
         {("property_name.added", p("nulls", "propertyNames/enum"))}, Bump.MINOR),
    Pair("nulls vocabulary shrinks", lambda s: defs(s, "Nulls")["propertyNames"]["enum"].remove(
        "router.reject_rate"),
         {("enum.value_removed", p("nulls", "propertyNames/enum"))}, Bump.MAJOR),
    Pair("null reason added", lambda s: defs(s, "NullReason")["enum"].append("stale"),
         {("enum.value_added", p("nulls", "additionalProperties/enum"))}, Bump.MAJOR),
    Pair("closed vocabulary introduced",
         _set(lambda s: s["properties"]["schema_version"], "enum", ["7.0.0", "7.1.0"]),
         {("enum.added", p("schema_version", "enum"))}, Bump.MAJOR),
    Pair("closed vocabulary dropped", _pop(lambda s: prop(s, "Performance", "sharpe_state"),
                                           "enum"),
         {("enum.removed", p("performance", "sharpe_state", "enum"))}, Bump.MAJOR),
    # --- bounds --------------------------------------------------------------------------------
    Pair("maximum tightened", _set(lambda s: prop(s, "Router", "reject_rate"), "maximum", 0.5),
         {("bound.tightened", p("router", "reject_rate", "maximum"))}, Bump.MAJOR),
    Pair("maximum relaxed", _pop(lambda s: prop(s, "Router", "reject_rate"), "maximum"),
         {("bound.relaxed", p("router", "reject_rate", "maximum"))}, Bump.MAJOR),
    Pair("minimum made exclusive", _all(
        _pop(lambda s: prop(s, "Nav", "nav_age_s"), "minimum"),
        _set(lambda s: prop(s, "Nav", "nav_age_s"), "exclusiveMinimum", 0)),
         {("bound.tightened", p("nav", "nav_age_s", "exclusiveMinimum"))}, Bump.MAJOR),
    Pair("minimum relaxed", _set(lambda s: prop(s, "Risk", "fee_pnl_ratio"), "minimum", -1),
         {("bound.relaxed", p("risk", "fee_pnl_ratio", "minimum"))}, Bump.MAJOR),
    Pair("bound inside a $ref'd object tightened",
         _set(lambda s: prop(s, "DdState", "drawdown_frac"), "maximum", 0.9),
         {("bound.tightened", p("risk", "dd_state", "drawdown_frac", "maximum"))}, Bump.MAJOR),
    Pair("string length tightened", _set(lambda s: s["properties"]["schema_version"],
                                         "maxLength", 5),
         {("bound.tightened", p("schema_version", "maxLength"))}, Bump.MAJOR),
    Pair("string length relaxed", lambda s: None,
         {("bound.relaxed", p("schema_version", "minLength"))}, Bump.MAJOR,
         old_edit=_set(lambda s: s["properties"]["schema_version"], "minLength", 6)),
    Pair("map size tightened", _set(lambda s: defs(s, "Nulls"), "maxProperties", 3),
         {("bound.tightened", p("nulls", "maxProperties"))}, Bump.MAJOR),
    Pair("multipleOf changed incomparably",
         _set(lambda s: prop(s, "Performance", "expectancy"), "multipleOf", 0.5),
         {("bound.changed", p("performance", "expectancy", "multipleOf"))}, Bump.MAJOR,
         old_edit=_set(lambda s: prop(s, "Performance", "expectancy"), "multipleOf", 0.3)),
    Pair("multipleOf added", _set(lambda s: prop(s, "Performance", "expectancy"),
                                  "multipleOf", 0.01),
         {("bound.tightened", p("performance", "expectancy", "multipleOf"))}, Bump.MAJOR),
    # --- additionalProperties, format, pattern, unit --------------------------------------------
    Pair("object opened", _set(lambda s: defs(s, "Router"), "additionalProperties", True),
         {("additional_properties.opened", p("router", "additionalProperties"))}, Bump.MAJOR),
    Pair("object closed", lambda s: None,
         {("additional_properties.closed", p("performance", "additionalProperties"))},
         Bump.MAJOR,
         old_edit=_pop(lambda s: defs(s, "Performance"), "additionalProperties")),
    Pair("format removed", _pop(lambda s: s["properties"]["ts"], "format"),
         {("format.removed", p("ts", "format"))}, Bump.MAJOR),
    Pair("format added", _set(lambda s: s["properties"]["schema_version"], "format", "date"),
         {("format.added", p("schema_version", "format"))}, Bump.MAJOR),
    Pair("format changed", _set(lambda s: s["properties"]["ts"], "format", "date"),
         {("format.changed", p("ts", "format"))}, Bump.MAJOR,
         unwitnessed={("format.changed", Direction.READERS)}),
    Pair("pattern changed", _set(lambda s: s["properties"]["schema_version"], "pattern",
                                 r"^7\.[0-9]+\.[0-9]+$"),
         {("pattern.changed", p("schema_version", "pattern"))}, Bump.MAJOR,
         unwitnessed={("pattern.changed", Direction.WRITERS)}),
    Pair("pattern removed", _pop(lambda s: s["properties"]["ts"], "pattern"),
         {("pattern.removed", p("ts", "pattern"))}, Bump.MAJOR),
    Pair("pattern added", _set(lambda s: prop(s, "Performance", "sharpe_state"), "pattern", "^s"),
         {("enum.value_removed", p("performance", "sharpe_state", "enum"))}, Bump.MAJOR),
    Pair("pattern added to a string", _set(lambda s: s["properties"]["ts"], "pattern", "^2"),
         {("pattern.changed", p("ts", "pattern"))}, Bump.MAJOR,
         unwitnessed={("pattern.changed", Direction.WRITERS)}),
    Pair("pattern added where there was none", lambda s: None,
         {("pattern.added", p("ts", "pattern"))}, Bump.MAJOR,
         old_edit=_pop(lambda s: s["properties"]["ts"], "pattern")),
    Pair("unit changed", _set(lambda s: prop(s, "Nav", "nav_age_s"), "x-unit", "ms"),
         {("unit.changed", p("nav", "nav_age_s", "x-unit"))}, Bump.MAJOR),
    Pair("unit added", _set(lambda s: prop(s, "Performance", "sharpe_state"), "x-unit", "1"),
         {("unit.changed", p("performance", "sharpe_state", "x-unit"))}, Bump.MAJOR),
    Pair("extension annotation", _set(lambda s: prop(s, "Nav", "nav_total"), "x-panel", "NAV"),
         {("annotation.changed", p("nav", "nav_total", "x-panel"))}, Bump.PATCH),
    # --- unclassified ----------------------------------------------------------------------------
    Pair("unknown keyword", _set(lambda s: prop(s, "Nav", "nav_total"), "precision", 2),
         {("unclassified", p("nav", "nav_total", "precision"))}, Bump.MAJOR,
         unwitnessed={("unclassified", Direction.READERS), ("unclassified", Direction.WRITERS)}),
    Pair("not added that a closed object never meets", _set(lambda s: defs(s, "Router"), "not",
                                                           {"required": ["zzz"]}),
         {("not.added", p("router", "not"))}, Bump.MAJOR,
         unwitnessed={("not.added", Direction.WRITERS)}),
    Pair("dependentRequired added", _set(lambda s: defs(s, "Nulls"), "dependentRequired",
                                         {"risk.dd_state": ["nav.nav_total"]}),
         {("dependent_required.added", p("nulls", "dependentRequired/risk.dd_state"))},
         Bump.MAJOR),
    Pair("allOf merged: its type meets the node's", _set(
        lambda s: prop(s, "Router", "avg_slippage_bps"), "allOf",
        [{"minimum": -100}, {"type": "number"}]),
         {("nullable.removed", p("router", "avg_slippage_bps", "type")),
          ("bound.tightened", p("router", "avg_slippage_bps", "minimum"))}, Bump.MAJOR),
    Pair("allOf kept apart: compared as a unit", _set(
        lambda s: prop(s, "Router", "avg_slippage_bps"), "allOf",
        [{"anyOf": [{"minimum": -100}, {"maximum": -200}]}]),
         {("unclassified.node", p("router", "avg_slippage_bps", ""))}, Bump.MAJOR,
         unwitnessed={("unclassified.node", Direction.READERS)}),
    # --- combined ------------------------------------------------------------------------------
    Pair("minor release: field added with its nulls entry and docs",
         _all(_add_optional("Router", "fill_count", {"type": ["integer", "null"], "minimum": 0,
                                                     "description": "Fills.", "x-unit": "1"}),
              lambda s: defs(s, "Nulls")["propertyNames"]["enum"].append("router.fill_count"),
              _set(lambda s: prop(s, "Router", "reject_rate"), "description", "Rejects.")),
         {("property.added.optional", p("router", "fill_count", "")),
          ("property_name.added", p("nulls", "propertyNames/enum")),
          ("annotation.changed", p("router", "reject_rate", "description"))}, Bump.MINOR),
    Pair("7.1.0 shape: run-mode block and sample counts with their nulls keys",
         _all(lambda s: s["properties"].__setitem__("run", {
             "type": ["object", "null"], "additionalProperties": False, "required": ["mode"],
             "properties": {"mode": {"enum": ["live", "testnet", "dry_run", "replay"]}}}),
              _add_optional("Router", "maker_fill_share_n", {"type": ["integer", "null"],
                                                             "minimum": 0}),
              _add_optional("Router", "reject_rate_n", {"type": ["integer", "null"],
                                                        "minimum": 0}),
              lambda s: defs(s, "Nulls")["propertyNames"]["enum"].extend(
                  ["router.maker_fill_share_n", "router.reject_rate_n"])),
         {("property.added.optional", p("run", "")),
          ("property.added.optional", p("router", "maker_fill_share_n", "")),
          ("property.added.optional", p("router", "reject_rate_n", "")),
          ("property_name.added", p("nulls", "propertyNames/enum"))}, Bump.MINOR),
    Pair("refactor plus a patch", _all(_inline_nav, _reorder, _type_list_as_any_of,
                                       _set(lambda s: s["properties"]["nav"], "title", "NAV")),
         {("annotation.changed", p("nav", "title"))}, Bump.PATCH),
    Pair("breaking mix", _all(
        _set(lambda s: prop(s, "Router", "reject_rate"), "maximum", 0.5),
        lambda s: prop(s, "Risk", "atr_regime")["enum"].append("extreme"),
        _set(lambda s: prop(s, "Nav", "nav_total"), "x-unit", "EUR"),
        _add_optional("Performance", "trades", {"type": "integer"}),
        _unrequire("Nav", "sources_ok")),
         {("bound.tightened", p("router", "reject_rate", "maximum")),
          ("enum.value_added", p("risk", "atr_regime", "enum")),
          ("unit.changed", p("nav", "nav_total", "x-unit")),
          ("property.added.optional", p("performance", "trades", "")),
          ("required.removed", p("nav", "required"))}, Bump.MAJOR),
    Pair("required field added and another removed", _all(
        _add_required("Router", "fill_count", {"type": "integer", "minimum": 0}),
        _remove("Performance", "sharpe_state"),
        _set(lambda s: defs(s, "Nulls"), "additionalProperties", False)),
         {("property.added.required", p("router", "fill_count", "")),
          ("property.removed.required", p("performance", "sharpe_state", "")),
          ("additional_properties.closed", p("nulls", "additionalProperties"))}, Bump.MAJOR),
]


def _validator(schema: Schema) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FormatChecker())


@pytest.mark.parametrize("pair", PAIRS, ids=[pair.name for pair in PAIRS])
def test_pair_findings_bump_and_witnesses(pair: Pair) -> None:
    """Each pair gives exactly its findings and bump; witnesses are real; nothing contradicts."""
    old, new = released(), released()
    if pair.old_edit is not None:
        pair.old_edit(old)
    pair.edit(new)
    result = review_of(old, new)
    assert {(f.rule, f.pointer) for f in result.findings} == pair.findings
    assert result.required is pair.bump
    assert result.tool_errors == ()
    validators = {"old": _validator(old), "new": _validator(new)}
    for finding in result.findings:
        assert finding.bump is max((RULES[finding.rule].bump, finding.bump))
        for witness in finding.witnesses:
            accepting, rejecting = (
                ("new", "old") if witness.direction is Direction.READERS else ("old", "new")
            )
            assert validators[accepting].is_valid(witness.payload), witness
            assert not validators[rejecting].is_valid(witness.payload), witness
        missing = {(finding.rule, d) for d in finding.unproven}
        assert missing == {u for u in pair.unwitnessed if u[0] == finding.rule}, finding.rule


def test_every_rule_is_exercised_by_a_pair() -> None:
    """This table and the issue-13 table (tests/test_review_kinds.py) cover every rule id."""
    from tests.test_review_kinds import CASES

    covered = {rule for pair in PAIRS for rule, _ in pair.findings}
    covered |= {e.rule for case in CASES for e in case.findings}
    assert covered == set(RULES)


def test_unchanged_schema_has_no_findings() -> None:
    """Reviewing the release against itself finds nothing and requires no bump."""
    result = review_of(released(), released())
    assert result.findings == ()
    assert result.required is Bump.NONE
    assert result.ok


def test_declared_minor_covers_an_optional_field() -> None:
    """7.0.0 -> 7.1.0 adding an optional field passes the version check."""
    new = with_version(released(), "7.1.0")
    _add_optional("Router", "fill_count", {"type": ["integer", "null"]})(new)
    result = review_of(released(), new)
    assert (result.required, result.declared, result.problems) == (Bump.MINOR, Bump.MINOR, ())
    assert result.exit_code == 0


def test_patch_declared_for_a_minor_change_fails() -> None:
    """A patch bump for an added field is too small: exit code 1 and the reason says so."""
    new = with_version(released(), "7.0.1")
    _add_optional("Router", "fill_count", {"type": ["integer", "null"]})(new)
    result = review_of(released(), new)
    assert result.exit_code == 1
    assert result.problems == (
        "the declared bump patch (7.0.0 -> 7.0.1) is smaller than the required bump minor",)


def test_breaking_change_inside_major_7_must_become_kpis_v8() -> None:
    """A major change declared as 8.0.0 inside kpis_v7 fails and points to kpis_v8."""
    new = with_version(released(), "8.0.0")
    prop(new, "Router", "reject_rate")["maximum"] = 0.5
    result = review_of(released(), new)
    assert result.declared is Bump.MAJOR
    assert result.exit_code == 1
    assert any("does not belong to kpis_v7" in p for p in result.problems)
    assert any("must become kpis_v8" in p for p in result.problems)


def test_breaking_change_as_kpis_v8_passes() -> None:
    """The same break shipped as a new kpis_v8 file at 8.0.0 passes."""
    new = released()
    new["$id"] = "urn:kpi-contract:kpis_v8:8.0.0"
    prop(new, "Router", "reject_rate")["maximum"] = 0.5
    result = review_of(released(), new)
    assert (result.required, result.declared, result.problems) == (Bump.MAJOR, Bump.MAJOR, ())


def test_version_going_down_fails() -> None:
    """A lower version than the old one fails, whatever changed."""
    result = review_of(with_version(released(), "7.1.0"), released())
    assert result.declared is None
    assert result.declared_label == "down"
    assert result.problems == ("the version goes down (7.1.0 -> 7.0.0)",)


def test_change_without_version_change_fails() -> None:
    """Editing the schema (even a description) without a new version fails."""
    new = released()
    new["title"] = "Changed"
    result = review_of(released(), new)
    assert result.required is Bump.PATCH
    assert result.exit_code == 1
    assert "without a version change" in result.problems[0]


def test_refactor_without_version_change_still_needs_a_version() -> None:
    """A pure refactor has no findings, but a changed file with the same version still fails."""
    new = released()
    _inline_nav(new)
    result = review_of(released(), new)
    assert result.findings == ()
    assert "without a version change" in result.problems[0]


def test_version_bump_without_changes_passes() -> None:
    """Only the version moved: nothing required, the declared patch is fine."""
    result = review_of(released(), with_version(released(), "7.0.1"))
    assert (result.findings, result.declared, result.ok) == ((), Bump.PATCH, True)


def combine(first: Pair, second: Pair) -> tuple[Schema, Schema] | None:
    """Both pairs' edits on one schema pair (None when the edits collide)."""
    old, new = released(), released()
    try:
        for pair in (first, second):
            if pair.old_edit is not None:
                pair.old_edit(old)
                pair.old_edit(new)
        for pair in (first, second):
            pair.edit(new)
    except (KeyError, ValueError, IndexError):
        return None
    return old, new


COMBINED = [
    (a, b) for a, b in ((PAIRS[i], PAIRS[(i * 7 + 3) % len(PAIRS)])
                        for i in range(0, len(PAIRS), 2))
    if combine(a, b) is not None
]


@pytest.mark.parametrize(("first", "second"), COMBINED,
                         ids=[f"{a.name} + {b.name}" for a, b in COMBINED])
def test_combined_changes_never_contradict_and_witnesses_hold(first: Pair, second: Pair) -> None:
    """Two changes at once: sampling never contradicts the rules and every witness is real."""
    schemas = combine(first, second)
    assert schemas is not None
    old, new = schemas
    result = review_of(old, new)
    assert result.tool_errors == ()
    assert result.required >= max(RULES[f.rule].bump for f in result.findings) if (
        result.findings) else result.required is Bump.NONE
    validators = {"old": _validator(old), "new": _validator(new)}
    for finding in result.findings:
        for witness in finding.witnesses:
            accepting, rejecting = (
                ("new", "old") if witness.direction is Direction.READERS else ("old", "new")
            )
            assert validators[accepting].is_valid(witness.payload)
            assert not validators[rejecting].is_valid(witness.payload)
