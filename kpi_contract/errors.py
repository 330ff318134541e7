"""The package's errors: one base class, each error carrying the file and JSON path it is about.

Library code raises these; only the command-line boundary (``kpi_contract.cli``) turns them into
one-line messages (``FILE::$.json.path: message``) and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MAX_MESSAGE_CHARS: Final = 300
"""Longest error message the package produces; longer ones keep their start and their end."""

MAX_LINE_CHARS: Final = 800
"""Longest line a command prints about a file (an error, a log line, a result), escapes counted:
``one_line`` cuts longer ones. A file name, a JSON path (100) and a message (300) fit whole."""

MAX_NAME_CHARS: Final = 300
"""In a ``FILE::...`` line longer than ``MAX_LINE_CHARS``, the part before ``::`` is cut to this
first, keeping its start and its end (where the file's own name is)."""


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters.

    A message that quotes a value (a multi-megabyte string where a number belongs, a huge key)
    keeps its start and its end, which is where validators put the rule (``... is not of type
    "number"``), and says how much was left out. Only the length: the text is kept as it is
    (a JSON output encodes it); :func:`one_line` makes it one safe line for a terminal or a log.
    """
    if len(text) > limit:
        head, tail = limit * 2 // 3 - 20, limit // 4 - 10  # the marker takes up to 30 more
        text = f"{text[:head]}...[{len(text) - head - tail} characters]...{text[-tail:]}"
    return text


def escape_controls(text: str) -> str:
    """``text`` with every character a terminal would act on or not show written as Python's
    ``repr`` writes it: ``\\n``, ``\\r``, ``\\t``, ``\\x1b``, ``\\x9b``, ``\\u2028``,
    ``\\u202e``...

    What is escaped is what ``str.isprintable`` refuses (control characters C0 and C1, line and
    paragraph separators, format characters such as the bidirectional overrides, unassigned code
    points), except the lone surrogates by which Python hands over a path's bytes that are not
    UTF-8: the console's error handler prints those as ``\\xff`` (kpi_contract.console). A
    backslash is left alone, so escaping twice changes nothing; the result is for reading, not
    for decoding back.
    """
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or "\ud800" <= c <= "\udfff" else repr(c)[1:-1] for c in text
    )


def one_line(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """``text`` as one line a terminal shows as it is, of at most ``limit`` characters.

    Control characters (newline, CR and ESC among them) are escaped (:func:`escape_controls`),
    so a hostile file name or key can neither split the line nor send escape codes to the
    operator's terminal. A longer line is cut keeping its start and its end; in a
    ``FILE::$.json.path: message`` line the file part is cut first (:data:`MAX_NAME_CHARS`), so
    the file's own name and the message both stay. Applying it twice changes nothing.
    The one function every command's error, log and result line goes through (README, "Errors").
    """
    text = escape_controls(clip(text, 4 * limit))  # bounded work whatever the input's length
    if len(text) <= limit:
        return text
    name, separator, rest = text.partition("::")
    if separator and len(name) > MAX_NAME_CHARS:
        text = f"{clip(name, MAX_NAME_CHARS)}{separator}{rest}"
    return clip(text, limit)


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
