"""The dry-run executor end to end: refusal, loops, signals, restart, faults and replay."""

from __future__ import annotations

import errno
import json
import math
import os
import resource
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from execution import dry_run, state_publish
from kpi_contract.models import KpisV7
from kpi_contract.validation import validate_bytes
from tests.test_execution_support import (
    PYTHON,
    STATE_FILES,
    clean_env,
    loop_lines,
    null_count,
    run_executor,
    temp_files,
    wait_for,
)

FIXTURES = Path(__file__).parent / "fixtures" / "snapshots"


def layout(cwd: Path) -> tuple[Path, Path]:
    """The default state and mirror directories under ``cwd``."""
    return cwd / "logs" / "state", cwd / "dashboard" / "state"


def files(directory: Path) -> dict[str, bytes]:
    """Bytes of the state files present in ``directory``."""
    return {n: (directory / n).read_bytes() for n in STATE_FILES if (directory / n).exists()}


@pytest.mark.parametrize("dry_run_value", [None, "0", "true", ""])
def test_refuses_without_dry_run_1(tmp_path: Path, dry_run_value: str | None) -> None:
    """Without DRY_RUN=1: one line on stderr, exit 2, nothing written."""
    env = clean_env() if dry_run_value is None else clean_env(DRY_RUN=dry_run_value)
    result = run_executor(tmp_path, "--loops", "1", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "DRY_RUN=1" in lines[0]
    assert "live trading is not part of this package" in lines[0]
    assert not (tmp_path / "logs").exists()


def test_a_few_loops_publish_mirror_and_report_progress(tmp_path: Path) -> None:
    """--loops 4: exit 0, four progress lines, mostly non-null KPIs, mirror equals the state."""
    result = run_executor(tmp_path, "--loops", "4", "--interval", "0", "--seed", "3")
    assert result.returncode == 0, result.stderr
    lines = loop_lines(result.stdout)
    assert [line.split(":")[0] for line in lines] == [f"loop {i}" for i in range(1, 5)]
    assert all("nav=" in line and "null_kpis=" in line for line in lines)
    assert null_count(lines[-1]) <= 3
    state, mirror = layout(tmp_path)
    kpis = json.loads((state / "kpis_v7.json").read_text())
    assert len(kpis["nulls"]) == null_count(lines[-1])
    assert files(mirror) == files(state)
    assert len(files(state)) == 5
    assert temp_files(state, mirror) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_the_endless_loop_cleanly(tmp_path: Path, signum: int) -> None:
    """No --loops, no pause between loops: a signal gives exit 0, whole files, no temp files."""
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [PYTHON, "-m", "execution.executor_live", "--interval", "0"],
            cwd=tmp_path, env=clean_env(DRY_RUN="1"), stdout=sink, stderr=subprocess.STDOUT,
        )
        wait_for(lambda: len(loop_lines(out.read_text())) >= 3)
        proc.send_signal(signum)
        assert proc.wait(timeout=20) == 0
    output = out.read_text()
    assert f"stopped on {signal.Signals(signum).name}" in output
    assert "Traceback" not in output
    state, mirror = layout(tmp_path)
    assert temp_files(state, mirror) == []
    assert validate_bytes((state / "kpis_v7.json").read_bytes()) == []
    assert files(mirror) == files(state)


def test_a_restart_continues_the_simulation(tmp_path: Path) -> None:
    """3 loops, restart, 2 loops: the same NAV path and positions as 5 loops in one run."""
    split, straight = tmp_path / "split", tmp_path / "straight"
    split.mkdir()
    straight.mkdir()
    assert run_executor(split, "--loops", "3", "--interval", "0").returncode == 0
    second = run_executor(split, "--loops", "2", "--interval", "0")
    assert "resumed seed 7 at bar 3" in second.stdout
    assert "unchanged 5" in second.stdout  # the startup mirror pass had nothing to copy
    assert run_executor(straight, "--loops", "5", "--interval", "0").returncode == 0

    def final(cwd: Path) -> tuple[Any, Any]:
        state = layout(cwd)[0]
        nav = json.loads((state / "nav.json").read_text())["nav"]
        positions = json.loads((state / "positions.json").read_text())["positions"]
        return nav, positions

    assert final(split) == final(straight)


def test_startup_cleans_stale_temps_and_survives_corrupt_state(tmp_path: Path) -> None:
    """Stale temp files go; a torn sim_state.json starts fresh; a torn KPI file is not mirrored."""
    state, mirror = layout(tmp_path)
    state.mkdir(parents=True)
    mirror.mkdir(parents=True)
    stale = [
        state / ".kpis_v7.json.0123456789abcdef.tmp",
        mirror / ".nav.json.fedcba9876543210.tmp",
    ]
    for path in stale:
        path.write_text("partial")
    (state / "sim_state.json").write_text('{"format": "execution.simul')
    (state / "kpis_v7.json").write_text('{"schema_version": "7.0.0", "ts": ')
    result = run_executor(tmp_path, "--loops", "1", "--interval", "0")
    assert result.returncode == 0, result.stderr
    assert "removed 2 stale temp file(s)" in result.stdout
    assert "fresh simulation, seed 7" in result.stdout
    assert "sim_state.json" in result.stderr
    assert "not mirrored" in result.stderr
    assert "kpis_v7.json" in result.stderr
    assert not any(path.exists() for path in stale)
    assert validate_bytes((mirror / "kpis_v7.json").read_bytes()) == []
    assert files(mirror) == files(state)


def _disk_full() -> None:
    """In the child: every regular file is capped at 64 bytes (EFBIG), as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))


def test_a_full_disk_keeps_the_loop_running_and_the_old_files(tmp_path: Path) -> None:
    """Writes fail with EFBIG: every loop still runs and reports, no file is torn or replaced."""
    assert run_executor(tmp_path, "--loops", "1", "--interval", "0").returncode == 0
    state, mirror = layout(tmp_path)
    before_state, before_mirror = files(state), files(mirror)
    result = subprocess.run(
        [PYTHON, "-m", "execution.executor_live", "--loops", "3", "--interval", "0"],
        cwd=tmp_path, env=clean_env(DRY_RUN="1"), capture_output=True, text=True,
        timeout=60, check=False, preexec_fn=_disk_full,
    )
    assert result.returncode == 0, result.stderr
    lines = loop_lines(result.stdout)
    assert len(lines) == 3
    assert all("write_failures=6" in line for line in lines)  # five files + the checkpoint
    assert "File too large" in result.stderr
    assert files(state) == before_state
    assert files(mirror) == before_mirror
    assert temp_files(state, mirror) == []


def test_an_unwritable_mirror_location_does_not_stop_publishing(tmp_path: Path) -> None:
    """Mirror dir cannot be created: errors reported every loop, KPIs still published."""
    (tmp_path / "plain").write_text("")
    result = run_executor(
        tmp_path, "--loops", "2", "--interval", "0", "--mirror-dir", "plain/mirror"
    )
    assert result.returncode == 0, result.stderr
    assert "cannot create the mirror directory" in result.stderr
    assert all("mirror_errors=5" in line for line in loop_lines(result.stdout))
    assert validate_bytes((layout(tmp_path)[0] / "kpis_v7.json").read_bytes()) == []


def _main_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loops: int
) -> int:
    monkeypatch.setenv("DRY_RUN", "1")
    monkeypatch.chdir(tmp_path)
    return dry_run.main(["--loops", str(loops), "--interval", "0"])


def test_a_read_only_state_dir_keeps_the_loop_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """EROFS on every state-dir write: loops complete, failures counted, old files intact."""
    assert _main_in_process(tmp_path, monkeypatch, 1) == 0
    state, mirror = layout(tmp_path)
    before = files(state)
    real_open = os.open
    state_id = (state.stat().st_dev, state.stat().st_ino)

    def in_state_dir(path: Any, dir_fd: int | None) -> bool:
        if dir_fd is not None:  # the executor writes relative to the state dir it holds open
            st = os.fstat(dir_fd)
            return (st.st_dev, st.st_ino) == state_id
        return Path(path).parent.resolve() == state.resolve()

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT and in_state_dir(path, kwargs.get("dir_fd")):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    capsys.readouterr()
    assert _main_in_process(tmp_path, monkeypatch, 3) == 0
    monkeypatch.undo()
    lines = loop_lines(capsys.readouterr().out)
    assert len(lines) == 3
    assert all("write_failures=6" in line for line in lines)
    assert files(state) == before
    assert files(mirror) == before
    assert temp_files(state, mirror) == []


def test_an_invalid_kpi_payload_keeps_the_last_good_file_and_the_loop(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A payload with an out-of-range KPI forced in: not written, not mirrored, error logged."""
    assert _main_in_process(tmp_path, monkeypatch, 1) == 0
    state, mirror = layout(tmp_path)
    good = (state / "kpis_v7.json").read_bytes()
    real_build = state_publish.build_kpis_v7

    def bad_build(*args: Any, **kwargs: Any) -> KpisV7:
        kpis = real_build(*args, **kwargs)
        return kpis.model_copy(update={"nav": kpis.nav.model_copy(update={"nav_age_s": -5.0})})

    monkeypatch.setattr(state_publish, "build_kpis_v7", bad_build)
    capsys.readouterr()
    assert _main_in_process(tmp_path, monkeypatch, 3) == 0
    lines = loop_lines(capsys.readouterr().out)
    assert len(lines) == 3
    assert all("write_failures=1" in line for line in lines)
    assert "$.nav.nav_age_s" in caplog.text
    assert (state / "kpis_v7.json").read_bytes() == good
    assert (mirror / "kpis_v7.json").read_bytes() == good


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def _close(got: Any, want: Any) -> bool:
    if isinstance(want, float) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(_close(got[k], want[k]) for k in want)
    return bool(got == want)


@pytest.mark.parametrize(
    ("fixture", "nav_file"),
    [
        ("01_healthy_full.json", "nav_health.json"),
        ("02_dd_state_nested_dict.json", "nav_health.json"),
        ("07_router_variant_A_quality_counts.json", "nav_health.json"),
        ("08_missing_expectancy_executor_nav_json.json", "nav.json"),
    ],
)
def test_replay_publishes_kpis_from_recorded_snapshots(
    tmp_path: Path, fixture: str, nav_file: str
) -> None:
    """Recorded executor files in, the fixture's expected 7.1.0 KPIs out, marked run_mode replay
    whatever the fixture's own run mode; the NAV ages with the wall clock from the recording's
    timestamp, whether the recording gives its own age (``nav_health.json``) or not."""
    data = _fixture(fixture)
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    for name, key in ((nav_file, "nav"), ("risk_snapshot.json", "risk"),
                      ("router_health.json", "router"), ("expectancy_v6.json", "expectancy")):
        if data[key] is not None:
            (recorded / name).write_text(json.dumps(data[key]))
    started = time.time()
    result = run_executor(tmp_path, "--replay", str(recorded), "--loops", "1")
    finished = time.time()
    assert result.returncode == 0, result.stderr
    got = json.loads((layout(tmp_path)[0] / "kpis_v7.json").read_text())
    want = {**data["expected_7_1"], "run_mode": "replay"}
    want["nulls"] = {k: v for k, v in want["nulls"].items() if k != "run_mode"}
    for key, value in want.items():
        if key not in ("ts", "nav"):
            assert _close(got[key], value), key
    # Recorded at the fixture's now_ts - nav_age_s; replayed now, it is that much older.
    recorded_at = data["now_ts"] - want["nav"]["nav_age_s"]
    assert started - recorded_at - 1e-6 <= got["nav"]["nav_age_s"] <= finished - recorded_at + 1e-6
    assert {**got["nav"], "nav_age_s": None} == {**want["nav"], "nav_age_s": None}
    state, mirror = layout(tmp_path)
    assert files(mirror) == files(state)


@pytest.mark.parametrize("age_key", ["age_s", "nav_age_s", "age"])
def test_replay_never_publishes_a_recorded_age_as_current(tmp_path: Path, age_key: str) -> None:
    """A recording that gives its NAV's age but no timestamp: replayed later, the age it had then
    is not the age now, so ``nav_age_s`` is null (``missing``), never the stale figure."""
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    (recorded / "nav_health.json").write_text(
        json.dumps({"nav_total": 4093.43, age_key: 12.4, "sources_ok": True}))
    result = run_executor(tmp_path, "--replay", str(recorded), "--loops", "1")
    assert result.returncode == 0, result.stderr
    kpis = json.loads((layout(tmp_path)[0] / "kpis_v7.json").read_text())
    assert kpis["nav"] == {"nav_total": 4093.43, "nav_age_s": None, "sources_ok": True}
    assert kpis["nulls"]["nav.nav_age_s"] == "missing"


def test_replay_republishes_nav_json_as_recorded_and_ages_its_nav_by_the_clock(
    tmp_path: Path,
) -> None:
    """A recorded ``nav.json`` with an age of its own: the KPI age follows its ``updated_ts``
    against the wall clock, and the state file ``nav.json`` is republished as recorded, age
    keys included (only the builder's input drops them)."""
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    nav = {"nav": 4000.0, "updated_ts": 1767225570.0, "age_s": 1.0, "nav_age_s": 2.0}
    (recorded / "nav.json").write_text(json.dumps(nav))
    started = time.time()
    result = run_executor(tmp_path, "--replay", str(recorded), "--loops", "1")
    finished = time.time()
    assert result.returncode == 0, result.stderr
    state = layout(tmp_path)[0]
    assert json.loads((state / "nav.json").read_text()) == nav
    age = json.loads((state / "kpis_v7.json").read_text())["nav"]["nav_age_s"]
    assert started - nav["updated_ts"] - 1e-6 <= age <= finished - nav["updated_ts"] + 1e-6


def test_replay_degrades_missing_and_corrupt_files_to_nulls(tmp_path: Path) -> None:
    """Corrupt risk file, no router file: those KPIs are null (missing), the run succeeds."""
    data = _fixture("01_healthy_full.json")
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    (recorded / "nav_health.json").write_text(json.dumps(data["nav"]))
    (recorded / "risk_snapshot.json").write_text('{"dd_state": {"dd_state": "norm')
    result = run_executor(tmp_path, "--replay", str(recorded), "--loops", "2", "--interval", "0")
    assert result.returncode == 0, result.stderr
    assert "risk_snapshot.json" in result.stderr
    # logged once, not per loop
    assert result.stderr.count("risk_snapshot.json: not valid JSON") == 1
    kpis = json.loads((layout(tmp_path)[0] / "kpis_v7.json").read_text())
    assert kpis["nav"]["nav_total"] == data["nav"]["nav_total"]
    assert kpis["nulls"]["risk.dd_state"] == "missing"
    assert kpis["nulls"]["router.policy_quality"] == "missing"
    assert not (layout(tmp_path)[0] / "risk.json").exists()
    missing = run_executor(tmp_path, "--replay", str(tmp_path / "nowhere"), "--loops", "1")
    assert missing.returncode == 2
    assert "replay directory does not exist" in missing.stderr
