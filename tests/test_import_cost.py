"""What importing the builder and the writer loads (issue 10): only what building needs.

The executor imports ``build_kpis_v7`` and ``publish_kpis`` at start-up; the strict JSON reader,
the package rules, jsonschema-rs, the schema file, the S3 client and the dashboard are loaded on
the first build or publish that needs them. Timings are the benchmark's business
(``scripts/bench.py`` (c')); these tests pin which modules the import line loads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli_helpers import ROOT

NOT_ON_IMPORT = ("kpi_contract.jsonio", "kpi_contract.document_rules", "kpi_contract.s3",
                 "kpi_contract.dashboard", "jsonschema_rs", "boto3")


def loaded_after(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; report the modules above it loaded and whether the
    packaged schema was read."""
    probe = (
        f"{code}\n"
        "import json, sys\n"
        f"watched = {NOT_ON_IMPORT!r}\n"
        "from kpi_contract import schema\n"
        "print(json.dumps({'loaded': sorted(m for m in sys.modules\n"
        "                  if any(m == w or m.startswith(w + '.') for w in watched)),\n"
        "                  'schema_read': schema.load_schema.cache_info().currsize > 0}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True,
                            capture_output=True, text=True)
    found: dict[str, object] = json.loads(result.stdout)
    return found


def test_importing_the_builder_and_the_writer_loads_no_validation_machinery() -> None:
    """The executor's import line reads no schema file and imports no reader, rules or clients."""
    found = loaded_after("from kpi_contract import build_kpis_v7, publish_kpis")
    assert found == {"loaded": [], "schema_read": False}


def test_importing_the_package_alone_loads_none_of_it_either() -> None:
    """``import kpi_contract`` (names load on first use, PEP 562) stays as light."""
    assert loaded_after("import kpi_contract") == {"loaded": [], "schema_read": False}


def test_the_first_publish_loads_what_it_needs_and_writes(tmp_path: Path) -> None:
    """Nothing was lost by loading late: a build and a publish in a fresh process work."""
    target = tmp_path / "kpis_v7.json"
    found = loaded_after(
        "from kpi_contract import build_kpis_v7, publish_kpis\n"
        "kpis = build_kpis_v7(1767225600.0, {'nav_total': 10.0}, None, None, run_mode='replay')\n"
        f"assert publish_kpis({str(target)!r}, kpis).ok\n"
    )
    assert found["schema_read"] is True
    loaded = found["loaded"]
    assert isinstance(loaded, list)
    assert "jsonschema_rs" in loaded
    assert json.loads(target.read_bytes())["run_mode"] == "replay"
