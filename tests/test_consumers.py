"""The schema file works in every consumer's validator alike (issue 14).

python-jsonschema, jsonschema-rs, the package's own check, Ajv 8 in its default strict mode (with
ajv-formats and the package's set-up, js/ajv-setup.mjs) and Sourcemeta's C++ validator give every
document of one corpus (fixtures, schema examples, dry-run payloads, generated valid and invalid
documents) the verdict the contract gives it. Ajv without the set-up fails with the known error.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from kpi_contract.schema import SCHEMA_VERSION
from tests.consumer_corpus import (
    OPTIONAL,
    Case,
    dry_run_payloads,
    fixture_payloads,
    invalid_mutations,
    mutated,
    schema_examples,
    valid_mutations,
)
from tests.consumer_validators import (
    SCHEMA_PATH,
    VALIDATORS,
    Verdict,
    node_json,
    sourcemeta_binary,
)
from tests.snapshot_fixtures import FIXTURE_FILES

COMBINATIONS = 200


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    """Payloads the dry-run executor published and mirrored."""
    return dry_run_payloads(tmp_path_factory.mktemp("dry-run"))


@pytest.fixture(scope="module")
def corpus(dry_run: list[Case]) -> list[Case]:
    """Fixtures, schema examples, dry-run payloads and the documents generated from them."""
    bases = [*fixture_payloads(), *schema_examples(), *dry_run]
    return [*bases, *mutated(bases, combinations=COMBINATIONS, seed=14)]


@pytest.fixture(scope="module")
def verdicts(corpus: list[Case]) -> dict[str, list[Verdict]]:
    """Each validator's verdict on every corpus document (one batch per validator)."""
    texts = [case.text for case in corpus]
    return {name: validate(texts) for name, validate in VALIDATORS.items()}


def test_corpus_has_every_source_and_both_verdicts(corpus: list[Case]) -> None:
    """The corpus holds every fixture's 7.0.0 and 7.1.0 payloads, the examples of the current
    schema and of the 7.0.0 release, the dry-run payloads, every single mutation and the random
    combinations, with valid and invalid documents."""
    sources = Counter(case.name.split(":")[0] for case in corpus)
    versions = Counter(json.loads(case.text)["schema_version"] for case in corpus
                       if case.name.split(":")[0] in ("fixture", "example"))
    assert sources["fixture"] == 2 * len(FIXTURE_FILES) > 0
    assert sources["example"] == 4
    assert versions == {"7.0.0": len(FIXTURE_FILES) + 2, "7.1.0": len(FIXTURE_FILES) + 2}
    assert sources["dry-run"] == 2 * (1 + 3 + 3)
    assert sources["valid"] == len(list(valid_mutations()))
    assert sources["invalid"] == len(list(invalid_mutations()))
    assert sum(name.startswith("combo") for name in sources) == COMBINATIONS
    assert Counter(case.valid for case in corpus) [False] > 300
    assert len({case.text for case in corpus if case.name.startswith("dry-run")}) > 3


def test_dry_run_payloads_are_7_1_0_with_run_mode_and_counts(dry_run: list[Case]) -> None:
    """What the dry-run executor publishes carries 7.1.0's fields: run_mode dry_run (never live)
    and every sample count, some of them with a value."""
    docs = [json.loads(case.text) for case in dry_run]
    assert {doc["schema_version"] for doc in docs} == {SCHEMA_VERSION}
    assert {doc["run_mode"] for doc in docs} == {"dry_run"}
    counts = [doc[obj][key] for doc in docs for obj, key in
              (path.split(".") for path in OPTIONAL if path != "run_mode")]
    assert any(isinstance(count, int) and count > 0 for count in counts)


@pytest.mark.parametrize("validator", sorted(VALIDATORS))
def test_validator_gives_every_corpus_document_its_verdict(
    validator: str, corpus: list[Case], verdicts: dict[str, list[Verdict]]
) -> None:
    """Each validator accepts exactly the valid documents of the corpus (parsing all of them)."""
    wrong = [
        f"{case.name}: expected {'valid' if case.valid else 'invalid'}, got {verdict}"
        for case, verdict in zip(corpus, verdicts[validator], strict=True)
        if verdict != ("valid" if case.valid else "invalid")
    ]
    assert not wrong, "\n".join(wrong[:20])


def test_validators_agree_document_by_document(
    corpus: list[Case], verdicts: dict[str, list[Verdict]]
) -> None:
    """No document gets two different verdicts."""
    split = [case.name for index, case in enumerate(corpus)
             if len({v[index] for v in verdicts.values()}) > 1]
    assert not split, split[:20]


# --- Ajv strict mode ---

def test_strict_ajv_with_formats_but_without_the_set_up_fails_on_x_unit() -> None:
    """The issue's error, exactly: Ajv2020 in default strict mode refuses the x-unit keyword."""
    message = node_json("const ajv = new Ajv2020(); addFormats(ajv);\n"
                        "out(compileError(() => ajv.compile(SCHEMA)));")
    assert message == 'strict mode: unknown keyword: "x-unit"'


def test_strict_ajv_without_ajv_formats_fails_on_date_time() -> None:
    """Without ajv-formats, strict Ajv refuses the unknown ``date-time`` format (the docs say to
    add ajv-formats first)."""
    message = node_json("out(compileError(() => new Ajv2020().compile(SCHEMA)));")
    assert message == 'unknown format "date-time" ignored in schema at path "#/properties/ts"'


def test_the_set_up_compiles_in_default_strict_mode_without_a_warning() -> None:
    """new Ajv2020() with ajv-formats and the set-up compiles the schema, logs nothing (default
    strict mode logs strictTypes findings) and accepts both schema examples."""
    result = node_json(
        "const ajv = new Ajv2020({ logger }); addFormats(ajv); setUpAjvForKpisV7(ajv);\n"
        "const validate = ajv.compile(SCHEMA);\n"
        "out({ examples: SCHEMA.examples.map((e) => validate(e)), warnings });")
    assert result == {"examples": [True, True], "warnings": []}


def test_the_set_up_compiles_with_every_strict_option_turned_to_an_error() -> None:
    """``strict: true`` (strictSchema, strictNumbers, strictTypes, strictTuples, strictRequired
    all throwing) also compiles: nothing else in the schema trips strict mode."""
    result = node_json(
        "const ajv = new Ajv2020({ strict: true, logger }); addFormats(ajv);\n"
        "setUpAjvForKpisV7(setUpAjvForKpisV7(ajv));\n"
        "out({ error: compileError(() => ajv.compile(SCHEMA)), warnings });")
    assert result == {"error": None, "warnings": []}


def test_the_set_up_keeps_strict_mode_for_everything_else() -> None:
    """A made-up schema with another unknown keyword still fails, and x-unit must be a string:
    the set-up declares one annotation, it does not turn strict mode off."""
    result = node_json(
        "const ajv = new Ajv2020(); addFormats(ajv); setUpAjvForKpisV7(ajv);\n"
        "out([\n"
        "  compileError(() => ajv.compile({ type: 'number', 'x-unit': 'm', 'x-label': 'a' })),\n"
        "  compileError(() => ajv.compile({ type: 'number', 'x-unit': 5 })),\n"
        "  compileError(() => ajv.compile({ type: 'number', 'x-unit': 'kg' })),\n"
        "]);")
    assert result == ['strict mode: unknown keyword: "x-label"', 'x-unit value must be ["string"]',
                      None]


@pytest.mark.parametrize(("ts", "with_set_up", "plain"), [
    ("2026-01-01 00:00:00Z", False, True),    # a space: not RFC 3339 section 5.6
    ("2026-01-01T00:00:00Z", True, True),
    ("2026-01-01t00:00:00Z", True, True),
    ("2026-01-01T00:00:00+0000", False, True),  # an offset without its colon
    ("2026-01-01T00:00:00+00", False, True),
    ("2026-01-01T00:00:00+00:00", True, True),
    ("2026-02-29T00:00:00Z", False, False),
    ("2016-12-31T23:59:60Z", True, True),     # a leap second is RFC 3339; the package refuses it
])
def test_the_set_up_makes_date_time_rfc_3339(ts: str, with_set_up: bool, plain: bool) -> None:
    """ajv-formats alone accepts a space separator and colon-less offsets, which the other
    validators refuse; with the set-up Ajv checks RFC 3339's grammar."""
    schema = {"type": "string", "format": "date-time"}
    result = node_json(
        "const plain = new Ajv2020(); addFormats(plain);\n"
        "const set = setUpAjvForKpisV7(addFormats(new Ajv2020()));\n"
        f"const s = {json.dumps(schema)}; const ts = {json.dumps(ts)};\n"
        "out([set.validate(s, ts), plain.validate(s, ts)]);")
    assert result == [with_set_up, plain]


# --- Sourcemeta ---

def test_sourcemeta_finds_the_schema_valid_against_its_metaschema(tmp_path: Path) -> None:
    """Sourcemeta's metaschema check passes on the schema file, and fails on a made-up broken
    copy (so the check is real)."""
    ok = subprocess.run([str(sourcemeta_binary()), "metaschema", str(SCHEMA_PATH)],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    broken["properties"]["ts"]["minLength"] = "ten"
    path = tmp_path / "broken.schema.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    bad = subprocess.run([str(sourcemeta_binary()), "metaschema", str(path)],
                         capture_output=True, text=True, check=False)
    assert bad.returncode != 0
