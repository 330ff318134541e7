"""The dry-run executor's startup-sync and loop (the command is ``execution.executor_live``).

Startup-sync: create the state directory and the dashboard mirror (mode 0755 whatever the umask),
open and lock both (``flock`` on ``.kpi-contract.lock``: a second executor on the same state
directory, or a second mirror on the same mirror, refuses to start with one line and exit 2),
remove temp files a crashed writer left in either (only under the lock), load the last state
(``sim_state.json`` in the state directory: the simulation continues where the previous run
stopped, NAV peak and drawdown included, when it was started with the same ``--seed``; a missing
or unusable state starts a fresh simulation), and mirror what is already there. Every state file
is then written relative to the state directory's held descriptor.

Each loop: the next snapshots (one simulated bar, or a re-read of the replay directory), then
``state_publish.publish_state``, the simulation checkpoint, and one ``sync_state`` mirror pass,
then one progress line on stdout. With ``--mirror-url`` the mirror pass also uploads to object
storage (``execution.remote_mirror``). Failures are logged on stderr and counted; they never end the
loop. A SIGINT/SIGTERM lets the loop in progress finish, then the run exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from execution._directories import BoundDirectory, DirectoryLockedError
from execution._signals import StopSignal
from execution.remote_mirror import add_remote_options, remote_from_args
from execution.replay import ReplaySource
from execution.run_mode import run_mode_for
from execution.simulation import SimStateError, Simulation
from execution.snapshots import StateSnapshots
from execution.state_files import add_directory_options, add_interval_option
from execution.state_publish import PublishReport, publish_state
from execution.sync_state import StateMirror, SyncReport, prepare_mirror
from kpi_contract.console import OneLineArgumentParser, log_to_stderr, say_line, setup, warn
from kpi_contract.errors import KpiContractError
from kpi_contract.jsonio import os_reason
from kpi_contract.writer import create_directory

log = logging.getLogger("execution.dry_run")

REFUSAL = (
    "executor_live: refusing to run without DRY_RUN=1: live trading is not part of this "
    "package (set DRY_RUN=1 to run the offline simulation)"
)
DEFAULT_SEED = 7
DEFAULT_INTERVAL_S = 1.0


class SnapshotSource(Protocol):
    """Where each loop's snapshots come from."""

    def next(self, now_ts: float) -> StateSnapshots:
        """The snapshots of the next loop, stamped ``now_ts``."""
        ...

    def checkpoint(self, state_dir: Path, dir_fd: int) -> str | None:
        """Persist what a restart needs; an error line, or None."""
        ...


class SimSource:
    """The seeded simulation, saved after every step."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def next(self, now_ts: float) -> StateSnapshots:
        """One simulated bar."""
        return self.sim.step(now_ts)

    def checkpoint(self, state_dir: Path, dir_fd: int) -> str | None:
        """Write ``sim_state.json``."""
        result = self.sim.save(state_dir, dir_fd)
        return None if result.ok else result.describe()


class ReplayLoopSource:
    """Recorded snapshot files, re-read every loop."""

    def __init__(self, directory: Path) -> None:
        self.replay = ReplaySource(directory)

    def next(self, now_ts: float) -> StateSnapshots:
        """The files as they are now."""
        return self.replay.read()

    def checkpoint(self, state_dir: Path, dir_fd: int) -> str | None:
        """Nothing to persist: the recorded files are the state."""
        return None


class StartupRefused(Exception):
    """The executor cannot start: a usage problem or a directory it cannot own (exit 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(
        prog="python -m execution.executor_live",
        description="Offline dry-run executor (requires DRY_RUN=1): publishes and mirrors "
        "kpis_v7.json and the other state files every loop.",
    )
    parser.add_argument("--loops", type=int, help="stop after N loops (default: until a signal)")
    add_interval_option(parser, default=DEFAULT_INTERVAL_S, what="loops")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED,
        help=f"simulation seed (default: {DEFAULT_SEED})",
    )
    add_directory_options(parser)
    add_remote_options(parser)
    parser.add_argument(
        "--replay", type=Path, metavar="DIR",
        help="publish from recorded snapshot files in DIR instead of the simulation",
    )
    return parser


def _own_state_directory(state_dir: Path) -> BoundDirectory:
    """Create (0755), open and lock the state directory; StartupRefused when it cannot be."""
    try:
        create_directory(state_dir)
    except OSError as exc:
        raise StartupRefused(
            f"{state_dir}: cannot create the state directory: {os_reason(exc)}"
        ) from exc
    state = BoundDirectory(state_dir, lock=True, role="state directory")
    try:
        problem = state.refresh()
    except DirectoryLockedError as exc:
        raise StartupRefused(f"{exc}; refusing to start") from exc
    if problem is not None:
        raise StartupRefused(f"{problem}; refusing to start")
    return state


def _startup_sync(
    args: argparse.Namespace, state: BoundDirectory, mirror: StateMirror
) -> tuple[SnapshotSource, list[str]]:
    """Mirror binding, stale temps, last state. Raises StartupRefused."""
    state_dir: Path = args.state_dir
    notes: list[str] = []
    try:
        problems: list[str | None] = [*prepare_mirror(state_dir, args.mirror_dir)]
        problems.append(mirror.bind())
    except (DirectoryLockedError, ValueError) as exc:
        raise StartupRefused(f"{exc}; refusing to start") from exc
    for problem in problems:
        if problem is not None:
            log.error("%s", problem)
    removed = state.removed_temps + mirror.removed_temps
    notes.append(f"removed {len(removed)} stale temp file(s)")
    if args.replay is not None:
        if not args.replay.is_dir():
            raise StartupRefused(f"{args.replay}: replay directory does not exist")
        notes.append(f"replaying {args.replay}")
        return ReplayLoopSource(args.replay), notes
    return SimSource(_load_simulation(state, args.seed, notes)), notes


def _load_simulation(state: BoundDirectory, seed: int, notes: list[str]) -> Simulation:
    try:
        sim = Simulation.load(state.path, dir_fd=state.fd)
    except SimStateError as exc:
        log.warning("cannot resume the last state (%s); starting a fresh simulation", exc)
        sim = None
    if sim is not None and sim.seed == seed:
        marks = {s: t.close for s, t in sim.market.tapes.items()}
        nav = sim.account.nav(marks)
        notes.append(
            f"resumed seed {seed} at bar {sim.bar} (NAV {nav:.2f}, peak {sim.account.peak_nav:.2f})"
        )
        return sim
    if sim is not None:
        notes.append(f"last state has seed {sim.seed}, not {seed}")
    notes.append(f"fresh simulation, seed {seed}")
    return Simulation.create(seed)


def _progress(loop: int, report: PublishReport, sync: SyncReport, failures: int) -> str:
    nav = report.kpis.nav.nav_total if report.kpis is not None else None
    nav_text = "null" if nav is None else f"{nav:.2f}"
    nulls = "?" if report.null_count is None else str(report.null_count)
    return (
        f"loop {loop}: nav={nav_text} null_kpis={nulls} write_failures={failures} "
        f"mirrored={len(sync.copied)} mirror_rejected={len(sync.rejected)} "
        f"mirror_errors={len(sync.errors)}"
    ) + (f" uploaded={len(sync.remote.uploaded)} upload_errors={len(sync.remote.errors)}"
         if sync.remote is not None else "")


def run(args: argparse.Namespace, stop: StopSignal) -> int:
    """Startup-sync, then the loop; returns the exit status."""
    try:
        remote = remote_from_args(args)
    except (ValueError, KpiContractError) as exc:
        warn(f"executor_live: {exc}")
        return 2
    try:
        state = _own_state_directory(args.state_dir)
    except StartupRefused as exc:
        warn(f"executor_live: {exc}")
        return 2
    mirror = StateMirror(args.state_dir, args.mirror_dir, remote=remote)
    with contextlib.closing(state), mirror:
        try:
            source, notes = _startup_sync(args, state, mirror)
        except StartupRefused as exc:
            warn(f"executor_live: {exc}")
            return 2
        return _loop(args, stop, (state, mirror, source), notes)


def _loop(
    args: argparse.Namespace,
    stop: StopSignal,
    held: tuple[BoundDirectory, StateMirror, SnapshotSource],
    notes: list[str],
) -> int:
    state, mirror, source = held
    run_mode = run_mode_for(os.environ, replay=args.replay is not None)
    notes.append(f"run mode {run_mode}")
    startup = mirror.sync_once()
    notes.append(f"mirror {startup.summary()}")
    say_line(f"executor_live: startup-sync: {'; '.join(notes)}")
    totals: Counter[str] = Counter()
    loop = 0
    while not stop.requested and (args.loops is None or loop < args.loops):
        loop += 1
        now_ts = time.time()
        report = publish_state(
            args.state_dir, now_ts, source.next(now_ts), dir_fd=state.fd, run_mode=run_mode
        )
        failures = len(report.failures)
        checkpoint_error = source.checkpoint(args.state_dir, state.fd)
        if checkpoint_error is not None:
            log.error("checkpoint failed: %s", checkpoint_error)
            failures += 1
        sync = mirror.sync_once()
        totals.update(write_failures=failures, mirror_rejected=len(sync.rejected),
                      mirror_errors=len(sync.errors))
        if sync.remote is not None:
            totals.update(upload_errors=len(sync.remote.errors))
        say_line(_progress(loop, report, sync, failures))
        if args.loops is None or loop < args.loops:
            stop.sleep(args.interval)
    why = f"stopped on {stop.signal_name}" if stop.requested else "finished"
    counts = ", ".join(f"{k} {totals[k]}" for k in sorted(totals)) or "no failures"
    say_line(f"executor_live: {why} after {loop} loop(s); {counts}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: refuse without DRY_RUN=1, else run (exit 0; 2 for bad usage)."""
    setup()
    args = _parser().parse_args(argv)
    if os.environ.get("DRY_RUN") != "1":
        warn(REFUSAL)
        return 2
    if args.loops is not None and args.loops < 1:
        warn("executor_live: --loops must be >= 1")
        return 2
    log_to_stderr("executor_live")
    with StopSignal() as stop:
        return run(args, stop)
