"""Issue 7, section 1 (SPEC.md 5a): no stale, sentinel or unusable reading published as fresh.

Each kind of real input gets the issue's own example, variants of the same kind, and a property
where one fits. The general invariants over damaged snapshots live in test_build_properties.py.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract._nav import CLOCK_SKEW_TOLERANCE_S
from kpi_contract._values import EARLIEST_PLAUSIBLE_EPOCH_S
from kpi_contract.build import build_kpis_v7
from kpi_contract.publish import publish_kpis
from kpi_contract.serialize import dump_document, model_document
from tests.test_build_rules import NOW, at, build, entry, outcome

TIME_ALIASES = ("updated_at", "ts", "updated_ts", "cache_ts")
UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
NAV_HEALTH_WITHOUT_NAV = {
    "nav_total": 0.0, "age_s": None, "sources_ok": False, "cache_ts": None, "fresh": False,
    "threshold_s": 90.0, "stale_flags": {"nav_missing": True},
    "cache_path": "logs/cache/nav_confirmed.json",
}


def in_unit(seconds: int, unit: str, form: str) -> object:
    """An integer epoch second written in ``unit`` as an int, a float or a numeric string."""
    exact = seconds * UNITS[unit]
    return {"int": exact, "float": float(exact), "str": str(exact), "padded": f" {exact} "}[form]


def age_of(nav: object, now_ts: float = NOW) -> tuple[Any, str | None]:
    """(nav_age_s, its null reason) built from one NAV snapshot."""
    doc = build_kpis_v7(now_ts, nav, None, None).model_dump(mode="json")
    return doc["nav"]["nav_age_s"], doc["nulls"].get("nav.nav_age_s")


# --- epoch times in any unit ----------------------------------------------------------------

@pytest.mark.parametrize("unit", sorted(UNITS))
def test_issue_example_ten_minute_old_nav_is_600_seconds_old_in_every_unit(unit: str) -> None:
    """`{"nav_total": 4000.0, "updated_ts": <10 minutes ago>}` gives 600.0 in s, ms, µs and ns."""
    nav = {"nav_total": 4000.0, "updated_ts": int(NOW - 600) * UNITS[unit]}
    doc = build(nav=nav)
    assert outcome(doc, "nav.nav_age_s") == (600.0, None)
    assert outcome(doc, "nav.nav_total") == (4000.0, None)


@pytest.mark.parametrize("alias", TIME_ALIASES)
@pytest.mark.parametrize("unit", sorted(UNITS))
@pytest.mark.parametrize("form", ["int", "float", "str", "padded"])
def test_every_time_alias_reads_every_unit_as_number_or_string(
    alias: str, unit: str, form: str
) -> None:
    """Each time alias reads epoch s/ms/µs/ns, as int, float or numeric string, by magnitude."""
    assert age_of({alias: in_unit(int(NOW) - 600, unit, form)}) == (600.0, None)


@pytest.mark.parametrize(
    ("raw", "age"),
    [
        ((NOW - 0.25) * 1000.0, 0.25),                        # ms with a fraction
        (str((NOW - 90.5) * 1_000_000), 90.5),                # µs as a float string
        (int(NOW - 1) * 10**9 + 500_000_000, 0.5),            # time.time_ns() half a second late
        (f"{int(NOW - 30) * 10**9 + 123_456_789}", 29.876543211),
        ("1.7672250E12", 600.0),                              # ms in exponent notation
    ],
)
def test_sub_second_epoch_times_keep_their_fraction(raw: object, age: float) -> None:
    """Fractions survive the unit conversion (a ns stamp is divided exactly, not rounded first)."""
    value, reason = age_of({"updated_ts": raw})
    assert reason is None
    assert value == pytest.approx(age, abs=1e-6)


@given(
    seconds=st.integers(int(EARLIEST_PLAUSIBLE_EPOCH_S), int(NOW)),
    alias=st.sampled_from(TIME_ALIASES),
    form=st.sampled_from(["int", "float", "str", "padded"]),
)
def test_a_time_gives_the_same_age_in_every_unit(seconds: int, alias: str, form: str) -> None:
    """One instant written in s, ms, µs or ns (any form, any alias) gives one and the same age."""
    ages = {unit: age_of({alias: in_unit(seconds, unit, form)}) for unit in UNITS}
    assert ages["s"] == (NOW - seconds, None)
    for unit, (value, reason) in ages.items():
        assert reason is None, unit
        assert value == pytest.approx(NOW - seconds, abs=1e-6), unit


# --- implausible times --------------------------------------------------------------------------

def test_issue_example_never_sentinel_cache_ts_is_invalid() -> None:
    """`cache_ts: 0.0` ("never") is invalid, not an age of 56 years."""
    assert age_of({"nav_total": 4000.0, "cache_ts": 0.0}) == (None, "invalid")


@pytest.mark.parametrize(
    "raw",
    [
        0, "0", -1.0, 1.0, 86_400.0,                        # "never" sentinels and 1970
        EARLIEST_PLAUSIBLE_EPOCH_S - 1,                     # 1999-12-31T23:59:59Z
        (EARLIEST_PLAUSIBLE_EPOCH_S - 1) * 1000,            # the same, in ms
        int(EARLIEST_PLAUSIBLE_EPOCH_S - 3600) * 10**6,     # an hour before 2000, in µs
        "1999-12-31T23:59:59Z", "1970-01-01T00:00:00", "0001-01-01T00:00:00+00:00",
    ],
)
def test_times_before_2000_are_invalid(raw: object) -> None:
    """A time before 2000-01-01 in any unit or as ISO 8601 is invalid, never an age."""
    assert age_of({"cache_ts": raw}) == (None, "invalid")


def test_2000_itself_is_still_a_reading() -> None:
    """The lower bound is inclusive: exactly 2000-01-01T00:00:00Z gives its (long) age."""
    expected = (NOW - EARLIEST_PLAUSIBLE_EPOCH_S, None)
    assert age_of({"updated_at": "2000-01-01T00:00:00Z"}) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (NOW + CLOCK_SKEW_TOLERANCE_S, (0.0, None)),
        (NOW + 1.0, (0.0, None)),
        (str((NOW + 2.0) * 1000), (0.0, None)),
        (NOW + CLOCK_SKEW_TOLERANCE_S + 0.5, (None, "invalid")),
        (NOW + 60, (None, "invalid")),
        (int(NOW + 600) * 10**6, (None, "invalid")),
        ("2026-01-01T00:01:00Z", (None, "invalid")),
        ("2026-01-01T00:00:04+00:00", (0.0, None)),
        ("2026-01-01T01:00:03+01:00", (0.0, None)),          # same instant, other offset
        (9.9e10, (None, "invalid")),                         # year 5107, in seconds
        (1e300, (None, "invalid")),
        (10**400, (None, "invalid")),
        ("1" + "0" * 5000, (None, "invalid")),               # beyond int()'s digit limit
    ],
)
def test_future_times_clamp_within_the_skew_tolerance_and_are_invalid_beyond(
    raw: object, expected: tuple[Any, Any]
) -> None:
    """Up to CLOCK_SKEW_TOLERANCE_S after now_ts the age is 0; further is invalid, not fresh."""
    assert age_of({"updated_ts": raw}) == expected


def test_an_explicit_age_is_taken_as_given() -> None:
    """Plausibility applies to times, not to explicit ages: a huge age_s is published as read."""
    assert age_of({"age_s": 820_540_801.0, "cache_ts": 0.0}) == (820_540_801.0, None)


def test_skew_tolerance_is_a_few_seconds() -> None:
    """The named tolerance is positive and small: it excuses NTP drift, not a wrong clock."""
    assert 0 < CLOCK_SKEW_TOLERANCE_S <= 10


@pytest.mark.parametrize(
    ("nav", "expected"),
    [
        ({"updated_at": 0.0, "cache_ts": NOW - 5}, (5.0, None)),
        ({"updated_at": NOW + 3600, "ts": (NOW - 10) * 1000}, (10.0, None)),
        ({"ts": "1970-01-01T00:00:00Z", "updated_ts": "2025-12-31T23:59:00Z"}, (60.0, None)),
        ({"updated_at": 0.0, "ts": None, "cache_ts": NOW + 3600}, (None, "invalid")),
        ({"age_s": None, "cache_ts": 0.0}, (None, "invalid")),
        ({"age_s": 7.0, "cache_ts": 0.0}, (7.0, None)),
    ],
)
def test_an_implausible_time_alias_is_skipped_like_any_invalid_alias(
    nav: dict[str, Any], expected: tuple[Any, Any]
) -> None:
    """The chain takes the first plausible time; all implausible gives invalid."""
    assert age_of(nav) == expected


@given(
    seconds=st.one_of(
        st.integers(-(10**12), int(EARLIEST_PLAUSIBLE_EPOCH_S) - 1).map(lambda s: (s, "s")),
        # Pre-2000 times in larger units, from 1973 on (earlier ones overlap a smaller unit's
        # magnitude and are read there: still before 2000, or still not fresh; see below).
        st.tuples(st.integers(10**8, int(EARLIEST_PLAUSIBLE_EPOCH_S) - 1),
                  st.sampled_from(["ms", "us", "ns"])),
        st.tuples(st.integers(int(NOW + CLOCK_SKEW_TOLERANCE_S) + 1, 9 * 10**10),
                  st.sampled_from(sorted(UNITS))),
    ),
    alias=st.sampled_from(TIME_ALIASES),
    form=st.sampled_from(["int", "float", "str"]),
)
def test_implausible_times_never_give_an_age(
    seconds: tuple[int, str], alias: str, form: str
) -> None:
    """Before 2000 or beyond the skew tolerance, in any unit, form and alias: null, invalid."""
    moment, unit = seconds
    assert age_of({alias: in_unit(moment, unit, form)}) == (None, "invalid")


epoch_like = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.floats(-1e20, 1e20).map(str),
    st.integers(0, 10**20).map(str),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.sampled_from([None, UTC])).map(lambda d: d.isoformat()),
)


@given(raw=epoch_like, alias=st.sampled_from(TIME_ALIASES))
def test_any_time_value_gives_no_age_or_one_from_a_plausible_time(raw: object, alias: str) -> None:
    """Whatever a time alias holds, a published age is >= 0 and dates the NAV to 2000 or later."""
    value, reason = age_of({alias: raw})
    if value is None:
        assert reason in ("invalid", "out_of_range")
    else:
        assert 0.0 <= value <= NOW - EARLIEST_PLAUSIBLE_EPOCH_S


# --- sentinel zero NAV ------------------------------------------------------------------------

def test_issue_example_nav_health_without_nav_is_not_a_zero_nav() -> None:
    """The NAV health snapshot with no NAV (nav_total 0.0, no cache) publishes no NAV and no age."""
    doc = build(nav=NAV_HEALTH_WITHOUT_NAV)
    assert outcome(doc, "nav.nav_total") == (None, "invalid")
    assert outcome(doc, "nav.nav_age_s") == (None, "missing")
    assert outcome(doc, "nav.sources_ok") == (False, None)


@pytest.mark.parametrize("alias", ["nav_total", "nav", "nav_usd", "total_equity"])
@pytest.mark.parametrize("raw", [0, 0.0, -0.0, "0", " 0.00 ", -12.5, "-1", -1e308])
def test_nav_of_zero_or_below_is_invalid_in_every_alias(alias: str, raw: object) -> None:
    """0 or a negative NAV (number or string, any alias) is null with reason invalid."""
    assert outcome(build(nav={alias: raw}), "nav.nav_total") == (None, "invalid")


@pytest.mark.parametrize(
    ("nav", "expected"),
    [
        ({"nav_total": 0.0, "nav": 4093.43}, (4093.43, None)),
        ({"nav_total": 0.0, "nav": "0", "nav_usd": -3.0, "total_equity": "12.5"}, (12.5, None)),
        ({"nav_total": 0.0, "nav_usd": None}, (None, "invalid")),
        ({"nav_total": 1e-9}, (1e-9, None)),
    ],
)
def test_a_sentinel_nav_falls_through_to_the_next_alias(
    nav: dict[str, Any], expected: tuple[Any, Any]
) -> None:
    """The chain takes the first alias with a real NAV (above 0); a tiny positive NAV is a value."""
    assert outcome(build(nav=nav), "nav.nav_total") == expected


def test_zero_stays_a_value_for_every_other_kpi() -> None:
    """Only nav_total treats 0 as a sentinel: zero ages, ratios, slippage and expectancy publish."""
    doc = build(
        nav={"nav_total": 0.0, "age_s": 0.0},
        risk={"fee_pnl_ratio": 0, "dd_state": {"dd_state": "normal", "drawdown": {"dd_pct": 0}}},
        router={"per_symbol": [entry(maker_fill_rate=0.0, slippage_p50=0.0)], "reject_rate": 0},
        expectancy={"expectancy": "0"},
    )
    for path in ("nav.nav_age_s", "risk.fee_pnl_ratio", "risk.dd_state.drawdown_frac",
                 "router.maker_fill_share", "router.avg_slippage_bps", "router.reject_rate",
                 "performance.expectancy"):
        assert outcome(doc, path) == (0.0, None), path
    assert outcome(doc, "nav.nav_total") == (None, "invalid")


# --- a drawdown the risk engine marks unusable -----------------------------------------------

ISSUE_UNUSABLE = {
    "dd_state": "normal",
    "drawdown": {"dd_pct": 0.0, "usable": False, "stale_flags": {"nav_missing": True}},
}
BOTH_INVALID = {"risk.dd_state.state": "invalid", "risk.dd_state.drawdown_frac": "invalid"}


def dd_nulls(doc: dict[str, Any]) -> dict[str, str]:
    """The nulls entries of the drawdown state."""
    return {k: v for k, v in doc["nulls"].items() if k.startswith("risk.dd_state")}


def test_issue_example_unusable_drawdown_publishes_neither_state_nor_fraction() -> None:
    """`usable: false` in the drawdown block: state and drawdown_frac are null, invalid."""
    doc = build(risk={"dd_state": ISSUE_UNUSABLE})
    assert doc["risk"]["dd_state"] == {"state": None, "drawdown_frac": None}
    assert dd_nulls(doc) == BOTH_INVALID


@pytest.mark.parametrize(
    "dd_state",
    [
        {"state": "NORMAL", "drawdown": {"dd_pct": 0.01, "usable": False}},      # form C
        {"dd_state": "cautious", "usable": False, "drawdown": {"dd_pct": 0.6}},  # beside label
        {"state": "DRAWDOWN", "usable": False, "drawdown": {"dd_pct": 0.2}},
        {"drawdown": {"dd_pct": 1.0, "usable": False}},                          # no label
        {"dd_state": "normal", "usable": True, "drawdown": {"dd_pct": 0.0, "usable": False}},
        {"dd_state": "normal", "drawdown": {"dd_pct": "NaN", "usable": False}},
    ],
)
def test_usable_false_anywhere_in_forms_a_and_c_nulls_both_leaves(dd_state: object) -> None:
    """`usable: false` in the drawdown block or beside the label, form A or C: both invalid."""
    doc = build(risk={"dd_state": dd_state})
    assert doc["risk"]["dd_state"] == {"state": None, "drawdown_frac": None}
    assert dd_nulls(doc) == BOTH_INVALID


@pytest.mark.parametrize("flag", ["false", "False", 0, 0.0, "no", "true", 1, [], {}, "yes"])
def test_a_usable_flag_that_is_not_a_bool_is_not_trusted(flag: object) -> None:
    """A present `usable` that is not a real bool cannot vouch for the values: both invalid."""
    doc = build(risk={"dd_state": {"dd_state": "normal",
                                   "drawdown": {"dd_pct": 0.5, "usable": flag}}})
    assert dd_nulls(doc) == BOTH_INVALID


@pytest.mark.parametrize("flag", [True, None])
def test_usable_true_or_absent_keeps_the_drawdown(flag: object) -> None:
    """`usable: true` (or a null flag, i.e. no flag) publishes the state and fraction as before."""
    doc = build(risk={"dd_state": {"dd_state": "cautious", "usable": flag,
                                   "drawdown": {"dd_pct": 0.6, "usable": flag}}})
    assert doc["risk"]["dd_state"] == {"state": "cautious", "drawdown_frac": 0.006}
    assert dd_nulls(doc) == {}


@given(flag=st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                      st.floats(allow_nan=True)),
       where=st.sampled_from(["drawdown", "beside"]),
       label=st.sampled_from([("dd_state", "normal"), ("state", "RECOVERY")]))
def test_only_a_true_or_absent_usable_flag_lets_a_drawdown_through(
    flag: object, where: str, label: tuple[str, str]
) -> None:
    """Any usable flag other than true or null makes both drawdown leaves null, invalid."""
    form: dict[str, Any] = {label[0]: label[1], "drawdown": {"dd_pct": 0.1}}
    if where == "drawdown":
        form["drawdown"]["usable"] = flag
    else:
        form["usable"] = flag
    doc = build(risk={"dd_state": form})
    if flag is True or flag is None:
        assert doc["risk"]["dd_state"]["state"] is not None
        assert doc["risk"]["dd_state"]["drawdown_frac"] is not None
    else:
        assert dd_nulls(doc) == BOTH_INVALID


def test_form_d_string_has_no_usable_flag_to_read() -> None:
    """A bare label string (form D) is read as before: label, no fraction."""
    doc = build(risk={"dd_state": "defensive", "usable": False})
    assert doc["risk"]["dd_state"] == {"state": "defensive", "drawdown_frac": None}


# --- fraction-looking fields that are not fractions ---------------------------------------------

def test_issue_example_drawdown_comes_from_dd_pct_not_dd_frac() -> None:
    """`{"dd_state": {"drawdown": {"dd_pct": 0.05}}, "dd_frac": 0.05}` gives 0.0005, not 0.05."""
    doc = build(risk={"dd_state": {"drawdown": {"dd_pct": 0.05}}, "dd_frac": 0.05})
    assert at(doc, "risk.dd_state.drawdown_frac") == pytest.approx(0.0005)


@pytest.mark.parametrize(
    ("risk", "dd_state", "reasons"),
    [
        ({"dd_frac": 0.05, "daily_loss_frac": 0.01}, None, {"risk.dd_state": "missing"}),
        ({"dd_frac": 0.6, "daily_loss_frac": 0.6,
          "dd_state": {"dd_state": "cautious", "drawdown": {"dd_pct": 0.6}}},
         {"state": "cautious", "drawdown_frac": 0.006}, {}),
        ({"dd_frac": 0.3, "dd_state": {"state": "DRAWDOWN", "drawdown": {"dd_pct": 0.12}}},
         {"state": "drawdown", "drawdown_frac": 0.12}, {}),
        ({"dd_frac": 0.05, "dd_state": "normal"},
         {"state": "normal", "drawdown_frac": None}, {"risk.dd_state.drawdown_frac": "missing"}),
        ({"daily_loss_frac": 0.02, "dd_state": {"dd_state": "normal", "drawdown": {}}},
         {"state": "normal", "drawdown_frac": None}, {"risk.dd_state.drawdown_frac": "missing"}),
    ],
)
def test_top_level_dd_frac_and_daily_loss_frac_are_never_a_source(
    risk: dict[str, Any], dd_state: Any, reasons: dict[str, str]
) -> None:
    """The scale-guessed dd_frac / daily_loss_frac never fill or change the drawdown KPI."""
    doc = build(risk=risk)
    assert doc["risk"]["dd_state"] == dd_state
    assert dd_nulls(doc) == reasons


# --- router quality from scores -----------------------------------------------------------------

def quality(router: object = None, risk: object = None) -> tuple[Any, str | None]:
    """(policy_quality, its null reason)."""
    return outcome(build(router=router, risk=risk), "router.policy_quality")


def test_issue_example_global_quality_score_maps_to_a_label() -> None:
    """`{"router_health": {"global": {"quality_score": 0.85}}}` gives `ok`."""
    assert quality({"router_health": {"global": {"quality_score": 0.85}}}) == ("ok", None)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (1.0, ("good", None)), (0.9, ("good", None)), (0.8999, ("ok", None)),
        (0.5, ("ok", None)), (0.4999, ("degraded", None)), (0.2, ("degraded", None)),
        (0.1999, ("broken", None)), (0.0, ("broken", None)), (0, ("broken", None)),
        (" 0.95 ", ("good", None)), ("0.3", ("degraded", None)),
        (1.01, (None, "out_of_range")), (-0.1, (None, "out_of_range")),
        (85, (None, "out_of_range")),
        (math.nan, (None, "invalid")), (True, (None, "invalid")), ("good", (None, "invalid")),
    ],
)
def test_quality_score_thresholds(score: object, expected: tuple[Any, Any]) -> None:
    """good >= 0.9, ok >= 0.5, degraded >= 0.2, broken below; outside [0, 1] is out_of_range."""
    assert quality({"router_health": {"global": {"quality_score": score}}}) == expected


def test_entry_scores_worst_wins_in_a_per_symbol_list() -> None:
    """Entry quality_score values: the worst label wins; bad scores are skipped."""
    router = {"per_symbol": [entry(quality_score=0.95), entry(quality_score=0.31),
                             entry(quality_score=7.0), entry(quality_score="n/a"),
                             entry(quality_score=0.6)]}
    assert quality(router) == ("degraded", None)


def test_variant_a_scores_nested_in_router_health_per_symbol_are_reached() -> None:
    """With only `router_health.per_symbol` (a dict, variant A), its entries' scores count."""
    router = {"router_health": {"per_symbol": {"BTCUSDT": {"quality_score": 0.75},
                                               "DOGEUSDT": {"quality_score": 0.19}},
                                "global": {"quality_score": 0.95}}}
    assert quality(router) == ("broken", None)


def test_variant_a_nested_entries_feed_the_other_entry_kpis_too() -> None:
    """`router_health.per_symbol` is the entries source of every per-entry KPI, not only quality."""
    router = {"router_health": {"per_symbol": {"A": {"avg_slippage_bps": 1.0},
                                               "B": {"avg_slippage_bps": 3.0}}}}
    assert outcome(build(router=router), "router.avg_slippage_bps") == (2.0, None)


def test_top_level_global_quality_score_is_read_after_router_health_global() -> None:
    """The router's top-level `global` twin of router_health.global is the next alias."""
    assert quality({"global": {"quality_score": 0.1}}) == ("broken", None)
    both = {"router_health": {"global": {"quality_score": 0.95}}, "global": {"quality_score": 0.1}}
    assert quality(both) == ("good", None)


FULL_QUALITY_EVIDENCE: dict[str, Any] = {
    "counts": {"summary": {"quality_counts": {"good": 3, "ok": 1}}},
    "labels": {"per_symbol": [entry(quality="degraded", quality_score=0.95)]},
    "scores": {"per_symbol": [entry(quality_score=0.1)]},
    "global": {"router_health": {"global": {"quality_score": 0.97}}},
}


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (("counts", "labels", "scores", "global", "risk"), "ok"),
        (("labels", "scores", "global", "risk"), "degraded"),
        (("scores", "global", "risk"), "broken"),
        (("global", "risk"), "good"),
        (("risk",), "degraded"),
    ],
)
def test_quality_source_order(present: tuple[str, ...], expected: str) -> None:
    """Counts, then entry labels, then entry scores, then router_health.global, then risk."""
    router: dict[str, Any] = {}
    for name in ("global", "scores", "labels", "counts"):  # later sources may overwrite entries
        if name in present:
            router.update(FULL_QUALITY_EVIDENCE[name])
    risk = {"router_stats": {"quality": "DEGRADED"}} if "risk" in present else None
    assert quality(router, risk) == (expected, None)


def test_entry_scores_only_count_when_no_entry_has_a_label() -> None:
    """Entry labels and entry scores are separate sources: any usable label wins over all scores."""
    router = {"per_symbol": [entry(quality="good"), entry(quality_score=0.05)]}
    assert quality(router) == ("good", None)


def test_all_scores_out_of_range_fall_through_and_report_out_of_range() -> None:
    """Out-of-range entry scores are skipped; with no other source the reason is out_of_range."""
    assert quality({"per_symbol": [entry(quality_score=63.0)]}) == (None, "out_of_range")
    risk = {"router_stats": {"quality": "ok"}}
    assert quality({"per_symbol": [entry(quality_score=63.0)]}, risk) == ("ok", None)


RANK = {"broken": 0, "degraded": 1, "ok": 2, "good": 3}


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6), st.floats(0.0, 1.0))
def test_a_worse_entry_score_never_improves_the_label(scores: list[float], extra: float) -> None:
    """Adding an entry can only keep or worsen the label, and the label follows the worst score."""
    before, _ = quality({"per_symbol": [entry(quality_score=s) for s in scores]})
    after, _ = quality({"per_symbol": [entry(quality_score=s) for s in [*scores, extra]]})
    assert RANK[after] <= RANK[before]
    alone, _ = quality({"per_symbol": [entry(quality_score=min(scores))]})
    assert before == alone


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_a_higher_score_never_gives_a_worse_label(low: float, high: float) -> None:
    """The score-to-label map is monotonic."""
    low, high = sorted((low, high))
    labels = [quality({"router_health": {"global": {"quality_score": s}}})[0] for s in (low, high)]
    assert RANK[labels[0]] <= RANK[labels[1]]


# --- top-level router ratios --------------------------------------------------------------------

def maker_share(router: object = None, risk: object = None) -> tuple[Any, str | None]:
    """(maker_fill_share, its null reason)."""
    return outcome(build(router=router, risk=risk), "router.maker_fill_share")


def test_issue_example_top_level_maker_ratio_is_the_maker_fill_share() -> None:
    """`{"maker_ratio": 0.75, "fallback_ratio": 0.1, "total_orders": 100}` gives 0.75."""
    assert maker_share({"maker_ratio": 0.75, "fallback_ratio": 0.1, "total_orders": 100}) == (
        0.75, None)


@pytest.mark.parametrize(
    ("router", "risk", "expected"),
    [
        ({"maker_fill_rate": "0.4"}, None, (0.4, None)),
        ({"maker_ratio": 0.75, "maker_fill_rate": 0.2}, None, (0.75, None)),
        ({"maker_ratio": 1.5, "maker_fill_rate": 0.2}, None, (0.2, None)),
        ({"maker_ratio": "bad"}, {"router_stats": {"maker_fill_ratio": 0.3}}, (0.3, None)),
        ({"maker_ratio": 0.75}, {"router_stats": {"maker_fill_ratio": 0.3}}, (0.75, None)),
        ({"maker_ratio": 0.75, "per_symbol": [entry(maker_fill_rate=0.5)]}, None, (0.5, None)),
        ({"maker_ratio": 0.0}, {"router_stats": {"maker_fill_ratio": 0.3}}, (0.0, None)),
        ({"maker_ratio": 1.5}, None, (None, "out_of_range")),
        ({"maker_ratio": None, "maker_fill_rate": None}, None, (None, "missing")),
    ],
)
def test_top_level_ratio_comes_after_entries_and_before_risk_router_stats(
    router: Any, risk: Any, expected: tuple[Any, Any]
) -> None:
    """Entries, then top-level maker_ratio / maker_fill_rate, then risk.router_stats."""
    assert maker_share(router, risk) == expected


# --- negative zero ------------------------------------------------------------------------------

def has_negative_zero(node: Any) -> bool:
    """True when a JSON value holds -0.0 anywhere."""
    if isinstance(node, float):
        return node == 0.0 and math.copysign(1.0, node) < 0
    if isinstance(node, dict):
        return any(has_negative_zero(v) for v in node.values())
    if isinstance(node, list):
        return any(has_negative_zero(v) for v in node)
    return False


def file_bytes(**snapshots: Any) -> bytes:
    """The exact bytes publish would write for these snapshots."""
    return dump_document(model_document(build_kpis_v7(
        NOW, snapshots.get("nav"), snapshots.get("risk"), snapshots.get("router"),
        snapshots.get("expectancy"))))


def test_issue_example_negative_zero_drawdown_is_written_as_zero() -> None:
    """A -0.0 drawdown reaches the file as 0.0, so the dashboard never shows -0.00%."""
    data = file_bytes(risk={"dd_state": {"state": "normal", "drawdown": {"dd_pct": -0.0}}})
    assert b'"drawdown_frac":0.0' in data
    assert b"-0.0" not in data


@pytest.mark.parametrize(
    ("snapshots", "path"),
    [
        ({"risk": {"dd_state": {"dd_state": "normal", "drawdown": {"dd_pct": "-0"}}}},
         "risk.dd_state.drawdown_frac"),
        ({"nav": {"nav_age_s": -0.0}}, "nav.nav_age_s"),
        ({"risk": {"fee_pnl_ratio": "-0.0"}}, "risk.fee_pnl_ratio"),
        ({"router": {"per_symbol": [entry(maker_fill_rate=-0.0)]}}, "router.maker_fill_share"),
        ({"router": {"maker_ratio": -0.0}}, "router.maker_fill_share"),
        ({"router": {"reject_rate": -0.0}}, "router.reject_rate"),
        ({"router": {"global": {"avg_slippage_bps": -0.0}}}, "router.avg_slippage_bps"),
        # A mean that underflows to -0.0: each of -5e-324 / 2 rounds to -0.0.
        ({"router": {"per_symbol": [entry(slippage_p50=-5e-324), entry(slippage_p50=-5e-324)]}},
         "router.avg_slippage_bps"),
        ({"expectancy": {"expectancy_usd": -0.0}}, "performance.expectancy"),
        ({"expectancy": {"symbols": {"A": {"count": 3, "expectancy": -0.0, "is_mature": True}}}},
         "performance.expectancy"),
    ],
)
def test_negative_zero_from_any_source_is_published_as_zero(
    snapshots: dict[str, Any], path: str
) -> None:
    """Every KPI fed a -0.0 (read or computed) carries +0.0 in the model and in the file."""
    model = build_kpis_v7(NOW, snapshots.get("nav"), snapshots.get("risk"),
                          snapshots.get("router"), snapshots.get("expectancy"))
    doc = model.model_dump(mode="json")
    assert at(doc, path) == 0.0
    assert not has_negative_zero(doc)
    assert b"-0.0" not in file_bytes(**snapshots)


def test_serialiser_writes_negative_zero_as_zero_and_leaves_the_rest() -> None:
    """dump_document, the last guard for every state file: -0.0 becomes 0.0, nothing else moves."""
    doc = {"a": -0.0, "b": [-0.0, {"c": -0.0}], "t": ("-0.0", -0.01), "s": "x-0.0", "n": 0}
    before = repr(doc)
    expected = b'{"a":0.0,"b":[0.0,{"c":0.0}],"t":["-0.0",-0.01],"s":"x-0.0","n":0}\n'
    assert dump_document(doc) == expected
    assert repr(doc) == before


def test_publish_writes_a_mapping_with_negative_zero_as_zero(tmp_path: Any) -> None:
    """A hand-made payload mapping with -0.0 is published with 0.0 on disk."""
    doc = build_kpis_v7(NOW, {"nav_total": 10.0}, None, None).model_dump(mode="json")
    doc["nav"]["nav_total"] = 10.0
    doc["risk"]["fee_pnl_ratio"] = -0.0
    doc["nulls"].pop("risk.fee_pnl_ratio")
    doc["ts"] = "2026-01-01T00:00:00Z"
    result = publish_kpis(tmp_path / "kpis_v7.json", doc)
    assert result.ok, result
    written = (tmp_path / "kpis_v7.json").read_bytes()
    assert b'"fee_pnl_ratio":0.0' in written
    assert not has_negative_zero(json.loads(written))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6),
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([-0.0, 0.0])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=12,
)


@given(json_values)
def test_serialised_documents_never_hold_negative_zero(doc: Any) -> None:
    """Any JSON value round-trips through dump_document equal, with no -0.0 left in it."""
    back = json.loads(dump_document(doc))
    assert back == doc  # -0.0 == 0.0, so only the sign may change
    assert not has_negative_zero(back)
