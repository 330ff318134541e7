"""Schema validation of documents and of serialised bytes."""

from __future__ import annotations

import copy
import datetime
import json
import math
from typing import Any

import pytest

from kpi_contract.errors import Violation
from kpi_contract.schema import load_schema
from kpi_contract.validation import json_path, loads_strict, validate_bytes, validate_document


def example(index: int = 0) -> dict[str, Any]:
    """A fresh copy of one of the schema's own examples."""
    return copy.deepcopy(load_schema()["examples"][index])


@pytest.mark.parametrize("index", [0, 1])
def test_schema_examples_are_valid(index: int) -> None:
    """Both examples shipped in the schema validate with no violations."""
    assert validate_document(example(index)) == []


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], "$"),
        (["router", "maker_fill_share"], "$.router.maker_fill_share"),
        (["nulls", "risk.dd_state"], "$.nulls['risk.dd_state']"),
        (["a", 0, "b"], "$.a[0].b"),
        (["it's"], "$['it\\'s']"),
        (["back\\slash"], "$['back\\\\slash']"),
        (["1st"], "$['1st']"),
    ],
)
def test_json_path_convention(parts: list[str | int], expected: str) -> None:
    """Identifier keys are dotted, other keys bracketed and quoted, indexes bracketed."""
    assert json_path(parts) == expected


def set_at(doc: dict[str, Any], dotted: str, value: object) -> dict[str, Any]:
    *parents, last = dotted.split("/")
    node = doc
    for part in parents:
        node = node[part]
    node[last] = value
    return doc


@pytest.mark.parametrize(
    ("dotted", "value", "path", "fragment"),
    [
        ("router/maker_fill_share", 1.5, "$.router.maker_fill_share", "maximum"),
        ("router/reject_rate", -0.1, "$.router.reject_rate", "minimum"),
        ("nav/nav_age_s", -1.0, "$.nav.nav_age_s", "minimum"),
        ("nav/nav_total", "4093.43", "$.nav.nav_total", "not of type"),
        ("nav/nav_total", True, "$.nav.nav_total", "not of type"),
        ("nav/sources_ok", 1, "$.nav.sources_ok", "not of type"),
        ("risk/atr_regime", "HOT", "$.risk.atr_regime", "is not one of"),
        ("ts", "2026-13-01T00:00:00Z", "$.ts", "date-time"),
        ("ts", "2026-01-01T00:00:00+02:00", "$.ts", "Z$"),
        ("schema_version", "8.0.0", "$.schema_version", "does not match"),
        ("nulls/risk.dd_state", "gone", "$.nulls['risk.dd_state']", "is not one of"),
        ("nulls/bogus", "missing", "$.nulls", "bogus"),
        ("extra", 1, "$", "extra"),
    ],
)
def test_violation_names_path_and_problem(
    dotted: str, value: object, path: str, fragment: str
) -> None:
    """Each kind of schema violation is reported at the offending field's path."""
    violations = validate_document(set_at(example(), dotted, value))
    assert [v.json_path for v in violations] == [path]
    assert fragment in violations[0].message


def test_missing_required_key_is_reported_on_its_parent() -> None:
    """Every key is required: removing one is a violation naming the key."""
    doc = example()
    del doc["router"]["reject_rate"]
    assert validate_document(doc) == [
        Violation("$.router", '"reject_rate" is a required property')
    ]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_number_is_reported_as_such(value: float) -> None:
    """A NaN/inf in a document is named as non-finite, not described as null."""
    violations = validate_document(set_at(example(), "router/avg_slippage_bps", value))
    assert [v.json_path for v in violations] == ["$.router.avg_slippage_bps"]
    assert "not a finite number" in violations[0].message


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), "$.nav.nav_total"),
        (object(), "$.nav.nav_total"),
        ({1: "x"}, "$.nav.nav_total"),
    ],
)
def test_value_json_cannot_hold_is_a_violation_not_an_exception(value: object, path: str) -> None:
    """Python objects JSON has no form for are reported at their path instead of raising."""
    violations = validate_document(set_at(example(), "nav/nav_total", value))
    assert [v.json_path for v in violations] == [path]
    assert violations[0].message.startswith("not a JSON value")


@pytest.mark.parametrize("doc", [None, [], "x", 7, True])
def test_non_object_document_is_invalid(doc: object) -> None:
    """A document that is not an object is reported at ``$``."""
    violations = validate_document(doc)
    assert [v.json_path for v in violations] == ["$"]


def test_violations_are_sorted_and_stable() -> None:
    """Several violations come back sorted by path then message, the same every time."""
    doc = example()
    doc["router"]["reject_rate"] = 2.0
    doc["nav"]["nav_total"] = "x"
    doc["nulls"]["zzz"] = "nope"
    first = validate_document(doc)
    assert first == sorted(first, key=lambda v: (v.json_path, v.message))
    assert [v.json_path for v in first] == [
        "$.nav.nav_total", "$.nulls", "$.nulls.zzz", "$.router.reject_rate",
    ]
    assert validate_document(copy.deepcopy(doc)) == first


def test_valid_bytes_have_no_violations() -> None:
    """The serialised example validates from bytes."""
    assert validate_bytes(json.dumps(example()).encode()) == []


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"a": 1', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
        (b'{"x": NaN}', "NaN is not a JSON number"),
        (b'{"x": Infinity}', "Infinity is not a JSON number"),
        (b'{"x": -Infinity}', "-Infinity is not a JSON number"),
        (json.dumps({"a": 1}).encode("utf-16"), "not UTF-8"),
    ],
)
def test_bad_bytes_are_one_violation_at_root(data: bytes, fragment: str) -> None:
    """Bytes that are not UTF-8 JSON (or hold NaN/Infinity) give one violation at ``$``."""
    violations = validate_bytes(data)
    assert len(violations) == 1
    assert violations[0].json_path == "$"
    assert fragment in violations[0].message


def test_nan_token_inside_an_otherwise_valid_payload_is_refused() -> None:
    """A NaN token in a real payload is refused even though Python's json would accept it."""
    data = json.dumps(example()).replace("4093.43", "NaN").encode()
    assert math.isnan(json.loads(data)["nav"]["nav_total"])  # plain json.loads accepts it
    assert validate_bytes(data)[0].message == "not valid JSON: NaN is not a JSON number"


def test_loads_strict_parses_valid_json() -> None:
    """loads_strict returns the parsed value for valid UTF-8 JSON, non-ASCII included."""
    assert loads_strict('{"k": "é", "n": [1, 2.5]}'.encode()) == {"k": "é", "n": [1, 2.5]}
