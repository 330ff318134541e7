"""Mirror the executor's state files to the dashboard state directory.

    PYTHONPATH=. python -m execution.sync_state --once
    PYTHONPATH=. python -m execution.sync_state --interval 1.0      # until SIGINT/SIGTERM

Source: the state directory, ``logs/state/`` by default (``--state-dir``). Destination: the
dashboard mirror, ``dashboard/state/`` by default, relative to the working directory; its one
setting is ``--mirror-dir``. The files mirrored are ``state_files.MIRRORED_FILES``, one list with
``kpis_v7.json`` a first-class member; there are no per-file knobs.

Rules, per file and pass (docs/executor.md has the table of bad files and what happens to them):

- **Directories held open** (``execution._directories.BoundDirectory``): the state directory and
  the mirror are opened once and used only through their descriptors; every write goes relative
  to the mirror's descriptor, so a mirror replaced by a link (to the state directory, anywhere)
  mid-run receives nothing: the pass reports an error. The mirror directory is locked
  (``flock`` on ``.kpi-contract.lock``): a second mirror process refuses to start (exit 2), and
  stale temp files are cleaned only under that lock.
- **Reads beneath the state directory**: each source is found component by component with
  ``O_NOFOLLOW`` (``resolve_beneath``); a symlink is followed only while it stays inside the
  state directory, and a directory swapped for a link during the walk makes the read fail (an
  error, retried next pass), never leave the directory. Files are read by
  ``kpi_contract.jsonio``: non-blocking open, regular files only, at most 16 MiB.
- **Trust only what this process verified**: the first time a process sees a file, it reads the
  source and the existing copy and compares their bytes (a planted or forged copy with the
  source's size and mtime is replaced); after that, a source whose ``(device, inode, size,
  mtime_ns, ctime_ns)`` equals what this process copied or verified is skipped with one ``lstat``
  and nothing is re-read. The copies are re-checked only when the mirror directory's mtime
  changed since the last pass. A copy keeps its source's mtime (like ``cp -p``).
- **Only good documents**: ``kpis_v7.json`` only when its bytes are a valid kpis_v7 document
  (``kpi_contract.validation.validate_bytes``, the same definition ``validate``, ``publish_kpis``
  and ``read_kpis`` use), and never one whose ``ts`` is older than the copy the mirror holds
  (reported as a rejection: a clock going backwards is visible), nor one stamped more than the
  builder's clock-skew tolerance ahead of this host's clock; a held copy stamped in the future is
  no barrier (one bad clock cannot freeze the mirror); the other files only when they
  are strict JSON (UTF-8, no duplicate key, finite numbers only). Anything else is not mirrored:
  the last good copy stays, the problem is logged once per file version (one short line) and
  counted;
- I/O errors (mirror directory missing, disk full) are reported and retried on the next pass.
- **Object storage** (issue 11): with ``--mirror-url s3://BUCKET/PREFIX`` (``--executor-id``,
  ``--mirror-timeout``) the same verified bytes also go to S3-compatible object storage, under
  ``PREFIX/EXECUTOR_ID/``; the rules of that target are in ``execution.remote_mirror``.

Exit status of ``--once``: 0 when everything present was mirrored or unchanged, 1 when a source was
rejected, 2 on an I/O error (the object store's included) or bad usage (another mirror holds the
lock, the mirror is the state directory, ``--interval`` not a finite number >= 0). The loop exits 0
on SIGINT/SIGTERM after finishing the copy in progress.
"""

from __future__ import annotations

import argparse
import logging
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

from execution._directories import (
    BoundDirectory,
    DirectoryLockedError,
    OutsideError,
    resolve_beneath,
)
from execution._signals import StopSignal
from execution.remote_mirror import (
    RemotePassReport,
    RemoteTarget,
    add_remote_options,
    remote_from_args,
)
from execution.state_files import (
    KPI_FILE,
    MIRRORED_FILES,
    add_directory_options,
    add_interval_option,
)
from kpi_contract import jsonio
from kpi_contract._nav import CLOCK_SKEW_TOLERANCE_S
from kpi_contract.console import (
    OneLineArgumentParser,
    log_to_stderr,
    say_line,
    setup,
    warn,
)
from kpi_contract.errors import KpiContractError, clip
from kpi_contract.models import KpisV7
from kpi_contract.validation import validate_document
from kpi_contract.writer import FILE_MODE, create_directory, write_atomic

log = logging.getLogger("execution.sync_state")

Signature = tuple[int, int, int, int, int]
"""(device, inode, size, mtime_ns, ctime_ns) of a file."""


def _signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class SyncReport:
    """What one pass did with each file of the list."""

    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    remote: RemotePassReport | None = None

    @property
    def ok(self) -> bool:
        """Nothing rejected and no I/O error (the remote target's included)."""
        return not self.rejected and not self.errors and (self.remote is None or self.remote.ok)

    def summary(self) -> str:
        """One line for logs and the CLI."""
        copied = f" ({', '.join(self.copied)})" if self.copied else ""
        return (
            f"copied {len(self.copied)}{copied}, unchanged {len(self.unchanged)}, "
            f"missing {len(self.missing)}, rejected {len(self.rejected)}, "
            f"errors {len(self.errors)}"
        ) + (f"; remote {self.remote.summary()}" if self.remote is not None else "")


@dataclass(frozen=True)
class _Pass:
    """What one pass works with."""

    state_fd: int
    mirror_fd: int
    intact: bool
    """The mirror directory's entries are as the last pass left them (its mtime is unchanged)."""
    report: SyncReport
    now: float
    """This host's clock at the start of the pass (epoch seconds): the bound for a plausible ts."""


@dataclass(frozen=True)
class _Verified:
    """A source this process copied, or found identical to its copy, and what it knows of both."""

    source: Signature
    copy: Signature
    kpi_ts: datetime | None


class StateMirror:
    """Copies the listed state files to the mirror directory, remembering what it verified.

    Use it as a context manager (or call ``close``): it holds both directories open and the
    mirror's lock. ``bind()`` opens and locks the mirror now (a command does this at start, to
    refuse when another process holds the lock); otherwise the first ``sync_once`` does it.
    """

    def __init__(
        self,
        state_dir: Path,
        mirror_dir: Path,
        files: Sequence[str] = MIRRORED_FILES,
        remote: RemoteTarget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name in files:
            if not name or name in (".", "..") or Path(name).name != name:
                raise ValueError(f"not a plain file name: {name!r}")
        self.state_dir = Path(state_dir)
        self.mirror_dir = Path(mirror_dir)
        self.files = tuple(files)
        self.remote = remote
        self._clock = clock
        self.totals: Counter[str] = Counter()
        self._state = BoundDirectory(self.state_dir, lock=False, role="state directory")
        self._mirror = BoundDirectory(self.mirror_dir, lock=True, role="mirror directory")
        self._verified: dict[str, _Verified] = {}
        self._rejected: dict[str, tuple[Signature, str]] = {}
        self._reported: dict[str, str] = {}
        self._mirror_seen: tuple[int, int] | None = None  # mirror (mtime_ns, inode) last pass

    @property
    def removed_temps(self) -> list[Path]:
        """Stale temp files removed from the mirror (under its lock) so far."""
        return self._mirror.removed_temps

    def bind(self) -> str | None:
        """Open and lock the mirror directory now; a one-line problem, or None.

        Raises DirectoryLockedError when another process holds the mirror's lock, ValueError
        when the mirror directory is the state directory.
        """
        if _same_directory(self.state_dir, self.mirror_dir):
            raise ValueError(f"the mirror directory {self.mirror_dir} is the state directory")
        return self._mirror.refresh()

    def close(self) -> None:
        """Release the mirror's lock and both directories."""
        self._mirror.close()
        self._state.close()

    def __enter__(self) -> StateMirror:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def sync_once(self) -> SyncReport:
        """One pass over the list; never raises on bad sources, hostile files or I/O errors.

        ``totals`` counts copies, I/O errors, and rejections (each rejected file version once).
        """
        report = SyncReport()
        problem, missing = self._open_directories()
        if problem is not None:
            for name in self.files:
                (report.missing.append(name) if missing
                 else report.errors.__setitem__(name, problem))
        else:
            self._pass(report)
        for name, reason in {**report.rejected, **report.errors}.items():
            if self._reported.get(name) != reason:
                log.error("not mirrored: %s", reason)
                if name in report.rejected:
                    self.totals["rejected"] += 1
        self._reported = {**report.rejected, **report.errors}
        self.totals.update(copied=len(report.copied), errors=len(report.errors), passes=1)
        if self.remote is not None:
            report.remote = self.remote.finish_pass()
        return report

    def _open_directories(self) -> tuple[str | None, bool]:
        """(problem, whether it means "every source is missing")."""
        state_problem = self._state.refresh()
        if state_problem is not None:
            return state_problem, not os.path.lexists(self.state_dir)
        state_id = _identity_of_fd(self._state.fd)
        self._mirror.not_same_as = state_id
        try:
            mirror_problem = self._mirror.refresh()
        except DirectoryLockedError as exc:
            return str(exc), False
        if mirror_problem is not None:
            return mirror_problem, False
        if _identity_of_fd(self._mirror.fd) == state_id:
            return f"{self.mirror_dir}: the mirror directory is the state directory", False
        return None, False

    def _pass(self, report: SyncReport) -> None:
        mirror_fd = self._mirror.fd
        seen = _mtime_of_fd(mirror_fd)
        ctx = _Pass(self._state.fd, mirror_fd, self._mirror_seen == seen, report, self._clock())
        for name in self.files:
            known = self._verified.get(name)
            if ctx.intact and known is not None and not self._remote_needs(name):
                # Fast path: verified before, the mirror untouched since: one lstat.
                try:
                    st = os.stat(name, dir_fd=ctx.state_fd, follow_symlinks=False)
                except OSError:
                    pass
                else:
                    if _signature(st) == known.source:
                        report.unchanged.append(name)
                        continue
            self._sync_file(name, ctx)
        self._mirror_seen = _mtime_of_fd(mirror_fd)

    def _sync_file(self, name: str, ctx: _Pass) -> None:
        source, report = str(self.state_dir / name), ctx.report
        try:
            where = resolve_beneath(ctx.state_fd, name, self._state_roots())
        except OutsideError as exc:
            report.rejected[name] = f"{source}: {exc}"
            return
        except FileNotFoundError:
            report.missing.append(name)
            return
        except OSError as exc:
            report.errors[name] = f"{source}: cannot resolve: {jsonio.os_reason(exc)}"
            return
        try:
            self._sync_resolved(name, where.dir_fd, where.name, ctx)
        finally:
            where.close()

    def _sync_resolved(self, name: str, dir_fd: int, leaf: str, ctx: _Pass) -> None:
        source, report = str(self.state_dir / name), ctx.report
        try:
            st = os.stat(leaf, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            report.missing.append(name)
            return
        except OSError as exc:
            report.errors[name] = f"{source}: cannot stat: {jsonio.os_reason(exc)}"
            return
        signature = _signature(st)
        known = self._verified.get(name)
        if (known is not None and known.source == signature and not self._remote_needs(name)
                and self._copy_intact(name, ctx, known)):
            report.unchanged.append(name)
            return
        memo = self._rejected.get(name)
        if memo is not None and memo[0] == signature:
            report.rejected[name] = memo[1]
            return
        try:
            data, st = jsonio.read_file(
                leaf, dir_fd=dir_fd, follow_symlinks=False, display=source
            )
        except jsonio.JsonInputError as exc:
            if exc.kind == "missing":
                report.missing.append(name)
            elif exc.kind == "unreadable":
                report.errors[name] = f"{source}: {exc.reason}"
            else:
                self._reject(name, signature, f"{source}: {exc.reason}", report)
            return
        signature = _signature(st)
        problem, kpi_ts = _check(name, source, data)
        if problem is None and kpi_ts is not None and _ahead(kpi_ts, ctx.now):
            problem = (f"{source}: ts {_iso(kpi_ts)} is {kpi_ts.timestamp() - ctx.now:.0f} s "
                       "ahead of this host's clock; not mirrored (a clock stepped forward?)")
        if problem is not None:
            self._reject(name, signature, problem, report)
            return
        self._copy(name, (data, st, kpi_ts), ctx)

    def _copy_intact(self, name: str, ctx: _Pass, known: _Verified) -> bool:
        if ctx.intact:
            return True
        try:
            st = os.stat(name, dir_fd=ctx.mirror_fd, follow_symlinks=False)
        except OSError:
            return False
        return _signature(st) == known.copy

    def _copy(
        self, name: str, read: tuple[bytes, os.stat_result, datetime | None], ctx: _Pass
    ) -> None:
        data, st, kpi_ts = read
        mirror_fd, report, known = ctx.mirror_fd, ctx.report, self._verified.get(name)
        source, target = str(self.state_dir / name), self.mirror_dir / name
        held = self._held_copy(name, mirror_fd, known)
        if held is not None and held[0] == data:
            # The copy already holds these bytes (checked by content, never by size and mtime).
            self._offer_remote(name, data)
            self._verified[name] = _Verified(_signature(st), held[1], kpi_ts)
            self._rejected.pop(name, None)
            report.unchanged.append(name)
            return
        held_ts = known.kpi_ts if known is not None else (held[2] if held else None)
        if held_ts is not None and _ahead(held_ts, ctx.now):
            held_ts = None  # a copy from the future (a clock since corrected) is no barrier
        if kpi_ts is not None and held_ts is not None and kpi_ts < held_ts:
            self._reject(name, _signature(st), (
                f"{source}: ts {_iso(kpi_ts)} is older than the mirrored copy's "
                f"{_iso(held_ts)}; not mirrored (a clock going backwards, or a second writer?)"
            ), report)
            return
        self._offer_remote(name, data)
        result = write_atomic(target, data, dir_fd=mirror_fd, symlink="replace")
        if not result.ok:
            report.errors[name] = result.describe()
            return
        try:
            # Like cp -p: the copy keeps the source's mtime, so the dashboard sees its age.
            os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=mirror_fd,
                     follow_symlinks=False)
            copy_signature = _signature(os.stat(name, dir_fd=mirror_fd, follow_symlinks=False))
        except OSError:
            copy_signature = (-1, -1, -1, -1, -1)
        self._verified[name] = _Verified(_signature(st), copy_signature, kpi_ts)
        self._rejected.pop(name, None)
        report.copied.append(name)

    def _held_copy(
        self, name: str, mirror_fd: int, known: _Verified | None
    ) -> tuple[bytes, Signature, datetime | None] | None:
        """The copy in the mirror as this process can vouch for it: bytes, signature, its ts.

        None when there is no usable copy: missing, a symlink or not a regular file (replaced,
        never followed), not mode 0644, or unreadable. For ``kpis_v7.json`` the ts is that of a
        copy that is itself a valid document (an invalid copy is simply replaced).
        """
        try:
            data, st = jsonio.read_file(
                name, dir_fd=mirror_fd, follow_symlinks=False,
                display=str(self.mirror_dir / name),
            )
        except jsonio.JsonInputError:
            return None
        if stat.S_IMODE(st.st_mode) != FILE_MODE:
            return None
        ts = None
        if name == KPI_FILE:
            ts = known.kpi_ts if known is not None and known.copy == _signature(st) else None
            if ts is None:
                ts = _valid_kpi_ts(data)
        return data, _signature(st), ts

    def _remote_needs(self, name: str) -> bool:
        """The remote target still wants this file's bytes (never sent, or its upload failed)."""
        return self.remote is not None and self.remote.needs(name)

    def _offer_remote(self, name: str, data: bytes) -> None:
        """Hand verified bytes (never a rejected version) to the remote target, if any."""
        if self.remote is not None:
            self.remote.offer(name, data)

    def _reject(self, name: str, signature: Signature, problem: str, report: SyncReport) -> None:
        problem = clip(problem)
        self._rejected[name] = (signature, problem)
        report.rejected[name] = problem

    def _state_roots(self) -> tuple[str, ...]:
        roots = {os.path.abspath(self.state_dir)}
        if self._state.canonical is not None:
            roots.add(self._state.canonical)
        return tuple(sorted(roots, key=len, reverse=True))


def _check(name: str, source: str, data: bytes) -> tuple[str | None, datetime | None]:
    """(why ``data`` must not be mirrored or None, the document's ts for ``kpis_v7.json``)."""
    try:
        doc = jsonio.parse_bytes(data)
    except jsonio.JsonSyntaxError as exc:
        if name == KPI_FILE:
            return f"invalid kpis_v7 document: {source}::$: {exc}", None
        return f"{source}: {exc}", None
    if name != KPI_FILE:
        return None, None
    violations = validate_document(doc)
    if violations:
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return f"invalid kpis_v7 document: {violations[0].render(source)}{more}", None
    return None, _document_ts(doc)


def _valid_kpi_ts(data: bytes) -> datetime | None:
    try:
        doc = jsonio.parse_bytes(data)
    except jsonio.JsonSyntaxError:
        return None
    return None if validate_document(doc) else _document_ts(doc)


def _document_ts(doc: object) -> datetime:
    """``ts`` of a valid kpis_v7 document, as the reader's model reads it."""
    return KpisV7.model_validate(doc).ts


def _ahead(ts: datetime, now: float) -> bool:
    """``ts`` lies after ``now`` by more than the clock skew the builder tolerates."""
    return ts.timestamp() - now > CLOCK_SKEW_TOLERANCE_S


def _iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def _identity_of_fd(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _mtime_of_fd(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_mtime_ns, st.st_ino


def _same_directory(a: Path, b: Path) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


# --- command line -------------------------------------------------------------------------


def prepare_mirror(state_dir: Path, mirror_dir: Path) -> list[str]:
    """Startup: refuse a mirror that is the state directory, create it (mode 0755).

    Returns the problems to report (the caller keeps going; each pass reports its own errors).
    ValueError when the mirror is the state directory. Stale temp files are cleaned when the
    mirror is bound (``StateMirror.bind``), under its lock.
    """
    if _same_directory(state_dir, mirror_dir):
        raise ValueError(f"the mirror directory {mirror_dir} is the state directory")
    try:
        create_directory(mirror_dir)
    except OSError as exc:
        return [f"{mirror_dir}: cannot create the mirror directory: {jsonio.os_reason(exc)}"]
    return []


def _parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(
        prog="python -m execution.sync_state",
        description="Mirror the executor's state files (kpis_v7.json among them) for the "
        "dashboard.",
    )
    add_directory_options(parser)
    add_remote_options(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one pass, then exit")
    add_interval_option(mode, default=1.0, what="passes when looping")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; see the module docstring for exit codes."""
    setup()
    args = _parser().parse_args(argv)
    log_to_stderr("sync_state")
    try:
        problems = prepare_mirror(args.state_dir, args.mirror_dir)
    except ValueError as exc:
        warn(f"sync_state: {exc}")
        return 2
    try:
        remote = remote_from_args(args)
    except (ValueError, KpiContractError) as exc:
        warn(f"sync_state: {exc}")
        return 2
    with StateMirror(args.state_dir, args.mirror_dir, remote=remote) as mirror:
        try:
            bind_problem = mirror.bind()
        except (DirectoryLockedError, ValueError) as exc:
            warn(f"sync_state: {exc}; refusing to start")
            return 2
        for problem in [*problems, bind_problem]:
            if problem is not None:
                log.error("%s", problem)
        if mirror.removed_temps:
            log.info(
                "removed %d stale temp file(s) from %s", len(mirror.removed_temps),
                args.mirror_dir,
            )
        return _run(mirror, args)


def _run(mirror: StateMirror, args: argparse.Namespace) -> int:
    if args.once:
        report = mirror.sync_once()
        say_line(f"sync_state: {report.summary()}")
        if report.errors or not (report.remote is None or report.remote.ok):
            return 2
        return 1 if report.rejected else 0
    with StopSignal() as stop:
        while not stop.requested:
            report = mirror.sync_once()
            if report.copied or report.errors or report.rejected or _remote_news(report.remote):
                say_line(f"sync_state: {report.summary()}")
            stop.sleep(args.interval)
    say_line(f"sync_state: stopped on {stop.signal_name}")
    return 0


def _remote_news(remote: RemotePassReport | None) -> bool:
    return remote is not None and bool(remote.uploaded or remote.errors or remote.superseded)


if __name__ == "__main__":
    sys.exit(main())
