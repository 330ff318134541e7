"""The S3 mirror target (issue 11): the local mirror's guarantees, proven against a real server.

Every test talks to moto's standalone server over loopback (``tests/s3_server.py``).
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from execution.remote_mirror import S3Mirror
from execution.simulation import Simulation
from execution.state_publish import publish_state
from execution.sync_state import StateMirror
from kpi_contract import build_kpis_v7, read_kpis
from kpi_contract.s3 import ClientSettings, parse_s3_url
from kpi_contract.schema import SCHEMA_VERSION
from kpi_contract.serialize import dump_document, model_document
from tests.s3_server import CuttingProxy, MotoServer, S3Env, client_env, make_test_client
from tests.test_execution_support import STATE_FILES, published_state_and_mirror

T0 = 1767225600.0
FAST = ClientSettings(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=2)


def kpi_doc(ts: float, nav: float | None = None) -> bytes:
    """A valid kpis_v7 document built at ``ts`` (with a NAV snapshot when ``nav`` is given)."""
    snapshot = None if nav is None else {"nav_total": nav, "age_s": 1.0, "sources_ok": True}
    return dump_document(model_document(build_kpis_v7(ts, snapshot, None, None)))


def doc_ts(data: bytes) -> str:
    """The ``ts`` string of a document's bytes."""
    return str(json.loads(data)["ts"])


class Clock:
    """A monotonic clock the test moves by hand (the target's backoff reads it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def target(
    executor: str = "exec-a", clock: Callable[[], float] = time.monotonic, prefix: str = "fleet",
    bucket: str = "kpi-fleet",
) -> S3Mirror:
    """An S3Mirror on ``s3://BUCKET/PREFIX/EXECUTOR/``, client from the environment."""
    return S3Mirror(parse_s3_url(f"s3://{bucket}/{prefix}"), executor, settings=FAST, clock=clock)


def count_requests(mirror: S3Mirror) -> Counter[str]:
    """A live count of the HTTP requests the target's client sends, by operation name."""
    sent: Counter[str] = Counter()

    def on_send(**kwargs: Any) -> None:
        sent[str(kwargs["event_name"]).rsplit(".", 1)[-1]] += 1

    mirror.client.meta.events.register("before-send.s3", on_send)
    return sent


def local_mirror(tmp_path: Path) -> Path:
    """The local mirror directory, created as the commands' start-up does (``prepare_mirror``)."""
    path = tmp_path / "mirror"
    path.mkdir()
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """A state directory with one loop published, and an empty mirror directory."""
    return published_state_and_mirror(tmp_path, T0)


def test_a_pass_uploads_every_state_file_byte_for_byte(
    s3: S3Env, dirs: tuple[Path, Path]
) -> None:
    """Each object equals its state file and its local copy; kpis_v7 reads the same from both."""
    state, local = dirs
    report = StateMirror(state, local, remote=target()).sync_once()
    assert report.ok, report.summary()
    assert report.remote is not None
    assert sorted(report.remote.uploaded) == sorted(STATE_FILES)
    assert s3.keys() == sorted(f"fleet/exec-a/{name}" for name in STATE_FILES)
    for name in STATE_FILES:
        assert s3.get(f"fleet/exec-a/{name}") == (state / name).read_bytes()
        assert (local / name).read_bytes() == (state / name).read_bytes()
    head = s3.client.head_object(Bucket=s3.bucket, Key="fleet/exec-a/kpis_v7.json")
    assert head["Metadata"]["kpi-ts"] == doc_ts((state / "kpis_v7.json").read_bytes())
    remote = read_kpis(s3.url("fleet", "exec-a", "kpis_v7.json"), now_ts=T0 + 5)
    assert remote == read_kpis(state / "kpis_v7.json", now_ts=T0 + 5)


def test_an_empty_prefix_puts_executors_at_the_bucket_root(s3: S3Env, tmp_path: Path) -> None:
    """``s3://BUCKET`` (no prefix) stores ``EXECUTOR/NAME`` keys."""
    state, local = tmp_path / "state", local_mirror(tmp_path)
    state.mkdir()
    (state / "kpis_v7.json").write_bytes(kpi_doc(T0))
    mirror = S3Mirror(parse_s3_url("s3://kpi-fleet/"), "desk.1", settings=FAST)
    StateMirror(state, local, remote=mirror).sync_once()
    assert s3.keys() == ["desk.1/kpis_v7.json"]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda good: good[: len(good) // 2], id="torn"),
        pytest.param(lambda good: b"", id="empty"),
        pytest.param(lambda good: good.replace(b'"schema_version"', b'"schema_versio"'), id="key"),
        pytest.param(lambda good: good.replace(b'"nav":{', b'"nav":{"nav_total":NaN,', 1),
                     id="nan"),
        pytest.param(lambda good: good.replace(SCHEMA_VERSION.encode(), b"8.0.0"), id="major"),
    ],
)
def test_an_invalid_kpi_document_is_never_uploaded_and_the_last_good_object_stays(
    s3: S3Env, dirs: tuple[Path, Path], damage: Callable[[bytes], bytes]
) -> None:
    """Torn, empty, schema-invalid, NaN or another major: no PutObject, the old object stays."""
    state, local = dirs
    mirror = target()
    syncer = StateMirror(state, local, remote=mirror)
    syncer.sync_once()
    good = s3.get("fleet/exec-a/kpis_v7.json")
    sent = count_requests(mirror)
    (state / "kpis_v7.json").write_bytes(damage(good))
    report = syncer.sync_once()
    assert list(report.rejected) == ["kpis_v7.json"]
    assert sent["PutObject"] == 0
    assert s3.get("fleet/exec-a/kpis_v7.json") == good


def test_an_invalid_document_on_the_first_pass_leaves_no_object_at_all(
    s3: S3Env, tmp_path: Path
) -> None:
    """A schema-invalid kpis_v7.json and a non-JSON router.json never appear on the store."""
    state = tmp_path / "state"
    state.mkdir()
    doc = json.loads(kpi_doc(T0))
    doc["router"]["maker_fill_share"] = 1.5
    (state / "kpis_v7.json").write_text(json.dumps(doc))
    (state / "router.json").write_text('{"maker_fill_rate": Infinity}')
    (state / "nav.json").write_text('{"nav": 5000.0}')
    report = StateMirror(state, local_mirror(tmp_path), remote=target()).sync_once()
    assert sorted(report.rejected) == ["kpis_v7.json", "router.json"]
    assert s3.keys() == ["fleet/exec-a/nav.json"]


def test_unchanged_files_cost_no_request_and_a_changed_one_costs_one_put(
    s3: S3Env, dirs: tuple[Path, Path]
) -> None:
    """Second pass: no request. One file changed: one PutObject, nothing else."""
    state, local = dirs
    mirror = target()
    syncer = StateMirror(state, local, remote=mirror)
    syncer.sync_once()
    sent = count_requests(mirror)
    assert syncer.sync_once().remote is not None
    assert sum(sent.values()) == 0
    (state / "nav.json").write_text('{"nav": 5001.5}')
    report = syncer.sync_once()
    assert report.remote is not None
    assert report.remote.uploaded == ["nav.json"]
    assert sent == Counter({"PutObject": 1})
    assert s3.get("fleet/exec-a/nav.json") == b'{"nav": 5001.5}'


def test_a_new_process_finds_current_objects_by_hash_and_uploads_nothing(
    s3: S3Env, dirs: tuple[Path, Path]
) -> None:
    """A restarted mirror asks once per file (HeadObject) and uploads none of the current ones."""
    state, local = dirs
    StateMirror(state, local, remote=target()).sync_once()
    fresh = target()
    sent = count_requests(fresh)
    report = StateMirror(state, local, remote=fresh).sync_once()
    assert report.remote is not None
    assert sorted(report.remote.current) == sorted(STATE_FILES)
    assert report.copied == []
    assert sent == Counter({"HeadObject": len(STATE_FILES)})


def test_an_object_another_tool_wrote_matches_by_its_etag(s3: S3Env, tmp_path: Path) -> None:
    """Same bytes uploaded without our metadata (its ETag is their MD5): no upload."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "positions.json").write_text('{"positions": []}')
    s3.client.put_object(Bucket=s3.bucket, Key="fleet/exec-a/positions.json",
                         Body=b'{"positions": []}')
    mirror = target()
    sent = count_requests(mirror)
    report = StateMirror(state, local_mirror(tmp_path), files=["positions.json"],
                         remote=mirror).sync_once()
    assert report.remote is not None
    assert report.remote.current == ["positions.json"]
    assert sent["PutObject"] == 0


def test_an_older_document_never_replaces_a_newer_one_written_by_another_mirror(
    s3: S3Env,
) -> None:
    """A's stale ETag is refused (412); A reads again, sees a newer ts and leaves it."""
    a, b = target(), target()
    a.offer("kpis_v7.json", kpi_doc(T0))
    b.offer("kpis_v7.json", kpi_doc(T0 + 20))
    a.offer("kpis_v7.json", kpi_doc(T0 + 10))
    report = a.finish_pass()
    assert list(report.superseded) == ["kpis_v7.json"]
    assert a.totals["conflicts"] == 1
    assert doc_ts(s3.get("fleet/exec-a/kpis_v7.json")) == "2026-01-01T00:00:20Z"
    # A restarted process with an older document: one HeadObject, no PutObject.
    c = target()
    sent = count_requests(c)
    c.offer("kpis_v7.json", kpi_doc(T0 + 5))
    assert list(c.finish_pass().superseded) == ["kpis_v7.json"]
    assert sent == Counter({"HeadObject": 1})
    # A newer one goes through.
    a.offer("kpis_v7.json", kpi_doc(T0 + 30))
    assert a.finish_pass().uploaded == ["kpis_v7.json"]
    assert doc_ts(s3.get("fleet/exec-a/kpis_v7.json")) == "2026-01-01T00:00:30Z"


def test_an_object_stamped_in_the_future_does_not_freeze_the_remote_mirror(s3: S3Env) -> None:
    """An object whose ts lies in this host's future (written while a clock was wrong) is no
    barrier: the next verified document replaces it, conditionally as always."""
    future = 32503680000.0  # 2999-12-31
    b = target()
    b.offer("kpis_v7.json", kpi_doc(future))
    assert b.finish_pass().uploaded == ["kpis_v7.json"]
    a = target()
    a.offer("kpis_v7.json", kpi_doc(T0))
    assert a.finish_pass().uploaded == ["kpis_v7.json"]
    assert doc_ts(s3.get("fleet/exec-a/kpis_v7.json")) == "2026-01-01T00:00:00Z"


def test_a_mirror_that_keeps_losing_to_a_newer_one_says_so_once(
    s3: S3Env, caplog: pytest.LogCaptureFixture
) -> None:
    """A second mirror for the same executor, always behind: one warning, not one per pass."""
    ahead, behind = target(), target()
    with caplog.at_level(logging.WARNING, logger="execution.remote_mirror"):
        for step in range(5):
            ahead.offer("kpis_v7.json", kpi_doc(T0 + 10 * step + 5))
            ahead.finish_pass()
            behind.offer("kpis_v7.json", kpi_doc(T0 + 10 * step))
            assert list(behind.finish_pass().superseded) == ["kpis_v7.json"]
    [warning] = [r.getMessage() for r in caplog.records]
    assert "a second mirror for executor exec-a?" in warning
    assert behind.totals["superseded"] == 5


def test_a_first_write_is_refused_when_another_mirror_created_the_object_meanwhile(
    s3: S3Env,
) -> None:
    """If-None-Match: between A's HeadObject (no object) and its PutObject, B writes a newer one."""
    a = target()

    def b_writes_first(**_: Any) -> None:
        if not s3.keys():
            b = target(executor="exec-a")
            b.offer("kpis_v7.json", kpi_doc(T0 + 60))

    a.client.meta.events.register("after-call.s3.HeadObject", b_writes_first)
    a.offer("kpis_v7.json", kpi_doc(T0 + 30))
    report = a.finish_pass()
    assert list(report.superseded) == ["kpis_v7.json"]
    assert a.totals["conflicts"] == 1
    assert doc_ts(s3.get("fleet/exec-a/kpis_v7.json")) == "2026-01-01T00:01:00Z"


def test_a_deleted_object_is_written_again(s3: S3Env) -> None:
    """An object removed behind the mirror's back: If-Match fails (404), the write is redone."""
    a = target()
    a.offer("kpis_v7.json", kpi_doc(T0))
    s3.client.delete_object(Bucket=s3.bucket, Key="fleet/exec-a/kpis_v7.json")
    a.offer("kpis_v7.json", kpi_doc(T0 + 1))
    assert a.finish_pass().uploaded == ["kpis_v7.json", "kpis_v7.json"]
    assert doc_ts(s3.get("fleet/exec-a/kpis_v7.json")) == "2026-01-01T00:00:01Z"


def test_two_mirrors_racing_200_times_never_regress_ts(s3: S3Env) -> None:
    """Two mirrors, one executor, 200 rounds of concurrent offers: every stored version's ts is
    >= the one before (the bucket's version history is the witness)."""
    s3.client.put_bucket_versioning(
        Bucket=s3.bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    mirrors = [target(), target()]
    rounds, rng = 200, random.Random(11)
    plans = [[T0 + 10 * r + rng.randint(0, 9) for _ in mirrors] for r in range(rounds)]
    barrier = threading.Barrier(len(mirrors))
    failures: list[BaseException] = []

    def run(index: int) -> None:
        jitter = random.Random(index)
        try:
            for plan in plans:
                barrier.wait(timeout=30)
                time.sleep(jitter.random() * 0.002)
                mirrors[index].offer("kpis_v7.json", kpi_doc(plan[index]))
                mirrors[index].finish_pass()
        except BaseException as exc:
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(mirrors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    pages = s3.client.get_paginator("list_object_versions").paginate(
        Bucket=s3.bucket, Prefix="fleet/exec-a/kpis_v7.json"
    )
    versions = [v for page in pages for v in page.get("Versions", [])][::-1]  # oldest first
    stamps = [
        doc_ts(s3.client.get_object(Bucket=s3.bucket, Key=v["Key"], VersionId=v["VersionId"])
               ["Body"].read())
        for v in versions
    ]
    regressions = sum(1 for older, newer in itertools.pairwise(stamps) if newer < older)
    totals = mirrors[0].totals + mirrors[1].totals
    print(
        f"\nrace: {rounds} rounds x {len(mirrors)} mirrors: {len(stamps)} versions written, "
        f"{regressions} regressions of ts; conflicts (412/409) {totals['conflicts']}, "
        f"superseded {totals['superseded']}, uploaded {totals['uploaded']}"
    )
    assert regressions == 0
    assert stamps[-1] == doc_ts(kpi_doc(max(plans[-1])))
    assert totals["conflicts"] > 0
    assert totals["superseded"] > 0


# --- a store that is down, hung, or dies ---------------------------------------------------------


@pytest.fixture
def own_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A server of the test's own (not started), the client environment pointing at it."""
    server = MotoServer(tmp_path)
    for name, value in client_env(server.endpoint).items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def test_a_store_that_is_down_is_counted_logged_once_and_caught_up_later(
    own_server: MotoServer, dirs: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens: the local mirror goes on, one error line, backoff; then the store comes
    up and the next pass uploads the latest good bytes."""
    state, local = dirs
    clock = Clock()
    mirror = target(clock=clock)
    sent = count_requests(mirror)
    syncer = StateMirror(state, local, remote=mirror)
    with caplog.at_level(logging.INFO, logger="execution.remote_mirror"):
        first = syncer.sync_once()
        assert first.copied == list(STATE_FILES)  # the local mirror went on
        assert first.remote is not None
        assert len(first.remote.errors) == 1
        assert len(first.remote.pending) == len(STATE_FILES) - 1  # the pass stopped trying
        assert "cannot reach the store" in next(iter(first.remote.errors.values()))
        attempts = sum(sent.values())
        assert attempts == FAST.max_attempts
        # Inside the backoff: no request, nothing logged again, local copies still made.
        (state / "nav.json").write_text('{"nav": 4999.0}')
        second = syncer.sync_once()
        assert second.copied == ["nav.json"]
        assert second.remote is not None
        assert second.remote.pending == ["nav.json"]
        assert sum(sent.values()) == attempts
        clock.now += 1.0
        third = syncer.sync_once()  # still down: tried once more, same reason, not logged again
        assert third.remote is not None
        assert len(third.remote.errors) == 1
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1
        assert "next attempt in 1 s" in errors[0].getMessage()
        assert mirror.totals["store_errors"] == 2
        own_server.start()
        make_test_client(own_server.endpoint).create_bucket(Bucket="kpi-fleet")
        clock.now += 2.0
        fourth = syncer.sync_once()
    assert fourth.remote is not None
    assert fourth.remote.ok
    assert sorted(fourth.remote.uploaded) == sorted(STATE_FILES)
    client = make_test_client(own_server.endpoint)
    for name in STATE_FILES:
        body = client.get_object(Bucket="kpi-fleet", Key=f"fleet/exec-a/{name}")["Body"].read()
        assert body == (state / name).read_bytes()
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_a_hung_endpoint_costs_a_bounded_number_of_timed_out_requests(
    monkeypatch: pytest.MonkeyPatch, dirs: tuple[Path, Path]
) -> None:
    """A server that accepts and never answers: max_attempts requests, each timed out, then the
    pass moves on."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        for name, value in client_env(endpoint).items():
            monkeypatch.setenv(name, value)
        settings = ClientSettings(connect_timeout_s=1.0, read_timeout_s=0.3, max_attempts=2)
        mirror = S3Mirror(parse_s3_url("s3://kpi-fleet/fleet"), "exec-a", settings=settings)
        state, local = dirs
        report = StateMirror(state, local, remote=mirror).sync_once()
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
    assert report.copied == list(STATE_FILES)
    assert report.remote is not None
    assert len(report.remote.errors) == 1
    assert "timeout" in next(iter(report.remote.errors.values())).lower()
    assert len(accepted) == settings.max_attempts


def test_the_server_killed_mid_pass_is_counted_and_the_mirror_recovers(
    own_server: MotoServer, dirs: tuple[Path, Path]
) -> None:
    """SIGKILL after the pass's second upload: the rest is counted and pending, the local mirror
    is complete; once the store is back (moto restarts empty: the bucket is created again, as a
    durable store would still have it) the next pass uploads the latest good bytes."""
    own_server.start()
    make_test_client(own_server.endpoint).create_bucket(Bucket="kpi-fleet")
    state, local = dirs
    clock = Clock()
    mirror = target(clock=clock)
    syncer = StateMirror(state, local, remote=mirror)
    assert syncer.sync_once().ok
    sim = Simulation.create(7)
    sim.step(T0)
    assert publish_state(state, T0 + 60, sim.step(T0 + 60)).ok
    puts = 0

    def kill_after_second_put(**_: Any) -> None:
        nonlocal puts
        puts += 1
        if puts == 2:
            own_server.kill()

    mirror.client.meta.events.register("after-call.s3.PutObject", kill_after_second_put)
    report = syncer.sync_once()
    assert report.copied == list(STATE_FILES)
    assert report.remote is not None
    assert len(report.remote.uploaded) == 2
    assert len(report.remote.errors) == 1
    assert len(report.remote.pending) == 2
    assert mirror.totals["store_errors"] == 1
    own_server.start()  # same port; moto's memory is gone
    checker = make_test_client(own_server.endpoint)
    assert checker.list_buckets()["Buckets"] == []  # nothing partial survived, nothing at all
    checker.create_bucket(Bucket="kpi-fleet")
    assert publish_state(state, T0 + 120, sim.step(T0 + 120)).ok  # the executor's next loop
    clock.now += 1.0
    caught_up = syncer.sync_once()
    assert caught_up.ok, caught_up.summary()
    for name in STATE_FILES:
        body = checker.get_object(Bucket="kpi-fleet", Key=f"fleet/exec-a/{name}")["Body"].read()
        assert body == (state / name).read_bytes() == (local / name).read_bytes()
    assert read_kpis("s3://kpi-fleet/fleet/exec-a/kpis_v7.json").kpis.ts.timestamp() == T0 + 120


def test_an_upload_cut_halfway_leaves_the_last_good_object_visible(
    s3: S3Env, dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection dies in the middle of each upload's body: the store keeps showing the last
    complete objects, the failure is counted, and the next pass uploads the new ones."""
    proxy = CuttingProxy(s3.server.port)
    proxy.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        state, local = dirs
        clock = Clock()
        mirror = target(clock=clock)
        syncer = StateMirror(state, local, remote=mirror)
        assert syncer.sync_once().ok
        before = {name: s3.get(f"fleet/exec-a/{name}") for name in STATE_FILES}
        sim = Simulation.create(7)
        sim.step(T0)
        assert publish_state(state, T0 + 60, sim.step(T0 + 60)).ok
        proxy.cut_puts = True
        report = syncer.sync_once()
        assert proxy.cuts == FAST.max_attempts
        assert report.remote is not None
        assert len(report.remote.errors) == 1
        assert "the connection to the store broke" in next(iter(report.remote.errors.values()))
        assert report.copied == list(STATE_FILES)
        for name in STATE_FILES:  # complete old objects, never a half
            assert s3.get(f"fleet/exec-a/{name}") == before[name]
        assert read_kpis(s3.url("fleet", "exec-a", "kpis_v7.json")).kpis.ts.timestamp() == T0
        proxy.cut_puts = False
        clock.now += 1.0
        assert syncer.sync_once().ok
    finally:
        proxy.stop()
    for name in STATE_FILES:
        assert s3.get(f"fleet/exec-a/{name}") == (state / name).read_bytes()


def test_an_unexpected_client_error_is_a_counted_failure_not_a_crash(
    s3: S3Env, dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the client raises, the pass returns, counts it and keeps the local mirror."""
    state, local = dirs
    mirror = target()

    def broken(**_: Any) -> None:
        raise RuntimeError("a bug in a client plugin")

    monkeypatch.setattr(mirror.client, "head_object", broken)
    report = StateMirror(state, local, remote=mirror).sync_once()
    assert report.copied == list(STATE_FILES)
    assert report.remote is not None
    assert list(report.remote.errors.values()) == [
        "s3://kpi-fleet/fleet/exec-a/nav.json::$: unexpected RuntimeError: a bug in a client plugin"
    ]
