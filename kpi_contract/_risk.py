"""Risk KPIs from the ``RiskEngineV6`` snapshot (``risk_snapshot.json``; SPEC 5: ``risk.*``).

``dd_state`` arrives in four forms, and the drawdown unit depends on the form:
(A) ``{"dd_state": label, "drawdown": {"dd_pct": percent}}``, (B) ``{"dd_state": "unknown"}``,
(C) ``{"state": LABEL, "drawdown": {"dd_pct": fraction}}``, (D) a bare label string.
Only the label and one fraction leave this module: the nested dict never leaks into the KPI file.

The risk engine marks a drawdown it cannot vouch for (no NAV, stale peak) with ``usable: false``;
then its label and number are defaults, not readings, and both KPIs are ``invalid`` (SPEC 5a).
The snapshot's top-level ``dd_frac`` / ``daily_loss_frac`` are never read: upstream derives them
from the percent ``dd_pct`` by guessing the scale (a value <= 1 kept, a larger one divided by
100), so a 0.6 % drawdown appears there as 0.6 (see docs/builder-decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpi_contract._values import (
    INVALID,
    MISSING,
    Reading,
    first_ok,
    in_range,
    is_mapping,
    label_in,
    mapping,
    non_negative,
    number,
)

DD_STATES = ("normal", "cautious", "defensive", "drawdown", "recovery", "unknown")
ATR_REGIMES = ("quiet", "normal", "hot", "panic", "unknown")

dd_label = label_in(DD_STATES)
atr_regime_label = label_in(ATR_REGIMES)


def risk_kpis(snapshot: object) -> dict[str, Reading]:
    """The ``risk.*`` KPIs by key in the ``risk`` object, in schema order. ``dd_state`` is
    the reason the whole object is null, or its two leaves' readings by key."""
    risk = mapping(snapshot)
    return {
        "dd_state": dd_state(risk),
        # Volatility regime: top-level ``atr_regime``, else ``atr.atr_regime``.
        "atr_regime": first_ok(
            atr_regime_label(risk.get("atr_regime")),
            atr_regime_label(mapping(risk.get("atr")).get("atr_regime")),
        ),
        # Fees over abs(PnL): top-level ``fee_pnl_ratio``, else ``fee_pnl.fee_pnl_ratio``.
        "fee_pnl_ratio": first_ok(
            non_negative(risk.get("fee_pnl_ratio")),
            non_negative(mapping(risk.get("fee_pnl")).get("fee_pnl_ratio")),
        ),
    }


def dd_state(risk: Mapping[Any, Any]) -> Reading:
    """The drawdown state object's leaves (``{"state": reading, "drawdown_frac": reading}``),
    or the reason there is no object (``missing`` when absent, ``invalid`` for a value of
    another type)."""
    raw = risk.get("dd_state")
    if raw is None:
        return MISSING
    if isinstance(raw, str):  # form D: a label and no number
        return _dd_leaves(dd_label(raw), MISSING)
    if not is_mapping(raw):
        return INVALID
    if not _usable(raw):
        return _dd_leaves(INVALID, INVALID)
    if raw.get("dd_state") is not None:  # form A (and B): a percent
        return _dd_leaves(dd_label(raw["dd_state"]), _drawdown_frac(raw, percent=True))
    if raw.get("state") is not None:  # form C: a fraction
        return _dd_leaves(dd_label(raw["state"]), _drawdown_frac(raw, percent=False))
    return _dd_leaves(MISSING, _drawdown_frac(raw, percent=True))  # other dicts: form A


def _dd_leaves(state: Reading, drawdown_frac: Reading) -> dict[str, Reading]:
    return {"state": state, "drawdown_frac": drawdown_frac}


def _usable(form: Mapping[Any, Any]) -> bool:
    """False when the drawdown block (``drawdown.usable``, or ``usable`` beside the label in
    either form) says so. Only a real ``True`` or an absent / null flag vouches for the values:
    a flag present in any other shape (``"false"``, ``0``, ``"no"``) cannot be trusted to mean
    usable, so it counts as not usable."""
    for flag in (mapping(form.get("drawdown")).get("usable"), form.get("usable")):
        if flag is not None and flag is not True:
            return False
    return True


def _drawdown_frac(form: Mapping[Any, Any], *, percent: bool) -> Reading:
    """``drawdown.dd_pct`` as a fraction: a percent in form A, already a fraction in form C."""
    value = number(mapping(form.get("drawdown")).get("dd_pct"))
    if percent and type(value) is float:
        value = value / 100.0
    return in_range(value, 0.0, 1.0)
