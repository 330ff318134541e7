"""The package-level rules of a valid kpis_v7 document, beyond what the schema file says.

SPEC.md section 5a ("one definition of a valid document"): ``validate``, ``publish_kpis``, the
mirror and ``read_kpis`` all call ``kpi_contract.validation.validate_document``, which applies the
schema and then these rules, so the four tools give every document the same verdict:

- **Every number is a finite double.** An integer beyond double range (``1`` followed by 400
  zeros) is valid JSON and passes the schema's ``"type": "number"``, but a browser reads it as
  ``Infinity``. NaN and infinities are already refused by the schema validator.
- **No leap second in ``ts``.** RFC 3339 allows ``23:59:60``; Python's ``datetime`` (and so the
  reader's model) does not, nor do most dashboards' date libraries. Refused everywhere.
- **``nulls`` lists exactly the null KPI leaves**: every KPI that is null has its reason, no KPI
  that has a value is listed, and a child of a null object is not listed (only ``risk.dd_state``
  itself when it is null, SPEC section 3). Which paths are KPIs is derived from the schema (a
  KPI is a property whose schema admits ``null``, ``run_mode`` at the top included), never
  hard-coded, so a 7.x minor that adds a KPI gets the rule for free. The rule covers the leaves
  a document carries: an optional KPI that an older 7.x payload lacks is not null and must not
  be listed (``read_kpis`` then reads it as null, reason ``missing``).

The schema itself cannot say the ``nulls`` rule without narrowing what 7.x accepts (breaking by
our own policy); CHANGELOG.md carries it as a kpis_v8 candidate. Duplicate keys are a parsing
matter (``kpi_contract.jsonio``): a parsed document cannot hold them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kpi_contract.errors import Violation
from kpi_contract.schema import load_schema

KpiPath = tuple[str, ...]

# Top-level keys of the pre-contract flat KPI file (DASHBOARD.md) that kpis_v7 never has at its
# top level: a document without ``schema_version`` carrying any of them is that file.
LEGACY_FLAT_KEYS = (
    "atr", "atr_regime", "dd_state", "drawdown", "fee_pnl", "fee_pnl_ratio", "fees", "pnl",
    "router_quality", "router_stats", "symbols", "updated_at",
)

_TS_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:(\d{2})")


def kpi_paths(schema: Mapping[str, Any] | None = None) -> tuple[KpiPath, ...]:
    """Every KPI path of ``schema`` (default: the packaged one), in schema order.

    A KPI is a property at any depth whose schema admits ``null``: a leaf of ``nav``, ``risk``,
    ``router`` or ``performance``, or a top-level one (``run_mode``, 7.1.0); an object-valued KPI
    (``risk.dd_state``) is a KPI and so are its children. These are exactly the paths the
    ``nulls`` vocabulary names (SPEC section 3).
    """
    if schema is None:
        return _packaged_kpi_paths()
    found: list[KpiPath] = []
    for name, sub in _properties(schema, schema).items():
        _collect((name,), sub, schema, found)
    return tuple(found)


@functools.cache
def _packaged_kpi_paths() -> tuple[KpiPath, ...]:
    return kpi_paths(load_schema())


@functools.cache
def number_kpi_paths() -> frozenset[KpiPath]:
    """The KPI paths of the packaged schema whose values are numbers (``"type": "number"``, not
    ``integer``): the leaves the writer's fast route checks are floats (``fast_route``)."""
    return _kpi_paths_of_type("number")


def integer_kpi_paths() -> frozenset[KpiPath]:
    """The KPI paths of the packaged schema whose values are integers (the sample counts): the
    leaves the writer's fast route checks are ints (``fast_route``)."""
    return _kpi_paths_of_type("integer")


def _kpi_paths_of_type(json_type: str) -> frozenset[KpiPath]:
    schema = load_schema()
    found: set[KpiPath] = set()
    for path in _packaged_kpi_paths():
        node: Mapping[str, Any] = schema
        for part in path:
            node = _properties(node, schema).get(part, {})
        types = {t for branch in _branches(node, schema)
                 for t in _as_list(branch.get("type"))}
        if json_type in types:
            found.add(path)
    return frozenset(found)


def nullable_top_level() -> tuple[str, ...]:
    """The root properties of the packaged schema that admit null (``run_mode``): leaves of the
    document rather than KPIs of a group."""
    schema = load_schema()
    return tuple(name for name, sub in _properties(schema, schema).items()
                 if _admits_null(sub, schema))


def _as_list(types: object) -> list[object]:
    return types if isinstance(types, list) else [types]


def _collect(
    path: KpiPath, schema: Mapping[str, Any], root: Mapping[str, Any], found: list[KpiPath]
) -> None:
    if _admits_null(schema, root):
        found.append(path)
    for child, child_schema in _properties(schema, root).items():
        _collect((*path, child), child_schema, root, found)


def _resolve(schema: object, root: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = schema if isinstance(schema, Mapping) else {}
    seen: set[str] = set()
    while isinstance(ref := node.get("$ref"), str) and ref.startswith("#/") and ref not in seen:
        seen.add(ref)
        target: Any = root
        for token in ref[2:].split("/"):
            target = target.get(token.replace("~1", "/").replace("~0", "~"), {})
        node = target if isinstance(target, Mapping) else {}
    result: Mapping[str, Any] = node
    return result


def _branches(schema: object, root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The schema and the members of its ``anyOf`` / ``oneOf`` / ``allOf``, resolved."""
    node = _resolve(schema, root)
    out = [node]
    for keyword in ("anyOf", "oneOf", "allOf"):
        for member in node.get(keyword, ()):
            out.extend(_branches(member, root))
    return out


def _properties(schema: object, root: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    props: dict[str, Mapping[str, Any]] = {}
    for branch in _branches(schema, root):
        for name, sub in branch.get("properties", {}).items():
            props.setdefault(name, sub)
    return props


def _admits_null(schema: object, root: Mapping[str, Any]) -> bool:
    for branch in _branches(schema, root):
        types = branch.get("type")
        if types == "null" or (isinstance(types, list) and "null" in types):
            return True
    return False


@dataclass(frozen=True)
class _Kpi:
    parts: KpiPath
    dotted: str
    value_path: str  # ``$.risk.dd_state``
    listed_path: str  # ``$.nulls['risk.dd_state']``
    parents: tuple[KpiPath, ...]


@functools.cache
def _kpis() -> tuple[_Kpi, ...]:
    from kpi_contract.validation import json_path  # noqa: PLC0415 (validation imports us)

    return tuple(
        _Kpi(path, ".".join(path), json_path(path), json_path(["nulls", ".".join(path)]),
             tuple(path[:i] for i in range(1, len(path))))
        for path in kpi_paths()
    )


def nulls_violations(doc: Mapping[str, Any]) -> list[Violation]:
    """Where ``doc["nulls"]`` and the KPI values disagree (``doc`` is schema-valid)."""
    nulls = doc.get("nulls")
    if not isinstance(nulls, Mapping):
        return []
    if _null_kpis(doc) == nulls.keys():
        return []  # the common case, checked cheaply; the details below only when they differ
    null_paths: set[KpiPath] = set()
    violations: list[Violation] = []
    for kpi in _kpis():
        parent = next((p for p in kpi.parents if p in null_paths), None)
        if parent is not None:
            null_paths.add(kpi.parts)
            if kpi.dotted in nulls:
                violations.append(Violation(
                    kpi.listed_path,
                    f"{kpi.dotted} is listed, but its parent {'.'.join(parent)} is null "
                    "(only the parent is listed)",
                ))
            continue
        present, value = _lookup(doc, kpi.parts)
        if not present:  # an optional KPI an older 7.x payload lacks: not null, not listed
            if kpi.dotted in nulls:
                violations.append(Violation(
                    kpi.listed_path, f"{kpi.dotted} is listed as null but is absent"
                ))
            continue
        if value is None:
            null_paths.add(kpi.parts)
            if kpi.dotted not in nulls:
                violations.append(Violation(
                    kpi.value_path, f"null, but nulls gives no reason for {kpi.dotted}"
                ))
        elif kpi.dotted in nulls:
            violations.append(Violation(
                kpi.listed_path, f"{kpi.dotted} is listed as null but has a value"
            ))
    return violations


def _null_kpis(doc: Mapping[str, Any]) -> set[str]:
    """The dotted paths ``nulls`` must list: null KPIs whose parent KPI is not null."""
    listed: set[str] = set()
    for kpi in _kpis():
        node: object = doc
        for part in kpi.parts:
            if type(node) is not dict and not isinstance(node, Mapping):  # exact type first
                break  # below a null (or absent) parent: not listed
            node = node.get(part, _ABSENT)
        else:
            if node is None:
                listed.add(kpi.dotted)
    return listed


_ABSENT = object()


def legacy_keys(doc: object) -> list[str]:
    """The pre-contract flat file's keys ``doc`` has at its top level (it has no
    ``schema_version``); empty when ``doc`` is not that file."""
    if not isinstance(doc, Mapping) or "schema_version" in doc:
        return []
    return [key for key in LEGACY_FLAT_KEYS if key in doc]


def ts_violations(doc: Mapping[str, Any]) -> list[Violation]:
    """A leap second (``:60``) in ``ts`` (``doc`` is schema-valid)."""
    ts = doc.get("ts")
    match = _TS_SECONDS.match(ts) if isinstance(ts, str) else None
    if match is not None and match.group(1) == "60":
        return [Violation("$.ts", "a leap second (:60) is not accepted; use :59 or the next one")]
    return []


def _lookup(doc: Mapping[str, Any], path: KpiPath) -> tuple[bool, object]:
    node: object = doc
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node
