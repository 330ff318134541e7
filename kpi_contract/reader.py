"""The dashboard team's reader for ``kpis_v7.json``: tolerant of newer 7.x minors, strict on majors.

SPEC.md section 8: the writer validates against the closed current schema, readers are tolerant,
so that a reader built on an earlier 7.x reads later 7.x payloads. That tolerance is for payloads
of a newer minor than this reader's schema, and only for them (lead's decision on issue 7
section 2, one definition of a valid document):

- **Declared version newer than the reader's schema** (``schema_version`` a well-formed 7.x above
  ``schema.SCHEMA_VERSION``): the document is projected onto the reader's schema before it is
  validated. Fields and ``nulls`` keys the schema would reject as unknown are dropped (the newer
  minor added them); the ``nulls`` rule still holds for the KPIs this reader knows, on the
  payload as written.
- **The reader's own version or older (or a malformed version)**: the document is judged exactly
  as ``kpi-contract validate``, ``publish_kpis`` and the mirror judge it
  (``kpi_contract.validation.validate_document`` on the document as written): an unknown field or
  an unknown ``nulls`` key is invalid, because no release up to this one has it.

In both cases an optional KPI that an older 7.x payload lacks reads as null with the reason
``missing`` in the reading's ``nulls``. The projection is driven by the schema (``properties``,
``required``, ``additionalProperties``, ``propertyNames``, ``$ref``, ``allOf``/``anyOf``/``oneOf``,
``items``), never by field names, so a reader built on a future 7.x schema gets the same behaviour
for free. A payload of another major version is a different contract and is refused. Staleness is
measured against a clock the caller passes in; the reader never reads the wall clock.

The file is read by ``kpi_contract.jsonio`` (regular files only, at most 16 MiB, never blocking,
strict JSON: UTF-8, no duplicate key, finite doubles, at most 64 levels deep) before any of this,
whatever the declared version. ``js/reader.mjs`` (``readKpisV7``) implements the same rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kpi_contract import jsonio
from kpi_contract._nav import CLOCK_SKEW_TOLERANCE_S
from kpi_contract.document_rules import (
    LEGACY_FLAT_KEYS,
    kpi_paths,
    legacy_keys,
    nulls_violations,
)
from kpi_contract.errors import (
    DocumentInvalidError,
    LegacyFormatError,
    StateFileError,
    UnsupportedVersionError,
)
from kpi_contract.models import KpisV7
from kpi_contract.s3 import fetch_url, is_s3_url
from kpi_contract.schema import SUPPORTED_MAJOR, load_schema, parse_version, version_of
from kpi_contract.staleness import DEFAULT_MAX_AGE_S, check_clock, check_positive_seconds
from kpi_contract.validation import validate_document

__all__ = [
    "DEFAULT_MAX_AGE_S", "LEGACY_FLAT_KEYS", "KpiReading", "declares_newer_version",
    "project_document", "read_kpis", "reading_from_bytes",
]
# A well-formed schema_version, as the schema's own pattern has it (no leading zeros, ASCII).
_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


@dataclass(frozen=True)
class KpiReading:
    """A validated kpis_v7 payload and how old it is (``None`` when no clock was given)."""

    kpis: KpisV7
    age_s: float | None
    stale: bool | None
    schema_version: str


def read_kpis(
    path: str | os.PathLike[str],
    *,
    now_ts: float | None = None,
    max_age_s: float = DEFAULT_MAX_AGE_S,
) -> KpiReading:
    """Read, project, validate and model ``path``; stale means ``now_ts - ts > max_age_s``.

    ``path`` may also be an ``s3://BUCKET/KEY`` string (issue 11; needs ``kpi-contract[s3]``):
    the object's bytes then go through exactly the same checks (``reading_from_bytes``).
    Raises StateFileError (missing, unreadable, not a regular file, too large, not strict JSON:
    a ``jsonio.JsonInputError`` whose ``kind`` says which), LegacyFormatError (the pre-contract
    flat KPI file), UnsupportedVersionError (a major other than 7) or DocumentInvalidError
    (the violations ``validate`` reports; for a payload of a newer 7.x minor, those of its
    projection), each naming the file in one short line; for a URL, a store
    that cannot be read raises ``kpi_contract.s3.RemoteStoreError`` (a StateFileError).
    A ``ts`` in the future gives a negative age; beyond the builder's clock-skew tolerance (5 s)
    it is stale too (``is_stale``).

    ``now_ts``: epoch seconds, finite, or None (no age, no staleness). ``max_age_s``: seconds,
    finite and > 0. Anything else raises ValueError before the file is read
    (``kpi_contract.staleness``): a NaN limit would make every reading fresh.
    """
    now_ts = check_clock(now_ts)
    max_age_s = check_positive_seconds(max_age_s)
    if is_s3_url(path):
        name = str(path)
        try:
            data = fetch_url(name)
        except ValueError as exc:
            raise StateFileError(name, str(exc).removeprefix(f"{name}: ")) from exc
        return reading_from_bytes(data, name=name, now_ts=now_ts, max_age_s=max_age_s)
    return reading_from_bytes(
        jsonio.read_bytes(path), name=os.fsdecode(path), now_ts=now_ts, max_age_s=max_age_s
    )


def reading_from_bytes(
    data: bytes,
    *,
    name: str,
    now_ts: float | None = None,
    max_age_s: float = DEFAULT_MAX_AGE_S,
) -> KpiReading:
    """``read_kpis`` on bytes already read (``name`` names their file in errors): for a caller
    that needs the exact bytes the reading came from (the dashboard's raw view, a remote store).

    Raises what ``read_kpis`` raises (ValueError for a clock or a limit it refuses), except the
    errors of opening and reading a file.
    """
    now_ts = check_clock(now_ts)
    max_age_s = check_positive_seconds(max_age_s)
    try:
        doc = jsonio.parse_bytes(data)
    except jsonio.JsonSyntaxError as exc:
        raise jsonio.JsonInputError(name, "not_json", str(exc)) from exc
    _check_legacy(name, doc)
    _check_major(name, doc)
    schema = load_schema()
    if declares_newer_version(doc, schema):
        # SPEC section 8: a newer minor's fields and nulls keys are dropped before validation.
        # The nulls rule holds for the payload as written, as for validate, publish_kpis and the
        # mirror: a KPI listed but absent is refused although the projection would read it as
        # null. KPIs this reader does not know (the newer minor's) are not judged.
        projected = _absent_kpis_missing(doc, project_document(doc, schema))
        written = nulls_violations(doc) if isinstance(doc, dict) else []
        violations = sorted({*written, *validate_document(projected)},
                            key=lambda v: (v.json_path, v.message))
    else:
        # This reader's version or older: exactly validate's verdict on the document as written.
        violations = validate_document(doc)
        projected = _absent_kpis_missing(doc, project_document(doc, schema))
    if violations:
        raise DocumentInvalidError(name, violations)
    kpis = KpisV7.model_validate(projected)
    if now_ts is None:
        return KpiReading(kpis, None, None, kpis.schema_version)
    age_s = now_ts - kpis.ts.timestamp()
    return KpiReading(kpis, age_s, is_stale(age_s, max_age_s), kpis.schema_version)


def is_stale(age_s: float, max_age_s: float) -> bool:
    """Too old to trust (``age_s > max_age_s``), or stamped in the future beyond the clock skew
    the builder tolerates (``CLOCK_SKEW_TOLERANCE_S``): a host clock stepped forward, whose
    figures must not be shown as fresh either. ValueError for a ``max_age_s`` that is not a
    finite number of seconds > 0, or an ``age_s`` that is not finite (``kpi_contract.staleness``):
    every comparison with NaN is false, which would read as fresh."""
    limit = check_positive_seconds(max_age_s)
    age = check_clock(age_s, "age_s")
    if age is None:
        raise ValueError("age_s must be a finite number of seconds, got None")
    return age > limit or age < -CLOCK_SKEW_TOLERANCE_S


def declares_newer_version(doc: object, schema: Mapping[str, Any]) -> bool:
    """Whether ``doc`` declares a 7.x version later than ``schema``'s (its ``$id``), SPEC 8.

    Only such a payload is projected (unknown fields and ``nulls`` keys dropped) before it is
    validated. ``"7.2.0"`` or ``"7.1.1"`` against a 7.1.0 schema: True; ``"7.1.0"``, ``"7.0.0"``,
    a malformed version (``"7.02.0"``, ``7``) or another major: False. Raises ValueError when
    ``schema``'s ``$id`` does not end in a version.
    """
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    match = _VERSION.fullmatch(version) if isinstance(version, str) else None
    if match is None:
        return False
    declared = tuple(int(part) for part in match.groups())
    own = parse_version(version_of(dict(schema)))
    return declared[0] == own[0] and declared > own


def project_document(doc: object, schema: Mapping[str, Any]) -> object:
    """``doc`` seen through ``schema``: unknown fields dropped, absent optional fields as null.

    Everything else is left as it is (a missing required field stays missing, a wrong type stays
    wrong) for validation to report. ``doc`` is not modified.
    """
    return _project(doc, schema, schema)


def _absent_kpis_missing(doc: object, projected: object) -> object:
    """List an absent optional KPI that the projection read as null in ``nulls`` as ``missing``.

    An older 7.x payload lacks a KPI added by a later minor; it is not the payload's fault that
    ``nulls`` does not mention it, so the reader records why it is null instead of refusing it.
    """
    if not isinstance(doc, dict) or not isinstance(projected, dict):
        return projected
    nulls = projected.get("nulls")
    if not isinstance(nulls, dict):
        return projected
    added: dict[str, object] = {}
    for path in kpi_paths():
        node: object = doc
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and path[-1] not in node:
            added.setdefault(".".join(path), "missing")
    if not added:
        return projected
    return {**projected, "nulls": {**added, **nulls}}


def _check_legacy(name: str, doc: object) -> None:
    """Name the pre-contract flat file instead of reporting ``"nav" is a required property``."""
    found = legacy_keys(doc)
    if found:
        raise LegacyFormatError(name, found)


def _check_major(name: str, doc: object) -> None:
    """Refuse a well-formed version of another major; a malformed one is left to validation."""
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if not isinstance(version, str):
        return
    try:
        major, _minor, _patch = parse_version(version)
    except ValueError:
        return
    if major != SUPPORTED_MAJOR:
        raise UnsupportedVersionError(name, version)


def _project(value: object, schema: Mapping[str, Any], root: Mapping[str, Any]) -> object:
    """``value`` projected onto ``schema`` (a subschema of ``root``)."""
    if isinstance(value, dict):
        shapes = _object_shapes(schema, root)
        return _project_object(value, shapes, root) if shapes else value
    if isinstance(value, list):
        items = _as_schema(_resolve(schema, root).get("items"))
        return [_project(item, items, root) for item in value]
    return value


def _project_object(
    value: dict[str, object], shapes: list[Mapping[str, Any]], root: Mapping[str, Any]
) -> dict[str, object]:
    projected: dict[str, object] = {}
    for key, item in value.items():
        subschema = _schema_for_key(key, shapes)
        if subschema is not None:
            projected[key] = _project(item, subschema, root)
    required = {name for shape in shapes for name in shape.get("required", ())}
    for shape in shapes:
        for name in shape.get("properties", {}):
            if name not in projected and name not in required:
                projected[name] = None
    return projected


def _schema_for_key(key: str, shapes: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The subschema for ``key``, or None when one of the shapes rejects it as unknown."""
    found: Mapping[str, Any] = {}
    for shape in shapes:
        names = shape.get("propertyNames", {})
        if isinstance(names, Mapping) and "enum" in names and key not in names["enum"]:
            return None
        if key in shape.get("properties", {}):
            found = found or _as_schema(shape["properties"][key])
            continue
        patterns = shape.get("patternProperties", {})
        matching = [s for p, s in patterns.items() if re.search(p, key)]
        if matching:
            found = found or _as_schema(matching[0])
            continue
        extra = shape.get("additionalProperties", True)
        if extra is False:
            return None
        found = found or _as_schema(extra)
    return found


def _as_schema(schema: object) -> Mapping[str, Any]:
    """A boolean schema (``true``/``false``) has no keywords to follow: treat it as ``{}``."""
    return schema if isinstance(schema, Mapping) else {}


def _object_shapes(schema: Mapping[str, Any], root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The (sub)schemas that constrain an object at this position, ``$ref``s followed.

    ``allOf`` members all apply; of ``anyOf``/``oneOf`` the first member that describes an object
    applies (``{"anyOf": [{"$ref": "#/$defs/DdState"}, {"type": "null"}]}`` -> DdState).
    """
    shapes: list[Mapping[str, Any]] = []
    if any(k in schema for k in ("properties", "additionalProperties", "propertyNames")):
        shapes.append(schema)
    if "$ref" in schema:
        shapes.extend(_object_shapes(_resolve(schema, root), root))
    for member in schema.get("allOf", ()):
        shapes.extend(_object_shapes(_as_schema(member), root))
    for keyword in ("anyOf", "oneOf"):
        for member in schema.get(keyword, ()):
            branch = _object_shapes(_as_schema(member), root)
            if branch:
                shapes.extend(branch)
                break
    return shapes


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local ``$ref`` (``#/$defs/Name``, a JSON pointer into ``root``)."""
    seen: set[str] = set()
    while isinstance(ref := schema.get("$ref"), str) and ref.startswith("#") and ref not in seen:
        seen.add(ref)
        node: Any = root
        for token in ref[1:].split("/")[1:]:
            node = node[token.replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema
