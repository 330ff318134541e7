"""Running the real command line in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m kpi_contract ARGS`` with captured text output."""
    return subprocess.run(
        [sys.executable, "-m", "kpi_contract", *args],
        cwd=cwd, capture_output=True, text=True, check=False, timeout=120,
    )
