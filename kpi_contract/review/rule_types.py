"""Rules for what kind of value a location holds: ``type`` (null included) and ``enum``."""

from __future__ import annotations

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT, key
from kpi_contract.review.finding import READERS, WRITERS, Finding
from kpi_contract.review.keywords import Node, covers, types_of
from kpi_contract.review.normalize import accepts
from kpi_contract.review.site import Site

WIDER = "new payloads may hold values the old schema rejects"
NARROWER = "payloads valid under the old schema may hold values the new schema rejects"


def type_findings(old: Node, new: Node, site: Site) -> list[Finding]:
    """Enum values added or removed, vocabularies opened or closed, types widened or narrowed.

    Where a vocabulary appears or disappears, the values one side lists and the other rejects
    are reported too (``enum.value_added`` / ``enum.value_removed``).
    """
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if isinstance(old_enum, list) and isinstance(new_enum, list):
        return _enum_values(old_enum, new_enum, site)
    if isinstance(old_enum, list):
        return [site.finding(
            "enum.removed", "enum", READERS, Bump.MAJOR,
            f"the closed vocabulary was removed: {WIDER}", old=old_enum,
        ), *_enum_values(old_enum, [v for v in old_enum if accepts(new, v)], site)]
    if isinstance(new_enum, list):
        return [site.finding(
            "enum.added", "enum", WRITERS, Bump.MAJOR,
            f"a closed vocabulary was introduced: {NARROWER}", new=new_enum,
        ), *_enum_values([v for v in new_enum if accepts(old, v)], new_enum, site)]
    found: list[Finding] = []
    old_types, new_types = types_of(old), types_of(new)
    added = sorted(t for t in new_types if not covers(old_types, t))
    removed = sorted(t for t in old_types if not covers(new_types, t))
    shown_old = sorted(old_types) if not old_types or "type" in old else ABSENT
    shown_new = sorted(new_types) if not new_types or "type" in new else ABSENT
    if "null" in added:
        found.append(site.finding(
            "nullable.added", "type", READERS, Bump.MAJOR,
            "null is now allowed: readers that never saw null here receive it",
            old=shown_old, new=shown_new,
        ))
    if [t for t in added if t != "null"]:
        found.append(site.finding(
            "type.widened", "type", READERS, Bump.MAJOR,
            f"type widened by {', '.join(t for t in added if t != 'null')}: {WIDER}",
            old=shown_old, new=shown_new,
        ))
    if "null" in removed:
        found.append(site.finding(
            "nullable.removed", "type", WRITERS, Bump.MAJOR,
            "null is no longer allowed: stored payloads holding null here are rejected",
            old=shown_old, new=shown_new,
        ))
    if [t for t in removed if t != "null"]:
        found.append(site.finding(
            "type.narrowed", "type", WRITERS, Bump.MAJOR,
            f"type narrowed by {', '.join(t for t in removed if t != 'null')}: {NARROWER}",
            old=shown_old, new=shown_new,
        ))
    return found


def _enum_values(old_enum: list[object], new_enum: list[object], site: Site) -> list[Finding]:
    old_values = {key(v): v for v in old_enum}
    new_values = {key(v): v for v in new_enum}
    found: list[Finding] = []
    for text in sorted(set(new_values) - set(old_values)):
        value = new_values[text]
        null = value is None
        found.append(site.finding(
            "nullable.added" if null else "enum.value_added", "enum", READERS, Bump.MAJOR,
            f"{text} is a new value: readers built on the old vocabulary reject or misread it",
            new=value,
        ))
    for text in sorted(set(old_values) - set(new_values)):
        value = old_values[text]
        null = value is None
        found.append(site.finding(
            "nullable.removed" if null else "enum.value_removed", "enum", WRITERS, Bump.MAJOR,
            f"{text} is no longer allowed: stored payloads holding it are rejected",
            old=value,
        ))
    return found
