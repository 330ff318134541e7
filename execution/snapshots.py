"""``StateSnapshots``: the snapshot objects one executor loop has in hand.

Each field is whatever the executor (or the simulation, or a replayed file) produced, in the real
shapes of SPEC.md section 4, or None when there is none. ``state_publish`` writes the first five as
state files and builds ``kpis_v7.json`` from ``nav_health``, ``risk``, ``router`` and
``expectancy``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StateSnapshots:
    """One loop's snapshots; None means "not available this loop"."""

    nav_health: object = None
    """``nav_health_snapshot()``: the NAV input of the KPI builder (has age and sources_ok)."""
    nav_state: object = None
    """``logs/state/nav.json`` as the executor writes it."""
    positions: object = None
    router: object = None
    """``router_health.json`` (variant A or B)."""
    risk: object = None
    """``RiskEngineV6`` risk snapshot."""
    expectancy: object = None
    """``expectancy_v6.json`` (optional; None when intel is off)."""

    @property
    def kpi_nav(self) -> object:
        """The NAV snapshot for the KPI builder: the health snapshot, else nav.json."""
        return self.nav_health if self.nav_health is not None else self.nav_state
