"""Publishing kpis_v7.json: the exact bytes are validated before anything is written."""

from __future__ import annotations

import copy
import errno
import json
import math
import os
import stat
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from kpi_contract.models import KpisV7
from kpi_contract.publish import publish_kpis
from kpi_contract.schema import load_schema
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.validation import validate_bytes


def example(index: int = 0) -> dict[str, Any]:
    return copy.deepcopy(load_schema()["examples"][index])


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A kpis_v7.json that already holds a good payload (the second schema example)."""
    path = tmp_path / "kpis_v7.json"
    assert publish_kpis(path, example(1)).ok
    return path


def test_publish_model_writes_its_canonical_bytes(tmp_path: Path) -> None:
    """A model is written as dump_document(model_document(model)), mode 0644, valid."""
    model = KpisV7.model_validate(example())
    result = publish_kpis(tmp_path / "kpis_v7.json", model)
    data = (tmp_path / "kpis_v7.json").read_bytes()
    assert result.ok
    assert result.bytes_written == len(data)
    assert data == dump_document(model_document(model))
    assert validate_bytes(data) == []
    assert stat.S_IMODE((tmp_path / "kpis_v7.json").stat().st_mode) == 0o644


@pytest.mark.parametrize("kpis", [example(), OrderedDict(example()), MappingProxyType(example())])
def test_publish_valid_mapping(tmp_path: Path, kpis: Any) -> None:
    """A valid mapping is written with its key order kept."""
    result = publish_kpis(tmp_path / "kpis_v7.json", kpis)
    assert result.ok, result.error
    assert (tmp_path / "kpis_v7.json").read_bytes() == dump_document(example())


def with_change(path: str, value: object) -> dict[str, Any]:
    doc = example()
    *parents, last = path.split("/")
    node = doc
    for part in parents:
        node = node[part]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize(
    ("kpis", "json_path"),
    [
        (with_change("router/maker_fill_share", 1.5), "$.router.maker_fill_share"),
        (with_change("nav/nav_total", math.nan), "$.nav.nav_total"),
        (with_change("risk/fee_pnl_ratio", math.inf), "$.risk.fee_pnl_ratio"),
        (with_change("nav/extra", 1), "$.nav"),
        (with_change("legacy_mirror", {}), "$"),
        (with_change("performance/expectancy", KeyError), "$.performance"),
        (with_change("ts", "yesterday"), "$.ts"),
        (with_change("nav/nav_total", object()), "$.nav.nav_total"),
        (with_change("nulls/nav.nav_total", "because"), "$.nulls['nav.nav_total']"),
        ({}, "$"),
        ([1, 2], "$"),
        (None, "$"),
        ("{}", "$"),
    ],
)
def test_invalid_payload_writes_nothing_and_names_the_path(
    published: Path, kpis: Any, json_path: str
) -> None:
    """Invalid content is a failed result naming the field; the last good file is byte-identical."""
    before = published.read_bytes()
    result = publish_kpis(published, kpis)
    assert not result.ok
    assert result.bytes_written == 0
    assert result.violations
    assert result.violations[0].json_path == json_path
    assert (result.error or "").startswith(f"{published}::{json_path}: ")
    assert "\n" not in (result.error or "")
    assert published.read_bytes() == before
    assert sorted(p.name for p in published.parent.iterdir()) == [published.name]


def test_invalid_payload_does_not_create_a_missing_file(tmp_path: Path) -> None:
    """With no previous file, an invalid payload leaves no file at all."""
    result = publish_kpis(tmp_path / "kpis_v7.json", with_change("nav/nav_total", "x"))
    assert not result.ok
    assert list(tmp_path.iterdir()) == []


def test_error_line_counts_further_violations(published: Path) -> None:
    """With several violations the error line shows the first and how many more there are."""
    doc = with_change("router/reject_rate", 2.0)
    doc["nav"]["nav_total"] = "x"
    result = publish_kpis(published, doc)
    assert [v.json_path for v in result.violations] == ["$.nav.nav_total", "$.router.reject_rate"]
    assert (result.error or "").endswith("(and 1 more)")


def test_validation_runs_on_the_serialised_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is validated is exactly the byte string that is then written."""
    seen: list[bytes] = []

    def spy(data: bytes) -> Any:
        seen.append(data)
        return validate_bytes(data)

    monkeypatch.setattr("kpi_contract.publish.validate_bytes", spy)
    assert publish_kpis(tmp_path / "kpis_v7.json", example()).ok
    assert seen == [(tmp_path / "kpis_v7.json").read_bytes()]


def test_write_failure_is_returned_without_violations(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A valid payload on a full disk is a failed result with no violations; old file kept."""
    before = published.read_bytes()

    def full(*_args: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    result = publish_kpis(published, example())
    assert not result.ok
    assert result.violations == ()
    assert "(ENOSPC)" in (result.error or "")
    assert published.read_bytes() == before


def test_published_payload_round_trips(published: Path) -> None:
    """The file parses back to the document that was published."""
    assert json.loads(published.read_bytes()) == example(1)
