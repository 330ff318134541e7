"""Payload surgery: find the places an instance path names in a payload, and change one of them.

A mutation copies the base payload and changes exactly one place: sets a value, deletes a key,
adds a key. Wildcard steps expand to the keys the payload has plus the names the schemas know
(their ``properties`` and ``propertyNames`` vocabularies) plus one unknown name. Missing parents
are filled with a generated instance of their schema so deep places can be reached from any base.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kpi_contract.review.candidates import combined, instance, item_schema
from kpi_contract.review.canonical import key
from kpi_contract.review.keywords import Node
from kpi_contract.review.paths import ConcretePath, InstancePath, Step, render_path
from kpi_contract.review.regex_sample import samples

EXTRA_KEY = "x_review_extra"
_DELETE = object()


@dataclass(frozen=True)
class Mutation:
    """A payload and how it was made from its base."""

    payload: Any
    concrete: ConcretePath
    change: str


def schema_at(node: Node, path: ConcretePath) -> Node | None:
    """The normal-form sub-schema governing the payload location ``path`` (None when unknown).

    A member named by ``properties`` or by a pattern gets that schema (the first that applies);
    any other member gets ``additionalProperties``; an item its ``prefixItems`` entry or
    ``items``.
    """
    current: Node | None = node
    for part in path:
        if current is None:
            return None
        current = _object_branch(current)
        if isinstance(part, int):
            current = item_schema(current, part)
        elif part in current.get("properties", {}):
            current = current["properties"][part]
        else:
            current = _pattern_member(current, part)
    return current


def _pattern_member(node: Node, name: str) -> Node | None:
    for pattern, sub in node.get("patternProperties", {}).items():
        try:
            if re.search(pattern, name):
                found: Node = sub
                return found
        except re.error:
            continue
    extra = node.get("additionalProperties", {})
    return extra if isinstance(extra, dict) else None


def _object_branch(node: Node) -> Node:
    for branch in node.get("anyOf", []):
        if "properties" in branch or "object" in branch.get("type", []):
            return dict(branch)
    return node


_KEY_DEPTH = 3
"""How deep :func:`known_keys` looks into combinators for member names."""


def known_keys(nodes: list[Node]) -> list[str]:
    """Member names the schemas know at an object: properties, property-name vocabularies,
    ``dependentSchemas``/``dependentRequired`` triggers, names matching each pattern, each also
    from the sub-schemas of combinators (``allOf``, ``if``, ``then``, ...), which apply to the
    same object and whose members an ``unevaluatedProperties`` sees (the node's own first)."""
    names: list[str] = []
    for node in _with_combined(nodes):
        names += list(node.get("properties", {}))
        vocabulary = node.get("propertyNames", {}).get("enum", [])
        names += [v for v in vocabulary if isinstance(v, str)]
        names += [*node.get("dependentSchemas", {}), *node.get("dependentRequired", {})]
        for pattern in node.get("patternProperties", {}):
            names += [n for n in samples(str(pattern)) if n][:2]
    # An empty key is left out: both validators report errors under it at its parent.
    return [*dict.fromkeys(n for n in names if n), EXTRA_KEY]


def _with_combined(nodes: list[Node]) -> list[Node]:
    """The nodes, then their combinators' sub-schemas, level by level up to :data:`_KEY_DEPTH`."""
    found, level = list(nodes), list(nodes)
    for _ in range(_KEY_DEPTH):
        level = [sub for node in level for sub in combined(node)]
        found += level
    return found


def expand(payload: Any, path: InstancePath, keys_at: Callable[[ConcretePath], list[str]],
           indexes_at: Callable[[ConcretePath], list[int]] = lambda _: [0]
           ) -> list[ConcretePath]:
    """The concrete places (at most a few dozen) a possibly-wildcard path names: for any member
    the payload's keys and ``keys_at``, for any item the indexes ``indexes_at`` gives and one
    past the payload's last item."""
    places: list[tuple[ConcretePath, Any]] = [((), payload)]
    for step in path:
        following: list[tuple[ConcretePath, Any]] = []
        for where, value in places:
            if step is Step.PROPERTY_NAMES:
                following.append((where, value))
            elif step is Step.ANY_PROPERTY:
                names = list(value) if isinstance(value, dict) else []
                names += [n for n in keys_at(where) if n not in names]
                following += [((*where, n), _get(value, n)) for n in names]
            elif step is Step.ANY_ITEM:
                indexes = indexes_at(where)
                if isinstance(value, list) and len(value) not in indexes:
                    indexes = [*indexes, len(value)]  # one item appended
                following += [((*where, i), _get(value, i)) for i in indexes]
            else:
                following.append(((*where, step), _get(value, step)))
        places = following[:40]
    return [where for where, _ in places]


def holds(payload: Any, path: InstancePath, value: Any) -> bool:
    """Whether some place ``path`` names in ``payload`` holds ``value`` (a key, for names)."""
    for where in expand(payload, path, lambda _: []):
        found = _get_path(payload, where)
        if path and path[-1] is Step.PROPERTY_NAMES:
            if isinstance(found, dict) and isinstance(value, str) and value in found:
                return True
        elif (not where or _present(payload, where)) and key(found) == key(value):
            return True
    return False


def _get(value: Any, part: str | int) -> Any:
    if isinstance(part, int):
        return value[part] if isinstance(value, list) and len(value) > part else None
    return value.get(part) if isinstance(value, dict) else None


def mutations(
    base: Any,
    where: ConcretePath,
    values_at: Callable[[ConcretePath], list[Any]],
    fill: Callable[[ConcretePath], Any],
    new_keys: list[str],
) -> Iterator[Mutation]:
    """Set ``where`` to each value, delete it, and add each new key to the object it holds."""
    shown = render_path(where)
    present = bool(where) and _present(base, where)
    current = _get_path(base, where) if present else None
    for value in values_at(where):
        if present and key(value) == key(current):
            continue
        yield Mutation(_apply(base, where, value, fill), where, f"{shown} = {_short(value)}")
    if present:
        yield Mutation(_apply(base, where, _DELETE, fill), where, f"{shown} removed")
    holder = _get_path(base, where)
    if not isinstance(holder, dict):
        holder = fill(where)
    if isinstance(holder, dict):
        for name in new_keys:
            if name in holder:
                continue
            target = (*where, name)
            for value in values_at(target)[:8]:
                yield Mutation(_apply(base, target, value, fill), target,
                               f"{render_path(target)} = {_short(value)} (added)")


def _present(payload: Any, where: ConcretePath) -> bool:
    holder = _get_path(payload, where[:-1])
    last = where[-1]
    if isinstance(last, int):
        return isinstance(holder, list) and last < len(holder)
    return isinstance(holder, dict) and last in holder


def _get_path(payload: Any, where: ConcretePath) -> Any:
    for part in where:
        payload = _get(payload, part)
    return payload


def _apply(base: Any, where: ConcretePath, value: Any, fill: Callable[[ConcretePath], Any]
           ) -> Any:
    """A copy of ``base`` with one place changed; only the containers on the way are copied."""
    if not where:
        return copy.deepcopy(value)
    root = _shallow(base)
    holder = root
    for depth, part in enumerate(where[:-1]):
        child = _get(holder, part)
        wanted = list if isinstance(where[depth + 1], int) else dict
        child = _shallow(child) if isinstance(child, wanted) else fill(where[: depth + 1])
        if not isinstance(child, wanted):
            child = wanted()
        _put(holder, part, child, _padding(where[:depth], fill))
        holder = child
    last = where[-1]
    if value is _DELETE:
        if isinstance(holder, dict):
            holder.pop(str(last), None)
        elif isinstance(holder, list) and isinstance(last, int) and last < len(holder):
            del holder[last]
    else:
        _put(holder, last, copy.deepcopy(value), _padding(where[:-1], fill))
    return root


def _padding(where: ConcretePath, fill: Callable[[ConcretePath], Any]) -> Callable[[int], Any]:
    """Fills the items before a new one of the array at ``where`` with generated instances."""
    return lambda index: fill((*where, index))


def _shallow(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return {}


def _put(holder: Any, part: str | int, value: Any,
         pad: Callable[[int], Any] = lambda _: None) -> None:
    if isinstance(part, int) and isinstance(holder, list):
        while len(holder) <= part:
            holder.append(pad(len(holder)))
        holder[part] = value
    elif isinstance(holder, dict):
        holder[str(part)] = value


def filler(old: Node, new: Node) -> Callable[[ConcretePath], Any]:
    """Fill a missing parent with an instance of its new schema (else of its old one)."""

    def fill(where: ConcretePath) -> Any:
        for node in (new, old):
            sub = schema_at(node, where)
            if sub is not None:
                made = instance(_object_branch(sub))
                if made is not None:
                    return made
        return None

    return fill


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
