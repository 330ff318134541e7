"""The dashboard team's reader: tolerant of newer 7.x minors, strict on its own version and older
(judged as `validate` judges), strict across majors, caller's clock."""

from __future__ import annotations

import copy
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.errors import (
    DocumentInvalidError,
    LegacyFormatError,
    StateFileError,
    UnsupportedVersionError,
)
from kpi_contract.models import KpisV7
from kpi_contract.reader import (
    LEGACY_FLAT_KEYS,
    KpiReading,
    declares_newer_version,
    project_document,
    read_kpis,
)
from kpi_contract.schema import load_schema
from kpi_contract.validation import validate_document

TS = datetime.fromisoformat("2026-01-01T00:00:00+00:00").timestamp()


def example(index: int = 0) -> dict[str, Any]:
    return copy.deepcopy(load_schema()["examples"][index])


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "kpis_v7.json"
    path.write_text(json.dumps(doc))
    return path


def schema_with_optional_fields() -> dict[str, Any]:
    """A plausible next minor (7.2.0): optional ``router.fill_latency_ms`` and an optional
    ``venue`` object."""
    schema = copy.deepcopy(load_schema())
    schema["$id"] = "urn:kpi-contract:kpis_v7:7.2.0"
    schema["$defs"]["Router"]["properties"]["fill_latency_ms"] = {"type": ["number", "null"]}
    schema["$defs"]["Venue"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "region": {"type": ["string", "null"]}},
    }
    schema["properties"]["venue"] = {"anyOf": [{"$ref": "#/$defs/Venue"}, {"type": "null"}]}
    return schema


def test_reads_a_valid_file_into_the_model(tmp_path: Path) -> None:
    """A valid file gives the model, its schema version, and no age without a clock."""
    reading = read_kpis(write(tmp_path, example()))
    assert reading == KpiReading(
        kpis=KpisV7.model_validate(example()), age_s=None, stale=None, schema_version="7.1.0"
    )


@pytest.mark.parametrize(
    ("age_s", "max_age_s", "stale"),
    [(100.0, 120.0, False), (120.0, 120.0, False), (120.5, 120.0, True), (30.0, 10.0, True),
     (-5.0, 120.0, False), (-5.5, 120.0, True), (-3600.0, 120.0, True)],
)
def test_staleness_is_measured_against_the_given_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, age_s: float, max_age_s: float, stale: bool
) -> None:
    """age = now_ts - ts; stale = age > max_age_s, or ts more than the 5 s clock-skew tolerance
    in the future (a host clock stepped forward is not fresh); the wall clock is never read."""
    def no_clock() -> float:
        raise AssertionError("the reader read the wall clock")

    monkeypatch.setattr(time, "time", no_clock)
    reading = read_kpis(write(tmp_path, example()), now_ts=TS + age_s, max_age_s=max_age_s)
    assert reading.age_s == pytest.approx(age_s)
    assert reading.stale is stale


@pytest.mark.parametrize("now_ts", [float("nan"), float("inf")])
def test_non_finite_clock_is_a_caller_error(tmp_path: Path, now_ts: float) -> None:
    """A NaN or infinite now_ts raises ValueError instead of giving a meaningless age."""
    with pytest.raises(ValueError, match="now_ts"):
        read_kpis(write(tmp_path, example()), now_ts=now_ts)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    """A missing file is a StateFileError whose message starts with the file name."""
    path = tmp_path / "kpis_v7.json"
    with pytest.raises(StateFileError, match="No such file") as info:
        read_kpis(path)
    assert str(info.value).startswith(f"{path}::$: cannot open")


def test_directory_instead_of_file_is_a_state_file_error(tmp_path: Path) -> None:
    """A path that cannot be read as a file is a StateFileError, not an OSError."""
    with pytest.raises(StateFileError, match="not a regular file"):
        read_kpis(tmp_path)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "not valid JSON"),
        (b'{"schema_version": "7.0.0"', "not valid JSON"),
        (b"\xff", "not UTF-8"),
        (b'{"x": NaN}', "NaN is not a JSON number"),
    ],
)
def test_unparseable_file_is_a_state_file_error(
    tmp_path: Path, data: bytes, fragment: str
) -> None:
    """Bytes that are not strict UTF-8 JSON raise StateFileError naming the file."""
    path = tmp_path / "kpis_v7.json"
    path.write_bytes(data)
    with pytest.raises(StateFileError, match=fragment) as info:
        read_kpis(path)
    assert str(info.value).startswith(f"{path}::$: ")


@pytest.mark.parametrize("version", ["8.0.0", "6.9.1", "70.0.0"])
def test_other_major_is_refused_before_validation(tmp_path: Path, version: str) -> None:
    """A payload of another major raises UnsupportedVersionError, whatever its shape."""
    path = write(tmp_path, {"schema_version": version, "something": "else"})
    with pytest.raises(UnsupportedVersionError) as info:
        read_kpis(path)
    message = str(info.value)
    assert message.startswith(f"{path}::$.schema_version: unsupported schema version")
    assert repr(version) in message
    assert "major 7" in message


@pytest.mark.parametrize("version", ["7.0", "seven", 7])
def test_malformed_version_is_a_schema_violation(tmp_path: Path, version: object) -> None:
    """A schema_version that is not a semantic version string is reported by validation."""
    doc = example()
    doc["schema_version"] = version
    with pytest.raises(DocumentInvalidError) as info:
        read_kpis(write(tmp_path, doc))
    assert [v.json_path for v in info.value.violations] == ["$.schema_version"]


def test_newer_minor_with_unknown_fields_is_read(tmp_path: Path) -> None:
    """A 7.x payload with fields this reader does not know reads fine; they are ignored."""
    doc = example(1)
    doc["schema_version"] = "7.3.0"
    doc["router"]["fill_latency_ms"] = None
    doc["risk"]["dd_state"] = {"state": "normal", "drawdown_frac": 0.0, "peak_nav": 5000.0}
    del doc["nulls"]["risk.dd_state"]  # it has a value now (nulls must agree, SPEC 5a)
    doc["venue"] = {"name": "binance"}
    doc["nulls"]["router.fill_latency_ms"] = "missing"
    reading = read_kpis(write(tmp_path, doc))
    assert reading.schema_version == "7.3.0"
    expected = example(1)
    expected["schema_version"] = "7.3.0"
    expected["risk"]["dd_state"] = {"state": "normal", "drawdown_frac": 0.0}
    del expected["nulls"]["risk.dd_state"]
    assert reading.kpis == KpisV7.model_validate(expected)


def test_unknown_fields_do_not_hide_real_violations(tmp_path: Path) -> None:
    """Ignoring a newer minor's unknown fields still reports a bad known field, with its path."""
    doc = example()
    doc["schema_version"] = "7.2.0"
    doc["extra"] = 1
    doc["router"]["reject_rate"] = 2.0
    with pytest.raises(DocumentInvalidError) as info:
        read_kpis(write(tmp_path, doc))
    assert [v.json_path for v in info.value.violations] == ["$.router.reject_rate"]
    assert str(info.value).startswith(f"{tmp_path / 'kpis_v7.json'}::$.router.reject_rate: ")


def test_missing_required_field_is_a_violation(tmp_path: Path) -> None:
    """A required field is not invented: its absence is a DocumentInvalidError."""
    doc = example()
    del doc["nav"]["nav_total"]
    with pytest.raises(DocumentInvalidError) as info:
        read_kpis(write(tmp_path, doc))
    assert [v.json_path for v in info.value.violations] == ["$.nav"]


def test_projection_reads_absent_optional_fields_as_null() -> None:
    """Under a 7.1 schema, a 7.0 payload's absent optional fields read as null."""
    projected = project_document(example(), schema_with_optional_fields())
    expected = example()
    expected["router"]["fill_latency_ms"] = None
    expected["venue"] = None
    assert projected == expected


def test_projection_follows_refs_into_optional_objects() -> None:
    """Inside an object reached through anyOf/$ref, unknown keys drop and optionals fill."""
    doc = example()
    doc["venue"] = {"name": "binance", "tier": 3}
    doc["router"]["fill_latency_ms"] = 12.5
    projected = project_document(doc, schema_with_optional_fields())
    assert isinstance(projected, dict)
    assert projected["venue"] == {"name": "binance", "region": None}
    assert projected["router"]["fill_latency_ms"] == 12.5


def test_projection_drops_unknown_fields_and_keeps_the_rest() -> None:
    """Under the packaged schema, unknown keys (also in nulls) go and known values stay as-is."""
    doc = example(1)
    doc["new_top"] = [1]
    doc["nav"]["nav_currency"] = "USD"
    doc["nulls"]["router.fill_latency_ms"] = "missing"
    doc["router"]["maker_fill_share"] = "not a number"
    original = copy.deepcopy(doc)
    projected = project_document(doc, load_schema())
    expected = example(1)
    expected["router"]["maker_fill_share"] = "not a number"
    assert projected == expected
    assert doc == original


def test_projection_keeps_missing_required_fields_missing() -> None:
    """A required field is never filled with null by the projection."""
    doc = example()
    del doc["risk"]
    del doc["router"]["maker_first"]
    projected = project_document(doc, schema_with_optional_fields())
    assert isinstance(projected, dict)
    assert "risk" not in projected
    assert "maker_first" not in projected["router"]


@pytest.mark.parametrize(
    ("schema", "doc", "expected"),
    [
        (
            {"type": "array", "items": {"$ref": "#/$defs/P"},
             "$defs": {"P": {"properties": {"a": {}}, "additionalProperties": False}}},
            [{"a": 1, "b": 2}, {}],
            [{"a": 1}, {"a": None}],
        ),
        (
            {"allOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}, "required": ["b"]}]},
            {"c": 3},
            {"c": 3, "a": None},
        ),
        (
            {"properties": {"a": {}}, "patternProperties": {"^x-": {}},
             "additionalProperties": False},
            {"a": 1, "x-unit": "s", "y": 2},
            {"a": 1, "x-unit": "s"},
        ),
        (
            {"additionalProperties": {"properties": {"v": {}}, "additionalProperties": False}},
            {"k1": {"v": 1, "w": 2}},
            {"k1": {"v": 1}},
        ),
        ({"properties": {"a": True}}, {"a": {"deep": 1}, "b": 2}, {"a": {"deep": 1}, "b": 2}),
        ({"type": "string"}, "text", "text"),
    ],
)
def test_projection_is_driven_by_schema_keywords(
    schema: dict[str, Any], doc: object, expected: object
) -> None:
    """items, allOf, patternProperties, additionalProperties and boolean schemas are honoured."""
    assert project_document(doc, schema) == expected


@pytest.mark.parametrize(
    "legacy",
    [
        {"updated_at": 1767225600.0, "atr_regime": "hot", "dd_state": "normal",
         "router_stats": {"maker_fill_ratio": 0.5, "slip_q50": 2.0}, "fees": 3.0, "pnl": 10.0},
        {"ts": "2026-01-01T00:00:00Z", "drawdown": {"dd_pct": 1.5}},
        {"atr": {"atr_regime": "quiet"}, "symbols": {"BTCUSDT": {}}},
    ],
)
def test_the_pre_contract_flat_file_is_named_as_such(
    tmp_path: Path, legacy: dict[str, Any]
) -> None:
    """The dashboard's legacy flat file is recognised, not reported as a missing ``nav``."""
    with pytest.raises(LegacyFormatError) as excinfo:
        read_kpis(write(tmp_path, legacy))
    message = str(excinfo.value)
    assert "pre-contract flat KPI file" in message
    assert "required property" not in message
    assert excinfo.value.legacy_keys == [k for k in LEGACY_FLAT_KEYS if k in legacy]


def test_a_versioned_document_with_a_legacy_key_is_not_called_legacy(tmp_path: Path) -> None:
    """With a ``schema_version`` the file is judged by the schema: a legacy key is an unknown
    field (invalid at the reader's own version, dropped from a newer minor's payload)."""
    doc = example()
    doc["atr_regime"] = "hot"
    with pytest.raises(DocumentInvalidError, match="atr_regime"):
        read_kpis(write(tmp_path, doc))
    doc["schema_version"] = "7.2.0"
    assert read_kpis(write(tmp_path, doc)).kpis.risk.atr_regime == doc["risk"]["atr_regime"]


def test_an_absent_optional_kpi_is_read_as_null_with_reason_missing() -> None:
    """An older 7.x payload lacks a KPI a later minor added: the reader lists it as missing.

    Every 7.0.0 KPI is required, so this is checked on the projection step directly: the KPI
    absent from the document is null after projection and ``nulls`` gains ``missing`` for it.
    """
    from kpi_contract.reader import _absent_kpis_missing

    doc = example()
    del doc["router"]["reject_rate"]
    projected = copy.deepcopy(doc)
    projected["router"]["reject_rate"] = None
    result = _absent_kpis_missing(doc, projected)
    assert isinstance(result, dict)
    assert result["nulls"] == {"router.reject_rate": "missing"}
    assert _absent_kpis_missing(example(), example()) == example()


def own_version_or_older_with_unknowns() -> list[tuple[str, dict[str, Any]]]:
    """Documents of this reader's version (7.1.0) or older that carry something no release up
    to 7.1.0 has: an unknown field at three depths, an unknown nulls key (with and without a
    null leaf of that name), for 7.1.0, 7.0.0 and a 7.0.0 payload lacking the 7.1.0 fields."""
    cases: list[tuple[str, dict[str, Any]]] = []
    old = example()
    del old["run_mode"]
    old["nulls"].pop("run_mode", None)
    for version, base in (("7.1.0", example()), ("7.0.0", example()), ("7.0.0-shaped", old)):
        top = copy.deepcopy(base)
        top["extra"] = 1
        nested = copy.deepcopy(base)
        nested["nav"]["nav_currency"] = "USDT"
        deep = copy.deepcopy(base)
        deep["risk"]["dd_state"]["peak_nav"] = 5000.0
        key = copy.deepcopy(base)
        key["nulls"]["nav.foo"] = "missing"
        kpi = copy.deepcopy(base)
        kpi["router"]["fill_latency_ms"] = None
        kpi["nulls"]["router.fill_latency_ms"] = "missing"
        for name, doc in (("top-level field", top), ("nav field", nested),
                          ("dd_state field", deep), ("nulls key", key),
                          ("null KPI with its nulls key", kpi)):
            if version != "7.1.0":
                doc["schema_version"] = "7.0.0"
            cases.append((f"{version}: unknown {name}", doc))
    return cases


@pytest.mark.parametrize(("case", "doc"), own_version_or_older_with_unknowns(),
                         ids=[c for c, _ in own_version_or_older_with_unknowns()])
def test_own_version_or_older_is_judged_as_validate_judges(
    tmp_path: Path, case: str, doc: dict[str, Any]
) -> None:
    """An unknown field or nulls key in a payload declaring the reader's version or an older
    one is invalid for read_kpis, with validate's own violations (SPEC 8's tolerance is for
    newer minors only)."""
    assert not declares_newer_version(doc, load_schema())
    expected = validate_document(doc)
    assert expected
    with pytest.raises(DocumentInvalidError) as info:
        read_kpis(write(tmp_path, doc))
    assert info.value.violations == expected


@pytest.mark.parametrize("version", ["7.2.0", "7.1.1", "7.10.0", "7.1.10"])
@pytest.mark.parametrize(("case", "doc"), own_version_or_older_with_unknowns()[:5],
                         ids=[c for c, _ in own_version_or_older_with_unknowns()[:5]])
def test_a_newer_minor_or_patch_gets_the_projection(
    tmp_path: Path, version: str, case: str, doc: dict[str, Any]
) -> None:
    """The same additions in a payload declaring a later 7.x (minor or patch) are dropped: the
    reading is the payload without them."""
    newer = copy.deepcopy(doc)
    newer["schema_version"] = version
    assert declares_newer_version(newer, load_schema())
    reading = read_kpis(write(tmp_path, newer))
    expected = example()
    expected["schema_version"] = version
    assert reading.kpis == KpisV7.model_validate(expected)


@pytest.mark.parametrize(("version", "newer"), [
    ("7.1.0", False), ("7.0.0", False), ("7.0.9", False), ("7.1.1", True), ("7.2.0", True),
    ("7.10.0", True), ("8.0.0", False), ("6.9.9", False), ("7.02.0", False), ("7.2", False),
    ("7.2.0\n", False), ("\uff17.2.0", False), ("7.\u0662.0", False), (7.2, False),
    (None, False),
])
def test_which_versions_are_newer(version: object, newer: bool) -> None:
    """Only a well-formed 7.x version above the schema's own $id version counts as newer."""
    doc = {**example(), "schema_version": version}
    assert declares_newer_version(doc, load_schema()) is newer
    old = json.loads((Path(__file__).parent.parent / "schemas" / "releases"
                      / "kpis_v7-7.0.0.schema.json").read_text())
    assert declares_newer_version({"schema_version": "7.1.0"}, old)
    assert not declares_newer_version({"schema_version": "7.0.0"}, old)
