"""Rules for objects and arrays: fields added, removed, made required or optional, closed or
opened, and the sub-schemas of their members (walked recursively)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT
from kpi_contract.review.finding import BOTH, NEITHER, READERS, WRITERS, Direction, Finding
from kpi_contract.review.keywords import Node, assertion_part, types_of
from kpi_contract.review.normalize import is_false
from kpi_contract.review.paths import Step
from kpi_contract.review.site import Site

Walk = Callable[[Node, Node, Site], list[Finding]]
HANDLED = frozenset({
    "properties", "required", "additionalProperties", "propertyNames", "patternProperties",
    "items", "prefixItems",
})
OPTIONAL_MADE_REQUIRED = "payloads written under the old schema may omit it"
REQUIRED_MADE_OPTIONAL = (
    "readers built on the old schema rely on the key being present (the old generated model has "
    "no default for it) and kpis_v7 promises every key is always present"
)


def object_findings(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    """Members of objects (when both schemas admit objects) and items of arrays."""
    found: list[Finding] = []
    if "enum" in old or "enum" in new:
        return found
    both = types_of(old) & types_of(new)
    if "object" in both:
        found += _properties(old, new, site, walk)
        found += _additional(old, new, site, walk)
        found += _key_vocabulary(walk(old.get("propertyNames", {}), new.get("propertyNames", {}),
                                      site.child(("propertyNames",), Step.PROPERTY_NAMES)))
        found += _pattern_properties(old, new, site, walk)
    if "array" in both:
        found += walk(old.get("items", {}), new.get("items", {}),
                      site.child(("items",), Step.ANY_ITEM))
        found += _prefix_items(old, new, site, walk)
    return found


def _key_vocabulary(findings: list[Finding]) -> list[Finding]:
    """A name added to a closed key vocabulary (``propertyNames`` enum) is an optional key added.

    It is the map form of ``property.added.optional`` in a closed object: tolerant readers drop
    keys they do not know (the reader projects ``propertyNames`` vocabularies), and old payloads
    never carry the new key because the old vocabulary was closed. This is what lets a new
    nullable KPI (a new ``nulls`` key beside its optional field) ship as a 7.x minor.
    """
    return [
        replace(
            f, rule="property_name.added", bump=Bump.MINOR,
            reason=f"{f.new!r} is a new key: tolerant readers drop keys they do not know, and "
            "old payloads never carry it (the key vocabulary was closed)",
        ) if f.rule == "enum.value_added" else f
        for f in findings
    ]


def _closed(extra: Any) -> bool:
    return isinstance(extra, dict) and is_false(extra)


def _accepts_same(extra: Any, member: Node) -> bool:
    """Whether ``additionalProperties`` (None: open) accepts exactly what ``member`` accepts."""
    return assertion_part(extra if isinstance(extra, dict) else {}) == assertion_part(member)


def _properties(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    old_members, new_members = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    found: list[Finding] = []
    for name in sorted(set(old_members) | set(new_members)):
        child = site.child(("properties", name), name)
        if name in old_members and name in new_members:
            found += walk(old_members[name], new_members[name], child)
            found += _required_change(site, name, name in old_required, name in new_required)
        elif name in new_members:
            found.append(_added(child, new_members[name], old_extra, name in new_required))
        else:
            found.append(_removed(child, old_members[name], new_extra, name in old_required))
    members = set(old_members) | set(new_members)
    for name in sorted((new_required - old_required) - members):
        found += _required_change(site, name, False, True)
    for name in sorted((old_required - new_required) - members):
        found += _required_change(site, name, True, False)
    return found


def _required_change(site: Site, name: str, before: bool, after: bool) -> list[Finding]:
    if before == after:
        return []
    if after:
        return [site.finding("required.added", "required", WRITERS, Bump.MAJOR,
                             f"optional made required: {OPTIONAL_MADE_REQUIRED}",
                             old="optional", new="required", segment=name)]
    return [site.finding("required.removed", "required", READERS, Bump.MAJOR,
                         f"required made optional: {REQUIRED_MADE_OPTIONAL}",
                         old="required", new="optional", segment=name)]


def _added(child: Site, member: Node, old_extra: Any, required: bool) -> Finding:
    readers = old_extra is not None and not _accepts_same(old_extra, member)
    writers = required or not (_closed(old_extra) or _accepts_same(old_extra, member))
    breaks = (READERS if readers else NEITHER) | (WRITERS if writers else NEITHER)
    if required:
        return child.finding("property.added.required", None, breaks, Bump.MAJOR,
                             f"a required field was added: {OPTIONAL_MADE_REQUIRED}", new=member)
    if not writers:
        return child.finding(
            "property.added.optional", None, breaks, Bump.MINOR,
            "an optional field was added: tolerant readers ignore it, and old payloads never "
            "carry it (the object was closed), so the new reader reads it as null",
            new=member,
        )
    return child.finding(
        "property.added.optional", None, breaks, Bump.MAJOR,
        "an optional field was added to an open object: stored payloads may already carry "
        "this key with values the new schema rejects", new=member,
    )


def _removed(child: Site, member: Node, new_extra: Any, required: bool) -> Finding:
    writers = new_extra is not None and not _accepts_same(new_extra, member)
    readers = required or not (_closed(new_extra) or _accepts_same(new_extra, member))
    breaks = frozenset(
        d for d, on in ((Direction.READERS, readers), (Direction.WRITERS, writers)) if on
    )
    kind = "required" if required else "optional"
    return child.finding(
        f"property.removed.{kind}", None, breaks, Bump.MAJOR,
        f"a{'' if required else 'n'} {kind} field was removed: readers lose a field they may "
        "depend on" + (", and stored payloads carrying it are rejected" if writers else ""),
        old=member,
    )


def _additional(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    before, after = old.get("additionalProperties"), new.get("additionalProperties")
    if _closed(before) and not _closed(after):
        return [site.finding(
            "additional_properties.opened", "additionalProperties", READERS, Bump.MAJOR,
            "the object was opened: new payloads may carry keys the old schema rejects",
            old=False, new=True if after is None else after,
        )]
    if _closed(after) and not _closed(before):
        return [site.finding(
            "additional_properties.closed", "additionalProperties", WRITERS, Bump.MAJOR,
            "the object was closed: stored payloads with extra keys are rejected",
            old=True if before is None else before, new=False,
        )]
    if _closed(before):
        return []
    return walk(before or {}, after or {},
                site.child(("additionalProperties",), Step.ANY_PROPERTY))


def _pattern_properties(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    before, after = old.get("patternProperties", {}), new.get("patternProperties", {})
    found: list[Finding] = []
    for pattern in sorted(set(before) | set(after)):
        if pattern in before and pattern in after:
            found += walk(before[pattern], after[pattern],
                          site.child(("patternProperties", pattern), Step.ANY_PROPERTY))
        else:
            found.append(site.child(("patternProperties",)).finding(
                "unclassified", pattern, BOTH, Bump.MAJOR,
                "a patternProperties entry was added or removed: counted as breaking",
                old=before.get(pattern, ABSENT), new=after.get(pattern, ABSENT),
            ))
    return found


def _prefix_items(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    before, after = old.get("prefixItems", []), new.get("prefixItems", [])
    if len(before) != len(after):
        return [site.finding("unclassified", "prefixItems", BOTH, Bump.MAJOR,
                             "prefixItems changed length: counted as breaking",
                             old=before, new=after)]
    found: list[Finding] = []
    for index, (item_old, item_new) in enumerate(zip(before, after, strict=True)):
        found += walk(item_old, item_new, site.child(("prefixItems", str(index)), index))
    return found
