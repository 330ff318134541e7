"""Performance KPIs: expectancy from ``expectancy_v6.json``, sharpe state from the risk snapshot.

The real expectancy file has no top-level expectancy: it is a count-weighted mean over mature
symbols. Immature symbols carry a placeholder ``0.0`` and priors are synthetic, so both are left
out; averaging them in would publish a made-up number as a measured one.

The trade count beside the expectancy (schema 7.1.0, issue 9) is the sum of the ``count`` weights
the mean used, over exactly the symbols that entered it. The file's top-level ``sample_count``
also counts immature symbols' trades, so it is not that sample; a top-level expectancy comes with
no count of its own, so its count is null (``missing``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from kpi_contract._values import (
    INVALID,
    MISSING,
    Outcome,
    Sampled,
    dig,
    first_ok,
    first_valid,
    found,
    items_of,
    label_in,
    parse_non_negative,
    parse_number,
    parse_sample_count,
    sum_counts,
    valid_values,
)

SHARPE_STATES = ("strong", "neutral", "poor", "unknown")
TOP_LEVEL_EXPECTANCY_KEYS = ("expectancy", "expectancy_usd", "expected_value")
parse_sharpe_state = label_in(SHARPE_STATES)
parse_count = parse_non_negative


def expectancy(expectancy_state: object) -> Sampled:
    """USD per trade: a top-level value if one exists (no count), else the mature symbols'
    weighted mean with the trades it weighted."""
    top_level = first_valid(expectancy_state, TOP_LEVEL_EXPECTANCY_KEYS, parse_number)
    if top_level.ok:
        return Sampled(top_level, MISSING)
    mean, trades = _weighted_mature_mean(items_of(dig(expectancy_state, "symbols")))
    value = first_ok((top_level, mean))
    return Sampled(value, trades if value.ok else MISSING)


def _weighted_mature_mean(entries: Iterable[object]) -> tuple[Outcome, Outcome]:
    """The count-weighted mean over eligible symbols, and the sum of the counts it used."""
    eligible = [
        e for e in entries if dig(e, "is_mature") is True and dig(e, "is_prior") is not True
    ]
    outcomes = [_count_and_expectancy(e) for e in eligible]
    pairs, reason = valid_values(outcomes)
    try:
        total = math.fsum(count for count, _ in pairs)
        if total <= 0:
            return Outcome(reason=reason), MISSING
        mean = math.fsum((count / total) * value for count, value in pairs)
    except OverflowError:
        return INVALID, MISSING
    if not math.isfinite(mean):
        return INVALID, MISSING
    used = (e for e, outcome in zip(eligible, outcomes, strict=True) if outcome.ok)
    return found(mean), sum_counts(parse_sample_count(dig(e, "count")) for e in used)


def _count_and_expectancy(entry: object) -> Outcome:
    """``(count, expectancy)`` of one eligible symbol; an expectancy without a usable count
    cannot be weighted and is ``invalid``."""
    value = parse_number(dig(entry, "expectancy"))
    if not value.ok:
        return value
    count = parse_count(dig(entry, "count"))
    if not count.ok:
        return INVALID
    return found((count.value, value.value))


def sharpe_state(risk: object) -> Outcome:
    """Top-level ``sharpe_state``, else the per-symbol label when all valid labels agree."""
    per_symbol = (
        parse_sharpe_state(dig(entry, "risk", "sharpe_state"))
        for entry in items_of(dig(risk, "symbols"))
    )
    return first_ok((parse_sharpe_state(dig(risk, "sharpe_state")), _unanimous(per_symbol)))


def _unanimous(labels: Iterable[Outcome]) -> Outcome:
    values, reason = valid_values(labels)
    if not values:
        return Outcome(reason=reason)
    return found(values[0]) if len(set(values)) == 1 else INVALID
