"""Rules for keywords that add or remove whole conditions: ``not``, ``dependentSchemas`` and
``dependentRequired``.

Adding a condition to a schema can only narrow it (writers), removing one can only widen it
(readers). A changed ``not`` breaks in the directions its inner schema breaks *the other way
round*: ``not A`` -> ``not B`` newly accepts what ``A`` accepts and ``B`` rejects, which is
exactly a readers break of ``B`` -> ``A``. So the inner schemas are compared swapped and the
directions kept.
"""

from __future__ import annotations

from collections.abc import Callable

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT, same
from kpi_contract.review.finding import READERS, WRITERS, Direction, Finding
from kpi_contract.review.keywords import Node, types_of
from kpi_contract.review.site import Site

Walk = Callable[[Node, Node, Site], list[Finding]]
HANDLED = frozenset({"not", "dependentSchemas", "dependentRequired"})


def logic_findings(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    """``not.*``, ``dependent_schema.*`` and ``dependent_required.*`` findings."""
    found = _not(old, new, site, walk)
    if "enum" not in old and "enum" not in new and "object" in types_of(old) & types_of(new):
        found += _dependent_schemas(old, new, site, walk)
        found += _dependent_required(old, new, site)
    return found


def _claims(findings: list[Finding]) -> frozenset[Direction]:
    return frozenset(d for f in findings for d in f.breaks)


def _not(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    before, after = old.get("not"), new.get("not")
    if before is None and after is None:
        return []
    if before is None or after is None:
        added = before is None
        return [site.finding(
            "not.added" if added else "not.removed", "not", WRITERS if added else READERS,
            Bump.MAJOR,
            "a not condition was added: stored payloads may match what it excludes" if added
            else "the not condition was removed: new payloads may hold what it excluded",
            old=ABSENT if added else before, new=after if added else ABSENT,
        )]
    if same(before, after):
        return []
    child = site.child(("not",))
    claimed = _claims(walk(after, before, child))
    if not claimed:
        return walk(before, after, child)
    return [site.finding(
        "not.changed", "not", claimed, Bump.MAJOR,
        "the excluded schema changed: "
        + ("it excludes less (new payloads may hold values old readers reject)"
           if claimed == READERS else
           "it excludes more (stored payloads may be rejected)" if claimed == WRITERS else
           "it excludes other values"),
        old=before, new=after,
    )]


def _dependent_schemas(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    before, after = old.get("dependentSchemas", {}), new.get("dependentSchemas", {})
    found: list[Finding] = []
    for name in sorted(set(before) | set(after)):
        child = site.child(("dependentSchemas", name))
        if name not in before or name not in after:
            added = name not in before
            found.append(child.finding(
                "dependent_schema.added" if added else "dependent_schema.removed", None,
                WRITERS if added else READERS, Bump.MAJOR,
                f"objects holding {name!r} must now also satisfy a schema" if added
                else f"objects holding {name!r} no longer have to satisfy a schema",
                old=ABSENT if added else before[name], new=after[name] if added else ABSENT,
            ))
            continue
        if same(before[name], after[name]):
            continue
        inner = walk(before[name], after[name], child)
        claimed = _claims(inner)
        if not claimed:
            found += inner
            continue
        found.append(child.finding(
            "dependent_schema.changed", None, claimed, Bump.MAJOR,
            f"the schema objects holding {name!r} must satisfy changed",
            old=before[name], new=after[name],
        ))
    return found


def _dependent_required(old: Node, new: Node, site: Site) -> list[Finding]:
    before, after = old.get("dependentRequired", {}), new.get("dependentRequired", {})
    found: list[Finding] = []
    for name in sorted(set(before) | set(after)):
        old_names, new_names = set(before.get(name, [])), set(after.get(name, []))
        child = site.child(("dependentRequired", name))
        if new_names - old_names:
            found.append(child.finding(
                "dependent_required.added", None, WRITERS, Bump.MAJOR,
                f"objects holding {name!r} must now also hold "
                f"{', '.join(sorted(new_names - old_names))}: stored payloads may not",
                old=before.get(name, ABSENT), new=after.get(name, ABSENT),
            ))
        if old_names - new_names:
            found.append(child.finding(
                "dependent_required.removed", None, READERS, Bump.MAJOR,
                f"objects holding {name!r} no longer have to hold "
                f"{', '.join(sorted(old_names - new_names))}: old readers rely on them",
                old=before.get(name, ABSENT), new=after.get(name, ABSENT),
            ))
    return found
