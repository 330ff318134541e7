"""kpi-contract: the schema-first contract for the executor's ``kpis_v7.json``.

One JSON Schema (``schemas/kpis_v7.schema.json``, shipped in the package) is the source of truth;
the pydantic models in ``kpi_contract.models`` are generated from it. ``build_kpis_v7`` turns the
executor's snapshots into a model (nulls with reasons, never an exception), ``publish_kpis``
validates the exact bytes and writes them durably and atomically, ``read_kpis`` is the dashboard
team's tolerant reader.

Names are loaded on first use (PEP 562) so that ``import kpi_contract`` and the command line stay
cheap: pydantic's model machinery is only imported by code that builds or reads a payload.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpi_contract.build import build_kpis_v7
    from kpi_contract.errors import (
        DocumentInvalidError,
        KpiContractError,
        LegacyFormatError,
        StateFileError,
        UnsupportedVersionError,
        Violation,
    )
    from kpi_contract.models import KpisV7
    from kpi_contract.publish import publish_kpis
    from kpi_contract.reader import KpiReading, read_kpis
    from kpi_contract.schema import SCHEMA_VERSION, load_schema, schema_path
    from kpi_contract.validation import validate_bytes, validate_document
    from kpi_contract.writer import WriteResult, clean_stale_temps, write_atomic, write_json

_EXPORTS = {
    "build_kpis_v7": "kpi_contract.build",
    "KpisV7": "kpi_contract.models",
    "publish_kpis": "kpi_contract.publish",
    "read_kpis": "kpi_contract.reader",
    "KpiReading": "kpi_contract.reader",
    "SCHEMA_VERSION": "kpi_contract.schema",
    "load_schema": "kpi_contract.schema",
    "schema_path": "kpi_contract.schema",
    "validate_bytes": "kpi_contract.validation",
    "validate_document": "kpi_contract.validation",
    "WriteResult": "kpi_contract.writer",
    "clean_stale_temps": "kpi_contract.writer",
    "write_atomic": "kpi_contract.writer",
    "write_json": "kpi_contract.writer",
    "DocumentInvalidError": "kpi_contract.errors",
    "KpiContractError": "kpi_contract.errors",
    "LegacyFormatError": "kpi_contract.errors",
    "StateFileError": "kpi_contract.errors",
    "UnsupportedVersionError": "kpi_contract.errors",
    "Violation": "kpi_contract.errors",
}

__all__ = [
    "SCHEMA_VERSION",
    "DocumentInvalidError",
    "KpiContractError",
    "KpiReading",
    "KpisV7",
    "LegacyFormatError",
    "StateFileError",
    "UnsupportedVersionError",
    "Violation",
    "WriteResult",
    "build_kpis_v7",
    "clean_stale_temps",
    "load_schema",
    "publish_kpis",
    "read_kpis",
    "schema_path",
    "validate_bytes",
    "validate_document",
    "write_atomic",
    "write_json",
]


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first access."""
    if name == "__version__":
        # importlib.metadata costs ~30 ms to import; only __version__ needs it.
        from importlib.metadata import version  # noqa: PLC0415

        return version("kpi-contract")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kpi_contract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
