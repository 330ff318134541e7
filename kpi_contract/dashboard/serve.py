"""The dashboard server process: warm the panel, then hand over to Streamlit's own command line.

``kpi-contract dashboard`` runs ``python -m kpi_contract.dashboard.serve run <page> <options>``.
Before Streamlit starts, the panel's modules (pydantic models, the schema) are imported and the
mirrored file is read once (which compiles the validator), so the first visitor's page does not
pay those costs while the cards are awaited (``scripts/bench_dashboard.py`` measures it).
Everything after that is what ``python -m streamlit`` does.
"""

from __future__ import annotations

import time

from streamlit.web.cli import main as streamlit_main

from kpi_contract.dashboard import panel
from kpi_contract.dashboard.launch import PageSettings
from kpi_contract.dashboard.view import panel_state

__all__ = ["main", "panel", "warm_up"]


def warm_up() -> None:
    """Read the configured KPI file once (the result is discarded; any condition is fine)."""
    settings = PageSettings.from_environ()
    panel_state(settings.kpi_path, now_ts=time.time(), max_age_s=settings.max_age_s)


def main() -> None:
    """Warm up, then run Streamlit's CLI on this process's arguments."""
    warm_up()
    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
