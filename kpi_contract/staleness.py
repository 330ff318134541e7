"""One rule for a staleness bound and for the caller's clock, shared by every reader and command.

A staleness bound (``max_age_s`` of ``read_kpis``, ``reading_from_bytes``, ``is_stale``,
``read_fleet``, the dashboard's ``panel_state`` / ``fleet_state`` / ``PageSettings``; the
``--max-age`` of ``kpi-contract fleet`` and the ``--max-age-s`` / ``--refresh-s`` of
``kpi-contract dashboard``) is a finite number of seconds above zero. NaN used to be accepted:
every comparison with it is false, so a year-old executor read ``ok``, never stale, and
``fleet --format json`` printed ``"max_age_s": NaN``, which is not JSON. Infinity meant "never
stale" and zero or less "always stale": none is a limit an operator means, so all are refused.
The clock a reader is given (``now_ts``, epoch seconds) must be a finite number; ``None`` means
no clock (no age, no staleness).

The library refuses with ``ValueError`` (``check_positive_seconds``, ``check_clock``), the
command line with one line and exit 2 (``seconds_argument``, an argparse type). The same rule
bounds the S3 client's timeouts (``s3.ClientSettings``, ``--mirror-timeout``): an infinite
timeout would let a request hang forever. Found by the fresh-user attack on ``--max-age nan``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from kpi_contract.errors import clip

DEFAULT_MAX_AGE_S = 120.0  # seconds: the readers' and the dashboard's default staleness limit

MAX_REFRESH_S = 86_400.0
"""Longest re-read interval of the dashboard page, in seconds (a day). Streamlit's page re-runs
through the browser's ``setInterval``, which takes a delay above 2**31 - 1 ms (about 24.8 days)
as about 1 ms: a longer interval would re-read continuously, the opposite of what was asked."""

MAX_TIMEOUT_S = 3_600.0
"""Longest timeout of one object-store request, in seconds (an hour). A request that has not
answered in an hour has failed; far above it (about 9.2e9 s) the socket layer overflows and
every request fails at once."""


def positive_seconds(value: object, most: float = math.inf) -> float | None:
    """``value`` as a float when it is a number of seconds a limit can be: an int or a float (not
    a bool), finite, above zero and at most ``most``; else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an int beyond double range
        return None
    return seconds if math.isfinite(seconds) and 0 < seconds <= most else None


def check_positive_seconds(value: object, name: str = "max_age_s",
                           most: float = math.inf) -> float:
    """``value`` as a float (seconds); ValueError naming ``name`` unless ``positive_seconds``
    accepts it (NaN, infinity, zero, a negative number, more than ``most``, a bool or a
    non-number)."""
    seconds = positive_seconds(value, most)
    if seconds is None:
        if positive_seconds(value) is not None:
            raise ValueError(f"{name} must be at most {most:g} seconds, got {_shown(value)}")
        raise ValueError(
            f"{name} must be a positive number of seconds (finite, > 0), got {_shown(value)}"
        )
    return seconds


def check_clock(now_ts: object, name: str = "now_ts") -> float | None:
    """``now_ts`` (epoch seconds; or an age in seconds, with its ``name``) as a float, or None
    for no clock; ValueError unless it is an int or a float (not a bool) with a finite double
    value."""
    if now_ts is None:
        return None
    if isinstance(now_ts, int | float) and not isinstance(now_ts, bool):
        try:
            clock = float(now_ts)
        except OverflowError:  # an int beyond double range
            clock = math.inf
        if math.isfinite(clock):
            return clock
    raise ValueError(f"{name} must be a finite number of seconds, got {_shown(now_ts)}")


def seconds_argument(text: str, most: float = math.inf) -> float:
    """argparse ``type=`` for a limit in seconds (``--max-age``, ``--max-age-s``): the rule of
    ``positive_seconds`` on ``float(text)``; a usage error (one line, exit 2) otherwise.
    ``seconds_up_to(most)`` gives the same with an upper bound."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    seconds = positive_seconds(value, most)
    if seconds is None:
        if positive_seconds(value) is not None:
            raise argparse.ArgumentTypeError(f"more than {most:g} seconds: {_shown(text)}")
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {_shown(text)}")
    return seconds


def seconds_up_to(most: float) -> Callable[[str], float]:
    """argparse ``type=`` like ``seconds_argument``, at most ``most`` seconds (``--refresh-s``:
    ``MAX_REFRESH_S``; ``--mirror-timeout``: ``MAX_TIMEOUT_S``)."""

    def seconds(text: str) -> float:
        return seconds_argument(text, most)

    return seconds


def _shown(value: object) -> str:
    """``repr(value)`` on one short line (an int too long for ``repr`` by its bit count)."""
    try:
        return clip(repr(value), 80)
    except ValueError:  # Python refuses to print an int of more than 4,300 digits
        return f"an int of {value.bit_length()} bits" if isinstance(value, int) else "?"
