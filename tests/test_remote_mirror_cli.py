"""The remote mirror from the command line (issue 11): sync_state and executor_live with
``--mirror-url``, usage errors, exit codes, and the plain install that never imports boto3."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from execution.simulation import Simulation
from execution.state_publish import publish_state
from tests.s3_server import S3Env, client_env, free_port
from tests.test_execution_support import PYTHON, STATE_FILES, clean_env, run_executor, run_module
from tests.test_remote_mirror import T0


def state_dir(cwd: Path) -> Path:
    """``logs/state`` under ``cwd`` with one loop published."""
    state = cwd / "logs" / "state"
    state.mkdir(parents=True)
    assert publish_state(state, T0, Simulation.create(7).step(T0)).ok
    return state


def test_sync_state_once_uploads_then_a_new_process_uploads_nothing(
    s3: S3Env, tmp_path: Path
) -> None:
    """First run uploads the five files (exit 0); a second process finds them current."""
    state = state_dir(tmp_path)
    env = clean_env(**s3.env)
    args = ("--once", "--mirror-url", s3.url("fleet"), "--executor-id", "desk-7")
    first = run_module(tmp_path, "execution.sync_state", *args, env=env)
    assert first.returncode == 0, first.stderr
    assert "remote uploaded 5 (" in first.stdout
    for name in STATE_FILES:
        assert s3.get(f"fleet/desk-7/{name}") == (state / name).read_bytes()
    second = run_module(tmp_path, "execution.sync_state", *args, env=env)
    assert second.returncode == 0, second.stderr
    assert "remote uploaded 0, current 5," in second.stdout


def test_sync_state_once_exits_2_when_the_store_fails_and_still_mirrors_locally(
    tmp_path: Path,
) -> None:
    """Nothing listens at the endpoint: exit 2, the reason on one log line, local copies made."""
    state = state_dir(tmp_path)
    env = clean_env(**client_env(f"http://127.0.0.1:{free_port()}"))
    result = run_module(
        tmp_path, "execution.sync_state", "--once", "--mirror-url", "s3://kpi-fleet/fleet",
        "--executor-id", "desk-7", "--mirror-timeout", "1", env=env,
    )
    assert result.returncode == 2
    [line] = [x for x in result.stderr.splitlines() if "remote mirror" in x]
    assert "s3://kpi-fleet/fleet/desk-7: cannot reach the store" in line
    assert "Traceback" not in result.stderr
    mirror = tmp_path / "dashboard" / "state"
    assert all((mirror / n).read_bytes() == (state / n).read_bytes() for n in STATE_FILES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mirror-url", "s3:/kpi-fleet"], "not an s3:// URL"),
        (["--mirror-url", "s3://Kpi_Fleet/x"], "is not a bucket name"),
        (["--mirror-url", "s3://kpi-fleet/a//b"], "empty, '.' or '..' segment"),
        (["--mirror-url", "s3://kpi-fleet/x", "--executor-id", "../up"], "executor id '../up'"),
        (["--mirror-url", "s3://kpi-fleet/x", "--mirror-timeout", "0"], "--mirror-timeout"),
    ],
)
def test_sync_state_refuses_bad_remote_options_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """A malformed URL, executor id or timeout: exit 2, one line on stderr, nothing contacted."""
    state_dir(tmp_path)
    env = clean_env(**client_env("http://127.0.0.1:9"))
    result = run_module(tmp_path, "execution.sync_state", "--once", *args, env=env)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_executor_live_uploads_every_loop(s3: S3Env, tmp_path: Path) -> None:
    """The dry-run executor with --mirror-url: the store holds the last loop's files."""
    env = clean_env(DRY_RUN="1", **s3.env)
    result = run_executor(tmp_path, "--loops", "2", "--interval", "0", "--mirror-url",
                          s3.url("fleet"), "--executor-id", "dry", env=env)
    assert result.returncode == 0, result.stderr
    assert " uploaded=5 upload_errors=0" in result.stdout.splitlines()[-2]
    state = tmp_path / "logs" / "state"
    for name in STATE_FILES:
        assert s3.get(f"fleet/dry/{name}") == (state / name).read_bytes()


# --- the plain install -----------------------------------------------------------------------


def run_python(cwd: Path, code: str) -> subprocess.CompletedProcess[str]:
    """``python -c code`` with the repository importable."""
    return subprocess.run([PYTHON, "-c", code], cwd=cwd, env=clean_env(), capture_output=True,
                          text=True, timeout=60, check=False)


def test_the_executor_side_never_imports_boto3_without_mirror_url(tmp_path: Path) -> None:
    """Importing sync_state, executor_live and kpi_contract (CLI included) loads no boto3."""
    result = run_python(tmp_path, (
        "import sys, execution.sync_state, execution.executor_live, kpi_contract, "
        "kpi_contract.cli, kpi_contract.fleet\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    ))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_without_boto3_the_mirror_runs_and_mirror_url_says_what_to_install(
    tmp_path: Path,
) -> None:
    """boto3 made unimportable: sync_state --once works (exit 0); --mirror-url exits 2 with the
    install hint; read_kpis on a file works; kpi-contract fleet exits 2 with the hint."""
    state_dir(tmp_path)
    block = "import sys; sys.modules['boto3'] = None; sys.modules['botocore'] = None\n"
    plain = run_python(tmp_path, block + (
        "from execution.sync_state import main\n"
        "from kpi_contract import read_kpis\n"
        "read_kpis('logs/state/kpis_v7.json')\n"
        "raise SystemExit(main(['--once']))"
    ))
    assert plain.returncode == 0, plain.stderr
    remote = run_python(tmp_path, block + (
        "from execution.sync_state import main\n"
        "raise SystemExit(main(['--once', '--mirror-url', 's3://kpi-fleet/x']))"
    ))
    assert remote.returncode == 2
    assert remote.stderr == (
        "sync_state: s3:// URLs need the s3 extra: pip install 'kpi-contract[s3]'\n"
    )
    fleet = run_python(tmp_path, block + (
        "from kpi_contract.cli import main\n"
        "raise SystemExit(main(['fleet', 's3://kpi-fleet/x']))"
    ))
    assert fleet.returncode == 2
    assert fleet.stderr == (
        "kpi-contract fleet: error: s3:// URLs need the s3 extra: pip install 'kpi-contract[s3]'\n"
    )


def test_the_executor_id_defaults_to_a_usable_host_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """The host name is the default id; one that cannot be a key segment asks for --executor-id."""
    import socket

    from execution.remote_mirror import default_executor_id

    monkeypatch.setattr(socket, "gethostname", lambda: "trader-01.example.net")
    assert default_executor_id() == "trader-01.example.net"
    monkeypatch.setattr(socket, "gethostname", lambda: "my host")
    with pytest.raises(ValueError, match="pass --executor-id"):
        default_executor_id()
