"""Schema 7.1.0 (issue 9): run_mode from the caller, and the sample count beside each ratio.

Each count describes exactly the observations behind the published value: the symbols that
entered a mean, the source alias actually used; a value from a source without counts has a null
count, and a count is never derived from a ratio (docs/builder-decisions.md, "Sample counts").
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract._values import MAX_COUNT
from kpi_contract.build import RUN_MODES, SAMPLE_COUNTS, build_kpis_v7
from tests.snapshot_fixtures import FIXTURE_FILES, builder_args, load_fixture
from tests.test_build_properties import damaged_inputs

NOW = 1767225600.0
HEALTHY = builder_args(load_fixture(FIXTURE_FILES[0]))
FILLS, SLIP_FILLS = "router.maker_fill_share_fill_count", "router.avg_slippage_bps_fill_count"
ORDERS, TRADES = "router.reject_rate_order_count", "performance.expectancy_trade_count"


def build(nav: object = None, risk: object = None, router: object = None,
          expectancy: object = None, **kwargs: Any) -> dict[str, Any]:
    """The built payload as the JSON-ready dict the file would hold."""
    return build_kpis_v7(NOW, nav, risk, router, expectancy, **kwargs).model_dump(mode="json")


def at(doc: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted path (None below a null parent)."""
    node: Any = doc
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def outcome(doc: dict[str, Any], dotted: str) -> tuple[Any, str | None]:
    """(value, null reason) of one leaf."""
    return at(doc, dotted), doc["nulls"].get(dotted)


def stats(maker: Any = 0, taker: Any = 0, rejects: Any = 0, orders: Any = None) -> dict[str, Any]:
    """One ``symbol_stats`` entry (order_count defaults to maker + taker + rejects)."""
    total = orders if orders is not None else maker + taker + rejects
    return {"maker_count": maker, "taker_count": taker, "reject_count": rejects,
            "order_count": total}


def entry(symbol: str | None, rate: Any = None, slip: Any = None) -> dict[str, Any]:
    """One variant-B router entry."""
    found: dict[str, Any] = {"maker_fill_rate": rate, "slippage_p50": slip}
    if symbol is not None:
        found["symbol"] = symbol
    return found


# --- run_mode -------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", RUN_MODES)
def test_run_mode_is_the_callers_argument(mode: str) -> None:
    """Each mode the caller passes is published as it is, with no nulls entry."""
    doc = build(run_mode=mode)
    assert outcome(doc, "run_mode") == (mode, None)


def test_without_a_run_mode_it_is_null_missing_and_the_positional_signature_works() -> None:
    """build_kpis_v7(now_ts, nav, risk, router, expectancy) still works; run_mode is null,
    `missing`; it cannot be passed positionally (a sixth argument is a TypeError)."""
    doc = build_kpis_v7(*HEALTHY).model_dump(mode="json")
    assert outcome(doc, "run_mode") == (None, "missing")
    with pytest.raises(TypeError):
        build_kpis_v7(*HEALTHY, "live")  # type: ignore[misc]


@pytest.mark.parametrize(("mode", "error"), [
    ("LIVE", ValueError), ("paper", ValueError), ("", ValueError), (" live", ValueError),
    ("backtest", ValueError), (1, TypeError), (b"live", TypeError), (["live"], TypeError),
    (True, TypeError),
])
def test_a_run_mode_outside_the_vocabulary_is_the_callers_bug(mode: Any, error: type) -> None:
    """An unknown run mode raises (like a bad now_ts) instead of publishing a guess."""
    with pytest.raises(error, match="run_mode must be one of"):
        build_kpis_v7(*HEALTHY, run_mode=mode)


@given(damaged_inputs(), st.sampled_from(["live", "LIVE", "testnet", "dry_run", "replay"]))
def test_no_snapshot_content_can_set_the_run_mode(inputs: tuple[Any, ...], planted: str) -> None:
    """Snapshots carrying run_mode / mode / nav_mode keys anywhere never make run_mode anything
    but null: only the caller's argument does."""
    now_ts, *snapshots = copy.deepcopy(inputs)
    for snapshot in snapshots:
        if isinstance(snapshot, dict):
            snapshot.update(run_mode=planted, mode=planted, nav_mode=planted, env=planted)
    doc = build_kpis_v7(now_ts, *snapshots).model_dump(mode="json")
    assert outcome(doc, "run_mode") == (None, "missing")


# --- fills behind maker_fill_share and avg_slippage_bps ----------------------------------

def test_fill_count_sums_the_symbols_whose_rate_entered_the_mean() -> None:
    """A symbol without a usable rate is out of the mean and out of the count."""
    router = {
        "per_symbol": [entry("BTC", 0.5, 1.0), entry("ETH", None, 2.0), entry("SOL", 0.7, None),
                       entry("XRP", "n/a", None)],
        "symbol_stats": {"BTC": stats(30, 10), "ETH": stats(5, 6), "SOL": stats(2, 8),
                         "XRP": stats(100, 100)},
    }
    doc = build(router=router)
    assert outcome(doc, "router.maker_fill_share") == (0.6, None)
    assert outcome(doc, FILLS) == (50, None)  # BTC 40 + SOL 10
    assert outcome(doc, "router.avg_slippage_bps") == (1.5, None)
    assert outcome(doc, SLIP_FILLS) == (51, None)  # BTC 40 + ETH 11: another set of symbols


def test_entry_means_over_zero_fills_keep_the_entries_rates_with_a_zero_count() -> None:
    """Variant B before any fill (SPEC 4): the mean is the entries' own rates (SPEC 5, 0.0 is a
    value) and the count beside it says 0 fills (docs/builder-decisions.md), never a null count
    or a count made up from the rate."""
    router = {"per_symbol": [entry("BTC", 0.0, 0.0), entry("ETH", 0.5, -1.0)],
              "symbol_stats": {"BTC": stats(0, 0), "ETH": stats(0, 0)}}
    doc = build(router=router)
    assert outcome(doc, "router.maker_fill_share") == (0.25, None)
    assert outcome(doc, FILLS) == (0, None)
    assert outcome(doc, "router.avg_slippage_bps") == (-0.5, None)
    assert outcome(doc, SLIP_FILLS) == (0, None)


def test_a_symbol_listed_twice_is_one_sample() -> None:
    """Two entries for one symbol weigh twice in the mean (the 7.0.0 rule) but its fills are one
    set of observations: counted once."""
    router = {"per_symbol": [entry("BTC", 0.5), entry("BTC", 0.5), entry("ETH", 0.2)],
              "symbol_stats": {"BTC": stats(3, 3), "ETH": stats(1, 4)}}
    assert outcome(build(router=router), FILLS) == (11, None)


def test_entries_keyed_by_symbol_and_stats_as_a_list() -> None:
    """A ``{SYM: entry}`` mapping gives the symbol by its key; ``symbol_stats`` as a list is
    matched by its entries' ``symbol``."""
    router = {"per_symbol": {"BTC": {"maker_fill_rate": 0.4}, "ETH": {"maker_fill_ratio": 0.6}},
              "symbol_stats": [{"symbol": "ETH", **stats(6, 4)}, {"symbol": "BTC", **stats(2, 3)}]}
    assert outcome(build(router=router), FILLS) == (15, None)


@pytest.mark.parametrize(("btc_stats", "expected"), [
    (stats(12, 8), (40, None)),
    (stats("12", " 8 ", orders=20), (40, None)),
    (stats(12.0, 8.0), (40, None)),
    (stats(0, 0), (20, None)),
    (None, (None, "missing")),
    ({"order_count": 20}, (None, "missing")),
    ({"maker_count": 12}, (None, "invalid")),
    (stats(12.5, 8), (None, "invalid")),
    (stats(True, 8), (None, "invalid")),
    (stats("twelve", 8, orders=20), (None, "invalid")),
    (stats(math.nan, 8), (None, "invalid")),
    (stats(-1, 8), (None, "out_of_range")),
    (stats(MAX_COUNT, 1), (None, "out_of_range")),
    ("12 fills", (None, "invalid")),
])
def test_one_contributing_symbol_without_usable_counts_makes_the_count_null(
    btc_stats: Any, expected: tuple[Any, Any]
) -> None:
    """Counts are whole numbers >= 0 (numeric strings and 40.0 included); a partial sum is never
    published: the contributing symbol's missing or broken counts make the total null."""
    symbol_stats: dict[str, Any] = {"ETH": stats(15, 5)}
    if btc_stats is not None:
        symbol_stats["BTC"] = btc_stats
    router = {"per_symbol": [entry("BTC", 0.6), entry("ETH", 0.75)], "symbol_stats": symbol_stats}
    doc = build(router=router)
    assert at(doc, "router.maker_fill_share") == pytest.approx(0.675)
    assert outcome(doc, FILLS) == expected


def test_an_entry_without_a_symbol_cannot_be_counted() -> None:
    """A listed entry with no ``symbol``: its rate counts in the mean, its fills are unknown."""
    router = {"per_symbol": [entry(None, 0.6), entry("ETH", 0.8)],
              "symbol_stats": {"ETH": stats(8, 2)}}
    doc = build(router=router)
    assert outcome(doc, "router.maker_fill_share") == (0.7, None)
    assert outcome(doc, FILLS) == (None, "missing")


@pytest.mark.parametrize(("router", "risk"), [
    ({"maker_ratio": 0.75, "fallback_ratio": 0.1, "total_orders": 100}, None),
    ({"maker_fill_rate": 0.75, "symbol_stats": {"BTC": stats(30, 10)}}, None),
    ({"symbol_stats": {"BTC": stats(30, 10)}}, {"router_stats": {"maker_fill_ratio": 0.75}}),
])
def test_a_ratio_from_a_source_without_counts_has_a_null_count(router: Any, risk: Any) -> None:
    """A top-level ratio (issue 7's `maker_ratio` snapshot, `total_orders` beside it) or the risk
    snapshot's router_stats: the value is published, its count is null (`missing`), even when
    symbol_stats hold counts for other observations."""
    doc = build(risk=risk, router=router)
    assert outcome(doc, "router.maker_fill_share") == (0.75, None)
    assert outcome(doc, FILLS) == (None, "missing")


def test_slippage_from_the_global_average_or_the_risk_snapshot_has_a_null_count() -> None:
    """`global.avg_slippage_bps` and `risk.router_stats.slip_q50` carry no count."""
    counts = {"symbol_stats": {"BTC": stats(3, 3)}}
    for router, risk in (({"global": {"avg_slippage_bps": 2.0}, **counts}, None),
                         (counts, {"router_stats": {"slip_q50": 2.0}})):
        doc = build(risk=risk, router=router)
        assert outcome(doc, "router.avg_slippage_bps") == (2.0, None)
        assert outcome(doc, SLIP_FILLS) == (None, "missing")


def test_variant_a_slippage_has_no_fill_count() -> None:
    """Variant A (fills exist) carries per-entry avg_slippage_bps and event_count but no
    maker/taker counts: the mean is published, its fill count is null, never estimated."""
    doc = build_kpis_v7(*builder_args(load_fixture(FIXTURE_FILES[3]))).model_dump(mode="json")
    assert at(doc, "router.avg_slippage_bps") == pytest.approx(4.7)
    assert outcome(doc, SLIP_FILLS) == (None, "missing")


# --- orders behind reject_rate -----------------------------------------------------------

def test_order_count_is_the_denominator_of_the_rate_from_counts() -> None:
    """Summed over the symbols whose pair entered the rate; a skipped symbol is out of both."""
    router = {"symbol_stats": {"BTC": stats(20, 14, 6), "ETH": stats(10, 10, 0),
                               "SOL": {"reject_count": 9, "order_count": 3},
                               "DOGE": {"reject_count": 1}}}
    doc = build(router=router)
    assert outcome(doc, "router.reject_rate") == (0.1, None)
    assert outcome(doc, ORDERS) == (60, None)


def test_a_top_level_rate_has_no_order_count_even_beside_symbol_stats() -> None:
    """The alias actually used decides: a top-level reject_rate is published with a null count,
    although symbol_stats could give a (different) rate and its orders."""
    router = {"reject_rate": 0.02, "symbol_stats": {"BTC": stats(20, 15, 5)}}
    doc = build(router=router)
    assert outcome(doc, "router.reject_rate") == (0.02, None)
    assert outcome(doc, ORDERS) == (None, "missing")


def test_an_unusable_top_level_rate_falls_through_to_the_counts_and_their_orders() -> None:
    """`reject_ratio: 1.5` is out of range: the rate and its orders come from symbol_stats."""
    router = {"reject_ratio": 1.5, "symbol_stats": {"BTC": stats(20, 15, 5)}}
    doc = build(router=router)
    assert outcome(doc, "router.reject_rate") == (0.125, None)
    assert outcome(doc, ORDERS) == (40, None)


@pytest.mark.parametrize(("symbol_stats", "rate", "orders"), [
    ({"BTC": stats(0, 0, 0)}, (None, "missing"), (None, "missing")),
    ({"BTC": stats(20, 15, 5, orders=40.5)}, (5 / 40.5, None), (None, "invalid")),
    ({"BTC": stats(1, 1, 0, orders=" 2 ")}, (0.0, None), (2, None)),
])
def test_order_count_edge_cases(symbol_stats: Any, rate: Any, orders: Any) -> None:
    """No orders: no rate and no count. A fractional order_count still feeds the 7.0.0 rate but
    is no count of orders. A numeric string is a count."""
    doc = build(router={"symbol_stats": symbol_stats})
    assert outcome(doc, "router.reject_rate") == rate
    assert outcome(doc, ORDERS) == orders


# --- trades behind expectancy ------------------------------------------------------------

def expectancy_entry(count: Any, value: Any, mature: bool = True, prior: bool = False
                     ) -> dict[str, Any]:
    """One ``expectancy_v6.json`` symbol entry."""
    found = {"count": count, "expectancy": value, "is_mature": mature}
    return {**found, "is_prior": True} if prior else found


def test_trade_count_is_the_weight_total_of_the_mature_mean() -> None:
    """Immature placeholders, priors and mature entries without an expectancy are out of the
    mean and of the count; the file's sample_count (all trades) is not read."""
    state = {"sample_count": 999, "symbols": {
        "BTC": expectancy_entry(40, 1.0), "ETH": expectancy_entry(10, -1.5),
        "SOL": expectancy_entry(7, 0.0, mature=False), "XRP": expectancy_entry(0, 0.01,
                                                                              prior=True),
        "ADA": expectancy_entry(25, None),
    }}
    doc = build(expectancy=state)
    assert outcome(doc, "performance.expectancy") == (0.5, None)
    assert outcome(doc, TRADES) == (50, None)


def test_a_top_level_expectancy_has_no_trade_count() -> None:
    """A top-level expectancy (any alias) carries no count of its own: null, even with symbols
    and a sample_count beside it."""
    state = {"expected_value": 0.4, "sample_count": 120,
             "symbols": {"BTC": expectancy_entry(40, 1.0)}}
    doc = build(expectancy=state)
    assert outcome(doc, "performance.expectancy") == (0.4, None)
    assert outcome(doc, TRADES) == (None, "missing")


def test_fractional_weights_give_a_mean_but_no_trade_count() -> None:
    """`count: 42.5` still weighs the 7.0.0 mean, but no count of trades is fractional."""
    state = {"symbols": {"BTC": expectancy_entry(42.5, 1.0), "ETH": expectancy_entry(10, 1.0)}}
    doc = build(expectancy=state)
    assert outcome(doc, "performance.expectancy") == (1.0, None)
    assert outcome(doc, TRADES) == (None, "invalid")


# --- properties ------------------------------------------------------------------------------

@given(damaged_inputs(), st.sampled_from((None, *RUN_MODES)))
def test_a_count_is_a_whole_number_only_beside_a_value(inputs: tuple[Any, ...],
                                                       mode: str | None) -> None:
    """On any damaged snapshots: each count is null or an int in [0, 2**53 - 1], and non-null
    only when its KPI is; a null count always has its reason."""
    doc = build_kpis_v7(*inputs, run_mode=mode).model_dump(mode="json")
    for kpi, count in SAMPLE_COUNTS.items():
        value = at(doc, count)
        if value is None:
            assert count in doc["nulls"]
            continue
        assert type(value) is int
        assert 0 <= value <= MAX_COUNT
        assert at(doc, kpi) is not None, count
    assert at(doc, "run_mode") == mode


def _without(node: Any, names: frozenset[str]) -> Any:
    if isinstance(node, dict):
        return {k: _without(v, names) for k, v in node.items() if k not in names}
    if isinstance(node, list):
        return [_without(v, names) for v in node]
    return node


@given(damaged_inputs())
def test_fill_counts_come_only_from_maker_and_taker_counts(inputs: tuple[Any, ...]) -> None:
    """Remove every maker_count / taker_count: both fill counts are null and nothing else
    changes: a fill count is never derived from a ratio or another count."""
    now_ts, *snapshots = inputs
    names = frozenset({"maker_count", "taker_count"})
    before = build_kpis_v7(now_ts, *snapshots).model_dump(mode="json")
    after = build_kpis_v7(now_ts, *(_without(s, names) for s in snapshots)).model_dump(
        mode="json")
    for count in (FILLS, SLIP_FILLS):
        assert at(after, count) is None
        before["nulls"].pop(count, None)
        after["nulls"].pop(count, None)
        for doc in (before, after):
            doc["router"][count.rsplit(".", 1)[1]] = None
    assert after == before


symbols = st.sampled_from(["BTC", "ETH", "SOL", "XRP", "DOGE"])
rates = st.one_of(st.none(), st.floats(0, 1), st.just("bad"), st.just(1.5))
counts = st.integers(0, 10**6)


@given(st.lists(st.tuples(symbols, rates, counts, counts), min_size=1, max_size=8))
def test_fill_count_is_the_sum_over_distinct_contributing_symbols(
    rows: list[tuple[str, Any, int, int]]
) -> None:
    """Generated variant-B routers: the count equals maker + taker summed once per distinct
    symbol whose rate is a usable fraction, and does not move when the rates change."""
    router = {"per_symbol": [entry(s, rate) for s, rate, _, _ in rows],
              "symbol_stats": {s: stats(m, t) for s, _, m, t in rows}}
    doc = build(router=router)
    last = {s: (m, t) for s, _, m, t in rows}
    usable = {s for s, rate, _, _ in rows if isinstance(rate, float) and 0 <= rate <= 1}
    expected = sum(sum(last[s]) for s in usable) if usable else None
    assert at(doc, FILLS) == expected
    shifted = {**router, "per_symbol": [
        entry(s, rate / 2 if s in usable and isinstance(rate, float) else rate)
        for s, rate, _, _ in rows]}
    assert at(build(router=shifted), FILLS) == expected
