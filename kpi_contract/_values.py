"""Reading raw snapshot values: the shared reading rules of SPEC.md sections 5 and 5a.

Every KPI rule is built from these few pieces, so "what counts as a number", "what counts as
present" and "which reason wins" are decided in exactly one place:

- a key is present when it exists and is not None; a container that is not a mapping holds no
  keys (``mapping``), so ``{"atr": "hot"}`` has no ``atr.atr_regime``: ``missing``;
- a number is an int or float that is not a bool, or a string ``float()`` parses after trimming;
  NaN, +-inf, unparseable strings and ints beyond float range are ``invalid`` (``number``);
- a label is a string, trimmed and lowercased, inside its vocabulary, else ``invalid``
  (``label_in``);
- when a chain of sources yields nothing, the reason is the first present source's failure
  (``invalid`` / ``out_of_range``), or ``missing`` when no source was present at all
  (``first_of``, ``first_ok``, ``readings_reason``).

A *reading* is what every reader here returns: the value itself, or the ``Reason`` it is null
(``Reading``). A value is never a ``Reason``, so ``type(r) is Reason`` tells them apart without
building a record per source read (issue 10: the builder reads a few hundred keys per payload).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias, TypeGuard


class Reason(StrEnum):
    """Why a KPI is null (the values of the schema's NullReason)."""

    MISSING = "missing"
    INVALID = "invalid"
    OUT_OF_RANGE = "out_of_range"


MISSING = Reason.MISSING
INVALID = Reason.INVALID
OUT_OF_RANGE = Reason.OUT_OF_RANGE

Reading: TypeAlias = Any
"""A KPI value (float, int, bool, str, tuple), or the ``Reason`` it is null."""

Parser: TypeAlias = Callable[[object], Reading]
"""Raw snapshot value -> reading (None, the absent key, is always ``missing``)."""

EMPTY: Mapping[Any, Any] = MappingProxyType({})


def is_mapping(raw: object) -> TypeGuard[Mapping[Any, Any]]:
    """True for a dict or any other ``Mapping`` (a snapshot may be a ``MappingProxyType``)."""
    return type(raw) is dict or isinstance(raw, Mapping)  # exact type first: an ABC check is slow


def mapping(raw: object) -> Mapping[Any, Any]:
    """``raw`` when it is a mapping, else an empty one: anything else holds no keys."""
    if type(raw) is dict:  # the exact-type check first: an ABC isinstance costs far more
        return raw
    return raw if isinstance(raw, Mapping) else EMPTY


def dig(raw: object, *keys: str) -> object:
    """``raw[k1][k2]...``, or None as soon as a level is absent or not a mapping.

    A source key is present only where its whole path exists: ``{"atr": "hot"}`` has no
    ``atr.atr_regime``, so a KPI read from there is ``missing``, not ``invalid``.
    """
    node: object = raw
    for key in keys:
        node = mapping(node).get(key)
    return node


def items_of(raw: object) -> list[object]:
    """The entries of a collection: a list's items or a mapping's values; else nothing."""
    if type(raw) is list:
        return raw
    if is_mapping(raw):
        return list(raw.values())
    if isinstance(raw, list | tuple):
        return list(raw)
    return []


# --- parsers: raw value -> reading -------------------------------------------------------------

#: The largest sample count written: 2**53 - 1, the largest integer every JSON consumer reads
#: exactly (JavaScript's ``Number.MAX_SAFE_INTEGER``); the schema's ``maximum`` for every count.
MAX_COUNT = 9_007_199_254_740_991


def number(raw: object) -> Reading:
    """A finite float from an int, a float or a numeric string (never from a bool)."""
    if type(raw) is float:  # the common cases, checked first
        return raw if math.isfinite(raw) else INVALID
    if type(raw) is int:
        try:
            return float(raw)  # finite, or OverflowError
        except OverflowError:
            return INVALID
    if raw is None:
        return MISSING
    if isinstance(raw, bool):
        return INVALID
    if isinstance(raw, int):
        try:
            value = float(raw)
        except OverflowError:
            return INVALID
    elif isinstance(raw, float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return INVALID
    else:
        return INVALID
    return value if math.isfinite(value) else INVALID


def in_range(reading: Reading, low: float | None = None, high: float | None = None) -> Reading:
    """The reading unchanged when it is null or its value lies in ``[low, high]``; else
    ``out_of_range``."""
    if type(reading) is Reason:
        return reading
    if (low is not None and reading < low) or (high is not None and reading > high):
        return OUT_OF_RANGE
    return reading


def non_negative(raw: object) -> Reading:
    """A number >= 0."""
    if type(raw) is float and 0.0 <= raw < math.inf:  # the common cases: nothing to convert
        return raw
    if type(raw) is int and 0 <= raw <= MAX_COUNT:
        return float(raw)
    if raw is None:
        return MISSING
    value = number(raw)
    return OUT_OF_RANGE if type(value) is float and value < 0.0 else value


def fraction(raw: object) -> Reading:
    """A number in [0, 1] (range-checked, never rescaled)."""
    if type(raw) is float and 0.0 <= raw <= 1.0:  # the common cases: nothing to convert
        return raw
    if raw is None:
        return MISSING
    value = number(raw)
    return OUT_OF_RANGE if type(value) is float and not 0.0 <= value <= 1.0 else value


def boolean(raw: object) -> Reading:
    """Only a real bool is a value; ``"true"`` or ``1`` are invalid."""
    if raw is True or raw is False:
        return raw
    return MISSING if raw is None else INVALID


def label_in(vocabulary: Iterable[str]) -> Parser:
    """A parser for labels: trimmed, lowercased, and inside ``vocabulary``."""
    allowed = frozenset(vocabulary)

    def label(raw: object) -> Reading:
        if raw is None:
            return MISSING
        if not isinstance(raw, str):
            return INVALID
        text = raw.strip().lower()
        return text if text in allowed else INVALID

    return label


def sample_count(raw: object) -> Reading:
    """A count of observations as an int: a number (the SPEC 5 rule, numeric strings included)
    that is whole and in ``[0, MAX_COUNT]``. Negative or above the maximum: ``out_of_range``;
    a fraction (``40.5``): ``invalid``, since no count of fills, orders or trades has one."""
    if type(raw) is int and 0 <= raw <= MAX_COUNT:  # the common case, checked first
        return raw
    value = number(raw)
    if type(value) is Reason:
        return value
    if value < 0:
        return OUT_OF_RANGE
    if not value.is_integer():
        return INVALID
    if value > MAX_COUNT:
        return OUT_OF_RANGE
    return int(value)


# --- times -------------------------------------------------------------------------------------

#: 2000-01-01T00:00:00Z. An epoch time before it is no reading at all: ``0.0`` is a common
#: "never" sentinel, and a time in the wrong unit that slips past the magnitude rule lands here.
EARLIEST_PLAUSIBLE_EPOCH_S = 946_684_800.0

#: Epoch numbers are read by magnitude (SPEC 5a, issue 7): ``(upper bound, divisor)`` for
#: seconds, milliseconds and microseconds; anything larger is nanoseconds. Each bound is about
#: 3,000 years past 2000 in the smaller unit and in 1973 in the larger one, so every time from 2000
#: to year 5000 reads correctly in every unit, and a unit mix-up is implausible (before 2000 or in
#: the future), never a silently wrong age.
_EPOCH_UNITS = ((1e11, 1), (1e14, 1_000), (1e17, 1_000_000))
_EPOCH_NS_DIVISOR = 1_000_000_000

#: What ``_epoch_number`` returns for a string that is no number (it may still be ISO 8601).
_NOT_A_NUMBER: Any = object()


def epoch(raw: object) -> Reading:
    """Epoch seconds (float) from an epoch number or numeric string in s, ms, µs or ns, or ISO 8601.

    The unit of a number is read by its magnitude (``_EPOCH_UNITS``). A time before 2000-01-01
    is ``invalid`` (SPEC 5a); the upper bound depends on ``now_ts`` and is the caller's check.
    A naive ISO time is UTC: the executor writes UTC, and reading it as local time shifted ages
    by the machine's offset in the previous implementation.
    """
    if raw is None:
        return MISSING
    value = _epoch_number(raw)
    if value is None:
        return INVALID
    if value is _NOT_A_NUMBER:
        return _iso_time(raw)
    divisor = _EPOCH_NS_DIVISOR
    for bound, unit_divisor in _EPOCH_UNITS:
        if value < bound:
            divisor = unit_divisor
            break
    try:
        # int / int is correctly rounded, so an integer ns stamp loses nothing before the division.
        seconds = value / divisor
    except OverflowError:
        return INVALID
    return _plausible(seconds)


def _epoch_number(raw: object) -> Any:
    """An exact int or a finite float; None for an unusable number; ``_NOT_A_NUMBER`` for a
    string that is no number at all (it may still be an ISO time)."""
    if type(raw) is float:
        return raw if math.isfinite(raw) else None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, float):
        return float(raw) if math.isfinite(raw) else None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    try:
        return int(text)  # exact: float() would round a nanosecond stamp first
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return _NOT_A_NUMBER
    return value if math.isfinite(value) else None


def _iso_time(raw: object) -> Reading:
    if not isinstance(raw, str):
        return INVALID
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return INVALID
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return _plausible(moment.timestamp())
    except (OverflowError, ValueError, OSError):
        return INVALID


def _plausible(seconds: float) -> Reading:
    if not math.isfinite(seconds) or seconds < EARLIEST_PLAUSIBLE_EPOCH_S:
        return INVALID
    return seconds


# --- chains and aggregates ---------------------------------------------------------------------


def first_ok(*readings: Reading) -> Reading:
    """The first reading with a value; else the first present source's reason (else missing)."""
    reason = MISSING
    for reading in readings:
        if type(reading) is not Reason:
            return reading
        if reason is MISSING:
            reason = reading
    return reason


def first_of(source: Mapping[Any, Any], keys: Iterable[str], parse: Parser) -> Reading:
    """An alias chain: the first of ``source[key]`` for ``keys`` that ``parse`` accepts, else
    the first present alias's reason. ``source`` is a ``mapping``."""
    reason = MISSING
    for key in keys:
        raw = source.get(key)
        if raw is None:
            continue  # absent: every parser reads None as ``missing``, which changes nothing
        reading = parse(raw)
        if type(reading) is not Reason:
            return reading
        if reason is MISSING:
            reason = reading
    return reason


def values_of(readings: list[Reading]) -> list[Any]:
    """The values among ``readings`` (nulls are skipped, never counted as 0)."""
    return [r for r in readings if type(r) is not Reason]


def readings_reason(readings: Iterable[Reading]) -> Reason:
    """Why a list of readings gave no value: its first ``invalid`` / ``out_of_range``, else
    ``missing`` (also for no readings at all)."""
    for reading in readings:
        if type(reading) is Reason and reading is not MISSING:
            return reading
    return MISSING


def clamp(value: float, low: float | None, high: float | None) -> float:
    """Pin float rounding noise back into the range a mean of in-range values lies in."""
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def mean(values: list[float], low: float | None = None, high: float | None = None) -> Reading:
    """Unweighted mean of ``values`` (at least one), pinned into ``[low, high]``; ``invalid``
    when it is not finite."""
    count = len(values)
    # Dividing first keeps the sum of huge finite values finite.
    result = math.fsum([v / count for v in values])
    if not math.isfinite(result):
        return INVALID
    return clamp(result, low, high) if low is not None or high is not None else result


def sum_counts(counts: Iterable[Reading]) -> Reading:
    """The total of counts that all hold values; a partial sum is never a count.

    One unusable count makes the total null: the first ``invalid`` / ``out_of_range`` reason
    among them, else ``missing``. No counts at all is ``missing``. A total above ``MAX_COUNT``
    is ``out_of_range``.
    """
    total = 0
    seen = False
    reason: Reason | None = None
    for count in counts:
        seen = True
        if type(count) is not Reason:
            total += count
        elif reason is None or reason is MISSING:
            reason = count
    if reason is not None:
        return reason
    if not seen:
        return MISSING
    return total if total <= MAX_COUNT else OUT_OF_RANGE


def derived_with_count(top_level: Reason, derived: Reading, count: Reading
                       ) -> tuple[Reading, Reading]:
    """A KPI whose top-level source failed (``top_level``, its reason), read from a derived
    source instead, with the sample count behind it: the count is published only beside a
    derived value (a null KPI has a ``missing`` count); with no value either, the reason is the
    first present source's (``first_ok``)."""
    value = first_ok(top_level, derived)
    return value, (count if type(value) is not Reason else MISSING)


def pair_failure(first: Reading, second: Reading) -> Reason:
    """Why a pair of counts that must come together is unusable: both absent is ``missing``;
    otherwise the first present failure, and one count without the other is ``invalid``."""
    if first is MISSING and second is MISSING:
        return Reason.MISSING
    for reading in (first, second):
        if isinstance(reading, Reason) and reading is not MISSING:
            return reading
    return INVALID
