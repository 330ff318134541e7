"""Every rule id the review can report, with its usual bump and what it means.

Rule ids are stable: CI and people may match on them. The bump of a finding can differ from the
usual one only for ``property.added.optional`` (major when the object was open).

Decisions under SPEC section 8 (closed writer schema, tolerant readers, full compatibility within
a major), where the policy leaves room:

- ``property.added.optional`` is a minor only in a closed object: old payloads never carried the
  key, tolerant old readers ignore it, new readers read it as null in old payloads. In an open
  object stored payloads may already hold the key with other values: major.
- ``required.removed`` (required made optional) is a major: readers built on the old release rely
  on the key (its generated model has no default, so it rejects a payload without it), and
  kpis_v7 promises every key is always present. ``required.added`` breaks stored payloads.
- ``property.removed.*`` is a major even for an optional field: readers lose data they may use,
  and the closed new schema rejects stored payloads that carry it. A rename is a removal plus an
  addition.
- Adding a key to a closed key vocabulary (``propertyNames`` enum, the ``nulls`` keys) is
  ``property_name.added``: a minor, for the same reasons as ``property.added.optional`` in a
  closed object (tolerant readers drop unknown keys; old payloads never carry the new one). So a
  new nullable KPI ships as a 7.x minor: its optional field plus its ``nulls`` key. Removing a
  key name stays ``enum.value_removed``: a major.
- ``format`` and ``pattern`` changes claim both directions (whether one pattern contains the
  other is not decided); the witnesses show which direction really breaks, and a direction
  without one is listed as *unproven* (with the number of candidates tried). A pattern that
  matches every string (``a*``) is no pattern at all (``docs/review-normal-form.md``, V6).
- Evidence decides what a report calls a break: a direction is *demonstrated* by a witness
  payload (checked by python-jsonschema), or *unproven* when the bounded search found none. An
  unproven direction still requires the rule's bump (a new major for every rule but the two
  minors above): what the review cannot show is presumed breaking, but shown apart.
- Members are compared by what each version requires of the key: its ``properties`` entry and
  every matching ``patternProperties`` entry, else ``additionalProperties``. A direction is
  claimed unless containment shows it cannot break (a member removed into a wider
  ``additionalProperties`` breaks readers only). ``property.added.optional`` stays a minor only
  where the old schema rejected the key outright (closed object, no covering pattern).
- ``unevaluatedProperties`` in an object without in-place applicators is ``additionalProperties``
  (so the rules above apply). Beside ``allOf``/``anyOf``/... it is compared on its own when
  nothing it depends on changed, else the object is one ``unclassified.node`` unit.
- New typed rules for ``patternProperties`` entries, ``contains``, ``not`` and
  ``dependentSchemas``/``dependentRequired`` derive their directions (adding a condition only
  narrows, removing one only widens) and are all majors: none of them loosens the gate.
- A changed unit (``x-unit``) breaks both directions by meaning; no payload can show it.
- Anything no rule owns is ``unclassified``: major, never passed silently.
"""

from __future__ import annotations

from typing import NamedTuple

from kpi_contract.review.bump import Bump


class Rule(NamedTuple):
    """A rule's usual bump and its one-line meaning."""

    bump: Bump
    summary: str


RULES: dict[str, Rule] = {
    "annotation.changed": Rule(Bump.PATCH, "title, description, examples, $comment, default..."),
    "unit.changed": Rule(Bump.MAJOR, "x-unit added, removed or changed"),
    "property.added.optional": Rule(Bump.MINOR, "optional field added to a closed object"),
    "property_name.added": Rule(Bump.MINOR, "key added to a closed key vocabulary"),
    "property.added.required": Rule(Bump.MAJOR, "required field added"),
    "property.removed.optional": Rule(Bump.MAJOR, "optional field removed (or renamed)"),
    "property.removed.required": Rule(Bump.MAJOR, "required field removed (or renamed)"),
    "required.added": Rule(Bump.MAJOR, "optional field made required"),
    "required.removed": Rule(Bump.MAJOR, "required field made optional"),
    "type.widened": Rule(Bump.MAJOR, "a non-null type added"),
    "type.narrowed": Rule(Bump.MAJOR, "a non-null type removed"),
    "nullable.added": Rule(Bump.MAJOR, "null allowed where it was not"),
    "nullable.removed": Rule(Bump.MAJOR, "null no longer allowed"),
    "enum.value_added": Rule(Bump.MAJOR, "a value added to a closed vocabulary"),
    "enum.value_removed": Rule(Bump.MAJOR, "a value removed from a closed vocabulary"),
    "enum.added": Rule(Bump.MAJOR, "a closed vocabulary introduced"),
    "enum.removed": Rule(Bump.MAJOR, "a closed vocabulary dropped"),
    "bound.tightened": Rule(Bump.MAJOR, "minimum/maximum/length/size/multipleOf/contains "
                                        "count narrowed"),
    "bound.relaxed": Rule(Bump.MAJOR, "minimum/maximum/length/size/multipleOf/contains count "
                                      "widened"),
    "bound.changed": Rule(Bump.MAJOR, "multipleOf changed to an incomparable step"),
    "format.added": Rule(Bump.MAJOR, "format added"),
    "format.removed": Rule(Bump.MAJOR, "format removed"),
    "format.changed": Rule(Bump.MAJOR, "format changed"),
    "pattern.added": Rule(Bump.MAJOR, "pattern added"),
    "pattern.removed": Rule(Bump.MAJOR, "pattern removed"),
    "pattern.changed": Rule(Bump.MAJOR, "pattern changed"),
    "additional_properties.opened": Rule(Bump.MAJOR, "a closed object opened"),
    "additional_properties.closed": Rule(Bump.MAJOR, "an open object closed"),
    "unevaluated_properties.opened": Rule(Bump.MAJOR, "unevaluatedProperties false relaxed"),
    "unevaluated_properties.closed": Rule(Bump.MAJOR, "unevaluatedProperties false added"),
    "pattern_property.added": Rule(Bump.MAJOR, "a patternProperties entry added"),
    "pattern_property.removed": Rule(Bump.MAJOR, "a patternProperties entry removed"),
    "contains.added": Rule(Bump.MAJOR, "arrays must now contain a matching item"),
    "contains.removed": Rule(Bump.MAJOR, "the contains requirement dropped"),
    "contains.changed": Rule(Bump.MAJOR, "the schema contains looks for changed"),
    "not.added": Rule(Bump.MAJOR, "a not condition added"),
    "not.removed": Rule(Bump.MAJOR, "a not condition removed"),
    "not.changed": Rule(Bump.MAJOR, "the schema not excludes changed"),
    "dependent_schema.added": Rule(Bump.MAJOR, "a dependentSchemas entry added"),
    "dependent_schema.removed": Rule(Bump.MAJOR, "a dependentSchemas entry removed"),
    "dependent_schema.changed": Rule(Bump.MAJOR, "a dependentSchemas entry changed"),
    "dependent_required.added": Rule(Bump.MAJOR, "a key now required beside another"),
    "dependent_required.removed": Rule(Bump.MAJOR, "a key no longer required beside another"),
    "unclassified": Rule(Bump.MAJOR, "any other change: counted as breaking"),
    "unclassified.node": Rule(Bump.MAJOR, "keywords that act together changed (allOf/anyOf/"
                                          "oneOf, or members beside unevaluated*): the schema "
                                          "compared as one unit, counted as breaking"),
}
