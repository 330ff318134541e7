"""S3-compatible object storage: ``s3://`` URLs, the client, and errors in this package's shape.

Issue 11. Needs the optional extra ``kpi-contract[s3]`` (boto3). boto3 is imported on first use,
never when this module is imported, so ``import kpi_contract`` and the executor's plain install
work without it.

Why boto3: it is the reference S3 client, and it reads the endpoint, region and credentials from
the standard places by itself (``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3``, ``AWS_REGION`` /
``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``,
``~/.aws/config`` and ``~/.aws/credentials``, instance roles), so MinIO, Ceph, R2 and AWS work
unchanged. It sends ``If-Match`` / ``If-None-Match`` on ``PutObject`` (conditional writes) and its
``botocore.config.Config`` bounds every request (connect and read timeouts, a retry budget with
exponential backoff and jitter).

Every request of a client made here is bounded: ``connect_timeout_s`` and ``read_timeout_s`` per
attempt, ``max_attempts`` attempts in all (botocore's ``standard`` retry mode: exponential backoff
with jitter, retries on throttling, 5xx and connection errors). Worst case for one call:
``max_attempts * (connect_timeout_s + read_timeout_s)`` plus the backoff sleeps.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

from kpi_contract.errors import KpiContractError, StateFileError
from kpi_contract.jsonio import MAX_JSON_BYTES, JsonInputError
from kpi_contract.staleness import MAX_TIMEOUT_S, check_positive_seconds

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_T = TypeVar("_T")

S3_SCHEME: Final = "s3://"
EXTRA_HINT: Final = "s3:// URLs need the s3 extra: pip install 'kpi-contract[s3]'"

# S3's bucket naming rules (3-63 characters, lowercase letters, digits, dots and hyphens).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")

# ClientError codes that mean "these credentials are not accepted".
CREDENTIAL_CODES: Final = frozenset({
    "AccessDenied", "AuthorizationHeaderMalformed", "ExpiredToken", "InvalidAccessKeyId",
    "InvalidClientTokenId", "InvalidToken", "SignatureDoesNotMatch", "TokenRefreshRequired",
})


class RemoteStoreError(StateFileError):
    """The object store could not be used for ``url``.

    ``kind`` says why, for callers that branch on it: ``no-bucket``, ``no-object``,
    ``credentials`` (missing or refused), ``unreachable`` (connection refused, DNS, timeout,
    connection broken mid-request),
    ``store`` (any other answer of the store).
    """

    def __init__(self, url: str, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(url, message)


class MissingExtraError(KpiContractError):
    """boto3 is not installed: ``s3://`` URLs need ``pip install 'kpi-contract[s3]'``."""

    def __init__(self) -> None:
        super().__init__(EXTRA_HINT)


@dataclass(frozen=True)
class S3Url:
    """A bucket and a key (an object) or key prefix, without leading or trailing ``/``."""

    bucket: str
    key: str = ""

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}" if self.key else f"{S3_SCHEME}{self.bucket}"

    def child(self, *parts: str) -> S3Url:
        """This prefix extended by ``parts`` (``PREFIX/EXECUTOR/kpis_v7.json``)."""
        return S3Url(self.bucket, "/".join(p for p in (self.key, *parts) if p))


def is_s3_url(value: object) -> bool:
    """True for a string that starts with ``s3://`` (a path-like object never is one)."""
    return isinstance(value, str) and value.startswith(S3_SCHEME)


def parse_s3_url(url: str) -> S3Url:
    """``s3://BUCKET[/KEY...]`` -> S3Url; ValueError with a one-line reason otherwise.

    The key keeps its inner ``/``; leading and trailing ``/`` are dropped, so ``s3://b/fleet/``
    and ``s3://b/fleet`` are the same prefix. Empty segments (``a//b``) are refused: S3 would
    treat them as distinct keys nobody meant.
    """
    if not is_s3_url(url):
        raise ValueError(f"{url}: not an s3:// URL (s3://BUCKET/PREFIX)")
    bucket, _, key = url[len(S3_SCHEME):].partition("/")
    if not _BUCKET.match(bucket):
        raise ValueError(
            f"{url}: {bucket!r} is not a bucket name (3-63 lowercase letters, digits, '.', '-')"
        )
    key = key.strip("/")
    if "//" in key or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"{url}: the key has an empty, '.' or '..' segment")
    return S3Url(bucket, key)


@dataclass(frozen=True)
class ClientSettings:
    """Bounds of every request: seconds per attempt, attempts in all, pooled connections."""

    connect_timeout_s: float = 3.0
    read_timeout_s: float = 5.0
    max_attempts: int = 3
    max_pool_connections: int = 16

    def __post_init__(self) -> None:
        """ValueError for a timeout that is not a number of seconds > 0 and at most
        ``MAX_TIMEOUT_S`` (an infinite one would let a request hang forever, a huge one overflows
        the socket layer: ``kpi_contract.staleness``)."""
        for name in ("connect_timeout_s", "read_timeout_s"):
            check_positive_seconds(getattr(self, name), name, MAX_TIMEOUT_S)


def make_client(settings: ClientSettings | None = None) -> S3Client:
    """An S3 client configured from the standard environment and files, with bounded requests.

    Raises MissingExtraError when boto3 is not installed. Creating the client does not contact
    the store.
    """
    try:
        import boto3  # noqa: PLC0415  (optional extra: imported on first use only)
        from botocore.config import Config  # noqa: PLC0415
    except ImportError as exc:
        raise MissingExtraError from exc
    settings = settings or ClientSettings()
    config = Config(
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        max_pool_connections=settings.max_pool_connections,
    )
    return boto3.session.Session().client("s3", config=config)


_shared: dict[tuple[ClientSettings, tuple[tuple[str, str], ...]], S3Client] = {}
_shared_lock = threading.Lock()


def shared_client(settings: ClientSettings | None = None) -> S3Client:
    """One client per process, settings and ``AWS_*`` environment (creating one costs about
    100 ms; a dashboard calling ``read_kpis`` every few seconds should not pay it each time).

    A change of any ``AWS_*`` variable gives a new client; a change of ``~/.aws`` files is seen
    only by a new process. boto3 clients are safe to share between threads.
    """
    settings = settings or ClientSettings()
    key = (settings, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_"))))
    with _shared_lock:
        client = _shared.get(key)
        if client is None:
            client = _shared[key] = make_client(settings)
        return client


def store_error(url: S3Url | str, exc: Exception) -> RemoteStoreError | None:
    """``exc`` from boto3/botocore as a RemoteStoreError about ``url``; None if it is not one.

    The message is one line and says which of the cases it is (no such bucket, credentials
    refused, endpoint unreachable or timed out, another answer of the store with its code).
    """
    from botocore.exceptions import (  # noqa: PLC0415
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError  # noqa: PLC0415

    where = str(url)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "?"))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = _one_line(str(error.get("Message") or ""))
        if code == "NoSuchBucket":
            bucket = where.removeprefix(S3_SCHEME).split("/", 1)[0]
            return RemoteStoreError(where, "no-bucket", f"no such bucket {bucket!r} (NoSuchBucket)")
        if code in ("NoSuchKey", "404") or status == 404:
            return RemoteStoreError(where, "no-object", "no such object")
        if code in CREDENTIAL_CODES or status == 403:
            what = {
                "AccessDenied": "access denied", "403": "access denied or credentials refused",
            }.get(code, "credentials refused")
            detail = f"{code}: {message}" if message else f"HTTP {status}"
            return RemoteStoreError(where, "credentials", f"{what} ({detail})")
        suffix = f": {message}" if message else ""
        answer = f"the store answered {code} (HTTP {status}){suffix}"
        return RemoteStoreError(where, "store", answer)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return RemoteStoreError(
            where, "credentials",
            f"no usable credentials ({_one_line(str(exc))}; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or ~/.aws/credentials)",
        )
    if isinstance(exc, BotoConnectionError):
        unreachable = f"cannot reach the store: {_one_line(str(exc))}"
        return RemoteStoreError(where, "unreachable", unreachable)
    if isinstance(exc, ReadTimeoutError):
        slow = f"the store did not answer in time: {_one_line(str(exc))}"
        return RemoteStoreError(where, "unreachable", slow)
    if isinstance(exc, HTTPClientError):
        broken = f"the connection to the store broke: {_one_line(str(exc))}"
        return RemoteStoreError(where, "unreachable", broken)
    if isinstance(exc, BotoCoreError):
        return RemoteStoreError(where, "store", _one_line(str(exc)))
    return None


def is_store_exception(exc: BaseException) -> bool:
    """True for the exceptions boto3/botocore raise when a request fails."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    return isinstance(exc, BotoCoreError | ClientError)


def error_status(exc: BaseException) -> tuple[str, int | None]:
    """(error code, HTTP status) of a botocore ClientError; ``("", None)`` for anything else."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    if not isinstance(exc, ClientError):
        return "", None
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code, exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def fetch_bytes(url: S3Url, client: S3Client) -> bytes:
    """The whole object at ``url``; RemoteStoreError on any failure of the store, and
    ``jsonio.JsonInputError`` (``too_large``) above the bound every JSON file has
    (``jsonio.MAX_JSON_BYTES``): no more than the bound is ever read."""

    def get() -> bytes:
        body = client.get_object(Bucket=url.bucket, Key=url.key)["Body"]
        try:
            return bytes(body.read(MAX_JSON_BYTES + 1))
        finally:
            body.close()

    data = call(url, get)
    if len(data) > MAX_JSON_BYTES:
        raise JsonInputError(
            str(url), "too_large", f"larger than the bound of {MAX_JSON_BYTES} bytes"
        )
    return data


def fetch_url(url: str, client: S3Client | None = None) -> bytes:
    """``fetch_bytes`` for an ``s3://BUCKET/KEY`` string (ValueError for a malformed URL)."""
    location = parse_s3_url(url)
    if not location.key:
        raise ValueError(f"{url}: names a bucket, not an object")
    return fetch_bytes(location, client if client is not None else shared_client())


def call(url: S3Url, request: Callable[[], _T]) -> _T:
    """Run one request; a failure of the store becomes RemoteStoreError about ``url``."""
    try:
        return request()
    except Exception as exc:
        error = store_error(url, exc)
        if error is None:
            raise
        raise error from exc


def _one_line(text: str) -> str:
    return " ".join(text.split())
