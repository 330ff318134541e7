"""Which fields the dashboard shows, read from the schema: paths, labels, units, descriptions.

Nothing here names a KPI. The schema's leaves (non-object fields, in declaration order) fall
into three kinds:

- **KPI cards**: the keys ``nulls`` may carry (the ``propertyNames`` enum of the ``nulls`` object,
  issue 8) that are leaves below a section object (``nav``, ``risk``, ...; so ``risk.dd_state`` is
  not a card but its two children are), other than sample counts.
- **Sample counts** (issue 9, 7.1.0): a ``nulls`` leaf named after a sibling leaf and ending in
  ``count`` (``router.maker_fill_share_fill_count`` beside ``router.maker_fill_share``) is the
  number of observations behind that sibling. It is shown on its ratio's card ("55.00% over
  1,250 fills"), not as a card of its own: a ratio and its sample are read together.
- **Context** fields: facts about the payload rather than KPIs: a top-level leaf (``run_mode``,
  7.1.0) and any leaf outside ``nulls``, other than ``schema_version``, ``ts`` and ``nulls``. The
  panel shows them in its header.

Their unit is the leaf's ``x-unit`` annotation, their help text its ``description``, their label
its ``title`` when the schema has one, else a readable form of its name. A leaf a later 7.x
schema adds (with its ``nulls`` key) becomes a card, a sample or a context field with no code
change. ``required`` says whether the leaf and every object above it are required: a field that
is not was added by a minor after X.0.0 (the gate lets a minor add optional fields only, and
7.0.0 required every field; ``tests/test_dashboard_view.py`` checks this against the frozen
releases), which is how the panel tells "not in 7.0.0" from "missing".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# Top-level members the panel summary shows itself (version, build time, null reasons).
ENVELOPE_FIELDS = frozenset({"schema_version", "ts", "nulls"})

# How abbreviations in field names read for people; any other word is lowercased.
_WORDS = {"nav": "NAV", "atr": "ATR", "pnl": "PnL", "dd": "drawdown", "ok": "OK", "avg": "average",
          "usd": "USD"}
# Name suffixes that only repeat the unit the card already shows (``nav_age_s``, ``*_bps``).
_UNIT_SUFFIXES = frozenset({"s", "ms", "bps", "frac", "pct", "usd"})


@dataclass(frozen=True)
class FieldSpec:
    """One leaf of the schema as the dashboard sees it.

    ``path`` is the dotted path (the ``nulls`` key for a KPI); ``section`` its first part; ``unit``
    the ``x-unit`` annotation or None; ``types`` the JSON types other than null; ``vocabulary`` the
    enum values other than null, in schema order.
    """

    path: str
    section: str
    label: str
    unit: str | None
    description: str
    types: tuple[str, ...]
    vocabulary: tuple[object, ...]
    required: bool = True


@dataclass(frozen=True)
class SchemaFields:
    """The leaves of one schema by kind, each in schema order.

    ``kpis``: the card leaves; ``samples``: ratio path -> the spec of its sample count;
    ``context``: the header leaves; ``null_keys``: every key ``nulls`` may carry.
    """

    kpis: tuple[FieldSpec, ...]
    context: tuple[FieldSpec, ...]
    null_keys: tuple[str, ...]
    samples: Mapping[str, FieldSpec] = field(default_factory=dict)


def schema_fields(schema: Mapping[str, Any]) -> SchemaFields:
    """Walk ``schema`` (a kpis_v7 JSON Schema, ``$ref`` / ``anyOf`` followed) into field specs."""
    null_keys = _null_keys(schema)
    leaves = [(path, _spec(path, node, required))
              for path, node, required in _leaves(schema, schema, (), required=True)]
    siblings = {spec.path for _, spec in leaves}
    kpis: list[FieldSpec] = []
    context: list[FieldSpec] = []
    samples: dict[str, FieldSpec] = {}
    for path, spec in leaves:
        if path[0] in ENVELOPE_FIELDS:
            continue
        if spec.path not in null_keys or len(path) == 1:
            context.append(spec)
        elif (ratio := _sample_of(path, siblings)) is not None and "integer" in spec.types:
            # Read beside its ratio, a count's label is its own part of the name ("Fill count").
            suffix = path[-1].removeprefix(ratio.rpartition(".")[2] + "_")
            untitled = spec.label == humanise(path[-1])
            samples[ratio] = replace(spec, label=humanise(suffix)) if untitled else spec
        else:
            kpis.append(spec)
    return SchemaFields(tuple(kpis), tuple(context), tuple(null_keys), samples)


def _sample_of(path: tuple[str, ...], leaves: set[str]) -> str | None:
    """The sibling leaf whose sample count ``path`` is (``<sibling>_<...>count``), or None."""
    name = path[-1]
    if not name.endswith("count"):
        return None
    parent = ".".join(path[:-1])
    for sibling in sorted(leaves, key=len, reverse=True):  # the longest name that prefixes it
        head, _, sibling_name = sibling.rpartition(".")
        if head == parent and sibling_name != name and name.startswith(f"{sibling_name}_"):
            return sibling
    return None


def humanise(name: str) -> str:
    """``nav_age_s`` -> ``NAV age``; ``fee_pnl_ratio`` -> ``Fee PnL ratio``."""
    words = name.split("_")
    if len(words) > 1 and words[-1] in _UNIT_SUFFIXES:
        words = words[:-1]
    text = " ".join(_WORDS.get(w, w) for w in words if w)
    return text[:1].upper() + text[1:]


def _label(path: tuple[str, ...], node: Mapping[str, Any]) -> str:
    """The schema's ``title``, else the leaf's name; a name that only repeats its parent's last
    word (``dd_state.state``) reads as the parent (``Drawdown state``)."""
    title = node.get("title")
    if isinstance(title, str) and title:
        return title
    name = path[-1]
    if len(path) > 2 and name in path[-2].split("_"):
        name = path[-2]
    return humanise(name)


def _spec(path: tuple[str, ...], node: Mapping[str, Any], required: bool) -> FieldSpec:
    unit = node.get("x-unit")
    return FieldSpec(
        path=".".join(path),
        section=path[0],
        label=_label(path, node),
        unit=unit if isinstance(unit, str) else None,
        description=str(node.get("description", "")),
        types=tuple(t for t in _types(node) if t != "null"),
        vocabulary=tuple(v for v in node.get("enum", ()) if v is not None),
        required=required,
    )


def _null_keys(schema: Mapping[str, Any]) -> list[str]:
    """The ``propertyNames`` enum of the top-level ``nulls`` object, in schema order."""
    nulls = _resolve(_as_schema(schema.get("properties", {}).get("nulls")), schema)
    for shape in _object_shapes(nulls, schema):
        names = _as_schema(shape.get("propertyNames"))
        names = _resolve(names, schema)
        if isinstance(names.get("enum"), list):
            return [str(key) for key in names["enum"]]
    raise ValueError("schema has no nulls.propertyNames enum: not a kpis_v7 schema")


def _leaves(
    node: Mapping[str, Any], root: Mapping[str, Any], path: tuple[str, ...], *, required: bool
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any], bool]]:
    """Every (path, schema, required) of a non-object field below ``node``, in declaration
    order; ``required``: the field and every object above it are required."""
    shapes = _object_shapes(node, root)
    if not shapes:
        if path:
            yield path, _merged_leaf(node, root), required
        return
    seen: set[str] = set()
    names_required = {name for shape in shapes for name in shape.get("required", ())
                      if isinstance(name, str)}
    for shape in shapes:
        for name, child in _as_schema(shape.get("properties")).items():
            if name not in seen:
                seen.add(name)
                yield from _leaves(_as_schema(child), root, (*path, name),
                                   required=required and name in names_required)


def _merged_leaf(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """A leaf's annotations with its ``$ref`` target's and non-null ``anyOf`` branch's beneath."""
    merged: dict[str, Any] = {}
    for part in _branches(node, root):
        for key, value in part.items():
            merged.setdefault(key, value)
    return merged


def _branches(node: Mapping[str, Any], root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    parts: list[Mapping[str, Any]] = [node]
    if "$ref" in node:
        parts += _branches(_resolve(node, root), root)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for member in node.get(keyword, ()):
            member_schema = _as_schema(member)
            if _types(_resolve(member_schema, root)) != ("null",):
                parts += _branches(member_schema, root)
    return parts


def _object_shapes(node: Mapping[str, Any], root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The parts of ``node`` (``$ref``, ``allOf``, ``anyOf``, ``oneOf`` followed) that describe an
    object; empty for a leaf."""
    return [part for part in _branches(node, root)
            if "properties" in part or "propertyNames" in part or "object" in _types(part)]


def _types(node: Mapping[str, Any]) -> tuple[str, ...]:
    declared = node.get("type")
    if isinstance(declared, str):
        return (declared,)
    if isinstance(declared, list):
        return tuple(str(t) for t in declared)
    return ()


def _as_schema(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


_POINTER_ESCAPE = re.compile(r"~[01]")


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local ``$ref`` pointers (``#/$defs/Name``) until a node without one."""
    seen: set[str] = set()
    while isinstance(ref := node.get("$ref"), str) and ref.startswith("#") and ref not in seen:
        seen.add(ref)
        target: Any = root
        for token in ref[1:].split("/")[1:]:
            target = target[_POINTER_ESCAPE.sub(lambda m: {"~0": "~", "~1": "/"}[m[0]], token)]
        node = _as_schema(target)
    return node
