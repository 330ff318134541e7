"""Performance KPIs (SPEC 5: ``performance.*``): expectancy from ``expectancy_v6.json``, sharpe
state from the risk snapshot.

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

from kpi_contract._values import (
    INVALID,
    MISSING,
    Reading,
    Reason,
    derived_with_count,
    first_of,
    first_ok,
    items_of,
    label_in,
    mapping,
    non_negative,
    number,
    readings_reason,
    sample_count,
    sum_counts,
)

SHARPE_STATES = ("strong", "neutral", "poor", "unknown")
TOP_LEVEL_EXPECTANCY_KEYS = ("expectancy", "expectancy_usd", "expected_value")
sharpe_label = label_in(SHARPE_STATES)


def performance_kpis(expectancy_state: object, risk_snapshot: object) -> dict[str, Reading]:
    """The ``performance.*`` KPIs and the expectancy's trade count by key in the
    ``performance`` object, in schema order."""
    value, trades = expectancy(expectancy_state)
    return {
        "expectancy": value,
        "expectancy_trade_count": trades,
        "sharpe_state": sharpe_state(risk_snapshot),
    }


def expectancy(expectancy_state: object) -> tuple[Reading, Reading]:
    """USD per trade: a top-level value if one exists (its count is ``missing``), else the
    mature symbols' weighted mean with the trades it weighted."""
    state = mapping(expectancy_state)
    top_level = first_of(state, TOP_LEVEL_EXPECTANCY_KEYS, number)
    if type(top_level) is not Reason:
        return top_level, MISSING
    return derived_with_count(top_level, *_weighted_mature_mean(items_of(state.get("symbols"))))


def _weighted_mature_mean(entries: list[object]) -> tuple[Reading, Reading]:
    """The count-weighted mean over the eligible symbols (``is_mature`` true, ``is_prior`` not
    true: only the real bool ``True`` counts), and the sum of the counts it used.

    A symbol's ``(count, expectancy)`` pair needs both: an expectancy without a usable weight
    cannot be weighted and is ``invalid``; one without a usable expectancy gives its reason.
    """
    weights: list[float] = []
    values: list[float] = []
    failures: list[Reading] = []
    trades: list[Reading] = []  # each used symbol's count, as a sample count
    for raw in entries:
        entry = raw if type(raw) is dict else mapping(raw)  # the exact type first: cheap
        if entry.get("is_mature") is not True or entry.get("is_prior") is True:
            continue
        value = number(entry.get("expectancy"))
        count = non_negative(entry.get("count")) if type(value) is float else value
        if type(count) is not float:
            failures.append(INVALID if type(value) is float else value)
            continue
        weights.append(count)
        values.append(value)
        trades.append(sample_count(entry.get("count")))
    try:
        total = math.fsum(weights)
        if total <= 0:
            return readings_reason(failures), MISSING
        pairs = zip(weights, values, strict=True)
        mean = math.fsum([(count / total) * value for count, value in pairs])
    except OverflowError:
        return INVALID, MISSING
    if not math.isfinite(mean):
        return INVALID, MISSING
    return mean, sum_counts(trades)


def sharpe_state(risk_snapshot: object) -> Reading:
    """Top-level ``sharpe_state``, else the per-symbol ``risk.sharpe_state`` when every symbol
    with a valid label agrees (disagreement is ``invalid``)."""
    risk = mapping(risk_snapshot)
    top_level = sharpe_label(risk.get("sharpe_state"))
    if type(top_level) is not Reason:
        return top_level
    labels = [sharpe_label(mapping(mapping(entry).get("risk")).get("sharpe_state"))
              for entry in items_of(risk.get("symbols"))]
    values = {label for label in labels if type(label) is not Reason}
    if not values:
        return first_ok(top_level, readings_reason(labels))
    return first_ok(top_level, values.pop() if len(values) == 1 else INVALID)
