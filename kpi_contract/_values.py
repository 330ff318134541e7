"""Reading raw snapshot values into KPI outcomes: a value, or a null with its reason.

Every rule of SPEC.md section 5 is built from these few pieces, so "what counts as a number",
"what counts as present" and "which reason wins" are decided in exactly one place:

- a key is present when it exists and is not None;
- a number is an int or float that is not a bool, or a string ``float()`` parses after trimming;
  NaN, +-inf, unparseable strings and ints beyond float range are ``invalid``;
- a label is a string, trimmed and lowercased, inside its vocabulary, else ``invalid``;
- when a chain of sources yields nothing, the reason is the first present source's failure
  (``invalid`` / ``out_of_range``), or ``missing`` when no source was present at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple


class Reason(StrEnum):
    """Why a KPI is null (the values of the schema's NullReason)."""

    MISSING = "missing"
    INVALID = "invalid"
    OUT_OF_RANGE = "out_of_range"


class Outcome(NamedTuple):
    """A KPI value, or ``None`` with the reason it is null.

    A named tuple rather than a dataclass: the builder makes about sixty of these per payload
    and tuple construction is the cheapest immutable record Python has.
    """

    value: Any = None
    reason: Reason | None = None

    @property
    def ok(self) -> bool:
        """True when this outcome carries a value."""
        return self.reason is None


class Sampled(NamedTuple):
    """A ratio or mean and the count of observations behind it (issue 9, schema 7.1.0).

    ``sample_count`` holds an int only when ``value`` does and its source says how many observations
    produced it; otherwise it is null with its reason (``missing`` when there is no value or the
    source carries no count). A count is read from the source, never derived from the ratio.
    """

    value: Outcome
    sample_count: Outcome


MISSING = Outcome(reason=Reason.MISSING)
INVALID = Outcome(reason=Reason.INVALID)
OUT_OF_RANGE = Outcome(reason=Reason.OUT_OF_RANGE)

#: An outcome holding a value: ``found(4093.43)``.
found = Outcome


def _is_mapping(raw: object) -> bool:
    # The exact-type check first: an ABC isinstance costs more than the rest of a lookup.
    return type(raw) is dict or isinstance(raw, Mapping)


def as_mapping(raw: object) -> Mapping[Any, Any] | None:
    """The object itself when it is a mapping; anything else counts as no data."""
    return raw if _is_mapping(raw) else None  # type: ignore[return-value]


def dig(raw: object, *keys: str) -> object:
    """``raw[k1][k2]...``, or None as soon as a level is absent or not a mapping.

    A source key is present only where its whole path exists: ``{"atr": "hot"}`` has no
    ``atr.atr_regime``, so a KPI read from there is ``missing``, not ``invalid``.
    """
    node: Any = raw
    for key in keys:
        if type(node) is not dict and not isinstance(node, Mapping):  # exact type first: cheap
            return None
        node = node.get(key)
    return node


def items_of(raw: object) -> list[object]:
    """The entries of a collection: a list's items or a mapping's values; else nothing."""
    if type(raw) is list:
        return raw
    if _is_mapping(raw):
        return list(raw.values())  # type: ignore[attr-defined]
    if isinstance(raw, list | tuple):
        return list(raw)
    return []


def parse_number(raw: object) -> Outcome:
    """A finite float from an int, a float or a numeric string (never from a bool)."""
    if type(raw) is float:  # the common case, checked first
        return Outcome(raw) if math.isfinite(raw) else INVALID
    if raw is None:
        return MISSING
    if isinstance(raw, bool):
        return INVALID
    if isinstance(raw, int):
        try:
            number = float(raw)
        except OverflowError:
            return INVALID
    elif isinstance(raw, float):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip())
        except ValueError:
            return INVALID
    else:
        return INVALID
    return found(number) if math.isfinite(number) else INVALID


def in_range(outcome: Outcome, low: float | None = None, high: float | None = None) -> Outcome:
    """The outcome unchanged when its value lies in ``[low, high]``; else ``out_of_range``."""
    if not outcome.ok:
        return outcome
    value = outcome.value
    if (low is not None and value < low) or (high is not None and value > high):
        return OUT_OF_RANGE
    return outcome


def number_in(low: float | None = None, high: float | None = None) -> Callable[[object], Outcome]:
    """A parser for numbers restricted to ``[low, high]``."""

    def parse(raw: object) -> Outcome:
        return in_range(parse_number(raw), low, high)

    return parse


parse_non_negative = number_in(low=0.0)
parse_fraction = number_in(0.0, 1.0)


def parse_bool(raw: object) -> Outcome:
    """Only a real bool is a value; ``"true"`` or ``1`` are invalid."""
    if raw is None:
        return MISSING
    return found(raw) if isinstance(raw, bool) else INVALID


def label_in(vocabulary: Iterable[str]) -> Callable[[object], Outcome]:
    """A parser for labels: trimmed, lowercased, and inside ``vocabulary``."""
    allowed = frozenset(vocabulary)

    def parse(raw: object) -> Outcome:
        if raw is None:
            return MISSING
        if not isinstance(raw, str):
            return INVALID
        label = raw.strip().lower()
        return found(label) if label in allowed else INVALID

    return parse


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


def parse_epoch(raw: object) -> Outcome:
    """Epoch seconds (float) from an epoch number or numeric string in s, ms, µs or ns, or ISO 8601.

    The unit of a number is read by its magnitude (``_EPOCH_UNITS``). A time before 2000-01-01
    is ``invalid`` (SPEC 5a); the upper bound depends on ``now_ts`` and is the caller's check.
    A naive ISO time is UTC: the executor writes UTC, and reading it as local time shifted ages
    by the machine's offset in the previous implementation.
    """
    if raw is None:
        return MISSING
    number = _epoch_number(raw)
    if number is None:
        return INVALID
    if number is _NOT_A_NUMBER:
        return _parse_iso_time(raw)
    divisor = _EPOCH_NS_DIVISOR
    for bound, unit_divisor in _EPOCH_UNITS:
        if number < bound:
            divisor = unit_divisor
            break
    try:
        # int / int is correctly rounded, so an integer ns stamp loses nothing before the division.
        seconds = number / divisor
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
        number = float(text)
    except ValueError:
        return _NOT_A_NUMBER
    return number if math.isfinite(number) else None


def _parse_iso_time(raw: object) -> Outcome:
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


def _plausible(seconds: float) -> Outcome:
    if not math.isfinite(seconds) or seconds < EARLIEST_PLAUSIBLE_EPOCH_S:
        return INVALID
    return found(seconds)


def first_ok(outcomes: Iterable[Outcome]) -> Outcome:
    """The first outcome with a value; else null with the first present source's reason.

    ``outcomes`` is consumed lazily, so later sources are not even read once one succeeds.
    """
    reason = Reason.MISSING
    for outcome in outcomes:
        if outcome.ok:
            return outcome
        if reason is Reason.MISSING and outcome.reason is not None:
            reason = outcome.reason
    return Outcome(reason=reason)


def first_valid(
    source: object, keys: Iterable[str], parse: Callable[[object], Outcome]
) -> Outcome:
    """The first of ``source[key]`` for ``keys`` that ``parse`` accepts (an alias chain)."""
    return first_ok(parse(dig(source, key)) for key in keys)


def valid_values(outcomes: Iterable[Outcome]) -> tuple[list[Any], Reason]:
    """The values among ``outcomes``, and the reason to report if there are none."""
    values: list[Any] = []
    reason = Reason.MISSING
    for outcome in outcomes:
        if outcome.ok:
            values.append(outcome.value)
        elif reason is Reason.MISSING and outcome.reason is not None:
            reason = outcome.reason
    return values, reason


def clamp(value: float, low: float | None, high: float | None) -> float:
    """Pin float rounding noise back into the range a mean of in-range values lies in."""
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value


def mean_of(
    outcomes: Iterable[Outcome], low: float | None = None, high: float | None = None
) -> Outcome:
    """Unweighted mean of the outcomes that hold values; nulls are skipped, not counted as 0."""
    values, reason = valid_values(outcomes)
    if not values:
        return Outcome(reason=reason)
    count = len(values)
    # Dividing first keeps the sum of huge finite values finite.
    mean = math.fsum(v / count for v in values)
    return found(clamp(mean, low, high)) if math.isfinite(mean) else INVALID



#: The largest sample count written: 2**53 - 1, the largest integer every JSON consumer reads
#: exactly (JavaScript's ``Number.MAX_SAFE_INTEGER``); the schema's ``maximum`` for every count.
MAX_COUNT = 9_007_199_254_740_991


def parse_sample_count(raw: object) -> Outcome:
    """A count of observations as an int: a number (the SPEC 5 rule, numeric strings included)
    that is whole and in ``[0, MAX_COUNT]``. Negative or above the maximum: ``out_of_range``;
    a fraction (``40.5``): ``invalid``, since no count of fills, orders or trades has one."""
    if type(raw) is int and 0 <= raw <= MAX_COUNT:  # the common case, checked first
        return Outcome(raw)
    number = parse_number(raw)
    if not number.ok:
        return number
    value: float = number.value
    if value < 0:
        return OUT_OF_RANGE
    if not value.is_integer():
        return INVALID
    if value > MAX_COUNT:
        return OUT_OF_RANGE
    return found(int(value))


def sum_counts(counts: Iterable[Outcome]) -> Outcome:
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
        if count.ok:
            total += count.value
        elif reason in (None, Reason.MISSING):
            reason = count.reason
    if reason is not None:
        return Outcome(reason=reason)
    if not seen:
        return MISSING
    return found(total) if total <= MAX_COUNT else OUT_OF_RANGE
