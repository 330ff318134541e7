"""The one safe writer for every state file: durable, atomic, and never raising on I/O errors.

``write_atomic`` writes to a temp file in the target's own directory (``.<target name>.<16 hex
digits>.tmp``; a temp file elsewhere could not be renamed atomically over the target), fsyncs it,
sets mode 0644 explicitly (readable by a dashboard running as another user, whatever the umask),
renames it over the target with ``os.replace`` and fsyncs the directory so the rename survives a
power cut. A reader therefore sees the old or the new complete file, never a torn one, and a crash
leaves at most a temp file, which ``clean_stale_temps`` removes on the next start.

Failures (missing or read-only directory, disk full, permission denied, ...) come back as a failed
``WriteResult`` with a one-line message naming the file; the temp file is removed and the previous
target is untouched. The executor loop must never die because a state file could not be written.

The writer does not create missing directories: a missing state directory is reported as an error
(a typo in a path must not silently create a new tree). Whoever owns a directory creates it at
startup.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from kpi_contract.errors import Violation
from kpi_contract.serialize import dump_document

FILE_MODE = 0o644
_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{16}\.tmp\Z", re.DOTALL)


@dataclass(frozen=True)
class WriteResult:
    """What happened to one write: the caller logs ``describe()`` and counts ``ok``."""

    path: Path
    ok: bool
    bytes_written: int
    error: str | None
    violations: tuple[Violation, ...] = ()

    def describe(self) -> str:
        """One log line: what was written, or why nothing was."""
        if self.ok:
            return f"{self.path}: wrote {self.bytes_written} bytes"
        return self.error or f"{self.path}: write failed"

    def __str__(self) -> str:
        return self.describe()

    @classmethod
    def failure(
        cls, path: Path, error: str, violations: tuple[Violation, ...] = ()
    ) -> WriteResult:
        """A failed result: nothing was written to ``path``."""
        return cls(path=path, ok=False, bytes_written=0, error=error, violations=violations)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> WriteResult:
    """Durably replace ``path`` with ``data``; failures are returned, never raised."""
    target = Path(path)
    directory = target.parent
    step = "create a temp file"
    fd: int | None = None
    temp: Path | None = None
    replaced = False
    try:
        fd, temp = _create_temp(target)
        step = "set mode 0644 on the temp file"
        os.fchmod(fd, FILE_MODE)  # before the fsync, so the mode is as durable as the bytes
        step = "write the temp file"
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        step = "fsync the temp file"
        os.fsync(fd)
        step = "close the temp file"
        closing, fd = fd, None  # never close twice: a failed close still frees the number
        os.close(closing)
        step = "rename the temp file over the target"
        os.replace(temp, target)
        replaced = True
        step = "fsync the directory"
        _fsync_directory(directory)
    except (OSError, ValueError) as exc:
        if replaced:
            # The new bytes are in place; only their durability across a power cut is in doubt.
            return WriteResult(
                path=target, ok=False, bytes_written=len(data),
                error=f"{target}: replaced, but could not {step} {directory}: {_reason(exc)}",
            )
        where = f" in {directory}" if step == "create a temp file" else ""
        return WriteResult.failure(target, f"{target}: could not {step}{where}: {_reason(exc)}")
    finally:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        if temp is not None and not replaced:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    return WriteResult(path=target, ok=True, bytes_written=len(data), error=None)


def write_json(path: str | os.PathLike[str], obj: object) -> WriteResult:
    """Serialise ``obj`` (``serialize.dump_document``) and write it; a value JSON cannot hold
    (NaN, infinity, a non-JSON type) is a failed result and nothing is written."""
    try:
        data = dump_document(obj)
    except (ValueError, TypeError) as exc:
        return WriteResult.failure(Path(path), f"{path}: not written, cannot serialise: {exc}")
    return write_atomic(path, data)


def clean_stale_temps(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove temp files a crashed writer left in ``directory``; return the ones removed.

    Only regular files named exactly like this writer's temp files are touched. Call it at startup,
    before this process writes: a temp file being written right now by another process would be
    removed too (that write then fails cleanly and the target stays as it was).
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not _TEMP_NAME.match(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return sorted(removed)


def _create_temp(target: Path) -> tuple[int, Path]:
    """Create a new temp file beside ``target`` (``O_EXCL``: never reuse an existing name)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
        try:
            return os.open(temp, flags, FILE_MODE), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temp file name", str(target.parent))


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: BaseException) -> str:
    """``No space left on device (ENOSPC)`` rather than a multi-part repr."""
    if isinstance(exc, OSError) and exc.errno is not None:
        name = errno.errorcode.get(exc.errno, str(exc.errno))
        return f"{exc.strerror or os.strerror(exc.errno)} ({name})"
    return str(exc)
