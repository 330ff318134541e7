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
startup, with ``create_directory`` (mode 0755 whatever the umask, issue 12).

A target that is a symbolic link is refused by default (nothing written, a failed result saying
so): replacing the link with a plain file would silently leave the link's target stale, and
writing through it would put the temp file and the rename outside the directory the writer owns.
The mirror, whose directory nobody else may write, asks for ``symlink="replace"`` instead. With
``dir_fd`` every step happens relative to a directory the caller holds open (issue 12: a
directory swapped for a link after it was opened receives nothing).

A path is a str, bytes or an ``os.PathLike`` of either (``target_path``: bytes are decoded the
way ``os`` decodes them, so every file name the system can hold can be written). Anything else
(an int, which ``open`` would take as a file descriptor, None, ...) and a path the system cannot
take (a NUL byte, a lone surrogate) is a failed result naming it, never an exception.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kpi_contract.errors import Violation, clip, one_line
from kpi_contract.serialize import dump_document

FILE_MODE = 0o644
DIRECTORY_MODE = 0o755
SymlinkPolicy = Literal["refuse", "replace"]
# What a write may be given as its path: what ``open`` takes, file descriptors aside.
PathArgument = str | bytes | os.PathLike[str] | os.PathLike[bytes]
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
        """One log line (``one_line``): what was written, or why nothing was."""
        if self.ok:
            return one_line(f"{self.path}: wrote {self.bytes_written} bytes")
        return one_line(self.error or f"{self.path}: write failed")

    def __str__(self) -> str:
        return self.describe()

    @classmethod
    def failure(
        cls, path: Path, error: str, violations: tuple[Violation, ...] = ()
    ) -> WriteResult:
        """A failed result: nothing was written to ``path``."""
        return cls(path=path, ok=False, bytes_written=0, error=error, violations=violations)


def target_path(path: object) -> Path | WriteResult:
    """``path`` as the Path a write goes to, or a failed result saying why it names no file.

    Accepted: str, bytes, ``os.PathLike`` of either (``os.fsdecode``: undecodable bytes become
    surrogate escapes and are written back unchanged). Refused: any other type, an empty path,
    and a path holding a NUL byte or a character the file system encoding cannot write (the OS
    calls would raise ValueError). The refusal's ``path`` is the decoded name, or the value's
    repr; its message is one line (a NUL byte shown as ``\\x00``).
    """
    try:
        name = os.fsdecode(path)  # type: ignore[arg-type]  # any object: TypeError when no path
    except TypeError:
        shown = _shown(path)
        return WriteResult.failure(
            Path(shown), f"{shown}: not written: a path must be str, bytes or os.PathLike, "
            f"not {type(path).__name__}"
        )
    try:
        encoded = os.fsencode(name)
    except UnicodeError as exc:
        return WriteResult.failure(
            Path(name), f"{_escaped(name)}: not written: the file system cannot take this name "
            f"({clip(str(exc), 120)})"
        )
    if not encoded:  # Path("") is ".", the working directory: never a file to replace
        return WriteResult.failure(Path(name), "'': not written: the path is empty")
    if b"\0" in encoded:
        return WriteResult.failure(
            Path(name), f"{_escaped(name)}: not written: the path holds a NUL byte"
        )
    return Path(name)


def write_atomic(
    path: PathArgument,
    data: bytes,
    *,
    dir_fd: int | None = None,
    symlink: SymlinkPolicy = "refuse",
) -> WriteResult:
    """Durably replace ``path`` with ``data``; failures are returned, never raised.

    ``dir_fd``: write the file named ``path``'s last component inside the directory open as
    ``dir_fd`` (the rest of ``path`` only names it in messages). The temp file, the rename and the
    directory fsync all happen relative to that descriptor, so a directory swapped for a link
    after it was opened changes nothing. ``symlink``: what to do when the target is
    a symbolic link: ``"refuse"`` (the default; nothing is written and the result says why, so an
    operator's link is never silently replaced by a plain file while its target goes stale) or
    ``"replace"`` (the link itself is replaced by the new file; the mirror's choice, since a link
    planted in the mirror must never be followed).
    """
    target = target_path(path)
    if isinstance(target, WriteResult):
        return target
    return _write(target, data, dir_fd, symlink)


def _write(
    target: Path, data: bytes, dir_fd: int | None, symlink: SymlinkPolicy
) -> WriteResult:
    """``write_atomic`` for a path ``target_path`` accepted."""
    local = target if dir_fd is None else Path(target.name)  # what the OS calls operate on
    if symlink == "refuse":
        refusal = _symlink_refusal(local, dir_fd)
        if refusal is not None:
            return WriteResult.failure(target, f"{target}: not written: {refusal}")
    at: dict[str, int] = {} if dir_fd is None else {"dir_fd": dir_fd}
    step = "create a temp file"
    fd: int | None = None
    temp: Path | None = None
    replaced = False
    try:
        fd, temp = _create_temp(local, at)
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
        if dir_fd is None:
            os.replace(temp, target)
        else:
            os.replace(temp, local, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        replaced = True
        step = "fsync the directory"
        if dir_fd is None:
            _fsync_directory(target.parent)
        else:
            os.fsync(dir_fd)
    except (OSError, ValueError) as exc:
        directory = target.parent
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
                os.unlink(temp, **at)
    return WriteResult(path=target, ok=True, bytes_written=len(data), error=None)


def _symlink_refusal(target: Path, dir_fd: int | None) -> str | None:
    """Why a symlink at ``target`` is not written through, or None when it is not a symlink."""
    try:
        st = os.lstat(target, dir_fd=dir_fd)
    except OSError:
        return None  # missing (created by the write) or unreadable (the write will say so)
    if not stat.S_ISLNK(st.st_mode):
        return None
    try:
        link = os.readlink(target, dir_fd=dir_fd)
    except OSError:
        link = "?"
    return (
        f"it is a symbolic link (to {clip(link, 120)}); state files are never written through "
        "links: replace the link with the file, or point the reader at the link's target"
    )


def create_directory(path: str | os.PathLike[str]) -> list[Path]:
    """Create ``path`` and its missing parents with mode 0755 whatever the umask; the created.

    A dashboard running as another user must be able to enter every directory the package
    creates (issue 12: under ``umask 077`` they used to be 0700). Existing directories keep their
    mode. OSError when a component cannot be created or is not a directory.
    """
    target = Path(path)
    missing: list[Path] = []
    probe = target
    while not os.path.lexists(probe):
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    created: list[Path] = []
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIRECTORY_MODE)
        except FileExistsError:
            continue  # created meanwhile by someone else: theirs, mode untouched
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fchmod(fd, DIRECTORY_MODE)
        finally:
            os.close(fd)
        created.append(directory)
    if not os.path.isdir(target):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target))
    return created


def write_json(path: PathArgument, obj: object, *, dir_fd: int | None = None) -> WriteResult:
    """Serialise ``obj`` (``serialize.dump_document``) and write it (``write_atomic``, links
    refused); a value JSON cannot hold (NaN, infinity, a non-JSON type, nesting too deep for the
    encoder) or a path ``target_path`` refuses is a failed result and nothing is written."""
    target = target_path(path)
    if isinstance(target, WriteResult):
        return target
    try:
        data = dump_document(obj)
    except (ValueError, TypeError, RecursionError) as exc:
        reason = clip(str(exc)) if not isinstance(exc, RecursionError) else "nested too deeply"
        return WriteResult.failure(target, f"{target}: not written, cannot serialise: {reason}")
    return write_atomic(target, data, dir_fd=dir_fd)


def clean_stale_temps(
    directory: str | os.PathLike[str], *, dir_fd: int | None = None
) -> list[Path]:
    """Remove temp files a crashed writer left in ``directory``; return the ones removed.

    Only regular files named exactly like this writer's temp files are touched. Call it only
    while holding the directory's lock (``execution._directories``): a temp file being written
    right now by another process would be removed too. With ``dir_fd`` the directory open as that
    descriptor is cleaned (``directory`` then only names it in the result).
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory if dir_fd is None else dir_fd))
    except OSError:
        return removed
    for entry in entries:
        if not _TEMP_NAME.match(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                if dir_fd is None:
                    os.unlink(entry.path)
                else:
                    os.unlink(entry.name, dir_fd=dir_fd)
                removed.append(Path(directory) / entry.name)
        except OSError:
            continue
    return sorted(removed)


def _create_temp(target: Path, at: dict[str, int]) -> tuple[int, Path]:
    """Create a new temp file beside ``target`` (``O_EXCL``: never reuse an existing name)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        temp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
        try:
            return os.open(temp, flags, FILE_MODE, **at), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temp file name", str(target.parent))


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _shown(value: object) -> str:
    """A value that is no path, on one short line (its repr, or its type when repr fails)."""
    try:
        return clip(repr(value), 120)
    except Exception:  # any object: a broken __repr__ must not make the writer raise
        return f"<{type(value).__name__}>"


def _escaped(name: str) -> str:
    """``name`` for a message: a NUL byte as ``\\x00`` (a log line must not hold one)."""
    return clip(name.replace("\0", "\\x00"))


def _reason(exc: BaseException) -> str:
    """``No space left on device (ENOSPC)`` rather than a multi-part repr."""
    if isinstance(exc, OSError) and exc.errno is not None:
        name = errno.errorcode.get(exc.errno, str(exc.errno))
        return f"{exc.strerror or os.strerror(exc.errno)} ({name})"
    return str(exc)
