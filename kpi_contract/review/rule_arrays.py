"""Rules for arrays: each item position (``prefixItems`` entry or ``items``), the items after
the prefix, ``contains`` with ``minContains``/``maxContains``, and ``unevaluatedItems``.

Positions are compared one by one, each with the schema that governs it on each side (a prefix
entry, else ``items``), so a prefix that grows or shrinks without changing any position's schema
is no change (the normal form already drops such entries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpi_contract.review.bump import Bump
from kpi_contract.review.candidates import item_schema
from kpi_contract.review.canonical import ABSENT, same
from kpi_contract.review.finding import BOTH, READERS, WRITERS, Direction, Finding
from kpi_contract.review.keywords import IN_PLACE, Node, types_of
from kpi_contract.review.paths import Step
from kpi_contract.review.site import Site

Walk = Callable[[Node, Node, Site], list[Finding]]
HANDLED = frozenset({
    "items", "prefixItems", "contains", "minContains", "maxContains", "unevaluatedItems",
})
TIGHTENED = "tightened: payloads valid under the old schema may fall outside the new bound"
RELAXED = "relaxed: new payloads may fall outside the bound old readers check"


def array_findings(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    """Positions, ``contains`` and ``unevaluatedItems``, when both schemas admit arrays."""
    if "enum" in old or "enum" in new or "array" not in types_of(old) & types_of(new):
        return []
    if _evaluation_differs(old, new):
        return [_unit(old, new, site)]
    found = _positions(old, new, site, walk)
    found += _contains(old, new, site, walk)
    found += walk(old.get("unevaluatedItems", {}), new.get("unevaluatedItems", {}),
                  site.child(("unevaluatedItems",), Step.ANY_ITEM))
    return found


def _evaluation_differs(old: Node, new: Node) -> bool:
    """``unevaluatedItems`` is in play and what it sees may differ: the prefix length,
    ``items``, ``contains`` or the in-place applicators changed."""
    if "unevaluatedItems" not in old and "unevaluatedItems" not in new:
        return False
    keys = ("items", "contains", *sorted(IN_PLACE))
    return len(old.get("prefixItems", [])) != len(new.get("prefixItems", [])) or any(
        not same(old.get(k), new.get(k)) for k in keys)


def _unit(old: Node, new: Node, site: Site) -> Finding:
    group = ("prefixItems", "items", "contains", "minContains", "maxContains",
             "unevaluatedItems")
    return site.finding(
        "unclassified.node", None, BOTH, Bump.MAJOR,
        "items changed beside unevaluatedItems, whose reach depends on them: the array is "
        "compared as one unit, counted as breaking",
        old={k: old[k] for k in group if k in old}, new={k: new[k] for k in group if k in new},
    )


def _positions(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    """Each prefix position against the schema governing it on the other side, then the rest."""
    length = max(len(old.get("prefixItems", [])), len(new.get("prefixItems", [])))
    found: list[Finding] = []
    for index in range(length):
        found += walk(item_schema(old, index), item_schema(new, index),
                      site.child(("prefixItems", str(index)), index))
    found += walk(old.get("items", {}), new.get("items", {}),
                  site.child(("items",), Step.ANY_ITEM))
    return found


def _contains(old: Node, new: Node, site: Site, walk: Walk) -> list[Finding]:
    before, after = old.get("contains"), new.get("contains")
    if before is None and after is None:
        return []
    if before is None or after is None:
        added = before is None
        group = {k: (new if added else old)[k] for k in ("contains", "minContains", "maxContains")
                 if k in (new if added else old)}
        return [site.finding(
            "contains.added" if added else "contains.removed", "contains",
            WRITERS if added else READERS, Bump.MAJOR,
            "a contains requirement was added: stored arrays may hold no matching item"
            if added else "the contains requirement was removed: new arrays may hold no item "
            "old readers look for", old=ABSENT if added else group, new=group if added else ABSENT,
        )]
    found = _count(old, new, site, "minContains", 1, lower=True)
    found += _count(old, new, site, "maxContains", None, lower=False)
    if same(before, after):
        return found
    inner = walk(before, after, site.child(("contains",), Step.ANY_ITEM))
    claimed = frozenset(d for f in inner for d in f.breaks)
    if "maxContains" in old or "maxContains" in new:
        claimed = BOTH if claimed else claimed
    if not claimed:
        return found + inner
    return [*found, site.finding(
        "contains.changed", "contains", claimed, Bump.MAJOR,
        "the schema contains looks for changed: "
        + ("arrays may now have more or fewer matching items" if claimed == BOTH else
           "more arrays have a matching item" if Direction.READERS in claimed else
           "fewer arrays have a matching item"),
        old=before, new=after,
    )]


def _count(old: Node, new: Node, site: Site, keyword: str, default: Any, *, lower: bool
           ) -> list[Finding]:
    """``minContains`` / ``maxContains`` as bounds on the number of matching items."""
    before, after = old.get(keyword, default), new.get(keyword, default)
    if same(before, after):
        return []
    tightened = bool(after > before) if lower else (
        before is None or (after is not None and after < before))
    shown_old = old.get(keyword, ABSENT)
    shown_new = new.get(keyword, ABSENT)
    if tightened:
        return [site.finding("bound.tightened", keyword, WRITERS, Bump.MAJOR,
                             f"{keyword} {TIGHTENED}", old=shown_old, new=shown_new)]
    return [site.finding("bound.relaxed", keyword, READERS, Bump.MAJOR,
                         f"{keyword} {RELAXED}", old=shown_old, new=shown_new)]
