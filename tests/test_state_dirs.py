"""Hostile state and mirror directories (issue 12, second part): no leak, no write outside the
mirror, one writer per directory, no older document served, readable by another user.

The races run in bounded loops (a time limit, counted outcomes) against real processes: a
``renameat2(RENAME_EXCHANGE)`` swapper forked beside the mirror, two executors, two mirrors.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import signal
import stat
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from execution.sync_state import StateMirror
from kpi_contract.schema import load_schema
from kpi_contract.serialize import dump_document
from tests.test_execution_support import (
    PYTHON,
    STATE_FILES,
    clean_env,
    loop_lines,
    published_state_and_mirror,
    run_executor,
    run_module,
    temp_files,
    wait_for,
)

T0 = 1767225600.0
RACE_SECONDS = 2.0
FORK = multiprocessing.get_context("fork")
AT_FDCWD = -100
RENAME_EXCHANGE = 2
SECRET = b'{"secret": "outside the state directory"}\n'

pytestmark = pytest.mark.slow


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc if hasattr(libc, "renameat2") else None


LIBC = _libc()
needs_renameat2 = pytest.mark.skipif(LIBC is None, reason="libc has no renameat2")


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two names (renameat2 RENAME_EXCHANGE)."""
    return LIBC.renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b),
                          RENAME_EXCHANGE) == 0


def swap_forever(a: Path, b: Path) -> None:
    """Child process: swap two names as fast as possible until killed."""
    while True:
        exchange(a, b)


def start_swapper(a: Path, b: Path) -> Any:
    process = FORK.Process(target=swap_forever, args=(a, b), daemon=True)
    process.start()
    return process


def stop(process: Any) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.join()


def kpi_doc(ts: str, nav_total: float = 4093.43) -> bytes:
    doc = json.loads(json.dumps(load_schema()["examples"][0]))
    doc["ts"] = ts
    doc["nav"]["nav_total"] = nav_total
    return dump_document(doc)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """A state directory with one loop published, and an empty mirror directory."""
    return published_state_and_mirror(tmp_path, T0)


# --- never leak, never write outside the mirror ------------------------------------------


@needs_renameat2
def test_a_directory_swap_race_never_leaks_an_outside_file(
    dirs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """positions.json -> archive/positions.json while archive is swapped with a link to outside.

    For RACE_SECONDS the swapper exchanges ``archive`` (a directory) and ``decoy`` (a link to a
    directory outside holding another positions.json) as fast as it can; the mirror runs pass
    after pass. The outside content never reaches the mirror.
    """
    state, mirror = dirs
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "positions.json").write_bytes(SECRET)
    (state / "archive").mkdir()
    (state / "positions.json").rename(state / "archive" / "positions.json")
    (state / "positions.json").symlink_to(Path("archive") / "positions.json")
    (state / "decoy").symlink_to(outside)
    legit = (state / "archive" / "positions.json").read_bytes()
    outcomes: Counter[str] = Counter()
    swapper = start_swapper(state / "archive", state / "decoy")
    try:
        deadline = time.monotonic() + RACE_SECONDS
        syncer = StateMirror(state, mirror)
        while time.monotonic() < deadline:
            if outcomes["passes"] % 50 == 49:  # a fresh process trusts nothing: re-verify
                syncer.close()
                syncer = StateMirror(state, mirror)
            report = syncer.sync_once()
            outcomes["passes"] += 1
            for kind in ("copied", "unchanged", "missing"):
                outcomes[kind] += "positions.json" in getattr(report, kind)
            outcomes["rejected"] += "positions.json" in report.rejected
            outcomes["errors"] += "positions.json" in report.errors
            copy = mirror / "positions.json"
            outcomes["leaks"] += copy.exists() and copy.read_bytes() == SECRET
        syncer.close()
    finally:
        stop(swapper)
    with capsys.disabled():
        print(f"\n  directory swap race: {dict(outcomes)}")
    assert outcomes["leaks"] == 0
    assert (mirror / "positions.json").read_bytes() == legit
    assert outcomes["passes"] > 100
    assert outcomes["rejected"] + outcomes["errors"] > 0, "the swapper never won a race"


def test_a_mirror_swapped_for_a_link_to_the_state_dir_receives_nothing(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    """mirror -> a link to the state dir mid-run: errors each pass, nothing written anywhere."""
    state, mirror = dirs
    with StateMirror(state, mirror) as syncer:
        assert syncer.sync_once().copied == list(STATE_FILES)
        before = {n: (state / n).stat().st_ino for n in STATE_FILES}
        mirror.rename(tmp_path / "mirror-moved")
        mirror.symlink_to(state)
        (state / "kpis_v7.json").write_bytes(kpi_doc("2026-01-01T00:05:00Z"))
        before["kpis_v7.json"] = (state / "kpis_v7.json").stat().st_ino
        for _ in range(3):
            report = syncer.sync_once()
            assert sorted(report.errors) == sorted(STATE_FILES)
            assert "symbolic link" in report.errors["kpis_v7.json"]
        assert sorted(p.name for p in state.iterdir()) == sorted(STATE_FILES)
        assert {n: (state / n).stat().st_ino for n in STATE_FILES} == before
        mirror.unlink()
        (tmp_path / "mirror-moved").rename(mirror)
        assert syncer.sync_once().copied == ["kpis_v7.json"]


def test_a_mirror_swapped_before_its_first_pass_recovers_when_restored(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    """The mirror path leads to the state dir at the first pass: nothing written, and nothing
    pinned either; once the real mirror is back, the next pass copies (no restart needed)."""
    state, mirror = dirs
    mirror.rename(tmp_path / "mirror-moved")
    mirror.symlink_to(state)
    with StateMirror(state, mirror) as syncer:
        report = syncer.sync_once()
        assert "is the state directory" in report.errors["kpis_v7.json"]
        assert sorted(p.name for p in state.iterdir()) == sorted(STATE_FILES)
        mirror.unlink()
        (tmp_path / "mirror-moved").rename(mirror)
        assert syncer.sync_once().copied == list(STATE_FILES)


@needs_renameat2
def test_a_mirror_swap_race_never_writes_into_the_state_dir(
    dirs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mirror directory exchanged with a link to the state dir in a loop: no write lands
    in the state directory (its files keep the inodes the publisher gave them)."""
    state, mirror = dirs
    link = tmp_path / "dashboard" / "link"
    link.symlink_to(state)
    outcomes: Counter[str] = Counter()
    swapper = start_swapper(mirror, link)
    try:
        deadline = time.monotonic() + RACE_SECONDS
        with StateMirror(state, mirror) as syncer:
            while time.monotonic() < deadline:
                ts = f"2026-01-01T{outcomes['passes'] // 3600 % 24:02d}:" \
                     f"{outcomes['passes'] // 60 % 60:02d}:{outcomes['passes'] % 60:02d}Z"
                (state / ".next").write_bytes(kpi_doc(ts))
                os.replace(state / ".next", state / "kpis_v7.json")
                inodes = {n: (state / n).stat().st_ino for n in STATE_FILES}
                report = syncer.sync_once()
                outcomes["passes"] += 1
                outcomes["copied"] += bool(report.copied)
                outcomes["errors"] += bool(report.errors)
                after = {n: (state / n).stat().st_ino for n in STATE_FILES}
                outcomes["writes_into_state"] += after != inodes
                outcomes["foreign_entries"] += any(
                    p.name not in STATE_FILES for p in state.iterdir()
                )
    finally:
        stop(swapper)
    with capsys.disabled():
        print(f"\n  mirror swap race: {dict(outcomes)}")
    assert outcomes["writes_into_state"] == 0
    assert outcomes["foreign_entries"] == 0
    assert outcomes["passes"] > 100
    assert outcomes["copied"] > 0
    assert outcomes["errors"] > 0, "the swapper never won a race"


# --- trust only what this process verified --------------------------------------------------


@pytest.mark.parametrize("name", ["kpis_v7.json", "nav.json"])
def test_a_planted_copy_with_the_sources_size_and_mtime_is_replaced_on_a_fresh_start(
    dirs: tuple[Path, Path], name: str
) -> None:
    """Forged bytes of the same size and mtime in the mirror: a new process compares content."""
    state, mirror = dirs
    StateMirror(state, mirror).sync_once()
    source = (state / name).read_bytes()
    forged = source.replace(b"0", b"1").replace(b"4", b"5")
    assert forged != source
    assert len(forged) == len(source)
    (mirror / name).write_bytes(forged)
    mtime = (state / name).stat().st_mtime_ns
    os.utime(mirror / name, ns=(mtime, mtime))
    with StateMirror(state, mirror) as fresh:
        report = fresh.sync_once()
    assert report.copied == [name]
    assert (mirror / name).read_bytes() == source


def test_a_planted_symlink_in_the_mirror_is_replaced_not_followed(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    """A link in the mirror to a file with the source's very bytes is still not "unchanged"."""
    state, mirror = dirs
    planted = tmp_path / "planted.json"
    planted.write_bytes((state / "kpis_v7.json").read_bytes())
    (mirror / "kpis_v7.json").symlink_to(planted)
    with StateMirror(state, mirror) as fresh:
        assert "kpis_v7.json" in fresh.sync_once().copied
    assert not (mirror / "kpis_v7.json").is_symlink()
    assert stat.S_IMODE((mirror / "kpis_v7.json").stat().st_mode) == 0o644


def test_two_same_size_publishes_in_one_second_and_a_restart_serve_the_newer(
    dirs: tuple[Path, Path],
) -> None:
    """On 1-second mtimes: A copied, B (same size, same mtime) published, restart: B is served."""
    state, mirror = dirs
    second = 1_767_225_600 * 10**9
    (state / "kpis_v7.json").write_bytes(kpi_doc("2026-01-01T00:00:01Z"))
    os.utime(state / "kpis_v7.json", ns=(second, second))
    StateMirror(state, mirror).sync_once()
    newer = kpi_doc("2026-01-01T00:00:02Z")
    (state / "kpis_v7.json").write_bytes(newer)
    os.utime(state / "kpis_v7.json", ns=(second, second))
    with StateMirror(state, mirror) as restarted:
        report = restarted.sync_once()
    assert report.copied == ["kpis_v7.json"]
    assert (mirror / "kpis_v7.json").read_bytes() == newer


def test_a_rewrite_in_place_with_the_old_mtime_is_noticed_in_the_same_process(
    dirs: tuple[Path, Path],
) -> None:
    """Same inode, size and mtime, new bytes: the ctime in the signature gives it away."""
    state, mirror = dirs
    with StateMirror(state, mirror) as syncer:
        syncer.sync_once()
        path = state / "kpis_v7.json"
        before = path.stat()
        newer = kpi_doc("2026-01-01T00:00:09Z")
        newer = newer[:-1] + b" " * (before.st_size - len(newer)) + b"\n"
        with path.open("r+b") as handle:
            handle.write(newer)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert (path.stat().st_ino, path.stat().st_size) == (before.st_ino, before.st_size)
        assert syncer.sync_once().copied == ["kpis_v7.json"]
    assert (mirror / "kpis_v7.json").read_bytes() == newer


# --- time never runs backwards -----------------------------------------------------------


def test_the_mirror_never_replaces_a_kpi_file_with_an_older_ts(
    dirs: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """ts going backwards: rejected with the reason, counted once, in this process or the next."""
    state, mirror = dirs
    newest = kpi_doc("2026-01-01T00:10:00Z")
    (state / "kpis_v7.json").write_bytes(newest)
    with StateMirror(state, mirror) as syncer:
        assert "kpis_v7.json" in syncer.sync_once().copied
        (state / "kpis_v7.json").write_bytes(kpi_doc("2026-01-01T00:09:59Z", 5000.0))
        first, again = syncer.sync_once(), syncer.sync_once()
        assert "is older than the mirrored copy" in first.rejected["kpis_v7.json"]
        assert "kpis_v7.json" in again.rejected
        assert syncer.totals["rejected"] == 1
    with StateMirror(state, mirror) as restarted:
        assert "older" in restarted.sync_once().rejected["kpis_v7.json"]
    assert (mirror / "kpis_v7.json").read_bytes() == newest
    later = kpi_doc("2026-01-01T00:10:01Z", 5000.0)
    (state / "kpis_v7.json").write_bytes(later)
    with StateMirror(state, mirror) as syncer:
        assert syncer.sync_once().copied == ["kpis_v7.json"]
    assert (mirror / "kpis_v7.json").read_bytes() == later


NOON = 1767268800.0  # 2026-01-01T12:00:00Z, the mirror's clock in the tests below


def test_a_kpi_file_from_the_future_is_not_mirrored(dirs: tuple[Path, Path]) -> None:
    """A ts more than the skew tolerance ahead of the host's clock (a clock stepped forward) is
    rejected with the reason; the last good copy stays; within the tolerance it is mirrored."""
    state, mirror = dirs
    good = kpi_doc("2026-01-01T11:59:00Z")
    (state / "kpis_v7.json").write_bytes(good)
    with StateMirror(state, mirror, clock=lambda: NOON) as syncer:
        assert "kpis_v7.json" in syncer.sync_once().copied
        (state / "kpis_v7.json").write_bytes(kpi_doc("2026-01-01T13:00:00Z", 5000.0))
        rejected = syncer.sync_once().rejected["kpis_v7.json"]
        assert "3600 s ahead of this host's clock" in rejected
        assert (mirror / "kpis_v7.json").read_bytes() == good
        skewed = kpi_doc("2026-01-01T12:00:04Z", 5000.0)
        (state / "kpis_v7.json").write_bytes(skewed)
        assert syncer.sync_once().copied == ["kpis_v7.json"]
    assert (mirror / "kpis_v7.json").read_bytes() == skewed


def test_a_mirrored_copy_from_the_future_does_not_freeze_the_mirror(
    dirs: tuple[Path, Path]
) -> None:
    """A copy whose ts lies in the future (mirrored before the host's clock was corrected, or
    planted) is no barrier: the next valid document replaces it, in this process or the next."""
    state, mirror = dirs
    (state / "kpis_v7.json").write_bytes(kpi_doc("2999-01-01T00:00:00Z"))
    with StateMirror(state, mirror, clock=lambda: 32503680000.0) as syncer:  # clock in 2999
        assert "kpis_v7.json" in syncer.sync_once().copied
    now = kpi_doc("2026-01-01T11:59:30Z", 5000.0)
    (state / "kpis_v7.json").write_bytes(now)
    with StateMirror(state, mirror, clock=lambda: NOON) as corrected:
        assert corrected.sync_once().copied == ["kpis_v7.json"]
    assert (mirror / "kpis_v7.json").read_bytes() == now


@pytest.mark.parametrize(
    "content",
    [b'\xef\xbb\xbf{"nav": 1}', '{"nav": 1}'.encode("utf-16"), b'{"nav": 1, "nav": 2}',
     b'{"nav": 1e400}', b'{"nav": ' + b"1" * 400 + b"}", b'{"nav": "\xe9"}'],
    ids=["bom", "utf-16", "duplicate-key", "1e400", "400-digit-int", "latin-1"],
)
def test_other_state_files_are_mirrored_only_as_strict_utf8_json(
    dirs: tuple[Path, Path], content: bytes
) -> None:
    """nav.json that a strict dashboard parser would refuse or misread: not mirrored."""
    state, mirror = dirs
    (state / "nav.json").write_bytes(content)
    with StateMirror(state, mirror) as syncer:
        report = syncer.sync_once()
    assert list(report.rejected) == ["nav.json"]
    assert not (mirror / "nav.json").exists()


# --- one writer per directory ------------------------------------------------------------


def start_executor(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-m", "execution.executor_live", *args], cwd=cwd, env=clean_env(DRY_RUN="1"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_a_second_executor_refuses_and_leaves_the_first_ones_temp_files(tmp_path: Path) -> None:
    """The state dir is locked: the second start exits 2 with one line and cleans nothing."""
    first = start_executor(tmp_path, "--interval", "0.05")
    state = tmp_path / "logs" / "state"
    try:
        wait_for((state / "kpis_v7.json").exists)
        in_flight = state / ".kpis_v7.json.0123456789abcdef.tmp"
        in_flight.write_text("being written")
        second = run_executor(tmp_path, "--loops", "1", "--mirror-dir", "other")
        assert second.returncode == 2
        lines = second.stderr.splitlines()
        assert len(lines) == 1, second.stderr
        assert f"locked by process {first.pid}" in lines[0]
        assert in_flight.exists()
        mirror = run_module(tmp_path, "execution.sync_state", "--once")
        assert mirror.returncode == 2
        assert f"locked by process {first.pid}" in mirror.stderr
    finally:
        first.kill()  # SIGKILL: the kernel drops the lock
        first.communicate(timeout=20)
    after = run_executor(tmp_path, "--loops", "1", "--interval", "0")
    assert after.returncode == 0, after.stderr
    assert not in_flight.exists()  # now it is stale, and this start holds the lock
    assert temp_files(state) == []


def _kpi_ts_reader(path: Path, stop_reading: threading.Event, found: Counter[str]) -> None:
    last = ""
    while not stop_reading.is_set():
        try:
            ts = json.loads(path.read_bytes())["ts"]
        except (OSError, ValueError, KeyError):
            continue
        found["reads"] += 1
        found["backwards"] += ts < last
        last = max(last, ts)


def test_two_executors_started_together_one_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rounds of two executors started at once on one state dir: exactly one runs, and the KPI
    file never goes back in time."""
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + 3 * RACE_SECONDS
    state = tmp_path / "logs" / "state"
    while time.monotonic() < deadline or outcomes["rounds"] < 2:
        stop_reading = threading.Event()
        reader = threading.Thread(
            target=_kpi_ts_reader, args=(state / "kpis_v7.json", stop_reading, outcomes)
        )
        reader.start()
        # Both run until stopped, so they overlap however slowly either starts: the refused
        # one exits 2 on its own; the other is then stopped with SIGTERM (exit 0).
        pair = [start_executor(tmp_path, "--interval", "0.02", "--mirror-dir", f"mirror{i}")
                for i in range(2)]
        first_exit = time.monotonic() + 60
        while all(p.poll() is None for p in pair):
            assert time.monotonic() < first_exit, "both executors are running on one state dir"
            time.sleep(0.01)
        for p in pair:
            if p.poll() is None:
                time.sleep(0.1)  # let the survivor publish a little more while the reader reads
                p.send_signal(signal.SIGTERM)
        codes = sorted(p.wait(timeout=120) for p in pair)
        stop_reading.set()
        reader.join()
        errors = [p.stderr.read() for p in pair if p.stderr is not None]
        for p in pair:
            for stream in (p.stdout, p.stderr):
                if stream is not None:
                    stream.close()
        outcomes["rounds"] += 1
        outcomes["one_refused" if codes == [0, 2] else f"codes_{codes}"] += 1
        assert all("Traceback" not in e for e in errors), errors
    with capsys.disabled():
        print(f"\n  two executors: {dict(outcomes)}")
    assert outcomes["one_refused"] == outcomes["rounds"]
    assert outcomes["backwards"] == 0
    assert temp_files(state) == []


def test_two_mirrors_on_one_mirror_dir_one_refuses(dirs: tuple[Path, Path]) -> None:
    """A running mirror holds the mirror dir: a second sync_state (and an executor) refuse."""
    state, mirror = dirs
    cwd = state.parent.parent
    args = ("--state-dir", str(state), "--mirror-dir", str(mirror))
    first = subprocess.Popen(
        [PYTHON, "-m", "execution.sync_state", *args, "--interval", "0.02"], cwd=cwd,
        env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for((mirror / "kpis_v7.json").exists)
        second = run_module(cwd, "execution.sync_state", "--once", *args)
        assert second.returncode == 2
        assert len(second.stderr.splitlines()) == 1
        assert "locked by process" in second.stderr
        executor = run_executor(cwd, "--loops", "1", "--state-dir", "other-state",
                                "--mirror-dir", str(mirror))
        assert executor.returncode == 2
        assert "locked by process" in executor.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=20)
    assert first.returncode == 0, err
    assert run_module(cwd, "execution.sync_state", "--once", *args).returncode == 0


def test_two_mirrors_started_together_one_refuses(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Rounds of two sync_state loops started at once on one mirror dir: exactly one runs."""
    state, mirror = dirs
    cwd = state.parent.parent
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + RACE_SECONDS
    while time.monotonic() < deadline or outcomes["rounds"] < 2:
        pair = [subprocess.Popen(
            [PYTHON, "-m", "execution.sync_state", "--state-dir", str(state),
             "--mirror-dir", str(mirror), "--interval", "0.01"],
            cwd=cwd, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        ) for _ in range(2)]
        time.sleep(1.0)  # both have started (or one has refused) by now
        for process in pair:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = sorted(process.wait(timeout=30) for process in pair)
        for process in pair:
            assert process.stderr is not None
            assert "Traceback" not in process.stderr.read()
            process.stderr.close()
        outcomes["rounds"] += 1
        outcomes["one_refused" if codes == [0, 2] else f"codes_{codes}"] += 1
        for name in STATE_FILES:  # a change for the next round's winner to copy
            (state / name).write_bytes((state / name).read_bytes())
    with capsys.disabled():
        print(f"\n  two mirrors: {dict(outcomes)}")
    assert outcomes["one_refused"] == outcomes["rounds"]
    assert temp_files(mirror) == []


# --- readable by the dashboard -------------------------------------------------------------


def umask_077() -> None:
    os.umask(0o077)


def test_directories_created_under_umask_077_are_0755(tmp_path: Path) -> None:
    """The executor and the mirror create every missing directory 0755, files 0644."""
    result = subprocess.run(
        [PYTHON, "-m", "execution.executor_live", "--loops", "1", "--interval", "0",
         "--mirror-dir", "dashboard/deep/state"],
        cwd=tmp_path, env=clean_env(DRY_RUN="1"), capture_output=True, text=True, timeout=60,
        check=False, preexec_fn=umask_077,
    )
    assert result.returncode == 0, result.stderr
    directories = ["logs", "logs/state", "dashboard", "dashboard/deep", "dashboard/deep/state"]
    modes = {d: oct(stat.S_IMODE((tmp_path / d).stat().st_mode)) for d in directories}
    assert modes == dict.fromkeys(directories, "0o755")
    files = [p for d in ("logs/state", "dashboard/deep/state") for p in (tmp_path / d).iterdir()]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o644"}
    mirror = subprocess.run(
        [PYTHON, "-m", "execution.sync_state", "--once", "--mirror-dir", "other/mirror"],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60,
        check=False, preexec_fn=umask_077,
    )
    assert mirror.returncode == 0, mirror.stderr
    for d in ("other", "other/mirror"):
        assert stat.S_IMODE((tmp_path / d).stat().st_mode) == 0o755


@pytest.mark.parametrize("link", ["kpis_v7.json", "nav.json"])
def test_a_state_file_made_a_symlink_is_refused_and_counted(tmp_path: Path, link: str) -> None:
    """The operator's link stays a link, its target is not silently left stale: every loop
    reports the refusal and counts it as a write failure."""
    assert run_executor(tmp_path, "--loops", "1", "--interval", "0").returncode == 0
    state = tmp_path / "logs" / "state"
    published = tmp_path / "published"
    published.mkdir()
    (state / link).rename(published / link)
    (state / link).symlink_to(published / link)
    target_before = (published / link).read_bytes()
    result = run_executor(tmp_path, "--loops", "2", "--interval", "0")
    assert result.returncode == 0, result.stderr
    assert all("write_failures=1" in line for line in loop_lines(result.stdout))
    assert result.stderr.count("is a symbolic link") >= 2
    assert (state / link).is_symlink()
    assert (published / link).read_bytes() == target_before
