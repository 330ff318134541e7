"""The dashboard side of the contract: a framework-free view model and a Streamlit panel.

- ``kpi_cards(reading)``: one ``KpiCard`` per KPI leaf, in schema order (text with the schema's
  unit, status, null reason); ``panel_state(path, now_ts=...)``: the cards plus the file's age,
  staleness, and a clear condition when the file is missing, torn, invalid, of another major or
  the legacy flat file (``kpi_contract.dashboard.view``).
- ``STATUS_RULES``: the one table that decides ``ok`` / ``warn`` / ``critical``, with the reasoning
  beside each row (``kpi_contract.dashboard.status_rules``).
- ``render_kpi_panel(path_or_reading)``: draws the panel in a Streamlit app. It needs the optional
  extra ``pip install 'kpi-contract[dashboard]'`` and is the only name here that imports Streamlit,
  on first use; the rest never does, so the executor's plain install stays free of it.
- The standalone page: ``kpi-contract dashboard [--state-dir DIR] [--port N] [--refresh-s S]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    from kpi_contract.dashboard.panel import render_kpi_panel

__all__ = [
    "STATUS_RULES",
    "ContextField",
    "KpiCard",
    "PanelState",
    "RunModeView",
    "SampleCount",
    "Status",
    "context_fields",
    "kpi_cards",
    "panel_state",
    "render_kpi_panel",
    "run_mode_of",
    "run_mode_view",
    "status_of",
]


def __getattr__(name: str) -> Any:
    """``render_kpi_panel`` is imported (with Streamlit) only when asked for."""
    if name == "render_kpi_panel":
        from kpi_contract.dashboard.panel import render_kpi_panel  # noqa: PLC0415

        return render_kpi_panel
    raise AttributeError(f"module 'kpi_contract.dashboard' has no attribute {name!r}")
