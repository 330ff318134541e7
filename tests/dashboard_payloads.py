"""Payloads and files the dashboard tests share (view model, Streamlit page, browser).

Each ``FILES`` entry writes one kind of ``kpis_v7.json`` the panel must cope with (issue 8): a
healthy, all-null, stressed, "null state beside a 7.5 % drawdown", stale, unknown-extra-field,
major-8, legacy flat, torn, invalid, and missing file, plus a stressed variant of our own.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kpi_contract.schema import load_schema

TS = "2026-01-01T00:00:00Z"
NOW = datetime.fromisoformat("2026-01-01T00:00:30+00:00").timestamp()  # 30 s after TS
KPI_PATHS = (
    "nav.nav_total", "nav.nav_age_s", "nav.sources_ok",
    "risk.dd_state.state", "risk.dd_state.drawdown_frac", "risk.atr_regime",
    "risk.fee_pnl_ratio", "router.policy_quality", "router.maker_first",
    "router.maker_fill_share", "router.avg_slippage_bps", "router.reject_rate",
    "performance.expectancy", "performance.sharpe_state",
)


def healthy() -> dict[str, Any]:
    """The schema's first example: every KPI present and healthy."""
    doc: dict[str, Any] = copy.deepcopy(load_schema()["examples"][0])
    return doc


def all_null() -> dict[str, Any]:
    """Every KPI null; ``risk.dd_state`` null as a whole (so only it is listed in ``nulls``)."""
    return {
        "schema_version": "7.0.0", "ts": TS,
        "nav": {"nav_total": None, "nav_age_s": None, "sources_ok": None},
        "risk": {"dd_state": None, "atr_regime": None, "fee_pnl_ratio": None},
        "router": {"policy_quality": None, "maker_first": None, "maker_fill_share": None,
                   "avg_slippage_bps": None, "reject_rate": None},
        "performance": {"expectancy": None, "sharpe_state": None},
        "nulls": {
            "nav.nav_total": "invalid", "nav.nav_age_s": "missing", "nav.sources_ok": "invalid",
            "risk.dd_state": "missing", "risk.atr_regime": "invalid",
            "risk.fee_pnl_ratio": "out_of_range", "router.policy_quality": "missing",
            "router.maker_first": "missing", "router.maker_fill_share": "out_of_range",
            "router.avg_slippage_bps": "missing", "router.reject_rate": "missing",
            "performance.expectancy": "missing", "performance.sharpe_state": "invalid",
        },
    }


def stressed() -> dict[str, Any]:
    """The issue's stressed payload: defensive, drawdown 0.125, hot, broken, reject 0.25."""
    doc = healthy()
    doc["risk"] = {"dd_state": {"state": "defensive", "drawdown_frac": 0.125},
                   "atr_regime": "hot", "fee_pnl_ratio": 0.3}
    doc["router"].update(policy_quality="broken", reject_rate=0.25)
    return doc


def panic() -> dict[str, Any]:
    """Our own stressed variant: panic, an old NAV, fees over PnL, losing trades, poor Sharpe."""
    doc = healthy()
    doc["nav"].update(nav_age_s=400.0, sources_ok=False)
    doc["risk"] = {"dd_state": {"state": "recovery", "drawdown_frac": 0.03},
                   "atr_regime": "panic", "fee_pnl_ratio": 1.4}
    doc["router"].update(maker_first=False, reject_rate=0.06)
    doc["performance"] = {"expectancy": -2.5, "sharpe_state": "poor"}
    return doc


def null_state_beside_drawdown() -> dict[str, Any]:
    """A null drawdown state label beside a 7.5 % drawdown (the old dashboard said NORMAL)."""
    doc = healthy()
    doc["risk"]["dd_state"] = {"state": None, "drawdown_frac": 0.075}
    doc["nulls"] = {"risk.dd_state.state": "invalid"}
    return doc


def unknown_extra_fields() -> dict[str, Any]:
    """A later 7.x payload: unknown fields at the top level and inside ``router``."""
    doc = healthy()
    doc["schema_version"] = "7.4.0"
    doc["router"]["fill_latency_ms"] = 12.5
    doc["venue"] = {"name": "binance-usdm"}
    return doc


def major_8() -> dict[str, Any]:
    """A kpis_v8 payload put where kpis_v7 belongs."""
    doc = healthy()
    doc["schema_version"] = "8.0.0"
    return doc


def legacy_flat() -> dict[str, Any]:
    """The dashboard's pre-contract flat file (DASHBOARD.md): no schema_version, flat keys."""
    return {"updated_at": 1767225600.0, "atr_regime": "hot", "dd_state": "normal",
            "drawdown": {"dd_pct": 1.2}, "fees": 12.0, "pnl": 40.0,
            "router_stats": {"maker_fill_ratio": 0.4, "slip_q50": 2.0, "quality": "ok"}}


def invalid() -> dict[str, Any]:
    """Well-formed JSON, major 7, but a fraction above 1."""
    doc = healthy()
    doc["router"]["maker_fill_share"] = 1.5
    return doc


def iso(epoch_s: float) -> str:
    """``epoch_s`` as the payload's ``ts`` (RFC 3339, UTC, whole seconds)."""
    return datetime.fromtimestamp(round(epoch_s), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(factory: Callable[[], dict[str, Any]]) -> Callable[[Path, float | None], None]:
    def write(path: Path, ts: float | None) -> None:
        doc = factory()
        if ts is not None and "ts" in doc:
            doc["ts"] = iso(ts)
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return write


def _torn(path: Path, ts: float | None) -> None:
    data = json.dumps(healthy(), indent=2).encode()
    path.write_bytes(data[: len(data) // 2])


def _missing(path: Path, ts: float | None) -> None:
    path.unlink(missing_ok=True)


FILES: dict[str, Callable[[Path, float | None], None]] = {
    "healthy": _json(healthy),
    "all_null": _json(all_null),
    "stressed": _json(stressed),
    "panic": _json(panic),
    "null_state_beside_drawdown": _json(null_state_beside_drawdown),
    "unknown_extra_fields": _json(unknown_extra_fields),
    "major_8": _json(major_8),
    "legacy_flat": _json(legacy_flat),
    "invalid": _json(invalid),
    "torn": _torn,
    "missing": _missing,
}


def write_file(kind: str, state_dir: Path, *, ts: float | None = None) -> Path:
    """Create ``state_dir/kpis_v7.json`` of ``kind`` (or remove it, for ``missing``), with its
    ``ts`` set to the epoch time ``ts`` when given."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "kpis_v7.json"
    FILES[kind](path, ts)
    return path


# Texts a null KPI must never show (the old dashboard's defaults).
DEFAULT_TEXTS = ("normal", "0.00", "$0", "n/a", "NORMAL", "\u2013", "unknown")
