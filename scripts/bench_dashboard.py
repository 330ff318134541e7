"""Dashboard benchmark (issue 8): page load to the KPI cards visible, in a real browser.

    .venv/bin/python scripts/bench_dashboard.py [--loads N]

The dry-run executor fills a state directory and its mirror (``--loops 3 --interval 0.2``), then
``kpi-contract dashboard`` serves the mirror on a free loopback port and Debian's Chromium
(``/usr/bin/chromium``, driven by Playwright) loads the page: the first load with a fresh profile
(cold cache), then ``N`` reloads (warm). Figures come from the browser's own clock
(``performance.now()``, so nothing of the harness is in them): from navigation start, and from the
page's load event (Streamlit's JavaScript loaded and run), to the moment all 14 KPI cards are in
the page. Target: the cards within a second of the page loading (the second figure).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a file: make `tests` importable

from tests.dashboard_browser import (  # noqa: E402
    CHROMIUM,
    METRIC,
    chromium_page,
    dashboard_server,
)

CARDS = 14
CARDS_VISIBLE = (
    f"() => document.querySelectorAll('{METRIC}').length === {CARDS} ? performance.now() : false"
)
LOAD_EVENT_END = "() => performance.getEntriesByType('navigation')[0].loadEventEnd"


def fill_state(work: Path) -> Path:
    """Run the dry-run executor for 3 loops; return the mirror directory it filled."""
    state, mirror = work / "state", work / "mirror"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BINANCE_TESTNET": "1", "DRY_RUN": "1"}
    subprocess.run(
        [sys.executable, "execution/executor_live.py", "--loops", "3", "--interval", "0.2",
         "--state-dir", str(state), "--mirror-dir", str(mirror)],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
    )
    return mirror


def main(argv: list[str] | None = None) -> int:
    """Print one line: cold and warm page-load-to-cards times in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", type=int, default=10, help="warm reloads (default 10)")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"bench_dashboard: {CHROMIUM} is absent: apt-get install chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kpi-bench-dashboard-") as scratch:
        work = Path(scratch)
        mirror = fill_state(work)
        with dashboard_server(mirror, work / "server.log", refresh_s=2.0) as server, \
                chromium_page() as page:
            timings: list[tuple[float, float]] = []  # (navigation -> cards, load -> cards), ms
            for load in range(args.loads + 1):
                if load == 0:
                    page.goto(server.url)
                else:
                    page.reload()
                cards = float(page.wait_for_function(CARDS_VISIBLE, timeout=60_000).json_value())
                timings.append((cards, cards - float(page.evaluate(LOAD_EVENT_END))))
    (cold_nav, cold_load), warm = timings[0], timings[1:]
    warm_nav, warm_load = [t[0] for t in warm], [t[1] for t in warm]
    print(f"dashboard ({CARDS} KPI cards, Chromium, mirror filled by the dry-run executor): "
          f"load event -> cards cold {cold_load:.0f} ms, warm median "
          f"{statistics.median(warm_load):.0f} ms (max {max(warm_load):.0f}); navigation start "
          f"-> cards cold {cold_nav:.0f} ms, warm median {statistics.median(warm_nav):.0f} ms "
          f"(max {max(warm_nav):.0f}); {len(warm)} reloads; target: load -> cards <= 1000 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
