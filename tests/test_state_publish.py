"""state_publish: five files per loop through the safe writer; failures reported, never raised."""

from __future__ import annotations

import errno
import json
import logging
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from execution import state_publish
from execution.simulation import Simulation
from execution.snapshots import StateSnapshots
from execution.state_publish import publish_state
from kpi_contract.models import KpisV7
from kpi_contract.validation import validate_bytes
from tests.test_execution_support import STATE_FILES, temp_files

T0 = 1767225600.0


@pytest.fixture(scope="module")
def snapshots() -> StateSnapshots:
    """Realistic snapshots: the simulation after 30 bars."""
    sim = Simulation.create(7)
    for i in range(29):
        sim.step(T0 + i)
    return sim.step(T0 + 29)


def contents(state: Path) -> dict[str, bytes]:
    """The bytes of every state file present."""
    return {name: (state / name).read_bytes() for name in STATE_FILES if (state / name).exists()}


def published(state: Path, snapshots: StateSnapshots) -> dict[str, bytes]:
    """Publish once (must succeed) and return the files' bytes."""
    report = publish_state(state, T0, snapshots)
    assert report.ok, [r.describe() for r in report.failures]
    return contents(state)


def test_publishes_the_five_state_files_with_a_valid_kpi_file(
    tmp_path: Path, snapshots: StateSnapshots
) -> None:
    """nav, positions, router, risk as JSON snapshots; kpis_v7.json valid; 0644; null count."""
    report = publish_state(tmp_path, T0 + 30, snapshots)
    assert report.ok
    assert [r.path.name for r in report.results] == list(STATE_FILES)
    assert json.loads((tmp_path / "risk.json").read_text()) == snapshots.risk
    assert json.loads((tmp_path / "nav.json").read_text()) == snapshots.nav_state
    kpi_bytes = (tmp_path / "kpis_v7.json").read_bytes()
    assert validate_bytes(kpi_bytes) == []
    assert report.kpis is not None
    assert report.null_count == len(json.loads(kpi_bytes)["nulls"])
    assert {oct((tmp_path / n).stat().st_mode & 0o777) for n in STATE_FILES} == {"0o644"}


def test_an_invalid_kpi_payload_writes_nothing_and_the_other_files_still_go(
    tmp_path: Path,
    snapshots: StateSnapshots,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A forced out-of-range KPI: last good kpis_v7.json kept, error names the field path."""
    before = published(tmp_path, snapshots)
    real_build = state_publish.build_kpis_v7

    def bad_build(*args: Any, **kwargs: Any) -> KpisV7:
        good = real_build(*args, **kwargs)
        return good.model_copy(
            update={"router": good.router.model_copy(update={"maker_fill_share": 1.5})}
        )

    monkeypatch.setattr(state_publish, "build_kpis_v7", bad_build)
    later = replace(snapshots, positions={"positions": [], "count": 0})
    with caplog.at_level(logging.ERROR, "execution.state_publish"):
        report = publish_state(tmp_path, T0 + 60, later)
    assert [r.path.name for r in report.failures] == ["kpis_v7.json"]
    assert "$.router.maker_fill_share" in (report.failures[0].error or "")
    assert "$.router.maker_fill_share" in caplog.text
    assert (tmp_path / "kpis_v7.json").read_bytes() == before["kpis_v7.json"]
    assert json.loads((tmp_path / "positions.json").read_text())["count"] == 0
    assert temp_files(tmp_path) == []


def test_a_builder_that_raises_is_a_failed_result_not_an_exception(
    tmp_path: Path, snapshots: StateSnapshots
) -> None:
    """A non-finite now_ts (the builder's one rejection) fails kpis_v7.json only."""
    before = published(tmp_path, snapshots)
    report = publish_state(tmp_path, math.nan, snapshots)
    assert [r.path.name for r in report.failures] == ["kpis_v7.json"]
    assert report.kpis is None
    assert report.null_count is None
    assert "could not be built" in (report.failures[0].error or "")
    assert (tmp_path / "kpis_v7.json").read_bytes() == before["kpis_v7.json"]


def test_a_full_disk_fails_every_file_and_keeps_every_old_one(
    tmp_path: Path, snapshots: StateSnapshots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC on fsync: five failed results naming the error, old files intact, no temp files."""
    before = published(tmp_path, snapshots)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    report = publish_state(tmp_path, T0 + 60, snapshots)
    assert len(report.failures) == 5
    assert all("ENOSPC" in (r.error or "") for r in report.failures)
    monkeypatch.undo()
    assert contents(tmp_path) == before
    assert temp_files(tmp_path) == []


def test_a_read_only_state_dir_fails_every_file_without_raising(
    tmp_path: Path, snapshots: StateSnapshots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EROFS when creating the temp file: failures reported, old files byte-identical."""
    before = published(tmp_path, snapshots)
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT and Path(path).parent == tmp_path:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    report = publish_state(tmp_path, T0 + 60, snapshots)
    monkeypatch.undo()
    assert len(report.failures) == 5
    assert all("EROFS" in (r.error or "") for r in report.failures)
    assert contents(tmp_path) == before


def test_a_missing_state_dir_is_reported_not_created(
    tmp_path: Path, snapshots: StateSnapshots
) -> None:
    """The writer does not create directories: a missing one is five failed results."""
    report = publish_state(tmp_path / "gone", T0, snapshots)
    assert len(report.failures) == 5
    assert not (tmp_path / "gone").exists()


def test_a_missing_snapshot_skips_its_file_and_nulls_its_kpis(
    tmp_path: Path, snapshots: StateSnapshots
) -> None:
    """No router snapshot this loop: router.json keeps its last content, router KPIs are null."""
    before = published(tmp_path, snapshots)
    report = publish_state(tmp_path, T0 + 60, replace(snapshots, router=None))
    assert report.ok
    assert report.skipped == ("router.json",)
    assert (tmp_path / "router.json").read_bytes() == before["router.json"]
    nulls = json.loads((tmp_path / "kpis_v7.json").read_text())["nulls"]
    assert nulls["router.maker_first"] == "missing"


def test_a_snapshot_json_cannot_hold_fails_only_that_file(
    tmp_path: Path, snapshots: StateSnapshots
) -> None:
    """A NaN in the risk snapshot: risk.json not written; its KPI is null (invalid), file valid."""
    assert isinstance(snapshots.risk, dict)
    risk = {**snapshots.risk, "fee_pnl_ratio": math.nan, "fee_pnl": {"fee_pnl_ratio": math.nan}}
    report = publish_state(tmp_path, T0, replace(snapshots, risk=risk))
    assert [r.path.name for r in report.failures] == ["risk.json"]
    assert not (tmp_path / "risk.json").exists()
    doc = json.loads((tmp_path / "kpis_v7.json").read_text())
    assert doc["nulls"]["risk.fee_pnl_ratio"] == "invalid"
