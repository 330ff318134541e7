"""Publish ``kpis_v7.json``: validate the exact bytes, then write them with the safe writer.

The schema check runs on the serialised bytes, parsed back, not on the model or the dict: what is
validated is exactly what a reader will see. An invalid payload writes nothing, so the last good
file stays byte-identical, and the caller gets a failed ``WriteResult`` carrying the violations and
an error line ``FILE::$.json.path: message``. Bad payload content never raises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kpi_contract.errors import Violation
from kpi_contract.models import KpisV7
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.validation import validate_bytes, validate_document
from kpi_contract.writer import WriteResult, write_atomic


def publish_kpis(path: str | os.PathLike[str], kpis: KpisV7 | Mapping[str, object]) -> WriteResult:
    """Serialise, validate against the packaged schema, and only then durably write ``path``."""
    target = Path(path)
    if isinstance(kpis, KpisV7):
        doc: object = model_document(kpis)
    elif isinstance(kpis, Mapping):
        doc = dict(kpis)
    else:
        got = f"expected a KpisV7 model or a mapping, got {type(kpis).__name__}"
        return _rejected(target, [Violation("$", got)])
    try:
        data = dump_document(doc)
    except (ValueError, TypeError) as exc:
        # NaN, infinity or a non-JSON value: let the validator say where it is.
        return _rejected(target, validate_document(doc) or [Violation("$", f"not JSON: {exc}")])
    violations = validate_bytes(data)
    if violations:
        return _rejected(target, violations)
    return write_atomic(target, data)


def _rejected(target: Path, violations: list[Violation]) -> WriteResult:
    line = violations[0].render(str(target))
    if len(violations) > 1:
        line += f" (and {len(violations) - 1} more)"
    return WriteResult.failure(target, line, tuple(violations))
