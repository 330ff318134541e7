"""Executor-side benchmark (issue 3): the mirror's and the publisher's cost, as ratios.

    .venv/bin/python scripts/bench_execution.py          # or through scripts/bench.py

(1) One ``sync_state`` pass over a state directory of 1,000 files of which 10 changed, against
    copying just those 10 files (read + ``write_atomic`` over the previous copies in a directory of
    1,000 files, as the mirror does). Target <= 2x: the pass costs what the changed files cost,
    not what the directory holds.
(2) One loop's ``publish_state`` (four snapshot files plus kpis_v7.json: KPI build, schema check,
    serialisation and five durable writes) against the five durable writes of the same bytes.
    Target <= 1.5x.

Both sides of a ratio are measured alternately in the same run, in scratch directories under the
state directory (``logs/state/`` below the working directory, so on the state directory's disk, not
on a tmpfs), and the figures are medians over the repetitions.
"""

from __future__ import annotations

import json
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


def run() -> list[str]:
    """Measure (1) and (2); return printable lines."""
    from execution.state_files import DEFAULT_STATE_DIR

    base = Path.cwd() / DEFAULT_STATE_DIR
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-execution-", dir=base))
    try:
        return [
            f"execution benchmarks in {scratch} (medians of {REPEATS} repetitions)",
            _sync_line(scratch),
            _publish_line(scratch),
        ]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    for line in run():
        print(line)
