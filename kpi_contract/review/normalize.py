"""The normal form of a schema: equivalent spellings become one spelling.

The review diffs normal forms, so a refactor that keeps the meaning reports no change, and a
normal form accepts exactly what its schema accepts, so no change is hidden:

- local ``$ref`` is inlined (a sibling's annotations win over the target's; a cycle that goes
  down into the payload, such as a tree's ``properties`` or ``items`` leading back to the tree,
  becomes a marker instead of being unrolled; a cycle that never leaves the instance it started
  on, through ``$ref`` and in-place applicators only, is refused: see ``_Normalizer.resolve``);
- ``allOf`` branches, ``$ref`` targets and type-disjoint ``anyOf`` / ``oneOf`` branches merge
  into their node only where the keywords are independent; interacting groups (``contains`` /
  ``minContains`` / ``maxContains``, ``if`` / ``then`` / ``else``, ``prefixItems`` / ``items``,
  ``properties`` / ``patternProperties`` / ``additionalProperties``, ``unevaluated*``) are never
  pulled apart, and what cannot be merged stays, branches sorted;
- keywords that cannot reject anything, keywords at their default and keywords of types the node
  does not admit are dropped; ``const`` is a one-value ``enum``; sets are sorted;
- except where an ``unevaluated*`` keyword sees the node (its own, or an enclosing object's reached
  through in-place applicators: ``allOf``/``anyOf``/``oneOf``/``if``/``then``/``else``/
  ``dependentSchemas``/``$ref``): there a keyword that marks items or properties as evaluated is
  never dropped, even at its default (rule W1), so the walk passes that context down.

Every rule, with the reason it is sound: ``docs/review-normal-form.md``. The result is itself a
valid 2020-12 schema without references.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from kpi_contract.review.canonical import canon, json_type, key, same, unique_sorted
from kpi_contract.review.keywords import (
    ALL_TYPES,
    FALSE,
    GROUPS,
    KEYWORD_GROUP,
    REACHING,
    RECURSIVE,
    SCHEMA_LISTS,
    SCHEMA_MAPS,
    SCHEMA_ONE,
    SHADOWED,
    TYPE_KEYWORDS,
    UNEVALUATED,
    Node,
    annotation_part,
    assertion_part,
    base_type,
)
from kpi_contract.review.paths import pointer, pointer_tokens
from kpi_contract.review.simplify import (
    drop_false_branches,
    drop_vacuous,
    evaluates_for,
    is_false,
    rejects_all,
    satisfiable_types,
    settle_unevaluated,
    watchers,
)

__all__ = ["DIALECT", "UnsupportedSchemaError", "accepts", "canonical_node", "conjoin",
           "is_false", "merge_annotations", "normalize"]

_DEFAULTS: dict[str, Any] = {
    "additionalProperties": {}, "items": {}, "propertyNames": {}, "unevaluatedItems": {},
    "unevaluatedProperties": {}, "properties": {}, "patternProperties": {},
    "dependentSchemas": {}, "dependentRequired": {}, "required": [], "minLength": 0,
    "minItems": 0, "minProperties": 0, "uniqueItems": False, "allOf": [],
}
_EVALUATING = {
    "items": "unevaluatedItems", "unevaluatedItems": "unevaluatedItems",
    "additionalProperties": "unevaluatedProperties",
    "unevaluatedProperties": "unevaluatedProperties",
}
"""Defaults that still evaluate every remaining item or property, and the ``unevaluated*`` that
would see it (rule W1): such a default is kept wherever that keyword sees the node."""
NOTHING_SEEN: frozenset[str] = frozenset()
_MAPS = frozenset({"properties", "patternProperties"})
_CONTAINERS = frozenset({"$defs", "definitions"})
_SAME_INSTANCE = frozenset({
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas",
})
"""Applicators whose sub-schemas apply to the very instance their schema applies to (with
``$ref``): a ``$ref`` cycle through these alone never reaches a smaller instance, so no validator
can finish it. Every other sub-schema keyword goes down into the payload (an item, a property
value, a property name) or is never applied (``contentSchema``)."""
MAX_NESTING = 64
"""Most schemas the normaliser walks inside one another, counting through ``$ref``: deeper is
refused (``UnsupportedSchemaError``), so a long ``$ref`` chain is one line, not a stack overflow
here or in the validators that evaluate the same chains later. A schema without references is
at most 63 deep (the JSON reader's 64 levels); today's schema is 7."""
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class UnsupportedSchemaError(Exception):
    """The schema uses something the review cannot normalise (a remote ``$ref``, an anchor)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where or '/'}: {message}")


def normalize(document: Any) -> Node:
    """The normal form of a whole schema document (its root ``$id`` left out).

    ``$schema`` naming draft 2020-12 is dropped too: it is the only dialect the review reads, so
    saying it or not means the same.
    """
    node = _Normalizer(document).node(document, [])
    node.pop("$id", None)
    if node.get("$schema") == DIALECT:
        del node["$schema"]
    return node


class _Normalizer:
    def __init__(self, document: Any) -> None:
        self.document = document
        declared = document.get("$id") if isinstance(document, dict) else None
        self.base = declared.split("#")[0] if isinstance(declared, str) else None
        self.resolving: list[tuple[str, int]] = []
        """The fragments being resolved, outermost first, each with ``self.descents`` when it
        was entered."""
        self.descents = 0
        """How many sub-schema keywords that go down into the payload enclose the current node."""
        self.nesting = 0

    def node(self, schema: Any, where: list[str], seen: frozenset[str] = NOTHING_SEEN) -> Node:
        """The normal form of ``schema``; ``seen`` names the ``unevaluated*`` keywords of
        enclosing objects that see what it evaluates (rule W1)."""
        if schema is True:
            return {}
        if schema is False:
            return dict(FALSE)
        if not isinstance(schema, dict):
            raise UnsupportedSchemaError(pointer(where), "a schema must be an object or boolean")
        if self.nesting >= MAX_NESTING:
            raise UnsupportedSchemaError(
                pointer(where), f"schemas nested more than {MAX_NESTING} deep, counting through "
                f"$ref: the review follows at most {MAX_NESTING}"
            )
        self.nesting += 1
        try:
            return self._object(schema, where, seen)
        finally:
            self.nesting -= 1

    def _object(self, schema: dict[str, Any], where: list[str], seen: frozenset[str]) -> Node:
        here = watchers(schema, seen)  # W1: what this object's in-place sub-schemas are seen by
        own = {
            k: self.keyword(k, v, [*where, k], here if k in REACHING else NOTHING_SEEN)
            for k, v in schema.items()
            if k not in _CONTAINERS and k != "$ref"
        }
        ref = schema.get("$ref")
        if ref is not None:  # R1: the target is one more allOf branch, merged like the others
            target = self.resolve(ref, [*where, "$ref"], here)
            own["allOf"] = [*own.get("allOf", []), target]
        return canonical_node(own, seen)

    def keyword(self, name: str, value: Any, where: list[str], seen: frozenset[str]) -> Any:
        descends = name not in _SAME_INSTANCE
        self.descents += descends
        try:
            return self._keyword(name, value, where, seen)
        finally:
            self.descents -= descends

    def _keyword(self, name: str, value: Any, where: list[str], seen: frozenset[str]) -> Any:
        if name in SCHEMA_MAPS and isinstance(value, dict):
            return {k: self.node(v, [*where, k], seen) for k, v in value.items()}
        if name in SCHEMA_ONE:
            return self.node(value, where, seen)
        if name in SCHEMA_LISTS and isinstance(value, list):
            return [self.node(v, [*where, str(i)], seen) for i, v in enumerate(value)]
        return canon(value)

    def resolve(self, ref: Any, where: list[str], seen: frozenset[str]) -> Node:
        """The normal form of the schema ``ref`` points to, or the cycle marker.

        A ``$ref`` back to a schema being resolved is a cycle. When the way round goes down into
        the payload at least once (a tree: ``properties`` or ``items`` leading back), it
        describes finite payloads and becomes the marker. When it never does (``$ref``,
        ``allOf``, ``anyOf``, ``oneOf``, ``not``, ``if``/``then``/``else``,
        ``dependentSchemas`` only), evaluating it never ends: JSON Schema core (2020-12, on
        references: two schemas whose ``allOf`` refer to each other) calls the behaviour of such
        schemas undefined, and python-jsonschema recurses until Python gives up. It is refused
        here, naming the ``$ref`` that closes the loop and the loop itself.
        """
        if not isinstance(ref, str):
            raise UnsupportedSchemaError(pointer(where), "$ref must be a string")
        if ref.startswith("#"):
            fragment = ref[1:]
        elif self.base is not None and ref.split("#")[0] == self.base:
            fragment = ref.partition("#")[2]
        else:
            raise UnsupportedSchemaError(
                pointer(where), f"$ref {ref!r} does not point into this document"
            )
        fragment = urllib.parse.unquote(fragment)
        try:
            tokens = pointer_tokens(fragment)
        except ValueError:
            raise UnsupportedSchemaError(
                pointer(where), f"$ref {ref!r}: only JSON-pointer fragments are supported"
            ) from None
        target: Any = self.document
        for token in tokens:
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                raise UnsupportedSchemaError(pointer(where), f"$ref {ref!r} points nowhere")
        if self._cycle(fragment, where):
            return {RECURSIVE: fragment}
        self.resolving.append((fragment, self.descents))
        try:
            return self.node(target, tokens, seen)
        finally:
            self.resolving.pop()

    def _cycle(self, fragment: str, where: list[str]) -> bool:
        """True when ``fragment`` is being resolved and the way back to it went down into the
        payload; UnsupportedSchemaError when it did not (see :meth:`resolve`)."""
        for depth in range(len(self.resolving) - 1, -1, -1):
            entered, descents = self.resolving[depth]
            if entered != fragment:
                continue
            if descents < self.descents:
                return True
            loop = " -> ".join(f"#{name}" for name, _ in [*self.resolving[depth:], (fragment, 0)])
            raise UnsupportedSchemaError(
                pointer(where), f"$ref cycle that never goes down into the payload ({loop}): "
                "no validator can finish evaluating it"
            )
        return False


def canonical_node(node: Node, seen: frozenset[str] = NOTHING_SEEN) -> Node:
    """Canonicalise one node whose sub-schemas are already in normal form (in the same
    ``seen`` context, for those reached through in-place applicators).

    ``seen`` names the ``unevaluated*`` keywords of enclosing objects that see what this node
    evaluates (``unevaluatedItems`` / ``unevaluatedProperties``; empty for a node no such
    keyword reaches). Every step keeps the set of accepted instances and, where an
    ``unevaluated*`` sees the node, the items and properties it marks as evaluated; the rules
    and the reason each is sound: ``docs/review-normal-form.md``.
    """
    node = dict(node)
    if "const" in node:
        const = node.pop("const")
        node["enum"] = [v for v in node.get("enum", [const]) if same(v, const)]
    if "type" in node:
        node = _canonical_type(node)
    if rejects_all(node):
        return {**annotation_part(node), **FALSE}
    node = _tidy(node, seen)
    node = drop_false_branches(node)
    if is_false(node):
        return node
    node = _merge_all_of(node)
    if rejects_all(node):
        return {**annotation_part(node), **FALSE}
    if "oneOf" in node and "anyOf" not in node and (
            len(node["oneOf"]) == 1 or _disjoint(node["oneOf"]) is not None):
        node["anyOf"] = node.pop("oneOf")
    node = _merge_any_of(node, seen)
    if rejects_all(node):
        return {**annotation_part(node), **FALSE}
    node = _tidy(node, seen)
    enumerated = isinstance(node.get("enum"), list) and RECURSIVE not in key(node)
    if enumerated and not evaluates_for(node, seen):
        node = _enum_form(node)
    else:
        if enumerated:  # W1: an enclosing unevaluated* sees the siblings, which stay
            node = _filter_enum(node)
        node = satisfiable_types(node)
        if "type" in node:
            node = _prune(node)
    return _sorted(node)


def _sorted(node: Node) -> Node:
    """Rule S1: keys, ``allOf``/``anyOf`` branch sets, and ``oneOf`` branches in canonical order
    (a repeated ``oneOf`` branch is kept: two matches fail)."""
    for name in ("allOf", "anyOf"):
        if name in node:
            node[name] = unique_sorted(node[name])
    if "oneOf" in node:
        node["oneOf"] = sorted(node["oneOf"], key=key)
    return dict(sorted(node.items()))


def _tidy(node: Node, seen: frozenset[str]) -> Node:
    """``unevaluated*`` settled, vacuous keywords and defaults dropped (rule D1; W1 keeps a
    default that still evaluates for an ``unevaluated*`` seeing it), sets sorted."""
    node = drop_vacuous(settle_unevaluated(node), seen)
    watching = watchers(node, seen)
    for name, default in _DEFAULTS.items():
        reader = _EVALUATING.get(name)
        kept = reader is not None and reader in (seen if name in UNEVALUATED else watching)
        if name in node and same(node[name], default) and not kept:
            del node[name]
    if isinstance(node.get("required"), list):
        node["required"] = sorted(set(node["required"]))
    return node


def conjoin(primary: Node, other: Node) -> Node | None:
    """``primary`` and ``other`` as one node, or None when their keywords would interact.

    Merge rules M1-M4 of ``docs/review-normal-form.md``: keywords present on one side only,
    or equal on both, are merged, unless they belong to a group of interacting keywords
    (:data:`~kpi_contract.review.keywords.GROUPS`) that both sides use differently, or either
    side uses ``unevaluated*``. ``primary``'s annotations win; the other's conflicting
    annotations are kept as shadowed.
    """
    left, right = assertion_part(primary), assertion_part(other)
    if (set(left) | set(right)) & UNEVALUATED:
        return None
    if "type" in left and "type" in right:
        both = _type_meet(left["type"], right["type"])
        if not both:
            return {**merge_annotations(primary, other), **FALSE}
        left, right = {**left, "type": both}, {**right, "type": both}
    if any(not same(left[k], right[k]) for k in set(left) & set(right) - _MAPS):
        return None
    for group in GROUPS:
        mine = {k: left[k] for k in group if k in left}
        theirs = {k: right[k] for k in group if k in right}
        if mine and theirs and not same(mine, theirs) and not (
                "properties" in group and _members_merge(mine, theirs)):
            return None
    merged = {**right, **left}
    for name in _MAPS & set(left) & set(right):
        merged[name] = {**right[name], **left[name]}
    merged.update(merge_annotations(primary, other))
    return merged


def _type_meet(left: list[str], right: list[str]) -> list[str]:
    """Rule M2: the types both lists admit (``integer`` where one says ``number``)."""
    found = {t for t in left if t in right}
    found |= {"integer" for a, b in ((left, right), (right, left))
              if "integer" in a and "number" in b}
    return sorted(found)


def _members_merge(mine: Node, theirs: Node) -> bool:
    """Rule M3: ``properties``/``patternProperties`` without ``additionalProperties`` on either
    side act key by key, so two sets of them merge when no key has two different schemas."""
    if "additionalProperties" in mine or "additionalProperties" in theirs:
        return False
    for name in ("properties", "patternProperties"):
        ours, others = mine.get(name, {}), theirs.get(name, {})
        if any(not same(ours[k], others[k]) for k in set(ours) & set(others)):
            return False
    return True


def merge_annotations(primary: Node, other: Node) -> Node:
    """The union of two nodes' annotations; ``primary`` wins, conflicts become shadowed."""
    out = {k: v for k, v in annotation_part(other).items() if k != SHADOWED}
    shadow: dict[str, list[Any]] = {}
    for source in (other, primary):
        for name, values in source.get(SHADOWED, {}).items():
            shadow.setdefault(name, []).extend(values)
    for name, value in annotation_part(primary).items():
        if name == SHADOWED:
            continue
        if name in out and not same(out[name], value):
            shadow.setdefault(name, []).append(out[name])
        out[name] = value
    if shadow:
        out[SHADOWED] = {k: unique_sorted(v) for k, v in sorted(shadow.items())}
    return out


def _canonical_type(node: Node) -> Node:
    """Rule T1: a sorted list, ``integer`` dropped beside ``number``, all types as no ``type``
    (``integer`` alone does not cover ``number``: 0.5 is not an integer)."""
    declared = node["type"]
    types = {declared} if isinstance(declared, str) else set(declared)
    if "number" in types:
        types.discard("integer")
    if types >= ALL_TYPES:
        del node["type"]
    else:
        node["type"] = sorted(types)
    return node


def _merge_all_of(node: Node) -> Node:
    """Rules M1-M5: ``allOf`` branches merge into their node where :func:`conjoin` allows."""
    branches = node.pop("allOf", None)
    if not isinstance(branches, list):
        return node
    pending = list(branches)
    rest = []
    while pending:
        branch = pending.pop(0)
        inner = branch.get("allOf")
        if isinstance(inner, list) and not set(branch) & UNEVALUATED:
            branch = {k: v for k, v in branch.items() if k != "allOf"}
            pending.extend(inner)
        merged = conjoin(node, branch)
        if merged is None:
            rest.append(branch)
        else:
            node = merged
    if rest:
        node["allOf"] = rest
    return node


def _merge_any_of(node: Node, seen: frozenset[str]) -> Node:
    """Rules M6-M7: one ``anyOf`` branch, or type-disjoint branches, merge into the node."""
    branches = node.get("anyOf")
    if not isinstance(branches, list) or not branches:
        return node
    outer = {k: v for k, v in node.items() if k != "anyOf"}
    union = branches[0] if len(branches) == 1 else _union(branches)
    if union is None:
        return node
    union = canonical_node(union, watchers(node, seen))
    if isinstance(union.get("enum"), list) and set(assertion_part(union)) <= {"enum", "type"} \
            and not set(outer) & UNEVALUATED:
        values = union["enum"]
        if isinstance(outer.get("enum"), list):
            values = [v for v in values if any(same(v, w) for w in outer["enum"])]
        return {**outer, **merge_annotations(outer, annotation_part(union)), "enum": values}
    merged = conjoin(outer, union)
    return node if merged is None else merged


def _disjoint(branches: list[Node]) -> set[str] | None:
    """The union of the branches' types when every branch declares types no other one has."""
    seen: set[str] = set()
    for branch in branches:
        if "type" not in branch:
            return None
        mine = {base_type(t) for t in branch["type"]}
        if mine & seen:
            return None
        seen |= mine
    return seen


def _union(branches: list[Node]) -> Node | None:
    """``anyOf`` over type-disjoint branches whose keywords only apply to their own types."""
    if _disjoint(branches) is None:
        return None
    merged: Node = {}
    values: list[Any] = []
    open_branch = False
    for branch in branches:
        types = {base_type(t) for t in branch["type"]}
        for name in assertion_part(branch):
            if name not in {"type", "enum"} and KEYWORD_GROUP.get(name) not in types:
                return None
            if name != "type":
                merged[name] = branch[name]
        if "enum" in branch:
            values.extend(branch["enum"])
        elif types <= {"null", "boolean"}:
            values.extend([None] if "null" in types else [])
            values.extend([True, False] if "boolean" in types else [])
        else:
            open_branch = True
    enumerated = any("enum" in b for b in branches)
    if enumerated and open_branch:
        return None
    merged.pop("enum", None)
    if enumerated:
        merged["enum"] = values
    merged["type"] = sorted({t for b in branches for t in b["type"]})
    notes: Node = {}
    for branch in reversed(branches):
        notes = merge_annotations(branch, notes)
    merged.update(notes)
    return merged


def _filter_enum(node: Node) -> Node:
    """Rule E1 where an enclosing ``unevaluated*`` sees the node's evaluating keywords (W1): the
    enum keeps the values its siblings accept, and the siblings stay beside it."""
    rest = {k: v for k, v in assertion_part(node).items() if k != "enum"}
    values = [v for v in node["enum"] if accepts(rest, v)]
    if not values:
        return {**annotation_part(node), **FALSE}
    return {**node, "enum": unique_sorted(values)}


def _enum_form(node: Node) -> Node:
    """Rule E1: the enum keeps the values its siblings accept; the node becomes just the enum
    (and the types of its values)."""
    rest = {k: v for k, v in assertion_part(node).items() if k != "enum"}
    values = node["enum"]
    if rest:
        values = [v for v in values if accepts(rest, v)]
    out = annotation_part(node)
    if not values:
        out.update(FALSE)
        return out
    kept = unique_sorted(values)
    types = sorted({json_type(v) for v in kept})
    out["type"] = types
    if not _whole_domain(kept, types):
        out["enum"] = kept
    return out


def _whole_domain(values: list[Any], types: list[str]) -> bool:
    """The values are every value of their types (``[true, false, null]`` is just a type)."""
    domain: dict[str, list[Any]] = {"null": [None], "boolean": [False, True]}
    if not set(types) <= set(domain):
        return False
    return same(sorted(values, key=key), unique_sorted([v for t in types for v in domain[t]]))


def _prune(node: Node) -> Node:
    allowed = {base_type(t) for t in node["type"]}
    for group, names in TYPE_KEYWORDS.items():
        if group not in allowed:
            for name in names:
                node.pop(name, None)
    return node


def accepts(node: Node, value: Any) -> bool:
    """Whether a normal-form node accepts a value (python-jsonschema, formats checked)."""
    return bool(Draft202012Validator(node, format_checker=FormatChecker()).is_valid(value))

