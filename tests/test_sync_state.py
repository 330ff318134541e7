"""sync_state: the dashboard mirror copies atomically, skips cheaply, never mirrors bad bytes."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from execution._directories import LOCK_FILE
from execution.simulation import Simulation
from execution.state_publish import publish_state
from execution.sync_state import StateMirror, prepare_mirror
from tests.test_execution_support import (
    PYTHON,
    STATE_FILES,
    clean_env,
    run_module,
    temp_files,
    wait_for,
)

T0 = 1767225600.0


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """A state directory with one loop published, and an empty mirror directory."""
    state, mirror = tmp_path / "logs" / "state", tmp_path / "dashboard" / "state"
    state.mkdir(parents=True)
    mirror.mkdir(parents=True)
    sim = Simulation.create(7)
    assert publish_state(state, T0, sim.step(T0)).ok
    return state, mirror


def good_kpis(state: Path) -> bytes:
    """The published, valid kpis_v7.json."""
    return (state / "kpis_v7.json").read_bytes()


def test_mirrors_exactly_the_listed_state_files(dirs: tuple[Path, Path]) -> None:
    """The five listed files are copied byte for byte; other files in the state dir are not."""
    state, mirror = dirs
    (state / "sim_state.json").write_text("{}")
    (state / "extra.json").write_text("{}")
    report = StateMirror(state, mirror).sync_once()
    assert report.copied == list(STATE_FILES)
    assert report.ok
    assert sorted(p.name for p in mirror.iterdir()) == sorted([*STATE_FILES, LOCK_FILE])
    for name in STATE_FILES:
        assert (mirror / name).read_bytes() == (state / name).read_bytes()
        assert (mirror / name).stat().st_mode & 0o777 == 0o644


def test_unchanged_files_are_skipped_without_opening_them(
    dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second pass over unchanged files opens nothing (lstat only) and copies nothing."""
    state, mirror = dirs
    syncer = StateMirror(state, mirror)
    syncer.sync_once()
    opened: list[str] = []
    real_open = os.open

    def counting_open(path: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    report = syncer.sync_once()
    assert report.unchanged == list(STATE_FILES)
    assert opened == []


def test_a_new_mirror_process_recognises_current_copies(dirs: tuple[Path, Path]) -> None:
    """Copies keep the source's mtime, so a fresh StateMirror skips them too."""
    state, mirror = dirs
    StateMirror(state, mirror).sync_once()
    report = StateMirror(state, mirror).sync_once()
    assert report.unchanged == list(STATE_FILES)


def test_only_changed_files_are_copied_again(dirs: tuple[Path, Path]) -> None:
    """After a new publish of kpis_v7.json alone, only it is copied."""
    state, mirror = dirs
    syncer = StateMirror(state, mirror)
    syncer.sync_once()
    kpis = json.loads(good_kpis(state))
    kpis["ts"] = "2026-01-01T00:05:00Z"
    (state / "kpis_v7.json").write_text(json.dumps(kpis))
    report = syncer.sync_once()
    assert report.copied == ["kpis_v7.json"]
    assert (mirror / "kpis_v7.json").read_bytes() == good_kpis(state)


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _partial(data: bytes) -> bytes:
    doc = json.loads(data)
    del doc["router"]
    return json.dumps(doc).encode()


def _out_of_range(data: bytes) -> bytes:
    doc = json.loads(data)
    doc["router"]["maker_fill_share"] = 1.5
    return json.dumps(doc).encode()


def _nan_token(data: bytes) -> bytes:
    doc = json.loads(data)
    doc["nav"]["nav_total"] = float("nan")
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "corrupt",
    [_half, lambda _: b"", lambda _: b"not json at all", _partial, _out_of_range, _nan_token],
    ids=["half-written", "empty", "non-json", "partial", "out-of-range", "nan-token"],
)
def test_a_bad_kpi_file_is_never_mirrored_and_the_last_good_copy_stays(
    dirs: tuple[Path, Path], corrupt: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Torn, partial, non-JSON or schema-invalid kpis_v7.json: rejected, logged once, counted."""
    state, mirror = dirs
    syncer = StateMirror(state, mirror)
    syncer.sync_once()
    good = good_kpis(state)
    (state / "kpis_v7.json").write_bytes(corrupt(good))
    with caplog.at_level(logging.ERROR, "execution.sync_state"):
        first, second = syncer.sync_once(), syncer.sync_once()
    assert list(first.rejected) == ["kpis_v7.json"]
    assert list(second.rejected) == ["kpis_v7.json"]
    assert (mirror / "kpis_v7.json").read_bytes() == good
    assert caplog.text.count("kpis_v7.json") == 1
    assert syncer.totals["rejected"] == 1
    (state / "kpis_v7.json").write_bytes(good)
    assert syncer.sync_once().ok


@pytest.mark.parametrize(
    "content", [b'{"nav": 1', b"", b'{"nav": NaN}'], ids=["torn", "empty", "nan"]
)
def test_other_state_files_are_mirrored_only_when_they_are_strict_json(
    dirs: tuple[Path, Path], content: bytes
) -> None:
    """A torn or non-strict nav.json is not mirrored; the rest of the list still is."""
    state, mirror = dirs
    (state / "nav.json").write_bytes(content)
    report = StateMirror(state, mirror).sync_once()
    assert list(report.rejected) == ["nav.json"]
    assert not (mirror / "nav.json").exists()
    assert len(report.copied) == 4


def test_a_symlink_out_of_the_state_dir_is_refused(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    """risk.json -> a file outside the state dir: not mirrored, reason says so."""
    state, mirror = dirs
    outside = tmp_path / "secret.json"
    outside.write_text('{"secret": true}')
    (state / "risk.json").unlink()
    (state / "risk.json").symlink_to(outside)
    report = StateMirror(state, mirror).sync_once()
    assert "outside the state directory" in report.rejected["risk.json"]
    assert not (mirror / "risk.json").exists()


def test_a_symlink_inside_the_state_dir_is_followed(dirs: tuple[Path, Path]) -> None:
    """positions.json -> archive/positions.json in the state dir: mirrored as a regular file."""
    state, mirror = dirs
    (state / "archive").mkdir()
    (state / "positions.json").rename(state / "archive" / "positions.json")
    (state / "positions.json").symlink_to(Path("archive") / "positions.json")
    report = StateMirror(state, mirror).sync_once()
    assert "positions.json" in report.copied
    copy = mirror / "positions.json"
    assert not copy.is_symlink()
    assert copy.read_bytes() == (state / "archive" / "positions.json").read_bytes()


def test_a_directory_in_place_of_a_state_file_is_refused(dirs: tuple[Path, Path]) -> None:
    """Only regular files are read."""
    state, mirror = dirs
    (state / "router.json").unlink()
    (state / "router.json").mkdir()
    report = StateMirror(state, mirror).sync_once()
    assert "not a regular file" in report.rejected["router.json"]


def test_nothing_is_written_through_a_symlink_in_the_mirror(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    """A mirror entry linking outside is replaced by the copy; the outside file is untouched."""
    state, mirror = dirs
    outside = tmp_path / "victim.json"
    outside.write_text("untouched")
    (mirror / "kpis_v7.json").symlink_to(outside)
    StateMirror(state, mirror).sync_once()
    assert outside.read_text() == "untouched"
    assert not (mirror / "kpis_v7.json").is_symlink()
    assert (mirror / "kpis_v7.json").read_bytes() == good_kpis(state)


def test_a_copy_removed_from_the_mirror_is_restored_on_the_next_pass(
    dirs: tuple[Path, Path],
) -> None:
    """The mirror directory changed, so the copies are re-checked and the missing one recopied."""
    state, mirror = dirs
    syncer = StateMirror(state, mirror)
    syncer.sync_once()
    (mirror / "router.json").unlink()
    assert syncer.sync_once().copied == ["router.json"]
    assert (mirror / "router.json").read_bytes() == (state / "router.json").read_bytes()


def test_a_missing_mirror_dir_is_reported_each_pass_and_recovers(dirs: tuple[Path, Path]) -> None:
    """Mirror dir removed: errors, no exception, nothing created; back again: copies resume."""
    state, mirror = dirs
    syncer = StateMirror(state, mirror)
    syncer.sync_once()
    shutil.rmtree(mirror)
    report = syncer.sync_once()
    assert sorted(report.errors) == sorted(STATE_FILES)
    assert not mirror.exists()
    mirror.mkdir()
    assert syncer.sync_once().copied == list(STATE_FILES)


def test_file_names_must_be_plain_and_the_mirror_not_the_state_dir(tmp_path: Path) -> None:
    """The list cannot name a path outside the mirror; mirror == state dir is refused."""
    with pytest.raises(ValueError, match="plain file name"):
        StateMirror(tmp_path, tmp_path / "m", files=("../escape.json",))
    with pytest.raises(ValueError, match="is the state directory"):
        prepare_mirror(tmp_path, tmp_path / ".")


def test_once_cli_exit_codes(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    """--once: 0 when mirrored, 1 when a source is invalid, 2 when the mirror is unwritable."""
    state, mirror = dirs
    args = ("--once", "--state-dir", str(state), "--mirror-dir", str(mirror))
    ok = run_module(tmp_path, "execution.sync_state", *args)
    assert ok.returncode == 0, ok.stderr
    assert "copied 5" in ok.stdout
    (state / "kpis_v7.json").write_bytes(_half(good_kpis(state)))
    invalid = run_module(tmp_path, "execution.sync_state", *args)
    assert invalid.returncode == 1
    assert "kpis_v7.json" in invalid.stderr
    assert "Traceback" not in invalid.stderr
    (tmp_path / "plain").write_text("")
    unwritable = run_module(
        tmp_path, "execution.sync_state", "--once", "--state-dir", str(state),
        "--mirror-dir", str(tmp_path / "plain" / "mirror"),
    )
    assert unwritable.returncode == 2
    assert "cannot create the mirror directory" in unwritable.stderr


def test_default_directories_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    """Without options: logs/state/ is mirrored into dashboard/state/ under the cwd."""
    state = tmp_path / "logs" / "state"
    state.mkdir(parents=True)
    assert publish_state(state, T0, Simulation.create(1).step(T0)).ok
    result = run_module(tmp_path, "execution.sync_state", "--once")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dashboard" / "state" / "kpis_v7.json").read_bytes() == good_kpis(state)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_mirror_loop_stops_cleanly_on_a_signal(
    dirs: tuple[Path, Path], tmp_path: Path, signum: int
) -> None:
    """Looping with --interval: a signal ends it with exit 0 and no temp file left."""
    state, mirror = dirs
    proc = subprocess.Popen(
        [PYTHON, "-m", "execution.sync_state", "--state-dir", str(state),
         "--mirror-dir", str(mirror), "--interval", "0.01"],
        cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for((mirror / "kpis_v7.json").exists)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"stopped on {signal.Signals(signum).name}" in out
    assert "Traceback" not in err
    assert temp_files(state, mirror) == []
