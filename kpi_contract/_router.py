"""Router KPIs from ``router_health.json`` (variants A and B), with the risk snapshot's
``router_stats`` as the last fallback.

Per-symbol entries come from ``per_symbol`` when it has any (a dict counts as its values), else
from ``symbols``, else from ``router_health.per_symbol`` (variant A nests its ``{SYM: {...}}``
there). An entry value that is null, invalid or out of range is skipped, never counted as 0, so
one silent symbol cannot drag a mean down.

The router's own data always comes before the risk snapshot's copy in ``router_stats``.

Sample counts (schema 7.1.0, issue 9) describe exactly the observations behind the published
value. A mean over entries counts the fills (``maker_count + taker_count`` in ``symbol_stats``) of
the distinct symbols whose entry entered the mean; the reject rate from ``symbol_stats`` counts the
``order_count`` of the symbols whose pair entered it. A value taken from a source that carries no
count (a top-level ratio, ``global``, ``risk.router_stats``) has a null count (``missing``), and a
count is never estimated: one contributing symbol without usable counts makes the total null.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from kpi_contract._values import (
    INVALID,
    MISSING,
    OUT_OF_RANGE,
    Outcome,
    Reason,
    Sampled,
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
    parse_sample_count,
    sum_counts,
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


#: Per-entry aliases, resolved per entry (docs/builder-decisions.md).
MAKER_RATE_KEYS = ("maker_fill_rate", "maker_fill_ratio")
SLIPPAGE_KEYS = ("slippage_p50", "slip_q50", "avg_slippage_bps")


def router_entries(router: object) -> list[object]:
    """The per-symbol entries of the first of ``ENTRY_SOURCES`` that has any."""
    return [entry for _symbol, entry in keyed_router_entries(router)]


def keyed_router_entries(router: object) -> list[tuple[str | None, object]]:
    """``router_entries`` with each entry's symbol: its own ``symbol`` string, else its key in a
    ``{SYM: entry}`` mapping, else None (an entry that cannot be matched to its counts)."""
    for path in ENTRY_SOURCES:
        raw = dig(router, *path)
        entries = items_of(raw)
        if entries:
            mapping = as_mapping(raw)
            keys: list[object] = list(mapping) if mapping is not None else [None] * len(entries)
            return [(_symbol_of(entry, key), entry) for key, entry in zip(keys, entries,
                                                                          strict=True)]
    return []


def _symbol_of(entry: object, key: object) -> str | None:
    own = dig(entry, "symbol")
    if isinstance(own, str) and own:
        return own
    return key if isinstance(key, str) and key else None


def maker_fill_share(router: object, risk: object) -> Sampled:
    """Mean per-entry maker fill fraction, else a top-level ``maker_ratio`` / ``maker_fill_rate``,
    else ``risk.router_stats.maker_fill_ratio``; with the fills behind the mean."""
    entries = keyed_router_entries(router)
    rates = [first_valid(entry, MAKER_RATE_KEYS, parse_fraction) for _, entry in entries]
    mean = mean_of(rates, 0.0, 1.0)
    if mean.ok:
        return Sampled(mean, fill_count(router, _contributors(entries, rates)))
    value = first_ok((
        mean,
        first_valid(router, TOP_LEVEL_MAKER_KEYS, parse_fraction),
        parse_fraction(dig(risk, "router_stats", "maker_fill_ratio")),
    ))
    return Sampled(value, MISSING)


def avg_slippage_bps(router: object, risk: object) -> Sampled:
    """Mean per-entry slippage (bps), else ``global.avg_slippage_bps``, else the risk fallback;
    with the fills behind the mean."""
    entries = keyed_router_entries(router)
    slippages = [first_valid(entry, SLIPPAGE_KEYS, parse_number) for _, entry in entries]
    mean = mean_of(slippages)
    if mean.ok:
        return Sampled(mean, fill_count(router, _contributors(entries, slippages)))
    value = first_ok((
        mean,
        parse_number(dig(router, "global", "avg_slippage_bps")),
        parse_number(dig(risk, "router_stats", "slip_q50")),
    ))
    return Sampled(value, MISSING)


def _contributors(entries: list[tuple[str | None, object]], values: list[Outcome]
                  ) -> list[str | None]:
    """The symbols of the entries whose value entered a mean."""
    return [symbol for (symbol, _), value in zip(entries, values, strict=True) if value.ok]


def fill_count(router: object, symbols: Iterable[str | None]) -> Outcome:
    """Fills of the distinct ``symbols``: ``maker_count + taker_count`` from ``symbol_stats``.

    A symbol listed twice among the entries is counted once (its fills are one sample). A symbol
    that is None (an entry without one), absent from ``symbol_stats`` or without usable counts
    makes the total null: a partial sum would understate the sample.
    """
    stats = _stats_by_symbol(dig(router, "symbol_stats"))
    return sum_counts(_fills(stats, symbol) for symbol in dict.fromkeys(symbols))


def _stats_by_symbol(raw: object) -> Mapping[Any, object]:
    """``symbol_stats`` as ``{SYM: stats}``: a mapping as is, a list by its entries' ``symbol``."""
    mapping = as_mapping(raw)
    if mapping is not None:
        return mapping
    found: dict[str, object] = {}
    for stats in items_of(raw):
        symbol = dig(stats, "symbol")
        if isinstance(symbol, str):
            found.setdefault(symbol, stats)
    return found


def _fills(stats_by_symbol: Mapping[Any, object], symbol: str | None) -> Outcome:
    stats = None if symbol is None else stats_by_symbol.get(symbol)
    if stats is None:
        return MISSING
    counts = as_mapping(stats)
    if counts is None:
        return INVALID
    maker = parse_sample_count(counts.get("maker_count"))
    taker = parse_sample_count(counts.get("taker_count"))
    if maker.ok and taker.ok:
        return found(maker.value + taker.value)
    return _pair_failure(maker, taker)


def _pair_failure(first: Outcome, second: Outcome) -> Outcome:
    """Why a pair of counts is unusable: both absent is ``missing``; otherwise the first
    present failure, and one count without the other is ``invalid``."""
    if first.reason is Reason.MISSING and second.reason is Reason.MISSING:
        return MISSING
    failures = (o.reason for o in (first, second) if o.reason not in (None, Reason.MISSING))
    return Outcome(reason=next(failures, Reason.INVALID))


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


def reject_rate(router: object) -> Sampled:
    """Rejected over total orders: a top-level rate (no count), else summed ``symbol_stats``
    counts, with the orders they summed."""
    top_level = first_valid(router, ("reject_rate", "reject_ratio"), parse_fraction)
    if top_level.ok:
        return Sampled(top_level, MISSING)
    from_counts, orders = _reject_rate_from_counts(dig(router, "symbol_stats"))
    value = first_ok((top_level, from_counts))
    return Sampled(value, orders if value.ok else MISSING)


def _reject_rate_from_counts(raw_stats: object) -> tuple[Outcome, Outcome]:
    """The rate over the symbols with a valid pair, and their summed ``order_count``."""
    stats = items_of(raw_stats)
    outcomes = [_reject_pair(entry) for entry in stats]
    pairs, reason = valid_values(outcomes)
    used = [entry for entry, outcome in zip(stats, outcomes, strict=True) if outcome.ok]
    try:
        rejects = math.fsum(r for r, _ in pairs)
        orders = math.fsum(o for _, o in pairs)
    except OverflowError:
        return INVALID, MISSING
    if orders <= 0:
        return Outcome(reason=reason), MISSING
    order_count = sum_counts(parse_sample_count(dig(entry, "order_count")) for entry in used)
    return found(clamp(rejects / orders, 0.0, 1.0)), order_count


def _reject_pair(stats: object) -> Outcome:
    """``(reject_count, order_count)`` of one symbol when both are usable and consistent."""
    rejects = parse_count(dig(stats, "reject_count"))
    orders = parse_count(dig(stats, "order_count"))
    if rejects.ok and orders.ok:
        if rejects.value > orders.value:
            return OUT_OF_RANGE
        return found((rejects.value, orders.value))
    # One count without the other is as unusable as a broken count.
    return _pair_failure(rejects, orders)
