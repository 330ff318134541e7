"""The payloads the review tries: base payloads, the places to change, the values to put there.

Bases are the schemas' own ``examples`` and an instance generated from each normal form. For a
place (an instance path) the values are the :func:`~kpi_contract.review.candidates.candidates` of
the old and the new sub-schema there, and the keys are the names either schema knows there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kpi_contract.review.candidates import candidates, instance
from kpi_contract.review.canonical import key
from kpi_contract.review.keywords import Node
from kpi_contract.review.mutate import (
    Mutation,
    expand,
    filler,
    known_keys,
    mutations,
    schema_at,
)
from kpi_contract.review.normalize import is_false
from kpi_contract.review.paths import ConcretePath, InstancePath, Step
from kpi_contract.review.reference import Oracle


@dataclass(frozen=True)
class Side:
    """One schema of the pair: its document, normal form, version and validator."""

    document: dict[str, Any]
    normal: Node
    oracle: Oracle

    @property
    def version(self) -> str:
        """The schema's version (from its ``$id``)."""
        return self.oracle.version


@dataclass(frozen=True)
class Base:
    """A payload mutations start from, and where it came from."""

    label: str
    payload: Any


class Sampler:
    """Generates mutated payloads for a pair of schemas."""

    def __init__(self, old: Side, new: Side) -> None:
        self.old, self.new = old, new
        self.fill = filler(old.normal, new.normal)
        self.bases = _bases(old, new)
        self._values: dict[ConcretePath, list[Any]] = {}

    def values_at(self, where: ConcretePath) -> list[Any]:
        """Candidate values for one payload place (new schema's first), cached per place."""
        if where not in self._values:
            found: dict[str, Any] = {}
            for side in (self.new, self.old):
                sub = schema_at(side.normal, where)
                for value in candidates(sub if sub is not None else {}):
                    found.setdefault(key(value), value)
            self._values[where] = list(found.values())
        return self._values[where]

    def keys_at(self, where: ConcretePath) -> list[str]:
        """Member names either schema knows for the object at ``where`` (plus an unknown one)."""
        nodes = [schema_at(s.normal, where) for s in (self.new, self.old)]
        return known_keys([n for n in nodes if n is not None])

    def indexes_at(self, where: ConcretePath) -> list[int]:
        """Item indexes worth trying in the array at ``where``: the first, and the first after
        each version's ``prefixItems``."""
        found = {0}
        for side in (self.new, self.old):
            node = schema_at(side.normal, where)
            if node is not None:
                found.add(len(node.get("prefixItems", [])))
        return sorted(found)

    def payloads(self, path: InstancePath, prefer: tuple[Any, ...] = ()
                 ) -> Iterator[tuple[Base, Mutation]]:
        """Every mutation of every base at the places ``path`` names, then every base unchanged.

        Values in ``prefer`` are tried first at every place (and the bases, which may already
        hold them, before any mutation).
        """
        def values_at(where: ConcretePath) -> list[Any]:
            preferred = {key(v) for v in prefer}
            return [*prefer, *(v for v in self.values_at(where) if key(v) not in preferred)]

        if prefer:
            for base in self.bases:
                yield base, Mutation(base.payload, (), "unchanged")
        for base in self.bases:
            for where in expand(base.payload, path, self.keys_at, self.indexes_at):
                yield from (
                    (base, m)
                    for m in mutations(base.payload, where, values_at, self.fill,
                                       self.keys_at(where))
                )
        for base in self.bases:
            yield base, Mutation(base.payload, (), "unchanged")

    def paths(self) -> list[InstancePath]:
        """Every instance path either normal form describes."""
        found = _paths(self.old.normal, ()) + _paths(self.new.normal, ())
        return list(dict.fromkeys(found))


def _bases(old: Side, new: Side) -> list[Base]:
    found: dict[str, Base] = {}
    for side in (old, new):
        examples = side.document.get("examples", [])
        for index, example in enumerate(examples[:4] if isinstance(examples, list) else []):
            if side.oracle.valid(example):
                found.setdefault(key(example), Base(f"examples[{index}] of {side.version}",
                                                    example))
    for side in (old, new):
        made = instance(side.normal)
        if side.oracle.valid(made):
            found.setdefault(key(made), Base(f"an instance generated from {side.version}", made))
    if not found:
        found["null"] = Base("nothing (no valid example or generated instance)", None)
    return list(found.values())


def _paths(node: Node, path: InstancePath) -> list[InstancePath]:
    found = [path]
    for name, sub in node.get("properties", {}).items():
        found += _paths(sub, (*path, name))
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and not is_false(extra):
        found += _paths(extra, (*path, Step.ANY_PROPERTY))
    if "propertyNames" in node:
        found.append((*path, Step.PROPERTY_NAMES))
    for sub in node.get("patternProperties", {}).values():
        found += _paths(sub, (*path, Step.ANY_PROPERTY))
    for index, sub in enumerate(node.get("prefixItems", [])):
        found += _paths(sub, (*path, index))
    if "items" in node:
        found += _paths(node["items"], (*path, Step.ANY_ITEM))
    for branch in node.get("anyOf", []):
        found += _paths(branch, path)[1:]
    return found
