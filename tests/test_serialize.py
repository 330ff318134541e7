"""Serialisation of documents and models to the bytes that go on disk."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kpi_contract.models import KpisV7
from kpi_contract.schema import load_schema
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.validation import validate_bytes


def example() -> dict[str, Any]:
    return copy.deepcopy(load_schema()["examples"][0])


def test_dump_is_compact_utf8_with_trailing_newline() -> None:
    """Compact separators, non-ASCII kept as UTF-8 (not escaped), exactly one trailing newline."""
    data = dump_document({"name": "é", "n": [1]})
    assert data == '{"name":"é","n":[1]}\n'.encode()


def test_dump_keeps_mapping_order_instead_of_sorting() -> None:
    """Keys come out in the mapping's order, not alphabetically."""
    data = dump_document({"zeta": 1, "alpha": 2, "mid": {"y": 1, "b": 2}})
    assert list(json.loads(data)) == ["zeta", "alpha", "mid"]
    assert data.index(b'"y"') < data.index(b'"b"')


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_dump_refuses_non_finite_numbers(value: float) -> None:
    """NaN and infinity raise ValueError; they are never written as tokens or as null."""
    with pytest.raises(ValueError, match="not JSON compliant"):
        dump_document({"nested": {"x": value}})


def test_dump_refuses_non_json_types() -> None:
    """A value JSON has no form for raises TypeError instead of being stringified."""
    with pytest.raises(TypeError):
        dump_document({"when": datetime(2026, 1, 1, tzinfo=UTC)})


def test_dump_refuses_lone_surrogates() -> None:
    """Text that cannot be encoded as UTF-8 raises ValueError rather than writing bad bytes."""
    with pytest.raises(ValueError, match="surrogate"):
        dump_document({"s": "\ud800"})


def test_dump_is_deterministic() -> None:
    """The same document always gives the same bytes."""
    assert dump_document(example()) == dump_document(example())


def test_model_document_keeps_schema_order_and_validates() -> None:
    """A model dumps in the schema's property order and its bytes validate."""
    doc = model_document(KpisV7.model_validate(example()))
    assert list(doc) == list(load_schema()["properties"])
    assert list(doc["router"]) == list(load_schema()["$defs"]["Router"]["properties"])
    assert doc == example()
    assert validate_bytes(dump_document(doc)) == []


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00Z"),
        (datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))), "2026-01-01T00:00:00Z"),
        (datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=UTC), "2026-01-01T00:00:00.250000Z"),
    ],
)
def test_model_document_renders_ts_in_utc_with_z(ts: datetime, expected: str) -> None:
    """``ts`` is converted to UTC and ends in ``Z`` whatever offset the model holds."""
    model = KpisV7.model_validate(example()).model_copy(update={"ts": ts})
    doc = model_document(model)
    assert doc["ts"] == expected
    assert list(doc)[1] == "ts"
    assert validate_bytes(dump_document(doc)) == []
