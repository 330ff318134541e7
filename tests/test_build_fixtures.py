"""Every snapshot fixture gives exactly its expected payload."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.build import build_kpis_v7
from tests.snapshot_fixtures import FIXTURE_FILES, builder_args, load_fixture


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
    """The builder's JSON output for a fixture's inputs equals its `expected` payload."""
    fixture = load_fixture(path)
    built = build_kpis_v7(*builder_args(fixture)).model_dump(mode="json")
    assert_payload_equal(built, fixture["expected"])
