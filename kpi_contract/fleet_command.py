"""``kpi-contract fleet URL [--format table|json] [--max-age S]``: every executor's KPIs (issue 11).

Exit codes (the CLI's own: 0 ok, 1 invalid, 2 usage/IO):

- 0: every executor under the prefix has a valid kpis_v7.json (fresh or stale: staleness is
  shown, it is not an error);
- 1: at least one executor's document could not be read or is invalid (each reason is one line
  on stderr and in the table), or no executor has published under the prefix;
- 2: the store could not be listed: no such bucket, credentials missing or refused, endpoint
  unreachable or timing out, a malformed URL, or boto3 missing (``kpi-contract[s3]``). One line
  on stderr, ``URL::$: reason``. Also a ``--max-age`` that is not a finite number of seconds
  above zero (``nan``, ``inf``, ``0``, ``-5``: ``kpi_contract.staleness``), refused before the
  store is contacted.

``--format json`` is strict JSON (``allow_nan=False``): never a ``NaN`` or ``Infinity`` token.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from kpi_contract.console import say, warn
from kpi_contract.errors import MAX_NAME_CHARS, one_line
from kpi_contract.fleet import FleetEntry, read_fleet
from kpi_contract.s3 import MissingExtraError, RemoteStoreError
from kpi_contract.staleness import DEFAULT_MAX_AGE_S, seconds_argument

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def register(commands: Any) -> None:
    """Add the ``fleet`` subcommand to the CLI's subparsers."""
    fleet = commands.add_parser(
        "fleet", help="read every executor's kpis_v7.json under s3://BUCKET/PREFIX"
    )
    fleet.add_argument(
        "url", metavar="URL", help="s3://BUCKET/PREFIX (one sub-prefix per executor)"
    )
    fleet.add_argument("--format", choices=("table", "json"), default="table")
    fleet.add_argument(
        "--max-age", type=seconds_argument, default=DEFAULT_MAX_AGE_S, metavar="S",
        help=f"a reading older than S seconds is stale: a finite number > 0 (default: "
             f"{DEFAULT_MAX_AGE_S:g})",
    )
    fleet.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List, read and print the fleet; see the module docstring for exit codes."""
    now_ts = time.time()
    try:
        entries = read_fleet(args.url, now_ts=now_ts, max_age_s=args.max_age)
    except ValueError as exc:
        warn(f"kpi-contract fleet: error: {exc}")
        return EXIT_USAGE
    except MissingExtraError as exc:
        warn(f"kpi-contract fleet: error: {exc}")
        return EXIT_USAGE
    except RemoteStoreError as exc:
        warn(str(exc))
        return EXIT_USAGE
    for entry in entries:
        if entry.error is not None:
            warn(entry.error)
    if not entries:
        warn(f"{args.url}::$: no executor has published under this prefix")
    if args.format == "json":
        say(json.dumps(_json_report(args.url, now_ts, args.max_age, entries), indent=2,
                       allow_nan=False))
    else:
        say(_table(entries))
    failed = not entries or any(entry.reading is None for entry in entries)
    return EXIT_INVALID if failed else EXIT_OK


def _json_report(
    url: str, now_ts: float, max_age_s: float, entries: list[FleetEntry]
) -> dict[str, Any]:
    return {
        "url": url,
        "now_ts": now_ts,
        "max_age_s": max_age_s,
        "executors": [
            {
                "executor_id": e.executor_id,
                "url": e.url,
                "status": e.status,
                "age_s": e.age_s,
                "stale": e.stale,
                "schema_version": e.reading.schema_version if e.reading else None,
                "kpis": e.reading.kpis.model_dump(mode="json") if e.reading else None,
                "error": e.error,
            }
            for e in entries
        ],
    }


#: A cell's longest text (an executor id is a key prefix of any length): two such cells and the
#: short ones fit one line of ``MAX_LINE_CHARS``.
_CELL_CHARS = MAX_NAME_CHARS
_COLUMNS = ("EXECUTOR", "STATUS", "AGE_S", "TS", "NAV_TOTAL", "DD_STATE", "ROUTER", "REASON")


def _table(entries: list[FleetEntry]) -> str:
    """Aligned columns; a null KPI shows as ``-`` (no data), never as a healthy default. Every
    cell has its control characters escaped: an executor id is a key prefix anyone with write
    access to the store chose, and a newline or ESC in it must not break the table or reach
    the terminal."""
    rows = [_COLUMNS, *(tuple(one_line(c, _CELL_CHARS) for c in _row(e)) for e in entries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]
    return "\n".join(
        one_line("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)),
                            row[-1]]).rstrip())
        for row in rows
    )


def _row(entry: FleetEntry) -> tuple[str, ...]:
    if entry.reading is None:
        reason = (entry.error or "").split("::", 1)[-1].removeprefix("$: ")
        return (entry.executor_id, entry.status, "-", "-", "-", "-", "-", reason)
    kpis = entry.reading.kpis
    nav = kpis.nav.nav_total
    dd = kpis.risk.dd_state.state if kpis.risk.dd_state is not None else None
    age = entry.age_s
    return (
        entry.executor_id,
        entry.status,
        "-" if age is None else f"{age:.1f}",
        kpis.ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "-" if nav is None else f"{nav:.2f}",
        dd or "-",
        kpis.router.policy_quality or "-",
        "",
    )
