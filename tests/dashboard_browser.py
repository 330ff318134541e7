"""A real browser on the real page: ``kpi-contract dashboard`` served on loopback, Debian's
Chromium driven by Playwright's Python client (no browser download: the system binary is used).

Shared by the browser test and ``scripts/bench_dashboard.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
# Flags for a root, sandbox-less, network-less machine: no GPU, QUIC, first-run UI, background
# networking, component updates or sync (each would try to reach the outside).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
METRIC = '[data-testid="stMetric"]'
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port free on the loopback address right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``kpi-contract dashboard``: its process, URL and log file."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def dashboard_server(
    state_dir: Path | None, log: Path, *, refresh_s: float = 1.0, timeout_s: float = 90.0,
    fleet_url: str | None = None,
) -> Iterator[Server]:
    """Start ``python -m kpi_contract dashboard`` on a free loopback port (on ``state_dir``, or
    with ``--fleet-url`` on ``fleet_url``); stop it on exit. The server inherits this process's
    environment (the AWS variables of the S3 test server among them)."""
    port = free_port()
    source = ["--fleet-url", fleet_url] if fleet_url else ["--state-dir", str(state_dir)]
    command = [sys.executable, "-m", "kpi_contract", "dashboard", *source,
               "--port", str(port), "--refresh-s", str(refresh_s)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}/", log)
    try:
        _wait_healthy(server, timeout_s)
        yield server
    finally:
        _stop(process)


def _wait_healthy(server: Server, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"dashboard exited {server.process.returncode}: "
                               f"{server.log_text()}")
        try:
            with urllib.request.urlopen(server.url + "_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"dashboard not healthy after {timeout_s} s: {server.log_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's own process group (started in a new session), then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 1700) -> Iterator[Page]:
    """A Playwright page in Debian's Chromium with a fresh, empty profile directory."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kpi-chromium-") as profile, \
            sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def listening_addresses(port: int) -> set[str]:
    """The local IPv4/IPv6 addresses (hex, as in /proc/net/tcp*) with a socket listening on
    ``port``."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            for line in list(handle)[1:]:
                fields = line.split()
                address, hex_port = fields[1].rsplit(":", 1)
                if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                    found.add(address)
    return found
