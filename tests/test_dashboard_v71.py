"""The view model on kpis_v7 7.1.0 (issue 9): sample counts beside their ratio, the run mode as a
header item, and 7.0.0 payloads read by the 7.1.0 reader ("not in 7.0.0", not "missing")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract.dashboard import context_fields, kpi_cards, panel_state, run_mode_view
from kpi_contract.dashboard.fields import schema_fields
from kpi_contract.reader import read_kpis
from kpi_contract.schema import load_schema
from tests import dashboard_payloads as payloads
from tests.dashboard_payloads import KPI_PATHS, NOW, write_file
from tests.v7_releases import RELEASES, release_schema

# Each 7.1.0 sample count and the ratio (or mean) it stands behind.
SAMPLES = {
    "router.maker_fill_share": "router.maker_fill_share_fill_count",
    "router.avg_slippage_bps": "router.avg_slippage_bps_fill_count",
    "router.reject_rate": "router.reject_rate_order_count",
    "performance.expectancy": "performance.expectancy_trade_count",
}


def set_leaf(doc: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    node = doc
    for part in parents:
        node = node[part]
    node[leaf] = value


def release_7_0_0_payload() -> dict[str, Any]:
    """The first example of the frozen 7.0.0 schema: a real 7.0.0 payload, no 7.1.0 field."""
    doc: dict[str, Any] = copy.deepcopy(release_schema("7.0.0")["examples"][0])
    assert doc["schema_version"] == "7.0.0"
    assert "run_mode" not in doc
    return doc


# --- which leaf is what ------------------------------------------------------------------------

def test_every_nulls_key_is_a_card_a_sample_or_the_run_mode() -> None:
    """Nothing nulls can name is dropped: 14 cards, the 4 counts on their ratios, run_mode in the
    header, and risk.dd_state (an object, explained through its children's cards)."""
    fields = schema_fields(load_schema())
    assert [spec.path for spec in fields.kpis] == list(KPI_PATHS)
    assert {ratio: spec.path for ratio, spec in fields.samples.items()} == SAMPLES
    assert [spec.path for spec in fields.context] == ["run_mode"]
    shown = {s.path for s in fields.kpis} | {s.path for s in fields.samples.values()}
    assert set(fields.null_keys) - shown == {"run_mode", "risk.dd_state"}


def test_sample_units_and_labels_come_from_the_schema() -> None:
    """Each count keeps its x-unit (fills, orders, trades) and reads as its own name."""
    fields = schema_fields(load_schema())
    assert {r: (s.label, s.unit) for r, s in fields.samples.items()} == {
        "router.maker_fill_share": ("Fill count", "fills"),
        "router.avg_slippage_bps": ("Fill count", "fills"),
        "router.reject_rate": ("Order count", "orders"),
        "performance.expectancy": ("Trade count", "trades"),
    }


def test_a_count_named_after_its_ratio_in_a_later_schema_joins_that_card() -> None:
    """A made-up 7.2 count beside fee_pnl_ratio (its nulls key, x-unit) shows on that card."""
    schema = copy.deepcopy(load_schema())
    schema["$id"] = "urn:kpi-contract:kpis_v7:7.2.0"
    schema["$defs"]["Risk"]["properties"]["fee_pnl_ratio_window_count"] = {
        "type": ["integer", "null"], "minimum": 0, "x-unit": "windows"}
    schema["$defs"]["Nulls"]["propertyNames"]["enum"].append("risk.fee_pnl_ratio_window_count")
    doc = payloads.healthy()
    doc["risk"]["fee_pnl_ratio_window_count"] = 1
    cards = {c.path: c for c in kpi_cards(doc, schema=schema)}
    assert len(cards) == 14
    sample = cards["risk.fee_pnl_ratio"].sample
    assert sample is not None
    assert (sample.label, sample.text, sample.caption) == ("Window count", "1 window",
                                                          "over 1 window")


def test_the_x_0_rule_agrees_with_the_frozen_releases() -> None:
    """A leaf is 'required' (so never 'not in 7.0.0') exactly when release 7.0.0 has it: the
    panel's rule for older payloads is checked against what was really released."""
    current = schema_fields(load_schema())
    released = schema_fields(release_schema("7.0.0"))
    in_7_0_0 = {s.path for s in (*released.kpis, *released.context, *released.samples.values())}
    for spec in (*current.kpis, *current.context, *current.samples.values()):
        assert spec.required is (spec.path in in_7_0_0), spec.path
    assert sorted(p.name for p in RELEASES.glob("*.schema.json"))[0] == (
        "kpis_v7-7.0.0.schema.json")


# --- sample counts on their ratio's card -------------------------------------------------------

@pytest.mark.parametrize(
    ("count", "caption"),
    [(1250, "over 1,250 fills"), (1, "over 1 fill"), (0, "over 0 fills")],
)
def test_a_ratio_card_says_how_many_observations_stand_behind_it(
    count: int, caption: str
) -> None:
    """'55.00% over 1,250 fills': the value, and under it the count with its unit."""
    doc = payloads.healthy()
    doc["router"]["maker_fill_share_fill_count"] = count
    card = next(c for c in kpi_cards(doc) if c.path == "router.maker_fill_share")
    assert card.text == "55.00%"
    assert card.sample is not None
    assert (card.sample.value, card.sample.caption) == (count, caption)


def test_each_count_reads_with_its_own_unit() -> None:
    """Orders behind the reject rate, trades behind expectancy, fills behind slippage."""
    doc = payloads.healthy()
    doc["router"].update(reject_rate_order_count=4812, avg_slippage_bps_fill_count=2)
    doc["performance"]["expectancy_trade_count"] = 37
    cards = {c.path: c for c in kpi_cards(doc)}
    captions = {path: cards[path].sample.caption for path in SAMPLES if cards[path].sample}
    assert captions == {
        "router.maker_fill_share": "over 100 fills", "router.avg_slippage_bps": "over 2 fills",
        "router.reject_rate": "over 4,812 orders", "performance.expectancy": "over 37 trades"}
    assert cards["nav.nav_total"].sample is None


def test_a_null_count_says_so_beside_a_present_ratio() -> None:
    """A ratio from a source without counts keeps its value; its count reads 'no data: <reason>'
    and never a number; the ratio's status is the rule table's, unchanged."""
    doc = payloads.healthy()
    doc["router"]["reject_rate_order_count"] = None
    doc["nulls"]["router.reject_rate_order_count"] = "missing"
    card = next(c for c in kpi_cards(doc) if c.path == "router.reject_rate")
    assert (card.text, card.status) == ("3.00%", "ok")
    assert card.sample is not None
    assert (card.sample.value, card.sample.reason, card.sample.caption) == (
        None, "missing", "Order count: no data: missing")


@given(nulled=st.sets(st.sampled_from(sorted(SAMPLES.values()))),
       reason=st.sampled_from(["missing", "invalid", "out_of_range"]))
def test_a_count_is_no_data_exactly_when_it_is_null(nulled: set[str], reason: str) -> None:
    """Whatever subset of counts is null, those and only those say 'no data'; the cards' own
    texts and statuses do not change."""
    doc = payloads.healthy()
    for path in nulled:
        set_leaf(doc, path, None)
        doc["nulls"][path] = reason
    before = {c.path: c for c in kpi_cards(payloads.healthy())}
    for card in kpi_cards(doc):
        assert (card.text, card.status) == (before[card.path].text, before[card.path].status)
        if card.sample is None:
            continue
        if card.sample.path in nulled:
            assert card.sample.text == f"no data: {reason.replace('_', ' ')}"
        else:
            assert card.sample.reason is None
            assert isinstance(card.sample.value, int)


# --- 7.0.0 payloads through the 7.1.0 reader ---------------------------------------------------

def test_a_7_0_0_reading_shows_the_added_fields_as_not_in_7_0_0(tmp_path: Path) -> None:
    """read_kpis lists the absent 7.1.0 counts in nulls as 'missing'; the panel knows 7.0.0 had
    no such field and says 'not in 7.0.0', for the counts and the run mode alike."""
    path = tmp_path / "kpis_v7.json"
    path.write_text(json.dumps(release_7_0_0_payload()))
    reading = read_kpis(path, now_ts=NOW)
    assert reading.kpis.nulls["router.maker_fill_share_fill_count"] == "missing"
    cards = {c.path: c for c in kpi_cards(reading)}
    for ratio in SAMPLES:
        sample = cards[ratio].sample
        assert sample is not None
        assert (sample.reason, sample.caption) == (
            "not in 7.0.0", f"{sample.label}: no data: not in 7.0.0")
        assert cards[ratio].status != "no_data"
    (run_mode,) = context_fields(reading)
    assert (run_mode.value, run_mode.text) == (None, "no data: not in 7.0.0")
    state = panel_state(path, now_ts=NOW)
    assert state.run_mode is not None
    assert (state.run_mode.title, state.run_mode.live, state.run_mode.reason) == (
        "RUN MODE UNKNOWN", None, "not in 7.0.0")
    assert "not in 7.0.0" in state.run_mode.text


def test_a_7_1_0_payload_without_its_counts_says_missing(tmp_path: Path) -> None:
    """The same absence in a 7.1.0 payload is the writer's: the reader's 'missing' is shown."""
    doc = payloads.healthy()
    del doc["router"]["maker_fill_share_fill_count"]
    del doc["run_mode"]
    path = tmp_path / "kpis_v7.json"
    path.write_text(json.dumps(doc))
    reading = read_kpis(path, now_ts=NOW)
    sample = next(c for c in kpi_cards(reading) if c.path == "router.maker_fill_share").sample
    assert sample is not None
    assert sample.caption == "Fill count: no data: missing"
    state = panel_state(path, now_ts=NOW)
    assert state.run_mode is not None
    assert state.run_mode.title == "RUN MODE UNKNOWN"


# --- the run mode ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "title", "live", "words"),
    [("live", "LIVE", True, "real money"),
     ("testnet", "TESTNET", False, "not live results"),
     ("dry_run", "DRY RUN", False, "simulated orders"),
     ("replay", "REPLAY", False, "recorded snapshots"),
     ("paper", "PAPER", False, "not shown as live"),
     (None, "RUN MODE UNKNOWN", None, "no data: missing")],
)
def test_run_mode_header_names_live_and_everything_else_apart(
    value: str | None, title: str, live: bool | None, words: str
) -> None:
    """Only 'live' is live; the simulations say they are not; a null says it cannot tell."""
    view = run_mode_view(value, None if value else "missing")
    assert (view.value, view.title, view.live) == (value, title, live)
    assert words in view.text
    assert view.text.startswith(f"{title}: ")


@pytest.mark.parametrize("mode", ["dry_run", "replay", "testnet", "live"])
def test_panel_state_carries_the_payloads_run_mode(tmp_path: Path, mode: str) -> None:
    """The panel state's run mode is the file's, whatever the KPIs say."""
    doc = payloads.stressed()
    doc["run_mode"] = mode
    (tmp_path / "kpis_v7.json").write_text(json.dumps(doc))
    state = panel_state(tmp_path, now_ts=NOW)
    assert state.run_mode is not None
    assert (state.run_mode.value, state.run_mode.live) == (mode, mode == "live")
    assert len(state.cards) == 14


def test_an_unreadable_file_has_no_run_mode(tmp_path: Path) -> None:
    """Without a document there is nothing to say about its run mode (the banner says why)."""
    write_file("torn", tmp_path)
    assert panel_state(tmp_path, now_ts=NOW).run_mode is None
