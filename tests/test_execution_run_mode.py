"""run_mode from the executor: derived from DRY_RUN / BINANCE_TESTNET / --replay, never live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution.run_mode import run_mode_for
from execution.simulation import Simulation
from execution.state_publish import publish_state
from tests.test_execution_support import clean_env, run_executor

FIXTURES = Path(__file__).parent / "fixtures" / "snapshots"
T0 = 1767225600.0


@pytest.mark.parametrize(
    ("environ", "replay", "expected"),
    [
        ({"DRY_RUN": "1"}, False, "dry_run"),
        ({"DRY_RUN": "1", "BINANCE_TESTNET": "1"}, False, "dry_run"),
        ({"BINANCE_TESTNET": "1"}, False, "testnet"),
        ({"DRY_RUN": "1", "BINANCE_TESTNET": "1"}, True, "replay"),
        ({}, True, "replay"),
        ({}, False, None),
        ({"DRY_RUN": "true", "BINANCE_TESTNET": "yes"}, False, None),
        ({"DRY_RUN": "1 ", "BINANCE_TESTNET": "0"}, False, None),
        ({"RUN_MODE": "live", "LIVE": "1", "BINANCE_TESTNET": ""}, False, None),
    ],
)
def test_run_mode_follows_the_flags_exactly(environ: dict[str, str], replay: bool,
                                            expected: str | None) -> None:
    """--replay wins, then DRY_RUN=1, then BINANCE_TESTNET=1 alone; a flag counts only as "1";
    nothing at all is no run mode (null), not live."""
    assert run_mode_for(environ, replay=replay) == expected


@given(st.dictionaries(st.sampled_from(["DRY_RUN", "BINANCE_TESTNET", "RUN_MODE", "MODE",
                                        "LIVE", "ENV"]),
                       st.sampled_from(["1", "0", "", "live", "LIVE", "true", "testnet"])),
       st.booleans())
def test_no_environment_derives_live(environ: dict[str, str], replay: bool) -> None:
    """Whatever the environment says, the executor's derivation is never ``live``."""
    assert run_mode_for(environ, replay=replay) in {"dry_run", "testnet", "replay", None}


@pytest.mark.parametrize("mode", ["live", "testnet", "dry_run", "replay", None])
def test_publish_state_writes_the_callers_run_mode(tmp_path: Path, mode: str | None) -> None:
    """publish_state passes run_mode to the builder; without one it is null, reason missing."""
    snapshots = Simulation.create(3).step(T0)
    report = (publish_state(tmp_path, T0, snapshots) if mode is None
              else publish_state(tmp_path, T0, snapshots, run_mode=mode))  # type: ignore[arg-type]
    assert report.ok
    doc = json.loads((tmp_path / "kpis_v7.json").read_text())
    assert doc["run_mode"] == mode
    assert ("run_mode" in doc["nulls"]) is (mode is None)


def _kpis(directory: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((directory / "kpis_v7.json").read_text())
    return loaded


def test_the_dry_run_executor_marks_its_payloads_dry_run_even_on_testnet(tmp_path: Path) -> None:
    """BINANCE_TESTNET=1 DRY_RUN=1 (the documented command): run_mode dry_run in the state file
    and the mirror, named in the startup line; nothing reaches a testnet, so never testnet."""
    env = clean_env(DRY_RUN="1", BINANCE_TESTNET="1", RUN_MODE="live")
    result = run_executor(tmp_path, "--loops", "2", "--interval", "0", env=env)
    assert result.returncode == 0, result.stderr
    assert "run mode dry_run" in result.stdout.splitlines()[0]
    state, mirror = tmp_path / "logs" / "state", tmp_path / "dashboard" / "state"
    assert _kpis(state)["run_mode"] == _kpis(mirror)["run_mode"] == "dry_run"


def test_replay_marks_its_payloads_replay(tmp_path: Path) -> None:
    """--replay of a recording: run_mode replay, even though DRY_RUN=1 is set as well."""
    data = json.loads((FIXTURES / "02_dd_state_nested_dict.json").read_text())
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    for name, key in (("nav_health.json", "nav"), ("risk_snapshot.json", "risk"),
                      ("router_health.json", "router"), ("expectancy_v6.json", "expectancy")):
        (recorded / name).write_text(json.dumps(data[key]))
    env = clean_env(DRY_RUN="1", BINANCE_TESTNET="1")
    result = run_executor(tmp_path, "--replay", str(recorded), "--loops", "1", env=env)
    assert result.returncode == 0, result.stderr
    assert "run mode replay" in result.stdout.splitlines()[0]
    kpis = _kpis(tmp_path / "logs" / "state")
    assert kpis["run_mode"] == "replay"
    assert kpis["router"] == data["expected_7_1"]["router"]
