"""The JavaScript reader (js/reader.mjs) reads kpis_v7 the way the Python reader does (issue 14,
SPEC section 8): unknown fields ignored, absent optional fields null, other majors refused; and
its package-rule check finds what JSON Schema cannot express (SPEC section 5a)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.errors import (
    DocumentInvalidError,
    LegacyFormatError,
    StateFileError,
    UnsupportedVersionError,
)
from kpi_contract.reader import project_document, read_kpis
from tests.consumer_corpus import Case, fixture_payloads, mutated, schema_examples, text_of
from tests.consumer_validators import SCHEMA_PATH, js_reader, node_json, schema

EXAMPLE = schema()["examples"][1]


def future_minor(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as a later 7.x writer might send it: new fields at three levels, a new KPI with
    its null reason."""
    newer = copy.deepcopy(doc)
    newer["schema_version"] = "7.3.0"
    newer["run_mode"] = "dry_run"
    newer["router"]["fill_count"] = None
    newer["router"]["samples"] = {"maker_fill_share": 40}
    newer["nulls"]["router.fill_count"] = "missing"
    if isinstance(newer["risk"]["dd_state"], dict):
        newer["risk"]["dd_state"]["peak_nav"] = 5012.5
    return newer


def schema_7_1(tmp_path: Path) -> Path:
    """A made-up 7.1.0 schema: optional ``run_mode`` at the top, optional KPI
    ``router.fill_count`` with its ``nulls`` key (a minor release per SPEC section 8)."""
    newer = schema()
    newer["$id"] = "urn:kpi-contract:kpis_v7:7.1.0"
    newer["properties"]["run_mode"] = {"type": ["string", "null"],
                                       "enum": ["live", "testnet", "dry_run", "replay", None]}
    newer["$defs"]["Router"]["properties"]["fill_count"] = {"type": ["integer", "null"],
                                                           "minimum": 0}
    newer["$defs"]["Nulls"]["propertyNames"]["enum"].append("router.fill_count")
    path = tmp_path / "kpis_v7-7.1.0.schema.json"
    path.write_text(json.dumps(newer), encoding="utf-8")
    return path


def as_doubles(value: Any) -> Any:
    """``value`` with every number as a double, as JavaScript holds it."""
    if isinstance(value, dict):
        return {k: as_doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_doubles(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def js_project(docs: list[object], schema_path: Path) -> list[object]:
    projected: list[object] = node_json(
        "out(INPUT.map((doc) => reader.projectKpisV7(doc, SCHEMA)));",
        schema_path=schema_path, data=docs)
    return projected


def python_read(text: str, tmp_path: Path) -> str:
    """read_kpis's outcome in the JavaScript reader's words."""
    path = tmp_path / "kpis_v7.json"
    path.write_text(text, encoding="utf-8")
    try:
        read_kpis(path)
    except UnsupportedVersionError:
        return "version"
    except (DocumentInvalidError, LegacyFormatError):
        return "invalid"
    except StateFileError:
        return "json"
    return "ok"


@pytest.fixture(scope="module")
def corpus() -> list[Case]:
    bases = [*fixture_payloads(), *schema_examples()]
    return [*bases, *mutated(bases, combinations=60, seed=8)]


def test_projection_matches_the_python_readers_on_the_corpus(corpus: list[Case]) -> None:
    """projectKpisV7 returns exactly reader.py's project_document for every corpus document,
    valid or not, and for their future-minor versions."""
    docs = [json.loads(case.text) for case in corpus]
    docs += [future_minor(doc) for doc in docs[:12]]
    current = schema()
    expected = [as_doubles(project_document(doc, current)) for doc in docs]
    assert as_doubles(js_project(docs, SCHEMA_PATH)) == expected


def test_projection_drops_unknown_fields_and_nulls_keys() -> None:
    """A later 7.x payload seen by a 7.0 reader: the new fields and the new KPI's nulls key are
    gone, everything known is untouched."""
    newer = future_minor(EXAMPLE)
    [projected] = js_project([newer], SCHEMA_PATH)
    assert projected == {**EXAMPLE, "schema_version": "7.3.0"}


def test_a_newer_reader_reads_absent_optional_fields_as_null(tmp_path: Path) -> None:
    """A 7.0 payload read with a made-up 7.1 schema: the optional run_mode and router.fill_count
    read as null (Python and JavaScript alike), and the reader accepts it without a nulls reason
    for them."""
    path = schema_7_1(tmp_path)
    newer_schema = json.loads(path.read_text(encoding="utf-8"))
    [projected] = js_project([EXAMPLE], path)
    assert projected == project_document(EXAMPLE, newer_schema)
    assert isinstance(projected, dict)
    assert projected["run_mode"] is None
    assert projected["router"]["fill_count"] is None
    assert js_reader([text_of(EXAMPLE)], path) == ["ok"]


def test_reader_outcomes_match_read_kpis(corpus: list[Case], tmp_path: Path) -> None:
    """readKpisV7 and read_kpis accept and refuse the same files (corpus documents and their
    future-minor versions); tolerant reading accepts documents with unknown fields that the
    closed schema refuses."""
    texts = [case.text for case in corpus]
    texts += [text_of(future_minor(json.loads(case.text))) for case in corpus[:12]]
    texts += ["{", "", "[1,]", text_of({**EXAMPLE, "schema_version": "8.0.0"}),
              text_of({**EXAMPLE, "schema_version": "6.2.1"})]
    # "rules" (SPEC 5a) is an invalid document for read_kpis too; the corpus keeps those rules.
    js = ["invalid" if kind == "rules" else kind for kind in js_reader(texts)]
    python = [python_read(text, tmp_path) for text in texts]
    assert js == python
    assert set(js) == {"ok", "invalid", "json", "version"}
    unknown_key = [c.text for c in corpus if c.name == "invalid:unknown key in nav"]
    assert js_reader(unknown_key) == ["ok"]


@pytest.mark.parametrize(("case", "kind"), [
    ("major 8", "version"),
    ("major 6", "version"),
    ("not JSON", "json"),
    ("nav_total missing", "invalid"),
    ("a null without its reason", "rules"),
    ("a reason for a non-null KPI", "rules"),
    ("dd_state null with its children listed", "rules"),
    ("a leap second", "rules"),
    ("an integer beyond double range", "rules"),
    ("a number beyond double range", "rules"),
    ("future minor", "ok"),
    ("duplicate keys (invisible after JSON.parse)", "ok"),
])
def test_read_kpis_v7_names_what_is_wrong(case: str, kind: str) -> None:
    """readKpisV7 refuses each kind of bad file with its own error kind."""
    base = text_of(EXAMPLE)
    texts = {
        "major 8": text_of({**EXAMPLE, "schema_version": "8.0.0"}),
        "major 6": text_of({**EXAMPLE, "schema_version": "6.0.0"}),
        "not JSON": base[:-1],
        "nav_total missing": text_of({**EXAMPLE, "nav": {"nav_age_s": 1.0, "sources_ok": True}}),
        "a null without its reason": text_of({**EXAMPLE, "nulls": {}}),
        "a reason for a non-null KPI": text_of(
            {**EXAMPLE, "nulls": {**EXAMPLE["nulls"], "nav.nav_total": "missing"}}),
        "dd_state null with its children listed": text_of(
            {**EXAMPLE, "nulls": {**EXAMPLE["nulls"], "risk.dd_state.state": "missing"}}),
        "a leap second": text_of({**EXAMPLE, "ts": "2016-12-31T23:59:60Z"}),
        "an integer beyond double range": base.replace("4093.43", "1" + "0" * 400),
        "a number beyond double range": base.replace("4093.43", "1e400"),
        "future minor": text_of(future_minor(EXAMPLE)),
        "duplicate keys (invisible after JSON.parse)": base.replace(
            '"nav_total":4093.43', '"nav_total":"x","nav_total":4093.43'),
    }
    assert texts[case] != base or case == "future minor"
    assert js_reader([texts[case]]) == [kind]


def test_package_rule_violations_point_at_the_nulls_entry() -> None:
    """packageRuleViolations names each disagreement by JSON pointer, both directions."""
    doc = copy.deepcopy(EXAMPLE)
    doc["nav"]["nav_total"] = None
    doc["nulls"]["router.avg_slippage_bps"] = "invalid"
    found = node_json("out(reader.packageRuleViolations(INPUT, SCHEMA));", data=doc)
    assert found == [
        {"path": "/nulls/nav.nav_total",
         "message": "nav.nav_total is null but nulls does not say why"},
        {"path": "/nulls/router.avg_slippage_bps",
         "message": "router.avg_slippage_bps is listed in nulls but is not a null KPI"},
    ]
    assert node_json("out(reader.packageRuleViolations(INPUT, SCHEMA));", data=EXAMPLE) == []
