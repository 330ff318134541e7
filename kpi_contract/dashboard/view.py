"""The dashboard's view model, free of any UI framework: KPI cards and the panel's state.

``kpi_cards(source)`` turns a reading (``read_kpis``), a model or a document into one
``KpiCard`` per KPI leaf, in schema order (``fields.schema_fields``). ``panel_state(path,
now_ts=...)`` reads the mirrored file and says what the panel must show: the cards, how old the
file is, and, when there is nothing to show, why (missing, unreadable, torn, invalid, another
major version, the legacy flat file). Both are plain data: the Streamlit panel
(``kpi_contract.dashboard.panel``) only draws them, and a team on another framework can draw them
too.

Honesty rules (issue 8): a null KPI is ``no_data`` and its text is ``no data: <reason>``, never a
default value; the reason is the payload's own ``nulls`` entry (a ``risk.dd_state`` entry for both
of its children). Two reasons are the panel's own:

- ``not in 7.0.0``: the payload is of an X.0.0 version and the field is one a later minor added
  (optional in the schema: see ``fields``). ``read_kpis`` lists such an absent field in ``nulls``
  as ``missing`` (every null in a reading has its reason); the panel says more precisely that
  the payload's version has no such field. For a payload of a later minor (7.1.x lacking a 7.2
  field) the schema alone cannot tell, and the reader's ``missing`` is shown.
- ``not published``: a null that ``nulls`` does not explain (a raw document, not a reading).

Issue 9 (7.1.0): a ratio's sample count is shown on the ratio's card (``KpiCard.sample``: "55.00%
over 1,250 fills"), and ``run_mode`` is the panel's header item (``PanelState.run_mode``, see
``run_mode``). The wall clock is never read: staleness is measured against the ``now_ts`` the
caller passes.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, Literal

from kpi_contract import jsonio
from kpi_contract.dashboard.fields import FieldSpec, schema_fields
from kpi_contract.dashboard.formatting import format_age, format_value
from kpi_contract.dashboard.run_mode import RUN_MODE_PATH, RunModeView, run_mode_view
from kpi_contract.dashboard.status_rules import STATUSES, Status, status_of, worst
from kpi_contract.errors import (
    DocumentInvalidError,
    KpiContractError,
    LegacyFormatError,
    StateFileError,
    UnsupportedVersionError,
)
from kpi_contract.jsonio import JsonInputError
from kpi_contract.models import KpisV7
from kpi_contract.reader import DEFAULT_MAX_AGE_S, KpiReading, is_stale, reading_from_bytes
from kpi_contract.schema import load_schema, parse_version
from kpi_contract.staleness import check_clock, check_positive_seconds

KPI_FILENAME = "kpis_v7.json"
NOT_PUBLISHED = "not published"
# The raw document shown in the panel's expander is cut here (a state file is about 600 bytes).
MAX_RAW_CHARS = 100_000

Condition = Literal[
    "ok", "stale", "missing", "unreadable", "torn", "invalid", "unsupported_version", "legacy"
]


@dataclass(frozen=True)
class SampleCount:
    """The number of observations behind a ratio or mean (kpis_v7 7.1.0, issue 9).

    ``path``: its dotted path (a ``nulls`` key); ``label``: ``Fill count``; ``value``: the count
    (an int >= 0) or None; ``text``: ``1,250 fills`` or ``no data: <reason>``; ``reason``: the null
    reason, else None; ``unit``: the schema's ``x-unit`` (``fills``, ``orders``, ``trades``);
    ``help``: the schema's description.
    """

    path: str
    label: str
    value: object
    text: str
    reason: str | None
    unit: str | None
    help: str

    @property
    def caption(self) -> str:
        """What the ratio's card says under its value: ``over 1,250 fills``, or
        ``Fill count: no data: missing``."""
        return f"over {self.text}" if self.reason is None else f"{self.label}: {self.text}"


@dataclass(frozen=True)
class KpiCard:
    """One KPI as the panel shows it.

    ``path``: the dotted path used in ``nulls``; ``label``: for people; ``section``: the first part
    of the path (``nav``, ``risk``, ...); ``value``: the raw JSON value (None when null); ``text``:
    the value with its unit, or ``no data: <reason>``; ``status``: ``ok``, ``warn``,
    ``critical`` or ``no_data``; ``reason``: the null reason, else None; ``unit``: the schema's
    ``x-unit``; ``help``: the schema's description; ``sample``: the count of observations behind
    the value when the schema has one for this KPI (7.1.0), else None.
    """

    path: str
    label: str
    section: str
    value: object
    text: str
    status: Status
    reason: str | None
    unit: str | None
    help: str
    sample: SampleCount | None = None


@dataclass(frozen=True)
class ContextField:
    """A non-KPI leaf of the payload shown in the panel header (e.g. ``run_mode``).

    ``text`` is the value, or ``no data: <reason>`` when it is null (``reason`` then says why).
    """

    path: str
    label: str
    value: object
    text: str
    reason: str | None = None


@dataclass(frozen=True)
class PanelState:
    """Everything the panel shows for one read of the KPI file.

    ``condition``: ``ok`` or ``stale`` when the file was read (cards present), else why not:
    ``missing`` (no file), ``unreadable`` (permissions, a directory), ``torn`` (not a complete JSON
    document: a partial or corrupt write), ``invalid`` (schema violations, in ``errors``),
    ``unsupported_version`` (a major other than 7), ``legacy`` (the pre-contract flat file).
    ``message``: one line for the banner. ``age_s``: ``now_ts - ts`` in seconds; ``stale``:
    ``age_s > max_age_s``. ``raw_text``: the file as read (for the raw-document expander), None
    when there is no file. ``status``: the most urgent card status, or ``critical`` when there
    are no cards. ``run_mode``: the header's run mode (None when the file was not read);
    ``context``: every context field, ``run_mode`` included.
    """

    path: str
    condition: Condition
    message: str
    cards: tuple[KpiCard, ...] = ()
    context: tuple[ContextField, ...] = ()
    run_mode: RunModeView | None = None
    schema_version: str | None = None
    ts: str | None = None
    age_s: float | None = None
    stale: bool | None = None
    max_age_s: float = DEFAULT_MAX_AGE_S
    errors: tuple[str, ...] = ()
    raw_text: str | None = None
    status_counts: Mapping[Status, int] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        """True when the file was read and the cards describe it."""
        return self.condition in ("ok", "stale")

    @property
    def status(self) -> Status:
        """The most urgent card status; ``critical`` when nothing could be shown."""
        if not self.readable:
            return "critical"
        return worst([card.status for card in self.cards])

    @property
    def age_text(self) -> str | None:
        """``age_s`` for people (``12 s``, ``5 min 3 s``), or None."""
        return None if self.age_s is None else format_age(self.age_s)


def kpi_cards(
    source: KpiReading | KpisV7 | Mapping[str, Any],
    *,
    schema: Mapping[str, Any] | None = None,
) -> tuple[KpiCard, ...]:
    """One card per KPI leaf of ``schema`` (default: the packaged one), in schema order.

    ``source`` is a ``read_kpis`` reading, a model, or a parsed document that has already been
    validated (the values are taken as they are; a missing member reads as null).
    """
    document = _document(source)
    fields = schema_fields(schema if schema is not None else load_schema())
    return tuple(_card(spec, fields.samples.get(spec.path), document) for spec in fields.kpis)


def context_fields(
    source: KpiReading | KpisV7 | Mapping[str, Any],
    *,
    schema: Mapping[str, Any] | None = None,
) -> tuple[ContextField, ...]:
    """The schema's context leaves (top-level ones such as ``run_mode``, and any outside
    ``nulls``; never ``schema_version``, ``ts`` or ``nulls``) with their values or null reasons."""
    document = _document(source)
    fields = schema_fields(schema if schema is not None else load_schema())
    out = []
    for spec in fields.context:
        value = _value_at(document, spec.path)
        if value is None:
            reason = _null_reason(spec, document)
            out.append(ContextField(spec.path, spec.label, None, _no_data(reason), reason))
        else:
            out.append(ContextField(spec.path, spec.label, value,
                                    format_value(value, spec.unit)))
    return tuple(out)


def run_mode_of(context: tuple[ContextField, ...]) -> RunModeView:
    """The header's run mode from ``context_fields`` (unknown when the schema has none)."""
    for item in context:
        if item.path == RUN_MODE_PATH:
            return run_mode_view(item.value, item.reason)
    return run_mode_view(None, NOT_PUBLISHED)


def panel_state(
    source: str | os.PathLike[str] | KpiReading,
    *,
    now_ts: float | None = None,
    max_age_s: float = DEFAULT_MAX_AGE_S,
    name: str | None = None,
) -> PanelState:
    """Read ``source`` (a ``kpis_v7.json`` path, or a directory holding one, or a reading) and
    describe the panel. Never raises for a bad file: the condition says what is wrong.

    With a path, ``now_ts`` (epoch seconds, the caller's clock) gives the age and staleness;
    without it both are None. A reading keeps its own age unless ``now_ts`` is given; ``name``
    says where it came from in the messages (e.g. its ``s3://`` URL; default ``(reading)``).
    ValueError, raised, for a ``now_ts`` or a ``max_age_s`` (seconds, finite, > 0) that
    ``kpi_contract.staleness`` refuses: a caller's bug, which must not read as fresh.
    """
    now_ts = check_clock(now_ts)
    max_age_s = check_positive_seconds(max_age_s)
    if isinstance(source, KpiReading):
        dumped = json.dumps(source.kpis.model_dump(mode="json"), indent=2)
        return _from_reading(source, name or "(reading)", dumped, now_ts, max_age_s)
    path = _kpi_path(source)
    outcome, raw = _read_consistently(path, now_ts, max_age_s)
    raw_text = None if raw is None else _display_text(raw)
    if isinstance(outcome, KpiReading):
        return _from_reading(outcome, str(path), raw_text, now_ts, max_age_s)
    return _failure(str(path), outcome, raw_text, max_age_s)


def _kpi_path(source: str | os.PathLike[str]) -> Path:
    path = Path(source)
    return path / KPI_FILENAME if path.is_dir() else path


def _read_consistently(
    path: Path, now_ts: float | None, max_age_s: float
) -> tuple[KpiReading | KpiContractError, bytes | None]:
    """The reading and the exact bytes it came from: the file is read once, through the
    package's one bounded, non-blocking JSON file reader (``jsonio``)."""
    try:
        raw = jsonio.read_bytes(path)
    except KpiContractError as exc:
        return exc, None
    try:
        return reading_from_bytes(raw, name=str(path), now_ts=now_ts, max_age_s=max_age_s), raw
    except KpiContractError as exc:
        return exc, raw


def _display_text(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    if len(text) > MAX_RAW_CHARS:
        return text[:MAX_RAW_CHARS] + f"\n... ({len(text) - MAX_RAW_CHARS} more characters)"
    return text


def _from_reading(
    reading: KpiReading, path: str, raw_text: str | None, now_ts: float | None,
    max_age_s: float,
) -> PanelState:
    ts = reading.kpis.ts
    if now_ts is not None:
        age_s: float | None = now_ts - ts.timestamp()
        stale: bool | None = is_stale(now_ts - ts.timestamp(), max_age_s)
    else:
        age_s, stale = reading.age_s, reading.stale
    cards = kpi_cards(reading)
    context = context_fields(reading)
    counts = {status: sum(card.status == status for card in cards) for status in STATUSES}
    ts_text = ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if stale and age_s is not None and age_s < 0:
        condition: Condition = "stale"
        message = (f"Stale: {path} is stamped {format_age(-age_s)} in the future "
                   f"(at {ts_text}): the executor host's clock is wrong; its figures are not "
                   "current.")
    elif stale:
        condition = "stale"
        message = (f"Stale: {path} was last published {format_age(age_s or 0.0)} ago "
                   f"(at {ts_text}); the limit is {format_age(max_age_s)}. Is the executor "
                   "or the mirror running?")
    else:
        condition = "ok"
        age = "" if age_s is None else f", {format_age(age_s)} ago"
        message = f"kpis_v7 {reading.schema_version} published at {ts_text}{age}"
    return PanelState(
        path=path, condition=condition, message=message, cards=cards,
        context=context, run_mode=run_mode_of(context), schema_version=reading.schema_version,
        ts=ts.astimezone(UTC).isoformat().replace("+00:00", "Z"), age_s=age_s, stale=stale,
        max_age_s=max_age_s, raw_text=raw_text, status_counts=counts,
    )


def _failure(
    path: str, error: KpiContractError, raw_text: str | None, max_age_s: float
) -> PanelState:
    condition: Condition
    errors: tuple[str, ...] = ()
    if isinstance(error, LegacyFormatError):
        condition = "legacy"
        message = (f"{path} is the pre-contract flat KPI file (top-level "
                   f"{', '.join(error.legacy_keys)}), not kpis_v7: the dashboard needs the "
                   "mirrored kpis_v7.json (docs/dashboard-migration.md)")
    elif isinstance(error, UnsupportedVersionError):
        condition = "unsupported_version"
        message = (f"{path} declares schema version {error.version!r}; this panel reads major 7 "
                   "only. A new major is a new contract: upgrade kpi-contract.")
    elif isinstance(error, DocumentInvalidError):
        condition = "invalid"
        errors = tuple(v.render(path) for v in error.violations)
        message = (f"{path} is not a valid kpis_v7 document ({len(errors)} problem"
                   f"{'s' if len(errors) != 1 else ''}); nothing from it is shown")
    elif isinstance(error, StateFileError):
        condition, message = _file_problem(path, error)
    else:  # any other contract error: say so rather than guess
        condition, message = "invalid", str(error)
    return PanelState(path=path, condition=condition, message=message, errors=errors,
                      max_age_s=max_age_s, raw_text=raw_text)


def _file_problem(path: str, error: StateFileError) -> tuple[Condition, str]:
    """Missing, unreadable or torn, told apart by the ``kind`` of the reader's error."""
    kind = error.kind if isinstance(error, JsonInputError) else "not_json"
    reason = error.reason if isinstance(error, JsonInputError) else str(error)
    if kind == "missing":
        return "missing", (f"No KPI file at {path}: has the executor published, and is the "
                           "mirror running?")
    if kind in ("unreadable", "not_a_file", "too_large"):
        return "unreadable", f"{path} cannot be read: {reason}"
    return "torn", (f"{path} is not a complete JSON document (a torn or corrupt write?): "
                    f"{reason}")


def _document(source: KpiReading | KpisV7 | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, KpiReading):
        source = source.kpis
    if isinstance(source, KpisV7):
        dumped: dict[str, Any] = source.model_dump(mode="json")
        return dumped
    return source


def _card(
    spec: FieldSpec, sample_spec: FieldSpec | None, document: Mapping[str, Any]
) -> KpiCard:
    sample = None if sample_spec is None else _sample(sample_spec, document)
    value = _value_at(document, spec.path)
    if _is_null(value):
        reason = _null_reason(spec, document)
        return KpiCard(spec.path, spec.label, spec.section, None, _no_data(reason),
                       "no_data", reason, spec.unit, spec.description, sample)
    return KpiCard(spec.path, spec.label, spec.section, value, format_value(value, spec.unit),
                   status_of(spec.path, value), None, spec.unit, spec.description, sample)


def _sample(spec: FieldSpec, document: Mapping[str, Any]) -> SampleCount:
    value = _value_at(document, spec.path)
    if _is_null(value):
        reason = _null_reason(spec, document)
        return SampleCount(spec.path, spec.label, None, _no_data(reason), reason, spec.unit,
                           spec.description)
    return SampleCount(spec.path, spec.label, value, format_value(value, spec.unit), None,
                       spec.unit, spec.description)


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _no_data(reason: str) -> str:
    return f"no data: {reason.replace('_', ' ')}"


def _null_reason(spec: FieldSpec, document: Mapping[str, Any]) -> str:
    """Why ``spec``'s leaf is null in ``document``: ``not in X.0.0`` when the payload's version
    predates the field, else the ``nulls`` reason for the leaf or for the nearest listed parent
    (``risk.dd_state``), else ``not published``."""
    older = None if spec.required else _first_minor_version(document)
    if older is not None:
        return f"not in {older}"
    nulls = document.get("nulls")
    reasons: Mapping[str, Any] = nulls if isinstance(nulls, Mapping) else {}
    parts = spec.path.split(".")
    for end in range(len(parts), 0, -1):
        reason = reasons.get(".".join(parts[:end]))
        if isinstance(reason, str):
            return reason
    return NOT_PUBLISHED


def _first_minor_version(document: Mapping[str, Any]) -> str | None:
    """The payload's ``schema_version`` when it is an X.0.y version (which had only the fields
    the schema requires), else None."""
    version = document.get("schema_version")
    if not isinstance(version, str):
        return None
    try:
        _major, minor, _patch = parse_version(version)
    except ValueError:
        return None
    return version if minor == 0 else None


def _value_at(document: Mapping[str, Any], path: str) -> object:
    node: object = document
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node
