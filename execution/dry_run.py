"""The dry-run executor's startup-sync and loop (the command is ``execution.executor_live``).

Startup-sync: create the state directory and the dashboard mirror, remove temp files a crashed
writer left in either, load the last state (``sim_state.json`` in the state directory: the
simulation continues where the previous run stopped, NAV peak and drawdown included, when it was
started with the same ``--seed``; a missing or unusable state starts a fresh simulation), and
mirror what is already there.

Each loop: the next snapshots (one simulated bar, or a re-read of the replay directory), then
``state_publish.publish_state``, the simulation checkpoint, and one ``sync_state`` mirror pass,
then one progress line on stdout. Failures are logged on stderr and counted; they never end the
loop. A SIGINT/SIGTERM lets the loop in progress finish, then the run exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from execution._signals import StopSignal
from execution.replay import ReplaySource
from execution.run_mode import run_mode_for
from execution.simulation import SimStateError, Simulation
from execution.snapshots import StateSnapshots
from execution.state_files import add_directory_options
from execution.state_publish import PublishReport, publish_state
from execution.sync_state import StateMirror, SyncReport, prepare_mirror
from kpi_contract.writer import clean_stale_temps

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

    def checkpoint(self, state_dir: Path) -> str | None:
        """Persist what a restart needs; an error line, or None."""
        ...


class SimSource:
    """The seeded simulation, saved after every step."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def next(self, now_ts: float) -> StateSnapshots:
        """One simulated bar."""
        return self.sim.step(now_ts)

    def checkpoint(self, state_dir: Path) -> str | None:
        """Write ``sim_state.json``."""
        result = self.sim.save(state_dir)
        return None if result.ok else result.describe()


class ReplayLoopSource:
    """Recorded snapshot files, re-read every loop."""

    def __init__(self, directory: Path) -> None:
        self.replay = ReplaySource(directory)

    def next(self, now_ts: float) -> StateSnapshots:
        """The files as they are now."""
        return self.replay.read()

    def checkpoint(self, state_dir: Path) -> str | None:
        """Nothing to persist: the recorded files are the state."""
        return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m execution.executor_live",
        description="Offline dry-run executor (requires DRY_RUN=1): publishes and mirrors "
        "kpis_v7.json and the other state files every loop.",
    )
    parser.add_argument("--loops", type=int, help="stop after N loops (default: until a signal)")
    parser.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL_S,
        help=f"seconds between loops (default: {DEFAULT_INTERVAL_S})",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED,
        help=f"simulation seed (default: {DEFAULT_SEED})",
    )
    add_directory_options(parser)
    parser.add_argument(
        "--replay", type=Path, metavar="DIR",
        help="publish from recorded snapshot files in DIR instead of the simulation",
    )
    return parser


def _startup_sync(args: argparse.Namespace) -> tuple[SnapshotSource, list[str]]:
    """Directories, stale temps, last state. Raises ValueError for a usage problem."""
    state_dir: Path = args.state_dir
    notes: list[str] = []
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.error("%s: cannot create the state directory: %s", state_dir, exc.strerror)
    problems, removed = prepare_mirror(state_dir, args.mirror_dir)
    for problem in problems:
        log.error("%s", problem)
    removed += clean_stale_temps(state_dir)
    notes.append(f"removed {len(removed)} stale temp file(s)")
    if args.replay is not None:
        if not args.replay.is_dir():
            raise ValueError(f"{args.replay}: replay directory does not exist")
        notes.append(f"replaying {args.replay}")
        return ReplayLoopSource(args.replay), notes
    return SimSource(_load_simulation(state_dir, args.seed, notes)), notes


def _load_simulation(state_dir: Path, seed: int, notes: list[str]) -> Simulation:
    try:
        sim = Simulation.load(state_dir)
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
    )


def run(args: argparse.Namespace, stop: StopSignal) -> int:
    """Startup-sync, then the loop; returns the exit status."""
    try:
        source, notes = _startup_sync(args)
    except ValueError as exc:
        print(f"executor_live: {exc}", file=sys.stderr)
        return 2
    run_mode = run_mode_for(os.environ, replay=args.replay is not None)
    notes.append(f"run mode {run_mode}")
    mirror = StateMirror(args.state_dir, args.mirror_dir)
    startup = mirror.sync_once()
    notes.append(f"mirror {startup.summary()}")
    print(f"executor_live: startup-sync: {'; '.join(notes)}", flush=True)
    totals: Counter[str] = Counter()
    loop = 0
    while not stop.requested and (args.loops is None or loop < args.loops):
        loop += 1
        now_ts = time.time()
        report = publish_state(args.state_dir, now_ts, source.next(now_ts), run_mode=run_mode)
        failures = len(report.failures)
        checkpoint_error = source.checkpoint(args.state_dir)
        if checkpoint_error is not None:
            log.error("checkpoint failed: %s", checkpoint_error)
            failures += 1
        sync = mirror.sync_once()
        totals.update(write_failures=failures, mirror_rejected=len(sync.rejected),
                      mirror_errors=len(sync.errors))
        print(_progress(loop, report, sync, failures), flush=True)
        if args.loops is None or loop < args.loops:
            stop.sleep(args.interval)
    why = f"stopped on {stop.signal_name}" if stop.requested else "finished"
    counts = ", ".join(f"{k} {totals[k]}" for k in sorted(totals)) or "no failures"
    print(f"executor_live: {why} after {loop} loop(s); {counts}", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: refuse without DRY_RUN=1, else run (exit 0; 2 for bad usage)."""
    args = _parser().parse_args(argv)
    if os.environ.get("DRY_RUN") != "1":
        print(REFUSAL, file=sys.stderr)
        return 2
    if args.loops is not None and args.loops < 1:
        print("executor_live: --loops must be >= 1", file=sys.stderr)
        return 2
    if args.interval < 0:
        print("executor_live: --interval must be >= 0", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="executor_live: %(levelname)s %(message)s")
    with StopSignal() as stop:
        return run(args, stop)
