"""The mapping rules of SPEC.md section 5, one behaviour per test."""

from __future__ import annotations

import math
from typing import Any

import pytest

from kpi_contract.build import build_kpis_v7

NOW = 1767225600.0  # 2026-01-01T00:00:00Z


def build(
    nav: object = None, risk: object = None, router: object = None, expectancy: object = None
) -> dict[str, Any]:
    """The built payload as the JSON-ready dict the file would hold."""
    return build_kpis_v7(NOW, nav, risk, router, expectancy).model_dump(mode="json")


def at(doc: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted KPI path."""
    node: Any = doc
    for part in dotted.split("."):
        node = node[part]
    return node


def outcome(doc: dict[str, Any], dotted: str) -> tuple[Any, str | None]:
    """(value, null reason) of one KPI."""
    return at(doc, dotted), doc["nulls"].get(dotted)


# --- numbers -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (4093.43, (4093.43, None)),
        (4093, (4093.0, None)),
        (" 4093.5 ", (4093.5, None)),
        (0, (0.0, None)),
        (0.0, (0.0, None)),
        (-12.5, (-12.5, None)),
        (True, (None, "invalid")),
        (math.nan, (None, "invalid")),
        (math.inf, (None, "invalid")),
        ("nan", (None, "invalid")),
        ("1e400", (None, "invalid")),
        ("four thousand", (None, "invalid")),
        (10**400, (None, "invalid")),
        ([4093.0], (None, "invalid")),
        ({"value": 4093.0}, (None, "invalid")),
        (None, (None, "missing")),
    ],
)
def test_numbers_are_read_by_the_number_rule(raw: object, expected: tuple[Any, Any]) -> None:
    """Ints, floats and numeric strings are numbers; bools, NaN, inf, junk and huge ints are not.

    Read through the top-level expectancy (USD, any sign, no range): nav_total used to carry this
    matrix, but a NAV of 0 or below is a sentinel since issue 7 (see the nav_total tests below).
    """
    doc = build(expectancy={"expectancy": raw})
    assert outcome(doc, "performance.expectancy") == expected


def test_nav_total_alias_chain_takes_first_valid_alias() -> None:
    """An invalid first alias falls through to the next valid one."""
    doc = build(nav={"nav_total": "n/a", "nav": 10.0, "nav_usd": 20.0})
    assert outcome(doc, "nav.nav_total") == (10.0, None)


def test_nav_total_from_nav_state_total_equity() -> None:
    """nav_state.json's total_equity is the last alias."""
    assert outcome(build(nav={"total_equity": 7.5}), "nav.nav_total") == (7.5, None)


def test_alias_chain_reports_invalid_when_an_alias_was_present() -> None:
    """All aliases unusable, at least one present: the reason is invalid, not missing."""
    assert outcome(build(nav={"nav": "x"}), "nav.nav_total") == (None, "invalid")


# --- nav age ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("nav", "expected"),
    [
        ({"age_s": 12.4, "cache_ts": NOW - 99}, (12.4, None)),
        ({"nav_age_s": 0.0, "age_s": 5.0}, (0.0, None)),
        ({"age": "3"}, (3.0, None)),
        ({"age_s": -4.0, "cache_ts": NOW - 7}, (7.0, None)),
        ({"age_s": -4.0}, (None, "out_of_range")),
        ({"updated_ts": "2025-12-31T23:59:30+00:00"}, (30.0, None)),
        ({"updated_ts": "2025-12-31T23:59:30"}, (30.0, None)),
        ({"updated_ts": "2025-12-31T23:59:30Z"}, (30.0, None)),
        ({"updated_at": NOW - 45.5}, (45.5, None)),
        ({"ts": (NOW - 2) * 1000.0}, (2.0, None)),
        ({"cache_ts": NOW + 3}, (0.0, None)),
        ({"cache_ts": NOW + 60}, (None, "invalid")),
        ({"updated_at": "garbage", "cache_ts": NOW - 1}, (1.0, None)),
        ({"updated_at": "garbage"}, (None, "invalid")),
        ({"cache_ts": True}, (None, "invalid")),
        ({}, (None, "missing")),
    ],
)
def test_nav_age_from_explicit_age_or_timestamps(nav: dict[str, Any], expected: Any) -> None:
    """Explicit non-negative age wins; else now_ts - first parseable timestamp, clamped at 0."""
    assert outcome(build(nav=nav), "nav.nav_age_s") == expected


def test_nav_age_is_computed_against_now_ts_not_the_wall_clock() -> None:
    """Two builds at different now_ts give ages that differ by exactly the now_ts step."""
    nav = {"updated_ts": NOW - 10}
    first = build_kpis_v7(NOW, nav, None, None).nav.nav_age_s
    later = build_kpis_v7(NOW + 100, nav, None, None).nav.nav_age_s
    assert (first, later) == (10.0, 110.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, (True, None)), (False, (False, None)), ("true", (None, "invalid")),
     (1, (None, "invalid")), (None, (None, "missing"))],
)
def test_sources_ok_only_accepts_a_real_bool(raw: object, expected: Any) -> None:
    """sources_ok is a real bool or null; truthy look-alikes are invalid."""
    assert outcome(build(nav={"sources_ok": raw}), "nav.sources_ok") == expected


# --- drawdown state ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("dd_state", "expected_state", "expected_nulls"),
    [
        ({"dd_state": "cautious", "drawdown": {"dd_pct": 0.6}},
         {"state": "cautious", "drawdown_frac": 0.006}, {}),
        ({"dd_state": "unknown"}, {"state": "unknown", "drawdown_frac": None},
         {"risk.dd_state.drawdown_frac": "missing"}),
        ({"state": "DRAWDOWN", "drawdown": {"dd_pct": 0.12}},
         {"state": "drawdown", "drawdown_frac": 0.12}, {}),
        ({"state": " Recovery ", "drawdown": {"dd_pct": 1.5}},
         {"state": "recovery", "drawdown_frac": None},
         {"risk.dd_state.drawdown_frac": "out_of_range"}),
        ("defensive", {"state": "defensive", "drawdown_frac": None},
         {"risk.dd_state.drawdown_frac": "missing"}),
        ("sideways", {"state": None, "drawdown_frac": None},
         {"risk.dd_state.state": "invalid", "risk.dd_state.drawdown_frac": "missing"}),
        ({"dd_state": "normal", "drawdown": {"dd_pct": 250.0}},
         {"state": "normal", "drawdown_frac": None},
         {"risk.dd_state.drawdown_frac": "out_of_range"}),
        ({"dd_state": "normal", "drawdown": {"dd_pct": "NaN"}},
         {"state": "normal", "drawdown_frac": None}, {"risk.dd_state.drawdown_frac": "invalid"}),
        (42, None, {"risk.dd_state": "invalid"}),
        (["normal"], None, {"risk.dd_state": "invalid"}),
        (None, None, {"risk.dd_state": "missing"}),
    ],
)
def test_dd_state_forms(dd_state: object, expected_state: Any, expected_nulls: Any) -> None:
    """Forms A (percent), B, C (fraction) and D map to a label and a fraction, never the dict."""
    doc = build(risk={"dd_state": dd_state})
    assert doc["risk"]["dd_state"] == expected_state
    assert {k: v for k, v in doc["nulls"].items() if k.startswith("risk.dd")} == expected_nulls


def test_dd_state_label_from_dd_state_key_beats_state_key() -> None:
    """A dict with a dd_state label is form A even when it also has `state`: dd_pct is a percent."""
    doc = build(risk={"dd_state": {"dd_state": "normal", "state": "DRAWDOWN",
                                   "drawdown": {"dd_pct": 5.0}}})
    assert doc["risk"]["dd_state"] == {"state": "normal", "drawdown_frac": 0.05}


# --- atr regime and fee/pnl ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        ({"atr_regime": "HOT", "atr": {"atr_regime": "quiet"}}, ("hot", None)),
        ({"atr": {"atr_regime": " panic "}}, ("panic", None)),
        ({"atr_regime": "volatile", "atr": {"atr_regime": "quiet"}}, ("quiet", None)),
        ({"atr_regime": "volatile"}, (None, "invalid")),
        ({"atr": "hot"}, (None, "missing")),
        ({"atr": {"median_ratio": 1.2}}, (None, "missing")),
    ],
)
def test_atr_regime_top_level_then_nested(risk: dict[str, Any], expected: Any) -> None:
    """atr_regime, else atr.atr_regime; labels normalised; unknown labels are invalid."""
    assert outcome(build(risk=risk), "risk.atr_regime") == expected


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        ({"fee_pnl_ratio": 0.0, "fee_pnl": {"fee_pnl_ratio": 0.5}}, (0.0, None)),
        ({"fee_pnl": {"fee_pnl_ratio": 3.2}}, (3.2, None)),
        ({"fee_pnl": {"fee_pnl_ratio": None, "pnl": 0.0}}, (None, "missing")),
        ({"fee_pnl_ratio": -0.1}, (None, "out_of_range")),
    ],
)
def test_fee_pnl_ratio(risk: dict[str, Any], expected: Any) -> None:
    """fee_pnl_ratio, else fee_pnl.fee_pnl_ratio; >= 0 and above 1 is legitimate."""
    assert outcome(build(risk=risk), "risk.fee_pnl_ratio") == expected


# --- router --------------------------------------------------------------------------------

def entry(**fields: Any) -> dict[str, Any]:
    """One router_health per-symbol entry."""
    return {"symbol": "BTCUSDT", **fields}


def test_router_entries_prefer_per_symbol_and_fall_back_to_symbols() -> None:
    """An empty per_symbol list falls back to symbols; a dict per_symbol counts as its values."""
    from_symbols = build(router={"per_symbol": [], "symbols": [entry(maker_fill_rate=0.4)]})
    from_dict = build(router={"per_symbol": {"A": entry(maker_fill_rate=0.2),
                                             "B": entry(maker_fill_rate=0.4)}})
    assert at(from_symbols, "router.maker_fill_share") == 0.4
    assert at(from_dict, "router.maker_fill_share") == pytest.approx(0.3)


def test_maker_fill_share_skips_null_and_bad_entries() -> None:
    """Null, invalid and out-of-range entry values are skipped, not counted as 0."""
    router = {"per_symbol": [entry(maker_fill_rate=0.6), entry(maker_fill_rate=None),
                             entry(maker_fill_rate="bad"), entry(maker_fill_rate=1.7),
                             entry(maker_fill_ratio=0.2)]}
    assert at(build(router=router), "router.maker_fill_share") == pytest.approx(0.4)


def test_maker_fill_share_falls_back_to_risk_router_stats() -> None:
    """With no entry value, risk.router_stats.maker_fill_ratio is used."""
    doc = build(risk={"router_stats": {"maker_fill_ratio": 0.33}}, router={"per_symbol": []})
    assert outcome(doc, "router.maker_fill_share") == (0.33, None)


def test_maker_fill_share_all_entries_out_of_range_is_out_of_range() -> None:
    """Only out-of-range entry values: null with reason out_of_range."""
    doc = build(router={"per_symbol": [entry(maker_fill_rate=55.0)]})
    assert outcome(doc, "router.maker_fill_share") == (None, "out_of_range")


@pytest.mark.parametrize(
    ("router", "risk", "expected"),
    [
        ({"per_symbol": [entry(slippage_p50=-1.0, slip_q50=9.0), entry(avg_slippage_bps=3.0)]},
         None, (1.0, None)),
        ({"per_symbol": [entry(slippage_p50=None)], "global": {"avg_slippage_bps": 2.9}},
         None, (2.9, None)),
        ({}, {"router_stats": {"slip_q50": "4.5"}}, (4.5, None)),
        ({"per_symbol": [entry(slippage_p50=math.inf)]}, None, (None, "invalid")),
    ],
)
def test_avg_slippage_chain(router: Any, risk: Any, expected: Any) -> None:
    """Mean of per-entry slippage, then router.global, then risk.router_stats.slip_q50."""
    assert outcome(build(router=router, risk=risk), "router.avg_slippage_bps") == expected


@pytest.mark.parametrize(
    ("router", "risk", "expected"),
    [
        ({"summary": {"quality_counts": {"good": 5, "ok": 0, "degraded": 1, "broken": 0}}},
         None, ("degraded", None)),
        ({"summary": {"quality_counts": {"good": 0, "ok": 0, "degraded": 0, "broken": 0}}},
         None, (None, "missing")),
        ({"summary": {"quality_counts": {"good": 0, "ok": 0}},
          "per_symbol": [entry(policy={"quality": "good"}), entry(quality="OK")]},
         None, ("ok", None)),
        ({"summary": {"quality_counts": {}}}, {"router_stats": {"quality": "broken"}},
         ("broken", None)),
        ({"per_symbol": [entry(quality="excellent")]}, None, (None, "invalid")),
    ],
)
def test_policy_quality_is_the_worst_label(router: Any, risk: Any, expected: Any) -> None:
    """Worst non-zero count, else worst entry label, else risk fallback; zeros are no data."""
    assert outcome(build(router=router, risk=risk), "router.policy_quality") == expected


@pytest.mark.parametrize(
    ("router", "expected"),
    [
        ({"summary": {"count": 4, "maker_first_enabled": 2}}, (True, None)),
        ({"summary": {"count": 4, "maker_first_enabled": 1}}, (False, None)),
        ({"summary": {"count": 2, "maker_first_enabled": 0}}, (False, None)),
        ({"summary": {"count": 0, "maker_first_enabled": 0},
          "per_symbol": [entry(policy={"maker_first": True}), entry(maker_first=False)]},
         (True, None)),
        ({"per_symbol": [entry(policy={"maker_first": False}, maker_first=True),
                         entry(maker_first=False), entry(maker_first=True)]}, (False, None)),
        ({"per_symbol": [entry(maker_first="yes")]}, (None, "invalid")),
        ({"summary": {"count": 3}}, (None, "missing")),
        ({"summary": {"count": "three"}}, (None, "missing")),
        ({"summary": {"count": "three", "maker_first_enabled": 2}}, (None, "invalid")),
        ({"summary": {"count": 2, "maker_first_enabled": 3}}, (None, "out_of_range")),
    ],
)
def test_maker_first_summary_ratio_then_entry_majority(router: Any, expected: Any) -> None:
    """enabled/count >= 0.5 when count > 0; else a majority of entries (ties true)."""
    assert outcome(build(router=router), "router.maker_first") == expected


@pytest.mark.parametrize(
    ("router", "expected"),
    [
        ({"reject_rate": 0.1, "symbol_stats": {"A": {"reject_count": 1, "order_count": 2}}},
         (0.1, None)),
        ({"reject_ratio": "0.25"}, (0.25, None)),
        ({"symbol_stats": {"A": {"reject_count": 1, "order_count": 40},
                           "B": {"reject_count": 2, "order_count": 60}}}, (0.03, None)),
        ({"symbol_stats": {"A": {"reject_count": 1, "order_count": 10},
                           "B": {"reject_count": "x", "order_count": 90},
                           "C": {"reject_count": 5, "order_count": 2}}}, (0.1, None)),
        ({"symbol_stats": {"A": {"reject_count": 0, "order_count": 0}}}, (None, "missing")),
        ({"symbol_stats": {"A": {"reject_count": 0, "order_count": 50}}}, (0.0, None)),
        ({"symbol_stats": {"A": {"reject_count": 3}}}, (None, "invalid")),
        ({"symbol_stats": {"A": {"maker_reliability": 0.7}}}, (None, "missing")),
        ({"symbol_stats": "corrupt"}, (None, "missing")),
        ({"reject_rate": 1.5}, (None, "out_of_range")),
    ],
)
def test_reject_rate_top_level_then_summed_counts(router: Any, expected: Any) -> None:
    """Top-level rate, else sum(rejects)/sum(orders) over valid pairs; no orders is null."""
    value, reason = outcome(build(router=router), "router.reject_rate")
    assert reason == expected[1]
    assert value == (pytest.approx(expected[0]) if expected[0] is not None else None)


# --- performance ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"expectancy_usd": 1.2, "symbols": {"A": {"count": 5, "expectancy": 9.0,
                                                   "is_mature": True}}}, (1.2, None)),
        ({"symbols": {"A": {"count": 30, "expectancy": 1.0, "is_mature": True},
                      "B": {"count": 10, "expectancy": -1.0, "is_mature": True},
                      "C": {"count": 0, "expectancy": 5.0, "is_mature": False},
                      "D": {"count": 99, "expectancy": 7.0, "is_mature": True,
                            "is_prior": True}}}, (0.5, None)),
        ({"symbols": {"A": {"count": 12, "expectancy": 0.0, "is_mature": False}}},
         (None, "missing")),
        ({"symbols": {"A": {"count": 12, "expectancy": 0.0, "is_mature": "true"}}},
         (None, "missing")),
        ({"symbols": {"A": {"count": 12, "expectancy": "bad", "is_mature": True}}},
         (None, "invalid")),
        ({"hours": {}, "regimes": {}}, (None, "missing")),
        ({"symbols": {"A": {"count": [], "expectancy": 1.0, "is_mature": True}}},
         (None, "invalid")),
        ({"symbols": {"A": {"count": [], "is_mature": True}}}, (None, "missing")),
    ],
)
def test_expectancy_from_mature_non_prior_symbols(state: Any, expected: Any) -> None:
    """Top-level alias, else count-weighted mean of mature, non-prior symbols."""
    value, reason = outcome(build(expectancy=state), "performance.expectancy")
    assert (value if value is None else pytest.approx(value), reason) == expected


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        ({"sharpe_state": "Strong", "symbols": [{"risk": {"sharpe_state": "poor"}}]},
         ("strong", None)),
        ({"symbols": [{"risk": {"sharpe_state": "poor"}}, {"risk": {"sharpe_state": "POOR"}},
                      {"risk": {"sharpe_state": "???"}}, {"risk": {}}]}, ("poor", None)),
        ({"symbols": [{"risk": {"sharpe_state": "poor"}}, {"risk": {"sharpe_state": "neutral"}}]},
         (None, "invalid")),
        ({"symbols": []}, (None, "missing")),
    ],
)
def test_sharpe_state_top_level_else_unanimous_symbols(risk: Any, expected: Any) -> None:
    """risk.sharpe_state, else the per-symbol label when all valid labels agree."""
    assert outcome(build(risk=risk), "performance.sharpe_state") == expected


# --- whole payload -------------------------------------------------------------------------

@pytest.mark.parametrize("junk", [None, "nav", 42, [1, 2], {"unrelated": True}, object()])
def test_junk_snapshots_give_all_null_payload_with_reasons(junk: object) -> None:
    """Any non-dict (or empty) input degrades to nulls with reasons; every key is present
    (7.1.0: run_mode and the sample counts too)."""
    doc = build(junk, junk, junk, junk)
    assert doc["risk"]["dd_state"] is None
    assert set(doc["nulls"]) == {
        "run_mode",
        "nav.nav_total", "nav.nav_age_s", "nav.sources_ok", "risk.dd_state", "risk.atr_regime",
        "risk.fee_pnl_ratio", "router.policy_quality", "router.maker_first",
        "router.maker_fill_share", "router.maker_fill_share_fill_count",
        "router.avg_slippage_bps", "router.avg_slippage_bps_fill_count",
        "router.reject_rate", "router.reject_rate_order_count",
        "performance.expectancy", "performance.expectancy_trade_count",
        "performance.sharpe_state",
    }
    assert set(doc["nulls"].values()) == {"missing"}


def test_payload_carries_schema_version_and_utc_ts() -> None:
    """schema_version is the schema's and ts is now_ts rendered in UTC with Z."""
    doc = build()
    assert (doc["schema_version"], doc["ts"]) == ("7.1.0", "2026-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("now_ts", "error"),
    [(math.nan, ValueError), (math.inf, ValueError), ("1767225600", TypeError),
     (None, TypeError), (True, TypeError), (1e20, ValueError)],
)
def test_now_ts_that_is_not_a_finite_number_is_rejected(now_ts: Any, error: type) -> None:
    """A bad now_ts is the caller's bug and the one input the builder rejects."""
    with pytest.raises(error):
        build_kpis_v7(now_ts, None, None, None)


def test_now_ts_int_beyond_float_range_is_a_value_error() -> None:
    """An int too large for a float is no finite epoch time: the documented ValueError, not the
    OverflowError ``math.isfinite`` raises on it."""
    with pytest.raises(ValueError, match="finite"):
        build_kpis_v7(10**400, None, None, None)


def test_builder_does_not_read_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building works with every clock function booby-trapped: the wall clock is never read."""
    import time

    def trap(*_: object) -> float:
        raise AssertionError("the builder read the clock")

    for name in ("time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime"):
        monkeypatch.setattr(time, name, trap)
    doc = build(nav={"updated_ts": "2025-12-31T23:59:00"})
    assert doc["nav"]["nav_age_s"] == 60.0
