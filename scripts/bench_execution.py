"""Executor-side benchmark (issue 3): the mirror's and the publisher's cost, as ratios.

    .venv/bin/python scripts/bench_execution.py          # or through scripts/bench.py

(1) One ``sync_state`` pass over a state directory of 1,000 files of which 10 changed, against
    copying just those 10 files (read + ``write_atomic`` over the previous copies in a directory of
    1,000 files, as the mirror does). Target <= 2x: the pass costs what the changed files cost,
    not what the directory holds.
(2) One loop's ``publish_state`` (four snapshot files plus kpis_v7.json: KPI build, schema check,
    serialisation and five durable writes) against the five durable writes of the same bytes.
    Target <= 1.5x.

(3) Issue 11, the remote mirror: one ``sync_state`` pass with ``--mirror-url`` over the five state
    files of which one changed (lstat of five, read + validation + local durable copy + conditional
    upload of the one), against a plain ``PutObject`` of that one file's bytes. Target <= 1.5x:
    unchanged files cost no upload and no request.
(4) ``read_fleet`` over 100 executor prefixes (one listing, 100 reads, 100 validations), against
    100 plain ``GetObject`` reads of the same objects, one after the other. Target <= 1.5x.
    ``read_fleet`` reads 16 objects at a time; the figure with ``workers=1`` is shown beside it.

(3) and (4) run against moto's S3 server (``moto[server]``, the test extra; started as the tests
start it, ``tests/s3_server.py``, one request at a time), on a free loopback port, and stopped;
they are skipped, with a line saying so, when it is not installed. Loopback requests to moto cost
milliseconds of server-side Python, so the ratios say what the code adds to the requests it cannot
avoid.

Both sides of a ratio are measured alternately in the same run, in scratch directories under the
state directory (``logs/state/`` below the working directory, so on the state directory's disk, not
on a tmpfs), and the figures are medians over the repetitions.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a file: make the `execution` package importable

FILES = 1_000
CHANGED = 10
REPEATS = 21


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _verdict(ratio: float, target: float) -> str:
    return f"target <= {target}x: {'meets target' if ratio <= target else 'MISSES target'}"


def _sync_line(scratch: Path) -> str:
    from execution.sync_state import StateMirror
    from kpi_contract.writer import write_atomic

    state, mirror, baseline = scratch / "state", scratch / "mirror", scratch / "baseline"
    for directory in (state, mirror, baseline):
        directory.mkdir()
    names = [f"state_{i:04d}.json" for i in range(FILES)]

    def document(i: int, version: int) -> bytes:
        body = {"symbol": f"SYM{i}USDT", "version": version, "maker_fill_rate": 0.55,
                "slippage_bps": [1.5, 2.5, 3.5], "policy": {"quality": "ok", "maker_first": True}}
        return json.dumps(body, indent=2).encode() + b"\n"

    for i, name in enumerate(names):
        write_atomic(state / name, document(i, 0))
        write_atomic(baseline / name, document(i, 0))  # both sides replace existing files
    syncer = StateMirror(state, mirror, files=names)
    if len(syncer.sync_once().copied) != FILES:
        raise AssertionError("initial mirror pass incomplete")

    sync_s, copy_s = [], []
    for rep in range(REPEATS):
        changed = [(rep * CHANGED + k) * 7 % FILES for k in range(CHANGED)]
        for i in changed:
            write_atomic(state / names[i], document(i, rep + 1))

        def sync_pass() -> None:
            if len(syncer.sync_once().copied) != CHANGED:
                raise AssertionError("sync pass did not copy exactly the changed files")

        def copy_changed(changed: list[int] = changed) -> None:
            for i in changed:
                if not write_atomic(baseline / names[i], (state / names[i]).read_bytes()).ok:
                    raise AssertionError("baseline copy failed")

        if rep % 2:
            copy_s.append(_timed(copy_changed))
            sync_s.append(_timed(sync_pass))
        else:
            sync_s.append(_timed(sync_pass))
            copy_s.append(_timed(copy_changed))
    sync_ms, copy_ms = statistics.median(sync_s) * 1e3, statistics.median(copy_s) * 1e3
    ratio = sync_ms / copy_ms
    return (
        f"(1) sync pass, {FILES:,} files / {CHANGED} changed {sync_ms:7.2f} ms vs copying the "
        f"{CHANGED} with write_atomic {copy_ms:7.2f} ms -> {ratio:.2f}x ({_verdict(ratio, 2)})"
    )


def _publish_line(scratch: Path) -> str:
    from execution.simulation import Simulation
    from execution.state_files import MIRRORED_FILES
    from execution.state_publish import publish_state
    from kpi_contract.writer import write_atomic

    state, baseline = scratch / "publish", scratch / "writes"
    state.mkdir()
    baseline.mkdir()
    sim = Simulation.create(7)
    now = time.time()
    for i in range(200):
        snapshots = sim.step(now + i)
    if not publish_state(state, now, snapshots).ok:
        raise AssertionError("benchmark publish failed")
    payloads = {name: (state / name).read_bytes() for name in MIRRORED_FILES}

    def publish() -> None:
        if not publish_state(state, now, snapshots).ok:
            raise AssertionError("benchmark publish failed")

    def writes() -> None:
        for name, data in payloads.items():
            if not write_atomic(baseline / name, data).ok:
                raise AssertionError("benchmark write failed")

    publish_s, write_s = [], []
    for rep in range(REPEATS):
        first, second = (publish, writes) if rep % 2 == 0 else (writes, publish)
        a, b = _timed(first), _timed(second)
        publish_s.append(a if first is publish else b)
        write_s.append(b if first is publish else a)
    publish_ms, write_ms = statistics.median(publish_s) * 1e3, statistics.median(write_s) * 1e3
    ratio = publish_ms / write_ms
    size = sum(len(d) for d in payloads.values())
    return (
        f"(2) publish_state of the five files ({size:,} bytes) {publish_ms:7.2f} ms vs the five "
        f"durable writes {write_ms:7.2f} ms -> {ratio:.2f}x ({_verdict(ratio, 1.5)})"
    )


def _remote_lines(scratch: Path) -> list[str]:
    """(3) and (4), against a moto server started here; one line saying why when skipped."""
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError:
        return ["(3)(4) skipped: the remote benchmarks need boto3 and moto[server] (test extra)"]
    from tests.s3_server import MotoServer, client_env

    server = MotoServer(scratch)
    server.start()
    saved = dict(os.environ)
    os.environ.update(client_env(server.endpoint))
    try:
        return [_remote_pass_line(scratch), _fleet_line()]
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def _remote_pass_line(scratch: Path) -> str:
    from execution.remote_mirror import S3Mirror
    from execution.simulation import Simulation
    from execution.state_publish import publish_state
    from execution.sync_state import StateMirror
    from kpi_contract.s3 import make_client, parse_s3_url
    from kpi_contract.writer import write_atomic

    state, mirror = scratch / "remote-state", scratch / "remote-mirror"
    local_only = scratch / "local-only-mirror"
    for directory in (state, mirror, local_only):
        directory.mkdir()
    client = make_client()
    client.create_bucket(Bucket="bench")
    sim = Simulation.create(7)
    now = time.time()
    if not publish_state(state, now, sim.step(now)).ok:
        raise AssertionError("benchmark publish failed")
    target = S3Mirror(parse_s3_url("s3://bench/fleet"), "exec-1", client=client)
    syncer = StateMirror(state, mirror, remote=target)
    local_syncer = StateMirror(state, local_only)
    if not (syncer.sync_once().ok and local_syncer.sync_once().ok):
        raise AssertionError("initial passes failed")

    pass_s: list[float] = []
    put_s: list[float] = []
    local_s: list[float] = []
    for rep in range(REPEATS):
        body = json.dumps({"nav": 5000.0 + rep, "updated_ts": now + rep}).encode() + b"\n"
        write_atomic(state / "nav.json", body)

        def remote_pass() -> None:
            report = syncer.sync_once()
            if report.remote is None or report.remote.uploaded != ["nav.json"]:
                raise AssertionError(f"the pass did not upload just nav.json: {report.summary()}")

        def plain_put(body: bytes = body) -> None:
            client.put_object(Bucket="bench", Key="plain/nav.json", Body=body)

        def local_pass() -> None:
            if local_syncer.sync_once().copied != ["nav.json"]:
                raise AssertionError("the local-only pass did not copy just nav.json")

        order = [(remote_pass, pass_s), (plain_put, put_s), (local_pass, local_s)]
        for fn, sink in order[rep % 3:] + order[: rep % 3]:
            sink.append(_timed(fn))
    pass_ms, put_ms, local_ms = (statistics.median(x) * 1e3 for x in (pass_s, put_s, local_s))
    ratio = pass_ms / put_ms
    return (
        f"(3) remote sync pass, 5 files / 1 changed {pass_ms:7.2f} ms vs one plain PutObject of "
        f"that file {put_ms:7.2f} ms -> {ratio:.2f}x ({_verdict(ratio, 1.5)}); the same pass "
        f"without --mirror-url {local_ms:.2f} ms, so the remote part is "
        f"{(pass_ms - local_ms) / put_ms:.2f}x the plain PutObject"
    )


def _fleet_line() -> str:
    from kpi_contract import build_kpis_v7
    from kpi_contract.fleet import read_fleet
    from kpi_contract.s3 import make_client
    from kpi_contract.serialize import dump_document, model_document

    client = make_client()
    client.create_bucket(Bucket="fleet")
    now = time.time()
    keys = [f"desk/exec-{i:03d}/kpis_v7.json" for i in range(100)]
    for i, key in enumerate(keys):
        nav = {"nav_total": 5000.0 + i, "age_s": 1.0, "sources_ok": True}
        doc = dump_document(model_document(build_kpis_v7(now - i, nav, None, None)))
        client.put_object(Bucket="fleet", Key=key, Body=doc)

    def fleet(workers: int) -> Callable[[], None]:
        def read() -> None:
            entries = read_fleet("s3://fleet/desk", now_ts=now, client=client, workers=workers)
            if len(entries) != len(keys) or any(e.reading is None for e in entries):
                raise AssertionError("read_fleet did not read the 100 executors")
        return read

    def plain_reads() -> None:
        for key in keys:
            client.get_object(Bucket="fleet", Key=key)["Body"].read()

    fleet_s: list[float] = []
    serial_s: list[float] = []
    plain_s: list[float] = []
    for rep in range(REPEATS):
        order = [(fleet(16), fleet_s), (fleet(1), serial_s), (plain_reads, plain_s)]
        for fn, sink in order[rep % 3:] + order[: rep % 3]:
            sink.append(_timed(fn))
    fleet_ms, serial_ms, plain_ms = (statistics.median(x) * 1e3 for x in (fleet_s, serial_s,
                                                                          plain_s))
    ratio = fleet_ms / plain_ms
    return (
        f"(4) read_fleet over 100 executors {fleet_ms:7.2f} ms (workers=1: {serial_ms:.2f} ms, "
        f"{serial_ms / plain_ms:.2f}x) vs 100 plain GetObject reads {plain_ms:7.2f} ms -> "
        f"{ratio:.2f}x ({_verdict(ratio, 1.5)})"
    )


def run() -> list[str]:
    """Measure (1) to (4); return printable lines."""
    from execution.state_files import DEFAULT_STATE_DIR

    base = Path.cwd() / DEFAULT_STATE_DIR
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-execution-", dir=base))
    try:
        return [
            f"execution benchmarks in {scratch} (medians of {REPEATS} repetitions)",
            _sync_line(scratch),
            _publish_line(scratch),
            *_remote_lines(scratch),
        ]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    for line in run():
        print(line)
