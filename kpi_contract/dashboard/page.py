"""The standalone KPI page, run by ``kpi-contract dashboard`` through ``streamlit run``.

Settings come from the environment, set by the command (``kpi_contract.dashboard.launch``):
``KPI_DASHBOARD_STATE_DIR`` (the mirrored state directory, default ``dashboard/state``),
``KPI_DASHBOARD_FLEET_URL`` (``s3://BUCKET/PREFIX``: show the fleet table of that prefix instead),
``KPI_DASHBOARD_REFRESH_S`` (seconds between re-reads, default 2) and ``KPI_DASHBOARD_MAX_AGE_S``
(the staleness limit, default 120). The panel sits in a fragment with ``run_every``: only it
re-runs every few seconds, the page is never reloaded.
"""

from __future__ import annotations

import streamlit as st

from kpi_contract.dashboard.launch import PageSettings
from kpi_contract.dashboard.panel import render_fleet_panel, render_kpi_panel

settings = PageSettings.from_environ()

st.set_page_config(page_title="kpis_v7 KPIs", layout="wide")
st.title("Executor fleet KPIs" if settings.fleet_url else "Executor KPIs")
st.caption(f"Reading `{settings.source}` every {settings.refresh_s:g} s · "
           f"stale after {settings.max_age_s:g} s")


@st.fragment(run_every=settings.refresh_s)
def live_panel() -> None:
    """Re-read the mirrored file (or the fleet) and redraw the panel (only this fragment
    re-runs)."""
    if settings.fleet_url is not None:
        render_fleet_panel(settings.fleet_url, max_age_s=settings.max_age_s)
    else:
        render_kpi_panel(settings.kpi_path, max_age_s=settings.max_age_s)


live_panel()
