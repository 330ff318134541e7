"""The one definition of a valid kpis_v7 document, used by every tool of the contract.

``validate_bytes`` (``kpi-contract validate``, ``publish_kpis``, the mirror) and
``validate_document`` (``read_kpis``, after its tolerant projection) give the same verdict on the
same document (SPEC.md section 5a). A document is valid when:

1. its bytes are strict JSON (``kpi_contract.jsonio.parse_bytes``: UTF-8, no duplicate key, no
   NaN/Infinity, every number a finite double, at most 64 levels deep);
2. it satisfies the packaged schema file (jsonschema-rs: full draft 2020-12, ``date-time``
   checked, NaN rejected, about a microsecond per valid payload, compiled once per process);
3. it satisfies the package-level rules (``kpi_contract.document_rules``): finite doubles for
   values built in memory too, no leap second in ``ts``, ``nulls`` listing exactly the null KPIs;
4. it loads into the generated model (``KpisV7``): a last guard, so that nothing the schema and the
   rules accept can still be refused by the reader (a year 0000 ``ts``, which Python's datetime
   cannot hold, is one such case).

Violations carry a JSONPath-style ``json_path``: ``$`` is the document, an object key that is a
plain identifier is written ``.key``, any other key in brackets and single quotes
(``$.nulls['risk.dd_state']``, with ``\\`` and ``'`` escaped by a backslash), an array index as
``[0]``. Violations are sorted by path, then message, so the same document always gives the same
list.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kpi_contract.errors import Violation, legacy_message
from kpi_contract.schema import load_schema

if TYPE_CHECKING:
    import jsonschema_rs

# The strict JSON reader, the package rules and jsonschema-rs are imported where they are first
# used, not with this module: ``publish_kpis`` imports it, and the executor's start-up should not
# pay for them before its first publish (issue 10).

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@functools.cache
def compiled_validator() -> jsonschema_rs.Validator:
    """The compiled validator for the packaged schema (built once; compiling costs milliseconds)."""
    import jsonschema_rs  # noqa: PLC0415 (see the imports)

    return jsonschema_rs.Draft202012Validator(load_schema(), validate_formats=True)


def json_path(parts: Sequence[str | int]) -> str:
    """Render a path into the document (keys and indexes) in this module's JSONPath convention."""
    rendered = ["$"]
    for part in parts:
        if isinstance(part, int):
            rendered.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            rendered.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            rendered.append(f"['{escaped}']")
    return "".join(rendered)


def validate_document(doc: object) -> list[Violation]:
    """Every violation of ``doc`` (a parsed JSON value): schema, then package rules, then model.

    An empty list means valid. Later steps run only when the earlier ones found nothing, so a
    broken document gets the schema's messages rather than follow-on noise.
    """
    from kpi_contract import jsonio  # noqa: PLC0415 (see the imports)

    found = jsonio.scan(doc)
    if found.depth > jsonio.MAX_JSON_DEPTH:
        return [Violation("$", f"nested deeper than {jsonio.MAX_JSON_DEPTH} levels")]
    return _validate(doc, found.non_double)


def _validate(doc: object, non_double: str) -> list[Violation]:
    """Steps 2-4 on a document nested at most ``MAX_JSON_DEPTH`` levels; ``non_double`` names a
    number in it that is no finite double (``""``: none)."""
    from kpi_contract.document_rules import (  # noqa: PLC0415 (see the imports)
        legacy_keys,
        nulls_violations,
        ts_violations,
    )

    legacy = legacy_keys(doc)
    if legacy:  # say what it is instead of '"nav" is a required property'
        return [Violation("$", legacy_message(legacy))]
    violations = _schema_violations(doc)
    if non_double:
        violations |= set(_non_double_integers(doc))
    if violations:
        return sorted(violations, key=lambda v: (v.json_path, v.message))
    if not isinstance(doc, dict):  # the schema requires an object: unreachable
        return [Violation("$", "not an object")]
    rules = ts_violations(doc) + nulls_violations(doc)
    if rules:
        return sorted(set(rules), key=lambda v: (v.json_path, v.message))
    return model_violations(doc)


def validate_bytes(data: bytes) -> list[Violation]:
    """Violations of a serialised document: a strict-JSON error at ``$``, else the document's."""
    from kpi_contract import jsonio  # noqa: PLC0415 (see the imports)

    try:
        doc = jsonio.parse_bytes(data)
    except jsonio.JsonSyntaxError as exc:
        return [Violation("$", str(exc))]
    return _validate(doc, "")  # parse_bytes has scanned it: shallow, finite doubles only


def loads_strict(data: bytes) -> object:
    """Parse strict JSON bytes (``kpi_contract.jsonio.parse_bytes``); ValueError otherwise."""
    from kpi_contract import jsonio  # noqa: PLC0415 (see the imports)

    return jsonio.parse_bytes(data)


def model_violations(doc: object) -> list[Violation]:
    """What the generated model refuses in ``doc``, in this module's violation shape."""
    from pydantic import ValidationError  # noqa: PLC0415 (pydantic only when a document is valid)

    from kpi_contract.models import KpisV7  # noqa: PLC0415

    try:
        KpisV7.model_validate(doc)
    except ValidationError as exc:
        return sorted(
            {Violation(json_path([p for p in e["loc"] if isinstance(p, str | int)]),
                       f"not readable by the kpis_v7 model: {e['msg']}")
             for e in exc.errors()},
            key=lambda v: (v.json_path, v.message),
        )
    return []


def _schema_violations(doc: object) -> set[Violation]:
    validator = compiled_validator()
    try:
        if validator.is_valid(doc):
            return set()
        errors = list(validator.iter_errors(doc))
    except ValueError as exc:
        # jsonschema-rs refuses values JSON cannot hold (a datetime, an int dict key).
        return {_unrepresentable(doc, exc)}
    return {Violation(json_path(error.instance_path), _message(doc, error)) for error in errors}


def _non_double_integers(doc: object) -> list[Violation]:
    """Integers a double cannot hold (a browser reads them as Infinity), wherever they are."""
    found: list[Violation] = []
    stack: list[tuple[object, list[str | int]]] = [(doc, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((value, [*path, key]) for key, value in node.items()
                         if isinstance(key, str))
        elif isinstance(node, list | tuple):
            stack.extend((value, [*path, i]) for i, value in enumerate(node))
        elif isinstance(node, int) and not isinstance(node, bool):
            try:
                float(node)
            except OverflowError:
                digits = len(str(abs(node))) if node.bit_length() < 14_000 else "over 4300"
                found.append(Violation(
                    json_path(path),
                    f"an integer of {digits} digits is beyond the range of a double "
                    "(JSON readers would see Infinity)",
                ))
    return found


def _message(doc: object, error: jsonschema_rs.ValidationError) -> str:
    """jsonschema-rs's message, except for NaN/inf, which it would describe as ``null``."""
    value = _value_at(doc, error.instance_path)
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a finite number (JSON has no NaN or Infinity)"
    return error.message


def _value_at(doc: object, parts: Sequence[str | int]) -> object:
    node = doc
    for part in parts:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list | tuple) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _unrepresentable(doc: object, exc: ValueError) -> Violation:
    """Point at the first value JSON cannot represent (walks the document; errors only)."""
    path = _find_unrepresentable(doc, [])
    where = json_path(path) if path is not None else "$"
    return Violation(where, f"not a JSON value: {exc}")


def _find_unrepresentable(node: object, path: list[str | int]) -> list[str | int] | None:
    if node is None or isinstance(node, str | bool | int | float):
        return None
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                return path
            found = _find_unrepresentable(value, [*path, key])
            if found is not None:
                return found
        return None
    if isinstance(node, list | tuple):
        for index, value in enumerate(node):
            found = _find_unrepresentable(value, [*path, index])
            if found is not None:
                return found
        return None
    return path
