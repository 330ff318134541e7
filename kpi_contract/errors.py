"""The package's errors: one base class, each error carrying the file and JSON path it is about.

Library code raises these; only the command-line boundary (``kpi_contract.cli``) turns them into
one-line messages (``FILE::$.json.path: message``) and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MAX_MESSAGE_CHARS: Final = 300
"""Longest error message the package produces; longer ones keep their start and their end."""


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to at most about ``limit`` characters, on one line.

    A message that quotes a value (a multi-megabyte string where a number belongs, a huge key)
    keeps its start and its end, which is where validators put the rule (``... is not of type
    "number"``), and says how much was left out. Newlines become spaces: an error is one line.
    """
    if len(text) > limit:
        head, tail = limit * 2 // 3 - 20, limit // 4 - 10  # the marker takes up to 30 more
        text = f"{text[:head]}...[{len(text) - head - tail} characters]...{text[-tail:]}"
    return text.replace("\r", " ").replace("\n", " ")


@dataclass(frozen=True)
class Violation:
    """One schema violation: where in the document, what is wrong, and the offending value."""

    json_path: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "json_path", clip(self.json_path, MAX_MESSAGE_CHARS // 3))
        object.__setattr__(self, "message", clip(self.message))

    def render(self, filename: str) -> str:
        """``FILE::$.json.path: message``, the one-line form the CLI prints."""
        return f"{filename}::{self.json_path}: {self.message}"


class KpiContractError(Exception):
    """Base of every error this package raises on purpose."""


class DocumentInvalidError(KpiContractError):
    """A kpis_v7 document does not satisfy the schema."""

    def __init__(self, filename: str, violations: list[Violation]) -> None:
        self.filename = filename
        self.violations = violations
        first = violations[0].render(filename) if violations else f"{filename}::$: invalid"
        super().__init__(first)


class UnsupportedVersionError(KpiContractError):
    """A document declares a schema major version this reader does not understand."""

    def __init__(self, filename: str, version: object) -> None:
        self.filename = filename
        self.version = version
        super().__init__(
            f"{filename}::$.schema_version: unsupported schema version {version!r} "
            "(this reader understands major 7)"
        )


class LegacyFormatError(KpiContractError):
    """The file is the pre-contract flat KPI file (no ``schema_version``; top-level ``atr_regime``,
    ``dd_state``, ``router_stats``, ...), not a kpis_v7 document (DASHBOARD.md)."""

    def __init__(self, filename: str, legacy_keys: list[str]) -> None:
        self.filename = filename
        self.legacy_keys = legacy_keys
        super().__init__(f"{filename}::$: {legacy_message(legacy_keys)}")


def legacy_message(legacy_keys: list[str]) -> str:
    """What every tool says about the pre-contract flat KPI file (reader, validate, mirror)."""
    return (
        f"the pre-contract flat KPI file (no schema_version; top-level "
        f"{', '.join(legacy_keys)}), not kpis_v7: see docs/dashboard-migration.md"
    )


class StateFileError(KpiContractError):
    """A state file could not be read or parsed (missing, unreadable, not JSON)."""

    def __init__(self, filename: str, message: str) -> None:
        self.filename = filename
        super().__init__(f"{filename}::$: {clip(message)}")
