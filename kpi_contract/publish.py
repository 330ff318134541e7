"""Publish ``kpis_v7.json``: validate the exact bytes, then write them with the safe writer.

The schema check runs on the serialised bytes, parsed back, not on the model or the dict: what is
validated is exactly what a reader will see. An invalid payload writes nothing, so the last good
file stays byte-identical, and the caller gets a failed ``WriteResult`` carrying the violations and
an error line ``FILE::$.json.path: message``. Bad payload content never raises, nor does an
OSError or a path that cannot name a file (README: the executor never dies of publishing).

A model takes the fast route first (``kpi_contract.fast_route``: the same bytes, the same verdict,
in one parse); anything that route cannot vouch for takes the general one below, which decides.
The general route judges the values a model holds (``serialize.model_document``), not a
converted stand-in: a model whose validation was skipped (``model_copy(update=...)``,
``model_construct``) and holds ``True`` where the schema says number, an int beyond double range,
or a ``ts`` string is refused with the violation's path, never an exception (``True`` in a sample
count is written ``1``, as the model's own lax ``int`` stores it: README, "Using it").
The validation machinery (the compiled schema, the strict JSON reader, the package rules) is
loaded on the first publish, not on import: importing ``publish_kpis`` stays cheap for the
executor's start-up (issue 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kpi_contract import fast_route
from kpi_contract.errors import Violation, clip
from kpi_contract.models import KpisV7
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.validation import validate_bytes, validate_document
from kpi_contract.writer import PathArgument, WriteResult, target_path, write_atomic


def publish_kpis(
    path: PathArgument,
    kpis: KpisV7 | Mapping[str, object],
    *,
    dir_fd: int | None = None,
) -> WriteResult:
    """Serialise, validate (``validation.validate_bytes``, the one definition of a valid document
    that ``validate``, the mirror and ``read_kpis`` share), and only then durably write ``path``.

    ``dir_fd``: write relative to that open directory (``write_atomic``). A ``path`` that is a
    symbolic link is refused (nothing written, the result says so): the operator's link is never
    replaced by a plain file while its target goes stale. ``path``: str, bytes or os.PathLike
    (``writer.target_path``); anything else, or a path the file system cannot take (a NUL byte),
    is a failed result naming it. Never raises on the payload's content, the path or an OSError.
    """
    target = target_path(path)
    if isinstance(target, WriteResult):
        return target
    data, violations = encode_kpis(kpis)
    if data is None:
        return _rejected(target, violations)
    return write_atomic(target, data, dir_fd=dir_fd)


def encode_kpis(kpis: object) -> tuple[bytes | None, list[Violation]]:
    """The exact bytes ``publish_kpis`` writes for ``kpis`` (and no violations), or None and
    every violation. Never raises on the payload's content."""
    if isinstance(kpis, KpisV7):
        fast = fast_route.model_bytes_if_valid(kpis)
        if fast is not None:
            return fast, []
        try:
            doc: object = model_document(kpis)
        except (ValueError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
            # A bypassed model pydantic cannot even dump (a circular value, say): say so.
            return None, [Violation("$", f"cannot read the model's values: {clip(str(exc))}")]
    elif isinstance(kpis, Mapping):
        doc = dict(kpis)
    else:
        got = f"expected a KpisV7 model or a mapping, got {type(kpis).__name__}"
        return None, [Violation("$", got)]
    try:
        data = dump_document(doc)
    except (ValueError, TypeError, RecursionError) as exc:
        # NaN, infinity, a non-JSON value, nesting too deep: let the validator say where it is.
        why = "nested too deeply" if isinstance(exc, RecursionError) else f"not JSON: {exc}"
        return None, validate_document(doc) or [Violation("$", why)]
    violations = validate_bytes(data)
    if violations and violations[0].json_path == "$":
        # A strict-JSON refusal of the bytes (an int beyond double range) is at ``$``; the
        # document says at which field, when it can.
        violations = validate_document(doc) or violations
    return (None, violations) if violations else (data, [])


def _rejected(target: Path, violations: list[Violation]) -> WriteResult:
    line = violations[0].render(str(target))
    if len(violations) > 1:
        line += f" (and {len(violations) - 1} more)"
    return WriteResult.failure(target, line, tuple(violations))
