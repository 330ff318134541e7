"""Where the kpis_v7 schema lives and which version it is.

The packaged copy (``kpi_contract/schemas/``) is what installed code reads: it is a byte copy of
``schemas/kpis_v7.schema.json`` made by ``scripts/generate_models.py``, so a wheel carries it too.
The version is read from the schema's ``$id`` (``urn:kpi-contract:kpis_v7:7.0.0``).

The schema file is read on first use, not on import (``SCHEMA_VERSION`` too, PEP 562): importing
the builder and the writer stays cheap for the executor's start-up, and the strict JSON reader
(``kpi_contract.jsonio``) is imported only when the schema is read (issue 10).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

SCHEMA_FILENAME = "kpis_v7.schema.json"
SUPPORTED_MAJOR = 7
_ID_VERSION = re.compile(r":(\d+)\.(\d+)\.(\d+)$")


def schema_path() -> Path:
    """Filesystem path of the packaged schema file."""
    from importlib import resources  # noqa: PLC0415 (see the module docstring)

    return Path(str(resources.files("kpi_contract") / "schemas" / SCHEMA_FILENAME))


@functools.cache
def load_schema() -> dict[str, Any]:
    """The packaged schema as a dict (parsed once per process; treat it as read-only)."""
    from kpi_contract import jsonio  # noqa: PLC0415 (see the module docstring)

    schema = jsonio.load(schema_path())
    if not isinstance(schema, dict):
        raise jsonio.JsonInputError(str(schema_path()), "not_json", "the schema is not an object")
    return schema


def version_of(schema: dict[str, Any]) -> str:
    """The ``MAJOR.MINOR.PATCH`` version recorded at the end of a schema's ``$id``."""
    match = _ID_VERSION.search(str(schema.get("$id", "")))
    if match is None:
        raise ValueError(f"schema $id {schema.get('$id')!r} does not end in a version")
    return ".".join(match.groups())


def parse_version(version: str) -> tuple[int, int, int]:
    """``"7.1.0"`` -> ``(7, 1, 0)``; ValueError for anything that is not a semantic version."""
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a MAJOR.MINOR.PATCH version: {version!r}")
    major, minor, patch = (int(p) for p in parts)
    return major, minor, patch


def __getattr__(name: str) -> Any:
    """``SCHEMA_VERSION``: the packaged schema's version, read on first use (PEP 562)."""
    if name == "SCHEMA_VERSION":
        version = version_of(load_schema())
        globals()[name] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    SCHEMA_VERSION: str
