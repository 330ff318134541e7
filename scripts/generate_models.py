"""Regenerate the pydantic models and the packaged schema copy from schemas/kpis_v7.schema.json.

The schema in ``schemas/`` is the single source of truth. This script derives two artifacts from
it: ``kpi_contract/models.py`` (datamodel-code-generator, options in ``[tool.datamodel-codegen]``
of pyproject.toml) and ``kpi_contract/schemas/kpis_v7.schema.json`` (a byte copy shipped in the
wheel so installed readers find it). ``--check`` exits 1 when either artifact is stale.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "schemas" / "kpis_v7.schema.json"
MODELS = ROOT / "kpi_contract" / "models.py"
PACKAGED_SCHEMA = ROOT / "kpi_contract" / "schemas" / "kpis_v7.schema.json"


def generate_models_source() -> bytes:
    """Run datamodel-code-generator on the schema and return the module's bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "models.py"
        subprocess.run(
            [
                sys.executable, "-m", "datamodel_code_generator",
                "--input", str(SOURCE), "--output", str(out),
            ],
            cwd=ROOT, check=True, capture_output=True,
        )
        return out.read_bytes()


def stale_artifacts() -> list[Path]:
    """Artifacts whose bytes differ from what the schema generates now."""
    expected = {MODELS: generate_models_source(), PACKAGED_SCHEMA: SOURCE.read_bytes()}
    return [p for p, data in expected.items() if not p.exists() or p.read_bytes() != data]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if an artifact is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_artifacts()
        for path in stale:
            name = path.relative_to(ROOT)
            print(f"{name}: stale; run scripts/generate_models.py", file=sys.stderr)
        return 1 if stale else 0
    MODELS.write_bytes(generate_models_source())
    PACKAGED_SCHEMA.parent.mkdir(parents=True, exist_ok=True)
    PACKAGED_SCHEMA.write_bytes(SOURCE.read_bytes())
    print(f"wrote {MODELS.relative_to(ROOT)} and {PACKAGED_SCHEMA.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
