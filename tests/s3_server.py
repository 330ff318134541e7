"""A real S3-protocol server for the tests: moto's standalone server on a free loopback port.

moto's server (``moto[server]``, in the test extra) is started by the fixtures as a process on
127.0.0.1 and stopped at the end; nothing leaves the loopback interface. It runs through
``tests/moto_serial.py``: moto's own application and request handler, one request at a time,
because moto's conditional writes are not atomic under concurrency (see that module). The
clients under test find it the standard way, through ``AWS_ENDPOINT_URL``, with the AWS config
files pointed away from the user's and the instance-metadata lookup disabled.

Facts about this server that the tests rely on (checked by ``test_s3_server_facts.py``):
conditional writes are enforced (``If-Match`` with a stale ETag and ``If-None-Match: *`` on an
existing key both answer 412) and exclusive (of concurrent conditional writes exactly one wins);
its state lives in memory and is lost when the process ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REPO = Path(__file__).resolve().parents[1]
BUCKET = "kpi-fleet"
ACCESS_KEY, SECRET_KEY, REGION = "testing-key", "testing-secret", "us-east-1"


def free_port() -> int:
    """A TCP port nobody listens on right now (bound and released on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client_env(endpoint: str, **extra: str) -> dict[str, str]:
    """The AWS variables a client needs to find the server, and nothing from the user's setup."""
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(extra)
    return env


class MotoServer:
    """One ``moto.server`` process on 127.0.0.1; can be killed and restarted on the same port."""

    def __init__(self, log_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log = log_dir / f"moto-{self.port}.log"
        self._env = {**os.environ, **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process and wait until it answers HTTP (RuntimeError after 30 s)."""
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.moto_serial", "127.0.0.1", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env=self._env, cwd=REPO,
            )
        deadline = time.monotonic() + 30
        while not self.answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto server did not start; see {self._log}")
            time.sleep(0.05)

    def answers(self) -> bool:
        """True when the server answers an HTTP request."""
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: the process dies mid-whatever; its in-memory state is gone."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        """Terminate (then kill) the process."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def reset(self) -> None:
        """Forget every bucket and object (moto's reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def set_auth(self, unauthenticated_requests: float) -> None:
        """After this many more requests, every request must be signed by an IAM access key."""
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth",
            data=str(unauthenticated_requests).encode(), method="POST",
            headers={"Content-Type": "application/octet-stream"},  # not a form: moto reads raw data
        )
        with urllib.request.urlopen(request, timeout=10):
            pass


class CuttingProxy:
    """A TCP proxy on loopback in front of the server that can cut uploads halfway.

    It reads each request the client sends (headers, then ``Content-Length`` bytes of body) and
    passes it on; the answers flow back untouched. While ``cut_puts`` is set, a ``PUT`` with a
    body is passed on only up to half of its body, then both connections are closed: the server
    sees an upload that stopped in the middle, as when a link or the client dies mid-request.
    """

    def __init__(self, upstream_port: int) -> None:
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.cut_puts = False
        self.cuts = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        """Accept connections in a background thread."""
        self._listener.settimeout(0.1)
        self._spawn(self._accept)

    def stop(self) -> None:
        """Stop accepting, close every connection, wait for the threads."""
        self._stop.set()
        for sock in self._sockets:
            _close(sock)
        for thread in self._threads:
            thread.join(timeout=10)
        self._listener.close()

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(self._upstream)
            self._sockets += [client, upstream]
            self._spawn(self._answers, upstream, client)
            self._spawn(self._requests, client, upstream)

    @staticmethod
    def _answers(upstream: socket.socket, client: socket.socket) -> None:
        try:
            while data := upstream.recv(65536):
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client)

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = client.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in lines[1:])}
                length = int(headers.get("content-length", "0"))
                upstream.sendall(head + b"\r\n\r\n")
                cut = self.cut_puts and lines[0].startswith("PUT ") and length > 0
                want = length // 2 if cut else length
                while len(buffer) < want:
                    data = client.recv(65536)
                    if not data:
                        return
                    buffer += data
                upstream.sendall(buffer[:want])
                if cut:
                    self.cuts += 1
                    return
                buffer = buffer[want:]
        except OSError:
            pass
        finally:
            _close(upstream)
            _close(client)


def _close(sock: socket.socket) -> None:
    """Shut down (which wakes a thread blocked in recv on it), then close."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@dataclass
class S3Env:
    """A running server with an empty bucket, and a client for the test's own checks."""

    server: MotoServer
    client: S3Client
    bucket: str = BUCKET
    env: dict[str, str] = field(default_factory=dict)

    def url(self, *parts: str) -> str:
        """``s3://BUCKET/part/part``."""
        return "/".join([f"s3://{self.bucket}", *parts])

    def get(self, key: str) -> bytes:
        """An object's bytes."""
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def keys(self) -> list[str]:
        """Every key in the bucket."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def make_test_client(endpoint: str, **config: Any) -> S3Client:
    """A plain boto3 client on the test server (the tests' own eyes, not the code under test)."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, region_name=REGION,
        config=Config(retries={"mode": "standard", "total_max_attempts": 2}, **config),
    )


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One server for the session; tests that kill or lock a server start their own."""
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> S3Env:
    """The session server, reset, with one empty bucket; the AWS variables set for clients."""
    moto_server.reset()
    env = client_env(moto_server.endpoint)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    client = make_test_client(moto_server.endpoint)
    client.create_bucket(Bucket=BUCKET)
    return S3Env(moto_server, client, env=env)
