"""Per-loop publishing of the executor's state files, ``kpis_v7.json`` included.

Every executor loop calls ``publish_state(state_dir, now_ts, snapshots)`` with the snapshot
objects it already has. It writes, in this order, under the state directory (default
``logs/state/``): ``nav.json``, ``positions.json``, ``router.json``, ``risk.json`` (each the
snapshot as it is, through the package's durable atomic writer) and ``kpis_v7.json``.

The kpis_v7.json contract
-------------------------
``kpis_v7.json`` is the consolidated KPI file: ``schema_version``, ``ts``, ``run_mode``, ``nav``,
``risk``, ``router``, ``performance`` (the last two with the sample counts of 7.1.0) and ``nulls``,
every key always present, a KPI ``null`` when there is no clean source for it (``nulls`` then
says why: ``missing``, ``invalid`` or ``out_of_range``). Its
JSON Schema (``schemas/kpis_v7.schema.json``, version 7.x) is the contract; ``kpi_contract.build``
fills it from the NAV health, risk, router and expectancy snapshots, and the exact bytes are
validated against the schema before they are written. Its consumers are the dashboard's KPI panels
and the investor view, which read the mirrored copy that ``execution.sync_state`` maintains.
This module is the only writer of ``kpis_v7.json``.

Failures never reach the loop: an invalid KPI payload, a full disk or a read-only directory
becomes a failed ``WriteResult`` in the returned ``PublishReport`` (logged here, counted by the
caller), the previous file stays byte-identical, and the other files are still written. A
snapshot that is None this loop is skipped: its last published file stays as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from execution.snapshots import StateSnapshots
from execution.state_files import KPI_FILE, NAV_FILE, POSITIONS_FILE, RISK_FILE, ROUTER_FILE
from kpi_contract.build import RunMode, build_kpis_v7
from kpi_contract.models import KpisV7
from kpi_contract.publish import publish_kpis
from kpi_contract.writer import WriteResult, write_json

log = logging.getLogger("execution.state_publish")


@dataclass(frozen=True)
class PublishReport:
    """The outcome of one loop's publish: one result per file written or attempted."""

    results: tuple[WriteResult, ...]
    kpis: KpisV7 | None
    skipped: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[WriteResult, ...]:
        """The writes that did not happen (or whose durability is in doubt)."""
        return tuple(r for r in self.results if not r.ok)

    @property
    def ok(self) -> bool:
        """True when every attempted file was written."""
        return not self.failures

    @property
    def null_count(self) -> int | None:
        """How many KPIs are null in the built payload (None if it could not be built)."""
        return None if self.kpis is None else len(self.kpis.nulls)


def publish_state(
    state_dir: Path,
    now_ts: float,
    snapshots: StateSnapshots,
    *,
    dir_fd: int | None = None,
    run_mode: RunMode | None = None,
) -> PublishReport:
    """Write the four snapshot files and ``kpis_v7.json``; never raises on a failed write.

    ``dir_fd``: the state directory held open by the executor; every write goes relative to it
    (``state_dir`` then only names the files in messages). A state file that is a symbolic link
    is not written through (a failed, counted result says so; see ``writer.write_atomic``).
    ``run_mode`` is what produced the snapshots (``execution.run_mode``), written into
    ``kpis_v7.json``; None publishes ``run_mode: null`` (reason ``missing``).
    """
    results: list[WriteResult] = []
    skipped: list[str] = []
    for name, snapshot in (
        (NAV_FILE, snapshots.nav_state),
        (POSITIONS_FILE, snapshots.positions),
        (ROUTER_FILE, snapshots.router),
        (RISK_FILE, snapshots.risk),
    ):
        if snapshot is None:
            skipped.append(name)
            continue
        results.append(write_json(state_dir / name, snapshot, dir_fd=dir_fd))
    kpis, kpi_result = _publish_kpis(state_dir / KPI_FILE, now_ts, snapshots, dir_fd, run_mode)
    results.append(kpi_result)
    for result in results:
        if not result.ok:
            log.error("publish failed: %s", result.describe())
    return PublishReport(tuple(results), kpis, tuple(skipped))


def _publish_kpis(
    path: Path,
    now_ts: float,
    snapshots: StateSnapshots,
    dir_fd: int | None,
    run_mode: RunMode | None,
) -> tuple[KpisV7 | None, WriteResult]:
    try:
        kpis = build_kpis_v7(
            now_ts, snapshots.kpi_nav, snapshots.risk, snapshots.router, snapshots.expectancy,
            run_mode=run_mode,
        )
    except Exception as exc:  # the loop must never die because of KPI publishing
        error = f"{path}: not written, KPIs could not be built: {type(exc).__name__}: {exc}"
        return None, WriteResult.failure(path, error)
    return kpis, publish_kpis(path, kpis, dir_fd=dir_fd)
