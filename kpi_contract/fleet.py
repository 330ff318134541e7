"""The fleet reader: the latest kpis_v7 reading of every executor under one S3 prefix (issue 11).

Layout (written by ``execution.sync_state --mirror-url s3://BUCKET/PREFIX``): each executor has
its own key prefix ``PREFIX/EXECUTOR_ID/`` holding its mirrored state files, among them
``kpis_v7.json``. ``read_fleet`` lists the executor prefixes (one ``ListObjectsV2`` with
``Delimiter="/"`` per 1,000 executors), fetches each executor's ``kpis_v7.json`` (concurrently,
``workers`` at a time) and checks its bytes with ``reader.reading_from_bytes``, the very function
``read_kpis`` uses for a local file: same projection, validation, versions and staleness.

One executor that cannot be read (no ``kpis_v7.json`` yet, invalid, another major, a failed
request) is an entry with the reason; it never hides the others. A store that cannot be listed
at all (no such bucket, credentials refused, endpoint unreachable) raises RemoteStoreError.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpi_contract.errors import KpiContractError
from kpi_contract.reader import DEFAULT_MAX_AGE_S, KpiReading, reading_from_bytes
from kpi_contract.s3 import ClientSettings, S3Url, call, fetch_bytes, parse_s3_url, shared_client
from kpi_contract.staleness import check_clock, check_positive_seconds

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

KPI_OBJECT = "kpis_v7.json"
DEFAULT_WORKERS = 16


@dataclass(frozen=True)
class FleetEntry:
    """One executor: its id, the object read, and either a reading or the reason there is none.

    ``age_s`` (seconds, ``now_ts - ts``) and ``stale`` come from the reading and are None without
    one or without a clock; ``status`` is ``ok``, ``stale`` or ``error``.
    """

    executor_id: str
    url: str
    reading: KpiReading | None
    error: str | None

    @property
    def age_s(self) -> float | None:
        """Seconds since the document's ``ts``; None without a reading or a clock."""
        return self.reading.age_s if self.reading is not None else None

    @property
    def stale(self) -> bool | None:
        """``age_s > max_age_s``; None without a reading or a clock."""
        return self.reading.stale if self.reading is not None else None

    @property
    def status(self) -> str:
        """``error`` without a reading, ``stale`` when stale, else ``ok``."""
        if self.reading is None:
            return "error"
        return "stale" if self.reading.stale else "ok"


def read_fleet(
    url: str,
    *,
    now_ts: float | None = None,
    max_age_s: float = DEFAULT_MAX_AGE_S,
    client: S3Client | None = None,
    workers: int = DEFAULT_WORKERS,
) -> list[FleetEntry]:
    """Every executor under ``s3://BUCKET/PREFIX``, sorted by executor id.

    ``now_ts``: the caller's clock (epoch seconds, finite) or None (no ages, no staleness);
    ``max_age_s``: the staleness limit (seconds, finite, > 0). ValueError for a malformed URL, a
    clock or a limit ``kpi_contract.staleness`` refuses (before the store is contacted: a NaN
    limit would show every executor fresh); RemoteStoreError when the prefix cannot be listed. An
    empty list means no executor has published under the prefix.
    """
    now_ts = check_clock(now_ts)
    max_age_s = check_positive_seconds(max_age_s)
    prefix = parse_s3_url(url)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if client is None:
        client = shared_client(ClientSettings(max_pool_connections=max(workers, 10)))
    executors = list_executors(prefix, client)

    def read_one(executor_id: str) -> FleetEntry:
        return _read_entry(prefix.child(executor_id, KPI_OBJECT), executor_id, client,
                           now_ts, max_age_s)

    if workers == 1 or len(executors) <= 1:
        return [read_one(e) for e in executors]
    with ThreadPoolExecutor(max_workers=min(workers, len(executors))) as pool:
        return list(pool.map(read_one, executors))


def list_executors(prefix: S3Url, client: S3Client) -> list[str]:
    """The executor ids under ``prefix`` (the names of its ``/``-delimited sub-prefixes)."""
    start = f"{prefix.key}/" if prefix.key else ""
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=prefix.bucket, Prefix=start, Delimiter="/"
    )

    def collect() -> list[str]:
        found: list[str] = []
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                name = common.get("Prefix", "")[len(start):].rstrip("/")
                if name:
                    found.append(name)
        return found

    return sorted(call(prefix, collect))


def _read_entry(
    location: S3Url, executor_id: str, client: S3Client, now_ts: float | None, max_age_s: float
) -> FleetEntry:
    url = str(location)
    try:
        data = fetch_bytes(location, client)
        reading = reading_from_bytes(data, name=url, now_ts=now_ts, max_age_s=max_age_s)
    except KpiContractError as exc:
        return FleetEntry(executor_id, url, None, str(exc))
    return FleetEntry(executor_id, url, reading, None)
