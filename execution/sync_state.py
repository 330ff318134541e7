"""Mirror the executor's state files to the dashboard state directory.

    PYTHONPATH=. python -m execution.sync_state --once
    PYTHONPATH=. python -m execution.sync_state --interval 1.0      # until SIGINT/SIGTERM

Source: the state directory, ``logs/state/`` by default (``--state-dir``). Destination: the
dashboard mirror, ``dashboard/state/`` by default, relative to the working directory; its one
setting is ``--mirror-dir``. The files mirrored are ``state_files.MIRRORED_FILES``, one list with
``kpis_v7.json`` a first-class member; there are no per-file knobs.

Rules, per file and pass:

- unchanged files are skipped cheaply: one ``lstat`` of the source, whose ``(size, mtime_ns,
  inode)`` is compared with what the last copy recorded; nothing is re-read. The copies are
  re-checked (``lstat``) only when the mirror directory's inode or mtime changed since the last
  pass (someone removed, replaced or added an entry). A copy keeps its source's mtime (like
  ``cp -p``), so a freshly started mirror also skips files whose copy has the source's size and
  mtime;
- a changed file is read once, checked, and copied with the package's atomic writer (temp file in
  the mirror directory, fsync, ``os.replace``), so the dashboard never sees a torn copy;
- ``kpis_v7.json`` is mirrored only if its bytes are a valid kpis_v7 document
  (``kpi_contract.validation.validate_bytes``); the other files only if they parse as strict JSON
  (no ``NaN``/``Infinity`` tokens). Anything else (torn, partial, non-JSON, schema-invalid) is not
  mirrored: the last good mirror stays, the problem is logged once per file version and counted;
- a symlink in the state directory is followed only if it resolves inside the state directory;
  only regular files are read; nothing is ever written outside the mirror directory;
- I/O errors (mirror directory missing, disk full) are reported and retried on the next pass;
- with ``--mirror-url s3://BUCKET/PREFIX`` (``--executor-id``, ``--mirror-timeout``) the same
  verified bytes also go to S3-compatible object storage, under ``PREFIX/EXECUTOR_ID/``; the rules
  of that target are in ``execution.remote_mirror`` (issue 11).

Exit status of ``--once``: 0 when everything present was mirrored or unchanged, 1 when a source was
rejected as invalid, 2 on an I/O error (the store's included) or bad usage. The loop exits 0 on
SIGINT/SIGTERM after finishing the copy in progress.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import stat
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from execution._signals import StopSignal
from execution.remote_mirror import (
    RemotePassReport,
    RemoteTarget,
    add_remote_options,
    remote_from_args,
)
from execution.state_files import KPI_FILE, MIRRORED_FILES, add_directory_options
from kpi_contract.errors import KpiContractError
from kpi_contract.validation import validate_bytes
from kpi_contract.writer import clean_stale_temps, write_atomic

log = logging.getLogger("execution.sync_state")

Signature = tuple[int, int, int]
"""(size, mtime_ns, inode) of a file."""

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _signature(st: os.stat_result) -> Signature:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _dir_signature(directory: Path) -> Signature | None:
    """(device, inode, mtime_ns) of a directory; None if it cannot be stat'ed."""
    try:
        st = os.lstat(directory)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


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


class StateMirror:
    """Copies the listed state files to the mirror directory, remembering what it copied."""

    def __init__(
        self,
        state_dir: Path,
        mirror_dir: Path,
        files: Sequence[str] = MIRRORED_FILES,
        remote: RemoteTarget | None = None,
    ) -> None:
        for name in files:
            if not name or name in (".", "..") or Path(name).name != name:
                raise ValueError(f"not a plain file name: {name!r}")
        self.state_dir = Path(state_dir)
        self.mirror_dir = Path(mirror_dir)
        self.files = tuple(files)
        self.remote = remote
        self.totals: Counter[str] = Counter()
        # Paths as strings, built once: the skip path of a pass costs one lstat per file.
        self._paths = [
            (name, os.path.join(state_dir, name), os.path.join(mirror_dir, name))
            for name in self.files
        ]
        self._copied: dict[str, tuple[Signature, Signature]] = {}
        self._rejected: dict[str, tuple[Signature, str]] = {}
        self._reported: dict[str, str] = {}
        self._mirror_seen: Signature | None = None

    def sync_once(self) -> SyncReport:
        """One pass over the list; never raises on bad sources or I/O errors.

        ``totals`` counts copies, I/O errors, and rejections (each rejected file version once).
        The copies are checked one by one only when the mirror directory itself changed since
        the last pass (its inode or mtime: an entry was added, removed or renamed by someone).
        """
        report = SyncReport()
        root = os.path.realpath(self.state_dir)
        intact = self._mirror_seen is not None and self._mirror_seen == _dir_signature(
            self.mirror_dir
        )
        for name, source, target in self._paths:
            # Fast path: a file copied before, the mirror untouched since: one lstat.
            copied = self._copied.get(name) if intact else None
            if copied is not None and not (self.remote is not None and self.remote.needs(name)):
                try:
                    st = os.lstat(source)
                except OSError:
                    pass
                else:
                    if (st.st_size, st.st_mtime_ns, st.st_ino) == copied[0]:
                        report.unchanged.append(name)
                        continue
            self._sync_file(name, (source, target), root, intact, report)
        self._mirror_seen = _dir_signature(self.mirror_dir)
        for name, problem in {**report.rejected, **report.errors}.items():
            if self._reported.get(name) != problem:
                log.error("not mirrored: %s", problem)
                if name in report.rejected:
                    self.totals["rejected"] += 1
        self._reported = {**report.rejected, **report.errors}
        self.totals.update(copied=len(report.copied), errors=len(report.errors), passes=1)
        if self.remote is not None:
            report.remote = self.remote.finish_pass()
        return report

    def _sync_file(
        self, name: str, paths: tuple[str, str], root: str, intact: bool, report: SyncReport
    ) -> None:
        source, target = paths
        try:
            st = os.lstat(source)
            if stat.S_ISLNK(st.st_mode):
                real = os.path.realpath(source)
                if os.path.commonpath([real, root]) != root:
                    outside = "symlink resolves outside the state directory"
                    report.rejected[name] = f"{source}: {outside} ({real})"
                    return
                source, st = real, os.stat(real)
        except FileNotFoundError:
            report.missing.append(name)
            return
        except OSError as exc:
            report.errors[name] = f"{source}: cannot stat: {exc.strerror}"
            return
        if not stat.S_ISREG(st.st_mode):
            report.rejected[name] = f"{source}: not a regular file"
            return
        signature = (st.st_size, st.st_mtime_ns, st.st_ino)
        unchanged = self._is_unchanged(name, signature, target, intact)
        if unchanged and not (self.remote is not None and self.remote.needs(name)):
            report.unchanged.append(name)
            return
        known = self._rejected.get(name)
        if known is not None and known[0] == signature:
            report.rejected[name] = known[1]
            return
        self._copy(name, Path(source), Path(target), report, local=not unchanged)

    def _is_unchanged(self, name: str, signature: Signature, target: str, intact: bool) -> bool:
        copied = self._copied.get(name)
        if copied is not None and copied[0] != signature:
            return False
        if copied is not None and intact:
            return True
        try:
            current = _signature(os.lstat(target))
        except OSError:
            return False
        if copied is not None:
            return current == copied[1]
        # First look in this process: a copy carries its source's size and mtime (see _copy).
        if current[:2] == signature[:2]:
            self._copied[name] = (signature, current)
            return True
        return False

    def _copy(
        self, name: str, source: Path, target: Path, report: SyncReport, local: bool = True
    ) -> None:
        """Read and check ``source``; copy it (``local``) and offer it to the remote target."""
        try:
            fd = os.open(source, _READ_FLAGS)
            try:
                st = os.fstat(fd)
                signature = _signature(st)
                with os.fdopen(fd, "rb", closefd=False) as handle:
                    data = handle.read()
            finally:
                os.close(fd)
        except OSError as exc:
            report.errors[name] = f"{source}: cannot read: {exc.strerror}"
            return
        problem = _problem(name, source, data)
        if problem is not None:
            self._rejected[name] = (signature, problem)
            report.rejected[name] = problem
            return
        if self.remote is not None:
            self.remote.offer(name, data)
        if not local:
            report.unchanged.append(name)
            return
        result = write_atomic(target, data)
        if not result.ok:
            report.errors[name] = result.describe()
            return
        try:
            # Like cp -p: the copy keeps the source's mtime, so a later process can tell it is
            # current from (size, mtime_ns) alone, without reading either file.
            os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
            copy_signature = _signature(os.lstat(target))
        except OSError:
            copy_signature = (-1, -1, -1)
        self._copied[name] = (signature, copy_signature)
        self._rejected.pop(name, None)
        report.copied.append(name)


def _problem(name: str, source: Path, data: bytes) -> str | None:
    """Why ``data`` must not be mirrored, or None."""
    if name == KPI_FILE:
        violations = validate_bytes(data)
        if not violations:
            return None
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return f"invalid kpis_v7 document: {violations[0].render(str(source))}{more}"
    try:
        json.loads(data, parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{source}: not JSON: {exc}"
    except ValueError as exc:
        return f"{source}: not strict JSON: {exc}"
    return None


def _reject_constant(token: str) -> object:
    raise ValueError(f"{token} is not a JSON number")


# --- command line -------------------------------------------------------------------------


def prepare_mirror(state_dir: Path, mirror_dir: Path) -> tuple[list[str], list[Path]]:
    """Startup: refuse a mirror that is the state directory, create it, clean stale temps.

    Returns the problems to report (the caller keeps going; each pass reports its own errors)
    and the stale temp files removed. ValueError when the mirror is the state directory.
    """
    if os.path.realpath(state_dir) == os.path.realpath(mirror_dir):
        raise ValueError(f"the mirror directory {mirror_dir} is the state directory")
    problems = []
    try:
        mirror_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problems.append(f"{mirror_dir}: cannot create the mirror directory: {exc.strerror}")
    return problems, clean_stale_temps(mirror_dir)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m execution.sync_state",
        description="Mirror the executor's state files (kpis_v7.json among them) for the "
        "dashboard.",
    )
    add_directory_options(parser)
    add_remote_options(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one pass, then exit")
    mode.add_argument(
        "--interval", type=float, default=1.0,
        help="seconds between passes when looping (default: 1.0)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; see the module docstring for exit codes."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="sync_state: %(levelname)s %(message)s")
    if args.interval < 0:
        print("sync_state: --interval must be >= 0", file=sys.stderr)
        return 2
    try:
        problems, removed = prepare_mirror(args.state_dir, args.mirror_dir)
    except ValueError as exc:
        print(f"sync_state: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        log.error("%s", problem)
    if removed:
        log.info("removed %d stale temp file(s) from %s", len(removed), args.mirror_dir)
    try:
        remote = remote_from_args(args)
    except (ValueError, KpiContractError) as exc:
        print(f"sync_state: {exc}", file=sys.stderr)
        return 2
    mirror = StateMirror(args.state_dir, args.mirror_dir, remote=remote)
    if args.once:
        report = mirror.sync_once()
        print(f"sync_state: {report.summary()}", flush=True)
        if report.errors or not (report.remote is None or report.remote.ok):
            return 2
        return 1 if report.rejected else 0
    with StopSignal() as stop:
        while not stop.requested:
            report = mirror.sync_once()
            if report.copied or report.errors or report.rejected or _remote_news(report.remote):
                print(f"sync_state: {report.summary()}", flush=True)
            stop.sleep(args.interval)
    print(f"sync_state: stopped on {stop.signal_name}", flush=True)
    return 0


def _remote_news(remote: RemotePassReport | None) -> bool:
    return remote is not None and bool(remote.uploaded or remote.errors or remote.superseded)


if __name__ == "__main__":
    sys.exit(main())
