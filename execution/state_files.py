"""Where the executor's state files live and which of them the dashboard gets.

Both directories are relative to the working directory unless given as absolute paths:

- the state directory, ``logs/state/``: written only by ``execution.state_publish``;
- the dashboard mirror, ``dashboard/state/``: written only by ``execution.sync_state``. Its one
  setting is ``--mirror-dir`` on ``sync_state`` and ``executor_live``; there are no per-file knobs.

``MIRRORED_FILES`` is the one list of state files that are published every loop and mirrored;
``kpis_v7.json`` is a first-class member of it.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Final

DEFAULT_STATE_DIR: Final = Path("logs/state")
DEFAULT_MIRROR_DIR: Final = Path("dashboard/state")

NAV_FILE: Final = "nav.json"
POSITIONS_FILE: Final = "positions.json"
ROUTER_FILE: Final = "router.json"
RISK_FILE: Final = "risk.json"
KPI_FILE: Final = "kpis_v7.json"

MIRRORED_FILES: Final[tuple[str, ...]] = (
    NAV_FILE,
    POSITIONS_FILE,
    ROUTER_FILE,
    RISK_FILE,
    KPI_FILE,
)
"""The state files, in publishing order; the KPI file goes last, after its sources."""


def add_directory_options(parser: argparse.ArgumentParser) -> None:
    """``--state-dir`` and ``--mirror-dir``, the same two settings on every command."""
    parser.add_argument(
        "--state-dir", type=Path, default=DEFAULT_STATE_DIR,
        help=f"state directory (default: {DEFAULT_STATE_DIR})",
    )
    parser.add_argument(
        "--mirror-dir", type=Path, default=DEFAULT_MIRROR_DIR,
        help=f"dashboard mirror directory (default: {DEFAULT_MIRROR_DIR})",
    )


def seconds(text: str) -> float:
    """``--interval``'s type: a finite number of seconds >= 0 (``nan``, ``inf``, ``-1`` refused).

    A NaN interval used to make the loop spin without pause (``max(0.0, nan)`` is 0.0) and an
    infinite one made it sleep forever; both are usage errors now (issue 12).
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, not {text!r}")
    return value


def add_interval_option(parser: Any, *, default: float, what: str) -> None:
    """``--interval S`` (``seconds``), on a parser or a mutually exclusive group."""
    parser.add_argument(
        "--interval", type=seconds, default=default, metavar="S",
        help=f"seconds between {what}: a finite number >= 0 (default: {default})",
    )
