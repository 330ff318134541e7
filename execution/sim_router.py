"""Simulated order routing: maker-first with taker fallback, rejects, slippage and fees.

Every order is recorded as an ``OrderEvent`` in a rolling per-symbol window; the router health
the snapshots report (maker fill rate, fallback rate, slippage quantiles, reject counts, policy
quality) is computed from that window, and the routing policy for the next bar follows from it.
Slippage is in basis points against the bar's close, signed so that positive is worse for us.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

MAKER_FEE: Final = 0.0002
TAKER_FEE: Final = 0.0005
ORDER_WINDOW: Final = 100

#: per ATR regime: (maker fill probability, reject probability, half spread in bps)
_REGIME_BOOK: Final[dict[str, tuple[float, float, float]]] = {
    "quiet": (0.75, 0.01, 0.4),
    "normal": (0.62, 0.02, 0.6),
    "hot": (0.42, 0.04, 1.2),
    "panic": (0.22, 0.09, 2.5),
    "unknown": (0.5, 0.03, 1.0),
}
OFFSET_BPS: Final[dict[str, float]] = {
    "quiet": 2.0,
    "normal": 4.0,
    "hot": 6.0,
    "panic": 8.0,
    "unknown": 4.0,
}

OrderEvent = tuple[str, bool, float | None]
"""(kind: ``maker`` | ``taker`` | ``reject``, fell back from maker to taker, slippage bps)."""


def quantile(values: list[float], q: float) -> float | None:
    """Linear-interpolated quantile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class OrderStats:
    """Counts and slippage over one symbol's order window."""

    maker: int
    taker: int
    fallback: int
    reject: int
    slippages: tuple[float, ...]

    @property
    def orders(self) -> int:
        """Orders sent, rejected ones included."""
        return self.maker + self.taker + self.reject

    @property
    def fills(self) -> int:
        """Orders filled (maker or taker)."""
        return self.maker + self.taker

    @property
    def maker_fill_rate(self) -> float | None:
        """Maker fills / fills; None without fills."""
        return self.maker / self.fills if self.fills else None

    @property
    def fallback_rate(self) -> float | None:
        """Maker attempts that fell back to taker / fills; None without fills."""
        return self.fallback / self.fills if self.fills else None

    @property
    def maker_reliability(self) -> float | None:
        """Maker attempts that filled as maker; None without maker attempts."""
        attempts = self.maker + self.fallback
        return self.maker / attempts if attempts else None

    @property
    def reject_ratio(self) -> float:
        """Rejected / sent (0.0 without orders)."""
        return self.reject / self.orders if self.orders else 0.0

    @property
    def avg_slippage_bps(self) -> float:
        """Mean fill slippage (0.0 without fills, as the executor writes it)."""
        return sum(self.slippages) / len(self.slippages) if self.slippages else 0.0

    def slippage_q(self, q: float) -> float | None:
        """Quantile of fill slippage in bps."""
        return quantile(list(self.slippages), q)

    def quality(self) -> str:
        """Policy quality label: good, ok, degraded or broken."""
        rate, slip = self.maker_fill_rate, self.slippage_q(0.5)
        if self.orders >= 5 and self.reject_ratio > 0.25:
            return "broken"
        if rate is None or slip is None:
            return "ok"
        if self.fills >= 5 and rate < 0.1 and self.fallback > 0:
            return "broken"
        if rate < 0.35 or slip > 4.0 or self.reject_ratio > 0.1:
            return "degraded"
        if rate >= 0.6 and slip <= 1.0:
            return "good"
        return "ok"


def stats_of(window: Iterable[OrderEvent]) -> OrderStats:
    """Summarise an order window."""
    counts = {"maker": 0, "taker": 0, "reject": 0}
    fallback = 0
    slippages: list[float] = []
    for kind, fell_back, slip in window:
        counts[kind] += 1
        fallback += fell_back
        if slip is not None:
            slippages.append(slip)
    return OrderStats(
        counts["maker"], counts["taker"], fallback, counts["reject"], tuple(slippages)
    )


def maker_first_policy(quality: str, atr_regime: str) -> bool:
    """Maker-first routing stays on unless the book is in panic or maker routing is broken."""
    return atr_regime != "panic" and quality != "broken"


@dataclass(frozen=True)
class Fill:
    """One executed order: signed quantity, price, fee in USDT."""

    qty: float
    price: float
    fee: float
    maker: bool
    slippage_bps: float


def route_order(
    rng: random.Random, qty: float, ref_price: float, atr_regime: str, maker_first: bool
) -> tuple[OrderEvent, Fill | None]:
    """Send one order of signed ``qty``: its window event, and its fill (None if rejected)."""
    maker_p, reject_p, half_spread = _REGIME_BOOK.get(atr_regime, _REGIME_BOOK["unknown"])
    if rng.random() < reject_p:
        return ("reject", False, None), None
    side = 1.0 if qty > 0 else -1.0
    if maker_first and rng.random() < maker_p:
        slip = -half_spread + rng.gauss(0.0, 0.25)
        maker, fell_back = True, False
    else:
        slip = half_spread + abs(rng.gauss(0.0, 1.5 * half_spread))
        maker, fell_back = False, maker_first
    price = ref_price * (1.0 + side * slip / 10_000)
    fee = abs(qty) * price * (MAKER_FEE if maker else TAKER_FEE)
    kind = "maker" if maker else "taker"
    return (kind, fell_back, slip), Fill(qty, price, fee, maker, slip)
