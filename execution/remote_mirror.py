"""The remote mirror: the verified state files to S3-compatible object storage (issue 11).

    PYTHONPATH=. python -m execution.sync_state --mirror-url s3://BUCKET/PREFIX --executor-id ID

Each executor writes under its own key prefix, ``PREFIX/EXECUTOR_ID/NAME``. The local pass
(``sync_state.StateMirror``) reads each changed file once and verifies it (``kpis_v7.json``
against the schema, the others as strict JSON); it hands exactly those bytes to ``S3Mirror.offer``,
one call per verified file per pass. Nothing else is ever uploaded, so an invalid, torn or partial
``kpis_v7.json`` never reaches the store and the last good object stays. A ``PutObject`` is
all-or-nothing on the store's side, and boto3 sends a checksum of the body with it.

Rules, per file:

- **Unchanged files cost no upload.** Each object carries the SHA-256 of its bytes in its metadata
  (``x-amz-meta-sha256``). Bytes equal to what this process last wrote or saw cost no request; on
  the first pass of a process one ``HeadObject`` per file tells whether the store already has
  them (an object without the metadata matches when its ETag is the bytes' MD5).
- **No regression of ``ts``.** ``kpis_v7.json`` objects carry the document's ``ts``
  (``x-amz-meta-kpi-ts``; read from the body when an object lacks it). A document is written only
  when it is newer than the object it replaces, and only with a conditional write on the very
  version it was compared with: ``If-Match: <ETag read>``, or ``If-None-Match: *`` when there was
  no object. If another writer got there first the store refuses (412, or 409 for two conditional
  writes in flight; 404 when the object was deleted), the object is read again and the decision
  made again (at most ``MAX_CONFLICT_ROUNDS`` times a pass). So two mirrors racing for one
  executor never replace a newer document with an older one. The other state files carry no
  contract timestamp: they go through the same conditional writes but the newer bytes win.
- **A store that is down, slow or refusing** (connection refused, timeout, credentials refused,
  no such bucket, 5xx) fails the request after its bounded retries (``kpi_contract.s3``); the
  rest of the pass is not attempted, the files stay pending, one line is logged when the problem
  starts or changes and one when it ends, and every failure is counted. The next attempt waits
  1 s, then 2, 4, ... up to 60 s (between passes, never inside one); a pending file is re-read and
  re-verified from the state directory when it is retried, so the next pass catches up with
  the latest good bytes. The executor loop, the state files and the local mirror go on.
- Objects are never deleted: a state file that disappears leaves its last object in place.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final, Protocol

from execution.state_files import KPI_FILE
from kpi_contract import jsonio
from kpi_contract._nav import CLOCK_SKEW_TOLERANCE_S
from kpi_contract.s3 import (
    ClientSettings,
    RemoteStoreError,
    S3Url,
    error_status,
    make_client,
    parse_s3_url,
    store_error,
)
from kpi_contract.staleness import MAX_TIMEOUT_S, check_positive_seconds, seconds_up_to

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import PutObjectRequestTypeDef

log = logging.getLogger("execution.remote_mirror")

META_SHA256: Final = "sha256"
META_TS: Final = "kpi-ts"
MAX_CONFLICT_ROUNDS: Final = 4
BACKOFF_FIRST_S: Final = 1.0
BACKOFF_MAX_S: Final = 60.0
DEFAULT_TIMEOUT_S: Final = 5.0

_EXECUTOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


class RemoteTarget(Protocol):
    """What ``StateMirror`` needs of a remote target (the seam in ``sync_state``)."""

    def needs(self, name: str) -> bool:
        """True when the target wants ``name``'s verified bytes although it did not change."""

    def offer(self, name: str, data: bytes) -> None:
        """The verified bytes of ``name``, read in this pass. Never raises for the store."""

    def finish_pass(self) -> RemotePassReport:
        """What the pass did remotely; starts the next pass's report."""


@dataclass
class RemotePassReport:
    """What one pass did with each file it offered to the store."""

    uploaded: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    superseded: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was left pending."""
        return not self.errors and not self.pending

    def summary(self) -> str:
        """One line for logs and the CLI."""
        uploaded = f" ({', '.join(self.uploaded)})" if self.uploaded else ""
        return (
            f"uploaded {len(self.uploaded)}{uploaded}, current {len(self.current)}, "
            f"superseded {len(self.superseded)}, pending {len(self.pending)}, "
            f"errors {len(self.errors)}"
        )


@dataclass(frozen=True)
class _Remote:
    """What the store holds for one key: its ETag, content hash and KPI ``ts`` when known."""

    etag: str
    sha256: str | None
    ts: datetime | None


class S3Mirror:
    """Uploads verified state files under ``url/executor_id/`` with conditional writes.

    ``totals`` counts ``uploaded``, ``current`` (no upload needed), ``superseded`` (the store had
    a newer kpis_v7 document), ``conflicts`` (a conditional write refused), ``store_errors`` and
    ``deferred`` (offered while the store was backing off).
    """

    def __init__(
        self,
        url: S3Url,
        executor_id: str,
        *,
        client: S3Client | None = None,
        settings: ClientSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _EXECUTOR_ID.match(executor_id):
            raise ValueError(
                f"executor id {executor_id!r}: use 1-128 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        self.url = url
        self.executor_id = executor_id
        self.prefix = url.child(executor_id)
        self.client = client if client is not None else make_client(settings)
        self.totals: Counter[str] = Counter()
        self._clock = clock
        self._known: dict[str, _Remote | None] = {}
        self._synced: set[str] = set()
        self._report = RemotePassReport()
        self._down: str | None = None
        self._answered = False
        self._failed_names: set[str] = set()
        self._failures = 0
        self._retry_at = float("-inf")
        self._logged_down: str | None = None
        self._logged: dict[str, str] = {}

    # --- the seam ------------------------------------------------------------------------------

    def needs(self, name: str) -> bool:
        """True until ``name``'s current bytes are known to be on the store, unless backing off."""
        return name not in self._synced and self._clock() >= self._retry_at

    def offer(self, name: str, data: bytes) -> None:
        """Make the store hold ``data`` for ``name`` unless it holds it or a newer kpis_v7.

        Never raises: any failure counts as a store failure (logged, pending, backoff).
        """
        self._synced.discard(name)
        if self._down is not None or self._clock() < self._retry_at:
            self._report.pending.append(name)
            self.totals["deferred"] += 1
            return
        location = self.prefix.child(name)
        try:
            outcome = self._publish(location, name, data)
        except Exception as exc:  # the executor loop never dies for the remote mirror
            error = store_error(location, exc) or RemoteStoreError(
                str(location), "store", f"unexpected {type(exc).__name__}: {exc}"
            )
            self._store_failed(name, error)
            return
        self._failures, self._answered = 0, True
        self.totals[outcome] += 1
        if outcome == "uploaded":
            self._report.uploaded.append(name)
        elif outcome == "current":
            self._report.current.append(name)
        if outcome in ("uploaded", "current", "superseded"):
            self._synced.add(name)
        if outcome in ("uploaded", "current"):
            self._logged.pop(name, None)

    def finish_pass(self) -> RemotePassReport:
        """The pass's report. Logs one line when the store fails, fails otherwise, or recovers,
        and one per new per-file problem (a newer document on the store, endless conflicts)."""
        report, self._report = self._report, RemotePassReport()
        if self._down is not None:
            if self._down != self._logged_down:
                wait = max(0.0, self._retry_at - self._clock())
                log.error(
                    "remote mirror %s: %s; %d file(s) pending, next attempt in %.0f s",
                    self.prefix, self._down, len(report.pending) + len(report.errors), wait,
                )
                self._logged_down = self._down
        elif self._logged_down is not None and self._failures == 0 and self._answered:
            log.info("remote mirror %s: the store answers again", self.prefix)
            self._logged_down = None
        for name, problem in report.superseded.items():
            if self._logged.get(name) != "superseded":  # once until this file is written again
                log.warning("remote mirror: %s", problem)
                self._logged[name] = "superseded"
        for name, problem in report.errors.items():
            if name not in self._failed_names and self._logged.get(name) != problem:
                log.warning("remote mirror: %s", problem)
                self._logged[name] = problem
        self._down, self._answered, self._failed_names = None, False, set()
        return report

    # --- one file --------------------------------------------------------------------------------

    def _publish(self, location: S3Url, name: str, data: bytes) -> str:
        """``uploaded``, ``current``, ``superseded`` or ``conflict``; raises for the store."""
        sha = hashlib.sha256(data).hexdigest()
        ts = _document_ts(data) if name == KPI_FILE else None
        for _ in range(MAX_CONFLICT_ROUNDS):
            try:
                return self._publish_once(location, name, data, sha, ts)
            except Exception as exc:
                if not _is_conflict(exc):
                    raise
                self.totals["conflicts"] += 1
                self._known.pop(name, None)
        self._report.errors[name] = (
            f"{location}: {MAX_CONFLICT_ROUNDS} conditional writes refused in a row "
            "(another writer keeps changing the object); retried next pass"
        )
        return "conflict"

    def _publish_once(
        self, location: S3Url, name: str, data: bytes, sha: str, ts: datetime | None
    ) -> str:
        """One compare-and-write round; a refused conditional request raises (a conflict)."""
        remote = self._known[name] if name in self._known else self._head(location, name)
        self._known[name] = remote
        if remote is not None and _same_bytes(remote, sha, data):
            return "current"
        if (ts is not None and remote is not None and remote.ts is not None and remote.ts >= ts
                and not _ahead_of_this_clock(remote.ts)):
            self._report.superseded[name] = (
                f"{location}: the store holds a document as new or newer (ts "
                f"{_iso(remote.ts)} >= {_iso(ts)}); not replaced (a second mirror for "
                f"executor {self.executor_id}?)"
            )
            return "superseded"
        etag = self._put(location, data, sha, ts, remote)
        self._known[name] = _Remote(etag, sha, ts)
        return "uploaded"

    def _head(self, location: S3Url, name: str) -> _Remote | None:
        """What the store holds at ``location``; None when there is no object."""
        try:
            head = self.client.head_object(Bucket=location.bucket, Key=location.key)
        except Exception as exc:
            code, status = error_status(exc)
            if status == 404 and code != "NoSuchBucket":
                return None
            raise
        meta = head.get("Metadata", {})
        etag = head["ETag"]
        ts: datetime | None = None
        if name == KPI_FILE:
            ts = _parse_ts(meta.get(META_TS))
            if ts is None:
                stream = self.client.get_object(
                    Bucket=location.bucket, Key=location.key, IfMatch=etag
                )["Body"]
                try:  # never more than the bound of every JSON file (jsonio.MAX_JSON_BYTES)
                    body = stream.read(jsonio.MAX_JSON_BYTES + 1)
                finally:
                    stream.close()
                ts = _document_ts(body) if len(body) <= jsonio.MAX_JSON_BYTES else None
        return _Remote(etag, meta.get(META_SHA256), ts)

    def _put(
        self, location: S3Url, data: bytes, sha: str, ts: datetime | None, remote: _Remote | None
    ) -> str:
        metadata = {META_SHA256: sha}
        if ts is not None:
            metadata[META_TS] = _iso(ts)
        request: PutObjectRequestTypeDef = {
            "Bucket": location.bucket, "Key": location.key, "Body": data,
            "ContentType": "application/json", "Metadata": metadata,
        }
        if remote is None:
            request["IfNoneMatch"] = "*"
        else:
            request["IfMatch"] = remote.etag
        return self.client.put_object(**request)["ETag"]

    def _store_failed(self, name: str, error: RemoteStoreError) -> None:
        self._known.pop(name, None)  # the write may or may not have landed: ask again next time
        self._report.errors[name] = str(error)
        self._down = str(error).split("::$: ", 1)[-1]
        self._failed_names.add(name)
        self._failures += 1
        self.totals["store_errors"] += 1
        backoff = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (self._failures - 1))
        self._retry_at = self._clock() + backoff


# --- helpers --------------------------------------------------------------------------------------


def _is_conflict(exc: BaseException) -> bool:
    """A conditional write refused: 412, 409 (concurrent conditional writes), or the object gone."""
    code, status = error_status(exc)
    return status in (409, 412) or code == "NoSuchKey"


def _same_bytes(remote: _Remote, sha: str, data: bytes) -> bool:
    if remote.sha256 is not None:
        return remote.sha256 == sha
    # An object written by another tool: a single-part upload's ETag is its bytes' MD5.
    return remote.etag.strip('"') == hashlib.md5(data, usedforsecurity=False).hexdigest()


def _ahead_of_this_clock(ts: datetime) -> bool:
    """An object stamped beyond the clock skew the builder tolerates, in this host's wall-clock
    future: written while some clock was wrong, it must not freeze the remote mirror (as for the
    local mirror, ``execution.sync_state``)."""
    return ts.timestamp() - time.time() > CLOCK_SKEW_TOLERANCE_S


def _document_ts(data: bytes) -> datetime | None:
    """The ``ts`` of a kpis_v7 document's bytes; None when there is no readable one."""
    try:
        doc = jsonio.parse_bytes(data)
    except jsonio.JsonSyntaxError:
        return None
    return _parse_ts(doc.get("ts")) if isinstance(doc, dict) else None


def _parse_ts(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


# --- command line -------------------------------------------------------------------------------


def add_remote_options(parser: argparse.ArgumentParser) -> None:
    """``--mirror-url``, ``--executor-id`` and ``--mirror-timeout``, for every mirroring command."""
    parser.add_argument(
        "--mirror-url", metavar="s3://BUCKET/PREFIX",
        help="also mirror to S3-compatible object storage under PREFIX/EXECUTOR_ID/ (needs "
        "kpi-contract[s3]; endpoint, region and credentials from the standard AWS environment "
        "and config files)",
    )
    parser.add_argument(
        "--executor-id", metavar="ID",
        help="this executor's key prefix under --mirror-url (default: the host name)",
    )
    parser.add_argument(
        "--mirror-timeout", type=seconds_up_to(MAX_TIMEOUT_S), default=DEFAULT_TIMEOUT_S,
        metavar="S", help=f"connect and read timeout of each store request, 3 attempts at most: "
        f"a number > 0 and <= {MAX_TIMEOUT_S:g} (default: {DEFAULT_TIMEOUT_S:g})",
    )


def remote_from_args(args: argparse.Namespace) -> S3Mirror | None:
    """The target the options ask for, or None without ``--mirror-url``.

    ValueError for a bad URL, executor id or timeout; ``kpi_contract.s3.MissingExtraError``
    when boto3 is missing.
    Contacts no store.
    """
    if args.mirror_url is None:
        return None
    timeout = check_positive_seconds(args.mirror_timeout, "--mirror-timeout", MAX_TIMEOUT_S)
    url = parse_s3_url(args.mirror_url)
    # botocore says at INFO where it found credentials and the endpoint: not the operator's news.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    executor_id = args.executor_id if args.executor_id is not None else default_executor_id()
    return S3Mirror(url, executor_id,
                    settings=ClientSettings(connect_timeout_s=timeout, read_timeout_s=timeout))


def default_executor_id() -> str:
    """The host name, when it is a valid id (``--executor-id`` is needed when a host runs two)."""
    host = socket.gethostname()
    if not _EXECUTOR_ID.match(host):
        raise ValueError(f"the host name {host!r} is not a usable executor id: pass --executor-id")
    return host
