"""The status rules: ONE table deciding ``ok`` / ``warn`` / ``critical`` for every KPI card.

Each row is keyed by the KPI's dotted path and carries the reasoning beside the rule (issue 8).
Thresholds come from the executor's own risk settings where it has them
(``execution/sim_snapshots.py``: NAV fresh for 90 s, ``cautious`` from 0.5 % and ``defensive``
from 2 % drawdown, the portfolio drawdown limit at 10 %); the others are the operators' defaults,
written down here so the dashboard team changes them in one place.

``no_data`` is not decided here: a null KPI is always ``no_data`` (``view.kpi_cards``), whatever
its rule. A KPI without a row (a leaf a later 7.x adds) is informational: ``ok`` when it has a
value, because there is nothing agreed to judge it by. Sample counts (7.1.0) are not judged at
all: they are shown on their ratio's card and leave its status as this table gives it. A label a
rule does not list is ``warn`` (the panel does not know what it means, so it does not call it
healthy).

``rules_markdown()`` renders the table for ``docs/dashboard-migration.md``; a test keeps the two
identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "critical", "no_data"]
STATUSES: tuple[Status, ...] = ("critical", "warn", "no_data", "ok")  # most to least urgent


@dataclass(frozen=True)
class LabelRule:
    """A status per label; a label not listed is ``warn``."""

    statuses: Mapping[str, Status]
    why: str

    def status(self, value: object) -> Status:
        return self.statuses.get(value, "warn") if isinstance(value, str) else "warn"

    def describe(self) -> str:
        groups = [
            f"{status}: " + ", ".join(f"`{label}`" for label, s in self.statuses.items()
                                      if s == status)
            for status in ("ok", "warn", "critical")
            if status in self.statuses.values()
        ]
        return "; ".join(groups) + "; any other label: warn"


@dataclass(frozen=True)
class FlagRule:
    """A status for ``true`` and one for ``false``."""

    when_true: Status
    when_false: Status
    why: str

    def status(self, value: object) -> Status:
        if not isinstance(value, bool):
            return "warn"
        return self.when_true if value else self.when_false

    def describe(self) -> str:
        return f"`true`: {self.when_true}; `false`: {self.when_false}"


@dataclass(frozen=True)
class ThresholdRule:
    """``warn`` / ``critical`` from a bound on a number.

    ``worse="higher"``: the status applies when the value is at or above the bound (strictly above
    with ``strict``); ``worse="lower"``: at or below (strictly below). A bound of None never fires.
    """

    warn: float | None
    critical: float | None
    worse: Literal["higher", "lower"]
    why: str
    strict: bool = False

    def status(self, value: object) -> Status:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "warn"
        if self._reached(float(value), self.critical):
            return "critical"
        if self._reached(float(value), self.warn):
            return "warn"
        return "ok"

    def _reached(self, value: float, bound: float | None) -> bool:
        if bound is None:
            return False
        if self.worse == "higher":
            return value > bound if self.strict else value >= bound
        return value < bound if self.strict else value <= bound

    def describe(self) -> str:
        op = {("higher", False): ">=", ("higher", True): ">",
              ("lower", False): "<=", ("lower", True): "<"}[(self.worse, self.strict)]
        parts = [f"{name}: value {op} {bound:g}"
                 for name, bound in (("warn", self.warn), ("critical", self.critical))
                 if bound is not None]
        return "; ".join(parts) + "; else ok"


@dataclass(frozen=True)
class InfoRule:
    """No judgement: ``ok`` whenever there is a value."""

    why: str

    def status(self, value: object) -> Status:
        return "ok"

    def describe(self) -> str:
        return "informational: ok when present"


Rule = LabelRule | FlagRule | ThresholdRule | InfoRule

INFORMATIONAL = InfoRule("no agreed threshold: shown, never judged")

STATUS_RULES: Mapping[str, Rule] = {
    "nav.nav_total": InfoRule(
        "The NAV's level says nothing about health on its own; its drop shows up as drawdown. "
        "A NAV of 0 or below is never a value (SPEC 5a: null, invalid)."),
    "nav.nav_age_s": ThresholdRule(
        warn=90, critical=300, worse="higher", strict=True,
        why="The executor's NAV health calls a NAV older than 90 s not fresh (NAV_THRESHOLD_S); "
            "after 5 minutes risk sizing runs on a NAV that may be far off."),
    "nav.sources_ok": FlagRule(
        when_true="ok", when_false="warn",
        why="A NAV source is stale or failing (the snapshot's stale_flags): the NAV may lag. "
            "Not critical by itself: the NAV age rule catches a NAV that stopped."),
    "risk.dd_state.state": LabelRule(
        {"normal": "ok", "recovery": "warn", "cautious": "warn", "defensive": "critical",
         "drawdown": "critical", "unknown": "warn"},
        why="The risk engine's own verdict. `cautious` and `recovery` already cut position sizes; "
            "`defensive` / `drawdown` mean it is fighting a loss. `unknown` is the engine saying "
            "it cannot tell, which is not healthy."),
    "risk.dd_state.drawdown_frac": ThresholdRule(
        warn=0.02, critical=0.10, worse="higher",
        why="The executor turns defensive at 2 % below the NAV peak and its portfolio drawdown "
            "limit is 10 % (MAX_PORTFOLIO_DD_FRAC). Judged on its own, so a 7.5 % drawdown warns "
            "even when the state label beside it is null."),
    "risk.atr_regime": LabelRule(
        {"quiet": "ok", "normal": "ok", "hot": "warn", "panic": "critical", "unknown": "warn"},
        why="`hot` volatility shrinks sizes and widens stops: watch it. `panic` is a market the "
            "strategy is not built for. `unknown`: the regime could not be computed."),
    "risk.fee_pnl_ratio": ThresholdRule(
        warn=0.5, critical=1.0, worse="higher",
        why="Fees eating half of the realised PnL is a warning; at 1 and above fees exceed "
            "the PnL itself (SPEC 3: above 1 is legitimate, and the worst case)."),
    "router.policy_quality": LabelRule(
        {"good": "ok", "ok": "ok", "degraded": "warn", "broken": "critical"},
        why="The worst per-symbol routing quality (SPEC 5). `degraded` costs slippage and "
            "fees; `broken` means orders for at least one symbol are not routed as intended."),
    "router.maker_first": FlagRule(
        when_true="ok", when_false="warn",
        why="Maker-first routing off for most symbols means paying taker fees (5 bps against "
            "2 bps in the executor's fee model), usually because the router fell back."),
    "router.maker_fill_share": InfoRule(
        "Depends on the symbol mix and market; there is no agreed floor, so no judgement. "
        "Maker-first being off is flagged by its own card."),
    "router.avg_slippage_bps": InfoRule(
        "Depends on symbol liquidity; negative is price improvement. No agreed bound yet: add "
        "a ThresholdRule here when the team settles one."),
    "router.reject_rate": ThresholdRule(
        warn=0.05, critical=0.20, worse="higher",
        why="A few percent of post-only maker orders are rejected in normal trading; from 5 % "
            "something is off (filters, margin, rate limits), from 20 % routing is failing."),
    "performance.expectancy": ThresholdRule(
        warn=0.0, critical=None, worse="lower", strict=True,
        why="A negative expectancy means the mature symbols lose money per trade on average. "
            "Not critical: it is a 48 h statistic, not an emergency."),
    "performance.sharpe_state": LabelRule(
        {"strong": "ok", "neutral": "ok", "poor": "warn", "unknown": "warn"},
        why="`poor` risk-adjusted returns deserve a look; `unknown` is not a healthy default "
            "(the old dashboard showed 0.00)."),
}


def rule_for(path: str) -> Rule:
    """The rule of the KPI at ``path``; informational for a KPI the table does not list."""
    return STATUS_RULES.get(path, INFORMATIONAL)


def status_of(path: str, value: object) -> Status:
    """The status of a non-null ``value`` of the KPI at ``path``."""
    return rule_for(path).status(value)


def worst(statuses: list[Status]) -> Status:
    """The most urgent of ``statuses`` (critical > warn > no_data > ok); ``ok`` when empty."""
    return min(statuses, key=STATUSES.index, default="ok")


def rules_markdown() -> str:
    """The table as Markdown: path, rule, why (the section of docs/dashboard-migration.md)."""
    lines = ["| kpis_v7 path | status rule | why |", "|---|---|---|"]
    for path, rule in STATUS_RULES.items():
        why = rule.why.replace("|", "\\|")
        lines.append(f"| `{path}` | {rule.describe()} | {why} |")
    return "\n".join(lines)
