"""The safe writer: durable atomic replace, failures returned, temp files never left behind.

Tests run as root, for whom a read-only mode bit stops nothing; read-only and full filesystems are
simulated by making the ``os`` functions the writer calls raise the errors the kernel would.
"""

from __future__ import annotations

import errno
import math
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.writer import (
    WriteResult,
    clean_stale_temps,
    create_directory,
    write_atomic,
    write_json,
)

OLD = b'{"old": true}\n'
NEW = b'{"new": true, "padding": "' + b"x" * 4000 + b'"}\n'


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """A state file that already holds a previous good version."""
    path = tmp_path / "kpis_v7.json"
    path.write_bytes(OLD)
    return path


def assert_untouched(target: Path) -> None:
    """The previous file is byte-identical and no temp file is left beside it."""
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def raise_on_call(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    code: int,
    *,
    when: Callable[..., bool] = lambda *args: True,
    call_through: bool = False,
) -> list[int]:
    """Make ``os.<name>`` raise OSError(code) when ``when(*args)``; returns a hit counter."""
    real = getattr(os, name)
    hits: list[int] = []

    def fake(*args: Any, **kwargs: Any) -> Any:
        if when(*args):
            hits.append(1)
            if call_through:
                real(*args, **kwargs)
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, fake)
    return hits


def is_temp(path: object, *_: object) -> bool:
    return isinstance(path, str | os.PathLike) and Path(path).name.endswith(".tmp")


@pytest.fixture
def umask_077() -> Iterator[None]:
    """Run with the most restrictive umask a service might have."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def test_write_replaces_content_and_reports_size(target: Path) -> None:
    """A successful write leaves exactly the new bytes and no temp file."""
    result = write_atomic(target, NEW)
    assert result == WriteResult(path=target, ok=True, bytes_written=len(NEW), error=None)
    assert target.read_bytes() == NEW
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_write_creates_a_new_file(tmp_path: Path) -> None:
    """A target that does not exist yet is created."""
    result = write_atomic(tmp_path / "nav.json", NEW)
    assert result.ok
    assert (tmp_path / "nav.json").read_bytes() == NEW


@pytest.mark.usefixtures("umask_077")
def test_mode_is_0644_even_with_umask_077(target: Path) -> None:
    """The file is readable by a dashboard user whatever the umask and the old file's mode."""
    target.chmod(0o600)
    assert write_atomic(target, NEW).ok
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_fsyncs_file_before_replace_and_directory_after(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temp file is fsynced before the rename and the directory after it."""
    events: list[str] = []
    real_fsync, real_replace, real_open = os.fsync, os.replace, os.open
    directory_fds: set[int] = set()

    def spy_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        fd = real_open(path, flags, *args, **kwargs)
        if Path(path) == target.parent:
            directory_fds.add(fd)
        return fd

    def spy_fsync(fd: int) -> None:
        events.append("fsync dir" if fd in directory_fds else "fsync file")
        real_fsync(fd)

    def spy_replace(src: Any, dst: Any) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    assert write_atomic(target, NEW).ok
    assert events == ["fsync file", "replace", "fsync dir"]


def test_temp_file_is_in_target_directory_with_our_name(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temp file sits beside the target, named ``.<name>.<16 hex>.tmp``."""
    created: list[Path] = []
    real_open = os.open

    def spy_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            created.append(Path(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_open)
    assert write_atomic(target, NEW).ok
    [temp] = created
    assert temp.parent == target.parent
    prefix, suffix = f".{target.name}.", ".tmp"
    assert temp.name.startswith(prefix)
    assert temp.name.endswith(suffix)
    random_part = temp.name[len(prefix) : -len(suffix)]
    assert len(random_part) == 16
    assert set(random_part) <= set("0123456789abcdef")


def test_missing_directory_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    """Writing into a directory that does not exist fails, naming the file, creating nothing."""
    missing = tmp_path / "no" / "such" / "dir"
    result = write_atomic(missing / "kpis_v7.json", NEW)
    assert not result.ok
    assert result.bytes_written == 0
    assert result.error is not None
    assert result.error.startswith(f"{missing / 'kpis_v7.json'}: could not create a temp file")
    assert "(ENOENT)" in result.error
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    ("function", "code", "step"),
    [
        ("open", errno.EROFS, "create a temp file"),
        ("open", errno.EACCES, "create a temp file"),
        ("open", errno.ENOSPC, "create a temp file"),
        ("fchmod", errno.EPERM, "set mode 0644"),
        ("write", errno.ENOSPC, "write the temp file"),
        ("write", errno.EDQUOT, "write the temp file"),
        ("fsync", errno.EIO, "fsync the temp file"),
        ("close", errno.EIO, "close the temp file"),
        ("replace", errno.EACCES, "rename the temp file"),
        ("replace", errno.EROFS, "rename the temp file"),
    ],
)
def test_failure_at_each_step_keeps_old_file_and_removes_temp(
    target: Path, monkeypatch: pytest.MonkeyPatch, function: str, code: int, step: str
) -> None:
    """Any OS error before the rename is returned (not raised); old file intact, no temp left."""
    first_call_only = iter([True])
    hits = raise_on_call(
        monkeypatch,
        function,
        code,
        when=is_temp if function == "open" else lambda *_: next(first_call_only, False),
        call_through=function == "close",
    )
    result = write_atomic(target, NEW)
    assert hits, f"os.{function} was never called"
    assert not result.ok
    assert result.bytes_written == 0
    assert result.error is not None
    assert result.error.startswith(f"{target}: could not {step}")
    assert f"({errno.errorcode[code]})" in result.error
    assert "\n" not in result.error
    assert_untouched(target)


def test_disk_full_after_a_partial_write_keeps_old_file(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC after some bytes made it to the temp file still leaves the old file and no temp."""
    real_write = os.write
    calls: list[int] = []

    def short_then_full(fd: int, data: Any) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[:100]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", short_then_full)
    result = write_atomic(target, NEW)
    assert calls == [len(NEW), len(NEW) - 100]
    assert not result.ok
    assert "No space left on device (ENOSPC)" in (result.error or "")
    assert_untouched(target)


def test_short_writes_are_completed(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.write writing fewer bytes than asked is continued until everything is written."""
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:7])))
    assert write_atomic(target, NEW).ok
    assert target.read_bytes() == NEW


def test_directory_fsync_failure_is_reported_after_the_replace(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If only the directory fsync fails, the new bytes are in place but the result says so."""
    calls = iter([False, True])
    raise_on_call(monkeypatch, "fsync", errno.EIO, when=lambda *_: next(calls, False))
    result = write_atomic(target, NEW)
    assert not result.ok
    assert result.bytes_written == len(NEW)
    assert "replaced, but could not fsync the directory" in (result.error or "")
    assert target.read_bytes() == NEW
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_target_that_is_a_directory_fails_cleanly(tmp_path: Path) -> None:
    """Replacing a directory fails, and the temp file is removed."""
    (tmp_path / "kpis_v7.json").mkdir()
    result = write_atomic(tmp_path / "kpis_v7.json", NEW)
    assert not result.ok
    assert "rename the temp file over the target" in (result.error or "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis_v7.json"]


def test_write_json_serialises_with_the_shared_format(tmp_path: Path) -> None:
    """write_json writes dump_document's bytes: compact, ordered, trailing newline."""
    result = write_json(tmp_path / "positions.json", [{"symbol": "BTCUSDT", "qty": 0.0}])
    assert result.ok
    assert (tmp_path / "positions.json").read_bytes() == (
        b'[{"symbol":"BTCUSDT","qty":0.0}]\n'
    )


@pytest.mark.parametrize("bad", [{"nav": math.nan}, {"nav": math.inf}, {"when": object()}])
def test_write_json_unserialisable_writes_nothing(target: Path, bad: object) -> None:
    """NaN, infinity or a non-JSON value is a failed result and the old file stays."""
    result = write_json(target, bad)
    assert not result.ok
    assert (result.error or "").startswith(f"{target}: not written, cannot serialise")
    assert_untouched(target)


def test_result_describes_itself_in_one_line(tmp_path: Path) -> None:
    """``str(result)`` is one log line for success and for failure; results are frozen."""
    ok = write_atomic(tmp_path / "a.json", b"{}\n")
    assert str(ok) == ok.describe() == f"{tmp_path / 'a.json'}: wrote 3 bytes"
    bad = write_atomic(tmp_path / "missing" / "a.json", b"{}\n")
    assert str(bad) == bad.error
    with pytest.raises(FrozenInstanceError):
        ok.ok = False  # type: ignore[misc]


def test_clean_stale_temps_removes_only_our_temp_files(tmp_path: Path) -> None:
    """Only regular files named ``.<name>.<16 hex>.tmp`` are removed; everything else stays."""
    ours = [".kpis_v7.json.0123456789abcdef.tmp", ".nav.json.deadbeefdeadbeef.tmp"]
    others = [
        "kpis_v7.json",
        ".kpis_v7.json.tmp",
        ".kpis_v7.json.0123456789ABCDEF.tmp",
        ".kpis_v7.json.0123456789abcde.tmp",
        ".kpis_v7.json.0123456789abcdef.tmp.bak",
        "kpis_v7.json.0123456789abcdef.tmp",
        "notes.tmp",
    ]
    for name in ours + others:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".dir.json.0123456789abcdef.tmp").mkdir()
    (tmp_path / ".link.json.0123456789abcdef.tmp").symlink_to(tmp_path / "kpis_v7.json")

    removed = clean_stale_temps(tmp_path)

    assert removed == sorted(tmp_path / name for name in ours)
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {*others, ".dir.json.0123456789abcdef.tmp", ".link.json.0123456789abcdef.tmp"}


def test_clean_stale_temps_on_missing_directory_returns_nothing(tmp_path: Path) -> None:
    """A directory that does not exist has no temp files; nothing raises."""
    assert clean_stale_temps(tmp_path / "missing") == []


def test_temp_left_by_a_crash_is_cleaned(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A temp file a dying writer could not remove matches what clean_stale_temps removes."""
    with monkeypatch.context() as patch:
        raise_on_call(patch, "replace", errno.EIO)
        patch.setattr(os, "unlink", lambda *_args, **_kwargs: None)  # the crash: no cleanup
        assert not write_atomic(target, NEW).ok
    [leftover] = [p for p in target.parent.iterdir() if p != target]
    assert clean_stale_temps(target.parent) == [leftover]
    assert_untouched(target)


def test_a_target_that_is_a_symlink_is_refused_and_left_alone(tmp_path: Path) -> None:
    """The default refuses a link: nothing written, the link and its target unchanged."""
    real = tmp_path / "elsewhere.json"
    real.write_bytes(OLD)
    link = tmp_path / "kpis_v7.json"
    link.symlink_to(real)
    result = write_atomic(link, NEW)
    assert not result.ok
    assert result.error is not None
    assert "is a symbolic link (to " in result.error
    assert link.is_symlink()
    assert real.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.json", "kpis_v7.json"]


def test_replace_policy_replaces_the_link_itself(tmp_path: Path) -> None:
    """symlink="replace" (the mirror's): the link becomes a plain file, its target untouched."""
    real = tmp_path / "elsewhere.json"
    real.write_bytes(OLD)
    link = tmp_path / "kpis_v7.json"
    link.symlink_to(real)
    assert write_atomic(link, NEW, symlink="replace").ok
    assert not link.is_symlink()
    assert link.read_bytes() == NEW
    assert real.read_bytes() == OLD


def test_dir_fd_writes_into_the_held_directory_even_after_a_swap(tmp_path: Path) -> None:
    """With dir_fd the file lands in the directory opened, not where the path now leads."""
    held = tmp_path / "mirror"
    held.mkdir()
    other = tmp_path / "state"
    other.mkdir()
    fd = os.open(held, os.O_RDONLY | os.O_DIRECTORY)
    try:
        held.rename(tmp_path / "mirror-moved")
        held.symlink_to(other)
        result = write_atomic(held / "kpis_v7.json", NEW, dir_fd=fd)
        assert result.ok, result.error
    finally:
        os.close(fd)
    assert (tmp_path / "mirror-moved" / "kpis_v7.json").read_bytes() == NEW
    assert list(other.iterdir()) == []
    assert clean_stale_temps(held, dir_fd=None) == []


@pytest.mark.usefixtures("umask_077")
def test_create_directory_makes_every_new_level_0755(tmp_path: Path) -> None:
    """Under umask 077 the created directories are 0755; an existing one keeps its mode."""
    (tmp_path / "existing").mkdir(mode=0o700)
    created = create_directory(tmp_path / "existing" / "a" / "b")
    assert created == [tmp_path / "existing" / "a", tmp_path / "existing" / "a" / "b"]
    for directory in created:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "existing").stat().st_mode) == 0o700
    assert create_directory(tmp_path / "existing" / "a" / "b") == []
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        create_directory(tmp_path / "file" / "sub")
