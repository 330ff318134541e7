"""How ``kpi-contract dashboard`` starts the packaged page: its settings and the ``streamlit run``
command line. Imports no Streamlit (the command checks the extra is installed before using it).

The server is bound to the loopback address, headless (no browser opened, no e-mail prompt), with
Streamlit's usage statistics off, no file watcher (the page is an installed file, not code being
edited) and a viewer's toolbar (no deploy or developer menu): the panel serves the operator's own
machine and sends nothing anywhere. To show it elsewhere, put an authenticating reverse proxy in
front; the page has no login of its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kpi_contract.dashboard.view import KPI_FILENAME
from kpi_contract.s3 import parse_s3_url
from kpi_contract.staleness import DEFAULT_MAX_AGE_S, MAX_REFRESH_S, check_positive_seconds

DEFAULT_STATE_DIR = "dashboard/state"  # the mirror's default (docs/executor.md)
DEFAULT_PORT = 8501  # Streamlit's own default
DEFAULT_REFRESH_S = 2.0
LOOPBACK = "127.0.0.1"
ENV_STATE_DIR = "KPI_DASHBOARD_STATE_DIR"
ENV_REFRESH_S = "KPI_DASHBOARD_REFRESH_S"
ENV_MAX_AGE_S = "KPI_DASHBOARD_MAX_AGE_S"
ENV_FLEET_URL = "KPI_DASHBOARD_FLEET_URL"
PAGE = Path(__file__).with_name("page.py")


@dataclass(frozen=True)
class PageSettings:
    """What the page reads and how often: ``state_dir`` (the mirror), ``refresh_s`` (seconds
    between re-reads, > 0 and at most ``MAX_REFRESH_S``), ``max_age_s`` (staleness limit in
    seconds, > 0), and ``fleet_url`` (``s3://BUCKET/PREFIX``: when set, the page shows the fleet
    table of that prefix instead of the state directory's panel)."""

    state_dir: Path
    refresh_s: float = DEFAULT_REFRESH_S
    max_age_s: float = DEFAULT_MAX_AGE_S
    fleet_url: str | None = None

    def __post_init__(self) -> None:
        check_positive_seconds(self.refresh_s, "refresh_s", MAX_REFRESH_S)  # staleness.py
        check_positive_seconds(self.max_age_s, "max_age_s")
        if self.fleet_url is not None:
            parse_s3_url(self.fleet_url)  # ValueError with a one-line reason

    @property
    def source(self) -> str:
        """What the page reads, for people: the fleet URL or the mirrored file."""
        return self.fleet_url if self.fleet_url is not None else str(self.kpi_path)

    @property
    def kpi_path(self) -> Path:
        """The mirrored ``kpis_v7.json`` inside ``state_dir``."""
        return self.state_dir / KPI_FILENAME

    def environ(self) -> dict[str, str]:
        """The environment variables that carry these settings to the page."""
        settings = {ENV_STATE_DIR: str(self.state_dir), ENV_REFRESH_S: repr(self.refresh_s),
                    ENV_MAX_AGE_S: repr(self.max_age_s)}
        if self.fleet_url is not None:
            settings[ENV_FLEET_URL] = self.fleet_url
        return settings

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> PageSettings:
        """Settings from ``environ`` (default ``os.environ``); ValueError names a bad variable."""
        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for name, var, default in (("refresh_s", ENV_REFRESH_S, DEFAULT_REFRESH_S),
                                   ("max_age_s", ENV_MAX_AGE_S, DEFAULT_MAX_AGE_S)):
            try:
                values[name] = float(env.get(var, default))
            except ValueError as exc:
                raise ValueError(f"{var}={env[var]!r} is not a number of seconds") from exc
        return cls(Path(env.get(ENV_STATE_DIR, DEFAULT_STATE_DIR)), **values,
                   fleet_url=env.get(ENV_FLEET_URL) or None)


def streamlit_command(port: int, python: str = sys.executable) -> list[str]:
    """``streamlit run <page>`` (through ``kpi_contract.dashboard.serve``, which warms the panel
    first) bound to loopback ``port``, headless, no telemetry."""
    return [
        python, "-m", "kpi_contract.dashboard.serve", "run", str(PAGE),
        "--server.headless", "true",
        "--server.address", LOOPBACK,
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]
