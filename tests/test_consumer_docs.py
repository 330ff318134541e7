"""The consumer section of docs/kpis_v7_reference.md is true (issue 14): its validator table is
what the validators do, and its Python, JavaScript, command-line and jq snippets run as written,
following SPEC section 8's reader rules on real payloads."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.errors import DocumentInvalidError
from kpi_contract.reader import read_kpis
from tests.consumer_corpus import text_of
from tests.consumer_validators import (
    JS,
    RELEASE_7_0_0,
    ROOT,
    ajv,
    js_reader,
    jsonschema_rs_validator,
    node_json,
    python_jsonschema,
    schema,
    sourcemeta,
)
from tests.snapshot_fixtures import FIXTURE_DIR
from tests.test_consumer_reader import nested, python_read

DOC = ROOT / "docs" / "kpis_v7_reference.md"
EXAMPLES = schema()["examples"]
BASE = text_of(EXAMPLES[0])
NULLS_EXAMPLE = EXAMPLES[1]
KPI = "router.maker_fill_share"

# The document each row of the table describes, by its "case" cell.
TABLE_CASES = {
    'nav: `"nav_total": 1.0, "nav_total": 4093.43`':
        BASE.replace('"nav_total":4093.43', '"nav_total":1.0,"nav_total":4093.43'),
    "`nav_total` an integer literal of 401 digits": BASE.replace("4093.43", "1" + "0" * 400),
    "`nav_total` `1e400`": BASE.replace("4093.43", "1e400"),
    "`nav_total` `NaN`": BASE.replace("4093.43", "NaN"),
    "`nav.sources_ok` null, `nulls` empty": text_of({**NULLS_EXAMPLE, "nulls": {
        k: v for k, v in NULLS_EXAMPLE["nulls"].items() if k != "nav.sources_ok"}}),
    "`nulls` names `nav.nav_total`, which has a value": text_of(
        {**EXAMPLES[0], "nulls": {"nav.nav_total": "missing"}}),
    "`risk.dd_state` null, `nulls` also names its `state`": text_of({**NULLS_EXAMPLE, "nulls": {
        **NULLS_EXAMPLE["nulls"], "risk.dd_state.state": "missing"}}),
    "`nulls` names `router.reject_rate_order_count`, which is absent": text_of(
        {**NULLS_EXAMPLE, "router": {k: v for k, v in NULLS_EXAMPLE["router"].items()
                                     if k != "reject_rate_order_count"}}),
    "`2016-12-31T23:59:60Z` (a real leap second)": text_of(
        {**EXAMPLES[0], "ts": "2016-12-31T23:59:60Z"}),
    "`2026-01-01T23:59:60Z` (none that day)": text_of(
        {**EXAMPLES[0], "ts": "2026-01-01T23:59:60Z"}),
    '`schema_version` `"7.0.0\\n"`': text_of({**EXAMPLES[0], "schema_version": "7.0.0\n"}),
    '`ts` `"2026-01-01T00:00:00Z\\n"`': text_of({**EXAMPLES[0], "ts": "2026-01-01T00:00:00Z\n"}),
    "`ts` `0000-01-01T00:00:00Z` (year 0)": text_of({**EXAMPLES[0], "ts": "0000-01-01T00:00:00Z"}),
    "a `7.2.0` payload with an unknown field nested 70 levels deep": text_of(
        {**EXAMPLES[0], "schema_version": "7.2.0", "trace": nested(69)}),
}
WORDS = {"valid": "accepts", "invalid": "rejects", "unparsed": "cannot parse"}


def section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Consumers: validating and reading kpis_v7")
    return text[start:]


def table() -> list[list[str]]:
    """The validator table's rows as cells (escaped pipes restored)."""
    rows = []
    for line in section().splitlines():
        if line.startswith("| ") and not line.startswith("| rule"):
            cells = re.split(r"(?<!\\) \| ", line[2:-2])
            rows.append([c.replace("\\|", "|") for c in cells])
    return rows


def snippet(name: str) -> str:
    """The fenced block after ``<!-- snippet: NAME -->``."""
    match = re.search(rf"<!-- snippet: {name} -->\n```\w+\n(.*?)\n```", section(), re.DOTALL)
    assert match, f"no snippet {name}"
    return match.group(1)


def test_the_table_has_a_row_for_every_case() -> None:
    """Each row names a case this module builds, each case has a row."""
    assert [row[1] for row in table()] == list(TABLE_CASES)


def test_the_table_says_what_each_validator_does() -> None:
    """Every verdict cell is what that validator (set up as the docs say) does with the case."""
    texts = list(TABLE_CASES.values())
    measured = {
        "python-jsonschema": python_jsonschema(texts),
        "jsonschema-rs": jsonschema_rs_validator(texts),
        "Ajv 8 + set-up": ajv(texts),
        "Sourcemeta jsonschema": sourcemeta(texts),
    }
    header = ("python-jsonschema", "jsonschema-rs", "Ajv 8 + set-up", "Sourcemeta jsonschema")
    for index, row in enumerate(table()):
        said = dict(zip(header, row[2:6], strict=True))
        did = {name: WORDS[verdicts[index]] for name, verdicts in measured.items()}
        assert said == did, row[1]


LISTED_ABSENT = "`nulls` names `router.reject_rate_order_count`, which is absent"


def test_both_readers_refuse_every_case(tmp_path: Path) -> None:
    """As the section says: readKpisV7 refuses each case of the table, duplicate keys and the
    nesting included (both on the text, kind json), a listed absent field as a rules violation
    (the rules hold for the document as written), and read_kpis refuses each one too;
    packageRuleViolations names the listed absent field."""
    kinds = js_reader(list(TABLE_CASES.values()))
    refused = dict(zip(TABLE_CASES, kinds, strict=True))
    assert refused[next(iter(TABLE_CASES))] == "json"
    assert refused["a `7.2.0` payload with an unknown field nested 70 levels deep"] == "json"
    assert refused["`ts` `0000-01-01T00:00:00Z` (year 0)"] == "rules"
    assert refused[LISTED_ABSENT] == "rules"
    assert set(refused.values()) <= {"rules", "invalid", "json"}
    assert {case: python_read(text, tmp_path)[0] for case, text in TABLE_CASES.items()} == {
        case: "json" if kind == "json" or "double" in row_rule(case) else "invalid"
        for case, kind in refused.items()}
    found = node_json("out(reader.packageRuleViolations(INPUT, SCHEMA));",
                      data=json.loads(TABLE_CASES[LISTED_ABSENT]))
    assert found == [{"path": "/nulls/router.reject_rate_order_count",
                      "message": "router.reject_rate_order_count is listed as null but is absent"}]


def row_rule(case: str) -> str:
    """The rule cell of the table row of ``case``."""
    return next(row[0] for row in table() if row[1] == case)


def test_the_readers_differ_from_validate_only_for_a_newer_payload(tmp_path: Path) -> None:
    """As the section says: an unknown field or nulls key is invalid for validate and for both
    readers when the payload declares the reader's version or an older one, and dropped by both
    readers when it declares a newer minor or patch (validate still refuses it)."""
    docs = []
    for version in ("7.1.0", "7.0.0", "7.1.1", "7.2.0"):
        docs.append({**EXAMPLES[0], "schema_version": version, "extra": {"a": 1}})
        docs.append({**NULLS_EXAMPLE, "schema_version": version,
                     "nulls": {**NULLS_EXAMPLE["nulls"], "nav.foo": "missing"}})
    texts = [text_of(doc) for doc in docs]
    expected = ["invalid"] * 4 + ["ok"] * 4
    assert js_reader(texts) == expected
    assert [python_read(text, tmp_path)[0] for text in texts] == expected
    validated = []
    for text in texts:
        path = tmp_path / "kpis_v7.json"
        path.write_text(text, encoding="utf-8")
        validated.append(subprocess.run([sys.executable, "-m", "kpi_contract", "validate",
                                         str(path)], capture_output=True, check=False).returncode)
    assert validated == [1] * 8


def test_a_7_0_0_reader_refuses_a_payload_mislabelled_7_0_0() -> None:
    """As the section says: a payload declaring 7.0.0 with 7.1.0's fields is judged as written
    by a reader built on 7.0.0 (refused), while the same fields under 7.1.0 are dropped."""
    texts = [text_of(EXAMPLES[0]), text_of({**EXAMPLES[0], "schema_version": "7.0.0"})]
    assert js_reader(texts, RELEASE_7_0_0) == ["ok", "invalid"]


def test_the_package_refuses_a_listed_absent_field_in_every_tool(tmp_path: Path) -> None:
    """The section's claim for the package: validate and read_kpis both refuse a payload whose
    nulls names a field it lacks (one definition of valid)."""
    path = tmp_path / "kpis_v7.json"
    path.write_text(TABLE_CASES[LISTED_ABSENT], encoding="utf-8")
    with pytest.raises(DocumentInvalidError, match="listed as null but is absent"):
        read_kpis(path)
    result = subprocess.run([sys.executable, "-m", "kpi_contract", "validate", str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "router.reject_rate_order_count is listed as null but is absent" in result.stderr


def test_ajv_alone_with_the_7_0_0_schema_refuses_a_7_1_0_payload() -> None:
    """As the section says: a reader must project first; Ajv with the 7.0.0 release's schema
    refuses a 7.1.0 payload's new fields, readKpisV7 with the same schema reads it."""
    result = node_json(
        "const ajv = new Ajv2020(); addFormats(ajv); setUpAjvForKpisV7(ajv);\n"
        "const validate = ajv.compile(SCHEMA);\n"
        "const read = reader.readKpisV7(JSON.stringify(INPUT), { schema: SCHEMA, validate });\n"
        "out([validate(INPUT), validate.errors.map((e) => e.message), Object.keys(read)]);",
        schema_path=RELEASE_7_0_0, data=EXAMPLES[0])
    valid, messages, read = result
    assert (valid, set(messages)) == (False, {"must NOT have additional properties"})
    assert "run_mode" not in read


# --- snippets, run as written ---

def payload(kind: str) -> str:
    """The text of one test payload: with the KPI null, with a value (7.1.0), a 7.0.0 one with a
    value, from a later 7.x writer, of another major, without the KPI at all."""
    if kind == "null":
        return text_of(NULLS_EXAMPLE)
    if kind in ("value", "older"):
        fixture = json.loads((FIXTURE_DIR / "01_healthy_full.json").read_text())
        return text_of(fixture["expected_7_1" if kind == "value" else "expected"])
    doc: Any = copy.deepcopy(NULLS_EXAMPLE)
    if kind == "newer":
        doc["schema_version"] = "7.4.2"
        doc["run_mode"] = "replay"
        del doc["nulls"]["run_mode"]
        doc["source"] = {"host": "exec-2"}
        doc["router"]["maker_fill_samples"] = None
        doc["nulls"]["router.maker_fill_samples"] = "missing"
    elif kind == "major8":
        doc["schema_version"] = "8.0.0"
    elif kind == "absent":
        del doc["router"]["maker_fill_share"]
        del doc["nulls"][KPI]
    return text_of(doc)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory laid out like the repository root: schemas/, js/ (modules and node_modules
    linked) and logs/state/."""
    (tmp_path / "schemas").symlink_to(ROOT / "schemas")
    (tmp_path / "js").mkdir()
    for name in ("ajv-setup.mjs", "reader.mjs", "types", "node_modules"):
        (tmp_path / "js" / name).symlink_to(JS / name)
    (tmp_path / "logs" / "state").mkdir(parents=True)
    return tmp_path


def run_snippet(workdir: Path, language: str, text: str, kpi: str = KPI
                ) -> subprocess.CompletedProcess[str]:
    """Write ``text`` (the current payload) and run the snippet of ``language`` in ``workdir``,
    reading ``kpi`` instead of the snippet's own."""
    (workdir / "logs" / "state" / "kpis_v7.json").write_text(text, encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    name = {"python": "python-read", "js": "js-read"}.get(language, language)
    code = snippet(name).replace(KPI, kpi)  # also kpis.router.maker_fill_share -> kpis.<kpi>
    if language == "python":
        command = [sys.executable, "-c", code]
    elif language == "js":
        (workdir / "js" / "read-kpis.mjs").write_text(code, encoding="utf-8")
        command = ["node", "js/read-kpis.mjs"]
    else:
        command = ["bash", "-c", code]
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True,
                          check=False)


@pytest.mark.parametrize("language", ["python", "js", "jq-kpi"])
def test_read_snippets_print_the_value_or_the_null_reason(workdir: Path, language: str) -> None:
    """The Python, JavaScript and jq snippets print a KPI's value, or n/a with its reason, also
    for a later 7.x payload with fields they do not know (SPEC 8: ignored) and a 7.0.0 one."""
    value = json.loads(payload("value"))["router"]["maker_fill_share"]
    for kind, expected in (("null", "n/a (missing)"), ("newer", "n/a (missing)"),
                           ("value", value), ("older", value)):
        result = run_snippet(workdir, language, payload(kind))
        assert result.returncode == 0, (kind, result.stderr)
        out = result.stdout.strip()
        if isinstance(expected, float):
            assert float(out) == expected, kind
        else:
            assert out == expected, kind


@pytest.mark.parametrize("language", ["python", "js", "jq-kpi"])
@pytest.mark.parametrize("kpi", ["router.reject_rate_order_count", "run_mode"])
def test_read_snippets_read_a_7_0_0_payloads_new_field_as_missing(
    workdir: Path, language: str, kpi: str
) -> None:
    """Each snippet, reading a 7.1.0 field (top level or nested): a 7.0.0 payload's absent field
    prints n/a (missing), a 7.1.0 payload's value prints as written."""
    older = run_snippet(workdir, language, payload("older"), kpi)
    assert (older.returncode, older.stdout, older.stderr) == (0, "n/a (missing)\n", "")
    doc = json.loads(payload("value"))
    newer = run_snippet(workdir, language, payload("value"), kpi)
    assert newer.returncode == 0, newer.stderr
    expected = doc["run_mode"] if kpi == "run_mode" else doc["router"][kpi.split(".")[1]]
    assert newer.stdout.strip() == str(expected)


@pytest.mark.parametrize(("language", "code", "message"), [
    ("python", 1, "kpis_v7 unusable: "),
    ("js", 1, "kpis_v7 unusable: version: schema_version 8.0.0 is major 8"),
    ("jq-kpi", 5, "unsupported schema_version 8.0.0"),
])
def test_read_snippets_refuse_another_major(workdir: Path, language: str, code: int,
                                             message: str) -> None:
    """Each reader snippet stops on a major-8 payload (SPEC 8) with an error, not a value."""
    result = run_snippet(workdir, language, payload("major8"))
    assert result.returncode == code
    assert result.stdout == ""
    assert message in result.stderr
    if language == "python":
        assert "unsupported schema version '8.0.0'" in result.stderr


def test_jq_reads_an_absent_field_as_null(workdir: Path) -> None:
    """A payload without the KPI at all: jq reads it as null, reason missing, as the readers
    read an absent optional field."""
    result = run_snippet(workdir, "jq-kpi", payload("absent"))
    assert (result.returncode, result.stdout) == (0, "n/a (missing)\n")


def test_jq_kpi_takes_a_null_dd_states_reason_for_its_children(workdir: Path) -> None:
    """``risk.dd_state.state`` of a null dd_state prints the reason of ``risk.dd_state``."""
    text = snippet("jq-kpi").replace("router.maker_fill_share", "risk.dd_state.state")
    (workdir / "logs" / "state" / "kpis_v7.json").write_text(payload("null"))
    result = subprocess.run(["bash", "-c", text], cwd=workdir, capture_output=True, text=True,
                            check=False)
    assert (result.returncode, result.stdout) == (0, "n/a (missing)\n")


def test_jq_nulls_lists_reasons_and_checks_the_rules(workdir: Path) -> None:
    """The jq block lists every null KPI with its reason and exits 0 on good payloads, 1 on each
    nulls disagreement and on a leap second."""
    good = run_snippet(workdir, "jq-nulls", payload("null"))
    assert good.returncode == 0, good.stderr
    *listed, verdict = good.stdout.splitlines()
    assert listed == [f"{k}\t{v}" for k, v in NULLS_EXAMPLE["nulls"].items()]
    assert verdict == "true"
    for kind in ("value", "newer", "older"):
        assert run_snippet(workdir, "jq-nulls", payload(kind)).returncode == 0, kind
    for case in ("`nav.sources_ok` null, `nulls` empty",
                 "`nulls` names `nav.nav_total`, which has a value",
                 "`risk.dd_state` null, `nulls` also names its `state`",
                 LISTED_ABSENT,
                 "`2016-12-31T23:59:60Z` (a real leap second)"):
        result = run_snippet(workdir, "jq-nulls", TABLE_CASES[case])
        assert result.returncode == 1, case
        assert result.stdout.splitlines()[-1] == "false", case


def test_shell_validate_exits_0_for_valid_and_1_for_invalid(workdir: Path) -> None:
    """``kpi-contract validate`` as documented: 0 for a good payload, 1 and one line naming the
    field for a bad one."""
    assert run_snippet(workdir, "shell-validate", payload("value")).returncode == 0
    bad = run_snippet(workdir, "shell-validate", BASE.replace("4093.43", '"4093.43"'))
    assert bad.returncode == 1
    assert "logs/state/kpis_v7.json::$.nav.nav_total:" in bad.stdout + bad.stderr
