"""Hostile and broken files in the state directory and the CLI inputs (issue 12, first part).

Every kind runs through the real commands as subprocesses on real files: deep nesting, integers
beyond the digit limit, sparse huge files, FIFOs, character devices, multi-megabyte values, bad
``--interval`` values, non-UTF-8 paths and a closed stdout. The answer is always the same: the
file is refused with one short line, nothing crashes or hangs, the loop goes on.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from execution.simulation import Simulation
from execution.state_publish import publish_state
from kpi_contract.errors import MAX_MESSAGE_CHARS, KpiContractError, StateFileError
from kpi_contract.reader import read_kpis
from kpi_contract.schema import load_schema
from kpi_contract.validation import validate_bytes
from tests.cli_helpers import run_cli
from tests.test_execution_support import (
    PYTHON,
    STATE_FILES,
    clean_env,
    loop_lines,
    run_executor,
    run_module,
)

T0 = 1767225600.0
GIB = 1024**3
DEEP_ARRAYS = b"[" * 1000 + b"]" * 1000
DEEP_OBJECTS = b'{"a":' * 1200 + b"1" + b"}" * 1200
LONG_INT = b'{"nav_total": ' + b"7" * 5000 + b"}"
FIXTURE = json.loads(
    (Path(__file__).parent / "fixtures" / "snapshots" / "01_healthy_full.json").read_text()
)
LINE_LIMIT = 2 * MAX_MESSAGE_CHARS + 200  # a logging prefix and two paths around a message


def layout(cwd: Path) -> tuple[Path, Path]:
    return cwd / "logs" / "state", cwd / "dashboard" / "state"


def published_state(tmp_path: Path) -> tuple[Path, Path]:
    """A state directory with one loop published and an empty mirror beside it."""
    state, mirror = layout(tmp_path)
    state.mkdir(parents=True)
    assert publish_state(state, T0, Simulation.create(7).step(T0)).ok
    return state, mirror


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "Error:" not in result.stderr.replace("error:", ""), result.stderr[-2000:]
    for line in result.stderr.splitlines():
        assert len(line) <= LINE_LIMIT, f"{len(line)}-character line: {line[:200]}"


def sync_once(tmp_path: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    state, mirror = layout(tmp_path)
    return run_module(
        tmp_path, "execution.sync_state", "--once", "--state-dir", str(state),
        "--mirror-dir", str(mirror), timeout=timeout,
    )


# --- never crash on a file's content ------------------------------------------------------


@pytest.mark.parametrize("content", [DEEP_ARRAYS, DEEP_OBJECTS, LONG_INT],
                         ids=["deep-arrays", "deep-objects", "5000-digit-int"])
def test_a_bad_sim_state_starts_a_fresh_simulation(tmp_path: Path, content: bytes) -> None:
    """sim_state.json nested 1,000 deep or with a 5,000-digit int: warning, fresh run, exit 0."""
    state, _ = layout(tmp_path)
    state.mkdir(parents=True)
    (state / "sim_state.json").write_bytes(content)
    result = run_executor(tmp_path, "--loops", "2", "--interval", "0")
    assert result.returncode == 0, result.stderr[-2000:]
    assert_no_traceback(result)
    assert "fresh simulation, seed 7" in result.stdout
    assert "cannot resume the last state" in result.stderr
    assert len(loop_lines(result.stdout)) == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [("risk_snapshot.json", DEEP_ARRAYS), ("router_health.json", DEEP_OBJECTS),
     ("expectancy_v6.json", LONG_INT)],
    ids=["deep-risk", "deep-router", "5000-digit-expectancy"],
)
def test_a_bad_replay_file_is_a_missing_snapshot_and_the_loop_goes_on(
    tmp_path: Path, name: str, content: bytes
) -> None:
    """The replay executor logs the file once and publishes the rest, every loop."""
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    (recorded / "nav_health.json").write_text(json.dumps(FIXTURE["nav"]))
    (recorded / name).write_bytes(content)
    result = run_executor(tmp_path, "--replay", str(recorded), "--loops", "3", "--interval", "0")
    assert result.returncode == 0, result.stderr[-2000:]
    assert_no_traceback(result)
    assert len(loop_lines(result.stdout)) == 3
    assert result.stderr.count(name) == 1
    kpis = json.loads((layout(tmp_path)[0] / "kpis_v7.json").read_text())
    assert kpis["nav"]["nav_total"] == FIXTURE["nav"]["nav_total"]


@pytest.mark.parametrize("content", [DEEP_ARRAYS, DEEP_OBJECTS, LONG_INT],
                         ids=["deep-arrays", "deep-objects", "5000-digit-int"])
def test_build_reports_a_bad_snapshot_file_in_one_line_with_exit_2(
    tmp_path: Path, content: bytes
) -> None:
    """kpi-contract build: one line naming the file, exit 2, no traceback."""
    risk = tmp_path / "risk.json"
    risk.write_bytes(content)
    result = run_cli("build", "--risk", str(risk), "--now", str(T0))
    assert result.returncode == 2
    assert_no_traceback(result)
    assert result.stderr.startswith(f"{risk}::$: ")
    assert len(result.stderr.splitlines()) == 1
    fixture = tmp_path / "fixture.json"
    fixture.write_bytes(b'{"now_ts": 1, "nav": ' + content + b"}")
    assert run_cli("build", "--fixture", str(fixture)).returncode == 2


@pytest.mark.parametrize("content", [DEEP_ARRAYS, DEEP_OBJECTS, LONG_INT],
                         ids=["deep-arrays", "deep-objects", "5000-digit-int"])
def test_validate_and_read_kpis_refuse_a_bad_kpi_file_in_one_line(
    tmp_path: Path, content: bytes
) -> None:
    """validate exits 1 with one line; read_kpis raises a StateFileError, not RecursionError."""
    path = tmp_path / "kpis_v7.json"
    path.write_bytes(content)
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert_no_traceback(result)
    assert len(result.stderr.splitlines()) == 1
    with pytest.raises(StateFileError):
        read_kpis(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [("kpis_v7.json", DEEP_ARRAYS), ("router.json", DEEP_OBJECTS), ("risk.json", LONG_INT)],
    ids=["deep-kpis", "deep-router", "5000-digit-risk"],
)
def test_the_mirror_rejects_a_bad_state_file_and_mirrors_the_rest(
    tmp_path: Path, name: str, content: bytes
) -> None:
    """sync_state --once: the file is rejected (exit 1), the four others are copied."""
    state, mirror = published_state(tmp_path)
    (state / name).write_bytes(content)
    result = sync_once(tmp_path)
    assert result.returncode == 1
    assert_no_traceback(result)
    assert "copied 4" in result.stdout
    assert "rejected 1" in result.stdout
    assert not (mirror / name).exists()


# --- never read more than the bound, never block on a file's type ----------------------------


def sparse(path: Path, size: int = 50 * GIB) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


def test_a_sparse_huge_state_file_is_rejected_without_reading_it(tmp_path: Path) -> None:
    """A "50 GiB" kpis_v7.json (4 KB on disk): rejected at once, the last good copy stays."""
    state, mirror = published_state(tmp_path)
    assert sync_once(tmp_path).returncode == 0
    good = (mirror / "kpis_v7.json").read_bytes()
    sparse(state / "kpis_v7.json")
    sparse(state / "positions.json", 17 * 1024 * 1024)
    result = sync_once(tmp_path)
    assert result.returncode == 1
    assert_no_traceback(result)
    assert "rejected 2" in result.stdout
    assert f"{50 * GIB} bytes, more than" in result.stderr
    assert (mirror / "kpis_v7.json").read_bytes() == good


def test_validate_and_read_kpis_refuse_a_sparse_huge_file(tmp_path: Path) -> None:
    """validate: invalid (exit 1), one line; read_kpis: StateFileError naming the size."""
    path = tmp_path / "kpis_v7.json"
    sparse(path)
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert_no_traceback(result)
    with pytest.raises(StateFileError, match="more than"):
        read_kpis(path)


def test_a_fifo_never_blocks_the_mirror_and_a_signal_stops_it(tmp_path: Path) -> None:
    """nav.json a FIFO with no writer: each pass rejects it; the first SIGTERM ends the loop."""
    state, mirror = published_state(tmp_path)
    (state / "nav.json").unlink()
    os.mkfifo(state / "nav.json")
    once = sync_once(tmp_path, timeout=30)
    assert once.returncode == 1
    assert "not a regular file (a FIFO)" in once.stderr
    proc = subprocess.Popen(
        [PYTHON, "-m", "execution.sync_state", "--state-dir", str(state),
         "--mirror-dir", str(mirror), "--interval", "0.05"],
        cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped on SIGTERM" in out


def test_a_fifo_in_the_replay_or_as_sim_state_never_blocks_the_executor(tmp_path: Path) -> None:
    """A FIFO as the recorded risk file or as sim_state.json: the executor runs its loops."""
    state, _ = layout(tmp_path)
    state.mkdir(parents=True)
    os.mkfifo(state / "sim_state.json")
    sim = run_executor(tmp_path, "--loops", "1", "--interval", "0", timeout=30)
    assert sim.returncode == 0, sim.stderr[-2000:]
    assert "not a regular file (a FIFO)" in sim.stderr
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    (recorded / "nav_health.json").write_text(json.dumps(FIXTURE["nav"]))
    os.mkfifo(recorded / "risk_snapshot.json")
    replay = run_executor(tmp_path, "--replay", str(recorded), "--loops", "2", "--interval", "0",
                          "--state-dir", "replayed", "--mirror-dir", "replayed_mirror",
                          timeout=30)
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert len(loop_lines(replay.stdout)) == 2


def test_validate_and_build_refuse_a_fifo_at_once(tmp_path: Path) -> None:
    """A FIFO given on the command line is an I/O error (exit 2), not a hang."""
    fifo = tmp_path / "kpis_v7.json"
    os.mkfifo(fifo)
    result = run_cli("validate", str(fifo))
    assert result.returncode == 2
    assert "not a regular file (a FIFO)" in result.stderr
    assert run_cli("build", "--nav", str(fifo), "--now", str(T0)).returncode == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_in_the_state_dir_is_rejected(tmp_path: Path) -> None:
    """risk.json swapped for a /dev/zero-like device: rejected, no endless read."""
    state, mirror = published_state(tmp_path)
    (state / "risk.json").unlink()
    os.mknod(state / "risk.json", stat.S_IFCHR | 0o644, os.makedev(1, 5))
    result = sync_once(tmp_path)
    assert result.returncode == 1
    assert "not a regular file (a character device)" in result.stderr
    assert not (mirror / "risk.json").exists()


# --- error lines are bounded --------------------------------------------------------------


def long_value_document(where: str) -> bytes:
    doc = copy.deepcopy(load_schema()["examples"][0])
    if where == "value":
        doc["nav"]["nav_total"] = "x" * 3_000_000
        return json.dumps(doc).encode()
    doc["router"]["y" * 3_000_000] = 1
    text = json.dumps(doc)
    if where == "duplicate-key":
        text = text.replace('"router": {', '"router": {"' + "y" * 3_000_000 + '": 2, ')
    return text.encode()


@pytest.mark.parametrize("where", ["value", "key", "duplicate-key"])
def test_a_multi_megabyte_value_gives_short_error_lines(tmp_path: Path, where: str) -> None:
    """A 3 MB string where a number belongs, a 3 MB key: every tool's error line is short."""
    state, _ = published_state(tmp_path)
    data = long_value_document(where)
    (state / "kpis_v7.json").write_bytes(data)
    validate = run_cli("validate", str(state / "kpis_v7.json"))
    assert validate.returncode == 1
    assert_no_traceback(validate)
    mirror = sync_once(tmp_path)
    assert mirror.returncode == 1
    assert_no_traceback(mirror)
    assert all(len(v.message) <= MAX_MESSAGE_CHARS for v in validate_bytes(data))
    if where == "key":
        return  # an unknown key is what the tolerant reader drops (SPEC section 8)
    with pytest.raises(KpiContractError) as info:
        read_kpis(state / "kpis_v7.json")
    assert len(str(info.value)) <= LINE_LIMIT


# --- command-line values and streams ------------------------------------------------------


@pytest.mark.parametrize("interval", ["nan", "inf", "-1", "-inf", "soon"])
def test_a_non_finite_or_negative_interval_is_a_usage_error(
    tmp_path: Path, interval: str
) -> None:
    """--interval nan/inf/-1: one line, exit 2, for the executor and the mirror."""
    for module, args in (("execution.executor_live", ["--loops", "2"]),
                         ("execution.sync_state", [])):
        result = run_module(tmp_path, module, *args, f"--interval={interval}", timeout=30)
        assert result.returncode == 2, (module, result.stdout, result.stderr)
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "argument --interval" in result.stderr
    assert not (tmp_path / "logs").exists()


NON_UTF8 = os.fsdecode(b"state-\xff\xfe")


def test_non_utf8_paths_never_give_a_traceback(tmp_path: Path) -> None:
    """A file or directory name that is not UTF-8 is printed with backslash escapes."""
    valid = tmp_path / f"{NON_UTF8}.json"
    valid.write_bytes(json.dumps(load_schema()["examples"][0]).encode())
    result = run_cli("validate", os.fsencode(valid).decode("utf-8", "surrogateescape"))
    assert result.returncode == 0, result.stderr
    assert "state-\\xff\\xfe.json: valid kpis_v7" in result.stdout
    missing = run_cli("validate", str(tmp_path / f"{NON_UTF8}-missing.json"))
    assert missing.returncode == 2
    assert_no_traceback(missing)
    executor = run_executor(tmp_path, "--loops", "1", "--interval", "0",
                            "--state-dir", NON_UTF8, "--mirror-dir", f"{NON_UTF8}-mirror")
    assert executor.returncode == 0, executor.stderr
    assert_no_traceback(executor)
    assert (tmp_path / NON_UTF8 / "kpis_v7.json").exists()
    (tmp_path / "plain").write_text("")
    mirror = run_module(tmp_path, "execution.sync_state", "--once", "--state-dir", NON_UTF8,
                        "--mirror-dir", f"plain/{NON_UTF8}")
    assert mirror.returncode == 2
    assert_no_traceback(mirror)


def close_stdout() -> None:
    """In the child: start with file descriptor 1 closed (``>&-``)."""
    os.close(1)


def test_a_closed_stdout_never_gives_a_traceback(tmp_path: Path) -> None:
    """stdout closed (>&-) or a reader gone (EPIPE): commands finish their work and exit."""
    state, mirror = layout(tmp_path)
    executor = subprocess.run(
        [PYTHON, "-m", "execution.executor_live", "--loops", "2", "--interval", "0"],
        cwd=tmp_path, env=clean_env(DRY_RUN="1"), stderr=subprocess.PIPE, text=True,
        timeout=60, check=False, preexec_fn=close_stdout,
    )
    assert executor.returncode == 0, executor.stderr
    assert "Traceback" not in executor.stderr
    assert validate_bytes((state / "kpis_v7.json").read_bytes()) == []
    for args in (["validate", str(state / "kpis_v7.json")], ["schema"],
                 ["build", "--nav", str(state / "nav.json"), "--now", str(T0)]):
        result = subprocess.run(
            [PYTHON, "-m", "kpi_contract", *args], env=clean_env(), stderr=subprocess.PIPE,
            text=True, timeout=60, check=False, preexec_fn=close_stdout,
        )
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
    broken = subprocess.Popen(
        [PYTHON, "-m", "execution.executor_live", "--loops", "50", "--interval", "0"],
        cwd=tmp_path, env=clean_env(DRY_RUN="1"), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    assert broken.stdout is not None
    broken.stdout.readline()
    broken.stdout.close()  # the reader goes away: every later write gets EPIPE
    _, err = broken.communicate(timeout=120)
    assert broken.returncode == 0, err
    assert "Traceback" not in err
    assert "Exception ignored" not in err
    assert sorted(p.name for p in mirror.iterdir() if not p.name.startswith(".")) == sorted(
        STATE_FILES
    )
