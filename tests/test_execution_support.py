"""Helpers shared by the execution tests (no tests here): subprocess runs on temp directories."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
VENV_BIN = str(Path(PYTHON).parent)
STATE_FILES = ("nav.json", "positions.json", "router.json", "risk.json", "kpis_v7.json")


def published_state_and_mirror(root: Path, now_ts: float) -> tuple[Path, Path]:
    """``root/logs/state`` with one simulated loop published at ``now_ts`` (seed 7), and an
    empty ``root/dashboard/state`` mirror directory."""
    from execution.simulation import Simulation
    from execution.state_publish import publish_state

    state, mirror = root / "logs" / "state", root / "dashboard" / "state"
    state.mkdir(parents=True)
    mirror.mkdir(parents=True)
    assert publish_state(state, now_ts, Simulation.create(7).step(now_ts)).ok
    return state, mirror


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without DRY_RUN, with the repo importable and the venv first."""
    env = {k: v for k, v in os.environ.items() if k not in ("DRY_RUN", "PYTHONPATH")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_module(
    cwd: Path, module: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` in ``cwd``; output captured as text."""
    return subprocess.run(
        [PYTHON, "-m", module, *args],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(DRY_RUN="1"),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_executor(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The dry-run executor as a subprocess, DRY_RUN=1 unless ``env`` says otherwise."""
    return run_module(cwd, "execution.executor_live", *args, env=env, timeout=timeout)


def temp_files(*dirs: Path) -> list[Path]:
    """Writer temp files (``.<name>.<hex>.tmp``) left in ``dirs``."""
    return [p for d in dirs if d.is_dir() for p in d.iterdir() if p.name.endswith(".tmp")]


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ``condition`` until it holds; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def loop_lines(text: str) -> list[str]:
    """The executor's per-loop progress lines."""
    return [line for line in text.splitlines() if line.startswith("loop ")]


def null_count(line: str) -> int:
    """The ``null_kpis=N`` figure of a progress line."""
    return int(line.split("null_kpis=", 1)[1].split(maxsplit=1)[0])
