"""Directories held open, locked, and read beneath: the file-system rules of issue 12.

- ``BoundDirectory``: a directory opened once and then used only through its descriptor, so
  replacing the path by a link (to the state directory, to anywhere) after it was opened changes
  nothing about where this process reads or writes. Every pass, ``refresh`` checks that the path
  still leads to the held directory; when it does not, the directory is re-opened only if the
  path recorded at the first open (symlinks in it resolved once, by the operator's set-up) is
  again a real directory, never a link (``O_NOFOLLOW``). Otherwise the pass reports an error and
  touches nothing.
- ``lock_directory``: an exclusive ``fcntl.flock`` on ``.kpi-contract.lock`` in the directory,
  held as long as the process (or the ``BoundDirectory``) lives; a second process gets
  ``DirectoryLockedError`` naming the holder's pid. The kernel drops the lock when the holder
  dies, even by SIGKILL, so a crash never leaves a stale lock. The standard library's ``flock``
  is used rather than a locking package: the lock file has to be opened relative to the held
  directory descriptor with ``O_NOFOLLOW`` (a planted link must not make us lock, or truncate,
  another file), which ``filelock`` and friends cannot do, and on Unix they call this same
  ``flock`` underneath.
- ``resolve_beneath``: the parent directory descriptor and last name of a file beneath a held
  root, walking component by component with ``O_NOFOLLOW | O_DIRECTORY`` and resolving symlinks
  by hand (``..`` never climbs above the root; an absolute target must lie under the root's own
  path). It is ``openat2(RESOLVE_BENEATH)`` done in Python (the ``os`` module has no ``openat2``):
  a directory swapped for a link to outside during the walk makes the next ``openat`` fail
  instead of leaving the root.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kpi_contract.jsonio import os_reason
from kpi_contract.writer import FILE_MODE, clean_stale_temps

LOCK_FILE: Final = ".kpi-contract.lock"
MAX_SYMLINKS: Final = 40  # as the kernel's own limit on links followed in one lookup
_DIR_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class DirectoryLockedError(Exception):
    """Another process holds the directory's lock."""

    def __init__(self, directory: str, holder: int | None) -> None:
        self.directory = directory
        self.holder = holder
        who = f"process {holder}" if holder is not None else "another process"
        super().__init__(
            f"{directory} is locked by {who} ({LOCK_FILE}): one writer per directory"
        )


class OutsideError(Exception):
    """A path beneath the root leads out of it (or through too many links)."""


def lock_directory(dir_fd: int, shown: str) -> int:
    """Take the exclusive lock of the directory open as ``dir_fd``; the lock file's descriptor.

    Raises DirectoryLockedError when another process holds it, OSError when the lock file cannot
    be opened or created (a read-only or unwritable directory).
    """
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(LOCK_FILE, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        fd = os.open(LOCK_FILE, flags | os.O_CREAT, FILE_MODE, dir_fd=dir_fd)
        with contextlib.suppress(OSError):
            os.fchmod(fd, FILE_MODE)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise
        fd = os.open(LOCK_FILE, flags & ~os.O_RDWR | os.O_RDONLY, dir_fd=dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, f"{LOCK_FILE} is not a regular file")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DirectoryLockedError(shown, _holder(fd)) from None
    except BaseException:
        os.close(fd)
        raise
    with contextlib.suppress(OSError):  # who holds it, for the next process's message
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


@dataclass
class _Held:
    fd: int
    lock_fd: int | None
    identity: tuple[int, int]


class BoundDirectory:
    """A directory used through a descriptor held open (and, with ``lock=True``, locked).

    ``refresh()`` (once per pass) returns None when ``fd`` may be used, or a one-line reason when
    not. ``removed_temps`` accumulates stale temp files cleaned at each (re)bind; cleaning runs
    only while the lock is held.
    """

    def __init__(self, path: Path, *, lock: bool, role: str) -> None:
        self.path = Path(path)
        self.lock = lock
        self.role = role
        self.canonical: str | None = None
        self.removed_temps: list[Path] = []
        self._held: _Held | None = None
        self.not_same_as: tuple[int, int] | None = None

    @property
    def fd(self) -> int:
        """The held descriptor (``refresh()`` must have returned None)."""
        if self._held is None:
            raise RuntimeError(f"{self.path} is not open")
        return self._held.fd

    @property
    def is_open(self) -> bool:
        """True while a directory is held."""
        return self._held is not None

    def refresh(self) -> str | None:
        """Check the held directory is still the one at ``path``; (re)open it if it may be.

        Raises DirectoryLockedError when a (re)opened directory is locked by another process.
        """
        try:
            now = _identity(os.stat(self.path))
        except OSError as exc:
            self.close()
            return f"{self.path}: cannot open the {self.role}: {os_reason(exc)}"
        if self._held is not None and now == self._held.identity:
            return None
        self.close()
        return self._open(now)

    def _open(self, expected: tuple[int, int]) -> str | None:
        """Open (and lock) the directory at the path recorded at the first accepted open, never
        a link. The path is recorded only once a directory was accepted: a first look that finds
        the path swapped (e.g. to the state directory) pins nothing, and the next pass tries
        again."""
        try:
            canonical = self.canonical or os.path.realpath(self.path)
            fd = os.open(canonical, _DIR_FLAGS | os.O_NOFOLLOW)
        except OSError as exc:
            if self.canonical is not None and exc.errno in (errno.ELOOP, errno.ENOTDIR) and (
                os.path.islink(self.canonical)
            ):
                return (
                    f"{self.path}: the {self.role} {self.canonical} was replaced by a symbolic "
                    "link; not followed, nothing read or written"
                )
            return f"{self.path}: cannot open the {self.role}: {os_reason(exc)}"
        try:
            identity = _identity(os.fstat(fd))
            if identity != expected:
                os.close(fd)
                return (
                    f"{self.path}: now leads elsewhere than {canonical}, the {self.role} "
                    "opened at start; not followed, nothing read or written (restart to use it)"
                )
            if self.not_same_as is not None and identity == self.not_same_as:
                os.close(fd)
                return f"{self.path}: the {self.role} is the state directory; nothing written"
            lock_fd = lock_directory(fd, str(self.path)) if self.lock else None
        except DirectoryLockedError:
            os.close(fd)
            raise
        except OSError as exc:
            os.close(fd)
            return f"{self.path}: cannot lock the {self.role}: {os_reason(exc)}"
        self._held = _Held(fd, lock_fd, identity)
        self.canonical = canonical
        if self.lock:
            self.removed_temps += clean_stale_temps(self.path, dir_fd=fd)
        return None

    def close(self) -> None:
        """Release the lock and the descriptor (safe to call twice)."""
        held, self._held = self._held, None
        if held is None:
            return
        for fd in (held.lock_fd, held.fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __del__(self) -> None:
        self.close()


@dataclass(frozen=True)
class Beneath:
    """A file found beneath a root: open ``name`` relative to ``dir_fd``; close ``owned`` after."""

    dir_fd: int
    name: str
    owned: tuple[int, ...]

    def close(self) -> None:
        """Close the directories opened on the way."""
        for fd in self.owned:
            with contextlib.suppress(OSError):
                os.close(fd)


def resolve_beneath(root_fd: int, name: str, root_paths: tuple[str, ...]) -> Beneath:
    """Where ``name`` (relative to the root open as ``root_fd``) leads, never leaving the root.

    ``root_paths``: the root's absolute path(s), to place an absolute symlink target. Raises
    OutsideError when the path or a link on it leads out of the root, FileNotFoundError when a
    component is missing, OSError otherwise (a directory swapped for a link mid-walk: ELOOP).
    """
    owned: list[int] = []
    parts = deque(name.split("/"))
    links = 0
    try:
        while parts:
            part = parts.popleft()
            if part in ("", "."):
                continue
            top = owned[-1] if owned else root_fd
            if part == "..":
                if not owned:
                    raise OutsideError("leads above the state directory")
                os.close(owned.pop())
                continue
            st = os.stat(part, dir_fd=top, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > MAX_SYMLINKS:
                    raise OutsideError("too many levels of symbolic links")
                target = os.readlink(part, dir_fd=top)
                if target.startswith("/"):
                    inside = _under(target, root_paths)
                    if inside is None:
                        raise OutsideError(
                            f"symlink resolves outside the state directory ({target})"
                        )
                    while owned:
                        os.close(owned.pop())
                    target = inside
                parts.extendleft(reversed(target.split("/")))
                continue
            if not parts:
                return Beneath(top, part, tuple(owned))
            owned.append(os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=top))
        raise OutsideError("names the state directory itself, not a file in it")
    except BaseException:
        for fd in owned:
            with contextlib.suppress(OSError):
                os.close(fd)
        raise


def _under(target: str, roots: tuple[str, ...]) -> str | None:
    """``target`` relative to the first of ``roots`` it lies under, or None."""
    clean = os.path.normpath(target)
    for root in roots:
        if clean == root:
            return "."
        if clean.startswith(root.rstrip("/") + "/"):
            return clean[len(root.rstrip("/")) + 1 :]
    return None
