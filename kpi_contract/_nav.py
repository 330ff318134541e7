"""NAV KPIs from any of the executor's NAV snapshots.

Three live shapes feed this: ``nav_health_snapshot()`` (``nav_total``, ``age_s``, ``sources_ok``,
``cache_ts``), ``logs/state/nav.json`` (``nav`` / ``nav_usd``, ``updated_ts``) and
``nav_state.json`` (``total_equity``, ``updated_at``). Age is computed against the caller's
``now_ts``, never the wall clock.

Sentinels are not readings (SPEC 5a, issue 7): the NAV health snapshot reports ``nav_total: 0.0``
when it has no NAV at all, and ``cache_ts: 0.0`` means "never". Publishing either as a value
would show a flat-lined account or a 56-year-old NAV; they are ``invalid`` instead, and an alias
chain moves on to the next alias.
"""

from __future__ import annotations

import math

from kpi_contract._values import (
    INVALID,
    Outcome,
    dig,
    first_ok,
    first_valid,
    found,
    parse_bool,
    parse_epoch,
    parse_non_negative,
    parse_number,
)

NAV_TOTAL_KEYS = ("nav_total", "nav", "nav_usd", "total_equity")
AGE_KEYS = ("nav_age_s", "age_s", "age")
TIMESTAMP_KEYS = ("updated_at", "ts", "updated_ts", "cache_ts")

#: Seconds a NAV timestamp may lie after ``now_ts`` and still count as "just now" (age 0): the
#: executor and the process stamping the NAV read different clocks, and NTP keeps them within a
#: second or two. A timestamp further in the future is a wrong clock or a wrong unit: ``invalid``.
CLOCK_SKEW_TOLERANCE_S = 5.0


def parse_nav_reading(raw: object) -> Outcome:
    """A NAV in USD: a number above 0. Zero or below is the "no NAV" sentinel: ``invalid``."""
    number = parse_number(raw)
    if number.ok and number.value <= 0.0:
        return INVALID
    return number


def nav_total(snapshot: object) -> Outcome:
    """USD NAV: the first alias holding a reading above 0 (``nav_total: 0.0`` is no reading)."""
    return first_valid(snapshot, NAV_TOTAL_KEYS, parse_nav_reading)


def nav_age_s(snapshot: object, now_ts: float) -> Outcome:
    """Seconds since the NAV reading: an explicit age, else ``now_ts`` minus its timestamp."""
    return first_ok((
        first_valid(snapshot, AGE_KEYS, parse_non_negative),
        _age_from_timestamp(snapshot, now_ts),
    ))


def _age_from_timestamp(snapshot: object, now_ts: float) -> Outcome:
    """``now_ts`` minus the first plausible timestamp alias; an implausible one is skipped."""
    return first_ok(age_at(dig(snapshot, key), now_ts) for key in TIMESTAMP_KEYS)


def age_at(raw: object, now_ts: float) -> Outcome:
    """Seconds from the time ``raw`` (any epoch unit or ISO 8601) to ``now_ts``.

    Before 2000-01-01: ``invalid`` (``parse_epoch``). After ``now_ts`` by at most
    ``CLOCK_SKEW_TOLERANCE_S``: age 0. Further in the future: ``invalid``, never a fresh 0.
    """
    stamp = parse_epoch(raw)
    if not stamp.ok:
        return stamp
    age = now_ts - stamp.value
    if not math.isfinite(age) or age < -CLOCK_SKEW_TOLERANCE_S:
        return INVALID
    return found(age if age > 0.0 else 0.0)


def sources_ok(snapshot: object) -> Outcome:
    """All NAV sources healthy: only a real bool counts."""
    return first_valid(snapshot, ("sources_ok",), parse_bool)


def nav_kpis(snapshot: object, now_ts: float) -> dict[str, Outcome]:
    """The ``nav.*`` KPIs by dotted path."""
    return {
        "nav.nav_total": nav_total(snapshot),
        "nav.nav_age_s": nav_age_s(snapshot, now_ts),
        "nav.sources_ok": sources_ok(snapshot),
    }
