"""Every snapshot fixture gives exactly its expected 7.1.0 payload, and its 7.0.0 expectation is
what a reader built on the frozen 7.0.0 schema sees of it."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.build import build_kpis_v7
from kpi_contract.reader import project_document
from tests.snapshot_fixtures import FIXTURE_FILES, builder_args, builder_kwargs, load_fixture
from tests.v7_releases import release_schema


def assert_payload_equal(actual: Any, expected: Any, path: str = "$") -> None:
    """Compare as the fixture README says: numbers by isclose, ts as an instant, rest exactly."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert set(actual) == set(expected), f"{path}: keys {sorted(actual)} != {sorted(expected)}"
        for key, value in expected.items():
            assert_payload_equal(actual[key], value, f"{path}.{key}")
    elif path == "$.ts":
        assert datetime.fromisoformat(actual) == datetime.fromisoformat(expected), path
    elif isinstance(expected, float):
        assert isinstance(actual, float), f"{path}: expected a number, got {actual!r}"
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), (
            f"{path}: {actual!r} != {expected!r}"
        )
    else:
        assert type(actual) is type(expected), f"{path}: {actual!r} is not {expected!r}"
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def test_fixture_directory_is_not_empty() -> None:
    """The fixture matrix below really runs over the shipped snapshot sets."""
    assert len(FIXTURE_FILES) >= 6


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_builds_its_expected_payload(path: Path) -> None:
    """The builder's JSON output for a fixture's inputs (and run_mode) equals `expected_7_1`."""
    fixture = load_fixture(path)
    built = build_kpis_v7(*builder_args(fixture), **builder_kwargs(fixture)).model_dump(
        mode="json")
    assert_payload_equal(built, fixture["expected_7_1"])


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_7_0_0_values_are_unchanged_by_7_1_0(path: Path) -> None:
    """Seen through the frozen 7.0.0 schema (unknown fields dropped), today's payload is the
    fixture's 7.0.0 `expected` payload but for its schema_version: 7.1.0 only adds fields."""
    fixture = load_fixture(path)
    built = build_kpis_v7(*builder_args(fixture), **builder_kwargs(fixture)).model_dump(
        mode="json")
    seen = project_document(built, release_schema("7.0.0"))
    assert isinstance(seen, dict)
    assert seen.pop("schema_version") == "7.1.0"
    expected = {k: v for k, v in fixture["expected"].items() if k != "schema_version"}
    assert_payload_equal(seen, expected)
