"""Rules for limits on a value: numeric bounds, lengths and sizes, ``format`` and ``pattern``."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT
from kpi_contract.review.finding import BOTH, READERS, WRITERS, Finding
from kpi_contract.review.keywords import Node, admits, types_of
from kpi_contract.review.site import Site

TIGHTENED = "tightened: payloads valid under the old schema may fall outside the new bound"
RELAXED = "relaxed: new payloads may fall outside the bound old readers check"
_SIZES = {
    "string": (("minLength", "maxLength"),),
    "array": (("minItems", "maxItems"),),
    "object": (("minProperties", "maxProperties"),),
}
HANDLED = frozenset({
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
    "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "uniqueItems",
    "format", "pattern",
})


class _Bound(NamedTuple):
    value: Any
    exclusive: bool
    keyword: str


def bound_findings(old: Node, new: Node, site: Site) -> list[Finding]:
    """``bound.*``, ``format.*`` and ``pattern.*`` for the types both schemas admit.

    A vocabulary (``enum``) on either side already says everything: its rule reports it.
    """
    if "enum" in old or "enum" in new:
        return []
    both = types_of(old) & types_of(new) | {
        t for t in ("number", "integer") if admits(types_of(old), t) and admits(types_of(new), t)
    }
    found: list[Finding] = []
    if admits(frozenset(both), "number"):
        found += _range(old, new, site)
        found += _multiple(old, new, site)
    for group, pairs in _SIZES.items():
        if group in both:
            for low, high in pairs:
                found += _size(old, new, site, low, lower=True)
                found += _size(old, new, site, high, lower=False)
    if "array" in both and bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
        tightened = bool(new.get("uniqueItems"))
        found.append(_verdict(site, "uniqueItems", tightened, old.get("uniqueItems", ABSENT),
                              new.get("uniqueItems", ABSENT)))
    if "string" in both:
        found += _assertion(old, new, site, "format")
        found += _assertion(old, new, site, "pattern")
    return found


def _verdict(site: Site, keyword: str, tightened: bool, old: Any, new: Any) -> Finding:
    if tightened:
        return site.finding("bound.tightened", keyword, WRITERS, Bump.MAJOR,
                            f"{keyword} {TIGHTENED}", old=old, new=new)
    return site.finding("bound.relaxed", keyword, READERS, Bump.MAJOR,
                        f"{keyword} {RELAXED}", old=old, new=new)


def _tightest(node: Node, inclusive: str, exclusive: str, lower: bool) -> _Bound | None:
    bounds = [_Bound(node[k], k == exclusive, k) for k in (inclusive, exclusive) if k in node]
    if not bounds:
        return None
    if lower:
        return max(bounds, key=lambda b: (b.value, b.exclusive))
    return min(bounds, key=lambda b: (b.value, not b.exclusive))


def _rank(bound: _Bound | None) -> tuple[Any, bool] | None:
    return None if bound is None else (bound.value, bound.exclusive)


def _range(old: Node, new: Node, site: Site) -> list[Finding]:
    found: list[Finding] = []
    for lower, inclusive, exclusive in (
        (True, "minimum", "exclusiveMinimum"), (False, "maximum", "exclusiveMaximum"),
    ):
        before = _tightest(old, inclusive, exclusive, lower)
        after = _tightest(new, inclusive, exclusive, lower)
        if _rank(before) == _rank(after):
            continue
        if after is None or before is None:
            tightened = before is None
        else:
            sign = 1 if lower else -1
            tightened = (sign * after.value, after.exclusive) > (
                sign * before.value, before.exclusive)
        keyword = after.keyword if after is not None else inclusive if before is None else (
            before.keyword)
        if before is not None and after is not None and before.keyword == after.keyword:
            shown_old: Any = before.value
            shown_new: Any = after.value
        else:
            shown_old = ABSENT if before is None else {before.keyword: before.value}
            shown_new = ABSENT if after is None else {after.keyword: after.value}
        found.append(_verdict(site, keyword, tightened, shown_old, shown_new))
    return found


def _multiple(old: Node, new: Node, site: Site) -> list[Finding]:
    before, after = old.get("multipleOf"), new.get("multipleOf")
    if before == after:
        return []
    if before is None or after is None:
        return [_verdict(site, "multipleOf", before is None, old.get("multipleOf", ABSENT),
                         new.get("multipleOf", ABSENT))]
    ratio = Fraction(str(after)) / Fraction(str(before))
    if ratio.denominator == 1:
        return [_verdict(site, "multipleOf", True, before, after)]
    if ratio.numerator == 1:
        return [_verdict(site, "multipleOf", False, before, after)]
    return [site.finding(
        "bound.changed", "multipleOf", BOTH, Bump.MAJOR,
        "multipleOf changed to an incomparable step: both old and new values fall outside",
        old=before, new=after,
    )]


def _size(old: Node, new: Node, site: Site, keyword: str, *, lower: bool) -> list[Finding]:
    before, after = old.get(keyword), new.get(keyword)
    if before == after:
        return []
    if lower:
        tightened = (after or 0) > (before or 0)
    else:
        tightened = before is None or (after is not None and after < before)
    return [_verdict(site, keyword, tightened, old.get(keyword, ABSENT),
                     new.get(keyword, ABSENT))]


def _assertion(old: Node, new: Node, site: Site, keyword: str) -> list[Finding]:
    before, after = old.get(keyword, ABSENT), new.get(keyword, ABSENT)
    if before == after:
        return []
    if before is ABSENT:
        return [site.finding(f"{keyword}.added", keyword, WRITERS, Bump.MAJOR,
                             f"a {keyword} was added: old payloads may not satisfy it", new=after)]
    if after is ABSENT:
        return [site.finding(f"{keyword}.removed", keyword, READERS, Bump.MAJOR,
                             f"the {keyword} was removed: new payloads may break old readers' "
                             "assumption", old=before)]
    return [site.finding(f"{keyword}.changed", keyword, BOTH, Bump.MAJOR,
                         f"the {keyword} changed: values valid under one may be invalid under "
                         "the other", old=before, new=after)]
