"""The dashboard side of the contract: a framework-free view model and a Streamlit panel.

- ``kpi_cards(reading)``: one ``KpiCard`` per KPI leaf, in schema order (text with the schema's
  unit, status, null reason); ``panel_state(path, now_ts=...)``: the cards plus the file's age,
  staleness, and a clear condition when the file is missing, torn, invalid, of another major or
  the legacy flat file (``kpi_contract.dashboard.view``).
- ``STATUS_RULES``: the one table that decides ``ok`` / ``warn`` / ``critical``, with the reasoning
  beside each row (``kpi_contract.dashboard.status_rules``).
- ``fleet_state("s3://BUCKET/PREFIX", now_ts=...)``: one ``FleetRow`` per executor under an S3
  prefix (issue 11; ``kpi_contract.dashboard.fleet_view``; reading it needs ``kpi-contract[s3]``).
- ``render_kpi_panel(path_or_reading)`` and ``render_fleet_panel(url)``: draw them in a Streamlit
  app. They need the optional extra ``pip install 'kpi-contract[dashboard]'`` and are the only
  names here that import Streamlit, on first use; the rest never does (nor boto3, until a fleet is
  read), so the executor's plain install stays free of both.
- The standalone page: ``kpi-contract dashboard [--state-dir DIR | --fleet-url s3://BUCKET/PREFIX]
  [--port N] [--refresh-s S] [--max-age-s S]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpi_contract.dashboard.fleet_view import FleetRow, FleetState, fleet_rows, fleet_state
from kpi_contract.dashboard.run_mode import RunModeView, run_mode_view
from kpi_contract.dashboard.status_rules import STATUS_RULES, Status, status_of
from kpi_contract.dashboard.view import (
    ContextField,
    KpiCard,
    PanelState,
    SampleCount,
    context_fields,
    kpi_cards,
    panel_state,
    run_mode_of,
)

if TYPE_CHECKING:
    from kpi_contract.dashboard.panel import render_fleet_panel, render_kpi_panel

__all__ = [
    "STATUS_RULES",
    "ContextField",
    "FleetRow",
    "FleetState",
    "KpiCard",
    "PanelState",
    "RunModeView",
    "SampleCount",
    "Status",
    "context_fields",
    "fleet_rows",
    "fleet_state",
    "kpi_cards",
    "panel_state",
    "render_fleet_panel",
    "render_kpi_panel",
    "run_mode_of",
    "run_mode_view",
    "status_of",
]


def __getattr__(name: str) -> Any:
    """``render_kpi_panel`` and ``render_fleet_panel`` are imported (with Streamlit) only when
    asked for."""
    if name in ("render_kpi_panel", "render_fleet_panel"):
        from kpi_contract.dashboard import panel  # noqa: PLC0415

        return getattr(panel, name)
    raise AttributeError(f"module 'kpi_contract.dashboard' has no attribute {name!r}")
