"""Turn a kpis_v7 model or a state document into the exact bytes that go on disk.

One serialisation for every state file: UTF-8, compact (no indent: with ``indent`` Python's json
falls back to its pure-Python encoder, three times slower, and the executor writes five files
every loop; ``jq .`` pretty-prints for people), one trailing newline, keys in the order the
mapping has them. Keys are deliberately not sorted: a model dumps its fields in schema
order, which is the order the dashboard team reads. Non-finite floats raise ``ValueError``
(``allow_nan=False``): ``json.dumps`` would otherwise write ``NaN`` tokens that are not JSON, and
``orjson``/``model_dump_json`` would silently turn them into ``null`` and hide the bug.
Negative zero is written as ``0.0`` (SPEC 5a): the builder already never makes one, and this is
the last guard for every state file, costing one substring scan when no ``-0.0`` is present.

A kpis_v7 model is written as ``dump_document(model_document(model))``; ``publish_kpis`` makes those
very bytes faster with the model's own serialiser when it can (``kpi_contract.fast_route``).
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpi_contract.models import KpisV7


def dump_document(doc: object) -> bytes:
    """Serialise a JSON value; ValueError on NaN/inf or unencodable text, TypeError on non-JSON.

    A ``-0.0`` anywhere in ``doc`` is written as ``0.0``; ``doc`` itself is never changed.
    """
    text = _dumps(doc)
    if "-0.0" in text:  # also matches -0.01 or text in a string: then look at the real floats
        text = _dumps(_without_negative_zero(doc))
    return (text + "\n").encode("utf-8")


def _dumps(doc: object) -> str:
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _without_negative_zero(node: Any) -> Any:
    """A copy of a JSON value with every ``-0.0`` replaced by ``0.0`` (order kept)."""
    if isinstance(node, float):
        return node + 0.0
    if isinstance(node, dict):
        return {key: _without_negative_zero(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_without_negative_zero(value) for value in node]
    return node


def model_document(model: KpisV7) -> dict[str, Any]:
    """The model as a JSON-ready dict in schema order, with ``ts`` in UTC ending in ``Z``."""
    doc = model.model_dump(mode="json")
    doc["ts"] = model.ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return doc

