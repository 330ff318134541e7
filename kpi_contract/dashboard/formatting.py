"""Display text for a KPI value, by the unit the schema gives it (``x-unit``).

The schema says *what* the unit is; this module says how each unit reads for people (issue 8):
USD with thousands separators, fractions as percent, ratios with a multiplication sign, basis
points, seconds as a human age. A unit without an entry here reads as the number followed by the
unit's own name (``1,250 fills``, ``1 fill``), so a unit a later 7.x schema introduces still shows
honestly.

A null value is never formatted here: the card says ``no data: <reason>`` instead (see
``kpi_contract.dashboard.view``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

# Units whose values are counts of things: shown as whole numbers with separators, no unit text.
_COUNT_UNITS = frozenset({"count", "1"})


def format_value(value: object, unit: str | None) -> str:
    """``value`` (a non-null JSON scalar) as card text for ``unit`` (an ``x-unit`` or None)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            return repr(value)
        formatter = _FORMATTERS.get(unit or "")
        if formatter is not None:
            return formatter(number)
        if unit is None:
            return _plain(number)
        if unit in _COUNT_UNITS:
            return _plain(number)
        return f"{_plain(number)} {_singular(unit) if number == 1 else unit}"
    return str(value)


def format_usd(value: float) -> str:
    """``4093.43`` -> ``$4,093.43``; ``-12.5`` -> ``-$12.50``."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def format_percent(fraction: float) -> str:
    """A fraction as percent: ``0.125`` -> ``12.50%``."""
    return f"{fraction * 100:.2f}%"


def format_age(seconds: float) -> str:
    """Seconds as a human age: ``4.2 s``, ``42 s``, ``5 min 3 s``, ``2 h 5 min``, ``3 d 4 h``."""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 10:
        return f"{sign}{s:.1f} s"
    whole = round(s)
    if whole < 60:
        return f"{sign}{whole} s"
    if whole < 3600:
        return f"{sign}{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{sign}{whole // 3600} h {whole % 3600 // 60} min"
    return f"{sign}{whole // 86400} d {whole % 86400 // 3600} h"


def _singular(unit: str) -> str:
    """A plural word unit for one of it: ``fills`` -> ``fill`` (``1 fill``); abbreviations
    (``ms``, ``bps``) and anything not a plain word stay as they are."""
    if unit.isalpha() and unit.islower() and len(unit) > 3 and unit.endswith("s"):
        return unit[:-1]
    return unit


def _plain(number: float) -> str:
    """Whole numbers with separators; others with two decimals, or three significant digits
    when two decimals would show nothing (``0.0012``)."""
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) < 0.01:
        return f"{number:.3g}"
    return f"{number:,.2f}"


_FORMATTERS: dict[str, Callable[[float], str]] = {
    "USD": format_usd,
    "USD/trade": lambda v: f"{format_usd(v)} / trade",
    "fraction": format_percent,
    "ratio": lambda v: f"{v:,.2f}\u00d7",
    "bps": lambda v: f"{v:,.2f} bps",
    "s": format_age,
}
