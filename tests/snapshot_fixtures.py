"""Loading the executor snapshot fixtures (format: tests/fixtures/snapshots/README.md).

The files are copies of ../shared/fixtures/snapshots so the suite runs from a clone alone, with
the 7.1.0 additions (``run_mode``, ``expected_7_1``) made here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "snapshots"
FIXTURE_FILES = sorted(FIXTURE_DIR.glob("[0-9]*.json"))


def _set_path(doc: Any, dotted: str, value: float) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    if isinstance(doc, list):
        doc[int(last)] = value
    else:
        doc[last] = value


def load_fixture(path: Path) -> dict[str, Any]:
    """A fixture with its NaN / inf fields set, as the README prescribes. Deliberately not
    ``kpi_contract.snapshot_fixture``: this plain reading is the reference that package loader
    is checked against (tests/test_snapshot_fixture.py)."""
    fixture: dict[str, Any] = json.loads(path.read_text())
    for dotted in fixture.get("_python_nan_fields") or []:
        _set_path(fixture, dotted, math.nan)
    for dotted, sign in (fixture.get("_python_inf_fields") or {}).items():
        _set_path(fixture, dotted, math.inf if sign == "+inf" else -math.inf)
    return fixture


def builder_args(fixture: dict[str, Any]) -> tuple[Any, ...]:
    """The positional arguments of build_kpis_v7 for a fixture."""
    return (fixture["now_ts"], fixture["nav"], fixture["risk"], fixture["router"],
            fixture["expectancy"])


def builder_kwargs(fixture: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of build_kpis_v7 for a fixture (7.1.0: ``run_mode`` when given)."""
    return {"run_mode": fixture.get("run_mode")}
