"""Per-node simplifications of the normal form: each rewrites a schema object into one that
accepts exactly the same instances (and evaluates the same items and properties).

The rules, and why each is sound, are listed in ``docs/review-normal-form.md``; the functions
here carry the rule's number. Every function takes a node whose sub-schemas are already in
normal form and returns a new node; none looks outside the node, except through ``seen``: the
``unevaluated*`` keywords of enclosing objects that see what this node evaluates (rule W1).
"""

from __future__ import annotations

import re
from typing import Any

from kpi_contract.review.canonical import same
from kpi_contract.review.keywords import (
    ALL_TYPES,
    EVALUATES,
    FALSE,
    IN_PLACE,
    UNEVALUATED,
    Node,
    annotation_part,
    assertion_part,
    base_type,
)
from kpi_contract.review.regex_sample import matches_everything


def is_false(node: Node) -> bool:
    """The node rejects everything (``false``, ``{"not": {}}``, an empty enum)."""
    return assertion_part(node) == FALSE


def settle_unevaluated(node: Node) -> Node:
    """Rules U1-U4: ``unevaluated*`` that nothing else can reach becomes a plain keyword."""
    node = dict(node)
    in_place = bool(set(node) & IN_PLACE)
    if "unevaluatedProperties" in node:
        if "additionalProperties" in node:  # U1
            del node["unevaluatedProperties"]
        elif not in_place:  # U2
            node["additionalProperties"] = node.pop("unevaluatedProperties")
    if "unevaluatedItems" in node:
        if "items" in node:  # U3
            del node["unevaluatedItems"]
        elif not in_place and "contains" not in node:  # U4
            node["items"] = node.pop("unevaluatedItems")
    return node


def watchers(node: Node, seen: frozenset[str]) -> frozenset[str]:
    """Rule W1: the ``unevaluated*`` keywords that see what ``node`` evaluates: those of the
    enclosing objects that reach it through in-place applicators (``seen``) and its own."""
    return seen | (frozenset(node) & UNEVALUATED)


def evaluates_for(node: Node, watching: frozenset[str]) -> bool:
    """Whether ``node`` holds a keyword that marks items or properties evaluated for one of the
    ``watching`` keywords (an in-place applicator may hold one in its sub-schemas)."""
    if not watching:
        return False
    names = frozenset(assertion_part(node))
    return bool(names & IN_PLACE) or any(names & EVALUATES[w] for w in watching)


def drop_vacuous(node: Node, seen: frozenset[str] = frozenset()) -> Node:
    """Rules V1-V9: keywords that cannot reject anything (in this node) are dropped, unless they
    mark items or properties as evaluated for an ``unevaluated*`` that sees them (W1)."""
    node = dict(node)
    watching = watchers(node, seen)
    evaluating_items = "unevaluatedItems" in watching
    if "contains" not in node:  # V1
        node.pop("minContains", None)
        node.pop("maxContains", None)
    elif same(node.get("minContains"), 1):  # V2
        del node["minContains"]
    if ("contains" in node and same(node.get("minContains"), 0) and "maxContains" not in node
            and not evaluating_items):  # V3
        del node["contains"], node["minContains"]
    if "if" not in node:  # V4
        node.pop("then", None)
        node.pop("else", None)
    elif "then" not in node and "else" not in node and not watching:  # V5
        del node["if"]
    if isinstance(node.get("pattern"), str) and matches_everything(node["pattern"]):  # V6
        del node["pattern"]
    if isinstance(node.get("not"), dict) and is_false(node["not"]):  # V7
        del node["not"]
    for name, empty in (("dependentSchemas", {}), ("dependentRequired", [])):  # V8
        entries = node.get(name)
        if isinstance(entries, dict):
            kept = {k: v for k, v in entries.items() if not same(v, empty)}
            if kept:
                node[name] = kept
            else:
                del node[name]
    return _trim_prefix(node, evaluating_items)  # V9


def _trim_prefix(node: Node, evaluating_items: bool) -> Node:
    """Rule V9. Entries past ``maxItems`` never meet an item of a passing array; trailing entries
    equal to ``items`` are dropped only where they evaluate nothing more than ``items`` would:
    when ``items`` is written, or when no ``unevaluatedItems`` sees the positions."""
    prefix = node.get("prefixItems")
    if not isinstance(prefix, list):
        return node
    prefix = list(prefix)
    longest = node.get("maxItems")
    if isinstance(longest, int) and not isinstance(longest, bool):
        prefix = prefix[:longest]
        if len(prefix) >= longest:
            node.pop("items", None)
    if "items" in node or not evaluating_items:
        rest = node.get("items", {})
        while prefix and same(prefix[-1], rest):
            prefix.pop()
    if prefix:
        node["prefixItems"] = prefix
    else:
        node.pop("prefixItems", None)
    return node


def rejects_all(node: Node) -> bool:
    """Rule F1: ``not: {}`` (``not`` of a schema without assertions) rejects everything."""
    inner = node.get("not")
    return isinstance(inner, dict) and not assertion_part(inner)


def drop_false_branches(node: Node) -> Node:
    """Rules F2-F3: a ``false`` branch of ``anyOf``/``oneOf`` never matches; in ``allOf`` it
    makes the whole node ``false``."""
    node = dict(node)
    if any(is_false(b) for b in node.get("allOf", [])):
        return {**annotation_part(node), **FALSE}
    for name in ("anyOf", "oneOf"):
        branches = node.get(name)
        if not isinstance(branches, list):
            continue
        kept = [b for b in branches if not is_false(b)]
        if not kept:
            return {**annotation_part(node), **FALSE}
        node[name] = kept
    return node


def satisfiable_types(node: Node) -> Node:
    """Rule T2: a type whose own keywords contradict each other admits no value: it is dropped
    from ``type`` (``false`` when none is left)."""
    declared = node.get("type")
    types = set(ALL_TYPES) if declared is None else set(declared)
    dead = {t for t in types if _contradicts(node, base_type(t))}
    if not dead:
        return node
    alive = sorted(types - dead)
    if not alive:
        return {**annotation_part(node), **FALSE}
    return {**node, "type": alive}


def _contradicts(node: Node, group: str) -> bool:
    if group == "number":
        return _empty_range(node)
    if group == "string":
        return _above(node.get("minLength"), node.get("maxLength"))
    if group == "array":
        low = node.get("minContains", 1) if "contains" in node else 0
        return _above(node.get("minItems"), node.get("maxItems")) or (
            "contains" in node and (_above(low, node.get("maxContains"))
                                    or _above(low, node.get("maxItems"))))
    if group == "object":
        required = node.get("required", [])
        return _above(node.get("minProperties"), node.get("maxProperties")) or _above(
            len(required), node.get("maxProperties")) or any(
            _member_false(node, name) for name in required)
    return False


def _above(low: Any, high: Any) -> bool:
    return _number(low) and _number(high) and low > high


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _empty_range(node: Node) -> bool:
    lows = [(node[k], k == "exclusiveMinimum") for k in ("minimum", "exclusiveMinimum")
            if _number(node.get(k))]
    highs = [(node[k], k == "exclusiveMaximum") for k in ("maximum", "exclusiveMaximum")
             if _number(node.get(k))]
    for low, low_open in lows:
        for high, high_open in highs:
            if low > high or (low == high and (low_open or high_open)):
                return True
    return False


def _member_false(node: Node, name: str) -> bool:
    """The only schema an object's member ``name`` may satisfy is ``false``."""
    members = node.get("properties", {})
    if name in members:
        return is_false(members[name])
    patterns = node.get("patternProperties", {})
    found = [(_search(p, name), s) for p, s in patterns.items()]
    if any(hit is None for hit, _ in found):
        return False
    matching = [s for hit, s in found if hit]
    if matching:
        return any(is_false(s) for s in matching)
    extra = node.get("additionalProperties")
    return isinstance(extra, dict) and is_false(extra)


def _search(pattern: str, name: str) -> bool | None:
    """Whether ``pattern`` matches ``name``; None when Python cannot read the pattern."""
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return None
