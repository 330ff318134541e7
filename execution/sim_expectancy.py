"""``expectancy_v6.json`` from the simulated account's closed round trips.

The shape is the intel module's: ``symbols{SYM: {count, expectancy (USD per trade),
is_mature, ...}}`` plus ``hours{}`` (by hour of day of the close) and ``regimes{}`` (by ATR regime
at the close), over the trades closed in the last ``LOOKBACK_HOURS``. An entry with fewer than
``MATURE_TRADES`` trades is immature and carries the placeholder ``expectancy: 0.0``; a symbol
without any trade gets a synthetic prior (``is_prior: true``), which the KPI builder skips.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any, Final

from execution.sim_account import BARS_PER_HOUR, ClosedTrade
from execution.sim_snapshots import SimView

MATURE_TRADES: Final = 10
LOOKBACK_HOURS: Final = 48.0


def _trade_stats(pnls: list[float]) -> dict[str, Any]:
    """One ``expectancy_v6`` entry; immature entries carry the placeholder expectancy 0.0."""
    if len(pnls) < MATURE_TRADES:
        return {
            "count": len(pnls),
            "hit_rate": None,
            "avg_return": None,
            "avg_win": None,
            "avg_loss": None,
            "expectancy": 0.0,
            "expectancy_per_risk": 0.0,
            "max_drawdown": 0.0,
            "drawdown_adjusted": 0.0,
            "is_mature": False,
        }
    wins, losses = [p for p in pnls if p > 0], [p for p in pnls if p <= 0]
    expectancy = statistics.fmean(pnls)
    avg_loss = statistics.fmean(losses) if losses else 0.0
    equity = peak = max_dd = 0.0
    for pnl in pnls:
        equity += pnl
        peak = max(peak, equity)
        max_dd = max(max_dd, peak - equity)
    return {
        "count": len(pnls),
        "hit_rate": round(len(wins) / len(pnls), 4),
        "avg_return": round(expectancy, 6),
        "avg_win": round(statistics.fmean(wins), 6) if wins else 0.0,
        "avg_loss": round(avg_loss, 6),
        "expectancy": round(expectancy, 6),
        "expectancy_per_risk": round(expectancy / abs(avg_loss), 6) if avg_loss else 0.0,
        "max_drawdown": round(max_dd, 6),
        "drawdown_adjusted": round(expectancy - max_dd / len(pnls), 6),
        "is_mature": True,
    }


def _prior(view: SimView, symbol: str) -> dict[str, Any]:
    """Synthetic prior for a symbol without closed trades (skipped by the KPI builder)."""
    tape, stats = view.market.tapes[symbol], view.stats(symbol)
    trend = (tape.close - tape.ema) / tape.ema / tape.base_vol if tape.ema else 0.0
    regime_base = 0.01 if tape.atr_regime in ("quiet", "normal") else -0.01
    router_adj = -0.005 if stats.quality() in ("degraded", "broken") else 0.0
    trend_adj = round(max(-0.01, min(0.01, 0.002 * trend)), 4)
    expectancy = round(regime_base + router_adj + trend_adj, 4)
    return {
        "count": 0,
        "expectancy": expectancy,
        "expectancy_per_risk": round(expectancy * 10, 4),
        "hit_rate": None,
        "avg_return": None,
        "avg_win": None,
        "avg_loss": None,
        "max_drawdown": 0.0,
        "drawdown_adjusted": expectancy,
        "is_mature": False,
        "is_prior": True,
        "prior_components": {
            "regime_base": regime_base,
            "vol_adj": 0.0,
            "router_adj": router_adj,
            "trend_adj": trend_adj,
            "carry_adj": 0.0,
        },
        "prior_inputs": {"regime": tape.atr_regime, "vol_state": tape.atr_regime},
    }


def _grouped(trades: Iterable[ClosedTrade], key: int) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[float]] = {}
    for trade in trades:
        label = str((trade[1] // BARS_PER_HOUR) % 24) if key == 1 else trade[2]
        groups.setdefault(label, []).append(trade[0])
    return {label: _trade_stats(pnls) for label, pnls in sorted(groups.items())}


def expectancy_state(view: SimView) -> dict[str, Any]:
    """``expectancy_v6.json`` from the closed trades of the last ``LOOKBACK_HOURS``."""
    since = view.bar - int(LOOKBACK_HOURS * BARS_PER_HOUR)
    recent = {s: [t for t in w if t[1] > since] for s, w in view.account.trades.items()}
    symbols = {
        s: _trade_stats([t[0] for t in trades]) if trades else _prior(view, s)
        for s, trades in recent.items()
    }
    every = [t for trades in recent.values() for t in trades]
    return {
        "symbols": symbols,
        "hours": _grouped(every, 1),
        "regimes": _grouped(every, 2),
        "sample_count": len(every),
        "lookback_hours": LOOKBACK_HOURS,
        "updated_ts": view.now_ts,
        "has_prior": any(entry.get("is_prior") for entry in symbols.values()),
    }
