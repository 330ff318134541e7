"""The wheel carries what installed users need: the schema, py.typed, and a working CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built offline from this checkout and unpacked."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    (wheel,) = out.glob("kpi_contract-*.whl")
    target = out / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_wheel_ships_schema_and_type_marker(unpacked_wheel: Path) -> None:
    """The schema file sits inside the installed package, next to py.typed."""
    package = unpacked_wheel / "kpi_contract"
    shipped = (package / "schemas" / "kpis_v7.schema.json").read_bytes()
    assert shipped == (ROOT / "schemas" / "kpis_v7.schema.json").read_bytes()
    assert (package / "py.typed").exists()


def test_installed_cli_finds_its_schema_outside_the_repo(
    unpacked_wheel: Path, tmp_path: Path
) -> None:
    """Run from elsewhere, the wheel's CLI reads the schema from the wheel, not from the repo."""
    env = {**os.environ, "PYTHONPATH": str(unpacked_wheel)}
    located = subprocess.run(
        [sys.executable, "-m", "kpi_contract", "schema", "--path"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(unpacked_wheel)
    fixture = ROOT / "tests" / "fixtures" / "snapshots" / "01_healthy_full.json"
    out = tmp_path / "kpis_v7.json"
    built = subprocess.run(
        [sys.executable, "-m", "kpi_contract", "build", "--fixture", str(fixture), "--out",
         str(out)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )
    assert built.returncode == 0, built.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "kpi_contract", "validate", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )
    assert checked.returncode == 0, checked.stderr
