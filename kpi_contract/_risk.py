"""Risk KPIs from the ``RiskEngineV6`` snapshot (``risk_snapshot.json``).

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

from dataclasses import dataclass

from kpi_contract._values import (
    INVALID,
    MISSING,
    Outcome,
    as_mapping,
    dig,
    first_ok,
    found,
    in_range,
    label_in,
    parse_non_negative,
    parse_number,
)

DD_STATES = ("normal", "cautious", "defensive", "drawdown", "recovery", "unknown")
ATR_REGIMES = ("quiet", "normal", "hot", "panic", "unknown")

parse_dd_label = label_in(DD_STATES)
parse_atr_regime = label_in(ATR_REGIMES)


@dataclass(frozen=True, slots=True)
class DdStateParts:
    """A drawdown state that exists: its label and its fraction, each possibly null."""

    state: Outcome
    drawdown_frac: Outcome


#: Both leaves of a drawdown state the risk engine marked unusable.
UNUSABLE = DdStateParts(state=INVALID, drawdown_frac=INVALID)


def dd_state(risk: object) -> Outcome | DdStateParts:
    """The drawdown state object, or a null outcome when there is none (or it is unusable)."""
    raw = dig(risk, "dd_state")
    if raw is None:
        return MISSING
    if isinstance(raw, str):
        return DdStateParts(state=parse_dd_label(raw), drawdown_frac=MISSING)
    form = as_mapping(raw)
    if form is None:
        return INVALID
    if not _usable(form):
        return UNUSABLE
    if form.get("dd_state") is not None:
        return DdStateParts(parse_dd_label(form["dd_state"]), _drawdown_frac(form, percent=True))
    if form.get("state") is not None:
        return DdStateParts(parse_dd_label(form["state"]), _drawdown_frac(form, percent=False))
    return DdStateParts(MISSING, _drawdown_frac(form, percent=True))


def _usable(form: object) -> bool:
    """False when the drawdown block (``drawdown.usable``, or ``usable`` beside the label in
    either form) says so. Only a real ``True`` or an absent / null flag vouches for the values:
    a flag present in any other shape (``"false"``, ``0``, ``"no"``) cannot be trusted to mean
    usable, so it counts as not usable."""
    for flag in (dig(form, "drawdown", "usable"), dig(form, "usable")):
        if flag is not None and flag is not True:
            return False
    return True


def _drawdown_frac(form: object, *, percent: bool) -> Outcome:
    """``drawdown.dd_pct`` as a fraction: a percent in form A, already a fraction in form C."""
    number = parse_number(dig(form, "drawdown", "dd_pct"))
    if number.ok and percent:
        number = found(number.value / 100.0)
    return in_range(number, 0.0, 1.0)


def atr_regime(risk: object) -> Outcome:
    """Volatility regime: top-level ``atr_regime``, else ``atr.atr_regime``."""
    return first_ok((
        parse_atr_regime(dig(risk, "atr_regime")),
        parse_atr_regime(dig(risk, "atr", "atr_regime")),
    ))


def fee_pnl_ratio(risk: object) -> Outcome:
    """Fees over abs(PnL): top-level ``fee_pnl_ratio``, else ``fee_pnl.fee_pnl_ratio``."""
    return first_ok((
        parse_non_negative(dig(risk, "fee_pnl_ratio")),
        parse_non_negative(dig(risk, "fee_pnl", "fee_pnl_ratio")),
    ))
