"""The KPI page in a real browser: Debian's Chromium loads what ``kpi-contract dashboard`` serves,
sees the cards, sees them change after a new publish, and leaves a non-blank screenshot.

Runs in CI: ``.ci/run`` installs Debian's ``chromium`` first. It is skipped only where
/usr/bin/chromium is absent (a developer machine without it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.models import KpisV7
from kpi_contract.publish import publish_kpis
from kpi_contract.validation import validate_document
from tests import dashboard_payloads as payloads
from tests.dashboard_browser import CHROMIUM, METRIC, chromium_page, dashboard_server
from tests.dashboard_browser import listening_addresses as listening
from tests.s3_server import S3Env

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=(
        "Debian's chromium is not installed (/usr/bin/chromium): `apt-get install chromium`; "
        ".ci/run installs it")),
    pytest.mark.slow,
]

DRAWDOWN_CARD = ".st-key-kpi-risk-dd_state-drawdown_frac"
STATE_CARD = ".st-key-kpi-risk-dd_state-state"
MAKER_SHARE_CARD = ".st-key-kpi-router-maker_fill_share"
RUN_MODE = ".st-key-kpi-run_mode"
LOOPBACK_V4 = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it


def publish(path: Path, doc: dict[str, Any]) -> None:
    """Publish ``doc`` stamped now, through the contract's own validated atomic writer."""
    doc["ts"] = payloads.iso(time.time())
    result = publish_kpis(path, KpisV7.model_validate(doc))
    assert result.ok, result.describe()


def test_browser_sees_cards_then_the_next_publish_without_a_reload(tmp_path: Path) -> None:
    """Chromium shows the 14 cards and the run mode, then the new values (a dry run now) after a
    publish, in the same page."""
    state_dir = tmp_path / "mirror"
    state_dir.mkdir()
    kpi_file = state_dir / "kpis_v7.json"
    publish(kpi_file, payloads.stressed())
    with dashboard_server(state_dir, tmp_path / "server.log", refresh_s=1.0) as server, \
            chromium_page() as page:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        assert listening(port) == {LOOPBACK_V4}, "the server listens beyond 127.0.0.1"
        page.goto(server.url)
        page.wait_for_function(
            f"document.querySelectorAll('{METRIC}').length === 14", timeout=60_000)
        drawdown = page.locator(DRAWDOWN_CARD)
        assert "12.50%" in drawdown.inner_text()
        assert "CRITICAL" in drawdown.inner_text()
        assert "defensive" in page.locator(STATE_CARD).inner_text()
        assert "4 critical · 1 warn · 0 no data · 9 ok" in page.inner_text("body")
        assert "LIVE" in page.locator(RUN_MODE).inner_text()
        maker_share = page.locator(MAKER_SHARE_CARD).inner_text()
        assert "55.00%" in maker_share
        assert "over 100 fills" in maker_share

        page.evaluate("window.__kpiSamePage = true")
        doc = payloads.null_state_beside_drawdown()
        doc["run_mode"] = "dry_run"
        doc["router"]["maker_fill_share_fill_count"] = 1250
        publish(kpi_file, doc)
        # The page updates element by element: wait for the state card and for a card drawn
        # after the drawdown card (the maker share's count), so the whole run has arrived.
        page.wait_for_function(
            f"document.querySelector('{STATE_CARD}')?.innerText.includes('no data: invalid') && "
            f"document.querySelector('{MAKER_SHARE_CARD}')?.innerText.includes('1,250 fills')",
            timeout=30_000)
        assert page.evaluate("window.__kpiSamePage === true"), "the page was reloaded"
        assert "7.50%" in drawdown.inner_text()
        assert "WARN" in drawdown.inner_text()
        assert "null reason: invalid" in page.locator(STATE_CARD).inner_text()
        header = page.locator(RUN_MODE).inner_text()
        assert "DRY RUN" in header
        assert "not live results" in header
        assert "over 1,250 fills" in page.locator(MAKER_SHARE_CARD).inner_text()

        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot))
    assert_not_blank(shot)


TABLE = '[data-testid="stTable"]'


def put_kpis(s3: S3Env, executor: str, kind: str, run_mode: str) -> None:
    """Publish a ``kind`` payload, stamped now, as ``executor``'s mirrored kpis_v7.json."""
    doc = getattr(payloads, kind)()
    doc["ts"] = payloads.iso(time.time())
    doc["run_mode"] = run_mode
    assert validate_document(doc) == []
    s3.client.put_object(Bucket=s3.bucket, Key=f"desk/{executor}/kpis_v7.json",
                         Body=json.dumps(doc).encode())


def test_browser_sees_the_fleet_table_and_a_new_executor(s3: S3Env, tmp_path: Path) -> None:
    """`dashboard --fleet-url` in Chromium: a row per executor with its run mode, then an
    executor that publishes later appears in the same page."""
    put_kpis(s3, "acct-live", "healthy", "live")
    put_kpis(s3, "sim-1", "stressed", "dry_run")
    with dashboard_server(None, tmp_path / "server.log", refresh_s=1.0,
                          fleet_url=s3.url("desk")) as server, chromium_page() as page:
        page.goto(server.url)
        page.wait_for_function(
            f"document.querySelector('{TABLE}')?.innerText.includes('sim-1')", timeout=60_000)
        rows = page.locator(f"{TABLE} tbody tr").all_inner_texts()
        assert [[cell.strip() for cell in row.split("\t")][:3] for row in rows] == [
            ["acct-live", "LIVE", "ok"], ["sim-1", "DRY RUN", "ok"]]
        assert "4 critical, 1 warn" in rows[1]
        page.evaluate("window.__kpiSamePage = true")
        put_kpis(s3, "sim-2", "panic", "replay")
        page.wait_for_function(
            f"document.querySelector('{TABLE}')?.innerText.includes('sim-2')", timeout=30_000)
        assert page.evaluate("window.__kpiSamePage === true"), "the page was reloaded"
        assert "REPLAY" in page.locator(f"{TABLE} tbody tr").nth(2).inner_text()
        shot = tmp_path / "fleet.png"
        page.screenshot(path=str(shot))
    assert_not_blank(shot)


def assert_not_blank(png: Path) -> None:
    """A screenshot of a rendered panel: large, with contrast and many colours."""
    from PIL import Image, ImageStat  # Pillow comes with the dashboard extra (Streamlit needs it)

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (1400, 1700)
        stddev = ImageStat.Stat(rgb.convert("L")).stddev[0]
        colours = rgb.getcolors(maxcolors=1 << 20) or []
    assert stddev > 10, f"screenshot looks blank (luminance stddev {stddev:.1f})"
    assert len(colours) > 100, f"screenshot has only {len(colours)} colours"
