"""One definition of a valid document: validate, publish_kpis, the mirror and read_kpis agree.

Issue 7 section 2, SPEC.md section 5a. Each kind of document the four tools used to disagree on
is checked through all four; a property checks that generated documents get one verdict.

What "publish" receives is a mapping (the executor never hands it bytes), so byte-level kinds a
mapping cannot hold (a duplicate key) are checked through the three tools that read bytes. The
property's documents also carry fields and ``nulls`` keys the schema does not know: declaring the
reader's own version or an older one (or a malformed version), they get one verdict from all four
tools; the reader's deliberate tolerance (SPEC section 8: a newer 7.x minor's unknown fields and
``nulls`` keys dropped) applies only to a payload declaring a later 7.x than the reader's schema,
and the property checks that it drops exactly those additions.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execution.sync_state import StateMirror
from kpi_contract import cli
from kpi_contract.document_rules import kpi_paths
from kpi_contract.errors import DocumentInvalidError, KpiContractError
from kpi_contract.publish import publish_kpis
from kpi_contract.reader import declares_newer_version, read_kpis
from kpi_contract.schema import load_schema
from tests.cli_helpers import run_cli

KPI = "kpis_v7.json"


def example(index: int = 0) -> dict[str, Any]:
    return copy.deepcopy(load_schema()["examples"][index])


class Tools:
    """The four tools, each asked whether one document is valid."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state, self.mirror = root / "state", root / "mirror"
        self.state.mkdir(parents=True, exist_ok=True)
        self.mirror.mkdir(parents=True, exist_ok=True)

    def verdicts(self, data: bytes, doc: object | None) -> dict[str, bool]:
        """tool -> valid?; ``doc`` is what publish_kpis gets (None: no mapping can say it)."""
        path = self.state / KPI
        path.write_bytes(data)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main(["validate", str(path)])
        assert code in (0, 1), code
        found = {"validate": code == 0}
        if doc is not None:
            found["publish_kpis"] = publish_kpis(self.root / "published.json", doc).ok
        (self.mirror / KPI).unlink(missing_ok=True)
        with StateMirror(self.state, self.mirror, files=(KPI,)) as mirror:
            report = mirror.sync_once()
        assert not report.errors, report.errors
        found["mirror"] = report.copied == [KPI]
        try:
            read_kpis(path)
        except KpiContractError:
            found["read_kpis"] = False
        else:
            found["read_kpis"] = True
        return found


@pytest.fixture
def tools(tmp_path: Path) -> Tools:
    return Tools(tmp_path)


def assert_all(tools: Tools, doc: dict[str, Any], valid: bool, data: bytes | None = None) -> None:
    raw = data if data is not None else json.dumps(doc).encode()
    verdicts = tools.verdicts(raw, doc)
    assert verdicts == dict.fromkeys(verdicts, valid), verdicts
    assert len(verdicts) == 4


def test_the_schema_examples_are_valid_for_all_four(tools: Tools) -> None:
    """Both examples of the schema are valid everywhere."""
    assert_all(tools, example(0), True)
    assert_all(tools, example(1), True)


@pytest.mark.parametrize(
    ("path", "literal"),
    [
        (("nav", "nav_total"), "1" + "0" * 400),
        (("router", "avg_slippage_bps"), "-" + "9" * 320),
        (("performance", "expectancy"), "1e400"),
    ],
    ids=["400-digit-int", "negative-320-digit-int", "1e400"],
)
def test_a_number_beyond_double_range_is_invalid_everywhere(
    tools: Tools, path: tuple[str, str], literal: str
) -> None:
    """A literal a browser reads as Infinity is invalid for all four tools."""
    doc = example()
    doc[path[0]][path[1]] = 12345.5
    data = json.dumps(doc).replace("12345.5", literal).encode()
    publish_doc = copy.deepcopy(doc)
    publish_doc[path[0]][path[1]] = float(literal) if "e" in literal else int(literal)
    verdicts = tools.verdicts(data, publish_doc)
    assert verdicts == dict.fromkeys(verdicts, False)


@pytest.mark.parametrize("ts", ["2016-12-31T23:59:60Z", "2015-06-30T23:59:60.250Z"])
def test_a_leap_second_is_invalid_everywhere(tools: Tools, ts: str) -> None:
    """RFC 3339 allows :60; the contract does not, for any of the four tools."""
    doc = example()
    doc["ts"] = ts
    assert_all(tools, doc, False)
    result = run_cli("validate", str(tools.state / KPI))
    assert "leap second" in result.stderr


def test_a_year_0000_ts_is_invalid_everywhere(tools: Tools) -> None:
    """A date the schema's format accepts but the reader's datetime cannot hold: one answer."""
    doc = example()
    doc["ts"] = "0000-01-01T00:00:00Z"
    assert_all(tools, doc, False)


@pytest.mark.parametrize(
    "duplicated",
    [
        '"nav": {"nav_total": 1.0, "nav_age_s": 1.0, "sources_ok": true}, ',
        '"nulls": {}, ',
    ],
    ids=["nav-twice", "nulls-twice"],
)
def test_a_duplicate_key_is_invalid_for_every_tool_that_reads_bytes(
    tools: Tools, duplicated: str
) -> None:
    """Parsers keep different copies of a duplicated key; the contract refuses the document."""
    text = json.dumps(example())
    data = ("{" + duplicated + text[1:]).encode()
    verdicts = tools.verdicts(data, None)
    assert verdicts == {"validate": False, "mirror": False, "read_kpis": False}
    assert "duplicate key" in run_cli("validate", str(tools.state / KPI)).stderr


def nulls_cases() -> list[tuple[str, dict[str, Any]]]:
    unlisted = example()
    unlisted["router"]["reject_rate"] = None
    listed_with_value = example()
    listed_with_value["nulls"]["performance.sharpe_state"] = "missing"
    child_of_null = example(1)
    child_of_null["nulls"]["risk.dd_state.state"] = "missing"
    children_instead = example(1)
    del children_instead["nulls"]["risk.dd_state"]
    children_instead["nulls"]["risk.dd_state.state"] = "missing"
    children_instead["nulls"]["risk.dd_state.drawdown_frac"] = "missing"
    leaf_unlisted = example()
    leaf_unlisted["risk"]["dd_state"]["drawdown_frac"] = None
    run_mode_unlisted = example()
    run_mode_unlisted["run_mode"] = None
    run_mode_listed = example()
    run_mode_listed["nulls"]["run_mode"] = "missing"
    count_unlisted = example()
    count_unlisted["performance"]["expectancy_trade_count"] = None
    return [
        ("top-level-run-mode-null-not-listed", run_mode_unlisted),
        ("top-level-run-mode-listed-with-a-value", run_mode_listed),
        ("sample-count-null-not-listed", count_unlisted),
        ("null-not-listed", unlisted),
        ("listed-with-a-value", listed_with_value),
        ("child-of-a-null-parent-listed", child_of_null),
        ("children-listed-instead-of-parent", children_instead),
        ("nested-leaf-not-listed", leaf_unlisted),
    ]


@pytest.mark.parametrize(("case", "doc"), nulls_cases(), ids=[c for c, _ in nulls_cases()])
def test_nulls_must_list_exactly_the_null_kpis(
    tools: Tools, case: str, doc: dict[str, Any]
) -> None:
    """Every null KPI has its reason, nothing else is listed, a null parent hides its children."""
    assert_all(tools, doc, False)


def test_a_consistent_nulls_with_a_null_object_is_valid(tools: Tools) -> None:
    """dd_state an object with both children null: the two children are listed, not the parent."""
    doc = example()
    doc["risk"]["dd_state"] = {"state": None, "drawdown_frac": None}
    doc["nulls"] = {"risk.dd_state.state": "invalid", "risk.dd_state.drawdown_frac": "missing"}
    assert_all(tools, doc, True)


def test_an_absent_optional_kpi_is_neither_null_nor_listed(tools: Tools) -> None:
    """An older 7.x payload without a 7.1.0 count is valid everywhere; written with the count
    absent but listed in nulls it is refused by all four tools, read_kpis included (its
    projection would read the count as null, but the rule holds for the payload as written)."""
    absent = example()
    del absent["router"]["reject_rate_order_count"]
    assert_all(tools, absent, True)
    listed = example()
    del listed["run_mode"]
    listed["nulls"]["run_mode"] = "invalid"
    assert_all(tools, listed, False)
    result = run_cli("validate", str(tools.state / KPI))
    assert "$.nulls.run_mode: run_mode is listed as null but is absent" in result.stderr
    with pytest.raises(DocumentInvalidError, match="run_mode is listed as null but is absent"):
        read_kpis(tools.state / KPI)


def test_the_kpi_paths_are_derived_from_the_schema() -> None:
    """The rule's KPI list is the schema's nullable leaves: it equals the nulls vocabulary."""
    derived = {".".join(p) for p in kpi_paths()}
    assert derived == set(load_schema()["$defs"]["Nulls"]["propertyNames"]["enum"])
    grown = copy.deepcopy(load_schema())
    grown["$defs"]["Router"]["properties"]["fill_latency_ms"] = {"type": ["number", "null"]}
    grown["$defs"]["Router"]["properties"]["venue"] = {"type": "string"}
    assert ("router", "fill_latency_ms") in kpi_paths(grown)
    assert ("router", "venue") not in kpi_paths(grown)


# --- the property: generated documents, one verdict -------------------------------------------

TS_FORMS = [
    "2026-01-01T00:00:00Z", "2026-06-30T23:59:59.999999Z", "2026-01-01t12:00:00Z",
    "2016-12-31T23:59:60Z", "0000-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
    "2026-01-01T00:00:00+00:00", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.123456789Z", "",
]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5),
    st.sampled_from([10**400, -(10**309), 2**53 + 1, -0.0, 1.0, 0, 1.5, -1.0]),
)
LABELS = st.sampled_from(["normal", "ok", "good", "quiet", "neutral", "broken", "NORMAL", "", None])
REASONS = st.sampled_from(["missing", "invalid", "out_of_range", "unknown"])


VERSIONS = ["7.0.0", "7.1.0", "8.0.0", "7.0", "7.01.0", "7.02.0", "7.1.1", "7.2.0", "7.10.0"]


def unknown_additions(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with 0 to 3 things no release up to the reader's has: a field at the top, in an
    object or in ``dd_state``, a ``nulls`` key (alone, or with a null leaf of that name)."""
    added = copy.deepcopy(doc)
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["", "nav", "router", "performance", "risk.dd_state",
                                      "nulls-key", "null-kpi"]))
        if where == "nulls-key":
            added["nulls"][draw(st.sampled_from(["nav.foo", "router.fill_latency_ms", "x"]))] = (
                draw(REASONS))
            continue
        if where == "null-kpi":
            added["router"]["fill_latency_ms"] = None
            added["nulls"]["router.fill_latency_ms"] = "missing"
            continue
        target: Any = added
        for part in where.split(".") if where else []:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[draw(st.sampled_from(["extra", "peak_nav", "source"]))] = draw(
                st.sampled_from([1, None, "x", {"host": "a"}, [1.5]]))
    return added


@st.composite
def documents_and_additions(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """(a kpis_v7-shaped document, mostly consistent, with random damage of every kind above;
    the same with ``unknown_additions``)."""
    doc = example(draw(st.sampled_from([0, 1])))
    if draw(st.booleans()):
        doc["ts"] = draw(st.sampled_from(TS_FORMS))
    if draw(st.integers(0, 2)) == 0:
        doc["schema_version"] = draw(st.sampled_from(VERSIONS))
    if draw(st.booleans()):
        doc["risk"]["dd_state"] = draw(st.sampled_from([
            None, {"state": "normal", "drawdown_frac": 0.1},
            {"state": None, "drawdown_frac": None},
        ]))
    leaves = [p for p in kpi_paths() if len(p) == 2 and p != ("risk", "dd_state")]
    for path in draw(st.lists(st.sampled_from(leaves), max_size=4, unique=True)):
        current = doc[path[0]][path[1]]
        value: object = draw(LABELS if isinstance(current, str) else NUMBERS)
        doc[path[0]][path[1]] = value
    nulls: dict[str, str] = {}
    for path in kpi_paths():
        node: Any = doc
        for part in path:
            node = node.get(part, "absent") if isinstance(node, dict) else "absent"
        if node is None and not (len(path) == 3 and doc["risk"]["dd_state"] is None):
            nulls[".".join(path)] = "missing"
    damage = draw(st.integers(0, 3))
    dotted = [".".join(p) for p in kpi_paths()]
    if damage == 1 and nulls:
        nulls.pop(draw(st.sampled_from(sorted(nulls))))
    elif damage == 2:
        nulls[draw(st.sampled_from(dotted))] = draw(REASONS)
    doc["nulls"] = nulls
    return doc, unknown_additions(draw, doc)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents_and_additions())
def test_generated_documents_get_one_verdict_from_all_four_tools(
    tmp_path: Path, drawn: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """validate, publish_kpis, the mirror and read_kpis: all accept or all reject, unknown fields
    and nulls keys included, for every document but one declaring a later 7.x than the reader's
    schema; for that one read_kpis gives the verdict the four tools give it without the
    additions (SPEC 8: exactly the unknown additions are dropped)."""
    base, doc = drawn
    tools = Tools(tmp_path / "property")
    verdicts = tools.verdicts(json.dumps(doc, allow_nan=True).encode(), doc)
    if any(isinstance(v, float) and not math.isfinite(v) for v in _numbers(doc)):
        assert not any(verdicts.values())
    if not declares_newer_version(doc, load_schema()):
        assert len(set(verdicts.values())) == 1, verdicts
        return
    reader = verdicts.pop("read_kpis")
    without = tools.verdicts(json.dumps(base, allow_nan=True).encode(), base)
    assert len(set(without.values())) == 1, without
    assert reader == without["read_kpis"], (reader, without)
    if doc != base:  # the closed schema refuses what the reader dropped
        assert not any(verdicts.values()), verdicts
    else:
        assert set(verdicts.values()) == {reader}, verdicts


def _numbers(node: object) -> list[object]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _numbers(v)]
    return [node]


def test_the_pre_contract_flat_file_gets_the_same_answer_from_every_tool(tools: Tools) -> None:
    """validate and the mirror name the legacy flat file as the reader does, not a missing nav."""
    legacy = {"updated_at": 1767225600.0, "atr_regime": "hot", "router_stats": {"quality": "ok"}}
    verdicts = tools.verdicts(json.dumps(legacy).encode(), legacy)
    assert verdicts == dict.fromkeys(verdicts, False)
    result = run_cli("validate", str(tools.state / KPI))
    assert "the pre-contract flat KPI file" in result.stderr
    assert "required property" not in result.stderr
    rejected = publish_kpis(tools.root / "out.json", legacy)
    assert rejected.error is not None
    assert "pre-contract flat KPI file" in rejected.error
