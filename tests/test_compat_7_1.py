"""7.0.0 and 7.1.0 readable both ways (SPEC section 8, issue 9).

- Every 7.0.0 payload (the fixtures' 7.0.0 expectations, the 7.0.0 schema's examples, generated
  ones) is valid under 7.1.0 and reads through today's reader, the 7.1.0 fields as null.
- Every 7.1.0 payload (the builder's, the schema's examples, generated ones) reads through a
  reader built on the frozen 7.0.0 release: its schema projects away the unknown fields and
  validates the rest, its generated models hold the values.
- The mirror and ``kpi-contract validate`` accept both.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution.sync_state import StateMirror
from kpi_contract import cli, jsonio
from kpi_contract.build import NULL_PATH_ORDER, RUN_MODES, SAMPLE_COUNTS, build_kpis_v7
from kpi_contract.reader import read_kpis
from kpi_contract.schema import SCHEMA_VERSION, load_schema
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.validation import validate_bytes, validate_document
from tests.cli_helpers import run_cli
from tests.schema_payloads import payloads
from tests.snapshot_fixtures import FIXTURE_FILES, builder_args, builder_kwargs, load_fixture
from tests.test_build_properties import damaged_inputs
from tests.v7_releases import read_as, release_schema, violations_under

ADDED = ("run_mode", *SAMPLE_COUNTS.values())
OLD_FIXTURE_PAYLOADS = [load_fixture(p)["expected"] for p in FIXTURE_FILES]
OLD_EXAMPLES = release_schema("7.0.0")["examples"]
NEW_EXAMPLES = load_schema()["examples"]


def at(doc: Any, dotted: str) -> Any:
    """The value at a dotted path (None below a null or absent parent)."""
    for part in dotted.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def old_leaves(doc: dict[str, Any]) -> dict[str, Any]:
    """The 7.0.0 leaves of a payload, by dotted path (what a 7.0.0 reader can know)."""
    return {path: at(doc, path) for path in NULL_PATH_ORDER if path not in ADDED}


def read_file(path: Path, doc: dict[str, Any]) -> Any:
    """``doc`` written to ``path`` and read back with today's ``read_kpis``."""
    path.write_bytes(dump_document(doc))
    return read_kpis(path).kpis.model_dump(mode="json")


def check_old_payload_reads_today(doc: dict[str, Any], path: Path) -> None:
    """A 7.0.0 payload: valid under 7.1.0; read today with the added leaves null, the rest as
    written."""
    assert violations_under("7.0.0", doc) == []
    assert validate_document(doc) == []
    read = read_file(path, doc)
    assert read["schema_version"] == doc["schema_version"]
    assert {p: at(read, p) for p in ADDED} == dict.fromkeys(ADDED)
    assert old_leaves(read) == old_leaves(doc)
    # The reader lists each leaf the older payload lacks as missing: every null has its reason.
    assert read["nulls"] == {**doc["nulls"], **dict.fromkeys(ADDED, "missing")}


@pytest.mark.parametrize("doc", OLD_FIXTURE_PAYLOADS + OLD_EXAMPLES)
def test_7_0_0_payloads_are_valid_and_read_under_7_1_0(tmp_path: Path, doc: dict[str, Any]
                                                       ) -> None:
    """The fixtures' 7.0.0 expectations and the 7.0.0 schema's examples read today, the 7.1.0
    fields as null."""
    check_old_payload_reads_today(doc, tmp_path / "kpis_v7.json")


@given(payloads(release_schema("7.0.0")))
def test_generated_7_0_0_payloads_read_under_7_1_0(doc: dict[str, Any]) -> None:
    """Any payload valid under the frozen 7.0.0 schema reads today, the 7.1.0 fields as null."""
    with tempfile.TemporaryDirectory() as tmp:
        check_old_payload_reads_today(doc, Path(tmp) / "kpis_v7.json")


def check_new_payload_reads_on_7_0_0(doc: dict[str, Any]) -> None:
    """A 7.1.0 payload through a reader built on 7.0.0: accepted, its 7.0.0 leaves as written."""
    assert validate_document(doc) == []
    read = read_as("7.0.0", doc).model_dump(mode="json")
    assert set(read) == set(release_schema("7.0.0")["properties"])
    assert old_leaves(read) == old_leaves(doc)
    assert read["nulls"] == {k: v for k, v in doc["nulls"].items() if k not in ADDED}


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_7_1_0_builder_output_reads_on_a_7_0_0_reader(path: Path) -> None:
    """Today's payload for every fixture reads through a reader built on the 7.0.0 release."""
    fixture = load_fixture(path)
    built = build_kpis_v7(*builder_args(fixture), **builder_kwargs(fixture))
    check_new_payload_reads_on_7_0_0(json.loads(dump_document(model_document(built))))


@pytest.mark.parametrize("doc", NEW_EXAMPLES)
def test_7_1_0_examples_read_on_a_7_0_0_reader(doc: dict[str, Any]) -> None:
    """The 7.1.0 schema's own examples read through a reader built on 7.0.0."""
    check_new_payload_reads_on_7_0_0(doc)


@given(damaged_inputs(), st.sampled_from((None, *RUN_MODES)))
def test_builder_output_on_damaged_inputs_reads_on_a_7_0_0_reader(
    inputs: tuple[Any, ...], mode: str | None
) -> None:
    """Whatever the builder writes from damaged snapshots reads through a 7.0.0 reader."""
    built = build_kpis_v7(*inputs, run_mode=mode)
    check_new_payload_reads_on_7_0_0(json.loads(dump_document(model_document(built))))


@given(payloads(load_schema(), optional="always"))
def test_generated_7_1_0_payloads_read_on_a_7_0_0_reader(doc: dict[str, Any]) -> None:
    """Any payload a 7.1.0 writer may write (every key present) reads through a 7.0.0 reader."""
    check_new_payload_reads_on_7_0_0(doc)


def test_a_7_0_0_reader_rejects_7_1_0_payloads_without_projection() -> None:
    """Control: the 7.0.0 schema is closed, so the projection is what makes the reader
    tolerant (without it the 7.1.0 fields are rejected as unknown)."""
    problems = violations_under("7.0.0", NEW_EXAMPLES[0])
    assert any("run_mode" in p for p in problems)


def test_the_mirror_and_validate_accept_both_versions(tmp_path: Path) -> None:
    """A 7.0.0 payload, then a 7.1.0 one: the mirror copies each, `validate` passes each."""
    state, mirror = tmp_path / "state", tmp_path / "mirror"
    state.mkdir()
    mirror.mkdir()
    sync = StateMirror(state, mirror)
    fixture = load_fixture(FIXTURE_FILES[0])
    new = model_document(build_kpis_v7(*builder_args(fixture), run_mode="dry_run"))
    for doc in (fixture["expected"], new):
        data = dump_document(doc)
        assert validate_bytes(data) == []
        (state / "kpis_v7.json").write_bytes(data)
        report = sync.sync_once()
        assert "kpis_v7.json" in report.copied, report.summary()
        assert (mirror / "kpis_v7.json").read_bytes() == data
        result = run_cli("validate", str(mirror / "kpis_v7.json"))
        assert result.returncode == 0, result.stderr


def test_validate_names_each_payloads_own_version(tmp_path: Path) -> None:
    """`validate` says which version a valid file declares: a 7.0.0 payload is not reported as
    7.1.0, and the line names the schema it was checked against."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    fixture = load_fixture(FIXTURE_FILES[0])
    old.write_bytes(dump_document(fixture["expected"]))
    new.write_bytes(dump_document(model_document(build_kpis_v7(*builder_args(fixture)))))
    result = run_cli("validate", str(old), str(new))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{old}: valid kpis_v7 7.0.0 (checked against schema {SCHEMA_VERSION})",
        f"{new}: valid kpis_v7 {SCHEMA_VERSION}",
    ]


def test_validate_reports_each_read_of_a_file_given_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file named twice that a writer replaces between the two reads (7.0.0, then 7.1.0):
    each line gives the version of the bytes that read validated, not of the last read."""
    fixture = load_fixture(FIXTURE_FILES[0])
    reads = iter([dump_document(fixture["expected"]),
                  dump_document(model_document(build_kpis_v7(*builder_args(fixture))))])
    monkeypatch.setattr(jsonio, "read_bytes", lambda name: next(reads))
    path = str(tmp_path / "kpis_v7.json")
    assert cli.main(["validate", path, path]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{path}: valid kpis_v7 7.0.0 (checked against schema {SCHEMA_VERSION})",
        f"{path}: valid kpis_v7 {SCHEMA_VERSION}",
    ]


def test_validate_names_a_newer_minor_as_declared(tmp_path: Path) -> None:
    """A variant: a payload declaring a newer 7.x than the schema (a made-up 7.3.1 with only
    fields this schema knows) is valid and reported under its own version, not as 7.1.0."""
    fixture = load_fixture(FIXTURE_FILES[1])
    doc = model_document(build_kpis_v7(*builder_args(fixture), run_mode="replay"))
    path = tmp_path / "newer.json"
    path.write_bytes(dump_document({**doc, "schema_version": "7.3.1"}))
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{path}: valid kpis_v7 7.3.1 (checked against schema {SCHEMA_VERSION})")
