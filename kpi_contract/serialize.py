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
from datetime import UTC, datetime
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
    """The model as a JSON-ready dict in schema order, with ``ts`` in UTC ending in ``Z``.

    For a model pydantic validated this is its JSON dump. A model whose validation was skipped
    (``model_construct``, ``model_copy(update=...)``) may hold what validation refuses, and the
    dump must not hide that from the validator nor raise (``publish_kpis`` never raises on
    content): a ``bool`` in a number leaf stays a bool (the JSON dump writes ``True`` as ``1.0``;
    the schema then refuses ``true``), an int beyond double range stays that int (the JSON dump
    raises OverflowError; the package rule then names it), and a ``ts`` that is no aware datetime
    stays as held (a string is judged as written; a naive datetime is written without an offset,
    never guessed to be local time, and the schema's ``Z`` pattern refuses it). Other values of a
    wrong type are dumped as pydantic infers them, as the fast route writes them, without a
    warning. ValueError / TypeError only for a model pydantic cannot dump at all.
    """
    try:
        doc = model.model_dump(mode="json", warnings=False)
    except OverflowError:  # an int beyond double range where a float belongs: keep it as held
        doc = model.model_dump(mode="python", warnings=False)
    _keep_bools_in_numbers(model, doc)
    ts = model.ts
    if isinstance(ts, datetime):
        aware = ts.utcoffset() is not None
        doc["ts"] = ts.astimezone(UTC).isoformat().replace("+00:00", "Z") if aware else (
            ts.isoformat())
    return doc


def _keep_bools_in_numbers(model: object, doc: dict[str, Any]) -> None:
    """Put back every ``bool`` a number leaf of ``model`` holds, where the JSON dump wrote a
    float (pydantic's float serialiser takes a bool for 1.0 / 0.0)."""
    from kpi_contract.document_rules import number_kpi_paths  # noqa: PLC0415 (first use only)

    for path in number_kpi_paths():
        held: Any = model
        node: Any = doc
        for part in path[:-1]:
            held = held.get(part) if isinstance(held, dict) else getattr(held, part, None)
            node = node.get(part) if isinstance(node, dict) else None
        leaf = path[-1]
        value = held.get(leaf) if isinstance(held, dict) else getattr(held, leaf, None)
        if type(value) is bool and isinstance(node, dict) and leaf in node:
            node[leaf] = value
