"""Crash safety of publish_kpis: SIGKILL at random points, and a reader racing the writer.

The publishing processes are forked from the test process (``multiprocessing`` "fork" context):
a forked child is a separate process that SIGKILL stops as abruptly as any other, and starting
one costs milliseconds instead of the ~150 ms of a fresh interpreter, which keeps hundreds of
kill/restart cycles cheap. Assertions count events, never elapsed time.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import random
import signal
import time
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.publish import publish_kpis
from kpi_contract.schema import load_schema
from kpi_contract.serialize import dump_document
from kpi_contract.validation import validate_bytes
from kpi_contract.writer import clean_stale_temps

FORK = multiprocessing.get_context("fork")
KILLS = 200
READS = 10_000
MIN_CHANGES_SEEN = 100
READY_TIMEOUT_S = 30.0

pytestmark = pytest.mark.slow


def payloads() -> tuple[dict[str, Any], dict[str, Any]]:
    """Two different valid payloads: the schema's own examples."""
    examples = load_schema()["examples"]
    return copy.deepcopy(examples[0]), copy.deepcopy(examples[1])


def publish_forever(target: Path, ready: Event, published: Synchronized[int]) -> None:
    """Child: clean up after the previous (killed) run, say so, then publish A, B, A, ... ."""
    clean_stale_temps(target.parent)
    ready.set()
    documents = payloads()
    while True:
        for document in documents:
            if not publish_kpis(target, document).ok:
                os._exit(3)
            published.value += 1


def start_publisher(target: Path, published: Synchronized[int]) -> Any:
    ready = FORK.Event()
    process = FORK.Process(target=publish_forever, args=(target, ready, published), daemon=True)
    process.start()
    assert ready.wait(READY_TIMEOUT_S), "publisher did not start"
    return process


def wait_for_publishes(published: Synchronized[int], count: int, process: Any) -> None:
    """Block until the publisher has completed ``count`` publishes in all (it must not die or stall;
    the deadline only keeps a broken publisher from hanging the suite)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while published.value < count:
        assert process.is_alive(), f"publisher died on its own: {process.exitcode}"
        assert time.monotonic() < deadline, "the publisher stopped publishing"
        process.join(0.0005)


def kill(process: Any) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    assert process.exitcode == -signal.SIGKILL, f"publisher died on its own: {process.exitcode}"


def temp_files(directory: Path) -> set[Path]:
    return {p for p in directory.iterdir() if p.name.endswith(".tmp")}


def test_sigkill_during_publishing_never_leaves_a_torn_file(tmp_path: Path) -> None:
    """After each of 200 SIGKILLs the file is one complete valid payload; temps are cleaned."""
    target = tmp_path / "kpis_v7.json"
    first, second = payloads()
    expected = {dump_document(first), dump_document(second)}
    assert publish_kpis(target, first).ok
    published: Synchronized[int] = FORK.Value("q", 0, lock=False)
    rng = random.Random(20260101)
    leftovers: set[Path] = set()
    kills_leaving_a_temp = 0

    for _ in range(KILLS):
        process = start_publisher(target, published)
        assert not leftovers & temp_files(tmp_path), "a killed run's temp file survived a start"
        # Let it publish a random number of documents, then kill it a random instant later: by
        # count, not by a time window, so a loaded machine cannot turn the kills into no-ops.
        wait_for_publishes(published, published.value + rng.randint(1, 3), process)
        process.join(rng.uniform(0.0, 0.003))
        kill(process)

        data = target.read_bytes()
        assert data in expected
        assert validate_bytes(data) == []
        leftovers = temp_files(tmp_path)
        kills_leaving_a_temp += bool(leftovers)

    assert kills_leaving_a_temp > 0, "no kill landed mid-write; the cleanup was never exercised"
    clean_stale_temps(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_concurrent_reader_never_sees_a_partial_document(tmp_path: Path) -> None:
    """10,000+ reads while another process publishes in a loop all get a complete valid file."""
    target = tmp_path / "kpis_v7.json"
    first, second = payloads()
    expected = {dump_document(first), dump_document(second)}
    assert publish_kpis(target, first).ok
    published: Synchronized[int] = FORK.Value("q", 0, lock=False)
    process = start_publisher(target, published)
    reads = changes = 0
    previous = b""
    try:
        while reads < READS or changes < MIN_CHANGES_SEEN:
            data = target.read_bytes()
            assert data in expected, f"read {reads} saw {len(data)} bytes that are not a payload"
            assert validate_bytes(data) == []
            changes += data != previous
            previous = data
            reads += 1
            assert reads < 50 * READS, "the publisher stopped publishing"
    finally:
        kill(process)
    assert reads >= READS
    assert changes >= MIN_CHANGES_SEEN
