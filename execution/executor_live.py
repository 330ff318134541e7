"""The dry-run executor: fully offline, driven by a seeded simulated market or recorded snapshots.

    PYTHONPATH=. BINANCE_TESTNET=1 DRY_RUN=1 python execution/executor_live.py
    DRY_RUN=1 python -m execution.executor_live --loops 5 --interval 0 --seed 7
    DRY_RUN=1 python -m execution.executor_live --replay /path/to/recorded/state --loops 1

Options: ``--loops N`` (default: run until SIGINT/SIGTERM), ``--interval S`` (default 1.0),
``--seed N`` (default 7), ``--state-dir DIR`` (default ``logs/state``), ``--mirror-dir DIR``
(default ``dashboard/state``), ``--replay DIR``. Both directories are relative to the working
directory.

Without ``DRY_RUN=1`` it refuses (one line on stderr, exit 2): live trading is not part of this
package, and nothing here opens a network connection. ``BINANCE_TESTNET`` is accepted and changes
nothing.

After a startup-sync (directories created, stale temp files removed, the last simulation state
loaded, the existing state mirrored), every loop one simulated one-minute bar of BTCUSDT, ETHUSDT
and SOLUSDT perpetuals produces the NAV, positions, risk, router and expectancy snapshots;
``nav.json``, ``positions.json``, ``router.json``, ``risk.json`` and ``kpis_v7.json`` are published
under the state directory and mirrored to the dashboard directory, and one progress line (loop
number, NAV, number of null KPIs) is printed.

With ``--loops N`` it exits 0 after N loops. Without it, it runs until interrupted and then exits
0 after finishing the loop in progress, leaving no temp file: the patch scope's plain command
("let it run through at least one full loop") is stopped with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    # Run as a file (python execution/executor_live.py): make the `execution` package importable
    # even without PYTHONPATH=. (this directory, not its parent, is then on sys.path).
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from execution.dry_run import REFUSAL, main

__all__ = ["REFUSAL", "main"]

if __name__ == "__main__":
    sys.exit(main())
