"""The patch scope's TESTING / VALIDATION steps, run as written on a fresh checkout."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

from tests.test_execution_support import REPO, clean_env, loop_lines, temp_files, wait_for

STEP_1 = "python -m py_compile execution/state_publish.py execution/sync_state.py"
STEP_2 = "PYTHONPATH=. BINANCE_TESTNET=1 DRY_RUN=1 python execution/executor_live.py"
STEP_3 = "cat logs/state/kpis_v7.json | jq ."


def _fresh_checkout(tmp_path: Path) -> Path:
    work = tmp_path / "checkout"
    shutil.copytree(
        REPO / "execution", work / "execution", ignore=shutil.ignore_patterns("__pycache__")
    )
    return work


def _shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )


def test_patch_scope_validation_steps_pass_verbatim(tmp_path: Path) -> None:
    """Steps 1-4 as written: compile, dry run until one full loop, KPI shape, mirror equal."""
    work = _fresh_checkout(tmp_path)
    env = clean_env()
    del env["PYTHONPATH"]  # the command sets it, as the patch scope does

    # 1. Import sanity.
    step1 = _shell(STEP_1, work, env)
    assert step1.returncode == 0, step1.stderr

    # 2. Dry-run executor: no --loops, so it runs until interrupted; stop it after a full loop.
    out = work / "executor.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            ["bash", "-c", STEP_2], cwd=work, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: len(loop_lines(out.read_text())) >= 1)
        finally:
            proc.send_signal(signal.SIGTERM)
            returncode = proc.wait(timeout=20)
    output = out.read_text()
    assert returncode == 0, output
    assert "startup-sync" in output.splitlines()[0]
    assert "stopped on SIGTERM" in output
    state, mirror = work / "logs" / "state", work / "dashboard" / "state"
    assert temp_files(state, mirror) == []

    # 3. KPI file existence and basic shape, read back with jq when it is installed.
    if shutil.which("jq"):
        step3 = _shell(STEP_3, work, env)
        assert step3.returncode == 0, step3.stderr
        kpis = json.loads(step3.stdout)
    else:
        kpis = json.loads((state / "kpis_v7.json").read_text())
    assert {"ts", "nav", "risk", "router", "performance"} <= kpis.keys()
    assert isinstance(kpis["nav"]["nav_total"], float)
    assert isinstance(kpis["nav"]["nav_age_s"], float)
    assert kpis["risk"]["dd_state"]["state"] in ("normal", "cautious", "defensive")
    assert kpis["risk"]["atr_regime"] in ("quiet", "normal", "hot", "panic")

    # 4. The mirror holds the same bytes; a triggered sync pass finds nothing to do.
    published = (state / "kpis_v7.json").read_bytes()
    assert (mirror / "kpis_v7.json").read_bytes() == published
    step4 = _shell("PYTHONPATH=. python -m execution.sync_state --once", work, env)
    assert step4.returncode == 0, step4.stderr
    assert "copied 0" in step4.stdout
    assert (mirror / "kpis_v7.json").read_bytes() == published
