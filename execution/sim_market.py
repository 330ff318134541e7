"""Simulated USDT-M perpetual prices: bars, a volatility regime and Wilder's ATR.

One call to ``Market.advance`` is one one-minute bar for every symbol. A hidden market-wide
volatility state (a Markov chain: calm, normal, hot, panic) scales each symbol's per-bar
volatility, and a slowly varying drift gives the prices trends. The ATR regime the risk snapshot
reports is *measured* from the bars (ATR now against its own recent median), not read from the
hidden state.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

ATR_PERIOD: Final = 14
ATR_HISTORY: Final = 120
WARMUP_BARS: Final = 150
SUBSTEPS: Final = 4

#: symbol -> (start price, volatility per one-minute bar as a fraction of price)
SYMBOLS: Final[dict[str, tuple[float, float]]] = {
    "BTCUSDT": (64_000.0, 0.0016),
    "ETHUSDT": (3_200.0, 0.0021),
    "SOLUSDT": (145.0, 0.0028),
}

#: hidden volatility states: (name, multiplier); transitions move one state at a time
VOL_STATES: Final[tuple[tuple[str, float], ...]] = (
    ("calm", 0.45),
    ("normal", 1.0),
    ("hot", 2.2),
    ("panic", 4.0),
)
_STAY: Final = (0.985, 0.975, 0.95, 0.9)
_UP_SHARE: Final = (1.0, 0.35, 0.3, 0.0)


def atr_regime_of(ratio: float | None) -> str:
    """The ATR regime label for ATR now / median ATR."""
    if ratio is None or not math.isfinite(ratio):
        return "unknown"
    if ratio < 0.8:
        return "quiet"
    if ratio < 1.35:
        return "normal"
    if ratio < 2.0:
        return "hot"
    return "panic"


@dataclass
class SymbolTape:
    """Price, drift, trend filter and ATR of one symbol."""

    symbol: str
    base_vol: float
    close: float
    drift: float = 0.0
    ema: float = 0.0
    atr: float | None = None
    atr_history: deque[float] = field(default_factory=lambda: deque(maxlen=ATR_HISTORY))

    def bar(self, rng: random.Random, vol_mult: float) -> None:
        """Advance one bar: a sub-stepped random walk with drift; update EMA and ATR."""
        sigma = self.base_vol * vol_mult / math.sqrt(SUBSTEPS)
        self.drift = 0.97 * self.drift + rng.gauss(0.0, 0.05 * self.base_vol)
        price = prev = self.close
        high = low = price
        for _ in range(SUBSTEPS):
            price *= math.exp(self.drift / SUBSTEPS + rng.gauss(0.0, sigma))
            high, low = max(high, price), min(low, price)
        high *= 1.0 + abs(rng.gauss(0.0, sigma / 3))
        low *= 1.0 - abs(rng.gauss(0.0, sigma / 3))
        true_range = max(high - low, abs(high - prev), abs(low - prev))
        self.atr = (
            true_range
            if self.atr is None
            else (self.atr * (ATR_PERIOD - 1) + true_range) / ATR_PERIOD
        )
        self.atr_history.append(self.atr)
        self.close = price
        self.ema = price if self.ema == 0.0 else self.ema + (price - self.ema) * 2 / 21

    @property
    def atr_median(self) -> float | None:
        """Median ATR over the recent history (None before the first bar)."""
        return statistics.median(self.atr_history) if self.atr_history else None

    @property
    def atr_ratio(self) -> float | None:
        """ATR now divided by its recent median."""
        median = self.atr_median
        if self.atr is None or not median:
            return None
        return self.atr / median

    @property
    def atr_regime(self) -> str:
        """Regime label measured from this symbol's bars."""
        return atr_regime_of(self.atr_ratio)

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state (floats round-trip exactly through JSON)."""
        return {
            "symbol": self.symbol,
            "base_vol": self.base_vol,
            "close": self.close,
            "drift": self.drift,
            "ema": self.ema,
            "atr": self.atr,
            "atr_history": list(self.atr_history),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SymbolTape:
        """Inverse of ``to_state``."""
        return cls(
            symbol=str(state["symbol"]),
            base_vol=float(state["base_vol"]),
            close=float(state["close"]),
            drift=float(state["drift"]),
            ema=float(state["ema"]),
            atr=None if state["atr"] is None else float(state["atr"]),
            atr_history=deque((float(v) for v in state["atr_history"]), maxlen=ATR_HISTORY),
        )


@dataclass
class Market:
    """All symbols' tapes plus the hidden volatility state."""

    tapes: dict[str, SymbolTape]
    vol_state: int = 1

    @classmethod
    def create(cls, rng: random.Random) -> Market:
        """A market at its start prices, warmed up with ``WARMUP_BARS`` bars of history."""
        market = cls({s: SymbolTape(s, vol, price) for s, (price, vol) in SYMBOLS.items()})
        for _ in range(WARMUP_BARS):
            market.advance(rng)
        return market

    @property
    def vol_state_name(self) -> str:
        """Name of the hidden volatility state."""
        return VOL_STATES[self.vol_state][0]

    def advance(self, rng: random.Random) -> None:
        """One bar for every symbol, after a possible volatility-state transition."""
        state = self.vol_state
        if rng.random() > _STAY[state]:
            up = rng.random() < _UP_SHARE[state]
            self.vol_state = min(state + 1, len(VOL_STATES) - 1) if up else max(state - 1, 0)
        mult = VOL_STATES[self.vol_state][1]
        for tape in self.tapes.values():
            tape.bar(rng, mult)

    def median_atr_ratio(self) -> float | None:
        """Median over symbols of ATR now / median ATR."""
        ratios = [r for r in (t.atr_ratio for t in self.tapes.values()) if r is not None]
        return statistics.median(ratios) if ratios else None

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {
            "vol_state": self.vol_state,
            "tapes": [tape.to_state() for tape in self.tapes.values()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Market:
        """Inverse of ``to_state``."""
        tapes = [SymbolTape.from_state(t) for t in state["tapes"]]
        return cls({t.symbol: t for t in tapes}, vol_state=int(state["vol_state"]))
