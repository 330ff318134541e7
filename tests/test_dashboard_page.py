"""The packaged Streamlit page and the drop-in panel, under Streamlit's own test harness.

Streamlit is imported when a test runs, not when the module is collected: the crash-safety tests,
collected earlier in the same process, fork publishers from it, and a process carrying Streamlit's
heap forks and collects garbage slower.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kpi_contract.dashboard.launch import ENV_MAX_AGE_S, ENV_REFRESH_S, ENV_STATE_DIR, PAGE
from tests import dashboard_payloads as payloads
from tests.dashboard_payloads import KPI_PATHS, write_file
from tests.v7_releases import release_schema

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest


def app_test(source: Any, **kwargs: Any) -> AppTest:
    """``AppTest.from_file`` for a path, ``AppTest.from_function`` for a function."""
    from streamlit.testing.v1 import AppTest

    if callable(source):
        return AppTest.from_function(source, default_timeout=60, **kwargs)
    return AppTest.from_file(str(source), default_timeout=60)


LABELS = ["NAV total", "NAV age", "Sources OK", "Drawdown state", "Drawdown", "ATR regime",
          "Fee PnL ratio", "Policy quality", "Maker first", "Maker fill share", "Average slippage",
          "Reject rate", "Expectancy", "Sharpe state"]
BADGE_WORDS = {"ok": "OK", "warn": "WARN", "critical": "CRITICAL", "no_data": "NO DATA"}


def run_page(state_dir: Path, monkeypatch: pytest.MonkeyPatch, max_age_s: float = 120.0
             ) -> AppTest:
    """Run the packaged page once on ``state_dir`` (the fragment's first run)."""
    monkeypatch.setenv(ENV_STATE_DIR, str(state_dir))
    monkeypatch.setenv(ENV_REFRESH_S, "1")
    monkeypatch.setenv(ENV_MAX_AGE_S, str(max_age_s))
    app = app_test(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def badges(app: AppTest) -> list[str]:
    """The cards' status badges in card order (``:red-badge[CRITICAL]`` -> ``CRITICAL``); the
    run mode's header badge (``LIVE``, ``DRY RUN``, ...) is not one of them."""
    found = [m.value.split("-badge[", 1)[1].split("]", 1)[0]
             for m in app.markdown if "-badge[" in m.value]
    return [word for word in found if word in BADGE_WORDS.values()]


@pytest.mark.parametrize(
    ("kind", "values", "statuses"),
    [
        ("healthy", {"NAV total": "$4,093.43", "Maker fill share": "55.00%",
                     "Average slippage": "2.50 bps"}, ["OK"] * 14),
        ("stressed", {"Drawdown state": "defensive", "Drawdown": "12.50%", "ATR regime": "hot",
                      "Policy quality": "broken", "Reject rate": "25.00%"},
         ["OK", "OK", "OK", "CRITICAL", "CRITICAL", "WARN", "OK", "CRITICAL", "OK", "OK", "OK",
          "CRITICAL", "OK", "OK"]),
        ("null_state_beside_drawdown", {"Drawdown state": "no data: invalid",
                                        "Drawdown": "7.50%"},
         ["OK", "OK", "OK", "NO DATA", "WARN", *["OK"] * 9]),
        ("panic", {"NAV age": "6 min 40 s", "Expectancy": "-$2.50 / trade"},
         ["OK", "CRITICAL", "WARN", "WARN", "WARN", "CRITICAL", "CRITICAL", "OK", "WARN", "OK",
          "OK", "WARN", "WARN", "WARN"]),
        ("unknown_extra_fields", {"NAV total": "$4,093.43"}, ["OK"] * 14),
    ],
)
def test_page_shows_every_card_with_value_and_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, values: dict[str, str],
    statuses: list[str],
) -> None:
    """Fresh file: a success banner, 14 metrics in schema order, their texts and status badges."""
    write_file(kind, tmp_path, ts=time.time() - 5)
    app = run_page(tmp_path, monkeypatch)
    assert [m.label for m in app.metric] == LABELS
    assert {label: metrics(app)[label] for label in values} == values
    assert badges(app) == statuses
    assert len(app.success) == 1
    assert "published at" in app.success[0].value
    assert not app.error
    assert not app.warning


def test_all_null_page_shows_no_data_and_reasons_never_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All KPIs null: every metric reads 'no data: <reason>', every badge NO DATA, with reasons."""
    write_file("all_null", tmp_path, ts=time.time() - 5)
    app = run_page(tmp_path, monkeypatch)
    doc = payloads.all_null()
    reasons = [doc["nulls"].get(path, doc["nulls"].get("risk.dd_state")) for path in KPI_PATHS]
    assert [m.value for m in app.metric] == [f"no data: {r.replace('_', ' ')}" for r in reasons]
    assert badges(app) == ["NO DATA"] * 14
    assert [c.value for c in app.caption if c.value.startswith("null reason")] == [
        f"null reason: `{r}`" for r in reasons]
    shown = " ".join(m.value for m in app.metric).replace("no data: ", "")
    assert not any(default in shown for default in payloads.DEFAULT_TEXTS)
    assert any("0 critical · 0 warn · 14 no data · 0 ok" in m.value for m in app.markdown)


def test_stale_file_keeps_the_cards_under_a_warning_banner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file older than the limit shows a 'Stale' warning with its age, and still its cards."""
    write_file("healthy", tmp_path, ts=time.time() - 600)
    app = run_page(tmp_path, monkeypatch, max_age_s=120)
    assert len(app.warning) == 1
    assert app.warning[0].value.startswith("Stale: ")
    assert "ago" in app.warning[0].value
    assert len(app.metric) == 14
    assert not app.success


@pytest.mark.parametrize(
    ("kind", "banner"),
    [
        ("missing", "No KPI file at"),
        ("torn", "is not a complete JSON document"),
        ("invalid", "is not a valid kpis_v7 document"),
        ("legacy_flat", "is the pre-contract flat KPI file"),
        ("major_8", "declares schema version '8.0.0'"),
    ],
)
def test_unshowable_file_gets_an_error_banner_and_no_cards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, banner: str
) -> None:
    """Missing, torn, invalid, legacy and major-8 files: one error naming why, no metric at all."""
    write_file(kind, tmp_path)
    app = run_page(tmp_path, monkeypatch)
    assert len(app.error) == 1
    assert banner in app.error[0].value
    assert str(tmp_path / "kpis_v7.json") in app.error[0].value
    assert len(app.metric) == 0
    assert not app.success


def test_invalid_file_lists_its_violations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The error banner is followed by each violation with its JSON path."""
    path = write_file("invalid", tmp_path)
    app = run_page(tmp_path, monkeypatch)
    assert any(t.value.startswith(f"{path}::$.router.maker_fill_share: ") for t in app.text)


def test_raw_document_is_in_an_expander(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The expander holds the file as read, unknown fields included."""
    path = write_file("unknown_extra_fields", tmp_path, ts=time.time())
    app = run_page(tmp_path, monkeypatch)
    assert [e.label for e in app.expander] == [f"Raw document: {path}"]
    assert app.expander[0].code[0].value == path.read_text().rstrip("\n")  # st.code trims it
    assert "fill_latency_ms" in app.expander[0].code[0].value


def test_page_shows_the_new_payload_on_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a new publish, the next (fragment) run shows the new values, not cached ones."""
    write_file("healthy", tmp_path, ts=time.time())
    app = run_page(tmp_path, monkeypatch)
    assert metrics(app)["Drawdown state"] == "normal"
    write_file("stressed", tmp_path, ts=time.time())
    app.run()
    assert metrics(app)["Drawdown state"] == "defensive"
    assert metrics(app)["Reject rate"] == "25.00%"


def drop_in_app(path: str) -> None:
    """A dashboard team's app: read the file itself, hand the reading to the panel."""
    import time as clock

    from kpi_contract import read_kpis
    from kpi_contract.dashboard import render_kpi_panel

    render_kpi_panel(read_kpis(path, now_ts=clock.time()), columns=3, show_raw=False)


def test_render_kpi_panel_drops_into_an_app_with_a_reading(tmp_path: Path) -> None:
    """render_kpi_panel takes a read_kpis reading; no raw expander when show_raw is False."""
    path = write_file("stressed", tmp_path, ts=time.time())
    app = app_test(drop_in_app, kwargs={"path": str(path)})
    app.run()
    assert not app.exception
    assert metrics(app)["Drawdown"] == "12.50%"
    assert len(app.metric) == 14
    assert not app.expander


def two_panels(live: str, replay: str) -> None:
    """One page, two executors' panels side by side."""
    import streamlit as st

    from kpi_contract.dashboard import render_kpi_panel

    left, right = st.columns(2)
    with left:
        render_kpi_panel(live, key_prefix="live", show_raw=False)
    with right:
        render_kpi_panel(replay, key_prefix="replay", show_raw=False)


def test_two_panels_on_one_page_with_their_own_keys(tmp_path: Path) -> None:
    """Two panels with distinct key prefixes render together without a duplicate-key error."""
    live = write_file("healthy", tmp_path / "live", ts=time.time())
    replay = write_file("all_null", tmp_path / "replay", ts=time.time())
    app = app_test(two_panels, kwargs={"live": str(live), "replay": str(replay)})
    app.run()
    assert not app.exception
    values = [m.value for m in app.metric]
    assert len(values) == 28
    assert values[0] == "$4,093.43"
    assert values[14] == "no data: invalid"


# --- kpis_v7 7.1.0: the run mode header and the sample counts (issue 9) -----------------------

def header(app: AppTest) -> str:
    """The run mode header: the first Markdown element with a badge (before every card)."""
    return next(m.value for m in app.markdown if "-badge[" in m.value)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("live", ":blue-badge[LIVE] real orders with real money"),
     ("dry_run", ":orange-badge[DRY RUN] simulated orders, nothing sent to an exchange"),
     ("replay", ":orange-badge[REPLAY] recorded snapshots published again"),
     ("testnet", ":orange-badge[TESTNET] real orders on the exchange's test network")],
)
def test_run_mode_is_the_header_above_the_cards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, expected: str
) -> None:
    """The page names the run mode in a heading before any card: live in blue, anything else in
    orange and saying it is not live."""
    doc = payloads.healthy()
    doc["run_mode"] = mode
    doc["ts"] = payloads.iso(time.time())
    (tmp_path / "kpis_v7.json").write_text(json.dumps(doc))
    app = run_page(tmp_path, monkeypatch)
    assert header(app).startswith(f"### {expected}")
    assert ("not live results" in header(app)) is (mode != "live")
    assert len(app.metric) == 14


def test_a_7_0_0_file_says_its_run_mode_is_unknown_and_its_counts_not_in_7_0_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 7.0.0 payload on the 7.1.0 page: RUN MODE UNKNOWN, and each ratio says its count is
    not in 7.0.0, never a number and never plain 'missing'."""
    doc = copy.deepcopy(release_schema("7.0.0")["examples"][0])
    doc["ts"] = payloads.iso(time.time())
    (tmp_path / "kpis_v7.json").write_text(json.dumps(doc))
    app = run_page(tmp_path, monkeypatch)
    from kpi_contract.dashboard.panel import markdown_text

    assert header(app).startswith("### :orange-badge[RUN MODE UNKNOWN] ")
    assert markdown_text("(no data: not in 7.0.0)") in header(app)
    captions = [c.value for c in app.caption if "count: " in c.value]
    assert captions == ["Fill count: no data: not in 7.0.0", "Fill count: no data: not in 7.0.0",
                        "Order count: no data: not in 7.0.0",
                        "Trade count: no data: not in 7.0.0"]
    assert metrics(app)["Maker fill share"] == "55.00%"


def test_each_ratio_shows_the_observations_behind_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'55.00%' with 'over 1,250 fills' under it; a null count reads 'no data: <reason>'."""
    doc = payloads.healthy()
    doc["ts"] = payloads.iso(time.time())
    doc["router"].update(maker_fill_share_fill_count=1250, reject_rate_order_count=None)
    doc["nulls"]["router.reject_rate_order_count"] = "missing"
    doc["performance"]["expectancy_trade_count"] = 1
    (tmp_path / "kpis_v7.json").write_text(json.dumps(doc))
    app = run_page(tmp_path, monkeypatch)
    captions = [c.value for c in app.caption
                if c.value.startswith("over ") or "count: " in c.value]
    assert captions == ["over 1,250 fills", "over 100 fills", "Order count: no data: missing",
                        "over 1 trade"]
    assert metrics(app)["Maker fill share"] == "55.00%"
