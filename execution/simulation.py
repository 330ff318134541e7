"""The seeded dry-run simulation: one ``step`` per executor loop, one one-minute bar per step.

Per step: the market advances one bar; for each symbol the strategy (trend-following on the price
against its EMA, sized from NAV, the ATR regime and the drawdown state) may change its target
position; the difference is routed as an order (maker-first or taker, possibly rejected); fills
update the account. Then the snapshots are rendered in the executor's real shapes.

Everything random comes from one ``random.Random(seed)``, so a seed gives the same market, orders
and NAV path every time, whatever the wall clock says (timestamps only label the snapshots). The
whole state, the generator's included, is saved as JSON after each step and loaded on restart, so
a restarted executor continues the same path: 3 steps + restart + 2 steps equals 5 steps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from execution import sim_snapshots as shapes
from execution.sim_account import Account
from execution.sim_expectancy import expectancy_state
from execution.sim_market import Market
from execution.sim_router import maker_first_policy, route_order, stats_of
from execution.snapshots import StateSnapshots
from kpi_contract import jsonio
from kpi_contract.errors import clip
from kpi_contract.writer import WriteResult, write_json

STATE_FORMAT: Final = "execution.simulation/1"
SIM_STATE_FILE: Final = "sim_state.json"
REBALANCE_P: Final = 0.3
ENTRY_P: Final = 0.6
FLAT_P: Final = 0.2
BASE_NOTIONAL_FRAC: Final = 0.5
MIN_NOTIONAL: Final = 20.0
STALE_MARK_P: Final = 0.02


class SimStateError(ValueError):
    """A saved simulation state that cannot be loaded."""


@dataclass
class Simulation:
    """Market, account and routing policy, driven by one seeded generator."""

    seed: int
    rng: random.Random
    market: Market
    account: Account
    maker_first: dict[str, bool]
    bar: int = 0

    @classmethod
    def create(cls, seed: int) -> Simulation:
        """A fresh simulation: start balance, no positions, warmed-up price history."""
        rng = random.Random(seed)
        market = Market.create(rng)
        symbols = tuple(market.tapes)
        return cls(seed, rng, market, Account(symbols), dict.fromkeys(symbols, True))

    def step(self, now_ts: float) -> StateSnapshots:
        """Advance one bar, trade, and render the snapshots stamped with ``now_ts``."""
        self.bar += 1
        self.market.advance(self.rng)
        before = self._view(now_ts, now_ts, {})
        for symbol, tape in self.market.tapes.items():
            target = self._target_qty(before, symbol)
            delta = target - self.account.positions[symbol].qty
            if abs(delta) * tape.close < MIN_NOTIONAL:
                continue
            regime = tape.atr_regime
            event, fill = route_order(
                self.rng, delta, tape.close, regime, self.maker_first[symbol]
            )
            self.account.record_order(symbol, event)
            if fill is not None:
                self.account.apply_fill(symbol, fill, self.bar, regime)
        marks = {s: t.close for s, t in self.market.tapes.items()}
        self.account.close_bar(self.bar, self.account.nav(marks))
        for symbol, tape in self.market.tapes.items():
            quality = stats_of(self.account.orders[symbol]).quality()
            self.maker_first[symbol] = maker_first_policy(quality, tape.atr_regime)
        stale: dict[str, str] = {}
        if self.rng.random() < STALE_MARK_P:
            stale[self.rng.choice(sorted(marks))] = "mark_stale"
        cache_ts = now_ts - self.rng.uniform(0.2, 2.5)
        return self.snapshots(self._view(now_ts, cache_ts, stale))

    @staticmethod
    def snapshots(view: shapes.SimView) -> StateSnapshots:
        """All snapshots of one bar."""
        health = shapes.nav_health(view)
        return StateSnapshots(
            nav_health=health,
            nav_state=shapes.nav_state(view),
            positions=shapes.positions_state(view),
            router=shapes.router_health(view),
            risk=shapes.risk_snapshot(view, health),
            expectancy=expectancy_state(view),
        )

    def _view(self, now_ts: float, cache_ts: float, stale: dict[str, str]) -> shapes.SimView:
        return shapes.SimView(
            now_ts, self.bar, self.market, self.account, dict(self.maker_first), cache_ts, stale
        )

    def _target_qty(self, view: shapes.SimView, symbol: str) -> float:
        """The strategy: re-decide now and then (more often when flat); flatten, or follow the
        trend, sized by the risk factors."""
        current = self.account.positions[symbol].qty
        if self.rng.random() >= (REBALANCE_P if current else ENTRY_P):
            return current
        if self.rng.random() < FLAT_P:
            return 0.0
        tape = self.market.tapes[symbol]
        momentum = (tape.close - tape.ema) / tape.ema / tape.base_vol
        direction = 1.0 if momentum + self.rng.gauss(0.0, 1.0) > 0 else -1.0
        notional = view.nav * BASE_NOTIONAL_FRAC * shapes.size_factor(view, symbol)
        return round(direction * notional / tape.close, 3)

    # --- persistence ----------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The whole simulation as JSON-ready data."""
        version, internal, gauss_next = self.rng.getstate()
        return {
            "format": STATE_FORMAT,
            "seed": self.seed,
            "bar": self.bar,
            "rng": [version, list(internal), gauss_next],
            "market": self.market.to_state(),
            "account": self.account.to_state(),
            "maker_first": self.maker_first,
        }

    @classmethod
    def from_state(cls, state: object) -> Simulation:
        """Inverse of ``to_state``; ``SimStateError`` if ``state`` is not one."""
        try:
            if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
                raise SimStateError("not a simulation state (format mismatch)")
            version, internal, gauss_next = state["rng"]
            rng = random.Random()
            rng.setstate((int(version), tuple(int(v) for v in internal), gauss_next))
            return cls(
                seed=int(state["seed"]),
                rng=rng,
                market=Market.from_state(state["market"]),
                account=Account.from_state(state["account"]),
                maker_first={str(s): bool(v) for s, v in state["maker_first"].items()},
                bar=int(state["bar"]),
            )
        except SimStateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
            raise SimStateError(clip(f"incomplete simulation state: {exc!r}")) from exc

    def save(self, state_dir: Path, dir_fd: int | None = None) -> WriteResult:
        """Durably write the state to ``state_dir/sim_state.json`` (relative to ``dir_fd``)."""
        return write_json(state_dir / SIM_STATE_FILE, self.to_state(), dir_fd=dir_fd)

    @classmethod
    def load(cls, state_dir: Path, dir_fd: int | None = None) -> Simulation | None:
        """The saved simulation, None if there is none; ``SimStateError`` if it is unusable.

        Read with ``kpi_contract.jsonio`` (regular file, size bound, strict JSON); with
        ``dir_fd`` (the executor's held state directory) relative to it and never through a
        symlink. Every problem with the file is a ``SimStateError`` of one short line.
        """
        path = state_dir / SIM_STATE_FILE
        try:
            if dir_fd is None:
                state = jsonio.load(path)
            else:
                state = jsonio.load(SIM_STATE_FILE, dir_fd=dir_fd, follow_symlinks=False)
        except jsonio.JsonInputError as exc:
            if exc.kind == "missing":
                return None
            raise SimStateError(f"{path}: {exc.reason}") from exc
        try:
            return cls.from_state(state)
        except SimStateError as exc:
            raise SimStateError(f"{path}: {exc}") from exc
