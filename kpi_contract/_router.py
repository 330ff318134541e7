"""Router KPIs from ``router_health.json`` (variants A and B), with the risk snapshot's
``router_stats`` as the last fallback.

Per-symbol entries come from ``per_symbol`` when it has any (a dict counts as its values), else
from ``symbols``, else from ``router_health.per_symbol`` (variant A nests its ``{SYM: {...}}``
there). An entry value that is null, invalid or out of range is skipped, never counted as 0, so
one silent symbol cannot drag a mean down.

The router's own data always comes before the risk snapshot's copy in ``router_stats``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from kpi_contract._values import (
    INVALID,
    MISSING,
    OUT_OF_RANGE,
    Outcome,
    Reason,
    as_mapping,
    clamp,
    dig,
    first_ok,
    first_valid,
    found,
    items_of,
    label_in,
    mean_of,
    parse_bool,
    parse_fraction,
    parse_non_negative,
    parse_number,
    valid_values,
)

QUALITY_WORST_FIRST = ("broken", "degraded", "ok", "good")
parse_quality = label_in(QUALITY_WORST_FIRST)
parse_count = parse_non_negative

#: The executor's own score thresholds (SPEC 5a): the lowest score of each label, best first.
#: A score in [0, 1] below the last threshold is ``broken``.
QUALITY_SCORE_THRESHOLDS = (("good", 0.9), ("ok", 0.5), ("degraded", 0.2))

#: Where per-symbol entries live, in order: variant B's list, its ``symbols`` twin, variant A's
#: nested ``{SYM: {...}}`` dict.
ENTRY_SOURCES = (("per_symbol",), ("symbols",), ("router_health", "per_symbol"))

#: Top-level router ratios that carry the maker fill share when no entry does.
TOP_LEVEL_MAKER_KEYS = ("maker_ratio", "maker_fill_rate")


def router_entries(router: object) -> list[object]:
    """The per-symbol entries of the first of ``ENTRY_SOURCES`` that has any."""
    for path in ENTRY_SOURCES:
        entries = items_of(dig(router, *path))
        if entries:
            return entries
    return []


def maker_fill_share(router: object, risk: object) -> Outcome:
    """Mean per-entry maker fill fraction, else a top-level ``maker_ratio`` / ``maker_fill_rate``,
    else ``risk.router_stats.maker_fill_ratio``."""
    per_entry = (
        first_valid(entry, ("maker_fill_rate", "maker_fill_ratio"), parse_fraction)
        for entry in router_entries(router)
    )
    return first_ok((
        mean_of(per_entry, 0.0, 1.0),
        first_valid(router, TOP_LEVEL_MAKER_KEYS, parse_fraction),
        parse_fraction(dig(risk, "router_stats", "maker_fill_ratio")),
    ))


def avg_slippage_bps(router: object, risk: object) -> Outcome:
    """Mean per-entry slippage (bps), else ``global.avg_slippage_bps``, else the risk fallback."""
    per_entry = (
        first_valid(entry, ("slippage_p50", "slip_q50", "avg_slippage_bps"), parse_number)
        for entry in router_entries(router)
    )
    return first_ok((
        mean_of(per_entry),
        parse_number(dig(router, "global", "avg_slippage_bps")),
        parse_number(dig(risk, "router_stats", "slip_q50")),
    ))


def policy_quality(router: object, risk: object) -> Outcome:
    """The worst quality in evidence; all-zero counts are no data, never "good".

    Sources in order (SPEC 5a): ``summary.quality_counts``, the entries' labels, the entries'
    ``quality_score`` values, ``router_health.global.quality_score`` (or its top-level
    ``global`` twin), ``risk.router_stats.quality``. Each source is whole: entry scores are read
    only when no entry has a usable label.
    """
    return first_ok(_quality_sources(router, risk))


def _quality_sources(router: object, risk: object) -> Iterator[Outcome]:
    """The policy quality sources in order, each read only when the ones before yield nothing."""
    yield _worst_counted_quality(dig(router, "summary", "quality_counts"))
    entries = router_entries(router)
    yield _worst(
        first_ok((
            parse_quality(dig(entry, "policy", "quality")),
            parse_quality(dig(entry, "quality")),
        ))
        for entry in entries
    )
    yield _worst(parse_quality_score(dig(entry, "quality_score")) for entry in entries)
    yield parse_quality_score(dig(router, "router_health", "global", "quality_score"))
    yield parse_quality_score(dig(router, "global", "quality_score"))
    yield parse_quality(dig(risk, "router_stats", "quality"))


def parse_quality_score(raw: object) -> Outcome:
    """A quality label from a score in [0, 1] by ``QUALITY_SCORE_THRESHOLDS``; a score outside
    [0, 1] is ``out_of_range``."""
    score = parse_fraction(raw)
    if not score.ok:
        return score
    for label, lowest in QUALITY_SCORE_THRESHOLDS:
        if score.value >= lowest:
            return found(label)
    return found("broken")


def _worst_counted_quality(raw_counts: object) -> Outcome:
    if raw_counts is None:
        return MISSING
    counts = as_mapping(raw_counts)
    if counts is None:
        return INVALID
    reason = Reason.MISSING
    for label in QUALITY_WORST_FIRST:
        count = parse_count(counts.get(label))
        if count.ok and count.value > 0:
            return found(label)
        if reason is Reason.MISSING and count.reason is not None:
            reason = count.reason
    return Outcome(reason=reason)


def _worst(labels: Iterable[Outcome]) -> Outcome:
    values, reason = valid_values(labels)
    if not values:
        return Outcome(reason=reason)
    return found(min(values, key=QUALITY_WORST_FIRST.index))


def maker_first(router: object) -> Outcome:
    """Maker-first on for most symbols: the summary ratio, else a majority vote of entries."""
    entry_flags = (
        first_ok((
            parse_bool(dig(entry, "policy", "maker_first")),
            parse_bool(dig(entry, "maker_first")),
        ))
        for entry in router_entries(router)
    )
    return first_ok((_summary_maker_first(dig(router, "summary")), _majority(entry_flags)))


def _summary_maker_first(summary: object) -> Outcome:
    """``maker_first_enabled / count >= 0.5``; a count of 0 is no data (fall through)."""
    enabled = parse_number(dig(summary, "maker_first_enabled"))
    if not enabled.ok:
        return enabled
    count = parse_number(dig(summary, "count"))
    if not count.ok:
        return INVALID  # an enabled count with no usable total cannot be a ratio
    if count.value == 0:
        return MISSING
    if not 0 <= enabled.value <= count.value:
        return OUT_OF_RANGE
    return found(enabled.value / count.value >= 0.5)


def _majority(flags: Iterable[Outcome]) -> Outcome:
    values, reason = valid_values(flags)
    if not values:
        return Outcome(reason=reason)
    on = sum(1 for v in values if v)
    return found(on * 2 >= len(values))


def reject_rate(router: object) -> Outcome:
    """Rejected over total orders: a top-level rate, else summed ``symbol_stats`` counts."""
    return first_ok((
        first_valid(router, ("reject_rate", "reject_ratio"), parse_fraction),
        _reject_rate_from_counts(dig(router, "symbol_stats")),
    ))


def _reject_rate_from_counts(raw_stats: object) -> Outcome:
    pairs, reason = valid_values(_reject_pair(stats) for stats in items_of(raw_stats))
    try:
        rejects = math.fsum(r for r, _ in pairs)
        orders = math.fsum(o for _, o in pairs)
    except OverflowError:
        return INVALID
    if orders <= 0:
        return Outcome(reason=reason)
    return found(clamp(rejects / orders, 0.0, 1.0))


def _reject_pair(stats: object) -> Outcome:
    """``(reject_count, order_count)`` of one symbol when both are usable and consistent."""
    rejects = parse_count(dig(stats, "reject_count"))
    orders = parse_count(dig(stats, "order_count"))
    if rejects.ok and orders.ok:
        if rejects.value > orders.value:
            return OUT_OF_RANGE
        return found((rejects.value, orders.value))
    if rejects.reason is Reason.MISSING and orders.reason is Reason.MISSING:
        return MISSING
    failures = (o.reason for o in (rejects, orders) if o.reason not in (None, Reason.MISSING))
    # One count without the other is as unusable as a broken count.
    return Outcome(reason=next(failures, Reason.INVALID))
