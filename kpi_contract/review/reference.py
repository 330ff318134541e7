"""The reference validator: python-jsonschema's Draft202012Validator with a FormatChecker.

Every witness is decided by it. Screening thousands of sampled payloads uses jsonschema-rs (the
same answers at a hundredth of the cost); whatever the screen flags is decided again here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.exceptions import best_match

from kpi_contract.review.paths import render_path


@dataclass(frozen=True)
class Rejection:
    """One reason a schema rejects a payload."""

    location: tuple[str | int, ...]
    keyword: str
    via: frozenset[str]
    message: str
    instance: Any = field(default=None, compare=False)
    """The rejected value: for a ``propertyNames`` error, the offending key (reference only)."""


class Oracle:
    """Decides validity of payloads under one schema document."""

    def __init__(self, document: dict[str, Any], version: str) -> None:
        self.version = version
        self._reference = Draft202012Validator(document, format_checker=FormatChecker())
        self._screen = jsonschema_rs.validator_for(document, validate_formats=True)

    def screen(self, payload: Any) -> bool:
        """The fast answer (jsonschema-rs); confirm anything that matters with :meth:`valid`."""
        try:
            return bool(self._screen.is_valid(payload))
        except (ValueError, TypeError, OverflowError):
            return self.valid(payload)

    def screen_rejections(self, payload: Any) -> list[Rejection]:
        """The fast errors (jsonschema-rs), as :class:`Rejection`."""
        try:
            errors = list(self._screen.iter_errors(payload))
        except (ValueError, TypeError, OverflowError):
            return self.rejections(payload)
        found = []
        for error in errors:
            steps = [s for s in error.schema_path if isinstance(s, str)]
            found.append(Rejection(tuple(error.instance_path), steps[-1] if steps else "",
                                   frozenset(steps), str(error.message)))
        return found

    def rejections(self, payload: Any) -> list[Rejection]:
        """Every reference error as a :class:`Rejection`, ``anyOf`` / ``oneOf`` context included."""
        return [
            Rejection(tuple(e.absolute_path), str(e.validator),
                      frozenset(s for s in e.absolute_schema_path if isinstance(s, str)),
                      e.message, e.instance)
            for e in _flatten(self._reference.iter_errors(payload))
        ]

    def valid(self, payload: Any) -> bool:
        """The reference answer (python-jsonschema)."""
        return bool(self._reference.is_valid(payload))

    def first_error(self, payload: Any) -> tuple[str, str]:
        """``($.json.path, message)`` of the most relevant reference error."""
        error = best_match(self._reference.iter_errors(payload))
        if error is None:
            return "$", "valid"
        return render_path(list(error.absolute_path)), error.message


def _flatten(errors: Any) -> Iterator[ValidationError]:
    for error in errors:
        yield error
        yield from _flatten(error.context or [])
