"""The simulated account rendered as the executor's snapshots, in the real shapes (SPEC.md s.4).

- ``nav_health``: ``nav_health_snapshot()``; ``nav_state``: ``logs/state/nav.json``;
- ``risk_snapshot``: ``RiskEngineV6`` after enrichment, ``dd_state`` in form A (``dd_pct`` in
  percent), ``atr`` and ``fee_pnl`` blocks, ``symbols[]`` execution-health entries;
- ``router_health``: ``router_health.json`` variant B (``per_symbol`` = ``symbols``, ``summary``,
  ``symbol_stats``);
- ``expectancy_v6.json`` is rendered by ``execution.sim_expectancy``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from execution.sim_account import Account
from execution.sim_market import Market, SymbolTape, atr_regime_of
from execution.sim_router import OFFSET_BPS, OrderStats, stats_of

NAV_THRESHOLD_S: Final = 90.0
CAUTIOUS_DD_PCT: Final = 0.5
DEFENSIVE_DD_PCT: Final = 2.0
MAX_PORTFOLIO_DD_FRAC: Final = 0.1


def dd_label(dd_pct: float) -> str:
    """RiskEngineV6 drawdown state for a drawdown in percent."""
    if dd_pct >= DEFENSIVE_DD_PCT:
        return "defensive"
    return "cautious" if dd_pct >= CAUTIOUS_DD_PCT else "normal"


def sharpe_label(sharpe: float | None) -> str:
    """Sharpe state: strong, neutral, poor, or unknown without enough returns."""
    if sharpe is None:
        return "unknown"
    if sharpe >= 1.0:
        return "strong"
    return "poor" if sharpe <= -1.0 else "neutral"


def iso(ts: float) -> str:
    """Epoch seconds as an ISO 8601 UTC string."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class SimView:
    """Everything one bar's snapshots are rendered from."""

    now_ts: float
    bar: int
    market: Market
    account: Account
    maker_first: dict[str, bool]
    nav_cache_ts: float
    stale_flags: dict[str, str]

    @property
    def marks(self) -> dict[str, float]:
        """Mark price per symbol (the bar's close)."""
        return {s: t.close for s, t in self.market.tapes.items()}

    @property
    def nav(self) -> float:
        """NAV at the marks, USDT."""
        return self.account.nav(self.marks)

    def stats(self, symbol: str) -> OrderStats:
        """Router window statistics of one symbol."""
        return stats_of(self.account.orders[symbol])


def nav_health(view: SimView) -> dict[str, Any]:
    """``nav_health_snapshot()``."""
    age = max(0.0, view.now_ts - view.nav_cache_ts)
    return {
        "age_s": round(age, 3),
        "sources_ok": not view.stale_flags,
        "stale_flags": dict(view.stale_flags),
        "fresh": age <= NAV_THRESHOLD_S and not view.stale_flags,
        "threshold_s": NAV_THRESHOLD_S,
        "cache_ts": view.nav_cache_ts,
        "cache_path": "logs/cache/nav_confirmed.json",
        "nav_total": round(view.nav, 2),
    }


def nav_state(view: SimView) -> dict[str, Any]:
    """``logs/state/nav.json``."""
    nav, wallet = round(view.nav, 2), round(view.account.wallet, 2)
    detail = {
        "breakdown": {"USDT": wallet},
        "quote_breakdown": {"USDT": wallet},
        "conversions": {},
        "futures_balances": {"USDT": nav},
        "fresh": not view.stale_flags,
        "source": "dry_run_sim",
        "nav_mode": "dry_run",
        "total_nav": nav,
        "nav": nav,
        "nav_usd": nav,
        "unrealized_pnl": round(nav - wallet, 2),
        "assets": {"USDT": nav},
        "asset_breakdown": {"USDT": nav},
    }
    return {
        "nav": nav,
        "nav_usd": nav,
        "updated_ts": iso(view.nav_cache_ts),
        "nav_detail": detail,
        "assets": {"USDT": nav},
        "nav_mode": "dry_run",
        "aum": {"futures": nav, "offexchange": {}, "total": nav},
    }


def positions_state(view: SimView) -> dict[str, Any]:
    """``logs/state/positions.json``: open positions, Binance position-risk fields."""
    rows = []
    for symbol, pos in view.account.positions.items():
        if not pos.qty:
            continue
        mark = view.marks[symbol]
        rows.append(
            {
                "symbol": symbol,
                "positionSide": "BOTH",
                "positionAmt": pos.qty,
                "entryPrice": round(pos.entry, 6),
                "markPrice": round(mark, 6),
                "unRealizedProfit": round(pos.unrealized(mark), 4),
                "notional": round(pos.qty * mark, 4),
                "leverage": 5,
                "marginType": "cross",
            }
        )
    return {"updated_ts": view.now_ts, "dry_run": True, "count": len(rows), "positions": rows}


def _policy(view: SimView, symbol: str) -> dict[str, Any]:
    stats, regime = view.stats(symbol), view.market.tapes[symbol].atr_regime
    maker_first = view.maker_first[symbol]
    quality = stats.quality()
    return {
        "maker_first": maker_first,
        "taker_bias": "prefer_maker" if maker_first else "prefer_taker",
        "quality": quality,
        "reason": f"quality={quality}; regime={regime}",
        "offset_bps": OFFSET_BPS.get(regime, OFFSET_BPS["unknown"]),
    }


def _router_entry(view: SimView, symbol: str) -> dict[str, Any]:
    stats, policy = view.stats(symbol), _policy(view, symbol)
    reliability = _r(stats.maker_reliability, 4)
    return {
        "symbol": symbol,
        "maker_fill_rate": _r(stats.maker_fill_rate, 4),
        "fallback_rate": _r(stats.fallback_rate, 4),
        "slippage_p50": _r(stats.slippage_q(0.5), 3),
        "slippage_p95": _r(stats.slippage_q(0.95), 3),
        "ack_latency_ms": None,
        "policy": policy,
        "maker_first": policy["maker_first"],
        "taker_bias": policy["taker_bias"],
        "bias": policy["taker_bias"],
        "quality": policy["quality"],
        "offset_bps": policy["offset_bps"],
        "updated_ts": view.now_ts,
        "autotune": {
            "adaptive_offset_bps": policy["offset_bps"],
            "maker_reliability": reliability,
            "maker_first": policy["maker_first"],
            "risk_mode": "OK",
            "effective_reliability": reliability,
        },
    }


def _symbol_stats(view: SimView, symbol: str) -> dict[str, Any]:
    stats, policy = view.stats(symbol), _policy(view, symbol)
    return {
        "maker_count": stats.maker,
        "taker_count": stats.taker,
        "fallback_count": stats.fallback,
        "reject_count": stats.reject,
        "order_count": stats.orders,
        "avg_slippage_bps": round(stats.avg_slippage_bps, 3),
        "maker_reliability": _r(stats.maker_reliability, 4),
        "last_ts": view.now_ts,
        "adaptive_offset_bps": policy["offset_bps"],
        "maker_first": policy["maker_first"],
        "risk_mode": "OK",
        "effective_reliability": _r(stats.maker_reliability, 4),
    }


def router_health(view: SimView) -> dict[str, Any]:
    """``router_health.json`` variant B."""
    symbols = list(view.market.tapes)
    entries = [_router_entry(view, s) for s in symbols]
    counts = {"good": 0, "ok": 0, "degraded": 0, "broken": 0}
    for entry in entries:
        counts[entry["quality"]] += 1
    rates = [e["maker_fill_rate"] for e in entries if e["maker_fill_rate"] is not None]
    score = round(statistics.fmean(rates), 4) if rates else 0.0
    return {
        "updated_ts": view.now_ts,
        "summary": {
            "updated_ts": view.now_ts,
            "count": len(entries),
            "quality_counts": counts,
            "maker_first_enabled": sum(1 for e in entries if e["maker_first"]),
        },
        "symbol_stats": {s: _symbol_stats(view, s) for s in symbols},
        "global": {"router_health_score": score, "last_update_ts": view.now_ts},
        "router_health_score": score,
        "symbols": entries,
        "per_symbol": [dict(e) for e in entries],
    }


def _size_parts(view: SimView, symbol: str) -> tuple[float, float, float]:
    """(regime, Sharpe, drawdown) size multipliers of one symbol."""
    regime = view.market.tapes[symbol].atr_regime
    dd_pct = view.account.drawdown(view.nav)[0] * 100
    sharpe = view.account.sharpe()
    regime_mult = {"hot": 0.7, "panic": 0.4}.get(regime, 1.0)
    sharpe_mult = 1.0 if sharpe is None else min(1.25, max(0.5, 1.0 + 0.1 * sharpe))
    dd_mult = {"cautious": 0.6, "defensive": 0.3}.get(dd_label(dd_pct), 1.0)
    return regime_mult, sharpe_mult, dd_mult


def size_factor(view: SimView, symbol: str) -> float:
    """The sizing factor the strategy applies to its base notional."""
    regime_mult, sharpe_mult, dd_mult = _size_parts(view, symbol)
    return round(regime_mult * sharpe_mult * dd_mult, 4)


def _sizing(view: SimView, symbol: str) -> dict[str, float | None]:
    regime_mult, sharpe_mult, _ = _size_parts(view, symbol)
    return {
        "sharpe_7d": _r(view.account.sharpe(), 4),
        "size_mult_sharpe": round(sharpe_mult, 4),
        "size_mult_regime": regime_mult,
        "intel_size_factor": 1.0,
        "size_mult_combined": round(regime_mult * sharpe_mult, 4),
        "final_size_factor": size_factor(view, symbol),
    }


def _atr_block(tape: SymbolTape) -> dict[str, Any]:
    """ATR now and median as a percent of price, their ratio and the regime label."""
    now, med = tape.atr, tape.atr_median
    return {
        "atr_now": _r(None if now is None else now / tape.close * 100, 4),
        "atr_med": _r(None if med is None else med / tape.close * 100, 4),
        "atr_ratio": _r(tape.atr_ratio, 4),
        "atr_regime": tape.atr_regime,
    }


def _risk_symbol(view: SimView, symbol: str, label: str, daily_pct: float) -> dict[str, Any]:
    tape, stats, policy = view.market.tapes[symbol], view.stats(symbol), _policy(view, symbol)
    return {
        "schema": "execution_health_v1",
        "symbol": symbol,
        "router": {
            "router_warnings": [],
            "maker_fill_ratio": _r(stats.maker_fill_rate, 4),
            "fallback_ratio": _r(stats.fallback_rate, 4),
            "slip_q25": _r(stats.slippage_q(0.25), 3),
            "slip_q50": _r(stats.slippage_q(0.5), 3),
            "slip_q75": _r(stats.slippage_q(0.75), 3),
            "last_route_decision": None,
            "policy_quality": policy["quality"],
            "policy_maker_first": policy["maker_first"],
            "policy_taker_bias": policy["taker_bias"],
            "policy_reason": policy["reason"],
            "maker_offset_bps": policy["offset_bps"],
            "policy": policy,
        },
        "risk": {
            "dd_today_pct": round(daily_pct, 4),
            "dd_state": label,
            "risk_flags": [],
            "sharpe_state": sharpe_label(view.account.sharpe()),
            "toggle_active": False,
            "toggle_meta": None,
        },
        "vol": _atr_block(tape),
        "sizing": _sizing(view, symbol),
        "errors": {},
        "events": {"risk_gates": []},
        "updated_ts": view.now_ts,
    }


def risk_snapshot(view: SimView, health: dict[str, Any]) -> dict[str, Any]:
    """``RiskEngineV6.build_risk_snapshot()`` after ``write_risk_snapshot_state`` enrichment."""
    account, nav = view.account, view.nav
    dd_frac, dd_abs = account.drawdown(nav)
    dd_pct, daily_frac = dd_frac * 100, account.daily_loss_frac(nav)
    label = dd_label(dd_pct)
    fees, pnl = account.fee_pnl()
    fee_pnl_ratio = round(fees / abs(pnl), 4) if abs(pnl) >= 0.01 else None
    median_ratio = view.market.median_atr_ratio()
    atr_regime = atr_regime_of(median_ratio)
    drawdown = {
        "dd_pct": round(dd_pct, 4),
        "dd_abs": round(dd_abs, 2),
        "peak": round(account.peak_nav, 2),
        "nav": round(nav, 2),
        "realized_today": round(account.realized_today, 2),
        "nav_cache_ts": view.nav_cache_ts,
        "nav_cache_age": health["age_s"],
        "peak_state_age": 0.0,
        "stale_flags": dict(view.stale_flags),
        "usable": not view.stale_flags,
        "drawdown": {
            "pct": round(dd_pct, 4),
            "abs": round(dd_abs, 2),
            "peak_nav": round(account.peak_nav, 2),
            "nav": round(nav, 2),
        },
        "daily_loss": {
            "pct": round(daily_frac * 100, 4),
            "daily_peak": round(account.daily_peak, 2),
            "nav": round(nav, 2),
        },
        "assets": {},
    }
    mode = {"normal": "OK", "cautious": "CAUTIOUS", "defensive": "DEFENSIVE"}[label]
    return {
        "updated_ts": view.now_ts,
        "symbols": [_risk_symbol(view, s, label, daily_frac * 100) for s in view.market.tapes],
        "dd_state": {"dd_state": label, "drawdown": drawdown},
        "atr": {
            "atr_regime": atr_regime,
            "median_ratio": _r(median_ratio, 4),
            "symbols": [
                {**_atr_block(t), "symbol": s} for s, t in view.market.tapes.items()
            ],
        },
        "fee_pnl": {
            "fee_pnl_ratio": fee_pnl_ratio,
            "fees": round(fees, 4),
            "pnl": round(pnl, 4),
            "window_days": 7,
        },
        "nav_health": health,
        "risk_config_meta": {
            "testnet_overrides_active": False,
            "max_nav_drawdown_pct": 0.3,
            "daily_loss_limit_pct": 0.01,
        },
        "dd_frac": round(dd_frac, 6),
        "daily_loss_frac": round(daily_frac, 6),
        "portfolio_dd_pct": round(dd_pct, 4),
        "circuit_breaker": {
            "max_portfolio_dd_nav_pct": MAX_PORTFOLIO_DD_FRAC,
            "active": dd_frac >= MAX_PORTFOLIO_DD_FRAC,
        },
        "correlation_groups": {},
        "risk_mode": mode,
        "risk_mode_reason": "all_systems_healthy" if mode == "OK" else f"drawdown {dd_pct:.2f}%",
        "risk_mode_score": round(min(1.0, dd_frac / MAX_PORTFOLIO_DD_FRAC), 4),
        "tp_sl_registry": {
            "num_positions": sum(1 for p in account.positions.values() if p.qty),
            "num_registry_entries": 0,
            "registry_mismatch": False,
        },
        "anomalies": {},
        "atr_regime": atr_regime,
        "fee_pnl_ratio": fee_pnl_ratio,
    }
