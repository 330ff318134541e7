"""The dashboard's view model: cards from the schema, honest nulls, one rule table, file states."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract.dashboard import context_fields, kpi_cards, panel_state, status_of
from kpi_contract.dashboard.fields import humanise, schema_fields
from kpi_contract.dashboard.formatting import format_age, format_value
from kpi_contract.dashboard.status_rules import STATUS_RULES, rule_for
from kpi_contract.models import KpisV7
from kpi_contract.reader import read_kpis
from kpi_contract.schema import load_schema
from tests import dashboard_payloads as payloads
from tests.dashboard_payloads import KPI_PATHS, NOW, write_file

# --- cards: payloads -> (text, status) per KPI -------------------------------------------------

EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "healthy": {
        "nav.nav_total": ("$4,093.43", "ok"), "nav.nav_age_s": ("12 s", "ok"),
        "nav.sources_ok": ("yes", "ok"), "risk.dd_state.state": ("normal", "ok"),
        "risk.dd_state.drawdown_frac": ("0.00%", "ok"), "risk.atr_regime": ("normal", "ok"),
        "risk.fee_pnl_ratio": ("0.21\u00d7", "ok"), "router.policy_quality": ("ok", "ok"),
        "router.maker_first": ("yes", "ok"), "router.maker_fill_share": ("55.00%", "ok"),
        "router.avg_slippage_bps": ("2.50 bps", "ok"), "router.reject_rate": ("3.00%", "ok"),
        "performance.expectancy": ("$0.83 / trade", "ok"),
        "performance.sharpe_state": ("neutral", "ok"),
    },
    "stressed": {
        "risk.dd_state.state": ("defensive", "critical"),
        "risk.dd_state.drawdown_frac": ("12.50%", "critical"),
        "risk.atr_regime": ("hot", "warn"), "risk.fee_pnl_ratio": ("0.30\u00d7", "ok"),
        "router.policy_quality": ("broken", "critical"),
        "router.reject_rate": ("25.00%", "critical"),
        "nav.nav_total": ("$4,093.43", "ok"), "router.maker_fill_share": ("55.00%", "ok"),
    },
    "panic": {
        "nav.nav_age_s": ("6 min 40 s", "critical"), "nav.sources_ok": ("no", "warn"),
        "risk.dd_state.state": ("recovery", "warn"),
        "risk.dd_state.drawdown_frac": ("3.00%", "warn"), "risk.atr_regime": ("panic", "critical"),
        "risk.fee_pnl_ratio": ("1.40\u00d7", "critical"), "router.maker_first": ("no", "warn"),
        "router.reject_rate": ("6.00%", "warn"),
        "performance.expectancy": ("-$2.50 / trade", "warn"),
        "performance.sharpe_state": ("poor", "warn"),
    },
    "null_state_beside_drawdown": {
        "risk.dd_state.state": ("no data: invalid", "no_data"),
        "risk.dd_state.drawdown_frac": ("7.50%", "warn"),
    },
}


@pytest.mark.parametrize(("kind", "expected"), EXPECTED.items(), ids=list(EXPECTED))
def test_cards_show_each_kpi_with_its_unit_and_the_tables_status(
    kind: str, expected: dict[str, tuple[str, str]]
) -> None:
    """Each payload's cards carry the formatted text and the status the rule table gives."""
    cards = {card.path: card for card in kpi_cards(getattr(payloads, kind)())}
    assert {path: (cards[path].text, cards[path].status) for path in expected} == expected


@pytest.mark.parametrize("kind", ["healthy", "stressed", "all_null", "null_state_beside_drawdown"])
def test_one_card_per_kpi_leaf_in_schema_order(kind: str) -> None:
    """The 14 leaves nulls can name, in schema order; risk.dd_state itself is not a card."""
    assert [card.path for card in kpi_cards(getattr(payloads, kind)())] == list(KPI_PATHS)


def test_all_null_payload_shows_no_data_with_reasons_and_no_default() -> None:
    """Every card of an all-null payload is no_data with the payload's reason, no default text."""
    doc = payloads.all_null()
    for card in kpi_cards(doc):
        expected = doc["nulls"].get(card.path) or doc["nulls"]["risk.dd_state"]
        assert (card.value, card.status, card.reason) == (None, "no_data", expected)
        assert card.text == f"no data: {expected.replace('_', ' ')}"
        words = card.text.removeprefix("no data: ")
        assert not any(default in words for default in payloads.DEFAULT_TEXTS)


def test_dd_state_children_take_the_reason_of_a_null_dd_state() -> None:
    """A null risk.dd_state (listed alone in nulls) explains both of its children's cards."""
    doc = payloads.all_null()
    doc["nulls"]["risk.dd_state"] = "invalid"
    cards = {card.path: card for card in kpi_cards(doc)}
    assert cards["risk.dd_state.state"].text == "no data: invalid"
    assert cards["risk.dd_state.drawdown_frac"].text == "no data: invalid"


def test_null_zero_and_false_are_told_apart() -> None:
    """0, 0.0 and false are values with a status; only null is no_data."""
    doc = payloads.healthy()
    doc["router"].update(maker_first=False, reject_rate=0.0, avg_slippage_bps=0)
    doc["performance"]["expectancy"] = 0.0
    cards = {card.path: card for card in kpi_cards(doc)}
    assert cards["router.maker_first"].text == "no"
    assert cards["router.reject_rate"].text == "0.00%"
    assert cards["router.avg_slippage_bps"].text == "0.00 bps"
    assert cards["performance.expectancy"].text == "$0.00 / trade"
    assert "no_data" not in {card.status for card in cards.values()}


@given(
    nulled=st.sets(st.sampled_from(KPI_PATHS)),
    reason=st.sampled_from(["missing", "invalid", "out_of_range"]),
)
def test_a_card_is_no_data_exactly_when_its_kpi_is_null(nulled: set[str], reason: str) -> None:
    """Whatever subset of KPIs is null, those cards and only those say 'no data: <reason>'."""
    doc = payloads.stressed()
    for path in nulled:
        *parents, leaf = path.split(".")
        node = doc
        for part in parents:
            node = node[part]
        node[leaf] = None
        doc["nulls"][path] = reason
    healthy = {card.path: card for card in kpi_cards(payloads.stressed())}
    for card in kpi_cards(doc):
        if card.path in nulled:
            assert (card.status, card.reason) == ("no_data", reason)
            assert card.text == f"no data: {reason.replace('_', ' ')}"
        else:
            assert card == healthy[card.path]


def test_reading_and_model_give_the_same_cards_as_the_document(tmp_path: Path) -> None:
    """kpi_cards accepts a read_kpis reading, a model or a document, with the same result."""
    path = write_file("stressed", tmp_path)
    reading = read_kpis(path)
    from_doc = kpi_cards(payloads.stressed())
    assert kpi_cards(reading) == from_doc
    assert kpi_cards(KpisV7.model_validate(payloads.stressed())) == from_doc


def test_units_and_help_come_from_the_schema() -> None:
    """Each card's unit is its x-unit and its help the schema description (not hard-coded)."""
    schema = copy.deepcopy(load_schema())
    schema["$defs"]["Router"]["properties"]["avg_slippage_bps"]["x-unit"] = "pips"
    schema["$defs"]["Router"]["properties"]["avg_slippage_bps"]["description"] = "Changed."
    card = next(c for c in kpi_cards(payloads.healthy(), schema=schema)
                if c.path == "router.avg_slippage_bps")
    assert (card.unit, card.text, card.help) == ("pips", "2.50 pips", "Changed.")


# --- a later 7.x schema: new leaves appear without code changes --------------------------------

def schema_7_2() -> dict[str, Any]:
    """A plausible 7.2.0: an optional count in router that is nobody's sample (with its nulls
    key and unit), an optional dimensionless count in performance, and a mode outside nulls."""
    schema = copy.deepcopy(load_schema())
    schema["$id"] = "urn:kpi-contract:kpis_v7:7.2.0"
    router = schema["$defs"]["Router"]["properties"]
    router["fill_count"] = {"description": "Fills behind maker_fill_share.",
                            "type": ["integer", "null"], "minimum": 0, "x-unit": "fills"}
    schema["$defs"]["Performance"]["properties"]["trade_count"] = {
        "description": "Mature trades behind expectancy.", "type": ["integer", "null"],
        "x-unit": "count"}
    schema["properties"]["source"] = {
        "type": "object", "properties": {"mode": {
            "description": "What produced the payload.", "type": "string",
            "enum": ["live", "testnet", "dry_run", "replay"]}}}
    schema["$defs"]["Nulls"]["propertyNames"]["enum"] += ["router.fill_count",
                                                          "performance.trade_count"]
    return schema


def test_a_new_optional_leaf_becomes_a_card_in_schema_order() -> None:
    """A leaf added with its nulls key and x-unit gets a card, placed where the schema puts it."""
    doc = payloads.healthy()
    doc["router"]["fill_count"] = 1250
    doc["performance"]["trade_count"] = 48
    doc["source"] = {"mode": "dry_run"}
    cards = kpi_cards(doc, schema=schema_7_2())
    paths = [card.path for card in cards]
    assert paths == [*KPI_PATHS[:12], "router.fill_count", *KPI_PATHS[12:],
                     "performance.trade_count"]
    by_path = {card.path: card for card in cards}
    fills = by_path["router.fill_count"]
    assert (fills.label, fills.text, fills.status, fills.unit) == (
        "Fill count", "1,250 fills", "ok", "fills")
    assert by_path["performance.trade_count"].text == "48"


def test_a_new_leaf_null_in_the_payload_shows_its_reason() -> None:
    """A null new leaf is no_data with its nulls reason."""
    doc = payloads.healthy()
    doc["router"]["fill_count"] = None
    doc["nulls"]["router.fill_count"] = "missing"
    card = next(c for c in kpi_cards(doc, schema=schema_7_2()) if c.path == "router.fill_count")
    assert (card.text, card.status, card.reason) == ("no data: missing", "no_data", "missing")


def test_an_older_payload_under_a_newer_schema_says_not_published() -> None:
    """A 7.1.0 document (not a reading) lacks a 7.2 leaf and its nulls entry: the schema cannot
    say which minor added it, so 'no data: not published'."""
    card = next(c for c in kpi_cards(payloads.healthy(), schema=schema_7_2())
                if c.path == "router.fill_count")
    assert (card.text, card.status, card.reason) == (
        "no data: not published", "no_data", "not published")


def test_an_x_0_payload_under_a_newer_schema_says_not_in_its_version() -> None:
    """A 7.0.x payload lacks every field a minor added: 'no data: not in 7.0.x' for the new
    card, whatever nulls says, while its own fields keep their reasons."""
    doc = payloads.all_null()
    doc["schema_version"] = "7.0.3"
    doc["nulls"]["router.fill_count"] = "missing"
    cards = {c.path: c for c in kpi_cards(doc, schema=schema_7_2())}
    assert (cards["router.fill_count"].text, cards["router.fill_count"].reason) == (
        "no data: not in 7.0.3", "not in 7.0.3")
    assert cards["router.reject_rate"].reason == "missing"
    assert cards["performance.trade_count"].text == "no data: not in 7.0.3"


def test_leaves_outside_nulls_are_context_fields() -> None:
    """A mode outside nulls and the top-level run_mode are context fields, not KPI cards."""
    doc = {**payloads.healthy(), "source": {"mode": "replay"}}
    fields = context_fields(doc, schema=schema_7_2())
    assert [(f.path, f.label, f.text) for f in fields] == [
        ("run_mode", "Run mode", "live"), ("source.mode", "Mode", "replay")]
    assert "source.mode" not in {card.path for card in kpi_cards(doc, schema=schema_7_2())}
    assert "run_mode" not in {card.path for card in kpi_cards(doc)}


def test_schema_fields_are_the_nulls_keys_that_are_leaves() -> None:
    """The card set is nulls' propertyNames enum minus objects (risk.dd_state), in schema order."""
    fields = schema_fields(load_schema())
    assert [spec.path for spec in fields.kpis] == list(KPI_PATHS)
    assert "risk.dd_state" in fields.null_keys
    assert {s.path: s.unit for s in fields.kpis if s.unit} == {
        "nav.nav_total": "USD", "nav.nav_age_s": "s", "risk.dd_state.drawdown_frac": "fraction",
        "risk.fee_pnl_ratio": "ratio", "router.maker_fill_share": "fraction",
        "router.avg_slippage_bps": "bps", "router.reject_rate": "fraction",
        "performance.expectancy": "USD/trade"}


def test_a_schema_without_a_nulls_vocabulary_is_refused() -> None:
    """A schema that is not kpis_v7-shaped gives a clear ValueError, not empty cards."""
    with pytest.raises(ValueError, match=r"nulls\.propertyNames"):
        schema_fields({"type": "object", "properties": {"a": {"type": "number"}}})


@pytest.mark.parametrize(
    ("name", "label"),
    [("nav_age_s", "NAV age"), ("fee_pnl_ratio", "Fee PnL ratio"), ("avg_slippage_bps",
     "Average slippage"), ("sources_ok", "Sources OK"), ("order_count", "Order count")],
)
def test_labels_are_readable_names(name: str, label: str) -> None:
    """Field names read as labels: abbreviations spelt out, unit suffixes dropped."""
    assert humanise(name) == label


# --- the status rule table ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "value", "status"),
    [
        ("risk.dd_state.drawdown_frac", 0.0199, "ok"),
        ("risk.dd_state.drawdown_frac", 0.02, "warn"),
        ("risk.dd_state.drawdown_frac", 0.0999, "warn"),
        ("risk.dd_state.drawdown_frac", 0.10, "critical"),
        ("nav.nav_age_s", 90.0, "ok"), ("nav.nav_age_s", 90.5, "warn"),
        ("nav.nav_age_s", 300.0, "warn"), ("nav.nav_age_s", 301.0, "critical"),
        ("router.reject_rate", 0.0499, "ok"), ("router.reject_rate", 0.05, "warn"),
        ("router.reject_rate", 0.2, "critical"),
        ("risk.fee_pnl_ratio", 0.49, "ok"), ("risk.fee_pnl_ratio", 0.5, "warn"),
        ("risk.fee_pnl_ratio", 1.0, "critical"),
        ("performance.expectancy", 0.0, "ok"), ("performance.expectancy", -0.01, "warn"),
        ("risk.dd_state.state", "drawdown", "critical"), ("risk.dd_state.state", "unknown", "warn"),
        ("risk.atr_regime", "quiet", "ok"), ("risk.atr_regime", "panic", "critical"),
        ("router.policy_quality", "degraded", "warn"), ("router.policy_quality", "good", "ok"),
        ("performance.sharpe_state", "unknown", "warn"),
        ("performance.sharpe_state", "strong", "ok"),
        ("router.maker_fill_share", 0.0, "ok"), ("router.avg_slippage_bps", 40.0, "ok"),
    ],
)
def test_status_rule_boundaries(path: str, value: object, status: str) -> None:
    """Thresholds fire at their documented bound; labels map as the table says."""
    assert status_of(path, value) == status


def test_unlisted_labels_and_types_are_never_healthy() -> None:
    """A label or type a rule does not know is warn, not ok."""
    assert status_of("risk.atr_regime", "sideways") == "warn"
    assert status_of("router.reject_rate", "0.01") == "warn"
    assert status_of("nav.sources_ok", 1) == "warn"


def test_every_kpi_has_a_rule_with_its_reasoning() -> None:
    """The table has a row for each of the 14 KPIs, each with its reasoning written beside it."""
    assert list(STATUS_RULES) == list(KPI_PATHS)
    assert all(len(rule.why) > 40 for rule in STATUS_RULES.values())
    assert rule_for("router.fill_count").status(7) == "ok"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(4093.43, "USD", "$4,093.43"), (-1234567.5, "USD", "-$1,234,567.50"),
     (0.5, "fraction", "50.00%"), (-1.25, "bps", "-1.25 bps"), (0.4, "s", "0.4 s"),
     (59.6, "s", "1 min 0 s"), (7322, "s", "2 h 2 min"), (200000, "s", "2 d 7 h"),
     (3, "orders", "3 orders"), (2.5, None, "2.50"), (0.0012, None, "0.0012"),
     (True, None, "yes"), ("hot", None, "hot")],
)
def test_values_read_with_their_unit(value: object, unit: str | None, text: str) -> None:
    """USD with separators, fractions as percent, bps, human ages, unknown units by name."""
    assert format_value(value, unit) == text


def test_negative_ages_keep_their_sign() -> None:
    """A ts in the future (clock skew) reads as a negative age, not as fresh."""
    assert format_age(-42.0) == "-42 s"


# --- the panel state: every condition of the file ----------------------------------------------

PANEL: dict[str, tuple[str, int, str]] = {
    "healthy": ("ok", 14, f"kpis_v7 {payloads.healthy()['schema_version']} published at "
                          "2026-01-01 00:00:00 UTC, 30 s ago"),
    "unknown_extra_fields": ("ok", 14, "kpis_v7 7.4.0 published"),
    "missing": ("missing", 0, "No KPI file at"),
    "torn": ("torn", 0, "is not a complete JSON document"),
    "invalid": ("invalid", 0, "is not a valid kpis_v7 document (1 problem)"),
    "legacy_flat": ("legacy", 0, "is the pre-contract flat KPI file"),
    "major_8": ("unsupported_version", 0, "declares schema version '8.0.0'"),
}


@pytest.mark.parametrize(("kind", "expected"), PANEL.items(), ids=list(PANEL))
def test_panel_state_names_the_condition_of_the_file(
    tmp_path: Path, kind: str, expected: tuple[str, int, str]
) -> None:
    """Each kind of file gives its condition, its cards (or none) and a banner saying why."""
    condition, n_cards, message = expected
    write_file(kind, tmp_path)
    state = panel_state(tmp_path, now_ts=NOW)
    assert (state.condition, len(state.cards)) == (condition, n_cards)
    assert message in state.message
    assert state.readable is (n_cards > 0)
    if not state.readable:
        assert state.status == "critical"
        assert str(tmp_path / "kpis_v7.json") in state.message


def test_invalid_file_lists_each_violation_with_its_path(tmp_path: Path) -> None:
    """An invalid file's errors name the file and the JSON path."""
    path = write_file("invalid", tmp_path)
    state = panel_state(path, now_ts=NOW)
    assert len(state.errors) == 1
    assert state.errors[0].startswith(f"{path}::$.router.maker_fill_share: ")


def test_unknown_fields_are_ignored_but_visible_in_the_raw_document(tmp_path: Path) -> None:
    """A newer 7.x payload renders; its unknown fields get no card but stay in the raw text."""
    write_file("unknown_extra_fields", tmp_path)
    state = panel_state(tmp_path, now_ts=NOW)
    assert state.cards == kpi_cards(payloads.healthy())
    assert state.schema_version == "7.4.0"
    assert state.raw_text is not None
    assert "fill_latency_ms" in state.raw_text


def test_torn_file_shows_its_bytes_and_missing_file_none(tmp_path: Path) -> None:
    """The raw expander shows what a torn file holds; a missing file has no raw text."""
    path = write_file("torn", tmp_path)
    assert panel_state(path, now_ts=NOW).raw_text == path.read_text()
    path.unlink()
    assert panel_state(path, now_ts=NOW).raw_text is None


def test_a_directory_in_place_of_the_file_is_unreadable(tmp_path: Path) -> None:
    """A kpis_v7.json that is a directory is 'unreadable', told apart from missing and torn."""
    (tmp_path / "kpis_v7.json").mkdir()
    state = panel_state(tmp_path, now_ts=NOW)
    assert state.condition == "unreadable"
    assert "cannot be read" in state.message


@pytest.mark.parametrize(
    ("age_s", "max_age_s", "condition"),
    [(30.0, 120.0, "ok"), (120.0, 120.0, "ok"), (121.0, 120.0, "stale"), (45.0, 10.0, "stale"),
     (-4.0, 120.0, "ok"), (-3600.0, 120.0, "stale")],
)
def test_staleness_against_the_callers_clock_and_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, age_s: float, max_age_s: float,
    condition: str,
) -> None:
    """Stale when now_ts - ts exceeds max_age_s, or ts lies in the future beyond the 5 s clock
    skew (a file from a host whose clock stepped forward is never shown as fresh); the cards
    stay; the wall clock is never read."""
    def no_clock() -> float:
        raise AssertionError("the view model read the wall clock")

    write_file("stressed", tmp_path)
    monkeypatch.setattr(time, "time", no_clock)
    state = panel_state(tmp_path, now_ts=NOW - 30.0 + age_s, max_age_s=max_age_s)
    assert (state.condition, state.stale, state.age_s) == (condition, condition == "stale", age_s)
    assert len(state.cards) == 14
    if condition == "stale":
        assert state.message.startswith("Stale: ")
        assert ("in the future" in state.message) == (age_s < 0)
        assert "2026-01-01 00:00:00 UTC" in state.message


def test_panel_counts_and_worst_status(tmp_path: Path) -> None:
    """The summary counts statuses and the panel's status is the most urgent card's."""
    write_file("stressed", tmp_path)
    state = panel_state(tmp_path, now_ts=NOW)
    assert dict(state.status_counts) == {"critical": 4, "warn": 1, "no_data": 0, "ok": 9}
    assert state.status == "critical"
    write_file("healthy", tmp_path)
    assert panel_state(tmp_path, now_ts=NOW).status == "ok"


def test_panel_state_of_a_reading(tmp_path: Path) -> None:
    """A reading gives the same cards; its own age is kept unless a clock is passed."""
    reading = read_kpis(write_file("panic", tmp_path), now_ts=NOW)
    state = panel_state(reading)
    assert (state.condition, state.age_s, state.cards) == ("ok", 30.0, kpi_cards(reading))
    assert panel_state(reading, now_ts=NOW + 1000).condition == "stale"


def test_a_reading_is_named_in_the_messages_by_its_source(tmp_path: Path) -> None:
    """A reading from elsewhere (an s3:// URL in the fleet's details) is named in the banner."""
    reading = read_kpis(write_file("healthy", tmp_path), now_ts=NOW)
    state = panel_state(reading, now_ts=NOW + 1000, name="s3://kpi-fleet/desk/a/kpis_v7.json")
    assert state.message.startswith("Stale: s3://kpi-fleet/desk/a/kpis_v7.json was last ")
    assert state.path == "s3://kpi-fleet/desk/a/kpis_v7.json"
    assert panel_state(reading).path == "(reading)"
