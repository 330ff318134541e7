"""Rules for objects: fields added, removed, made required or optional, closed or opened,
pattern-named members, ``unevaluatedProperties``, and the sub-schemas of members (walked
recursively).

A member is compared by what each schema says about *that key*: its ``properties`` entry and
every ``patternProperties`` entry whose pattern matches it, or ``additionalProperties`` when
neither names it. Directions come from containment (``old ⊆ new`` shows no writers break), decided
by the diff itself, never by equality.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT, same
from kpi_contract.review.finding import BOTH, NEITHER, READERS, WRITERS, Direction, Finding
from kpi_contract.review.keywords import IN_PLACE, Node, assertion_part, types_of
from kpi_contract.review.normalize import canonical_node, is_false
from kpi_contract.review.paths import Step
from kpi_contract.review.site import Site

Walk = Callable[[Node, Node, Site], list[Finding]]
HANDLED = frozenset({
    "properties", "required", "additionalProperties", "propertyNames", "patternProperties",
    "unevaluatedProperties",
})
OPTIONAL_MADE_REQUIRED = "payloads written under the old schema may omit it"
REQUIRED_MADE_OPTIONAL = (
    "readers built on the old schema rely on the key being present (the old generated model has "
    "no default for it) and kpis_v7 promises every key is always present"
)


def object_findings(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    """Members of objects, when both schemas admit objects."""
    if "enum" in old or "enum" in new or "object" not in types_of(old) & types_of(new):
        return []
    found = _key_vocabulary(walk(old.get("propertyNames", {}), new.get("propertyNames", {}),
                                 site.child(("propertyNames",), Step.PROPERTY_NAMES)))
    if _evaluation_differs(old, new):
        return found + _shared_members(old, new, site, walk) + _requirements(
            old, new, site, set()) + [_unit(old, new, site)]
    found += _properties(old, new, site, walk)
    found += _patterns(old, new, site, walk)
    found += _additional(old, new, site, walk, "additionalProperties")
    found += _additional(old, new, site, walk, "unevaluatedProperties")
    return found


def contained(walk: Walk, inner: Node, outer: Node) -> bool:
    """Whether every value ``inner`` accepts is accepted by ``outer``, as far as the rules can
    tell: comparing ``inner`` (old) with ``outer`` (new) presumes no writers break."""
    if is_false(inner) or not assertion_part(outer):
        return True
    return not any(Direction.WRITERS in f.breaks for f in walk(inner, outer, Site()))


def member_schema(node: Node, name: str) -> Node:
    """What ``node`` requires of the value of key ``name``: its ``properties`` entry and the
    ``patternProperties`` entries matching ``name``, or else ``additionalProperties``."""
    parts: list[Node] = [node["properties"][name]] if name in node.get("properties", {}) else []
    parts += [sub for pattern, sub in node.get("patternProperties", {}).items()
              if _matches(pattern, name)]
    if not parts:
        extra: Node = node.get("additionalProperties", {})
        return extra
    if len(parts) == 1:
        return parts[0]
    return canonical_node({"allOf": parts})


def _matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:  # the schema check rejects such patterns; be safe anyway
        return True


def _evaluation_differs(old: Node, new: Node) -> bool:
    """``unevaluatedProperties`` is in play and what it sees may differ between the versions:
    added or removed members, patterns, or changed in-place applicators."""
    if "unevaluatedProperties" not in old and "unevaluatedProperties" not in new:
        return False
    keys = ("additionalProperties", *sorted(IN_PLACE))
    return (set(old.get("properties", {})) != set(new.get("properties", {}))
            or set(old.get("patternProperties", {})) != set(new.get("patternProperties", {}))
            or any(not same(old.get(k), new.get(k)) for k in keys))


def _unit(old: Node, new: Node, site: Site) -> Finding:
    group = ("properties", "patternProperties", "additionalProperties", "unevaluatedProperties")
    return site.finding(
        "unclassified.node", None, BOTH, Bump.MAJOR,
        "members changed beside unevaluatedProperties, whose reach depends on them: the object "
        "is compared as one unit, counted as breaking",
        old={k: old[k] for k in group if k in old}, new={k: new[k] for k in group if k in new},
    )


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


def _shared_members(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    """Members both versions name: a change inside one never changes which keys are evaluated."""
    shared = set(old.get("properties", {})) & set(new.get("properties", {}))
    return [f for name in sorted(shared)
            for f in walk(old["properties"][name], new["properties"][name],
                          site.child(("properties", name), name))]


def _properties(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    old_members, new_members = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    found: list[Finding] = []
    for name in sorted(set(old_members) | set(new_members)):
        child = site.child(("properties", name), name)
        before, after = member_schema(old, name), member_schema(new, name)
        if name in old_members and name in new_members:
            found += walk(before, after, child)
            found += _required_change(site, name, name in old_required, name in new_required)
        elif name in new_members:
            found.append(_added(child, before, after, walk, required=name in new_required,
                                was_required=name in old_required))
        else:
            found.append(_removed(child, before, after, walk, required=name in old_required,
                                  still_required=name in new_required))
    return found + _requirements(old, new, site, set(old_members) | set(new_members))


def _requirements(old: Node, new: Node, site: Site, members: set[str]) -> list[Finding]:
    """``required`` changes for names no ``properties`` entry covers (on either side)."""
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    found: list[Finding] = []
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


def _directions(readers: bool, writers: bool) -> frozenset[Direction]:
    return (READERS if readers else NEITHER) | (WRITERS if writers else NEITHER)


def _added(child: Site, before: Node, member: Node, walk: Walk, *, required: bool,
           was_required: bool) -> Finding:
    """A key named by the new ``properties`` only; ``before`` is what the old schema required
    of that key (a covering pattern, ``additionalProperties``, or ``false`` when closed)."""
    readers = not contained(walk, member, before)
    writers = (required and not was_required) or not contained(walk, before, member)
    breaks = _directions(readers, writers)
    if required:
        return child.finding("property.added.required", None, breaks, Bump.MAJOR,
                             f"a required field was added: {OPTIONAL_MADE_REQUIRED}", new=member)
    if is_false(before):
        return child.finding(
            "property.added.optional", None, breaks, Bump.MINOR,
            "an optional field was added: tolerant readers ignore it, and old payloads never "
            "carry it (the object was closed), so the new reader reads it as null",
            new=member,
        )
    return child.finding(
        "property.added.optional", None, breaks, Bump.MAJOR,
        "an optional field was added to an open object (or under a pattern): stored payloads "
        "may already carry this key" + (" with values the new schema rejects" if writers else ""),
        old=before, new=member,
    )


def _removed(child: Site, member: Node, after: Node, walk: Walk, *, required: bool,
             still_required: bool) -> Finding:
    """A key named by the old ``properties`` only; ``after`` is what the new schema requires of
    it (a covering pattern, ``additionalProperties``, or ``false`` when closed)."""
    writers = not contained(walk, member, after)
    readers = (required and not still_required) or not contained(walk, after, member)
    kind = "required" if required else "optional"
    return child.finding(
        f"property.removed.{kind}", None, _directions(readers, writers), Bump.MAJOR,
        f"a{'' if required else 'n'} {kind} field was removed: readers lose a field they may "
        "depend on" + (", and stored payloads carrying it are rejected" if writers else ""),
        old=member, new=after if not is_false(after) else ABSENT,
    )


def _patterns(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    """Pattern-named members: an entry in both is walked; an entry added or removed is compared
    with what governed (or now governs) the keys it names."""
    before, after = old.get("patternProperties", {}), new.get("patternProperties", {})
    found: list[Finding] = []
    for pattern in sorted(set(before) | set(after)):
        child = site.child(("patternProperties", pattern), Step.ANY_PROPERTY)
        if pattern in before and pattern in after:
            found += walk(before[pattern], after[pattern], child)
            continue
        added = pattern in after
        alone = set(before if not added else after) == {pattern} and not (
            after if not added else before)
        other = new if not added else old
        rest: Node = other.get("additionalProperties", {})
        mine = after[pattern] if added else before[pattern]
        if alone:
            widens = not contained(walk, mine, rest) if added else not contained(walk, rest, mine)
            narrows = not contained(walk, rest, mine) if added else not contained(walk, mine, rest)
            breaks = _directions(widens, narrows)
        else:
            breaks = BOTH
        verb = "added" if added else "removed"
        found.append(child.finding(
            f"pattern_property.{verb}", None, breaks, Bump.MAJOR,
            f"a patternProperties entry was {verb}: keys matching {pattern!r} were governed by "
            f"{'additionalProperties' if added else 'this pattern'} and now by "
            f"{'this pattern' if added else 'additionalProperties'}"
            + ("" if alone else " (other patterns may name the same keys)"),
            old=ABSENT if added else mine, new=mine if added else ABSENT,
        ))
    return found


def _closed(extra: Any) -> bool:
    return isinstance(extra, dict) and is_false(extra)


def _additional(old: Node, new: Node, site: Site, walk: Walk, keyword: str) -> list[Finding]:
    """``additionalProperties`` (or a settled ``unevaluatedProperties``): what keys no member
    or pattern names may hold."""
    before, after = old.get(keyword), new.get(keyword)
    rule = "additional_properties" if keyword == "additionalProperties" else (
        "unevaluated_properties")
    if _closed(before) and not _closed(after):
        return [site.finding(
            f"{rule}.opened", keyword, READERS, Bump.MAJOR,
            "the object was opened: new payloads may carry keys the old schema rejects",
            old=False, new=True if after is None else after,
        )]
    if _closed(after) and not _closed(before):
        return [site.finding(
            f"{rule}.closed", keyword, WRITERS, Bump.MAJOR,
            "the object was closed: stored payloads with extra keys are rejected",
            old=True if before is None else before, new=False,
        )]
    if _closed(before):
        return []
    return walk(before or {}, after or {}, site.child((keyword,), Step.ANY_PROPERTY))

