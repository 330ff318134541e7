"""The frozen kpis_v7 releases as tests use them: their schemas, validators and generated models.

A reader "built on" a release is what the dashboard team had when that release was current: the
release's schema for validation and for projection (SPEC section 8, as ``kpi_contract.reader``
applies it: a payload declaring a newer 7.x than the release has its unknown fields dropped, one of
the release's version or older is validated as written; absent optional fields read as null), and
the models datamodel-code-generator makes from it (with this repository's generator options),
imported from a temporary directory.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema_rs

from kpi_contract.reader import declares_newer_version, project_document

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "schemas" / "releases"


def release_path(version: str) -> Path:
    """``schemas/releases/kpis_v7-<version>.schema.json``."""
    return RELEASES / f"kpis_v7-{version}.schema.json"


@functools.cache
def release_schema(version: str) -> dict[str, Any]:
    """The frozen schema of a release (treat as read-only)."""
    schema: dict[str, Any] = json.loads(release_path(version).read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator(version: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(release_schema(version), validate_formats=True)


def violations_under(version: str, doc: object) -> list[str]:
    """The messages of every violation of ``doc`` under a release's schema (empty: valid)."""
    return [f"{list(e.instance_path)}: {e.message}" for e in _validator(version).iter_errors(doc)]


@functools.cache
def release_models(version: str) -> ModuleType:
    """The pydantic models generated from a release, with the repository's generator options."""
    folder = Path(tempfile.mkdtemp(prefix=f"kpis_v7_{version.replace('.', '_')}_"))
    target = folder / "models.py"
    subprocess.run(
        [sys.executable, "-m", "datamodel_code_generator", "--input", str(release_path(version)),
         "--output", str(target)],
        cwd=ROOT, check=True, capture_output=True,
    )
    name = f"kpis_v7_release_{version.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, target)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def read_as(version: str, doc: object) -> Any:
    """``doc`` read by a reader built on a release: validated (its projection, when ``doc``
    declares a newer 7.x than the release), then modelled with absent optional fields as null.

    Raises AssertionError naming the violations when the release's reader would reject it.
    """
    schema = release_schema(version)
    projected = project_document(doc, schema)
    judged = projected if declares_newer_version(doc, schema) else doc
    problems = violations_under(version, judged)
    assert not problems, problems
    return release_models(version).KpisV7.model_validate(projected)
