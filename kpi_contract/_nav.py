"""NAV KPIs from any of the executor's NAV snapshots (SPEC 5: ``nav.*``; 5a: times, sentinels).

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
from collections.abc import Mapping
from typing import Any

from kpi_contract._values import (
    INVALID,
    MISSING,
    Reading,
    Reason,
    boolean,
    epoch,
    first_of,
    mapping,
    non_negative,
    number,
)

NAV_TOTAL_KEYS = ("nav_total", "nav", "nav_usd", "total_equity")
AGE_KEYS = ("nav_age_s", "age_s", "age")
TIMESTAMP_KEYS = ("updated_at", "ts", "updated_ts", "cache_ts")

#: Seconds a NAV timestamp may lie after ``now_ts`` and still count as "just now" (age 0): the
#: executor and the process stamping the NAV read different clocks, and NTP keeps them within a
#: second or two. A timestamp further in the future is a wrong clock or a wrong unit: ``invalid``.
CLOCK_SKEW_TOLERANCE_S = 5.0


def nav_kpis(snapshot: object, now_ts: float) -> dict[str, Reading]:
    """The ``nav.*`` KPIs by key in the ``nav`` object, in schema order."""
    nav = mapping(snapshot)
    return {
        "nav_total": first_of(nav, NAV_TOTAL_KEYS, nav_reading),
        "nav_age_s": nav_age_s(nav, now_ts),
        "sources_ok": boolean(nav.get("sources_ok")),  # only a real bool counts
    }


def nav_reading(raw: object) -> Reading:
    """A NAV in USD: a number above 0. Zero or below is the "no NAV" sentinel: ``invalid``."""
    value = number(raw)
    return INVALID if type(value) is float and value <= 0.0 else value


def nav_age_s(nav: Mapping[Any, Any], now_ts: float) -> Reading:
    """Seconds since the NAV reading: an explicit age (``AGE_KEYS``, taken as given when >= 0),
    else ``now_ts`` minus the first plausible timestamp alias (``TIMESTAMP_KEYS``)."""
    reason = first_of(nav, AGE_KEYS, non_negative)
    if type(reason) is not Reason:
        return reason
    for key in TIMESTAMP_KEYS:  # the chain goes on: the first present source's reason wins
        age = age_at(nav.get(key), now_ts)
        if type(age) is not Reason:
            return age
        if reason is MISSING:
            reason = age
    return reason


def age_at(raw: object, now_ts: float) -> Reading:
    """Seconds from the time ``raw`` (any epoch unit or ISO 8601) to ``now_ts``.

    Before 2000-01-01: ``invalid`` (``epoch``). After ``now_ts`` by at most
    ``CLOCK_SKEW_TOLERANCE_S``: age 0. Further in the future: ``invalid``, never a fresh 0.
    """
    stamp = epoch(raw)
    if type(stamp) is Reason:
        return stamp
    age = now_ts - stamp
    if not math.isfinite(age) or age < -CLOCK_SKEW_TOLERANCE_S:
        return INVALID
    return age if age > 0.0 else 0.0
