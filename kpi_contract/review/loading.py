"""Reading a schema file for review: JSON, a valid 2020-12 schema, a version in ``$id``.

Anything wrong is a :class:`SchemaFileError` whose text is the one-line
``FILE::$.json.path: message`` the command line prints (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from kpi_contract import jsonio
from kpi_contract.errors import KpiContractError
from kpi_contract.review.keywords import Node
from kpi_contract.review.normalize import DIALECT, UnsupportedSchemaError, normalize
from kpi_contract.review.paths import pointer_tokens, render_path
from kpi_contract.schema import parse_version, version_of

_FAMILY = re.compile(r"kpis_v(\d+)(?::|$)")


class SchemaFileError(KpiContractError):
    """A schema file the review cannot use: unreadable, not JSON, not a schema, no version."""

    def __init__(self, filename: str, json_path: str, message: str) -> None:
        self.filename = filename
        self.json_path = json_path
        self.message = message
        super().__init__(f"{filename}::{json_path}: {message}")


@dataclass(frozen=True)
class SchemaDoc:
    """A schema ready for review: where it came from, its document, version and normal form."""

    label: str
    document: dict[str, Any]
    version: str
    family: int | None
    normal: Node

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        """``(major, minor, patch)``."""
        return parse_version(self.version)


def load_schema_file(path: Path, label: str | None = None) -> SchemaDoc:
    """Read, parse and check one schema file."""
    name = label or str(path)
    try:
        # The package's one reader of JSON files: bounded, non-blocking, strict (issue 12).
        document = jsonio.load(path)
    except jsonio.JsonInputError as exc:
        raise SchemaFileError(name, "$", exc.reason) from None
    return schema_doc(document, name)


def schema_doc(document: Any, label: str) -> SchemaDoc:
    """Check a parsed document and build its :class:`SchemaDoc`."""
    if not isinstance(document, dict):
        raise SchemaFileError(label, "$", "not a JSON Schema: the document is not an object")
    dialect = document.get("$schema", DIALECT)
    if dialect != DIALECT:
        raise SchemaFileError(label, "$['$schema']",
                              f"the review reads draft 2020-12 schemas only, not {dialect!r}")
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        where = render_path(list(exc.absolute_path))
        raise SchemaFileError(label, where, f"not a valid 2020-12 schema: {exc.message}") from None
    try:
        version = version_of(document)
        parse_version(version)
    except ValueError as exc:
        raise SchemaFileError(label, "$['$id']", str(exc)) from None
    try:
        normal = normalize(document)
    except UnsupportedSchemaError as exc:
        raise SchemaFileError(label, render_path(pointer_tokens(exc.where)), exc.message) from None
    family = _FAMILY.search(str(document.get("$id", "")))
    return SchemaDoc(label, document, version, int(family.group(1)) if family else None, normal)
