"""The fleet table's view model, free of any UI framework: one row per executor (issue 11).

``fleet_state("s3://BUCKET/PREFIX", now_ts=..., max_age_s=...)`` reads every executor's mirrored
``kpis_v7.json`` under the prefix with ``kpi_contract.fleet.read_fleet`` (the same checks as
``read_kpis``) and says what the fleet panel shows: one ``FleetRow`` per executor (id, run mode,
status, age, NAV, drawdown state and fraction, router quality, the worst KPI status, or the reason
it could not be read) and a one-line summary. It never raises for the store: a prefix that cannot
be listed (no such bucket, credentials refused, endpoint unreachable, a malformed URL, boto3 not
installed) is the ``error`` condition with the store's one-line reason, and a prefix nobody
published under is ``empty``.

The cells come from the same cards as the single-executor panel (``view.kpi_cards``), so a null
KPI reads ``no data: <reason>`` here too, never a default. boto3 is imported only when a fleet is
read (``kpi_contract.s3``), never when this module is imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kpi_contract.dashboard.formatting import format_age
from kpi_contract.dashboard.run_mode import RunModeView
from kpi_contract.dashboard.status_rules import STATUSES, Status, worst
from kpi_contract.dashboard.view import KpiCard, context_fields, kpi_cards, run_mode_of
from kpi_contract.errors import KpiContractError
from kpi_contract.fleet import FleetEntry, read_fleet
from kpi_contract.reader import DEFAULT_MAX_AGE_S, KpiReading
from kpi_contract.staleness import check_clock, check_positive_seconds

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

FleetCondition = Literal["ok", "empty", "error"]

# The KPI columns of the table: (column title, the card's path).
KPI_COLUMNS: tuple[tuple[str, str], ...] = (
    ("NAV", "nav.nav_total"),
    ("Drawdown state", "risk.dd_state.state"),
    ("Drawdown", "risk.dd_state.drawdown_frac"),
    ("Router quality", "router.policy_quality"),
)
COLUMNS: tuple[str, ...] = ("Executor", "Run mode", "Status", "Age", *(t for t, _ in KPI_COLUMNS),
                            "KPIs", "Reason")


@dataclass(frozen=True)
class FleetRow:
    """One executor as the fleet table shows it.

    ``status``: ``ok``, ``stale`` or ``error`` (``read_fleet``'s); ``run_mode``: the header item
    of its payload (None when unreadable); ``age_s``: seconds since its ``ts``; ``cards``: its KPI
    cards (empty when unreadable); ``kpi_status``: the most urgent card status, ``critical`` when
    it could not be read; ``reason``: why it could not be read (one line), else None.
    """

    executor_id: str
    url: str
    status: str
    run_mode: RunModeView | None
    age_s: float | None
    cards: tuple[KpiCard, ...]
    kpi_status: Status
    reason: str | None
    reading: KpiReading | None

    @property
    def cells(self) -> dict[str, str]:
        """The row's text per column of ``COLUMNS`` (KPI cells empty when unreadable: the
        reason column says why)."""
        by_path = {card.path: card for card in self.cards}
        kpis = {title: by_path[path].text if path in by_path else ""
                for title, path in KPI_COLUMNS}
        return {
            "Executor": self.executor_id,
            "Run mode": "" if self.run_mode is None else self.run_mode.title,
            "Status": self.status.upper() if self.status != "ok" else "ok",
            "Age": "" if self.age_s is None else format_age(self.age_s),
            **kpis,
            "KPIs": self.kpi_summary,
            "Reason": self.reason or "",
        }

    @property
    def kpi_summary(self) -> str:
        """``2 critical, 1 warn`` (the statuses other than ok), ``ok``, or ``unreadable``."""
        if self.reading is None:
            return "unreadable"
        counts = {s: sum(card.status == s for card in self.cards) for s in STATUSES}
        parts = [f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n and s != "ok"]
        return ", ".join(parts) or "ok"


@dataclass(frozen=True)
class FleetState:
    """Everything the fleet panel shows for one read of the prefix.

    ``condition``: ``ok`` (the prefix was listed and has executors), ``empty`` (nobody published
    under it) or ``error`` (it could not be listed; ``message`` says why); ``rows``: one per
    executor, sorted by id; ``status_counts``: rows per ``ok`` / ``stale`` / ``error``.
    """

    url: str
    condition: FleetCondition
    message: str
    rows: tuple[FleetRow, ...] = ()
    max_age_s: float = DEFAULT_MAX_AGE_S

    @property
    def status_counts(self) -> Mapping[str, int]:
        """How many executors are ``ok``, ``stale`` and ``error``."""
        return {s: sum(row.status == s for row in self.rows) for s in ("ok", "stale", "error")}


def fleet_rows(entries: Sequence[FleetEntry]) -> tuple[FleetRow, ...]:
    """A row per ``read_fleet`` entry, in the entries' order."""
    return tuple(_row(entry) for entry in entries)


def fleet_state(
    url: str,
    *,
    now_ts: float | None = None,
    max_age_s: float = DEFAULT_MAX_AGE_S,
    client: S3Client | None = None,
) -> FleetState:
    """Read the fleet under ``url`` (``s3://BUCKET/PREFIX``) and describe the panel; never raises
    for the store or the URL (the ``error`` condition carries the one-line reason). ``now_ts``
    (epoch seconds, the caller's clock) gives ages and staleness; without it both are None.
    ValueError, raised, for a clock or a ``max_age_s`` that ``kpi_contract.staleness`` refuses
    (a caller's bug, not the store's: a NaN limit would show every executor fresh)."""
    now_ts = check_clock(now_ts)
    max_age_s = check_positive_seconds(max_age_s)
    try:
        entries = read_fleet(url, now_ts=now_ts, max_age_s=max_age_s, client=client)
    except (KpiContractError, ValueError) as exc:
        return FleetState(url, "error", str(exc), max_age_s=max_age_s)
    if not entries:
        return FleetState(url, "empty", f"No executor has published under {url} (is the "
                          "mirror's --mirror-url this prefix?)", max_age_s=max_age_s)
    rows = fleet_rows(entries)
    counts = {s: sum(row.status == s for row in rows) for s in ("ok", "stale", "error")}
    noun = "executor" if len(rows) == 1 else "executors"
    message = (f"{len(rows)} {noun} under {url}: {counts['ok']} ok, {counts['stale']} stale "
               f"(older than {format_age(max_age_s)}), {counts['error']} unreadable")
    return FleetState(url, "ok", message, rows, max_age_s)


def _row(entry: FleetEntry) -> FleetRow:
    if entry.reading is None:
        reason = (entry.error or "").split("::", 1)[-1].removeprefix("$: ")
        return FleetRow(entry.executor_id, entry.url, entry.status, None, None, (), "critical",
                        reason or "unreadable", None)
    cards = kpi_cards(entry.reading)
    return FleetRow(
        entry.executor_id, entry.url, entry.status, run_mode_of(context_fields(entry.reading)),
        entry.age_s, cards, worst([card.status for card in cards]), None, entry.reading)
