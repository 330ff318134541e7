"""Rules for annotations: a changed description is a patch, a changed unit is a new major."""

from __future__ import annotations

from typing import Any

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT, same
from kpi_contract.review.finding import BOTH, NEITHER, Evidence, Finding
from kpi_contract.review.keywords import SHADOWED, UNIT, Node, annotation_part
from kpi_contract.review.site import Site

UNIT_REASON = (
    "the unit changed: the same number now means something else to every reader and in every "
    "stored payload, and no payload can show it"
)


def annotation_findings(old: Node, new: Node, site: Site) -> list[Finding]:
    """``annotation.changed`` (patch) and ``unit.changed`` (major) for this node's annotations."""
    found: list[Finding] = []
    old_notes, new_notes = annotation_part(old), annotation_part(new)
    for name in sorted((set(old_notes) | set(new_notes)) - {SHADOWED}):
        found += _compare(site, name, old_notes.get(name, ABSENT), new_notes.get(name, ABSENT), "")
    old_hidden, new_hidden = old.get(SHADOWED, {}), new.get(SHADOWED, {})
    for name in sorted(set(old_hidden) | set(new_hidden)):
        found += _compare(
            site, name, old_hidden.get(name, ABSENT), new_hidden.get(name, ABSENT),
            " (of a referenced or merged sub-schema)",
        )
    return found


def _compare(site: Site, name: str, old: Any, new: Any, where: str) -> list[Finding]:
    if old is not ABSENT and new is not ABSENT and same(old, new):
        return []
    if old is ABSENT and new is ABSENT:
        return []
    if name == UNIT:
        return [site.finding(
            "unit.changed", name, BOTH, Bump.MAJOR, UNIT_REASON + where,
            old=old, new=new, evidence=Evidence.MEANING,
        )]
    return [site.finding(
        "annotation.changed", name, NEITHER, Bump.PATCH,
        f"annotation only{where}: no payload is accepted or rejected differently",
        old=old, new=new, evidence=Evidence.NONE,
    )]
