"""NAV KPIs from any of the executor's NAV snapshots.

Three live shapes feed this: ``nav_health_snapshot()`` (``nav_total``, ``age_s``, ``sources_ok``,
``cache_ts``), ``logs/state/nav.json`` (``nav`` / ``nav_usd``, ``updated_ts``) and
``nav_state.json`` (``total_equity``, ``updated_at``). Age is computed against the caller's
``now_ts``, never the wall clock.
"""

from __future__ import annotations

import math

from kpi_contract._values import (
    INVALID,
    Outcome,
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


def nav_total(snapshot: object) -> Outcome:
    """USD NAV: the first valid of the known aliases (0.0 is a value)."""
    return first_valid(snapshot, NAV_TOTAL_KEYS, parse_number)


def nav_age_s(snapshot: object, now_ts: float) -> Outcome:
    """Seconds since the NAV reading: an explicit age, else ``now_ts`` minus its timestamp."""
    return first_ok((
        first_valid(snapshot, AGE_KEYS, parse_non_negative),
        _age_from_timestamp(snapshot, now_ts),
    ))


def _age_from_timestamp(snapshot: object, now_ts: float) -> Outcome:
    stamp = first_valid(snapshot, TIMESTAMP_KEYS, parse_epoch)
    if not stamp.ok:
        return stamp
    # A reading stamped after now_ts (clock skew) is fresh, not negative-aged.
    age = max(0.0, now_ts - stamp.value)
    return found(age) if math.isfinite(age) else INVALID


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
