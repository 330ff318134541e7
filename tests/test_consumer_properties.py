"""Property: the consumers' validators never split on a document (issue 14).

Hypothesis draws batches of documents made from valid 7.0.0 and 7.1.0 payloads with one to four
values replaced by arbitrary JSON (any number, string, label, container or null) at KPI leaves
(7.1.0's run_mode and sample counts included), ``ts``, ``schema_version`` and ``nulls``, or an
optional leaf removed; every schema validator of tests/consumer_validators.py must give each
document the same verdict, and the package that verdict plus its SPEC 5a rules as js/reader.mjs's
packageRuleViolations (an independent implementation) applies them to the document as written. The
divergences the reference documents on purpose (a string ending in a newline, which
python-jsonschema's ``$`` accepts) are left out of the draw; numbers stay within what every
parser reads as the same double.
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.consumer_corpus import LEAVES, NULL_PATHS, OPTIONAL, REASONS, text_of
from tests.consumer_validators import RELEASE_7_0_0, VALIDATORS, node_json, schema
from tests.snapshot_fixtures import FIXTURE_FILES
from tests.test_consumer_reader import js_readings, nested, python_read, same_reading
from tests.test_one_definition import documents_and_additions

BASES = [json.loads(p.read_text())[key] for p in FIXTURE_FILES
         for key in ("expected", "expected_7_1")]
BASES += schema()["examples"] + json.loads(RELEASE_7_0_0.read_text())["examples"]
LABELS = sorted({label for leaf in LEAVES for label in leaf.vocabulary})
TARGETS = ["schema_version", "ts", *NULL_PATHS, "nulls"]

strings = st.text(max_size=24).filter(lambda s: not s.endswith("\n"))
numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, -0.0, 1.0000000000000002, 0.9999999999999999, 5e-324, -5e-324,
                     1.7976931348623157e308]),
)
scalars = st.one_of(
    st.none(), st.booleans(), numbers, strings,
    st.sampled_from([*LABELS, *REASONS, "7.0.0", "7.2.10", "8.0.0", "2026-01-01T00:00:00Z",
                     "2026-02-30T00:00:00Z", "2026-01-01T00:00:00.25Z"]),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=2),
    st.dictionaries(st.sampled_from([*NULL_PATHS, "state", "drawdown_frac", "x"]),
                    st.one_of(scalars, st.sampled_from(REASONS)), max_size=3),
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    doc: Any = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        target = draw(st.sampled_from(TARGETS))
        value = draw(values)
        if target in OPTIONAL and draw(st.integers(0, 3)) == 0:  # as a 7.0.0 payload lacks it
            *parents, last = target.split(".")
            node = doc
            for part in parents:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node.pop(last, None)
            continue
        if target == "nulls" and isinstance(doc.get("nulls"), dict):
            doc["nulls"][draw(st.sampled_from(NULL_PATHS))] = draw(
                st.one_of(st.sampled_from(REASONS), scalars))
            continue
        *parents, last = target.split(".")
        node = doc
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    return text_of(doc)


# Each example runs node and Sourcemeta once: a 40th of the profile's examples (12 in ci, 500 deep).
@settings(max_examples=max(12, settings.default.max_examples // 40))
@given(st.lists(documents(), min_size=20, max_size=40))
def test_validators_agree_on_arbitrary_documents(texts: list[str]) -> None:
    """Every schema validator gives each drawn document the same verdict, and the package's
    verdict is that verdict plus the SPEC 5a rules a schema cannot express, as js/reader.mjs's
    packageRuleViolations (an independent implementation of those rules) finds them."""
    verdicts = {name: validate(texts) for name, validate in VALIDATORS.items()}
    package = verdicts.pop("kpi-contract")
    broken = node_json(
        "out(INPUT.map((text) => reader.packageRuleViolations(JSON.parse(text), SCHEMA)));",
        data=texts)
    for index, text in enumerate(texts):
        seen = {name: v[index] for name, v in verdicts.items()}
        assert len(set(seen.values())) == 1, (text, seen)
        schema_verdict = next(iter(seen.values()))
        expected = "invalid" if schema_verdict == "valid" and broken[index] else schema_verdict
        assert package[index] == expected, (text, schema_verdict, broken[index])


@st.composite
def reader_texts(draw: st.DrawFn) -> str:
    """A document of tests/test_one_definition.py's property (damaged values, every kind of
    version, unknown fields and nulls keys), sometimes with a field nested 62 to 66 levels deep
    or a duplicate key (plain or escaped) in its text, or as a 7.0.0 payload lacking 7.1.0's
    optional fields."""
    _, doc = draw(documents_and_additions())
    if draw(st.integers(0, 4)) == 0:
        doc["trace"] = nested(draw(st.integers(61, 65)))  # the document adds one level
    if draw(st.integers(0, 4)) == 0:
        for path in draw(st.lists(st.sampled_from(OPTIONAL), max_size=len(OPTIONAL))):
            *parents, last = path.split(".")
            node = doc
            for part in parents:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node.pop(last, None)
            doc["nulls"].pop(path, None)
    text = json.dumps(doc, allow_nan=True, separators=(",", ":"))
    duplicate = draw(st.sampled_from([None, None, None, '"nav":', '"nulls":', '"n\\u0061v":']))
    if duplicate is not None:
        text = text.replace('"nav":', f'{duplicate}{{}},"nav":', 1)
    return text


def beyond_double(text: str) -> bool:
    """Whether ``text`` holds a number JSON.parse reads as an infinity (NaN is not JSON)."""
    def walk(node: object) -> bool:
        if isinstance(node, dict):
            return any(walk(v) for v in node.values())
        if isinstance(node, list):
            return any(walk(v) for v in node)
        if isinstance(node, float):
            return math.isinf(node)
        return isinstance(node, int) and not isinstance(node, bool) and abs(node) > 2**1024
    try:
        return walk(json.loads(text, parse_constant=lambda _: None))
    except ValueError:
        return False


# One node process per example: a 40th of the profile's examples (12 in ci).
@settings(max_examples=max(12, settings.default.max_examples // 40))
@given(st.lists(reader_texts(), min_size=10, max_size=30))
def test_read_kpis_and_read_kpis_v7_agree_on_arbitrary_documents(texts: list[str]) -> None:
    """readKpisV7 and read_kpis accept the same generated documents (of the reader's version,
    older, newer, malformed or another major; with unknown fields, deep nesting, duplicate
    keys) and read the same reading from them; a refusal has the same kind, "rules" being an
    invalid document for read_kpis, except a number beyond double range (json for read_kpis's
    strict parser, rules for readKpisV7 after JSON.parse reads Infinity)."""
    js = js_readings(texts)
    with tempfile.TemporaryDirectory() as tmp:
        python = [python_read(text, Path(tmp)) for text in texts]
    for text, (js_kind, reading), (py_kind, model) in zip(texts, js, python, strict=True):
        if js_kind == "rules" and py_kind == "json":
            assert beyond_double(text), text
        else:
            assert {"rules": "invalid"}.get(js_kind, js_kind) == py_kind, (text, js_kind, py_kind)
        if model is not None:
            assert reading is not None
            assert same_reading(reading, model), text
