"""Router KPIs and their sample counts from ``router_health.json`` (variants A and B), with the
risk snapshot's ``router_stats`` as the last fallback (SPEC 5: ``router.*``; 5a: quality scores,
top-level ratios).

Per-symbol entries come from ``per_symbol`` when it has any (a dict counts as its values), else
from ``symbols``, else from ``router_health.per_symbol`` (variant A nests its ``{SYM: {...}}``
there). An entry value that is null, invalid or out of range is skipped, never counted as 0, so
one silent symbol cannot drag a mean down. The entries are read in one pass (``router_kpis``):
each entry's fields once, for every KPI that uses them; the summary's own figures are read
first, so an entry field whose KPI the summary already decides is not read at all.

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
from collections.abc import Iterable, Mapping
from typing import Any

from kpi_contract._values import (
    EMPTY,
    INVALID,
    MISSING,
    OUT_OF_RANGE,
    Reading,
    Reason,
    boolean,
    clamp,
    derived_with_count,
    dig,
    first_of,
    first_ok,
    fraction,
    is_mapping,
    items_of,
    label_in,
    mapping,
    mean,
    non_negative,
    number,
    pair_failure,
    readings_reason,
    sample_count,
    sum_counts,
    values_of,
)

QUALITY_WORST_FIRST = ("broken", "degraded", "ok", "good")
quality_label = label_in(QUALITY_WORST_FIRST)

#: The executor's own score thresholds (SPEC 5a): the lowest score of each label, best first.
#: A score in [0, 1] below the last threshold is ``broken``.
QUALITY_SCORE_THRESHOLDS = (("good", 0.9), ("ok", 0.5), ("degraded", 0.2))

#: Where per-symbol entries live, in order: variant B's list, its ``symbols`` twin, variant A's
#: nested ``{SYM: {...}}`` dict.
ENTRY_SOURCES = (("per_symbol",), ("symbols",), ("router_health", "per_symbol"))

#: Top-level router ratios that carry the maker fill share when no entry does.
TOP_LEVEL_MAKER_KEYS = ("maker_ratio", "maker_fill_rate")
TOP_LEVEL_REJECT_KEYS = ("reject_rate", "reject_ratio")

#: Per-entry aliases, resolved per entry (docs/builder-decisions.md).
MAKER_RATE_KEYS = ("maker_fill_rate", "maker_fill_ratio")
SLIPPAGE_KEYS = ("slippage_p50", "slip_q50", "avg_slippage_bps")


def router_kpis(router_state: object, risk_snapshot: object) -> dict[str, Reading]:
    """The ``router.*`` KPIs and their sample counts by key in the ``router`` object, in schema
    order."""
    router = mapping(router_state)
    summary = mapping(router.get("summary"))
    counted_quality = worst_counted_quality(summary.get("quality_counts"))
    summary_maker_first = maker_first_from_summary(summary)
    need_labels = type(counted_quality) is Reason
    need_flags = type(summary_maker_first) is Reason

    # The one pass over the entries: each field read once, for every KPI that uses it.
    entries, keys = entry_source(router)
    symbols: list[str | None] = []
    rates: list[Reading] = []
    slippages: list[Reading] = []
    labels: list[Reading] = []
    scores: list[Reading] = []
    flags: list[Reading] = []
    for key, raw in zip(keys, entries, strict=True):
        entry = raw if type(raw) is dict else mapping(raw)  # the exact type first: cheap
        own = entry.get("symbol")
        symbols.append(own if type(own) is str and own else _symbol_of(entry, key))
        rates.append(first_of(entry, MAKER_RATE_KEYS, fraction))
        slippages.append(first_of(entry, SLIPPAGE_KEYS, number))
        if need_labels or need_flags:
            policy = mapping(entry.get("policy"))
            if need_labels:
                labels.append(first_ok(quality_label(policy.get("quality")),
                                       quality_label(entry.get("quality"))))
                scores.append(quality_from_score(entry.get("quality_score")))
            if need_flags:
                flags.append(first_ok(boolean(policy.get("maker_first")),
                                      boolean(entry.get("maker_first"))))

    fills = FillCounts(router.get("symbol_stats"))
    maker_share, maker_fills = maker_fill_share(rates, symbols, fills, router, risk_snapshot)
    slippage, slippage_fills = avg_slippage_bps(slippages, symbols, fills, router, risk_snapshot)
    rejects, orders = reject_rate(router)
    return {
        "policy_quality": policy_quality(counted_quality, labels, scores, router,
                                         risk_snapshot),
        "maker_first": first_ok(summary_maker_first, _majority(flags))
        if need_flags else summary_maker_first,
        "maker_fill_share": maker_share,
        "maker_fill_share_fill_count": maker_fills,
        "avg_slippage_bps": slippage,
        "avg_slippage_bps_fill_count": slippage_fills,
        "reject_rate": rejects,
        "reject_rate_order_count": orders,
    }


def maker_fill_share(rates: list[Reading], symbols: list[str | None], fills: FillCounts,
                     router: Mapping[Any, Any], risk_snapshot: object) -> tuple[Reading, Reading]:
    """Mean of the entries' maker fill fractions (``MAKER_RATE_KEYS``, read in the pass), else a
    top-level ``maker_ratio`` / ``maker_fill_rate``, else ``risk.router_stats.maker_fill_ratio``;
    with the fills behind the mean (a value from another source has a ``missing`` count)."""
    share, count = entry_mean(rates, symbols, fills, 0.0, 1.0)
    if type(share) is not Reason:
        return share, count
    return first_ok(share, first_of(router, TOP_LEVEL_MAKER_KEYS, fraction),
                    fraction(dig(risk_snapshot, "router_stats", "maker_fill_ratio"))), MISSING


def avg_slippage_bps(slippages: list[Reading], symbols: list[str | None], fills: FillCounts,
                     router: Mapping[Any, Any], risk_snapshot: object) -> tuple[Reading, Reading]:
    """Mean of the entries' slippages in bps (``SLIPPAGE_KEYS``, read in the pass), else
    ``global.avg_slippage_bps``, else ``risk.router_stats.slip_q50``; with the fills behind the
    mean (a value from another source has a ``missing`` count)."""
    slippage, count = entry_mean(slippages, symbols, fills)
    if type(slippage) is not Reason:
        return slippage, count
    return first_ok(slippage, number(dig(router, "global", "avg_slippage_bps")),
                    number(dig(risk_snapshot, "router_stats", "slip_q50"))), MISSING


def entry_source(router: Mapping[Any, Any]) -> tuple[list[object], list[object]]:
    """The per-symbol entries of the first of ``ENTRY_SOURCES`` that has any, with the key of
    each entry in a ``{SYM: entry}`` mapping (None for the items of a list)."""
    for path in ENTRY_SOURCES:
        raw: object = router
        for key in path:
            raw = mapping(raw).get(key)
        entries = items_of(raw)
        if entries:
            return entries, (list(raw) if is_mapping(raw) else [None] * len(entries))
    return [], []


def _symbol_of(entry: Mapping[Any, Any], key: object) -> str | None:
    """An entry's symbol: its own ``symbol`` string, else its key in a ``{SYM: entry}`` mapping,
    else None (an entry that cannot be matched to its counts)."""
    own = entry.get("symbol")
    if isinstance(own, str) and own:
        return own
    return key if isinstance(key, str) and key else None


def entry_mean(readings: list[Reading], symbols: list[str | None], fills: FillCounts,
               low: float | None = None, high: float | None = None) -> tuple[Reading, Reading]:
    """The mean of the entries' values (nulls skipped, never counted as 0) and the fills of the
    distinct symbols behind it; when there is no mean, its reason and a ``missing`` count."""
    values: list[float] = []
    contributors: dict[str | None, None] = {}  # the distinct symbols, in entry order
    for symbol, reading in zip(symbols, readings, strict=True):
        if type(reading) is not Reason:
            values.append(reading)
            contributors[symbol] = None
    if not values:
        return readings_reason(readings), MISSING
    average = mean(values, low, high)
    if type(average) is Reason:
        return average, MISSING
    return average, fills.total(contributors)


class FillCounts:
    """Fills per symbol from ``symbol_stats``: ``maker_count + taker_count``.

    ``symbol_stats`` is read as ``{SYM: stats}``, or as a list matched by each item's
    ``symbol`` (the first item of a symbol). Each symbol's fills are read once, however many
    counts use them.
    """

    __slots__ = ("_by_symbol", "_fills", "_raw")

    def __init__(self, raw_stats: object) -> None:
        self._raw = raw_stats
        self._by_symbol: Mapping[Any, object] | None = None
        self._fills: dict[str | None, Reading] = {}

    def total(self, symbols: Iterable[str | None]) -> Reading:
        """Fills of the distinct ``symbols``, summed by ``sum_counts``.

        A symbol listed twice among the entries is one sample, so callers pass each symbol
        once. A symbol that is None (an entry without one), absent from ``symbol_stats`` or
        without usable counts makes the total null: a partial sum would understate the sample.
        """
        known = self._fills
        counts: list[Reading] = []
        for symbol in symbols:
            fills = known.get(symbol, _UNREAD)
            if fills is _UNREAD:
                fills = known[symbol] = self._read(symbol)
            counts.append(fills)
        return sum_counts(counts)

    def _read(self, symbol: str | None) -> Reading:
        """One symbol's fills: ``missing`` without stats, ``invalid`` for stats that are no
        mapping, else the pair rule of ``pair_failure``."""
        by_symbol = self._by_symbol if self._by_symbol is not None else self._index()
        stats = None if symbol is None else by_symbol.get(symbol)
        if stats is None:
            return MISSING
        counts = stats if type(stats) is dict else mapping(stats)
        if counts is EMPTY:  # ``mapping`` found no mapping there
            return INVALID
        maker = sample_count(counts.get("maker_count"))
        taker = sample_count(counts.get("taker_count"))
        if type(maker) is int and type(taker) is int:
            return maker + taker
        return pair_failure(maker, taker)

    def _index(self) -> Mapping[Any, object]:
        raw = self._raw
        if is_mapping(raw):
            self._by_symbol = raw
        else:
            by_symbol: dict[str, object] = {}
            for stats in items_of(raw):
                symbol = mapping(stats).get("symbol")
                if isinstance(symbol, str):
                    by_symbol.setdefault(symbol, stats)
            self._by_symbol = by_symbol
        return self._by_symbol


_UNREAD: Any = object()


def policy_quality(counted: Reading, labels: list[Reading], scores: list[Reading],
                   router: Mapping[Any, Any], risk_snapshot: object) -> Reading:
    """The worst quality in evidence; all-zero counts are no data, never "good".

    Sources in order (SPEC 5a): ``summary.quality_counts`` (``counted``), the entries' labels,
    the entries' ``quality_score`` values, ``router_health.global.quality_score`` (or its
    top-level ``global`` twin), ``risk.router_stats.quality``. Each source is whole: entry
    scores count only when no entry has a usable label.
    """
    if type(counted) is not Reason:
        return counted
    return first_ok(
        counted,
        _worst(labels),
        _worst(scores),
        quality_from_score(
            mapping(mapping(router.get("router_health")).get("global")).get("quality_score")),
        quality_from_score(mapping(router.get("global")).get("quality_score")),
        quality_label(dig(risk_snapshot, "router_stats", "quality")),
    )


def quality_from_score(raw: object) -> Reading:
    """A quality label from a score in [0, 1] by ``QUALITY_SCORE_THRESHOLDS``; a score outside
    [0, 1] is ``out_of_range``."""
    score = fraction(raw)
    if type(score) is Reason:
        return score
    for label, lowest in QUALITY_SCORE_THRESHOLDS:
        if score >= lowest:
            return label
    return "broken"


def worst_counted_quality(raw_counts: object) -> Reading:
    """The worst label with a count above 0 in ``summary.quality_counts``; unknown labels are
    ignored and all-zero counts are no data (``missing``)."""
    if raw_counts is None:
        return MISSING
    if not is_mapping(raw_counts):
        return INVALID
    reason = MISSING
    for label in QUALITY_WORST_FIRST:
        count = non_negative(raw_counts.get(label))
        if type(count) is float and count > 0:
            return label
        if reason is MISSING and type(count) is Reason:
            reason = count
    return reason


def _worst(labels: list[Reading]) -> Reading:
    values = values_of(labels)
    if not values:
        return readings_reason(labels)
    return min(values, key=QUALITY_WORST_FIRST.index)


def maker_first_from_summary(summary: Mapping[Any, Any]) -> Reading:
    """``maker_first_enabled / count >= 0.5``; a count of 0 is no data (the entries decide)."""
    enabled = number(summary.get("maker_first_enabled"))
    if type(enabled) is Reason:
        return enabled
    count = number(summary.get("count"))
    if type(count) is Reason:
        return INVALID  # an enabled count with no usable total cannot be a ratio
    if count == 0:
        return MISSING
    if not 0 <= enabled <= count:
        return OUT_OF_RANGE
    return enabled / count >= 0.5


def _majority(flags: list[Reading]) -> Reading:
    """Maker-first on for most entries (ties true)."""
    values = values_of(flags)
    if not values:
        return readings_reason(flags)
    return sum(1 for v in values if v) * 2 >= len(values)


def reject_rate(router: Mapping[Any, Any]) -> tuple[Reading, Reading]:
    """Rejected over total orders: a top-level rate (its count ``missing``), else summed
    ``symbol_stats`` counts with the orders they summed."""
    top_level = first_of(router, TOP_LEVEL_REJECT_KEYS, fraction)
    if type(top_level) is not Reason:
        return top_level, MISSING
    return derived_with_count(top_level,
                              *_reject_rate_from_counts(items_of(router.get("symbol_stats"))))


def _reject_rate_from_counts(stats: list[object]) -> tuple[Reading, Reading]:
    """The rate over the symbols with a valid ``(reject_count, order_count)`` pair (a pair with
    one count missing, a broken count or more rejects than orders is skipped), and their summed
    ``order_count`` as a sample count."""
    rejected: list[float] = []
    ordered: list[float] = []
    failures: list[Reading] = []
    order_counts: list[Reading] = []
    for raw in stats:
        entry = raw if type(raw) is dict else mapping(raw)
        rejects = non_negative(entry.get("reject_count"))
        orders = non_negative(entry.get("order_count"))
        if type(rejects) is not float or type(orders) is not float:
            failures.append(pair_failure(rejects, orders))
        elif rejects > orders:
            failures.append(OUT_OF_RANGE)
        else:
            rejected.append(rejects)
            ordered.append(orders)
            order_counts.append(sample_count(entry.get("order_count")))
    try:
        total_rejects = math.fsum(rejected)
        total_orders = math.fsum(ordered)
    except OverflowError:
        return INVALID, MISSING
    if total_orders <= 0:
        return readings_reason(failures), MISSING
    return clamp(total_rejects / total_orders, 0.0, 1.0), sum_counts(order_counts)
