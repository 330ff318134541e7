"""The JavaScript reader (js/reader.mjs) reads kpis_v7 the way the Python reader does (issue 14,
SPEC section 8): unknown fields ignored, absent optional fields null with the reason missing (a
7.0.0 payload's run_mode and sample counts), other majors refused, the same outcome and the same
reading as read_kpis; and its package-rule check finds what JSON Schema cannot express (SPEC
section 5a) exactly as kpi_contract/document_rules.py does."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.document_rules import kpi_paths
from kpi_contract.errors import (
    DocumentInvalidError,
    LegacyFormatError,
    StateFileError,
    UnsupportedVersionError,
)
from kpi_contract.models import KpisV7
from kpi_contract.reader import project_document, read_kpis
from kpi_contract.validation import validate_document
from tests.consumer_corpus import (
    NULL_PATHS,
    OPTIONAL,
    Case,
    fixture_payloads,
    mutated,
    schema_examples,
    text_of,
)
from tests.consumer_validators import (
    RELEASE_7_0_0,
    SCHEMA_PATH,
    js_reader,
    node_json,
    schema,
)

EXAMPLE = schema()["examples"][1]


def release_examples() -> list[dict[str, Any]]:
    """The frozen 7.0.0 schema's examples (7.0.0 payloads)."""
    examples: list[dict[str, Any]] = json.loads(RELEASE_7_0_0.read_text())["examples"]
    return examples


def future_minor(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as a later 7.x writer might send it: new fields at four levels (one a new KPI with
    its null reason), and run_mode, a field this reader knows, with a value."""
    newer = copy.deepcopy(doc)
    newer["schema_version"] = "7.3.0"
    newer["run_mode"] = "dry_run"
    newer["nulls"].pop("run_mode", None)
    newer["source"] = {"host": "exec-3", "pid": 4242}
    newer["router"]["fill_latency_ms"] = None
    newer["router"]["samples"] = {"maker_fill_share": 40}
    newer["nulls"]["router.fill_latency_ms"] = "missing"
    if isinstance(newer["risk"]["dd_state"], dict):
        newer["risk"]["dd_state"]["peak_nav"] = 5012.5
    return newer


def schema_7_2(tmp_path: Path) -> Path:
    """A made-up 7.2.0 schema: optional ``venue`` at the top and optional KPI
    ``router.fill_latency_ms`` with its ``nulls`` key (a minor release per SPEC section 8)."""
    newer = schema()
    newer["$id"] = "urn:kpi-contract:kpis_v7:7.2.0"
    newer["properties"]["venue"] = {"type": ["string", "null"]}
    newer["$defs"]["Router"]["properties"]["fill_latency_ms"] = {"type": ["number", "null"],
                                                                "minimum": 0}
    newer["$defs"]["Nulls"]["propertyNames"]["enum"] += ["venue", "router.fill_latency_ms"]
    path = tmp_path / "kpis_v7-7.2.0.schema.json"
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


READINGS = """\
const ajv = new Ajv2020(); addFormats(ajv); setUpAjvForKpisV7(ajv);
const validate = ajv.compile(SCHEMA);
out(INPUT.map((text) => {
  try {
    return { kind: "ok", doc: reader.readKpisV7(text, { schema: SCHEMA, validate }) };
  } catch (error) {
    if (!(error instanceof reader.KpisV7ReadError)) throw error;
    return { kind: error.kind, doc: null };
  }
}));
"""


def js_readings(texts: list[str], schema_path: Path = SCHEMA_PATH
                ) -> list[tuple[str, dict[str, Any] | None]]:
    """readKpisV7 on each text: ("ok", the reading) or (the error's kind, None)."""
    found = node_json(READINGS, schema_path=schema_path, data=texts)
    return [(item["kind"], item["doc"]) for item in found]


def python_read(text: str, tmp_path: Path) -> tuple[str, KpisV7 | None]:
    """read_kpis's outcome in the JavaScript reader's words, with the model it read."""
    path = tmp_path / "kpis_v7.json"
    path.write_text(text, encoding="utf-8")
    try:
        kpis = read_kpis(path).kpis
    except UnsupportedVersionError:
        return "version", None
    except (DocumentInvalidError, LegacyFormatError):
        return "invalid", None
    except StateFileError:
        return "json", None
    return "ok", kpis


def same_reading(js: dict[str, Any], python: KpisV7) -> bool:
    """The JavaScript reading holds what read_kpis's model holds: every field and every nulls
    entry equal (numbers as doubles), ``ts`` the same instant."""
    expected = python.model_dump(mode="json")
    rest = {k: v for k, v in js.items() if k != "ts"}
    return (as_doubles(rest) == as_doubles({k: v for k, v in expected.items() if k != "ts"})
            and KpisV7.model_validate(js).ts == python.ts)


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
    """A later 7.x payload seen by a 7.1 reader: the new fields and the new KPI's nulls key are
    gone, everything known is untouched (run_mode included)."""
    newer = future_minor(EXAMPLE)
    [projected] = js_project([newer], SCHEMA_PATH)
    nulls = {k: v for k, v in EXAMPLE["nulls"].items() if k != "run_mode"}
    assert projected == {**EXAMPLE, "schema_version": "7.3.0", "run_mode": "dry_run",
                         "nulls": nulls}


def test_a_7_0_0_payload_reads_with_its_absent_fields_null_and_missing() -> None:
    """Every fixture's 7.0.0 payload through today's JavaScript reader: run_mode and the four
    counts read as null, each listed in nulls as missing; every 7.0.0 leaf and reason as
    written."""
    old = [json.loads(case.text) for case in fixture_payloads()
           if case.name.startswith("fixture:7.0.0:")]
    assert old
    added = ["run_mode", *(p for p in OPTIONAL if p != "run_mode")]
    for doc, (kind, reading) in zip(old, js_readings([text_of(d) for d in old]), strict=True):
        assert kind == "ok"
        assert reading is not None
        assert reading["run_mode"] is None
        for path in added[1:]:
            obj, key = path.split(".")
            assert reading[obj][key] is None, path
        assert reading["nulls"] == {**doc["nulls"], **dict.fromkeys(added, "missing")}
        without = {k: v for k, v in reading.items() if k not in ("run_mode", "nulls")}
        for path in added[1:]:
            obj, key = path.split(".")
            without[obj] = {k: v for k, v in without[obj].items() if k != key}
        assert as_doubles(without) == as_doubles({k: v for k, v in doc.items() if k != "nulls"})


def test_a_reader_built_on_7_0_0_reads_every_7_1_0_payload(corpus: list[Case]) -> None:
    """readKpisV7 with the frozen 7.0.0 schema (a dashboard not yet updated) accepts every valid
    document of the corpus that declares a later 7.x and carries 7.1.0's fields, and sees it
    without run_mode, the counts and their nulls keys; one that declares 7.0.0 itself but carries
    a 7.1.0 field is judged as written by that reader, and refused (SPEC 8's tolerance is for
    newer payloads only)."""
    with_new_fields = [json.loads(case.text) for case in corpus if case.valid
                       and json.loads(case.text).get("run_mode", "absent") != "absent"]
    new = [text_of(doc) for doc in with_new_fields if doc["schema_version"] != "7.0.0"]
    mislabelled = [text_of(doc) for doc in with_new_fields if doc["schema_version"] == "7.0.0"]
    assert len(new) > 50
    assert mislabelled
    readings = js_readings(new, RELEASE_7_0_0)
    assert [kind for kind, _ in readings] == ["ok"] * len(new)
    for text, (_, reading) in zip(new, readings, strict=True):
        assert reading is not None
        doc = json.loads(text)
        assert "run_mode" not in reading
        assert set(reading["router"]) == set(json.loads(RELEASE_7_0_0.read_text())["$defs"][
            "Router"]["properties"])
        assert reading["nulls"] == {k: v for k, v in doc["nulls"].items() if k not in OPTIONAL}
    assert js_reader(mislabelled, RELEASE_7_0_0) == ["invalid"] * len(mislabelled)


def test_a_newer_reader_reads_absent_optional_fields_as_null(tmp_path: Path) -> None:
    """A 7.1 payload read with a made-up 7.2 schema: the optional venue and
    router.fill_latency_ms read as null, listed as missing (Python and JavaScript alike)."""
    path = schema_7_2(tmp_path)
    newer_schema = json.loads(path.read_text(encoding="utf-8"))
    [projected] = js_project([EXAMPLE], path)
    assert projected == project_document(EXAMPLE, newer_schema)
    [(kind, reading)] = js_readings([text_of(EXAMPLE)], path)
    assert kind == "ok"
    assert reading is not None
    assert (reading["venue"], reading["router"]["fill_latency_ms"]) == (None, None)
    assert reading["nulls"] == {**EXAMPLE["nulls"], "venue": "missing",
                                "router.fill_latency_ms": "missing"}


def test_reader_outcomes_match_read_kpis(corpus: list[Case], tmp_path: Path) -> None:
    """readKpisV7 and read_kpis accept and refuse the same files (corpus documents, their
    future-minor versions, rule breakers of every kind) and, where they accept, read the same
    document, nulls included; tolerant reading accepts a newer minor's unknown fields, which the
    closed schema refuses, and only a newer minor's."""
    texts = [case.text for case in corpus]
    texts += [text_of(future_minor(json.loads(case.text))) for case in corpus[:20]]
    texts += [text for _, text, _ in rule_cases()]
    texts += ["{", "", "[1,]", text_of({**EXAMPLE, "schema_version": "8.0.0"}),
              text_of({**EXAMPLE, "schema_version": "6.2.1"})]
    readings = js_readings(texts)
    # "rules" (SPEC 5a) is an invalid document for read_kpis too.
    js = ["invalid" if kind == "rules" else kind for kind, _ in readings]
    python = [python_read(text, tmp_path) for text in texts]
    assert js == [kind for kind, _ in python]
    assert set(js) == {"ok", "invalid", "json", "version"}
    differ = [text for text, (_, js_doc), (_, model) in zip(texts, readings, python, strict=True)
              if model is not None and (js_doc is None or not same_reading(js_doc, model))]
    assert not differ, differ[:3]
    [unknown_key] = [json.loads(c.text) for c in corpus if c.name == "invalid:unknown key in nav"]
    newer = text_of({**unknown_key, "schema_version": "7.2.0"})
    assert js_reader([text_of(unknown_key), newer]) == ["invalid", "ok"]


def nested(levels: int) -> Any:
    """A JSON value of exactly ``levels`` levels of arrays and objects (alternating)."""
    value: Any = []
    for level in range(1, levels):
        value = {"a": value} if level % 2 else [value]
    return value


def rule_cases() -> list[tuple[str, str, bool]]:
    """(name, text, whether a writer may write it) for each way ``nulls`` can disagree with each
    KPI of the schema (SPEC 5a), the made-up KPI leaf of a future minor included: a null KPI not
    listed, a KPI with a value listed, an optional KPI absent and listed (refused: the rule holds
    for the document as written), absent and not listed (an older payload), a child of a null
    dd_state listed."""
    base = schema()["examples"][0]
    cases: list[tuple[str, str, bool]] = []
    for path in NULL_PATHS:
        *parents, key = path.split(".")
        unlisted = copy.deepcopy(base)
        parent = unlisted
        for part in parents:
            parent = parent[part]
        parent[key] = None
        cases.append((f"{path} null, not listed", text_of(unlisted), False))
        listed = copy.deepcopy(base)
        listed["nulls"][path] = "invalid"
        cases.append((f"{path} has a value, listed", text_of(listed), False))
        if path in OPTIONAL:
            for listed_too in (True, False):
                absent = copy.deepcopy(base)
                parent = absent
                for part in parents:
                    parent = parent[part]
                del parent[key]
                if listed_too:
                    absent["nulls"][path] = "out_of_range"
                cases.append((f"{path} absent{', listed' if listed_too else ''}",
                              text_of(absent), not listed_too))
    child = copy.deepcopy(schema()["examples"][1])
    child["nulls"]["risk.dd_state.drawdown_frac"] = "missing"
    cases.append(("dd_state null, a child listed", text_of(child), False))
    return cases


def test_package_rules_are_the_python_rules_for_every_kpi() -> None:
    """packageRuleViolations on a document as written refuses exactly what the package's
    validate_document refuses, for every kind of nulls disagreement at every KPI of 7.1.0."""
    cases = rule_cases()
    docs = [json.loads(text) for _, text, _ in cases]
    js = node_json("out(INPUT.map((doc) => reader.packageRuleViolations(doc, SCHEMA).length));",
                   data=docs)
    python = [len(validate_document(doc)) for doc in docs]
    assert [(name, n > 0) for (name, _, _), n in zip(cases, js, strict=True)] == [
        (name, not ok) for name, _, ok in cases]
    assert [n > 0 for n in python] == [n > 0 for n in js]


def test_kpi_paths_are_derived_like_the_packages() -> None:
    """kpiPaths is document_rules.kpi_paths: the nulls vocabulary for today's schema, and a
    nullable field a made-up minor adds (top level or nested) is a KPI in both."""
    grown = schema()
    grown["properties"]["venue"] = {"type": ["string", "null"]}
    grown["$defs"]["Risk"]["properties"]["var_usd"] = {"anyOf": [{"type": "number"},
                                                                 {"type": "null"}]}
    grown["$defs"]["Risk"]["properties"]["limits"] = {"type": "object"}
    found = node_json("out(INPUT.map((s) => reader.kpiPaths(s)));", data=[schema(), grown])
    assert found[0] == schema()["$defs"]["Nulls"]["propertyNames"]["enum"]
    assert found == [[".".join(p) for p in kpi_paths(s)] for s in (schema(), grown)]
    assert {"venue", "risk.var_usd"} <= set(found[1])
    assert "risk.limits" not in found[1]


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
    ("duplicate keys", "json"),
    ("a duplicate key written once with an escape", "json"),
    ("a duplicate key in a newer minor's unknown field", "json"),
    ("a year 0000 ts", "rules"),
    ("a year 0000 ts in a newer minor", "rules"),
    ("65 levels deep in a newer minor's unknown field", "json"),
    ("70 levels deep in a newer minor's unknown nulls key", "json"),
    ("64 levels deep in a newer minor's unknown field", "ok"),
    ("an unknown field at the reader's version", "invalid"),
    ("an unknown nulls key at the reader's version", "invalid"),
    ("an unknown nulls key in a 7.0.0 payload", "invalid"),
    ("an unknown nulls key in a newer patch", "ok"),
    ("run_mode listed with a value", "rules"),
    ("run_mode null, not listed", "rules"),
    ("a count of -1", "invalid"),
    ("a count of 2.5", "invalid"),
    ("a 7.0.0 payload", "ok"),
    ("a count absent but listed", "rules"),
])
def test_read_kpis_v7_names_what_is_wrong(case: str, kind: str, tmp_path: Path) -> None:
    """readKpisV7 refuses each kind of bad file with its own error kind (strict JSON: "json",
    duplicate keys and nesting beyond 64 levels included, whatever the declared version), as
    read_kpis does; SPEC 8's tolerance holds for a newer minor or patch only."""
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
        "duplicate keys": base.replace(
            '"nav_total":4093.43', '"nav_total":"x","nav_total":4093.43'),
        "a duplicate key written once with an escape": base.replace(
            '"nav_total":4093.43', '"nav_total":4093.43,"nav_\\u0074otal":4093.43'),
        "a duplicate key in a newer minor's unknown field": text_of(
            {**EXAMPLE, "schema_version": "7.2.0", "source": {"host": "a"}}).replace(
                '"host":"a"', '"host":"a","host":"b"'),
        "a year 0000 ts": text_of({**EXAMPLE, "ts": "0000-01-01T00:00:00Z"}),
        "a year 0000 ts in a newer minor": text_of(
            {**EXAMPLE, "ts": "0000-12-31T23:59:59Z", "schema_version": "7.4.0"}),
        "65 levels deep in a newer minor's unknown field": text_of(
            {**EXAMPLE, "schema_version": "7.2.0", "x": nested(64)}),
        "70 levels deep in a newer minor's unknown nulls key": text_of(
            {**EXAMPLE, "schema_version": "7.2.0",
             "nulls": {**EXAMPLE["nulls"], "nav.foo": nested(68)}}),
        "64 levels deep in a newer minor's unknown field": text_of(
            {**EXAMPLE, "schema_version": "7.2.0", "x": nested(63)}),
        "an unknown field at the reader's version": text_of({**EXAMPLE, "extra": 1}),
        "an unknown nulls key at the reader's version": text_of(
            {**EXAMPLE, "nulls": {**EXAMPLE["nulls"], "nav.foo": "missing"}}),
        "an unknown nulls key in a 7.0.0 payload": text_of({
            **release_examples()[1],
            "nulls": {**release_examples()[1]["nulls"], "nav.foo": "missing"}}),
        "an unknown nulls key in a newer patch": text_of(
            {**EXAMPLE, "schema_version": "7.1.1",
             "nulls": {**EXAMPLE["nulls"], "nav.foo": "missing"}}),
        "run_mode listed with a value": text_of({**EXAMPLE, "run_mode": "live"}),
        "run_mode null, not listed": text_of({**EXAMPLE, "nulls": {
            k: v for k, v in EXAMPLE["nulls"].items() if k != "run_mode"}}),
        "a count of -1": text_of({**EXAMPLE, "router": {
            **EXAMPLE["router"], "reject_rate_order_count": -1}}),
        "a count of 2.5": text_of({**EXAMPLE, "performance": {
            **EXAMPLE["performance"], "expectancy_trade_count": 2.5}}),
        "a 7.0.0 payload": text_of(release_examples()[1]),
        "a count absent but listed": text_of(
            {**EXAMPLE, "router": {k: v for k, v in EXAMPLE["router"].items()
                                   if k != "reject_rate_order_count"}}),
    }
    assert texts[case] != base or case == "future minor"
    assert js_reader([texts[case]]) == [kind]
    # read_kpis gives the same answer: "rules" (SPEC 5a) is an invalid document for it, except a
    # number beyond double range, which its strict parser refuses first (not JSON, a
    # JsonInputError) while JSON.parse reads Infinity and the rules refuse it.
    python = "json" if "beyond double range" in case else {"rules": "invalid"}.get(kind, kind)
    assert python_read(texts[case], tmp_path)[0] == python


def test_package_rule_violations_point_at_the_nulls_entry() -> None:
    """packageRuleViolations names each disagreement by JSON pointer, in every direction."""
    doc = copy.deepcopy(EXAMPLE)
    doc["nav"]["nav_total"] = None
    doc["nulls"]["router.avg_slippage_bps"] = "invalid"
    doc["nulls"]["risk.dd_state.state"] = "missing"
    del doc["router"]["reject_rate_order_count"]
    doc["run_mode"] = "replay"
    found = node_json("out(reader.packageRuleViolations(INPUT, SCHEMA));", data=doc)
    assert found == [
        {"path": "/nulls/run_mode",
         "message": "run_mode is listed in nulls but is not a null KPI"},
        {"path": "/nulls/nav.nav_total",
         "message": "nav.nav_total is null but nulls does not say why"},
        {"path": "/nulls/risk.dd_state.state",
         "message": "risk.dd_state.state is listed, but its parent risk.dd_state is null "
                    "(only the parent is listed)"},
        {"path": "/nulls/router.avg_slippage_bps",
         "message": "router.avg_slippage_bps is listed in nulls but is not a null KPI"},
        {"path": "/nulls/router.reject_rate_order_count",
         "message": "router.reject_rate_order_count is listed as null but is absent"},
    ]
    assert node_json("out(reader.packageRuleViolations(INPUT, SCHEMA));", data=EXAMPLE) == []


def strictness_cases() -> list[tuple[str, str, str]]:
    """(name, text, readKpisV7's verdict) for the kinds of documents on which the two readers
    once split (QA's corpus of issue 7 section 2, rebuilt here with variants of our own): number
    bounds, timestamps, duplicate keys, text that is not strict JSON, versions, unknown fields."""
    base = text_of(EXAMPLE)
    value = "4093.43"
    newer = {**EXAMPLE, "schema_version": "7.2.0"}

    def with_ts(ts: str) -> str:
        return text_of({**EXAMPLE, "ts": ts})

    counted = text_of({**EXAMPLE, "router": {**EXAMPLE["router"], "reject_rate_order_count": 12},
                       "nulls": {k: v for k, v in EXAMPLE["nulls"].items()
                                 if k != "router.reject_rate_order_count"}})

    def with_count(literal: str) -> str:
        assert '"reject_rate_order_count":12' in counted
        return counted.replace('"reject_rate_order_count":12',
                               f'"reject_rate_order_count":{literal}')

    return [
        ("an integer just below the double overflow", base.replace(
            value, str(2**1024 - 2**970 - 1)), "ok"),
        ("an integer rounding to the double overflow", base.replace(
            value, str(2**1024 - 2**970)), "rules"),
        ("1.7976931348623157e308", base.replace(value, "1.7976931348623157e308"), "ok"),
        ("a count of 2**53 + 1", with_count(str(2**53 + 1)), "invalid"),
        ("a count of 3.0", with_count("3.0"), "ok"),
        ("a count of 3e0", with_count("3e0"), "ok"),
        ("a count of -0", with_count("-0"), "ok"),
        ("a count of 3.5", with_count("3.5"), "invalid"),
        ("ts 24:00:00", with_ts("2026-11-29T24:00:00Z"), "invalid"),
        ("ts 9999-12-31 with microseconds", with_ts("9999-12-31T23:59:59.999999Z"), "ok"),
        ("ts 0001-01-01, the first year", with_ts("0001-01-01T00:00:00Z"), "ok"),
        ("ts 0000-06-15, year zero", with_ts("0000-06-15T12:00:00Z"), "rules"),
        ("ts a leap day", with_ts("2024-02-29T00:00:00Z"), "ok"),
        ("ts no leap day", with_ts("2026-02-29T00:00:00Z"), "invalid"),
        ("ts a real leap second in June", with_ts("2016-06-30T23:59:60Z"), "rules"),
        ("ts lower-case t and z", with_ts("2016-12-31t23:59:59z"), "invalid"),
        ("ts ten fraction digits", with_ts("2026-11-29T22:55:24.1234567890Z"), "ok"),
        ("ts far in the future", with_ts("2999-01-01T00:00:00Z"), "ok"),
        ("a duplicate nulls key", base.replace(
            '"nulls":{', '"nulls":{"risk.dd_state":"missing",', 1), "json"),
        ("a duplicate top-level ts", base.replace('"ts":', '"ts":"x","ts":', 1), "json"),
        ("run_mode twice, once escaped", base.replace(
            '"run_mode":', '"run\\u005fmode":"live","run_mode":', 1), "json"),
        ("the same key in two objects of a newer payload", text_of(
            {**newer, "a": {"x": 1, "y": {"x": 2}}, "b": [{"x": 1}, {"x": 1}]}), "ok"),
        ("quotes, backslashes and braces in a newer payload's strings", text_of(
            {**newer, 'k"}{': {'"x\\': '\\"}]{[', "y": "\\\\"}}), "ok"),
        ("a byte order mark", "\ufeff" + base, "json"),
        ("NaN", base.replace(value, "NaN"), "json"),
        ("trailing garbage", base + "}", "json"),
        ("an empty file", "", "json"),
        ("an array", "[]", "invalid"),
        ("a lone surrogate in run_mode", base.replace('"run_mode":null', '"run_mode":"\\ud800"'),
         "invalid"),
        ("a lone surrogate in a newer payload's unknown field", text_of(newer)[:-1]
         + ',"note":"\\ud800"}', "ok"),
        ("version 7.01.0", text_of({**EXAMPLE, "schema_version": "7.01.0"}), "invalid"),
        ("version 7.0.0 with 7.1.0's fields", text_of({**EXAMPLE, "schema_version": "7.0.0"}),
         "ok"),
        ("the pre-contract flat file", text_of({"atr_regime": "hot", "dd_state": "normal"}),
         "invalid"),
        ("major 8", text_of({**EXAMPLE, "schema_version": "8.0.0"}), "version"),
        ("router lacks maker_first", text_of({**EXAMPLE, "router": {
            k: v for k, v in EXAMPLE["router"].items() if k != "maker_first"}}), "invalid"),
        ("an unknown field at 7.1.0", text_of({**EXAMPLE, "extra": 1}), "invalid"),
        ("an unknown nulls key at 7.1.0", text_of(
            {**EXAMPLE, "nulls": {**EXAMPLE["nulls"], "nav.foo": "missing"}}), "invalid"),
        ("an unknown field at 7.2.0", text_of({**newer, "extra": 1}), "ok"),
        ("an unknown KPI, null and listed, at 7.2.0", text_of(
            {**newer, "router": {**EXAMPLE["router"], "fill_latency_ms": None},
             "nulls": {**EXAMPLE["nulls"], "router.fill_latency_ms": "missing"}}), "ok"),
    ]


@pytest.mark.parametrize(("case", "text", "kind"), strictness_cases(),
                         ids=[c for c, _, _ in strictness_cases()])
def test_both_readers_give_each_strictness_case_one_verdict(
    case: str, text: str, kind: str, tmp_path: Path
) -> None:
    """readKpisV7 and read_kpis accept and refuse the same documents for the same kind of
    reason (rules being an invalid document for read_kpis; a number beyond double range is
    not JSON for its strict parser), and read the same reading from those they accept."""
    [(js_kind, reading)] = js_readings([text])
    assert js_kind == kind
    py_kind, model = python_read(text, tmp_path)
    beyond_double = "rounding to the double" in case
    assert py_kind == ("json" if beyond_double else {"rules": "invalid"}.get(kind, kind))
    if model is not None:
        assert reading is not None
        assert same_reading(reading, model)
