"""Turn a kpis_v7 model or a state document into the exact bytes that go on disk.

One serialisation for every state file: UTF-8, compact (no indent: with ``indent`` Python's json
falls back to its pure-Python encoder, three times slower, and the executor writes five files
every loop; ``jq .`` pretty-prints for people), one trailing newline, keys in the order the
mapping has them. Keys are deliberately not sorted: a model dumps its fields in schema
order, which is the order the dashboard team reads. Non-finite floats raise ``ValueError``
(``allow_nan=False``): ``json.dumps`` would otherwise write ``NaN`` tokens that are not JSON, and
``orjson``/``model_dump_json`` would silently turn them into ``null`` and hide the bug.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpi_contract.models import KpisV7


def dump_document(doc: object) -> bytes:
    """Serialise a JSON value; ValueError on NaN/inf or unencodable text, TypeError on non-JSON."""
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def model_document(model: KpisV7) -> dict[str, Any]:
    """The model as a JSON-ready dict in schema order, with ``ts`` in UTC ending in ``Z``."""
    doc = model.model_dump(mode="json")
    doc["ts"] = model.ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return doc
