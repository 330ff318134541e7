"""The seeded simulation: determinism, the real snapshot shapes, real arithmetic, KPI coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from execution.sim_account import BARS_PER_HOUR, Account
from execution.sim_expectancy import LOOKBACK_HOURS, MATURE_TRADES
from execution.sim_router import Fill
from execution.simulation import SimStateError, Simulation
from execution.snapshots import StateSnapshots
from kpi_contract.build import SAMPLE_COUNTS, build_kpis_v7
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.validation import validate_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "snapshots"
T0 = 1767225600.0
KPI_LEAVES = (
    "nav.nav_total", "nav.nav_age_s", "nav.sources_ok",
    "risk.dd_state.state", "risk.dd_state.drawdown_frac", "risk.atr_regime", "risk.fee_pnl_ratio",
    "router.policy_quality", "router.maker_first", "router.maker_fill_share",
    "router.avg_slippage_bps", "router.reject_rate",
    "performance.expectancy", "performance.sharpe_state",
)


def fixture(name: str) -> dict[str, Any]:
    """One snapshot fixture set."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def steps(seed: int, n: int) -> list[StateSnapshots]:
    """Snapshots of ``n`` steps, one minute apart."""
    sim = Simulation.create(seed)
    return [sim.step(T0 + 60 * i) for i in range(n)]


def kpi_doc(snaps: StateSnapshots, now: float) -> dict[str, Any]:
    """The KPI document the dry-run executor's publisher would write for these snapshots."""
    kpis = build_kpis_v7(now, snaps.kpi_nav, snaps.risk, snaps.router, snaps.expectancy,
                         run_mode="dry_run")
    data = dump_document(model_document(kpis))
    assert validate_bytes(data) == []
    doc: dict[str, Any] = json.loads(data)
    return doc


def at(doc: dict[str, Any], dotted: str) -> Any:
    """Value at a dotted KPI path (None below a null parent)."""
    node: Any = doc
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def test_same_seed_same_snapshots_and_another_seed_differs() -> None:
    """A seed fixes the market, the orders and the NAV path; the wall clock does not enter."""
    assert steps(3, 25) == steps(3, 25)
    assert steps(3, 25)[-1].nav_state != steps(4, 25)[-1].nav_state


def test_snapshots_have_the_executors_real_shapes() -> None:
    """Key sets match the recorded snapshots: nav_health, nav.json, RiskEngineV6, router B."""
    snaps = steps(7, 150)[-1]
    healthy, nav_json = fixture("01_healthy_full.json"), fixture(
        "08_missing_expectancy_executor_nav_json.json"
    )
    for snapshot in (snaps.nav_health, snaps.nav_state, snaps.risk, snaps.router):
        assert isinstance(snapshot, dict)
    assert isinstance(snaps.expectancy, dict)
    assert snaps.nav_health.keys() == healthy["nav"].keys()
    assert snaps.nav_state.keys() == nav_json["nav"].keys()
    risk, real_risk = snaps.risk, healthy["risk"]
    assert risk.keys() == real_risk.keys()
    assert risk["dd_state"].keys() == real_risk["dd_state"].keys()
    assert risk["dd_state"]["drawdown"].keys() == real_risk["dd_state"]["drawdown"].keys()
    assert risk["atr"].keys() == real_risk["atr"].keys()
    assert risk["atr"]["symbols"][0].keys() == real_risk["atr"]["symbols"][0].keys()
    assert risk["fee_pnl"].keys() == real_risk["fee_pnl"].keys()
    ours, real = risk["symbols"][0], real_risk["symbols"][0]
    assert ours.keys() == real.keys()
    for block in ("router", "risk", "vol", "sizing"):
        assert ours[block].keys() == real[block].keys(), block
    router, real_router = snaps.router, healthy["router"]
    assert router.keys() == real_router.keys()
    assert router["summary"].keys() == real_router["summary"].keys()
    assert router["per_symbol"] == router["symbols"]
    assert router["per_symbol"][0].keys() == real_router["per_symbol"][0].keys()
    stats = next(iter(router["symbol_stats"].values()))
    assert stats.keys() == next(iter(real_router["symbol_stats"].values())).keys()
    expectancy, real_exp = snaps.expectancy, healthy["expectancy"]
    assert expectancy.keys() == real_exp.keys()
    mature = [e for e in expectancy["symbols"].values() if e["is_mature"]]
    assert mature, "150 bars give every symbol enough closed trades"
    assert mature[0].keys() == real_exp["symbols"]["BTCUSDT"].keys()
    assert risk["dd_state"]["dd_state"] in ("normal", "cautious", "defensive")  # form A


def test_nav_drawdown_and_router_figures_follow_from_the_simulated_account() -> None:
    """NAV = wallet + unrealised PnL; dd_pct is a percent of the peak; rejects over orders."""
    sim = Simulation.create(5)
    for i in range(120):
        snaps = sim.step(T0 + 60 * i)
    marks = {s: t.close for s, t in sim.market.tapes.items()}
    unrealised = sum(p.qty * (marks[s] - p.entry) for s, p in sim.account.positions.items())
    assert isinstance(snaps.risk, dict)
    assert isinstance(snaps.router, dict)
    nav = snaps.risk["nav_health"]["nav_total"]
    assert nav == pytest.approx(sim.account.wallet + unrealised, abs=0.01)
    drawdown = snaps.risk["dd_state"]["drawdown"]
    assert drawdown["dd_pct"] == pytest.approx(
        (drawdown["peak"] - drawdown["nav"]) / drawdown["peak"] * 100, abs=1e-3
    )
    stats = snaps.router["symbol_stats"].values()
    orders = sum(s["order_count"] for s in stats)
    assert orders == sum(s["maker_count"] + s["taker_count"] + s["reject_count"] for s in stats)
    doc = kpi_doc(snaps, T0 + 60 * 119)
    assert doc["router"]["reject_rate"] == pytest.approx(
        sum(s["reject_count"] for s in stats) / orders
    )
    fee_pnl = snaps.risk["fee_pnl"]
    assert fee_pnl["fee_pnl_ratio"] == pytest.approx(fee_pnl["fees"] / abs(fee_pnl["pnl"]), 1e-3)


def test_account_books_round_trips_with_average_entry_and_fees() -> None:
    """Open, add, close and flip: realised PnL, fees, NAV and the closed trade's net PnL."""
    account = Account(("BTCUSDT",))
    account.apply_fill("BTCUSDT", Fill(1.0, 100.0, 0.05, False, 1.0), 1, "normal")
    account.apply_fill("BTCUSDT", Fill(1.0, 110.0, 0.05, False, 1.0), 2, "normal")
    assert account.positions["BTCUSDT"].entry == pytest.approx(105.0)
    assert account.nav({"BTCUSDT": 120.0}) == pytest.approx(5000.0 - 0.1 + 2 * 15.0)
    account.apply_fill("BTCUSDT", Fill(-3.0, 120.0, 0.3, False, 1.0), 3, "hot")
    (pnl, bar, regime), = account.trades["BTCUSDT"]
    assert (bar, regime) == (3, "hot")
    assert pnl == pytest.approx(2 * 15.0 - 0.1 - 0.2)  # fees of the closing part only
    flipped = account.positions["BTCUSDT"]
    assert (flipped.qty, flipped.entry, flipped.fees) == pytest.approx((-1.0, 120.0, 0.1))
    assert account.wallet == pytest.approx(5000.0 + 30.0 - 0.4)


def test_a_few_loops_give_mostly_non_null_kpis() -> None:
    """After five loops at most the two history-bound KPIs (fee/PnL, expectancy) are null, and
    the trade count that follows expectancy (7.1.0)."""
    snaps = steps(7, 5)
    doc = kpi_doc(snaps[-1], T0 + 240)
    assert set(doc["nulls"]) <= {"risk.fee_pnl_ratio", "performance.expectancy",
                                 "performance.expectancy_trade_count"}


@pytest.mark.parametrize("seed", [7, 11])
def test_a_longer_run_makes_every_kpi_non_null_and_leaves_normal_drawdown(seed: int) -> None:
    """Over 400 seeded loops every KPI is non-null at least once; dd_state is not constant."""
    seen: set[str] = set()
    states: set[str] = set()
    regimes: set[str] = set()
    for i, snaps in enumerate(steps(seed, 400)):
        doc = kpi_doc(snaps, T0 + 60 * i)
        seen.update(path for path in KPI_LEAVES if at(doc, path) is not None)
        states.add(doc["risk"]["dd_state"]["state"])
        regimes.add(doc["risk"]["atr_regime"])
    assert seen == set(KPI_LEAVES)
    assert states - {"normal"}, "the drawdown state left normal at least once"
    assert len(regimes) >= 2


def test_a_restored_simulation_continues_the_same_path() -> None:
    """3 steps, save, load, 2 steps gives exactly the snapshots of 5 uninterrupted steps."""
    straight = Simulation.create(9)
    expected = [straight.step(T0 + i) for i in range(5)][-1]
    first = Simulation.create(9)
    for i in range(3):
        first.step(T0 + i)
    resumed = Simulation.from_state(json.loads(json.dumps(first.to_state())))
    got = [resumed.step(T0 + i) for i in (3, 4)][-1]
    assert got == expected


@pytest.mark.parametrize(
    "content", [b"", b"{\"format\": \"execution.simulation/1\"", b"[1, 2]", b"{\"format\": \"x\"}"]
)
def test_an_unusable_saved_state_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    """Torn, foreign or incomplete sim_state.json raises SimStateError naming the file."""
    (tmp_path / "sim_state.json").write_bytes(content)
    with pytest.raises(SimStateError, match=r"sim_state\.json"):
        Simulation.load(tmp_path)


def test_saved_state_round_trips_through_the_state_dir(tmp_path: Path) -> None:
    """save() writes sim_state.json durably; load() gives an equal simulation."""
    sim = Simulation.create(2)
    sim.step(T0)
    assert sim.save(tmp_path).ok
    loaded = Simulation.load(tmp_path)
    assert loaded is not None
    assert loaded.to_state() == sim.to_state()
    assert Simulation.load(tmp_path / "nowhere") is None


@pytest.mark.parametrize("seed", [7, 11])
def test_sample_counts_are_the_simulated_orders_fills_and_trades(seed: int) -> None:
    """Every 20 loops of a long run, each published count equals what the simulated account
    recorded (its raw order window and closed trades, not the rendered snapshots): fills of the
    symbols that filled, every order sent, the trades of the mature symbols only (the file's
    sample_count, which includes immature ones, is not the expectancy's sample)."""
    sim = Simulation.create(seed)
    checked = {"fills": 0, "orders": 0, "trades": 0, "immature trades left out": 0}
    for i in range(300):
        snaps = sim.step(T0 + 60 * i)
        if i % 20:
            continue
        doc = kpi_doc(snaps, T0 + 60 * i)
        assert doc["run_mode"] == "dry_run"
        windows = list(sim.account.orders.values())
        fills = sum(kind != "reject" for window in windows for kind, _, _ in window)
        since = sim.bar - int(LOOKBACK_HOURS * BARS_PER_HOUR)
        recent = [[t for t in trades if t[1] > since] for trades in sim.account.trades.values()]
        for kpi, count in SAMPLE_COUNTS.items():
            assert (at(doc, count) is None) == (at(doc, kpi) is None), count
        router, performance = doc["router"], doc["performance"]
        if router["maker_fill_share"] is not None:
            assert router["maker_fill_share_fill_count"] == fills
            assert router["avg_slippage_bps_fill_count"] == fills
            checked["fills"] += 1
        if router["reject_rate"] is not None:
            assert router["reject_rate_order_count"] == sum(len(w) for w in windows)
            checked["orders"] += 1
        if performance["expectancy"] is not None:
            mature = sum(len(t) for t in recent if len(t) >= MATURE_TRADES)
            assert performance["expectancy_trade_count"] == mature
            checked["trades"] += 1
            if isinstance(snaps.expectancy, dict) and snaps.expectancy["sample_count"] > mature:
                checked["immature trades left out"] += 1
    assert min(checked.values()) >= 1, checked
    assert checked["fills"] >= 10, checked
