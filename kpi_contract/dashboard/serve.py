"""The dashboard server process: warm the panel, then hand over to Streamlit's own command line.

``kpi-contract dashboard`` runs ``python -m kpi_contract.dashboard.serve run <page> <options>``.
Before Streamlit starts, the panel's modules (pydantic models, the schema) are imported and the
mirrored file is read once (which compiles the validator), so the first visitor's page does not
pay those costs while the cards are awaited (``scripts/bench_dashboard.py`` measures it). For a
fleet (``--fleet-url``) the S3 client is made (boto3's import and set-up, about 100 ms) and the
validator compiled on the packaged example; the store itself is not contacted before the page
asks.
Everything after that is what ``python -m streamlit`` does.
"""

from __future__ import annotations

import contextlib
import json
import time

from streamlit.web.cli import main as streamlit_main

from kpi_contract.dashboard import panel
from kpi_contract.dashboard.launch import PageSettings
from kpi_contract.dashboard.view import panel_state
from kpi_contract.errors import KpiContractError
from kpi_contract.fleet import DEFAULT_WORKERS
from kpi_contract.reader import reading_from_bytes
from kpi_contract.s3 import ClientSettings, shared_client
from kpi_contract.schema import load_schema

__all__ = ["main", "panel", "warm_up"]


def warm_up() -> None:
    """Read the configured KPI file once (the result is discarded; any condition is fine), or
    for a fleet make the S3 client that ``read_fleet`` will use."""
    settings = PageSettings.from_environ()
    if settings.fleet_url is None:
        panel_state(settings.kpi_path, now_ts=time.time(), max_age_s=settings.max_age_s)
        return
    example = json.dumps(load_schema()["examples"][0]).encode()
    reading_from_bytes(example, name="(warm-up)")  # compiles the validator
    with contextlib.suppress(KpiContractError):  # boto3 missing: the page will say so
        shared_client(ClientSettings(max_pool_connections=max(DEFAULT_WORKERS, 10)))


def main() -> None:
    """Warm up, then run Streamlit's CLI on this process's arguments."""
    warm_up()
    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
