"""The simulated USDT-M futures account: wallet, positions, PnL, fees, drawdown and Sharpe.

NAV is the wallet balance (start balance + realised PnL - fees) plus the unrealised PnL of the
open positions at the marks. Positions keep an average entry price; a fill against the position
realises ``closed qty * (price - entry)``. A round trip (flat again, or flipped) is one closed
trade whose net PnL (realised minus every fee paid on it) feeds the expectancy. Fees and realised
PnL are also kept in hourly buckets over seven simulated days for the fee/PnL ratio.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

from execution.sim_router import ORDER_WINDOW, Fill, OrderEvent

START_BALANCE: Final = 5_000.0
TRADE_WINDOW: Final = 200
FEE_PNL_HOURS: Final = 7 * 24
SHARPE_WINDOW: Final = 240
SHARPE_MIN_RETURNS: Final = 30
BARS_PER_HOUR: Final = 60
BARS_PER_DAY: Final = 24 * BARS_PER_HOUR

ClosedTrade = tuple[float, int, str]
"""(net PnL in USDT, bar it closed on, ATR regime at the close)."""


@dataclass
class Position:
    """One symbol's open position and what its round trip has cost and realised so far."""

    qty: float = 0.0
    entry: float = 0.0
    fees: float = 0.0
    realized: float = 0.0

    def unrealized(self, mark: float) -> float:
        """Unrealised PnL at ``mark``."""
        return self.qty * (mark - self.entry) if self.qty else 0.0


@dataclass
class Account:
    """Wallet, positions and the rolling windows the snapshots are computed from."""

    symbols: tuple[str, ...]
    wallet: float = START_BALANCE
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[str, deque[OrderEvent]] = field(default_factory=dict)
    trades: dict[str, deque[ClosedTrade]] = field(default_factory=dict)
    hourly: deque[list[float]] = field(default_factory=lambda: deque(maxlen=FEE_PNL_HOURS))
    peak_nav: float = START_BALANCE
    daily_peak: float = START_BALANCE
    day: int = 0
    realized_today: float = 0.0
    nav_returns: deque[float] = field(default_factory=lambda: deque(maxlen=SHARPE_WINDOW))
    last_nav: float = START_BALANCE

    def __post_init__(self) -> None:
        for symbol in self.symbols:
            self.positions.setdefault(symbol, Position())
            self.orders.setdefault(symbol, deque(maxlen=ORDER_WINDOW))
            self.trades.setdefault(symbol, deque(maxlen=TRADE_WINDOW))

    # --- arithmetic ---------------------------------------------------------------------

    def nav(self, marks: dict[str, float]) -> float:
        """Wallet balance plus unrealised PnL at ``marks``."""
        return self.wallet + sum(p.unrealized(marks[s]) for s, p in self.positions.items())

    def drawdown(self, nav: float) -> tuple[float, float]:
        """(fraction, USDT) below the NAV peak."""
        dd_abs = max(0.0, self.peak_nav - nav)
        return (dd_abs / self.peak_nav if self.peak_nav > 0 else 0.0), dd_abs

    def daily_loss_frac(self, nav: float) -> float:
        """Fraction below today's NAV peak."""
        return max(0.0, self.daily_peak - nav) / self.daily_peak if self.daily_peak > 0 else 0.0

    def fee_pnl(self) -> tuple[float, float]:
        """(fees, gross realised PnL) over the fee/PnL window, USDT."""
        return sum(b[1] for b in self.hourly), sum(b[2] for b in self.hourly)

    def sharpe(self) -> float | None:
        """Sharpe of the per-bar NAV returns over the window (mean / stdev * sqrt(n))."""
        if len(self.nav_returns) < SHARPE_MIN_RETURNS:
            return None
        stdev = statistics.pstdev(self.nav_returns)
        if stdev <= 0:
            return None
        return statistics.fmean(self.nav_returns) / stdev * math.sqrt(len(self.nav_returns))

    # --- events ---------------------------------------------------------------------------

    def record_order(self, symbol: str, event: OrderEvent) -> None:
        """Add an order to the symbol's router window."""
        self.orders[symbol].append(event)

    def apply_fill(self, symbol: str, fill: Fill, bar: int, regime: str) -> None:
        """Book a fill: position, average entry, realised PnL, fees, closed round trips."""
        pos = self.positions[symbol]
        realized = 0.0
        if pos.qty == 0 or (pos.qty > 0) == (fill.qty > 0):
            new_qty = pos.qty + fill.qty
            pos.entry = (abs(pos.qty) * pos.entry + abs(fill.qty) * fill.price) / abs(new_qty)
            pos.qty, pos.fees = new_qty, pos.fees + fill.fee
        else:
            closing = min(abs(fill.qty), abs(pos.qty))
            realized = closing * (fill.price - pos.entry) * (1.0 if pos.qty > 0 else -1.0)
            close_fee = fill.fee * closing / abs(fill.qty)
            pos.realized += realized
            pos.fees += close_fee
            if closing < abs(pos.qty):
                pos.qty += fill.qty
            else:
                self.trades[symbol].append((pos.realized - pos.fees, bar, regime))
                rest = fill.qty + pos.qty
                self.positions[symbol] = Position(
                    qty=rest, entry=fill.price if rest else 0.0, fees=fill.fee - close_fee
                )
        self.wallet += realized - fill.fee
        self.realized_today += realized - fill.fee
        self._bucket(bar)[1] += fill.fee
        self._bucket(bar)[2] += realized

    def close_bar(self, bar: int, nav: float) -> None:
        """End of a bar: NAV return, NAV peak, daily peak."""
        if self.last_nav > 0:
            self.nav_returns.append(nav / self.last_nav - 1.0)
        self.last_nav = nav
        self.peak_nav = max(self.peak_nav, nav)
        day = bar // BARS_PER_DAY
        if day != self.day:
            self.day, self.daily_peak, self.realized_today = day, nav, 0.0
        self.daily_peak = max(self.daily_peak, nav)

    def _bucket(self, bar: int) -> list[float]:
        hour = float(bar // BARS_PER_HOUR)
        if not self.hourly or self.hourly[-1][0] != hour:
            self.hourly.append([hour, 0.0, 0.0])
        return self.hourly[-1]

    # --- persistence ----------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {
            "symbols": list(self.symbols),
            "wallet": self.wallet,
            "positions": {
                s: [p.qty, p.entry, p.fees, p.realized] for s, p in self.positions.items()
            },
            "orders": {s: [list(e) for e in w] for s, w in self.orders.items()},
            "trades": {s: [list(t) for t in w] for s, w in self.trades.items()},
            "hourly": [list(b) for b in self.hourly],
            "peak_nav": self.peak_nav,
            "daily_peak": self.daily_peak,
            "day": self.day,
            "realized_today": self.realized_today,
            "nav_returns": list(self.nav_returns),
            "last_nav": self.last_nav,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Account:
        """Inverse of ``to_state``."""
        return cls(
            symbols=tuple(state["symbols"]),
            wallet=float(state["wallet"]),
            positions={s: Position(*map(float, p)) for s, p in state["positions"].items()},
            orders={
                s: deque(((str(k), bool(f), sl) for k, f, sl in w), maxlen=ORDER_WINDOW)
                for s, w in state["orders"].items()
            },
            trades={
                s: deque(((float(p), int(b), str(r)) for p, b, r in w), maxlen=TRADE_WINDOW)
                for s, w in state["trades"].items()
            },
            hourly=deque((list(map(float, b)) for b in state["hourly"]), maxlen=FEE_PNL_HOURS),
            peak_nav=float(state["peak_nav"]),
            daily_peak=float(state["daily_peak"]),
            day=int(state["day"]),
            realized_today=float(state["realized_today"]),
            nav_returns=deque(map(float, state["nav_returns"]), maxlen=SHARPE_WINDOW),
            last_nav=float(state["last_nav"]),
        )
