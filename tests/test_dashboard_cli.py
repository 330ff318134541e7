"""``kpi-contract dashboard`` and the dashboard extra: usage errors, launch settings, and the
executor's plain install never importing Streamlit."""

from __future__ import annotations

import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kpi_contract.dashboard.launch import (
    ENV_MAX_AGE_S,
    ENV_REFRESH_S,
    ENV_STATE_DIR,
    PAGE,
    PageSettings,
    streamlit_command,
)
from tests.cli_helpers import ROOT, run_cli


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)


def test_plain_package_and_view_model_never_import_streamlit() -> None:
    """import kpi_contract, the view models (used for real), the launcher and the CLI leave
    Streamlit and boto3 unloaded."""
    result = run_python(
        "import sys, time\n"
        "import kpi_contract\n"
        "from kpi_contract.cli import build_parser\n"
        "from kpi_contract.dashboard import kpi_cards, panel_state, fleet_state, STATUS_RULES\n"
        "from kpi_contract.dashboard.command import register\n"
        "from kpi_contract.dashboard.launch import PageSettings, streamlit_command\n"
        "from kpi_contract.schema import load_schema\n"
        "assert len(kpi_cards(load_schema()['examples'][1])) == 14\n"
        "panel_state('no/such/dir', now_ts=time.time())\n"
        "assert fleet_state('not-a-url', now_ts=time.time()).condition == 'error'\n"
        "build_parser().parse_args(['dashboard', '--fleet-url', 's3://kpi-fleet/desk'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'pandas',"
        " 'pyarrow', 'tornado', 'boto3', 'botocore', 's3transfer'))\n"
        "print(loaded)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_streamlit_is_only_an_optional_extra() -> None:
    """The executor's install (project dependencies) does not pull in Streamlit; the extra does."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.lower().startswith("streamlit")]
    assert [d for d in project["optional-dependencies"]["dashboard"]
            if d.startswith("streamlit==")]


def test_missing_extra_is_one_line_and_exit_2() -> None:
    """Without Streamlit the command says how to install the extra, in one line, exit 2."""
    result = run_python(
        "import sys\n"
        "sys.modules['streamlit'] = None  # what an install without the extra looks like\n"
        "from kpi_contract.cli import main\n"
        "raise SystemExit(main(['dashboard', '--port', '8599']))\n"
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kpi-contract dashboard: error: Streamlit is not installed; install the extra: "
        "pip install 'kpi-contract[dashboard]'"]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], "argument --port: not a TCP port (1-65535): '0'"),
        (["--port", "http"], "argument --port: not a TCP port (1-65535): 'http'"),
        (["--refresh-s", "0"], "argument --refresh-s: not a positive number of seconds: '0'"),
        (["--refresh-s", "nan"], "argument --refresh-s: not a positive number of seconds"),
        (["--max-age-s", "-5"], "argument --max-age-s: not a positive number of seconds"),
    ],
)
def test_bad_options_are_one_line_usage_errors(args: list[str], message: str) -> None:
    """Bad ports and durations exit 2 with one line naming the option, before any server."""
    result = run_cli("dashboard", *args)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_state_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """--state-dir pointing at a file is a one-line usage error naming it."""
    not_a_dir = tmp_path / "kpis_v7.json"
    not_a_dir.write_text("{}")
    result = run_cli("dashboard", "--state-dir", str(not_a_dir), "--port", "8598")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{not_a_dir}::$: --state-dir is not a directory"]


def test_server_is_loopback_headless_and_sends_no_usage_statistics() -> None:
    """The streamlit command binds 127.0.0.1, runs headless, with usage statistics off."""
    command = streamlit_command(8123, python="py")
    assert command[:5] == ["py", "-m", "kpi_contract.dashboard.serve", "run", str(PAGE)]
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options == {
        "--server.headless": "true", "--server.address": "127.0.0.1", "--server.port": "8123",
        "--browser.gatherUsageStats": "false", "--server.fileWatcherType": "none",
        "--client.toolbarMode": "viewer"}
    assert PAGE.is_file()


def test_page_settings_round_trip_through_the_environment(tmp_path: Path) -> None:
    """What the command sets in the environment is what the page reads back."""
    settings = PageSettings(tmp_path, refresh_s=0.5, max_age_s=30.0)
    assert PageSettings.from_environ(settings.environ()) == settings
    assert settings.kpi_path == tmp_path / "kpis_v7.json"
    assert PageSettings.from_environ({}) == PageSettings(Path("dashboard/state"), 2.0, 120.0)


@pytest.mark.parametrize(
    ("environ", "message"),
    [({ENV_REFRESH_S: "soon"}, "KPI_DASHBOARD_REFRESH_S='soon' is not a number"),
     ({ENV_MAX_AGE_S: "0"}, "max_age_s must be a positive number"),
     ({ENV_STATE_DIR: "x", ENV_REFRESH_S: "inf"}, "refresh_s must be a positive number")],
)
def test_page_settings_refuse_bad_values(environ: dict[str, str], message: str) -> None:
    """A bad setting is a ValueError naming it, not a page that silently never refreshes."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        PageSettings.from_environ(environ)


def test_port_in_use_is_one_line_and_exit_2() -> None:
    """A port another process listens on is refused before Streamlit starts: one line, exit 2."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("dashboard", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"kpi-contract dashboard: error: 127.0.0.1:{port}: port already in use"]
