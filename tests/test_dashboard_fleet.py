"""The dashboard's fleet table (issue 11, last item): ``fleet_state`` / ``render_fleet_panel`` and
``kpi-contract dashboard --fleet-url``, against moto's S3 server on loopback (``tests/s3_server``).

Streamlit is imported when a test runs, not when the module is collected (see
``test_dashboard_page.py``).
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kpi_contract.dashboard import fleet_state
from kpi_contract.dashboard.fleet_view import COLUMNS
from kpi_contract.dashboard.launch import (
    ENV_FLEET_URL,
    ENV_MAX_AGE_S,
    ENV_REFRESH_S,
    PAGE,
    PageSettings,
)
from tests import dashboard_payloads as payloads
from tests.cli_helpers import run_cli
from tests.s3_server import S3Env, client_env, free_port
from tests.v7_releases import release_schema

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

# The page reads the wall clock, so the payloads are stamped relative to it (a ts in the
# future beyond the 5 s clock skew would rightly read as stale).
NOW = float(int(time.time()))


def doc(kind: str, *, age_s: float, run_mode: str | None = "live") -> bytes:
    """A payload of ``kind`` (``dashboard_payloads``) stamped ``age_s`` before NOW."""
    payload: dict[str, Any] = getattr(payloads, kind)()
    payload["ts"] = payloads.iso(NOW - age_s)
    if run_mode is not None:
        payload["run_mode"] = run_mode
    return json.dumps(payload).encode()


def put(s3: S3Env, key: str, body: bytes) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=body)


def fill_desk(s3: S3Env) -> None:
    """Five executors under ``desk/``: live and fresh, a stale dry run, an invalid document, a
    7.0.0 payload, and one that mirrored other files but no kpis_v7.json yet."""
    put(s3, "desk/acct-live/kpis_v7.json", doc("healthy", age_s=10))
    put(s3, "desk/sim-1/kpis_v7.json", doc("stressed", age_s=600, run_mode="dry_run"))
    put(s3, "desk/broken/kpis_v7.json", doc("invalid", age_s=10))
    old = copy.deepcopy(release_schema("7.0.0")["examples"][0])
    old["ts"] = payloads.iso(NOW - 20)
    put(s3, "desk/old-host/kpis_v7.json", json.dumps(old).encode())
    put(s3, "desk/starting/nav.json", b"{}")


# --- the view model ------------------------------------------------------------------------------

def test_fleet_rows_show_each_executor_with_its_mode_status_and_kpis(s3: S3Env) -> None:
    """One row per executor, sorted: run mode, status, age, NAV, drawdown, router quality, the
    worst KPI statuses, or the reason it could not be read; nulls read 'no data', never 0."""
    fill_desk(s3)
    state = fleet_state(s3.url("desk"), now_ts=NOW, max_age_s=120)
    assert state.condition == "ok"
    assert state.message == (f"5 executors under {s3.url('desk')}: 2 ok, 1 stale (older than "
                             "2 min 0 s), 2 unreadable")
    cells = {row.executor_id: row.cells for row in state.rows}
    assert list(cells) == ["acct-live", "broken", "old-host", "sim-1", "starting"]
    assert cells["acct-live"] == {
        "Executor": "acct-live", "Run mode": "LIVE", "Status": "ok", "Age": "10 s",
        "NAV": "$4,093.43", "Drawdown state": "normal", "Drawdown": "0.00%",
        "Router quality": "ok", "KPIs": "ok", "Reason": ""}
    assert cells["sim-1"] == {
        "Executor": "sim-1", "Run mode": "DRY RUN", "Status": "STALE", "Age": "10 min 0 s",
        "NAV": "$4,093.43", "Drawdown state": "defensive", "Drawdown": "12.50%",
        "Router quality": "broken", "KPIs": "4 critical, 1 warn", "Reason": ""}
    assert cells["old-host"]["Run mode"] == "RUN MODE UNKNOWN"
    assert cells["old-host"]["Status"] == "ok"
    assert cells["broken"]["Status"] == "ERROR"
    assert cells["broken"]["Reason"].startswith("$.router.maker_fill_share: ")
    assert cells["broken"]["NAV"] == ""
    assert cells["starting"]["Reason"] == "no such object"
    assert all(list(row) == list(COLUMNS) for row in cells.values())
    by_id = {row.executor_id: row for row in state.rows}
    assert by_id["broken"].kpi_status == "critical"
    assert by_id["sim-1"].run_mode is not None
    assert by_id["sim-1"].run_mode.live is False


def test_a_null_kpi_in_the_table_reads_no_data_with_its_reason(s3: S3Env) -> None:
    """An all-null executor's NAV and drawdown cells say 'no data: <reason>', not '$0'."""
    put(s3, "desk/blank/kpis_v7.json", doc("all_null", age_s=5, run_mode=None))
    (row,) = fleet_state(s3.url("desk"), now_ts=NOW).rows
    assert (row.cells["NAV"], row.cells["Drawdown state"], row.cells["Router quality"]) == (
        "no data: invalid", "no data: missing", "no data: missing")
    assert row.cells["KPIs"] == "14 no data"
    assert row.cells["Run mode"] == "RUN MODE UNKNOWN"


def test_an_empty_prefix_is_its_own_condition(s3: S3Env) -> None:
    """Nobody published under the prefix: 'empty', saying so, no rows."""
    state = fleet_state(s3.url("nobody"), now_ts=NOW)
    assert (state.condition, state.rows) == ("empty", ())
    assert state.message.startswith(f"No executor has published under {s3.url('nobody')}")


@pytest.mark.parametrize(
    ("url", "message"),
    [("s3://missing-bucket/desk", "s3://missing-bucket/desk::$: no such bucket 'missing-bucket'"),
     ("s3://Bad_Bucket/desk", "'Bad_Bucket' is not a bucket name"),
     ("/var/state", "not an s3:// URL")],
)
def test_a_prefix_that_cannot_be_read_is_an_error_state_not_an_exception(
    s3: S3Env, url: str, message: str
) -> None:
    """No such bucket, a malformed URL: the 'error' condition with the one-line reason."""
    state = fleet_state(url, now_ts=NOW)
    assert (state.condition, state.rows) == ("error", ())
    assert message in state.message
    assert "\n" not in state.message


def test_an_unreachable_store_is_an_error_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing listens at the endpoint: 'cannot reach the store', no exception."""
    for name, value in client_env(f"http://127.0.0.1:{free_port()}").items():
        monkeypatch.setenv(name, value)
    state = fleet_state("s3://kpi-fleet/desk", now_ts=NOW)
    assert state.condition == "error"
    assert "cannot reach the store" in state.message


# --- the page under AppTest ------------------------------------------------------------------


def run_fleet_page(url: str, monkeypatch: pytest.MonkeyPatch, max_age_s: float = 1e12
                   ) -> AppTest:
    """The packaged page on ``url`` (the fragment's first run)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(ENV_FLEET_URL, url)
    monkeypatch.setenv(ENV_REFRESH_S, "1")
    monkeypatch.setenv(ENV_MAX_AGE_S, str(max_age_s))
    app = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_page_shows_the_fleet_table_and_one_executors_panel(
    s3: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--fleet-url page: a warning banner (some unreadable), the table, and the chosen
    executor's 14 cards with its run mode; choosing another shows its cards."""
    fill_desk(s3)
    app = run_fleet_page(s3.url("desk"), monkeypatch)
    assert app.title[0].value == "Executor fleet KPIs"
    assert len(app.warning) == 1
    assert "5 executors under s3://kpi-fleet/desk" in app.warning[0].value
    table = app.table[0].value
    assert list(table.columns) == list(COLUMNS[1:])
    assert list(table.index) == ["acct-live", "broken", "old-host", "sim-1", "starting"]
    assert list(table["Run mode"]) == ["LIVE", "", "RUN MODE UNKNOWN", "DRY RUN", ""]
    assert list(table["Status"]) == ["ok", "ERROR", "ok", "ok", "ERROR"]
    select = app.selectbox(key="fleet-executor")
    assert select.options == ["acct-live", "old-host", "sim-1"]
    assert len(app.metric) == 14
    assert {m.label: m.value for m in app.metric}["Drawdown state"] == "normal"
    select.select("sim-1").run()
    assert {m.label: m.value for m in app.metric}["Drawdown state"] == "defensive"
    assert any(":orange-badge[DRY RUN]" in m.value for m in app.markdown)


def test_page_on_a_missing_bucket_shows_one_error_and_no_table(
    s3: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's one-line reason as the error banner; no table, no cards."""
    app = run_fleet_page("s3://missing-bucket/desk", monkeypatch)
    assert [e.value for e in app.error] == [
        "s3://missing-bucket/desk::$: no such bucket 'missing-bucket' (NoSuchBucket)"]
    assert not app.table
    assert not app.metric


def test_page_shows_a_new_executor_on_the_next_run(
    s3: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An executor that publishes after the page opened appears at the next (fragment) run."""
    put(s3, "desk/a/kpis_v7.json", doc("healthy", age_s=1))
    app = run_fleet_page(s3.url("desk"), monkeypatch)
    assert app.success[0].value.startswith("1 executor under s3://kpi-fleet/desk: 1 ok")
    assert not app.warning
    assert list(app.table[0].value.index) == ["a"]
    put(s3, "desk/b/kpis_v7.json", doc("panic", age_s=1, run_mode="replay"))
    app.run()
    assert list(app.table[0].value.index) == ["a", "b"]
    assert list(app.table[0].value["Run mode"]) == ["LIVE", "REPLAY"]


def fleet_app(url: str) -> None:
    """A dashboard team's app: the fleet table without the details, under its own keys."""
    from kpi_contract.dashboard import render_fleet_panel

    render_fleet_panel(url, key_prefix="desk", show_details=False, max_age_s=1e12)


def test_render_fleet_panel_drops_into_an_app(s3: S3Env) -> None:
    """render_fleet_panel(url) in another app: the table, no select box when details are off."""
    from streamlit.testing.v1 import AppTest

    put(s3, "desk/a/kpis_v7.json", doc("stressed", age_s=1, run_mode="testnet"))
    app = AppTest.from_function(fleet_app, kwargs={"url": s3.url("desk")}, default_timeout=60)
    app.run()
    assert not app.exception
    assert list(app.table[0].value["Run mode"]) == ["TESTNET"]
    assert list(app.table[0].value["KPIs"]) == ["4 critical, 1 warn"]
    assert not app.selectbox
    assert not app.metric


# --- the command -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "message"),
    [(["--fleet-url", "desk/prefix"], "argument --fleet-url: desk/prefix: not an s3:// URL"),
     (["--fleet-url", "s3://x/desk"], "argument --fleet-url: s3://x/desk: 'x' is not a bucket"),
     (["--fleet-url", "s3://kpi-fleet/a", "--state-dir", "d"],
      "argument --state-dir: not allowed with argument --fleet-url")],
)
def test_bad_fleet_options_are_one_line_usage_errors(args: list[str], message: str) -> None:
    """A malformed URL, or a URL and a state directory at once: exit 2, one line."""
    result = run_cli("dashboard", *args, "--port", "8597")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_fleet_url_without_boto3_is_one_line_and_exit_2() -> None:
    """Without the s3 extra, --fleet-url says how to install it, in one line, exit 2."""
    import subprocess

    from tests.cli_helpers import ROOT

    result = subprocess.run(
        [sys.executable, "-c",
         "import sys\n"
         "sys.modules['boto3'] = None  # an install without the s3 extra\n"
         "from kpi_contract.cli import main\n"
         "raise SystemExit(main(['dashboard', '--fleet-url', 's3://kpi-fleet/desk', "
         "'--port', '8596']))\n"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kpi-contract dashboard: error: --fleet-url needs boto3; install the extra: "
        "pip install 'kpi-contract[s3]'"]


def test_fleet_settings_round_trip_and_refuse_a_bad_url(tmp_path: Path) -> None:
    """The URL reaches the page through the environment; a malformed one is a ValueError."""
    settings = PageSettings(tmp_path, 1.0, 30.0, "s3://kpi-fleet/desk")
    assert PageSettings.from_environ(settings.environ()) == settings
    assert settings.source == "s3://kpi-fleet/desk"
    with pytest.raises(ValueError, match="not an s3:// URL"):
        PageSettings.from_environ({ENV_FLEET_URL: "ftp://x/y"})


def test_fleet_state_is_read_with_the_callers_clock(s3: S3Env) -> None:
    """Ages and staleness come from now_ts: the same object is fresh, then stale."""
    put(s3, "desk/a/kpis_v7.json", doc("healthy", age_s=0))
    assert fleet_state(s3.url("desk"), now_ts=NOW + 60, max_age_s=120).rows[0].status == "ok"
    late = fleet_state(s3.url("desk"), now_ts=NOW + 121, max_age_s=120).rows[0]
    assert (late.status, late.cells["Age"]) == ("stale", "2 min 1 s")
