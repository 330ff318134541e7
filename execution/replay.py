"""Replay: publish from recorded snapshot files instead of the simulation.

A replay directory holds what a real deployment recorded, under the executor's own file names or
the names ``state_publish`` writes (the first one present is used):

=============  ==============================================================
NAV            ``nav_health.json`` (``nav_health_snapshot()``), ``nav.json``, ``nav_state.json``
risk           ``risk_snapshot.json``, ``risk.json``
router         ``router_health.json``, ``router.json``
expectancy     ``expectancy_v6.json`` (optional)
positions      ``positions.json`` (optional)
=============  ==============================================================

The files are re-read every loop, so a replay can follow a directory that is still being written.
Each is read by ``kpi_contract.jsonio`` (regular files of at most 16 MiB, opened without blocking,
strict JSON: no duplicate key, finite doubles only, at most 64 levels deep). A missing,
unreadable, oversized, non-regular (FIFO, device) or corrupt file becomes a None snapshot: its
KPIs are null (``missing``) and its state file is not rewritten; the problem is logged once (one
short line), not every loop, and the loop goes on.

A recorded NAV's own age (``nav_age_s`` / ``age_s`` / ``age``: the builder's ``AGE_KEYS``) is
dropped from the NAV the KPI builder reads (the state file ``nav.json`` is republished as
recorded), since it gave the age when the recording was made and a replay runs
on the wall clock (docs/executor.md). The builder then takes the age from the recording's timestamp
(``cache_ts``, ``updated_ts``, ...) against the wall clock, so an old recording shows an old NAV;
a recording with an age but no timestamp publishes ``nav_age_s: null`` (``missing``), never the
stale figure as if it were current.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from execution.snapshots import StateSnapshots
from kpi_contract import jsonio
from kpi_contract._nav import AGE_KEYS

log = logging.getLogger("execution.replay")

NAV_HEALTH_NAMES: Final = ("nav_health.json",)
NAV_STATE_NAMES: Final = ("nav.json", "nav_state.json")
RISK_NAMES: Final = ("risk_snapshot.json", "risk.json")
ROUTER_NAMES: Final = ("router_health.json", "router.json")
EXPECTANCY_NAMES: Final = ("expectancy_v6.json",)
POSITIONS_NAMES: Final = ("positions.json",)


class ReplaySource:
    """Reads one loop's snapshots from a directory of recorded files."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._reported: set[str] = set()

    def read(self) -> StateSnapshots:
        """The recorded snapshots; None for each one that is missing or unusable."""
        problems: list[str] = []
        nav_health = self._load(NAV_HEALTH_NAMES, problems, required=False)
        nav_state = self._load(NAV_STATE_NAMES, problems, required=False)
        snapshots = StateSnapshots(
            # The builder's NAV (``kpi_nav``: the health snapshot, else nav.json) without its
            # recorded age; nav.json itself is republished as recorded.
            nav_health=_without_recorded_age(nav_health if nav_health is not None else nav_state),
            nav_state=nav_state,
            positions=self._load(POSITIONS_NAMES, problems, required=False),
            router=self._load(ROUTER_NAMES, problems),
            risk=self._load(RISK_NAMES, problems),
            expectancy=self._load(EXPECTANCY_NAMES, problems, required=False),
        )
        if snapshots.kpi_nav is None:
            names = ", ".join(NAV_HEALTH_NAMES + NAV_STATE_NAMES)
            problems.append(f"{self.directory}: no NAV snapshot ({names})")
        for problem in problems:
            if problem not in self._reported:
                log.warning("replay: %s", problem)
        self._reported = set(problems)
        return snapshots

    def _load(self, names: tuple[str, ...], problems: list[str], required: bool = True) -> object:
        for name in names:
            path = self.directory / name
            try:
                return jsonio.load(path)
            except jsonio.JsonInputError as exc:
                if exc.kind == "missing":
                    continue
                problems.append(f"{path}: {exc.reason}; using no snapshot")
                return None
        if required:
            problems.append(f"{self.directory}: none of {', '.join(names)}; using no snapshot")
        return None


def _without_recorded_age(nav: object) -> object:
    """A recorded NAV snapshot without the age it had when recorded (``AGE_KEYS``); any other
    value as it is."""
    if isinstance(nav, dict) and any(key in nav for key in AGE_KEYS):
        return {key: value for key, value in nav.items() if key not in AGE_KEYS}
    return nav
